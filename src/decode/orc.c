/*
 * orc.c - the ORC decoder (decode stage, issue 15): Doris Stream Load `format: orc`.
 *
 *   push:   body bytes --> spool (unlinked temp file; ORC's metadata is at the end)
 *   finish: "ORC" [stripe: index streams, data streams, stripe footer]... [metadata][footer]
 *           [postscript][u8 postscript length]
 *           postscript (plain protobuf) -> footer (compressed protobuf): types, stripes;
 *           per stripe: stripe footer -> streams and encodings of every column; then
 *           SL_COL_ROWS rows per call: each top-level column read from its streams
 *           (orc_rle.c) -> text, nested columns (LIST, MAP, STRUCT, UNION) -> JSON text
 *           -> named fields of the raw batch; rb->more while rows remain
 *
 * Nesting: a LIST or MAP's children hold sum(lengths of its non-NULL values) values; a
 * STRUCT's children one value per non-NULL STRUCT value; a UNION's children the values of
 * their tag (as ORC's Java and C++ readers read them). Reading is recursive over the type
 * tree, whose depth is bounded.
 *
 * Timestamps: ORC stores seconds from 2015-01-01 00:00:00 in the writer's time zone plus
 * nanoseconds; the wall-clock time is shown as written (the writer's zone is not applied
 * again). TIMESTAMP_INSTANT values are UTC and are shown in the load's time zone.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <string.h>

#include "../core/mem.h"
#include "orc.h"

enum { K_BOOLEAN, K_BYTE, K_SHORT, K_INT, K_LONG, K_FLOAT, K_DOUBLE, K_STRING, K_BINARY,
       K_TIMESTAMP, K_LIST, K_MAP, K_STRUCT, K_UNION, K_DECIMAL, K_DATE, K_VARCHAR, K_CHAR,
       K_TIMESTAMP_INSTANT };
enum { S_PRESENT, S_DATA, S_LENGTH, S_DICT_DATA, S_DICT_COUNT, S_SECONDARY };

#define EPOCH_2015 1420070400 /* 2015-01-01 00:00:00 UTC */
#define MAX_ENTRIES ((size_t)16 << 20) /* values of one column in one call (nested lists) */

typedef struct orc_type {
    int kind;
    uint32_t *sub;
    uint32_t n_sub;
    sl_slice *names;
    uint32_t n_names;
    uint32_t precision, scale;
    sl__jkind jk;
} orc_type;

typedef struct orc_stripe {
    uint64_t offset, index_len, data_len, footer_len, rows;
} orc_stripe;

/* A column in the current stripe. */
typedef struct orc_col {
    int enc;               /* ColumnEncoding kind */
    uint32_t dict_size;
    bool has[6];           /* which stream kinds are present */
    orc_stream st[6];
    orc_brle present, bytes;
    orc_irle data, length, secondary;
    uint8_t *dict;         /* dictionary strings, and where each starts (dict_size + 1) */
    uint64_t *dict_off;
} orc_col;

struct orc_state {
    sl_err *err;
    sl__spool sp;
    sl__ltz ltz;
    bool opened;
    sl_arena_t arena;      /* types, stripes */
    sl__codec codec;
    size_t block;
    orc_type *types;
    uint32_t n_types;
    orc_stripe *stripes;
    uint32_t n_stripes, stripe_i;
    orc_col *cols;         /* per type, current stripe */
    uint64_t rows_left;    /* in the current stripe */
    bool in_stripe;
    uint64_t rows_out;
    char wtz_name[72];     /* the stripe's writer time zone ("" = UTC) */
    const sl_tz *wtz;      /* NULL: UTC */
    sl_tzdb *tzdb;         /* zones read for this file (created when a zone is named) */
    sl_arena_t call;       /* per-call arrays (presence, child values) */
    sl__tbuf text;
    sl_buf scratch;
    uint32_t n_fields;
    uint32_t *ids;         /* type of each output field */
    sl_slice *names;
    sl_slice **out;
};

/* ---- protobuf ------------------------------------------------------------------------------- */

typedef struct pb {
    const uint8_t *p, *end;
    bool bad;
} pb;

static uint64_t pb_varint(pb *b)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (b->p >= b->end)
            break;
        uint8_t c = *b->p++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return v;
    }
    b->bad = true;
    return 0;
}

/* The next field: number and wire type; false at the end or on error. */
static bool pb_next(pb *b, uint32_t *field, int *wt)
{
    if (b->bad || b->p >= b->end)
        return false;
    uint64_t k = pb_varint(b);
    *field = (uint32_t)(k >> 3);
    *wt = (int)(k & 7);
    return !b->bad;
}

static sl_slice pb_bytes(pb *b)
{
    uint64_t n = pb_varint(b);
    if (b->bad || n > (uint64_t)(b->end - b->p)) {
        b->bad = true;
        return SL_SLICE_NULL;
    }
    sl_slice s = {(const char *)b->p, (size_t)n};
    b->p += n;
    return s;
}

static void pb_skip(pb *b, int wt)
{
    switch (wt) {
    case 0: pb_varint(b); break;
    case 1:
        if (b->end - b->p < 8)
            b->bad = true;
        else
            b->p += 8;
        break;
    case 2: pb_bytes(b); break;
    case 5:
        if (b->end - b->p < 4)
            b->bad = true;
        else
            b->p += 4;
        break;
    default: b->bad = true;
    }
}

static pb sub(sl_slice s)
{
    return (pb){(const uint8_t *)s.p, (const uint8_t *)s.p + s.n, false};
}

/* ---- file tail ------------------------------------------------------------------------------ */

