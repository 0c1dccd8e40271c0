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
    SL_ARRAY,     /* ARRAY<T>: sl_type_sub(t)->t[0] the element type (batch/complex.h) */
    SL_MAP,       /* MAP<K,V>: sl_type_sub(t)->t[0] the key, ->t[1] the value type */
    SL_STRUCT,    /* STRUCT<f1:T1,...>: ->t[i] and ->names[i] per field */
    SL_VARIANT,   /* VARIANT: text holding one JSON value, its sub-values queryable by path */
    SL_BITMAP,    /* BITMAP: a set of unsigned 64-bit integers (batch/bitmap.h, Roaring) */
    SL_HLL,       /* HLL: a HyperLogLog sketch of hashed values (batch/bitmap.h) */
    SL__N_TYPES
} sl_type_id;

typedef struct sl_type {
    uint8_t id;         /* sl_type_id */
    uint8_t precision;  /* DECIMAL: total digits; DATETIME: fractional digits */
    uint8_t scale;      /* DECIMAL: digits after the point */
    uint8_t v1;         /* 1 when spelled without V2/V3 (DECIMAL, DATE, DATETIME): for DESC only */
    uint32_t len;       /* CHAR/VARCHAR: byte limit; ARRAY, MAP, STRUCT: the handle of their
                           element types (sl_type_sub); 0 otherwise */
} sl_type;

/* The elements of a complex type: ARRAY one (the element), MAP two (key, value), STRUCT one
 * per field. Descriptions are interned for the life of the process (sl_type_intern), so that a
 * type stays a small value that any arena may copy, and two equal types have equal handles
 * (sl_type compares with ==/memcmp as before). */
typedef struct sl_ctype {
    uint32_t n;          /* number of element types */
    sl_type *t;          /* n types */
    uint8_t *nullable;   /* n flags: the element may be NULL (NOT NULL in DDL clears it) */
    sl_slice *names;     /* STRUCT: n field names as written; NULL for ARRAY and MAP */
} sl_ctype;

/* Deepest nesting of complex types accepted in DDL and casts (Doris allows 9 levels). */
#define SL_TYPE_MAX_DEPTH 9

/* Distinct complex types a process keeps at most (each is interned once, whatever number of
 * tables or queries use it); past this, new complex types are refused. */
#define SL_TYPE_MAX_INTERNED 65536

/* Aggregation of a value column in an AGGREGATE KEY table. */
typedef enum sl_agg {
    SL_AGG_NONE,
    SL_AGG_SUM,
    SL_AGG_MAX,
    SL_AGG_MIN,
    SL_AGG_REPLACE,
    SL_AGG_REPLACE_IF_NOT_NULL,
    SL_AGG_BITMAP_UNION,   /* BITMAP columns of AGGREGATE KEY tables: the union */
    SL_AGG_HLL_UNION       /* HLL columns: the union of the sketches */
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

/* True for ARRAY, MAP and STRUCT: values are in the encoding of batch/complex.h. */
static inline bool sl_type_is_complex(const sl_type *t)
{
    return t->id == SL_ARRAY || t->id == SL_MAP || t->id == SL_STRUCT;
}

/* True for the types whose values are bytes that are not text: ARRAY, MAP, STRUCT (their
 * encoding), BITMAP and HLL (their serialized forms). Stores keep them as blobs. VARIANT is
 * text (JSON). */
static inline bool sl_type_is_blob(const sl_type *t)
{
    return sl_type_is_complex(t) || t->id == SL_BITMAP || t->id == SL_HLL;
}

/* True when the physical form is a byte slice (datum .s): text, VARIANT and blob types. */
static inline bool sl_type_has_bytes(const sl_type *t)
{
    return sl_type_is_text(t) || t->id == SL_VARIANT || sl_type_is_blob(t);
}

/* Equality of two types for values (the v1 spelling flag does not count; interned element
 * types compare by handle). */
static inline bool sl_type_equal(const sl_type *a, const sl_type *b)
{
    return a->id == b->id && a->precision == b->precision && a->scale == b->scale &&
           a->len == b->len;
}

/* Intern the element description c (copied; thread-safe) and make *out the complex type id
 * with it. False when out of memory or past SL_TYPE_MAX_INTERNED distinct types. */
bool sl_type_intern(uint8_t id, const sl_ctype *c, sl_type *out);

/* The element description of an ARRAY, MAP or STRUCT type; NULL for other types. Static: it
 * lives as long as the process. */
const sl_ctype *sl_type_sub(const sl_type *t);

/* ARRAY<elem> with nullable elements / MAP<k,v> with nullable keys and values. False when out
 * of memory. */
bool sl_type_make_array(sl_type elem, sl_type *out);
bool sl_type_make_map(sl_type key, sl_type val, sl_type *out);

/* Nesting depth of a type: 1 for scalars, 1 + the deepest element for complex types. */
unsigned sl_type_depth(const sl_type *t);

#endif
