/*
 * test_decompress.c - unit tests for src/decode/decompress.c (decode stage).
 *
 * Every codec's input is made here with the library's own compressor, then decompressed
 * through the sl_decomp API fed whole, byte by byte and in random splits; the output must be
 * identical each time and arrive in pieces of at most SL_DECOMP_OUT. Corruption (byte flips,
 * truncation, trailing garbage) must give an error or, for a flip the format cannot see (a
 * gzip mtime byte), the very same output - never a wrong result with SL_OK, never a crash.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/decode/decompress.c"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- helpers ---- */

typedef struct sink {
    char *buf; /* kept output (keep == true) */
    size_t n, cap;
    bool keep;
    uint64_t total; /* bytes seen */
    size_t max_piece;
    size_t pieces;
    bool all_zero;   /* every byte seen was 0 */
    long stop_after; /* > 0: return stop_code once this many pieces were seen */
    sl_code stop_code;
} sink;

static void sink_init(sink *s, bool keep)
{
    memset(s, 0, sizeof *s);
    s->keep = keep;
    s->all_zero = true;
}

static sl_code sink_emit(void *arg, const char *p, size_t n)
{
    sink *s = arg;
    cr_assert(n >= 1 && n <= SL_DECOMP_OUT, "piece of %zu bytes", n);
    s->pieces++;
    s->total += n;
    if (n > s->max_piece)
        s->max_piece = n;
    if (s->all_zero)
        for (size_t i = 0; i < n; i++)
            if (p[i] != 0) {
                s->all_zero = false;
                break;
            }
    if (s->keep) {
        if (s->n + n > s->cap) {
            size_t cap = (s->n + n) * 2;
            s->buf = realloc(s->buf, cap);
            cr_assert(s->buf != NULL);
            s->cap = cap;
        }
        memcpy(s->buf + s->n, p, n);
        s->n += n;
    }
    if (s->stop_after > 0 && (long)s->pieces >= s->stop_after)
        return s->stop_code;
    return SL_AGAIN; /* like a decoder's push: must count as success */
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Sample data: lineitem-like CSV lines with some binary noise, n bytes. */
static char *sample(size_t n)
{
    char *p = malloc(n);
    size_t i = 0;
    cr_assert(p != NULL);
    for (unsigned row = 0; i < n; row++) {
        char line[160];
        int k = snprintf(line, sizeof line, "%u|%u|%u|%u.%02u|1996-03-%02u|N|O|TRUCK|quickly %s\n",
                         row, row * 7919u % 200000, row % 10000, row % 50, row % 100, 1 + row % 28,
                         (row % 3) ? "final deposits" : "ironic foxes");
        for (int j = 0; j < k && i < n; j++)
            p[i++] = line[j];
        if (row % 97 == 0)
            for (int j = 0; j < 40 && i < n; j++)
                p[i++] = (char)rnd();
    }
    return p;
}

typedef struct blob {
    char *p;
    size_t n;
} blob;

/* windowBits: 31 gzip, 15 zlib, -15 raw deflate. */
static blob z_compress(const char *src, size_t n, int wbits)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    cr_assert(eq(int, deflateInit2(&z, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK));
    blob b = {malloc(deflateBound(&z, n) + 64), 0};
    cr_assert(b.p != NULL);
    z.next_in = (const Bytef *)src;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)b.p;
    z.avail_out = (uInt)(deflateBound(&z, n) + 64);
    cr_assert(eq(int, deflate(&z, Z_FINISH), Z_STREAM_END));
    b.n = z.total_out;
    deflateEnd(&z);
    return b;
}

static blob bz2_compress(const char *src, size_t n)
{
    unsigned cap = (unsigned)(n + n / 100 + 700);
    blob b = {malloc(cap), 0};
    cr_assert(b.p != NULL);
    cr_assert(
        eq(int, BZ2_bzBuffToBuffCompress(b.p, &cap, (char *)src, (unsigned)n, 9, 0, 0), BZ_OK));
    b.n = cap;
    return b;
}

static blob lz4_compress(const char *src, size_t n, bool checksum)
{
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof prefs);
    prefs.frameInfo.contentChecksumFlag = checksum ? LZ4F_contentChecksumEnabled : 0;
    prefs.frameInfo.blockChecksumFlag = checksum ? LZ4F_blockChecksumEnabled : 0;
    size_t cap = LZ4F_compressFrameBound(n, &prefs);
    blob b = {malloc(cap), 0};
    cr_assert(b.p != NULL);
    b.n = LZ4F_compressFrame(b.p, cap, src, n, &prefs);
    cr_assert(LZ4F_isError(b.n) == 0);
    return b;
}

static blob zstd_compress(const char *src, size_t n, bool checksum)
{
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    size_t cap = ZSTD_compressBound(n);
    blob b = {malloc(cap), 0};
    cr_assert(b.p != NULL && cc != NULL);
    ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 3);
    ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, checksum ? 1 : 0);
    b.n = ZSTD_compress2(cc, b.p, cap, src, n);
    cr_assert(ZSTD_isError(b.n) == 0);
    ZSTD_freeCCtx(cc);
    return b;
}

