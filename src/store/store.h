/*
 * store.h - the store: where rows land, and the ledger that makes each load exactly-once
 * (store stage, the last of the pipeline). This is the only store header used outside
 * src/store/; nothing outside src/store/ knows which backend is behind it.
 *
 * Two levels (DESIGN.md "Store model"):
 *
 *   callers (load/, proto/, cli/)
 *        |   sl_store_*: catalog, load transactions, labels, 2PC, history, users, nodes, query
 *        v
 *   ledger (ledger*.c)   backend-independent: labels and their states, Doris's 2PC rules and
 *        |               texts, load history, users and grants, nodes, the SELECT checked
 *        |               against the catalog; written once, as portable SQL on the catalog
 *        v
 *   engine (engine.h)    one folder per backend (sqlite/, postgres/): run catalog SQL, table
 *                        DDL, a bulk writer for typed batches, staging for 2PC, checked SELECTs
 *                        rendered in its own dialect
 *
 * The store is opened from a URL: "sqlite" (the default; files below data_dir) or
 * "postgres://user@host:port/db" (any PostgreSQL-wire engine). Labels and transaction states
 * are written in the same engine transaction that makes a load's rows visible: that is what
 * makes a load exactly-once, also across nodes sharing one engine.
 *
 * Threads: an sl_store is shared by every worker and is thread-safe. A transaction (sl_txn) is
 * used by one thread at a time (the request's current worker stage).
 *
 * Errors: every function returns an sl_code with its message in err; texts that reach users
 * are Doris's where Doris has one. A lost engine connection is SL_BACKEND ("store unavailable:
 * ..."); the next call reconnects.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_STORE_H
#define SL_STORE_H

#include "../batch/batch.h"
#include "../core/arena.h"
#include "../core/status.h"
#include "../sql/sql.h"

typedef struct sl_store sl_store;
typedef struct sl_txn sl_txn;

/* Doris TransactionStatus names; the numbering is ours and is stored in the catalog. */
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

/* This process as a node of the cluster (one row in the catalog's node list). */
typedef struct sl_node_info {
    const char *host;              /* advertised host for redirects and ErrorURLs */
    int fe_port, be_port, tsload_port; /* -1: not listening */
} sl_node_info;

typedef struct sl_store_opts {
    const char *url;               /* "sqlite" (default when NULL/"") or "postgres://..." */
    const char *data_dir;          /* node-local files (SQLite data, error logs, locks) */
    uint32_t label_keep_s;         /* finished labels are forgotten after this (default 3 days) */
    uint32_t precommit_timeout_s;  /* PRECOMMITTED longer than this is aborted (default 3600) */
    uint32_t pool_size;            /* engine connections (PostgreSQL: workers + 2) */
    uint32_t node_timeout_s;       /* a node silent this long is dead: its PREPARE loads are
                                      aborted by any live node (default 10) */
    sl_node_info node;
    bool tool;                     /* a short-lived command-line tool (`sluice user`) next to
                                      a running server: no node row, no recovery, no
                                      maintenance thread */
} sl_store_opts;

/* The URL of the embedded store (in data_dir), the default: which engine it names is the
 * registry's business (registry.c); callers compare and print it, never interpret it. */
#define SL_STORE_DEFAULT "sqlite"

/* Open the store named by o->url: connect, create or check the catalog (schema version),
 * register this node, recover (abort PREPARE transactions of this node's previous life and of
 * dead nodes, drop what no transaction owns) and start the maintenance thread (label
 * retention, precommit and PREPARE timeouts, heartbeats). SL_INVALID for a bad URL,
 * SL_BACKEND when the engine cannot be reached or the catalog is of another version. */
sl_code sl_store_open(const sl_store_opts *o, sl_store **out, sl_err *err);

/* Stop the maintenance thread, unregister the node, close. NULL ok. */
void sl_store_close(sl_store *s);

/* One-time process set-up of the libraries the engines use. Call before sl_store_open. */
sl_code sl_store_global_init(sl_err *err);

