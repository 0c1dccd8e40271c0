/*
 * test_complex.c - unit tests for src/batch/complex.c (ARRAY, MAP, STRUCT encoding and text
 * forms) and the DDL spelling of complex types (src/sql/parse.c through sl_sql_parse_type).
 *
 * Table-driven: each row is a type, an input text (Doris's CSV literal or JSON) and the text
 * form Doris shows after a round trip (text -> encoding -> text), or NULL when the value does
 * not convert; the JSON form (the PostgreSQL store's) must parse back to the same bytes.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/batch/complex.c"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "../../../src/sql/sql.h"

static sl_type type_of(const char *spelling)
{
    sl_type t;
    sl_err err = {0};
    cr_assert(eq(int, sl_sql_parse_type(sl_slice_of(spelling), &t, &err), SL_OK), "%s: %s",
              spelling, err.msg);
    return t;
}

/* Parse text (copied without a NUL, so that an over-read trips ASan) into a. */
static sl_conv parse(const sl_type *t, const char *text, unsigned flags, sl_arena_t *a,
                     sl_slice *out)
{
    size_t n = strlen(text);
    char *p = malloc(n ? n : 1);
    cr_assert(p != NULL);
    memcpy(p, text, n);
    sl_conv_ctx ctx = {.tz_offset_s = 0};
    sl_conv r = sl_cv_parse(t, (sl_slice){p, n}, flags, &ctx, a, out);
    free(p);
    return r;
}

typedef struct row {
    const char *type, *in, *out;
    sl_conv conv;
} row;

