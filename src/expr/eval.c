/*
 * eval.c - binder and vectorised evaluator of expression trees (expr stage, used by the mapper
 * once per batch and per derived column / predicate).
 *
 *   parsed tree --bind: names -> scope index, types, implicit casts--> typed tree
 *   typed tree + column vectors --eval, bottom-up, n rows per node--> result vector
 *
 * Every node computes all n rows at once into arrays from the batch arena. A node first works
 * out its NULL mask (unselected rows and NULL arguments), then computes only the other rows.
 * There is no short-circuit: evaluation cannot fail except for out of memory, so computing a
 * branch whose value is then discarded is harmless. Overflow and division by zero give NULL.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <math.h>
#include <regex.h>

#include "internal.h"

/* ======================================================================== binder ===== */

const sl__func *sl__expr_func_find(sl_slice name)
{
    static const struct {
        const sl__func *v;
        const size_t *n;
    } tabs[] = {{sl__expr_funcs_time, &sl__expr_n_funcs_time},
                {sl__expr_funcs_string, &sl__expr_n_funcs_string},
                {sl__expr_funcs_math, &sl__expr_n_funcs_math},
                {sl__expr_funcs_complex, &sl__expr_n_funcs_complex},
                {sl__expr_funcs_string2, &sl__expr_n_funcs_string2},
                {sl__expr_funcs_regexp, &sl__expr_n_funcs_regexp},
                {sl__expr_funcs_math2, &sl__expr_n_funcs_math2},
                {sl__expr_funcs_date2, &sl__expr_n_funcs_date2},
                {sl__expr_funcs_date3, &sl__expr_n_funcs_date3},
                {sl__expr_funcs_json, &sl__expr_n_funcs_json},
                {sl__expr_funcs_hash, &sl__expr_n_funcs_hash}};
    for (size_t t = 0; t < SL_COUNT(tabs); t++)
        for (size_t k = 0; k < *tabs[t].n; k++)
            if (sl_slice_ieq(name, tabs[t].v[k].name))
                return &tabs[t].v[k];
    return NULL;
}

static sl_type dec_type(unsigned ip, unsigned scale)
{
    sl_type t = sl__ty(SL_DECIMAL);
    if (scale > SL__DEC_MAX_PREC)
        scale = SL__DEC_MAX_PREC;
    t.scale = (uint8_t)scale;
    t.precision = (uint8_t)(ip + scale > SL__DEC_MAX_PREC ? SL__DEC_MAX_PREC : ip + scale);
    if (t.precision == 0)
        t.precision = 1;
    return t;
}

/* INT and LARGEINT seen as decimals with scale 0. */
static sl_type as_dec(sl_type t)
{
    int c = sl__cls_of(t.id);
    return c == C_DEC ? t : dec_type(c == C_LARGE ? 38 : 19, 0);
}

sl_type sl__expr_common(sl_type x, sl_type y, bool compare)
{
    int cx = sl__cls_of(x.id), cy = sl__cls_of(y.id);
    if (cx == C_NULL)
        return y;
    if (cy == C_NULL || (x.id == y.id && memcmp(&x, &y, sizeof x) == 0))
        return x;
    if (cx > cy) {
        sl_type t = x;
        int c = cx;
        x = y, cx = cy, y = t, cy = c;
    }
    if (cx == cy) {
        switch (cx) {
        case C_INT: return sl__ty(x.id == SL_BOOLEAN && y.id == SL_BOOLEAN ? SL_BOOLEAN : SL_BIGINT);
        case C_DEC:
            return dec_type(x.precision - x.scale > y.precision - y.scale ? x.precision - x.scale
                                                                          : y.precision - y.scale,
                            x.scale > y.scale ? x.scale : y.scale);
        case C_DT: {
            sl_type t = sl__ty(SL_DATETIME);
            t.precision = x.precision > y.precision ? x.precision : y.precision;
            return t;
        }
        case C_FLOAT: return sl__ty(SL_DOUBLE);
        case C_TEXT: return sl__ty(SL_STRING);
        default: return x;
        }
    }
    if (cy == C_FLOAT && cx < C_FLOAT)
        return sl__ty(SL_DOUBLE);
    if (cy == C_DEC)
        return sl__expr_common(as_dec(x), y, compare);
    if (cx == C_INT && cy == C_LARGE)
        return sl__ty(SL_LARGEINT);
    if (cx == C_DATE && cy == C_DT)
        return y;
    if (cy == C_TEXT && (cx == C_DATE || cx == C_DT))
        return compare ? sl__ty(SL_DATETIME) : sl__ty(SL_STRING);
    if (!compare)
        return sl__ty(SL_STRING);
    return sl__ty(SL_DOUBLE); /* string or date against a number: as numbers */
}

/* Statements: a literal converted by the binder becomes a literal of the target type at once,
 * so that renderers see typed constants (`d >= '2024-01-01'` compares with a DATE). */
static sl_code fold_literal(sl__binder *b, sl_expr **slot, sl_type t)
{
    static const sl_expr_ctx utc = {0, 0, NULL};
    sl_expr *x = *slot, *l;
    sl_vec in = {x->type, &x->lit, NULL}, out;
    sl__env env = {NULL, 1, NULL, &utc, b->a, b->err, false};
    sl_code rc = sl__expr_out(&env, t, NULL, 0, &out);
    if (rc == SL_OK)
        rc = sl__expr_cast(&in, t, &env, &out);
    if (rc != SL_OK)
        return rc;
    if ((l = sl_arena_alloc(b->a, sizeof *l)) == NULL)
        return sl_fail(b->err, SL_NOMEM, "out of memory binding an expression");
    *l = *x;
    l->type = t;
    l->lit = out.v[0];
    l->lit_null = out.null[0] != 0;
    *slot = l;
    return SL_OK;
}

sl_code sl__expr_coerce_sig(sl_expr *e, sl__binder *b, const char *sig)
{
    sl_code rc = SL_OK;
    size_t n = strlen(sig);
    for (size_t i = 0; rc == SL_OK && i < e->n_args; i++) {
        char c = sig[i < n ? i : n - 1];
        rc = sl__expr_coerce(b, &e->args[i], sl__ty(c == 's' ? SL_STRING : SL_BIGINT));
    }
    return rc;
}

