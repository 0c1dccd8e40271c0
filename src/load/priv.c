/*
 * priv.c - the privilege policy (load stage): one table from action to the privileges that
 * allow it, one check every protocol calls, and the mapping of SQL statements to actions.
 *
 *   adapter (Doris, 2PC, SQL API, Yamcs, tsload) --identity, action, db, table--> sl_priv_check
 *       --privileges of rules[act]--> auth.c: grants of the user on "*", "db", "db.table"
 *
 * An ADMIN user (or ADMIN granted on "*") may do everything; ADMIN granted on a database
 * covers every privilege on that database (as sluice's first grant model had it).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <string.h>

#include "priv.h"

typedef struct rule {
    const char *names;         /* for the error text */
    const char *privs[2];      /* any one of them allows the action */
    size_t n_privs;
    bool db_level;             /* only grants on the database or "*" count, not on one table */
} rule;

static const rule rules[SL_ACT_COUNT_] = {
    [SL_ACT_LOGIN] = {"", {NULL, NULL}, 0, false},
    [SL_ACT_LOAD] = {"LOAD", {"LOAD", NULL}, 1, false},
    [SL_ACT_LOAD_INFO] = {"LOAD", {"LOAD", NULL}, 1, true},
    [SL_ACT_READ] = {"SELECT, LOAD", {"SELECT", "LOAD"}, 2, false},
    [SL_ACT_LIST] = {"SELECT, LOAD", {"SELECT", "LOAD"}, 2, true},
    [SL_ACT_CREATE] = {"CREATE", {"CREATE", NULL}, 1, false},
    [SL_ACT_DROP] = {"DROP", {"DROP", NULL}, 1, false},
    [SL_ACT_ALTER] = {"ALTER", {"ALTER", NULL}, 1, false},
    [SL_ACT_ADMIN] = {"ADMIN", {NULL, NULL}, 0, true},
};

sl_code sl_priv_check(sl_auth *a, const sl_identity *id, sl_priv_action act, sl_slice db,
                      sl_slice table, sl_err *err)
{
    if (SL_NEVER((unsigned)act >= SL_ACT_COUNT_))
        act = SL_ACT_ADMIN;
    if (act == SL_ACT_LOGIN || id->admin)
        return SL_OK;
    const rule *r = &rules[act];
    bool yes = false;
    /* ADMIN: no privilege list and no database, so only ADMIN users and grants on "*" match. */
    sl_slice d = act == SL_ACT_ADMIN ? SL_LIT("") : db;
    sl_slice t = r->db_level ? SL_LIT("") : table;
    /* An empty privilege array (not NULL) means "none of them": only ADMIN counts. */
    static const char *const none[1] = {NULL};
    sl_code rc = sl__auth_granted(a, id->user, r->n_privs ? r->privs : none, r->n_privs, d, t,
                                  false, &yes, err);
    if (rc != SL_OK)
        return rc;
    if (!yes)
        return sl_fail(err, SL_FORBIDDEN, "Access denied; you need (at least one of) the (%s) "
                       "privilege(s) for this operation", r->names);
    return SL_OK;
}

bool sl_priv_sees_db(sl_auth *a, const sl_identity *id, sl_slice db)
{
    bool yes = false;
    sl_err err = {0};
    if (id->admin)
        return true;
    return sl__auth_granted(a, id->user, NULL, 0, db, SL_LIT(""), true, &yes, &err) == SL_OK &&
           yes;
}

void sl_priv_of_stmt(const sl_stmt *st, sl_slice default_db, sl_priv_action *act, sl_slice *db,
                     sl_slice *table)
{
    *db = st->db.n ? st->db : default_db;
    *table = st->name;
    switch (st->kind) {
    case SL_STMT_CREATE_DATABASE: *act = SL_ACT_CREATE; break;
    case SL_STMT_DROP_DATABASE: *act = SL_ACT_DROP; break;
    case SL_STMT_CREATE_TABLE:
    case SL_STMT_CREATE_TABLE_LIKE: /* and SELECT on the source: the executor (exec.c) checks it */
    case SL_STMT_CREATE_TABLE_AS: *act = SL_ACT_CREATE; break;
    case SL_STMT_ALTER_TABLE: *act = SL_ACT_ALTER; break;
    case SL_STMT_DROP_TABLE: *act = SL_ACT_DROP; break;
    case SL_STMT_TRUNCATE: *act = SL_ACT_LOAD; break; /* Doris: deleting data is a load */
    case SL_STMT_INSERT: *act = SL_ACT_LOAD; break;
    case SL_STMT_SHOW_DATABASES: /* filtered by the databases one may see */
    case SL_STMT_SHOW_PROC_LOADS: *act = SL_ACT_LOGIN; break;
    case SL_STMT_SHOW_TABLES: *act = SL_ACT_LIST; break;
    case SL_STMT_SHOW_CREATE_TABLE:
    case SL_STMT_DESC: *act = SL_ACT_READ; break;
    case SL_STMT_SHOW_STREAM_LOAD:
    case SL_STMT_SHOW_TRANSACTION: *act = SL_ACT_LOAD_INFO; break;
    case SL_STMT_SET_PASSWORD: /* one's own password, or (FOR user) anyone's: ADMIN */
    case SL_STMT_SHOW_GRANTS:  /* one's own grants; FOR user or ALL: ADMIN */
        *act = st->account.user.p == NULL && !st->account.all ? SL_ACT_LOGIN : SL_ACT_ADMIN;
        break;
    case SL_STMT_SELECT:
        *db = st->select.db.n ? st->select.db : default_db;
        *table = st->select.table;
        *act = st->select.table.n ? SL_ACT_READ : SL_ACT_LOGIN;
        break;
    default: *act = SL_ACT_ADMIN; break;
    }
    if (table->p == NULL)
        *table = SL_LIT("");
}
