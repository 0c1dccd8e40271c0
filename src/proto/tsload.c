/*
 * tsload.c - the ThoughtSpot tsload connector (specs/tsload.md) on the HTTPS tsload port
 * (proto stage). Endpoints under /ts_dataservice/v1/public:
 *
 *   GET  ping                        200 "Ping Received."                       (no session)
 *   POST session                     form or JSON username/password -> JSESSIONID cookie
 *   POST loads                       LoadDataParam (any Content-Type) -> cycle_id, node_address
 *   POST loads/{id}                  multipart upload, streamed: sl_tsload_upload
 *   POST loads/{id}/commit|cancel    commit runs after the 202 is sent (cleanup stage)
 *   GET  loads/{id}[/input_summary|/bad_records_file], GET loads
 *
 *   request -> session (cookie) -> owner (the cycle's starter or ADMIN; to anybody else the
 *   cycle does not exist) -> privilege (LOAD or ADMIN on the target) -> tsload_cycle.c
 *
 * Replies use the texts and codes of the spec's endpoint table; failures found while parsing
 * or committing show in the status object (LOAD_FAILED), never in an HTTP code.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <string.h>

#include "../core/jsonval.h"
#include "tsload_internal.h"

/* Bodies of the small endpoints (login, StartLoad) are documents: 1 MiB is plenty. */
#define API_BODY_MAX (1 << 20)

static const char unauth_text[] = "Unable to verify user. Please login again.";
static const char forbid_text[] =
    "User does not have required privileges. Please contact your administrator.";

/* ---- LoadDataParam --------------------------------------------------------------------------- */

static bool get_bool(const sl_jval *o, const char *k, bool *out, sl_err *err)
{
    const sl_jval *v = o ? sl_json_get(o, k) : NULL;
    if (v == NULL || v->type == SL_J_NULL)
        return true;
    if (v->type == SL_J_BOOL)
        *out = v->b;
    else if (v->type == SL_J_STR && (sl_slice_ieq(v->s, "true") || sl_slice_ieq(v->s, "false")))
        *out = sl_slice_ieq(v->s, "true");
    else
        return sl_fail(err, SL_INVALID, "%s must be true or false", k), false;
    return true;
}

static bool get_str(const sl_jval *o, const char *k, sl_slice *out, sl_err *err)
{
    const sl_jval *v = o ? sl_json_get(o, k) : NULL;
    if (v == NULL || v->type == SL_J_NULL)
        return true;
    if (v->type != SL_J_STR)
        return sl_fail(err, SL_INVALID, "%s must be a string", k), false;
    *out = v->s;
    return true;
}

static bool get_u64(const sl_jval *o, const char *k, uint64_t *out, sl_err *err)
{
    const sl_jval *v = o ? sl_json_get(o, k) : NULL;
    if (v == NULL || v->type == SL_J_NULL)
        return true;
    if (v->type != SL_J_NUM && v->type != SL_J_STR)
        return sl_fail(err, SL_INVALID, "%s must be a number", k), false;
    uint64_t x = 0;
    if (v->s.n == 0 || v->s.n > 18)
        return sl_fail(err, SL_INVALID, "%s must be a non-negative integer", k), false;
    for (size_t i = 0; i < v->s.n; i++) {
        if (v->s.p[i] < '0' || v->s.p[i] > '9')
            return sl_fail(err, SL_INVALID, "%s must be a non-negative integer", k), false;
        x = x * 10 + (uint64_t)(v->s.p[i] - '0');
    }
    *out = x;
    return true;
}

static void params_default(sl_ts_params *p)
{
    memset(p, 0, sizeof *p);
    p->schema = SL_LIT("falcon_default_schema");
    p->type = SL_LIT("CSV");
    p->field_sep = SL_LIT(",");
    p->enclose = SL_LIT("\"");
    p->escape = SL_LIT("");
    p->null_value = SL_LIT("(null)");
    p->date_fmt = SL_LIT("%Y%m%d");
    p->time_fmt = SL_LIT("%H:%M:%S");
    p->datetime_fmt = SL_LIT("%Y%m%d %H:%M:%S");
    p->frac_start = SL_LIT(".");
    p->true_fmt = SL_LIT("T");
    p->false_fmt = SL_LIT("F");
    p->max_reported = 100;
}

