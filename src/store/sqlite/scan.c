/*
 * scan.c - the vectorised scan: a checked SELECT over a DUPLICATE KEY table run in C over its
 * segments' column chunks (store stage; query.c tries it before SQLite).
 *
 *   segments --row groups whose bounds pass the WHERE's simple terms--> chunks of the WHERE's
 *   columns --slices of rows--> WHERE (`column op constant` terms in loops of scan_pred.c, the
 *   rest by the expression engine) --rows left?--> the other columns' chunks --slices--> one of:
 *     plain rows, no ORDER BY   outputs evaluated and sent at once; stops at LIMIT + OFFSET
 *     plain rows, ORDER BY      outputs and keys kept, pruned to LIMIT + OFFSET as it goes
 *     GROUP BY, aggregates,     hash table of groups with the engine's accumulators, then
 *     DISTINCT                  HAVING, outputs and ORDER BY over the groups (scan_agg.c)
 *
 * The answers are SQLite's: every expression is evaluated by the same engine the SQLite path
 * calls for what it cannot compute natively, comparisons and ordering follow the v2 encoding
 * (NULLs first ascending, text by bytes), a double that comes out NaN is NULL as SQLite makes
 * it (stored NaN values, which SQLite holds as the text 'NaN', send the query to SQLite, as do
 * queries touching ARRAY, MAP, STRUCT, VARIANT, BITMAP or HLL values or with a long IN list),
 * GROUP BY without ORDER BY returns the groups in key order and DISTINCT in first-seen order,
 * as SQLite's plans do, and the limits and their messages are the SQLite path's. When
 * kept rows or groups would pass the budget, the scan stops before anything was sent and the
 * query goes to SQLite, which spills to temporary files.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../core/platform.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../core/mem.h"
#include "internal.h"

/* Text-making expressions are evaluated this many rows at a time: each value may be 1 MiB. */
#define SLICE_ROWS 4096
#define SLICE_TEXT 64
/* Rows an ORDER BY keeps at most (a LIMIT prunes them as they come): a result sorted whole
 * streams out of SQLite's external sort in flat memory rather than being held here first
 * (issue 26: a 5 M-row sorted dump grows the server by a few MiB, not 200). */
#define SORT_HELD (32u << 20)
/* Arguments of one expression node the scan evaluates at most (see sqlite_only). */
#define MAX_ARGS 64

/* ---- reading slices ------------------------------------------------------------------------- */

static sl_code timed_out(sq_scan *sc)
{
    if (sl__sq_mono_ms() < sc->deadline_ms)
        return SL_OK;
    return sl_fail(sc->err, SL_TIMEOUT, "Query exceeded time limit of %u seconds",
                   sc->lim.timeout_s);
}

/* Decode the columns in want (not yet decoded for this row group) into sc->cv. */
static sl_code decode(sq_scan *sc, sq_segr *r, size_t rg, const uint8_t *want, uint8_t *done)
{
    for (size_t c = 0; c < sc->def->n_cols; c++) {
        if (!want[c] || done[c])
            continue;
        sl_code rc = sl__sq_segr_column(r, rg, c, &sc->def->cols[c].type, &sc->cv[c], sc->err);
        if (rc != SL_OK)
            return rc;
        done[c] = 1;
    }
    return SL_OK;
}

static void set_slice(sq_scan *sc, size_t off)
{
    for (size_t c = 0; c < sc->def->n_cols; c++) {
        sc->cols[c].type = sc->def->cols[c].type;
        sc->cols[c].v = sc->used[c] ? sc->cv[c].v + off : NULL;
        sc->cols[c].null = sc->used[c] ? sc->cv[c].null + off : NULL;
    }
}

/* keep[0..n) = the row passes the WHERE (and a plain query's HAVING); how many do. The
 * simple conjuncts run first in the scan's own loops, the others through the engine over the
 * rows still kept. */
