/*
 * lex.c - the tokenizer of the statement parser (sql stage), plus the token helpers that
 * parse.c and select.c share.
 *
 *   text --lex_all--> sl__tok[] (arena) --parse.c / select.c--> sl_stmt
 *
 * The dialect is MySQL's as Doris speaks it: case-insensitive keywords, `backquoted`
 * identifiers (`` inside stands for one backquote), '...' and "..." strings with backslash
 * escapes and doubled quotes, -- line comments and C-style block comments. The text is scanned
 * twice, once to count the tokens and once to fill an array of exactly that size, so the token
 * array costs no reallocation.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../core/arena.h"
#include "internal.h"

/* Cursor over the text; line_start is the offset of the first byte of the current line. */
typedef struct lexer {
    const char *p;
    size_t n;
    size_t i;
    uint32_t line;
    size_t line_start;
} lexer;

static bool is_word_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' || c >= 0x80;
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_word_char(unsigned char c)
{
    return is_word_start(c) || is_digit(c);
}

static bool is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Move the cursor to `to`, counting the newlines passed over. */
static void advance(lexer *L, size_t to)
{
    for (size_t k = L->i; k < to; k++) {
        if (L->p[k] == '\n') {
            L->line++;
            L->line_start = k + 1;
        }
    }
    L->i = to;
}

/* Skip whitespace and comments. Returns false at an unterminated block comment, with the
 * cursor left at the comment's start. */
static bool skip_space(lexer *L)
{
    const char *p = L->p;
    for (;;) {
        size_t i = L->i;
        if (i < L->n && (p[i] == ' ' || (p[i] >= '\t' && p[i] <= '\r'))) {
            advance(L, i + 1);
        } else if (i + 1 < L->n && p[i] == '-' && p[i + 1] == '-') {
            while (i < L->n && p[i] != '\n')
                i++;
            advance(L, i);
        } else if (i + 1 < L->n && p[i] == '/' && p[i + 1] == '*') {
            const char *end = NULL;
            if (i + 2 < L->n)
                end = memmem(p + i + 2, L->n - i - 2, "*/", 2);
            if (end == NULL)
                return false;
            advance(L, (size_t)(end - p) + 2);
        } else {
            return true;
        }
    }
}

/* Scan a quoted token starting at p[i] == q. Strings take backslash escapes, identifiers do
 * not; both take a doubled quote. Returns the offset after the closing quote or SIZE_MAX. */
