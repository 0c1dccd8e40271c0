/*
 * func_date2.c - Doris's date and time functions beyond func_time.c (expr stage):
 * date_trunc, last_day, makedate, to_monday, to_days / from_days, from_second /
 * from_millisecond / from_microsecond, microsecond, monthname / dayname, week / weekofyear /
 * yearweek (MySQL's modes 0-7), timestampdiff / timestampadd and the years_diff ..
 * microseconds_diff family, convert_tz, utc_timestamp, to_iso8601, from_iso8601_date.
 *
 * Values are DATE (days) and DATETIME (microseconds, no zone) as in func_time.c; text reaches
 * these functions through the binder's implicit casts. Differences count whole units elapsed
 * (MySQL's TIMESTAMPDIFF: '2024-01-31' to '2024-02-29' is 0 months). convert_tz reads zones
 * from the system's zoneinfo through one process-wide registry (core/tz.h); an unknown zone
 * gives NULL, as in Doris.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <pthread.h>
#include <stdio.h>

#include "../core/tz.h"
#include "internal.h"

#define US SL__US_PER_DAY

static const char *const month_names[] = {"January", "February", "March",     "April",
                                          "May",     "June",     "July",      "August",
                                          "September", "October", "November", "December"};
static const char *const day_names[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                        "Thursday", "Friday", "Saturday"};

static int64_t days_of(int64_t us)
{
    return sl__floordiv(us, US);
}

/* Day of week, 0 = Sunday. */
static unsigned wday(int64_t days)
{
    return (unsigned)(((days % 7) + 11) % 7);
}

static bool in_range(int64_t days)
{
    return days >= SL__MIN_DAYS && days <= SL__MAX_DAYS;
}

/* ---- date_trunc(dt, 'unit') (either argument order, as Doris 2.1 and 3.0 accept) ---- */

static int64_t trunc_to(int64_t us, int unit)
{
    int64_t days = days_of(us), y;
    unsigned m, d;
    sl__civil_from_days(days, &y, &m, &d);
    switch (unit) {
    case SL__U_YEAR: return sl__days_from_civil(y, 1, 1) * US;
    case SL__U_QUARTER: return sl__days_from_civil(y, (m - 1) / 3 * 3 + 1, 1) * US;
    case SL__U_MONTH: return sl__days_from_civil(y, m, 1) * US;
    case SL__U_WEEK: return (days - (wday(days) + 6) % 7) * US; /* weeks start on Monday */
    case SL__U_DAY: return days * US;
    case SL__U_HOUR: return sl__floordiv(us, INT64_C(3600000000)) * INT64_C(3600000000);
    case SL__U_MINUTE: return sl__floordiv(us, 60000000) * 60000000;
    case SL__U_SECOND: return sl__floordiv(us, 1000000) * 1000000;
    case SL__U_MILLI: return sl__floordiv(us, 1000) * 1000;
    default: return us;
    }
}

static sl_code f_date_trunc(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    size_t dt = e->fn->aux, un = 1 - dt;
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        int unit = sl__dt_unit(sl__arg_s(av, un, i));
        if (unit < 0) {
            out->null[i] = 1;
            continue;
        }
        int64_t us = av[dt].type.id == SL_DATE ? av[dt].v[i].i * US : av[dt].v[i].i;
        int64_t r = trunc_to(us, unit);
        out->v[i].i = e->type.id == SL_DATE ? days_of(r) : r;
    }
    return SL_OK;
}

/* The argument order: a text argument first is the unit. The function's aux records which
 * argument is the datetime (0 or 1), so the table has two entries sharing a name check. */
static sl_code bind_date_trunc(sl_expr *e, sl__binder *b)
{
    bool unit_first = sl__cls_of(e->args[0]->type.id) == C_TEXT &&
                      e->args[0]->kind == EK_LIT && sl__dt_unit((sl_slice){e->args[0]->lit.s.p,
                                                                          e->args[0]->lit.s.n}) >= 0;
    size_t dt = unit_first ? 1 : 0;
    sl_type t = e->args[dt]->type;
    if (t.id != SL_DATE && t.id != SL_DATETIME)
        t = sl__dt_text_type(e->args[dt], 0);
    sl_code rc = sl__expr_coerce(b, &e->args[dt], sl__ty(t.id));
    if (rc == SL_OK)
        rc = sl__expr_coerce(b, &e->args[1 - dt], sl__ty(SL_STRING));
    e->type = t;
    /* the evaluator needs the order: kept in the node's op byte (unused for calls) */
    e->op = (uint8_t)dt;
    return rc;
}

