/* Unit tests of src/core/arena.c, buf.c, status.c and jsonval.c.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/jsonval.h"
#include "core/status.h"

static int cleaned;
static void bump(void *arg)
{
    cleaned += *(int *)arg;
}

Test(arena, alloc_align_reset_cleanups)
{
    sl_arena_t a;
    sl_arena_init(&a, 64);
    char *p = sl_arena_alloc(&a, 3);
    char *q = sl_arena_alloc(&a, 5);
    cr_assert(p != NULL && q != NULL);
    cr_assert(eq(int, (int)(((uintptr_t)q) % 16), 0));
    char *big = sl_arena_alloc(&a, 1000); /* larger than a chunk */
    memset(big, 'x', 1000);
    char *d = sl_arena_memdup(&a, "hello", 5);
    cr_assert(eq(str, d, "hello"));
    int one = 1, two = 2;
    cleaned = 0;
    cr_assert(sl_arena_on_reset(&a, bump, &one));
    cr_assert(sl_arena_on_reset(&a, bump, &two));
    sl_arena_reset(&a);
    cr_assert(eq(int, cleaned, 3));
    cr_assert(eq(sz, a.used, 0));
    cr_assert(sl_arena_alloc(&a, SIZE_MAX - 3) == NULL); /* no wrap to a tiny block */
    char *s = sl_arena_printf(&a, "%d-%s", 42, "x");
    cr_assert(eq(str, s, "42-x"));
    sl_arena_free(&a);
    cr_assert(eq(int, cleaned, 3)); /* cleanups ran once only */
}

Test(arena, grow_doubles_and_keeps_elements)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    int *v = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < 100; i++) {
        int *nv = sl_arena_grow(&a, v, n, &cap, sizeof *nv);
        cr_assert(nv != NULL);
        cr_assert(n < cap);
        if (v != NULL && nv != v)
            cr_assert(eq(sz, cap, 2 * n), "a new array only when full");
        v = nv;
        v[n++] = i * 7;
    }
    cr_assert(eq(sz, cap, 128));
    for (int i = 0; i < 100; i++)
        cr_assert(eq(int, v[i], i * 7));
    /* room left: the same array back */
    cr_assert(eq(ptr, sl_arena_grow(&a, v, n, &cap, sizeof *v), v));
    /* an element size that overflows: NULL, cap kept */
    size_t big = 1;
    cr_assert(sl_arena_grow(&a, v, 1, &big, SIZE_MAX / 2) == NULL);
    cr_assert(eq(sz, big, 1));
    sl_arena_free(&a);
}

Test(buf, backquoted_identifier)
{
    sl_buf b = {0};
    sl_buf_ident(&b, sl_slice_of("a`b"));
    sl_buf_ident(&b, sl_slice_of(""));
    cr_assert(not(b.oom));
    cr_assert(eq(int, (int)b.len, 8));
    cr_assert(memcmp(b.p, "`a``b```", 8) == 0);
    sl_buf_free(&b);
}

Test(buf, json_escaping)
{
    sl_buf b = SL_BUF_INIT;
    sl_json_str(&b, "a\"b\\c\n\x01\xc3\xa9\xff", 10);
    cr_assert(eq(str, b.p, "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\xef\xbf\xbd\""));
    sl_buf_clear(&b);
    sl_json_str_bytes(&b, "a\"b\\c\n\x01\xc3\xa9\xff", 10); /* the same, bytes kept */
    cr_assert(eq(str, b.p, "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\xff\""));
    sl_buf_clear(&b);
    sl_buf_printf(&b, "%0300d", 7); /* longer than the printf fast path */
    cr_assert(eq(sz, b.len, 300));
    sl_buf_free(&b);
}

Test(status, first_error_wins_and_names)
{
    sl_err e = {0};
    cr_assert(eq(int, sl_fail(&e, SL_INVALID, "bad %d", 1), SL_INVALID));
    cr_assert(eq(int, sl_fail(&e, SL_NOMEM, "later"), SL_INVALID));
    cr_assert(eq(str, e.msg, "bad 1"));
    cr_assert(eq(str, (char *)sl_code_name(SL_INVALID_SQL), "INVALID"));
    cr_assert(eq(str, (char *)sl_code_doris(SL_REJECTED), "DATA_QUALITY_ERROR"));
    cr_assert(eq(int, sl_code_yamcs_http(SL_NOT_FOUND), 404));
    cr_assert(eq(int, sl_code_tsload_http(SL_UNAUTHORIZED), 401));
    sl_err_clear(&e);
    cr_assert(eq(int, e.code, SL_OK));
}

Test(jsonval, parse_and_get)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_jval *v;
    sl_err e = {0};
    const char *doc = " {\"stmt\": \"select \\\"x\\\" \\u00e9\\ud83d\\ude00\", \"is_sync\": false,"
                      " \"limit\": 10, \"a\": [1, null, {\"b\": true}]} ";
    cr_assert(eq(int, sl_json_parse(doc, strlen(doc), &a, &v, &e), SL_OK));
    const sl_jval *s = sl_json_get(v, "stmt");
    cr_assert(s != NULL && s->type == SL_J_STR);
    cr_assert(eq(str, (char *)s->s.p, "select \"x\" \xc3\xa9\xf0\x9f\x98\x80"));
    cr_assert(eq(int, sl_json_get(v, "is_sync")->b, 0));
    cr_assert(sl_slice_eq(sl_json_get(v, "limit")->s, "10"));
    cr_assert(eq(sz, sl_json_get(v, "a")->n, 3));
    cr_assert(sl_json_get(v, "missing") == NULL);
    static const char *const bad[] = {"", "{", "{\"a\" 1}", "[1,]", "01", "\"\x01\"", "{} x",
                                      "[1 2]", "tru", "\"\\x\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sl_err e2 = {0};
        cr_assert(eq(int, sl_json_parse(bad[i], strlen(bad[i]), &a, &v, &e2), SL_INVALID),
                  "accepted %s", bad[i]);
    }
    char deep[200];
    memset(deep, '[', sizeof deep);
    sl_err e3 = {0};
    cr_assert(eq(int, sl_json_parse(deep, sizeof deep, &a, &v, &e3), SL_INVALID));
    sl_arena_free(&a);
}
