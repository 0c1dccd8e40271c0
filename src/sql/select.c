/*
 * select.c - read-only SELECT parsed into sluice's own tree (sql stage).
 *
 *   tokens --refuse: joins, subqueries, set operations, INTO, stray operators
 *          --clauses: SELECT [DISTINCT] items FROM t WHERE GROUP BY HAVING ORDER BY LIMIT
 *   each expression: sl_expr_parse_part (src/expr/) at the token's offset in the statement text,
 *                    the clause parser resuming at the token where the expression stopped
 *
 * The statement's tokens give the clause structure; expressions are parsed by the expression
 * engine's own parser, so loads and queries share one grammar, one function table and one set
 * of types. Checking names and types is sl_select_bind's job (select_bind.c); rendering SQL is
 * each store engine's. Nothing here recurses: the expression parser caps its own depth.
 *
 * Refused with a clear message: a second table, JOIN, a subquery (anywhere: a nested SELECT
 * could read another table), UNION/INTERSECT/EXCEPT, SELECT ... INTO, table functions,
 * PARTITION / TABLET clauses.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <string.h>
#include <strings.h>

#include "../core/arena.h"
#include "internal.h"
#include "sql.h"

/* Words that end an item or the table reference: they cannot be an implicit alias. */
static const char *const clause_words[] = {
    "FROM",  "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "UNION", "INTO",
    "JOIN",  "LEFT",  "RIGHT", "INNER",  "CROSS", "FULL",  "NATURAL", "ON",   "USING",
    "FOR",   "LOCK",  "WINDOW", "EXCEPT", "INTERSECT", "MINUS", "STRAIGHT_JOIN", "ASC",
    "DESC",  "NULLS", "PARTITION", "PARTITIONS", "TABLET", "TEMPORARY", "LATERAL", "USE",
    "FORCE", "IGNORE", "SEPARATOR", "DISTINCT", "ALL", "SELECT", "AS", "BY", "AND", "OR",
    "NOT", "IS", "IN", "LIKE", "BETWEEN", "REGEXP", "RLIKE", "DIV", "MOD", "XOR",
};

static bool in_list(const sl__parser *P, const sl__tok *t, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (sl__sql_is_kw(P, t, list[i]))
            return true;
    return false;
}

static bool can_alias(const sl__parser *P, const sl__tok *t)
{
    if (t->kind == SL__TK_QIDENT || t->kind == SL__TK_STRING)
        return true;
    return t->kind == SL__TK_WORD && !in_list(P, t, clause_words, SL_COUNT(clause_words));
}

/* Fail on the words and operators refused anywhere in a SELECT. */
static sl_code refuse(sl__parser *P, const sl__tok *t, bool first)
{
    static const char *const joins[] = {"JOIN", "STRAIGHT_JOIN"};
    static const char *const setops[] = {"UNION", "INTERSECT", "EXCEPT", "MINUS"};
    static const char *const bad_ops[] = {"?", "@", ":=", ";"}; /* [ ] { } : are element
                                                                  access and literals */
    if (in_list(P, t, joins, SL_COUNT(joins)))
        return sl_fail(P->err, SL_INVALID_SQL, "joins are not supported (line %u, column %u)",
                       t->line, t->col);
    if (in_list(P, t, setops, SL_COUNT(setops)))
        return sl_fail(P->err, SL_INVALID_SQL, "UNION, INTERSECT and EXCEPT are not supported "
                       "(line %u, column %u)", t->line, t->col);
    if (!first && sl__sql_is_kw(P, t, "SELECT"))
        return sl_fail(P->err, SL_INVALID_SQL, "subqueries are not supported (line %u, column %u)",
                       t->line, t->col);
    if (sl__sql_is_kw(P, t, "INTO"))
        return sl_fail(P->err, SL_INVALID_SQL, "SELECT ... INTO is not supported");
    for (size_t i = 0; i < SL_COUNT(bad_ops); i++)
        if (sl__sql_is_op(P, t, bad_ops[i]))
            return sl__sql_syntax(P, t);
    return SL_OK;
}

