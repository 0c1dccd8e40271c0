/*
 * parse.c - recursive-descent parser of Doris load expressions, `columns` lists and the
 * `_http_stream` INSERT ... SELECT statement; plus the canonical printer (expr stage).
 *
 *   text --lex.c--> tokens --here--> sl_expr tree (arena) --eval.c bind--> typed tree
 *
 * Precedence, lowest first (MySQL's): OR ||, AND &&, NOT, comparison / IS / IN / BETWEEN /
 * LIKE, + -, * / % DIV MOD, unary - + !, primary. Parser recursion and tree height are both
 * capped (SL__EXPR_MAX_PARSE_DEPTH, SL__EXPR_MAX_HEIGHT), so no input can exhaust the stack here or in any later walker.
 * Function names and argument counts are checked here, so an unknown function is reported
 * before any data is read.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "internal.h"

typedef struct parser {
    sl_slice s;
    size_t pos;       /* offset after the current token */
    size_t prev_end;  /* offset after the last consumed token */
    sl__tok t;        /* current token */
    sl_arena_t *a;
    sl_err *err;
    sl_code rc;       /* first failure */
    unsigned depth;   /* recursion depth */
    unsigned flags;   /* SL_EXPR_PARSE_* */
} parser;

static sl_expr *parse_expr(parser *p);
static sl_expr *parse_add(parser *p);
static sl_expr *parse_primary(parser *p);

static void next(parser *p)
{
    p->prev_end = p->pos;
    sl__expr_lex(p->s, &p->pos, &p->t);
}

/* Where offset off is, for messages: "position N" (1-based byte) for load headers, "line L,
 * column C" inside a statement (as the statement parser says it). */
static const char *where_at(const parser *p, size_t off, char buf[48])
{
    if (!(p->flags & SL_EXPR_PARSE_SQL)) {
        snprintf(buf, 48, "position %zu", off + 1);
        return buf;
    }
    size_t line = 1, start = 0;
    for (size_t i = 0; i < off && i < p->s.n; i++)
        if (p->s.p[i] == '\n')
            line++, start = i + 1;
    snprintf(buf, 48, "line %zu, column %zu", line, off - start + 1);
    return buf;
}

static sl_expr *syntax(parser *p)
{
    char at[48];
    if (p->rc != SL_OK)
        return NULL;
    if (p->t.kind == TK_EOF)
        p->rc = sl_fail(p->err, SL_INVALID, "syntax error at %s near end of input",
                        where_at(p, p->t.pos, at));
    else
        p->rc = sl_fail(p->err, SL_INVALID, "syntax error at %s near '%.*s'",
                        where_at(p, p->t.pos, at), (int)(p->t.text.n > 40 ? 40 : p->t.text.n),
                        p->t.text.p);
    return NULL;
}

static sl_expr *nomem(parser *p)
{
    if (p->rc == SL_OK)
        p->rc = sl_fail(p->err, SL_NOMEM, "out of memory parsing an expression");
    return NULL;
}

static bool is_kw(const parser *p, const char *kw)
{
    return p->t.kind == TK_IDENT && sl_slice_ieq(p->t.text, kw);
}

static bool is_op(const parser *p, uint8_t op)
{
    return p->t.kind == TK_OP && p->t.op == op;
}

static bool accept_kw(parser *p, const char *kw)
{
    if (!is_kw(p, kw))
        return false;
    next(p);
    return true;
}

static bool accept_op(parser *p, uint8_t op)
{
    if (!is_op(p, op))
        return false;
    next(p);
    return true;
}

static bool expect_op(parser *p, uint8_t op)
{
    if (accept_op(p, op))
        return true;
    syntax(p);
    return false;
}

static bool expect_kw(parser *p, const char *kw)
{
    if (accept_kw(p, kw))
        return true;
    syntax(p);
    return false;
}

static sl_expr *node(parser *p, uint8_t kind, size_t pos, size_t n_args)
{
    sl_expr *e = sl_arena_alloc(p->a, sizeof *e);
    if (e == NULL)
        return nomem(p);
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->pos = (uint32_t)(pos + 1 > UINT32_MAX ? UINT32_MAX : pos + 1);
    e->height = 1;
    e->col = -1;
    e->n_args = n_args;
    if (n_args) {
        e->args = sl_arena_alloc(p->a, n_args * sizeof *e->args);
        if (e->args == NULL)
            return nomem(p);
    }
    return e;
}

/* Fill in the height of e from its (complete) children; fail past the cap. */
static sl_expr *seal(parser *p, sl_expr *e)
{
    unsigned h = 0;
    if (e == NULL)
        return NULL;
    for (size_t i = 0; i < e->n_args; i++)
        if (e->args[i]->height > h)
            h = e->args[i]->height;
    if (h + 1 > SL__EXPR_MAX_HEIGHT) {
        char at[48];
        if (p->rc == SL_OK)
            p->rc = sl_fail(p->err, SL_INVALID, "expression too deeply nested at %s",
                            where_at(p, e->pos - 1, at));
        return NULL;
    }
    e->height = (uint16_t)(h + 1);
    return e;
}

static sl_expr *mk(parser *p, uint8_t kind, uint8_t op, size_t pos, sl_expr *x, sl_expr *y)
{
    if (x == NULL || p->rc != SL_OK)
        return NULL;
    sl_expr *e = node(p, kind, pos, y ? 2 : 1);
    if (e == NULL)
        return NULL;
    e->op = op;
    e->args[0] = x;
    if (y)
        e->args[1] = y;
    return seal(p, e);
}

/* Growable list of children while parsing (IN lists, function arguments, CASE arms). */
typedef struct list {
    sl_expr **v;
    size_t n, cap;
} list;

static bool push(parser *p, list *l, sl_expr *e)
{
    if (e == NULL)
        return false;
    sl_expr **v = sl_arena_grow(p->a, l->v, l->n, &l->cap, sizeof *v);
    if (v == NULL)
        return nomem(p), false;
    l->v = v;
    l->v[l->n++] = e;
    return true;
}

static sl_expr *from_list(parser *p, uint8_t kind, size_t pos, const list *l)
{
    sl_expr *e = node(p, kind, pos, 0);
    if (e == NULL)
        return NULL;
    e->args = l->v;
    e->n_args = l->n;
    return seal(p, e);
}

/* ---- literals ---- */

static sl_expr *lit_int(parser *p)
{
    sl_expr *e = node(p, EK_LIT, p->t.pos, 0);
    sl_i128 w = 0;
    if (e == NULL)
        return NULL;
    if (sl__text_to_i128(p->t.text, &w) && w >= INT64_MIN && w <= INT64_MAX) {
        e->type = sl__ty(SL_BIGINT);
        e->lit.i = (int64_t)w;
    } else if (p->t.text.n <= 38 && sl__text_to_i128(p->t.text, &w)) {
        e->type = sl__ty(SL_LARGEINT);
        e->lit.w = w;
    } else if (sl__text_to_double(p->t.text, &e->lit.d) && isfinite(e->lit.d)) {
        e->type = sl__ty(SL_DOUBLE);
    } else {
        return syntax(p);
    }
    next(p);
    return e;
}

