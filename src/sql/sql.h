/*
 * sql.h - the statement parser for the HTTP SQL API and `sluice sql` (sql stage).
 *
 * Parses one Doris-dialect statement into an sl_stmt: DDL (databases, tables in Doris syntax),
 * SHOW / DESC, INSERT ... VALUES and read-only SELECT. DDL becomes an sl_tabledef; SELECT is
 * checked and rewritten token by token into SQLite's dialect over one placeholder table, which
 * the store binds to the table's visible data.
 *
 * Ownership: every slice and array reachable from an sl_stmt is a copy in the caller's arena
 * (strings unescaped, identifiers without their backquotes), so the statement text may be freed
 * as soon as sl_sql_parse returns; the result lives until that arena is reset.
 *
 * Read and checked but not kept (sl_tabledef has no field for them): column and table COMMENTs,
 * AUTO_INCREMENT, ON UPDATE CURRENT_TIMESTAMP, INDEX definitions (their columns must exist),
 * CLUSTER BY (its columns must exist), ROLLUP, partition properties, ENGINE=OLAP and the
 * PROPERTIES of CREATE DATABASE.
 *
 * CREATE TABLE settles the key model as Doris does: a DUPLICATE/UNIQUE/AGGREGATE KEY clause must
 * name an ordered prefix of the columns; without one, aggregate columns make an AGGREGATE KEY
 * table keyed on all other columns, else the table is DUPLICATE KEY on its first min(3, n)
 * columns, stopping before the first FLOAT, DOUBLE, STRING or JSON column (simpler than Doris's
 * 36-byte rule). Keys may not be FLOAT/DOUBLE/STRING/JSON; aggregates only in AGGREGATE KEY.
 *
 * src/sql/ sits beside src/expr/: expr/ holds the load-time expression engine (columns, where);
 * sql/ holds the statement grammar. Neither knows a protocol or a store.
 */
#ifndef SL_SQL_H
#define SL_SQL_H

#include "../batch/types.h"
#include "../core/arena.h"
#include "../core/status.h"

typedef enum sl_stmt_kind {
    SL_STMT_CREATE_DATABASE,
    SL_STMT_DROP_DATABASE,
    SL_STMT_CREATE_TABLE,
    SL_STMT_DROP_TABLE,
    SL_STMT_TRUNCATE,
    SL_STMT_SHOW_DATABASES,
    SL_STMT_SHOW_TABLES,
    SL_STMT_SHOW_CREATE_TABLE,
    SL_STMT_DESC,
    SL_STMT_SELECT,
    SL_STMT_INSERT,
    SL_STMT_SHOW_STREAM_LOAD,   /* the load history: sl_stmt.history */
    SL_STMT_SHOW_TRANSACTION,   /* one transaction: sl_stmt.history */
    SL_STMT_CREATE_USER,        /* users and grants (account.c): sl_stmt.account */
    SL_STMT_ALTER_USER,
    SL_STMT_DROP_USER,
    SL_STMT_SET_PASSWORD,
    SL_STMT_GRANT,
    SL_STMT_REVOKE,
    SL_STMT_SHOW_GRANTS,
    SL_STMT_SHOW_NODES,         /* SHOW BACKENDS / SHOW FRONTENDS */
} sl_stmt_kind;

/* A user or grant statement (account.c). Strings in the arena; absent ones have p == NULL. */
typedef struct sl_account {
    sl_slice user;              /* the user named (without @host); SET PASSWORD: NULL = self */
    sl_slice password;          /* IDENTIFIED BY / SET PASSWORD */
    bool has_password;
    bool has_policy;            /* FAILED_LOGIN_ATTEMPTS / PASSWORD_LOCK_TIME given */
    int64_t failed_login_attempts;
    int64_t password_lock_s;    /* 0: not given; -1: UNBOUNDED */
    bool unlock;                /* ACCOUNT_UNLOCK */
    sl_slice privs;             /* GRANT/REVOKE: the list as written ("LOAD_PRIV, SELECT_PRIV") */
    sl_slice target;            /* "*", "db", "db.tbl" */
    bool all;                   /* SHOW ALL GRANTS */
    bool frontends;             /* SHOW FRONTENDS (else BACKENDS) */
} sl_account;

/* The name of the FROM table inside sl_select.sql, written unquoted (an alias is kept). */
#define SL_SQL_TABLE_PLACEHOLDER "__sl_t"

typedef enum sl_selitem_kind {
    SL_SEL_COLUMN,  /* a bare (optionally qualified) column reference: colref */
    SL_SEL_STAR,    /* '*' or 't.*': all table columns in order */
    SL_SEL_COUNT,   /* count(...) : BIGINT */
    SL_SEL_EXPR     /* anything else: type taken from the values */
} sl_selitem_kind;

