/*
 * test_parser.c - the http-parser wrapper (tests for src/http/parser.c): heads, pauses and the
 * re-feeding of unconsumed bytes, chunk boundaries, limits and framing quirks.
 *
 * SPDX-License-Identifier: Apache-2.0
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

/* Feed n bytes (NULs allowed) in pieces of split, resuming after pauses like server.c. */
static sl__hp_event run_n(sl__hp *hp, struct got *g, const char *s, size_t n, size_t split)
{
    size_t off = 0;
    sl__hp_event ev = SL__HP_MORE;
    for (int guard = 0; off < n && guard < 100000; guard++) {
        size_t want = n - off < split ? n - off : split, used;
        ev = sl__hp_execute(hp, s + off, want, &used);
        off += used;
        if (ev == SL__HP_ERROR)
            return ev;
        g->heads += ev == SL__HP_HEAD;
        g->completes += ev == SL__HP_COMPLETE;
        sl__hp_resume(hp);
    }
    return ev;
}

#define CHUNKS "3\r\nabc\r\n0\r\n\r\n"

/* Each framing shape a lenient parser lets through, with what the wrapper must say and whether
 * the head was accepted first (the body-level shapes). Every one is refused whole, byte by
 * byte and in 7-byte pieces, and never completes a message. */
static const struct bad_shape {
    const char *name;
    const char *req;
    size_t len; /* 0: strlen */
    sl__hp_error err;
    int heads;
} bad_shapes[] = {
    {"cl_and_te", "PUT /x HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n" CHUNKS,
     0, SL__HPE_BAD, 0},
    {"te_and_cl", "PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n" CHUNKS,
     0, SL__HPE_BAD, 0},
    {"gzip_chunked", "PUT /x HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" CHUNKS, 0,
     SL__HPE_CODING, 0},
    {"two_te", "PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
     CHUNKS, 0, SL__HPE_BAD, 0},
    {"chunked_twice", "PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n" CHUNKS, 0,
     SL__HPE_BAD, 0},
    {"xchunked", "PUT /x HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n" CHUNKS, 0,
     SL__HPE_CODING, 0},
    {"identity", "PUT /x HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n", 0, SL__HPE_CODING, 0},
    {"chunked_identity", "PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
     "Transfer-Encoding: identity\r\n\r\n" CHUNKS, 0, SL__HPE_BAD, 0},
    {"space_before_colon", "PUT /x HTTP/1.1\r\nContent-Length : 3\r\n\r\nabc", 0, SL__HPE_BAD, 0},
    {"tab_before_colon", "GET /x HTTP/1.1\r\nHost\t: h\r\n\r\n", 0, SL__HPE_BAD, 0},
    {"obs_fold", "GET /x HTTP/1.1\r\nX-A: 1\r\n  folded\r\n\r\n", 0, SL__HPE_BAD, 0},
    {"obs_fold_tab", "GET /x HTTP/1.1\r\nX-A: 1\r\n\tContent-Length: 3\r\n\r\n", 0, SL__HPE_BAD, 0},
    {"http_2_0", "GET /x HTTP/2.0\r\n\r\n", 0, SL__HPE_BAD, 0},
    {"http_1_2", "GET /x HTTP/1.2\r\n\r\n", 0, SL__HPE_BAD, 0},
    {"http_0_9", "GET /x HTTP/0.9\r\n\r\n", 0, SL__HPE_BAD, 0},
    {"chunked_http10", "PUT /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n" CHUNKS, 0,
     SL__HPE_BAD, 0},
    {"bare_lf_head", "GET /x HTTP/1.1\nHost: h\n\n", 0, SL__HPE_BAD, 0},
    {"bare_lf_value", "GET /x HTTP/1.1\r\nHost: h\n\r\n", 0, SL__HPE_BAD, 0},
    {"chunk_no_crlf", "PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n", 0,
     SL__HPE_BAD, 1},
    {"chunk_lf_only", "PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n", 0,
     SL__HPE_BAD, 1},
    {"nul_in_ext", "PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;a\0b\r\nabc\r\n0\r\n\r\n",
     68, SL__HPE_BAD, 1},
    {"ctl_in_ext", "PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;a\x01\r\nabc\r\n0\r\n\r\n",
     0, SL__HPE_BAD, 1},
    {"size_trailing_space", "PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n",
     0, SL__HPE_BAD, 1},
    {"fold_in_trailer", "PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: 1\r\n x\r\n\r\n",
     0, SL__HPE_BAD, 1},
};

Test(http_parser, framing_shapes_refused_any_split)
{
    const size_t splits[] = {100000, 1, 7};
    for (size_t i = 0; i < SL_COUNT(bad_shapes); i++) {
        const struct bad_shape *b = &bad_shapes[i];
        size_t n = b->len ? b->len : strlen(b->req);
        for (size_t k = 0; k < SL_COUNT(splits); k++) {
            struct got g = {0};
            sl__hp hp;
            sl__hp_init(&hp, 0, take_body, &g);
            sl__hp_event ev = run_n(&hp, &g, b->req, n, splits[k]);
            cr_assert(eq(int, ev, SL__HP_ERROR), "%s split %zu", b->name, splits[k]);
            cr_assert(eq(int, hp.error, b->err), "%s split %zu", b->name, splits[k]);
            cr_assert(eq(int, g.heads, b->heads), "%s split %zu", b->name, splits[k]);
            cr_assert(eq(int, g.completes, 0), "%s split %zu", b->name, splits[k]);
            cr_assert(strlen(sl__hp_error_text(&hp)) > 0);
            sl__hp_free(&hp);
        }
    }
}