/* Every token once: what is refused anywhere, and parentheses balanced and nested at most
 * SL__SQL_MAX_DEPTH deep (counted, never recursed into). */
static sl_code refuse_all(sl__parser *P)
{
    size_t depth = 0;
    for (size_t i = P->pos; i < P->n_toks; i++) {
        const sl__tok *t = &P->toks[i];
        sl_code rc = refuse(P, t, i == P->pos);
        if (rc != SL_OK)
            return rc;
        if (sl__sql_is_op(P, t, "(") && ++depth > SL__SQL_MAX_DEPTH)
            return sl_fail(P->err, SL_INVALID_SQL, "expression nested deeper than %d levels at "
                           "line %u, column %u", SL__SQL_MAX_DEPTH, t->line, t->col);
        if (sl__sql_is_op(P, t, ")") && depth-- == 0)
            return sl__sql_syntax(P, t);
        if (t->kind == SL__TK_EOF && depth > 0)
            return sl__sql_syntax(P, t);
    }
    return SL_OK;
}

/* ---- expressions ------------------------------------------------------------------------- */

/* Parse the expression at the current token with the expression engine; the clause parser
 * resumes at the token where it stopped. *text (optional) receives the expression as
 * written, copied into the arena. */
static sl_code expr_at(sl__parser *P, sl_expr **out, sl_slice *text)
{
    const sl__tok *t = sl__sql_peek(P, 0);
    size_t start = t->off, end = 0, next = 0;
    if (t->kind == SL__TK_EOF)
        return sl__sql_syntax(P, t);
    sl_code rc = sl_expr_parse_part((sl_slice){P->text, P->n}, start,
                                    SL_EXPR_PARSE_AGG | SL_EXPR_PARSE_SQL, P->a, out, &end, &next,
                                    P->err);
    if (rc == SL_INVALID)
        return P->err->code = SL_INVALID_SQL;
    if (rc != SL_OK)
        return rc;
    while (P->pos + 1 < P->n_toks && P->toks[P->pos].off < next)
        P->pos++;
    t = sl__sql_peek(P, 0);
    if (t->kind != SL__TK_EOF && t->off != next)
        return sl__sql_syntax(P, t); /* the two tokenizers disagree (e.g. a comment) */
    if (text) {
        char *c = sl_arena_memdup(P->a, P->text + start, end - start);
        if (c == NULL)
            return sl_fail(P->err, SL_NOMEM, "cannot copy select item");
        *text = (sl_slice){c, end - start};
    }
    return SL_OK;
}

/* ---- the SELECT list ---------------------------------------------------------------------- */

/* `*`, `t.*` or `db.t.*` at the current token: consumed into it, true. */
static sl_code star_item(sl__parser *P, sl_selitem *it, bool *matched)
{
    const sl__tok *t0 = sl__sql_peek(P, 0);
    size_t parts = 0;
    *matched = false;
    if (sl__sql_is_op(P, t0, "*")) {
        sl__sql_next(P);
        *matched = true;
        it->text = SL_LIT("*");
        return SL_OK;
    }
    while (sl__sql_is_name(sl__sql_peek(P, 2 * parts)) &&
           sl__sql_is_op(P, sl__sql_peek(P, 2 * parts + 1), ".") && parts < 2)
        parts++;
    if (parts == 0 || !sl__sql_is_op(P, sl__sql_peek(P, 2 * parts), "*"))
        return SL_OK;
    const sl__tok *star = sl__sql_peek(P, 2 * parts);
    sl_code rc = SL_OK;
    if (parts == 2)
        rc = sl__sql_ident(P, &it->qual_db), sl__sql_next(P);
    if (rc == SL_OK)
        rc = sl__sql_ident(P, &it->qual);
    if (rc != SL_OK)
        return rc;
    sl__sql_next(P); /* . */
    sl__sql_next(P); /* * */
    char *c = sl_arena_memdup(P->a, P->text + t0->off, star->off + 1 - t0->off);
    if (c == NULL)
        return sl_fail(P->err, SL_NOMEM, "cannot copy select item");
    it->text = (sl_slice){c, star->off + 1 - t0->off};
    *matched = true;
    return SL_OK;
}

