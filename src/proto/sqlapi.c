/*
 * sqlapi.c - Doris's HTTP SQL API, POST /api/query/{ns}/{db} (proto stage).
 *
 * Body {"stmt": "...", "is_sync": true, "limit": 1000}; one statement, parsed by src/sql and run
 * against the store. Answers are HTTP 200 in the buffered ResponseBody envelope
 * (conformance/doris/HTTP_SQL_API.md): {"msg":"success","code":0,"data":{...},"count":0}, or
 * {"msg":"Error","code":1,"data":"Failed to execute sql: ...","count":0}.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../batch/convert.h"
#include "../core/jsonval.h"
#include "../core/mem.h"
#include "proto.h"

/* Statement bodies are small; a larger one is refused before it is read. */
#define MAX_BODY (1u << 20)

typedef struct sql_ctx {
    sl_buf body;
    sl_identity id;           /* who logged in */
    sl_slice db;              /* from the path */
    uint64_t t0;
} sql_ctx;

static void sql_error(sl_http_req *r, const char *msg)
{
    sl_buf b = SL_BUF_INIT;
    sl_buf_puts(&b, "Failed to execute sql: ");
    sl_buf_puts(&b, msg);
    sl_buf j = SL_BUF_INIT;
    sl_json_str(&j, b.p ? b.p : "", b.len);
    sl__fe_result(r, "Error", 1, j.p ? j.p : "\"\"");
    sl_buf_free(&b);
    sl_buf_free(&j);
}

static void exec_ok(sl_http_req *r, sql_ctx *c)
{
    char data[128];
    snprintf(data, sizeof data, "{\"type\":\"exec_status\",\"status\":{},\"time\":%llu}",
             (unsigned long long)(sl_http_now_ms() - c->t0));
    sl__fe_result(r, "success", 0, data);
}

/* ---- result sets --------------------------------------------------------------------- */

typedef struct rs {
    sl_buf b;                 /* the "data" object being built */
    sl_type *types;           /* the columns' types, copied at meta */
    size_t n_cols;
    size_t rows, limit;
} rs;

static sl_code rs_meta(void *arg, const sl_qcol *cols, size_t n)
{
    rs *s = arg;
    s->n_cols = n;
    s->types = sl_calloc((n + 1) * sizeof *s->types);
    if (!s->types)
        return SL_NOMEM;
    sl_buf_puts(&s->b, "{\"type\":\"result_set\",\"meta\":[");
    for (size_t i = 0; i < n; i++) {
        s->types[i] = cols[i].type;
        sl_buf_puts(&s->b, i ? ",{\"name\":" : "{\"name\":");
        sl_json_str(&s->b, cols[i].name.p ? cols[i].name.p : "", cols[i].name.n);
        sl_buf_printf(&s->b, ",\"type\":\"%s\"}", sl_type_meta_name(&cols[i].type));
    }
    sl_buf_puts(&s->b, "],\"data\":[");
    return SL_OK;
}

