/*
 * mysql_internal.h - shared by the MySQL adapter's two files (proto stage): mysql.c (login,
 * commands, result sets from the executor) and mysql_session.c (what clients ask about the
 * session on connect: SET, SELECT @@var, SHOW VARIABLES, ...).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_MYSQL_INTERNAL_H
#define SL_MYSQL_INTERNAL_H

#include "../mysql/mysql.h"
#include "proto.h"

/* One connection's session, in c->ctx (plain memory: it outlives each command's arena). */
typedef struct my_sess {
    char user[72];
    bool admin;
    char db[256];                 /* the current database ("" with has_db false: none) */
    bool has_db;
    bool autocommit;              /* what SET autocommit said (statements commit anyway) */
} my_sess;

/* The session as the executor wants it. */
sl_session sl__my_session(sl_mysql_conn *c);

/* The status flags of the session's replies. */
uint16_t sl__my_status(const sl_mysql_conn *c);

/* ERR for a failed statement: Doris's "errCode = 2, detailMessage = ..." form, the SQLSTATE of
 * errno_. */
void sl__my_stmt_error(sl_my_out *o, int errno_, const char *msg);

/* A result set of text columns (names) and rows of cells (p == NULL: NULL); numeric[i] makes
 * column i BIGINT, its cells digits (numeric NULL: all VARCHAR). At most 16 columns. */
void sl__my_text_rows(sl_mysql_conn *c, sl_my_out *o, const char *const *names,
                      const bool *numeric, size_t n_cols, const sl_slice *cells, size_t n_rows);

/* USE db / COM_INIT_DB: the database must exist and the user see it. Writes OK or ERR. */
void sl__my_use(sl_mysql_conn *c, sl_slice db, sl_my_out *o);

/* Session statements answered without the executor: SET (not SET PASSWORD), USE, SHOW
 * [GLOBAL|SESSION] VARIABLES, SHOW WARNINGS / ERRORS, SHOW COLLATION / CHARACTER SET, SELECT of
 * only @@variables and session functions (DATABASE(), USER(), CONNECTION_ID(), VERSION(), ...),
 * COMMIT, ROLLBACK. True when the statement was one of them (the reply is in o). */
bool sl__my_session_stmt(sl_mysql_conn *c, sl_slice text, sl_my_out *o);

#endif