static const row rows[] = {
    {"ARRAY<INT>", "[1,2,3]", "[1, 2, 3]", SL_CONV_OK},
    {"ARRAY<INT>", " [ 1 , -2 ] ", "[1, -2]", SL_CONV_OK},
    {"ARRAY<INT>", "[]", "[]", SL_CONV_OK},
    {"ARRAY<INT>", "[1, null, 3]", "[1, null, 3]", SL_CONV_OK},
    {"ARRAY<INT>", "[1, abc, 3]", "[1, null, 3]", SL_CONV_LOSSY},
    {"ARRAY<INT>", "[1, 99999999999]", "[1, null]", SL_CONV_LOSSY},
    {"ARRAY<INT NOT NULL>", "[1, abc]", NULL, SL_CONV_NULL},
    {"ARRAY<INT NOT NULL>", "[1, null]", NULL, SL_CONV_NULL},
    {"ARRAY<INT>", "[1,,2]", NULL, SL_CONV_NULL},
    {"ARRAY<INT>", "[1,2", NULL, SL_CONV_NULL},
    {"ARRAY<INT>", "1,2", NULL, SL_CONV_NULL},
    {"ARRAY<INT>", "[1,2]]", NULL, SL_CONV_NULL},
    {"ARRAY<STRING>", "[\"a\", 'b,c', d, \"\"]", "[\"a\", \"b,c\", \"d\", \"\"]", SL_CONV_OK},
    {"ARRAY<STRING>", "[\"q\\\"r\", \"\\u00e9\"]", "[\"q\"r\", \"\xc3\xa9\"]", SL_CONV_OK},
    {"ARRAY<STRING>", "[\"null\", null]", "[\"null\", null]", SL_CONV_OK},
    {"ARRAY<BOOLEAN>", "[true, 0, false, 1]", "[1, 0, 0, 1]", SL_CONV_OK},
    {"ARRAY<DECIMAL(5,2)>", "[1.005, \"2.5\", -0.1]", "[1.01, 2.50, -0.10]", SL_CONV_OK},
    {"ARRAY<LARGEINT>", "[170141183460469231731687303715884105727]",
     "[170141183460469231731687303715884105727]", SL_CONV_OK},
    {"ARRAY<DOUBLE>", "[1.5, 1e300, -0.0]", "[1.5, 1e+300, -0]", SL_CONV_OK},
    {"ARRAY<FLOAT>", "[0.1]", "[0.1]", SL_CONV_OK},
    {"ARRAY<DATE>", "[\"2023-01-01\", 2023-1-2, '20230103']",
     "[\"2023-01-01\", \"2023-01-02\", \"2023-01-03\"]", SL_CONV_OK},
    {"ARRAY<DATETIME(3)>", "[\"2023-01-01 10:00:00.1234\"]", "[\"2023-01-01 10:00:00.123\"]",
     SL_CONV_OK},
    {"ARRAY<ARRAY<INT>>", "[[1, 2], [], null, [3]]", "[[1, 2], [], null, [3]]", SL_CONV_OK},
    {"ARRAY<ARRAY<INT>>", "[[1, x], [2]]", "[[1, null], [2]]", SL_CONV_LOSSY},
    {"ARRAY<ARRAY<INT>>", "[[1, 2], 3]", "[[1, 2], null]", SL_CONV_LOSSY},
    {"MAP<STRING,INT>", "{\"k1\":1, \"k2\": 2}", "{\"k1\":1, \"k2\":2}", SL_CONV_OK},
    {"MAP<STRING,INT>", "{}", "{}", SL_CONV_OK},
    {"MAP<STRING,INT>", "{\"k3\":23, null: 20, \"k4\": null}",
     "{\"k3\":23, null:20, \"k4\":null}", SL_CONV_OK},
    {"MAP<STRING,INT>", "{'  1,amy  ':2, \" k2 \":90}", "{\"  1,amy  \":2, \" k2 \":90}",
     SL_CONV_OK},
    {"MAP<STRING,INT>", "{:2, \"k2\":}", "{\"\":2, \"k2\":null}", SL_CONV_LOSSY},
    {"MAP<STRING,INT>", "{\"a\" 1}", NULL, SL_CONV_NULL},
    {"MAP<INT,STRING>", "{\"1\": \"a\", 2: b}", "{1:\"a\", 2:\"b\"}", SL_CONV_OK},
    {"MAP<STRING,ARRAY<INT>>", "{\"a\": [1, 2], \"b\": []}", "{\"a\":[1, 2], \"b\":[]}",
     SL_CONV_OK},
    {"STRUCT<f1:INT,f2:VARCHAR(10)>", "{\"f1\":1, \"f2\":\"x\"}", "{\"f1\":1, \"f2\":\"x\"}",
     SL_CONV_OK},
    {"STRUCT<f1:INT,f2:VARCHAR(10)>", "{\"F2\":\"y\", \"f1\": 2, \"zz\": 9}",
     "{\"f1\":2, \"f2\":\"y\"}", SL_CONV_OK},
    {"STRUCT<f1:INT,f2:VARCHAR(10)>", "{3, \"z\"}", "{\"f1\":3, \"f2\":\"z\"}", SL_CONV_OK},
    {"STRUCT<f1:INT,f2:VARCHAR(10)>", "[4, \"w\"]", "{\"f1\":4, \"f2\":\"w\"}", SL_CONV_OK},
    {"STRUCT<f1:INT,f2:VARCHAR(10)>", "{\"f2\":\"z\"}", "{\"f1\":null, \"f2\":\"z\"}",
     SL_CONV_OK},
    {"STRUCT<f1:INT NOT NULL,f2:STRING>", "{\"f2\":\"z\"}", NULL, SL_CONV_NULL},
    {"STRUCT<f1:INT,f2:STRING>", "{1, 2, 3}", NULL, SL_CONV_NULL},
    {"STRUCT<a:ARRAY<INT>,m:MAP<STRING,STRUCT<x:INT>>>",
     "{\"a\": [1], \"m\": {\"k\": {\"x\": 5}}}", "{\"a\":[1], \"m\":{\"k\":{\"x\":5}}}",
     SL_CONV_OK},
    {"ARRAY<JSON>", "[{\"a\": 1}, [1, 2], \"s\"]", "[{\"a\":1}, [1,2], \"s\"]", SL_CONV_OK},
};