static sl_expr *lit_dec(parser *p)
{
    sl_expr *e = node(p, EK_LIT, p->t.pos, 0);
    sl_slice s = p->t.text;
    size_t i = 0, ip = 0, sc = 0;
    if (e == NULL)
        return NULL;
    while (i < s.n && s.p[i] == '0')
        i++;
    for (; i < s.n && s.p[i] != '.'; i++)
        ip++;
    sc = i < s.n ? s.n - i - 1 : 0;
    if (ip + sc <= SL__DEC_MAX_PREC && p->t.kind == TK_DEC) {
        e->type = sl__ty(SL_DECIMAL);
        e->type.precision = (uint8_t)(ip + sc > 0 ? ip + sc : 1);
        e->type.scale = (uint8_t)sc;
        if (!sl__text_to_decimal(s, e->type.precision, e->type.scale, &e->lit.w))
            return syntax(p);
    } else {
        e->type = sl__ty(SL_DOUBLE);
        if (!sl__text_to_double(s, &e->lit.d) || !isfinite(e->lit.d))
            return syntax(p);
    }
    next(p);
    return e;
}

static sl_expr *lit_str(parser *p)
{
    sl_expr *e = node(p, EK_LIT, p->t.pos, 0);
    if (e == NULL)
        return NULL;
    sl_slice v = sl__expr_unescape(p->a, p->t.text, p->t.text.p[-1]);
    if (v.p == NULL)
        return nomem(p);
    e->type = sl__ty(SL_STRING);
    e->lit.s.p = v.p;
    e->lit.s.n = v.n;
    next(p);
    return e;
}

static sl_expr *lit_word(parser *p)
{
    sl_expr *e = node(p, EK_LIT, p->t.pos, 0);
    if (e == NULL)
        return NULL;
    if (is_kw(p, "null")) {
        e->lit_null = true;
        e->type.id = SL__NULLTYPE;
    } else {
        e->type = sl__ty(SL_BOOLEAN);
        e->lit.i = is_kw(p, "true");
    }
    next(p);
    return e;
}

/* ---- types (CAST) ---- */

static const struct {
    const char *name;
    uint8_t id;
} type_names[] = {
    {"tinyint", SL_TINYINT}, {"smallint", SL_SMALLINT}, {"int", SL_INT}, {"integer", SL_INT},
    {"bigint", SL_BIGINT}, {"largeint", SL_LARGEINT}, {"float", SL_FLOAT},
    {"double", SL_DOUBLE}, {"decimal", SL_DECIMAL}, {"decimalv2", SL_DECIMAL},
    {"decimalv3", SL_DECIMAL}, {"date", SL_DATE}, {"datev2", SL_DATE},
    {"datetime", SL_DATETIME}, {"datetimev2", SL_DATETIME}, {"boolean", SL_BOOLEAN},
    {"bool", SL_BOOLEAN}, {"char", SL_CHAR}, {"varchar", SL_VARCHAR}, {"string", SL_STRING},
    {"text", SL_STRING}, {"json", SL_JSON}, {"jsonb", SL_JSON}, {"signed", SL_BIGINT},
    {"unsigned", SL_LARGEINT},
};

static bool type_arg(parser *p, unsigned long *v)
{
    if (p->t.kind != TK_INT || p->t.text.n > 9) {
        syntax(p);
        return false;
    }
    *v = strtoul(p->t.text.p, NULL, 10);
    next(p);
    return true;
}

/* Type modifiers: (n) for CHAR/VARCHAR/DATETIME, (p[,s]) for DECIMAL. */
static bool parse_type_args(parser *p, sl_type *t)
{
    unsigned long a = 0, b = 0;
    size_t at = p->t.pos;
    if (!accept_op(p, OP_LP))
        return true;
    if (!type_arg(p, &a))
        return false;
    if (t->id == SL_DECIMAL && accept_op(p, OP_COMMA) && !type_arg(p, &b))
        return false;
    if (!expect_op(p, OP_RP))
        return false;
    if ((t->id == SL_DECIMAL && (a < 1 || a > 38 || b > a)) ||
        (t->id == SL_DATETIME && a > 6) || ((t->id == SL_CHAR || t->id == SL_VARCHAR) && !a) ||
        (t->id != SL_DECIMAL && t->id != SL_DATETIME && t->id != SL_CHAR &&
         t->id != SL_VARCHAR)) {
        char w[48];
        p->rc = sl_fail(p->err, SL_INVALID, "invalid type arguments at %s", where_at(p, at, w));
        return false;
    }
    if (t->id == SL_DECIMAL)
        t->precision = (uint8_t)a, t->scale = (uint8_t)b;
    else if (t->id == SL_DATETIME)
        t->precision = (uint8_t)a;
    else
        t->len = (uint32_t)a;
    return true;
}

static bool parse_type_rec(parser *p, sl_type *t, unsigned depth);

static bool type_fail(parser *p, sl_code code, const char *msg)
{
    if (p->rc == SL_OK)
        p->rc = sl_fail(p->err, code, "%s", msg);
    return false;
}

/* The element types of ARRAY<T>, MAP<K, V> or STRUCT<name: T, ...> (at most 16 fields here,
 * names bare words) after the keyword, elements nullable; interned as CREATE TABLE's are
 * (types.h). */
static bool parse_complex_type(parser *p, uint8_t id, sl_type *out, unsigned depth)
{
    sl_type ts[16];
    uint8_t nl[16];
    sl_slice nm[16];
    size_t n = 0;
    if (depth > SL_TYPE_MAX_DEPTH)
        return type_fail(p, SL_INVALID, "complex types nest too deep");
    if (!expect_op(p, OP_LT))
        return false;
    do {
        if (n == SL_COUNT(ts) || (id == SL_STRUCT && p->t.kind != TK_IDENT))
            return syntax(p), false;
        if (id == SL_STRUCT) {
            nm[n] = p->t.text;
            next(p);
            if (!expect_op(p, OP_COLON))
                return false;
        }
        if (!parse_type_rec(p, &ts[n], depth + 1))
            return false;
        if (ts[n].id == SL_VARIANT)
            return type_fail(p, SL_INVALID, "VARIANT is not supported inside a complex type");
        for (size_t j = 0; id == SL_STRUCT && j < n; j++)
            if (nm[j].n == nm[n].n && strncasecmp(nm[j].p, nm[n].p, nm[n].n) == 0)
                return type_fail(p, SL_INVALID, "duplicate field name in struct");
        nl[n++] = 1;
    } while ((id == SL_STRUCT || (id == SL_MAP && n < 2)) && accept_op(p, OP_COMMA));
    if (n != (id == SL_MAP ? 2u : id == SL_ARRAY ? 1u : n) || !expect_op(p, OP_GT))
        return syntax(p), false;
    sl_ctype c = {(uint32_t)n, ts, nl, id == SL_STRUCT ? nm : NULL};
    if (!sl_type_intern(id, &c, out))
        return type_fail(p, SL_NOMEM, "cannot keep the type (too many distinct complex types)");
    return true;
}

