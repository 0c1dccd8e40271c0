/*
 * select.c - read-only SELECT: checked, described and rewritten for SQLite (sql stage).
 *
 *   tokens --scan--> shape (projection range, FROM table, alias)
 *          --from_clause--> one table, no join, no subquery
 *          --items--> sl_select.items (column / star / count / expression, with labels)
 *          --rewrite--> sl_select.sql: SQLite text over SL_SQL_TABLE_PLACEHOLDER
 *
 * The rewrite goes token by token: identifiers become "double-quoted", Doris strings ('x' or
 * "x") become 'single-quoted', the FROM table becomes the placeholder (its alias is kept) and a
 * `t.` qualifier naming the table becomes the placeholder or the alias. Keywords, numbers and
 * operators pass through, except where SQLite spells MySQL's operator differently:
 *   && -> AND, || -> OR (MySQL's default meaning), ! -> NOT, <=> -> IS, MOD -> %, DIV -> /,
 *   RLIKE -> REGEXP, and a / b -> a * 1.0 / b (Doris divides integers exactly; SQLite would
 *   truncate), CAST(x AS <doris type>) -> CAST(x AS INTEGER|REAL|TEXT).
 * Functions pass through by name; one SQLite lacks fails when the store prepares the text.
 *
 * Refused with a clear message: a second table, JOIN, a subquery (anywhere: a nested SELECT
 * could read another table), UNION/INTERSECT/EXCEPT, SELECT ... INTO, table functions.
 * Nesting is counted, never recursed into, and capped at SL__SQL_MAX_DEPTH.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <string.h>
#include <strings.h>

#include "../core/arena.h"
#include "../core/buf.h"
#include "internal.h"
#include "sql.h"

#define NONE SIZE_MAX

/* Where the parts of the statement are, as token indexes. */
typedef struct shape {
    size_t select;           /* the SELECT keyword */
    size_t proj, proj_end;   /* projection tokens [proj, proj_end) */
    size_t from;             /* the FROM keyword, or NONE */
    size_t tbl, tbl_end;     /* the table reference [db .] t: tokens [tbl, tbl_end) */
    size_t alias;            /* the alias token, or NONE */
    size_t end;              /* the EOF token */
    sl_slice db, table, alias_name;
    size_t *item_end;        /* per item: the ',' or end-of-projection token after it */
    bool *item_named;        /* per item: rewrite appends AS "<label>" before item_end */
} shape;

/* Words that keep their meaning as SQL keywords (everything else unquoted is an identifier
 * or, before '(', a function name). */
static const char *const keywords[] = {
    "SELECT", "FROM",    "WHERE",   "GROUP",  "BY",     "HAVING",  "ORDER",   "ASC",
    "DESC",   "LIMIT",   "OFFSET",  "AS",     "AND",    "OR",      "NOT",     "NULL",
    "IS",     "IN",      "BETWEEN", "LIKE",   "DISTINCT", "ALL",   "CASE",    "WHEN",
    "THEN",   "ELSE",    "END",     "TRUE",   "FALSE",  "ESCAPE",  "REGEXP",  "RLIKE",
    "DIV",    "MOD",     "XOR",     "EXISTS", "INTERVAL", "NULLS", "CURRENT_TIMESTAMP",
    "CURRENT_DATE", "CURRENT_TIME",
};

/* Words after which a projection item ends (they cannot be an alias of the table either). */
static const char *const clause_words[] = {"WHERE", "GROUP", "HAVING", "ORDER", "LIMIT"};

static bool in_list(const sl__parser *P, const sl__tok *t, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (sl__sql_is_kw(P, t, list[i]))
            return true;
    return false;
}

static bool is_keyword(const sl__parser *P, const sl__tok *t)
{
    return in_list(P, t, keywords, SL_COUNT(keywords));
}

static bool is_clause(const sl__parser *P, const sl__tok *t)
{
    return in_list(P, t, clause_words, SL_COUNT(clause_words));
}

