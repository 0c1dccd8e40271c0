/*
 * query.c - a checked SELECT on PostgreSQL (store stage, engine `query`): rendered by
 * render.c, run read-only within the caller's limits, streamed to the sink.
 *
 *   BEGIN READ ONLY; SET LOCAL statement_timeout   the time limit, enforced by the server
 *   the SELECT in single-row mode                   rows reach the sink as they arrive: the
 *                                                   result is never held whole in memory
 *   past max_rows / max_bytes                       cancel, SL_TOO_LARGE
 *
 * Each result column's sl_type comes from its PostgreSQL type and typmod (numeric(15,2) ->
 * DECIMAL(15,2), timestamp(3) -> DATETIME(3), ...) and each text cell is converted into that
 * type's physical form (batch.h) by the same conversion loads use (sl__pg_decode). numeric
 * without a typmod (sum() of a numeric) keeps its exact text as STRING: the renderer casts where
 * Doris's type is known.
 *
 * The sink takes today's result form (store.h sl_qval: INT, REAL or TEXT, and the table
 * column's type for bare columns), the one the SQLite engine gives: present() turns the typed
 * value into it (integers and booleans INT, FLOAT/DOUBLE REAL, DECIMAL/LARGEINT exact text,
 * DATE/DATETIME text at the column's precision). When store.h hands typed values to the sink,
 * present() goes and the decoded sl_datum is passed as it is.
 */
#include "../../core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../batch/convert.h"
#include "../../core/mem.h"
#include "internal.h"

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

typedef struct run {
    const sl_query_limits *lim;
    const sl_query_sink *sink;
    const sl_tabledef *def;        /* the FROM table (bare columns get its types), or NULL */
    const sl_select *sel;
    sl_qcol *cols;
    sl_qval *vals;
    sl_type *types;                /* each result column's type, from PostgreSQL */
    bool *num;                     /* numeric without typmod: an expression's value */
    char *text;                    /* CELL_TEXT bytes per column: formatted values */
    sl_arena_t names;              /* the column names (a PGresult lives for one row) */
    int n;
    bool meta_sent;
    uint64_t rows, bytes;
} run;

/* The table column types of bare columns and '*' and the count(...) flags, from the SELECT's
 * items, as the SQLite engine gives them; none when the items do not line up. */
static void describe(run *q)
{
    if (q->def == NULL || q->sel == NULL)
        return;
    size_t k = 0, n = (size_t)q->n;
    for (size_t i = 0; i < q->sel->n_items && k <= n; i++) {
        const sl_selitem *it = &q->sel->items[i];
        if (it->kind == SL_SEL_STAR) {
            for (size_t c = 0; c < q->def->n_cols && k < n; c++, k++)
                q->cols[k].type = &q->def->cols[c].type;
            continue;
        }
        if (k < n) {
            long c = it->kind == SL_SEL_COLUMN ? sl_tabledef_find(q->def, it->colref) : -1;
            q->cols[k].type = c >= 0 ? &q->def->cols[c].type : NULL;
            q->cols[k].is_count = it->kind == SL_SEL_COUNT;
        }
        k++;
    }
    if (k != n)
        for (size_t i = 0; i < n; i++)
            q->cols[i].type = NULL, q->cols[i].is_count = false;
}

static sl_code send_meta(run *q, const PGresult *r, sl_err *err)
{
    q->n = PQnfields(r);
    if (q->n > MAX_COLS)
        return sl_fail(err, SL_TOO_LARGE, "the result has %d columns", q->n);
    size_t n = (size_t)q->n + 1;
    q->cols = sl_calloc(n * sizeof *q->cols);
    q->vals = sl_calloc(n * sizeof *q->vals);
    q->types = sl_calloc(n * sizeof *q->types);
    q->num = sl_calloc(n * sizeof *q->num);
    q->text = sl_malloc(n * CELL_TEXT);
    if (!q->cols || !q->vals || !q->types || !q->num || !q->text)
        return sl_fail(err, SL_NOMEM, "out of memory");
    for (int i = 0; i < q->n; i++) {
        q->cols[i].name = sl_arena_slice(&q->names, sl_slice_of(PQfname(r, i)));
        if (q->cols[i].name.p == NULL)
            return sl_fail(err, SL_NOMEM, "out of memory");
        q->types[i] = sl__pg_sl_type(PQftype(r, i), PQfmod(r, i));
        q->num[i] = PQftype(r, i) == 1700 && q->types[i].id == SL_STRING;
    }
    describe(q);
    q->meta_sent = true;
    sl_code rc = q->sink->meta(q->sink->arg, q->cols, (size_t)q->n);
    return rc == SL_OK ? SL_OK : sl_fail(err, rc, "%s", sl_code_text(rc));
}

