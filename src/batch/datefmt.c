/*
 * datefmt.c - compiled strptime-style formats and tsload's value conversions (batch stage).
 *
 * The tsload adapter compiles the LoadDataParam formats once per load cycle; the mapper calls
 * sl_text_formats_convert for every DATE, DATETIME and BOOLEAN cell of that load. A compiled
 * format is a flat list of ops, so parsing a value is one pass over the value and the ops with
 * no locale, no allocation and no rescanning of the format text.
 *
 *   "%Y-%m-%d %H:%M:%S"  --compile-->  YEAR4 '-' MON '-' MDAY WS HOUR24 ':' MIN ':' SEC
 *   "2024-02-29 23:59:01.5" --parse--> sl_dt {2024, 2, 29, 23, 59, 1, usec}
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <string.h>
#include <time.h>

#include "datefmt.h"

enum {
    OP_LIT, OP_WS, OP_YEAR4, OP_YEAR2, OP_CENT, OP_MON, OP_MDAY, OP_MDAY_SP, OP_HOUR24,
    OP_HOUR24_SP, OP_HOUR12, OP_HOUR12_SP, OP_MIN, OP_SEC, OP_AMPM, OP_MONNAME, OP_DAYNAME,
    OP_YDAY, OP_EPOCH, OP_FRAC
};

static const char *const month_names[12] = {"january", "february", "march",     "april",
                                            "may",     "june",     "july",      "august",
                                            "september", "october", "november", "december"};
static const char *const day_names[7] = {"sunday",   "monday", "tuesday", "wednesday",
                                         "thursday", "friday", "saturday"};

static bool push_op(sl_datefmt *f, uint8_t op, char lit)
{
    if (f->n >= SL_DATEFMT_MAX_OPS)
        return false;
    f->op[f->n] = op;
    f->lit[f->n] = lit;
    f->n++;
    return true;
}

/* The ops a composite specifier (%T, %D, %F, %R) stands for; NULL for a simple one. */
static const char *composite(char c)
{
    switch (c) {
    case 'T': return "%H:%M:%S";
    case 'D': return "%m/%d/%y";
    case 'F': return "%Y-%m-%d";
    case 'R': return "%H:%M";
    default: return NULL;
    }
}

static int simple_op(char c)
{
    switch (c) {
    case 'Y': return OP_YEAR4;
    case 'y': return OP_YEAR2;
    case 'C': return OP_CENT;
    case 'm': return OP_MON;
    case 'd': return OP_MDAY;
    case 'e': return OP_MDAY_SP;
    case 'H': return OP_HOUR24;
    case 'k': return OP_HOUR24_SP;
    case 'I': return OP_HOUR12;
    case 'l': return OP_HOUR12_SP;
    case 'M': return OP_MIN;
    case 'S': return OP_SEC;
    case 'p': return OP_AMPM;
    case 'b': case 'B': case 'h': return OP_MONNAME;
    case 'a': case 'A': return OP_DAYNAME;
    case 'j': return OP_YDAY;
    case 's': return OP_EPOCH;
    case 'f': return OP_FRAC;
    case 'n': case 't': return OP_WS;
    default: return -1;
    }
}

sl_code sl_datefmt_compile(sl_slice fmt, sl_datefmt *out, sl_err *err)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < fmt.n; i++) {
        char c = fmt.p[i];
        bool ok = true;
        if (c == ' ' || c == '\t') {
            ok = push_op(out, OP_WS, 0);
        } else if (c != '%') {
            ok = push_op(out, OP_LIT, c);
        } else {
            if (++i >= fmt.n)
                return sl_fail(err, SL_INVALID, "date format %.*s ends with a lone %%",
                               (int)fmt.n, fmt.p);
            char s = fmt.p[i];
            if (s == 'E' || s == 'O') { /* POSIX modifiers: same fields in the C locale */
                if (++i >= fmt.n)
                    return sl_fail(err, SL_INVALID, "date format %.*s ends with a lone %%%c",
                                   (int)fmt.n, fmt.p, s);
                s = fmt.p[i];
            }
            const char *comp = composite(s);
            int op = simple_op(s);
            if (s == '%') {
                ok = push_op(out, OP_LIT, '%');
            } else if (comp) {
                sl_datefmt sub;
                sl_code rc = sl_datefmt_compile(sl_slice_of(comp), &sub, err);
                if (rc != SL_OK)
                    return rc;
                for (uint8_t k = 0; ok && k < sub.n; k++)
                    ok = push_op(out, sub.op[k], sub.lit[k]);
            } else if (op >= 0) {
                ok = push_op(out, (uint8_t)op, 0);
            } else {
                return sl_fail(err, SL_INVALID, "date format %.*s: unknown specifier %%%c",
                               (int)fmt.n, fmt.p, s);
            }
        }
        if (!ok)
            return sl_fail(err, SL_INVALID, "date format %.*s is too long", (int)fmt.n, fmt.p);
    }
    return SL_OK;
}

