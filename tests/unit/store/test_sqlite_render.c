/*
 * test_sqlite_render.c - unit tests for the SQLite engine's SELECT rendering and evaluation
 * (src/store/sqlite/render.c, udf.c and query.c's runner): which parts SQLite computes natively
 * and which the expression engine does, the v2 encoding of literals and values, exact
 * aggregates, the function whitelist (an authorizer refuses any other function), limits.
 *
 * Rows live in an in-memory table named like the query view (columns c0..c9, v2 encoding).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch/convert.h"
#include "sql/sql.h"
#include "store/sqlite/internal.h"

static sl_arena_t A;
static sl_err E;
static sqlite3 *DB;
static const sl_tabledef *DEF;

static const char ddl[] =
    "CREATE TABLE t (id INT, nme VARCHAR(20), price DECIMAL(15,2), d DATE, ts DATETIME(3), "
    "big LARGEINT, x DOUBLE, b BOOLEAN, wide DECIMAL(30,4), k BIGINT)";

/* Insert one row given as SQLite values (wide numbers as their int128 value). */
static void row(int id, const char *nme, int64_t price, int64_t d, int64_t ts, sl_i128 big,
                double x, int b, sl_i128 wide, int64_t k)
{
    sqlite3_stmt *st;
    uint8_t bb[16], wb[16];
    cr_assert(eq(int, sqlite3_prepare_v2(DB, "INSERT INTO " SL_SQ_VIEW
                                             " VALUES (?,?,?,?,?,?,?,?,?,?)", -1, &st, NULL),
                 SQLITE_OK));
    sqlite3_bind_int(st, 1, id);
    sqlite3_bind_text(st, 2, nme, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, price);
    sqlite3_bind_int64(st, 4, d);
    sqlite3_bind_int64(st, 5, ts);
    sl__sq_wide_put(bb, big);
    sqlite3_bind_blob(st, 6, bb, 16, SQLITE_STATIC);
    sqlite3_bind_double(st, 7, x);
    sqlite3_bind_int(st, 8, b);
    sl__sq_wide_put(wb, wide);
    sqlite3_bind_blob(st, 9, wb, 16, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, k);
    cr_assert(eq(int, sqlite3_step(st), SQLITE_DONE));
    sqlite3_finalize(st);
}

static void setup(void)
{
    sl_stmt st;
    sl_arena_init(&A, 0);
    sl_err_clear(&E);
    cr_assert(eq(int, sl_sql_parse(ddl, sizeof ddl - 1, &A, &st, &E), SL_OK), "%s", E.msg);
    DEF = st.table;
    cr_assert(eq(int, sqlite3_open(":memory:", &DB), SQLITE_OK));
    cr_assert(eq(int, sl__sq_query_conn(DB, &E), SL_OK));
    cr_assert(eq(int, sqlite3_exec(DB, "CREATE TABLE " SL_SQ_VIEW "(c0,c1,c2,c3,c4,c5,c6,c7,c8,c9)",
                                   NULL, NULL, NULL), SQLITE_OK));
    /* 2024-01-01 = day 19723; prices in cents; wide at scale 4 */
    row(1, "alice", 1010, 19723, INT64_C(1704103200123000), 7, 1.5, 1, 123456789, INT64_MAX);
    row(2, "bob", 2020, 19754, INT64_C(1706785200000000), -5, 2.5, 0, -10001, 1);
    row(3, "carol", 1, 19722, INT64_C(1704067199000000), 1, 0.25, 1, 5, -3);
}

static void teardown(void)
{
    sqlite3_close(DB);
    sl_arena_free(&A);
}

TestSuite(sqlite_render, .init = setup, .fini = teardown);

static sl_select *bound(const char *sql)
{
    sl_stmt *st = sl_arena_alloc(&A, sizeof *st);
    sl_err_clear(&E);
    cr_assert(eq(int, sl_sql_parse(sql, strlen(sql), &A, st, &E), SL_OK), "%s: %s", sql, E.msg);
    sl_select_env env = {0, INT64_C(1704103200000000), SL_LIT("db"), NULL};
    cr_assert(eq(int, sl_select_bind(&st->select, st->select.table.n ? DEF : NULL, &env, &A, &E),
                 SL_OK), "%s: %s", sql, E.msg);
    return &st->select;
}

