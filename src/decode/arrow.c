/*
 * arrow.c - the Arrow IPC stream decoder (decode stage, issue 15): Doris `format: arrow`.
 *
 * A stream is a sequence of messages, decoded as they arrive (no spooling):
 *
 *   [0xFFFFFFFF][u32 metadata length][Message flatbuffer, padded][body: bodyLength bytes] ...
 *   [0xFFFFFFFF][0x00000000]                          end of stream (before 0.15: no marker)
 *
 *   Schema first -> fields (names, types, dictionary encodings)
 *   DictionaryBatch -> the values of a dictionary id, kept until replaced
 *   RecordBatch -> FieldNodes and Buffers (optionally lz4-frame / zstd compressed, each prefixed
 *                  with its uncompressed length) bound to arrays (arrow_value.c) -> rows out,
 *                  SL_COL_ROWS per call (rb->more while a batch has rows left)
 *
 * Input that is not yet a whole message is kept in one buffer (a message at most: metadata is
 * bounded by SL_COL_META_MAX, a body by SL_COL_BLOCK_MAX). FlatBuffers are read by hand: every
 * offset is checked against the metadata's length before it is followed.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <string.h>

#include "../core/mem.h"
#include "arrow.h"

enum { P_LEN, P_META, P_BODY, P_EMIT, P_EOS };
enum { MH_SCHEMA = 1, MH_DICT = 2, MH_BATCH = 3 };

/* ---- FlatBuffers ------------------------------------------------------------------------------ */

typedef struct fb {
    const uint8_t *p;
    size_t n;
    bool bad;
} fb;

static uint64_t fb_uint(fb *b, size_t off, size_t size)
{
    if (off > b->n || b->n - off < size) {
        b->bad = true;
        return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < size; i++)
        v |= (uint64_t)b->p[off + i] << (8 * i);
    return v;
}

/* Position of the object an offset at pos refers to (0 when out of range). */
static size_t fb_deref(fb *b, size_t pos)
{
    uint64_t r = fb_uint(b, pos, 4);
    if (b->bad || pos + r >= b->n) {
        b->bad = true;
        return 0;
    }
    return pos + (size_t)r;
}

/* Position of field `slot` of the table at t, or 0 when absent. */
static size_t fb_field(fb *b, size_t t, int slot)
{
    if (t == 0)
        return 0;
    int64_t vt = (int64_t)t - (int32_t)fb_uint(b, t, 4);
    if (b->bad || vt < 0 || (uint64_t)vt + 4 > b->n) {
        b->bad = true;
        return 0;
    }
    size_t vsize = (size_t)fb_uint(b, (size_t)vt, 2);
    size_t at = 4 + 2 * (size_t)slot;
    if (at + 2 > vsize)
        return 0;
    size_t fo = (size_t)fb_uint(b, (size_t)vt + at, 2);
    return fo ? t + fo : 0;
}

static int64_t fb_int(fb *b, size_t t, int slot, size_t size, int64_t dflt)
{
    size_t f = fb_field(b, t, slot);
    if (f == 0)
        return dflt;
    uint64_t v = fb_uint(b, f, size);
    switch (size) {
    case 1: return (int8_t)v;
    case 2: return (int16_t)v;
    case 4: return (int32_t)v;
    default: return (int64_t)v;
    }
}

static size_t fb_table(fb *b, size_t t, int slot)
{
    size_t f = fb_field(b, t, slot);
    return f ? fb_deref(b, f) : 0;
}

/* Vector field: its element count and the position of element 0 (elements of elem bytes). */
static size_t fb_vector(fb *b, size_t t, int slot, size_t elem, uint32_t *count)
{
    size_t v = fb_table(b, t, slot);
    *count = 0;
    if (v == 0)
        return 0;
    uint64_t n = fb_uint(b, v, 4);
    if (b->bad || n > (b->n - v - 4) / (elem ? elem : 1)) {
        b->bad = true;
        return 0;
    }
    *count = (uint32_t)n;
    return v + 4;
}

static sl_slice fb_string(fb *b, size_t t, int slot)
{
    uint32_t n;
    size_t p = fb_vector(b, t, slot, 1, &n);
    return p ? (sl_slice){(const char *)b->p + p, n} : SL_SLICE_NULL;
}

/* ---- state ------------------------------------------------------------------------------------ */

typedef struct ar_dict {
    int64_t id;
    ar_field vf;           /* the value type (the field without its dictionary encoding) */
    uint8_t *body;         /* the dictionary batch's body, owned */
    sl_arena_t arena;      /* its arrays and decompressed buffers */
    ar_array arr;
    bool loaded;
} ar_dict;

