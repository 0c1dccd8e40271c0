/*
 * chunk.c - column chunks of the SQLite engine's segment files: how values are stored (store
 * stage; the lanes, compaction and migration build them, segfile.c writes and reads them, the
 * scan and the virtual table decode them).
 *
 *   sl_batch / one row at a time --append--> sq_rgbuf (a row group being built: per column a
 *   typed array, NULL bytes, text in one buffer) --encode--> one chunk per column (bytes + stats)
 *   chunk bytes --decode--> sl_datum[] + NULL bytes, the batch's physical form (batch.h)
 *
 * This file is the one place that knows the stored form of a value. A type maps to a storage
 * class (sl__sq_class): integers of every width, BOOLEAN, DATE days, DATETIME microseconds and
 * DECIMAL(p <= 18) unscaled are SQ_INT; LARGEINT and wider DECIMALs SQ_WIDE (int128); FLOAT and
 * DOUBLE SQ_F64; every text type, VARIANT (JSON text), ARRAY / MAP / STRUCT (their c1 encoding)
 * and BITMAP / HLL (their serialized bytes) SQ_BYTES. A new type picks a class there (a value
 * held as bytes in the batch is SQ_BYTES and needs nothing else).
 *
 * Encodings, chosen per chunk (little-endian; `packed` = n values of `width` bits, LSB first):
 *   SQ_E_FOR     SQ_INT:   base int64, packed (v - base)                  frame of reference
 *   SQ_E_FOR128  SQ_WIDE:  base int128, packed (v - base), width <= 64
 *   SQ_E_RAW128  SQ_WIDE:  16 bytes per value (ranges wider than 64 bits)
 *   SQ_E_F64     SQ_F64:   8 bytes per value
 *   SQ_E_DICT    SQ_BYTES: the distinct values (<= SQ_DICT_MAX), packed codes
 *   SQ_E_PLAIN   SQ_BYTES: packed lengths, then the bytes
 *   SQ_E_PLZ4    SQ_BYTES: packed lengths, u32 size, then the bytes LZ4-compressed (text that
 *                          is not a dictionary, when the writer asks for it - the table's
 *                          "compression" property, segfile.c - and that saves at least an
 *                          eighth; a large chunk's sample decides first)
 * Every chunk starts with {u8 encoding, u8 flags, u8 width, u8 0, u32 rows}; flag 1: a NULL
 * bitmap of ceil(rows / 8) bytes follows. A NULL's value slot holds the chunk's smallest value
 * (width 0 costs nothing for an all-NULL chunk). NaN doubles are kept as values (SQLite's own
 * layout keeps them as the text 'NaN', udf.c); they order above every number and equal each
 * other, as that text does (sl__sq_cmp), so a chunk holding one has NaN as its upper bound.
 *
 * Stats per chunk (segment files keep them beside the bytes, for skipping): the NULL count and
 * the smallest and largest non-NULL value (text only when both are at most SQ_STAT_TEXT bytes;
 * none for the blob types - SQLite orders a BLOB above every text, so no text bound is
 * comparable with them).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../core/platform.h"

#include <lz4.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../core/mem.h"
#include "internal.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "chunk.c stores values little-endian and reads them with memcpy: port the loads first"
#endif

enum { SQ_E_FOR = 1, SQ_E_FOR128, SQ_E_RAW128, SQ_E_F64, SQ_E_DICT, SQ_E_PLAIN, SQ_E_PLZ4 };

#define HDR 8                     /* encoding, flags, width, 0, u32 rows */
#define F_NULLS 1

sq_class sl__sq_class(const sl_type *t)
{
    switch ((sl_type_id)t->id) {
    case SL_TINYINT: case SL_SMALLINT: case SL_INT: case SL_BIGINT: case SL_BOOLEAN:
    case SL_DATE: case SL_DATETIME:
        return SQ_INT;
    case SL_DECIMAL: return t->precision > 18 ? SQ_WIDE : SQ_INT;
    case SL_LARGEINT: return SQ_WIDE;
    case SL_FLOAT: case SL_DOUBLE: return SQ_F64;
    case SL_CHAR: case SL_VARCHAR: case SL_STRING: case SL_JSON: case SL_VARIANT:
    case SL_ARRAY: case SL_MAP: case SL_STRUCT: case SL_BITMAP: case SL_HLL: case SL__N_TYPES:
        break;
    }
    return SQ_BYTES;
}

/* DECIMAL and LARGEINT values are int128 in a batch (batch.h), whatever their stored class. */
static bool wide_datum(const sl_type *t)
{
    return t->id == SL_DECIMAL || t->id == SL_LARGEINT;
}

int sl__sq_cmp(const sl_type *t, const sl_datum *a, const sl_datum *b)
{
    switch (sl__sq_class(t)) {
    case SQ_INT:
        if (wide_datum(t))
            return (a->w > b->w) - (a->w < b->w);
        return (a->i > b->i) - (a->i < b->i);
    case SQ_WIDE: return (a->w > b->w) - (a->w < b->w);
    case SQ_F64: { /* NaN above every number and equal to itself, as SQLite's 'NaN' text */
        bool na = isnan(a->d), nb = isnan(b->d);
        if (na || nb)
            return (int)na - (int)nb;
        return (a->d > b->d) - (a->d < b->d);
    }
    case SQ_BYTES: break;
    }
    size_t k = a->s.n < b->s.n ? a->s.n : b->s.n;
    int c = k ? memcmp(a->s.p, b->s.p, k) : 0;
    return c ? (c > 0) - (c < 0) : (a->s.n > b->s.n) - (a->s.n < b->s.n);
}