/* The SQLite text of sql. */
static char *render(const char *sql)
{
    sq_query q;
    sl_buf b = SL_BUF_INIT;
    memset(&q, 0, sizeof q);
    q.db = DB;
    q.sel = bound(sql);
    q.lim = sl_query_limits_or_default(NULL);
    sl_arena_init(&q.a, 0);
    sl_arena_init(&q.call, 0);
    cr_assert(eq(int, sl__sq_render(&q, &b, &E), SL_OK), "%s", E.msg);
    char *out = sl_arena_memdup(&A, b.p, b.len);
    sl_buf_free(&b);
    sl_arena_free(&q.a);
    sl_arena_free(&q.call);
    return out;
}

/* ---- running: the result as text, "a|b;c|d" (NULL as \N) ---- */

typedef struct res {
    sl_buf out;
    sl_type types[64];
} res;

static sl_code meta(void *arg, const sl_qcol *c, size_t n)
{
    res *r = arg;
    for (size_t i = 0; i < n && i < 64; i++)
        r->types[i] = c[i].type;
    return SL_OK;
}

static sl_code one(void *arg, const sl_qval *v, size_t n)
{
    res *r = arg;
    char buf[80];
    if (r->out.len)
        sl_buf_putc(&r->out, ';');
    for (size_t i = 0; i < n; i++) {
        const sl_type *t = &r->types[i];
        if (i)
            sl_buf_putc(&r->out, '|');
        if (v[i].null)
            sl_buf_puts(&r->out, "\\N");
        else if (sl_type_is_text(t))
            sl_buf_append(&r->out, v[i].v.s.p, v[i].v.s.n);
        else if (t->id == SL_DECIMAL)
            sl_format_decimal(v[i].v.w, t->scale, buf), sl_buf_puts(&r->out, buf);
        else if (t->id == SL_LARGEINT)
            sl_format_i128(v[i].v.w, buf), sl_buf_puts(&r->out, buf);
        else if (t->id == SL_DOUBLE || t->id == SL_FLOAT)
            sl_format_double(v[i].v.d, buf), sl_buf_puts(&r->out, buf);
        else if (t->id == SL_DATE)
            sl_format_date(v[i].v.i, buf), sl_buf_puts(&r->out, buf);
        else if (t->id == SL_DATETIME)
            sl_format_datetime(v[i].v.i, t->precision, buf), sl_buf_puts(&r->out, buf);
        else
            sl_buf_printf(&r->out, "%lld", (long long)v[i].v.i);
    }
    return SL_OK;
}

static sl_code run_lim(const char *sql, const sl_query_limits *lim, char **out)
{
    res r = {SL_BUF_INIT, {{0}}};
    sl_query_sink sink = {meta, one, &r};
    sl_err_clear(&E);
    sl_code rc = sl__sq_run(DB, bound(sql), lim, &sink, &E);
    *out = sl_arena_memdup(&A, r.out.p ? r.out.p : "", r.out.len);
    sl_buf_free(&r.out);
    return rc;
}

static void expect(const char *sql, const char *want)
{
    char *got;
    cr_assert(eq(int, run_lim(sql, NULL, &got), SL_OK), "%s: %s", sql, E.msg);
    cr_assert(eq(str, got, (char *)want), "for %s", sql);
}

/* ---- native and engine-evaluated parts ---------------------------------------------------- */

