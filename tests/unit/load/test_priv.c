/* Unit tests of src/load/priv.c over a real users.db: every action against grants on *, db and
 * db.table, the error text, SHOW DATABASES visibility, and the action of every SQL statement
 * kind (sl_priv_of_stmt). The same decisions over HTTP, for every route, are in
 * tests/e2e/test_privileges.py.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load/priv.h"
#include "store/store.h"

static char dir[256];
static sl_auth *A;
static sl_store *S;

static sl_err *fe(void)
{
    static sl_err e;
    sl_err_clear(&e);
    return &e;
}

static void user(const char *name, const char *privs, const char *target)
{
    sl_err *e = fe();
    sl_code rc = sl_auth_add(A, sl_slice_of(name), SL_LIT(""), false, NULL, e);
    cr_assert(rc == SL_OK || rc == SL_CONFLICT, "%s", e->msg);
    if (privs)
        cr_assert(eq(int, sl_auth_grant(A, sl_slice_of(name), privs, target, e = fe()), SL_OK),
                  "%s", e->msg);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/sl-priv-XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
    sl_store_opts o = {.data_dir = dir};
    cr_assert(eq(int, sl_store_global_init(fe()), SL_OK));
    cr_assert(eq(int, sl_store_open(&o, &S, fe()), SL_OK));
    cr_assert(eq(int, sl_auth_open(S, &A, fe()), SL_OK));
    user("load_db", "LOAD", "d");
    user("load_t", "LOAD", "d.t");
    user("sel_t", "SELECT", "d.t");
    user("sel_db", "SELECT", "d.*");
    user("create_db", "CREATE", "d");
    user("drop_t", "DROP", "d.t");
    user("all_star", "ALL", "*.*");
    user("admin_d", "ADMIN", "d");
    user("nothing", NULL, NULL);
}

static void teardown(void)
{
    sl_auth_close(A);
    sl_store_close(S);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert(eq(int, system(cmd), 0));
}

TestSuite(priv, .init = setup, .fini = teardown);

static bool may(const char *who, sl_priv_action act, const char *db, const char *table)
{
    sl_identity id = {sl_slice_of(who), false};
    sl_err *e = fe();
    sl_code rc = sl_priv_check(A, &id, act, sl_slice_of(db), sl_slice_of(table), e);
    cr_assert(rc == SL_OK || rc == SL_FORBIDDEN, "%s", e->msg);
    return rc == SL_OK;
}

/* One row per (user, action, db, table): allowed? */
static const struct {
    const char *who;
    sl_priv_action act;
    const char *db, *table;
    bool allowed;
} matrix[] = {
    {"load_db", SL_ACT_LOAD, "d", "t", true},        {"load_db", SL_ACT_LOAD, "d", "u", true},
    {"load_db", SL_ACT_LOAD, "e", "t", false},       {"load_db", SL_ACT_LOAD_INFO, "d", "", true},
    {"load_db", SL_ACT_READ, "d", "t", true},        {"load_db", SL_ACT_LIST, "d", "", true},
    {"load_db", SL_ACT_CREATE, "d", "t", false},     {"load_db", SL_ACT_DROP, "d", "t", false},
    {"load_db", SL_ACT_ADMIN, "", "", false},        {"load_t", SL_ACT_LOAD, "d", "t", true},
    {"load_t", SL_ACT_LOAD, "d", "t2", false},       {"load_t", SL_ACT_LOAD, "d", "", false},
    {"load_t", SL_ACT_LOAD_INFO, "d", "t", false},   {"load_t", SL_ACT_READ, "d", "t", true},
    {"load_t", SL_ACT_READ, "d", "t2", false},       {"load_t", SL_ACT_LIST, "d", "t", false},
    {"load_t", SL_ACT_DROP, "d", "t", false},        {"sel_t", SL_ACT_READ, "d", "t", true},
    {"sel_t", SL_ACT_LOAD, "d", "t", false},         {"sel_t", SL_ACT_LIST, "d", "", false},
    {"sel_t", SL_ACT_LOAD_INFO, "d", "", false},     {"sel_db", SL_ACT_LIST, "d", "", true},
    {"sel_db", SL_ACT_READ, "d", "any", true},       {"sel_db", SL_ACT_LOAD, "d", "t", false},
    {"create_db", SL_ACT_CREATE, "d", "new", true},  {"create_db", SL_ACT_CREATE, "d", "", true},
    {"create_db", SL_ACT_CREATE, "e", "", false},    {"create_db", SL_ACT_DROP, "d", "t", false},
    {"create_db", SL_ACT_READ, "d", "t", false},     {"drop_t", SL_ACT_DROP, "d", "t", true},
    {"drop_t", SL_ACT_DROP, "d", "", false},         {"drop_t", SL_ACT_LOAD, "d", "t", false},
    {"all_star", SL_ACT_DROP, "x", "", true},        {"all_star", SL_ACT_LOAD_INFO, "x", "", true},
    {"all_star", SL_ACT_ADMIN, "", "", false},       {"admin_d", SL_ACT_DROP, "d", "", true},
    {"admin_d", SL_ACT_LOAD, "e", "t", false},       {"admin_d", SL_ACT_ADMIN, "", "", false},
    {"nothing", SL_ACT_LOGIN, "d", "t", true},       {"nothing", SL_ACT_READ, "d", "t", false},
    {"nothing", SL_ACT_LIST, "d", "", false},        {"nobody", SL_ACT_LOAD, "d", "t", false},
    {"root", SL_ACT_ADMIN, "", "", true},            {"root", SL_ACT_DROP, "x", "y", true},
};

