/*
 * complex.c - ARRAY, MAP and STRUCT values: encoding, text forms in and out (batch stage).
 * The layout is described in complex.h.
 *
 *   text --split (scan_raw: quotes, nesting)--> element texts --sl_convert--> datum
 *        --sl_cv_put--> element encodings --header + null bitmap--> the value's encoding
 *
 * Parsing follows Doris's text serde (DataTypeArraySerDe / MapSerDe / StructSerDe): a value is
 * split at top-level commas (and ':' between a map key and its value) outside quotes and
 * brackets, each element text is trimmed, an unquoted `null` is NULL, a quoted element loses
 * its quotes, and the element is cast like a loaded field. An element that does not cast is
 * NULL (Doris's nullable serde) unless the element is NOT NULL or the load is strict. JSON text
 * is the same grammar, so values of JSON bodies and the columnar decoders' nested JSON parse
 * here too; double-quoted strings also lose their JSON escapes.
 *
 * Recursion is bounded by the type's nesting (SL_TYPE_MAX_DEPTH); the text itself is scanned
 * iteratively.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../core/mem.h"
#include "complex.h"

__extension__ typedef unsigned __int128 u128;

#define SUB(t) sl_type_sub(t)

/* ---- varints ------------------------------------------------------------------------------- */

static void put_uvar(sl_buf *b, u128 u)
{
    uint8_t tmp[19];
    size_t n = 0;
    while (u >= 0x80) {
        tmp[n++] = (uint8_t)(u | 0x80);
        u >>= 7;
    }
    tmp[n++] = (uint8_t)u;
    sl_buf_append(b, tmp, n);
}

static void put_svar(sl_buf *b, sl_i128 v)
{
    put_uvar(b, ((u128)v << 1) ^ (u128)(v >> 127));
}

/* At most 19 bytes (128 bits); false when the bytes end or run longer. */
static bool get_uvar(const uint8_t **pp, const uint8_t *e, u128 *out)
{
    const uint8_t *p = *pp;
    u128 u = 0;
    for (unsigned sh = 0; sh < 133; sh += 7) {
        if (p >= e)
            return false;
        uint8_t c = *p++;
        u |= (u128)(c & 0x7f) << sh;
        if (!(c & 0x80)) {
            *pp = p, *out = u;
            return true;
        }
    }
    return false;
}

static bool get_svar(const uint8_t **pp, const uint8_t *e, sl_i128 *out)
{
    u128 u;
    if (!get_uvar(pp, e, &u))
        return false;
    *out = (sl_i128)(u >> 1) ^ -(sl_i128)(u & 1);
    return true;
}

/* A count (of elements or bytes) that cannot exceed the bytes left: each element takes at
 * least one bit of bitmap or one byte, so a larger count is malformed. */
static bool get_count(const uint8_t **pp, const uint8_t *e, size_t *n)
{
    u128 u;
    if (!get_uvar(pp, e, &u) || u > (u128)SIZE_MAX)
        return false;
    *n = (size_t)u;
    return true;
}

static size_t bitmap_bytes(size_t n)
{
    return n / 8 + (n % 8 != 0);
}

static bool bit(const uint8_t *bm, size_t i)
{
    return (bm[i / 8] >> (i % 8)) & 1;
}

/* ---- reading ------------------------------------------------------------------------------- */

typedef enum { W_VAR, W_VAR128, W_F4, W_F8, W_LEN, W_NEST } wire;

static wire wire_of(const sl_type *t)
{
    switch ((sl_type_id)t->id) {
    case SL_LARGEINT: case SL_DECIMAL: return W_VAR128;
    case SL_FLOAT: return W_F4;
    case SL_DOUBLE: return W_F8;
    case SL_CHAR: case SL_VARCHAR: case SL_STRING: case SL_JSON: case SL_VARIANT:
    case SL_BITMAP: case SL_HLL:
        return W_LEN;
    case SL_ARRAY: case SL_MAP: case SL_STRUCT: return W_NEST;
    default: return W_VAR;
    }
}

static const uint8_t *skip_value(const sl_type *t, const uint8_t *p, const uint8_t *e,
                                 unsigned depth);

/* The container header: element count (MAP: entries), the has-nulls flag and the bitmap(s). */
static bool header(const sl_type *t, const uint8_t **pp, const uint8_t *e, size_t *n,
                   const uint8_t **bm)
{
    if (SUB(t) == NULL)
        return false;
    *bm = NULL;
    if (t->id == SL_STRUCT) {
        *n = SUB(t)->n;
        if ((size_t)(e - *pp) < bitmap_bytes(*n))
            return false;
        *bm = *pp;
        *pp += bitmap_bytes(*n);
        return true;
    }
    size_t h;
    if (!get_count(pp, e, &h))
        return false;
    *n = h >> 1;
    if (*n > (size_t)(e - *pp) * 8 + 8)
        return false;
    if (h & 1) {
        size_t nb = bitmap_bytes(*n) * (t->id == SL_MAP ? 2 : 1);
        if ((size_t)(e - *pp) < nb)
            return false;
        *bm = *pp;
        *pp += nb;
    }
    return true;
}

