/*
 * yamcs_sql.c - the StreamSQL parser of the Yamcs adapter and its translation to sluice's SQL
 * (proto stage). Grammar and contracts: yamcs_sql.h; spec: specs/yamcs-tables.md §4.5.
 *
 *   text -> lexer (next) -> statement parsers (create / drop / select / delete / show /
 *   describe) -> ysql_stmt; expressions by precedence: OR < AND < NOT < comparison, IN, LIKE,
 *   BETWEEN, IS NULL < + - || < * / MOD < unary minus < primary
 *   CREATE TABLE -> Doris DDL: key columns first, UNIQUE KEY(k...) (a duplicate key replaces
 *   the row, as a Yamcs load does), PROPERTIES("yamcs.types" = "T1;T2;...")
 *
 * Everything is allocated in the caller's arena; recursion is bounded (SL_YSQL_MAX_DEPTH) so a
 * hostile statement cannot exhaust the stack.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../decode/pbrows.h"
#include "yamcs_sql.h"

#define SL_YSQL_MAX_DEPTH 200   /* nesting of expressions: deep enough for any real WHERE */
#define SL_YSQL_MAX_COLS 4096   /* columns of a CREATE TABLE (sluice tables have fewer) */

static bool same(sl_slice a, sl_slice b)
{
    return a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
}

/* ---- lexer ------------------------------------------------------------------------------ */

typedef struct ylex {
    const char *start, *p, *end;
    const char *at;      /* start of the current token */
    char kind;           /* 'w' word, 'q' "ident", 's' 'string', 'n' integer, 'f' float, 0 end,
                            '?' bad; punctuation as itself; 'L' <=, 'G' >=, 'N' != or <>, 'C' ||,
                            'A' [] */
    sl_slice tok;        /* the token ('q', 's': without the quotes, '' not yet undoubled) */
    sl_arena_t *a;
    sl_err *err;
    int depth;
} ylex;

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '$' || c == '#' || c == '.';
}

static void skip_space(ylex *L)
{
    for (;;) {
        while (L->p < L->end && isspace((unsigned char)*L->p))
            L->p++;
        if (L->end - L->p >= 2 && L->p[0] == '-' && L->p[1] == '-') {
            while (L->p < L->end && *L->p != '\n')
                L->p++;
        } else if (L->end - L->p >= 2 && L->p[0] == '/' && L->p[1] == '*') {
            const char *q = L->p + 2;
            while (q + 1 < L->end && !(q[0] == '*' && q[1] == '/'))
                q++;
            L->p = q + 1 < L->end ? q + 2 : L->end;
        } else
            return;
    }
}

/* A quoted token: '...' ('' inside) or "..." (no quote inside). */
static void scan_quoted(ylex *L, char q)
{
    const char *s = L->p + 1;
    for (;;) {
        const char *e = memchr(s, q, (size_t)(L->end - s));
        if (e == NULL) {
            L->kind = '?';
            L->p = L->end;
            return;
        }
        if (q == '\'' && e + 1 < L->end && e[1] == '\'') {
            s = e + 2;
            continue;
        }
        L->kind = q == '\'' ? 's' : 'q';
        L->tok = (sl_slice){L->p + 1, (size_t)(e - L->p - 1)};
        L->p = e + 1;
        return;
    }
}

static void scan_number(ylex *L)
{
    const char *s = L->p;
    bool fl = false;
    if (L->end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
        isxdigit((unsigned char)s[2])) {
        L->p += 2;
        while (L->p < L->end && isxdigit((unsigned char)*L->p))
            L->p++;
    } else {
        while (L->p < L->end && isdigit((unsigned char)*L->p))
            L->p++;
        if (L->p + 1 < L->end && *L->p == '.' && isdigit((unsigned char)L->p[1])) {
            fl = true;
            for (L->p++; L->p < L->end && isdigit((unsigned char)*L->p);)
                L->p++;
        }
        const char *e = L->p;
        if (e < L->end && (*e == 'e' || *e == 'E')) {
            e++;
            if (e < L->end && (*e == '+' || *e == '-'))
                e++;
            if (e < L->end && isdigit((unsigned char)*e)) {
                fl = true;
                while (e < L->end && isdigit((unsigned char)*e))
                    e++;
                L->p = e;
            }
        }
    }
    L->kind = fl ? 'f' : 'n';
    L->tok = (sl_slice){s, (size_t)(L->p - s)};
}

static void next(ylex *L)
{
    skip_space(L);
    L->at = L->p;
    L->tok = (sl_slice){L->p, 0};
    if (L->p >= L->end) {
        L->kind = 0;
        return;
    }
    char c = *L->p;
    if (c == '\'' || c == '"') {
        scan_quoted(L, c);
        return;
    }
    if (isdigit((unsigned char)c) ||
        (c == '.' && L->p + 1 < L->end && isdigit((unsigned char)L->p[1]))) {
        scan_number(L);
        return;
    }
    if (isalpha((unsigned char)c) || c == '_') {
        while (L->p < L->end && ident_char(*L->p))
            L->p++;
        L->kind = 'w';
        L->tok = (sl_slice){L->at, (size_t)(L->p - L->at)};
        return;
    }
    static const struct { char a, b, kind; } two[] = {
        {'<', '=', 'L'}, {'>', '=', 'G'}, {'!', '=', 'N'}, {'<', '>', 'N'}, {'|', '|', 'C'},
        {'[', ']', 'A'}};
    for (size_t i = 0; i < SL_COUNT(two); i++)
        if (c == two[i].a && L->p + 1 < L->end && L->p[1] == two[i].b) {
            L->kind = two[i].kind;
            L->p += 2;
            L->tok = (sl_slice){L->at, 2};
            return;
        }
    L->kind = c;
    L->p++;
    L->tok = (sl_slice){L->at, 1};
}

static bool kw(const ylex *L, const char *w)
{
    return L->kind == 'w' && sl_slice_ieq(L->tok, w);
}

