/*
 * agg.c - aggregate functions of statements: names, Doris's argument and result types, and the
 * accumulators an engine uses when it evaluates an aggregate itself (expr stage; used by
 * src/sql/select_bind.c through the binder and by an engine's registered aggregates in src/store/).
 *
 *   parse.c: count(*) / sum(DISTINCT x) / group_concat(x SEPARATOR ', ')  -> EK_AGG node
 *   eval.c binder -> sl__expr_bind_agg: coerce the argument, set Doris's result type
 *   engine: sl_expr_acc_step per row, sl_expr_acc_value per group
 *
 * Sums are exact: integers and unscaled decimals add up in 128 bits, and a sum that leaves its
 * result type (BIGINT, LARGEINT, DECIMAL(38,s)) is an error, never a wrapped or rounded value.
 * avg of a DECIMAL truncates at its result scale, as Doris's AggregateFunctionAvg divides.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <math.h>
#include <strings.h>

#include "../batch/bitmap.h"
#include "../core/mem.h"
#include "internal.h"

static const sl__aggdef aggs[] = {
    {"count", "count", SL_QA_COUNT, 1, 1},
    {"sum", "sum", SL_QA_SUM, 1, 1},
    {"avg", "avg", SL_QA_AVG, 1, 1},
    {"min", "min", SL_QA_MIN, 1, 1},
    {"max", "max", SL_QA_MAX, 1, 1},
    {"group_concat", "group_concat", SL_QA_GROUP_CONCAT, 1, 2},
    {"stddev", "stddev_pop", SL_QA_STDDEV_POP, 1, 1},
    {"std", "stddev_pop", SL_QA_STDDEV_POP, 1, 1},
    {"stddev_pop", "stddev_pop", SL_QA_STDDEV_POP, 1, 1},
    {"stddev_samp", "stddev_samp", SL_QA_STDDEV_SAMP, 1, 1},
    {"variance", "var_pop", SL_QA_VAR_POP, 1, 1},
    {"var_pop", "var_pop", SL_QA_VAR_POP, 1, 1},
    {"variance_pop", "var_pop", SL_QA_VAR_POP, 1, 1},
    {"var_samp", "var_samp", SL_QA_VAR_SAMP, 1, 1},
    {"variance_samp", "var_samp", SL_QA_VAR_SAMP, 1, 1},
    {"bit_and", "bit_and", SL_QA_BIT_AND, 1, 1},
    {"bit_or", "bit_or", SL_QA_BIT_OR, 1, 1},
    {"bit_xor", "bit_xor", SL_QA_BIT_XOR, 1, 1},
    {"bitmap_union", "bitmap_union", SL_QA_BITMAP_UNION, 1, 1},
    {"bitmap_union_count", "bitmap_union_count", SL_QA_BITMAP_UNION_COUNT, 1, 1},
    {"hll_union", "hll_union", SL_QA_HLL_UNION, 1, 1},
    {"hll_raw_agg", "hll_union", SL_QA_HLL_UNION, 1, 1},
    {"hll_union_agg", "hll_union_agg", SL_QA_HLL_UNION_AGG, 1, 1},
    {"ndv", "ndv", SL_QA_NDV, 1, 1},
    {"approx_count_distinct", "ndv", SL_QA_NDV, 1, 1},
};

const sl__aggdef *sl__expr_agg_find(sl_slice name)
{
    for (size_t k = 0; k < SL_COUNT(aggs); k++)
        if (sl_slice_ieq(name, aggs[k].name))
            return &aggs[k];
    return NULL;
}

const char *sl__expr_agg_name(unsigned id)
{
    for (size_t k = 0; k < SL_COUNT(aggs); k++)
        if (aggs[k].id == id)
            return aggs[k].canon;
    return "?";
}

/* ---- binding ---- */

