/*
 * func_complex.c - functions of ARRAY, MAP, STRUCT, VARIANT, BITMAP and HLL values, and the
 * casts that involve them (expr stage; one table, like func_string.c).
 *
 *   x[i] / element_at, struct_element, array(...) / [..], map(...) / {k: v}, named_struct,
 *   struct, size / array_size / cardinality / map_size, array_contains, array_position,
 *   array_join, array_distinct, array_sort, array_reverse, array_slice, array_concat,
 *   array_min, array_max, map_keys, map_values, map_contains_key, map_contains_value;
 *   to_bitmap, bitmap_hash, bitmap_from_string, bitmap_empty, bitmap_count, bitmap_to_string,
 *   bitmap_contains, hll_hash, hll_empty, hll_cardinality
 *
 * Values are the byte slices of batch/complex.h (ARRAY, MAP, STRUCT) and batch/bitmap.h
 * (BITMAP, HLL); VARIANT is compact JSON text. Results are built in the evaluation arena.
 * Doris's rules: arrays are indexed from 1 (a negative index counts from the end), an index
 * out of range or a missing key is NULL, a map lookup takes the last entry with the key,
 * array_sort puts NULLs first, to_bitmap of NULL or of a value that is not an unsigned 64-bit
 * integer is NULL, bitmap_count and hll_cardinality of NULL are 0, hll_hash(NULL) is an empty
 * HLL.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../batch/bitmap.h"
#include "../batch/complex.h"
#include "internal.h"

#define KEEP A_KEEP
#define MAX_RESULT (1u << 20) /* bytes of one text result (the string functions' limit) */

static sl_code oom(sl__env *env)
{
    env->oom = true;
    return sl_fail(env->err, SL_NOMEM, "out of memory evaluating an expression");
}

static sl_slice sv(const sl_vec *v, size_t i)
{
    return (sl_slice){v->v[i].s.p, v->v[i].s.n};
}

static bool isnull(const sl_vec *v, size_t i)
{
    return v->null && v->null[i];
}

static sl_type elem(sl_type t, uint32_t k)
{
    const sl_ctype *c = sl_type_sub(&t);
    return c && k < c->n ? c->t[k] : sl__ty(SL_STRING);
}

static sl_code wrong(sl__binder *b, const sl_expr *e, const char *want)
{
    char tn[128];
    const sl_type t = e->args[0]->type;
    return sl_fail(b->err, SL_INVALID, "%s needs %s, not %s", e->fn->name, want,
                   sl__cls_of(t.id) == C_NULL ? "NULL" : sl_type_name(&t, tn, sizeof tn));
}

/* ---- binding -------------------------------------------------------------------------------- */

/* The common type of args [from, to) stepping by step (STRING for none / only NULLs' BOOLEAN). */
static sl_type common_of(const sl_expr *e, size_t from, size_t step)
{
    sl_type t = {SL__NULLTYPE, 0, 0, 0, 0};
    for (size_t i = from; i < e->n_args; i += step)
        t = sl__expr_common(t, e->args[i]->type, false);
    return sl__cls_of(t.id) == C_NULL ? sl__ty(SL_INT) : t;
}

static sl_code bind_array(sl_expr *e, sl__binder *b)
{
    sl_type t = common_of(e, 0, 1);
    for (size_t i = 0; i < e->n_args; i++) {
        sl_code rc = sl__expr_coerce(b, &e->args[i], t);
        if (rc != SL_OK)
            return rc;
    }
    return sl_type_make_array(t, &e->type) ? SL_OK : sl_fail(b->err, SL_NOMEM, "out of memory");
}

static sl_code bind_map(sl_expr *e, sl__binder *b)
{
    if (e->n_args % 2)
        return sl_fail(b->err, SL_INVALID, "map needs key and value pairs, got %zu arguments",
                       e->n_args);
    sl_type k = common_of(e, 0, 2), v = common_of(e, 1, 2);
    for (size_t i = 0; i < e->n_args; i++) {
        sl_code rc = sl__expr_coerce(b, &e->args[i], i % 2 ? v : k);
        if (rc != SL_OK)
            return rc;
    }
    return sl_type_make_map(k, v, &e->type) ? SL_OK : sl_fail(b->err, SL_NOMEM, "out of memory");
}

/* named_struct('f1', v1, ...) (aux 1) and struct(v1, ...) (fields col1, col2, ...). */
static sl_code bind_struct(sl_expr *e, sl__binder *b)
{
    bool named = e->fn->aux;
    size_t n = named ? e->n_args / 2 : e->n_args;
    sl_type *t = sl_arena_alloc(b->a, (n + 1) * sizeof *t);
    uint8_t *nl = sl_arena_alloc(b->a, n + 1);
    sl_slice *names = sl_arena_alloc(b->a, (n + 1) * sizeof *names);
    if (t == NULL || nl == NULL || names == NULL)
        return sl_fail(b->err, SL_NOMEM, "out of memory");
    if (n == 0 || (named && e->n_args % 2))
        return sl_fail(b->err, SL_INVALID, "%s needs %s", e->fn->name,
                       named ? "name and value pairs" : "at least one value");
    for (size_t i = 0; i < n; i++) {
        const sl_expr *v = e->args[named ? 2 * i + 1 : i];
        t[i] = sl__cls_of(v->type.id) == C_NULL ? sl__ty(SL_INT) : v->type;
        nl[i] = 1;
        if (named) {
            const sl_expr *nm = e->args[2 * i];
            if (nm->kind != EK_LIT || nm->lit_null || sl__cls_of(nm->type.id) != C_TEXT)
                return sl_fail(b->err, SL_INVALID, "named_struct needs constant field names");
            names[i] = (sl_slice){nm->lit.s.p, nm->lit.s.n};
        } else {
            char *s = sl_arena_printf(b->a, "col%zu", i + 1);
            if (s == NULL)
                return sl_fail(b->err, SL_NOMEM, "out of memory");
            names[i] = sl_slice_of(s);
        }
        sl_code rc = sl__expr_coerce(b, &e->args[named ? 2 * i + 1 : i], t[i]);
        if (rc != SL_OK)
            return rc;
    }
    sl_ctype c = {(uint32_t)n, t, nl, names};
    return sl_type_intern(SL_STRUCT, &c, &e->type) ? SL_OK
                                                   : sl_fail(b->err, SL_NOMEM, "out of memory");
}

