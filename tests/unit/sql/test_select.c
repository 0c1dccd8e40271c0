/*
 * test_select.c - unit tests for src/sql/select.c (the SELECT parsed into sluice's tree: clauses,
 * items and their texts, refusals) and src/sql/select_bind.c (names resolved against a table
 * with Doris's error texts, aliases and positions, aggregate rules, Doris's result types).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <string.h>

#include "../../../src/core/arena.h"
#include "../../../src/core/mem.h"
#include "../../../src/sql/sql.h"
#include "fixture.h"

static sl_stmt S;

TestSuite(select, .init = setup, .fini = teardown);

static sl_select *parse(const char *sql)
{
    sl_err_clear(&E);
    sl_code rc = sl_sql_parse(sql, strlen(sql), &A, &S, &E);
    cr_assert(eq(int, rc, SL_OK), "%s\n-> %s", sql, E.msg);
    cr_assert(eq(int, S.kind, SL_STMT_SELECT));
    return &S.select;
}

static void expect_err(const char *sql, const char *msg)
{
    sl_err_clear(&E);
    sl_code rc = sl_sql_parse(sql, strlen(sql), &A, &S, &E);
    cr_assert(eq(int, rc, SL_INVALID_SQL), "%s -> %d %s", sql, rc, E.msg);
    cr_assert(strstr(E.msg, msg) != NULL, "message '%s' lacks '%s'", E.msg, msg);
}

static void expect_item(size_t i, const char *text, const char *alias)
{
    cr_assert(lt(sz, i, S.select.n_items));
    const sl_selitem *it = &S.select.items[i];
    cr_assert(eq(str, z(it->text), (char *)text), "item %zu", i);
    cr_assert(eq(str, z(it->alias), (char *)(alias ? alias : "(null)")), "item %zu", i);
}

/* ---- parsing ---------------------------------------------------------------------------------- */

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
        const sl_select *sel = parse(line);
        cr_assert(gt(sz, sel->table.n, 0), "%s", line);
        cr_assert(gt(sz, sel->n_items, 0), "%s", line);
        n++;
    }
    fclose(f);
    cr_assert(eq(int, n, 20));
}

Test(select, clauses)
{
    const sl_select *sel = parse(
        "SELECT DISTINCT k1, sum(v) s FROM db.t AS x WHERE k2 IN (1, 2) AND NOT k3 <> 4 GROUP BY "
        "k1, 2 HAVING sum(v) >= 10 ORDER BY 2 DESC, k1 ASC NULLS LAST, k3 NULLS FIRST LIMIT 10 "
        "OFFSET 5;");
    cr_assert(sel->distinct);
    cr_assert(eq(str, z(sel->db), "db"));
    cr_assert(eq(str, z(sel->table), "t"));
    cr_assert(eq(str, z(sel->alias), "x"));
    cr_assert(eq(str, z(S.name), "t"));
    cr_assert(eq(sz, sel->n_items, 2));
    expect_item(0, "k1", NULL);
    expect_item(1, "sum(v)", "s");
    cr_assert(sel->where != NULL && sl_expr_kind_of(sel->where) == SL_E_AND);
    cr_assert(eq(sz, sel->n_group, 2));
    cr_assert(sel->having != NULL && sl_expr_kind_of(sel->having) == SL_E_BIN);
    cr_assert(eq(sz, sel->n_order, 3));
    cr_assert(sel->order[0].desc && sel->order[0].nulls == 0);
    cr_assert(sel->order[1].desc == false && sel->order[1].nulls == 2);
    cr_assert(sel->order[2].nulls == 1);
    cr_assert(sel->has_limit && sel->limit == 10 && sel->offset == 5);
    sel = parse("select * from t limit 5, 10");
    cr_assert(sel->has_limit && sel->limit == 10 && sel->offset == 5);
    sel = parse("select * from t limit 7");
    cr_assert(sel->has_limit && sel->limit == 7 && sel->offset == 0);
    sel = parse("select 1 from dual");
    cr_assert(sel->table.p == NULL);
    expect_err("select * from t limit -1", "near '-'");
    expect_err("select * from t limit 1.5", "near '1.5'");
}