static void put32(blob *b, uint32_t v)
{
    b->p[b->n++] = (char)(v >> 24);
    b->p[b->n++] = (char)(v >> 16);
    b->p[b->n++] = (char)(v >> 8);
    b->p[b->n++] = (char)v;
}

/* An lzop file as lzop 1.04 writes it: 256 KiB blocks of LZO1X-1, stored when that does not
 * shrink them; checksum: Adler-32 of the data and of the compressed data (lzop's default). */
static blob lzop_compress_flags(const char *src, size_t n, uint32_t flags)
{
    enum { BLOCK = 256 * 1024 };
    static const unsigned char magic[9] = {0x89, 'L', 'Z', 'O', 0, '\r', '\n', 0x1a, '\n'};
    cr_assert(eq(int, lzo_init(), LZO_E_OK));
    blob b = {malloc(n + n / 16 + 80 * (n / BLOCK + 2) + 4096), 0};
    void *wrk = malloc(LZO1X_1_MEM_COMPRESS);
    unsigned char *tmp = malloc(BLOCK + BLOCK / 16 + 64 + 3);
    cr_assert(b.p != NULL && wrk != NULL && tmp != NULL);
    memcpy(b.p, magic, 9);
    b.n = 9;
    size_t h0 = b.n;
    unsigned char hdr[] = {0x10, 0x40, 0x20, 0xa0, 0x09, 0x40, 1, 5};
    memcpy(b.p + b.n, hdr, sizeof hdr);
    b.n += sizeof hdr;
    put32(&b, flags);
    put32(&b, 0100644); /* mode */
    put32(&b, 1700000000); /* mtime low */
    put32(&b, 0);          /* mtime high */
    b.p[b.n++] = 5;
    memcpy(b.p + b.n, "t.csv", 5);
    b.n += 5;
    put32(&b, lzop_sum(flags & F_H_CRC32, (const uint8_t *)b.p + h0, b.n - h0));
    for (size_t off = 0; off < n; off += BLOCK) {
        size_t k = n - off < BLOCK ? n - off : BLOCK;
        lzo_uint clen = 0;
        cr_assert(eq(int, lzo1x_1_compress((const unsigned char *)src + off, k, tmp, &clen, wrk),
                     LZO_E_OK));
        bool stored = clen >= k;
        put32(&b, (uint32_t)k);
        put32(&b, (uint32_t)(stored ? k : clen));
        if (flags & F_ADLER32_D)
            put32(&b, lzop_sum(false, (const uint8_t *)src + off, k));
        if (flags & F_CRC32_D)
            put32(&b, lzop_sum(true, (const uint8_t *)src + off, k));
        if ((flags & F_ADLER32_C) && !stored)
            put32(&b, lzop_sum(false, tmp, clen));
        if ((flags & F_CRC32_C) && !stored)
            put32(&b, lzop_sum(true, tmp, clen));
        memcpy(b.p + b.n, stored ? (const void *)(src + off) : (const void *)tmp,
               stored ? k : clen);
        b.n += stored ? k : clen;
    }
    put32(&b, 0);
    free(wrk);
    free(tmp);
    return b;
}

static blob lzop_compress(const char *src, size_t n, bool checksum)
{
    return lzop_compress_flags(src, n, checksum ? (F_ADLER32_D | F_ADLER32_C) : 0);
}

/* Hadoop BlockCompressorStream framing: 256 KiB raw blocks, each sent as 64 KiB chunks. */
static blob hadoop_compress(const char *src, size_t n, bool snappy)
{
    enum { BLOCK = 256 * 1024, CHUNK = 64 * 1024 };
    size_t bound = snappy ? snappy_max_compressed_length(CHUNK) : (size_t)LZ4_compressBound(CHUNK);
    blob b = {malloc((n / CHUNK + 2) * (bound + 8) + 8), 0};
    cr_assert(b.p != NULL);
    if (n == 0)
        put32(&b, 0);
    for (size_t off = 0; off < n; off += BLOCK) {
        size_t k = n - off < BLOCK ? n - off : BLOCK;
        put32(&b, (uint32_t)k);
        for (size_t c = 0; c < k; c += CHUNK) {
            size_t m = k - c < CHUNK ? k - c : CHUNK, out = bound;
            char *dst = b.p + b.n + 4;
            if (snappy)
                cr_assert(eq(int, snappy_compress(src + off + c, m, dst, &out), SNAPPY_OK));
            else
                out = (size_t)LZ4_compress_default(src + off + c, dst, (int)m, (int)bound);
            cr_assert(out > 0);
            put32(&b, (uint32_t)out);
            b.n += out;
        }
    }
    return b;
}

enum codec_id { GZ, DEFLATE, BZ2, LZ4, ZSTD, LZOP, LZ4_BLOCK, SNAPPY_BLOCK, N_CODECS };
static const char *const codec_names[N_CODECS] = {"gz",   "deflate", "bz2",       "lz4",
                                                  "zstd", "lzop",    "lz4_block", "snappy_block"};