/* The engine's name ("sqlite", "postgres") for logs and SHOW BACKENDS. Static. */
const char *sl_store_engine(const sl_store *s);

/* ---- catalog ------------------------------------------------------------------------------
 * Names compare exactly (Doris names are case-sensitive). Errors carry Doris's texts: unknown
 * database SL_NOT_FOUND_DB "Unknown database 'x'", unknown table SL_NOT_FOUND, existing ones
 * SL_CONFLICT. */
sl_code sl_store_create_db(sl_store *s, sl_slice db, bool if_not_exists, sl_err *err);
sl_code sl_store_drop_db(sl_store *s, sl_slice db, bool if_exists, sl_err *err);
/* Database names, sorted, in the arena. */
sl_code sl_store_list_dbs(sl_store *s, sl_arena_t *a, sl_slice **names, size_t *n, sl_err *err);
/* ddl is the statement text kept as the table's definition; def its parsed form. */
sl_code sl_store_create_table(sl_store *s, sl_slice db, const sl_tabledef *def, sl_slice ddl,
                              bool if_not_exists, sl_err *err);
sl_code sl_store_drop_table(sl_store *s, sl_slice db, sl_slice table, bool if_exists,
                            sl_err *err);
sl_code sl_store_truncate(sl_store *s, sl_slice db, sl_slice table, sl_err *err);
sl_code sl_store_list_tables(sl_store *s, sl_slice db, sl_arena_t *a, sl_slice **names,
                             size_t *n, sl_err *err);
/* The CREATE TABLE text of db.table (in the arena) and its id. Absent: SL_NOT_FOUND_DB
 * "unknown database, database=x" / SL_NOT_FOUND "table not found, tableName=t" (the Stream
 * Load texts; the SQL API rewrites them). */
sl_code sl_store_get_table(sl_store *s, sl_slice db, sl_slice table, sl_arena_t *a,
                           sl_slice *ddl, int64_t *table_id, sl_err *err);
/* ALTER TABLE db.table (sl_alter from src/sql): the new definition (sl_sql_alter_apply) is
 * stored as its CREATE TABLE text (SHOW CREATE TABLE shows it) and the engine's storage
 * changed with it, in one catalog transaction. Errors in Doris's words: the table unknown
 * (SL_NOT_FOUND "Unknown table 'x'"), the change refused (SL_INVALID_SQL, see
 * sl_sql_alter_apply), a new name in use (SL_CONFLICT), a load of the table still running
 * (SL_INVALID_SQL "Table[t]'s state is not NORMAL ..."). */
sl_code sl_store_alter_table(sl_store *s, sl_slice db, sl_slice table, const sl_alter *alter,
                             sl_err *err);
/* CREATE TABLE db.name LIKE src_db.src: a new empty table with src's definition. */
sl_code sl_store_create_table_like(sl_store *s, sl_slice db, sl_slice name, sl_slice src_db,
                                   sl_slice src, bool if_not_exists, sl_err *err);
/* get_table, parsed: the definition lives in the arena. */
sl_code sl_store_table_def(sl_store *s, sl_slice db, sl_slice table, sl_arena_t *a,
                           sl_tabledef **def, int64_t *table_id, sl_err *err);

/* ---- load transactions ------------------------------------------------------------------ */

/* What begin needs. */
typedef struct sl_begin_opts {
    sl_slice db, table;
    const sl_tabledef *def;        /* parsed definition of the table; must outlive the txn */
    int64_t table_id;              /* from get_table */
    sl_slice label;                /* never empty: the adapter generates one */
    sl_slice user;                 /* who loads (kept with the transaction; for 2PC checks) */
    uint32_t timeout_s;            /* PREPARE older than this is aborted by the store */
    long seq_col;                  /* UNIQUE tables: the sequence column's index, or -1 */
    bool replace;                  /* commit drops the table's other visible rows in the same
                                      transaction (an atomic replace) */
    bool partial;                  /* a partial-column update of a UNIQUE table */
    bool two_phase;                /* will end in sl_store_precommit (rows go to a stage) */
} sl_begin_opts;

