/*
 * columnar_fuzz.h - the body of the libFuzzer targets of the columnar decoders (fuzz_parquet.c,
 * fuzz_orc.c, fuzz_arrow.c): the input is a body, decoded whole and in pseudo-random splits
 * derived from the input (each chunk a fresh heap copy freed after its push, following
 * rb->more as the load job does); both runs must give the same rows and the same status, or
 * the target aborts. Parquet and ORC spool to /dev/shm (or /tmp).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../src/core/platform.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/core/buf.h"
#include "../../src/core/mem.h"
#include "../../src/decode/decoder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void render(sl_buf *b, const sl_rawbatch *rb)
{
    for (size_t r = 0; r < rb->n_rows; r++) {
        const sl_rawrow *row = &rb->rows[r];
        sl_buf_printf(b, "\nL%llu|", (unsigned long long)row->line_no);
        for (uint32_t i = 0; i < row->n_fields; i++) {
            sl_slice nm = rb->names[row->field0 + i], v = rb->fields[row->field0 + i];
            sl_buf_printf(b, "%zu:", nm.n);
            sl_buf_append(b, nm.p, nm.n);
            if (v.p == NULL) {
                sl_buf_append(b, "\x01N", 2);
                continue;
            }
            sl_buf_printf(b, "%zu:", v.n);
            sl_buf_append(b, v.p, v.n);
        }
    }
}

static char *run(const sl_decoder_vtab *dec, const uint8_t *data, size_t size, unsigned seed,
                 sl_code *final)
{
    sl_decode_opts o;
    sl_decode_opts_default(&o);
    o.spool_dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    o.max_spool_bytes = 1 << 24;
    void *st = sl_calloc(dec->state_size);
    sl_err err = {0};
    sl_rawbatch rb = {0};
    sl_buf out = SL_BUF_INIT;
    sl_code rc = dec->open(st, &o, &err);
    size_t off = 0;
    while (rc == SL_OK || rc == SL_AGAIN) {
        bool fin = off == size;
        size_t len = fin ? 0 : seed == 0 ? size - off : 1 + (size_t)rand_r(&seed) % 257;
        if (len > size - off)
            len = size - off;
        char *chunk = len ? malloc(len) : NULL;
        if (len)
            memcpy(chunk, data + off, len);
        const char *p = chunk;
        size_t m = len;
        do {
            rb.more = false;
            rc = fin ? dec->finish(st, &rb) : dec->push(st, p, m, &rb);
            render(&out, &rb);
            sl_rawbatch_clear(&rb);
            p = NULL, m = 0;
            if (out.len > ((size_t)64 << 20)) /* a tiny file may describe many NULL rows */
                rc = SL__N_CODES;
        } while ((rc == SL_OK || rc == SL_AGAIN) && rb.more);
        free(chunk);
        if (fin)
            break;
        off += len;
    }
    dec->close(st);
    sl_rawbatch_free(&rb);
    sl_free(st);
    *final = rc == SL_AGAIN ? SL_OK : rc;
    sl_buf_putc(&out, '\0');
    return sl_buf_take(&out, NULL);
}

static int fuzz_one(const sl_decoder_vtab *dec, const uint8_t *data, size_t size)
{
    sl_code a, b;
    char *whole = run(dec, data, size, 0, &a);
    unsigned seed = 1;
    for (size_t i = 0; i < size && i < 16; i++)
        seed = seed * 31 + data[i];
    char *split = run(dec, data, size, seed | 1, &b);
    bool capped = a == SL__N_CODES || b == SL__N_CODES; /* stopped early: not compared */
    if (!capped && (a != b || (a == SL_OK && strcmp(whole, split) != 0)))
        abort();
    sl_free(whole);
    sl_free(split);
    return 0;
}
