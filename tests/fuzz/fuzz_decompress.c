/*
 * fuzz_decompress.c - libFuzzer target for src/decode/decompress.c (decode stage).
 *
 * Input: byte 0 selects the codec (low 4 bits mod 9: gz, deflate, bz2, lz4, zstd, plain, lzop,
 * lz4_block, snappy_block) and seeds the chunking; the rest is the body. The body is decompressed twice, once in
 * one push and once in pseudo-random splits (with empty pushes), and the two runs must agree:
 * both succeed with the same output, or both fail. Output is capped at 1 MiB so a bomb in the
 * corpus costs time, not memory; every piece is checked against SL_DECOMP_OUT and read fully.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../src/core/platform.h"

#include <stdlib.h>

#include "../../src/decode/decompress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const types[] = {"gz",   "deflate", "bz2",       "lz4",         "zstd",
                                    "plain", "lzop",   "lz4_block", "snappy_block"};

typedef struct run_out {
    uint64_t hash; /* FNV-1a of all output */
    uint64_t total;
} run_out;

static sl_code emit(void *arg, const char *p, size_t n)
{
    run_out *o = arg;
    if (n == 0 || n > SL_DECOMP_OUT)
        abort();
    for (size_t i = 0; i < n; i++)
        o->hash = (o->hash ^ (uint8_t)p[i]) * 0x100000001b3ull;
    o->total += n;
    return SL_AGAIN;
}

static sl_code run(const char *type, const uint8_t *p, size_t n, uint64_t seed, run_out *o)
{
    sl_decomp *d = NULL;
    sl_err err = {0};
    sl_code c = sl_decomp_open(sl_slice_of(type), &d, &err);
    if (c != SL_OK)
        abort();
    sl_decomp_limit(d, (uint64_t)1 << 20);
    o->hash = 0xcbf29ce484222325ull;
    o->total = 0;
    for (size_t i = 0; i < n;) {
        size_t k = n - i;
        if (seed != 0) {
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
            k = seed % 4 == 0 ? 0 : 1 + (size_t)(seed >> 8) % (seed % 3 == 0 ? 8 : 4096);
            if (k > n - i)
                k = n - i;
        }
        c = sl_decomp_push(d, (const char *)p + i, k, emit, o, &err);
        if (c != SL_AGAIN)
            goto out;
        i += k;
    }
    c = sl_decomp_finish(d, emit, o, &err);
out:
    if (c != SL_OK && (err.code == SL_OK || err.msg[0] == '\0'))
        abort(); /* every error carries a message */
    sl_decomp_free(d);
    return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *type = types[(data[0] & 15) % 9];
    uint64_t seed = ((uint64_t)data[0] << 32) ^ size ^ 0x9e3779b97f4a7c15ull;
    run_out whole, split;
    sl_code a = run(type, data + 1, size - 1, 0, &whole);
    sl_code b = run(type, data + 1, size - 1, seed, &split);
    if ((a == SL_OK) != (b == SL_OK))
        abort();
    if (a == SL_OK && (whole.hash != split.hash || whole.total != split.total))
        abort();
    return 0;
}