static bool parse_type(parser *p, sl_type *t)
{
    return parse_type_rec(p, t, 1);
}

static bool parse_type_rec(parser *p, sl_type *t, unsigned depth)
{
    size_t k;
    static const struct {
        const char *name;
        uint8_t id;
    } complex[] = {{"array", SL_ARRAY}, {"map", SL_MAP}, {"struct", SL_STRUCT},
                   {"variant", SL_VARIANT}};
    for (k = 0; k < SL_COUNT(complex); k++) {
        if (is_kw(p, complex[k].name)) {
            next(p);
            *t = sl__ty(complex[k].id);
            return complex[k].id == SL_VARIANT ||
                   parse_complex_type(p, complex[k].id, t, depth);
        }
    }
    for (k = 0; k < SL_COUNT(type_names); k++)
        if (is_kw(p, type_names[k].name))
            break;
    if (k == SL_COUNT(type_names)) {
        syntax(p);
        return false;
    }
    *t = sl__ty(type_names[k].id);
    if (depth > 1) /* an element: spelled as in DDL, so that the type equals a column's */
        t->v1 = sl_slice_ieq(p->t.text, "decimalv2") ? 2
                : sl_slice_ieq(p->t.text, "decimal") || sl_slice_ieq(p->t.text, "date") ||
                          sl_slice_ieq(p->t.text, "datetime")
                    ? 1
                    : 0;
    if (t->id == SL_DATETIME)
        t->precision = 0;
    if (t->id == SL_DECIMAL)
        t->precision = 9;
    if (t->id == SL_CHAR)
        t->len = 1;
    if (t->id == SL_VARCHAR)
        t->len = 65533;
    next(p);
    if ((k == SL_COUNT(type_names) - 1 || k == SL_COUNT(type_names) - 2) &&
        !accept_kw(p, "integer"))
        accept_kw(p, "int");
    return parse_type_args(p, t);
}

void sl__expr_print_type(const sl_type *t, sl_buf *b)
{
    static const char *const names[] = {
        "tinyint", "smallint", "int", "bigint", "largeint", "float", "double", "decimal",
        "date", "datetime", "boolean", "char", "varchar", "string", "json"};
    if (t->id == SL_ARRAY || t->id == SL_MAP || t->id == SL_STRUCT || t->id == SL_VARIANT) {
        char tn[512];
        sl_buf_puts(b, sl_type_name(t, tn, sizeof tn));
        return;
    }
    if (t->id >= SL_COUNT(names)) {
        sl_buf_puts(b, "null");
        return;
    }
    sl_buf_puts(b, names[t->id]);
    if (t->id == SL_DECIMAL)
        sl_buf_printf(b, "(%u,%u)", t->precision, t->scale);
    else if (t->id == SL_DATETIME && t->precision)
        sl_buf_printf(b, "(%u)", t->precision);
    else if (t->id == SL_CHAR || t->id == SL_VARCHAR)
        sl_buf_printf(b, "(%u)", (unsigned)t->len);
}

/* ---- primaries ---- */

static sl_expr *parse_case(parser *p)
{
    size_t pos = p->t.pos;
    list l = {0};
    bool has_base = false, has_else = false;
    next(p);
    if (!is_kw(p, "when")) {
        if (!push(p, &l, parse_expr(p)))
            return NULL;
        has_base = true;
    }
    if (!is_kw(p, "when"))
        return syntax(p);
    while (accept_kw(p, "when")) {
        if (!push(p, &l, parse_expr(p)) || !expect_kw(p, "then") || !push(p, &l, parse_expr(p)))
            return NULL;
    }
    if (accept_kw(p, "else")) {
        if (!push(p, &l, parse_expr(p)))
            return NULL;
        has_else = true;
    }
    if (!expect_kw(p, "end"))
        return NULL;
    sl_expr *e = from_list(p, EK_CASE, pos, &l);
    if (e)
        e->has_base = has_base, e->has_else = has_else;
    return e;
}

static sl_expr *parse_cast(parser *p)
{
    size_t pos = p->t.pos;
    sl_type t;
    next(p);
    if (!expect_op(p, OP_LP))
        return NULL;
    sl_expr *x = parse_expr(p);
    if (x == NULL || !expect_kw(p, "as") || !parse_type(p, &t) || !expect_op(p, OP_RP))
        return NULL;
    sl_expr *e = mk(p, EK_CAST, 0, pos, x, NULL);
    if (e)
        e->type = t;
    return e;
}

static const char *const units[] = {"YEAR", "QUARTER", "MONTH",  "WEEK",        "DAY",
                                    "HOUR", "MINUTE",  "SECOND", "MICROSECOND", "MILLISECOND"};

static sl_expr *parse_interval(parser *p)
{
    size_t pos = p->t.pos;
    next(p);
    sl_expr *x = parse_add(p);
    if (x == NULL)
        return NULL;
    for (size_t k = 0; k < SL_COUNT(units); k++) {
        if (is_kw(p, units[k])) {
            next(p);
            sl_expr *e = mk(p, EK_INTERVAL, 0, pos, x, NULL);
            if (e)
                e->name = sl_slice_of(units[k]);
            return e;
        }
    }
    return syntax(p);
}

static sl_expr *parse_agg(parser *p, const sl__aggdef *ad, sl_slice name, size_t pos);
static sl_expr *parse_literal_list(parser *p);

/* A bare time unit (YEAR, MINUTE, ...) as the string literal of its name, or NULL (nothing
 * read) when the current token is not one: timestampdiff(MINUTE, a, b) is written so. */
static sl_expr *lit_unit(parser *p)
{
    if (p->t.kind != TK_IDENT)
        return NULL;
    for (size_t k = 0; k < SL_COUNT(units); k++) {
        if (!is_kw(p, units[k]))
            continue;
        sl_expr *e = node(p, EK_LIT, p->t.pos, 0);
        if (e == NULL)
            return NULL;
        e->type = sl__ty(SL_STRING);
        e->lit.s.p = units[k];
        e->lit.s.n = strlen(units[k]);
        next(p);
        return e;
    }
    return NULL;
}

