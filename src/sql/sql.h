/*
 * sql.h - the statement parser for the HTTP SQL API and `sluice sql` (sql stage).
 *
 * Parses one Doris-dialect statement into an sl_stmt: DDL (databases, tables in Doris syntax),
 * SHOW / DESC, INSERT ... VALUES and read-only SELECT. DDL becomes an sl_tabledef; SELECT
 * becomes sluice's own tree (expressions of src/expr/), checked against the table by
 * sl_select_bind and rendered by each store engine in its own dialect.
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
 * src/sql/ uses src/expr/: expr/ holds the expression engine (load-time columns and where, and
 * every expression of a SELECT); sql/ holds the statement grammar. Neither knows a protocol or
 * a store.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_SQL_H
#define SL_SQL_H

#include "../batch/types.h"
#include "../core/arena.h"
#include "../core/status.h"
#include "../expr/expr.h"

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
    SL_STMT_SHOW_PROC_LOADS,    /* SHOW PROC '/stream_loads': this node's running loads */
    SL_STMT_ALTER_TABLE,        /* ALTER TABLE: sl_stmt.alter */
    SL_STMT_CREATE_TABLE_LIKE,  /* CREATE TABLE t LIKE src: sl_stmt.like_db / like_name */
    SL_STMT_CREATE_TABLE_AS,    /* CREATE TABLE t [(cols)] [clauses] AS SELECT: sl_stmt.select
                                   and sl_stmt.ctas */
} sl_stmt_kind;

/* ---- ALTER TABLE (parse.c reads it, ddl.c applies it to a definition) ------------------
 *
 *   ALTER TABLE [db.]t op [, op ...] where op is
 *     ADD COLUMN coldef [AFTER c | FIRST] [TO rollup]   ADD COLUMN (coldef, ...)
 *     DROP COLUMN c [FROM rollup]      MODIFY COLUMN coldef [AFTER c | FIRST]
 *     RENAME COLUMN c new              RENAME new | RENAME TO new (the table)
 *     ADD PARTITION [IF NOT EXISTS] p VALUES ... [(props)] [DISTRIBUTED BY ...]
 *     DROP PARTITION [IF EXISTS] p [FORCE]          RENAME PARTITION p new
 *     SET ("k" = "v", ...)             MODIFY COMMENT 'x', MODIFY COLUMN c COMMENT 'x',
 *     ADD / DROP ROLLUP, ADD / DROP INDEX (accepted, nothing kept: sluice keeps no rollups or
 *     indexes) */
typedef enum sl_alter_kind {
    SL_ALTER_ADD_COLUMN,
    SL_ALTER_DROP_COLUMN,
    SL_ALTER_MODIFY_COLUMN,
    SL_ALTER_RENAME_COLUMN,
    SL_ALTER_RENAME,
    SL_ALTER_ADD_PARTITION,
    SL_ALTER_DROP_PARTITION,
    SL_ALTER_RENAME_PARTITION,
    SL_ALTER_SET_PROPERTIES,
    SL_ALTER_NOTHING            /* rollups, indexes, comments: accepted, nothing changes */
} sl_alter_kind;

typedef struct sl_alter_op {
    uint8_t kind;               /* sl_alter_kind */
    bool first;                 /* ADD/MODIFY COLUMN ... FIRST */
    bool if_exists;             /* DROP PARTITION IF EXISTS, ADD PARTITION IF NOT EXISTS */
    sl_coldef col;              /* ADD / MODIFY COLUMN: the definition */
    bool has_key_attr;          /* ADD / MODIFY COLUMN: KEY was written */
    sl_slice name;              /* DROP / RENAME COLUMN and partitions: the name; RENAME: the
                                   table's new name */
    sl_slice new_name;          /* RENAME COLUMN / PARTITION: the new name */
    sl_slice after;             /* AFTER c (p == NULL: at the end) */
    sl_slice part_text;         /* ADD PARTITION: its definition's text, read against the table
                                   when applied ("PARTITION p VALUES ...") */
    sl_property *props;         /* SET */
    size_t n_props;
} sl_alter_op;

