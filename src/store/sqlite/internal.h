/*
 * internal.h - shared inside the SQLite engine only (store stage; src/store/sqlite/).
 *
 *   engine.c   open (catalog, data directory, format upgrade), recovery, data definition
 *   conn.c     the catalog connection the ledger runs its SQL on
 *   seg.c      load writers: segments, publish, 2PC stages
 *   lane.c     writer lanes: threads inserting a load's batches into its segment files
 *   query.c    queries over a table's segments, compaction (background thread), partial checks
 *
 * Layout of a data directory:
 *   catalog.db                 WAL, synchronous=FULL: the ledger's tables (store/ledger.c) and
 *                              this engine's `segments` (which files are visible)
 *   segments/<table_id>/<f>.db one SQLite file per committed load (or compaction result),
 *                              a single table "t" with columns c0..cN, no declared types
 *
 * A load writes its own segment file with no lock shared with anyone (journal off, the file is
 * garbage until registered). Publish fsyncs it and then, in the catalog transaction the ledger
 * commits with the label, registers the segment: rows and label become visible together or
 * not at all. Queries attach the visible segments of a table under a read lock and read them
 * as one UNION ALL view; compaction merges segments when a table has too many (SQLite attaches
 * at most 10 files).
 *
 * Locks, always taken in this order: files (rwlock) before mu (the catalog connection).
 * Segment files unregistered by a committed transaction are deleted after mu is released.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_SQLITE_INTERNAL_H
#define SL_SQLITE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "../../core/buf.h"
#include "../engine.h"

/* Files to delete once the transaction that unregistered them commits. */
typedef struct sq_doomed {
    int64_t table_id;
    char *file;                 /* heap; NULL: remove the table's directory (if empty) */
} sq_doomed;

/* Prepared catalog statements, keyed by their SQL text's address (the ledger's texts are
 * static strings), so the hot ones are compiled once. */
#define SQ_STMT_CACHE 48

struct sl_econn {
    struct sl_engine *e;
    bool in_txn;
    bool held;                  /* borrowed: e->mu is locked */
    sq_doomed *doomed;          /* heap array */
    size_t n_doomed, cap_doomed;
    struct {
        const char *key;
        char *text;             /* heap copy of the ledger's text */
        sqlite3_stmt *st;
    } cache[SQ_STMT_CACHE];
    size_t cache_next;
};

struct sl_engine {
    char *dir;                  /* data directory (heap) */
    sqlite3 *cat;               /* catalog connection, guarded by mu */
    pthread_mutex_t mu;         /* serialises use of cat (and conn) */
    struct sl_econn conn;       /* the one catalog connection's state */
    pthread_rwlock_t files;     /* read: attaching segments; write: deleting segment files */
    pthread_mutex_t compact_mu; /* one compaction at a time */
    /* Background compaction (query.c): commits queue their table here and return. */
    pthread_t compactor;
    bool compactor_started;
    pthread_mutex_t queue_mu;
    pthread_cond_t queue_cv;
    struct sq_pending {
        int64_t table_id;
        uint64_t first_ms;      /* when it was queued */
        uint64_t due_ms;        /* when to merge: quiet for SL_SQ_SETTLE_MS, at most later */
    } queue[64];                /* tables waiting for compaction (a set) */
    size_t queued;
    bool stopping;
    uint32_t max_segments;
    uint64_t file_seq;          /* under mu: unique part of compaction file names */
    atomic_ullong n_compactions, n_compacted; /* merges done, segments they replaced */
};

/* Writer lanes (lane.c): a load writes through up to SL_SQ_LANES threads, each with its own
 * segment file; lane 1 joins after SL_SQ_LANE_AFTER batches so small loads stay one file. */
#define SL_SQ_LANES 2
#define SL_SQ_LANE_AFTER 8

typedef struct sq_lane {
    struct sl_ewriter *t;
    char *path;                 /* heap */
    char *file;                 /* name relative to the table's segment dir (heap) */
    sqlite3 *seg;
    sqlite3_stmt *ins;
    uint64_t rows;
    sl_batch box;               /* the batch being handed to the lane's thread */
    void *scratch;              /* 64 bytes per parameter: formatted cells bound SQLITE_STATIC */
    bool full;                  /* box holds rows to write (under t->mu) */
    bool quit;                  /* under t->mu */
    bool started;
    pthread_t th;
    sl_err err;                 /* the lane's first failure */
} sq_lane;

