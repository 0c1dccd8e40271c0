/*
 * func_cast.c - CAST and the implicit conversions the binder inserts (expr stage).
 *
 * Text -> number/date follows the non-strict load casts of specs/doris-stream-load.md §8: bad
 * text or overflow gives NULL. These parsers are a local stand-in for src/batch/convert.c (being
 * written in parallel): the expression engine stays independent of it, and the rules here are
 * the subset expressions need (no time-zone suffixes on datetimes, fractions past 6 digits are
 * truncated). Number -> text uses the shortest round-trip form for doubles.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../batch/convert.h"
#include "internal.h"

/* ---- civil dates (Howard Hinnant's algorithms, proleptic Gregorian) ---- */

int64_t sl__days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void sl__civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

bool sl__valid_ymd(int64_t y, unsigned m, unsigned d)
{
    static const unsigned char mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 0 || y > 9999 || m < 1 || m > 12 || d < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= (unsigned)mdays[m - 1] + (m == 2 && leap);
}

/* 10^k by table: decimal arithmetic asks for it per value (rescale, the 38-digit limit). */
#define P19 ((sl_i128)10000000000000000000u)
static const sl_i128 POW10[39] = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
    10000000000, 100000000000, 1000000000000, 10000000000000, 100000000000000,
    1000000000000000, 10000000000000000, 100000000000000000, 1000000000000000000, P19,
    P19 * 10, P19 * 100, P19 * 1000, P19 * 10000, P19 * 100000, P19 * 1000000, P19 * 10000000,
    P19 * 100000000, P19 * 1000000000, P19 * 10000000000, P19 * 100000000000,
    P19 * 1000000000000, P19 * 10000000000000, P19 * 100000000000000, P19 * 1000000000000000,
    P19 * 10000000000000000, P19 * 100000000000000000, P19 * 1000000000000000000, P19 * P19};

sl_i128 sl__pow10(unsigned k)
{
    if (k < 39)
        return POW10[k];
    sl_i128 v = POW10[38]; /* past 10^38 (callers stay below; wraps as the loop did) */
    for (k -= 38; k--;)
        v *= 10;
    return v;
}

/* ---- text -> values ---- */

static bool is_dig(char c)
{
    return c >= '0' && c <= '9';
}

bool sl__text_to_i128(sl_slice s, sl_i128 *out)
{
    const sl_i128 max = (sl_i128)(((unsigned __int128)1 << 127) - 1);
    size_t i = 0, digits = 0;
    bool neg = false;
    sl_i128 v = 0;
    s = sl_slice_trim(s);
    if (i < s.n && (s.p[i] == '+' || s.p[i] == '-'))
        neg = s.p[i++] == '-';
    for (; i < s.n && is_dig(s.p[i]); i++, digits++) {
        if (v > (max - (s.p[i] - '0')) / 10)
            return false;
        v = v * 10 + (s.p[i] - '0');
    }
    if (i < s.n && s.p[i] == '.') /* a fraction is accepted and truncated */
        for (i++; i < s.n && is_dig(s.p[i]); i++)
            digits++;
    if (i != s.n || digits == 0)
        return false;
    *out = neg ? -v : v;
    return true;
}

bool sl__text_to_i64(sl_slice s, int64_t *out)
{
    sl_i128 v;
    if (!sl__text_to_i128(s, &v) || v < INT64_MIN || v > INT64_MAX)
        return false;
    *out = (int64_t)v;
    return true;
}

bool sl__text_to_double(sl_slice s, double *out)
{
    /* The load-time cast (batch/convert.c): a fast path for plain decimals, Doris's rules. */
    static const sl_type dbl = {.id = SL_DOUBLE};
    const sl_conv_ctx ctx = {0};
    sl_datum d;
    if (sl_convert(&dbl, s, &d, &ctx) != SL_CONV_OK)
        return false;
    *out = d.d;
    return true;
}

/* Digits of a decimal number as 0.D x 10^pt with leading zeros dropped. */
typedef struct decnum {
    char d[80];      /* significant digits (at most 80 kept; more cannot matter at 38) */
    size_t nd;
    long pt;
    bool neg;
} decnum;

