/*
 * derive.c - the vectorised half of the mapper: derived columns, `where`, partitions, and the
 * compaction of the batch (load stage, after mapper.c's per-record half).
 *
 *   batch rows [start, n) with source-mapped columns filled
 *     -> each `k = expr` evaluated over the rows' source text vectors, cast to k's type
 *     -> `where` over the target columns: false/NULL rows are unselected
 *     -> partition routing: rows outside the allowed partitions are filtered
 *     -> filtered and unselected rows removed; the rest count as loaded
 *
 * Expression results are never strict-checked (Doris: strict mode concerns only the cast of a
 * source value); NOT NULL and byte lengths are checked as for any value.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../batch/complex.h"
#include "internal.h"

/* Text of a non-NULL value of type t, in buf (>= 64 bytes) unless the value is text itself;
 * complex values in Doris's text form, in a; BITMAP and HLL have none (a NULL slice). */
static sl_slice value_text(const sl_type *t, const sl_datum *v, char *buf, sl_arena_t *a)
{
    size_t n;
    switch ((sl_type_id)t->id) {
    case SL_CHAR: case SL_VARCHAR: case SL_STRING: case SL_JSON: case SL_VARIANT:
        return (sl_slice){v->s.p, v->s.n};
    case SL_ARRAY: case SL_MAP: case SL_STRUCT: {
        sl_buf tb = SL_BUF_INIT;
        sl_cv_format(&tb, t, (sl_slice){v->s.p, v->s.n});
        sl_slice r = tb.oom ? SL_SLICE_NULL : sl_arena_slice(a, (sl_slice){tb.p ? tb.p : "",
                                                                          tb.len});
        sl_buf_free(&tb);
        return r;
    }
    case SL_BITMAP: case SL_HLL: return SL_SLICE_NULL;
    case SL_LARGEINT: n = sl_format_i128(v->w, buf); break;
    case SL_DECIMAL: n = sl_format_decimal(v->w, t->scale, buf); break;
    case SL_FLOAT: n = sl_format_float((float)v->d, buf); break;
    case SL_DOUBLE: n = sl_format_double(v->d, buf); break;
    case SL_DATE: n = sl_format_date(v->i, buf); break;
    case SL_DATETIME: n = sl_format_datetime(v->i, t->precision, buf); break;
    default: n = (size_t)snprintf(buf, 64, "%lld", (long long)v->i); break;
    }
    return (sl_slice){buf, n};
}

static const double pow10d[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,
                                 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};

static bool int_in_range(uint8_t id, int64_t v)
{
    switch (id) {
    case SL_TINYINT: return v >= INT8_MIN && v <= INT8_MAX;
    case SL_SMALLINT: return v >= INT16_MIN && v <= INT16_MAX;
    case SL_INT: return v >= INT32_MIN && v <= INT32_MAX;
    case SL_BOOLEAN: return true;
    default: return true;
    }
}

/* Direct conversions between numeric and date classes, avoiding the text round trip:
 * 1 = done, 0 = the value does not fit (NULL, as the text cast would give), -1 = no direct
 * route. Rounding follows the load casts: half away from zero into DECIMAL. */
static int numeric_cast(const sl_type *rt, const sl_datum *v, const sl_type *tt, sl_datum *out)
{
    bool r_int = rt->id <= SL_BIGINT || rt->id == SL_BOOLEAN;
    bool t_int = tt->id <= SL_BIGINT || tt->id == SL_BOOLEAN;
    if (r_int && t_int) {
        if (tt->id == SL_BOOLEAN) {
            out->i = v->i != 0;
            return 1;
        }
        if (!int_in_range(tt->id, v->i))
            return 0;
        out->i = v->i;
        return 1;
    }
    if (r_int && (tt->id == SL_DOUBLE || tt->id == SL_FLOAT)) {
        out->d = tt->id == SL_FLOAT ? (double)(float)v->i : (double)v->i;
        return 1;
    }
    if (rt->id == SL_DOUBLE && tt->id == SL_FLOAT) {
        out->d = (double)(float)v->d;
        return 1;
    }
    if ((rt->id == SL_DOUBLE || rt->id == SL_FLOAT) && tt->id == SL_DECIMAL &&
        tt->precision <= 18) {
        double x = v->d * pow10d[tt->scale];
        if (!(x > -1e18 && x < 1e18))
            return 0;
        double ax = fabs(x), frac = ax - floor(ax);
        if (fabs(frac - 0.5) < 1e-6)
            return -1; /* a near tie (1.005 is 1.00499..): the shortest text decides, as before */
        double r = x < 0 ? -floor(ax + 0.5) : floor(ax + 0.5);
        if (fabs(r) >= pow10d[tt->precision])
            return 0;
        out->w = (sl_i128)(int64_t)r;
        return 1;
    }
    if (r_int && tt->id == SL_DECIMAL && tt->precision <= 18) {
        sl_i128 w = (sl_i128)v->i * (sl_i128)(int64_t)pow10d[tt->scale];
        if (w >= (sl_i128)(int64_t)pow10d[tt->precision] ||
            w <= -(sl_i128)(int64_t)pow10d[tt->precision])
            return 0;
        out->w = w;
        return 1;
    }
    if (rt->id == SL_DATETIME && tt->id == SL_DATE) {
        int64_t d = v->i / 86400000000LL;
        out->i = (v->i % 86400000000LL < 0) ? d - 1 : d;
        return 1;
    }
    if (rt->id == SL_DATE && tt->id == SL_DATETIME) {
        out->i = v->i * 86400000000LL;
        return 1;
    }
    return -1;
}

