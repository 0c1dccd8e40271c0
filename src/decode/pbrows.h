/*
 * pbrows.h - Yamcs table rows: varint-delimited protobuf `Row` messages to a typed batch
 * (decode stage; driven by proto/yamcs.c, the Yamcs table adapter).
 *
 *   body chunk -> framing (varint32 length, carried across chunks) -> Row
 *              -> ColumnInfo{id,name,type}: the request's id -> (table column, declared type) map
 *              -> Cell{columnId,data}: data decoded by the DECLARED Yamcs type, converted to the
 *                 table column's Yamcs type (Yamcs DataType.castAs), written as an sl_datum
 *              -> complete row (key columns present) -> sl_batch row
 *
 * Unlike the text decoders this one produces typed values itself: a Row carries typed cells
 * and nothing is gained by going through text. The mapping of Yamcs types to sluice types
 * (docs/yamcs.md) is:
 *
 *   BYTE SHORT INT LONG      TINYINT SMALLINT INT BIGINT (big-endian two's complement)
 *   DOUBLE                   DOUBLE                        BOOLEAN   BOOLEAN
 *   TIMESTAMP                DATETIME(3), UTC (Yamcs instants count leap seconds)
 *   HRES_TIMESTAMP           DATETIME(6), UTC (picoseconds cut to microseconds)
 *   STRING ENUM              STRING (VARCHAR(65533) in keys), UTF-8 (from modified UTF-8)
 *   BINARY PROTOBUF(c) PARAMETER_VALUE   STRING of lower-case hex
 *   UUID                     VARCHAR(36) canonical text    ARRAY(T)  JSON array text
 *
 * The table's Yamcs types come from its "yamcs.types" property (written by :executeSql), or
 * are derived from the sluice types for tables made with Doris DDL (sl_pbrows_schema_init).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_PBROWS_H
#define SL_PBROWS_H

#include "../batch/batch.h"
#include "../core/arena.h"
#include "../core/status.h"

/* Yamcs DataType ids (org.yamcs.yarch.DataType on-disk ids). */
typedef enum sl_ytype_id {
    SL_Y_NONE = 0,
    SL_Y_BYTE = 1,
    SL_Y_SHORT = 2,
    SL_Y_INT = 3,
    SL_Y_LONG = 4,
    SL_Y_DOUBLE = 5,
    SL_Y_STRING = 6,
    SL_Y_BINARY = 7,
    SL_Y_BOOLEAN = 8,
    SL_Y_TIMESTAMP = 9,
    SL_Y_ENUM = 10,
    SL_Y_PARAMETER_VALUE = 11,
    SL_Y_PROTOBUF = 12,
    SL_Y_ARRAY = 14,
    SL_Y_HRES_TIMESTAMP = 15,
    SL_Y_UUID = 16
} sl_ytype_id;

/* A Yamcs type. ARRAY(T) has id SL_Y_ARRAY and elem = T (arrays of arrays are not supported);
 * PROTOBUF has the class name in cls (also for an ARRAY(PROTOBUF(c)) element). */
typedef struct sl_ytype {
    uint8_t id;          /* sl_ytype_id */
    uint8_t elem;        /* ARRAY: the element's sl_ytype_id */
    sl_slice cls;        /* PROTOBUF: class name (borrowed from the parsed text) */
} sl_ytype;

/* Parse a type name as Yamcs DataType.byName does: exact upper-case basic names, "PROTOBUF(c)"
 * and "ARRAY(T)" with a case-insensitive prefix. SL_INVALID with "invalid or unsupported
 * DataType 'x'" otherwise. out->cls borrows from s. */
sl_code sl_ytype_parse(sl_slice s, sl_ytype *out, sl_err *err);

/* Write DataType.name() ("INT", "PROTOBUF(a.b$C)", "ARRAY(INT)") into buf (cap bytes, NUL-
 * terminated, cut when too small). Returns the length written. */
size_t sl_ytype_name(const sl_ytype *t, char *buf, size_t cap);

/* The table's Yamcs view: one sl_ytype per table column, in table order. */
typedef struct sl_pbrows_schema {
    const sl_tabledef *def;  /* borrowed */
    sl_ytype *types;         /* def->n_cols entries, in the arena given to init */
} sl_pbrows_schema;

/* Fill s for def: from the "yamcs.types" property (';'-separated names in column order) when
 * present, else derived from the sluice types (TINYINT BYTE, SMALLINT SHORT, INT INT, BIGINT
 * LONG, FLOAT/DOUBLE DOUBLE, BOOLEAN BOOLEAN, DATETIME TIMESTAMP, anything else STRING). The
 * types array lives in a; def must outlive s. SL_INVALID for a malformed property, SL_NOMEM. */
sl_code sl_pbrows_schema_init(sl_pbrows_schema *s, const sl_tabledef *def, sl_arena_t *a,
                              sl_err *err);

/* Largest Row message accepted: Yamcs has no limit, but one row is held whole when it spans
 * chunks, so a cap keeps memory bounded. 64 MiB is 64 times Yamcs's maxBinaryLength. */
#define SL_PBROWS_MAX_ROW (64u << 20)
/* Column ids at or above this are rejected (Yamcs: more than 65535 columns is an error). */
#define SL_PBROWS_MAX_COL_ID 65536u

typedef struct sl_pbrows sl_pbrows;

/* Create a decoder for schema s (borrowed; must outlive the decoder). The decoder and its
 * carry buffer are heap memory freed by sl_pbrows_free. NULL when out of memory. */
sl_pbrows *sl_pbrows_new(const sl_pbrows_schema *s);

/* Decode rows from p[0..n) into b (initialised for s->def with sl_batch_init). Stops early when
 * the batch is full, or when a partial message must be carried while b holds rows (they may
 * point into the carry buffer): *used tells how many bytes were consumed; the caller flushes the
 * batch and calls again with the rest. A partial message at the end of an input that left b
 * empty is kept in the decoder (copied) and *used == n. Returns SL_OK, or an error for the first bad row (SL_INVALID, SL_TOO_LARGE,
 * SL_NOMEM) with the message in err; the rows already in b are complete and good, the bad row
 * is not in b, and the decoder is poisoned (every later call returns the same code).
 *
 * Text values in b point into p, into the decoder's carry buffer or into b->arena: they stay
 * valid until the next sl_pbrows_push/finish/free call, so flush b before calling again. */
sl_code sl_pbrows_push(sl_pbrows *d, const char *p, size_t n, sl_batch *b, size_t *used,
                       sl_err *err);

/* End of body. SL_OK when no partial message is left; SL_INVALID ("truncated row at end of
 * body") otherwise. */
sl_code sl_pbrows_finish(sl_pbrows *d, sl_err *err);

/* Rows completed so far (the Yamcs count: rows accepted before the first error). */
uint64_t sl_pbrows_rows(const sl_pbrows *d);

void sl_pbrows_free(sl_pbrows *d);

/* Yamcs instants (milliseconds, TAI-like: Unix ms + (TAI-UTC) * 1000) to Unix milliseconds and
 * back, with the leap-second table of 1972-2017. An instant inside a leap second maps to the
 * last millisecond before it (23:59:59.999). */
int64_t sl_yamcs_instant_to_unix_ms(int64_t instant);
int64_t sl_yamcs_unix_ms_to_instant(int64_t unix_ms);

#endif
