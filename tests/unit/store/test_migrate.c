/* Unit tests of src/store/sqlite/migrate.c (and the format upgrade in engine.c): a data
 * directory written by sluice before the ledger and value encoding v2 - the old catalog, a
 * segment with dates as text, DECIMAL as REAL and TEXT, LARGEINT as INTEGER and TEXT, an
 * old users.db - opens with every value exact, and a second open changes nothing.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "batch/convert.h"
#include "sql/sql.h"
#include "store/store.h"

static char dir[256];

static void sh(const char *path, const char *sql)
{
    sqlite3 *db;
    cr_assert(eq(int, sqlite3_open(path, &db), SQLITE_OK));
    char *msg = NULL;
    cr_assert(eq(int, sqlite3_exec(db, sql, NULL, NULL, &msg), SQLITE_OK), "%s", msg);
    sqlite3_close(db);
}

/* The layout sluice wrote before the ledger (format 0, encoding v1). */
static void old_data_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/sl-migrate-XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
    char path[512];
    snprintf(path, sizeof path, "%s/catalog.db", dir);
    sh(path,
       "CREATE TABLE dbs(name TEXT PRIMARY KEY, created_ms INTEGER);"
       "CREATE TABLE tables(id INTEGER PRIMARY KEY, db TEXT NOT NULL, name TEXT NOT NULL, ddl "
       "TEXT NOT NULL, created_ms INTEGER, UNIQUE(db, name));"
       "CREATE TABLE txns(id INTEGER PRIMARY KEY, db TEXT NOT NULL, label TEXT NOT NULL, "
       "table_id INTEGER, state INTEGER NOT NULL, created_ms INTEGER, timeout_s INTEGER, "
       "finished_ms INTEGER, reason TEXT);"
       "CREATE TABLE segments(id INTEGER PRIMARY KEY, table_id INTEGER NOT NULL, txn_id INTEGER, "
       "file TEXT NOT NULL, rows INTEGER, visible INTEGER NOT NULL DEFAULT 1, version INTEGER "
       "NOT NULL DEFAULT 0, partial INTEGER NOT NULL DEFAULT 0);"
       "CREATE TABLE loads(id INTEGER PRIMARY KEY, label TEXT, db TEXT, tbl TEXT, client_ip "
       "TEXT, status TEXT, message TEXT, url TEXT, total INTEGER, loaded INTEGER, filtered "
       "INTEGER, unselected INTEGER, bytes INTEGER, start_ms INTEGER, finish_ms INTEGER, usr "
       "TEXT, comment TEXT, txn_id INTEGER);"
       "INSERT INTO dbs VALUES('db', 1);"
       "INSERT INTO tables VALUES(1, 'db', 't', 'CREATE TABLE t (k INT, d DATE, dt DATETIME(3), "
       "p DECIMAL(10,2), l LARGEINT, w DECIMAL(20,4)) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) "
       "BUCKETS 1', 1);"
       "INSERT INTO txns VALUES(5, 'db', 'old-label', 1, 4, 1, 3600, 2, NULL);"
       "INSERT INTO segments VALUES(1, 1, 5, 't5-0.db', 3, 1, 1, 0);");
    snprintf(path, sizeof path, "%s/segments", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/segments/1", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/segments/1/t5-0.db", dir);
    sh(path, "CREATE TABLE t(c0, c1, c2, c3, c4, c5);"
             "INSERT INTO t VALUES(1, '2024-02-29', '2024-02-29 12:34:56.123', 123.45, "
             "'170141183460469231731687303715884105727', '1234567890123456.1234');"
             "INSERT INTO t VALUES(2, '1969-12-31', '1970-01-01 00:00:00', -0.07, 5, "
             "'-0.0001');"
             "INSERT INTO t VALUES(3, NULL, NULL, 0.1, -9223372036854775807, NULL);");
}

static void teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert(eq(int, system(cmd), 0));
}

typedef struct rows {
    sl_type types[8];
    char text[4][8][64];
    int n;
} rows;

static sl_code meta(void *arg, const sl_qcol *c, size_t n)
{
    rows *r = arg;
    for (size_t i = 0; i < n && i < 8; i++)
        r->types[i] = c[i].type;
    return SL_OK;
}