struct ar_state {
    sl_err *err;
    sl__ltz tz;
    uint8_t *in;           /* input not consumed yet: [pos, len) */
    size_t len, cap, pos;
    int phase;
    uint32_t meta_len;
    int64_t body_len;
    size_t meta_at;        /* the current message's metadata in `in` */
    bool got_bytes;
    /* schema */
    sl_arena_t arena;
    ar_field *fields;
    int n_fields;
    bool have_schema;
    int version;           /* MetadataVersion: 3 = V4, 4 = V5 */
    ar_dict *dicts;
    int n_dicts;
    /* the batch being emitted */
    sl_arena_t batch;
    ar_array *cols;
    int64_t rows, row;
    uint64_t rows_out;
    sl__tbuf text;
    sl_buf scratch;
    sl_slice *names;
    sl_slice **out;
};

static sl_code bad_stream(struct ar_state *st, const char *what)
{
    return sl_fail(st->err, SL_INVALID, "arrow stream is corrupt: %s", what);
}

/* ---- schema ----------------------------------------------------------------------------------- */

static sl_code parse_field(struct ar_state *st, fb *b, size_t t, ar_field *f, int depth);

static sl_code parse_type(struct ar_state *st, fb *b, size_t ty, ar_field *f)
{
    switch (f->type) {
    case AT_INT:
        f->bits = (int)fb_int(b, ty, 0, 4, 0);
        f->is_signed = fb_int(b, ty, 1, 1, 0) != 0;
        if (f->bits != 8 && f->bits != 16 && f->bits != 32 && f->bits != 64)
            return bad_stream(st, "integer bit width");
        f->jk = SL_JK_NUM;
        return SL_OK;
    case AT_FLOAT:
        f->bits = (int)fb_int(b, ty, 0, 2, 0);
        f->jk = SL_JK_NUM;
        return f->bits >= 0 && f->bits <= 2 ? SL_OK : bad_stream(st, "float precision");
    case AT_DECIMAL:
        f->precision = (int)fb_int(b, ty, 0, 4, 0);
        f->scale = (int)fb_int(b, ty, 1, 4, 0);
        f->bits = (int)fb_int(b, ty, 2, 4, 128);
        f->jk = SL_JK_NUM;
        if ((f->bits != 32 && f->bits != 64 && f->bits != 128 && f->bits != 256) ||
            f->scale < 0 || f->scale > 76)
            return bad_stream(st, "decimal width or scale");
        return SL_OK;
    case AT_DATE: f->unit = (int)fb_int(b, ty, 0, 2, 1); return SL_OK;
    case AT_TIME:
        f->unit = (int)fb_int(b, ty, 0, 2, 1) & 3;
        f->bits = (int)fb_int(b, ty, 1, 4, 32);
        return f->bits == (f->unit < 2 ? 32 : 64) ? SL_OK : bad_stream(st, "time bit width");
    case AT_TIMESTAMP: {
        f->unit = (int)fb_int(b, ty, 0, 2, 0) & 3;
        sl_slice tz = fb_string(b, ty, 1);
        f->has_tz = tz.p != NULL && tz.n > 0;
        return SL_OK;
    }
    case AT_DURATION: f->unit = (int)fb_int(b, ty, 0, 2, 1) & 3; f->jk = SL_JK_NUM; return SL_OK;
    case AT_INTERVAL:
        f->unit = (int)fb_int(b, ty, 0, 2, 0);
        f->jk = f->unit == 0 ? SL_JK_NUM : SL_JK_JSON;
        return f->unit >= 0 && f->unit <= 2 ? SL_OK : bad_stream(st, "interval unit");
    case AT_FIXED_BINARY:
    case AT_FIXED_LIST:
        f->width = (int32_t)fb_int(b, ty, 0, 4, 0);
        return f->width >= 0 && f->width <= (1 << 24) ? SL_OK : bad_stream(st, "fixed size");
    case AT_BOOL: f->jk = SL_JK_BOOL; return SL_OK;
    case AT_UNION: {
        f->dense = fb_int(b, ty, 0, 2, 0) == 1;
        uint32_t n;
        size_t v = fb_vector(b, ty, 1, 4, &n);
        if (v && n) {
            f->type_ids = sl_arena_alloc(&st->arena, n * sizeof *f->type_ids);
            if (f->type_ids == NULL)
                return sl_fail(st->err, SL_NOMEM, "out of memory for the arrow schema");
            for (uint32_t i = 0; i < n; i++)
                f->type_ids[i] = (int32_t)fb_uint(b, v + 4 * i, 4);
            if (n < (uint32_t)f->n_kids)
                return bad_stream(st, "union type ids");
        }
        return SL_OK;
    }
    default: return SL_OK;
    }
}