Test(sqlite_render, native_where_possible)
{
    cr_assert(eq(str, render("select id, nme from t where d >= '2024-01-01' and id in (1, 2) "
                             "order by ts desc nulls first limit 2 offset 1"),
                 "SELECT c0, c1 FROM __sl_t WHERE ((c3 >= ?) AND (c0 IN (?, ?))) ORDER BY c4 "
                 "DESC NULLS FIRST LIMIT 2 OFFSET 1"));
    cr_assert(eq(str, render("select count(*), count(distinct nme), min(d), max(big) from t "
                             "group by b having count(*) > 1"),
                 "SELECT count(*), count(DISTINCT c1), min(c3), max(c5) FROM __sl_t GROUP BY c7 "
                 "HAVING (count(*) > ?)"));
    /* INT + INT cannot overflow 64 bits: native; BIGINT + 1 can: the engine */
    cr_assert(eq(str, render("select id + 1, id * id, k + 1, -id, id / 2 from t"),
                 "SELECT (c0 + ?), (c0 * c0), __sl_f0(c9), (- c0), (CAST(c0 AS REAL) / ?) "
                 "FROM __sl_t"));
    cr_assert(eq(str, render("select (id * id) * id, (id + id) * (id + id), (id + id) * 100 from t"),
                 "SELECT __sl_f0(c0), __sl_f1(c0), ((c0 + c0) * ?) FROM __sl_t"));
    /* every function, LIKE, MOD/DIV and decimal arithmetic: the engine */
    cr_assert(eq(str, render("select upper(nme), nme like 'a%', id mod 2, price * 2, "
                             "sum(price) from t group by 1, 2, 3, 4"),
                 "SELECT __sl_f0(c1), __sl_f1(c1), __sl_f2(c0), __sl_f3(c2), __sl_a4(c2) FROM "
                 "__sl_t GROUP BY __sl_f5(c1), __sl_f6(c1), __sl_f7(c0), __sl_f8(c2)"));
    /* a literal that is exactly one of the column's values compares in the column's type */
    cr_assert(eq(str, render("select id from t where price > 10 and price in (1.5, 2) and "
                             "wide = 1 and price <> 10.005"),
                 "SELECT c0 FROM __sl_t WHERE ((((c2 > ?) AND (c2 IN (?, ?))) AND (c8 = ?)) "
                 "AND (((c2) * 10) <> ?))"));
    cr_assert(eq(str, render("select 1, b is true, ts is not null from t where b"),
                 "SELECT ?, (c7 IS TRUE), (c4 IS NOT NULL) FROM __sl_t WHERE c7"));
    cr_assert(eq(str, render("select concat(max(nme), '!') from t"),
                 "SELECT __sl_f0(max(c1)) FROM __sl_t"));
    /* a plain query's HAVING filters rows; constant GROUP BY / ORDER BY terms are dropped */
    cr_assert(eq(str, render("select id from t having id > 1 order by 'x'"),
                 "SELECT c0 FROM __sl_t WHERE (c0 > ?)"));
    cr_assert(eq(str, render("select count(*) from t group by 'x'"),
                 "SELECT count(*) FROM __sl_t GROUP BY NULL"));
}

/* Only the renderer names functions: everything else is refused by an authorizer here, the
 * way fuzz_sql checks random statements. */
static int guard(void *arg, int op, const char *a, const char *b, const char *c, const char *d)
{
    (void)arg, (void)a, (void)c, (void)d;
    if (op == SQLITE_FUNCTION && strncmp(b, "__sl_", 5) != 0 && strcmp(b, "count") != 0 &&
        strcmp(b, "min") != 0 && strcmp(b, "max") != 0)
        return SQLITE_DENY;
    return SQLITE_OK;
}

Test(sqlite_render, only_renderer_functions_reach_sqlite)
{
    static const char *const queries[] = {
        "select concat('a','b'), concat_ws('-', nme, nme), substr(nme, 2), left(nme, 1), "
        "right(nme, 2), trim(' x '), length(nme), char_length(nme), upper(nme), lower(nme), "
        "replace(nme, 'a', 'b'), split_part('a,b', ',', 2), lpad(nme, 8, '*'), rpad(nme, 8, "
        "'*'), md5(nme), sha2(nme, 256) from t",
        "select year(ts), month(d), day(d), hour(ts), minute(ts), second(ts), dayofweek(d), "
        "dayofyear(d), quarter(d), weekday(d), to_date(ts), datediff(ts, d), date_format(ts, "
        "'%Y'), str_to_date('2024-01-02', '%Y-%m-%d'), from_unixtime(10), unix_timestamp(ts), "
        "now(), curdate(), current_timestamp, date_add(d, interval 1 day), date_sub(ts, "
        "interval 2 hour), months_add(d, 1), years_sub(ts, 1) from t",
        "select abs(id), floor(x), ceil(price), round(x, 1), mod(id, 2), pow(x, 2), sqrt(x), "
        "ln(x), log10(x), exp(1), if(b, 1, 2), ifnull(nme, 'z'), nvl(nme, 'z'), coalesce(nme, "
        "'z'), nullif(id, 1) from t",
        "select sum(id), avg(x), group_concat(nme separator '/'), stddev(x), var_samp(x), "
        "bit_xor(k), sum(distinct price), min(wide), max(ts) from t",
        "select cast(id as varchar(3)), cast(nme as int), cast(price as double), cast(d as "
        "datetime), cast(ts as date), nme regexp 'a', id <=> 3, id div 2 from t"};
    for (size_t i = 0; i < SL_COUNT(queries); i++) {
        char *sql = render(queries[i]);
        sqlite3_stmt *st = NULL;
        sqlite3_set_authorizer(DB, guard, NULL);
        int rc = sqlite3_prepare_v2(DB, sql, -1, &st, NULL);
        sqlite3_set_authorizer(DB, NULL, NULL);
        cr_assert(eq(int, rc, SQLITE_OK), "%s\n%s", sql, sqlite3_errmsg(DB));
        cr_assert(sqlite3_stmt_readonly(st));
        sqlite3_finalize(st);
        char *out;
        cr_assert(eq(int, run_lim(queries[i], NULL, &out), SL_OK), "%s: %s", queries[i], E.msg);
    }
}