/* The Hadoop block formats carry no checksum: a flipped byte may decode to other data. */
static const bool detects_flips[N_CODECS] = {1, 1, 1, 1, 1, 1, 0, 0};

/* Compress with the library's own compressor; checksum: LZ4/zstd content checksums on. */
static blob compress_as(int id, const char *src, size_t n, bool checksum)
{
    switch (id) {
    case GZ:
        return z_compress(src, n, 31);
    case DEFLATE:
        return z_compress(src, n, 15);
    case BZ2:
        return bz2_compress(src, n);
    case LZ4:
        return lz4_compress(src, n, checksum);
    case LZOP:
        return lzop_compress(src, n, checksum);
    case LZ4_BLOCK:
        return hadoop_compress(src, n, false);
    case SNAPPY_BLOCK:
        return hadoop_compress(src, n, true);
    default:
        return zstd_compress(src, n, checksum);
    }
}

static blob concat(blob a, blob b)
{
    blob c = {malloc(a.n + b.n + 1), a.n + b.n};
    cr_assert(c.p != NULL);
    memcpy(c.p, a.p, a.n);
    memcpy(c.p + a.n, b.p, b.n);
    return c;
}

enum split { WHOLE, BYTES, RANDOM };

/* Decompress src as type, fed per split, into s. Returns the first error or finish's code. */
static sl_code run_split(const char *type, const char *src, size_t n, enum split how, sink *s,
                         sl_err *err)
{
    sl_decomp *d = NULL;
    sl_code c = sl_decomp_open(sl_slice_of(type), &d, err);
    if (c != SL_OK)
        return c;
    size_t i = 0;
    while (i < n) {
        size_t k = how == WHOLE ? n - i : how == BYTES ? 1 : 1 + rnd() % 70000;
        if (k > n - i)
            k = n - i;
        c = sl_decomp_push(d, src + i, k, sink_emit, s, err);
        if (c != SL_AGAIN)
            goto out;
        i += k;
        if (how == RANDOM && rnd() % 4 == 0) { /* empty pushes are allowed anywhere */
            c = sl_decomp_push(d, NULL, 0, sink_emit, s, err);
            if (c != SL_AGAIN)
                goto out;
        }
    }
    c = sl_decomp_finish(d, sink_emit, s, err);
out:
    sl_decomp_free(d);
    return c;
}

static void expect_same(const char *type, blob comp, const char *want, size_t want_n)
{
    for (int how = WHOLE; how <= RANDOM; how++) {
        sink s;
        sl_err err = {0};
        sink_init(&s, true);
        sl_code c = run_split(type, comp.p, comp.n, (enum split)how, &s, &err);
        cr_assert(eq(int, c, SL_OK), "%s split %d: %s", type, how, err.msg);
        cr_assert(eq(sz, s.n, want_n), "%s split %d", type, how);
        cr_assert(want_n == 0 || memcmp(s.buf, want, want_n) == 0, "%s split %d", type, how);
        cr_assert(s.max_piece <= SL_DECOMP_OUT);
        free(s.buf);
    }
}

/* ---- round trips ---- */

#define SAMPLE_N (600 * 1024) /* > 2 output pieces */

static void roundtrip(int id)
{
    char *src = sample(SAMPLE_N);
    blob b = compress_as(id, src, SAMPLE_N, false);
    expect_same(codec_names[id], b, src, SAMPLE_N);
    free(b.p);
    free(src);
}

Test(decompress, roundtrip_gz, .timeout = 60)
{
    roundtrip(GZ);
}

Test(decompress, roundtrip_deflate, .timeout = 60)
{
    roundtrip(DEFLATE);
}

Test(decompress, roundtrip_bz2, .timeout = 60)
{
    roundtrip(BZ2);
}

Test(decompress, roundtrip_lz4, .timeout = 60)
{
    roundtrip(LZ4);
}

Test(decompress, roundtrip_zstd, .timeout = 60)
{
    roundtrip(ZSTD);
}

Test(decompress, roundtrip_lzop, .timeout = 60)
{
    roundtrip(LZOP);
}

Test(decompress, roundtrip_lz4_block, .timeout = 60)
{
    roundtrip(LZ4_BLOCK);
}

Test(decompress, roundtrip_snappy_block, .timeout = 60)
{
    roundtrip(SNAPPY_BLOCK);
}

Test(decompress, roundtrip_checksummed_frames)
{
    char *src = sample(100000);
    blob l = lz4_compress(src, 100000, true), z = zstd_compress(src, 100000, true);
    expect_same("lz4frame", l, src, 100000);
    expect_same("ZSTD", z, src, 100000);
    free(l.p);
    free(z.p);
    free(src);
}

Test(decompress, empty_streams)
{
    for (int id = 0; id < N_CODECS; id++) {
        blob b = compress_as(id, "", 0, false);
        cr_assert(b.n > 0);
        expect_same(codec_names[id], b, "", 0);
        free(b.p);
        blob none = {"", 0}; /* no body at all: nothing out, no error */
        expect_same(codec_names[id], none, "", 0);
    }
}

