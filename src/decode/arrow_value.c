/*
 * arrow_value.c - elements of Arrow arrays as text, nested ones as JSON text (decode stage,
 * issue 15; see arrow.h).
 *
 * Buffers were bound and their fixed sizes checked when the batch was read (arrow.c); what
 * depends on data - offsets, union type ids, dictionary indices, run ends - is checked here at
 * each access, so a corrupt stream fails the load instead of reading outside a buffer.
 * Recursion follows the schema, whose depth is bounded.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <string.h>

#include "arrow.h"

static sl_code corrupt(const ar_array *a, sl_err *err, const char *what)
{
    return sl_fail(err, SL_INVALID, "arrow stream is corrupt: column %.*s: %s",
                   (int)a->f->name.n, a->f->name.p, what);
}

static int64_t read_int(const uint8_t *p, int bits, bool is_signed)
{
    switch (bits) {
    case 8: return is_signed ? (int8_t)p[0] : p[0];
    case 16: return is_signed ? (int16_t)sl__le16(p) : sl__le16(p);
    case 32: return is_signed ? (int32_t)sl_le32(p) : (int64_t)sl_le32(p);
    default: return (int64_t)sl_le64(p);
    }
}

static bool bit(const uint8_t *p, int64_t i)
{
    return (p[i >> 3] >> (i & 7)) & 1;
}

/* Dictionary index of element i, checked against the dictionary. */
static bool dict_index(const ar_array *a, int64_t i, int64_t *k)
{
    *k = read_int(a->b1 + (size_t)i * (size_t)(a->f->idx_bits / 8), a->f->idx_bits,
                  a->f->idx_signed);
    return a->dict && *k >= 0 && *k < a->dict->len;
}

/* Run-end encoded: the run holding element i (binary search over the run ends). */
static bool run_of(const ar_array *a, int64_t i, int64_t *run)
{
    const ar_array *ends = &a->kids[0];
    int bits = ends->f->bits;
    int64_t lo = 0, hi = ends->len;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (read_int(ends->b1 + (size_t)mid * (size_t)(bits / 8), bits, true) > i)
            hi = mid;
        else
            lo = mid + 1;
    }
    *run = lo;
    return lo < a->kids[1].len;
}

/* Union: the child and its element for element i; false when corrupt. */
static bool union_pick(const ar_array *a, int64_t i, const ar_array **kid, int64_t *j)
{
    int8_t id = (int8_t)a->b1[i];
    int k = -1;
    for (int c = 0; c < a->f->n_kids; c++)
        if ((a->f->type_ids ? a->f->type_ids[c] : c) == id)
            k = c;
    if (k < 0)
        return false;
    *kid = &a->kids[k];
    *j = a->f->dense ? (int32_t)sl_le32(a->b2 + (size_t)i * 4) : i;
    return *j >= 0 && *j < (*kid)->len;
}

bool sl__ar_is_null(const ar_array *a, int64_t i)
{
    const ar_array *k;
    int64_t j;
    switch (a->f->type) {
    case AT_NULL: return true;
    case AT_UNION: return !union_pick(a, i, &k, &j) || sl__ar_is_null(k, j);
    case AT_RUN_END: return !run_of(a, i, &j) || sl__ar_is_null(&a->kids[1], j);
    default:
        if (a->valid && !bit(a->valid, i))
            return true;
        /* a dictionary-encoded value is NULL when its dictionary entry is */
        return a->dict_field && dict_index(a, i, &j) && sl__ar_is_null(a->dict, j);
    }
}

bool sl__ar_nested(const ar_field *f)
{
    switch (f->type) {
    case AT_LIST:
    case AT_STRUCT:
    case AT_UNION:
    case AT_FIXED_LIST:
    case AT_MAP:
    case AT_LARGE_LIST:
    case AT_LIST_VIEW:
    case AT_LARGE_LIST_VIEW: return true;
    case AT_RUN_END: return f->n_kids == 2 && sl__ar_nested(&f->kids[1]);
    default: return false;
    }
}

