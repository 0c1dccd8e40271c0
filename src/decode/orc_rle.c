/*
 * orc_rle.c - ORC streams and their run-length encodings (decode stage, issue 15; see orc.h).
 *
 * A stream is a byte range of a stripe. With compression it is a sequence of chunks, each
 * behind a 3-byte little-endian header (length << 1 | original): an original chunk is stored
 * as is, another is decompressed (into at most compressionBlockSize bytes). One chunk is in
 * memory per stream.
 *
 * Encodings (ORC specification v1):
 *   byte RLE    header h < 128: h + 3 copies of the next byte; else 256 - h literal bytes
 *   boolean     byte RLE, 8 values per byte, most significant bit first
 *   int RLE v1  h < 128: h + 3 values base + i * delta (delta a signed byte, base a varint);
 *               else 256 - h literal varints (zigzag when signed)
 *   int RLE v2  the top 2 bits of the first byte: SHORT_REPEAT (3-10 copies of a big-endian
 *               value), DIRECT (big-endian bit-packed values), PATCHED_BASE (base + packed
 *               values, with high bits patched in from a gap/patch list), DELTA (base, delta
 *               base, then packed delta magnitudes); 1-512 values per run
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <string.h>

#include "../core/mem.h"
#include "orc.h"

/* ---- streams --------------------------------------------------------------------------------- */

void sl__orc_stream_init(orc_stream *s, const sl__spool *sp, sl__codec codec, size_t block,
                         uint64_t pos, uint64_t len, sl_err *err)
{
    uint8_t *buf = s->buf, *cbuf = s->cbuf;
    size_t cap = s->cap, ccap = s->ccap;
    memset(s, 0, sizeof *s);
    s->buf = buf, s->cbuf = cbuf, s->cap = cap, s->ccap = ccap; /* buffers are reused */
    s->sp = sp;
    s->codec = codec;
    s->block = block;
    s->pos = pos;
    s->end = pos + len;
    s->err = err;
}

void sl__orc_stream_free(orc_stream *s)
{
    sl_free(s->buf);
    sl_free(s->cbuf);
    s->buf = s->cbuf = NULL;
    s->cap = s->ccap = 0;
}

static bool fail(orc_stream *s, const char *why)
{
    if (!s->failed)
        sl_fail(s->err, SL_INVALID, "orc file is corrupt: %s", why);
    s->failed = true;
    return false;
}

static bool room(orc_stream *s, uint8_t **p, size_t *cap, size_t n)
{
    if (n <= *cap)
        return true;
    uint8_t *np = sl_realloc(*p, n);
    if (np == NULL) {
        if (!s->failed)
            sl_fail(s->err, SL_NOMEM, "out of memory for an orc stream");
        s->failed = true;
        return false;
    }
    *p = np;
    *cap = n;
    return true;
}

/* Load the next chunk into buf. */
static bool refill(orc_stream *s)
{
    if (s->failed)
        return false;
    if (s->pos >= s->end)
        return fail(s, "a stream ends before its values");
    if (s->codec == SL_CODEC_NONE) {
        size_t n = s->end - s->pos < 262144 ? (size_t)(s->end - s->pos) : 262144;
        if (!room(s, &s->buf, &s->cap, n))
            return false;
        if (sl__spool_read(s->sp, s->pos, n, s->buf, s->err) != SL_OK)
            return !(s->failed = true);
        s->pos += n, s->off = 0, s->len = n;
        return true;
    }
    uint8_t h[3];
    if (s->end - s->pos < 3 || sl__spool_read(s->sp, s->pos, 3, h, s->err) != SL_OK)
        return fail(s, "truncated compression chunk header");
    size_t clen = (size_t)(h[0] | h[1] << 8 | h[2] << 16) >> 1;
    bool original = h[0] & 1;
    s->pos += 3;
    if (clen > s->end - s->pos || clen > SL_COL_BLOCK_MAX)
        return fail(s, "compression chunk runs past its stream");
    if (original) {
        if (!room(s, &s->buf, &s->cap, clen ? clen : 1) ||
            sl__spool_read(s->sp, s->pos, clen, s->buf, s->err) != SL_OK)
            return !(s->failed = true);
        s->len = clen;
    } else {
        size_t got;
        sl_err e2 = {0};
        if (!room(s, &s->cbuf, &s->ccap, clen ? clen : 1) ||
            !room(s, &s->buf, &s->cap, s->block ? s->block : 1) ||
            sl__spool_read(s->sp, s->pos, clen, s->cbuf, s->err) != SL_OK)
            return !(s->failed = true);
        if (sl__codec_decompress(s->codec, s->cbuf, clen, s->buf, s->block, false, &got, &e2) !=
            SL_OK) {
            sl_fail(s->err, e2.code, "orc file is corrupt: %s", e2.msg);
            return !(s->failed = true);
        }
        s->len = got;
    }
    s->pos += clen;
    s->off = 0;
    return true;
}