sl_code sl__ts_params_parse(const char *body, size_t n, sl_arena_t *a, sl_ts_params *p,
                            sl_err *err)
{
    sl_jval *doc;
    sl_slice file_dir = SL_SLICE_NULL;
    params_default(p);
    sl_code rc = sl_json_parse(body, n, a, &doc, err);
    if (rc != SL_OK)
        return rc;
    if (doc->type != SL_J_OBJ)
        return sl_fail(err, SL_INVALID, "the body is not a JSON object");
    const sl_jval *t = sl_json_get(doc, "target"), *f = sl_json_get(doc, "format");
    const sl_jval *dt = f ? sl_json_get(f, "date_time") : NULL;
    const sl_jval *bo = f ? sl_json_get(f, "boolean") : NULL;
    const sl_jval *lo = sl_json_get(doc, "load_options");
    const sl_jval *ad = sl_json_get(doc, "advanced_options");
    bool ok = get_str(t, "database", &p->db, err) && get_str(t, "schema", &p->schema, err) &&
              get_str(t, "table", &p->table, err) &&
              /* the flat form of the doc's curl example */
              get_str(doc, "target_database", &p->db, err) &&
              get_str(doc, "target_schema", &p->schema, err) &&
              get_str(doc, "target_table", &p->table, err) &&
              get_str(f, "type", &p->type, err) &&
              get_str(f, "field_separator", &p->field_sep, err) &&
              get_str(doc, "field_separator", &p->field_sep, err) &&
              get_bool(f, "trailing_field_separator", &p->trailing_sep, err) &&
              get_str(f, "enclosing_character", &p->enclose, err) &&
              get_str(f, "escape_character", &p->escape, err) &&
              get_str(f, "null_value", &p->null_value, err) &&
              get_bool(f, "has_header_row", &p->has_header, err) &&
              get_bool(f, "flexible", &p->flexible, err) &&
              get_str(dt, "date_format", &p->date_fmt, err) &&
              get_str(dt, "time_format", &p->time_fmt, err) &&
              get_str(dt, "date_time_format", &p->datetime_fmt, err) &&
              get_str(dt, "second_fraction_start", &p->frac_start, err) &&
              get_bool(dt, "converted_to_epoch", &p->epoch, err) &&
              get_bool(dt, "skip_second_fraction", &p->skip_fraction, err) &&
              get_str(bo, "true_format", &p->true_fmt, err) &&
              get_str(bo, "false_format", &p->false_fmt, err) &&
              get_bool(bo, "use_bit_values", &p->bit_values, err) &&
              get_bool(lo, "empty_target", &p->empty_target, err) &&
              get_bool(doc, "empty_target", &p->empty_target, err) &&
              get_u64(lo, "max_ignored_rows", &p->max_ignored, err) &&
              get_u64(ad, "max_reported_parsing_errors", &p->max_reported, err) &&
              get_bool(ad, "validate_only", &p->validate_only, err) &&
              get_str(ad, "file_target_dir", &file_dir, err);
    if (!ok)
        return err->code;
    /* The reference client's --file_target_dir asks for a DML file in a server directory
     * instead of a load. Falcon's DML format is not public and a client-chosen server path is
     * not something to write to, so it is refused rather than ignored: never load when the
     * user asked for a file. */
    if (file_dir.n)
        return sl_fail(err, SL_INVALID, "advanced_options.file_target_dir is not supported");
    if (p->db.n == 0 || p->table.n == 0)
        return sl_fail(err, SL_INVALID, "target.database and target.table are required");
    if (!sl_slice_ieq(p->type, "csv") && !sl_slice_ieq(p->type, "delimited"))
        return sl_fail(err, SL_INVALID, "format.type %.*s is not supported (csv, delimited)",
                       (int)p->type.n, p->type.p);
    if (p->field_sep.n == 0 || p->field_sep.n > 63)
        return sl_fail(err, SL_INVALID, "field_separator must be 1 to 63 bytes");
    if (p->enclose.n > 1 || p->escape.n > 1 || p->frac_start.n > 1)
        return sl_fail(err, SL_INVALID,
                       "enclosing_character, escape_character and second_fraction_start are "
                       "single characters");
    if (p->escape.n && (p->escape.p[0] == '\n' || p->escape.p[0] == '\r' ||
                        p->escape.p[0] == p->field_sep.p[0]))
        return sl_fail(err, SL_INVALID,
                       "escape_character may not be a line break or the field separator");
    sl_datefmt tmp;
    if (sl_datefmt_compile(p->date_fmt, &tmp, err) != SL_OK ||
        sl_datefmt_compile(p->time_fmt, &tmp, err) != SL_OK ||
        sl_datefmt_compile(p->datetime_fmt, &tmp, err) != SL_OK)
        return err->code;
    return SL_OK;
}