/* ---- building a row group ----------------------------------------------------------------- */

static size_t value_size(uint8_t cls)
{
    return cls == SQ_WIDE ? 16 : cls == SQ_BYTES ? 4 : 8;
}

sl_code sl__sq_rg_init(sq_rgbuf *g, const sl_type *types, size_t n_cols, size_t cap_rows)
{
    memset(g, 0, sizeof *g);
    g->cols = sl_calloc((n_cols ? n_cols : 1) * sizeof *g->cols);
    if (g->cols == NULL)
        return SL_NOMEM;
    g->n_cols = n_cols;
    g->cap_rows = cap_rows;
    for (size_t c = 0; c < n_cols; c++) {
        sq_colbuf *cb = &g->cols[c];
        cb->type = types[c];
        cb->cls = (uint8_t)sl__sq_class(&types[c]);
        cb->wide_datum = wide_datum(&types[c]);
        cb->lo = INT64_MAX, cb->hi = INT64_MIN;
        cb->null = sl_malloc(cap_rows);
        cb->v = sl_malloc((cap_rows + 1) * value_size(cb->cls));
        if (cb->null == NULL || cb->v == NULL) {
            sl__sq_rg_free(g);
            return SL_NOMEM;
        }
        if (cb->cls == SQ_BYTES)
            ((uint32_t *)cb->v)[0] = 0;
    }
    return SL_OK;
}

void sl__sq_rg_reset(sq_rgbuf *g)
{
    for (size_t c = 0; c < g->n_cols; c++) {
        g->cols[c].len = 0;
        g->cols[c].any_null = false;
        g->cols[c].lo = INT64_MAX, g->cols[c].hi = INT64_MIN;
    }
    g->n_rows = 0;
    g->bytes = 0;
}

void sl__sq_rg_free(sq_rgbuf *g)
{
    for (size_t c = 0; g->cols && c < g->n_cols; c++) {
        sl_free(g->cols[c].null);
        sl_free(g->cols[c].v);
        sl_free(g->cols[c].data);
    }
    sl_free(g->cols);
    memset(g, 0, sizeof *g);
}

/* Room for n more text bytes in column cb, and 8 more: the dictionary reads short values as
 * one word. */
static bool bytes_room(sq_colbuf *cb, size_t n)
{
    if (cb->len + n + 8 <= cb->cap)
        return true;
    if (cb->len + n > UINT32_MAX)
        return false;
    size_t cap = cb->cap ? cb->cap : 4096;
    while (cap < cb->len + n + 8)
        cap *= 2;
    char *p = sl_realloc(cb->data, cap);
    if (p == NULL)
        return false;
    cb->data = p;
    cb->cap = cap;
    return true;
}

/* One value (v NULL for SQL NULL) at row r of column cb; text is copied. */
static sl_code put_value(sq_colbuf *cb, size_t r, const sl_datum *v, size_t *bytes)
{
    bool null = v == NULL;
    cb->null[r] = null;
    cb->any_null |= null;
    switch ((sq_class)cb->cls) {
    case SQ_INT: {
        int64_t x = null ? 0 : cb->wide_datum ? (int64_t)v->w : v->i;
        ((int64_t *)cb->v)[r] = x;
        if (!null) {
            cb->lo = x < cb->lo ? x : cb->lo;
            cb->hi = x > cb->hi ? x : cb->hi;
        }
        *bytes += 8;
        break;
    }
    case SQ_WIDE: {
        sl_i128 w = null ? 0 : v->w;
        memcpy((char *)cb->v + r * 16, &w, 16);
        *bytes += 16;
        break;
    }
    case SQ_F64:
        ((double *)cb->v)[r] = null ? 0 : v->d;
        *bytes += 8;
        break;
    case SQ_BYTES: {
        size_t n = null ? 0 : v->s.n;
        if (n && !bytes_room(cb, n))
            return SL_NOMEM;
        if (n)
            memcpy(cb->data + cb->len, v->s.p, n);
        cb->len += n;
        ((uint32_t *)cb->v)[r + 1] = (uint32_t)cb->len;
        *bytes += n + 4;
        break;
    }
    }
    return SL_OK;
}

sl_code sl__sq_rg_put_row(sq_rgbuf *g, const sl_datum *v, const uint8_t *null)
{
    size_t r = g->n_rows;
    for (size_t c = 0; c < g->n_cols; c++) {
        sl_code rc = put_value(&g->cols[c], r, null[c] ? NULL : &v[c], &g->bytes);
        if (rc != SL_OK)
            return rc;
    }
    g->n_rows++;
    return SL_OK;
}

/* cb's bounds widened by x[0..n) (NULL slots are skipped). */
static inline void int_bounds(sq_colbuf *cb, const int64_t *x, const uint8_t *nl, size_t n,
                              bool any_null)
{
    int64_t lo = cb->lo, hi = cb->hi;
    if (any_null) {
        for (size_t i = 0; i < n; i++) {
            int64_t a = nl[i] ? INT64_MAX : x[i], b = nl[i] ? INT64_MIN : x[i];
            lo = a < lo ? a : lo;
            hi = b > hi ? b : hi;
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            lo = x[i] < lo ? x[i] : lo;
            hi = x[i] > hi ? x[i] : hi;
        }
    }
    cb->lo = lo, cb->hi = hi;
}

/* n batch values of an SQ_INT column into cb at row `at`, its bounds updated on the way (in
 * blocks that stay in the cache between the copy and the bounds). */