/* cat a.gz b.gz, and the same for every codec (Doris resets zlib/bz2 at each stream end). */
Test(decompress, concatenated_streams, .timeout = 60)
{
    char *src = sample(300000);
    for (int id = 0; id < N_CODECS; id++) {
        blob a = compress_as(id, src, 100000, false);
        blob b = compress_as(id, src + 100000, 200000, false);
        blob e = compress_as(id, "", 0, false);
        blob ab = concat(a, b), abe = concat(ab, e);
        expect_same(codec_names[id], abe, src, 300000);
        free(a.p), free(b.p), free(e.p), free(ab.p), free(abe.p);
    }
    free(src);
}

Test(decompress, gz_accepts_zlib_stream_like_doris)
{
    char *src = sample(50000);
    blob z = z_compress(src, 50000, 15);
    expect_same("gz", z, src, 50000);
    free(z.p);
    free(src);
}

Test(decompress, deflate_means_zlib_wrapped)
{
    char *src = sample(50000);
    blob raw = z_compress(src, 50000, -15), gz = z_compress(src, 50000, 31);
    sink s;
    sl_err err = {0};
    sink_init(&s, false);
    cr_assert(eq(int, run_split("deflate", raw.p, raw.n, WHOLE, &s, &err), SL_INVALID));
    cr_assert(strstr(err.msg, "deflate: data is corrupt: ") == err.msg, "%s", err.msg);
    sl_err_clear(&err);
    cr_assert(eq(int, run_split("deflate", gz.p, gz.n, WHOLE, &s, &err), SL_INVALID));
    free(raw.p), free(gz.p), free(src);
}

Test(decompress, preset_dictionary_is_refused)
{
    z_stream z;
    char out[256];
    memset(&z, 0, sizeof z);
    cr_assert(eq(int, deflateInit2(&z, 6, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY), Z_OK));
    cr_assert(eq(int, deflateSetDictionary(&z, (const Bytef *)"1|2|3\n", 6), Z_OK));
    z.next_in = (const Bytef *)"1|2|3\n1|2|3\n";
    z.avail_in = 12;
    z.next_out = (Bytef *)out;
    z.avail_out = sizeof out;
    cr_assert(eq(int, deflate(&z, Z_FINISH), Z_STREAM_END));
    size_t n = z.total_out;
    deflateEnd(&z);
    sink s;
    sl_err err = {0};
    sink_init(&s, false);
    cr_assert(eq(int, run_split("deflate", out, n, BYTES, &s, &err), SL_INVALID));
    cr_assert(eq(str, err.msg, "deflate: data is corrupt: stream needs a preset dictionary"));
}

/* ---- corruption ---- */

Test(decompress, truncation_is_an_error, .timeout = 120)
{
    char *src = sample(20000);
    for (int id = 0; id < N_CODECS; id++) {
        blob b = compress_as(id, src, 20000, false);
        size_t step = b.n > 400 ? b.n / 400 : 1;
        for (size_t len = 1; len < b.n; len += step) {
            sink s;
            sl_err err = {0};
            sink_init(&s, false);
            sl_code c = run_split(codec_names[id], b.p, len, RANDOM, &s, &err);
            cr_assert(eq(int, c, SL_INVALID), "%s cut at %zu of %zu", codec_names[id], len, b.n);
            cr_assert(strncmp(err.msg, codec_names[id], strlen(codec_names[id])) == 0, "%s",
                      err.msg);
        }
        /* The last byte missing must say "truncated stream". */
        sink s;
        sl_err err = {0};
        sink_init(&s, false);
        cr_assert(eq(int, run_split(codec_names[id], b.p, b.n - 1, WHOLE, &s, &err), SL_INVALID));
        cr_assert(strstr(err.msg, "truncated stream") != NULL, "%s: %s", codec_names[id], err.msg);
        free(b.p);
    }
    free(src);
}

Test(decompress, byte_flips_error_or_same_output, .timeout = 120)
{
    char *src = sample(30000);
    for (int id = 0; id < N_CODECS; id++) {
        if (!detects_flips[id])
            continue;
        blob b = compress_as(id, src, 30000, true);
        int errors = 0;
        for (int t = 0; t < 300; t++) {
            blob f = concat(b, (blob){"", 0});
            size_t at = rnd() % f.n;
            f.p[at] ^= (char)(1 + rnd() % 255);
            sink s;
            sl_err err = {0};
            sink_init(&s, true);
            sl_code c = run_split(codec_names[id], f.p, f.n, RANDOM, &s, &err);
            if (c == SL_OK)
                cr_assert(s.n == 30000 && memcmp(s.buf, src, 30000) == 0,
                          "%s flip at %zu: wrong output with SL_OK", codec_names[id], at);
            else {
                errors++;
                cr_assert(eq(int, c, SL_INVALID), "%s: %s", codec_names[id], err.msg);
            }
            free(s.buf);
            free(f.p);
        }
        cr_assert(errors > 250, "%s caught only %d of 300 flips", codec_names[id], errors);
        free(b.p);
    }
    free(src);
}

