/* Unit tests of the SQLite backend (src/store/sqlite*.c): catalog, labels, segments,
 * commit/abort, queries, compaction and recovery, on a temporary data directory. */
#include "core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch/convert.h"
#include "sql/sql.h"
#include "store/store.h"

static char dir[256];
static const sl_store_vtab *sv;
static sl_store *st;
static sl_arena_t arena;
static sl_tabledef *def;
static sl_slice ddl = SL_LIT("CREATE TABLE t (k INT, v VARCHAR(8), d DATE, p DECIMAL(5,2))");

static void open_store(void)
{
    sl_err e = {0};
    sl_store_opts o = {.data_dir = dir, .max_segments = 3};
    cr_assert(eq(int, sv->open(&o, &st, &e), SL_OK), "%s", e.msg);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/sl-store-XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
    sl_err e = {0};
    cr_assert(eq(int, sl_store_global_init(&e), SL_OK));
    sv = sl_store_find("sqlite");
    cr_assert(sv != NULL);
    open_store();
    sl_arena_init(&arena, 0);
    sl_stmt stmt;
    cr_assert(eq(int, sl_sql_parse(ddl.p, ddl.n, &arena, &stmt, &e), SL_OK), "%s", e.msg);
    def = stmt.table;
    cr_assert(eq(int, sv->create_db(st, SL_LIT("db"), false, &e), SL_OK));
    cr_assert(eq(int, sv->create_table(st, SL_LIT("db"), def, ddl, false, &e), SL_OK), "%s", e.msg);
}