static sl_code f_date_trunc_any(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    sl__func fn = *e->fn;
    sl_expr copy = *e;
    fn.aux = e->op;
    copy.fn = &fn;
    return f_date_trunc(&copy, av, env, out);
}

/* ---- one-argument date functions ---- */

enum { O_LAST_DAY, O_TO_MONDAY, O_TO_DAYS, O_MICROSECOND, O_MONTHNAME, O_DAYNAME,
       O_WEEKOFYEAR, O_ISO8601 };

/* MySQL's week(): mode bit 0 Monday first, bit 1 weeks 1..53 (else 0..53), bit 2 ISO rule
 * (the first week has 4+ days in the year, else it contains the first Monday/Sunday). *year
 * receives the year the week belongs to (yearweek). */
static int week_of(int64_t days, unsigned mode, int64_t *year)
{
    bool monday = mode & 1, range1 = mode & 2, four = (mode & 4) ? !monday : monday;
    int64_t y;
    unsigned m, d;
    sl__civil_from_days(days, &y, &m, &d);
    for (;;) {
        int64_t first = sl__days_from_civil(y, 1, 1);
        unsigned wd = wday(first), off = monday ? (wd + 6) % 7 : wd; /* days since week start */
        int64_t start = four ? (off <= 3 ? first - off : first + 7 - off)
                             : (off == 0 ? first : first + 7 - off);
        if (days >= start) {
            int w = (int)((days - start) / 7) + 1;
            if (range1 && w == 53) { /* the week may belong to next year's week 1 */
                int64_t nf = sl__days_from_civil(y + 1, 1, 1);
                unsigned nwd = wday(nf), noff = monday ? (nwd + 6) % 7 : nwd;
                int64_t nstart = four ? (noff <= 3 ? nf - noff : nf + 7 - noff)
                                      : (noff == 0 ? nf : nf + 7 - noff);
                if (days >= nstart) {
                    *year = y + 1;
                    return 1;
                }
            }
            *year = y;
            return w;
        }
        if (!range1) {
            *year = y;
            return 0;
        }
        y--; /* before week 1: the last week of the previous year */
    }
}

static sl_code f_one(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    const int how = e->fn->aux;
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        int64_t us = av[0].type.id == SL_DATE ? av[0].v[i].i * US : av[0].v[i].i, y;
        int64_t days = days_of(us);
        unsigned m, d;
        const char *name = NULL;
        switch (how) {
        case O_LAST_DAY:
            sl__civil_from_days(days, &y, &m, &d);
            out->v[i].i = sl__days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) - 1;
            break;
        case O_TO_MONDAY: out->v[i].i = days - (wday(days) + 6) % 7; break;
        case O_TO_DAYS: out->v[i].i = days + 719528; break;
        case O_MICROSECOND: out->v[i].i = us - days * US - (us - days * US) / 1000000 * 1000000; break;
        case O_MONTHNAME:
            sl__civil_from_days(days, &y, &m, &d);
            name = month_names[m - 1];
            break;
        case O_DAYNAME: name = day_names[wday(days)]; break;
        case O_WEEKOFYEAR: out->v[i].i = week_of(days, 3, &y); break;
        default: { /* O_ISO8601 */
            char buf[64];
            size_t n = av[0].type.id == SL_DATE ? sl__fmt_date(days, buf)
                                                : sl__fmt_datetime(us, e->op ? e->op - 1u
                                                                   : av[0].type.precision, buf);
            if (n > 10)
                buf[10] = 'T';
            if (!sl__expr_text(env, &out->v[i], buf, n))
                return SL_NOMEM;
        }
        }
        if (name && !sl__expr_text(env, &out->v[i], name, strlen(name)))
            return SL_NOMEM;
    }
    return SL_OK;
}

/* Keep DATE and DATETIME; anything else as DATETIME. */
static sl_code bind_dateish(sl_expr *e, sl__binder *b)
{
    sl_type t = e->args[0]->type;
    if (t.id != SL_DATE && t.id != SL_DATETIME)
        t = sl__dt_text_type(e->args[0], 0);
    /* a text literal's own precision, for to_iso8601 (kept in op, unused for calls) */
    e->op = (uint8_t)(sl__cls_of(e->args[0]->type.id) == C_TEXT ? t.precision + 1 : 0);
    return sl__expr_coerce(b, &e->args[0], t);
}

/* ---- week(d[, mode]), yearweek(d[, mode]) ---- */