static sl_code bad_file(struct orc_state *st, const char *why)
{
    return sl_fail(st->err, SL_INVALID, "Init OrcReader failed. reason = %s", why);
}

/* Read a compressed metadata block (footer, stripe footer) whole into a new buffer. */
static sl_code read_block(struct orc_state *st, uint64_t pos, uint64_t len, uint8_t **out,
                          size_t *n)
{
    orc_stream s = {0};
    size_t cap = 0, used = 0;
    uint8_t *buf = NULL;
    *out = NULL;
    sl__orc_stream_init(&s, &st->sp, st->codec, st->block, pos, len, st->err);
    while (s.pos < s.end || s.off < s.len) {
        if (s.off == s.len) {
            uint8_t b;
            if (!sl__orc_read(&s, &b, 1))
                break;
            s.off--; /* the byte stays in the chunk */
        }
        size_t m = s.len - s.off;
        if (used + m > SL_COL_META_MAX) {
            sl_fail(st->err, SL_INVALID, "orc metadata exceeds %zu bytes", SL_COL_META_MAX);
            s.failed = true;
            break;
        }
        if (used + m > cap) {
            cap = (used + m) * 2;
            uint8_t *nb = sl_realloc(buf, cap);
            if (nb == NULL) {
                sl_fail(st->err, SL_NOMEM, "out of memory for orc metadata");
                s.failed = true;
                break;
            }
            buf = nb;
        }
        memcpy(buf + used, s.buf + s.off, m);
        used += m;
        s.off = s.len;
    }
    sl__orc_stream_free(&s);
    if (s.failed) {
        sl_free(buf);
        return st->err->code ? st->err->code : bad_file(st, "metadata");
    }
    *out = buf;
    *n = used;
    return SL_OK;
}

static sl_code parse_type(struct orc_state *st, sl_slice msg, orc_type *t)
{
    pb b = sub(msg);
    uint32_t f;
    int wt;
    uint32_t cap_sub = 0, cap_names = 0;
    memset(t, 0, sizeof *t);
    t->kind = -1;
    while (pb_next(&b, &f, &wt)) {
        if (f == 1 && wt == 0) {
            t->kind = (int)pb_varint(&b);
        } else if (f == 2 && (wt == 0 || wt == 2)) {
            pb in = wt == 2 ? sub(pb_bytes(&b)) : b;
            do {
                uint64_t v = pb_varint(&in);
                if (t->n_sub == cap_sub) {
                    cap_sub = cap_sub ? cap_sub * 2 : 4;
                    uint32_t *ns = sl_arena_alloc(&st->arena, cap_sub * sizeof *ns);
                    if (ns == NULL)
                        return sl_fail(st->err, SL_NOMEM, "out of memory for orc types");
                    if (t->n_sub)
                        memcpy(ns, t->sub, t->n_sub * sizeof *ns);
                    t->sub = ns;
                }
                t->sub[t->n_sub++] = (uint32_t)v;
            } while (wt == 2 && in.p < in.end && !in.bad);
            if (wt == 0)
                b = in;
            b.bad |= in.bad;
        } else if (f == 3 && wt == 2) {
            if (t->n_names == cap_names) {
                cap_names = cap_names ? cap_names * 2 : 4;
                sl_slice *nn = sl_arena_alloc(&st->arena, cap_names * sizeof *nn);
                if (nn == NULL)
                    return sl_fail(st->err, SL_NOMEM, "out of memory for orc types");
                if (t->n_names)
                    memcpy(nn, t->names, t->n_names * sizeof *nn);
                t->names = nn;
            }
            sl_slice nm = pb_bytes(&b); /* copied: the footer buffer is freed */
            t->names[t->n_names] = nm.n ? sl_arena_slice(&st->arena, nm) : SL_LIT("");
            if (t->names[t->n_names++].p == NULL)
                return sl_fail(st->err, SL_NOMEM, "out of memory for orc types");
        } else if (f == 5 && wt == 0) {
            t->precision = (uint32_t)pb_varint(&b);
        } else if (f == 6 && wt == 0) {
            t->scale = (uint32_t)pb_varint(&b);
        } else {
            pb_skip(&b, wt);
        }
    }
    if (b.bad || t->kind < 0 || t->kind > K_TIMESTAMP_INSTANT)
        return bad_file(st, "malformed type");
    switch (t->kind) {
    case K_BOOLEAN: t->jk = SL_JK_BOOL; break;
    case K_BYTE: case K_SHORT: case K_INT: case K_LONG: case K_FLOAT: case K_DOUBLE:
    case K_DECIMAL: t->jk = SL_JK_NUM; break;
    case K_LIST: case K_MAP: case K_STRUCT: case K_UNION: t->jk = SL_JK_JSON; break;
    default: t->jk = SL_JK_STR;
    }
    return SL_OK;
}

static sl_code parse_stripe(pb *b, orc_stripe *s)
{
    uint32_t f;
    int wt;
    memset(s, 0, sizeof *s);
    while (pb_next(b, &f, &wt)) {
        uint64_t v = wt == 0 ? pb_varint(b) : (pb_skip(b, wt), 0);
        switch (f) {
        case 1: s->offset = v; break;
        case 2: s->index_len = v; break;
        case 3: s->data_len = v; break;
        case 4: s->footer_len = v; break;
        case 5: s->rows = v; break;
        default: break;
        }
    }
    return b->bad ? SL_INVALID : SL_OK;
}

