/*
 * yamcs_auth.c - Yamcs authentication as Yamcs does it, for yamcs-cli and python-yamcs-client's
 * Credentials (proto stage): GET /auth (AuthInfo), POST /auth/token (OAuth2 password and
 * refresh_token grants, form-encoded, JSON TokenResponse), GET /api/user (UserInfo), GET
 * /api (server info: yamcs-cli reads it after a login), and the bearer tokens every Yamcs route
 * accepts beside Basic auth (yamcs.c). docs/yamcs.md "Logging in".
 *
 *   password grant -> sl_auth_login (the same check, lockout and throttle as Basic)
 *     -> access token (1 h) + refresh token (24 h), both
 *        "v1.<user b64url>.<a|r>.<expiry s>.<user version>.<HMAC-SHA256 b64url>"
 *   bearer -> HMAC checked -> not expired -> the user still exists, unlocked, and its version
 *        (bumped by every password or grant change) is the token's: else 401
 *
 * Tokens are stateless: the HMAC key is DATA_DIR/yamcs_token.key (32 random bytes, 0600, made on
 * the first login), so tokens survive a restart; a new key (file removed) or another node's
 * data directory refuses them cleanly with 401, and the client logs in again. A password
 * change revokes every token of the user. Tokens are never logged.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "../core/version.h"
#include "sluice.h"
#include "yamcs_internal.h"

#define ACCESS_TTL_S 3600     /* an access token's life; clients refresh before it ends */
#define REFRESH_TTL_S 86400   /* a refresh token's: a day without a password */
#define KEY_BYTES 32
#define TOKEN_MAX 1024        /* longer bearer values are not ours */

/* ---- the key ------------------------------------------------------------------------------ */

static void key_path(const sl_app *app, char *out, size_t cap)
{
    snprintf(out, cap, "%s/yamcs_token.key", app->cfg.data_dir);
}

/* Read the key; create it first when create is set and it is missing. */
static bool read_key(const sl_app *app, unsigned char key[KEY_BYTES], bool create)
{
    char path[1100];
    key_path(app, path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
        unsigned char k[KEY_BYTES];
        int w = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (w >= 0) { /* two first logins at once: the O_EXCL loser reads the winner's key */
            bool ok = RAND_bytes(k, KEY_BYTES) == 1 && write(w, k, KEY_BYTES) == KEY_BYTES &&
                      fsync(w) == 0;
            close(w);
            OPENSSL_cleanse(k, sizeof k);
            if (!ok) {
                unlink(path);
                return false;
            }
        }
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0)
        return false;
    ssize_t n = read(fd, key, KEY_BYTES);
    close(fd);
    return n == KEY_BYTES;
}

/* ---- tokens --------------------------------------------------------------------------------- */

static void b64url(sl_buf *b, const unsigned char *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        sl_buf_putc(b, tab[v >> 18]);
        sl_buf_putc(b, tab[(v >> 12) & 63]);
        if (i + 1 < n)
            sl_buf_putc(b, tab[(v >> 6) & 63]);
        if (i + 2 < n)
            sl_buf_putc(b, tab[v & 63]);
    }
}

static int b64url_val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '-' ? 62 : c == '_' ? 63 : -1;
}

/* Decode into out (cap bytes); -1 when malformed or too long. */
static long b64url_dec(sl_slice s, char *out, size_t cap)
{
    size_t k = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < s.n; i++) {
        int v = b64url_val(s.p[i]);
        if (v < 0)
            return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (k == cap)
                return -1;
            out[k++] = (char)(acc >> bits);
        }
    }
    return (long)k;
}

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

/* Append "<payload>.<mac>" for user, kind 'a' or 'r'. */
static bool make_token(const sl_app *app, sl_buf *b, sl_slice user, char kind, uint64_t version)
{
    unsigned char key[KEY_BYTES], mac[EVP_MAX_MD_SIZE];
    unsigned int mac_n = 0;
    if (!read_key(app, key, true))
        return false;
    size_t at = b->len;
    sl_buf_puts(b, "v1.");
    b64url(b, (const unsigned char *)user.p, user.n);
    sl_buf_printf(b, ".%c.%lld.%llu", kind,
                  (long long)(now_s() + (kind == 'a' ? ACCESS_TTL_S : REFRESH_TTL_S)),
                  (unsigned long long)version);
    bool ok = !b->oom && HMAC(EVP_sha256(), key, KEY_BYTES, (const unsigned char *)b->p + at,
                              b->len - at, mac, &mac_n) != NULL;
    OPENSSL_cleanse(key, sizeof key);
    sl_buf_putc(b, '.');
    b64url(b, mac, mac_n);
    return ok && !b->oom;
}

