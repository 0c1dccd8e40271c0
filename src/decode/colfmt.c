/*
 * colfmt.c - values of the columnar formats as text, nested values as JSON text, and rows out
 * to the raw batch (decode stage, issue 15; see columnar.h).
 *
 * The texts are the ones the mapper reads exactly: integers in decimal, decimals with their
 * scale's digits (never through a double), dates YYYY-MM-DD, timestamps YYYY-MM-DD HH:MM:SS
 * with micro- or nanoseconds when there are any (the mapper rounds to the column's precision),
 * floating point as the shortest text that reads back as the same value.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/mem.h"
#include "columnar.h"

/* ---- text blocks ---------------------------------------------------------------------------- */

struct sl__tblock {
    struct sl__tblock *next;
    size_t cap;
    char data[];
};

#define TBLOCK_SIZE ((size_t)1 << 20)

char *sl__tbuf_reserve(sl__tbuf *t, size_t n)
{
    if (SL_LIKELY(t->p != NULL && (size_t)(t->end - t->p) >= n))
        return t->p;
    struct sl__tblock *b = NULL;
    if (t->spare && t->spare->cap >= n) {
        b = t->spare;
        t->spare = b->next;
    } else {
        size_t cap = n > TBLOCK_SIZE ? n : TBLOCK_SIZE;
        b = sl_malloc(sizeof *b + cap);
        if (b == NULL)
            return NULL;
        b->cap = cap;
    }
    b->next = t->head;
    t->head = b;
    t->p = b->data;
    t->end = b->data + b->cap;
    return t->p;
}

sl_slice sl__tbuf_copy(sl__tbuf *t, const void *p, size_t n)
{
    char *d = sl__tbuf_reserve(t, n ? n : 1);
    if (d == NULL)
        return SL_SLICE_NULL;
    if (n)
        memcpy(d, p, n);
    return sl__tbuf_commit(t, n);
}

void sl__tbuf_reset(sl__tbuf *t)
{
    while (t->head) { /* keep the blocks for the next call */
        struct sl__tblock *b = t->head;
        t->head = b->next;
        if (b->cap > TBLOCK_SIZE) {
            sl_free(b);
            continue;
        }
        b->next = t->spare;
        t->spare = b;
    }
    t->p = t->end = NULL;
}

void sl__tbuf_free(sl__tbuf *t)
{
    sl__tbuf_reset(t);
    while (t->spare) {
        struct sl__tblock *b = t->spare;
        t->spare = b->next;
        sl_free(b);
    }
}

/* ---- numbers -------------------------------------------------------------------------------- */

size_t sl__cfmt_u64(char *dst, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        dst[i] = tmp[n - 1 - i];
    return n;
}

size_t sl__cfmt_i64(char *dst, int64_t v)
{
    if (v >= 0)
        return sl__cfmt_u64(dst, (uint64_t)v);
    dst[0] = '-';
    return 1 + sl__cfmt_u64(dst + 1, 0 - (uint64_t)v);
}

/* Digits of an unsigned 128-bit value, most significant first. */
static size_t u128_digits(char *dst, unsigned __int128 v)
{
    char tmp[48];
    size_t n = 0;
    while (v > UINT64_MAX) { /* 19 digits at a time through 64-bit arithmetic */
        const uint64_t e19 = 10000000000000000000ull;
        uint64_t lo = (uint64_t)(v % e19);
        v /= e19;
        for (int i = 0; i < 19; i++, lo /= 10)
            tmp[n++] = (char)('0' + lo % 10);
    }
    uint64_t w = (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + w % 10);
        w /= 10;
    } while (w);
    for (size_t i = 0; i < n; i++)
        dst[i] = tmp[n - 1 - i];
    return n;
}

/* Place a decimal point scale digits from the right of the digit string d[0..n). */
static size_t place_point(char *dst, bool neg, const char *d, size_t n, int scale)
{
    size_t k = 0;
    if (neg)
        dst[k++] = '-';
    if (scale <= 0) {
        memcpy(dst + k, d, n);
        return k + n;
    }
    size_t s = (size_t)scale;
    if (n <= s) {
        dst[k++] = '0';
        dst[k++] = '.';
        for (size_t i = n; i < s; i++)
            dst[k++] = '0';
        memcpy(dst + k, d, n);
        return k + n;
    }
    memcpy(dst + k, d, n - s);
    k += n - s;
    dst[k++] = '.';
    memcpy(dst + k, d + n - s, s);
    return k + s;
}

size_t sl__cfmt_dec128(char *dst, sl__i128 v, int scale)
{
    char d[48];
    bool neg = v < 0;
    unsigned __int128 u = neg ? 0 - (unsigned __int128)v : (unsigned __int128)v;
    size_t n = u128_digits(d, u);
    return place_point(dst, neg, d, n, scale);
}