static void json_kv_str(sl_buf *b, const char *k, sl_slice v, bool comma)
{
    sl_buf_printf(b, "%s\"%s\":", comma ? "," : "", k);
    sl_json_str(b, v.p ? v.p : "", v.n);
}

static void json_kv_bool(sl_buf *b, const char *k, bool v)
{
    sl_buf_printf(b, ",\"%s\":%s", k, v ? "true" : "false");
}

void sl__ts_params_json(const sl_ts_params *p, sl_buf *b)
{
    sl_buf_puts(b, "{\"target\":{");
    json_kv_str(b, "database", p->db, false);
    json_kv_str(b, "schema", p->schema, true);
    json_kv_str(b, "table", p->table, true);
    sl_buf_puts(b, "},\"format\":{");
    json_kv_str(b, "type", p->type, false);
    json_kv_str(b, "field_separator", p->field_sep, true);
    json_kv_bool(b, "trailing_field_separator", p->trailing_sep);
    json_kv_str(b, "enclosing_character", p->enclose, true);
    json_kv_str(b, "escape_character", p->escape, true);
    json_kv_str(b, "null_value", p->null_value, true);
    json_kv_bool(b, "has_header_row", p->has_header);
    json_kv_bool(b, "flexible", p->flexible);
    sl_buf_puts(b, ",\"date_time\":{");
    json_kv_str(b, "date_format", p->date_fmt, false);
    json_kv_str(b, "time_format", p->time_fmt, true);
    json_kv_str(b, "date_time_format", p->datetime_fmt, true);
    json_kv_str(b, "second_fraction_start", p->frac_start, true);
    json_kv_bool(b, "converted_to_epoch", p->epoch);
    json_kv_bool(b, "skip_second_fraction", p->skip_fraction);
    sl_buf_puts(b, "},\"boolean\":{");
    json_kv_str(b, "true_format", p->true_fmt, false);
    json_kv_str(b, "false_format", p->false_fmt, true);
    json_kv_bool(b, "use_bit_values", p->bit_values);
    sl_buf_printf(b, "}},\"load_options\":{\"empty_target\":%s,\"max_ignored_rows\":%llu}",
                  p->empty_target ? "true" : "false", (unsigned long long)p->max_ignored);
    sl_buf_printf(b, ",\"advanced_options\":{\"max_reported_parsing_errors\":%llu",
                  (unsigned long long)p->max_reported);
    json_kv_bool(b, "validate_only", p->validate_only);
    sl_buf_puts(b, "}}");
}

/* ---- shared request helpers ------------------------------------------------------------------ */