static bool accept_kw(ylex *L, const char *w)
{
    if (!kw(L, w))
        return false;
    next(L);
    return true;
}

static bool accept(ylex *L, char kind)
{
    if (L->kind != kind)
        return false;
    next(L);
    return true;
}

/* "Encountered "x" at line L, column C. Was expecting: what" (Yamcs's ParseException shape). */
static sl_code syntax(ylex *L, const char *what)
{
    int line = 1, col = 1;
    for (const char *q = L->start; q < L->at; q++) {
        if (*q == '\n')
            line++, col = 1;
        else
            col++;
    }
    size_t n = L->kind ? (size_t)(L->p - L->at) : 0;
    if (n > 40)
        n = 40;
    if (L->kind == 0)
        return sl_fail(L->err, SL_INVALID, "Encountered \"<EOF>\" at line %d, column %d. Was "
                       "expecting: %s", line, col, what);
    return sl_fail(L->err, SL_INVALID, "Encountered \"%.*s\" at line %d, column %d. Was "
                   "expecting: %s", (int)n, L->at, line, col, what);
}

/* An object name: identifier or "quoted identifier". */
static sl_code name(ylex *L, sl_slice *out, const char *what)
{
    if (L->kind != 'w' && L->kind != 'q')
        return syntax(L, what);
    bool ok = L->tok.n > 0;
    for (size_t i = 0; ok && i < L->tok.n; i++)
        ok = (unsigned char)L->tok.p[i] >= 0x20 && L->tok.p[i] != 0x7f;
    if (!ok) /* control characters cannot name anything a table holds */
        return sl_fail(L->err, SL_INVALID, "invalid name \"%.*s\"",
                       (int)(L->tok.n > 64 ? 64 : L->tok.n), L->tok.p);
    *out = L->tok;
    next(L);
    return SL_OK;
}

static sl_code nomem(ylex *L)
{
    return sl_fail(L->err, SL_NOMEM, "out of memory");
}

/* ---- expressions ------------------------------------------------------------------------ */

static sl_code expr_or(ylex *L, ysql_expr **out);

static ysql_expr *new_expr(ylex *L, uint8_t kind, size_t n)
{
    ysql_expr *e = sl_arena_alloc(L->a, sizeof *e);
    if (e == NULL)
        return NULL;
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->n = n;
    if (n && (e->args = sl_arena_alloc(L->a, n * sizeof *e->args)) == NULL)
        return NULL;
    return e;
}

/* A growing argument list in the arena. */
typedef struct elist {
    ysql_expr **v;
    size_t n, cap;
} elist;

static bool elist_push(ylex *L, elist *l, ysql_expr *e)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        ysql_expr **v = sl_arena_alloc(L->a, cap * sizeof *v);
        if (v == NULL)
            return false;
        if (l->n)
            memcpy(v, l->v, l->n * sizeof *v);
        l->v = v, l->cap = cap;
    }
    l->v[l->n++] = e;
    return true;
}

static ysql_expr *from_list(ylex *L, uint8_t kind, elist *l)
{
    ysql_expr *e = new_expr(L, kind, 0);
    if (e) {
        e->args = l->v;
        e->n = l->n;
    }
    return e;
}

/* expr, expr, ... up to ')' (consumed) */
static sl_code expr_list(ylex *L, elist *l)
{
    do {
        ysql_expr *e;
        sl_code rc = expr_or(L, &e);
        if (rc != SL_OK)
            return rc;
        if (!elist_push(L, l, e))
            return nomem(L);
    } while (accept(L, ','));
    return accept(L, ')') ? SL_OK : syntax(L, "\",\" or \")\"");
}

static sl_code literal(ylex *L, uint8_t kind, ysql_expr **out)
{
    ysql_expr *e = new_expr(L, kind, 0);
    if (e == NULL)
        return nomem(L);
    e->text = L->tok;
    if (kind == YE_STR && memchr(L->tok.p, '\'', L->tok.n)) { /* '' stands for ' */
        char *s = sl_arena_alloc(L->a, L->tok.n + 1);
        if (s == NULL)
            return nomem(L);
        size_t k = 0;
        for (size_t i = 0; i < L->tok.n; i++) {
            s[k++] = L->tok.p[i];
            if (L->tok.p[i] == '\'')
                i++;
        }
        e->text = (sl_slice){s, k};
    } else if (kind == YE_INT && L->tok.n > 2 && (L->tok.p[1] == 'x' || L->tok.p[1] == 'X')) {
        if (L->tok.n > 18)
            return syntax(L, "a number that fits a LONG");
        char *s = sl_arena_alloc(L->a, 24);
        if (s == NULL)
            return nomem(L);
        char hex[24];
        snprintf(hex, sizeof hex, "%.*s", (int)(L->tok.n - 2), L->tok.p + 2); /* NUL-ended */
        unsigned long long v = strtoull(hex, NULL, 16);
        if (v > INT64_MAX)
            return syntax(L, "a number that fits a LONG");
        e->text = (sl_slice){s, (size_t)snprintf(s, 24, "%llu", v)};
    }
    next(L);
    *out = e;
    return SL_OK;
}

/* name(args) | name(*) | name(): a function call (name consumed, L at '(') */
static sl_code call(ylex *L, sl_slice fname, ysql_expr **out)
{
    next(L);
    elist l = {0};
    ysql_expr *e;
    if (accept(L, '*')) {
        if (!accept(L, ')'))
            return syntax(L, "\")\"");
        e = new_expr(L, YE_CALL, 0);
        if (e)
            e->star = true;
    } else {
        sl_code rc = accept(L, ')') ? SL_OK : expr_list(L, &l);
        if (rc != SL_OK)
            return rc;
        e = from_list(L, YE_CALL, &l);
    }
    if (e == NULL)
        return nomem(L);
    e->text = fname;
    *out = e;
    return SL_OK;
}