static sl_code filter(sq_scan *sc, size_t n, uint8_t *keep, size_t *kept)
{
    const sl_expr_ctx *ctx = &sc->sel->ctx;
    size_t k = 0;
    sl__sq_preds_apply(sc, n, keep);
    for (size_t j = 0; j < sc->n_rest; j++) {
        for (k = 0; k < n && !keep[k]; k++)
            ;
        if (k == n)
            break; /* nothing left to test */
        uint8_t *out = sl_arena_alloc(&sc->tmp, n);
        if (out == NULL)
            return sl_fail(sc->err, SL_NOMEM, "out of memory running a query");
        sl_code rc = sl_expr_filter(sc->rest[j], sc->cols, n, keep, ctx, &sc->tmp, out, sc->err);
        if (rc != SL_OK)
            return rc;
        memcpy(keep, out, n); /* rows not selected came out 0 */
    }
    for (size_t i = 0; i < n; i++)
        *kept += keep[i];
    return SL_OK;
}

/* One row group: the WHERE on its columns first, the rest only when rows pass. */
static sl_code each_in_rg(sq_scan *sc, sq_segr *r, size_t rg, sq_slice_fn fn, void *st,
                          bool *stop)
{
    size_t n = r->rg_rows[rg], kept = 0;
    uint8_t *dec = sc->decoded;
    memset(dec, 0, sc->def->n_cols + 1);
    sl_code rc = decode(sc, r, rg, sc->used_where, dec);
    for (size_t off = 0; rc == SL_OK && off < n; off += sc->slice) {
        size_t k = n - off < sc->slice ? n - off : sc->slice;
        set_slice(sc, off);
        rc = filter(sc, k, sc->keep + off, &kept);
        sl_arena_reset(&sc->tmp);
    }
    if (rc != SL_OK || kept == 0)
        return rc;
    if ((rc = decode(sc, r, rg, sc->used, dec)) != SL_OK)
        return rc;
    for (size_t off = 0; rc == SL_OK && !*stop && off < n; off += sc->slice) {
        size_t k = n - off < sc->slice ? n - off : sc->slice;
        set_slice(sc, off);
        rc = fn(sc, st, k, sc->keep + off, stop);
        sl_arena_reset(&sc->tmp);
        if (rc == SL_OK)
            rc = timed_out(sc);
    }
    return rc;
}

sl_code sl__sq_scan_each(sq_scan *sc, sq_slice_fn fn, void *st)
{
    bool stop = false;
    sl_code rc = SL_OK;
    for (size_t s = 0; rc == SL_OK && !stop && s < sc->n_seg; s++) {
        sq_segr *r = &sc->seg[s];
        for (size_t rg = 0; rc == SL_OK && !stop && rg < r->n_rg; rg++) {
            if (sl__sq_rg_skipped(sc, r, rg))
                continue;
            rc = each_in_rg(sc, r, rg, fn, st, &stop);
            sl_arena_reset(&sc->tmp);
        }
    }
    return rc;
}

sl_code sl__sq_scan_eval(sq_scan *sc, const sl_expr *e, const sl_vec *cols, size_t n,
                         const uint8_t *keep, sl_vec *out)
{
    sl_code rc = sl_expr_eval(e, cols, n, keep, &sc->sel->ctx, &sc->tmp, out, sc->err);
    if (rc != SL_OK || sl_expr_kind_of(e) == SL_E_COL)
        return rc;
    if (sl_type_is_text(&out->type)) { /* as the SQLite path's functions check their results */
        for (size_t i = 0; i < n; i++)
            if (!(out->null && out->null[i]) && out->v[i].s.n > sc->lim.max_bytes)
                return sl_fail(sc->err, SL_TOO_LARGE, "MEM_LIMIT_EXCEEDED: a value of %zu "
                               "bytes exceeds the query's limit of %llu bytes", out->v[i].s.n,
                               (unsigned long long)sc->lim.max_bytes);
    } else if (out->type.id == SL_DOUBLE || out->type.id == SL_FLOAT) {
        uint8_t *nl = NULL; /* NaN is NULL in SQLite */
        for (size_t i = 0; i < n; i++) {
            if ((out->null && out->null[i]) || !isnan(out->v[i].d))
                continue;
            if (nl == NULL) {
                if ((nl = sl_arena_alloc(&sc->tmp, n)) == NULL)
                    return sl_fail(sc->err, SL_NOMEM, "out of memory running a query");
                if (out->null)
                    memcpy(nl, out->null, n);
                else
                    memset(nl, 0, n);
            }
            nl[i] = 1;
        }
        if (nl)
            out->null = nl;
    }
    return SL_OK;
}