/* The field a STRUCT access names: a constant string (by name) or integer (1-based). */
static sl_code struct_field(sl_expr *e, sl__binder *b)
{
    const sl_ctype *c = sl_type_sub(&e->args[0]->type);
    const sl_expr *k = e->args[1];
    if (k->kind != EK_LIT || k->lit_null)
        return sl_fail(b->err, SL_INVALID, "%s needs a constant field name or position",
                       e->fn->name);
    long f = -1;
    if (sl__cls_of(k->type.id) == C_TEXT) {
        for (uint32_t i = 0; i < c->n && f < 0; i++)
            if (c->names[i].n == k->lit.s.n &&
                strncasecmp(c->names[i].p, k->lit.s.p, k->lit.s.n) == 0)
                f = (long)i;
    } else if (sl__cls_of(k->type.id) == C_INT && k->lit.i >= 1 && k->lit.i <= (int64_t)c->n) {
        f = (long)k->lit.i - 1;
    }
    if (f < 0)
        return sl_fail(b->err, SL_INVALID, "the struct has no field %s%.*s",
                       sl__cls_of(k->type.id) == C_TEXT ? "" : "number ",
                       sl__cls_of(k->type.id) == C_TEXT ? (int)k->lit.s.n : 0,
                       sl__cls_of(k->type.id) == C_TEXT ? k->lit.s.p : "");
    e->lit.i = f; /* the field, kept in the call node's unused literal */
    e->type = c->t[f];
    return SL_OK;
}

static sl_code bind_element_at(sl_expr *e, sl__binder *b)
{
    sl_type t = e->args[0]->type;
    switch (t.id) {
    case SL_ARRAY:
        e->type = elem(t, 0);
        return sl__expr_coerce(b, &e->args[1], sl__ty(SL_BIGINT));
    case SL_MAP:
        e->type = elem(t, 1);
        return sl__expr_coerce(b, &e->args[1], elem(t, 0));
    case SL_STRUCT: return struct_field(e, b);
    case SL_VARIANT:
        e->type = t;
        if (sl__cls_of(e->args[1]->type.id) == C_INT)
            return sl__expr_coerce(b, &e->args[1], sl__ty(SL_BIGINT));
        return sl__expr_coerce(b, &e->args[1], sl__ty(SL_STRING));
    default: return wrong(b, e, "an ARRAY, MAP, STRUCT or VARIANT");
    }
}

static sl_code bind_struct_element(sl_expr *e, sl__binder *b)
{
    return e->args[0]->type.id == SL_STRUCT ? struct_field(e, b) : wrong(b, e, "a STRUCT");
}

/* size / cardinality: ARRAY or MAP. */
static sl_code bind_size(sl_expr *e, sl__binder *b)
{
    uint8_t id = e->args[0]->type.id;
    if (id != SL_ARRAY && id != SL_MAP)
        return wrong(b, e, "an ARRAY or a MAP");
    e->type = sl__ty(SL_BIGINT);
    return SL_OK;
}

static sl_code need(sl__binder *b, sl_expr *e, uint8_t id)
{
    static const char *const what[] = {"an ARRAY", "a MAP", "a STRUCT"};
    return e->args[0]->type.id == id ? SL_OK : wrong(b, e, what[id - SL_ARRAY]);
}

/* array_contains / array_position / map_contains_key / _value: the probe in the element
 * (key, value) type; aux selects which. */
static sl_code bind_probe(sl_expr *e, sl__binder *b)
{
    uint8_t id = e->fn->aux == 0 ? SL_ARRAY : SL_MAP;
    sl_code rc = need(b, e, id);
    if (rc != SL_OK)
        return rc;
    return sl__expr_coerce(b, &e->args[1], elem(e->args[0]->type, e->fn->aux == 2 ? 1 : 0));
}

static sl_code f_concat_rows(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out);

/* Array -> array of the same type (array_distinct, array_sort, array_reverse, array_slice,
 * array_concat). */
static sl_code bind_same(sl_expr *e, sl__binder *b)
{
    sl_code rc = need(b, e, SL_ARRAY);
    e->type = e->args[0]->type;
    bool arrays = e->fn->eval == f_concat_rows; /* array_concat: more arrays */
    for (size_t i = 1; rc == SL_OK && i < e->n_args; i++)
        rc = arrays ? sl__expr_coerce(b, &e->args[i], e->type)
                    : sl__expr_coerce(b, &e->args[i], sl__ty(SL_BIGINT));
    return rc;
}

static sl_code bind_minmax(sl_expr *e, sl__binder *b)
{
    sl_code rc = need(b, e, SL_ARRAY);
    e->type = elem(e->args[0]->type, 0);
    return rc;
}

static sl_code bind_join(sl_expr *e, sl__binder *b)
{
    sl_code rc = need(b, e, SL_ARRAY);
    for (size_t i = 1; rc == SL_OK && i < e->n_args; i++)
        rc = sl__expr_coerce(b, &e->args[i], sl__ty(SL_STRING));
    return rc;
}

static sl_code bind_keys(sl_expr *e, sl__binder *b)
{
    sl_code rc = need(b, e, SL_MAP);
    if (rc == SL_OK && !sl_type_make_array(elem(e->args[0]->type, (uint32_t)e->fn->aux),
                                           &e->type))
        rc = sl_fail(b->err, SL_NOMEM, "out of memory");
    return rc;
}

