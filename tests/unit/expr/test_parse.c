/*
 * test_parse.c - the parser of src/expr/parse.c: precedence, canonical printing and round
 * trips, error positions, depth limits, `columns` lists and every `sql` header of the Doris
 * conformance cases (_http_stream INSERT ... SELECT).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../../src/expr/internal.h"

static sl_arena_t A;

static void setup(void)
{
    sl_arena_init(&A, 0);
}

static void teardown(void)
{
    sl_arena_free(&A);
}

TestSuite(parse, .init = setup, .fini = teardown);

/* Parse, print, re-parse, compare; returns the canonical text (arena). */
static const char *canon(const char *text)
{
    sl_err err = {0};
    sl_expr *e, *e2;
    sl_buf b = SL_BUF_INIT, b2 = SL_BUF_INIT;
    cr_assert(eq(int, sl_expr_parse(sl_slice_of(text), &A, &e, &err), SL_OK), "%s: %s", text,
              err.msg);
    sl_expr_print(e, &b);
    cr_assert(not(b.oom));
    cr_assert(eq(int, sl_expr_parse((sl_slice){b.p, b.len}, &A, &e2, &err), SL_OK), "%s -> %s: %s",
              text, b.p, err.msg);
    cr_expect(sl__expr_equal(e, e2), "round trip of %s via %s", text, b.p);
    sl_expr_print(e2, &b2);
    cr_expect(eq(str, b.p, b2.p), "printing is stable");
    char *out = sl_arena_memdup(&A, b.p, b.len);
    sl_buf_free(&b);
    sl_buf_free(&b2);
    return out;
}

static const char *err_of(const char *text)
{
    static char msg[SL_ERR_MSG_MAX];
    sl_err err = {0};
    sl_expr *e;
    sl_code rc = sl_expr_parse(sl_slice_of(text), &A, &e, &err);
    cr_assert(eq(int, rc, SL_INVALID), "%s should fail", text);
    memcpy(msg, err.msg, sizeof msg);
    return msg;
}

#define CANON(text, want) cr_expect(eq(str, (char *)canon(text), (char *)(want)))

Test(parse, precedence_and_canonical_text)
{
    CANON("1 + 2 * 3", "(1 + (2 * 3))");
    CANON("(1 + 2) * 3", "((1 + 2) * 3)");
    CANON("a - b - c", "((`a` - `b`) - `c`)");
    CANON("k1 > 10 and city in ('a','b')", "((`k1` > 10) AND (`city` IN ('a', 'b')))");
    CANON("a or b and c", "(`a` OR (`b` AND `c`))");
    CANON("not a = 1", "(NOT (`a` = 1))");
    CANON("- a * b", "((-`a`) * `b`)");
    CANON("a <> b", "(`a` != `b`)");
    CANON("a DIV 2 mod 3", "((`a` DIV 2) % 3)");
    CANON("x is not null", "(`x` IS NOT NULL)");
    CANON("x not between 1 and 2 + 3", "(`x` NOT BETWEEN 1 AND (2 + 3))");
    CANON("x not like 'a%'", "(`x` NOT LIKE 'a%')");
    CANON("case when a then 1 else 2 end", "CASE WHEN `a` THEN 1 ELSE 2 END");
    CANON("CASE x WHEN 1 THEN 'a' WHEN 2 THEN 'b' END", "CASE `x` WHEN 1 THEN 'a' WHEN 2 THEN 'b' END");
    CANON("cast(a as decimal(10, 2))", "CAST(`a` AS decimal(10,2))");
    CANON("cast(a as varchar(20))", "CAST(`a` AS varchar(20))");
    CANON("cast(a as signed)", "CAST(`a` AS bigint)");
    CANON("cast(a as ARRAY<INT>)", "CAST(`a` AS array<int>)");
    CANON("cast(a as map<string, array<decimal(10,2)>>)",
          "CAST(`a` AS map<text,array<decimal(10,2)>>)");
    CANON("cast(a as struct<f1:int, select:varchar(3)>)",
          "CAST(`a` AS struct<f1:int,select:varchar(3)>)");
    CANON("cast(a as variant)", "CAST(`a` AS variant)");
    CANON("date_add(dt, interval 1 day)", "date_add(`dt`, INTERVAL 1 DAY)");
    CANON("YEAR(dt)", "YEAR(`dt`)");
    CANON("current_timestamp", "current_timestamp()");
    CANON("t.`a``b`", "`a``b`");
    CANON("k7=\"k7\"", "(`k7` = 'k7')");
    CANON("a <=> NULL", "(`a` <=> NULL)");
    CANON("TRUE && FALSE || !x", "((TRUE AND FALSE) OR (NOT `x`))");
}

