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
    uint64_t n_scans, n_sqlite; /* queries run by the vectorised scan / by SQLite (atomic) */
    bool scan_off;              /* tests: every query through SQLite */
    atomic_ullong n_compactions, n_compacted; /* merges done, segments they replaced */
};

/* ---- columnar segments (chunk.c, segfile.c) -------------------------------------------------
 *
 * A segment file holds row groups of up to SQ_RG_ROWS rows or SQ_RG_BYTES bytes of values, one
 * column chunk per column and row group (chunk.c says how values are stored, segfile.c how
 * chunks sit in the file). 64 Ki rows keep a chunk large enough for its encoding to pay and its
 * bounds to skip well; 8 MiB keeps wide rows (long text) from holding much memory per lane. */
#define SQ_RG_ROWS 65536
#define SQ_RG_BYTES (8u << 20)
#define SQ_DICT_MAX 4096        /* distinct values a text chunk may have as a dictionary */
#define SQ_STAT_TEXT 64         /* text bounds longer than this are not kept */

/* How a type's values are stored (chunk.c: the one place to add a type). */
typedef enum sq_class { SQ_INT, SQ_WIDE, SQ_F64, SQ_BYTES } sq_class;
sq_class sl__sq_class(const sl_type *t);
/* Order of two non-NULL values of type t, as SQLite orders their v2 encoding (text: bytes). */
int sl__sq_cmp(const sl_type *t, const sl_datum *a, const sl_datum *b);

/* One column of a row group being built. */
typedef struct sq_colbuf {
    sl_type type;
    uint8_t cls;                /* sq_class */
    bool wide_datum;            /* the batch holds it as v.w (DECIMAL, LARGEINT) */
    bool any_null;
    uint8_t *null;              /* cap_rows */
    void *v;                    /* int64_t | sl_i128 | double per row; SQ_BYTES: uint32_t
                                   end offsets, v[0] = 0 and row r is data[v[r]..v[r+1]) */
    char *data;                 /* SQ_BYTES: the values' bytes */
    size_t len, cap;            /* of data */
    int64_t lo, hi;             /* SQ_INT: the bounds of the non-NULL values put so far
                                   (INT64_MAX, INT64_MIN while there is none), kept while
                                   copying so that encoding needs no pass of its own */
} sq_colbuf;

typedef struct sq_rgbuf {
    sq_colbuf *cols;
    size_t n_cols, n_rows, cap_rows;
    size_t bytes;               /* values held, for the SQ_RG_BYTES limit */
} sq_rgbuf;

/* Keyed tables: the three hidden columns come from the batch (delete sign, the sequence
 * column's value, the partial update's column mask). */
typedef struct sq_extra {
    long seq_col;               /* the batch column holding the sequence value, or -1 */
} sq_extra;

/* A chunk's stats, values in the batch's physical form (text borrowed). */
typedef struct sq_stats {
    uint32_t n_null;
    bool has_minmax;            /* lo/hi are the smallest and largest non-NULL value */
    sl_datum lo, hi;
} sq_stats;

/* Buffers a decoded chunk's text may point into (kept until the values are no longer used). */
typedef struct sq_dbuf {
    sl_buf raw;                 /* the decompressed chunk */
    sl_buf scratch;
} sq_dbuf;

/* The columns a segment of def stores, their types into out (n_cols + 3 entries): the
 * table's, then for keyed tables the delete sign, the sequence value and the partial mask. */
size_t sl__sq_seg_types(const sl_tabledef *def, sl_type *out);

/* Row groups (chunk.c). init: arrays for cap_rows rows. put_*: the caller keeps n_rows below
 * cap_rows. SL_NOMEM on failure (the row group is then unusable until reset). */
