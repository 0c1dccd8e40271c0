/*
 * doris.c - the Doris Stream Load adapter: FE-port redirect, the load itself, load state,
 * error logs (proto stage). Spec: specs/doris-stream-load.md §1-§6.
 *
 *   FE :8030  PUT /api/{db}/{t}/_stream_load  auth, Expect, privilege -> 307 to the load port
 *   BE :8040  PUT /api/{db}/{t}/_stream_load  headers -> sl_load_spec -> job -> Doris JSON
 *   both      GET /api/{db}/get_load_state?label=   GET /api/_load_error_log?file=
 *
 * Replies are HTTP 200 with Doris's bodies; the load reply keeps Doris's key order and
 * 4-space pretty printing (StreamLoadContext::to_json).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../core/mem.h"
#include "doris.h"
#include "obs.h"

/* ---- FE port: redirect ----------------------------------------------------------------- */

/* Percent-encode for the userinfo part of a URL. */
static void put_userinfo(sl_buf *b, sl_slice s)
{
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~", c))
            sl_buf_putc(b, (char)c);
        else
            sl_buf_printf(b, "%%%02X", c);
    }
}

/* The host clients should use for the load port: configured, else the Host header's. */
static void advertised_host(sl_http_req *r, const sl_config *cfg, sl_buf *b)
{
    if (cfg->advertise_host[0]) {
        sl_buf_puts(b, cfg->advertise_host);
        return;
    }
    sl_slice h = sl_http_header_get(r, "Host");
    if (h.p && h.n) {
        const char *end = h.p + h.n;
        if (h.p[0] == '[') { /* [::1]:8030 */
            const char *rb = memchr(h.p, ']', h.n);
            end = rb ? rb + 1 : end;
        } else {
            const char *colon = memchr(h.p, ':', h.n);
            end = colon ? colon : end;
        }
        sl_buf_append(b, h.p, (size_t)(end - h.p));
        return;
    }
    sl_buf_puts(b, cfg->bind[0] && strcmp(cfg->bind, "0.0.0.0") != 0 ? cfg->bind : "127.0.0.1");
}

/* Auth as the FE does it: failures are HTTP 200 with the 401 body. */
static bool fe_auth(sl_http_req *r, sl_identity *id, sl_slice *pw)
{
    sl_err err = {0};
    bool none;
    if (sl__login(r, id, pw, &none, &err) == SL_OK)
        return true;
    if (none) {
        sl__fe_result(r, "Unauthorized", 401, "\"Need auth information.\"");
        return false;
    }
    sl_buf b = SL_BUF_INIT;
    sl_json_cstr(&b, err.msg);
    sl__fe_result(r, "Unauthorized", 401, b.p ? b.p : "\"\"");
    sl_buf_free(&b);
    return false;
}

static void fe_redirect_begin(sl_http_req *r)
{
    sl_app *app = r->app;
    sl_identity id;
    sl_slice pw, seg[6];
    if (!fe_auth(r, &id, &pw))
        return;
    if (!r->expect_continue) {
        sl__fe_fail(r, "There is no 100-continue header");
        return;
    }
    size_t n = sl__path_segments(r, seg, SL_COUNT(seg));
    bool http_stream = n == 2 && sl_slice_eq(seg[1], "_http_stream");
    if (!http_stream) {
        if (n < 4 || seg[1].n == 0) {
            sl__fe_fail(r, "No database selected.");
            return;
        }
        if (seg[2].n == 0) {
            sl__fe_fail(r, "No table selected.");
            return;
        }
        sl_err err = {0};
        if (sl_priv_check(app->auth, &id, SL_ACT_LOAD, seg[1], seg[2], &err) != SL_OK) {
            sl__fe_fail(r, err.msg);
            return;
        }
    }
    sl_node_rec node;
    sl_err perr = {0};
    if (sl__node_pick(app, &r->arena, false, &node, &perr) != SL_OK) {
        sl__fe_fail(r, perr.msg);
        return;
    }
    sl_buf loc = SL_BUF_INIT, where = SL_BUF_INIT, body = SL_BUF_INIT;
    if (node.self)
        advertised_host(r, &app->cfg, &where);
    else
        sl_buf_append(&where, node.host.p, node.host.n);
    sl_buf_printf(&where, ":%d", node.self ? app->be_port : node.be_port);
    sl_buf_append(&where, r->path.p, r->path.n);
    sl_buf_putc(&where, '?');
    sl_buf_append(&where, r->query.p, r->query.n);
    sl_buf_puts(&loc, r->tls ? "https://" : "http://");
    put_userinfo(&loc, id.user);
    sl_buf_putc(&loc, ':');
    put_userinfo(&loc, pw);
    sl_buf_putc(&loc, '@');
    sl_buf_append(&loc, where.p, where.len);
    /* Doris's 307 has no body; a client that does not follow it (curl without
     * --location-trusted) would print nothing at all. The text leaves the credentials out: it
     * ends up on terminals and in logs. */
    sl_buf_printf(&body, "redirecting to %s%.*s; use --location-trusted with curl\n",
                  r->tls ? "https://" : "http://", (int)where.len, where.p ? where.p : "");
    sl_http_respond(r, 307, "text/html;charset=utf-8", body.p ? body.p : "", body.len);
    sl_http_add_header(r, "Location", loc.p ? loc.p : "");
    sl_buf_free(&loc);
    sl_buf_free(&where);
    sl_buf_free(&body);
}

