/*
 * convert.h - text to typed value, and typed value to text (batch stage).
 *
 * The mapper calls sl_convert for every loaded cell whose source is text (CSV fields, JSON
 * strings and numbers). The rules are Doris 2.1/3.0's load-time casts, specs/doris-stream-load.md
 * §7-§8: non-strict casts produce NULL on bad input (SL_CONV_NULL) and the caller applies
 * strict mode; string length overflow is reported separately (SL_CONV_TOO_LONG).
 *
 * The formatters turn stored values back into the text the HTTP SQL API and the error log show.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_CONVERT_H
#define SL_CONVERT_H

#include "batch.h"

typedef enum sl_conv {
    SL_CONV_OK,        /* *out holds the value */
    SL_CONV_NULL,      /* input not NULL but the cast gives NULL (bad format, overflow) */
    SL_CONV_TOO_LONG,  /* CHAR/VARCHAR: more bytes than the column's length */
    SL_CONV_LOSSY      /* *out holds a value, but information was dropped that strict mode
                          refuses: a fractional part truncated into an integer ("3.12" -> 3) */
} sl_conv;

typedef struct sl_conv_ctx {
    int32_t tz_offset_s;   /* the load time zone as a UTC offset, for datetimes with a zone */
    const struct sl_tz *tz;/* the load time zone (core/tz.h); when set it wins over tz_offset_s
                              and gives each value the offset of its own instant (DST) */
    sl_arena_t *arena;     /* ARRAY, MAP, STRUCT and VARIANT values are built here (batch/
                              complex.h); without an arena they do not convert (SL_CONV_NULL) */
    bool strict;           /* complex values: an element that does not convert fails the value
                              rather than becoming NULL (SL_CONV_LOSSY) */
} sl_conv_ctx;

/* Convert s (not NULL) to type t. Text types borrow s (out->s points at s.p). Only ARRAY, MAP,
 * STRUCT and VARIANT allocate (in ctx->arena; SL_CONV_TOO_LONG when that fails); a VARIANT is
 * the text's JSON compacted, or a JSON string of text that is not JSON. BITMAP and HLL values
 * come from functions (to_bitmap, hll_hash), never from text (SL_CONV_NULL). */
sl_conv sl_convert(const sl_type *t, sl_slice s, sl_datum *out, const sl_conv_ctx *ctx);

/* Convert n cells of type t at once, f[0], f[stride], ...: the canonical spellings (plain
 * integers, decimals that need no rounding, YYYY-MM-DD[ HH:MM:SS], text within its length) are
 * done here with sl_convert's exact result (out[i], null[i] = 0, done[i] = 1); for every other
 * cell, NULL included, done[i] = 0 and the caller converts it one by one. Text borrows f.
 * Returns how many were done. */
size_t sl_convert_fast(const sl_type *t, const sl_slice *f, size_t stride, size_t n,
                       sl_datum *out, uint8_t *null, uint8_t *done);

/* Parse a Doris separator header value (column_separator, line_delimiter) into bytes, per
 * spec §2.3 (Separator.convertSeparator): "\x01\x02" hex form, else backslash escapes \\ \' \"
 * \r \t \n unescaped. Writes at most cap bytes to out and stores the length in *len. Returns
 * SL_OK or SL_INVALID with the Doris message in err ("Hex str is empty", "Hex str format
 * error", "Hex str length error", "Column separator is null or empty"). */
sl_code sl_separator_parse(sl_slice in, char *out, size_t cap, size_t *len, sl_err *err);

/* Civil date helpers: days since 1970-01-01 <-> y/m/d (proleptic Gregorian). */
int64_t sl_days_from_civil(int64_t y, unsigned m, unsigned d);
void sl_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/* Formatters: write NUL-terminated text into buf (cap >= 48 is always enough) and return the
 * length. */
size_t sl_format_date(int64_t days, char *buf);                        /* 2023-07-20 */
size_t sl_format_datetime(int64_t us, unsigned prec, char *buf);       /* 2023-07-20 05:48:31[.ffffff] */
size_t sl_format_decimal(sl_i128 v, unsigned scale, char *buf);        /* -1234.5600 */
size_t sl_format_i128(sl_i128 v, char *buf);                           /* LARGEINT */
size_t sl_format_double(double v, char *buf);                          /* shortest round-trip, Infinity, NaN */
size_t sl_format_float(float v, char *buf);                            /* shortest round-trip as float */

#endif
