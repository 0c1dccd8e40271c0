/*
 * pbrows.c - incremental decoder of Yamcs table rows: varint-delimited protobuf `Row`s to a
 * typed sl_batch (decode stage). See pbrows.h for the contract and the type mapping;
 * specs/yamcs-tables.md §1.1, §2.2 and §3.2 for the wire format and the semantics.
 *
 *   chunk --> [hdr: varint32 length] --> [body: L bytes] --> decode_row --> batch row
 *               \ partial header kept in    \ partial body copied to
 *                 d->hdr (<= 5 bytes)         d->carry (<= SL_PBROWS_MAX_ROW)
 *
 * A message wholly inside the chunk is decoded in place (no copy). Protobuf is parsed by hand:
 * Row{1: ColumnInfo, 2: Cell}, ColumnInfo{1: id, 2: name, 3: type, 4: protoClass},
 * Cell{1: columnId, 2: data}; unknown fields are skipped as protobuf requires. Yamcs handles
 * all ColumnInfos of a row before its cells, so a ColumnInfo that follows a cell makes the row
 * decode its cells a second time.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../batch/convert.h"
#include "../core/buf.h"
#include "../core/mem.h"
#include "pbrows.h"

/* ---- Yamcs types ---------------------------------------------------------------------- */

static const struct {
    const char *name;
    uint8_t id;
} basic_types[] = {
    {"BYTE", SL_Y_BYTE},         {"SHORT", SL_Y_SHORT},
    {"INT", SL_Y_INT},           {"LONG", SL_Y_LONG},
    {"DOUBLE", SL_Y_DOUBLE},     {"STRING", SL_Y_STRING},
    {"BINARY", SL_Y_BINARY},     {"BOOLEAN", SL_Y_BOOLEAN},
    {"TIMESTAMP", SL_Y_TIMESTAMP}, {"ENUM", SL_Y_ENUM},
    {"PARAMETER_VALUE", SL_Y_PARAMETER_VALUE}, {"HRES_TIMESTAMP", SL_Y_HRES_TIMESTAMP},
    {"UUID", SL_Y_UUID},
};

static const char *basic_name(uint8_t id)
{
    for (size_t i = 0; i < SL_COUNT(basic_types); i++)
        if (basic_types[i].id == id)
            return basic_types[i].name;
    return "?";
}

/* One non-array type: a basic name or PROTOBUF(cls). */
static bool parse_scalar(sl_slice s, uint8_t *id, sl_slice *cls)
{
    for (size_t i = 0; i < SL_COUNT(basic_types); i++)
        if (sl_slice_eq(s, basic_types[i].name)) {
            *id = basic_types[i].id;
            return true;
        }
    if (s.n > 10 && strncasecmp(s.p, "PROTOBUF(", 9) == 0 && s.p[s.n - 1] == ')') {
        *id = SL_Y_PROTOBUF;
        *cls = (sl_slice){s.p + 9, s.n - 10};
        return true;
    }
    return false;
}

sl_code sl_ytype_parse(sl_slice s, sl_ytype *out, sl_err *err)
{
    memset(out, 0, sizeof *out);
    if (s.p && s.n > 7 && strncasecmp(s.p, "ARRAY(", 6) == 0 && s.p[s.n - 1] == ')') {
        out->id = SL_Y_ARRAY;
        if (parse_scalar((sl_slice){s.p + 6, s.n - 7}, &out->elem, &out->cls))
            return SL_OK;
    } else if (s.p && parse_scalar(s, &out->id, &out->cls))
        return SL_OK;
    return sl_fail(err, SL_INVALID, "invalid or unsupported DataType '%.*s'",
                   (int)(s.n > 100 ? 100 : s.n), s.p ? s.p : "");
}

size_t sl_ytype_name(const sl_ytype *t, char *buf, size_t cap)
{
    uint8_t id = t->id == SL_Y_ARRAY ? t->elem : t->id;
    char inner[300];
    if (id == SL_Y_PROTOBUF)
        snprintf(inner, sizeof inner, "PROTOBUF(%.*s)", (int)(t->cls.n > 280 ? 280 : t->cls.n),
                 t->cls.p ? t->cls.p : "");
    else
        snprintf(inner, sizeof inner, "%s", basic_name(id));
    int n = t->id == SL_Y_ARRAY ? snprintf(buf, cap, "ARRAY(%s)", inner)
                                : snprintf(buf, cap, "%s", inner);
    return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}

static uint8_t derived_type(const sl_type *t)
{
    switch (t->id) {
    case SL_TINYINT: return SL_Y_BYTE;
    case SL_SMALLINT: return SL_Y_SHORT;
    case SL_INT: return SL_Y_INT;
    case SL_BIGINT: return SL_Y_LONG;
    case SL_FLOAT:
    case SL_DOUBLE: return SL_Y_DOUBLE;
    case SL_BOOLEAN: return SL_Y_BOOLEAN;
    case SL_DATETIME: return SL_Y_TIMESTAMP;
    default: return SL_Y_STRING;
    }
}