Test(decompress, trailing_garbage_is_an_error)
{
    static const char *const tails[] = {"garbage after the end", "x", "\0\0\0\0\0\0\0\0"};
    static const size_t tail_n[] = {21, 1, 8};
    char *src = sample(10000);
    for (int id = 0; id < N_CODECS; id++) {
        blob b = compress_as(id, src, 10000, false);
        for (size_t t = 0; t < SL_COUNT(tails); t++) {
            blob g = concat(b, (blob){(char *)tails[t], tail_n[t]});
            sink s;
            sl_err err = {0};
            sink_init(&s, true);
            sl_code c = run_split(codec_names[id], g.p, g.n, RANDOM, &s, &err);
            if (t == 2 && (id == LZ4_BLOCK || id == SNAPPY_BLOCK)) /* zeros: empty blocks */
                cr_assert(c == SL_OK && s.n == 10000 && memcmp(s.buf, src, 10000) == 0);
            else
                cr_assert(eq(int, c, SL_INVALID), "%s tail %zu", codec_names[id], t);
            free(s.buf);
            free(g.p);
        }
        free(b.p);
    }
    free(src);
}

Test(decompress, corrupt_message_names_codec)
{
    sink s;
    sl_err err = {0};
    sink_init(&s, false);
    cr_assert(eq(int, run_split("gz", "not gzip at all", 15, WHOLE, &s, &err), SL_INVALID));
    cr_assert(strstr(err.msg, "gz: data is corrupt: incorrect header check") != NULL, "%s",
              err.msg);
    sl_err_clear(&err);
    cr_assert(eq(int, run_split("bz2", "BZh9 not really", 15, WHOLE, &s, &err), SL_INVALID));
    cr_assert(strstr(err.msg, "bz2: data is corrupt") != NULL, "%s", err.msg);
    sl_err_clear(&err);
    cr_assert(eq(int, run_split("lz4", "not lz4 at all!", 15, WHOLE, &s, &err), SL_INVALID));
    cr_assert(strstr(err.msg, "lz4: data is corrupt: frameType_unknown") != NULL, "%s", err.msg);
    sl_err_clear(&err);
    cr_assert(eq(int, run_split("zstd", "not zstd at all", 15, WHOLE, &s, &err), SL_INVALID));
    cr_assert(strstr(err.msg, "zstd: data is corrupt: ") != NULL, "%s", err.msg);
}

/* ---- bounded memory, limits ---- */

#define BOMB_N ((size_t)100 << 20)

/* 100 MiB of zeros: compressed to a few hundred KiB at most, must stream back in pieces. */
static void bomb(int id)
{
    char *zeros = calloc(1, BOMB_N); /* fresh mmap: zero pages, not resident until written */
    cr_assert(zeros != NULL);
    blob b = compress_as(id, zeros, BOMB_N, false);
    free(zeros);
    cr_assert(b.n < BOMB_N / 100, "%s: %zu", codec_names[id], b.n);
    sink s;
    sl_err err = {0};
    sink_init(&s, false);
    cr_assert(eq(int, run_split(codec_names[id], b.p, b.n, RANDOM, &s, &err), SL_OK), "%s",
              err.msg);
    cr_assert(eq(u64, s.total, (uint64_t)BOMB_N));
    cr_assert(s.all_zero);
    cr_assert(eq(sz, s.max_piece, (size_t)SL_DECOMP_OUT));
    cr_assert(s.pieces >= BOMB_N / SL_DECOMP_OUT);
    free(b.p);
}

Test(decompress, bomb_gz, .timeout = 120)
{
    bomb(GZ);
}

Test(decompress, bomb_deflate, .timeout = 120)
{
    bomb(DEFLATE);
}

Test(decompress, bomb_bz2, .timeout = 120)
{
    bomb(BZ2);
}

Test(decompress, bomb_lz4, .timeout = 120)
{
    bomb(LZ4);
}

Test(decompress, bomb_zstd, .timeout = 120)
{
    bomb(ZSTD);
}

Test(decompress, bomb_lzop, .timeout = 120)
{
    bomb(LZOP);
}

Test(decompress, bomb_lz4_block, .timeout = 120)
{
    bomb(LZ4_BLOCK);
}

/* A push must hand out everything its bytes decode to before it returns, even when the library
 * consumed all input and still holds output (a 4 MiB LZ4 block, a zstd block decoded into the
 * context's own buffer). The LZ4 end mark is held back so the frame is not yet complete. */
