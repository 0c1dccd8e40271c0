/*
 * tsload_multipart.c - streaming multipart/form-data parser for tsload uploads (proto stage).
 *
 * tsload.c feeds it the upload body in the pieces the HTTP layer delivers; the bytes of each
 * file part go straight on to the part's CSV decoder (tsload_cycle.c), so an upload of any size
 * is never held in memory. Only a part's header block (bounded) is copied.
 *
 *   body ─▶ sw_preamble ─"\r\n--B"─▶ sw_after ─"\r\n"─▶ sw_headers ─"\r\n\r\n"─▶ sw_body ─┐
 *                                       │                                              │
 *                                       └──"--"──▶ sw_epilogue (done)  ◀──"\r\n--B"────┘
 *
 * The delimiter "\r\n--B" is found with KMP over a failure table: bytes that might start a
 * delimiter are held back as a count (match) and, when the match breaks, re-emitted from the
 * delimiter text itself, so a boundary cut across any two pushes costs no buffering. The body
 * is treated as if it began with "\r\n" so that a first boundary at offset 0 matches.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <string.h>

#include "tsload_internal.h"

enum { sw_preamble, sw_after, sw_dash2, sw_lf, sw_headers, sw_body, sw_epilogue };

/* The boundary parameter of a Content-Type value (quoted or not). */
static bool find_boundary(sl_slice ct, sl_slice *out)
{
    static const char key[] = "boundary=";
    for (size_t i = 0; i + sizeof key - 1 <= ct.n; i++) {
        size_t k = 0;
        while (k < sizeof key - 1 && (ct.p[i + k] | 0x20) == key[k])
            k++;
        if (k < sizeof key - 1 || (i > 0 && ct.p[i - 1] != ';' && ct.p[i - 1] != ' ' &&
                                   ct.p[i - 1] != '\t'))
            continue;
        const char *p = ct.p + i + k, *end = ct.p + ct.n;
        if (p < end && *p == '"') {
            const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));
            if (q == NULL)
                return false;
            *out = (sl_slice){p + 1, (size_t)(q - p - 1)};
        } else {
            const char *q = p;
            while (q < end && *q != ';' && *q != ' ' && *q != '\t')
                q++;
            *out = (sl_slice){p, (size_t)(q - p)};
        }
        return out->n > 0;
    }
    return false;
}

sl_code sl__mp_init(sl_multipart *m, sl_slice ct, sl_err *err)
{
    memset(m, 0, offsetof(sl_multipart, hdr));
    sl_slice b;
    if (ct.n < 10 || strncasecmp(ct.p, "multipart/", 10) != 0)
        return sl_fail(err, SL_INVALID, "not a multipart body");
    if (!find_boundary(ct, &b) || b.n > SL_MP_BOUNDARY_MAX)
        return sl_fail(err, SL_INVALID, "multipart body without a usable boundary");
    memcpy(m->delim, "\r\n--", 4);
    memcpy(m->delim + 4, b.p, b.n);
    m->delim_len = b.n + 4;
    /* KMP failure function: fail[i] = length of the longest proper border of delim[0..i]. */
    size_t k = 0;
    m->fail[0] = 0;
    for (size_t i = 1; i < m->delim_len; i++) {
        while (k > 0 && m->delim[i] != m->delim[k])
            k = m->fail[k - 1];
        if (m->delim[i] == m->delim[k])
            k++;
        m->fail[i] = (uint8_t)k;
    }
    m->state = sw_preamble;
    m->match = 2; /* as if the body began with "\r\n" */
    return SL_OK;
}

/* Does the header block name a filename or a Content-Type? */
static bool part_is_file(const char *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if ((i == 0 || h[i - 1] == '\n') && n - i >= 13 &&
            strncasecmp(h + i, "content-type:", 13) == 0)
            return true;
        if (n - i >= 9 && strncasecmp(h + i, "filename=", 9) == 0 &&
            (i == 0 || h[i - 1] == ' ' || h[i - 1] == ';' || h[i - 1] == '\t'))
            return true;
        if (n - i >= 10 && strncasecmp(h + i, "filename*=", 10) == 0)
            return true;
    }
    return false;
}

