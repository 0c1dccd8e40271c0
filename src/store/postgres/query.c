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

#include "../../batch/complex.h"
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

bool sl__pg_unhex(sl_slice s, sl_arena_t *a, sl_datum *out)
{
    if (s.n < 2 || s.p[0] != '\\' || s.p[1] != 'x' || s.n % 2)
        return false;
    size_t n = (s.n - 2) / 2;
    char *p = sl_arena_alloc(a, n ? n : 1);
    if (p == NULL)
        return false;
    for (size_t i = 0; i < n; i++) {
        int hi = sl_hexval(s.p[2 + 2 * i]), lo = sl_hexval(s.p[3 + 2 * i]);
        if (hi < 0 || lo < 0)
            return false;
        p[i] = (char)(hi << 4 | lo);
    }
    out->s.p = p, out->s.n = n;
    return true;
}

bool sl__pg_decode_in(const sl_type *t, sl_slice s, sl_arena_t *a, sl_datum *out)
{
    static const sl_conv_ctx utc = {0};
    sl_slice v;
    if (t->id == SL_BITMAP || t->id == SL_HLL)
        return sl__pg_unhex(s, a, out);
    if (t->id == SL_VARIANT && sl_cv_variant(s, a, &v) == SL_CONV_OK) {
        out->s.p = v.p, out->s.n = v.n; /* jsonb's spacing taken out again */
        return true;
    }
    if (sl_type_is_complex(t) &&
        sl_cv_parse(t, s, SL_CV_PAIRS | SL_CV_STRICT, &utc, a, &v) == SL_CONV_OK) {
        out->s.p = v.p, out->s.n = v.n;
        return true;
    }
    return !sl_type_is_blob(t) && t->id != SL_VARIANT && sl__pg_decode(t, s, out);
}

typedef struct run {
    const sl_query_limits *lim;
    const sl_query_sink *sink;
    const sl_select *sel;          /* bound: its output columns' names and types, or NULL */
    sl_qcol *cols;
    sl_qval *vals;
    sl_arena_t names;              /* the column names (a PGresult lives for one row) */
    sl_arena_t row;                /* decoded complex values of the current row */
    const sl_pg_plan *plan;        /* outputs sluice computes (render.h), or NULL */
    sl_qval *outv;                 /* with a plan: the SELECT's row */
    sl_expr_acc *accs;             /* with a plan: the folded aggregates of the current row */
    int n;
    bool meta_sent;
    uint64_t rows, bytes;
} run;

/* With a plan: result column i decodes as the plan's type; the sink sees the SELECT's
 * outputs. */
static sl_code plan_meta(run *q, sl_err *err)
{
    const sl_select *sel = q->sel;
    size_t n = (size_t)q->n + 1;
    q->cols = sl_calloc((n > sel->n_out ? n : sel->n_out + 1) * sizeof *q->cols);
    q->vals = sl_calloc(n * sizeof *q->vals);
    q->outv = sl_calloc((sel->n_out + 1) * sizeof *q->outv);
    q->accs = sl_calloc(n * sizeof *q->accs);
    if (!q->cols || !q->vals || !q->outv || !q->accs)
        return sl_fail(err, SL_NOMEM, "out of memory");
    for (size_t i = 0; i < sel->n_out; i++)
        q->cols[i] = (sl_qcol){sel->out[i].name, sel->out[i].type};
    q->meta_sent = true;
    sl_code rc = q->sink->meta(q->sink->arg, q->cols, sel->n_out);
    for (int i = 0; i < q->n; i++)
        q->cols[i].type = q->plan->res_type[i];
    return rc == SL_OK ? SL_OK : sl_fail(err, rc, "%s", sl_code_text(rc));
}

bool sl__pg_array_elem(const char **p, const char *e, sl_buf *b, bool *null)
{
    const char *s = *p;
    sl_buf_clear(b);
    *null = false;
    if (s < e && *s == '"') {
        for (s++; s < e && *s != '"'; s++) {
            if (*s == '\\' && s + 1 < e)
                s++;
            sl_buf_putc(b, *s);
        }
        if (s++ >= e)
            return false;
    } else {
        const char *t = s;
        while (s < e && *s != ',' && *s != '}')
            s++;
        *null = s - t == 4 && memcmp(t, "NULL", 4) == 0;
        sl_buf_append(b, t, (size_t)(s - t));
    }
    if (s < e && *s == ',')
        s++;
    *p = s;
    return !b->oom;
}

/* A folded aggregate's cell: array_agg's array, each element stepped into acc. */
static sl_code fold(run *q, int c, sl_slice s, sl_qval *v, sl_err *err)
{
    const sl_expr *agg = q->plan->res_agg[c];
    sl_type at = sl_expr_type(sl_expr_arg(agg, 0));
    sl_expr_acc *acc = &q->accs[c];
    sl_buf b = SL_BUF_INIT;
    const char *p = s.p + 1, *e = s.p + s.n - 1;
    sl_code rc = s.n >= 2 && s.p[0] == '{' ? SL_OK
                                           : sl_fail(err, SL_INTERNAL, "not an array: %.*s",
                                                     (int)(s.n < 64 ? s.n : 64), s.p);
    while (rc == SL_OK && p < e) {
        bool null;
        sl_datum d;
        if (!sl__pg_array_elem(&p, e, &b, &null))
            rc = sl_fail(err, SL_INTERNAL, "a malformed array of %s", sl_type_meta_name(&at));
        else if (!null && !sl__pg_decode_in(&at, (sl_slice){b.p ? b.p : "", b.len}, &q->row, &d))
            rc = sl_fail(err, SL_INTERNAL, "cannot read an element as %s",
                         sl_type_meta_name(&at));
        else
            rc = sl_expr_acc_step(agg, acc, null ? NULL : &d, NULL, q->lim->max_bytes, err);
    }
    sl_buf_free(&b);
    return rc == SL_OK ? sl_expr_acc_value(agg, acc, &v->null, &v->v, err) : rc;
}

