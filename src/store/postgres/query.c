/*
 * query.c - a checked SELECT on PostgreSQL (store stage, engine `query`): rendered by
 * render.c, run read-only within the caller's limits, streamed to the sink.
 *
 *   BEGIN READ ONLY; SET LOCAL statement_timeout   the time limit, enforced by the server
 *   the SELECT in single-row mode                   rows reach the sink as they arrive: the
 *                                                   result is never held whole in memory
 *   past max_rows / max_bytes                       cancel, SL_TOO_LARGE
 *
 * Each result column's sl_type is the bound SELECT's (Doris's result type); each text cell is
 * converted into that type's physical form (batch.h) by the same conversion loads use
 * (sl__pg_decode), and handed to the sink typed. Without a bound SELECT (sl__pg_select, the
 * engine's tests) the types come from PostgreSQL's type and typmod (numeric(15,2) ->
 * DECIMAL(15,2), timestamp(3) -> DATETIME(3), ...).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../batch/convert.h"
#include "../../core/mem.h"
#include "internal.h"
#include "render.h"

/* Result columns at most (a SELECT * of Doris's widest table fits). */
#define MAX_COLS 4096
/* Formatted text of one non-text value (sl_format_* need at most 48). */
#define CELL_TEXT 64

sl_type sl__pg_sl_type(Oid oid, int typmod)
{
    sl_type t = {SL_STRING, 0, 0, 0, 0};
    switch (oid) {
    case 16: t.id = SL_BOOLEAN; break;
    case 20:
    case 26: t.id = SL_BIGINT; break;
    case 21: t.id = SL_SMALLINT; break;
    case 23: t.id = SL_INT; break;
    case 700: t.id = SL_FLOAT; break;
    case 701: t.id = SL_DOUBLE; break;
    case 1082: t.id = SL_DATE; break;
    case 1114:
    case 1184:
        t.id = SL_DATETIME;
        t.precision = (uint8_t)(typmod >= 0 && typmod <= 6 ? typmod : 6);
        break;
    case 114:
    case 3802: t.id = SL_JSON; break;
    case 1042:
    case 1043:
        if (typmod >= 4) {
            t.id = oid == 1042 ? SL_CHAR : SL_VARCHAR;
            t.len = (uint32_t)(typmod - 4);
        }
        break;
    case 1700:
        if (typmod >= 4) {
            int p = ((typmod - 4) >> 16) & 0xffff;
            int s = (((typmod - 4) & 0x7ff) ^ 1024) - 1024; /* 11-bit signed since 15 */
            if (p == 39 && s == 0)
                t.id = SL_LARGEINT;
            else if (p >= 1 && p <= 38 && s >= 0 && s <= p)
                t = (sl_type){SL_DECIMAL, (uint8_t)p, (uint8_t)s, 0, 0};
        }
        break;
    default: break;
    }
    return t;
}

bool sl__pg_decode(const sl_type *t, sl_slice s, sl_datum *out)
{
    static const sl_conv_ctx utc = {0};
    if (sl_type_is_text(t)) {
        out->s.p = s.p, out->s.n = s.n;
        return true;
    }
    return sl_convert(t, s, out, &utc) == SL_CONV_OK; /* infinity, NaN dates: no value */
}