static sl_code item(sl__parser *P, sl_selitem *it)
{
    bool star;
    memset(it, 0, sizeof *it);
    sl_code rc = star_item(P, it, &star);
    if (rc != SL_OK || star)
        return rc;
    if ((rc = expr_at(P, &it->expr, &it->text)) != SL_OK)
        return rc;
    bool as = sl__sql_accept_kw(P, "AS");
    const sl__tok *t = sl__sql_peek(P, 0);
    if (as && !sl__sql_is_name(t) && t->kind != SL__TK_STRING)
        return sl__sql_syntax(P, t);
    if (as || can_alias(P, t)) {
        sl__sql_next(P);
        return sl__sql_value(P, t, &it->alias);
    }
    return SL_OK;
}

static sl_code items(sl__parser *P, sl_select *sel)
{
    size_t cap = 0;
    do {
        sl_selitem it;
        sl_code rc = item(P, &it);
        if (rc == SL_OK)
            rc = SL__SQL_PUSH(P, sel->items, sel->n_items, cap, it);
        if (rc != SL_OK)
            return rc;
    } while (sl__sql_accept_op(P, ","));
    return SL_OK;
}

/* ---- FROM --------------------------------------------------------------------------------- */

/* FROM [db.]t [[AS] alias]; FROM DUAL is no table. */
static sl_code from_clause(sl__parser *P, sl_select *sel)
{
    static const char *const not_here[] = {"PARTITION", "PARTITIONS", "TABLET", "TEMPORARY",
                                           "LATERAL", "USE", "FORCE", "IGNORE", "FOR", "LOCK"};
    const sl__tok *t = sl__sql_peek(P, 0);
    if (sl__sql_is_op(P, t, "("))
        return sl_fail(P->err, SL_INVALID_SQL, "subqueries in FROM are not supported");
    sl_code rc = sl__sql_qname(P, &sel->db, &sel->table);
    if (rc != SL_OK)
        return rc;
    t = sl__sql_peek(P, 0);
    if (sl__sql_is_op(P, t, "("))
        return sl_fail(P->err, SL_INVALID_SQL, "table functions are not supported");
    if (sel->db.p == NULL && sl_slice_ieq(sel->table, "DUAL") && t->kind != SL__TK_QIDENT)
        sel->table = SL_SLICE_NULL;
    bool as = sl__sql_accept_kw(P, "AS");
    t = sl__sql_peek(P, 0);
    if (as || (sl__sql_is_name(t) && can_alias(P, t))) {
        if ((rc = sl__sql_ident(P, &sel->alias)) != SL_OK)
            return rc;
        t = sl__sql_peek(P, 0);
    }
    if (sl__sql_is_op(P, t, ","))
        return sl_fail(P->err, SL_INVALID_SQL, "only one table is supported in FROM (line %u, "
                       "column %u)", t->line, t->col);
    if (in_list(P, t, not_here, SL_COUNT(not_here)))
        return sl_fail(P->err, SL_INVALID_SQL, "%.*s is not supported in FROM (line %u, column "
                       "%u)", (int)t->len, P->text + t->off, t->line, t->col);
    return SL_OK;
}

/* ---- GROUP BY, ORDER BY, LIMIT ------------------------------------------------------------ */

static sl_code group_by(sl__parser *P, sl_select *sel)
{
    size_t cap = 0;
    sl_code rc = sl__sql_expect_kw(P, "BY");
    do {
        sl_expr *e = NULL;
        if (rc == SL_OK)
            rc = expr_at(P, &e, NULL);
        if (rc == SL_OK)
            rc = SL__SQL_PUSH(P, sel->group, sel->n_group, cap, e);
    } while (rc == SL_OK && sl__sql_accept_op(P, ","));
    return rc;
}