sl_code sl__sq_rg_init(sq_rgbuf *g, const sl_type *types, size_t n_cols, size_t cap_rows);
void sl__sq_rg_reset(sq_rgbuf *g);
void sl__sq_rg_free(sq_rgbuf *g);
/* Rows [from, from + n) of b (x: keyed tables' hidden columns, else NULL). */
sl_code sl__sq_rg_put_batch(sq_rgbuf *g, const sl_batch *b, size_t from, size_t n,
                            const sq_extra *x);
/* One row: n_cols values and NULL flags. */
sl_code sl__sq_rg_put_row(sq_rgbuf *g, const sl_datum *v, const uint8_t *null);
static inline bool sl__sq_rg_full(const sq_rgbuf *g)
{
    return g->n_rows >= g->cap_rows || g->bytes >= SQ_RG_BYTES;
}
/* Append the n rows of cb (every row put since the last reset) as one chunk to out; its stats
 * to *st (text borrowed from cb). lz4: plain text may be LZ4-compressed (when that pays). */
sl_code sl__sq_chunk_encode(const sq_colbuf *cb, size_t n, bool lz4, sl_buf *out,
                            sl_buf *scratch, sq_stats *st);
/* Decode a chunk of n rows of type t into v and null. Text points into p or db. */
sl_code sl__sq_chunk_decode(const uint8_t *p, size_t len, const sl_type *t, size_t n,
                            sl_datum *v, uint8_t *null, sq_dbuf *db, sl_err *err);
void sl__sq_dbuf_free(sq_dbuf *db);

/* A segment file being written (segfile.c). */
typedef struct sq_segw {
    sqlite3 *db;
    sqlite3_stmt *ins_rg, *ins_chunk;
    int fd;                     /* the same file, for write-back and fsync */
    size_t n_cols;
    int64_t n_rg;
    uint64_t rows;
    bool committed;
    bool lz4_text;              /* LZ4 on plain text chunks (sl__sq_lz4_text; false after
                                   create: the writer's caller sets it from the table) */
    sl_buf enc, scratch;
} sq_segw;

/* A segment file being read. */
typedef struct sq_segr {
    sqlite3 *db;
    sqlite3_blob *blob;
    size_t n_cols, n_rg;
    uint32_t *rg_rows;          /* rows per row group */
    uint64_t *rg_first;         /* the ordinal of each row group's first row */
    uint64_t rows;
    sq_stats *st;               /* [rg * n_cols + col] */
    sl_arena_t a;               /* text bounds */
} sq_segr;

/* One decoded column chunk. */
typedef struct sq_colvec {
    sl_datum *v;
    uint8_t *null;
    size_t n, cap;
    sl_buf blob;                /* the chunk's bytes (text values point here or into db) */
    sq_dbuf db;
} sq_colvec;

/* Whether def's segments compress their plain text chunks with LZ4: yes unless the table
 * property "compression" (Doris's, whose default compresses) is "no_compression" (then the
 * lightweight encodings only: LZ4 costs the load ~2 ns of CPU per text byte). */
bool sl__sq_lz4_text(const sl_tabledef *def);
/* Create path (replacing a stale file) for n_cols columns, inside an open transaction. */
sl_code sl__sq_segw_create(sq_segw *w, const char *path, size_t n_cols, sl_err *err);
/* Encode and write one row group (nothing for an empty one). */
sl_code sl__sq_segw_put(sq_segw *w, const sq_rgbuf *g, sl_err *err);
/* Copy row group rg of r as it is (types: the columns'); tmp is scratch. */
sl_code sl__sq_segw_copy_rg(sq_segw *w, sq_segr *r, size_t rg, const sl_type *types,
                            sl_buf *tmp, sl_err *err);
/* COMMIT (the file can then be read by another connection; more writes are not allowed). */
sl_code sl__sq_segw_commit(sq_segw *w, sl_err *err);
/* COMMIT, close and fsync. The writer is released whatever the outcome; rows and n_rg stay. */
sl_code sl__sq_segw_seal(sq_segw *w, sl_err *err);
/* Close without committing (the caller deletes the file). */
void sl__sq_segw_discard(sq_segw *w);

