/*
 * exec.c - the statement executor: one statement of Doris's SQL in, rows or an outcome out
 * (proto stage; every SQL transport runs statements here: the HTTP SQL API, sqlapi.c, and the
 * MySQL protocol, mysql.c).
 *
 *   text -> sl_sql_parse -> sl_priv_of_stmt -> sl_priv_check -> run_* -> sink (rows)
 *                                                                     -> sl_exec_out (ok, count)
 *                                                                     -> sl_err + sql_errno
 *
 * SELECT goes through the store (the checked tree, sl_store_query) within the query limits;
 * SHOW and DESC results are text columns as Doris's are; INSERT ... VALUES becomes a load job
 * like any body; users and grants go to account.c. The transports only shape the answer.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <string.h>

#include "../batch/convert.h"
#include "../core/mem.h"
#include "obs.h"
#include "proto.h"

static sl_slice stmt_db(const sl_stmt *st, const sl_session *s)
{
    return st->db.n ? st->db : s->db;
}

static sl_code nomem(sl_err *err)
{
    return sl_fail(err, SL_NOMEM, "out of memory");
}

/* A small fixed result (SHOW, DESC): names and text rows (NULL pointers are SQL NULL), all
 * VARCHAR as Doris's SHOW results are. */
static sl_code emit_rows(const sl_query_sink *sink, const char *const *names, size_t n_cols,
                         const sl_slice *cells, size_t n_rows, sl_err *err)
{
    sl_qcol *cols = sl_calloc((n_cols + 1) * sizeof *cols);
    sl_qval *vals = sl_calloc((n_cols + 1) * sizeof *vals);
    sl_code rc = cols && vals ? SL_OK : SL_NOMEM;
    for (size_t i = 0; rc == SL_OK && i < n_cols; i++)
        cols[i] = (sl_qcol){sl_slice_of(names[i]), {SL_VARCHAR, 0, 0, 0, 0}};
    if (rc == SL_OK)
        rc = sink->meta(sink->arg, cols, n_cols);
    for (size_t row = 0; rc == SL_OK && row < n_rows; row++) {
        for (size_t i = 0; i < n_cols; i++) {
            sl_slice v = cells[row * n_cols + i];
            vals[i].null = v.p == NULL;
            vals[i].v.s.p = v.p;
            vals[i].v.s.n = v.n;
        }
        rc = sink->row(sink->arg, vals, n_cols);
    }
    sl_free(cols);
    sl_free(vals);
    return rc == SL_OK ? SL_OK : rc == SL_NOMEM ? nomem(err) : sl_fail(err, rc, "%s",
                                                                       sl_code_text(rc));
}

/* ---- SELECT ------------------------------------------------------------------------------ */

/* Drops the rows of a SELECT past the session's limit (the query still runs to its end, as the
 * SQL API always did: the limit shapes the reply, not the statement). */
typedef struct limited {
    const sl_query_sink *to;
    size_t limit, rows;
} limited;

static sl_code lim_meta(void *arg, const sl_qcol *cols, size_t n)
{
    limited *l = arg;
    return l->to->meta(l->to->arg, cols, n);
}

static sl_code lim_row(void *arg, const sl_qval *vals, size_t n)
{
    limited *l = arg;
    if (l->limit && l->rows >= l->limit)
        return SL_OK;
    l->rows++;
    return l->to->row(l->to->arg, vals, n);
}

/* SELECT: the store resolves the table, checks the statement against it and runs it within
 * the configured limits. */
static sl_code run_select(const sl_session *s, sl_stmt *st, const sl_query_sink *sink,
                          sl_err *err)
{
    sl_app *app = s->app;
    sl_query_limits lim = app->cfg.query;
    lim.tz = app->tz;
    limited l = {sink, s->limit, 0};
    sl_query_sink wrap = {lim_meta, lim_row, &l};
    sl_err e = {0};
    sl_code rc = sl_store_query(app->store, s->db.p ? s->db : SL_LIT(""), &st->select, &lim,
                                &wrap, &e);
    if (rc != SL_OK)
        return sl_fail(err, rc, "%s", e.msg[0] ? e.msg : "query failed");
    return SL_OK;
}