/* ---- rows kept for sorting ------------------------------------------------------------------ */

sl_code sl__sq_rows_init(sq_rows *r, size_t width)
{
    memset(r, 0, sizeof *r);
    r->width = width ? width : 1;
    sl_arena_init(&r->a, 0);
    return SL_OK;
}

void sl__sq_rows_free(sq_rows *r)
{
    sl_free(r->v);
    sl_free(r->null);
    sl_arena_free(&r->a);
    memset(r, 0, sizeof *r);
}

static bool rows_grow(sq_rows *r)
{
    if (r->n < r->cap)
        return true;
    size_t cap = r->cap ? r->cap * 2 : 256;
    sl_datum *v = sl_realloc(r->v, cap * r->width * sizeof *v);
    if (v)
        r->v = v;
    uint8_t *nl = sl_realloc(r->null, cap * r->width);
    if (nl)
        r->null = nl;
    if (v == NULL || nl == NULL)
        return false;
    r->bytes += (cap - r->cap) * r->width * (sizeof *v + 1);
    r->cap = cap;
    return true;
}

/* Copy a text value into the rows' arena. */
static bool keep_text(sq_rows *r, sl_datum *v)
{
    if (v->s.n == 0)
        return true;
    char *p = sl_arena_alloc(&r->a, v->s.n);
    if (p == NULL)
        return false;
    memcpy(p, v->s.p, v->s.n);
    v->s.p = p;
    r->bytes += v->s.n;
    return true;
}

static int row_cmp(const sq_rows *r, uint32_t a, uint32_t b);

sl_code sl__sq_rows_add(sq_rows *r, const sl_vec *vecs, size_t i, const sl_type *types)
{
    if (!rows_grow(r))
        return SL_NOMEM;
    sl_datum *v = r->v + r->n * r->width;
    uint8_t *nl = r->null + r->n * r->width;
    for (size_t c = 0; c < r->width; c++) {
        nl[c] = vecs[c].null && vecs[c].null[i];
        v[c] = nl[c] ? (sl_datum){0} : vecs[c].v[i];
    }
    /* after a prune: a row not before the last one kept cannot make the LIMIT (ties keep the
     * earlier row, as the stable sort does) */
    if (r->bounded && row_cmp(r, (uint32_t)r->n, (uint32_t)r->bound) >= 0)
        return SL_OK;
    for (size_t c = 0; c < r->width; c++)
        if (!nl[c] && sl_type_is_text(&types[c]) && !keep_text(r, &v[c]))
            return SL_NOMEM;
    r->n++;
    return SL_OK;
}

void sl__sq_rows_order(sq_rows *r, const sq_sortkey *keys, size_t n_keys)
{
    r->keys = keys;
    r->n_keys = n_keys;
}

static int row_cmp(const sq_rows *r, uint32_t a, uint32_t b)
{
    for (size_t k = 0; k < r->n_keys; k++) {
        const sq_sortkey *key = &r->keys[k];
        size_t ia = a * r->width + key->col, ib = b * r->width + key->col;
        bool na = r->null[ia], nb = r->null[ib];
        int c;
        if (na || nb) {
            bool first = key->nulls ? key->nulls == 1 : !key->desc; /* NULLs are smallest */
            c = na == nb ? 0 : (na ? -1 : 1) * (first ? 1 : -1);
            if (c)
                return c;
            continue;
        }
        c = sl__sq_cmp(&key->type, &r->v[ia], &r->v[ib]);
        if (c)
            return key->desc ? -c : c;
    }
    return 0;
}

/* Stable merge sort of idx[0..n) (tmp: n entries). */
static void merge_sort(const sq_rows *x, uint32_t *idx, uint32_t *tmp, size_t n)
{
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, o = lo;
            while (i < mid && j < hi)
                tmp[o++] = row_cmp(x, idx[j], idx[i]) < 0 ? idx[j++] : idx[i++];
            while (i < mid)
                tmp[o++] = idx[i++];
            while (j < hi)
                tmp[o++] = idx[j++];
        }
        memcpy(idx, tmp, n * sizeof *idx);
    }
}

