/*
 * sqlite_internal.h - shared inside the SQLite backend only (store stage).
 *
 * Layout of a data directory:
 *   catalog.db                 WAL; databases, tables (CREATE text), txns (labels), segments
 *   segments/<table_id>/<f>.db one SQLite file per committed load (or compaction result),
 *                              a single table "t" with columns c0..cN, no declared types
 *
 * A load writes its own segment file with no lock shared with anyone (journal off, the file is
 * garbage until registered). Commit fsyncs it and then, in one catalog transaction, registers
 * the segment and flips the label to VISIBLE: rows and label become visible together or not
 * at all. Queries attach the visible segments of a table under a read lock and read them as
 * one UNION ALL view; compaction merges segments when a table has too many (SQLite attaches
 * at most 10 files).
 */
#ifndef SL_SQLITE_INTERNAL_H
#define SL_SQLITE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>

#include "../../core/buf.h"
#include "../store.h"

struct sl_store {
    char *dir;                  /* data directory (heap) */
    sqlite3 *cat;               /* catalog connection, guarded by mu */
    pthread_mutex_t mu;         /* serialises use of cat */
    pthread_rwlock_t files;     /* read: attaching segments; write: deleting segment files */
    pthread_mutex_t compact_mu; /* one compaction at a time */
    /* Background compaction (sqlite_query.c): commits queue their table here and return. */
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
    uint32_t label_keep_s;
    uint32_t max_segments;
    uint32_t precommit_timeout_s;
    uint64_t last_gc_ms;        /* under mu */
    uint64_t file_seq;          /* under mu: unique part of compaction file names */
};

/* Writer lanes (sqlite_lane.c): a load writes through up to SL_SQ_LANES threads, each with its
 * own segment file; lane 1 joins after SL_SQ_LANE_AFTER batches so small loads stay one file. */
#define SL_SQ_LANES 2
#define SL_SQ_LANE_AFTER 8