/* to_bitmap / bitmap_hash / hll_hash: integers as they are, anything else as text. */
static sl_code bind_hashable(sl_expr *e, sl__binder *b)
{
    int c = sl__cls_of(e->args[0]->type.id);
    if (c == C_CPLX)
        return wrong(b, e, "a number or a string");
    if (c == C_INT && e->fn->aux == 0)
        return sl__expr_coerce(b, &e->args[0], sl__ty(SL_BIGINT));
    return sl__expr_coerce(b, &e->args[0], sl__ty(SL_STRING));
}

static sl_code bind_bitmap_arg(sl_expr *e, sl__binder *b)
{
    uint8_t want = e->fn->aux == 1 ? SL_HLL : SL_BITMAP;
    if (e->args[0]->type.id != want && sl__cls_of(e->args[0]->type.id) != C_NULL)
        return wrong(b, e, want == SL_HLL ? "an HLL" : "a BITMAP");
    if (sl__cls_of(e->args[0]->type.id) == C_NULL)
        e->args[0]->type = sl__ty(want);
    return e->n_args > 1 ? sl__expr_coerce(b, &e->args[1], sl__ty(SL_BIGINT)) : SL_OK;
}

/* ---- evaluation helpers ----------------------------------------------------------------- */

/* The elements of row i's value; false when it is malformed (the row is then NULL). */
static bool items(sl__env *env, const sl_type *t, sl_slice enc, size_t *n, sl_slice **it)
{
    if (sl_cv_items(t, enc, env->a, n, it))
        return true;
    return false;
}

static bool build(sl__env *env, const sl_type *t, const sl_slice *it, size_t n, sl_datum *o)
{
    sl_slice r;
    if (!sl_cv_build(t, it, n, env->a, &r))
        return oom(env), false;
    o->s.p = r.p, o->s.n = r.n;
    return true;
}

/* The encoding of one datum of type t (nested values are their encoding). */
static sl_slice encode(sl__env *env, const sl_type *t, const sl_datum *d)
{
    sl_buf b = SL_BUF_INIT;
    sl_cv_put(&b, t, d);
    sl_slice r = b.oom ? SL_SLICE_NULL : sl_arena_slice(env->a, (sl_slice){b.p ? b.p : "",
                                                                          b.len});
    sl_buf_free(&b);
    if (r.p == NULL)
        oom(env);
    return r;
}

/* Does element enc (of type et) equal the probe v? */
static bool elem_eq(const sl_type *et, sl_slice enc, const sl_datum *v)
{
    sl_datum d;
    return enc.p && sl_cv_get(et, enc, &d) && sl_cv_cmp(et, &d, v) == 0;
}

/* Rows of a constructor: array(...), map(...), named_struct / struct. */
static sl_code f_build(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    bool named = e->type.id == SL_STRUCT && e->fn->aux;
    size_t n = named ? e->n_args / 2 : e->n_args;
    sl_slice *it = sl_arena_alloc(env->a, (n + 1) * sizeof *it);
    if (it == NULL)
        return oom(env);
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        for (size_t k = 0; k < n; k++) {
            const sl_vec *a = &av[named ? 2 * k + 1 : k];
            it[k] = isnull(a, i) ? SL_SLICE_NULL : encode(env, &a->type, &a->v[i]);
            if (env->oom)
                return SL_NOMEM;
        }
        if (!build(env, &e->type, it, n, &out->v[i]))
            return SL_NOMEM;
    }
    return SL_OK;
}

/* ---- VARIANT paths ------------------------------------------------------------------------- */

static const char *jskip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* The end of the JSON value at p (compact text from sl_cv_variant), or NULL. */
static const char *jskip(const char *p, const char *e)
{
    int depth = 0;
    p = jskip_ws(p, e);
    do {
        if (p >= e)
            return NULL;
        char c = *p;
        if (c == '"') {
            for (p++; p < e && *p != '"'; p++)
                if (*p == '\\')
                    p++;
            if (p >= e)
                return NULL;
            p++;
        } else if (c == '[' || c == '{') {
            depth++, p++;
        } else if (c == ']' || c == '}') {
            depth--, p++;
        } else if (c == ',' || c == ':') {
            p++;
        } else {
            while (p < e && !strchr(",:]} \t\r\n", *p))
                p++;
        }
        p = jskip_ws(p, e);
    } while (depth > 0);
    return p;
}

/* v['key'] (objects) or v[k] (arrays, 1-based; negative from the end): a slice of v. */
static bool jpath(sl_slice v, const sl_vec *k, size_t i, sl_slice *out)
{
    const char *p = jskip_ws(v.p, v.p + v.n), *e = v.p + v.n;
    bool by_index = sl__cls_of(k->type.id) == C_INT;
    if (p == e || *p != (by_index ? '[' : '{'))
        return false;
    int64_t want = by_index ? k->v[i].i : 0, n = 0;
    if (by_index && want < 0) { /* count the elements first */
        for (const char *q = jskip_ws(p + 1, e); q && q < e && *q != ']'; n++)
            if ((q = jskip(q, e)) && q < e && *q == ',')
                q++;
        want = n + 1 + want;
    }
    p = jskip_ws(p + 1, e);
    for (int64_t pos = 1; p < e && *p != ']' && *p != '}'; pos++) {
        const char *ks = p, *ke = p;
        if (!by_index) {
            if ((ke = jskip(p, e)) == NULL || ke >= e || *ke != ':')
                return false;
            p = jskip_ws(ke + 1, e);
        }
        const char *ve = jskip(p, e);
        if (ve == NULL)
            return false;
        bool hit = by_index ? pos == want
                            : (size_t)(ke - ks) == k->v[i].s.n + 2 &&
                                  memcmp(ks + 1, k->v[i].s.p, k->v[i].s.n) == 0;
        if (hit) {
            *out = (sl_slice){p, (size_t)(ve - p)};
            return true;
        }
        p = ve < e && *ve == ',' ? jskip_ws(ve + 1, e) : ve;
    }
    return false;
}