/* Column i's typed value d in the sink's form (see the file comment). */
static void present(run *q, int i, const sl_datum *d, sl_qval *v)
{
    const sl_type *t = &q->types[i];
    char *buf = q->text + (size_t)i * CELL_TEXT;
    size_t n = 0;
    switch (t->id) {
    case SL_BOOLEAN:
    case SL_TINYINT:
    case SL_SMALLINT:
    case SL_INT:
    case SL_BIGINT: v->kind = SL_Q_INT, v->i = d->i; return;
    case SL_FLOAT:
    case SL_DOUBLE: v->kind = SL_Q_REAL, v->d = d->d; return;
    case SL_DECIMAL: n = sl_format_decimal(d->w, t->scale, buf); break;
    case SL_LARGEINT: n = sl_format_i128(d->w, buf); break;
    case SL_DATE: n = sl_format_date(d->i, buf); break;
    case SL_DATETIME: {
        const sl_type *ct = q->cols[i].type; /* the table column's precision wins */
        unsigned p = ct && ct->id == SL_DATETIME ? ct->precision : t->precision;
        n = sl_format_datetime(d->i, p, buf);
        break;
    }
    default:
        if (q->num[i]) { /* an expression over decimals: a number, as SQLite gives it */
            v->kind = SL_Q_REAL, v->d = strtod(d->s.p, NULL);
            return;
        }
        v->kind = SL_Q_TEXT, v->s = (sl_slice){d->s.p, d->s.n};
        return;
    }
    v->kind = SL_Q_TEXT, v->s = (sl_slice){buf, n};
}

static sl_code send_row(run *q, const PGresult *r, sl_err *err)
{
    uint64_t bytes = 0;
    for (int i = 0; i < q->n; i++) {
        sl_qval *v = &q->vals[i];
        memset(v, 0, sizeof *v);
        v->kind = SL_Q_NULL;
        if (PQgetisnull(r, 0, i))
            continue;
        sl_slice s = {PQgetvalue(r, 0, i), (size_t)PQgetlength(r, 0, i)};
        bytes += s.n;
        if (s.n > q->lim->max_bytes)
            return sl_fail(err, SL_TOO_LARGE, "a value of column %s is larger than %llu bytes",
                           PQfname(r, i), (unsigned long long)q->lim->max_bytes);
        sl_datum d;
        if (sl__pg_decode(&q->types[i], s, &d))
            present(q, i, &d, v);
    }
    q->bytes += bytes;
    if (++q->rows > q->lim->max_rows)
        return sl_fail(err, SL_TOO_LARGE, "the result has more than %llu rows",
                       (unsigned long long)q->lim->max_rows);
    if (q->bytes > q->lim->max_bytes)
        return sl_fail(err, SL_TOO_LARGE, "the result is larger than %llu bytes",
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
        return sl_fail(err, SL_TIMEOUT, "query timed out after %u s", lim->timeout_s);
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

/* sl__pg_select with the table and SELECT that describe the result columns (may be NULL). */
static sl_code select_on(sl_engine *e, const sl_tabledef *def, const sl_select *sel,
                         const char *sql, const sl_query_limits *lim,
                         const sl_query_sink *sink, sl_err *err)
{
    sl_econn *c;
    sl_code rc = sl__pg_get(e, &e->cat, &c, err);
    if (rc != SL_OK)
        return rc;
    char begin[96];
    snprintf(begin, sizeof begin, "BEGIN READ ONLY; SET LOCAL statement_timeout = %llu",
             (unsigned long long)lim->timeout_s * 1000);
    run q = {.lim = lim, .sink = sink, .def = def, .sel = sel};
    sl_arena_init(&q.names, 1024);
    if ((rc = sl__pg_run(c, begin, err)) == SL_OK) {
        c->in_txn = true;
        rc = stream(c, sql, &q, err);
    }
    sl_free(q.cols);
    sl_free(q.vals);
    sl_free(q.types);
    sl_free(q.num);
    sl_free(q.text);
    sl_arena_free(&q.names);
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
    sl_code rc = sl__pg_render(sel, t, &sql, err);
    if (rc == SL_OK && sql.oom)
        rc = sl_fail(err, SL_NOMEM, "out of memory");
    if (rc == SL_OK)
        rc = select_on(e, t ? t->def : NULL, sel, sql.p, lim, sink, err);
    sl_buf_free(&sql);
    return rc;
}
