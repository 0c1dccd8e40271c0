/*
 * fixture.h - the arena and error shared by the SQL front-end tests (test_lex.c, test_parse.c,
 * test_select.c): a fresh arena per test, freed after it, and z() to print a slice.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_TEST_SQL_FIXTURE_H
#define SL_TEST_SQL_FIXTURE_H

static sl_arena_t A;
static sl_err E;

static void setup(void)
{
    sl_arena_init(&A, 0);
    sl_err_clear(&E);
}

static void teardown(void)
{
    sl_arena_free(&A);
}

/* A NUL-terminated copy of s for eq(str, ...); "(null)" for a NULL slice. */
static inline char *z(sl_slice s)
{
    if (s.p == NULL)
        return (char *)"(null)";
    char *p = sl_arena_memdup(&A, s.p, s.n);
    cr_assert(p != NULL);
    return p;
}

#endif
