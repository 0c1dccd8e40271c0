/*
 * complex.h - values of ARRAY, MAP and STRUCT (and VARIANT's JSON text): their binary encoding,
 * Doris's text forms in and out (batch stage; used by the converter, the expression engine and
 * the stores).
 *
 *   CSV literal [1,2] / {"k":1} / JSON text --sl_cv_parse--> encoding (a byte slice, the datum's
 *   .s) --sl_cv_format--> Doris's text form [1, 2] / {"k":1} / {"f1":1, "f2":"x"}
 *                         --sl_cv_json-----> JSON (the PostgreSQL store's jsonb form)
 *
 * The encoding ("c1") is typed: the column's type says how to read it, so it carries no tags.
 *   integers, BOOLEAN, DATE (days), DATETIME (us)   zigzag varint (int64)
 *   LARGEINT, DECIMAL (unscaled)                     zigzag varint (int128)
 *   FLOAT / DOUBLE                                   4 / 8 bytes little-endian IEEE
 *   CHAR, VARCHAR, STRING, JSON, VARIANT             varint length, bytes
 *   ARRAY<T>      varint (n << 1 | has_nulls), [null bitmap of n bits], the non-NULL elements
 *   MAP<K,V>      varint (n << 1 | has_nulls), [key bitmap, value bitmap], then per entry the
 *                 key and the value unless NULL
 *   STRUCT<...>   null bitmap of one bit per field, then the non-NULL fields
 * Bitmaps are little-endian bit order, ceil(n/8) bytes. docs/types.md has the measurements that
 * chose it over JSON text.
 *
 * Every reader checks bounds: a malformed encoding is an error, never a read past its end.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_COMPLEX_H
#define SL_COMPLEX_H

#include "../core/buf.h"
#include "convert.h"

/* Parse flags. */
#define SL_CV_PAIRS 1u   /* MAP values are JSON arrays of [key, value] pairs (the PostgreSQL
                            store's form) instead of objects */
#define SL_CV_STRICT 2u  /* an element that does not convert fails the value (SL_CONV_NULL)
                            instead of becoming NULL (SL_CONV_LOSSY) */
#define SL_CV_UTF8 4u    /* sl_cv_json: text that is not valid UTF-8 fails the value instead of
                            having its bad bytes replaced by U+FFFD (a store keeping the JSON
                            must not change what was loaded) */

/* Parse text into the encoding of t (ARRAY, MAP or STRUCT), allocated in a. Accepted: Doris's
 * literal forms ([1, 2], {"k":1, null:2}, {"f1":1, "f2":"x"} or positional {1, "x"}) and JSON
 * (the same forms with JSON strings, numbers, true/false/null; STRUCT also from a JSON object
 * by field name). Elements are converted with Doris's load casts (sl_convert with ctx); an
 * unquoted `null` is NULL. An element that does not convert becomes NULL and the result is
 * SL_CONV_LOSSY (strict mode refuses the row), or with SL_CV_STRICT, or when the element is
 * NOT NULL, the value fails with SL_CONV_NULL, as does malformed text. SL_CONV_TOO_LONG means
 * out of memory (nothing else returns it here). */
sl_conv sl_cv_parse(const sl_type *t, sl_slice text, unsigned flags, const sl_conv_ctx *ctx,
                    sl_arena_t *a, sl_slice *out);

/* VARIANT: text that is one JSON value, stored compactly (insignificant white space dropped,
 * strings and numbers as written). SL_CONV_NULL when the text is not JSON. */
sl_conv sl_cv_variant(sl_slice text, sl_arena_t *a, sl_slice *out);

/* Doris's text form of an encoded value of type t appended to b: [1, 2], ["a", null],
 * {"k":1}, {"f1":1, "f2":"x"}; dates and strings quoted, BOOLEAN 1/0, NULL as null. A
 * malformed encoding appends "<invalid>" and returns false. */
bool sl_cv_format(sl_buf *b, const sl_type *t, sl_slice enc);

/* JSON of an encoded value: arrays as arrays, STRUCT as an object by field name, MAP as an
 * object with its keys as strings, or with SL_CV_PAIRS as [[key, value], ...] (keeps order,
 * duplicates and non-string keys); JSON and VARIANT elements as JSON strings when pairs is set
 * (so any stored text survives jsonb), else verbatim. False on a malformed encoding, and with
 * SL_CV_UTF8 on text that is not valid UTF-8. */
bool sl_cv_json(sl_buf *b, const sl_type *t, sl_slice enc, unsigned flags);

/* The elements of an encoded value: ARRAY n elements, MAP 2n (key, value, key, value, ...),
 * STRUCT one per field. items[i] is the element's own encoding (p == NULL for NULL), a slice of
 * enc; the array is allocated in a. False on a malformed encoding or out of memory (*n = 0). */
bool sl_cv_items(const sl_type *t, sl_slice enc, sl_arena_t *a, size_t *n, sl_slice **items);

/* Elements of an ARRAY, entries of a MAP, fields of a STRUCT; SIZE_MAX when malformed. */
size_t sl_cv_count(const sl_type *t, sl_slice enc);

/* Decode one element of type et from its encoding into the physical form of batch.h (text
 * and nested values borrow enc). False when malformed. */
bool sl_cv_get(const sl_type *et, sl_slice enc, sl_datum *out);

/* Append the encoding of a non-NULL value of type et (nested values: their encoding as is). */
void sl_cv_put(sl_buf *b, const sl_type *et, const sl_datum *v);

/* Build the encoding of t from element encodings (as sl_cv_items gives them: p == NULL for
 * NULL; MAP: n = 2 * entries) into a. False when out of memory. */
bool sl_cv_build(const sl_type *t, const sl_slice *items, size_t n, sl_arena_t *a,
                 sl_slice *out);

/* Three-way comparison of two non-NULL elements of scalar type et (numbers by value, text by
 * bytes, NaN last); nested values compare by their encoding bytes. */
int sl_cv_cmp(const sl_type *et, const sl_datum *x, const sl_datum *y);

#endif