sl_code sl_pbrows_schema_init(sl_pbrows_schema *s, const sl_tabledef *def, sl_arena_t *a,
                              sl_err *err)
{
    s->def = def;
    s->types = sl_arena_alloc(a, (def->n_cols + 1) * sizeof *s->types);
    if (s->types == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    memset(s->types, 0, (def->n_cols + 1) * sizeof *s->types);
    sl_slice prop = sl_tabledef_prop(def, "yamcs.types");
    const char *p = prop.p, *end = prop.p ? prop.p + prop.n : NULL;
    for (size_t c = 0; c < def->n_cols; c++) {
        if (prop.p == NULL) {
            s->types[c].id = derived_type(&def->cols[c].type);
            continue;
        }
        const char *q = p;
        while (q < end && *q != ';')
            q++;
        if (p >= end || sl_ytype_parse((sl_slice){p, (size_t)(q - p)}, &s->types[c], err) != SL_OK)
            return sl_fail(err, SL_INVALID, "bad yamcs.types property of table '%.*s'",
                           (int)def->name.n, def->name.p);
        p = q < end ? q + 1 : q;
    }
    return SL_OK;
}

/* ---- Yamcs time ----------------------------------------------------------------------- */

/* Start of each TAI-UTC period (Unix seconds) and its offset [IERS Bulletin C, Yamcs
 * TaiUtcConverter]. Before 1972 the first offset applies, as in Yamcs. */
static const struct {
    int64_t unix_s;
    int32_t off;
} leaps[] = {
    {63072000, 10},   {78796800, 11},   {94694400, 12},   {126230400, 13},  {157766400, 14},
    {189302400, 15},  {220924800, 16},  {252460800, 17},  {283996800, 18},  {315532800, 19},
    {362793600, 20},  {394329600, 21},  {425865600, 22},  {489024000, 23},  {567993600, 24},
    {631152000, 25},  {662688000, 26},  {709948800, 27},  {741484800, 28},  {773020800, 29},
    {820454400, 30},  {867715200, 31},  {915148800, 32},  {1136073600, 33}, {1230768000, 34},
    {1341100800, 35}, {1435708800, 36}, {1483228800, 37},
};

int64_t sl_yamcs_unix_ms_to_instant(int64_t unix_ms)
{
    int32_t off = leaps[0].off;
    for (size_t i = SL_COUNT(leaps); i-- > 0;)
        if (unix_ms >= leaps[i].unix_s * 1000) {
            off = leaps[i].off;
            break;
        }
    return unix_ms + (int64_t)off * 1000;
}

int64_t sl_yamcs_instant_to_unix_ms(int64_t instant)
{
    for (size_t i = SL_COUNT(leaps); i-- > 0;) {
        int64_t start = leaps[i].unix_s * 1000 + (int64_t)leaps[i].off * 1000;
        if (instant >= start)
            return instant - (int64_t)leaps[i].off * 1000;
        if (i > 0 && instant >= start - 1000) /* inside the leap second before period i */
            return leaps[i].unix_s * 1000 - 1;
    }
    return instant - (int64_t)leaps[0].off * 1000;
}

/* ---- the decoder state ---------------------------------------------------------------- */

typedef struct colmap {
    int32_t col;         /* table column, -1 when the id is not defined */
    sl_ytype t;          /* declared type; t.cls points into cls_copy */
    char *cls_copy;      /* heap copy of the PROTOBUF class name (outlives the chunk) */
} colmap;

struct sl_pbrows {
    const sl_pbrows_schema *s;
    colmap *ids;
    size_t cap_ids;
    uint8_t hdr[5];      /* partial varint length */
    uint8_t hdr_len;
    bool have_len;       /* msg_len is known; the body is being collected in carry */
    uint32_t msg_len;
    char *carry;
    size_t carry_len, carry_cap;
    uint64_t rows;
    sl_code failed;
    char failed_msg[SL_ERR_MSG_MAX];
    sl_buf tmp;          /* array JSON and string conversions before they go to the arena */
};

sl_pbrows *sl_pbrows_new(const sl_pbrows_schema *s)
{
    sl_pbrows *d = sl_calloc(sizeof *d);
    if (d)
        d->s = s;
    return d;
}

void sl_pbrows_free(sl_pbrows *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->cap_ids; i++)
        sl_free(d->ids[i].cls_copy);
    sl_free(d->ids);
    sl_free(d->carry);
    sl_buf_free(&d->tmp);
    sl_free(d);
}

uint64_t sl_pbrows_rows(const sl_pbrows *d)
{
    return d->rows;
}

/* ---- protobuf wire helpers ------------------------------------------------------------ */

/* Read a varint (up to 64 bits). false when malformed or cut short. */
static inline bool get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
    const uint8_t *p = *pp;
    if (SL_LIKELY(p < end && *p < 0x80)) {
        *v = *p;
        *pp = p + 1;
        return true;
    }
    uint64_t r = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (p >= end)
            return false;
        uint8_t b = *p++;
        r |= (uint64_t)(b & 0x7f) << shift;
        if (b < 0x80) {
            *v = r;
            *pp = p;
            return true;
        }
    }
    return false;
}

/* Skip one field of wire type w. false when malformed. */
static bool skip_field(const uint8_t **pp, const uint8_t *end, unsigned w)
{
    uint64_t v;
    switch (w) {
    case 0: return get_varint(pp, end, &v);
    case 1:
        if (end - *pp < 8)
            return false;
        *pp += 8;
        return true;
    case 2:
        if (!get_varint(pp, end, &v) || v > (uint64_t)(end - *pp))
            return false;
        *pp += v;
        return true;
    case 5:
        if (end - *pp < 4)
            return false;
        *pp += 4;
        return true;
    default: return false; /* groups (3, 4) and 6, 7 */
    }
}

/* A length-delimited field's bytes. */
static inline bool get_bytes(const uint8_t **pp, const uint8_t *end, sl_slice *out)
{
    uint64_t v;
    if (!get_varint(pp, end, &v) || v > (uint64_t)(end - *pp))
        return false;
    out->p = (const char *)*pp;
    out->n = (size_t)v;
    *pp += v;
    return true;
}

