/*
 * copy.c - typed batches in PostgreSQL's binary COPY format (store stage, the writer's inner
 * loop: batch.h columns in, COPY ... FROM STDIN (FORMAT binary) bytes out).
 *
 *   stream  "PGCOPY\n\377\r\n\0", int32 flags 0, int32 extension length 0,
 *           tuples, int16 -1
 *   tuple   int16 field count, then per field int32 length (-1: NULL) and the value:
 *
 *   smallint/integer/bigint  2/4/8 bytes, big-endian two's complement
 *   real/double precision    IEEE 754, big-endian
 *   boolean                  1 byte
 *   date                     int32 days since 2000-01-01
 *   timestamp                int64 microseconds since 2000-01-01 00:00:00
 *   numeric                  int16 ndigits, weight, sign (0 / 0x4000), dscale, then ndigits
 *                            base-10000 digits, most significant first; value =
 *                            sum(digit[i] * 10000^(weight - i))
 *   varchar/text             the bytes (valid UTF-8, no NUL: checked here, so that a bad value
 *                            fails the load at once with its column and row, not at the end)
 *   json                     the JSON text (the server checks it)
 *
 * A batch is encoded in one pass into the caller's buffer after one reservation of its exact
 * size, so the per-value work is a store and a byte swap.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../core/platform.h"

#include <string.h>

#include "../../batch/complex.h"
#include "internal.h"

#define PG_EPOCH_DAYS 10957                  /* 1970-01-01 -> 2000-01-01 */
#define PG_EPOCH_US 946684800000000LL

typedef unsigned __int128 u128;

static inline uint8_t *be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
    return p + 2;
}

static inline uint8_t *be32(uint8_t *p, uint32_t v)
{
    v = __builtin_bswap32(v);
    memcpy(p, &v, 4);
    return p + 4;
}

static inline uint8_t *be64(uint8_t *p, uint64_t v)
{
    v = __builtin_bswap64(v);
    memcpy(p, &v, 8);
    return p + 8;
}

void sl__pg_copy_header(sl_buf *b)
{
    static const char hdr[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
    sl_buf_append(b, hdr, sizeof hdr);
}

void sl__pg_copy_trailer(sl_buf *b)
{
    sl_buf_append(b, "\377\377", 2);
}

static const uint32_t p10[5] = {1, 10, 100, 1000, 10000};

size_t sl__pg_numeric(uint8_t *p, sl_i128 v, unsigned scale)
{
    bool neg = v < 0;
    u128 a = neg ? (u128)0 - (u128)v : (u128)v;
    uint16_t g[24]; /* base-10000 digits, least significant first */
    int n = 0;
    int fg = (int)(scale + 3) / 4;              /* fraction digit groups */
    unsigned r = scale % 4;
    /* The fraction's last group holds r digits, padded with zeros to four. */
    for (int i = 0; i < fg; i++) {
        unsigned take = i == 0 && r ? r : 4;
        uint32_t d;
        if (a <= UINT64_MAX) {
            uint64_t x = (uint64_t)a;
            d = (uint32_t)(x % p10[take]);
            a = x / p10[take];
        } else {
            d = (uint32_t)(a % p10[take]);
            a /= p10[take];
        }
        g[n++] = (uint16_t)(d * p10[4 - take]);
    }
    if (a <= UINT64_MAX) {
        for (uint64_t x = (uint64_t)a; x; x /= 10000)
            g[n++] = (uint16_t)(x % 10000);
    } else {
        for (; a; a /= 10000)
            g[n++] = (uint16_t)(a % 10000);
    }
    int weight = n - fg - 1;
    while (n > 0 && g[n - 1] == 0) /* leading zero groups (only below the point) */
        n--, weight--;
    int lo = 0;
    while (lo < n && g[lo] == 0)   /* trailing zero groups: implied by dscale */
        lo++;
    int nd = n - lo;
    if (nd == 0)
        weight = 0, neg = false;
    uint8_t *q = p;
    q = be16(q, (uint16_t)nd);
    q = be16(q, (uint16_t)(int16_t)weight);
    q = be16(q, neg ? 0x4000 : 0);
    q = be16(q, (uint16_t)scale);
    for (int i = n - 1; i >= lo; i--)
        q = be16(q, g[i]);
    return (size_t)(q - p);
}

size_t sl__pg_utf8_valid(const char *s, size_t n)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0;
    while (i < n) {
        if (i + 8 <= n) { /* eight ASCII bytes without NUL at a time */
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (((w | ((w & 0x7f7f7f7f7f7f7f7fULL) + 0x7f7f7f7f7f7f7f7fULL)) &
                 0x8080808080808080ULL) == 0x8080808080808080ULL &&
                (w & 0x8080808080808080ULL) == 0) {
                i += 8;
                continue;
            }
        }
        uint8_t c = p[i];
        if (c >= 0x01 && c < 0x80) {
            i++;
            continue;
        }
        size_t len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
                   : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
        if (len == 0 || i + len > n)
            return i;
        for (size_t k = 1; k < len; k++)
            if ((p[i + k] & 0xc0) != 0x80)
                return i;
        /* overlong 3/4-byte forms, surrogates, past U+10FFFF */
        if ((c == 0xe0 && p[i + 1] < 0xa0) || (c == 0xed && p[i + 1] > 0x9f) ||
            (c == 0xf0 && p[i + 1] < 0x90) || (c == 0xf4 && p[i + 1] > 0x8f))
            return i;
        i += len;
    }
    return n;
}