sl_code sl__expr_coerce_all(sl_expr *e, sl__binder *b, sl_type *t)
{
    *t = (sl_type){SL__NULLTYPE, 0, 0, 0, 0};
    sl_code rc = SL_OK;
    for (size_t k = 0; k < e->n_args; k++)
        *t = sl__expr_common(*t, e->args[k]->type, true);
    if (sl__cls_of(t->id) == C_NULL)
        *t = sl__ty(SL_BIGINT);
    for (size_t k = 0; rc == SL_OK && k < e->n_args; k++)
        rc = sl__expr_coerce(b, &e->args[k], *t);
    return rc;
}

/* Same type for values: the spelling flag v1 (DESC only) does not count. */
static bool same_type(sl_type a, sl_type b)
{
    return a.id == b.id && a.precision == b.precision && a.scale == b.scale && a.len == b.len;
}

sl_code sl__expr_coerce(sl__binder *b, sl_expr **slot, sl_type t)
{
    sl_expr *x = *slot;
    if (same_type(x->type, t))
        return SL_OK;
    if (x->kind == EK_LIT && x->lit_null) {
        x->type = t;
        return SL_OK;
    }
    if (x->kind == EK_LIT && b->opts && sl__cls_of(t.id) != C_NULL)
        return fold_literal(b, slot, t);
    sl_expr *c = sl_arena_alloc(b->a, sizeof *c + sizeof(sl_expr *));
    if (c == NULL)
        return sl_fail(b->err, SL_NOMEM, "out of memory binding an expression");
    memset(c, 0, sizeof *c);
    c->kind = EK_CAST;
    c->implicit = true;
    c->bound = true;
    c->pos = x->pos;
    c->height = (uint16_t)(x->height + 1);
    c->type = t;
    c->col = -1;
    c->args = (sl_expr **)(c + 1);
    c->args[0] = x;
    c->n_args = 1;
    *slot = c;
    return SL_OK;
}

