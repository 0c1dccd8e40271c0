/*
 * walk.c - read-only access to bound trees for the store engines that render a SELECT in their
 * own SQL dialect, structural equality of bound trees (GROUP BY checks), and detaching a
 * subtree so that an engine can evaluate it with this engine row by row (expr stage).
 *
 *   src/sql/select_bind.c: sl_expr_same, sl_expr_has_agg
 *   src/store/<engine>/render.c: sl_expr_kind_of, sl_expr_arg, ... (never internal.h)
 *   src/store/<engine>/: sl_expr_detach + sl_expr_eval over one row (computed columns)
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <strings.h>

#include "internal.h"

sl_expr_kind sl_expr_kind_of(const sl_expr *e)
{
    return (sl_expr_kind)e->kind;
}

int sl_expr_op(const sl_expr *e)
{
    return e->kind == EK_BIN || e->kind == EK_AGG || e->kind == EK_LIKE || e->kind == EK_ISBOOL
               ? e->op
               : 0;
}

bool sl_expr_negated(const sl_expr *e)
{
    return e->neg;
}

bool sl_expr_distinct(const sl_expr *e)
{
    return e->kind == EK_AGG && e->distinct;
}

bool sl_expr_implicit(const sl_expr *e)
{
    return e->kind == EK_CAST && e->implicit;
}

size_t sl_expr_n_args(const sl_expr *e)
{
    return e->n_args;
}

const sl_expr *sl_expr_arg(const sl_expr *e, size_t i)
{
    return i < e->n_args ? e->args[i] : NULL;
}

bool sl_expr_case_base(const sl_expr *e)
{
    return e->kind == EK_CASE && e->has_base;
}

bool sl_expr_case_else(const sl_expr *e)
{
    return e->kind == EK_CASE && e->has_else;
}

const char *sl_expr_func_name(const sl_expr *e)
{
    if (e->kind == EK_CALL)
        return e->fn->name;
    if (e->kind == EK_AGG)
        return sl__expr_agg_name(e->op);
    return NULL;
}

sl_slice sl_expr_name(const sl_expr *e)
{
    return e->name;
}

sl_slice sl_expr_qual(const sl_expr *e)
{
    return e->kind == EK_COL ? e->qual : (sl_slice){NULL, 0};
}

sl_slice sl_expr_qual_db(const sl_expr *e)
{
    return e->kind == EK_COL ? e->qual_db : (sl_slice){NULL, 0};
}

bool sl_expr_lit(const sl_expr *e, sl_datum *v)
{
    if (e->kind != EK_LIT || e->lit_null)
        return false;
    *v = e->lit;
    return true;
}

long sl_expr_col(const sl_expr *e)
{
    return e->kind == EK_COL ? e->col : -1;
}

size_t sl_expr_pos(const sl_expr *e)
{
    return e->pos;
}

bool sl_expr_has_agg(const sl_expr *e)
{
    if (e->kind == EK_AGG)
        return true;
    for (size_t i = 0; i < e->n_args; i++)
        if (sl_expr_has_agg(e->args[i]))
            return true;
    return false;
}

sl_expr *sl_expr_column(sl_arena_t *a, long col, sl_type type, sl_slice name)
{
    sl_expr *c = sl_arena_alloc(a, sizeof *c);
    if (c == NULL)
        return NULL;
    memset(c, 0, sizeof *c);
    c->kind = EK_COL;
    c->bound = true;
    c->height = 1;
    c->type = type;
    c->col = col;
    c->name = name;
    return c;
}

/* ---- equality of bound trees ---- */

static const sl_expr *skip_implicit(const sl_expr *e)
{
    while (e->kind == EK_CAST && e->implicit)
        e = e->args[0];
    return e;
}

