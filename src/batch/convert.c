/*
 * convert.c - text to typed value, and typed value to text (batch stage).
 *
 * The mapper calls sl_convert once per loaded cell, so every parser here is hand-written and
 * allocation-free: integers and decimals never touch strtol/strtod, doubles take a fast path
 * (Clinger: at most 19 digits, mantissa <= 2^53, |exponent| <= 22 gives an exactly rounded
 * result from one multiplication or division) and fall back to strtod on a normalised copy in
 * a stack buffer, because inputs are slices without a NUL terminator.
 *
 * The accepted spellings are Doris 2.1/3.0's non-strict load casts (specs/doris-stream-load.md
 * §7-§8): bad input gives SL_CONV_NULL and the caller applies strict mode. Dates follow the
 * field scanner of Doris's DateV2Value::from_date_str (compact YYYYMMDD[HHMMSS] or delimited
 * fields, any punctuation as a separator, 2-digit years, an optional zone suffix).
 *
 * sl_convert_fast converts a whole column's canonical cells first (plain integers, decimals
 * I.F, YYYY-MM-DD) with SWAR word arithmetic, each answer exactly sl_convert's (tested
 * differentially); every other cell falls back to sl_convert.
 *
 *   text cell --> sl_convert --> sl_datum (int64 | int128 | double | borrowed slice)
 *   sl_datum  --> sl_format_* --> text for the HTTP SQL API and the error log
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/tz.h"
#include "complex.h"
#include "convert.h"

__extension__ typedef unsigned __int128 u128;

/* ---- characters (ASCII only, independent of the C locale) ---------------------------------- */

static inline bool is_digit(char c)
{
    return (unsigned)(c - '0') < 10u;
}

static inline bool is_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static inline bool is_alpha(char c)
{
    return (unsigned)((c | 0x20) - 'a') < 26u;
}

static inline bool is_punct(char c)
{
    return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
           (c >= '{' && c <= '~');
}

static inline char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c | 0x20) : c;
}

/* True when p[0..n) equals the lower-case word w, ignoring case. */
static bool word_ieq(const char *p, size_t n, const char *w)
{
    size_t i = 0;
    for (; i < n && w[i]; i++)
        if (lower(p[i]) != w[i])
            return false;
    return i == n && w[i] == '\0';
}

static const uint64_t P10[20] = {1u,
                                 10u,
                                 100u,
                                 1000u,
                                 10000u,
                                 100000u,
                                 1000000u,
                                 10000000u,
                                 100000000u,
                                 1000000000u,
                                 10000000000u,
                                 100000000000u,
                                 1000000000000u,
                                 10000000000000u,
                                 100000000000000u,
                                 1000000000000000u,
                                 10000000000000000u,
                                 100000000000000000u,
                                 1000000000000000000u,
                                 10000000000000000000u};

/* 10^k for k <= 38 (10^38 < 2^127). */
static u128 pow10_128(unsigned k)
{
    return k <= 19 ? (u128)P10[k] : (u128)P10[19] * P10[k - 19];
}

/* ---- integers ------------------------------------------------------------------------------ */

/* Scan trimmed integer text: [+-] digits [. digits]. Doris truncates the fraction, and accepts
 * "123." and ".5" (at least one digit somewhere). On success *d and *nd are the integer digits
 * without leading zeros, and *lossy tells whether the fraction had a non-zero digit (strict
 * mode refuses "3.12" but nothing is lost in "3.00"). */
static bool scan_int(sl_slice s, bool *neg, const char **d, size_t *nd, bool *lossy)
{
    const char *p = s.p, *e = s.p + s.n;
    *neg = false;
    if (p < e && (*p == '-' || *p == '+'))
        *neg = *p++ == '-';
    const char *ds = p;
    while (p < e && is_digit(*p))
        p++;
    size_t n_int = (size_t)(p - ds);
    size_t n_frac = 0;
    *lossy = false;
    if (p < e && *p == '.') {
        const char *f = ++p;
        for (; p < e && is_digit(*p); p++)
            *lossy |= *p != '0';
        n_frac = (size_t)(p - f);
    }
    if (p != e || n_int + n_frac == 0)
        return false;
    while (n_int && *ds == '0')
        ds++, n_int--;
    *d = ds;
    *nd = n_int;
    return true;
}

/* Integer column in [lo, hi] (TINYINT..BIGINT). More than 19 significant digits cannot fit.
 * A truncated non-zero fraction gives the value with SL_CONV_LOSSY. */
static sl_conv conv_int64(sl_slice s, int64_t lo, int64_t hi, sl_datum *out)
{
    bool neg, lossy;
    const char *d;
    size_t nd;
    if (!scan_int(sl_slice_trim(s), &neg, &d, &nd, &lossy) || nd > 19)
        return SL_CONV_NULL;
    uint64_t m = 0;
    for (size_t i = 0; i < nd; i++)
        m = m * 10 + (uint64_t)(d[i] - '0');
    uint64_t lim = neg ? (uint64_t)(-(lo + 1)) + 1 : (uint64_t)hi;
    if (m > lim)
        return SL_CONV_NULL;
    out->i = m == 0 ? 0 : neg ? -(int64_t)(m - 1) - 1 : (int64_t)m;
    return lossy ? SL_CONV_LOSSY : SL_CONV_OK;
}

/* LARGEINT: int128. 39 digits may or may not fit in 128 bits, so the last one is checked. */
static sl_conv conv_int128(sl_slice s, sl_datum *out)
{
    bool neg, lossy;
    const char *d;
    size_t nd;
    if (!scan_int(sl_slice_trim(s), &neg, &d, &nd, &lossy) || nd > 39)
        return SL_CONV_NULL;
    u128 m = 0;
    for (size_t i = 0; i < nd; i++) {
        unsigned c = (unsigned)(d[i] - '0');
        if (i == 38 && m > (~(u128)0 - c) / 10)
            return SL_CONV_NULL;
        m = m * 10 + c;
    }
    u128 lim = ((u128)1 << 127) - (neg ? 0 : 1);
    if (m > lim)
        return SL_CONV_NULL;
    out->w = m == 0 ? 0 : neg ? -(sl_i128)(m - 1) - 1 : (sl_i128)m;
    return lossy ? SL_CONV_LOSSY : SL_CONV_OK;
}

/* ---- numbers with fraction and exponent ---------------------------------------------------- */

/* Exponents are saturated here: beyond +-10^9 every type is 0, infinity or overflow anyway,
 * and the saturation keeps the arithmetic on them in int64. */
#define EXP_SAT 1000000000