static inline uint64_t be64(const uint8_t *p)
{
    return (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 |
           (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
           (uint64_t)p[6] << 8 | p[7];
}

static inline uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- cell values ---------------------------------------------------------------------- */

/* A decoded cell before it is converted to the table column's type. */
enum vkind { V_INT, V_DBL, V_BOOL, V_STR, V_BIN, V_HRES, V_UUID, V_ARRAY };
typedef struct yval {
    uint8_t kind;        /* enum vkind */
    uint8_t ytype;       /* declared sl_ytype_id */
    int64_t i;           /* V_INT, V_BOOL; V_HRES: Yamcs instant ms */
    int32_t ps;          /* V_HRES: picoseconds within the millisecond */
    double d;
    sl_slice s;          /* V_STR (UTF-8), V_BIN (raw), V_UUID (16 canonical bytes), V_ARRAY (JSON) */
} yval;

/* Per-row context for error messages and the target batch. */
typedef struct rowctx {
    sl_pbrows *d;
    sl_batch *b;
    size_t r;            /* row index in the batch */
    sl_err *err;
} rowctx;

static const char *colname(const rowctx *x, size_t c, int *n)
{
    sl_slice s = x->d->s->def->cols[c].name;
    *n = (int)(s.n > 100 ? 100 : s.n);
    return s.p;
}

/* Java modified UTF-8 (CESU-8 surrogates, C0 80 for NUL) to UTF-8. ASCII is borrowed. */
static sl_code mutf8(rowctx *x, const uint8_t *p, size_t n, sl_slice *out)
{
    size_t i = 0;
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w & 0x8080808080808080ull)
            break;
        i += 8;
    }
    while (i < n && p[i] < 0x80)
        i++;
    if (i == n) {
        *out = (sl_slice){(const char *)p, n};
        return SL_OK;
    }
    char *o = sl_arena_alloc(&x->b->arena, n + 1); /* UTF-8 is never longer than MUTF-8 */
    if (o == NULL)
        return sl_fail(x->err, SL_NOMEM, "out of memory");
    memcpy(o, p, i);
    size_t k = i;
    uint32_t hi = 0; /* pending high surrogate */
    while (i < n) {
        uint8_t c = p[i];
        uint32_t u;
        if (c < 0x80)
            u = c, i++;
        else if (c >= 0xC0 && c <= 0xDF && i + 1 < n)
            u = (uint32_t)(c & 0x1F) << 6 | (p[i + 1] & 0x3F), i += 2;
        else if (c >= 0xE0 && c <= 0xEF && i + 2 < n)
            u = (uint32_t)(c & 0x0F) << 12 | (uint32_t)(p[i + 1] & 0x3F) << 6 | (p[i + 2] & 0x3F),
            i += 3;
        else
            return sl_fail(x->err, SL_INVALID, "malformed input around byte %zu", i);
        if (hi && u >= 0xDC00 && u <= 0xDFFF) {
            u = 0x10000 + ((hi - 0xD800) << 10) + (u - 0xDC00);
            hi = 0;
            o[k++] = (char)(0xF0 | u >> 18);
            o[k++] = (char)(0x80 | ((u >> 12) & 0x3F));
            o[k++] = (char)(0x80 | ((u >> 6) & 0x3F));
            o[k++] = (char)(0x80 | (u & 0x3F));
            continue;
        }
        if (hi) { /* lone high surrogate: U+FFFD */
            memcpy(o + k, "\xEF\xBF\xBD", 3);
            k += 3;
            hi = 0;
        }
        if (u >= 0xD800 && u <= 0xDBFF) {
            hi = u;
            continue;
        }
        if (u >= 0xDC00 && u <= 0xDFFF)
            u = 0xFFFD;
        if (u < 0x80)
            o[k++] = (char)u;
        else if (u < 0x800)
            o[k++] = (char)(0xC0 | u >> 6), o[k++] = (char)(0x80 | (u & 0x3F));
        else
            o[k++] = (char)(0xE0 | u >> 12), o[k++] = (char)(0x80 | ((u >> 6) & 0x3F)),
            o[k++] = (char)(0x80 | (u & 0x3F));
    }
    if (hi) {
        memcpy(o + k, "\xEF\xBF\xBD", 3);
        k += 3;
    }
    *out = (sl_slice){o, k};
    return SL_OK;
}

/* Java's Long.decode: sign, then 0x/0X/# hex, leading 0 octal, else decimal. */
static bool java_decode(sl_slice s, int64_t *v)
{
    char buf[80];
    if (s.n == 0 || s.n >= sizeof buf)
        return false;
    memcpy(buf, s.p, s.n);
    buf[s.n] = 0;
    const char *p = buf;
    bool neg = false;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    int base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        base = 16, p += 2;
    else if (p[0] == '#')
        base = 16, p++;
    else if (p[0] == '0' && p[1])
        base = 8, p++;
    if (*p == 0 || *p == '-' || *p == '+')
        return false;
    char *e;
    errno = 0;
    unsigned long long u = strtoull(p, &e, base);
    if (*e || errno)
        return false;
    if (neg ? u > 9223372036854775808ull : u > 9223372036854775807ull)
        return false;
    *v = neg ? (int64_t)(0 - u) : (int64_t)u;
    return true;
}

static void hex(char *o, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        o[2 * i] = digits[p[i] >> 4];
        o[2 * i + 1] = digits[p[i] & 15];
    }
}

static void uuid_text(char *o, const uint8_t *u)
{
    size_t k = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            o[k++] = '-';
        hex(o + k, u + i, 1);
        k += 2;
    }
}

/* Canonical UUID text (any case) to 16 bytes. */
static bool uuid_parse(sl_slice s, uint8_t *u)
{
    if (s.n != 36)
        return false;
    int k = 0;
    for (size_t i = 0; i < 36;) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s.p[i++] != '-')
                return false;
            continue;
        }
        int hv[2];
        for (int j = 0; j < 2; j++) {
            char c = s.p[i + (size_t)j];
            hv[j] = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (hv[j] < 0)
                return false;
        }
        u[k++] = (uint8_t)(hv[0] << 4 | hv[1]);
        i += 2;
    }
    return true;
}

/* Is a Yamcs instant (ms) inside years 0001-9999 once converted? */
static bool instant_in_range(int64_t ms)
{
    return ms > -62135596800000 + 40000 && ms < 253402300799999 - 40000;
}

static sl_code decode_scalar(rowctx *x, uint8_t t, sl_slice cls, const uint8_t *p, size_t n,
                             size_t *used, yval *v);

