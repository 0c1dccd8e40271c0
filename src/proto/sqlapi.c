/*
 * sqlapi.c - Doris's HTTP SQL API, POST /api/query/{ns}/{db} (proto stage).
 *
 * Body {"stmt": "...", "is_sync": true, "limit": 1000}; one statement, run by the executor
 * (exec.c, the same one the MySQL protocol uses); this file shapes its rows as JSON. Answers are HTTP 200 in the ResponseBody envelope
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

#include "../batch/complex.h"
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

/* The buffered form (X-Doris-Stream: false) answers at most `limit` rows and is built whole
 * (within query_max_result_bytes), so a failure is always a whole error reply. In the streaming
 * form a result set is built in b until it passes FLUSH_AT; from then on the reply streams
 * (sl_http_stream_*): the envelope's head, then b each time it fills, then the tail. A result
 * of any size holds about FLUSH_AT here and the HTTP layer's window there; the executor's
 * bounds (query_max_result_rows / _bytes, query_timeout) still apply. A statement that fails
 * after the stream started cuts the reply (no last chunk), which is how a chunked reply says
 * it failed. */
#define FLUSH_AT (64u << 10)

typedef struct rs {
    sl_http_req *r;
    sl_buf b;                 /* the "data" object being built (its unsent part) */
    sl_type *types;           /* the columns' types, copied at meta */
    size_t n_cols;
    size_t rows;
    bool may_stream;          /* the streaming form (no X-Doris-Stream: false) */
    bool streaming;           /* the envelope's head went out */
} rs;

/* Send what b holds, starting the streamed reply the first time. */
static sl_code rs_flush(rs *s)
{
    static const char head[] = "{\"msg\":\"success\",\"code\":0,\"data\":";
    sl_code rc = SL_OK;
    if (!s->streaming) {
        rc = sl_http_stream_begin(s->r, 200, "application/json");
        if (rc == SL_OK)
            rc = sl_http_stream_write(s->r, head, sizeof head - 1);
        s->streaming = rc == SL_OK;
    }
    if (rc == SL_OK)
        rc = sl_http_stream_write(s->r, s->b.p, s->b.len);
    s->b.len = 0;
    return rc;
}

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
    case SL_ARRAY: case SL_MAP: case SL_STRUCT: { /* Doris's text form, as a string */
        sl_buf tb = SL_BUF_INIT;
        sl_cv_format(&tb, t, (sl_slice){v->v.s.p, v->v.s.n});
        sl_json_str(b, tb.p ? tb.p : "", tb.len);
        b->oom |= tb.oom;
        sl_buf_free(&tb);
        return;
    }
    case SL_BITMAP: case SL_HLL: sl_buf_puts(b, "null"); return; /* as Doris shows them */
    default: sl_json_str(b, v->v.s.p ? v->v.s.p : "", v->v.s.n); return;
    }
}

static sl_code rs_row(void *arg, const sl_qval *vals, size_t n)
{
    rs *s = arg;
    sl_buf_puts(&s->b, s->rows ? ",[" : "[");
    for (size_t i = 0; i < n && i < s->n_cols; i++) {
        if (i)
            sl_buf_putc(&s->b, ',');
        put_value(&s->b, &s->types[i], &vals[i]);
    }
    sl_buf_putc(&s->b, ']');
    s->rows++;
    if (s->b.oom)
        return SL_NOMEM;
    return s->may_stream && s->b.len >= FLUSH_AT ? rs_flush(s) : SL_OK;
}

static void rs_reply(sl_http_req *r, rs *s, sql_ctx *c)
{
    sl_buf_printf(&s->b, "],\"time\":%llu}", (unsigned long long)(sl_http_now_ms() - c->t0));
    if (s->streaming) {
        sl_buf_puts(&s->b, ",\"count\":0}");
        if (s->b.oom || rs_flush(s) != SL_OK)
            sl_http_stream_abort(r);
    } else if (s->b.oom) {
        sql_error(r, "out of memory");
    } else {
        sl__fe_result(r, "success", 0, s->b.p);
    }
}

static void rs_free(rs *s)
{
    sl_buf_free(&s->b);
    sl_free(s->types);
}

/* ---- statements: the executor (exec.c) runs them; this file shapes the answer ------------ */

static void execute(sl_http_req *r, sql_ctx *c, sl_slice text, size_t limit)
{
    sl_session ses = {r->app, c->id, c->db, limit};
    rs s = {.r = r, .may_stream = limit == 0};
    sl_query_sink sink = {rs_meta, rs_row, &s};
    sl_exec_out out;
    sl_err err = {0};
    sl_code rc = sl__exec(&ses, text, &r->arena, &sink, &out, &err);
    if (rc != SL_OK && s.streaming)
        sl_http_stream_abort(r); /* rows went out: the cut reply is the error */
    else if (rc != SL_OK)
        sql_error(r, err.msg);
    else if (out.has_rows)
        rs_reply(r, &s, c);
    else
        exec_ok(r, c);
    rs_free(&s);
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