/* The rows' order (heap, n entries) by their keys. */
static uint32_t *sorted(const sq_rows *r)
{
    uint32_t *idx = sl_malloc((r->n + 1) * sizeof *idx), *tmp = sl_malloc((r->n + 1) * 4);
    if (idx == NULL || tmp == NULL) {
        sl_free(idx), sl_free(tmp);
        return NULL;
    }
    for (size_t i = 0; i < r->n; i++)
        idx[i] = (uint32_t)i;
    if (r->n_keys)
        merge_sort(r, idx, tmp, r->n);
    sl_free(tmp);
    return idx;
}

sl_code sl__sq_rows_prune(sq_rows *r, size_t k, const sl_type *types, sl_err *err)
{
    if (r->n <= k)
        return SL_OK;
    uint32_t *idx = sorted(r);
    sq_rows nr;
    sl__sq_rows_init(&nr, r->width);
    sl__sq_rows_order(&nr, r->keys, r->n_keys);
    sl_code rc = idx ? SL_OK : sl_fail(err, SL_NOMEM, "out of memory sorting");
    for (size_t i = 0; rc == SL_OK && i < k; i++) {
        if (!rows_grow(&nr)) {
            rc = sl_fail(err, SL_NOMEM, "out of memory sorting");
            break;
        }
        sl_datum *v = nr.v + nr.n * nr.width;
        memcpy(v, r->v + (size_t)idx[i] * r->width, r->width * sizeof *v);
        memcpy(nr.null + nr.n * nr.width, r->null + (size_t)idx[i] * r->width, r->width);
        for (size_t c = 0; c < r->width; c++)
            if (!nr.null[nr.n * nr.width + c] && sl_type_is_text(&types[c]) &&
                !keep_text(&nr, &v[c]))
                rc = sl_fail(err, SL_NOMEM, "out of memory sorting");
        nr.n++;
    }
    sl_free(idx);
    if (rc != SL_OK) {
        sl__sq_rows_free(&nr);
        return rc;
    }
    sl__sq_rows_free(r);
    *r = nr;
    r->bounded = k > 0;
    r->bound = k - 1; /* the rows are now in order: the last is the bound */
    return SL_OK;
}

sl_code sl__sq_scan_meta(sq_scan *sc)
{
    const sl_select *sel = sc->sel;
    if (sc->meta_sent)
        return SL_OK;
    sc->meta_sent = true;
    sl_qcol *cols = sl_calloc((sel->n_out + 1) * sizeof *cols);
    if (cols == NULL)
        return sl_fail(sc->err, SL_NOMEM, "out of memory");
    for (size_t i = 0; i < sel->n_out; i++)
        cols[i] = (sl_qcol){sel->out[i].name, sel->out[i].type};
    sl_code rc = sc->sink->meta(sc->sink->arg, cols, sel->n_out);
    sl_free(cols);
    return rc;
}

/* Rows [offset, offset + limit) of the whole result, in order. */
static void window(const sl_select *sel, uint64_t n, uint64_t *from, uint64_t *to)
{
    *from = sel->has_limit ? sel->offset : 0;
    *to = n;
    if (sel->has_limit && sel->limit < n - (*from < n ? *from : n))
        *to = *from + sel->limit;
}

sl_code sl__sq_rows_emit(sq_scan *sc, sq_rows *r)
{
    const sl_select *sel = sc->sel;
    uint32_t *idx = sorted(r);
    sl_code rc = idx ? sl__sq_scan_meta(sc) : sl_fail(sc->err, SL_NOMEM, "out of memory sorting");
    uint64_t from, to;
    window(sel, r->n, &from, &to);
    for (uint64_t i = from; rc == SL_OK && i < to; i++) {
        const sl_datum *v = r->v + (size_t)idx[i] * r->width;
        const uint8_t *nl = r->null + (size_t)idx[i] * r->width;
        for (size_t c = 0; c < sel->n_out; c++)
            sc->vals[c] = (sl_qval){nl[c] != 0, v[c]};
        rc = sl__sq_emit(sel, &sc->lim, sc->vals, &sc->rows, &sc->bytes, sc->sink, sc->err);
    }
    sl_free(idx);
    return rc;
}