/* A result of type rt is stored as it is into a column of type tt. */
static bool stores_as_is(const sl_type *rt, const sl_type *tt)
{
    if (sl_type_is_complex(tt) || tt->id == SL_VARIANT)
        return sl_type_equal(rt, tt);
    return rt->id == tt->id && !sl_type_is_text(tt) &&
           (tt->id != SL_DECIMAL || rt->scale == tt->scale) && tt->id != SL_FLOAT;
}

/* Cast result k of res into column c of batch row `row`. NULL or the error reason. */
static const char *coerce(sl_mapper *m, sl_batch *b, size_t row, size_t c, const sl_vec *res,
                          size_t k, char *why, size_t cap)
{
    const sl_type *rt = &res->type, *tt = &m->def->cols[c].type;
    if (res->null && res->null[k]) {
        static const sl_slice null_slice = {NULL, 0};
        return sl__mapper_put_text(m, b, row, c, &null_slice, false, why, cap);
    }
    if (stores_as_is(rt, tt)) {
        b->cols[c].v[row] = res->v[k];
        b->cols[c].null[row] = 0;
        return NULL;
    }
    switch (numeric_cast(rt, &res->v[k], tt, &b->cols[c].v[row])) {
    case 1:
        b->cols[c].null[row] = 0;
        return NULL;
    case 0: {
        static const sl_slice null_slice = {NULL, 0};
        return sl__mapper_put_text(m, b, row, c, &null_slice, false, why, cap);
    }
    default:
        break; /* no direct route: through text */
    }
    char buf[64];
    sl_slice text = value_text(rt, &res->v[k], buf, &b->arena);
    if (text.p == buf && sl_type_has_bytes(tt)) {
        text = sl_arena_slice(&b->arena, text); /* the batch keeps formatted text */
        if (text.p == NULL)
            return "out of memory";
    }
    return sl__mapper_put_text(m, b, row, c, &text, false, why, cap);
}

/* The vectors an expression reads for batch rows [start, ...): the source text vectors
 * (on_sources) or the target columns. Allocated in the batch arena; NULL when out of memory. */
static sl_vec *window(const sl_mapper *m, sl_batch *b, size_t start, bool on_sources)
{
    size_t nv = on_sources ? m->n_src : b->n_cols;
    sl_vec *w = sl_arena_alloc(&b->arena, (nv + 1) * sizeof *w);
    if (w == NULL)
        return NULL;
    if (on_sources)
        for (size_t i = 0; i < m->n_src; i++)
            w[i] = m->src_used[i] ? (sl_vec){m->srcv[i].type, m->srcv[i].v + start,
                                             m->srcv[i].null + start}
                                  : m->srcv[i];
    else
        for (size_t c = 0; c < b->n_cols; c++)
            w[c] = (sl_vec){m->def->cols[c].type, b->cols[c].v + start, b->cols[c].null + start};
    return w;
}

