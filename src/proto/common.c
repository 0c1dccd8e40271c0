/*
 * common.c - helpers the protocol adapters share: Basic auth and login, UUIDs, path segments,
 * Doris FE-style bodies and pretty-printed JSON (proto stage).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "proto.h"

bool sl__basic_auth(sl_http_req *r, sl_slice *user, sl_slice *pw)
{
    sl_slice h = sl_http_header_get(r, "Authorization");
    if (h.p == NULL || h.n < 6 || strncasecmp(h.p, "Basic ", 6) != 0)
        return false;
    sl_slice b64 = sl_slice_trim((sl_slice){h.p + 6, h.n - 6});
    if (b64.n == 0 || b64.n % 4 != 0 || b64.n > 4096)
        return false;
    unsigned char *out = sl_arena_alloc(&r->arena, b64.n / 4 * 3 + 1);
    if (out == NULL)
        return false;
    int n = EVP_DecodeBlock(out, (const unsigned char *)b64.p, (int)b64.n);
    if (n < 0)
        return false;
    /* EVP_DecodeBlock counts the padding bytes as zeros: drop them. */
    if (b64.p[b64.n - 1] == '=')
        n--;
    if (b64.p[b64.n - 2] == '=')
        n--;
    out[n] = '\0';
    const char *colon = memchr(out, ':', (size_t)n);
    if (colon == NULL)
        return false;
    size_t ulen = (size_t)(colon - (const char *)out);
    const char *at = memchr(out, '@', ulen);
    *user = (sl_slice){(const char *)out, at ? (size_t)(at - (const char *)out) : ulen};
    *pw = (sl_slice){colon + 1, (size_t)n - ulen - 1};
    return user->n > 0;
}

sl_code sl__login(sl_http_req *r, sl_identity *id, sl_slice *pw_out, bool *no_credentials,
                  sl_err *err)
{
    sl_app *app = r->app;
    sl_slice user, pw;
    *no_credentials = !sl__basic_auth(r, &user, &pw);
    if (*no_credentials)
        return sl_fail(err, SL_UNAUTHORIZED, "no valid Basic authorization");
    if (pw_out)
        *pw_out = pw;
    return sl_auth_login(app->auth, user, pw, r->peer_ip, id, err);
}

void sl__uuid(char *buf)
{
    unsigned char b[16] = {0};
    RAND_bytes(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

size_t sl__path_segments(sl_http_req *r, sl_slice *seg, size_t cap)
{
    size_t n = 0;
    const char *p = r->path.p, *end = r->path.p + r->path.n;
    while (p < end) {
        while (p < end && *p == '/')
            p++;
        if (p >= end)
            break;
        const char *s = p;
        while (p < end && *p != '/')
            p++;
        if (n < cap) {
            seg[n] = sl_http_url_decode(&r->arena, (sl_slice){s, (size_t)(p - s)});
            if (seg[n].p == NULL)
                seg[n] = (sl_slice){"", 0};
        }
        n++;
    }
    return n;
}

void sl__fe_fail(sl_http_req *r, const char *msg)
{
    sl_buf b = SL_BUF_INIT;
    sl_buf_puts(&b, "{\"status\":\"FAILED\",\"msg\":");
    sl_json_cstr(&b, msg);
    sl_buf_puts(&b, "}");
    sl_http_respond(r, 200, "application/json", b.p, b.len);
    sl_buf_free(&b);
}

void sl__fe_result(sl_http_req *r, const char *msg, int code, const char *data_json)
{
    sl_buf b = SL_BUF_INIT;
    sl_buf_puts(&b, "{\"msg\":");
    sl_json_cstr(&b, msg);
    sl_buf_printf(&b, ",\"code\":%d,\"data\":%s,\"count\":0}", code, data_json);
    sl_http_respond(r, 200, "application/json", b.p, b.len);
    sl_buf_free(&b);
}

void sl__pretty_str(sl_buf *b, bool *first, const char *key, const char *p, size_t n)
{
    sl_buf_puts(b, *first ? "{\n    \"" : ",\n    \"");
    *first = false;
    sl_buf_puts(b, key);
    sl_buf_puts(b, "\": ");
    sl_json_str(b, p, n);
}

void sl__pretty_int(sl_buf *b, bool *first, const char *key, long long v)
{
    sl_buf_puts(b, *first ? "{\n    \"" : ",\n    \"");
    *first = false;
    sl_buf_printf(b, "%s\": %lld", key, v);
}