/* Advance the delimiter match by byte c. Bytes that stop being a possible delimiter start are
 * data: their count is returned in *drop (they are delim[0 .. *drop)). true: full match. */
static bool step(sl_multipart *m, char c, size_t *drop)
{
    size_t k = m->match, before = k;
    while (k > 0 && m->delim[k] != c)
        k = m->fail[k - 1];
    if (m->delim[k] == c)
        k++;
    /* before + 1 bytes were in play (held ones and c); k of them remain held. */
    *drop = before + 1 - k;
    m->match = k;
    return k == m->delim_len;
}

sl_code sl__mp_push(sl_multipart *m, const char *p, size_t n, const sl_mp_callbacks *cb,
                    sl_err *err)
{
    sl_code rc;
    size_t i = 0;
    while (i < n) {
        char c = p[i];
        switch (m->state) {
        case sw_preamble:
        case sw_body: {
            /* Invariant: chunk bytes [run, i) are data not yet emitted; when bytes are held
             * (m->match > 0) run == i, since holding began with an emit of [run, i). */
            bool body = m->state == sw_body && m->in_file;
            size_t run = i;
            bool done = false;
            while (i < n && !done) {
                if (m->match == 0) { /* fast skip to the next possible delimiter start */
                    const char *cr = memchr(p + i, '\r', n - i);
                    if (cr == NULL) {
                        i = n;
                        break;
                    }
                    i = (size_t)(cr - p);
                }
                size_t held = m->match, drop;
                done = step(m, p[i], &drop);
                if (drop > held) { /* every held byte and c are data; c joins the run */
                    if (body && held && (rc = cb->data(cb->arg, m->delim, held)) != SL_OK)
                        return rc;
                    i++;
                    continue;
                }
                if (body && held == 0 && i > run && (rc = cb->data(cb->arg, p + run, i - run)) != SL_OK)
                    return rc;
                if (body && drop && (rc = cb->data(cb->arg, m->delim, drop)) != SL_OK)
                    return rc;
                run = ++i;
            }
            if (body && n > run && !done && (rc = cb->data(cb->arg, p + run, n - run)) != SL_OK)
                return rc;
            if (done) {
                m->match = 0;
                if (m->state == sw_body && m->in_file && (rc = cb->part_end(cb->arg)) != SL_OK)
                    return rc;
                m->in_file = false;
                m->state = sw_after;
            }
            continue;
        }
        case sw_after:
            if (c == '-')
                m->state = sw_dash2;
            else if (c == '\r')
                m->state = sw_lf;
            else if (c != ' ' && c != '\t')
                return sl_fail(err, SL_INVALID, "malformed multipart boundary line");
            break;
        case sw_dash2:
            if (c != '-')
                return sl_fail(err, SL_INVALID, "malformed multipart closing boundary");
            m->state = sw_epilogue;
            break;
        case sw_lf:
            if (c != '\n')
                return sl_fail(err, SL_INVALID, "malformed multipart boundary line");
            m->state = sw_headers;
            m->hdr_len = 0;
            break;
        case sw_headers:
            if (m->hdr_len == sizeof m->hdr)
                return sl_fail(err, SL_INVALID, "multipart part headers longer than %d bytes",
                               SL_MP_HEADER_MAX);
            m->hdr[m->hdr_len++] = c;
            if ((m->hdr_len == 2 && memcmp(m->hdr, "\r\n", 2) == 0) ||
                (m->hdr_len >= 4 && memcmp(m->hdr + m->hdr_len - 4, "\r\n\r\n", 4) == 0)) {
                m->in_file = part_is_file(m->hdr, m->hdr_len);
                if ((rc = cb->part_begin(cb->arg, m->in_file)) != SL_OK)
                    return rc;
                m->state = sw_body;
                m->match = 0;
            }
            break;
        case sw_epilogue:
            return SL_OK;
        }
        i++;
    }
    return SL_OK;
}

sl_code sl__mp_finish(sl_multipart *m, sl_err *err)
{
    if (m->state != sw_epilogue)
        return sl_fail(err, SL_INVALID, "multipart body ends before its closing boundary");
    return SL_OK;
}
