/*
 * util.c - request helpers for handlers: header lookup, percent-decoding, query parameters,
 * and the respond helpers (http stage).
 *
 * Handlers call these from worker threads on their own request only; nothing here touches the
 * connection or the loop. Everything returned lives in the request arena.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

#include "http.h"

sl_slice sl_http_header_get(const sl_http_req *r, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < r->n_headers; i++) {
        sl_slice h = r->headers[i].name;
        if (h.n == n && strncasecmp(h.p, name, n) == 0)
            return r->headers[i].value.p ? r->headers[i].value : (sl_slice){"", 0};
    }
    return SL_SLICE_NULL;
}

/* Append s to b with CR, LF and NUL dropped, so a value can never split a header line. */
static void append_field(sl_buf *b, const char *s)
{
    for (const char *p = s; *p; p++)
        if (*p != '\r' && *p != '\n')
            sl_buf_putc(b, *p);
}

void sl_http_respond(sl_http_req *r, int status, const char *content_type, const char *body,
                     size_t len)
{
    if (r->_stream) {
        sl_http_stream_abort(r); /* not started: dropped, this reply replaces it */
        if (r->_stream)
            return; /* started: too late for another status; the reply is cut */
    }
    r->responded = true;
    r->status = status;
    r->content_type = content_type ? content_type : "text/plain";
    sl_buf_clear(&r->resp_body);
    if (len)
        sl_buf_append(&r->resp_body, body, len);
}

void sl_http_add_header(sl_http_req *r, const char *name, const char *value)
{
    append_field(&r->resp_headers, name);
    sl_buf_append(&r->resp_headers, ": ", 2);
    append_field(&r->resp_headers, value);
    sl_buf_append(&r->resp_headers, "\r\n", 2);
}

uint64_t sl_http_now_ms(void)
{
    return uv_hrtime() / 1000000u; /* the same CLOCK_MONOTONIC base libuv's timers use */
}

sl_slice sl_http_url_decode(sl_arena_t *a, sl_slice s)
{
    char *out = sl_arena_alloc(a, s.n + 1);
    if (out == NULL)
        return SL_SLICE_NULL;
    size_t o = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] != '%') {
            out[o++] = s.p[i];
            continue;
        }
        if (i + 2 >= s.n)
            return SL_SLICE_NULL; /* "%" or "%X" at the end */
        int hi = sl_hexval(s.p[i + 1]);
        int lo = sl_hexval(s.p[i + 2]);
        if (hi < 0 || lo < 0)
            return SL_SLICE_NULL;
        out[o++] = (char)(hi * 16 + lo);
        i += 2;
    }
    out[o] = '\0';
    return (sl_slice){out, o};
}

sl_slice sl_http_query_param(sl_http_req *r, const char *name)
{
    size_t name_len = strlen(name);
    const char *p = r->query.p, *end = p ? p + r->query.n : NULL;
    while (p && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        sl_slice key = {p, (size_t)((eq ? eq : stop) - p)};
        sl_slice val = eq ? (sl_slice){eq + 1, (size_t)(stop - eq - 1)} : (sl_slice){"", 0};
        sl_slice k = sl_http_url_decode(&r->arena, key);
        if (k.p && k.n == name_len && memcmp(k.p, name, name_len) == 0)
            return sl_http_url_decode(&r->arena, val);
        p = stop + 1;
    }
    return SL_SLICE_NULL;
}