/* The element type and NULL flag of element i (MAP: 2 per entry). */
static const sl_type *elem(const sl_type *t, size_t n, const uint8_t *bm, size_t i, bool *null)
{
    if (t->id == SL_ARRAY) {
        *null = bm && bit(bm, i);
        return &SUB(t)->t[0];
    }
    if (t->id == SL_MAP) {
        *null = bm && bit(bm + (i & 1 ? bitmap_bytes(n) : 0), i / 2);
        return &SUB(t)->t[i & 1];
    }
    *null = bm && bit(bm, i);
    return &SUB(t)->t[i];
}

static const uint8_t *skip_container(const sl_type *t, const uint8_t *p, const uint8_t *e,
                                     unsigned depth)
{
    size_t n;
    const uint8_t *bm;
    if (depth > SL_TYPE_MAX_DEPTH || !header(t, &p, e, &n, &bm))
        return NULL;
    size_t k = t->id == SL_MAP ? 2 * n : n;
    for (size_t i = 0; i < k && p; i++) {
        bool null;
        const sl_type *et = elem(t, n, bm, i, &null);
        if (!null)
            p = skip_value(et, p, e, depth + 1);
    }
    return p;
}

static const uint8_t *skip_value(const sl_type *t, const uint8_t *p, const uint8_t *e,
                                 unsigned depth)
{
    u128 u;
    size_t n;
    switch (wire_of(t)) {
    case W_VAR: case W_VAR128: return get_uvar(&p, e, &u) ? p : NULL;
    case W_F4: return e - p >= 4 ? p + 4 : NULL;
    case W_F8: return e - p >= 8 ? p + 8 : NULL;
    case W_LEN: return get_count(&p, e, &n) && (size_t)(e - p) >= n ? p + n : NULL;
    case W_NEST: return skip_container(t, p, e, depth);
    }
    return NULL;
}

bool sl_cv_items(const sl_type *t, sl_slice enc, sl_arena_t *a, size_t *n_out,
                 sl_slice **items)
{
    const uint8_t *p = (const uint8_t *)enc.p, *e = p + enc.n, *bm;
    size_t n;
    *n_out = 0;
    if (!sl_type_is_complex(t) || !header(t, &p, e, &n, &bm))
        return false;
    size_t k = t->id == SL_MAP ? 2 * n : n;
    sl_slice *v = sl_arena_alloc(a, (k ? k : 1) * sizeof *v);
    if (v == NULL)
        return false;
    for (size_t i = 0; i < k; i++) {
        bool null;
        const sl_type *et = elem(t, n, bm, i, &null);
        if (null) {
            v[i] = SL_SLICE_NULL;
            continue;
        }
        const uint8_t *q = skip_value(et, p, e, 1);
        if (q == NULL)
            return false;
        v[i] = (sl_slice){(const char *)p, (size_t)(q - p)};
        v[i].p = v[i].p ? v[i].p : "";
        p = q;
    }
    if (p != e)
        return false;
    *n_out = k, *items = v;
    return true;
}

size_t sl_cv_count(const sl_type *t, sl_slice enc)
{
    const uint8_t *p = (const uint8_t *)enc.p, *e = p + enc.n, *bm;
    size_t n;
    if (!sl_type_is_complex(t) || !header(t, &p, e, &n, &bm))
        return SIZE_MAX;
    return n;
}

bool sl_cv_get(const sl_type *et, sl_slice enc, sl_datum *out)
{
    const uint8_t *p = (const uint8_t *)enc.p, *e = p + enc.n;
    sl_i128 w;
    size_t n;
    memset(out, 0, sizeof *out);
    switch (wire_of(et)) {
    case W_VAR:
        if (!get_svar(&p, e, &w) || w < INT64_MIN || w > INT64_MAX)
            return false;
        out->i = (int64_t)w;
        return true;
    case W_VAR128: return get_svar(&p, e, &out->w);
    case W_F4: {
        float f;
        if (enc.n < 4)
            return false;
        memcpy(&f, p, 4);
        out->d = f;
        return true;
    }
    case W_F8:
        if (enc.n < 8)
            return false;
        memcpy(&out->d, p, 8);
        return true;
    case W_LEN:
        if (!get_count(&p, e, &n) || (size_t)(e - p) < n)
            return false;
        out->s.p = (const char *)p, out->s.n = n;
        return true;
    case W_NEST: out->s.p = enc.p, out->s.n = enc.n; return true;
    }
    return false;
}

