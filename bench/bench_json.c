/*
 * bench_json.c - throughput of the JSON decoder to raw batches on one core (bench/).
 *
 * usage: bench_json FILE [by-line|stream|strip] [CHUNK_KB=256] [REPEAT=1]
 * Reads FILE into memory, then pushes it through sl_decoder_json in CHUNK_KB chunks (as the
 * HTTP layer would), clearing the raw batch after every push, and prints MB/s of body decoded.
 * Generate lineitem.ndjson with: python3 shared/bench/gen_lineitem.py 2000000 DIR 42
 * Build: cc -O2 -DNDEBUG -Isrc bench/bench_json.c src/decode/json.c src/decode/json_scan.c
 *        src/decode/json_path.c src/decode/rawbatch.c src/core/(each .c) -o bench_json
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../src/core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/core/arena.h"
#include "../src/core/mem.h"
#include "../src/decode/decoder.h"

extern const sl_decoder_vtab sl_decoder_json;

static char *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = sl_malloc((size_t)sz + 1);
    if (p && fread(p, 1, (size_t)sz, f) != (size_t)sz) {
        sl_free(p);
        p = NULL;
    }
    fclose(f);
    *n = (size_t)sz;
    return p;
}

/* Wall-clock or this thread's CPU time in seconds (CPU time stays honest on a busy machine). */
static double now(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One pass over the body; returns rows decoded, or -1 on a decoder error. */
static long run(const char *body, size_t n, const sl_decode_opts *o, size_t chunk, long *errs)
{
    void *st = sl_calloc(sl_decoder_json.state_size);
    sl_err err = {0};
    sl_rawbatch rb = {0};
    long rows = 0;
    *errs = 0;
    if (st == NULL || sl_decoder_json.open(st, o, &err) != SL_OK)
        return -1;
    for (size_t off = 0; off <= n; off += chunk) {
        size_t len = n - off < chunk ? n - off : chunk;
        sl_code rc = off == n ? sl_decoder_json.finish(st, &rb)
                              : sl_decoder_json.push(st, body + off, len, &rb);
        if (rc != SL_OK && rc != SL_AGAIN) {
            fprintf(stderr, "decoder error: %s\n", err.msg);
            rows = -1;
            break;
        }
        for (size_t i = 0; i < rb.n_rows; i++)
            *errs += rb.rows[i].err != NULL;
        rows += (long)rb.n_rows;
        sl_rawbatch_clear(&rb);
        if (off == n)
            break;
    }
    sl_decoder_json.close(st);
    sl_rawbatch_free(&rb);
    sl_free(st);
    return rows;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE [by-line|stream|strip] [CHUNK_KB] [REPEAT]\n", argv[0]);
        return 2;
    }
    const char *mode = argc > 2 ? argv[2] : "by-line";
    size_t chunk = (size_t)(argc > 3 ? atol(argv[3]) : 256) * 1024;
    int repeat = argc > 4 ? atoi(argv[4]) : 1;
    size_t n;
    char *body = read_file(argv[1], &n);
    if (body == NULL || chunk == 0) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    sl_decode_opts o;
    sl_decode_opts_default(&o);
    o.read_json_by_line = strcmp(mode, "by-line") == 0;
    o.strip_outer_array = strcmp(mode, "strip") == 0;
    double best = 0, best_cpu = 0;
    long rows = 0, errs = 0;
    for (int r = 0; r < repeat; r++) {
        double t0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_THREAD_CPUTIME_ID);
        rows = run(body, n, &o, chunk, &errs);
        double t = now(CLOCK_MONOTONIC) - t0, c = now(CLOCK_THREAD_CPUTIME_ID) - c0;
        if (rows < 0)
            return 1;
        if ((double)n / 1e6 / t > best)
            best = (double)n / 1e6 / t;
        if ((double)n / 1e6 / c > best_cpu)
            best_cpu = (double)n / 1e6 / c;
    }
    printf("json %s: %zu bytes, %ld rows (%ld errors), chunk %zu KiB: %.0f MB/s wall, %.0f MB/s "
           "per CPU second\n",
           mode, n, rows, errs, chunk / 1024, best, best_cpu);
    sl_free(body);
    return 0;
}