static sl_code no_signature(sl__binder *b, const sl_expr *e)
{
    sl_buf t = SL_BUF_INIT;
    sl__expr_print_type(&e->args[0]->type, &t);
    for (size_t i = 0; i < t.len; i++)
        t.p[i] = (char)(t.p[i] >= 'a' && t.p[i] <= 'z' ? t.p[i] - 32 : t.p[i]);
    sl_code rc = sl_fail(b->err, SL_INVALID, "Can not find the compatibility function signature: "
                         "%s(%s)", sl__expr_agg_name(e->op), t.p ? t.p : "");
    sl_buf_free(&t);
    return rc;
}

static sl_type dec38(unsigned scale)
{
    sl_type t = sl__ty(SL_DECIMAL);
    t.precision = SL__DEC_MAX_PREC;
    t.scale = (uint8_t)scale;
    return t;
}

/* sum / avg: numbers keep exact classes, text becomes DOUBLE, dates have no signature. */
static sl_code bind_sum_avg(sl__binder *b, sl_expr *e)
{
    int c = sl__cls_of(e->args[0]->type.id);
    bool avg = e->op == SL_QA_AVG;
    if (c == C_DATE || c == C_DT)
        return no_signature(b, e);
    if (c == C_TEXT || c == C_NULL) {
        e->type = sl__ty(SL_DOUBLE);
        return sl__expr_coerce(b, &e->args[0], e->type);
    }
    if (c == C_FLOAT)
        e->type = sl__ty(SL_DOUBLE);
    else if (c == C_DEC)
        e->type = dec38(avg && e->args[0]->type.scale < 4 ? 4 : e->args[0]->type.scale);
    else if (avg)
        e->type = sl__ty(SL_DOUBLE);
    else
        e->type = sl__ty(c == C_LARGE ? SL_LARGEINT : SL_BIGINT);
    return SL_OK;
}

static sl_code bind_other(sl__binder *b, sl_expr *e)
{
    int c = sl__cls_of(e->args[0]->type.id);
    switch (e->op) {
    case SL_QA_MIN:
    case SL_QA_MAX:
        e->type = c == C_NULL ? sl__ty(SL_BOOLEAN) : e->args[0]->type;
        return c == C_NULL ? sl__expr_coerce(b, &e->args[0], e->type) : SL_OK;
    case SL_QA_BIT_AND:
    case SL_QA_BIT_OR:
    case SL_QA_BIT_XOR:
        if (c != C_INT && c != C_NULL)
            return no_signature(b, e);
        e->type = sl__ty(SL_BIGINT);
        return sl__expr_coerce(b, &e->args[0], e->type);
    default: /* stddev / variance */
        if (c == C_DATE || c == C_DT)
            return no_signature(b, e);
        e->type = sl__ty(SL_DOUBLE);
        return sl__expr_coerce(b, &e->args[0], e->type);
    }
}

static sl_code bind_group_concat(sl__binder *b, sl_expr *e)
{
    sl_code rc = sl__expr_coerce(b, &e->args[0], sl__ty(SL_STRING));
    e->type = sl__ty(SL_STRING);
    if (rc != SL_OK || e->n_args < 2)
        return rc;
    if ((rc = sl__expr_coerce(b, &e->args[1], sl__ty(SL_STRING))) != SL_OK)
        return rc;
    if (e->args[1]->kind != EK_LIT)
        return sl_fail(b->err, SL_INVALID, "the separator of group_concat must be a constant "
                       "string (position %u)", e->args[1]->pos);
    return SL_OK;
}

