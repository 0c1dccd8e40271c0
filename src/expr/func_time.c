/*
 * func_time.c - date and time builtins of load expressions (expr stage).
 *
 * Values are DATE (days) and DATETIME (microseconds, no zone) as in batch.h. Strings reach
 * these functions through the binder's implicit cast to DATETIME (the load conversion rules).
 * The load time zone and "now" come from sl_expr_ctx, so now() is constant within a load and
 * unix_timestamp / from_unixtime convert between UTC seconds and local wall time.
 * date_format / str_to_date implement the MySQL specifiers by hand (no strftime/strptime):
 * %a %b %c %D %d %e %f %H %h %I %i %j %k %l %M %m %p %r %S %s %T %U %u %W %w %Y %y %%, plus
 * Doris's Java-style shorthands yyyy-MM-dd[ HH:mm:ss] and yyyyMMdd.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>

#include "../core/tz.h"
#include "internal.h"

static const char *const month_names[] = {"January", "February", "March",     "April",
                                          "May",     "June",     "July",      "August",
                                          "September", "October", "November", "December"};
static const char *const day_names[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                        "Thursday", "Friday", "Saturday"};

typedef struct parts {
    int64_t y, days;
    unsigned m, d, hh, mi, ss, us, wday, yday; /* wday 0 = Sunday; yday 0-based */
} parts;