/* A label's latest transaction. */
typedef struct sl_label_info {
    int64_t txn_id;                /* -1 when unknown */
    uint8_t state;                 /* sl_txn_state */
} sl_label_info;

/* One load for the history (SHOW STREAM LOAD). Slices are copied. */
typedef struct sl_load_record {
    sl_slice label, db, table, client_ip, status, message, url, user, comment;
    int64_t txn_id;
    uint64_t total, loaded, filtered, unselected, bytes;
    uint64_t start_ms, finish_ms;      /* wall clock, ms since the epoch */
} sl_load_record;

/* Take the label: record the transaction as PREPARE in a short engine transaction of its own
 * (a concurrent load with the same label, on any node, conflicts at once) and open the
 * engine's writer. SL_CONFLICT with *existing filled when a non-aborted transaction holds the
 * label ("Label [x] has already been used, relate to txn [N]"). */
sl_code sl_store_begin(sl_store *s, const sl_begin_opts *o, sl_txn **out,
                       sl_label_info *existing, sl_err *err);
int64_t sl_store_txn_id(const sl_txn *t);
/* Append the batch's rows (all columns, table order). The batch may be reused on return. After
 * the first error the transaction is poisoned: later calls return that error. */
sl_code sl_store_append(sl_txn *t, const sl_batch *b, sl_err *err);
/* Partial-column updates, before commit: drop the rows whose key is new when strict, or when
 * a column outside mask (the provided columns) is NOT NULL without default. *removed receives
 * how many rows went. */
sl_code sl_store_partial_check(sl_txn *t, uint64_t mask, bool strict, uint64_t *removed,
                               sl_err *err);
/* Progress of a running load: body bytes received and rows so far (shown by SHOW TRANSACTION
 * while it runs, within a heartbeat). Cheap: call it as often as convenient. */
void sl_store_progress(sl_txn *t, uint64_t bytes, uint64_t rows);

/* Make the rows visible, the label VISIBLE and write rec (may be NULL) to the history, in one
 * engine transaction, durably. Frees t whatever the outcome (on failure the transaction is
 * aborted and its label reusable). */
sl_code sl_store_commit(sl_txn *t, const sl_load_record *rec, sl_err *err);
/* Two-phase commit, first phase: the rows durable but invisible, the label PRECOMMITTED, rec
 * in the history, in one engine transaction. They survive restarts of sluice and of the
 * engine until sl_store_finish_2pc or the precommit timeout. Frees t whatever the outcome. */
sl_code sl_store_precommit(sl_txn *t, const sl_load_record *rec, sl_err *err);
/* Drop the rows, mark the label ABORTED with reason, write rec (may be NULL). Frees t. */
void sl_store_abort(sl_txn *t, const char *reason, const sl_load_record *rec);

/* A transaction as the 2PC and privilege checks see it. */
typedef struct sl_txn_info {
    int64_t txn_id;
    uint8_t state;                 /* sl_txn_state */
    sl_slice table;                /* the table it loads (in the arena) */
    sl_slice user;                 /* who began it (in the arena) */
    sl_slice label;
} sl_txn_info;

/* Find a transaction of db by id (txn_id >= 0) or by label (the one 2PC would act on: for
 * commit the PRECOMMITTED one; for abort PRECOMMITTED, then PREPARE [Doris loadTxn2PCImpl]).
 * SL_NOT_FOUND with Doris's texts ("transaction [N] not found", "transaction not found,
 * label=x") when absent; a transaction of another database is absent. */
sl_code sl_store_find_txn(sl_store *s, sl_slice db, int64_t txn_id, sl_slice label, bool commit,
                          sl_arena_t *a, sl_txn_info *out, sl_err *err);
/* Second phase: commit (rows visible, label VISIBLE) or abort (rows dropped, ABORTED "User
 * Abort") the transaction found as by sl_store_find_txn, on any node. Errors carry Doris's
 * texts (specs §1.4). *txn_id receives the id. */
sl_code sl_store_finish_2pc(sl_store *s, sl_slice db, int64_t *txn_id, sl_slice label,
                            bool commit, sl_err *err);
