/*
 * scan_pred.c - the WHERE's simple terms in the vectorised scan (store stage; scan.c plans and
 * filters with them).
 *
 *   WHERE = t1 AND t2 AND ... --each term--> `col op constant`, `col BETWEEN c1 AND c2`,
 *           `col IN (constants)`, `col IS [NOT] NULL`?  -> a row-group skipping condition
 *                                                          (against the chunks' bounds) and
 *                                                          a loop over the column here
 *                                                  else  -> the expression engine
 *
 * A term qualifies only when the constant has the column's physical form and meaning (the
 * same integer width class, decimal scale, date or datetime unit, or both text), so comparing
 * the stored values gives the engine's answer; a NULL value never passes, as in a WHERE.
 * Integer comparisons become one inclusive range, [lo, hi], tested without branches.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../core/platform.h"

#include <string.h>

#include "../../core/mem.h"
#include "internal.h"

typedef struct sq_skip {
    size_t col;
    char op;                    /* SQ_OP_*; 'N': IS NULL, 'n': IS NOT NULL */
    sl_datum v;
} sq_skip;

enum { P_RANGE, P_NE, P_IN, P_NULL, P_NOTNULL };
enum { F_I, F_W, F_D, F_S };    /* the values' physical form: v.i, v.w, v.d, v.s */

typedef struct sq_pred {
    size_t col;
    uint8_t kind;               /* P_* */
    uint8_t form;               /* F_* */
    bool lo_in, hi_in;          /* P_RANGE: the bounds included (always, for F_I and F_W) */
    bool has_lo, has_hi;
    sl_datum lo, hi;            /* P_RANGE bounds; P_NE: lo */
    sl_datum in[16];            /* P_IN */
    size_t n_in;
} sq_pred;

static uint8_t form_of(const sl_type *t)
{
    if (sl_type_is_text(t))
        return F_S;
    if (t->id == SL_FLOAT || t->id == SL_DOUBLE)
        return F_D;
    return t->id == SL_DECIMAL || t->id == SL_LARGEINT ? F_W : F_I;
}

/* Do values of a and b have the same physical form and meaning (so stored values compare)? */
static bool same_form(const sl_type *a, const sl_type *b)
{
    if (sl_type_is_text(a) || sl_type_is_text(b))
        return sl_type_is_text(a) && sl_type_is_text(b);
    if (a->id <= SL_BIGINT && b->id <= SL_BIGINT) /* TINYINT..BIGINT: int64 */
        return a->id != SL_LARGEINT && b->id != SL_LARGEINT;
    return a->id == b->id && (a->id != SL_DECIMAL || a->scale == b->scale);
}

/* e as a stored column: the column, or one under implicit casts that keep its values. */
static long bare_col(const sl_expr *e)
{
    while (sl_expr_kind_of(e) == SL_E_CAST && sl_expr_implicit(e)) {
        sl_type to = sl_expr_type(e), from = sl_expr_type(sl_expr_arg(e, 0));
        if (!same_form(&to, &from))
            return -1;
        e = sl_expr_arg(e, 0);
    }
    return sl_expr_kind_of(e) == SL_E_COL ? sl_expr_col(e) : -1;
}

/* A non-NULL constant usable against column col. */
static bool lit_for(const sq_scan *sc, long col, const sl_expr *e, sl_datum *v)
{
    if (col < 0 || (size_t)col >= sc->def->n_cols || sl_expr_kind_of(e) != SL_E_LIT ||
        !sl_expr_lit(e, v))
        return false;
    sl_type lt = sl_expr_type(e);
    return same_form(&lt, &sc->def->cols[col].type);
}

static void add_skip(sq_scan *sc, size_t col, char op, const sl_datum *v)
{
    if (sc->n_skip < SQ_MAX_PREDS)
        sc->skip[sc->n_skip++] = (sq_skip){col, op, v ? *v : (sl_datum){0}};
}

/* ---- terms ------------------------------------------------------------------------------------ */

/* `col op c` as an inclusive-or-exclusive range (or P_NE), with its skipping condition. */
static bool term_compare(sq_scan *sc, const sl_expr *e, sq_pred *p)
{
    static const char flip[] = {[SL_B_EQ] = SL_B_EQ, [SL_B_NE] = SL_B_NE, [SL_B_LT] = SL_B_GT,
                                [SL_B_LE] = SL_B_GE, [SL_B_GT] = SL_B_LT, [SL_B_GE] = SL_B_LE};
    static const char skip[] = {[SL_B_EQ] = SQ_OP_EQ, [SL_B_LT] = SQ_OP_LT, [SL_B_LE] = SQ_OP_LE,
                                [SL_B_GT] = SQ_OP_GT, [SL_B_GE] = SQ_OP_GE};
    int op = sl_expr_op(e);
    if (op != SL_B_EQ && op != SL_B_NE && op != SL_B_LT && op != SL_B_LE && op != SL_B_GT &&
        op != SL_B_GE)
        return false;
    long col = bare_col(sl_expr_arg(e, 0));
    sl_datum v;
    if (!lit_for(sc, col, sl_expr_arg(e, 1), &v)) {
        col = bare_col(sl_expr_arg(e, 1));
        if (!lit_for(sc, col, sl_expr_arg(e, 0), &v))
            return false;
        op = flip[op];
    }
    p->col = (size_t)col;
    if (op == SL_B_NE) {
        p->kind = P_NE, p->lo = v;
        return true;
    }
    add_skip(sc, (size_t)col, skip[op], &v);
    p->kind = P_RANGE;
    p->has_lo = op == SL_B_EQ || op == SL_B_GT || op == SL_B_GE;
    p->has_hi = op == SL_B_EQ || op == SL_B_LT || op == SL_B_LE;
    p->lo = p->hi = v;
    p->lo_in = op != SL_B_GT;
    p->hi_in = op != SL_B_LT;
    return true;
}

