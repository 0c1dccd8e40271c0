/*
 * test_func_string2.c - the string functions of src/expr/func_string2.c, with the values of
 * Doris's documentation examples: searching, building, hex, masks, URLs, split_by_string.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>

#include "../../../src/expr/internal.h"

#include "fixture.h"

TestSuite(func_string2, .init = setup, .fini = teardown);

Test(func_string2, searching)
{
    EV("instr('abc', 'b')", "2");
    EV("instr('abc', 'd')", "0");
    EV("instr(u, '欢迎')", "3");
    EV("locate('bar', 'foobarbar')", "4");
    EV("locate('xbar', 'foobar')", "0");
    EV("locate('bar', 'foobarbar', 5)", "7");
    EV("locate('', 'abc')", "1");
    EV("find_in_set('b', 'a,b,c')", "2");
    EV("find_in_set('d', 'a,b,c')", "0");
    EV("strcmp('test', 'test')", "0");
    EV("strcmp('test1', 'test')", "1");
    EV("strcmp('test', 'test1')", "-1");
    EV("starts_with('hello world', 'hello')", "1");
    EV("starts_with('hello world', 'world')", "0");
    EV("ends_with('Hello doris', 'doris')", "1");
    EV("ends_with('Hello doris', 'Hello')", "0");
    EV("count_substrings('a1b1c1d', '1')", "3");
    EV("count_substrings(',,a,b,c,', ',')", "5");
    EV("ascii('1')", "49");
    EV("ascii('234')", "50");
    EV("ascii('')", "0");
    EV("bit_length('abc')", "24");
    EV("null_or_empty(nul)", "1");
    EV("null_or_empty('')", "1");
    EV("null_or_empty('a')", "0");
    EV("not_null_or_empty(nul)", "0");
    EV("elt(1, 'aaa', 'bbb')", "aaa");
    EV("elt(2, 'aaa', 'bbb')", "bbb");
    EV("elt(0, 'aaa', 'bbb')", "NULL");
    EV("elt(3, 'aaa', 'bbb')", "NULL");
    EV("field(2, 3, 2, 1)", "2");
    EV("field('b', 'a', 'b')", "2");
    EV("field('z', 'a', 'b')", "0");
    EV("substring_index('hello world', ' ', 1)", "hello");
    EV("substring_index('hello world', ' ', 2)", "hello world");
    EV("substring_index('hello world', ' ', -1)", "world");
    EV("substring_index('hello world', ' ', -2)", "hello world");
    EV("substring_index('hello world', ' ', 0)", "");
    EV("substring_index('a.b.c', '.', -2)", "b.c");
}

Test(func_string2, building)
{
    EV("repeat('a', 3)", "aaa");
    EV("repeat('a', -1)", "");
    EV("repeat(nul, 2)", "NULL");
    EV("concat('[', space(5), ']')", "[     ]");
    EV("reverse('hello')", "olleh");
    EV("reverse(u)", "你迎欢京北");
    EV("initcap('hello hello.,HELLO123HELlO')", "Hello Hello.,Hello123hello");
    EV("append_trailing_char_if_absent('a', 'c')", "ac");
    EV("append_trailing_char_if_absent('ac', 'c')", "ac");
    EV("append_trailing_char_if_absent('a', 'cd')", "NULL");
    EV("hex('1')", "31");
    EV("hex('@')", "40");
    EV("hex(12)", "C");
    EV("hex(-1)", "FFFFFFFFFFFFFFFF");
    EV("unhex('41')", "A");
    EV("unhex('4142')", "AB");
    EV("unhex('@')", "");
    EV("unhex(nul)", "NULL");
    EV("url_encode('Doris Q&A')", "Doris+Q%26A");
    EV("url_decode('https%3A%2F%2Fdoris.apache.org%2Fzh-CN%2Fdocs')",
       "https://doris.apache.org/zh-CN/docs");
    EV("digital_masking(13812345678)", "138****5678");
    EV("translate('abcd', 'a', 'z')", "zbcd");
    EV("translate('abcda', 'a', 'z')", "zbcdz");
    EV("translate('Palhoça', 'ç', 'c')", "Palhoca");
    EV("translate('abcd', 'abc', '12')", "12d");
    EV("overlay('Quadratic', 3, 4, 'What')", "QuWhattic");
    EV("overlay('Quadratic', -1, 4, 'What')", "Quadratic");
    EV("overlay('Quadratic', 3, -1, 'What')", "QuWhat");
    EV("sub_replace('this is origin str', 'NEW-STR', 1)", "tNEW-STRorigin str");
    EV("sub_replace('doris', '***', 1, 2)", "d***is");
    EV("sub_replace('doris', '***', 5, 2)", "NULL");
    EV("sub_replace('doris', '***', -1, 2)", "NULL");
    EV("char(68, 111, 114, 105, 115)", "Doris");
    EV("char(15049882, 15179199, 14989469)", "多睿丝");
    EV("char(255)", "NULL");
    EV("quote('It''s a test')", "'It\\'s a test'");
    EV("money_format(17014116)", "17,014,116.00");
    EV("money_format(1123.456)", "1,123.46");
    EV("money_format(1123.4)", "1,123.40");
    EV("money_format(-0.005)", "-0.01");
    EV("money_format(x)", "2.50");
    EV("split_by_string('a1b1c1d', '1')", "[\"a\", \"b\", \"c\", \"d\"]");
    EV("split_by_string(',,,', ',')", "[\"\", \"\", \"\", \"\"]");
    EV("split_by_string('', ',')", "[]");
    EV("split_by_string('abcde', '')", "[\"a\", \"b\", \"c\", \"d\", \"e\"]");
}

Test(func_string2, masks)
{
    EV("mask('abc123EFG')", "xxxnnnXXX");
    EV("mask('abc123EFG', '*', '#', '$')", "###$$$***");
    EV("mask(nul)", "NULL");
    EV("mask_first_n('1234-5678-8765-4321', 4)", "nnnn-5678-8765-4321");
    EV("mask_first_n('abc-DEF')", "xxx-XXX");
    EV("mask_first_n('1234', nul)", "NULL");
    EV("mask_last_n('1234-5678-8765-4321', 4)", "1234-5678-8765-nnnn");
}

Test(func_string2, urls)
{
    EV("parse_url('https://doris.apache.org/', 'HOST')", "doris.apache.org");
    EV("parse_url('https://doris.apache.org/docs?a=1&b=2#top', 'QUERY')", "a=1&b=2");
    EV("parse_url('https://doris.apache.org/docs?a=1&b=2#top', 'QUERY', 'b')", "2");
    EV("parse_url('https://doris.apache.org/docs?a=1&b=2#top', 'QUERY', 'c')", "NULL");
    EV("parse_url('https://doris.apache.org/docs?a=1&b=2#top', 'PATH')", "/docs");
    EV("parse_url('https://doris.apache.org/docs?a=1&b=2#top', 'REF')", "top");
    EV("parse_url('https://doris.apache.org/docs?a=1&b=2#top', 'PROTOCOL')", "https");
    EV("parse_url('https://doris.apache.org/docs?a=1&b=2#top', 'FILE')", "/docs?a=1&b=2");
    EV("parse_url('http://user:pw@host:8030/p', 'USERINFO')", "user:pw");
    EV("parse_url('http://user:pw@host:8030/p', 'PORT')", "8030");
    EV("parse_url('http://user:pw@host:8030/p', 'AUTHORITY')", "user:pw@host:8030");
    EV("parse_url('http://host/p', 'NOPE')", "NULL");
    EV("extract_url_parameter('http://doris.apache.org?k1=aa&k2=bb&test=cc#999', 'k2')", "bb");
    EV("extract_url_parameter('http://doris.apache.org?k1=aa&k2=bb&test=cc#999', 'k9')", "");
    EV("protocol('https://doris.apache.org/')", "https");
    EV("domain('https://doris.apache.org/docs/en/docs/')", "doris.apache.org");
    EV("domain_without_www('https://www.apache.org/docs/')", "apache.org");
    EV("top_level_domain('https://www.google.com/x')", "com");
}
