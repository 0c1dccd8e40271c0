/*
 * func_date3.c - Doris's period rounding and calendar-step date functions (expr stage):
 * year_floor .. second_floor and year_ceil .. second_ceil (with quarter_floor / quarter_ceil)
 * with the optional period and origin, months_between, next_day and previous_day.
 *
 * Values are DATE (days) and DATETIME (microseconds, no zone) as in func_time.c. Rounding
 * counts whole periods from the origin (default 0001-01-01 00:00:00, as Doris documents and
 * computes since it unified its front and back ends): fixed-length units (week .. second)
 * divide the elapsed time, calendar units (year, quarter, month) count months and compare the
 * rest (day and time of day) with the origin's, and the result is origin + k periods with
 * months_add's day clamping. A period below 1 or a result outside 0000-01-01 .. 9999-12-31
 * gives NULL.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <math.h>
#include <strings.h>

#include "internal.h"

#define US SL__US_PER_DAY

static int64_t days_of(int64_t us)
{
    return sl__floordiv(us, US);
}

/* ---- year_floor(dt[, period][, origin]) & co ---- */

/* aux: unit (SL__U_*) | CEIL_BIT. The node's op: bit 0 a period is argument 1, bit 1 the
 * last argument is the origin. */
#define CEIL_BIT 0x100

/* The number of whole units (rounded down, or up for ceil) from origin o to us. */
static int64_t units_from(int unit, bool ceil_, int64_t o, int64_t us)
{
    static const int64_t len[] = {0, 0, 0, 7 * US, US, INT64_C(3600000000), 60000000, 1000000};
    if (unit >= SL__U_WEEK) {
        int64_t d = us - o; /* both within the DATETIME range: no overflow */
        return ceil_ ? -sl__floordiv(-d, len[unit]) : sl__floordiv(d, len[unit]);
    }
    int64_t ya, yo, da = days_of(us), dop = days_of(o);
    unsigned ma, mo, dda, ddo;
    sl__civil_from_days(da, &ya, &ma, &dda);
    sl__civil_from_days(dop, &yo, &mo, &ddo);
    int64_t months = (ya - yo) * 12 + (int64_t)ma - (int64_t)mo;
    int64_t ra = (int64_t)dda * US + (us - da * US), ro = (int64_t)ddo * US + (o - dop * US);
    int64_t k = unit == SL__U_YEAR ? 12 : unit == SL__U_QUARTER ? 3 : 1;
    int64_t m = months - (ra < ro); /* whole months elapsed */
    int64_t n = sl__floordiv(m, k);
    if (ceil_ && (ra != ro || m != n * k))
        n++;
    return n;
}

static bool round_one(int unit, bool ceil_, int64_t us, int64_t period, int64_t o, int64_t *r)
{
    if (period < 1 || period > INT32_MAX)
        return false;
    int64_t n = units_from(unit, ceil_, o, us);
    int64_t delta = n - sl__floordiv(n, period) * period, step = n - delta;
    if (ceil_ && delta)
        step += period;
    if (unit <= SL__U_MONTH) {
        int64_t months = step * (unit == SL__U_YEAR ? 12 : unit == SL__U_QUARTER ? 3 : 1);
        return sl__dt_add(o, SL__U_MONTH, months, r);
    }
    return sl__dt_add(o, unit, step, r);
}

static sl_code f_round(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    const int unit = e->fn->aux & 0xff;
    const bool ceil_ = e->fn->aux & CEIL_BIT, has_p = e->op & 1, has_o = e->op & 2;
    const size_t ko = e->n_args - 1;
    const int64_t first = sl__days_from_civil(1, 1, 1) * US;
    const bool in_date = av[0].type.id == SL_DATE, out_date = e->type.id == SL_DATE;
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        int64_t us = in_date ? av[0].v[i].i * US : av[0].v[i].i, r;
        int64_t o = has_o ? (av[ko].type.id == SL_DATE ? av[ko].v[i].i * US : av[ko].v[i].i)
                          : first;
        if (!round_one(unit, ceil_, us, has_p ? av[1].v[i].i : 1, o, &r)) {
            out->null[i] = 1;
            continue;
        }
        out->v[i].i = out_date ? days_of(r) : r;
    }
    return SL_OK;
}

static sl_type date_or_dt(const sl_expr *x)
{
    sl_type t = x->type;
    if (t.id != SL_DATE && t.id != SL_DATETIME)
        t = sl__dt_text_type(x, 0);
    return t;
}

/* A second argument of a number class is the period, anything else the origin. DATE stays
 * DATE when the origin (if any) is a DATE too; everything else is DATETIME. */
static sl_code bind_round(sl_expr *e, sl__binder *b)
{
    int c1 = e->n_args > 1 ? sl__cls_of(e->args[1]->type.id) : C_NULL;
    bool has_p = e->n_args == 3 || (e->n_args == 2 && c1 <= C_FLOAT);
    bool has_o = e->n_args == 3 || (e->n_args == 2 && !has_p);
    sl_type t = date_or_dt(e->args[0]);
    sl_code rc = sl__expr_coerce(b, &e->args[0], sl__ty(t.id));
    if (rc == SL_OK && has_p)
        rc = sl__expr_coerce(b, &e->args[1], sl__ty(SL_BIGINT));
    if (has_o) {
        sl_expr **o = &e->args[e->n_args - 1];
        sl_type ot = date_or_dt(*o);
        if (t.id == SL_DATE && ot.id != SL_DATE)
            t = ot;
        if (rc == SL_OK)
            rc = sl__expr_coerce(b, o, sl__ty(ot.id));
    }
    e->type = t;
    e->op = (uint8_t)(has_p | (has_o << 1));
    return rc;
}