static void no_body_end(sl_http_req *r)
{
    if (!r->responded)
        sl_http_respond(r, 500, "text/plain", "no response\n", 12);
}

const sl_http_handler sl_doris_fe_redirect = {"doris-fe", fe_redirect_begin, NULL, no_body_end,
                                              NULL, NULL};

/* ---- load port: the load ------------------------------------------------------------- */



/* "TStatus: errCode = N, detailMessage = " prefix for errors that Doris raises in the FE. */
static const char *fe_prefix(sl_code c)
{
    switch (SL_PRIMARY(c)) {
    case SL_NOT_FOUND: return c == SL_NOT_FOUND_DB ? "TStatus: errCode = 2, detailMessage = "
                                                   : "TStatus: errCode = 7, detailMessage = ";
    case SL_CONFLICT:
    case SL_FORBIDDEN:
    case SL_UNAUTHORIZED: return "TStatus: errCode = 2, detailMessage = ";
    default: return "";
    }
}

static const char *existing_status(uint8_t st)
{
    switch (st) {
    case SL_TXN_PRECOMMITTED: return "PRECOMMITTED";
    case SL_TXN_COMMITTED:
    case SL_TXN_VISIBLE: return "FINISHED";
    default: return "RUNNING";
    }
}

/* Keep a load that never began a transaction in the history (SHOW STREAM LOAD); the job
 * records the others in their own commit or abort. A failure here does not change the reply. */
static void record(sl_http_req *r, const load_ctx *lc, const sl_load_result *res,
                   const char *status, const char *msg)
{
    if (res->txn_id >= 0)
        return;
    sl_app *app = r->app;
    sl_slice user = SL_LIT(""), pw;
    sl__basic_auth(r, &user, &pw);
    uint64_t now = sl_http_now_ms(), wall = 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    wall = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    sl_buf url = SL_BUF_INIT;
    if (res->error_log[0]) {
        sl_buf_puts(&url, r->tls ? "https://" : "http://");
        advertised_host(r, &app->cfg, &url);
        sl_buf_printf(&url, ":%d/api/_load_error_log?file=%s", app->be_port, res->error_log);
    }
    sl_load_record rec = {
        .label = lc->spec.label, .db = lc->spec.db, .table = lc->spec.table,
        .client_ip = sl_slice_of(r->peer_ip), .status = sl_slice_of(status),
        .message = sl_slice_of(msg), .url = url.len ? (sl_slice){url.p, url.len} : SL_LIT("N/A"),
        .user = user, .comment = lc->spec.comment, .txn_id = res->txn_id, .total = res->total,
        .loaded = res->loaded, .filtered = res->filtered, .unselected = res->unselected,
        .bytes = res->bytes, .start_ms = wall - (now - r->start_ms), .finish_ms = wall};
    sl_err err = {0};
    sl_store_record_load(app->store, &rec, &err);
    sl_buf_free(&url);
}

