/*
 * load.h - the load job: one sl_load_spec in, body bytes through the pipeline, one result out
 * (load stage; driven by the protocol adapters).
 *
 *   adapter --spec--> sl_job_begin: table, column mapping, label (store begin), decoder
 *   body ----bytes--> sl_job_push:  [decompress] -> decoder -> mapper -> batch -> store append
 *   end ------------> sl_job_finish: last record, filter ratio, commit or abort (the history
 *                     row is written in the same store transaction)
 *   adapter <-result- sl_job_result: counters, times, error log, label state
 *
 * Nothing here knows which protocol is speaking; the adapters render the result.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_LOAD_H
#define SL_LOAD_H

#include "../decode/decoder.h"
#include "../store/store.h"

enum { SL_MERGE_APPEND, SL_MERGE_DELETE, SL_MERGE_MERGE };
enum { SL_GROUP_COMMIT_OFF, SL_GROUP_COMMIT_SYNC, SL_GROUP_COMMIT_ASYNC };

/* The hidden delete-sign column of UNIQUE tables, as a source column name. */
#define SL_DELETE_SIGN "__DORIS_DELETE_SIGN__"

/* Everything a load needs, protocol-independent. Slices must outlive the job (the adapters
 * keep them in the request arena). */
typedef struct sl_load_spec {
    sl_slice db, table;
    sl_slice label;                /* never empty: adapters generate a UUID when absent */
    sl_slice comment;
    sl_slice format;               /* decoder name, e.g. "csv" */
    sl_decode_opts dopts;
    sl_slice compress_type;        /* empty: body is not compressed */
    sl_slice columns;              /* the `columns` list text, or NULL slice */
    sl_slice where;                /* predicate text, or NULL slice */
    bool where_on_sources;         /* where reads source columns (_http_stream), not targets */
    bool lenient_fields;           /* positional rows may have fewer (NULL) or more (ignored)
                                      fields than sources: JSON paths, _http_stream */
    sl_slice partitions;           /* comma list of partition names, or NULL slice */
    bool temporary_partitions;
    bool strict;                   /* strict_mode */
    double max_filter_ratio;       /* fail when filtered / (total - unselected) > this */
    uint32_t timeout_s;
    bool two_phase;
    uint8_t merge_type;            /* SL_MERGE_APPEND / DELETE / MERGE (UNIQUE tables) */
    sl_slice delete_pred;          /* MERGE: rows where this is true delete their key */
    sl_slice sequence_col;         /* function_column.sequence_col, or NULL slice */
    bool replace_table;            /* the commit replaces the table's rows (tsload empty_target) */
    bool partial_columns;          /* UNIQUE: update only the columns the load provides */
    sl_slice hidden_columns;       /* Doris hidden_columns (only without `columns`): extra source
                                      columns after the table's, e.g. __DORIS_DELETE_SIGN__ */
    bool negative;                 /* AGGREGATE (SUM only): load every value negated */
    bool load_to_single_tablet;    /* a hint, but Doris refuses it on hash-distributed tables */
    uint8_t group_commit;          /* SL_GROUP_COMMIT_*: the reply's shape (the load itself runs
                                      as a normal one: see docs/doris-stream-load.md) */
    int32_t tz_offset_s;           /* load time zone as UTC offset, when tz is NULL */
    const struct sl_tz *tz;        /* the load time zone (`timezone` header, else the
                                      server's time_zone setting) */
    bool truncate_strings;         /* over-length CHAR/VARCHAR: truncate (Doris master) instead
                                      of filtering the row (Doris 2.1/3.0, the default) */
    const struct sl_text_formats *formats; /* tsload value formats (batch/datefmt.h), or NULL */
    /* Who loads, for the transaction and the history (SHOW STREAM LOAD): */
    sl_slice user;
    sl_slice client_ip;
    sl_slice errlog_url;           /* ErrorURL prefix the error log's name is appended to
                                      ("http://host:port/api/_load_error_log?file="), or empty */
    uint64_t start_wall_ms;        /* when the request began (0: when the job began) */
    bool skip_history;             /* keep the load out of SHOW STREAM LOAD (Doris's
                                      skip_record_to_audit_log_table) */
    bool typed;                    /* the adapter decodes rows itself into typed batches of
                                      the table (Yamcs protobuf rows): sl_job_push_batch */
    const char *protocol;          /* who speaks, for metrics and the dashboard: "doris",
                                      "sql", "tsload", "yamcs" (static; NULL: "other") */
    uint64_t body_size;            /* the body's size when announced (Content-Length), for
                                      progress; 0 when unknown */
} sl_load_spec;