/* ---- answers --------------------------------------------------------------------------------- */

Test(sqlite_render, values_by_type)
{
    expect("select id, nme, price, d, ts, big, x, b, wide from t where id = 1",
           "1|alice|10.10|2024-01-01|2024-01-01 10:00:00.123|7|1.5|1|12345.6789");
    expect("select id from t where d >= '2024-01-01' order by id", "1;2");
    expect("select id from t where ts < '2024-01-01 10:00:00.123' order by id", "3");
    expect("select id from t where big > 0 and wide < 10 order by big", "3");
    expect("select d, count(*) from t group by d order by d desc",
           "2024-02-01|1;2024-01-01|1;2023-12-31|1");
    expect("select nme from t order by big", "bob;carol;alice");
    expect("select concat(nme, '!'), nme like '%o%', nme regexp '^c' from t order by id",
           "alice!|0|0;bob!|1|0;carol!|1|1");
    expect("select date_add(d, interval 1 month), year(ts) from t where id = 3",
           "2024-01-31|2023");
    expect("select now(), from_unixtime(0)", "2024-01-01 10:00:00|1970-01-01 00:00:00");
}

/* Exact sums: integers and decimals in 128 bits, an overflow is an error, never a wrong value. */
Test(sqlite_render, exact_aggregates)
{
    expect("select sum(price), avg(price), sum(wide), avg(wide), sum(big), avg(id), count(*) "
           "from t",
           "30.31|10.1033|12344.6793|4114.8931|3|2|3");
    expect("select group_concat(nme), group_concat(nme separator '|'), group_concat(distinct b) "
           "from t where id < 3",
           "alice, bob|alice|bob|1, 0");
    expect("select sum(k) from t where id > 1", "-2");
    char *out;
    cr_assert(eq(int, run_lim("select sum(k) from t where id < 3", NULL, &out), SL_TOO_LARGE));
    cr_assert(strstr(E.msg, "Arithmetic overflow: sum of these values does not fit bigint") != NULL,
              "%s", E.msg);
    cr_assert(eq(int, run_lim("select k + 1 from t where id = 1", NULL, &out), SL_OK));
    cr_assert(eq(str, out, "\\N")); /* BIGINT overflow is NULL in an expression, as in loads */
    expect("select stddev_pop(x), var_pop(x), bit_and(id), bit_or(id) from t",
           "0.9204467514322718|0.8472222222222223|0|3");
    expect("select sum(id) from t where id > 10", "\\N");
    expect("select count(*) from t where id > 10", "0");
}

/* Limits: rows and bytes of the result, one value's size, group_concat's growth, time. */
Test(sqlite_render, limits)
{
    char *out;
    sl_query_limits lim = {.max_rows = 2};
    cr_assert(eq(int, run_lim("select id from t", &lim, &out), SL_TOO_LARGE));
    cr_assert(strstr(E.msg, "more than 2 rows") != NULL, "%s", E.msg);
    lim = (sl_query_limits){.max_bytes = 2000};
    cr_assert(eq(int, run_lim("select lpad('x', 3000, 'y')", &lim, &out), SL_TOO_LARGE));
    cr_assert(strstr(E.msg, "MEM_LIMIT_EXCEEDED") != NULL, "%s", E.msg);
    cr_assert(eq(int, run_lim("select group_concat(lpad(nme, 900, '.')) from t", &lim, &out),
                 SL_TOO_LARGE));
    cr_assert(strstr(E.msg, "group_concat result would exceed 2000 bytes") != NULL, "%s", E.msg);
    lim = (sl_query_limits){.max_bytes = 1536 * 1024};
    cr_assert(eq(int, run_lim("select lpad(nme, 600000, '.') from t", &lim, &out), SL_TOO_LARGE));
    cr_assert(strstr(E.msg, "the result is larger than 1572864 bytes") != NULL, "%s", E.msg);
    /* (two computed text columns that could make one row of 2 MiB are refused by the store
     * before any engine runs them: tests/unit/store/test_store.c) */
    cr_assert(eq(int, run_lim("select upper(nme), nme, count(*) from t group by nme", &lim, &out),
                 SL_OK), "%s", E.msg);
}

