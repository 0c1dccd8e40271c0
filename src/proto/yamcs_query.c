/*
 * yamcs_query.c - POST /api/archive/{inst}:executeSql and :executeStreamingSql: Yamcs
 * StreamSQL statements run against the store (proto stage). Spec: specs/yamcs-tables.md §4.5.
 *
 *   ExecuteSqlRequest{statement} -> yamcs_sql.c (parse) -> per statement:
 *     CREATE TABLE -> Doris DDL -> src/sql -> privilege (the SQL API's rule) -> store
 *     DROP TABLE, SHOW TABLES, DESCRIBE t -> store catalog
 *     SELECT -> Doris SELECT text -> src/sql (sl_select) -> store query (either engine)
 *     DELETE -> the SELECT of the rows -> their keys as delete rows of a typed load job
 *   result rows -> ResultSet{columns, rows: ListValue{values: yamcs.protobuf.Value}}
 *     :executeStreamingSql  varint-delimited ResultSets streamed as the store yields rows (the
 *                           first carries the columns; a new one past ~2000 bytes, as Yamcs);
 *                           no ResultSet at all when there is no row, as Yamcs
 *     :executeSql           one ResultSet (protobuf or JSON), at most 2000 rows (Yamcs's cap)
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../batch/convert.h"
#include "../core/jsonval.h"
#include "../core/mem.h"
#include "yamcs_internal.h"
#include "yamcs_sql.h"

#define RESULT_SET_BYTES 2000  /* Yamcs's RESULT_SET_SIZE_TRESHOLD: a streamed set's size */
#define UNARY_MAX_ROWS 2000    /* Yamcs's MAX_NUM_ROWS for :executeSql */

/* Value.Type of yamcs.proto */
enum { VT_DOUBLE = 1, VT_SINT32 = 3, VT_BINARY = 4, VT_STRING = 5, VT_TIMESTAMP = 6,
       VT_SINT64 = 8, VT_BOOLEAN = 9, VT_ARRAY = 11, VT_NONE = 13 };
static const char *const vt_names[] = {"FLOAT", "DOUBLE", "UINT32", "SINT32", "BINARY",
                                       "STRING", "TIMESTAMP", "UINT64", "SINT64", "BOOLEAN",
                                       "AGGREGATE", "ARRAY", "ENUMERATED", "NONE"};

/* One result column: its Yamcs type (from the table for a plain column, else from the sluice
 * type) and the sluice type of the values. */
typedef struct rcol {
    sl_slice name;
    sl_type type;
    sl_ytype yt;
    char yname[320];
} rcol;

typedef struct yq {
    sl_http_req *r;
    yamcs_ctx *y;
    bool proto, streaming;
    rcol *cols;
    size_t n_cols;
    int *src;               /* per result column: table column or -1 (set before the query) */
    size_t n_src;
    sl_buf rs;              /* the ResultSet being built (protobuf fields, or JSON rows) */
    sl_buf val, tmp, out;
    size_t rs_rows;
    uint64_t rows;
    bool sent;              /* a streamed ResultSet went out */
    sl_arena_t a;           /* per result row */
    sl_arena_t meta;        /* the statement's life */
    sl_err *err;
} yq;

/* ---- Values --------------------------------------------------------------------------- */

static uint8_t ytype_of(const sl_type *t)
{
    switch (t->id) {
    case SL_TINYINT: return SL_Y_BYTE;
    case SL_SMALLINT: return SL_Y_SHORT;
    case SL_INT: return SL_Y_INT;
    case SL_BIGINT: return SL_Y_LONG;
    case SL_FLOAT: case SL_DOUBLE: case SL_DECIMAL: return SL_Y_DOUBLE;
    case SL_BOOLEAN: return SL_Y_BOOLEAN;
    case SL_DATE: case SL_DATETIME: return SL_Y_TIMESTAMP;
    default: return SL_Y_STRING;
    }
}

static double as_double(const sl_type *t, const sl_qval *v)
{
    char buf[64];
    switch (t->id) {
    case SL_FLOAT: case SL_DOUBLE: return v->v.d;
    case SL_DECIMAL: sl_format_decimal(v->v.w, t->scale, buf); return strtod(buf, NULL);
    case SL_LARGEINT: return (double)v->v.w;
    default: return (double)v->v.i;
    }
}

/* A time value as Unix milliseconds. */
static int64_t as_ms(const sl_type *t, const sl_qval *v)
{
    int64_t us = t->id == SL_DATE ? v->v.i * INT64_C(86400000000) : v->v.i;
    return us / 1000 - (us % 1000 < 0);
}

