/*
 * test_pg_render.c - unit tests for the PostgreSQL engine's SELECT renderer
 * (src/store/postgres/render.c): the text it writes for Doris's semantics, what it refuses, and,
 * when SLUICE_TEST_PG names a PostgreSQL server (a libpq connection string; tests that need it
 * are skipped otherwise), every case of tests/data/sql/select_cases.txt run on that server with
 * the same answers as the SQLite engine gives.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "batch/convert.h"
#include "sql/sql.h"
#include "store/postgres/render.h"
#include "select_cases.h"

static sl_arena_t A;
static sl_err E;
static const sl_tabledef *DEF;

static const char ddl[] =
    "CREATE TABLE t (id INT, nme VARCHAR(20), price DECIMAL(15,2), d DATE, ts DATETIME(3), "
    "big LARGEINT, x DOUBLE, b BOOLEAN, j JSON, k BIGINT)";

static void setup(void)
{
    sl_stmt st;
    sl_arena_init(&A, 0);
    sl_err_clear(&E);
    cr_assert(eq(int, sl_sql_parse(ddl, sizeof ddl - 1, &A, &st, &E), SL_OK), "%s", E.msg);
    DEF = st.table;
}

static void teardown(void)
{
    sl_arena_free(&A);
}

TestSuite(pg_render, .init = setup, .fini = teardown);

static sl_select *bound(const sl_tabledef *def, const char *sql, int64_t now_us)
{
    sl_stmt *st = sl_arena_alloc(&A, sizeof *st);
    sl_err_clear(&E);
    cr_assert(eq(int, sl_sql_parse(sql, strlen(sql), &A, st, &E), SL_OK), "%s: %s", sql, E.msg);
    sl_select_env env = {8 * 3600, now_us, SL_LIT("db"), NULL};
    cr_assert(eq(int, sl_select_bind(&st->select, st->select.table.n ? def : NULL, &env, &A, &E),
                 SL_OK), "%s: %s", sql, E.msg);
    return &st->select;
}

static sl_code render_rc(const char *sql, char **out)
{
    sl_select *sel = bound(DEF, sql, INT64_C(1704067200000000));
    sl_etable t = {SL_LIT("db"), SL_LIT("t"), 1, DEF};
    sl_buf b = SL_BUF_INIT;
    sl_err_clear(&E);
    sl_code rc = sl__pg_render(sel, sel->def ? &t : NULL, &b, &E);
    *out = sl_arena_memdup(&A, b.p ? b.p : "", b.len);
    sl_buf_free(&b);
    return rc;
}

static void expect(const char *sql, const char *want)
{
    char *got;
    cr_assert(eq(int, render_rc(sql, &got), SL_OK), "%s: %s", sql, E.msg);
    cr_assert(eq(str, got, (char *)want), "for %s", sql);
}

static void refused(const char *sql, const char *what)
{
    char *got;
    cr_assert(eq(int, render_rc(sql, &got), SL_INVALID_SQL), "%s", sql);
    cr_assert(strstr(E.msg, what) != NULL && strstr(E.msg, "not supported on the PostgreSQL store"),
              "'%s' lacks '%s'", E.msg, what);
}

Test(pg_render, statement_shape)
{
    expect("select id, nme from t where d >= '2024-01-01' and nme > 'b' order by nme desc, 1 "
           "limit 2 offset 1",
           "SELECT \"id\", \"nme\" COLLATE \"C\" FROM \"db\".\"t\" WHERE ((\"d\" >= "
           "CAST('2024-01-01' AS date)) AND (\"nme\" COLLATE \"C\" > CAST('b' AS text))) ORDER BY 2 "
           "DESC NULLS LAST, 1 ASC NULLS FIRST LIMIT 2 OFFSET 1");
    expect("select count(*), sum(price), avg(price), min(nme), max(b) from t group by d having "
           "count(*) > 1",
           "SELECT count(*), CAST(sum(\"price\") AS numeric(38,2)), CAST(div(sum(\"price\") * "
           "CAST('1e4' AS numeric), count(\"price\")) * CAST('1e-4' AS numeric) AS numeric(38,4)), "
           "min(\"nme\" COLLATE \"C\") COLLATE \"C\", max(CAST(\"b\" AS integer)) <> 0 FROM "
           "\"db\".\"t\" GROUP BY \"d\" HAVING (count(*) > CAST(1 AS bigint))");
    expect("select 1, 'x'", "SELECT CAST(1 AS bigint), CAST('x' AS text) COLLATE \"C\"");
    expect("select j from t", "SELECT CAST(\"j\" AS text) COLLATE \"C\" FROM \"db\".\"t\"");
    expect("select id from t having id > 1 order by k nulls last",
           "SELECT \"id\" FROM \"db\".\"t\" WHERE (CAST(\"id\" AS bigint) > CAST(1 AS bigint)) "
           "ORDER BY \"k\" ASC NULLS LAST");
}

/* Doris's meanings spelled out. */
Test(pg_render, doris_semantics)
{
    expect("select k div 2, k mod 3, id / 2 from t",
           "SELECT (\"k\" / NULLIF(CAST(2 AS bigint), 0)), mod(\"k\", NULLIF(CAST(3 AS bigint), 0)), "
           "(CAST(\"id\" AS double precision) / NULLIF(CAST('2' AS double precision), 0)) FROM "
           "\"db\".\"t\"");
    expect("select concat(nme, 'x'), upper(nme) from t",
           "SELECT (\"nme\" || CAST('x' AS text)) COLLATE \"C\", translate(\"nme\", "
           "'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') COLLATE \"C\" FROM "
           "\"db\".\"t\"");
    expect("select now(), curdate()",
           "SELECT CAST('2024-01-01 08:00:00.000000' AS timestamp), CAST('2024-01-01' AS date)");
    expect("select date_format(ts, '%Y/%m') from t",
           "SELECT (CASE WHEN \"ts\" IS NULL THEN NULL ELSE (to_char(\"ts\", 'YYYY') || '/' || "
           "to_char(\"ts\", 'MM')) END) COLLATE \"C\" FROM \"db\".\"t\"");
    expect("select b + 1, k <=> 3 from t",
           "SELECT (CAST(CAST(\"b\" AS integer) AS bigint) + CAST(1 AS bigint)), (\"k\" IS NOT "
           "DISTINCT FROM CAST(3 AS bigint)) FROM \"db\".\"t\"");
}