/* ---- catalog ------------------------------------------------------------------------------ */

sl_code sl__exec_table(const sl_session *s, sl_slice db, sl_slice table, sl_arena_t *a,
                       sl_tabledef **def, sl_err *err)
{
    int64_t id;
    sl_code rc = sl_priv_check(s->app->auth, &s->id, SL_ACT_READ, db, table, err);
    return rc == SL_OK ? sl_catalog_table(&s->app->env, db, table, a, def, &id, err) : rc;
}

static sl_code run_desc(const sl_session *s, const sl_stmt *st, sl_arena_t *a,
                        const sl_query_sink *sink, sl_err *err)
{
    sl_tabledef *def;
    int64_t id;
    sl_code rc = sl_catalog_table(&s->app->env, stmt_db(st, s), st->name, a, &def, &id, err);
    if (rc != SL_OK)
        return rc;
    static const char *const names[] = {"Field", "Type", "Null", "Key", "Default", "Extra"};
    static const char *const aggs[] = {"", "SUM", "MAX", "MIN", "REPLACE", "REPLACE_IF_NOT_NULL"};
    sl_slice *cells = sl_arena_alloc(a, def->n_cols * 6 * sizeof *cells + 1);
    for (size_t i = 0; cells && i < def->n_cols; i++) {
        const sl_coldef *cd = &def->cols[i];
        char tn[512]; /* nested types spell long */
        sl_type_name(&cd->type, tn, sizeof tn);
        sl_slice *row = cells + i * 6;
        row[0] = cd->name;
        row[1] = sl_arena_slice(a, sl_slice_of(tn));
        row[2] = sl_slice_of(cd->nullable ? "Yes" : "No");
        row[3] = sl_slice_of(cd->key ? "true" : "false");
        row[4] = cd->default_kind == SL_DEFAULT_VALUE ? cd->default_value
                 : cd->default_kind == SL_DEFAULT_CURRENT_TIMESTAMP ? SL_LIT("CURRENT_TIMESTAMP")
                 : cd->default_kind == SL_DEFAULT_CURRENT_DATE ? SL_LIT("CURRENT_DATE")
                                                                : SL_SLICE_NULL;
        row[5] = sl_slice_of(cd->agg < SL_COUNT(aggs) ? aggs[cd->agg] : "");
    }
    if (cells == NULL)
        return nomem(err);
    return emit_rows(sink, names, 6, cells, def->n_cols, err);
}

static sl_code run_show(const sl_session *s, const sl_stmt *st, sl_arena_t *a,
                        const sl_query_sink *sink, sl_err *err)
{
    sl_app *app = s->app;
    sl_slice *names = NULL;
    size_t n = 0;
    sl_code rc;
    if (st->kind == SL_STMT_SHOW_DATABASES) {
        if ((rc = sl_store_list_dbs(app->store, a, &names, &n, err)) != SL_OK)
            return rc;
        sl_slice *all = sl_arena_alloc(a, (n + 1) * sizeof *all);
        if (all == NULL)
            return nomem(err);
        /* As Doris: only databases the user holds a privilege on (or in). */
        size_t k = 0;
        all[k++] = SL_LIT("information_schema");
        for (size_t i = 0; i < n; i++)
            if (sl_priv_sees_db(app->auth, &s->id, names[i]))
                all[k++] = names[i];
        static const char *const col[] = {"Database"};
        return emit_rows(sink, col, 1, all, k, err);
    }
    sl_slice db = stmt_db(st, s);
    if ((rc = sl_store_list_tables(app->store, db, a, &names, &n, err)) != SL_OK)
        return rc;
    const char *col[] = {sl_arena_printf(a, "Tables_in_%.*s", (int)db.n, db.p ? db.p : "")};
    return col[0] ? emit_rows(sink, col, 1, names, n, err) : nomem(err);
}

