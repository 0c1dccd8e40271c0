/*
 * test_func_regexp.c - regexp_* builtins (src/expr/func_regexp.c) with Doris's documentation
 * examples, RE2's \d translated, group references in replacements, invalid patterns.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>

#include "../../../src/expr/internal.h"

#include "fixture.h"

TestSuite(func_regexp, .init = setup, .fini = teardown);

Test(func_regexp, extract)
{
    EV("regexp_extract('AbCdE', '([[:lower:]]+)C([[:lower:]]+)', 1)", "b");
    EV("regexp_extract('AbCdE', '([[:lower:]]+)C([[:lower:]]+)', 2)", "d");
    EV("regexp_extract('AbCdE', '([[:lower:]]+)C([[:lower:]]+)', 3)", "");
    EV("regexp_extract('AbCdE', 'x(y)', 1)", "");
    EV("regexp_extract_or_null('AbCdE', '([[:lower:]]+)C([[:lower:]]+)', 3)", "NULL");
    EV("regexp_extract_or_null('AbCdE', 'x(y)', 1)", "NULL");
    EV("regexp_extract_or_null('AbCdE', '([[:lower:]]+)C', 1)", "b");
    EV("regexp_extract_all('AbCdE', '([[:lower:]]+)C([[:lower:]]+)')", "['b']");
    EV("regexp_extract_all('AbCdEfCg', '([[:lower:]]+)C([[:lower:]]+)')", "['b','f']");
    EV("regexp_extract_all('abc=111, def=222, ghi=333', '(\\\\w+)=(\\\\w+)')",
       "['abc','def','ghi']");
    EV("regexp_extract('order-12345-x', '(\\\\d+)', 1)", "12345");
    EV("regexp_extract(nul, '(a)', 1)", "NULL");
}

Test(func_regexp, replace_and_count)
{
    EV("regexp_replace('a b c', ' ', '-')", "a-b-c");
    EV("regexp_replace('a b c', '(b)', '<\\\\1>')", "a <b> c");
    EV("regexp_replace('abc123def456', '\\\\d+', 'X')", "abcXdefX");
    EV("regexp_replace('abc', '^', '>')", ">abc");
    EV("regexp_replace_one('a b b', '(b)', '<\\\\1>')", "a <b> b");
    EV("regexp_count('a.b:c;d', '[.:;]')", "3");
    EV("regexp_count('abc', 'z')", "0");
    EV("regexp_replace('x', '(', 'y')", "ERR: Invalid regex expression: (");
}
