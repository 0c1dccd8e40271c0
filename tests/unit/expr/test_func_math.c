/*
 * test_func_math.c - numeric and conditional builtins (src/expr/func_math.c): exact integer
 * and decimal paths, rounding half away from zero, NULL on domain errors, if / ifnull /
 * coalesce / nullif with mixed branch types.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>

#include "../../../src/expr/internal.h"

#include "fixture.h"

TestSuite(func_math, .init = setup, .fini = teardown);

Test(func_math, abs_floor_ceil_round)
{
    EV("abs(-5)", "5");
    EV("abs(-2.50)", "2.50");
    EV("abs(-x)", "2.5");
    EV("abs('-3')", "3");
    EV("abs(nul)", "NULL");
    EV("floor(2.7)", "2");
    EV("floor(-2.1)", "-3");
    EV("ceil(2.1)", "3");
    EV("ceiling(-2.7)", "-2");
    EV("floor(x)", "2");
    EV("ceil(x)", "3");
    EV("floor(i)", "42");
    EV("round(2.5)", "3");
    EV("round(-2.5)", "-3");
    EV("round(x)", "3");
    EV("round(dec, 1)", "123.5");
    EV("round(1.2345, 2)", "1.23");
    EV("round(1.235, 2)", "1.24");
    EV("round(x * 1.01, 1)", "2.5");
    EV("round(12345.678, -2)", "12300");
}

Test(func_math, mod_pow_sqrt)
{
    EV("mod(10, 3)", "1");
    EV("mod(-10, 3)", "-1");
    EV("mod(10, 0)", "NULL");
    EV("mod(x, 1)", "0.5");
    EV("mod(5.5, 2)", "1.5");
    EV("pow(2, 10)", "1024");
    EV("power(2, -1)", "0.5");
    EV("pow(10, 400)", "NULL");
    EV("sqrt(16)", "4");
    EV("sqrt(-1)", "NULL");
    EV("sqrt('2.25')", "1.5");
    EV("ln(1)", "0");
    EV("log10(1000)", "3");
    EV("exp(0)", "1");
}

Test(func_math, conditionals)
{
    EV("if(i > 10, 'big', 'small')", "big");
    EV("if(nul = 'x', 1, 2)", "2");
    EV("if(TRUE, 1, 'a')", "1");
    EV("if(FALSE, 1, 2.5)", "2.5");
    EV("if(TRUE, nul, 'a')", "NULL");
    EV("ifnull(nul, 'dflt')", "dflt");
    EV("ifnull(s, 'dflt')", "hello");
    EV("nvl(nul, 3)", "3");
    EV("coalesce(nul, nul, s)", "hello");
    EV("coalesce(nul)", "NULL");
    EV("coalesce(NULL, 1, 2)", "1");
    EV("nullif(i, 42)", "NULL");
    EV("nullif(i, 41)", "42");
    EV("nullif(nul, 'a')", "NULL");
    EV("nullif(s, nul)", "hello");
    EV("nullif(NULL, 1)", "NULL");
    EV("if(i = 42, dd, dt)", "2024-02-29 00:00:00.000000");
}