static size_t scan_quoted(const char *p, size_t n, size_t i, bool backslash, bool *escaped)
{
    char q = p[i++];
    *escaped = false;
    while (i < n) {
        if (backslash && p[i] == '\\') {
            if (i + 1 >= n)
                return SIZE_MAX;
            *escaped = true;
            i += 2;
        } else if (p[i] == q) {
            if (i + 1 < n && p[i + 1] == q) {
                *escaped = true;
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i++;
        }
    }
    return SIZE_MAX;
}

/* Scan a number at p[i] (a digit, or '.' before a digit). Sets *word when letters follow
 * directly, which MySQL reads as an identifier such as 1abc. Returns the end offset. */
static size_t scan_number(const char *p, size_t n, size_t i, bool *word)
{
    *word = false;
    if (p[i] == '0' && i + 2 < n && (p[i + 1] == 'x' || p[i + 1] == 'X') && is_hex((unsigned char)p[i + 2])) {
        i += 2;
        while (i < n && is_hex((unsigned char)p[i]))
            i++;
    } else {
        while (i < n && is_digit((unsigned char)p[i]))
            i++;
        if (i < n && p[i] == '.')
            for (i++; i < n && is_digit((unsigned char)p[i]); i++)
                ;
        if (i + 1 < n && (p[i] == 'e' || p[i] == 'E')) {
            size_t k = i + 1;
            if (k < n && (p[k] == '+' || p[k] == '-'))
                k++;
            if (k < n && is_digit((unsigned char)p[k]))
                for (i = k; i < n && is_digit((unsigned char)p[i]); i++)
                    ;
        }
    }
    if (i < n && is_word_char((unsigned char)p[i])) {
        *word = true;
        while (i < n && is_word_char((unsigned char)p[i]))
            i++;
    }
    return i;
}

/* Length of the operator at p[i], 0 for a byte that starts no token. */
static size_t scan_op(const char *p, size_t n, size_t i)
{
    char c = p[i], d = i + 1 < n ? p[i + 1] : '\0';
    switch (c) {
    case '<':
        if (d == '=' && i + 2 < n && p[i + 2] == '>')
            return 3;
        return d == '=' || d == '>' || d == '<' ? 2 : 1;
    case '>': return d == '=' || d == '>' ? 2 : 1;
    case '!':
    case '=': return d == '=' ? 2 : 1;
    case '&': return d == '&' ? 2 : 1;
    case '|': return d == '|' ? 2 : 1;
    case ':': return d == '=' ? 2 : 1;
    case '(': case ')': case ',': case ';': case '.': case '+': case '-': case '*': case '/':
    case '%': case '[': case ']': case '~': case '^': case '{': case '}': case '?': case '@':
        return 1;
    default: return 0;
    }
}

/* Scan one token at the cursor (whitespace already skipped, not at the end) into *t.
 * Returns SL_OK or SL_INVALID_SQL. */
static sl_code scan_token(sl__parser *P, lexer *L, sl__tok *t)
{
    const char *p = L->p;
    size_t i = L->i, end;
    unsigned char c = (unsigned char)p[i];
    bool flag = false;
    *t = (sl__tok){.line = L->line, .col = (uint32_t)(i - L->line_start + 1), .off = i};
    if (c == '\'' || c == '"' || c == '`') {
        end = scan_quoted(p, L->n, i, c != '`', &flag);
        if (end == SIZE_MAX)
            return sl_fail(P->err, SL_INVALID_SQL, "unterminated %s at line %u, column %u",
                           c == '`' ? "quoted identifier" : "string", t->line, t->col);
        t->kind = c == '`' ? SL__TK_QIDENT : SL__TK_STRING;
        t->escaped = flag;
    } else if (is_digit(c) || (c == '.' && i + 1 < L->n && is_digit((unsigned char)p[i + 1]))) {
        end = scan_number(p, L->n, i, &flag);
        t->kind = flag ? SL__TK_WORD : SL__TK_NUMBER;
    } else if (is_word_start(c)) {
        for (end = i + 1; end < L->n && is_word_char((unsigned char)p[end]); end++)
            ;
        t->kind = SL__TK_WORD;
    } else {
        size_t len = scan_op(p, L->n, i);
        if (len == 0) {
            t->kind = SL__TK_OP;
            t->len = 1;
            return sl__sql_syntax(P, t);
        }
        end = i + len;
        t->kind = SL__TK_OP;
    }
    t->len = end - i;
    advance(L, end);
    return SL_OK;
}

/* Scan the whole text; with out == NULL only count. The EOF token is included. */
static sl_code lex_all(sl__parser *P, sl__tok *out, size_t *count)
{
    lexer L = {P->text, P->n, 0, 1, 0};
    size_t k = 0;
    for (;;) {
        if (!skip_space(&L))
            return sl_fail(P->err, SL_INVALID_SQL, "unterminated comment at line %u, column %u",
                           L.line, (unsigned)(L.i - L.line_start + 1));
        sl__tok t;
        if (L.i >= L.n) {
            t = (sl__tok){.kind = SL__TK_EOF, .line = L.line,
                          .col = (uint32_t)(L.i - L.line_start + 1), .off = L.n};
        } else {
            sl_code rc = scan_token(P, &L, &t);
            if (rc != SL_OK)
                return rc;
        }
        if (out)
            out[k] = t;
        k++;
        if (t.kind == SL__TK_EOF)
            break;
    }
    *count = k;
    return SL_OK;
}

sl_code sl__sql_lex(sl__parser *P)
{
    size_t count = 0;
    if (P->n > UINT32_MAX)
        return sl_fail(P->err, SL_INVALID_SQL, "statement too long");
    /* A raw NUL byte would cut the statement short wherever it is handed on as C text (an
     * engine stops reading there), so it is refused up front; "\0" inside a string is fine. */
    const char *nul = memchr(P->text, '\0', P->n);
    if (nul != NULL) {
        lexer L = {P->text, P->n, 0, 1, 0};
        advance(&L, (size_t)(nul - P->text));
        return sl_fail(P->err, SL_INVALID_SQL, "NUL byte at line %u, column %u", L.line,
                       (unsigned)(L.i - L.line_start + 1));
    }
    sl_code rc = lex_all(P, NULL, &count);
    if (rc != SL_OK)
        return rc;
    if (count > SIZE_MAX / sizeof(sl__tok))
        return sl_fail(P->err, SL_NOMEM, "statement too long");
    P->toks = sl_arena_alloc(P->a, count * sizeof(sl__tok));
    if (P->toks == NULL)
        return sl_fail(P->err, SL_NOMEM, "cannot allocate tokens");
    P->n_toks = count;
    P->pos = 0;
    return lex_all(P, P->toks, &count);
}

const sl__tok *sl__sql_peek(const sl__parser *P, size_t k)
{
    size_t i = P->pos + k;
    if (i >= P->n_toks || i < P->pos)
        i = P->n_toks - 1;
    return &P->toks[i];
}

const sl__tok *sl__sql_next(sl__parser *P)
{
    const sl__tok *t = &P->toks[P->pos];
    if (t->kind != SL__TK_EOF)
        P->pos++;
    return t;
}

sl_slice sl__sql_raw(const sl__parser *P, const sl__tok *t)
{
    return (sl_slice){P->text + t->off, t->len};
}

bool sl__sql_is_kw(const sl__parser *P, const sl__tok *t, const char *kw)
{
    /* Called for every token against many keywords, so no strlen: a WORD never holds a NUL
     * byte, so a shorter kw fails at its terminator. */
    if (t->kind != SL__TK_WORD)
        return false;
    const char *s = P->text + t->off;
    for (size_t i = 0; i < t->len; i++) {
        char c = s[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c != kw[i])
            return false;
    }
    return kw[t->len] == '\0';
}

bool sl__sql_is_op(const sl__parser *P, const sl__tok *t, const char *op)
{
    if (t->kind != SL__TK_OP)
        return false;
    const char *s = P->text + t->off;
    for (size_t i = 0; i < t->len; i++)
        if (s[i] != op[i])
            return false;
    return op[t->len] == '\0';
}

bool sl__sql_is_name(const sl__tok *t)
{
    return t->kind == SL__TK_WORD || t->kind == SL__TK_QIDENT;
}

bool sl__sql_accept_kw(sl__parser *P, const char *kw)
{
    if (!sl__sql_is_kw(P, sl__sql_peek(P, 0), kw))
        return false;
    sl__sql_next(P);
    return true;
}

bool sl__sql_accept_op(sl__parser *P, const char *op)
{
    if (!sl__sql_is_op(P, sl__sql_peek(P, 0), op))
        return false;
    sl__sql_next(P);
    return true;
}

sl_code sl__sql_expect_kw(sl__parser *P, const char *kw)
{
    return sl__sql_accept_kw(P, kw) ? SL_OK : sl__sql_syntax(P, sl__sql_peek(P, 0));
}

sl_code sl__sql_expect_op(sl__parser *P, const char *op)
{
    return sl__sql_accept_op(P, op) ? SL_OK : sl__sql_syntax(P, sl__sql_peek(P, 0));
}

sl_code sl__sql_syntax(sl__parser *P, const sl__tok *t)
{
    if (t->kind == SL__TK_EOF)
        return sl_fail(P->err, SL_INVALID_SQL,
                       "syntax error at line %u, column %u: unexpected end of input", t->line,
                       t->col);
    /* Show at most 40 bytes of the token, and never past the end of its line. */
    size_t len = t->len < 40 ? t->len : 40;
    const char *nl = memchr(P->text + t->off, '\n', len);
    if (nl)
        len = (size_t)(nl - (P->text + t->off));
    return sl_fail(P->err, SL_INVALID_SQL, "syntax error at line %u, column %u near '%.*s'",
                   t->line, t->col, (int)len, P->text + t->off);
}

/* Decode the inside of a quoted token (quote q) into out; returns the decoded length, which is
 * never more than n. MySQL escapes: \0 \' \" \b \n \r \t \Z \\; \% and \_ keep the backslash
 * (they are LIKE escapes); any other \c is c. */
static size_t unescape(const char *p, size_t n, char q, char *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == q && i + 1 < n && p[i + 1] == q) {
            i++;
        } else if (c == '\\' && q != '`' && i + 1 < n) {
            c = p[++i];
            switch (c) {
            case '0': c = '\0'; break;
            case 'b': c = '\b'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'Z': c = '\032'; break;
            case '%':
            case '_': out[k++] = '\\'; break;
            default: break;
            }
        }
        out[k++] = c;
    }
    return k;
}