static void split(int64_t us, parts *t)
{
    t->days = sl__floordiv(us, SL__US_PER_DAY);
    int64_t rem = us - t->days * SL__US_PER_DAY, s = rem / 1000000;
    sl__civil_from_days(t->days, &t->y, &t->m, &t->d);
    t->hh = (unsigned)(s / 3600);
    t->mi = (unsigned)(s / 60 % 60);
    t->ss = (unsigned)(s % 60);
    t->us = (unsigned)(rem % 1000000);
    t->wday = (unsigned)(((t->days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
    t->yday = (unsigned)(t->days - sl__days_from_civil(t->y, 1, 1));
}

/* ---- field extraction: year(), month(), ... ---- */

enum { F_YEAR, F_MONTH, F_DAY, F_HOUR, F_MINUTE, F_SECOND, F_DOW, F_DOY, F_QUARTER, F_WEEKDAY };

static sl_code f_part(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    parts t;
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        split(av[0].v[i].i, &t);
        int64_t r;
        switch (e->fn->aux) {
        case F_YEAR: r = t.y; break;
        case F_MONTH: r = t.m; break;
        case F_DAY: r = t.d; break;
        case F_HOUR: r = t.hh; break;
        case F_MINUTE: r = t.mi; break;
        case F_SECOND: r = t.ss; break;
        case F_DOW: r = t.wday + 1; break;
        case F_DOY: r = t.yday + 1; break;
        case F_QUARTER: r = (t.m + 2) / 3; break;
        default: r = (t.wday + 6) % 7; break; /* weekday(): 0 = Monday */
        }
        out->v[i].i = r;
    }
    return SL_OK;
}

static sl_code f_to_date(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    (void)e;
    for (size_t i = 0; i < env->n; i++)
        if (!out->null[i])
            out->v[i].i = sl__floordiv(av[0].v[i].i, SL__US_PER_DAY);
    return SL_OK;
}

static sl_code f_datediff(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    (void)e;
    for (size_t i = 0; i < env->n; i++)
        if (!out->null[i])
            out->v[i].i = sl__floordiv(av[0].v[i].i, SL__US_PER_DAY) -
                          sl__floordiv(av[1].v[i].i, SL__US_PER_DAY);
    return SL_OK;
}

/* ---- now() and friends ---- */

/* The zone's offset at UTC second s. */
static int32_t offset_at(const sl__env *env, int64_t s)
{
    return env->ctx->tz ? sl_tz_offset_utc(env->ctx->tz, s) : env->ctx->tz_offset_s;
}

static int64_t local_now(const sl__env *env)
{
    int64_t s = sl__floordiv(env->ctx->now_us, 1000000);
    return env->ctx->now_us + (int64_t)offset_at(env, s) * 1000000;
}

static sl_code f_now(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    (void)av;
    int64_t unit = 1, v;
    for (unsigned k = e->type.precision; k < 6; k++)
        unit *= 10;
    v = e->type.id == SL_DATE ? sl__floordiv(local_now(env), SL__US_PER_DAY)
                              : sl__floordiv(local_now(env), unit) * unit;
    for (size_t i = 0; i < env->n; i++)
        out->v[i].i = v;
    return SL_OK;
}

static sl_code bind_now(sl_expr *e, sl__binder *b)
{
    (void)b;
    e->type.precision = 0;
    if (e->n_args == 1 && e->args[0]->kind == EK_LIT && e->args[0]->type.id == SL_BIGINT &&
        e->args[0]->lit.i >= 0 && e->args[0]->lit.i <= 6)
        e->type.precision = (uint8_t)e->args[0]->lit.i;
    else if (e->n_args == 1)
        return sl_fail(b->err, SL_INVALID, "%s takes a precision between 0 and 6", e->fn->name);
    return SL_OK;
}

/* ---- date_add / date_sub ---- */

enum { U_YEAR = SL__U_YEAR, U_QUARTER = SL__U_QUARTER, U_MONTH = SL__U_MONTH,
       U_WEEK = SL__U_WEEK, U_DAY = SL__U_DAY, U_HOUR = SL__U_HOUR, U_MINUTE = SL__U_MINUTE,
       U_SECOND = SL__U_SECOND, U_MICRO = SL__U_MICRO, U_MILLI = SL__U_MILLI };

int sl__dt_unit(sl_slice name)
{
    static const char *const u[] = {"YEAR", "QUARTER", "MONTH",  "WEEK",        "DAY",
                                    "HOUR", "MINUTE",  "SECOND", "MICROSECOND", "MILLISECOND"};
    for (int k = 0; k < (int)SL_COUNT(u); k++)
        if (sl_slice_ieq(name, u[k]))
            return k;
    return -1;
}

sl_type sl__dt_text_type(const sl_expr *x, unsigned min_prec)
{
    sl_type t = sl__ty(SL_DATETIME);
    unsigned p = 0;
    if (x->kind == EK_LIT && !x->lit_null && sl__cls_of(x->type.id) == C_TEXT) {
        const char *dot = memchr(x->lit.s.p, '.', x->lit.s.n);
        for (size_t k = dot ? (size_t)(dot - x->lit.s.p) + 1 : x->lit.s.n;
             k < x->lit.s.n && x->lit.s.p[k] >= '0' && x->lit.s.p[k] <= '9' && p < 6; k++)
            p++;
    }
    t.precision = (uint8_t)(p > min_prec ? p : min_prec);
    return t;
}

static int unit_of(sl_slice name)
{
    int u = sl__dt_unit(name);
    return u < 0 ? U_DAY : u;
}

bool sl__dt_add(int64_t us, int unit, int64_t n, int64_t *out)
{
    static const int64_t mul[] = {0, 0, 0, 7 * SL__US_PER_DAY, SL__US_PER_DAY,
                                  INT64_C(3600000000), 60000000, 1000000, 1, 1000};
    if (unit <= U_MONTH) {
        int64_t months, y;
        unsigned m, d;
        parts t;
        if (__builtin_mul_overflow(n, unit == U_YEAR ? 12 : unit == U_QUARTER ? 3 : 1, &months) ||
            months > 120000 || months < -120000)
            return false;
        split(us, &t);
        int64_t total = t.y * 12 + (t.m - 1) + months;
        y = sl__floordiv(total, 12);
        m = (unsigned)(total - y * 12 + 1);
        for (d = t.d; d > 28 && !sl__valid_ymd(y, m, d); d--)
            ;
        if (y < 0 || y > 9999)
            return false;
        *out = sl__days_from_civil(y, m, d) * SL__US_PER_DAY + (us - t.days * SL__US_PER_DAY);
        return true;
    }
    int64_t delta;
    if (__builtin_mul_overflow(n, mul[unit], &delta) || __builtin_add_overflow(us, delta, out))
        return false;
    int64_t days = sl__floordiv(*out, SL__US_PER_DAY);
    return days >= SL__MIN_DAYS && days <= SL__MAX_DAYS;
}

/* aux: sign * (unit + 1); 0 means "unit from the INTERVAL argument, sign +" and a negative
 * zero is not needed: date_sub uses aux = -100. */
static void interval_of(const sl_expr *e, int *unit, int *sign)
{
    int aux = e->fn->aux;
    *sign = aux < 0 ? -1 : 1;
    if (aux == 100 || aux == -100)
        *unit = e->args[1]->kind == EK_INTERVAL ? unit_of(e->args[1]->name) : U_DAY;
    else
        *unit = (aux < 0 ? -aux : aux) - 1;
}

static sl_code f_date_add(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    int unit, sign;
    bool is_date = av[0].type.id == SL_DATE;
    interval_of(e, &unit, &sign);
    for (size_t i = 0; i < env->n; i++) {
        int64_t us, n = av[1].v[i].i, r;
        if (out->null[i])
            continue;
        us = is_date ? av[0].v[i].i * SL__US_PER_DAY : av[0].v[i].i;
        if (n == INT64_MIN || !sl__dt_add(us, unit, sign * n, &r)) {
            out->null[i] = 1;
            continue;
        }
        out->v[i].i = e->type.id == SL_DATE ? sl__floordiv(r, SL__US_PER_DAY) : r;
    }
    return SL_OK;
}

static sl_code bind_date_add(sl_expr *e, sl__binder *b)
{
    int unit, sign;
    sl_code rc;
    sl_type t0 = e->args[0]->type;
    interval_of(e, &unit, &sign);
    if (sl__cls_of(t0.id) != C_DATE && sl__cls_of(t0.id) != C_DT) {
        bool text = sl__cls_of(t0.id) == C_TEXT;
        sl_type to = text ? sl__dt_text_type(e->args[0], unit == U_MICRO ? 6 : unit == U_MILLI
                                                                               ? 3 : 0)
                          : sl__ty(SL_DATETIME);
        if ((rc = sl__expr_coerce(b, &e->args[0], sl__ty(SL_DATETIME))) != SL_OK)
            return rc;
        t0 = to;
    }
    if ((rc = sl__expr_coerce(b, &e->args[1], sl__ty(SL_BIGINT))) != SL_OK)
        return rc;
    e->type = t0;
    /* sub-second units widen the fraction: microseconds_add gives DATETIME(6), milliseconds
     * at least DATETIME(3) (Doris's signatures) */
    if (t0.id == SL_DATETIME && unit == U_MICRO)
        e->type.precision = 6;
    else if (t0.id == SL_DATETIME && unit == U_MILLI && t0.precision < 3)
        e->type.precision = 3;
    if (t0.id == SL_DATE && unit >= U_HOUR)
        e->type = sl__ty(SL_DATETIME),
        e->type.precision = unit == U_MICRO ? 6 : unit == U_MILLI ? 3 : 0;
    return SL_OK;
}

/* ---- date_format ---- */

/* Doris's Java-style shorthands, mapped to MySQL specifiers. */
static sl_slice java_format(sl_slice f)
{
    if (sl_slice_eq(f, "yyyy-MM-dd HH:mm:ss"))
        return SL_LIT("%Y-%m-%d %H:%i:%s");
    if (sl_slice_eq(f, "yyyy-MM-dd"))
        return SL_LIT("%Y-%m-%d");
    if (sl_slice_eq(f, "yyyyMMdd"))
        return SL_LIT("%Y%m%d");
    return f;
}

static size_t put(char *o, const char *s)
{
    size_t n = strlen(s);
    memcpy(o, s, n);
    return n;
}

static size_t num(char *o, int64_t v, int width)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%0*lld", width, (long long)v);
    memcpy(o, tmp, (size_t)n);
    return (size_t)n;
}

/* One specifier into o (at most 32 bytes). */
static size_t spec(char c, const parts *t, char *o)
{
    unsigned h12 = t->hh % 12 ? t->hh % 12 : 12;
    switch (c) {
    case 'a': return (size_t)snprintf(o, 4, "%.3s", day_names[t->wday]);
    case 'b': return (size_t)snprintf(o, 4, "%.3s", month_names[t->m - 1]);
    case 'c': return num(o, t->m, 0);
    case 'D': {
        size_t n = num(o, t->d, 0);
        const char *suf = (t->d / 10 == 1) ? "th" : t->d % 10 == 1 ? "st" : t->d % 10 == 2 ? "nd"
                                                  : t->d % 10 == 3 ? "rd" : "th";
        return n + put(o + n, suf);
    }
    case 'd': return num(o, t->d, 2);
    case 'e': return num(o, t->d, 0);
    case 'f': return num(o, t->us, 6);
    case 'H': return num(o, t->hh, 2);
    case 'h':
    case 'I': return num(o, h12, 2);
    case 'i': return num(o, t->mi, 2);
    case 'j': return num(o, t->yday + 1, 3);
    case 'k': return num(o, t->hh, 0);
    case 'l': return num(o, h12, 0);
    case 'M': return put(o, month_names[t->m - 1]);
    case 'm': return num(o, t->m, 2);
    case 'p': return put(o, t->hh < 12 ? "AM" : "PM");
    case 'r':
        return (size_t)snprintf(o, 32, "%02u:%02u:%02u %s", h12, t->mi, t->ss,
                                t->hh < 12 ? "AM" : "PM");
    case 'S':
    case 's': return num(o, t->ss, 2);
    case 'T': return (size_t)snprintf(o, 32, "%02u:%02u:%02u", t->hh, t->mi, t->ss);
    case 'U': return num(o, (t->yday + 7 - t->wday) / 7, 2);
    case 'u': return num(o, (t->yday + 7 - (t->wday + 6) % 7) / 7, 2);
    case 'W': return put(o, day_names[t->wday]);
    case 'w': return num(o, t->wday, 0);
    case 'Y': return num(o, t->y, 4);
    case 'y': return num(o, t->y % 100, 2);
    default: o[0] = c; return 1; /* %% and unknown specifiers: the character itself */
    }
}

/* Format us with f into the arena as d. */
static bool format_dt(sl__env *env, int64_t us, sl_slice f, sl_datum *d)
{
    char stack[256], *o = stack;
    size_t cap = f.n * 32 + 1, n = 0;
    parts t;
    if (cap > sizeof stack && (o = sl_arena_alloc(env->a, cap)) == NULL) {
        env->oom = true;
        return sl_fail(env->err, SL_NOMEM, "out of memory formatting a date"), false;
    }
    split(us, &t);
    for (size_t i = 0; i < f.n; i++) {
        if (f.p[i] == '%' && i + 1 < f.n)
            n += spec(f.p[++i], &t, o + n);
        else
            o[n++] = f.p[i];
    }
    if (o != stack) {
        d->s.p = o, d->s.n = n;
        return true;
    }
    return sl__expr_text(env, d, o, n);
}

static sl_code f_date_format(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    (void)e;
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        sl_slice f = java_format((sl_slice){av[1].v[i].s.p, av[1].v[i].s.n});
        if (!format_dt(env, av[0].v[i].i, f, &out->v[i]))
            return SL_NOMEM;
    }
    return SL_OK;
}