typedef struct num_text {
    bool neg;
    const char *ip; /* integer digits */
    size_t ni;
    const char *fp; /* fraction digits */
    size_t nf;
    int64_t exp;    /* value of the exponent part, saturated at +-EXP_SAT */
} num_text;

/* Scan trimmed text [+-] digits [. digits] [e [+-] digits] with at least one mantissa digit. */
static bool scan_num(sl_slice s, num_text *t)
{
    const char *p = s.p, *e = s.p + s.n;
    t->neg = false;
    if (p < e && (*p == '-' || *p == '+'))
        t->neg = *p++ == '-';
    t->ip = p;
    while (p < e && is_digit(*p))
        p++;
    t->ni = (size_t)(p - t->ip);
    t->fp = p;
    t->nf = 0;
    if (p < e && *p == '.') {
        t->fp = ++p;
        while (p < e && is_digit(*p))
            p++;
        t->nf = (size_t)(p - t->fp);
    }
    if (t->ni + t->nf == 0)
        return false;
    t->exp = 0;
    if (p < e && (*p == 'e' || *p == 'E')) {
        bool eneg = false;
        if (++p < e && (*p == '-' || *p == '+'))
            eneg = *p++ == '-';
        if (p == e)
            return false;
        for (; p < e && is_digit(*p); p++)
            if (t->exp < EXP_SAT)
                t->exp = t->exp * 10 + (*p - '0');
        if (eneg)
            t->exp = -t->exp;
    }
    return p == e;
}

/* "inf", "infinity", "nan" with an optional sign, any case. */
static bool parse_special(sl_slice s, double *out)
{
    bool neg = false;
    if (s.n && (s.p[0] == '-' || s.p[0] == '+'))
        neg = s.p[0] == '-', s.p++, s.n--;
    if (word_ieq(s.p, s.n, "inf") || word_ieq(s.p, s.n, "infinity"))
        *out = neg ? -HUGE_VAL : HUGE_VAL;
    else if (word_ieq(s.p, s.n, "nan"))
        *out = neg ? -NAN : NAN;
    else
        return false;
    return true;
}

/* 767 significant digits decide the correct rounding of any double; one more sticky digit
 * stands for everything dropped after them. */
#define SLOW_DIGITS 780

/* Correctly rounded value of t through strtod/strtof: the digits are copied into a bounded
 * stack buffer as "[-]DDDDe<exp>" (no decimal point, so the locale does not matter). */
static double slow_parse(const num_text *t, bool as_float)
{
    char buf[SLOW_DIGITS + 32];
    size_t n = 0, total = t->ni + t->nf, i = 0, kept = 0;
    int64_t exp = t->exp - (int64_t)t->nf;
    if (t->neg)
        buf[n++] = '-';
    for (; i < total; i++) {
        char c = i < t->ni ? t->ip[i] : t->fp[i - t->ni];
        if (kept == 0 && c == '0')
            continue;
        if (kept == SLOW_DIGITS) {
            bool sticky = false;
            for (size_t j = i; j < total && !sticky; j++)
                sticky = (j < t->ni ? t->ip[j] : t->fp[j - t->ni]) != '0';
            if (sticky)
                buf[n++] = '1', kept++, exp--;
            exp += (int64_t)(total - i);
            break;
        }
        buf[n++] = c;
        kept++;
    }
    if (kept == 0)
        return t->neg ? -0.0 : 0.0;
    if (exp > 100000)
        exp = 100000; /* already far beyond DBL_MAX with <= 781 digits */
    if (exp < -100000)
        exp = -100000;
    snprintf(buf + n, sizeof buf - n, "e%d", (int)exp);
    return as_float ? (double)strtof(buf, NULL) : strtod(buf, NULL);
}

static const double PD[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                              1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                              1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
static const float PF[11] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f};

/* Text to double (or to float, kept in a double). Too large gives +-Infinity, as in Doris. */
static bool parse_double(sl_slice s, bool as_float, bool special_ok, double *out)
{
    num_text t;
    if (!scan_num(s, &t))
        return special_ok && parse_special(s, out);
    if (t.ni + t.nf <= 19) {
        uint64_t m = 0;
        for (size_t i = 0; i < t.ni; i++)
            m = m * 10 + (uint64_t)(t.ip[i] - '0');
        for (size_t i = 0; i < t.nf; i++)
            m = m * 10 + (uint64_t)(t.fp[i] - '0');
        int64_t e10 = t.exp - (int64_t)t.nf;
        if (!as_float && m <= (1ull << 53) && e10 >= -22 && e10 <= 22) {
            double d = e10 < 0 ? (double)m / PD[-e10] : (double)m * PD[e10];
            *out = t.neg ? -d : d;
            return true;
        }
        if (as_float && m <= (1ull << 24) && e10 >= -10 && e10 <= 10) {
            float f = e10 < 0 ? (float)m / PF[-e10] : (float)m * PF[e10];
            *out = (double)(t.neg ? -f : f);
            return true;
        }
    }
    *out = slow_parse(&t, as_float);
    return true;
}

/* Accumulate the digits d[0..n) into *acc, skipping leading zeros while *sig (significant
 * digits so far) is 0; false when that would make more than p significant digits, which also
 * keeps *acc below 10^38. Digits go in 18 at a time through a uint64_t, so a typical value
 * costs one 128-bit multiply. */
static bool acc_digits(const char *d, size_t n, u128 *acc, unsigned *sig, unsigned p)
{
    size_t i = 0;
    if (*sig == 0)
        while (i < n && d[i] == '0')
            i++;
    if (n - i > p - *sig)
        return false;
    *sig += (unsigned)(n - i);
    while (i < n) {
        size_t k = n - i < 18 ? n - i : 18;
        uint64_t c = 0;
        for (size_t j = 0; j < k; j++)
            c = c * 10 + (uint64_t)(d[i + j] - '0');
        *acc = *acc * P10[k] + c;
        i += k;
    }
    return true;
}

/* DECIMAL(p,s): value = digits(ip ip..fp) * 10^(exp - nf); the unscaled integer is the digit
 * string cut `cut` digits after its start, rounded half-up (away from zero) on the next digit.
 * More than p digits in the result is overflow, which Doris loads as NULL. */