/* Byte range of a variable-length element. */
static sl_code var_bytes(const ar_array *a, int64_t i, sl_slice *out, sl_err *err)
{
    int t = a->f->type;
    if (t == AT_BINARY_VIEW || t == AT_UTF8_VIEW) {
        const uint8_t *v = a->b1 + (size_t)i * 16;
        int32_t len = (int32_t)sl_le32(v);
        if (len < 0)
            return corrupt(a, err, "negative view length");
        if (len <= 12) {
            *out = (sl_slice){(const char *)v + 4, (size_t)len};
            return SL_OK;
        }
        int32_t buf = (int32_t)sl_le32(v + 8), off = (int32_t)sl_le32(v + 12);
        if (buf < 0 || buf >= a->n_var || off < 0 || (size_t)off > a->var_n[buf] ||
            (size_t)len > a->var_n[buf] - (size_t)off)
            return corrupt(a, err, "view out of range");
        *out = (sl_slice){(const char *)a->var[buf] + off, (size_t)len};
        return SL_OK;
    }
    bool large = t == AT_LARGE_BINARY || t == AT_LARGE_UTF8;
    int64_t s, e;
    if (large) {
        s = (int64_t)sl_le64(a->b1 + (size_t)i * 8);
        e = (int64_t)sl_le64(a->b1 + (size_t)i * 8 + 8);
    } else {
        s = (int32_t)sl_le32(a->b1 + (size_t)i * 4);
        e = (int32_t)sl_le32(a->b1 + (size_t)i * 4 + 4);
    }
    if (s < 0 || e < s || (uint64_t)e > a->n2)
        return corrupt(a, err, "offsets out of range");
    *out = (sl_slice){(const char *)a->b2 + s, (size_t)(e - s)};
    return SL_OK;
}

static size_t decimal_text(const ar_array *a, const uint8_t *p, char *d)
{
    int bits = a->f->bits;
    if (bits == 32 || bits == 64)
        return sl__cfmt_dec128(d, read_int(p, bits, true), a->f->scale);
    uint8_t be[32];
    size_t n = (size_t)bits / 8;
    for (size_t k = 0; k < n; k++)
        be[k] = p[n - 1 - k];
    return sl__cfmt_dec_be(d, be, n, a->f->scale);
}

static const int64_t PER_SEC[4] = {1, 1000, 1000000, 1000000000};

/* Text of a fixed-width value at element i (numbers, dates, times). */
static size_t fixed_text(const ar_array *a, int64_t i, const sl__ltz *tz, char *d)
{
    const ar_field *f = a->f;
    const uint8_t *b = a->b1;
    int64_t s;
    uint32_t ns;
    switch (f->type) {
    case AT_INT: {
        int64_t v = read_int(b + (size_t)i * (size_t)(f->bits / 8), f->bits, f->is_signed);
        return f->bits == 64 && !f->is_signed ? sl__cfmt_u64(d, (uint64_t)v) : sl__cfmt_i64(d, v);
    }
    case AT_FLOAT:
        if (f->bits == 0)
            return sl__cfmt_float(d, sl__half_to_float(sl__le16(b + (size_t)i * 2)));
        if (f->bits == 1) {
            float v;
            uint32_t u = sl_le32(b + (size_t)i * 4);
            memcpy(&v, &u, 4);
            return sl__cfmt_float(d, v);
        } else {
            double v;
            uint64_t u = sl_le64(b + (size_t)i * 8);
            memcpy(&v, &u, 8);
            return sl__cfmt_double(d, v);
        }
    case AT_BOOL: d[0] = bit(b, i) ? '1' : '0'; return 1;
    case AT_DECIMAL: return decimal_text(a, b + (size_t)i * (size_t)(f->bits / 8), d);
    case AT_DATE:
        if (f->unit == 0)
            return sl__cfmt_date(d, (int32_t)sl_le32(b + (size_t)i * 4));
        sl__split_ts((int64_t)sl_le64(b + (size_t)i * 8), 86400000, &s, &ns);
        return sl__cfmt_date(d, s);
    case AT_TIME: {
        int64_t v = f->bits == 32 ? (int32_t)sl_le32(b + (size_t)i * 4)
                                  : (int64_t)sl_le64(b + (size_t)i * 8);
        return sl__cfmt_time(d, v * (1000000000 / PER_SEC[f->unit & 3]));
    }
    case AT_TIMESTAMP:
        sl__split_ts((int64_t)sl_le64(b + (size_t)i * 8), PER_SEC[f->unit & 3], &s, &ns);
        return sl__cfmt_datetime(d, f->has_tz ? sl__ltz_local(tz, s) : s, ns);
    case AT_DURATION: return sl__cfmt_i64(d, (int64_t)sl_le64(b + (size_t)i * 8));
    case AT_INTERVAL:
        if (f->unit == 0)
            return sl__cfmt_i64(d, (int32_t)sl_le32(b + (size_t)i * 4));
        if (f->unit == 1) {
            const uint8_t *p = b + (size_t)i * 8;
            size_t k = (size_t)sprintf(d, "{\"days\":%d,\"milliseconds\":%d}",
                                       (int32_t)sl_le32(p), (int32_t)sl_le32(p + 4));
            return k;
        } else {
            const uint8_t *p = b + (size_t)i * 16;
            return (size_t)sprintf(d, "{\"months\":%d,\"days\":%d,\"nanoseconds\":%lld}",
                                   (int32_t)sl_le32(p), (int32_t)sl_le32(p + 4),
                                   (long long)(int64_t)sl_le64(p + 8));
        }
    default: return 0;
    }
}

