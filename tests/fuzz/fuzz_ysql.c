/*
 * fuzz_ysql.c - libFuzzer target for the Yamcs StreamSQL parser and its translation
 * (src/proto/yamcs_sql.c).
 *
 * Every input is parsed as a StreamSQL statement. Beyond "no crash, no leak, no UB": every
 * error carries a message; a CREATE TABLE that parses yields Doris DDL that src/sql parses as a
 * UNIQUE KEY table (no statement text can break out of an identifier or the yamcs.types
 * property); a SELECT or DELETE renders to text that src/sql parses as one SELECT, or refuses
 * with SL_INVALID (never another code).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core/platform.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "proto/yamcs_sql.h"
#include "sql/sql.h"

static const char ddl[] = "CREATE TABLE t (a INT NOT NULL, b VARCHAR(10), c DOUBLE, d DATETIME(3)) "
                          "UNIQUE KEY(a) DISTRIBUTED BY HASH(a) BUCKETS 1";

static void check_select(const ysql_stmt *ys, const sl_tabledef *def, sl_arena_t *a)
{
    sl_buf b = SL_BUF_INIT;
    sl_err err = {0};
    sl_stmt st;
    sl_code rc = ys->kind == YSQL_SELECT ? sl__ysql_select_sql(ys, def, &b, &err)
                                         : sl__ysql_delete_sql(ys, def, &b, &err);
    if (rc == SL_OK) {
        rc = sl_sql_parse(b.p, b.len, a, &st, &err);
        if (rc == SL_OK && st.kind != SL_STMT_SELECT)
            abort(); /* one SELECT, whatever the input */
        if (rc != SL_OK && SL_PRIMARY(rc) != SL_INVALID && rc != SL_NOMEM)
            abort();
    }
    sl_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_arena_t a;
    sl_err err = {0};
    sl_stmt tbl, st;
    ysql_stmt ys;
    sl_arena_init(&a, 4096);
    if (sl_sql_parse(ddl, sizeof ddl - 1, &a, &tbl, &err) != SL_OK)
        abort();
    sl_code rc = sl__ysql_parse((const char *)data, size, &a, &ys, &err);
    if (rc != SL_OK) {
        if ((SL_PRIMARY(rc) != SL_INVALID && rc != SL_NOMEM) || err.msg[0] == '\0')
            abort();
    } else if (ys.kind == YSQL_CREATE) {
        sl_err e2 = {0};
        if (sl_sql_parse(ys.ddl.p, ys.ddl.n, &a, &st, &e2) != SL_OK ||
            st.kind != SL_STMT_CREATE_TABLE || st.table->key_model != SL_KEYS_UNIQUE)
            abort(); /* the DDL sluice writes must always be valid */
    } else if (ys.kind == YSQL_SELECT || ys.kind == YSQL_DELETE) {
        check_select(&ys, tbl.table, &a);
    } else if (ys.table.p == NULL && ys.kind != YSQL_SHOW_TABLES) {
        abort();
    }
    sl_arena_free(&a);
    return 0;
}