/* EXTRACT(unit FROM x), after "extract(": the call unit(x) (year(x), minute(x), ...). */
static sl_expr *parse_extract(parser *p, size_t pos)
{
    static const char *const fns[] = {"year", "quarter", "month", "week", "day", "hour",
                                      "minute", "second", "microsecond"};
    size_t k = 0;
    while (k < SL_COUNT(fns) && !is_kw(p, units[k]))
        k++;
    if (k == SL_COUNT(fns))
        return syntax(p);
    next(p);
    if (!expect_kw(p, "from"))
        return NULL;
    list l = {0};
    if (!push(p, &l, parse_expr(p)) || !expect_op(p, OP_RP))
        return NULL;
    sl_expr *e = from_list(p, EK_CALL, pos, &l);
    if (e) {
        e->fn = sl__expr_func_find(sl_slice_of(fns[k]));
        e->name = sl_slice_of(fns[k]);
    }
    return e;
}

static sl_expr *parse_call(parser *p, sl_slice name, size_t pos, bool parens)
{
    list l = {0};
    const sl__func *fn = sl__expr_func_find(name);
    const sl__aggdef *ad = NULL;
    if (fn == NULL && parens && sl_slice_ieq(name, "extract"))
        return parse_extract(p, pos);
    if (fn && parens && (sl_slice_ieq(name, "timestampdiff") || sl_slice_ieq(name, "timestampadd"))) {
        sl_expr *u = lit_unit(p);
        if (u && (!push(p, &l, u) || !expect_op(p, OP_COMMA)))
            return NULL;
    }
    if (fn == NULL && parens && (p->flags & SL_EXPR_PARSE_AGG) &&
        (ad = sl__expr_agg_find(name)) != NULL)
        return parse_agg(p, ad, name, pos);
    if (fn == NULL) {
        int n = (int)(name.n > 64 ? 64 : name.n);
        p->rc = (p->flags & SL_EXPR_PARSE_SQL)
                    ? sl_fail(p->err, SL_INVALID, "Can not found function '%.*s'", n, name.p)
                    : sl_fail(p->err, SL_INVALID, "unknown function %.*s", n, name.p);
        return NULL;
    }
    if (parens && !accept_op(p, OP_RP)) {
        do {
            if (!push(p, &l, parse_expr(p)))
                return NULL;
        } while (accept_op(p, OP_COMMA));
        if (!expect_op(p, OP_RP))
            return NULL;
    }
    if (l.n < fn->min_args || (fn->max_args != SL__VARIADIC && l.n > fn->max_args)) {
        p->rc = (p->flags & SL_EXPR_PARSE_SQL)
                    ? sl_fail(p->err, SL_INVALID, "Can not found function '%s' which has %zu arity",
                              fn->name, l.n)
                    : sl_fail(p->err, SL_INVALID,
                              "wrong number of arguments to function %s at position %zu: %zu",
                              fn->name, pos + 1, l.n);
        return NULL;
    }
    sl_expr *e = from_list(p, EK_CALL, pos, &l);
    if (e) {
        e->fn = fn;
        e->name = sl_arena_slice(p->a, name);
        if (e->name.p == NULL)
            return nomem(p);
    }
    return e;
}

static bool is_reserved_in(const parser *p, sl_slice w)
{
    static const char *const kw[] = {"and", "or", "not", "in", "is", "between", "like", "case",
                                     "when", "then", "else", "end", "div", "from",
                                     "where", "select", "as", "interval", "null"};
    /* statements: SELECT's clause words and MySQL's reserved operators end an expression */
    static const char *const sql[] = {"group", "order", "by", "having", "limit", "offset",
                                      "asc", "desc", "union", "join", "on", "using", "into",
                                      "distinct", "all", "separator", "regexp", "rlike", "xor", "window", "straight_join", "except", "intersect",
                                      "minus", "for", "lock", "exists"};
    for (size_t k = 0; k < SL_COUNT(kw); k++)
        if (sl_slice_ieq(w, kw[k]))
            return true;
    for (size_t k = 0; p && (p->flags & SL_EXPR_PARSE_SQL) && k < SL_COUNT(sql); k++)
        if (sl_slice_ieq(w, sql[k]))
            return true;
    return false;
}

static bool is_reserved(sl_slice w)
{
    return is_reserved_in(NULL, w);
}

static sl_slice name_value(parser *p, sl_slice raw, bool quoted)
{
    return quoted ? sl__expr_unescape(p->a, raw, '`') : sl_arena_slice(p->a, raw);
}

/* A column name (possibly qualified: loads drop the qualifier, statements keep up to two,
 * db.t.col) or a function call. */
static sl_expr *parse_name(parser *p)
{
    size_t pos = p->t.pos, n = 1;
    bool quoted = p->t.kind == TK_QIDENT, sql = p->flags & SL_EXPR_PARSE_SQL;
    sl_slice name = p->t.text, parts[3] = {{NULL, 0}, {NULL, 0}, {NULL, 0}};
    bool pq[3] = {false, false, false};
    if (!quoted && is_reserved_in(p, name))
        return syntax(p);
    next(p);
    if (!quoted && is_op(p, OP_LP)) {
        next(p);
        return parse_call(p, name, pos, true);
    }
    if (!quoted && (sl_slice_ieq(name, "current_timestamp") || sl_slice_ieq(name, "current_date")))
        return parse_call(p, name, pos, false); /* SQL spells these without parentheses */
    parts[0] = name, pq[0] = quoted;
    while (accept_op(p, OP_DOT)) {
        if (p->t.kind != TK_IDENT && p->t.kind != TK_QIDENT)
            return syntax(p);
        if (sql && n == 3)
            return syntax(p);
        quoted = p->t.kind == TK_QIDENT;
        name = p->t.text;
        if (n < 3)
            parts[n] = name, pq[n] = quoted;
        n++;
        next(p);
    }
    sl_expr *e = node(p, EK_COL, pos, 0);
    if (e == NULL)
        return NULL;
    e->name = name_value(p, name, quoted);
    if (sql && n >= 2) {
        e->qual = name_value(p, parts[n - 2], pq[n - 2]);
        if (n == 3)
            e->qual_db = name_value(p, parts[0], pq[0]);
        if (e->qual.p == NULL || (n == 3 && e->qual_db.p == NULL))
            return nomem(p);
    }
    return e->name.p ? e : nomem(p);
}