/* Wire bytes of one non-NULL value of type t (length word excluded), text types by length. */
static size_t fixed_size(const sl_type *t)
{
    switch (t->id) {
    case SL_TINYINT:
    case SL_SMALLINT: return 2;
    case SL_INT:
    case SL_FLOAT:
    case SL_DATE: return 4;
    case SL_BIGINT:
    case SL_DOUBLE:
    case SL_DATETIME: return 8;
    case SL_BOOLEAN: return 1;
    case SL_LARGEINT:
    case SL_DECIMAL: return SL_PG_NUMERIC_MAX;
    default: return 0;
    }
}

/* The jsonb text of an ARRAY, MAP or STRUCT value (complex.h's JSON with maps as [key, value]
 * pairs, so order, duplicates and non-text keys survive jsonb) in scratch; false when the
 * stored encoding is malformed. */
static bool complex_json(sl_buf *scratch, const sl_type *t, const sl_datum *v)
{
    sl_buf_clear(scratch);
    return sl_cv_json(scratch, t, (sl_slice){v->s.p, v->s.n}, SL_CV_PAIRS | SL_CV_UTF8) &&
           !scratch->oom;
}

/* An upper bound of the batch's encoded size (exact but for numerics). jsonb values carry a
 * version byte; complex values are measured by rendering their JSON. */
static size_t batch_size(const sl_batch *bt, bool keyed, sl_buf *scratch)
{
    size_t per_row = 2 + (keyed ? 4 + 8 + 4 + 1 : 0);
    size_t total = 0;
    for (size_t c = 0; c < bt->n_cols; c++) {
        const sl_column *col = &bt->cols[c];
        const sl_type *t = &col->def->type;
        per_row += 4 + fixed_size(t) + (t->id == SL_VARIANT || sl_type_is_complex(t));
        for (size_t r = 0; r < bt->n_rows && sl_type_has_bytes(t); r++)
            if (!col->null[r])
                total += sl_type_is_complex(t) && complex_json(scratch, t, &col->v[r])
                             ? scratch->len : col->v[r].s.n;
    }
    return total + per_row * bt->n_rows;
}

/* Check a text value; SL_INVALID names the column and row. */
static sl_code check_text(const sl_column *col, size_t r, const char *p, size_t n, sl_err *err)
{
    size_t ok = sl__pg_utf8_valid(p, n);
    if (ok == n)
        return SL_OK;
    return sl_fail(err, SL_INVALID, "column %.*s, row %zu of the batch: %s at byte %zu "
                   "(PostgreSQL stores text as UTF-8 without NUL bytes)",
                   (int)col->def->name.n, col->def->name.p, r + 1,
                   p[ok] == '\0' ? "NUL byte" : "invalid UTF-8", ok);
}

/* jsonb's binary form: version 1, then the text (checked as text). */
static uint8_t *put_jsonb(uint8_t *q, const sl_column *col, size_t r, const char *p, size_t n,
                          sl_err *err)
{
    if (check_text(col, r, p, n, err) != SL_OK)
        return NULL;
    q = be32(q, (uint32_t)n + 1);
    *q++ = 1;
    memcpy(q, p, n);
    return q + n;
}

