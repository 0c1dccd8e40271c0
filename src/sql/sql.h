/*
 * sql.h - the statement parser for the HTTP SQL API and `sluice sql` (sql stage).
 *
 * Parses one Doris-dialect statement into an sl_stmt: DDL (databases, tables in Doris syntax),
 * SHOW / DESC, INSERT ... VALUES and read-only SELECT. DDL becomes an sl_tabledef; SELECT is
 * checked and rewritten token by token into SQLite's dialect over one placeholder table, which
 * the store binds to the table's visible data. Everything is allocated in the caller's arena.
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
    SL_STMT_SHOW_STREAM_LOAD,   /* reserved for the load-history issue */
    SL_STMT_SHOW_TRANSACTION,   /* reserved for the load-history issue */
} sl_stmt_kind;

/* The name of the FROM table inside sl_select.sql. */
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
    sl_slice sql;       /* SQLite text; the FROM table is written as "__sl_t" */
    sl_selitem *items;
    size_t n_items;
} sl_select;

typedef struct sl_insert {
    sl_slice db, table;
    sl_slice *cols;     /* NULL when no column list: all table columns in order */
    size_t n_cols;
    sl_slice *values;   /* n_rows * n_values literal texts; p == NULL for NULL */
    size_t n_rows;
    size_t n_values;    /* per row */
} sl_insert;

typedef struct sl_stmt {
    uint8_t kind;            /* sl_stmt_kind */
    bool if_exists;          /* DROP ... IF EXISTS */
    bool if_not_exists;      /* CREATE ... IF NOT EXISTS */
    sl_slice db;             /* database named by the statement (db.t qualifier, FROM db, or the
                                database of CREATE/DROP DATABASE); empty when not given */
    sl_slice name;           /* table name (CREATE/DROP/TRUNCATE/DESC/SHOW CREATE) */
    sl_tabledef *table;      /* CREATE TABLE */
    sl_select select;        /* SELECT */
    sl_insert insert;        /* INSERT */
    sl_slice where_text;     /* SHOW STREAM LOAD / SHOW TRANSACTION: raw WHERE text (later) */
} sl_stmt;

/* Parse one statement (a trailing ';' and surrounding whitespace are allowed). On error returns
 * SL_INVALID_SQL with a message naming the position, e.g.
 * "syntax error at line 1, column 15 near 'TABL'", or "unsupported statement". */
sl_code sl_sql_parse(const char *text, size_t n, sl_arena_t *a, sl_stmt *out, sl_err *err);

/* Parse a Doris type name with its parameters ("varchar(32)", "DECIMALV3(10, 2)", "datetime(3)").
 * Returns SL_OK or SL_INVALID with a message. Used by CREATE TABLE and by CAST later. */
sl_code sl_sql_parse_type(sl_slice text, sl_type *out, sl_err *err);

#endif