/* agg '(' [* | [DISTINCT|ALL] expr {, expr} [SEPARATOR 'sep']] ')' */
static sl_expr *parse_agg(parser *p, const sl__aggdef *ad, sl_slice name, size_t pos)
{
    list l = {0};
    bool distinct = false;
    if (ad->id == SL_QA_COUNT && accept_op(p, OP_STAR)) {
        if (!expect_op(p, OP_RP))
            return NULL;
    } else {
        if (accept_kw(p, "distinct"))
            distinct = true;
        else
            accept_kw(p, "all");
        do {
            if (!push(p, &l, parse_expr(p)))
                return NULL;
        } while (accept_op(p, OP_COMMA));
        if (is_kw(p, "order")) {
            p->rc = sl_fail(p->err, SL_INVALID, "ORDER BY inside %s is not supported (position "
                            "%zu)", ad->canon, p->t.pos + 1);
            return NULL;
        }
        if (ad->id == SL_QA_GROUP_CONCAT && l.n == 1 && accept_kw(p, "separator") &&
            !push(p, &l, parse_primary(p)))
            return NULL;
        if (!expect_op(p, OP_RP))
            return NULL;
        if (l.n < ad->min_args || l.n > ad->max_args) {
            p->rc = sl_fail(p->err, SL_INVALID, "Can not found function '%s' which has %zu arity",
                            ad->canon, l.n);
            return NULL;
        }
    }
    sl_expr *e = from_list(p, EK_AGG, pos, &l);
    if (e) {
        e->op = ad->id;
        e->distinct = distinct;
        e->name = sl_arena_slice(p->a, name);
        if (e->name.p == NULL)
            return nomem(p);
    }
    return e;
}

/* [a, b, ...] as array(a, b, ...) and {k: v, ...} as map(k, v, ...), Doris's literals. */
static sl_expr *parse_literal_list(parser *p)
{
    size_t pos = p->t.pos;
    bool is_map = is_op(p, OP_LC);
    uint8_t close = is_map ? OP_RC : OP_RB;
    list l = {0};
    next(p);
    if (!accept_op(p, close)) {
        do {
            if (!push(p, &l, parse_expr(p)))
                return NULL;
            if (is_map && (!expect_op(p, OP_COLON) || !push(p, &l, parse_expr(p))))
                return NULL;
        } while (accept_op(p, OP_COMMA));
        if (!expect_op(p, close))
            return NULL;
    }
    sl_slice name = is_map ? SL_LIT("map") : SL_LIT("array");
    sl_expr *e = from_list(p, EK_CALL, pos, &l);
    if (e) {
        e->fn = sl__expr_func_find(name);
        e->name = name;
    }
    return e;
}

static sl_expr *parse_primary(parser *p)
{
    switch (p->t.kind) {
    case TK_INT: return lit_int(p);
    case TK_DEC:
    case TK_FLOAT: return lit_dec(p);
    case TK_STR: return lit_str(p);
    case TK_QIDENT: return parse_name(p);
    case TK_IDENT:
        if (is_kw(p, "null") || is_kw(p, "true") || is_kw(p, "false"))
            return lit_word(p);
        if (is_kw(p, "case"))
            return parse_case(p);
        if (is_kw(p, "cast"))
            return parse_cast(p);
        if (is_kw(p, "interval"))
            return parse_interval(p);
        return parse_name(p);
    case TK_OP:
        if (accept_op(p, OP_LP)) {
            sl_expr *e = parse_expr(p);
            return e && expect_op(p, OP_RP) ? e : NULL;
        }
        if (is_op(p, OP_LB) || is_op(p, OP_LC))
            return parse_literal_list(p);
        return syntax(p);
    default: return syntax(p);
    }
}

/* A primary followed by element accesses: x[i] (arrays 1-based, maps by key, VARIANT by key
 * or index), as element_at(x, i). */
static sl_expr *parse_subscripted(parser *p)
{
    sl_expr *e = parse_primary(p);
    while (e && is_op(p, OP_LB)) {
        size_t pos = p->t.pos;
        list l = {0};
        next(p);
        if (!push(p, &l, e) || !push(p, &l, parse_expr(p)) || !expect_op(p, OP_RB))
            return NULL;
        sl_slice name = SL_LIT("element_at");
        sl_expr *c = from_list(p, EK_CALL, pos, &l);
        if (c == NULL)
            return NULL;
        c->fn = sl__expr_func_find(name);
        c->name = name;
        e = c;
    }
    return e;
}

/* ---- operators ---- */

/* Guard every recursive descent: the parser's own stack depth is bounded like the tree. */
static bool enter(parser *p)
{
    if (++p->depth <= SL__EXPR_MAX_PARSE_DEPTH)
        return true;
    char at[48];
    if (p->rc == SL_OK)
        p->rc = sl_fail(p->err, SL_INVALID, "expression too deeply nested at %s",
                        where_at(p, p->t.pos, at));
    return false;
}

/* Unary operators recurse once per operator; only those steps count towards the depth cap. */
static sl_expr *parse_unary(parser *p)
{
    size_t pos = p->t.pos;
    sl_expr *e = NULL;
    uint8_t kind;
    if (is_op(p, OP_MINUS) || is_op(p, OP_BANG))
        kind = is_op(p, OP_MINUS) ? EK_NEG : EK_NOT;
    else if (is_op(p, OP_PLUS))
        kind = EK_LIT; /* unary plus: no node */
    else
        return parse_subscripted(p);
    if (!enter(p))
        return NULL;
    next(p);
    e = parse_unary(p);
    if (kind != EK_LIT)
        e = mk(p, kind, 0, pos, e, NULL);
    p->depth--;
    return e && p->rc == SL_OK ? e : NULL;
}

static int mul_op(const parser *p)
{
    if (is_op(p, OP_STAR)) return B_MUL;
    if (is_op(p, OP_SLASH)) return B_DIV;
    if (is_op(p, OP_PCT) || is_kw(p, "mod")) return B_MOD;
    if (is_kw(p, "div")) return B_IDIV;
    return -1;
}

static sl_expr *parse_mul(parser *p)
{
    sl_expr *e = parse_unary(p);
    int op;
    while (e && (op = mul_op(p)) >= 0) {
        size_t pos = p->t.pos;
        next(p);
        sl_expr *r = parse_unary(p);
        e = r ? mk(p, EK_BIN, (uint8_t)op, pos, e, r) : NULL;
    }
    return e;
}

static sl_expr *parse_add(parser *p)
{
    sl_expr *e = parse_mul(p);
    while (e && (is_op(p, OP_PLUS) || is_op(p, OP_MINUS))) {
        size_t pos = p->t.pos;
        uint8_t op = is_op(p, OP_PLUS) ? B_ADD : B_SUB;
        next(p);
        sl_expr *r = parse_mul(p);
        e = r ? mk(p, EK_BIN, op, pos, e, r) : NULL;
    }
    return e;
}

static int cmp_op(const parser *p)
{
    static const uint8_t map[][2] = {{OP_EQ, B_EQ}, {OP_NSEQ, B_NSEQ}, {OP_NE, B_NE},
                                     {OP_LT, B_LT}, {OP_LE, B_LE},     {OP_GT, B_GT},
                                     {OP_GE, B_GE}};
    for (size_t k = 0; k < SL_COUNT(map); k++)
        if (is_op(p, map[k][0]))
            return map[k][1];
    return -1;
}

