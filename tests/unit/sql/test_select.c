/*
 * test_select.c - unit tests for src/sql/select.c: the SQLite rewrite of SELECT, the projection
 * items and their labels, and the refusals (joins, subqueries, second tables, INTO, ...).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "../../../src/core/arena.h"
#include "../../../src/core/mem.h"
#include "../../../src/sql/sql.h"
#include "fixture.h"

static sl_stmt S;

TestSuite(select, .init = setup, .fini = teardown);

/* Parse sql, which must be a SELECT, and return its SQLite text. */
static char *rewrite(const char *sql)
{
    sl_err_clear(&E);
    sl_code rc = sl_sql_parse(sql, strlen(sql), &A, &S, &E);
    cr_assert(eq(int, rc, SL_OK), "%s\n-> %s", sql, E.msg);
    cr_assert(eq(int, S.kind, SL_STMT_SELECT));
    return z(S.select.sql);
}

static void expect(const char *sql, const char *sqlite)
{
    cr_assert(eq(str, rewrite(sql), (char *)sqlite), "for %s", sql);
}

static void expect_err(const char *sql, const char *msg)
{
    sl_err_clear(&E);
    sl_code rc = sl_sql_parse(sql, strlen(sql), &A, &S, &E);
    cr_assert(eq(int, rc, SL_INVALID_SQL), "%s", sql);
    cr_assert(strstr(E.msg, msg) != NULL, "message '%s' lacks '%s'", E.msg, msg);
}

static void expect_item(size_t i, int kind, const char *colref, const char *label)
{
    cr_assert(lt(sz, i, S.select.n_items));
    const sl_selitem *it = &S.select.items[i];
    cr_assert(eq(int, it->kind, kind), "item %zu", i);
    if (colref)
        cr_assert(eq(str, z(it->colref), (char *)colref), "item %zu", i);
    cr_assert(eq(str, z(it->label), (char *)label), "item %zu", i);
}

/* ---- the queries of the conformance suite ---------------------------------------------------- */

Test(select, conformance_queries)
{
    expect("select * from test_csv_split_line3 where tag_value=\"\" order by user_id",
           "select * from __sl_t where \"tag_value\" = '' order by \"user_id\"");
    cr_assert(eq(str, z(S.select.table), "test_csv_split_line3"));
    cr_assert(S.select.db.p == NULL);
    cr_assert(eq(sz, S.select.n_items, 1));
    expect_item(0, SL_SEL_STAR, NULL, "*");
    expect("select count(*) from test_2pc_table", "select count(*) AS \"count(*)\" from __sl_t");
    expect_item(0, SL_SEL_COUNT, NULL, "count(*)");
    expect("SELECT * FROM test_csv_with_enclose_and_escape ORDER BY k1, k2",
           "SELECT * FROM __sl_t ORDER BY \"k1\", \"k2\"");
    expect("select * from test_stream_load_strict_mode_and_filter_ratio order by 1",
           "select * from __sl_t order by 1");
    expect("select id, name from test_http_stream_current_timestamp",
           "select \"id\", \"name\" from __sl_t");
    expect_item(0, SL_SEL_COLUMN, "id", "id");
    expect_item(1, SL_SEL_COLUMN, "name", "name");
    expect("SELECT * FROM test_single_quotes order by name",
           "SELECT * FROM __sl_t order by \"name\"");
}

Test(select, conformance_queries_file)
{
    char path[512];
    snprintf(path, sizeof path, "tests/data/sql/conformance_queries.sql");
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        const char *src = __FILE__, *cut = strstr(src, "tests/unit/sql/");
        snprintf(path, sizeof path, "%.*stests/data/sql/conformance_queries.sql",
                 cut ? (int)(cut - src) : 0, src);
        f = fopen(path, "r");
    }
    cr_assert(f != NULL, "cannot open %s", path);
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0' || strncmp(line, "--", 2) == 0)
            continue;
        char *sql = rewrite(line);
        cr_assert(strstr(sql, " from __sl_t") || strstr(sql, " FROM __sl_t"), "%s", sql);
        cr_assert(gt(sz, S.select.table.n, 0));
        n++;
    }
    fclose(f);
    cr_assert(eq(int, n, 20));
}