/* The latest transaction of a label (txn_id -1 when the label is unknown). */
sl_code sl_store_label_state(sl_store *s, sl_slice db, sl_slice label, sl_label_info *out,
                             sl_err *err);

/* ---- history ------------------------------------------------------------------------------ */

/* Record a load that never began a transaction (refused before the label was taken). */
sl_code sl_store_record_load(sl_store *s, const sl_load_record *r, sl_err *err);

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

/* Where result rows go. Returning an error code from a callback stops the query with it. */
typedef struct sl_query_sink {
    sl_code (*meta)(void *arg, const sl_qcol *cols, size_t n);
    sl_code (*row)(void *arg, const sl_qval *vals, size_t n);
    void *arg;
} sl_query_sink;

/* SHOW STREAM LOAD filters: label equal or LIKE (SQL pattern, case-sensitive), status equal
 * (case-insensitive); order and limit. Times are DATETIME values in the session's time zone. */
typedef struct sl_load_filter {
    sl_slice label;                    /* NULL slice: any */
    bool label_like;
    sl_slice status;                   /* NULL slice: any */
    int order_col;                     /* column index to sort by, -1 = StartTime */
    bool desc;
    uint64_t limit;                    /* 0 = no limit */
    const struct sl_tz *tz;            /* times are shown in this zone (NULL: UTC) */
} sl_load_filter;

/* The rows of SHOW STREAM LOAD for db (every database when db is empty). */
sl_code sl_store_list_loads(sl_store *s, sl_slice db, const sl_load_filter *f,
                            const sl_query_sink *sink, sl_err *err);
/* The rows of SHOW TRANSACTION for db by id (>= 0) or label. */
sl_code sl_store_show_txn(sl_store *s, sl_slice db, int64_t id, sl_slice label,
                          const struct sl_tz *tz, const sl_query_sink *sink, sl_err *err);

/* ---- queries ------------------------------------------------------------------------------ */

/* Bounds of one query [Doris exec_mem_limit, query_timeout]; 0 = the default. */
typedef struct sl_query_limits {
    uint64_t max_rows;             /* result rows (default 1,000,000) */
    uint64_t max_bytes;            /* result bytes, and any one value (default 256 MiB) */
    uint64_t mem_bytes;            /* engine memory for the query (default 2 GiB) */
    uint32_t timeout_s;            /* default 300 */
    int32_t tz_offset_s;           /* the session time zone as an offset, when tz is NULL */
    const struct sl_tz *tz;        /* the session time zone, for now() and friends */
} sl_query_limits;

#define SL_QUERY_MAX_ROWS_DEFAULT UINT64_C(1000000)
#define SL_QUERY_MAX_BYTES_DEFAULT (UINT64_C(256) << 20)
#define SL_QUERY_MEM_DEFAULT (UINT64_C(2) << 30)
#define SL_QUERY_TIMEOUT_DEFAULT 300u

/* lim with every 0 replaced by its default (lim may be NULL). */
sl_query_limits sl_query_limits_or_default(const sl_query_limits *lim);

/* Run a read-only SELECT (sl_select from src/sql) of database db: the ledger resolves its
 * table, checks the statement against the table's columns (unknown columns and functions are
 * errors with Doris's texts) and hands it to the engine, which renders it in its own dialect
 * and streams the rows to the sink. Past a limit: SL_TOO_LARGE / SL_TIMEOUT with a Doris-shaped
 * message. */
sl_code sl_store_query(sl_store *s, sl_slice db, sl_select *sel, const sl_query_limits *lim,
                       const sl_query_sink *sink, sl_err *err);

/* CREATE TABLE db.<st->name> [(cols)] [clauses] AS <sel> (st from sl_sql_parse, kind
 * SL_STMT_CREATE_TABLE_AS; sel is st's SELECT, checked here): the table gets the query's
 * result columns (named by the column list when given, every one NULL, of the result types)
 * and the statement's clauses, and the query's rows in one load transaction by user. On any
 * failure the table is dropped again. *rows receives the rows loaded. */
