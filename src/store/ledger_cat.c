/*
 * ledger_cat.c - databases and tables in the ledger (store stage): the catalog rows, and the
 * engine's data definition run inside the same catalog transaction, so a table exists in the
 * catalog exactly when its storage does.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/mem.h"
#include "ledger.h"

/* A growing array of names in an arena (row callback). */
typedef struct names {
    sl_arena_t *a;
    sl_slice *v;
    size_t n, cap;
} names;

static sl_code names_fn(void *arg, const sl_cell *row, size_t n)
{
    names *L = arg;
    if (n == 0)
        return SL_OK;
    sl_slice *v = sl_arena_grow(L->a, L->v, L->n, &L->cap, sizeof *v);
    if (v == NULL)
        return SL_NOMEM;
    L->v = v;
    L->v[L->n] = sl_arena_slice(L->a, row[0].s);
    if (L->v[L->n].p == NULL)
        return SL_NOMEM;
    L->n++;
    return SL_OK;
}

static int cmp_slice(const void *a, const void *b)
{
    const sl_slice *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->p, y->p, n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* Byte order, as Doris shows names (not the engine's collation). */
static void sort_names(names *L)
{
    if (L->n > 1)
        qsort(L->v, L->n, sizeof *L->v, cmp_slice);
}

sl_code sl__lg_db_exists(sl_store *s, sl_econn *c, sl_slice db, bool *out, sl_err *err)
{
    int64_t one = 0;
    sl_cell p = sl_cell_text(db);
    sl_code rc = sl__lg_exec(s, c, "SELECT 1 FROM dbs WHERE name = $1", &p, 1, sl__lg_int_fn,
                             &one, NULL, err);
    *out = one == 1;
    return rc;
}

typedef struct table_row {
    sl_arena_t *a;
    int64_t id;
    sl_slice name, ddl;
    bool found;
} table_row;

static sl_code table_fn(void *arg, const sl_cell *row, size_t n)
{
    table_row *t = arg;
    if (n < 3)
        return SL_INTERNAL;
    t->id = row[0].i;
    t->name = sl_arena_slice(t->a, row[1].s);
    t->ddl = sl_arena_slice(t->a, row[2].s);
    t->found = true;
    return t->name.p && t->ddl.p ? SL_OK : SL_NOMEM;
}

sl_code sl__lg_table(sl_store *s, sl_econn *c, sl_slice db, sl_slice name, int64_t id,
                     sl_arena_t *a, sl_etable *out, sl_err *err)
{
    table_row t = {a, 0, SL_SLICE_NULL, SL_SLICE_NULL, false};
    sl_cell p[2] = {sl_cell_text(db), id >= 0 ? sl_cell_int(id) : sl_cell_text(name)};
    sl_code rc = sl__lg_exec(s, c,
                             id >= 0 ? "SELECT id, name, ddl FROM tables WHERE db = $1 AND id = $2"
                                     : "SELECT id, name, ddl FROM tables WHERE db = $1 AND "
                                       "name = $2",
                             p, 2, table_fn, &t, NULL, err);
    if (rc != SL_OK)
        return rc;
    if (!t.found)
        return sl_fail(err, SL_NOT_FOUND, "table not found, tableName=%.*s", (int)name.n,
                       name.p ? name.p : "");
    sl_stmt st;
    sl_err perr = {0};
    rc = sl_sql_parse(t.ddl.p, t.ddl.n, a, &st, &perr);
    if (rc != SL_OK || st.kind != SL_STMT_CREATE_TABLE || st.table == NULL)
        return sl_fail(err, SL_INTERNAL, "stored definition of %.*s does not parse: %s",
                       (int)t.name.n, t.name.p, perr.msg);
    out->db = sl_arena_slice(a, db);
    out->name = t.name;
    out->id = t.id;
    out->def = st.table;
    return out->db.p ? SL_OK : sl_fail(err, SL_NOMEM, "out of memory");
}

/* Run body(c, arg) inside one catalog transaction; commit when it succeeds. */
static sl_code in_txn(sl_store *s, sl_code (*body)(sl_store *, sl_econn *, void *, sl_err *),
                      void *arg, sl_err *err)
{
    sl_econn *c;
    sl_code rc = s->ev->conn_get(s->e, &c, err);
    if (rc != SL_OK)
        return rc;
    if ((rc = s->ev->xbegin(c, err)) == SL_OK) {
        rc = body(s, c, arg, err);
        if (rc == SL_OK)
            rc = s->ev->xcommit(c, err);
        else
            s->ev->xrollback(c);
    }
    s->ev->conn_put(c);
    return rc;
}

typedef struct db_op {
    sl_slice db;
    bool flag;                     /* create: if_not_exists; drop: if_exists */
} db_op;

static sl_code create_db_body(sl_store *s, sl_econn *c, void *arg, sl_err *err)
{
    db_op *o = arg;
    bool exists;
    sl_code rc = sl__lg_db_exists(s, c, o->db, &exists, err);
    if (rc != SL_OK || exists)
        return rc != SL_OK || o->flag ? rc
                                      : sl_fail(err, SL_CONFLICT,
                                                "Can't create database '%.*s'; database exists",
                                                (int)o->db.n, o->db.p);
    sl_cell p[2] = {sl_cell_text(o->db), sl_cell_int((int64_t)sl__lg_now_ms())};
    rc = sl__lg_exec(s, c, "INSERT INTO dbs(name, created_ms) VALUES($1, $2)", p, 2, NULL, NULL,
                     NULL, err);
    return rc == SL_OK ? s->ev->create_db(c, o->db, err) : rc;
}

sl_code sl_store_create_db(sl_store *s, sl_slice db, bool if_not_exists, sl_err *err)
{
    db_op o = {db, if_not_exists};
    return in_txn(s, create_db_body, &o, err);
}

/* A list of ids (row callback); at most 256 per round. */
typedef struct idlist {
    int64_t v[256];
    size_t n;
} idlist;

static sl_code id_fn(void *arg, const sl_cell *row, size_t n)
{
    idlist *L = arg;
    if (n > 0 && L->n < SL_COUNT(L->v))
        L->v[L->n++] = row[0].i;
    return SL_OK;
}

/* Abort the PRECOMMITTED transactions of table t and drop their stages: the table is going
 * away, so they can never commit. */
static sl_code drop_stages(sl_store *s, sl_econn *c, sl_slice db, const sl_etable *t,
                           sl_err *err)
{
    idlist L;
    sl_code rc;
    do {
        L.n = 0;
        sl_cell p[2] = {sl_cell_text(db), sl_cell_int(t->id)};
        rc = sl__lg_exec(s, c,
                         "SELECT id FROM txns WHERE db = $1 AND table_id = $2 AND state = 2 "
                         "LIMIT 256",
                         p, 2, id_fn, &L, NULL, err);
        for (size_t i = 0; rc == SL_OK && i < L.n; i++) {
            sl_cell q[2] = {sl_cell_int(L.v[i]), sl_cell_int((int64_t)sl__lg_now_ms())};
            if ((rc = s->ev->stage_drop(c, t, L.v[i], err)) == SL_OK)
                rc = sl__lg_exec(s, c,
                                 "UPDATE txns SET state = 5, finished_ms = $2, reason = 'table "
                                 "dropped' WHERE id = $1",
                                 q, 2, NULL, NULL, NULL, err);
        }
    } while (rc == SL_OK && L.n == SL_COUNT(L.v));
    return rc;
}

static sl_code drop_db_body(sl_store *s, sl_econn *c, void *arg, sl_err *err)
{
    db_op *o = arg;
    bool exists;
    sl_code rc = sl__lg_db_exists(s, c, o->db, &exists, err);
    if (rc != SL_OK || !exists)
        return rc != SL_OK || o->flag
                   ? rc
                   : sl_fail(err, SL_NOT_FOUND_DB,
                             "Can't drop database '%.*s'; database doesn't exist", (int)o->db.n,
                             o->db.p);
    sl_arena_t a;
    sl_arena_init(&a, 1024);
    names L = {&a, NULL, 0, 0};
    sl_cell p[2] = {sl_cell_text(o->db), sl_cell_int((int64_t)sl__lg_now_ms())};
    rc = sl__lg_exec(s, c, "SELECT name FROM tables WHERE db = $1", p, 1, names_fn, &L, NULL,
                     err);
    for (size_t i = 0; rc == SL_OK && i < L.n; i++) {
        sl_etable t;
        if ((rc = sl__lg_table(s, c, o->db, L.v[i], -1, &a, &t, err)) == SL_OK &&
            (rc = drop_stages(s, c, o->db, &t, err)) == SL_OK)
            rc = s->ev->drop_table(c, &t, false, err);
    }
    static const char *const dels[] = {
        "DELETE FROM tables WHERE db = $1", "DELETE FROM txns WHERE db = $1",
        "DELETE FROM loads WHERE db = $1", "DELETE FROM dbs WHERE name = $1"};
    for (size_t i = 0; rc == SL_OK && i < SL_COUNT(dels); i++)
        rc = sl__lg_exec(s, c, dels[i], p, 1, NULL, NULL, NULL, err);
    sl_arena_free(&a);
    return rc == SL_OK ? s->ev->drop_db(c, o->db, err) : rc;
}

sl_code sl_store_drop_db(sl_store *s, sl_slice db, bool if_exists, sl_err *err)
{
    db_op o = {db, if_exists};
    return in_txn(s, drop_db_body, &o, err);
}

sl_code sl_store_list_dbs(sl_store *s, sl_arena_t *a, sl_slice **out, size_t *n, sl_err *err)
{
    names L = {a, NULL, 0, 0};
    sl_code rc = sl__lg_run(s, "SELECT name FROM dbs", NULL, 0, names_fn, &L, NULL, err);
    sort_names(&L);
    *out = L.v, *n = L.n;
    return rc == SL_NOMEM ? sl_fail(err, SL_NOMEM, "out of memory") : rc;
}

static sl_code unknown_db(sl_slice db, sl_err *err)
{
    return sl_fail(err, SL_NOT_FOUND_DB, "Unknown database '%.*s'", (int)db.n, db.p);
}

sl_code sl_store_list_tables(sl_store *s, sl_slice db, sl_arena_t *a, sl_slice **out,
                             size_t *n, sl_err *err)
{
    sl_econn *c;
    sl_code rc = s->ev->conn_get(s->e, &c, err);
    if (rc != SL_OK)
        return rc;
    bool exists;
    names L = {a, NULL, 0, 0};
    sl_cell p = sl_cell_text(db);
    if ((rc = sl__lg_db_exists(s, c, db, &exists, err)) == SL_OK)
        rc = exists ? sl__lg_exec(s, c, "SELECT name FROM tables WHERE db = $1", &p, 1,
                                  names_fn, &L, NULL, err)
                    : unknown_db(db, err);
    s->ev->conn_put(c);
    sort_names(&L);
    *out = L.v, *n = L.n;
    return rc == SL_NOMEM ? sl_fail(err, SL_NOMEM, "out of memory") : rc;
}

typedef struct tbl_op {
    sl_slice db, name, ddl;
    const sl_tabledef *def;
    bool flag;                     /* create: if_not_exists; drop: if_exists */
    bool truncate;
} tbl_op;

static sl_code create_table_body(sl_store *s, sl_econn *c, void *arg, sl_err *err)
{
    tbl_op *o = arg;
    bool exists;
    sl_code rc = sl__lg_db_exists(s, c, o->db, &exists, err);
    if (rc != SL_OK || !exists)
        return rc != SL_OK ? rc : unknown_db(o->db, err);
    int64_t id = -1;
    sl_cell p[4] = {sl_cell_text(o->db), sl_cell_text(o->def->name), sl_cell_text(o->ddl),
                    sl_cell_int((int64_t)sl__lg_now_ms())};
    rc = sl__lg_exec(s, c,
                     "INSERT INTO tables(db, name, ddl, created_ms) VALUES($1, $2, $3, $4) "
                     "ON CONFLICT DO NOTHING RETURNING id",
                     p, 4, sl__lg_int_fn, &id, NULL, err);
    if (rc != SL_OK)
        return rc;
    if (id < 0)
        return o->flag ? SL_OK
                       : sl_fail(err, SL_CONFLICT, "Table '%.*s' already exists",
                                 (int)o->def->name.n, o->def->name.p);
    sl_etable t = {o->db, o->def->name, id, o->def};
    return s->ev->create_table(c, &t, err);
}

sl_code sl_store_create_table(sl_store *s, sl_slice db, const sl_tabledef *def, sl_slice ddl,
                              bool if_not_exists, sl_err *err)
{
    tbl_op o = {db, def->name, ddl, def, if_not_exists, false};
    return in_txn(s, create_table_body, &o, err);
}

static sl_code drop_table_body(sl_store *s, sl_econn *c, void *arg, sl_err *err)
{
    tbl_op *o = arg;
    bool exists;
    sl_code rc = sl__lg_db_exists(s, c, o->db, &exists, err);
    if (rc != SL_OK || !exists)
        return rc != SL_OK ? rc : unknown_db(o->db, err);
    sl_arena_t a;
    sl_arena_init(&a, 1024);
    sl_etable t;
    sl_err e2 = {0};
    rc = sl__lg_table(s, c, o->db, o->name, -1, &a, &t, &e2);
    if (SL_PRIMARY(rc) == SL_NOT_FOUND) {
        sl_arena_free(&a);
        return o->flag ? SL_OK
                       : sl_fail(err, SL_NOT_FOUND, "Unknown table '%.*s'", (int)o->name.n,
                                 o->name.p);
    }
    if (rc != SL_OK) {
        sl_arena_free(&a);
        return sl_fail(err, rc, "%s", e2.msg);
    }
    if (!o->truncate)
        rc = drop_stages(s, c, o->db, &t, err);
    if (rc == SL_OK)
        rc = s->ev->drop_table(c, &t, o->truncate, err);
    sl_cell p = sl_cell_int(t.id);
    if (rc == SL_OK && !o->truncate)
        rc = sl__lg_exec(s, c, "DELETE FROM tables WHERE id = $1", &p, 1, NULL, NULL, NULL,
                         err);
    sl_arena_free(&a);
    return rc;
}

sl_code sl_store_drop_table(sl_store *s, sl_slice db, sl_slice table, bool if_exists,
                            sl_err *err)
{
    tbl_op o = {db, table, SL_SLICE_NULL, NULL, if_exists, false};
    return in_txn(s, drop_table_body, &o, err);
}

sl_code sl_store_truncate(sl_store *s, sl_slice db, sl_slice table, sl_err *err)
{
    tbl_op o = {db, table, SL_SLICE_NULL, NULL, false, true};
    return in_txn(s, drop_table_body, &o, err);
}

sl_code sl_store_get_table(sl_store *s, sl_slice db, sl_slice table, sl_arena_t *a,
                           sl_slice *ddl, int64_t *table_id, sl_err *err)
{
    sl_econn *c;
    sl_code rc = s->ev->conn_get(s->e, &c, err);
    if (rc != SL_OK)
        return rc;
    bool exists;
    table_row t = {a, -1, SL_SLICE_NULL, SL_SLICE_NULL, false};
    sl_cell p[2] = {sl_cell_text(db), sl_cell_text(table)};
    if ((rc = sl__lg_db_exists(s, c, db, &exists, err)) == SL_OK && !exists)
        rc = sl_fail(err, SL_NOT_FOUND_DB, "unknown database, database=%.*s", (int)db.n, db.p);
    if (rc == SL_OK)
        rc = sl__lg_exec(s, c, "SELECT id, name, ddl FROM tables WHERE db = $1 AND name = $2", p,
                         2, table_fn, &t, NULL, err);
    s->ev->conn_put(c);
    if (rc == SL_OK && !t.found)
        rc = sl_fail(err, SL_NOT_FOUND, "table not found, tableName=%.*s", (int)table.n,
                     table.p);
    if (rc == SL_OK) {
        *ddl = t.ddl;
        *table_id = t.id;
    }
    return rc == SL_NOMEM ? sl_fail(err, SL_NOMEM, "out of memory") : rc;
}

sl_code sl_store_table_def(sl_store *s, sl_slice db, sl_slice table, sl_arena_t *a,
                           sl_tabledef **def, int64_t *table_id, sl_err *err)
{
    sl_slice ddl;
    sl_code rc = sl_store_get_table(s, db, table, a, &ddl, table_id, err);
    if (rc != SL_OK)
        return rc;
    sl_stmt st;
    sl_err perr = {0};
    rc = sl_sql_parse(ddl.p, ddl.n, a, &st, &perr);
    if (rc != SL_OK || st.kind != SL_STMT_CREATE_TABLE || st.table == NULL)
        return sl_fail(err, SL_INTERNAL, "stored definition of %.*s does not parse: %s",
                       (int)table.n, table.p, perr.msg);
    *def = st.table;
    return SL_OK;
}

/* ---- ALTER TABLE and CREATE TABLE LIKE ------------------------------------------------------ */

typedef struct alter_op {
    sl_slice db, name;
    const sl_alter *alter;
} alter_op;

/* A running load of table id (PREPARE or PRECOMMITTED): its id, or -1. */
static sl_code running_load(sl_store *s, sl_econn *c, sl_slice db, int64_t id, int64_t *txn,
                            sl_err *err)
{
    sl_cell p[2] = {sl_cell_text(db), sl_cell_int(id)};
    *txn = -1;
    return sl__lg_exec(s, c,
                       "SELECT id FROM txns WHERE db = $1 AND table_id = $2 AND state IN (1, 2) "
                       "LIMIT 1",
                       p, 2, sl__lg_int_fn, txn, NULL, err);
}

static bool drops_partitions(const sl_alter *al)
{
    for (size_t i = 0; i < al->n_ops; i++)
        if (al->ops[i].kind == SL_ALTER_DROP_PARTITION)
            return true;
    return false;
}

/* The new name is free (a rename), then the catalog row and the engine's storage. */
static sl_code store_altered(sl_store *s, sl_econn *c, const alter_op *o, const sl_etable *old,
                             sl_etable *nw, const long *src, sl_arena_t *a, sl_err *err)
{
    sl_buf text = SL_BUF_INIT;
    int64_t one = 0;
    sl_code rc = SL_OK;
    if (nw->name.n != old->name.n || memcmp(nw->name.p, old->name.p, nw->name.n) != 0) {
        sl_cell p[2] = {sl_cell_text(o->db), sl_cell_text(nw->name)};
        rc = sl__lg_exec(s, c, "SELECT 1 FROM tables WHERE db = $1 AND name = $2", p, 2,
                         sl__lg_int_fn, &one, NULL, err);
        if (rc == SL_OK && one)
            return sl_fail(err, SL_CONFLICT, "Table name[%.*s] is already used", (int)nw->name.n,
                           nw->name.p);
    }
    sl_sql_create_text(nw->def, &text);
    sl_slice ddl = sl_arena_slice(a, (sl_slice){text.p ? text.p : "", text.len});
    if (rc == SL_OK && (text.oom || ddl.p == NULL))
        rc = sl_fail(err, SL_NOMEM, "out of memory");
    sl_buf_free(&text);
    sl_cell q[3] = {sl_cell_int(nw->id), sl_cell_text(nw->name), sl_cell_text(ddl)};
    if (rc == SL_OK)
        rc = sl__lg_exec(s, c, "UPDATE tables SET name = $2, ddl = $3 WHERE id = $1", q, 3, NULL,
                         NULL, NULL, err);
    if (rc == SL_OK)
        rc = s->ev->alter_table(c, old, nw, src, drops_partitions(o->alter), err);
    return rc;
}

static sl_code alter_body(sl_store *s, sl_econn *c, void *arg, sl_err *err)
{
    alter_op *o = arg;
    bool exists;
    sl_arena_t a;
    sl_etable old, nw;
    sl_tabledef *def;
    long *src;
    sl_slice rename;
    int64_t txn;
    sl_code rc = sl__lg_db_exists(s, c, o->db, &exists, err);
    if (rc != SL_OK || !exists)
        return rc != SL_OK ? rc : unknown_db(o->db, err);
    sl_arena_init(&a, 4096);
    sl_err e2 = {0};
    rc = sl__lg_table(s, c, o->db, o->name, -1, &a, &old, &e2);
    if (SL_PRIMARY(rc) == SL_NOT_FOUND)
        rc = sl_fail(err, SL_NOT_FOUND, "Unknown table '%.*s'", (int)o->name.n, o->name.p);
    else if (rc != SL_OK)
        rc = sl_fail(err, rc, "%s", e2.msg);
    if (rc == SL_OK)
        rc = running_load(s, c, o->db, old.id, &txn, err);
    if (rc == SL_OK && txn >= 0)
        rc = sl_fail(err, SL_INVALID_SQL, "Table[%.*s]'s state is not NORMAL: load transaction "
                     "%lld is running; retry when it has finished", (int)o->name.n, o->name.p,
                     (long long)txn);
    if (rc == SL_OK)
        rc = sl_sql_alter_apply(old.def, o->alter, &a, &def, &src, &rename, err);
    if (rc == SL_OK) {
        nw = old;
        nw.def = def;
        nw.name = rename.p ? rename : old.name;
        rc = store_altered(s, c, o, &old, &nw, src, &a, err);
    }
    sl_arena_free(&a);
    return rc;
}

sl_code sl_store_alter_table(sl_store *s, sl_slice db, sl_slice table, const sl_alter *alter,
                             sl_err *err)
{
    alter_op o = {db, table, alter};
    return in_txn(s, alter_body, &o, err);
}

sl_code sl_store_create_table_like(sl_store *s, sl_slice db, sl_slice name, sl_slice src_db,
                                   sl_slice src, bool if_not_exists, sl_err *err)
{
    sl_arena_t a;
    sl_tabledef *def;
    int64_t id;
    sl_buf text = SL_BUF_INIT;
    sl_arena_init(&a, 4096);
    sl_code rc = sl_store_table_def(s, src_db, src, &a, &def, &id, err);
    if (SL_PRIMARY(rc) == SL_NOT_FOUND && rc != SL_NOT_FOUND_DB) { /* the SQL API's words */
        sl_err_clear(err);
        rc = sl_fail(err, SL_NOT_FOUND, "Unknown table '%.*s'", (int)src.n, src.p);
    }
    if (rc == SL_OK) {
        def->name = name;
        sl_sql_create_text(def, &text);
        rc = text.oom ? sl_fail(err, SL_NOMEM, "out of memory")
                      : sl_store_create_table(s, db, def, (sl_slice){text.p, text.len},
                                              if_not_exists, err);
    }
    sl_buf_free(&text);
    sl_arena_free(&a);
    return rc;
}