static sl_expr *parse_in(parser *p, sl_expr *x, size_t pos, bool neg)
{
    list l = {0};
    if (!push(p, &l, x) || !expect_op(p, OP_LP))
        return NULL;
    do {
        if (!push(p, &l, parse_expr(p)))
            return NULL;
    } while (accept_op(p, OP_COMMA));
    if (!expect_op(p, OP_RP))
        return NULL;
    sl_expr *e = from_list(p, EK_IN, pos, &l);
    if (e)
        e->neg = neg;
    return e;
}

/* One postfix predicate on x: IS [NOT] NULL, [NOT] IN / BETWEEN / LIKE; NULL when none. */
static sl_expr *parse_postfix(parser *p, sl_expr *x, bool *matched)
{
    size_t pos = p->t.pos;
    bool neg = false;
    sl_expr *e = NULL;
    *matched = true;
    if (accept_kw(p, "is")) {
        neg = accept_kw(p, "not");
        if (is_kw(p, "true") || is_kw(p, "false")) {
            uint8_t truth = is_kw(p, "true");
            next(p);
            e = mk(p, EK_ISBOOL, truth, pos, x, NULL);
        } else {
            if (!expect_kw(p, "null"))
                return NULL;
            e = mk(p, EK_ISNULL, 0, pos, x, NULL);
        }
    } else {
        if (is_kw(p, "not")) {
            size_t save = p->pos, save_end = p->prev_end;
            sl__tok t = p->t;
            next(p);
            if (!is_kw(p, "in") && !is_kw(p, "between") && !is_kw(p, "like") &&
                !is_kw(p, "regexp") && !is_kw(p, "rlike")) {
                p->pos = save, p->prev_end = save_end, p->t = t, *matched = false;
                return x;
            }
            neg = true;
        }
        if (accept_kw(p, "in"))
            return parse_in(p, x, pos, neg);
        if (is_kw(p, "like") || is_kw(p, "regexp") || is_kw(p, "rlike")) {
            uint8_t re = !is_kw(p, "like");
            next(p);
            sl_expr *pat = parse_add(p);
            e = pat ? mk(p, EK_LIKE, re, pos, x, pat) : NULL;
        } else if (accept_kw(p, "between")) {
            sl_expr *lo = parse_add(p), *hi;
            if (lo == NULL || !expect_kw(p, "and") || (hi = parse_add(p)) == NULL)
                return NULL;
            e = node(p, EK_BETWEEN, pos, 3);
            if (e)
                e->args[0] = x, e->args[1] = lo, e->args[2] = hi, e = seal(p, e);
        } else {
            *matched = false;
            return x;
        }
    }
    if (e)
        e->neg = neg;
    return e;
}

static sl_expr *parse_pred(parser *p)
{
    sl_expr *e = parse_add(p);
    bool matched = true;
    while (e && matched) {
        int op = cmp_op(p);
        if (op >= 0) {
            size_t pos = p->t.pos;
            next(p);
            sl_expr *r = parse_add(p);
            e = r ? mk(p, EK_BIN, (uint8_t)op, pos, e, r) : NULL;
        } else {
            e = parse_postfix(p, e, &matched);
        }
    }
    return e;
}

static sl_expr *parse_not(parser *p)
{
    size_t pos = p->t.pos;
    sl_expr *e;
    if (!is_kw(p, "not"))
        return parse_pred(p);
    if (!enter(p))
        return NULL;
    next(p);
    e = mk(p, EK_NOT, 0, pos, parse_not(p), NULL);
    p->depth--;
    return e && p->rc == SL_OK ? e : NULL;
}

static sl_expr *parse_and(parser *p)
{
    sl_expr *e = parse_not(p);
    while (e && (is_kw(p, "and") || is_op(p, OP_AND2))) {
        size_t pos = p->t.pos;
        next(p);
        sl_expr *r = parse_not(p);
        e = r ? mk(p, EK_AND, 0, pos, e, r) : NULL;
    }
    return e;
}

static sl_expr *parse_expr(parser *p)
{
    sl_expr *e;
    if (!enter(p))
        return NULL;
    e = parse_and(p);
    while (e && (is_kw(p, "or") || is_op(p, OP_OR2))) {
        size_t pos = p->t.pos;
        next(p);
        sl_expr *r = parse_and(p);
        e = r ? mk(p, EK_OR, 0, pos, e, r) : NULL;
    }
    p->depth--;
    return p->rc == SL_OK ? e : NULL;
}

/* ---- entry points ---- */

static void start(parser *p, sl_slice text, sl_arena_t *a, sl_err *err)
{
    memset(p, 0, sizeof *p);
    p->s = text.p ? text : (sl_slice){"", 0};
    p->a = a;
    p->err = err;
    next(p);
}

static sl_code finish(parser *p)
{
    if (p->rc == SL_OK && p->t.kind != TK_EOF)
        syntax(p);
    return p->rc != SL_OK ? p->rc : sl_fail(p->err, SL_INTERNAL, "expression parser failed");
}

sl_code sl_expr_parse_part(sl_slice text, size_t from, unsigned flags, sl_arena_t *a,
                           sl_expr **out, size_t *end, size_t *next_tok, sl_err *err)
{
    parser p;
    memset(&p, 0, sizeof p);
    p.s = text.p ? text : (sl_slice){"", 0};
    p.pos = p.prev_end = from < p.s.n ? from : p.s.n;
    p.a = a;
    p.err = err;
    p.flags = flags;
    next(&p);
    p.prev_end = from;
    *out = parse_expr(&p);
    if (*out && p.rc == SL_OK && p.t.kind != TK_ERR) {
        *end = p.prev_end;
        *next_tok = p.t.kind == TK_EOF ? p.s.n : p.t.pos;
        return SL_OK;
    }
    *out = NULL;
    if (p.rc == SL_OK)
        syntax(&p);
    return p.rc;
}

sl_code sl_expr_parse(sl_slice text, sl_arena_t *a, sl_expr **out, sl_err *err)
{
    parser p;
    start(&p, text, a, err);
    *out = parse_expr(&p);
    if (*out && p.t.kind == TK_EOF)
        return SL_OK;
    *out = NULL;
    return finish(&p);
}

static bool parse_name_tok(parser *p, sl_slice *name)
{
    if (p->t.kind == TK_QIDENT)
        *name = sl__expr_unescape(p->a, p->t.text, '`');
    else if (p->t.kind == TK_IDENT && !is_reserved(p->t.text))
        *name = sl_arena_slice(p->a, p->t.text);
    else
        return syntax(p), false;
    if (name->p == NULL)
        return nomem(p), false;
    next(p);
    return true;
}

