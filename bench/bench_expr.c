/*
 * bench_expr.c - throughput of the load-time expression evaluator (src/expr/).
 *
 * Evaluates three derived columns, `a * 10`, `year(d)` and `concat(s, 'x')`, over 1M rows in
 * batches of SL_BATCH_MAX_ROWS, resetting the batch arena after each batch as the mapper does.
 * Two runs: typed inputs (a BIGINT, d DATETIME, s STRING) and CSV-like text inputs (all three
 * STRING, so every row also goes through the text -> number / datetime conversion).
 * Prints ns per row (all three columns together) for each. Build with -O2 -DNDEBUG.
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

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run(bool text, double *ns_per_row)
{
    static const char *const exprs[3] = {"a * 10", "year(d)", "concat(s, 'x')"};
    sl_slice names[3] = {SL_LIT("a"), SL_LIT("d"), SL_LIT("s")};
    sl_type types[3] = {sl__ty(text ? SL_STRING : SL_BIGINT), sl__ty(text ? SL_STRING : SL_DATETIME),
                        sl__ty(SL_STRING)};
    sl_expr_scope scope = {names, types, 3};
    sl_arena_t plan, batch;
    sl_err err = {0};
    sl_expr *e[3];
    sl_datum *va = sl_malloc(BATCH * sizeof *va), *vd = sl_malloc(BATCH * sizeof *vd),
             *vs = sl_malloc(BATCH * sizeof *vs);
    char *texts = sl_malloc((size_t)BATCH * 48);
    uint64_t check = 0;
    if (!va || !vd || !vs || !texts)
        return 1;
    sl_arena_init(&plan, 0);
    sl_arena_init(&batch, 1 << 20);
    for (int k = 0; k < 3; k++)
        if (sl_expr_parse(sl_slice_of(exprs[k]), &plan, &e[k], &err) != SL_OK ||
            sl_expr_bind(e[k], &scope, &plan, &err) != SL_OK)
            return fprintf(stderr, "%s\n", err.msg), 1;
    for (int i = 0; i < BATCH; i++) { /* one batch of inputs, reused for every batch */
        char *t = texts + (size_t)i * 48;
        int n = snprintf(t, 16, "%d", i * 7);
        va[i] = text ? (sl_datum){.s = {t, (size_t)n}} : (sl_datum){.i = i * 7};
        n = snprintf(t + 16, 20, "20%02d-%02d-%02d 12:34:56", i % 100, i % 12 + 1, i % 28 + 1);
        vd[i] = text ? (sl_datum){.s = {t + 16, (size_t)n}}
                     : (sl_datum){.i = (int64_t)(i % 36500) * 86400000000};
        vs[i] = (sl_datum){.s = {t + 36, (size_t)snprintf(t + 36, 12, "s%d", i % 100000)}};
    }
    sl_vec cols[3] = {{types[0], va, NULL}, {types[1], vd, NULL}, {types[2], vs, NULL}};
    sl_expr_ctx ctx = {0, 0, NULL};
    double t0 = now_s();
    for (size_t done = 0; done < ROWS; done += BATCH) {
        size_t n = ROWS - done < BATCH ? ROWS - done : BATCH;
        for (int k = 0; k < 3; k++) {
            sl_vec out;
            if (sl_expr_eval(e[k], cols, n, NULL, &ctx, &batch, &out, &err) != SL_OK)
                return fprintf(stderr, "%s\n", err.msg), 1;
            check += out.null[n - 1] + (uint64_t)out.v[n / 2].i;
        }
        sl_arena_reset(&batch);
    }
    *ns_per_row = (now_s() - t0) * 1e9 / ROWS;
    if (check == 42)
        printf(" ");
    sl_arena_free(&batch);
    sl_arena_free(&plan);
    sl_free(va), sl_free(vd), sl_free(vs), sl_free(texts);
    return 0;
}

int main(void)
{
    double typed = 0, text = 0;
    if (run(false, &typed) || run(true, &text))
        return 1;
    printf("bench_expr: a*10, year(d), concat(s,'x') over %d rows\n", ROWS);
    printf("  typed inputs (BIGINT, DATETIME, STRING): %.1f ns/row\n", typed);
    printf("  text inputs  (CSV: all STRING)         : %.1f ns/row\n", text);
    return 0;
}