size_t sl__cfmt_dec_be(char *dst, const uint8_t *be, size_t n, int scale)
{
    if (n == 0) {
        dst[0] = '0';
        return 1;
    }
    if (n <= 16) {
        sl__i128 v = (int8_t)be[0]; /* sign extension */
        for (size_t i = 1; i < n; i++)
            v = (sl__i128)((unsigned __int128)v << 8 | be[i]);
        return sl__cfmt_dec128(dst, v, scale);
    }
    /* Wider (Arrow decimal256, long FIXED_LEN_BYTE_ARRAY): magnitude in base-2^32 limbs,
     * repeated division by 10^9. */
    uint8_t mag[32];
    size_t m = n > 32 ? 32 : n;
    const uint8_t *src = be + (n - m);
    bool neg = be[0] & 0x80;
    unsigned carry = 1;
    for (size_t i = m; i-- > 0;) { /* two's complement negation when negative */
        unsigned b = neg ? (unsigned)(uint8_t)~src[i] + carry : src[i];
        carry = neg ? b >> 8 : 0;
        mag[i] = (uint8_t)b;
    }
    uint32_t limb[8] = {0};
    size_t nl = (m + 3) / 4;
    for (size_t i = 0; i < m; i++) {
        size_t bit = (m - 1 - i) * 8;
        limb[bit / 32] |= (uint32_t)mag[i] << (bit % 32);
    }
    char digits[96];
    size_t nd = 0;
    for (;;) {
        while (nl > 0 && limb[nl - 1] == 0)
            nl--;
        if (nl == 0)
            break;
        uint64_t rem = 0;
        for (size_t i = nl; i-- > 0;) {
            uint64_t cur = rem << 32 | limb[i];
            limb[i] = (uint32_t)(cur / 1000000000u);
            rem = cur % 1000000000u;
        }
        for (int i = 0; i < 9; i++, rem /= 10)
            digits[nd++] = (char)('0' + rem % 10);
    }
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    if (nd == 0)
        digits[nd++] = '0';
    char d[96];
    for (size_t i = 0; i < nd; i++)
        d[i] = digits[nd - 1 - i];
    return place_point(dst, neg, d, nd, scale);
}

/* ---- dates and times ------------------------------------------------------------------------ */

/* Civil date of a day count since 1970-01-01 (proleptic Gregorian), for any int64 input. */
static void civil(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    uint64_t doe = (uint64_t)(days - era * 146097);
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    uint64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static size_t put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
    return 2;
}

size_t sl__cfmt_date(char *dst, int64_t days)
{
    if (days > 1000000000 || days < -1000000000)
        days = days > 0 ? 1000000000 : -1000000000; /* far out of any table's range anyway */
    int64_t y;
    unsigned m, d;
    civil(days, &y, &m, &d);
    size_t k = 0;
    if (y >= 0 && y <= 9999) {
        k += put2(dst, (unsigned)(y / 100));
        k += put2(dst + k, (unsigned)(y % 100));
    } else {
        k += sl__cfmt_i64(dst, y);
    }
    dst[k++] = '-';
    k += put2(dst + k, m);
    dst[k++] = '-';
    k += put2(dst + k, d);
    return k;
}

static size_t put_frac(char *dst, uint32_t nanos)
{
    if (nanos == 0)
        return 0;
    size_t k = 0;
    dst[k++] = '.';
    unsigned digits = nanos % 1000 ? 9 : 6;
    uint32_t v = digits == 9 ? nanos : nanos / 1000;
    for (unsigned i = digits; i-- > 0; v /= 10)
        dst[k + i] = (char)('0' + v % 10);
    return k + digits;
}

size_t sl__cfmt_datetime(char *dst, int64_t secs, uint32_t nanos)
{
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t sod = secs - days * 86400;
    size_t k = sl__cfmt_date(dst, days);
    dst[k++] = ' ';
    k += put2(dst + k, (unsigned)(sod / 3600));
    dst[k++] = ':';
    k += put2(dst + k, (unsigned)(sod / 60 % 60));
    dst[k++] = ':';
    k += put2(dst + k, (unsigned)(sod % 60));
    return k + put_frac(dst + k, nanos);
}

size_t sl__cfmt_time(char *dst, int64_t nanos_of_day)
{
    bool neg = nanos_of_day < 0;
    uint64_t v = neg ? 0 - (uint64_t)nanos_of_day : (uint64_t)nanos_of_day;
    uint64_t s = v / 1000000000u;
    size_t k = 0;
    if (neg)
        dst[k++] = '-';
    if (s / 3600 > 99)
        k += sl__cfmt_u64(dst + k, s / 3600);
    else
        k += put2(dst + k, (unsigned)(s / 3600));
    dst[k++] = ':';
    k += put2(dst + k, (unsigned)(s / 60 % 60));
    dst[k++] = ':';
    k += put2(dst + k, (unsigned)(s % 60));
    return k + put_frac(dst + k, (uint32_t)(v % 1000000000u));
}