static sl_code primary(ylex *L, ysql_expr **out)
{
    switch (L->kind) {
    case 'n': return literal(L, YE_INT, out);
    case 'f': return literal(L, YE_FLOAT, out);
    case 's': return literal(L, YE_STR, out);
    case '(': {
        next(L);
        sl_code rc = expr_or(L, out);
        if (rc == SL_OK && !accept(L, ')'))
            rc = syntax(L, "\")\"");
        return rc;
    }
    case 'w':
        if (kw(L, "NULL") || kw(L, "TRUE") || kw(L, "FALSE")) {
            uint8_t k = kw(L, "NULL") ? YE_NULL : kw(L, "TRUE") ? YE_TRUE : YE_FALSE;
            return literal(L, k, out);
        }
        /* fall through */
    case 'q': {
        sl_slice nm = L->tok;
        bool quoted = L->kind == 'q';
        next(L);
        if (!quoted && L->kind == '(')
            return call(L, nm, out);
        ysql_expr *e = new_expr(L, YE_COL, 0);
        if (e == NULL)
            return nomem(L);
        e->text = nm;
        *out = e;
        return SL_OK;
    }
    default: return syntax(L, "a column, a literal, a function or \"(\"");
    }
}

static sl_code unary(ylex *L, ysql_expr **out)
{
    if (++L->depth > SL_YSQL_MAX_DEPTH)
        return sl_fail(L->err, SL_INVALID, "statement nested too deeply");
    sl_code rc;
    bool minus = L->kind == '-';
    if (L->kind == '-' || L->kind == '+')
        next(L);
    if (!minus) {
        rc = primary(L, out);
    } else if (L->kind == 'n' || L->kind == 'f') { /* a negative literal stays a literal */
        const char *s = L->at - 1;
        rc = literal(L, L->kind == 'n' ? YE_INT : YE_FLOAT, out);
        if (rc == SL_OK && (*out)->text.p == s + 1)
            (*out)->text = (sl_slice){s, (*out)->text.n + 1};
        else if (rc == SL_OK) { /* hex: converted text */
            char *t = sl_arena_alloc(L->a, (*out)->text.n + 2);
            if (t == NULL)
                return nomem(L);
            t[0] = '-';
            memcpy(t + 1, (*out)->text.p, (*out)->text.n);
            (*out)->text = (sl_slice){t, (*out)->text.n + 1};
        }
    } else {
        ysql_expr *e = new_expr(L, YE_NEG, 1);
        if (e == NULL)
            return nomem(L);
        rc = unary(L, &e->args[0]);
        *out = e;
    }
    L->depth--;
    return rc;
}

static sl_code binary(ylex *L, ysql_expr **out, int level);

/* Operators of each precedence level: 0 additive, 1 multiplicative. */
static const char *bin_op(ylex *L, int level)
{
    if (level == 0)
        return L->kind == '+' ? "+" : L->kind == '-' ? "-" : L->kind == 'C' ? "||" : NULL;
    return L->kind == '*' ? "*" : L->kind == '/' ? "/" : kw(L, "MOD") || L->kind == '%' ? "%"
                                                                                      : NULL;
}

/* level 0: additive over level 1; level 1: multiplicative over unary */
static sl_code binary(ylex *L, ysql_expr **out, int level)
{
    sl_code rc = level == 1 ? unary(L, out) : binary(L, out, 1);
    const char *op;
    while (rc == SL_OK && (op = bin_op(L, level)) != NULL) {
        next(L);
        ysql_expr *e = new_expr(L, YE_BIN, 2);
        if (e == NULL)
            return nomem(L);
        e->op = op;
        e->args[0] = *out;
        rc = level == 1 ? unary(L, &e->args[1]) : binary(L, &e->args[1], 1);
        *out = e;
    }
    if (rc == SL_OK && (L->kind == '&' || L->kind == '|' || L->kind == '^'))
        return sl_fail(L->err, SL_INVALID, "bitwise operators are not supported by sluice");
    return rc;
}

static const char *rel_op(const ylex *L)
{
    switch (L->kind) {
    case '=': return "=";
    case 'N': return "!=";
    case '<': return "<";
    case 'L': return "<=";
    case '>': return ">";
    case 'G': return ">=";
    default: return NULL;
    }
}

/* The clauses after a simple expression: comparison, [NOT] IN / BETWEEN / LIKE, IS [NOT] NULL */
static sl_code relational(ylex *L, ysql_expr **out)
{
    ysql_expr *a;
    sl_code rc = binary(L, &a, 0);
    if (rc != SL_OK)
        return rc;
    const char *op = rel_op(L);
    ysql_expr *e = NULL;
    if (op) {
        next(L);
        if ((e = new_expr(L, YE_BIN, 2)) == NULL)
            return nomem(L);
        e->op = op;
        e->args[0] = a;
        rc = binary(L, &e->args[1], 0);
    } else if (kw(L, "IS")) {
        next(L);
        if ((e = new_expr(L, YE_ISNULL, 1)) == NULL)
            return nomem(L);
        e->args[0] = a;
        e->neg = accept_kw(L, "NOT");
        rc = accept_kw(L, "NULL") ? SL_OK : syntax(L, "NULL");
    } else if (kw(L, "NOT") || kw(L, "IN") || kw(L, "LIKE") || kw(L, "BETWEEN")) {
        bool neg = accept_kw(L, "NOT");
        if (accept_kw(L, "IN")) {
            elist l = {0};
            if (!elist_push(L, &l, a))
                return nomem(L);
            rc = accept(L, '(') ? expr_list(L, &l) : syntax(L, "\"(\"");
            e = from_list(L, YE_IN, &l);
        } else if (accept_kw(L, "LIKE")) {
            if ((e = new_expr(L, YE_LIKE, 2)) == NULL)
                return nomem(L);
            e->args[0] = a;
            rc = L->kind == 's' ? literal(L, YE_STR, &e->args[1]) : syntax(L, "a string");
        } else if (accept_kw(L, "BETWEEN")) {
            if ((e = new_expr(L, YE_BETWEEN, 3)) == NULL)
                return nomem(L);
            e->args[0] = a;
            rc = binary(L, &e->args[1], 0);
            if (rc == SL_OK)
                rc = accept_kw(L, "AND") ? binary(L, &e->args[2], 0) : syntax(L, "AND");
        } else
            return syntax(L, "IN, LIKE or BETWEEN");
        if (e == NULL)
            return nomem(L);
        e->neg = neg;
    }
    *out = e ? e : a;
    return rc;
}

