/*
 * test_json.c - unit tests of the streaming JSON decoder (src/decode/json*.c).
 *
 * Every decoding test runs its body whole, byte by byte and in random splits, each chunk in a
 * fresh heap copy that is freed right after the push (so ASan catches a slice that outlives its
 * chunk), and expects the same rendered rows every time. Cases come from the Doris regression
 * suites (test_json_load, load_json_with_jsonpath, test_json_load_default_behavior,
 * test_stream_load_include_where_expr) and from JSONTestSuite.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../../src/core/buf.h"
#include "../../../src/core/mem.h"
#include "../../../src/decode/json.c"
#include "../../../src/decode/json_path.c"
#include "../../../src/decode/json_scan.c"

/* ---- harness ---- */

static void put_bytes(sl_buf *b, sl_slice s)
{
    if (s.p == NULL) {
        sl_buf_puts(b, "\\N");
        return;
    }
    for (size_t i = 0; i < s.n; i++) {
        unsigned char ch = (unsigned char)s.p[i];
        if (ch < 0x20 || ch == '\\' || ch == ';' || ch >= 0x7f)
            sl_buf_printf(b, "\\x%02x", ch);
        else
            sl_buf_putc(b, (char)ch);
    }
}

/* One line per row: "L<line> k=v;k=v;" or "L<line> ERR <reason>", then TAB "@<src>". */
static void render(sl_buf *b, const sl_rawbatch *rb)
{
    for (size_t r = 0; r < rb->n_rows; r++) {
        const sl_rawrow *row = &rb->rows[r];
        sl_buf_printf(b, "L%llu ", (unsigned long long)row->line_no);
        if (row->err) {
            sl_buf_printf(b, "ERR %s", row->err);
        } else {
            for (uint32_t i = 0; i < row->n_fields; i++) {
                if (rb->names) {
                    put_bytes(b, rb->names[row->field0 + i]);
                    sl_buf_putc(b, '=');
                }
                put_bytes(b, rb->fields[row->field0 + i]);
                sl_buf_putc(b, ';');
            }
        }
        sl_buf_puts(b, "\t@");
        put_bytes(b, row->src);
        sl_buf_putc(b, '\n');
    }
}

enum { WHOLE, BYTES, RANDOM };

/* Decode body in the given split; returns the rendered rows (heap, sl_free). */
static char *decode_split(const sl_decode_opts *o, const char *body, size_t n, int how,
                          unsigned seed)
{
    struct json_state st;
    sl_err err = {0};
    sl_rawbatch rb = {0};
    sl_buf out = SL_BUF_INIT;
    memset(&st, 0, sizeof st);
    cr_assert(eq(int, json_open(&st, o, &err), SL_OK));
    size_t off = 0;
    while (off < n) {
        size_t len = how == WHOLE ? n : how == BYTES ? 1 : 1 + (size_t)rand_r(&seed) % 97;
        if (how == RANDOM && rand_r(&seed) % 8 == 0)
            len = 1 + (size_t)rand_r(&seed) % 3000;
        if (len > n - off)
            len = n - off;
        char *chunk = sl_malloc(len);
        memcpy(chunk, body + off, len);
        sl_code rc = json_push(&st, chunk, len, &rb);
        render(&out, &rb);
        sl_rawbatch_clear(&rb);
        sl_free(chunk);
        if (rc != SL_AGAIN) {
            sl_buf_printf(&out, "FATAL %s\n", sl_code_name(rc));
            goto done;
        }
        off += len;
    }
    sl_code rc = json_finish(&st, &rb);
    render(&out, &rb);
    if (rc != SL_OK)
        sl_buf_printf(&out, "FATAL %s\n", sl_code_name(rc));
done:
    json_close(&st);
    sl_rawbatch_free(&rb);
    sl_buf_putc(&out, 0);
    cr_assert(not(out.oom));
    return sl_buf_take(&out, NULL);
}