static sl_code eval_derived(sl_mapper *m, sl_batch *b, size_t start, size_t n, uint8_t *sel,
                            sl_err *err)
{
    char why[SL_ERR_MSG_MAX];
    sl_vec *src = window(m, b, start, true);
    if (src == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    for (size_t c = 0; c < m->def->n_cols; c++) {
        if (m->col_expr[c] == NULL)
            continue;
        sl_vec out;
        sl_code rc = sl_expr_eval(m->col_expr[c], src, n, sel, &m->ectx, &b->arena, &out, err);
        if (rc != SL_OK)
            return rc;
        bool as_is = stores_as_is(&out.type, &m->def->cols[c].type);
        for (size_t k = 0; k < n; k++) {
            if (!sel[k])
                continue;
            if (as_is && (out.null == NULL || !out.null[k])) { /* no per-row dispatch */
                b->cols[c].v[start + k] = out.v[k];
                b->cols[c].null[start + k] = 0;
                continue;
            }
            const char *e = coerce(m, b, start + k, c, &out, k, why, sizeof why);
            if (e) {
                sel[k] = 0;
                m->dead[start + k] = 1;
                sl__mapper_reject(m, m->rowraw[start + k], e);
            }
        }
    }
    return SL_OK;
}

static sl_code eval_where(sl_mapper *m, sl_batch *b, size_t start, size_t n, uint8_t *sel,
                          sl_err *err)
{
    sl_vec *cols = window(m, b, start, m->spec->where_on_sources);
    uint8_t *keep = sl_arena_alloc(&b->arena, n + 1);
    if (cols == NULL || keep == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    sl_code rc = sl_expr_filter(m->where, cols, n, sel, &m->ectx, &b->arena, keep, err);
    if (rc != SL_OK)
        return rc;
    for (size_t k = 0; k < n; k++)
        if (sel[k] && !keep[k]) {
            sel[k] = 0;
            m->dead[start + k] = 2;
            m->unselected++;
        }
    return SL_OK;
}

/* merge_type DELETE: every row deletes its key; MERGE: rows where `delete` holds do. */
static sl_code mark_deletes(sl_mapper *m, sl_batch *b, size_t start, size_t n, const uint8_t *sel,
                           sl_err *err)
{
    if (m->spec->merge_type == SL_MERGE_APPEND)
        return SL_OK;
    b->has_del = true;
    if (m->del == NULL) {
        memset(b->del + start, 1, n);
        return SL_OK;
    }
    sl_vec *cols = window(m, b, start, m->del_on_sources);
    if (cols == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    return sl_expr_filter(m->del, cols, n, sel, &m->ectx, &b->arena, b->del + start, err);
}

/* Remove dead rows from [start, n_rows) by moving the live ones down. */
static void compact(sl_mapper *m, sl_batch *b, size_t start)
{
    size_t w = start;
    for (size_t r = start; r < b->n_rows; r++) {
        if (m->dead[r])
            continue;
        if (w != r) {
            for (size_t c = 0; c < b->n_cols; c++) {
                b->cols[c].v[w] = b->cols[c].v[r];
                b->cols[c].null[w] = b->cols[c].null[r];
            }
            m->rowraw[w] = m->rowraw[r];
            b->del[w] = b->del[r];
        }
        w++;
    }
    m->loaded += w - start;
    b->n_rows = w;
}

sl_code sl__mapper_finish_rows(sl_mapper *m, sl_batch *b, size_t start, sl_err *err)
{
    size_t n = b->n_rows - start;
    if (n == 0)
        return SL_OK;
    memset(m->dead + start, 0, n);
    bool exprs = m->srcv || m->where || m->del;
    uint8_t *sel = exprs ? sl_arena_alloc(&b->arena, n) : NULL;
    if (exprs && sel == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    if (sel)
        memset(sel, 1, n);
    sl_code rc = SL_OK;
    if (m->srcv)
        rc = eval_derived(m, b, start, n, sel, err);
    if (rc == SL_OK && m->where)
        rc = eval_where(m, b, start, n, sel, err);
    if (rc == SL_OK)
        rc = mark_deletes(m, b, start, n, sel, err);
    if (rc != SL_OK)
        return rc;
    if (m->parts) {
        char why[SL_ERR_MSG_MAX];
        for (size_t r = start; r < b->n_rows; r++) {
            if (m->dead[r])
                continue;
            const char *e = sl__mapper_check_partition(m, b, r, why, sizeof why);
            if (e) {
                m->dead[r] = 1;
                sl__mapper_reject(m, m->rowraw[r], e);
            }
        }
    }
    compact(m, b, start);
    return SL_OK;
}
