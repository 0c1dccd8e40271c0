/*
 * yamcs.c - the Yamcs table adapter: row loads (current :writeRows and legacy /data), the
 * dispatch of every /api/archive/... request, Yamcs's error bodies (proto stage).
 * Spec: specs/yamcs-tables.md (its first box settles the open questions); docs/yamcs.md.
 *
 *   begin  auth (Basic; LOAD = Yamcs WriteTables, SELECT or LOAD = ReadTables) -> table (404
 *          before the body) -> load job (typed: the label, the store transaction, the history
 *          row, as every protocol's load)
 *   body*  chunk -> decode/pbrows.c -> sl_batch -> sl_job_push_batch (before the next chunk,
 *          since values borrow from it); a bad row: commit the rows before it, reply the error
 *          with the count at once and close without reading the rest (Yamcs is not
 *          transactional)
 *   end    truncated last row -> 400; commit -> WriteRowsResponse{count} / TableLoadResponse
 *
 * A duplicate key replaces the row: tables made by :executeSql are UNIQUE KEY tables.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <string.h>

#include "../core/mem.h"
#include "yamcs_internal.h"

/* ---- protobuf writer ------------------------------------------------------------------ */

void sl__pb_varint(sl_buf *b, uint64_t v)
{
    char t[10];
    size_t n = 0;
    while (v >= 0x80) {
        t[n++] = (char)(v | 0x80);
        v >>= 7;
    }
    t[n++] = (char)v;
    sl_buf_append(b, t, n);
}

void sl__pb_uint(sl_buf *b, unsigned field, uint64_t v)
{
    sl__pb_varint(b, (uint64_t)field << 3);
    sl__pb_varint(b, v);
}

void sl__pb_bytes(sl_buf *b, unsigned field, const void *p, size_t n)
{
    sl__pb_varint(b, (uint64_t)field << 3 | 2);
    sl__pb_varint(b, n);
    sl_buf_append(b, p, n);
}

static bool pb_varint_in(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
    uint64_t r = 0;
    for (unsigned s = 0; s < 64 && *pp < end; s += 7) {
        uint8_t c = *(*pp)++;
        r |= (uint64_t)(c & 0x7f) << s;
        if (c < 0x80) {
            *v = r;
            return true;
        }
    }
    return false;
}

bool sl__pb_next(const uint8_t **p, const uint8_t *end, unsigned *field, uint64_t *v,
                 sl_slice *s, bool *bad)
{
    uint64_t tag, len;
    *bad = false;
    if (*p >= end)
        return false;
    if (!pb_varint_in(p, end, &tag))
        goto bad;
    *field = (unsigned)(tag >> 3);
    switch (tag & 7) {
    case 0: return pb_varint_in(p, end, v) ? true : (*bad = true, false);
    case 1:
    case 5: {
        size_t k = (tag & 7) == 1 ? 8 : 4;
        if ((size_t)(end - *p) < k)
            goto bad;
        *p += k;
        *v = 0;
        return true;
    }
    case 2:
        if (!pb_varint_in(p, end, &len) || len > (uint64_t)(end - *p))
            goto bad;
        *s = (sl_slice){(const char *)*p, (size_t)len};
        *p += len;
        return true;
    default: break;
    }
bad:
    *bad = true;
    return false;
}

/* ---- replies -------------------------------------------------------------------------- */

static bool is_proto(sl_slice v)
{
    return sl_slice_eq(v, "application/protobuf");
}

bool sl__yamcs_proto_reply(sl_http_req *r)
{
    sl_slice a = sl_http_header_get(r, "Accept");
    if (a.p)
        return is_proto(a);
    return is_proto(sl_http_header_get(r, "Content-Type"));
}

bool sl__yamcs_proto_error(sl_http_req *r)
{
    sl_slice a = sl_http_header_get(r, "Accept");
    if (a.p && !sl_slice_eq(a, "*/*"))
        return is_proto(a);
    return is_proto(sl_http_header_get(r, "Content-Type"));
}

/* Yamcs HttpException subclass names by status. */
static const char *exception_type(int status)
{
    switch (status) {
    case 400: return "BadRequestException";
    case 401: return "UnauthorizedException";
    case 403: return "ForbiddenException";
    case 404: return "NotFoundException";
    case 409: return "ConflictException";
    case 503: return "ServiceUnavailableException";
    case 504: return "GatewayTimeoutException";
    default: return "InternalServerErrorException";
    }
}