/* A load's writer (sl_ewriter of engine.h). */
struct sl_ewriter {
    struct sl_engine *s;
    int64_t id;                 /* the ledger's transaction id */
    int64_t table_id;
    const sl_tabledef *def;
    sq_lane lanes[SL_SQ_LANES];
    size_t batches;             /* batches appended so far */
    long seq_col;               /* sequence column (UNIQUE), or -1 */
    bool replace;               /* publish replaces the table's visible segments */
    bool partial;               /* a partial-column update: segments flagged for the view */
    bool conn_held;             /* publish handed out the catalog connection */
    pthread_mutex_t mu;         /* guards the lanes' full/quit flags */
    pthread_cond_t cv;
    sl_err err;                 /* first failure: the writer is poisoned after it [LMDB] */
};

sl_code sl__sq_lane_put(struct sl_ewriter *t, const sl_batch *b, sl_err *err);
/* Stop the lane threads after they wrote everything; the first lane error, if any. */
sl_code sl__sq_lanes_drain(struct sl_ewriter *t, sl_err *err);
/* COMMIT, close and fsync every used lane's segment (after drain). */
sl_code sl__sq_lanes_seal(struct sl_ewriter *t, sl_err *err);
/* Stop, close and free the lanes; delete their files when unlink_files. */
void sl__sq_lanes_discard(struct sl_ewriter *t, bool unlink_files);

/* Columns of a segment file: the table's, plus for UNIQUE and AGGREGATE tables three hidden
 * ones: c<N> = delete sign (0/1), c<N+1> = sequence value (NULL without a sequence column),
 * c<N+2> = the columns a partial update provided (bit c set = column c; NULL = all). Rows of
 * those tables are merged on read, in (segment version, rowid) order, see query.c. */
static inline bool sl__sq_keyed(const sl_tabledef *def)
{
    return def->key_model != SL_KEYS_DUPLICATE;
}
static inline size_t sl__sq_seg_cols(const sl_tabledef *def)
{
    return def->n_cols + (sl__sq_keyed(def) ? 3 : 0);
}

/* Helpers (engine.c). */
sl_code sl__sq_exec(sqlite3 *db, const char *sql, sl_err *err);
sl_code sl__sq_error(sqlite3 *db, const char *what, sl_err *err);
uint64_t sl__sq_now_ms(void);
/* "<dir>/segments/<table_id>" (heap, caller frees). */
char *sl__sq_table_dir(const struct sl_engine *s, int64_t table_id);
/* fsync a file or directory by path. */
sl_code sl__sq_fsync_path(const char *path, sl_err *err);
/* Open a new segment file for writing with table "t" of n_cols columns. */
sl_code sl__sq_segment_create(const char *path, size_t n_cols, sqlite3 **out, sl_err *err);
/* Delete segment files (under the files write lock). */
void sl__sq_unlink_files(struct sl_engine *s, int64_t table_id, char **files, size_t n);

/* The catalog connection (conn.c). */
sl_code sl__sq_conn_get(struct sl_engine *e, struct sl_econn **c, sl_err *err);
void sl__sq_conn_put(struct sl_econn *c);
sl_code sl__sq_xbegin(struct sl_econn *c, sl_err *err);
sl_code sl__sq_xcommit(struct sl_econn *c, sl_err *err);
void sl__sq_xrollback(struct sl_econn *c);
sl_code sl__sq_catalog_lock(struct sl_econn *c, sl_err *err);
sl_code sl__sq_cexec(struct sl_econn *c, const char *sql, const sl_cell *p, size_t n,
                     sl_cell_fn fn, void *arg, int64_t *changes, sl_err *err);
/* Remember a file (or with file NULL, the table's directory) to delete once the connection's
 * transaction commits. */