/* ARRAY(T) cell: u32 byte length, then the elements in T's encoding; rendered as JSON. */
static sl_code decode_array(rowctx *x, const sl_ytype *t, const uint8_t *p, size_t n, yval *v)
{
    if (n < 4)
        return sl_fail(x->err, SL_INVALID, "array cell shorter than its length prefix");
    uint32_t len = be32(p);
    if (len > n - 4 || len > (1u << 20))
        return sl_fail(x->err, SL_INVALID, "array length %u exceeds the cell", len);
    sl_buf *j = &x->d->tmp;
    sl_buf_clear(j);
    sl_buf_putc(j, '[');
    const uint8_t *q = p + 4, *end = p + 4 + len;
    for (size_t k = 0; q < end; k++) {
        yval e;
        size_t u = 0;
        sl_code rc = decode_scalar(x, t->elem, t->cls, q, (size_t)(end - q), &u, &e);
        if (rc != SL_OK)
            return rc;
        q += u;
        if (k)
            sl_buf_putc(j, ',');
        char tb[64];
        switch (e.kind) {
        case V_INT:
            if (e.ytype == SL_Y_TIMESTAMP) {
                sl_format_datetime(sl_yamcs_instant_to_unix_ms(e.i) * 1000, 3, tb);
                sl_json_cstr(j, tb);
            } else
                sl_buf_printf(j, "%lld", (long long)e.i);
            break;
        case V_BOOL: sl_buf_puts(j, e.i ? "true" : "false"); break;
        case V_DBL:
            sl_format_double(e.d, tb);
            if (isfinite(e.d))
                sl_buf_puts(j, tb);
            else
                sl_json_cstr(j, tb);
            break;
        case V_HRES:
            sl_format_datetime(sl_yamcs_instant_to_unix_ms(e.i) * 1000 + e.ps / 1000000, 6, tb);
            sl_json_cstr(j, tb);
            break;
        case V_UUID:
            uuid_text(tb, (const uint8_t *)e.s.p);
            sl_json_str(j, tb, 36);
            break;
        case V_STR: sl_json_str(j, e.s.p, e.s.n); break;
        default: { /* V_BIN */
            char *h = sl_arena_alloc(&x->b->arena, e.s.n * 2 + 1);
            if (h == NULL)
                return sl_fail(x->err, SL_NOMEM, "out of memory");
            hex(h, (const uint8_t *)e.s.p, e.s.n);
            sl_json_str(j, h, e.s.n * 2);
        }
        }
    }
    sl_buf_putc(j, ']');
    if (j->oom)
        return sl_fail(x->err, SL_NOMEM, "out of memory");
    char *o = sl_arena_memdup(&x->b->arena, j->p, j->len);
    if (o == NULL)
        return sl_fail(x->err, SL_NOMEM, "out of memory");
    v->kind = V_ARRAY;
    v->s = (sl_slice){o, j->len};
    return SL_OK;
}

/* Decode one value of scalar type t at p (n bytes available); *used receives its size (fixed
 * types ignore trailing bytes, as Yamcs does). */
static sl_code decode_scalar(rowctx *x, uint8_t t, sl_slice cls, const uint8_t *p, size_t n,
                             size_t *used, yval *v)
{
    (void)cls;
    static const uint8_t fixed[17] = {0, 1, 2, 4, 8, 8, 0, 0, 1, 8, 0, 0, 0, 0, 0, 12, 16};
    v->ytype = t;
    if (t < SL_COUNT(fixed) && fixed[t] && n < fixed[t])
        return sl_fail(x->err, SL_INVALID, "%s cell of %zu bytes is too short", basic_name(t), n);
    switch (t) {
    case SL_Y_BYTE: v->kind = V_INT, v->i = (int8_t)p[0], *used = 1; return SL_OK;
    case SL_Y_SHORT: v->kind = V_INT, v->i = (int16_t)(p[0] << 8 | p[1]), *used = 2; return SL_OK;
    case SL_Y_INT: v->kind = V_INT, v->i = (int32_t)be32(p), *used = 4; return SL_OK;
    case SL_Y_LONG:
    case SL_Y_TIMESTAMP: v->kind = V_INT, v->i = (int64_t)be64(p), *used = 8; return SL_OK;
    case SL_Y_DOUBLE: {
        uint64_t bits = be64(p);
        memcpy(&v->d, &bits, 8);
        v->kind = V_DBL, *used = 8;
        return SL_OK;
    }
    case SL_Y_BOOLEAN: v->kind = V_BOOL, v->i = p[0] != 0, *used = 1; return SL_OK;
    case SL_Y_HRES_TIMESTAMP: {
        int64_t ms = (int64_t)be64(p);
        int64_t ps = (int32_t)be32(p + 8);
        ms += ps / 1000000000, ps %= 1000000000; /* normalise as Yamcs does */
        if (ps < 0)
            ms -= 1, ps += 1000000000;
        v->kind = V_HRES, v->i = ms, v->ps = (int32_t)ps, *used = 12;
        return SL_OK;
    }
    case SL_Y_UUID: {
        char *u = sl_arena_alloc(&x->b->arena, 16);
        if (u == NULL)
            return sl_fail(x->err, SL_NOMEM, "out of memory");
        memcpy(u, p, 16);
        u[0] = (char)(u[0] ^ 0x80);
        u[8] = (char)(u[8] ^ 0x80);
        v->kind = V_UUID, v->s = (sl_slice){u, 16}, *used = 16;
        return SL_OK;
    }
    case SL_Y_STRING:
    case SL_Y_ENUM: {
        if (n < 2)
            return sl_fail(x->err, SL_INVALID, "string cell shorter than its length prefix");
        size_t len = (size_t)(p[0] << 8 | p[1]);
        if (len > n - 2)
            return sl_fail(x->err, SL_INVALID, "string length %zu exceeds the cell", len);
        v->kind = V_STR, *used = 2 + len;
        return mutf8(x, p + 2, len, &v->s);
    }
    case SL_Y_BINARY:
    case SL_Y_PROTOBUF:
    case SL_Y_PARAMETER_VALUE: {
        if (n < 4)
            return sl_fail(x->err, SL_INVALID, "binary cell shorter than its length prefix");
        uint32_t len = be32(p);
        if (len > n - 4)
            return sl_fail(x->err, SL_INVALID, "binary length %u exceeds the cell", len);
        v->kind = V_BIN, v->s = (sl_slice){(const char *)p + 4, len}, *used = 4 + (size_t)len;
        return SL_OK;
    }
    default: return sl_fail(x->err, SL_INVALID, "unsupported element type");
    }
}