/* ---- writing ------------------------------------------------------------------------------- */

void sl_cv_put(sl_buf *b, const sl_type *et, const sl_datum *v)
{
    switch (wire_of(et)) {
    case W_VAR: put_svar(b, v->i); return;
    case W_VAR128: put_svar(b, v->w); return;
    case W_F4: {
        float f = isnan(v->d) ? NAN : (float)v->d; /* one NaN: its sign is not kept in text */
        sl_buf_append(b, &f, 4);
        return;
    }
    case W_F8: {
        double d = isnan(v->d) ? NAN : v->d;
        sl_buf_append(b, &d, 8);
        return;
    }
    case W_LEN:
        put_uvar(b, v->s.n);
        sl_buf_append(b, v->s.p, v->s.n);
        return;
    case W_NEST: sl_buf_append(b, v->s.p, v->s.n); return;
    }
}

/* The header of a container with n elements (MAP: entries) whose NULL flags are nulls[] (MAP:
 * 2n, key then value), into b. */
static void put_header(sl_buf *b, const sl_type *t, size_t n, const uint8_t *nulls)
{
    size_t k = t->id == SL_MAP ? 2 * n : n;
    bool any = false;
    for (size_t i = 0; i < k && !any; i++)
        any = nulls[i];
    if (t->id != SL_STRUCT)
        put_uvar(b, (u128)n << 1 | any);
    if (!any && t->id != SL_STRUCT)
        return;
    size_t nb = bitmap_bytes(n), planes = t->id == SL_MAP ? 2 : 1;
    if (!sl_buf_reserve(b, nb * planes))
        return;
    uint8_t *bm = (uint8_t *)b->p + b->len;
    memset(bm, 0, nb * planes);
    for (size_t i = 0; i < k; i++) {
        size_t plane = t->id == SL_MAP ? i & 1 : 0, j = t->id == SL_MAP ? i / 2 : i;
        if (nulls[i])
            bm[plane * nb + j / 8] |= (uint8_t)(1u << (j % 8));
    }
    b->len += nb * planes;
}

bool sl_cv_build(const sl_type *t, const sl_slice *items, size_t n, sl_arena_t *a,
                 sl_slice *out)
{
    sl_buf b = SL_BUF_INIT;
    uint8_t *nulls = sl_malloc(n ? n : 1);
    if (nulls == NULL)
        return false;
    for (size_t i = 0; i < n; i++)
        nulls[i] = items[i].p == NULL;
    put_header(&b, t, t->id == SL_MAP ? n / 2 : n, nulls);
    for (size_t i = 0; i < n; i++)
        if (items[i].p)
            sl_buf_append(&b, items[i].p, items[i].n);
    sl_free(nulls);
    bool ok = !b.oom;
    if (ok) {
        *out = sl_arena_slice(a, (sl_slice){b.p ? b.p : "", b.len});
        ok = out->p != NULL;
    }
    sl_buf_free(&b);
    return ok;
}

int sl_cv_cmp(const sl_type *et, const sl_datum *x, const sl_datum *y)
{
    switch (wire_of(et)) {
    case W_VAR: return (x->i > y->i) - (x->i < y->i);
    case W_VAR128: return (x->w > y->w) - (x->w < y->w);
    case W_F4: case W_F8:
        if (isnan(x->d) || isnan(y->d))
            return isnan(x->d) - isnan(y->d);
        return (x->d > y->d) - (x->d < y->d);
    default: {
        size_t n = x->s.n < y->s.n ? x->s.n : y->s.n;
        int r = n ? memcmp(x->s.p, y->s.p, n) : 0;
        return r ? (r > 0) - (r < 0) : (x->s.n > y->s.n) - (x->s.n < y->s.n);
    }
    }
}

/* ---- parsing ------------------------------------------------------------------------------- */

typedef struct cvp {
    unsigned flags;
    const sl_conv_ctx *ctx;
    bool lossy;          /* an element became NULL */
    sl_buf tmp;          /* unescaped string elements */
} cvp;

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static sl_slice trim(sl_slice s)
{
    while (s.n && is_ws(s.p[0]))
        s.p++, s.n--;
    while (s.n && is_ws(s.p[s.n - 1]))
        s.n--;
    return s;
}

/* One element's text from *p: up to a top-level ',' or closing bracket (or ':' when colon),
 * outside quotes (a backslash escapes inside double quotes, as in JSON) and nested brackets.
 * *p moves to the stopping byte. */