/* Fail on the words and operators refused anywhere in a SELECT. */
static sl_code refuse(sl__parser *P, const sl__tok *t)
{
    static const char *const joins[] = {"JOIN", "STRAIGHT_JOIN"};
    static const char *const setops[] = {"UNION", "INTERSECT", "EXCEPT", "MINUS"};
    static const char *const bad_ops[] = {"?", "@", ":", ":=", "[", "]", "{", "}", ";"};
    if (in_list(P, t, joins, SL_COUNT(joins)))
        return sl_fail(P->err, SL_INVALID_SQL, "joins are not supported (line %u, column %u)",
                       t->line, t->col);
    if (in_list(P, t, setops, SL_COUNT(setops)))
        return sl_fail(P->err, SL_INVALID_SQL, "UNION, INTERSECT and EXCEPT are not supported "
                       "(line %u, column %u)", t->line, t->col);
    if (sl__sql_is_kw(P, t, "SELECT"))
        return sl_fail(P->err, SL_INVALID_SQL, "subqueries are not supported (line %u, column %u)",
                       t->line, t->col);
    if (sl__sql_is_kw(P, t, "INTO"))
        return sl_fail(P->err, SL_INVALID_SQL, "SELECT ... INTO is not supported");
    for (size_t i = 0; i < SL_COUNT(bad_ops); i++)
        if (sl__sql_is_op(P, t, bad_ops[i]))
            return sl__sql_syntax(P, t);
    return SL_OK;
}

/* Walk every token once: balance parentheses (capped), refuse what is not supported, find the
 * projection and the FROM keyword at depth 0. */
static sl_code scan(sl__parser *P, shape *S)
{
    size_t depth = 0;
    S->select = P->pos;
    S->from = NONE;
    S->alias = NONE;
    sl__sql_next(P);
    if (!sl__sql_accept_kw(P, "DISTINCT"))
        sl__sql_accept_kw(P, "ALL");
    S->proj = P->pos;
    S->proj_end = NONE;
    for (size_t i = P->pos; i < P->n_toks; i++) {
        const sl__tok *t = &P->toks[i];
        sl_code rc = refuse(P, t);
        if (rc != SL_OK)
            return rc;
        if (t->kind == SL__TK_EOF) {
            if (depth > 0)
                return sl__sql_syntax(P, t);
            S->end = i;
        } else if (sl__sql_is_op(P, t, "(")) {
            if (++depth > SL__SQL_MAX_DEPTH)
                return sl_fail(P->err, SL_INVALID_SQL, "expression nested deeper than %d levels "
                               "at line %u, column %u", SL__SQL_MAX_DEPTH, t->line, t->col);
        } else if (sl__sql_is_op(P, t, ")")) {
            if (depth-- == 0)
                return sl__sql_syntax(P, t);
        } else if (depth == 0 && sl__sql_is_kw(P, t, "FROM")) {
            if (S->from != NONE)
                return sl__sql_syntax(P, t);
            S->from = i;
        }
        if (depth == 0 && S->proj_end == NONE &&
            (t->kind == SL__TK_EOF || i == S->from || is_clause(P, t)))
            S->proj_end = i;
    }
    if (S->proj_end == S->proj)
        return sl__sql_syntax(P, &P->toks[S->proj]);
    return SL_OK;
}