/* Open a registered (immutable) segment file of n_cols columns of these types: row groups and
 * stats are read at once. The error names the file. */
sl_code sl__sq_segr_open(sq_segr *r, const char *path, const sl_type *types, size_t n_cols,
                         sl_err *err);
/* The bytes of chunk (rg, col) into out (16 zero bytes of slack after len). */
sl_code sl__sq_segr_read(sq_segr *r, size_t rg, size_t col, sl_buf *out, sl_err *err);
/* Chunk (rg, col) of type t decoded into cv. */
sl_code sl__sq_segr_column(sq_segr *r, size_t rg, size_t col, const sl_type *t, sq_colvec *cv,
                           sl_err *err);
void sl__sq_colvec_free(sq_colvec *cv);
void sl__sq_segr_close(sq_segr *r);

/* The segment table (vtab.c): register module "__sl_seg" on db for segments of def's table,
 * then name a segment file as a temporary table (columns c0.., rowid the row's ordinal). */
typedef struct sq_vtypes {
    const sl_type *types;
    size_t n;
} sq_vtypes;
sl_code sl__sq_seg_module(sqlite3 *db, const sl_tabledef *def, sl_err *err);
sl_code sl__sq_seg_table(sqlite3 *db, const char *name, const char *path, sl_err *err);
/* Does a chunk with these stats hold no row where `value op v` (v not NULL, of type t)? */
#define SQ_OP_EQ 'e'
#define SQ_OP_LT 'l'
#define SQ_OP_LE 'L'
#define SQ_OP_GT 'g'
#define SQ_OP_GE 'G'
bool sl__sq_excluded(const sq_stats *st, const sl_type *t, char op, const sl_datum *v);
/* Write every row st yields (columns in the types of w's segment, encoding v2) into w. */
sl_code sl__sq_segw_put_stmt(sq_segw *w, sqlite3_stmt *st, const sl_type *types, sl_err *err);

/* Writer lanes (lane.c): a load writes through up to SL_SQ_LANES threads, each with its own
 * segment file. The caller fills a row group from the batches it appends and hands each full
 * one to the next lane, which encodes and writes it while the caller goes on; a small load
 * stays in lane 0 (one file). Keyed tables use lane 0 only (rows merge in file order). */
#define SL_SQ_LANES 2

typedef struct sq_lane {
    struct sl_ewriter *t;
    char *path;                 /* heap */
    char *file;                 /* name relative to the table's segment dir (heap) */
    sq_segw w;
    bool open;                  /* w holds a file */
    sq_rgbuf *box;              /* the row group handed to the lane's thread (under t->mu) */
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
    sl_type *types;             /* the segment's columns (sl__sq_seg_types) */
    size_t n_seg;
    sq_extra extra;
    sq_lane lanes[SL_SQ_LANES];
    sq_rgbuf pool[SL_SQ_LANES + 1]; /* row groups: one being filled, one per lane */
    bool pool_free[SL_SQ_LANES + 1];/* under mu */
    sq_rgbuf *cur;              /* the one being filled, or NULL */
    size_t groups;              /* row groups handed to lanes so far */
    uint64_t appended;          /* rows appended so far */
    long seq_col;               /* sequence column (UNIQUE), or -1 */
    bool replace;               /* publish replaces the table's visible segments */
    bool partial;               /* a partial-column update: segments flagged for the view */
    bool conn_held;             /* publish handed out the catalog connection */
    pthread_mutex_t mu;         /* guards the lanes' boxes, quit flags and the pool */
    pthread_cond_t cv;
    sl_err err;                 /* first failure: the writer is poisoned after it [LMDB] */
};

sl_code sl__sq_lane_put(struct sl_ewriter *t, const sl_batch *b, sl_err *err);
/* Hand the row group being filled to a lane, stop the lane threads after they wrote
 * everything; the first lane error, if any. */
