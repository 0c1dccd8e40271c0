/*
 * yamcs_dump.c - POST /api/archive/{inst}/tables/{t}:readRows: the table's rows out as
 * varint-delimited protobuf `Row`s in key order, the format :writeRows loads (proto stage).
 * Spec: specs/yamcs-tables.md §4.1, cell encodings §2.2.
 *
 *   ReadRowsRequest{cols, query} -> SELECT cols FROM t [WHERE query] ORDER BY key (src/sql)
 *     -> store query -> each row: ColumnInfo for columns first seen + Cells -> response body
 *
 * Column ids start at 0 in order of first appearance; NULL values are left out of the row, as
 * Yamcs leaves out absent columns. The rows stream out as the store yields them (http.h
 * streamed replies: chunked, with backpressure), so a dump holds about 1 MiB whatever the
 * table's size; neither the query's row nor its byte limit applies. An error before the first
 * 64 KiB is an ordinary Yamcs error reply; after it the reply is cut (no last chunk), which is
 * how Yamcs ends a failed stream too (it closes the channel).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../batch/complex.h"
#include "../batch/convert.h"
#include "../core/jsonval.h"
#include "../core/mem.h"
#include "yamcs_internal.h"

typedef struct dump {
    sl_http_req *r;
    yamcs_ctx *y;
    size_t *colidx;      /* result column -> table column */
    sl_type *types;      /* result column types (from the query's meta) */
    size_t n;
    int32_t *ids;        /* table column -> assigned id, -1 when not yet sent */
    int32_t next_id;
    sl_buf out, row, cell;
    sl_arena_t tmp;      /* per row */
    sl_arena_t tmp_meta; /* the query's life */
    sl_err *err;
} dump;

static void put_be(sl_buf *b, uint64_t v, int bytes)
{
    char t[8];
    for (int i = 0; i < bytes; i++)
        t[i] = (char)(v >> (8 * (bytes - 1 - i)));
    sl_buf_append(b, t, (size_t)bytes);
}

/* UTF-8 to Java modified UTF-8: NUL as C0 80, 4-byte sequences as two 3-byte surrogates. */
static sl_code put_mutf8(dump *d, sl_buf *b, sl_slice s)
{
    size_t at = b->len;
    put_be(b, 0, 2);
    for (size_t i = 0; i < s.n;) {
        uint8_t c = (uint8_t)s.p[i];
        if (c == 0) {
            sl_buf_append(b, "\xC0\x80", 2);
            i++;
        } else if (c >= 0xF0 && i + 3 < s.n) {
            uint32_t u = (uint32_t)(c & 7) << 18 | (uint32_t)(s.p[i + 1] & 0x3F) << 12 |
                         (uint32_t)(s.p[i + 2] & 0x3F) << 6 | (uint32_t)(s.p[i + 3] & 0x3F);
            u -= 0x10000;
            uint32_t hs[2] = {0xD800 + (u >> 10), 0xDC00 + (u & 0x3FF)};
            for (int k = 0; k < 2; k++) {
                char t[3] = {(char)(0xE0 | hs[k] >> 12), (char)(0x80 | ((hs[k] >> 6) & 0x3F)),
                             (char)(0x80 | (hs[k] & 0x3F))};
                sl_buf_append(b, t, 3);
            }
            i += 4;
        } else {
            sl_buf_putc(b, (char)c);
            i++;
        }
    }
    size_t n = b->len - at - 2;
    if (n > 65535)
        return sl_fail(d->err, SL_INVALID, "string of %zu bytes does not fit a Yamcs cell", n);
    if (!b->oom) {
        b->p[at] = (char)(n >> 8);
        b->p[at + 1] = (char)n;
    }
    return SL_OK;
}

/* Hex text to u32-length-prefixed bytes. */
static sl_code put_hex(dump *d, sl_buf *b, sl_slice s)
{
    if (s.n % 2)
        return sl_fail(d->err, SL_INTERNAL, "stored binary value is not hex");
    put_be(b, s.n / 2, 4);
    for (size_t i = 0; i < s.n; i += 2) {
        int h = sl_hexval(s.p[i]), l = sl_hexval(s.p[i + 1]);
        if (h < 0 || l < 0)
            return sl_fail(d->err, SL_INTERNAL, "stored binary value is not hex");
        sl_buf_putc(b, (char)(h << 4 | l));
    }
    return SL_OK;
}