static sl_code slow_meta(void *arg, const sl_qcol *c, size_t n)
{
    (void)arg, (void)c, (void)n;
    return SL_OK;
}

static sl_code slow_row(void *arg, const sl_qval *v, size_t n)
{
    (void)v, (void)n;
    if ((*(int *)arg)++ == 0)
        sleep(2); /* the deadline passes while the statement is still stepping */
    return SL_OK;
}

/* The timeout interrupts a running statement (the progress handler) with Doris's text. */
Test(sqlite_render, timeout, .timeout = 30)
{
    for (int i = 0; i < 11; i++) /* 3 * 2^11 rows: many thousand VM steps after the first row */
        sqlite3_exec(DB, "INSERT INTO " SL_SQ_VIEW " SELECT * FROM " SL_SQ_VIEW, NULL, NULL, NULL);
    int rows = 0;
    sl_query_limits lim = {.timeout_s = 1};
    sl_query_sink sink = {slow_meta, slow_row, &rows};
    cr_assert(eq(int, sl__sq_run(DB, bound("select id, upper(nme) from t"), &lim, &sink, &E),
                 SL_TIMEOUT));
    cr_assert(eq(str, E.msg, "Query exceeded time limit of 1 seconds"));
    cr_assert(lt(int, rows, 3 * 2048));
}

/* ---- the shared cases of tests/data/sql/select_cases.txt ---------------------------------------- */

#include "select_cases.h"

static sc_file CASES;