/* bitmap_union* take a BITMAP, hll_union* an HLL; ndv any value (hashed as text). */
static sl_code bind_sketch(sl__binder *b, sl_expr *e)
{
    uint8_t id = e->args[0]->type.id;
    bool bm = e->op == SL_QA_BITMAP_UNION || e->op == SL_QA_BITMAP_UNION_COUNT;
    if (e->op == SL_QA_NDV) {
        e->type = sl__ty(SL_BIGINT);
        return sl__cls_of(id) == C_CPLX ? no_signature(b, e)
                                        : sl__expr_coerce(b, &e->args[0], sl__ty(SL_STRING));
    }
    if (sl__cls_of(id) == C_NULL)
        e->args[0]->type = sl__ty(bm ? SL_BITMAP : SL_HLL);
    else if (id != (bm ? SL_BITMAP : SL_HLL))
        return no_signature(b, e);
    e->type = sl__ty(e->op == SL_QA_BITMAP_UNION ? SL_BITMAP
                     : e->op == SL_QA_HLL_UNION  ? SL_HLL
                                                 : SL_BIGINT);
    return SL_OK;
}

sl_code sl__expr_bind_agg(sl__binder *b, sl_expr *e)
{
    if (e->op >= SL_QA_BITMAP_UNION)
        return bind_sketch(b, e);
    switch (e->op) {
    case SL_QA_COUNT: e->type = sl__ty(SL_BIGINT); return SL_OK;
    case SL_QA_SUM:
    case SL_QA_AVG: return bind_sum_avg(b, e);
    case SL_QA_GROUP_CONCAT: return bind_group_concat(b, e);
    default: return bind_other(b, e);
    }
}

/* ---- accumulators ---- */

static const sl_i128 *dec_limit(void)
{
    static sl_i128 lim = 0;
    if (lim == 0)
        lim = sl__pow10(SL__DEC_MAX_PREC);
    return &lim;
}

static sl_code overflow(const sl_expr *agg, sl_err *err)
{
    sl_buf t = SL_BUF_INIT;
    sl__expr_print_type(&agg->type, &t);
    sl_code rc = sl_fail(err, SL_TOO_LARGE, "Arithmetic overflow: %s of these values does not "
                         "fit %s", sl__expr_agg_name(agg->op), t.p ? t.p : "its type");
    sl_buf_free(&t);
    return rc;
}

static sl_code step_sum(const sl_expr *agg, sl_expr_acc *acc, const sl_datum *v, sl_err *err)
{
    int c = sl__cls_of(agg->args[0]->type.id);
    if (c == C_FLOAT) {
        acc->dsum += v->d;
        return SL_OK;
    }
    sl_i128 x = c == C_INT ? (sl_i128)v->i : v->w;
    if (__builtin_add_overflow(acc->isum, x, &acc->isum))
        return overflow(agg, err);
    if (c == C_DEC && (acc->isum >= *dec_limit() || acc->isum <= -*dec_limit()))
        return overflow(agg, err);
    return SL_OK;
}

static sl_code step_concat(const sl_expr *agg, sl_expr_acc *acc, const sl_datum *v,
                           const sl_datum *sep, uint64_t max_bytes, sl_err *err)
{
    sl_slice s = sep ? (sl_slice){sep->s.p, sep->s.n} : SL_LIT(", ");
    size_t add = v->s.n + (acc->n ? s.n : 0);
    if (max_bytes && acc->text.len + add > max_bytes)
        return sl_fail(err, SL_TOO_LARGE, "MEM_LIMIT_EXCEEDED: %s result would exceed %llu bytes "
                       "(the query's value limit)", sl__expr_agg_name(agg->op),
                       (unsigned long long)max_bytes);
    if (acc->n && s.n)
        sl_buf_append(&acc->text, s.p, s.n);
    if (v->s.n)
        sl_buf_append(&acc->text, v->s.p, v->s.n);
    if (acc->text.oom)
        return sl_fail(err, SL_NOMEM, "out of memory in %s", sl__expr_agg_name(agg->op));
    return SL_OK;
}

