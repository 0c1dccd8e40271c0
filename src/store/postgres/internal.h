/*
 * internal.h - shared inside the PostgreSQL engine only (store stage, src/store/postgres/).
 *
 * The engine speaks libpq to any PostgreSQL-wire server. Files, in reading order:
 *
 *   engine.c   open/close, the vtab (the one symbol other folders see: sl_engine_postgres)
 *   url.c      the store URL -> libpq parameters; the password-free form shown in messages
 *   conn.c     two connection pools (catalog, writers), reconnect, error mapping, transactions
 *   exec.c     catalog SQL with $n parameters -> sl_cell rows; prepared-statement cache
 *   ddl.c      schemas and tables: Doris types -> PostgreSQL types, quoted identifiers
 *   copy.c     typed batches -> PostgreSQL's binary COPY format
 *   writer.c   a load: BEGIN, COPY into the table or a stage, publish, close
 *   merge.c    key models: a stage merged into its table (INSERT ... ON CONFLICT, DELETE USING)
 *   stage.c    2PC second phase (stage_commit, stage_drop) and recovery of stages
 *   query.c    a rendered SELECT streamed to a sink within limits
 *   render.c   sl_select -> PostgreSQL SELECT text (written by the SELECT renderer)
 *
 * Data layout in the server (docs/postgres.md):
 *   schema sluice         the ledger's catalog tables (search_path of every connection)
 *   schema sluice_stage   2PC stages "t<txn_id>" (ordinary tables: they must survive restarts)
 *   schema "<db>"         one per Doris database; one table per Doris table, Doris column order
 *
 * Threads: sl_engine is shared (its pools are guarded by their mutex); an sl_econn or an
 * sl_ewriter is used by one thread at a time.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_PG_INTERNAL_H
#define SL_PG_INTERNAL_H

#include <libpq-fe.h>
#include <pthread.h>

#include "../../core/buf.h"
#include "../engine.h"

/* Prepared statements kept per connection: the ledger runs a few dozen distinct statements,
 * so 64 holds them all; past that the oldest is replaced (and deallocated). */
#define SL_PG_STMT_CACHE 64

/* How long conn_get waits for a free catalog connection before giving up: long enough to ride
 * out a burst, short enough that a stuck worker reports instead of hanging its request. */
#define SL_PG_WAIT_MS 30000

/* Writer connections per engine (one per running load), kept apart from the catalog pool so
 * that loads in flight can never starve the catalog (a load needs the catalog to finish). A
 * load beyond this fails at once ("store busy") rather than wait: waiting would hold a worker,
 * and with every worker waiting no running load could make progress to free a connection.
 * The server's max_connections (100 by default) usually refuses earlier, just as clearly. */
#define SL_PG_MAX_WRITERS 128
/* Idle writer connections kept open for the next load (connecting costs a few ms). */
#define SL_PG_IDLE_WRITERS 4

/* The catalog-wide advisory lock key ("sluice" in ASCII, then 1). */
#define SL_PG_CATALOG_LOCK 0x736c7569636501LL

typedef struct pg_stmt {
    const char *key;               /* the caller's SQL pointer */
    char *sql;                     /* heap copy: a hit must also match the text */
    uint32_t name;                 /* prepared as "sl<name>" */
    uint64_t used;                 /* LRU clock */
} pg_stmt;

typedef struct pg_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    sl_econn *idle;                /* a stack through sl_econn.next */
    uint32_t n_idle;
    uint32_t n_open;               /* connections out of the pool plus idle ones */
    uint32_t max;                  /* at most this many open */
    uint32_t keep_idle;            /* returned connections beyond this are closed */
    bool writers;                  /* the writer pool (messages) */
} pg_pool;

struct sl_econn {
    sl_engine *e;
    pg_pool *pool;                 /* where conn_put returns it */
    PGconn *pg;
    sl_econn *next;                /* idle stack */
    bool in_txn;                   /* BEGIN sent, no COMMIT/ROLLBACK yet */
    bool broken;                   /* the connection is lost: close it on put */
    pg_stmt stmts[SL_PG_STMT_CACHE];
    uint32_t n_stmts;
    uint32_t next_name;
    uint64_t clock;
};

struct sl_engine {
    const char **kw, **val;        /* PQconnectdbParams arrays (heap, NULL-terminated) */
    char *shown;                   /* the URL without its password, for messages (heap) */
    char *password;                /* to mask in server messages, or NULL (heap) */
    pg_pool cat, wr;
    int server_version;            /* PQserverVersion, e.g. 150018 */
    bool citus;                    /* the citus extension is installed in the database */
};

/* ---- url.c ------------------------------------------------------------------------------- */

/* Does url name a PostgreSQL server? postgres:// and postgresql:// URIs, or a libpq key=value
 * string with host= or dbname=. */
bool sl__pg_url_accepts(const char *url);
/* Parse url into e->kw/e->val/e->shown/e->password (libpq's own parser: percent-decoding,
 * ?sslmode=..., key=value). SL_INVALID with a message that never contains the password. */
