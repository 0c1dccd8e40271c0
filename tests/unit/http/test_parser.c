/*
 * test_parser.c - the http-parser wrapper (tests for src/http/parser.c): heads, pauses and the
 * re-feeding of unconsumed bytes, chunk boundaries, limits and framing quirks.
 */
#include "../../../src/http/parser.c"

#include <stdio.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

struct got {
    char body[4096];
    size_t body_len;
    int heads, completes, pause_every;
    char last_head[1024]; /* "METHOD target|name=value|...|cl|chunked" */
};

static bool take_body(void *u, const char *p, size_t n)
{
    struct got *g = u;
    cr_assert(g->body_len + n < sizeof g->body);
    memcpy(g->body + g->body_len, p, n);
    g->body_len += n;
    return g->pause_every != 0;
}

static void describe(const sl__hp *hp, struct got *g)
{
    const sl__hp_head *h = sl__hp_head_get(hp);
    int k = snprintf(g->last_head, sizeof g->last_head, "%s %.*s", h->method, (int)h->target.n,
                     h->target.p);
    for (size_t i = 0; i < h->n_fields; i++) {
        sl_slice n, v;
        sl__hp_field_get(hp, i, &n, &v);
        cr_assert(v.p != NULL);
        k += snprintf(g->last_head + k, sizeof g->last_head - (size_t)k, "|%.*s=%.*s", (int)n.n,
                      n.p, (int)v.n, v.p);
    }
    snprintf(g->last_head + k, sizeof g->last_head - (size_t)k, "|%lld|%d",
             (long long)h->content_length, h->chunked);
}

/* Feed s in pieces of split bytes, resuming after each pause like server.c. Returns the last
 * event (SL__HP_ERROR stops). */
static sl__hp_event run(sl__hp *hp, struct got *g, const char *s, size_t split)
{
    size_t n = strlen(s), off = 0;
    sl__hp_event ev = SL__HP_MORE;
    for (int guard = 0; off < n && guard < 100000; guard++) {
        size_t want = n - off < split ? n - off : split, used;
        ev = sl__hp_execute(hp, s + off, want, &used);
        off += used;
        if (ev == SL__HP_ERROR)
            return ev;
        if (ev == SL__HP_HEAD) {
            g->heads++;
            describe(hp, g);
        }
        if (ev == SL__HP_COMPLETE)
            g->completes++;
        sl__hp_resume(hp);
    }
    return ev;
}

static const char *PIPE = "PUT /a?x=1 HTTP/1.1\r\nHost: h\r\nX-Empty:\r\nX-Sp:  v w \t\r\n"
                          "Content-Length: 5\r\n\r\nhello"
                          "POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "3\r\nabc\r\n2;e=1\r\nde\r\n0\r\nT: x\r\n\r\n"
                          "GET /c HTTP/1.1\r\n\r\n";

Test(http_parser, pipelined_any_split_same_result)
{
    for (size_t split = 1; split <= 200; split += (split < 20 ? 1 : 37)) {
        for (int pe = 0; pe < 2; pe++) {
            struct got g = {.pause_every = pe};
            sl__hp hp;
            sl__hp_init(&hp, 0, take_body, &g);
            sl__hp_event ev = run(&hp, &g, PIPE, split);
            cr_assert(ne(int, ev, SL__HP_ERROR), "split %zu", split);
            cr_assert(eq(int, g.heads, 3), "split %zu", split);
            cr_assert(eq(int, g.completes, 3), "split %zu", split);
            g.body[g.body_len] = '\0';
            cr_assert(eq(str, g.body, "helloabcde"), "split %zu", split);
            cr_assert(eq(str, g.last_head, "GET /c|-1|0"));
            cr_assert(sl__hp_keep_alive(&hp));
            sl__hp_free(&hp);
        }
    }
}

Test(http_parser, head_fields_trimmed_and_empty_value_non_null)
{
    struct got g = {0};
    sl__hp hp;
    sl__hp_init(&hp, 0, take_body, &g);
    size_t used;
    const char *s = "PUT /a?x=1 HTTP/1.1\r\nHost: h\r\nX-Empty:\r\nX-Sp:  v w \t\r\n"
                    "Content-Length: 5\r\n\r\nhello";
    cr_assert(eq(int, sl__hp_execute(&hp, s, strlen(s), &used), SL__HP_HEAD));
    describe(&hp, &g);
    cr_assert(eq(str, g.last_head, "PUT /a?x=1|Host=h|X-Empty=|X-Sp=v w|Content-Length=5|5|0"));
    /* The unconsumed rest (at least the head's final LF) is fed again after the pause. */
    cr_assert(lt(sz, used, strlen(s)));
    sl__hp_resume(&hp);
    size_t used2;
    cr_assert(eq(int, sl__hp_execute(&hp, s + used, strlen(s) - used, &used2), SL__HP_COMPLETE));
    cr_assert(eq(sz, used + used2, strlen(s)));
    cr_assert(eq(sz, g.body_len, 5));
    sl__hp_free(&hp);
}

Test(http_parser, content_length_and_chunked_both_visible)
{
    struct got g = {0};
    sl__hp hp;
    sl__hp_init(&hp, 0, take_body, &g);
    run(&hp, &g, "PUT /x HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "5\r\nhello\r\n0\r\n\r\n", 1000);
    cr_assert(eq(int, g.heads, 1));
    cr_assert(strstr(g.last_head, "|5|1") != NULL, "%s", g.last_head);
    cr_assert(eq(int, g.completes, 1));
    sl__hp_free(&hp);
}

Test(http_parser, head_limit_is_too_large)
{
    struct got g = {0};
    sl__hp hp;
    sl__hp_init(&hp, 100, take_body, &g);
    char big[300];
    snprintf(big, sizeof big, "GET / HTTP/1.1\r\nX: %0200d\r\n\r\n", 0);
    cr_assert(eq(int, run(&hp, &g, big, 7), SL__HP_ERROR));
    cr_assert(eq(int, hp.error, SL__HPE_TOO_LARGE));
    cr_assert(eq(int, g.heads, 0));
    sl__hp_free(&hp);
}

Test(http_parser, malformed_is_bad)
{
    const char *bad[] = {"GARBAGE\r\n\r\n", "GET / HTTP/1.1\r\nNo Colon\r\n\r\n",
                         "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                         "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"};
    for (size_t i = 0; i < SL_COUNT(bad); i++) {
        struct got g = {0};
        sl__hp hp;
        sl__hp_init(&hp, 0, take_body, &g);
        cr_assert(eq(int, run(&hp, &g, bad[i], 1000), SL__HP_ERROR), "%s", bad[i]);
        cr_assert(eq(int, hp.error, SL__HPE_BAD));
        cr_assert(strlen(sl__hp_error_text(&hp)) > 0);
        sl__hp_free(&hp);
    }
}

Test(http_parser, http10_and_connection_close_not_keep_alive)
{
    struct got g = {0};
    sl__hp hp;
    sl__hp_init(&hp, 0, take_body, &g);
    run(&hp, &g, "GET / HTTP/1.0\r\n\r\n", 1000);
    cr_assert(eq(int, g.completes, 1));
    cr_assert(not(sl__hp_keep_alive(&hp)));
    sl__hp_free(&hp);
    sl__hp_init(&hp, 0, take_body, &g);
    run(&hp, &g, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 1000);
    cr_assert(not(sl__hp_keep_alive(&hp)));
    sl__hp_free(&hp);
}