static bool scan_decimal(sl_slice s, decnum *x)
{
    size_t i = 0, seen = 0;
    long exp = 0;
    memset(x, 0, sizeof *x);
    if (i < s.n && (s.p[i] == '+' || s.p[i] == '-'))
        x->neg = s.p[i++] == '-';
    for (bool frac = false; i < s.n; i++) {
        if (s.p[i] == '.' && !frac) {
            frac = true;
            continue;
        }
        if (!is_dig(s.p[i]))
            break;
        seen++;
        if (x->nd == 0 && s.p[i] == '0') {
            x->pt -= frac;
            continue;
        }
        if (x->nd < sizeof x->d)
            x->d[x->nd++] = s.p[i];
        x->pt += !frac;
    }
    if (seen && i < s.n && (s.p[i] == 'e' || s.p[i] == 'E')) {
        char *end;
        char buf[16];
        size_t k = 0;
        for (i++; i < s.n && k < sizeof buf - 1; i++)
            buf[k++] = s.p[i];
        buf[k] = '\0';
        exp = strtol(buf, &end, 10);
        if (k == 0 || *end || exp > 1000 || exp < -1000)
            return false;
    }
    x->pt += exp;
    return seen > 0 && i == s.n;
}

bool sl__text_to_decimal(sl_slice s, unsigned prec, unsigned scale, sl_i128 *out)
{
    decnum x;
    sl_i128 v = 0;
    if (!scan_decimal(sl_slice_trim(s), &x))
        return false;
    long keep = x.pt + (long)scale; /* digits of D that land at or left of the last place */
    if (keep > (long)prec)
        return x.nd == 0 ? (*out = 0, true) : false;
    for (long k = 0; k < keep; k++)
        v = v * 10 + ((size_t)k < x.nd ? x.d[k] - '0' : 0);
    if (keep >= 0 && (size_t)keep < x.nd && x.d[keep] >= '5')
        v++;
    if (v >= sl__pow10(prec))
        return false;
    *out = x.neg ? -v : v;
    return true;
}

bool sl__text_to_bool(sl_slice s, int64_t *out)
{
    s = sl_slice_trim(s);
    if (sl_slice_ieq(s, "1") || sl_slice_ieq(s, "t") || sl_slice_ieq(s, "true"))
        return *out = 1, true;
    if (sl_slice_ieq(s, "0") || sl_slice_ieq(s, "f") || sl_slice_ieq(s, "false"))
        return *out = 0, true;
    return false;
}

/* Up to max digits at s[*i]; returns the count read (0: none). */
static size_t digits(sl_slice s, size_t *i, size_t max, unsigned *v)
{
    size_t k = 0;
    *v = 0;
    while (*i < s.n && k < max && is_dig(s.p[*i]))
        *v = *v * 10 + (unsigned)(s.p[(*i)++] - '0'), k++;
    return k;
}

/* The fraction after the '.' at s[*i], in microseconds: digits past the sixth are read and
 * dropped. *i ends after the digits. */
static void frac_us(sl_slice s, size_t *i, unsigned *us)
{
    ++*i;
    size_t nd = digits(s, i, 6, us);
    while (nd && nd < 6)
        *us *= 10, nd++;
    while (*i < s.n && is_dig(s.p[*i]))
        ++*i;
}

static int64_t year2(unsigned y, size_t nd)
{
    return nd <= 2 ? (y < 70 ? 2000 + y : 1900 + y) : y;
}

/* Compact forms: YYYYMMDD, YYMMDD, YYYYMMDDHHMMSS, YYMMDDHHMMSS (optionally .frac). */
static bool split_compact(sl_slice s, unsigned f[7], int64_t *y)
{
    size_t n = 0, i = 0, yl;
    while (n < s.n && is_dig(s.p[n]))
        n++;
    if (n != 6 && n != 8 && n != 12 && n != 14)
        return false;
    yl = (n == 8 || n == 14) ? 4 : 2;
    digits(s, &i, yl, &f[0]);
    *y = year2(f[0], yl);
    for (int k = 1; k < 6 && i < n; k++)
        digits(s, &i, 2, &f[k]);
    if (i < s.n && s.p[i] == '.' && n >= 12)
        frac_us(s, &i, &f[6]);
    return i == s.n;
}

/* Delimited form: Y sep M sep D [sep H [sep M [sep S [.frac]]]] with any punctuation, space or
 * 'T' as separators (non-strict load rules). */