static sl_code expr_not(ylex *L, ysql_expr **out)
{
    if (!kw(L, "NOT"))
        return relational(L, out);
    if (++L->depth > SL_YSQL_MAX_DEPTH)
        return sl_fail(L->err, SL_INVALID, "statement nested too deeply");
    next(L);
    ysql_expr *e = new_expr(L, YE_NOT, 1);
    if (e == NULL)
        return nomem(L);
    sl_code rc = expr_not(L, &e->args[0]);
    *out = e;
    L->depth--;
    return rc;
}

/* a AND b AND ... (level 0) or a OR b OR ... (level 1) */
static sl_code logical(ylex *L, ysql_expr **out, bool is_or)
{
    ysql_expr *e;
    sl_code rc = is_or ? logical(L, &e, false) : expr_not(L, &e);
    if (rc != SL_OK || !kw(L, is_or ? "OR" : "AND")) {
        *out = e;
        return rc;
    }
    elist l = {0};
    if (!elist_push(L, &l, e))
        return nomem(L);
    while (rc == SL_OK && accept_kw(L, is_or ? "OR" : "AND")) {
        rc = is_or ? logical(L, &e, false) : expr_not(L, &e);
        if (rc == SL_OK && !elist_push(L, &l, e))
            return nomem(L);
    }
    if ((*out = from_list(L, is_or ? YE_OR : YE_AND, &l)) == NULL)
        return nomem(L);
    return rc;
}

static sl_code expr_or(ylex *L, ysql_expr **out)
{
    if (++L->depth > SL_YSQL_MAX_DEPTH)
        return sl_fail(L->err, SL_INVALID, "statement nested too deeply");
    sl_code rc = logical(L, out, true);
    L->depth--;
    return rc;
}

/* ---- CREATE TABLE ---------------------------------------------------------------------- */

typedef struct ycol {
    sl_slice name;
    sl_ytype t;
    char tname[320];
    bool key;
    size_t key_pos;
} ycol;

/* A type: INT LONG ... PROTOBUF('cls') | PROTOBUF(cls), optionally T[] or ARRAY(T) (the
 * script's spelling). */
static sl_code parse_type(ylex *L, ycol *c)
{
    char base[300];
    bool array = false;
    if (L->kind != 'w')
        return syntax(L, "a type");
    if (kw(L, "ARRAY")) {
        next(L);
        if (!accept(L, '('))
            return syntax(L, "\"(\" after ARRAY");
        array = true;
        if (L->kind != 'w')
            return syntax(L, "an element type");
    }
    if (kw(L, "PROTOBUF")) {
        next(L);
        if (!accept(L, '('))
            return syntax(L, "\"(\" after PROTOBUF");
        if (L->kind != 's' && L->kind != 'w')
            return syntax(L, "a class name");
        /* a Java class name: it goes into the table's yamcs.types property as it is */
        bool ok = L->tok.n > 0 && L->tok.n <= 280;
        for (size_t i = 0; ok && i < L->tok.n; i++)
            ok = ident_char(L->tok.p[i]);
        if (!ok)
            return sl_fail(L->err, SL_INVALID, "invalid PROTOBUF class name '%.*s'",
                           (int)(L->tok.n > 100 ? 100 : L->tok.n), L->tok.p);
        snprintf(base, sizeof base, "PROTOBUF(%.*s)", (int)L->tok.n, L->tok.p);
        next(L);
        if (L->kind != ')')
            return syntax(L, "\")\" after the PROTOBUF class");
    } else {
        size_t n = L->tok.n > 60 ? 60 : L->tok.n;
        for (size_t i = 0; i < n; i++)
            base[i] = (char)toupper((unsigned char)L->tok.p[i]);
        base[n] = 0;
    }
    next(L);
    if (array && !accept(L, ')'))
        return syntax(L, "\")\" after the ARRAY element type");
    if (!array && accept(L, 'A'))
        array = true;
    snprintf(c->tname, sizeof c->tname, array ? "ARRAY(%s)" : "%s", base);
    return sl_ytype_parse(sl_slice_of(c->tname), &c->t, L->err);
}

/* (a, b, ...): each a column; keys records the key order. */
static sl_code name_list(ylex *L, ycol *cols, size_t n, bool keys, size_t *n_keys)
{
    if (!accept(L, '('))
        return syntax(L, "\"(\"");
    do {
        sl_slice nm = SL_SLICE_NULL;
        sl_code rc = name(L, &nm, "a column name");
        if (rc != SL_OK)
            return rc;
        size_t i = 0;
        while (i < n && !same(cols[i].name, nm))
            i++;
        if (i == n)
            return sl_fail(L->err, SL_INVALID, "unknown column '%.*s'", (int)nm.n, nm.p);
        if (keys) {
            if (cols[i].key)
                return sl_fail(L->err, SL_INVALID, "duplicate key column '%.*s'", (int)nm.n,
                               nm.p);
            cols[i].key = true;
            cols[i].key_pos = (*n_keys)++;
        }
    } while (accept(L, ','));
    return accept(L, ')') ? SL_OK : syntax(L, "\",\" or \")\"");
}