static sl_slice scan_raw(const char **p, const char *e, bool colon)
{
    const char *s = *p, *q = s;
    int depth = 0;
    char quote = 0;
    for (; q < e; q++) {
        char c = *q;
        if (quote) {
            if (c == '\\' && quote == '"' && q + 1 < e)
                q++;
            else if (c == quote)
                quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '[' || c == '{') {
            depth++;
        } else if (c == ']' || c == '}') {
            if (depth-- == 0)
                break;
        } else if (depth == 0 && (c == ',' || (colon && c == ':'))) {
            break;
        }
    }
    *p = q;
    return trim((sl_slice){s, (size_t)(q - s)});
}

static unsigned hex4(const char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = sl_hexval(p[i]);
        if (h < 0)
            return 0x110000;
        v = v << 4 | (unsigned)h;
    }
    return v;
}

static void put_utf8(sl_buf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80)
        u[0] = (char)cp, n = 1;
    else if (cp < 0x800)
        u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
    else if (cp < 0x10000)
        u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3f)),
        u[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
    else
        u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 0x3f)),
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), u[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
    sl_buf_append(b, u, n);
}

/* The body of a double-quoted string with JSON's escapes undone into b (unknown escapes keep
 * the escaped byte). */
static void unescape(sl_buf *b, sl_slice s)
{
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (c != '\\' || i + 1 == s.n) {
            sl_buf_putc(b, c);
            continue;
        }
        c = s.p[++i];
        unsigned cp;
        switch (c) {
        case 'b': sl_buf_putc(b, '\b'); break;
        case 'f': sl_buf_putc(b, '\f'); break;
        case 'n': sl_buf_putc(b, '\n'); break;
        case 'r': sl_buf_putc(b, '\r'); break;
        case 't': sl_buf_putc(b, '\t'); break;
        case 'u':
            if (i + 4 >= s.n + 0 || (cp = hex4(s.p + i + 1)) > 0xffff) {
                sl_buf_putc(b, 'u');
                break;
            }
            i += 4;
            if (cp >= 0xd800 && cp < 0xdc00 && i + 6 < s.n && s.p[i + 1] == '\\' &&
                s.p[i + 2] == 'u') {
                unsigned lo = hex4(s.p + i + 3);
                if (lo >= 0xdc00 && lo < 0xe000)
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00), i += 6;
            }
            put_utf8(b, cp);
            break;
        default: sl_buf_putc(b, c); break;
        }
    }
}

/* An element's text without its quotes: "..." (JSON escapes undone, into P->tmp) or '...';
 * *quoted tells whether there were quotes. */
static sl_slice unquote(cvp *P, sl_slice s, bool *quoted)
{
    *quoted = s.n >= 2 && (s.p[0] == '"' || s.p[0] == '\'') &&
              (s.p[s.n - 1] == '"' || s.p[s.n - 1] == '\'');
    if (!*quoted)
        return s;
    sl_slice in = {s.p + 1, s.n - 2};
    if (s.p[0] != '"' || memchr(in.p, '\\', in.n) == NULL)
        return in;
    sl_buf_clear(&P->tmp);
    unescape(&P->tmp, in);
    return (sl_slice){P->tmp.p ? P->tmp.p : "", P->tmp.len};
}

static int parse_value(cvp *P, const sl_type *t, sl_slice text, sl_buf *out, unsigned depth);

/* One element of type et from its (trimmed) text, appended to out; *null when it is NULL.
 * -1: the element fails the value (NOT NULL element, strict, or out of memory). */
static int parse_elem(cvp *P, const sl_type *et, bool nullable, sl_slice raw, sl_buf *out,
                      bool *null, unsigned depth)
{
    bool quoted;
    sl_datum d;
    *null = false;
    if (raw.n == 4 && memcmp(raw.p, "null", 4) == 0)
        return (*null = true, nullable ? 0 : -1);
    size_t mark = out->len;
    int rc = 0;
    if (sl_type_is_complex(et)) { /* a nested value that does not parse is a bad element */
        rc = parse_value(P, et, raw, out, depth + 1) == 0 ? 0 : out->oom ? -1 : 1;
    } else if (et->id == SL_JSON || et->id == SL_VARIANT) {
        sl_slice s = raw, v;
        sl_arena_t a;
        sl_arena_init(&a, 256);
        if (P->flags & SL_CV_PAIRS)
            s = unquote(P, raw, &quoted);
        if (sl_cv_variant(s, &a, &v) != SL_CONV_OK)
            rc = 1;
        else
            d.s.p = v.p, d.s.n = v.n, sl_cv_put(out, et, &d);
        sl_arena_free(&a);
    } else {
        sl_slice s = unquote(P, raw, &quoted);
        sl_conv cv = sl_convert(et, s, &d, P->ctx);
        if (cv == SL_CONV_TOO_LONG) /* nested text keeps its length, as in Doris */
            d.s.p = s.p, d.s.n = s.n, cv = SL_CONV_OK;
        if (cv == SL_CONV_NULL || (cv == SL_CONV_LOSSY && (P->flags & SL_CV_STRICT)))
            rc = 1;
        else
            sl_cv_put(out, et, &d);
    }
    if (rc < 0 || out->oom)
        return -1;
    if (rc == 0)
        return 0;
    out->len = mark; /* the element does not convert */
    if (!nullable || (P->flags & SL_CV_STRICT))
        return -1;
    P->lossy = true;
    *null = true;
    return 0;
}