/* ---- element access ------------------------------------------------------------------------ */

static bool array_at(sl__env *env, const sl_type *t, sl_slice enc, int64_t k, sl_slice *el)
{
    size_t n;
    sl_slice *it;
    if (!items(env, t, enc, &n, &it) || k == 0)
        return false;
    int64_t at = k > 0 ? k - 1 : (int64_t)n + k;
    if (at < 0 || at >= (int64_t)n)
        return false;
    *el = it[at];
    return el->p != NULL;
}

static bool map_at(sl__env *env, const sl_type *t, sl_slice enc, const sl_vec *kv, size_t i,
                   sl_slice *el)
{
    size_t n;
    sl_slice *it;
    sl_type kt = elem(*t, 0);
    if (!items(env, t, enc, &n, &it))
        return false;
    for (size_t j = n; j >= 2; j -= 2) { /* the last entry with the key */
        bool hit = isnull(kv, i) ? it[j - 2].p == NULL : elem_eq(&kt, it[j - 2], &kv->v[i]);
        if (hit) {
            *el = it[j - 1];
            return el->p != NULL;
        }
    }
    return false;
}

static sl_code f_element_at(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    const sl_type *t = &av[0].type;
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        sl_slice el = SL_SLICE_NULL;
        bool ok;
        if (isnull(&av[0], i) || (t->id != SL_MAP && isnull(&av[1], i)))
            ok = false;
        else if (t->id == SL_ARRAY)
            ok = array_at(env, t, sv(&av[0], i), av[1].v[i].i, &el);
        else if (t->id == SL_MAP)
            ok = map_at(env, t, sv(&av[0], i), &av[1], i, &el);
        else if (t->id == SL_VARIANT)
            ok = jpath(sv(&av[0], i), &av[1], i, &el) && !(el.n == 4 && !memcmp(el.p, "null", 4));
        else
            ok = array_at(env, t, sv(&av[0], i), e->lit.i + 1, &el);
        if (ok && t->id == SL_VARIANT)
            out->v[i].s.p = el.p, out->v[i].s.n = el.n;
        else if (ok)
            ok = sl_cv_get(&e->type, el, &out->v[i]);
        out->null[i] = !ok;
    }
    return SL_OK;
}

/* size / array_size / cardinality / map_size */
static sl_code f_size(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    (void)e;
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        size_t n = sl_cv_count(&av[0].type, sv(&av[0], i));
        out->null[i] = n == SIZE_MAX;
        out->v[i].i = (int64_t)n;
    }
    return SL_OK;
}

/* array_contains (aux 0 / fn 0), array_position (1), map_contains_key (key), _value (value):
 * a NULL probe finds a NULL element. */
static sl_code f_probe(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    const sl_type *t = &av[0].type;
    bool pos = strcmp(e->fn->name, "array_position") == 0;
    int step = t->id == SL_MAP ? 2 : 1, off = e->fn->aux == 2 ? 1 : 0;
    sl_type et = elem(*t, (uint32_t)off);
    for (size_t i = 0; i < env->n; i++) {
        size_t n;
        sl_slice *it;
        if (out->null[i] || isnull(&av[0], i) || !items(env, t, sv(&av[0], i), &n, &it)) {
            out->null[i] = 1;
            continue;
        }
        int64_t found = 0;
        for (size_t j = (size_t)off, k = 1; j < n && !found; j += (size_t)step, k++)
            if (isnull(&av[1], i) ? it[j].p == NULL : elem_eq(&et, it[j], &av[1].v[i]))
                found = (int64_t)k;
        out->v[i].i = pos ? found : found != 0;
    }
    return SL_OK;
}

/* ---- array transforms ---------------------------------------------------------------------- */

typedef struct el {
    sl_slice enc;
    sl_datum d;
} el;

/* Ascending with NULLs first (array_sort); stable merge sort into tmp. */
static int el_cmp(const sl_type *et, const el *x, const el *y)
{
    if (x->enc.p == NULL || y->enc.p == NULL)
        return (x->enc.p != NULL) - (y->enc.p != NULL);
    return sl_cv_cmp(et, &x->d, &y->d);
}

static void el_sort(const sl_type *et, el *v, el *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    el_sort(et, v, tmp, h);
    el_sort(et, v + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h || j < n)
        tmp[k++] = (j == n || (i < h && el_cmp(et, &v[i], &v[j]) <= 0)) ? v[i++] : v[j++];
    memcpy(v, tmp, n * sizeof *v);
}

/* The elements of row i as el (decoded), in env->a; false when malformed or out of memory. */
static bool els(sl__env *env, const sl_type *t, sl_slice enc, el **out, size_t *n)
{
    sl_slice *it;
    sl_type et = elem(*t, 0);
    if (!items(env, t, enc, n, &it))
        return false;
    el *v = sl_arena_alloc(env->a, (*n + 1) * 2 * sizeof *v);
    if (v == NULL)
        return oom(env), false;
    for (size_t k = 0; k < *n; k++) {
        v[k].enc = it[k];
        if (it[k].p && !sl_cv_get(&et, it[k], &v[k].d))
            return false;
    }
    *out = v;
    return true;
}

enum { T_DISTINCT, T_SORT, T_REVERSE, T_SLICE, T_MIN, T_MAX };