sl_code sl__pg_url_parse(sl_engine *e, const char *url, sl_err *err);
/* Replace every occurrence of the password in msg (NUL-terminated, in place) by "***". */
void sl__pg_mask(const sl_engine *e, char *msg);

/* ---- conn.c ------------------------------------------------------------------------------ */

void sl__pg_pool_init(pg_pool *p, uint32_t max, uint32_t keep_idle, bool writers);
/* Close every idle connection and destroy the pool (all connections must be back). */
void sl__pg_pool_destroy(pg_pool *p);
/* A connection of pool p: an idle one that is still alive, or a new one (SET search_path TO
 * sluice, SET TIME ZONE 'UTC'). When p is at its maximum: the catalog pool waits at most
 * SL_PG_WAIT_MS for a connection to come back, the writer pool fails at once. */
sl_code sl__pg_get(sl_engine *e, pg_pool *p, sl_econn **out, sl_err *err);
/* Give c back: rolled back if left in a transaction, closed if broken or surplus. */
void sl__pg_put(sl_econn *c);
/* Open one connection (no pool), with the session settings. */
sl_code sl__pg_connect(sl_engine *e, PGconn **out, sl_err *err);

/* Turn a failed result (res may be NULL: the connection's error) into err, marking c broken
 * when the connection is lost. what names the step ("copy", "commit"). SQLSTATE mapping:
 * 23505 -> SL_CONFLICT, 57014 -> SL_TIMEOUT, class 08 and 57P01..57P03 -> SL_BACKEND "store
 * unavailable: ...", 53100/53200 -> SL_BACKEND with a plain text, 22xxx -> SL_INVALID, else
 * SL_BACKEND. */
sl_code sl__pg_fail(sl_econn *c, const PGresult *res, const char *what, sl_err *err);
/* The SQLSTATE of res ("" when none). */
const char *sl__pg_state(const PGresult *res);
/* Run a statement without parameters or rows (BEGIN, DDL built by the engine). */
sl_code sl__pg_run(sl_econn *c, const char *sql, sl_err *err);

/* ---- exec.c ------------------------------------------------------------------------------ */

sl_code sl__pg_exec(sl_econn *c, const char *sql, const sl_cell *params, size_t n_params,
                    sl_cell_fn fn, void *arg, int64_t *changes, sl_err *err);
/* Forget the prepared statements (after a reconnect or a DISCARD). */
void sl__pg_stmts_clear(sl_econn *c);

/* ---- ddl.c ------------------------------------------------------------------------------- */

/* Append name as a double-quoted identifier ("a""b"). */
void sl__pg_ident(sl_buf *b, sl_slice name);
/* Append "db"."table". */
void sl__pg_qname(sl_buf *b, sl_slice db, sl_slice table);
/* Append the PostgreSQL type of t ("integer", "numeric(15,2)", "timestamp(3)", ...). */
void sl__pg_type(sl_buf *b, const sl_type *t);
/* Check that a Doris name fits PostgreSQL (at most 63 bytes, no NUL). */
sl_code sl__pg_check_name(sl_slice name, const char *what, sl_err *err);
/* Append the column list "c1" type [NOT NULL], ... of def; with_null: every column nullable
 * (stages: partial loads carry NULLs that the check removes later). */
void sl__pg_columns(sl_buf *b, const sl_tabledef *def, bool with_null);

sl_code sl__pg_create_db(sl_econn *c, sl_slice db, sl_err *err);
sl_code sl__pg_drop_db(sl_econn *c, sl_slice db, sl_err *err);
sl_code sl__pg_create_table(sl_econn *c, const sl_etable *t, sl_err *err);
sl_code sl__pg_drop_table(sl_econn *c, const sl_etable *t, bool truncate, sl_err *err);
/* ALTER TABLE: the engine's alter_table (engine.h): rename, column drops / renames / type
 * changes / adds with ALTER TABLE, rows outside the remaining partitions deleted. */
sl_code sl__pg_alter_table(sl_econn *c, const sl_etable *old, const sl_etable *nw,
                           const long *src, bool prune, sl_err *err);

/* ---- copy.c ------------------------------------------------------------------------------ */

/* Hidden columns of a keyed stage, after the table's: load order and delete sign. */
#define SL_PG_ORD "__sluice_ord"
#define SL_PG_DEL "__sluice_del"
/* The sequence column of a tomb (merge.c): the keys deleted by a load with a sequence column,
 * with the sequence that deleted them. */
#define SL_PG_SEQ "__sluice_seq"

/* The length of the longest prefix of p[0..n) that is valid UTF-8 without NUL bytes (n when
 * all of it is). */
size_t sl__pg_utf8_valid(const char *p, size_t n);
/* The 19-byte header and the 2-byte trailer of a binary COPY stream. */
void sl__pg_copy_header(sl_buf *b);
void sl__pg_copy_trailer(sl_buf *b);
/* Append the rows of bt as binary COPY tuples: every column of bt in order, then, when
 * keyed, the load ordinal (*ord, advanced per row) and the delete sign. Text must be valid
 * UTF-8 without NUL (PostgreSQL's text); otherwise SL_INVALID names the column and row.
 * SL_NOMEM when the buffer cannot grow. */