/* Render StreamLoadContext::to_json for res. */
static void reply_load(sl_http_req *r, const load_ctx *lc, const sl_load_result *res)
{
    sl_app *app = r->app;
    sl_buf b = SL_BUF_INIT;
    bool first = true;
    sl_code c = res->err.code;
    sl__pretty_int(&b, &first, "TxnId", c == SL_CONFLICT ? -1 : res->txn_id);
    sl__pretty_str(&b, &first, "Label", lc->spec.label.p, lc->spec.label.n);
    sl__pretty_str(&b, &first, "Comment", lc->spec.comment.p ? lc->spec.comment.p : "",
                   lc->spec.comment.n);
    bool gc = lc->spec.group_commit != SL_GROUP_COMMIT_OFF;
    if (gc) /* Doris: a bool, in place of TwoPhaseCommit */
        sl_buf_puts(&b, ",\n    \"GroupCommit\": true");
    else
        sl__pretty_str(&b, &first, "TwoPhaseCommit", lc->spec.two_phase ? "true" : "false",
                       lc->spec.two_phase ? 4 : 5);
    const char *status = c == SL_OK ? "Success" : c == SL_CONFLICT ? "Label Already Exists" : "Fail";
    sl__pretty_str(&b, &first, "Status", status, strlen(status));
    if (c == SL_CONFLICT) {
        const char *es = existing_status(res->existing.state);
        sl__pretty_str(&b, &first, "ExistingJobStatus", es, strlen(es));
    }
    sl_buf msg = SL_BUF_INIT;
    if (c == SL_OK)
        sl_buf_puts(&msg, "OK");
    else
        sl_buf_printf(&msg, "[%s]%s%s", sl_code_doris(c), fe_prefix(c), res->err.msg);
    sl__pretty_str(&b, &first, "Message", msg.p ? msg.p : "", msg.len);
    bool conflict = c == SL_CONFLICT;
    sl__pretty_int(&b, &first, "NumberTotalRows", conflict ? 0 : (long long)res->total);
    sl__pretty_int(&b, &first, "NumberLoadedRows", conflict ? 0 : (long long)res->loaded);
    sl__pretty_int(&b, &first, "NumberFilteredRows", conflict ? 0 : (long long)res->filtered);
    sl__pretty_int(&b, &first, "NumberUnselectedRows", conflict ? 0 : (long long)res->unselected);
    sl__pretty_int(&b, &first, "LoadBytes", conflict ? 0 : (long long)res->bytes);
    sl__pretty_int(&b, &first, "LoadTimeMs", (long long)res->load_ms);
    if (!gc) /* group commit replies have no BeginTxnTimeMs / CommitAndPublishTimeMs */
        sl__pretty_int(&b, &first, "BeginTxnTimeMs", (long long)res->begin_ms);
    sl__pretty_int(&b, &first, "StreamLoadPutTimeMs", (long long)res->plan_ms);
    sl__pretty_int(&b, &first, "ReadDataTimeMs", (long long)res->read_ms);
    sl__pretty_int(&b, &first, "WriteDataTimeMs", (long long)res->write_ms);
    sl__pretty_int(&b, &first, "ReceiveDataTimeMs", 0);
    if (!gc)
        sl__pretty_int(&b, &first, "CommitAndPublishTimeMs", (long long)res->commit_ms);
    if (res->error_log[0]) {
        sl_buf url = SL_BUF_INIT;
        sl_buf_puts(&url, r->tls ? "https://" : "http://");
        advertised_host(r, &app->cfg, &url);
        sl_buf_printf(&url, ":%d/api/_load_error_log?file=%s", app->be_port, res->error_log);
        sl__pretty_str(&b, &first, "ErrorURL", url.p ? url.p : "", url.len);
        sl_buf_free(&url);
    }
    if (c != SL_OK && res->first_error[0])
        sl__pretty_str(&b, &first, "FirstErrorMsg", res->first_error, strlen(res->first_error));
    if (lc->warnings[0]) /* sluice's own key, last so Doris's order is untouched */
        sl__pretty_str(&b, &first, "Warnings", lc->warnings, strlen(lc->warnings));
    sl_buf_puts(&b, "\n}\n");
    sl_http_respond(r, 200, "application/json; charset=utf-8", b.p, b.len);
    sl_buf_free(&b);
    sl_slice skip = sl_http_header_get(r, "skip_record_to_audit_log_table");
    if (skip.p == NULL || skip.n == 0) /* Doris: any value keeps the load out of the history */
        record(r, lc, res, status, msg.p ? msg.p : "");
    sl_buf_free(&msg);
}