/* array_distinct / array_sort / array_reverse / array_slice on one row's elements v[0..n). */
static size_t transform(const sl_expr *e, const sl_vec *av, size_t i, el *v, size_t n)
{
    sl_type et = elem(av[0].type, 0);
    switch (e->fn->aux) {
    case T_SORT: el_sort(&et, v, v + n, n); return n;
    case T_REVERSE:
        for (size_t a = 0, b = n; a + 1 < b; a++, b--) {
            el x = v[a];
            v[a] = v[b - 1], v[b - 1] = x;
        }
        return n;
    case T_SLICE: {
        int64_t off = av[1].v[i].i, len = e->n_args > 2 ? av[2].v[i].i : (int64_t)n;
        int64_t from = off > 0 ? off - 1 : off < 0 ? (int64_t)n + off : (int64_t)n;
        if (from < 0 || from >= (int64_t)n || len <= 0)
            return 0;
        int64_t to = len > (int64_t)n - from ? (int64_t)n : from + len;
        memmove(v, v + from, (size_t)(to - from) * sizeof *v);
        return (size_t)(to - from);
    }
    default: { /* distinct, keeping the first of each */
        size_t k = 0;
        for (size_t a = 0; a < n; a++) {
            bool dup = false;
            for (size_t b = 0; b < k && !dup; b++)
                dup = el_cmp(&et, &v[a], &v[b]) == 0;
            if (!dup)
                v[k++] = v[a];
        }
        return k;
    }
    }
}

static sl_code f_transform(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    for (size_t i = 0; i < env->n; i++) {
        el *v;
        size_t n;
        if (out->null[i])
            continue;
        if (!els(env, &av[0].type, sv(&av[0], i), &v, &n)) {
            if (env->oom)
                return SL_NOMEM;
            out->null[i] = 1;
            continue;
        }
        n = transform(e, av, i, v, n);
        sl_slice *tmp = sl_arena_alloc(env->a, (n + 1) * sizeof *tmp);
        if (tmp == NULL)
            return oom(env);
        for (size_t k = 0; k < n; k++)
            tmp[k] = v[k].enc;
        if (!build(env, &e->type, tmp, n, &out->v[i]))
            return SL_NOMEM;
    }
    return SL_OK;
}

/* array_min / array_max: NULL elements skipped; NULL for an array without others. */
static sl_code f_minmax(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    sl_type et = e->type;
    for (size_t i = 0; i < env->n; i++) {
        el *v;
        size_t n, best = SIZE_MAX;
        if (out->null[i])
            continue;
        if (!els(env, &av[0].type, sv(&av[0], i), &v, &n)) {
            if (env->oom)
                return SL_NOMEM;
            n = 0;
        }
        for (size_t k = 0; k < n; k++) {
            if (v[k].enc.p == NULL)
                continue;
            int c = best == SIZE_MAX ? 0 : sl_cv_cmp(&et, &v[k].d, &v[best].d);
            if (best == SIZE_MAX || (e->fn->aux == T_MIN ? c < 0 : c > 0))
                best = k;
        }
        out->null[i] = best == SIZE_MAX;
        if (best != SIZE_MAX)
            out->v[i] = v[best].d;
    }
    return SL_OK;
}

/* array_concat(a, b, ...): NULL when any array is NULL. */
static sl_code f_concat_rows(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        size_t total = 0, n;
        sl_slice *parts[64], *it;
        size_t counts[64];
        bool ok = e->n_args <= 64;
        for (size_t k = 0; ok && k < e->n_args; k++) {
            ok = items(env, &av[k].type, sv(&av[k], i), &n, &it);
            parts[k] = it, counts[k] = n, total += n;
        }
        sl_slice *all = ok ? sl_arena_alloc(env->a, (total + 1) * sizeof *all) : NULL;
        if (ok && all == NULL)
            return oom(env);
        if (!ok) {
            out->null[i] = 1;
            continue;
        }
        for (size_t k = 0, at = 0; k < e->n_args; at += counts[k], k++)
            memcpy(all + at, parts[k], counts[k] * sizeof *all);
        if (!build(env, &e->type, all, total, &out->v[i]))
            return SL_NOMEM;
    }
    return SL_OK;
}

/* The text of one element for array_join. */
static void elem_text(sl_buf *b, const sl_type *et, sl_slice enc)
{
    sl_datum d;
    char tmp[64];
    if (!sl_cv_get(et, enc, &d))
        return;
    switch (sl__cls_of(et->id)) {
    case C_TEXT: sl_buf_append(b, d.s.p, d.s.n); return;
    case C_LARGE: sl__fmt_i128(d.w, tmp); break;
    case C_DEC: sl__fmt_decimal(d.w, et->scale, tmp); break;
    case C_FLOAT: sl__fmt_double(et->id == SL_FLOAT ? (double)(float)d.d : d.d, tmp); break;
    case C_DATE: sl__fmt_date(d.i, tmp); break;
    case C_DT: sl__fmt_datetime(d.i, et->precision, tmp); break;
    case C_CPLX: sl_cv_format(b, et, enc); return;
    default: snprintf(tmp, sizeof tmp, "%lld", (long long)d.i); break;
    }
    sl_buf_puts(b, tmp);
}

/* array_join(a, sep[, null_replace]): NULL elements skipped unless replaced. */
static sl_code f_join(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    sl_type et = elem(av[0].type, 0);
    sl_buf b = SL_BUF_INIT;
    for (size_t i = 0; i < env->n; i++) {
        size_t n, parts = 0;
        sl_slice *it;
        if (out->null[i] || !items(env, &av[0].type, sv(&av[0], i), &n, &it)) {
            out->null[i] = 1;
            continue;
        }
        bool rep = e->n_args > 2 && !isnull(&av[2], i);
        sl_buf_clear(&b);
        for (size_t k = 0; k < n && b.len <= MAX_RESULT; k++) {
            if (it[k].p == NULL && !rep)
                continue;
            if (parts++)
                sl_buf_append(&b, av[1].v[i].s.p, av[1].v[i].s.n);
            if (it[k].p)
                elem_text(&b, &et, it[k]);
            else
                sl_buf_append(&b, av[2].v[i].s.p, av[2].v[i].s.n);
        }
        if (b.oom) {
            sl_buf_free(&b);
            return oom(env);
        }
        out->null[i] = b.len > MAX_RESULT;
        if (!out->null[i] && !sl__expr_text(env, &out->v[i], b.p ? b.p : "", b.len)) {
            sl_buf_free(&b);
            return oom(env);
        }
    }
    sl_buf_free(&b);
    return SL_OK;
}