/* ---- plain rows ------------------------------------------------------------------------------ */

typedef struct plain {
    sl_vec *vec;                /* n_out (+ n_order) evaluated per slice */
    sl_type *types;
    uint64_t skipped, sent;     /* streaming: OFFSET rows skipped, rows sent */
    sq_rows rows;               /* ORDER BY: rows kept */
    sq_sortkey *keys;
    size_t k;                   /* ORDER BY ... LIMIT: rows worth keeping */
} plain;

static sl_code stream_slice(sq_scan *sc, void *arg, size_t n, const uint8_t *keep, bool *stop)
{
    plain *p = arg;
    const sl_select *sel = sc->sel;
    sl_code rc = SL_OK;
    for (size_t i = 0; rc == SL_OK && i < sel->n_out; i++)
        rc = sl__sq_scan_eval(sc, sel->out[i].expr, sc->cols, n, keep, &p->vec[i]);
    for (size_t r = 0; rc == SL_OK && r < n; r++) {
        if (!keep[r])
            continue;
        if (sel->has_limit && p->skipped < sel->offset) {
            p->skipped++;
            continue;
        }
        for (size_t i = 0; i < sel->n_out; i++) {
            bool null = p->vec[i].null && p->vec[i].null[r];
            sc->vals[i] = (sl_qval){null, null ? (sl_datum){0} : p->vec[i].v[r]};
        }
        rc = sl__sq_emit(sel, &sc->lim, sc->vals, &sc->rows, &sc->bytes, sc->sink, sc->err);
        if (rc == SL_OK && sel->has_limit && ++p->sent >= sel->limit) {
            *stop = true;
            break;
        }
    }
    return rc;
}

static sl_code sorted_slice(sq_scan *sc, void *arg, size_t n, const uint8_t *keep, bool *stop)
{
    plain *p = arg;
    const sl_select *sel = sc->sel;
    sl_code rc = SL_OK;
    (void)stop;
    for (size_t i = 0; rc == SL_OK && i < sel->n_out; i++)
        rc = sl__sq_scan_eval(sc, sel->out[i].expr, sc->cols, n, keep, &p->vec[i]);
    for (size_t j = 0; rc == SL_OK && j < sel->n_order; j++)
        rc = sl__sq_scan_eval(sc, sel->order[j].expr, sc->cols, n, keep, &p->vec[sel->n_out + j]);
    for (size_t r = 0; rc == SL_OK && r < n; r++)
        if (keep[r] && sl__sq_rows_add(&p->rows, p->vec, r, p->types) != SL_OK)
            rc = sl_fail(sc->err, SL_NOMEM, "out of memory running a query");
    if (rc == SL_OK && p->k < SIZE_MAX / 4 && p->rows.n >= 2 * p->k + 1024)
        rc = sl__sq_rows_prune(&p->rows, p->k, p->types, sc->err);
    if (rc == SL_OK && (p->rows.bytes > sc->budget || p->rows.bytes > SORT_HELD))
        return SL_AGAIN; /* SQLite sorts it in temporary files */
    return rc;
}

static sl_code run_plain(sq_scan *sc)
{
    const sl_select *sel = sc->sel;
    size_t w = sel->n_out + sel->n_order;
    plain p = {0};
    p.vec = sl_calloc((w + 1) * sizeof *p.vec);
    p.types = sl_calloc((w + 1) * sizeof *p.types);
    p.keys = sl_calloc((sel->n_order + 1) * sizeof *p.keys);
    sl_code rc = p.vec && p.types && p.keys ? SL_OK : sl_fail(sc->err, SL_NOMEM, "oom");
    for (size_t i = 0; rc == SL_OK && i < sel->n_out; i++)
        p.types[i] = sl_expr_type(sel->out[i].expr);
    for (size_t j = 0; rc == SL_OK && j < sel->n_order; j++) {
        p.types[sel->n_out + j] = sl_expr_type(sel->order[j].expr);
        p.keys[j] = (sq_sortkey){sel->n_out + j, p.types[sel->n_out + j], sel->order[j].desc,
                                 sel->order[j].nulls};
    }
    p.k = sel->has_limit && sel->limit < SIZE_MAX / 8 && sel->offset < SIZE_MAX / 8
              ? (size_t)(sel->limit + sel->offset)
              : SIZE_MAX;
    if (rc == SL_OK && sel->n_order == 0) {
        rc = sl__sq_scan_meta(sc);
        if (rc == SL_OK && !(sel->has_limit && sel->limit == 0))
            rc = sl__sq_scan_each(sc, stream_slice, &p);
    } else if (rc == SL_OK) {
        sl__sq_rows_init(&p.rows, w);
        sl__sq_rows_order(&p.rows, p.keys, sel->n_order);
        rc = sl__sq_scan_each(sc, sorted_slice, &p);
        if (rc == SL_OK)
            rc = sl__sq_rows_emit(sc, &p.rows);
        sl__sq_rows_free(&p.rows);
    }
    sl_free(p.vec), sl_free(p.types), sl_free(p.keys);
    return rc;
}