typedef struct sl_selitem {
    uint8_t kind;       /* sl_selitem_kind */
    sl_slice colref;    /* SL_SEL_COLUMN: the column name (no quotes, no qualifier) */
    sl_slice label;     /* the result column name: alias if given, else the column name, else
                           the expression text as written (e.g. "count(*)") */
} sl_selitem;

typedef struct sl_select {
    sl_slice db;        /* qualifier of the FROM table, or empty */
    sl_slice table;     /* the FROM table; empty for SELECT without FROM */
    sl_slice sql;       /* SQLite text (no trailing ';'); the FROM table is written as __sl_t,
                           identifiers "double-quoted", strings 'single-quoted'; see select.c
                           for the operators that are respelled */
    sl_selitem *items;
    size_t n_items;
} sl_select;

typedef struct sl_insert {
    sl_slice db, table;
    sl_slice *cols;     /* NULL when no column list: all table columns in order */
    size_t n_cols;
    sl_slice *values;   /* n_rows * n_values literal texts; p == NULL for NULL; strings
                           unescaped, numbers as written (with a '-' sign), TRUE/FALSE as
                           written */
    size_t n_rows;
    size_t n_values;    /* per row */
} sl_insert;

/* SHOW STREAM LOAD [FROM|IN db] [WHERE c [AND c]] [ORDER BY col [ASC|DESC]] [LIMIT n], where
 * c is LABEL = 'x', LABEL LIKE 'x' or STATUS = 'x'; and SHOW TRANSACTION [FROM|IN db] WHERE
 * id = N | label = 'x' (Doris's grammar; the database goes to sl_stmt.db). Clauses come in this
 * order, each at most once; anything else is a syntax error. Values are unescaped copies. */
typedef struct sl_show_history {
    sl_slice label;          /* p == NULL: no label condition */
    bool label_like;         /* LABEL LIKE (SHOW STREAM LOAD only) */
    sl_slice status;         /* STATUS = 'x' (SHOW STREAM LOAD only); p == NULL: none */
    sl_slice order_by;       /* the ORDER BY column as written (checked by the caller); p == NULL:
                                none */
    bool desc;
    bool has_limit;
    uint64_t limit;
    int64_t txn_id;          /* SHOW TRANSACTION WHERE id = N; -1 otherwise */
} sl_show_history;

typedef struct sl_stmt {
    uint8_t kind;            /* sl_stmt_kind */
    bool if_exists;          /* DROP ... IF EXISTS */
    bool if_not_exists;      /* CREATE ... IF NOT EXISTS */
    sl_slice db;             /* database named by the statement (db.t qualifier, FROM db, or the
                                database of CREATE/DROP DATABASE); p == NULL when not given */
    sl_slice name;           /* table name (CREATE/DROP/TRUNCATE/DESC/SHOW CREATE; also the
                                table of SELECT and INSERT) */
    sl_tabledef *table;      /* CREATE TABLE */
    sl_select select;        /* SELECT */
    sl_insert insert;        /* INSERT */
    sl_show_history history; /* SHOW STREAM LOAD / SHOW TRANSACTION */
    sl_account account;      /* user and grant statements */
} sl_stmt;

/* Parse one statement (a trailing ';' and surrounding whitespace are allowed) into *out, which
 * is reset first. text need not be NUL-terminated and may be freed after the call (see
 * "Ownership" above). On error returns SL_INVALID_SQL (primary code SL_INVALID) with a message
 * naming the position, e.g. "syntax error at line 1, column 15 near 'TABL'" (lines and columns
 * 1-based, columns in bytes), "unsupported statement 'UPDATE'", "Unknown column 'x'",
 * "unsupported type array"; or SL_NOMEM when the arena cannot grow. Never recurses: nesting
 * deeper than 64 parentheses is an error. */
sl_code sl_sql_parse(const char *text, size_t n, sl_arena_t *a, sl_stmt *out, sl_err *err);

/* Parse a Doris type name with its parameters ("varchar(32)", "DECIMALV3(10, 2)", "datetime(3)").
 * Defaults: DECIMAL* (9,0), CHAR 1, VARCHAR 65533, DATETIME 0; limits as in Doris (DECIMALV2
 * (27,9), DECIMAL/DECIMALV3 p <= 38, CHAR 255, VARCHAR 65533, DATETIME p <= 6). Returns SL_OK,
 * SL_INVALID_SQL (primary SL_INVALID) with a message (ARRAY, MAP, STRUCT, BITMAP, HLL, ... give
 * "unsupported type <name>"), or SL_NOMEM. Uses a private arena, freed before returning.
 * Used by CREATE TABLE and by CAST in SELECT. */
sl_code sl_sql_parse_type(sl_slice text, sl_type *out, sl_err *err);

#endif