/* map_keys (aux 0) / map_values (aux 1). */
static sl_code f_keys(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    for (size_t i = 0; i < env->n; i++) {
        size_t n;
        sl_slice *it;
        if (out->null[i])
            continue;
        if (!items(env, &av[0].type, sv(&av[0], i), &n, &it)) {
            out->null[i] = 1;
            continue;
        }
        for (size_t k = 0; k < n / 2; k++)
            it[k] = it[2 * k + (size_t)e->fn->aux];
        if (!build(env, &e->type, it, n / 2, &out->v[i]))
            return SL_NOMEM;
    }
    return SL_OK;
}

/* ---- BITMAP and HLL ------------------------------------------------------------------------ */

enum { B_TO_BITMAP, B_HASH, B_FROM_STRING, B_EMPTY, HL_HASH, HL_EMPTY };

/* Unsigned 64-bit decimal text (to_bitmap's input), else false. */
static bool u64_text(sl_slice s, uint64_t *v)
{
    s = sl_slice_trim(s);
    *v = 0;
    if (s.n == 0)
        return false;
    for (size_t k = 0; k < s.n; k++) {
        unsigned c = (unsigned)(s.p[k] - '0');
        if (c > 9 || *v > (UINT64_MAX - c) / 10)
            return false;
        *v = *v * 10 + c;
    }
    return true;
}

/* One row of a BITMAP constructor into b; false: the row is NULL (a NULL argument, or one
 * that is not an unsigned 64-bit integer / a list of them). */
static bool bitmap_row(const sl_expr *e, const sl_vec *av, size_t i, sl_bitmap *b, bool *mem)
{
    uint64_t v;
    *mem = true;
    if (e->fn->aux == B_EMPTY)
        return true;
    if (isnull(&av[0], i))
        return false;
    switch (e->fn->aux) {
    case B_TO_BITMAP:
        if (sl__cls_of(av[0].type.id) == C_INT) {
            if (av[0].v[i].i < 0)
                return false;
            v = (uint64_t)av[0].v[i].i;
        } else if (!u64_text(sv(&av[0], i), &v)) {
            return false;
        }
        *mem = sl_bitmap_add(b, v);
        return true;
    case B_HASH:
        *mem = sl_bitmap_add(b, sl_bitmap_hash32(av[0].v[i].s.p, av[0].v[i].s.n));
        return true;
    default: return sl_bitmap_parse(b, sv(&av[0], i));
    }
}

static sl_code f_bitmap(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        sl_bitmap *b = sl_bitmap_new();
        sl_slice r = {NULL, 0};
        bool mem = b != NULL;
        bool ok = mem && bitmap_row(e, av, i, b, &mem);
        if (ok && mem)
            mem = sl_bitmap_write(b, env->a, &r);
        sl_bitmap_free(b);
        if (!mem)
            return oom(env);
        out->null[i] = !ok;
        out->v[i].s.p = r.p, out->v[i].s.n = r.n;
    }
    return SL_OK;
}

static sl_code f_hll(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    for (size_t i = 0; i < env->n; i++) {
        sl_hll h = {0};
        sl_slice r;
        if (out->null[i])
            continue;
        if (e->fn->aux == HL_HASH && !isnull(&av[0], i))
            sl_hll_add_hash(&h, sl_hll_hash(av[0].v[i].s.p, av[0].v[i].s.n));
        bool mem = sl_hll_write(&h, env->a, &r);
        sl_hll_free(&h);
        if (!mem)
            return oom(env);
        out->v[i].s.p = r.p, out->v[i].s.n = r.n;
    }
    return SL_OK;
}

enum { Q_BITMAP_COUNT, Q_HLL_CARD, Q_BITMAP_TEXT, Q_BITMAP_CONTAINS };

/* bitmap_count / hll_cardinality (NULL counts 0), bitmap_to_string, bitmap_contains. */
static sl_code f_query(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    int q = e->fn->aux == 1 ? Q_HLL_CARD : strcmp(e->fn->name, "bitmap_count") == 0
                                               ? Q_BITMAP_COUNT
                                           : strcmp(e->fn->name, "bitmap_to_string") == 0
                                               ? Q_BITMAP_TEXT
                                               : Q_BITMAP_CONTAINS;
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        bool null = isnull(&av[0], i);
        if (null || q == Q_HLL_CARD) {
            sl_hll h = {0};
            bool ok = null || sl_hll_or_bytes(&h, sv(&av[0], i));
            out->v[i].i = ok && !null ? sl_hll_estimate(&h) : 0;
            out->null[i] = (q == Q_BITMAP_TEXT || q == Q_BITMAP_CONTAINS) || !ok;
            sl_hll_free(&h);
            continue;
        }
        sl_bitmap *b = sl_bitmap_new();
        if (b == NULL)
            return oom(env);
        bool ok = sl_bitmap_or_bytes(b, sv(&av[0], i));
        if (ok && q == Q_BITMAP_COUNT) {
            out->v[i].i = (int64_t)sl_bitmap_count(b);
        } else if (ok && q == Q_BITMAP_CONTAINS) {
            sl_bitmap *one = sl_bitmap_new();
            ok = one && !isnull(&av[1], i) && av[1].v[i].i >= 0 &&
                 sl_bitmap_add(one, (uint64_t)av[1].v[i].i);
            out->v[i].i = ok && sl_bitmap_or_bytes(one, sv(&av[0], i)) &&
                          sl_bitmap_count(one) == sl_bitmap_count(b);
            sl_bitmap_free(one);
        } else if (ok) {
            sl_buf t = SL_BUF_INIT;
            ok = sl_bitmap_text(b, &t, MAX_RESULT) &&
                 sl__expr_text(env, &out->v[i], t.p ? t.p : "", t.len);
            sl_buf_free(&t);
        }
        sl_bitmap_free(b);
        if (env->oom)
            return SL_NOMEM;
        out->null[i] = !ok;
    }
    return SL_OK;
}

