/*
 * arrow.h - shared inside the Arrow IPC stream decoder (decode stage, issue 15).
 *
 *   arrow.c        the vtab: the stream's framing, FlatBuffers metadata (Schema, RecordBatch,
 *                  DictionaryBatch), buffers (lz4 frame / zstd), rows out as named texts
 *   arrow_value.c  arrays of a batch: validity, offsets, the value text of each type, nested
 *                  values as JSON text
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_ARROW_H
#define SL_ARROW_H

#include "columnar.h"

/* Type union of Schema.fbs. */
enum {
    AT_NULL = 1, AT_INT, AT_FLOAT, AT_BINARY, AT_UTF8, AT_BOOL, AT_DECIMAL, AT_DATE, AT_TIME,
    AT_TIMESTAMP, AT_INTERVAL, AT_LIST, AT_STRUCT, AT_UNION, AT_FIXED_BINARY, AT_FIXED_LIST,
    AT_MAP, AT_DURATION, AT_LARGE_BINARY, AT_LARGE_UTF8, AT_LARGE_LIST, AT_RUN_END,
    AT_BINARY_VIEW, AT_UTF8_VIEW, AT_LIST_VIEW, AT_LARGE_LIST_VIEW
};

struct ar_dict;

/* A field of the schema. */
typedef struct ar_field {
    sl_slice name;
    bool nullable;
    int type;              /* AT_* */
    int bits;              /* Int / Decimal / Time bit width; FloatingPoint: 0 half 1 single 2 double */
    bool is_signed;
    int precision, scale;  /* Decimal */
    int unit;              /* Date: 0 day 1 ms; Time/Timestamp/Duration: 0 s 1 ms 2 us 3 ns;
                              Interval: 0 year-month 1 day-time 2 month-day-nano */
    bool has_tz;           /* Timestamp with a time zone: UTC-adjusted */
    int32_t width;         /* FixedSizeBinary bytes, FixedSizeList items */
    bool dense;            /* Union mode */
    int32_t *type_ids;     /* Union type ids (NULL: 0..n-1) */
    bool dict;             /* dictionary-encoded: indices of int type (bits, is_signed) */
    int64_t dict_id;
    int idx_bits;
    bool idx_signed;
    struct ar_field *kids;
    int n_kids;
    sl__jkind jk;          /* how a value appears inside JSON */
} ar_field;

/* One array of a batch, bound to its buffers. */
typedef struct ar_array {
    const ar_field *f;
    int64_t len, nulls;
    const uint8_t *valid;  /* NULL: no nulls */
    const uint8_t *b1, *b2;/* data / offsets / type ids, data / union offsets */
    size_t n1, n2;
    const uint8_t **var;   /* view types: the variadic data buffers */
    size_t *var_n;
    int n_var;
    struct ar_array *kids;
    const struct ar_array *dict; /* dictionary-encoded: the values */
    bool dict_field;       /* f->dict: b1 holds indices */
} ar_array;

/* Value text of element i of a (not NULL: the caller checked ar_is_null). Strings point into
 * the batch's buffers; numbers are written to t. *kind: how it reads as JSON. SL_OK,
 * SL_INVALID (corrupt offsets), SL_NOMEM. */
sl_code sl__ar_text(const ar_array *a, int64_t i, const sl__ltz *tz, sl__tbuf *t, sl_slice *out,
                    sl_err *err);
/* Append element i of a as JSON to b (nested values, and any value inside them). */
sl_code sl__ar_json(const ar_array *a, int64_t i, const sl__ltz *tz, sl__tbuf *t, sl_buf *b, int depth,
                    sl_err *err);
bool sl__ar_is_null(const ar_array *a, int64_t i);
/* Is a's type a nested one (its values become JSON text)? */
bool sl__ar_nested(const ar_field *f);

#endif
