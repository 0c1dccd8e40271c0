/*
 * test_lex.c - the tokenizer of src/expr/lex.c: token kinds and positions, comments, quotes
 * with escapes, errors as TK_ERR tokens.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "../../../src/expr/internal.h"

static size_t lex_all(const char *text, sl__tok *out, size_t cap)
{
    sl_slice s = sl_slice_of(text);
    size_t pos = 0, n = 0;
    do
        sl__expr_lex(s, &pos, &out[n]);
    while (out[n++].kind != TK_EOF && n < cap);
    return n;
}

Test(lex, kinds_and_positions)
{
    sl__tok t[16];
    size_t n = lex_all("a1 >= 12.5e3 `x y` 'it''s' <=> .5 1.", t, 16);
    cr_assert(eq(sz, n, 9)); /* 8 tokens and EOF */
    cr_expect(eq(int, t[0].kind, TK_IDENT));
    cr_expect(t[1].kind == TK_OP && t[1].op == OP_GE);
    cr_expect(t[2].kind == TK_FLOAT && t[2].pos == 6);
    cr_expect(t[3].kind == TK_QIDENT && sl_slice_eq(t[3].text, "x y"));
    cr_expect(t[4].kind == TK_STR && sl_slice_eq(t[4].text, "it''s"));
    cr_expect(eq(int, t[5].op, OP_NSEQ));
    cr_expect(t[6].kind == TK_DEC && sl_slice_eq(t[6].text, ".5"));
    cr_expect(t[7].kind == TK_DEC && sl_slice_eq(t[7].text, "1."));
}

Test(lex, comments_and_minus)
{
    sl__tok t[8];
    size_t n = lex_all("1 -- note\n+ /* c */ 2 # tail", t, 8);
    cr_assert(eq(sz, n, 4));
    cr_expect(eq(int, t[1].op, OP_PLUS));
    cr_expect(sl_slice_eq(t[2].text, "2"));
    n = lex_all("--1", t, 8); /* not a comment without the space */
    cr_expect(eq(sz, n, 4));
    cr_expect(eq(int, t[0].op, OP_MINUS));
}

Test(lex, errors)
{
    sl__tok t[4];
    lex_all("'open", t, 4);
    cr_expect(eq(int, t[0].kind, TK_ERR));
    lex_all("@", t, 4);
    cr_expect(eq(int, t[0].kind, TK_ERR));
    lex_all("12abc", t, 4);
    cr_expect(t[0].kind == TK_ERR && sl_slice_eq(t[0].text, "12abc"));
    lex_all("'a\\'", t, 4); /* the quote is escaped: unterminated */
    cr_expect(eq(int, t[0].kind, TK_ERR));
}

Test(lex, unescape)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_slice v = sl__expr_unescape(&a, SL_LIT("a\\nb\\tc\\\\d\\'e''f\\%g\\x"), '\'');
    cr_expect(eq(sz, v.n, 15));
    cr_expect(eq(int, memcmp(v.p, "a\nb\tc\\d'e'f\\%gx", 15), 0));
    v = sl__expr_unescape(&a, SL_LIT("a``b\\n"), '`');
    cr_expect(sl_slice_eq(v, "a`b\\n"));
    sl_arena_free(&a);
}
