/* Unit tests of the store (src/store/: the ledger over an engine): catalog, labels, commit,
 * abort, 2PC, history, users, nodes, queries, compaction and recovery, on a temporary data
 * directory with the embedded engine.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pthread.h>
#include <unistd.h>

#include "batch/convert.h"
#include "sql/sql.h"
#include "store/store.h"

static char dir[256];
static sl_store *st;
static sl_arena_t arena;
static sl_tabledef *def;
static sl_slice ddl = SL_LIT("CREATE TABLE t (k INT, v VARCHAR(8), d DATE, p DECIMAL(5,2))");

static void open_store(void)
{
    sl_err e = {0};
    sl_store_opts o = {.data_dir = dir, .node = {"127.0.0.1", 1, 2, 3}};
    cr_assert(eq(int, sl_store_open(&o, &st, &e), SL_OK), "%s", e.msg);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/sl-store-XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
    sl_err e = {0};
    cr_assert(eq(int, sl_store_global_init(&e), SL_OK));
    open_store();
    sl_arena_init(&arena, 0);
    sl_stmt stmt;
    cr_assert(eq(int, sl_sql_parse(ddl.p, ddl.n, &arena, &stmt, &e), SL_OK), "%s", e.msg);
    def = stmt.table;
    cr_assert(eq(int, sl_store_create_db(st, SL_LIT("db"), false, &e), SL_OK));
    cr_assert(eq(int, sl_store_create_table(st, SL_LIT("db"), def, ddl, false, &e), SL_OK), "%s", e.msg);
}

static void teardown(void)
{
    sl_store_close(st);
    sl_arena_free(&arena);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert(eq(int, system(cmd), 0));
}

/* Load n rows k = base..base+n-1 under label; commit unless abort; replace drops the table's
 * other rows in the same commit. Returns the txn id. */
static int64_t load_r(const char *label, int base, int n, bool commit, bool replace)
{
    sl_err e = {0};
    int64_t id;
    sl_slice ddl_out;
    cr_assert(eq(int, sl_store_get_table(st, SL_LIT("db"), SL_LIT("t"), &arena, &ddl_out, &id, &e), SL_OK));
    sl_begin_opts bo = {.db = SL_LIT("db"), .table = SL_LIT("t"), .def = def, .table_id = id,
                         .label = sl_slice_of(label), .seq_col = -1, .replace = replace};
    sl_txn *t;
    sl_label_info li;
    cr_assert(eq(int, sl_store_begin(st, &bo, &t, &li, &e), SL_OK), "%s", e.msg);
    int64_t txn = sl_store_txn_id(t);
    sl_batch b;
    cr_assert(eq(int, sl_batch_init(&b, def), SL_OK));
    for (int i = 0; i < n; i++) {
        b.cols[0].v[i].i = base + i;
        b.cols[0].null[i] = 0;
        b.cols[1].v[i].s.p = "val";
        b.cols[1].v[i].s.n = 3;
        b.cols[1].null[i] = 0;
        b.cols[2].v[i].i = 19000 + i; /* 2022-01-08 + i */
        b.cols[2].null[i] = 0;
        b.cols[3].v[i].w = 12345;     /* 123.45 */
        b.cols[3].null[i] = i % 2;
        b.n_rows++;
    }
    cr_assert(eq(int, sl_store_append(t, &b, &e), SL_OK), "%s", e.msg);
    sl_batch_free(&b);
    if (commit)
        cr_assert(eq(int, sl_store_commit(t, NULL, &e), SL_OK), "%s", e.msg);
    else
        sl_store_abort(t, "test abort", NULL);
    return txn;
}

static int64_t load(const char *label, int base, int n, bool commit)
{
    return load_r(label, base, n, commit, false);
}

typedef struct sink_state {
    int rows;
    int64_t first;
    char first_text[64];
    sl_type types[8];
} sink_state;

