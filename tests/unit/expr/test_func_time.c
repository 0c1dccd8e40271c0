/*
 * test_func_time.c - date and time builtins (src/expr/func_time.c): field extraction, leap
 * days, datediff across years, date_add month-end clamping, date_format / str_to_date
 * specifiers, unix time with a load time zone, now() constant within a load.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>

#include "../../../src/expr/internal.h"

#include "fixture.h"

TestSuite(func_time, .init = setup, .fini = teardown);

Test(func_time, fields)
{
    EV("year(dt)", "2024");
    EV("month(dt)", "2");
    EV("day(dt)", "29");
    EV("hour(dt)", "13");
    EV("minute(dt)", "45");
    EV("second(dt)", "30");
    EV("dayofweek(dt)", "5");            /* 2024-02-29 was a Thursday; Sunday = 1 */
    EV("dayofweek('1970-01-01')", "5");
    EV("dayofweek('2023-01-01')", "1");
    EV("dayofyear(dd)", "60");
    EV("quarter(t)", "4");
    EV("weekday(dd)", "3");
    EV("year(t)", "2023");
    EV("year('2024-13-01')", "NULL");   /* invalid text date -> NULL */
    EV("year(nul)", "NULL");
    EV("year('0000-01-01')", "0");
    EV("month('9999-12-31 23:59:59')", "12");
    EV("to_date(dt)", "2024-02-29");
    EV("date('2024-03-01 10:00:00')", "2024-03-01");
}

Test(func_time, leap_days_and_datediff)
{
    EV("day('2023-02-29')", "NULL");
    EV("day('1900-02-29')", "NULL");
    EV("day('2000-02-29')", "29");
    EV("datediff('2024-03-01', '2024-02-28')", "2");
    EV("datediff('2023-03-01', '2023-02-28')", "1");
    EV("datediff('2024-01-01', '2023-12-31 23:59:59')", "1");
    EV("datediff('2023-12-31', '2024-01-01')", "-1");
    EV("datediff('2025-01-01', '2020-01-01')", "1827");
    EV("datediff(dt, '1970-01-01')", "19782");
    EV("datediff('1969-12-31 23:00:00', '1970-01-01')", "-1");
}

Test(func_time, date_add_and_sub)
{
    EV("date_add(dd, interval 1 day)", "2024-03-01");
    EV("date_add(dd, 1)", "2024-03-01");
    EV("date_add(dd, interval 1 year)", "2025-02-28");       /* clamped to month end */
    EV("date_sub('2024-03-31', interval 1 month)", "2024-02-29 00:00:00");
    EV("date_add('2024-01-31', interval 1 month)", "2024-02-29 00:00:00");
    EV("date_add(dt, interval 30 second)", "2024-02-29 13:46:00.123456");
    EV("date_add(dd, interval 2 hour)", "2024-02-29 02:00:00");
    EV("date_sub(dd, interval 1 week)", "2024-02-22");
    EV("date_add(dd, interval 1 quarter)", "2024-05-29");
    EV("date_add(dd, interval -2 day)", "2024-02-27");
    EV("date_add('9999-12-31', interval 1 day)", "NULL");    /* out of range */
    EV("date_sub('0000-01-01', interval 1 second)", "NULL");
    EV("date_add(dd, interval 9223372036854775807 day)", "NULL");
    EV("months_add(dd, 12)", "2025-02-28");
    EV("days_sub(dd, 60)", "2023-12-31");
    EV("hours_add(t, 1)", "2024-01-01 00:59:59");
    EV("years_add(dd, 10000)", "NULL");
    EV("date_add(dd, i)", "2024-04-11");
    EV("date_add(nul, 1)", "NULL");
    cr_expect(eq(str, (char *)ev("year(interval 1 day)"), "ERR: INTERVAL is not allowed in year"));
}

Test(func_time, date_format)
{
    EV("date_format(dt, '%Y-%m-%d %H:%i:%s')", "2024-02-29 13:45:30");
    EV("date_format(dt, '%y %c %e %k %l %p %f')", "24 2 29 13 1 PM 123456");
    EV("date_format(dt, '%W %M %D %a %b %j')", "Thursday February 29th Thu Feb 060");
    EV("date_format(dt, '%T|%r|%h|%I|%w|%%|%x')", "13:45:30|01:45:30 PM|01|01|4|%|x");
    EV("date_format('2024-01-07', '%U %u')", "01 01");
    EV("date_format('2024-01-01', '%D %U %u')", "1st 00 01");
    EV("date_format('2024-03-22', '%D')", "22nd");
    EV("date_format('2024-03-13', '%D')", "13th");
    EV("date_format(dt, 'yyyy-MM-dd')", "2024-02-29");
    EV("date_format(dt, 'yyyyMMdd')", "20240229");
    EV("date_format(dt, 'yyyy-MM-dd HH:mm:ss')", "2024-02-29 13:45:30");
    EV("date_format(dd, '%H:%i')", "00:00");
    EV("date_format(nul, '%Y')", "NULL");
    EV("date_format(dt, concat('%Y', repeat_me))", "ERR: unknown column 'repeat_me'");
    EV("length(date_format(dt, '%M%M%M%M%M%M%M%M%M%M%M%M%M%M%M%M%M%M%M%M%M%M%M%M%M%M'))", "208");
}