/* Decode whole, byte by byte and in 6 random splits; all must agree. Returns the rows. */
static char *decode(const sl_decode_opts *o, const char *body, size_t n)
{
    char *whole = decode_split(o, body, n, WHOLE, 0);
    char *bytes = decode_split(o, body, n, BYTES, 0);
    cr_assert(eq(str, bytes, whole), "byte-by-byte split differs");
    sl_free(bytes);
    for (unsigned seed = 1; seed <= 6; seed++) {
        char *r = decode_split(o, body, n, RANDOM, seed);
        cr_assert(eq(str, r, whole), "random split %u differs", seed);
        sl_free(r);
    }
    return whole;
}

static sl_decode_opts opts(bool by_line, bool strip)
{
    sl_decode_opts o;
    sl_decode_opts_default(&o);
    o.read_json_by_line = by_line;
    o.strip_outer_array = strip;
    return o;
}

/* The rendering without the "\t@src" parts. */
static void strip_src(char *s)
{
    char *w = s;
    for (char *r = s; *r;) {
        if (*r == '\t') {
            while (*r && *r != '\n')
                r++;
            continue;
        }
        *w++ = *r++;
    }
    *w = 0;
}

static void expect(const sl_decode_opts *o, const char *body, const char *want)
{
    char *got = decode(o, body, strlen(body));
    strip_src(got);
    cr_assert(eq(str, got, (char *)want));
    sl_free(got);
}

#define E_ARRAY "ERR JSON data is array-object, `strip_outer_array` must be TRUE."
#define E_NOT_ARRAY "ERR JSON data is not an array-object, `strip_outer_array` must be FALSE."
#define E_NOT_OBJ "ERR Expect json object value"
#define E_PARSE "ERR Parse json data for JsonDoc failed. code: "

/* ---- value conversion ---- */

Test(json, simple_row_values)
{
    sl_decode_opts o = opts(false, false);
    expect(&o, "{\"a\":\"x\\ty\",\"b\":12,\"c\":null,\"d\":true,\"e\":false,\"f\":{\"g\":[1, 2]}}",
           "L1 a=x\\x09y;b=12;c=\\N;d=true;e=false;f={\"g\":[1, 2]};\n");
    expect(&o, "{}", "L1 \n");
    expect(&o, " { \"k\\u0041\" : \"\" , \"\" : [ ] } ", "L1 kA=;=[ ];\n");
}

Test(json, unicode_escapes)
{
    sl_decode_opts o = opts(false, false);
    /* U+00E9, U+20AC, U+1D11E (surrogate pair), escaped quote/backslash/slash, \u0000 */
    expect(
        &o, "{\"s\":\"\\u00e9\\u20AC\\uD834\\uDD1E\\\"\\\\\\/\\u0000\\b\\f\\n\\r\"}",
        "L1 s=\\xc3\\xa9\\xe2\\x82\\xac\\xf0\\x9d\\x84\\x9e\"\\x5c/\\x00\\x08\\x0c\\x0a\\x0d;\n");
    expect(&o, "{\"s\":\"\\uD834x\"}",
           "L1 " E_PARSE "9, error info: The surrogate pair in string is invalid.\n");
    expect(&o, "{\"s\":\"\\uDD1E\"}",
           "L1 " E_PARSE "9, error info: The surrogate pair in string is invalid.\n");
    expect(&o, "{\"s\":\"\\u12G4\"}",
           "L1 " E_PARSE "8, error info: Incorrect hex digit after \\u escape in string.\n");
    expect(&o, "{\"s\":\"\\x\"}",
           "L1 " E_PARSE "10, error info: Invalid escape character in string.\n");
    expect(&o, "{\"s\":\"a\tb\"}", "L1 " E_PARSE "12, error info: Invalid encoding in string.\n");
    expect(&o, "{\"s\":\"abc",
           "L1 " E_PARSE "11, error info: Missing a closing quotation mark in string.\n");
}