sl_code sl_expr_parse_columns(sl_slice text, sl_arena_t *a, sl_expr_columns *out, sl_err *err)
{
    parser p;
    size_t cap = 0;
    start(&p, text, a, err);
    out->items = NULL;
    out->n_items = 0;
    if (p.t.kind == TK_EOF)
        return SL_OK;
    do {
        if (out->n_items == cap) {
            cap = cap ? cap * 2 : 16;
            sl_expr_colitem *v = sl_arena_alloc(a, cap * sizeof *v);
            if (v == NULL)
                return nomem(&p), finish(&p);
            if (out->n_items)
                memcpy(v, out->items, out->n_items * sizeof *v);
            out->items = v;
        }
        sl_expr_colitem *it = &out->items[out->n_items++];
        it->expr = NULL;
        if (!parse_name_tok(&p, &it->name))
            return finish(&p);
        if (accept_op(&p, OP_EQ) && (it->expr = parse_expr(&p)) == NULL)
            return finish(&p);
    } while (accept_op(&p, OP_COMMA));
    return p.t.kind == TK_EOF ? SL_OK : finish(&p);
}

/* Growable array of T in the arena (sl_arena_grow): false on out of memory. */
static bool grow(parser *p, void **v, size_t n, size_t *cap, size_t size)
{
    void *nv = sl_arena_grow(p->a, *v, n, cap, size);
    if (nv == NULL)
        return nomem(p), false;
    *v = nv;
    return true;
}

static bool parse_string_tok(parser *p, sl_slice *out)
{
    if (p->t.kind != TK_STR)
        return syntax(p), false;
    *out = sl__expr_unescape(p->a, p->t.text, p->t.text.p[-1]);
    if (out->p == NULL)
        return nomem(p), false;
    next(p);
    return true;
}

/* http_stream("k" = "v", ...), the table function after FROM. */
static bool parse_tvf(parser *p, sl_expr_insert *out)
{
    size_t cap = 0;
    if (!expect_kw(p, "http_stream") || !expect_op(p, OP_LP))
        return false;
    if (accept_op(p, OP_RP))
        return true;
    do {
        if (!grow(p, (void **)&out->props, out->n_props, &cap, sizeof *out->props))
            return false;
        sl_property *kv = &out->props[out->n_props++];
        if (!parse_string_tok(p, &kv->key) || !expect_op(p, OP_EQ) ||
            !parse_string_tok(p, &kv->value))
            return false;
    } while (accept_op(p, OP_COMMA));
    return expect_op(p, OP_RP);
}

static bool parse_target(parser *p, sl_expr_insert *out)
{
    size_t cap = 0;
    if (!expect_kw(p, "insert") || !expect_kw(p, "into") || !parse_name_tok(p, &out->table))
        return false;
    if (accept_op(p, OP_DOT)) {
        out->db = out->table;
        if (!parse_name_tok(p, &out->table))
            return false;
    }
    if (accept_kw(p, "with")) {
        if (!expect_kw(p, "label") || !parse_name_tok(p, &out->label))
            return false;
    }
    if (accept_op(p, OP_LP)) {
        do {
            if (!grow(p, (void **)&out->cols, out->n_cols, &cap, sizeof *out->cols) ||
                !parse_name_tok(p, &out->cols[out->n_cols]))
                return false;
            out->n_cols++;
        } while (accept_op(p, OP_COMMA));
        if (!expect_op(p, OP_RP))
            return false;
    }
    return true;
}

static bool parse_items(parser *p, sl_expr_insert *out)
{
    size_t cap = 0, acap = 0;
    if (accept_op(p, OP_STAR)) {
        out->star = true;
        return true;
    }
    do {
        if (!grow(p, (void **)&out->items, out->n_items, &cap, sizeof *out->items) ||
            !grow(p, (void **)&out->aliases, out->n_items, &acap, sizeof *out->aliases))
            return false;
        out->aliases[out->n_items] = (sl_slice){"", 0};
        if ((out->items[out->n_items] = parse_expr(p)) == NULL)
            return false;
        if ((accept_kw(p, "as") || (p->t.kind != TK_OP && !is_kw(p, "from"))) &&
            !parse_name_tok(p, &out->aliases[out->n_items]))
            return false;
        out->n_items++;
    } while (accept_op(p, OP_COMMA));
    return true;
}

sl_code sl_expr_parse_insert(sl_slice text, sl_arena_t *a, sl_expr_insert *out, sl_err *err)
{
    parser p;
    memset(out, 0, sizeof *out);
    out->db = out->label = (sl_slice){"", 0};
    start(&p, text, a, err);
    if (!parse_target(&p, out) || !expect_kw(&p, "select") || !parse_items(&p, out) ||
        !expect_kw(&p, "from") || !parse_tvf(&p, out))
        return finish(&p);
    if (p.t.kind == TK_IDENT && !is_kw(&p, "where"))
        next(&p); /* a table alias for the TVF */
    if (accept_kw(&p, "where") && (out->where = parse_expr(&p)) == NULL)
        return finish(&p);
    accept_op(&p, OP_SEMI);
    return p.t.kind == TK_EOF ? SL_OK : finish(&p);
}

/* ---- printer ---- */

static const char *const binop_text[] = {"+", "-", "*", "/", "%", "DIV", "=",
                                         "<=>", "!=", "<", "<=", ">", ">="};

static void print_string(sl_buf *b, const char *s, size_t n)
{
    sl_buf_putc(b, '\'');
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        switch (c) {
        case '\'': sl_buf_puts(b, "\\'"); break;
        case '\\':
            /* \% and \_ survive unescaping as two bytes and print back the same way */
            if (i + 1 < n && (s[i + 1] == '%' || s[i + 1] == '_'))
                sl_buf_putc(b, '\\');
            else
                sl_buf_puts(b, "\\\\");
            break;
        case '\n': sl_buf_puts(b, "\\n"); break;
        case '\t': sl_buf_puts(b, "\\t"); break;
        case '\r': sl_buf_puts(b, "\\r"); break;
        case '\0': sl_buf_puts(b, "\\0"); break;
        case '\b': sl_buf_puts(b, "\\b"); break;
        case '\032': sl_buf_puts(b, "\\Z"); break;
        default: sl_buf_putc(b, c);
        }
    }
    sl_buf_putc(b, '\'');
}

static void print_lit(const sl_expr *e, sl_buf *b)
{
    char tmp[80];
    if (e->lit_null) {
        sl_buf_puts(b, "NULL");
        return;
    }
    switch (sl__cls_of(e->type.id)) {
    case C_INT:
        if (e->type.id == SL_BOOLEAN)
            sl_buf_puts(b, e->lit.i ? "TRUE" : "FALSE");
        else
            sl_buf_printf(b, "%lld", (long long)e->lit.i);
        break;
    case C_LARGE: sl__fmt_i128(e->lit.w, tmp), sl_buf_puts(b, tmp); break;
    case C_DEC:
        sl__fmt_decimal(e->lit.w, e->type.scale, tmp);
        sl_buf_puts(b, tmp[0] == '-' ? tmp + 1 : tmp); /* a literal is never negative */
        if (e->type.scale == 0)
            sl_buf_putc(b, '.');
        break;
    case C_FLOAT: sl_buf_printf(b, "%.17e", e->lit.d); break;
    case C_TEXT: print_string(b, e->lit.s.p, e->lit.s.n); break;
    default: /* typed literals only come from the binder's casts */
        sl_buf_puts(b, "NULL");
    }
}