static sl_code bind_dt_str(sl_expr *e, sl__binder *b)
{
    sl_code rc = sl__expr_coerce(b, &e->args[0], sl__ty(SL_DATETIME));
    for (size_t i = 1; rc == SL_OK && i < e->n_args; i++)
        rc = sl__expr_coerce(b, &e->args[i], sl__ty(SL_STRING));
    return rc;
}

/* ---- str_to_date ---- */

typedef struct fields {
    int64_t y;
    unsigned m, d, hh, mi, ss, us, yday;
    bool pm, h12, has_yday;
} fields;

/* Match a name (full or 3-letter) from names at s[*i]; returns index + 1 or 0. */
static unsigned match_name(sl_slice s, size_t *i, const char *const *names, unsigned n, bool abbr)
{
    for (unsigned k = 0; k < n; k++) {
        size_t len = abbr ? 3 : strlen(names[k]);
        if (*i + len <= s.n && strncasecmp(s.p + *i, names[k], len) == 0) {
            *i += len;
            return k + 1;
        }
    }
    return 0;
}

static bool num_in(sl_slice s, size_t *i, size_t max, unsigned *v)
{
    size_t k = 0;
    *v = 0;
    while (*i < s.n && k < max && s.p[*i] >= '0' && s.p[*i] <= '9')
        *v = *v * 10 + (unsigned)(s.p[(*i)++] - '0'), k++;
    if (max == 6) /* %f: fraction digits, right-padded */
        for (size_t z = k; z < 6; z++)
            *v *= 10;
    return k > 0;
}

