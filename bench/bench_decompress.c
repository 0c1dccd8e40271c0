/*
 * bench_decompress.c - decompression throughput of the body decompressor (decode stage).
 *
 * usage: bench_decompress FILE.csv [CHUNK_KIB=64] [REPEAT=3]
 *        bench_decompress -f TYPE FILE.compressed [CHUNK_KIB=64] [REPEAT=3]
 *
 * The first form compresses FILE.csv in memory with each library's own compressor at its
 * default level (gzip/zlib 6, bzip2 9, LZ4 frame default, zstd 3), then times sl_decomp_push
 * over the compressed bytes in CHUNK_KIB pieces, as HTTP body chunks arrive, with an emit that
 * touches each piece (so the number is the decompressor's, not a decoder's); one more, untimed
 * pass checks the output byte for byte (position-weighted sum) against the input. The second
 * form times a file made by any tool (gzip, pigz, zstd -T0, ...). Reports the best of REPEAT
 * runs as MB/s of decompressed output (1 MB = 10^6 bytes) and of compressed input.
 * Build: cc -O2 -DNDEBUG -Isrc bench/bench_decompress.c src/decode/decompress.c src/core/[a-z]*.c
 *        -lz -lbz2 -llz4 -lzstd
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../src/core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bzlib.h>
#include <lz4frame.h>
#include <zlib.h>
#include <zstd.h>

#include "../src/decode/decompress.h"

typedef struct blob {
    char *p;
    size_t n;
} blob;

typedef struct sum {
    uint64_t total;
    uint64_t check; /* full: position-weighted byte sum, independent of piece boundaries */
    bool full;      /* false in timed runs: touch the ends of each piece only */
} sum;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static sl_code emit(void *arg, const char *p, size_t n)
{
    sum *s = arg;
    if (s->full)
        for (size_t i = 0; i < n; i++)
            s->check += (uint64_t)(uint8_t)p[i] * (s->total + i + 1);
    else
        s->check += (uint8_t)p[0] + (uint8_t)p[n - 1];
    s->total += n;
    return SL_AGAIN;
}

static blob read_file(const char *path)
{
    blob b = {NULL, 0};
    FILE *f = fopen(path, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0)
        return b;
    long len = ftell(f);
    rewind(f);
    b.p = malloc(len > 0 ? (size_t)len : 1);
    if (b.p && fread(b.p, 1, (size_t)len, f) == (size_t)len)
        b.n = (size_t)len;
    fclose(f);
    return b;
}