static sl_code row(void *arg, const sl_qval *v, size_t n)
{
    rows *r = arg;
    for (size_t i = 0; i < n && i < 8 && r->n < 4; i++) {
        char *o = r->text[r->n][i];
        const sl_type *t = &r->types[i];
        if (v[i].null)
            snprintf(o, 64, "NULL");
        else if (t->id == SL_DATE)
            sl_format_date(v[i].v.i, o);
        else if (t->id == SL_DATETIME)
            sl_format_datetime(v[i].v.i, t->precision, o);
        else if (t->id == SL_DECIMAL)
            sl_format_decimal(v[i].v.w, t->scale, o);
        else if (t->id == SL_LARGEINT)
            sl_format_i128(v[i].v.w, o);
        else
            snprintf(o, 64, "%lld", (long long)v[i].v.i);
    }
    r->n++;
    return SL_OK;
}

static rows query(sl_store *st, const char *sql)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_stmt stmt;
    sl_err e = {0};
    cr_assert(eq(int, sl_sql_parse(sql, strlen(sql), &a, &stmt, &e), SL_OK), "%s", e.msg);
    rows r;
    memset(&r, 0, sizeof r);
    sl_query_sink sink = {meta, row, &r};
    cr_assert(eq(int, sl_store_query(st, SL_LIT("db"), &stmt.select, NULL, &sink, &e), SL_OK),
              "%s", e.msg);
    sl_arena_free(&a);
    return r;
}

static sl_store *open_store(void)
{
    sl_err e = {0};
    sl_store *st;
    sl_store_opts o = {.data_dir = dir};
    cr_assert(eq(int, sl_store_global_init(&e), SL_OK));
    cr_assert(eq(int, sl_store_open(&o, &st, &e), SL_OK), "%s", e.msg);
    return st;
}

Test(migrate, old_segments_read_exactly, .init = old_data_dir, .fini = teardown)
{
    for (int round = 0; round < 2; round++) { /* the second open finds them converted */
        sl_store *st = open_store();
        rows r = query(st, "SELECT k, d, dt, p, l, w FROM t ORDER BY k");
        cr_assert(eq(int, r.n, 3));
        cr_assert(eq(str, r.text[0][1], "2024-02-29"));
        cr_assert(eq(str, r.text[0][2], "2024-02-29 12:34:56.123"));
        cr_assert(eq(str, r.text[0][3], "123.45"));
        cr_assert(eq(str, r.text[0][4], "170141183460469231731687303715884105727"));
        cr_assert(eq(str, r.text[0][5], "1234567890123456.1234"));
        cr_assert(eq(str, r.text[1][1], "1969-12-31"));
        cr_assert(eq(str, r.text[1][3], "-0.07"));
        cr_assert(eq(str, r.text[1][4], "5"));
        cr_assert(eq(str, r.text[1][5], "-0.0001"));
        cr_assert(eq(str, r.text[2][1], "NULL"));
        cr_assert(eq(str, r.text[2][4], "-9223372036854775807"));
        rows s = query(st, "SELECT sum(p), min(d) FROM t");
        cr_assert(eq(str, s.text[0][0], "123.48"));
        cr_assert(eq(str, s.text[0][1], "1969-12-31"));
        sl_label_info li;
        sl_err e = {0};
        cr_assert(eq(int, sl_store_label_state(st, SL_LIT("db"), SL_LIT("old-label"), &li, &e),
                     SL_OK));
        cr_assert(eq(int, li.state, SL_TXN_VISIBLE));
        sl_store_close(st);
    }
}

Test(migrate, a_value_that_does_not_convert_is_named, .init = old_data_dir, .fini = teardown)
{
    char path[512];
    snprintf(path, sizeof path, "%s/segments/1/t5-0.db", dir);
    sh(path, "INSERT INTO t VALUES(4, 'not a date', NULL, NULL, NULL, NULL)");
    sl_err e = {0};
    sl_store *st;
    sl_store_opts o = {.data_dir = dir};
    cr_assert(eq(int, sl_store_open(&o, &st, &e), SL_BACKEND));
    cr_assert(strstr(e.msg, "t5-0.db") != NULL, "%s", e.msg);
    cr_assert(strstr(e.msg, "column c1: the stored value 'not a date' is not a date") != NULL,
              "%s", e.msg);
}