Test(priv, matrix)
{
    for (size_t i = 0; i < SL_COUNT(matrix); i++)
        cr_assert(eq(int, may(matrix[i].who, matrix[i].act, matrix[i].db, matrix[i].table),
                     matrix[i].allowed), "row %zu: %s %d %s.%s", i, matrix[i].who,
                  (int)matrix[i].act, matrix[i].db, matrix[i].table);
}

Test(priv, text_and_admin_identity)
{
    sl_identity id = {SL_LIT("load_t"), false};
    sl_err *e = fe();
    cr_assert(eq(int, sl_priv_check(A, &id, SL_ACT_LOAD, SL_LIT("d"), SL_LIT("t2"), e),
                 SL_FORBIDDEN));
    cr_assert(eq(str, e->msg, "Access denied; you need (at least one of) the (LOAD) privilege(s) "
                              "for this operation"));
    cr_assert(eq(int, sl_priv_check(A, &id, SL_ACT_READ, SL_LIT("d"), SL_LIT("t2"), e = fe()),
                 SL_FORBIDDEN));
    cr_assert(strstr(e->msg, "(SELECT, LOAD)") != NULL, "%s", e->msg);
    id.admin = true; /* a logged-in ADMIN needs no lookup */
    cr_assert(eq(int, sl_priv_check(A, &id, SL_ACT_DROP, SL_LIT("z"), SL_LIT(""), fe()), SL_OK));
}

Test(priv, sees_db)
{
    sl_identity id = {SL_LIT("load_t"), false};
    cr_assert(sl_priv_sees_db(A, &id, SL_LIT("d")));  /* a grant on one of its tables */
    cr_assert(sl_priv_sees_db(A, &id, SL_LIT("e")) == false);
    cr_assert(sl_priv_sees_db(A, &id, SL_LIT("d.t")) == false);
    id.user = SL_LIT("all_star");
    cr_assert(sl_priv_sees_db(A, &id, SL_LIT("e")));
    id.user = SL_LIT("nothing");
    cr_assert(sl_priv_sees_db(A, &id, SL_LIT("d")) == false);
}

/* Every statement kind maps to an action on the database it names, else the default one. */
Test(priv, statements)
{
    static const struct {
        const char *sql;
        sl_priv_action act;
        const char *db, *table;
    } cases[] = {
        {"CREATE DATABASE x", SL_ACT_CREATE, "x", ""},
        {"DROP DATABASE x", SL_ACT_DROP, "x", ""},
        {"CREATE TABLE o.t (a INT) DISTRIBUTED BY HASH(a) BUCKETS 1", SL_ACT_CREATE, "o", "t"},
        {"CREATE TABLE t (a INT) DISTRIBUTED BY HASH(a) BUCKETS 1", SL_ACT_CREATE, "p", "t"},
        {"DROP TABLE t", SL_ACT_DROP, "p", "t"},
        {"TRUNCATE TABLE o.t", SL_ACT_LOAD, "o", "t"},
        {"SHOW DATABASES", SL_ACT_LOGIN, "p", ""},
        {"SHOW TABLES FROM o", SL_ACT_LIST, "o", ""},
        {"SHOW CREATE TABLE t", SL_ACT_READ, "p", "t"},
        {"DESC o.t", SL_ACT_READ, "o", "t"},
        {"SELECT * FROM o.t", SL_ACT_READ, "o", "t"},
        {"SELECT 1", SL_ACT_LOGIN, "p", ""},
        {"INSERT INTO t VALUES (1)", SL_ACT_LOAD, "p", "t"},
        {"SHOW STREAM LOAD FROM o", SL_ACT_LOAD_INFO, "o", ""},
        {"SHOW TRANSACTION WHERE id = 1", SL_ACT_LOAD_INFO, "p", ""},
    };
    bool seen[SL_STMT_SHOW_TRANSACTION + 1] = {0};
    sl_arena_t a;
    sl_arena_init(&a, 0);
    for (size_t i = 0; i < SL_COUNT(cases); i++) {
        sl_stmt st;
        sl_err *e = fe();
        cr_assert(eq(int, sl_sql_parse(cases[i].sql, strlen(cases[i].sql), &a, &st, e), SL_OK),
                  "%s: %s", cases[i].sql, e->msg);
        sl_priv_action act;
        sl_slice db, table;
        sl_priv_of_stmt(&st, SL_LIT("p"), &act, &db, &table);
        cr_assert(eq(int, act, cases[i].act), "%s", cases[i].sql);
        cr_assert(db.n == strlen(cases[i].db) && memcmp(db.p, cases[i].db, db.n) == 0, "%s",
                  cases[i].sql);
        cr_assert(table.n == strlen(cases[i].table) && (table.n == 0 ||
                  memcmp(table.p, cases[i].table, table.n) == 0), "%s", cases[i].sql);
        seen[st.kind] = true;
    }
    for (size_t k = 0; k < SL_COUNT(seen); k++)
        cr_assert(seen[k], "statement kind %zu has no case", k);
    sl_arena_free(&a);
}
