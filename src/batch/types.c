/*
 * types.c - names of logical types and table-definition lookups (batch stage).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "types.h"

long sl_tabledef_find(const sl_tabledef *t, sl_slice name)
{
    for (size_t i = 0; i < t->n_cols; i++) {
        const sl_slice c = t->cols[i].name;
        if (c.n == name.n && strncasecmp(c.p, name.p, name.n) == 0)
            return (long)i;
    }
    return -1;
}

sl_slice sl_tabledef_prop(const sl_tabledef *t, const char *key)
{
    for (size_t i = 0; i < t->n_props; i++)
        if (sl_slice_ieq(t->props[i].key, key))
            return t->props[i].value;
    return SL_SLICE_NULL;
}

/* The spelling of a complex type ("array<int>", "map<text,int>", "struct<a:int,b:text>"),
 * NOT NULL elements marked as in DDL. */
static void complex_name(const sl_type *t, char *buf, size_t cap)
{
    static const char *const kw[] = {"array<", "map<", "struct<"};
    size_t n = 0;
    char sub[256];
    const sl_ctype *c = sl_type_sub(t);
    n += (size_t)snprintf(buf + n, cap - n, "%s", kw[t->id - SL_ARRAY]);
    for (uint32_t i = 0; c && i < c->n && n < cap; i++) {
        if (i)
            n += (size_t)snprintf(buf + n, cap - n, ",");
        if (t->id == SL_STRUCT && n < cap)
            n += (size_t)snprintf(buf + n, cap - n, "%.*s:", (int)c->names[i].n, c->names[i].p);
        if (n < cap)
            n += (size_t)snprintf(buf + n, cap - n, "%s%s", sl_type_name(&c->t[i], sub,
                                  sizeof sub), c->nullable[i] ? "" : " not null");
    }
    if (n < cap)
        snprintf(buf + n, cap - n, ">");
}

char *sl_type_name(const sl_type *t, char *buf, size_t cap)
{
    switch ((sl_type_id)t->id) {
    case SL_TINYINT: snprintf(buf, cap, "tinyint"); break;
    case SL_SMALLINT: snprintf(buf, cap, "smallint"); break;
    case SL_INT: snprintf(buf, cap, "int"); break;
    case SL_BIGINT: snprintf(buf, cap, "bigint"); break;
    case SL_LARGEINT: snprintf(buf, cap, "largeint"); break;
    case SL_FLOAT: snprintf(buf, cap, "float"); break;
    case SL_DOUBLE: snprintf(buf, cap, "double"); break;
    case SL_DECIMAL:
        snprintf(buf, cap, "%s(%u,%u)", t->v1 ? "decimal" : "decimalv3", t->precision, t->scale);
        break;
    case SL_DATE: snprintf(buf, cap, "%s", t->v1 ? "date" : "datev2"); break;
    case SL_DATETIME:
        if (t->precision)
            snprintf(buf, cap, "%s(%u)", t->v1 ? "datetime" : "datetimev2", t->precision);
        else
            snprintf(buf, cap, "%s", t->v1 ? "datetime" : "datetimev2");
        break;
    case SL_BOOLEAN: snprintf(buf, cap, "boolean"); break;
    case SL_CHAR: snprintf(buf, cap, "char(%u)", t->len); break;
    case SL_VARCHAR: snprintf(buf, cap, "varchar(%u)", t->len); break;
    case SL_STRING: snprintf(buf, cap, "text"); break;
    case SL_JSON: snprintf(buf, cap, "json"); break;
    case SL_ARRAY: case SL_MAP: case SL_STRUCT: complex_name(t, buf, cap); break;
    case SL_VARIANT: snprintf(buf, cap, "variant"); break;
    case SL_BITMAP: snprintf(buf, cap, "bitmap"); break;
    case SL_HLL: snprintf(buf, cap, "hll"); break;
    default: snprintf(buf, cap, "unknown"); break;
    }
    return buf;
}

const char *sl_type_meta_name(const sl_type *t)
{
    static const char *const names[SL__N_TYPES] = {
        [SL_TINYINT] = "TINYINT", [SL_SMALLINT] = "SMALLINT", [SL_INT] = "INT",
        [SL_BIGINT] = "BIGINT",   [SL_LARGEINT] = "LARGEINT", [SL_FLOAT] = "FLOAT",
        [SL_DOUBLE] = "DOUBLE",   [SL_DECIMAL] = "DECIMAL",   [SL_DATE] = "DATE",
        [SL_DATETIME] = "DATETIME", [SL_BOOLEAN] = "BOOLEAN", [SL_CHAR] = "CHAR",
        [SL_VARCHAR] = "VARCHAR", [SL_STRING] = "STRING",     [SL_JSON] = "JSON",
        [SL_ARRAY] = "ARRAY",     [SL_MAP] = "MAP",           [SL_STRUCT] = "STRUCT",
        [SL_VARIANT] = "VARIANT", [SL_BITMAP] = "BITMAP",     [SL_HLL] = "HLL",
    };
    return t->id < SL__N_TYPES ? names[t->id] : "UNKNOWN";
}