Test(select, items_texts_and_aliases)
{
    parse("select a as x, b y, count(*) c, count(distinct a), sum(b)+1, a+b  AS  total, "
          "case when a > 1 then 'big' end kind, `c`, upper(name), max(v), 'lit' \"q\", t.*, "
          "db.t.*, * from t");
    cr_assert(eq(sz, S.select.n_items, 14));
    expect_item(0, "a", "x");
    expect_item(1, "b", "y");
    expect_item(2, "count(*)", "c");
    expect_item(3, "count(distinct a)", NULL);
    expect_item(4, "sum(b)+1", NULL);
    expect_item(5, "a+b", "total");
    expect_item(6, "case when a > 1 then 'big' end", "kind");
    expect_item(7, "`c`", NULL);
    expect_item(8, "upper(name)", NULL);
    expect_item(9, "max(v)", NULL);
    expect_item(10, "'lit'", "q");
    expect_item(11, "t.*", NULL);
    cr_assert(eq(str, z(S.select.items[11].qual), "t"));
    cr_assert(S.select.items[11].expr == NULL);
    expect_item(12, "db.t.*", NULL);
    cr_assert(eq(str, z(S.select.items[12].qual_db), "db"));
    expect_item(13, "*", NULL);
}

/* Doris/MySQL read "x" as a string, `x` as a name. */
Test(select, quotes)
{
    const sl_select *sel = parse("select \"has\"\"quote\", 'a\\'b', `x``y` from t where s = \"it's\"");
    sl_datum v;
    cr_assert(sl_expr_kind_of(sel->items[0].expr) == SL_E_LIT);
    cr_assert(sl_expr_lit(sel->items[0].expr, &v));
    cr_assert(eq(str, z((sl_slice){v.s.p, v.s.n}), "has\"quote"));
    cr_assert(sl_expr_lit(sel->items[1].expr, &v));
    cr_assert(eq(str, z((sl_slice){v.s.p, v.s.n}), "a'b"));
    cr_assert(sl_expr_kind_of(sel->items[2].expr) == SL_E_COL);
    cr_assert(eq(str, z(sl_expr_name(sel->items[2].expr)), "x`y"));
    const sl_expr *rhs = sl_expr_arg(sel->where, 1);
    cr_assert(sl_expr_kind_of(rhs) == SL_E_LIT && sl_expr_lit(rhs, &v));
    cr_assert(eq(str, z((sl_slice){v.s.p, v.s.n}), "it's"));
}

Test(select, mysql_operators)
{
    const sl_select *sel = parse("select a && b, a || b, !a, a <=> b, a mod 3, a div 2, s rlike "
                                 "'x', s regexp 'y', s not regexp 'z', a is true, a is not false "
                                 "from t");
    static const int kinds[] = {SL_E_AND,  SL_E_OR,   SL_E_NOT,  SL_E_BIN,    SL_E_BIN,  SL_E_BIN,
                                SL_E_LIKE, SL_E_LIKE, SL_E_LIKE, SL_E_ISBOOL, SL_E_ISBOOL};
    for (size_t i = 0; i < SL_COUNT(kinds); i++)
        cr_assert(eq(int, sl_expr_kind_of(sel->items[i].expr), kinds[i]), "item %zu", i);
    cr_assert(eq(int, sl_expr_op(sel->items[3].expr), SL_B_NSEQ));
    cr_assert(eq(int, sl_expr_op(sel->items[4].expr), SL_B_MOD));
    cr_assert(eq(int, sl_expr_op(sel->items[5].expr), SL_B_IDIV));
    cr_assert(eq(int, sl_expr_op(sel->items[6].expr), 1));
    cr_assert(sl_expr_negated(sel->items[8].expr));
    cr_assert(sl_expr_op(sel->items[9].expr) == 1 && !sl_expr_negated(sel->items[9].expr));
    cr_assert(sl_expr_op(sel->items[10].expr) == 0 && sl_expr_negated(sel->items[10].expr));
}