/* The file's table in place of the fixture's, with its rows in the v2 encoding. */
static const sl_tabledef *load_cases(void)
{
    sl_stmt st;
    sl_err_clear(&E);
    cr_assert(sc_load(&CASES), "cannot read tests/data/sql/select_cases.txt");
    cr_assert(eq(int, sl_sql_parse(CASES.table, strlen(CASES.table), &A, &st, &E), SL_OK), "%s",
              E.msg);
    const sl_tabledef *def = st.table;
    sl_buf sql = SL_BUF_INIT;
    sl_buf_puts(&sql, "DROP TABLE " SL_SQ_VIEW "; CREATE TABLE " SL_SQ_VIEW "(");
    for (size_t c = 0; c < def->n_cols; c++)
        sl_buf_printf(&sql, "%sc%zu", c ? "," : "", c);
    sl_buf_puts(&sql, ")");
    cr_assert(eq(int, sqlite3_exec(DB, sql.p, NULL, NULL, NULL), SQLITE_OK));
    sl_buf_clear(&sql);
    sl_buf_puts(&sql, "INSERT INTO " SL_SQ_VIEW " VALUES (?");
    for (size_t c = 1; c < def->n_cols; c++)
        sl_buf_puts(&sql, ",?");
    sl_buf_puts(&sql, ")");
    sqlite3_stmt *ins;
    cr_assert(eq(int, sqlite3_prepare_v2(DB, sql.p, -1, &ins, NULL), SQLITE_OK));
    sl_buf_free(&sql);
    for (size_t r = 0; r < CASES.n_rows; r++) {
        char copy[1024], *f[64];
        size_t n = sc_fields(CASES.rows[r], copy, sizeof copy, f, 64);
        cr_assert(eq(sz, n, def->n_cols), "row %zu", r);
        for (size_t c = 0; c < n; c++) {
            const sl_type *t = &def->cols[c].type;
            sl_datum v;
            uint8_t wide[16];
            sl_conv_ctx cc = {0};
            if (strcmp(f[c], "\\N") == 0) {
                sqlite3_bind_null(ins, (int)c + 1);
                continue;
            }
            cr_assert(eq(int, sl_convert(t, sl_slice_of(f[c]), &v, &cc), SL_CONV_OK), "%s", f[c]);
            if (sl_type_is_text(t))
                sqlite3_bind_text(ins, (int)c + 1, v.s.p, (int)v.s.n, SQLITE_TRANSIENT);
            else if (t->id == SL_FLOAT || t->id == SL_DOUBLE)
                sqlite3_bind_double(ins, (int)c + 1, v.d);
            else if (sl__sq_wide(t))
                sl__sq_wide_put(wide, v.w), sqlite3_bind_blob(ins, (int)c + 1, wide, 16,
                                                              SQLITE_TRANSIENT);
            else if (t->id == SL_DECIMAL || t->id == SL_LARGEINT)
                sqlite3_bind_int64(ins, (int)c + 1, (sqlite3_int64)v.w);
            else
                sqlite3_bind_int64(ins, (int)c + 1, v.i);
        }
        cr_assert(eq(int, sqlite3_step(ins), SQLITE_DONE));
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    return def;
}

static sl_code case_row(void *arg, const sl_qval *v, size_t n)
{
    res *r = arg;
    if (r->out.len || r->types[63].id == 1)
        sl_buf_putc(&r->out, ';');
    r->types[63].id = 1; /* a row was seen (an empty first row prints as "") */
    for (size_t i = 0; i < n; i++) {
        if (i)
            sl_buf_putc(&r->out, '|');
        sc_value(&r->out, &r->types[i], v[i].null, &v[i].v);
    }
    return SL_OK;
}

Test(sqlite_render, shared_cases)
{
    const sl_tabledef *def = load_cases();
    int failed = 0;
    for (size_t i = 0; i < CASES.n_cases; i++) {
        const sc_case *c = &CASES.cases[i];
        if (c->only[0] && strcmp(c->only, "sqlite") != 0)
            continue;
        sl_stmt st;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        sl_select_env env = {8 * 3600, (int64_t)ts.tv_sec * 1000000, SL_LIT("db"), NULL};
        res r = {SL_BUF_INIT, {{0}}};
        sl_query_sink sink = {meta, case_row, &r};
        sl_err_clear(&E);
        sl_code rc = sl_sql_parse(c->sql, strlen(c->sql), &A, &st, &E);
        if (rc == SL_OK)
            rc = sl_select_bind(&st.select, st.select.table.n ? def : NULL, &env, &A, &E);
        if (rc == SL_OK)
            rc = sl__sq_run(DB, &st.select, NULL, &sink, &E);
        bool ok = c->error ? rc != SL_OK && strstr(E.msg, c->want) != NULL
                           : rc == SL_OK && strcmp(r.out.p ? r.out.p : "", c->want) == 0;
        if (!ok) {
            failed++;
            cr_log_error("case '%s':\n  sql:  %s\n  want: %s%s\n  got:  %s", c->name, c->sql,
                         c->error ? "error " : "", c->want, rc ? E.msg : r.out.p ? r.out.p : "");
        }
        sl_buf_free(&r.out);
    }
    cr_assert(eq(int, failed, 0), "%d of %zu cases failed", failed, CASES.n_cases);
}

/* Every function the expression engine knows is called by at least one shared case. */
#include "expr/internal.h"

Test(sqlite_render, shared_cases_cover_every_function)
{
    static const struct {
        const sl__func *v;
        const size_t *n;
    } tabs[] = {{sl__expr_funcs_time, &sl__expr_n_funcs_time},
                {sl__expr_funcs_string, &sl__expr_n_funcs_string},
                {sl__expr_funcs_math, &sl__expr_n_funcs_math},
                {sl__expr_funcs_string2, &sl__expr_n_funcs_string2},
                {sl__expr_funcs_regexp, &sl__expr_n_funcs_regexp},
                {sl__expr_funcs_math2, &sl__expr_n_funcs_math2},
                {sl__expr_funcs_date2, &sl__expr_n_funcs_date2},
                {sl__expr_funcs_json, &sl__expr_n_funcs_json},
                {sl__expr_funcs_hash, &sl__expr_n_funcs_hash}};
    cr_assert(sc_load(&CASES));
    int missing = 0;
    for (size_t t = 0; t < SL_COUNT(tabs); t++)
        for (size_t k = 0; k < *tabs[t].n; k++) {
            const char *name = tabs[t].v[k].name;
            bool found = false;
            for (size_t i = 0; i < CASES.n_cases && !found; i++) {
                for (const char *p = CASES.cases[i].sql; !found && (p = strstr(p, name)); p++) {
                    char before = p == CASES.cases[i].sql ? ' ' : p[-1], after = p[strlen(name)];
                    found = !(before == '_' || (before >= 'a' && before <= 'z')) &&
                            (after == '(' || (after == ' ' && strcmp(name, "current_date") == 0) ||
                             (after == ' ' && strcmp(name, "current_timestamp") == 0));
                }
            }
            if (!found)
                cr_log_error("no case calls %s", name), missing++;
        }
    cr_assert(eq(int, missing, 0));
}