void sl__split_ts(int64_t v, int64_t per_sec, int64_t *secs, uint32_t *nanos)
{
    int64_t s = v / per_sec, r = v % per_sec;
    if (r < 0)
        r += per_sec, s--;
    *secs = s;
    *nanos = (uint32_t)(r * (1000000000 / per_sec));
}

/* ---- floating point --------------------------------------------------------------------------- */

static size_t special(char *dst, double v)
{
    if (isnan(v))
        return memcpy(dst, "nan", 3), 3;
    if (v > 0)
        return memcpy(dst, "inf", 3), 3;
    return memcpy(dst, "-inf", 4), 4;
}

size_t sl__cfmt_double(char *dst, double v)
{
    if (!isfinite(v))
        return special(dst, v);
    if (v == 0 && signbit(v))
        return memcpy(dst, "-0", 2), 2;
    if (v == (double)(int64_t)v && fabs(v) < 1e15)
        return sl__cfmt_i64(dst, (int64_t)v);
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(dst, 32, "%.*g", prec, v);
        if (strtod(dst, NULL) == v)
            break;
    }
    return (size_t)n;
}

size_t sl__cfmt_float(char *dst, float v)
{
    if (!isfinite(v))
        return special(dst, v);
    if (v == 0 && signbit(v))
        return memcpy(dst, "-0", 2), 2;
    if (v == (float)(int32_t)v && fabsf(v) < 1e7f)
        return sl__cfmt_i64(dst, (int32_t)v);
    int n = 0;
    for (int prec = 6; prec <= 9; prec++) {
        n = snprintf(dst, 32, "%.*g", prec, (double)v);
        if (strtof(dst, NULL) == v)
            break;
    }
    return (size_t)n;
}

float sl__half_to_float(uint16_t h)
{
    unsigned sign = h >> 15, exp = h >> 10 & 0x1f, man = h & 0x3ff;
    float v;
    if (exp == 0)
        v = ldexpf((float)man, -24);
    else if (exp == 31)
        v = man ? NAN : INFINITY;
    else
        v = ldexpf((float)(man | 0x400), (int)exp - 25);
    return sign ? -v : v;
}

/* ---- JSON ------------------------------------------------------------------------------------- */

void sl__json_put(sl_buf *b, sl__jkind k, sl_slice v)
{
    if (v.p == NULL) {
        sl_buf_append(b, "null", 4);
        return;
    }
    switch (k) {
    case SL_JK_BOOL:
        if (v.n == 1 && v.p[0] == '0')
            sl_buf_append(b, "false", 5);
        else
            sl_buf_append(b, "true", 4);
        return;
    case SL_JK_NUM:
        if (v.n && (v.p[v.n - 1] == 'n' || v.p[v.n - 1] == 'f')) /* nan, inf: not JSON numbers */
            break;
        /* fall through */
    case SL_JK_JSON: sl_buf_append(b, v.p, v.n); return;
    case SL_JK_STR: break;
    }
    sl_json_str_bytes(b, v.p, v.n); /* a string that is not UTF-8 is not changed on the way */
}

void sl__json_key(sl_buf *b, sl__jkind k, sl_slice v)
{
    if (v.p == NULL)
        sl_buf_append(b, "\"null\"", 6);
    else if (k == SL_JK_STR || k == SL_JK_NUM || k == SL_JK_JSON)
        sl_json_str_bytes(b, v.p, v.n);
    else
        sl_buf_append(b, v.n == 1 && v.p[0] == '0' ? "\"false\"" : "\"true\"",
                      v.n == 1 && v.p[0] == '0' ? 7 : 6);
    sl_buf_putc(b, ':');
}

/* ---- rows ------------------------------------------------------------------------------------- */

sl_code sl__col_emit(sl_rawbatch *rb, const sl_slice *names, sl_slice *const *cols, size_t n_cols,
                     size_t n_rows, uint64_t first_row, sl_err *err)
{
    for (size_t r = 0; r < n_rows; r++) {
        for (size_t c = 0; c < n_cols; c++) {
            if (cols[c] == NULL)
                continue;
            if (sl_rawbatch_named_field(rb, names[c], cols[c][r]) != SL_OK)
                return sl_fail(err, SL_NOMEM, "out of memory for decoded rows");
        }
        if (sl_rawbatch_row(rb, SL_LIT(""), first_row + r + 1) != SL_OK)
            return sl_fail(err, SL_NOMEM, "out of memory for decoded rows");
    }
    return SL_OK;
}
