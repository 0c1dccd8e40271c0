/*
 * parquet_meta.c - the Parquet footer and page headers: Thrift compact protocol read by hand
 * (decode stage, issue 15; see parquet.h).
 *
 * Compact protocol: a struct is a sequence of field headers (byte: high nibble the field-id
 * delta, low nibble the type; delta 0 means a zigzag varint id follows) ending with a 0 byte;
 * integers are zigzag varints, binary is a varint length and bytes, a list is a header byte
 * (size in the high nibble, 15: varint size follows; element type low) and the elements, a
 * boolean field carries its value in the type nibble (1 true, 2 false). Fields we do not need
 * are skipped by type; nesting is bounded by SL_COL_MAX_DEPTH and every length is checked
 * against the bytes that remain.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <string.h>

#include "parquet.h"

enum { T_STOP, T_TRUE, T_FALSE, T_BYTE, T_I16, T_I32, T_I64, T_DOUBLE, T_BINARY, T_LIST, T_SET,
       T_MAP, T_STRUCT };

typedef struct tc {
    const uint8_t *p, *end;
    int depth;
    bool bad;              /* malformed */
    bool short_input;      /* ran out of bytes (a page header may need more) */
} tc;

static uint64_t tc_varint(tc *t)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (t->p >= t->end) {
            t->bad = t->short_input = true;
            return 0;
        }
        uint8_t b = *t->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    t->bad = true;
    return 0;
}