/* ---- casts --------------------------------------------------------------------------------- */

/* A VARIANT value as plain text: a JSON string loses its quotes and escapes, anything else is
 * its JSON text. */
static bool variant_text(sl__env *env, sl_slice v, sl_slice *out)
{
    bool quoted = v.n >= 2 && v.p[0] == '"' && v.p[v.n - 1] == '"';
    if (!quoted || memchr(v.p, '\\', v.n) == NULL) {
        *out = quoted ? (sl_slice){v.p + 1, v.n - 2} : v;
        return true;
    }
    sl_type st = sl__ty(SL_STRING);
    const sl_ctype c = {1, &st, (uint8_t[]){1}, NULL};
    sl_type at;
    sl_buf b = SL_BUF_INIT;
    sl_buf_putc(&b, '[');
    sl_buf_append(&b, v.p, v.n);
    sl_buf_putc(&b, ']');
    sl_slice enc;
    sl_datum d;
    bool ok = !b.oom && sl_type_intern(SL_ARRAY, &c, &at) &&
              sl_cv_parse(&at, (sl_slice){b.p, b.len}, SL_CV_STRICT, NULL, env->a, &enc) ==
                  SL_CONV_OK;
    size_t n;
    sl_slice *it;
    ok = ok && sl_cv_items(&at, enc, env->a, &n, &it) && n == 1 && it[0].p &&
         sl_cv_get(&st, it[0], &d);
    sl_buf_free(&b);
    if (ok)
        *out = (sl_slice){d.s.p, d.s.n};
    return ok;
}

/* Text or a complex value -> a complex value of type to (through Doris's text form). */
static int to_complex(const sl_vec *in, size_t i, sl_type to, sl__env *env, sl_datum *o)
{
    sl_slice text = sv(in, i), r;
    sl_buf b = SL_BUF_INIT;
    if (sl__cls_of(in->type.id) == C_CPLX) {
        if (!sl_type_is_complex(&in->type))
            return 0;
        sl_cv_format(&b, &in->type, text);
        text = (sl_slice){b.p ? b.p : "", b.len};
    } else if (sl__cls_of(in->type.id) != C_TEXT) {
        return 0;
    }
    sl_conv_ctx cc = {env->ctx->tz_offset_s, env->ctx->tz, env->a, false};
    sl_conv cv = b.oom ? SL_CONV_TOO_LONG
                       : to.id == SL_VARIANT ? sl_cv_variant(sl_slice_trim(text), env->a, &r)
                                             : sl_cv_parse(&to, text, 0, &cc, env->a, &r);
    sl_buf_free(&b);
    if (cv == SL_CONV_TOO_LONG)
        return oom(env), 0;
    if (cv == SL_CONV_NULL)
        return 0;
    o->s.p = r.p, o->s.n = r.n;
    return 1;
}

int sl__expr_cast_complex(const sl_vec *in, size_t i, sl_type to, sl__env *env, sl_datum *o)
{
    const sl_type *from = &in->type;
    bool fc = sl__cls_of(from->id) == C_CPLX, tc = sl__cls_of(to.id) == C_CPLX;
    if (!fc && !tc && from->id != SL_VARIANT && to.id != SL_VARIANT)
        return -1;
    if (sl_type_equal(from, &to)) {
        *o = in->v[i];
        return 1;
    }
    if (from->id == SL_BITMAP || from->id == SL_HLL || to.id == SL_BITMAP || to.id == SL_HLL)
        return 0;
    if (sl_type_is_complex(&to))
        return to_complex(in, i, to, env, o);
    if (to.id == SL_VARIANT && fc) {
        sl_buf b = SL_BUF_INIT;
        bool ok = sl_cv_json(&b, from, sv(in, i), 0) && !b.oom &&
                  sl__expr_text(env, o, b.p ? b.p : "", b.len);
        sl_buf_free(&b);
        return ok ? 1 : (env->oom ? (void)oom(env) : (void)0, 0);
    }
    if (to.id == SL_VARIANT) /* text parses as JSON; other scalars are their text */
        return sl__cls_of(from->id) == C_TEXT ? to_complex(in, i, to, env, o) : -1;
    if (fc) { /* complex -> text: Doris's text form */
        if (sl__cls_of(to.id) != C_TEXT)
            return 0;
        sl_buf b = SL_BUF_INIT;
        bool ok = sl_cv_format(&b, from, sv(in, i)) && !b.oom &&
                  sl__expr_text(env, o, b.p ? b.p : "", b.len);
        sl_buf_free(&b);
        return ok ? 1 : 0;
    }
    /* VARIANT -> a scalar: its text (JSON strings unquoted), cast as text */
    sl_slice t;
    if (!variant_text(env, sv(in, i), &t))
        return 0;
    sl_datum d = {.s = {t.p, t.n}};
    uint8_t nul = 0;
    sl_vec tv = {sl__ty(SL_STRING), &d, NULL}, ov = {to, o, &nul};
    sl__env one = *env;
    one.n = 1, one.sel = NULL;
    if (sl__expr_cast(&tv, to, &one, &ov) != SL_OK)
        return oom(env), 0;
    return nul ? 0 : 1;
}

/* ---- the table ----------------------------------------------------------------------------- */