typedef struct sl_alter {
    sl_alter_op *ops;
    size_t n_ops;
} sl_alter;

/* CREATE TABLE ... AS SELECT: what comes before AS. The clauses are kept as text and read
 * once the SELECT's result columns are known (they name those columns). */
typedef struct sl_ctas {
    sl_slice *cols;             /* (c1, c2, ...) renaming the result columns, or NULL */
    size_t n_cols;
    sl_slice clauses;           /* the text between the table name (or column list) and AS:
                                   ENGINE, key, PARTITION, DISTRIBUTED, PROPERTIES, ... */
} sl_ctas;

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

/* ---- SELECT (select.c parses, select_bind.c checks) ---------------------------------------
 *
 *   SELECT [DISTINCT] items [FROM [db.]t [[AS] alias]] [WHERE e] [GROUP BY e, ...] [HAVING e]
 *          [ORDER BY e [ASC|DESC] [NULLS FIRST|LAST], ...] [LIMIT n [OFFSET m] | LIMIT m, n]
 *
 * Expressions are trees of the expression engine (src/expr/expr.h) with aggregates allowed.
 * sl_select_bind checks the statement against the table (every name resolved, Doris's texts
 * for what does not resolve) and types it; store engines render the bound statement in their
 * own dialect. Joins, subqueries, set operations, INTO, table functions and a second table are
 * refused by the parser. */

/* One item of the SELECT list. */
typedef struct sl_selitem {
    sl_expr *expr;      /* NULL for `*` and `t.*` */
    sl_slice qual;      /* `t.*` / `db.t.*`: t (empty for `*`) */
    sl_slice qual_db;   /* `db.t.*`: db */
    sl_slice alias;     /* AS alias; p == NULL when none */
    sl_slice text;      /* the item as written, without its alias */
} sl_selitem;

/* One ORDER BY term. */
typedef struct sl_selorder {
    sl_expr *expr;
    bool desc;
    uint8_t nulls;      /* 0: Doris's default (ASC: NULLs first, DESC: NULLs last), 1: NULLS
                           FIRST, 2: NULLS LAST */
} sl_selorder;

/* One result column, after sl_select_bind. */
typedef struct sl_selout {
    sl_slice name;      /* the alias, the column name as written, or the expression's text */
    sl_type type;       /* Doris's result type */
    sl_expr *expr;      /* bound; column references index the table's columns */
} sl_selout;

/* What binding needs besides the table. */
typedef struct sl_select_env {
    int32_t tz_offset_s;  /* session time zone, east of UTC: now(), from_unixtime, ... */
    int64_t now_us;       /* the query's "now": microseconds since 1970-01-01 UTC */
    sl_slice db;          /* the current database, for `db.t.col` qualifiers (may be empty) */
    const struct sl_tz *tz; /* the session time zone (core/tz.h), or NULL: tz_offset_s; each
                               instant then gets its own offset (daylight-saving time) */
} sl_select_env;

typedef struct sl_select {
    sl_slice db;          /* qualifier of the FROM table, or empty */
    sl_slice table;       /* the FROM table; empty for SELECT without FROM */
    sl_slice alias;       /* the table's alias, or empty */
    bool distinct;
    sl_selitem *items;
    size_t n_items;
    sl_expr *where;       /* NULL when absent (also having) */
    sl_expr **group;
    size_t n_group;
    sl_expr *having;      /* in a query that is not an aggregate: one more filter on the rows
                             (engines AND it into the WHERE) */
    sl_selorder *order;
    size_t n_order;
    bool has_limit;
    uint64_t limit, offset;
    /* set by sl_select_bind: */
    bool bound;
    bool aggregate;       /* GROUP BY or an aggregate call: one row per group */
    sl_selout *out;
    size_t n_out;
    const sl_tabledef *def; /* the table bound against (NULL without FROM) */
    sl_expr_ctx ctx;      /* the time zone and "now" engines evaluate functions with */
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
    sl_alter alter;          /* ALTER TABLE */
    sl_slice like_db;        /* CREATE TABLE ... LIKE [db.]t */
    sl_slice like_name;
    sl_ctas ctas;            /* CREATE TABLE ... AS SELECT */
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
 * (27,9), DECIMAL/DECIMALV3 p <= 38, CHAR 255, VARCHAR 65533, DATETIME p <= 6), and the nested
 * ARRAY<..>, MAP<..>, STRUCT<..> (interned, types.h), VARIANT, BITMAP and HLL. Returns SL_OK,
 * SL_INVALID_SQL (primary SL_INVALID) with a message (types Doris has and sluice does not give
 * "unsupported type <name>"), or SL_NOMEM. Uses a private arena, freed before returning.
 * Used by CREATE TABLE (CAST in expressions has its own reader, src/expr/parse.c). */
