/*
 * test_func_aliases.c - the builtins no other function test names: Doris's alternative names
 * (jsonb_*, mid, strleft, ucase, position, adddate, sysdate, ...), which must answer exactly as
 * the function they stand for, and the remaining members of the trigonometry, *_add / *_sub
 * and digest families, with values from Doris's documentation examples.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>

#include "../../../src/expr/internal.h"

#include "fixture.h"

TestSuite(func_aliases, .init = setup, .fini = teardown);

/* alias and original give the same, expected, answer. */
#define SAME(alias, original, want)                                                               \
    do {                                                                                          \
        EV(alias, want);                                                                          \
        EV(original, want);                                                                       \
    } while (0)

Test(func_aliases, strings)
{
    SAME("mid(s, 2, 3)", "substr(s, 2, 3)", "ell");
    SAME("strleft(s, 2)", "left(s, 2)", "he");
    SAME("strright(s, 2)", "right(s, 2)", "lo");
    SAME("character_length(u)", "char_length(u)", "5");
    SAME("ucase(s)", "upper(s)", "HELLO");
    SAME("lcase('HeLLo')", "lower('HeLLo')", "hello");
    SAME("position('ll', s)", "locate('ll', s)", "3");
    SAME("position('l', s, 4)", "locate('l', s, 4)", "4");
    SAME("position('z', s)", "locate('z', s)", "0");
}

Test(func_aliases, json)
{
    const char *doc = "'{\"k\":\"v\",\"n\":3,\"b\":true,\"d\":1.5,\"z\":null,\"a\":[1,2]}'";
    char a[256], b[256];
#define J(alias, original, path, want)                                                            \
    do {                                                                                          \
        snprintf(a, sizeof a, "%s(%s, '%s')", alias, doc, path);                                 \
        snprintf(b, sizeof b, "%s(%s, '%s')", original, doc, path);                              \
        SAME(a, b, want);                                                                         \
    } while (0)
    J("jsonb_extract", "json_extract", "$.a[1]", "2");
    J("jsonb_extract_string", "json_extract_string", "$.k", "v");
    J("jsonb_extract_int", "json_extract_int", "$.n", "3");
    J("jsonb_extract_bigint", "json_extract_bigint", "$.n", "3");
    J("jsonb_extract_largeint", "json_extract_largeint", "$.n", "3");
    J("jsonb_extract_double", "json_extract_double", "$.d", "1.5");
    J("jsonb_extract_bool", "json_extract_bool", "$.b", "1");
    J("jsonb_extract_isnull", "json_extract_isnull", "$.z", "1");
    J("jsonb_exists_path", "json_exists_path", "$.a", "1");
    J("jsonb_exists_path", "json_exists_path", "$.q", "0");
    J("jsonb_type", "json_type", "$.a", "array");
#undef J
    SAME("jsonb_parse('[1, 2]')", "json_parse('[1, 2]')", "[1,2]");
    SAME("jsonb_parse_error_to_null('{x')", "json_parse_error_to_null('{x')", "NULL");
    SAME("jsonb_parse_error_to_value('{x', '{}')", "json_parse_error_to_value('{x', '{}')", "{}");
}

Test(func_aliases, math)
{
    SAME("dlog1(e())", "ln(e())", "1");
    EV("tan(0)", "0");
    EV("cot(1)", "0.6420926159343306");
    EV("acos(1)", "0");
    EV("acos(0)", "1.5707963267948966");
    EV("acos(2)", "NULL");
    EV("atan(1)", "0.7853981633974483");
    EV("atan(1, 1)", "0.7853981633974483");
    EV("sinh(0)", "0");
    EV("cosh(0)", "1");
    EV("tanh(0)", "0");
    EV("tanh(nul)", "NULL");
}

Test(func_aliases, dates)
{
    SAME("dayofmonth(dd)", "day(dd)", "29");
    SAME("adddate(dd, 1)", "date_add(dd, 1)", "2024-03-01");
    SAME("subdate(dd, interval 1 month)", "date_sub(dd, interval 1 month)", "2024-01-29");
    EV("years_sub(dd, 1)", "2023-02-28");
    EV("months_sub(dd, 1)", "2024-01-29");
    EV("weeks_add(dd, 1)", "2024-03-07");
    EV("weeks_sub(dd, 1)", "2024-02-22");
    EV("days_add(dd, 1)", "2024-03-01");
    EV("quarters_sub(dd, 1)", "2023-11-29");
    EV("hours_sub(dt, 14)", "2024-02-28 23:45:30.123456");
    EV("minutes_add(dt, 15)", "2024-02-29 14:00:30.123456");
    EV("minutes_sub(dt, 46)", "2024-02-29 12:59:30.123456");
    EV("seconds_add(dt, 30)", "2024-02-29 13:46:00.123456");
    EV("seconds_sub(dt, 31)", "2024-02-29 13:44:59.123456");
    EV("milliseconds_sub(dt, 123)", "2024-02-29 13:45:30.000456");
    EV("microseconds_add(dt, 1)", "2024-02-29 13:45:30.123457");
    EV("days_add(nul, 1)", "NULL");
}

Test(func_aliases, now_and_utc)
{
    sl_expr_ctx cst = {8 * 3600, INT64_C(1700000000123456), NULL}; /* 2023-11-14 22:13:20 UTC */
    cr_expect(eq(str, (char *)ev_ctx("sysdate()", &cst), "2023-11-15 06:13:20"));
    cr_expect(eq(str, (char *)ev_ctx("localtime()", &cst), "2023-11-15 06:13:20"));
    cr_expect(eq(str, (char *)ev_ctx("localtimestamp()", &cst), "2023-11-15 06:13:20"));
    /* utc_timestamp: the same instant without the load's zone */
    cr_expect(eq(str, (char *)ev_ctx("utc_timestamp()", &cst), "2023-11-14 22:13:20"));
}

Test(func_aliases, digests)
{
    /* xxhash3_64 is xxhash_64 under Doris 3.0's name (both XXH3-64) */
    SAME("xxhash3_64('hello')", "xxhash_64('hello')", "-7685981735718036227");
    /* sm3sum digests the concatenation of its arguments */
    SAME("sm3sum('a', 'bc')", "sm3('abc')",
         "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
    EV("sm3sum(nul)", "NULL");
}