static void teardown(void)
{
    sv->close(st);
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
    cr_assert(eq(int, sv->get_table(st, SL_LIT("db"), SL_LIT("t"), &arena, &ddl_out, &id, &e), SL_OK));
    sl_begin_opts bo = {.db = SL_LIT("db"), .table = SL_LIT("t"), .def = def, .table_id = id,
                         .label = sl_slice_of(label), .seq_col = -1, .replace = replace};
    sl_txn *t;
    sl_label_info li;
    cr_assert(eq(int, sv->begin(st, &bo, &t, &li, &e), SL_OK), "%s", e.msg);
    int64_t txn = sv->txn_id(t);
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
    cr_assert(eq(int, sv->append(t, &b, &e), SL_OK), "%s", e.msg);
    sl_batch_free(&b);
    if (commit)
        cr_assert(eq(int, sv->commit(t, &e), SL_OK), "%s", e.msg);
    else
        sv->abort(t, "test abort");
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

/* The first row: column 0 as an integer, column 1 as text (dates formatted). */
static sl_code row_cb(void *arg, const sl_qval *v, size_t n)
{
    sink_state *s = arg;
    if (s->rows++ == 0) {
        s->first = v[0].v.i;
        if (n > 1 && !v[1].null && s->types[1].id == SL_DATE)
            sl_format_date(v[1].v.i, s->first_text);
        else if (n > 1 && !v[1].null && sl_type_is_text(&s->types[1]))
            snprintf(s->first_text, sizeof s->first_text, "%.*s", (int)v[1].v.s.n, v[1].v.s.p);
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
    sl_select_env env = {0, 0, SL_LIT("db")};
    cr_assert(eq(int, sl_select_bind(&stmt.select, def, &env, &a, &e), SL_OK), "%s", e.msg);
    sink_state s = {0};
    sl_query_sink sink = {meta_cb, row_cb, &s};
    cr_assert(eq(int, sv->query(st, SL_LIT("db"), def, &stmt.select, NULL, &sink, &e), SL_OK),
              "%s", e.msg);
    sl_arena_free(&a);
    return s;
}

TestSuite(sqlite_store, .init = setup, .fini = teardown);

Test(sqlite_store, commit_makes_rows_and_label_visible)
{
    int64_t txn = load("l1", 0, 10, true);
    sink_state s = query("select count(*) from t");
    cr_assert(eq(i64, s.first, 10));
    s = query("select k, d from t order by k desc limit 1");
    cr_assert(eq(i64, s.first, 9));
    cr_assert(eq(str, s.first_text, "2022-01-17"));
    sl_label_info li;
    sl_err e = {0};
    cr_assert(eq(int, sv->label_state(st, SL_LIT("db"), SL_LIT("l1"), &li, &e), SL_OK));
    cr_assert(eq(int, li.state, SL_TXN_VISIBLE));
    cr_assert(eq(i64, li.txn_id, txn));
}

Test(sqlite_store, label_conflict_and_reuse_after_abort)
{
    load("dup", 0, 3, true);
    sl_err e = {0};
    sl_begin_opts bo = {.db = SL_LIT("db"), .table = SL_LIT("t"), .def = def, .table_id = 1,
                         .label = SL_LIT("dup"), .seq_col = -1};
    sl_txn *t = NULL;
    sl_label_info li;
    cr_assert(eq(int, sv->begin(st, &bo, &t, &li, &e), SL_CONFLICT));
    cr_assert(eq(int, li.state, SL_TXN_VISIBLE));
    cr_assert(strstr(e.msg, "has already been used, relate to txn") != NULL);
    load("ab", 100, 5, false);
    cr_assert(eq(i64, query("select count(*) from t").first, 3));
    cr_assert(eq(int, sv->label_state(st, SL_LIT("db"), SL_LIT("ab"), &li, &(sl_err){0}), SL_OK));
    cr_assert(eq(int, li.state, SL_TXN_ABORTED));
    load("ab", 100, 5, true); /* an aborted label is free again */
    cr_assert(eq(i64, query("select count(*) from t").first, 8));
}

Test(sqlite_store, compaction_keeps_every_row)
{
    for (int i = 0; i < 12; i++) {
        char label[16];
        snprintf(label, sizeof label, "c%d", i);
        load(label, i * 10, 10, true);
    }
    cr_assert(eq(i64, query("select count(*) from t").first, 120));
    cr_assert(eq(i64, query("select count(distinct k) from t").first, 120));
}

Test(sqlite_store, recovery_aborts_prepare_and_removes_orphans)
{
    sl_err e = {0};
    sl_begin_opts bo = {.db = SL_LIT("db"), .table = SL_LIT("t"), .def = def, .table_id = 1,
                         .label = SL_LIT("crash"), .seq_col = -1};
    sl_txn *t;
    sl_label_info li;
    cr_assert(eq(int, sv->begin(st, &bo, &t, &li, &e), SL_OK));
    /* Simulate a crash: write an orphan file and reopen without commit or abort. */
    char tdir[300], path[512];
    snprintf(tdir, sizeof tdir, "%s/segments/1", dir);
    mkdir(tdir, 0755);
    snprintf(path, sizeof path, "%s/t999.db", tdir);
    FILE *f = fopen(path, "w");
    cr_assert(f != NULL);
    fputs("garbage", f);
    fclose(f);
    sv->close(st); /* leaks the txn object on purpose: the process "died" */
    open_store();
    cr_assert(eq(int, access(path, F_OK), -1));
    cr_assert(eq(int, sv->label_state(st, SL_LIT("db"), SL_LIT("crash"), &li, &e), SL_OK));
    cr_assert(eq(int, li.state, SL_TXN_ABORTED));
    (void)t;
}

Test(sqlite_store, catalog_errors)
{
    sl_err e = {0};
    cr_assert(eq(int, sv->create_db(st, SL_LIT("db"), false, &e), SL_CONFLICT));
    sl_err e2 = {0};
    cr_assert(eq(int, sv->create_table(st, SL_LIT("nodb"), def, ddl, false, &e2), SL_NOT_FOUND_DB));
    sl_err e3 = {0};
    cr_assert(eq(int, sv->create_table(st, SL_LIT("db"), def, ddl, false, &e3), SL_CONFLICT));
    cr_assert(eq(int, sv->create_table(st, SL_LIT("db"), def, ddl, true, &(sl_err){0}), SL_OK));
    sl_err e4 = {0};
    cr_assert(eq(int, sv->drop_table(st, SL_LIT("db"), SL_LIT("zz"), false, &e4), SL_NOT_FOUND));
    load("x", 0, 4, true);
    cr_assert(eq(int, sv->truncate(st, SL_LIT("db"), SL_LIT("t"), &(sl_err){0}), SL_OK));
    cr_assert(eq(i64, query("select count(*) from t").first, 0));
    cr_assert(eq(int, sv->drop_db(st, SL_LIT("db"), false, &(sl_err){0}), SL_OK));
    sl_slice *names;
    size_t n;
    cr_assert(eq(int, sv->list_dbs(st, &arena, &names, &n, &(sl_err){0}), SL_OK));
    cr_assert(eq(sz, n, 0));
}

Test(sqlite_store, replace_swaps_rows_in_one_commit)
{
    load("r1", 0, 10, true);
    load("r2", 100, 5, true);
    load_r("r3", 500, 3, false, true); /* an aborted replace changes nothing */
    cr_assert(eq(i64, query("select count(*) from t").first, 15));
    load_r("r4", 1000, 4, true, true);
    cr_assert(eq(i64, query("select count(*) from t").first, 4));
    cr_assert(eq(i64, query("select min(k) from t").first, 1000));
}
