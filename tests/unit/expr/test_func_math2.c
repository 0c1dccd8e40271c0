/*
 * test_func_math2.c - the numeric functions of src/expr/func_math2.c with Doris's documentation
 * examples: sign, greatest/least, truncate, logs, trigonometry, bits, gcd/lcm, factorial,
 * pmod, bin, conv, round_bankers.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>

#include "../../../src/expr/internal.h"

#include "fixture.h"

TestSuite(func_math2, .init = setup, .fini = teardown);

Test(func_math2, basics)
{
    EV("sign(3)", "1");
    EV("sign(0)", "0");
    EV("sign(-2.5)", "-1");
    EV("sign(nul)", "NULL");
    EV("greatest(6.3, 4.29, 7.6876)", "7.6876");
    EV("greatest(-1, 0, 5, 8)", "8");
    EV("greatest('2022-02-26 20:02:11', '2020-01-23 20:02:11', '2020-06-22 20:02:11')",
       "2022-02-26 20:02:11");
    EV("least(3, 8, 1)", "1");
    EV("least('b', 'a', 'c')", "a");
    EV("greatest(1, NULL)", "NULL");
    EV("truncate(124.3867, 2)", "124.38");
    EV("truncate(124.3867, 0)", "124");
    EV("truncate(-124.3867, -2)", "-100");
    EV("truncate(x, 0)", "2");
    EV("round_bankers(0.4)", "0");
    EV("round_bankers(-3.5)", "-4");
    EV("round_bankers(-3.4)", "-3");
    EV("round_bankers(10.755, 2)", "10.76");
    EV("round_bankers(1667.2725, 2)", "1667.27");
    EV("round_bankers(2.5)", "2");
}

Test(func_math2, doubles)
{
    EV("log2(8)", "3");
    EV("log(10, 100)", "2");
    EV("log(0)", "NULL");
    EV("sin(0)", "0");
    EV("cos(0)", "1");
    EV("asin(2)", "NULL");
    EV("atan2(0.1, 0.2)", "0.4636476090008061");
    EV("pi()", "3.141592653589793");
    EV("e()", "2.718281828459045");
    EV("degrees(pi())", "180");
    EV("radians(180)", "3.141592653589793");
    EV("cbrt(8)", "2");
    EV("fmod(10, 3)", "1");
    EV("fmod(10, 0)", "NULL");
}

Test(func_math2, integers)
{
    EV("bitand(3, 5)", "1");
    EV("bitor(3, 5)", "7");
    EV("bitxor(3, 5)", "6");
    EV("bitnot(7)", "-8");
    EV("bit_shift_left(5, 2)", "20");
    EV("bit_shift_left(-1, 63)", "-9223372036854775808");
    EV("bit_shift_right(1024, 3)", "128");
    EV("bit_count(8)", "1");
    EV("gcd(54, 24)", "6");
    EV("lcm(12, 18)", "36");
    EV("factorial(5)", "120");
    EV("factorial(21)", "NULL");
    EV("positive(-10)", "-10");
    EV("negative(-10)", "10");
    EV("negative(i)", "-42");
    EV("pmod(13, 5)", "3");
    EV("pmod(-13, 5)", "2");
    EV("pmod(13, -5)", "-2");
    EV("pmod(-13.5, 5)", "1.5");
    EV("pmod(1, 0)", "NULL");
    EV("bin(10)", "1010");
    EV("bin(-1)", "1111111111111111111111111111111111111111111111111111111111111111");
    EV("conv(15, 10, 2)", "1111");
    EV("conv('ff', 16, 10)", "255");
    EV("conv(230, 10, 16)", "E6");
    EV("conv(-17, 10, -18)", "-H");
    EV("conv('zz', 10, 2)", "0");
    EV("conv(1, 1, 2)", "NULL");
}