/* ---- rewrite ------------------------------------------------------------------------------ */

Test(select, without_from)
{
    expect("select 1", "select 1 AS \"1\"");
    cr_assert(S.select.table.p == NULL);
    expect_item(0, SL_SEL_EXPR, NULL, "1");
    expect("SELECT 1 + 2 AS three, 'x' ;", "SELECT 1 + 2 AS \"three\", 'x' AS \"'x'\"");
    expect_item(0, SL_SEL_EXPR, NULL, "three");
    expect_item(1, SL_SEL_EXPR, NULL, "'x'");
}

Test(select, strings_and_identifiers)
{
    expect("select `a b`, `x``y` from `my db`.`t` where s = \"it's\" and u = 'a\\'b' and v = "
           "\"q\\\"r\" and w = 'c''d' and x = '\\n'",
           "select \"a b\", \"x`y\" from __sl_t where \"s\" = 'it''s' and \"u\" = 'a''b' and \"v\" "
           "= 'q\"r' and \"w\" = 'c''d' and \"x\" = '\n'");
    cr_assert(eq(str, z(S.select.db), "my db"));
    cr_assert(eq(str, z(S.db), "my db"));
    cr_assert(eq(str, z(S.select.table), "t"));
    expect_item(0, SL_SEL_COLUMN, "a b", "a b");
    expect_item(1, SL_SEL_COLUMN, "x`y", "x`y");
    expect("select \"has\"\"quote\" q", "select 'has\"quote' \"q\"");
    expect("select \"has\"\"quote\"", "select 'has\"quote' AS \"\"\"has\"\"\"\"quote\"\"\"");
    expect("select 'a\\0b' AS z", "select ('a'||char(0)||'b') AS \"z\"");
    expect("select a from t where b like 'x\\_%'",
           "select \"a\" from __sl_t where \"b\" like 'x\\_%'");
}

Test(select, qualifiers_and_alias)
{
    expect("select t.a, db.t.b, x.c from db.t where t.a > 1",
           "select __sl_t.\"a\", __sl_t.\"b\", \"x\".\"c\" from __sl_t where __sl_t.\"a\" > 1");
    expect_item(0, SL_SEL_COLUMN, "a", "a");
    expect_item(1, SL_SEL_COLUMN, "b", "b");
    expect("select u.a, t.b, u.* from t as u order by u.a",
           "select \"u\".\"a\", \"u\".\"b\", \"u\".* from __sl_t as \"u\" order by \"u\".\"a\"");
    expect_item(2, SL_SEL_STAR, NULL, "u.*");
    expect("select a from t x where x.a = 1", "select \"a\" from __sl_t \"x\" where \"x\".\"a\" = 1");
    expect("select `T`.`date` from `t`", "select __sl_t.\"date\" from __sl_t");
}

Test(select, items_and_labels)
{
    rewrite("select a as x, b y, count(*) c, count(distinct a), sum(b)+1, a+b  AS  total, "
            "case when a > 1 then 'big' end kind, `c`, upper(name), max(v) from t");
    cr_assert(eq(sz, S.select.n_items, 10));
    expect_item(0, SL_SEL_COLUMN, "a", "x");
    expect_item(1, SL_SEL_COLUMN, "b", "y");
    expect_item(2, SL_SEL_COUNT, NULL, "c");
    expect_item(3, SL_SEL_COUNT, NULL, "count(distinct a)");
    expect_item(4, SL_SEL_EXPR, NULL, "sum(b)+1");
    expect_item(5, SL_SEL_EXPR, NULL, "total");
    expect_item(6, SL_SEL_EXPR, NULL, "kind");
    expect_item(7, SL_SEL_COLUMN, "c", "c");
    expect_item(8, SL_SEL_EXPR, NULL, "upper(name)");
    expect_item(9, SL_SEL_EXPR, NULL, "max(v)");
    rewrite("select count(*) + 1, count(a) from t");
    expect_item(0, SL_SEL_EXPR, NULL, "count(*) + 1");
    expect_item(1, SL_SEL_COUNT, NULL, "count(a)");
    rewrite("select a between 1 and b, x is null from t");
    expect_item(0, SL_SEL_EXPR, NULL, "a between 1 and b");
    expect_item(1, SL_SEL_EXPR, NULL, "x is null");
}

