/*
 * test_func_date2.c - the date functions of src/expr/func_date2.c with Doris's (and MySQL's)
 * documentation examples: date_trunc, last_day, makedate, week modes, differences,
 * timestampdiff with a bare unit, EXTRACT, convert_tz, from_second & co, ISO 8601.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>

#include "../../../src/expr/internal.h"

#include "fixture.h"

TestSuite(func_date2, .init = setup, .fini = teardown);

Test(func_date2, trunc_and_parts)
{
    EV("date_trunc('2010-12-02 19:28:30', 'second')", "2010-12-02 19:28:30");
    EV("date_trunc('2010-12-02 19:28:30', 'minute')", "2010-12-02 19:28:00");
    EV("date_trunc('2010-12-02 19:28:30', 'hour')", "2010-12-02 19:00:00");
    EV("date_trunc('2010-12-02 19:28:30', 'day')", "2010-12-02 00:00:00");
    EV("date_trunc('2023-4-05 19:28:30', 'week')", "2023-04-03 00:00:00");
    EV("date_trunc('2010-12-02 19:28:30', 'month')", "2010-12-01 00:00:00");
    EV("date_trunc('2010-12-02 19:28:30', 'quarter')", "2010-10-01 00:00:00");
    EV("date_trunc('2010-12-02 19:28:30', 'year')", "2010-01-01 00:00:00");
    EV("date_trunc('month', dd)", "2024-02-01");
    EV("date_trunc(dd, 'fortnight')", "NULL");
    EV("last_day('2000-02-03')", "2000-02-29");
    EV("last_day('2023-12-10')", "2023-12-31");
    EV("makedate(2021, 1)", "2021-01-01");
    EV("makedate(2021, 100)", "2021-04-10");
    EV("makedate(2021, 400)", "2022-02-04");
    EV("makedate(2021, 0)", "NULL");
    EV("to_monday('2022-09-10')", "2022-09-05");
    EV("to_days('2007-10-07')", "733321");
    EV("from_days(730669)", "2000-07-03");
    EV("from_days(0)", "NULL");
    EV("microsecond(dt)", "123456");
    EV("monthname('2008-02-03 00:00:00')", "February");
    EV("dayname('2007-02-03 00:00:00')", "Saturday");
    EV("to_iso8601('2023-10-05')", "2023-10-05T00:00:00");
    EV("to_iso8601(dd)", "2024-02-29");
    EV("to_iso8601(dt)", "2024-02-29T13:45:30.123456");
    EV("from_iso8601_date('0000-01')", "0000-01-01");
    EV("from_iso8601_date('2023-10-01')", "2023-10-01");
    EV("from_iso8601_date('2020-W10')", "2020-03-02");
    EV("from_iso8601_date('2021-W10-4')", "2021-03-11");
    EV("from_iso8601_date('2020-123')", "2020-05-02");
    EV("from_iso8601_date('garbage')", "NULL");
    EV("extract(year from '2022-09-22 17:01:30')", "2022");
    EV("extract(minute from dt)", "45");
    EV("extract(microsecond from dt)", "123456");
}

Test(func_date2, weeks)
{
    EV("week('2020-1-1')", "0");
    EV("week('2020-7-1', 1)", "27");
    EV("week('2008-02-20')", "7");
    EV("week('2008-02-20', 0)", "7");
    EV("week('2008-02-20', 1)", "8");
    EV("week('2008-12-31', 1)", "53");
    EV("weekofyear('2008-02-20 00:00:00')", "8");
    EV("weekofyear('2008-12-31')", "1");
    EV("yearweek('2021-1-1')", "202052");
    EV("yearweek('2020-7-1')", "202026");
    EV("yearweek('2024-12-30', 1)", "202501");
    EV("yearweek('1987-01-01')", "198652");
}

Test(func_date2, differences)
{
    EV("timestampdiff(MONTH, '2003-02-01', '2003-05-01')", "3");
    EV("timestampdiff(YEAR, '2002-05-01', '2001-01-01')", "-1");
    EV("timestampdiff(MINUTE, '2003-02-01', '2003-05-01 12:05:55')", "128885");
    EV("timestampdiff(MONTH, '2024-01-31', '2024-02-29')", "0");
    EV("timestampdiff('day', '2024-01-01', dd)", "59");
    EV("timestampadd(MINUTE, 1, '2019-01-02')", "2019-01-02 00:01:00");
    EV("timestampadd(WEEK, 1, '2019-01-02')", "2019-01-09 00:00:00");
    EV("years_diff('2020-12-25', '2019-10-25')", "1");
    EV("months_diff('2020-12-25', '2020-10-25')", "2");
    EV("weeks_diff('2020-12-25', '2020-10-25')", "8");
    EV("days_diff('2020-12-25 22:00:00', '2020-12-24 22:00:00')", "1");
    EV("hours_diff('2020-12-25 22:00:00', '2020-12-25 21:00:00')", "1");
    EV("minutes_diff('2020-12-25 22:00:00', '2020-12-25 21:00:00')", "60");
    EV("seconds_diff('2020-12-25 22:00:00', '2020-12-25 21:00:00')", "3600");
    EV("milliseconds_diff('2024-01-01 00:00:01', '2024-01-01 00:00:00')", "1000");
    EV("microseconds_diff('2024-01-01 00:00:00.000002', '2024-01-01 00:00:00')", "2");
    EV("quarters_add('2020-01-31', 1)", "2020-04-30 00:00:00");
    EV("milliseconds_add('2023-09-08 16:02:08.435123', 1)", "2023-09-08 16:02:08.436123");
    EV("microseconds_sub(dt, 123456)", "2024-02-29 13:45:30.000000");
}

Test(func_date2, zones_and_numbers)
{
    EV("convert_tz('2019-08-01 13:21:03', 'Asia/Shanghai', 'America/Los_Angeles')",
       "2019-07-31 22:21:03");
    EV("convert_tz('2019-08-01 13:21:03', '+08:00', 'America/Los_Angeles')",
       "2019-07-31 22:21:03");
    EV("convert_tz('2019-08-01 13:21:03', 'Nowhere/City', 'UTC')", "NULL");
    EV("from_second(1700000000)", "2023-11-14 22:13:20");
    EV("from_millisecond(1700000000123)", "2023-11-14 22:13:20.123");
    EV("from_microsecond(1700000000123456)", "2023-11-14 22:13:20.123456");
    EV("from_second(-1)", "NULL");
}