Test(parse, literals)
{
    CANON("123", "123");
    CANON("9223372036854775808", "9223372036854775808"); /* LARGEINT */
    CANON("1.50", "1.50");
    CANON(".5", "0.5");
    CANON("7.", "7.");
    CANON("1e3", "1.00000000000000000e+03");
    CANON("2.5E-3", "2.50000000000000005e-03");
    CANON("'it''s'", "'it\\'s'");
    CANON("'a\\nb\\tc'", "'a\\nb\\tc'");
    CANON("\"dq\\\"x\"", "'dq\"x'");
    CANON("'50\\%'", "'50\\%'");
    CANON("NULL", "NULL");
    CANON("123456789012345678901234567890123456789012", "1.23456789012345685e+41");
}

Test(parse, round_trip_random_shapes)
{
    static const char *const inputs[] = {
        "v1 = tmp * 10", "year(dt) + month(dt) * 100",
        "concat_ws(',', a, b, 'c') like '%x_'",
        "if(a > 1, 'x', null) in ('x', 'y', null)",
        "coalesce(a, b, c) between -1 and 1.5e10",
        "case when a is null then substr(s, -3, 2) when not b then lpad(s, 5, '0') else s end",
        "date_format(str_to_date(s, '%Y-%m-%d'), '%W %M %Y')",
        "sha2(md5(s), 256) = 'x' or (a and not b) or c <=> d",
        "- - - 1", "((((a))))", "a in (1) and b not in (2, 3)",
        "cast(cast(a as int) as datetime(3))", "floor(a / 3) % 2 = 0",
    };
    for (size_t k = 0; k < SL_COUNT(inputs); k++)
        canon(inputs[k]);
}

Test(parse, errors_carry_positions)
{
    cr_expect(eq(str, (char *)err_of("k1 > > 3"), "syntax error at position 6 near '>'"));
    cr_expect(eq(str, (char *)err_of("a + (b * 2"), "syntax error at position 11 near end of input"));
    cr_expect(eq(str, (char *)err_of("k1 = 1 and foo bar"), "syntax error at position 16 near 'bar'"));
    cr_expect(eq(str, (char *)err_of("foo_bar(1)"), "unknown function foo_bar"));
    cr_expect(eq(str, (char *)err_of("'abc"), "syntax error at position 1 near ''abc'"));
    cr_expect(eq(str, (char *)err_of("a @ b"), "syntax error at position 3 near '@'"));
    cr_expect(eq(str, (char *)err_of("12ab"), "syntax error at position 1 near '12ab'"));
    cr_expect(eq(str, (char *)err_of("cast(a as blob)"), "syntax error at position 11 near 'blob'"));
    cr_expect(eq(str, (char *)err_of("cast(a as array<int)"),
                 "syntax error at position 20 near ')'"));
    cr_expect(eq(str, (char *)err_of("cast(a as map<int>)"),
                 "syntax error at position 18 near '>'"));
    cr_expect(eq(str, (char *)err_of("cast(a as array<variant>)"),
                 "VARIANT is not supported inside a complex type"));
    cr_expect(eq(str, (char *)err_of("cast(a as struct<`x`:int>)"),
                 "syntax error at position 18 near 'x'"));
    cr_expect(eq(str, (char *)err_of("cast(a as struct<x:int, X:int>)"),
                 "duplicate field name in struct"));
    cr_expect(eq(str, (char *)err_of("cast(a as array<array<array<array<array<array<array<array<"
                                     "array<array<int>>>>>>>>>>)"),
                 "complex types nest too deep"));
    cr_expect(eq(str, (char *)err_of("cast(a as decimal(50,2))"),
                 "invalid type arguments at position 18"));
    cr_expect(eq(str, (char *)err_of("substr('a')"),
                 "wrong number of arguments to function substr at position 1: 1"));
    cr_expect(eq(str, (char *)err_of("date_add(d, interval 1 fortnight)"),
                 "syntax error at position 24 near 'fortnight'"));
    cr_expect(eq(str, (char *)err_of(""), "syntax error at position 1 near end of input"));
    cr_expect(eq(str, (char *)err_of("1e999"), "syntax error at position 1 near '1e999'"));
    cr_expect(eq(str, (char *)err_of("a in ()"), "syntax error at position 7 near ')'"));
    cr_expect(eq(str, (char *)err_of("select"), "syntax error at position 1 near 'select'"));
}