/* ---- the query ------------------------------------------------------------------------------- */

static bool makes_text(const sl_expr *e)
{
    if (e == NULL)
        return false;
    sl_expr_kind k = sl_expr_kind_of(e);
    sl_type t = sl_expr_type(e);
    if (k != SL_E_COL && k != SL_E_LIT && sl_type_is_text(&t))
        return true;
    for (size_t i = 0; i < sl_expr_n_args(e); i++)
        if (makes_text(sl_expr_arg(e, i)))
            return true;
    return false;
}

/* Is e (or any part of it) left to SQLite? A type held as bytes that are not text - ARRAY,
 * MAP, STRUCT, BITMAP, HLL - or VARIANT: the row path's functions and the keyed merges have
 * always computed those there. A node of more than MAX_ARGS arguments (a long IN list): the
 * engine would evaluate every element for every row, where SQLite looks rows up in an index
 * of the list. */
static bool sqlite_only(const sl_expr *e)
{
    if (e == NULL)
        return false;
    sl_type t = sl_expr_type(e);
    if ((sl_type_has_bytes(&t) && !sl_type_is_text(&t)) || sl_expr_n_args(e) > MAX_ARGS)
        return true;
    for (size_t i = 0; i < sl_expr_n_args(e); i++)
        if (sqlite_only(sl_expr_arg(e, i)))
            return true;
    return false;
}

/* Does the query read such a column or have such an expression anywhere? */
static bool leave_to_sqlite(const sq_scan *sc)
{
    const sl_select *sel = sc->sel;
    bool any = sqlite_only(sel->where) || sqlite_only(sel->having);
    for (size_t i = 0; i < sel->n_out; i++)
        any |= sqlite_only(sel->out[i].expr);
    for (size_t i = 0; i < sel->n_group; i++)
        any |= sqlite_only(sel->group[i]);
    for (size_t i = 0; i < sel->n_order; i++)
        any |= sqlite_only(sel->order[i].expr);
    for (size_t c = 0; c < sc->def->n_cols; c++) {
        const sl_type *t = &sc->def->cols[c].type;
        any |= sc->used[c] && sl_type_has_bytes(t) && !sl_type_is_text(t);
    }
    return any;
}

/* Columns read, slice size, skipping terms. */
static void plan(sq_scan *sc)
{
    const sl_select *sel = sc->sel;
    size_t n = sc->def->n_cols;
    bool text = false;
    sc->filters[0] = sel->where;
    sc->filters[1] = sel->having && !sel->aggregate ? sel->having : NULL;
    for (size_t k = 0; k < 2; k++) {
        sl_expr_uses(sc->filters[k], sc->used_where, n);
        text |= makes_text(sc->filters[k]);
    }
    for (size_t i = 0; i < sel->n_out; i++)
        sl_expr_uses(sel->out[i].expr, sc->used, n), text |= makes_text(sel->out[i].expr);
    for (size_t i = 0; i < sel->n_group; i++)
        sl_expr_uses(sel->group[i], sc->used, n), text |= makes_text(sel->group[i]);
    for (size_t i = 0; i < sel->n_order; i++)
        sl_expr_uses(sel->order[i].expr, sc->used, n), text |= makes_text(sel->order[i].expr);
    if (sel->having)
        sl_expr_uses(sel->having, sc->used, n), text |= makes_text(sel->having);
    for (size_t c = 0; c < n; c++)
        sc->used[c] |= sc->used_where[c];
    sc->slice = text ? SLICE_TEXT : SLICE_ROWS;
}