Test(decompress, push_delivers_everything_before_returning)
{
    size_t n = (size_t)8 << 20;
    char *zeros = calloc(1, n);
    cr_assert(zeros != NULL);
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof prefs);
    prefs.frameInfo.blockSizeID = LZ4F_max4MB;
    size_t cap = LZ4F_compressFrameBound(n, &prefs);
    blob l = {malloc(cap), 0};
    cr_assert(l.p != NULL);
    l.n = LZ4F_compressFrame(l.p, cap, zeros, n, &prefs);
    cr_assert(LZ4F_isError(l.n) == 0);
    blob z = zstd_compress(zeros, n, false);
    struct {
        const char *type;
        blob b;
        size_t hold;
    } cases[] = {{"lz4", l, 4}, {"zstd", z, 0}};
    for (size_t i = 0; i < SL_COUNT(cases); i++) {
        sl_decomp *d = NULL;
        sl_err err = {0};
        sink s;
        sink_init(&s, false);
        cr_assert(eq(int, sl_decomp_open(sl_slice_of(cases[i].type), &d, &err), SL_OK));
        size_t first = cases[i].b.n - cases[i].hold;
        cr_assert(eq(int, sl_decomp_push(d, cases[i].b.p, first, sink_emit, &s, &err), SL_AGAIN));
        cr_assert(eq(u64, s.total, (uint64_t)n), "%s", cases[i].type);
        cr_assert(eq(int,
                     sl_decomp_push(d, cases[i].b.p + first, cases[i].hold, sink_emit, &s, &err),
                     SL_AGAIN));
        cr_assert(eq(int, sl_decomp_finish(d, sink_emit, &s, &err), SL_OK), "%s", err.msg);
        cr_assert(eq(u64, s.total, (uint64_t)n));
        cr_assert(s.all_zero);
        sl_decomp_free(d);
    }
    free(l.p);
    free(z.p);
    free(zeros);
}

Test(decompress, output_limit)
{
    char *zeros = calloc(1, 4 << 20);
    cr_assert(zeros != NULL);
    blob b = zstd_compress(zeros, 4 << 20, false);
    sl_decomp *d = NULL;
    sl_err err = {0};
    sink s;
    sink_init(&s, false);
    cr_assert(eq(int, sl_decomp_open(SL_LIT("zstd"), &d, &err), SL_OK));
    sl_decomp_limit(d, 1000000);
    cr_assert(eq(int, sl_decomp_push(d, b.p, b.n, sink_emit, &s, &err), SL_TOO_LARGE));
    cr_assert(s.total <= 1000000);
    cr_assert(strstr(err.msg, "zstd: decompressed body exceeds 1000000 bytes") != NULL, "%s",
              err.msg);
    cr_assert(eq(int, sl_decomp_finish(d, sink_emit, &s, &err), SL_TOO_LARGE));
    sl_decomp_free(d);
    free(b.p);
    free(zeros);
}

Test(decompress, zstd_window_over_limit_is_refused)
{
    size_t n = (size_t)1 << 20;
    char *src = sample(n);
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    size_t cap = ZSTD_compressBound(n) + 1024;
    char *dst = malloc(cap);
    cr_assert(cc != NULL && dst != NULL);
    ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, SL_DECOMP_ZSTD_WINDOW_LOG_MAX + 2);
    /* Streaming without a pledged size keeps the window in the frame header. */
    ZSTD_outBuffer ob = {dst, cap, 0};
    ZSTD_inBuffer ib = {src, n, 0};
    cr_assert(ZSTD_isError(ZSTD_compressStream2(cc, &ob, &ib, ZSTD_e_continue)) == 0);
    ZSTD_inBuffer none = {"", 0, 0};
    cr_assert(eq(sz, ZSTD_compressStream2(cc, &ob, &none, ZSTD_e_end), 0));
    sink s;
    sl_err err = {0};
    sink_init(&s, false);
    cr_assert(eq(int, run_split("zstd", dst, ob.pos, WHOLE, &s, &err), SL_INVALID));
    cr_assert(strstr(err.msg, "zstd: frame window is larger than 16 MiB") != NULL, "%s", err.msg);
    ZSTD_freeCCtx(cc);
    free(dst);
    free(src);
}

/* ---- names ---- */

Test(decompress, names_and_aliases)
{
    static const struct {
        const char *in, *canon;
    } ok[] = {{"gz", "gz"},     {"GZ", "gz"},           {"gzip", "gz"},      {"bz2", "bz2"},
              {"BZIP2", "bz2"}, {"lz4", "lz4"},         {"LZ4FRAME", "lz4"}, {"zstd", "zstd"},
              {"zst", "zstd"},  {"deflate", "deflate"}, {"", "plain"},       {" plain ", "plain"},
              {"LZO", "lzop"},  {"lzop", "lzop"},       {"LZ4_BLOCK", "lz4_block"},
              {"lz4block", "lz4_block"},                {"SNAPPY_BLOCK", "snappy_block"},
              {"snappyblock", "snappy_block"}};
    for (size_t i = 0; i < SL_COUNT(ok); i++) {
        sl_decomp *d = NULL;
        sl_err err = {0};
        cr_assert(eq(int, sl_decomp_open(sl_slice_of(ok[i].in), &d, &err), SL_OK), "%s", ok[i].in);
        cr_assert(eq(str, (char *)sl_decomp_name(d), (char *)ok[i].canon));
        sl_decomp_free(d);
    }
    sl_decomp_free(NULL);
}