Test(select, aggregates_parse)
{
    const sl_select *sel = parse("select count(*), count(distinct a), sum(all b), "
                                 "group_concat(c separator '|'), group_concat(c, '-'), "
                                 "stddev(d), std(d), variance(d) from t");
    cr_assert(eq(int, sl_expr_kind_of(sel->items[0].expr), SL_E_AGG));
    cr_assert(eq(sz, sl_expr_n_args(sel->items[0].expr), 0));
    cr_assert(sl_expr_distinct(sel->items[1].expr));
    cr_assert(sl_expr_distinct(sel->items[2].expr) == false);
    cr_assert(eq(sz, sl_expr_n_args(sel->items[3].expr), 2));
    cr_assert(eq(sz, sl_expr_n_args(sel->items[4].expr), 2));
    cr_assert(eq(str, (char *)sl_expr_func_name(sel->items[5].expr), "stddev_pop"));
    cr_assert(eq(str, (char *)sl_expr_func_name(sel->items[6].expr), "stddev_pop"));
    cr_assert(eq(str, (char *)sl_expr_func_name(sel->items[7].expr), "var_pop"));
    expect_err("select group_concat(c order by c) from t", "ORDER BY inside group_concat");
    expect_err("select sum(a, b) from t", "Can not found function 'sum' which has 2 arity");
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
    expect_err("select a from t partition (p1)", "partition is not supported in FROM");
    expect_err("select a from t where\n  b = = 1", "syntax error at line 2, column 7 near '='");
    expect_err("select nosuch(1)", "Can not found function 'nosuch'");
    expect_err("select substr('a')", "Can not found function 'substr' which has 1 arity");
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
    parse(sql);
    cr_assert(eq(sz, S.select.items[0].text.n, strlen(sql) - 7));
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

/* ---- binding ------------------------------------------------------------------------------- */

static const sl_tabledef *table(void)
{
    static const char ddl[] =
        "CREATE TABLE t (id INT, nme VARCHAR(20), price DECIMAL(15,2), d DATE, ts DATETIME(3), "
        "big LARGEINT, x DOUBLE, b BOOLEAN, wide DECIMAL(30,4), k TINYINT) "
        "DISTRIBUTED BY HASH(id) BUCKETS 1";
    sl_stmt st;
    cr_assert(eq(int, sl_sql_parse(ddl, strlen(ddl), &A, &st, &E), SL_OK), "%s", E.msg);
    return st.table;
}

static const sl_select *bind(const char *sql)
{
    const sl_tabledef *def = table();
    sl_select *sel = parse(sql);
    sl_select_env env = {3600, 0, SL_LIT("db"), NULL};
    sl_code rc = sl_select_bind(sel, sel->table.n ? def : NULL, &env, &A, &E);
    cr_assert(eq(int, rc, SL_OK), "%s\n-> %s", sql, E.msg);
    cr_assert(sel->bound && sel->ctx.tz_offset_s == 3600);
    return sel;
}

static void bind_err(const char *sql, const char *msg)
{
    const sl_tabledef *def = table();
    sl_select *sel = parse(sql);
    sl_select_env env = {0, 0, SL_LIT("db"), NULL};
    sl_err_clear(&E);
    sl_code rc = sl_select_bind(sel, sel->table.n ? def : NULL, &env, &A, &E);
    cr_assert(eq(int, rc, SL_INVALID_SQL), "%s -> %d %s", sql, rc, E.msg);
    cr_assert(eq(str, E.msg, (char *)msg), "for %s", sql);
}

static char *type_of(const sl_select *sel, size_t i)
{
    char *buf = sl_arena_alloc(&A, 64);
    cr_assert(lt(sz, i, sel->n_out));
    return sl_type_name(&sel->out[i].type, buf, 64);
}

/* The wrong answers of issue 21 are errors now, with Doris's texts per clause. */
Test(select, unknown_names_are_errors)
{
    bind_err("SELECT nosuchcol FROM t",
             "Unknown column 'nosuchcol' in 'table list' in PROJECT clause");
    bind_err("SELECT id FROM t WHERE nosuch = 'nosuch'",
             "Unknown column 'nosuch' in 'table list' in FILTER clause");
    bind_err("SELECT id FROM t ORDER BY id123", "Unknown column 'id123' in 'table list' in SORT clause");
    bind_err("SELECT id123 FROM t GROUP BY id", "Unknown column 'id123' in 'table list' in AGGREGATE clause");
    bind_err("SELECT id FROM t GROUP BY id123", "Unknown column 'id123' in 'table list' in AGGREGATE clause");
    bind_err("SELECT id FROM t GROUP BY id HAVING zz > 1",
             "Unknown column 'zz' in 'table list' in HAVING clause");
    bind_err("SELECT x.id FROM t", "Unknown column 'x.id' in 'table list' in PROJECT clause");
    bind_err("SELECT t.id FROM t AS u", "Unknown column 't.id' in 'table list' in PROJECT clause");
    bind_err("SELECT other.t.id FROM t", "Unknown column 't.id' in 'table list' in PROJECT clause");
    bind_err("SELECT id", "Unknown column 'id' in 'table list' in PROJECT clause");
    bind_err("SELECT x.* FROM t", "Unknown table 'x'");
    bind_err("SELECT *", "No tables used");
    bind_err("SELECT id AS a FROM t WHERE a = 1",
             "Unknown column 'a' in 'table list' in FILTER clause");
    /* and the names that do resolve: case-insensitive columns, qualifiers */
    const sl_select *sel = bind("SELECT ID, t.nme, db.t.price, `D` FROM t WHERE t.Id > 0");
    cr_assert(eq(str, z(sel->out[0].name), "ID"));
    cr_assert(eq(str, z(sel->out[1].name), "nme"));
    cr_assert(eq(long, sl_expr_col(sel->out[3].expr), 3));
    sel = bind("SELECT u.id FROM t u WHERE u.nme = 'x'");
    cr_assert(eq(long, sl_expr_col(sel->out[0].expr), 0));
}

Test(select, aggregate_rules)
{
    bind_err("SELECT nme, count(*) FROM t", "nme not in aggregate's output");
    bind_err("SELECT nme, id FROM t GROUP BY d", "id, nme not in aggregate's output");
    bind_err("SELECT id FROM t WHERE sum(id) > 1",
             "LOGICAL_FILTER can not contains AggregateFunction expression: sum(`id`)");
    bind_err("SELECT sum(count(*)) FROM t", "aggregate function cannot contain aggregate parameters");
    bind_err("SELECT count(*) AS c FROM t GROUP BY c", "Can't group on 'c'");
    bind_err("SELECT count(*) FROM t GROUP BY 1", "Can't group on 'count(*)'");
    bind_err("SELECT id FROM t GROUP BY 2", "Unknown column '2' in 'group statement'");
    bind_err("SELECT id FROM t ORDER BY 0", "Unknown column '0' in 'order clause'");
    bind_err("SELECT sum(d) FROM t", "Can not find the compatibility function signature: sum(DATE)");
    bind_err("SELECT DISTINCT nme FROM t ORDER BY id", "Expression #1 of ORDER BY clause is not in "
             "SELECT list; this is incompatible with DISTINCT");
    bind_err("SELECT id AS a, nme AS a FROM t ORDER BY a", "Column 'a' in order clause is ambiguous");
    /* grouped expressions, aliases and positions as MySQL allows */
    const sl_select *sel = bind("SELECT year(d) AS y, count(*) FROM t GROUP BY y HAVING y > 2000 "
                                "ORDER BY 2 DESC, y");
    cr_assert(sel->aggregate);
    cr_assert(sl_expr_same(sel->group[0], sel->out[0].expr));
    cr_assert(sl_expr_same(sel->order[0].expr, sel->out[1].expr));
    sel = bind("SELECT upper(nme), count(*) FROM t GROUP BY 1 ORDER BY upper(nme)");
    cr_assert(sel->aggregate && sl_expr_same(sel->group[0], sel->out[0].expr));
    sel = bind("SELECT id + 1 FROM t GROUP BY id");
    cr_assert(sel->aggregate);
    sel = bind("SELECT count(*) FROM t HAVING count(*) > 0");
    cr_assert(sel->aggregate);
    sel = bind("SELECT id FROM t HAVING id > 1");
    cr_assert(sel->aggregate == false && sel->having != NULL);
}

/* Doris's result types: count BIGINT, sum of integers BIGINT, sum(LARGEINT) LARGEINT,
 * sum(DECIMAL(p,s)) DECIMAL(38,s), avg(DECIMAL) DECIMAL(38,max(s,4)), avg of integers DOUBLE. */
Test(select, result_types)
{
    const sl_select *sel =
        bind("SELECT count(*), sum(id), sum(k), sum(big), sum(price), avg(price), avg(wide), "
             "avg(id), sum(x), min(d), max(ts), group_concat(nme), stddev(id), sum(nme), "
             "bit_or(k), count(DISTINCT nme) FROM t");
    static const char *const want[] = {
        "bigint", "bigint", "bigint", "largeint", "decimalv3(38,2)", "decimalv3(38,4)",
        "decimalv3(38,4)", "double", "double", "date", "datetime(3)", "text", "double",
        "double", "bigint", "bigint"};
    for (size_t i = 0; i < SL_COUNT(want); i++)
        cr_assert(eq(str, type_of(sel, i), (char *)want[i]), "column %zu", i);
    sel = bind("SELECT id + 1, id / 2, id DIV 2, price * 2, concat(nme, 'x'), d >= '2024-01-01', "
               "*, 'text', \"dq\" FROM t");
    cr_assert(eq(str, type_of(sel, 0), "bigint"));
    cr_assert(eq(str, type_of(sel, 1), "double"));
    cr_assert(eq(str, type_of(sel, 2), "bigint"));
    cr_assert(eq(str, type_of(sel, 3), "decimalv3(34,2)")); /* literals are BIGINT here */
    cr_assert(eq(str, type_of(sel, 4), "text"));
    cr_assert(eq(str, type_of(sel, 5), "boolean"));
    cr_assert(eq(sz, sel->n_out, 6 + 10 + 2));
    cr_assert(eq(str, z(sel->out[6].name), "id"));
    cr_assert(eq(str, type_of(sel, 6 + 2), "decimal(15,2)"));
    cr_assert(eq(str, z(sel->out[16].name), "'text'"));
    cr_assert(eq(str, type_of(sel, 17), "text"));
}

/* `d >= '2024-01-01'` compares DATEs: the literal is converted once, to a DATE (days). */
Test(select, literals_take_the_column_type)
{
    const sl_select *sel = bind("SELECT id FROM t WHERE d >= '2024-01-02' AND id = '7' AND "
                                "ts < '2024-01-01 10:00:00.5' AND d BETWEEN '2023-01-01' AND "
                                "'2023-12-31'");
    const sl_expr *w = sel->where, *ge = sl_expr_arg(sl_expr_arg(sl_expr_arg(w, 0), 0), 0);
    sl_datum v;
    cr_assert(eq(int, sl_expr_kind_of(ge), SL_E_BIN));
    const sl_expr *lit = sl_expr_arg(ge, 1);
    cr_assert(eq(int, sl_expr_kind_of(lit), SL_E_LIT));
    cr_assert(eq(int, sl_expr_type(lit).id, SL_DATE));
    cr_assert(sl_expr_lit(lit, &v) && v.i == 19724); /* days since 1970-01-01 */
    cr_assert(eq(int, sl_expr_kind_of(sl_expr_arg(ge, 0)), SL_E_COL)); /* no cast on the column */
    const sl_expr *eq_ = sl_expr_arg(sl_expr_arg(sl_expr_arg(w, 0), 0), 1);
    cr_assert(eq(int, sl_expr_type(sl_expr_arg(eq_, 1)).id, SL_BIGINT));
    const sl_expr *lt_ = sl_expr_arg(sl_expr_arg(w, 0), 1);
    cr_assert(eq(int, sl_expr_type(sl_expr_arg(lt_, 1)).id, SL_DATETIME));
}

Test(select, bound_twice_is_refused)
{
    const sl_select *sel = bind("SELECT id FROM t");
    sl_select_env env = {0, 0, SL_LIT(""), NULL};
    cr_assert(eq(int, sl_select_bind((sl_select *)sel, table(), &env, &A, &E), SL_INTERNAL));
}