/* Answer a failure that happened before the job existed. */
void sl__doris_reply_early(sl_http_req *r, load_ctx *lc, const sl_err *err)
{
    lc->res.err = *err;
    if (lc->res.txn_id == 0)
        lc->res.txn_id = -1;
    lc->res.load_ms = sl_http_now_ms() - r->start_ms;
    reply_load(r, lc, &lc->res);
}

/* Transfer framing and size checks of stream_load.cpp on_header. Content-Length together with
 * Transfer-Encoding never gets here: the HTTP layer refuses it on every port (400 and a close,
 * see http.h "Framing notes") instead of Doris's "please do not set both" reply, which kept the
 * connection open for a body two servers could frame differently. */
static sl_code check_body(sl_http_req *r, const sl_config *cfg, load_ctx *lc, sl_err *err)
{
    bool json_whole = sl_slice_ieq(lc->spec.format, "json") && !lc->spec.dopts.read_json_by_line;
    lc->max_conf = json_whole ? "streaming_load_json_max_mb" : "streaming_load_max_mb";
    uint64_t mb = json_whole ? cfg->streaming_load_json_max_mb : cfg->streaming_load_max_mb;
    lc->max_body = mb << 20;
    if (!r->chunked && r->content_length < 0)
        return sl_fail(err, SL_INVALID, "content_length is empty and transfer-encoding!=chunked, "
                                        "please set content_length or transfer-encoding=chunked");
    if (r->content_length > 0 && (uint64_t)r->content_length > lc->max_body)
        return sl_fail(err, SL_TOO_LARGE,
                       "%sbody size %lld exceed BE's conf `%s` %llu. increase it if you are sure "
                       "this load is reasonable",
                       json_whole ? "json " : "", (long long)r->content_length, lc->max_conf,
                       (unsigned long long)mb);
    return SL_OK;
}

load_ctx *sl__doris_new_ctx(sl_http_req *r)
{
    load_ctx *lc = sl_arena_alloc(&r->arena, sizeof *lc);
    if (lc == NULL) {
        sl_http_respond(r, 503, "text/plain", "out of memory\n", 14);
        return NULL;
    }
    memset(lc, 0, sizeof *lc);
    lc->res.txn_id = -1;
    lc->spec.label = sl_http_header_get(r, "label");
    if (lc->spec.label.p == NULL)
        lc->spec.label = SL_LIT("");
    if (sl__doris_header_warnings(r, lc->warnings, sizeof lc->warnings))
        sl__log(((sl_app *)r->app)->log, SL_LOG_WARN, "warning: %s %.*s from %s: %s", r->method,
                (int)r->path.n, r->path.p, r->peer_ip, lc->warnings);
    r->ctx = lc;
    return lc;
}

/* Basic auth at the load port: the password and the LOAD privilege on db.table. */
sl_code sl__doris_be_auth(sl_http_req *r, sl_slice db, sl_slice table, sl_err *err)
{
    sl_app *app = r->app;
    sl_identity id;
    bool none;
    sl_code rc = sl__login(r, &id, NULL, &none, err);
    if (rc == SL_OK)
        rc = sl_priv_check(app->auth, &id, SL_ACT_LOAD, db, table, err);
    return rc;
}

/* Shared tail of Stream Load and _http_stream once the spec is filled: framing and size
 * checks, then the job (table, mapping, label). Answers at once on failure. */
void sl__doris_start_job(sl_http_req *r, load_ctx *lc)
{
    sl_app *app = r->app;
    sl_err err = {0};
    if (check_body(r, &app->cfg, lc, &err) != SL_OK) {
        sl__doris_reply_early(r, lc, &err);
        return;
    }
    sl_slice pw, skip = sl_http_header_get(r, "skip_record_to_audit_log_table");
    lc->spec.skip_history = skip.p && skip.n; /* Doris: any value keeps it out of the history */
    if (!sl__basic_auth(r, &lc->spec.user, &pw))
        lc->spec.user = SL_LIT("");
    lc->spec.client_ip = sl_arena_slice(&r->arena, sl_slice_of(r->peer_ip));
    sl_buf url = SL_BUF_INIT;
    sl_buf_puts(&url, r->tls ? "https://" : "http://");
    advertised_host(r, &app->cfg, &url);
    sl_buf_printf(&url, ":%d/api/_load_error_log?file=", app->be_port);
    lc->spec.errlog_url = url.oom ? SL_LIT("") : sl_arena_slice(&r->arena, (sl_slice){url.p, url.len});
    sl_buf_free(&url);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    lc->spec.start_wall_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 -
                             (sl_http_now_ms() - r->start_ms);
    lc->spec.protocol = "doris";
    lc->spec.body_size = r->content_length > 0 ? (uint64_t)r->content_length : 0;
    r->log_label = lc->spec.label;
    if (sl_job_begin(&app->env, &lc->spec, &lc->job, &lc->res) != SL_OK) {
        err = lc->res.err;
        sl__doris_reply_early(r, lc, &err);
        return;
    }
    r->deadline_ms = r->start_ms + (uint64_t)lc->spec.timeout_s * 1000;
}