/* Record one NULL flag; -1 when out of memory. */
static int push_null(sl_buf *nulls, bool null)
{
    char c = (char)null;
    sl_buf_append(nulls, &c, 1);
    return nulls->oom ? -1 : 0;
}

/* Insert the header for the elements appended to out since start. */
static int finish(sl_buf *out, size_t start, const sl_type *t, size_t n, const sl_buf *nulls)
{
    sl_buf h = SL_BUF_INIT;
    put_header(&h, t, n, (const uint8_t *)(nulls->p ? nulls->p : ""));
    if (h.oom || !sl_buf_reserve(out, h.len)) {
        sl_buf_free(&h);
        return -1;
    }
    memmove(out->p + start + h.len, out->p + start, out->len - start);
    memcpy(out->p + start, h.p, h.len);
    out->len += h.len;
    sl_buf_free(&h);
    return 0;
}

/* [e1, e2, ...] */
static int parse_array(cvp *P, const sl_type *t, const char *p, const char *e, sl_buf *out,
                       unsigned depth)
{
    sl_buf nulls = SL_BUF_INIT;
    size_t start = out->len, n = 0;
    int rc = 0;
    while (p < e && is_ws(*p))
        p++;
    while (rc == 0 && p < e) {
        sl_slice raw = scan_raw(&p, e, false);
        bool null;
        if (raw.n == 0 || (p < e && *p != ',')) /* an empty item, or an unbalanced ']' */
            rc = -1;
        else if ((rc = parse_elem(P, &SUB(t)->t[0], SUB(t)->nullable[0], raw, out, &null,
                                  depth)) == 0)
            rc = push_null(&nulls, null), n++;
        if (p < e)
            p++; /* the ',' */
        if (rc == 0 && p == e && e[-1] == ',')
            rc = -1; /* a trailing comma */
    }
    if (rc == 0)
        rc = finish(out, start, t, n, &nulls);
    sl_buf_free(&nulls);
    return rc;
}

/* {k: v, ...}, or with SL_CV_PAIRS [[k, v], ...]. Keys and values are nulls 2i and 2i+1. */
static int parse_map(cvp *P, const sl_type *t, const char *p, const char *e, sl_buf *out,
                     unsigned depth)
{
    sl_buf nulls = SL_BUF_INIT;
    size_t start = out->len, n = 0;
    bool pairs = P->flags & SL_CV_PAIRS;
    int rc = 0;
    while (p < e && is_ws(*p))
        p++;
    while (rc == 0 && p < e) {
        sl_slice kv[2];
        if (pairs) {
            sl_slice pr = scan_raw(&p, e, false);
            const char *q = pr.p + 1, *qe = pr.p + pr.n - 1;
            if (pr.n < 2 || pr.p[0] != '[' || pr.p[pr.n - 1] != ']')
                rc = -1;
            else if ((kv[0] = scan_raw(&q, qe, false)), q == qe || *q != ',')
                rc = -1;
            else if (q++, (kv[1] = scan_raw(&q, qe, false)), q != qe)
                rc = -1;
        } else {
            kv[0] = scan_raw(&p, e, true);
            if (p == e || *p != ':')
                rc = -1;
            else
                p++, kv[1] = scan_raw(&p, e, false);
        }
        if (rc == 0 && p < e && *p != ',')
            rc = -1;
        for (int k = 0; k < 2 && rc == 0; k++) {
            bool null;
            if ((rc = parse_elem(P, &SUB(t)->t[k], SUB(t)->nullable[k], kv[k], out, &null,
                                 depth)) == 0)
                rc = push_null(&nulls, null);
        }
        n++;
        if (p < e)
            p++;
    }
    if (rc == 0)
        rc = finish(out, start, t, n, &nulls);
    sl_buf_free(&nulls);
    return rc;
}

/* The field named s (quotes removed, case-insensitive), or -1. */
static long field_index(cvp *P, const sl_type *t, sl_slice s)
{
    bool quoted;
    s = unquote(P, s, &quoted);
    for (uint32_t i = 0; i < SUB(t)->n; i++)
        if (SUB(t)->names[i].n == s.n && strncasecmp(SUB(t)->names[i].p, s.p, s.n) == 0)
            return (long)i;
    return -1;
}