static void put_ints(sq_colbuf *cb, size_t at, const sl_datum *v, const uint8_t *nl, size_t n,
                     bool any_null)
{
    int64_t *o = (int64_t *)cb->v + at;
    for (size_t i0 = 0; i0 < n; i0 += 256) {
        size_t m = n - i0 < 256 ? n - i0 : 256;
        const sl_datum *vv = v + i0;
        const uint8_t *nn = nl + i0;
        int64_t *oo = o + i0;
        if (cb->wide_datum) /* DECIMAL(p <= 18): its int128 fits */
            for (size_t i = 0; i < m; i++)
                oo[i] = nn[i] ? 0 : (int64_t)vv[i].w;
        else
            for (size_t i = 0; i < m; i++)
                oo[i] = nn[i] ? 0 : vv[i].i;
        int_bounds(cb, oo, nn, m, any_null);
    }
    cb->any_null |= any_null;
}

/* k <= 32 bytes from s to d without a call: two overlapping moves of the widest size that
 * fits (reads and writes stay within the k bytes). */
static inline void copy_short(char *d, const char *s, size_t k)
{
    if (k >= 16) {
        char a[16], b[16];
        memcpy(a, s, 16), memcpy(b, s + k - 16, 16);
        memcpy(d, a, 16), memcpy(d + k - 16, b, 16);
    } else if (k >= 8) {
        uint64_t a, b;
        memcpy(&a, s, 8), memcpy(&b, s + k - 8, 8);
        memcpy(d, &a, 8), memcpy(d + k - 8, &b, 8);
    } else if (k >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4), memcpy(&b, s + k - 4, 4);
        memcpy(d, &a, 4), memcpy(d + k - 4, &b, 4);
    } else if (k) {
        char a = s[0], b = s[k / 2], c = s[k - 1];
        d[0] = a, d[k / 2] = b, d[k - 1] = c;
    }
}

/* Rows [from, from + n) of one batch column into cb at row `at`. The loops are per class so
 * the common ones run without a switch per value. */
