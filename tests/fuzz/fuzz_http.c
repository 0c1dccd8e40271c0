/*
 * fuzz_http.c - libFuzzer target for the request-parser wrapper (src/http/parser.c).
 *
 * The first input byte picks a split size; the rest is fed to sl__hp_execute in pieces of
 * that size, as reads of any size would arrive. Heads are copied out field by field and body
 * bytes are summed, so every slice the wrapper hands out is read. Pauses are resumed and the
 * unconsumed bytes re-fed, exactly as server.c does. Must never crash, hang or leak, and a head
 * it lets through must meet the strict framing (http.h "Framing notes"): never Content-Length
 * with chunked, only HTTP/1.0 or 1.1, chunked only on 1.1, no space or tab in a field name.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../src/core/platform.h"

#include <stdlib.h>
#include <string.h>

#include "../../src/http/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sink {
    uint64_t body_bytes;
    unsigned sum;
    int pauses;
};

static bool on_body(void *u, const char *p, size_t n)
{
    struct sink *s = u;
    for (size_t i = 0; i < n; i++)
        s->sum += (unsigned char)p[i];
    s->body_bytes += n;
    return (s->pauses++ & 3) == 0; /* pause now and then, like a full body buffer does */
}

static void check_framing(const sl__hp_head *h)
{
    if (h->chunked && h->content_length >= 0)
        abort();
    if (h->http_major != 1 || h->http_minor > 1 || (h->chunked && h->http_minor == 0))
        abort();
}

static void read_head(const sl__hp *hp, struct sink *s)
{
    const sl__hp_head *h = sl__hp_head_get(hp);
    check_framing(h);
    for (size_t i = 0; i < h->target.n; i++)
        s->sum += (unsigned char)h->target.p[i];
    for (size_t i = 0; i < h->n_fields; i++) {
        sl_slice n, v;
        sl__hp_field_get(hp, i, &n, &v);
        if (memchr(n.p, ' ', n.n) || memchr(n.p, '\t', n.n))
            abort();
        if (n.n)
            s->sum += (unsigned char)n.p[n.n - 1];
        if (v.n)
            s->sum += (unsigned char)v.p[0] + (unsigned char)v.p[v.n - 1];
    }
    s->sum += (unsigned)strlen(h->method) + (unsigned)h->content_length + h->chunked;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t split = (size_t)data[0] % 64 + 1;
    const char *p = (const char *)data + 1;
    size_t n = size - 1, off = 0;
    struct sink s = {0};
    sl__hp hp;
    sl__hp_init(&hp, 2048, on_body, &s);
    /* Each round either consumes bytes or resumes a pause, so 4 * size + 16 rounds suffice. */
    for (size_t round = 0; off < n && round < 4 * size + 16; round++) {
        size_t want = n - off < split ? n - off : split, used = 0;
        sl__hp_event ev = sl__hp_execute(&hp, p + off, want, &used);
        off += used;
        if (ev == SL__HP_ERROR) {
            (void)sl__hp_error_text(&hp);
            break;
        }
        if (ev == SL__HP_HEAD)
            read_head(&hp, &s);
        if (ev == SL__HP_COMPLETE)
            (void)sl__hp_keep_alive(&hp);
        sl__hp_resume(&hp);
    }
    sl__hp_free(&hp);
    return (int)(s.sum & 0);
}