#define BM SL_BITMAP
const sl__func sl__expr_funcs_complex[] = {
    {"element_at", 2, 2, false, KEEP, SL_STRING, bind_element_at, f_element_at, 0},
    {"struct_element", 2, 2, false, KEEP, SL_STRING, bind_struct_element, f_element_at, 0},
    {"array", 0, SL__VARIADIC, false, KEEP, SL_ARRAY, bind_array, f_build, 0},
    {"map", 0, SL__VARIADIC, false, KEEP, SL_MAP, bind_map, f_build, 0},
    {"named_struct", 2, SL__VARIADIC, false, KEEP, SL_STRUCT, bind_struct, f_build, 1},
    {"struct", 1, SL__VARIADIC, false, KEEP, SL_STRUCT, bind_struct, f_build, 0},
    {"size", 1, 1, true, KEEP, SL_BIGINT, bind_size, f_size, 0},
    {"array_size", 1, 1, true, KEEP, SL_BIGINT, bind_size, f_size, 0},
    {"cardinality", 1, 1, true, KEEP, SL_BIGINT, bind_size, f_size, 0},
    {"map_size", 1, 1, true, KEEP, SL_BIGINT, bind_size, f_size, 0},
    {"array_contains", 2, 2, false, KEEP, SL_BOOLEAN, bind_probe, f_probe, 0},
    {"array_position", 2, 2, false, KEEP, SL_BIGINT, bind_probe, f_probe, 0},
    {"map_contains_key", 2, 2, false, KEEP, SL_BOOLEAN, bind_probe, f_probe, 1},
    {"map_contains_value", 2, 2, false, KEEP, SL_BOOLEAN, bind_probe, f_probe, 2},
    {"array_distinct", 1, 1, true, KEEP, SL_ARRAY, bind_same, f_transform, T_DISTINCT},
    {"array_sort", 1, 1, true, KEEP, SL_ARRAY, bind_same, f_transform, T_SORT},
    {"array_reverse", 1, 1, true, KEEP, SL_ARRAY, bind_same, f_transform, T_REVERSE},
    {"array_slice", 2, 3, true, KEEP, SL_ARRAY, bind_same, f_transform, T_SLICE},
    {"array_min", 1, 1, true, KEEP, SL_INT, bind_minmax, f_minmax, T_MIN},
    {"array_max", 1, 1, true, KEEP, SL_INT, bind_minmax, f_minmax, T_MAX},
    {"array_concat", 1, 64, true, KEEP, SL_ARRAY, bind_same, f_concat_rows, 0},
    {"array_join", 2, 3, false, KEEP, SL_STRING, bind_join, f_join, 0},
    {"map_keys", 1, 1, true, KEEP, SL_ARRAY, bind_keys, f_keys, 0},
    {"map_values", 1, 1, true, KEEP, SL_ARRAY, bind_keys, f_keys, 1},
    {"to_bitmap", 1, 1, false, KEEP, BM, bind_hashable, f_bitmap, B_TO_BITMAP},
    {"bitmap_hash", 1, 1, false, KEEP, BM, bind_hashable, f_bitmap, B_HASH},
    {"bitmap_from_string", 1, 1, false, SL_STRING, BM, NULL, f_bitmap, B_FROM_STRING},
    {"bitmap_empty", 0, 0, false, KEEP, BM, NULL, f_bitmap, B_EMPTY},
    {"bitmap_count", 1, 1, false, KEEP, SL_BIGINT, bind_bitmap_arg, f_query, 0},
    {"bitmap_to_string", 1, 1, false, KEEP, SL_STRING, bind_bitmap_arg, f_query, 0},
    {"bitmap_contains", 2, 2, false, KEEP, SL_BOOLEAN, bind_bitmap_arg, f_query, 0},
    {"hll_hash", 1, 1, false, KEEP, SL_HLL, bind_hashable, f_hll, HL_HASH},
    {"hll_empty", 0, 0, false, KEEP, SL_HLL, NULL, f_hll, HL_EMPTY},
    {"hll_cardinality", 1, 1, false, KEEP, SL_BIGINT, bind_bitmap_arg, f_query, 1},
};
const size_t sl__expr_n_funcs_complex = SL_COUNT(sl__expr_funcs_complex);

sl_code sl__expr_struct_ref(sl__binder *b, const sl_expr *col, sl_expr **out)
{
    *out = NULL;
    for (size_t i = 0; b->scope && i < b->scope->n; i++) {
        sl_slice n = b->scope->names[i];
        const sl_ctype *c = sl_type_sub(&b->scope->types[i]);
        if (b->scope->types[i].id != SL_STRUCT || n.n != col->qual.n ||
            strncasecmp(n.p, col->qual.p, n.n) != 0)
            continue;
        bool has = false;
        for (uint32_t f = 0; f < c->n && !has; f++)
            has = c->names[f].n == col->name.n &&
                  strncasecmp(c->names[f].p, col->name.p, col->name.n) == 0;
        if (!has)
            return SL_OK;
        sl_expr *ref = sl_arena_alloc(b->a, sizeof *ref), *lit = sl_arena_alloc(b->a, sizeof *lit);
        sl_expr *call = sl_arena_alloc(b->a, sizeof *call + 2 * sizeof(sl_expr *));
        if (ref == NULL || lit == NULL || call == NULL)
            return sl_fail(b->err, SL_NOMEM, "out of memory binding an expression");
        *ref = *col;
        ref->name = col->qual, ref->qual = SL_SLICE_NULL, ref->bound = false;
        ref->qual.p = NULL;
        memset(lit, 0, sizeof *lit);
        lit->kind = EK_LIT, lit->height = 1, lit->pos = col->pos, lit->col = -1;
        lit->type = sl__ty(SL_STRING);
        lit->lit.s.p = col->name.p, lit->lit.s.n = col->name.n;
        memset(call, 0, sizeof *call);
        call->kind = EK_CALL, call->height = 2, call->pos = col->pos, call->col = -1;
        call->fn = sl__expr_func_find(SL_LIT("struct_element"));
        call->name = SL_LIT("struct_element");
        call->args = (sl_expr **)(call + 1);
        call->args[0] = ref, call->args[1] = lit, call->n_args = 2;
        *out = call;
        return SL_OK;
    }
    return SL_OK;
}
