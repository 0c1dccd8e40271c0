/*
 * test_func_cast.c - conversions of src/expr/func_cast.c: text -> numbers, decimals, dates
 * (the load rules of spec §8), civil-date arithmetic and the formatters.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>

#include "../../../src/expr/internal.h"

static const char *dt(const char *s)
{
    static char buf[64];
    int64_t us;
    if (!sl__text_to_datetime(sl_slice_of(s), &us))
        return "NULL";
    sl__fmt_datetime(us, 6, buf);
    return buf;
}

Test(func_cast, integers)
{
    int64_t v;
    sl_i128 w;
    cr_expect(sl__text_to_i64(SL_LIT(" -12 "), &v) && v == -12);
    cr_expect(sl__text_to_i64(SL_LIT("3.99"), &v) && v == 3);
    cr_expect(sl__text_to_i64(SL_LIT(".5"), &v) && v == 0);
    cr_expect(sl__text_to_i64(SL_LIT("9223372036854775807"), &v) && v == INT64_MAX);
    cr_expect(not(sl__text_to_i64(SL_LIT("9223372036854775808"), &v)));
    cr_expect(not(sl__text_to_i64(SL_LIT("1e3"), &v)));
    cr_expect(not(sl__text_to_i64(SL_LIT(""), &v)));
    cr_expect(not(sl__text_to_i64(SL_LIT("\"3\""), &v)));
    cr_expect(not(sl__text_to_i64(SL_LIT("-"), &v)));
    cr_expect(sl__text_to_i128(SL_LIT("170141183460469231731687303715884105727"), &w));
    cr_expect(not(sl__text_to_i128(SL_LIT("170141183460469231731687303715884105728"), &w)));
}

Test(func_cast, doubles_and_decimals)
{
    double d;
    sl_i128 w;
    char buf[80];
    cr_expect(sl__text_to_double(SL_LIT(" 1.5e3 "), &d) && d == 1500);
    cr_expect(not(sl__text_to_double(SL_LIT("0x10"), &d)));
    cr_expect(not(sl__text_to_double(SL_LIT("1.5x"), &d)));
    cr_expect(sl__text_to_double(SL_LIT("1e999"), &d) && isinf(d));
    cr_expect(sl__text_to_decimal(SL_LIT("123.1234567"), 12, 6, &w) && w == 123123457);
    cr_expect(sl__text_to_decimal(SL_LIT("-3.15"), 9, 1, &w) && w == -32);
    cr_expect(sl__text_to_decimal(SL_LIT("1.5e2"), 9, 2, &w) && w == 15000);
    cr_expect(sl__text_to_decimal(SL_LIT("0.004"), 9, 2, &w) && w == 0);
    cr_expect(sl__text_to_decimal(SL_LIT("0.005"), 9, 2, &w) && w == 1);
    cr_expect(not(sl__text_to_decimal(SL_LIT("12345678901"), 10, 0, &w)));
    cr_expect(not(sl__text_to_decimal(SL_LIT("9.999"), 3, 2, &w)));
    cr_expect(not(sl__text_to_decimal(SL_LIT("NULL"), 3, 2, &w)));
    sl__fmt_decimal(-5, 3, buf);
    cr_expect(eq(str, buf, "-0.005"));
    sl__fmt_decimal(12340000, 4, buf);
    cr_expect(eq(str, buf, "1234.0000"));
    sl__fmt_double(0.1 + 0.2, buf);
    cr_expect(eq(str, buf, "0.30000000000000004"));
    sl__fmt_double(-INFINITY, buf);
    cr_expect(eq(str, buf, "-Infinity"));
}

Test(func_cast, datetimes)
{
    cr_expect(eq(str, (char *)dt("2024-4-2"), "2024-04-02 00:00:00.000000"));
    cr_expect(eq(str, (char *)dt("24-04-02"), "2024-04-02 00:00:00.000000"));
    cr_expect(eq(str, (char *)dt("70-01-01"), "1970-01-01 00:00:00.000000"));
    cr_expect(eq(str, (char *)dt("20240402"), "2024-04-02 00:00:00.000000"));
    cr_expect(eq(str, (char *)dt("20240402173005"), "2024-04-02 17:30:05.000000"));
    cr_expect(eq(str, (char *)dt("2024-04-02T17:00"), "2024-04-02 17:00:00.000000"));
    cr_expect(eq(str, (char *)dt("2023-07-20:05:48:31"), "2023-07-20 05:48:31.000000"));
    cr_expect(eq(str, (char *)dt("2024/04/02 1:2:3.5"), "2024-04-02 01:02:03.500000"));
    cr_expect(eq(str, (char *)dt("2024-14-2"), "NULL"));
    cr_expect(eq(str, (char *)dt("2024-4-222"), "NULL"));
    cr_expect(eq(str, (char *)dt("2024-02-30"), "NULL"));
    cr_expect(eq(str, (char *)dt("2024-4-2 27:00:00"), "NULL"));
    cr_expect(eq(str, (char *)dt("\"2022-12-01\""), "NULL"));
    cr_expect(eq(str, (char *)dt("abc"), "NULL"));
    cr_expect(eq(str, (char *)dt(""), "NULL"));
}

Test(func_cast, civil_days)
{
    int64_t y;
    unsigned m, d;
    cr_expect(eq(i64, sl__days_from_civil(1970, 1, 1), 0));
    cr_expect(eq(i64, sl__days_from_civil(2000, 3, 1), 11017));
    cr_expect(eq(i64, sl__days_from_civil(0, 1, 1), SL__MIN_DAYS));
    cr_expect(eq(i64, sl__days_from_civil(9999, 12, 31), SL__MAX_DAYS));
    for (int64_t z = SL__MIN_DAYS; z <= SL__MAX_DAYS; z += 997) {
        sl__civil_from_days(z, &y, &m, &d);
        cr_assert(eq(i64, sl__days_from_civil(y, m, d), z));
    }
    cr_expect(sl__valid_ymd(2000, 2, 29));
    cr_expect(not(sl__valid_ymd(2100, 2, 29)));
    cr_expect(not(sl__valid_ymd(10000, 1, 1)));
}
