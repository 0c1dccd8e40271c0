/*
 * fixture.h - the one-row evaluation fixture shared by the expression function tests
 * (test_func_math.c, test_func_string.c, test_func_time.c): a scope of typed columns, a helper
 * that parses, binds and evaluates an expression over it and prints the result.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_TEST_EXPR_FIXTURE_H
#define SL_TEST_EXPR_FIXTURE_H

/* One row: s='hello', u='北京欢迎你', dt='2024-02-29 13:45:30.123456' (DATETIME(6)),
 * dd=2024-02-29 (DATE), t='2023-12-31 23:59:59' (text), nul=NULL, i=42, x=2.5, dec=123.45. */
static sl_arena_t A;

static void setup(void)
{
    sl_arena_init(&A, 0);
}

static void teardown(void)
{
    sl_arena_free(&A);
}

static const char *show(const sl_vec *v, size_t i, char *o)
{
    const sl_datum *d = &v->v[i];
    if (v->null && v->null[i])
        return "NULL";
    switch (sl__cls_of(v->type.id)) {
    case C_INT: snprintf(o, 512, "%lld", (long long)d->i); break;
    case C_LARGE: sl__fmt_i128(d->w, o); break;
    case C_DEC: sl__fmt_decimal(d->w, v->type.scale, o); break;
    case C_FLOAT: sl__fmt_double(d->d, o); break;
    case C_DATE: sl__fmt_date(d->i, o); break;
    case C_DT: sl__fmt_datetime(d->i, v->type.precision, o); break;
    case C_TEXT: snprintf(o, 512, "%.*s", (int)d->s.n, d->s.p); break;
    default: snprintf(o, 512, "?"); break;
    }
    return o;
}

static const char *ev_ctx(const char *text, const sl_expr_ctx *ctx)
{
    static char bufs[4][512];
    static int k;
    static const char *const names[] = {"s", "u", "dt", "dd", "t", "nul", "i", "x", "dec"};
    static const uint8_t ids[] = {SL_STRING, SL_STRING, SL_DATETIME, SL_DATE, SL_STRING,
                                  SL_STRING, SL_BIGINT, SL_DOUBLE, SL_DECIMAL};
    enum { NC = 9 };
    sl_datum v[NC];
    uint8_t nul[NC] = {0, 0, 0, 0, 0, 1, 0, 0, 0};
    sl_vec cols[NC];
    sl_type types[NC];
    sl_slice sn[NC];
    sl_err err = {0};
    sl_expr *e;
    sl_vec out;
    char *o = bufs[k++ & 3];
    for (size_t c = 0; c < NC; c++)
        sn[c] = sl_slice_of(names[c]), types[c] = sl__ty(ids[c]);
    types[8].precision = 10, types[8].scale = 2;
    v[0].s.p = "hello", v[0].s.n = 5;
    v[1].s.p = "北京欢迎你", v[1].s.n = strlen("北京欢迎你");
    sl__text_to_datetime(SL_LIT("2024-02-29 13:45:30.123456"), &v[2].i);
    v[3].i = sl__days_from_civil(2024, 2, 29);
    v[4].s.p = "2023-12-31 23:59:59", v[4].s.n = 19;
    v[5].s.p = "", v[5].s.n = 0;
    v[6].i = 42;
    v[7].d = 2.5;
    v[8].w = 12345;
    for (size_t c = 0; c < NC; c++)
        cols[c] = (sl_vec){types[c], &v[c], &nul[c]};
    sl_expr_scope scope = {sn, types, NC};
    if (sl_expr_parse(sl_slice_of(text), &A, &e, &err) != SL_OK ||
        sl_expr_bind(e, &scope, &A, &err) != SL_OK ||
        sl_expr_eval(e, cols, 1, NULL, ctx, &A, &out, &err) != SL_OK) {
        snprintf(o, 512, "ERR: %.400s", err.msg);
        return o;
    }
    return show(&out, 0, o);
}

static const char *ev(const char *text)
{
    return ev_ctx(text, NULL);
}

#define EV(text, want) cr_expect(eq(str, (char *)ev(text), (char *)(want)), "%s", text)

#endif