sl_code sl__sq_lanes_drain(struct sl_ewriter *t, sl_err *err);
/* Rows written by lane k. */
uint64_t sl__sq_lane_rows(const struct sl_ewriter *t, size_t k);
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

/* Queries read at most this many segments (each one table of a UNION ALL, or one file the
 * vectorised scan opens); a table with more is compacted first, as with the row layout. The
 * background compactor keeps tables at max_segments (6), so only loads that outrun it reach
 * this; the query then pays one merge rather than opening every small file. */
#define SL_SQ_MAX_READ 9

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

/* The monotonic clock in milliseconds (query timeouts). */
uint64_t sl__sq_mono_ms(void);
/* Count one result row against lim (rows, bytes) with the query's messages, then hand it to
 * the sink. */
sl_code sl__sq_emit(const sl_select *sel, const sl_query_limits *lim, const sl_qval *vals,
                    uint64_t *rows, uint64_t *bytes, const sl_query_sink *sink, sl_err *err);

/* ---- the vectorised scan (scan.c, scan_agg.c) ----------------------------------------------
 *
 * A SELECT over a DUPLICATE KEY table runs in C over the segments' column chunks: row groups
 * whose bounds exclude the WHERE are skipped, the columns it reads are decoded, WHERE, GROUP BY
 * keys, aggregate arguments and outputs are evaluated a slice of rows at a time by the
 * expression engine, groups are kept in a hash table with the engine's exact accumulators,
 * ORDER BY sorts (keeping only LIMIT + OFFSET rows while it goes). What it does not cover
 * (keyed tables, DISTINCT of aggregates, more state than its budget) goes to SQLite. */

/* One ORDER BY key of collected rows: its column in the row, type and direction. */
typedef struct sq_sortkey {
    size_t col;
    sl_type type;
    bool desc;
    uint8_t nulls;              /* sl_selorder.nulls */
} sq_sortkey;

/* Rows kept for sorting: width values each, text copied into the arena. */
typedef struct sq_rows {
    size_t width;
    sl_datum *v;                /* n * width */
    uint8_t *null;              /* n * width */
    size_t n, cap;
    sl_arena_t a;
    uint64_t bytes;             /* held, for the budget */
    const sq_sortkey *keys;     /* the order (borrowed) */
    size_t n_keys;
    bool bounded;               /* pruned: rows not before row `bound` are not kept */
    size_t bound;
} sq_rows;

typedef struct sq_scan {
    const sl_select *sel;
    const sl_tabledef *def;
    sl_query_limits lim;
    const sl_query_sink *sink;
    sl_err *err;
    uint64_t deadline_ms;
    uint64_t budget;            /* bytes of state past which the scan gives the query to SQLite */
    size_t slice;               /* rows evaluated at a time */
    /* the rows */
    sq_segr *seg;
    size_t n_seg;
    uint8_t *used;              /* per table column: read by the query */
    uint8_t *used_where;        /* ... by the WHERE */
    sq_colvec *cv;              /* per table column: the current row group's chunk */
    sl_vec *cols;               /* per table column: the current slice */
    uint8_t *keep;              /* per row of the row group: passes the WHERE */
    uint8_t *decoded;           /* per table column: decoded for the current row group */
    sl_arena_t tmp;             /* one slice's temporaries */
    const sl_expr *filters[2];  /* WHERE, and a plain query's HAVING */
    struct sq_skip *skip;       /* row-group skipping conditions */
    size_t n_skip;
    struct sq_pred *preds;      /* conjuncts of the filters the scan evaluates itself ... */
    size_t n_preds;
    const sl_expr **rest;       /* ... and those the engine does */
    size_t n_rest;
    /* the result */
    bool meta_sent;
    uint64_t rows, bytes;
    sl_qval *vals;
} sq_scan;

/* Called for each slice of n rows (cols set, keep[i] = passes the WHERE); *stop ends the scan
 * early (a LIMIT is reached). */