/* The ISO text Yamcs gives with a TIMESTAMP value (TimeEncoding.toString: UTC, milliseconds). */
static size_t iso_ms(int64_t ms, char *buf)
{
    char dt[64];
    size_t n = sl_format_datetime((ms - (ms % 1000 + 1000) % 1000) * 1000, 0, dt);
    dt[10] = 'T';
    return (size_t)snprintf(buf, 48, "%.*s.%03dZ", (int)n, dt, (int)((ms % 1000 + 1000) % 1000));
}

static void put_fixed64(sl_buf *b, unsigned field, uint64_t v)
{
    char t[8];
    for (int i = 0; i < 8; i++)
        t[i] = (char)(v >> (8 * i));
    sl__pb_varint(b, (uint64_t)field << 3 | 1);
    sl_buf_append(b, t, 8);
}

static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

/* Hex text (how binary values are stored) to bytes in the row arena. */
static sl_slice unhex(yq *q, sl_slice s)
{
    char *o = sl_arena_alloc(&q->a, s.n / 2 + 1);
    if (o == NULL)
        return SL_SLICE_NULL;
    size_t k = 0;
    for (size_t i = 0; i + 1 < s.n; i += 2) {
        int h = sl_hexval(s.p[i]), l = sl_hexval(s.p[i + 1]);
        if (h < 0 || l < 0)
            return s; /* not hex: the bytes as stored */
        o[k++] = (char)(h << 4 | l);
    }
    return (sl_slice){o, k};
}

static void json_b64(sl_buf *b, sl_slice s)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    sl_buf_putc(b, '"');
    for (size_t i = 0; i < s.n; i += 3) {
        uint32_t v = (uint32_t)(uint8_t)s.p[i] << 16;
        if (i + 1 < s.n)
            v |= (uint32_t)(uint8_t)s.p[i + 1] << 8;
        if (i + 2 < s.n)
            v |= (uint8_t)s.p[i + 2];
        char o[4] = {tab[v >> 18], tab[(v >> 12) & 63], i + 1 < s.n ? tab[(v >> 6) & 63] : '=',
                     i + 2 < s.n ? tab[v & 63] : '='};
        sl_buf_append(b, o, 4);
    }
    sl_buf_putc(b, '"');
}

/* One scalar Value of Yamcs type yt from a value of sluice type t, into b (protobuf fields or
 * a JSON object). */
static void put_value(yq *q, sl_buf *b, uint8_t yt, const sl_type *t, const sl_qval *v)
{
    char buf[64];
    int vt;
    if (v->null) {
        vt = VT_NONE;
    } else if (yt == SL_Y_BYTE || yt == SL_Y_SHORT || yt == SL_Y_INT) {
        vt = VT_SINT32;
    } else if (yt == SL_Y_LONG) {
        vt = VT_SINT64;
    } else if (yt == SL_Y_DOUBLE) {
        vt = VT_DOUBLE;
    } else if (yt == SL_Y_BOOLEAN) {
        vt = VT_BOOLEAN;
    } else if (yt == SL_Y_TIMESTAMP || yt == SL_Y_HRES_TIMESTAMP) {
        vt = (t->id == SL_DATETIME || t->id == SL_DATE) ? VT_TIMESTAMP : VT_STRING;
    } else if (yt == SL_Y_BINARY || yt == SL_Y_PROTOBUF || yt == SL_Y_PARAMETER_VALUE) {
        vt = VT_BINARY;
    } else {
        vt = VT_STRING;
    }
    sl_slice s = SL_SLICE_NULL;
    if (vt == VT_STRING || vt == VT_BINARY) {
        if (sl_type_is_text(t)) {
            s = (sl_slice){v->v.s.p ? v->v.s.p : "", v->v.s.n};
        } else { /* a number shown as text */
            size_t k = t->id == SL_LARGEINT ? sl_format_i128(v->v.w, buf)
                       : t->id == SL_DECIMAL ? sl_format_decimal(v->v.w, t->scale, buf)
                       : (t->id == SL_FLOAT || t->id == SL_DOUBLE) ? sl_format_double(v->v.d, buf)
                       : (size_t)snprintf(buf, sizeof buf, "%lld", (long long)v->v.i);
            s = (sl_slice){buf, k};
        }
        if (vt == VT_BINARY)
            s = unhex(q, s);
    }
    int64_t ms = vt == VT_TIMESTAMP ? sl_yamcs_unix_ms_to_instant(as_ms(t, v)) : 0;
    char iso[48];
    size_t iso_n = vt == VT_TIMESTAMP ? iso_ms(as_ms(t, v), iso) : 0;
    if (q->proto) {
        sl__pb_uint(b, 1, (uint64_t)vt);
        switch (vt) {
        case VT_SINT32: sl__pb_uint(b, 4, zigzag(v->v.i)); break;
        case VT_SINT64: sl__pb_uint(b, 10, zigzag(v->v.i)); break;
        case VT_BOOLEAN: sl__pb_uint(b, 11, v->v.i != 0); break;
        case VT_DOUBLE: {
            double d = as_double(t, v);
            uint64_t bits;
            memcpy(&bits, &d, 8);
            put_fixed64(b, 3, bits);
            break;
        }
        case VT_TIMESTAMP:
            sl__pb_uint(b, 8, (uint64_t)ms);
            sl__pb_bytes(b, 7, iso, iso_n);
            break;
        case VT_STRING: sl__pb_bytes(b, 7, s.p, s.n); break;
        case VT_BINARY: sl__pb_bytes(b, 6, s.p ? s.p : "", s.n); break;
        default: break;
        }
        return;
    }
    sl_buf_printf(b, "{\"type\":\"%s\"", vt_names[vt]);
    switch (vt) {
    case VT_SINT32: sl_buf_printf(b, ",\"sint32Value\":%lld", (long long)v->v.i); break;
    case VT_SINT64: sl_buf_printf(b, ",\"sint64Value\":\"%lld\"", (long long)v->v.i); break;
    case VT_BOOLEAN: sl_buf_printf(b, ",\"booleanValue\":%s", v->v.i ? "true" : "false"); break;
    case VT_DOUBLE: {
        double d = as_double(t, v);
        size_t k = sl_format_double(d, buf);
        bool finite = d == d && d - d == 0;
        sl_buf_printf(b, finite ? ",\"doubleValue\":%.*s" : ",\"doubleValue\":\"%.*s\"", (int)k,
                      buf);
        break;
    }
    case VT_TIMESTAMP:
        sl_buf_puts(b, ",\"stringValue\":");
        sl_json_str(b, iso, iso_n);
        sl_buf_printf(b, ",\"timestampValue\":\"%lld\"", (long long)ms);
        break;
    case VT_STRING: sl_buf_puts(b, ",\"stringValue\":"); sl_json_str(b, s.p, s.n); break;
    case VT_BINARY: sl_buf_puts(b, ",\"binaryValue\":"); json_b64(b, s); break;
    default: break;
    }
    sl_buf_putc(b, '}');
}