Test(json, numbers_through_double)
{
    sl_decode_opts o = opts(false, false);
    expect(&o,
           "{\"a\":12345678912345678912345678.123,\"b\":17.00,\"c\":0.05,\"d\":1e2,\"e\":1E-7,"
           "\"f\":-0.0,\"g\":18446744073709551615,\"h\":18446744073709551616,"
           "\"i\":-9223372036854775808,\"j\":-9223372036854775809,\"k\":100.50,\"l\":0.00001,"
           "\"m\":-1.0e+28,\"n\":0.1e1,\"o\":1234567890123456.5,\"p\":-0,\"q\":1.5e300}",
           "L1 a=1.2345678912345679e+25;b=17;c=0.05;d=100;e=1e-07;f=-0;g=18446744073709551615;"
           "h=1.8446744073709552e+19;i=-9223372036854775808;j=-9.223372036854776e+18;k=100.5;"
           "l=1e-05;m=-1e+28;n=1;o=1234567890123456.5;p=-0;q=1.5e+300;\n");
    o.num_as_string = true;
    expect(&o, "{\"a\":12345678912345678912345678.123,\"b\":17.00,\"d\":1e2}",
           "L1 a=12345678912345678912345678.123;b=17.00;d=1e2;\n");
}

Test(json, number_errors)
{
    sl_decode_opts o = opts(true, false);
    expect(&o,
           "{\"a\":01}\n{\"a\":1.}\n{\"a\":1e}\n{\"a\":-}\n{\"a\":.5}\n{\"a\":1e999}\n{\"a\":+1}\n",
           "L1 " E_PARSE "6, error info: Missing a comma or '}' after an object member.\n"
           "L2 " E_PARSE "14, error info: Miss fraction part in number.\n"
           "L3 " E_PARSE "15, error info: Miss exponent in number.\n"
           "L4 " E_PARSE "3, error info: Invalid value.\n"
           "L5 " E_PARSE "3, error info: Invalid value.\n"
           "L6 a=1e999;\n"
           "L7 " E_PARSE "3, error info: Invalid value.\n");
}

/* ---- body forms ---- */

Test(json, stream_of_objects)
{
    /* test_json_load_default_behavior case 1: two objects, no strip, no by-line -> 2 rows */
    sl_decode_opts o = opts(false, false);
    expect(&o,
           "{\"Id\":1,\"cIty\":\"beijing\",\"CodE\":2345671}\n"
           "{\"Id\":2,\"cIty\":\"shanghai\",\"CodE\":2345672}\n",
           "L1 Id=1;cIty=beijing;CodE=2345671;\nL2 Id=2;cIty=shanghai;CodE=2345672;\n");
    expect(&o, "{\"a\":1}{\"a\":2}", "L1 a=1;\nL2 a=2;\n");
    expect(&o, "", "");
    expect(&o, " \n ", "L1 " E_PARSE "1, error info: The document is empty.\n");
}

static const char simple_json[] = "[\n"
                                  "    {\"id\": 1, \"city\": \"beijing\", \"code\": 2345671},\n"
                                  "    {\"id\": 2, \"city\": \"shanghai\", \"code\": 2345672},\n"
                                  "    {\"id\": 3, \"city\": \"guangzhou\", \"code\": 2345673},\n"
                                  "    {\"id\": 4, \"city\": \"shenzhen\", \"code\": 2345674},\n"
                                  "    {\"id\": 5, \"city\": \"hangzhou\", \"code\": 2345675},\n"
                                  "    {\"id\": 6, \"city\": \"nanjing\", \"code\": 2345676},\n"
                                  "    {\"id\": 7, \"city\": \"wuhan\", \"code\": 2345677},\n"
                                  "    {\"id\": 8, \"city\": \"chengdu\", \"code\": 2345678},\n"
                                  "    {\"id\": 9, \"city\": \"xian\", \"code\": 2345679},\n"
                                  "    {\"id\": 10, \"city\": \"hefei\", \"code\": 23456710}\n"
                                  "]\n";