static sl_code meta_cb(void *arg, const sl_qcol *c, size_t n)
{
    sink_state *s = arg;
    for (size_t i = 0; i < n && i < 8; i++)
        s->types[i] = c[i].type;
    return SL_OK;
}

static sl_code row_cb(void *arg, const sl_qval *v, size_t n)
{
    sink_state *s = arg;
    if (s->rows++ == 0) { /* column 0 as an integer, column 1 as text (dates formatted) */
        s->first = v[0].v.i;
        if (n > 1 && !v[1].null && s->types[1].id == SL_DATE)
            sl_format_date(v[1].v.i, s->first_text);
        else if (n > 1 && !v[1].null && sl_type_is_text(&s->types[1]))
            snprintf(s->first_text, sizeof s->first_text, "%.*s", (int)v[1].v.s.n,
                     v[1].v.s.p);
    }
    return SL_OK;
}

static sink_state query(const char *sql)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_stmt stmt;
    sl_err e = {0};
    cr_assert(eq(int, sl_sql_parse(sql, strlen(sql), &a, &stmt, &e), SL_OK), "%s", e.msg);
    sink_state s = {0};
    sl_query_sink sink = {meta_cb, row_cb, &s};
    cr_assert(eq(int, sl_store_query(st, SL_LIT("db"), &stmt.select, NULL, &sink, &e), SL_OK), "%s", e.msg);
    sl_arena_free(&a);
    return s;
}

TestSuite(store, .init = setup, .fini = teardown);

Test(store, commit_makes_rows_and_label_visible)
{
    int64_t txn = load("l1", 0, 10, true);
    sink_state s = query("select count(*) from t");
    cr_assert(eq(i64, s.first, 10));
    s = query("select k, d from t order by k desc limit 1");
    cr_assert(eq(i64, s.first, 9));
    cr_assert(eq(str, s.first_text, "2022-01-17"));
    sl_label_info li;
    sl_err e = {0};
    cr_assert(eq(int, sl_store_label_state(st, SL_LIT("db"), SL_LIT("l1"), &li, &e), SL_OK));
    cr_assert(eq(int, li.state, SL_TXN_VISIBLE));
    cr_assert(eq(i64, li.txn_id, txn));
}

Test(store, label_conflict_and_reuse_after_abort)
{
    load("dup", 0, 3, true);
    sl_err e = {0};
    sl_begin_opts bo = {.db = SL_LIT("db"), .table = SL_LIT("t"), .def = def, .table_id = 1,
                         .label = SL_LIT("dup"), .seq_col = -1};
    sl_txn *t = NULL;
    sl_label_info li;
    cr_assert(eq(int, sl_store_begin(st, &bo, &t, &li, &e), SL_CONFLICT));
    cr_assert(eq(int, li.state, SL_TXN_VISIBLE));
    cr_assert(strstr(e.msg, "has already been used, relate to txn") != NULL);
    load("ab", 100, 5, false);
    cr_assert(eq(i64, query("select count(*) from t").first, 3));
    cr_assert(eq(int, sl_store_label_state(st, SL_LIT("db"), SL_LIT("ab"), &li, &(sl_err){0}), SL_OK));
    cr_assert(eq(int, li.state, SL_TXN_ABORTED));
    load("ab", 100, 5, true); /* an aborted label is free again */
    cr_assert(eq(i64, query("select count(*) from t").first, 8));
}

Test(store, compaction_keeps_every_row)
{
    for (int i = 0; i < 12; i++) {
        char label[16];
        snprintf(label, sizeof label, "c%d", i);
        load(label, i * 10, 10, true);
    }
    cr_assert(eq(i64, query("select count(*) from t").first, 120));
    cr_assert(eq(i64, query("select count(distinct k) from t").first, 120));
}

