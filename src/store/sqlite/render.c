/*
 * render.c - a bound SELECT as SQLite text over the view __sl_t (store stage; query.c prepares
 * and runs what this writes).
 *
 *   sl_select (bound, src/sql) --here--> "SELECT ... FROM __sl_t WHERE ..." + parameters
 *                                        + functions registered on the query's connection
 *
 * The view's columns are c0..c<n-1> in the v2 encoding (internal.h), so SQLite's own
 * comparisons, IN, BETWEEN, IS NULL, CASE, logic, GROUP BY, ORDER BY, DISTINCT, LIMIT and
 * count/min/max give Doris's answers natively and use indexes of order. Everything whose
 * SQLite meaning differs or could go wrong silently is evaluated by the expression engine
 * through a registered function (udf.c): every Doris function, LIKE and REGEXP, integer
 * arithmetic that could overflow (SQLite would turn it into REAL), all DECIMAL and LARGEINT
 * arithmetic, MOD and DIV, narrowing casts, and the aggregates that need exactness (sum, avg,
 * group_concat, stddev, variance, bit_*). Literals are bound as parameters in their type's
 * encoding, so `d >= '2024-01-01'` compares DATE integers. Only this file writes function
 * names: nothing a user writes reaches an SQLite built-in.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../core/platform.h"

#include <stdio.h>
#include <string.h>

#include "internal.h"

typedef struct rd {
    sq_query *q;
    sl_buf *b;
    sl_err *err;
    sl_code rc;           /* first failure */
} rd;

static void expr(rd *r, const sl_expr *e);

static int cls(sl_type t)
{
    switch (t.id) {
    case SL_TINYINT: case SL_SMALLINT: case SL_INT: case SL_BIGINT: case SL_BOOLEAN: return 0;
    case SL_FLOAT: case SL_DOUBLE: return 1;
    default: return 2;
    }
}

/* ---- integer ranges: when SQLite's integer arithmetic cannot overflow ---------------------- */

static unsigned type_bits(sl_type t)
{
    switch (t.id) {
    case SL_BOOLEAN: return 2;
    case SL_TINYINT: return 8;
    case SL_SMALLINT: return 16;
    case SL_INT: return 32;
    default: return 64;
    }
}

/* Bits (sign included) an integer expression's values need; 64 and more: unknown or too many. */
static unsigned int_bits(const sl_expr *e)
{
    sl_datum v;
    unsigned a, b;
    switch (sl_expr_kind_of(e)) {
    case SL_E_LIT:
        if (!sl_expr_lit(e, &v) || cls(sl_expr_type(e)) != 0)
            return 2;
        a = 1;
        for (uint64_t m = v.i < 0 ? ~(uint64_t)v.i : (uint64_t)v.i; m; m >>= 1)
            a++;
        return a;
    case SL_E_CAST:
        if (sl_expr_implicit(e) && cls(sl_expr_type(sl_expr_arg(e, 0))) == 0)
            return int_bits(sl_expr_arg(e, 0));
        return type_bits(sl_expr_type(e));
    case SL_E_NEG: return int_bits(sl_expr_arg(e, 0)) + 1;
    case SL_E_BIN:
        a = int_bits(sl_expr_arg(e, 0)), b = int_bits(sl_expr_arg(e, 1));
        if (sl_expr_op(e) == SL_B_ADD || sl_expr_op(e) == SL_B_SUB)
            return (a > b ? a : b) + 1;
        if (sl_expr_op(e) == SL_B_MUL)
            return a + b - 1; /* |x| < 2^(a-1), |y| < 2^(b-1): |xy| < 2^(a+b-2) */
        return 64;
    default: return type_bits(sl_expr_type(e));
    }
}

/* ---- what SQLite computes natively ---------------------------------------------------------- */

static int int_rank(uint8_t id)
{
    return id == SL_BOOLEAN ? 0 : id == SL_TINYINT ? 1 : id == SL_SMALLINT ? 2 : id == SL_INT ? 3 : 4;
}