static inline bool byte_of(orc_stream *s, uint8_t *b)
{
    while (s->off == s->len)
        if (!refill(s))
            return false;
    *b = s->buf[s->off++];
    return true;
}

bool sl__orc_read(orc_stream *s, void *dst, size_t n)
{
    uint8_t *d = dst;
    while (n > 0) {
        while (s->off == s->len)
            if (!refill(s))
                return false;
        size_t m = s->len - s->off < n ? s->len - s->off : n;
        memcpy(d, s->buf + s->off, m);
        s->off += m, d += m, n -= m;
    }
    return true;
}

static bool varint(orc_stream *s, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        uint8_t b;
        if (!byte_of(s, &b))
            return false;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return true;
    }
    return fail(s, "varint longer than 64 bits");
}

bool sl__orc_varint128(orc_stream *s, unsigned __int128 *v)
{
    *v = 0;
    for (int shift = 0; shift < 128; shift += 7) {
        uint8_t b;
        if (!byte_of(s, &b))
            return false;
        *v |= (unsigned __int128)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return true;
    }
    return fail(s, "decimal varint longer than 128 bits");
}

static int64_t unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* ---- byte and boolean RLE -------------------------------------------------------------------- */

static bool brle_run(orc_brle *r)
{
    uint8_t h, b;
    if (!byte_of(r->s, &h))
        return false;
    if (h < 128) {
        if (!byte_of(r->s, &b))
            return false;
        r->n = (size_t)h + 3;
        memset(r->run, b, r->n);
    } else {
        r->n = 256 - (size_t)h;
        if (!sl__orc_read(r->s, r->run, r->n))
            return false;
    }
    r->i = 0;
    return true;
}

bool sl__orc_brle_get(orc_brle *r, uint8_t *out, size_t n)
{
    while (n > 0) {
        if (r->i == r->n && !brle_run(r))
            return false;
        size_t m = r->n - r->i < n ? r->n - r->i : n;
        memcpy(out, r->run + r->i, m);
        r->i += m, out += m, n -= m;
    }
    return true;
}

bool sl__orc_bool_get(orc_brle *r, uint8_t *out, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (r->bits == 0) {
            if (!sl__orc_brle_get(r, &r->byte, 1))
                return false;
            r->bits = 8;
        }
        out[k] = (r->byte >> --r->bits) & 1;
    }
    return true;
}

/* ---- integer RLE v1 -------------------------------------------------------------------------- */

static bool v1_run(orc_irle *r)
{
    uint8_t h;
    uint64_t u;
    if (!byte_of(r->s, &h))
        return false;
    if (h < 128) {
        uint8_t d;
        if (!byte_of(r->s, &d) || !varint(r->s, &u))
            return false;
        int64_t base = r->is_signed ? unzigzag(u) : (int64_t)u;
        r->n = (size_t)h + 3;
        for (size_t k = 0; k < r->n; k++)
            r->run[k] = (int64_t)((uint64_t)base + (uint64_t)((int64_t)(int8_t)d * (int64_t)k));
    } else {
        r->n = 256 - (size_t)h;
        for (size_t k = 0; k < r->n; k++) {
            if (!varint(r->s, &u))
                return false;
            r->run[k] = r->is_signed ? unzigzag(u) : (int64_t)u;
        }
    }
    r->i = 0;
    return true;
}

/* ---- integer RLE v2 -------------------------------------------------------------------------- */

static int width_of(int code)
{
    static const int W[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                              17, 18, 19, 20, 21, 22, 23, 24, 26, 28, 30, 32, 40, 48, 56, 64};
    return W[code & 31];
}

static int closest_fixed(int bits)
{
    if (bits <= 24)
        return bits < 1 ? 1 : bits;
    static const int F[] = {26, 28, 30, 32, 40, 48, 56, 64};
    for (size_t k = 0; k < SL_COUNT(F); k++)
        if (bits <= F[k])
            return F[k];
    return 64;
}

/* n big-endian bit-packed values of w bits (from a byte boundary) into out. */
static bool unpack(orc_stream *s, int w, size_t n, uint64_t *out)
{
    uint64_t acc = 0;
    int have = 0;
    for (size_t k = 0; k < n; k++) {
        uint64_t v = 0;
        int need = w;
        while (need > 0) {
            if (have == 0) {
                uint8_t b;
                if (!byte_of(s, &b))
                    return false;
                acc = b;
                have = 8;
            }
            int take = need < have ? need : have;
            v = v << take | ((acc >> (have - take)) & ((1u << take) - 1));
            have -= take;
            need -= take;
        }
        out[k] = v;
    }
    return true;
}