static int64_t tc_zz(tc *t)
{
    uint64_t v = tc_varint(t);
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static sl_slice tc_binary(tc *t)
{
    uint64_t n = tc_varint(t);
    if (t->bad)
        return SL_SLICE_NULL;
    if (n > (uint64_t)(t->end - t->p)) {
        t->bad = t->short_input = true;
        return SL_SLICE_NULL;
    }
    sl_slice s = {(const char *)t->p, (size_t)n};
    t->p += n;
    return s;
}

/* List header: element type and count (checked against the bytes left: every element takes
 * at least one byte). */
static uint32_t tc_list(tc *t, int *elem)
{
    if (t->p >= t->end) {
        t->bad = t->short_input = true;
        return 0;
    }
    uint8_t h = *t->p++;
    uint64_t n = h >> 4;
    *elem = h & 0x0f;
    if (n == 15)
        n = tc_varint(t);
    if (n > (uint64_t)(t->end - t->p)) {
        t->bad = t->short_input = true;
        return 0;
    }
    return (uint32_t)n;
}

/* Next field of a struct: false at its end (or on error). */
static bool tc_field(tc *t, int16_t *last, int *id, int *type)
{
    if (t->bad)
        return false;
    if (t->p >= t->end) {
        t->bad = t->short_input = true;
        return false;
    }
    uint8_t h = *t->p++;
    if (h == 0)
        return false;
    *type = h & 0x0f;
    int delta = h >> 4;
    if (delta)
        *id = *last + delta;
    else
        *id = (int)tc_zz(t);
    *last = (int16_t)*id;
    return !t->bad;
}

static void tc_skip(tc *t, int type);

static void tc_skip_struct(tc *t)
{
    if (++t->depth > SL_COL_MAX_DEPTH) {
        t->bad = true;
        return;
    }
    int16_t last = 0;
    int id, ty;
    while (tc_field(t, &last, &id, &ty))
        tc_skip(t, ty);
    t->depth--;
}

static void tc_skip(tc *t, int type)
{
    switch (type) {
    case T_TRUE:
    case T_FALSE: break;
    case T_BYTE:
        if (t->p >= t->end)
            t->bad = t->short_input = true;
        else
            t->p++;
        break;
    case T_I16:
    case T_I32:
    case T_I64: tc_varint(t); break;
    case T_DOUBLE:
        if (t->end - t->p < 8)
            t->bad = t->short_input = true;
        else
            t->p += 8;
        break;
    case T_BINARY: tc_binary(t); break;
    case T_LIST:
    case T_SET: {
        int et;
        uint32_t n = tc_list(t, &et);
        if (++t->depth > SL_COL_MAX_DEPTH) {
            t->bad = true;
            return;
        }
        for (uint32_t i = 0; i < n && !t->bad; i++) {
            if (et == T_TRUE || et == T_FALSE)
                tc_skip(t, T_BYTE); /* booleans in a list take a byte each */
            else
                tc_skip(t, et);
        }
        t->depth--;
        break;
    }
    case T_MAP: {
        uint64_t n = tc_varint(t);
        if (n == 0)
            break;
        if (t->p >= t->end || n > (uint64_t)(t->end - t->p)) {
            t->bad = t->short_input = true;
            break;
        }
        uint8_t kv = *t->p++;
        if (++t->depth > SL_COL_MAX_DEPTH) {
            t->bad = true;
            return;
        }
        for (uint64_t i = 0; i < n && !t->bad; i++) {
            tc_skip(t, kv >> 4 == T_TRUE || kv >> 4 == T_FALSE ? T_BYTE : kv >> 4);
            tc_skip(t, (kv & 15) == T_TRUE || (kv & 15) == T_FALSE ? T_BYTE : kv & 15);
        }
        t->depth--;
        break;
    }
    case T_STRUCT: tc_skip_struct(t); break;
    default: t->bad = true;
    }
}

/* Read an integer field of any integer type, or skip a mistyped one (returns false). */
static bool tc_int(tc *t, int type, int64_t *v)
{
    if (type == T_I16 || type == T_I32 || type == T_I64) {
        *v = tc_zz(t);
        return !t->bad;
    }
    if (type == T_BYTE && t->p < t->end) {
        *v = (int8_t)*t->p++;
        return true;
    }
    tc_skip(t, type);
    return false;
}

/* ---- schema ------------------------------------------------------------------------------------ */

/* TimeUnit union: 1 MILLIS, 2 MICROS, 3 NANOS. */
static int time_unit(tc *t)
{
    int16_t last = 0;
    int id, ty, unit = 0;
    while (tc_field(t, &last, &id, &ty)) {
        if (ty == T_STRUCT && id >= 1 && id <= 3)
            unit = id;
        tc_skip(t, ty);
    }
    return unit;
}

/* TimestampType / TimeType {1: isAdjustedToUTC, 2: unit}. */
static void time_type(tc *t, pq_node *n)
{
    int16_t last = 0;
    int id, ty;
    while (tc_field(t, &last, &id, &ty)) {
        if (id == 1 && (ty == T_TRUE || ty == T_FALSE))
            n->utc = ty == T_TRUE;
        else if (id == 2 && ty == T_STRUCT)
            n->unit = time_unit(t);
        else
            tc_skip(t, ty);
    }
}

static void logical_type(tc *t, pq_node *n)
{
    int16_t last = 0;
    int id, ty;
    while (tc_field(t, &last, &id, &ty)) {
        if (ty != T_STRUCT) {
            tc_skip(t, ty);
            continue;
        }
        n->logical = id;
        int16_t l2 = 0;
        int id2, ty2;
        int64_t v;
        if (id == 7 || id == 8) {
            time_type(t, n);
            continue;
        }
        while (tc_field(t, &l2, &id2, &ty2)) {
            if (id == 5 && id2 == 1 && tc_int(t, ty2, &v)) /* DECIMAL scale, precision */
                n->scale = (int)v;
            else if (id == 5 && id2 == 2 && tc_int(t, ty2, &v))
                n->precision = (int)v;
            else if (id == 10 && id2 == 1 && tc_int(t, ty2, &v)) /* INTEGER */
                n->bit_width = (int)v;
            else if (id == 10 && id2 == 2 && (ty2 == T_TRUE || ty2 == T_FALSE))
                n->is_signed = ty2 == T_TRUE;
            else if (!(id == 5 && id2 <= 2) && !(id == 10 && id2 == 1))
                tc_skip(t, ty2);
        }
    }
}

static void schema_element(tc *t, pq_node *n)
{
    int16_t last = 0;
    int id, ty;
    int64_t v;
    memset(n, 0, sizeof *n);
    n->phys = -1;
    n->conv = -1;
    n->leaf = -1;
    n->repetition = PQ_REQUIRED;
    n->is_signed = true;
    while (tc_field(t, &last, &id, &ty)) {
        switch (id) {
        case 1: if (tc_int(t, ty, &v)) n->phys = (int)v; break;
        case 2: if (tc_int(t, ty, &v)) n->type_len = (int)v; break;
        case 3: if (tc_int(t, ty, &v)) n->repetition = (int)v; break;
        case 4:
            if (ty == T_BINARY)
                n->name = tc_binary(t);
            else
                tc_skip(t, ty);
            break;
        case 5: if (tc_int(t, ty, &v)) n->n_children = (int)v; break;
        case 6: if (tc_int(t, ty, &v)) n->conv = (int)v; break;
        case 7: if (tc_int(t, ty, &v)) n->scale = (int)v; break;
        case 8: if (tc_int(t, ty, &v)) n->precision = (int)v; break;
        case 10:
            if (ty == T_STRUCT)
                logical_type(t, n);
            else
                tc_skip(t, ty);
            break;
        default: tc_skip(t, ty);
        }
    }
}

/* The value kind of a leaf from its types (LogicalType first, then ConvertedType). */
static sl_code leaf_kind(pq_node *n, sl_err *err)
{
    int lt = n->logical, cv = n->conv;
    bool dec = lt == 5 || cv == 5;
    n->jk = SL_JK_NUM;
    if (dec && (n->scale < 0 || n->scale > 76)) /* 76: the most digits a decimal256 has */
        return sl_fail(err, SL_INVALID, "parquet column %.*s: decimal scale %d out of range",
                       (int)n->name.n, n->name.p, n->scale);
    switch (n->phys) {
    case PQ_BOOLEAN: n->vk = PV_BOOL; n->jk = SL_JK_BOOL; return SL_OK;
    case PQ_INT32:
        if (dec) n->vk = PV_DEC32;
        else if (lt == 6 || cv == 6) n->vk = PV_DATE, n->jk = SL_JK_STR;
        else if (lt == 7 || cv == 7) n->vk = PV_TIME_MS, n->jk = SL_JK_STR;
        else if ((lt == 10 && !n->is_signed) || cv == 11 || cv == 12 || cv == 13) n->vk = PV_U32;
        else n->vk = PV_I32;
        return SL_OK;
    case PQ_INT64:
        n->jk = SL_JK_STR;
        if (dec) n->vk = PV_DEC64, n->jk = SL_JK_NUM;
        else if (lt == 8) n->vk = n->unit == 1 ? PV_TS_MS : n->unit == 3 ? PV_TS_NS : PV_TS_US;
        else if (cv == 9) n->vk = PV_TS_MS;
        else if (cv == 10) n->vk = PV_TS_US;
        else if (lt == 7) n->vk = n->unit == 3 ? PV_TIME_NS : PV_TIME_US;
        else if (cv == 8) n->vk = PV_TIME_US;
        else if ((lt == 10 && !n->is_signed) || cv == 14) n->vk = PV_U64, n->jk = SL_JK_NUM;
        else n->vk = PV_I64, n->jk = SL_JK_NUM;
        return SL_OK;
    case PQ_INT96: n->vk = PV_INT96; n->jk = SL_JK_STR; return SL_OK;
    case PQ_FLOAT: n->vk = PV_FLOAT; return SL_OK;
    case PQ_DOUBLE: n->vk = PV_DOUBLE; return SL_OK;
    case PQ_BYTE_ARRAY:
    case PQ_FLBA:
        n->jk = SL_JK_STR;
        if (dec) n->vk = PV_DECBIN, n->jk = SL_JK_NUM;
        else if (lt == 15 && n->phys == PQ_FLBA && n->type_len == 2) n->vk = PV_FLOAT16, n->jk = SL_JK_NUM;
        else if (lt == 14 && n->phys == PQ_FLBA && n->type_len == 16) n->vk = PV_UUID;
        else if (lt == 12 || cv == 19) n->vk = PV_BYTES, n->jk = SL_JK_JSON;
        else n->vk = PV_BYTES;
        if (n->phys == PQ_FLBA && (n->type_len <= 0 || n->type_len > (1 << 20)))
            return sl_fail(err, SL_INVALID, "parquet column %.*s: invalid FIXED_LEN_BYTE_ARRAY "
                                            "length %d",
                           (int)n->name.n, n->name.p, n->type_len);
        if (n->vk == PV_DECBIN && n->phys == PQ_FLBA && n->type_len > 32)
            return sl_fail(err, SL_INVALID, "parquet column %.*s: decimal of %d bytes",
                           (int)n->name.n, n->name.p, n->type_len);
        return SL_OK;
    default:
        return sl_fail(err, SL_INVALID, "parquet column %.*s: unknown physical type %d",
                       (int)n->name.n, n->name.p, n->phys);
    }
}

/* Link the flat element list into a tree (children counts, depth-first order), compute levels
 * and the leaf ranges. *i: the next element. */
static sl_code link(pq_file *f, int idx, int depth, size_t *i, sl_err *err)
{
    pq_node *n = &f->nodes[idx];
    if (depth > SL_COL_MAX_DEPTH)
        return sl_fail(err, SL_INVALID, "parquet schema nested deeper than %d", SL_COL_MAX_DEPTH);
    if (idx > 0) {
        const pq_node *p = &f->nodes[n->parent];
        n->def = p->def + (n->repetition != PQ_REQUIRED);
        n->rep = p->rep + (n->repetition == PQ_REPEATED);
    }
    n->first_leaf = (int)f->n_leaves;
    if (n->n_children <= 0 && idx > 0) {
        if (n->phys < 0)
            return sl_fail(err, SL_INVALID, "parquet schema: group %.*s has no children",
                           (int)n->name.n, n->name.p);
        n->leaf = (int)f->n_leaves;
        f->leaf_node[f->n_leaves++] = idx;
        n->n_leaves = 1;
        return leaf_kind(n, err);
    }
    if (n->n_children < 0 || (size_t)n->n_children > f->n_nodes - *i)
        return sl_fail(err, SL_INVALID, "parquet schema: element %.*s claims %d children",
                       (int)n->name.n, n->name.p, n->n_children);
    n->first_child = (int)*i;
    int nc = n->n_children;
    for (int c = 0; c < nc; c++) {
        size_t ci = (*i)++;
        if (ci >= f->n_nodes)
            return sl_fail(err, SL_INVALID, "parquet schema ends early");
        f->nodes[ci].parent = idx;
        sl_code rc = link(f, (int)ci, depth + 1, i, err);
        if (rc != SL_OK)
            return rc;
        f->nodes[ci].next = c + 1 < nc ? (int)*i : -1; /* after ci's subtree */
    }
    n->n_leaves = (int)f->n_leaves - n->first_leaf;
    return SL_OK;
}

static sl_code parse_schema(pq_file *f, tc *t, sl_arena_t *a, sl_err *err)
{
    int et;
    uint32_t n = tc_list(t, &et);
    if (t->bad || et != T_STRUCT || n == 0)
        return sl_fail(err, SL_INVALID, "parquet footer: malformed schema");
    if (n > SL_COL_MAX_COLUMNS * 4)
        return sl_fail(err, SL_INVALID, "parquet schema has %u elements, more than %d", n,
                       SL_COL_MAX_COLUMNS * 4);
    f->nodes = sl_arena_alloc(a, n * sizeof *f->nodes);
    f->leaf_node = sl_arena_alloc(a, n * sizeof *f->leaf_node);
    if (f->nodes == NULL || f->leaf_node == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory for the parquet schema");
    for (uint32_t i = 0; i < n && !t->bad; i++)
        schema_element(t, &f->nodes[i]);
    if (t->bad)
        return sl_fail(err, SL_INVALID, "parquet footer: malformed schema element");
    f->n_nodes = n;
    f->n_leaves = 0;
    size_t next = 1;
    f->nodes[0].parent = -1;
    f->nodes[0].repetition = PQ_REQUIRED;
    sl_code rc = link(f, 0, 0, &next, err);
    if (rc != SL_OK)
        return rc;
    if (next != n)
        return sl_fail(err, SL_INVALID, "parquet schema: %zu elements left over", n - next);
    if (f->n_leaves == 0)
        return sl_fail(err, SL_INVALID, "parquet schema has no columns");
    if (f->n_leaves > SL_COL_MAX_COLUMNS)
        return sl_fail(err, SL_INVALID, "parquet file has %zu columns, more than %d",
                       f->n_leaves, SL_COL_MAX_COLUMNS);
    return SL_OK;
}

sl_code sl__pq_parse_footer(pq_file *f, const uint8_t *meta, size_t n, sl_arena_t *a,
                            sl_err *err)
{
    tc t = {meta, meta + n, 0, false, false};
    int16_t last = 0;
    int id, ty;
    bool have_schema = false;
    memset(f, 0, sizeof *f);
    f->meta = meta;
    f->meta_end = meta + n;
    f->num_rows = -1;
    while (tc_field(&t, &last, &id, &ty)) {
        if (id == 2 && ty == T_LIST) {
            sl_code rc = parse_schema(f, &t, a, err);
            if (rc != SL_OK)
                return rc;
            have_schema = true;
        } else if (id == 3 && ty == T_I64) {
            f->num_rows = tc_zz(&t);
        } else if (id == 4 && ty == T_LIST) {
            int et;
            f->rg_count = tc_list(&t, &et);
            f->rg_next = t.p;
            if (et != T_STRUCT && f->rg_count)
                return sl_fail(err, SL_INVALID, "parquet footer: malformed row group list");
            for (uint32_t i = 0; i < f->rg_count && !t.bad; i++)
                tc_skip_struct(&t);
        } else if (id == 8 && ty == T_STRUCT) {
            return sl_fail(err, SL_INVALID, "encrypted parquet files are not supported");
        } else {
            tc_skip(&t, ty);
        }
    }
    if (t.bad)
        return sl_fail(err, SL_INVALID, "parquet footer is corrupt (thrift FileMetaData)");
    if (!have_schema || f->num_rows < 0)
        return sl_fail(err, SL_INVALID, "parquet footer has no %s",
                       have_schema ? "num_rows" : "schema");
    return SL_OK;
}

/* ---- row groups ------------------------------------------------------------------------------ */

static void column_meta(tc *t, pq_chunk *c, int64_t *data_off, int64_t *dict_off)
{
    int16_t last = 0;
    int id, ty;
    int64_t v;
    while (tc_field(t, &last, &id, &ty)) {
        switch (id) {
        case 1: if (tc_int(t, ty, &v)) c->type = (int)v; break;
        case 4: if (tc_int(t, ty, &v)) c->codec = (int)v; break;
        case 5: if (tc_int(t, ty, &v)) c->num_values = v; break;
        case 7: if (tc_int(t, ty, &v)) c->len = (uint64_t)v; break;
        case 9: if (tc_int(t, ty, data_off)) {} break;
        case 11: if (tc_int(t, ty, dict_off)) {} break;
        default: tc_skip(t, ty);
        }
    }
}

static sl_code column_chunk(tc *t, pq_chunk *c, sl_err *err)
{
    int16_t last = 0;
    int id, ty;
    int64_t data_off = -1, dict_off = -1;
    bool have_meta = false;
    memset(c, 0, sizeof *c);
    c->num_values = -1;
    c->type = -1;
    while (tc_field(t, &last, &id, &ty)) {
        if (id == 1 && ty == T_BINARY)
            return sl_fail(err, SL_INVALID, "parquet column chunks stored in other files "
                                            "(file_path) are not supported");
        if (id == 3 && ty == T_STRUCT) {
            column_meta(t, c, &data_off, &dict_off);
            have_meta = true;
        } else if (id == 8 || id == 9) {
            return sl_fail(err, SL_INVALID, "encrypted parquet columns are not supported");
        } else {
            tc_skip(t, ty);
        }
    }
    if (t->bad || !have_meta || c->num_values < 0 || (c->num_values > 0 && data_off < 4))
        return sl_fail(err, SL_INVALID, "parquet footer: malformed column chunk metadata");
    c->start = data_off < 4 ? 4 : (uint64_t)data_off;
    if (dict_off >= 4 && dict_off < data_off) /* 0 is written by some writers for "none" */
        c->start = (uint64_t)dict_off;
    return SL_OK;
}

sl_code sl__pq_next_row_group(pq_file *f, int64_t *num_rows, pq_chunk *chunks, sl_err *err)
{
    tc t = {f->rg_next, f->meta_end, 0, false, false};
    int16_t last = 0;
    int id, ty;
    bool have_cols = false;
    *num_rows = -1;
    while (tc_field(&t, &last, &id, &ty)) {
        if (id == 1 && ty == T_LIST) {
            int et;
            uint32_t n = tc_list(&t, &et);
            if (t.bad || et != T_STRUCT || n != f->n_leaves)
                return sl_fail(err, SL_INVALID, "parquet row group %u has %u column chunks for "
                                                "%zu columns",
                               f->rg_done, n, f->n_leaves);
            for (uint32_t i = 0; i < n; i++) {
                sl_code rc = column_chunk(&t, &chunks[i], err);
                if (rc != SL_OK)
                    return rc;
                const pq_node *nd = &f->nodes[f->leaf_node[i]];
                if (chunks[i].type != nd->phys)
                    return sl_fail(err, SL_INVALID, "parquet column %.*s: chunk type %d differs "
                                                    "from the schema's %d",
                                   (int)nd->name.n, nd->name.p, chunks[i].type, nd->phys);
            }
            have_cols = true;
        } else if (id == 3) {
            tc_int(&t, ty, num_rows);
        } else {
            tc_skip(&t, ty);
        }
    }
    if (t.bad || !have_cols || *num_rows < 0)
        return sl_fail(err, SL_INVALID, "parquet footer: malformed row group %u", f->rg_done);
    f->rg_next = t.p;
    f->rg_done++;
    return SL_OK;
}

/* ---- page headers ---------------------------------------------------------------------------- */

static void data_page_header(tc *t, pq_page_header *h, bool v2)
{
    int16_t last = 0;
    int id, ty;
    int64_t v;
    while (tc_field(t, &last, &id, &ty)) {
        if (!v2) {
            switch (id) {
            case 1: if (tc_int(t, ty, &v)) h->num_values = (int32_t)v; break;
            case 2: if (tc_int(t, ty, &v)) h->encoding = (int)v; break;
            case 3: if (tc_int(t, ty, &v)) h->def_enc = (int)v; break;
            case 4: if (tc_int(t, ty, &v)) h->rep_enc = (int)v; break;
            default: tc_skip(t, ty);
            }
            continue;
        }
        switch (id) {
        case 1: if (tc_int(t, ty, &v)) h->num_values = (int32_t)v; break;
        case 2: if (tc_int(t, ty, &v)) h->num_nulls = (int32_t)v; break;
        case 3: if (tc_int(t, ty, &v)) h->num_rows = (int32_t)v; break;
        case 4: if (tc_int(t, ty, &v)) h->encoding = (int)v; break;
        case 5: if (tc_int(t, ty, &v)) h->def_len = (int32_t)v; break;
        case 6: if (tc_int(t, ty, &v)) h->rep_len = (int32_t)v; break;
        case 7:
            if (ty == T_TRUE || ty == T_FALSE)
                h->is_compressed = ty == T_TRUE;
            else
                tc_skip(t, ty);
            break;
        default: tc_skip(t, ty);
        }
    }
}

static void dict_page_header(tc *t, pq_page_header *h)
{
    int16_t last = 0;
    int id, ty;
    int64_t v;
    while (tc_field(t, &last, &id, &ty)) {
        if (id == 1 && tc_int(t, ty, &v))
            h->num_values = (int32_t)v;
        else if (id == 2 && tc_int(t, ty, &v))
            h->encoding = (int)v;
        else if (id > 2)
            tc_skip(t, ty);
    }
}

sl_code sl__pq_page_header(const uint8_t *p, size_t n, pq_page_header *h, size_t *used,
                           sl_err *err)
{
    tc t = {p, p + n, 0, false, false};
    int16_t last = 0;
    int id, ty;
    int64_t v, unc = -1, comp = -1;
    memset(h, 0, sizeof *h);
    h->type = -1;
    h->is_compressed = true;
    while (tc_field(&t, &last, &id, &ty)) {
        switch (id) {
        case 1: if (tc_int(&t, ty, &v)) h->type = (int)v; break;
        case 2: tc_int(&t, ty, &unc); break; /* sizes are i32: a larger claim is corrupt */
        case 3: tc_int(&t, ty, &comp); break;
        case 5:
        case 8:
            if (ty == T_STRUCT)
                data_page_header(&t, h, id == 8);
            else
                tc_skip(&t, ty);
            break;
        case 7:
            if (ty == T_STRUCT)
                dict_page_header(&t, h);
            else
                tc_skip(&t, ty);
            break;
        default: tc_skip(&t, ty);
        }
    }
    if (t.short_input)
        return SL_AGAIN;
    if (unc > INT32_MAX || comp > INT32_MAX)
        return sl_fail(err, SL_INVALID, "parquet page header claims a page of %lld bytes, more "
                                        "than a page can hold",
                       (long long)(unc > comp ? unc : comp));
    h->uncompressed = (int32_t)unc;
    h->compressed = (int32_t)comp;
    if (t.bad || h->type < 0 || h->uncompressed < 0 || h->compressed < 0 || h->num_values < 0 ||
        h->def_len < 0 || h->rep_len < 0 || h->num_nulls < 0)
        return sl_fail(err, SL_INVALID, "parquet page header is corrupt");
    *used = (size_t)(t.p - p);
    return SL_OK;
}