static sl_conv conv_decimal(const sl_type *ty, sl_slice s, sl_datum *out)
{
    unsigned p = ty->precision, sc = ty->scale;
    if (p == 0 || p > 38)
        p = 38;
    if (sc > p)
        sc = p;
    num_text t;
    if (!scan_num(sl_slice_trim(s), &t))
        return SL_CONV_NULL;
    int64_t cut = (int64_t)t.ni + t.exp + (int64_t)sc;
    int64_t total = (int64_t)(t.ni + t.nf);
    u128 acc = 0;
    unsigned sig = 0;
    if (cut > 0) {
        size_t take = (size_t)(cut < total ? cut : total);
        size_t ti = take < t.ni ? take : t.ni;
        if (!acc_digits(t.ip, ti, &acc, &sig, p) || !acc_digits(t.fp, take - ti, &acc, &sig, p))
            return SL_CONV_NULL;
        for (int64_t k = total; k < cut && acc != 0; k++)
            if (++sig > p)
                return SL_CONV_NULL;
            else
                acc *= 10;
    }
    if (cut >= 0 && cut < total) {
        char r = cut < (int64_t)t.ni ? t.ip[cut] : t.fp[cut - (int64_t)t.ni];
        if (r >= '5' && ++acc >= pow10_128(p))
            return SL_CONV_NULL;
    }
    out->w = t.neg ? -(sl_i128)acc : (sl_i128)acc;
    return SL_CONV_OK;
}

/* BOOLEAN before Doris 4.0: 0/1/t/f/true/false in any case, else any finite number (non-zero is
 * true). */
static sl_conv conv_bool(sl_slice s, sl_datum *out)
{
    s = sl_slice_trim(s);
    if (s.n == 1 && (s.p[0] == '1' || s.p[0] == '0')) {
        out->i = s.p[0] == '1';
        return SL_CONV_OK;
    }
    if (word_ieq(s.p, s.n, "t") || word_ieq(s.p, s.n, "true")) {
        out->i = 1;
        return SL_CONV_OK;
    }
    if (word_ieq(s.p, s.n, "f") || word_ieq(s.p, s.n, "false")) {
        out->i = 0;
        return SL_CONV_OK;
    }
    double d;
    if (!parse_double(s, false, false, &d))
        return SL_CONV_NULL;
    out->i = d != 0;
    return SL_CONV_OK;
}

/* ---- dates and times ----------------------------------------------------------------------- */

int64_t sl_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    /* Count from 0000-03-01 so that the leap day ends the year; 146097 days per 400 years. */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                      /* 0..399 */
    int64_t doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* 0..365 */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;              /* 0..146096 */
    return era * 146097 + doe - 719468;                               /* 719468: 0000-03-01 */
}

void sl_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* Doris's date range, 0000-01-01 .. 9999-12-31, in days and seconds. */
#define DAY_MIN (-719528)
#define DAY_END 2932897 /* 10000-01-01 */
#define US_PER_DAY 86400000000LL

enum { F_YEAR, F_MONTH, F_DAY, F_HOUR, F_MINUTE, F_SECOND, F_FRAC, F_N };

typedef struct dt_parts {
    uint32_t v[F_N]; /* field values; v[F_FRAC] in microseconds */
    bool carry;      /* the fraction rounded up to a whole second */
    bool zoned;      /* a zone suffix was given */
    int32_t zone_s;  /* its UTC offset in seconds */
} dt_parts;

/* Where Doris starts reading a time zone: '+', '-HH:' or a letter other than 'T'. */
static bool zone_begins(const char *p, const char *e)
{
    return *p == '+' || (*p == '-' && e - p > 3 && p[3] == ':') || (is_alpha(*p) && *p != 'T');
}

/* The whole of p..e as a zone: Z, UTC, GMT, CST (China, +08:00, as Doris reads it) or
 * +-H[H][[:]MM] up to 14 hours. IANA names need a zone database and are not supported. */
static bool parse_zone(const char *p, const char *e, int32_t *off)
{
    size_t n = (size_t)(e - p);
    if (word_ieq(p, n, "z") || word_ieq(p, n, "utc") || word_ieq(p, n, "gmt")) {
        *off = 0;
        return true;
    }
    if (word_ieq(p, n, "cst")) {
        *off = 8 * 3600;
        return true;
    }
    if (n < 2 || (*p != '+' && *p != '-') || !is_digit(p[1]))
        return false;
    int sign = *p++ == '-' ? -1 : 1;
    int h = *p++ - '0', mi = 0;
    if (p < e && is_digit(*p))
        h = h * 10 + (*p++ - '0');
    if (p < e && *p == ':')
        p++;
    if (e - p == 2 && is_digit(p[0]) && is_digit(p[1]))
        mi = (p[0] - '0') * 10 + (p[1] - '0'), p += 2;
    if (p != e || h > 14 || mi > 59)
        return false;
    *off = sign * (h * 3600 + mi * 60);
    return true;
}

/* Fraction digits at p: the first 6 are microseconds, the rest only round. prec < 0 keeps
 * them as they are (DATE drops them anyway); else round half-up to prec digits. */
static const char *scan_frac(const char *p, const char *e, int prec, dt_parts *o)
{
    uint32_t v = 0;
    unsigned nd = 0;
    for (; p < e && is_digit(*p) && nd < 6; p++, nd++)
        v = v * 10 + (uint32_t)(*p - '0');
    bool up = p < e && is_digit(*p) && *p >= '5';
    while (p < e && is_digit(*p))
        p++;
    v *= (uint32_t)P10[6 - nd];
    if (prec >= 0 && prec < 6) {
        uint32_t div = (uint32_t)P10[6 - prec], rem = v % div;
        v = v - rem + (rem >= div / 2 ? div : 0);
    } else if (prec == 6 && up) {
        v++;
    }
    if (v >= 1000000)
        v -= 1000000, o->carry = true;
    o->v[F_FRAC] = v;
    return p;
}

/*
 * Scan date/time fields the way Doris's from_date_str does. States: the field index f walks
 * year, month, day, hour, minute, second, fraction. The text is "compact" when its leading run
 * of digits (and 'T') reaches the end, a '.', or a zone: then fields have fixed widths (year 4
 * digits for 4, 8 or >= 14 digits, else 2; the others 2). Otherwise each field runs to the next
 * non-digit and any punctuation separates fields; whitespace may only follow the day (date-time
 * gap) and the fraction (before a zone). 'T' may follow the day. After the last field, only a
 * zone, whitespace or punctuation may remain (Doris ignores trailing letters after a date; we
 * reject them, which is stricter).
 */