/* One hole's text cell as a one-row vector of its type. */
static sl_code hole_vec(const sl_type *t, const char *cell, size_t len, bool null, sl_arena_t *a,
                        sl_vec *v, sl_err *err)
{
    v->type = *t;
    v->v = sl_arena_alloc(a, sizeof *v->v);
    v->null = sl_arena_alloc(a, 1);
    if (v->v == NULL || v->null == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory evaluating a function");
    memset(v->v, 0, sizeof *v->v);
    v->null[0] = null;
    if (null)
        return SL_OK;
    if (t->id == SL_BOOLEAN) { /* PostgreSQL's t / f */
        v->v->i = cell[0] == 't';
        return SL_OK;
    }
    if (sl__pg_decode(t, (sl_slice){cell, len}, v->v))
        return SL_OK;
    return sl_fail(err, SL_INTERNAL, "cannot read the value '%.*s' as %s", (int)(len < 64 ? len : 64),
                   cell, sl_type_meta_name(t));
}

sl_code sl__pg_plan_row(const sl_select *sel, const sl_pg_plan *plan, const char *const *cells,
                        const size_t *lens, const bool *nulls, sl_arena_t *a, sl_qval *out,
                        sl_err *err)
{
    for (size_t i = 0; i < sel->n_out; i++) {
        const sl_pg_post *p = &plan->post[i];
        sl_qval *q = &out[i];
        memset(q, 0, sizeof *q);
        if (plan->col[i] >= 0) {
            size_t c = (size_t)plan->col[i];
            q->null = nulls[c];
            if (!q->null && sel->out[i].type.id == SL_BOOLEAN)
                q->v.i = cells[c][0] == 't';
            else if (!q->null && !sl__pg_decode(&sel->out[i].type, (sl_slice){cells[c], lens[c]},
                                                &q->v))
                return sl_fail(err, SL_INTERNAL, "cannot read the value '%.*s' of column %zu as "
                               "%s", (int)(lens[c] < 64 ? lens[c] : 64), cells[c], c + 1,
                               sl_type_meta_name(&sel->out[i].type));
            continue;
        }
        sl_vec *cols = sl_arena_alloc(a, (p->n_holes + 1) * sizeof *cols), res;
        if (cols == NULL)
            return sl_fail(err, SL_NOMEM, "out of memory evaluating a function");
        for (size_t k = 0; k < p->n_holes; k++) {
            size_t c = p->first + k;
            sl_code rc = hole_vec(&p->types[k], cells[c], lens[c], nulls[c], a, &cols[k], err);
            if (rc != SL_OK)
                return rc;
        }
        sl_code rc = sl_expr_eval(p->e, cols, 1, NULL, &sel->ctx, a, &res, err);
        if (rc != SL_OK)
            return rc;
        q->null = res.null && res.null[0];
        if (!q->null)
            q->v = res.v[0];
    }
    return SL_OK;
}

typedef struct run {
    const sl_query_limits *lim;
    const sl_query_sink *sink;
    const sl_select *sel;          /* bound: its output columns' names and types, or NULL */
    const sl_pg_plan *plan;        /* with sel: which columns the engine computes */
    sl_arena_t row;                /* per row: computed values */
    const char **cells;            /* per PostgreSQL column of the row (plan) */
    size_t *lens;
    bool *nulls;
    sl_qcol *cols;
    sl_qval *vals;
    sl_arena_t names;              /* the column names (a PGresult lives for one row) */
    int n;
    bool meta_sent;
    uint64_t rows, bytes;
} run;

/* The result columns: the bound SELECT's names and Doris types; without one (sl__pg_select),
 * the types PostgreSQL reports. */
static sl_code send_meta(run *q, const PGresult *r, sl_err *err)
{
    q->n = PQnfields(r);
    if (q->n > MAX_COLS)
        return sl_fail(err, SL_TOO_LARGE, "the result has %d columns", q->n);
    if (q->plan && (size_t)q->n != q->plan->n_pg)
        return sl_fail(err, SL_INTERNAL, "the rendered SELECT has %d columns, not %zu", q->n,
                       q->plan->n_pg);
    if (q->sel && q->sel->bound && !q->plan && (size_t)q->n != q->sel->n_out)
        return sl_fail(err, SL_INTERNAL, "the rendered SELECT has %d columns, not %zu", q->n,
                       q->sel->n_out);
    if (q->plan) {
        size_t n = (size_t)q->n + 1;
        q->cells = sl_calloc(n * sizeof *q->cells);
        q->lens = sl_calloc(n * sizeof *q->lens);
        q->nulls = sl_calloc(n * sizeof *q->nulls);
        if (!q->cells || !q->lens || !q->nulls)
            return sl_fail(err, SL_NOMEM, "out of memory");
        q->n = (int)q->sel->n_out; /* from here on: result columns */
    }
    size_t n = (size_t)q->n + 1;
    q->cols = sl_calloc(n * sizeof *q->cols);
    q->vals = sl_calloc(n * sizeof *q->vals);
    if (!q->cols || !q->vals)
        return sl_fail(err, SL_NOMEM, "out of memory");
    for (int i = 0; i < q->n; i++) {
        if (q->sel && q->sel->bound) {
            q->cols[i] = (sl_qcol){q->sel->out[i].name, q->sel->out[i].type};
            continue;
        }
        q->cols[i].name = sl_arena_slice(&q->names, sl_slice_of(PQfname(r, i)));
        if (q->cols[i].name.p == NULL)
            return sl_fail(err, SL_NOMEM, "out of memory");
        q->cols[i].type = sl__pg_sl_type(PQftype(r, i), PQfmod(r, i));
    }
    q->meta_sent = true;
    sl_code rc = q->sink->meta(q->sink->arg, q->cols, (size_t)q->n);
    return rc == SL_OK ? SL_OK : sl_fail(err, rc, "%s", sl_code_text(rc));
}

/* One row: each text cell decoded into its column's type (text borrows the PGresult, which
 * lives until the sink returns). */
/* The row's cells, then the plan's values (computed columns by the expression engine). */
static sl_code plan_row(run *q, const PGresult *r, uint64_t *bytes, sl_err *err)
{
    int n = PQnfields(r);
    for (int c = 0; c < n; c++) {
        q->nulls[c] = PQgetisnull(r, 0, c);
        q->cells[c] = PQgetvalue(r, 0, c);
        q->lens[c] = (size_t)PQgetlength(r, 0, c);
    }
    sl_arena_reset(&q->row);
    sl_code rc = sl__pg_plan_row(q->sel, q->plan, q->cells, q->lens, q->nulls, &q->row, q->vals,
                                 err);
    for (int i = 0; rc == SL_OK && i < q->n; i++) {
        size_t len = 8;
        if (q->vals[i].null)
            continue;
        if (sl_type_is_text(&q->cols[i].type))
            len = q->vals[i].v.s.n;
        if (len > q->lim->max_bytes)
            return sl_fail(err, SL_TOO_LARGE, "MEM_LIMIT_EXCEEDED: a value exceeds the query's "
                           "limit of %llu bytes (column %d)",
                           (unsigned long long)q->lim->max_bytes, i + 1);
        *bytes += len;
    }
    return rc;
}

static sl_code send_row(run *q, const PGresult *r, sl_err *err)
{
    uint64_t bytes = 0;
    sl_code prc = q->plan ? plan_row(q, r, &bytes, err) : SL_OK;
    if (prc != SL_OK)
        return prc;
    for (int i = 0; !q->plan && i < q->n; i++) {
        sl_qval *v = &q->vals[i];
        memset(v, 0, sizeof *v);
        v->null = true;
        if (PQgetisnull(r, 0, i))
            continue;
        sl_slice s = {PQgetvalue(r, 0, i), (size_t)PQgetlength(r, 0, i)};
        bytes += s.n;
        if (s.n > q->lim->max_bytes)
            return sl_fail(err, SL_TOO_LARGE, "MEM_LIMIT_EXCEEDED: a value exceeds the query's "
                           "limit of %llu bytes (column %s)",
                           (unsigned long long)q->lim->max_bytes, PQfname(r, i));
        if (!sl__pg_decode(&q->cols[i].type, s, &v->v))
            return sl_fail(err, SL_INTERNAL, "cannot read the value '%.*s' of column %s as %s",
                           (int)(s.n < 64 ? s.n : 64), s.p, PQfname(r, i),
                           sl_type_meta_name(&q->cols[i].type));
        v->null = false;
    }
    q->bytes += bytes;
    if (++q->rows > q->lim->max_rows)
        return sl_fail(err, SL_TOO_LARGE, "EXCEEDED_LIMIT: the result has more than %llu rows "
                       "(the query's row limit); add a LIMIT or narrow the WHERE",
                       (unsigned long long)q->lim->max_rows);
    if (q->bytes > q->lim->max_bytes)
        return sl_fail(err, SL_TOO_LARGE, "MEM_LIMIT_EXCEEDED: the result is larger than %llu "
                       "bytes (the query's byte limit); add a LIMIT or select fewer columns",
                       (unsigned long long)q->lim->max_bytes);
    sl_code rc = q->sink->row(q->sink->arg, q->vals, (size_t)q->n);
    return rc == SL_OK ? SL_OK : sl_fail(err, rc, "%s", sl_code_text(rc));
}

/* A failed SELECT: the statement's own faults are SL_INVALID_SQL, the rest as sl__pg_fail. */
static sl_code select_fail(sl_econn *c, const PGresult *r, const sl_query_limits *lim,
                           sl_err *err)
{
    const char *st = sl__pg_state(r);
    const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (strcmp(st, "57014") == 0)
        return sl_fail(err, SL_TIMEOUT, "Query exceeded time limit of %u seconds",
                       lim->timeout_s);
    if (msg && (strncmp(st, "42", 2) == 0 || strncmp(st, "22", 2) == 0 ||
                strcmp(st, "0A000") == 0 || strcmp(st, "21000") == 0))
        return sl_fail(err, SL_INVALID_SQL, "%s", msg);
    return sl__pg_fail(c, r, "query", err);
}

/* Stop a running SELECT: ask the server to cancel, then read what is left. */
static void stop(sl_econn *c)
{
    PGcancel *cn = PQgetCancel(c->pg);
    char why[256];
    if (cn == NULL || !PQcancel(cn, why, sizeof why))
        c->broken = true;
    PQfreeCancel(cn);
    PGresult *r;
    while ((r = PQgetResult(c->pg)) != NULL)
        PQclear(r);
}

static sl_code stream(sl_econn *c, const char *sql, run *q, sl_err *err)
{
    if (!PQsendQueryParams(c->pg, sql, 0, NULL, NULL, NULL, NULL, 0) ||
        !PQsetSingleRowMode(c->pg))
        return sl__pg_fail(c, NULL, "query", err);
    sl_code rc = SL_OK;
    PGresult *r;
    while (rc == SL_OK && (r = PQgetResult(c->pg)) != NULL) {
        ExecStatusType s = PQresultStatus(r);
        if (s == PGRES_SINGLE_TUPLE || s == PGRES_TUPLES_OK) {
            if (!q->meta_sent)
                rc = send_meta(q, r, err);
            if (rc == SL_OK && s == PGRES_SINGLE_TUPLE)
                rc = send_row(q, r, err);
        } else {
            rc = select_fail(c, r, q->lim, err);
        }
        PQclear(r);
    }
    if (rc != SL_OK && !c->broken)
        stop(c);
    return rc;
}

/* sl__pg_select with the bound SELECT that describes the result columns (may be NULL). */
static sl_code select_on(sl_engine *e, const sl_select *sel, const sl_pg_plan *plan,
                         const char *sql, const sl_query_limits *lim, const sl_query_sink *sink,
                         sl_err *err)
{
    sl_econn *c;
    sl_code rc = sl__pg_get(e, &e->cat, &c, err);
    if (rc != SL_OK)
        return rc;
    char begin[96];
    snprintf(begin, sizeof begin, "BEGIN READ ONLY; SET LOCAL statement_timeout = %llu",
             (unsigned long long)lim->timeout_s * 1000);
    run q = {.lim = lim, .sink = sink, .sel = sel, .plan = plan};
    sl_arena_init(&q.names, 1024);
    sl_arena_init(&q.row, 4096);
    if ((rc = sl__pg_run(c, begin, err)) == SL_OK) {
        c->in_txn = true;
        rc = stream(c, sql, &q, err);
    }
    sl_free(q.cols);
    sl_free(q.vals);
    sl_free(q.cells);
    sl_free(q.lens);
    sl_free(q.nulls);
    sl_arena_free(&q.names);
    sl_arena_free(&q.row);
    sl__pg_put(c); /* ROLLBACK: nothing was written */
    return rc;
}

sl_code sl__pg_select(sl_engine *e, const char *sql, const sl_query_limits *lim,
                      const sl_query_sink *sink, sl_err *err)
{
    return select_on(e, NULL, NULL, sql, lim, sink, err);
}

sl_code sl__pg_query(sl_engine *e, const sl_etable *t, const sl_select *sel,
                     const sl_query_limits *lim, const sl_query_sink *sink, sl_err *err)
{
    sl_buf sql = SL_BUF_INIT;
    sl_arena_t a;
    sl_pg_plan plan;
    sl_arena_init(&a, 1024);
    sl_code rc = sl__pg_render_plan(sel, t, &a, &plan, &sql, err);
    if (rc == SL_OK && sql.oom)
        rc = sl_fail(err, SL_NOMEM, "out of memory");
    if (rc == SL_OK)
        rc = select_on(e, sel, &plan, sql.p, lim, sink, err);
    sl_buf_free(&sql);
    sl_arena_free(&a);
    return rc;
}