sl_code sl_store_create_table_as(sl_store *s, sl_slice db, const sl_stmt *st, sl_select *sel,
                                 const sl_query_limits *lim, sl_slice user, uint64_t *rows,
                                 sl_err *err);
/* ---- users and grants ---------------------------------------------------------------------- */

/* One user as stored: the password hash in its self-describing text form, flags, lockout. */
typedef struct sl_user_rec {
    sl_slice name;
    sl_slice hash;                 /* "" for an empty password's hash too: never plain text */
    bool admin;
    uint32_t failed_login_attempts;/* FAILED_LOGIN_ATTEMPTS; 0 = no lockout */
    int64_t password_lock_s;       /* PASSWORD_LOCK_TIME; -1 = until unlocked */
    uint32_t failed;               /* consecutive failures so far */
    uint64_t locked_until_ms;      /* 0 = not locked */
    uint64_t version;              /* bumped by every change: credential caches compare it */
    sl_slice native;               /* the MySQL protocol's credential, hex SHA1(SHA1(password))
                                      (docs/mysql.md), kept only while hash is the one it was
                                      made with; p == NULL when there is none */
} sl_user_rec;

typedef struct sl_grant_rec {
    sl_slice user, priv, target;   /* priv "LOAD", "SELECT", ...; target "*", "db", "db.t" */
} sl_grant_rec;

/* The user named name, in the arena. SL_NOT_FOUND when absent. */
sl_code sl_store_user_get(sl_store *s, sl_slice name, sl_arena_t *a, sl_user_rec *out,
                          sl_err *err);
/* Insert (create; SL_CONFLICT when present) or update a user row; u->native (when p != NULL)
 * is stored with it, in the same transaction, for u->hash. */
sl_code sl_store_user_put(sl_store *s, const sl_user_rec *u, bool create, sl_err *err);
sl_code sl_store_user_drop(sl_store *s, sl_slice name, sl_err *err);
/* Record a failed (ok = false) or successful login: the failure counter and lock time. */
sl_code sl_store_user_login(sl_store *s, sl_slice name, bool ok, uint64_t locked_until_ms,
                            sl_err *err);
/* A wrong password under FAILED_LOGIN_ATTEMPTS, counted atomically: the count grows, and when
 * it reaches the limit the account locks until now_ms + PASSWORD_LOCK_TIME (for ever with -1)
 * and the count starts again. */
sl_code sl_store_user_failed(sl_store *s, sl_slice name, uint64_t now_ms, sl_err *err);
/* Replace the password hash; with old set, only while the stored hash is still old (an upgrade
 * loses to a concurrent password change). native (p == NULL: none) replaces the MySQL
 * credential in the same transaction. *changed (may be NULL): whether a row changed. */
sl_code sl_store_user_set_hash(sl_store *s, sl_slice name, sl_slice hash, sl_slice old,
                               sl_slice native, bool *changed, sl_err *err);
/* Store the MySQL credential native for the user's password hash for_hash (a user from before
 * the MySQL protocol, at a login that had the password). It counts only while the stored hash
 * is still for_hash, so a racing password change cannot be undone by it. */
sl_code sl_store_user_native(sl_store *s, sl_slice name, sl_slice native, sl_slice for_hash,
                             sl_err *err);
/* Set FAILED_LOGIN_ATTEMPTS / PASSWORD_LOCK_TIME. SL_NOT_FOUND for an unknown user. */
sl_code sl_store_user_policy(sl_store *s, sl_slice name, uint32_t attempts, int64_t lock_s,
                             sl_err *err);
sl_code sl_store_users(sl_store *s, sl_arena_t *a, sl_user_rec **out, size_t *n, sl_err *err);
/* Grants of user (every user when name is empty). */
sl_code sl_store_grants(sl_store *s, sl_slice name, sl_arena_t *a, sl_grant_rec **out,
                        size_t *n, sl_err *err);
sl_code sl_store_grant(sl_store *s, const sl_grant_rec *g, bool revoke, sl_err *err);
/* A number that changes whenever any user or grant changes (cheap: caches poll it). */
sl_code sl_store_users_version(sl_store *s, uint64_t *out, sl_err *err);

