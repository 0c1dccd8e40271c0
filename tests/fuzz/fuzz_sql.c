/*
 * fuzz_sql.c - libFuzzer target for the statement parser (src/sql/), the SELECT binder and the
 * SQLite renderer (src/store/sqlite/render.c).
 *
 * Every input is parsed as a statement and as a type name. Beyond "no crash, no leak, no UB",
 * a SELECT that parses and binds against a fixed table must render to SQLite text that SQLite
 * prepares as one read-only statement reading only the query view and calling only the
 * functions the renderer registered (plus count/min/max): no user text may reach another table
 * or an SQLite built-in function.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core/platform.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "sql/sql.h"
#include "store/sqlite/internal.h"

static const char ddl[] = "CREATE TABLE t (a INT, b VARCHAR(10), c DECIMAL(20,3), d DATE, "
                          "e DATETIME(6), f DOUBLE, g LARGEINT, h BOOLEAN, k1 BIGINT, s STRING)";

/* SQLite authorizer: reads of the view only, functions of the renderer only. */
static int guard(void *arg, int op, const char *a, const char *b, const char *c, const char *d)
{
    (void)arg, (void)c, (void)d;
    if (op == SQLITE_READ && a && strcmp(a, SL_SQ_VIEW) != 0)
        abort();
    if (op == SQLITE_FUNCTION && strncmp(b, "__sl_", 5) != 0 && strcmp(b, "count") != 0 &&
        strcmp(b, "min") != 0 && strcmp(b, "max") != 0)
        abort();
    if (op == SQLITE_ATTACH || op == SQLITE_PRAGMA || op == SQLITE_INSERT || op == SQLITE_UPDATE ||
        op == SQLITE_DELETE || op == SQLITE_CREATE_TABLE || op == SQLITE_DROP_TABLE)
        abort();
    return SQLITE_OK;
}

static void check_sqlite(sl_select *sel, const sl_tabledef *def, sl_arena_t *a)
{
    sq_query q;
    sl_err err = {0};
    sl_buf sql = SL_BUF_INIT;
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    sl_select_env env = {0, 0, SL_LIT("db"), NULL};
    if (sl_select_bind(sel, sel->table.n ? def : NULL, &env, a, &err) != SL_OK)
        return;
    memset(&q, 0, sizeof q);
    q.sel = sel;
    q.lim = sl_query_limits_or_default(NULL);
    sl_arena_init(&q.a, 0);
    sl_arena_init(&q.call, 0);
    if (sqlite3_open(":memory:", &q.db) != SQLITE_OK)
        goto done;
    if (sqlite3_exec(q.db, "CREATE TABLE " SL_SQ_VIEW "(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9);"
                           "CREATE TABLE secret(a);", NULL, NULL, NULL) != SQLITE_OK)
        goto done;
    if (sl__sq_render(&q, &sql, &err) != SL_OK)
        goto done;
    sqlite3_set_authorizer(q.db, guard, NULL);
    if (sqlite3_prepare_v2(q.db, sql.p, (int)sql.len, &st, &tail) != SQLITE_OK || st == NULL)
        abort(); /* the renderer wrote SQL that SQLite does not take */
    if (!sqlite3_stmt_readonly(st) || (tail && *tail))
        abort();
done:
    sqlite3_finalize(st);
    sqlite3_close(q.db);
    sl_buf_free(&sql);
    sl_arena_free(&q.a);
    sl_arena_free(&q.call);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_arena_t a;
    sl_err err = {0};
    sl_stmt st, tbl;
    sl_type ty;
    sl_arena_init(&a, 4096);
    if (sl_sql_parse(ddl, sizeof ddl - 1, &a, &tbl, &err) != SL_OK)
        abort();
    sl_code rc = sl_sql_parse((const char *)data, size, &a, &st, &err);
    if (rc == SL_OK && st.kind == SL_STMT_SELECT) {
        if (st.select.n_items == 0)
            abort();
        for (size_t i = 0; i < st.select.n_items; i++)
            if (st.select.items[i].text.p == NULL)
                abort();
        check_sqlite(&st.select, tbl.table, &a);
    } else if (rc != SL_OK && (SL_PRIMARY(rc) != SL_INVALID && rc != SL_NOMEM)) {
        abort();
    } else if (rc != SL_OK && err.msg[0] == '\0') {
        abort(); /* every error carries a message */
    }
    sl_arena_free(&a);
    sl_err_clear(&err);
    sl_sql_parse_type((sl_slice){(const char *)data, size}, &ty, &err);
    return 0;
}
