/*
 * test_yamcs_meta.c - unit tests of the Yamcs adapter's StreamSQL CREATE TABLE translation
 * (src/proto/yamcs_meta.c): key columns first, UNIQUE KEY, the yamcs.types property, and the
 * errors for what sluice cannot store.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "../../../src/proto/yamcs_meta.c"

static sl_code translate(const char *yamcs, sl_buf *ddl, sl_err *err)
{
    sl_http_req r;
    memset(&r, 0, sizeof r);
    sl_arena_init(&r.arena, 0);
    lexer L = {yamcs, yamcs + strlen(yamcs), SL_SLICE_NULL, 0};
    next(&L);
    cr_assert(kw(&L, "CREATE"));
    sl_code rc = parse_create(&r, &L, ddl, err);
    sl_arena_free(&r.arena);
    return rc;
}

Test(yamcs_meta, create_table_to_doris)
{
    sl_buf b = SL_BUF_INIT;
    sl_err err = {0};
    cr_assert(eq(int, translate("create table if not exists events(gentime timestamp, source "
                                "enum, seqNum int, body PROTOBUF('org.yamcs.Db$Event'), v int[], "
                                "primary key(gentime, source, seqNum)) histogram(source) "
                                "partition by time(gentime('YYYY'))", &b, &err), SL_OK), "%s",
              err.msg);
    cr_assert(eq(str, b.p,
                 "CREATE TABLE IF NOT EXISTS `events` (`gentime` DATETIME(3) NOT NULL, `source` "
                 "VARCHAR(65533) NOT NULL, `seqNum` INT NOT NULL, `body` STRING, `v` JSON) "
                 "UNIQUE KEY(`gentime`, `source`, `seqNum`) DISTRIBUTED BY HASH(`gentime`) "
                 "BUCKETS 1 PROPERTIES (\"yamcs.types\" = \"TIMESTAMP;ENUM;INT;"
                 "PROTOBUF(org.yamcs.Db$Event);ARRAY(INT)\")"));
    /* the generated DDL must parse as a UNIQUE KEY table */
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_stmt st;
    cr_assert(eq(int, sl_sql_parse(b.p, b.len, &a, &st, &err), SL_OK), "%s", err.msg);
    cr_assert(eq(int, st.table->key_model, SL_KEYS_UNIQUE));
    cr_assert(eq(sz, st.table->n_cols, 5));
    sl_arena_free(&a);
    sl_buf_free(&b);
}

Test(yamcs_meta, key_order_moves_columns)
{
    sl_buf b = SL_BUF_INIT;
    sl_err err = {0};
    cr_assert(eq(int, translate("CREATE TABLE t (a2 STRING, a1 INT, primary key(a1))", &b, &err),
                 SL_OK));
    cr_assert(eq(str, b.p, "CREATE TABLE `t` (`a1` INT NOT NULL, `a2` STRING) UNIQUE KEY(`a1`) "
                           "DISTRIBUTED BY HASH(`a1`) BUCKETS 1 PROPERTIES (\"yamcs.types\" = "
                           "\"INT;STRING\")"));
    sl_buf_free(&b);
}

Test(yamcs_meta, errors)
{
    const char *bad[][2] = {
        {"create table t (a int)", "a primary key is required"},
        {"create table t (d double, primary key(d))", "DOUBLE key columns are not supported"},
        {"create table t (a tuple, primary key(a))", "invalid or unsupported DataType 'TUPLE'"},
        {"create table t (a int, primary key(b))", "unknown column 'b'"},
        {"create table t (a int auto_increment, primary key(a))",
         "AUTO_INCREMENT is not supported"},
    };
    for (size_t i = 0; i < SL_COUNT(bad); i++) {
        sl_buf b = SL_BUF_INIT;
        sl_err err = {0};
        cr_assert(eq(int, translate(bad[i][0], &b, &err), SL_INVALID), "%s", bad[i][0]);
        cr_assert(eq(str, err.msg, (char *)bad[i][1]));
        sl_buf_free(&b);
    }
}