/* The sluice type for a Yamcs type (keys may not be DOUBLE or ARRAY in sluice). */
static sl_code sluice_type(ylex *L, const ycol *c, const char **out)
{
    const char *t;
    switch (c->t.id) {
    case SL_Y_BYTE: t = "TINYINT"; break;
    case SL_Y_SHORT: t = "SMALLINT"; break;
    case SL_Y_INT: t = "INT"; break;
    case SL_Y_LONG: t = "BIGINT"; break;
    case SL_Y_BOOLEAN: t = "BOOLEAN"; break;
    case SL_Y_TIMESTAMP: t = "DATETIME(3)"; break;
    case SL_Y_HRES_TIMESTAMP: t = "DATETIME(6)"; break;
    case SL_Y_UUID: t = "VARCHAR(36)"; break;
    case SL_Y_DOUBLE: t = c->key ? NULL : "DOUBLE"; break;
    case SL_Y_ARRAY: t = c->key ? NULL : "JSON"; break;
    default: t = c->key ? "VARCHAR(65533)" : "STRING"; break;
    }
    if (t == NULL)
        return sl_fail(L->err, SL_INVALID, "%s key columns are not supported", c->tname);
    *out = t;
    return SL_OK;
}

/* The Doris DDL for the parsed table: key columns first, in key order. */
static sl_code doris_ddl(ylex *L, sl_buf *b, sl_slice tname, bool if_not, ycol *cols, size_t n,
                         size_t n_keys)
{
    size_t *order = sl_arena_alloc(L->a, (n + 1) * sizeof *order), k = 0;
    if (order == NULL)
        return nomem(L);
    for (size_t pos = 0; pos < n_keys; pos++)
        for (size_t i = 0; i < n; i++)
            if (cols[i].key && cols[i].key_pos == pos)
                order[k++] = i;
    for (size_t i = 0; i < n; i++)
        if (!cols[i].key)
            order[k++] = i;
    sl_buf_printf(b, "CREATE TABLE %s", if_not ? "IF NOT EXISTS " : "");
    sl_buf_ident(b, tname);
    sl_buf_puts(b, " (");
    for (size_t j = 0; j < n; j++) {
        ycol *c = &cols[order[j]];
        const char *st = NULL;
        sl_code rc = sluice_type(L, c, &st);
        if (rc != SL_OK)
            return rc;
        if (j)
            sl_buf_puts(b, ", ");
        sl_buf_ident(b, c->name);
        sl_buf_printf(b, " %s%s", st, c->key ? " NOT NULL" : "");
    }
    sl_buf_puts(b, ") UNIQUE KEY(");
    for (size_t j = 0; j < n_keys; j++) {
        if (j)
            sl_buf_puts(b, ", ");
        sl_buf_ident(b, cols[order[j]].name);
    }
    sl_buf_puts(b, ") DISTRIBUTED BY HASH(");
    sl_buf_ident(b, cols[order[0]].name);
    sl_buf_puts(b, ") BUCKETS 1 PROPERTIES (\"yamcs.types\" = \"");
    for (size_t j = 0; j < n; j++)
        sl_buf_printf(b, "%s%s", j ? ";" : "", cols[order[j]].tname);
    sl_buf_puts(b, "\")");
    return b->oom ? nomem(L) : SL_OK;
}

/* PARTITION BY TIME(c['s']) | VALUE(c) | TIME_AND_VALUE(c['s'], c): accepted, not used */
static sl_code partition(ylex *L)
{
    bool time = kw(L, "TIME") || kw(L, "TIME_AND_VALUE"), tv = kw(L, "TIME_AND_VALUE");
    if (!time && !kw(L, "VALUE"))
        return syntax(L, "TIME, VALUE or TIME_AND_VALUE");
    next(L);
    sl_slice c;
    sl_code rc = accept(L, '(') ? name(L, &c, "a column name") : syntax(L, "\"(\"");
    if (rc == SL_OK && time && accept(L, '(')) {
        if (!accept(L, 's') || !accept(L, ')'))
            return syntax(L, "a partitioning schema such as ('YYYY')");
    }
    if (rc == SL_OK && tv)
        rc = accept(L, ',') ? name(L, &c, "a column name") : syntax(L, "\",\"");
    if (rc == SL_OK && !accept(L, ')'))
        rc = syntax(L, "\")\"");
    return rc;
}

/* What may follow the column list: PRIMARY KEY(...) (the script's place for it), HISTOGRAM(...),
 * ENGINE name, PARTITION BY ..., TABLESPACE name, TABLE_FORMAT=COMPRESSED[,COLUMN_FAMILY:cf].
 * Only the key matters to sluice; the rest is accepted and ignored. */
static sl_code table_options(ylex *L, ycol *cols, size_t n, size_t *n_keys)
{
    sl_code rc = SL_OK;
    sl_slice x;
    while (rc == SL_OK && L->kind == 'w') {
        if (accept_kw(L, "PRIMARY")) {
            if (*n_keys)
                return sl_fail(L->err, SL_INVALID, "the primary key is given twice");
            rc = accept_kw(L, "KEY") ? name_list(L, cols, n, true, n_keys) : syntax(L, "KEY");
        } else if (accept_kw(L, "HISTOGRAM") || accept_kw(L, "INDEX")) {
            rc = name_list(L, cols, n, false, n_keys);
        } else if (accept_kw(L, "ENGINE") || accept_kw(L, "TABLESPACE")) {
            rc = name(L, &x, "a name");
        } else if (accept_kw(L, "PARTITION")) {
            rc = accept_kw(L, "BY") ? partition(L) : syntax(L, "BY");
        } else if (accept_kw(L, "TABLE_FORMAT")) {
            if (!accept(L, '=') || !accept_kw(L, "COMPRESSED"))
                return syntax(L, "=COMPRESSED");
            if (accept(L, ',')) {
                if (!accept_kw(L, "COLUMN_FAMILY") || !accept(L, ':'))
                    return syntax(L, "COLUMN_FAMILY:name");
                rc = name(L, &x, "a column family name");
            }
        } else
            break;
    }
    return rc;
}

