/*
 * engine.h - what a storage engine provides to the ledger (store stage; used only inside
 * src/store/). One folder per engine (sqlite/, postgres/) ending in a
 * `const sl_engine_vtab sl_engine_<name>` and one line in registry.c [sqlite sqlite3_vfs].
 *
 * The ledger (ledger*.c) keeps labels, transactions, history, users, grants and nodes in
 * catalog tables it creates and queries with portable SQL through `exec`; the engine supplies
 * the connection, a few dialect words, and everything about table data:
 *
 *   ledger: BEGIN; INSERT INTO txns ... PREPARE; COMMIT                  (short, own conn)
 *   engine: w_open -> w_append* (batches streamed while the body is decoded)
 *   engine: w_publish -> conn with an open transaction in which the rows become visible
 *   ledger: UPDATE txns SET state = VISIBLE; INSERT INTO loads ...; COMMIT  (same conn)
 *   engine: w_close(committed)
 *
 * Portable SQL, as the ledger writes it: parameters $1..$n; types BIGINT, TEXT, DOUBLE
 * PRECISION; `{id}` in CREATE TABLE is replaced by the engine's auto-increment primary key;
 * INSERT ... ON CONFLICT DO NOTHING, RETURNING, partial unique indexes, CAST(x AS BIGINT).
 * Catalog tables are named without a schema: the PostgreSQL engine sets search_path to its
 * catalog schema `sluice`, and names every data table schema-qualified.
 *
 * Threads: the engine object is shared and thread-safe; a connection or writer is used by one
 * thread at a time.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_ENGINE_H
#define SL_ENGINE_H

#include "store.h"

typedef struct sl_engine sl_engine;
typedef struct sl_econn sl_econn;
typedef struct sl_ewriter sl_ewriter;

/* A parameter or a result cell of catalog SQL. */
typedef enum sl_cell_kind { SL_CELL_NULL, SL_CELL_INT, SL_CELL_REAL, SL_CELL_TEXT } sl_cell_kind;
typedef struct sl_cell {
    uint8_t kind;                  /* sl_cell_kind */
    int64_t i;
    double d;
    sl_slice s;                    /* results: valid until the row callback returns */
} sl_cell;

static inline sl_cell sl_cell_int(int64_t i)
{
    sl_cell c = {SL_CELL_INT, i, 0, {NULL, 0}};
    return c;
}
static inline sl_cell sl_cell_text(sl_slice s)
{
    sl_cell c = {SL_CELL_TEXT, 0, 0, {s.p ? s.p : "", s.n}};
    return c;
}
static inline sl_cell sl_cell_null(void)
{
    sl_cell c = {SL_CELL_NULL, 0, 0, {NULL, 0}};
    return c;
}

/* Called once per result row; an error code stops the statement with it. */
typedef sl_code (*sl_cell_fn)(void *arg, const sl_cell *row, size_t n);

/* The table a writer, a stage or a query works on. */
typedef struct sl_etable {
    sl_slice db, name;
    int64_t id;                    /* the ledger's table id (stable for the table's life) */
    const sl_tabledef *def;
} sl_etable;

typedef struct sl_wopts {
    sl_etable t;
    int64_t txn_id;
    long seq_col;                  /* UNIQUE: sequence column index, or -1 */
    bool replace;                  /* the commit replaces the table's rows */
    bool partial;                  /* partial-column update (batch col_mask per batch) */
    bool stage;                    /* 2PC: w_publish(stage = true) will follow */
} sl_wopts;