Test(select, clauses_pass_through)
{
    expect("SELECT DISTINCT k1, sum(v) s FROM t WHERE k2 IN (1, 2) AND NOT k3 <> 4 GROUP BY k1 HAVING "
           "sum(v) >= 10 ORDER BY 2 DESC, k1 ASC NULLS LAST LIMIT 10 OFFSET 5",
           "SELECT DISTINCT \"k1\", sum(\"v\") \"s\" FROM __sl_t WHERE \"k2\" IN (1, 2) AND NOT \"k3\" <> 4 "
           "GROUP BY \"k1\" HAVING sum(\"v\") >= 10 ORDER BY 2 DESC, \"k1\" ASC NULLS LAST LIMIT 10 "
           "OFFSET 5");
    expect("select * from t limit 5, 10", "select * from __sl_t limit 5, 10");
    expect("select * from t where a != 1 and b = -2.5e3 and c is not null",
           "select * from __sl_t where \"a\" != 1 and \"b\" = - 2.5e3 and \"c\" is not null");
    expect("select now(), current_timestamp, `first`, first from t",
           "select now() AS \"now()\", current_timestamp AS \"current_timestamp\", \"first\", "
           "\"first\" from __sl_t");
    expect_item(1, SL_SEL_EXPR, NULL, "current_timestamp");
    expect_item(2, SL_SEL_COLUMN, "first", "first");
}

Test(select, operators_mapped_to_sqlite)
{
    expect("select a && b, a || b x, !a, a <=> b, a mod 3, a div 2, a / 2, s rlike 'x' from t",
           "select \"a\" AND \"b\" AS \"a && b\", \"a\" OR \"b\" \"x\", NOT \"a\" AS \"!a\", \"a\" IS "
           "\"b\" AS \"a <=> b\", \"a\" % 3 AS \"a mod 3\", \"a\" / 2 AS \"a div 2\", \"a\" * 1.0 / 2 "
           "AS \"a / 2\", \"s\" REGEXP 'x' AS \"s rlike 'x'\" from __sl_t");
    expect("select cast(a as int) a, CAST(b AS varchar(10)) b, cast(c as decimal(10, 2)) c, "
           "cast(d as datetime) d, cast(e as bigint) + cast((f) as double) e, cast(g as signed) from t",
           "select cast(\"a\" AS INTEGER) \"a\", CAST(\"b\" AS TEXT) \"b\", cast(\"c\" AS REAL) \"c\", "
           "cast(\"d\" AS TEXT) \"d\", cast(\"e\" AS INTEGER) + cast((\"f\") AS REAL) \"e\", "
           "cast(\"g\" AS INTEGER) AS \"cast(g as signed)\" from __sl_t");
    expect_err("select cast(a as array<int>) from t", "unsupported type array");
    expect_err("select cast(a as) from t", "near ')'");
}

