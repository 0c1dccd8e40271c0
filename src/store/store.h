/*
 * store.h - the store interface: catalog, load transactions, labels, read-only queries (store
 * stage, the last of the pipeline).
 *
 * A backend is one file that ends with a `const sl_store_vtab sl_store_<name>` and one line in
 * registry.c [sqlite sqlite3_vfs]. Labels and transaction states live in the store and are
 * written in the same transaction that makes a load's rows visible: that is what makes a load
 * exactly-once.
 *
 * Threads: a store object is shared by all workers and must be thread-safe. A transaction
 * (sl_txn) is used by one thread at a time (the request's current worker stage).
 *
 * Table definitions are kept as their CREATE TABLE text; the caller parses them (src/sql/)
 * into an sl_tabledef and hands the parsed form back to begin/query.
 */
#ifndef SL_STORE_H
#define SL_STORE_H

#include "../batch/batch.h"
#include "../core/arena.h"
#include "../core/status.h"
#include "../sql/sql.h"

typedef struct sl_store sl_store;
typedef struct sl_txn sl_txn;

/* Doris TransactionStatus names; the numbering is ours. */
typedef enum sl_txn_state {
    SL_TXN_UNKNOWN,
    SL_TXN_PREPARE,
    SL_TXN_PRECOMMITTED,
    SL_TXN_COMMITTED,
    SL_TXN_VISIBLE,
    SL_TXN_ABORTED
} sl_txn_state;

/* "UNKNOWN", "PREPARE", ... (static). */
const char *sl_txn_state_name(sl_txn_state s);

typedef struct sl_store_opts {
    const char *data_dir;          /* the backend's files live below it */
    uint32_t label_keep_s;         /* finished labels are forgotten after this (default 3 days) */
    uint32_t max_segments;         /* a table with more segments is compacted (default 6) */
    uint32_t precommit_timeout_s;  /* PRECOMMITTED longer than this is aborted (default 3600) */
} sl_store_opts;

/* What begin needs. */
typedef struct sl_begin_opts {
    sl_slice db, table;
    const sl_tabledef *def;        /* parsed definition of the table; must outlive the txn */
    int64_t table_id;              /* from get_table */
    sl_slice label;                /* never empty: the adapter generates one */
    uint32_t timeout_s;            /* PREPARE older than this is aborted by the store */
    long seq_col;                  /* UNIQUE tables: the sequence column's index, or -1 */
    bool replace;                  /* commit drops the table's other visible rows in the same
                                      transaction (an atomic replace) */
    bool partial;                  /* a partial-column update of a UNIQUE table */
} sl_begin_opts;

/* A label's latest transaction. */
typedef struct sl_label_info {
    int64_t txn_id;                /* -1 when unknown */
    uint8_t state;                 /* sl_txn_state */
} sl_label_info;

/* One value of a result row, in the physical form of its column's type (batch.h): integers,
 * booleans, DATE (days) and DATETIME (microseconds) in v.i; LARGEINT and DECIMAL (unscaled) in
 * v.w; FLOAT/DOUBLE in v.d; text in v.s (valid until the next row callback). */
typedef struct sl_qval {
    bool null;
    sl_datum v;
} sl_qval;

typedef struct sl_qcol {
    sl_slice name;
    sl_type type;
} sl_qcol;

/* Where query rows go. Returning an error code from a callback stops the query with it. */
typedef struct sl_query_sink {
    sl_code (*meta)(void *arg, const sl_qcol *cols, size_t n);
    sl_code (*row)(void *arg, const sl_qval *vals, size_t n);
    void *arg;
} sl_query_sink;

/* Bounds of one query [Doris exec_mem_limit, query_timeout]; 0 = the default. */
typedef struct sl_query_limits {
    uint64_t max_rows;             /* result rows (default 1,000,000) */
    uint64_t max_bytes;            /* result bytes, and any one value (default 256 MiB) */
    uint64_t mem_bytes;            /* engine memory for the query (default 2 GiB) */
    uint32_t timeout_s;            /* default 300 */
    int32_t tz_offset_s;           /* the session time zone, for now() and friends */
} sl_query_limits;

#define SL_QUERY_MAX_ROWS_DEFAULT UINT64_C(1000000)
#define SL_QUERY_MAX_BYTES_DEFAULT (UINT64_C(256) << 20)
#define SL_QUERY_MEM_DEFAULT (UINT64_C(2) << 30)
#define SL_QUERY_TIMEOUT_DEFAULT 300u

/* lim with every 0 replaced by its default (lim may be NULL). */
sl_query_limits sl_query_limits_or_default(const sl_query_limits *lim);

/* One finished load for the history (SHOW STREAM LOAD). Slices are copied. */
typedef struct sl_load_record {
    sl_slice label, db, table, client_ip, status, message, url, user, comment;
    int64_t txn_id;
    uint64_t total, loaded, filtered, unselected, bytes;
    uint64_t start_ms, finish_ms;      /* wall clock, ms since the epoch */
} sl_load_record;

/* SHOW STREAM LOAD filters: label equal or LIKE (SQL pattern), status equal; order and limit. */
typedef struct sl_load_filter {
    sl_slice label;                    /* NULL slice: any */
    bool label_like;
    sl_slice status;                   /* NULL slice: any; compared case-insensitively */
    int order_col;                     /* column index to sort by, -1 = StartTime */
    bool desc;
    uint64_t limit;                    /* 0 = no limit */
    int32_t tz_offset_s;               /* times are shown in this offset */
} sl_load_filter;

