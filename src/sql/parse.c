/*
 * parse.c - statements and Doris DDL (sql stage): sl_sql_parse and sl_sql_parse_type.
 *
 *   text --lex.c--> tokens --parse_statement--> CREATE/DROP DATABASE, CREATE/DROP/TRUNCATE TABLE,
 *                                               SHOW ..., DESC, INSERT ... VALUES
 *                                          \--> SELECT: select.c
 *
 * CREATE TABLE is read into an sl_tabledef in one pass: columns first, then the table clauses
 * in any order (each at most once), with key, partition and distribution columns resolved to
 * indexes as soon as they are read. The key model is settled at the end (finish_keys), the way
 * Doris settles it: an explicit KEY clause must name an ordered prefix of the columns; without
 * one, aggregate columns make an AGGREGATE KEY table keyed on the other columns, and otherwise
 * the table is DUPLICATE KEY on its leading columns (see implicit_dup_keys).
 *
 * Everything the result points to is copied into the caller's arena; the statement text may be
 * freed as soon as sl_sql_parse returns.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/arena.h"
#include "internal.h"
#include "sql.h"

/* ---------------------------------------------------------------------------------------------
 * Types
 */

typedef enum type_params {
    TP_NONE,    /* no parameters */
    TP_WIDTH,   /* optional display width, ignored: INT(11) */
    TP_DECIMAL, /* optional (p[,s]) */
    TP_FRAC,    /* optional (p): fractional second digits 0..6 */
    TP_LENGTH   /* optional (n): byte length */
} type_params;

typedef struct type_entry {
    const char *name;
    uint8_t id;
    uint8_t v1;
    uint8_t params;
} type_entry;

static const type_entry types[] = {
    {"TINYINT", SL_TINYINT, 0, TP_WIDTH},     {"SMALLINT", SL_SMALLINT, 0, TP_WIDTH},
    {"INT", SL_INT, 0, TP_WIDTH},             {"INTEGER", SL_INT, 0, TP_WIDTH},
    {"BIGINT", SL_BIGINT, 0, TP_WIDTH},       {"LARGEINT", SL_LARGEINT, 0, TP_WIDTH},
    {"FLOAT", SL_FLOAT, 0, TP_NONE},          {"DOUBLE", SL_DOUBLE, 0, TP_NONE},
    {"DECIMAL", SL_DECIMAL, 1, TP_DECIMAL},   {"DECIMALV2", SL_DECIMAL, 2, TP_DECIMAL},
    {"DECIMALV3", SL_DECIMAL, 0, TP_DECIMAL}, {"DATE", SL_DATE, 1, TP_NONE},
    {"DATEV2", SL_DATE, 0, TP_NONE},          {"DATETIME", SL_DATETIME, 1, TP_FRAC},
    {"DATETIMEV2", SL_DATETIME, 0, TP_FRAC},  {"BOOLEAN", SL_BOOLEAN, 0, TP_NONE},
    {"BOOL", SL_BOOLEAN, 0, TP_NONE},         {"CHAR", SL_CHAR, 0, TP_LENGTH},
    {"VARCHAR", SL_VARCHAR, 0, TP_LENGTH},    {"STRING", SL_STRING, 0, TP_NONE},
    {"TEXT", SL_STRING, 0, TP_NONE},          {"JSON", SL_JSON, 0, TP_NONE},
    {"JSONB", SL_JSON, 0, TP_NONE},
};

/* Doris types that sluice cannot store yet: refused by name rather than as a syntax error. */
static const char *const unsupported_types[] = {
    "QUANTILE_STATE", "AGG_STATE", "IPV4", "IPV6", "TIME", "TIMEV2",
};

/* Read "( NUMBER )" style parameters: an unsigned integer of at most 9 digits into *v. */
static sl_code parse_uint(sl__parser *P, unsigned long *v)
{
    const sl__tok *t = sl__sql_peek(P, 0);
    if (t->kind != SL__TK_NUMBER || t->len > 9)
        return sl__sql_syntax(P, t);
    unsigned long x = 0;
    for (size_t i = 0; i < t->len; i++) {
        char c = P->text[t->off + i];
        if (c < '0' || c > '9')
            return sl__sql_syntax(P, t);
        x = x * 10 + (unsigned long)(c - '0');
    }
    sl__sql_next(P);
    *v = x;
    return SL_OK;
}

/* The optional "(a[, b])" after a type name; *n_args tells how many were given. */
static sl_code type_args(sl__parser *P, bool two, unsigned long args[2], int *n_args)
{
    sl_code rc;
    *n_args = 0;
    if (!sl__sql_accept_op(P, "("))
        return SL_OK;
    if ((rc = parse_uint(P, &args[0])) != SL_OK)
        return rc;
    *n_args = 1;
    if (two && sl__sql_accept_op(P, ",")) {
        if ((rc = parse_uint(P, &args[1])) != SL_OK)
            return rc;
        *n_args = 2;
    }
    return sl__sql_expect_op(P, ")");
}

/* DECIMAL / DECIMALV2 / DECIMALV3: default (9,0); v2 spelling up to (27,9), else p <= 38. */
static sl_code decimal_type(sl__parser *P, const type_entry *e, sl_type *out)
{
    unsigned long a[2] = {9, 0};
    int n;
    sl_code rc = type_args(P, true, a, &n);
    if (rc != SL_OK)
        return rc;
    unsigned long max_p = e->v1 == 2 ? 27 : 38;
    if (a[0] < 1 || a[0] > max_p)
        return sl_fail(P->err, SL_INVALID_SQL,
                       "precision of %s must be between 1 and %lu, got %lu", e->name, max_p, a[0]);
    if (a[1] > a[0] || (e->v1 == 2 && a[1] > 9))
        return sl_fail(P->err, SL_INVALID_SQL, "scale of %s must be between 0 and %lu, got %lu",
                       e->name, e->v1 == 2 && a[0] > 9 ? 9ul : a[0], a[1]);
    out->precision = (uint8_t)a[0];
    out->scale = (uint8_t)a[1];
    return SL_OK;
}

/* The parameters of e into out. */
static sl_code type_params_of(sl__parser *P, const type_entry *e, sl_type *out)
{
    unsigned long a[2] = {0, 0};
    int n;
    sl_code rc;
    switch ((type_params)e->params) {
    case TP_NONE: return SL_OK;
    case TP_WIDTH: return type_args(P, false, a, &n);
    case TP_DECIMAL: return decimal_type(P, e, out);
    case TP_FRAC:
        if ((rc = type_args(P, false, a, &n)) != SL_OK)
            return rc;
        if (a[0] > 6)
            return sl_fail(P->err, SL_INVALID_SQL,
                           "precision of %s must be between 0 and 6, got %lu", e->name, a[0]);
        out->precision = (uint8_t)a[0];
        return SL_OK;
    case TP_LENGTH: {
        unsigned long max = e->id == SL_CHAR ? 255 : 65533;
        a[0] = e->id == SL_CHAR ? 1 : 65533;
        if ((rc = type_args(P, false, a, &n)) != SL_OK)
            return rc;
        if (a[0] < 1 || a[0] > max)
            return sl_fail(P->err, SL_INVALID_SQL, "length of %s must be between 1 and %lu, got %lu",
                           e->name, max, a[0]);
        out->len = (uint32_t)a[0];
        return SL_OK;
    }
    }
    return SL_OK;
}

static sl_code type_rec(sl__parser *P, sl_type *out, unsigned depth, unsigned *gt);

/* The '>' closing a type list; a '>>' token closes this list and the enclosing one (*gt counts
 * the closes still owed to enclosing lists). */
static sl_code close_angle(sl__parser *P, unsigned *gt)
{
    if (*gt > 0) {
        (*gt)--;
        return SL_OK;
    }
    if (sl__sql_accept_op(P, ">"))
        return SL_OK;
    if (sl__sql_accept_op(P, ">>")) {
        *gt = 1;
        return SL_OK;
    }
    return sl__sql_syntax(P, sl__sql_peek(P, 0));
}

/* An element type with its optional NULL / NOT NULL (and, for STRUCT fields, COMMENT). */
static sl_code elem_type(sl__parser *P, sl_type *t, uint8_t *nullable, unsigned depth,
                         unsigned *gt)
{
    sl_code rc = type_rec(P, t, depth + 1, gt);
    *nullable = 1;
    if (rc != SL_OK || *gt)
        return rc;
    if (sl__sql_accept_kw(P, "NOT")) {
        rc = sl__sql_expect_kw(P, "NULL");
        *nullable = 0;
    } else {
        sl__sql_accept_kw(P, "NULL");
    }
    if (rc == SL_OK && sl__sql_accept_kw(P, "COMMENT")) {
        if (sl__sql_peek(P, 0)->kind != SL__TK_STRING)
            return sl__sql_syntax(P, sl__sql_peek(P, 0));
        sl__sql_next(P);
    }
    if (rc == SL_OK && (t->id == SL_VARIANT || t->id == SL_BITMAP || t->id == SL_HLL))
        return sl_fail(P->err, SL_INVALID_SQL, "%s is not supported inside a complex type",
                       sl_type_meta_name(t));
    return rc;
}

/* ARRAY<T>, MAP<K, V>, STRUCT<name: T [COMMENT 'c'], ...> after the keyword; the element
 * types are interned (types.h). */
