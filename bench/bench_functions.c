/*
 * bench_functions.c - per-function cost of the expression engine's builtins (src/expr/), the
 * families of issue 20 beside the functions each family had before, so a new function can be
 * compared with its neighbours (docs/PERFORMANCE.md "Functions").
 *
 * Each expression is bound once and evaluated over 1M rows in batches of SL_BATCH_MAX_ROWS,
 * the batch arena reset after each batch as the mapper does. Inputs are typed columns: a
 * BIGINT, x DOUBLE, d DATETIME, s STRING (8-12 bytes), j STRING holding a small JSON object,
 * u STRING holding a URL. Prints ns per row for each expression; the first line of a family
 * (marked "=") is a function that existed before issue 20. Build with -O2 -DNDEBUG.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../src/core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../src/core/mem.h"
#include "../src/expr/internal.h"

#define ROWS 1000000
#define BATCH SL_BATCH_MAX_ROWS
#define NCOLS 6

static const char *const exprs[] = {
    "=upper(s)", "=concat(s, 'x')", "=substr(s, 2, 3)", "reverse(s)", "initcap(s)",
    "instr(s, '9')", "locate('9', s, 2)", "repeat(s, 2)", "hex(s)", "substring_index(s, '1', 1)",
    "mask(s)", "url_encode(s)", "split_by_string(s, '1')", "starts_with(s, 'user')",
    "=s regexp '9$'", "regexp_extract(s, '([0-9]+)', 1)", "regexp_replace(s, '[0-9]', 'x')",
    "=abs(a)", "=floor(x)", "sign(x)", "greatest(a, 5000)", "bitand(a, 7)", "truncate(x, 1)",
    "conv(a, 10, 16)", "bin(a)",
    "=year(d)", "=date_format(d, '%Y-%m')", "date_trunc(d, 'month')", "last_day(d)",
    "weekofyear(d)", "to_days(d)", "days_diff(d, '2000-01-01')",
    "timestampdiff(MONTH, d, '2020-01-01')", "yearweek(d)",
    "=md5(s)", "=sha2(s, 256)", "murmur_hash3_32(s)", "murmur_hash3_64(s)", "xxhash_32(s)",
    "xxhash_64(s)", "crc32(s)", "sha1(s)", "to_base64(s)",
    "=concat(j, '')", "get_json_string(j, '$.user.name')", "get_json_int(j, '$.id')",
    "json_extract(j, '$.tags[1]')", "json_extract_string(j, '$.user.name')", "json_valid(j)",
    "json_length(j)", "json_contains(j, '2', '$.tags')",
    "parse_url(u, 'HOST')", "extract_url_parameter(u, 'k')",
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static sl_datum *cols_v[NCOLS];
static char *texts;

/* One batch of inputs, reused for every batch. */
static int make_inputs(void)
{
    for (int c = 0; c < NCOLS; c++)
        if ((cols_v[c] = sl_malloc(BATCH * sizeof(sl_datum))) == NULL)
            return 1;
    if ((texts = sl_malloc((size_t)BATCH * 192)) == NULL)
        return 1;
    for (int i = 0; i < BATCH; i++) {
        char *t = texts + (size_t)i * 192;
        cols_v[0][i].i = i * 7;
        cols_v[1][i].d = i * 0.37 - 500;
        cols_v[2][i].i = (int64_t)(i % 36500) * 86400000000 + (int64_t)i * 1000000;
        int n = snprintf(t, 16, "user%d", i * 13 % 100000);
        cols_v[3][i] = (sl_datum){.s = {t, (size_t)n}};
        n = snprintf(t + 16, 112, "{\"id\": %d, \"user\": {\"name\": \"n%d\"}, \"tags\": [1, 2, %d]}",
                     i, i % 977, i % 5);
        cols_v[4][i] = (sl_datum){.s = {t + 16, (size_t)n}};
        n = snprintf(t + 128, 64, "https://h%d.example.com/p?k=%d&z=1", i % 31, i);
        cols_v[5][i] = (sl_datum){.s = {t + 128, (size_t)n}};
    }
    return 0;
}

static int run(const char *text, double *ns_per_row)
{
    sl_slice names[NCOLS] = {SL_LIT("a"), SL_LIT("x"), SL_LIT("d"), SL_LIT("s"), SL_LIT("j"),
                             SL_LIT("u")};
    sl_type types[NCOLS] = {sl__ty(SL_BIGINT), sl__ty(SL_DOUBLE), sl__ty(SL_DATETIME),
                            sl__ty(SL_STRING), sl__ty(SL_STRING), sl__ty(SL_STRING)};
    sl_expr_scope scope = {names, types, NCOLS};
    sl_arena_t plan, batch;
    sl_err err = {0};
    sl_expr *e;
    uint64_t check = 0;
    sl_arena_init(&plan, 0);
    sl_arena_init(&batch, 1 << 20);
    if (sl_expr_parse(sl_slice_of(text), &plan, &e, &err) != SL_OK ||
        sl_expr_bind(e, &scope, &plan, &err) != SL_OK)
        return fprintf(stderr, "%s: %s\n", text, err.msg), 1;
    sl_vec cols[NCOLS];
    for (int c = 0; c < NCOLS; c++)
        cols[c] = (sl_vec){types[c], cols_v[c], NULL};
    sl_expr_ctx ctx = {0, 0, NULL};
    double t0 = now_s();
    for (size_t done = 0; done < ROWS; done += BATCH) {
        size_t n = ROWS - done < BATCH ? ROWS - done : BATCH;
        sl_vec out;
        if (sl_expr_eval(e, cols, n, NULL, &ctx, &batch, &out, &err) != SL_OK)
            return fprintf(stderr, "%s: %s\n", text, err.msg), 1;
        check += out.null[n - 1] + (uint64_t)out.v[n / 2].i;
        sl_arena_reset(&batch);
    }
    *ns_per_row = (now_s() - t0) * 1e9 / ROWS;
    if (check == 42)
        printf(" ");
    sl_arena_free(&batch);
    sl_arena_free(&plan);
    return 0;
}

int main(void)
{
    if (make_inputs())
        return 1;
    printf("bench_functions: ns per row over %d rows (= a function from before issue 20)\n", ROWS);
    for (size_t k = 0; k < SL_COUNT(exprs); k++) {
        double ns;
        bool old = exprs[k][0] == '=';
        if (run(exprs[k] + old, &ns))
            return 1;
        printf("  %c %-42s %7.1f\n", old ? '=' : ' ', exprs[k] + old, ns);
    }
    for (int c = 0; c < NCOLS; c++)
        sl_free(cols_v[c]);
    sl_free(texts);
    return 0;
}