static void reply_text(sl_http_req *r, int status, const char *text)
{
    sl_http_respond(r, status, "text/plain", text, strlen(text));
}

static void reply_buf(sl_http_req *r, int status, const char *type, sl_buf *b)
{
    if (b->oom)
        reply_text(r, 500, "error code = INTERNAL, message = out of memory");
    else
        sl_http_respond(r, status, type, b->p ? b->p : "", b->len);
}

/* The session user from the JSESSIONID cookie (any Cookie header); false when none is valid. */
static bool session_user(sl_http_req *r, char *user, size_t cap)
{
    for (size_t h = 0; h < r->n_headers; h++) {
        if (!sl_slice_ieq(r->headers[h].name, "cookie"))
            continue;
        sl_slice v = r->headers[h].value;
        const char *p = v.p, *end = v.p + v.n;
        while (p < end) {
            while (p < end && (*p == ' ' || *p == ';'))
                p++;
            const char *s = p;
            while (p < end && *p != ';')
                p++;
            sl_slice kv = {s, (size_t)(p - s)};
            if (kv.n > 11 && memcmp(kv.p, "JSESSIONID=", 11) == 0 &&
                sl__ts_session_user(r->app, (sl_slice){kv.p + 11, kv.n - 11}, user, cap)) {
                r->log_user = sl_arena_slice(&r->arena, sl_slice_of(user)); /* access log */
                return true;
            }
        }
    }
    return false;
}

static bool may_load(sl_http_req *r, const char *user, const sl_ts_params *p)
{
    sl_app *app = r->app;
    sl_err e = {0};
    sl_identity id = {sl_slice_of(user), false};
    return sl_priv_check(app->auth, &id, SL_ACT_LOAD, p->db, p->table, &e) == SL_OK;
}

static bool is_admin(sl_http_req *r, const char *user)
{
    sl_app *app = r->app;
    sl_err e = {0};
    sl_identity id = {sl_slice_of(user), false};
    return sl_priv_check(app->auth, &id, SL_ACT_ADMIN, SL_LIT(""), SL_LIT(""), &e) == SL_OK;
}

/* What a user may do with a cycle. A cycle belongs to the user who started it; ADMIN users see
 * every cycle. To anybody else it does not exist: they get the endpoint's unknown-cycle reply,
 * the same bytes as for an id nobody ever started, so a reply never tells whether somebody
 * else's cycle exists. The owner still needs LOAD on the target (it may have been revoked):
 * 403 with the documented text otherwise. */
typedef enum { CY_ALLOW, CY_HIDDEN, CY_FORBIDDEN } cycle_access;

static cycle_access access_of(sl_http_req *r, const char *user, const sl_ts_cycle *c)
{
    bool owner = strcmp(sl__ts_cycle_owner(c), user) == 0;
    if (!owner && !is_admin(r, user))
        return CY_HIDDEN;
    return may_load(r, user, sl__ts_cycle_params(c)) ? CY_ALLOW : CY_FORBIDDEN;
}

/* ---- the small endpoints --------------------------------------------------------------------- */

typedef struct api_ctx {
    sl_buf body;
    sl_ts_cycle *commit;       /* committed in cleanup, after the 202 went out */
} api_ctx;

static void api_begin(sl_http_req *r)
{
    api_ctx *x = sl_arena_alloc(&r->arena, sizeof *x);
    if (x == NULL) {
        reply_text(r, 500, "error code = INTERNAL, message = out of memory");
        return;
    }
    memset(x, 0, sizeof *x);
    r->ctx = x;
    if (r->content_length > API_BODY_MAX)
        reply_text(r, 400, "request body too large");
}

static void api_body(sl_http_req *r, const char *p, size_t n)
{
    api_ctx *x = r->ctx;
    if (x->body.len + n > API_BODY_MAX) {
        reply_text(r, 400, "request body too large");
        return;
    }
    sl_buf_append(&x->body, p, n);
}