static sl_code f_week(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    for (size_t i = 0; i < env->n; i++) {
        int64_t y;
        if (out->null[i])
            continue;
        unsigned mode = e->n_args > 1 ? (unsigned)(av[1].v[i].i & 7) : 0;
        int64_t days = days_of(av[0].v[i].i);
        if (e->fn->aux) { /* yearweek: always weeks 1..53 */
            int w = week_of(days, mode | 2, &y);
            out->v[i].i = y * 100 + w;
        } else {
            out->v[i].i = week_of(days, mode, &y);
        }
    }
    return SL_OK;
}

static sl_code bind_dt_int(sl_expr *e, sl__binder *b)
{
    sl_code rc = sl__expr_coerce(b, &e->args[0], sl__ty(SL_DATETIME));
    for (size_t k = 1; rc == SL_OK && k < e->n_args; k++)
        rc = sl__expr_coerce(b, &e->args[k], sl__ty(SL_BIGINT));
    return rc;
}

/* ---- makedate, from_days, from_second & co ---- */

enum { N_MAKEDATE, N_FROM_DAYS, N_FROM_SECOND, N_FROM_MILLI, N_FROM_MICRO };

static int32_t offset_at(const sl__env *env, int64_t s)
{
    return env->ctx->tz ? sl_tz_offset_utc(env->ctx->tz, s) : env->ctx->tz_offset_s;
}

static sl_code f_from_num(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    static const int64_t unit[] = {0, 0, 1000000, 1000, 1};
    const int how = e->fn->aux;
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        int64_t v = av[0].v[i].i, r = 0;
        bool ok;
        if (how == N_MAKEDATE) {
            int64_t doy = av[1].v[i].i;
            ok = v >= 0 && v <= 9999 && doy > 0 && doy <= 3660000;
            r = ok ? sl__days_from_civil(v, 1, 1) + doy - 1 : 0;
            ok = ok && in_range(r) && r <= sl__days_from_civil(9999, 12, 31);
        } else if (how == N_FROM_DAYS) {
            r = v - 719528;
            ok = v >= 366 && r <= sl__days_from_civil(9999, 12, 31); /* MySQL: day 0..365 zero */
        } else {
            int64_t us;
            ok = v >= 0 && !__builtin_mul_overflow(v, unit[how], &us);
            if (ok) {
                int64_t s = sl__floordiv(us, 1000000);
                ok = !__builtin_add_overflow(us, (int64_t)offset_at(env, s) * 1000000, &r) &&
                     in_range(days_of(r));
            }
        }
        out->null[i] = !ok;
        out->v[i].i = r;
    }
    return SL_OK;
}

static sl_code bind_from_num(sl_expr *e, sl__binder *b)
{
    sl_code rc = SL_OK;
    for (size_t k = 0; rc == SL_OK && k < e->n_args; k++)
        rc = sl__expr_coerce(b, &e->args[k], sl__ty(SL_BIGINT));
    if (e->fn->aux >= N_FROM_SECOND)
        e->type.precision = e->fn->aux == N_FROM_SECOND ? 0 : e->fn->aux == N_FROM_MILLI ? 3 : 6;
    return rc;
}

/* ---- differences: timestampdiff(unit, a, b) = b - a; years_diff(a, b) = a - b ---- */

/* Whole months from a to b (MySQL: the day and time of day decide a partial month). */
static int64_t months_between(int64_t a, int64_t b)
{
    bool neg = b < a;
    if (neg) {
        int64_t t = a;
        a = b, b = t;
    }
    int64_t ya, yb, da = days_of(a), db = days_of(b);
    unsigned ma, mb, dda, ddb;
    sl__civil_from_days(da, &ya, &ma, &dda);
    sl__civil_from_days(db, &yb, &mb, &ddb);
    int64_t months = (yb - ya) * 12 + (int64_t)mb - (int64_t)ma;
    int64_t ta = a - da * US, tb = b - db * US;
    if (ddb < dda || (ddb == dda && tb < ta))
        months--;
    return neg ? -months : months;
}

static int64_t diff_units(int unit, int64_t a, int64_t b)
{
    static const int64_t per[] = {0, 0, 0, 7 * US, US, INT64_C(3600000000), 60000000, 1000000, 1,
                                  1000};
    switch (unit) {
    case SL__U_YEAR: return months_between(a, b) / 12;
    case SL__U_QUARTER: return months_between(a, b) / 3;
    case SL__U_MONTH: return months_between(a, b);
    default: return (b - a) / per[unit];
    }
}

static sl_code f_diff(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    const bool tsd = e->fn->aux < 0; /* timestampdiff(unit, a, b) */
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        int unit = tsd ? sl__dt_unit(sl__arg_s(av, 0, i)) : e->fn->aux;
        if (unit < 0) {
            out->null[i] = 1;
            continue;
        }
        int64_t a = av[1].v[i].i, b = av[tsd ? 2 : 0].v[i].i;
        out->v[i].i = diff_units(unit, a, b);
    }
    return SL_OK;
}