/* One BITMAP / HLL / ndv value into the accumulator's sketch. */
static sl_code step_sketch(const sl_expr *agg, sl_expr_acc *acc, const sl_datum *v, sl_err *err)
{
    sl_slice s = {v->s.p, v->s.n};
    bool bm = agg->op == SL_QA_BITMAP_UNION || agg->op == SL_QA_BITMAP_UNION_COUNT, ok;
    if (acc->sketch == NULL) {
        acc->sketch = bm ? (void *)sl_bitmap_new() : sl_calloc(sizeof(sl_hll));
        acc->sketch_kind = acc->sketch ? (bm ? 1 : 2) : 0;
    }
    if (acc->sketch == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory in %s", sl__expr_agg_name(agg->op));
    if (bm)
        ok = sl_bitmap_or_bytes(acc->sketch, s);
    else if (agg->op == SL_QA_NDV)
        ok = sl_hll_add_hash(acc->sketch, sl_hll_hash(s.p, s.n));
    else
        ok = sl_hll_or_bytes(acc->sketch, s);
    if (!ok)
        return sl_fail(err, SL_INVALID, "%s: a stored value is not a valid %s",
                       sl__expr_agg_name(agg->op), bm ? "BITMAP" : "HLL");
    return SL_OK;
}

/* The value of a BITMAP / HLL aggregate; the serialized sketch goes into acc->text. */
static sl_code value_sketch(const sl_expr *agg, sl_expr_acc *acc, sl_datum *out, sl_err *err)
{
    bool bm = agg->op == SL_QA_BITMAP_UNION || agg->op == SL_QA_BITMAP_UNION_COUNT;
    if (agg->op == SL_QA_BITMAP_UNION_COUNT) {
        out->i = acc->sketch ? (int64_t)sl_bitmap_count(acc->sketch) : 0;
        return SL_OK;
    }
    if (agg->op != SL_QA_BITMAP_UNION && agg->op != SL_QA_HLL_UNION) {
        out->i = acc->sketch ? sl_hll_estimate(acc->sketch) : 0;
        return SL_OK;
    }
    sl_arena_t a;
    sl_slice r = bm ? sl_bitmap_empty() : SL_LIT("\0");
    sl_hll none = {0};
    sl_arena_init(&a, 4096);
    bool ok = bm ? acc->sketch == NULL || sl_bitmap_write(acc->sketch, &a, &r)
                 : sl_hll_write(acc->sketch ? acc->sketch : &none, &a, &r);
    sl_buf_clear(&acc->text);
    if (ok)
        sl_buf_append(&acc->text, r.p, r.n);
    sl_arena_free(&a);
    if (!ok || acc->text.oom)
        return sl_fail(err, SL_NOMEM, "out of memory in %s", sl__expr_agg_name(agg->op));
    out->s.p = acc->text.p, out->s.n = acc->text.len;
    return SL_OK;
}

sl_code sl_expr_acc_step(const sl_expr *agg, sl_expr_acc *acc, const sl_datum *v,
                         const sl_datum *sep, uint64_t max_bytes, sl_err *err)
{
    sl_code rc = SL_OK;
    if (v == NULL)
        return SL_OK;
    if (agg->op >= SL_QA_BITMAP_UNION) {
        if ((rc = step_sketch(agg, acc, v, err)) == SL_OK)
            acc->n++;
        return rc;
    }
    switch (agg->op) {
    case SL_QA_COUNT: break;
    case SL_QA_SUM:
    case SL_QA_AVG: rc = step_sum(agg, acc, v, err); break;
    case SL_QA_GROUP_CONCAT: rc = step_concat(agg, acc, v, sep, max_bytes, err); break;
    case SL_QA_BIT_AND: acc->isum = acc->n ? (acc->isum & v->i) : v->i; break;
    case SL_QA_BIT_OR: acc->isum |= v->i; break;
    case SL_QA_BIT_XOR: acc->isum ^= v->i; break;
    case SL_QA_STDDEV_POP:
    case SL_QA_STDDEV_SAMP:
    case SL_QA_VAR_POP:
    case SL_QA_VAR_SAMP: { /* one stable pass, as Doris's moments (AggregateFunctionStddev) */
        double d = v->d - acc->mean, r = d / (double)(acc->n + 1);
        acc->mean += r;
        acc->m2 += (double)acc->n * d * r;
        break;
    }
    default: return sl_fail(err, SL_INTERNAL, "aggregate %s has no accumulator",
                            sl__expr_agg_name(agg->op));
    }
    if (rc == SL_OK)
        acc->n++;
    return rc;
}

/* avg of a DECIMAL: sum rescaled to the result scale, divided by n, truncated (Doris). */
static sl_code avg_dec(const sl_expr *agg, const sl_expr_acc *acc, sl_datum *out, sl_err *err)
{
    unsigned from = agg->args[0]->type.scale, to = agg->type.scale;
    sl_i128 s;
    if (__builtin_mul_overflow(acc->isum, sl__pow10(to - from), &s))
        return overflow(agg, err);
    out->w = s / (sl_i128)acc->n;
    return SL_OK;
}

static sl_code value_sum(const sl_expr *agg, const sl_expr_acc *acc, sl_datum *out, sl_err *err)
{
    int c = sl__cls_of(agg->args[0]->type.id);
    bool avg = agg->op == SL_QA_AVG;
    if (c == C_FLOAT) {
        out->d = avg ? acc->dsum / (double)acc->n : acc->dsum;
        return SL_OK;
    }
    if (avg && c == C_DEC)
        return avg_dec(agg, acc, out, err);
    if (avg) {
        out->d = (double)acc->isum / (double)acc->n;
        return SL_OK;
    }
    if (agg->type.id == SL_BIGINT) {
        if (acc->isum > INT64_MAX || acc->isum < INT64_MIN)
            return overflow(agg, err);
        out->i = (int64_t)acc->isum;
    } else {
        out->w = acc->isum;
    }
    return SL_OK;
}

sl_code sl_expr_acc_value(const sl_expr *agg, sl_expr_acc *acc, bool *null, sl_datum *out,
                          sl_err *err)
{
    memset(out, 0, sizeof *out);
    *null = acc->n == 0 && agg->op != SL_QA_COUNT && agg->op < SL_QA_BITMAP_UNION;
    if (*null)
        return SL_OK;
    if (agg->op >= SL_QA_BITMAP_UNION)
        return value_sketch(agg, acc, out, err);
    switch (agg->op) {
    case SL_QA_COUNT: out->i = (int64_t)acc->n; return SL_OK;
    case SL_QA_SUM:
    case SL_QA_AVG: return value_sum(agg, acc, out, err);
    case SL_QA_GROUP_CONCAT:
        out->s.p = acc->text.p ? acc->text.p : "";
        out->s.n = acc->text.len;
        return SL_OK;
    case SL_QA_BIT_AND:
    case SL_QA_BIT_OR:
    case SL_QA_BIT_XOR: out->i = (int64_t)acc->isum; return SL_OK;
    case SL_QA_STDDEV_POP:
    case SL_QA_VAR_POP:
        out->d = acc->m2 / (double)acc->n;
        break;
    case SL_QA_STDDEV_SAMP:
    case SL_QA_VAR_SAMP:
        if (acc->n < 2) {
            *null = true;
            return SL_OK;
        }
        out->d = acc->m2 / (double)(acc->n - 1);
        break;
    default: return sl_fail(err, SL_INTERNAL, "aggregate %s has no accumulator",
                            sl__expr_agg_name(agg->op));
    }
    if (agg->op == SL_QA_STDDEV_POP || agg->op == SL_QA_STDDEV_SAMP)
        out->d = sqrt(out->d < 0 ? 0 : out->d);
    return SL_OK;
}

void sl_expr_acc_free(sl_expr_acc *acc)
{
    if (acc->sketch_kind == 1)
        sl_bitmap_free(acc->sketch);
    else if (acc->sketch_kind == 2)
        sl_hll_free(acc->sketch), sl_free(acc->sketch);
    sl_buf_free(&acc->text);
    memset(acc, 0, sizeof *acc);
}