/* One entry of the column list: a column, or PRIMARY KEY(...) / INDEX(...). */
static sl_code column_entry(ylex *L, ycol *cols, size_t *n, size_t *n_keys)
{
    if (kw(L, "PRIMARY")) {
        next(L);
        if (*n_keys)
            return sl_fail(L->err, SL_INVALID, "the primary key is given twice");
        return accept_kw(L, "KEY") ? name_list(L, cols, *n, true, n_keys) : syntax(L, "KEY");
    }
    if (accept_kw(L, "INDEX"))
        return name_list(L, cols, *n, false, n_keys);
    if (*n == SL_YSQL_MAX_COLS)
        return sl_fail(L->err, SL_INVALID, "too many columns");
    ycol *c = &cols[(*n)++];
    memset(c, 0, sizeof *c);
    sl_code rc = name(L, &c->name, "a column name or PRIMARY KEY");
    if (rc == SL_OK)
        rc = parse_type(L, c);
    if (rc == SL_OK && kw(L, "AUTO_INCREMENT"))
        return sl_fail(L->err, SL_INVALID, "AUTO_INCREMENT is not supported");
    for (size_t i = 0; rc == SL_OK && i + 1 < *n; i++)
        if (same(cols[i].name, c->name))
            return sl_fail(L->err, SL_INVALID, "duplicate column '%.*s'", (int)c->name.n,
                           c->name.p);
    return rc;
}

/* CREATE TABLE [IF NOT EXISTS] t (c T, ..., PRIMARY KEY(k, ...)) options (CREATE consumed) */
static sl_code parse_create(ylex *L, ysql_stmt *st)
{
    if (kw(L, "STREAM") || kw(L, "INPUT") || kw(L, "OUTPUT"))
        return sl_fail(L->err, SL_INVALID, "CREATE STREAM is not supported by sluice: it "
                       "stores tables only");
    if (!accept_kw(L, "TABLE"))
        return syntax(L, "TABLE");
    if (accept_kw(L, "IF")) {
        if (!accept_kw(L, "NOT") || !accept_kw(L, "EXISTS"))
            return syntax(L, "NOT EXISTS");
        st->if_not_exists = true;
    }
    sl_code rc = name(L, &st->table, "a table name");
    if (rc != SL_OK)
        return rc;
    if (!accept(L, '('))
        return syntax(L, "\"(\"");
    ycol *cols = sl_arena_alloc(L->a, SL_YSQL_MAX_COLS * sizeof *cols);
    if (cols == NULL)
        return nomem(L);
    size_t n = 0, n_keys = 0;
    do {
        if (L->kind == ')' && n) /* a trailing comma before ')' (Yamcs's grammar has one) */
            break;
        rc = column_entry(L, cols, &n, &n_keys);
    } while (rc == SL_OK && accept(L, ','));
    if (rc == SL_OK && !accept(L, ')'))
        rc = syntax(L, "\",\" or \")\"");
    if (rc == SL_OK)
        rc = table_options(L, cols, n, &n_keys);
    if (rc != SL_OK)
        return rc;
    if (n_keys == 0)
        return sl_fail(L->err, SL_INVALID, "a primary key is required");
    sl_buf b = SL_BUF_INIT;
    rc = doris_ddl(L, &b, st->table, st->if_not_exists, cols, n, n_keys);
    if (rc == SL_OK) {
        char *p = sl_arena_memdup(L->a, b.p, b.len + 1);
        if (p == NULL)
            rc = nomem(L);
        st->ddl = (sl_slice){p, b.len};
    }
    sl_buf_free(&b);
    return rc;
}

/* ---- SELECT, DELETE, the rest ----------------------------------------------------------- */

static sl_code int_const(ylex *L, int64_t *out)
{
    if (L->kind != 'n' || L->tok.n > 18 || (L->tok.n > 1 && L->tok.p[1] == 'x'))
        return syntax(L, "a number");
    char num[24];
    snprintf(num, sizeof num, "%.*s", (int)L->tok.n, L->tok.p); /* the text is not NUL-ended */
    *out = strtoll(num, NULL, 10);
    next(L);
    return SL_OK;
}

/* ORDER [ASC|DESC] (by key, Yamcs) | ORDER BY c [ASC|DESC], ...; LIMIT [offset,] n */
static sl_code order_limit(ylex *L, ysql_stmt *st)
{
    sl_code rc = SL_OK;
    if (accept_kw(L, "ORDER")) {
        if (!accept_kw(L, "BY")) {
            st->key_order = accept_kw(L, "DESC") ? -1 : (accept_kw(L, "ASC"), 1);
        } else {
            size_t cap = 0;
            do {
                if (st->n_order == cap) {
                    cap = cap ? cap * 2 : 4;
                    ysql_order *o = sl_arena_alloc(L->a, cap * sizeof *o);
                    if (o == NULL)
                        return nomem(L);
                    if (st->n_order)
                        memcpy(o, st->order, st->n_order * sizeof *o);
                    st->order = o;
                }
                ysql_order *o = &st->order[st->n_order++];
                memset(o, 0, sizeof *o);
                rc = name(L, &o->col, "a column name");
                o->desc = rc == SL_OK && accept_kw(L, "DESC");
                if (rc == SL_OK && !o->desc)
                    accept_kw(L, "ASC");
            } while (rc == SL_OK && accept(L, ','));
        }
    }
    if (rc == SL_OK && accept_kw(L, "LIMIT")) {
        rc = int_const(L, &st->limit);
        if (rc == SL_OK && accept(L, ',')) {
            st->offset = st->limit;
            rc = int_const(L, &st->limit);
        }
    }
    return rc;
}

static sl_code select_items(ylex *L, ysql_stmt *st)
{
    size_t cap = 0;
    do {
        ysql_item *v = sl_arena_grow(L->a, st->items, st->n_items, &cap, sizeof *v);
        if (v == NULL)
            return nomem(L);
        st->items = v;
        ysql_item *it = &st->items[st->n_items++];
        memset(it, 0, sizeof *it);
        if (accept(L, '*'))
            continue;
        sl_code rc = binary(L, &it->e, 0);
        if (rc == SL_OK && (accept_kw(L, "AS") || ((L->kind == 'w' && !kw(L, "FROM")) ||
                                                   L->kind == 'q')))
            rc = name(L, &it->alias, "an alias");
        if (rc != SL_OK)
            return rc;
    } while (accept(L, ','));
    return SL_OK;
}

