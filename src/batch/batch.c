/*
 * batch.c - typed columnar batch (batch stage). See batch.h.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <string.h>

#include "../core/mem.h"
#include "batch.h"

sl_code sl_batch_init(sl_batch *b, const sl_tabledef *def)
{
    memset(b, 0, sizeof *b);
    /* 1 MiB: a batch's expression results and copied text fit in the chunk the arena keeps
     * across resets, so steady-state batches allocate nothing (no page faults per batch). */
    sl_arena_init(&b->arena, 1 << 20);
    b->cap_rows = SL_BATCH_MAX_ROWS;
    b->n_cols = def->n_cols;
    b->cols = sl_calloc(def->n_cols * sizeof *b->cols);
    b->del = sl_calloc(b->cap_rows);
    if (b->cols == NULL || b->del == NULL)
        goto fail;
    for (size_t c = 0; c < def->n_cols; c++) {
        b->cols[c].def = &def->cols[c];
        b->cols[c].v = sl_malloc(b->cap_rows * sizeof(sl_datum));
        b->cols[c].null = sl_malloc(b->cap_rows);
        if (b->cols[c].v == NULL || b->cols[c].null == NULL)
            goto fail;
    }
    return SL_OK;
fail:
    sl_batch_free(b);
    return SL_NOMEM;
}

void sl_batch_clear(sl_batch *b)
{
    b->n_rows = 0;
    b->bytes = 0;
    sl_arena_reset(&b->arena);
}

void sl_batch_free(sl_batch *b)
{
    if (b->cols) {
        for (size_t c = 0; c < b->n_cols; c++) {
            sl_free(b->cols[c].v);
            sl_free(b->cols[c].null);
        }
        sl_free(b->cols);
    }
    sl_free(b->del);
    sl_arena_free(&b->arena);
    memset(b, 0, sizeof *b);
}