/* Encode one non-NULL value at q; returns the end, or NULL after a text error. */
static uint8_t *put_value(uint8_t *q, const sl_column *col, size_t r, sl_buf *scratch,
                          sl_err *err)
{
    const sl_type *t = &col->def->type;
    const sl_datum *v = &col->v[r];
    switch (t->id) {
    case SL_ARRAY: case SL_MAP: case SL_STRUCT:
        if (!complex_json(scratch, t, v)) {
            sl_fail(err, SL_INVALID,
                    "column %.*s, row %zu of the batch: text in the value is not valid UTF-8 "
                    "(PostgreSQL stores text as UTF-8), or the value is malformed",
                    (int)col->def->name.n, col->def->name.p, r + 1);
            return NULL;
        }
        return put_jsonb(q, col, r, scratch->p ? scratch->p : "", scratch->len, err);
    case SL_VARIANT: return put_jsonb(q, col, r, v->s.p ? v->s.p : "", v->s.n, err);
    case SL_BITMAP: case SL_HLL: /* bytea: the bytes as they are */
        q = be32(q, (uint32_t)v->s.n);
        if (v->s.n)
            memcpy(q, v->s.p, v->s.n);
        return q + v->s.n;
    case SL_TINYINT:
    case SL_SMALLINT: return be16(be32(q, 2), (uint16_t)v->i);
    case SL_INT: return be32(be32(q, 4), (uint32_t)v->i);
    case SL_BIGINT: return be64(be32(q, 8), (uint64_t)v->i);
    case SL_BOOLEAN: q = be32(q, 1); *q = v->i != 0; return q + 1;
    case SL_DATE: return be32(be32(q, 4), (uint32_t)(int32_t)(v->i - PG_EPOCH_DAYS));
    case SL_DATETIME: return be64(be32(q, 8), (uint64_t)(v->i - PG_EPOCH_US));
    case SL_FLOAT: {
        float f = (float)v->d;
        uint32_t u;
        memcpy(&u, &f, 4);
        return be32(be32(q, 4), u);
    }
    case SL_DOUBLE: {
        uint64_t u;
        memcpy(&u, &v->d, 8);
        return be64(be32(q, 8), u);
    }
    case SL_LARGEINT:
    case SL_DECIMAL: {
        size_t n = sl__pg_numeric(q + 4, v->w, t->id == SL_DECIMAL ? t->scale : 0);
        be32(q, (uint32_t)n);
        return q + 4 + n;
    }
    default: {
        const char *p = v->s.p ? v->s.p : "";
        size_t n = v->s.n;
        if (check_text(col, r, p, n, err) != SL_OK)
            return NULL;
        q = be32(q, (uint32_t)n);
        memcpy(q, p, n);
        return q + n;
    }
    }
}

/* The rows of bt in COPY's binary row format appended to b (scratch: complex values' JSON). */
static sl_code copy_rows(sl_buf *b, const sl_batch *bt, bool keyed, uint64_t *ord,
                         sl_buf *scratch, sl_err *err)
{
    size_t need = batch_size(bt, keyed, scratch);
    if (scratch->oom || !sl_buf_reserve(b, need + 1))
        return sl_fail(err, SL_NOMEM, "out of memory");
    uint8_t *q = (uint8_t *)b->p + b->len;
    uint16_t nf = (uint16_t)(bt->n_cols + (keyed ? 2 : 0));
    for (size_t r = 0; r < bt->n_rows; r++) {
        q = be16(q, nf);
        for (size_t c = 0; c < bt->n_cols; c++) {
            const sl_column *col = &bt->cols[c];
            if (col->null[r]) {
                q = be32(q, UINT32_MAX);
                continue;
            }
            if ((q = put_value(q, col, r, scratch, err)) == NULL)
                return err->code;
        }
        if (keyed) {
            q = be64(be32(q, 8), (*ord)++);
            q = be32(q, 1);
            *q++ = bt->has_del && bt->del && bt->del[r];
        }
    }
    b->len = (size_t)((char *)q - b->p);
    return SL_OK;
}

sl_code sl__pg_copy_batch(sl_buf *b, const sl_batch *bt, bool keyed, uint64_t *ord, sl_err *err)
{
    sl_buf scratch = SL_BUF_INIT; /* the jsonb text of complex values */
    sl_code rc = copy_rows(b, bt, keyed, ord, &scratch, err);
    sl_buf_free(&scratch);
    return rc;
}