sl_code sl__sq_doom(struct sl_econn *c, int64_t table_id, const char *file, sl_err *err);
/* Doom every segment of a table (visible_only: only visible ones) or of a transaction, and
 * unregister them, inside c's transaction. */
sl_code sl__sq_doom_segments(struct sl_econn *c, const char *where, int64_t id, sl_err *err);

/* ALTER TABLE (alter.c): the engine's alter_table (engine.h). */
sl_code sl__sq_alter_table(struct sl_econn *c, const sl_etable *old, const sl_etable *nw,
                           const long *src, bool prune, sl_err *err);

/* Writers and stages (seg.c). */
sl_code sl__sq_w_open(struct sl_engine *e, const sl_wopts *o, struct sl_ewriter **out,
                      sl_err *err);
sl_code sl__sq_w_append(struct sl_ewriter *t, const sl_batch *b, sl_err *err);
sl_code sl__sq_w_publish(struct sl_ewriter *t, bool stage, struct sl_econn **c, sl_err *err);
void sl__sq_w_close(struct sl_ewriter *t, bool committed);
uint64_t sl__sq_w_rows(const struct sl_ewriter *t);
sl_code sl__sq_stage_commit(struct sl_econn *c, const sl_etable *t, int64_t txn_id,
                            sl_err *err);
sl_code sl__sq_stage_drop(struct sl_econn *c, const sl_etable *t, int64_t txn_id, sl_err *err);

/* Partial updates (query.c): drop this writer's rows whose key does not exist yet when
 * strict, or when a column the load did not provide is NOT NULL without default; the number
 * dropped goes to *removed. Stops the lane threads first. */
sl_code sl__sq_partial_check(struct sl_ewriter *t, uint64_t mask, bool strict,
                             uint64_t *removed, sl_err *err);

/* ---- value encoding v2 (udf.c): how each sluice type is stored in a segment column ----
 *   TINYINT..BIGINT, BOOLEAN, DATE (days), DATETIME (microseconds), DECIMAL(p <= 18) (the
 *   unscaled value): INTEGER; FLOAT, DOUBLE: REAL; text types: TEXT; LARGEINT and DECIMAL(p >
 *   18) (unscaled): a 16-byte BLOB, the int128 big-endian with its sign bit flipped, so that
 *   memcmp order is numeric order and =, ORDER BY, GROUP BY, min, max, DISTINCT work natively.
 *   A NaN FLOAT/DOUBLE (which SQLite's REAL cannot hold: it stores NULL) is the TEXT 'NaN',
 *   which sorts above every number and equals itself, as NaN does in Doris and PostgreSQL. */
static inline bool sl__sq_real(const sl_type *t)
{
    return t->id == SL_FLOAT || t->id == SL_DOUBLE;
}
/* Bind d to parameter i of st: a REAL, or the text 'NaN' for NaN (see above). */
void sl__sq_bind_real(sqlite3_stmt *st, int i, double d);
static inline bool sl__sq_wide(const sl_type *t)
{
    return t->id == SL_LARGEINT || (t->id == SL_DECIMAL && t->precision > 18);
}
void sl__sq_wide_put(uint8_t out[16], sl_i128 w);
sl_i128 sl__sq_wide_get(const uint8_t in[16]);
/* A stored or computed value of type t: *null, or *out in batch.h's physical form (text
 * borrows v's bytes). SL_INTERNAL for a value that is not of t's encoding. */
sl_code sl__sq_decode(sqlite3_value *v, const sl_type *t, bool *null, sl_datum *out,
                      sl_err *err);
/* Set a function's result to v of type t (copied). */
void sl__sq_result(sqlite3_context *ctx, const sl_type *t, bool null, const sl_datum *v);
/* Register __sl_sum128(x), the exact SUM over wide (BLOB) values the AGGREGATE KEY merge
 * needs, as an aggregate and window function on db. */
sl_code sl__sq_register_sum128(sqlite3 *db, sl_err *err);

/* The view a query reads: the table's visible rows, merged per key for keyed tables. */
#define SL_SQ_VIEW "__sl_t"

