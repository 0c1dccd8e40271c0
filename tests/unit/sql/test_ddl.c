/*
 * test_ddl.c - ALTER TABLE, CREATE TABLE LIKE / AS SELECT parsing (src/sql/parse.c) and the
 * definition tools of src/sql/ddl.c: CREATE TABLE text that reads back equal, ALTER applied with
 * Doris's error texts, where each column comes from, partitions added, dropped and renamed.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "sql/sql.h"

static sl_arena_t A;
static sl_err E;

static void setup(void)
{
    sl_arena_init(&A, 0);
    sl_err_clear(&E);
}

static void teardown(void)
{
    sl_arena_free(&A);
}

TestSuite(ddl, .init = setup, .fini = teardown);

static sl_stmt *parse(const char *sql)
{
    sl_stmt *st = sl_arena_alloc(&A, sizeof *st);
    sl_err_clear(&E);
    cr_assert(eq(int, sl_sql_parse(sql, strlen(sql), &A, st, &E), SL_OK), "%s: %s", sql, E.msg);
    return st;
}

static char *text_of(const sl_tabledef *t)
{
    sl_buf b = SL_BUF_INIT;
    sl_sql_create_text(t, &b);
    cr_assert(not(b.oom));
    char *s = sl_arena_memdup(&A, b.p, b.len + 1);
    sl_buf_free(&b);
    return s;
}

/* Apply alter to def; returns the new definition or NULL with E set. */
static sl_tabledef *alter(const sl_tabledef *def, const char *sql, long **src)
{
    sl_stmt *st = parse(sql);
    sl_tabledef *out = NULL;
    sl_slice rename;
    long *s = NULL;
    cr_assert(eq(int, st->kind, SL_STMT_ALTER_TABLE));
    sl_err_clear(&E);
    if (sl_sql_alter_apply(def, &st->alter, &A, &out, &s, &rename, &E) != SL_OK)
        return NULL;
    if (src)
        *src = s;
    return out;
}

static const char base[] =
    "CREATE TABLE t (k INT NOT NULL COMMENT 'id', d DATE, v VARCHAR(10) DEFAULT 'a\\'b', "
    "n BIGINT) DUPLICATE KEY(k) PARTITION BY RANGE(d) (PARTITION p1 VALUES LESS THAN "
    "('2024-01-01'), PARTITION p2 VALUES LESS THAN ('2025-01-01')) DISTRIBUTED BY HASH(k) "
    "BUCKETS 3 PROPERTIES ('replication_num' = '1')";

Test(ddl, create_text_reads_back_equal)
{
    sl_tabledef *t = parse(base)->table;
    char *text = text_of(t);
    cr_expect(strstr(text, "CREATE TABLE `t` (\n  `k` int NOT NULL,\n") != NULL, "%s", text);
    cr_expect(strstr(text, "`v` varchar(10) NULL DEFAULT \"a'b\"") != NULL, "%s", text);
    cr_expect(strstr(text, ") ENGINE=OLAP\nDUPLICATE KEY(`k`)\nPARTITION BY RANGE(`d`)") != NULL);
    cr_expect(strstr(text, "DISTRIBUTED BY HASH(`k`) BUCKETS 3") != NULL);
    sl_tabledef *again = parse(text)->table;
    cr_expect(eq(str, text_of(again), text)); /* a fixed point */
    cr_assert(eq(sz, again->n_parts, 2));
    cr_expect(eq(int, again->cols[2].default_kind, SL_DEFAULT_VALUE));
}

Test(ddl, alter_columns_and_their_sources)
{
    sl_tabledef *t = parse(base)->table;
    long *src;
    sl_tabledef *u = alter(t, "ALTER TABLE t ADD COLUMN z INT DEFAULT '7' AFTER k, DROP COLUMN v, "
                              "MODIFY COLUMN n BIGINT NULL FIRST, RENAME COLUMN d day", &src);
    cr_assert(u != NULL, "%s", E.msg);
    cr_assert(eq(sz, u->n_cols, 4));
    const char *names[] = {"n", "k", "z", "day"};
    long want[] = {3, 0, -1, 1};
    for (size_t i = 0; i < 4; i++) {
        cr_expect(sl_slice_eq(u->cols[i].name, names[i]), "column %zu", i);
        cr_expect(eq(long, src[i], want[i]), "column %zu", i);
    }
    cr_expect(eq(sz, u->part_cols[0], 3)); /* the partition column followed its column */
    cr_expect(eq(sz, u->dist_cols[0], 1));
}