static void load_begin(sl_http_req *r)
{
    sl_app *app = r->app;
    load_ctx *lc = sl__doris_new_ctx(r);
    if (lc == NULL)
        return;
    sl_err err = {0};
    sl_slice seg[6];
    size_t n = sl__path_segments(r, seg, SL_COUNT(seg));
    sl_slice db = n >= 4 ? seg[1] : SL_LIT(""), table = n >= 4 ? seg[2] : SL_LIT("");
    if (sl__doris_be_auth(r, db, table, &err) != SL_OK ||
        sl__doris_spec(r, NULL, 0, &app->cfg, db, table, &lc->spec, &err) != SL_OK) {
        sl__doris_reply_early(r, lc, &err);
        return;
    }
    sl__doris_start_job(r, lc);
}

static void job_reply(sl_http_req *r, load_ctx *lc)
{
    const sl_load_result *res = sl_job_result(lc->job);
    reply_load(r, lc, res);
}

void sl__doris_load_body(sl_http_req *r, const char *p, size_t n)
{
    load_ctx *lc = r->ctx;
    if (lc == NULL || lc->job == NULL)
        return;
    if (r->body_bytes > lc->max_body) {
        sl_err e = {0};
        bool json = strcmp(lc->max_conf, "streaming_load_json_max_mb") == 0;
        sl_fail(&e, SL_TOO_LARGE,
                "%sbody size %llu exceed BE's conf `%s` %llu. increase it if you are sure this "
                "load is reasonable",
                json ? "json " : "", (unsigned long long)r->body_bytes, lc->max_conf,
                (unsigned long long)(lc->max_body >> 20));
        sl_job_cancel(lc->job, &e);
        job_reply(r, lc);
        return;
    }
    if (sl_job_push(lc->job, p, n) != SL_OK) {
        sl_job_finish(lc->job);
        job_reply(r, lc);
    }
}

void sl__doris_load_end(sl_http_req *r)
{
    load_ctx *lc = r->ctx;
    if (lc == NULL || lc->job == NULL || r->responded) {
        no_body_end(r);
        return;
    }
    if (r->content_length >= 0 && r->body_bytes != (uint64_t)r->content_length) {
        sl_err e = {0};
        sl_fail(&e, SL_NETWORK, "receive body don't equal with body bytes");
        sl_job_cancel(lc->job, &e);
        job_reply(r, lc);
        return;
    }
    sl_job_finish(lc->job);
    job_reply(r, lc);
}

/* The deadline passed, or a graceful shutdown cut the load off (r->shutdown): the load is
 * cancelled (nothing committed) and answered as a Doris Fail. */
void sl__doris_load_expire(sl_http_req *r)
{
    load_ctx *lc = r->ctx;
    sl_app *app = r->app;
    sl_err e = {0};
    if (r->shutdown)
        sl_fail(&e, SL_INTERNAL, "load cancelled: the server is shutting down and "
                "shutdown_grace_second=%u passed before the body was complete; nothing was "
                "loaded", app->cfg.shutdown_grace_s);
    else
        sl_fail(&e, SL_TIMEOUT, "load timed out: timeout=%us reached before the body was "
                "complete", lc ? lc->spec.timeout_s : 0);
    if (lc && lc->job) {
        sl_job_cancel(lc->job, &e);
        job_reply(r, lc);
    } else if (lc)
        sl__doris_reply_early(r, lc, &e);
    else
        sl_http_respond(r, 200, "text/plain", "timeout\n", 8);
}