static sl_code order_by(sl__parser *P, sl_select *sel)
{
    size_t cap = 0;
    sl_code rc = sl__sql_expect_kw(P, "BY");
    do {
        sl_selorder o = {NULL, false, 0};
        if (rc == SL_OK)
            rc = expr_at(P, &o.expr, NULL);
        if (rc != SL_OK)
            break;
        if (sl__sql_accept_kw(P, "DESC"))
            o.desc = true;
        else
            sl__sql_accept_kw(P, "ASC");
        if (sl__sql_accept_kw(P, "NULLS")) {
            if (sl__sql_accept_kw(P, "FIRST"))
                o.nulls = 1;
            else if ((rc = sl__sql_expect_kw(P, "LAST")) == SL_OK)
                o.nulls = 2;
        }
        if (rc == SL_OK)
            rc = SL__SQL_PUSH(P, sel->order, sel->n_order, cap, o);
    } while (rc == SL_OK && sl__sql_accept_op(P, ","));
    return rc;
}

/* A LIMIT / OFFSET count: a non-negative integer literal. */
static sl_code count_tok(sl__parser *P, uint64_t *out)
{
    const sl__tok *t = sl__sql_peek(P, 0);
    uint64_t v = 0;
    const char *p = P->text + t->off;
    bool ok = t->kind == SL__TK_NUMBER && t->len > 0 && t->len <= 19;
    for (size_t i = 0; ok && i < t->len; i++) {
        ok = p[i] >= '0' && p[i] <= '9';
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    if (!ok)
        return sl__sql_syntax(P, t);
    sl__sql_next(P);
    *out = v;
    return SL_OK;
}

/* LIMIT n [OFFSET m] | LIMIT m, n */
static sl_code limit(sl__parser *P, sl_select *sel)
{
    uint64_t a;
    sl_code rc = count_tok(P, &a);
    if (rc != SL_OK)
        return rc;
    sel->has_limit = true;
    sel->limit = a;
    if (sl__sql_accept_op(P, ",")) {
        sel->offset = a;
        return count_tok(P, &sel->limit);
    }
    if (sl__sql_accept_kw(P, "OFFSET"))
        return count_tok(P, &sel->offset);
    return SL_OK;
}

static sl_code clauses(sl__parser *P, sl_select *sel)
{
    sl_code rc = SL_OK;
    if (sl__sql_accept_kw(P, "FROM"))
        rc = from_clause(P, sel);
    if (rc == SL_OK && sl__sql_accept_kw(P, "WHERE"))
        rc = expr_at(P, &sel->where, NULL);
    if (rc == SL_OK && sl__sql_accept_kw(P, "GROUP"))
        rc = group_by(P, sel);
    if (rc == SL_OK && sl__sql_accept_kw(P, "HAVING"))
        rc = expr_at(P, &sel->having, NULL);
    if (rc == SL_OK && sl__sql_accept_kw(P, "ORDER"))
        rc = order_by(P, sel);
    if (rc == SL_OK && sl__sql_accept_kw(P, "LIMIT"))
        rc = limit(P, sel);
    if (rc == SL_OK && sl__sql_peek(P, 0)->kind != SL__TK_EOF)
        rc = sl__sql_syntax(P, sl__sql_peek(P, 0));
    return rc;
}

sl_code sl__sql_select(sl__parser *P, sl_stmt *out)
{
    sl_select *sel = &out->select;
    memset(sel, 0, sizeof *sel);
    sl_code rc = refuse_all(P);
    if (rc == SL_OK)
        rc = sl__sql_expect_kw(P, "SELECT");
    if (rc != SL_OK)
        return rc;
    if (sl__sql_accept_kw(P, "DISTINCT"))
        sel->distinct = true;
    else
        sl__sql_accept_kw(P, "ALL");
    if ((rc = items(P, sel)) == SL_OK)
        rc = clauses(P, sel);
    if (rc != SL_OK)
        return rc;
    out->db = sel->db;
    out->name = sel->table;
    return SL_OK;
}