/* Count, then fill: types (4) and stripes (3) of the footer. */
static sl_code parse_footer(struct orc_state *st, const uint8_t *p, size_t n)
{
    pb b = {p, p + n, false};
    uint32_t f, nt = 0, ns = 0;
    int wt;
    while (pb_next(&b, &f, &wt)) {
        nt += f == 4 && wt == 2;
        ns += f == 3 && wt == 2;
        if (f == 10 && wt == 2)
            return sl_fail(st->err, SL_INVALID, "encrypted orc files are not supported");
        pb_skip(&b, wt);
    }
    if (b.bad || nt == 0)
        return bad_file(st, "malformed footer");
    st->types = sl_arena_alloc(&st->arena, nt * sizeof *st->types);
    st->stripes = sl_arena_alloc(&st->arena, (ns ? ns : 1) * sizeof *st->stripes);
    if (st->types == NULL || st->stripes == NULL)
        return sl_fail(st->err, SL_NOMEM, "out of memory for the orc footer");
    b = (pb){p, p + n, false};
    while (pb_next(&b, &f, &wt)) {
        if (f == 4 && wt == 2) {
            sl_code rc = parse_type(st, pb_bytes(&b), &st->types[st->n_types++]);
            if (rc != SL_OK)
                return rc;
        } else if (f == 3 && wt == 2) {
            pb s = sub(pb_bytes(&b));
            if (parse_stripe(&s, &st->stripes[st->n_stripes++]) != SL_OK)
                return bad_file(st, "malformed stripe information");
        } else {
            pb_skip(&b, wt);
        }
    }
    for (uint32_t i = 0; i < st->n_types; i++)
        for (uint32_t k = 0; k < st->types[i].n_sub; k++)
            if (st->types[i].sub[k] <= i || st->types[i].sub[k] >= st->n_types)
                return bad_file(st, "type tree is not in order");
    return SL_OK;
}

static sl__codec codec_of(uint64_t k)
{
    switch (k) {
    case 0: return SL_CODEC_NONE;
    case 1: return SL_CODEC_DEFLATE;
    case 2: return SL_CODEC_SNAPPY;
    case 3: return SL_CODEC_LZO;
    case 4: return SL_CODEC_LZ4_RAW;
    case 5: return SL_CODEC_ZSTD;
    default: return (sl__codec)-1;
    }
}

/* Postscript: footer length (1), compression (2), block size (3), metadata length (5). */
static sl_code read_tail(struct orc_state *st, uint64_t *footer_len)
{
    uint64_t size = st->sp.size;
    uint8_t ps[256], head[3];
    sl_code rc;
    if (size == 0)
        return bad_file(st, "Invalid ORC file: empty body");
    if ((rc = sl__spool_read(&st->sp, size - 1, 1, ps, st->err)) != SL_OK)
        return rc;
    size_t ps_len = ps[0];
    if (ps_len + 1 > size || size < 4)
        return bad_file(st, "Invalid ORC postscript length");
    if ((rc = sl__spool_read(&st->sp, size - 1 - ps_len, ps_len, ps, st->err)) != SL_OK ||
        (rc = sl__spool_read(&st->sp, 0, 3, head, st->err)) != SL_OK)
        return rc;
    pb b = {ps, ps + ps_len, false};
    uint32_t f;
    int wt;
    uint64_t comp = 0, block = 262144;
    bool magic = memcmp(head, "ORC", 3) == 0;
    *footer_len = 0;
    while (pb_next(&b, &f, &wt)) {
        if (f == 1 && wt == 0)
            *footer_len = pb_varint(&b);
        else if (f == 2 && wt == 0)
            comp = pb_varint(&b);
        else if (f == 3 && wt == 0)
            block = pb_varint(&b);
        else if (f == 8000 && wt == 2)
            magic |= sl_slice_eq(pb_bytes(&b), "ORC");
        else
            pb_skip(&b, wt);
    }
    if (b.bad || !magic)
        return bad_file(st, "Not an ORC file");
    st->codec = codec_of(comp);
    if ((int)st->codec < 0)
        return sl_fail(st->err, SL_INVALID, "orc compression kind %llu is not supported",
                       (unsigned long long)comp);
    if (block == 0 || block > SL_COL_BLOCK_MAX)
        return bad_file(st, "compression block size out of range");
    st->block = (size_t)block;
    if (*footer_len > size - 1 - ps_len)
        return bad_file(st, "footer length exceeds the file");
    return SL_OK;
}

/* Output fields: the root struct's children; a file whose root is not a struct (early
 * writers allowed it) has one field, named as Hive names it: _col0. */
static sl_code setup_fields(struct orc_state *st)
{
    const orc_type *root = &st->types[0];
    bool flat = root->kind != K_STRUCT;
    uint32_t n = flat ? 1 : root->n_sub;
    st->n_fields = n;
    st->names = sl_arena_alloc(&st->arena, (n ? n : 1) * sizeof *st->names);
    st->ids = sl_arena_alloc(&st->arena, (n ? n : 1) * sizeof *st->ids);
    st->out = sl_arena_alloc(&st->arena, (n ? n : 1) * sizeof *st->out);
    st->cols = sl_calloc(st->n_types * sizeof *st->cols);
    if (!st->names || !st->ids || !st->out || !st->cols)
        return sl_fail(st->err, SL_NOMEM, "out of memory for the orc schema");
    for (uint32_t k = 0; k < n; k++) {
        st->ids[k] = flat ? 0 : root->sub[k];
        st->names[k] = flat ? SL_LIT("_col0") : k < root->n_names ? root->names[k] : SL_LIT("");
        st->out[k] = sl_arena_alloc(&st->arena, SL_COL_ROWS * sizeof **st->out);
        if (st->out[k] == NULL)
            return sl_fail(st->err, SL_NOMEM, "out of memory for the orc schema");
    }
    return SL_OK;
}