static sl_code run_show_create(const sl_session *s, const sl_stmt *st, sl_arena_t *a,
                               const sl_query_sink *sink, sl_err *err)
{
    sl_slice ddl;
    int64_t id;
    sl_code rc = sl_store_get_table(s->app->store, stmt_db(st, s), st->name, a, &ddl, &id, err);
    if (rc != SL_OK)
        return rc;
    static const char *const names[] = {"Table", "Create Table"};
    sl_slice cells[2] = {st->name, ddl};
    return emit_rows(sink, names, 2, cells, 1, err);
}

/* ---- INSERT ------------------------------------------------------------------------------ */

static sl_code insert_spec(const sl_session *s, const sl_insert *in, sl_arena_t *a,
                           sl_load_spec *spec, sl_err *err)
{
    sl_app *app = s->app;
    memset(spec, 0, sizeof *spec);
    sl_decode_opts_default(&spec->dopts);
    spec->db = in->db.n ? in->db : s->db;
    spec->table = in->table;
    char *label = sl_arena_alloc(a, 48);
    if (label == NULL)
        return nomem(err);
    memcpy(label, "insert_", 7);
    sl__uuid(label + 7);
    spec->label = sl_slice_of(label);
    spec->format = SL_LIT("csv");
    spec->protocol = "sql";
    spec->timeout_s = app->cfg.default_timeout_s;
    spec->tz = app->tz;
    if (in->cols) {
        sl_buf cols = SL_BUF_INIT;
        for (size_t i = 0; i < in->n_cols; i++) {
            sl_buf_puts(&cols, i ? ",`" : "`");
            sl_buf_append(&cols, in->cols[i].p, in->cols[i].n);
            sl_buf_putc(&cols, '`');
        }
        spec->columns = sl_arena_slice(a, (sl_slice){cols.p ? cols.p : "", cols.len});
        sl_buf_free(&cols);
    }
    return SL_OK;
}

/* INSERT ... VALUES: the rows go through a load job like any body. */
static sl_code run_insert(const sl_session *s, const sl_stmt *st, sl_arena_t *a,
                          sl_exec_out *out, sl_err *err)
{
    const sl_insert *in = &st->insert;
    sl_load_spec spec;
    sl_code rc = insert_spec(s, in, a, &spec, err);
    if (rc != SL_OK)
        return rc;
    sl_job *job;
    sl_load_result res;
    if ((rc = sl_job_begin(&s->app->env, &spec, &job, &res)) != SL_OK)
        return sl_fail(err, rc, "%s", res.err.msg);
    sl_rawbatch rb = {0};
    for (size_t row = 0; rc == SL_OK && row < in->n_rows; row++) {
        for (size_t i = 0; rc == SL_OK && i < in->n_values; i++)
            rc = sl_rawbatch_field(&rb, in->values[row * in->n_values + i]);
        if (rc == SL_OK)
            rc = sl_rawbatch_row(&rb, SL_LIT(""), row + 1);
    }
    if (rc == SL_OK)
        sl_job_push_rows(job, &rb);
    sl_rawbatch_free(&rb);
    rc = sl_job_finish(job);
    const sl_load_result *lr = sl_job_result(job);
    if (rc == SL_OK)
        out->affected = lr->loaded;
    else
        sl_fail(err, rc, "%s", lr->first_error[0] ? lr->first_error : lr->err.msg);
    sl_job_free(job);
    return rc;
}

/* ---- SHOW STREAM LOAD / SHOW TRANSACTION --------------------------------------------- */

/* The columns of SHOW STREAM LOAD (the store's list_loads order). */
static const char *const load_cols[] = {"Label", "Db", "Table", "ClientIp", "Status", "Message",
                                        "Url", "TotalRows", "LoadedRows", "FilteredRows",
                                        "UnselectedRows", "LoadBytes", "StartTime", "FinishTime",
                                        "User", "Comment"};