Test(decompress, unknown_types)
{
    static const char *const no[] = {"snappy", "lz4-block", "xz", "brotli"};
    for (size_t i = 0; i < SL_COUNT(no); i++) {
        sl_decomp *d = (sl_decomp *)1;
        sl_err err = {0};
        cr_assert(eq(int, sl_decomp_open(sl_slice_of(no[i]), &d, &err), SL_FORMAT));
        cr_assert(d == NULL);
        char want[64];
        snprintf(want, sizeof want, "unknown compress_type, compress_type=%s", no[i]);
        cr_assert(eq(str, err.msg, want));
    }
    sl_decomp *d = NULL;
    sl_err err = {0};
    cr_assert(eq(int, sl_decomp_open(SL_LIT("xz"), &d, &err), SL_FORMAT));
    cr_assert(eq(str, err.msg, "unknown compress_type, compress_type=xz"));
    char longname[300];
    memset(longname, 'q', sizeof longname);
    sl_err_clear(&err);
    cr_assert(eq(int, sl_decomp_open((sl_slice){longname, sizeof longname}, &d, &err), SL_FORMAT));
    cr_assert(strlen(err.msg) < 120, "type echo is cut");
}

Test(decompress, plain_passes_input_through_uncopied)
{
    char *src = sample(700000);
    sl_decomp *d = NULL;
    sl_err err = {0};
    sink s;
    sink_init(&s, true);
    cr_assert(eq(int, sl_decomp_open(SL_LIT("plain"), &d, &err), SL_OK));
    cr_assert(eq(int, sl_decomp_push(d, src, 700000, sink_emit, &s, &err), SL_AGAIN));
    cr_assert(eq(int, sl_decomp_finish(d, sink_emit, &s, &err), SL_OK));
    cr_assert(eq(sz, s.n, 700000));
    cr_assert(memcmp(s.buf, src, 700000) == 0);
    cr_assert(eq(sz, s.pieces, 3)); /* 256 KiB + 256 KiB + rest */
    uint64_t in = 0, out = 0;
    sl_decomp_stats(d, &in, &out);
    cr_assert(eq(u64, in, 700000));
    cr_assert(eq(u64, out, 700000));
    sl_decomp_free(d);
    free(s.buf);
    free(src);
}

/* ---- errors from the consumer, poisoning ---- */

Test(decompress, emit_error_stops_and_poisons)
{
    char *src = sample(SAMPLE_N);
    blob b = compress_as(GZ, src, SAMPLE_N, false);
    sl_decomp *d = NULL;
    sl_err err = {0};
    sink s;
    sink_init(&s, false);
    s.stop_after = 1;
    s.stop_code = SL_REJECTED;
    cr_assert(eq(int, sl_decomp_open(SL_LIT("gz"), &d, &err), SL_OK));
    cr_assert(eq(int, sl_decomp_push(d, b.p, b.n, sink_emit, &s, &err), SL_REJECTED));
    cr_assert(eq(sz, s.pieces, 1));
    cr_assert(eq(int, sl_decomp_push(d, b.p, b.n, sink_emit, &s, &err), SL_REJECTED));
    cr_assert(eq(int, sl_decomp_finish(d, sink_emit, &s, &err), SL_REJECTED));
    cr_assert(eq(sz, s.pieces, 1), "no emit after the first error");
    sl_decomp_free(d);
    free(b.p);
    free(src);
}

Test(decompress, corrupt_input_poisons)
{
    sl_decomp *d = NULL;
    sl_err err = {0};
    sink s;
    sink_init(&s, false);
    cr_assert(eq(int, sl_decomp_open(SL_LIT("bz2"), &d, &err), SL_OK));
    cr_assert(eq(int, sl_decomp_push(d, "XXXXXXXX", 8, sink_emit, &s, &err), SL_INVALID));
    char msg[SL_ERR_MSG_MAX];
    memcpy(msg, err.msg, sizeof msg);
    blob good = bz2_compress("hello", 5);
    cr_assert(eq(int, sl_decomp_push(d, good.p, good.n, sink_emit, &s, &err), SL_INVALID));
    cr_assert(eq(int, sl_decomp_finish(d, sink_emit, &s, &err), SL_INVALID));
    cr_assert(eq(str, err.msg, msg));
    cr_assert(eq(sz, s.pieces, 0));
    sl_decomp_free(d);
    free(good.p);
}

Test(decompress, stats_count_both_sides)
{
    char *src = sample(100000);
    blob b = compress_as(LZ4, src, 100000, false);
    sl_decomp *d = NULL;
    sl_err err = {0};
    sink s;
    sink_init(&s, false);
    cr_assert(eq(int, sl_decomp_open(SL_LIT("lz4"), &d, &err), SL_OK));
    cr_assert(eq(int, sl_decomp_push(d, b.p, b.n, sink_emit, &s, &err), SL_AGAIN));
    cr_assert(eq(int, sl_decomp_finish(d, sink_emit, &s, &err), SL_OK));
    uint64_t in = 0, out = 0;
    sl_decomp_stats(d, &in, NULL);
    sl_decomp_stats(d, NULL, &out);
    cr_assert(eq(u64, in, b.n));
    cr_assert(eq(u64, out, 100000));
    sl_decomp_free(d);
    free(b.p);
    free(src);
}