static bool split_delimited(sl_slice s, unsigned f[7], int64_t *y)
{
    size_t i = 0, nd;
    if ((nd = digits(s, &i, 4, &f[0])) == 0)
        return false;
    *y = year2(f[0], nd);
    for (int k = 1; k < 6; k++) {
        if (i == s.n)
            return k >= 3;
        size_t sep = i;
        while (i < s.n && (!isalnum((unsigned char)s.p[i]) || (k == 3 && s.p[i] == 'T')))
            i++;
        if (i == sep || digits(s, &i, 2, &f[k]) == 0)
            return false;
    }
    if (i < s.n && s.p[i] == '.')
        frac_us(s, &i, &f[6]);
    return i == s.n;
}

bool sl__text_to_datetime(sl_slice s, int64_t *us)
{
    /* The load-time cast first (its canonical fast path covers what loads carry); the local
     * field splitter only for what it does not take. */
    static const sl_type dt6 = {.id = SL_DATETIME, .precision = 6};
    const sl_conv_ctx ctx = {0};
    sl_datum d;
    if (sl_convert(&dt6, s, &d, &ctx) == SL_CONV_OK) {
        *us = d.i;
        return true;
    }
    unsigned f[7] = {0, 0, 0, 0, 0, 0, 0};
    int64_t y = 0;
    s = sl_slice_trim(s);
    if (s.n == 0 || !is_dig(s.p[0]))
        return false;
    if (!split_compact(s, f, &y) && (memset(f, 0, sizeof f), !split_delimited(s, f, &y)))
        return false;
    if (!sl__valid_ymd(y, f[1], f[2]) || f[3] > 23 || f[4] > 59 || f[5] > 59)
        return false;
    *us = sl__days_from_civil(y, f[1], f[2]) * SL__US_PER_DAY +
          ((int64_t)f[3] * 3600 + f[4] * 60 + f[5]) * 1000000 + f[6];
    return true;
}

/* ---- values -> text ---- */

size_t sl__fmt_date(int64_t days, char *buf)
{
    int64_t y;
    unsigned m, d;
    sl__civil_from_days(days, &y, &m, &d);
    return (size_t)snprintf(buf, 64, "%04lld-%02u-%02u", (long long)y, m, d);
}

size_t sl__fmt_datetime(int64_t us, unsigned prec, char *buf)
{
    int64_t days = sl__floordiv(us, SL__US_PER_DAY), rem = us - days * SL__US_PER_DAY;
    int64_t secs = rem / 1000000, frac = rem % 1000000;
    size_t n = sl__fmt_date(days, buf);
    n += (size_t)snprintf(buf + n, 64 - n, " %02d:%02d:%02d", (int)(secs / 3600),
                          (int)(secs / 60 % 60), (int)(secs % 60));
    if (prec > 6)
        prec = 6;
    if (prec) {
        char f[8];
        snprintf(f, sizeof f, "%06d", (int)frac);
        buf[n++] = '.';
        memcpy(buf + n, f, prec);
        n += prec;
        buf[n] = '\0';
    }
    return n;
}

size_t sl__fmt_i128(sl_i128 v, char *buf)
{
    char tmp[48];
    size_t n = 0, k = 0;
    unsigned __int128 u = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
    do
        tmp[k++] = (char)('0' + (int)(u % 10));
    while ((u /= 10) != 0);
    if (v < 0)
        buf[n++] = '-';
    while (k)
        buf[n++] = tmp[--k];
    buf[n] = '\0';
    return n;
}

size_t sl__fmt_decimal(sl_i128 v, unsigned scale, char *buf)
{
    char digs[48];
    size_t nd = sl__fmt_i128(v < 0 ? -v : v, digs), n = 0;
    if (v < 0)
        buf[n++] = '-';
    if (nd <= scale) {
        buf[n++] = '0';
    } else {
        memcpy(buf + n, digs, nd - scale);
        n += nd - scale;
    }
    if (scale) {
        buf[n++] = '.';
        for (size_t k = nd; k < scale; k++)
            buf[n++] = '0';
        size_t from = nd > scale ? nd - scale : 0;
        memcpy(buf + n, digs + from, nd - from);
        n += nd - from;
    }
    buf[n] = '\0';
    return n;
}