static sl_code open_file(struct orc_state *st)
{
    uint64_t flen;
    uint8_t *footer = NULL;
    size_t n = 0;
    sl_code rc = read_tail(st, &flen);
    if (rc != SL_OK)
        return rc;
    uint64_t size = st->sp.size, ps_len;
    uint8_t last;
    if ((rc = sl__spool_read(&st->sp, size - 1, 1, &last, st->err)) != SL_OK)
        return rc;
    ps_len = last;
    if ((rc = read_block(st, size - 1 - ps_len - flen, flen, &footer, &n)) != SL_OK)
        return rc;
    rc = parse_footer(st, footer, n);
    sl_free(footer);
    if (rc == SL_OK)
        rc = setup_fields(st);
    st->opened = rc == SL_OK;
    return rc;
}

/* ---- stripes ------------------------------------------------------------------------------------ */

static void free_col(orc_col *c, bool keep_buffers)
{
    sl_free(c->dict);
    sl_free(c->dict_off);
    c->dict = NULL;
    c->dict_off = NULL;
    if (!keep_buffers)
        for (int k = 0; k < 6; k++)
            sl__orc_stream_free(&c->st[k]);
}

/* The dictionary of a string column: LENGTH holds dict_size lengths, DICTIONARY_DATA the bytes. */
static sl_code load_dict(struct orc_state *st, orc_col *c)
{
    uint32_t n = c->dict_size;
    if (!c->has[S_DICT_DATA] && n > 0)
        return bad_file(st, "dictionary column without dictionary data");
    if ((uint64_t)n > MAX_ENTRIES || (c->has[S_DICT_DATA] && n > c->st[S_DICT_DATA].end))
        return bad_file(st, "dictionary size out of range");
    c->dict_off = sl_malloc(((size_t)n + 1) * sizeof *c->dict_off);
    if (c->dict_off == NULL)
        return sl_fail(st->err, SL_NOMEM, "out of memory for an orc dictionary");
    uint64_t total = 0;
    c->dict_off[0] = 0;
    for (uint32_t i = 0; i < n; i++) {
        int64_t len;
        if (!sl__orc_irle_get(&c->length, &len, 1))
            return st->err->code;
        if (len < 0 || (uint64_t)len > SL_COL_BLOCK_MAX - total)
            return bad_file(st, "dictionary entry length out of range");
        total += (uint64_t)len;
        c->dict_off[i + 1] = total;
    }
    c->dict = sl_malloc(total ? (size_t)total : 1);
    if (c->dict == NULL)
        return sl_fail(st->err, SL_NOMEM, "out of memory for an orc dictionary");
    if (total && !sl__orc_read(&c->st[S_DICT_DATA], c->dict, (size_t)total))
        return st->err->code;
    return SL_OK;
}

static bool is_v2(int enc)
{
    return enc == 2 || enc == 3 || enc == 4;
}

/* Wire the column's decoders to its streams. */
static sl_code setup_col(struct orc_state *st, uint32_t id)
{
    orc_col *c = &st->cols[id];
    const orc_type *t = &st->types[id];
    bool v2 = is_v2(c->enc), sgn = t->kind != K_STRING && t->kind != K_VARCHAR &&
                                   t->kind != K_CHAR && t->kind != K_BINARY &&
                                   t->kind != K_LIST && t->kind != K_MAP;
    c->present = (orc_brle){.s = &c->st[S_PRESENT]};
    c->bytes = (orc_brle){.s = &c->st[S_DATA]};
    c->data.s = &c->st[S_DATA], c->data.v2 = v2, c->data.is_signed = sgn, c->data.n = 0;
    c->data.i = 0;
    c->length.s = &c->st[S_LENGTH], c->length.v2 = v2, c->length.is_signed = false;
    c->length.n = c->length.i = 0;
    c->secondary.s = &c->st[S_SECONDARY], c->secondary.v2 = v2;
    c->secondary.is_signed = t->kind == K_DECIMAL, c->secondary.n = c->secondary.i = 0;
    if ((t->kind == K_STRING || t->kind == K_VARCHAR || t->kind == K_CHAR) &&
        (c->enc == 1 || c->enc == 3)) {
        c->data.is_signed = false;
        return load_dict(st, c);
    }
    return SL_OK;
}