Test(ddl, alter_errors)
{
    sl_tabledef *t = parse(base)->table;
    static const struct {
        const char *sql, *msg;
    } cases[] = {
        {"ALTER TABLE t ADD COLUMN k INT", "Can not add column which already exists"},
        {"ALTER TABLE t DROP COLUMN x", "Column does not exists: x"},
        {"ALTER TABLE t DROP COLUMN d", "Partition column[d] cannot be dropped"},
        {"ALTER TABLE t DROP COLUMN k", "Distribution column[k] cannot be dropped"},
        {"ALTER TABLE t MODIFY COLUMN n INT", "Can not change bigint to int"},
        {"ALTER TABLE t MODIFY COLUMN v VARCHAR(5)", "Can not change varchar(10) to varchar(5)"},
        {"ALTER TABLE t MODIFY COLUMN k BIGINT NOT NULL", "Can not modify distribution column[k]"},
        {"ALTER TABLE t ADD COLUMN w INT NOT NULL", "NOT NULL and has no default value"},
        {"ALTER TABLE t ADD COLUMN w INT SUM", "Can not assign aggregation method"},
        {"ALTER TABLE t RENAME COLUMN v n", "Column name[n] is already used"},
        {"ALTER TABLE t DROP PARTITION p9", "Error in list of partitions to p9"},
        {"ALTER TABLE t ADD PARTITION p0 VALUES LESS THAN ('2023-06-01')", "is intersected"},
        {"ALTER TABLE t ADD PARTITION p1 VALUES LESS THAN ('2026-01-01')",
         "Duplicate partition name p1"},
    };
    for (size_t i = 0; i < SL_COUNT(cases); i++) {
        cr_expect(alter(t, cases[i].sql, NULL) == NULL, "%s", cases[i].sql);
        cr_expect(strstr(E.msg, cases[i].msg) != NULL, "%s: '%s' lacks '%s'", cases[i].sql,
                  E.msg, cases[i].msg);
    }
}

Test(ddl, partitions_added_dropped_renamed)
{
    sl_tabledef *t = parse(base)->table;
    sl_tabledef *u = alter(t, "ALTER TABLE t ADD PARTITION p3 VALUES LESS THAN ('2026-01-01'), "
                              "DROP PARTITION p1, RENAME PARTITION p2 mid, "
                              "SET ('dynamic_partition.enable' = 'false')", NULL);
    cr_assert(u != NULL, "%s", E.msg);
    char *text = text_of(u);
    /* p2 keeps its lower edge once p1 is gone; p3 starts where p2 ends */
    cr_expect(strstr(text, "PARTITION `mid` VALUES [(\"2024-01-01\"), (\"2025-01-01\"))") != NULL,
              "%s", text);
    cr_expect(strstr(text, "PARTITION `p3` VALUES [(\"2025-01-01\"), (\"2026-01-01\"))") != NULL,
              "%s", text);
    cr_expect(strstr(text, "\"dynamic_partition.enable\" = \"false\"") != NULL, "%s", text);
    cr_expect(alter(t, "ALTER TABLE t DROP PARTITION IF EXISTS nope", NULL) != NULL, "%s", E.msg);
    /* a fixed range [(lower), (upper)) is one operation: its comma does not end it */
    u = alter(t, "ALTER TABLE t ADD PARTITION p4 VALUES [('2025-01-01'), ('2025-07-01')), "
                 "DROP PARTITION p1", NULL);
    cr_assert(u != NULL, "%s", E.msg);
    text = text_of(u);
    cr_expect(strstr(text, "PARTITION `p4` VALUES [(\"2025-01-01\"), (\"2025-07-01\"))") != NULL,
              "%s", text);
    cr_expect(strstr(text, "`p1`") == NULL, "%s", text);
}

Test(ddl, accepted_without_effect_and_refused)
{
    sl_tabledef *t = parse(base)->table;
    cr_expect(alter(t, "ALTER TABLE t ADD ROLLUP r1 (k, n), DROP ROLLUP r2, MODIFY COMMENT 'x', "
                       "ADD INDEX i (v) USING INVERTED, MODIFY COLUMN v COMMENT 'y'", NULL) != NULL,
              "%s", E.msg);
    sl_stmt st;
    const char *bad = "ALTER TABLE t ADD TEMPORARY PARTITION tp VALUES LESS THAN ('2030-01-01')";
    cr_expect(eq(int, sl_sql_parse(bad, strlen(bad), &A, &st, &E), SL_INVALID_SQL));
    cr_expect(strstr(E.msg, "temporary partitions are not supported") != NULL, "%s", E.msg);
}