sl_code sl__sql_value(sl__parser *P, const sl__tok *t, sl_slice *out)
{
    const char *raw = P->text + t->off;
    size_t n = t->len;
    bool quoted = t->kind == SL__TK_STRING || t->kind == SL__TK_QIDENT;
    if (quoted)
        raw++, n -= 2;
    char *s = sl_arena_memdup(P->a, raw, n);
    if (s == NULL)
        return sl_fail(P->err, SL_NOMEM, "cannot copy token");
    if (quoted && t->escaped) {
        n = unescape(raw, n, P->text[t->off], s);
        s[n] = '\0';
    }
    *out = (sl_slice){s, n};
    return SL_OK;
}

sl_code sl__sql_ident(sl__parser *P, sl_slice *out)
{
    const sl__tok *t = sl__sql_peek(P, 0);
    if (!sl__sql_is_name(t) || (t->kind == SL__TK_QIDENT && t->len == 2))
        return sl__sql_syntax(P, t);
    sl__sql_next(P);
    return sl__sql_value(P, t, out);
}

sl_code sl__sql_qname(sl__parser *P, sl_slice *db, sl_slice *name)
{
    *db = SL_SLICE_NULL;
    sl_code rc = sl__sql_ident(P, name);
    if (rc != SL_OK || !sl__sql_accept_op(P, "."))
        return rc;
    *db = *name;
    return sl__sql_ident(P, name);
}

void *sl__sql_grow(sl__parser *P, void *base, size_t n, size_t *cap, size_t elem)
{
    if (n < *cap)
        return base;
    size_t ncap = *cap ? *cap * 2 : 4;
    void *p = NULL;
    if (ncap <= SIZE_MAX / elem)
        p = sl_arena_alloc(P->a, ncap * elem);
    if (p == NULL) {
        sl_fail(P->err, SL_NOMEM, "cannot grow list");
        return NULL;
    }
    if (n)
        memcpy(p, base, n * elem);
    *cap = ncap;
    return p;
}