static sl_code parse_stripe_footer(struct orc_state *st, const uint8_t *p, size_t n,
                                   const orc_stripe *s)
{
    pb b = {p, p + n, false};
    uint32_t f, enc_i = 0;
    int wt;
    uint64_t pos = s->offset;
    char tzname[72] = ""; /* absent (old writers): UTC */
    while (pb_next(&b, &f, &wt)) {
        if (f == 1 && wt == 2) { /* Stream: kind (1), column (2), length (3) */
            pb m = sub(pb_bytes(&b));
            uint64_t kind = 0, col = 0, len = 0;
            uint32_t g;
            int w2;
            while (pb_next(&m, &g, &w2)) {
                uint64_t v = w2 == 0 ? pb_varint(&m) : (pb_skip(&m, w2), 0);
                if (g == 1) kind = v;
                else if (g == 2) col = v;
                else if (g == 3) len = v;
            }
            if (m.bad || len > st->sp.size || pos > st->sp.size - len)
                return bad_file(st, "stream outside the file");
            if (col < st->n_types && kind <= S_SECONDARY) {
                orc_col *c = &st->cols[col];
                sl__orc_stream_init(&c->st[kind], &st->sp, st->codec, st->block, pos, len,
                                    st->err);
                c->has[kind] = true;
            }
            pos += len;
        } else if (f == 2 && wt == 2) { /* ColumnEncoding: kind (1), dictionarySize (2) */
            pb m = sub(pb_bytes(&b));
            uint32_t g;
            int w2;
            if (enc_i < st->n_types) {
                orc_col *c = &st->cols[enc_i];
                while (pb_next(&m, &g, &w2)) {
                    uint64_t v = w2 == 0 ? pb_varint(&m) : (pb_skip(&m, w2), 0);
                    if (g == 1) c->enc = (int)v;
                    else if (g == 2) c->dict_size = (uint32_t)v;
                }
            }
            enc_i++;
        } else if (f == 3 && wt == 2) { /* writerTimezone */
            sl_slice z = pb_bytes(&b);
            if (z.n >= sizeof tzname)
                return bad_file(st, "writer time zone name too long");
            memcpy(tzname, z.p, z.n);
            tzname[z.n] = '\0';
        } else {
            pb_skip(&b, wt);
        }
    }
    if (b.bad)
        return bad_file(st, "malformed stripe footer");
    if (strcmp(tzname, st->wtz_name) == 0)
        return SL_OK;
    snprintf(st->wtz_name, sizeof st->wtz_name, "%s", tzname);
    st->wtz = NULL;
    if (tzname[0] == '\0')
        return SL_OK;
    if (st->tzdb == NULL && (st->tzdb = sl_tzdb_new(NULL)) == NULL)
        return sl_fail(st->err, SL_NOMEM, "out of memory for a time zone");
    sl_err e2 = {0};
    if (sl_tzdb_get(st->tzdb, sl_slice_of(tzname), &st->wtz, &e2) != SL_OK)
        return sl_fail(st->err, SL_INVALID, "orc writer time zone '%s' is unknown on this server",
                       tzname);
    return SL_OK;
}

static sl_code start_stripe(struct orc_state *st)
{
    const orc_stripe *s = &st->stripes[st->stripe_i++];
    uint8_t *foot = NULL;
    size_t n = 0;
    for (uint32_t i = 0; i < st->n_types; i++) {
        orc_col *c = &st->cols[i];
        free_col(c, true);
        memset(c->has, 0, sizeof c->has);
        c->enc = 0;
        c->dict_size = 0;
        for (int k = 0; k < 6; k++)
            sl__orc_stream_init(&c->st[k], &st->sp, st->codec, st->block, 0, 0, st->err);
    }
    uint64_t fpos = s->offset + s->index_len + s->data_len;
    if (s->offset < 3 || fpos < s->offset || fpos > st->sp.size ||
        s->footer_len > st->sp.size - fpos)
        return bad_file(st, "stripe outside the file");
    sl_code rc = read_block(st, fpos, s->footer_len, &foot, &n);
    if (rc == SL_OK)
        rc = parse_stripe_footer(st, foot, n, s);
    sl_free(foot);
    for (uint32_t i = 0; i < st->n_types && rc == SL_OK; i++)
        rc = setup_col(st, i);
    st->rows_left = s->rows;
    st->in_stripe = rc == SL_OK && s->rows > 0;
    return rc;
}

/* ---- values --------------------------------------------------------------------------------------- */

static sl_code read_col(struct orc_state *st, uint32_t id, size_t n, sl_slice *out, int depth);

static sl_code stream_fail(struct orc_state *st)
{
    return st->err->code ? st->err->code : bad_file(st, "stream");
}

static void *call_alloc(struct orc_state *st, size_t n)
{
    return sl_arena_alloc(&st->call, n ? n : 1);
}

static sl_code text_of(struct orc_state *st, char **d, size_t n)
{
    *d = sl__tbuf_reserve(&st->text, n);
    return *d ? SL_OK : sl_fail(st->err, SL_NOMEM, "out of memory for orc values");
}

/* Integers, dates, booleans, bytes: m values into vals. */
static sl_code read_ints(struct orc_state *st, orc_col *c, const orc_type *t, size_t m,
                         sl_slice *vals)
{
    int64_t *v = call_alloc(st, m * sizeof *v);
    uint8_t *u = (uint8_t *)v;
    if (v == NULL)
        return sl_fail(st->err, SL_NOMEM, "out of memory for orc values");
    bool ok = t->kind == K_BOOLEAN ? sl__orc_bool_get(&c->bytes, u, m)
              : t->kind == K_BYTE  ? sl__orc_brle_get(&c->bytes, u, m)
                                   : sl__orc_irle_get(&c->data, v, m);
    if (!ok)
        return stream_fail(st);
    for (size_t i = 0; i < m; i++) {
        char *d;
        if (t->kind == K_BOOLEAN) {
            vals[i] = u[i] ? SL_LIT("1") : SL_LIT("0");
            continue;
        }
        if (text_of(st, &d, 24) != SL_OK)
            return st->err->code;
        int64_t x = t->kind == K_BYTE ? (int8_t)u[i] : v[i];
        vals[i] = sl__tbuf_commit(&st->text, t->kind == K_DATE ? sl__cfmt_date(d, x)
                                                              : sl__cfmt_i64(d, x));
    }
    return SL_OK;
}

static sl_code read_floats(struct orc_state *st, orc_col *c, const orc_type *t, size_t m,
                           sl_slice *vals)
{
    for (size_t i = 0; i < m; i++) {
        uint8_t raw[8];
        char *d;
        size_t w = t->kind == K_FLOAT ? 4 : 8;
        if (!sl__orc_read(&c->st[S_DATA], raw, w))
            return stream_fail(st);
        if (text_of(st, &d, 32) != SL_OK)
            return st->err->code;
        if (w == 4) {
            float f;
            uint32_t x = sl_le32(raw);
            memcpy(&f, &x, 4);
            vals[i] = sl__tbuf_commit(&st->text, sl__cfmt_float(d, f));
        } else {
            double f;
            uint64_t x = sl_le64(raw);
            memcpy(&f, &x, 8);
            vals[i] = sl__tbuf_commit(&st->text, sl__cfmt_double(d, f));
        }
    }
    return SL_OK;
}

