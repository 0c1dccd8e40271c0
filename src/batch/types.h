/*
 * types.h - sluice's logical column types and table definitions (batch stage; used by sql/,
 * store/ and load/).
 *
 * A table definition (sl_tabledef) is what CREATE TABLE says in Doris syntax, parsed by
 * src/sql/ and kept by the store as the original statement text. Everything here is plain data
 * allocated in one arena by whoever builds it.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_TYPES_H
#define SL_TYPES_H

#include "../core/platform.h"
#include "../core/slice.h"

__extension__ typedef __int128 sl_i128;

typedef enum sl_type_id {
    SL_TINYINT,
    SL_SMALLINT,
    SL_INT,
    SL_BIGINT,
    SL_LARGEINT,
    SL_FLOAT,
    SL_DOUBLE,
    SL_DECIMAL,   /* DECIMAL / DECIMALV3 (p,s); p <= 38 */
    SL_DATE,      /* DATE / DATEV2 */
    SL_DATETIME,  /* DATETIME / DATETIMEV2 (p), p = fractional digits 0..6 */
    SL_BOOLEAN,
    SL_CHAR,      /* CHAR(n): n bytes at most */
    SL_VARCHAR,   /* VARCHAR(n): n bytes at most */
    SL_STRING,    /* STRING / TEXT */
    SL_JSON,      /* JSON / JSONB: text holding one JSON value */
    SL__N_TYPES
} sl_type_id;

typedef struct sl_type {
    uint8_t id;         /* sl_type_id */
    uint8_t precision;  /* DECIMAL: total digits; DATETIME: fractional digits */
    uint8_t scale;      /* DECIMAL: digits after the point */
    uint8_t v1;         /* 1 when spelled without V2/V3 (DECIMAL, DATE, DATETIME): for DESC only */
    uint32_t len;       /* CHAR/VARCHAR: byte limit; 0 otherwise */
} sl_type;

/* Aggregation of a value column in an AGGREGATE KEY table. */
typedef enum sl_agg {
    SL_AGG_NONE,
    SL_AGG_SUM,
    SL_AGG_MAX,
    SL_AGG_MIN,
    SL_AGG_REPLACE,
    SL_AGG_REPLACE_IF_NOT_NULL
} sl_agg;

typedef enum sl_default_kind {
    SL_DEFAULT_NONE,      /* no DEFAULT clause */
    SL_DEFAULT_NULL,      /* DEFAULT NULL */
    SL_DEFAULT_VALUE,     /* DEFAULT '<text>' or DEFAULT 123: converted like loaded text */
    SL_DEFAULT_CURRENT_TIMESTAMP,
    SL_DEFAULT_CURRENT_DATE
} sl_default_kind;

typedef struct sl_coldef {
    sl_slice name;       /* as written, without backquotes */
    sl_type type;
    bool nullable;       /* NULL (default) or NOT NULL */
    bool key;            /* part of the key clause (or the implicit key) */
    uint8_t agg;         /* sl_agg */
    uint8_t default_kind;/* sl_default_kind */
    sl_slice default_value; /* SL_DEFAULT_VALUE: the literal text */
} sl_coldef;

typedef enum sl_key_model { SL_KEYS_DUPLICATE, SL_KEYS_UNIQUE, SL_KEYS_AGGREGATE } sl_key_model;

typedef enum sl_part_kind { SL_PART_NONE, SL_PART_RANGE, SL_PART_LIST } sl_part_kind;

/* One partition. RANGE: rows with key < upper (tuple compare; upper[i].p == NULL means
 * MAXVALUE) and >= the previous partition's upper (or lower, when given as [lower, upper)).
 * LIST: rows whose key tuple equals one of the n_values tuples (values[v * n_cols + c]). */
typedef struct sl_partdef {
    sl_slice name;
    sl_slice *lower;     /* RANGE with explicit [lower, upper): one per partition column; else NULL */
    sl_slice *upper;     /* RANGE: one per partition column */
    sl_slice *values;    /* LIST */
    size_t n_values;     /* LIST: number of tuples */
    bool temporary;
} sl_partdef;

typedef struct sl_property {
    sl_slice key, value;
} sl_property;

typedef struct sl_tabledef {
    sl_slice name;
    sl_coldef *cols;
    size_t n_cols;
    uint8_t key_model;      /* sl_key_model */
    uint8_t part_kind;      /* sl_part_kind */
    size_t *part_cols;      /* indexes into cols */
    size_t n_part_cols;
    sl_partdef *parts;
    size_t n_parts;
    size_t *dist_cols;      /* DISTRIBUTED BY HASH(...): indexes; n_dist_cols == 0: RANDOM */
    size_t n_dist_cols;
    uint32_t buckets;       /* 0 = AUTO */
    sl_property *props;
    size_t n_props;
} sl_tabledef;

/* Case-insensitive column lookup; returns the index or -1. */
long sl_tabledef_find(const sl_tabledef *t, sl_slice name);

/* The property value, or a NULL slice. Keys compare case-insensitively. */
sl_slice sl_tabledef_prop(const sl_tabledef *t, const char *key);

/* Write the Doris spelling of a type ("int", "varchar(32)", "decimalv3(10,2)", "datetimev2(3)")
 * into buf (NUL-terminated, at most cap bytes). Returns buf. */
char *sl_type_name(const sl_type *t, char *buf, size_t cap);

/* The upper-case type name the HTTP SQL API reports in "meta" ("INT", "DECIMAL", "DATETIME",
 * "VARCHAR", ...). Static storage. */
const char *sl_type_meta_name(const sl_type *t);

/* True for CHAR, VARCHAR, STRING and JSON: values are text, an empty field stays "". */
static inline bool sl_type_is_text(const sl_type *t)
{
    return t->id == SL_CHAR || t->id == SL_VARCHAR || t->id == SL_STRING || t->id == SL_JSON;
}

#endif