Test(json, strip_outer_array_simple_json)
{
    /* test_json_load case 1 / test_json_load_default_behavior case 2: 10 rows */
    sl_decode_opts o = opts(false, true);
    char *got = decode(&o, simple_json, strlen(simple_json));
    strip_src(got);
    cr_assert(eq(int, (int)strspn(got, ""), 0));
    int rows = 0;
    for (char *p = got; (p = strchr(p, '\n')) != NULL; p++)
        rows++;
    cr_assert(eq(int, rows, 10));
    cr_assert(not(eq(ptr, strstr(got, "L1 id=1;city=beijing;code=2345671;\n"), NULL)));
    cr_assert(not(eq(ptr, strstr(got, "L10 id=10;city=hefei;code=23456710;\n"), NULL)));
    sl_free(got);
    /* the same body without strip_outer_array is one error row */
    o = opts(false, false);
    expect(&o, simple_json, "L1 " E_ARRAY "\n");
}

Test(json, strip_outer_array_shapes)
{
    sl_decode_opts o = opts(false, true);
    expect(&o, "[]", "");
    expect(&o, " [ ] [ {\"a\":1} ] ", "L1 a=1;\n");
    expect(&o, "[1, \"x\", [2], {\"a\":[3]}]",
           "L1 " E_NOT_OBJ "\nL2 " E_NOT_OBJ "\nL3 " E_NOT_OBJ "\nL4 a=[3];\n");
    expect(&o, "{\"a\":1}", "L1 " E_NOT_ARRAY "\n");
    expect(&o, "[{\"a\":1},]", "L1 a=1;\nL2 " E_PARSE "3, error info: Invalid value.\n");
    expect(&o, "[{\"a\":1} {\"a\":2}]",
           "L1 a=1;\nL2 " E_PARSE
           "7, error info: Missing a comma or ']' after an array element.\n");
    expect(&o, "[{\"a\":1}",
           "L1 a=1;\nL2 " E_PARSE
           "7, error info: Missing a comma or ']' after an array element.\n");
    expect(&o, "[{\"a\":1},", "L1 a=1;\nL2 " E_PARSE "3, error info: Invalid value.\n");
    expect(&o, "[1x]",
           "L1 " E_PARSE "7, error info: Missing a comma or ']' after an array element.\n");
}

Test(json, malformed_stream_stops)
{
    sl_decode_opts o = opts(false, false);
    expect(&o, "{\"a\":1}\n{\"a\":2,}\n{\"a\":3}\n",
           "L1 a=1;\nL2 " E_PARSE "4, error info: Missing a name for object member.\n");
    expect(&o, "{\"a\":1} x {\"a\":3}", "L1 a=1;\nL2 " E_PARSE "3, error info: Invalid value.\n");
    expect(&o, "{\"a\" 1}",
           "L1 " E_PARSE "5, error info: Missing a colon after a name of object member.\n");
    expect(&o, "{\"a\":1]",
           "L1 " E_PARSE "6, error info: Missing a comma or '}' after an object member.\n");
    expect(&o, "{\"a\":[1}",
           "L1 " E_PARSE "7, error info: Missing a comma or ']' after an array element.\n");
    expect(&o, "{\"a\":tru}", "L1 " E_PARSE "3, error info: Invalid value.\n");
    expect(&o, "12 {\"a\":1} \"s\" null",
           "L1 " E_NOT_OBJ "\nL2 a=1;\nL3 " E_NOT_OBJ "\nL4 " E_NOT_OBJ "\n");
    expect(&o, "123abc {\"a\":1}",
           "L1 " E_PARSE
           "2, error info: The document root must not be followed by other values.\n");
    expect(&o, "[{\"a\":1}]", "L1 " E_ARRAY "\n");
    expect(&o, "{\"a\":", "L1 " E_PARSE "3, error info: Invalid value.\n");
    expect(&o, "{", "L1 " E_PARSE "4, error info: Missing a name for object member.\n");
}