static sl_code read_strings(struct orc_state *st, orc_col *c, size_t m, sl_slice *vals)
{
    int64_t *v = call_alloc(st, m * sizeof *v);
    if (v == NULL)
        return sl_fail(st->err, SL_NOMEM, "out of memory for orc values");
    bool dict = c->enc == 1 || c->enc == 3;
    if (!sl__orc_irle_get(dict ? &c->data : &c->length, v, m))
        return stream_fail(st);
    for (size_t i = 0; i < m; i++) {
        if (dict) {
            if (v[i] < 0 || (uint64_t)v[i] >= c->dict_size)
                return bad_file(st, "dictionary index out of range");
            uint64_t s = c->dict_off[v[i]], e = c->dict_off[v[i] + 1];
            vals[i] = (sl_slice){(const char *)c->dict + s, (size_t)(e - s)};
            continue;
        }
        if (v[i] < 0 || (uint64_t)v[i] > SL_COL_BLOCK_MAX)
            return bad_file(st, "string length out of range");
        char *d;
        if (text_of(st, &d, (size_t)v[i] + 1) != SL_OK)
            return st->err->code;
        if (!sl__orc_read(&c->st[S_DATA], d, (size_t)v[i]))
            return stream_fail(st);
        vals[i] = sl__tbuf_commit(&st->text, (size_t)v[i]);
    }
    return SL_OK;
}

static sl_code read_timestamps(struct orc_state *st, orc_col *c, const orc_type *t, size_t m,
                               sl_slice *vals)
{
    int64_t *sec = call_alloc(st, m * sizeof *sec), *nan = call_alloc(st, m * sizeof *nan);
    if (sec == NULL || nan == NULL)
        return sl_fail(st->err, SL_NOMEM, "out of memory for orc values");
    c->secondary.is_signed = false;
    /* stored: seconds from 2015-01-01 00:00:00 in the writer's zone (UTC for instants) */
    bool instant = t->kind == K_TIMESTAMP_INSTANT;
    int64_t base = EPOCH_2015 - (instant || !st->wtz ? 0 : sl_tz_offset_utc(st->wtz, EPOCH_2015));
    if (!sl__orc_irle_get(&c->data, sec, m) || !sl__orc_irle_get(&c->secondary, nan, m))
        return stream_fail(st);
    for (size_t i = 0; i < m; i++) {
        uint64_t z = (uint64_t)nan[i] & 7, ns = (uint64_t)nan[i] >> 3;
        for (uint64_t k = 0; z && k <= z; k++)
            ns *= 10;
        if (ns > 999999999)
            return bad_file(st, "timestamp nanoseconds out of range");
        int64_t s = sec[i] + base; /* UTC */
        if (s < 0 && ns > 999999) /* the writers' rounding of negative times (as ORC's readers) */
            s -= 1;
        s = instant ? sl__ltz_local(&st->ltz, s) : s + (st->wtz ? sl_tz_offset_utc(st->wtz, s) : 0);
        char *d;
        if (text_of(st, &d, 48) != SL_OK)
            return st->err->code;
        vals[i] = sl__tbuf_commit(&st->text, sl__cfmt_datetime(d, s, (uint32_t)ns));
    }
    return SL_OK;
}

static sl_code read_decimals(struct orc_state *st, orc_col *c, const orc_type *t, size_t m,
                             sl_slice *vals)
{
    int64_t *sc = call_alloc(st, m * sizeof *sc);
    if (sc == NULL)
        return sl_fail(st->err, SL_NOMEM, "out of memory for orc values");
    bool d64 = c->enc == 4;
    if (!d64 && c->has[S_SECONDARY] && !sl__orc_irle_get(&c->secondary, sc, m))
        return stream_fail(st);
    for (size_t i = 0; i < m; i++) {
        sl__i128 v;
        int scale = (int)t->scale;
        if (d64) {
            int64_t x;
            if (!sl__orc_irle_get(&c->data, &x, 1))
                return stream_fail(st);
            v = x;
        } else {
            unsigned __int128 u;
            if (!sl__orc_varint128(&c->st[S_DATA], &u))
                return stream_fail(st);
            v = (sl__i128)(u >> 1) ^ -(sl__i128)(u & 1);
            if (c->has[S_SECONDARY])
                scale = (int)sc[i];
        }
        if (scale < 0 || scale > 38)
            return bad_file(st, "decimal scale out of range");
        /* The column's scale; Hive 0.11 decimals (no precision) get scale 6, as ORC's C++
         * reader (which Doris uses) forces it. Extra digits are cut, as that reader does. */
        int want = t->precision > 0 ? (int)t->scale : 6;
        for (; scale < want; scale++)
            v *= 10;
        for (; scale > want; scale--)
            v /= 10;
        char *d;
        if (text_of(st, &d, 48) != SL_OK)
            return st->err->code;
        vals[i] = sl__tbuf_commit(&st->text, sl__cfmt_dec128(d, v, scale));
    }
    return SL_OK;
}

/* JSON of a child value for a nested value: its text by the child's kind. */
static void put_child(struct orc_state *st, sl_buf *b, uint32_t kid, sl_slice v)
{
    sl__json_put(b, st->types[kid].jk, v);
}