Test(complex, text_forms_round_trip)
{
    for (size_t i = 0; i < SL_COUNT(rows); i++) {
        const row *r = &rows[i];
        sl_type t = type_of(r->type);
        sl_arena_t a;
        sl_arena_init(&a, 1024);
        sl_slice enc = SL_SLICE_NULL, enc2;
        sl_conv cv = parse(&t, r->in, 0, &a, &enc);
        cr_assert(eq(int, cv, r->conv), "%s %s", r->type, r->in);
        if (r->out) {
            sl_buf b = SL_BUF_INIT, j = SL_BUF_INIT;
            cr_assert(sl_cv_format(&b, &t, enc));
            cr_assert(eq(str, b.p, (char *)r->out), "%s %s", r->type, r->in);
            /* the text form reads back to the same value (unless a string holds a quote: Doris
             * does not escape them), as does the PostgreSQL JSON form */
            if (strstr(r->in, "\\\"") == NULL) {
                cr_assert(eq(int, parse(&t, b.p, SL_CV_STRICT, &a, &enc2), SL_CONV_OK), "%s",
                          b.p);
                cr_assert(enc2.n == enc.n && memcmp(enc2.p, enc.p, enc.n) == 0, "%s", b.p);
            }
            cr_assert(sl_cv_json(&j, &t, enc, SL_CV_PAIRS));
            cr_assert(eq(int, parse(&t, j.p, SL_CV_PAIRS | SL_CV_STRICT, &a, &enc2), SL_CONV_OK),
                      "%s", j.p);
            cr_assert(enc2.n == enc.n && memcmp(enc2.p, enc.p, enc.n) == 0, "%s", j.p);
            sl_buf_free(&b);
            sl_buf_free(&j);
        }
        sl_arena_free(&a);
    }
}

Test(complex, strict_fails_on_bad_elements)
{
    sl_type t = type_of("ARRAY<INT>");
    sl_arena_t a;
    sl_slice enc;
    sl_arena_init(&a, 256);
    cr_assert(eq(int, parse(&t, "[1, abc]", SL_CV_STRICT, &a, &enc), SL_CONV_NULL));
    cr_assert(eq(int, parse(&t, "[1, null]", SL_CV_STRICT, &a, &enc), SL_CONV_OK));
    sl_arena_free(&a);
}

Test(complex, json_forms)
{
    sl_type t = type_of("MAP<INT,STRUCT<s:STRING,d:DATE,b:BOOLEAN,j:JSON>>");
    sl_arena_t a;
    sl_slice enc;
    sl_buf obj = SL_BUF_INIT, pairs = SL_BUF_INIT;
    sl_arena_init(&a, 256);
    cr_assert(eq(int, parse(&t, "{1: {\"s\": \"a\\nb\", \"d\": \"2024-02-29\", \"b\": true, "
                                 "\"j\": {\"k\": [1]}}, 1: null}", 0, &a, &enc), SL_CONV_OK));
    cr_assert(sl_cv_json(&obj, &t, enc, 0));
    cr_assert(eq(str, obj.p, "{\"1\":{\"s\":\"a\\nb\",\"d\":\"2024-02-29\",\"b\":true,"
                             "\"j\":{\"k\":[1]}},\"1\":null}"));
    cr_assert(sl_cv_json(&pairs, &t, enc, SL_CV_PAIRS)); /* order and duplicates kept */
    cr_assert(eq(str, pairs.p, "[[1,{\"s\":\"a\\nb\",\"d\":\"2024-02-29\",\"b\":true,"
                               "\"j\":\"{\\\"k\\\":[1]}\"}],[1,null]]"));
    sl_buf_free(&obj);
    sl_buf_free(&pairs);
    sl_arena_free(&a);
}

/* Found by fuzz_complex: a string element that is not UTF-8 (F5 starts no character) came out
 * of the PostgreSQL store's JSON form as U+FFFD, a silent change of the loaded value; with
 * SL_CV_UTF8 the value fails instead (copy.c refuses the row with a clear error). */
