/*
 * func_math.c - numeric and conditional builtins of load expressions (expr stage).
 *
 * Numeric functions keep integers exact (abs of BIGINT stays BIGINT, overflow gives NULL) and
 * keep decimals exact where Doris does (abs, floor, ceil, round of a DECIMAL); everything else
 * computes in DOUBLE. sqrt of a negative number and pow results that are not finite are NULL.
 * The conditionals (if, ifnull/nvl, coalesce, nullif) do not propagate NULL arguments: they
 * choose among them, with their branches cast to one common type by the binder.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <math.h>

#include "internal.h"

/* ---- unary numeric ---- */

enum { M_ABS, M_FLOOR, M_CEIL, M_ROUND };

/* Keep integers and decimals, everything else to DOUBLE; the result type follows. */
static sl_code bind_numeric(sl_expr *e, sl__binder *b)
{
    int c = sl__cls_of(e->args[0]->type.id);
    sl_type t = c == C_INT ? sl__ty(SL_BIGINT)
              : c == C_LARGE || c == C_DEC ? e->args[0]->type
                                           : sl__ty(SL_DOUBLE);
    sl_code rc = sl__expr_coerce(b, &e->args[0], t);
    if (rc == SL_OK && e->n_args > 1)
        rc = sl__expr_coerce(b, &e->args[1], sl__ty(SL_BIGINT));
    if (rc != SL_OK)
        return rc;
    e->type = t;
    if (c == C_DEC && e->fn->aux != M_ABS) {
        unsigned d = 0; /* floor / ceil / round without digits: scale 0 */
        if (e->n_args > 1) {
            const sl_expr *x = e->args[1];
            if (x->kind != EK_LIT || x->lit_null || x->lit.i < 0 || x->lit.i > t.scale) {
                e->type = sl__ty(SL_DOUBLE); /* digits not known up front: as a double */
                return sl__expr_coerce(b, &e->args[0], e->type);
            }
            d = (unsigned)x->lit.i;
        }
        e->type.precision = (uint8_t)(t.precision - t.scale + d + 1 > SL__DEC_MAX_PREC
                                          ? SL__DEC_MAX_PREC : t.precision - t.scale + d + 1);
        e->type.scale = (uint8_t)d;
    }
    return SL_OK;
}

static double round_half_away(double x, int64_t d)
{
    if (d > 308 || d < -308)
        return d > 0 ? x : 0;
    double m = pow(10.0, (double)d), r = round(x * m) / m;
    return isfinite(r) ? r : x;
}

/* Decimal v at scale `from` to scale `to` <= from with the given rounding. */
static sl_i128 dec_round(sl_i128 v, unsigned from, unsigned to, int how)
{
    sl_i128 div = sl__pow10(from - to), q = v / div, r = v % div;
    if (how == M_FLOOR && r < 0)
        q--;
    else if (how == M_CEIL && r > 0)
        q++;
    else if (how == M_ROUND && (r * 2 >= div || -r * 2 >= div))
        q += v < 0 ? -1 : 1;
    return q;
}

static sl_code f_numeric(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    int how = e->fn->aux, c = sl__cls_of(e->type.id), in = sl__cls_of(av[0].type.id);
    for (size_t i = 0; i < env->n; i++) {
        const sl_datum *x = &av[0].v[i];
        if (out->null[i])
            continue;
        if (c == C_INT) {
            out->v[i].i = x->i;
            if (how == M_ABS && x->i < 0)
                out->null[i] = __builtin_sub_overflow((int64_t)0, x->i, &out->v[i].i);
        } else if (c == C_LARGE) {
            out->v[i].w = x->w;
            if (how == M_ABS && x->w < 0)
                out->null[i] = __builtin_sub_overflow((sl_i128)0, x->w, &out->v[i].w);
        } else if (c == C_DEC) {
            out->v[i].w = how == M_ABS ? (x->w < 0 ? -x->w : x->w)
                                       : dec_round(x->w, av[0].type.scale, e->type.scale, how);
        } else if (in == C_FLOAT) {
            double d = x->d;
            out->v[i].d = how == M_ABS ? fabs(d) : how == M_FLOOR ? floor(d) : how == M_CEIL ? ceil(d)
                        : round_half_away(d, e->n_args > 1 ? av[1].v[i].i : 0);
        }
    }
    return SL_OK;
}

/* ---- binary numeric: mod, pow; sqrt ---- */

static sl_code bind_mod(sl_expr *e, sl__binder *b)
{
    bool ints = sl__cls_of(e->args[0]->type.id) == C_INT && sl__cls_of(e->args[1]->type.id) == C_INT;
    e->type = sl__ty(ints ? SL_BIGINT : SL_DOUBLE);
    sl_code rc = sl__expr_coerce(b, &e->args[0], e->type);
    return rc == SL_OK ? sl__expr_coerce(b, &e->args[1], e->type) : rc;
}

