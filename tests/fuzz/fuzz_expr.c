/*
 * fuzz_expr.c - libFuzzer target for the expression parser (src/expr/).
 *
 * Each input is parsed three ways: as an expression, as a `columns` header and as an
 * `_http_stream` SQL statement. A parsed expression is printed, re-parsed and compared (the
 * printer's round-trip promise), then bound against a small scope of text, integer and date
 * columns and evaluated over a few rows, so the binder and every kernel see arbitrary trees.
 * The text rows include a JSON document, a URL and UTF-8, so the JSON, URL, regexp and
 * string families of issue 20 walk real input (the dictionary names every function).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../src/core/platform.h"

#include <stdio.h>
#include <stdlib.h>

#include "../../src/expr/internal.h"

static void check_round_trip(const sl_expr *e, sl_arena_t *a)
{
    sl_buf b = SL_BUF_INIT;
    sl_err err = {0};
    sl_expr *e2;
    sl_expr_print(e, &b);
    if (b.oom)
        abort();
    if (sl_expr_parse((sl_slice){b.p ? b.p : "", b.len}, a, &e2, &err) != SL_OK) {
        fprintf(stderr, "printed form does not parse: %s\n%.*s\n", err.msg, (int)b.len, b.p);
        abort();
    }
    if (!sl__expr_equal(e, e2)) {
        fprintf(stderr, "round trip differs: %.*s\n", (int)b.len, b.p);
        abort();
    }
    sl_buf_free(&b);
}

#define ROWS 7

static void evaluate(sl_expr *e, sl_arena_t *a)
{
    static const char *const text[ROWS] = {
        "12", "2024-02-29 13:45:30", "", "-3.5e2",
        "{\"a\": [1, {\"b\": \"x\\u0041\"}], \"c\": null, \"d\": 1.5e3}",
        "https://u:p@host.example.com:8030/p/q?k=v&x=1#frag", "北京 Émile 42"};
    sl_slice names[4] = {SL_LIT("a"), SL_LIT("b"), SL_LIT("c"), SL_LIT("d")};
    sl_type types[4] = {sl__ty(SL_STRING), sl__ty(SL_BIGINT), sl__ty(SL_DATETIME),
                        sl__ty(SL_DECIMAL)};
    sl_datum va[ROWS], vb[ROWS], vc[ROWS], vd[ROWS];
    uint8_t nul[ROWS] = {0, 0, 1, 0, 0, 0, 0}, sel[ROWS] = {1, 1, 1, 0, 1, 1, 1};
    types[3].precision = 10, types[3].scale = 2;
    for (int i = 0; i < ROWS; i++) {
        va[i].s.p = text[i], va[i].s.n = strlen(text[i]);
        vb[i].i = i == 3 ? INT64_MIN : i == 5 ? INT64_MAX : i * 1000 - 1;
        vc[i].i = (int64_t)(i - 2) * 86400000000 * 365;
        vd[i].w = i * 12345 - 99;
    }
    sl_vec cols[4] = {{types[0], va, nul}, {types[1], vb, NULL}, {types[2], vc, nul},
                      {types[3], vd, nul}};
    sl_expr_scope scope = {names, types, 4};
    sl_expr_ctx ctx = {8 * 3600, INT64_C(1700000000000000), NULL};
    sl_err err = {0};
    sl_vec out;
    uint8_t keep[ROWS];
    if (sl_expr_bind(e, &scope, a, &err) != SL_OK)
        return;
    if (sl_expr_eval(e, cols, ROWS, NULL, &ctx, a, &out, &err) != SL_OK)
        return;
    sl_expr_filter(e, cols, ROWS, sel, &ctx, a, keep, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_arena_t a;
    sl_err err = {0};
    sl_expr *e;
    sl_expr_columns cols;
    sl_expr_insert ins;
    sl_slice s = {(const char *)data, size};
    if (size > 4096) /* long inputs only slow the fuzzer down; depth is capped anyway */
        return 0;
    sl_arena_init(&a, 0);
    if (sl_expr_parse(s, &a, &e, &err) == SL_OK) {
        check_round_trip(e, &a);
        evaluate(e, &a);
    }
    sl_err_clear(&err);
    if (sl_expr_parse_columns(s, &a, &cols, &err) == SL_OK)
        for (size_t i = 0; i < cols.n_items; i++)
            if (cols.items[i].expr)
                check_round_trip(cols.items[i].expr, &a);
    sl_err_clear(&err);
    if (sl_expr_parse_insert(s, &a, &ins, &err) == SL_OK && ins.where)
        check_round_trip(ins.where, &a);
    sl_arena_free(&a);
    return 0;
}