sl_code sl__ar_text(const ar_array *a, int64_t i, const sl__ltz *tz, sl__tbuf *t, sl_slice *out,
                    sl_err *err)
{
    const ar_field *f = a->f;
    int64_t k;
    if (a->dict_field) {
        if (!dict_index(a, i, &k))
            return corrupt(a, err, "dictionary index out of range");
        if (sl__ar_is_null(a->dict, k)) {
            *out = SL_SLICE_NULL;
            return SL_OK;
        }
        return sl__ar_text(a->dict, k, tz, t, out, err);
    }
    switch (f->type) {
    case AT_BINARY:
    case AT_UTF8:
    case AT_LARGE_BINARY:
    case AT_LARGE_UTF8:
    case AT_BINARY_VIEW:
    case AT_UTF8_VIEW: return var_bytes(a, i, out, err);
    case AT_FIXED_BINARY:
        *out = (sl_slice){(const char *)a->b1 + (size_t)i * (size_t)f->width, (size_t)f->width};
        return SL_OK;
    case AT_NULL: *out = SL_SLICE_NULL; return SL_OK;
    case AT_RUN_END:
        if (!run_of(a, i, &k))
            return corrupt(a, err, "run ends out of range");
        if (sl__ar_is_null(&a->kids[1], k)) {
            *out = SL_SLICE_NULL;
            return SL_OK;
        }
        return sl__ar_text(&a->kids[1], k, tz, t, out, err);
    default: break;
    }
    char *d = sl__tbuf_reserve(t, 128);
    if (d == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory for arrow values");
    *out = sl__tbuf_commit(t, fixed_text(a, i, tz, d));
    return SL_OK;
}

/* Child element range [s, e) of list-like element i. */
static sl_code list_range(const ar_array *a, int64_t i, int64_t *s, int64_t *e, sl_err *err)
{
    switch (a->f->type) {
    case AT_FIXED_LIST: *s = i * a->f->width, *e = *s + a->f->width; break;
    case AT_LARGE_LIST:
        *s = (int64_t)sl_le64(a->b1 + (size_t)i * 8);
        *e = (int64_t)sl_le64(a->b1 + (size_t)i * 8 + 8);
        break;
    case AT_LIST_VIEW:
        *s = (int32_t)sl_le32(a->b1 + (size_t)i * 4);
        *e = *s + (int32_t)sl_le32(a->b2 + (size_t)i * 4);
        break;
    case AT_LARGE_LIST_VIEW:
        *s = (int64_t)sl_le64(a->b1 + (size_t)i * 8);
        *e = *s + (int64_t)sl_le64(a->b2 + (size_t)i * 8);
        break;
    default:
        *s = (int32_t)sl_le32(a->b1 + (size_t)i * 4);
        *e = (int32_t)sl_le32(a->b1 + (size_t)i * 4 + 4);
    }
    if (*s < 0 || *e < *s || *e > a->kids[0].len)
        return corrupt(a, err, "list offsets out of range");
    return SL_OK;
}

sl_code sl__ar_json(const ar_array *a, int64_t i, const sl__ltz *tz, sl__tbuf *t, sl_buf *b, int depth,
                    sl_err *err)
{
    const ar_field *f = a->f;
    sl_code rc = SL_OK;
    int64_t s, e, k;
    if (depth > SL_COL_MAX_DEPTH)
        return corrupt(a, err, "nested too deep");
    if (sl__ar_is_null(a, i)) {
        sl_buf_append(b, "null", 4);
        return SL_OK;
    }
    if (a->dict_field) {
        if (!dict_index(a, i, &k))
            return corrupt(a, err, "dictionary index out of range");
        return sl__ar_json(a->dict, k, tz, t, b, depth + 1, err);
    }
    switch (f->type) {
    case AT_LIST:
    case AT_LARGE_LIST:
    case AT_FIXED_LIST:
    case AT_LIST_VIEW:
    case AT_LARGE_LIST_VIEW:
        if ((rc = list_range(a, i, &s, &e, err)) != SL_OK)
            return rc;
        sl_buf_putc(b, '[');
        for (int64_t j = s; j < e && rc == SL_OK; j++) {
            if (j > s)
                sl_buf_putc(b, ',');
            rc = sl__ar_json(&a->kids[0], j, tz, t, b, depth + 1, err);
        }
        sl_buf_putc(b, ']');
        return rc;
    case AT_MAP: {
        const ar_array *ent = &a->kids[0];
        if (ent->f->n_kids != 2 || (rc = list_range(a, i, &s, &e, err)) != SL_OK)
            return rc ? rc : corrupt(a, err, "map entries are not key/value pairs");
        sl_buf_putc(b, '{');
        for (int64_t j = s; j < e && rc == SL_OK; j++) {
            sl_slice key = SL_SLICE_NULL;
            if (j > s)
                sl_buf_putc(b, ',');
            if (!sl__ar_is_null(&ent->kids[0], j) &&
                (rc = sl__ar_text(&ent->kids[0], j, tz, t, &key, err)) != SL_OK)
                return rc;
            sl__json_key(b, ent->kids[0].f->jk, key);
            rc = sl__ar_json(&ent->kids[1], j, tz, t, b, depth + 1, err);
        }
        sl_buf_putc(b, '}');
        return rc;
    }
    case AT_STRUCT:
        sl_buf_putc(b, '{');
        for (int c = 0; c < f->n_kids && rc == SL_OK; c++) {
            if (c)
                sl_buf_putc(b, ',');
            sl_json_str(b, f->kids[c].name.p, f->kids[c].name.n);
            sl_buf_putc(b, ':');
            rc = sl__ar_json(&a->kids[c], i, tz, t, b, depth + 1, err);
        }
        sl_buf_putc(b, '}');
        return rc;
    case AT_UNION: {
        const ar_array *kid;
        if (!union_pick(a, i, &kid, &k))
            return corrupt(a, err, "union type id or offset out of range");
        return sl__ar_json(kid, k, tz, t, b, depth + 1, err);
    }
    case AT_RUN_END:
        if (!run_of(a, i, &k))
            return corrupt(a, err, "run ends out of range");
        return sl__ar_json(&a->kids[1], k, tz, t, b, depth + 1, err);
    default: {
        sl_slice v;
        if ((rc = sl__ar_text(a, i, tz, t, &v, err)) != SL_OK)
            return rc;
        sl__json_put(b, f->jk, v);
        return SL_OK;
    }
    }
}