sl_code sl__pg_copy_batch(sl_buf *b, const sl_batch *bt, bool keyed, uint64_t *ord, sl_err *err);
/* The binary numeric of v * 10^-scale (PostgreSQL's NumericVar wire form) at p; returns its
 * length (at most SL_PG_NUMERIC_MAX bytes). */
#define SL_PG_NUMERIC_MAX 56
size_t sl__pg_numeric(uint8_t *p, sl_i128 v, unsigned scale);

/* ---- merge.c ----------------------------------------------------------------------------- */

/* How a stage becomes rows of its table. */
typedef struct pg_merge {
    const sl_tabledef *def;
    sl_slice db, table;
    int64_t table_id;              /* names the tomb of a sequence table */
    const char *stage;             /* the stage relation, already quoted */
    long seq_col;                  /* UNIQUE: sequence column or -1 */
    bool replace;                  /* the table's other rows go (TRUNCATE first) */
    bool any_del;                  /* some rows delete their key */
    uint64_t mask;                 /* partial update: provided columns; 0 = all */
    bool nulls_not_distinct;       /* the key index treats NULLs as equal (PostgreSQL >= 15) */
    bool tomb;                     /* (set by sl__pg_merge) the table's tomb takes part */
} pg_merge;

/* Run the statements that move the stage's rows into the table with the key model's merge,
 * on c inside its open transaction. */
sl_code sl__pg_merge(sl_econn *c, const pg_merge *m, sl_err *err);
/* Drop (or empty, when truncate) the tomb of table t, if it has one. */
sl_code sl__pg_tomb_drop(sl_econn *c, const sl_etable *t, bool truncate, sl_err *err);
/* The merge options as the comment of a 2PC stage, and back. */
void sl__pg_merge_note(sl_buf *b, const pg_merge *m);
bool sl__pg_merge_parse(const char *note, pg_merge *m);
/* Does the key index of def allow NULL keys merged as equal? (nullable keys, server >= 15) */
bool sl__pg_nulls_nd(const sl_engine *e, const sl_tabledef *def);

/* ---- writer.c / stage.c / query.c / render.c --------------------------------------------- */

sl_code sl__pg_w_open(sl_engine *e, const sl_wopts *o, sl_ewriter **out, sl_err *err);
sl_code sl__pg_w_append(sl_ewriter *w, const sl_batch *b, sl_err *err);
sl_code sl__pg_w_partial_check(sl_ewriter *w, uint64_t mask, bool strict, uint64_t *removed,
                               sl_err *err);
sl_code sl__pg_w_publish(sl_ewriter *w, bool stage, sl_econn **c, sl_err *err);
void sl__pg_w_close(sl_ewriter *w, bool committed);
uint64_t sl__pg_w_rows(const sl_ewriter *w);

/* The 2PC stage of a transaction, quoted: "sluice_stage"."t<txn_id>". */
void sl__pg_stage_name(sl_buf *b, int64_t txn_id);
sl_code sl__pg_stage_commit(sl_econn *c, const sl_etable *t, int64_t txn_id, sl_err *err);
sl_code sl__pg_stage_drop(sl_econn *c, const sl_etable *t, int64_t txn_id, sl_err *err);
sl_code sl__pg_recover(sl_engine *e, bool (*staged)(void *arg, int64_t txn_id), void *arg,
                       sl_err *err);

sl_code sl__pg_query(sl_engine *e, const sl_etable *t, const sl_select *sel,
                     const sl_query_limits *lim, const sl_query_sink *sink, sl_err *err);
/* Run SELECT text sql with the limits and stream its rows to sink, each text cell decoded by
 * the result column's type (PostgreSQL type and typmod -> sl_type). */
sl_code sl__pg_select(sl_engine *e, const char *sql, const sl_query_limits *lim,
                      const sl_query_sink *sink, sl_err *err);
/* The sl_type of a result column of PostgreSQL type oid with typmod. */
sl_type sl__pg_sl_type(Oid oid, int typmod);
/* A result cell's text s as a value of type t in its physical form (batch.h; text borrows s).
 * false when t has no such value (infinity, NaN as a date). */
bool sl__pg_decode(const sl_type *t, sl_slice s, sl_datum *out);
/* sl__pg_decode for every type: ARRAY, MAP, STRUCT from their jsonb text (copy.c's form),
 * VARIANT compacted, BITMAP and HLL from bytea's hex, built in a. */
bool sl__pg_decode_in(const sl_type *t, sl_slice s, sl_arena_t *a, sl_datum *out);
/* bytea's text output (\x hex) as bytes in a; false when it is not that. */
bool sl__pg_unhex(sl_slice s, sl_arena_t *a, sl_datum *out);
/* The element of a PostgreSQL array's text ({a,"b",NULL}) at *p (past the '{', before the
 * '}' at e): *null, or its text unescaped into b; *p moves past it. False when malformed. */
bool sl__pg_array_elem(const char **p, const char *e, sl_buf *b, bool *null);

/* Render sel over table t (NULL: no FROM) as PostgreSQL SELECT text. */
sl_code sl__pg_render(const sl_select *sel, const sl_etable *t, sl_buf *sql, sl_err *err);

#endif
