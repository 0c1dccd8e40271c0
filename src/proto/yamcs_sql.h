/*
 * yamcs_sql.h - Yamcs StreamSQL statements of :executeSql / :executeStreamingSql, parsed into a
 * small tree and translated for sluice (proto stage; used by yamcs_meta.c and yamcs_query.c).
 *
 *   text -> sl__ysql_parse -> ysql_stmt
 *     CREATE TABLE  -> Doris DDL (UNIQUE KEY, yamcs.types property) in stmt.ddl -> src/sql
 *     SELECT        -> sl__ysql_select_sql: Doris SELECT text -> src/sql (sl_select, checked
 *                      against the table by the store) -> store query on either engine
 *     DELETE        -> sl__ysql_delete_sql: the SELECT of the keys to delete
 *     DROP TABLE, SHOW TABLES, DESCRIBE t: names only
 *
 * The grammar is Yamcs's (StreamSql.jj): identifiers are case-sensitive, keywords are not;
 * strings in single quotes ('' inside); "quoted" identifiers; ORDER [ASC|DESC] sorts by the
 * primary key; LIMIT [offset,] n. Also accepted: ORDER BY col [ASC|DESC], ... (standard SQL),
 * BETWEEN (which Yamcs parses but ignores), and the `script` text GetTable returns, whose
 * `primary key(...)` and `engine` follow the column list. Errors give the position as Yamcs's
 * parser does: `Encountered "x" at line L, column C.` plus what was expected.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_YAMCS_SQL_H
#define SL_YAMCS_SQL_H

#include "../batch/types.h"
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/status.h"

typedef enum ysql_kind {
    YSQL_CREATE,
    YSQL_DROP,
    YSQL_SELECT,
    YSQL_SHOW_TABLES,
    YSQL_DESCRIBE,
    YSQL_DELETE
} ysql_kind;

typedef enum ysql_ekind {
    YE_COL,     /* text: column name */
    YE_INT,     /* text: decimal digits (hex converted) */
    YE_FLOAT,   /* text: as written */
    YE_STR,     /* text: unescaped */
    YE_NULL,
    YE_TRUE,
    YE_FALSE,
    YE_CALL,    /* text: function name; args; star: f(*) */
    YE_NEG,     /* -a */
    YE_BIN,     /* a op b: op is "+", "-", "*", "/", "%", "||", "=", "!=", "<", "<=", ">", ">=" */
    YE_AND,     /* args (n >= 2) */
    YE_OR,
    YE_NOT,     /* args[0] */
    YE_IN,      /* args[0] IN (args[1..]); neg: NOT IN */
    YE_LIKE,    /* args[0] LIKE args[1] (a string); neg */
    YE_ISNULL,  /* args[0] IS NULL; neg: IS NOT NULL */
    YE_BETWEEN  /* args[0] BETWEEN args[1] AND args[2]; neg */
} ysql_ekind;

typedef struct ysql_expr ysql_expr;
struct ysql_expr {
    uint8_t kind;          /* ysql_ekind */
    bool neg;
    bool star;
    const char *op;        /* YE_BIN: static operator text */
    sl_slice text;
    ysql_expr **args;
    size_t n;
};

typedef struct ysql_item {
    ysql_expr *e;          /* NULL: `*` */
    sl_slice alias;        /* NULL slice when none */
} ysql_item;

typedef struct ysql_order {
    sl_slice col;
    bool desc;
} ysql_order;

typedef struct ysql_stmt {
    uint8_t kind;          /* ysql_kind */
    sl_slice table;
    bool if_not_exists;    /* CREATE */
    bool if_exists;        /* DROP */
    sl_slice ddl;          /* CREATE: the Doris DDL (in the arena) */
    ysql_item *items;      /* SELECT list */
    size_t n_items;
    ysql_expr *where;      /* SELECT, DELETE; NULL when absent */
    int key_order;         /* Yamcs ORDER [ASC|DESC]: 1 ascending, -1 descending, 0 none */
    ysql_order *order;     /* ORDER BY col, ... */
    size_t n_order;
    int64_t limit;         /* -1: none */
    int64_t offset;        /* 0 when absent */
} ysql_stmt;

/* Parse one statement (a trailing ';' is allowed). The tree and its texts live in a; slices may
 * point into text, which must outlive the statement. SL_INVALID with a Yamcs-shaped message
 * (position, what was expected) for syntax errors and for what sluice cannot store (e.g. DOUBLE
 * key columns); SL_NOMEM. */
sl_code sl__ysql_parse(const char *text, size_t n, sl_arena_t *a, ysql_stmt *out, sl_err *err);

/* SELECT as Doris SQL for src/sql: columns and literals quoted, `*` expanded by the store,
 * Yamcs ORDER [DESC] as ORDER BY the key columns of def (key order), LIMIT/OFFSET. */
sl_code sl__ysql_select_sql(const ysql_stmt *st, const sl_tabledef *def, sl_buf *out,
                            sl_err *err);

/* DELETE's rows to delete as a Doris SELECT of every column of def (key columns are what the
 * delete uses), in key order, with the WHERE and LIMIT. */
sl_code sl__ysql_delete_sql(const ysql_stmt *st, const sl_tabledef *def, sl_buf *out,
                            sl_err *err);

/* The statement kind's name for messages ("SELECT", "CREATE TABLE", ...). Static. */
const char *sl__ysql_kind_name(uint8_t kind);

#endif
