/*
 * test_func_string.c - string builtins (src/expr/func_string.c): UTF-8 positions, NULL
 * handling of concat / concat_ws, padding, split_part from both ends, digests.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>

#include "../../../src/expr/internal.h"

#include "fixture.h"

TestSuite(func_string, .init = setup, .fini = teardown);

Test(func_string, concat)
{
    EV("concat(s, 'x')", "hellox");
    EV("concat(s, nul)", "NULL");
    EV("concat(i, '-', x, '-', dec, '-', dd)", "42-2.5-123.45-2024-02-29");
    EV("concat(dt)", "2024-02-29 13:45:30.123456");
    EV("concat_ws(',', s, nul, 'a')", "hello,a");
    EV("concat_ws(nul, s, 'a')", "NULL");
    EV("concat_ws('', 'a', 'b')", "ab");
    EV("concat_ws(',', nul)", "");
    EV("concat('')", "");
}

Test(func_string, substr_left_right)
{
    EV("substr(s, 2)", "ello");
    EV("substr(s, 2, 3)", "ell");
    EV("substring(s, -3)", "llo");
    EV("substr(s, -3, 2)", "ll");
    EV("substr(s, 0)", "");
    EV("substr(s, 6)", "");
    EV("substr(s, 1, 0)", "");
    EV("substr(s, 1, 100)", "hello");
    EV("substr(u, 2, 2)", "京欢");
    EV("substr(u, -1)", "你");
    EV("left(u, 2)", "北京");
    EV("right(u, 3)", "欢迎你");
    EV("left(s, 0)", "");
    EV("right(s, 10)", "hello");
    EV("left(s, nul)", "NULL");
    EV("substr('abc', '2')", "bc");
}

Test(func_string, lengths_case_trim)
{
    EV("length(u)", "15");
    EV("char_length(u)", "5");
    EV("length('')", "0");
    EV("upper(s)", "HELLO");
    EV("lower('AbC北')", "abc北");
    EV("lower('@AZ[`az{')", "@az[`az{"); /* the bytes beside the letter ranges stay */
    EV("upper('@AZ[`az{')", "@AZ[`AZ{");
    EV("concat('[', trim('  a b  '), ']')", "[a b]");
    EV("concat('[', ltrim('  a  '), ']')", "[a  ]");
    EV("concat('[', rtrim('  a  '), ']')", "[  a]");
    EV("trim(nul)", "NULL");
}

Test(func_string, replace_split_pad)
{
    EV("replace(s, 'l', 'L')", "heLLo");
    EV("replace(s, 'll', '')", "heo");
    EV("replace(s, '', 'x')", "hello");
    EV("replace('aaa', 'aa', 'b')", "ba");
    EV("split_part('a,b,,c', ',', 1)", "a");
    EV("split_part('a,b,,c', ',', 3)", "");
    EV("split_part('a,b,,c', ',', 4)", "c");
    EV("split_part('a,b,,c', ',', 5)", "NULL");
    EV("split_part('a,b,,c', ',', -1)", "c");
    EV("split_part('a,b,,c', ',', -3)", "b");
    EV("split_part('a,b,,c', ',', -4)", "a");
    EV("split_part('a,b,,c', ',', -5)", "NULL");
    EV("split_part('a::b::c', '::', 2)", "b");
    EV("split_part('a::b::c', '::', -2)", "b");
    EV("split_part('abc', '', 1)", "NULL");
    EV("split_part('abc', ',', 0)", "NULL");
    EV("lpad(s, 8, 'xy')", "xyxhello");
    EV("rpad(s, 8, 'xy')", "helloxyx");
    EV("lpad(s, 3, 'x')", "hel");
    EV("lpad(u, 7, '中')", "中中北京欢迎你");
    EV("lpad(s, 8, '')", "");
    EV("lpad(s, -1, 'x')", "NULL");
    EV("lpad(s, 2000000000, 'x')", "NULL");
    EV("rpad('', 3, '0')", "000");
}

Test(func_string, digests)
{
    EV("md5('')", "d41d8cd98f00b204e9800998ecf8427e");
    EV("md5(s)", "5d41402abc4b2a76b9719d911017c592");
    EV("sha2(s, 256)", "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    EV("sha2('abc', 224)", "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7");
    EV("length(sha2(s, 384))", "96");
    EV("length(sha2(s, 512))", "128");
    EV("sha2(s, 100)", "NULL");
    EV("md5(nul)", "NULL");
}

Test(func_string, like_on_function_results)
{
    EV("concat(s, '%') LIKE 'hel%\\\\%'", "1");
    EV("upper(s) LIKE '%LL%'", "1");
}
