/* Unit tests of the PostgreSQL engine (src/store/postgres/) against a real PostgreSQL started
 * by tests/pg/pg.sh (once for the whole binary; each test gets a fresh database): URLs and
 * masking, exec and its error mapping, DDL type mapping, binary COPY of every type, writers
 * (commit, abort, 2PC), every key model's merge, queries, reconnects and lost connections.
 * Skipped, with the reason, only when PostgreSQL cannot be started.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core/platform.h"

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch/convert.h"
#include "sql/sql.h"
#include "store/postgres/internal.h"
#include "store/store.h"

extern const sl_engine_vtab sl_engine_postgres;
static const sl_engine_vtab *V = &sl_engine_postgres;

/* ---- one server for the binary ------------------------------------------------------------ */

/* Start a server with pg.sh into a new temporary dir; its URL in url. */
static bool pg_start(char *dir, size_t dcap, char *url, size_t ucap)
{
    snprintf(dir, dcap, "/tmp/sl-pgunit-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return false;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "sh tests/pg/pg.sh start %s 2>&1", dir);
    FILE *f = popen(cmd, "r");
    if (f == NULL)
        return false;
    url[0] = '\0';
    char line[512];
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "postgres://", 11) == 0)
            snprintf(url, ucap, "%.*s", (int)strcspn(line, "\n"), line);
    return pclose(f) == 0 && url[0];
}

static void pg_stop(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "sh tests/pg/pg.sh stop %s >/dev/null 2>&1; rm -rf %s", dir, dir);
    if (system(cmd) != 0)
        fprintf(stderr, "test_postgres: could not stop %s\n", dir);
}

static char server_dir[256];

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    if (getenv("SLUICE_TEST_PG_URL"))
        return;
    char url[512];
    if (pg_start(server_dir, sizeof server_dir, url, sizeof url)) {
        setenv("SLUICE_TEST_PG_URL", url, 1);
    } else {
        setenv("SLUICE_TEST_PG_SKIP", "PostgreSQL could not be started by tests/pg/pg.sh", 1);
        server_dir[0] = '\0';
    }
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    (void)stats;
    if (server_dir[0])
        pg_stop(server_dir);
}

/* ---- per test: a database, an engine, a raw connection for checks ------------------------- */

static char dbname[64], url[600];
static sl_engine *eng;
static PGconn *raw;
static sl_arena_t A;

static PGconn *admin(void)
{
    PGconn *c = PQconnectdb(getenv("SLUICE_TEST_PG_URL"));
    cr_assert(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
    return c;
}

static void sqlx(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType s = PQresultStatus(r);
    cr_assert(s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK, "%s: %s", sql,
              PQresultErrorMessage(r));
    PQclear(r);
}

static void open_engine(void)
{
    sl_err e = {0};
    sl_store_opts o = {.url = url, .pool_size = 4};
    cr_assert(eq(int, V->open(&o, &eng, &e), SL_OK), "%s", e.msg);
}

static void setup(void)
{
    const char *skip = getenv("SLUICE_TEST_PG_SKIP");
    if (skip)
        cr_skip_test("%s", skip);
    static int seq;
    snprintf(dbname, sizeof dbname, "t_%d_%d", (int)getpid(), ++seq);
    PGconn *c = admin();
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", dbname);
    sqlx(c, sql);
    PQfinish(c);
    const char *a = getenv("SLUICE_TEST_PG_URL");
    snprintf(url, sizeof url, "%.*s/%s", (int)(strrchr(a, '/') - a), a, dbname);
    open_engine();
    raw = PQconnectdb(url);
    cr_assert(PQstatus(raw) == CONNECTION_OK);
    sl_arena_init(&A, 0);
}

static void teardown(void)
{
    if (getenv("SLUICE_TEST_PG_SKIP"))
        return;
    V->close(eng);
    eng = NULL;
    PQfinish(raw);
    sl_arena_free(&A);
    PGconn *c = admin();
    char sql[128];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
    sqlx(c, sql);
    PQfinish(c);
}

/* The first cell of sql on the raw connection as text ("NULL" for NULL, "" for no row). */
static char *q1(const char *sql)
{
    static char out[4096];
    PGresult *r = PQexec(raw, sql);
    cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql, PQresultErrorMessage(r));
    if (PQntuples(r) == 0)
        out[0] = '\0';
    else
        snprintf(out, sizeof out, "%s", PQgetisnull(r, 0, 0) ? "NULL" : PQgetvalue(r, 0, 0));
    PQclear(r);
    return out;
}

/* All rows of sql, cells joined by ',' and rows by ';' (NULL as \N). */
static char *qall(const char *sql)
{
    static char out[8192];
    PGresult *r = PQexec(raw, sql);
    cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql, PQresultErrorMessage(r));
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < PQntuples(r); i++)
        for (int k = 0; k < PQnfields(r); k++)
            n += (size_t)snprintf(out + n, sizeof out - n, "%s%s", k ? "," : (i ? ";" : ""),
                                  PQgetisnull(r, i, k) ? "\\N" : PQgetvalue(r, i, k));
    PQclear(r);
    return out;
}