typedef struct sq_lane {
    struct sl_txn *t;
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

struct sl_txn {
    sl_store *s;
    int64_t id;
    int64_t table_id;
    const sl_tabledef *def;
    sq_lane lanes[SL_SQ_LANES];
    size_t batches;             /* batches appended so far */
    long seq_col;               /* sequence column (UNIQUE), or -1 */
    bool replace;               /* commit replaces the table's visible segments */
    bool partial;               /* a partial-column update: segments flagged for the view */
    char **replaced;            /* files unregistered by a replace, deleted after COMMIT */
    size_t n_replaced;
    pthread_mutex_t mu;         /* guards the lanes' full/quit flags */
    pthread_cond_t cv;
    sl_err err;                 /* first failure: the txn is poisoned after it [LMDB] */
};

sl_code sl__sq_lane_put(sl_txn *t, const sl_batch *b, sl_err *err);
/* Stop the lane threads after they wrote everything; the first lane error, if any. */
sl_code sl__sq_lanes_drain(sl_txn *t, sl_err *err);
/* COMMIT, close and fsync every used lane's segment (after drain). */
sl_code sl__sq_lanes_seal(sl_txn *t, sl_err *err);
/* Stop, close and free the lanes; delete their files when unlink_files. */
void sl__sq_lanes_discard(sl_txn *t, bool unlink_files);

/* Columns of a segment file: the table's, plus for UNIQUE and AGGREGATE tables three hidden
 * ones: c<N> = delete sign (0/1), c<N+1> = sequence value (NULL without a sequence column),
 * c<N+2> = the columns a partial update provided (bit c set = column c; NULL = all). Rows of
 * those tables are merged on read, in (segment version, rowid) order, see sqlite_query.c. */
static inline bool sl__sq_keyed(const sl_tabledef *def)
{
    return def->key_model != SL_KEYS_DUPLICATE;
}
static inline size_t sl__sq_seg_cols(const sl_tabledef *def)
{
    return def->n_cols + (sl__sq_keyed(def) ? 3 : 0);
}

/* Catalog helpers (sqlite.c). */
sl_code sl__sq_exec(sqlite3 *db, const char *sql, sl_err *err);
sl_code sl__sq_error(sqlite3 *db, const char *what, sl_err *err);
/* End the open transaction: COMMIT when rc is SL_OK (its failure is returned), else ROLLBACK and
 * return rc unchanged. */
sl_code sl__sq_finish(sqlite3 *db, sl_code rc, sl_err *err);
uint64_t sl__sq_now_ms(void);
/* "<dir>/segments/<table_id>" (heap, caller frees). */
char *sl__sq_table_dir(const sl_store *s, int64_t table_id);
/* fsync a file or directory by path. */
sl_code sl__sq_fsync_path(const char *path, sl_err *err);

/* Segments (sqlite_seg.c). */
sl_code sl__sq_begin(sl_store *s, const sl_begin_opts *o, sl_txn **out, sl_label_info *existing,
                     sl_err *err);
int64_t sl__sq_txn_id(const sl_txn *t);
sl_code sl__sq_append(sl_txn *t, const sl_batch *b, sl_err *err);
sl_code sl__sq_commit(sl_txn *t, sl_err *err);
sl_code sl__sq_precommit(sl_txn *t, sl_err *err);
sl_code sl__sq_finish_2pc(sl_store *s, sl_slice db, int64_t *txn_id, sl_slice label, bool commit,
                          sl_err *err);
void sl__sq_abort(sl_txn *t, const char *reason);
/* Open a new segment file for writing with table "t" of n_cols columns. */
sl_code sl__sq_segment_create(const char *path, size_t n_cols, sqlite3 **out, sl_err *err);

/* Partial updates (sqlite_query.c): drop this transaction's rows whose key does not exist yet
 * when strict, or when a column the load did not provide is NOT NULL without default; the
 * number dropped goes to *removed. Stops the lane threads first. */
sl_code sl__sq_partial_check(sl_txn *t, uint64_t mask, bool strict, uint64_t *removed,
                             sl_err *err);

/* Load history (sqlite_history.c). */
sl_code sl__sq_record_load(sl_store *s, const sl_load_record *r, sl_err *err);
sl_code sl__sq_list_loads(sl_store *s, sl_slice db, const sl_load_filter *f,
                          const sl_query_sink *sink, sl_err *err);
sl_code sl__sq_show_txn(sl_store *s, sl_slice db, int64_t id, sl_slice label, int32_t tz_offset_s,
                        const sl_query_sink *sink, sl_err *err);

/* ---- value encoding v2 (udf.c): how each sluice type is stored in a segment column ----
 *   TINYINT..BIGINT, BOOLEAN, DATE (days), DATETIME (microseconds), DECIMAL(p <= 18) (the
 *   unscaled value): INTEGER; FLOAT, DOUBLE: REAL; text types: TEXT; LARGEINT and DECIMAL(p >
 *   18) (unscaled): a 16-byte BLOB, the int128 big-endian with its sign bit flipped, so that
 *   memcmp order is numeric order and =, ORDER BY, GROUP BY, min, max, DISTINCT work natively. */
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

/* Queries and compaction (sqlite_query.c). */
sl_code sl__sq_query(sl_store *s, sl_slice db, const sl_tabledef *def, const sl_select *sel,
                     const sl_query_limits *lim, const sl_query_sink *sink, sl_err *err);
/* Merge a table's segments into one when it has more than s->max_segments (or force). */
sl_code sl__sq_compact(sl_store *s, int64_t table_id, const sl_tabledef *def, bool force,
                       sl_err *err);
/* A table is merged once no commit touched it for SL_SQ_SETTLE_MS, and at the latest
 * SL_SQ_SETTLE_MAX_MS after it was queued: a burst of concurrent loads is merged once, after
 * the burst, rather than after every commit (queries merge at once if they need to). */
#define SL_SQ_SETTLE_MS 200
#define SL_SQ_SETTLE_MAX_MS 2000

/* Start / stop the background compactor thread (open / close). */
sl_code sl__sq_compactor_start(sl_store *s, sl_err *err);
void sl__sq_compactor_stop(sl_store *s);
/* Ask the compactor to look at a table (never blocks; a full queue drops the request, the next
 * commit or query will ask again). */
void sl__sq_compact_later(sl_store *s, int64_t table_id);
/* Compact a table whose column count is read from its first segment. */
sl_code sl__sq_compact_by_id(sl_store *s, int64_t table_id, sl_err *err);
/* Abort precommitted transactions older than the precommit timeout; their segments are
 * unregistered (caller holds s->mu, no transaction open) and their files deleted after the
 * caller releases s->mu, by sl__sq_expired_unlink. */
typedef struct sl_sq_expired {
    int64_t *table_ids;
    char **files;
    size_t n;
} sl_sq_expired;
void sl__sq_expire_precommitted_locked(sl_store *s, uint64_t now, sl_sq_expired *out);
void sl__sq_expired_unlink(sl_store *s, sl_sq_expired *x);
/* Delete segment files (under the files write lock). */
void sl__sq_unlink_files(sl_store *s, int64_t table_id, char **files, size_t n);

#endif