static bool scan_dt(const char *p, const char *e, int prec, dt_parts *o)
{
    memset(o, 0, sizeof *o);
    if (p == e || !is_digit(*p))
        return false;
    const char *q = p;
    while (q < e && (is_digit(*q) || *q == 'T'))
        q++;
    size_t run = (size_t)(q - p);
    bool compact = q == e || *q == '.' || zone_begins(q, e), has_bar = false;
    size_t year_len = (run == 4 || run == 8 || run >= 14) ? 4 : 2;
    unsigned f = 0, n = 0;
    while (p < e && is_digit(*p) && f < F_N) {
        const char *start = p;
        if (f == F_FRAC) {
            p = scan_frac(p, e, prec, o);
        } else {
            size_t w = compact ? (f == F_YEAR ? year_len : 2) : 7; /* 7 digits > 999999 */
            uint32_t v = 0;
            for (; p < e && is_digit(*p) && (size_t)(p - start) < w; p++)
                v = v * 10 + (uint32_t)(*p - '0');
            if (v > 999999 || (!compact && p < e && is_digit(*p)))
                return false;
            o->v[f] = v;
            if (f == F_YEAR && !compact)
                year_len = (size_t)(p - start);
        }
        n = f + 1;
        if (p == e)
            break;
        if ((f > F_DAY || !has_bar) && zone_begins(p, e)) {
            if (!parse_zone(p, e, &o->zone_s))
                return false;
            o->zoned = true;
            p = e;
            break;
        }
        if (f == F_DAY && *p == 'T') {
            p++, f = F_HOUR;
            continue;
        }
        if (f == F_SECOND) {
            if (*p != '.')
                break;
            p++, f = F_FRAC;
            continue;
        }
        for (; p < e && (is_punct(*p) || is_space(*p)); p++) {
            if (is_space(*p) && f != F_DAY && f != F_FRAC)
                return false;
            has_bar |= *p == '-';
        }
        f++;
    }
    if (n < 3)
        return false;
    while (p < e && is_space(*p))
        p++;
    if (p < e && parse_zone(p, e, &o->zone_s))
        o->zoned = true, p = e;
    while (p < e && (is_punct(*p) || is_space(*p)))
        p++;
    if (p != e)
        return false;
    if (year_len == 2)
        o->v[F_YEAR] += o->v[F_YEAR] < 70 ? 2000 : 1900;
    return true;
}

