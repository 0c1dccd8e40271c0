/*
 * rawbatch.c - the raw batch decoders fill (decode stage). See decoder.h.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <string.h>

#include "../core/mem.h"
#include "decoder.h"

/* Grow fields (and names, ids when in use) to twice the capacity. */
sl_code sl__rawbatch_grow(sl_rawbatch *rb)
{
    size_t cap = rb->cap_fields ? rb->cap_fields * 2 : 1024;
    sl_slice *f = sl_realloc(rb->fields, cap * sizeof *f);
    if (f == NULL)
        return SL_NOMEM;
    rb->fields = f;
    if (rb->named || rb->names) {
        sl_slice *nm = sl_realloc(rb->names, cap * sizeof *nm);
        if (nm == NULL)
            return SL_NOMEM;
        rb->names = nm;
    }
    if (rb->ids) {
        uint32_t *id = sl_realloc(rb->ids, cap * sizeof *id);
        if (id == NULL)
            return SL_NOMEM;
        rb->ids = id;
    }
    rb->cap_fields = cap;
    return SL_OK;
}

sl_code sl_rawbatch_field(sl_rawbatch *rb, sl_slice v)
{
    if (SL_UNLIKELY(rb->n_fields == rb->cap_fields) && sl__rawbatch_grow(rb) != SL_OK)
        return SL_NOMEM;
    rb->fields[rb->n_fields++] = v;
    return SL_OK;
}

sl_code sl_rawbatch_named_field(sl_rawbatch *rb, sl_slice name, sl_slice v)
{
    if (rb->names == NULL) {
        rb->named = true;
        if (rb->cap_fields) {
            rb->names = sl_malloc(rb->cap_fields * sizeof *rb->names);
            if (rb->names == NULL)
                return SL_NOMEM;
        }
    }
    if (SL_UNLIKELY(rb->n_fields == rb->cap_fields) && sl__rawbatch_grow(rb) != SL_OK)
        return SL_NOMEM;
    if (rb->ids)
        rb->ids[rb->n_fields] = SL_KEY_NONE;
    rb->names[rb->n_fields] = name;
    rb->fields[rb->n_fields++] = v;
    return SL_OK;
}

/* Names and ids arrays as large as fields (at least one slot), fields keyed by gen. */
sl_code sl_rawbatch_keyed(sl_rawbatch *rb, uint64_t gen)
{
    rb->named = true;
    if (rb->cap_fields == 0 && sl__rawbatch_grow(rb) != SL_OK)
        return SL_NOMEM;
    if (rb->names == NULL && (rb->names = sl_malloc(rb->cap_fields * sizeof *rb->names)) == NULL)
        return SL_NOMEM;
    if (rb->ids == NULL) {
        if ((rb->ids = sl_malloc(rb->cap_fields * sizeof *rb->ids)) == NULL)
            return SL_NOMEM;
        for (size_t i = 0; i < rb->n_fields; i++)
            rb->ids[i] = SL_KEY_NONE;
    }
    rb->ids_gen = gen;
    return SL_OK;
}

static sl_code add_row(sl_rawbatch *rb, sl_slice src, uint64_t line_no, const char *err)
{
    if (rb->n_rows == rb->cap_rows) {
        size_t cap = rb->cap_rows ? rb->cap_rows * 2 : 256;
        sl_rawrow *r = sl_realloc(rb->rows, cap * sizeof *r);
        if (r == NULL)
            return SL_NOMEM;
        rb->rows = r;
        rb->cap_rows = cap;
    }
    sl__rawbatch_close(rb, src, line_no, err);
    return SL_OK;
}

sl_code sl_rawbatch_row(sl_rawbatch *rb, sl_slice src, uint64_t line_no)
{
    return add_row(rb, src, line_no, NULL);
}

sl_code sl_rawbatch_error(sl_rawbatch *rb, sl_slice src, uint64_t line_no, const char *reason)
{
    return add_row(rb, src, line_no, reason);
}

void sl_rawbatch_clear(sl_rawbatch *rb)
{
    rb->n_fields = 0;
    rb->n_rows = 0;
}

void sl_rawbatch_free(sl_rawbatch *rb)
{
    sl_free(rb->fields);
    sl_free(rb->names);
    sl_free(rb->ids);
    sl_free(rb->rows);
    memset(rb, 0, sizeof *rb);
}

void sl_decode_opts_default(sl_decode_opts *o)
{
    memset(o, 0, sizeof *o);
    o->col_sep[0] = '\t';
    o->col_sep_len = 1;
    o->line_delim[0] = '\n';
    o->line_delim_len = 1;
    o->enclose = -1;
    o->escape = -1;
    o->validate_utf8 = true;
    o->null_as_backslash_n = true;
}
