/*
 * parquet_page.c - Parquet pages of one column chunk to entries of text (decode stage, issue
 * 15; see parquet.h).
 *
 *   page header (thrift) -> compressed bytes from the spool -> codec.c -> page
 *   v1 page: [rep levels][def levels][values], each level block with a u32 length (RLE) or a
 *            computed one (BIT_PACKED); v2 page: levels uncompressed, only values compressed
 *   values:  PLAIN, PLAIN_/RLE_DICTIONARY (dictionary page decoded to text once per chunk),
 *            RLE booleans, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY,
 *            BYTE_STREAM_SPLIT
 *
 * Entries are read lazily, one call's rows at a time, so memory is the current page (bounded by
 * SL_COL_BLOCK_MAX) plus the entries of one call. An entry is (repetition level, definition
 * level, text); a NULL or empty position has no text. Byte-array values are copied into the
 * call's text buffer because the page they come from may be replaced within the call;
 * dictionary texts live until the chunk ends, which is never inside a call.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <string.h>

#include "../core/mem.h"
#include "parquet.h"

/* Entries one call may hold per column: a single row with more nested values than this is
 * refused (a hostile RLE run could claim billions of them in a few bytes). */
#define MAX_ENTRIES ((size_t)16 << 20)
/* Dictionary entries per chunk (writers fall back to PLAIN at 1 MiB of dictionary). */
#define MAX_DICT ((uint32_t)16 << 20)

static sl_code corrupt(const pq_col *c, sl_err *err, const char *what)
{
    return sl_fail(err, SL_INVALID, "parquet column %.*s is corrupt: %s", (int)c->nd->name.n,
                   c->nd->name.p, what);
}

/* ---- bits ------------------------------------------------------------------------------------- */

/* width (0..64) bits at bit position pos of base[0..len), least significant first. */
static uint64_t bits_le(const uint8_t *base, size_t len, uint64_t pos, int width)
{
    if (width == 0)
        return 0;
    size_t byte = (size_t)(pos >> 3);
    int shift = (int)(pos & 7);
    uint64_t lo = 0, hi = 0;
    for (size_t i = 0; i < 8 && byte + i < len; i++)
        lo |= (uint64_t)base[byte + i] << (8 * i);
    if (shift + width > 64 && byte + 8 < len)
        hi = base[byte + 8];
    uint64_t v = lo >> shift;
    if (shift && shift + width > 64)
        v |= hi << (64 - shift);
    return width == 64 ? v : v & (((uint64_t)1 << width) - 1);
}

static bool uleb(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return true;
    }
    return false;
}

/* ---- RLE / bit-packed hybrid ------------------------------------------------------------------ */

static void rle_init(pq_rle *r, const uint8_t *p, const uint8_t *end, int width, bool msb)
{
    memset(r, 0, sizeof *r);
    r->p = p;
    r->end = end;
    r->width = width;
    r->msb = msb;
}

static bool rle_run(pq_rle *r)
{
    uint64_t h;
    if (!uleb(&r->p, r->end, &h) || h >> 1 == 0 || h >> 1 > UINT32_MAX / 8)
        return false;
    if (h & 1) {
        uint64_t groups = h >> 1, bytes = groups * (uint64_t)r->width;
        uint64_t avail = (uint64_t)(r->end - r->p);
        r->packed = true;
        r->run = (uint32_t)(groups * 8);
        if (bytes > avail) { /* a short last group: keep the values that are there */
            bytes = avail;
            r->run = r->width ? (uint32_t)(avail * 8 / (uint64_t)r->width) : r->run;
        }
        r->run_bytes = (size_t)bytes;
        r->bits = 0;
        return r->run > 0;
    }
    int nb = (r->width + 7) / 8;
    if (r->end - r->p < nb)
        return false;
    uint32_t v = 0;
    for (int i = 0; i < nb; i++)
        v |= (uint32_t)r->p[i] << (8 * i);
    r->p += nb;
    r->packed = false;
    r->run = (uint32_t)(h >> 1);
    r->value = v;
    return true;
}

/* n values into out; false (r->bad) when the data ends first. */
static bool rle_get(pq_rle *r, size_t n, uint32_t *out)
{
    if (r->msb) { /* deprecated BIT_PACKED: one MSB-first bit string */
        size_t len = (size_t)(r->end - r->p);
        for (size_t i = 0; i < n; i++) {
            uint32_t v = 0;
            for (int b = 0; b < r->width; b++, r->bits++) {
                size_t byte = (size_t)(r->bits >> 3);
                if (byte >= len)
                    return !(r->bad = true);
                v = v << 1 | ((r->p[byte] >> (7 - (r->bits & 7))) & 1);
            }
            out[i] = v;
        }
        return true;
    }
    while (n > 0) {
        if (r->run == 0 && !rle_run(r))
            return !(r->bad = true);
        size_t m = n < r->run ? n : r->run;
        if (!r->packed) {
            for (size_t i = 0; i < m; i++)
                out[i] = r->value;
        } else {
            for (size_t i = 0; i < m; i++, r->bits += (uint64_t)r->width)
                out[i] = (uint32_t)bits_le(r->p, r->run_bytes, r->bits, r->width);
            if (m == r->run) { /* the run is done: its bytes are behind us */
                r->p += r->run_bytes;
                r->bits = 0;
            }
        }
        r->run -= (uint32_t)m;
        out += m;
        n -= m;
    }
    return true;
}

