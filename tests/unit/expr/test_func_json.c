/*
 * test_func_json.c - JSON builtins (src/expr/func_json.c): Doris's documentation examples for
 * get_json_*, json_extract*, json_parse, json_valid, json_length, json_keys, json_contains,
 * json_type, json_exists_path, json_quote/unquote, json_array/object; bad documents and paths
 * give NULL.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>

#include "../../../src/expr/internal.h"

#include "fixture.h"

TestSuite(func_json, .init = setup, .fini = teardown);

Test(func_json, get_json)
{
    EV("get_json_string('{\"k1\":\"v1\", \"k2\":\"v2\"}', '$.k1')", "v1");
    EV("get_json_string('{\"k1\":\"v1\", \"my.key\":[\"e1\", \"e2\", \"e3\"]}', '$.\"my.key\"[1]')",
       "e2");
    EV("get_json_string('{\"k1.key\":{\"k2\":[\"v1\", \"v2\"]}}', '$.\"k1.key\".k2[0]')", "v1");
    EV("get_json_string('[{\"k1\":\"v1\"}, {\"k2\":\"v2\"}, {\"k1\":\"v3\"}, {\"k1\":\"v4\"}]', "
       "'$.k1')", "NULL");
    EV("get_json_string('{\"k1\":{\"a\" : 1}}', '$.k1')", "{\"a\":1}");
    EV("get_json_string('{\"k1\":[1, 2]}', '$.k1[*]')", "[1,2]");
    EV("get_json_string('{\"k1\":1}', '$.k1')", "1");
    EV("get_json_string('{\"k1\":\"a\\\\\"b\"}', '$.k1')", "a\"b");
    EV("get_json_int('{\"k1\":1, \"k2\":\"2\"}', '$.k1')", "1");
    EV("get_json_int('{\"k1\":\"v1\", \"my.key\":[1, 2, 3]}', '$.\"my.key\"[1]')", "2");
    EV("get_json_int('{\"k1.key\":{\"k2\":[1, 2]}}', '$.\"k1.key\".k2[0]')", "1");
    EV("get_json_int('{\"k1\":1.5}', '$.k1')", "NULL");
    EV("get_json_int('{\"k1\":3000000000}', '$.k1')", "NULL");
    EV("get_json_bigint('{\"k1\":3000000000}', '$.k1')", "3000000000");
    EV("get_json_double('{\"k1\":1.3, \"k2\":\"2\"}', '$.k1')", "1.3");
    EV("get_json_double('{\"k1\":\"v1\", \"my.key\":[1.1, 2.2, 3.3]}', '$.\"my.key\"[1]')", "2.2");
    EV("get_json_double('{\"k1\":2}', '$.k1')", "2");
    EV("get_json_string('{bad json', '$.k1')", "NULL");
    EV("get_json_string('{\"k1\":1}', 'k1')", "NULL");
    EV("get_json_string(nul, '$.k1')", "NULL");
}

Test(func_json, json_extract)
{
    EV("json_extract('{\"id\": 123, \"name\": \"doris\"}', '$.id')", "123");
    EV("json_extract('[1, 2, 3]', '$.[1]')", "2");
    EV("json_extract('{\"k1\": \"v1\", \"k2\": { \"k21\": 6.6, \"k22\": [1, 2] } }', '$.k1', "
       "'$.k2.k21', '$.k2.k22', '$.k2.k22[1]')", "[\"v1\",6.6,[1,2],2]");
    EV("json_extract('{\"id\": 123, \"name\": \"doris\"}', '$.aaa', '$.name')", "[null,\"doris\"]");
    EV("json_extract_isnull('{\"id\": 123, \"name\": \"doris\"}', '$.id')", "0");
    EV("json_extract_isnull('{\"id\": null}', '$.id')", "1");
    EV("json_extract_bool('{\"id\": 123, \"name\": \"NULL\"}', '$.id')", "NULL");
    EV("json_extract_bool('{\"ok\": true}', '$.ok')", "1");
    EV("json_extract_int('{\"id\": 123, \"name\": \"NULL\"}', '$.id')", "123");
    EV("json_extract_int('{\"id\": 123, \"name\": \"doris\"}', '$.name')", "NULL");
    EV("json_extract_string('{\"id\": 123, \"name\": \"doris\"}', '$.name')", "doris");
    EV("json_extract_string('{\"id\": 123}', '$.id')", "123");
    EV("json_extract_bigint('{\"v\": 2.0}', '$.v')", "2");
    EV("json_extract_largeint('{\"v\": 170141183460469231731687303715884105727}', '$.v')",
       "170141183460469231731687303715884105727");
    EV("json_extract_double('{\"v\": 1e2}', '$.v')", "100");
    EV("json_extract('[1, 2, 3]', '$[last]')", "3");
    EV("json_extract('[1, 2, 3]', '$[last-1]')", "2");
    EV("json_extract('[1, 2, 3]', '$[last-5]')", "NULL");
    EV("json_extract('{\"k1.a\":\"abc\",\"k2\":300}', '$.\"k1.a\"')", "\"abc\"");
    EV("json_extract('{\"a\":{\"b\":1},\"c\":{\"b\":2}}', '$.*.b')", "[1,2]");
}

Test(func_json, documents)
{
    EV("json_parse('{\"k1\":\"v31\",\"k2\":300}')", "{\"k1\":\"v31\",\"k2\":300}");
    EV("json_parse(' [1, 2 , {\"a\" : \"x\\\\u0041\"}] ')", "[1,2,{\"a\":\"xA\"}]");
    EV("json_parse('invalid json')", "ERR: json_parse: Parse json document failed: invalid JSON "
       "'invalid json'");
    EV("json_parse_error_to_null('invalid json')", "NULL");
    EV("json_parse_error_to_value('invalid json', '{}')", "{}");
    EV("json_parse(nul)", "NULL");
    EV("json_valid('{\"k1\":\"v31\",\"k2\":300}')", "1");
    EV("json_valid('invalid json')", "0");
    EV("json_valid(nul)", "NULL");
    EV("json_length('{\"k1\":\"v31\",\"k2\":300}')", "2");
    EV("json_length('\"abc\"')", "1");
    EV("json_length('{\"x\": 1, \"y\": 2, \"z\": [1, 2, 3]}', '$.z')", "3");
    EV("json_length('{}')", "0");
    EV("json_length('{\"a\":1}', '$.b')", "NULL");
    EV("json_keys('{\"a\": 1, \"b\": {\"c\": 30}}')", "[\"a\",\"b\"]");
    EV("json_keys('{\"a\": 1, \"b\": {\"c\": 30}}', '$.b')", "[\"c\"]");
    EV("json_keys('[1, 2]')", "NULL");
    EV("json_type('{\"k1\":\"v1\"}', '$.k1')", "string");
    EV("json_type('{\"k1\":1}', '$.k1')", "int");
    EV("json_type('{\"k1\":3000000000}', '$.k1')", "bigint");
    EV("json_type('{\"k1\":1.5}', '$.k1')", "double");
    EV("json_type('{\"k1\":[1]}', '$.k1')", "array");
    EV("json_exists_path('{\"id\": 123, \"name\": \"doris\"}', '$.name')", "1");
    EV("json_exists_path('{\"id\": 123, \"name\": \"doris\"}', '$.age')", "0");
}

Test(func_json, contains)
{
    EV("json_contains('{\"a\": 1, \"b\": 2, \"c\": {\"d\": 4}}', '1', '$.a')", "1");
    EV("json_contains('{\"a\": 1, \"b\": 2, \"c\": {\"d\": 4}}', '1', '$.b')", "0");
    EV("json_contains('{\"a\": 1, \"b\": 2, \"c\": {\"d\": 4}}', '{\"d\": 4}', '$.c')", "1");
    EV("json_contains('{\"a\": 1, \"b\": 2, \"c\": {\"d\": 4}}', '{\"a\": 1}')", "1");
    EV("json_contains('[1, 2, [3, 4]]', '[2, 4]')", "1");
    EV("json_contains('[1, 2, [3, 4]]', '5')", "0");
    EV("json_contains('[\"x\", \"y\"]', '\"y\"')", "1");
    EV("json_contains('{\"a\":1}', 'bad')", "NULL");
}

Test(func_json, building)
{
    EV("json_quote('a\"b')", "\"a\\\"b\"");
    EV("json_quote('[1, 2, 3]')", "\"[1, 2, 3]\"");
    EV("json_unquote('\"doris\"')", "doris");
    EV("json_unquote('\"a\\\\tb\"')", "a\tb");
    EV("json_unquote('[1, 2]')", "[1, 2]");
    EV("json_array()", "[]");
    EV("json_array(1, 'abc', NULL, TRUE, 2.5)", "[1,\"abc\",null,true,2.5]");
    EV("json_array(dd, i)", "[\"2024-02-29\",42]");
    EV("json_object()", "{}");
    EV("json_object('time', dd, 'n', i)", "{\"time\":\"2024-02-29\",\"n\":42}");
    EV("json_object('a', NULL)", "{\"a\":null}");
    EV("json_object(nul, 1)", "ERR: function json_object can not have null key");
    EV("json_object('a')", "ERR: json_object takes key/value pairs: an even number of arguments, "
       "not 1");
}