static sl_code parse_kids(struct ar_state *st, fb *b, size_t t, ar_field *f, int depth)
{
    uint32_t n;
    size_t v = fb_vector(b, t, 5, 4, &n);
    if (n > SL_COL_MAX_COLUMNS)
        return bad_stream(st, "too many child fields");
    f->n_kids = (int)n;
    if (n == 0)
        return SL_OK;
    f->kids = sl_arena_alloc(&st->arena, n * sizeof *f->kids);
    if (f->kids == NULL)
        return sl_fail(st->err, SL_NOMEM, "out of memory for the arrow schema");
    for (uint32_t i = 0; i < n; i++) {
        size_t kt = fb_deref(b, v + 4 * i);
        sl_code rc = parse_field(st, b, kt, &f->kids[i], depth + 1);
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

static sl_code parse_field(struct ar_state *st, fb *b, size_t t, ar_field *f, int depth)
{
    memset(f, 0, sizeof *f);
    if (depth > SL_COL_MAX_DEPTH)
        return bad_stream(st, "schema nested too deep");
    f->name = fb_string(b, t, 0); /* copied: the metadata's buffer is reused */
    f->name = f->name.p && f->name.n ? sl_arena_slice(&st->arena, f->name) : SL_LIT("");
    if (f->name.p == NULL)
        return sl_fail(st->err, SL_NOMEM, "out of memory for the arrow schema");
    f->nullable = fb_int(b, t, 1, 1, 0) != 0;
    f->type = (int)fb_int(b, t, 2, 1, 0);
    f->jk = SL_JK_STR;
    sl_code rc = parse_kids(st, b, t, f, depth);
    if (rc != SL_OK)
        return rc;
    size_t ty = fb_table(b, t, 3);
    if (b->bad || f->type < AT_NULL || f->type > AT_LARGE_LIST_VIEW)
        return bad_stream(st, "unknown field type");
    if ((rc = parse_type(st, b, ty, f)) != SL_OK)
        return rc;
    size_t de = fb_table(b, t, 4);
    if (de) {
        f->dict = true;
        f->dict_id = fb_int(b, de, 0, 8, 0);
        size_t it = fb_table(b, de, 1);
        f->idx_bits = it ? (int)fb_int(b, it, 0, 4, 32) : 32;
        f->idx_signed = it ? fb_int(b, it, 1, 1, 1) != 0 : true;
        if (f->idx_bits != 8 && f->idx_bits != 16 && f->idx_bits != 32 && f->idx_bits != 64)
            return bad_stream(st, "dictionary index width");
    }
    return b->bad ? bad_stream(st, "malformed field") : SL_OK;
}

/* Register the dictionaries of f and its children. */
static sl_code add_dicts(struct ar_state *st, const ar_field *f)
{
    if (f->dict) {
        for (int i = 0; i < st->n_dicts; i++)
            if (st->dicts[i].id == f->dict_id)
                return SL_OK;
        ar_dict *d = sl_realloc(st->dicts, (size_t)(st->n_dicts + 1) * sizeof *d);
        if (d == NULL)
            return sl_fail(st->err, SL_NOMEM, "out of memory for arrow dictionaries");
        st->dicts = d;
        d += st->n_dicts++;
        memset(d, 0, sizeof *d);
        d->id = f->dict_id;
        d->vf = *f;
        d->vf.dict = false;
        sl_arena_init(&d->arena, 4096);
    }
    for (int k = 0; k < f->n_kids; k++) {
        sl_code rc = add_dicts(st, &f->kids[k]);
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

static sl_code read_schema(struct ar_state *st, fb *b, size_t h)
{
    if (st->have_schema)
        return bad_stream(st, "a second schema");
    if (fb_int(b, h, 0, 2, 0) != 0)
        return sl_fail(st->err, SL_INVALID, "big-endian arrow streams are not supported");
    uint32_t n;
    size_t v = fb_vector(b, h, 1, 4, &n);
    if (b->bad || n > SL_COL_MAX_COLUMNS)
        return bad_stream(st, "malformed schema");
    st->fields = sl_arena_alloc(&st->arena, (n ? n : 1) * sizeof *st->fields);
    st->names = sl_arena_alloc(&st->arena, (n ? n : 1) * sizeof *st->names);
    st->out = sl_arena_alloc(&st->arena, (n ? n : 1) * sizeof *st->out);
    if (!st->fields || !st->names || !st->out)
        return sl_fail(st->err, SL_NOMEM, "out of memory for the arrow schema");
    for (uint32_t i = 0; i < n; i++) {
        sl_code rc = parse_field(st, b, fb_deref(b, v + 4 * i), &st->fields[i], 0);
        if (rc == SL_OK)
            rc = add_dicts(st, &st->fields[i]);
        if (rc != SL_OK)
            return rc;
        st->names[i] = st->fields[i].name;
        st->out[i] = sl_arena_alloc(&st->arena, SL_COL_ROWS * sizeof **st->out);
        if (st->out[i] == NULL)
            return sl_fail(st->err, SL_NOMEM, "out of memory for the arrow schema");
    }
    st->n_fields = (int)n;
    st->have_schema = true;
    return SL_OK;
}

/* ---- binding a record batch's buffers ----------------------------------------------------------- */

typedef struct bind {
    struct ar_state *st;
    fb *b;
    const uint8_t *body;
    size_t body_n;
    size_t nodes, bufs, vcounts;
    uint32_t n_nodes, n_bufs, n_vcounts, node_i, buf_i, vcount_i;
    int codec;             /* -1 none, 0 lz4 frame, 1 zstd */
    sl_arena_t *arena;
    uint64_t budget;       /* decompressed bytes still allowed */
} bind;

static sl_code next_buffer(bind *x, const uint8_t **p, size_t *n)
{
    if (x->buf_i >= x->n_bufs)
        return bad_stream(x->st, "fewer buffers than the schema needs");
    size_t at = x->bufs + 16 * (size_t)x->buf_i++;
    uint64_t off = fb_uint(x->b, at, 8), len = fb_uint(x->b, at + 8, 8);
    if (x->b->bad || off > x->body_n || len > x->body_n - off)
        return bad_stream(x->st, "buffer outside the message body");
    *p = x->body + off;
    *n = (size_t)len;
    if (x->codec < 0 || len == 0)
        return SL_OK;
    if (len < 8)
        return bad_stream(x->st, "compressed buffer without its length");
    int64_t raw = (int64_t)sl_le64(*p);
    if (raw == -1) { /* stored uncompressed */
        *p += 8, *n -= 8;
        return SL_OK;
    }
    if (raw < 0 || (uint64_t)raw > x->budget)
        return sl_fail(x->st->err, SL_INVALID, "arrow record batch decompresses to more than "
                                               "%zu bytes",
                       SL_COL_BLOCK_MAX);
    x->budget -= (uint64_t)raw;
    uint8_t *dst = sl_arena_alloc(x->arena, raw ? (size_t)raw : 1);
    if (dst == NULL)
        return sl_fail(x->st->err, SL_NOMEM, "out of memory for an arrow buffer");
    size_t got;
    sl_err e2 = {0};
    if (sl__codec_decompress(x->codec == 0 ? SL_CODEC_LZ4_FRAME : SL_CODEC_ZSTD, *p + 8, len - 8,
                             dst, (size_t)raw, true, &got, &e2) != SL_OK)
        return sl_fail(x->st->err, e2.code, "arrow stream is corrupt: %s", e2.msg);
    *p = dst;
    *n = (size_t)raw;
    return SL_OK;
}

static sl_code validity(bind *x, ar_array *a)
{
    const uint8_t *p;
    size_t n;
    sl_code rc = next_buffer(x, &p, &n);
    if (rc != SL_OK)
        return rc;
    if (n == 0) {
        a->valid = NULL;
        return a->nulls > 0 ? bad_stream(x->st, "nulls without a validity bitmap") : SL_OK;
    }
    if (n < (size_t)((a->len + 7) / 8))
        return bad_stream(x->st, "validity bitmap too short");
    a->valid = p;
    return SL_OK;
}

/* Bytes per element of a fixed-width type (0: not fixed width). Bool is handled apart. */
static size_t elem_size(const ar_field *f)
{
    switch (f->type) {
    case AT_INT:
    case AT_DECIMAL:
    case AT_TIME: return (size_t)f->bits / 8;
    case AT_FLOAT: return f->bits == 0 ? 2 : f->bits == 1 ? 4 : 8;
    case AT_DATE: return f->unit == 0 ? 4 : 8;
    case AT_TIMESTAMP:
    case AT_DURATION: return 8;
    case AT_INTERVAL: return f->unit == 0 ? 4 : f->unit == 1 ? 8 : 16;
    case AT_FIXED_BINARY: return (size_t)f->width;
    case AT_BINARY_VIEW:
    case AT_UTF8_VIEW: return 16;
    default: return 0;
    }
}

static sl_code buffer_min(bind *x, const uint8_t **p, size_t *n, uint64_t need)
{
    sl_code rc = next_buffer(x, p, n);
    if (rc == SL_OK && *n < need)
        rc = bad_stream(x->st, "buffer shorter than its array");
    return rc;
}

static sl_code bind_array(bind *x, const ar_field *f, ar_array *a, int depth);

static sl_code bind_kids(bind *x, const ar_field *f, ar_array *a, int depth)
{
    if (f->n_kids == 0)
        return SL_OK;
    a->kids = sl_arena_alloc(x->arena, (size_t)f->n_kids * sizeof *a->kids);
    if (a->kids == NULL)
        return sl_fail(x->st->err, SL_NOMEM, "out of memory for arrow arrays");
    for (int k = 0; k < f->n_kids; k++) {
        sl_code rc = bind_array(x, &f->kids[k], &a->kids[k], depth + 1);
        if (rc != SL_OK)
            return rc;
        if ((f->type == AT_STRUCT || (f->type == AT_UNION && !f->dense)) && a->kids[k].len < a->len)
            return bad_stream(x->st, "child array shorter than its parent");
    }
    return SL_OK;
}

static sl_code bind_views(bind *x, ar_array *a)
{
    if (x->vcount_i >= x->n_vcounts)
        return bad_stream(x->st, "view array without its buffer count");
    int64_t nv = (int64_t)fb_uint(x->b, x->vcounts + 8 * (size_t)x->vcount_i++, 8);
    if (nv < 0 || nv > (int64_t)x->n_bufs)
        return bad_stream(x->st, "view buffer count");
    a->n_var = (int)nv;
    a->var = sl_arena_alloc(x->arena, (size_t)(nv ? nv : 1) * sizeof *a->var);
    a->var_n = sl_arena_alloc(x->arena, (size_t)(nv ? nv : 1) * sizeof *a->var_n);
    if (a->var == NULL || a->var_n == NULL)
        return sl_fail(x->st->err, SL_NOMEM, "out of memory for arrow arrays");
    for (int64_t i = 0; i < nv; i++) {
        sl_code rc = next_buffer(x, &a->var[i], &a->var_n[i]);
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

static sl_code bind_array(bind *x, const ar_field *f, ar_array *a, int depth)
{
    memset(a, 0, sizeof *a);
    a->f = f;
    if (depth > SL_COL_MAX_DEPTH)
        return bad_stream(x->st, "nested too deep");
    if (x->node_i >= x->n_nodes)
        return bad_stream(x->st, "fewer field nodes than the schema needs");
    size_t at = x->nodes + 16 * (size_t)x->node_i++;
    a->len = (int64_t)fb_uint(x->b, at, 8);
    a->nulls = (int64_t)fb_uint(x->b, at + 8, 8);
    if (x->b->bad || a->len < 0 || a->len > ((int64_t)1 << 40) || a->nulls < 0)
        return bad_stream(x->st, "field node length");
    uint64_t len = (uint64_t)a->len;
    sl_code rc = SL_OK;
    size_t w = elem_size(f);
    if (f->type == AT_NULL)
        return SL_OK;
    if (f->type == AT_RUN_END) {
        if (f->n_kids != 2 || f->kids[0].type != AT_INT || f->kids[0].bits < 16)
            return bad_stream(x->st, "run-end encoded array without run ends and values");
        return bind_kids(x, f, a, depth);
    }
    if (f->type != AT_UNION || x->st->version < 4)
        rc = validity(x, a);
    if (rc != SL_OK)
        return rc;
    if (f->dict) {
        a->dict_field = true;
        for (int i = 0; i < x->st->n_dicts; i++)
            if (x->st->dicts[i].id == f->dict_id && x->st->dicts[i].loaded)
                a->dict = &x->st->dicts[i].arr;
        if (a->dict == NULL)
            return bad_stream(x->st, "record batch before its dictionary");
        return buffer_min(x, &a->b1, &a->n1, len * (uint64_t)(f->idx_bits / 8));
    }
    switch (f->type) {
    case AT_BOOL: return buffer_min(x, &a->b1, &a->n1, (len + 7) / 8);
    case AT_BINARY:
    case AT_UTF8:
    case AT_LARGE_BINARY:
    case AT_LARGE_UTF8: {
        uint64_t ow = f->type == AT_LARGE_BINARY || f->type == AT_LARGE_UTF8 ? 8 : 4;
        if ((rc = buffer_min(x, &a->b1, &a->n1, len ? (len + 1) * ow : 0)) != SL_OK)
            return rc;
        return next_buffer(x, &a->b2, &a->n2);
    }
    case AT_BINARY_VIEW:
    case AT_UTF8_VIEW:
        if ((rc = buffer_min(x, &a->b1, &a->n1, len * 16)) != SL_OK)
            return rc;
        return bind_views(x, a);
    case AT_LIST:
    case AT_MAP:
    case AT_LARGE_LIST:
        if (f->n_kids != 1)
            return bad_stream(x->st, "list without exactly one child");
        if ((rc = buffer_min(x, &a->b1, &a->n1,
                             len ? (len + 1) * (f->type == AT_LARGE_LIST ? 8u : 4u) : 0)) != SL_OK)
            return rc;
        return bind_kids(x, f, a, depth);
    case AT_LIST_VIEW:
    case AT_LARGE_LIST_VIEW: {
        uint64_t ow = f->type == AT_LARGE_LIST_VIEW ? 8 : 4;
        if (f->n_kids != 1)
            return bad_stream(x->st, "list without exactly one child");
        if ((rc = buffer_min(x, &a->b1, &a->n1, len * ow)) != SL_OK ||
            (rc = buffer_min(x, &a->b2, &a->n2, len * ow)) != SL_OK)
            return rc;
        return bind_kids(x, f, a, depth);
    }
    case AT_FIXED_LIST:
        if (f->n_kids != 1)
            return bad_stream(x->st, "list without exactly one child");
        return bind_kids(x, f, a, depth);
    case AT_STRUCT: return bind_kids(x, f, a, depth);
    case AT_UNION:
        if ((rc = buffer_min(x, &a->b1, &a->n1, len)) != SL_OK ||
            (f->dense && (rc = buffer_min(x, &a->b2, &a->n2, len * 4)) != SL_OK))
            return rc;
        return bind_kids(x, f, a, depth);
    default:
        if (w == 0)
            return bad_stream(x->st, "unsupported type");
        return buffer_min(x, &a->b1, &a->n1, len * w);
    }
}

/* Bind a RecordBatch table rb (body of body_n bytes) to n columns of fields into cols. */
static sl_code bind_batch(struct ar_state *st, fb *b, size_t rb, const uint8_t *body,
                          size_t body_n, const ar_field *fields, int n, ar_array *cols,
                          sl_arena_t *arena, int64_t *rows)
{
    bind x = {st, b, body, body_n, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, arena, SL_COL_BLOCK_MAX};
    *rows = fb_int(b, rb, 0, 8, 0);
    x.nodes = fb_vector(b, rb, 1, 16, &x.n_nodes);
    x.bufs = fb_vector(b, rb, 2, 16, &x.n_bufs);
    x.vcounts = fb_vector(b, rb, 4, 8, &x.n_vcounts);
    size_t comp = fb_table(b, rb, 3);
    if (comp) {
        x.codec = (int)fb_int(b, comp, 0, 1, 0);
        if (x.codec != 0 && x.codec != 1)
            return bad_stream(st, "unknown body compression");
    }
    if (b->bad || *rows < 0)
        return bad_stream(st, "malformed record batch");
    for (int i = 0; i < n; i++) {
        sl_code rc = bind_array(&x, &fields[i], &cols[i], 0);
        if (rc != SL_OK)
            return rc;
        if (cols[i].len < *rows)
            return bad_stream(st, "column shorter than its record batch");
    }
    /* Rows must be backed by bytes: at most 8 per byte of (decompressed) body, plus 65536 for
     * columns that need none (NULL type); a few bytes claiming 2^40 rows are refused. */
    uint64_t bytes = body_n + (SL_COL_BLOCK_MAX - x.budget);
    if ((uint64_t)*rows > bytes * 8 + 65536)
        return sl_fail(st->err, SL_INVALID, "arrow record batch claims %lld rows in %llu bytes",
                       (long long)*rows, (unsigned long long)bytes);
    return SL_OK;
}

/* ---- messages --------------------------------------------------------------------------------- */

static sl_code read_dictionary(struct ar_state *st, fb *b, size_t h, const uint8_t *body,
                               size_t body_n)
{
    int64_t id = fb_int(b, h, 0, 8, 0);
    size_t data = fb_table(b, h, 1);
    ar_dict *d = NULL;
    for (int i = 0; i < st->n_dicts; i++)
        if (st->dicts[i].id == id)
            d = &st->dicts[i];
    if (d == NULL || data == 0)
        return bad_stream(st, "dictionary batch for an unknown dictionary");
    if (fb_int(b, h, 2, 1, 0) != 0)
        return sl_fail(st->err, SL_INVALID, "arrow dictionary deltas are not supported");
    sl_arena_reset(&d->arena);
    sl_free(d->body);
    d->loaded = false;
    d->body = sl_malloc(body_n ? body_n : 1);
    if (d->body == NULL)
        return sl_fail(st->err, SL_NOMEM, "out of memory for an arrow dictionary");
    memcpy(d->body, body, body_n);
    int64_t rows;
    sl_code rc = bind_batch(st, b, data, d->body, body_n, &d->vf, 1, &d->arr, &d->arena, &rows);
    d->loaded = rc == SL_OK;
    return rc;
}

static sl_code read_batch(struct ar_state *st, fb *b, size_t h, const uint8_t *body,
                          size_t body_n)
{
    if (!st->have_schema)
        return bad_stream(st, "record batch before the schema");
    sl_arena_reset(&st->batch);
    st->cols = sl_arena_alloc(&st->batch, (size_t)(st->n_fields ? st->n_fields : 1) *
                                              sizeof *st->cols);
    if (st->cols == NULL)
        return sl_fail(st->err, SL_NOMEM, "out of memory for arrow arrays");
    st->row = 0;
    return bind_batch(st, b, h, body, body_n, st->fields, st->n_fields, st->cols, &st->batch,
                      &st->rows);
}

/* The message whose metadata and body are complete in `in`. */
static sl_code handle_message(struct ar_state *st, bool *batch)
{
    fb b = {st->in + st->meta_at, st->meta_len, false};
    const uint8_t *body = st->in + st->meta_at + st->meta_len;
    size_t root = fb_deref(&b, 0);
    int type = (int)fb_int(&b, root, 1, 1, 0);
    size_t h = fb_table(&b, root, 2);
    int version = (int)fb_int(&b, root, 0, 2, 0);
    *batch = false;
    if (b.bad || h == 0)
        return bad_stream(st, "malformed message");
    if (version < 3)
        return sl_fail(st->err, SL_INVALID, "arrow metadata version V%d is not supported (V4 "
                                            "and later are)",
                       version + 1);
    st->version = version;
    switch (type) {
    case MH_SCHEMA: return read_schema(st, &b, h);
    case MH_DICT: return read_dictionary(st, &b, h, body, (size_t)st->body_len);
    case MH_BATCH: *batch = true; return read_batch(st, &b, h, body, (size_t)st->body_len);
    default: return sl_fail(st->err, SL_INVALID, "arrow message type %d (tensor?) is not "
                                                 "supported in a stream load",
                            type);
    }
}

/* ---- rows out --------------------------------------------------------------------------------- */

static sl_code emit(struct ar_state *st, sl_rawbatch *rb)
{
    int64_t n = st->rows - st->row < SL_COL_ROWS ? st->rows - st->row : SL_COL_ROWS;
    sl_code rc = SL_OK;
    sl__tbuf_reset(&st->text);
    for (int c = 0; c < st->n_fields && rc == SL_OK; c++) {
        const ar_array *a = &st->cols[c];
        bool nested = sl__ar_nested(a->f);
        for (int64_t r = 0; r < n && rc == SL_OK; r++) {
            int64_t i = st->row + r;
            sl_slice *o = &st->out[c][r];
            if (sl__ar_is_null(a, i)) {
                *o = SL_SLICE_NULL;
            } else if (!nested) {
                rc = sl__ar_text(a, i, &st->tz, &st->text, o, st->err);
            } else {
                sl_buf_clear(&st->scratch);
                rc = sl__ar_json(a, i, &st->tz, &st->text, &st->scratch, 0, st->err);
                if (rc == SL_OK && st->scratch.oom)
                    rc = sl_fail(st->err, SL_NOMEM, "out of memory for a nested arrow value");
                if (rc == SL_OK &&
                    (*o = sl__tbuf_copy(&st->text, st->scratch.p, st->scratch.len)).p == NULL)
                    rc = sl_fail(st->err, SL_NOMEM, "out of memory for a nested arrow value");
            }
        }
    }
    if (rc == SL_OK)
        rc = sl__col_emit(rb, st->names, st->out, (size_t)st->n_fields, (size_t)n, st->rows_out,
                          st->err);
    st->row += n;
    st->rows_out += (uint64_t)n;
    return rc;
}

/* ---- the stream ------------------------------------------------------------------------------- */

static sl_code take_input(struct ar_state *st, const char *p, size_t n)
{
    if (st->pos > 0) { /* drop what was consumed */
        memmove(st->in, st->in + st->pos, st->len - st->pos);
        st->len -= st->pos;
        st->meta_at -= st->pos < st->meta_at ? st->pos : st->meta_at;
        st->pos = 0;
    }
    if (n == 0)
        return SL_OK;
    if (st->len + n > st->cap) {
        size_t cap = st->cap ? st->cap : 65536;
        while (cap < st->len + n)
            cap *= 2;
        uint8_t *np = sl_realloc(st->in, cap);
        if (np == NULL)
            return sl_fail(st->err, SL_NOMEM, "out of memory for the arrow stream");
        st->in = np;
        st->cap = cap;
    }
    memcpy(st->in + st->len, p, n);
    st->len += n;
    return SL_OK;
}

/* Parse whole messages from `in`; stop at a record batch (phase P_EMIT) or when input is
 * short. */
static sl_code parse(struct ar_state *st)
{
    for (;;) {
        size_t avail = st->len - st->pos;
        const uint8_t *p = st->in + st->pos;
        switch (st->phase) {
        case P_LEN: {
            if (avail < 4)
                return SL_OK;
            uint32_t v = sl_le32(p);
            size_t hdr = 4;
            if (v == 0xFFFFFFFFu) {
                if (avail < 8)
                    return SL_OK;
                v = sl_le32(p + 4);
                hdr = 8;
            }
            st->pos += hdr;
            if (v == 0) {
                st->phase = P_EOS;
                continue;
            }
            if (v > SL_COL_META_MAX)
                return sl_fail(st->err, SL_INVALID, "arrow message metadata of %u bytes exceeds "
                                                    "the %zu-byte limit",
                               v, SL_COL_META_MAX);
            st->meta_len = v;
            st->phase = P_META;
            continue;
        }
        case P_META: {
            if (avail < st->meta_len)
                return SL_OK;
            fb b = {p, st->meta_len, false};
            size_t root = fb_deref(&b, 0);
            st->body_len = fb_int(&b, root, 3, 8, 0);
            if (b.bad || st->body_len < 0)
                return bad_stream(st, "malformed message");
            if ((uint64_t)st->body_len > SL_COL_BLOCK_MAX)
                return sl_fail(st->err, SL_INVALID, "arrow message body of %lld bytes exceeds the "
                                                    "%zu-byte limit; write smaller record "
                                                    "batches",
                               (long long)st->body_len, SL_COL_BLOCK_MAX);
            st->meta_at = st->pos;
            st->phase = P_BODY;
            continue;
        }
        case P_BODY: {
            if (avail < st->meta_len + (uint64_t)st->body_len)
                return SL_OK;
            bool batch;
            sl_code rc = handle_message(st, &batch);
            if (rc != SL_OK)
                return rc;
            if (batch) {
                st->phase = P_EMIT; /* pos moves past the body when its rows are out */
                return SL_OK;
            }
            st->pos += st->meta_len + (size_t)st->body_len;
            st->phase = P_LEN;
            continue;
        }
        case P_EOS: st->pos = st->len; return SL_OK;
        default: return SL_OK;
        }
    }
}

/* Emit rows of the current batch, or parse more; sets rb->more when rows or whole messages
 * are still waiting. */
static sl_code step(struct ar_state *st, sl_rawbatch *rb)
{
    sl_code rc;
    if (st->phase != P_EMIT && (rc = parse(st)) != SL_OK)
        return rc;
    if (st->phase != P_EMIT)
        return SL_OK;
    if ((rc = emit(st, rb)) != SL_OK)
        return rc;
    if (st->row >= st->rows) {
        st->pos = st->meta_at + st->meta_len + (size_t)st->body_len;
        st->phase = P_LEN;
        rb->more = st->len > st->pos; /* further messages may be waiting whole */
    } else {
        rb->more = true;
    }
    return SL_OK;
}

static sl_code ar_open(void *vst, const sl_decode_opts *o, sl_err *err)
{
    struct ar_state *st = vst;
    memset(st, 0, sizeof *st);
    st->err = err;
    st->tz = (sl__ltz){o->tz, o->tz_offset_s};
    sl_arena_init(&st->arena, 8192);
    sl_arena_init(&st->batch, 16384);
    return SL_OK;
}

static sl_code ar_push(void *vst, const char *p, size_t n, sl_rawbatch *rb)
{
    struct ar_state *st = vst;
    sl_code rc;
    if (n > 0 && st->phase == P_EMIT)
        return sl_fail(st->err, SL_INTERNAL, "arrow decoder pushed while rows were pending");
    st->got_bytes |= n > 0;
    if (st->phase != P_EMIT && (rc = take_input(st, p, n)) != SL_OK)
        return rc;
    rc = step(st, rb);
    return rc == SL_OK ? SL_AGAIN : rc;
}

static sl_code ar_finish(void *vst, sl_rawbatch *rb)
{
    struct ar_state *st = vst;
    sl_code rc = step(st, rb);
    if (rc != SL_OK || rb->more)
        return rc;
    if (st->phase == P_EOS)
        return SL_OK;
    if (!st->got_bytes)
        return sl_fail(st->err, SL_INVALID, "arrow stream is empty: no schema message");
    if (st->phase != P_LEN || st->len > st->pos)
        return sl_fail(st->err, SL_INVALID, "arrow stream is truncated: it ends inside a "
                                            "message");
    if (!st->have_schema)
        return sl_fail(st->err, SL_INVALID, "arrow stream has no schema message");
    return SL_OK; /* no end-of-stream marker: accepted, as readers do at a message boundary */
}

static void ar_close(void *vst)
{
    struct ar_state *st = vst;
    for (int i = 0; i < st->n_dicts; i++) {
        sl_free(st->dicts[i].body);
        sl_arena_free(&st->dicts[i].arena);
    }
    sl_free(st->dicts);
    sl_free(st->in);
    sl__tbuf_free(&st->text);
    sl_buf_free(&st->scratch);
    sl_arena_free(&st->batch);
    sl_arena_free(&st->arena);
    st->dicts = NULL;
    st->in = NULL;
    st->n_dicts = 0;
}

const sl_decoder_vtab sl_decoder_arrow = {
    "arrow", sizeof(struct ar_state), ar_open, ar_push, ar_finish, ar_close};
