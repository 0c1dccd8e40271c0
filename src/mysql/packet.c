/*
 * packet.c - the MySQL protocol's packets (mysql stage): framing, the handshake, the client's
 * answer, and the server's replies. Pure functions over bytes: server.c feeds it what the
 * socket gave, proto/mysql.c writes its replies through it, tests/fuzz/fuzz_mysql.c throws
 * anything at the readers.
 *
 * A physical packet is a 3-byte little-endian payload length, a sequence id, and the payload.
 * A payload of exactly 0xffffff bytes continues in the next packet, so a logical packet of any
 * size is a run of full pieces and one shorter (possibly empty) piece.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdint.h>
#include <string.h>

#include "mysql.h"

static size_t piece_len(const uint8_t *h)
{
    return (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16;
}

sl_code sl_my_frame(const uint8_t *p, size_t n, size_t max, sl_buf *scratch, sl_my_packet *pkt,
                    size_t *used)
{
    size_t off = 0, total = 0, pieces = 0;
    for (;;) { /* walk the headers: find the last piece, bound the total before it arrives */
        if (n - off < 4)
            return SL_AGAIN;
        size_t len = piece_len(p + off);
        if (pieces && p[off + 3] != (uint8_t)(p[3] + pieces))
            return SL_INVALID;
        total += len;
        if (total > max)
            return SL_TOO_LARGE;
        if (n - off - 4 < len)
            return SL_AGAIN;
        pieces++;
        off += 4 + len;
        if (len < SL_MY_PIECE)
            break;
    }
    pkt->seq = p[3];
    pkt->next_seq = (uint8_t)(p[3] + pieces);
    pkt->n = total;
    *used = off;
    if (pieces == 1) {
        pkt->p = p + 4;
        return SL_OK;
    }
    sl_buf_clear(scratch);
    if (!sl_buf_reserve(scratch, total ? total : 1))
        return SL_NOMEM;
    for (size_t at = 0; at < off;) {
        size_t len = piece_len(p + at);
        sl_buf_append(scratch, p + at + 4, len);
        at += 4 + len;
    }
    if (scratch->oom)
        return SL_NOMEM;
    pkt->p = (const uint8_t *)scratch->p;
    return SL_OK;
}

bool sl_my_get_lenenc(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    const uint8_t *p = *pp;
    if (p >= end)
        return false;
    int k = p[0] < 0xfb ? 0 : p[0] == 0xfc ? 2 : p[0] == 0xfd ? 3 : p[0] == 0xfe ? 8 : -1;
    if (k < 0 || end - p - 1 < k)
        return false;
    if (k == 0) {
        *out = p[0];
        *pp = p + 1;
        return true;
    }
    uint64_t v = 0;
    for (int i = 0; i < k; i++)
        v |= (uint64_t)p[1 + i] << (8 * i);
    *out = v;
    *pp = p + 1 + k;
    return true;
}