/* ---- writing a value into the batch (the sluice column's physical form) --------------- */

static sl_code conv_fail(rowctx *x, size_t c, const char *what)
{
    int nn;
    const char *nm = colname(x, c, &nn);
    return sl_fail(x->err, SL_INVALID, "cannot convert %s for column '%.*s'", what, nn, nm);
}

/* Text into column c: text columns take it (length checked), others parse it. */
static sl_code put_text(rowctx *x, size_t c, sl_slice s)
{
    sl_column *col = &x->b->cols[c];
    const sl_type *t = &col->def->type;
    if (SL_LIKELY(sl_type_is_text(t))) {
        if ((t->id == SL_CHAR || t->id == SL_VARCHAR) && s.n > t->len) {
            int nn;
            const char *nm = colname(x, c, &nn);
            return sl_fail(x->err, SL_INVALID, "value of %zu bytes too long for column '%.*s' "
                           "(limit %u)", s.n, nn, nm, t->len);
        }
        col->v[x->r].s.p = s.p;
        col->v[x->r].s.n = s.n;
        col->null[x->r] = 0;
        x->b->bytes += s.n;
        return SL_OK;
    }
    sl_conv_ctx cc = {0};
    if (sl_convert(t, s, &col->v[x->r], &cc) != SL_CONV_OK)
        return conv_fail(x, c, "text");
    col->null[x->r] = 0;
    return SL_OK;
}

static sl_code put_int(rowctx *x, size_t c, int64_t v)
{
    sl_column *col = &x->b->cols[c];
    static const int64_t lim[] = {INT8_MAX, INT16_MAX, INT32_MAX, INT64_MAX};
    switch (col->def->type.id) {
    case SL_TINYINT:
    case SL_SMALLINT:
    case SL_INT:
    case SL_BIGINT:
        if (v > lim[col->def->type.id] || v < -lim[col->def->type.id] - 1)
            return conv_fail(x, c, "an out-of-range integer");
        col->v[x->r].i = v;
        break;
    case SL_BOOLEAN: col->v[x->r].i = v != 0; break;
    case SL_LARGEINT: col->v[x->r].w = v; break;
    case SL_FLOAT: col->v[x->r].d = (float)v; break;
    case SL_DOUBLE: col->v[x->r].d = (double)v; break;
    default: {
        char buf[32];
        int k = snprintf(buf, sizeof buf, "%lld", (long long)v);
        char *s = sl_arena_memdup(&x->b->arena, buf, (size_t)k);
        if (s == NULL)
            return sl_fail(x->err, SL_NOMEM, "out of memory");
        return put_text(x, c, (sl_slice){s, (size_t)k});
    }
    }
    col->null[x->r] = 0;
    return SL_OK;
}

static sl_code put_double(rowctx *x, size_t c, double d)
{
    sl_column *col = &x->b->cols[c];
    if (col->def->type.id == SL_DOUBLE || col->def->type.id == SL_FLOAT) {
        col->v[x->r].d = col->def->type.id == SL_FLOAT ? (float)d : d;
        col->null[x->r] = 0;
        return SL_OK;
    }
    char buf[48];
    size_t k = sl_format_double(d, buf);
    char *s = sl_arena_memdup(&x->b->arena, buf, k);
    if (s == NULL)
        return sl_fail(x->err, SL_NOMEM, "out of memory");
    return put_text(x, c, (sl_slice){s, k});
}

/* A UTC time in microseconds since 1970. */
static sl_code put_time_us(rowctx *x, size_t c, int64_t us, unsigned prec)
{
    sl_column *col = &x->b->cols[c];
    if (col->def->type.id == SL_DATETIME) {
        col->v[x->r].i = us;
        col->null[x->r] = 0;
        return SL_OK;
    }
    char buf[64];
    size_t k = sl_format_datetime(us, prec, buf);
    char *s = sl_arena_memdup(&x->b->arena, buf, k);
    if (s == NULL)
        return sl_fail(x->err, SL_NOMEM, "out of memory");
    return put_text(x, c, (sl_slice){s, k});
}

static sl_code put_instant(rowctx *x, size_t c, int64_t ms, int32_t ps, unsigned prec)
{
    if (!instant_in_range(ms))
        return conv_fail(x, c, "a timestamp outside years 1-9999");
    return put_time_us(x, c, sl_yamcs_instant_to_unix_ms(ms) * 1000 + ps / 1000000, prec);
}

/* Java narrowing of a double to a long (NaN 0, saturating). */
static int64_t d2l(double d)
{
    if (d != d)
        return 0;
    if (d >= 9223372036854775807.0)
        return INT64_MAX;
    if (d <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)d;
}

/* Java narrowing to the width of Yamcs integer type t. */
static int64_t narrow(uint8_t t, int64_t v, bool from_double, double d)
{
    switch (t) {
    case SL_Y_BYTE: return (int8_t)(from_double ? (int32_t)(d2l(d) > INT32_MAX ? INT32_MAX
                                                 : d2l(d) < INT32_MIN ? INT32_MIN : d2l(d)) : v);
    case SL_Y_SHORT: return (int16_t)(from_double ? (int32_t)(d2l(d) > INT32_MAX ? INT32_MAX
                                                   : d2l(d) < INT32_MIN ? INT32_MIN : d2l(d)) : v);
    case SL_Y_INT: {
        int64_t w = from_double ? d2l(d) : v;
        if (from_double)
            return w > INT32_MAX ? INT32_MAX : w < INT32_MIN ? INT32_MIN : w;
        return (int32_t)(uint32_t)(uint64_t)w;
    }
    default: return from_double ? d2l(d) : v;
    }
}

/* Convert v (declared type v->ytype) to the table column c of Yamcs type tt and store it
 * (Yamcs DataType.castAs, specs/yamcs-tables.md §3.2). */
