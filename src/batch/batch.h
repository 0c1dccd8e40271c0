/*
 * batch.h - the typed, columnar batch between the mapper and the store (batch stage).
 *
 * Columns hold sl_datum values plus a null byte per row (Arrow-like, but with a byte rather than
 * a bit so that the mapper can write a cell with one store). Text values are slices that are
 * either borrowed from the decoder's current chunk or copied into batch->arena; the batch is
 * flushed to the store before the decoder is pushed again, so borrowed slices stay valid for
 * the whole life of the batch contents.
 *
 * Physical forms per logical type:
 *   TINYINT..BIGINT, BOOLEAN   i    (int64)
 *   LARGEINT, DECIMAL          w    (int128; DECIMAL is the unscaled value, scale in the type)
 *   FLOAT, DOUBLE              d    (double; FLOAT already rounded to float)
 *   DATE                       i    (days since 1970-01-01)
 *   DATETIME                   i    (microseconds since 1970-01-01 00:00:00, no time zone)
 *   CHAR..JSON                 s    (bytes)
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_BATCH_H
#define SL_BATCH_H

#include "../core/arena.h"
#include "../core/status.h"
#include "types.h"

typedef union sl_datum {
    int64_t i;
    double d;
    sl_i128 w;
    struct {
        const char *p;
        size_t n;
    } s;
} sl_datum;

typedef struct sl_column {
    const sl_coldef *def;   /* borrowed from the table definition */
    sl_datum *v;            /* cap_rows entries */
    uint8_t *null;          /* cap_rows entries; 1 = NULL */
} sl_column;

typedef struct sl_batch {
    sl_column *cols;
    size_t n_cols;
    size_t n_rows;
    size_t cap_rows;
    size_t bytes;           /* approximate payload bytes, for the flush limit */
    uint8_t *del;           /* cap_rows: 1 = the row deletes its key (UNIQUE merge loads) */
    bool has_del;           /* del[] is meaningful for the rows in the batch */
    uint64_t col_mask;      /* partial update: bit c = column c provided; 0 = every column */
    sl_arena_t arena;       /* copied text; reset by sl_batch_clear */
} sl_batch;

/* Flush limits [PG MAX_BUFFERED_TUPLES]: 4096 rows keeps a 16-column batch's arrays at about
 * 1 MiB, small enough for L2 and large enough that per-batch overhead (a store call, a mutex)
 * is noise; 8 MiB of text bounds memory when rows are wide. */
#define SL_BATCH_MAX_ROWS 4096
#define SL_BATCH_MAX_BYTES (8u << 20)

/* Set up a batch for the n_cols columns of def (all of them, in table order). Allocates the
 * column arrays with sl_malloc; SL_NOMEM on failure (then nothing needs freeing). */
sl_code sl_batch_init(sl_batch *b, const sl_tabledef *def);

/* Drop the rows (and the arena's copies); keep the arrays. */
void sl_batch_clear(sl_batch *b);

/* Release everything. Safe on a zeroed batch. */
void sl_batch_free(sl_batch *b);

/* True when the batch should be flushed before another row is added. */
static inline bool sl_batch_full(const sl_batch *b)
{
    return b->n_rows >= b->cap_rows || b->bytes >= SL_BATCH_MAX_BYTES;
}

#endif
