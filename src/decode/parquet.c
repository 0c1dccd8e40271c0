/*
 * parquet.c - the Parquet decoder (decode stage, issue 15): Doris Stream Load `format: parquet`.
 *
 *   push:   body bytes --> spool (unlinked temp file; parquet's footer is at the end)
 *   finish: "PAR1" ... [footer (thrift FileMetaData)][u32 footer length]"PAR1"
 *           footer -> schema tree; then row group by row group, SL_COL_ROWS rows per call:
 *           every leaf column -> entries (parquet_page.c) -> top-level fields: a flat field's
 *           texts as they are, a nested one as JSON text per row (parquet_nest.c)
 *           -> named fields (field name -> text) of the raw batch; rb->more while rows remain
 *
 * Top-level fields map to table columns by name, case-insensitively (the mapper does that for
 * named fields, as for JSON). A corrupt or truncated file fails the load when it is found:
 * rows decoded before are never committed because the job aborts on the error.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <string.h>

#include "../core/mem.h"
#include "parquet.h"

struct pq_state {
    sl_err *err;
    sl__spool sp;
    sl__ltz ltz;
    bool opened;           /* footer read */
    uint8_t *meta;
    sl_arena_t arena;      /* schema and per-field arrays */
    pq_file f;
    pq_chunk *chunks;      /* per leaf, current row group */
    pq_col *cols;          /* per leaf */
    int64_t rg_rows_left;
    bool in_rg;
    uint64_t rows_out;
    sl__tbuf text;         /* the current call's texts */
    sl_buf scratch;        /* one nested value's JSON */
    int *fields;           /* top-level node per output field */
    sl_slice *names;
    sl_slice **out;        /* per field: the call's texts */
    size_t n_fields;
};

static sl_code pq_open(void *vst, const sl_decode_opts *o, sl_err *err)
{
    struct pq_state *st = vst;
    memset(st, 0, sizeof *st);
    st->err = err;
    st->sp.fd = -1;
    st->ltz = (sl__ltz){o->tz, o->tz_offset_s};
    sl_arena_init(&st->arena, 16384);
    return sl__spool_open(&st->sp, o->spool_dir, o->max_spool_bytes, "parquet", err);
}

static sl_code pq_push(void *vst, const char *p, size_t n, sl_rawbatch *out)
{
    struct pq_state *st = vst;
    (void)out;
    if (n && sl__spool_write(&st->sp, p, n, st->err) != SL_OK)
        return st->err->code;
    return SL_AGAIN;
}

/* Output fields: the root's children; per field an array of SL_COL_ROWS texts when nested. */
static sl_code setup_fields(struct pq_state *st)
{
    const pq_node *root = &st->f.nodes[0];
    size_t n = (size_t)root->n_children;
    st->fields = sl_arena_alloc(&st->arena, n * sizeof *st->fields);
    st->names = sl_arena_alloc(&st->arena, n * sizeof *st->names);
    st->out = sl_arena_alloc(&st->arena, n * sizeof *st->out);
    st->chunks = sl_calloc(st->f.n_leaves * sizeof *st->chunks);
    st->cols = sl_calloc(st->f.n_leaves * sizeof *st->cols);
    if (!st->fields || !st->names || !st->out || !st->chunks || !st->cols)
        return sl_fail(st->err, SL_NOMEM, "out of memory for the parquet schema");
    int i = root->first_child;
    for (size_t k = 0; k < n; k++, i = st->f.nodes[i].next) {
        const pq_node *fn = &st->f.nodes[i];
        st->fields[k] = i;
        st->names[k] = fn->name;
        st->out[k] = NULL;
        if (fn->phys < 0 || fn->repetition == PQ_REPEATED) {
            st->out[k] = sl_arena_alloc(&st->arena, SL_COL_ROWS * sizeof **st->out);
            if (st->out[k] == NULL)
                return sl_fail(st->err, SL_NOMEM, "out of memory for the parquet schema");
        }
    }
    st->n_fields = n;
    return SL_OK;
}

