/*
 * fuzz_json.c - libFuzzer target for the streaming JSON decoder (src/decode/json*.c).
 *
 * The first input byte picks an option set (stream / strip_outer_array / by-line / jsonpaths /
 * json_root / num_as_string); the rest is the body. The body is decoded whole and then in
 * pseudo-random splits derived from the input; both must give identical rows (fields, names,
 * line numbers, error reasons, sources) and the same final status, or the target aborts.
 * Each chunk is a fresh heap copy freed after its push, so ASan sees any slice that outlives it.
 * Each line that starts with '{' is also parsed by the keyed row parser and the general one,
 * which must agree (see differential).
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc tests/fuzz/fuzz_json.c
 *        src/decode/json.c src/decode/json_scan.c src/decode/json_path.c src/decode/rawbatch.c
 *        src/core/(each .c) -o fuzz_json
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../src/core/platform.h"

#include <stdlib.h>
#include <string.h>

#include "../../src/core/buf.h"
#include "../../src/core/mem.h"
#include "../../src/decode/decoder.h"
#include "../../src/decode/json_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const sl_decoder_vtab sl_decoder_json;

static void put(sl_buf *b, sl_slice s)
{
    if (s.p == NULL) {
        sl_buf_append(b, "\x01N", 2);
        return;
    }
    sl_buf_printf(b, "%zu:", s.n);
    sl_buf_append(b, s.p, s.n);
}

static void render(sl_buf *b, const sl_rawbatch *rb)
{
    for (size_t r = 0; r < rb->n_rows; r++) {
        const sl_rawrow *row = &rb->rows[r];
        sl_buf_printf(b, "\nL%llu %s|", (unsigned long long)row->line_no, row->err ? row->err : "");
        put(b, row->src);
        for (uint32_t i = 0; i < row->n_fields; i++) {
            if (rb->names)
                put(b, rb->names[row->field0 + i]);
            put(b, rb->fields[row->field0 + i]);
        }
    }
}

static void set_opts(sl_decode_opts *o, uint8_t sel)
{
    sl_decode_opts_default(o);
    o->strip_outer_array = sel & 1;
    o->read_json_by_line = (sel >> 1) & 1;
    o->num_as_string = (sel >> 2) & 1;
    switch ((sel >> 3) % 4) {
    case 1:
        o->jsonpaths = SL_LIT("[\"$.a\", \"$.b[0]\", \"$.\", \"$['c d'].e\"]");
        break;
    case 2:
        o->json_root = SL_LIT("$.r");
        break;
    case 3:
        memcpy(o->line_delim, "\r\n", 2);
        o->line_delim_len = 2;
        break;
    default:
        break;
    }
}

/* Decode body in chunks; seed 0 means one chunk. Returns the rendering (heap). */
static char *run(const sl_decode_opts *o, const uint8_t *body, size_t n, uint32_t seed, size_t *len)
{
    void *st = sl_calloc(sl_decoder_json.state_size);
    sl_err err = {0};
    sl_rawbatch rb = {0};
    sl_buf out = SL_BUF_INIT;
    if (st == NULL || sl_decoder_json.open(st, o, &err) != SL_OK)
        abort();
    size_t off = 0;
    sl_code rc = SL_AGAIN;
    while (off < n && rc == SL_AGAIN) {
        size_t k = n - off;
        if (seed) {
            seed = seed * 1103515245u + 12345u;
            k = 1 + (seed >> 16) % (seed & 0x100 ? 3 : 40);
            if (k > n - off)
                k = n - off;
        }
        char *chunk = sl_malloc(k);
        if (chunk == NULL)
            abort();
        memcpy(chunk, body + off, k);
        rc = sl_decoder_json.push(st, chunk, k, &rb);
        render(&out, &rb);
        sl_rawbatch_clear(&rb);
        sl_free(chunk);
        off += k;
    }
    if (rc == SL_AGAIN) {
        rc = sl_decoder_json.finish(st, &rb);
        render(&out, &rb);
    }
    sl_buf_printf(&out, "\nrc=%d", (int)rc);
    sl_decoder_json.close(st);
    sl_rawbatch_free(&rb);
    sl_free(st);
    if (out.oom)
        abort();
    return sl_buf_take(&out, len);
}

static bool same(sl_slice a, sl_slice b)
{
    return (a.p == NULL) == (b.p == NULL) && a.n == b.n && (a.n == 0 || !memcmp(a.p, b.p, a.n));
}

/* The keyed row parser (the fast path) against the general one, on each line of the body that
 * starts with '{': twice, so that the second parse runs on the key order the first predicted;
 * the result, error code, error position and fields must agree, or the target aborts. */
static void differential(const uint8_t *body, size_t n, bool num_as_string)
{
    sl_arena_t conf, scratch;
    sl_arena_init(&conf, 4096);
    sl_arena_init(&scratch, 4096);
    sl__json_keys *k = sl_arena_alloc(&conf, sizeof *k);
    if (k == NULL)
        abort();
    sl__json_keys_init(k, &conf);
    k->gen = 1;
    for (size_t at = 0; at < n;) {
        const uint8_t *nl = memchr(body + at, '\n', n - at);
        size_t len = nl ? (size_t)(nl - (body + at)) : n - at;
        char *line = sl_malloc(len + 1); /* exact copy: ASan sees any over-read */
        if (line == NULL)
            abort();
        memcpy(line, body + at, len);
        for (int pass = 0; pass < 2 && len > 0 && line[0] == '{'; pass++) {
            sl_rawbatch g = {0}, f = {0};
            if (sl_rawbatch_keyed(&f, k->gen) != SL_OK)
                abort();
            sl__json_cur cg = {line, line + len, pass == 0, num_as_string, SL__JSON_OK, &scratch};
            sl__json_cur cf = cg;
            bool okg = sl__json_row(&cg, &g), okf = sl__json_row_keyed(&cf, k, &f);
            if (okg != okf || cg.err != cf.err || cg.p != cf.p || g.n_fields != f.n_fields)
                abort();
            for (size_t i = 0; i < g.n_fields; i++)
                if (!same(g.names[i], f.names[i]) || !same(g.fields[i], f.fields[i]) ||
                    (f.ids[i] != SL_KEY_NONE && !same(k->name[f.ids[i]], f.names[i])))
                    abort();
            sl_rawbatch_free(&g);
            sl_rawbatch_free(&f);
        }
        sl_free(line);
        sl_arena_reset(&scratch);
        at += len + 1;
    }
    sl_arena_free(&scratch);
    sl_arena_free(&conf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    sl_decode_opts o;
    set_opts(&o, data[0]);
    size_t la, lb;
    char *a = run(&o, data + 1, size - 1, 0, &la);
    for (uint32_t seed = 1; seed <= 2; seed++) {
        char *b = run(&o, data + 1, size - 1, seed * 2654435761u + (uint32_t)size, &lb);
        if (la != lb || memcmp(a, b, la) != 0)
            abort(); /* a split changed the rows */
        sl_free(b);
    }
    sl_free(a);
    differential(data + 1, size - 1, o.num_as_string);
    return 0;
}
