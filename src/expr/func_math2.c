/*
 * func_math2.c - Doris's numeric functions beyond func_math.c (expr stage): sign, greatest /
 * least, truncate, log / log2, trigonometry, degrees / radians, cbrt, pi / e, fmod / pmod,
 * positive / negative, bit operations, bin / conv, gcd / lcm, factorial, round_bankers.
 *
 * Types as Doris's: greatest/least in the arguments' common type (NULL if any is NULL),
 * truncate keeps a DECIMAL exact (digits known up front) and computes in DOUBLE otherwise,
 * bit functions and gcd/lcm/factorial in BIGINT (overflow gives NULL, like func_math.c), the
 * rest in DOUBLE with NULL where the result is not a real number (log of 0, asin(2)).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <math.h>
#include <stdio.h>

#include "internal.h"

/* ---- double functions of one or two arguments ---- */

enum { D_LOG2, D_LOG, D_SIN, D_COS, D_TAN, D_COT, D_ASIN, D_ACOS, D_ATAN, D_ATAN2, D_SINH,
       D_COSH, D_TANH, D_DEGREES, D_RADIANS, D_CBRT, D_FMOD, D_PI, D_E, D_SIGN, D_LN };

static double dfn(int how, const sl_expr *e, const sl_vec *av, size_t i)
{
    double x = e->n_args ? av[0].v[i].d : 0, y = e->n_args > 1 ? av[1].v[i].d : 0;
    switch (how) {
    case D_LOG2: return x > 0 ? log2(x) : NAN;
    case D_LOG: /* log(b, x); log(x) is ln */
        if (e->n_args == 1)
            return x > 0 ? log(x) : NAN;
        return x > 0 && y > 0 && x != 1 ? log(y) / log(x) : NAN;
    case D_SIN: return sin(x);
    case D_COS: return cos(x);
    case D_TAN: return tan(x);
    case D_COT: return x == 0 ? NAN : 1 / tan(x);
    case D_ASIN: return x < -1 || x > 1 ? NAN : asin(x);
    case D_ACOS: return x < -1 || x > 1 ? NAN : acos(x);
    case D_ATAN: return e->n_args > 1 ? atan2(x, y) : atan(x);
    case D_ATAN2: return atan2(x, y);
    case D_SINH: return sinh(x);
    case D_COSH: return cosh(x);
    case D_TANH: return tanh(x);
    case D_DEGREES: return x * 180.0 / M_PI;
    case D_RADIANS: return x * M_PI / 180.0;
    case D_CBRT: return cbrt(x);
    case D_FMOD: return y == 0 ? NAN : fmod(x, y);
    case D_PI: return M_PI;
    case D_E: return M_E;
    default: return x > 0 ? log(x) : NAN; /* D_LN */
    }
}

static sl_code f_double(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    const int how = e->fn->aux;
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        double r = dfn(how, e, av, i);
        out->null[i] = !isfinite(r);
        out->v[i].d = r;
    }
    return SL_OK;
}

/* sign(x): -1, 0 or 1 (TINYINT). */
static sl_code f_sign(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    (void)e;
    for (size_t i = 0; i < env->n; i++)
        if (!out->null[i])
            out->v[i].i = (av[0].v[i].d > 0) - (av[0].v[i].d < 0);
    return SL_OK;
}

/* ---- greatest / least ---- */

static sl_code bind_extreme(sl_expr *e, sl__binder *b)
{
    sl_type t;
    sl_code rc = sl__expr_coerce_all(e, b, &t);
    e->type = t;
    return rc;
}

static sl_code f_extreme(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    int cls = sl__cls_of(e->type.id), sign = e->fn->aux ? 1 : -1;
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        size_t best = 0;
        for (size_t k = 1; k < e->n_args; k++)
            if (sl__expr_cmp(cls, &av[k].v[i], &av[best].v[i]) * sign > 0)
                best = k;
        out->v[i] = av[best].v[i];
    }
    return SL_OK;
}

/* ---- truncate(x, d) ---- */

/* truncate / round_bankers: a DECIMAL with a literal d within its scale stays a DECIMAL of
 * scale d (exact); anything else is computed as DOUBLE. */