static bool term_between(sq_scan *sc, const sl_expr *e, sq_pred *p)
{
    long col = bare_col(sl_expr_arg(e, 0));
    if (sl_expr_negated(e) || !lit_for(sc, col, sl_expr_arg(e, 1), &p->lo) ||
        !lit_for(sc, col, sl_expr_arg(e, 2), &p->hi))
        return false;
    p->col = (size_t)col, p->kind = P_RANGE;
    p->has_lo = p->has_hi = p->lo_in = p->hi_in = true;
    add_skip(sc, (size_t)col, SQ_OP_GE, &p->lo);
    add_skip(sc, (size_t)col, SQ_OP_LE, &p->hi);
    return true;
}

/* `col IN (constants)`: a NULL in the list makes a non-match NULL, which a WHERE drops too. */
static bool term_in(sq_scan *sc, const sl_expr *e, sq_pred *p)
{
    long col = bare_col(sl_expr_arg(e, 0));
    size_t n = sl_expr_n_args(e);
    if (sl_expr_negated(e) || col < 0 || n - 1 > SL_COUNT(p->in))
        return false;
    const sl_type *t = &sc->def->cols[col].type;
    for (size_t i = 1; i < n; i++) {
        const sl_expr *a = sl_expr_arg(e, i);
        sl_datum v;
        if (sl_expr_kind_of(a) == SL_E_LIT && !sl_expr_lit(a, &v))
            continue; /* NULL */
        if (!lit_for(sc, col, a, &v))
            return false;
        p->in[p->n_in++] = v;
    }
    p->col = (size_t)col, p->kind = P_IN;
    if (p->n_in == 0)
        return true;
    sl_datum lo = p->in[0], hi = p->in[0];
    for (size_t i = 1; i < p->n_in; i++) {
        lo = sl__sq_cmp(t, &p->in[i], &lo) < 0 ? p->in[i] : lo;
        hi = sl__sq_cmp(t, &p->in[i], &hi) > 0 ? p->in[i] : hi;
    }
    add_skip(sc, (size_t)col, SQ_OP_GE, &lo);
    add_skip(sc, (size_t)col, SQ_OP_LE, &hi);
    return true;
}

/* Integer ranges become inclusive: `< c` is `<= c - 1` (nothing passes below INT64_MIN). */
static void inclusive(sq_pred *p)
{
    if (p->form == F_I) {
        if (p->has_lo && !p->lo_in && p->lo.i == INT64_MAX)
            p->kind = P_IN, p->n_in = 0; /* no value */
        else if (p->has_lo && !p->lo_in)
            p->lo.i++;
        if (p->has_hi && !p->hi_in && p->hi.i == INT64_MIN)
            p->kind = P_IN, p->n_in = 0;
        else if (p->has_hi && !p->hi_in)
            p->hi.i--;
        if (!p->has_lo)
            p->lo.i = INT64_MIN;
        if (!p->has_hi)
            p->hi.i = INT64_MAX;
        p->lo_in = p->hi_in = p->has_lo = p->has_hi = true;
    }
}

static bool term(sq_scan *sc, const sl_expr *e, sq_pred *p)
{
    long col;
    memset(p, 0, sizeof *p);
    bool ok = false;
    switch (sl_expr_kind_of(e)) {
    case SL_E_BIN: ok = term_compare(sc, e, p); break;
    case SL_E_BETWEEN: ok = term_between(sc, e, p); break;
    case SL_E_IN: ok = term_in(sc, e, p); break;
    case SL_E_ISNULL:
        if ((col = bare_col(sl_expr_arg(e, 0))) < 0 || (size_t)col >= sc->def->n_cols)
            return false;
        p->col = (size_t)col;
        p->kind = sl_expr_negated(e) ? P_NOTNULL : P_NULL;
        add_skip(sc, (size_t)col, sl_expr_negated(e) ? 'n' : 'N', NULL);
        return true;
    default: return false;
    }
    if (ok) {
        p->form = form_of(&sc->def->cols[p->col].type);
        if (p->kind == P_RANGE)
            inclusive(p);
    }
    return ok;
}

