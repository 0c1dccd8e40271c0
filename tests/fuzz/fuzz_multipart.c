/*
 * fuzz_multipart.c - libFuzzer target for src/proto/tsload_multipart.c (tsload uploads).
 *
 * Input: first byte = boundary length (1..16), then the boundary, then the body. The body is
 * parsed whole and again in pieces of 1..8 bytes chosen from the input; both runs must agree
 * on the result code and on every byte of file data delivered, and no data piece may be empty.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../src/core/platform.h"

#include <stdlib.h>
#include <string.h>

#include "../../src/proto/tsload_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct sink {
    uint8_t *p;
    size_t len, cap;
    int events;
} sink;

static sl_code on_begin(void *arg, bool is_file)
{
    sink *s = arg;
    s->events += is_file ? 1 : 100;
    return SL_OK;
}

static sl_code on_data(void *arg, const char *p, size_t n)
{
    sink *s = arg;
    if (n == 0 || s->len + n > s->cap)
        abort();
    memcpy(s->p + s->len, p, n);
    s->len += n;
    return SL_OK;
}

static sl_code on_end(void *arg)
{
    sink *s = arg;
    s->events += 10000;
    return SL_OK;
}

static sl_code run(const char *ct, const uint8_t *body, size_t n, const uint8_t *steps,
                   size_t n_steps, sink *s)
{
    static sl_multipart m;
    sl_err e = {0};
    sl_code rc = sl__mp_init(&m, sl_slice_of(ct), &e);
    if (rc != SL_OK)
        return rc;
    sl_mp_callbacks cb = {on_begin, on_data, on_end, s};
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t step = n_steps ? (size_t)(steps[k++ % n_steps] % 8) + 1 : n;
        if (step > n - i)
            step = n - i;
        if ((rc = sl__mp_push(&m, (const char *)body + i, step, &cb, &e)) != SL_OK)
            return rc;
        i += step;
    }
    return sl__mp_finish(&m, &e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t bl = (size_t)(data[0] % 16) + 1;
    if (size < 1 + bl)
        return 0;
    char ct[64];
    memcpy(ct, "multipart/form-data; boundary=", 30);
    for (size_t i = 0; i < bl; i++)
        ct[30 + i] = (data[1 + i] > ' ' && data[1 + i] < 127 && data[1 + i] != ';' &&
                      data[1 + i] != '"') ? (char)data[1 + i] : 'b';
    ct[30 + bl] = '\0';
    const uint8_t *body = data + 1 + bl;
    size_t n = size - 1 - bl;
    sink a = {malloc(n + 1), 0, n + 1, 0}, b = {malloc(n + 1), 0, n + 1, 0};
    if (a.p == NULL || b.p == NULL)
        abort();
    sl_code ra = run(ct, body, n, NULL, 0, &a);
    sl_code rb = run(ct, body, n, body, n, &b);
    if (ra != rb || a.len != b.len || a.events != b.events || memcmp(a.p, b.p, a.len) != 0)
        abort();
    free(a.p);
    free(b.p);
    return 0;
}