/* The interned descriptions: chunks of 256 published under the mutex and never moved, so a
 * handle handed out can be read without the lock. Process lifetime: allocated with plain
 * calloc, outside sl_malloc's fault injection and accounting. */
#define CHUNK 256
static pthread_mutex_t intern_mu = PTHREAD_MUTEX_INITIALIZER;
static sl_ctype *chunks[SL_TYPE_MAX_INTERNED / CHUNK];
static uint32_t n_interned;

static bool same_ctype(const sl_ctype *a, const sl_ctype *b)
{
    if (a->n != b->n || (a->names == NULL) != (b->names == NULL))
        return false;
    for (uint32_t i = 0; i < a->n; i++) {
        if (!sl_type_equal(&a->t[i], &b->t[i]) || a->nullable[i] != b->nullable[i])
            return false;
        if (a->names && (a->names[i].n != b->names[i].n ||
                         memcmp(a->names[i].p, b->names[i].p, a->names[i].n) != 0))
            return false;
    }
    return true;
}

/* A deep copy of c into one calloc block. */
static bool copy_ctype(const sl_ctype *c, sl_ctype *out)
{
    size_t names = 0;
    for (uint32_t i = 0; c->names && i < c->n; i++)
        names += c->names[i].n;
    size_t sz = c->n * (sizeof(sl_type) + 1 + (c->names ? sizeof(sl_slice) : 0)) + names + 16;
    char *m = calloc(1, sz);
    if (m == NULL)
        return false;
    out->n = c->n;
    out->t = (sl_type *)(void *)m;
    memcpy(out->t, c->t, c->n * sizeof(sl_type));
    char *p = m + c->n * sizeof(sl_type);
    out->names = c->names ? (sl_slice *)(void *)p : NULL;
    p += c->names ? c->n * sizeof(sl_slice) : 0;
    out->nullable = (uint8_t *)p;
    memcpy(p, c->nullable, c->n);
    p += c->n;
    for (uint32_t i = 0; c->names && i < c->n; i++) {
        memcpy(p, c->names[i].p, c->names[i].n);
        out->names[i] = (sl_slice){p, c->names[i].n};
        p += c->names[i].n;
    }
    return true;
}

bool sl_type_intern(uint8_t id, const sl_ctype *c, sl_type *out)
{
    bool ok = true;
    uint32_t h = 0;
    pthread_mutex_lock(&intern_mu);
    for (uint32_t i = 0; i < n_interned && h == 0; i++)
        if (same_ctype(&chunks[i / CHUNK][i % CHUNK], c))
            h = i + 1;
    if (h == 0 && n_interned == SL_TYPE_MAX_INTERNED)
        ok = false;
    if (h == 0 && ok && chunks[n_interned / CHUNK] == NULL &&
        (chunks[n_interned / CHUNK] = calloc(CHUNK, sizeof(sl_ctype))) == NULL)
        ok = false;
    if (h == 0 && ok && (ok = copy_ctype(c, &chunks[n_interned / CHUNK][n_interned % CHUNK])))
        h = ++n_interned;
    pthread_mutex_unlock(&intern_mu);
    *out = (sl_type){id, 0, 0, 0, h};
    return ok;
}

const sl_ctype *sl_type_sub(const sl_type *t)
{
    if (!sl_type_is_complex(t) || t->len == 0 || t->len > SL_TYPE_MAX_INTERNED)
        return NULL;
    uint32_t i = t->len - 1;
    return &chunks[i / CHUNK][i % CHUNK];
}

bool sl_type_make_array(sl_type elem, sl_type *out)
{
    uint8_t nl = 1;
    sl_ctype c = {1, &elem, &nl, NULL};
    return sl_type_intern(SL_ARRAY, &c, out);
}

bool sl_type_make_map(sl_type key, sl_type val, sl_type *out)
{
    sl_type kv[2] = {key, val};
    uint8_t nl[2] = {1, 1};
    sl_ctype c = {2, kv, nl, NULL};
    return sl_type_intern(SL_MAP, &c, out);
}

unsigned sl_type_depth(const sl_type *t)
{
    const sl_ctype *c = sl_type_sub(t);
    unsigned d = 0;
    for (uint32_t i = 0; c && i < c->n; i++) {
        unsigned k = sl_type_depth(&c->t[i]);
        d = k > d ? k : d;
    }
    return d + 1;
}