Test(http_parser, framing_reasons_name_the_shape)
{
    struct got g = {0};
    sl__hp hp;
    sl__hp_init(&hp, 0, take_body, &g);
    run(&hp, &g, "GET /x HTTP/1.1\r\nX-A: 1\r\n  folded\r\n\r\n", 1000);
    cr_assert(eq(str, (char *)sl__hp_error_text(&hp), "obsolete line folding"));
    sl__hp_free(&hp);
    sl__hp_init(&hp, 0, take_body, &g);
    run(&hp, &g, "PUT /x HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 1000);
    cr_assert(eq(str, (char *)sl__hp_error_text(&hp), "both Content-Length and Transfer-Encoding"));
    sl__hp_free(&hp);
}

/* What stays accepted: the strictness must not refuse ordinary clients. */
Test(http_parser, strict_still_accepts_valid_framing)
{
    const char *ok[] = {
        "PUT /x HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n" CHUNKS,
        "PUT /x HTTP/1.1\r\nTransfer-Encoding:chunked \r\n\r\n" CHUNKS,
        "PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;a=b\r\nabc\r\n0;z\r\n\r\n",
        "PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3 ;a=\"q\"\r\nabc\r\n0\r\nT: x\r\n\r\n",
        "PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n00003\r\nabc\r\n0\r\n\r\n",
        "PUT /x HTTP/1.0\r\nContent-Length: 3\r\nX-U: caf\xc3\xa9\t1\r\n\r\nabc",
        "\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n",
    };
    for (size_t i = 0; i < SL_COUNT(ok); i++) {
        for (size_t split = 1; split <= 1000; split *= 10) {
            struct got g = {0};
            sl__hp hp;
            sl__hp_init(&hp, 0, take_body, &g);
            cr_assert(ne(int, run(&hp, &g, ok[i], split), SL__HP_ERROR), "%zu: %s", i,
                      sl__hp_error_text(&hp));
            cr_assert(eq(int, g.completes, 1), "%zu split %zu", i, split);
            g.body[g.body_len] = '\0';
            if (strncmp(ok[i], "\r\nGET", 5) != 0)
                cr_assert(eq(str, g.body, "abc"), "%zu split %zu", i, split);
            sl__hp_free(&hp);
        }
    }
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

/* Found by fuzz_http: the lenient parser reads "H\r\n\r\n" as the rest of a version while the
 * scanner sees the end of the head. Where the two disagree the request is refused. */
Test(http_parser, fuzz_crash_ea6af8ed_scanner_and_parser_disagree)
{
    static const char in[] = "PUT /x H\r\n\r\n2.1\rfPOSTEEn#GETin___PUT[_____\n";
    for (size_t split = 1; split <= 64; split *= 4) {
        struct got g = {0};
        sl__hp hp;
        sl__hp_init(&hp, 0, take_body, &g);
        cr_assert(eq(int, run_n(&hp, &g, in, sizeof in - 1, split), SL__HP_ERROR));
        cr_assert(eq(int, hp.error, SL__HPE_BAD));
        cr_assert(eq(int, g.heads, 0));
        sl__hp_free(&hp);
    }
}

/* Found by fuzz_http: the same misreading with the whole head in one piece. The parser's head
 * was already complete when the scanner reached its own blank line, so the scanner took that
 * line for the end of the head, "1.1" for the body, and the parser's "Content-Length :3" (a
 * name with a space, which RFC 9112 5.1 says to refuse) reached the handler. */
Test(http_parser, fuzz_crash_79b99ea5_head_ended_in_the_same_piece)
{
    static const char in[] = "PUT /x H\r\n\r\n1.1\r\nContent-Length :3 \r\n\r\na'";
    for (size_t split = 1; split <= 256; split *= 4) {
        struct got g = {0};
        sl__hp hp;
        sl__hp_init(&hp, 0, take_body, &g);
        cr_assert(eq(int, run_n(&hp, &g, in, sizeof in - 1, split), SL__HP_ERROR), "%zu", split);
        cr_assert(eq(int, hp.error, SL__HPE_BAD));
        cr_assert(eq(int, g.heads, 0), "split %zu", split);
        sl__hp_free(&hp);
    }
}

/* A chunk extension is bounded (issue 17's hostile corpus: 70 KB of extension loaded a row);
 * one of 4096 bytes still passes, in one piece and byte by byte. */
Test(http_parser, chunk_extension_bounded)
{
    static const char pre[] = "PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;";
    static const char post[] = "\r\nabc\r\n0\r\n\r\n";
    static char req[sizeof pre + 5000 + sizeof post];
    for (size_t ext = 4095, k = 0; k < 2; ext = 4097, k++) {
        size_t n = sizeof pre - 1;
        memcpy(req, pre, n);
        memset(req + n, 'e', ext);
        n += ext;
        memcpy(req + n, post, sizeof post - 1);
        n += sizeof post - 1;
        for (size_t split = 1; split <= 100000; split *= 100000) {
            struct got g = {0};
            sl__hp hp;
            sl__hp_init(&hp, 0, take_body, &g);
            sl__hp_event ev = run_n(&hp, &g, req, n, split);
            if (k == 0) {
                cr_assert(ne(int, ev, SL__HP_ERROR), "%s", sl__hp_error_text(&hp));
                cr_assert(eq(int, g.completes, 1));
            } else {
                cr_assert(eq(int, ev, SL__HP_ERROR));
                cr_assert(eq(str, (char *)sl__hp_error_text(&hp), "chunk extension too long"));
                cr_assert(eq(int, g.completes, 0));
            }
            sl__hp_free(&hp);
        }
    }
}