/* The field texts of {name: v, ...} (names matched, unknown names ignored) or of positional
 * {v1, v2, ...} / [v1, v2, ...]; missing fields stay NULL slices. */
static int struct_fields(cvp *P, const sl_type *t, const char *p, const char *e, sl_slice *f)
{
    size_t pos = 0;
    while (p < e && is_ws(*p))
        p++;
    while (p < e) {
        const char *save = p;
        sl_slice name = scan_raw(&p, e, true);
        long k;
        if (p < e && *p == ':') {
            p++;
            k = field_index(P, t, name);
        } else {
            p = save;
            k = pos < SUB(t)->n ? (long)pos : -2;
        }
        sl_slice v = scan_raw(&p, e, false);
        if (k == -2 || v.n == 0 || (p < e && *p != ','))
            return -1;
        if (k >= 0)
            f[k] = v;
        pos++;
        if (p < e)
            p++;
    }
    return 0;
}

static int parse_struct(cvp *P, const sl_type *t, const char *p, const char *e, sl_buf *out,
                        unsigned depth)
{
    uint32_t nf = SUB(t)->n;
    sl_slice *f = sl_calloc((nf ? nf : 1) * sizeof *f);
    sl_buf nulls = SL_BUF_INIT;
    size_t start = out->len;
    int rc = f ? struct_fields(P, t, p, e, f) : -1;
    for (uint32_t i = 0; rc == 0 && i < nf; i++) {
        bool null = true;
        if (f[i].p)
            rc = parse_elem(P, &SUB(t)->t[i], SUB(t)->nullable[i], f[i], out, &null, depth);
        else if (!SUB(t)->nullable[i])
            rc = -1;
        if (rc == 0)
            rc = push_null(&nulls, null);
    }
    if (rc == 0)
        rc = finish(out, start, t, nf, &nulls);
    sl_free(f);
    sl_buf_free(&nulls);
    return rc;
}

/* text (trimmed) as a value of complex type t appended to out: 0, or -1 (fails). */
static int parse_value(cvp *P, const sl_type *t, sl_slice text, sl_buf *out, unsigned depth)
{
    text = trim(text);
    if (depth > SL_TYPE_MAX_DEPTH || SUB(t) == NULL || text.n < 2)
        return -1;
    char o = text.p[0], c = text.p[text.n - 1];
    const char *p = text.p + 1, *e = text.p + text.n - 1;
    switch (t->id) {
    case SL_ARRAY:
        return o == '[' && c == ']' ? parse_array(P, t, p, e, out, depth) : -1;
    case SL_MAP:
        if ((P->flags & SL_CV_PAIRS) ? o != '[' || c != ']' : o != '{' || c != '}')
            return -1;
        return parse_map(P, t, p, e, out, depth);
    default:
        if (!((o == '{' && c == '}') || (o == '[' && c == ']')))
            return -1;
        return parse_struct(P, t, p, e, out, depth);
    }
}

sl_conv sl_cv_parse(const sl_type *t, sl_slice text, unsigned flags, const sl_conv_ctx *ctx,
                    sl_arena_t *a, sl_slice *out)
{
    cvp P = {flags, ctx, false, SL_BUF_INIT};
    sl_buf b = SL_BUF_INIT;
    sl_conv rc = SL_CONV_NULL;
    if (sl_type_is_complex(t) && text.p && parse_value(&P, t, text, &b, 1) == 0 && !b.oom) {
        *out = sl_arena_slice(a, (sl_slice){b.p ? b.p : "", b.len});
        rc = out->p == NULL ? SL_CONV_TOO_LONG : P.lossy ? SL_CONV_LOSSY : SL_CONV_OK;
    } else if (b.oom || P.tmp.oom) {
        rc = SL_CONV_TOO_LONG;
    }
    sl_buf_free(&b);
    sl_buf_free(&P.tmp);
    return rc;
}

/* ---- VARIANT: JSON validated and compacted --------------------------------------------------- */

#define JSON_MAX_DEPTH 512 /* nesting of a VARIANT document; deeper ones are refused */

typedef struct jnorm {
    const char *p, *e;
    sl_buf *out;
} jnorm;

static void jws(jnorm *J)
{
    while (J->p < J->e && is_ws(*J->p))
        J->p++;
}

static bool jstring(jnorm *J)
{
    const char *s = J->p++;
    while (J->p < J->e && *J->p != '"') {
        unsigned char c = (unsigned char)*J->p++;
        if (c < 0x20)
            return false;
        if (c != '\\')
            continue;
        if (J->p == J->e)
            return false;
        c = (unsigned char)*J->p++;
        if (c == 'u') {
            if (J->e - J->p < 4 || hex4(J->p) > 0xffff)
                return false;
            J->p += 4;
        } else if (!strchr("\"\\/bfnrt", c) || c == 0) {
            return false;
        }
    }
    if (J->p == J->e)
        return false;
    J->p++;
    sl_buf_append(J->out, s, (size_t)(J->p - s));
    return true;
}