static bool scan_spec(char c, sl_slice s, size_t *i, fields *f)
{
    unsigned v;
    switch (c) {
    case 'Y': if (!num_in(s, i, 4, &v)) return false; f->y = v; return true;
    case 'y':
        if (!num_in(s, i, 2, &v)) return false;
        f->y = v < 70 ? 2000 + v : 1900 + v;
        return true;
    case 'm': case 'c': return num_in(s, i, 2, &f->m);
    case 'd': case 'e': return num_in(s, i, 2, &f->d);
    case 'H': case 'k': return num_in(s, i, 2, &f->hh);
    case 'h': case 'I': case 'l': f->h12 = true; return num_in(s, i, 2, &f->hh);
    case 'i': return num_in(s, i, 2, &f->mi);
    case 's': case 'S': return num_in(s, i, 2, &f->ss);
    case 'f': return num_in(s, i, 6, &f->us);
    case 'j': f->has_yday = true; return num_in(s, i, 3, &f->yday);
    case 'M': return (f->m = match_name(s, i, month_names, 12, false)) != 0;
    case 'b': return (f->m = match_name(s, i, month_names, 12, true)) != 0;
    case 'W': return match_name(s, i, day_names, 7, false) != 0;
    case 'a': return match_name(s, i, day_names, 7, true) != 0;
    case 'p':
        if (*i + 2 > s.n) return false;
        f->pm = strncasecmp(s.p + *i, "PM", 2) == 0;
        if (!f->pm && strncasecmp(s.p + *i, "AM", 2) != 0) return false;
        *i += 2;
        return true;
    case 'T':
        return scan_spec('H', s, i, f) && *i < s.n && s.p[(*i)++] == ':' &&
               scan_spec('i', s, i, f) && *i < s.n && s.p[(*i)++] == ':' && scan_spec('s', s, i, f);
    case 'r':
        if (!scan_spec('h', s, i, f) || *i >= s.n || s.p[(*i)++] != ':' ||
            !scan_spec('i', s, i, f) || *i >= s.n || s.p[(*i)++] != ':' ||
            !scan_spec('s', s, i, f))
            return false;
        while (*i < s.n && s.p[*i] == ' ')
            (*i)++;
        return scan_spec('p', s, i, f);
    default: return *i < s.n && s.p[(*i)++] == c;
    }
}