/* SELECT items FROM t [WHERE e] [ORDER ...] [LIMIT ...] (SELECT consumed) */
static sl_code parse_select(ylex *L, ysql_stmt *st)
{
    sl_code rc = select_items(L, st);
    if (rc == SL_OK)
        rc = accept_kw(L, "FROM") ? name(L, &st->table, "a table name") : syntax(L, "FROM");
    if (rc == SL_OK && L->kind == '[')
        return sl_fail(L->err, SL_INVALID, "windows are not supported by sluice");
    if (rc == SL_OK && accept_kw(L, "WHERE"))
        rc = expr_or(L, &st->where);
    if (rc == SL_OK)
        rc = order_limit(L, st);
    return rc;
}

/* DELETE FROM t [WHERE e] [LIMIT n] (DELETE consumed) */
static sl_code parse_delete(ylex *L, ysql_stmt *st)
{
    sl_code rc = accept_kw(L, "FROM") ? name(L, &st->table, "a table name") : syntax(L, "FROM");
    if (rc == SL_OK && accept_kw(L, "WHERE"))
        rc = expr_or(L, &st->where);
    if (rc == SL_OK && accept_kw(L, "LIMIT"))
        rc = int_const(L, &st->limit);
    return rc;
}

static sl_code parse_statement(ylex *L, ysql_stmt *st)
{
    static const char *const unsupported[] = {"INSERT", "UPSERT", "INSERT_APPEND",
                                              "UPSERT_APPEND", "LOAD", "UPDATE", "ALTER",
                                              "CLOSE", "MERGE"};
    if (accept_kw(L, "SELECT")) {
        st->kind = YSQL_SELECT;
        return parse_select(L, st);
    }
    if (accept_kw(L, "CREATE")) {
        st->kind = YSQL_CREATE;
        return parse_create(L, st);
    }
    if (accept_kw(L, "DROP")) {
        st->kind = YSQL_DROP;
        if (!accept_kw(L, "TABLE"))
            return syntax(L, "TABLE");
        if (accept_kw(L, "IF")) {
            if (!accept_kw(L, "EXISTS"))
                return syntax(L, "EXISTS");
            st->if_exists = true;
        }
        return name(L, &st->table, "a table name");
    }
    if (accept_kw(L, "DELETE")) {
        st->kind = YSQL_DELETE;
        return parse_delete(L, st);
    }
    if (accept_kw(L, "DESCRIBE")) {
        st->kind = YSQL_DESCRIBE;
        return name(L, &st->table, "a table name");
    }
    if (accept_kw(L, "SHOW")) {
        st->kind = YSQL_SHOW_TABLES;
        if (accept_kw(L, "TABLES"))
            return SL_OK;
        if (L->kind == 'w')
            return sl_fail(L->err, SL_INVALID, "SHOW %.*s is not supported by sluice (SHOW "
                           "TABLES is)", (int)(L->tok.n > 40 ? 40 : L->tok.n), L->tok.p);
        return syntax(L, "TABLES");
    }
    for (size_t i = 0; i < SL_COUNT(unsupported); i++)
        if (kw(L, unsupported[i]))
            return sl_fail(L->err, SL_INVALID, "%s statements are not supported by sluice; "
                           "load rows with :writeRows", unsupported[i]);
    return syntax(L, "one of SELECT, CREATE TABLE, DROP TABLE, DELETE, DESCRIBE, SHOW TABLES");
}

sl_code sl__ysql_parse(const char *text, size_t n, sl_arena_t *a, ysql_stmt *out, sl_err *err)
{
    memset(out, 0, sizeof *out);
    out->limit = -1;
    ylex L = {text, text, text + n, text, 0, SL_SLICE_NULL, a, err, 0};
    next(&L);
    sl_code rc = parse_statement(&L, out);
    if (rc == SL_OK)
        accept(&L, ';');
    if (rc == SL_OK && L.kind != 0)
        rc = syntax(&L, "<EOF>");
    return rc;
}

const char *sl__ysql_kind_name(uint8_t kind)
{
    static const char *const names[] = {"CREATE TABLE", "DROP TABLE", "SELECT", "SHOW TABLES",
                                        "DESCRIBE", "DELETE"};
    return kind < SL_COUNT(names) ? names[kind] : "?";
}

/* ---- translation to sluice's SQL --------------------------------------------------------- */

/* A string literal in sluice's SQL: quotes and backslashes escaped. An ISO-8601 instant
 * ('2023-01-01T00:00:00.000Z', as Yamcs users write times) becomes the DATETIME form. */
static void str_lit(sl_buf *b, sl_slice s)
{
    bool iso = s.n >= 16 && s.n <= 32 && s.p[10] == 'T' && isdigit((unsigned char)s.p[0]) &&
               s.p[4] == '-' && s.p[7] == '-';
    for (size_t i = 0; iso && i < s.n; i++)
        iso = isdigit((unsigned char)s.p[i]) || strchr("-T:.Z", s.p[i]);
    sl_buf_putc(b, '\'');
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (iso && (c == 'T' || c == 'Z')) {
            if (c == 'T')
                sl_buf_putc(b, ' ');
            continue;
        }
        if (c == '\'' || c == '\\')
            sl_buf_putc(b, '\\');
        sl_buf_putc(b, c);
    }
    sl_buf_putc(b, '\'');
}