static sl_code put_column(sq_colbuf *cb, size_t at, const sl_column *col, size_t from, size_t n,
                          size_t *bytes)
{
    const sl_datum *v = col->v + from;
    const uint8_t *nl = col->null + from;
    uint64_t any = 0; /* any NULL: the flags ORed 8 at a time */
    size_t i8 = 0;
    for (; i8 + 8 <= n; i8 += 8) {
        uint64_t w;
        memcpy(&w, nl + i8, 8);
        any |= w;
    }
    for (; i8 < n; i8++)
        any |= nl[i8];
    memcpy(cb->null + at, nl, n);
    if (cb->cls == SQ_INT) {
        put_ints(cb, at, v, nl, n, any != 0);
        *bytes += 8 * n;
        return SL_OK;
    }
    if (cb->cls == SQ_BYTES) {
        size_t total = 0;
        for (size_t i = 0; i < n; i++)
            total += nl[i] ? 0 : v[i].s.n;
        if (total && !bytes_room(cb, total))
            return SL_NOMEM;
        uint32_t *off = (uint32_t *)cb->v + at + 1;
        char *d = cb->data;
        size_t len = cb->len;
        for (size_t i = 0; i < n; i++) {
            size_t k = nl[i] ? 0 : v[i].s.n;
            if (k > 32)
                memcpy(d + len, v[i].s.p, k);
            else
                copy_short(d + len, v[i].s.p, k);
            len += k;
            off[i] = (uint32_t)len;
        }
        cb->len = len;
        cb->any_null |= any != 0;
        *bytes += total + 4 * n;
        return SL_OK;
    }
    for (size_t i = 0; i < n; i++) {
        sl_code rc = put_value(cb, at + i, nl[i] ? NULL : &v[i], bytes);
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

sl_code sl__sq_rg_put_batch(sq_rgbuf *g, const sl_batch *b, size_t from, size_t n,
                            const sq_extra *x)
{
    size_t at = g->n_rows;
    for (size_t c = 0; c < b->n_cols; c++) {
        sl_code rc = put_column(&g->cols[c], at, &b->cols[c], from, n, &g->bytes);
        if (rc != SL_OK)
            return rc;
    }
    if (x) { /* keyed tables: delete sign, sequence value, partial-update mask */
        size_t nc = b->n_cols;
        for (size_t i = 0; i < n; i++) {
            size_t r = from + i;
            sl_datum d = {.i = b->has_del && b->del[r]}, m = {.i = (int64_t)b->col_mask};
            const sl_column *sc = x->seq_col >= 0 ? &b->cols[x->seq_col] : NULL;
            sl_code rc = put_value(&g->cols[nc], at + i, &d, &g->bytes);
            if (rc == SL_OK)
                rc = put_value(&g->cols[nc + 1], at + i,
                               sc && !sc->null[r] ? &sc->v[r] : NULL, &g->bytes);
            if (rc == SL_OK)
                rc = put_value(&g->cols[nc + 2], at + i, b->col_mask ? &m : NULL, &g->bytes);
            if (rc != SL_OK)
                return rc;
        }
    }
    g->n_rows += n;
    return SL_OK;
}

/* ---- bit packing ----------------------------------------------------------------------------- */

static size_t packed_size(size_t n, unsigned w)
{
    return (n * w + 7) / 8;
}

static unsigned bits_of(uint64_t x)
{
    return x ? 64u - (unsigned)__builtin_clzll(x) : 0u;
}

/* Widths above 56 do not fit the one-load unpacker: they are stored as 64. */
static unsigned fit_width(unsigned w)
{
    return w > 56 ? 64 : w;
}

static void pack(const uint64_t *d, size_t n, unsigned w, uint8_t *out)
{
    if (w == 0)
        return;
    if (w == 64) {
        memcpy(out, d, n * 8);
        return;
    }
    uint64_t acc = 0;
    unsigned have = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        acc |= d[i] << have;
        have += w;
        if (have >= 64) {
            memcpy(out + o, &acc, 8);
            o += 8;
            have -= 64;
            acc = have ? d[i] >> (w - have) : 0;
        }
    }
    size_t rest = (have + 7) / 8;
    memcpy(out + o, &acc, rest);
}

/* The packed values need 8 readable bytes past their end (the decoder's buffers have them). */
static inline uint64_t unpack1(const uint8_t *p, size_t i, unsigned w, uint64_t mask)
{
    size_t bit = i * w;
    uint64_t x;
    memcpy(&x, p + (bit >> 3), 8);
    return (x >> (bit & 7)) & mask;
}

/* ---- encoding --------------------------------------------------------------------------------- */

static void put_hdr(sl_buf *o, uint8_t enc, bool nulls, unsigned width, size_t n)
{
    uint8_t h[HDR] = {enc, nulls ? F_NULLS : 0, (uint8_t)width, 0};
    uint32_t n32 = (uint32_t)n;
    memcpy(h + 4, &n32, 4);
    sl_buf_append(o, h, HDR);
}

static void put_bitmap(sl_buf *o, const uint8_t *null, size_t n)
{
    size_t k = (n + 7) / 8;
    if (!sl_buf_reserve(o, k))
        return;
    uint8_t *m = (uint8_t *)o->p + o->len;
    memset(m, 0, k);
    for (size_t i = 0; i < n; i++)
        m[i >> 3] |= (uint8_t)((null[i] != 0) << (i & 7));
    o->len += k;
}

/* Append n deltas packed at width w. */
static void put_packed(sl_buf *o, const uint64_t *d, size_t n, unsigned w)
{
    size_t k = packed_size(n, w);
    if (!sl_buf_reserve(o, k + 8))
        return;
    pack(d, n, w, (uint8_t *)o->p + o->len);
    o->len += k;
}

/* Scratch of at least n uint64_t. */
static uint64_t *scratch_u64(sl_buf *s, size_t n)
{
    s->len = 0;
    return sl_buf_reserve(s, n * 8 + 8) ? (uint64_t *)s->p : NULL;
}

/* Append v[0..n) - lo packed at width w in one pass (NULL slots as 0). */
static void put_for(sl_buf *o, const int64_t *v, const uint8_t *null, size_t n, int64_t lo,
                    unsigned w)
{
    size_t k = packed_size(n, w);
    if (w == 0 || !sl_buf_reserve(o, k + 8))
        return;
    uint8_t *out = (uint8_t *)o->p + o->len;
    uint64_t acc = 0;
    unsigned have = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t d = ((uint64_t)v[i] - (uint64_t)lo) & -(uint64_t)(null[i] == 0);
        if (w == 64) {
            memcpy(out + at, &d, 8);
            at += 8;
            continue;
        }
        acc |= d << have;
        have += w;
        if (have >= 64) {
            memcpy(out + at, &acc, 8);
            at += 8;
            have -= 64;
            acc = have ? d >> (w - have) : 0;
        }
    }
    memcpy(out + at, &acc, (have + 7) / 8);
    o->len += k;
}

static void enc_int(const sq_colbuf *cb, size_t n, sl_buf *o, sq_stats *st)
{
    const int64_t *v = cb->v;
    int64_t lo = cb->lo, hi = cb->hi; /* kept by the puts */
    if (st->n_null == n)
        lo = hi = 0;
    if (cb->wide_datum) /* stats in the batch's form */
        st->lo.w = lo, st->hi.w = hi;
    else
        st->lo.i = lo, st->hi.i = hi;
    unsigned w = fit_width(bits_of((uint64_t)hi - (uint64_t)lo));
    put_hdr(o, SQ_E_FOR, cb->any_null, w, n);
    if (cb->any_null)
        put_bitmap(o, cb->null, n);
    sl_buf_append(o, &lo, 8);
    put_for(o, v, cb->null, n, lo, w);
}

static void enc_wide(const sq_colbuf *cb, size_t n, sl_buf *o, sl_buf *s, sq_stats *st)
{
    sl_i128 lo = 0, hi = 0;
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        sl_i128 x;
        if (cb->null[i])
            continue;
        memcpy(&x, (const char *)cb->v + i * 16, 16);
        if (!any || x < lo)
            lo = x;
        if (!any || x > hi)
            hi = x;
        any = true;
    }
    st->lo.w = lo, st->hi.w = hi;
    unsigned __int128 range = (unsigned __int128)hi - (unsigned __int128)lo;
    if (range >> 64) {
        put_hdr(o, SQ_E_RAW128, cb->any_null, 128, n);
        if (cb->any_null)
            put_bitmap(o, cb->null, n);
        sl_buf_append(o, cb->v, n * 16);
        return;
    }
    unsigned w = fit_width(bits_of((uint64_t)range));
    uint64_t *d = scratch_u64(s, n);
    if (d == NULL) {
        o->oom = true;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        sl_i128 x;
        memcpy(&x, (const char *)cb->v + i * 16, 16);
        d[i] = cb->null[i] ? 0 : (uint64_t)((unsigned __int128)x - (unsigned __int128)lo);
    }
    put_hdr(o, SQ_E_FOR128, cb->any_null, w, n);
    if (cb->any_null)
        put_bitmap(o, cb->null, n);
    sl_buf_append(o, &lo, 16);
    put_packed(o, d, n, w);
}