sl_code sl_sql_parse_type(sl_slice text, sl_type *out, sl_err *err);

/* ---- DDL text and ALTER (ddl.c) ---------------------------------------------------------- */

/* Append the CREATE TABLE statement of t to b in Doris's SHOW CREATE TABLE form (columns with
 * types, NULL / NOT NULL, aggregates and defaults; ENGINE=OLAP; the key clause; partitions;
 * distribution; properties). It parses back (sl_sql_parse) into an equal definition; column
 * and table COMMENTs, indexes and rollups are not kept by sl_tabledef and are not written.
 * Check b->oom afterwards. */
void sl_sql_create_text(const sl_tabledef *t, sl_buf *b);

/* Apply the operations of an ALTER TABLE to def (the table's current definition) and return
 * the new definition in a (def is not changed). Errors are SL_INVALID_SQL with Doris's texts
 * ("Column 'c' already exists", "Unknown column 'c'", "Can not drop key column ...",
 * "Partition p does not exist", "Can not change BIGINT to INT"), SL_NOMEM. *rename receives the
 * table's new name when an op renames it (else an empty slice). Column changes that would change
 * how stored values read (narrowing or changing a type's kind, a DECIMAL's scale) are refused:
 * only widening (TINYINT < SMALLINT < INT < BIGINT < LARGEINT, longer CHAR / VARCHAR, VARCHAR to
 * STRING, a larger DECIMAL precision at the same scale, a longer DATETIME fraction) is allowed.
 * (*src)[j] (in a) is the index in def of new column j, or -1 for a column ADD created. */
sl_code sl_sql_alter_apply(const sl_tabledef *def, const sl_alter *alter, sl_arena_t *a,
                           sl_tabledef **out, long **src, sl_slice *rename, sl_err *err);

/* The environment of a query starting now (wall clock) in a session at tz_offset_s with
 * current database db. */
sl_select_env sl_select_env_now(int32_t tz_offset_s, sl_slice db);

/* Check sel against def (NULL for SELECT without FROM) and type it: every column name
 * resolved (case-insensitively, as Doris; `t.` / `alias.` / `db.t.` qualifiers checked), SELECT
 * aliases and positions usable in GROUP BY / HAVING / ORDER BY as MySQL allows, `*` expanded,
 * aggregates only where they may be and every other column of an aggregate query grouped.
 * Fills sel->out / n_out (names and Doris's result types), sel->aggregate, sel->def and
 * sel->ctx (from env). Trees are changed in place; new nodes go to a (which must live as long
 * as sel). Errors are SL_INVALID_SQL with Doris's texts, e.g. "Unknown column 'x' in 'table
 * list' in PROJECT clause" (FILTER for WHERE, SORT for ORDER BY, AGGREGATE for the SELECT list
 * and GROUP BY of an aggregate query), "Can not found function 'f'", "LOGICAL_FILTER can not
 * contains AggregateFunction expression: sum(a)", "c not in aggregate's output"; SL_NOMEM.
 * Binding twice is an error (SL_INTERNAL). */
sl_code sl_select_bind(sl_select *sel, const sl_tabledef *def, const sl_select_env *env,
                       sl_arena_t *a, sl_err *err);

#endif
