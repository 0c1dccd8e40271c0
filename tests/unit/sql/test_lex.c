/*
 * test_lex.c - unit tests for src/sql/lex.c: token kinds, positions, comments, escapes.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "../../../src/core/arena.h"
#include "../../../src/sql/internal.h"
#include "fixture.h"

static sl__parser P;

TestSuite(lex, .init = setup, .fini = teardown);

static sl_code lex(const char *text)
{
    sl_err_clear(&E);
    P = (sl__parser){.text = text, .n = strlen(text), .a = &A, .err = &E};
    return sl__sql_lex(&P);
}

static char *raw(size_t i)
{
    sl_slice s = sl__sql_raw(&P, &P.toks[i]);
    return sl_arena_memdup(&A, s.p, s.n);
}

static char *value(size_t i)
{
    sl_slice v;
    cr_assert(eq(int, sl__sql_value(&P, &P.toks[i], &v), SL_OK));
    return (char *)v.p;
}

Test(lex, kinds_and_positions)
{
    cr_assert(eq(int, lex("SELECT `a`,'s' -- c\n  \"d\" 1.5e3 .5 0x1F 1abc <=> != <> a.b /* x\n */ ;"),
                 SL_OK));
    static const struct {
        int kind;
        const char *raw;
        unsigned line, col;
    } want[] = {
        {SL__TK_WORD, "SELECT", 1, 1},  {SL__TK_QIDENT, "`a`", 1, 8},  {SL__TK_OP, ",", 1, 11},
        {SL__TK_STRING, "'s'", 1, 12},  {SL__TK_STRING, "\"d\"", 2, 3}, {SL__TK_NUMBER, "1.5e3", 2, 7},
        {SL__TK_NUMBER, ".5", 2, 13},   {SL__TK_NUMBER, "0x1F", 2, 16}, {SL__TK_WORD, "1abc", 2, 21},
        {SL__TK_OP, "<=>", 2, 26},      {SL__TK_OP, "!=", 2, 30},      {SL__TK_OP, "<>", 2, 33},
        {SL__TK_WORD, "a", 2, 36},      {SL__TK_OP, ".", 2, 37},       {SL__TK_WORD, "b", 2, 38},
        {SL__TK_OP, ";", 3, 5},         {SL__TK_EOF, "", 3, 6},
    };
    cr_assert(eq(sz, P.n_toks, SL_COUNT(want)));
    for (size_t i = 0; i < SL_COUNT(want); i++) {
        cr_assert(eq(int, P.toks[i].kind, want[i].kind), "token %zu", i);
        cr_assert(eq(str, raw(i), (char *)want[i].raw), "token %zu", i);
        cr_assert(eq(u32, P.toks[i].line, want[i].line), "token %zu", i);
        cr_assert(eq(u32, P.toks[i].col, want[i].col), "token %zu", i);
    }
}

Test(lex, escapes)
{
    cr_assert(eq(int, lex("'a\\'b' \"c\"\"d\" 'e''f' '\\t\\n\\r\\b\\Z\\\\\\%\\_\\q' `x``y` `p\\q`"),
                 SL_OK));
    cr_assert(eq(str, value(0), "a'b"));
    cr_assert(eq(str, value(1), "c\"d"));
    cr_assert(eq(str, value(2), "e'f"));
    cr_assert(eq(str, value(3), "\t\n\r\b\032\\\\%\\_q"));
    cr_assert(eq(str, value(4), "x`y"));
    cr_assert(eq(str, value(5), "p\\q"));
    cr_assert(eq(int, lex("'a\\0b'"), SL_OK));
    sl_slice v;
    cr_assert(eq(int, sl__sql_value(&P, &P.toks[0], &v), SL_OK));
    cr_assert(eq(sz, v.n, 3));
    cr_assert(eq(int, memcmp(v.p, "a\0b", 3), 0));
}

Test(lex, keyword_helpers)
{
    cr_assert(eq(int, lex("select `select` ( )"), SL_OK));
    cr_assert(sl__sql_is_kw(&P, &P.toks[0], "SELECT"));
    cr_assert(not(sl__sql_is_kw(&P, &P.toks[1], "SELECT")));
    cr_assert(sl__sql_is_name(&P.toks[1]));
    cr_assert(sl__sql_accept_kw(&P, "SELECT"));
    cr_assert(not(sl__sql_accept_op(&P, "(")));
    sl_slice id;
    cr_assert(eq(int, sl__sql_ident(&P, &id), SL_OK));
    cr_assert(eq(str, (char *)id.p, "select"));
    cr_assert(eq(int, sl__sql_expect_op(&P, "("), SL_OK));
    cr_assert(eq(int, sl__sql_expect_kw(&P, "FROM"), SL_INVALID_SQL));
    cr_assert(eq(str, E.msg, "syntax error at line 1, column 19 near ')'"));
    sl__sql_next(&P);
    cr_assert(eq(int, sl__sql_peek(&P, 0)->kind, SL__TK_EOF));
    cr_assert(eq(int, sl__sql_peek(&P, 5)->kind, SL__TK_EOF));
    sl__sql_next(&P);
    cr_assert(eq(int, sl__sql_peek(&P, 0)->kind, SL__TK_EOF));
}

Test(lex, errors)
{
    cr_assert(eq(int, lex("a 'b"), SL_INVALID_SQL));
    cr_assert(eq(str, E.msg, "unterminated string at line 1, column 3"));
    cr_assert(eq(int, lex("\n\n  `b"), SL_INVALID_SQL));
    cr_assert(eq(str, E.msg, "unterminated quoted identifier at line 3, column 3"));
    cr_assert(eq(int, lex("'ends with backslash\\"), SL_INVALID_SQL));
    cr_assert(eq(int, lex("x /* never closed *"), SL_INVALID_SQL));
    cr_assert(eq(str, E.msg, "unterminated comment at line 1, column 3"));
    cr_assert(eq(int, lex("a \\ b"), SL_INVALID_SQL));
    cr_assert(eq(str, E.msg, "syntax error at line 1, column 3 near '\\'"));
    static const char nul[] = "a\n 'b\0c'";
    P = (sl__parser){.text = nul, .n = sizeof nul - 1, .a = &A, .err = &E};
    sl_err_clear(&E);
    cr_assert(eq(int, sl__sql_lex(&P), SL_INVALID_SQL));
    cr_assert(eq(str, E.msg, "NUL byte at line 2, column 4"));
    cr_assert(eq(int, lex("-- only a comment"), SL_OK));
    cr_assert(eq(sz, P.n_toks, 1));
    cr_assert(eq(int, lex(""), SL_OK));
    cr_assert(eq(sz, P.n_toks, 1));
}

Test(lex, grow_keeps_items)
{
    cr_assert(eq(int, lex("x"), SL_OK));
    int *v = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < 1000; i++)
        cr_assert(eq(int, SL__SQL_PUSH(&P, v, n, cap, i), SL_OK));
    cr_assert(eq(sz, n, 1000));
    cr_assert(ge(sz, cap, 1000));
    for (int i = 0; i < 1000; i++)
        cr_assert(eq(int, v[i], i));
}