static void enc_f64(const sq_colbuf *cb, size_t n, sl_buf *o, sq_stats *st)
{
    const double *v = cb->v;
    double lo = INFINITY, hi = -INFINITY;
    bool nan = false, num = false;
    for (size_t i = 0; i < n; i++)
        if (!cb->null[i]) {
            if (isnan(v[i])) {
                nan = true;
                continue;
            }
            num = true;
            lo = v[i] < lo ? v[i] : lo;
            hi = v[i] > hi ? v[i] : hi;
        }
    /* in sl__sq_cmp's order: NaN is the largest value */
    st->lo.d = num ? lo : nan ? NAN : 0, st->hi.d = nan ? NAN : num ? hi : 0;
    put_hdr(o, SQ_E_F64, cb->any_null, 64, n);
    if (cb->any_null)
        put_bitmap(o, cb->null, n);
    sl_buf_append(o, cb->v, n * 8);
}

static int bytes_cmp(const char *a, size_t na, const char *b, size_t nb)
{
    size_t k = na < nb ? na : nb;
    int c = k ? memcmp(a, b, k) : 0;
    return c ? c : (na > nb) - (na < nb);
}

/* The first 8 bytes of a value as a big-endian word (zero-padded): words order as the
 * bytes do, ties need the full comparison. */
static inline uint64_t prefix_word(const char *p, size_t n)
{
    uint64_t x = 0;
    if (n == 0)
        return 0;
    memcpy(&x, p, 8); /* the builder's text has 8 bytes of slack */
    x = __builtin_bswap64(x);
    return n >= 8 ? x : x & ~(UINT64_MAX >> (8 * n));
}

/* Text stats over the values of cb: rows idx[0..n_idx) (or every row when idx is NULL),
 * skipping NULLs. */
static void text_stats(const sq_colbuf *cb, const uint32_t *idx, size_t n_idx, sq_stats *st)
{
    const uint32_t *off = cb->v;
    const char *data = cb->data;
    size_t lo = SIZE_MAX, hi = SIZE_MAX;
    uint64_t wlo = 0, whi = 0;
    for (size_t k = 0; k < n_idx; k++) {
        size_t i = idx ? idx[k] : k;
        if (cb->null[i])
            continue;
        const char *p = data + off[i];
        size_t n = off[i + 1] - off[i];
        uint64_t w = prefix_word(p, n);
        if (lo == SIZE_MAX || w < wlo ||
            (w == wlo && bytes_cmp(p, n, data + off[lo], off[lo + 1] - off[lo]) < 0))
            lo = i, wlo = w;
        if (hi == SIZE_MAX || w > whi ||
            (w == whi && bytes_cmp(p, n, data + off[hi], off[hi + 1] - off[hi]) > 0))
            hi = i, whi = w;
    }
    if (lo == SIZE_MAX || off[lo + 1] - off[lo] > SQ_STAT_TEXT ||
        off[hi + 1] - off[hi] > SQ_STAT_TEXT)
        return;
    st->has_minmax = true;
    st->lo.s.p = data + off[lo], st->lo.s.n = off[lo + 1] - off[lo];
    st->hi.s.p = data + off[hi], st->hi.s.n = off[hi + 1] - off[hi];
}

static inline uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    return h ^ (h >> 33);
}

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325u ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, p + i, 8);
        h = (h ^ x) * 0x100000001b3u;
        h ^= h >> 29;
    }
    uint64_t x = 0;
    memcpy(&x, p + i, n - i);
    h = (h ^ x) * 0x9e3779b97f4a7c15u;
    return h ^ (h >> 32);
}

/* A value's key for the dictionary: values of at most 16 bytes are their two words (the first
 * and the last 8 bytes), equal keys are equal values; longer ones their hash, equal keys need
 * the bytes compared. */
static inline void dict_key(const char *p, size_t len, uint64_t *a, uint64_t *b)
{
    if (len <= 16) {
        *a = prefix_word(p, len);
        if (len > 8)
            memcpy(b, p + len - 8, 8);
        else
            *b = 0;
    } else {
        *a = hash_bytes(p, len), *b = 0;
    }
}

/* The dictionary being built: slot -> entry + 1; per entry its key, length and first row. */
typedef struct dict_build {
    uint32_t *slot, *first, *len;
    uint64_t *ka, *kb;
    size_t k;
} dict_build;

static bool dict_init(dict_build *d, sl_buf *s, size_t n, uint32_t **code)
{
    size_t slots = SQ_DICT_MAX * 2, ent = SQ_DICT_MAX + 1;
    s->len = 0;
    if (!sl_buf_reserve(s, ent * 16 + slots * 4 + n * 4 + ent * 8))
        return false;
    d->ka = (uint64_t *)s->p, d->kb = d->ka + ent;
    d->slot = (uint32_t *)(d->kb + ent);
    *code = d->slot + slots;
    d->first = *code + n, d->len = d->first + ent;
    d->k = 0;
    memset(d->slot, 0, slots * 4);
    return true;
}