/* SHOW STREAM LOAD, parsed by src/sql (sl_show_history), on database db. */
static sl_code run_show_loads(const sl_session *s, const sl_stmt *st, sl_slice db,
                              const sl_query_sink *sink, sl_err *err)
{
    sl_app *app = s->app;
    const sl_show_history *h = &st->history;
    sl_load_filter f = {.order_col = -1, .tz = app->tz,
                        .label = h->label, .label_like = h->label_like, .status = h->status,
                        .desc = h->desc};
    if (h->has_limit) {
        if (h->limit == 0) /* LIMIT 0: no rows (the store reads 0 as "no limit") */
            return emit_rows(sink, load_cols, SL_COUNT(load_cols), NULL, 0, err);
        f.limit = h->limit;
    }
    for (size_t i = 0; h->order_by.p && i < SL_COUNT(load_cols); i++)
        if (sl_slice_ieq(h->order_by, load_cols[i]))
            f.order_col = (int)i;
    if (h->order_by.p && f.order_col < 0)
        return sl_fail(err, SL_INVALID, "Title name[%.*s] does not exist",
                       (int)(h->order_by.n > 64 ? 64 : h->order_by.n), h->order_by.p);
    sl_err e = {0};
    sl_code rc = sl_store_list_loads(app->store, db, &f, sink, &e);
    return rc == SL_OK ? SL_OK : sl_fail(err, rc, "%s", e.msg[0] ? e.msg : "cannot list loads");
}

/* SHOW TRANSACTION WHERE id = N | label = 'x', parsed by src/sql, on database db. */
static sl_code run_show_txn(const sl_session *s, const sl_stmt *st, sl_slice db,
                            const sl_query_sink *sink, sl_err *err)
{
    const sl_show_history *h = &st->history;
    sl_err e = {0};
    sl_code rc = sl_store_show_txn(s->app->store, db, h->txn_id, h->label, s->app->tz, sink, &e);
    return rc == SL_OK ? SL_OK
                       : sl_fail(err, rc, "%s", e.msg[0] ? e.msg : "cannot show the transaction");
}

/* SHOW PROC '/stream_loads': this node's running loads, of the databases whose load history
 * the user may read (SL_ACT_LOAD_INFO, as SHOW STREAM LOAD). */
static bool sees_loads_of(void *u, sl_slice db)
{
    const sl_session *s = u;
    sl_err e = {0};
    return s->id.admin ||
           sl_priv_check(s->app->auth, &s->id, SL_ACT_LOAD_INFO, db, SL_LIT(""), &e) == SL_OK;
}

static sl_code run_show_proc(const sl_session *s, sl_arena_t *a, const sl_query_sink *sink,
                             sl_err *err)
{
    sl_slice *cells;
    size_t n;
    if (sl__watch_running(s->app, sees_loads_of, (void *)s, s->app->tz, a, &cells, &n) != SL_OK)
        return nomem(err);
    return emit_rows(sink, sl__watch_running_cols, SL_WATCH_RUNNING_COLS, cells, n, err);
}

static sl_code run_account(const sl_session *s, const sl_stmt *st, sl_arena_t *a,
                           const sl_query_sink *sink, sl_exec_out *out, sl_err *err)
{
    sl_rows rows;
    sl_code rc = sl__account_run(s->app, &s->id, st, a, &rows, err);
    if (rc != SL_OK || rows.n_cols == 0)
        return rc;
    out->has_rows = true;
    return emit_rows(sink, rows.names, rows.n_cols, rows.cells, rows.n_rows, err);
}

/* CREATE TABLE t LIKE src: needs SELECT on the source too, as in Doris. */
static sl_code run_create_like(const sl_session *s, const sl_stmt *st, sl_err *err)
{
    sl_slice src_db = st->like_db.n ? st->like_db : s->db;
    sl_code rc = sl_priv_check(s->app->auth, &s->id, SL_ACT_READ, src_db, st->like_name, err);
    if (rc != SL_OK)
        return rc;
    return sl_store_create_table_like(s->app->store, stmt_db(st, s), st->name, src_db,
                                      st->like_name, st->if_not_exists, err);
}

