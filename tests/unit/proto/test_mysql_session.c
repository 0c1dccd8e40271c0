/*
 * test_mysql_session.c - unit tests of the MySQL adapter's session statements
 * (src/proto/mysql_session.c, included for its statics): the tokenizer (comments, quotes,
 * @@variables) and SHOW VARIABLES' LIKE patterns.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/proto/mysql_session.c"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

static bool tok_is(const tok *t, int kind, const char *s)
{
    return t->kind == kind && t->s.n == strlen(s) && memcmp(t->s.p, s, t->s.n) == 0;
}

Test(mysql_session, tokens)
{
    tok t[MAX_TOKS];
    const char *q = "/* c */ SELECT @@session.auto_increment_increment AS `a b`, 'it''s' -- x\n"
                    "# y\n, DATABASE();";
    size_t n = tokenize(sl_slice_of(q), t, MAX_TOKS);
    cr_assert(eq(sz, n, 11));
    cr_assert(tok_is(&t[0], T_WORD, "SELECT"));
    cr_assert(tok_is(&t[1], T_WORD, "@@session.auto_increment_increment"));
    cr_assert(tok_is(&t[2], T_WORD, "AS"));
    cr_assert(tok_is(&t[3], T_QUOTED, "a b"));
    cr_assert(tok_is(&t[4], ',', ","));
    cr_assert(tok_is(&t[5], T_STR, "it"));      /* '' ends one string and starts another */
    cr_assert(tok_is(&t[6], T_STR, "s"));
    cr_assert(tok_is(&t[8], T_WORD, "DATABASE"));
    cr_assert(eq(sz, tokenize(SL_LIT("SELECT 'open"), t, MAX_TOKS), SIZE_MAX));
    cr_assert(eq(sz, tokenize(SL_LIT("/*!40101 SET NAMES utf8 */;"), t, MAX_TOKS), 0));
    char many[400] = "";
    for (int i = 0; i < 70; i++)
        strcat(many, "a ");
    cr_assert(eq(sz, tokenize(sl_slice_of(many), t, MAX_TOKS), SIZE_MAX));
}

Test(mysql_session, like_patterns)
{
    const char *p = "max\\_allowed%";
    cr_assert(like(p, p + strlen(p), "max_allowed_packet"));
    cr_assert(not(like(p, p + strlen(p), "maxXallowed_packet")));
    p = "%zone";
    cr_assert(like(p, p + strlen(p), "system_time_zone"));
    cr_assert(like(p, p + strlen(p), "TIME_ZONE"));
    p = "auto_mit";
    cr_assert(not(like(p, p + strlen(p), "autocommit")));
    p = "autoco_mit";
    cr_assert(like(p, p + strlen(p), "autocommit"));
    p = "";
    cr_assert(not(like(p, p, "x")));
    cr_assert(like(p, p, ""));
}