/* ---- handoffs: work a node assigns to another ------------------------------------------ */

/* Record work `id` of `kind` ("tsload": a load cycle) proposed to node `node`, described by
 * body (the protocol's own text). Kept as long as labels are. SL_CONFLICT if id is taken. */
sl_code sl_store_handoff_put(sl_store *s, const char *kind, sl_slice id, sl_slice node,
                             sl_slice body, sl_err *err);
/* Claim handoff `id` of `kind` for this node: the first node asking gets SL_OK and the body
 * (in a); every later ask, and an unknown id, SL_NOT_FOUND. */
sl_code sl_store_handoff_claim(sl_store *s, const char *kind, sl_slice id, sl_arena_t *a,
                               sl_slice *body, sl_err *err);
/* Read handoff `id` of `kind`, claimed or not: its body (in a), or SL_NOT_FOUND. */
sl_code sl_store_handoff_get(sl_store *s, const char *kind, sl_slice id, sl_arena_t *a,
                             sl_slice *body, sl_err *err);

/* ---- nodes ------------------------------------------------------------------------------ */

typedef struct sl_node_rec {
    sl_slice id;                   /* kept in the node's data directory (node.id) */
    sl_slice host;
    int fe_port, be_port, tsload_port;
    uint64_t started_ms, heartbeat_ms;
    uint32_t running;              /* loads running on it at its last heartbeat */
    bool alive;                    /* heartbeat within node_timeout_s */
    bool self;
} sl_node_rec;

/* Every registered node, this one first, in the arena. */
sl_code sl_store_nodes(sl_store *s, sl_arena_t *a, sl_node_rec **out, size_t *n, sl_err *err);
/* This node's id: random when its data directory was first used, kept there (node.id), so a
 * restarted node takes back the PREPARE loads of its earlier life at once. */
sl_slice sl_store_node_id(const sl_store *s);
/* The number of this node's loads running now (between begin and commit/abort). */
uint32_t sl_store_running(const sl_store *s);

/* ---- observing the store (metrics, health) ------------------------------------------------ */

/* Upper bounds of the commit latency buckets, in microseconds (0.5 ms ... 10 s). */
#define SL_STORE_COMMIT_BUCKETS 14
extern const uint64_t sl_store_commit_bounds_us[SL_STORE_COMMIT_BUCKETS];

/* Counters since the store opened. */
typedef struct sl_store_counters {
    uint64_t commits;              /* sl_store_commit/precommit that made rows visible/staged */
    uint64_t commit_failures;      /* ... that failed (the load was aborted) */
    uint64_t commit_us_sum;        /* their durations, summed */
    uint64_t commit_buckets[SL_STORE_COMMIT_BUCKETS + 1]; /* how many took <= bound i (not
                                      cumulative); the last one: longer than every bound */
    uint64_t compactions;          /* segment merges the engine did (0: it has none) */
    uint64_t compacted_segments;   /* segments those merges replaced */
    uint64_t heartbeat_ms;         /* wall clock of the last heartbeat the catalog took */
} sl_store_counters;

/* Read the counters (cheap, no engine round trip; any thread). */
void sl_store_stats(sl_store *s, sl_store_counters *out);

/* This store's transactions (txns rows, kept for label_keep_max_second) by state:
 * out[SL_TXN_PREPARE] ... out[SL_TXN_ABORTED]. One catalog query. */
sl_code sl_store_txn_counts(sl_store *s, uint64_t out[SL_TXN_ABORTED + 1], sl_err *err);

/* A round trip that needs what a load needs: a catalog connection and the catalog's write
 * transaction (SQLite: BEGIN IMMEDIATE, so a lock held by another process shows), then a
 * rollback. SL_BACKEND "store unavailable: ..." when the engine cannot be reached. May block
 * as long as the engine waits for its lock (SQLite: 10 s): callers wanting a bound run it off
 * the request (proto/health.c). */
sl_code sl_store_ping(sl_store *s, sl_err *err);

#endif