Test(json, by_line_continues_after_errors)
{
    sl_decode_opts o = opts(true, false);
    expect(&o, "{\"a\":1}\n{\"a\":2,}\n\n{\"a\":3} x\n[1]\n{\"a\":4}",
           "L1 a=1;\nL2 " E_PARSE "4, error info: Missing a name for object member.\n"
           "L4 " E_PARSE "2, error info: The document root must not be followed by other values.\n"
           "L5 " E_ARRAY "\nL6 a=4;\n");
    /* CRLF lines and a custom multi-byte delimiter */
    expect(&o, "{\"a\":1}\r\n{\"a\":2}\r\n", "L1 a=1;\nL2 a=2;\n");
    memcpy(o.line_delim, "|@|", 3);
    o.line_delim_len = 3;
    expect(&o, "{\"a\":1}|@|{\"a\":\"|@\"}|@||@|{\"a\":3}", "L1 a=1;\nL2 a=|@;\nL4 a=3;\n");
}

static const char invalid_json[] =
    "{\"no\": 1, \"item: {\"id\": 1, \"city\": \"beijing\", \"code\": 2345671}}\n"
    "{\"no\": 2, \"item\": {}}\n"
    "{\"no\": 2, \"item\": {\"id\":\"123}}\n"
    "{\"no\": 2, \"item\": [{\"id\" : \"123\"}]}\n"
    "{\n}\n"
    "\"{}\"\n"
    "null\n"
    "[\n]\n"
    "{\"no\" : 1, \"item\" : {\"id\" : 1921}}\"}\n"
    "{\"no\" : 1, \"item\" : {\"id\" : 1921}}\n"
    "{\"no\" : \"xxx\", \"item\" : {\"x\":\"123\", \"id\" : 1281111}}\n"
    "{\"no\" : 1.22, \"texx\": \"111\",  \"item\" : {\"x\":\"123\", \"id\" : 17117171}}\n"
    "{\"no\" : 10011.0, \"texx\": \"111\",  \"item\" : {\"id\" : null}, \"item\" : 191218}\n";

Test(json, by_line_json_root_invalid_json)
{
    /* test_json_load case 10 (subset of invalid_json.json): rows with id 1921, 1281111,
     * 17117171 and null load; {} is a row without fields (the mapper rejects it). */
    sl_decode_opts o = opts(true, false);
    o.json_root = SL_LIT("$.item");
    expect(&o, invalid_json,
           "L1 " E_PARSE "5, error info: Missing a colon after a name of object member.\n"
           "L2 \n"
           "L3 " E_PARSE "11, error info: Missing a closing quotation mark in string.\n"
           "L4 " E_ARRAY "\n"
           "L5 " E_PARSE "4, error info: Missing a name for object member.\n"
           "L6 " E_PARSE "3, error info: Invalid value.\n"
           "L7 ERR JSON Root not found.\n"
           "L8 ERR JSON Root not found.\n"
           "L9 " E_PARSE "3, error info: Invalid value.\n"
           "L10 " E_PARSE "3, error info: Invalid value.\n"
           "L11 " E_PARSE "2, error info: The document root must not be followed by other values.\n"
           "L12 id=1921;\n"
           "L13 x=123;id=1281111;\n"
           "L14 x=123;id=17117171;\n"
           "L15 id=\\N;\n");
}

Test(json, by_line_json_root_nest_json)
{
    /* test_json_load case 9 */
    sl_decode_opts o = opts(true, false);
    o.json_root = SL_LIT("$.item");
    o.fuzzy_parse = true;
    expect(&o,
           "{\"no\": 1, \"item\": {\"id\": 1, \"city\": \"beijing\", \"code\": 2345671}}\n"
           "{\"no\": 2, \"item\": {\"id\": 2, \"city\": \"shanghai\", \"code\": 2345672}}\n",
           "L1 id=1;city=beijing;code=2345671;\nL2 id=2;city=shanghai;code=2345672;\n");
}