Test(ddl, like_and_as_select)
{
    sl_stmt *st = parse("CREATE TABLE IF NOT EXISTS db.t2 LIKE db.t");
    cr_expect(eq(int, st->kind, SL_STMT_CREATE_TABLE_LIKE));
    cr_expect(sl_slice_eq(st->name, "t2") && sl_slice_eq(st->like_name, "t") &&
              sl_slice_eq(st->like_db, "db") && st->if_not_exists);
    st = parse("CREATE TABLE c (a, b) DUPLICATE KEY(a) DISTRIBUTED BY HASH(a) BUCKETS 1 "
               "AS SELECT k, upper(v) FROM t WHERE k > 1");
    cr_expect(eq(int, st->kind, SL_STMT_CREATE_TABLE_AS));
    cr_expect(sl_slice_eq(st->name, "c") && st->ctas.n_cols == 2);
    cr_expect(sl_slice_eq(st->ctas.clauses, "DUPLICATE KEY(a) DISTRIBUTED BY HASH(a) BUCKETS 1 "),
              "'%.*s'", (int)st->ctas.clauses.n, st->ctas.clauses.p);
    cr_expect(sl_slice_eq(st->select.table, "t") && st->select.n_items == 2);
    st = parse("CREATE TABLE c AS (SELECT 1)");
    cr_expect(eq(int, st->kind, SL_STMT_CREATE_TABLE_AS));
}

Test(ddl, batch_and_auto_partitions)
{
    sl_tabledef *t = parse("CREATE TABLE t (k INT, d DATE) PARTITION BY RANGE(d) (FROM "
                           "('2024-01-01') TO ('2024-04-01') INTERVAL 1 MONTH, PARTITION px VALUES "
                           "[('2024-04-01'), ('2024-05-01'))) DISTRIBUTED BY HASH(k) BUCKETS 1")
                         ->table;
    cr_assert(eq(sz, t->n_parts, 4));
    cr_expect(sl_slice_eq(t->parts[0].name, "p_202401") && sl_slice_eq(t->parts[2].name, "p_202403"));
    cr_expect(sl_slice_eq(t->parts[1].lower[0], "2024-02-01") &&
              sl_slice_eq(t->parts[1].upper[0], "2024-03-01"));
    t = parse("CREATE TABLE t (k INT) PARTITION BY RANGE(k) (FROM (0) TO (25) INTERVAL 10) "
              "DISTRIBUTED BY HASH(k) BUCKETS 1")->table;
    cr_assert(eq(sz, t->n_parts, 3));
    cr_expect(sl_slice_eq(t->parts[2].name, "p_20") && sl_slice_eq(t->parts[2].upper[0], "25"));
    t = parse("CREATE TABLE t (k INT, d DATETIME NOT NULL) AUTO PARTITION BY RANGE "
              "(date_trunc(`d`, 'month')) () DISTRIBUTED BY HASH(k) BUCKETS 1")->table;
    cr_expect(eq(int, t->part_kind, SL_PART_NONE));
    t = parse("CREATE TABLE t (k INT, c VARCHAR(8) NOT NULL) AUTO PARTITION BY LIST (c) () "
              "DISTRIBUTED BY HASH(k) BUCKETS 1")->table;
    cr_expect(eq(int, t->part_kind, SL_PART_NONE));
    sl_stmt st;
    const char *bad = "CREATE TABLE t (k INT, d DATE) PARTITION BY RANGE(d) (FROM ('2010-01-01') "
                      "TO ('2030-01-01') INTERVAL 1 DAY) DISTRIBUTED BY HASH(k) BUCKETS 1";
    cr_expect(eq(int, sl_sql_parse(bad, strlen(bad), &A, &st, &E), SL_INVALID_SQL));
    cr_expect(strstr(E.msg, "Too many partitions") != NULL, "%s", E.msg);
    /* not dates, bounds the wrong way round, a month that does not exist, an integer range
     * that runs backwards: clear errors rather than partitions read from garbage */
    const char *worse[] = {
        "CREATE TABLE t (k INT, d DATE) PARTITION BY RANGE(d) (FROM ('2024-13-01') TO "
        "('2025-01-01') INTERVAL 1 MONTH) DISTRIBUTED BY HASH(k) BUCKETS 1",
        "CREATE TABLE t (k INT, d DATE) PARTITION BY RANGE(d) (FROM ('2025-01-01') TO "
        "('2024-01-01') INTERVAL 1 MONTH) DISTRIBUTED BY HASH(k) BUCKETS 1",
        "CREATE TABLE t (k INT, d DATE) PARTITION BY RANGE(d) (FROM ('2024-02-30') TO "
        "('2024-04-01') INTERVAL 1 DAY) DISTRIBUTED BY HASH(k) BUCKETS 1",
        "CREATE TABLE t (k INT, d DATE) PARTITION BY RANGE(d) (FROM ('2024-01-01') TO "
        "('2024-04-01') INTERVAL 1) DISTRIBUTED BY HASH(k) BUCKETS 1",
        "CREATE TABLE t (k INT) PARTITION BY RANGE(k) (FROM (10) TO (0) INTERVAL 5) "
        "DISTRIBUTED BY HASH(k) BUCKETS 1",
        "CREATE TABLE t (k INT) PARTITION BY RANGE(k) (FROM ('x') TO (10) INTERVAL 5) "
        "DISTRIBUTED BY HASH(k) BUCKETS 1",
    };
    for (size_t i = 0; i < sizeof worse / sizeof *worse; i++) {
        sl_err_clear(&E);
        cr_expect(eq(int, sl_sql_parse(worse[i], strlen(worse[i]), &A, &st, &E), SL_INVALID_SQL),
                  "%s", worse[i]);
        cr_expect(strstr(E.msg, "batch partitions") != NULL, "%s", E.msg);
    }
}