static bool jdigits(jnorm *J)
{
    const char *s = J->p;
    while (J->p < J->e && *J->p >= '0' && *J->p <= '9')
        J->p++;
    return J->p > s;
}

static bool jnumber(jnorm *J)
{
    const char *s = J->p;
    if (*J->p == '-')
        J->p++;
    if (J->p < J->e && *J->p == '0')
        J->p++;
    else if (!jdigits(J))
        return false;
    if (J->p < J->e && *J->p == '.' && (J->p++, !jdigits(J)))
        return false;
    if (J->p < J->e && (*J->p == 'e' || *J->p == 'E')) {
        J->p++;
        if (J->p < J->e && (*J->p == '+' || *J->p == '-'))
            J->p++;
        if (!jdigits(J))
            return false;
    }
    sl_buf_append(J->out, s, (size_t)(J->p - s));
    return true;
}

static bool jword(jnorm *J)
{
    static const char *const w[] = {"true", "false", "null"};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(w[i]);
        if ((size_t)(J->e - J->p) >= n && memcmp(J->p, w[i], n) == 0) {
            sl_buf_append(J->out, J->p, n);
            J->p += n;
            return true;
        }
    }
    return false;
}

static bool jvalue(jnorm *J, unsigned depth)
{
    jws(J);
    if (J->p == J->e || depth > JSON_MAX_DEPTH)
        return false;
    char c = *J->p;
    if (c == '"')
        return jstring(J);
    if (c == '-' || (c >= '0' && c <= '9'))
        return jnumber(J);
    if (c != '[' && c != '{')
        return jword(J);
    char close = c == '[' ? ']' : '}';
    sl_buf_putc(J->out, *J->p++);
    jws(J);
    if (J->p < J->e && *J->p == close) {
        sl_buf_putc(J->out, *J->p++);
        return true;
    }
    for (;;) {
        if (close == '}') {
            jws(J);
            if (J->p == J->e || *J->p != '"' || !jstring(J))
                return false;
            jws(J);
            if (J->p == J->e || *J->p != ':')
                return false;
            sl_buf_putc(J->out, *J->p++);
        }
        if (!jvalue(J, depth + 1))
            return false;
        jws(J);
        if (J->p == J->e || (*J->p != ',' && *J->p != close))
            return false;
        sl_buf_putc(J->out, *J->p);
        if (*J->p++ == close)
            return true;
    }
}

sl_conv sl_cv_variant(sl_slice text, sl_arena_t *a, sl_slice *out)
{
    sl_buf b = SL_BUF_INIT;
    jnorm J = {text.p, text.p + text.n, &b};
    sl_conv rc = SL_CONV_NULL;
    if (text.p && jvalue(&J, 0) && (jws(&J), J.p == J.e) && !b.oom) {
        *out = sl_arena_slice(a, (sl_slice){b.p, b.len});
        rc = out->p ? SL_CONV_OK : SL_CONV_TOO_LONG;
    } else if (b.oom) {
        rc = SL_CONV_TOO_LONG;
    }
    sl_buf_free(&b);
    return rc;
}

/* ---- text forms out ------------------------------------------------------------------------ */

typedef struct fmt {
    sl_buf *b;
    bool json;           /* JSON instead of Doris's text form */
    unsigned flags;      /* SL_CV_PAIRS */
} fmt;

static bool fmt_value(fmt *F, const sl_type *t, sl_slice enc, unsigned depth);