Test(store, recovery_aborts_prepare_and_removes_orphans)
{
    sl_err e = {0};
    sl_begin_opts bo = {.db = SL_LIT("db"), .table = SL_LIT("t"), .def = def, .table_id = 1,
                         .label = SL_LIT("crash"), .seq_col = -1};
    sl_txn *t;
    sl_label_info li;
    cr_assert(eq(int, sl_store_begin(st, &bo, &t, &li, &e), SL_OK));
    /* Simulate a crash: write an orphan file and reopen without commit or abort. */
    char tdir[300], path[512];
    snprintf(tdir, sizeof tdir, "%s/segments/1", dir);
    mkdir(tdir, 0755);
    snprintf(path, sizeof path, "%s/t999.db", tdir);
    FILE *f = fopen(path, "w");
    cr_assert(f != NULL);
    fputs("garbage", f);
    fclose(f);
    sl_store_close(st); /* leaks the txn object on purpose: the process "died" */
    open_store();
    cr_assert(eq(int, access(path, F_OK), -1));
    cr_assert(eq(int, sl_store_label_state(st, SL_LIT("db"), SL_LIT("crash"), &li, &e), SL_OK));
    cr_assert(eq(int, li.state, SL_TXN_ABORTED));
    (void)t;
}

Test(store, catalog_errors)
{
    sl_err e = {0};
    cr_assert(eq(int, sl_store_create_db(st, SL_LIT("db"), false, &e), SL_CONFLICT));
    sl_err e2 = {0};
    cr_assert(eq(int, sl_store_create_table(st, SL_LIT("nodb"), def, ddl, false, &e2), SL_NOT_FOUND_DB));
    sl_err e3 = {0};
    cr_assert(eq(int, sl_store_create_table(st, SL_LIT("db"), def, ddl, false, &e3), SL_CONFLICT));
    cr_assert(eq(int, sl_store_create_table(st, SL_LIT("db"), def, ddl, true, &(sl_err){0}), SL_OK));
    sl_err e4 = {0};
    cr_assert(eq(int, sl_store_drop_table(st, SL_LIT("db"), SL_LIT("zz"), false, &e4), SL_NOT_FOUND));
    load("x", 0, 4, true);
    cr_assert(eq(int, sl_store_truncate(st, SL_LIT("db"), SL_LIT("t"), &(sl_err){0}), SL_OK));
    cr_assert(eq(i64, query("select count(*) from t").first, 0));
    cr_assert(eq(int, sl_store_drop_db(st, SL_LIT("db"), false, &(sl_err){0}), SL_OK));
    sl_slice *names;
    size_t n;
    cr_assert(eq(int, sl_store_list_dbs(st, &arena, &names, &n, &(sl_err){0}), SL_OK));
    cr_assert(eq(sz, n, 0));
}

Test(store, replace_swaps_rows_in_one_commit)
{
    load("r1", 0, 10, true);
    load("r2", 100, 5, true);
    load_r("r3", 500, 3, false, true); /* an aborted replace changes nothing */
    cr_assert(eq(i64, query("select count(*) from t").first, 15));
    load_r("r4", 1000, 4, true, true);
    cr_assert(eq(i64, query("select count(*) from t").first, 4));
    cr_assert(eq(i64, query("select min(k) from t").first, 1000));
}

/* Begin a load of n rows under label (two_phase: precommit instead of commit). */
static int64_t precommit(const char *label, int base, int n)
{
    sl_err e = {0};
    int64_t id;
    sl_slice ddl_out;
    cr_assert(eq(int, sl_store_get_table(st, SL_LIT("db"), SL_LIT("t"), &arena, &ddl_out, &id, &e),
                 SL_OK));
    sl_begin_opts bo = {.db = SL_LIT("db"), .table = SL_LIT("t"), .def = def, .table_id = id,
                         .label = sl_slice_of(label), .user = SL_LIT("u1"), .seq_col = -1,
                         .two_phase = true};
    sl_txn *t;
    sl_label_info li;
    cr_assert(eq(int, sl_store_begin(st, &bo, &t, &li, &e), SL_OK), "%s", e.msg);
    int64_t txn = sl_store_txn_id(t);
    sl_batch b;
    cr_assert(eq(int, sl_batch_init(&b, def), SL_OK));
    for (int i = 0; i < n; i++) {
        b.cols[0].v[i].i = base + i;
        for (int c = 0; c < 4; c++)
            b.cols[c].null[i] = c != 0;
        b.n_rows++;
    }
    cr_assert(eq(int, sl_store_append(t, &b, &e), SL_OK), "%s", e.msg);
    sl_batch_free(&b);
    sl_load_record rec = {.label = sl_slice_of(label), .db = SL_LIT("db"), .table = SL_LIT("t"),
                          .status = SL_LIT("Success"), .message = SL_LIT("OK"),
                          .user = SL_LIT("u1"), .txn_id = txn, .total = (uint64_t)n,
                          .loaded = (uint64_t)n, .start_ms = 1, .finish_ms = 2};
    cr_assert(eq(int, sl_store_precommit(t, &rec, &e), SL_OK), "%s", e.msg);
    return txn;
}