Test(ddl, batch_partitions_by_week_day_and_year)
{
    /* a day past the end of its month is clamped to that end; the last partition stops at TO */
    sl_tabledef *t = parse("CREATE TABLE t (k INT, d DATE) PARTITION BY RANGE(d) (FROM "
                           "('2024-01-31') TO ('2024-04-15') INTERVAL 1 MONTH) "
                           "DISTRIBUTED BY HASH(k) BUCKETS 1")
                         ->table;
    cr_assert(eq(sz, t->n_parts, 3));
    cr_expect(sl_slice_eq(t->parts[0].upper[0], "2024-02-29"), "%.*s",
              (int)t->parts[0].upper[0].n, t->parts[0].upper[0].p);
    cr_expect(sl_slice_eq(t->parts[2].upper[0], "2024-04-15"));
    t = parse("CREATE TABLE t (k INT, d DATETIME) PARTITION BY RANGE(d) (FROM ('2024-12-30') TO "
              "('2025-01-14') INTERVAL 1 WEEK) DISTRIBUTED BY HASH(k) BUCKETS 1")
            ->table;
    cr_assert(eq(sz, t->n_parts, 3));
    cr_expect(sl_slice_eq(t->parts[1].lower[0], "2025-01-06") &&
              sl_slice_eq(t->parts[1].name, "p_2025_01"));
    cr_expect(sl_slice_eq(t->parts[2].upper[0], "2025-01-14"));
    t = parse("CREATE TABLE t (k INT, d DATE) PARTITION BY RANGE(d) (FROM ('2024-02-28') TO "
              "('2024-03-02') INTERVAL 1 DAY) DISTRIBUTED BY HASH(k) BUCKETS 1")
            ->table;
    cr_assert(eq(sz, t->n_parts, 3));
    cr_expect(sl_slice_eq(t->parts[1].name, "p_20240229") &&
              sl_slice_eq(t->parts[2].lower[0], "2024-03-01"));
    t = parse("CREATE TABLE t (k INT, d DATE) PARTITION BY RANGE(d) (FROM ('2020-01-01') TO "
              "('2023-01-01') INTERVAL 2 YEAR) DISTRIBUTED BY HASH(k) BUCKETS 1")
            ->table;
    cr_assert(eq(sz, t->n_parts, 2));
    cr_expect(sl_slice_eq(t->parts[1].name, "p_2022") &&
              sl_slice_eq(t->parts[1].upper[0], "2023-01-01"));
}