/* A form field value (percent-decoded, '+' as space) into the arena; NULL slice when absent. */
static sl_slice form_field(sl_http_req *r, sl_slice body, const char *name)
{
    size_t nl = strlen(name);
    const char *p = body.p, *end = body.p + body.n;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        if ((size_t)(stop - p) > nl && memcmp(p, name, nl) == 0 && p[nl] == '=') {
            char *v = sl_arena_memdup(&r->arena, p + nl + 1, (size_t)(stop - p - nl - 1));
            if (v == NULL)
                return SL_SLICE_NULL;
            size_t vn = (size_t)(stop - p - nl - 1);
            for (size_t i = 0; i < vn; i++)
                if (v[i] == '+')
                    v[i] = ' ';
            return sl_http_url_decode(&r->arena, (sl_slice){v, vn});
        }
        p = stop + 1;
    }
    return SL_SLICE_NULL;
}

static void do_login(sl_http_req *r, sl_slice body)
{
    sl_app *app = r->app;
    sl_slice user = SL_SLICE_NULL, pw = SL_SLICE_NULL;
    sl_slice t = sl_slice_trim(body);
    if (t.n && t.p[0] == '{') {
        sl_jval *doc;
        sl_err e = {0};
        if (sl_json_parse(t.p, t.n, &r->arena, &doc, &e) == SL_OK && doc->type == SL_J_OBJ) {
            get_str(doc, "username", &user, &e);
            get_str(doc, "password", &pw, &e);
        }
    } else {
        user = form_field(r, body, "username");
        pw = form_field(r, body, "password");
    }
    sl_err e = {0};
    sl_identity id;
    if (user.p == NULL || user.n == 0 ||
        sl_auth_login(app->auth, user, pw.p ? pw : SL_LIT(""), r->peer_ip, &id, &e) != SL_OK) {
        reply_text(r, 401, unauth_text);
        return;
    }
    char token[40];
    if (sl__ts_session_new(app, user, token) != SL_OK) {
        reply_text(r, 500, "error code = INTERNAL, message = out of memory");
        return;
    }
    char cookie[128];
    snprintf(cookie, sizeof cookie, "JSESSIONID=%s; Path=/; HttpOnly%s", token,
             r->tls ? "; Secure" : "");
    sl_http_add_header(r, "Set-Cookie", cookie);
    reply_text(r, 200, "Successfully logged in.");
}

/* node_address: the advertised host, else the host the client used, else the bind address. */
static void node_host(sl_http_req *r, char *out, size_t cap)
{
    sl_app *app = r->app;
    if (app->cfg.advertise_host[0]) {
        snprintf(out, cap, "%s", app->cfg.advertise_host);
        return;
    }
    sl_slice h = sl_http_header_get(r, "Host");
    if (h.p && h.n) {
        size_t n = h.n;
        if (h.p[0] == '[') { /* [v6]:port */
            const char *rb = memchr(h.p, ']', h.n);
            n = rb ? (size_t)(rb - h.p) + 1 : h.n;
        } else {
            const char *colon = memchr(h.p, ':', h.n);
            if (colon)
                n = (size_t)(colon - h.p);
        }
        snprintf(out, cap, "%.*s", (int)n, h.p);
        return;
    }
    snprintf(out, cap, "%s", app->cfg.bind);
}