static bool be_bytes(orc_stream *s, int nb, uint64_t *v)
{
    *v = 0;
    for (int k = 0; k < nb; k++) {
        uint8_t b;
        if (!byte_of(s, &b))
            return false;
        *v = *v << 8 | b;
    }
    return true;
}

static bool v2_patched(orc_irle *r, uint8_t b0, uint8_t b1, uint64_t *tmp)
{
    uint8_t b2, b3;
    if (!byte_of(r->s, &b2) || !byte_of(r->s, &b3))
        return false;
    int w = width_of(b0 >> 1 & 31);
    size_t n = (size_t)((b0 & 1) << 8 | b1) + 1;
    int bw = (b2 >> 5) + 1, pw = width_of(b2 & 31), pgw = (b3 >> 5) + 1;
    size_t pll = b3 & 31;
    uint64_t ub;
    if (!be_bytes(r->s, bw, &ub))
        return false;
    uint64_t sign = (uint64_t)1 << (bw * 8 - 1);
    int64_t base = ub & sign ? -(int64_t)(ub & ~sign) : (int64_t)ub;
    if (!unpack(r->s, w, n, tmp))
        return false;
    uint64_t patches[32];
    if (pw + pgw > 64 || !unpack(r->s, closest_fixed(pw + pgw), pll, patches))
        return pw + pgw > 64 ? fail(r->s, "patched base widths") : false;
    size_t at = 0;
    for (size_t k = 0; k < pll; k++) {
        uint64_t gap = patches[k] >> pw, patch = patches[k] & (pw == 64 ? ~0ull : (1ull << pw) - 1);
        at += (size_t)gap;
        if (at >= n)
            return fail(r->s, "patch position out of range");
        if (w < 64)
            tmp[at] |= patch << w;
    }
    for (size_t k = 0; k < n; k++)
        r->run[k] = (int64_t)((uint64_t)base + tmp[k]);
    r->n = n;
    return true;
}

static bool v2_delta(orc_irle *r, uint8_t b0, uint8_t b1, uint64_t *tmp)
{
    int code = b0 >> 1 & 31;
    int w = code == 0 ? 0 : width_of(code);
    size_t n = (size_t)((b0 & 1) << 8 | b1) + 1;
    uint64_t u, d;
    if (!varint(r->s, &u) || !varint(r->s, &d))
        return false;
    int64_t base = r->is_signed ? unzigzag(u) : (int64_t)u, db = unzigzag(d);
    r->run[0] = base;
    if (n > 1)
        r->run[1] = (int64_t)((uint64_t)base + (uint64_t)db);
    if (w == 0) {
        for (size_t k = 2; k < n; k++)
            r->run[k] = (int64_t)((uint64_t)r->run[k - 1] + (uint64_t)db);
    } else if (n > 2) {
        if (!unpack(r->s, w, n - 2, tmp))
            return false;
        for (size_t k = 2; k < n; k++)
            r->run[k] = (int64_t)(db < 0 ? (uint64_t)r->run[k - 1] - tmp[k - 2]
                                         : (uint64_t)r->run[k - 1] + tmp[k - 2]);
    }
    r->n = n;
    return true;
}

static bool v2_run(orc_irle *r)
{
    uint8_t b0, b1;
    uint64_t tmp[512];
    if (!byte_of(r->s, &b0))
        return false;
    r->i = 0;
    switch (b0 >> 6) {
    case 0: { /* SHORT_REPEAT */
        uint64_t v;
        if (!be_bytes(r->s, ((b0 >> 3) & 7) + 1, &v))
            return false;
        r->n = (size_t)(b0 & 7) + 3;
        for (size_t k = 0; k < r->n; k++)
            r->run[k] = r->is_signed ? unzigzag(v) : (int64_t)v;
        return true;
    }
    case 1: { /* DIRECT */
        if (!byte_of(r->s, &b1))
            return false;
        int w = width_of(b0 >> 1 & 31);
        r->n = (size_t)((b0 & 1) << 8 | b1) + 1;
        if (!unpack(r->s, w, r->n, tmp))
            return false;
        for (size_t k = 0; k < r->n; k++)
            r->run[k] = r->is_signed ? unzigzag(tmp[k]) : (int64_t)tmp[k];
        return true;
    }
    case 2: return byte_of(r->s, &b1) && v2_patched(r, b0, b1, tmp);
    default: return byte_of(r->s, &b1) && v2_delta(r, b0, b1, tmp);
    }
}

bool sl__orc_irle_get(orc_irle *r, int64_t *out, size_t n)
{
    while (n > 0) {
        if (r->i == r->n && !(r->v2 ? v2_run(r) : v1_run(r)))
            return false;
        size_t m = r->n - r->i < n ? r->n - r->i : n;
        memcpy(out, r->run + r->i, m * sizeof *out);
        r->i += m, out += m, n -= m;
    }
    return true;
}