Test(parse, depth_is_capped)
{
    enum { N = 100000 };
    char *s = malloc(2 * N + 2);
    cr_assert(s != NULL);
    /* deep parentheses */
    memset(s, '(', N);
    s[N] = '1';
    memset(s + N + 1, ')', N);
    s[2 * N + 1] = '\0';
    cr_expect(eq(int, strncmp(err_of(s), "expression too deeply nested", 28), 0));
    /* long left-deep chain 1+1+1+... (no recursion in the parser, but a deep tree) */
    for (size_t i = 0; i < N; i++)
        s[2 * i] = '1', s[2 * i + 1] = '+';
    s[2 * N - 1] = '\0';
    cr_expect(eq(int, strncmp(err_of(s), "expression too deeply nested", 28), 0));
    /* unary chains */
    memset(s, '-', N);
    s[N] = '1';
    s[N + 1] = '\0';
    cr_expect(eq(int, strncmp(err_of(s), "expression too deeply nested", 28), 0));
    for (size_t i = 0; i < N / 4; i++)
        memcpy(s + 4 * i, "not ", 4);
    memcpy(s + 4 * (N / 4), "1", 2);
    cr_expect(eq(int, strncmp(err_of(s), "expression too deeply nested", 28), 0));
    free(s);
    /* a moderately deep tree is fine */
    canon("((((((((((((((((((((1))))))))))))))))))))+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1");
}

static sl_expr_columns cols_of(const char *text)
{
    sl_expr_columns c;
    sl_err err = {0};
    cr_assert(eq(int, sl_expr_parse_columns(sl_slice_of(text), &A, &c, &err), SL_OK), "%s: %s",
              text, err.msg);
    return c;
}

static const char *print_of(const sl_expr *e)
{
    sl_buf b = SL_BUF_INIT;
    sl_expr_print(e, &b);
    char *s = sl_arena_memdup(&A, b.p, b.len);
    sl_buf_free(&b);
    return s;
}

Test(parse, columns_lists)
{
    sl_expr_columns c = cols_of("k1, k2, tmp, v1 = tmp * 10, v2 = year(dt), k7=\"k7\"");
    cr_assert(eq(sz, c.n_items, 6));
    cr_expect(sl_slice_eq(c.items[0].name, "k1") && c.items[0].expr == NULL);
    cr_expect(sl_slice_eq(c.items[2].name, "tmp") && c.items[2].expr == NULL);
    cr_expect(sl_slice_eq(c.items[3].name, "v1"));
    cr_expect(eq(str, (char *)print_of(c.items[3].expr), "(`tmp` * 10)"));
    cr_expect(eq(str, (char *)print_of(c.items[4].expr), "year(`dt`)"));
    cr_expect(eq(str, (char *)print_of(c.items[5].expr), "'k7'"));
    /* a derived column overriding a same-named source column */
    c = cols_of("id= id * 10");
    cr_assert(eq(sz, c.n_items, 1));
    cr_expect(sl_slice_eq(c.items[0].name, "id"));
    cr_expect(eq(str, (char *)print_of(c.items[0].expr), "(`id` * 10)"));
    c = cols_of("code = id * 10 + 200");
    cr_expect(eq(str, (char *)print_of(c.items[0].expr), "((`id` * 10) + 200)"));
    c = cols_of("Id, cIty, CodE");
    cr_expect(eq(sz, c.n_items, 3));
    cr_expect(sl_slice_eq(c.items[1].name, "cIty"));
    c = cols_of("  ");
    cr_expect(eq(sz, c.n_items, 0));
    c = cols_of(" mid,ent_id,file_md5,\n   m2, `select`, k = concat(a, ',', b)");
    cr_expect(eq(sz, c.n_items, 6));
    cr_expect(sl_slice_eq(c.items[4].name, "select"));
    sl_err err = {0};
    cr_expect(eq(int, sl_expr_parse_columns(SL_LIT("a, , b"), &A, &c, &err), SL_INVALID));
    cr_expect(eq(str, err.msg, "syntax error at position 4 near ','"));
    sl_err_clear(&err);
    cr_expect(eq(int, sl_expr_parse_columns(SL_LIT("a, b = "), &A, &c, &err), SL_INVALID));
    sl_err_clear(&err);
    cr_expect(eq(int, sl_expr_parse_columns(SL_LIT("a = nope(1)"), &A, &c, &err), SL_INVALID));
    cr_expect(eq(str, err.msg, "unknown function nope"));
}

static sl_expr_insert ins_of(const char *text)
{
    sl_expr_insert q;
    sl_err err = {0};
    cr_assert(eq(int, sl_expr_parse_insert(sl_slice_of(text), &A, &q, &err), SL_OK), "%s: %s",
              text, err.msg);
    return q;
}

/* Every `sql` header of the http_stream cases in shared/conformance/doris/cases.json, with
 * {db} replaced by the conformance database name as the harness does. */