size_t sl__fmt_double(double v, char *buf)
{
    if (isnan(v))
        return (size_t)snprintf(buf, 64, "NaN");
    if (isinf(v))
        return (size_t)snprintf(buf, 64, v < 0 ? "-Infinity" : "Infinity");
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, 64, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return strlen(buf);
}

/* ---- the cast kernel ---- */

static bool int_fits(uint8_t id, sl_i128 v)
{
    switch (id) {
    case SL_TINYINT: return v >= INT8_MIN && v <= INT8_MAX;
    case SL_SMALLINT: return v >= INT16_MIN && v <= INT16_MAX;
    case SL_INT: return v >= INT32_MIN && v <= INT32_MAX;
    case SL_BOOLEAN: return true;
    default: return v >= INT64_MIN && v <= INT64_MAX;
    }
}

/* DATE -> yyyymmdd and DATETIME -> yyyymmddhhmmss as numbers (MySQL's numeric context). */
static int64_t date_number(int cls, int64_t v)
{
    int64_t days = cls == C_DATE ? v : sl__floordiv(v, SL__US_PER_DAY), y;
    unsigned m, d;
    sl__civil_from_days(days, &y, &m, &d);
    int64_t n = y * 10000 + m * 100 + d;
    if (cls == C_DT) {
        int64_t s = (v - days * SL__US_PER_DAY) / 1000000;
        n = n * 1000000 + s / 3600 * 10000 + s / 60 % 60 * 100 + s % 60;
    }
    return n;
}

/* Any non-text value as an exact integer (decimals and doubles truncate toward zero). */
static bool to_i128(const sl_vec *in, size_t i, sl_i128 *out)
{
    const sl_datum *v = &in->v[i];
    switch (sl__cls_of(in->type.id)) {
    case C_INT: *out = v->i; return true;
    case C_LARGE: *out = v->w; return true;
    case C_DEC: *out = v->w / sl__pow10(in->type.scale); return true;
    case C_FLOAT:
        if (!(v->d > -1.7e38 && v->d < 1.7e38))
            return false;
        *out = (sl_i128)v->d;
        return true;
    case C_DATE:
    case C_DT: *out = date_number(sl__cls_of(in->type.id), v->i); return true;
    case C_TEXT: return sl__text_to_i128((sl_slice){v->s.p, v->s.n}, out);
    default: return false;
    }
}

static bool to_double(const sl_vec *in, size_t i, double *out)
{
    const sl_datum *v = &in->v[i];
    char buf[64];
    switch (sl__cls_of(in->type.id)) {
    case C_INT: *out = (double)v->i; return true;
    case C_LARGE: *out = (double)v->w; return true;
    case C_DEC:
        sl__fmt_decimal(v->w, in->type.scale, buf); /* exact: via text */
        *out = strtod(buf, NULL);
        return true;
    case C_FLOAT: *out = v->d; return true;
    case C_DATE:
    case C_DT: *out = (double)date_number(sl__cls_of(in->type.id), v->i); return true;
    case C_TEXT: return sl__text_to_double((sl_slice){v->s.p, v->s.n}, out);
    default: return false;
    }
}

static bool to_decimal(const sl_vec *in, size_t i, sl_type t, sl_i128 *out)
{
    const sl_datum *v = &in->v[i];
    char buf[80];
    int cls = sl__cls_of(in->type.id);
    if (cls == C_TEXT)
        return sl__text_to_decimal((sl_slice){v->s.p, v->s.n}, t.precision, t.scale, out);
    if (cls == C_FLOAT) {
        if (!isfinite(v->d))
            return false;
        snprintf(buf, sizeof buf, "%.17g", v->d);
    } else if (cls == C_DEC) {
        sl__fmt_decimal(v->w, in->type.scale, buf);
    } else {
        sl_i128 w;
        if (!to_i128(in, i, &w))
            return false;
        sl__fmt_i128(w, buf);
    }
    return sl__text_to_decimal(sl_slice_of(buf), t.precision, t.scale, out);
}