/* Split a token into its 6 dot-separated parts. */
static bool split_token(sl_slice t, sl_slice part[6])
{
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= t.n; i++)
        if (i == t.n || t.p[i] == '.') {
            if (k == 6)
                return false;
            part[k++] = (sl_slice){t.p + start, i - start};
            start = i + 1;
        }
    return k == 6 && sl_slice_eq(part[0], "v1") && part[2].n == 1;
}

/* Check a token of the given kind; on success the user (in the arena) and its identity. */
static sl_code check_token(sl_http_req *r, sl_slice tok, char kind, sl_identity *id, sl_err *err)
{
    sl_app *app = r->app;
    sl_slice part[6];
    unsigned char key[KEY_BYTES], mac[EVP_MAX_MD_SIZE];
    unsigned int mac_n = 0;
    char want[64], user[256];
    if (tok.n > TOKEN_MAX || !split_token(tok, part) || part[2].p[0] != kind)
        return sl_fail(err, SL_UNAUTHORIZED, "invalid token");
    if (!read_key(app, key, false))
        return sl_fail(err, SL_UNAUTHORIZED, "invalid token");
    size_t signed_n = (size_t)(part[5].p - 1 - tok.p);
    HMAC(EVP_sha256(), key, KEY_BYTES, (const unsigned char *)tok.p, signed_n, mac, &mac_n);
    OPENSSL_cleanse(key, sizeof key);
    long n = b64url_dec(part[5], want, sizeof want);
    if (n != (long)mac_n || CRYPTO_memcmp(want, mac, mac_n) != 0)
        return sl_fail(err, SL_UNAUTHORIZED, "invalid token");
    long un = b64url_dec(part[1], user, sizeof user);
    char num[32];
    snprintf(num, sizeof num, "%.*s", (int)(part[3].n < 31 ? part[3].n : 31), part[3].p);
    if (un <= 0 || strtoll(num, NULL, 10) < now_s())
        return sl_fail(err, SL_UNAUTHORIZED, "token expired");
    snprintf(num, sizeof num, "%.*s", (int)(part[4].n < 31 ? part[4].n : 31), part[4].p);
    uint64_t version = strtoull(num, NULL, 10);
    sl_user_rec rec;
    sl_err e2 = {0};
    sl_slice name = sl_arena_slice(&r->arena, (sl_slice){user, (size_t)un});
    if (name.p == NULL || sl_store_user_get(app->store, name, &r->arena, &rec, &e2) != SL_OK ||
        rec.version != version ||
        (rec.locked_until_ms && rec.locked_until_ms > (uint64_t)now_s() * 1000u))
        return sl_fail(err, SL_UNAUTHORIZED, "token revoked"); /* dropped, changed or locked */
    id->user = rec.name;
    id->admin = rec.admin;
    r->log_user = rec.name; /* the access log names the token's user */
    return SL_OK;
}

sl_code sl__yamcs_bearer(sl_http_req *r, sl_identity *id, bool *present, sl_err *err)
{
    sl_slice h = sl_http_header_get(r, "Authorization");
    *present = h.p && h.n > 7 && strncasecmp(h.p, "Bearer ", 7) == 0;
    if (!*present)
        return SL_UNAUTHORIZED;
    return check_token(r, sl_slice_trim((sl_slice){h.p + 7, h.n - 7}), 'a', id, err);
}

bool sl__yamcs_anonymous_read(const sl_http_req *r)
{
    const sl_app *app = r->app;
    return strcmp(app->cfg.yamcs_anonymous, "read") == 0 &&
           sl_http_header_get(r, "Authorization").p == NULL;
}

/* ---- the endpoints ------------------------------------------------------------------------- */