static bool parse_with_format(sl_slice s, sl_slice fmt, int64_t *us)
{
    fields f = {0, 1, 1, 0, 0, 0, 0, 0, false, false, false};
    size_t i = 0;
    fmt = java_format(fmt);
    for (size_t k = 0; k < fmt.n; k++) {
        char c = fmt.p[k];
        if (c == ' ' || (c >= '\t' && c <= '\r')) {
            while (i < s.n && (s.p[i] == ' ' || (s.p[i] >= '\t' && s.p[i] <= '\r')))
                i++;
        } else if (c == '%' && k + 1 < fmt.n) {
            if (!scan_spec(fmt.p[++k], s, &i, &f))
                return false;
        } else if (i >= s.n || s.p[i++] != c) {
            return false;
        }
    }
    if (f.h12) {
        if (f.hh < 1 || f.hh > 12)
            return false;
        f.hh = f.hh % 12 + (f.pm ? 12 : 0);
    }
    int64_t days;
    if (f.has_yday) {
        if (f.yday < 1 || f.yday > 366 || f.y > 9999)
            return false;
        days = sl__days_from_civil(f.y, 1, 1) + f.yday - 1;
    } else {
        if (!sl__valid_ymd(f.y, f.m, f.d))
            return false;
        days = sl__days_from_civil(f.y, f.m, f.d);
    }
    if (f.hh > 23 || f.mi > 59 || f.ss > 59 || days > SL__MAX_DAYS)
        return false;
    *us = days * SL__US_PER_DAY + ((int64_t)f.hh * 3600 + f.mi * 60 + f.ss) * 1000000 + f.us;
    return true;
}