Test(func_time, str_to_date)
{
    EV("str_to_date('2024-02-29 13:45:30', '%Y-%m-%d %H:%i:%s')", "2024-02-29 13:45:30");
    EV("str_to_date('29/02/2024', '%d/%m/%Y')", "2024-02-29 00:00:00");
    EV("str_to_date('29/02/2023', '%d/%m/%Y')", "NULL");
    EV("str_to_date('Feb 3 24 1:05:09 PM', '%b %e %y %l:%i:%s %p')", "2024-02-03 13:05:09");
    EV("str_to_date('12:00:00 AM 2024-01-01', '%r %Y-%m-%d')", "2024-01-01 00:00:00");
    EV("str_to_date('March 5, 2021', '%M %d, %Y')", "2021-03-05 00:00:00");
    EV("str_to_date('2021-060', '%Y-%j')", "2021-03-01 00:00:00");
    EV("str_to_date('2024-02-29 13:45:30.25', '%Y-%m-%d %T.%f')", "2024-02-29 13:45:30.250000");
    EV("str_to_date('20240229', 'yyyyMMdd')", "2024-02-29 00:00:00");
    EV("str_to_date('2024-02-29', 'yyyy-MM-dd')", "2024-02-29 00:00:00");
    EV("str_to_date('2024-02-29 25:00:00', '%Y-%m-%d %H:%i:%s')", "NULL");
    EV("str_to_date('2024-02-29', '%Y/%m/%d')", "NULL");
    EV("str_to_date('13:00 PM 2024-1-1', '%h:%i %p %Y-%m-%d')", "NULL");
    EV("str_to_date(nul, '%Y')", "NULL");
    EV("year(str_to_date('1999x', '%Yx'))", "1999");
}

Test(func_time, unix_time_uses_the_load_zone)
{
    sl_expr_ctx utc = {0, INT64_C(1700000000123456), NULL};
    sl_expr_ctx cst = {8 * 3600, INT64_C(1700000000123456), NULL};
    cr_expect(eq(str, (char *)ev_ctx("from_unixtime(0)", &utc), "1970-01-01 00:00:00"));
    cr_expect(eq(str, (char *)ev_ctx("from_unixtime(0)", &cst), "1970-01-01 08:00:00"));
    cr_expect(eq(str, (char *)ev_ctx("from_unixtime(1709214330, '%Y%m%d %H')", &cst), "20240229 21"));
    cr_expect(eq(str, (char *)ev_ctx("from_unixtime(1709214330, 'yyyy-MM-dd')", &utc), "2024-02-29"));
    cr_expect(eq(str, (char *)ev_ctx("from_unixtime(-1)", &utc), "NULL"));
    cr_expect(eq(str, (char *)ev_ctx("from_unixtime(32536771200)", &utc), "NULL"));
    cr_expect(eq(str, (char *)ev_ctx("unix_timestamp('1970-01-01 08:00:00')", &cst), "0"));
    cr_expect(eq(str, (char *)ev_ctx("unix_timestamp(dt)", &utc), "1709214330"));
    cr_expect(eq(str, (char *)ev_ctx("unix_timestamp(dt)", &cst), "1709185530"));
    cr_expect(eq(str, (char *)ev_ctx("unix_timestamp('1969-12-31')", &utc), "0"));
    cr_expect(eq(str, (char *)ev_ctx("unix_timestamp('2038-01-19 03:14:08')", &utc), "0"));
    cr_expect(eq(str, (char *)ev_ctx("unix_timestamp('2024/02/29', '%Y/%m/%d')", &utc), "1709164800"));
    cr_expect(eq(str, (char *)ev_ctx("unix_timestamp()", &utc), "1700000000"));
    cr_expect(eq(str, (char *)ev_ctx("unix_timestamp(nul)", &utc), "NULL"));
}

Test(func_time, now_is_the_load_time)
{
    sl_expr_ctx cst = {8 * 3600, INT64_C(1700000000123456), NULL}; /* 2023-11-14 22:13:20.123456 UTC */
    cr_expect(eq(str, (char *)ev_ctx("now()", &cst), "2023-11-15 06:13:20"));
    cr_expect(eq(str, (char *)ev_ctx("current_timestamp", &cst), "2023-11-15 06:13:20"));
    cr_expect(eq(str, (char *)ev_ctx("now(3)", &cst), "2023-11-15 06:13:20.123"));
    cr_expect(eq(str, (char *)ev_ctx("current_date()", &cst), "2023-11-15"));
    cr_expect(eq(str, (char *)ev_ctx("curdate()", &cst), "2023-11-15"));
    cr_expect(eq(str, (char *)ev_ctx("now(7)", &cst), "ERR: now takes a precision between 0 and 6"));
    cr_expect(eq(str, (char *)ev_ctx("datediff(now(), '2023-11-01')", &cst), "14"));
}