/* An ARRAY column (stored as a JSON array): Value{type ARRAY, arrayValue...}. */
static void put_array(yq *q, sl_buf *b, const sl_ytype *yt, const sl_qval *v)
{
    sl_jval *j = NULL;
    sl_err perr = {0};
    if (v->null || sl_json_parse(v->v.s.p, v->v.s.n, &q->a, &j, &perr) != SL_OK ||
        j->type != SL_J_ARR) {
        sl_qval nul = {true, {0}};
        put_value(q, b, SL_Y_STRING, &(sl_type){SL_STRING, 0, 0, 0, 0}, &nul);
        return;
    }
    sl_buf el = SL_BUF_INIT;
    if (q->proto)
        sl__pb_uint(b, 1, VT_ARRAY);
    else
        sl_buf_puts(b, "{\"type\":\"ARRAY\",\"arrayValue\":[");
    for (size_t i = 0; i < j->n; i++) {
        const sl_jval *e = &j->items[i];
        sl_qval x = {e->type == SL_J_NULL, {0}};
        sl_type t = {SL_STRING, 0, 0, 0, 0};
        char nb[64];
        size_t n = e->s.n < 63 ? e->s.n : 63;
        memcpy(nb, e->s.p ? e->s.p : "", n);
        nb[n] = 0;
        if (e->type == SL_J_BOOL)
            t.id = SL_BIGINT, x.v.i = e->b;
        else if (e->type == SL_J_NUM && yt->elem == SL_Y_DOUBLE)
            t.id = SL_DOUBLE, x.v.d = strtod(nb, NULL);
        else if (e->type == SL_J_NUM)
            t.id = SL_BIGINT, x.v.i = strtoll(nb, NULL, 10);
        else
            x.v.s.p = e->s.p, x.v.s.n = e->s.n;
        uint8_t et = yt->elem == SL_Y_TIMESTAMP || yt->elem == SL_Y_HRES_TIMESTAMP ? SL_Y_STRING
                                                                                   : yt->elem;
        sl_buf_clear(&el);
        put_value(q, &el, et, &t, &x);
        if (q->proto)
            sl__pb_bytes(b, 13, el.p ? el.p : "", el.len);
        else {
            if (i)
                sl_buf_putc(b, ',');
            sl_buf_append(b, el.p, el.len);
        }
    }
    if (!q->proto)
        sl_buf_puts(b, "]}");
    b->oom = b->oom || el.oom;
    sl_buf_free(&el);
}

/* ---- ResultSets ------------------------------------------------------------------------ */