typedef sl_code (*sq_slice_fn)(sq_scan *sc, void *st, size_t n, const uint8_t *keep,
                               bool *stop);

/* Run sel over the DUPLICATE KEY table t (scan.c). SL_AGAIN: the scan does not cover it and
 * nothing reached the sink (the caller runs it through SQLite); else the query's outcome. */
sl_code sl__sq_scan(struct sl_engine *s, const sl_etable *t, const sl_select *sel,
                    const sl_query_limits *lim, const sl_query_sink *sink, sl_err *err);
/* Internals shared by scan.c and scan_agg.c. */
sl_code sl__sq_scan_each(sq_scan *sc, sq_slice_fn fn, void *st);
/* e over n rows of cols (rows with keep[i] == 0 come out NULL): a computed text longer than
 * the value limit is an error, a NaN double NULL, as on the SQLite path. */
sl_code sl__sq_scan_eval(sq_scan *sc, const sl_expr *e, const sl_vec *cols, size_t n,
                         const uint8_t *keep, sl_vec *out);
sl_code sl__sq_rows_init(sq_rows *r, size_t width);
void sl__sq_rows_order(sq_rows *r, const sq_sortkey *keys, size_t n_keys);
sl_code sl__sq_rows_add(sq_rows *r, const sl_vec *vecs, size_t i, const sl_type *types);
void sl__sq_rows_free(sq_rows *r);
/* Keep the first k rows in key order (stable); later rows not before the k-th are dropped
 * as they are added. */
sl_code sl__sq_rows_prune(sq_rows *r, size_t k, const sl_type *types, sl_err *err);
/* Sort (stable) and emit columns [0, n_out) of rows [offset, offset + limit). */
sl_code sl__sq_rows_emit(sq_scan *sc, sq_rows *r);
sl_code sl__sq_scan_meta(sq_scan *sc);
/* The filters' conjuncts (scan_pred.c): `column op constant` terms become row-group skipping
 * conditions and loops of the scan's own, the others the engine's; at most SQ_MAX_PREDS of
 * each (the rest of a longer AND stays in one engine term). */
#define SQ_MAX_PREDS 32
sl_code sl__sq_plan_where(sq_scan *sc);
bool sl__sq_rg_skipped(const sq_scan *sc, const sq_segr *r, size_t rg);
/* keep[0..n) = 1 where every scan-evaluated conjunct holds on the slice's rows. */
void sl__sq_preds_apply(const sq_scan *sc, size_t n, uint8_t *keep);
/* Aggregates, GROUP BY and DISTINCT (scan_agg.c). */
sl_code sl__sq_scan_agg(sq_scan *sc);
/* Hash and equality of a value by the physical form of type t (-0.0 equals 0.0). */
uint64_t sl__sq_hash(const sl_type *t, const sl_datum *v);
bool sl__sq_equal(const sl_type *t, const sl_datum *a, const sl_datum *b);

/* Convert the segment files of a catalog older than format 3 to value encoding v2, in place
 * and resumably (migrate.c). */
sl_code sl__sq_migrate_v2(struct sl_engine *e, sl_err *err);
/* Rewrite the row-layout segment files of a catalog older than format 4 as columnar ones
 * (user_version SL_SQ_COLUMNAR), in place and resumably (migrate.c). */
#define SL_SQ_COLUMNAR 4
sl_code sl__sq_migrate_columnar(struct sl_engine *e, sl_err *err);

/* Queries and compaction (query.c). */
/* Open every visible segment of a table (listed under the files lock, which is released):
 * *out (heap, n readers) for sl__sq_segments_close. */
sl_code sl__sq_segments_open(struct sl_engine *s, int64_t table_id, const sl_tabledef *def,
                             sq_segr **out, size_t *n, sl_err *err);
void sl__sq_segments_close(sq_segr *r, size_t n);
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