/* Read 1..max digits (an optional leading space first when sp). */
static bool digits(const char **p, const char *end, int max, bool sp, int64_t *v)
{
    const char *q = *p;
    if (sp && q < end && *q == ' ')
        q++;
    int n = 0;
    int64_t x = 0;
    while (q < end && n < max && *q >= '0' && *q <= '9') {
        x = x * 10 + (*q - '0');
        q++;
        n++;
    }
    if (n == 0)
        return false;
    *p = q;
    *v = x;
    return true;
}

/* Match one of the English names (full or 3-letter abbreviation), case-insensitively. */
static int name_index(const char **p, const char *end, const char *const *names, int n)
{
    for (int i = 0; i < n; i++) {
        size_t full = strlen(names[i]);
        for (size_t len = full;; len = 3) {
            size_t k = 0;
            while (k < len && *p + k < end && ((*p)[k] | 0x20) == names[i][k])
                k++;
            if (k == len) {
                *p += len;
                return i;
            }
            if (len == 3)
                break;
        }
    }
    return -1;
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(int64_t y, unsigned m)
{
    static const unsigned d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

/* Digits of a fraction: up to 6 kept as microseconds, the rest read and dropped. */
static bool fraction(const char **p, const char *end, uint32_t *usec)
{
    const char *q = *p;
    uint32_t v = 0;
    int n = 0;
    while (q < end && *q >= '0' && *q <= '9') {
        if (n < 6)
            v = v * 10 + (uint32_t)(*q - '0');
        n++;
        q++;
    }
    if (n == 0)
        return false;
    for (int k = n; k < 6; k++)
        v *= 10;
    *usec = v;
    *p = q;
    return true;
}

/*
 * The parse loop: one op at a time over the value. States are the ops themselves; hour12 and
 * pm are combined at the end, as are century and two-digit year.
 */
const char *sl_datefmt_parse(const sl_datefmt *f, sl_slice s, char frac_start, sl_frac_mode fm,
                             sl_dt *out)
{
    memset(out, 0, sizeof *out);
    out->year = 1970;
    out->mon = out->mday = 1;
    const char *p = s.p, *end = s.p + s.n;
    int64_t v, cent = -1, yy = -1;
    int pm = -1;
    bool h12 = false;
    for (uint8_t i = 0; i < f->n; i++) {
        switch (f->op[i]) {
        case OP_LIT:
            if (p >= end || *p != f->lit[i])
                return "value does not match the format";
            p++;
            break;
        case OP_WS:
            while (p < end && (*p == ' ' || *p == '\t'))
                p++;
            break;
        case OP_YEAR4: {
            bool neg = p < end && *p == '-';
            if (neg)
                p++;
            if (!digits(&p, end, 4, false, &v))
                return "bad year";
            out->year = neg ? -v : v;
            yy = cent = -1;
            break;
        }
        case OP_YEAR2:
            if (!digits(&p, end, 2, false, &yy))
                return "bad year";
            break;
        case OP_CENT:
            if (!digits(&p, end, 2, false, &cent))
                return "bad century";
            break;
        case OP_MON:
            if (!digits(&p, end, 2, false, &v) || v < 1 || v > 12)
                return "bad month";
            out->mon = (unsigned)v;
            break;
        case OP_MDAY:
        case OP_MDAY_SP:
            if (!digits(&p, end, 2, f->op[i] == OP_MDAY_SP, &v) || v < 1 || v > 31)
                return "bad day";
            out->mday = (unsigned)v;
            break;
        case OP_HOUR24:
        case OP_HOUR24_SP:
            if (!digits(&p, end, 2, f->op[i] == OP_HOUR24_SP, &v) || v > 23)
                return "bad hour";
            out->hour = (unsigned)v;
            h12 = false;
            break;
        case OP_HOUR12:
        case OP_HOUR12_SP:
            if (!digits(&p, end, 2, f->op[i] == OP_HOUR12_SP, &v) || v < 1 || v > 12)
                return "bad hour";
            out->hour = (unsigned)v;
            h12 = true;
            break;
        case OP_MIN:
            if (!digits(&p, end, 2, false, &v) || v > 59)
                return "bad minute";
            out->min = (unsigned)v;
            break;
        case OP_SEC:
            if (!digits(&p, end, 2, false, &v) || v > 59)
                return "bad second";
            out->sec = (unsigned)v;
            /* A fraction the format does not spell out itself. */
            if (p < end && *p == frac_start &&
                !(i + 1 < f->n && ((f->op[i + 1] == OP_LIT && f->lit[i + 1] == frac_start) ||
                                   f->op[i + 1] == OP_FRAC))) {
                if (fm == SL_FRAC_ERROR)
                    return "fraction of a second (set skip_second_fraction)";
                const char *q = p + 1;
                uint32_t us;
                if (!fraction(&q, end, &us))
                    return "bad fraction of a second";
                if (fm == SL_FRAC_KEEP)
                    out->usec = us;
                p = q;
            }
            break;
        case OP_FRAC:
            if (!fraction(&p, end, &out->usec))
                return "bad fraction of a second";
            if (fm == SL_FRAC_SKIP)
                out->usec = 0;
            break;
        case OP_AMPM:
            if (end - p >= 2 && (p[0] | 0x20) == 'a' && (p[1] | 0x20) == 'm')
                pm = 0;
            else if (end - p >= 2 && (p[0] | 0x20) == 'p' && (p[1] | 0x20) == 'm')
                pm = 1;
            else
                return "bad am/pm";
            p += 2;
            break;
        case OP_MONNAME: {
            int m = name_index(&p, end, month_names, 12);
            if (m < 0)
                return "bad month name";
            out->mon = (unsigned)m + 1;
            break;
        }
        case OP_DAYNAME:
            if (name_index(&p, end, day_names, 7) < 0)
                return "bad day name";
            break;
        case OP_YDAY:
            if (!digits(&p, end, 3, false, &v) || v < 1 || v > 366)
                return "bad day of the year";
            out->yday = (int)v;
            break;
        case OP_EPOCH: {
            bool neg = p < end && *p == '-';
            if (neg)
                p++;
            if (!digits(&p, end, 12, false, &v))
                return "bad epoch seconds";
            out->has_epoch = true;
            out->epoch = neg ? -v : v;
            break;
        }
        }
    }
    if (p != end)
        return "trailing characters after the format";
    if (yy >= 0)
        out->year = cent >= 0 ? cent * 100 + yy : (yy < 69 ? 2000 + yy : 1900 + yy);
    else if (cent >= 0)
        out->year = cent * 100 + out->year % 100;
    if (h12)
        out->hour = out->hour % 12 + (pm == 1 ? 12 : 0);
    else if (pm == 1 && out->hour < 12)
        out->hour += 12;
    if (out->mday > month_days(out->year, out->mon))
        return "day out of range for the month";
    if (out->yday > (is_leap(out->year) ? 366 : 365))
        return "bad day of the year";
    return NULL;
}

int64_t sl_dt_days(const sl_dt *d)
{
    if (d->yday > 0)
        return sl_days_from_civil(d->year, 1, 1) + d->yday - 1;
    return sl_days_from_civil(d->year, d->mon, d->mday);
}

void sl_text_formats_default(sl_text_formats *f)
{
    memset(f, 0, sizeof *f);
    sl_err e = {0};
    sl_datefmt_compile(SL_LIT("%Y%m%d"), &f->date, &e);
    sl_datefmt_compile(SL_LIT("%H:%M:%S"), &f->time, &e);
    sl_datefmt_compile(SL_LIT("%Y%m%d %H:%M:%S"), &f->datetime, &e);
    f->frac_start = '.';
    f->true_fmt = SL_LIT("T");
    f->false_fmt = SL_LIT("F");
}

static bool civil_local(int64_t v, int64_t *days, int64_t *secs_of_day);

/* Seconds since the epoch as text (optionally with a fraction, dropped) -> local civil time. */
static bool epoch_local(sl_slice s, int64_t *days, int64_t *secs_of_day)
{
    const char *p = s.p, *end = s.p + s.n;
    bool neg = p < end && *p == '-';
    if (neg)
        p++;
    int64_t v;
    if (!digits(&p, end, 15, false, &v))
        return false;
    if (p < end && *p == '.') {
        p++;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p != end)
        return false;
    return civil_local(neg ? -v : v, days, secs_of_day);
}

/* Seconds since the epoch -> local civil day and second of the day. */
static bool civil_local(int64_t v, int64_t *days, int64_t *secs_of_day)
{
    if (v < -62135596800LL || v > 253402300799LL) /* years 1..9999, as DATE/DATETIME */
        return false;
    time_t t = (time_t)v;
    struct tm tm;
    if (localtime_r(&t, &tm) == NULL)
        return false;
    *days = sl_days_from_civil((int64_t)tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
                               (unsigned)tm.tm_mday);
    *secs_of_day = (int64_t)tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
    return true;
}

static bool slice_eq(sl_slice a, sl_slice b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static bool slice_ieq(sl_slice a, sl_slice b)
{
    if (a.n != b.n)
        return false;
    for (size_t i = 0; i < a.n; i++)
        if ((a.p[i] | 0x20) != (b.p[i] | 0x20))
            return false;
    return true;
}

/* Boolean rules (specs/tsload.md §6.2, TQL's reading): the true or false word (exact, then
 * case-insensitively); with one word empty every other value is the other one. */
static sl_conv to_bool(const sl_text_formats *f, sl_slice s, int64_t *out)
{
    if (f->use_bit_values) {
        if ((s.n == 1 && (s.p[0] == '1' || s.p[0] == 1)) || sl_slice_eq(s, "0x1")) {
            *out = 1;
            return SL_CONV_OK;
        }
        if ((s.n == 1 && (s.p[0] == '0' || s.p[0] == 0)) || sl_slice_eq(s, "0x0")) {
            *out = 0;
            return SL_CONV_OK;
        }
        return SL_CONV_NULL;
    }
    if (slice_eq(s, f->true_fmt) || (f->true_fmt.n && slice_ieq(s, f->true_fmt)))
        *out = 1;
    else if (slice_eq(s, f->false_fmt) || (f->false_fmt.n && slice_ieq(s, f->false_fmt)))
        *out = 0;
    else if (f->false_fmt.n == 0)
        *out = 0;
    else if (f->true_fmt.n == 0)
        *out = 1;
    else
        return SL_CONV_NULL;
    return SL_CONV_OK;
}

sl_conv sl_text_formats_convert(const sl_text_formats *f, const sl_type *t, sl_slice s,
                                sl_datum *out, bool *handled)
{
    *handled = t->id == SL_DATE || t->id == SL_DATETIME || t->id == SL_BOOLEAN;
    if (t->id == SL_BOOLEAN)
        return to_bool(f, s, &out->i);
    if (!*handled)
        return SL_CONV_OK;
    int64_t days, secs;
    uint32_t usec = 0;
    if (f->converted_to_epoch) {
        if (!epoch_local(s, &days, &secs))
            return SL_CONV_NULL;
    } else {
        sl_frac_mode fm = f->skip_fraction                             ? SL_FRAC_SKIP
                          : (t->id == SL_DATETIME && t->precision > 0) ? SL_FRAC_KEEP
                                                                       : SL_FRAC_ERROR;
        sl_dt d;
        if (sl_datefmt_parse(t->id == SL_DATE ? &f->date : &f->datetime, s, f->frac_start, fm,
                             &d) != NULL)
            return SL_CONV_NULL;
        if (d.has_epoch) {
            if (!civil_local(d.epoch, &days, &secs))
                return SL_CONV_NULL;
        } else {
            days = sl_dt_days(&d);
            secs = (int64_t)d.hour * 3600 + d.min * 60 + d.sec;
            usec = d.usec;
        }
    }
    if (t->id == SL_DATE) {
        out->i = days;
        return SL_CONV_OK;
    }
    uint32_t keep = 1;
    for (unsigned k = t->precision; k < 6; k++)
        keep *= 10;
    out->i = (days * 86400 + secs) * 1000000 + (int64_t)(usec / keep * keep);
    return SL_CONV_OK;
}