/* ---- months_between(end, start[, round]) ---- */

static bool last_of_month(int64_t y, unsigned m, unsigned d)
{
    return !sl__valid_ymd(y, m, d + 1);
}

static sl_code f_months_between(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        int64_t y1, y2;
        unsigned m1, m2, d1, d2;
        sl__civil_from_days(days_of(av[0].v[i].i), &y1, &m1, &d1);
        sl__civil_from_days(days_of(av[1].v[i].i), &y2, &m2, &d2);
        double r = (double)((y1 - y2) * 12 + (int64_t)m1 - (int64_t)m2);
        if (d1 != d2 && !(last_of_month(y1, m1, d1) && last_of_month(y2, m2, d2)))
            r += ((double)d1 - (double)d2) / 31.0;
        if (e->n_args < 3 || av[2].v[i].i)
            r = round(r * 1e8) / 1e8;
        out->v[i].d = r;
    }
    return SL_OK;
}

static sl_code bind_months_between(sl_expr *e, sl__binder *b)
{
    sl_code rc = SL_OK;
    for (size_t k = 0; rc == SL_OK && k < 2; k++)
        rc = sl__expr_coerce(b, &e->args[k], sl__ty(SL_DATETIME));
    if (rc == SL_OK && e->n_args == 3)
        rc = sl__expr_coerce(b, &e->args[2], sl__ty(SL_BOOLEAN));
    return rc;
}

/* ---- next_day(d, 'MON'), previous_day(d, 'MON') ---- */

/* Day of week 0 = Monday from 'MO' / 'MON' / 'MONDAY' (any case), or -1. */
static int weekday_named(sl_slice s)
{
    static const char *const full[] = {"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY",
                                       "FRIDAY", "SATURDAY", "SUNDAY"};
    for (int k = 0; k < 7; k++) {
        size_t n = strlen(full[k]);
        if ((s.n == 2 || s.n == 3 || s.n == n) && strncasecmp(s.p, full[k], s.n) == 0)
            return k;
    }
    return -1;
}

static sl_code f_next_day(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    const bool prev = e->fn->aux;
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        int want = weekday_named(sl__arg_s(av, 1, i));
        int64_t days = av[0].type.id == SL_DATE ? av[0].v[i].i : days_of(av[0].v[i].i);
        if (want < 0) {
            out->null[i] = 1;
            continue;
        }
        int have = (int)(((days % 7) + 10) % 7); /* 0 = Monday (1970-01-01 was a Thursday) */
        int64_t step = prev ? -(int64_t)((have - want + 6) % 7 + 1)
                            : (int64_t)((want - have + 6) % 7 + 1);
        int64_t r = days + step;
        out->null[i] = r < SL__MIN_DAYS || r > SL__MAX_DAYS;
        out->v[i].i = r;
    }
    return SL_OK;
}

static sl_code bind_next_day(sl_expr *e, sl__binder *b)
{
    sl_type t = date_or_dt(e->args[0]);
    sl_code rc = sl__expr_coerce(b, &e->args[0], sl__ty(t.id));
    if (rc == SL_OK)
        rc = sl__expr_coerce(b, &e->args[1], sl__ty(SL_STRING));
    return rc;
}

#define DT SL_DATETIME
#define KEEP A_KEEP
#define ROUND(n, u, c) {n, 1, 3, true, KEEP, DT, bind_round, f_round, (u) | (c)}

const sl__func sl__expr_funcs_date3[] = {
    ROUND("year_floor", SL__U_YEAR, 0),       ROUND("year_ceil", SL__U_YEAR, CEIL_BIT),
    ROUND("quarter_floor", SL__U_QUARTER, 0), ROUND("quarter_ceil", SL__U_QUARTER, CEIL_BIT),
    ROUND("month_floor", SL__U_MONTH, 0),     ROUND("month_ceil", SL__U_MONTH, CEIL_BIT),
    ROUND("week_floor", SL__U_WEEK, 0),       ROUND("week_ceil", SL__U_WEEK, CEIL_BIT),
    ROUND("day_floor", SL__U_DAY, 0),         ROUND("day_ceil", SL__U_DAY, CEIL_BIT),
    ROUND("hour_floor", SL__U_HOUR, 0),       ROUND("hour_ceil", SL__U_HOUR, CEIL_BIT),
    ROUND("minute_floor", SL__U_MINUTE, 0),   ROUND("minute_ceil", SL__U_MINUTE, CEIL_BIT),
    ROUND("second_floor", SL__U_SECOND, 0),   ROUND("second_ceil", SL__U_SECOND, CEIL_BIT),
    {"months_between", 2, 3, true, KEEP, SL_DOUBLE, bind_months_between, f_months_between, 0},
    {"next_day", 2, 2, true, KEEP, SL_DATE, bind_next_day, f_next_day, 0},
    {"previous_day", 2, 2, true, KEEP, SL_DATE, bind_next_day, f_next_day, 1},
};
const size_t sl__expr_n_funcs_date3 = SL_COUNT(sl__expr_funcs_date3);
