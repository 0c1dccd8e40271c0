/*
 * fuzz_csv.c - libFuzzer target for the streaming CSV decoder (src/decode/csv.c).
 *
 * Input: byte 0 picks the separator, byte 1 the delimiter, byte 2 enclose/escape/trim/skip/limit,
 * byte 3 seeds the chunk splits; the rest is the body. The body is decoded whole, byte by byte
 * and in pseudo-random splits; every run must give the same rows, fields, errors and final code
 * (invariant), every slice is read right after its push (ASan checks it is still valid), and row
 * fields must lie inside the raw batch.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../src/core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/buf.h"
#include "../../src/core/mem.h"
#include "../../src/decode/decoder.h"

extern const sl_decoder_vtab sl_decoder_csv;
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const SEPS[] = {",", "\t", "|@|", "ab", "||", "5b18511e", "\"", "\n"};
static const char *const DELIMS[] = {"\n", "\r\n", "$$$", "aa", "|@|\n", "weizuo", "\n", ","};

static void dump(sl_buf *d, const sl_rawbatch *rb)
{
    for (size_t r = 0; r < rb->n_rows; r++) {
        const sl_rawrow *w = &rb->rows[r];
        if (w->field0 + (size_t)w->n_fields > rb->n_fields)
            abort();
        sl_buf_printf(d, "#%llu<%zu:", (unsigned long long)w->line_no, w->src.n);
        sl_buf_append(d, w->src.p, w->src.n);
        sl_buf_puts(d, w->err ? w->err : ">");
        for (uint32_t i = 0; i < w->n_fields && !w->err; i++) {
            sl_slice v = rb->fields[w->field0 + i];
            if (v.p == NULL) {
                sl_buf_puts(d, "|N");
                continue;
            }
            sl_buf_printf(d, "|%zu:", v.n);
            sl_buf_append(d, v.p, v.n);
        }
        sl_buf_puts(d, "\n");
    }
}

/* how: 0 whole, 1 bytes, 2.. random splits seeded with how. */
static void run(const sl_decode_opts *o, const uint8_t *in, size_t n, unsigned how, sl_buf *d)
{
    _Alignas(16) static char state[4096];
    sl_err err = {SL_OK, ""};
    sl_rawbatch rb = {0};
    if (sl_decoder_csv.state_size > sizeof state)
        abort();
    memset(state, 0, sizeof state);
    sl_code c = sl_decoder_csv.open(state, o, &err);
    unsigned x = how * 2654435761u + 1;
    for (size_t off = 0; c == SL_OK || c == SL_AGAIN;) {
        if (off == n) {
            c = sl_decoder_csv.finish(state, &rb);
            dump(d, &rb);
            break;
        }
        size_t k = n - off;
        if (how == 1) {
            k = 1;
        } else if (how > 1) {
            x = x * 1103515245u + 12345u;
            k = 1 + (x >> 8) % (k < 9 ? k : 9);
        }
        char *piece = malloc(k); /* a fresh copy: stale slices would read freed memory */
        if (piece == NULL)
            abort();
        memcpy(piece, in + off, k);
        c = sl_decoder_csv.push(state, piece, k, &rb);
        dump(d, &rb);
        sl_rawbatch_clear(&rb);
        free(piece);
        off += k;
    }
    if (c != SL_OK && c != SL_AGAIN && err.code != c)
        abort(); /* a fatal code always comes with its message */
    sl_buf_printf(d, "=%d\n", (int)c);
    sl_decoder_csv.close(state);
    sl_rawbatch_free(&rb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    sl_decode_opts o;
    sl_decode_opts_default(&o);
    const char *sep = SEPS[data[0] % SL_COUNT(SEPS)], *delim = DELIMS[data[1] % SL_COUNT(DELIMS)];
    o.col_sep_len = strlen(sep);
    memcpy(o.col_sep, sep, o.col_sep_len);
    o.line_delim_len = strlen(delim);
    memcpy(o.line_delim, delim, o.line_delim_len);
    uint8_t f = data[2];
    o.enclose = (f & 3) == 0 ? -1 : (f & 3) == 3 ? '\'' : '"';
    o.escape = (f >> 2 & 3) == 0 ? -1 : (f >> 2 & 3) == 1 ? '\\' : '"';
    o.trim_double_quotes = f >> 4 & 1;
    o.skip_lines = f >> 5 & 1;
    o.validate_utf8 = !(f >> 6 & 1);
    o.max_record_bytes = (f >> 7) ? 16 : 0;
    const uint8_t *body = data + 4;
    size_t n = size - 4;

    sl_buf ref = SL_BUF_INIT, d = SL_BUF_INIT;
    run(&o, body, n, 0, &ref);
    unsigned hows[] = {1, 2u + data[3], 3u + data[3] * 7u};
    for (size_t i = 0; i < SL_COUNT(hows); i++) {
        sl_buf_clear(&d);
        run(&o, body, n, hows[i], &d);
        if (ref.oom || d.oom)
            break;
        if (d.len != ref.len || (d.len && memcmp(d.p, ref.p, d.len) != 0)) {
            fprintf(stderr, "split %u differs from whole:\n%.*s\n---\n%.*s\n", hows[i],
                    (int)ref.len, ref.len ? ref.p : "", (int)d.len, d.len ? d.p : "");
            abort();
        }
    }
    sl_buf_free(&ref);
    sl_buf_free(&d);
    return 0;
}