/* ---- allocation failures (only with -DSL_FAULT_INJECTION, as `make check` builds) ---- */

Test(decompress, every_allocation_failure_is_clean, .timeout = 60)
{
#ifdef SL_FAULT_INJECTION
    char *src = sample(300000);
    for (int id = 0; id < N_CODECS; id++) {
        blob b = compress_as(id, src, 300000, false);
        bool completed = false;
        int faults = 0;
        for (long nth = 1; nth < 100 && !completed; nth++) {
            sink s;
            sl_err err = {0};
            sink_init(&s, true);
            sl_fault_arm(nth);
            sl_code c = run_split(codec_names[id], b.p, b.n, RANDOM, &s, &err);
            bool hit = sl_fault_hit();
            sl_fault_arm(0);
            if (hit) {
                faults++;
                cr_assert(eq(int, c, SL_NOMEM), "%s fault %ld: %s", codec_names[id], nth, err.msg);
            } else {
                cr_assert(eq(int, c, SL_OK), "%s: %s", codec_names[id], err.msg);
                cr_assert(s.n == 300000 && memcmp(s.buf, src, 300000) == 0);
                completed = true;
            }
            free(s.buf);
        }
        cr_assert(completed, "%s never ran without a fault", codec_names[id]);
        /* The decompressor itself plus at least one library allocation. */
        cr_assert(faults >= 2, "%s: only %d allocations", codec_names[id], faults);
        free(b.p);
    }
    free(src);
#else
    cr_skip_test("built without SL_FAULT_INJECTION");
#endif
}

/* ---- block formats: what lzop and Hadoop framing add ---- */

Test(decompress, lzop_crc32_and_both_checksums)
{
    char *src = sample(300000);
    blob b = lzop_compress(src, 300000, true);
    expect_same("lzo", b, src, 300000); /* Doris reads compress_type LZO as lzop files */
    free(b.p);
    uint32_t all = F_ADLER32_D | F_CRC32_D | F_ADLER32_C | F_CRC32_C | F_H_CRC32;
    b = lzop_compress_flags(src, 300000, all);
    expect_same("lzop", b, src, 300000);
    /* a flipped byte in a block's data is caught by one of the sums */
    b.p[b.n / 2] ^= 0x40;
    sink s;
    sl_err err = {0};
    sink_init(&s, false);
    cr_assert(eq(int, run_split("lzop", b.p, b.n, RANDOM, &s, &err), SL_INVALID));
    cr_assert(strstr(err.msg, "lzop: data is corrupt: ") == err.msg, "%s", err.msg);
    free(b.p);
    blob one = lzop_compress("hello, lzop\n", 12, false); /* a stored block, no sums */
    expect_same("lzop", one, "hello, lzop\n", 12);
    free(one.p);
    free(src);
}

Test(decompress, block_formats_refuse_huge_blocks)
{
    /* lzop: a block header announcing 16 MiB */
    blob b = lzop_compress("x", 1, false);
    size_t at = b.n - 4 - 1 - 8; /* ulen of the only (stored) block */
    b.p[at] = 0x01, b.p[at + 1] = 0, b.p[at + 2] = 0, b.p[at + 3] = 0;
    sink s;
    sl_err err = {0};
    sink_init(&s, false);
    cr_assert(eq(int, run_split("lzop", b.p, b.n, WHOLE, &s, &err), SL_INVALID));
    cr_assert(eq(str, err.msg, "lzop: a block of 16777216 bytes is larger than the 8 MiB sluice "
                               "accepts"));
    free(b.p);
    /* snappy_block: a chunk that decodes to more than its block owes */
    char chunk[64];
    size_t cn = sizeof chunk;
    cr_assert(eq(int, snappy_compress("abcdefgh", 8, chunk, &cn), SNAPPY_OK));
    blob h = {malloc(cn + 8), 0};
    put32(&h, 4);
    put32(&h, (uint32_t)cn);
    memcpy(h.p + h.n, chunk, cn);
    h.n += cn;
    sl_err_clear(&err);
    cr_assert(eq(int, run_split("snappy_block", h.p, h.n, BYTES, &s, &err), SL_INVALID));
    cr_assert(eq(str, err.msg, "snappy_block: data is corrupt: chunk longer than its block"));
    free(h.p);
}

Test(decompress, lzop_bad_magic_and_header_checksum)
{
    sink s;
    sl_err err = {0};
    sink_init(&s, false);
    cr_assert(eq(int, run_split("lzop", "not an lzop file", 16, BYTES, &s, &err), SL_INVALID));
    cr_assert(eq(str, err.msg, "lzop: data is corrupt: not an lzop file (bad magic)"));
    blob b = lzop_compress("abc", 3, true);
    b.p[20] ^= 1; /* inside the header: the mode field */
    sl_err_clear(&err);
    cr_assert(eq(int, run_split("lzop", b.p, b.n, RANDOM, &s, &err), SL_INVALID));
    cr_assert(eq(str, err.msg, "lzop: data is corrupt: header checksum mismatch"));
    free(b.p);
}