static sl_code put_value(rowctx *x, size_t c, const sl_ytype *tt, const yval *v)
{
    char buf[64];
    switch (tt->id) {
    case SL_Y_BYTE:
    case SL_Y_SHORT:
    case SL_Y_INT:
    case SL_Y_LONG:
        if (v->kind == V_INT)
            return put_int(x, c, narrow(tt->id, v->i, false, 0));
        if (v->kind == V_DBL)
            return put_int(x, c, narrow(tt->id, 0, true, v->d));
        if (v->kind == V_HRES)
            return put_int(x, c, narrow(tt->id, v->i, false, 0));
        if (v->kind == V_STR) {
            int64_t i;
            if (!java_decode(v->s, &i) || narrow(tt->id, i, false, 0) != i)
                return conv_fail(x, c, "a string to an integer");
            return put_int(x, c, i);
        }
        break;
    case SL_Y_DOUBLE:
        if (v->kind == V_INT || v->kind == V_HRES)
            return put_double(x, c, (double)v->i);
        if (v->kind == V_DBL)
            return put_double(x, c, v->d);
        if (v->kind == V_STR && v->s.n && v->s.n < sizeof buf) {
            memcpy(buf, v->s.p, v->s.n);
            buf[v->s.n] = 0;
            char *e;
            double d = strtod(buf, &e);
            if (*e == 0)
                return put_double(x, c, d);
        }
        break;
    case SL_Y_BOOLEAN:
        if (v->kind == V_BOOL)
            return put_int(x, c, v->i);
        break;
    case SL_Y_TIMESTAMP:
    case SL_Y_HRES_TIMESTAMP: {
        unsigned prec = tt->id == SL_Y_TIMESTAMP ? 3 : 6;
        if (v->kind == V_INT)
            return put_instant(x, c, v->i, 0, prec);
        if (v->kind == V_DBL)
            return put_instant(x, c, d2l(v->d), 0, prec);
        if (v->kind == V_HRES)
            return put_instant(x, c, v->i, tt->id == SL_Y_TIMESTAMP ? 0 : v->ps, prec);
        if (v->kind == V_STR) {
            sl_type dt = {SL_DATETIME, (uint8_t)prec, 0, 0, 0};
            sl_datum o;
            sl_conv_ctx cc = {0};
            if (sl_convert(&dt, v->s, &o, &cc) == SL_CONV_OK)
                return put_time_us(x, c, o.i, prec);
        }
        break;
    }
    case SL_Y_STRING:
    case SL_Y_ENUM:
        if (v->kind == V_STR)
            return put_text(x, c, v->s);
        if (v->kind == V_INT || v->kind == V_HRES)
            return put_int(x, c, v->i);
        if (v->kind == V_DBL)
            return put_double(x, c, v->d);
        break;
    case SL_Y_UUID:
        if (v->kind == V_UUID || v->kind == V_STR) {
            uint8_t u[16];
            if (v->kind == V_STR && !uuid_parse(v->s, u))
                break;
            char *o = sl_arena_alloc(&x->b->arena, 37);
            if (o == NULL)
                return sl_fail(x->err, SL_NOMEM, "out of memory");
            uuid_text(o, v->kind == V_UUID ? (const uint8_t *)v->s.p : u);
            return put_text(x, c, (sl_slice){o, 36});
        }
        break;
    case SL_Y_BINARY:
    case SL_Y_PARAMETER_VALUE:
    case SL_Y_PROTOBUF:
        if (v->kind == V_BIN && v->ytype == tt->id) {
            char *o = sl_arena_alloc(&x->b->arena, v->s.n * 2 + 1);
            if (o == NULL)
                return sl_fail(x->err, SL_NOMEM, "out of memory");
            hex(o, (const uint8_t *)v->s.p, v->s.n);
            return put_text(x, c, (sl_slice){o, v->s.n * 2});
        }
        break;
    case SL_Y_ARRAY:
        if (v->kind == V_ARRAY)
            return put_text(x, c, v->s);
        break;
    default: break;
    }
    int nn;
    const char *nm = colname(x, c, &nn);
    char from[300];
    sl_ytype ft = {v->ytype, 0, SL_SLICE_NULL};
    if (v->kind == V_ARRAY)
        ft.id = SL_Y_ARRAY, ft.elem = v->ytype;
    sl_ytype_name(&ft, from, sizeof from);
    sl_ytype_name(tt, buf, sizeof buf);
    return sl_fail(x->err, SL_INVALID, "cannot convert column '%.*s' from %s into %s", nn, nm,
                   from, buf);
}

/* ---- rows ----------------------------------------------------------------------------- */

/* Register one ColumnInfo message. */
static sl_code column_info(rowctx *x, const uint8_t *p, const uint8_t *end)
{
    sl_pbrows *d = x->d;
    uint64_t id = 0, tag;
    bool has_id = false;
    sl_slice name = SL_SLICE_NULL, type = SL_SLICE_NULL, ign;
    while (p < end) {
        if (!get_varint(&p, end, &tag))
            goto bad;
        if (tag == (1 << 3 | 0)) {
            if (!get_varint(&p, end, &id))
                goto bad;
            id = (uint32_t)id, has_id = true;
        } else if (tag == (2 << 3 | 2)) {
            if (!get_bytes(&p, end, &name))
                goto bad;
        } else if (tag == (3 << 3 | 2)) {
            if (!get_bytes(&p, end, &type))
                goto bad;
        } else if (tag == (4 << 3 | 2)) {
            if (!get_bytes(&p, end, &ign))
                goto bad;
        } else if (!skip_field(&p, end, (unsigned)(tag & 7)))
            goto bad;
    }
    if (!has_id || name.p == NULL || type.p == NULL)
        return sl_fail(x->err, SL_INVALID,
                       "Invalid row provided, no id or name or type in the column info");
    if (id >= SL_PBROWS_MAX_COL_ID)
        return sl_fail(x->err, SL_INVALID, "Too many columns specified");
    sl_ytype t;
    if (sl_ytype_parse(type, &t, x->err) != SL_OK)
        return SL_INVALID;
    long c = sl_tabledef_find(d->s->def, name);
    if (c < 0)
        return sl_fail(x->err, SL_INVALID,
                       "unknown column '%.*s': table '%.*s' has no such column and sluice does "
                       "not extend table schemas", (int)(name.n > 100 ? 100 : name.n), name.p,
                       (int)d->s->def->name.n, d->s->def->name.p);
    if (id >= d->cap_ids) {
        size_t cap = d->cap_ids ? d->cap_ids : 16;
        while (cap <= id)
            cap *= 2;
        colmap *m = sl_realloc(d->ids, cap * sizeof *m);
        if (m == NULL)
            return sl_fail(x->err, SL_NOMEM, "out of memory");
        for (size_t i = d->cap_ids; i < cap; i++)
            m[i] = (colmap){-1, {0, 0, SL_SLICE_NULL}, NULL};
        d->ids = m;
        d->cap_ids = cap;
    }
    colmap *m = &d->ids[id];
    if (t.cls.p) { /* keep the class name beyond this chunk */
        if (m->cls_copy == NULL || strlen(m->cls_copy) != t.cls.n ||
            memcmp(m->cls_copy, t.cls.p, t.cls.n) != 0) {
            char *cp = sl_malloc(t.cls.n + 1);
            if (cp == NULL)
                return sl_fail(x->err, SL_NOMEM, "out of memory");
            memcpy(cp, t.cls.p, t.cls.n);
            cp[t.cls.n] = 0;
            sl_free(m->cls_copy);
            m->cls_copy = cp;
        }
        t.cls = (sl_slice){m->cls_copy, t.cls.n};
    }
    m->col = (int32_t)c;
    m->t = t;
    return SL_OK;
bad:
    return sl_fail(x->err, SL_INVALID, "malformed ColumnInfo message");
}