static sl_code bind_truncate(sl_expr *e, sl__binder *b)
{
    sl_type t = e->args[0]->type;
    const sl_expr *d = e->n_args > 1 ? e->args[1] : NULL;
    sl_code rc = e->n_args > 1 ? sl__expr_coerce(b, &e->args[1], sl__ty(SL_BIGINT)) : SL_OK;
    if (rc != SL_OK)
        return rc;
    if (sl__cls_of(t.id) == C_DEC && (d == NULL || (d->kind == EK_LIT && !d->lit_null &&
                                                    d->lit.i >= 0 && d->lit.i <= t.scale))) {
        e->type = t;
        e->type.scale = (uint8_t)(d ? d->lit.i : 0);
        return SL_OK;
    }
    e->type = sl__ty(SL_DOUBLE);
    return sl__expr_coerce(b, &e->args[0], e->type);
}

static sl_code f_truncate(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        if (e->type.id == SL_DECIMAL) {
            out->v[i].w = av[0].v[i].w / sl__pow10(av[0].type.scale - e->type.scale);
            continue;
        }
        int64_t d = e->n_args > 1 ? av[1].v[i].i : 0;
        double x = av[0].v[i].d, m;
        if (d > 308 || d < -308) {
            out->v[i].d = d > 0 ? x : 0;
            continue;
        }
        m = pow(10.0, (double)d);
        out->v[i].d = isfinite(x * m) ? trunc(x * m) / m : x;
    }
    return SL_OK;
}

/* ---- round_bankers(x[, d]): half to even ---- */

/* Bound as truncate: a DECIMAL with its digits known up front stays exact (Doris:
 * round_bankers(10.755, 2) is 10.76, not the double's 10.75). */
static sl_code f_bankers(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        if (e->type.id == SL_DECIMAL) {
            sl_i128 div = sl__pow10(av[0].type.scale - e->type.scale), v = av[0].v[i].w;
            sl_i128 q = v / div, r = v % div, half = r * 2 < 0 ? -r * 2 : r * 2;
            if (half > div || (half == div && (q % 2 != 0)))
                q += v < 0 ? -1 : 1;
            out->v[i].w = q;
            continue;
        }
        int64_t d = e->n_args > 1 ? av[1].v[i].i : 0;
        double x = av[0].v[i].d, m = d > 308 || d < -308 ? 1 : pow(10.0, (double)d);
        double r = nearbyint(x * m) / m; /* the default rounding mode: to nearest, ties even */
        out->v[i].d = isfinite(r) ? r : x;
    }
    return SL_OK;
}

/* ---- integers: bits, gcd, lcm, factorial, positive / negative, pmod ---- */

enum { I_BITAND, I_BITOR, I_BITXOR, I_BITNOT, I_SHL, I_SHR, I_BITCOUNT, I_GCD, I_LCM, I_FACT,
       I_POS, I_NEG, I_PMOD };

static int64_t gcd(int64_t a, int64_t b)
{
    uint64_t x = a < 0 ? 0 - (uint64_t)a : (uint64_t)a, y = b < 0 ? 0 - (uint64_t)b : (uint64_t)b;
    while (y) {
        uint64_t t = x % y;
        x = y, y = t;
    }
    return (int64_t)x;
}

static bool int_op(int how, int64_t a, int64_t b, int64_t *r)
{
    switch (how) {
    case I_BITAND: *r = a & b; return true;
    case I_BITOR: *r = a | b; return true;
    case I_BITXOR: *r = a ^ b; return true;
    case I_BITNOT: *r = ~a; return true;
    case I_SHL: *r = b < 0 || b > 63 ? 0 : (int64_t)((uint64_t)a << b); return true;
    case I_SHR: *r = b < 0 || b > 63 ? 0 : (int64_t)((uint64_t)a >> b); return true;
    case I_BITCOUNT: *r = __builtin_popcountll((unsigned long long)a); return true;
    case I_GCD: *r = gcd(a, b); return *r >= 0;
    case I_LCM: {
        int64_t g = gcd(a, b);
        if (g == 0) {
            *r = 0;
            return true;
        }
        return !__builtin_mul_overflow(a / g, b, r) && (*r = *r < 0 ? -*r : *r) >= 0;
    }
    case I_FACT:
        if (a < 0 || a > 20)
            return false;
        *r = 1;
        for (int64_t k = 2; k <= a; k++)
            *r *= k;
        return true;
    case I_POS: *r = a; return true;
    case I_NEG: return !__builtin_sub_overflow((int64_t)0, a, r);
    default: /* I_PMOD */
        if (b == 0)
            return false;
        *r = b == -1 ? 0 : a % b;
        if (*r != 0 && ((*r < 0) != (b < 0)))
            *r += b;
        return true;
    }
}