/* Any value as a DATETIME in microseconds. */
static bool to_datetime(const sl_vec *in, size_t i, int64_t *out)
{
    const sl_datum *v = &in->v[i];
    char buf[64];
    switch (sl__cls_of(in->type.id)) {
    case C_DATE: *out = v->i * SL__US_PER_DAY; return true;
    case C_DT: *out = v->i; return true;
    case C_TEXT: return sl__text_to_datetime((sl_slice){v->s.p, v->s.n}, out);
    case C_INT: snprintf(buf, sizeof buf, "%lld", (long long)v->i); break;
    default: return false;
    }
    return sl__text_to_datetime(sl_slice_of(buf), out);
}

static bool to_text(const sl_vec *in, size_t i, sl_type t, sl__env *env, sl_datum *out)
{
    const sl_datum *v = &in->v[i];
    char buf[96];
    size_t n;
    switch (sl__cls_of(in->type.id)) {
    case C_TEXT: *out = *v; n = v->s.n; break;
    case C_INT: n = (size_t)snprintf(buf, sizeof buf, "%lld", (long long)v->i); break;
    case C_LARGE: n = sl__fmt_i128(v->w, buf); break;
    case C_DEC: n = sl__fmt_decimal(v->w, in->type.scale, buf); break;
    case C_FLOAT: n = sl__fmt_double(in->type.id == SL_FLOAT ? (double)(float)v->d : v->d, buf); break;
    case C_DATE: n = sl__fmt_date(v->i, buf); break;
    case C_DT: n = sl__fmt_datetime(v->i, in->type.precision, buf); break;
    default: return false;
    }
    if (sl__cls_of(in->type.id) != C_TEXT && !sl__expr_text(env, out, buf, n))
        return false;
    if ((t.id == SL_CHAR || t.id == SL_VARCHAR) && t.len && out->s.n > t.len)
        out->s.n = t.len;
    return true;
}

/* Round a DATETIME to prec fractional digits, half up. */
static int64_t round_us(int64_t us, unsigned prec)
{
    int64_t unit = 1;
    for (unsigned k = prec; k < 6; k++)
        unit *= 10;
    if (unit == 1)
        return us;
    return sl__floordiv(us + unit / 2, unit) * unit;
}

/* One row of a cast; false gives NULL (or, with env->err set, out of memory). */
static bool cast_one(const sl_vec *in, size_t i, sl_type to, sl__env *env, sl_datum *o)
{
    sl_i128 w;
    int64_t us;
    int c = sl__expr_cast_complex(in, i, to, env, o);
    if (c >= 0)
        return c == 1;
    switch (sl__cls_of(to.id)) {
    case C_INT:
        if (to.id == SL_BOOLEAN && sl__cls_of(in->type.id) == C_TEXT)
            return sl__text_to_bool((sl_slice){in->v[i].s.p, in->v[i].s.n}, &o->i);
        if (to.id == SL_BOOLEAN && sl__cls_of(in->type.id) == C_FLOAT)
            return o->i = in->v[i].d != 0, true;
        if (!to_i128(in, i, &w) || !int_fits(to.id, w))
            return false;
        o->i = to.id == SL_BOOLEAN ? w != 0 : (int64_t)w;
        return true;
    case C_LARGE: return to_i128(in, i, &o->w);
    case C_DEC: return to_decimal(in, i, to, &o->w);
    case C_FLOAT:
        if (!to_double(in, i, &o->d))
            return false;
        if (to.id == SL_FLOAT)
            o->d = (float)o->d;
        return true;
    case C_DATE:
        if (!to_datetime(in, i, &us))
            return false;
        o->i = sl__floordiv(us, SL__US_PER_DAY);
        return true;
    case C_DT:
        if (!to_datetime(in, i, &us))
            return false;
        o->i = round_us(us, to.precision);
        return sl__floordiv(o->i, SL__US_PER_DAY) <= SL__MAX_DAYS;
    case C_TEXT: return to_text(in, i, to, env, o);
    default: return false;
    }
}

sl_code sl__expr_cast(const sl_vec *in, sl_type to, sl__env *env, sl_vec *out)
{
    if (memcmp(&in->type, &to, sizeof to) == 0 || sl__cls_of(in->type.id) == C_NULL) {
        for (size_t i = 0; i < env->n; i++)
            if (!out->null[i])
                out->v[i] = in->v[i];
        return SL_OK;
    }
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        if (!cast_one(in, i, to, env, &out->v[i])) {
            if (env->oom)
                return SL_NOMEM;
            out->null[i] = 1;
        }
    }
    return SL_OK;
}