/* FROM [db.]t [[AS] alias], then the end or a clause keyword. */
static sl_code from_clause(sl__parser *P, shape *S)
{
    static const char *const not_alias[] = {"PARTITION", "PARTITIONS", "TABLET", "TEMPORARY",
                                            "LATERAL",   "FOR",        "LOCK",   "USE",
                                            "FORCE",     "IGNORE"};
    sl_code rc;
    P->pos = S->from + 1;
    const sl__tok *t = sl__sql_peek(P, 0);
    if (sl__sql_is_op(P, t, "("))
        return sl_fail(P->err, SL_INVALID_SQL, "subqueries in FROM are not supported");
    S->tbl = P->pos;
    if ((rc = sl__sql_qname(P, &S->db, &S->table)) != SL_OK)
        return rc;
    S->tbl_end = P->pos;
    t = sl__sql_peek(P, 0);
    if (sl__sql_is_op(P, t, "("))
        return sl_fail(P->err, SL_INVALID_SQL, "table functions are not supported");
    bool as = sl__sql_accept_kw(P, "AS");
    t = sl__sql_peek(P, 0);
    if (as || (sl__sql_is_name(t) && !is_keyword(P, t) && !is_clause(P, t) &&
               !in_list(P, t, not_alias, SL_COUNT(not_alias)))) {
        S->alias = P->pos;
        if ((rc = sl__sql_ident(P, &S->alias_name)) != SL_OK)
            return rc;
        t = sl__sql_peek(P, 0);
    }
    if (sl__sql_is_op(P, t, ","))
        return sl_fail(P->err, SL_INVALID_SQL, "only one table is supported in FROM (line %u, "
                       "column %u)", t->line, t->col);
    if (t->kind != SL__TK_EOF && !is_clause(P, t))
        return sl__sql_syntax(P, t);
    return SL_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Projection items
 */

/* True when t can end an expression, so that a name after it is an implicit alias. */
static bool ends_expr(const sl__parser *P, const sl__tok *t)
{
    static const char *const enders[] = {"END", "NULL", "TRUE", "FALSE", "CURRENT_TIMESTAMP",
                                         "CURRENT_DATE", "CURRENT_TIME"};
    if (t->kind == SL__TK_QIDENT || t->kind == SL__TK_STRING || t->kind == SL__TK_NUMBER)
        return true;
    if (t->kind == SL__TK_WORD)
        return !is_keyword(P, t) || in_list(P, t, enders, SL_COUNT(enders));
    return sl__sql_is_op(P, t, ")");
}

/* The arena copy of the text from token a to token b inclusive, as written. */
static sl_code text_of(sl__parser *P, size_t a, size_t b, sl_slice *out)
{
    size_t from = P->toks[a].off, to = P->toks[b].off + P->toks[b].len;
    char *s = sl_arena_memdup(P->a, P->text + from, to - from);
    if (s == NULL)
        return sl_fail(P->err, SL_NOMEM, "cannot copy select item");
    *out = (sl_slice){s, to - from};
    return SL_OK;
}

/* Classify the expression tokens [a, e) of one item. */
static sl_code classify(sl__parser *P, size_t a, size_t e, sl_selitem *it)
{
    const sl__tok *T = P->toks;
    size_t n = e - a;
    bool dotted = true; /* name (. name)* with at most three parts, last may be '*' */
    for (size_t i = 0; i < n && dotted; i++)
        dotted = i % 2 ? sl__sql_is_op(P, &T[a + i], ".")
                       : (sl__sql_is_name(&T[a + i]) && !is_keyword(P, &T[a + i])) ||
                             (i == n - 1 && sl__sql_is_op(P, &T[a + i], "*"));
    dotted = dotted && n % 2 == 1 && n <= 5;
    if (dotted && sl__sql_is_op(P, &T[e - 1], "*")) {
        it->kind = SL_SEL_STAR;
        return text_of(P, a, e - 1, &it->label);
    }
    if (dotted) {
        it->kind = SL_SEL_COLUMN;
        return sl__sql_value(P, &T[e - 1], &it->colref);
    }
    it->kind = SL_SEL_EXPR;
    if (n >= 3 && sl__sql_is_kw(P, &T[a], "COUNT") && sl__sql_is_op(P, &T[a + 1], "(") &&
        sl__sql_is_op(P, &T[e - 1], ")")) {
        size_t depth = 0, i = a + 1;
        for (; i < e; i++) {
            depth += sl__sql_is_op(P, &T[i], "(");
            depth -= sl__sql_is_op(P, &T[i], ")");
            if (depth == 0)
                break;
        }
        if (i == e - 1)
            it->kind = SL_SEL_COUNT;
    }
    return text_of(P, a, e - 1, &it->label);
}

/* One item: tokens [a, e) with an optional alias (AS name, or a name after an expression).
 * *named tells whether the rewrite must name the result column after the label: expressions
 * and counts without an alias, whose SQLite name would otherwise be the rewritten text. */
static sl_code item(sl__parser *P, size_t a, size_t e, sl_selitem *it, bool *named)
{
    const sl__tok *T = P->toks;
    sl_slice alias = SL_SLICE_NULL;
    sl_code rc;
    if (a == e)
        return sl__sql_syntax(P, &T[e]);
    if (e - a >= 2 && sl__sql_is_kw(P, &T[e - 2], "AS") &&
        (sl__sql_is_name(&T[e - 1]) || T[e - 1].kind == SL__TK_STRING)) {
        if ((rc = sl__sql_value(P, &T[e - 1], &alias)) != SL_OK)
            return rc;
        e -= 2;
    } else if (e - a >= 2 && sl__sql_is_name(&T[e - 1]) && !is_keyword(P, &T[e - 1]) &&
               ends_expr(P, &T[e - 2])) {
        if ((rc = sl__sql_value(P, &T[e - 1], &alias)) != SL_OK)
            return rc;
        e -= 1;
    }
    if (a == e)
        return sl__sql_syntax(P, &T[a]);
    *it = (sl_selitem){0};
    if ((rc = classify(P, a, e, it)) != SL_OK)
        return rc;
    *named = !alias.p && (it->kind == SL_SEL_EXPR || it->kind == SL_SEL_COUNT);
    if (alias.p)
        it->label = alias;
    else if (it->kind == SL_SEL_COLUMN)
        it->label = it->colref;
    return SL_OK;
}

/* Split the projection at depth-0 commas into sl_select.items. */
static sl_code items(sl__parser *P, shape *S, sl_select *sel)
{
    size_t n = 1, depth = 0, start = S->proj, k = 0;
    for (size_t i = S->proj; i < S->proj_end; i++) {
        depth += sl__sql_is_op(P, &P->toks[i], "(");
        depth -= sl__sql_is_op(P, &P->toks[i], ")");
        n += depth == 0 && sl__sql_is_op(P, &P->toks[i], ",");
    }
    depth = 0;
    sel->items = sl_arena_alloc(P->a, n * sizeof *sel->items);
    S->item_end = sl_arena_alloc(P->a, n * sizeof *S->item_end);
    S->item_named = sl_arena_alloc(P->a, n * sizeof *S->item_named);
    if (sel->items == NULL || S->item_end == NULL || S->item_named == NULL)
        return sl_fail(P->err, SL_NOMEM, "cannot allocate select items");
    for (size_t i = S->proj; i <= S->proj_end; i++) {
        const sl__tok *t = &P->toks[i];
        if (i < S->proj_end && sl__sql_is_op(P, t, "("))
            depth++;
        else if (i < S->proj_end && sl__sql_is_op(P, t, ")"))
            depth--;
        if (i == S->proj_end || (depth == 0 && sl__sql_is_op(P, t, ","))) {
            S->item_end[k] = i;
            sl_code rc = item(P, start, i, &sel->items[k], &S->item_named[k]);
            if (rc != SL_OK)
                return rc;
            k++;
            start = i + 1;
        }
    }
    sel->n_items = k;
    return SL_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Rewrite
 */

/* Output state: the text, and whether the next token follows without a space. */
typedef struct writer {
    sl_buf b;
    bool glue;       /* previous token was '(' or '.' or a function name */
    uint64_t casts;  /* bit d-1 set: the parenthesis at depth d belongs to CAST( */
    size_t depth;
} writer;

static void put(writer *w, const char *p, size_t n, bool glue_left)
{
    if (w->b.len > 0 && !w->glue && !glue_left)
        sl_buf_putc(&w->b, ' ');
    sl_buf_append(&w->b, p, n);
    w->glue = false;
}

/* Append p[0, n) between quotes q, doubling q inside. */
static void put_quoted(writer *w, const char *p, size_t n, char q)
{
    put(w, &q, 1, false);
    for (size_t i = 0; i < n; i++) {
        if (p[i] == q)
            sl_buf_putc(&w->b, q);
        sl_buf_putc(&w->b, p[i]);
    }
    sl_buf_putc(&w->b, q);
}

/* A string value as an SQLite literal. SQLite ends a literal at a NUL byte, so a value that
 * holds one is written as ('a'||char(0)||'b'). */
static void put_string(writer *w, const char *p, size_t n)
{
    if (memchr(p, '\0', n) == NULL) {
        put_quoted(w, p, n, '\'');
        return;
    }
    put(w, "(", 1, false);
    w->glue = true;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && p[i] != '\0')
            continue;
        put_quoted(w, p + start, i - start, '\'');
        w->glue = true;
        if (i < n)
            put(w, "||char(0)||", 11, true);
        w->glue = true;
        start = i + 1;
    }
    put(w, ")", 1, true);
}

