/*
 * test_yamcs_sql.c - unit tests of the Yamcs StreamSQL parser and its translation
 * (src/proto/yamcs_sql.c): CREATE TABLE in both forms (the key inside the parentheses as Yamcs
 * writes it, and the `script` GetTable returns), the Doris DDL it becomes, SELECT / DELETE as
 * sluice SQL, the other statements, and errors with their position.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include <stdio.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "../../../src/proto/yamcs_sql.h"
#include "../../../src/sql/sql.h"

static sl_arena_t A;

static void setup(void)
{
    sl_arena_init(&A, 0);
}

static void teardown(void)
{
    sl_arena_free(&A);
}

TestSuite(yamcs_sql, .init = setup, .fini = teardown);

static ysql_stmt parse_ok(const char *text)
{
    ysql_stmt st;
    sl_err err = {0};
    cr_assert(eq(int, sl__ysql_parse(text, strlen(text), &A, &st, &err), SL_OK), "%s: %s", text,
              err.msg);
    return st;
}

static const char *parse_err(const char *text)
{
    static sl_err err;
    ysql_stmt st;
    memset(&err, 0, sizeof err);
    cr_assert(ne(int, sl__ysql_parse(text, strlen(text), &A, &st, &err), SL_OK), "%s", text);
    return err.msg;
}

static char *ddl(const char *text)
{
    ysql_stmt st = parse_ok(text);
    cr_assert(eq(int, st.kind, YSQL_CREATE));
    return sl_arena_memdup(&A, st.ddl.p, st.ddl.n + 1);
}

Test(yamcs_sql, create_table_to_doris)
{
    cr_assert(eq(str, ddl("create table if not exists events(gentime timestamp, source enum, "
                          "seqNum int, body PROTOBUF('org.yamcs.Db$Event'), v int[], primary "
                          "key(gentime, source, seqNum)) histogram(source) partition by "
                          "time(gentime('YYYY')) table_format=compressed,column_family:cf"),
                 "CREATE TABLE IF NOT EXISTS `events` (`gentime` DATETIME(3) NOT NULL, `source` "
                 "VARCHAR(65533) NOT NULL, `seqNum` INT NOT NULL, `body` STRING, `v` JSON) "
                 "UNIQUE KEY(`gentime`, `source`, `seqNum`) DISTRIBUTED BY HASH(`gentime`) "
                 "BUCKETS 1 PROPERTIES (\"yamcs.types\" = \"TIMESTAMP;ENUM;INT;"
                 "PROTOBUF(org.yamcs.Db$Event);ARRAY(INT)\")"));
    /* the generated DDL parses as a UNIQUE KEY table */
    char *d = ddl("CREATE TABLE t (a2 STRING, a1 INT, primary key(a1))");
    sl_stmt st;
    sl_err err = {0};
    cr_assert(eq(int, sl_sql_parse(d, strlen(d), &A, &st, &err), SL_OK), "%s", err.msg);
    cr_assert(eq(int, st.table->key_model, SL_KEYS_UNIQUE));
    cr_assert(eq(str, (char *)st.table->cols[0].name.p, "a1"));
}

Test(yamcs_sql, script_form_round_trips)
{
    /* what GET /tables/{t} returns: quoted names, key and engine after the parentheses */
    const char *a = ddl("create table t(\"a1\" INT, \"a2\" STRING, \"v\" ARRAY(INT), \"p\" "
                        "PROTOBUF(org.yamcs.Db$Event)) primary key(a1) engine sluice");
    const char *b = ddl("create table t (a1 INT, a2 STRING, v INT[], p PROTOBUF('org.yamcs.Db$Event'), "
                        "primary key(a1))");
    cr_assert(eq(str, (char *)a, (char *)b));
}