static sl_code finish_json(struct orc_state *st, sl_buf *b, sl_slice *out)
{
    if (b->oom)
        return sl_fail(st->err, SL_NOMEM, "out of memory for a nested orc value");
    *out = sl__tbuf_copy(&st->text, b->p, b->len);
    return out->p ? SL_OK : sl_fail(st->err, SL_NOMEM, "out of memory for a nested orc value");
}

/* LIST and MAP: m lengths, then the children's values, as JSON arrays / objects. */
static sl_code read_lists(struct orc_state *st, orc_col *c, const orc_type *t, size_t m,
                          sl_slice *vals, int depth)
{
    int64_t *len = call_alloc(st, m * sizeof *len);
    if (len == NULL)
        return sl_fail(st->err, SL_NOMEM, "out of memory for orc values");
    if (!sl__orc_irle_get(&c->length, len, m))
        return stream_fail(st);
    uint64_t total = 0;
    for (size_t i = 0; i < m; i++) {
        if (len[i] < 0 || (uint64_t)len[i] > MAX_ENTRIES - total)
            return sl_fail(st->err, SL_INVALID, "orc column: more than %zu nested values in %d "
                                                "rows",
                           MAX_ENTRIES, SL_COL_ROWS);
        total += (uint64_t)len[i];
    }
    uint32_t nk = t->kind == K_MAP ? 2 : 1;
    if (t->n_sub != nk)
        return bad_file(st, "list or map with the wrong number of children");
    sl_slice *kv[2];
    for (uint32_t k = 0; k < nk; k++) {
        kv[k] = call_alloc(st, (size_t)total * sizeof *kv[k]);
        sl_code rc = kv[k] ? read_col(st, t->sub[k], (size_t)total, kv[k], depth + 1)
                           : sl_fail(st->err, SL_NOMEM, "out of memory for orc values");
        if (rc != SL_OK)
            return rc;
    }
    size_t j = 0;
    for (size_t i = 0; i < m; i++) {
        sl_buf_clear(&st->scratch);
        sl_buf_putc(&st->scratch, nk == 2 ? '{' : '[');
        for (int64_t e = 0; e < len[i]; e++, j++) {
            if (e)
                sl_buf_putc(&st->scratch, ',');
            if (nk == 2)
                sl__json_key(&st->scratch, st->types[t->sub[0]].jk, kv[0][j]);
            put_child(st, &st->scratch, t->sub[nk - 1], kv[nk - 1][j]);
        }
        sl_buf_putc(&st->scratch, nk == 2 ? '}' : ']');
        sl_code rc = finish_json(st, &st->scratch, &vals[i]);
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

/* STRUCT: each child holds one value per non-NULL struct (the readers skip a child's entries
 * under a NULL parent); objects for the present ones. */
static sl_code read_struct(struct orc_state *st, const orc_type *t, size_t n,
                           const uint8_t *present, sl_slice *out, int depth)
{
    sl_slice **kv = call_alloc(st, (t->n_sub ? t->n_sub : 1) * sizeof *kv);
    if (kv == NULL)
        return sl_fail(st->err, SL_NOMEM, "out of memory for orc values");
    size_t m = n;
    if (present)
        for (size_t i = m = 0; i < n; i++)
            m += present[i];
    for (uint32_t k = 0; k < t->n_sub; k++) {
        kv[k] = call_alloc(st, m * sizeof *kv[k]);
        sl_code rc = kv[k] ? read_col(st, t->sub[k], m, kv[k], depth + 1)
                           : sl_fail(st->err, SL_NOMEM, "out of memory for orc values");
        if (rc != SL_OK)
            return rc;
    }
    for (size_t i = 0, j = 0; i < n; i++) {
        if (present && !present[i]) {
            out[i] = SL_SLICE_NULL;
            continue;
        }
        size_t at = j++;
        sl_buf_clear(&st->scratch);
        sl_buf_putc(&st->scratch, '{');
        for (uint32_t k = 0; k < t->n_sub; k++) {
            sl_slice nm = k < t->n_names ? t->names[k] : SL_LIT("");
            if (k)
                sl_buf_putc(&st->scratch, ',');
            sl_json_str(&st->scratch, nm.p, nm.n);
            sl_buf_putc(&st->scratch, ':');
            put_child(st, &st->scratch, t->sub[k], kv[k][at]);
        }
        sl_buf_putc(&st->scratch, '}');
        sl_code rc = finish_json(st, &st->scratch, &out[i]);
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

/* UNION: m tags, then each child's values for its tag; a value is its child's value. */
static sl_code read_union(struct orc_state *st, orc_col *c, const orc_type *t, size_t m,
                          sl_slice *vals, int depth)
{
    uint8_t *tag = call_alloc(st, m);
    size_t *count = call_alloc(st, (t->n_sub ? t->n_sub : 1) * sizeof *count);
    if (tag == NULL || count == NULL)
        return sl_fail(st->err, SL_NOMEM, "out of memory for orc values");
    if (!sl__orc_brle_get(&c->bytes, tag, m))
        return stream_fail(st);
    memset(count, 0, (t->n_sub ? t->n_sub : 1) * sizeof *count);
    for (size_t i = 0; i < m; i++) {
        if (tag[i] >= t->n_sub)
            return bad_file(st, "union tag out of range");
        count[tag[i]]++;
    }
    for (uint32_t k = 0; k < t->n_sub; k++) {
        sl_slice *kv = call_alloc(st, count[k] * sizeof *kv);
        sl_code rc = kv ? read_col(st, t->sub[k], count[k], kv, depth + 1)
                        : sl_fail(st->err, SL_NOMEM, "out of memory for orc values");
        if (rc != SL_OK)
            return rc;
        for (size_t i = 0, j = 0; i < m; i++) { /* this child's values, in order */
            if (tag[i] != k)
                continue;
            sl_slice v = kv[j++];
            if (v.p == NULL) { /* a union's value is its child's: NULL stays NULL */
                vals[i] = SL_SLICE_NULL;
                continue;
            }
            sl_buf_clear(&st->scratch);
            put_child(st, &st->scratch, t->sub[k], v);
            if ((rc = finish_json(st, &st->scratch, &vals[i])) != SL_OK)
                return rc;
        }
    }
    return SL_OK;
}

/* Values of column id for n slots: out[i] (NULL slice for NULL). */
static sl_code read_col(struct orc_state *st, uint32_t id, size_t n, sl_slice *out, int depth)
{
    orc_col *c = &st->cols[id];
    const orc_type *t = &st->types[id];
    if (depth > SL_COL_MAX_DEPTH)
        return bad_file(st, "types nested too deep");
    uint8_t *present = NULL;
    size_t m = n;
    if (c->has[S_PRESENT] && n > 0) {
        present = call_alloc(st, n);
        if (present == NULL)
            return sl_fail(st->err, SL_NOMEM, "out of memory for orc values");
        if (!sl__orc_bool_get(&c->present, present, n))
            return stream_fail(st);
        m = 0;
        for (size_t i = 0; i < n; i++)
            m += present[i];
    }
    if (t->kind == K_STRUCT)
        return read_struct(st, t, n, present, out, depth);
    sl_slice *vals = present ? call_alloc(st, m * sizeof *vals) : out;
    if (vals == NULL)
        return sl_fail(st->err, SL_NOMEM, "out of memory for orc values");
    sl_code rc;
    switch (t->kind) {
    case K_BOOLEAN: case K_BYTE: case K_SHORT: case K_INT: case K_LONG: case K_DATE:
        rc = read_ints(st, c, t, m, vals);
        break;
    case K_FLOAT: case K_DOUBLE: rc = read_floats(st, c, t, m, vals); break;
    case K_STRING: case K_VARCHAR: case K_CHAR: case K_BINARY:
        rc = read_strings(st, c, m, vals);
        break;
    case K_TIMESTAMP: case K_TIMESTAMP_INSTANT: rc = read_timestamps(st, c, t, m, vals); break;
    case K_DECIMAL: rc = read_decimals(st, c, t, m, vals); break;
    case K_LIST: case K_MAP: rc = read_lists(st, c, t, m, vals, depth); break;
    case K_UNION: rc = read_union(st, c, t, m, vals, depth); break;
    default: rc = bad_file(st, "unknown type");
    }
    if (rc != SL_OK || !present)
        return rc;
    for (size_t i = n, j = m; i-- > 0;) /* spread: vals and out may not overlap */
        out[i] = present[i] ? vals[--j] : SL_SLICE_NULL;
    return SL_OK;
}

/* ---- the vtab -------------------------------------------------------------------------------- */

static sl_code orc_open(void *vst, const sl_decode_opts *o, sl_err *err)
{
    struct orc_state *st = vst;
    memset(st, 0, sizeof *st);
    st->err = err;
    st->sp.fd = -1;
    st->ltz = (sl__ltz){o->tz, o->tz_offset_s};
    sl_arena_init(&st->arena, 16384);
    sl_arena_init(&st->call, 65536);
    return sl__spool_open(&st->sp, o->spool_dir, o->max_spool_bytes, "orc", err);
}

static sl_code orc_push(void *vst, const char *p, size_t n, sl_rawbatch *out)
{
    struct orc_state *st = vst;
    (void)out;
    if (n && sl__spool_write(&st->sp, p, n, st->err) != SL_OK)
        return st->err->code;
    return SL_AGAIN;
}

static sl_code orc_finish(void *vst, sl_rawbatch *rb)
{
    struct orc_state *st = vst;
    sl_code rc;
    sl__tbuf_reset(&st->text);
    sl_arena_reset(&st->call);
    if (!st->opened && (rc = open_file(st)) != SL_OK)
        return rc;
    while (!st->in_stripe) {
        if (st->stripe_i == st->n_stripes)
            return SL_OK;
        if ((rc = start_stripe(st)) != SL_OK)
            return rc;
    }
    size_t rows = st->rows_left < SL_COL_ROWS ? (size_t)st->rows_left : SL_COL_ROWS;
    for (uint32_t k = 0; k < st->n_fields; k++)
        if ((rc = read_col(st, st->ids[k], rows, st->out[k], 1)) != SL_OK)
            return rc;
    if ((rc = sl__col_emit(rb, st->names, st->out, st->n_fields, rows, st->rows_out, st->err)) !=
        SL_OK)
        return rc;
    st->rows_out += rows;
    st->rows_left -= rows;
    st->in_stripe = st->rows_left > 0;
    rb->more = st->in_stripe || st->stripe_i < st->n_stripes;
    return SL_OK;
}

static void orc_close(void *vst)
{
    struct orc_state *st = vst;
    sl__spool_close(&st->sp);
    if (st->cols)
        for (uint32_t i = 0; i < st->n_types; i++)
            free_col(&st->cols[i], false);
    sl_free(st->cols);
    st->cols = NULL;
    sl__tbuf_free(&st->text);
    sl_buf_free(&st->scratch);
    sl_tzdb_free(st->tzdb);
    st->tzdb = NULL;
    sl_arena_free(&st->call);
    sl_arena_free(&st->arena);
}

const sl_decoder_vtab sl_decoder_orc = {"orc", sizeof(struct orc_state), orc_open, orc_push,
                                        orc_finish, orc_close};