Test(complex, utf8_flag_refuses_text_that_is_not_utf8)
{
    sl_type t = type_of("MAP<STRING,ARRAY<STRING>>");
    sl_arena_t a;
    sl_slice enc;
    sl_buf j = SL_BUF_INIT;
    sl_arena_init(&a, 256);
    static const char *const bad[] = {"{\"k\": [\"N\xf5\x9a\x9e\x93<\"]}", /* past U+10FFFF */
                                      "{\"k\xc0\xaf\": [\"a\"]}",                /* overlong key */
                                      "{\"k\": [\"\xed\xa0\x80\"]}"};           /* a surrogate */
    for (size_t i = 0; i < SL_COUNT(bad); i++) {
        cr_assert(eq(int, parse(&t, bad[i], 0, &a, &enc), SL_CONV_OK), "%zu", i);
        sl_buf_clear(&j);
        cr_assert(sl_cv_json(&j, &t, enc, SL_CV_PAIRS), "without the flag: U+FFFD, %zu", i);
        cr_assert(strstr(j.p, "\xef\xbf\xbd") != NULL, "%zu", i);
        sl_buf_clear(&j);
        cr_assert(not(sl_cv_json(&j, &t, enc, SL_CV_PAIRS | SL_CV_UTF8)), "%zu", i);
    }
    cr_assert(eq(int, parse(&t, "{\"k\\u00e9\": [\"\xf0\x9f\x98\x80\", null]}", 0, &a, &enc),
                 SL_CONV_OK));
    sl_buf_clear(&j);
    cr_assert(sl_cv_json(&j, &t, enc, SL_CV_PAIRS | SL_CV_UTF8));
    cr_assert(eq(str, j.p, "[[\"k\xc3\xa9\",[\"\xf0\x9f\x98\x80\",null]]]"));
    cr_assert(sl_utf8_valid("", 0));
    cr_assert(sl_utf8_valid("a\xc3\xa9", 3));
    cr_assert(not(sl_utf8_valid("\xf4\x90\x80\x80", 4)));
    cr_assert(not(sl_utf8_valid("\xc3", 1)));
    sl_buf_free(&j);
    sl_arena_free(&a);
}

Test(complex, items_and_elements)
{
    sl_type t = type_of("ARRAY<STRING>");
    sl_arena_t a;
    sl_slice enc, *it;
    size_t n;
    sl_datum d;
    sl_arena_init(&a, 256);
    cr_assert(eq(int, parse(&t, "[\"x\", null, \"yz\"]", 0, &a, &enc), SL_CONV_OK));
    cr_assert(eq(sz, sl_cv_count(&t, enc), 3));
    cr_assert(sl_cv_items(&t, enc, &a, &n, &it));
    cr_assert(eq(sz, n, 3));
    cr_assert(it[1].p == NULL);
    cr_assert(sl_cv_get(&sl_type_sub(&t)->t[0], it[2], &d));
    cr_assert(d.s.n == 2 && memcmp(d.s.p, "yz", 2) == 0);
    /* rebuilt from its items: the same bytes */
    sl_slice back;
    cr_assert(sl_cv_build(&t, it, n, &a, &back));
    cr_assert(back.n == enc.n && memcmp(back.p, enc.p, enc.n) == 0);
    sl_arena_free(&a);
}

/* The encoding's measured compactness against JSON text (docs/types.md): an ARRAY<INT> of ten
 * small numbers takes 11 bytes (count + one varint each), its JSON 31. */
Test(complex, encoding_is_compact)
{
    sl_type t = type_of("ARRAY<INT>");
    sl_arena_t a;
    sl_slice enc;
    sl_arena_init(&a, 256);
    cr_assert(eq(int, parse(&t, "[1,2,3,4,5,6,7,8,9,10]", 0, &a, &enc), SL_CONV_OK));
    cr_assert(eq(sz, enc.n, 11));
    sl_arena_free(&a);
}

/* Every truncation and a byte flip of encodings read safely (false or a value, never past the
 * end: ASan under make check). */