Test(pg_render, refusals)
{
    refused("select str_to_date(nme, '%Y') from t", "function str_to_date");
    refused("select cast(x as string) from t", "converting a DOUBLE to text");
    refused("select mod(x, 2) from t", "mod of DOUBLE values");
    refused("select x % 2 from t", "MOD of DOUBLE values");
    refused("select date_format(ts, nme) from t", "date_format with a computed format");
    refused("select cast(nme as int) from t", "converting text to a number outside a literal");
    refused("select cast(x as decimal(10,2)) from t", "converting a DOUBLE to DECIMAL");
    refused("select split_part(nme, ',', k) from t", "split_part");
    refused("select 'a\\0b'", "text with a NUL byte");
    refused("select unix_timestamp(nme, '%Y') from t", "unix_timestamp(text, format)");
}

/* ---- the shared cases, on a live PostgreSQL when SLUICE_TEST_PG is set ------------------------- */

static const char *pgtype_of(const sl_type *t, char *buf)
{
    switch ((sl_type_id)t->id) {
    case SL_TINYINT: case SL_SMALLINT: return "smallint";
    case SL_INT: return "integer";
    case SL_BIGINT: return "bigint";
    case SL_LARGEINT: return "numeric(39,0)";
    case SL_FLOAT: return "real";
    case SL_DOUBLE: return "double precision";
    case SL_DECIMAL: sprintf(buf, "numeric(%u,%u)", t->precision, t->scale); return buf;
    case SL_DATE: return "date";
    case SL_DATETIME: sprintf(buf, "timestamp(%u)", t->precision); return buf;
    case SL_BOOLEAN: return "boolean";
    case SL_JSON: return "jsonb";
    case SL_STRING: return "text";
    default: return "varchar";
    }
}