#define DETAIL_URL "/yamcs.protobuf.table.WriteRowsExceptionDetail"

void sl__yamcs_error(sl_http_req *r, const yamcs_ctx *y, sl_code c, const char *msg,
                     bool with_count, uint64_t count)
{
    int status = sl_code_yamcs_http(c);
    const char *type = exception_type(status);
    bool legacy = y && y->op == YOP_WRITE_LEGACY;
    bool proto = sl__yamcs_proto_error(r);
    sl_buf b = SL_BUF_INIT;
    if (legacy)
        type = "TableLoadError";
    if (proto) {
        if (!legacy)
            sl__pb_uint(&b, 1, (uint64_t)status);
        sl__pb_bytes(&b, legacy ? 1 : 2, type, strlen(type));
        sl__pb_bytes(&b, legacy ? 2 : 3, msg, strlen(msg));
        if (legacy && with_count) {
            sl__pb_uint(&b, 100, count);
        } else if (with_count) {
            sl_buf any = SL_BUF_INIT, det = SL_BUF_INIT;
            sl__pb_uint(&det, 1, count);
            sl__pb_bytes(&any, 1, DETAIL_URL, strlen(DETAIL_URL));
            sl__pb_bytes(&any, 2, det.p, det.len);
            sl__pb_bytes(&b, 4, any.p, any.len);
            b.oom = b.oom || any.oom || det.oom;
            sl_buf_free(&any);
            sl_buf_free(&det);
        }
    } else {
        if (legacy)
            sl_buf_puts(&b, "{\"type\":");
        else
            sl_buf_printf(&b, "{\"code\":%d,\"type\":", status);
        sl_json_cstr(&b, type);
        sl_buf_puts(&b, ",\"msg\":");
        sl_json_cstr(&b, msg);
        if (legacy && with_count)
            sl_buf_printf(&b, ",\"numRowsLoaded\":%llu", (unsigned long long)count);
        else if (with_count)
            sl_buf_printf(&b, ",\"detail\":{\"@type\":\"" DETAIL_URL "\",\"count\":%llu}",
                          (unsigned long long)count);
        sl_buf_puts(&b, "}");
    }
    if (b.oom)
        sl_http_respond(r, 503, "text/plain", "out of memory\n", 14);
    else
        sl_http_respond(r, status, proto ? "application/protobuf" : "application/json", b.p,
                        b.len);
    r->close_after = true; /* every status >= 400 closes in Yamcs */
    sl_buf_free(&b);
}

sl_query_limits sl__yamcs_stream_limits(const sl_app *app)
{
    sl_query_limits lim = app->cfg.query;
    lim.tz = app->tz;
    lim.max_rows = UINT64_MAX;
    lim.max_bytes = UINT64_MAX; /* one value is still bounded by the engine (2 GiB) */
    return lim;
}

sl_code sl__yamcs_stream_write(sl_http_req *r, const void *p, size_t n, sl_err *err)
{
    sl_code rc = sl_http_stream_write(r, p, n);
    if (rc == SL_NETWORK)
        return sl_fail(err, rc, "the client stopped reading the reply");
    if (rc != SL_OK)
        return sl_fail(err, rc, "out of memory");
    return SL_OK;
}

void sl__yamcs_forbidden(sl_http_req *r)
{
    sl_http_respond(r, 403, "text/plain", "Insufficient privileges\r\n", 25);
    r->close_after = true;
}

/* Legacy header-stage errors are plain text (Yamcs 4.x). */
static void header_error(sl_http_req *r, yamcs_ctx *y, sl_code c, const char *msg)
{
    if (y->op == YOP_WRITE_LEGACY) {
        sl_buf b = SL_BUF_INIT;
        sl_buf_printf(&b, "%s\r\n", msg);
        sl_http_respond(r, sl_code_yamcs_http(c), "text/plain", b.p, b.len);
        r->close_after = true;
        sl_buf_free(&b);
        return;
    }
    sl__yamcs_error(r, y, c, msg, y->op == YOP_WRITE, 0);
}

