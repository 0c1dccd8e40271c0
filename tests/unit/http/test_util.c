/*
 * test_util.c - header lookup, percent-decoding, query parameters and respond helpers (tests
 * for src/http/util.c).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/http/util.c"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

static void setup(sl_http_req *r, sl_http_header *h, size_t n, const char *query)
{
    memset(r, 0, sizeof *r);
    sl_arena_init(&r->arena, 0);
    r->headers = h;
    r->n_headers = n;
    r->query = sl_slice_of(query);
}

Test(http_util, header_get_case_insensitive_and_empty)
{
    sl_http_header h[] = {{SL_LIT("Content-Type"), SL_LIT("text/csv")},
                          {SL_LIT("X-Empty"), {"", 0}}};
    sl_http_req r;
    setup(&r, h, 2, "");
    cr_assert(sl_slice_eq(sl_http_header_get(&r, "content-type"), "text/csv"));
    sl_slice e = sl_http_header_get(&r, "x-empty");
    cr_assert(e.p != NULL);
    cr_assert(eq(sz, e.n, 0));
    cr_assert(sl_http_header_get(&r, "label").p == NULL);
    sl_arena_free(&r.arena);
}

Test(http_util, url_decode)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    cr_assert(sl_slice_eq(sl_http_url_decode(&a, SL_LIT("a%20b+c%2F%2f")), "a b+c//"));
    cr_assert(sl_http_url_decode(&a, SL_LIT("%")).p == NULL);
    cr_assert(sl_http_url_decode(&a, SL_LIT("ab%4")).p == NULL);
    cr_assert(sl_http_url_decode(&a, SL_LIT("%zz")).p == NULL);
    sl_slice e = sl_http_url_decode(&a, SL_LIT(""));
    cr_assert(e.p != NULL && e.n == 0);
    sl_arena_free(&a);
}

Test(http_util, query_param)
{
    sl_http_req r;
    setup(&r, NULL, 0, "format=csv&column%5Fseparator=%2C&flag&x=&a=1&a=2");
    cr_assert(sl_slice_eq(sl_http_query_param(&r, "format"), "csv"));
    cr_assert(sl_slice_eq(sl_http_query_param(&r, "column_separator"), ","));
    sl_slice f = sl_http_query_param(&r, "flag");
    cr_assert(f.p != NULL && f.n == 0);
    cr_assert(sl_slice_eq(sl_http_query_param(&r, "x"), ""));
    cr_assert(sl_slice_eq(sl_http_query_param(&r, "a"), "1"));
    cr_assert(sl_http_query_param(&r, "missing").p == NULL);
    sl_arena_free(&r.arena);
}

Test(http_util, respond_and_headers)
{
    sl_http_req r;
    setup(&r, NULL, 0, "");
    sl_http_respond(&r, 307, NULL, "x", 1);
    sl_http_respond(&r, 200, "application/json", "{}", 2);
    sl_http_add_header(&r, "Location", "http://h/\r\nEvil: 1");
    cr_assert(r.responded);
    cr_assert(eq(int, r.status, 200));
    cr_assert(eq(str, (char *)r.content_type, "application/json"));
    cr_assert(eq(sz, r.resp_body.len, 2));
    cr_assert(eq(str, r.resp_headers.p, "Location: http://h/Evil: 1\r\n"));
    uint64_t t = sl_http_now_ms();
    cr_assert(ge(u64, sl_http_now_ms(), t));
    sl_buf_free(&r.resp_body);
    sl_buf_free(&r.resp_headers);
    sl_arena_free(&r.arena);
}
