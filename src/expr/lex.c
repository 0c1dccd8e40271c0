/*
 * lex.c - tokenizer of the Doris expression dialect (expr stage, first step of parsing).
 *
 * parse.c pulls one token at a time. Words, numbers, 'single' / "double" quoted strings,
 * `backquoted` names and punctuation; `-- ` (MySQL: dash dash space, so `--1` is minus minus
 * one) and `#` comments run to the end of the line and
 * C comments are skipped. Errors (an unterminated quote, a byte that starts no token) come
 * back as TK_ERR so that the parser reports them with its position.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include "internal.h"

static bool is_word(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '$' || c >= 0x80;
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Skip white space and comments; returns the new offset. */
static size_t skip_space(sl_slice s, size_t i)
{
    for (;;) {
        while (i < s.n && (s.p[i] == ' ' || (s.p[i] >= '\t' && s.p[i] <= '\r')))
            i++;
        if (i + 1 < s.n && s.p[i] == '-' && s.p[i + 1] == '-' &&
            (i + 2 == s.n || s.p[i + 2] == ' ' || (s.p[i + 2] >= '\t' && s.p[i + 2] <= '\r'))) {
            while (i < s.n && s.p[i] != '\n')
                i++;
        } else if (i < s.n && s.p[i] == '#') {
            while (i < s.n && s.p[i] != '\n')
                i++;
        } else if (i + 1 < s.n && s.p[i] == '/' && s.p[i + 1] == '*') {
            i += 2;
            while (i + 1 < s.n && !(s.p[i] == '*' && s.p[i + 1] == '/'))
                i++;
            i = i + 1 < s.n ? i + 2 : s.n;
        } else {
            return i;
        }
    }
}

/* A number starting at i: digits [. digits] [e [+-] digits], or . digits. */
static size_t lex_number(sl_slice s, size_t i, sl__tok *t)
{
    t->kind = TK_INT;
    while (i < s.n && is_digit((unsigned char)s.p[i]))
        i++;
    if (i < s.n && s.p[i] == '.') {
        t->kind = TK_DEC;
        i++;
        while (i < s.n && is_digit((unsigned char)s.p[i]))
            i++;
    }
    if (i < s.n && (s.p[i] == 'e' || s.p[i] == 'E')) {
        size_t j = i + 1;
        if (j < s.n && (s.p[j] == '+' || s.p[j] == '-'))
            j++;
        if (j < s.n && is_digit((unsigned char)s.p[j])) {
            while (j < s.n && is_digit((unsigned char)s.p[j]))
                j++;
            t->kind = TK_FLOAT;
            i = j;
        }
    }
    /* 123abc is a word in MySQL; here it is an error: a number glued to a word. */
    if (i < s.n && is_word((unsigned char)s.p[i]))
        t->kind = TK_ERR;
    return i;
}

/* A quoted run from the opening quote at i; returns the offset after the closing quote, with
 * t->text = the body. A doubled quote stands for itself; backslash escapes the next byte. */
static size_t lex_quoted(sl_slice s, size_t i, char q, sl__tok *t)
{
    size_t start = ++i;
    while (i < s.n) {
        if (s.p[i] == '\\' && q != '`') {
            i += 2;
        } else if (s.p[i] == q) {
            if (i + 1 < s.n && s.p[i + 1] == q) {
                i += 2;
                continue;
            }
            t->text = (sl_slice){s.p + start, i - start};
            return i + 1;
        } else {
            i++;
        }
    }
    t->kind = TK_ERR;
    t->text = (sl_slice){s.p + start - 1, s.n - start + 1};
    return s.n;
}

static const struct {
    char s[4];
    uint8_t op;
} ops[] = {
    {"<=>", OP_NSEQ}, {"<=", OP_LE}, {">=", OP_GE}, {"<>", OP_NE}, {"!=", OP_NE},
    {"&&", OP_AND2}, {"||", OP_OR2}, {"==", OP_EQ}, {"(", OP_LP}, {")", OP_RP},
    {",", OP_COMMA}, {".", OP_DOT}, {";", OP_SEMI}, {"*", OP_STAR}, {"+", OP_PLUS},
    {"-", OP_MINUS}, {"/", OP_SLASH}, {"%", OP_PCT}, {"=", OP_EQ}, {"<", OP_LT},
    {">", OP_GT}, {"!", OP_BANG}, {"[", OP_LB}, {"]", OP_RB}, {"{", OP_LC}, {"}", OP_RC},
    {":", OP_COLON},
};

static size_t lex_op(sl_slice s, size_t i, sl__tok *t)
{
    for (size_t k = 0; k < SL_COUNT(ops); k++) {
        size_t len = strlen(ops[k].s);
        if (i + len <= s.n && memcmp(s.p + i, ops[k].s, len) == 0) {
            t->kind = TK_OP;
            t->op = ops[k].op;
            t->text = (sl_slice){s.p + i, len};
            return i + len;
        }
    }
    t->kind = TK_ERR;
    t->text = (sl_slice){s.p + i, 1};
    return i + 1;
}

void sl__expr_lex(sl_slice s, size_t *pos, sl__tok *t)
{
    size_t i = skip_space(s, *pos), end;
    unsigned char c = i < s.n ? (unsigned char)s.p[i] : 0;
    t->pos = i;
    t->op = 0;
    if (i >= s.n) {
        t->kind = TK_EOF;
        t->text = (sl_slice){s.p + s.n, 0};
        *pos = s.n;
        return;
    }
    if (is_digit(c) || (c == '.' && i + 1 < s.n && is_digit((unsigned char)s.p[i + 1]))) {
        end = lex_number(s, i, t);
        if (t->kind == TK_ERR)
            while (end < s.n && is_word((unsigned char)s.p[end]))
                end++;
        t->text = (sl_slice){s.p + i, end - i};
    } else if (is_word(c)) {
        end = i;
        while (end < s.n && is_word((unsigned char)s.p[end]))
            end++;
        t->kind = TK_IDENT;
        t->text = (sl_slice){s.p + i, end - i};
    } else if (c == '\'' || c == '"' || c == '`') {
        t->kind = c == '`' ? TK_QIDENT : TK_STR;
        end = lex_quoted(s, i, (char)c, t);
    } else {
        end = lex_op(s, i, t);
    }
    *pos = end;
}

sl_slice sl__expr_unescape(sl_arena_t *a, sl_slice raw, char quote)
{
    char *out = sl_arena_alloc(a, raw.n + 1);
    size_t n = 0;
    if (out == NULL)
        return SL_SLICE_NULL;
    for (size_t i = 0; i < raw.n; i++) {
        char c = raw.p[i];
        if (c == quote && i + 1 < raw.n && raw.p[i + 1] == quote) {
            i++;
        } else if (c == '\\' && quote != '`' && i + 1 < raw.n) {
            c = raw.p[++i];
            switch (c) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case '0': c = '\0'; break;
            case 'b': c = '\b'; break;
            case 'Z': c = '\032'; break;
            case '%':
            case '_': /* kept escaped for LIKE, as MySQL does */
                out[n++] = '\\';
                break;
            default: break; /* \\ \' \" and any other byte stand for themselves */
            }
        }
        out[n++] = c;
    }
    out[n] = '\0';
    return (sl_slice){out, n};
}