Test(json, by_line_arrays_with_jsonpaths)
{
    /* test_json_load case 5: one array per line, strip_outer_array, jsonpaths id/code */
    sl_decode_opts o = opts(true, true);
    o.jsonpaths = SL_LIT("[\"$.id\", \"$.code\"]");
    expect(&o,
           "[{\"id\": 1, \"city\": \"beijing\", \"code\": 1454547},{\"id\": 2, \"city\": "
           "\"shanghai\", \"code\": 1244264}]\n"
           "[{\"id\": 6, \"city\": \"nanjing\", \"code\": 2345672}, {\"id\": 7}]\n",
           "L1 1;1454547;\nL1 2;1244264;\nL2 6;2345672;\nL2 7;\\N;\n");
    /* a malformed line rejects the whole line, as Doris parses it as one document */
    expect(&o, "[{\"id\": 1},{\"id\": 2]\n[{\"id\": 3}]",
           "L1 " E_PARSE
           "6, error info: Missing a comma or '}' after an object member.\nL2 3;\\N;\n");
}

Test(json, jsonpaths_load_json_with_jsonpath)
{
    /* load_json_with_jsonpath: strip_outer_array + jsonpaths k1/v1; the last object matches
     * nothing and is rejected */
    sl_decode_opts o = opts(false, true);
    o.jsonpaths = SL_LIT("[\"$.k1\", \"$.v1\"]");
    expect(&o,
           " [{\"v1\": \"7395.231067\", \"k1\": \"1000\"}, {\"v2\": \"7291.703724\", \"k1\": "
           "\"2000\"}, {\"k1\": \"22\", \"v2\": \"7291.703724\", \"k2\": \"2000\"}, "
           "{\"tinyint_key\": null}]\n",
           "L1 1000;7395.231067;\nL2 2000;\\N;\nL3 22;\\N;\n"
           "L4 ERR All fields is null or not matched, this is a invalid row.\n");
}

Test(json, jsonpath_forms)
{
    sl_decode_opts o = opts(false, false);
    o.jsonpaths = SL_LIT("[\"$.a[1].b\", \"$[\\\"c d\\\"]\", \"$.\", \"$.e.f\", \"$['e'].g\", "
                         "\"$.a[5]\", \"$.n\"]");
    expect(&o,
           "{\"a\":[{\"b\":1},{\"b\":\"x\\u0041\"}],\"c d\":2.50,\"e\":{\"f\":null,\"g\":[1]},"
           "\"n\":1e400}",
           "L1 xA;2.5;{\"a\":[{\"b\":1},{\"b\":\"x\\x5cu0041\"}],\"c d\":2.50,\"e\":{\"f\":null,"
           "\"g\":[1]},\"n\":1e400};\\N;[1];\\N;1e400;\n");
    expect(&o, "{\"a\":[{\"b\":1},{\"b\":\"x\\u0041\"}],\"c d\":2.50,\"e\":{\"f\":null,\"g\":[1]}}",
           "L1 xA;2.5;{\"a\":[{\"b\":1},{\"b\":\"x\\x5cu0041\"}],\"c d\":2.50,\"e\":{\"f\":null,"
           "\"g\":[1]}};\\N;[1];\\N;\\N;\n");
    /* duplicated keys: the first one wins (rapidjson FindMember) */
    o.jsonpaths = SL_LIT("[\"$.k\"]");
    expect(&o, "{\"k\":1,\"k\":2} 5",
           "L1 1;\nL2 ERR All fields is null or not matched, this is a invalid row.\n");
}

Test(json, include_where_expr)
{
    sl_decode_opts o = opts(false, false);
    expect(&o, "{\"a\":\"3\",\"b\":\"2\",\"c\":\"389\",\"d\":\"doris\"}\n",
           "L1 a=3;b=2;c=389;d=doris;\n");
}