static sl_code f_str_to_date(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    (void)e;
    for (size_t i = 0; i < env->n; i++)
        if (!out->null[i])
            out->null[i] = !parse_with_format((sl_slice){av[0].v[i].s.p, av[0].v[i].s.n},
                                              (sl_slice){av[1].v[i].s.p, av[1].v[i].s.n},
                                              &out->v[i].i);
    return SL_OK;
}

static sl_code bind_str_to_date(sl_expr *e, sl__binder *b)
{
    (void)b;
    const sl_expr *f = e->args[1];
    e->type.precision = 6;
    if (f->kind == EK_CAST && f->implicit)
        f = f->args[0];
    if (f->kind == EK_LIT && sl__cls_of(f->type.id) == C_TEXT &&
        (f->lit.s.n < 2 || !memmem(f->lit.s.p, f->lit.s.n, "%f", 2)))
        e->type.precision = 0;
    return SL_OK;
}

/* ---- unix time ---- */

/* from_unixtime's range in Doris: 0 .. 32536771199 (3001-01-19 07:59:59 UTC). */
#define MAX_UNIX INT64_C(32536771199)

static sl_code f_from_unixtime(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    for (size_t i = 0; i < env->n; i++) {
        int64_t ts = av[0].v[i].i;
        if (out->null[i])
            continue;
        if (ts < 0 || ts > MAX_UNIX) {
            out->null[i] = 1;
            continue;
        }
        sl_slice f = e->n_args > 1 ? java_format((sl_slice){av[1].v[i].s.p, av[1].v[i].s.n})
                                   : SL_LIT("%Y-%m-%d %H:%i:%s");
        if (!format_dt(env, (ts + offset_at(env, ts)) * 1000000, f, &out->v[i]))
            return SL_NOMEM;
    }
    return SL_OK;
}

static sl_code bind_from_unixtime(sl_expr *e, sl__binder *b)
{
    sl_code rc = sl__expr_coerce(b, &e->args[0], sl__ty(SL_BIGINT));
    if (rc == SL_OK && e->n_args > 1)
        rc = sl__expr_coerce(b, &e->args[1], sl__ty(SL_STRING));
    return rc;
}

/* Local wall time -> UTC seconds; Doris 2.x answers 0 outside 1970 .. 2038-01-19 03:14:07. */
static int64_t to_unix(const sl__env *env, int64_t local_us)
{
    int64_t local = sl__floordiv(local_us, 1000000);
    int64_t s = local - (env->ctx->tz ? sl_tz_offset_local(env->ctx->tz, local)
                                      : env->ctx->tz_offset_s);
    return s < 0 || s > INT32_MAX ? 0 : s;
}

static sl_code f_unix_timestamp(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    for (size_t i = 0; i < env->n; i++) {
        int64_t us;
        if (out->null[i])
            continue;
        if (e->n_args == 0)
            us = local_now(env);
        else if (e->n_args == 1)
            us = av[0].v[i].i;
        else if (!parse_with_format((sl_slice){av[0].v[i].s.p, av[0].v[i].s.n},
                                    (sl_slice){av[1].v[i].s.p, av[1].v[i].s.n}, &us)) {
            out->null[i] = 1;
            continue;
        }
        out->v[i].i = to_unix(env, us);
    }
    return SL_OK;
}

static sl_code bind_unix_timestamp(sl_expr *e, sl__binder *b)
{
    sl_type t = e->n_args == 1 ? sl__ty(SL_DATETIME) : sl__ty(SL_STRING);
    sl_code rc = SL_OK;
    for (size_t i = 0; rc == SL_OK && i < e->n_args; i++)
        rc = sl__expr_coerce(b, &e->args[i], t);
    return rc;
}