/* The SELECT's row from the result row in q->vals: direct outputs copied, the others
 * evaluated over their holes. */
static sl_code post_row(run *q, sl_err *err)
{
    const sl_select *sel = q->sel;
    const sl_pg_plan *pl = q->plan;
    for (size_t i = 0; i < sel->n_out; i++) {
        if (pl->post[i] == NULL) {
            q->outv[i] = q->vals[pl->first[i]];
            continue;
        }
        size_t nh = pl->n_holes[i];
        sl_vec *cols = sl_arena_alloc(&q->row, (nh + 1) * sizeof *cols), out;
        uint8_t *nulls = sl_arena_alloc(&q->row, nh + 1);
        if (cols == NULL || nulls == NULL)
            return sl_fail(err, SL_NOMEM, "out of memory");
        for (size_t k = 0; k < nh; k++) {
            const sl_qval *h = &q->vals[pl->first[i] + k];
            nulls[k] = h->null;
            cols[k] = (sl_vec){pl->res_type[pl->first[i] + k], (sl_datum *)&h->v, &nulls[k]};
        }
        sl_code rc = sl_expr_eval(pl->post[i], cols, 1, NULL, &sel->ctx, &q->row, &out, err);
        if (rc != SL_OK)
            return rc;
        q->outv[i].null = out.null && out.null[0];
        q->outv[i].v = out.v[0];
    }
    return SL_OK;
}

/* The result columns: the bound SELECT's names and Doris types; without one (sl__pg_select),
 * the types PostgreSQL reports. */
static sl_code send_meta(run *q, const PGresult *r, sl_err *err)
{
    q->n = PQnfields(r);
    if (q->n > MAX_COLS)
        return sl_fail(err, SL_TOO_LARGE, "the result has %d columns", q->n);
    size_t want = q->plan ? q->plan->n_res : q->sel ? q->sel->n_out : 0;
    if (q->sel && q->sel->bound && (size_t)q->n != want)
        return sl_fail(err, SL_INTERNAL, "the rendered SELECT has %d columns, not %zu", q->n,
                       want);
    if (q->plan)
        return plan_meta(q, err);
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
static sl_code send_row(run *q, const PGresult *r, sl_err *err)
{
    uint64_t bytes = 0;
    sl_arena_reset(&q->row);
    for (int i = 0; i < q->n; i++) {
        sl_qval *v = &q->vals[i];
        memset(v, 0, sizeof *v);
        v->null = true;
        if (q->accs)
            sl_expr_acc_free(&q->accs[i]);
        if (PQgetisnull(r, 0, i) && !(q->plan && q->plan->res_agg[i]))
            continue;
        sl_slice s = {PQgetvalue(r, 0, i), (size_t)PQgetlength(r, 0, i)};
        bytes += s.n;
        if (s.n > q->lim->max_bytes)
            return sl_fail(err, SL_TOO_LARGE, "MEM_LIMIT_EXCEEDED: a value exceeds the query's "
                           "limit of %llu bytes (column %s)",
                           (unsigned long long)q->lim->max_bytes, PQfname(r, i));
        if (q->plan && q->plan->res_agg[i]) { /* a group without rows: array_agg is NULL */
            sl_code rc = fold(q, i, PQgetisnull(r, 0, i) ? SL_LIT("{}") : s, v, err);
            if (rc != SL_OK)
                return rc;
            continue;
        }
        if (!sl__pg_decode_in(&q->cols[i].type, s, &q->row, &v->v))
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
    if (q->plan) {
        sl_code prc = post_row(q, err);
        if (prc != SL_OK)
            return prc;
    }
    sl_code rc = q->plan ? q->sink->row(q->sink->arg, q->outv, q->sel->n_out)
                         : q->sink->row(q->sink->arg, q->vals, (size_t)q->n);
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
    run q = {.lim = lim, .sink = sink, .sel = sel, .plan = plan && plan->any_post ? plan : NULL};
    sl_arena_init(&q.names, 1024);
    sl_arena_init(&q.row, 4096);
    if ((rc = sl__pg_run(c, begin, err)) == SL_OK) {
        c->in_txn = true;
        rc = stream(c, sql, &q, err);
    }
    for (int i = 0; q.accs && i < q.n; i++)
        sl_expr_acc_free(&q.accs[i]);
    sl_free(q.accs);
    sl_free(q.outv);
    sl_free(q.cols);
    sl_free(q.vals);
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
    sl_arena_init(&a, 4096);
    sl_code rc = sl__pg_render_plan(sel, t, &sql, &a, &plan, err);
    if (rc == SL_OK && sql.oom)
        rc = sl_fail(err, SL_NOMEM, "out of memory");
    if (rc == SL_OK)
        rc = select_on(e, sel, &plan, sql.p, lim, sink, err);
    sl_buf_free(&sql);
    sl_arena_free(&a);
    return rc;
}