/* A dictionary of cb's values; code[i] per value. false: more distinct values than pays. */
static bool build_dict(const sq_colbuf *cb, size_t n, sl_buf *s, uint32_t **code_out,
                       uint32_t **first_out, size_t *n_dict)
{
    const uint32_t *off = cb->v;
    const size_t mask = SQ_DICT_MAX * 2 - 1;
    dict_build d;
    uint32_t *code;
    if (!dict_init(&d, s, n, &code))
        return false;
    size_t limit = n / 2 + 1 < SQ_DICT_MAX ? n / 2 + 1 : SQ_DICT_MAX;
    for (size_t i = 0; i < n; i++) {
        if (i == 1024 && d.k > 256)
            return false; /* many distinct values early on: not worth a dictionary */
        if (cb->null[i]) {
            code[i] = 0; /* any code does; entries are made by non-NULL values only */
            continue;
        }
        const char *p = cb->data + off[i];
        uint32_t len = off[i + 1] - off[i];
        uint64_t a, b;
        dict_key(p, len, &a, &b);
        size_t h = (size_t)mix64(a ^ (b * 0x9e3779b97f4a7c15u) ^ len) & mask;
        for (;; h = (h + 1) & mask) {
            uint32_t e = d.slot[h];
            if (e == 0) {
                if (d.k == limit)
                    return false;
                d.ka[d.k] = a, d.kb[d.k] = b, d.len[d.k] = len, d.first[d.k] = (uint32_t)i;
                d.slot[h] = (uint32_t)++d.k;
                code[i] = (uint32_t)(d.k - 1);
                break;
            }
            e--;
            if (d.ka[e] == a && d.kb[e] == b && d.len[e] == len &&
                (len <= 16 || memcmp(cb->data + off[d.first[e]], p, len) == 0)) {
                code[i] = e;
                break;
            }
        }
    }
    if (d.k == 0) /* every value NULL: one entry, read as the empty string */
        d.first[d.k++] = 0;
    *code_out = code, *first_out = d.first, *n_dict = d.k;
    return true;
}

static void enc_dict(const sq_colbuf *cb, size_t n, const uint32_t *code, const uint32_t *first,
                     size_t n_dict, sl_buf *o)
{
    const uint32_t *off = cb->v;
    uint64_t dl[64];
    unsigned lw = 0;
    size_t total = 0;
    for (size_t k = 0; k < n_dict; k++) {
        uint32_t j = first[k];
        size_t len = cb->null[j] ? 0 : off[j + 1] - off[j];
        lw = bits_of(len) > lw ? bits_of(len) : lw;
        total += len;
    }
    unsigned cw = bits_of(n_dict > 1 ? n_dict - 1 : 0);
    put_hdr(o, SQ_E_DICT, cb->any_null, cw, n);
    if (cb->any_null)
        put_bitmap(o, cb->null, n);
    uint32_t nd = (uint32_t)n_dict;
    uint8_t lw8 = (uint8_t)fit_width(lw);
    uint64_t tot64 = total;
    sl_buf_append(o, &nd, 4);
    sl_buf_append(o, &lw8, 1);
    sl_buf_append(o, &tot64, 8);
    for (size_t k = 0; k < n_dict; k += 64) { /* lengths, 64 at a time */
        size_t m = n_dict - k < 64 ? n_dict - k : 64;
        for (size_t i = 0; i < m; i++) {
            uint32_t j = first[k + i];
            dl[i] = cb->null[j] ? 0 : off[j + 1] - off[j];
        }
        put_packed(o, dl, m, lw8);
        /* packed groups of 64 start on a byte boundary: 64 * w bits is whole bytes */
    }
    for (size_t k = 0; k < n_dict; k++) {
        uint32_t j = first[k];
        if (!cb->null[j])
            sl_buf_append(o, cb->data + off[j], off[j + 1] - off[j]);
    }
    for (size_t i = 0; i < n; i += 64) {
        size_t m = n - i < 64 ? n - i : 64;
        for (size_t q = 0; q < m; q++)
            dl[q] = code[i + q];
        put_packed(o, dl, m, cw);
    }
}

/* Whether LZ4 may save an eighth of cb's bytes: a large chunk's first LZ4_SAMPLE bytes must
 * save a sixteenth (so incompressible text costs a sample, not a whole compression). The
 * sample is compressed into o's spare room. */
#define LZ4_SAMPLE 16384
static bool lz4_may_pay(const sq_colbuf *cb, sl_buf *o)
{
    if (cb->len < 256 || cb->len > (size_t)LZ4_MAX_INPUT_SIZE)
        return false;
    if (cb->len < 4 * LZ4_SAMPLE)
        return true;
    int bound = LZ4_compressBound(LZ4_SAMPLE);
    if (!sl_buf_reserve(o, (size_t)bound))
        return false;
    int k = LZ4_compress_default(cb->data, o->p + o->len, LZ4_SAMPLE, bound);
    return k > 0 && k < LZ4_SAMPLE - LZ4_SAMPLE / 16;
}