/* A token's value as a "quoted identifier". */
static sl_code put_ident(sl__parser *P, writer *w, const sl__tok *t)
{
    sl_slice v;
    sl_code rc = sl__sql_value(P, t, &v);
    if (rc == SL_OK)
        put_quoted(w, v.p, v.n, '"');
    return rc;
}

/* The qualifier token t before '.': the FROM table's name becomes its alias or the
 * placeholder; anything else stays an identifier (SQLite reports it if it names nothing). */
static sl_code put_qualifier(sl__parser *P, writer *w, const shape *S, const sl__tok *t)
{
    sl_slice v;
    sl_code rc = sl__sql_value(P, t, &v);
    if (rc != SL_OK)
        return rc;
    bool is_table = S->table.p && v.n == S->table.n && strncasecmp(v.p, S->table.p, v.n) == 0;
    bool is_alias = S->alias_name.p && v.n == S->alias_name.n &&
                    strncasecmp(v.p, S->alias_name.p, v.n) == 0;
    if (is_alias || (is_table && S->alias_name.p))
        put_quoted(w, S->alias_name.p, S->alias_name.n, '"');
    else if (is_table)
        put(w, SL_SQL_TABLE_PLACEHOLDER, strlen(SL_SQL_TABLE_PLACEHOLDER), false);
    else
        put_quoted(w, v.p, v.n, '"');
    return SL_OK;
}