static void put_double(sl_buf *b, double d, bool as_float)
{
    char tmp[64];
    if (isnan(d) || isinf(d)) {
        sl_buf_printf(b, "\"%s\"", isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
        return;
    }
    if (as_float)
        sl_format_float((float)d, tmp);
    else
        sl_format_double(d, tmp);
    sl_buf_puts(b, tmp);
}

/* One value as the SQL API shows it (HTTP_SQL_API.md "data for statements that return
 * rows"): DATE/DATETIME as strings at the column's precision, DECIMAL as a number at its scale
 * exactly, LARGEINT as a number, BOOLEAN as true/false, text as strings. */
static void put_value(sl_buf *b, const sl_type *t, const sl_qval *v)
{
    char tmp[80];
    if (v->null) {
        sl_buf_puts(b, "null");
        return;
    }
    switch ((sl_type_id)t->id) {
    case SL_BOOLEAN: sl_buf_puts(b, v->v.i ? "true" : "false"); return;
    case SL_TINYINT: case SL_SMALLINT: case SL_INT: case SL_BIGINT:
        sl_buf_printf(b, "%lld", (long long)v->v.i);
        return;
    case SL_LARGEINT: sl_format_i128(v->v.w, tmp), sl_buf_puts(b, tmp); return;
    case SL_DECIMAL: sl_format_decimal(v->v.w, t->scale, tmp), sl_buf_puts(b, tmp); return;
    case SL_FLOAT: put_double(b, v->v.d, true); return;
    case SL_DOUBLE: put_double(b, v->v.d, false); return;
    case SL_DATE: sl_json_str(b, tmp, sl_format_date(v->v.i, tmp)); return;
    case SL_DATETIME: sl_json_str(b, tmp, sl_format_datetime(v->v.i, t->precision, tmp)); return;
    default: sl_json_str(b, v->v.s.p ? v->v.s.p : "", v->v.s.n); return;
    }
}

static sl_code rs_row(void *arg, const sl_qval *vals, size_t n)
{
    rs *s = arg;
    if (s->limit && s->rows >= s->limit)
        return SL_OK;
    sl_buf_puts(&s->b, s->rows ? ",[" : "[");
    for (size_t i = 0; i < n && i < s->n_cols; i++) {
        if (i)
            sl_buf_putc(&s->b, ',');
        put_value(&s->b, &s->types[i], &vals[i]);
    }
    sl_buf_putc(&s->b, ']');
    s->rows++;
    return s->b.oom ? SL_NOMEM : SL_OK;
}

static void rs_reply(sl_http_req *r, rs *s, sql_ctx *c)
{
    sl_buf_printf(&s->b, "],\"time\":%llu}", (unsigned long long)(sl_http_now_ms() - c->t0));
    if (s->b.oom)
        sql_error(r, "out of memory");
    else
        sl__fe_result(r, "success", 0, s->b.p);
}

static void rs_free(rs *s)
{
    sl_buf_free(&s->b);
    sl_free(s->types);
}

/* A small fixed result (SHOW, DESC): names and text rows (NULL pointers are SQL NULL), all
 * VARCHAR as Doris's SHOW results are. */
static void reply_rows(sl_http_req *r, sql_ctx *c, const char *const *names, size_t n_cols,
                       const sl_slice *cells, size_t n_rows)
{
    rs s = {0};
    sl_qcol *cols = sl_calloc((n_cols + 1) * sizeof *cols);
    sl_qval *vals = sl_calloc((n_cols + 1) * sizeof *vals);
    if (cols == NULL || vals == NULL) {
        sl_free(cols);
        sl_free(vals);
        sql_error(r, "out of memory");
        return;
    }
    for (size_t i = 0; i < n_cols; i++)
        cols[i] = (sl_qcol){sl_slice_of(names[i]), {SL_VARCHAR, 0, 0, 0, 0}};
    rs_meta(&s, cols, n_cols);
    for (size_t row = 0; row < n_rows; row++) {
        for (size_t i = 0; i < n_cols; i++) {
            sl_slice v = cells[row * n_cols + i];
            vals[i].null = v.p == NULL;
            vals[i].v.s.p = v.p;
            vals[i].v.s.n = v.n;
        }
        rs_row(&s, vals, n_cols);
    }
    rs_reply(r, &s, c);
    rs_free(&s);
    sl_free(cols);
    sl_free(vals);
}

/* ---- statements -------------------------------------------------------------------------- */

static sl_slice stmt_db(const sl_stmt *st, const sql_ctx *c)
{
    return st->db.n ? st->db : c->db;
}

/* SELECT: the store resolves the table, checks the statement against it and runs it within
 * the configured limits. */
static void run_select(sl_http_req *r, sql_ctx *c, sl_stmt *st, size_t limit)
{
    sl_app *app = r->app;
    sl_err err = {0};
    sl_query_limits lim = app->cfg.query;
    lim.tz = app->tz;
    rs s = {0};
    s.limit = limit;
    sl_query_sink sink = {rs_meta, rs_row, &s};
    if (sl_store_query(app->store, c->db, &st->select, &lim, &sink, &err) != SL_OK)
        sql_error(r, err.msg[0] ? err.msg : "query failed");
    else
        rs_reply(r, &s, c);
    rs_free(&s);
}

static void run_desc(sl_http_req *r, sql_ctx *c, const sl_stmt *st)
{
    sl_app *app = r->app;
    sl_err err = {0};
    sl_tabledef *def;
    int64_t id;
    if (sl_catalog_table(&app->env, stmt_db(st, c), st->name, &r->arena, &def, &id, &err) != SL_OK) {
        sql_error(r, err.msg);
        return;
    }
    static const char *const names[] = {"Field", "Type", "Null", "Key", "Default", "Extra"};
    static const char *const aggs[] = {"", "SUM", "MAX", "MIN", "REPLACE", "REPLACE_IF_NOT_NULL"};
    sl_slice *cells = sl_arena_alloc(&r->arena, def->n_cols * 6 * sizeof *cells + 1);
    for (size_t i = 0; cells && i < def->n_cols; i++) {
        const sl_coldef *cd = &def->cols[i];
        char tn[64];
        sl_type_name(&cd->type, tn, sizeof tn);
        sl_slice *row = cells + i * 6;
        row[0] = cd->name;
        row[1] = sl_arena_slice(&r->arena, sl_slice_of(tn));
        row[2] = sl_slice_of(cd->nullable ? "Yes" : "No");
        row[3] = sl_slice_of(cd->key ? "true" : "false");
        row[4] = cd->default_kind == SL_DEFAULT_VALUE ? cd->default_value
                 : cd->default_kind == SL_DEFAULT_CURRENT_TIMESTAMP ? SL_LIT("CURRENT_TIMESTAMP")
                 : cd->default_kind == SL_DEFAULT_CURRENT_DATE ? SL_LIT("CURRENT_DATE")
                                                                : SL_SLICE_NULL;
        row[5] = sl_slice_of(cd->agg < SL_COUNT(aggs) ? aggs[cd->agg] : "");
    }
    if (cells == NULL)
        sql_error(r, "out of memory");
    else
        reply_rows(r, c, names, 6, cells, def->n_cols);
}

static void run_show(sl_http_req *r, sql_ctx *c, const sl_stmt *st)
{
    sl_app *app = r->app;
    sl_err err = {0};
    sl_slice *names = NULL;
    size_t n = 0;
    if (st->kind == SL_STMT_SHOW_DATABASES) {
        if (sl_store_list_dbs(app->store, &r->arena, &names, &n, &err) != SL_OK) {
            sql_error(r, err.msg);
            return;
        }
        sl_slice *all = sl_arena_alloc(&r->arena, (n + 1) * sizeof *all);
        if (all == NULL) {
            sql_error(r, "out of memory");
            return;
        }
        /* As Doris: only databases the user holds a privilege on (or in). */
        size_t k = 0;
        all[k++] = SL_LIT("information_schema");
        for (size_t i = 0; i < n; i++)
            if (sl_priv_sees_db(app->auth, &c->id, names[i]))
                all[k++] = names[i];
        static const char *const col[] = {"Database"};
        reply_rows(r, c, col, 1, all, k);
        return;
    }
    sl_slice db = stmt_db(st, c);
    if (sl_store_list_tables(app->store, db, &r->arena, &names, &n, &err) != SL_OK) {
        sql_error(r, err.msg);
        return;
    }
    const char *col[] = {sl_arena_printf(&r->arena, "Tables_in_%.*s", (int)db.n, db.p)};
    reply_rows(r, c, col, 1, names, n);
}

static void run_show_create(sl_http_req *r, sql_ctx *c, const sl_stmt *st)
{
    sl_app *app = r->app;
    sl_err err = {0};
    sl_slice ddl;
    int64_t id;
    if (sl_store_get_table(app->store, stmt_db(st, c), st->name, &r->arena, &ddl, &id, &err) !=
        SL_OK) {
        sql_error(r, err.msg);
        return;
    }
    static const char *const names[] = {"Table", "Create Table"};
    sl_slice cells[2] = {st->name, ddl};
    reply_rows(r, c, names, 2, cells, 1);
}

/* INSERT ... VALUES: the rows go through a load job like any body. */
static void run_insert(sl_http_req *r, sql_ctx *c, const sl_stmt *st)
{
    sl_app *app = r->app;
    const sl_insert *in = &st->insert;
    sl_load_spec spec;
    memset(&spec, 0, sizeof spec);
    sl_decode_opts_default(&spec.dopts);
    spec.db = in->db.n ? in->db : c->db;
    spec.table = in->table;
    char *label = sl_arena_alloc(&r->arena, 48);
    if (label == NULL) {
        sql_error(r, "out of memory");
        return;
    }
    memcpy(label, "insert_", 7);
    sl__uuid(label + 7);
    spec.label = sl_slice_of(label);
    spec.format = SL_LIT("csv");
    spec.timeout_s = app->cfg.default_timeout_s;
    spec.tz = app->tz;
    if (in->cols) {
        sl_buf cols = SL_BUF_INIT;
        for (size_t i = 0; i < in->n_cols; i++) {
            sl_buf_puts(&cols, i ? ",`" : "`");
            sl_buf_append(&cols, in->cols[i].p, in->cols[i].n);
            sl_buf_putc(&cols, '`');
        }
        spec.columns = sl_arena_slice(&r->arena, (sl_slice){cols.p ? cols.p : "", cols.len});
        sl_buf_free(&cols);
    }
    sl_job *job;
    sl_load_result res;
    if (sl_job_begin(&app->env, &spec, &job, &res) != SL_OK) {
        sql_error(r, res.err.msg);
        return;
    }
    sl_rawbatch rb = {0};
    sl_code rc = SL_OK;
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
    if (rc == SL_OK)
        exec_ok(r, c);
    else {
        const sl_load_result *lr = sl_job_result(job);
        sql_error(r, lr->first_error[0] ? lr->first_error : lr->err.msg);
    }
    sl_job_free(job);
}

/* ---- SHOW STREAM LOAD / SHOW TRANSACTION --------------------------------------------- */

/* The columns of SHOW STREAM LOAD (the store's list_loads order). */
static const char *const load_cols[] = {"Label", "Db", "Table", "ClientIp", "Status", "Message",
                                        "Url", "TotalRows", "LoadedRows", "FilteredRows",
                                        "UnselectedRows", "LoadBytes", "StartTime", "FinishTime",
                                        "User", "Comment"};

/* SHOW STREAM LOAD, parsed by src/sql (sl_show_history), on database db. */
static void run_show_loads(sl_http_req *r, sql_ctx *c, const sl_stmt *st, sl_slice db)
{
    sl_app *app = r->app;
    const sl_show_history *h = &st->history;
    sl_load_filter f = {.order_col = -1, .tz = app->tz,
                        .label = h->label, .label_like = h->label_like, .status = h->status,
                        .desc = h->desc};
    if (h->has_limit) {
        if (h->limit == 0) { /* LIMIT 0: no rows (the store reads 0 as "no limit") */
            reply_rows(r, c, load_cols, SL_COUNT(load_cols), NULL, 0);
            return;
        }
        f.limit = h->limit;
    }
    for (size_t i = 0; h->order_by.p && i < SL_COUNT(load_cols); i++)
        if (sl_slice_ieq(h->order_by, load_cols[i]))
            f.order_col = (int)i;
    if (h->order_by.p && f.order_col < 0) {
        char msg[200];
        snprintf(msg, sizeof msg, "Title name[%.*s] does not exist",
                 (int)(h->order_by.n > 64 ? 64 : h->order_by.n), h->order_by.p);
        sql_error(r, msg);
        return;
    }
    rs s = {0};
    sl_query_sink sink = {rs_meta, rs_row, &s};
    sl_err err = {0};
    if (sl_store_list_loads(app->store, db, &f, &sink, &err) != SL_OK)
        sql_error(r, err.msg[0] ? err.msg : "cannot list loads");
    else
        rs_reply(r, &s, c);
    rs_free(&s);
}

/* SHOW TRANSACTION WHERE id = N | label = 'x', parsed by src/sql, on database db. */
static void run_show_txn(sl_http_req *r, sql_ctx *c, const sl_stmt *st, sl_slice db)
{
    sl_app *app = r->app;
    const sl_show_history *h = &st->history;
    rs s = {0};
    sl_query_sink sink = {rs_meta, rs_row, &s};
    sl_err err = {0};
    if (sl_store_show_txn(app->store, db, h->txn_id, h->label, app->tz,
                          &sink, &err) != SL_OK)
        sql_error(r, err.msg[0] ? err.msg : "cannot show the transaction");
    else
        rs_reply(r, &s, c);
    rs_free(&s);
}

static void run_account(sl_http_req *r, sql_ctx *c, const sl_stmt *st)
{
    sl_err err = {0};
    sl_rows rows;
    if (sl__account_run(r->app, &c->id, st, &r->arena, &rows, &err) != SL_OK)
        sql_error(r, err.msg);
    else if (rows.n_cols)
        reply_rows(r, c, rows.names, rows.n_cols, rows.cells, rows.n_rows);
    else
        exec_ok(r, c);
}

static void run_ddl(sl_http_req *r, sql_ctx *c, const sl_stmt *st, sl_slice text)
{
    sl_app *app = r->app;
    sl_err err = {0};
    sl_code rc = SL_OK;
    switch (st->kind) {
    case SL_STMT_CREATE_DATABASE:
        rc = sl_store_create_db(app->store, st->db, st->if_not_exists, &err);
        break;
    case SL_STMT_DROP_DATABASE:
        rc = sl_store_drop_db(app->store, st->db, st->if_exists, &err);
        break;
    case SL_STMT_CREATE_TABLE:
        rc = sl_store_create_table(app->store, stmt_db(st, c), st->table, text, st->if_not_exists,
                                   &err);
        break;
    case SL_STMT_DROP_TABLE:
        rc = sl_store_drop_table(app->store, stmt_db(st, c), st->name, st->if_exists, &err);
        break;
    case SL_STMT_TRUNCATE:
        rc = sl_store_truncate(app->store, stmt_db(st, c), st->name, &err);
        break;
    case SL_STMT_ALTER_TABLE:
        rc = sl_store_alter_table(app->store, stmt_db(st, c), st->name, &st->alter, &err);
        break;
    case SL_STMT_CREATE_TABLE_LIKE: /* and SELECT on the source, as Doris */
        rc = sl_priv_check(app->auth, &c->id, SL_ACT_READ, st->like_db.n ? st->like_db : c->db,
                           st->like_name, &err);
        if (rc == SL_OK)
            rc = sl_store_create_table_like(app->store, stmt_db(st, c), st->name,
                                            st->like_db.n ? st->like_db : c->db, st->like_name,
                                            st->if_not_exists, &err);
        break;
    case SL_STMT_CREATE_TABLE_AS: {
        sl_query_limits lim = app->cfg.query;
        uint64_t rows;
        lim.tz = app->tz;
        rc = sl_priv_check(app->auth, &c->id, SL_ACT_READ,
                           st->select.db.n ? st->select.db : c->db, st->select.table, &err);
        if (rc == SL_OK)
            rc = sl_store_create_table_as(app->store, stmt_db(st, c), st, (sl_select *)&st->select,
                                          &lim, c->id.user, &rows, &err);
        break;
    }
    default:
        rc = sl_fail(&err, SL_INVALID, "Unsupported statement type");
    }
    if (rc == SL_OK)
        exec_ok(r, c);
    else
        sql_error(r, err.msg);
}

static void execute(sl_http_req *r, sql_ctx *c, sl_slice text, size_t limit)
{
    sl_app *app = r->app;
    sl_stmt st;
    sl_err err = {0};
    if (sl_sql_parse(text.p, text.n, &r->arena, &st, &err) != SL_OK) {
        sql_error(r, err.msg);
        return;
    }
    /* The one privilege check, on the database and table the statement acts on (the same db
     * the SHOW statements below run on). */
    sl_priv_action act;
    sl_slice db, table;
    sl_priv_of_stmt(&st, c->db, &act, &db, &table);
    if (sl_priv_check(app->auth, &c->id, act, db, table, &err) != SL_OK) {
        sql_error(r, err.msg);
        return;
    }
    switch (st.kind) {
    case SL_STMT_SELECT: run_select(r, c, &st, limit); break;
    case SL_STMT_DESC: run_desc(r, c, &st); break;
    case SL_STMT_SHOW_DATABASES:
    case SL_STMT_SHOW_TABLES: run_show(r, c, &st); break;
    case SL_STMT_SHOW_CREATE_TABLE: run_show_create(r, c, &st); break;
    case SL_STMT_INSERT: run_insert(r, c, &st); break;
    case SL_STMT_SHOW_STREAM_LOAD: run_show_loads(r, c, &st, db); break;
    case SL_STMT_SHOW_TRANSACTION: run_show_txn(r, c, &st, db); break;
    case SL_STMT_CREATE_USER:
    case SL_STMT_ALTER_USER:
    case SL_STMT_DROP_USER:
    case SL_STMT_SET_PASSWORD:
    case SL_STMT_GRANT:
    case SL_STMT_REVOKE:
    case SL_STMT_SHOW_GRANTS:
    case SL_STMT_SHOW_NODES: run_account(r, c, &st); break;
    default: run_ddl(r, c, &st, text); break;
    }
}

/* ---- HTTP -------------------------------------------------------------------------------- */

static void sql_begin(sl_http_req *r)
{
    sql_ctx *c = sl_arena_alloc(&r->arena, sizeof *c);
    if (c == NULL) {
        sl_http_respond(r, 503, "text/plain", "out of memory\n", 14);
        return;
    }
    memset(c, 0, sizeof *c);
    c->t0 = sl_http_now_ms();
    r->ctx = c;
    sl_slice seg[5];
    sl_err err = {0};
    bool none;
    sl_code rc = sl__login(r, &c->id, NULL, &none, &err);
    if (rc != SL_OK && none) {
        sl__fe_result(r, "Unauthorized", 401, "\"Need auth information.\"");
        return;
    }
    if (rc != SL_OK) {
        sl_buf b = SL_BUF_INIT;
        sl_json_cstr(&b, err.msg);
        sl__fe_result(r, "Unauthorized", 401, b.p ? b.p : "\"\"");
        sl_buf_free(&b);
        return;
    }
    size_t n = sl__path_segments(r, seg, SL_COUNT(seg));
    c->db = n >= 4 ? seg[3] : SL_LIT("");
    if (r->content_length > (int64_t)MAX_BODY)
        sl__fe_result(r, "Error", 1, "\"statement body too large\"");
}

static void sql_body(sl_http_req *r, const char *p, size_t n)
{
    sql_ctx *c = r->ctx;
    if (c->body.len + n > MAX_BODY) {
        sl__fe_result(r, "Error", 1, "\"statement body too large\"");
        return;
    }
    sl_buf_append(&c->body, p, n);
}

static void sql_end(sl_http_req *r)
{
    sql_ctx *c = r->ctx;
    sl_jval *doc = NULL;
    sl_err err = {0};
    if (c->body.oom) {
        sql_error(r, "out of memory");
        return;
    }
    if (sl_json_parse(c->body.p ? c->body.p : "", c->body.len, &r->arena, &doc, &err) != SL_OK) {
        sl__fe_result(r, "Bad Request", 403, "\"Missing statement request body\"");
        return;
    }
    const sl_jval *stmt = sl_json_get(doc, "stmt");
    if (stmt == NULL || stmt->type != SL_J_STR || sl_slice_trim(stmt->s).n == 0) {
        sl__fe_result(r, "Bad Request", 403, "\"Missing statement request body\"");
        return;
    }
    const sl_jval *sync = sl_json_get(doc, "is_sync");
    if (sync && sync->type == SL_J_BOOL && !sync->b) {
        sl__fe_result(r, "Error", 1, "\"Not support async query execution\"");
        return;
    }
    /* The buffered form (X-Doris-Stream: false) returns at most `limit` rows (default 1000);
     * the streaming form ignores the limit. */
    size_t limit = 0;
    if (sl_slice_ieq(sl_http_header_get(r, "X-Doris-Stream"), "false")) {
        const sl_jval *l = sl_json_get(doc, "limit");
        limit = 1000;
        if (l && l->type == SL_J_NUM && l->s.n < 18 && l->s.p[0] != '-') {
            char tmp[24];
            snprintf(tmp, sizeof tmp, "%.*s", (int)l->s.n, l->s.p);
            limit = (size_t)strtoull(tmp, NULL, 10);
        }
    }
    execute(r, c, stmt->s, limit);
}

static void sql_cleanup(sl_http_req *r)
{
    sql_ctx *c = r->ctx;
    if (c)
        sl_buf_free(&c->body);
}

const sl_http_handler sl_sqlapi_query = {"sql-api", sql_begin, sql_body, sql_end, NULL,
                                         sql_cleanup};