/* Lengths packed, then the bytes: LZ4-compressed (when lz4) if that saves an eighth. */
static void enc_plain(const sq_colbuf *cb, size_t n, bool lz4, sl_buf *o, sl_buf *s)
{
    const uint32_t *off = cb->v;
    unsigned lw = 0;
    for (size_t i = 0; i < n; i++)
        lw |= off[i + 1] - off[i];
    lw = fit_width(bits_of(lw));
    uint64_t *d = scratch_u64(s, n);
    if (d == NULL) {
        o->oom = true;
        return;
    }
    for (size_t i = 0; i < n; i++)
        d[i] = off[i + 1] - off[i];
    size_t start = o->len;
    bool lz = lz4 && lz4_may_pay(cb, o);
    put_hdr(o, lz ? SQ_E_PLZ4 : SQ_E_PLAIN, cb->any_null, lw, n);
    if (cb->any_null)
        put_bitmap(o, cb->null, n);
    put_packed(o, d, n, lw);
    if (lz) { /* compressed straight into the chunk */
        int bound = LZ4_compressBound((int)cb->len);
        uint32_t raw = (uint32_t)cb->len;
        sl_buf_append(o, &raw, 4);
        if (!sl_buf_reserve(o, (size_t)bound))
            return;
        int k = LZ4_compress_default(cb->data, o->p + o->len, (int)cb->len, bound);
        if (k > 0 && (size_t)k < cb->len - cb->len / 8) {
            o->len += (size_t)k;
            return;
        }
        o->len = start; /* not worth it: plain */
        put_hdr(o, SQ_E_PLAIN, cb->any_null, lw, n);
        if (cb->any_null)
            put_bitmap(o, cb->null, n);
        put_packed(o, d, n, lw);
    }
    sl_buf_append(o, cb->data, cb->len);
}

sl_code sl__sq_chunk_encode(const sq_colbuf *cb, size_t n, bool lz4, sl_buf *out,
                            sl_buf *scratch, sq_stats *st)
{
    memset(st, 0, sizeof *st);
    for (size_t i = 0; cb->any_null && i < n; i++)
        st->n_null += cb->null[i] != 0;
    switch ((sq_class)cb->cls) {
    case SQ_INT: enc_int(cb, n, out, st); break;
    case SQ_WIDE: enc_wide(cb, n, out, scratch, st); break;
    case SQ_F64: enc_f64(cb, n, out, st); break;
    case SQ_BYTES: {
        uint32_t *code, *first;
        size_t n_dict;
        bool stats = !sl_type_is_blob(&cb->type);
        if (n > 1 && build_dict(cb, n, scratch, &code, &first, &n_dict)) {
            enc_dict(cb, n, code, first, n_dict, out);
            if (stats)
                text_stats(cb, first, n_dict, st);
        } else {
            if (stats)
                text_stats(cb, NULL, n, st);
            enc_plain(cb, n, lz4, out, scratch);
        }
        break;
    }
    }
    if (cb->cls != SQ_BYTES)
        st->has_minmax = st->n_null < n;
    if (out->oom)
        return SL_NOMEM;
    return SL_OK;
}

/* ---- decoding --------------------------------------------------------------------------------- */

typedef struct rd {
    const uint8_t *p, *end;
    bool bad;
} rd;

static const uint8_t *take(rd *r, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = true;
        return NULL;
    }
    const uint8_t *q = r->p;
    r->p += n;
    return q;
}

/* Unpack n values of width w from r into d (as uint64). */
static bool get_packed(rd *r, size_t n, unsigned w, uint64_t *d)
{
    const uint8_t *p = take(r, packed_size(n, w));
    if (p == NULL || (w > 56 && w != 64))
        return false;
    if (w == 0) {
        memset(d, 0, n * 8);
    } else if (w == 64) {
        memcpy(d, p, n * 8);
    } else {
        uint64_t mask = (UINT64_C(1) << w) - 1;
        for (size_t i = 0; i < n; i++)
            d[i] = unpack1(p, i, w, mask);
    }
    return true;
}

static sl_code bad_chunk(sl_err *err)
{
    return sl_fail(err, SL_BACKEND, "a column chunk of a segment file is damaged");
}

/* n values of width w as uint64 into the scratch, then each through f. */
static bool unpack_all(rd *r, size_t n, unsigned w, sl_buf *s, uint64_t **out)
{
    uint64_t *d = scratch_u64(s, n);
    if (d == NULL)
        return false;
    *out = d;
    return get_packed(r, n, w, d);
}

