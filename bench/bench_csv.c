/*
 * bench_csv.c - throughput of the CSV decoder (decode stage) on one core, push -> raw batch.
 *
 * usage: bench_csv FILE [SEP=,] [CHUNK_KB=1024] [REPEAT=5] [ENCLOSE]
 * Reads FILE into memory, then decodes it REPEAT times in CHUNK_KB pieces, clearing the raw batch
 * after every push as the mapper would, and prints the best pass in MB/s (10^6 bytes) and rows/s.
 * ENCLOSE (e.g. '"') turns on enclose mode with escape '\\', i.e. the state-machine path.
 * Generate the reference data with: python3 shared/bench/gen_lineitem.py 200000 /tmp/li 42
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../src/core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/decode/decoder.h"

extern const sl_decoder_vtab sl_decoder_csv;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static char *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = sz > 0 ? malloc((size_t)sz) : NULL;
    if (p && fread(p, 1, (size_t)sz, f) != (size_t)sz) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *n = p ? (size_t)sz : 0;
    return p;
}

/* One full decode of body; returns rows decoded or -1 on a decoder error. */
static long long one_pass(const char *body, size_t n, size_t chunk, const sl_decode_opts *o)
{
    static _Alignas(16) char state[4096];
    sl_err err = {SL_OK, ""};
    sl_rawbatch rb = {0};
    long long rows = 0;
    if (sl_decoder_csv.state_size > sizeof state)
        return -1;
    memset(state, 0, sizeof state);
    sl_code c = sl_decoder_csv.open(state, o, &err);
    for (size_t off = 0; c == SL_OK || c == SL_AGAIN; off += chunk) {
        if (off >= n) {
            c = sl_decoder_csv.finish(state, &rb);
            rows += (long long)rb.n_rows;
            break;
        }
        size_t k = n - off < chunk ? n - off : chunk;
        c = sl_decoder_csv.push(state, body + off, k, &rb);
        rows += (long long)rb.n_rows;
        sl_rawbatch_clear(&rb);
    }
    sl_decoder_csv.close(state);
    sl_rawbatch_free(&rb);
    if (c != SL_OK) {
        fprintf(stderr, "decode failed: %s\n", err.msg);
        return -1;
    }
    return rows;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE [SEP=,] [CHUNK_KB=1024] [REPEAT=5] [ENCLOSE]\n",
                argv[0]);
        return 2;
    }
    size_t n;
    char *body = read_file(argv[1], &n);
    if (body == NULL) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    sl_decode_opts o;
    sl_decode_opts_default(&o);
    const char *sep = argc > 2 ? argv[2] : ",";
    o.col_sep_len = strlen(sep) ? strlen(sep) : 1;
    memcpy(o.col_sep, sep, o.col_sep_len);
    size_t chunk = (argc > 3 ? (size_t)atol(argv[3]) : 1024) * 1024;
    int repeat = argc > 4 ? atoi(argv[4]) : 5;
    if (argc > 5 && argv[5][0]) {
        o.enclose = (unsigned char)argv[5][0];
        o.escape = '\\';
    }
    double best = 1e30;
    long long rows = 0;
    for (int i = 0; i < repeat; i++) {
        double t0 = now_s();
        rows = one_pass(body, n, chunk ? chunk : 1, &o);
        double t = now_s() - t0;
        if (rows < 0)
            return 1;
        if (t < best)
            best = t;
    }
    printf("csv decode%s: %zu bytes, %lld rows, chunk %zu KiB: %.0f MB/s, %.2f M rows/s\n",
           o.enclose >= 0 ? " (enclose)" : "", n, rows, chunk / 1024, (double)n / best / 1e6,
           (double)rows / best / 1e6);
    free(body);
    return 0;
}