static void do_start_load(sl_http_req *r, const char *user, sl_slice body)
{
    sl_app *app = r->app;
    sl_ts_params p;
    sl_err e = {0};
    if (sl__ts_params_parse(body.p ? body.p : "", body.n, &r->arena, &p, &e) != SL_OK) {
        sl_buf b = SL_BUF_INIT;
        sl_buf_puts(&b, "Invalid input params for starting data load: ");
        sl_buf_append(&b, body.p ? body.p : "", body.n);
        reply_buf(r, 400, "text/plain", &b);
        sl_buf_free(&b);
        return;
    }
    if (!may_load(r, user, &p)) {
        reply_text(r, 403, forbid_text);
        return;
    }
    /* The node that will own the cycle: the least busy live one, as ThoughtSpot's own load
     * balancer picks; the client logs in there and sends the data there. */
    sl_node_rec node;
    sl_err perr = {0};
    if (sl__node_pick(app, &r->arena, true, &node, &perr) != SL_OK)
        node = (sl_node_rec){.self = true};
    char id[40];
    sl_code rc = node.self ? sl__ts_cycle_new(app, body.p ? body.p : "", body.n,
                                              sl_slice_of(user), id, &e)
                           : sl__ts_cycle_handoff(app, node.id, body.p ? body.p : "", body.n,
                                                  sl_slice_of(user), id, &e);
    if (rc != SL_OK) {
        char msg[SL_ERR_MSG_MAX + 64];
        snprintf(msg, sizeof msg, "error code = INTERNAL, message = %s", e.msg);
        reply_text(r, 500, msg);
        return;
    }
    char host[300];
    if (node.self)
        node_host(r, host, sizeof host);
    else
        snprintf(host, sizeof host, "%.*s", (int)node.host.n, node.host.p);
    sl_buf b = SL_BUF_INIT;
    sl_buf_puts(&b, "{\"node_address\":{\"host\":");
    sl_json_cstr(&b, host);
    sl_buf_printf(&b, ",\"port\":%d},\"cycle_id\":\"%s\"}",
                  node.self ? app->tsload_port : node.tsload_port, id);
    reply_buf(r, 202, "application/json", &b);
    sl_buf_free(&b);
}

/* Endpoints on an existing cycle: seg is {id} or {id, action}. */
static void do_cycle(sl_http_req *r, const char *user, sl_slice id, sl_slice action)
{
    sl_app *app = r->app;
    api_ctx *x = r->ctx;
    bool post = strcmp(r->method, "POST") == 0;
    sl_ts_cycle *c = sl__ts_cycle_get(app, id, post);
    char msg[SL_ERR_MSG_MAX + 128];
    cycle_access acc = c ? access_of(r, user, c) : CY_HIDDEN;
    if (acc == CY_HIDDEN) {
        sl__ts_cycle_put(app, c); /* somebody else's cycle answers like an unknown one */
        sl_buf b = SL_BUF_INIT;
        if (c == NULL && !post && sl_slice_eq(action, "input_summary") &&
            sl__ts_handoff_summary(app, id, user, is_admin(r, user), &b)) {
            reply_buf(r, 200, "application/json", &b); /* a cycle another node owns */
        } else if (post && sl_slice_eq(action, "commit")) {
            snprintf(msg, sizeof msg,
                     "Commit load cycle failed. Error ending load. Unknown cycle_id '%.*s'",
                     (int)id.n, id.p);
            reply_text(r, 500, msg);
        } else if (sl_slice_eq(action, "bad_records_file")) {
            snprintf(msg, sizeof msg, "Node does not exist: /tmp/%.*s.bad_record", (int)id.n,
                     id.p);
            reply_text(r, 500, msg);
        } else {
            snprintf(msg, sizeof msg, "Cycle_id=[%.*s] does not exist.", (int)id.n, id.p);
            reply_text(r, 400, msg);
        }
        sl_buf_free(&b);
        return;
    }
    if (acc == CY_FORBIDDEN) {
        reply_text(r, 403, forbid_text);
        sl__ts_cycle_put(app, c);
        return;
    }
    sl_buf b = SL_BUF_INIT;
    sl_err e = {0};
    if (action.n == 0 && !post) {
        sl__ts_cycle_status(app, c, &b);
        reply_buf(r, 200, "application/json", &b);
    } else if (post && sl_slice_eq(action, "commit")) {
        if (sl__ts_cycle_start_commit(app, c, &e) != SL_OK) {
            reply_text(r, 500, e.msg);
        } else {
            reply_text(r, 202, "Commit load cycle request made.");
            x->commit = c; /* the reference goes to cleanup */
            c = NULL;
        }
    } else if (post && sl_slice_eq(action, "cancel")) {
        if (sl__ts_cycle_cancel(app, c, &e) != SL_OK)
            reply_text(r, 400, e.msg);
        else
            reply_text(r, 200, "Cancelled load cycle.");
    } else if (!post && sl_slice_eq(action, "input_summary")) {
        sl__ts_cycle_summary(c, &b);
        reply_buf(r, 200, "application/json", &b);
    } else if (!post && sl_slice_eq(action, "bad_records_file")) {
        if (sl__ts_cycle_bad_records(app, c, &b)) {
            reply_buf(r, 200, "text/plain", &b);
        } else {
            snprintf(msg, sizeof msg, "Node does not exist: /tmp/%s.bad_record",
                     sl__ts_cycle_id(c));
            reply_text(r, 500, msg);
        }
    } else {
        reply_text(r, 404, "Not Found");
    }
    sl_buf_free(&b);
    sl__ts_cycle_put(app, c);
}