Test(store, two_phase_commit_and_abort_by_label_and_id)
{
    int64_t a = precommit("p1", 0, 5);
    precommit("p2", 100, 7);
    cr_assert(eq(i64, query("select count(*) from t").first, 0)); /* staged: invisible */
    sl_err e = {0};
    sl_txn_info ti;
    cr_assert(eq(int, sl_store_find_txn(st, SL_LIT("db"), a, SL_SLICE_NULL, true, &arena, &ti, &e),
                 SL_OK), "%s", e.msg);
    cr_assert(eq(int, ti.state, SL_TXN_PRECOMMITTED));
    cr_assert(sl_slice_eq(ti.table, "t") && sl_slice_eq(ti.user, "u1") && sl_slice_eq(ti.label, "p1"));
    /* another database does not see it */
    cr_assert(eq(int, sl_store_create_db(st, SL_LIT("db2"), false, &e), SL_OK));
    cr_assert(eq(int, sl_store_find_txn(st, SL_LIT("db2"), a, SL_SLICE_NULL, true, &arena, &ti,
                                        &(sl_err){0}), SL_NOT_FOUND));
    int64_t id = a;
    cr_assert(eq(int, sl_store_finish_2pc(st, SL_LIT("db"), &id, SL_SLICE_NULL, true, &e), SL_OK),
              "%s", e.msg);
    cr_assert(eq(i64, query("select count(*) from t").first, 5));
    id = -1;
    cr_assert(eq(int, sl_store_finish_2pc(st, SL_LIT("db"), &id, SL_LIT("p2"), false, &e), SL_OK),
              "%s", e.msg);
    cr_assert(eq(i64, query("select count(*) from t").first, 5));
    /* second commit of the same transaction: Doris's text */
    sl_err e2 = {0};
    id = a;
    cr_assert(eq(int, sl_store_finish_2pc(st, SL_LIT("db"), &id, SL_SLICE_NULL, true, &e2),
                 SL_INVALID));
    cr_assert(strstr(e2.msg, "is already visible") != NULL, "%s", e2.msg);
    sl_err e3 = {0};
    id = -1;
    cr_assert(eq(int, sl_store_finish_2pc(st, SL_LIT("db"), &id, SL_LIT("never"), true, &e3),
                 SL_NOT_FOUND));
    cr_assert(eq(str, e3.msg, "transaction not found, label=never"));
    /* the aborted label is free again, and a precommit survives a restart */
    precommit("p2", 200, 3);
    sl_store_close(st);
    open_store();
    id = -1;
    cr_assert(eq(int, sl_store_finish_2pc(st, SL_LIT("db"), &id, SL_LIT("p2"), true, &e), SL_OK),
              "%s", e.msg);
    cr_assert(eq(i64, query("select count(*) from t").first, 8));
}

typedef struct hist_rows {
    int n;
    char status[8][32];
    int64_t loaded[8];
} hist_rows;

static sl_code hist_meta(void *arg, const sl_qcol *c, size_t n)
{
    (void)arg, (void)c;
    return n == 16 ? SL_OK : SL_INTERNAL;
}

