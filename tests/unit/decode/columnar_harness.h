/*
 * columnar_harness.h - shared by the unit tests of the Parquet, ORC and Arrow decoders
 * (test_parquet.c, test_orc.c, test_arrow.c): run a body through a decoder vtab whole, byte by
 * byte or in random splits (each chunk a fresh heap copy freed right after its push, so ASan
 * catches a slice that outlives its chunk), following rb->more as the load job does, and render
 * the rows as text.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../src/core/buf.h"
#include "../../../src/core/mem.h"
#include "../../../src/decode/decoder.h"

enum { WHOLE, BYTES, RANDOM };

static void put_bytes(sl_buf *b, sl_slice s)
{
    if (s.p == NULL) {
        sl_buf_puts(b, "\\N");
        return;
    }
    for (size_t i = 0; i < s.n; i++) {
        unsigned char ch = (unsigned char)s.p[i];
        if (ch < 0x20 || ch == '\\' || ch == ';' || ch >= 0x7f)
            sl_buf_printf(b, "\\x%02x", ch);
        else
            sl_buf_putc(b, (char)ch);
    }
}

static void render(sl_buf *b, const sl_rawbatch *rb)
{
    for (size_t r = 0; r < rb->n_rows; r++) {
        const sl_rawrow *row = &rb->rows[r];
        sl_buf_printf(b, "L%llu ", (unsigned long long)row->line_no);
        for (uint32_t i = 0; i < row->n_fields; i++) {
            put_bytes(b, rb->names[row->field0 + i]);
            sl_buf_putc(b, '=');
            put_bytes(b, rb->fields[row->field0 + i]);
            sl_buf_putc(b, ';');
        }
        sl_buf_putc(b, '\n');
    }
}

/* Decode body; returns the rendered rows, or "FAIL <message>" (heap, sl_free). */
static char *decode_with(const sl_decoder_vtab *dec, const sl_decode_opts *o0, const void *body,
                         size_t n, int how, unsigned seed)
{
    sl_decode_opts o = *o0;
    void *st = sl_calloc(dec->state_size);
    sl_err err = {0};
    sl_rawbatch rb = {0};
    sl_buf out = SL_BUF_INIT;
    sl_code rc = dec->open(st, &o, &err);
    size_t off = 0;
    while (rc == SL_OK || rc == SL_AGAIN) {
        bool fin = off == n;
        size_t len = fin ? 0 : how == WHOLE ? n : how == BYTES ? 1 : 1 + (size_t)rand_r(&seed) % 4099;
        if (len > n - off)
            len = n - off;
        char *chunk = len ? sl_malloc(len) : NULL;
        if (len)
            memcpy(chunk, (const char *)body + off, len);
        const char *p = chunk;
        size_t m = len;
        do {
            rb.more = false;
            rc = fin ? dec->finish(st, &rb) : dec->push(st, p, m, &rb);
            render(&out, &rb);
            sl_rawbatch_clear(&rb);
            p = NULL, m = 0;
        } while ((rc == SL_OK || rc == SL_AGAIN) && rb.more);
        sl_free(chunk);
        if (fin)
            break;
        off += len;
    }
    dec->close(st);
    sl_rawbatch_free(&rb);
    sl_free(st);
    if (rc != SL_OK && rc != SL_AGAIN) {
        sl_buf_clear(&out);
        sl_buf_printf(&out, "FAIL %s", err.msg);
    }
    sl_buf_putc(&out, '\0');
    return sl_buf_take(&out, NULL);
}

static void opts(sl_decode_opts *o)
{
    sl_decode_opts_default(o);
    o->spool_dir = "/tmp";
    o->max_spool_bytes = (uint64_t)1 << 30;
}

static char *decode(const sl_decoder_vtab *dec, const void *body, size_t n, int how)
{
    sl_decode_opts o;
    opts(&o);
    return decode_with(dec, &o, body, n, how, 7);
}

static void *load_file(const char *name, size_t *n)
{
    FILE *f = fopen(name, "rb");
    cr_assert(f != NULL, "cannot open %s (run from the checkout root)", name);
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *p = sl_malloc((size_t)sz + 1);
    cr_assert(fread(p, 1, (size_t)sz, f) == (size_t)sz);
    fclose(f);
    *n = (size_t)sz;
    return p;
}

/* The same rows whole, byte by byte and in random splits. */
static char *same_in_every_split(const sl_decoder_vtab *dec, const void *body, size_t n)
{
    char *whole = decode(dec, body, n, WHOLE);
    char *bytes = decode(dec, body, n, BYTES);
    cr_assert(eq(str, bytes, whole));
    sl_decode_opts o;
    opts(&o);
    for (unsigned seed = 1; seed < 4; seed++) {
        char *rnd = decode_with(dec, &o, body, n, RANDOM, seed);
        cr_assert(eq(str, rnd, whole));
        sl_free(rnd);
    }
    sl_free(bytes);
    return whole;
}

/* Every prefix of body fails cleanly with a message, or (accept_prefix) gives a prefix of the
 * full rows; every single-byte corruption decodes or fails cleanly (ASan watches). */
static void truncations_and_flips(const sl_decoder_vtab *dec, const void *body, size_t n,
                                  bool accept_prefix)
{
    char *full = decode(dec, body, n, WHOLE);
    for (size_t k = 0; k < n; k++) {
        char *r = decode(dec, body, k, WHOLE);
        bool failed = strncmp(r, "FAIL ", 5) == 0 && strlen(r) > 5;
        bool prefix = accept_prefix && strncmp(full, r, strlen(r)) == 0;
        cr_assert(failed || prefix, "prefix of %zu bytes: %s", k, r);
        sl_free(r);
    }
    unsigned char *copy = sl_malloc(n);
    for (size_t k = 0; k < n; k++) {
        memcpy(copy, body, n);
        copy[k] ^= 0xff;
        sl_free(decode(dec, copy, n, WHOLE));
    }
    sl_free(copy);
    sl_free(full);
}