/* ---- dispatch ------------------------------------------------------------------------- */

/* Split "name:verb" at the last ':'. */
static sl_slice split_verb(sl_slice *s)
{
    for (size_t i = s->n; i-- > 0;)
        if (s->p[i] == ':') {
            sl_slice v = {s->p + i + 1, s->n - i - 1};
            s->n = i;
            return v;
        }
    return SL_SLICE_NULL;
}

/* Decide the operation from method and path. false: not a Yamcs call (404 answered). */
static bool parse_op(sl_http_req *r, yamcs_ctx *y)
{
    sl_slice seg[8];
    size_t n = sl__path_segments(r, seg, SL_COUNT(seg));
    bool post = strcmp(r->method, "POST") == 0;
    if (n == 3 && post) { /* api archive {inst}:executeSql | :executeStreamingSql */
        y->db = seg[2];
        sl_slice verb = split_verb(&y->db);
        y->op = sl_slice_eq(verb, "executeStreamingSql") ? YOP_SQL_STREAM : YOP_SQL;
        return sl_slice_eq(verb, "executeSql") || y->op == YOP_SQL_STREAM;
    }
    if (n < 4 || !sl_slice_eq(seg[3], "tables"))
        return false;
    y->db = seg[2];
    if (n == 4) {
        y->op = YOP_LIST;
        return !post;
    }
    y->table = seg[4];
    if (n == 6) {
        y->op = YOP_WRITE_LEGACY;
        return post && sl_slice_eq(seg[5], "data");
    }
    if (!post) {
        y->op = YOP_GET;
        return n == 5;
    }
    sl_slice verb = split_verb(&y->table);
    y->op = sl_slice_eq(verb, "writeRows")          ? YOP_WRITE
            : sl_slice_eq(verb, "readRows")         ? YOP_READ
            : sl_slice_eq(verb, "rebuildHistogram") ? YOP_NOOP
                                                    : 255;
    return y->op != 255;
}

/* What each operation needs (Yamcs WriteTables = LOAD, ReadTables = SELECT or LOAD). Statements
 * of :executeSql are checked once parsed, by the rule the SQL API uses (yamcs_meta.c). */
static sl_priv_action op_action(uint8_t op)
{
    switch (op) {
    case YOP_READ:
    case YOP_GET: return SL_ACT_READ;
    case YOP_LIST: return SL_ACT_LIST;
    case YOP_SQL:
    case YOP_SQL_STREAM: return SL_ACT_LOGIN;
    default: return SL_ACT_LOAD; /* writes, rebuildHistogram */
    }
}

/* Who is asking (a bearer token, Basic auth, or the anonymous reader) and the operation's
 * privilege on db.table. Answers on failure. */
static bool authorize(sl_http_req *r, yamcs_ctx *y)
{
    sl_app *app = r->app;
    sl_err err = {0};
    bool bearer, none;
    sl_priv_action act = op_action(y->op);
    if (sl__yamcs_bearer(r, &y->id, &bearer, &err) == SL_OK) {
        /* a valid token: on to the privilege */
    } else if (bearer) {
        header_error(r, y, SL_UNAUTHORIZED, err.msg);
        return false;
    } else if (sl__yamcs_anonymous_read(r)) {
        y->anonymous = true;
        y->id.user = SL_LIT("guest");
        if (act == SL_ACT_READ || act == SL_ACT_LIST || act == SL_ACT_LOGIN)
            return true; /* statements of :executeSql are checked one by one (yamcs_query.c) */
        sl__yamcs_forbidden(r);
        return false;
    } else if (sl__login(r, &y->id, NULL, &none, &err) != SL_OK) {
        header_error(r, y, SL_UNAUTHORIZED, none ? "Unauthorized" : err.msg);
        return false;
    }
    if (sl_priv_check(app->auth, &y->id, op_action(y->op), y->db, y->table, &err) != SL_OK) {
        sl__yamcs_forbidden(r);
        return false;
    }
    return true;
}