static void api_end(sl_http_req *r)
{
    api_ctx *x = r->ctx;
    sl_slice seg[8];
    size_t n = sl__path_segments(r, seg, 8);
    size_t k = n > 2 && sl_slice_eq(seg[2], "public") ? 3 : 2; /* also /ts_dataservice/v1/loads */
    bool post = strcmp(r->method, "POST") == 0;
    sl_slice body = {x->body.p ? x->body.p : "", x->body.len};
    if (n > 8 || n <= k) {
        reply_text(r, 404, "Not Found");
        return;
    }
    if (n == k + 1 && !post && sl_slice_eq(seg[k], "ping")) {
        reply_text(r, 200, "Ping Received.");
        return;
    }
    if (n == k + 1 && post && sl_slice_eq(seg[k], "session")) {
        do_login(r, body);
        return;
    }
    char user[128];
    if (!sl_slice_eq(seg[k], "loads")) {
        reply_text(r, 404, "Not Found");
        return;
    }
    if (!session_user(r, user, sizeof user)) {
        reply_text(r, 401, unauth_text);
        return;
    }
    if (n == k + 1 && post) {
        do_start_load(r, user, body);
    } else if (n == k + 1) {
        sl_buf b = SL_BUF_INIT;
        sl__ts_cycle_list(r->app, user, is_admin(r, user), &b);
        reply_buf(r, 200, "application/json", &b);
        sl_buf_free(&b);
    } else if (n <= k + 3) {
        do_cycle(r, user, seg[k + 1], n == k + 3 ? seg[k + 2] : SL_LIT(""));
    } else {
        reply_text(r, 404, "Not Found");
    }
}

static void api_cleanup(sl_http_req *r)
{
    api_ctx *x = r->ctx;
    if (x == NULL)
        return;
    if (x->commit) {
        sl__ts_cycle_commit(r->app, x->commit);
        sl__ts_cycle_put(r->app, x->commit);
    }
    sl_buf_free(&x->body);
}

const sl_http_handler sl_tsload_api = {"tsload", api_begin, api_body, api_end, NULL,
                                       api_cleanup};

/* ---- uploads --------------------------------------------------------------------------------- */

typedef struct up_ctx {
    sl_ts_cycle *c;
    sl_ts_upload *u;
    sl_multipart *mp;          /* NULL: the raw body is the file */
    sl_mp_callbacks cb;
    sl_err err;
} up_ctx;

static void up_fail(sl_http_req *r, up_ctx *x, sl_code rc)
{
    const sl_err *e = x->u && sl__ts_upload_err(x->u)->code ? sl__ts_upload_err(x->u) : &x->err;
    char msg[SL_ERR_MSG_MAX + 64];
    if (SL_PRIMARY(rc) == SL_NOT_FOUND) {
        reply_text(r, 400, "Unable to find table in Falcon. Cannot load data.");
    } else if (SL_PRIMARY(rc) == SL_INVALID || SL_PRIMARY(rc) == SL_TOO_LARGE) {
        reply_text(r, 400, e->msg);
    } else {
        snprintf(msg, sizeof msg, "error code = INTERNAL, message = %s", e->msg);
        reply_text(r, 500, msg);
    }
}