static void columns_pb(yq *q, sl_buf *b)
{
    for (size_t i = 0; i < q->n_cols; i++) {
        sl_buf_clear(&q->tmp);
        sl__pb_bytes(&q->tmp, 1, q->cols[i].name.p, q->cols[i].name.n);
        sl__pb_bytes(&q->tmp, 2, q->cols[i].yname, strlen(q->cols[i].yname));
        sl__pb_bytes(b, 1, q->tmp.p, q->tmp.len);
    }
}

static void columns_json(yq *q, sl_buf *b)
{
    sl_buf_puts(b, "\"columns\":[");
    for (size_t i = 0; i < q->n_cols; i++) {
        sl_buf_puts(b, i ? ",{\"name\":" : "{\"name\":");
        sl_json_str(b, q->cols[i].name.p, q->cols[i].name.n);
        sl_buf_puts(b, ",\"type\":");
        sl_json_cstr(b, q->cols[i].yname);
        sl_buf_putc(b, '}');
    }
    sl_buf_putc(b, ']');
}

/* The current ResultSet as one message: columns when first, then its rows. */
static void result_set(yq *q, sl_buf *out, bool with_columns)
{
    if (q->proto) {
        sl_buf msg = SL_BUF_INIT;
        if (with_columns)
            columns_pb(q, &msg);
        sl_buf_append(&msg, q->rs.p, q->rs.len);
        if (q->streaming)
            sl__pb_varint(out, msg.len);
        sl_buf_append(out, msg.p, msg.len);
        out->oom = out->oom || msg.oom;
        sl_buf_free(&msg);
        return;
    }
    sl_buf_putc(out, '{');
    if (with_columns)
        columns_json(q, out);
    if (q->rs_rows)
        sl_buf_printf(out, "%s\"rows\":[%.*s]", with_columns ? "," : "", (int)q->rs.len, q->rs.p);
    sl_buf_putc(out, '}');
}

/* A streamed ResultSet is due: send it and start the next. */
static sl_code flush_set(yq *q)
{
    sl_buf_clear(&q->out);
    result_set(q, &q->out, !q->sent);
    sl_buf_clear(&q->rs);
    q->rs_rows = 0;
    q->sent = true;
    if (q->out.oom)
        return sl_fail(q->err, SL_NOMEM, "out of memory");
    return sl__yamcs_stream_write(q->r, q->out.p, q->out.len, q->err);
}

static sl_code q_meta(void *arg, const sl_qcol *cols, size_t n)
{
    yq *q = arg;
    q->cols = sl_arena_alloc(&q->meta, (n + 1) * sizeof *q->cols);
    if (q->cols == NULL)
        return sl_fail(q->err, SL_NOMEM, "out of memory");
    q->n_cols = n;
    for (size_t i = 0; i < n; i++) {
        rcol *c = &q->cols[i];
        memset(c, 0, sizeof *c);
        c->name = sl_arena_slice(&q->meta, cols[i].name);
        c->type = cols[i].type;
        int src = q->n_src == n ? q->src[i] : -1;
        if (src >= 0 && q->y->def)
            c->yt = q->y->schema.types[src];
        else
            c->yt.id = ytype_of(&c->type);
        sl_ytype_name(&c->yt, c->yname, sizeof c->yname);
    }
    return SL_OK;
}

static sl_code q_row(void *arg, const sl_qval *vals, size_t n)
{
    yq *q = arg;
    if (!q->streaming && q->rows >= UNARY_MAX_ROWS)
        return SL_AGAIN; /* Yamcs's unary cap: stop here, not an error */
    sl_arena_reset(&q->a);
    sl_buf_clear(&q->tmp);
    if (!q->proto && q->rs_rows)
        sl_buf_putc(&q->rs, ',');
    if (!q->proto)
        sl_buf_puts(&q->rs, "{\"values\":[");
    for (size_t i = 0; i < n && i < q->n_cols; i++) {
        sl_buf_clear(&q->val);
        if (q->cols[i].yt.id == SL_Y_ARRAY)
            put_array(q, &q->val, &q->cols[i].yt, &vals[i]);
        else
            put_value(q, &q->val, q->cols[i].yt.id, &q->cols[i].type, &vals[i]);
        if (q->proto)
            sl__pb_bytes(&q->tmp, 1, q->val.p ? q->val.p : "", q->val.len);
        else {
            if (i)
                sl_buf_putc(&q->rs, ',');
            sl_buf_append(&q->rs, q->val.p, q->val.len);
        }
    }
    if (q->proto)
        sl__pb_bytes(&q->rs, 2, q->tmp.p ? q->tmp.p : "", q->tmp.len);
    else
        sl_buf_puts(&q->rs, "]}");
    q->rows++;
    q->rs_rows++;
    if (q->rs.oom || q->val.oom || q->tmp.oom)
        return sl_fail(q->err, SL_NOMEM, "out of memory");
    if (q->streaming && q->rs.len > RESULT_SET_BYTES)
        return flush_set(q);
    return SL_OK;
}