typedef struct sl_store_vtab {
    const char *name;
    int version;

    sl_code (*open)(const sl_store_opts *o, sl_store **out, sl_err *err);
    void (*close)(sl_store *s);

    /* Catalog. Names compare exactly (Doris names are case-sensitive). */
    sl_code (*create_db)(sl_store *s, sl_slice db, bool if_not_exists, sl_err *err);
    sl_code (*drop_db)(sl_store *s, sl_slice db, bool if_exists, sl_err *err);
    /* Database names, in the arena. */
    sl_code (*list_dbs)(sl_store *s, sl_arena_t *a, sl_slice **names, size_t *n, sl_err *err);
    sl_code (*create_table)(sl_store *s, sl_slice db, const sl_tabledef *def, sl_slice ddl,
                            bool if_not_exists, sl_err *err);
    sl_code (*drop_table)(sl_store *s, sl_slice db, sl_slice table, bool if_exists, sl_err *err);
    sl_code (*truncate)(sl_store *s, sl_slice db, sl_slice table, sl_err *err);
    sl_code (*list_tables)(sl_store *s, sl_slice db, sl_arena_t *a, sl_slice **names, size_t *n,
                           sl_err *err);
    /* The CREATE TABLE text of db.table (in the arena) and its id. SL_NOT_FOUND_DB /
     * SL_NOT_FOUND with Doris's messages when absent. */
    sl_code (*get_table)(sl_store *s, sl_slice db, sl_slice table, sl_arena_t *a, sl_slice *ddl,
                         int64_t *table_id, sl_err *err);

    /* Loads. begin records the label in state PREPARE (so a concurrent load with the same
     * label conflicts); SL_CONFLICT with *existing filled when a non-aborted transaction holds
     * the label. */
    sl_code (*begin)(sl_store *s, const sl_begin_opts *o, sl_txn **out, sl_label_info *existing,
                     sl_err *err);
    int64_t (*txn_id)(const sl_txn *t);
    /* Append the batch's rows (all columns, table order). */
    sl_code (*append)(sl_txn *t, const sl_batch *b, sl_err *err);
    /* Make the rows visible and the label VISIBLE, atomically and durably. Frees t whatever
     * the outcome (on failure the transaction is aborted). */
    sl_code (*commit)(sl_txn *t, sl_err *err);
    /* Two-phase commit, first phase: make the rows durable but invisible and the label
     * PRECOMMITTED; they survive restarts until finish_2pc or the precommit timeout. Frees t
     * whatever the outcome. */
    sl_code (*precommit)(sl_txn *t, sl_err *err);
    /* Second phase: commit (rows visible, label VISIBLE) or abort a transaction named by id
     * (txn_id >= 0) or label. Errors carry Doris's texts (specs §1.4). *txn_id receives the id. */
    sl_code (*finish_2pc)(sl_store *s, sl_slice db, int64_t *txn_id, sl_slice label, bool commit,
                          sl_err *err);
    /* Partial-column updates, before commit: drop the rows whose key is new when strict, or
     * when a column outside mask (the provided columns) is NOT NULL without default. *removed
     * receives how many rows went. */
    sl_code (*partial_check)(sl_txn *t, uint64_t mask, bool strict, uint64_t *removed,
                             sl_err *err);
    /* Drop the rows, mark the label ABORTED with reason. Frees t. */
    void (*abort)(sl_txn *t, const char *reason);
    /* The latest transaction of a label. */
    sl_code (*label_state)(sl_store *s, sl_slice db, sl_slice label, sl_label_info *out,
                           sl_err *err);

    /* Load history: record a finished load (kept as long as labels are), list them in the
     * columns of SHOW STREAM LOAD, and show a transaction (SHOW TRANSACTION) by id (>= 0) or
     * label. */
    sl_code (*record_load)(sl_store *s, const sl_load_record *r, sl_err *err);
    sl_code (*list_loads)(sl_store *s, sl_slice db, const sl_load_filter *f,
                          const sl_query_sink *sink, sl_err *err);
    sl_code (*show_txn)(sl_store *s, sl_slice db, int64_t id, sl_slice label, int32_t tz_offset_s,
                        const sl_query_sink *sink, sl_err *err);

    /* Run a read-only SELECT (sl_select from src/sql, already checked by sl_select_bind
     * against def; def NULL without FROM) against def's visible rows, within lim (NULL: the
     * defaults). Past a limit: SL_TOO_LARGE / SL_TIMEOUT with a Doris-shaped message. */
    sl_code (*query)(sl_store *s, sl_slice db, const sl_tabledef *def, const sl_select *sel,
                     const sl_query_limits *lim, const sl_query_sink *sink, sl_err *err);
} sl_store_vtab;

/* The backend whose name matches, or NULL. */
const sl_store_vtab *sl_store_find(const char *name);

/* One-time process set-up of the libraries the backends use (SQLite: multi-thread mode,
 * memory statistics off). Call before any other store function. */
sl_code sl_store_global_init(sl_err *err);

#endif