static bool is_leap(uint32_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Validate the fields and turn them into seconds since the epoch, zone applied. */
static bool dt_seconds(const dt_parts *o, const sl_conv_ctx *ctx, int64_t *secs)
{
    static const uint8_t dim[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    uint32_t y = o->v[F_YEAR], m = o->v[F_MONTH], d = o->v[F_DAY];
    if (y > 9999 || m < 1 || m > 12 || d < 1 || d > dim[m] + (uint32_t)(m == 2 && is_leap(y)))
        return false;
    if (o->v[F_HOUR] > 23 || o->v[F_MINUTE] > 59 || o->v[F_SECOND] > 59)
        return false;
    int64_t s = sl_days_from_civil(y, m, d) * 86400 + o->v[F_HOUR] * 3600 + o->v[F_MINUTE] * 60 +
                o->v[F_SECOND] + o->carry;
    if (o->zoned) {
        int64_t at = s - o->zone_s; /* the instant the text names */
        s = at + (ctx && ctx->tz ? sl_tz_offset_utc(ctx->tz, at) : ctx ? ctx->tz_offset_s : 0);
    }
    if (s < (int64_t)DAY_MIN * 86400 || s >= (int64_t)DAY_END * 86400)
        return false;
    *secs = s;
    return true;
}

static inline unsigned dig2(const char *p)
{
    return (unsigned)(p[0] - '0') * 10 + (unsigned)(p[1] - '0');
}

/* The canonical spellings YYYY-MM-DD and YYYY-MM-DD HH:MM:SS (or 'T'), which are nearly every
 * loaded value, read at fixed positions; false sends anything else to scan_dt, which gives the
 * same fields for these spellings (tested). */
static bool scan_canonical(const char *p, size_t n, dt_parts *o)
{
    static const uint8_t digit_at[14] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18};
    if (n != 10 && (n != 19 || (p[10] != ' ' && p[10] != 'T') || p[13] != ':' || p[16] != ':'))
        return false;
    unsigned bad = p[4] != '-' || p[7] != '-';
    for (size_t i = 0, nd = n == 10 ? 8 : 14; i < nd; i++)
        bad |= (unsigned)(p[digit_at[i]] - '0') > 9u;
    if (bad)
        return false;
    o->v[F_YEAR] = dig2(p) * 100 + dig2(p + 2);
    o->v[F_MONTH] = dig2(p + 5);
    o->v[F_DAY] = dig2(p + 8);
    o->v[F_HOUR] = n == 19 ? dig2(p + 11) : 0;
    o->v[F_MINUTE] = n == 19 ? dig2(p + 14) : 0;
    o->v[F_SECOND] = n == 19 ? dig2(p + 17) : 0;
    o->v[F_FRAC] = 0;
    o->carry = o->zoned = false;
    return true;
}

static sl_conv conv_date(sl_slice s, sl_datum *out, const sl_conv_ctx *ctx)
{
    dt_parts o;
    int64_t secs;
    s = sl_slice_trim(s);
    if (!(scan_canonical(s.p, s.n, &o) || scan_dt(s.p, s.p + s.n, -1, &o)) ||
        !dt_seconds(&o, ctx, &secs))
        return SL_CONV_NULL;
    out->i = (secs >= 0 ? secs : secs - 86399) / 86400;
    return SL_CONV_OK;
}

static sl_conv conv_datetime(const sl_type *t, sl_slice s, sl_datum *out, const sl_conv_ctx *ctx)
{
    dt_parts o;
    int64_t secs;
    s = sl_slice_trim(s);
    if (!(scan_canonical(s.p, s.n, &o) ||
          scan_dt(s.p, s.p + s.n, t->precision > 6 ? 6 : t->precision, &o)) ||
        !dt_seconds(&o, ctx, &secs))
        return SL_CONV_NULL;
    out->i = secs * 1000000 + o.v[F_FRAC];
    return SL_CONV_OK;
}

/* Text that is not JSON as a VARIANT: a JSON string holding it (a JSON body's string member
 * reaches the converter without its quotes, and CSV text is what it is). */
static sl_conv variant_string(sl_slice s, sl_arena_t *a, sl_slice *out)
{
    sl_buf b = SL_BUF_INIT;
    sl_json_str(&b, s.p ? s.p : "", s.n);
    *out = b.oom ? SL_SLICE_NULL : sl_arena_slice(a, (sl_slice){b.p, b.len});
    sl_buf_free(&b);
    return out->p ? SL_CONV_OK : SL_CONV_TOO_LONG;
}

/* ---- dispatch ------------------------------------------------------------------------------ */

sl_conv sl_convert(const sl_type *t, sl_slice s, sl_datum *out, const sl_conv_ctx *ctx)
{
    double d;
    switch ((sl_type_id)t->id) {
    case SL_TINYINT: return conv_int64(s, INT8_MIN, INT8_MAX, out);
    case SL_SMALLINT: return conv_int64(s, INT16_MIN, INT16_MAX, out);
    case SL_INT: return conv_int64(s, INT32_MIN, INT32_MAX, out);
    case SL_BIGINT: return conv_int64(s, INT64_MIN, INT64_MAX, out);
    case SL_LARGEINT: return conv_int128(s, out);
    case SL_FLOAT:
    case SL_DOUBLE:
        if (!parse_double(sl_slice_trim(s), t->id == SL_FLOAT, true, &d))
            return SL_CONV_NULL;
        out->d = d;
        return SL_CONV_OK;
    case SL_DECIMAL: return conv_decimal(t, s, out);
    case SL_DATE: return conv_date(s, out, ctx);
    case SL_DATETIME: return conv_datetime(t, s, out, ctx);
    case SL_BOOLEAN: return conv_bool(s, out);
    case SL_CHAR:
    case SL_VARCHAR:
        if (s.n > t->len)
            return SL_CONV_TOO_LONG;
        out->s.p = s.p, out->s.n = s.n;
        return SL_CONV_OK;
    case SL_STRING:
    case SL_JSON:
        /* JSON is borrowed unchecked for now; validating it (invalid -> NULL, spec §8) belongs
         * with the JSON decoder's scanner once it exists. */
        out->s.p = s.p, out->s.n = s.n;
        return SL_CONV_OK;
    case SL_ARRAY: case SL_MAP: case SL_STRUCT:
    case SL_VARIANT: {
        sl_slice v = SL_SLICE_NULL;
        sl_conv cv = SL_CONV_NULL;
        if (ctx == NULL || ctx->arena == NULL)
            return SL_CONV_NULL;
        if (t->id == SL_VARIANT && (cv = sl_cv_variant(sl_slice_trim(s), ctx->arena, &v)) ==
                                       SL_CONV_NULL)
            cv = variant_string(s, ctx->arena, &v);
        else if (t->id != SL_VARIANT)
            cv = sl_cv_parse(t, s, ctx->strict ? SL_CV_STRICT : 0, ctx, ctx->arena, &v);
        out->s.p = v.p, out->s.n = v.n;
        return cv;
    }
    case SL_BITMAP: case SL_HLL: return SL_CONV_NULL;
    case SL__N_TYPES: break;
    }
    return SL_CONV_NULL;
}

/* ---- column at a time: the canonical spellings --------------------------------------------- */

/* Cells are read whole-word where that is safe: no helper here reads a byte outside the
 * cell's p[0..n), so cells may end anywhere (at the end of a chunk, of a page, of an arena).
 * The words are little-endian whatever the host (sl_le64, sl_le32; SWAR below counts byte 0 as the first
 * character). */

#define SL__ALWAYS_INLINE static inline __attribute__((always_inline))


/* p[0..n) for 1 <= n <= 8 as a word (p[0] in byte 0, zeros above byte n-1), reading only
 * p[0..n): two overlapping 4-byte loads, or three single bytes below 4. */
SL__ALWAYS_INLINE uint64_t load_upto8(const char *p, size_t n)
{
    if (n >= 4)
        return (uint64_t)sl_le32(p) | (uint64_t)sl_le32(p + n - 4) << (8 * (n - 4));
    return (uint64_t)(uint8_t)p[0] | (uint64_t)(uint8_t)p[n >> 1] << (8 * (n >> 1)) |
           (uint64_t)(uint8_t)p[n - 1] << (8 * (n - 1));
}

/* Eight ASCII bytes all digits? (SWAR: no byte below '0' or above '9'.) */
SL__ALWAYS_INLINE bool digits8(uint64_t x)
{
    return ((x & 0xf0f0f0f0f0f0f0f0u) == 0x3030303030303030u) &&
           (((x + 0x0606060606060606u) & 0xf0f0f0f0f0f0f0f0u) == 0x3030303030303030u);
}

/* The value of eight digit bytes, most significant first (Lemire's SWAR reduction). */
SL__ALWAYS_INLINE uint64_t value8(uint64_t x)
{
    x -= 0x3030303030303030u;
    x = (x * 10) + (x >> 8);
    x = (((x & 0x000000ff000000ffu) * (100 + (1000000ull << 32))) +
         (((x >> 16) & 0x000000ff000000ffu) * (1 + (10000ull << 32)))) >> 32;
    return x;
}

/* p[0..n), 1 <= n <= 8: digits only? Then *v is their value. Branch-free apart from the load:
 * the n bytes move to the top of the word and '0's fill the bytes below. */
SL__ALWAYS_INLINE bool swar_upto8(const char *p, size_t n, uint64_t *v)
{
    unsigned pad = 8 * (unsigned)(8 - n);
    uint64_t x = load_upto8(p, n) << pad | (0x3030303030303030u & ((1ull << pad) - 1));
    *v = value8(x);
    return digits8(x);
}

/* p[0..n), 1 <= n <= 16: digits only? Then *v is their value. */
SL__ALWAYS_INLINE bool swar_upto16(const char *p, size_t n, uint64_t *v)
{
    if (n <= 8)
        return swar_upto8(p, n, v);
    uint64_t hi, lo = sl_le64(p + n - 8);
    bool ok = swar_upto8(p, n - 8, &hi) && digits8(lo);
    *v = hi * 100000000u + value8(lo);
    return ok;
}

/* [-]digits, at most 18 of them (no overflow), nothing else. Up to 16 digits by SWAR. */
SL__ALWAYS_INLINE bool fast_int(const char *p, size_t n, int64_t *out)
{
    bool neg = n && p[0] == '-';
    p += neg, n -= neg;
    uint64_t v = 0;
    if (n == 1) { /* one digit: a flag, a line number */
        v = (unsigned)(p[0] - '0');
        if (v > 9)
            return false;
    } else if (n - 1 < 16) {
        if (!swar_upto16(p, n, &v))
            return false;
    } else {
        if (n == 0 || n > 18)
            return false;
        for (size_t i = 0; i < n; i++) {
            unsigned d = (unsigned)(p[i] - '0');
            if (d > 9)
                return false;
            v = v * 10 + d;
        }
    }
    *out = neg ? -(int64_t)v : (int64_t)v;
    return true;
}

/* DECIMAL(p <= 18, s): [-]digits[.digits] with at most s fraction digits and at most p - s
 * significant integer digits: exact, no rounding, no overflow (conv_decimal's answer). */
static bool fast_dec_any(const char *p, size_t n, unsigned prec, unsigned scale, int64_t *out)
{
    bool neg = n && p[0] == '-';
    p += neg, n -= neg;
    size_t i = 0;
    uint64_t v = 0;
    while (i < n && p[i] == '0')
        i++;
    size_t sig0 = i;
    for (; i < n && (unsigned)(p[i] - '0') <= 9; i++)
        v = v * 10 + (unsigned)(p[i] - '0');
    size_t ni = i; /* integer digits, leading zeros included */
    if (ni == 0 || i - sig0 > prec - scale)
        return false;
    unsigned nf = 0;
    if (i < n) {
        if (p[i++] != '.')
            return false;
        for (; i < n; i++, nf++) {
            unsigned d = (unsigned)(p[i] - '0');
            if (d > 9 || nf == scale)
                return false;
            v = v * 10 + d;
        }
    }
    v *= P10[scale - nf];
    *out = neg ? -(int64_t)v : (int64_t)v;
    return true;
}

/* The same for the usual spelling [-]I.F with exactly s (1..6) fraction digits, 8 bytes or
 * fewer without the sign, and at most p - s integer digits: the bytes right-aligned in one word
 * put the '.' at a fixed byte, which is cut out (the integer digits move up one byte) before a
 * single SWAR check and reduction; I and F together are the scaled value. Anything else goes
 * to fast_dec_any. */
SL__ALWAYS_INLINE bool fast_dec(const char *p, size_t n, unsigned prec, unsigned scale,
                                int64_t *out)
{
    bool neg = n && p[0] == '-';
    const char *q = p + neg;
    size_t m = n - neg;
    if (scale - 1 < 6 && m >= scale + 2 && m <= 8 && m - scale - 1 <= prec - scale) {
        unsigned dot = 8 * (7 - scale); /* bit offset of the '.' byte */
        uint64_t x = load_upto8(q, m) << (8 * (8 - m));
        uint64_t frac = x & (~0ull << (dot + 8));
        uint64_t y = frac | (x & ((1ull << dot) - 1)) << 8 |
                     (0x3030303030303030u & ((1ull << (8 * (9 - m))) - 1));
        uint64_t v = value8(y);
        if (SL_LIKELY((((x >> dot) & 0xff) == '.') & digits8(y))) {
            *out = neg ? -(int64_t)v : (int64_t)v;
            return true;
        }
    }
    return fast_dec_any(p, n, prec, scale, out);
}

static inline unsigned dig(char c)
{
    return (unsigned)(c - '0');
}

/* Days since 1970-01-01 of January 1st of 1900 + i (sl_days_from_civil's values). */
static const int32_t YEAR_DAYS[256] = {
    -25567, -25202, -24837, -24472, -24107, -23741, -23376, -23011, -22646, -22280, -21915,
    -21550, -21185, -20819, -20454, -20089, -19724, -19358, -18993, -18628, -18263, -17897,
    -17532, -17167, -16802, -16436, -16071, -15706, -15341, -14975, -14610, -14245, -13880,
    -13514, -13149, -12784, -12419, -12053, -11688, -11323, -10958, -10592, -10227, -9862, -9497,
    -9131, -8766, -8401, -8036, -7670, -7305, -6940, -6575, -6209, -5844, -5479, -5114, -4748,
    -4383, -4018, -3653, -3287, -2922, -2557, -2192, -1826, -1461, -1096, -731, -365, 0, 365, 730,
    1096, 1461, 1826, 2191, 2557, 2922, 3287, 3652, 4018, 4383, 4748, 5113, 5479, 5844, 6209,
    6574, 6940, 7305, 7670, 8035, 8401, 8766, 9131, 9496, 9862, 10227, 10592, 10957, 11323, 11688,
    12053, 12418, 12784, 13149, 13514, 13879, 14245, 14610, 14975, 15340, 15706, 16071, 16436,
    16801, 17167, 17532, 17897, 18262, 18628, 18993, 19358, 19723, 20089, 20454, 20819, 21184,
    21550, 21915, 22280, 22645, 23011, 23376, 23741, 24106, 24472, 24837, 25202, 25567, 25933,
    26298, 26663, 27028, 27394, 27759, 28124, 28489, 28855, 29220, 29585, 29950, 30316, 30681,
    31046, 31411, 31777, 32142, 32507, 32872, 33238, 33603, 33968, 34333, 34699, 35064, 35429,
    35794, 36160, 36525, 36890, 37255, 37621, 37986, 38351, 38716, 39082, 39447, 39812, 40177,
    40543, 40908, 41273, 41638, 42004, 42369, 42734, 43099, 43465, 43830, 44195, 44560, 44926,
    45291, 45656, 46021, 46387, 46752, 47117, 47482, 47847, 48212, 48577, 48942, 49308, 49673,
    50038, 50403, 50769, 51134, 51499, 51864, 52230, 52595, 52960, 53325, 53691, 54056, 54421,
    54786, 55152, 55517, 55882, 56247, 56613, 56978, 57343, 57708, 58074, 58439, 58804, 59169,
    59535, 59900, 60265, 60630, 60996, 61361, 61726, 62091, 62457, 62822, 63187, 63552, 63918,
    64283, 64648, 65013, 65379, 65744, 66109, 66474, 66840, 67205, 67570,
};

/* Days since 1970-01-01 of y-m-d (valid): by table for 1900..2155, by the formula beyond. */
static inline int64_t fast_days(uint32_t y, uint32_t m, uint32_t d)
{
    static const uint16_t before[13] = {0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    if (y < 1900 || y >= 2156)
        return sl_days_from_civil(y, m, d);
    return (int64_t)YEAR_DAYS[y - 1900] + before[m] + (m > 2 && is_leap(y)) + (int64_t)d - 1;
}

/* YYYY-MM-DD, exactly 10 bytes: days since the epoch, validated as conv_date does. Two
 * overlapping 8-byte loads give the eight digits as one word ("YYYY" "MM" "DD"), checked and
 * reduced to four two-digit values by SWAR. Years 1900..2155 take YEAR_DAYS and tables of
 * month lengths and starts (1900 and 2100 are the only years there that are a multiple of 4
 * and not leap); others take dt_seconds' rules and sl_days_from_civil. */
SL__ALWAYS_INLINE bool fast_date10(const char *p, int64_t *days)
{
    static const uint8_t dim[2][13] = {{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31},
                                       {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}};
    static const uint16_t before[2][13] = {
        {0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334},
        {0, 0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335}};
    uint64_t a = sl_le64(p), b = sl_le64(p + 2); /* "YYYY-MM-", "YY-MM-DD" */
    uint64_t x = (a & 0xffffffffu) | ((a >> 8) & 0x0000ffff00000000u) |
                 (b & 0xffff000000000000u);
    bool ok = digits8(x) & (((a >> 32) & 0xff) == '-') & ((a >> 56) == '-');
    x -= 0x3030303030303030u;
    x = x * 10 + (x >> 8); /* bytes 0, 2, 4, 6: YY, YY, MM, DD */
    uint32_t y = (uint32_t)(x & 0xff) * 100 + (uint32_t)((x >> 16) & 0xff);
    uint32_t m = (uint32_t)((x >> 32) & 0xff), d = (uint32_t)((x >> 48) & 0xff);
    if (!ok || m - 1 > 11)
        return false;
    if (SL_LIKELY(y - 1900 < 256)) {
        unsigned leap = ((y & 3) == 0) & (y != 1900) & (y != 2100);
        if (d - 1 >= dim[leap][m])
            return false;
        *days = (int64_t)YEAR_DAYS[y - 1900] + before[leap][m] + (int64_t)d - 1;
        return true;
    }
    if (d - 1 >= dim[is_leap(y)][m])
        return false;
    *days = sl_days_from_civil(y, m, d);
    return true;
}

/* YYYY-MM-DD (10 bytes) or YYYY-MM-DD[ T]HH:MM:SS (19): seconds since the epoch, validated as
 * dt_seconds does (without a zone). */
static inline bool fast_dt(const char *p, size_t n, int64_t *secs)
{
    static const uint8_t dim[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if ((n != 10 && n != 19) || p[4] != '-' || p[7] != '-')
        return false;
    unsigned bad = dig(p[0]) > 9 || dig(p[1]) > 9 || dig(p[2]) > 9 || dig(p[3]) > 9 ||
                   dig(p[5]) > 9 || dig(p[6]) > 9 || dig(p[8]) > 9 || dig(p[9]) > 9;
    uint32_t y = dig(p[0]) * 1000 + dig(p[1]) * 100 + dig(p[2]) * 10 + dig(p[3]);
    uint32_t m = dig(p[5]) * 10 + dig(p[6]), d = dig(p[8]) * 10 + dig(p[9]);
    if (bad || m < 1 || m > 12 || d < 1 || d > dim[m] + (uint32_t)(m == 2 && is_leap(y)))
        return false;
    int64_t s = fast_days(y, m, d) * 86400;
    if (n == 19) {
        if ((p[10] != ' ' && p[10] != 'T') || p[13] != ':' || p[16] != ':' ||
            dig(p[11]) > 9 || dig(p[12]) > 9 || dig(p[14]) > 9 || dig(p[15]) > 9 ||
            dig(p[17]) > 9 || dig(p[18]) > 9)
            return false;
        unsigned hh = dig(p[11]) * 10 + dig(p[12]), mi = dig(p[14]) * 10 + dig(p[15]),
                 ss = dig(p[17]) * 10 + dig(p[18]);
        if (hh > 23 || mi > 59 || ss > 59)
            return false;
        s += hh * 3600 + mi * 60 + ss;
    }
    *secs = s;
    return true;
}

/* One loop per type: the loop body stays free of the type dispatch. null[] is cleared once
 * up front (a done cell is never NULL, and the caller rewrites the others). */
#define FAST_LOOP(test)                                                                           \
    memset(null, 0, n);                                                                           \
    for (size_t i = 0; i < n; i++, f += stride) {                                               \
        const char *p = f->p;                                                                     \
        size_t len = f->n;                                                                        \
        bool ok = p != NULL && (test);                                                            \
        done[i] = ok;                                                                             \
        k += ok;                                                                                  \
    }

size_t sl_convert_fast(const sl_type *t, const sl_slice *f, size_t stride, size_t n,
                       sl_datum *out, uint8_t *null, uint8_t *done)
{
    size_t k = 0;
    int64_t x = 0, lo = INT64_MIN, hi = INT64_MAX;
    const unsigned prec = t->precision, sc = t->scale;
    const uint32_t tlen = t->len; /* a local: the byte stores to done[] may alias *t */
    switch ((sl_type_id)t->id) {
    case SL_TINYINT: lo = INT8_MIN, hi = INT8_MAX; goto ints;
    case SL_SMALLINT: lo = INT16_MIN, hi = INT16_MAX; goto ints;
    case SL_INT: lo = INT32_MIN, hi = INT32_MAX;
    ints:
        FAST_LOOP(fast_int(p, len, &out[i].i) && out[i].i >= lo && out[i].i <= hi)
        return k;
    case SL_BIGINT: /* fast_int's 18 digits always fit */
        FAST_LOOP(fast_int(p, len, &out[i].i))
        return k;
    case SL_DECIMAL:
        if (prec > 18 || sc > prec)
            break;
        FAST_LOOP(fast_dec(p, len, prec, sc, &x) && ((out[i].w = x), true))
        return k;
    case SL_DATE:
        FAST_LOOP(len == 10 && fast_date10(p, &out[i].i))
        return k;
    case SL_DATETIME:
        FAST_LOOP(fast_dt(p, len, &x) && ((out[i].i = x * 1000000), true))
        return k;
    case SL_CHAR: case SL_VARCHAR:
        FAST_LOOP(len <= tlen && ((out[i].s.p = p), (out[i].s.n = len), true))
        return k;
    case SL_STRING: case SL_JSON:
        FAST_LOOP(((out[i].s.p = p), (out[i].s.n = len), true))
        return k;
    default: break;
    }
    memset(done, 0, n);
    return 0;
}

/* ---- separators ---------------------------------------------------------------------------- */

static bool is_hex_prefix(const char *p, const char *e)
{
    return e - p >= 2 && p[0] == '\\' && (p[1] == 'x' || p[1] == 'X');
}

/* "\x01\x02" / "\x0102": every \x is dropped, the rest must be an even number of hex digits. */
static sl_code parse_hex_sep(sl_slice in, char *out, size_t cap, size_t *len, sl_err *err)
{
    const char *e = in.p + in.n;
    size_t n_hex = 0;
    bool bad = false;
    for (const char *p = in.p; p < e; p++) {
        if (is_hex_prefix(p, e)) {
            p++;
            continue;
        }
        n_hex++;
        bad |= sl_hexval(*p) < 0;
    }
    if (n_hex == 0)
        return sl_fail(err, SL_INVALID, "Hex str is empty");
    if (bad)
        return sl_fail(err, SL_INVALID, "Hex str format error");
    if (n_hex % 2)
        return sl_fail(err, SL_INVALID, "Hex str length error");
    if (n_hex / 2 > cap)
        return sl_fail(err, SL_INVALID, "separator longer than %zu bytes", cap);
    int hi = -1;
    for (const char *p = in.p; p < e; p++) {
        if (is_hex_prefix(p, e)) {
            p++;
            continue;
        }
        if (hi < 0) {
            hi = sl_hexval(*p);
        } else {
            out[(*len)++] = (char)(hi << 4 | sl_hexval(*p));
            hi = -1;
        }
    }
    return SL_OK;
}

sl_code sl_separator_parse(sl_slice in, char *out, size_t cap, size_t *len, sl_err *err)
{
    *len = 0;
    if (in.p == NULL || in.n == 0)
        return sl_fail(err, SL_INVALID, "Column separator is null or empty");
    if (is_hex_prefix(in.p, in.p + in.n))
        return parse_hex_sep(in, out, cap, len, err);
    for (size_t i = 0; i < in.n; i++) {
        char c = in.p[i], two = 0;
        bool keep2 = false; /* an unknown escape: both characters stay */
        if (c == '\\' && i + 1 < in.n) {
            switch (in.p[++i]) {
            case '\\': c = '\\'; break;
            case '\'': c = '\''; break;
            case '"': c = '"'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'n': c = '\n'; break;
            default: two = in.p[i], keep2 = true; break;
            }
        }
        if (*len + 1 + keep2 > cap) {
            *len = 0;
            return sl_fail(err, SL_INVALID, "separator longer than %zu bytes", cap);
        }
        out[(*len)++] = c;
        if (keep2)
            out[(*len)++] = two;
    }
    return SL_OK;
}

/* ---- formatters ---------------------------------------------------------------------------- */

static char *put2(char *b, unsigned v)
{
    b[0] = (char)('0' + v / 10 % 10);
    b[1] = (char)('0' + v % 10);
    return b + 2;
}

size_t sl_format_date(int64_t days, char *buf)
{
    int64_t y;
    unsigned m, d;
    sl_civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999)
        return (size_t)snprintf(buf, 48, "%lld-%02u-%02u", (long long)y, m, d);
    char *b = put2(put2(buf, (unsigned)(y / 100)), (unsigned)(y % 100));
    *b++ = '-';
    b = put2(b, m);
    *b++ = '-';
    b = put2(b, d);
    *b = '\0';
    return (size_t)(b - buf);
}

size_t sl_format_datetime(int64_t us, unsigned prec, char *buf)
{
    int64_t days = (us >= 0 ? us : us - (US_PER_DAY - 1)) / US_PER_DAY;
    int64_t rem = us - days * US_PER_DAY; /* 0 .. US_PER_DAY-1 */
    unsigned secs = (unsigned)(rem / 1000000), frac = (unsigned)(rem % 1000000);
    char *b = buf + sl_format_date(days, buf);
    *b++ = ' ';
    b = put2(b, secs / 3600);
    *b++ = ':';
    b = put2(b, secs / 60 % 60);
    *b++ = ':';
    b = put2(b, secs % 60);
    if (prec > 6)
        prec = 6;
    if (prec > 0) {
        *b++ = '.';
        frac /= (unsigned)P10[6 - prec];
        for (unsigned i = prec; i-- > 0; frac /= 10)
            b[i] = (char)('0' + frac % 10);
        b += prec;
    }
    *b = '\0';
    return (size_t)(b - buf);
}

/* Decimal digits of u, most significant first, into d (no NUL); returns the count (>= 1). */
static size_t u128_digits(u128 u, char *d)
{
    char tmp[40];
    size_t n = 0;
    do {
        uint64_t chunk = (uint64_t)(u % P10[19]);
        u /= P10[19];
        for (int k = 0; k < 19 && (chunk || u); k++, chunk /= 10)
            tmp[n++] = (char)('0' + chunk % 10);
    } while (u);
    if (n == 0)
        tmp[n++] = '0';
    for (size_t i = 0; i < n; i++)
        d[i] = tmp[n - 1 - i];
    return n;
}

size_t sl_format_i128(sl_i128 v, char *buf)
{
    return sl_format_decimal(v, 0, buf);
}

size_t sl_format_decimal(sl_i128 v, unsigned scale, char *buf)
{
    char dig[40];
    u128 u = v < 0 ? (u128)0 - (u128)v : (u128)v;
    size_t nd = u128_digits(u, dig), n = 0;
    if (scale > 40)
        scale = 40; /* cap >= 48 holds sign, "0.", 40 digits and the NUL */
    if (v < 0)
        buf[n++] = '-';
    if (nd <= scale) {
        buf[n++] = '0';
        buf[n++] = '.';
        memset(buf + n, '0', scale - nd);
        n += scale - nd;
        memcpy(buf + n, dig, nd);
        n += nd;
    } else {
        memcpy(buf + n, dig, nd - scale);
        n += nd - scale;
        if (scale) {
            buf[n++] = '.';
            memcpy(buf + n, dig + nd - scale, scale);
            n += scale;
        }
    }
    buf[n] = '\0';
    return n;
}

/* Infinity and NaN in the spelling Doris (Java) prints; 0 when v is finite. */
static size_t format_special(double v, char *buf)
{
    const char *s = isnan(v) ? "NaN" : !isinf(v) ? NULL : v > 0 ? "Infinity" : "-Infinity";
    if (s == NULL)
        return 0;
    size_t n = strlen(s);
    memcpy(buf, s, n + 1);
    return n;
}

size_t sl_format_double(double v, char *buf)
{
    size_t n = format_special(v, buf);
    if (n)
        return n;
    for (int prec = 15;; prec++) {
        n = (size_t)snprintf(buf, 48, "%.*g", prec, v);
        if (prec == 17 || strtod(buf, NULL) == v)
            return n;
    }
}

size_t sl_format_float(float v, char *buf)
{
    size_t n = format_special(v, buf);
    if (n)
        return n;
    for (int prec = 6;; prec++) {
        n = (size_t)snprintf(buf, 48, "%.*g", prec, (double)v);
        if (prec == 9 || strtof(buf, NULL) == v)
            return n;
    }
}