static sl_code f_int(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    const int how = e->fn->aux;
    for (size_t i = 0; i < env->n; i++)
        if (!out->null[i])
            out->null[i] = !int_op(how, av[0].v[i].i, e->n_args > 1 ? av[1].v[i].i : 0,
                                   &out->v[i].i);
    return SL_OK;
}

/* positive / negative / pmod keep doubles as doubles. */
static sl_code bind_numkeep(sl_expr *e, sl__binder *b)
{
    bool ints = true;
    for (size_t k = 0; k < e->n_args; k++)
        ints &= sl__cls_of(e->args[k]->type.id) == C_INT || sl__cls_of(e->args[k]->type.id) == C_NULL;
    e->type = sl__ty(ints ? SL_BIGINT : SL_DOUBLE);
    sl_code rc = SL_OK;
    for (size_t k = 0; rc == SL_OK && k < e->n_args; k++)
        rc = sl__expr_coerce(b, &e->args[k], e->type);
    return rc;
}

static sl_code f_numkeep(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    if (e->type.id == SL_BIGINT)
        return f_int(e, av, env, out);
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        double x = av[0].v[i].d, y = e->n_args > 1 ? av[1].v[i].d : 0, r;
        switch (e->fn->aux) {
        case I_POS: r = x; break;
        case I_NEG: r = -x; break;
        default:
            r = y == 0 ? NAN : fmod(x, y);
            if (r != 0 && ((r < 0) != (y < 0)))
                r += y;
        }
        out->null[i] = !isfinite(r);
        out->v[i].d = r;
    }
    return SL_OK;
}

/* ---- bin(x) and conv(x, from, to) ---- */