static blob compress_zlib(const blob in, int wbits)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    blob b = {NULL, 0};
    if (deflateInit2(&z, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return b;
    size_t cap = deflateBound(&z, in.n);
    b.p = malloc(cap);
    z.next_in = (Bytef *)in.p;
    z.avail_in = (uInt)in.n;
    z.next_out = (Bytef *)b.p;
    z.avail_out = (uInt)cap;
    if (b.p && deflate(&z, Z_FINISH) == Z_STREAM_END)
        b.n = z.total_out;
    deflateEnd(&z);
    return b;
}

static blob compress_as(const char *type, const blob in)
{
    blob b = {NULL, 0};
    if (strcmp(type, "gz") == 0)
        return compress_zlib(in, 31);
    if (strcmp(type, "deflate") == 0)
        return compress_zlib(in, 15);
    if (strcmp(type, "bz2") == 0) {
        unsigned cap = (unsigned)(in.n + in.n / 100 + 600);
        b.p = malloc(cap);
        if (b.p && BZ2_bzBuffToBuffCompress(b.p, &cap, in.p, (unsigned)in.n, 9, 0, 0) == BZ_OK)
            b.n = cap;
    } else if (strcmp(type, "lz4") == 0) {
        size_t cap = LZ4F_compressFrameBound(in.n, NULL);
        b.p = malloc(cap);
        size_t r = b.p ? LZ4F_compressFrame(b.p, cap, in.p, in.n, NULL) : 0;
        b.n = LZ4F_isError(r) ? 0 : r;
    } else if (strcmp(type, "zstd") == 0) {
        size_t cap = ZSTD_compressBound(in.n);
        b.p = malloc(cap);
        size_t r = b.p ? ZSTD_compress(b.p, cap, in.p, in.n, 3) : 0;
        b.n = ZSTD_isError(r) ? 0 : r;
    }
    return b;
}

/* One pass (timed, or full-checksum when full); returns seconds, or -1 on error. */
static double one_pass(const char *type, const blob c, size_t chunk, sum *s, bool full)
{
    sl_decomp *d = NULL;
    sl_err err = {0};
    memset(s, 0, sizeof *s);
    s->full = full;
    double t0 = now();
    sl_code rc = sl_decomp_open(sl_slice_of(type), &d, &err);
    for (size_t i = 0; rc == SL_OK && i < c.n; i += chunk) {
        size_t k = c.n - i < chunk ? c.n - i : chunk;
        rc = sl_decomp_push(d, c.p + i, k, emit, s, &err);
        rc = rc == SL_AGAIN ? SL_OK : rc;
    }
    if (rc == SL_OK)
        rc = sl_decomp_finish(d, emit, s, &err);
    double t = now() - t0;
    sl_decomp_free(d);
    if (rc != SL_OK) {
        fprintf(stderr, "%s: %s\n", type, err.msg);
        return -1;
    }
    return t;
}

static int bench(const char *type, const blob c, size_t chunk, int repeat, const sum *want)
{
    double best = 1e30;
    sum s;
    for (int r = 0; r < repeat; r++) {
        double t = one_pass(type, c, chunk, &s, false);
        if (t < 0)
            return 1;
        best = t < best ? t : best;
    }
    sum full;
    if (want && (one_pass(type, c, chunk, &full, true) < 0 || full.total != want->total ||
                 full.check != want->check)) {
        fprintf(stderr, "%s: output differs from the input\n", type);
        return 1;
    }
    printf("%-8s in %8.1f MB  out %8.1f MB  ratio %5.2f  %7.3f s  %7.1f MB/s out  %7.1f MB/s in\n",
           type, (double)c.n / 1e6, (double)s.total / 1e6, (double)s.total / (double)c.n, best,
           (double)s.total / best / 1e6, (double)c.n / best / 1e6);
    return 0;
}

int main(int argc, char **argv)
{
    bool file_mode = argc > 1 && strcmp(argv[1], "-f") == 0;
    int a = file_mode ? 3 : 1;
    if (argc <= a) {
        fprintf(stderr,
                "usage: %s FILE.csv [CHUNK_KIB] [REPEAT]\n"
                "       %s -f TYPE FILE.compressed [CHUNK_KIB] [REPEAT]\n",
                argv[0], argv[0]);
        return 2;
    }
    size_t chunk = (argc > a + 1 ? (size_t)atol(argv[a + 1]) : 64) * 1024;
    int repeat = argc > a + 2 ? atoi(argv[a + 2]) : 3;
    blob in = read_file(argv[a]);
    if (in.n == 0 || chunk == 0 || repeat < 1) {
        fprintf(stderr, "cannot read %s (or bad arguments)\n", argv[a]);
        return 2;
    }
    if (file_mode)
        return bench(argv[2], in, chunk, repeat, NULL);
    sum want;
    memset(&want, 0, sizeof want);
    /* Reference checksum: the plain file through the same piece boundaries. */
    if (one_pass("plain", in, chunk, &want, true) < 0)
        return 1;
    static const char *const types[] = {"plain", "gz", "deflate", "bz2", "lz4", "zstd"};
    int bad = 0;
    for (size_t i = 0; i < SL_COUNT(types); i++) {
        blob c = strcmp(types[i], "plain") == 0 ? in : compress_as(types[i], in);
        if (c.n == 0) {
            fprintf(stderr, "%s: compression failed\n", types[i]);
            return 1;
        }
        bad |= bench(types[i], c, chunk, repeat, &want);
        if (c.p != in.p)
            free(c.p);
    }
    free(in.p);
    return bad;
}
