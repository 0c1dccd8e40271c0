/*
 * internal.h - shared inside src/load only: the mapper and the error log.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_LOAD_INTERNAL_H
#define SL_LOAD_INTERNAL_H

#include <stdio.h>

#include "../batch/convert.h"
#include "../expr/expr.h"
#include "load.h"

/* The error log of one load: the first SL_ERRLOG_MAX_ROWS error rows in Doris's line format,
 * created on the first error. */
typedef struct sl_errlog {
    const char *dir;        /* error-log root */
    FILE *f;                /* NULL until the first error */
    uint64_t n;             /* error rows seen */
    char name[160];         /* relative name ("__shard_N/error_log_...") once created */
    int64_t txn_id;
} sl_errlog;

/* Record one error row: reason (no trailing period) and the raw source bytes. */
void sl__errlog_add(sl_errlog *l, const char *reason, sl_slice src);
void sl__errlog_close(sl_errlog *l);

/* A partition bound or LIST value, converted to the partition column's type. */
typedef struct sl_pvalue {
    sl_datum v;
    bool null;
    bool max;               /* MAXVALUE */
} sl_pvalue;

typedef struct sl_mpart {
    sl_pvalue *lower;       /* RANGE: n_part_cols values (NULL pointer = unbounded) */
    sl_pvalue *upper;       /* RANGE */
    sl_pvalue *values;      /* LIST: n_values * n_part_cols */
    size_t n_values;
    bool allowed;           /* listed in the `partitions` header (or no header) */
} sl_mpart;

/* Column mapping and conversion for one load. */
typedef struct sl_mapper {
    const sl_tabledef *def;
    const sl_load_spec *spec;
    size_t n_src;            /* fields a positional record must have */
    long *src_col;           /* n_src: target column or -1 (placeholder) */
    sl_slice *src_names;     /* n_src: names from `columns` (for named input), or table names */
    long *col_src;           /* n_cols: source index or -1 */
    sl_datum *dflt;          /* n_cols: default value (when col_src == -1) */
    uint8_t *dflt_kind;      /* n_cols: 0 none (NULL or error), 1 value, 2 NULL */
    sl_mpart *parts;         /* def->n_parts, or NULL when not partitioned */
    sl_conv_ctx conv;
    char sep_desc[200];      /* "column separator: [,], line delimiter: [\n]" for messages */
    /* counters */
    uint64_t total, loaded, filtered, unselected;
    char first_error[SL_ERR_MSG_MAX];
    sl_errlog *log;
    long named_hint;         /* named input: next expected source position */
    int16_t *id_src;         /* named input with key ids: id -> source (ID_* or >= 0) ... */
    uint64_t ids_gen;        /* ... for this numbering (rb->ids_gen) */
    /* expressions (columns `k = expr`, where) */
    sl_expr **col_expr;      /* n_cols: derived expression bound over the sources, or NULL */
    sl_expr *where;          /* bound over the target columns, or NULL */
    sl_expr *del;            /* MERGE: delete predicate, or NULL */
    bool del_on_sources;     /* del is bound over the sources (it names a source-only column) */
    long seq_col;            /* UNIQUE: the sequence column, or -1 */
    long del_sign_src;       /* UNIQUE: the source holding __DORIS_DELETE_SIGN__, or -1 */
    uint64_t col_mask;       /* partial update: bit c = column c provided; 0 = not partial */
    sl_vec *srcv;            /* n_src text vectors of the batch rows' sources (derived only) */
    uint8_t *src_used;       /* n_src: read by an expression, so copied into srcv */
    uint32_t *used_idx;      /* the indices i with src_used[i], n_used of them */
    size_t n_used;
    const sl_rawrow **rowraw;/* batch row -> its raw record, for the error log */
    uint8_t *dead;           /* per batch row: 0 alive, 1 filtered, 2 unselected */
    bool fast;               /* records may be mapped column by column (map_block) */
    uint8_t *done;           /* map_block's scratch, a flag per record */
    sl_slice *cells;         /* named records for map_block: a record's sources in a row ... */
    uint8_t *missing;        /* ... and which keys it lacks */
    sl_expr_ctx ectx;
} sl_mapper;

/* Finish the batch rows [start, b->n_rows): evaluate derived columns and where, route to
 * partitions, drop filtered and unselected rows (derive.c). Counts loaded rows. */
sl_code sl__mapper_finish_rows(sl_mapper *m, sl_batch *b, size_t start, sl_err *err);

/* Report an error row: count it, keep the first message, write the error log. */
void sl__mapper_reject(sl_mapper *m, const sl_rawrow *rr, const char *reason);

/* Put a value into batch row `row`, column c, from text (source field) with the load's cast
 * rules; NULL or the error reason (written into why). strict applies to non-NULL input that
 * casts to NULL (sources only: expression results are never strict-checked). */
const char *sl__mapper_put_text(sl_mapper *m, sl_batch *b, size_t row, size_t c, const sl_slice *f,
                                bool strict, char *why, size_t cap);

/* The partition check of one batch row; NULL or the reason in why. */
const char *sl__mapper_check_partition(sl_mapper *m, const sl_batch *b, size_t row, char *why,
                                       size_t cap);

/* Prepare the mapping (parses `columns` and `partitions`, converts defaults and partition
 * bounds). Allocations in arena a. SL_INVALID with a Doris message on header errors. */
sl_code sl__mapper_init(sl_mapper *m, const sl_tabledef *def, const sl_load_spec *spec,
                        sl_arena_t *a, sl_errlog *log, sl_err *err);

/* Map every record of rb into b, flushing b through flush(arg, b) whenever it fills (and the
 * caller flushes at the end). Updates the counters; error rows go to the error log. */
sl_code sl__mapper_run(sl_mapper *m, const sl_rawbatch *rb, sl_batch *b,
                       sl_code (*flush)(void *arg, sl_batch *b), void *arg, sl_err *err);

#endif