struct sl_load_result;

/* Who watches loads (metrics, the dashboard: proto/watch.c). Every job, whichever protocol
 * started it, calls begin once when sl_job_begin starts (before the table or the label is
 * checked), progress after each piece of body, and end once with the final result: when
 * sl_job_finish has committed or aborted, or from sl_job_free for a job that never finished.
 * Called on the load's own thread; must be thread-safe and quick. */
typedef struct sl_job_observer {
    void *u;
    /* Returns a token handed to the other two (may be NULL). */
    void *(*begin)(void *u, const struct sl_load_spec *spec);
    /* Body bytes received and rows handed to the store so far. */
    void (*progress)(void *u, void *token, uint64_t bytes, uint64_t rows);
    void (*end)(void *u, void *token, const struct sl_load_spec *spec,
                const struct sl_load_result *res);
} sl_job_observer;

/* What the job needs from the server. */
typedef struct sl_job_env {
    sl_store *store;
    const char *error_log_dir;     /* error logs go below it, in __shard_N/ folders */
    const sl_job_observer *obs;    /* NULL: nobody watches */
} sl_job_env;

/* Maximum error rows detailed in the error log [Doris MAX_ERROR_NUM]. */
#define SL_ERRLOG_MAX_ROWS 50

typedef struct sl_load_result {
    int64_t txn_id;                /* -1 when no transaction was begun */
    sl_err err;                    /* code SL_OK on success */
    sl_label_info existing;        /* SL_CONFLICT: the transaction holding the label */
    uint64_t total, loaded, filtered, unselected;
    uint64_t bytes;                /* body bytes as received (compressed size) */
    uint64_t begin_ms, plan_ms, read_ms, write_ms, commit_ms, load_ms;
    char error_log[160];           /* "__shard_N/error_log_..." or "" when none */
    char first_error[SL_ERR_MSG_MAX];
} sl_load_result;

typedef struct sl_job sl_job;

/* Start a load: resolve the table, prepare the mapping, take the label (store begin) and open
 * the decoder. On failure returns the code and fills res (res->err, res->existing for
 * SL_CONFLICT); *out stays NULL. On success *out owns a store transaction until
 * sl_job_finish/sl_job_free. */
sl_code sl_job_begin(const sl_job_env *env, const sl_load_spec *spec, sl_job **out,
                     sl_load_result *res);

/* Feed n body bytes. SL_OK, or a fatal error (the job is then failed; call sl_job_free). */
sl_code sl_job_push(sl_job *j, const char *p, size_t n);

/* Feed records that are already split (SQL INSERT ... VALUES): they go through the same
 * mapping, conversion and counters as decoded records. */
sl_code sl_job_push_rows(sl_job *j, const sl_rawbatch *rb);

/* Feed a typed batch of the table's columns (spec.typed): counted as loaded rows and handed
 * to the store; the batch is cleared for reuse. */
sl_code sl_job_push_batch(sl_job *j, sl_batch *b);

/* End of body: decode the rest, apply the filter ratio, commit or abort. Returns the final
 * code (also in the result). */
sl_code sl_job_finish(sl_job *j);

/* Fail the job with e (the first error wins) and abort: counters stay as far as they got.
 * Returns e's code. Used for causes outside the pipeline: timeouts, body limits, a short body. */
sl_code sl_job_cancel(sl_job *j, const sl_err *e);

/* The result so far (complete after sl_job_finish). */
const sl_load_result *sl_job_result(const sl_job *j);

/* Rows handed to the store so far; may be read from another thread while the job runs. */
uint64_t sl_job_written(const sl_job *j);

/* Abort the transaction unless committed, close the error log, free everything. NULL ok. */
void sl_job_free(sl_job *j);

/* Resolve db.table to its parsed definition (sl_store_table_def). The definition lives in
 * arena a. */
sl_code sl_catalog_table(const sl_job_env *env, sl_slice db, sl_slice table, sl_arena_t *a,
                         sl_tabledef **def, int64_t *table_id, sl_err *err);

#endif