Test(yamcs_sql, select_to_sluice_sql)
{
    const char *cols = "CREATE TABLE t (a1 INT NOT NULL, a2 STRING) UNIQUE KEY(a1) "
                       "DISTRIBUTED BY HASH(a1) BUCKETS 1";
    sl_stmt tbl;
    sl_err err = {0};
    cr_assert(eq(int, sl_sql_parse(cols, strlen(cols), &A, &tbl, &err), SL_OK));
    struct { const char *in, *out; } cases[] = {
        {"select * from t", "SELECT * FROM `t` ORDER BY `a1`"},
        {"SELECT a1, a2 AS x FROM t WHERE a1 >= 5 AND a1 < 9 ORDER DESC LIMIT 3",
         "SELECT `a1`, `a2` AS `x` FROM `t` WHERE ((`a1` >= 5) AND (`a1` < 9)) ORDER BY `a1` "
         "DESC LIMIT 3"},
        {"select a1 from t where a2 like 'it''s%' or a1 not in (1, 0x10) limit 2, 5",
         "SELECT `a1` FROM `t` WHERE ((`a2` LIKE 'it\\'s%') OR (`a1` NOT IN (1, 16))) ORDER BY "
         "`a1` LIMIT 5 OFFSET 2"},
        {"select count(*) from t where not a2 is null",
         "SELECT count(*) FROM `t` WHERE (NOT (`a2` IS NULL))"},
        {"select a2 || 'x', -a1 * 2 from t where a1 between -1 and 3 order by a2 desc, a1",
         "SELECT concat(`a2`, 'x'), ((-`a1`) * 2) FROM `t` WHERE (`a1` BETWEEN -1 AND 3) "
         "ORDER BY `a2` DESC, `a1`"},
        {"select * from t where ts > '2023-01-01T00:00:00.000Z'",
         "SELECT * FROM `t` WHERE (`ts` > '2023-01-01 00:00:00.000') ORDER BY `a1`"},
        {"select * from t where a1 != 1 and a1 <> 2 -- note\n;",
         "SELECT * FROM `t` WHERE ((`a1` != 1) AND (`a1` != 2)) ORDER BY `a1`"},
    };
    for (size_t i = 0; i < SL_COUNT(cases); i++) {
        ysql_stmt st = parse_ok(cases[i].in);
        sl_buf b = SL_BUF_INIT;
        cr_assert(eq(int, sl__ysql_select_sql(&st, tbl.table, &b, &err), SL_OK));
        cr_assert(eq(str, b.p, (char *)cases[i].out), "%s", cases[i].in);
        sl_stmt q;
        cr_assert(eq(int, sl_sql_parse(b.p, b.len, &A, &q, &err), SL_OK), "%s: %s", b.p,
                  err.msg);
        sl_buf_free(&b);
    }
    ysql_stmt st = parse_ok("delete from t where a2 = 'x' limit 7");
    sl_buf b = SL_BUF_INIT;
    cr_assert(eq(int, sl__ysql_delete_sql(&st, tbl.table, &b, &err), SL_OK));
    cr_assert(eq(str, b.p, "SELECT * FROM `t` WHERE (`a2` = 'x') ORDER BY `a1` LIMIT 7"));
    sl_buf_free(&b);
}

Test(yamcs_sql, other_statements)
{
    ysql_stmt st = parse_ok("SHOW TABLES");
    cr_assert(eq(int, st.kind, YSQL_SHOW_TABLES));
    st = parse_ok("describe \"my table\"");
    cr_assert(eq(int, st.kind, YSQL_DESCRIBE));
    cr_assert(eq(sz, st.table.n, 8));
    st = parse_ok("drop table if exists t;");
    cr_assert(eq(int, st.kind, YSQL_DROP));
    cr_assert(st.if_exists);
    st = parse_ok("delete from t");
    cr_assert(eq(int, st.kind, YSQL_DELETE));
    cr_assert(eq(ptr, st.where, NULL));
}

Test(yamcs_sql, errors_with_position)
{
    struct { const char *in, *msg; } bad[] = {
        {"selec * from t", "Encountered \"selec\" at line 1, column 1. Was expecting: one of "
                           "SELECT, CREATE TABLE, DROP TABLE, DELETE, DESCRIBE, SHOW TABLES"},
        {"select * fromm t", "Encountered \"fromm\" at line 1, column 10. Was expecting: FROM"},
        {"select *\nfrom t where", "Encountered \"<EOF>\" at line 2, column 13. Was expecting: "
                                   "a column, a literal, a function or \"(\""},
        {"select a from t where b = 'open", "Encountered \"'open\" at line 1, column 27. Was "
                                            "expecting: a column, a literal, a function or \"(\""},
        {"select a from t limit 1 2", "Encountered \"2\" at line 1, column 25. Was expecting: "
                                      "<EOF>"},
        {"create table t (a int)", "a primary key is required"},
        {"create table t (d double, primary key(d))", "DOUBLE key columns are not supported"},
        {"create table t (a tuple, primary key(a))", "invalid or unsupported DataType 'TUPLE'"},
        {"create table t (a int, primary key(b))", "unknown column 'b'"},
        {"create table t (a int, a int, primary key(a))", "duplicate column 'a'"},
        {"create table t (a int auto_increment, primary key(a))",
         "AUTO_INCREMENT is not supported"},
        {"create table t (p PROTOBUF('a\"b'), a int, primary key(a))",
         "invalid PROTOBUF class name 'a\"b'"},
        {"create table t (a int, primary key(a)) primary key(a)", "the primary key is given twice"},
        {"create stream s (a int)", "CREATE STREAM is not supported by sluice: it stores tables "
                                    "only"},
        {"insert into t (a) values (1)", "INSERT statements are not supported by sluice; load "
                                         "rows with :writeRows"},
        {"select a & 1 from t", "bitwise operators are not supported by sluice"},
        {"show streams", "SHOW streams is not supported by sluice (SHOW TABLES is)"},
    };
    for (size_t i = 0; i < SL_COUNT(bad); i++)
        cr_assert(eq(str, (char *)parse_err(bad[i].in), (char *)bad[i].msg), "%s", bad[i].in);
}

Test(yamcs_sql, deep_nesting_is_refused)
{
    static char text[4096];
    size_t n = (size_t)snprintf(text, sizeof text, "select * from t where ");
    for (int i = 0; i < 1000 && n + 2 < sizeof text; i++)
        text[n++] = '(';
    text[n] = 0;
    cr_assert(eq(str, (char *)parse_err(text), "statement nested too deeply"));
}