static void print_args(const sl_expr *e, size_t from, sl_buf *b)
{
    for (size_t i = from; i < e->n_args; i++) {
        if (i > from)
            sl_buf_puts(b, ", ");
        sl_expr_print(e->args[i], b);
    }
}

static void print_case(const sl_expr *e, sl_buf *b)
{
    size_t i = 0, end = e->n_args - (e->has_else ? 1 : 0);
    sl_buf_puts(b, "CASE");
    if (e->has_base) {
        sl_buf_putc(b, ' ');
        sl_expr_print(e->args[i++], b);
    }
    for (; i + 1 < end; i += 2) {
        sl_buf_puts(b, " WHEN ");
        sl_expr_print(e->args[i], b);
        sl_buf_puts(b, " THEN ");
        sl_expr_print(e->args[i + 1], b);
    }
    if (e->has_else) {
        sl_buf_puts(b, " ELSE ");
        sl_expr_print(e->args[end], b);
    }
    sl_buf_puts(b, " END");
}

static void print_op(const sl_expr *e, const char *op, sl_buf *b)
{
    sl_buf_putc(b, '(');
    sl_expr_print(e->args[0], b);
    sl_buf_printf(b, " %s ", op);
    sl_expr_print(e->args[1], b);
    sl_buf_putc(b, ')');
}

static void print_predicate(const sl_expr *e, sl_buf *b)
{
    const char *no = e->neg ? "NOT " : "";
    sl_buf_putc(b, '(');
    sl_expr_print(e->args[0], b);
    if (e->kind == EK_ISNULL) {
        sl_buf_printf(b, " IS %sNULL)", no);
    } else if (e->kind == EK_ISBOOL) {
        sl_buf_printf(b, " IS %s%s)", no, e->op ? "TRUE" : "FALSE");
    } else if (e->kind == EK_IN) {
        sl_buf_printf(b, " %sIN (", no);
        print_args(e, 1, b);
        sl_buf_puts(b, "))");
    } else if (e->kind == EK_LIKE) {
        sl_buf_printf(b, " %s%s ", no, e->op ? "REGEXP" : "LIKE");
        sl_expr_print(e->args[1], b);
        sl_buf_putc(b, ')');
    } else {
        sl_buf_printf(b, " %sBETWEEN ", no);
        sl_expr_print(e->args[1], b);
        sl_buf_puts(b, " AND ");
        sl_expr_print(e->args[2], b);
        sl_buf_putc(b, ')');
    }
}

void sl_expr_print(const sl_expr *e, sl_buf *b)
{
    switch (e->kind) {
    case EK_LIT: print_lit(e, b); break;
    case EK_COL:
        if (e->qual_db.n)
            sl_buf_ident(b, e->qual_db), sl_buf_putc(b, '.');
        if (e->qual.n)
            sl_buf_ident(b, e->qual), sl_buf_putc(b, '.');
        sl_buf_ident(b, e->name);
        break;
    case EK_AGG:
        sl_buf_puts(b, sl__expr_agg_name(e->op));
        sl_buf_puts(b, e->distinct ? "(DISTINCT " : "(");
        if (e->n_args == 0)
            sl_buf_putc(b, '*');
        else
            sl_expr_print(e->args[0], b);
        if (e->n_args > 1) {
            sl_buf_puts(b, " SEPARATOR ");
            sl_expr_print(e->args[1], b);
        }
        sl_buf_putc(b, ')');
        break;
    case EK_NEG: sl_buf_puts(b, "(-"), sl_expr_print(e->args[0], b), sl_buf_putc(b, ')'); break;
    case EK_NOT: sl_buf_puts(b, "(NOT "), sl_expr_print(e->args[0], b), sl_buf_putc(b, ')'); break;
    case EK_BIN: print_op(e, binop_text[e->op], b); break;
    case EK_AND: print_op(e, "AND", b); break;
    case EK_OR: print_op(e, "OR", b); break;
    case EK_CASE: print_case(e, b); break;
    case EK_CAST:
        if (e->implicit) {
            sl_expr_print(e->args[0], b);
            break;
        }
        sl_buf_puts(b, "CAST(");
        sl_expr_print(e->args[0], b);
        sl_buf_puts(b, " AS ");
        sl__expr_print_type(&e->type, b);
        sl_buf_putc(b, ')');
        break;
    case EK_CALL:
        sl_buf_append(b, e->name.p, e->name.n);
        sl_buf_putc(b, '(');
        print_args(e, 0, b);
        sl_buf_putc(b, ')');
        break;
    case EK_INTERVAL:
        sl_buf_puts(b, "INTERVAL ");
        sl_expr_print(e->args[0], b);
        sl_buf_printf(b, " %.*s", (int)e->name.n, e->name.p);
        break;
    default: print_predicate(e, b);
    }
}

/* ---- equality (tests and the fuzz round trip) ---- */

static bool lit_equal(const sl_expr *a, const sl_expr *b)
{
    if (a->lit_null || b->lit_null)
        return a->lit_null == b->lit_null;
    if (a->type.id != b->type.id || a->type.scale != b->type.scale ||
        a->type.precision != b->type.precision)
        return false;
    switch (sl__cls_of(a->type.id)) {
    case C_LARGE:
    case C_DEC: return a->lit.w == b->lit.w;
    case C_FLOAT: return memcmp(&a->lit.d, &b->lit.d, sizeof(double)) == 0;
    case C_TEXT: return a->lit.s.n == b->lit.s.n && memcmp(a->lit.s.p, b->lit.s.p, a->lit.s.n) == 0;
    default: return a->lit.i == b->lit.i;
    }
}

bool sl__expr_equal(const sl_expr *a, const sl_expr *b)
{
    if (a->kind != b->kind || a->op != b->op || a->neg != b->neg || a->n_args != b->n_args ||
        a->has_base != b->has_base || a->has_else != b->has_else || a->distinct != b->distinct)
        return false;
    if (a->kind == EK_LIT && !lit_equal(a, b))
        return false;
    if ((a->kind == EK_COL || a->kind == EK_CALL || a->kind == EK_INTERVAL) &&
        (a->name.n != b->name.n || strncasecmp(a->name.p, b->name.p, a->name.n) != 0))
        return false;
    if (a->kind == EK_COL && memcmp(a->name.p, b->name.p, a->name.n) != 0)
        return false;
    if (a->kind == EK_CAST && memcmp(&a->type, &b->type, sizeof a->type) != 0)
        return false;
    for (size_t i = 0; i < a->n_args; i++)
        if (!sl__expr_equal(a->args[i], b->args[i]))
            return false;
    return true;
}