Test(complex, malformed_encodings_are_refused)
{
    sl_type t = type_of("MAP<STRING,ARRAY<DOUBLE>>");
    sl_arena_t a;
    sl_slice enc;
    sl_arena_init(&a, 256);
    cr_assert(eq(int, parse(&t, "{\"a\": [1.5, null], \"bb\": [], null: [2]}", 0, &a, &enc),
                 SL_CONV_OK));
    for (size_t n = 0; n < enc.n; n++) {
        char *p = malloc(n ? n : 1);
        memcpy(p, enc.p, n);
        sl_buf b = SL_BUF_INIT;
        cr_assert(not(sl_cv_format(&b, &t, (sl_slice){p, n})), "%zu bytes", n);
        sl_buf_free(&b);
        free(p);
    }
    for (size_t i = 0; i < enc.n; i++)
        for (int bit = 0; bit < 8; bit++) {
            char *p = malloc(enc.n);
            memcpy(p, enc.p, enc.n);
            p[i] ^= (char)(1 << bit);
            sl_buf b = SL_BUF_INIT;
            sl_cv_format(&b, &t, (sl_slice){p, enc.n});
            sl_buf_free(&b);
            free(p);
        }
    sl_arena_free(&a);
}

Test(complex, variant_is_compact_json)
{
    sl_arena_t a;
    sl_slice v;
    sl_arena_init(&a, 256);
    cr_assert(eq(int, sl_cv_variant(SL_LIT(" { \"a\" : [1, 2.5e3, \"x y\"], \"b\": null } "), &a,
                                    &v), SL_CONV_OK));
    const char *want = "{\"a\":[1,2.5e3,\"x y\"],\"b\":null}";
    cr_assert(v.n == strlen(want) && memcmp(v.p, want, v.n) == 0, "%.*s", (int)v.n, v.p);
    cr_assert(eq(int, sl_cv_variant(SL_LIT("{\"a\":}"), &a, &v), SL_CONV_NULL));
    cr_assert(eq(int, sl_cv_variant(SL_LIT("01"), &a, &v), SL_CONV_NULL));
    cr_assert(eq(int, sl_cv_variant(SL_LIT("\"\\q\""), &a, &v), SL_CONV_NULL));
    sl_arena_free(&a);
}

Test(complex, ddl_type_spellings)
{
    char buf[256];
    sl_type t = type_of("ARRAY<ARRAY<INT>>");
    cr_assert(eq(str, sl_type_name(&t, buf, sizeof buf), "array<array<int>>"));
    t = type_of("MAP<STRING, STRUCT<a:INT NOT NULL, b:DECIMAL(10,2) COMMENT 'c'>>");
    cr_assert(eq(str, sl_type_name(&t, buf, sizeof buf),
                 "map<text,struct<a:int not null,b:decimal(10,2)>>"));
    sl_type u = type_of("map<text, struct<a:int not null, b:decimalv3(10,2)>>");
    cr_assert(sl_type_equal(&t, &u), "equal types intern to one handle");
    sl_err err = {0};
    cr_assert(eq(int, sl_sql_parse_type(SL_LIT("ARRAY<INT"), &t, &err), SL_INVALID_SQL));
    cr_assert(eq(int, sl_sql_parse_type(SL_LIT("MAP<INT>"), &t, &err), SL_INVALID_SQL));
    cr_assert(eq(int, sl_sql_parse_type(SL_LIT("STRUCT<a:INT, A:INT>"), &t, &err),
                 SL_INVALID_SQL));
    cr_assert(eq(int, sl_sql_parse_type(SL_LIT("ARRAY<BITMAP>"), &t, &err), SL_INVALID_SQL));
    cr_assert(eq(int, sl_sql_parse_type(SL_LIT("ARRAY<ARRAY<ARRAY<ARRAY<ARRAY<ARRAY<ARRAY<"
                                               "ARRAY<ARRAY<ARRAY<INT>>>>>>>>>>"), &t, &err),
                 SL_INVALID_SQL));
}