/* The end of a statement with rows: the last streamed set, or the one unary ResultSet. */
static void q_finish(yq *q)
{
    if (q->streaming) {
        if (q->rs_rows && flush_set(q) != SL_OK) {
            sl__yamcs_error(q->r, q->y, q->err->code, q->err->msg, false, 0);
            return;
        }
        if (!q->sent) /* no row: an empty stream, as Yamcs */
            sl_http_respond(q->r, 200, q->proto ? "application/protobuf" : "application/json",
                            "", 0);
        return;
    }
    sl_buf_clear(&q->out);
    if (q->n_cols || q->rs_rows || !q->proto)
        result_set(q, &q->out, q->n_cols > 0);
    if (q->out.oom)
        sl__yamcs_error(q->r, q->y, SL_NOMEM, "out of memory", false, 0);
    else
        sl_http_respond(q->r, 200, q->proto ? "application/protobuf" : "application/json",
                        q->out.p ? q->out.p : "", q->out.len);
}

/* ---- statements ------------------------------------------------------------------------ */

/* The privilege a statement needs, by the rule of the SQL API (priv.c), so the same statement
 * needs the same privilege whichever protocol carries it. */
static sl_code allowed(yq *q, const sl_stmt *st)
{
    sl_app *app = q->r->app;
    sl_priv_action act;
    sl_slice db, table;
    sl_priv_of_stmt(st, q->y->db, &act, &db, &table);
    if (q->y->anonymous ? act == SL_ACT_READ || act == SL_ACT_LIST || act == SL_ACT_LOGIN
                        : sl_priv_check(app->auth, &q->y->id, act, db, table, q->err) == SL_OK)
        return SL_OK;
    sl_err_clear(q->err);
    return sl_fail(q->err, SL_FORBIDDEN, "Insufficient privileges");
}

static sl_code allowed_act(yq *q, sl_priv_action act, sl_slice table)
{
    sl_app *app = q->r->app;
    if (q->y->anonymous ? act == SL_ACT_READ || act == SL_ACT_LIST
                        : sl_priv_check(app->auth, &q->y->id, act, q->y->db, table, q->err) ==
                              SL_OK)
        return SL_OK;
    sl_err_clear(q->err);
    return sl_fail(q->err, SL_FORBIDDEN, "Insufficient privileges");
}

/* The statement's table, with its Yamcs types. Yamcs's text when absent. */
static sl_code table_of(yq *q, sl_slice name)
{
    sl_app *app = q->r->app;
    yamcs_ctx *y = q->y;
    sl_code rc = sl_catalog_table(&app->env, y->db, name, &q->r->arena, &y->def, &y->table_id,
                                  q->err);
    if (rc == SL_OK)
        return sl_pbrows_schema_init(&y->schema, y->def, &q->r->arena, q->err);
    if (rc == SL_NOT_FOUND_DB || SL_PRIMARY(rc) != SL_NOT_FOUND)
        return rc;
    sl_err_clear(q->err);
    return sl_fail(q->err, SL_NOT_FOUND, "Object %.*s does not exist or is not a table",
                   (int)name.n, name.p);
}

static sl_code run_create(yq *q, const ysql_stmt *ys)
{
    sl_app *app = q->r->app;
    sl_stmt st;
    sl_code rc = sl_sql_parse(ys->ddl.p, ys->ddl.n, &q->r->arena, &st, q->err);
    if (rc == SL_OK)
        rc = allowed(q, &st);
    if (rc == SL_OK)
        rc = sl_store_create_table(app->store, q->y->db, st.table, ys->ddl, st.if_not_exists,
                                   q->err);
    return rc;
}

static sl_code run_drop(yq *q, const ysql_stmt *ys)
{
    sl_app *app = q->r->app;
    sl_stmt st;
    memset(&st, 0, sizeof st);
    st.kind = SL_STMT_DROP_TABLE;
    st.name = ys->table;
    st.if_exists = ys->if_exists;
    sl_code rc = allowed(q, &st);
    if (rc == SL_OK)
        rc = sl_store_drop_table(app->store, q->y->db, ys->table, ys->if_exists, q->err);
    if (SL_PRIMARY(rc) == SL_NOT_FOUND && rc != SL_NOT_FOUND_DB) {
        sl_err_clear(q->err);
        rc = sl_fail(q->err, SL_NOT_FOUND, "Object %.*s does not exist or is not a table",
                     (int)ys->table.n, ys->table.p);
    }
    return rc;
}