/* A form field of an application/x-www-form-urlencoded body ('+' is a space), in the arena. */
static sl_slice form_field(sl_http_req *r, sl_slice body, const char *name)
{
    size_t nl = strlen(name);
    const char *p = body.p, *end = body.p + body.n;
    while (p && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p)), *stop = amp ? amp : end;
        if ((size_t)(stop - p) > nl && memcmp(p, name, nl) == 0 && p[nl] == '=') {
            size_t n = (size_t)(stop - p - nl - 1);
            char *v = sl_arena_memdup(&r->arena, p + nl + 1, n);
            if (v == NULL)
                return SL_SLICE_NULL;
            for (size_t i = 0; i < n; i++)
                if (v[i] == '+')
                    v[i] = ' ';
            return sl_http_url_decode(&r->arena, (sl_slice){v, n});
        }
        p = stop + 1;
    }
    return SL_SLICE_NULL;
}

/* 401 as Yamcs answers a failed token request: {"code":401,...} or the protobuf form. */
static void unauthorized(sl_http_req *r, yamcs_ctx *y, const char *msg)
{
    sl__yamcs_error(r, y, SL_UNAUTHORIZED, msg, false, 0);
}

/* POST /auth/token: grant_type=password (username, password) | refresh_token. */
static void token_end(sl_http_req *r, yamcs_ctx *y)
{
    sl_app *app = r->app;
    sl_slice body = {y->req.p ? y->req.p : "", y->req.len};
    sl_slice grant = form_field(r, body, "grant_type");
    sl_identity id;
    sl_err err = {0};
    sl_code rc;
    if (sl_slice_eq(grant, "password")) {
        sl_slice user = form_field(r, body, "username"), pw = form_field(r, body, "password");
        if (user.p == NULL || pw.p == NULL) {
            sl__yamcs_error(r, y, SL_INVALID, "username and password are required", false, 0);
            return;
        }
        rc = sl_auth_login(app->auth, user, pw, r->peer_ip, &id, &err);
    } else if (sl_slice_eq(grant, "refresh_token")) {
        rc = check_token(r, form_field(r, body, "refresh_token"), 'r', &id, &err);
    } else {
        sl__yamcs_error(r, y, SL_INVALID, "Unsupported grant_type", false, 0);
        return;
    }
    if (rc != SL_OK) {
        unauthorized(r, y, "Unauthorized");
        return;
    }
    r->log_user = sl_arena_slice(&r->arena, id.user); /* the access log names who logged in */
    sl_user_rec rec;
    uint64_t version = 0;
    if (sl_store_user_get(app->store, id.user, &r->arena, &rec, &err) == SL_OK)
        version = rec.version;
    sl_buf b = SL_BUF_INIT;
    sl_buf_puts(&b, "{\"access_token\":\"");
    bool ok = make_token(app, &b, id.user, 'a', version);
    sl_buf_printf(&b, "\",\"token_type\":\"bearer\",\"expires_in\":%d,\"refresh_token\":\"",
                  ACCESS_TTL_S);
    ok = ok && make_token(app, &b, id.user, 'r', version);
    sl_buf_puts(&b, "\",\"user\":{\"name\":");
    sl_json_str(&b, id.user.p, id.user.n);
    sl_buf_printf(&b, ",\"superuser\":%s}}", id.admin ? "true" : "false");
    if (!ok)
        sl__yamcs_error(r, y, SL_INTERNAL, "cannot issue a token (DATA_DIR/yamcs_token.key)",
                        false, 0);
    else
        sl_http_respond(r, 200, "application/json", b.p, b.len);
    OPENSSL_cleanse(b.p, b.len); /* the reply holds its copy */
    sl_buf_free(&b);
}

/* GET /auth: AuthInfo{requireAuthentication=1, spnego=2}. */
static void auth_info(sl_http_req *r)
{
    bool need = strcmp(((sl_app *)r->app)->cfg.yamcs_anonymous, "read") != 0;
    if (sl__yamcs_proto_reply(r)) {
        sl_buf b = SL_BUF_INIT;
        sl__pb_uint(&b, 1, need);
        sl__pb_uint(&b, 2, 0);
        sl_http_respond(r, 200, "application/protobuf", b.p, b.len);
        sl_buf_free(&b);
        return;
    }
    const char *j = need ? "{\"requireAuthentication\":true,\"spnego\":false}"
                         : "{\"requireAuthentication\":false,\"spnego\":false}";
    sl_http_respond(r, 200, "application/json", j, strlen(j));
}