static void render(sl_buf *b, const ysql_expr *e)
{
    switch (e->kind) {
    case YE_COL: sl_buf_ident(b, e->text); return;
    case YE_INT:
    case YE_FLOAT: sl_buf_append(b, e->text.p, e->text.n); return;
    case YE_STR: str_lit(b, e->text); return;
    case YE_NULL: sl_buf_puts(b, "NULL"); return;
    case YE_TRUE: sl_buf_puts(b, "TRUE"); return;
    case YE_FALSE: sl_buf_puts(b, "FALSE"); return;
    case YE_CALL:
        sl_buf_append(b, e->text.p, e->text.n);
        sl_buf_putc(b, '(');
        if (e->star)
            sl_buf_putc(b, '*');
        for (size_t i = 0; i < e->n; i++) {
            if (i)
                sl_buf_puts(b, ", ");
            render(b, e->args[i]);
        }
        sl_buf_putc(b, ')');
        return;
    case YE_NEG: sl_buf_puts(b, "(-"); render(b, e->args[0]); sl_buf_putc(b, ')'); return;
    case YE_NOT: sl_buf_puts(b, "(NOT "); render(b, e->args[0]); sl_buf_putc(b, ')'); return;
    case YE_BIN:
        if (strcmp(e->op, "||") == 0) { /* string concatenation (|| is OR in Doris) */
            sl_buf_puts(b, "concat(");
            render(b, e->args[0]);
            sl_buf_puts(b, ", ");
            render(b, e->args[1]);
            sl_buf_putc(b, ')');
            return;
        }
        sl_buf_putc(b, '(');
        render(b, e->args[0]);
        sl_buf_printf(b, " %s ", e->op);
        render(b, e->args[1]);
        sl_buf_putc(b, ')');
        return;
    case YE_AND:
    case YE_OR:
        sl_buf_putc(b, '(');
        for (size_t i = 0; i < e->n; i++) {
            if (i)
                sl_buf_puts(b, e->kind == YE_AND ? " AND " : " OR ");
            render(b, e->args[i]);
        }
        sl_buf_putc(b, ')');
        return;
    case YE_IN:
        sl_buf_putc(b, '(');
        render(b, e->args[0]);
        sl_buf_puts(b, e->neg ? " NOT IN (" : " IN (");
        for (size_t i = 1; i < e->n; i++) {
            if (i > 1)
                sl_buf_puts(b, ", ");
            render(b, e->args[i]);
        }
        sl_buf_puts(b, "))");
        return;
    case YE_LIKE:
    case YE_ISNULL:
    case YE_BETWEEN:
        sl_buf_putc(b, '(');
        render(b, e->args[0]);
        if (e->kind == YE_ISNULL) {
            sl_buf_puts(b, e->neg ? " IS NOT NULL)" : " IS NULL)");
            return;
        }
        sl_buf_puts(b, e->neg ? " NOT " : " ");
        sl_buf_puts(b, e->kind == YE_LIKE ? "LIKE " : "BETWEEN ");
        render(b, e->args[1]);
        if (e->kind == YE_BETWEEN) {
            sl_buf_puts(b, " AND ");
            render(b, e->args[2]);
        }
        sl_buf_putc(b, ')');
        return;
    default: return;
    }
}

static void key_order(sl_buf *b, const sl_tabledef *def, bool desc)
{
    bool first = true;
    for (size_t c = 0; c < def->n_cols; c++) {
        if (!def->cols[c].key)
            continue;
        sl_buf_puts(b, first ? " ORDER BY " : ", ");
        sl_buf_ident(b, def->cols[c].name);
        if (desc)
            sl_buf_puts(b, " DESC");
        first = false;
    }
}

static bool has_call(const ysql_expr *e)
{
    if (e == NULL)
        return false;
    if (e->kind == YE_CALL)
        return true;
    for (size_t i = 0; i < e->n; i++)
        if (has_call(e->args[i]))
            return true;
    return false;
}

static void where_limit(sl_buf *b, const ysql_stmt *st)
{
    if (st->where) {
        sl_buf_puts(b, " WHERE ");
        render(b, st->where);
    }
}

sl_code sl__ysql_select_sql(const ysql_stmt *st, const sl_tabledef *def, sl_buf *b,
                            sl_err *err)
{
    bool calls = false;
    sl_buf_puts(b, "SELECT ");
    for (size_t i = 0; i < st->n_items; i++) {
        const ysql_item *it = &st->items[i];
        if (i)
            sl_buf_puts(b, ", ");
        if (it->e == NULL) {
            sl_buf_putc(b, '*');
            continue;
        }
        calls = calls || has_call(it->e);
        render(b, it->e);
        if (it->alias.p) {
            sl_buf_puts(b, " AS ");
            sl_buf_ident(b, it->alias);
        }
    }
    sl_buf_puts(b, " FROM ");
    sl_buf_ident(b, st->table);
    where_limit(b, st);
    if (st->n_order) {
        for (size_t i = 0; i < st->n_order; i++) {
            sl_buf_puts(b, i ? ", " : " ORDER BY ");
            sl_buf_ident(b, st->order[i].col);
            if (st->order[i].desc)
                sl_buf_puts(b, " DESC");
        }
    } else if (st->key_order || (!calls && def->key_model == SL_KEYS_UNIQUE)) {
        /* Yamcs walks a table in key order: without ORDER the rows of a Yamcs table (UNIQUE
         * KEY) still come sorted by key, unless the list computes (count(*): no row order).
         * Other tables come in storage order, as Doris gives them. */
        key_order(b, def, st->key_order < 0);
    }
    if (st->limit >= 0)
        sl_buf_printf(b, " LIMIT %" PRId64, st->limit);
    if (st->offset > 0)
        sl_buf_printf(b, "%s OFFSET %" PRId64, st->limit >= 0 ? "" : " LIMIT 9223372036854775807",
                      st->offset);
    return b->oom ? sl_fail(err, SL_NOMEM, "out of memory") : SL_OK;
}

sl_code sl__ysql_delete_sql(const ysql_stmt *st, const sl_tabledef *def, sl_buf *b, sl_err *err)
{
    sl_buf_puts(b, "SELECT * FROM ");
    sl_buf_ident(b, st->table);
    where_limit(b, st);
    key_order(b, def, false);
    if (st->limit >= 0)
        sl_buf_printf(b, " LIMIT %" PRId64, st->limit);
    return b->oom ? sl_fail(err, SL_NOMEM, "out of memory") : SL_OK;
}