/* The SQLite type for CAST(x AS <Doris type>), tokens [a, e) holding the type. */
static sl_code cast_type(sl__parser *P, writer *w, size_t a, size_t e)
{
    const sl__tok *T = P->toks;
    sl_type ty;
    if (a == e)
        return sl__sql_syntax(P, &T[e]);
    if (sl__sql_is_kw(P, &T[a], "SIGNED") || sl__sql_is_kw(P, &T[a], "UNSIGNED")) {
        put(w, "INTEGER", 7, false);
        return SL_OK;
    }
    sl_slice text = {P->text + T[a].off, T[e - 1].off + T[e - 1].len - T[a].off};
    sl_code rc = sl_sql_parse_type(text, &ty, P->err);
    if (rc != SL_OK)
        return rc;
    const char *name = "TEXT";
    if (ty.id <= SL_LARGEINT || ty.id == SL_BOOLEAN)
        name = "INTEGER";
    else if (ty.id == SL_FLOAT || ty.id == SL_DOUBLE || ty.id == SL_DECIMAL)
        name = "REAL";
    put(w, name, strlen(name), false);
    return SL_OK;
}

/* An operator, spelled the SQLite way; tracks depth and CAST parentheses. */
static void put_op(sl__parser *P, writer *w, const sl__tok *t)
{
    static const char *const map[][2] = {{"&&", "AND"}, {"||", "OR"}, {"!", "NOT"},
                                         {"<=>", "IS"}, {"/", "* 1.0 /"}};
    const char *p = P->text + t->off;
    size_t n = t->len;
    for (size_t i = 0; i < SL_COUNT(map); i++)
        if (sl__sql_is_op(P, t, map[i][0]))
            p = map[i][1], n = strlen(p);
    bool left = sl__sql_is_op(P, t, ")") || sl__sql_is_op(P, t, ",") || sl__sql_is_op(P, t, ".");
    put(w, p, n, left);
    if (sl__sql_is_op(P, t, "(") || sl__sql_is_op(P, t, "."))
        w->glue = true;
    if (sl__sql_is_op(P, t, "("))
        w->depth++;
    if (sl__sql_is_op(P, t, ")") && w->depth > 0)
        w->casts &= ~(1ull << (--w->depth));
}

/* A keyword, spelled the SQLite way. */
static void put_keyword(sl__parser *P, writer *w, const sl__tok *t)
{
    const char *p = P->text + t->off;
    size_t n = t->len;
    if (sl__sql_is_kw(P, t, "MOD"))
        p = "%", n = 1;
    else if (sl__sql_is_kw(P, t, "DIV"))
        p = "/", n = 1;
    else if (sl__sql_is_kw(P, t, "RLIKE"))
        p = "REGEXP", n = 6;
    put(w, p, n, false);
}

/* The index of the ')' that closes the parenthesis open at token i's depth. */
static size_t closing(const sl__parser *P, size_t i)
{
    size_t depth = 0;
    for (; i < P->n_toks; i++) {
        if (sl__sql_is_op(P, &P->toks[i], "("))
            depth++;
        else if (sl__sql_is_op(P, &P->toks[i], ")") && depth-- == 0)
            return i;
    }
    return P->n_toks - 1;
}