/* The identity of a request to /api/user or /api: bearer, Basic, or the anonymous guest. */
static bool who(sl_http_req *r, yamcs_ctx *y)
{
    sl_err err = {0};
    bool bearer, none;
    if (sl__yamcs_bearer(r, &y->id, &bearer, &err) == SL_OK)
        return true;
    if (bearer) {
        unauthorized(r, y, err.msg);
        return false;
    }
    if (sl__yamcs_anonymous_read(r)) {
        y->id.user = SL_LIT("guest");
        y->anonymous = true;
        return true;
    }
    if (sl__login(r, &y->id, NULL, &none, &err) != SL_OK) {
        unauthorized(r, y, none ? "Unauthorized" : err.msg);
        return false;
    }
    return true;
}

/* GET /api/user: UserInfo{name=1, superuser=8}. GET /api: the server's info
 * (GetServerInfoResponse{yamcsVersion=1, serverId=3}); no default instance. */
static void user_or_server(sl_http_req *r, yamcs_ctx *y, bool user)
{
    bool proto = sl__yamcs_proto_reply(r);
    sl_buf b = SL_BUF_INIT;
    char ver[128];
    snprintf(ver, sizeof ver, "sluice %s", sluice_version());
    if (proto && user) {
        sl__pb_bytes(&b, 1, y->id.user.p, y->id.user.n);
        sl__pb_uint(&b, 8, y->id.admin);
    } else if (proto) {
        sl__pb_bytes(&b, 1, ver, strlen(ver));
        sl__pb_bytes(&b, 3, "sluice", 6);
    } else if (user) {
        sl_buf_puts(&b, "{\"name\":");
        sl_json_str(&b, y->id.user.p, y->id.user.n);
        sl_buf_printf(&b, ",\"superuser\":%s}", y->id.admin ? "true" : "false");
    } else {
        sl_buf_puts(&b, "{\"yamcsVersion\":");
        sl_json_cstr(&b, ver);
        sl_buf_puts(&b, ",\"serverId\":\"sluice\"}");
    }
    sl_http_respond(r, 200, proto ? "application/protobuf" : "application/json",
                    b.p ? b.p : "", b.len);
    sl_buf_free(&b);
}

static void auth_begin(sl_http_req *r)
{
    yamcs_ctx *y = sl_arena_alloc(&r->arena, sizeof *y);
    if (y == NULL) {
        sl_http_respond(r, 503, "text/plain", "out of memory\n", 14);
        return;
    }
    memset(y, 0, sizeof *y);
    y->op = YOP_LIST;
    r->ctx = y;
    sl_slice seg[4];
    size_t n = sl__path_segments(r, seg, SL_COUNT(seg));
    if (sl_slice_eq(seg[0], "auth")) {
        if (n == 1)
            auth_info(r);
        return; /* POST /auth/token: the form is the body */
    }
    if (who(r, y)) /* GET /api/user, GET /api */
        user_or_server(r, y, n == 2);
}

static void auth_body(sl_http_req *r, const char *p, size_t n)
{
    yamcs_ctx *y = r->ctx;
    if (y == NULL || r->responded)
        return;
    if (y->req.len + n > 64 * 1024) /* a login form is a few hundred bytes */
        sl__yamcs_error(r, y, SL_TOO_LARGE, "request body too large", false, 0);
    else
        sl_buf_append(&y->req, p, n);
}

static void auth_end(sl_http_req *r)
{
    yamcs_ctx *y = r->ctx;
    if (r->responded)
        return;
    if (y == NULL) {
        sl_http_respond(r, 500, "text/plain", "no response\n", 12);
        return;
    }
    token_end(r, y);
}

static void auth_cleanup(sl_http_req *r)
{
    yamcs_ctx *y = r->ctx;
    if (y == NULL)
        return;
    if (y->req.p)
        OPENSSL_cleanse(y->req.p, y->req.len); /* the form held a password */
    sl_buf_free(&y->req);
}

const sl_http_handler sl_yamcs_auth = {"yamcs-auth", auth_begin, auth_body, auth_end, NULL,
                                       auth_cleanup};