Test(json, json_root_with_strip)
{
    sl_decode_opts o = opts(false, true);
    o.json_root = SL_LIT("$.RECORDS");
    expect(&o, "{\"RECORDS\":[{\"a\":1},{\"a\":2}]} {\"x\":1} {\"RECORDS\":{\"a\":3}}",
           "L1 a=1;\nL1 a=2;\nL2 ERR JSON Root not found.\nL3 " E_NOT_ARRAY "\n");
}

Test(json, bad_options)
{
    struct json_state st;
    sl_err err = {0};
    sl_decode_opts o = opts(false, false);
    o.jsonpaths = SL_LIT("[\"$.a\", 3]");
    cr_assert(eq(int, json_open(&st, &o, &err), SL_INVALID));
    cr_assert(eq(str, err.msg, "Invalid json path: [\"$.a\", 3]"));
    json_close(&st);
    sl_err err2 = {0};
    o = opts(false, false);
    o.json_root = SL_LIT("item");
    cr_assert(eq(int, json_open(&st, &o, &err2), SL_INVALID));
    json_close(&st);
}

Test(json, record_limit_is_fatal)
{
    sl_decode_opts o = opts(false, true);
    o.max_record_bytes = 100;
    char body[400];
    memset(body, ' ', sizeof body);
    memcpy(body, "[{\"a\":\"", 7);
    char *got = decode_split(&o, body, sizeof body, RANDOM, 3);
    cr_assert(not(eq(ptr, strstr(got, "FATAL TOO_LARGE"), NULL)));
    sl_free(got);
}

/* A big outer array decodes with the carry bounded by one element, not the body. */
Test(json, big_array_flat_memory, .timeout = 30)
{
    sl_decode_opts o = opts(false, true);
    struct json_state st;
    sl_err err = {0};
    sl_rawbatch rb = {0};
    cr_assert(eq(int, json_open(&st, &o, &err), SL_OK));
    const char *elem =
        "{\"id\": 123456, \"name\": \"a moderately long string value\", \"v\": 1.5},";
    size_t el = strlen(elem), chunk = 65536 + 7;
    char *buf = sl_malloc(chunk);
    size_t rows = 0, total = 0, fill = 0;
    buf[fill++] = '[';
    for (int i = 0; i < 400000; i++) {
        for (size_t k = 0; k < el; k++) {
            buf[fill++] = elem[k];
            if (fill == chunk) {
                cr_assert(eq(int, json_push(&st, buf, fill, &rb), SL_AGAIN));
                rows += rb.n_rows, total += fill, fill = 0;
                sl_rawbatch_clear(&rb);
            }
        }
    }
    buf[fill++] = '1';
    buf[fill++] = ']';
    cr_assert(eq(int, json_push(&st, buf, fill, &rb), SL_AGAIN));
    rows += rb.n_rows;
    sl_rawbatch_clear(&rb);
    cr_assert(eq(int, json_finish(&st, &rb), SL_OK));
    cr_assert(eq(sz, rows, (size_t)400001));
    cr_assert(le(sz, st.buf[0].cap + st.buf[1].cap, (size_t)8192));
    cr_assert(gt(sz, total, (size_t)20000000));
    json_close(&st);
    sl_rawbatch_free(&rb);
    sl_free(buf);
}

/* ---- JSONTestSuite ---- */

static const char *suite_dir(void)
{
    static const char *const dirs[] = {"../shared/conformance/json",
                                       "/work/shared/conformance/json"};
    const char *env = getenv("SL_JSONTESTSUITE");
    if (env)
        return env;
    for (size_t i = 0; i < SL_COUNT(dirs); i++) {
        DIR *d = opendir(dirs[i]);
        if (d) {
            closedir(d);
            return dirs[i];
        }
    }
    return NULL;
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    cr_assert(not(eq(ptr, f, NULL)), "cannot open %s", path);
    char *p = sl_malloc(1 << 20);
    *n = fread(p, 1, 1 << 20, f);
    fclose(f);
    return p;
}