/* Look the table up; answers 404 in Yamcs's words. */
static bool find_table(sl_http_req *r, yamcs_ctx *y)
{
    sl_app *app = r->app;
    sl_err err = {0};
    sl_code rc = sl_catalog_table(&app->env, y->db, y->table, &r->arena, &y->def, &y->table_id,
                                  &err);
    if (rc == SL_OK)
        rc = sl_pbrows_schema_init(&y->schema, y->def, &r->arena, &err);
    if (rc == SL_OK)
        return true;
    char msg[SL_ERR_MSG_MAX + 64];
    if (rc == SL_NOT_FOUND_DB)
        snprintf(msg, sizeof msg, "No instance named '%.*s'", (int)y->db.n, y->db.p);
    else if (SL_PRIMARY(rc) == SL_NOT_FOUND)
        snprintf(msg, sizeof msg, "No table named '%.*s' (database: '%.*s')", (int)y->table.n,
                 y->table.p, (int)y->db.n, y->db.p);
    else
        snprintf(msg, sizeof msg, "%s", err.msg);
    header_error(r, y, rc, msg);
    return false;
}

/* Open the load: batch, decoder, and a load job with a generated label (typed rows: the
 * decoder fills the table's batch itself). */
static bool open_load(sl_http_req *r, yamcs_ctx *y)
{
    sl_app *app = r->app;
    char *label = sl_arena_alloc(&r->arena, 64);
    if (label == NULL) {
        header_error(r, y, SL_NOMEM, "out of memory");
        return false;
    }
    memcpy(label, "yamcs-", 6);
    sl__uuid(label + 6);
    sl_load_spec *s = &y->spec;
    memset(s, 0, sizeof *s);
    s->db = y->db, s->table = y->table;
    s->label = sl_slice_of(label);
    s->typed = true;
    s->protocol = "yamcs";
    s->timeout_s = 3600; /* a PREPARE left by a crash is aborted after an hour */
    s->max_filter_ratio = 0;
    s->user = y->id.user;
    s->client_ip = sl_arena_slice(&r->arena, sl_slice_of(r->peer_ip));
    sl_load_result res;
    sl_code rc = SL_NOMEM;
    sl_err err = {0};
    if (sl_batch_init(&y->batch, y->def) == SL_OK) {
        y->batch_ready = true;
        y->dec = sl_pbrows_new(&y->schema);
        if (y->dec && (rc = sl_job_begin(&app->env, s, &y->job, &res)) != SL_OK)
            err = res.err;
    }
    if (rc == SL_OK)
        return true;
    header_error(r, y, rc, err.msg[0] ? err.msg : "out of memory");
    return false;
}

static void yamcs_begin(sl_http_req *r)
{
    yamcs_ctx *y = sl_arena_alloc(&r->arena, sizeof *y);
    if (y == NULL) {
        sl_http_respond(r, 503, "text/plain", "out of memory\n", 14);
        return;
    }
    memset(y, 0, sizeof *y);
    r->ctx = y;
    if (!parse_op(r, y)) {
        y->op = YOP_LIST;
        sl__yamcs_error(r, y, SL_NOT_FOUND, "No route found", false, 0);
        return;
    }
    if (!authorize(r, y))
        return;
    switch (y->op) {
    case YOP_LIST: sl__yamcs_list(r, y); return;
    case YOP_SQL:
    case YOP_SQL_STREAM: return; /* body: ExecuteSqlRequest */
    default: break;
    }
    if (!find_table(r, y))
        return;
    if (y->op == YOP_GET)
        sl__yamcs_get(r, y);
    else if (y->op == YOP_WRITE || y->op == YOP_WRITE_LEGACY)
        open_load(r, y);
}

/* Hand the batch to the job (values borrow from the current chunk). */
static sl_code flush(yamcs_ctx *y, sl_err *err)
{
    sl_code rc = SL_OK;
    if (y->batch.n_rows && (rc = sl_job_push_batch(y->job, &y->batch)) != SL_OK)
        sl_fail(err, rc, "%s", sl_job_result(y->job)->err.msg);
    sl_batch_clear(&y->batch);
    return rc;
}

/* Commit what was appended. */
static sl_code commit(yamcs_ctx *y, sl_err *err)
{
    sl_job *j = y->job;
    y->job = NULL;
    if (j == NULL)
        return SL_OK;
    sl_code rc = sl_job_finish(j);
    if (rc != SL_OK)
        sl_fail(err, rc, "%s", sl_job_result(j)->err.msg);
    sl_job_free(j);
    return rc;
}