static size_t count_terms(const sl_expr *e)
{
    if (e == NULL)
        return 0;
    if (sl_expr_kind_of(e) != SL_E_AND)
        return 1;
    size_t n = 0;
    for (size_t i = 0; i < sl_expr_n_args(e); i++)
        n += count_terms(sl_expr_arg(e, i));
    return n;
}

static void split(sq_scan *sc, const sl_expr *e)
{
    if (sl_expr_kind_of(e) == SL_E_AND) {
        for (size_t i = 0; i < sl_expr_n_args(e); i++)
            split(sc, sl_expr_arg(e, i));
        return;
    }
    if (term(sc, e, &sc->preds[sc->n_preds]))
        sc->n_preds++;
    else
        sc->rest[sc->n_rest++] = e;
}

sl_code sl__sq_plan_where(sq_scan *sc)
{
    size_t n = count_terms(sc->filters[0]) + count_terms(sc->filters[1]);
    sc->skip = sl_calloc(SQ_MAX_PREDS * sizeof *sc->skip);
    sc->preds = sl_calloc(SQ_MAX_PREDS * sizeof *sc->preds);
    if (sc->skip == NULL || sc->preds == NULL)
        return sl_fail(sc->err, SL_NOMEM, "out of memory planning a query");
    for (size_t k = 0; k < 2; k++) {
        if (sc->filters[k] == NULL)
            continue;
        if (n <= SQ_MAX_PREDS)
            split(sc, sc->filters[k]);
        else /* a long AND: one engine term */
            sc->rest[sc->n_rest++] = sc->filters[k];
    }
    return SL_OK;
}

bool sl__sq_rg_skipped(const sq_scan *sc, const sq_segr *r, size_t rg)
{
    for (size_t k = 0; k < sc->n_skip; k++) {
        const sq_skip *s = &sc->skip[k];
        const sq_stats *st = &r->st[rg * r->n_cols + s->col];
        if (s->op == 'N' ? st->n_null == 0
            : s->op == 'n' ? st->n_null == r->rg_rows[rg]
                           : sl__sq_excluded(st, &sc->def->cols[s->col].type, s->op, &s->v))
            return true;
    }
    return false;
}

/* ---- the loops ---------------------------------------------------------------------------------- */

static void range_i(const sq_pred *p, const sl_vec *c, size_t n, uint8_t *keep)
{
    const sl_datum *v = c->v;
    const uint8_t *nl = c->null;
    int64_t lo = p->lo.i, hi = p->hi.i;
    for (size_t i = 0; i < n; i++)
        keep[i] &= (uint8_t)(!nl[i] & (v[i].i >= lo) & (v[i].i <= hi));
}

static void range_w(const sq_pred *p, const sl_vec *c, size_t n, uint8_t *keep)
{
    const sl_datum *v = c->v;
    const uint8_t *nl = c->null;
    for (size_t i = 0; i < n; i++) {
        bool ok = !nl[i];
        if (p->has_lo)
            ok &= p->lo_in ? v[i].w >= p->lo.w : v[i].w > p->lo.w;
        if (p->has_hi)
            ok &= p->hi_in ? v[i].w <= p->hi.w : v[i].w < p->hi.w;
        keep[i] &= (uint8_t)ok;
    }
}

/* The general case: doubles, text, `<>` and IN, compared as the stored values order. */
static void general(const sq_pred *p, const sl_type *t, const sl_vec *c, size_t n,
                    uint8_t *keep)
{
    for (size_t i = 0; i < n; i++) {
        if (!keep[i])
            continue;
        if (c->null[i] || p->kind == P_NULL || p->kind == P_NOTNULL) {
            keep[i] = (uint8_t)(p->kind == P_NULL ? c->null[i] != 0
                                                  : p->kind == P_NOTNULL && !c->null[i]);
            continue;
        }
        const sl_datum *v = &c->v[i];
        bool ok = false;
        if (p->kind == P_NE) {
            ok = sl__sq_cmp(t, v, &p->lo) != 0;
        } else if (p->kind == P_IN) {
            for (size_t k = 0; k < p->n_in && !ok; k++)
                ok = sl__sq_cmp(t, v, &p->in[k]) == 0;
        } else {
            int a = p->has_lo ? sl__sq_cmp(t, v, &p->lo) : 1;
            int b = p->has_hi ? sl__sq_cmp(t, v, &p->hi) : -1;
            ok = (p->lo_in ? a >= 0 : a > 0) && (p->hi_in ? b <= 0 : b < 0);
        }
        keep[i] = ok;
    }
}

void sl__sq_preds_apply(const sq_scan *sc, size_t n, uint8_t *keep)
{
    memset(keep, 1, n);
    for (size_t k = 0; k < sc->n_preds; k++) {
        const sq_pred *p = &sc->preds[k];
        const sl_vec *c = &sc->cols[p->col];
        if (p->kind == P_RANGE && p->form == F_I)
            range_i(p, c, n, keep);
        else if (p->kind == P_RANGE && p->form == F_W)
            range_w(p, c, n, keep);
        else
            general(p, &sc->def->cols[p->col].type, c, n, keep);
    }
}