static void up_begin(sl_http_req *r)
{
    sl_app *app = r->app;
    sl_slice seg[8];
    size_t n = sl__path_segments(r, seg, 8);
    char user[128];
    if (!session_user(r, user, sizeof user)) {
        reply_text(r, 401, unauth_text);
        return;
    }
    up_ctx *x = sl_arena_alloc(&r->arena, sizeof *x);
    if (x == NULL || n != 5) {
        reply_text(r, 500, "error code = INTERNAL, message = out of memory");
        return;
    }
    memset(x, 0, sizeof *x);
    r->ctx = x;
    char msg[200];
    x->c = sl__ts_cycle_get(app, seg[4], true);
    cycle_access acc = x->c ? access_of(r, user, x->c) : CY_HIDDEN;
    if (acc == CY_HIDDEN) {
        sl__ts_cycle_put(app, x->c); /* somebody else's cycle answers like an unknown one */
        x->c = NULL;
        int idn = (int)(seg[4].n > 100 ? 100 : seg[4].n);
        snprintf(msg, sizeof msg, "Cycle_id=[%.*s] does not exist.", idn, seg[4].p);
        reply_text(r, 400, msg);
        return;
    }
    if (acc == CY_FORBIDDEN) {
        reply_text(r, 403, forbid_text);
        return;
    }
    sl_code rc = sl__ts_upload_begin(app, x->c, &r->arena, &x->u, &x->err);
    if (rc != SL_OK) {
        up_fail(r, x, rc);
        return;
    }
    x->cb = (sl_mp_callbacks){sl__ts_upload_part_begin, sl__ts_upload_data,
                              sl__ts_upload_part_end, x->u};
    sl_slice ct = sl_http_header_get(r, "Content-Type");
    if (ct.p && ct.n >= 10 && strncasecmp(ct.p, "multipart/", 10) == 0) {
        if ((x->mp = sl_arena_alloc(&r->arena, sizeof *x->mp)) == NULL) {
            up_fail(r, x, sl_fail(&x->err, SL_NOMEM, "out of memory"));
            return;
        }
        if ((rc = sl__mp_init(x->mp, ct, &x->err)) != SL_OK)
            up_fail(r, x, rc);
    } else if ((rc = sl__ts_upload_part_begin(x->u, true)) != SL_OK) {
        up_fail(r, x, rc); /* a raw body (earliest API revision) is one file */
    }
}

static void up_body(sl_http_req *r, const char *p, size_t n)
{
    up_ctx *x = r->ctx;
    sl__ts_upload_bytes(x->u, n);
    sl_code rc = x->mp ? sl__mp_push(x->mp, p, n, &x->cb, &x->err) : sl__ts_upload_data(x->u, p, n);
    if (rc != SL_OK)
        up_fail(r, x, rc);
}

static void up_end(sl_http_req *r)
{
    up_ctx *x = r->ctx;
    sl_code rc = x->mp ? sl__mp_finish(x->mp, &x->err) : sl__ts_upload_part_end(x->u);
    if (rc != SL_OK) {
        up_fail(r, x, rc);
        return;
    }
    r->close_after = true; /* the documented reply carries Connection: Close */
    reply_text(r, 202, "Upload Complete.");
}

static void up_cleanup(sl_http_req *r)
{
    up_ctx *x = r->ctx;
    if (x == NULL)
        return;
    sl__ts_upload_end(x->u);
    sl__ts_cycle_put(r->app, x->c);
}

const sl_http_handler sl_tsload_upload = {"tsload-upload", up_begin, up_body, up_end, NULL,
                                          up_cleanup};