/* A failed load: keep the good rows (Yamcs is not transactional), reply with the count. */
static void fail_load(sl_http_req *r, yamcs_ctx *y, sl_code rc, const char *msg)
{
    sl_err e2 = {0};
    uint64_t count = y->dec ? sl_pbrows_rows(y->dec) : 0;
    if (flush(y, &e2) != SL_OK || commit(y, &e2) != SL_OK) {
        sl__yamcs_error(r, y, e2.code, e2.msg, true, 0); /* the store's own verdict */
        return;
    }
    sl__yamcs_error(r, y, rc, msg, true, count);
}

static void yamcs_body(sl_http_req *r, const char *p, size_t n)
{
    yamcs_ctx *y = r->ctx;
    if (y == NULL || r->responded)
        return;
    if (y->op == YOP_READ || y->op == YOP_SQL || y->op == YOP_SQL_STREAM || y->op == YOP_NOOP) {
        if (y->req.len + n > SL_YAMCS_MAX_REQUEST)
            sl__yamcs_error(r, y, SL_TOO_LARGE, "request body too large", false, 0);
        else
            sl_buf_append(&y->req, p, n);
        return;
    }
    if (y->dec == NULL)
        return;
    while (n > 0) {
        size_t used;
        sl_err err = {0};
        sl_code rc = sl_pbrows_push(y->dec, p, n, &y->batch, &used, &err);
        if (rc != SL_OK) {
            fail_load(r, y, rc, err.msg);
            return;
        }
        if ((rc = flush(y, &err)) != SL_OK) {
            fail_load(r, y, rc, err.msg);
            return;
        }
        p += used;
        n -= used;
    }
}

static void write_end(sl_http_req *r, yamcs_ctx *y)
{
    sl_err err = {0};
    if (sl_pbrows_finish(y->dec, &err) != SL_OK) {
        fail_load(r, y, SL_INVALID, err.msg);
        return;
    }
    uint64_t count = sl_pbrows_rows(y->dec);
    sl_code rc = flush(y, &err);
    if (rc == SL_OK)
        rc = commit(y, &err);
    if (rc != SL_OK) {
        sl__yamcs_error(r, y, rc, err.msg, true, 0);
        return;
    }
    bool proto = sl__yamcs_proto_reply(r);
    sl_buf b = SL_BUF_INIT;
    if (proto)
        sl__pb_uint(&b, 1, count);
    else
        sl_buf_printf(&b, "{\"%s\":%llu}", y->op == YOP_WRITE ? "count" : "numRowsLoaded",
                      (unsigned long long)count);
    sl_http_respond(r, 200, proto ? "application/protobuf" : "application/json", b.p, b.len);
    sl_buf_free(&b);
}

static void yamcs_end(sl_http_req *r)
{
    yamcs_ctx *y = r->ctx;
    if (r->responded)
        return;
    if (y == NULL) {
        sl_http_respond(r, 500, "text/plain", "no response\n", 12);
        return;
    }
    switch (y->op) {
    case YOP_WRITE:
    case YOP_WRITE_LEGACY: write_end(r, y); break;
    case YOP_READ: sl__yamcs_read_end(r, y); break;
    case YOP_SQL:
    case YOP_SQL_STREAM: sl__yamcs_sql_end(r, y); break;
    case YOP_NOOP: sl_http_respond(r, 200, "application/json", "{}", 2); break;
    default: sl_http_respond(r, 500, "text/plain", "no response\n", 12); break;
    }
}

/* The client vanished or the request ended: rows received so far stay (not transactional). */
static void yamcs_cleanup(sl_http_req *r)
{
    yamcs_ctx *y = r->ctx;
    if (y == NULL)
        return;
    if (y->job) {
        sl_err err = {0};
        if (flush(y, &err) == SL_OK)
            commit(y, &err);
        sl_job_free(y->job); /* a failed flush: the job aborts */
        y->job = NULL;
    }
    if (y->batch_ready)
        sl_batch_free(&y->batch);
    sl_pbrows_free(y->dec);
    y->dec = NULL;
    sl_buf_free(&y->req);
}

const sl_http_handler sl_yamcs_api = {"yamcs", yamcs_begin, yamcs_body, yamcs_end, NULL,
                                      yamcs_cleanup};
