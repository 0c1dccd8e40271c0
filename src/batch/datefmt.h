/*
 * datefmt.h - strptime-style date/time formats and tsload's value formats (batch stage).
 *
 * tsload (specs/tsload.md §4.3-§4.4) describes dates, times and datetimes with strptime(3)
 * formats ("%Y%m%d", "%Y-%m-%d %H:%M:%S") and booleans with true/false words. strptime(3) is
 * slow (locale, a scan of the format per call) and its time fields depend on the process
 * locale, so a format is compiled once per load into a list of ops and every value is parsed
 * by walking that list:
 *
 *   LoadDataParam --sl_datefmt_compile--> sl_datefmt (ops) --sl_datefmt_parse--> sl_dt fields
 *   mapper (load/mapper.c hook) --sl_text_formats_convert--> sl_datum (DATE days, DATETIME us,
 *                                                            BOOLEAN 0/1)
 *
 * Specifiers: %Y %y %C %m %d %e %H %k %I %l %M %S %p %b %B %h %a %A %j %s %f %T %D %F %R %n %t
 * %%; a space in the format matches zero or more spaces or tabs in the value; any other byte
 * matches itself. Names (%b, %p, ...) are English and compared case-insensitively.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_DATEFMT_H
#define SL_DATEFMT_H

#include "../core/status.h"
#include "batch.h"
#include "convert.h"

/* Ops of one format; 64 is far beyond any real date format and keeps the struct flat. */
#define SL_DATEFMT_MAX_OPS 64

typedef struct sl_datefmt {
    uint8_t n;                          /* ops used */
    uint8_t op[SL_DATEFMT_MAX_OPS];     /* internal op codes (datefmt.c) */
    char lit[SL_DATEFMT_MAX_OPS];       /* the byte of a literal op */
} sl_datefmt;

/* What to do with a fraction of a second after %S ("12:00:01.250"). */
typedef enum sl_frac_mode {
    SL_FRAC_ERROR,     /* the value does not parse */
    SL_FRAC_SKIP,      /* the digits are dropped (tsload skip_second_fraction) */
    SL_FRAC_KEEP       /* the digits become microseconds (DATETIME(p > 0)) */
} sl_frac_mode;

/* The fields a value gave. Unset date fields stay at 1970-01-01, time fields at 0. */
typedef struct sl_dt {
    int64_t year;
    unsigned mon, mday;       /* 1-based */
    unsigned hour, min, sec;
    uint32_t usec;
    int yday;                 /* %j, 1-based; 0 when not given */
    bool has_epoch;           /* %s was given: epoch holds the value */
    int64_t epoch;
} sl_dt;

/* Compile fmt (bytes, not NUL-terminated). SL_INVALID with a message naming the bad specifier
 * on an unknown or truncated specifier or more than SL_DATEFMT_MAX_OPS ops. */
sl_code sl_datefmt_compile(sl_slice fmt, sl_datefmt *out, sl_err *err);

/* Parse s against f. frac_start is the byte that starts a fraction after %S (tsload
 * second_fraction_start, usually '.'). Returns NULL with *out filled and the calendar checked
 * (month 1-12, day within the month, hour < 24, minute and second < 60), or a static reason. */
const char *sl_datefmt_parse(const sl_datefmt *f, sl_slice s, char frac_start, sl_frac_mode fm,
                             sl_dt *out);

/* Days since 1970-01-01 of the date in d (%j wins over month and day when given). */
int64_t sl_dt_days(const sl_dt *d);

/* tsload's value formats for one load (the LoadDataParam "format" object), filled by the
 * tsload adapter and read by the mapper through sl_load_spec.formats. Slices borrow the
 * adapter's memory, which outlives the load. */
typedef struct sl_text_formats {
    sl_datefmt date, time, datetime;
    bool converted_to_epoch;  /* DATE/DATETIME values are seconds since the epoch */
    char frac_start;          /* second_fraction_start */
    bool skip_fraction;       /* skip_second_fraction */
    sl_slice true_fmt, false_fmt;
    bool use_bit_values;      /* booleans are 0/1 ("0x0"/"0x1" and the bytes 0x00/0x01 too) */
    sl_slice date_src, time_src, datetime_src; /* the format texts, for error messages (may
                                                  be NULL slices: the defaults are meant) */
} sl_text_formats;

/* Defaults of specs/tsload.md §4.3-§4.4: "%Y%m%d", "%H:%M:%S", "%Y%m%d %H:%M:%S", '.', T/F. */
void sl_text_formats_default(sl_text_formats *f);

/* Convert s for a column of type t with the formats: DATE, DATETIME and BOOLEAN are handled
 * (*handled = true, the result as sl_convert gives it: SL_CONV_OK with *out set, or
 * SL_CONV_NULL when s does not match); any other type sets *handled = false and leaves *out
 * alone (the caller uses sl_convert). Epoch values are turned into the local civil time of the
 * process time zone (tsload: "the time zone of the node"). Never allocates. */
sl_conv sl_text_formats_convert(const sl_text_formats *f, const sl_type *t, sl_slice s,
                                sl_datum *out, bool *handled);

#endif