static sl_code dec_bytes(rd *r, uint8_t enc, unsigned w, size_t n, sl_datum *v, sq_dbuf *db,
                         sl_err *err)
{
    uint64_t *d;
    sl_buf *s = &db->scratch;
    if (enc == SQ_E_PLAIN || enc == SQ_E_PLZ4) {
        if (!unpack_all(r, n, w, s, &d))
            return r->bad ? bad_chunk(err) : sl_fail(err, SL_NOMEM, "out of memory");
        const char *p = (const char *)r->p;
        size_t at = 0, avail = (size_t)(r->end - r->p);
        if (enc == SQ_E_PLZ4) {
            const uint8_t *h = take(r, 4);
            uint32_t raw;
            if (h == NULL)
                return bad_chunk(err);
            memcpy(&raw, h, 4);
            db->raw.len = 0;
            if (raw > (uint32_t)LZ4_MAX_INPUT_SIZE || !sl_buf_reserve(&db->raw, (size_t)raw + 16))
                return sl_fail(err, SL_NOMEM, "out of memory decoding a chunk");
            int k = LZ4_decompress_safe((const char *)r->p, db->raw.p, (int)(r->end - r->p),
                                        (int)raw);
            if (k != (int)raw)
                return bad_chunk(err);
            r->p = r->end;
            p = db->raw.p, avail = raw;
        }
        for (size_t i = 0; i < n; i++) {
            if (d[i] > avail - at)
                return bad_chunk(err);
            v[i].s.p = p + at, v[i].s.n = (size_t)d[i];
            at += (size_t)d[i];
        }
        if (enc == SQ_E_PLAIN)
            r->p += at;
        return SL_OK;
    }
    const uint8_t *h = take(r, 13);
    if (h == NULL)
        return bad_chunk(err);
    uint32_t nd;
    uint64_t total;
    memcpy(&nd, h, 4);
    unsigned lw = h[4];
    memcpy(&total, h + 5, 8);
    if (nd > SQ_DICT_MAX || (nd == 0 && n > 0))
        return bad_chunk(err);
    size_t need = (size_t)nd * 2 + n;
    uint64_t *len = scratch_u64(s, need + 64);
    if (len == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    sl_datum *dict = (sl_datum *)(len + ((nd + 1) & ~1u)); /* 16-byte aligned (int128) */
    for (size_t k = 0; k < nd; k += 64)
        if (!get_packed(r, nd - k < 64 ? nd - k : 64, lw, len + k))
            return bad_chunk(err);
    const uint8_t *bytes = take(r, total);
    if (bytes == NULL)
        return bad_chunk(err);
    size_t at = 0;
    for (size_t k = 0; k < nd; k++) {
        if (len[k] > total - at)
            return bad_chunk(err);
        dict[k].s.p = (const char *)bytes + at, dict[k].s.n = (size_t)len[k];
        at += (size_t)len[k];
    }
    uint64_t code[64];
    for (size_t i = 0; i < n; i += 64) {
        size_t m = n - i < 64 ? n - i : 64;
        if (!get_packed(r, m, w, code))
            return bad_chunk(err);
        for (size_t q = 0; q < m; q++) {
            if (code[q] >= nd)
                return bad_chunk(err);
            v[i + q].s.p = dict[code[q]].s.p, v[i + q].s.n = dict[code[q]].s.n;
        }
    }
    return SL_OK;
}

/* The chunk in r, not compressed. */
static sl_code dec_plain_chunk(rd *r, const sl_type *t, size_t n, sl_datum *v, uint8_t *null,
                               sq_dbuf *db, sl_err *err)
{
    sl_buf *s = &db->scratch;
    const uint8_t *h = take(r, HDR);
    if (h == NULL)
        return bad_chunk(err);
    uint8_t enc = h[0], flags = h[1];
    unsigned w = h[2];
    uint32_t rows;
    memcpy(&rows, h + 4, 4);
    if (rows != n)
        return bad_chunk(err);
    if (flags & F_NULLS) {
        const uint8_t *m = take(r, (n + 7) / 8);
        if (m == NULL)
            return bad_chunk(err);
        for (size_t i = 0; i < n; i++)
            null[i] = (m[i >> 3] >> (i & 7)) & 1;
    } else {
        memset(null, 0, n);
    }
    sq_class cls = sl__sq_class(t);
    bool wd = wide_datum(t);
    uint64_t *d;
    if (enc == SQ_E_FOR && cls == SQ_INT) {
        const uint8_t *b = take(r, 8), *q;
        int64_t base;
        if (b == NULL || (w > 56 && w != 64) || (q = take(r, packed_size(n, w))) == NULL)
            return bad_chunk(err);
        memcpy(&base, b, 8);
        uint64_t mask = w == 64 ? UINT64_MAX : (UINT64_C(1) << w) - 1;
        for (size_t i = 0; i < n; i++) { /* unpacked straight into the values */
            uint64_t x = w == 0 ? 0 : w == 64 ? 0 : unpack1(q, i, w, mask);
            if (w == 64)
                memcpy(&x, q + i * 8, 8);
            int64_t y = (int64_t)((uint64_t)base + x);
            if (wd)
                v[i].w = y;
            else
                v[i].i = y;
        }
        return SL_OK;
    }
    if (enc == SQ_E_FOR128 && cls == SQ_WIDE) {
        const uint8_t *b = take(r, 16);
        sl_i128 base;
        if (b == NULL || !unpack_all(r, n, w, s, &d))
            return r->bad ? bad_chunk(err) : sl_fail(err, SL_NOMEM, "out of memory");
        memcpy(&base, b, 16);
        for (size_t i = 0; i < n; i++)
            v[i].w = (sl_i128)((unsigned __int128)base + d[i]);
        return SL_OK;
    }
    if (enc == SQ_E_RAW128 && cls == SQ_WIDE) {
        const uint8_t *b = take(r, n * 16);
        if (b == NULL)
            return bad_chunk(err);
        for (size_t i = 0; i < n; i++)
            memcpy(&v[i].w, b + i * 16, 16);
        return SL_OK;
    }
    if (enc == SQ_E_F64 && cls == SQ_F64) {
        const uint8_t *b = take(r, n * 8);
        if (b == NULL)
            return bad_chunk(err);
        for (size_t i = 0; i < n; i++)
            memcpy(&v[i].d, b + i * 8, 8);
        return SL_OK;
    }
    if ((enc == SQ_E_PLAIN || enc == SQ_E_PLZ4 || enc == SQ_E_DICT) && cls == SQ_BYTES)
        return dec_bytes(r, enc, w, n, v, db, err);
    return bad_chunk(err);
}

sl_code sl__sq_chunk_decode(const uint8_t *p, size_t len, const sl_type *t, size_t n,
                            sl_datum *v, uint8_t *null, sq_dbuf *db, sl_err *err)
{
    rd r = {p, p + len, false};
    return dec_plain_chunk(&r, t, n, v, null, db, err);
}

void sl__sq_dbuf_free(sq_dbuf *db)
{
    sl_buf_free(&db->raw);
    sl_buf_free(&db->scratch);
}