/* Rows made here (SHOW TABLES, DESCRIBE, DELETE's counts) go through the same sink. */
static sl_code fixed_cols(yq *q, const char *const *names, size_t n, sl_type_id t)
{
    sl_qcol c[4];
    for (size_t i = 0; i < n; i++)
        c[i] = (sl_qcol){sl_slice_of(names[i]), {(uint8_t)t, 0, 0, 0, 0}};
    return q_meta(q, c, n);
}

static sl_code text_row(yq *q, sl_slice a, sl_slice b, sl_slice c, size_t n)
{
    sl_qval v[3] = {{a.p == NULL, {.s = {a.p, a.n}}}, {b.p == NULL, {.s = {b.p, b.n}}},
                    {c.p == NULL, {.s = {c.p, c.n}}}};
    return q_row(q, v, n);
}

static int cmp_ci(const void *a, const void *b)
{
    const sl_slice *x = a, *z = b;
    size_t n = x->n < z->n ? x->n : z->n;
    int c = strncasecmp(x->p, z->p, n);
    return c ? c : (x->n > z->n) - (x->n < z->n);
}

static sl_code run_show(yq *q)
{
    sl_app *app = q->r->app;
    static const char *const cols[] = {"name"};
    sl_slice *names;
    size_t n;
    sl_code rc = allowed_act(q, SL_ACT_LIST, SL_SLICE_NULL);
    if (rc == SL_OK)
        rc = sl_store_list_tables(app->store, q->y->db, &q->r->arena, &names, &n, q->err);
    if (SL_PRIMARY(rc) == SL_NOT_FOUND)
        rc = SL_NOT_FOUND_DB;
    if (rc == SL_OK)
        rc = fixed_cols(q, cols, 1, SL_STRING);
    if (rc == SL_OK && n > 1) /* names is NULL for an empty instance */
        qsort(names, n, sizeof *names, cmp_ci);
    for (size_t i = 0; rc == SL_OK && i < n; i++)
        rc = text_row(q, names[i], SL_SLICE_NULL, SL_SLICE_NULL, 1);
    return rc;
}

/* DESCRIBE t: column, type, key ("*" for key columns), keys first (Yamcs's DescribeStatement). */
static sl_code run_describe(yq *q, const ysql_stmt *ys)
{
    static const char *const cols[] = {"column", "type", "key"};
    sl_code rc = allowed_act(q, SL_ACT_READ, ys->table);
    if (rc == SL_OK)
        rc = table_of(q, ys->table);
    if (rc == SL_OK)
        rc = fixed_cols(q, cols, 3, SL_STRING);
    const sl_tabledef *def = q->y->def;
    for (int pass = 0; rc == SL_OK && pass < 2; pass++)
        for (size_t c = 0; rc == SL_OK && c < def->n_cols; c++) {
            if (def->cols[c].key != (pass == 0))
                continue;
            char tn[320];
            size_t tl = sl_ytype_name(&q->y->schema.types[c], tn, sizeof tn);
            rc = text_row(q, def->cols[c].name, (sl_slice){tn, tl},
                          pass == 0 ? SL_LIT("*") : SL_SLICE_NULL, 3);
        }
    return rc;
}

/* Map each result column to its table column (plain columns and `*`), for the Yamcs types. */
static sl_code map_sources(yq *q, const ysql_stmt *ys)
{
    const sl_tabledef *def = q->y->def;
    size_t cap = ys->n_items + def->n_cols * ys->n_items + 1;
    q->src = sl_arena_alloc(&q->meta, cap * sizeof *q->src);
    if (q->src == NULL)
        return sl_fail(q->err, SL_NOMEM, "out of memory");
    for (size_t i = 0; i < ys->n_items; i++) {
        const ysql_expr *e = ys->items[i].e;
        if (e == NULL) {
            for (size_t c = 0; c < def->n_cols; c++)
                q->src[q->n_src++] = (int)c;
            continue;
        }
        int src = -1;
        for (size_t c = 0; e->kind == YE_COL && c < def->n_cols && src < 0; c++)
            if (def->cols[c].name.n == e->text.n &&
                strncasecmp(def->cols[c].name.p, e->text.p, e->text.n) == 0)
                src = (int)c;
        q->src[q->n_src++] = src;
    }
    return SL_OK;
}

/* Parse a Doris SELECT made by yamcs_sql.c; unknown columns are then found by the store. */
static sl_code doris_select(yq *q, const sl_buf *sql, sl_stmt *st)
{
    sl_code rc = sl_sql_parse(sql->p, sql->len, &q->r->arena, st, q->err);
    if (rc == SL_OK && st->kind != SL_STMT_SELECT)
        rc = sl_fail(q->err, SL_INVALID, "not a SELECT");
    return rc;
}

