/*
 * priv.h - the privilege policy: what an identity may do (load stage). Every protocol adapter
 * asks sl_priv_check before it reads, loads, creates or drops anything; the SQL API and Yamcs
 * :executeSql map their statements to an action through sl_priv_of_stmt. The model (Doris's
 * LOAD_PRIV, SELECT_PRIV, CREATE_PRIV, DROP_PRIV, ALTER_PRIV, ADMIN_PRIV on *.*, db.* or db.tbl)
 * and the table of what each endpoint needs are in docs/SECURITY.md.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_PRIV_H
#define SL_PRIV_H

#include "../sql/sql.h"
#include "auth.h"

/* What a request does. The privileges each one needs are in priv.c's rules[]. */
typedef enum sl_priv_action {
    SL_ACT_LOGIN,        /* nothing beyond a password: SHOW DATABASES (filtered), SELECT 1 */
    SL_ACT_LOAD,         /* load into, or empty, db.table: LOAD */
    SL_ACT_LOAD_INFO,    /* a database's load states and history: LOAD on the database */
    SL_ACT_READ,         /* db.table's rows or definition: SELECT or LOAD */
    SL_ACT_LIST,         /* a database's tables: SELECT or LOAD on the database */
    SL_ACT_CREATE,       /* CREATE TABLE db.table, CREATE DATABASE db: CREATE */
    SL_ACT_DROP,         /* DROP TABLE db.table, DROP DATABASE db: DROP */
    SL_ACT_ALTER,        /* ALTER TABLE db.table: ALTER */
    SL_ACT_ADMIN,        /* anything of anyone (other users' tsload cycles, users): ADMIN on * */
    SL_ACT_COUNT_
} sl_priv_action;

/* May id do act on db.table? table may be empty (the database itself). SL_OK, or SL_FORBIDDEN
 * with Doris's "Access denied; you need (at least one of) the (LOAD) privilege(s) for this
 * operation", or SL_BACKEND when the store cannot be read (then nothing is allowed). */
sl_code sl_priv_check(sl_auth *a, const sl_identity *id, sl_priv_action act, sl_slice db,
                      sl_slice table, sl_err *err);

/* Does id hold any privilege on db or on one of its tables (SHOW DATABASES lists those)? */
bool sl_priv_sees_db(sl_auth *a, const sl_identity *id, sl_slice db);

/* The action a parsed statement needs and the db.table it acts on: the statement's own
 * database, else default_db (the SQL API's path, Yamcs's instance). *table is empty for
 * statements on a database. Slices borrow from st and default_db. */
void sl_priv_of_stmt(const sl_stmt *st, sl_slice default_db, sl_priv_action *act, sl_slice *db,
                     sl_slice *table);

#endif