static int bit_width(int max)
{
    int w = 0;
    while (max >> w)
        w++;
    return w;
}

/* ---- DELTA_BINARY_PACKED ---------------------------------------------------------------------- */

static bool delta_init(pq_delta *d, const uint8_t *p, const uint8_t *end)
{
    memset(d, 0, sizeof *d);
    uint64_t first;
    d->end = end;
    if (!uleb(&p, end, &d->block_size) || !uleb(&p, end, &d->n_mini) ||
        !uleb(&p, end, &d->total) || !uleb(&p, end, &first))
        return false;
    if (d->block_size == 0 || d->block_size % 128 || d->block_size > (1u << 20) ||
        d->n_mini == 0 || d->block_size % d->n_mini || (d->block_size / d->n_mini) % 32)
        return false;
    d->per_mini = d->block_size / d->n_mini;
    d->last = (first >> 1) ^ -(first & 1);
    d->left = d->total;
    d->first_pending = d->total > 0;
    d->p = p;
    d->mini = d->n_mini; /* a block header comes first */
    return true;
}

static bool delta_next(pq_delta *d, int64_t *v)
{
    if (d->left == 0)
        return false;
    if (d->first_pending) {
        d->first_pending = false;
        d->left--;
        *v = (int64_t)d->last;
        return true;
    }
    if (d->mini_left == 0) {
        if (d->mini + 1 >= d->n_mini) { /* next block: min delta and widths */
            uint64_t md;
            if (!uleb(&d->p, d->end, &md) || (uint64_t)(d->end - d->p) < d->n_mini)
                return false;
            d->min_delta = (int64_t)((md >> 1) ^ -(md & 1));
            d->widths = d->p;
            d->p += d->n_mini;
            d->mini = 0;
        } else {
            d->mini++;
        }
        d->width = d->widths[d->mini];
        if (d->width > 64)
            return false;
        uint64_t bytes = d->per_mini * (uint64_t)d->width / 8;
        uint64_t need = ((d->left < d->per_mini ? d->left : d->per_mini) * (uint64_t)d->width + 7) / 8;
        uint64_t avail = (uint64_t)(d->end - d->p);
        if (need > avail)
            return false;
        d->mp = d->p;
        d->p += bytes < avail ? bytes : avail; /* a short last miniblock is tolerated */
        d->mini_left = d->per_mini;
        d->bitpos = 0;
    }
    uint64_t delta = bits_le(d->mp, (size_t)(d->end - d->mp), d->bitpos, d->width);
    d->bitpos += (uint64_t)d->width;
    d->last += (uint64_t)d->min_delta + delta;
    d->mini_left--;
    d->left--;
    *v = (int64_t)d->last;
    return true;
}

/* Where the stream ends (after its last value), or NULL when it is corrupt. */
static const uint8_t *delta_end(const pq_delta *d0)
{
    pq_delta d = *d0;
    int64_t v;
    while (d.left > 0)
        if (!delta_next(&d, &v))
            return NULL;
    return d.p;
}

/* ---- value text --------------------------------------------------------------------------------- */

#define TEXT_MAX 96 /* the longest text of one fixed-width value (a 32-byte decimal) */

static size_t fmt_int(const pq_col *c, int64_t v, char *dst)
{
    const pq_node *nd = c->nd;
    int64_t s;
    uint32_t ns;
    int64_t per = 1000000;
    switch (nd->vk) {
    case PV_U32: return sl__cfmt_u64(dst, (uint32_t)v);
    case PV_U64: return sl__cfmt_u64(dst, (uint64_t)v);
    case PV_DEC32:
    case PV_DEC64: return sl__cfmt_dec128(dst, v, nd->scale);
    case PV_DATE: return sl__cfmt_date(dst, v);
    case PV_TIME_MS: return sl__cfmt_time(dst, v * 1000000);
    case PV_TIME_US: return sl__cfmt_time(dst, v * 1000);
    case PV_TIME_NS: return sl__cfmt_time(dst, v);
    case PV_TS_MS: per = 1000; goto ts;
    case PV_TS_NS: per = 1000000000; goto ts;
    case PV_TS_US:
    ts:
        sl__split_ts(v, per, &s, &ns);
        if (nd->utc)
            s = sl__ltz_local(c->ltz, s);
        return sl__cfmt_datetime(dst, s, ns);
    default: return sl__cfmt_i64(dst, v);
    }
}