static sl_code bind_diff(sl_expr *e, sl__binder *b)
{
    size_t from = e->fn->aux < 0 ? 1 : 0;
    sl_code rc = from ? sl__expr_coerce(b, &e->args[0], sl__ty(SL_STRING)) : SL_OK;
    for (size_t k = from; rc == SL_OK && k < e->n_args; k++)
        rc = sl__expr_coerce(b, &e->args[k], sl__ty(SL_DATETIME));
    return rc;
}

/* timestampadd(unit, n, dt) */
static sl_code f_tsadd(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    (void)e;
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        int unit = sl__dt_unit(sl__arg_s(av, 0, i));
        int64_t n = av[1].v[i].i;
        out->null[i] = unit < 0 || n == INT64_MIN || !sl__dt_add(av[2].v[i].i, unit, n, &out->v[i].i);
    }
    return SL_OK;
}

static sl_code bind_tsadd(sl_expr *e, sl__binder *b)
{
    sl_type t = e->args[2]->type;
    sl_code rc = sl__expr_coerce(b, &e->args[0], sl__ty(SL_STRING));
    if (rc == SL_OK)
        rc = sl__expr_coerce(b, &e->args[1], sl__ty(SL_BIGINT));
    if (t.id != SL_DATETIME)
        t = sl__dt_text_type(e->args[2], 0);
    if (rc == SL_OK)
        rc = sl__expr_coerce(b, &e->args[2], sl__ty(SL_DATETIME));
    e->type = t;
    return rc;
}

/* ---- convert_tz(dt, from, to) and utc_timestamp() ---- */

static pthread_once_t tzdb_once = PTHREAD_ONCE_INIT;
static sl_tzdb *tzdb;

static void tzdb_init(void)
{
    tzdb = sl_tzdb_new(NULL);
}

static sl_code f_convert_tz(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    (void)e;
    pthread_once(&tzdb_once, tzdb_init);
    for (size_t i = 0; i < env->n; i++) {
        const sl_tz *from, *to;
        sl_err ignore = {0};
        if (out->null[i])
            continue;
        if (tzdb == NULL || sl_tzdb_get(tzdb, sl__arg_s(av, 1, i), &from, &ignore) != SL_OK ||
            sl_tzdb_get(tzdb, sl__arg_s(av, 2, i), &to, &ignore) != SL_OK) {
            out->null[i] = 1;
            continue;
        }
        int64_t us = av[0].v[i].i, local = sl__floordiv(us, 1000000);
        int64_t utc = local - sl_tz_offset_local(from, local);
        int64_t r = us + (int64_t)(sl_tz_offset_utc(to, utc) - (local - utc)) * 1000000;
        out->null[i] = !in_range(days_of(r));
        out->v[i].i = r;
    }
    return SL_OK;
}

static sl_code bind_convert_tz(sl_expr *e, sl__binder *b)
{
    sl_type t = e->args[0]->type;
    if (t.id != SL_DATETIME)
        t = sl__dt_text_type(e->args[0], 0);
    sl_code rc = sl__expr_coerce(b, &e->args[0], sl__ty(SL_DATETIME));
    for (size_t k = 1; rc == SL_OK && k < 3; k++)
        rc = sl__expr_coerce(b, &e->args[k], sl__ty(SL_STRING));
    e->type = t;
    return rc;
}

static sl_code f_utc(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    (void)av;
    int64_t v = sl__floordiv(env->ctx->now_us, 1000000) * 1000000;
    for (size_t i = 0; i < env->n; i++)
        out->v[i].i = e->type.id == SL_DATE ? days_of(v) : v;
    return SL_OK;
}

static sl_code bind_utc(sl_expr *e, sl__binder *b)
{
    (void)b;
    e->type.precision = 0;
    return SL_OK;
}