static sl_code complex_type(sl__parser *P, uint8_t id, sl_type *out, unsigned depth,
                            unsigned *gt)
{
    enum { MAX_FIELDS = 1024 };
    sl_type ts[16], *t = ts;
    uint8_t nl[16], *nullable = nl;
    sl_slice nm[16], *names = id == SL_STRUCT ? nm : NULL;
    size_t n = 0, cap = 16;
    sl_code rc = sl__sql_expect_op(P, "<");
    if (depth > SL_TYPE_MAX_DEPTH)
        return sl_fail(P->err, SL_INVALID_SQL, "complex types nest at most %d levels",
                       SL_TYPE_MAX_DEPTH);
    while (rc == SL_OK) {
        if (n == cap) {
            sl_type *t2 = sl_arena_alloc(P->a, 2 * cap * sizeof *t2);
            uint8_t *n2 = sl_arena_alloc(P->a, 2 * cap);
            sl_slice *m2 = sl_arena_alloc(P->a, 2 * cap * sizeof *m2);
            if (t2 == NULL || n2 == NULL || m2 == NULL)
                return sl_fail(P->err, SL_NOMEM, "cannot allocate a type");
            memcpy(t2, t, n * sizeof *t), memcpy(n2, nullable, n);
            if (names)
                memcpy(m2, names, n * sizeof *m2), names = m2;
            t = t2, nullable = n2, cap *= 2;
        }
        if (id == SL_STRUCT && ((rc = sl__sql_ident(P, &names[n])) != SL_OK ||
                                (rc = sl__sql_expect_op(P, ":")) != SL_OK))
            return rc;
        if ((rc = elem_type(P, &t[n], &nullable[n], depth, gt)) != SL_OK)
            return rc;
        n++;
        if (*gt || !sl__sql_accept_op(P, ","))
            break;
        if (n >= MAX_FIELDS || (id != SL_STRUCT && n >= (id == SL_MAP ? 2u : 1u)))
            return sl__sql_syntax(P, sl__sql_peek(P, 0));
    }
    if (rc == SL_OK)
        rc = close_angle(P, gt);
    if (rc == SL_OK && n != (id == SL_MAP ? 2u : id == SL_ARRAY ? 1u : n))
        return sl__sql_syntax(P, sl__sql_peek(P, 0));
    for (size_t i = 0; rc == SL_OK && names && i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (names[i].n == names[j].n && strncasecmp(names[i].p, names[j].p, names[i].n) == 0)
                return sl_fail(P->err, SL_INVALID_SQL, "Duplicate field name %.*s in struct",
                               (int)names[i].n, names[i].p);
    sl_ctype c = {(uint32_t)n, t, nullable, names};
    if (rc == SL_OK && !sl_type_intern(id, &c, out))
        return sl_fail(P->err, SL_NOMEM, "cannot keep the type (too many distinct complex types)");
    return rc;
}

static sl_code type_rec(sl__parser *P, sl_type *out, unsigned depth, unsigned *gt)
{
    static const struct {
        const char *name;
        uint8_t id;
    } complex[] = {{"ARRAY", SL_ARRAY}, {"MAP", SL_MAP},         {"STRUCT", SL_STRUCT},
                   {"VARIANT", SL_VARIANT}, {"BITMAP", SL_BITMAP}, {"HLL", SL_HLL}};
    const sl__tok *t = sl__sql_peek(P, 0);
    *out = (sl_type){0};
    if (t->kind != SL__TK_WORD)
        return sl__sql_syntax(P, t);
    for (size_t i = 0; i < SL_COUNT(types); i++) {
        if (sl__sql_is_kw(P, t, types[i].name)) {
            sl__sql_next(P);
            out->id = types[i].id;
            out->v1 = types[i].v1 ? 1 : 0;
            return type_params_of(P, &types[i], out);
        }
    }
    for (size_t i = 0; i < SL_COUNT(complex); i++) {
        if (sl__sql_is_kw(P, t, complex[i].name)) {
            sl__sql_next(P);
            out->id = complex[i].id;
            return complex[i].id <= SL_STRUCT ? complex_type(P, complex[i].id, out, depth, gt)
                                              : SL_OK;
        }
    }
    for (size_t i = 0; i < SL_COUNT(unsupported_types); i++)
        if (sl__sql_is_kw(P, t, unsupported_types[i]))
            return sl_fail(P->err, SL_INVALID_SQL, "unsupported type %.*s", (int)t->len,
                           P->text + t->off);
    return sl_fail(P->err, SL_INVALID_SQL, "unknown type '%.*s' at line %u, column %u",
                   (int)(t->len < 40 ? t->len : 40), P->text + t->off, t->line, t->col);
}

sl_code sl__sql_type(sl__parser *P, sl_type *out)
{
    unsigned gt = 0;
    sl_code rc = type_rec(P, out, 1, &gt);
    return rc == SL_OK && gt ? sl__sql_syntax(P, sl__sql_peek(P, 0)) : rc;
}

sl_code sl_sql_parse_type(sl_slice text, sl_type *out, sl_err *err)
{
    /* Tokens for a type name are few; a small private arena keeps the API arena-free. */
    sl_arena_t a;
    sl_arena_init(&a, 1024);
    sl__parser P = {.text = text.p ? text.p : "", .n = text.p ? text.n : 0, .a = &a, .err = err};
    sl_code rc = sl__sql_lex(&P);
    if (rc == SL_OK)
        rc = sl__sql_type(&P, out);
    if (rc == SL_OK && sl__sql_peek(&P, 0)->kind != SL__TK_EOF)
        rc = sl__sql_syntax(&P, sl__sql_peek(&P, 0));
    sl_arena_free(&a);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Shared pieces: name lists, properties, balanced skipping, literals
 */

/* "( name, ... )" into an arena array. */
static sl_code name_list(sl__parser *P, sl_slice **out, size_t *n)
{
    size_t cap = 0;
    sl_slice *v = NULL, s;
    sl_code rc = sl__sql_expect_op(P, "(");
    *n = 0;
    do {
        if (rc != SL_OK || (rc = sl__sql_ident(P, &s)) != SL_OK)
            return rc;
        if ((rc = SL__SQL_PUSH(P, v, *n, cap, s)) != SL_OK)
            return rc;
    } while (sl__sql_accept_op(P, ","));
    *out = v;
    return sl__sql_expect_op(P, ")");
}

/* Resolve names to column indexes; "Unknown column 'x'" when one is missing. */
static sl_code resolve(sl__parser *P, const sl_tabledef *t, const sl_slice *names, size_t n,
                       size_t **out)
{
    size_t *idx = sl_arena_alloc(P->a, (n ? n : 1) * sizeof *idx);
    if (idx == NULL)
        return sl_fail(P->err, SL_NOMEM, "cannot allocate column list");
    for (size_t i = 0; i < n; i++) {
        long k = sl_tabledef_find(t, names[i]);
        if (k < 0)
            return sl_fail(P->err, SL_INVALID_SQL, "Unknown column '%.*s'", (int)names[i].n,
                           names[i].p);
        idx[i] = (size_t)k;
    }
    *out = idx;
    return SL_OK;
}

/* A property key or value: a string, a number or a bare word. */
static sl_code prop_atom(sl__parser *P, sl_slice *out)
{
    const sl__tok *t = sl__sql_peek(P, 0);
    if (t->kind != SL__TK_STRING && t->kind != SL__TK_NUMBER && !sl__sql_is_name(t))
        return sl__sql_syntax(P, t);
    sl__sql_next(P);
    return sl__sql_value(P, t, out);
}

/* PROPERTIES ( "k" = "v", ... ) after the PROPERTIES keyword. Keys and values are stored
 * without their quotes. */
static sl_code properties(sl__parser *P, sl_property **out, size_t *n)
{
    size_t cap = 0;
    sl_property *v = NULL, pr;
    sl_code rc = sl__sql_expect_op(P, "(");
    *n = 0;
    if (rc == SL_OK && sl__sql_accept_op(P, ")"))
        return SL_OK;
    do {
        if (rc != SL_OK || (rc = prop_atom(P, &pr.key)) != SL_OK ||
            (rc = sl__sql_expect_op(P, "=")) != SL_OK || (rc = prop_atom(P, &pr.value)) != SL_OK)
            return rc;
        if ((rc = SL__SQL_PUSH(P, v, *n, cap, pr)) != SL_OK)
            return rc;
    } while (sl__sql_accept_op(P, ","));
    *out = v;
    return sl__sql_expect_op(P, ")");
}

/* Skip a balanced "( ... )" group whose content is not kept (ROLLUP, partition properties). */
static sl_code skip_group(sl__parser *P)
{
    sl_code rc = sl__sql_expect_op(P, "(");
    size_t depth = 1;
    while (rc == SL_OK && depth > 0) {
        const sl__tok *t = sl__sql_next(P);
        if (t->kind == SL__TK_EOF)
            return sl__sql_syntax(P, t);
        /* "[" opens a range partition's [(lower), (upper)), closed by its ")" */
        if ((sl__sql_is_op(P, t, "(") || sl__sql_is_op(P, t, "[")) &&
            ++depth > SL__SQL_MAX_DEPTH)
            return sl_fail(P->err, SL_INVALID_SQL, "nesting deeper than %d levels",
                           SL__SQL_MAX_DEPTH);
        if (sl__sql_is_op(P, t, ")"))
            depth--;
    }
    return rc;
}

/* A literal: 'x' / "x" (unescaped), [+-]number, and, when allowed, NULL (-> NULL slice),
 * TRUE/FALSE (kept as written) or MAXVALUE (-> NULL slice, *is_max set). */
static sl_code literal(sl__parser *P, bool allow_null, bool allow_max, sl_slice *out, bool *is_max)
{
    const sl__tok *t = sl__sql_peek(P, 0);
    if (is_max)
        *is_max = false;
    if (t->kind == SL__TK_STRING) {
        sl__sql_next(P);
        return sl__sql_value(P, t, out);
    }
    if ((allow_null && sl__sql_accept_kw(P, "NULL")) ||
        (allow_max && (*is_max = sl__sql_accept_kw(P, "MAXVALUE")))) {
        *out = SL_SLICE_NULL;
        return SL_OK;
    }
    if (allow_null && (sl__sql_is_kw(P, t, "TRUE") || sl__sql_is_kw(P, t, "FALSE"))) {
        sl__sql_next(P);
        return sl__sql_value(P, t, out);
    }
    const sl__tok *sign = NULL;
    if (sl__sql_is_op(P, t, "-") || sl__sql_is_op(P, t, "+"))
        sign = sl__sql_next(P), t = sl__sql_peek(P, 0);
    if (t->kind != SL__TK_NUMBER)
        return sl__sql_syntax(P, t);
    sl__sql_next(P);
    bool neg = sign && P->text[sign->off] == '-';
    char *s = sl_arena_printf(P->a, "%s%.*s", neg ? "-" : "", (int)t->len, P->text + t->off);
    if (s == NULL)
        return sl_fail(P->err, SL_NOMEM, "cannot copy literal");
    *out = (sl_slice){s, t->len + (neg ? 1 : 0)};
    return SL_OK;
}

/* ---------------------------------------------------------------------------------------------
 * CREATE TABLE
 */

/* What CREATE TABLE collects besides the sl_tabledef itself. */
typedef struct table_builder {
    sl_tabledef *t;
    size_t cap_cols, cap_parts;
    bool has_key_clause;     /* DUPLICATE / UNIQUE / AGGREGATE KEY (...) was given */
    bool has_key_attr;       /* some column carries the KEY attribute */
    sl_slice *key_names;     /* the key clause's columns */
    size_t n_key_names;
    uint32_t seen;           /* table clauses already read, one bit each */
} table_builder;

/* One aggregate keyword of a column definition, or SL_AGG_NONE. */
static int column_agg(sl__parser *P, const sl__tok *t)
{
    static const struct {
        const char *kw;
        int agg;
    } aggs[] = {{"SUM", SL_AGG_SUM},         {"MAX", SL_AGG_MAX},
                {"MIN", SL_AGG_MIN},         {"REPLACE", SL_AGG_REPLACE},
                {"REPLACE_IF_NOT_NULL", SL_AGG_REPLACE_IF_NOT_NULL},
                {"BITMAP_UNION", SL_AGG_BITMAP_UNION}, {"HLL_UNION", SL_AGG_HLL_UNION}};
    for (size_t i = 0; i < SL_COUNT(aggs); i++)
        if (sl__sql_is_kw(P, t, aggs[i].kw))
            return aggs[i].agg;
    return SL_AGG_NONE;
}

/* CURRENT_TIMESTAMP[(n)] after DEFAULT or ON UPDATE; n is accepted and not kept. */
static sl_code current_timestamp(sl__parser *P)
{
    sl_code rc = sl__sql_expect_kw(P, "CURRENT_TIMESTAMP");
    unsigned long n;
    if (rc == SL_OK && sl__sql_accept_op(P, "(")) {
        if (!sl__sql_is_op(P, sl__sql_peek(P, 0), ")") && (rc = parse_uint(P, &n)) != SL_OK)
            return rc;
        rc = sl__sql_expect_op(P, ")");
    }
    return rc;
}

/* DEFAULT NULL | 'x' | "x" | [-]number | CURRENT_TIMESTAMP[(n)] | CURRENT_DATE. */
static sl_code column_default(sl__parser *P, sl_coldef *c)
{
    const sl__tok *t = sl__sql_peek(P, 0);
    if (sl__sql_accept_kw(P, "NULL")) {
        c->default_kind = SL_DEFAULT_NULL;
        return SL_OK;
    }
    if (sl__sql_is_kw(P, t, "CURRENT_TIMESTAMP")) {
        c->default_kind = SL_DEFAULT_CURRENT_TIMESTAMP;
        return current_timestamp(P);
    }
    if (sl__sql_accept_kw(P, "CURRENT_DATE")) {
        c->default_kind = SL_DEFAULT_CURRENT_DATE;
        return SL_OK;
    }
    c->default_kind = SL_DEFAULT_VALUE;
    return literal(P, false, false, &c->default_value, NULL);
}

/* The attributes after a column's type, in any order, up to ',' or ')'. */
static sl_code column_attrs(sl__parser *P, table_builder *B, sl_coldef *c)
{
    sl_code rc = SL_OK;
    unsigned long n;
    while (rc == SL_OK) {
        const sl__tok *t = sl__sql_peek(P, 0);
        int agg = column_agg(P, t);
        if (sl__sql_is_op(P, t, ",") || sl__sql_is_op(P, t, ")") || t->kind == SL__TK_EOF ||
            sl__sql_is_kw(P, t, "AFTER") || sl__sql_is_kw(P, t, "FIRST") ||
            sl__sql_is_kw(P, t, "TO") || sl__sql_is_kw(P, t, "FROM") ||
            sl__sql_is_kw(P, t, "PROPERTIES")) /* the end, or ALTER's placement after it */
            return SL_OK;
        if (agg != SL_AGG_NONE && c->agg == SL_AGG_NONE) {
            sl__sql_next(P);
            c->agg = (uint8_t)agg;
        } else if (sl__sql_accept_kw(P, "KEY")) {
            c->key = true;
            B->has_key_attr = true;
        } else if (sl__sql_accept_kw(P, "NULL")) {
            c->nullable = true;
        } else if (sl__sql_accept_kw(P, "NOT")) {
            rc = sl__sql_expect_kw(P, "NULL");
            c->nullable = false;
        } else if (sl__sql_accept_kw(P, "AUTO_INCREMENT")) {
            if (sl__sql_accept_op(P, "("))
                if ((rc = parse_uint(P, &n)) == SL_OK)
                    rc = sl__sql_expect_op(P, ")");
        } else if (sl__sql_accept_kw(P, "DEFAULT")) {
            rc = column_default(P, c);
        } else if (sl__sql_accept_kw(P, "ON")) {
            if ((rc = sl__sql_expect_kw(P, "UPDATE")) == SL_OK)
                rc = current_timestamp(P);
        } else if (sl__sql_accept_kw(P, "COMMENT")) {
            if (sl__sql_peek(P, 0)->kind != SL__TK_STRING)
                return sl__sql_syntax(P, sl__sql_peek(P, 0));
            sl__sql_next(P);
        } else {
            return sl__sql_syntax(P, t);
        }
    }
    return rc;
}

/* name type attrs... */
static sl_code column_def(sl__parser *P, table_builder *B)
{
    sl_coldef c = {.nullable = true};
    const sl__tok *at = sl__sql_peek(P, 0);
    sl_code rc = sl__sql_ident(P, &c.name);
    if (rc == SL_OK && sl_tabledef_find(B->t, c.name) >= 0)
        return sl_fail(P->err, SL_INVALID_SQL, "Duplicate column name '%.*s' at line %u, column %u",
                       (int)c.name.n, c.name.p, at->line, at->col);
    if (rc == SL_OK)
        rc = sl__sql_type(P, &c.type);
    if (rc == SL_OK)
        rc = column_attrs(P, B, &c);
    if (rc == SL_OK)
        rc = SL__SQL_PUSH(P, B->t->cols, B->t->n_cols, B->cap_cols, c);
    return rc;
}

/* INDEX name (cols) [USING kind] [PROPERTIES (...)] [COMMENT '...']: checked, not kept. */
static sl_code index_def(sl__parser *P, const table_builder *B)
{
    sl_slice name, *cols = NULL;
    size_t n_cols = 0, *idx, n_props;
    sl_property *props;
    sl_code rc = sl__sql_ident(P, &name);
    if (rc == SL_OK)
        rc = name_list(P, &cols, &n_cols);
    if (rc == SL_OK)
        rc = resolve(P, B->t, cols, n_cols, &idx);
    if (rc == SL_OK && sl__sql_accept_kw(P, "USING"))
        if (!sl__sql_accept_kw(P, "INVERTED") && !sl__sql_accept_kw(P, "BITMAP") &&
            !sl__sql_accept_kw(P, "NGRAM_BF"))
            rc = sl__sql_syntax(P, sl__sql_peek(P, 0));
    if (rc == SL_OK && sl__sql_accept_kw(P, "PROPERTIES"))
        rc = properties(P, &props, &n_props);
    if (rc == SL_OK && sl__sql_accept_kw(P, "COMMENT")) {
        if (sl__sql_peek(P, 0)->kind != SL__TK_STRING)
            return sl__sql_syntax(P, sl__sql_peek(P, 0));
        sl__sql_next(P);
    }
    return rc;
}

/* "( element, ... )": column and index definitions. */
static sl_code table_elements(sl__parser *P, table_builder *B)
{
    sl_code rc = sl__sql_expect_op(P, "(");
    while (rc == SL_OK) {
        const sl__tok *t = sl__sql_peek(P, 0);
        if (sl__sql_is_kw(P, t, "INDEX") && sl__sql_is_name(sl__sql_peek(P, 1)) &&
            sl__sql_is_op(P, sl__sql_peek(P, 2), "(")) {
            sl__sql_next(P);
            rc = index_def(P, B);
        } else {
            rc = column_def(P, B);
        }
        if (rc != SL_OK || !sl__sql_accept_op(P, ","))
            break;
    }
    if (rc == SL_OK)
        rc = sl__sql_expect_op(P, ")");
    return rc;
}

/* DUPLICATE | UNIQUE | AGGREGATE KEY (cols); the keyword is the current token. */
static sl_code key_clause(sl__parser *P, table_builder *B)
{
    const sl__tok *t = sl__sql_next(P);
    B->t->key_model = sl__sql_is_kw(P, t, "UNIQUE")      ? SL_KEYS_UNIQUE
                      : sl__sql_is_kw(P, t, "AGGREGATE") ? SL_KEYS_AGGREGATE
                                                         : SL_KEYS_DUPLICATE;
    B->has_key_clause = true;
    sl_code rc = sl__sql_expect_kw(P, "KEY");
    if (rc == SL_OK)
        rc = name_list(P, &B->key_names, &B->n_key_names);
    return rc;
}

/* "(v, ...)" of a RANGE bound: one value per partition column. A tuple shorter than the
 * column list is accepted only when it ends with MAXVALUE, which then fills the rest. */
static sl_code range_tuple(sl__parser *P, size_t n_cols, sl_slice **out)
{
    sl_slice *v = sl_arena_alloc(P->a, n_cols * sizeof *v);
    size_t n = 0;
    bool is_max = false;
    sl_code rc = sl__sql_expect_op(P, "(");
    if (v == NULL)
        return sl_fail(P->err, SL_NOMEM, "cannot allocate partition bound");
    do {
        const sl__tok *t = sl__sql_peek(P, 0);
        if (rc != SL_OK)
            return rc;
        if (n == n_cols)
            return sl_fail(P->err, SL_INVALID_SQL,
                           "partition bound at line %u, column %u has more values than the "
                           "%zu partition columns", t->line, t->col, n_cols);
        rc = literal(P, false, true, &v[n++], &is_max);
    } while (rc == SL_OK && sl__sql_accept_op(P, ","));
    if (rc == SL_OK && n < n_cols && !is_max)
        return sl_fail(P->err, SL_INVALID_SQL,
                       "partition bound has %zu values for %zu partition columns", n, n_cols);
    for (; n < n_cols; n++)
        v[n] = SL_SLICE_NULL;
    *out = v;
    return rc == SL_OK ? sl__sql_expect_op(P, ")") : rc;
}

/* VALUES LESS THAN MAXVALUE | LESS THAN (...) | [(...), (...)) of one RANGE partition. */
static sl_code range_bounds(sl__parser *P, size_t n_cols, sl_partdef *d)
{
    sl_code rc;
    if (sl__sql_accept_op(P, "[")) {
        if ((rc = range_tuple(P, n_cols, &d->lower)) != SL_OK ||
            (rc = sl__sql_expect_op(P, ",")) != SL_OK ||
            (rc = range_tuple(P, n_cols, &d->upper)) != SL_OK)
            return rc;
        return sl__sql_expect_op(P, ")");
    }
    if ((rc = sl__sql_expect_kw(P, "LESS")) != SL_OK || (rc = sl__sql_expect_kw(P, "THAN")) != SL_OK)
        return rc;
    if (sl__sql_accept_kw(P, "MAXVALUE")) {
        d->upper = sl_arena_alloc(P->a, n_cols * sizeof *d->upper);
        if (d->upper == NULL)
            return sl_fail(P->err, SL_NOMEM, "cannot allocate partition bound");
        for (size_t i = 0; i < n_cols; i++)
            d->upper[i] = SL_SLICE_NULL;
        return SL_OK;
    }
    return range_tuple(P, n_cols, &d->upper);
}

/* VALUES IN (item, ...) of one LIST partition; an item is a literal (one partition column) or
 * a parenthesised tuple with one literal per partition column. */
static sl_code list_values(sl__parser *P, size_t n_cols, sl_partdef *d)
{
    size_t cap = 0, n = 0;
    sl_slice v;
    sl_code rc = sl__sql_expect_kw(P, "IN");
    if (rc == SL_OK)
        rc = sl__sql_expect_op(P, "(");
    do {
        const sl__tok *at = sl__sql_peek(P, 0);
        bool tuple = sl__sql_accept_op(P, "(");
        size_t k = 0;
        do {
            if (rc != SL_OK || (rc = literal(P, true, false, &v, NULL)) != SL_OK)
                return rc;
            if ((rc = SL__SQL_PUSH(P, d->values, n, cap, v)) != SL_OK)
                return rc;
            k++;
        } while (tuple && sl__sql_accept_op(P, ","));
        if (tuple && (rc = sl__sql_expect_op(P, ")")) != SL_OK)
            return rc;
        if (k != n_cols)
            return sl_fail(P->err, SL_INVALID_SQL,
                           "partition value at line %u, column %u has %zu values for %zu "
                           "partition columns", at->line, at->col, k, n_cols);
        d->n_values++;
    } while (sl__sql_accept_op(P, ","));
    return rc == SL_OK ? sl__sql_expect_op(P, ")") : rc;
}

/* ---- batch partitions: FROM ("2024-01-01") TO ("2024-04-01") INTERVAL 1 MONTH ---------- */

/* Most partitions one FROM ... TO ... INTERVAL may make (Doris's max_multi_partition_num). */
#define MAX_BATCH_PARTS 4096

enum { BU_YEAR, BU_MONTH, BU_WEEK, BU_DAY };

typedef struct ymd {
    long y;
    int m, d;
} ymd;

static bool leap(long y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(long y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return d[m - 1] + (m == 2 && leap(y));
}

static int ymd_cmp(ymd a, ymd b)
{
    if (a.y != b.y)
        return a.y < b.y ? -1 : 1;
    if (a.m != b.m)
        return a.m < b.m ? -1 : 1;
    return a.d < b.d ? -1 : a.d > b.d;
}

/* A bound "YYYY-MM-DD" (a time of day may follow only as midnight) into *v; false when it is
 * not a real date. */
static bool ymd_parse(sl_slice s, ymd *v)
{
    int used = 0;
    if (s.p == NULL || sscanf(s.p, "%4ld-%2d-%2d%n", &v->y, &v->m, &v->d, &used) != 3 ||
        v->y < 0 || v->m < 1 || v->m > 12 || v->d < 1 || v->d > month_days(v->y, v->m))
        return false;
    const char *rest = s.p + used;
    return *rest == '\0' || strcmp(rest, " 00:00:00") == 0;
}

/* a plus n units, or limit when that lies beyond it. */
static ymd ymd_step(ymd a, int unit, unsigned long n, ymd limit)
{
    if (unit == BU_YEAR)
        a.y += (long)n;
    else if (unit == BU_MONTH)
        a.y += (long)(n / 12), a.m += (int)(n % 12), a.y += a.m > 12, a.m -= a.m > 12 ? 12 : 0;
    else
        for (unsigned long left = unit == BU_WEEK ? 7 * n : n; left > 0 && a.y <= limit.y;) {
            unsigned long rest = (unsigned long)(month_days(a.y, a.m) - a.d + 1);
            if (left < rest) {
                a.d += (int)left;
                break;
            }
            left -= rest, a.d = 1;
            if (++a.m > 12)
                a.m = 1, ++a.y;
        }
    if (a.y <= limit.y && a.d > month_days(a.y, a.m))
        a.d = month_days(a.y, a.m);
    return ymd_cmp(a, limit) > 0 ? limit : a;
}

/* The week of the year of a, weeks counted from January 1st (1-based): the name of a weekly
 * batch partition. */
static int week_of_year(ymd a)
{
    int doy = a.d - 1;
    for (int k = 1; k < a.m; k++)
        doy += month_days(a.y, k);
    return doy / 7 + 1;
}

/* One bound "(value)" of FROM / TO into *v. */
static sl_code batch_bound(sl__parser *P, sl_slice *v)
{
    sl_code rc = sl__sql_expect_op(P, "(");
    if (rc == SL_OK)
        rc = literal(P, false, false, v, NULL);
    return rc == SL_OK ? sl__sql_expect_op(P, ")") : rc;
}

/* Appends the range partition [lo, hi) called name (three arena strings, NULL when out of
 * memory) to the table. */
static sl_code push_range(sl__parser *P, table_builder *B, char *name, char *lo, char *hi)
{
    sl_partdef d = {.name = sl_slice_of(name)};
    d.lower = sl_arena_alloc(P->a, sizeof *d.lower);
    d.upper = sl_arena_alloc(P->a, sizeof *d.upper);
    if (name == NULL || lo == NULL || hi == NULL || d.lower == NULL || d.upper == NULL)
        return sl_fail(P->err, SL_NOMEM, "cannot allocate a partition");
    d.lower[0] = sl_slice_of(lo), d.upper[0] = sl_slice_of(hi);
    if (B->t->n_parts >= MAX_BATCH_PARTS)
        return sl_fail(P->err, SL_INVALID_SQL, "Too many partitions: more than %d",
                       MAX_BATCH_PARTS);
    return SL__SQL_PUSH(P, B->t->parts, B->t->n_parts, B->cap_parts, d);
}

/* Date partitions from `from` to `to`, n units each, named as Doris names them (p_2024,
 * p_202401, p_2024_01 for weeks, p_20240101). */
static sl_code date_batches(sl__parser *P, table_builder *B, sl_slice from, sl_slice to, int unit,
                            unsigned long n)
{
    ymd a, end;
    if (unit < 0 || !ymd_parse(from, &a) || !ymd_parse(to, &end) || ymd_cmp(a, end) >= 0)
        return sl_fail(P->err, SL_INVALID_SQL, "batch partitions of a date column need two "
                       "dates, the first before the second, and a YEAR, MONTH, WEEK or DAY "
                       "interval");
    sl_code rc = SL_OK;
    while (rc == SL_OK && ymd_cmp(a, end) < 0) {
        ymd b = ymd_step(a, unit, n, end);
        char *name = unit == BU_YEAR  ? sl_arena_printf(P->a, "p_%04ld", a.y)
                   : unit == BU_MONTH ? sl_arena_printf(P->a, "p_%04ld%02d", a.y, a.m)
                   : unit == BU_WEEK  ? sl_arena_printf(P->a, "p_%04ld_%02d", a.y, week_of_year(a))
                                      : sl_arena_printf(P->a, "p_%04ld%02d%02d", a.y, a.m, a.d);
        rc = push_range(P, B, name, sl_arena_printf(P->a, "%04ld-%02d-%02d", a.y, a.m, a.d),
                        sl_arena_printf(P->a, "%04ld-%02d-%02d", b.y, b.m, b.d));
        a = b;
    }
    return rc;
}

/* Integer partitions from `from` to `to`, n apart, named p_<lower bound>. */
static sl_code int_batches(sl__parser *P, table_builder *B, sl_slice from, sl_slice to,
                           unsigned long n)
{
    char *end_a = NULL, *end_b = NULL;
    long long a = from.p ? strtoll(from.p, &end_a, 10) : 0;
    long long b = to.p ? strtoll(to.p, &end_b, 10) : 0;
    if (end_a == NULL || *end_a != '\0' || end_a == from.p || end_b == NULL || *end_b != '\0' ||
        end_b == to.p || a >= b)
        return sl_fail(P->err, SL_INVALID_SQL, "batch partitions of an integer column need two "
                       "integers, the first below the second");
    sl_code rc = SL_OK;
    for (long long v = a; v < b && rc == SL_OK;) {
        long long w = (unsigned long long)b - (unsigned long long)v <= n ? b : v + (long long)n;
        rc = push_range(P, B, sl_arena_printf(P->a, "p_%lld", v), sl_arena_printf(P->a, "%lld", v),
                        sl_arena_printf(P->a, "%lld", w));
        v = w;
    }
    return rc;
}

/* FROM (a) TO (b) INTERVAL n [YEAR|MONTH|WEEK|DAY]: partitions [a, a+n), [a+n, a+2n), ... up to
 * b, on the one DATE/DATETIME or integer column of RANGE partitioning. */
static sl_code batch_partitions(sl__parser *P, table_builder *B)
{
    sl_tabledef *t = B->t;
    sl_slice from, to;
    unsigned long n;
    sl_code rc = sl__sql_expect_kw(P, "FROM");
    if (rc == SL_OK && (rc = batch_bound(P, &from)) == SL_OK &&
        (rc = sl__sql_expect_kw(P, "TO")) == SL_OK && (rc = batch_bound(P, &to)) == SL_OK &&
        (rc = sl__sql_expect_kw(P, "INTERVAL")) == SL_OK)
        rc = parse_uint(P, &n);
    if (rc != SL_OK)
        return rc;
    if (t->part_kind != SL_PART_RANGE || t->n_part_cols != 1 || n == 0)
        return sl_fail(P->err, SL_INVALID_SQL, "batch partitions need RANGE partitioning on one "
                       "column and a positive interval");
    static const char *const units[] = {"YEAR", "MONTH", "WEEK", "DAY"};
    int unit = -1;
    for (int k = 0; k < 4 && unit < 0; k++)
        if (sl__sql_accept_kw(P, units[k]))
            unit = k;
    uint8_t id = t->cols[t->part_cols[0]].type.id;
    if (id == SL_DATE || id == SL_DATETIME)
        return date_batches(P, B, from, to, unit, n);
    if (unit >= 0 || (id != SL_TINYINT && id != SL_SMALLINT && id != SL_INT && id != SL_BIGINT))
        return sl_fail(P->err, SL_INVALID_SQL, "batch partitions need a date or integer column");
    return int_batches(P, B, from, to, n);
}

/* One "PARTITION [IF NOT EXISTS] name VALUES ... [(properties)]" definition. */
static sl_code partition_def(sl__parser *P, table_builder *B)
{
    sl_tabledef *t = B->t;
    sl_partdef d = {0};
    const sl__tok *at = sl__sql_peek(P, 0);
    sl_code rc;
    if (sl__sql_is_kw(P, at, "FROM"))
        return batch_partitions(P, B);
    if ((rc = sl__sql_expect_kw(P, "PARTITION")) != SL_OK)
        return rc;
    if (sl__sql_accept_kw(P, "IF") &&
        ((rc = sl__sql_expect_kw(P, "NOT")) != SL_OK || (rc = sl__sql_expect_kw(P, "EXISTS")) != SL_OK))
        return rc;
    if ((rc = sl__sql_ident(P, &d.name)) != SL_OK || (rc = sl__sql_expect_kw(P, "VALUES")) != SL_OK)
        return rc;
    for (size_t i = 0; i < t->n_parts; i++)
        if (t->parts[i].name.n == d.name.n && strncasecmp(t->parts[i].name.p, d.name.p, d.name.n) == 0)
            return sl_fail(P->err, SL_INVALID_SQL, "Duplicate partition name %.*s", (int)d.name.n,
                           d.name.p);
    if (t->part_kind == SL_PART_RANGE)
        rc = range_bounds(P, t->n_part_cols, &d);
    else
        rc = list_values(P, t->n_part_cols, &d);
    if (rc == SL_OK && sl__sql_is_op(P, sl__sql_peek(P, 0), "("))
        rc = skip_group(P);
    if (rc == SL_OK)
        rc = SL__SQL_PUSH(P, t->parts, t->n_parts, B->cap_parts, d);
    return rc;
}

/* PARTITION BY RANGE|LIST (cols) ( definitions ); the PARTITION keyword is consumed. */
static sl_code partition_clause(sl__parser *P, table_builder *B)
{
    sl_tabledef *t = B->t;
    sl_slice *names;
    sl_code rc = sl__sql_expect_kw(P, "BY");
    if (rc != SL_OK)
        return rc;
    if (sl__sql_accept_kw(P, "RANGE"))
        t->part_kind = SL_PART_RANGE;
    else if (sl__sql_accept_kw(P, "LIST"))
        t->part_kind = SL_PART_LIST;
    else
        return sl__sql_syntax(P, sl__sql_peek(P, 0));
    if ((rc = name_list(P, &names, &t->n_part_cols)) != SL_OK ||
        (rc = resolve(P, t, names, t->n_part_cols, &t->part_cols)) != SL_OK ||
        (rc = sl__sql_expect_op(P, "(")) != SL_OK)
        return rc;
    if (sl__sql_accept_op(P, ")"))
        return SL_OK; /* no partitions yet: dynamic partitioning adds them */
    do {
        if ((rc = partition_def(P, B)) != SL_OK)
            return rc;
    } while (sl__sql_accept_op(P, ","));
    return sl__sql_expect_op(P, ")");
}

/* The HASH columns of DISTRIBUTED BY, with Doris's texts for what cannot distribute. */
static sl_code dist_columns(sl__parser *P, sl_tabledef *t, const sl_slice *names)
{
    size_t n = t->n_dist_cols;
    t->dist_cols = sl_arena_alloc(P->a, (n ? n : 1) * sizeof *t->dist_cols);
    if (t->dist_cols == NULL)
        return sl_fail(P->err, SL_NOMEM, "cannot allocate column list");
    for (size_t i = 0; i < n; i++) {
        long k = sl_tabledef_find(t, names[i]);
        int nn = (int)names[i].n;
        if (k < 0)
            return sl_fail(P->err, SL_INVALID_SQL, "Distribution column(%.*s) doesn't exist.", nn,
                           names[i].p);
        for (size_t j = 0; j < i; j++)
            if (t->dist_cols[j] == (size_t)k)
                return sl_fail(P->err, SL_INVALID_SQL, "Duplicated distribution column %.*s", nn,
                               names[i].p);
        uint8_t id = t->cols[k].type.id;
        if (id == SL_STRING || id == SL_JSON || id == SL_FLOAT || id == SL_DOUBLE)
            return sl_fail(P->err, SL_INVALID_SQL, "%s Type should not be used in distribution "
                           "column[%.*s].", id == SL_STRING ? "String" : id == SL_JSON ? "JsonType"
                           : "Float or double", nn, names[i].p);
        t->dist_cols[i] = (size_t)k;
    }
    return SL_OK;
}

/* DISTRIBUTED BY HASH (cols) | RANDOM [BUCKETS n | AUTO]; DISTRIBUTED is consumed. */
static sl_code distribution_clause(sl__parser *P, table_builder *B)
{
    sl_tabledef *t = B->t;
    sl_slice *names;
    unsigned long n;
    sl_code rc = sl__sql_expect_kw(P, "BY");
    if (rc == SL_OK && sl__sql_accept_kw(P, "HASH")) {
        if ((rc = name_list(P, &names, &t->n_dist_cols)) == SL_OK)
            rc = dist_columns(P, t, names);
    } else if (rc == SL_OK && !sl__sql_accept_kw(P, "RANDOM")) {
        rc = sl__sql_syntax(P, sl__sql_peek(P, 0));
    }
    if (rc != SL_OK || !sl__sql_accept_kw(P, "BUCKETS") || sl__sql_accept_kw(P, "AUTO"))
        return rc;
    const sl__tok *at = sl__sql_peek(P, 0);
    if ((rc = parse_uint(P, &n)) != SL_OK)
        return rc;
    if (n == 0 || n > UINT32_MAX)
        return sl_fail(P->err, SL_INVALID_SQL, "invalid number of buckets at line %u, column %u",
                       at->line, at->col);
    t->buckets = (uint32_t)n;
    return SL_OK;
}

/* ENGINE = OLAP; ENGINE is consumed. */
static sl_code engine_clause(sl__parser *P)
{
    sl_code rc = sl__sql_expect_op(P, "=");
    const sl__tok *t = sl__sql_peek(P, 0);
    if (rc == SL_OK && !sl__sql_accept_kw(P, "OLAP")) {
        if (!sl__sql_is_name(t))
            return sl__sql_syntax(P, t);
        return sl_fail(P->err, SL_INVALID_SQL, "unsupported engine %.*s", (int)t->len,
                       P->text + t->off);
    }
    return rc;
}

/* The clause keywords after the column list; the index is the bit in table_builder.seen. */
static const char *const clause_kw[] = {"ENGINE",      "DUPLICATE", "UNIQUE",  "AGGREGATE",
                                        "CLUSTER",     "COMMENT",   "PARTITION", "DISTRIBUTED",
                                        "ROLLUP",      "PROPERTIES", "AUTO"};

/* AUTO PARTITION BY RANGE (date_trunc(`c`, 'unit')) (...) | AUTO PARTITION BY LIST (c) (...);
 * AUTO is consumed. Doris makes a partition for each new value as rows arrive, so every row
 * has one: sluice keeps such a table unpartitioned, which loads and reads the same. */
static sl_code auto_partition(sl__parser *P)
{
    sl_code rc = sl__sql_expect_kw(P, "PARTITION");
    if (rc == SL_OK)
        rc = sl__sql_expect_kw(P, "BY");
    if (rc == SL_OK && !sl__sql_accept_kw(P, "RANGE") && !sl__sql_accept_kw(P, "LIST"))
        rc = sl__sql_syntax(P, sl__sql_peek(P, 0));
    if (rc == SL_OK)
        rc = skip_group(P); /* the partition expression */
    if (rc == SL_OK && sl__sql_is_op(P, sl__sql_peek(P, 0), "("))
        rc = skip_group(P); /* partitions made so far (SHOW CREATE TABLE prints them) */
    return rc;
}

/* One table clause, chosen by keyword number k; its keyword is the current token. */
static sl_code table_clause(sl__parser *P, table_builder *B, size_t k)
{
    sl_slice *names;
    size_t n;
    if (k >= 1 && k <= 3)
        return key_clause(P, B);
    sl__sql_next(P);
    switch (k) {
    case 0: return engine_clause(P);
    case 4: {
        size_t *idx;
        sl_code rc = sl__sql_expect_kw(P, "BY");
        if (rc == SL_OK)
            rc = name_list(P, &names, &n);
        return rc == SL_OK ? resolve(P, B->t, names, n, &idx) : rc;
    }
    case 5:
        if (sl__sql_peek(P, 0)->kind != SL__TK_STRING)
            return sl__sql_syntax(P, sl__sql_peek(P, 0));
        sl__sql_next(P);
        return SL_OK;
    case 6: return partition_clause(P, B);
    case 7: return distribution_clause(P, B);
    case 8: return skip_group(P);
    case 9: return properties(P, &B->t->props, &B->t->n_props);
    default: return auto_partition(P);
    }
}

/* The clauses after the column list, in any order, each at most once. */
static sl_code table_clauses(sl__parser *P, table_builder *B)
{
    for (;;) {
        const sl__tok *t = sl__sql_peek(P, 0);
        size_t k = 0;
        if (t->kind == SL__TK_EOF)
            return SL_OK;
        while (k < SL_COUNT(clause_kw) && !sl__sql_is_kw(P, t, clause_kw[k]))
            k++;
        /* The three key clauses share one bit: a table has one key model. */
        uint32_t bit = 1u << (k >= 1 && k <= 3 ? 1 : k);
        if (k == SL_COUNT(clause_kw) || (B->seen & bit))
            return sl__sql_syntax(P, t);
        B->seen |= bit;
        sl_code rc = table_clause(P, B, k);
        if (rc != SL_OK)
            return rc;
    }
}

static const char *const model_names[] = {"DUPLICATE", "UNIQUE", "AGGREGATE"};

static const char *const agg_names[] = {"NONE", "SUM", "MAX", "MIN", "REPLACE",
                                        "REPLACE_IF_NOT_NULL", "BITMAP_UNION", "HLL_UNION"};

/* True for the types Doris refuses in a key: FLOAT, DOUBLE, STRING, JSON and the complex,
 * VARIANT, BITMAP and HLL types. */
static bool bad_key_type(const sl_type *ty)
{
    return ty->id == SL_FLOAT || ty->id == SL_DOUBLE || ty->id == SL_STRING ||
           ty->id == SL_JSON || ty->id >= SL_ARRAY;
}

/* BITMAP and HLL only as BITMAP_UNION / HLL_UNION values of AGGREGATE KEY tables, and those
 * aggregates only on them; complex types aggregate by REPLACE only (Doris's rules). */
static sl_code check_agg_type(sl__parser *P, const sl_tabledef *t, const sl_coldef *c)
{
    int nn = (int)c->name.n;
    bool bm = c->type.id == SL_BITMAP, hll = c->type.id == SL_HLL;
    if ((bm || c->agg == SL_AGG_BITMAP_UNION) && t->key_model != SL_KEYS_AGGREGATE)
        return sl_fail(P->err, SL_INVALID_SQL, "BITMAP_UNION must be used in AGG_KEYS");
    if ((hll || c->agg == SL_AGG_HLL_UNION) && t->key_model != SL_KEYS_AGGREGATE)
        return sl_fail(P->err, SL_INVALID_SQL, "HLL_UNION must be used in AGG_KEYS");
    if (c->key || t->key_model != SL_KEYS_AGGREGATE)
        return SL_OK;
    bool ok = bm ? c->agg == SL_AGG_BITMAP_UNION
            : hll ? c->agg == SL_AGG_HLL_UNION
            : c->type.id >= SL_ARRAY ? c->agg == SL_AGG_REPLACE ||
                                          c->agg == SL_AGG_REPLACE_IF_NOT_NULL
                                     : c->agg != SL_AGG_BITMAP_UNION && c->agg != SL_AGG_HLL_UNION;
    if (!ok)
        return sl_fail(P->err, SL_INVALID_SQL, "Aggregate type %s is not compatible with "
                       "primitive type %s of column '%.*s'", agg_names[c->agg],
                       sl_type_meta_name(&c->type), nn, c->name.p);
    return SL_OK;
}

/* Without any key clause or KEY attribute: an AGGREGATE KEY table keyed on the non-aggregate
 * columns when some column aggregates, else DUPLICATE KEY on the first min(3, n) columns,
 * stopping early at the first FLOAT, DOUBLE, STRING or JSON column (Doris also stops at 36 key
 * bytes and takes a VARCHAR as the last key; sluice keeps the simpler rule). */
static void implicit_keys(sl_tabledef *t)
{
    bool any_agg = false;
    for (size_t i = 0; i < t->n_cols; i++)
        any_agg |= t->cols[i].agg != SL_AGG_NONE;
    t->key_model = any_agg ? SL_KEYS_AGGREGATE : SL_KEYS_DUPLICATE;
    for (size_t i = 0; i < t->n_cols; i++) {
        if (any_agg) {
            t->cols[i].key = t->cols[i].agg == SL_AGG_NONE;
        } else {
            if (i >= 3 || bad_key_type(&t->cols[i].type))
                break;
            t->cols[i].key = true;
        }
    }
}

/* Check the settled keys: an ordered prefix, of allowed types, and aggregates exactly on the
 * value columns of an AGGREGATE KEY table (and nowhere in the other models). */
static sl_code check_keys(sl__parser *P, const sl_tabledef *t)
{
    bool in_prefix = true;
    for (size_t i = 0; i < t->n_cols; i++) {
        const sl_coldef *c = &t->cols[i];
        int nn = (int)c->name.n;
        sl_code rc = check_agg_type(P, t, c);
        if (rc != SL_OK)
            return rc;
        if (c->key && !in_prefix)
            return sl_fail(P->err, SL_INVALID_SQL,
                           "Key columns should be a ordered prefix of the schema");
        in_prefix = c->key;
        if (c->key && (c->type.id == SL_FLOAT || c->type.id == SL_DOUBLE))
            return sl_fail(P->err, SL_INVALID_SQL, "Float or double can not used as a key, use "
                           "decimal instead (column '%.*s')", nn, c->name.p);
        if (c->key && c->type.id >= SL_ARRAY)
            return sl_fail(P->err, SL_INVALID_SQL, "%s type should not be used in key "
                           "column[%.*s]", sl_type_meta_name(&c->type), nn, c->name.p);
        if (c->key && bad_key_type(&c->type))
            return sl_fail(P->err, SL_INVALID_SQL,
                           "String Type should not be used in key column[%.*s]", nn, c->name.p);
        if (c->key && c->agg != SL_AGG_NONE)
            return sl_fail(P->err, SL_INVALID_SQL, "Key column %.*s should not specify aggregate "
                           "type %s", nn, c->name.p, agg_names[c->agg]);
        if (!c->key && t->key_model != SL_KEYS_AGGREGATE && c->agg != SL_AGG_NONE)
            return sl_fail(P->err, SL_INVALID_SQL, "aggregate type %s of column '%.*s' is not "
                           "allowed in a %s KEY table", agg_names[c->agg], nn, c->name.p,
                           model_names[t->key_model]);
        if (!c->key && t->key_model == SL_KEYS_AGGREGATE && c->agg == SL_AGG_NONE)
            return sl_fail(P->err, SL_INVALID_SQL, "Column[%.*s] is not key column, but not set "
                           "aggregate type", nn, c->name.p);

    }
    return SL_OK;
}

/* Settle the key model and the key flags (see the file comment), then check them. */
static sl_code finish_keys(sl__parser *P, table_builder *B)
{
    sl_tabledef *t = B->t;
    size_t *idx;
    if (B->has_key_clause) {
        sl_code rc = resolve(P, t, B->key_names, B->n_key_names, &idx);
        if (rc != SL_OK)
            return rc;
        for (size_t i = 0; i < t->n_cols; i++)
            t->cols[i].key = false;
        for (size_t i = 0; i < B->n_key_names; i++) {
            if (idx[i] != i)
                return sl_fail(P->err, SL_INVALID_SQL,
                               "Key columns should be a ordered prefix of the schema");
            t->cols[i].key = true;
        }
    } else if (B->has_key_attr) {
        bool any_agg = false;
        for (size_t i = 0; i < t->n_cols; i++)
            any_agg |= t->cols[i].agg != SL_AGG_NONE;
        t->key_model = any_agg ? SL_KEYS_AGGREGATE : SL_KEYS_DUPLICATE;
    } else {
        implicit_keys(t);
    }
    sl_code rc = check_keys(P, t);
    if (rc != SL_OK || t->key_model == SL_KEYS_DUPLICATE)
        return rc;
    for (size_t i = 0; i < t->n_dist_cols; i++)
        if (!t->cols[t->dist_cols[i]].key)
            return sl_fail(P->err, SL_INVALID_SQL, "Distribution column[%.*s] is not key column",
                           (int)t->cols[t->dist_cols[i]].name.n, t->cols[t->dist_cols[i]].name.p);
    return SL_OK;
}

/* CREATE TABLE t [(c1, c2)] [clauses] AS SELECT ...: a name list, not column definitions,
 * and an AS before the end. */
static bool is_ctas(const sl__parser *P)
{
    size_t k = 0, depth = 0;
    const sl__tok *t = sl__sql_peek(P, 0);
    if (sl__sql_is_op(P, t, "(") && !(sl__sql_is_name(sl__sql_peek(P, 1)) &&
                                      (sl__sql_is_op(P, sl__sql_peek(P, 2), ",") ||
                                       sl__sql_is_op(P, sl__sql_peek(P, 2), ")"))))
        return false;
    for (; (t = sl__sql_peek(P, k))->kind != SL__TK_EOF; k++) {
        if (sl__sql_is_op(P, t, "("))
            depth++;
        else if (sl__sql_is_op(P, t, ")") && depth)
            depth--;
        else if (depth == 0 && sl__sql_is_kw(P, t, "AS") &&
                 (sl__sql_is_kw(P, sl__sql_peek(P, k + 1), "SELECT") ||
                  sl__sql_is_op(P, sl__sql_peek(P, k + 1), "(")))
            return true;
    }
    return false;
}

/* The rest of CREATE TABLE ... AS SELECT: the optional name list, the clauses as text, the
 * SELECT. */
static sl_code create_table_as(sl__parser *P, sl_stmt *out)
{
    sl_code rc = SL_OK;
    out->kind = SL_STMT_CREATE_TABLE_AS;
    if (sl__sql_is_op(P, sl__sql_peek(P, 0), "(") &&
        (rc = name_list(P, &out->ctas.cols, &out->ctas.n_cols)) != SL_OK)
        return rc;
    const sl__tok *from = sl__sql_peek(P, 0);
    size_t depth = 0;
    for (;;) {
        const sl__tok *t = sl__sql_peek(P, 0);
        if (depth == 0 && sl__sql_is_kw(P, t, "AS"))
            break;
        if (sl__sql_is_op(P, t, "("))
            depth++;
        else if (sl__sql_is_op(P, t, ")") && depth)
            depth--;
        sl__sql_next(P);
    }
    const sl__tok *as = sl__sql_peek(P, 0);
    out->ctas.clauses = sl_arena_slice(P->a, (sl_slice){P->text + from->off, as->off - from->off});
    if (out->ctas.clauses.p == NULL)
        return sl_fail(P->err, SL_NOMEM, "cannot copy the clauses");
    sl__sql_next(P); /* AS */
    sl_slice db = out->db, name = out->name;
    bool if_not_exists = out->if_not_exists;
    sl_ctas ctas = out->ctas;
    if (sl__sql_accept_op(P, "(")) {
        /* AS (SELECT ...): the closing parenthesis is the last token */
        size_t last = P->n_toks - 2;
        if (!sl__sql_is_op(P, &P->toks[last], ")"))
            return sl__sql_syntax(P, &P->toks[last]);
        P->toks[last].kind = SL__TK_EOF;
        P->n_toks = last + 1;
    }
    if (!sl__sql_is_kw(P, sl__sql_peek(P, 0), "SELECT"))
        return sl__sql_syntax(P, sl__sql_peek(P, 0));
    rc = sl__sql_select(P, out);
    out->kind = SL_STMT_CREATE_TABLE_AS;
    out->db = db, out->name = name, out->if_not_exists = if_not_exists, out->ctas = ctas;
    return rc;
}

/* CREATE TABLE [IF NOT EXISTS] [db.]t ( ... ) clauses...; CREATE TABLE is consumed. */
static sl_code create_table(sl__parser *P, sl_stmt *out)
{
    table_builder B = {0};
    sl_code rc;
    if (sl__sql_accept_kw(P, "IF")) {
        if ((rc = sl__sql_expect_kw(P, "NOT")) != SL_OK ||
            (rc = sl__sql_expect_kw(P, "EXISTS")) != SL_OK)
            return rc;
        out->if_not_exists = true;
    }
    if ((rc = sl__sql_qname(P, &out->db, &out->name)) != SL_OK)
        return rc;
    if (sl__sql_accept_kw(P, "LIKE")) {
        out->kind = SL_STMT_CREATE_TABLE_LIKE;
        if ((rc = sl__sql_qname(P, &out->like_db, &out->like_name)) != SL_OK)
            return rc;
        if (sl__sql_accept_kw(P, "WITH") && (rc = sl__sql_expect_kw(P, "ROLLUP")) == SL_OK &&
            sl__sql_is_op(P, sl__sql_peek(P, 0), "("))
            rc = skip_group(P); /* rollups are not kept */
        return rc;
    }
    if (is_ctas(P))
        return create_table_as(P, out);
    B.t = sl_arena_alloc(P->a, sizeof *B.t);
    if (B.t == NULL)
        return sl_fail(P->err, SL_NOMEM, "cannot allocate table definition");
    *B.t = (sl_tabledef){.name = out->name};
    out->table = B.t;
    if ((rc = table_elements(P, &B)) != SL_OK || (rc = table_clauses(P, &B)) != SL_OK)
        return rc;
    if (B.t->n_cols == 0)
        return sl_fail(P->err, SL_INVALID_SQL, "a table needs at least one column");
    return finish_keys(P, &B);
}

/* ---------------------------------------------------------------------------------------------
 * Databases, DROP / TRUNCATE, SHOW, DESC
 */

/* "unsupported statement 'SHOW PROCESSLIST'": the words read so far and the current one. */
static sl_code unsupported(sl__parser *P)
{
    const sl__tok *first = &P->toks[0], *last = sl__sql_peek(P, 0);
    if (last->kind != SL__TK_WORD || last->off - first->off > 60)
        last = &P->toks[P->pos > 0 ? P->pos - 1 : 0];
    size_t len = last->off + last->len - first->off;
    int n = (int)(len < 80 ? len : 80);
    return sl_fail(P->err, SL_INVALID_SQL, "unsupported statement '%.*s'", n, P->text + first->off);
}

/* [IF EXISTS] after DROP ...; [IF NOT EXISTS] after CREATE ... */
static sl_code if_clause(sl__parser *P, bool not_exists, bool *flag)
{
    sl_code rc = SL_OK;
    if (!sl__sql_accept_kw(P, "IF"))
        return SL_OK;
    if (not_exists)
        rc = sl__sql_expect_kw(P, "NOT");
    if (rc == SL_OK)
        rc = sl__sql_expect_kw(P, "EXISTS");
    *flag = true;
    return rc;
}

/* CREATE DATABASE|SCHEMA [IF NOT EXISTS] db [PROPERTIES (...)]; properties are checked and
 * not kept. */
static sl_code create_database(sl__parser *P, sl_stmt *out)
{
    sl_property *props;
    size_t n;
    out->kind = SL_STMT_CREATE_DATABASE;
    sl_code rc = if_clause(P, true, &out->if_not_exists);
    if (rc == SL_OK)
        rc = sl__sql_ident(P, &out->db);
    if (rc == SL_OK && sl__sql_accept_kw(P, "PROPERTIES"))
        rc = properties(P, &props, &n);
    return rc;
}

/* DROP DATABASE|SCHEMA [IF EXISTS] db [FORCE] | DROP TABLE [IF EXISTS] [db.]t [FORCE]. */
static sl_code drop(sl__parser *P, sl_stmt *out)
{
    sl_code rc;
    if (sl__sql_accept_kw(P, "DATABASE") || sl__sql_accept_kw(P, "SCHEMA")) {
        out->kind = SL_STMT_DROP_DATABASE;
        if ((rc = if_clause(P, false, &out->if_exists)) == SL_OK)
            rc = sl__sql_ident(P, &out->db);
    } else if (sl__sql_accept_kw(P, "TABLE")) {
        out->kind = SL_STMT_DROP_TABLE;
        if ((rc = if_clause(P, false, &out->if_exists)) == SL_OK)
            rc = sl__sql_qname(P, &out->db, &out->name);
    } else {
        return unsupported(P);
    }
    if (rc == SL_OK)
        sl__sql_accept_kw(P, "FORCE");
    return rc;
}

/* The value of a string literal ('x' or "x"); a syntax error at anything else. */
static sl_code string_lit(sl__parser *P, sl_slice *out)
{
    const sl__tok *t = sl__sql_peek(P, 0);
    if (t->kind != SL__TK_STRING)
        return sl__sql_syntax(P, t);
    sl__sql_next(P);
    return sl__sql_value(P, t, out);
}

/* An unsigned integer literal (digits only) up to INT64_MAX. */
static sl_code int_lit(sl__parser *P, uint64_t *v)
{
    const sl__tok *t = sl__sql_peek(P, 0);
    sl_slice raw = sl__sql_raw(P, t);
    *v = 0;
    if (t->kind != SL__TK_NUMBER || raw.n > 19)
        return sl__sql_syntax(P, t);
    for (size_t i = 0; i < raw.n; i++) {
        if (raw.p[i] < '0' || raw.p[i] > '9' || *v > (INT64_MAX - 9) / 10)
            return sl__sql_syntax(P, t);
        *v = *v * 10 + (uint64_t)(raw.p[i] - '0');
    }
    sl__sql_next(P);
    return SL_OK;
}

static sl_code load_where_error(sl__parser *P)
{
    return sl_fail(P->err, SL_INVALID_SQL,
                   "Where clause should looks like: LABEL = \"your_load_label\", or LABEL LIKE "
                   "\"matcher\",  or STATUS = \"SUCCESS|FAIL\",  or compound predicate with "
                   "operator AND");
}

/* One condition of SHOW STREAM LOAD: LABEL = 'x' | LABEL LIKE 'x' | STATUS = 'SUCCESS|FAIL'. */
static sl_code load_cond(sl__parser *P, sl_show_history *h)
{
    if (sl__sql_peek(P, 0)->kind == SL__TK_EOF)
        return sl__sql_syntax(P, sl__sql_peek(P, 0));
    bool label = sl__sql_accept_kw(P, "LABEL"), like = false;
    if (!label && !sl__sql_accept_kw(P, "STATUS"))
        return load_where_error(P);
    if (label && sl__sql_accept_kw(P, "LIKE"))
        like = true;
    else if (!sl__sql_accept_op(P, "="))
        return load_where_error(P);
    sl_slice v;
    sl_code rc = string_lit(P, &v);
    if (rc != SL_OK)
        return rc;
    if (v.n == 0 || (!label && !sl_slice_ieq(v, "SUCCESS") && !sl_slice_ieq(v, "FAIL")))
        return load_where_error(P);
    if (label) {
        h->label = v;
        h->label_like = like;
    } else {
        h->status = v;
    }
    return SL_OK;
}

/* SHOW STREAM LOAD's clauses after [FROM db], each optional, in this order:
 * [WHERE c [AND c]] [ORDER BY col [ASC|DESC]] [LIMIT n]. */
static sl_code load_clauses(sl__parser *P, sl_show_history *h)
{
    sl_code rc = SL_OK;
    if (sl__sql_accept_kw(P, "WHERE")) {
        rc = load_cond(P, h);
        if (rc == SL_OK && sl__sql_accept_kw(P, "AND"))
            rc = load_cond(P, h);
    }
    if (rc == SL_OK && sl__sql_accept_kw(P, "ORDER")) {
        if ((rc = sl__sql_expect_kw(P, "BY")) == SL_OK)
            rc = sl__sql_ident(P, &h->order_by);
        if (rc == SL_OK && !sl__sql_accept_kw(P, "ASC"))
            h->desc = sl__sql_accept_kw(P, "DESC");
    }
    if (rc == SL_OK && sl__sql_accept_kw(P, "LIMIT")) {
        h->has_limit = true;
        rc = int_lit(P, &h->limit);
        if (rc == SL_OK && (sl__sql_is_kw(P, sl__sql_peek(P, 0), "OFFSET") ||
                            sl__sql_is_op(P, sl__sql_peek(P, 0), ",")))
            rc = sl_fail(P->err, SL_INVALID_SQL, "SHOW STREAM LOAD does not support OFFSET");
    }
    return rc;
}

/* SHOW TRANSACTION's WHERE id = N | label = 'x' (required). */
static sl_code txn_where(sl__parser *P, sl_show_history *h)
{
    static const char msg[] = "Where clause should looks like one of them: id = 123 or label = "
                              "'label'";
    if (sl__sql_peek(P, 0)->kind == SL__TK_EOF)
        return sl_fail(P->err, SL_INVALID_SQL, "Missing transaction id");
    if (!sl__sql_accept_kw(P, "WHERE"))
        return sl__sql_syntax(P, sl__sql_peek(P, 0));
    if (sl__sql_peek(P, 0)->kind == SL__TK_EOF)
        return sl__sql_syntax(P, sl__sql_peek(P, 0));
    bool id = sl__sql_accept_kw(P, "ID");
    if (!id && !sl__sql_accept_kw(P, "LABEL"))
        return sl_fail(P->err, SL_INVALID_SQL, "%s", msg);
    if (!sl__sql_accept_op(P, "="))
        return sl_fail(P->err, SL_INVALID_SQL, "%s", msg);
    if (!id)
        return string_lit(P, &h->label);
    uint64_t v;
    sl_code rc = int_lit(P, &v);
    h->txn_id = (int64_t)v;
    return rc;
}

/* The rest of SHOW STREAM LOAD / SHOW TRANSACTION, by Doris's grammar (see sl_show_history):
 * one [FROM|IN db] first, then the clauses. A second FROM, or FROM after a clause, is left
 * unread and refused as a syntax error by sl_sql_parse. */
static sl_code show_history(sl__parser *P, sl_stmt *out)
{
    sl_code rc = SL_OK;
    out->history.txn_id = -1;
    if (sl__sql_accept_kw(P, "FROM") || sl__sql_accept_kw(P, "IN"))
        rc = sl__sql_ident(P, &out->db);
    if (rc != SL_OK)
        return rc;
    if (out->kind == SL_STMT_SHOW_TRANSACTION)
        return txn_where(P, &out->history);
    return load_clauses(P, &out->history);
}

/* SHOW PROC 'path' (after PROC): of Doris's proc tree sluice has '/stream_loads', the loads
 * running on this node with their progress. */
static sl_code show_proc(sl__parser *P, sl_stmt *out)
{
    const sl__tok *t = sl__sql_peek(P, 0);
    if (t->kind != SL__TK_STRING)
        return sl__sql_syntax(P, t);
    sl_slice path;
    sl_code rc = sl__sql_value(P, sl__sql_next(P), &path);
    if (rc != SL_OK)
        return rc;
    if (!sl_slice_eq(path, "/stream_loads") && !sl_slice_eq(path, "/stream_loads/"))
        return sl_fail(P->err, SL_INVALID_SQL,
                       "Proc path '%.*s' doesn't exist; sluice has '/stream_loads'",
                       (int)(path.n > 64 ? 64 : path.n), path.p);
    out->kind = SL_STMT_SHOW_PROC_LOADS;
    return SL_OK;
}

/* SHOW DATABASES | TABLES [FROM|IN db] | CREATE TABLE [db.]t | STREAM LOAD | TRANSACTION |
 * PROC '/stream_loads'. */
static sl_code show(sl__parser *P, sl_stmt *out)
{
    if (sl__sql_accept_kw(P, "DATABASES") || sl__sql_accept_kw(P, "SCHEMAS")) {
        out->kind = SL_STMT_SHOW_DATABASES;
        return SL_OK;
    }
    if (sl__sql_accept_kw(P, "TABLES")) {
        out->kind = SL_STMT_SHOW_TABLES;
        if (sl__sql_accept_kw(P, "FROM") || sl__sql_accept_kw(P, "IN"))
            return sl__sql_ident(P, &out->db);
        return SL_OK;
    }
    if (sl__sql_accept_kw(P, "CREATE")) {
        out->kind = SL_STMT_SHOW_CREATE_TABLE;
        sl_code rc = sl__sql_expect_kw(P, "TABLE");
        return rc == SL_OK ? sl__sql_qname(P, &out->db, &out->name) : rc;
    }
    if (sl__sql_accept_kw(P, "STREAM")) {
        out->kind = SL_STMT_SHOW_STREAM_LOAD;
        sl_code rc = sl__sql_expect_kw(P, "LOAD");
        return rc == SL_OK ? show_history(P, out) : rc;
    }
    if (sl__sql_accept_kw(P, "TRANSACTION")) {
        out->kind = SL_STMT_SHOW_TRANSACTION;
        return show_history(P, out);
    }
    if (sl__sql_accept_kw(P, "PROC"))
        return show_proc(P, out);
    const sl__tok *t = sl__sql_peek(P, 0);
    if (sl__sql_is_kw(P, t, "GRANTS") || sl__sql_is_kw(P, t, "BACKENDS") ||
        sl__sql_is_kw(P, t, "FRONTENDS") ||
        (sl__sql_is_kw(P, t, "ALL") && sl__sql_is_kw(P, sl__sql_peek(P, 1), "GRANTS")))
        return sl__sql_account(P, "SHOW", out);
    return unsupported(P);
}

/* ---------------------------------------------------------------------------------------------
 * INSERT INTO [db.]t [(cols)] VALUES (...), ...
 */

/* A complex value written as Doris's literal ([1, 2], {"k": 1}, {"f1": 1}): its text as written,
 * brackets balanced, for the column's conversion (batch/complex.h). */
static sl_code complex_literal(sl__parser *P, sl_slice *out)
{
    const sl__tok *first = sl__sql_peek(P, 0), *t;
    size_t depth = 0;
    do {
        t = sl__sql_next(P);
        if (t->kind == SL__TK_EOF)
            return sl__sql_syntax(P, t);
        if (sl__sql_is_op(P, t, "[") || sl__sql_is_op(P, t, "{"))
            depth++;
        else if (sl__sql_is_op(P, t, "]") || sl__sql_is_op(P, t, "}"))
            depth--;
    } while (depth > 0);
    *out = sl_arena_slice(P->a, (sl_slice){P->text + first->off, t->off + t->len - first->off});
    return out->p ? SL_OK : sl_fail(P->err, SL_NOMEM, "cannot copy literal");
}

/* One "(lit, ...)" row appended to ins->values; the first row fixes n_values. */
static sl_code insert_row(sl__parser *P, sl_insert *ins, size_t *cap)
{
    const sl__tok *at = sl__sql_peek(P, 0);
    size_t before = ins->n_rows * ins->n_values, n = before, k = 0;
    sl_slice v;
    sl_code rc = sl__sql_expect_op(P, "(");
    do {
        const sl__tok *t = sl__sql_peek(P, 0);
        if (rc == SL_OK && (sl__sql_is_op(P, t, "[") || sl__sql_is_op(P, t, "{")))
            rc = complex_literal(P, &v);
        else if (rc == SL_OK)
            rc = literal(P, true, false, &v, NULL);
        if (rc != SL_OK)
            return rc;
        if ((rc = SL__SQL_PUSH(P, ins->values, n, *cap, v)) != SL_OK)
            return rc;
        k++;
    } while (sl__sql_accept_op(P, ","));
    if ((rc = sl__sql_expect_op(P, ")")) != SL_OK)
        return rc;
    if (ins->n_rows == 0)
        ins->n_values = k;
    if (k != ins->n_values || (ins->cols && k != ins->n_cols))
        return sl_fail(P->err, SL_INVALID_SQL,
                       "Column count doesn't match value count at row %zu (line %u, column %u)",
                       ins->n_rows + 1, at->line, at->col);
    ins->n_rows++;
    return SL_OK;
}

/* INSERT INTO ...; INSERT is consumed. */
static sl_code insert(sl__parser *P, sl_stmt *out)
{
    sl_insert *ins = &out->insert;
    size_t cap = 0;
    out->kind = SL_STMT_INSERT;
    sl_code rc = sl__sql_expect_kw(P, "INTO");
    if (rc == SL_OK)
        rc = sl__sql_qname(P, &ins->db, &ins->table);
    if (rc != SL_OK)
        return rc;
    out->db = ins->db;
    out->name = ins->table;
    if (sl__sql_is_op(P, sl__sql_peek(P, 0), "(") && (rc = name_list(P, &ins->cols, &ins->n_cols)) != SL_OK)
        return rc;
    if (sl__sql_is_kw(P, sl__sql_peek(P, 0), "SELECT") || sl__sql_is_kw(P, sl__sql_peek(P, 0), "WITH"))
        return sl_fail(P->err, SL_INVALID_SQL, "INSERT ... SELECT is not supported");
    if (!sl__sql_accept_kw(P, "VALUES") && !sl__sql_accept_kw(P, "VALUE"))
        return sl__sql_syntax(P, sl__sql_peek(P, 0));
    do {
        if ((rc = insert_row(P, ins, &cap)) != SL_OK)
            return rc;
    } while (sl__sql_accept_op(P, ","));
    return SL_OK;
}

/* ---------------------------------------------------------------------------------------------
 * ALTER TABLE (sl_alter, applied by ddl.c)
 */

/* Skip to the end of the current operation: the next ',' outside parentheses, or the end. */
static sl_code skip_op(sl__parser *P)
{
    size_t depth = 0;
    for (;;) {
        const sl__tok *t = sl__sql_peek(P, 0);
        if (t->kind == SL__TK_EOF || (depth == 0 && sl__sql_is_op(P, t, ",")))
            return SL_OK;
        /* "[" opens a range partition's [(lower), (upper)), closed by its ")" */
        if ((sl__sql_is_op(P, t, "(") || sl__sql_is_op(P, t, "[")) &&
            ++depth > SL__SQL_MAX_DEPTH)
            return sl_fail(P->err, SL_INVALID_SQL, "nesting deeper than %d levels",
                           SL__SQL_MAX_DEPTH);
        if (sl__sql_is_op(P, t, ")") && depth)
            depth--;
        sl__sql_next(P);
    }
}

/* A column definition of ADD / MODIFY COLUMN into op. */
static sl_code alter_coldef(sl__parser *P, sl_alter_op *op)
{
    sl_tabledef t = {0};
    table_builder B = {.t = &t};
    sl_code rc = column_def(P, &B);
    if (rc != SL_OK)
        return rc;
    op->col = t.cols[0];
    op->has_key_attr = B.has_key_attr;
    return SL_OK;
}

/* [AFTER c | FIRST] [TO|FROM rollup] [PROPERTIES (...)] after a column definition. */
static sl_code column_place(sl__parser *P, sl_alter_op *op)
{
    sl_code rc = SL_OK;
    sl_slice r;
    sl_property *props;
    size_t n;
    if (sl__sql_accept_kw(P, "FIRST"))
        op->first = true;
    else if (sl__sql_accept_kw(P, "AFTER"))
        rc = sl__sql_ident(P, &op->after);
    if (rc == SL_OK && (sl__sql_accept_kw(P, "TO") || sl__sql_accept_kw(P, "FROM")))
        rc = sl__sql_ident(P, &r); /* rollups are not kept */
    if (rc == SL_OK && sl__sql_accept_kw(P, "PROPERTIES"))
        rc = properties(P, &props, &n);
    return rc;
}

static sl_code push_op(sl__parser *P, sl_alter *al, size_t *cap, const sl_alter_op *op)
{
    return SL__SQL_PUSH(P, al->ops, al->n_ops, *cap, *op);
}

/* ADD COLUMN ... | ADD PARTITION ... | ADD ROLLUP / INDEX ...; ADD is consumed. */
static sl_code alter_add(sl__parser *P, sl_alter *al, size_t *cap)
{
    sl_alter_op op = {.kind = SL_ALTER_ADD_COLUMN};
    sl_code rc = SL_OK;
    if (sl__sql_accept_kw(P, "COLUMN")) {
        if (!sl__sql_accept_op(P, "(")) {
            if ((rc = alter_coldef(P, &op)) == SL_OK && (rc = column_place(P, &op)) == SL_OK)
                rc = push_op(P, al, cap, &op);
            return rc;
        }
        do { /* ADD COLUMN (a INT, b INT): each at the end, in order */
            sl_alter_op one = {.kind = SL_ALTER_ADD_COLUMN};
            if ((rc = alter_coldef(P, &one)) != SL_OK || (rc = push_op(P, al, cap, &one)) != SL_OK)
                return rc;
        } while (sl__sql_accept_op(P, ","));
        if ((rc = sl__sql_expect_op(P, ")")) == SL_OK)
            rc = column_place(P, &op); /* TO rollup */
        return rc;
    }
    if (sl__sql_is_kw(P, sl__sql_peek(P, 0), "TEMPORARY"))
        return sl_fail(P->err, SL_INVALID_SQL, "temporary partitions are not supported");
    if (sl__sql_is_kw(P, sl__sql_peek(P, 0), "PARTITION")) {
        const sl__tok *from = sl__sql_peek(P, 0);
        op.kind = SL_ALTER_ADD_PARTITION;
        op.if_exists = sl__sql_is_kw(P, sl__sql_peek(P, 1), "IF");
        if ((rc = skip_op(P)) != SL_OK)
            return rc;
        const sl__tok *end = sl__sql_peek(P, 0);
        op.part_text = sl_arena_slice(P->a, (sl_slice){P->text + from->off, end->off - from->off});
        return op.part_text.p ? push_op(P, al, cap, &op) : sl_fail(P->err, SL_NOMEM, "oom");
    }
    if (sl__sql_accept_kw(P, "ROLLUP") || sl__sql_accept_kw(P, "INDEX")) {
        op.kind = SL_ALTER_NOTHING;
        return (rc = skip_op(P)) == SL_OK ? push_op(P, al, cap, &op) : rc;
    }
    return sl__sql_syntax(P, sl__sql_peek(P, 0));
}

/* DROP COLUMN c | DROP PARTITION [IF EXISTS] p [FORCE] | DROP ROLLUP / INDEX ...; DROP is
 * consumed. */
static sl_code alter_drop(sl__parser *P, sl_alter *al, size_t *cap)
{
    sl_alter_op op = {.kind = SL_ALTER_DROP_COLUMN};
    sl_code rc;
    if (sl__sql_accept_kw(P, "COLUMN")) {
        sl_slice r;
        if ((rc = sl__sql_ident(P, &op.name)) == SL_OK && sl__sql_accept_kw(P, "FROM"))
            rc = sl__sql_ident(P, &r);
        return rc == SL_OK ? push_op(P, al, cap, &op) : rc;
    }
    if (sl__sql_is_kw(P, sl__sql_peek(P, 0), "TEMPORARY"))
        return sl_fail(P->err, SL_INVALID_SQL, "temporary partitions are not supported");
    if (sl__sql_accept_kw(P, "PARTITION")) {
        op.kind = SL_ALTER_DROP_PARTITION;
        if (sl__sql_accept_kw(P, "IF")) {
            if ((rc = sl__sql_expect_kw(P, "EXISTS")) != SL_OK)
                return rc;
            op.if_exists = true;
        }
        if ((rc = sl__sql_ident(P, &op.name)) != SL_OK)
            return rc;
        sl__sql_accept_kw(P, "FORCE");
        return push_op(P, al, cap, &op);
    }
    if (sl__sql_accept_kw(P, "ROLLUP") || sl__sql_accept_kw(P, "INDEX")) {
        op.kind = SL_ALTER_NOTHING;
        return (rc = skip_op(P)) == SL_OK ? push_op(P, al, cap, &op) : rc;
    }
    return sl__sql_syntax(P, sl__sql_peek(P, 0));
}

/* One ALTER TABLE operation. */
static sl_code alter_op(sl__parser *P, sl_alter *al, size_t *cap)
{
    sl_alter_op op = {.kind = SL_ALTER_NOTHING};
    sl_code rc;
    if (sl__sql_accept_kw(P, "ADD"))
        return alter_add(P, al, cap);
    if (sl__sql_accept_kw(P, "DROP"))
        return alter_drop(P, al, cap);
    if (sl__sql_accept_kw(P, "MODIFY")) {
        if (sl__sql_accept_kw(P, "COMMENT") || sl__sql_accept_kw(P, "PARTITION") ||
            sl__sql_accept_kw(P, "DISTRIBUTION") || sl__sql_accept_kw(P, "ENGINE"))
            return (rc = skip_op(P)) == SL_OK ? push_op(P, al, cap, &op) : rc;
        if ((rc = sl__sql_expect_kw(P, "COLUMN")) != SL_OK)
            return rc;
        if (sl__sql_is_kw(P, sl__sql_peek(P, 1), "COMMENT")) /* MODIFY COLUMN c COMMENT 'x' */
            return (rc = skip_op(P)) == SL_OK ? push_op(P, al, cap, &op) : rc;
        op.kind = SL_ALTER_MODIFY_COLUMN;
        if ((rc = alter_coldef(P, &op)) == SL_OK && (rc = column_place(P, &op)) == SL_OK)
            rc = push_op(P, al, cap, &op);
        return rc;
    }
    if (sl__sql_accept_kw(P, "RENAME")) {
        if (sl__sql_accept_kw(P, "COLUMN") || sl__sql_accept_kw(P, "PARTITION")) {
            bool col = sl__sql_is_kw(P, &P->toks[P->pos - 1], "COLUMN");
            op.kind = col ? SL_ALTER_RENAME_COLUMN : SL_ALTER_RENAME_PARTITION;
            if ((rc = sl__sql_ident(P, &op.name)) == SL_OK)
                rc = sl__sql_ident(P, &op.new_name);
            return rc == SL_OK ? push_op(P, al, cap, &op) : rc;
        }
        if (sl__sql_accept_kw(P, "ROLLUP"))
            return (rc = skip_op(P)) == SL_OK ? push_op(P, al, cap, &op) : rc;
        sl__sql_accept_kw(P, "TO");
        op.kind = SL_ALTER_RENAME;
        return (rc = sl__sql_ident(P, &op.name)) == SL_OK ? push_op(P, al, cap, &op) : rc;
    }
    if (sl__sql_accept_kw(P, "SET")) {
        op.kind = SL_ALTER_SET_PROPERTIES;
        return (rc = properties(P, &op.props, &op.n_props)) == SL_OK ? push_op(P, al, cap, &op)
                                                                     : rc;
    }
    if (sl__sql_accept_kw(P, "COMMENT")) /* ALTER TABLE t COMMENT 'x' */
        return (rc = skip_op(P)) == SL_OK ? push_op(P, al, cap, &op) : rc;
    if (sl__sql_is_kw(P, sl__sql_peek(P, 0), "ORDER") ||
        sl__sql_is_kw(P, sl__sql_peek(P, 0), "ENABLE") ||
        sl__sql_is_kw(P, sl__sql_peek(P, 0), "REPLACE"))
        return unsupported(P);
    return sl__sql_syntax(P, sl__sql_peek(P, 0));
}

/* ALTER TABLE [db.]t op [, op ...]; ALTER TABLE is consumed. */
static sl_code alter_table(sl__parser *P, sl_stmt *out)
{
    size_t cap = 0;
    out->kind = SL_STMT_ALTER_TABLE;
    sl_code rc = sl__sql_qname(P, &out->db, &out->name);
    do {
        if (rc == SL_OK)
            rc = alter_op(P, &out->alter, &cap);
    } while (rc == SL_OK && sl__sql_accept_op(P, ","));
    return rc;
}

sl_code sl__sql_partition(sl_slice text, const sl_tabledef *t, sl_arena_t *a, sl_partdef *out,
                          sl_err *err)
{
    sl_tabledef copy = *t;
    table_builder B = {.t = &copy};
    sl__parser P = {.text = text.p ? text.p : "", .n = text.p ? text.n : 0, .a = a, .err = err};
    copy.parts = NULL, copy.n_parts = 0;
    sl_code rc = sl__sql_lex(&P);
    if (rc == SL_OK)
        rc = partition_def(&P, &B);
    if (rc == SL_OK && sl__sql_accept_kw(&P, "DISTRIBUTED"))
        rc = skip_op(&P); /* a partition's own buckets: not kept */
    if (rc == SL_OK && sl__sql_peek(&P, 0)->kind != SL__TK_EOF)
        rc = sl__sql_syntax(&P, sl__sql_peek(&P, 0));
    if (rc == SL_OK)
        *out = copy.parts[0];
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Entry
 */

/* One statement, dispatched on its first words. */
static sl_code statement(sl__parser *P, sl_stmt *out)
{
    if (sl__sql_accept_kw(P, "CREATE")) {
        if (sl__sql_accept_kw(P, "DATABASE") || sl__sql_accept_kw(P, "SCHEMA"))
            return create_database(P, out);
        if (sl__sql_accept_kw(P, "TABLE")) {
            out->kind = SL_STMT_CREATE_TABLE;
            return create_table(P, out);
        }
        if (sl__sql_accept_kw(P, "USER"))
            return sl__sql_account(P, "CREATE", out);
    } else if (sl__sql_accept_kw(P, "ALTER")) {
        if (sl__sql_accept_kw(P, "USER"))
            return sl__sql_account(P, "ALTER", out);
        if (sl__sql_accept_kw(P, "TABLE"))
            return alter_table(P, out);
    } else if (sl__sql_accept_kw(P, "GRANT")) {
        return sl__sql_account(P, "GRANT", out);
    } else if (sl__sql_accept_kw(P, "REVOKE")) {
        return sl__sql_account(P, "REVOKE", out);
    } else if (sl__sql_is_kw(P, sl__sql_peek(P, 0), "SET") &&
               sl__sql_is_kw(P, sl__sql_peek(P, 1), "PASSWORD")) {
        sl__sql_next(P), sl__sql_next(P);
        return sl__sql_account(P, "SET", out);
    } else if (sl__sql_accept_kw(P, "DROP")) {
        if (sl__sql_accept_kw(P, "USER"))
            return sl__sql_account(P, "DROP", out);
        return drop(P, out);
    } else if (sl__sql_accept_kw(P, "TRUNCATE")) {
        out->kind = SL_STMT_TRUNCATE;
        sl__sql_accept_kw(P, "TABLE");
        return sl__sql_qname(P, &out->db, &out->name);
    } else if (sl__sql_accept_kw(P, "SHOW")) {
        return show(P, out);
    } else if (sl__sql_accept_kw(P, "DESC") || sl__sql_accept_kw(P, "DESCRIBE")) {
        out->kind = SL_STMT_DESC;
        sl_code rc = sl__sql_qname(P, &out->db, &out->name);
        if (rc == SL_OK)
            sl__sql_accept_kw(P, "ALL");
        return rc;
    } else if (sl__sql_accept_kw(P, "INSERT")) {
        return insert(P, out);
    } else if (sl__sql_is_kw(P, sl__sql_peek(P, 0), "SELECT")) {
        out->kind = SL_STMT_SELECT;
        return sl__sql_select(P, out);
    } else if (sl__sql_peek(P, 0)->kind == SL__TK_EOF) {
        return sl_fail(P->err, SL_INVALID_SQL, "empty statement");
    } else if (sl__sql_peek(P, 0)->kind != SL__TK_WORD) {
        return sl__sql_syntax(P, sl__sql_peek(P, 0));
    }
    return unsupported(P);
}

/* Allow one trailing ';': it becomes the end of input. Any token after it is a second
 * statement, which is refused. */
static sl_code cut_semicolon(sl__parser *P)
{
    for (size_t i = 0; i + 1 < P->n_toks; i++) {
        if (!sl__sql_is_op(P, &P->toks[i], ";"))
            continue;
        if (P->toks[i + 1].kind != SL__TK_EOF)
            return sl_fail(P->err, SL_INVALID_SQL, "multiple statements are not supported "
                           "(second statement at line %u, column %u)", P->toks[i + 1].line,
                           P->toks[i + 1].col);
        P->toks[i].kind = SL__TK_EOF;
        P->toks[i].len = 0;
        P->n_toks = i + 1;
        break;
    }
    return SL_OK;
}

sl_code sl_sql_parse(const char *text, size_t n, sl_arena_t *a, sl_stmt *out, sl_err *err)
{
    sl__parser P = {.text = text ? text : "", .n = text ? n : 0, .a = a, .err = err};
    memset(out, 0, sizeof *out);
    sl_code rc = sl__sql_lex(&P);
    if (rc == SL_OK)
        rc = cut_semicolon(&P);
    if (rc == SL_OK)
        rc = statement(&P, out);
    if (rc == SL_OK && sl__sql_peek(&P, 0)->kind != SL__TK_EOF)
        rc = sl__sql_syntax(&P, sl__sql_peek(&P, 0));
    return rc;
}