/* Text of one fixed-width little-endian value (not BYTE_ARRAY). */
static size_t fmt_raw(const pq_col *c, const uint8_t *p, char *dst)
{
    const pq_node *nd = c->nd;
    switch (nd->phys) {
    case PQ_INT32: return fmt_int(c, nd->vk == PV_U32 ? (int64_t)sl_le32(p)
                                                      : (int64_t)(int32_t)sl_le32(p), dst);
    case PQ_INT64: return fmt_int(c, (int64_t)sl_le64(p), dst);
    case PQ_INT96: {
        int64_t nanos = (int64_t)sl_le64(p), days = (int64_t)(int32_t)sl_le32(p + 8) - 2440588;
        int64_t s;
        uint32_t ns;
        sl__split_ts(nanos, 1000000000, &s, &ns);
        return sl__cfmt_datetime(dst, sl__ltz_local(c->ltz, days * 86400 + s), ns);
    }
    case PQ_FLOAT: {
        float f;
        uint32_t u = sl_le32(p);
        memcpy(&f, &u, 4);
        return sl__cfmt_float(dst, f);
    }
    case PQ_DOUBLE: {
        double d;
        uint64_t u = sl_le64(p);
        memcpy(&d, &u, 8);
        return sl__cfmt_double(dst, d);
    }
    default: return 0;
    }
}

static const char HEX[] = "0123456789abcdef";

/* Text of a byte-array or fixed-length value into the call's buffer. */
static sl_slice text_bytes(const pq_col *c, const uint8_t *p, size_t n, sl__tbuf *t)
{
    char *d;
    switch (c->nd->vk) {
    case PV_DECBIN:
        if (n > 32 || (d = sl__tbuf_reserve(t, TEXT_MAX)) == NULL)
            return (sl_slice){NULL, 1}; /* n == 1: marks "no text" (decimal too wide / OOM) */
        return sl__tbuf_commit(t, sl__cfmt_dec_be(d, p, n, c->nd->scale));
    case PV_FLOAT16:
        if ((d = sl__tbuf_reserve(t, 32)) == NULL)
            return (sl_slice){NULL, 1};
        return sl__tbuf_commit(t, sl__cfmt_float(d, sl__half_to_float(sl__le16(p))));
    case PV_UUID:
        if ((d = sl__tbuf_reserve(t, 36)) == NULL)
            return (sl_slice){NULL, 1};
        for (size_t i = 0, k = 0; i < 16; i++) {
            if (i == 4 || i == 6 || i == 8 || i == 10)
                d[k++] = '-';
            d[k++] = HEX[p[i] >> 4];
            d[k++] = HEX[p[i] & 15];
        }
        return sl__tbuf_commit(t, 36);
    default: {
        sl_slice s = sl__tbuf_copy(t, p, n);
        return s.p ? s : (sl_slice){NULL, 1};
    }
    }
}

static sl_code text_fail(const pq_col *c, sl_slice s, sl_err *err)
{
    (void)c;
    (void)s;
    return sl_fail(err, SL_NOMEM, "out of memory for parquet values");
}

/* ---- value decoders: n non-NULL values of the page into out ------------------------------------ */

static size_t fixed_width(const pq_col *c)
{
    switch (c->nd->phys) {
    case PQ_INT32:
    case PQ_FLOAT: return 4;
    case PQ_INT64:
    case PQ_DOUBLE: return 8;
    case PQ_INT96: return 12;
    case PQ_FLBA: return (size_t)c->nd->type_len;
    default: return 0;
    }
}

static sl_code plain(pq_col *c, size_t n, sl_slice *out, sl__tbuf *t, sl_err *err)
{
    const pq_node *nd = c->nd;
    if (nd->phys == PQ_BOOLEAN) {
        size_t len = (size_t)(c->vend - c->vp);
        for (size_t i = 0; i < n; i++, c->bool_bit++) {
            if ((size_t)(c->bool_bit >> 3) >= len)
                return corrupt(c, err, "boolean values end early");
            out[i] = (c->vp[c->bool_bit >> 3] >> (c->bool_bit & 7)) & 1 ? SL_LIT("1") : SL_LIT("0");
        }
        return SL_OK;
    }
    if (nd->phys == PQ_BYTE_ARRAY) {
        for (size_t i = 0; i < n; i++) {
            if (c->vend - c->vp < 4)
                return corrupt(c, err, "byte array values end early");
            uint32_t len = sl_le32(c->vp);
            if (len > (size_t)(c->vend - c->vp) - 4)
                return corrupt(c, err, "byte array value runs past the page");
            out[i] = text_bytes(c, c->vp + 4, len, t);
            if (out[i].p == NULL)
                return text_fail(c, out[i], err);
            c->vp += 4 + (size_t)len;
        }
        return SL_OK;
    }
    size_t w = fixed_width(c);
    if ((size_t)(c->vend - c->vp) / w < n)
        return corrupt(c, err, "values end early");
    if (nd->phys == PQ_FLBA) {
        for (size_t i = 0; i < n; i++, c->vp += w)
            if ((out[i] = text_bytes(c, c->vp, w, t)).p == NULL)
                return text_fail(c, out[i], err);
        return SL_OK;
    }
    for (size_t i = 0; i < n; i++, c->vp += w) {
        char *d = sl__tbuf_reserve(t, TEXT_MAX);
        if (d == NULL)
            return text_fail(c, SL_SLICE_NULL, err);
        out[i] = sl__tbuf_commit(t, fmt_raw(c, c->vp, d));
    }
    return SL_OK;
}