Test(parse, http_stream_sql_from_conformance_cases)
{
    sl_expr_insert q = ins_of("\n                    insert into  conformance.test_http_stream_column_type "
                              "select * from http_stream(\"format\"=\"csv\")\n                    ");
    cr_expect(sl_slice_eq(q.db, "conformance"));
    cr_expect(sl_slice_eq(q.table, "test_http_stream_column_type"));
    cr_expect(q.star && q.n_items == 0 && q.n_cols == 0 && q.where == NULL);
    cr_assert(eq(sz, q.n_props, 1));
    cr_expect(sl_slice_eq(q.props[0].key, "format") && sl_slice_eq(q.props[0].value, "csv"));

    q = ins_of("\n                    insert into  conformance.test_http_stream_default_value (id, name, "
               "date) select c1, c2, c13 from http_stream(\"format\"=\"csv\")\n                    ");
    cr_assert(eq(sz, q.n_cols, 3));
    cr_expect(sl_slice_eq(q.cols[2], "date"));
    cr_assert(eq(sz, q.n_items, 3));
    cr_expect(eq(str, (char *)print_of(q.items[2]), "`c13`"));

    q = ins_of("\n                    insert into conformance.test_http_stream_change_column_order select "
               "c1, c6, c2, c7, c11, c9 from http_stream(\"format\"=\"csv\")\n                    ");
    cr_expect(eq(sz, q.n_items, 6));
    cr_expect(eq(str, (char *)print_of(q.items[5]), "`c9`"));

    q = ins_of("\n                    insert into conformance.test_http_stream_current_timestamp (id, name) "
               "select c1, c2 from http_stream(\"format\"=\"csv\")\n                    ");
    cr_expect(q.n_cols == 2 && q.n_items == 2);

    q = ins_of("\n                    insert into conformance.test_http_stream_function select c1, c2, "
               "year(c14), month(c14), day(c14) from http_stream(\"format\"=\"csv\")\n                    ");
    cr_assert(eq(sz, q.n_items, 5));
    cr_expect(eq(str, (char *)print_of(q.items[2]), "year(`c14`)"));
    cr_expect(eq(str, (char *)print_of(q.items[4]), "day(`c14`)"));
}

Test(parse, http_stream_sql_full_form)
{
    sl_expr_insert q = ins_of("INSERT INTO db.tbl WITH LABEL l1 (c_a, c_b) SELECT c1, c4*2 AS x "
                              "FROM http_stream('format'='CSV', \"column_separator\"=\",\", "
                              "\"line_delimiter\" = \"\\n\") WHERE c4 >= 30;");
    cr_expect(sl_slice_eq(q.db, "db") && sl_slice_eq(q.table, "tbl") && sl_slice_eq(q.label, "l1"));
    cr_assert(eq(sz, q.n_cols, 2));
    cr_assert(eq(sz, q.n_items, 2));
    cr_expect(sl_slice_eq(q.aliases[1], "x") && q.aliases[0].n == 0);
    cr_expect(eq(str, (char *)print_of(q.items[1]), "(`c4` * 2)"));
    cr_assert(eq(sz, q.n_props, 3));
    cr_expect(sl_slice_eq(q.props[0].value, "CSV"));
    cr_expect(sl_slice_eq(q.props[1].key, "column_separator") && sl_slice_eq(q.props[1].value, ","));
    cr_expect(sl_slice_eq(q.props[2].value, "\n"));
    cr_assert(not(eq(ptr, q.where, NULL)));
    cr_expect(eq(str, (char *)print_of(q.where), "(`c4` >= 30)"));

    q = ins_of("insert into t select c1 c from http_stream() s where c1 in (1,2)");
    cr_expect(q.db.n == 0 && sl_slice_eq(q.table, "t") && sl_slice_eq(q.aliases[0], "c"));
    cr_expect(q.n_props == 0 && q.where != NULL);

    sl_err err = {0};
    cr_expect(eq(int, sl_expr_parse_insert(SL_LIT("insert into t select c1 from s3(\"a\"=\"b\")"),
                                           &A, &q, &err), SL_INVALID));
    cr_expect(eq(str, err.msg, "syntax error at position 30 near 's3'"));
    sl_err_clear(&err);
    cr_expect(eq(int, sl_expr_parse_insert(SL_LIT("insert into t select c1 from http_stream(format=csv)"),
                                           &A, &q, &err), SL_INVALID));
    sl_err_clear(&err);
    cr_expect(eq(int, sl_expr_parse_insert(SL_LIT("insert into t select nofn(c1) from http_stream()"),
                                           &A, &q, &err), SL_INVALID));
    cr_expect(eq(str, err.msg, "unknown function nofn"));
    sl_err_clear(&err);
    cr_expect(eq(int, sl_expr_parse_insert(SL_LIT("insert into t select 1 from http_stream() x y"),
                                           &A, &q, &err), SL_INVALID));
}