/* CREATE TABLE t AS SELECT ...: SELECT on the source, the query within the configured limits;
 * out->affected receives the rows written. */
static sl_code run_create_as(const sl_session *s, const sl_stmt *st, sl_exec_out *out,
                             sl_err *err)
{
    sl_app *app = s->app;
    sl_select *sel = (sl_select *)&st->select;
    if (sel->table.n) {
        /* the source is named in the session's database, not the new table's: the one the
         * privilege is checked on is the one read */
        if (sel->db.n == 0)
            sel->db = s->db;
        sl_code rc = sl_priv_check(app->auth, &s->id, SL_ACT_READ, sel->db, sel->table, err);
        if (rc != SL_OK)
            return rc;
    }
    sl_query_limits lim = app->cfg.query;
    lim.tz = app->tz;
    uint64_t rows = 0;
    sl_code rc = sl_store_create_table_as(app->store, stmt_db(st, s), st, sel, &lim, s->id.user,
                                          &rows, err);
    if (rc == SL_OK)
        out->affected = rows;
    return rc;
}

static sl_code run_ddl(const sl_session *s, const sl_stmt *st, sl_slice text, sl_exec_out *out,
                       sl_err *err)
{
    sl_store *store = s->app->store;
    switch (st->kind) {
    case SL_STMT_CREATE_DATABASE:
        return sl_store_create_db(store, st->db, st->if_not_exists, err);
    case SL_STMT_DROP_DATABASE: return sl_store_drop_db(store, st->db, st->if_exists, err);
    case SL_STMT_CREATE_TABLE:
        return sl_store_create_table(store, stmt_db(st, s), st->table, text, st->if_not_exists,
                                     err);
    case SL_STMT_DROP_TABLE:
        return sl_store_drop_table(store, stmt_db(st, s), st->name, st->if_exists, err);
    case SL_STMT_TRUNCATE: return sl_store_truncate(store, stmt_db(st, s), st->name, err);
    case SL_STMT_ALTER_TABLE:
        return sl_store_alter_table(store, stmt_db(st, s), st->name, &st->alter, err);
    case SL_STMT_CREATE_TABLE_LIKE: return run_create_like(s, st, err);
    case SL_STMT_CREATE_TABLE_AS: return run_create_as(s, st, out, err);
    default: return sl_fail(err, SL_INVALID, "Unsupported statement type");
    }
}

/* ---- dispatch ---------------------------------------------------------------------------- */

/* Does the statement act inside a database it does not name (the session's current one)? */
static bool needs_db(const sl_stmt *st)
{
    switch (st->kind) {
    case SL_STMT_SELECT: return st->select.table.n && st->select.db.n == 0;
    case SL_STMT_INSERT: return st->insert.db.n == 0;
    case SL_STMT_CREATE_TABLE:
    case SL_STMT_DROP_TABLE:
    case SL_STMT_TRUNCATE:
    case SL_STMT_SHOW_TABLES:
    case SL_STMT_SHOW_CREATE_TABLE:
    case SL_STMT_DESC:
    case SL_STMT_SHOW_STREAM_LOAD:
    case SL_STMT_SHOW_TRANSACTION:
    case SL_STMT_ALTER_TABLE: return st->db.n == 0;
    case SL_STMT_CREATE_TABLE_LIKE: return st->db.n == 0 || st->like_db.n == 0;
    case SL_STMT_CREATE_TABLE_AS:
        return st->db.n == 0 || (st->select.table.n && st->select.db.n == 0);
    default: return false;
    }
}

/* The MySQL error number of a failed statement: Doris's where it has a closer one than the
 * code's default (ErrorCode.java: 1007, 1008, 1050, 1051). */