static sl_code setup(sq_scan *sc)
{
    size_t n = sc->def->n_cols + 1;
    sl_arena_init(&sc->tmp, 0);
    sc->used = sl_calloc(n);
    sc->used_where = sl_calloc(n);
    sc->cv = sl_calloc(n * sizeof *sc->cv);
    sc->cols = sl_calloc(n * sizeof *sc->cols);
    sc->keep = sl_malloc(SQ_RG_ROWS);
    sc->decoded = sl_malloc(n);
    sc->rest = sl_calloc(SQ_MAX_PREDS * sizeof *sc->rest);
    sc->vals = sl_calloc((sc->sel->n_out + 1) * sizeof *sc->vals);
    if (!sc->used || !sc->used_where || !sc->cv || !sc->cols || !sc->keep || !sc->vals ||
        !sc->decoded || !sc->rest)
        return sl_fail(sc->err, SL_NOMEM, "out of memory running a query");
    plan(sc);
    return sl__sq_plan_where(sc);
}

static void teardown(sq_scan *sc)
{
    for (size_t c = 0; sc->cv && c < sc->def->n_cols; c++)
        sl__sq_colvec_free(&sc->cv[c]);
    sl__sq_segments_close(sc->seg, sc->n_seg);
    sl_free(sc->used), sl_free(sc->used_where), sl_free(sc->cv), sl_free(sc->cols);
    sl_free(sc->keep), sl_free(sc->skip), sl_free(sc->vals), sl_free(sc->decoded);
    sl_free(sc->preds), sl_free(sc->rest);
    sl_arena_free(&sc->tmp);
}

/* Does a column the query reads hold a NaN (a chunk whose upper bound is NaN)? Such queries
 * are left to SQLite: there NaN is the text 'NaN', with the text's order, equality and
 * arithmetic, which the expression engine's doubles do not follow. */
static bool reads_nan(const sq_scan *sc)
{
    for (size_t k = 0; k < sc->n_seg; k++) {
        const sq_segr *r = &sc->seg[k];
        for (size_t c = 0; c < sc->def->n_cols && c < r->n_cols; c++) {
            if (!sc->used[c] || sl__sq_class(&sc->def->cols[c].type) != SQ_F64)
                continue;
            for (size_t rg = 0; rg < r->n_rg; rg++) {
                const sq_stats *st = &r->st[rg * r->n_cols + c];
                if (st->has_minmax && isnan(st->hi.d))
                    return true;
            }
        }
    }
    return false;
}

sl_code sl__sq_scan(sl_engine *s, const sl_etable *t, const sl_select *sel,
                    const sl_query_limits *lim, const sl_query_sink *sink, sl_err *err)
{
    if (t == NULL || !sel->bound || sel->def == NULL || sl__sq_keyed(t->def) ||
        (sel->distinct && sel->aggregate))
        return SL_AGAIN;
    sq_scan sc;
    memset(&sc, 0, sizeof sc);
    sc.sel = sel;
    sc.def = t->def;
    sc.lim = sl_query_limits_or_default(lim);
    sc.sink = sink;
    sc.err = err;
    sc.deadline_ms = sl__sq_mono_ms() + (uint64_t)sc.lim.timeout_s * 1000u;
    sc.budget = sc.lim.mem_bytes / 4;
    sl_code rc = setup(&sc);
    if (rc == SL_OK && leave_to_sqlite(&sc))
        rc = SL_AGAIN;
    if (rc == SL_OK)
        rc = sl__sq_segments_open(s, t->id, t->def, &sc.seg, &sc.n_seg, err);
    if (rc == SL_OK && reads_nan(&sc))
        rc = SL_AGAIN;
    if (rc == SL_OK)
        rc = sel->aggregate || sel->distinct ? sl__sq_scan_agg(&sc) : run_plain(&sc);
    if (rc == SL_AGAIN && sc.meta_sent)
        rc = sl_fail(err, SL_INTERNAL, "the scan gave up after sending rows");
    teardown(&sc);
    return rc;
}