/* A catalog transaction on an engine connection. */
static sl_econn *begin_cat(void)
{
    sl_econn *c;
    sl_err e = {0};
    cr_assert(eq(int, V->conn_get(eng, &c, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(int, V->xbegin(c, &e), SL_OK), "%s", e.msg);
    return c;
}

static void commit_cat(sl_econn *c)
{
    sl_err e = {0};
    cr_assert(eq(int, V->xcommit(c, &e), SL_OK), "%s", e.msg);
    V->conn_put(c);
}

/* Parse a Doris CREATE TABLE. */
static sl_tabledef *tdef(const char *ddl)
{
    sl_stmt st;
    sl_err e = {0};
    cr_assert(eq(int, sl_sql_parse(ddl, strlen(ddl), &A, &st, &e), SL_OK), "%s", e.msg);
    return st.table;
}

/* Create database db (once) and the table of ddl in it; the table as the engine sees it. */
static sl_etable mktable(const char *db, const char *ddl)
{
    sl_etable t = {sl_slice_of(db), SL_SLICE_NULL, 1, tdef(ddl)};
    t.name = t.def->name;
    sl_econn *c = begin_cat();
    sl_err e = {0};
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT 1 FROM pg_namespace WHERE nspname = '%s'", db);
    if (strcmp(q1(sql), "1") != 0)
        cr_assert(eq(int, V->create_db(c, t.db, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(int, V->create_table(c, &t, &e), SL_OK), "%s", e.msg);
    commit_cat(c);
    return t;
}

/* ---- batches from text ---------------------------------------------------------------------- */

static sl_batch B;

static void batch_for(const sl_etable *t)
{
    sl_batch_free(&B);
    cr_assert(eq(int, sl_batch_init(&B, t->def), SL_OK));
}

/* Append one row; vals[c] NULL is SQL NULL; del marks a delete-sign row. */
static void row(const char *const *vals, bool del)
{
    static const sl_conv_ctx ctx = {0};
    size_t r = B.n_rows;
    for (size_t c = 0; c < B.n_cols; c++) {
        B.cols[c].null[r] = vals[c] == NULL;
        if (vals[c])
            cr_assert(eq(int, sl_convert(&B.cols[c].def->type, sl_slice_of(vals[c]),
                                         &B.cols[c].v[r], &ctx),
                         SL_CONV_OK),
                      "column %zu value %s", c, vals[c]);
    }
    B.del[r] = del;
    B.has_del |= del;
    B.n_rows++;
}
#define ROW(...) row((const char *const[]){__VA_ARGS__}, false)
#define DEL(...) row((const char *const[]){__VA_ARGS__}, true)

/* Load the batch B as one load into t with options; commit (or not). Clears B. */
static sl_code load_b(const sl_etable *t, int64_t txn, long seq, bool replace, bool partial,
                      bool commit, sl_err *e)
{
    sl_wopts o = {*t, txn, seq, replace, partial, false};
    sl_ewriter *w;
    sl_code rc = V->w_open(eng, &o, &w, e);
    if (rc != SL_OK)
        return rc;
    if ((rc = V->w_append(w, &B, e)) == SL_OK && commit) {
        sl_econn *c;
        if ((rc = V->w_publish(w, false, &c, e)) == SL_OK)
            rc = V->xcommit(c, e);
    }
    V->w_close(w, commit && rc == SL_OK);
    sl_batch_clear(&B);
    B.has_del = false;
    return rc;
}

static void load_ok(const sl_etable *t, long seq)
{
    static int64_t txn = 1000;
    sl_err e = {0};
    cr_assert(eq(int, load_b(t, ++txn, seq, false, false, true, &e), SL_OK), "%s", e.msg);
}

/* ---- URLs ------------------------------------------------------------------------------------ */

Test(pg_url, accepts)
{
    cr_assert(V->accepts("postgres://u@h:5432/db"));
    cr_assert(V->accepts("postgresql://u@h/db"));
    cr_assert(V->accepts("host=127.0.0.1 port=5432 dbname=x"));
    cr_assert(not(V->accepts("sqlite")));
    cr_assert(not(V->accepts("mysql://u@h/db")));
}

Test(pg_url, bad_url_and_unreachable_never_show_the_password)
{
    sl_err e = {0};
    sl_engine *x = NULL;
    static const char *const bad[] = {"postgres://u:s3cretpw@127.0.0.1:notaport/db",
                                      "postgres://u:s3cretpw@127.0.0.1/db?nosuch=1",
                                      "postgres://u:s3cretpw@[::1/db"};
    sl_store_opts o = {.pool_size = 2};
    for (size_t i = 0; i < SL_COUNT(bad); i++) {
        sl_err_clear(&e);
        o.url = bad[i];
        cr_assert(eq(int, V->open(&o, &x, &e), SL_INVALID), "%s", bad[i]);
        cr_assert(strstr(e.msg, "s3cretpw") == NULL, "%s", e.msg);
        cr_assert(strstr(e.msg, "bad store URL") != NULL, "%s", e.msg);
    }
    /* a port nobody listens on (1 is privileged and unused) */
    sl_err_clear(&e);
    o.url = "postgres://u:s3cretpw@127.0.0.1:1/db?connect_timeout=2";
    cr_assert(eq(int, V->open(&o, &x, &e), SL_BACKEND));
    cr_assert(strstr(e.msg, "store unavailable") != NULL, "%s", e.msg);
    cr_assert(strstr(e.msg, "s3cretpw") == NULL, "%s", e.msg);
    cr_assert(strstr(e.msg, "postgres://u@127.0.0.1:1/db") != NULL, "%s", e.msg);
    cr_assert(strpbrk(e.msg, "\t\n") == NULL, "one line: %s", e.msg); /* libpq's hints dropped */
}

Test(pg_url, mask_replaces_every_occurrence)
{
    sl_engine e = {0};
    e.password = (char *)"pw1";
    char msg[64] = "a pw1 b pw1pw1 c";
    sl__pg_mask(&e, msg);
    cr_assert(eq(str, msg, "a *** b ****** c"));
}

/* ---- exec ------------------------------------------------------------------------------------ */

typedef struct got {
    int rows;
    sl_cell c[8];
    char text[8][64];
    size_t n;
} got;

static sl_code got_fn(void *arg, const sl_cell *row, size_t n)
{
    got *g = arg;
    g->rows++;
    g->n = n;
    for (size_t i = 0; i < n && i < 8; i++) {
        g->c[i] = row[i];
        snprintf(g->text[i], sizeof g->text[i], "%.*s", (int)row[i].s.n,
                 row[i].s.p ? row[i].s.p : "");
        g->c[i].s.p = NULL;
    }
    return SL_OK;
}

Test(pg_exec, params_cells_and_changes, .init = setup, .fini = teardown)
{
    sl_econn *c;
    sl_err e = {0};
    cr_assert(eq(int, V->conn_get(eng, &c, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(int, V->exec(c, "CREATE TABLE kv(k TEXT PRIMARY KEY, v BIGINT, d DOUBLE "
                                 "PRECISION, n NUMERIC)", NULL, 0, NULL, NULL, NULL, &e), SL_OK),
              "%s", e.msg);
    /* text with a quote, UTF-8, an int beyond 32 bits, a real, a NULL */
    sl_cell p[4] = {sl_cell_text(SL_LIT("it's é")), sl_cell_int(5000000000LL),
                    {SL_CELL_REAL, 0, 0.25, {NULL, 0}}, sl_cell_null()};
    int64_t changes = -1;
    cr_assert(eq(int, V->exec(c, "INSERT INTO kv VALUES($1, $2, $3, $4)", p, 4, NULL, NULL,
                              &changes, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(i64, changes, 1));
    got g = {0};
    cr_assert(eq(int, V->exec(c, "SELECT k, v, d, n, 1.5::numeric, 2::int4, true FROM kv WHERE "
                                 "k = $1", p, 1, got_fn, &g, NULL, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(int, g.rows, 1));
    cr_assert(eq(int, g.c[0].kind, SL_CELL_TEXT));
    cr_assert(eq(str, g.text[0], "it's é"));
    cr_assert(eq(int, g.c[1].kind, SL_CELL_INT));
    cr_assert(eq(i64, g.c[1].i, 5000000000LL));
    cr_assert(eq(int, g.c[2].kind, SL_CELL_REAL));
    cr_assert(eq(dbl, g.c[2].d, 0.25));
    cr_assert(eq(int, g.c[3].kind, SL_CELL_NULL));
    cr_assert(eq(int, g.c[4].kind, SL_CELL_TEXT));
    cr_assert(eq(str, g.text[4], "1.5"));
    /* duplicate key -> SL_CONFLICT; the statement cache survives an error */
    changes = -1;
    cr_assert(eq(int, V->exec(c, "INSERT INTO kv VALUES($1, $2, $3, $4)", p, 4, NULL, NULL,
                              &changes, &e), SL_CONFLICT), "%s", e.msg);
    sl_err_clear(&e);
    cr_assert(eq(int, V->exec(c, "INSERT INTO kv VALUES($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                              p, 4, NULL, NULL, &changes, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(i64, changes, 0));
    cr_assert(eq(int, V->exec(c, "UPDATE kv SET v = v + 1", NULL, 0, NULL, NULL, &changes, &e),
                 SL_OK));
    cr_assert(eq(i64, changes, 1));
    V->conn_put(c);
}

Test(pg_exec, one_buffer_reused_for_two_statements, .init = setup, .fini = teardown)
{
    /* The cache is keyed by the pointer: the same buffer with new text must not run the old
     * prepared statement. */
    sl_econn *c;
    sl_err e = {0};
    cr_assert(eq(int, V->conn_get(eng, &c, &e), SL_OK));
    char sql[64];
    got g = {0};
    snprintf(sql, sizeof sql, "SELECT 1 + $1::int");
    sl_cell p = sl_cell_int(1);
    cr_assert(eq(int, V->exec(c, sql, &p, 1, got_fn, &g, NULL, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(i64, g.c[0].i, 2));
    snprintf(sql, sizeof sql, "SELECT 10 + $1::int");
    cr_assert(eq(int, V->exec(c, sql, &p, 1, got_fn, &g, NULL, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(i64, g.c[0].i, 11));
    V->conn_put(c);
}

Test(pg_exec, text_params_are_made_valid_utf8, .init = setup, .fini = teardown)
{
    sl_econn *c;
    sl_err e = {0};
    cr_assert(eq(int, V->conn_get(eng, &c, &e), SL_OK));
    got g = {0};
    sl_cell p = sl_cell_text((sl_slice){"a\xff" "b\0c", 5}); /* Latin-1 byte, NUL */
    cr_assert(eq(int, V->exec(c, "SELECT $1::text", &p, 1, got_fn, &g, NULL, &e), SL_OK), "%s",
              e.msg);
    cr_assert(eq(str, g.text[0], "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c"));
    V->conn_put(c);
}

Test(pg_exec, failed_statement_rolls_the_transaction_back, .init = setup, .fini = teardown)
{
    sl_econn *c = begin_cat();
    sl_err e = {0};
    cr_assert(eq(int, V->exec(c, "CREATE TABLE a(x BIGINT)", NULL, 0, NULL, NULL, NULL, &e),
                 SL_OK));
    cr_assert(eq(int, V->exec(c, "SELECT nope FROM a", NULL, 0, NULL, NULL, NULL, &e),
                 SL_BACKEND));
    cr_assert(strstr(e.msg, "nope") != NULL, "%s", e.msg);
    sl_err_clear(&e);
    cr_assert(eq(int, V->xcommit(c, &e), SL_BACKEND));
    cr_assert(strstr(e.msg, "rolled back") != NULL, "%s", e.msg);
    V->conn_put(c);
    cr_assert(eq(str, q1("SELECT count(*) FROM pg_class WHERE relname = 'a'"), "0"));
}

Test(pg_exec, catalog_schema_and_lock, .init = setup, .fini = teardown)
{
    cr_assert(eq(str, q1("SELECT count(*) FROM pg_namespace WHERE nspname IN ('sluice', "
                         "'sluice_stage')"), "2"));
    sl_econn *c = begin_cat();
    sl_err e = {0};
    cr_assert(eq(int, V->catalog_lock(c, &e), SL_OK), "%s", e.msg);
    /* the ledger's tables are created unqualified and land in schema sluice */
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE TABLE IF NOT EXISTS meta(k TEXT, id %s)",
             V->id_type);
    cr_assert(eq(int, V->exec(c, sql, NULL, 0, NULL, NULL, NULL, &e), SL_OK), "%s", e.msg);
    commit_cat(c);
    cr_assert(eq(str, q1("SELECT table_schema FROM information_schema.tables WHERE table_name "
                         "= 'meta'"), "sluice"));
    cr_assert(eq(str, q1("SELECT granted FROM pg_locks WHERE locktype = 'advisory'"), ""));
}

/* ---- DDL ------------------------------------------------------------------------------------- */

Test(pg_ddl, type_mapping_read_back, .init = setup, .fini = teardown)
{
    mktable("Sales", "CREATE TABLE `Mixed\"Case` (a TINYINT, b SMALLINT, c INT NOT NULL, "
                     "d BIGINT, e LARGEINT, f FLOAT, g DOUBLE, h DECIMAL(15,2), i DECIMALV3(38,9), "
                     "j DATE, k DATETIME, l DATETIME(3), m BOOLEAN, n CHAR(4), o VARCHAR(20), "
                     "p STRING, q JSON) DUPLICATE KEY(a) DISTRIBUTED BY HASH(a) BUCKETS 3");
    cr_assert(eq(str, qall("SELECT column_name, data_type, coalesce(character_maximum_length, "
                           "numeric_precision, datetime_precision), numeric_scale, is_nullable "
                           "FROM information_schema.columns WHERE table_schema = 'Sales' AND "
                           "table_name = 'Mixed\"Case' ORDER BY ordinal_position"),
                 "a,smallint,16,0,YES;b,smallint,16,0,YES;c,integer,32,0,NO;"
                 "d,bigint,64,0,YES;e,numeric,39,0,YES;f,real,24,\\N,YES;"
                 "g,double precision,53,\\N,YES;h,numeric,15,2,YES;i,numeric,38,9,YES;"
                 "j,date,0,\\N,YES;k,timestamp without time zone,0,\\N,YES;"
                 "l,timestamp without time zone,3,\\N,YES;m,boolean,\\N,\\N,YES;"
                 "n,character varying,4,\\N,YES;o,character varying,20,\\N,YES;"
                 "p,text,\\N,\\N,YES;q,json,\\N,\\N,YES"));
    /* DUPLICATE: no key index */
    cr_assert(eq(str, q1("SELECT count(*) FROM pg_indexes WHERE schemaname = 'Sales'"), "0"));
}

Test(pg_ddl, key_index_per_model, .init = setup, .fini = teardown)
{
    mktable("k", "CREATE TABLE u (id INT NOT NULL, id2 INT NOT NULL, v INT) UNIQUE KEY(id, id2) "
                 "DISTRIBUTED BY HASH(id) BUCKETS 1");
    mktable("k", "CREATE TABLE n (id INT, v INT) UNIQUE KEY(id) DISTRIBUTED BY HASH(id) "
                 "BUCKETS 1");
    mktable("k", "CREATE TABLE ag (id INT NOT NULL, s BIGINT SUM) AGGREGATE KEY(id) "
                 "DISTRIBUTED BY HASH(id) BUCKETS 1");
    cr_assert(eq(str, qall("SELECT tablename, indexdef LIKE '%UNIQUE INDEX%', indexdef LIKE "
                           "'%NULLS NOT DISTINCT%', indexdef LIKE '%(id, id2)%' FROM pg_indexes "
                           "WHERE schemaname = 'k' ORDER BY tablename"),
                 "ag,t,f,f;n,t,t,f;u,t,f,t"));
    cr_assert(eq(str, q1("SELECT count(*) FROM information_schema.table_constraints WHERE "
                         "table_schema = 'k' AND constraint_type = 'PRIMARY KEY'"), "2"));
}

Test(pg_ddl, names_checked_and_dropped, .init = setup, .fini = teardown)
{
    sl_econn *c = begin_cat();
    sl_err e = {0};
    cr_assert(eq(int, V->create_db(c, SL_LIT("sluice"), &e), SL_INVALID));
    cr_assert(strstr(e.msg, "reserved") != NULL, "%s", e.msg);
    sl_err_clear(&e);
    cr_assert(eq(int, V->create_db(c, SL_LIT("pg_x"), &e), SL_INVALID));
    sl_err_clear(&e);
    static const char longname[] = "a123456789b123456789c123456789d123456789e123456789f1234567890";
    cr_assert(eq(int, V->create_db(c, sl_slice_of(longname), &e), SL_OK)); /* 61 bytes: fine */
    sl_err_clear(&e);
    cr_assert(eq(int, V->create_db(c, SL_LIT("x123456789x123456789x123456789x123456789x12345678"
                                             "9x1234567890123"), &e), SL_INVALID));
    commit_cat(c);
    sl_etable t = mktable("d", "CREATE TABLE t (a INT) DISTRIBUTED BY HASH(a) BUCKETS 1");
    c = begin_cat();
    cr_assert(eq(int, V->drop_table(c, &t, true, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(int, V->drop_db(c, SL_LIT("d"), &e), SL_OK), "%s", e.msg);
    commit_cat(c);
    cr_assert(eq(str, q1("SELECT count(*) FROM pg_namespace WHERE nspname = 'd'"), "0"));
}

/* ---- binary COPY of every type --------------------------------------------------------------- */

static const char alltypes[] =
    "CREATE TABLE t (id INT, ti TINYINT, si SMALLINT, i INT, bi BIGINT, li LARGEINT, "
    "f FLOAT, d DOUBLE, dc DECIMAL(15,2), dw DECIMAL(38,9), d0 DECIMAL(10,0), dt DATE, "
    "ts DATETIME, t3 DATETIME(3), t6 DATETIME(6), b BOOLEAN, c CHAR(8), v VARCHAR(20), "
    "s STRING, j JSON) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1";

Test(pg_copy, every_type_and_edge_values, .init = setup, .fini = teardown)
{
    sl_etable t = mktable("db", alltypes);
    batch_for(&t);
    ROW("1", "-128", "-32768", "-2147483648", "-9223372036854775808",
        "-170141183460469231731687303715884105728", "1.5", "-0.1", "-1234567890123.45",
        "-12345678901234567890123456789.123456789", "9999999999", "1969-12-31",
        "1969-12-31 23:59:59", "2000-01-01 00:00:00.001", "1900-02-28 12:34:56.789012", "1",
        "", "", "", "{\"b\":\"é\", \"a\": [1, 2.5, null]}");
    ROW("2", "127", "32767", "2147483647", "9223372036854775807",
        "170141183460469231731687303715884105727", "-3.25", "1e300", "0.01", "0.000000001",
        "0", "0001-01-01", "9999-12-31 23:59:59", "1999-12-31 23:59:59.999",
        "2024-02-29 00:00:00.000001", "0", "héllo", "✓ ünïcödé", "tab\there", "[]");
    ROW("3", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        NULL, NULL, NULL, NULL, NULL);
    ROW("4", "0", "0", "0", "0", "0", "0", "0", "-0.05", "10000.000000001", "-1", "2000-01-01",
        "2000-01-01 00:00:00", "1970-01-01 00:00:00", "1970-01-01 00:00:00", "1", "x", "a",
        "b", "\"str\"");
    load_ok(&t, -1);
    cr_assert(eq(str, qall("SELECT id, ti, si, i, bi, li, f, d, dc, dw, d0 FROM db.t ORDER BY id"),
                 "1,-128,-32768,-2147483648,-9223372036854775808,"
                 "-170141183460469231731687303715884105728,1.5,-0.1,-1234567890123.45,"
                 "-12345678901234567890123456789.123456789,9999999999;"
                 "2,127,32767,2147483647,9223372036854775807,"
                 "170141183460469231731687303715884105727,-3.25,1e+300,0.01,0.000000001,0;"
                 "3,\\N,\\N,\\N,\\N,\\N,\\N,\\N,\\N,\\N,\\N;"
                 "4,0,0,0,0,0,0,0,-0.05,10000.000000001,-1"));
    cr_assert(eq(str, qall("SELECT id, dt, ts, t3, t6, b, c, v, s, j FROM db.t ORDER BY id"),
                 "1,1969-12-31,1969-12-31 23:59:59,2000-01-01 00:00:00.001,"
                 "1900-02-28 12:34:56.789012,t,,,,{\"b\":\"é\", \"a\": [1, 2.5, null]};"
                 "2,0001-01-01,9999-12-31 23:59:59,1999-12-31 23:59:59.999,"
                 "2024-02-29 00:00:00.000001,f,héllo,✓ ünïcödé,tab\there,[];"
                 "3,\\N,\\N,\\N,\\N,\\N,\\N,\\N,\\N,\\N;"
                 "4,2000-01-01,2000-01-01 00:00:00,1970-01-01 00:00:00,1970-01-01 00:00:00,t,x,"
                 "a,b,\"str\""));
    /* empty strings are empty, not NULL */
    cr_assert(eq(str, q1("SELECT count(*) FROM db.t WHERE c = '' AND v = '' AND s = ''"), "1"));
}

Test(pg_copy, numeric_digit_groups)
{
    /* 12345678.9 scale 1: groups 1234 5678 . 9000 -> weight 1, dscale 1 */
    uint8_t b[SL_PG_NUMERIC_MAX];
    size_t n = sl__pg_numeric(b, 123456789, 1);
    static const uint8_t want[] = {0, 3, 0, 1, 0, 0, 0, 1, 0x04, 0xd2, 0x16, 0x2e, 0x23, 0x28};
    cr_assert(eq(sz, n, sizeof want));
    cr_assert(memcmp(b, want, n) == 0);
    /* -0.0005 scale 4: one group 5 at weight -1, negative */
    n = sl__pg_numeric(b, -5, 4);
    static const uint8_t want2[] = {0, 1, 0xff, 0xff, 0x40, 0, 0, 4, 0, 5};
    cr_assert(eq(sz, n, sizeof want2));
    cr_assert(memcmp(b, want2, n) == 0);
    /* zero keeps its scale, no digits, positive */
    n = sl__pg_numeric(b, 0, 3);
    static const uint8_t want3[] = {0, 0, 0, 0, 0, 0, 0, 3};
    cr_assert(eq(sz, n, sizeof want3));
    cr_assert(memcmp(b, want3, n) == 0);
}

Test(pg_copy, invalid_utf8_fails_the_load_naming_the_column, .init = setup, .fini = teardown)
{
    sl_etable t = mktable("db", "CREATE TABLE t (id INT, name VARCHAR(10)) DUPLICATE KEY(id) "
                                "DISTRIBUTED BY HASH(id) BUCKETS 1");
    batch_for(&t);
    ROW("1", "ok");
    ROW("2", "bad\xe9");
    sl_err e = {0};
    cr_assert(eq(int, load_b(&t, 7, -1, false, false, true, &e), SL_INVALID));
    cr_assert(strstr(e.msg, "column name, row 2") != NULL, "%s", e.msg);
    cr_assert(strstr(e.msg, "invalid UTF-8") != NULL, "%s", e.msg);
    cr_assert(eq(str, q1("SELECT count(*) FROM db.t"), "0"));
    cr_assert(eq(sz, sl__pg_utf8_valid("abc\xe2\x82\xac", 6), 6));
    cr_assert(eq(sz, sl__pg_utf8_valid("abcdefgh\0", 9), 8));
    cr_assert(eq(sz, sl__pg_utf8_valid("\xed\xa0\x80", 3), 0)); /* a surrogate */
    cr_assert(eq(sz, sl__pg_utf8_valid("\xc0\xaf", 2), 0));     /* overlong */
}

/* ---- writers --------------------------------------------------------------------------------- */

static const char dup_ddl[] = "CREATE TABLE t (id INT, v VARCHAR(8)) DUPLICATE KEY(id) "
                              "DISTRIBUTED BY HASH(id) BUCKETS 1";

Test(pg_writer, commit_and_abort, .init = setup, .fini = teardown)
{
    sl_etable t = mktable("db", dup_ddl);
    batch_for(&t);
    ROW("1", "a");
    ROW("2", "b");
    sl_err e = {0};
    cr_assert(eq(int, load_b(&t, 1, -1, false, false, false, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(str, q1("SELECT count(*) FROM db.t"), "0")); /* aborted mid-COPY: nothing */
    ROW("3", "c");
    load_ok(&t, -1);
    cr_assert(eq(str, qall("SELECT * FROM db.t"), "3,c"));
    /* publish, then the ledger rolls back: nothing */
    sl_wopts o = {t, 9, -1, false, false, false};
    sl_ewriter *w;
    cr_assert(eq(int, V->w_open(eng, &o, &w, &e), SL_OK));
    ROW("4", "d");
    cr_assert(eq(int, V->w_append(w, &B, &e), SL_OK));
    cr_assert(eq(u64, V->w_rows(w), 1));
    sl_econn *c;
    cr_assert(eq(int, V->w_publish(w, false, &c, &e), SL_OK), "%s", e.msg);
    V->xrollback(c);
    V->w_close(w, false);
    cr_assert(eq(str, qall("SELECT * FROM db.t"), "3,c"));
    /* the writer's connection is reusable afterwards */
    sl_batch_clear(&B);
    ROW("5", "e");
    load_ok(&t, -1);
    cr_assert(eq(str, qall("SELECT * FROM db.t ORDER BY id"), "3,c;5,e"));
}

Test(pg_writer, replace_drops_the_other_rows_atomically, .init = setup, .fini = teardown)
{
    sl_etable t = mktable("db", dup_ddl);
    batch_for(&t);
    ROW("1", "old");
    ROW("2", "old");
    load_ok(&t, -1);
    ROW("3", "new");
    sl_err e = {0};
    cr_assert(eq(int, load_b(&t, 50, -1, true, false, false, &e), SL_OK)); /* aborted replace */
    cr_assert(eq(str, qall("SELECT * FROM db.t ORDER BY id"), "1,old;2,old"));
    ROW("3", "new");
    cr_assert(eq(int, load_b(&t, 51, -1, true, false, true, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(str, qall("SELECT * FROM db.t ORDER BY id"), "3,new"));
}

/* Precommit a load of B into t as transaction txn (2PC first phase). */
static void precommit(const sl_etable *t, int64_t txn, long seq)
{
    sl_wopts o = {*t, txn, seq, false, false, true};
    sl_ewriter *w;
    sl_econn *c;
    sl_err e = {0};
    cr_assert(eq(int, V->w_open(eng, &o, &w, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(int, V->w_append(w, &B, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(int, V->w_publish(w, true, &c, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(int, V->xcommit(c, &e), SL_OK), "%s", e.msg);
    V->w_close(w, true);
    sl_batch_clear(&B);
    B.has_del = false;
}

static bool keep_42(void *arg, int64_t id)
{
    (void)arg;
    return id == 42;
}

Test(pg_writer, two_phase_stage_commit_drop_recover, .init = setup, .fini = teardown)
{
    sl_etable t = mktable("db", dup_ddl);
    batch_for(&t);
    ROW("1", "a");
    precommit(&t, 42, -1);
    ROW("2", "b");
    precommit(&t, 43, -1);
    ROW("3", "c");
    precommit(&t, 44, -1);
    cr_assert(eq(str, q1("SELECT count(*) FROM db.t"), "0")); /* invisible */
    cr_assert(eq(str, qall("SELECT relname, relpersistence FROM pg_class c JOIN pg_namespace n "
                           "ON n.oid = c.relnamespace WHERE nspname = 'sluice_stage' ORDER BY 1"),
                 "t42,p;t43,p;t44,p")); /* ordinary (permanent) tables */
    /* a new engine (a restart of sluice) still finds them */
    V->close(eng);
    open_engine();
    sl_econn *c = begin_cat();
    sl_err e = {0};
    cr_assert(eq(int, V->stage_commit(c, &t, 42, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(int, V->stage_drop(c, &t, 43, &e), SL_OK), "%s", e.msg);
    commit_cat(c);
    cr_assert(eq(str, qall("SELECT * FROM db.t"), "1,a"));
    /* 44 is not precommitted any more (as the ledger says): recovery drops its stage; 42's
     * stage is gone already and committing it again is an error, not a second copy */
    cr_assert(eq(int, V->recover(eng, keep_42, NULL, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(str, q1("SELECT count(*) FROM pg_tables WHERE schemaname = 'sluice_stage'"),
                 "0"));
    c = begin_cat();
    cr_assert(eq(int, V->stage_commit(c, &t, 42, &e), SL_BACKEND));
    cr_assert(strstr(e.msg, "missing") != NULL, "%s", e.msg);
    V->xrollback(c);
    V->conn_put(c);
    cr_assert(eq(str, qall("SELECT * FROM db.t"), "1,a"));
}

Test(pg_writer, aborted_two_phase_load_leaves_no_stage, .init = setup, .fini = teardown)
{
    sl_etable t = mktable("db", dup_ddl);
    batch_for(&t);
    ROW("1", "a");
    sl_wopts o = {t, 77, -1, false, false, true};
    sl_ewriter *w;
    sl_err e = {0};
    cr_assert(eq(int, V->w_open(eng, &o, &w, &e), SL_OK));
    cr_assert(eq(int, V->w_append(w, &B, &e), SL_OK));
    V->w_close(w, false);
    cr_assert(eq(str, q1("SELECT count(*) FROM pg_tables WHERE schemaname = 'sluice_stage'"),
                 "0"));
}

/* ---- key models (the expectations of tests/e2e/test_keys.py) --------------------------------- */

Test(pg_keys, unique_last_write_wins, .init = setup, .fini = teardown)
{
    sl_etable t = mktable("k", "CREATE TABLE u (id INT, v VARCHAR(8), n INT) UNIQUE KEY(id) "
                               "DISTRIBUTED BY HASH(id) BUCKETS 1");
    batch_for(&t);
    ROW("1", "a", "1");
    ROW("2", "b", "2");
    ROW("1", "c", "3"); /* within one load: the later row */
    load_ok(&t, -1);
    ROW("2", "x", "9"); /* across loads: the later load */
    ROW("3", "y", "9");
    load_ok(&t, -1);
    cr_assert(eq(str, qall("SELECT * FROM k.u ORDER BY id"), "1,c,3;2,x,9;3,y,9"));
}

Test(pg_keys, delete_and_merge, .init = setup, .fini = teardown)
{
    sl_etable t = mktable("k", "CREATE TABLE m (id INT, v VARCHAR(8)) UNIQUE KEY(id) "
                               "DISTRIBUTED BY HASH(id) BUCKETS 1");
    batch_for(&t);
    ROW("1", "a");
    ROW("2", "b");
    ROW("3", "c");
    load_ok(&t, -1);
    DEL("3", "zz");
    load_ok(&t, -1);
    DEL("1", "x");
    ROW("4", "w");
    ROW("2", "q");
    load_ok(&t, -1);
    cr_assert(eq(str, qall("SELECT * FROM k.m ORDER BY id"), "2,q;4,w"));
    ROW("1", "back"); /* a deleted key can come back */
    load_ok(&t, -1);
    cr_assert(eq(str, qall("SELECT v FROM k.m WHERE id = 1"), "back"));
    /* within one load the last row decides: insert then delete -> gone; delete then insert */
    ROW("5", "five");
    DEL("5", "");
    DEL("6", "");
    ROW("6", "six");
    load_ok(&t, -1);
    cr_assert(eq(str, qall("SELECT * FROM k.m WHERE id >= 5 ORDER BY id"), "6,six"));
}

Test(pg_keys, sequence_column, .init = setup, .fini = teardown)
{
    sl_etable t = mktable("k", "CREATE TABLE sq (id INT, v VARCHAR(8), ver INT) UNIQUE KEY(id) "
                               "DISTRIBUTED BY HASH(id) BUCKETS 1 PROPERTIES "
                               "(\"function_column.sequence_type\" = \"int\")");
    batch_for(&t);
    ROW("1", "new", "5");
    ROW("2", "b", "1");
    load_ok(&t, 2);
    ROW("1", "old", "3"); /* smaller loses, equal wins */
    ROW("2", "same", "1");
    load_ok(&t, 2);
    cr_assert(eq(str, qall("SELECT id, v FROM k.sq ORDER BY id"), "1,new;2,same"));
    DEL("1", "x", "4"); /* a smaller delete loses */
    load_ok(&t, 2);
    cr_assert(eq(str, q1("SELECT count(*) FROM k.sq"), "2"));
    DEL("1", "x", "9");
    load_ok(&t, 2);
    cr_assert(eq(str, qall("SELECT id FROM k.sq"), "2"));
    /* within a load the largest sequence wins, whatever the order */
    ROW("7", "hi", "8");
    ROW("7", "lo", "2");
    ROW("8", "n1", NULL); /* NULL is the smallest sequence */
    ROW("8", "n2", "1");
    ROW("8", "n3", NULL);
    load_ok(&t, 2);
    cr_assert(eq(str, qall("SELECT id, v FROM k.sq WHERE id >= 7 ORDER BY id"), "7,hi;8,n2"));
}

Test(pg_keys, aggregate, .init = setup, .fini = teardown)
{
    sl_etable t = mktable("k", "CREATE TABLE ag (id INT, s BIGINT SUM, mx INT MAX, mn INT MIN, "
                               "r VARCHAR(5) REPLACE, rn INT REPLACE_IF_NOT_NULL) AGGREGATE "
                               "KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1");
    batch_for(&t);
    ROW("1", "10", "5", "5", "a", NULL);
    ROW("2", "1", "1", "1", "b", "7");
    load_ok(&t, -1);
    ROW("1", "5", "9", "1", "c", "3");
    load_ok(&t, -1);
    ROW("1", "1", "1", "0", "d", NULL);
    load_ok(&t, -1);
    cr_assert(eq(str, qall("SELECT * FROM k.ag ORDER BY id"), "1,16,9,0,d,3;2,1,1,1,b,7"));
    /* several rows of one key in one load, NULLs skipped by SUM/MAX/MIN */
    ROW("3", "1", "4", NULL, "x", "1");
    ROW("3", NULL, "2", "8", "y", NULL);
    ROW("3", "2", NULL, "6", "z", NULL);
    load_ok(&t, -1);
    cr_assert(eq(str, qall("SELECT * FROM k.ag WHERE id = 3"), "3,3,4,6,z,1"));
}

Test(pg_keys, nullable_keys_merge_as_one_key, .init = setup, .fini = teardown)
{
    sl_etable t = mktable("k", "CREATE TABLE nk (a INT, b INT, v INT) UNIQUE KEY(a, b) "
                               "DISTRIBUTED BY HASH(a) BUCKETS 1");
    batch_for(&t);
    ROW(NULL, "1", "1");
    ROW(NULL, NULL, "2");
    load_ok(&t, -1);
    ROW(NULL, "1", "10");
    ROW(NULL, NULL, "20");
    ROW("1", NULL, "30");
    load_ok(&t, -1);
    cr_assert(eq(str, qall("SELECT * FROM k.nk ORDER BY a NULLS FIRST, b NULLS FIRST"),
                 "\\N,\\N,20;\\N,1,10;1,\\N,30"));
    DEL(NULL, NULL, "0");
    load_ok(&t, -1);
    cr_assert(eq(str, q1("SELECT count(*) FROM k.nk"), "2"));
}

static const char pc_ddl[] = "CREATE TABLE pc (id INT NOT NULL, name VARCHAR(10) NOT NULL, "
                             "score INT NOT NULL, test INT NULL, dft INT DEFAULT '4321') UNIQUE "
                             "KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1";

/* A partial load of B (columns in mask) with the new-key check; *removed rows refused. */
static sl_code partial_load(const sl_etable *t, uint64_t mask, bool strict, uint64_t *removed)
{
    static int64_t txn = 5000;
    sl_wopts o = {*t, ++txn, -1, false, true, false};
    sl_ewriter *w;
    sl_econn *c;
    sl_err e = {0};
    B.col_mask = mask;
    cr_assert(eq(int, V->w_open(eng, &o, &w, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(int, V->w_append(w, &B, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(int, V->w_partial_check(w, mask, strict, removed, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(int, V->w_publish(w, false, &c, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(int, V->xcommit(c, &e), SL_OK), "%s", e.msg);
    V->w_close(w, true);
    sl_batch_clear(&B);
    B.col_mask = 0;
    return SL_OK;
}

Test(pg_keys, partial_columns, .init = setup, .fini = teardown)
{
    sl_etable t = mktable("k", pc_ddl);
    batch_for(&t);
    ROW("1", "a", "10", "100", "1");
    ROW("2", "b", "20", "200", "2");
    load_ok(&t, -1);
    uint64_t removed = 9;
    /* id,score provided; the mapper leaves name NULL and fills dft's default */
    ROW("1", NULL, "99", NULL, "4321");
    ROW("2", NULL, "88", NULL, "4321");
    partial_load(&t, 1 | 4, false, &removed);
    cr_assert(eq(u64, removed, 0));
    cr_assert(eq(str, qall("SELECT * FROM k.pc ORDER BY id"), "1,a,99,100,1;2,b,88,200,2"));
    /* a new key without the NOT NULL name is refused; the existing key is updated */
    ROW("1", NULL, "77", NULL, "4321");
    ROW("3", NULL, "66", NULL, "4321");
    partial_load(&t, 1 | 4, false, &removed);
    cr_assert(eq(u64, removed, 1));
    /* a new key with name gets the defaults of the rest */
    ROW("4", "z", "55", NULL, "4321");
    partial_load(&t, 1 | 2 | 4, false, &removed);
    cr_assert(eq(u64, removed, 0));
    cr_assert(eq(str, qall("SELECT * FROM k.pc WHERE id >= 3 ORDER BY id"), "4,z,55,\\N,4321"));
    /* strict: no new keys at all */
    ROW("5", "y", "44", NULL, "4321");
    ROW("1", "n", "1", NULL, "4321");
    partial_load(&t, 1 | 2 | 4, true, &removed);
    cr_assert(eq(u64, removed, 1));
    cr_assert(eq(str, qall("SELECT * FROM k.pc ORDER BY id"),
                 "1,n,1,100,1;2,b,88,200,2;4,z,55,\\N,4321"));
    /* several partial loads of one key: each column from the latest load providing it */
    for (int i = 0; i < 3; i++) {
        char v[8];
        snprintf(v, sizeof v, "%d", i % 10);
        ROW("2", NULL, "0", v, "4321");
        partial_load(&t, 1 | 8, false, &removed);
    }
    cr_assert(eq(str, qall("SELECT * FROM k.pc WHERE id = 2"), "2,b,88,2,2"));
}

Test(pg_keys, two_phase_keyed_merge_and_replace, .init = setup, .fini = teardown)
{
    sl_etable t = mktable("k", "CREATE TABLE sq (id INT, v VARCHAR(8), ver INT) UNIQUE KEY(id) "
                               "DISTRIBUTED BY HASH(id) BUCKETS 1 PROPERTIES "
                               "(\"function_column.sequence_type\" = \"int\")");
    batch_for(&t);
    ROW("1", "a", "5");
    ROW("2", "b", "5");
    load_ok(&t, 2);
    ROW("1", "lo", "4"); /* loses on its sequence at the second phase */
    DEL("2", "", "6");   /* wins: deletes key 2 */
    ROW("3", "c", "1");
    ROW("3", "c2", "1");
    precommit(&t, 90, 2);
    cr_assert(eq(str, qall("SELECT * FROM k.sq ORDER BY id"), "1,a,5;2,b,5"));
    sl_econn *c = begin_cat();
    sl_err e = {0};
    cr_assert(eq(int, V->stage_commit(c, &t, 90, &e), SL_OK), "%s", e.msg);
    commit_cat(c);
    cr_assert(eq(str, qall("SELECT * FROM k.sq ORDER BY id"), "1,a,5;3,c2,1"));
    /* a keyed replace: only the new load's merged rows remain */
    ROW("9", "r1", "1");
    ROW("9", "r2", "1");
    cr_assert(eq(int, load_b(&t, 91, 2, true, false, true, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(str, qall("SELECT * FROM k.sq ORDER BY id"), "9,r2,1"));
}

/* ---- queries --------------------------------------------------------------------------------- */

typedef struct sink_rows {
    sl_qcol cols[8];
    char names[8][32];
    size_t n_cols;
    int rows;
    sl_qval last[8];
    char text[8][64];
} sink_rows;

static sl_code meta_fn(void *arg, const sl_qcol *cols, size_t n)
{
    sink_rows *s = arg;
    s->n_cols = n;
    for (size_t i = 0; i < n && i < 8; i++) {
        s->cols[i] = cols[i];
        snprintf(s->names[i], sizeof s->names[i], "%.*s", (int)cols[i].name.n, cols[i].name.p);
    }
    return SL_OK;
}

static sl_code row_fn(void *arg, const sl_qval *v, size_t n)
{
    sink_rows *s = arg;
    s->rows++;
    for (size_t i = 0; i < n && i < 8; i++) {
        s->last[i] = v[i];
        s->text[i][0] = '\0';
        if (v[i].null)
            continue;
        const sl_type *t = &s->cols[i].type; /* each value as text, by its column's type */
        switch (t->id) {
        case SL_DECIMAL: sl_format_decimal(v[i].v.w, t->scale, s->text[i]); break;
        case SL_LARGEINT: sl_format_i128(v[i].v.w, s->text[i]); break;
        case SL_DATE: sl_format_date(v[i].v.i, s->text[i]); break;
        case SL_DATETIME: sl_format_datetime(v[i].v.i, t->precision, s->text[i]); break;
        default:
            if (sl_type_is_text(t))
                snprintf(s->text[i], sizeof s->text[i], "%.*s", (int)v[i].v.s.n, v[i].v.s.p);
            break;
        }
    }
    return SL_OK;
}

static const sl_query_limits lim = {1000, 1 << 20, 0, 30, 0, NULL};

/* The typed value of a PostgreSQL text cell of type oid/typmod. */
static sl_datum dec(Oid oid, int typmod, const char *text, sl_type *t)
{
    *t = sl__pg_sl_type(oid, typmod);
    sl_datum d;
    memset(&d, 0, sizeof d);
    cr_assert(sl__pg_decode(t, sl_slice_of(text), &d), "%s", text);
    return d;
}

Test(pg_query, typed_values_from_text)
{
    sl_type t;
    sl_datum d = dec(23, -1, "42", &t);
    cr_assert(eq(int, t.id, SL_INT));
    cr_assert(eq(i64, d.i, 42));
    d = dec(1700, ((15 << 16) | 2) + 4, "-12.34", &t); /* numeric(15,2) */
    cr_assert(eq(int, t.id, SL_DECIMAL));
    cr_assert(eq(int, t.precision, 15));
    cr_assert(eq(int, t.scale, 2));
    cr_assert(d.w == -1234);
    d = dec(1700, (39 << 16) + 4, "170141183460469231731687303715884105727", &t);
    cr_assert(eq(int, t.id, SL_LARGEINT));
    cr_assert(d.w == (sl_i128)(((unsigned __int128)1 << 127) - 1));
    d = dec(1082, -1, "1969-12-31", &t);
    cr_assert(eq(int, t.id, SL_DATE));
    cr_assert(eq(i64, d.i, -1));
    d = dec(1114, 3, "1970-01-01 00:00:01.5", &t);
    cr_assert(eq(int, t.id, SL_DATETIME));
    cr_assert(eq(int, t.precision, 3));
    cr_assert(eq(i64, d.i, 1500000));
    d = dec(1184, -1, "1970-01-01 00:00:01.5+00", &t); /* timestamptz, UTC session */
    cr_assert(eq(i64, d.i, 1500000));
    d = dec(1043, 8 + 4, "héllo", &t);
    cr_assert(eq(int, t.id, SL_VARCHAR));
    cr_assert(eq(int, t.len, 8));
    cr_assert(eq(sz, d.s.n, 6));
    d = dec(16, -1, "t", &t);
    cr_assert(eq(int, t.id, SL_BOOLEAN));
    cr_assert(eq(i64, d.i, 1));
    d = dec(701, -1, "NaN", &t);
    cr_assert(d.d != d.d);
    t = sl__pg_sl_type(1082, -1);
    cr_assert(not(sl__pg_decode(&t, SL_LIT("infinity"), &d))); /* no Doris date for it */
    t = sl__pg_sl_type(1700, -1); /* sum(numeric): exact text */
    cr_assert(eq(int, t.id, SL_STRING));
}

Test(pg_query, result_form_of_the_sink, .init = setup, .fini = teardown)
{
    sink_rows s = {0};
    sl_query_sink k = {meta_fn, row_fn, &s};
    sl_err e = {0};
    cr_assert(eq(int, sl__pg_select(eng,
                                    "SELECT 42::int AS a, CAST(-12.5 AS numeric(15,2)) AS b, "
                                    "'1969-12-31'::date AS c, '1970-01-01 00:00:01.5'::timestamp(3) "
                                    "AS d, 'héllo'::varchar(8) AS e, true AS f, "
                                    "170141183460469231731687303715884105727::numeric(39,0) AS g, "
                                    "sum(x) AS h FROM (VALUES (0.10::numeric(15,2)), (0.25)) v(x)",
                                    &lim, &k, &e),
                 SL_OK), "%s", e.msg);
    cr_assert(eq(int, s.rows, 1));
    cr_assert(eq(sz, s.n_cols, 8));
    cr_assert(eq(str, s.names[1], "b"));
    cr_assert(eq(int, s.cols[0].type.id, SL_INT));
    cr_assert(eq(i64, s.last[0].v.i, 42));
    cr_assert(eq(int, s.cols[1].type.id, SL_DECIMAL));
    cr_assert(eq(str, s.text[1], "-12.50"));     /* exact, at the column's scale */
    cr_assert(eq(str, s.text[2], "1969-12-31"));
    cr_assert(eq(str, s.text[3], "1970-01-01 00:00:01.500")); /* at the precision */
    cr_assert(eq(str, s.text[4], "héllo"));
    cr_assert(eq(int, s.cols[5].type.id, SL_BOOLEAN));
    cr_assert(eq(i64, s.last[5].v.i, 1));
    cr_assert(eq(str, s.text[6], "170141183460469231731687303715884105727"));
    /* numeric without a typmod (sum over a numeric, no bound SELECT here): its exact text */
    cr_assert(eq(str, s.text[7], "0.35"));
}

Test(pg_query, limits_rows_and_timeout, .init = setup, .fini = teardown)
{
    sink_rows s = {0};
    sl_query_sink k = {meta_fn, row_fn, &s};
    sl_err e = {0};
    sl_query_limits l = lim;
    l.max_rows = 10;
    cr_assert(eq(int, sl__pg_select(eng, "SELECT g FROM generate_series(1, 1000000) g", &l, &k,
                                    &e),
                 SL_TOO_LARGE));
    cr_assert(strstr(e.msg, "more than 10 rows") != NULL, "%s", e.msg);
    cr_assert(eq(int, s.rows, 10)); /* streamed: the sink saw the rows before the limit */
    sl_err_clear(&e);
    l = lim;
    l.max_bytes = 100;
    cr_assert(eq(int, sl__pg_select(eng, "SELECT repeat('x', 1000)", &l, &k, &e), SL_TOO_LARGE));
    sl_err_clear(&e);
    l = lim;
    l.timeout_s = 1;
    cr_assert(eq(int, sl__pg_select(eng, "SELECT pg_sleep(60)", &l, &k, &e), SL_TIMEOUT));
    sl_err_clear(&e);
    cr_assert(eq(int, sl__pg_select(eng, "SELECT nosuchfunction(1)", &lim, &k, &e),
                 SL_INVALID_SQL));
    sl_err_clear(&e);
    /* read-only */
    cr_assert(eq(int, sl__pg_select(eng, "CREATE TABLE x(a int)", &lim, &k, &e),
                 SL_BACKEND));
    cr_assert(eq(str, q1("SELECT count(*) FROM pg_class WHERE relname = 'x'"), "0"));
    /* the connections are fine afterwards */
    sl_err_clear(&e);
    s.rows = 0;
    cr_assert(eq(int, sl__pg_select(eng, "SELECT 1", &lim, &k, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(int, s.rows, 1));
    /* a SELECT that was never checked against its table is not rendered */
    sl_select sel = {0};
    cr_assert(eq(int, V->query(eng, NULL, &sel, &lim, &k, &e), SL_INTERNAL));
}

/* ---- lost connections ------------------------------------------------------------------------ */

Test(pg_conn, restart_of_postgres_needs_no_restart_of_the_engine, .init = setup,
     .fini = teardown, .timeout = 120)
{
    /* a server of its own: the shared one serves the other tests meanwhile */
    char dir[256], u[512];
    cr_assert(pg_start(dir, sizeof dir, u, sizeof u));
    sl_engine *x;
    sl_err e = {0};
    sl_store_opts o = {.url = u, .pool_size = 2};
    cr_assert(eq(int, V->open(&o, &x, &e), SL_OK), "%s", e.msg);
    sl_econn *c;
    got g = {0};
    cr_assert(eq(int, V->conn_get(x, &c, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(int, V->exec(c, "SELECT pg_backend_pid()", NULL, 0, got_fn, &g, NULL, &e),
                 SL_OK));
    V->conn_put(c); /* idle in the pool across the restart */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "sh tests/pg/pg.sh restart %s >/dev/null 2>&1", dir);
    cr_assert(eq(int, system(cmd), 0));
    cr_assert(eq(int, V->conn_get(x, &c, &e), SL_OK), "%s", e.msg);
    int64_t old = g.c[0].i;
    cr_assert(eq(int, V->exec(c, "SELECT pg_backend_pid()", NULL, 0, got_fn, &g, NULL, &e),
                 SL_OK), "%s", e.msg);
    cr_assert(g.c[0].i != old);
    /* a connection in use when the server goes away: store unavailable, then it recovers */
    snprintf(cmd, sizeof cmd, "sh tests/pg/pg.sh stop %s >/dev/null 2>&1", dir);
    cr_assert(eq(int, system(cmd), 0));
    cr_assert(eq(int, V->exec(c, "SELECT 1", NULL, 0, NULL, NULL, NULL, &e), SL_BACKEND));
    cr_assert(strstr(e.msg, "store unavailable") != NULL, "%s", e.msg);
    V->conn_put(c);
    sl_err_clear(&e);
    cr_assert(eq(int, V->conn_get(x, &c, &e), SL_BACKEND)); /* down: a clear error */
    cr_assert(strstr(e.msg, "store unavailable") != NULL, "%s", e.msg);
    snprintf(cmd, sizeof cmd, "sh tests/pg/pg.sh restart %s >/dev/null 2>&1", dir);
    cr_assert(eq(int, system(cmd), 0));
    sl_err_clear(&e);
    cr_assert(eq(int, V->conn_get(x, &c, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(int, V->exec(c, "SELECT 1", NULL, 0, NULL, NULL, NULL, &e), SL_OK), "%s", e.msg);
    V->conn_put(c);
    V->close(x);
    pg_stop(dir);
}

/* Whether some other backend is in a COPY (a writer that has begun sending). */
static bool in_copy(void)
{
    return strcmp(q1("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY%' "
                     "AND pid <> pg_backend_pid()"), "0") != 0;
}

/* Writers take their connection at the first send, not at open: more loads than the pool's
 * writer slots may be open with rows buffered; each takes a slot when it publishes. */
Test(pg_conn, writer_takes_no_connection_before_its_first_send, .init = setup, .fini = teardown)
{
    sl_etable t = mktable("db", dup_ddl);
    batch_for(&t);
    ROW("1", "a");
    enum { N = SL_PG_MAX_WRITERS + 8 }; /* more loads than writer slots */
    sl_ewriter *w[N];
    sl_err e = {0};
    for (int i = 0; i < N; i++) {
        sl_wopts o = {t, 100 + i, -1, false, false, false};
        cr_assert(eq(int, V->w_open(eng, &o, &w[i], &e), SL_OK), "%s", e.msg);
        cr_assert(eq(int, V->w_append(w[i], &B, &e), SL_OK), "%s", e.msg);
    }
    cr_assert(not(in_copy()));
    for (int i = 0; i < N; i++) {
        sl_econn *c = NULL;
        cr_assert(eq(int, V->w_publish(w[i], false, &c, &e), SL_OK), "%s", e.msg);
        cr_assert(eq(int, V->xcommit(c, &e), SL_OK), "%s", e.msg);
        V->w_close(w[i], true);
    }
    char n[16];
    snprintf(n, sizeof n, "%d", (int)N);
    cr_assert(eq(str, q1("SELECT count(*) FROM db.t"), n));
}

Test(pg_conn, connection_killed_mid_copy, .init = setup, .fini = teardown)
{
    sl_etable t = mktable("db", dup_ddl);
    batch_for(&t);
    ROW("1", "a");
    sl_wopts o = {t, 3, -1, false, false, false};
    sl_ewriter *w;
    sl_err e = {0};
    cr_assert(eq(int, V->w_open(eng, &o, &w, &e), SL_OK));
    /* the writer sends (and so is in COPY) once it has 1 MiB of tuples: append until then */
    for (int i = 0; i < 200 && !in_copy(); i++)
        for (int k = 0; k < 1000; k++)
            cr_assert(eq(int, V->w_append(w, &B, &e), SL_OK));
    cr_assert(in_copy());
    /* the writer's backend is the only one in COPY */
    sqlx(raw, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'COPY%' "
              "AND pid <> pg_backend_pid()");
    sl_code rc = SL_OK;
    for (int i = 0; i < 100 && rc == SL_OK; i++) /* until the send fails, or the end */
        rc = V->w_append(w, &B, &e);
    sl_econn *c = NULL;
    if (rc == SL_OK)
        rc = V->w_publish(w, false, &c, &e);
    cr_assert(eq(int, rc, SL_BACKEND));
    cr_assert(strstr(e.msg, "store unavailable") != NULL, "%s", e.msg);
    V->w_close(w, false);
    cr_assert(eq(str, q1("SELECT count(*) FROM db.t"), "0"));
    /* the next load gets a good connection */
    load_ok(&t, -1);
    cr_assert(eq(str, q1("SELECT count(*) FROM db.t"), "1"));
}

Test(pg_conn, commit_outcome_unknown_when_the_connection_dies, .init = setup, .fini = teardown)
{
    sl_econn *c = begin_cat();
    sl_err e = {0};
    got g = {0};
    cr_assert(eq(int, V->exec(c, "SELECT pg_backend_pid()", NULL, 0, got_fn, &g, NULL, &e),
                 SL_OK));
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)", (long long)g.c[0].i);
    sqlx(raw, sql);
    cr_assert(eq(int, V->xcommit(c, &e), SL_BACKEND));
    cr_assert(strstr(e.msg, "commit outcome unknown") != NULL, "%s", e.msg);
    V->conn_put(c);
    c = begin_cat(); /* a fresh connection in its place */
    commit_cat(c);
}

Test(pg_keys, sequence_delete_keeps_beating_smaller_sequences, .init = setup, .fini = teardown)
{
    sl_etable t = mktable("k", "CREATE TABLE sq (id INT, v VARCHAR(8), ver INT) UNIQUE KEY(id) "
                               "DISTRIBUTED BY HASH(id) BUCKETS 1 PROPERTIES "
                               "(\"function_column.sequence_type\" = \"int\")");
    batch_for(&t);
    ROW("1", "a", "5");
    ROW("2", "b", "5");
    load_ok(&t, 2);
    DEL("1", "", "9");
    DEL("3", "", "4"); /* a key that never existed: deleted at 4 all the same */
    load_ok(&t, 2);
    ROW("1", "late", "8"); /* smaller than the delete's 9: stays deleted */
    ROW("3", "three", "4"); /* equal: the later row wins */
    load_ok(&t, 2);
    cr_assert(eq(str, qall("SELECT * FROM k.sq ORDER BY id"), "2,b,5;3,three,4"));
    ROW("1", "back", "9");
    load_ok(&t, 2);
    cr_assert(eq(str, qall("SELECT * FROM k.sq ORDER BY id"), "1,back,9;2,b,5;3,three,4"));
    /* a replace forgets the tombs with the rows; truncate and drop take the tomb along */
    DEL("2", "", "100");
    load_ok(&t, 2);
    sl_err e = {0};
    ROW("2", "r", "1");
    cr_assert(eq(int, load_b(&t, 99, 2, true, false, true, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(str, qall("SELECT * FROM k.sq ORDER BY id"), "2,r,1"));
    DEL("2", "", "100");
    load_ok(&t, 2);
    sl_econn *c = begin_cat();
    cr_assert(eq(int, V->drop_table(c, &t, true, &e), SL_OK), "%s", e.msg);
    commit_cat(c);
    ROW("2", "again", "1");
    load_ok(&t, 2);
    cr_assert(eq(str, qall("SELECT * FROM k.sq ORDER BY id"), "2,again,1"));
    c = begin_cat();
    cr_assert(eq(int, V->drop_table(c, &t, false, &e), SL_OK), "%s", e.msg);
    commit_cat(c);
    cr_assert(eq(str, q1("SELECT count(*) FROM pg_tables WHERE schemaname = 'sluice_stage'"),
                 "0"));
}

Test(pg_copy, json_kept_as_loaded_and_checked, .init = setup, .fini = teardown)
{
    sl_etable t = mktable("db", "CREATE TABLE j (id INT, j JSON) DUPLICATE KEY(id) "
                                "DISTRIBUTED BY HASH(id) BUCKETS 1");
    batch_for(&t);
    ROW("1", "{\"z\":1,\"a\":[true, null]}");
    load_ok(&t, -1);
    cr_assert(eq(str, q1("SELECT j FROM db.j"), "{\"z\":1,\"a\":[true, null]}"));
    ROW("2", "{not json");
    sl_err e = {0};
    cr_assert(eq(int, load_b(&t, 8, -1, false, false, true, &e), SL_INVALID));
    cr_assert(strstr(e.msg, "json") != NULL, "%s", e.msg);
    cr_assert(eq(str, q1("SELECT count(*) FROM db.j"), "1"));
}

Test(pg_conn, role_without_create_on_the_database, .init = setup, .fini = teardown)
{
    char role[80], sql[256], u[700];
    snprintf(role, sizeof role, "r_%s", dbname);
    snprintf(sql, sizeof sql, "CREATE ROLE %s LOGIN", role);
    PGconn *adm = admin();
    sqlx(adm, sql);
    const char *at = strchr(url, '@');
    snprintf(u, sizeof u, "postgres://%s%s", role, at);
    /* the schemas exist (the test's engine made them): a role without CREATE may open */
    sl_engine *x = NULL;
    sl_err e = {0};
    sl_store_opts o = {.url = u, .pool_size = 2};
    cr_assert(eq(int, V->open(&o, &x, &e), SL_OK), "%s", e.msg);
    V->close(x);
    /* they do not: a clear refusal */
    sqlx(raw, "DROP SCHEMA sluice_stage");
    cr_assert(eq(int, V->open(&o, &x, &e), SL_BACKEND));
    cr_assert(strstr(e.msg, "permission denied") != NULL, "%s", e.msg);
    snprintf(sql, sizeof sql, "DROP ROLE %s", role);
    sqlx(adm, sql);
    PQfinish(adm);
}

Test(pg_conn, writer_pool_full_fails_at_once, .init = setup, .fini = teardown)
{
    pg_pool p;
    sl__pg_pool_init(&p, 1, 1, true);
    sl_econn *a, *b;
    sl_err e = {0};
    cr_assert(eq(int, sl__pg_get(eng, &p, &a, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(int, sl__pg_get(eng, &p, &b, &e), SL_BACKEND));
    cr_assert(strstr(e.msg, "store busy: 1 loads are running") != NULL, "%s", e.msg);
    int pid = PQbackendPID(a->pg);
    sl__pg_put(a); /* kept idle: the next get reuses it */
    sl_err_clear(&e);
    cr_assert(eq(int, sl__pg_get(eng, &p, &b, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(int, PQbackendPID(b->pg), pid));
    sl__pg_put(b);
    sl__pg_pool_destroy(&p);
}