static bool native_cast(const sl_expr *e)
{
    sl_type f = sl_expr_type(sl_expr_arg(e, 0)), t = sl_expr_type(e);
    if (f.id == t.id && f.precision == t.precision && f.scale == t.scale && f.len == t.len &&
        !sl_type_is_text(&t))
        return true;
    if (cls(f) == 0 && cls(t) == 0)
        return t.id == SL_BOOLEAN || int_rank(t.id) >= int_rank(f.id);
    if (cls(f) == 0 && t.id == SL_DOUBLE)
        return true;
    if (cls(f) == 1 && t.id == SL_DOUBLE)
        return true;
    if (f.id == SL_DATE && t.id == SL_DATETIME)
        return true;
    if (f.id == SL_DATETIME && t.id == SL_DATETIME)
        return t.precision >= f.precision;
    if (f.id == SL_DECIMAL && t.id == SL_DECIMAL)
        return t.precision <= 18 && f.precision <= 18 && t.scale >= f.scale &&
               t.precision - t.scale >= f.precision - f.scale;
    return sl_type_is_text(&f) && t.id == SL_STRING;
}

static bool native(const sl_expr *e)
{
    sl_type t = sl_expr_type(e);
    switch (sl_expr_kind_of(e)) {
    case SL_E_LIT: case SL_E_COL: case SL_E_NOT: case SL_E_AND: case SL_E_OR: case SL_E_IN:
    case SL_E_BETWEEN: case SL_E_ISNULL: case SL_E_CASE: case SL_E_ISBOOL: case SL_E_AGG:
        return true;
    case SL_E_CAST: return native_cast(e);
    case SL_E_NEG: return cls(t) == 1 || (cls(t) == 0 && int_bits(e) <= 63);
    case SL_E_BIN: {
        int op = sl_expr_op(e);
        if (op >= SL_B_EQ)
            return true;
        if (op == SL_B_MOD || op == SL_B_IDIV)
            return false;
        return cls(t) == 1 || (cls(t) == 0 && t.id != SL_BOOLEAN && int_bits(e) <= 63);
    }
    default: return false; /* LIKE, REGEXP, functions, INTERVAL */
    }
}

/* ---- writing ------------------------------------------------------------------------------- */

static void put(rd *r, const char *s)
{
    sl_buf_puts(r->b, s);
}

static void param(rd *r, const sl_expr *e)
{
    sq_query *q = r->q;
    sl_datum v;
    if (!sl_expr_lit(e, &v)) {
        put(r, "NULL");
        return;
    }
    if (q->n_params == q->cap_params) {
        size_t cap = q->cap_params ? q->cap_params * 2 : 16;
        sq_param *p = sl_arena_alloc(&q->a, cap * sizeof *p);
        if (p == NULL) {
            r->rc = sl_fail(r->err, SL_NOMEM, "out of memory rendering a query");
            return;
        }
        if (q->n_params)
            memcpy(p, q->params, q->n_params * sizeof *p);
        q->params = p, q->cap_params = cap;
    }
    q->params[q->n_params++] = (sq_param){sl_expr_type(e), v};
    /* A plain "?" is number n_params: the text is written in order, one buffer. Not "?NNN":
     * SQLite looks each numbered name up in a list while coding, quadratic in the literals
     * (a 100000-item IN list took 25 s). */
    put(r, "?");
}

static void args(rd *r, const sl_expr *e, size_t from, const char *sep)
{
    for (size_t i = from; i < sl_expr_n_args(e); i++) {
        if (i > from)
            put(r, sep);
        expr(r, sl_expr_arg(e, i));
    }
}

static bool is_hole(const sl_expr *n, void *arg)
{
    (void)arg;
    return sl_expr_kind_of(n) == SL_E_COL || sl_expr_kind_of(n) == SL_E_AGG;
}

/* e evaluated by the expression engine: __sl_f<k>(holes...). */
static void engine_call(rd *r, const sl_expr *e)
{
    sl_expr *copy;
    const sl_expr **holes;
    size_t n;
    char name[16];
    if (r->rc != SL_OK)
        return;
    r->rc = sl_expr_detach(e, is_hole, NULL, &r->q->a, &copy, &holes, &n, r->err);
    if (r->rc == SL_OK)
        r->rc = sl__sq_fn_scalar(r->q, copy, holes, n, name, r->err);
    if (r->rc != SL_OK)
        return;
    put(r, name);
    put(r, "(");
    for (size_t i = 0; i < n; i++) {
        if (i)
            put(r, ", ");
        expr(r, holes[i]);
    }
    put(r, ")");
}