/* A WORD or QIDENT at index *i (advanced past what was consumed). */
static sl_code put_name(sl__parser *P, writer *w, const shape *S, size_t *i)
{
    const sl__tok *T = P->toks, *t = &T[*i];
    bool after_dot = *i > 0 && sl__sql_is_op(P, &T[*i - 1], ".");
    if (!after_dot && sl__sql_is_op(P, &T[*i + 1], ".")) {
        /* db.t.col: the database part of the FROM table's qualifier is dropped. */
        if (S->db.p && *i + 3 < P->n_toks && sl__sql_is_name(&T[*i + 2]) &&
            sl__sql_is_op(P, &T[*i + 3], ".")) {
            sl_slice v;
            sl_code rc = sl__sql_value(P, t, &v);
            if (rc != SL_OK)
                return rc;
            if (v.n == S->db.n && strncasecmp(v.p, S->db.p, v.n) == 0)
                t = &T[*i += 2];
        }
        return put_qualifier(P, w, S, t);
    }
    if (t->kind == SL__TK_QIDENT || after_dot)
        return put_ident(P, w, t);
    if (sl__sql_is_kw(P, t, "AS") && w->depth > 0 && (w->casts >> (w->depth - 1) & 1)) {
        size_t e = closing(P, *i + 1);
        put(w, "AS", 2, false);
        sl_code rc = cast_type(P, w, *i + 1, e);
        *i = e - 1;
        return rc;
    }
    if (is_keyword(P, t) || ((sl__sql_is_kw(P, t, "FIRST") || sl__sql_is_kw(P, t, "LAST")) &&
                             *i > 0 && sl__sql_is_kw(P, &T[*i - 1], "NULLS"))) {
        put_keyword(P, w, t);
        return SL_OK;
    }
    if (sl__sql_is_op(P, &T[*i + 1], "(")) {
        put(w, P->text + t->off, t->len, false);
        w->glue = true;
        if (sl__sql_is_kw(P, t, "CAST") && w->depth < 64)
            w->casts |= 1ull << w->depth;
        return SL_OK;
    }
    return put_ident(P, w, t);
}

/* At token i, which ends projection item *k: name the item's result column when it needs it. */
static void name_item(writer *w, const shape *S, const sl_select *sel, size_t *k, size_t i)
{
    if (*k >= sel->n_items || i != S->item_end[*k])
        return;
    if (S->item_named[*k]) {
        put(w, "AS", 2, false);
        put_quoted(w, sel->items[*k].label.p, sel->items[*k].label.n, '"');
    }
    (*k)++;
}

/* Write the whole statement as SQLite text into w. */
static sl_code rewrite(sl__parser *P, const shape *S, const sl_select *sel, writer *w)
{
    const sl__tok *T = P->toks;
    size_t k = 0; /* the next projection item to end */
    for (size_t i = S->select; i < S->end; i++) {
        const sl__tok *t = &T[i];
        sl_code rc = SL_OK;
        sl_slice v;
        name_item(w, S, sel, &k, i);
        if (i == S->tbl && S->from != NONE) {
            put(w, SL_SQL_TABLE_PLACEHOLDER, strlen(SL_SQL_TABLE_PLACEHOLDER), false);
            i = S->tbl_end - 1;
        } else if (i == S->alias) {
            rc = put_ident(P, w, t);
        } else if (t->kind == SL__TK_WORD || t->kind == SL__TK_QIDENT) {
            rc = put_name(P, w, S, &i);
        } else if (t->kind == SL__TK_STRING) {
            if ((rc = sl__sql_value(P, t, &v)) == SL_OK)
                put_string(w, v.p, v.n);
        } else if (t->kind == SL__TK_NUMBER) {
            put(w, P->text + t->off, t->len, false);
        } else {
            put_op(P, w, t);
        }
        if (rc != SL_OK)
            return rc;
    }
    name_item(w, S, sel, &k, S->end);
    return SL_OK;
}

sl_code sl__sql_select(sl__parser *P, sl_stmt *out)
{
    shape S = {0};
    writer w = {.b = SL_BUF_INIT};
    sl_select *sel = &out->select;
    sl_code rc = scan(P, &S);
    if (rc == SL_OK && S.from != NONE)
        rc = from_clause(P, &S);
    if (rc == SL_OK)
        rc = items(P, &S, sel);
    if (rc == SL_OK)
        rc = rewrite(P, &S, sel, &w);
    if (rc != SL_OK)
        goto fail;
    if (w.b.oom) {
        rc = sl_fail(P->err, SL_NOMEM, "cannot build the SQLite text");
        goto fail;
    }
    char *sql = sl_arena_memdup(P->a, w.b.p ? w.b.p : "", w.b.len);
    if (sql == NULL) {
        rc = sl_fail(P->err, SL_NOMEM, "cannot copy the SQLite text");
        goto fail;
    }
    sel->sql = (sl_slice){sql, w.b.len};
    sel->db = out->db = S.db;
    sel->table = out->name = S.table;
    P->pos = S.end;
fail:
    sl_buf_free(&w.b);
    return rc;
}
