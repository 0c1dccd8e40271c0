/*
 * test_sqlite_scan.c - unit tests of the SQLite engine's vectorised scan (src/store/sqlite/
 * scan.c, scan_agg.c) through the store: every case of tests/data/sql/select_cases.txt over
 * real segment files gives the file's answer, and most of them are run by the scan; on a
 * larger table of several segments and row groups, the scan and SQLite (the scan switched
 * off) give the same rows for the query shapes the scan covers; past its budget the scan
 * leaves the query to SQLite, as it does every query reading an ARRAY or VARIANT column or
 * with a long IN list.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch/convert.h"
#include "select_cases.h"
#include "sql/sql.h"
#include "store/ledger.h"
#include "store/sqlite/internal.h"

static char dir[256];
static sl_store *st;
static sl_arena_t A;
static sc_file CASES;

static void setup(void)
{
    sl_err e = {0};
    snprintf(dir, sizeof dir, "/tmp/sl-scan-XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
    cr_assert(eq(int, sl_store_global_init(&e), SL_OK));
    sl_store_opts o = {.data_dir = dir, .node = {"127.0.0.1", 1, 2, 3}};
    cr_assert(eq(int, sl_store_open(&o, &st, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(int, sl_store_create_db(st, SL_LIT("db"), false, &e), SL_OK));
    sl_arena_init(&A, 0);
}

static void teardown(void)
{
    sl_store_close(st);
    sl_arena_free(&A);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert(eq(int, system(cmd), 0));
}

static const sl_tabledef *create(const char *ddl)
{
    sl_stmt stmt;
    sl_err e = {0};
    cr_assert(eq(int, sl_sql_parse(ddl, strlen(ddl), &A, &stmt, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(int, sl_store_create_table(st, SL_LIT("db"), stmt.table, sl_slice_of(ddl),
                                            false, &e), SL_OK), "%s", e.msg);
    return stmt.table;
}

/* Commit the rows of b into table name as one load. */
static void load_batch(const char *name, const sl_tabledef *def, sl_batch *b, const char *label)
{
    sl_err e = {0};
    int64_t id;
    sl_slice ddl;
    cr_assert(eq(int, sl_store_get_table(st, SL_LIT("db"), sl_slice_of(name), &A, &ddl, &id, &e),
                 SL_OK));
    sl_begin_opts bo = {.db = SL_LIT("db"), .table = sl_slice_of(name), .def = def,
                         .table_id = id, .label = sl_slice_of(label), .seq_col = -1};
    sl_txn *t;
    sl_label_info li;
    cr_assert(eq(int, sl_store_begin(st, &bo, &t, &li, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(int, sl_store_append(t, b, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(int, sl_store_commit(t, NULL, &e), SL_OK), "%s", e.msg);
}

typedef struct res {
    sl_buf out;
    sl_type types[64];
    bool any;
} res;

static sl_code meta(void *arg, const sl_qcol *c, size_t n)
{
    res *r = arg;
    for (size_t i = 0; i < n && i < 64; i++)
        r->types[i] = c[i].type;
    return SL_OK;
}

static sl_code row(void *arg, const sl_qval *v, size_t n)
{
    res *r = arg;
    if (r->any)
        sl_buf_putc(&r->out, ';');
    r->any = true;
    for (size_t i = 0; i < n; i++) {
        if (i)
            sl_buf_putc(&r->out, '|');
        sc_value(&r->out, &r->types[i], v[i].null, &v[i].v);
    }
    return SL_OK;
}

/* Run sql; the rows as text (or "error: <message>") into out, which the caller frees. */
static sl_code run(const char *sql, const sl_query_limits *lim, sl_buf *out)
{
    sl_stmt stmt;
    sl_err e = {0};
    res r = {SL_BUF_INIT, {{0}}, false};
    sl_query_sink sink = {meta, row, &r};
    sl_query_limits l = lim ? *lim : (sl_query_limits){0};
    l.tz_offset_s = 8 * 3600;
    sl_code rc = sl_sql_parse(sql, strlen(sql), &A, &stmt, &e);
    if (rc == SL_OK)
        rc = sl_store_query(st, SL_LIT("db"), &stmt.select, &l, &sink, &e);
    if (rc != SL_OK) {
        sl_buf_clear(&r.out);
        sl_buf_printf(&r.out, "error: %s", e.msg);
    }
    *out = r.out;
    return rc;
}

/* The case file's rows, loaded in two loads (two segments). */
static const sl_tabledef *load_cases(void)
{
    cr_assert(sc_load(&CASES), "cannot read tests/data/sql/select_cases.txt");
    const sl_tabledef *def = create(CASES.table);
    sl_batch b;
    cr_assert(eq(int, sl_batch_init(&b, def), SL_OK));
    static char copy[64][1024];
    for (size_t r = 0; r < CASES.n_rows; r++) {
        char *f[64];
        size_t n = sc_fields(CASES.rows[r], copy[r], sizeof copy[r], f, 64);
        cr_assert(eq(sz, n, def->n_cols));
        for (size_t c = 0; c < n; c++) {
            sl_conv_ctx cc = {0};
            b.cols[c].null[b.n_rows] = strcmp(f[c], "\\N") == 0;
            if (!b.cols[c].null[b.n_rows])
                cr_assert(eq(int, sl_convert(&def->cols[c].type, sl_slice_of(f[c]),
                                             &b.cols[c].v[b.n_rows], &cc), SL_CONV_OK));
        }
        b.n_rows++;
        if (r == 2 || r + 1 == CASES.n_rows) {
            load_batch("t", def, &b, r == 2 ? "first" : "second");
            sl_batch_clear(&b);
        }
    }
    sl_batch_free(&b);
    return def;
}

TestSuite(sqlite_scan, .init = setup, .fini = teardown, .timeout = 120);

Test(sqlite_scan, shared_cases_mostly_scanned)
{
    load_cases();
    sl_engine *e = st->e;
    int failed = 0, scanned = 0, with_from = 0;
    for (size_t i = 0; i < CASES.n_cases; i++) {
        const sc_case *c = &CASES.cases[i];
        if (c->only[0] && strcmp(c->only, "sqlite") != 0)
            continue;
        uint64_t before = e->n_scans, sq = e->n_sqlite;
        sl_buf out;
        sl_code rc = run(c->sql, NULL, &out);
        const char *got = out.p ? out.p : "";
        bool ok = c->error ? rc != SL_OK && strstr(got, c->want) != NULL
                           : rc == SL_OK && strcmp(got, c->want) == 0;
        if (!ok) {
            failed++;
            cr_log_error("case '%s':\n  sql:  %s\n  want: %s%s\n  got:  %s", c->name, c->sql,
                         c->error ? "error " : "", c->want, got);
        }
        if (e->n_scans > before)
            scanned++;
        if (e->n_scans > before || e->n_sqlite > sq)
            with_from++;
        sl_buf_free(&out);
    }
    cr_assert(eq(int, failed, 0), "%d of %zu cases failed", failed, CASES.n_cases);
    cr_log_info("%d of %d cases over the table run by the scan", scanned, with_from);
    cr_assert(ge(int, scanned * 10, with_from * 8), "%d of %d scanned", scanned, with_from);
}

/* ---- a larger table: the scan against SQLite ---- */

static const char big_ddl[] =
    "CREATE TABLE big (id BIGINT, g INT, price DECIMAL(15,2), d DATE, s VARCHAR(20), x DOUBLE, "
    "w DECIMAL(30,4)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1";

/* Three loads of 30000 rows: several row groups and segments, NULLs, repeated keys. */
static void load_big(void)
{
    const sl_tabledef *def = create(big_ddl);
    /* group keys of text up to 8 bytes are hashed and compared as one word: some values are
     * 8 bytes ("deliver1"), some longer, two longer ones share their first 8 bytes */
    static const char *const words[] = {"AIR", "MAIL",        "SHIP",      "apple",  "Zebra",
                                        "",    "deliverable", "deliverab", "deliver"};
    static char text[30000][24];
    sl_batch b;
    int64_t id = 0;
    cr_assert(eq(int, sl_batch_init(&b, def), SL_OK));
    for (int l = 0; l < 3; l++) {
        for (int r = 0; r < 30000; r++, id++) {
            if (b.n_rows == b.cap_rows) {
                char label[32];
                snprintf(label, sizeof label, "big-%d-%d", l, r);
                load_batch("big", def, &b, label);
                sl_batch_clear(&b);
            }
            size_t k = b.n_rows;
            for (size_t c = 0; c < def->n_cols; c++)
                b.cols[c].null[k] = 0;
            b.cols[0].v[k].i = id;
            b.cols[1].v[k].i = (id * 7919) % 12007; /* ~12000 groups */
            b.cols[1].null[k] = id % 97 == 0;
            b.cols[2].v[k].w = (id * 104729) % 1000000 - 20000;
            b.cols[3].v[k].i = 8000 + id % 3000 + l * 400; /* later loads: later dates */
            snprintf(text[r], sizeof text[r], "%s%lld", words[id % 9], (long long)(id % 13));
            b.cols[4].v[k].s.p = text[r];
            b.cols[4].v[k].s.n = strlen(text[r]);
            b.cols[4].null[k] = id % 11 == 0;
            b.cols[5].v[k].d = (double)(id % 1000) / 7.0 - 50;
            b.cols[6].v[k].w = ((sl_i128)id << 70) / 3 - 5;
            b.n_rows++;
        }
        char label[32];
        snprintf(label, sizeof label, "big-%d", l);
        load_batch("big", def, &b, label);
        sl_batch_clear(&b);
    }
    sl_batch_free(&b);
}

static const char *const big_queries[] = {
    "SELECT g, count(*), sum(price), avg(price), min(s), max(d) FROM big WHERE d <= '1995-06-01' "
    "GROUP BY g ORDER BY g LIMIT 50",
    "SELECT s, count(*), count(distinct g), sum(w), stddev(x) FROM big GROUP BY s ORDER BY s",
    "SELECT s, g % 3, count(*) FROM big WHERE id % 5 = 1 GROUP BY s, g % 3 ORDER BY s, 2",
    "SELECT g, sum(price * 2) AS rev FROM big GROUP BY g ORDER BY rev DESC, g LIMIT 7 OFFSET 3",
    "SELECT g, count(*) AS n FROM big GROUP BY g HAVING count(*) > 8 ORDER BY n DESC, g LIMIT 20",
    "SELECT id, price, s FROM big WHERE s LIKE 'a%' AND price > 0 ORDER BY price DESC, id "
    "LIMIT 10",
    "SELECT id, d FROM big WHERE d BETWEEN '1992-01-01' AND '1992-01-03' ORDER BY id",
    "SELECT DISTINCT s FROM big WHERE id < 5000 ORDER BY s",
    "SELECT count(*), count(g), count(distinct s), min(w), max(w), sum(x) FROM big",
    "SELECT count(*) FROM big WHERE id IN (1, 5, 99999, 89999) OR g IS NULL",
    "SELECT g, group_concat(s) FROM big WHERE id < 200 AND g < 500 GROUP BY g ORDER BY g",
    "SELECT max(id) FROM big WHERE d > '2010-01-01'",
    "SELECT d, count(*) FROM big WHERE d >= '1991-11-01' GROUP BY d ORDER BY count(*) DESC, d "
    "LIMIT 5",
    "SELECT id * 2, upper(s), x FROM big WHERE id % 1000 = 7 ORDER BY id",
    "SELECT g % 10 AS m, sum(price) FROM big GROUP BY g % 10 ORDER BY m",
    /* COUNT DISTINCT: bitmaps per group, then (past 64 MiB of them) a hash set */
    "SELECT g, count(DISTINCT id), sum(DISTINCT id % 100), count(DISTINCT d) FROM big GROUP BY g "
    "ORDER BY count(DISTINCT id) DESC, g LIMIT 20",
    /* terms the scan tests itself: ranges, <>, IN with NULL, text bounds, IS [NOT] NULL */
    "SELECT count(*), sum(id) FROM big WHERE g <> 5 AND s IN ('AIR1', 'MAIL2', NULL) "
    "AND x < 10.5",
    "SELECT count(*), min(id), max(s) FROM big WHERE s >= 'S' AND s < 'a' AND w IS NOT NULL "
    "AND price <= 150000.00 AND price > -19999.99",
    "SELECT count(*) FROM big WHERE id > 9223372036854775806 OR g IS NULL",
    "SELECT count(*) FROM big WHERE 89990 <= id AND d <> '1992-01-01' AND s IS NULL",
    "SELECT id FROM big WHERE id BETWEEN 100 AND 120 AND x >= -49.5 AND g NOT IN (1, 2) "
    "ORDER BY id",
};

Test(sqlite_scan, agrees_with_sqlite_on_a_larger_table)
{
    load_big();
    sl_engine *e = st->e;
    for (size_t i = 0; i < SL_COUNT(big_queries); i++) {
        sl_buf fast, slow;
        uint64_t before = e->n_scans;
        cr_assert(eq(int, run(big_queries[i], NULL, &fast), SL_OK), "%s: %s", big_queries[i],
                  fast.p);
        cr_assert(eq(u64, e->n_scans, before + 1), "not scanned: %s", big_queries[i]);
        e->scan_off = true;
        cr_assert(eq(int, run(big_queries[i], NULL, &slow), SL_OK), "%s", slow.p);
        e->scan_off = false;
        cr_assert(gt(sz, fast.len, 0), "%s gave no rows", big_queries[i]);
        cr_assert(eq(str, fast.p, slow.p), "%s", big_queries[i]);
        sl_buf_free(&fast);
        sl_buf_free(&slow);
    }
}

Test(sqlite_scan, past_the_budget_sqlite_answers)
{
    load_big();
    sl_engine *e = st->e;
    sl_query_limits lim = {.mem_bytes = 64 << 10}; /* a 16 KiB budget: far too little */
    const char *q = "SELECT g, count(*) FROM big GROUP BY g ORDER BY g DESC LIMIT 3";
    sl_buf small, full;
    uint64_t sq = e->n_sqlite;
    cr_assert(eq(int, run(q, &lim, &small), SL_OK), "%s", small.p);
    cr_assert(eq(u64, e->n_sqlite, sq + 1));
    cr_assert(eq(int, run(q, NULL, &full), SL_OK));
    cr_assert(eq(str, small.p, full.p));
    cr_assert(eq(str, full.p, "12006|8;12005|7;12004|7"), "%s", full.p);
    sl_buf_free(&small);
    sl_buf_free(&full);
}

Test(sqlite_scan, limits_and_errors_as_on_sqlite)
{
    load_big();
    sl_query_limits lim = {.max_rows = 100};
    sl_buf out;
    cr_assert(eq(int, run("SELECT id FROM big", &lim, &out), SL_TOO_LARGE));
    cr_assert(strstr(out.p, "the result has more than 100 rows") != NULL, "%s", out.p);
    sl_buf_free(&out);
    cr_assert(eq(int, run("SELECT id FROM big LIMIT 100", &lim, &out), SL_OK));
    sl_buf_free(&out);
    lim = (sl_query_limits){.max_bytes = 4096};
    cr_assert(eq(int, run("SELECT group_concat(s) FROM big", &lim, &out), SL_TOO_LARGE));
    cr_assert(strstr(out.p, "group_concat result would exceed 4096 bytes") != NULL, "%s", out.p);
    sl_buf_free(&out);
}

/* ---- NaN: kept in the column chunks, answered as SQLite answers ---- */

/* Two loads of 1000 rows; the first has NaN in x (id % 10 == 3) and NULL (id % 10 == 7). */
static void load_nan(void)
{
    const sl_tabledef *def = create("CREATE TABLE nan (id BIGINT, x DOUBLE, g INT) DUPLICATE "
                                    "KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1");
    sl_batch b;
    cr_assert(eq(int, sl_batch_init(&b, def), SL_OK));
    for (int64_t id = 0; id < 2000; id++) {
        size_t k = b.n_rows++;
        b.cols[0].v[k].i = id, b.cols[0].null[k] = 0;
        b.cols[1].v[k].d = id < 1000 && id % 10 == 3 ? NAN : (double)id / 4.0;
        b.cols[1].null[k] = id < 1000 && id % 10 == 7;
        b.cols[2].v[k].i = id % 5, b.cols[2].null[k] = 0;
        if (id == 999 || id == 1999) {
            load_batch("nan", def, &b, id == 999 ? "nan-1" : "nan-2");
            sl_batch_clear(&b);
        }
    }
    sl_batch_free(&b);
}

/* Run q with the scan allowed and with SQLite only: the same rows; *scanned: did the scan run
 * it. The rows into out (caller frees). */
static void both_ways(const char *q, sl_buf *out, bool *scanned)
{
    sl_engine *e = st->e;
    sl_buf slow;
    uint64_t before = e->n_scans;
    cr_assert(eq(int, run(q, NULL, out), SL_OK), "%s: %s", q, out->p);
    *scanned = e->n_scans > before;
    e->scan_off = true;
    cr_assert(eq(int, run(q, NULL, &slow), SL_OK), "%s", slow.p);
    e->scan_off = false;
    cr_assert(eq(str, out->p ? out->p : "", slow.p ? slow.p : ""), "%s", q);
    sl_buf_free(&slow);
}

Test(sqlite_scan, nan_kept_and_answered_as_sqlite)
{
    load_nan();
    static const char *const qs[] = {
        "SELECT id, x FROM nan ORDER BY x DESC, id LIMIT 3",
        "SELECT count(*) FROM nan WHERE x > 100000",
        "SELECT count(*) FROM nan WHERE x IS NULL",
        "SELECT g, count(*), count(x), sum(x), min(x), max(x) FROM nan GROUP BY g ORDER BY g",
        "SELECT count(DISTINCT x) FROM nan",
        "SELECT id FROM nan WHERE x >= 490 ORDER BY x, id LIMIT 4",
        "SELECT g, count(*) FROM nan WHERE id % 10 = 3 GROUP BY g ORDER BY g",
    };
    sl_buf out[SL_COUNT(qs)];
    bool scanned[SL_COUNT(qs)];
    for (size_t i = 0; i < SL_COUNT(qs); i++)
        both_ways(qs[i], &out[i], &scanned[i]);
    for (size_t i = 0; i < SL_COUNT(qs); i++)
        cr_log_info("%s -> %s (%s)", qs[i], out[i].p, scanned[i] ? "scan" : "sqlite");
    /* NaN is a value above every number, not NULL (it was NULL before main kept NaN) */
    cr_assert(eq(str, out[0].p, "3|NaN;13|NaN;23|NaN"), "%s", out[0].p);
    cr_assert(eq(str, out[1].p, "100"), "%s", out[1].p);
    cr_assert(eq(str, out[2].p, "100"), "%s", out[2].p);
    cr_assert(not(scanned[0] || scanned[1]), "queries reading NaN values go to SQLite");
    cr_assert(scanned[6], "a query that does not read x is still scanned");
    for (size_t i = 0; i < SL_COUNT(qs); i++)
        sl_buf_free(&out[i]);
}

/* ---- ARRAY / VARIANT columns: stored as bytes, every query touching them answered by SQLite */

/* Run q with the scan allowed and with SQLite only: the same bytes (values may hold NULs). */
static void both_ways_bytes(const char *q, sl_buf *out, bool *scanned)
{
    sl_engine *e = st->e;
    sl_buf slow;
    uint64_t before = e->n_scans;
    cr_assert(eq(int, run(q, NULL, out), SL_OK), "%s: %s", q, out->p);
    *scanned = e->n_scans > before;
    e->scan_off = true;
    cr_assert(eq(int, run(q, NULL, &slow), SL_OK), "%s", slow.p);
    e->scan_off = false;
    cr_assert(eq(sz, out->len, slow.len), "%s", q);
    cr_assert(out->len == 0 || memcmp(out->p, slow.p, out->len) == 0, "%s", q);
    sl_buf_free(&slow);
}

Test(sqlite_scan, complex_columns_go_to_sqlite)
{
    const sl_tabledef *def = create("CREATE TABLE cx (id BIGINT, a ARRAY<INT>, v VARIANT, "
                                    "s VARCHAR(8)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) "
                                    "BUCKETS 1");
    sl_batch b;
    cr_assert(eq(int, sl_batch_init(&b, def), SL_OK));
    sl_conv_ctx cc = {.arena = &b.arena};
    char text[64];
    for (int64_t id = 0; id < 300; id++) {
        size_t k = b.n_rows++;
        b.cols[0].v[k].i = id, b.cols[0].null[k] = 0;
        snprintf(text, sizeof text, "[%lld, %lld]", (long long)id, (long long)id % 7);
        cr_assert(eq(int, sl_convert(&def->cols[1].type, sl_slice_of(text), &b.cols[1].v[k],
                                     &cc), SL_CONV_OK));
        b.cols[1].null[k] = id % 10 == 4;
        snprintf(text, sizeof text, "{\"k\": %lld}", (long long)id);
        cr_assert(eq(int, sl_convert(&def->cols[2].type, sl_slice_of(text), &b.cols[2].v[k],
                                     &cc), SL_CONV_OK));
        b.cols[2].null[k] = 0;
        b.cols[3].v[k].s.p = id % 2 ? "odd" : "even";
        b.cols[3].v[k].s.n = id % 2 ? 3 : 4;
        b.cols[3].null[k] = 0;
    }
    sl_datum want;
    cr_assert(eq(int, sl_convert(&def->cols[1].type, SL_LIT("[7, 0]"), &want, &cc),
                 SL_CONV_OK));
    load_batch("cx", def, &b, "cx-1");
    static const char *const qs[] = {
        "SELECT a FROM cx WHERE id = 7",
        "SELECT id, a, v FROM cx ORDER BY id LIMIT 5",
        "SELECT count(*) FROM cx WHERE a IS NULL",
        "SELECT s, count(v) FROM cx GROUP BY s ORDER BY s",
        "SELECT s, count(*) FROM cx GROUP BY s ORDER BY s",
    };
    sl_buf out[SL_COUNT(qs)];
    bool scanned[SL_COUNT(qs)];
    for (size_t i = 0; i < SL_COUNT(qs); i++)
        both_ways_bytes(qs[i], &out[i], &scanned[i]);
    /* the ARRAY's bytes come back as they were loaded (a BLOB through the segment table) */
    cr_assert(eq(sz, out[0].len, want.s.n));
    cr_assert(memcmp(out[0].p, want.s.p, want.s.n) == 0);
    cr_assert(eq(str, out[2].p, "30"), "%s", out[2].p);
    for (size_t i = 0; i < 4; i++)
        cr_assert(not(scanned[i]), "%s reads a complex column: SQLite answers it", qs[i]);
    cr_assert(scanned[4], "a query that reads no complex column is still scanned");
    for (size_t i = 0; i < SL_COUNT(qs); i++)
        sl_buf_free(&out[i]);
    /* a long IN list goes to SQLite too (which looks rows up in an index of the list rather
     * than comparing every element with every row); a short one is scanned */
    sl_buf q = SL_BUF_INIT, got;
    bool sc;
    for (int n = 3; n <= 3000; n += 2997) {
        sl_buf_clear(&q);
        sl_buf_puts(&q, "SELECT count(*) FROM cx WHERE id IN (");
        for (int i = 0; i < n; i++)
            sl_buf_printf(&q, "%s%d", i ? "," : "", 2 * i);
        sl_buf_puts(&q, ")");
        both_ways_bytes(q.p, &got, &sc);
        cr_assert(eq(str, got.p, n == 3 ? "3" : "150"), "%s", got.p);
        cr_assert(eq(int, sc, n == 3), "IN list of %d", n);
        sl_buf_free(&got);
    }
    sl_buf_free(&q);
    sl_batch_free(&b);
}