static void aggregate(rd *r, const sl_expr *e)
{
    static const char *const natives[] = {[SL_QA_COUNT] = "count", [SL_QA_MIN] = "min",
                                          [SL_QA_MAX] = "max"};
    int op = sl_expr_op(e);
    char name[16];
    const char *fn = (size_t)op < SL_COUNT(natives) ? natives[op] : NULL;
    if (fn == NULL) {
        if ((r->rc = r->rc ? r->rc : sl__sq_fn_aggregate(r->q, e, name, r->err)) != SL_OK)
            return;
        fn = name;
    }
    put(r, fn);
    put(r, sl_expr_distinct(e) && op != SL_QA_MIN && op != SL_QA_MAX ? "(DISTINCT " : "(");
    if (sl_expr_n_args(e) == 0)
        put(r, "*");
    else
        expr(r, sl_expr_arg(e, 0));
    put(r, ")");
}

static void cast(rd *r, const sl_expr *e)
{
    sl_type f = sl_expr_type(sl_expr_arg(e, 0)), t = sl_expr_type(e);
    const sl_expr *x = sl_expr_arg(e, 0);
    if (cls(f) == 0 && t.id == SL_BOOLEAN && f.id != SL_BOOLEAN) {
        put(r, "(("), expr(r, x), put(r, ") <> 0)");
    } else if (cls(f) == 0 && t.id == SL_DOUBLE) {
        put(r, "CAST("), expr(r, x), put(r, " AS REAL)");
    } else if (f.id == SL_DATE && t.id == SL_DATETIME) {
        put(r, "(("), expr(r, x), put(r, ") * 86400000000)");
    } else if (f.id == SL_DECIMAL && t.scale > f.scale) {
        put(r, "(("), expr(r, x), sl_buf_printf(r->b, ") * 1%0*d)", t.scale - f.scale, 0);
    } else {
        expr(r, x); /* the same stored value */
    }
}

static void binary(rd *r, const sl_expr *e)
{
    static const char *const ops[] = {[SL_B_ADD] = " + ", [SL_B_SUB] = " - ", [SL_B_MUL] = " * ",
                                      [SL_B_DIV] = " / ", [SL_B_EQ] = " = ", [SL_B_NSEQ] = " IS ",
                                      [SL_B_NE] = " <> ", [SL_B_LT] = " < ", [SL_B_LE] = " <= ",
                                      [SL_B_GT] = " > ", [SL_B_GE] = " >= "};
    put(r, "(");
    expr(r, sl_expr_arg(e, 0));
    put(r, ops[sl_expr_op(e)]);
    expr(r, sl_expr_arg(e, 1));
    put(r, ")");
}

static void case_(rd *r, const sl_expr *e)
{
    size_t i = 0, n = sl_expr_n_args(e), end = n - (sl_expr_case_else(e) ? 1 : 0);
    put(r, "CASE");
    if (sl_expr_case_base(e))
        put(r, " "), expr(r, sl_expr_arg(e, i++));
    for (; i + 1 < end; i += 2) {
        put(r, " WHEN "), expr(r, sl_expr_arg(e, i));
        put(r, " THEN "), expr(r, sl_expr_arg(e, i + 1));
    }
    if (sl_expr_case_else(e))
        put(r, " ELSE "), expr(r, sl_expr_arg(e, end));
    put(r, " END");
}

static void predicate(rd *r, const sl_expr *e)
{
    const char *no = sl_expr_negated(e) ? "NOT " : "";
    put(r, "(");
    expr(r, sl_expr_arg(e, 0));
    switch (sl_expr_kind_of(e)) {
    case SL_E_ISNULL: sl_buf_printf(r->b, " IS %sNULL", no); break;
    case SL_E_ISBOOL: sl_buf_printf(r->b, " IS %s%s", no, sl_expr_op(e) ? "TRUE" : "FALSE"); break;
    case SL_E_IN: sl_buf_printf(r->b, " %sIN (", no), args(r, e, 1, ", "), put(r, ")"); break;
    default: /* BETWEEN */
        sl_buf_printf(r->b, " %sBETWEEN ", no);
        expr(r, sl_expr_arg(e, 1)), put(r, " AND "), expr(r, sl_expr_arg(e, 2));
    }
    put(r, ")");
}