/* A scalar element (not NULL). */
static bool fmt_scalar(fmt *F, const sl_type *t, sl_slice enc)
{
    sl_datum d;
    char tmp[64];
    sl_buf *b = F->b;
    if (!sl_cv_get(t, enc, &d))
        return false;
    switch ((sl_type_id)t->id) {
    case SL_BOOLEAN: sl_buf_puts(b, F->json ? (d.i ? "true" : "false") : d.i ? "1" : "0"); break;
    case SL_LARGEINT: sl_format_i128(d.w, tmp), sl_buf_puts(b, tmp); break;
    case SL_DECIMAL: sl_format_decimal(d.w, t->scale, tmp), sl_buf_puts(b, tmp); break;
    case SL_FLOAT: case SL_DOUBLE:
        if (t->id == SL_FLOAT)
            sl_format_float((float)d.d, tmp);
        else
            sl_format_double(d.d, tmp);
        if (F->json && !isfinite(d.d))
            sl_buf_printf(b, "\"%s\"", tmp);
        else
            sl_buf_puts(b, tmp);
        break;
    case SL_DATE: sl_buf_printf(b, "\"%.*s\"", (int)sl_format_date(d.i, tmp), tmp); break;
    case SL_DATETIME:
        sl_buf_printf(b, "\"%.*s\"", (int)sl_format_datetime(d.i, t->precision, tmp), tmp);
        break;
    case SL_JSON: case SL_VARIANT:
        if (F->json && (F->flags & SL_CV_UTF8) && !sl_utf8_valid(d.s.p, d.s.n))
            return false;
        if (F->json && (F->flags & SL_CV_PAIRS))
            sl_json_str(b, d.s.p, d.s.n);
        else
            sl_buf_append(b, d.s.p, d.s.n);
        break;
    case SL_CHAR: case SL_VARCHAR: case SL_STRING:
        if (F->json && (F->flags & SL_CV_UTF8) && !sl_utf8_valid(d.s.p, d.s.n))
            return false;
        if (F->json) {
            sl_json_str(b, d.s.p, d.s.n);
        } else {
            sl_buf_putc(b, '"');
            sl_buf_append(b, d.s.p, d.s.n);
            sl_buf_putc(b, '"');
        }
        break;
    default: sl_buf_printf(b, "%lld", (long long)d.i); break;
    }
    return true;
}

static bool fmt_elem(fmt *F, const sl_type *t, sl_slice enc, unsigned depth)
{
    if (enc.p == NULL) {
        sl_buf_puts(F->b, "null");
        return true;
    }
    return sl_type_is_complex(t) ? fmt_value(F, t, enc, depth + 1) : fmt_scalar(F, t, enc);
}

/* A JSON object key: the key's JSON if it is a string, else its text as a string. */
static bool fmt_key(fmt *F, const sl_type *t, sl_slice enc, unsigned depth)
{
    if (enc.p && (sl_type_is_text(t) || t->id == SL_DATE || t->id == SL_DATETIME))
        return fmt_scalar(F, t, enc);
    sl_buf k = SL_BUF_INIT;
    fmt K = {&k, true, F->flags};
    bool ok = fmt_elem(&K, t, enc, depth);
    sl_json_str(F->b, k.p ? k.p : "", k.len);
    F->b->oom |= k.oom;
    sl_buf_free(&k);
    return ok;
}

static bool fmt_value(fmt *F, const sl_type *t, sl_slice enc, unsigned depth)
{
    sl_arena_t a;
    sl_slice *it;
    size_t n;
    sl_arena_init(&a, 1024);
    bool ok = depth <= SL_TYPE_MAX_DEPTH && sl_cv_items(t, enc, &a, &n, &it);
    bool pairs = t->id == SL_MAP && F->json && (F->flags & SL_CV_PAIRS);
    const char *sep = F->json ? "," : ", ";
    sl_buf_putc(F->b, t->id == SL_ARRAY || pairs ? '[' : '{');
    for (size_t i = 0; ok && i < n; i++) {
        if (t->id == SL_MAP) {
            sl_buf_puts(F->b, i ? sep : "");
            sl_buf_puts(F->b, pairs ? "[" : "");
            ok = (F->json && !pairs ? fmt_key(F, &SUB(t)->t[0], it[i], depth)
                                    : fmt_elem(F, &SUB(t)->t[0], it[i], depth)) &&
                 (sl_buf_puts(F->b, pairs ? "," : ":"), fmt_elem(F, &SUB(t)->t[1], it[i + 1],
                                                                 depth));
            sl_buf_puts(F->b, pairs ? "]" : "");
            i++;
            continue;
        }
        sl_buf_puts(F->b, i ? sep : "");
        if (t->id == SL_STRUCT) {
            if (F->json)
                sl_json_str(F->b, SUB(t)->names[i].p, SUB(t)->names[i].n);
            else
                sl_buf_printf(F->b, "\"%.*s\"", (int)SUB(t)->names[i].n, SUB(t)->names[i].p);
            sl_buf_putc(F->b, ':');
        }
        ok = fmt_elem(F, &SUB(t)->t[t->id == SL_ARRAY ? 0 : i], it[i], depth);
    }
    sl_buf_putc(F->b, t->id == SL_ARRAY || pairs ? ']' : '}');
    sl_arena_free(&a);
    return ok;
}

bool sl_cv_format(sl_buf *b, const sl_type *t, sl_slice enc)
{
    size_t mark = b->len;
    fmt F = {b, false, 0};
    if (sl_type_is_complex(t) && fmt_value(&F, t, enc, 1))
        return true;
    b->len = mark;
    sl_buf_puts(b, "<invalid>");
    return false;
}

bool sl_cv_json(sl_buf *b, const sl_type *t, sl_slice enc, unsigned flags)
{
    fmt F = {b, true, flags};
    return sl_type_is_complex(t) && fmt_value(&F, t, enc, 1);
}