Test(json, jsontestsuite, .timeout = 120)
{
    const char *dir = suite_dir();
    cr_assert(not(eq(ptr, (void *)dir, NULL)), "JSONTestSuite folder not found");
    DIR *d = opendir(dir);
    struct dirent *de;
    int n_y = 0, n_n = 0, n_i = 0;
    sl_decode_opts o = opts(false, false);
    while ((de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        size_t nl = strlen(name);
        if (nl < 6 || strcmp(name + nl - 5, ".json") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        size_t n;
        char *body = slurp(path, &n);
        int v = sl__json_validate(body, n);
        char *rows = decode(&o, body, n); /* whole, byte by byte, random: all equal */
        bool parse_err = strstr(rows, "Parse json data") != NULL;
        bool any_err = strstr(rows, " ERR ") != NULL;
        if (name[0] == 'y') {
            n_y++;
            cr_assert(eq(int, v, SL__JSON_OK), "%s must be valid", name);
            cr_assert(not(parse_err), "%s: %s", name, rows);
            if (body[strspn(body, " \t\r\n")] == '{')
                cr_assert(not(any_err), "%s: %s", name, rows);
        } else if (name[0] == 'n') {
            n_n++;
            cr_assert(not(eq(int, v, SL__JSON_OK)), "%s must be rejected", name);
            /* An empty body is an empty load (Doris: "Empty file."), not an error row. */
            if (strcmp(name, "n_structure_no_data.json") != 0)
                cr_assert(any_err, "%s decoded without an error row: %s", name, rows);
        } else {
            n_i++;
        }
        sl_free(rows);
        sl_free(body);
    }
    closedir(d);
    cr_assert(eq(int, n_y, 95));
    cr_assert(eq(int, n_n, 188));
    cr_assert(eq(int, n_i, 35));
}

Test(json, validate)
{
    cr_assert(eq(int, sl__json_validate("", 0), SL__JSON_EMPTY));
    cr_assert(eq(int, sl__json_validate(" [1, {\"a\": [true, null]}] ", 26), SL__JSON_OK));
    cr_assert(eq(int, sl__json_validate("[1] 2", 5), SL__JSON_NOT_SINGULAR));
    cr_assert(eq(int, sl__json_validate("[1,]", 4), SL__JSON_BAD_VALUE));
    cr_assert(eq(int, sl__json_validate("{\"a\"}", 5), SL__JSON_MISS_COLON));
    char deep[SL__JSON_MAX_DEPTH + 2];
    memset(deep, '[', sizeof deep);
    cr_assert(eq(int, sl__json_validate(deep, sizeof deep), SL__JSON_TOO_DEEP));
}

#ifdef SL_FAULT_INJECTION
/* Every allocation failure gives a clean NOMEM or the right rows, never a crash or leak. */
Test(json, out_of_memory)
{
    sl_decode_opts o = opts(false, true);
    const char *body = "[{\"a\":\"x\\ty\",\"b\":1.50},{\"a\":\"q\\u00e9\",\"b\":1e3}]";
    for (long n = 1; n < 40; n++) {
        struct json_state st;
        sl_err err = {0};
        sl_rawbatch rb = {0};
        cr_assert(eq(int, json_open(&st, &o, &err), SL_OK));
        sl_fault_arm(n);
        sl_code rc = SL_AGAIN;
        for (size_t i = 0; body[i] && rc == SL_AGAIN; i++)
            rc = json_push(&st, body + i, 1, &rb);
        if (rc == SL_AGAIN)
            rc = json_finish(&st, &rb);
        sl_fault_arm(0);
        cr_assert(rc == SL_OK || rc == SL_NOMEM);
        if (rc == SL_OK)
            cr_assert(eq(sz, rb.n_rows, (size_t)2));
        json_close(&st);
        sl_rawbatch_free(&rb);
    }
}
#endif