static void expr(rd *r, const sl_expr *e)
{
    if (r->rc != SL_OK)
        return;
    if (!native(e)) {
        engine_call(r, e);
        return;
    }
    switch (sl_expr_kind_of(e)) {
    case SL_E_LIT: param(r, e); break;
    case SL_E_COL: sl_buf_printf(r->b, "c%ld", sl_expr_col(e)); break;
    case SL_E_NOT: put(r, "(NOT "), expr(r, sl_expr_arg(e, 0)), put(r, ")"); break;
    case SL_E_NEG: put(r, "(- "), expr(r, sl_expr_arg(e, 0)), put(r, ")"); break;
    case SL_E_AND: put(r, "("), args(r, e, 0, " AND "), put(r, ")"); break;
    case SL_E_OR: put(r, "("), args(r, e, 0, " OR "), put(r, ")"); break;
    case SL_E_BIN: binary(r, e); break;
    case SL_E_CASE: case_(r, e); break;
    case SL_E_CAST: cast(r, e); break;
    case SL_E_AGG: aggregate(r, e); break;
    default: predicate(r, e); break;
    }
}

/* ---- the statement ------------------------------------------------------------------------- */

static void clauses(rd *r, const sl_select *sel)
{
    bool filter = sel->having && !sel->aggregate; /* HAVING of a plain query filters rows */
    if (sel->where || filter) {
        put(r, " WHERE ");
        if (sel->where)
            expr(r, sel->where);
        if (sel->where && filter)
            put(r, " AND ");
        if (filter)
            expr(r, sel->having);
    }
    size_t k = 0;
    for (size_t i = 0; i < sel->n_group; i++) {
        if (sl_expr_kind_of(sel->group[i]) == SL_E_LIT)
            continue; /* a constant groups nothing (and SQLite would read 1 as a position) */
        put(r, k++ ? ", " : " GROUP BY ");
        expr(r, sel->group[i]);
    }
    if (k == 0 && sel->n_group)
        put(r, " GROUP BY NULL");
    if (sel->having && sel->aggregate)
        put(r, " HAVING "), expr(r, sel->having);
}

static void order_limit(rd *r, const sl_select *sel)
{
    size_t k = 0;
    for (size_t i = 0; i < sel->n_order; i++) {
        const sl_selorder *o = &sel->order[i];
        if (sl_expr_kind_of(o->expr) == SL_E_LIT)
            continue;
        put(r, k++ ? ", " : " ORDER BY ");
        expr(r, o->expr);
        put(r, o->desc ? " DESC" : " ASC");
        if (o->nulls) /* the default (ASC first, DESC last) is SQLite's too */
            put(r, o->nulls == 1 ? " NULLS FIRST" : " NULLS LAST");
    }
    if (sel->has_limit)
        sl_buf_printf(r->b, " LIMIT %lld OFFSET %lld",
                      (long long)(sel->limit > INT64_MAX ? INT64_MAX : sel->limit),
                      (long long)(sel->offset > INT64_MAX ? INT64_MAX : sel->offset));
}

sl_code sl__sq_render(sq_query *q, sl_buf *sql, sl_err *err)
{
    const sl_select *sel = q->sel;
    rd r = {q, sql, err, SL_OK};
    if (!sel->bound)
        return sl_fail(err, SL_INTERNAL, "query rendered before it was checked");
    put(&r, sel->distinct ? "SELECT DISTINCT " : "SELECT ");
    for (size_t i = 0; i < sel->n_out; i++) {
        if (i)
            put(&r, ", ");
        expr(&r, sel->out[i].expr);
    }
    if (sel->def)
        put(&r, " FROM " SL_SQ_VIEW);
    clauses(&r, sel);
    order_limit(&r, sel);
    if (r.rc == SL_OK && sql->oom)
        r.rc = sl_fail(err, SL_NOMEM, "out of memory rendering a query");
    return r.rc;
}