/* The rewritten text runs in SQLite, and each result column is named after its item's label. */
Test(select, sqlite_accepts_rewrite_and_names_columns)
{
    static const char *const queries[] = {
        "select * from t where tag_value=\"\" order by user_id",
        "select count(*) from t",
        "SELECT a, t.b, count(distinct a), a / 2, a div 2, b <=> NULL, cast(a as varchar(3)) from "
        "db.t group by 1, 2 having count(*) >= 1 order by 1 limit 0, 5",
        "select u.a x, `b`, 'it''s' s, \"q\\\"\", case when a > 1 then 'big' end from t u where "
        "u.a != 0 && b <> 'x' || a in (1, 2)",
        "select 1, 'x', 2.5 * 2",
    };
    sqlite3 *db;
    cr_assert(eq(int, sqlite3_open(":memory:", &db), SQLITE_OK));
    cr_assert(eq(int, sqlite3_exec(db, "CREATE TABLE " SL_SQL_TABLE_PLACEHOLDER
                                       "(a, b, tag_value, user_id); INSERT INTO "
                                       SL_SQL_TABLE_PLACEHOLDER " VALUES (3, 'y', '', 1)",
                                   NULL, NULL, NULL), SQLITE_OK));
    for (size_t q = 0; q < SL_COUNT(queries); q++) {
        rewrite(queries[q]);
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(db, S.select.sql.p, (int)S.select.sql.n, &st, NULL);
        cr_assert(eq(int, rc, SQLITE_OK), "%s: %s", z(S.select.sql), sqlite3_errmsg(db));
        cr_assert(eq(int, sqlite3_step(st), SQLITE_ROW), "%s: %s", z(S.select.sql), sqlite3_errmsg(db));
        for (size_t i = 0, c = 0; i < S.select.n_items; i++, c++) {
            if (S.select.items[i].kind == SL_SEL_STAR) {
                c += 3;
                continue;
            }
            cr_assert(eq(str, (char *)sqlite3_column_name(st, (int)c), z(S.select.items[i].label)),
                      "query %zu item %zu", q, i);
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
}

/* ---- refusals ------------------------------------------------------------------------------ */

Test(select, refusals)
{
    expect_err("select * from a join b on a.x = b.x", "joins are not supported (line 1, column 17)");
    expect_err("select * from a left outer join b using (x)", "joins are not supported");
    expect_err("select * from a, b", "only one table is supported in FROM (line 1, column 16)");
    expect_err("select * from (select 1) s", "subqueries are not supported");
    expect_err("select * from t where a in (select a from u)", "subqueries are not supported");
    expect_err("select (select max(a) from u)", "subqueries are not supported");
    expect_err("select 1 union all select 2", "UNION, INTERSECT and EXCEPT are not supported");
    expect_err("select * from t into outfile '/tmp/x'", "SELECT ... INTO is not supported");
    expect_err("select * from numbers(\"number\" = \"10\")", "table functions are not supported");
    expect_err("select * from t; drop table t", "multiple statements are not supported");
    expect_err("select * from t where a = ?", "syntax error at line 1, column 27 near '?'");
    expect_err("select * from t where a = @v", "near '@'");
    expect_err("select * from", "syntax error at line 1, column 14: unexpected end of input");
    expect_err("select from t", "syntax error at line 1, column 8 near 'from'");
    expect_err("select a, from t", "near 'from'");
    expect_err("select a,, b from t", "near ','");
    expect_err("select (a from t", "unexpected end of input");
    expect_err("select a) from t", "near ')'");
    expect_err("select a from t from u", "near 'from'");
    expect_err("select a from t u v", "near 'v'");
    expect_err("select a from t partition (p1)", "near 'partition'");
}

Test(select, nesting_is_capped)
{
    char sql[512];
    size_t n = 0;
    n += (size_t)snprintf(sql + n, sizeof sql - n, "select ");
    for (int i = 0; i < 64; i++)
        sql[n++] = '(';
    sql[n++] = '1';
    for (int i = 0; i < 64; i++)
        sql[n++] = ')';
    sql[n] = '\0';
    char *out = rewrite(sql);
    cr_assert(eq(int, strncmp(out, sql, strlen(sql)), 0), "%s", out);
    cr_assert(eq(sz, S.select.items[0].label.n, strlen(sql) - 7));
    memmove(sql + 8, sql + 7, n - 7 + 1);
    sql[7] = '(';
    memcpy(sql + strlen(sql), ")", 2);
    expect_err(sql, "expression nested deeper than 64 levels");
}

/* Every allocation failure during a SELECT parse ends in SL_NOMEM or success (faults fire only
 * with -DSL_FAULT_INJECTION). */
Test(select, allocation_failures_are_reported)
{
    const char *sql = "select t.a, count(*) c, 'x' from db.t where b = \"y\" group by 1 order by 2";
    for (long n = 1; n < 10000; n++) {
        sl_arena_t a;
        sl_arena_init(&a, 64);
        sl_err e = {0};
        sl_stmt s;
        sl_fault_arm(n);
        sl_code rc = sl_sql_parse(sql, strlen(sql), &a, &s, &e);
        bool hit = sl_fault_hit();
        sl_fault_arm(0);
        sl_arena_free(&a);
        if (!hit) {
            cr_assert(eq(int, rc, SL_OK), "%s", e.msg);
            return;
        }
        cr_assert(rc == SL_OK || rc == SL_NOMEM, "n=%ld rc=%d %s", n, rc, e.msg);
    }
    cr_fail("fault injection never stopped firing");
}