/* Decode one Cell message into the row. */
static sl_code cell(rowctx *x, const uint8_t *p, const uint8_t *end)
{
    sl_pbrows *d = x->d;
    uint64_t id = 0, tag;
    bool has_id = false;
    sl_slice data = SL_SLICE_NULL;
    while (p < end) {
        if (!get_varint(&p, end, &tag))
            goto bad;
        if (tag == (1 << 3 | 0)) {
            if (!get_varint(&p, end, &id))
                goto bad;
            id = (uint32_t)id, has_id = true;
        } else if (tag == (2 << 3 | 2)) {
            if (!get_bytes(&p, end, &data))
                goto bad;
        } else if (!skip_field(&p, end, (unsigned)(tag & 7)))
            goto bad;
    }
    if (!has_id || data.p == NULL)
        return sl_fail(x->err, SL_INVALID, "Invalid cell provided, no id or no data");
    if (id >= d->cap_ids || d->ids[id].col < 0)
        return sl_fail(x->err, SL_INVALID,
                       "Invalid column id %u specified. It has to be defined by the ColumnInfo "
                       "message", (unsigned)id);
    const colmap *m = &d->ids[id];
    size_t c = (size_t)m->col;
    if (x->b->cols[c].null[x->r] == 0) {
        int nn;
        const char *nm = colname(x, c, &nn);
        return sl_fail(x->err, SL_INVALID, "Tuple has already a column '%.*s'", nn, nm);
    }
    const uint8_t *dp = (const uint8_t *)data.p;
    yval v;
    sl_code rc;
    if (m->t.id == SL_Y_ARRAY)
        rc = decode_array(x, &m->t, dp, data.n, &v);
    else {
        size_t used = 0;
        rc = decode_scalar(x, m->t.id, m->t.cls, dp, data.n, &used, &v);
    }
    if (rc != SL_OK)
        return rc;
    if (v.kind == V_BIN && m->t.id == SL_Y_PROTOBUF) { /* class must match the table's */
        const sl_ytype *tt = &d->s->types[c];
        if (tt->id == SL_Y_PROTOBUF && (tt->cls.n != m->t.cls.n ||
                                        memcmp(tt->cls.p, m->t.cls.p, m->t.cls.n) != 0))
            return sl_fail(x->err, SL_INVALID, "cannot convert column '%.*s' from PROTOBUF(%.*s)",
                           (int)d->s->def->cols[c].name.n, d->s->def->cols[c].name.p,
                           (int)m->t.cls.n, m->t.cls.p);
    }
    return put_value(x, c, &d->s->types[c], &v);
bad:
    return sl_fail(x->err, SL_INVALID, "malformed Cell message");
}

/* Walk a Row's fields. mode: W_ALL handles both kinds in message order, W_CELLS skips the
 * ColumnInfos (second pass), W_COLS skips the cells. *late is set when a ColumnInfo follows a
 * cell: the caller then decodes the cells again with every column of the row registered. */
enum { W_ALL, W_CELLS, W_COLS };
static sl_code walk_row(rowctx *x, const uint8_t *p, const uint8_t *end, int mode, bool *late)
{
    bool seen_cell = false;
    while (p < end) {
        uint64_t tag;
        sl_slice f;
        if (!get_varint(&p, end, &tag))
            return sl_fail(x->err, SL_INVALID, "malformed Row message");
        if (tag == (1 << 3 | 2) || tag == (2 << 3 | 2)) {
            if (!get_bytes(&p, end, &f))
                return sl_fail(x->err, SL_INVALID, "malformed Row message");
            const uint8_t *fp = (const uint8_t *)f.p;
            sl_code rc = SL_OK;
            if (tag == (2 << 3 | 2) && mode != W_COLS) {
                seen_cell = true;
                rc = cell(x, fp, fp + f.n);
                if (rc != SL_OK && mode == W_ALL) {
                    /* a ColumnInfo later in the row may define this cell's id */
                    sl_err keep = *x->err;
                    sl_err_clear(x->err);
                    bool any = false;
                    if (walk_row(x, p, end, W_COLS, &any) == SL_OK && any) {
                        *late = true;
                        return SL_OK;
                    }
                    *x->err = keep;
                    return rc;
                }
            } else if (tag == (1 << 3 | 2) && mode != W_CELLS) {
                if (seen_cell || mode == W_COLS)
                    *late = true;
                rc = column_info(x, fp, fp + f.n);
            }
            if (rc != SL_OK)
                return rc;
        } else if (!skip_field(&p, end, (unsigned)(tag & 7)))
            return sl_fail(x->err, SL_INVALID, "malformed Row message");
    }
    return SL_OK;
}