/* from_iso8601_date('2023-10-01' | '2023-W40-1' | '2023-274' | '2023-10'): a DATE or NULL. */
static bool iso_date(sl_slice s, int64_t *days)
{
    unsigned v[3] = {0, 0, 0};
    int n = 0, len[3] = {0, 0, 0};
    bool week = false;
    for (size_t k = 0; k < s.n; k++) {
        char c = s.p[k];
        if (c >= '0' && c <= '9' && n < 3 && len[n] < 4)
            v[n] = v[n] * 10 + (unsigned)(c - '0'), len[n]++;
        else if (c == '-' && n < 2 && len[n])
            n++;
        else if (c == 'W' && n == 1 && len[1] == 0)
            week = true;
        else
            return false;
    }
    n++;
    if (len[0] != 4)
        return false;
    int64_t jan1 = sl__days_from_civil(v[0], 1, 1);
    if (week) { /* ISO week: week 1 holds January 4th; days 1 = Monday */
        int64_t jan4 = jan1 + 3, mon = jan4 - (wday(jan4) + 6) % 7;
        unsigned dow = n == 3 ? v[2] : 1;
        if (v[1] < 1 || v[1] > 53 || dow < 1 || dow > 7)
            return false;
        *days = mon + (int64_t)(v[1] - 1) * 7 + dow - 1;
        return true;
    }
    if (n == 2 && len[1] == 3) { /* ordinal date */
        *days = jan1 + v[1] - 1;
        return v[1] >= 1 && v[1] <= 366;
    }
    if (n == 1) {
        *days = jan1;
        return true;
    }
    unsigned d = n == 3 ? v[2] : 1;
    if (!sl__valid_ymd(v[0], v[1], d))
        return false;
    *days = sl__days_from_civil(v[0], v[1], d);
    return true;
}

static sl_code f_from_iso(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    (void)e;
    for (size_t i = 0; i < env->n; i++)
        if (!out->null[i])
            out->null[i] = !iso_date(sl__arg_s(av, 0, i), &out->v[i].i);
    return SL_OK;
}

#define DT SL_DATETIME
#define KEEP A_KEEP
#define DIFF(n, u) {n, 2, 2, true, KEEP, SL_BIGINT, bind_diff, f_diff, u}

const sl__func sl__expr_funcs_date2[] = {
    {"date_trunc", 2, 2, true, KEEP, DT, bind_date_trunc, f_date_trunc_any, 0},
    {"last_day", 1, 1, true, DT, SL_DATE, NULL, f_one, O_LAST_DAY},
    {"to_monday", 1, 1, true, DT, SL_DATE, NULL, f_one, O_TO_MONDAY},
    {"to_days", 1, 1, true, DT, SL_INT, NULL, f_one, O_TO_DAYS},
    {"microsecond", 1, 1, true, DT, SL_INT, NULL, f_one, O_MICROSECOND},
    {"monthname", 1, 1, true, DT, SL_STRING, NULL, f_one, O_MONTHNAME},
    {"dayname", 1, 1, true, DT, SL_STRING, NULL, f_one, O_DAYNAME},
    {"weekofyear", 1, 1, true, DT, SL_INT, NULL, f_one, O_WEEKOFYEAR},
    {"to_iso8601", 1, 1, true, KEEP, SL_STRING, bind_dateish, f_one, O_ISO8601},
    {"week", 1, 2, true, KEEP, SL_INT, bind_dt_int, f_week, 0},
    {"yearweek", 1, 2, true, KEEP, SL_INT, bind_dt_int, f_week, 1},
    {"makedate", 2, 2, true, SL_BIGINT, SL_DATE, NULL, f_from_num, N_MAKEDATE},
    {"from_days", 1, 1, true, SL_BIGINT, SL_DATE, NULL, f_from_num, N_FROM_DAYS},
    {"from_second", 1, 1, true, KEEP, DT, bind_from_num, f_from_num, N_FROM_SECOND},
    {"from_millisecond", 1, 1, true, KEEP, DT, bind_from_num, f_from_num, N_FROM_MILLI},
    {"from_microsecond", 1, 1, true, KEEP, DT, bind_from_num, f_from_num, N_FROM_MICRO},
    {"timestampdiff", 3, 3, true, KEEP, SL_BIGINT, bind_diff, f_diff, -1},
    {"timestampadd", 3, 3, true, KEEP, DT, bind_tsadd, f_tsadd, 0},
    DIFF("years_diff", SL__U_YEAR), DIFF("months_diff", SL__U_MONTH),
    DIFF("weeks_diff", SL__U_WEEK), DIFF("days_diff", SL__U_DAY),
    DIFF("hours_diff", SL__U_HOUR), DIFF("minutes_diff", SL__U_MINUTE),
    DIFF("seconds_diff", SL__U_SECOND), DIFF("milliseconds_diff", SL__U_MILLI),
    DIFF("microseconds_diff", SL__U_MICRO),
    {"convert_tz", 3, 3, true, KEEP, DT, bind_convert_tz, f_convert_tz, 0},
    {"utc_timestamp", 0, 0, false, KEEP, DT, bind_utc, f_utc, 0},
    {"from_iso8601_date", 1, 1, true, SL_STRING, SL_DATE, NULL, f_from_iso, 0},
};
const size_t sl__expr_n_funcs_date2 = SL_COUNT(sl__expr_funcs_date2);