static size_t to_base(uint64_t v, unsigned base, char *o)
{
    static const char dig[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    char tmp[65];
    size_t n = 0, k = 0;
    do {
        tmp[n++] = dig[v % base];
        v /= base;
    } while (v);
    while (n)
        o[k++] = tmp[--n];
    return k;
}

static sl_code f_bin(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    (void)e;
    for (size_t i = 0; i < env->n; i++) {
        char o[65];
        if (out->null[i])
            continue;
        if (!sl__expr_text(env, &out->v[i], o, to_base((uint64_t)av[0].v[i].i, 2, o)))
            return SL_NOMEM;
    }
    return SL_OK;
}

/* MySQL's CONV: the longest valid prefix of the digits in base from (a leading '-' negates, as
 * a 64-bit two's complement), written in base |to| (signed when to < 0). */
static bool conv(sl_slice s, int64_t from, int64_t to, char *o, size_t *on)
{
    if (from < 2 || from > 36 || to == 0 || to < -36 || to > 36 || (to > -2 && to < 2))
        return false;
    size_t k = 0;
    while (k < s.n && s.p[k] == ' ')
        k++;
    bool neg = k < s.n && s.p[k] == '-';
    k += neg;
    uint64_t v = 0;
    bool any = false;
    for (; k < s.n; k++) {
        char c = s.p[k];
        int d = c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'z'
                                                     ? (c | 0x20) - 'a' + 10 : 99;
        if (d >= from)
            break;
        any = true;
        v = __builtin_mul_overflow(v, (uint64_t)from, &v) || __builtin_add_overflow(v, (uint64_t)d, &v)
                ? UINT64_MAX : v;
    }
    if (!any) {
        o[0] = '0', *on = 1;
        return true;
    }
    if (neg)
        v = 0 - v;
    size_t n = 0;
    if (to < 0 && (int64_t)v < 0) {
        o[n++] = '-';
        v = 0 - v;
    }
    *on = n + to_base(v, (unsigned)(to < 0 ? -to : to), o + n);
    return true;
}

static sl_code f_conv(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    (void)e;
    for (size_t i = 0; i < env->n; i++) {
        char o[70];
        size_t n;
        if (out->null[i])
            continue;
        if (!conv(sl__arg_s(av, 0, i), av[1].v[i].i, av[2].v[i].i, o, &n))
            out->null[i] = 1;
        else if (!sl__expr_text(env, &out->v[i], o, n))
            return SL_NOMEM;
    }
    return SL_OK;
}

static sl_code bind_conv(sl_expr *e, sl__binder *b)
{
    sl_code rc = sl__expr_coerce(b, &e->args[0], sl__ty(SL_STRING));
    for (size_t k = 1; rc == SL_OK && k < 3; k++)
        rc = sl__expr_coerce(b, &e->args[k], sl__ty(SL_BIGINT));
    return rc;
}

#define DBL SL_DOUBLE
#define BIG SL_BIGINT
#define KEEP A_KEEP
#define DF(n, lo, hi, k) {n, lo, hi, true, DBL, DBL, NULL, f_double, k}
#define IF(n, lo, hi, k) {n, lo, hi, true, BIG, BIG, NULL, f_int, k}

const sl__func sl__expr_funcs_math2[] = {
    {"sign", 1, 1, true, DBL, SL_TINYINT, NULL, f_sign, 0},
    {"greatest", 1, SL__VARIADIC, true, KEEP, DBL, bind_extreme, f_extreme, 1},
    {"least", 1, SL__VARIADIC, true, KEEP, DBL, bind_extreme, f_extreme, 0},
    {"truncate", 1, 2, true, KEEP, DBL, bind_truncate, f_truncate, 0},
    {"round_bankers", 1, 2, true, KEEP, DBL, bind_truncate, f_bankers, 0},
    DF("log2", 1, 1, D_LOG2),
    DF("log", 1, 2, D_LOG),
    DF("dlog1", 1, 1, D_LN),
    DF("sin", 1, 1, D_SIN),
    DF("cos", 1, 1, D_COS),
    DF("tan", 1, 1, D_TAN),
    DF("cot", 1, 1, D_COT),
    DF("asin", 1, 1, D_ASIN),
    DF("acos", 1, 1, D_ACOS),
    DF("atan", 1, 2, D_ATAN),
    DF("atan2", 2, 2, D_ATAN2),
    DF("sinh", 1, 1, D_SINH),
    DF("cosh", 1, 1, D_COSH),
    DF("tanh", 1, 1, D_TANH),
    DF("degrees", 1, 1, D_DEGREES),
    DF("radians", 1, 1, D_RADIANS),
    DF("cbrt", 1, 1, D_CBRT),
    DF("fmod", 2, 2, D_FMOD),
    DF("pi", 0, 0, D_PI),
    DF("e", 0, 0, D_E),
    IF("bitand", 2, 2, I_BITAND),
    IF("bitor", 2, 2, I_BITOR),
    IF("bitxor", 2, 2, I_BITXOR),
    IF("bitnot", 1, 1, I_BITNOT),
    IF("bit_shift_left", 2, 2, I_SHL),
    IF("bit_shift_right", 2, 2, I_SHR),
    IF("bit_count", 1, 1, I_BITCOUNT),
    IF("gcd", 2, 2, I_GCD),
    IF("lcm", 2, 2, I_LCM),
    IF("factorial", 1, 1, I_FACT),
    {"positive", 1, 1, true, KEEP, DBL, bind_numkeep, f_numkeep, I_POS},
    {"negative", 1, 1, true, KEEP, DBL, bind_numkeep, f_numkeep, I_NEG},
    {"pmod", 2, 2, true, KEEP, DBL, bind_numkeep, f_numkeep, I_PMOD},
    {"bin", 1, 1, true, BIG, SL_STRING, NULL, f_bin, 0},
    {"conv", 3, 3, true, KEEP, SL_STRING, bind_conv, f_conv, 0},
};
const size_t sl__expr_n_funcs_math2 = SL_COUNT(sl__expr_funcs_math2);