static bool same_lit(const sl_expr *a, const sl_expr *b)
{
    if (a->lit_null || b->lit_null)
        return a->lit_null == b->lit_null;
    if (memcmp(&a->type, &b->type, sizeof a->type) != 0)
        return false;
    switch (sl__cls_of(a->type.id)) {
    case C_LARGE:
    case C_DEC: return a->lit.w == b->lit.w;
    case C_FLOAT: return memcmp(&a->lit.d, &b->lit.d, sizeof(double)) == 0;
    case C_TEXT:
        return a->lit.s.n == b->lit.s.n && memcmp(a->lit.s.p, b->lit.s.p, a->lit.s.n) == 0;
    default: return a->lit.i == b->lit.i;
    }
}

bool sl_expr_same(const sl_expr *a, const sl_expr *b)
{
    a = skip_implicit(a);
    b = skip_implicit(b);
    if (a == b)
        return true;
    if (a->kind != b->kind || a->op != b->op || a->neg != b->neg || a->n_args != b->n_args ||
        a->has_base != b->has_base || a->has_else != b->has_else || a->distinct != b->distinct)
        return false;
    switch (a->kind) {
    case EK_LIT: return same_lit(a, b);
    case EK_COL: return a->col == b->col;
    case EK_CALL:
        if (a->fn->eval != b->fn->eval || a->fn->aux != b->fn->aux)
            return false;
        break;
    case EK_CAST:
        if (memcmp(&a->type, &b->type, sizeof a->type) != 0)
            return false;
        break;
    case EK_INTERVAL:
        if (a->name.n != b->name.n || strncasecmp(a->name.p, b->name.p, a->name.n) != 0)
            return false;
        break;
    default: break;
    }
    for (size_t i = 0; i < a->n_args; i++)
        if (!sl_expr_same(a->args[i], b->args[i]))
            return false;
    return true;
}

/* ---- detach: a copy with holes ---- */

typedef struct detach {
    bool (*is_hole)(const sl_expr *n, void *arg);
    void *arg;
    sl_arena_t *a;
    sl_err *err;
    const sl_expr **holes;
    size_t n, cap;
} detach;

static sl_expr *hole_ref(detach *d, const sl_expr *e)
{
    size_t k = 0;
    while (k < d->n && !sl_expr_same(d->holes[k], e))
        k++;
    if (k == d->n) {
        const sl_expr **h = sl_arena_grow(d->a, d->holes, d->n, &d->cap, sizeof *h);
        if (h == NULL)
            return NULL;
        d->holes = h;
        d->holes[d->n++] = e;
    }
    sl_expr *c = sl_arena_alloc(d->a, sizeof *c);
    if (c == NULL)
        return NULL;
    memset(c, 0, sizeof *c);
    c->kind = EK_COL;
    c->bound = true;
    c->height = 1;
    c->pos = e->pos;
    c->type = e->type;
    c->col = (long)k;
    c->name = SL_LIT("?");
    return c;
}

static sl_expr *copy(detach *d, const sl_expr *e)
{
    if (d->is_hole(e, d->arg))
        return hole_ref(d, e);
    sl_expr *c = sl_arena_alloc(d->a, sizeof *c);
    if (c == NULL)
        return NULL;
    *c = *e;
    if (e->n_args == 0)
        return c;
    if ((c->args = sl_arena_alloc(d->a, e->n_args * sizeof *c->args)) == NULL)
        return NULL;
    for (size_t i = 0; i < e->n_args; i++)
        if ((c->args[i] = copy(d, e->args[i])) == NULL)
            return NULL;
    return c;
}

sl_code sl_expr_detach(const sl_expr *e, bool (*is_hole)(const sl_expr *n, void *arg), void *arg,
                       sl_arena_t *a, sl_expr **out, const sl_expr ***holes, size_t *n_holes,
                       sl_err *err)
{
    detach d = {is_hole, arg, a, err, NULL, 0, 0};
    if (!SL_ALWAYS(e->bound))
        return sl_fail(err, SL_INTERNAL, "expression detached before binding");
    if ((*out = copy(&d, e)) == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory copying an expression");
    *holes = d.holes;
    *n_holes = d.n;
    return SL_OK;
}