/* ---- one query (query.c runs it, render.c writes its SQL, udf.c is its functions) ---- */
typedef struct sq_param {
    sl_type type;               /* a literal of the statement, bound as ?<k+1> */
    sl_datum v;
} sq_param;

typedef struct sq_query {
    sqlite3 *db;
    const sl_select *sel;       /* bound */
    sl_query_limits lim;        /* defaults applied */
    sl_arena_t a;               /* detached trees and function data, for the query's life */
    sl_arena_t call;            /* one function call's temporaries (reset per call) */
    sl_err err;                 /* the first error raised inside a registered function */
    uint64_t held;              /* bytes held by aggregate states (group_concat) */
    uint64_t deadline_ms;       /* the timeout, on the monotonic clock */
    bool timed_out;
    unsigned n_fn;              /* functions registered so far (their names' numbers) */
    sq_param *params;
    size_t n_params, cap_params;
} sq_query;

/* Write the SQLite text of q->sel over the view __sl_t (columns c0..c<n-1> in the encoding
 * above) into sql, registering on q->db the functions it calls: every Doris function, every
 * operator whose SQLite meaning differs or could overflow, and the aggregates that need
 * exactness (sum/avg/group_concat/stddev/...) evaluate with the expression engine itself
 * (udf.c). Literals become parameters (q->params). SL_NOMEM or SL_BACKEND. */
sl_code sl__sq_render(sq_query *q, sl_buf *sql, sl_err *err);
/* Register a scalar function evaluating the detached tree e over its n holes (their types in
 * the holes' nodes); its name ("__sl_f<k>") goes to name (16 bytes). */
sl_code sl__sq_fn_scalar(sq_query *q, const sl_expr *e, const sl_expr *const *holes, size_t n,
                         char *name, sl_err *err);
/* Register an aggregate function for the aggregate node agg (one argument); name as above
 * ("__sl_a<k>"). */
sl_code sl__sq_fn_aggregate(sq_query *q, const sl_expr *agg, char *name, sl_err *err);

/* Set up a fresh query connection (before the view is created): temporary storage in files,
 * the page cache bounded, __sl_sum128 registered. */
sl_code sl__sq_query_conn(sqlite3 *db, sl_err *err);
/* Run a bound SELECT on db, which holds the view SL_SQ_VIEW (or nothing, without FROM), within
 * lim (NULL: defaults); rows go to sink. Past a limit: SL_TOO_LARGE / SL_TIMEOUT. */
sl_code sl__sq_run(sqlite3 *db, const sl_select *sel, const sl_query_limits *lim,
                   const sl_query_sink *sink, sl_err *err);

/* Convert the segment files of a catalog older than format 3 to value encoding v2, in place
 * and resumably (migrate.c). */
sl_code sl__sq_migrate_v2(struct sl_engine *e, sl_err *err);

/* Queries and compaction (query.c). */
sl_code sl__sq_query(struct sl_engine *s, const sl_etable *t, const sl_select *sel,
                     const sl_query_limits *lim, const sl_query_sink *sink, sl_err *err);
/* Merge a table's segments into one when it has more than s->max_segments (or force). */
sl_code sl__sq_compact(struct sl_engine *s, int64_t table_id, const sl_tabledef *def,
                       bool force, sl_err *err);
/* A table is merged once no commit touched it for SL_SQ_SETTLE_MS, and at the latest
 * SL_SQ_SETTLE_MAX_MS after it was queued: a burst of concurrent loads is merged once, after
 * the burst, rather than after every commit (queries merge at once if they need to). */
#define SL_SQ_SETTLE_MS 200
#define SL_SQ_SETTLE_MAX_MS 2000

/* Start / stop the background compactor thread (open / close). */
sl_code sl__sq_compactor_start(struct sl_engine *s, sl_err *err);
void sl__sq_compactor_stop(struct sl_engine *s);
/* Ask the compactor to look at a table (never blocks; a full queue drops the request, the next
 * commit or query will ask again). */
void sl__sq_compact_later(struct sl_engine *s, int64_t table_id);
/* Compact a table whose definition is read from the catalog. */
sl_code sl__sq_compact_by_id(struct sl_engine *s, int64_t table_id, sl_err *err);

#endif