static sl_code run_select(yq *q, const ysql_stmt *ys)
{
    sl_app *app = q->r->app;
    sl_buf sql = SL_BUF_INIT;
    sl_stmt st;
    sl_code rc = table_of(q, ys->table);
    if (rc == SL_OK)
        rc = map_sources(q, ys);
    if (rc == SL_OK)
        rc = sl__ysql_select_sql(ys, q->y->def, &sql, q->err);
    if (rc == SL_OK)
        rc = doris_select(q, &sql, &st);
    if (rc == SL_OK)
        rc = allowed(q, &st);
    sl_query_limits lim = sl__yamcs_stream_limits(app);
    if (rc == SL_OK) {
        sl_query_sink sink = {q_meta, q_row, q};
        rc = sl_store_query(app->store, q->y->db, &st.select, &lim, &sink, q->err);
        if (rc == SL_AGAIN) /* the unary cap was reached */
            rc = SL_OK, sl_err_clear(q->err);
    }
    sl_buf_free(&sql);
    return rc;
}

/* ---- DELETE: the matching rows' keys as delete rows of one load ------------------------- */

typedef struct ydel {
    yq *q;
    sl_job *job;
    sl_batch batch;
    uint64_t n;
} ydel;

static sl_code del_flush(ydel *d)
{
    sl_code rc = SL_OK;
    if (d->batch.n_rows && (rc = sl_job_push_batch(d->job, &d->batch)) != SL_OK)
        rc = sl_fail(d->q->err, rc, "%s", sl_job_result(d->job)->err.msg);
    sl_batch_clear(&d->batch);
    return rc;
}

static sl_code del_meta(void *arg, const sl_qcol *cols, size_t n)
{
    ydel *d = arg;
    (void)cols;
    return n == d->batch.n_cols ? SL_OK : sl_fail(d->q->err, SL_INTERNAL, "column mismatch");
}

static sl_code del_row(void *arg, const sl_qval *vals, size_t n)
{
    ydel *d = arg;
    sl_batch *b = &d->batch;
    size_t row = b->n_rows;
    for (size_t c = 0; c < n && c < b->n_cols; c++) {
        sl_datum v = vals[c].v;
        if (!vals[c].null && sl_type_is_text(&b->cols[c].def->type)) {
            v.s.p = sl_arena_memdup(&b->arena, v.s.p ? v.s.p : "", v.s.n);
            if (v.s.p == NULL)
                return sl_fail(d->q->err, SL_NOMEM, "out of memory");
            b->bytes += v.s.n;
        }
        b->cols[c].v[row] = v;
        b->cols[c].null[row] = vals[c].null;
    }
    b->del[row] = 1;
    b->has_del = true;
    b->n_rows++;
    d->n++;
    return sl_batch_full(b) ? del_flush(d) : SL_OK;
}

static sl_code open_delete(yq *q, ydel *d, sl_load_spec *s)
{
    sl_app *app = q->r->app;
    char *label = sl_arena_alloc(&q->r->arena, 64);
    if (label == NULL)
        return sl_fail(q->err, SL_NOMEM, "out of memory");
    memcpy(label, "yamcs-delete-", 13);
    sl__uuid(label + 13);
    memset(s, 0, sizeof *s);
    s->db = q->y->db, s->table = q->y->def->name;
    s->label = sl_slice_of(label);
    s->typed = true;
    s->protocol = "yamcs";
    s->merge_type = SL_MERGE_DELETE;
    s->timeout_s = 3600;
    s->user = q->y->id.user;
    s->client_ip = sl_arena_slice(&q->r->arena, sl_slice_of(q->r->peer_ip));
    sl_load_result res;
    if (sl_batch_init(&d->batch, q->y->def) != SL_OK)
        return sl_fail(q->err, SL_NOMEM, "out of memory");
    sl_code rc = sl_job_begin(&app->env, s, &d->job, &res);
    if (rc != SL_OK)
        sl_fail(q->err, rc, "%s", res.err.msg);
    return rc;
}