static void pg_ok(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    cr_assert(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK,
              "%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
}

/* The file's table and rows in schema "db" of the server. */
static const sl_tabledef *pg_load(PGconn *c, const sc_file *F)
{
    sl_stmt st;
    char tb[40];
    cr_assert(eq(int, sl_sql_parse(F->table, strlen(F->table), &A, &st, &E), SL_OK));
    const sl_tabledef *def = st.table;
    sl_buf q = SL_BUF_INIT;
    pg_ok(c, "SET datestyle = 'ISO, YMD'; SET extra_float_digits = 1; DROP SCHEMA IF EXISTS db "
             "CASCADE; CREATE SCHEMA db");
    sl_buf_puts(&q, "CREATE TABLE db.t (");
    for (size_t i = 0; i < def->n_cols; i++)
        sl_buf_printf(&q, "%s\"%.*s\" %s", i ? ", " : "", (int)def->cols[i].name.n,
                      def->cols[i].name.p, pgtype_of(&def->cols[i].type, tb));
    sl_buf_puts(&q, ")");
    pg_ok(c, q.p);
    for (size_t r = 0; r < F->n_rows; r++) {
        char copy[1024], *f[64];
        size_t n = sc_fields(F->rows[r], copy, sizeof copy, f, 64);
        sl_buf_clear(&q);
        sl_buf_puts(&q, "INSERT INTO db.t VALUES (");
        for (size_t i = 0; i < n; i++) {
            sl_buf_puts(&q, i ? ", " : "");
            if (strcmp(f[i], "\\N") == 0)
                sl_buf_puts(&q, "NULL");
            else
                sl_buf_printf(&q, "'%s'", f[i]); /* the file's values hold no quote */
        }
        sl_buf_puts(&q, ")");
        pg_ok(c, q.p);
    }
    sl_buf_free(&q);
    return def;
}

/* One PostgreSQL text cell as the value of type t. */
static void pg_cell(const char *s, const sl_type *t, sl_datum *v)
{
    sl_conv_ctx cc = {0};
    sl_type dt6 = {SL_DATETIME, 6, 0, 0, 0};
    memset(v, 0, sizeof *v);
    if (t->id == SL_BOOLEAN)
        v->i = s[0] == 't';
    else if (sl_type_is_text(t))
        v->s.p = s, v->s.n = strlen(s);
    else if (t->id == SL_FLOAT || t->id == SL_DOUBLE)
        v->d = strtod(s, NULL);
    else
        cr_assert(eq(int, sl_convert(t->id == SL_DATETIME ? &dt6 : t, sl_slice_of(s), v, &cc),
                     SL_CONV_OK), "PostgreSQL value '%s'", s);
}

/* A case whose outputs sluice finishes after PostgreSQL (functions without a faithful
 * spelling; their values are the expression engine's, checked through the server by
 * tests/e2e/test_select.py): here the plan's SQL must run on PostgreSQL and give the case's
 * number of rows. */
static bool post_case(PGconn *c, const sl_select *sel, const sl_etable *t, const sc_case *k,
                      sl_buf *got)
{
    sl_buf sql = SL_BUF_INIT;
    sl_pg_plan plan;
    sl_err_clear(&E);
    sl_code rc = sl__pg_render_plan(sel, sel->table.n ? t : NULL, &sql, &A, &plan, &E);
    if (rc != SL_OK || !plan.any_post) {
        sl_buf_puts(got, rc != SL_OK ? E.msg : "refused without a plan");
        sl_buf_free(&sql);
        return false;
    }
    int want = k->want[0] ? 1 : 0;
    for (const char *p = k->want; *p; p++)
        want += *p == ';';
    PGresult *r = PQexec(c, sql.p);
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == want;
    if (!ok)
        sl_buf_printf(got, "%s [%s] %d rows, want %d", PQerrorMessage(c), sql.p,
                      PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) : -1, want);
    PQclear(r);
    sl_buf_free(&sql);
    return ok;
}

static bool pg_case(PGconn *c, const sl_tabledef *def, const sc_case *k, sl_buf *got)
{
    sl_stmt st;
    sl_buf sql = SL_BUF_INIT;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    sl_select_env env = {8 * 3600, (int64_t)now.tv_sec * 1000000, SL_LIT("db"), NULL};
    sl_etable t = {SL_LIT("db"), SL_LIT("t"), 1, def};
    sl_err_clear(&E);
    sl_code rc = sl_sql_parse(k->sql, strlen(k->sql), &A, &st, &E);
    if (rc == SL_OK)
        rc = sl_select_bind(&st.select, st.select.table.n ? def : NULL, &env, &A, &E);
    if (rc == SL_OK)
        rc = sl__pg_render(&st.select, st.select.table.n ? &t : NULL, &sql, &E);
    if (rc == SL_INVALID_SQL && !k->error)
        return post_case(c, &st.select, &t, k, got);
    if (rc != SL_OK) {
        sl_buf_free(&sql);
        sl_buf_puts(got, E.msg);
        return k->error && strstr(E.msg, k->want) != NULL;
    }
    PGresult *r = PQexec(c, sql.p);
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    for (int row = 0; ok && row < PQntuples(r); row++) {
        if (row)
            sl_buf_putc(got, ';');
        for (int col = 0; col < PQnfields(r); col++) {
            const sl_type *ty = &st.select.out[col].type;
            sl_datum v;
            if (col)
                sl_buf_putc(got, '|');
            if (!PQgetisnull(r, row, col))
                pg_cell(PQgetvalue(r, row, col), ty, &v);
            sc_value(got, ty, PQgetisnull(r, row, col), &v);
        }
    }
    if (!ok)
        sl_buf_printf(got, "%s [%s]", PQerrorMessage(c), sql.p);
    PQclear(r);
    sl_buf_free(&sql);
    return ok && !k->error && strcmp(got->p ? got->p : "", k->want) == 0;
}

Test(pg_render, shared_cases_on_postgres)
{
    const char *conninfo = getenv("SLUICE_TEST_PG");
    static sc_file F;
    if (conninfo == NULL || *conninfo == '\0')
        cr_skip_test("SLUICE_TEST_PG is not set");
    PGconn *c = PQconnectdb(conninfo);
    cr_assert(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
    cr_assert(sc_load(&F));
    const sl_tabledef *def = pg_load(c, &F);
    int failed = 0, ran = 0;
    for (size_t i = 0; i < F.n_cases; i++) {
        const sc_case *k = &F.cases[i];
        sl_buf got = SL_BUF_INIT;
        if (k->only[0] && strcmp(k->only, "postgres") != 0)
            continue;
        ran++;
        if (!pg_case(c, def, k, &got)) {
            failed++;
            cr_log_error("case '%s':\n  sql:  %s\n  want: %s\n  got:  %s", k->name, k->sql,
                         k->want, got.p ? got.p : "");
        }
        sl_buf_free(&got);
    }
    PQfinish(c);
    cr_assert(eq(int, failed, 0), "%d of %d cases failed", failed, ran);
}