void sl__doris_load_cleanup(sl_http_req *r)
{
    load_ctx *lc = r->ctx;
    if (lc && lc->job) {
        sl_job_free(lc->job); /* aborts the transaction unless it committed */
        lc->job = NULL;
    }
}

const sl_http_handler sl_doris_stream_load = {"doris-load", load_begin, sl__doris_load_body,
                                              sl__doris_load_end, sl__doris_load_expire,
                                              sl__doris_load_cleanup};

/* ---- get_load_state -------------------------------------------------------------------- */

static void state_begin(sl_http_req *r)
{
    sl_app *app = r->app;
    sl_identity id;
    sl_slice pw, seg[4];
    if (!fe_auth(r, &id, &pw))
        return;
    size_t n = sl__path_segments(r, seg, SL_COUNT(seg));
    sl_slice label = sl_http_query_param(r, "label");
    if (label.p == NULL || label.n == 0) {
        sl__fe_result(r, "Bad Request", 403, "\"No label selected\"");
        return;
    }
    sl_label_info li;
    sl_err err = {0};
    /* Doris: checkDbAuth(LOAD), answered as an UnauthorizedException (401 body). */
    if (sl_priv_check(app->auth, &id, SL_ACT_LOAD_INFO, n >= 3 ? seg[1] : SL_LIT(""),
                      SL_LIT(""), &err) != SL_OK) {
        sl_buf b = SL_BUF_INIT;
        sl_json_cstr(&b, err.msg);
        sl__fe_result(r, "Unauthorized", 401, b.p ? b.p : "\"\"");
        sl_buf_free(&b);
        return;
    }
    if (n < 3 || sl_store_label_state(app->store, seg[1], label, &li, &err) != SL_OK) {
        sl_buf b = SL_BUF_INIT;
        sl_json_cstr(&b, err.msg[0] ? err.msg : "No database selected");
        sl__fe_result(r, "Error", 1, b.p ? b.p : "\"\"");
        sl_buf_free(&b);
        return;
    }
    char data[64];
    snprintf(data, sizeof data, "\"%s\"", sl_txn_state_name((sl_txn_state)li.state));
    sl__fe_result(r, "success", 0, data);
}

const sl_http_handler sl_doris_load_state = {"doris-load-state", state_begin, NULL, no_body_end,
                                             NULL, NULL};

/* ---- error log ----------------------------------------------------------------------- */

/* Only names that errlog.c creates: "__shard_<digits>/error_log_<[A-Za-z0-9_]>". Nothing
 * else (no "..", no absolute paths, no other folders) can be read. */
static bool errlog_name_ok(sl_slice f)
{
    static const char pre[] = "__shard_";
    if (f.n < sizeof pre || f.n > 200 || memcmp(f.p, pre, sizeof pre - 1) != 0)
        return false;
    size_t i = sizeof pre - 1, digits = 0;
    while (i < f.n && f.p[i] >= '0' && f.p[i] <= '9')
        i++, digits++;
    if (digits == 0 || i >= f.n || f.p[i] != '/')
        return false;
    i++;
    if (f.n - i < 10 || memcmp(f.p + i, "error_log_", 10) != 0)
        return false;
    for (; i < f.n; i++) {
        char c = f.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return true;
}

static void errlog_begin(sl_http_req *r)
{
    sl_app *app = r->app;
    sl_slice f = sl_http_query_param(r, "file");
    if (f.p == NULL || !errlog_name_ok(f)) {
        sl_http_respond(r, 400, "text/plain", "invalid file parameter\n", 23);
        return;
    }
    char path[2048];
    snprintf(path, sizeof path, "%s/%.*s", app->errlog_dir, (int)f.n, f.p);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (64 << 20)) {
        if (fd >= 0)
            close(fd);
        sl_http_respond(r, 404, "text/plain", "error log not found\n", 20);
        return;
    }
    char *buf = sl_malloc((size_t)st.st_size + 1);
    ssize_t got = buf ? read(fd, buf, (size_t)st.st_size) : -1;
    close(fd);
    if (got < 0)
        sl_http_respond(r, 500, "text/plain", "cannot read error log\n", 22);
    else
        sl_http_respond(r, 200, "text/plain; charset=utf-8", buf, (size_t)got);
    sl_free(buf);
}

const sl_http_handler sl_doris_error_log = {"doris-error-log", errlog_begin, NULL, no_body_end,
                                            NULL, NULL};
