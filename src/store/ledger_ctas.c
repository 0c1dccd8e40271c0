/*
 * ledger_ctas.c - CREATE TABLE ... AS SELECT (store stage): the new table's columns are the
 * query's result columns, its rows the query's rows, loaded as one transaction.
 *
 *   engine query --meta--> CREATE TABLE `t` (<name type NULL> ...) <the statement's clauses>
 *                          in the catalog, then a load transaction on it (label ctas_<id>)
 *                --rows--> a batch, appended to the transaction every SL_BATCH_MAX_ROWS rows
 *   end of rows           commit; on any failure the transaction is aborted and the table
 *                          dropped again, so nothing half-made remains (as Doris's CTAS)
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../core/mem.h"
#include "ledger.h"

typedef struct ctas {
    sl_store *s;
    sl_slice db, name, user;
    const sl_stmt *st;
    sl_arena_t a;                  /* the definition and its text */
    sl_tabledef *def;
    int64_t table_id;
    bool created;
    sl_txn *txn;
    sl_batch batch;
    bool batch_ready;
    uint64_t rows;
    sl_err err;                    /* the failure raised inside a callback */
} ctas;

/* "CREATE TABLE `name` (`c` type NULL, ...) <clauses>" for the result columns. */
static sl_code build_ddl(ctas *x, const sl_qcol *cols, size_t n, sl_buf *b)
{
    const sl_ctas *cs = &x->st->ctas;
    if (cs->cols && cs->n_cols != n)
        return sl_fail(&x->err, SL_INVALID_SQL, "Number of columns don't equal number of SELECT "
                       "statement's select list");
    sl_buf_puts(b, "CREATE TABLE `");
    for (size_t i = 0; i < x->name.n; i++)
        sl_buf_append(b, x->name.p[i] == '`' ? "``" : &x->name.p[i], x->name.p[i] == '`' ? 2 : 1);
    sl_buf_puts(b, "` (");
    for (size_t i = 0; i < n; i++) {
        char tn[64];
        sl_slice nm = cs->cols ? cs->cols[i] : cols[i].name;
        sl_type t = cols[i].type;
        if (t.id == SL_CHAR || t.id == SL_VARCHAR)
            t.len = t.len ? t.len : 65533;
        if (t.id == SL_STRING) /* Doris's CTAS: computed text is VARCHAR(65533), a key type */
            t = (sl_type){SL_VARCHAR, 0, 0, 0, 65533};
        sl_buf_puts(b, i ? ", `" : "`");
        for (size_t k = 0; k < nm.n; k++)
            sl_buf_append(b, nm.p[k] == '`' ? "``" : &nm.p[k], nm.p[k] == '`' ? 2 : 1);
        sl_buf_printf(b, "` %s NULL", sl_type_name(&t, tn, sizeof tn));
    }
    sl_buf_puts(b, ") ");
    sl_buf_append(b, cs->clauses.p ? cs->clauses.p : "", cs->clauses.n);
    return b->oom ? sl_fail(&x->err, SL_NOMEM, "out of memory") : SL_OK;
}

/* The result columns are known: create the table and begin its load. */
static sl_code on_meta(void *arg, const sl_qcol *cols, size_t n)
{
    ctas *x = arg;
    sl_buf b = SL_BUF_INIT;
    sl_stmt st;
    sl_code rc = build_ddl(x, cols, n, &b);
    sl_slice ddl = {NULL, 0};
    if (rc == SL_OK && (ddl = sl_arena_slice(&x->a, (sl_slice){b.p, b.len})).p == NULL)
        rc = sl_fail(&x->err, SL_NOMEM, "out of memory");
    sl_buf_free(&b);
    if (rc == SL_OK && (rc = sl_sql_parse(ddl.p, ddl.n, &x->a, &st, &x->err)) == SL_OK)
        x->def = st.table;
    if (rc == SL_OK && (rc = sl_store_create_table(x->s, x->db, x->def, ddl, false, &x->err)) == SL_OK)
        x->created = true;
    sl_slice got;
    if (rc == SL_OK)
        rc = sl_store_get_table(x->s, x->db, x->name, &x->a, &got, &x->table_id, &x->err);
    char label[64];
    snprintf(label, sizeof label, "ctas_%lld_%llu", (long long)x->table_id,
             (unsigned long long)sl__lg_now_ms());
    sl_begin_opts o = {.db = x->db, .table = x->name, .def = x->def, .table_id = x->table_id,
                       .label = sl_slice_of(label), .user = x->user, .timeout_s = 3600,
                       .seq_col = -1};
    sl_label_info ex;
    if (rc == SL_OK)
        rc = sl_store_begin(x->s, &o, &x->txn, &ex, &x->err);
    if (rc == SL_OK && (rc = sl_batch_init(&x->batch, x->def)) == SL_OK)
        x->batch_ready = true;
    else if (rc == SL_NOMEM)
        sl_fail(&x->err, SL_NOMEM, "out of memory");
    return rc;
}

static sl_code flush(ctas *x)
{
    if (x->batch.n_rows == 0)
        return SL_OK;
    sl_code rc = sl_store_append(x->txn, &x->batch, &x->err);
    sl_batch_clear(&x->batch);
    return rc;
}

static sl_code on_row(void *arg, const sl_qval *vals, size_t n)
{
    ctas *x = arg;
    sl_batch *b = &x->batch;
    size_t r = b->n_rows;
    for (size_t c = 0; c < n && c < b->n_cols; c++) {
        b->cols[c].null[r] = vals[c].null;
        b->cols[c].v[r] = vals[c].v;
        if (vals[c].null || !sl_type_is_text(&b->cols[c].def->type))
            continue;
        char *p = sl_arena_memdup(&b->arena, vals[c].v.s.p ? vals[c].v.s.p : "", vals[c].v.s.n);
        if (p == NULL)
            return sl_fail(&x->err, SL_NOMEM, "out of memory");
        b->cols[c].v[r].s.p = p;
        b->bytes += vals[c].v.s.n;
    }
    b->n_rows++;
    x->rows++;
    return sl_batch_full(b) ? flush(x) : SL_OK;
}

sl_code sl_store_create_table_as(sl_store *s, sl_slice db, const sl_stmt *st, sl_select *sel,
                                 const sl_query_limits *lim, sl_slice user, uint64_t *rows,
                                 sl_err *err)
{
    ctas x = {.s = s, .db = db, .name = st->name, .user = user, .st = st};
    sl_arena_init(&x.a, 4096);
    sl_query_sink sink = {on_meta, on_row, &x};
    sl_code rc = sl_store_query(s, db, sel, lim, &sink, err);
    if (rc != SL_OK && x.err.code != SL_OK) { /* the callback's own reason, not the sink's code */
        sl_err_clear(err);
        rc = sl_fail(err, x.err.code, "%s", x.err.msg);
    }
    if (rc == SL_OK && x.txn == NULL) /* a query that sent no columns: nothing to create */
        rc = sl_fail(err, SL_INTERNAL, "the query returned no result columns");
    if (rc == SL_OK && (rc = flush(&x)) != SL_OK)
        rc = sl_fail(err, rc, "%s", x.err.msg);
    if (x.txn && rc == SL_OK)
        rc = sl_store_commit(x.txn, NULL, err);
    else if (x.txn)
        sl_store_abort(x.txn, err->msg, NULL);
    if (rc != SL_OK && x.created) {
        sl_err ignore = {0};
        sl_store_drop_table(s, db, st->name, true, &ignore);
    }
    if (x.batch_ready)
        sl_batch_free(&x.batch);
    sl_arena_free(&x.a);
    *rows = x.rows;
    return rc;
}