static void clear_row(sl_batch *b, size_t r)
{
    for (size_t c = 0; c < b->n_cols; c++)
        b->cols[c].null[r] = 1;
}

/* Decode one complete Row message into row b->n_rows; on success the row is counted. */
static sl_code decode_row(sl_pbrows *d, const uint8_t *p, size_t n, sl_batch *b, sl_err *err)
{
    rowctx x = {d, b, b->n_rows, err};
    bool late = false;
    clear_row(b, x.r);
    sl_code rc = walk_row(&x, p, p + n, W_ALL, &late);
    if (rc == SL_OK && late) {
        clear_row(b, x.r);
        rc = walk_row(&x, p, p + n, W_CELLS, &late);
    }
    if (rc != SL_OK)
        return rc;
    const sl_tabledef *def = d->s->def;
    for (size_t c = 0; c < def->n_cols; c++) {
        if (b->cols[c].null[x.r] && (def->cols[c].key || !def->cols[c].nullable))
            return sl_fail(err, SL_INVALID, "Tuple does not have mandatory column '%.*s'",
                           (int)def->cols[c].name.n, def->cols[c].name.p);
    }
    b->n_rows++;
    d->rows++;
    return SL_OK;
}

/* Parse a varint32 frame length from p (n bytes). Returns 1 done, 0 need more, -1 malformed. */
static int frame_len(const uint8_t *p, size_t n, uint32_t *len, size_t *used)
{
    uint32_t r = 0;
    for (size_t i = 0; i < 5; i++) {
        if (i >= n)
            return 0;
        r |= (uint32_t)(p[i] & 0x7f) << (7 * i);
        if (p[i] < 0x80) {
            *len = r;
            *used = i + 1;
            return 1;
        }
    }
    return -1;
}

static sl_code poison(sl_pbrows *d, sl_code rc, sl_err *err)
{
    d->failed = rc;
    snprintf(d->failed_msg, sizeof d->failed_msg, "%s", err->msg);
    return rc;
}

static sl_code check_len(sl_pbrows *d, uint32_t len, sl_err *err)
{
    if (len > SL_PBROWS_MAX_ROW)
        return poison(d, sl_fail(err, SL_TOO_LARGE, "row of %u bytes exceeds the limit of %u "
                                 "bytes", len, SL_PBROWS_MAX_ROW), err);
    return SL_OK;
}

/* Continue a message that started in an earlier chunk. */
static sl_code push_carry(sl_pbrows *d, const uint8_t **pp, const uint8_t *end, sl_batch *b,
                          sl_err *err)
{
    const uint8_t *p = *pp;
    while (!d->have_len && p < end) {
        d->hdr[d->hdr_len++] = *p++;
        size_t u;
        int k = frame_len(d->hdr, d->hdr_len, &d->msg_len, &u);
        if (k < 0)
            return poison(d, sl_fail(err, SL_INVALID, "malformed varint length prefix"), err);
        if (k > 0) {
            d->have_len = true;
            if (check_len(d, d->msg_len, err) != SL_OK)
                return d->failed;
            if (d->msg_len > d->carry_cap) {
                char *nc = sl_realloc(d->carry, d->msg_len);
                if (nc == NULL)
                    return poison(d, sl_fail(err, SL_NOMEM, "out of memory"), err);
                d->carry = nc;
                d->carry_cap = d->msg_len;
            }
            d->carry_len = 0;
        }
    }
    if (d->have_len) {
        size_t want = d->msg_len - d->carry_len, take = (size_t)(end - p);
        if (take > want)
            take = want;
        if (take)
            memcpy(d->carry + d->carry_len, p, take);
        d->carry_len += take;
        p += take;
        if (d->carry_len == d->msg_len) {
            d->have_len = false;
            d->hdr_len = 0;
            sl_code rc = decode_row(d, (const uint8_t *)d->carry, d->msg_len, b, err);
            if (rc != SL_OK)
                return poison(d, rc, err);
        }
    }
    *pp = p;
    return SL_OK;
}

sl_code sl_pbrows_push(sl_pbrows *d, const char *in, size_t n, sl_batch *b, size_t *used,
                       sl_err *err)
{
    const uint8_t *p = (const uint8_t *)in, *end = p + n;
    *used = 0;
    if (d->failed)
        return sl_fail(err, d->failed, "%s", d->failed_msg);
    if (d->hdr_len || d->have_len) {
        if (sl_batch_full(b))
            return SL_OK;
        sl_code rc = push_carry(d, &p, end, b, err);
        *used = (size_t)(p - (const uint8_t *)in);
        if (rc != SL_OK || d->hdr_len || d->have_len)
            return rc;
    }
    while (p < end) {
        if (sl_batch_full(b))
            break;
        uint32_t len;
        size_t hl;
        int k = frame_len(p, (size_t)(end - p), &len, &hl);
        if (k < 0)
            return poison(d, sl_fail(err, SL_INVALID, "malformed varint length prefix"), err);
        if (k == 0 || len > (size_t)(end - p) - hl) { /* partial: carry it */
            if (b->n_rows)
                break; /* rows may point into the carry: the caller flushes them first */
            sl_code rc = push_carry(d, &p, end, b, err);
            if (rc != SL_OK)
                return rc;
            break;
        }
        if (SL_UNLIKELY(len > SL_PBROWS_MAX_ROW))
            return check_len(d, len, err);
        sl_code rc = decode_row(d, p + hl, len, b, err);
        if (rc != SL_OK)
            return poison(d, rc, err);
        p += hl + len;
    }
    *used = (size_t)(p - (const uint8_t *)in);
    return SL_OK;
}

sl_code sl_pbrows_finish(sl_pbrows *d, sl_err *err)
{
    if (d->failed)
        return sl_fail(err, d->failed, "%s", d->failed_msg);
    if (d->hdr_len || d->have_len)
        return poison(d, sl_fail(err, SL_INVALID, "truncated row at end of body"), err);
    return SL_OK;
}
