/*
 * fuzz_sql.c - libFuzzer target for the statement parser (src/sql/).
 *
 * Every input is parsed as a statement and as a type name. Beyond "no crash, no leak, no UB",
 * a SELECT that parses must come out as SQLite text that, if SQLite can prepare it at all over
 * the placeholder table, is one read-only statement reading no other table: the rewrite must
 * never let a Doris query reach past its own table.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core/platform.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "sql/sql.h"

/* SQLite authorizer: any read of a table other than the placeholder is a rewrite bug. */
static int only_placeholder(void *arg, int op, const char *a, const char *b, const char *c,
                            const char *d)
{
    (void)arg, (void)b, (void)c, (void)d;
    if (op == SQLITE_READ && a && strcmp(a, SL_SQL_TABLE_PLACEHOLDER) != 0)
        abort();
    if (op == SQLITE_ATTACH || op == SQLITE_PRAGMA || op == SQLITE_INSERT || op == SQLITE_UPDATE ||
        op == SQLITE_DELETE || op == SQLITE_CREATE_TABLE || op == SQLITE_DROP_TABLE)
        abort();
    return SQLITE_OK;
}

static void check_sqlite(const sl_select *sel)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK)
        goto done;
    if (sqlite3_exec(db, "CREATE TABLE " SL_SQL_TABLE_PLACEHOLDER "(a, b, c, k1, k2, v, x, y);"
                         "CREATE TABLE secret(a, b, c, k1, k2, v, x, y);", NULL, NULL, NULL) != SQLITE_OK)
        goto done;
    sqlite3_set_authorizer(db, only_placeholder, NULL);
    if (sqlite3_prepare_v2(db, sel->sql.p, (int)sel->sql.n, &st, &tail) != SQLITE_OK || st == NULL)
        goto done;
    if (!sqlite3_stmt_readonly(st))
        abort();
    while (tail && tail < sel->sql.p + sel->sql.n && (*tail == ' ' || *tail == '\n'))
        tail++;
    if (tail != sel->sql.p + sel->sql.n)
        abort(); /* a second statement survived the rewrite */
done:
    sqlite3_finalize(st);
    sqlite3_close(db);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_arena_t a;
    sl_err err = {0};
    sl_stmt st;
    sl_type ty;
    sl_arena_init(&a, 4096);
    sl_code rc = sl_sql_parse((const char *)data, size, &a, &st, &err);
    if (rc == SL_OK && st.kind == SL_STMT_SELECT) {
        if (st.select.sql.p == NULL || st.select.n_items == 0)
            abort();
        for (size_t i = 0; i < st.select.n_items; i++)
            if (st.select.items[i].label.p == NULL)
                abort();
        check_sqlite(&st.select);
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