#define DT SL_DATETIME
#define ADD(n, u) {n, 2, 2, true, A_KEEP, DT, bind_date_add, f_date_add, (u)}

const sl__func sl__expr_funcs_time[] = {
    {"year", 1, 1, true, DT, SL_INT, NULL, f_part, F_YEAR},
    {"month", 1, 1, true, DT, SL_INT, NULL, f_part, F_MONTH},
    {"day", 1, 1, true, DT, SL_INT, NULL, f_part, F_DAY},
    {"dayofmonth", 1, 1, true, DT, SL_INT, NULL, f_part, F_DAY},
    {"hour", 1, 1, true, DT, SL_INT, NULL, f_part, F_HOUR},
    {"minute", 1, 1, true, DT, SL_INT, NULL, f_part, F_MINUTE},
    {"second", 1, 1, true, DT, SL_INT, NULL, f_part, F_SECOND},
    {"dayofweek", 1, 1, true, DT, SL_INT, NULL, f_part, F_DOW},
    {"dayofyear", 1, 1, true, DT, SL_INT, NULL, f_part, F_DOY},
    {"quarter", 1, 1, true, DT, SL_INT, NULL, f_part, F_QUARTER},
    {"weekday", 1, 1, true, DT, SL_INT, NULL, f_part, F_WEEKDAY},
    {"to_date", 1, 1, true, DT, SL_DATE, NULL, f_to_date, 0},
    {"date", 1, 1, true, DT, SL_DATE, NULL, f_to_date, 0},
    {"datediff", 2, 2, true, DT, SL_INT, NULL, f_datediff, 0},
    {"date_format", 2, 2, true, A_KEEP, SL_STRING, bind_dt_str, f_date_format, 0},
    {"str_to_date", 2, 2, true, SL_STRING, DT, bind_str_to_date, f_str_to_date, 0},
    {"from_unixtime", 1, 2, true, A_KEEP, SL_STRING, bind_from_unixtime, f_from_unixtime, 0},
    {"unix_timestamp", 0, 2, true, A_KEEP, SL_BIGINT, bind_unix_timestamp, f_unix_timestamp, 0},
    {"now", 0, 1, false, A_KEEP, DT, bind_now, f_now, 0},
    {"current_timestamp", 0, 1, false, A_KEEP, DT, bind_now, f_now, 0},
    {"localtime", 0, 1, false, A_KEEP, DT, bind_now, f_now, 0},
    {"localtimestamp", 0, 1, false, A_KEEP, DT, bind_now, f_now, 0},
    {"sysdate", 0, 1, false, A_KEEP, DT, bind_now, f_now, 0},
    {"curdate", 0, 0, false, A_KEEP, SL_DATE, NULL, f_now, 0},
    {"current_date", 0, 0, false, A_KEEP, SL_DATE, NULL, f_now, 0},
    ADD("date_add", 100), ADD("adddate", 100), ADD("date_sub", -100), ADD("subdate", -100),
    ADD("years_add", U_YEAR + 1), ADD("years_sub", -(U_YEAR + 1)),
    ADD("months_add", U_MONTH + 1), ADD("months_sub", -(U_MONTH + 1)),
    ADD("weeks_add", U_WEEK + 1), ADD("weeks_sub", -(U_WEEK + 1)),
    ADD("days_add", U_DAY + 1), ADD("days_sub", -(U_DAY + 1)),
    ADD("hours_add", U_HOUR + 1), ADD("hours_sub", -(U_HOUR + 1)),
    ADD("minutes_add", U_MINUTE + 1), ADD("minutes_sub", -(U_MINUTE + 1)),
    ADD("seconds_add", U_SECOND + 1), ADD("seconds_sub", -(U_SECOND + 1)),
    ADD("quarters_add", U_QUARTER + 1), ADD("quarters_sub", -(U_QUARTER + 1)),
    ADD("milliseconds_add", U_MILLI + 1), ADD("milliseconds_sub", -(U_MILLI + 1)),
    ADD("microseconds_add", U_MICRO + 1), ADD("microseconds_sub", -(U_MICRO + 1)),
};
const size_t sl__expr_n_funcs_time = SL_COUNT(sl__expr_funcs_time);