static sl_code hist_row(void *arg, const sl_qval *v, size_t n)
{
    hist_rows *h = arg;
    (void)n;
    if (h->n < 8) {
        snprintf(h->status[h->n], 32, "%.*s", (int)v[4].v.s.n, v[4].v.s.p);
        h->loaded[h->n] = v[8].v.i;
    }
    h->n++;
    return SL_OK;
}

Test(store, history_is_written_with_the_commit)
{
    precommit("h1", 0, 4);
    hist_rows h = {0};
    sl_load_filter f = {.order_col = -1};
    sl_query_sink sink = {hist_meta, hist_row, &h};
    sl_err e = {0};
    cr_assert(eq(int, sl_store_list_loads(st, SL_LIT("db"), &f, &sink, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(int, h.n, 1));
    cr_assert(eq(str, h.status[0], "Success"));
    cr_assert(eq(i64, h.loaded[0], 4));
    f.label = SL_LIT("h%"), f.label_like = true;
    memset(&h, 0, sizeof h);
    cr_assert(eq(int, sl_store_list_loads(st, SL_LIT("db"), &f, &sink, &e), SL_OK));
    cr_assert(eq(int, h.n, 1));
    f.label = SL_LIT("H%"); /* LIKE is case-sensitive, as in Doris */
    memset(&h, 0, sizeof h);
    cr_assert(eq(int, sl_store_list_loads(st, SL_LIT("db"), &f, &sink, &e), SL_OK));
    cr_assert(eq(int, h.n, 0));
}

Test(store, users_and_grants)
{
    sl_err e = {0};
    uint64_t v0, v1;
    cr_assert(eq(int, sl_store_users_version(st, &v0, &e), SL_OK));
    sl_user_rec u = {.name = SL_LIT("etl"), .hash = SL_LIT("$x$1"), .admin = false};
    cr_assert(eq(int, sl_store_user_put(st, &u, true, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(int, sl_store_user_put(st, &u, true, &(sl_err){0}), SL_CONFLICT));
    sl_grant_rec g = {SL_LIT("etl"), SL_LIT("LOAD"), SL_LIT("db.t")};
    cr_assert(eq(int, sl_store_grant(st, &g, false, &e), SL_OK));
    cr_assert(eq(int, sl_store_grant(st, &g, false, &e), SL_OK)); /* idempotent */
    sl_grant_rec *gs;
    size_t n;
    cr_assert(eq(int, sl_store_grants(st, SL_LIT("etl"), &arena, &gs, &n, &e), SL_OK));
    cr_assert(eq(sz, n, 1));
    cr_assert(sl_slice_eq(gs[0].target, "db.t"));
    cr_assert(eq(int, sl_store_users_version(st, &v1, &e), SL_OK));
    cr_assert(v1 > v0);
    cr_assert(eq(int, sl_store_user_login(st, SL_LIT("etl"), false, 1234, &e), SL_OK));
    sl_user_rec got;
    cr_assert(eq(int, sl_store_user_get(st, SL_LIT("etl"), &arena, &got, &e), SL_OK));
    cr_assert(eq(u32, got.failed, 1));
    cr_assert(eq(u64, got.locked_until_ms, 1234));
    cr_assert(eq(int, sl_store_user_drop(st, SL_LIT("etl"), &e), SL_OK));
    cr_assert(eq(int, sl_store_grants(st, SL_LIT("etl"), &arena, &gs, &n, &e), SL_OK));
    cr_assert(eq(sz, n, 0)); /* grants go with the user */
    cr_assert(eq(int, sl_store_user_get(st, SL_LIT("etl"), &arena, &got, &(sl_err){0}),
                 SL_NOT_FOUND));
}

Test(store, this_node_is_listed_first)
{
    sl_node_rec *nodes;
    size_t n;
    sl_err e = {0};
    cr_assert(eq(int, sl_store_nodes(st, &arena, &nodes, &n, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(sz, n, 1)); /* the earlier life of a single-node store is gone */
    cr_assert(nodes[0].self && nodes[0].alive);
    cr_assert(eq(int, nodes[0].be_port, 2));
}

typedef struct racer {
    int won;
    sl_code rc;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    sl_err e = {0};
    sl_begin_opts bo = {.db = SL_LIT("db"), .table = SL_LIT("t"), .def = def, .table_id = 1,
                         .label = SL_LIT("race"), .seq_col = -1};
    sl_txn *t = NULL;
    sl_label_info li;
    r->rc = sl_store_begin(st, &bo, &t, &li, &e);
    if (r->rc == SL_OK) {
        r->won = 1;
        r->rc = sl_store_commit(t, NULL, &e);
    }
    return NULL;
}

Test(store, one_label_one_winner)
{
    pthread_t th[8];
    racer r[8];
    memset(r, 0, sizeof r);
    for (int i = 0; i < 8; i++)
        pthread_create(&th[i], NULL, race, &r[i]);
    int won = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        won += r[i].won;
        cr_assert(r[i].rc == SL_OK || r[i].rc == SL_CONFLICT, "rc %d", r[i].rc);
    }
    cr_assert(eq(int, won, 1));
}

Test(store, a_row_of_big_computed_columns_is_refused_before_the_engine)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    const char *sql = "select upper(v), lower(v) from t";
    sl_stmt stmt;
    sl_err e = {0};
    cr_assert(eq(int, sl_sql_parse(sql, strlen(sql), &a, &stmt, &e), SL_OK), "%s", e.msg);
    sink_state s = {0};
    sl_query_sink sink = {meta_cb, row_cb, &s};
    sl_query_limits lim = {.max_bytes = 1536 * 1024};
    /* each computed text value may reach 1 MiB: two of them pass 1.5 MiB */
    cr_assert(eq(int, sl_store_query(st, SL_LIT("db"), &stmt.select, &lim, &sink, &e),
                 SL_TOO_LARGE));
    cr_assert(strstr(e.msg, "computed columns of one row could reach 2097152 bytes") != NULL,
              "%s", e.msg);
    cr_assert(eq(int, s.rows, 0));
    sl_arena_free(&a);
}

/* sl_store_stats, sl_store_txn_counts and sl_store_ping (metrics and health, issue 16). */
Test(store, stats_txn_counts_and_ping)
{
    sl_err e = {0};
    cr_assert(eq(int, sl_store_ping(st, &e), SL_OK), "%s", e.msg);
    sl_store_counters c0, c1;
    sl_store_stats(st, &c0);
    cr_assert(c0.heartbeat_ms > 0); /* registering the node counts as the first */
    load("s1", 0, 3, true);
    load("s2", 10, 3, true);
    load("s3", 20, 3, false);
    sl_store_stats(st, &c1);
    cr_assert(eq(u64, c1.commits - c0.commits, 2));
    cr_assert(eq(u64, c1.commit_failures, c0.commit_failures));
    uint64_t n = 0;
    for (size_t i = 0; i <= SL_STORE_COMMIT_BUCKETS; i++)
        n += c1.commit_buckets[i] - c0.commit_buckets[i];
    cr_assert(eq(u64, n, 2));
    uint64_t by_state[SL_TXN_ABORTED + 1];
    cr_assert(eq(int, sl_store_txn_counts(st, by_state, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(u64, by_state[SL_TXN_VISIBLE], 2));
    cr_assert(eq(u64, by_state[SL_TXN_ABORTED], 1));
    cr_assert(eq(u64, by_state[SL_TXN_PREPARE], 0));
    /* more than 9 segments: the query compacts first (the engine counts its merges) */
    for (int i = 0; i < 10; i++) {
        char label[16];
        snprintf(label, sizeof label, "m%d", i);
        load(label, 100 + i * 10, 10, true);
    }
    cr_assert(eq(i64, query("select count(*) from t").first, 106));
    sl_store_stats(st, &c1);
    cr_assert(c1.compactions >= 1);
    cr_assert(c1.compacted_segments >= 2 * c1.compactions);
}
