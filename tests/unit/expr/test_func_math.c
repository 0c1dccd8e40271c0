/*
 * test_func_math.c - numeric and conditional builtins (src/expr/func_math.c): exact integer
 * and decimal paths, rounding half away from zero, NULL on domain errors, if / ifnull /
 * coalesce / nullif with mixed branch types.
 */
#include "../../../src/core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>

#include "../../../src/expr/internal.h"

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

TestSuite(func_math, .init = setup, .fini = teardown);

Test(func_math, abs_floor_ceil_round)
{
    EV("abs(-5)", "5");
    EV("abs(-2.50)", "2.50");
    EV("abs(-x)", "2.5");
    EV("abs('-3')", "3");
    EV("abs(nul)", "NULL");
    EV("floor(2.7)", "2");
    EV("floor(-2.1)", "-3");
    EV("ceil(2.1)", "3");
    EV("ceiling(-2.7)", "-2");
    EV("floor(x)", "2");
    EV("ceil(x)", "3");
    EV("floor(i)", "42");
    EV("round(2.5)", "3");
    EV("round(-2.5)", "-3");
    EV("round(x)", "3");
    EV("round(dec, 1)", "123.5");
    EV("round(1.2345, 2)", "1.23");
    EV("round(1.235, 2)", "1.24");
    EV("round(x * 1.01, 1)", "2.5");
    EV("round(12345.678, -2)", "12300");
}

Test(func_math, mod_pow_sqrt)
{
    EV("mod(10, 3)", "1");
    EV("mod(-10, 3)", "-1");
    EV("mod(10, 0)", "NULL");
    EV("mod(x, 1)", "0.5");
    EV("mod(5.5, 2)", "1.5");
    EV("pow(2, 10)", "1024");
    EV("power(2, -1)", "0.5");
    EV("pow(10, 400)", "NULL");
    EV("sqrt(16)", "4");
    EV("sqrt(-1)", "NULL");
    EV("sqrt('2.25')", "1.5");
    EV("ln(1)", "0");
    EV("log10(1000)", "3");
    EV("exp(0)", "1");
}

Test(func_math, conditionals)
{
    EV("if(i > 10, 'big', 'small')", "big");
    EV("if(nul = 'x', 1, 2)", "2");
    EV("if(TRUE, 1, 'a')", "1");
    EV("if(FALSE, 1, 2.5)", "2.5");
    EV("if(TRUE, nul, 'a')", "NULL");
    EV("ifnull(nul, 'dflt')", "dflt");
    EV("ifnull(s, 'dflt')", "hello");
    EV("nvl(nul, 3)", "3");
    EV("coalesce(nul, nul, s)", "hello");
    EV("coalesce(nul)", "NULL");
    EV("coalesce(NULL, 1, 2)", "1");
    EV("nullif(i, 42)", "NULL");
    EV("nullif(i, 41)", "42");
    EV("nullif(nul, 'a')", "NULL");
    EV("nullif(s, nul)", "hello");
    EV("nullif(NULL, 1)", "NULL");
    EV("if(i = 42, dd, dt)", "2024-02-29 00:00:00.000000");
}