/* A NUL-terminated string at *p before end. */
static bool get_cstr(const uint8_t **p, const uint8_t *end, sl_slice *out)
{
    const uint8_t *z = memchr(*p, 0, (size_t)(end - *p));
    if (z == NULL)
        return false;
    *out = (sl_slice){(const char *)*p, (size_t)(z - *p)};
    *p = z + 1;
    return true;
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The answer to the scramble, in the form the client's capabilities say. */
static bool get_auth(const uint8_t **p, const uint8_t *end, uint32_t caps, sl_slice *out)
{
    uint64_t len;
    if (caps & SL_MY_CLIENT_PLUGIN_AUTH_LENENC) {
        if (!sl_my_get_lenenc(p, end, &len))
            return false;
    } else {
        if (*p >= end)
            return false;
        len = *(*p)++;
    }
    if ((uint64_t)(end - *p) < len)
        return false;
    *out = (sl_slice){(const char *)*p, (size_t)len};
    *p += len;
    return true;
}

sl_code sl_my_parse_hello(const uint8_t *p, size_t n, sl_my_hello *out, sl_err *err)
{
    memset(out, 0, sizeof *out);
    const uint8_t *end = p + n;
    if (n < 32)
        return sl_fail(err, SL_INVALID, "handshake response too short");
    out->caps = get_u32(p);
    out->max_packet = get_u32(p + 4);
    out->charset = p[8];
    if (!(out->caps & SL_MY_CLIENT_PROTOCOL_41) || !(out->caps & SL_MY_CLIENT_SECURE_CONNECTION))
        return sl_fail(err, SL_INVALID, "client does not speak protocol 4.1");
    if (n == 32 && (out->caps & SL_MY_CLIENT_SSL)) {
        out->ssl_request = true;
        return SL_OK;
    }
    p += 32; /* caps, max packet, charset, 23 reserved bytes */
    if (!get_cstr(&p, end, &out->user))
        return sl_fail(err, SL_INVALID, "handshake response: user not terminated");
    if (!get_auth(&p, end, out->caps, &out->auth))
        return sl_fail(err, SL_INVALID, "handshake response: truncated auth data");
    /* What follows is optional: clients stop early when they have nothing to say. */
    if ((out->caps & SL_MY_CLIENT_CONNECT_WITH_DB) && p < end &&
        !get_cstr(&p, end, &out->db))
        return sl_fail(err, SL_INVALID, "handshake response: database not terminated");
    if ((out->caps & SL_MY_CLIENT_PLUGIN_AUTH) && p < end && !get_cstr(&p, end, &out->plugin))
        return sl_fail(err, SL_INVALID, "handshake response: plugin not terminated");
    if ((out->caps & SL_MY_CLIENT_CONNECT_ATTRS) && p < end) {
        uint64_t len;
        if (!sl_my_get_lenenc(&p, end, &len) || (uint64_t)(end - p) < len)
            return sl_fail(err, SL_INVALID, "handshake response: truncated attributes");
    }
    return SL_OK;
}

/* ---- writing ------------------------------------------------------------------------------ */

void sl_my_out_init(sl_my_out *o, uint8_t seq, uint32_t caps)
{
    *o = (sl_my_out){SL_BUF_INIT, seq, SIZE_MAX, caps, NULL, NULL, false, seq};
}

void sl_my_out_free(sl_my_out *o)
{
    sl_buf_free(&o->b);
}

sl_code sl_my_flush(sl_my_out *o)
{
    if (o->b.oom)
        return SL_NOMEM;
    if (o->start != SIZE_MAX)
        return SL_INTERNAL;
    if (o->flush == NULL || o->b.len == 0)
        return SL_OK;
    sl_code rc = o->flush(o->flush_arg, o->b.p, o->b.len);
    if (rc == SL_OK) {
        o->sent = true;
        o->sent_seq = o->seq;
        sl_buf_clear(&o->b);
    }
    return rc;
}

void sl_my_out_recover(sl_my_out *o, uint8_t seq)
{
    if (o->b.oom) {
        sl_buf_clear(&o->b);
        o->b.oom = false;
        o->seq = o->sent ? o->sent_seq : seq;
    } else if (o->start != SIZE_MAX) {
        o->b.len = o->start; /* the open packet: its sequence id was not taken */
    }
    o->start = SIZE_MAX;
}

void sl_my_begin(sl_my_out *o)
{
    o->start = o->b.len;
    sl_buf_append(&o->b, "\0\0\0\0", 4);
}

static void put_header(uint8_t *h, size_t len, uint8_t seq)
{
    h[0] = (uint8_t)len;
    h[1] = (uint8_t)(len >> 8);
    h[2] = (uint8_t)(len >> 16);
    h[3] = seq;
}

void sl_my_end(sl_my_out *o)
{
    if (o->start == SIZE_MAX || o->b.oom) {
        o->start = SIZE_MAX;
        return;
    }
    size_t len = o->b.len - o->start - 4;
    size_t extra = len / SL_MY_PIECE; /* further headers: full pieces end in a shorter one */
    if (extra && !sl_buf_reserve(&o->b, 4 * extra)) {
        o->start = SIZE_MAX;
        return;
    }
    /* Open gaps for the extra headers from the back, so every piece moves once. */
    uint8_t *base = (uint8_t *)o->b.p + o->start;
    for (size_t k = extra; k >= 1; k--) {
        size_t from = 4 + k * SL_MY_PIECE, n = len - k * SL_MY_PIECE;
        memmove(base + from + 4 * k, base + from, n);
        len = k * SL_MY_PIECE; /* what is left before this piece */
        put_header(base + from + 4 * (k - 1), n, (uint8_t)(o->seq + k));
    }
    put_header(base, extra ? SL_MY_PIECE : len, o->seq);
    o->b.len += 4 * extra;
    o->seq = (uint8_t)(o->seq + 1 + extra);
    o->start = SIZE_MAX;
}

void sl_my_put_int(sl_my_out *o, uint64_t v, int bytes)
{
    uint8_t tmp[8];
    for (int i = 0; i < bytes; i++)
        tmp[i] = (uint8_t)(v >> (8 * i));
    sl_buf_append(&o->b, tmp, (size_t)bytes);
}

void sl_my_put_lenenc(sl_my_out *o, uint64_t v)
{
    if (v < 0xfb) {
        sl_my_put_int(o, v, 1);
    } else if (v <= 0xffff) {
        sl_buf_putc(&o->b, (char)0xfc);
        sl_my_put_int(o, v, 2);
    } else if (v <= 0xffffff) {
        sl_buf_putc(&o->b, (char)0xfd);
        sl_my_put_int(o, v, 3);
    } else {
        sl_buf_putc(&o->b, (char)0xfe);
        sl_my_put_int(o, v, 8);
    }
}

void sl_my_put_lenstr(sl_my_out *o, const char *p, size_t n)
{
    sl_my_put_lenenc(o, n);
    sl_buf_append(&o->b, p ? p : "", n);
}

void sl_my_put_raw(sl_my_out *o, const void *p, size_t n)
{
    sl_buf_append(&o->b, p, n);
}

void sl_my_put_cstr(sl_my_out *o, const char *s)
{
    sl_buf_append(&o->b, s, strlen(s) + 1);
}

#define NATIVE_PLUGIN "mysql_native_password"

void sl_my_greeting(sl_my_out *o, const char *version, uint32_t conn_id,
                    const uint8_t scramble[20], uint32_t caps, uint16_t status)
{
    sl_my_begin(o);
    sl_my_put_int(o, 10, 1);
    sl_my_put_cstr(o, version);
    sl_my_put_int(o, conn_id, 4);
    sl_my_put_raw(o, scramble, 8);
    sl_my_put_int(o, 0, 1);
    sl_my_put_int(o, caps & 0xffff, 2);
    sl_my_put_int(o, SL_MY_CHARSET_UTF8MB4, 1);
    sl_my_put_int(o, status, 2);
    sl_my_put_int(o, caps >> 16, 2);
    sl_my_put_int(o, 21, 1); /* the scramble's length with its NUL */
    sl_my_put_raw(o, "\0\0\0\0\0\0\0\0\0\0", 10);
    sl_my_put_raw(o, scramble + 8, 12);
    sl_my_put_int(o, 0, 1);
    sl_my_put_cstr(o, NATIVE_PLUGIN);
    sl_my_end(o);
}

void sl_my_auth_switch(sl_my_out *o, const uint8_t scramble[20])
{
    sl_my_begin(o);
    sl_my_put_int(o, 0xfe, 1);
    sl_my_put_cstr(o, NATIVE_PLUGIN);
    sl_my_put_raw(o, scramble, 20);
    sl_my_put_int(o, 0, 1);
    sl_my_end(o);
}

void sl_my_ok(sl_my_out *o, uint64_t affected, uint64_t last_id, uint16_t status,
              uint16_t warnings, const char *info)
{
    sl_my_begin(o);
    sl_my_put_int(o, 0, 1);
    sl_my_put_lenenc(o, affected);
    sl_my_put_lenenc(o, last_id);
    sl_my_put_int(o, status, 2);
    sl_my_put_int(o, warnings, 2);
    if (info && info[0])
        sl_my_put_raw(o, info, strlen(info));
    sl_my_end(o);
}

void sl_my_err(sl_my_out *o, int errno_, const char *sqlstate, const char *msg)
{
    size_t n = strlen(msg);
    sl_my_begin(o);
    sl_my_put_int(o, 0xff, 1);
    sl_my_put_int(o, (uint64_t)errno_, 2);
    sl_my_put_raw(o, "#", 1);
    sl_my_put_raw(o, sqlstate && strlen(sqlstate) == 5 ? sqlstate : "HY000", 5);
    sl_my_put_raw(o, msg, n > 512 ? 512 : n);
    sl_my_end(o);
}

void sl_my_eof(sl_my_out *o, uint16_t warnings, uint16_t status)
{
    sl_my_begin(o);
    sl_my_put_int(o, 0xfe, 1);
    sl_my_put_int(o, warnings, 2);
    sl_my_put_int(o, status, 2);
    sl_my_end(o);
}

void sl_my_col_def(sl_my_out *o, const sl_my_col *c)
{
    sl_my_begin(o);
    sl_my_put_lenstr(o, "def", 3);
    sl_my_put_lenstr(o, c->schema.p, c->schema.n);
    sl_my_put_lenstr(o, c->table.p, c->table.n);
    sl_my_put_lenstr(o, c->table.p, c->table.n);
    sl_my_put_lenstr(o, c->name.p, c->name.n);
    sl_my_put_lenstr(o, c->name.p, c->name.n);
    sl_my_put_lenenc(o, 0x0c); /* the fixed fields' length */
    sl_my_put_int(o, c->charset, 2);
    sl_my_put_int(o, c->length, 4);
    sl_my_put_int(o, c->type, 1);
    sl_my_put_int(o, c->flags, 2);
    sl_my_put_int(o, c->decimals, 1);
    sl_my_put_int(o, 0, 2);
    if (c->field_list)
        sl_my_put_lenenc(o, 0);
    sl_my_end(o);
}

void sl_my_meta(sl_my_out *o, const sl_my_col *cols, size_t n)
{
    sl_my_begin(o);
    sl_my_put_lenenc(o, n);
    sl_my_end(o);
    for (size_t i = 0; i < n; i++)
        sl_my_col_def(o, &cols[i]);
}

void sl_my_meta_end(sl_my_out *o, uint16_t status)
{
    if (!(o->caps & SL_MY_CLIENT_DEPRECATE_EOF))
        sl_my_eof(o, 0, status);
}

void sl_my_row_begin(sl_my_out *o)
{
    sl_my_begin(o);
}

void sl_my_cell(sl_my_out *o, const char *p, size_t n)
{
    if (p == NULL)
        sl_buf_putc(&o->b, (char)0xfb);
    else
        sl_my_put_lenstr(o, p, n);
}

void sl_my_rows_end(sl_my_out *o, uint16_t warnings, uint16_t status)
{
    if (!(o->caps & SL_MY_CLIENT_DEPRECATE_EOF)) {
        sl_my_eof(o, warnings, status);
        return;
    }
    /* An OK packet with the EOF header (0xfe) ends the rows for DEPRECATE_EOF clients. */
    sl_my_begin(o);
    sl_my_put_int(o, 0xfe, 1);
    sl_my_put_lenenc(o, 0);
    sl_my_put_lenenc(o, 0);
    sl_my_put_int(o, status, 2);
    sl_my_put_int(o, warnings, 2);
    sl_my_end(o);
}