static sl_code tmp_room(pq_col *c, size_t n, sl_err *err)
{
    if (n <= c->tmp_cap)
        return SL_OK;
    size_t cap = c->tmp_cap ? c->tmp_cap : 1024;
    while (cap < n)
        cap *= 2;
    uint32_t *p = sl_realloc(c->tmp_idx, cap * sizeof *p);
    if (p == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory for parquet levels");
    c->tmp_idx = p;
    c->tmp_cap = cap;
    return SL_OK;
}

static sl_code dict_values(pq_col *c, size_t n, sl_slice *out, sl_err *err)
{
    sl_code rc = tmp_room(c, n, err);
    if (rc != SL_OK)
        return rc;
    if (c->dict == NULL)
        return corrupt(c, err, "dictionary-encoded page without a dictionary page");
    if (!rle_get(&c->idx, n, c->tmp_idx))
        return corrupt(c, err, "dictionary indices end early");
    for (size_t i = 0; i < n; i++) {
        uint32_t k = c->tmp_idx[i];
        if (k >= c->n_dict)
            return corrupt(c, err, "dictionary index out of range");
        out[i] = c->dict[k];
    }
    return SL_OK;
}

static sl_code rle_bools(pq_col *c, size_t n, sl_slice *out, sl_err *err)
{
    sl_code rc = tmp_room(c, n, err);
    if (rc != SL_OK)
        return rc;
    if (!rle_get(&c->idx, n, c->tmp_idx))
        return corrupt(c, err, "boolean values end early");
    for (size_t i = 0; i < n; i++)
        out[i] = c->tmp_idx[i] ? SL_LIT("1") : SL_LIT("0");
    return SL_OK;
}

static sl_code delta_ints(pq_col *c, size_t n, sl_slice *out, sl__tbuf *t, sl_err *err)
{
    for (size_t i = 0; i < n; i++) {
        int64_t v;
        if (!delta_next(&c->d1, &v))
            return corrupt(c, err, "delta-encoded values end early");
        if (c->nd->phys == PQ_INT32)
            v = c->nd->vk == PV_U32 ? (int64_t)(uint32_t)v : (int64_t)(int32_t)v;
        char *d = sl__tbuf_reserve(t, TEXT_MAX);
        if (d == NULL)
            return text_fail(c, SL_SLICE_NULL, err);
        out[i] = sl__tbuf_commit(t, fmt_int(c, v, d));
    }
    return SL_OK;
}

static sl_code delta_bytes(pq_col *c, size_t n, sl_slice *out, sl__tbuf *t, sl_err *err)
{
    for (size_t i = 0; i < n; i++) {
        int64_t prefix = 0, len;
        if (c->enc == 7 && !delta_next(&c->d2, &prefix))
            return corrupt(c, err, "prefix lengths end early");
        if (!delta_next(&c->d1, &len))
            return corrupt(c, err, "lengths end early");
        if (len < 0 || prefix < 0 || (uint64_t)len > (uint64_t)(c->vend - c->dp) ||
            (size_t)prefix > c->prev_len)
            return corrupt(c, err, "delta length out of range");
        if (c->enc == 6) {
            out[i] = text_bytes(c, c->dp, (size_t)len, t);
        } else {
            size_t total = (size_t)prefix + (size_t)len;
            if (total > c->prev_cap) {
                uint8_t *np = sl_realloc(c->prev, total);
                if (np == NULL)
                    return text_fail(c, SL_SLICE_NULL, err);
                c->prev = np;
                c->prev_cap = total;
            }
            memcpy(c->prev + prefix, c->dp, (size_t)len);
            c->prev_len = total;
            out[i] = text_bytes(c, c->prev, total, t);
        }
        if (out[i].p == NULL)
            return text_fail(c, out[i], err);
        c->dp += len;
    }
    return SL_OK;
}

static sl_code split_values(pq_col *c, size_t n, sl_slice *out, sl__tbuf *t, sl_err *err)
{
    size_t w = fixed_width(c);
    uint8_t raw[1024];
    if (w == 0 || w > sizeof raw)
        return corrupt(c, err, "BYTE_STREAM_SPLIT on an unsupported type");
    if (c->bss_n - c->bss_i < n)
        return corrupt(c, err, "values end early");
    for (size_t i = 0; i < n; i++, c->bss_i++) {
        for (size_t b = 0; b < w; b++)
            raw[b] = c->vp[b * c->bss_n + c->bss_i];
        if (c->nd->phys == PQ_FLBA) {
            if ((out[i] = text_bytes(c, raw, w, t)).p == NULL)
                return text_fail(c, out[i], err);
            continue;
        }
        char *d = sl__tbuf_reserve(t, TEXT_MAX);
        if (d == NULL)
            return text_fail(c, SL_SLICE_NULL, err);
        out[i] = sl__tbuf_commit(t, fmt_raw(c, raw, d));
    }
    return SL_OK;
}

static sl_code decode_values(pq_col *c, size_t n, sl_slice *out, sl__tbuf *t, sl_err *err)
{
    if (n == 0)
        return SL_OK;
    switch (c->enc) {
    case 0: return plain(c, n, out, t, err);
    case 2:
    case 8: return dict_values(c, n, out, err);
    case 3: return rle_bools(c, n, out, err);
    case 5: return delta_ints(c, n, out, t, err);
    case 6:
    case 7: return delta_bytes(c, n, out, t, err);
    case 9: return split_values(c, n, out, t, err);
    default: return corrupt(c, err, "unknown value encoding");
    }
}

/* Prepare the value decoder of a page for the values region [p, end). */
static sl_code start_values(pq_col *c, const uint8_t *p, const uint8_t *end, sl_err *err)
{
    int phys = c->nd->phys;
    c->vp = p;
    c->vend = end;
    c->bool_bit = 0;
    switch (c->enc) {
    case 0: return SL_OK;
    case 2:
    case 8:
        if (p >= end) { /* a page of NULLs only may have no index bytes at all */
            rle_init(&c->idx, p, end, 0, false);
            return SL_OK;
        }
        if (*p > 32)
            return corrupt(c, err, "dictionary index width over 32");
        rle_init(&c->idx, p + 1, end, *p, false);
        return SL_OK;
    case 3:
        if (phys != PQ_BOOLEAN || end - p < 4 || sl_le32(p) > (size_t)(end - p) - 4)
            return corrupt(c, err, "RLE values are only for booleans, with a length");
        rle_init(&c->idx, p + 4, p + 4 + sl_le32(p), 1, false);
        return SL_OK;
    case 5:
        if ((phys != PQ_INT32 && phys != PQ_INT64) || !delta_init(&c->d1, p, end))
            return corrupt(c, err, "bad DELTA_BINARY_PACKED header");
        return SL_OK;
    case 6:
    case 7: {
        const uint8_t *q = p;
        if (phys != PQ_BYTE_ARRAY && !(c->enc == 7 && phys == PQ_FLBA))
            return corrupt(c, err, "delta byte-array encoding on a non byte-array column");
        if (c->enc == 7) {
            if (!delta_init(&c->d2, p, end) || (q = delta_end(&c->d2)) == NULL)
                return corrupt(c, err, "bad prefix lengths");
            c->prev_len = 0;
        }
        if (!delta_init(&c->d1, q, end) || (c->dp = delta_end(&c->d1)) == NULL)
            return corrupt(c, err, "bad DELTA_LENGTH_BYTE_ARRAY lengths");
        return SL_OK;
    }
    case 9: {
        size_t w = fixed_width(c);
        if (w == 0)
            return corrupt(c, err, "BYTE_STREAM_SPLIT on an unsupported type");
        c->bss_n = (size_t)(end - p) / w;
        c->bss_i = 0;
        return SL_OK;
    }
    default:
        return sl_fail(err, SL_INVALID, "parquet column %.*s: encoding %d is not supported",
                       (int)c->nd->name.n, c->nd->name.p, c->enc);
    }
}

/* ---- pages ------------------------------------------------------------------------------------- */

static sl__codec codec_of(int pq)
{
    switch (pq) {
    case 0: return SL_CODEC_NONE;
    case 1: return SL_CODEC_SNAPPY;
    case 2: return SL_CODEC_GZIP;
    case 4: return SL_CODEC_BROTLI;
    case 5: return SL_CODEC_LZ4_HADOOP;
    case 6: return SL_CODEC_ZSTD;
    case 7: return SL_CODEC_LZ4_RAW;
    default: return (sl__codec)-1;
    }
}

static sl_code grow(uint8_t **p, size_t *cap, size_t n, sl_err *err)
{
    if (n <= *cap)
        return SL_OK;
    uint8_t *np = sl_realloc(*p, n);
    if (np == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory for a parquet page of %zu bytes", n);
    *p = np;
    *cap = n;
    return SL_OK;
}

/* Read and parse the page header at c->pos. */
static sl_code read_header(pq_col *c, const sl__spool *sp, pq_page_header *h, sl_err *err)
{
    size_t want = 256;
    for (;;) {
        uint64_t avail = c->end - c->pos;
        size_t n = want < avail ? want : (size_t)avail;
        if (n == 0)
            return corrupt(c, err, "the column chunk ends before its last page");
        sl_code rc = grow(&c->cbuf, &c->cbuf_cap, n, err);
        if (rc == SL_OK)
            rc = sl__spool_read(sp, c->pos, n, c->cbuf, err);
        size_t used = 0;
        if (rc == SL_OK)
            rc = sl__pq_page_header(c->cbuf, n, h, &used, err);
        if (rc == SL_OK) {
            c->pos += used;
            return SL_OK;
        }
        if (rc != SL_AGAIN)
            return rc;
        if (n == avail || want >= ((size_t)16 << 20))
            return corrupt(c, err, "page header runs past the column chunk");
        want *= 4;
    }
}

/* Decompress `clen` bytes at c->cbuf + off into c->pbuf + dst_off (exactly ulen bytes). */
static sl_code inflate_part(pq_col *c, size_t off, size_t clen, size_t dst_off, size_t ulen,
                            sl_err *err)
{
    sl__codec k = codec_of(c->codec);
    size_t got;
    if ((int)k < 0)
        return sl_fail(err, SL_INVALID, "parquet column %.*s: compression codec %d (%s) is not "
                                        "supported",
                       (int)c->nd->name.n, c->nd->name.p, c->codec, c->codec == 3 ? "LZO" : "?");
    sl_err e2 = {0};
    if (sl__codec_decompress(k, c->cbuf + off, clen, c->pbuf + dst_off, ulen, true, &got, &e2) !=
        SL_OK)
        return sl_fail(err, e2.code, "parquet column %.*s is corrupt: %s", (int)c->nd->name.n,
                       c->nd->name.p, e2.msg);
    return SL_OK;
}

static sl_code load_dictionary(pq_col *c, const pq_page_header *h, const uint8_t *p, size_t n,
                               sl_err *err)
{
    if ((h->encoding != 0 && h->encoding != 2) || h->num_values < 0)
        return corrupt(c, err, "dictionary page with an unknown encoding");
    uint32_t nv = (uint32_t)h->num_values;
    size_t w = fixed_width(c);
    if (nv > MAX_DICT || (c->nd->phys == PQ_BYTE_ARRAY && (uint64_t)nv * 4 > n) ||
        (w && (uint64_t)nv * w > n) || (c->nd->phys == PQ_BOOLEAN && nv > n * 8))
        return corrupt(c, err, "dictionary size does not fit its page");
    sl__tbuf_reset(&c->dict_text);
    sl_free(c->dict);
    c->dict = sl_malloc((nv ? nv : 1) * sizeof *c->dict);
    c->n_dict = 0;
    if (c->dict == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory for a parquet dictionary");
    c->enc = 0;
    start_values(c, p, p + n, err);
    sl_code rc = plain(c, nv, c->dict, &c->dict_text, err);
    if (rc != SL_OK)
        return rc;
    c->n_dict = nv;
    return SL_OK;
}

/* Levels of a v1 page: RLE with a u32 length, or BIT_PACKED with a computed one. */
static sl_code v1_levels(pq_col *c, pq_rle *r, int enc, int max, uint32_t nv, const uint8_t **p,
                         const uint8_t *end, sl_err *err)
{
    int w = bit_width(max);
    if (max == 0) {
        rle_init(r, *p, *p, 0, false);
        return SL_OK;
    }
    if (enc == 4) {
        uint64_t len = ((uint64_t)nv * (uint64_t)w + 7) / 8;
        if (len > (uint64_t)(end - *p))
            return corrupt(c, err, "levels run past the page");
        rle_init(r, *p, *p + len, w, true);
        *p += len;
        return SL_OK;
    }
    if (end - *p < 4 || sl_le32(*p) > (size_t)(end - *p) - 4)
        return corrupt(c, err, "levels run past the page");
    uint32_t len = sl_le32(*p);
    rle_init(r, *p + 4, *p + 4 + len, w, false);
    *p += 4 + (size_t)len;
    return SL_OK;
}

static sl_code setup_page(pq_col *c, const pq_page_header *h, sl_err *err)
{
    size_t clen = (size_t)h->compressed, ulen = (size_t)h->uncompressed;
    bool comp = c->codec != 0;
    const uint8_t *page;
    sl_code rc;
    if (h->type == 3) { /* v2: levels are never compressed */
        size_t lv = (size_t)h->rep_len + (size_t)h->def_len;
        if (lv > clen || lv > ulen)
            return corrupt(c, err, "level lengths exceed the page");
        if (comp && h->is_compressed) {
            if ((rc = grow(&c->pbuf, &c->pbuf_cap, ulen ? ulen : 1, err)) != SL_OK)
                return rc;
            memcpy(c->pbuf, c->cbuf, lv);
            if (ulen > lv && (rc = inflate_part(c, lv, clen - lv, lv, ulen - lv, err)) != SL_OK)
                return rc;
            page = c->pbuf;
        } else {
            page = c->cbuf, ulen = clen;
        }
        const uint8_t *p = page, *end = page + ulen;
        rle_init(&c->rep, p, p + h->rep_len, bit_width(c->nd->rep), false);
        rle_init(&c->def, p + h->rep_len, p + lv, bit_width(c->nd->def), false);
        c->enc = h->encoding;
        return start_values(c, p + lv, end, err);
    }
    if (comp) {
        if ((rc = grow(&c->pbuf, &c->pbuf_cap, ulen ? ulen : 1, err)) != SL_OK ||
            (rc = inflate_part(c, 0, clen, 0, ulen, err)) != SL_OK)
            return rc;
        page = c->pbuf;
    } else {
        page = c->cbuf, ulen = clen;
    }
    const uint8_t *p = page, *end = page + ulen;
    uint32_t nv = (uint32_t)h->num_values;
    if ((rc = v1_levels(c, &c->rep, h->rep_enc, c->nd->rep, nv, &p, end, err)) != SL_OK ||
        (rc = v1_levels(c, &c->def, h->def_enc, c->nd->def, nv, &p, end, err)) != SL_OK)
        return rc;
    c->enc = h->encoding;
    return start_values(c, p, end, err);
}

/* Load the next data page (dictionary pages on the way are decoded; index pages skipped). */
static sl_code next_page(pq_col *c, const sl__spool *sp, sl_err *err)
{
    for (;;) {
        pq_page_header h;
        sl_code rc = read_header(c, sp, &h, err);
        if (rc != SL_OK)
            return rc;
        if ((size_t)h.compressed > SL_COL_BLOCK_MAX || (size_t)h.uncompressed > SL_COL_BLOCK_MAX)
            return sl_fail(err, SL_INVALID, "parquet column %.*s: page of %d bytes (%d "
                                            "uncompressed) exceeds the %zu-byte limit",
                           (int)c->nd->name.n, c->nd->name.p, h.compressed, h.uncompressed,
                           SL_COL_BLOCK_MAX);
        if ((uint64_t)h.compressed > c->end - c->pos)
            return corrupt(c, err, "page runs past the end of the file");
        size_t clen = (size_t)h.compressed;
        if ((rc = grow(&c->cbuf, &c->cbuf_cap, clen ? clen : 1, err)) != SL_OK ||
            (rc = sl__spool_read(sp, c->pos, clen, c->cbuf, err)) != SL_OK)
            return rc;
        c->pos += clen;
        if (h.type == 2) {
            const uint8_t *p = c->cbuf;
            size_t n = clen;
            if (c->codec != 0) {
                if ((rc = grow(&c->pbuf, &c->pbuf_cap, h.uncompressed ? (size_t)h.uncompressed : 1,
                               err)) != SL_OK ||
                    (rc = inflate_part(c, 0, clen, 0, (size_t)h.uncompressed, err)) != SL_OK)
                    return rc;
                p = c->pbuf, n = (size_t)h.uncompressed;
            }
            if ((rc = load_dictionary(c, &h, p, n, err)) != SL_OK)
                return rc;
            continue;
        }
        if (h.type != 0 && h.type != 3)
            continue; /* index pages and unknown kinds carry no values */
        if (h.num_values == 0)
            continue;
        if ((rc = setup_page(c, &h, err)) != SL_OK)
            return rc;
        c->page_left = (uint32_t)h.num_values;
        return SL_OK;
    }
}

/* ---- entries -------------------------------------------------------------------------------- */

static sl_code room(pq_col *c, size_t n, sl_err *err)
{
    if (n <= c->cap)
        return SL_OK;
    if (n > MAX_ENTRIES)
        return sl_fail(err, SL_INVALID, "parquet column %.*s: more than %zu values in %d rows",
                       (int)c->nd->name.n, c->nd->name.p, MAX_ENTRIES, SL_COL_ROWS);
    size_t cap = c->cap ? c->cap : SL_COL_ROWS;
    while (cap < n)
        cap *= 2;
    uint16_t *r = sl_realloc(c->reps, cap * sizeof *r);
    if (r)
        c->reps = r;
    uint16_t *d = r ? sl_realloc(c->defs, cap * sizeof *d) : NULL;
    if (d)
        c->defs = d;
    sl_slice *v = d ? sl_realloc(c->vals, cap * sizeof *v) : NULL;
    if (v == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory for parquet entries");
    c->vals = v;
    c->cap = cap;
    return tmp_room(c, cap, err);
}

/* The values of entries [from, n) that are defined; NULL text for the others. */
static sl_code fill_values(pq_col *c, size_t from, sl__tbuf *t, sl_err *err)
{
    size_t k = 0, max = (size_t)c->nd->def;
    for (size_t i = from; i < c->n; i++)
        k += c->defs[i] == max;
    sl_slice *tmp = c->vals + from; /* decode into the front, then spread backwards */
    sl_code rc = decode_values(c, k, tmp, t, err);
    if (rc != SL_OK)
        return rc;
    for (size_t i = c->n; i-- > from;) {
        if (c->defs[i] == max)
            c->vals[i] = tmp[--k];
        else
            c->vals[i] = SL_SLICE_NULL;
    }
    return SL_OK;
}

static sl_code read_flat(pq_col *c, const sl__spool *sp, size_t rows, sl__tbuf *t, size_t *got,
                         sl_err *err)
{
    size_t done = 0;
    sl_code rc;
    while (done < rows) {
        if (c->page_left == 0) {
            if (c->values_left <= 0)
                break;
            if ((rc = next_page(c, sp, err)) != SL_OK)
                return rc;
            continue;
        }
        size_t m = rows - done < c->page_left ? rows - done : c->page_left;
        if ((rc = room(c, c->n + m, err)) != SL_OK)
            return rc;
        if (c->nd->def > 0) {
            if (!rle_get(&c->def, m, c->tmp_idx))
                return corrupt(c, err, "definition levels end early");
            for (size_t i = 0; i < m; i++) {
                if (c->tmp_idx[i] > (uint32_t)c->nd->def)
                    return corrupt(c, err, "definition level above the maximum");
                c->defs[c->n + i] = (uint16_t)c->tmp_idx[i];
            }
        } else {
            for (size_t i = 0; i < m; i++)
                c->defs[c->n + i] = 0;
        }
        memset(c->reps + c->n, 0, m * sizeof *c->reps);
        size_t from = c->n;
        c->n += m;
        if ((rc = fill_values(c, from, t, err)) != SL_OK)
            return rc;
        done += m;
        c->page_left -= (uint32_t)m;
        c->values_left -= (int64_t)m;
    }
    *got = done;
    return SL_OK;
}

static sl_code read_nested(pq_col *c, const sl__spool *sp, size_t rows, sl__tbuf *t,
                           size_t *got, sl_err *err)
{
    size_t done = 0;
    sl_code rc;
    bool stop = false;
    while (!stop) {
        if (c->page_left == 0) {
            if (c->values_left <= 0)
                break;
            if ((rc = next_page(c, sp, err)) != SL_OK)
                return rc;
            continue;
        }
        size_t from = c->n;
        while (c->page_left > 0) {
            uint32_t r, d;
            if (!c->have_peek) {
                if (!rle_get(&c->rep, 1, &r))
                    return corrupt(c, err, "repetition levels end early");
                c->peek_rep = (uint16_t)r;
                c->have_peek = true;
            }
            r = c->peek_rep;
            if (r > (uint32_t)c->nd->rep || (r > 0 && done == 0 && c->n == 0))
                return corrupt(c, err, "repetition level out of place");
            if (r == 0) {
                if (done == rows) {
                    stop = true;
                    break;
                }
                done++;
            }
            c->have_peek = false;
            if (!rle_get(&c->def, 1, &d) || d > (uint32_t)c->nd->def)
                return corrupt(c, err, "bad definition level");
            if ((rc = room(c, c->n + 1, err)) != SL_OK)
                return rc;
            c->reps[c->n] = (uint16_t)r;
            c->defs[c->n++] = (uint16_t)d;
            c->page_left--;
            c->values_left--;
        }
        if ((rc = fill_values(c, from, t, err)) != SL_OK)
            return rc;
    }
    *got = done;
    return SL_OK;
}

void sl__pq_col_start(pq_col *c, const pq_node *nd, const pq_chunk *ch, uint64_t file_end,
                      const sl__ltz *ltz)
{
    c->nd = nd;
    c->ltz = ltz;
    c->codec = ch->codec;
    c->pos = ch->start;
    c->end = file_end;
    c->file_end = file_end;
    c->values_left = ch->num_values;
    c->page_left = 0;
    c->have_peek = false;
    c->n = 0;
    sl_free(c->dict);
    c->dict = NULL;
    c->n_dict = 0;
    sl__tbuf_reset(&c->dict_text);
}

sl_code sl__pq_col_read(pq_col *c, const sl__spool *sp, size_t rows, sl__tbuf *t, size_t *got,
                        sl_err *err)
{
    c->n = 0;
    if (c->nd->rep == 0)
        return read_flat(c, sp, rows, t, got, err);
    return read_nested(c, sp, rows, t, got, err);
}

void sl__pq_col_free(pq_col *c)
{
    sl_free(c->dict);
    sl__tbuf_free(&c->dict_text);
    sl_free(c->cbuf);
    sl_free(c->pbuf);
    sl_free(c->prev);
    sl_free(c->reps);
    sl_free(c->defs);
    sl_free(c->vals);
    sl_free(c->tmp_idx);
    memset(c, 0, sizeof *c);
}