static int sql_errno(const sl_exec_out *out, sl_code rc)
{
    if (!out->parsed)
        return SL_PRIMARY(rc) == SL_INVALID ? 1064 : sl_code_mysql(rc);
    switch (out->kind) {
    case SL_STMT_CREATE_DATABASE:
        return SL_PRIMARY(rc) == SL_CONFLICT ? 1007 : sl_code_mysql(rc);
    case SL_STMT_DROP_DATABASE:
        return rc == SL_NOT_FOUND_DB ? 1008 : sl_code_mysql(rc);
    case SL_STMT_CREATE_TABLE:
    case SL_STMT_CREATE_TABLE_LIKE:
    case SL_STMT_CREATE_TABLE_AS:
        return SL_PRIMARY(rc) == SL_CONFLICT ? 1050 : sl_code_mysql(rc);
    case SL_STMT_DROP_TABLE:
    case SL_STMT_SELECT:
        return rc == SL_NOT_FOUND ? 1051 : sl_code_mysql(rc);
    default: return sl_code_mysql(rc);
    }
}

static sl_code run(const sl_session *s, sl_stmt *st, sl_slice text, sl_slice db, sl_arena_t *a,
                   const sl_query_sink *sink, sl_exec_out *out, sl_err *err)
{
    out->has_rows = true;
    switch (st->kind) {
    case SL_STMT_SELECT: return run_select(s, st, sink, err);
    case SL_STMT_DESC: return run_desc(s, st, a, sink, err);
    case SL_STMT_SHOW_DATABASES:
    case SL_STMT_SHOW_TABLES: return run_show(s, st, a, sink, err);
    case SL_STMT_SHOW_CREATE_TABLE: return run_show_create(s, st, a, sink, err);
    case SL_STMT_SHOW_STREAM_LOAD: return run_show_loads(s, st, db, sink, err);
    case SL_STMT_SHOW_TRANSACTION: return run_show_txn(s, st, db, sink, err);
    case SL_STMT_SHOW_PROC_LOADS: return run_show_proc(s, a, sink, err);
    default: break;
    }
    out->has_rows = false;
    switch (st->kind) {
    case SL_STMT_INSERT: return run_insert(s, st, a, out, err);
    case SL_STMT_CREATE_USER:
    case SL_STMT_ALTER_USER:
    case SL_STMT_DROP_USER:
    case SL_STMT_SET_PASSWORD:
    case SL_STMT_GRANT:
    case SL_STMT_REVOKE:
    case SL_STMT_SHOW_GRANTS:
    case SL_STMT_SHOW_NODES: return run_account(s, st, a, sink, out, err);
    default: return run_ddl(s, st, text, out, err);
    }
}

sl_code sl__exec(const sl_session *s, sl_slice text, sl_arena_t *a, const sl_query_sink *sink,
                 sl_exec_out *out, sl_err *err)
{
    memset(out, 0, sizeof *out);
    sl_stmt st;
    sl_code rc = sl_sql_parse(text.p, text.n, a, &st, err);
    bool no_db = false;
    if (rc == SL_OK) {
        out->parsed = true;
        out->kind = st.kind;
        if ((no_db = s->db.p == NULL && needs_db(&st)))
            rc = sl_fail(err, SL_INVALID, "No database selected");
    }
    /* The one privilege check, on the database and table the statement acts on (the same db
     * the SHOW statements below run on). */
    sl_priv_action act;
    sl_slice db = SL_LIT(""), table;
    if (rc == SL_OK) {
        sl_priv_of_stmt(&st, s->db.p ? s->db : SL_LIT(""), &act, &db, &table);
        rc = sl_priv_check(s->app->auth, &s->id, act, db, table, err);
    }
    if (rc == SL_OK)
        rc = run(s, &st, text, db, a, sink, out, err);
    if (rc != SL_OK) {
        out->has_rows = false;
        out->sql_errno = no_db ? 1046 : sql_errno(out, rc);
    }
    return rc;
}