static sl_code f_mod(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        if (e->type.id == SL_BIGINT) {
            int64_t a = av[0].v[i].i, b = av[1].v[i].i;
            out->null[i] = b == 0;
            out->v[i].i = b == 0 || b == -1 ? 0 : a % b;
        } else {
            out->null[i] = av[1].v[i].d == 0;
            out->v[i].d = out->null[i] ? 0 : fmod(av[0].v[i].d, av[1].v[i].d);
        }
    }
    return SL_OK;
}

static sl_code f_double(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        double x = av[0].v[i].d, r;
        switch (e->fn->aux) {
        case 0: r = pow(x, av[1].v[i].d); break;
        case 1: r = x < 0 ? NAN : sqrt(x); break;
        case 2: r = x <= 0 ? NAN : log(x); break;
        case 3: r = x <= 0 ? NAN : log10(x); break;
        default: r = exp(x); break;
        }
        out->null[i] = !isfinite(r);
        out->v[i].d = r;
    }
    return SL_OK;
}

/* ---- conditionals ---- */

enum { C_IF, C_IFNULL, C_COALESCE, C_NULLIF };

static sl_code bind_cond(sl_expr *e, sl__binder *b)
{
    size_t first = e->fn->aux == C_IF ? 1 : 0, last = e->fn->aux == C_NULLIF ? 1 : e->n_args;
    sl_type t = {SL__NULLTYPE, 0, 0, 0, 0};
    sl_code rc = SL_OK;
    if (e->fn->aux == C_IF)
        rc = sl__expr_coerce(b, &e->args[0], sl__ty(SL_BOOLEAN));
    for (size_t i = first; i < last; i++)
        t = sl__expr_common(t, e->args[i]->type, false);
    if (e->fn->aux == C_NULLIF && sl__cls_of(t.id) != C_NULL)
        last = e->n_args; /* nullif(a, b): b is compared as a's type */
    for (size_t i = first; rc == SL_OK && i < last; i++)
        rc = sl__expr_coerce(b, &e->args[i], t);
    e->type = t;
    return rc;
}

static sl_code f_cond(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    int how = e->fn->aux, cls = sl__cls_of(e->type.id);
    for (size_t i = 0; i < env->n; i++) {
        const sl_vec *pick = NULL;
        if (out->null[i])
            continue;
        if (how == C_IF) {
            bool c = !(av[0].null && av[0].null[i]) && av[0].v[i].i;
            pick = &av[c ? 1 : 2];
        } else if (how == C_NULLIF) {
            bool nb = av[1].null && av[1].null[i];
            pick = &av[0];
            if (!nb && !(av[0].null && av[0].null[i]) && cls != C_NULL &&
                sl__expr_cmp(cls, &av[0].v[i], &av[1].v[i]) == 0)
                pick = NULL;
        } else {
            for (size_t k = 0; k < e->n_args && pick == NULL; k++)
                if (!(av[k].null && av[k].null[i]))
                    pick = &av[k];
        }
        out->null[i] = pick == NULL || (pick->null && pick->null[i]);
        if (!out->null[i])
            out->v[i] = pick->v[i];
    }
    return SL_OK;
}

#define DBL SL_DOUBLE
#define KEEP A_KEEP

const sl__func sl__expr_funcs_math[] = {
    {"abs", 1, 1, true, KEEP, DBL, bind_numeric, f_numeric, M_ABS},
    {"floor", 1, 1, true, KEEP, DBL, bind_numeric, f_numeric, M_FLOOR},
    {"ceil", 1, 1, true, KEEP, DBL, bind_numeric, f_numeric, M_CEIL},
    {"ceiling", 1, 1, true, KEEP, DBL, bind_numeric, f_numeric, M_CEIL},
    {"round", 1, 2, true, KEEP, DBL, bind_numeric, f_numeric, M_ROUND},
    {"mod", 2, 2, true, KEEP, DBL, bind_mod, f_mod, 0},
    {"pow", 2, 2, true, DBL, DBL, NULL, f_double, 0},
    {"power", 2, 2, true, DBL, DBL, NULL, f_double, 0},
    {"sqrt", 1, 1, true, DBL, DBL, NULL, f_double, 1},
    {"ln", 1, 1, true, DBL, DBL, NULL, f_double, 2},
    {"log10", 1, 1, true, DBL, DBL, NULL, f_double, 3},
    {"exp", 1, 1, true, DBL, DBL, NULL, f_double, 4},
    {"if", 3, 3, false, KEEP, DBL, bind_cond, f_cond, C_IF},
    {"ifnull", 2, 2, false, KEEP, DBL, bind_cond, f_cond, C_IFNULL},
    {"nvl", 2, 2, false, KEEP, DBL, bind_cond, f_cond, C_IFNULL},
    {"coalesce", 1, SL__VARIADIC, false, KEEP, DBL, bind_cond, f_cond, C_COALESCE},
    {"nullif", 2, 2, false, KEEP, DBL, bind_cond, f_cond, C_NULLIF},
};
const size_t sl__expr_n_funcs_math = SL_COUNT(sl__expr_funcs_math);