static sl_code run_delete(yq *q, const ysql_stmt *ys)
{
    sl_app *app = q->r->app;
    static const char *const cols[] = {"inspected", "deleted"};
    ydel d = {q, NULL, {0}, 0};
    sl_load_spec spec;
    sl_buf sql = SL_BUF_INIT;
    sl_stmt st;
    sl_code rc = allowed_act(q, SL_ACT_LOAD, ys->table);
    if (rc == SL_OK)
        rc = table_of(q, ys->table);
    if (rc == SL_OK && q->y->def->key_model != SL_KEYS_UNIQUE)
        rc = sl_fail(q->err, SL_INVALID, "DELETE needs a table with a primary key (a UNIQUE "
                     "KEY table); '%.*s' is not one", (int)ys->table.n, ys->table.p);
    if (rc == SL_OK)
        rc = sl__ysql_delete_sql(ys, q->y->def, &sql, q->err);
    if (rc == SL_OK)
        rc = doris_select(q, &sql, &st);
    if (rc == SL_OK)
        rc = open_delete(q, &d, &spec);
    sl_query_limits lim = sl__yamcs_stream_limits(app);
    if (rc == SL_OK) {
        sl_query_sink sink = {del_meta, del_row, &d};
        rc = sl_store_query(app->store, q->y->db, &st.select, &lim, &sink, q->err);
    }
    if (rc == SL_OK)
        rc = del_flush(&d);
    if (rc == SL_OK && sl_job_finish(d.job) != SL_OK)
        rc = sl_fail(q->err, sl_job_result(d.job)->err.code, "%s",
                     sl_job_result(d.job)->err.msg);
    sl_job_free(d.job); /* aborts unless committed: nothing is deleted on an error */
    sl_batch_free(&d.batch);
    sl_buf_free(&sql);
    if (rc == SL_OK)
        rc = fixed_cols(q, cols, 2, SL_BIGINT);
    sl_qval v[2] = {{false, {.i = (int64_t)d.n}}, {false, {.i = (int64_t)d.n}}};
    if (rc == SL_OK)
        rc = q_row(q, v, 2);
    return rc;
}

/* ---- the stage ------------------------------------------------------------------------ */

/* ExecuteSqlRequest{statement=2}: protobuf, or JSON {"statement": "..."}. */
static sl_code statement(sl_http_req *r, yamcs_ctx *y, sl_slice *out, sl_err *err)
{
    sl_slice body = {y->req.p ? y->req.p : "", y->req.len}, t = sl_slice_trim(body);
    *out = SL_SLICE_NULL;
    if (t.n && t.p[0] == '{') {
        sl_jval *j;
        if (sl_json_parse(t.p, t.n, &r->arena, &j, err) != SL_OK || j->type != SL_J_OBJ)
            return sl_fail(err, SL_INVALID, "invalid ExecuteSqlRequest");
        const sl_jval *s = sl_json_get(j, "statement");
        if (s && s->type == SL_J_STR)
            *out = s->s;
    } else {
        const uint8_t *p = (const uint8_t *)body.p, *end = p + body.n;
        unsigned f;
        uint64_t v;
        sl_slice s;
        bool bad;
        while (sl__pb_next(&p, end, &f, &v, &s, &bad))
            if (f == 2)
                *out = s;
        if (bad)
            return sl_fail(err, SL_INVALID, "invalid ExecuteSqlRequest");
    }
    return out->p ? SL_OK : sl_fail(err, SL_INVALID, "no statement");
}

static sl_code run(yq *q, const ysql_stmt *ys)
{
    switch (ys->kind) {
    case YSQL_CREATE: return run_create(q, ys);
    case YSQL_DROP: return run_drop(q, ys);
    case YSQL_SHOW_TABLES: return run_show(q);
    case YSQL_DESCRIBE: return run_describe(q, ys);
    case YSQL_DELETE: return run_delete(q, ys);
    default: return run_select(q, ys);
    }
}

void sl__yamcs_sql_end(sl_http_req *r, yamcs_ctx *y)
{
    sl_err err = {0};
    yq q;
    memset(&q, 0, sizeof q);
    q.r = r, q.y = y, q.err = &err;
    q.streaming = y->op == YOP_SQL_STREAM;
    q.proto = sl__yamcs_proto_reply(r);
    sl_arena_init(&q.a, 0);
    sl_arena_init(&q.meta, 0);
    sl_slice text;
    ysql_stmt ys;
    sl_code rc = statement(r, y, &text, &err);
    if (rc == SL_OK)
        rc = sl__ysql_parse(text.p, text.n, &r->arena, &ys, &err);
    /* Every statement's rows may stream; nothing is sent before 64 KiB, so an error found
     * before that is still an ordinary error reply. */
    if (rc == SL_OK && q.streaming &&
        sl_http_stream_begin(r, 200, q.proto ? "application/protobuf" : "application/json") !=
            SL_OK)
        rc = sl_fail(&err, SL_NOMEM, "out of memory");
    if (rc == SL_OK)
        rc = run(&q, &ys);
    if (rc == SL_NOT_FOUND_DB) {
        char msg[300];
        sl_err_clear(&err);
        snprintf(msg, sizeof msg, "No instance named '%.*s'", (int)y->db.n, y->db.p);
        sl__yamcs_error(r, y, rc, msg, false, 0);
    } else if (rc != SL_OK) {
        sl__yamcs_error(r, y, rc, err.msg, false, 0); /* cuts a stream already started */
    } else {
        q_finish(&q);
    }
    sl_buf_free(&q.rs);
    sl_buf_free(&q.val);
    sl_buf_free(&q.tmp);
    sl_buf_free(&q.out);
    sl_arena_free(&q.a);
    sl_arena_free(&q.meta);
}