static sl_code read_footer(struct pq_state *st)
{
    uint64_t size = st->sp.size;
    uint8_t tail[8], head[4];
    sl_err *err = st->err;
    sl_code rc;
    if (size < 12)
        return sl_fail(err, SL_INVALID, "Invalid magic number in parquet file, file size: %llu "
                                        "bytes, smaller than the minimum parquet file (12 bytes)",
                       (unsigned long long)size);
    if ((rc = sl__spool_read(&st->sp, size - 8, 8, tail, err)) != SL_OK ||
        (rc = sl__spool_read(&st->sp, 0, 4, head, err)) != SL_OK)
        return rc;
    if (memcmp(tail + 4, "PARE", 4) == 0)
        return sl_fail(err, SL_INVALID, "encrypted parquet files (PARE) are not supported");
    if (memcmp(tail + 4, "PAR1", 4) != 0 || memcmp(head, "PAR1", 4) != 0)
        return sl_fail(err, SL_INVALID, "Invalid magic number in parquet file, file size: %llu, "
                                        "read magic: %.4s",
                       (unsigned long long)size, memcmp(head, "PAR1", 4) ? (char *)head
                                                                         : (char *)tail + 4);
    uint32_t len = sl_le32(tail);
    if (len > size - 12)
        return sl_fail(err, SL_INVALID, "Parquet footer size(%u) is large than file size(%llu)",
                       len, (unsigned long long)size);
    if (len > SL_COL_META_MAX)
        return sl_fail(err, SL_INVALID, "parquet footer of %u bytes exceeds the %zu-byte limit",
                       len, SL_COL_META_MAX);
    st->meta = sl_malloc(len ? len : 1);
    if (st->meta == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory for the parquet footer");
    if ((rc = sl__spool_read(&st->sp, size - 8 - len, len, st->meta, err)) != SL_OK ||
        (rc = sl__pq_parse_footer(&st->f, st->meta, len, &st->arena, err)) != SL_OK)
        return rc;
    st->opened = true;
    return setup_fields(st);
}

/* Start the next row group: its chunks, and every column reader. */
static sl_code start_row_group(struct pq_state *st)
{
    int64_t rows;
    sl_code rc = sl__pq_next_row_group(&st->f, &rows, st->chunks, st->err);
    if (rc != SL_OK)
        return rc;
    for (size_t l = 0; l < st->f.n_leaves; l++) {
        const pq_node *nd = &st->f.nodes[st->f.leaf_node[l]];
        if (st->chunks[l].start >= st->sp.size)
            return sl_fail(st->err, SL_INVALID, "parquet column %.*s: chunk offset %llu is past "
                                                "the end of the file",
                           (int)nd->name.n, nd->name.p,
                           (unsigned long long)st->chunks[l].start);
        sl__pq_col_start(&st->cols[l], nd, &st->chunks[l], st->sp.size, &st->ltz);
    }
    st->rg_rows_left = rows;
    st->in_rg = rows > 0;
    return SL_OK;
}

/* Decode the next rows of the current row group into st->out and emit them. */
static sl_code decode_rows(struct pq_state *st, sl_rawbatch *rb)
{
    size_t rows = st->rg_rows_left < SL_COL_ROWS ? (size_t)st->rg_rows_left : SL_COL_ROWS;
    sl_code rc;
    for (size_t l = 0; l < st->f.n_leaves; l++) {
        size_t got = 0;
        if ((rc = sl__pq_col_read(&st->cols[l], &st->sp, rows, &st->text, &got, st->err)) !=
            SL_OK)
            return rc;
        if (got != rows) {
            const pq_node *nd = st->cols[l].nd;
            return sl_fail(st->err, SL_INVALID, "parquet column %.*s is corrupt: it ends %zu "
                                                "rows before its row group",
                           (int)nd->name.n, nd->name.p,
                           (size_t)st->rg_rows_left - got);
        }
    }
    for (size_t k = 0; k < st->n_fields; k++) {
        const pq_node *fn = &st->f.nodes[st->fields[k]];
        if (fn->phys >= 0 && fn->repetition != PQ_REPEATED) {
            st->out[k] = st->cols[fn->leaf].vals;
            continue;
        }
        if ((rc = sl__pq_nest(&st->f, st->fields[k], st->cols, rows, st->out[k], &st->text,
                              &st->scratch, st->err)) != SL_OK)
            return rc;
    }
    rc = sl__col_emit(rb, st->names, st->out, st->n_fields, rows, st->rows_out, st->err);
    st->rows_out += rows;
    st->rg_rows_left -= (int64_t)rows;
    if (st->rg_rows_left == 0)
        st->in_rg = false;
    return rc;
}

static sl_code pq_finish(void *vst, sl_rawbatch *rb)
{
    struct pq_state *st = vst;
    sl_code rc;
    sl__tbuf_reset(&st->text);
    if (!st->opened && (rc = read_footer(st)) != SL_OK)
        return rc;
    while (!st->in_rg) {
        if (st->f.rg_done == st->f.rg_count)
            return SL_OK;
        if ((rc = start_row_group(st)) != SL_OK)
            return rc;
    }
    if ((rc = decode_rows(st, rb)) != SL_OK)
        return rc;
    rb->more = st->in_rg || st->f.rg_done < st->f.rg_count;
    return SL_OK;
}

static void pq_close(void *vst)
{
    struct pq_state *st = vst;
    sl__spool_close(&st->sp);
    if (st->cols)
        for (size_t l = 0; l < st->f.n_leaves; l++)
            sl__pq_col_free(&st->cols[l]);
    sl_free(st->cols);
    sl_free(st->chunks);
    sl_free(st->meta);
    sl__tbuf_free(&st->text);
    sl_buf_free(&st->scratch);
    sl_arena_free(&st->arena);
    st->cols = NULL;
    st->chunks = NULL;
    st->meta = NULL;
}

const sl_decoder_vtab sl_decoder_parquet = {
    "parquet", sizeof(struct pq_state), pq_open, pq_push, pq_finish, pq_close};