/* DATETIME text to Unix microseconds. */
static sl_code text_us(dump *d, sl_slice s, int64_t *us)
{
    sl_type dt = {SL_DATETIME, 6, 0, 0, 0};
    sl_datum o;
    sl_conv_ctx cc = {0};
    if (sl_convert(&dt, s, &o, &cc) != SL_CONV_OK)
        return sl_fail(d->err, SL_INTERNAL, "stored time '%.*s' does not parse",
                       (int)(s.n > 64 ? 64 : s.n), s.p);
    *us = o.i;
    return SL_OK;
}

static int64_t floordiv(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* A value of sluice type t as text (buf: 64 bytes for numbers and times; ARRAY, MAP and
 * STRUCT values in Doris's text form, in the row's arena; an empty text when out of memory,
 * with d->err set). */
static sl_slice as_text(dump *d, const sl_type *t, const sl_qval *v, char *buf)
{
    size_t k;
    switch ((sl_type_id)t->id) {
    case SL_ARRAY: case SL_MAP: case SL_STRUCT: {
        sl_buf tb = SL_BUF_INIT;
        sl_cv_format(&tb, t, (sl_slice){v->v.s.p, v->v.s.n});
        sl_slice out = SL_LIT("");
        if (!tb.oom)
            out = sl_arena_slice(&d->tmp, (sl_slice){tb.p ? tb.p : "", tb.len});
        if (tb.oom || out.p == NULL) {
            sl_fail(d->err, SL_NOMEM, "out of memory");
            out = SL_LIT("");
        }
        sl_buf_free(&tb);
        return out;
    }
    case SL_TINYINT: case SL_SMALLINT: case SL_INT: case SL_BIGINT: case SL_BOOLEAN:
        k = (size_t)snprintf(buf, 48, "%lld", (long long)v->v.i);
        break;
    case SL_LARGEINT: k = sl_format_i128(v->v.w, buf); break;
    case SL_DECIMAL: k = sl_format_decimal(v->v.w, t->scale, buf); break;
    case SL_FLOAT: case SL_DOUBLE: k = sl_format_double(v->v.d, buf); break;
    case SL_DATE: k = sl_format_date(v->v.i, buf); break;
    case SL_DATETIME: k = sl_format_datetime(v->v.i, t->precision, buf); break;
    default: return (sl_slice){v->v.s.p ? v->v.s.p : "", v->v.s.n};
    }
    return (sl_slice){buf, k};
}

/* A time value to Unix microseconds: DATETIME / DATE values directly, text parsed. */
static sl_code as_us(dump *d, const sl_type *t, const sl_qval *v, int64_t *us)
{
    char buf[64];
    if (t->id == SL_DATETIME) {
        *us = v->v.i;
        return SL_OK;
    }
    if (t->id == SL_DATE) {
        *us = v->v.i * INT64_C(86400000000);
        return SL_OK;
    }
    return text_us(d, as_text(d, t, v, buf), us);
}

static sl_code put_scalar(dump *d, sl_buf *b, uint8_t yt, const sl_type *t, const sl_qval *v);

/* A stored JSON array back to ARRAY(T) cell bytes. */
static sl_code put_array(dump *d, sl_buf *b, const sl_ytype *t, const sl_qval *v)
{
    sl_jval *j = NULL;
    sl_err perr = {0};
    if (v->null || sl_json_parse(v->v.s.p, v->v.s.n, &d->tmp, &j, &perr) != SL_OK ||
        j->type != SL_J_ARR)
        return sl_fail(d->err, SL_INTERNAL, "stored array value is not a JSON array");
    size_t at = b->len;
    put_be(b, 0, 4);
    for (size_t i = 0; i < j->n; i++) {
        const sl_jval *e = &j->items[i];
        sl_qval q = {false, {0}};
        sl_type et = {SL_STRING, 0, 0, 0, 0};
        char nb[64];
        size_t n = e->s.n < 63 ? e->s.n : 63;
        memcpy(nb, e->s.p ? e->s.p : "", n);
        nb[n] = 0;
        if (e->type == SL_J_BOOL) {
            et.id = SL_BIGINT, q.v.i = e->b;
        } else if ((e->type == SL_J_NUM || e->type == SL_J_STR) && t->elem == SL_Y_DOUBLE) {
            et.id = SL_DOUBLE;
            q.v.d = strcmp(nb, "NaN") == 0 ? NAN : strtod(nb, NULL);
        } else if (e->type == SL_J_NUM) {
            et.id = SL_BIGINT, q.v.i = strtoll(nb, NULL, 10);
        } else if (e->type == SL_J_STR) {
            q.v.s.p = e->s.p, q.v.s.n = e->s.n;
        } else {
            return sl_fail(d->err, SL_INTERNAL, "stored array element of unexpected type");
        }
        sl_code rc = put_scalar(d, b, t->elem, &et, &q);
        if (rc != SL_OK)
            return rc;
    }
    size_t n = b->len - at - 4;
    if (!b->oom)
        for (int i = 0; i < 4; i++)
            b->p[at + (size_t)i] = (char)(n >> (8 * (3 - i)));
    return SL_OK;
}

/* One value of scalar Yamcs type yt (stored as sluice type t) in its cell encoding. */
static sl_code put_scalar(dump *d, sl_buf *b, uint8_t yt, const sl_type *t, const sl_qval *v)
{
    char buf[64];
    int64_t us = 0;
    bool real = t->id == SL_FLOAT || t->id == SL_DOUBLE;
    switch (yt) {
    case SL_Y_BYTE: put_be(b, (uint64_t)v->v.i, 1); return SL_OK;
    case SL_Y_SHORT: put_be(b, (uint64_t)v->v.i, 2); return SL_OK;
    case SL_Y_INT: put_be(b, (uint64_t)v->v.i, 4); return SL_OK;
    case SL_Y_LONG: put_be(b, (uint64_t)v->v.i, 8); return SL_OK;
    case SL_Y_BOOLEAN: put_be(b, v->v.i != 0, 1); return SL_OK;
    case SL_Y_DOUBLE: {
        double x = real ? v->v.d : (double)v->v.i;
        uint64_t bits;
        memcpy(&bits, &x, 8);
        put_be(b, bits, 8);
        return SL_OK;
    }
    case SL_Y_TIMESTAMP:
    case SL_Y_HRES_TIMESTAMP: {
        if (as_us(d, t, v, &us) != SL_OK)
            return d->err->code;
        int64_t ms = floordiv(us, 1000);
        put_be(b, (uint64_t)sl_yamcs_unix_ms_to_instant(ms), 8);
        if (yt == SL_Y_HRES_TIMESTAMP)
            put_be(b, (uint64_t)((us - ms * 1000) * 1000000), 4);
        return SL_OK;
    }
    case SL_Y_UUID: {
        sl_slice s = as_text(d, t, v, buf);
        char h[33];
        size_t k = 0;
        for (size_t i = 0; i < s.n && k < 32; i++)
            if (s.p[i] != '-')
                h[k++] = s.p[i];
        sl_buf tmpb = SL_BUF_INIT;
        sl_code rc = k == 32 ? put_hex(d, &tmpb, (sl_slice){h, 32}) : SL_INTERNAL;
        if (rc == SL_OK && !tmpb.oom) {
            tmpb.p[4] = (char)(tmpb.p[4] ^ 0x80);
            tmpb.p[12] = (char)(tmpb.p[12] ^ 0x80);
            sl_buf_append(b, tmpb.p + 4, 16);
        }
        sl_buf_free(&tmpb);
        return rc == SL_OK ? SL_OK : sl_fail(d->err, SL_INTERNAL, "stored UUID does not parse");
    }
    case SL_Y_BINARY:
    case SL_Y_PROTOBUF:
    case SL_Y_PARAMETER_VALUE: return put_hex(d, b, as_text(d, t, v, buf));
    default: /* STRING, ENUM */ return put_mutf8(d, b, as_text(d, t, v, buf));
    }
}

static sl_code dump_meta(void *arg, const sl_qcol *cols, size_t n)
{
    dump *d = arg;
    d->types = sl_arena_alloc(&d->tmp_meta, (n + 1) * sizeof *d->types);
    if (d->types == NULL)
        return sl_fail(d->err, SL_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        d->types[i] = cols[i].type;
    return SL_OK;
}

static sl_code dump_row(void *arg, const sl_qval *vals, size_t n)
{
    dump *d = arg;
    sl_buf_clear(&d->row);
    sl_arena_reset(&d->tmp);
    for (size_t i = 0; i < n && i < d->n; i++) { /* ColumnInfo for columns seen first here */
        size_t c = d->colidx[i];
        if (vals[i].null || d->ids[c] >= 0)
            continue;
        d->ids[c] = d->next_id++;
        char tn[320];
        size_t tl = sl_ytype_name(&d->y->schema.types[c], tn, sizeof tn);
        sl_slice nm = d->y->def->cols[c].name;
        sl_buf_clear(&d->cell);
        sl__pb_uint(&d->cell, 1, (uint64_t)d->ids[c]);
        sl__pb_bytes(&d->cell, 2, nm.p, nm.n);
        sl__pb_bytes(&d->cell, 3, tn, tl);
        sl__pb_bytes(&d->row, 1, d->cell.p, d->cell.len);
    }
    sl_buf data = SL_BUF_INIT;
    sl_code rc = SL_OK;
    for (size_t i = 0; i < n && i < d->n && rc == SL_OK; i++) {
        size_t c = d->colidx[i];
        if (vals[i].null)
            continue;
        const sl_ytype *t = &d->y->schema.types[c];
        sl_buf_clear(&data);
        rc = t->id == SL_Y_ARRAY ? put_array(d, &data, t, &vals[i])
                                 : put_scalar(d, &data, t->id, &d->types[i], &vals[i]);
        sl_buf_clear(&d->cell);
        sl__pb_uint(&d->cell, 1, (uint64_t)d->ids[c]);
        sl__pb_bytes(&d->cell, 2, data.p ? data.p : "", data.len);
        sl__pb_bytes(&d->row, 2, d->cell.p, d->cell.len);
        if (data.oom)
            rc = sl_fail(d->err, SL_NOMEM, "out of memory");
    }
    sl_buf_free(&data);
    if (rc != SL_OK)
        return rc;
    sl_buf_clear(&d->out);
    sl__pb_varint(&d->out, d->row.len);
    sl_buf_append(&d->out, d->row.p ? d->row.p : "", d->row.len);
    if (d->out.oom || d->row.oom || d->cell.oom)
        return sl_fail(d->err, SL_NOMEM, "out of memory");
    return sl__yamcs_stream_write(d->r, d->out.p, d->out.len, d->err);
}

/* ReadRowsRequest{cols=3, query=4}: protobuf, or JSON {"cols":[...],"query":"..."}. */
static sl_code parse_request(sl_http_req *r, yamcs_ctx *y, sl_slice **cols, size_t *n_cols,
                             sl_slice *query, sl_err *err)
{
    *n_cols = 0;
    *query = SL_SLICE_NULL;
    *cols = sl_arena_alloc(&r->arena, (y->def->n_cols + 1) * sizeof **cols);
    if (*cols == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    sl_slice body = {y->req.p, y->req.len};
    sl_slice t = sl_slice_trim(body);
    if (t.n == 0)
        return SL_OK;
    if (t.p[0] == '{') {
        sl_jval *j;
        if (sl_json_parse(t.p, t.n, &r->arena, &j, err) != SL_OK || j->type != SL_J_OBJ)
            return sl_fail(err, SL_INVALID, "invalid ReadRowsRequest");
        const sl_jval *q = sl_json_get(j, "query"), *c = sl_json_get(j, "cols");
        if (q && q->type == SL_J_STR)
            *query = q->s;
        for (size_t i = 0; c && c->type == SL_J_ARR && i < c->n; i++)
            if (c->items[i].type == SL_J_STR && *n_cols < y->def->n_cols)
                (*cols)[(*n_cols)++] = c->items[i].s;
        return SL_OK;
    }
    const uint8_t *p = (const uint8_t *)body.p, *end = p + body.n;
    unsigned f;
    uint64_t v;
    sl_slice s;
    bool bad;
    while (sl__pb_next(&p, end, &f, &v, &s, &bad)) {
        if (f == 3 && *n_cols < y->def->n_cols)
            (*cols)[(*n_cols)++] = s;
        else if (f == 4)
            *query = s;
    }
    return bad ? sl_fail(err, SL_INVALID, "invalid ReadRowsRequest") : SL_OK;
}

/* Build "SELECT cols FROM t [WHERE q] ORDER BY keys" and the result -> table column map. */
static sl_code build_select(sl_http_req *r, yamcs_ctx *y, dump *d, sl_buf *q, sl_err *err)
{
    sl_slice *cols, query;
    size_t n_cols;
    sl_code rc = parse_request(r, y, &cols, &n_cols, &query, err);
    if (rc != SL_OK)
        return rc;
    const sl_tabledef *def = y->def;
    d->colidx = sl_arena_alloc(&r->arena, (def->n_cols + 1) * sizeof *d->colidx);
    d->ids = sl_arena_alloc(&r->arena, (def->n_cols + 1) * sizeof *d->ids);
    if (d->colidx == NULL || d->ids == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    sl_buf_puts(q, "SELECT ");
    for (size_t c = 0; c < def->n_cols; c++) {
        d->ids[c] = -1;
        bool want = n_cols == 0;
        for (size_t k = 0; k < n_cols && !want; k++)
            want = cols[k].n == def->cols[c].name.n &&
                   strncasecmp(cols[k].p, def->cols[c].name.p, cols[k].n) == 0;
        if (!want)
            continue;
        if (d->n)
            sl_buf_puts(q, ", ");
        sl_buf_ident(q, def->cols[c].name);
        d->colidx[d->n++] = c;
    }
    if (d->n == 0)
        return sl_fail(err, SL_INVALID, "no such columns");
    sl_buf_puts(q, " FROM ");
    sl_buf_ident(q, y->table);
    if (query.p && query.n) {
        sl_buf_puts(q, " WHERE ");
        sl_buf_append(q, query.p, query.n);
    }
    bool first = true;
    for (size_t c = 0; c < def->n_cols; c++) {
        if (!def->cols[c].key)
            continue;
        sl_buf_puts(q, first ? " ORDER BY " : ", ");
        sl_buf_ident(q, def->cols[c].name);
        first = false;
    }
    return q->oom ? sl_fail(err, SL_NOMEM, "out of memory") : SL_OK;
}

void sl__yamcs_read_end(sl_http_req *r, yamcs_ctx *y)
{
    sl_app *app = r->app;
    sl_err err = {0};
    dump d;
    memset(&d, 0, sizeof d);
    d.r = r;
    d.y = y;
    d.err = &err;
    sl_arena_init(&d.tmp, 0);
    sl_arena_init(&d.tmp_meta, 0);
    sl_buf q = SL_BUF_INIT;
    sl_stmt st;
    sl_code rc = build_select(r, y, &d, &q, &err);
    if (rc == SL_OK)
        rc = sl_sql_parse(q.p, q.len, &r->arena, &st, &err);
    if (rc == SL_OK && st.kind != SL_STMT_SELECT)
        rc = sl_fail(&err, SL_INVALID, "query is not a condition");
    sl_query_limits lim = sl__yamcs_stream_limits(app);
    if (rc == SL_OK && sl_http_stream_begin(r, 200, "application/protobuf") != SL_OK)
        rc = sl_fail(&err, SL_NOMEM, "out of memory");
    if (rc == SL_OK) {
        sl_query_sink sink = {dump_meta, dump_row, &d};
        rc = sl_store_query(app->store, y->db, &st.select, &lim, &sink, &err);
    }
    if (rc != SL_OK)
        sl__yamcs_error(r, y, rc, err.msg, false, 0); /* cuts the reply once it has started */
    sl_buf_free(&q);
    sl_buf_free(&d.out);
    sl_buf_free(&d.row);
    sl_buf_free(&d.cell);
    sl_arena_free(&d.tmp);
    sl_arena_free(&d.tmp_meta);
}