static sl_code coerce_all(sl__binder *b, sl_expr *e, size_t from, size_t step, sl_type t)
{
    for (size_t i = from; i < e->n_args; i += step) {
        sl_code rc = sl__expr_coerce(b, &e->args[i], t);
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

/* Result type of x op y for + - * (Doris: int op int -> BIGINT, decimals stay exact, anything
 * with a float, a string or a date -> DOUBLE); sets the operand types in *ox, *oy. */
static sl_type arith_type(uint8_t op, sl_type x, sl_type y, sl_type *ox, sl_type *oy)
{
    int cx = sl__cls_of(x.id), cy = sl__cls_of(y.id);
    if (cx == C_NULL)
        x = cx == cy ? sl__ty(SL_BIGINT) : y, cx = sl__cls_of(x.id);
    if (cy == C_NULL)
        y = x, cy = cx;
    if (cx >= C_FLOAT || cy >= C_FLOAT || op == B_DIV) {
        *ox = *oy = sl__ty(SL_DOUBLE);
    } else if (cx == C_DEC || cy == C_DEC) {
        sl_type dx = as_dec(x), dy = as_dec(y);
        unsigned ix = dx.precision - dx.scale, iy = dy.precision - dy.scale;
        *ox = dx, *oy = dy;
        if (op == B_MUL && dx.scale + dy.scale <= SL__DEC_MAX_PREC)
            return dec_type(ix + iy, dx.scale + dy.scale);
        if (op == B_ADD || op == B_SUB)
            return dec_type((ix > iy ? ix : iy) + 1, dx.scale > dy.scale ? dx.scale : dy.scale);
        *ox = *oy = sl__ty(SL_DOUBLE); /* MOD, IDIV and oversized products: as doubles */
    } else {
        *ox = *oy = sl__ty(cx == C_LARGE || cy == C_LARGE ? SL_LARGEINT : SL_BIGINT);
    }
    if (op == B_IDIV && ox->id == SL_DOUBLE)
        *ox = *oy = sl__ty(SL_BIGINT);
    return *ox;
}

/* A numeric literal as an exact value of DECIMAL/LARGEINT type t (no digit dropped, none past
 * its precision). */
static bool lit_fits(const sl_expr *x, sl_type t)
{
    int c = sl__cls_of(x->type.id);
    sl_i128 w = c == C_INT ? (sl_i128)x->lit.i : x->lit.w, lim;
    unsigned from = c == C_DEC ? x->type.scale : 0, to = t.id == SL_DECIMAL ? t.scale : 0;
    if (c != C_INT && c != C_LARGE && c != C_DEC)
        return false;
    if (t.id == SL_LARGEINT)
        return from == 0 || w % sl__pow10(from) == 0;
    if (from > to) {
        if (w % sl__pow10(from - to) != 0)
            return false;
        w /= sl__pow10(from - to);
    } else if (__builtin_mul_overflow(w, sl__pow10(to - from), &w)) {
        return false;
    }
    lim = sl__pow10(t.precision);
    return w < lim && w > -lim;
}

/* The one type of the operands that are not literals, when they share one. */
static bool operand_type(const sl_expr *e, size_t from, size_t end, sl_type *t)
{
    bool have = false;
    for (size_t i = from; i < end; i++) {
        const sl_expr *x = e->args[i];
        if (x->kind == EK_LIT)
            continue;
        if (have && (x->type.id != t->id || x->type.precision != t->precision ||
                     x->type.scale != t->scale))
            return false;
        *t = x->type, have = true;
    }
    return have;
}

/* Statements compare literals with a column as Doris does, in the column's type when every
 * literal is exactly one of its values: `d >= '2024-01-01'` as DATEs (not DATETIMEs), `i =
 * '5'` as BIGINTs (not DOUBLEs), `price > 10` as the column's DECIMAL (not a wider one). t is
 * the common type of args[from..end); the refined type or t. */
static sl_type refine_common(const sl__binder *b, const sl_expr *e, size_t from, size_t end,
                             sl_type t)
{
    bool to_date = t.id == SL_DATETIME, to_int = t.id == SL_DOUBLE;
    sl_type col;
    if (b->opts == NULL)
        return t;
    if ((t.id == SL_DECIMAL || t.id == SL_LARGEINT) && operand_type(e, from, end, &col) &&
        (col.id == SL_DECIMAL || col.id == SL_LARGEINT)) {
        bool fits = true;
        for (size_t i = from; i < end && fits; i++)
            fits = e->args[i]->kind != EK_LIT || e->args[i]->lit_null || lit_fits(e->args[i], col);
        return fits ? col : t;
    }
    for (size_t i = from; i < end && (to_date || to_int); i++) {
        const sl_expr *x = e->args[i];
        int c = sl__cls_of(x->type.id);
        if (x->kind == EK_LIT && c == C_TEXT) {
            sl_slice v = {x->lit.s.p, x->lit.s.n};
            int64_t n;
            to_date = to_date && sl__text_to_datetime(v, &n) && n % SL__US_PER_DAY == 0;
            to_int = to_int && sl__text_to_i64(v, &n);
        } else {
            to_date = to_date && (c == C_DATE || c == C_NULL);
            to_int = to_int && (c == C_INT || c == C_NULL);
        }
    }
    return to_date ? sl__ty(SL_DATE) : to_int ? sl__ty(SL_BIGINT) : t;
}

static sl_code bind_bin(sl__binder *b, sl_expr *e)
{
    sl_type ox, oy, rt;
    sl_code rc;
    if (e->op >= B_EQ) {
        ox = oy = refine_common(b, e, 0, 2,
                                sl__expr_common(e->args[0]->type, e->args[1]->type, true));
        if (sl__cls_of(ox.id) == C_NULL)
            ox = oy = sl__ty(SL_BIGINT);
        rt = sl__ty(SL_BOOLEAN);
    } else {
        rt = arith_type(e->op, e->args[0]->type, e->args[1]->type, &ox, &oy);
    }
    if ((rc = sl__expr_coerce(b, &e->args[0], ox)) != SL_OK ||
        (rc = sl__expr_coerce(b, &e->args[1], oy)) != SL_OK)
        return rc;
    e->type = rt;
    return SL_OK;
}

/* The common comparison type of args[from], args[from+step], ... (and args[0] when with0). */
static sl_type fold_common(const sl_expr *e, size_t from, size_t step, size_t end, bool compare)
{
    sl_type t = {SL__NULLTYPE, 0, 0, 0, 0};
    for (size_t i = from; i < end; i += step)
        t = sl__expr_common(t, e->args[i]->type, compare);
    if (sl__cls_of(t.id) == C_NULL)
        t = compare ? sl__ty(SL_BIGINT) : t;
    return t;
}

static sl_code bind_case(sl__binder *b, sl_expr *e)
{
    size_t base = e->has_base ? 1 : 0, end = e->n_args - (e->has_else ? 1 : 0);
    sl_code rc;
    if (e->has_base) {
        sl_type ct = sl__expr_common(fold_common(e, 1, 2, end, true), e->args[0]->type, true);
        if ((rc = sl__expr_coerce(b, &e->args[0], ct)) != SL_OK)
            return rc;
        for (size_t i = 1; i + 1 < end; i += 2)
            if ((rc = sl__expr_coerce(b, &e->args[i], ct)) != SL_OK)
                return rc;
    }
    sl_type rt = fold_common(e, base + 1, 2, end, false);
    if (e->has_else)
        rt = sl__expr_common(rt, e->args[end]->type, false);
    for (size_t i = base; i + 1 < end; i += 2) {
        if (!e->has_base && (rc = sl__expr_coerce(b, &e->args[i], sl__ty(SL_BOOLEAN))) != SL_OK)
            return rc;
        if ((rc = sl__expr_coerce(b, &e->args[i + 1], rt)) != SL_OK)
            return rc;
    }
    if (e->has_else && (rc = sl__expr_coerce(b, &e->args[end], rt)) != SL_OK)
        return rc;
    e->type = rt;
    return SL_OK;
}

static sl_code bind_node(sl__binder *b, sl_expr **slot);

static sl_code bind_col(sl__binder *b, sl_expr **slot)
{
    sl_expr *e = *slot, *subst = NULL;
    if (e->qual.n && e->qual_db.n == 0) { /* s.field of a STRUCT column s: struct_element */
        sl_expr *call = NULL;
        sl_code rc = sl__expr_struct_ref(b, e, &call);
        if (rc != SL_OK || call)
            return rc != SL_OK ? rc : (*slot = call, bind_node(b, slot));
    }
    if (b->opts && b->opts->resolve) {
        long col = -1;
        sl_code rc = b->opts->resolve(b->opts->arg, e, &col, &subst, b->err);
        if (rc != SL_OK)
            return rc;
        if (subst) {
            if (b->in_agg && sl_expr_has_agg(subst))
                return sl_fail(b->err, SL_INVALID,
                               "aggregate function cannot contain aggregate parameters");
            *slot = subst;
            return SL_OK;
        }
        if (!SL_ALWAYS(col >= 0 && (size_t)col < b->scope->n))
            return sl_fail(b->err, SL_INTERNAL, "column resolved outside the scope");
        e->col = col;
        e->type = b->scope->types[col];
        return SL_OK;
    }
    for (size_t i = 0; b->scope && i < b->scope->n; i++) {
        sl_slice n = b->scope->names[i];
        if (n.n == e->name.n && strncasecmp(n.p, e->name.p, n.n) == 0) {
            e->col = (long)i;
            e->type = b->scope->types[i];
            return SL_OK;
        }
    }
    return sl_fail(b->err, SL_INVALID, "unknown column '%.*s'", (int)(e->name.n > 64 ? 64 : e->name.n),
                   e->name.p);
}

static sl_code bind_call(sl__binder *b, sl_expr *e)
{
    const sl__func *fn = e->fn;
    sl_code rc;
    for (size_t i = 0; i < e->n_args; i++)
        if (e->args[i]->kind == EK_INTERVAL && fn->argt != A_KEEP)
            return sl_fail(b->err, SL_INVALID, "INTERVAL is not allowed in %s", fn->name);
    if (fn->argt != A_KEEP && (rc = coerce_all(b, e, 0, 1, sl__ty(fn->argt))) != SL_OK)
        return rc;
    e->type = sl__ty(fn->ret);
    return fn->bind ? fn->bind(e, b) : SL_OK;
}

/* An aggregate where the statement allows one, and not inside another. */
static sl_code check_agg(sl__binder *b, const sl_expr *e)
{
    if (b->in_agg)
        return sl_fail(b->err, SL_INVALID, "aggregate function cannot contain aggregate parameters");
    if (b->opts && b->opts->aggregates)
        return SL_OK;
    sl_buf t = SL_BUF_INIT;
    sl_expr_print(e, &t);
    sl_code rc = sl_fail(b->err, SL_INVALID, "%s can not contains AggregateFunction expression: %s",
                         b->opts && b->opts->clause ? b->opts->clause : "LOGICAL_PROJECT",
                         t.p ? t.p : "");
    sl_buf_free(&t);
    return rc;
}

static sl_code bind_kind(sl__binder *b, sl_expr **slot);
static sl_code eval_node(const sl_expr *e, sl__env *env, sl_vec *out);

static bool is_const(const sl_expr *e)
{
    return e->kind == EK_LIT || (e->kind == EK_INTERVAL && e->args[0]->kind == EK_LIT);
}

/* Statements: an operator or function of constants is computed once, here, with the engine
 * itself (the query's time zone and "now" in opts->ctx), so every store engine sees its value. */
static sl_code fold_const(sl__binder *b, sl_expr **slot)
{
    sl_expr *e = *slot, *l;
    sl_vec out;
    if (b->opts == NULL || b->opts->ctx == NULL || e->kind == EK_LIT || e->kind == EK_COL ||
        e->kind == EK_AGG || e->kind == EK_INTERVAL || sl__cls_of(e->type.id) == C_NULL ||
        (b->opts->folded && *b->opts->folded > SL_EXPR_MAX_FOLDED))
        return SL_OK;
    for (size_t i = 0; i < e->n_args; i++)
        if (!is_const(e->args[i]))
            return SL_OK;
    sl__env env = {NULL, 1, NULL, b->opts->ctx, b->a, b->err, false};
    sl_code rc = eval_node(e, &env, &out);
    if (rc != SL_OK)
        return rc;
    if ((l = sl_arena_alloc(b->a, sizeof *l)) == NULL)
        return sl_fail(b->err, SL_NOMEM, "out of memory binding an expression");
    memset(l, 0, sizeof *l);
    l->kind = EK_LIT, l->bound = true, l->height = 1, l->pos = e->pos, l->col = -1;
    l->type = e->type;
    l->lit = out.v[0];
    l->lit_null = out.null && out.null[0];
    if (b->opts->folded && sl__cls_of(e->type.id) == C_TEXT && !l->lit_null)
        *b->opts->folded += l->lit.s.n;
    *slot = l;
    return SL_OK;
}

static sl_code bind_node(sl__binder *b, sl_expr **slot)
{
    sl_expr *e = *slot;
    sl_code rc;
    if (e->bound)
        return SL_OK;
    if (e->kind == EK_AGG && (rc = check_agg(b, e)) != SL_OK)
        return rc;
    b->in_agg += e->kind == EK_AGG;
    for (size_t i = 0; i < e->n_args; i++)
        if ((rc = bind_node(b, &e->args[i])) != SL_OK)
            return rc;
    b->in_agg -= e->kind == EK_AGG;
    e->bound = true;
    if ((rc = bind_kind(b, slot)) != SL_OK)
        return rc;
    return fold_const(b, slot);
}

/* The node's own typing, after its children's. */
static sl_code bind_kind(sl__binder *b, sl_expr **slot)
{
    sl_expr *e = *slot;
    switch (e->kind) {
    case EK_LIT: return SL_OK;
    case EK_COL: return bind_col(b, slot);
    case EK_NEG: {
        sl_type o1, o2;
        e->type = arith_type(B_SUB, e->args[0]->type, e->args[0]->type, &o1, &o2);
        if (sl__cls_of(o1.id) == C_DEC)
            e->type = o1;
        return sl__expr_coerce(b, &e->args[0], o1);
    }
    case EK_NOT:
    case EK_AND:
    case EK_OR:
        e->type = sl__ty(SL_BOOLEAN);
        return coerce_all(b, e, 0, 1, e->type);
    case EK_BIN: return bind_bin(b, e);
    case EK_IN:
    case EK_BETWEEN:
        e->type = sl__ty(SL_BOOLEAN);
        return coerce_all(b, e, 0, 1,
                          refine_common(b, e, 0, e->n_args,
                                        fold_common(e, 0, 1, e->n_args, true)));
    case EK_LIKE:
        e->type = sl__ty(SL_BOOLEAN);
        return coerce_all(b, e, 0, 1, sl__ty(SL_STRING));
    case EK_ISNULL: e->type = sl__ty(SL_BOOLEAN); return SL_OK;
    case EK_ISBOOL:
        e->type = sl__ty(SL_BOOLEAN);
        return coerce_all(b, e, 0, 1, e->type);
    case EK_AGG: return sl__expr_bind_agg(b, e);
    case EK_CASE: return bind_case(b, e);
    case EK_CAST: /* statements: CAST('12' AS INT) is the literal 12 */
        if (b->opts && e->args[0]->kind == EK_LIT && !e->args[0]->lit_null &&
            sl__cls_of(e->type.id) != C_NULL) {
            sl_expr *l = e->args[0];
            sl_code rc2 = fold_literal(b, &l, e->type);
            if (rc2 == SL_OK)
                *slot = l;
            return rc2;
        }
        return SL_OK;
    case EK_CALL: return bind_call(b, e);
    case EK_INTERVAL:
        e->type = sl__ty(SL_BIGINT);
        return sl__expr_coerce(b, &e->args[0], e->type);
    default: return sl_fail(b->err, SL_INTERNAL, "unknown expression node");
    }
}

sl_code sl_expr_bind(sl_expr *e, const sl_expr_scope *scope, sl_arena_t *a, sl_err *err)
{
    sl__binder b = {scope, a, err, NULL, 0};
    if (e->kind == EK_INTERVAL)
        return sl_fail(err, SL_INVALID, "INTERVAL is only allowed inside date_add / date_sub");
    return bind_node(&b, &e);
}

sl_code sl_expr_bind_ex(sl_expr **e, const sl_expr_bindopts *o, sl_arena_t *a, sl_err *err)
{
    sl__binder b = {o->scope, a, err, o, 0};
    if ((*e)->kind == EK_INTERVAL)
        return sl_fail(err, SL_INVALID, "INTERVAL is only allowed inside date_add / date_sub");
    sl_code rc = bind_node(&b, e);
    if (rc == SL_OK && o->to_bool)
        rc = sl__expr_coerce(&b, e, sl__ty(SL_BOOLEAN));
    return rc;
}

sl_type sl_expr_type(const sl_expr *e)
{
    return sl__cls_of(e->type.id) == C_NULL ? sl__ty(SL_BOOLEAN) : e->type;
}

bool sl_expr_is_column(const sl_expr *e, sl_slice *name)
{
    if (e->kind != EK_COL)
        return false;
    if (name)
        *name = e->name;
    return true;
}

/* ===================================================================== evaluator ===== */

sl_code sl__expr_out(sl__env *env, sl_type t, const sl_vec *args, size_t n_args, sl_vec *out)
{
    size_t n = env->n;
    out->type = t;
    out->v = sl_arena_alloc(env->a, (n ? n : 1) * sizeof *out->v);
    out->null = sl_arena_alloc(env->a, n ? n : 1);
    if (out->v == NULL || out->null == NULL)
        return sl_fail(env->err, SL_NOMEM, "out of memory evaluating an expression");
    /* restrict: the vectors are distinct, so these loops run 32 bytes at a time */
    uint8_t *restrict on = out->null;
    if (env->sel) {
        const uint8_t *restrict sel = env->sel;
        for (size_t i = 0; i < n; i++)
            on[i] = sel[i] == 0;
    } else {
        memset(on, 0, n);
    }
    for (size_t k = 0; k < n_args; k++) {
        const uint8_t *restrict an = args[k].null;
        if (an)
            for (size_t i = 0; i < n; i++)
                on[i] |= an[i];
    }
    return SL_OK;
}

bool sl__expr_text_buf(sl__env *env, sl_vec *out, size_t i, const sl_buf *b)
{
    if (b->oom) {
        env->oom = true;
        sl_fail(env->err, SL_NOMEM, "out of memory evaluating an expression");
        return false;
    }
    if (b->len > SL__MAX_TEXT) {
        out->null[i] = 1;
        return true;
    }
    return sl__expr_text(env, &out->v[i], b->p ? b->p : "", b->len);
}

bool sl__expr_text(sl__env *env, sl_datum *d, const char *p, size_t n)
{
    char *c = sl_arena_alloc(env->a, n ? n : 1);
    if (c == NULL) {
        sl_fail(env->err, SL_NOMEM, "out of memory evaluating an expression");
        env->oom = true;
        return false;
    }
    if (n)
        memcpy(c, p, n);
    d->s.p = c;
    d->s.n = n;
    return true;
}

char *sl__expr_alloc_text(sl__env *env, sl_datum *d, size_t n)
{
    char *c = sl_arena_alloc(env->a, n ? n : 1);
    if (c == NULL) {
        sl_fail(env->err, SL_NOMEM, "out of memory evaluating an expression");
        env->oom = true;
        return NULL;
    }
    d->s.p = c;
    d->s.n = n;
    return c;
}

static sl_code eval_node(const sl_expr *e, sl__env *env, sl_vec *out);

static sl_code eval_args(const sl_expr *e, sl__env *env, sl_vec **av)
{
    *av = sl_arena_alloc(env->a, (e->n_args ? e->n_args : 1) * sizeof **av);
    if (*av == NULL)
        return sl_fail(env->err, SL_NOMEM, "out of memory evaluating an expression");
    for (size_t i = 0; i < e->n_args; i++) {
        sl_code rc = eval_node(e->args[i], env, &(*av)[i]);
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

int sl__expr_cmp(int cls, const sl_datum *a, const sl_datum *b)
{
    switch (cls) {
    case C_LARGE:
    case C_DEC: return (a->w > b->w) - (a->w < b->w);
    case C_FLOAT:
        if (isnan(a->d) || isnan(b->d))
            return isnan(a->d) - isnan(b->d); /* NaN sorts last and equals itself */
        return (a->d > b->d) - (a->d < b->d);
    case C_TEXT:
    case C_CPLX: {
        size_t n = a->s.n < b->s.n ? a->s.n : b->s.n;
        int c = n ? memcmp(a->s.p, b->s.p, n) : 0;
        return c ? (c > 0) - (c < 0) : (a->s.n > b->s.n) - (a->s.n < b->s.n);
    }
    default: return (a->i > b->i) - (a->i < b->i);
    }
}

static bool cmp_holds(uint8_t op, int c)
{
    switch (op) {
    case B_EQ:
    case B_NSEQ: return c == 0;
    case B_NE: return c != 0;
    case B_LT: return c < 0;
    case B_LE: return c <= 0;
    case B_GT: return c > 0;
    default: return c >= 0;
    }
}

static sl_code eval_compare(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    int cls = sl__cls_of(av[0].type.id);
    sl_code rc = sl__expr_out(env, e->type, av, e->op == B_NSEQ ? 0 : 2, out);
    if (rc != SL_OK)
        return rc;
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        if (e->op == B_NSEQ) {
            bool na = av[0].null && av[0].null[i], nb = av[1].null && av[1].null[i];
            if (na || nb) {
                out->v[i].i = na && nb;
                continue;
            }
        }
        out->v[i].i = cmp_holds(e->op, sl__expr_cmp(cls, &av[0].v[i], &av[1].v[i]));
    }
    return SL_OK;
}

/* Unscaled decimal rescaled from scale `from` to scale `to` (half-up when dropping digits);
 * false on overflow past 38 digits. */
static bool rescale(sl_i128 v, unsigned from, unsigned to, sl_i128 *out)
{
    if (to >= from) {
        sl_i128 m = sl__pow10(to - from), lim = sl__pow10(SL__DEC_MAX_PREC);
        if (__builtin_mul_overflow(v, m, out))
            return false;
        return *out < lim && *out > -lim;
    }
    sl_i128 d = sl__pow10(from - to), q = v / d, r = v % d;
    if (r * 2 >= d)
        q++;
    else if (-r * 2 >= d)
        q--;
    *out = q;
    return true;
}

static bool arith_dec(uint8_t op, const sl_vec *av, size_t i, sl_type rt, sl_i128 *out)
{
    sl_i128 a = av[0].v[i].w, b = av[1].v[i].w, lim = sl__pow10(SL__DEC_MAX_PREC);
    if (op == B_MUL) {
        if (__builtin_mul_overflow(a, b, out))
            return false;
    } else {
        if (!rescale(a, av[0].type.scale, rt.scale, &a) ||
            !rescale(b, av[1].type.scale, rt.scale, &b))
            return false;
        if (op == B_ADD ? __builtin_add_overflow(a, b, out) : __builtin_sub_overflow(a, b, out))
            return false;
    }
    return *out < lim && *out > -lim;
}

/* One row of BIGINT arithmetic; false means NULL (overflow, division by zero). */
static bool arith_i64(uint8_t op, int64_t a, int64_t b, int64_t *r)
{
    switch (op) {
    case B_ADD: return !__builtin_add_overflow(a, b, r);
    case B_SUB: return !__builtin_sub_overflow(a, b, r);
    case B_MUL: return !__builtin_mul_overflow(a, b, r);
    case B_MOD:
        if (b == 0)
            return false;
        *r = b == -1 ? 0 : a % b;
        return true;
    default: /* B_IDIV */
        if (b == 0 || (a == INT64_MIN && b == -1))
            return false;
        *r = a / b;
        return true;
    }
}

static bool arith_i128(uint8_t op, sl_i128 a, sl_i128 b, sl_i128 *r)
{
    const sl_i128 min = (sl_i128)((unsigned __int128)1 << 127);
    switch (op) {
    case B_ADD: return !__builtin_add_overflow(a, b, r);
    case B_SUB: return !__builtin_sub_overflow(a, b, r);
    case B_MUL: return !__builtin_mul_overflow(a, b, r);
    case B_MOD:
        if (b == 0)
            return false;
        *r = b == -1 ? 0 : a % b;
        return true;
    default:
        if (b == 0 || (a == min && b == -1))
            return false;
        *r = a / b;
        return true;
    }
}

static bool arith_f64(uint8_t op, double a, double b, double *r)
{
    switch (op) {
    case B_ADD: *r = a + b; return true;
    case B_SUB: *r = a - b; return true;
    case B_MUL: *r = a * b; return true;
    case B_DIV:
        if (b == 0)
            return false;
        *r = a / b;
        return true;
    default:
        if (b == 0)
            return false;
        *r = fmod(a, b);
        return true;
    }
}

static sl_code eval_arith(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    int cls = sl__cls_of(e->type.id);
    uint8_t op = e->op;
    sl_code rc = sl__expr_out(env, e->type, av, 2, out);
    if (rc != SL_OK)
        return rc;
    for (size_t i = 0; i < env->n; i++) {
        bool ok;
        if (out->null[i])
            continue;
        if (cls == C_INT)
            ok = arith_i64(op, av[0].v[i].i, av[1].v[i].i, &out->v[i].i);
        else if (cls == C_LARGE)
            ok = arith_i128(op, av[0].v[i].w, av[1].v[i].w, &out->v[i].w);
        else if (cls == C_DEC)
            ok = arith_dec(op, av, i, e->type, &out->v[i].w);
        else
            ok = arith_f64(op, av[0].v[i].d, av[1].v[i].d, &out->v[i].d);
        out->null[i] = !ok;
    }
    return SL_OK;
}

static sl_code eval_neg(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    int cls = sl__cls_of(e->type.id);
    sl_code rc = sl__expr_out(env, e->type, av, 1, out);
    for (size_t i = 0; rc == SL_OK && i < env->n; i++) {
        if (out->null[i])
            continue;
        if (cls == C_INT)
            out->null[i] = __builtin_sub_overflow((int64_t)0, av[0].v[i].i, &out->v[i].i);
        else if (cls == C_LARGE)
            out->null[i] = __builtin_sub_overflow((sl_i128)0, av[0].v[i].w, &out->v[i].w);
        else if (cls == C_DEC)
            out->v[i].w = -av[0].v[i].w;
        else
            out->v[i].d = -av[0].v[i].d;
    }
    return rc;
}

/* AND / OR / NOT with SQL's three-valued logic. */
static sl_code eval_logic(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    sl_code rc = sl__expr_out(env, e->type, NULL, 0, out);
    for (size_t i = 0; rc == SL_OK && i < env->n; i++) {
        if (out->null[i])
            continue;
        bool na = av[0].null && av[0].null[i], a = !na && av[0].v[i].i;
        if (e->kind == EK_NOT) {
            out->null[i] = na;
            out->v[i].i = !a;
            continue;
        }
        bool nb = av[1].null && av[1].null[i], b = !nb && av[1].v[i].i;
        bool dominant = e->kind == EK_AND ? ((!na && !a) || (!nb && !b)) : (a || b);
        out->v[i].i = e->kind == EK_AND ? !dominant ? 1 : 0 : dominant;
        out->null[i] = !dominant && (na || nb);
    }
    return rc;
}

static sl_code eval_in(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    int cls = sl__cls_of(av[0].type.id);
    sl_code rc = sl__expr_out(env, e->type, av, 1, out);
    for (size_t i = 0; rc == SL_OK && i < env->n; i++) {
        bool found = false, saw_null = false;
        if (out->null[i])
            continue;
        for (size_t k = 1; k < e->n_args && !found; k++) {
            if (av[k].null && av[k].null[i])
                saw_null = true;
            else
                found = sl__expr_cmp(cls, &av[0].v[i], &av[k].v[i]) == 0;
        }
        out->null[i] = !found && saw_null;
        out->v[i].i = found != e->neg;
    }
    return rc;
}

static sl_code eval_between(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    int cls = sl__cls_of(av[0].type.id);
    sl_code rc = sl__expr_out(env, e->type, av, 1, out);
    for (size_t i = 0; rc == SL_OK && i < env->n; i++) {
        if (out->null[i])
            continue;
        bool nlo = av[1].null && av[1].null[i], nhi = av[2].null && av[2].null[i];
        bool ge = !nlo && sl__expr_cmp(cls, &av[0].v[i], &av[1].v[i]) >= 0;
        bool le = !nhi && sl__expr_cmp(cls, &av[0].v[i], &av[2].v[i]) <= 0;
        bool f = (!nlo && !ge) || (!nhi && !le); /* definitely outside */
        out->null[i] = !f && (nlo || nhi);
        out->v[i].i = (!f) != e->neg;
    }
    return rc;
}

/* Length of the UTF-8 character at s[0] (1 for stray bytes). */
static size_t u8len(const char *s, size_t n)
{
    unsigned char c = (unsigned char)s[0];
    size_t l = c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    return l <= n ? l : n;
}

/* LIKE with % (any run) and _ (one character); backslash escapes the next pattern byte. The
 * classic greedy matcher with one backtrack point: O(len(s) * len(p)) at worst. */
static bool like(const char *s, size_t n, const char *p, size_t m)
{
    size_t i = 0, j = 0, star_j = SIZE_MAX, star_i = 0;
    while (i < n) {
        if (j < m && p[j] == '%') {
            star_j = ++j;
            star_i = i;
            continue;
        }
        if (j < m && p[j] == '_') {
            i += u8len(s + i, n - i), j++;
            continue;
        }
        size_t pj = j < m && p[j] == '\\' && j + 1 < m ? j + 1 : j;
        if (pj < m && p[pj] == s[i]) {
            i++, j = pj + 1;
            continue;
        }
        if (star_j == SIZE_MAX)
            return false;
        star_i += u8len(s + star_i, n - star_i);
        i = star_i;
        j = star_j;
    }
    while (j < m && p[j] == '%')
        j++;
    return j == m;
}

/* A NUL-terminated arena copy of a text value (regcomp / regexec need one). */
static const char *cstr(sl__env *env, const sl_datum *d)
{
    char *c = sl_arena_alloc(env->a, d->s.n + 1);
    if (c == NULL)
        return NULL;
    if (d->s.n)
        memcpy(c, d->s.p, d->s.n);
    c[d->s.n] = '\0';
    return c;
}

/* x REGEXP p: POSIX extended expressions, matching anywhere in x (MySQL/RE2 search). A
 * pattern is compiled once for a run of rows that share it. */
static sl_code eval_regexp(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    regex_t re;
    bool have = false;
    sl_slice last = {NULL, 0};
    sl_code rc = SL_OK;
    for (size_t i = 0; rc == SL_OK && i < env->n; i++) {
        if (out->null[i])
            continue;
        const sl_datum *pat = &av[1].v[i];
        const char *x = cstr(env, &av[0].v[i]), *p = NULL;
        if (!have || pat->s.n != last.n || memcmp(pat->s.p, last.p, last.n) != 0) {
            if (have)
                regfree(&re), have = false;
            if ((p = cstr(env, pat)) == NULL) {
                rc = sl_fail(env->err, SL_NOMEM, "out of memory evaluating an expression");
                break;
            }
            if (regcomp(&re, p, REG_EXTENDED | REG_NOSUB) != 0) {
                rc = sl_fail(env->err, SL_INVALID, "Invalid regex expression: %.*s",
                             (int)(pat->s.n > 100 ? 100 : pat->s.n), pat->s.p);
                break;
            }
            have = true, last = (sl_slice){pat->s.p, pat->s.n};
        }
        if (x == NULL)
            rc = sl_fail(env->err, SL_NOMEM, "out of memory evaluating an expression");
        else
            out->v[i].i = (regexec(&re, x, 0, NULL, 0) == 0) != e->neg;
    }
    if (have)
        regfree(&re);
    return rc;
}

static sl_code eval_isbool(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    sl_code rc = sl__expr_out(env, e->type, NULL, 0, out);
    for (size_t i = 0; rc == SL_OK && i < env->n; i++) {
        bool na = av[0].null && av[0].null[i];
        out->v[i].i = (!na && (av[0].v[i].i != 0) == (e->op != 0)) != e->neg;
    }
    return rc;
}

static sl_code eval_like(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    sl_code rc = sl__expr_out(env, e->type, av, 2, out);
    if (rc == SL_OK && e->op)
        return eval_regexp(e, av, env, out);
    for (size_t i = 0; rc == SL_OK && i < env->n; i++)
        if (!out->null[i])
            out->v[i].i = like(av[0].v[i].s.p, av[0].v[i].s.n, av[1].v[i].s.p, av[1].v[i].s.n) !=
                          e->neg;
    return rc;
}

static sl_code eval_isnull(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    sl_code rc = sl__expr_out(env, e->type, NULL, 0, out);
    for (size_t i = 0; rc == SL_OK && i < env->n; i++)
        out->v[i].i = (av[0].null && av[0].null[i]) != e->neg;
    return rc;
}

static sl_code eval_case(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    size_t base = e->has_base ? 1 : 0, end = e->n_args - (e->has_else ? 1 : 0);
    int cls = e->has_base ? sl__cls_of(av[0].type.id) : C_INT;
    sl_code rc = sl__expr_out(env, e->type, NULL, 0, out);
    for (size_t i = 0; rc == SL_OK && i < env->n; i++) {
        const sl_vec *pick = e->has_else ? &av[end] : NULL;
        if (out->null[i])
            continue;
        for (size_t k = base; k + 1 < end; k += 2) {
            if (av[k].null && av[k].null[i])
                continue;
            if (e->has_base ? (!(av[0].null && av[0].null[i]) &&
                               sl__expr_cmp(cls, &av[0].v[i], &av[k].v[i]) == 0)
                            : av[k].v[i].i != 0) {
                pick = &av[k + 1];
                break;
            }
        }
        out->null[i] = pick == NULL || (pick->null && pick->null[i]);
        if (pick)
            out->v[i] = pick->v[i];
    }
    return rc;
}

static sl_code eval_leaf(const sl_expr *e, sl__env *env, sl_vec *out)
{
    if (e->kind == EK_LIT) {
        sl_code rc = sl__expr_out(env, e->type, NULL, 0, out);
        for (size_t i = 0; rc == SL_OK && i < env->n; i++) {
            out->v[i] = e->lit;
            out->null[i] |= e->lit_null;
        }
        return rc;
    }
    const sl_vec *in = &env->cols[e->col];
    *out = *in;
    out->type = e->type;
    if (in->null && env->sel == NULL)
        return SL_OK;
    sl_code rc = sl__expr_out(env, e->type, in, 1, out);
    out->v = in->v; /* borrow the values; only the NULL mask is new */
    return rc;
}

/* CAST of a literal ('2000-01-01' compared with a DATETIME, the path of get_json_string):
 * converted once, then repeated, rather than converted on every row of every batch. */
static sl_code eval_const_cast(const sl_expr *e, sl__env *env, sl_vec *out)
{
    sl__env one = *env;
    sl_vec in = {e->args[0]->type, (sl_datum *)&e->args[0]->lit, NULL}, v;
    uint8_t lit_null = e->args[0]->lit_null;
    one.n = 1, one.sel = NULL;
    in.null = &lit_null;
    sl_code rc = sl__expr_out(&one, e->type, &in, 1, &v);
    if (rc == SL_OK && !lit_null)
        rc = sl__expr_cast(&in, e->type, &one, &v);
    if (rc == SL_OK)
        rc = sl__expr_out(env, e->type, NULL, 0, out);
    for (size_t i = 0; rc == SL_OK && i < env->n; i++) {
        out->v[i] = v.v[0];
        out->null[i] |= v.null[0];
    }
    return rc;
}

static sl_code eval_node(const sl_expr *e, sl__env *env, sl_vec *out)
{
    sl_vec *av = NULL;
    sl_code rc;
    if (e->kind == EK_LIT || e->kind == EK_COL)
        return eval_leaf(e, env, out);
    if (e->kind == EK_CAST && e->args[0]->kind == EK_LIT && env->n > 1)
        return eval_const_cast(e, env, out);
    if (e->kind == EK_INTERVAL)
        return eval_node(e->args[0], env, out);
    if ((rc = eval_args(e, env, &av)) != SL_OK)
        return rc;
    switch (e->kind) {
    case EK_NEG: return eval_neg(e, av, env, out);
    case EK_NOT:
    case EK_AND:
    case EK_OR: return eval_logic(e, av, env, out);
    case EK_BIN:
        return e->op >= B_EQ ? eval_compare(e, av, env, out) : eval_arith(e, av, env, out);
    case EK_IN: return eval_in(e, av, env, out);
    case EK_BETWEEN: return eval_between(e, av, env, out);
    case EK_LIKE: return eval_like(e, av, env, out);
    case EK_ISNULL: return eval_isnull(e, av, env, out);
    case EK_ISBOOL: return eval_isbool(e, av, env, out);
    case EK_AGG:
        return sl_fail(env->err, SL_INTERNAL, "aggregate %s evaluated as a scalar",
                       sl__expr_agg_name(e->op));
    case EK_CASE: return eval_case(e, av, env, out);
    case EK_CAST:
        if ((rc = sl__expr_out(env, e->type, av, 1, out)) != SL_OK)
            return rc;
        return sl__expr_cast(&av[0], e->type, env, out);
    default:
        if ((rc = sl__expr_out(env, e->type, av, e->fn->nullprop ? e->n_args : 0, out)) != SL_OK)
            return rc;
        return e->fn->eval(e, av, env, out);
    }
}

sl_code sl_expr_eval(const sl_expr *e, const sl_vec *cols, size_t n, const uint8_t *sel,
                     const sl_expr_ctx *ctx, sl_arena_t *a, sl_vec *out, sl_err *err)
{
    static const sl_expr_ctx utc = {0, 0, NULL};
    sl__env env = {cols, n, sel, ctx ? ctx : &utc, a, err, false};
    if (!SL_ALWAYS(e->bound))
        return sl_fail(err, SL_INTERNAL, "expression evaluated before binding");
    return eval_node(e, &env, out);
}

static bool truthy(const sl_vec *v, size_t i)
{
    int64_t b = 0;
    switch (sl__cls_of(v->type.id)) {
    case C_LARGE:
    case C_DEC: return v->v[i].w != 0;
    case C_FLOAT: return v->v[i].d != 0;
    case C_TEXT: return sl__text_to_bool((sl_slice){v->v[i].s.p, v->v[i].s.n}, &b) && b;
    case C_NULL: return false;
    default: return v->v[i].i != 0;
    }
}

sl_code sl_expr_filter(const sl_expr *pred, const sl_vec *cols, size_t n, const uint8_t *sel,
                       const sl_expr_ctx *ctx, sl_arena_t *a, uint8_t *keep, sl_err *err)
{
    sl_vec r;
    sl_code rc = sl_expr_eval(pred, cols, n, sel, ctx, a, &r, err);
    if (rc != SL_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        keep[i] = !(r.null && r.null[i]) && truthy(&r, i);
    return SL_OK;
}

void sl_expr_uses(const sl_expr *e, uint8_t *used, size_t n)
{
    if (e == NULL)
        return;
    if (e->kind == EK_COL && e->col >= 0 && (size_t)e->col < n)
        used[e->col] = 1;
    for (size_t i = 0; i < e->n_args; i++)
        sl_expr_uses(e->args[i], used, n);
}