typedef struct sl_engine_vtab {
    const char *name;
    int version;
    /* Does this engine open url? ("sqlite", "postgres://...") */
    bool (*accepts)(const char *url);
    /* Connect and create the catalog schema if missing (the ledger's tables are created by
     * the ledger through exec). */
    sl_code (*open)(const sl_store_opts *o, sl_engine **out, sl_err *err);
    void (*close)(sl_engine *e);

    /* Dialect: the auto-increment primary key column type for `{id}`. */
    const char *id_type;
    /* One process owns the catalog (SQLite: the data directory lock): at open, every PREPARE
     * transaction is a leftover of a dead process. */
    bool single_node;

    /* ---- catalog connections ---- */
    /* Borrow a connection (waits for a free one). SL_BACKEND when the engine is unreachable. */
    sl_code (*conn_get)(sl_engine *e, sl_econn **c, sl_err *err);
    /* Return it. A connection left inside a transaction is rolled back first. */
    void (*conn_put)(sl_econn *c);
    /* Start a read-write transaction (SQLite: BEGIN IMMEDIATE). */
    sl_code (*xbegin)(sl_econn *c, sl_err *err);
    /* End it. xcommit's failure means nothing of the transaction happened (or, when the
     * connection was lost during COMMIT, SL_BACKEND "commit outcome unknown": the ledger then
     * re-reads the label). xrollback never fails. */
    sl_code (*xcommit)(sl_econn *c, sl_err *err);
    void (*xrollback)(sl_econn *c);
    /* Inside an open transaction: take the catalog-wide lock that serialises catalog schema
     * creation and migrations across nodes (PostgreSQL: pg_advisory_xact_lock; SQLite: the
     * BEGIN IMMEDIATE already holds it). */
    sl_code (*catalog_lock)(sl_econn *c, sl_err *err);
    /* Run one statement with parameters; rows (if any) go to fn (may be NULL). *changes (may
     * be NULL) receives the number of rows inserted, updated or deleted. A unique-constraint
     * violation is SL_CONFLICT. */
    sl_code (*exec)(sl_econn *c, const char *sql, const sl_cell *params, size_t n_params,
                    sl_cell_fn fn, void *arg, int64_t *changes, sl_err *err);

    /* ---- table data definition, inside the ledger's open transaction on c ---- */
    sl_code (*create_db)(sl_econn *c, sl_slice db, sl_err *err);
    sl_code (*drop_db)(sl_econn *c, sl_slice db, sl_err *err);   /* after its tables */
    sl_code (*create_table)(sl_econn *c, const sl_etable *t, sl_err *err);
    /* Drop the table's data and storage, or only its rows when truncate. */
    sl_code (*drop_table)(sl_econn *c, const sl_etable *t, bool truncate, sl_err *err);
    /* ALTER TABLE: the table's storage from old's definition to nw's (same id; nw's name is
     * the new one when the table was renamed). src[j] is the old index of new column j, or -1
     * for an added column (existing rows get its DEFAULT value, else NULL); old columns no
     * src names are dropped; a column keeps its values through a rename or a widening type
     * change (sl_sql_alter_apply allows no other). prune: partitions were dropped, so rows
     * that no partition of nw holds are deleted. No load of the table is running (the ledger
     * checks). */
    sl_code (*alter_table)(sl_econn *c, const sl_etable *old, const sl_etable *nw,
                           const long *src, bool prune, sl_err *err);

    /* ---- loads ---- */
    sl_code (*w_open)(sl_engine *e, const sl_wopts *o, sl_ewriter **out, sl_err *err);
    /* Append a batch (all columns, table order; b->del and b->col_mask as batch.h says). */
    sl_code (*w_append)(sl_ewriter *w, const sl_batch *b, sl_err *err);
    /* See sl_store_partial_check. */
    sl_code (*w_partial_check)(sl_ewriter *w, uint64_t mask, bool strict, uint64_t *removed,
                               sl_err *err);
    /* Finish writing and hand back a connection with an open transaction in which the rows
     * become visible (stage = false) or durably staged for a later 2PC decision (stage =
     * true) when it commits. The ledger writes the label and history on *c and ends the
     * transaction; then it calls w_close. */
    sl_code (*w_publish)(sl_ewriter *w, bool stage, sl_econn **c, sl_err *err);
    /* Release the writer. committed: the publish transaction committed. Otherwise nothing of
     * its rows may remain. Returns the publish connection (if any) to the pool. */
    void (*w_close)(sl_ewriter *w, bool committed);
    /* Rows appended so far (the ledger's progress view). */
    uint64_t (*w_rows)(const sl_ewriter *w);

    /* ---- 2PC second phase, inside the ledger's open transaction on c ---- */
    sl_code (*stage_commit)(sl_econn *c, const sl_etable *t, int64_t txn_id, sl_err *err);
    sl_code (*stage_drop)(sl_econn *c, const sl_etable *t, int64_t txn_id, sl_err *err);

    /* ---- maintenance ---- */
    /* After the ledger's own recovery: drop data no live transaction owns. staged(arg, id)
     * tells whether transaction id is PRECOMMITTED (its stage must stay). */
    sl_code (*recover)(sl_engine *e, bool (*staged)(void *arg, int64_t txn_id), void *arg,
                       sl_err *err);

    /* ---- queries ---- */
    /* Run a SELECT already checked against t (t is NULL for SELECT without FROM). */
    sl_code (*query)(sl_engine *e, const sl_etable *t, const sl_select *sel,
                     const sl_query_limits *lim, const sl_query_sink *sink, sl_err *err);

    /* ---- observing (optional: NULL reads as zeros) ---- */
    /* Segment merges done since open, and the segments they replaced (sl_store_stats). */
    void (*stats)(sl_engine *e, uint64_t *compactions, uint64_t *compacted_segments);
} sl_engine_vtab;

/* The engine that accepts url, or NULL. */
const sl_engine_vtab *sl__engine_find(const char *url);

#endif
