/*
 * decompress.c - streaming decompression of load bodies (decode stage, before the decoder).
 *
 *   body chunk (any size) --> step(codec) --> out[SL_DECOMP_OUT] --full or input used up--> emit
 *                               ^  |
 *                               +--+ called again while input remains or the buffer came back full
 *
 * One fixed output buffer per request: a codec step decompresses as much as fits, the driver
 * hands the buffer to emit whenever it is full or the pushed chunk is used up, and starts over.
 * The only other memory is the library's own state, bounded per codec: zlib 32 KiB window,
 * bzip2 <= 3.6 MiB at -9, LZ4 frame <= 2 x 4 MiB blocks, zstd <= 2^SL_DECOMP_ZSTD_WINDOW_LOG_MAX
 * window plus one 128 KiB block, the block formats (lzop, Hadoop lz4_block / snappy_block) one
 * block in and one out, each <= SL_DECOMP_BLOCK_MAX. Library allocations go through sl_malloc
 * (liblzo2 and snappy allocate nothing themselves).
 *
 * Stream ends follow Doris be/src/exec/decompressor.cpp: zlib and bzip2 are reset after each
 * stream end so concatenated streams decode, LZ4F and zstd contexts start the next frame by
 * themselves. "mid" records whether the last bytes seen left us inside a stream; finish turns
 * that into "truncated stream".
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include <bzlib.h>
#define ZLIB_CONST
#include <zlib.h>
/* The _advanced constructors take our allocator; they are exported by the shared libraries
 * (zstd >= 1.0, lz4 >= 1.9.4) but declared only in the "static linking" sections. */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>
#define LZ4F_STATIC_LINKING_ONLY
#include <lz4frame.h>
#include <lz4.h>
#include <lzo/lzo1x.h>
#include <snappy-c.h>

#include "../core/mem.h"
#include "decompress.h"

/* zlib's avail_in/avail_out and bzip2's are 32-bit: feed at most this much per call. */
#define STEP_IN_MAX ((size_t)1 << 30)
/* Longest compress_type value quoted back in an error message. */
#define TYPE_ECHO_MAX 64

typedef struct codec {
    const char *name;
    int param; /* zlib: windowBits, 15 zlib (deflate), 15 | 32 gzip or zlib (gz);
                  block codecs: BLK_LZ4, BLK_SNAPPY or BLK_LZOP */
    sl_code (*init)(sl_decomp *d, sl_err *err);
    /* Decompress from in[0..n) into out[out_n..SL_DECOMP_OUT); *used = input bytes consumed. */
    sl_code (*step)(sl_decomp *d, const uint8_t *in, size_t n, size_t *used, sl_err *err);
    void (*end)(sl_decomp *d);
} codec;

struct sl_decomp {
    const codec *codec;
    sl_code failed;   /* first error; every later call returns it */
    bool live;        /* library state initialised: end() must run */
    bool mid;         /* the bytes seen so far stop inside a stream */
    bool ended;       /* zlib/bz2: the last step hit a stream end; reset before more input */
    bool finished;    /* finish was called */
    size_t out_n;     /* bytes waiting in out */
    uint64_t n_in;    /* compressed bytes consumed */
    uint64_t n_out;   /* decompressed bytes emitted */
    uint64_t max_out; /* sl_decomp_limit; 0: none */
    union {
        z_stream z;
        bz_stream bz;
        ZSTD_DCtx *zs;
        LZ4F_dctx *lz;
        struct blk *blk;
    } u;
    unsigned char out[]; /* SL_DECOMP_OUT bytes (none for plain) */
};

/* ---- allocator glue: every library allocation goes through sl_malloc ---- */

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    if (size != 0 && items > SIZE_MAX / size)
        return Z_NULL;
    return sl_malloc((size_t)items * size);
}

static void z_free(voidpf opaque, voidpf p)
{
    (void)opaque;
    sl_free(p);
}

static void *bz_alloc(void *opaque, int items, int size)
{
    (void)opaque;
    if (items < 0 || size < 0 || (size != 0 && (size_t)items > SIZE_MAX / (size_t)size))
        return NULL;
    return sl_malloc((size_t)items * (size_t)size);
}

static void *lib_alloc(void *opaque, size_t n)
{
    (void)opaque;
    return sl_malloc(n);
}

static void *lib_calloc(void *opaque, size_t n)
{
    (void)opaque;
    return sl_calloc(n);
}

static void lib_free(void *opaque, void *p)
{
    (void)opaque;
    sl_free(p);
}

static sl_code nomem(const sl_decomp *d, sl_err *err)
{
    return sl_fail(err, SL_NOMEM, "%s: out of memory for decompression state", d->codec->name);
}

/* ---- gz / deflate (zlib) ---- */

static sl_code zlib_init(sl_decomp *d, sl_err *err)
{
    memset(&d->u.z, 0, sizeof d->u.z);
    d->u.z.zalloc = z_alloc;
    d->u.z.zfree = z_free;
    int rc = inflateInit2(&d->u.z, d->codec->param);
    if (rc == Z_MEM_ERROR)
        return nomem(d, err);
    if (rc != Z_OK)
        return sl_fail(err, SL_INTERNAL, "%s: inflateInit2 failed (%d)", d->codec->name, rc);
    d->live = true;
    return SL_OK;
}

static sl_code zlib_step(sl_decomp *d, const uint8_t *in, size_t n, size_t *used, sl_err *err)
{
    z_stream *z = &d->u.z;
    uInt avail = (uInt)(n < STEP_IN_MAX ? n : STEP_IN_MAX);

    *used = 0;
    if (d->ended) {
        if (n == 0)
            return SL_OK;
        /* Another member follows (cat a.gz b.gz), as Doris's inflateReset does. */
        if (inflateReset(z) != Z_OK)
            return sl_fail(err, SL_INTERNAL, "%s: inflateReset failed", d->codec->name);
        d->ended = false;
    }
    z->next_in = in;
    z->avail_in = avail;
    z->next_out = d->out + d->out_n;
    z->avail_out = (uInt)(SL_DECOMP_OUT - d->out_n);
    int rc = inflate(z, Z_NO_FLUSH);
    *used = avail - z->avail_in;
    d->out_n = SL_DECOMP_OUT - z->avail_out;
    if (*used > 0)
        d->mid = true;
    switch (rc) {
    case Z_OK:
    case Z_BUF_ERROR: /* no progress possible: wants input or output space, not an error */
        return SL_OK;
    case Z_STREAM_END:
        d->mid = false;
        d->ended = true;
        return SL_OK;
    case Z_MEM_ERROR:
        return nomem(d, err);
    case Z_NEED_DICT:
        return sl_fail(err, SL_INVALID, "%s: data is corrupt: stream needs a preset dictionary",
                       d->codec->name);
    default:
        return sl_fail(err, SL_INVALID, "%s: data is corrupt: %s", d->codec->name,
                       z->msg ? z->msg : "inflate failed");
    }
}

static void zlib_end(sl_decomp *d)
{
    inflateEnd(&d->u.z);
}

/* ---- bz2 ---- */

static sl_code bz2_init(sl_decomp *d, sl_err *err)
{
    memset(&d->u.bz, 0, sizeof d->u.bz);
    d->u.bz.bzalloc = bz_alloc;
    d->u.bz.bzfree = lib_free;
    int rc = BZ2_bzDecompressInit(&d->u.bz, 0, 0);
    if (rc == BZ_MEM_ERROR)
        return nomem(d, err);
    if (rc != BZ_OK)
        return sl_fail(err, SL_INTERNAL, "bz2: BZ2_bzDecompressInit failed (%d)", rc);
    d->live = true;
    return SL_OK;
}

static void bz2_end(sl_decomp *d)
{
    BZ2_bzDecompressEnd(&d->u.bz);
}

static sl_code bz2_step(sl_decomp *d, const uint8_t *in, size_t n, size_t *used, sl_err *err)
{
    bz_stream *bz = &d->u.bz;
    unsigned avail = (unsigned)(n < STEP_IN_MAX ? n : STEP_IN_MAX);

    *used = 0;
    if (d->ended) {
        if (n == 0)
            return SL_OK;
        /* Another stream follows (cat a.bz2 b.bz2; pbzip2): start over, as Doris does. */
        bz2_end(d);
        d->live = false;
        d->ended = false;
        sl_code c = bz2_init(d, err);
        if (c != SL_OK)
            return c;
    }
    bz->next_in = (char *)in; /* bzip2 does not write through next_in */
    bz->avail_in = avail;
    bz->next_out = (char *)d->out + d->out_n;
    bz->avail_out = (unsigned)(SL_DECOMP_OUT - d->out_n);
    int rc = BZ2_bzDecompress(bz);
    *used = avail - bz->avail_in;
    d->out_n = SL_DECOMP_OUT - bz->avail_out;
    if (*used > 0)
        d->mid = true;
    switch (rc) {
    case BZ_OK:
        return SL_OK;
    case BZ_STREAM_END:
        d->mid = false;
        d->ended = true;
        return SL_OK;
    case BZ_MEM_ERROR:
        return nomem(d, err);
    case BZ_DATA_ERROR_MAGIC:
        return sl_fail(err, SL_INVALID, "bz2: data is corrupt: not a bzip2 stream");
    case BZ_DATA_ERROR:
        return sl_fail(err, SL_INVALID, "bz2: data is corrupt: integrity check failed");
    default:
        return sl_fail(err, SL_INVALID, "bz2: data is corrupt: error %d", rc);
    }
}

/* ---- lz4 (frame format) ---- */

static sl_code lz4_init(sl_decomp *d, sl_err *err)
{
    LZ4F_CustomMem mem = {lib_alloc, lib_calloc, lib_free, NULL};
    d->u.lz = LZ4F_createDecompressionContext_advanced(mem, LZ4F_VERSION);
    if (d->u.lz == NULL)
        return nomem(d, err);
    d->live = true;
    return SL_OK;
}

static sl_code lz4_step(sl_decomp *d, const uint8_t *in, size_t n, size_t *used, sl_err *err)
{
    size_t dst = SL_DECOMP_OUT - d->out_n;
    size_t src = n;
    size_t rc = LZ4F_decompress(d->u.lz, d->out + d->out_n, &dst, in, &src, NULL);

    *used = src;
    d->out_n += dst;
    if (LZ4F_isError(rc)) {
        if (LZ4F_getErrorCode(rc) == LZ4F_ERROR_allocation_failed)
            return nomem(d, err);
        const char *why = LZ4F_getErrorName(rc);
        if (strncmp(why, "ERROR_", 6) == 0)
            why += 6;
        return sl_fail(err, SL_INVALID, "lz4: data is corrupt: %s", why);
    }
    /* 0: the frame is complete and flushed; the context takes the next frame by itself. */
    if (src > 0 || dst > 0)
        d->mid = rc != 0;
    return SL_OK;
}

static void lz4_end(sl_decomp *d)
{
    LZ4F_freeDecompressionContext(d->u.lz);
}

/* ---- zstd ---- */

static sl_code zstd_init(sl_decomp *d, sl_err *err)
{
    ZSTD_customMem mem = {lib_alloc, lib_free, NULL};
    d->u.zs = ZSTD_createDCtx_advanced(mem);
    if (d->u.zs == NULL)
        return nomem(d, err);
    d->live = true;
    size_t rc = ZSTD_DCtx_setParameter(d->u.zs, ZSTD_d_windowLogMax, SL_DECOMP_ZSTD_WINDOW_LOG_MAX);
    if (ZSTD_isError(rc))
        return sl_fail(err, SL_INTERNAL, "zstd: cannot set window limit: %s",
                       ZSTD_getErrorName(rc));
    return SL_OK;
}

static sl_code zstd_step(sl_decomp *d, const uint8_t *in, size_t n, size_t *used, sl_err *err)
{
    ZSTD_inBuffer ib = {in, n, 0};
    ZSTD_outBuffer ob = {d->out, SL_DECOMP_OUT, d->out_n};
    size_t rc = ZSTD_decompressStream(d->u.zs, &ob, &ib);
    bool progress = ib.pos > 0 || ob.pos > d->out_n;

    *used = ib.pos;
    d->out_n = ob.pos;
    if (ZSTD_isError(rc)) {
        switch (ZSTD_getErrorCode(rc)) {
        case ZSTD_error_memory_allocation:
            return nomem(d, err);
        case ZSTD_error_frameParameter_windowTooLarge:
            return sl_fail(err, SL_INVALID,
                           "zstd: frame window is larger than %u MiB. Compress with a level of "
                           "19 or lower and without --long.",
                           (1u << SL_DECOMP_ZSTD_WINDOW_LOG_MAX) >> 20);
        default:
            return sl_fail(err, SL_INVALID, "zstd: data is corrupt: %s", ZSTD_getErrorName(rc));
        }
    }
    /* 0: the frame is complete and flushed; the next call starts a new frame. */
    if (progress)
        d->mid = rc != 0;
    return SL_OK;
}

static void zstd_end(sl_decomp *d)
{
    ZSTD_freeDCtx(d->u.zs);
}

/* ---- block formats: lzop (lzo, lzop), Hadoop lz4_block and snappy_block ---- */

/*
 * These formats frame independent blocks that the libraries decompress only whole, so a block
 * is collected in `acc`, decompressed into `buf`, and copied out of `buf` piece by piece:
 *
 *   lzop:    header (magic, version, method, flags, name, checksum [, extra field]), then
 *            blocks [u32 ulen][u32 clen][checksums of the data][checksums of the compressed
 *            data, when clen < ulen][clen bytes: stored when clen == ulen, else LZO1X]; ulen 0
 *            ends the file. Another file may follow (cat a.lzo b.lzo). Adler-32 and CRC-32
 *            checksums are verified (Doris checks only one of each; lzop writes Adler-32).
 *   hadoop:  [u32 rawlen] then [u32 clen][clen bytes] chunks until their output adds up to
 *            rawlen, repeated (Hadoop BlockCompressorStream; Doris Lz4Block/SnappyBlock-
 *            Decompressor). A chunk of length 0 is skipped, as Doris does.
 * All integers big-endian. Memory: one block in, one block out, each at most
 * SL_DECOMP_BLOCK_MAX (lzop writes 256 KiB blocks, Hadoop 256 KiB buffers); a larger block is
 * refused, so a load holds at most ~2 x 8 MiB here whatever the body.
 */
#define LZOP_MAGIC "\x89LZO\x00\r\n\x1a\n"
#define F_ADLER32_D 0x00000001u
#define F_ADLER32_C 0x00000002u
#define F_H_EXTRA_FIELD 0x00000040u
#define F_CRC32_D 0x00000100u
#define F_CRC32_C 0x00000200u
#define F_MULTIPART 0x00000400u
#define F_H_FILTER 0x00000800u
#define F_H_CRC32 0x00001000u
#define F_RESERVED 0x000fc000u /* neither a flag, the OS nor the character set */
/* The longest lzop header extra field accepted (lzop itself writes none). */
#define LZOP_EXTRA_MAX (64 * 1024)

enum { BLK_LZ4, BLK_SNAPPY, BLK_LZOP };

enum blk_state {
    sw_lzop_head,   /* collecting the lzop file header */
    sw_lzop_ulen,   /* a block's uncompressed length (0: end of file) */
    sw_lzop_clen,   /* its compressed length */
    sw_lzop_data,   /* checksums and data */
    sw_raw_len,     /* Hadoop: a block's total uncompressed length */
    sw_chunk_len,   /* Hadoop: a chunk's compressed length */
    sw_chunk_data,  /* Hadoop: the chunk */
};

struct blk {
    enum blk_state state;
    uint8_t *acc;        /* the unit being collected */
    size_t acc_n, acc_cap, want;
    uint8_t *buf;        /* a decompressed block */
    size_t buf_n, buf_off, buf_cap;
    uint32_t flags;      /* lzop header flags */
    uint32_t ulen, clen; /* lzop: the current block */
    uint32_t left;       /* Hadoop: output still owed by the current block */
};

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static sl_code blk_corrupt(const sl_decomp *d, const char *why, sl_err *err)
{
    return sl_fail(err, SL_INVALID, "%s: data is corrupt: %s", d->codec->name, why);
}

/* Room for n bytes in *p (capacity *cap), keeping the contents. */
static sl_code blk_reserve(sl_decomp *d, uint8_t **p, size_t *cap, size_t n, sl_err *err)
{
    if (n <= *cap)
        return SL_OK;
    uint8_t *q = sl_realloc(*p, n);
    if (q == NULL)
        return nomem(d, err);
    *p = q;
    *cap = n;
    return SL_OK;
}

static sl_code blk_expect(sl_decomp *d, enum blk_state st, size_t want, sl_err *err)
{
    struct blk *b = d->u.blk;
    b->state = st;
    b->want = want;
    b->acc_n = 0;
    return blk_reserve(d, &b->acc, &b->acc_cap, want, err);
}

/* The length the lzop header has, judged from its first n bytes: n itself once complete,
 * more when more is needed (never less than n). 0: not an lzop header (bad magic). */
static size_t lzop_head_need(const uint8_t *h, size_t n)
{
    size_t at = 9;
    if (n < at + 2)
        return memcmp(h, LZOP_MAGIC, n < 9 ? n : 9) == 0 ? at + 2 : 0;
    if (memcmp(h, LZOP_MAGIC, 9) != 0)
        return 0;
    unsigned version = (unsigned)h[9] << 8 | h[10];
    bool modern = version >= 0x0940;
    at += 2 + 2 + (modern ? 2 : 0) + 1 + (modern ? 1 : 0); /* version lib [needed] method [level] */
    if (n < at + 4)
        return at + 4;
    uint32_t flags = be32(h + at);
    at += 4 + ((flags & F_H_FILTER) ? 4 : 0) + 4 + 4 + (modern ? 4 : 0); /* filter mode mtime */
    if (n < at + 1)
        return at + 1;
    at += 1 + h[at] + 4; /* name, header checksum */
    if (!(flags & F_H_EXTRA_FIELD))
        return at;
    if (n < at + 4)
        return at + 4;
    uint32_t extra = be32(h + at);
    return extra > LZOP_EXTRA_MAX ? at + 4 : at + 4 + extra + 4;
}

static uint32_t lzop_sum(bool crc, const uint8_t *p, size_t n)
{
    return crc ? (uint32_t)crc32(0, p, (uInt)n) : (uint32_t)adler32(1, p, (uInt)n);
}

/* Check a complete header in acc[0..acc_n). */
static sl_code lzop_header(sl_decomp *d, sl_err *err)
{
    struct blk *b = d->u.blk;
    const uint8_t *h = b->acc;
    unsigned version = (unsigned)h[9] << 8 | h[10];
    bool modern = version >= 0x0940;
    size_t at = 9 + 2 + 2;
    unsigned needed = modern ? ((unsigned)h[at] << 8 | h[at + 1]) : version;
    at += modern ? 2 : 0;
    unsigned method = h[at];
    at += 1 + (modern ? 1 : 0);
    uint32_t flags = be32(h + at);
    if (needed > 0x1040)
        return blk_corrupt(d, "written by a newer lzop than 1.04", err);
    if (method < 1 || method > 3)
        return blk_corrupt(d, "unknown compression method", err);
    if (flags & (F_RESERVED | F_MULTIPART | F_H_FILTER))
        return blk_corrupt(d, "unsupported lzop flags (multipart, filter or reserved bits)", err);
    at += 4 + 4 + 4 + (modern ? 4 : 0);
    at += 1 + h[at];
    if (lzop_sum(flags & F_H_CRC32, h + 9, at - 9) != be32(h + at))
        return blk_corrupt(d, "header checksum mismatch", err);
    if ((flags & F_H_EXTRA_FIELD) && be32(h + at + 4) > LZOP_EXTRA_MAX)
        return blk_corrupt(d, "header extra field too long", err);
    b->flags = flags;
    return blk_expect(d, sw_lzop_ulen, 4, err);
}

/* A complete lzop block in acc: checksums first, then the data. */
static sl_code lzop_block(sl_decomp *d, sl_err *err)
{
    struct blk *b = d->u.blk;
    const uint8_t *p = b->acc;
    uint32_t dsum[2] = {0, 0}, csum[2] = {0, 0};
    bool stored = b->clen == b->ulen;
    if (b->flags & F_ADLER32_D)
        dsum[0] = be32(p), p += 4;
    if (b->flags & F_CRC32_D)
        dsum[1] = be32(p), p += 4;
    if (!stored && (b->flags & F_ADLER32_C))
        csum[0] = be32(p), p += 4;
    if (!stored && (b->flags & F_CRC32_C))
        csum[1] = be32(p), p += 4;
    if (((b->flags & F_ADLER32_C) && !stored && lzop_sum(false, p, b->clen) != csum[0]) ||
        ((b->flags & F_CRC32_C) && !stored && lzop_sum(true, p, b->clen) != csum[1]))
        return blk_corrupt(d, "checksum of compressed block mismatch", err);
    sl_code c = blk_reserve(d, &b->buf, &b->buf_cap, b->ulen, err);
    if (c != SL_OK)
        return c;
    if (stored) {
        memcpy(b->buf, p, b->ulen);
    } else {
        lzo_uint out = b->ulen;
        int rc = lzo1x_decompress_safe(p, b->clen, b->buf, &out, NULL);
        if (rc != LZO_E_OK || out != b->ulen)
            return blk_corrupt(d, "lzo1x decompression failed", err);
    }
    if (((b->flags & F_ADLER32_D) && lzop_sum(false, b->buf, b->ulen) != dsum[0]) ||
        ((b->flags & F_CRC32_D) && lzop_sum(true, b->buf, b->ulen) != dsum[1]))
        return blk_corrupt(d, "checksum of decompressed block mismatch", err);
    b->buf_n = b->ulen;
    b->buf_off = 0;
    return blk_expect(d, sw_lzop_ulen, 4, err);
}

/* A complete Hadoop chunk in acc: decompress it, owing no more than the block's rawlen. */
static sl_code hadoop_chunk(sl_decomp *d, sl_err *err)
{
    struct blk *b = d->u.blk;
    size_t cap = b->left < SL_DECOMP_BLOCK_MAX ? b->left : SL_DECOMP_BLOCK_MAX, out = 0;
    sl_code c = blk_reserve(d, &b->buf, &b->buf_cap, cap ? cap : 1, err);
    if (c != SL_OK)
        return c;
    if (d->codec->param == BLK_SNAPPY) { /* snappy */
        if (snappy_uncompressed_length((const char *)b->acc, b->acc_n, &out) != SNAPPY_OK)
            return blk_corrupt(d, "bad snappy chunk header", err);
        if (out > b->left)
            return blk_corrupt(d, "chunk longer than its block", err);
        if (out > cap)
            return sl_fail(err, SL_INVALID, "%s: a chunk of %zu bytes is larger than the %u MiB "
                           "sluice accepts", d->codec->name, out, SL_DECOMP_BLOCK_MAX >> 20);
        if (snappy_uncompress((const char *)b->acc, b->acc_n, (char *)b->buf, &out) != SNAPPY_OK)
            return blk_corrupt(d, "snappy decompression failed", err);
    } else {
        int r = LZ4_decompress_safe((const char *)b->acc, (char *)b->buf, (int)b->acc_n,
                                    (int)cap);
        if (r < 0)
            return blk_corrupt(d, b->left > cap ? "lz4 block decompression failed (or a chunk "
                                                  "over 8 MiB)" : "lz4 block decompression failed",
                               err);
        out = (size_t)r;
    }
    b->left -= (uint32_t)out;
    b->buf_n = out;
    b->buf_off = 0;
    return b->left ? blk_expect(d, sw_chunk_len, 4, err) : blk_expect(d, sw_raw_len, 4, err);
}

/* A unit is complete in acc: act on it. */
static sl_code blk_unit(sl_decomp *d, sl_err *err)
{
    struct blk *b = d->u.blk;
    switch (b->state) {
    case sw_lzop_head: {
        size_t need = lzop_head_need(b->acc, b->acc_n);
        if (need == 0)
            return blk_corrupt(d, "not an lzop file (bad magic)", err);
        if (need > b->acc_n) { /* more of the header is needed */
            b->want = need;
            return blk_reserve(d, &b->acc, &b->acc_cap, need, err);
        }
        return lzop_header(d, err);
    }
    case sw_lzop_ulen:
        b->ulen = be32(b->acc);
        if (b->ulen == 0) { /* end of file; another one may follow */
            d->mid = false;
            return blk_expect(d, sw_lzop_head, 9 + 2, err);
        }
        if (b->ulen > SL_DECOMP_BLOCK_MAX)
            return sl_fail(err, SL_INVALID, "%s: a block of %u bytes is larger than the %u MiB "
                           "sluice accepts", d->codec->name, b->ulen, SL_DECOMP_BLOCK_MAX >> 20);
        return blk_expect(d, sw_lzop_clen, 4, err);
    case sw_lzop_clen: {
        b->clen = be32(b->acc);
        if (b->clen == 0 || b->clen > b->ulen)
            return blk_corrupt(d, "bad compressed block length", err);
        bool stored = b->clen == b->ulen;
        size_t sums = ((b->flags & F_ADLER32_D) != 0) + ((b->flags & F_CRC32_D) != 0) +
                      (stored ? 0 : ((b->flags & F_ADLER32_C) != 0) + ((b->flags & F_CRC32_C) != 0));
        return blk_expect(d, sw_lzop_data, 4 * sums + b->clen, err);
    }
    case sw_lzop_data:
        return lzop_block(d, err);
    case sw_raw_len:
        b->left = be32(b->acc);
        return b->left ? blk_expect(d, sw_chunk_len, 4, err) : blk_expect(d, sw_raw_len, 4, err);
    case sw_chunk_len: {
        uint32_t n = be32(b->acc);
        size_t bound = d->codec->param == BLK_SNAPPY ? snappy_max_compressed_length(SL_DECOMP_BLOCK_MAX)
                                            : (size_t)LZ4_compressBound(SL_DECOMP_BLOCK_MAX);
        if (n > bound)
            return blk_corrupt(d, "chunk length out of range", err);
        return n ? blk_expect(d, sw_chunk_data, n, err) : blk_expect(d, sw_chunk_len, 4, err);
    }
    case sw_chunk_data:
        return hadoop_chunk(d, err);
    }
    return sl_fail(err, SL_INTERNAL_PANIC, "%s: bad state", d->codec->name);
}

static sl_code blk_init(sl_decomp *d, sl_err *err)
{
    d->u.blk = sl_calloc(sizeof *d->u.blk);
    if (d->u.blk == NULL)
        return nomem(d, err);
    d->live = true;
    if (d->codec->param == BLK_LZOP && lzo_init() != LZO_E_OK)
        return sl_fail(err, SL_INTERNAL, "lzop: lzo_init failed");
    return d->codec->param == BLK_LZOP ? blk_expect(d, sw_lzop_head, 9 + 2, err)
                                : blk_expect(d, sw_raw_len, 4, err);
}

/* Copy out what a block decompressed to, then collect the next unit from the input. */
static sl_code blk_step(sl_decomp *d, const uint8_t *in, size_t n, size_t *used, sl_err *err)
{
    struct blk *b = d->u.blk;
    *used = 0;
    if (b->buf_off < b->buf_n) {
        size_t k = b->buf_n - b->buf_off, room = SL_DECOMP_OUT - d->out_n;
        k = k < room ? k : room;
        memcpy(d->out + d->out_n, b->buf + b->buf_off, k);
        d->out_n += k;
        b->buf_off += k;
        return SL_OK;
    }
    size_t k = b->want - b->acc_n;
    k = k < n ? k : n;
    memcpy(b->acc + b->acc_n, in, k);
    b->acc_n += k;
    *used = k;
    if (k)
        d->mid = true;
    if (b->acc_n < b->want)
        return SL_OK;
    sl_code c = blk_unit(d, err);
    if (c == SL_OK && b->state == sw_raw_len && b->acc_n == 0 && b->left == 0)
        d->mid = false; /* a Hadoop block ended */
    if (c == SL_OK && b->buf_off < b->buf_n) { /* hand out what the block gave at once */
        size_t m = b->buf_n - b->buf_off, room = SL_DECOMP_OUT - d->out_n;
        m = m < room ? m : room;
        memcpy(d->out + d->out_n, b->buf + b->buf_off, m);
        d->out_n += m;
        b->buf_off += m;
    }
    return c;
}

static void blk_end(sl_decomp *d)
{
    sl_free(d->u.blk->acc);
    sl_free(d->u.blk->buf);
    sl_free(d->u.blk);
}

/* ---- the table of codecs and names ---- */

static const codec c_plain = {"plain", 0, NULL, NULL, NULL};
static const codec c_gz = {"gz", 15 | 32, zlib_init, zlib_step, zlib_end};
static const codec c_deflate = {"deflate", 15, zlib_init, zlib_step, zlib_end};
static const codec c_bz2 = {"bz2", 0, bz2_init, bz2_step, bz2_end};
static const codec c_lz4 = {"lz4", 0, lz4_init, lz4_step, lz4_end};
static const codec c_zstd = {"zstd", 0, zstd_init, zstd_step, zstd_end};
static const codec c_lz4_block = {"lz4_block", BLK_LZ4, blk_init, blk_step, blk_end};
static const codec c_snappy_block = {"snappy_block", BLK_SNAPPY, blk_init, blk_step, blk_end};
static const codec c_lzop = {"lzop", BLK_LZOP, blk_init, blk_step, blk_end};

static const struct {
    const char *name;
    const codec *c;
} known[] = {
    {"gz", &c_gz},         {"gzip", &c_gz},       {"deflate", &c_deflate},
    {"bz2", &c_bz2},       {"bzip2", &c_bz2},     {"lz4", &c_lz4},
    {"lz4frame", &c_lz4},  {"zstd", &c_zstd},     {"zst", &c_zstd},
    {"lzo", &c_lzop},      {"lzop", &c_lzop},     {"lz4_block", &c_lz4_block},
    {"lz4block", &c_lz4_block}, {"snappy_block", &c_snappy_block},
    {"snappyblock", &c_snappy_block}, {"plain", &c_plain},
};

static sl_code find_codec(sl_slice type, const codec **out, sl_err *err)
{
    type = sl_slice_trim(type);
    int echo = (int)(type.n < TYPE_ECHO_MAX ? type.n : TYPE_ECHO_MAX);

    if (type.n == 0) {
        *out = &c_plain;
        return SL_OK;
    }
    for (size_t i = 0; i < SL_COUNT(known); i++)
        if (sl_slice_ieq(type, known[i].name)) {
            *out = known[i].c;
            return SL_OK;
        }
    return sl_fail(err, SL_FORMAT, "unknown compress_type, compress_type=%.*s", echo, type.p);
}

sl_code sl_decomp_open(sl_slice type, sl_decomp **out, sl_err *err)
{
    const codec *c = NULL;
    sl_code rc = find_codec(type, &c, err);

    *out = NULL;
    if (rc != SL_OK)
        return rc;
    size_t size = sizeof(sl_decomp) + (c->step ? SL_DECOMP_OUT : 0);
    sl_decomp *d = sl_malloc(size);
    if (d == NULL)
        return sl_fail(err, SL_NOMEM, "%s: cannot allocate decompressor", c->name);
    memset(d, 0, sizeof *d);
    d->codec = c;
    if (c->init) {
        rc = c->init(d, err);
        if (rc != SL_OK) {
            sl_decomp_free(d);
            return rc;
        }
    }
    *out = d;
    return SL_OK;
}

void sl_decomp_limit(sl_decomp *d, uint64_t max_out)
{
    d->max_out = max_out;
}

/* Hand n bytes at p to emit, minding the output cap. emit's SL_AGAIN counts as success. */
static sl_code deliver(sl_decomp *d, const char *p, size_t n, sl_decomp_emit_fn emit, void *arg,
                       sl_err *err)
{
    if (d->max_out != 0 && n > d->max_out - d->n_out)
        return sl_fail(err, SL_TOO_LARGE, "%s: decompressed body exceeds %" PRIu64 " bytes",
                       d->codec->name, d->max_out);
    d->n_out += n;
    sl_code c = emit(arg, p, n);
    return c == SL_AGAIN ? SL_OK : c;
}

static sl_code flush_out(sl_decomp *d, sl_decomp_emit_fn emit, void *arg, sl_err *err)
{
    size_t n = d->out_n;

    if (n == 0)
        return SL_OK;
    d->out_n = 0;
    return deliver(d, (const char *)d->out, n, emit, arg, err);
}

/* Run the codec over in[0..n) until all of it is consumed and the library holds no more output
 * (the last step did not fill the buffer). Emits whenever the buffer fills and at the end. */
static sl_code run(sl_decomp *d, const uint8_t *in, size_t n, sl_decomp_emit_fn emit, void *arg,
                   sl_err *err)
{
    for (;;) {
        size_t used = 0, before = d->out_n;
        sl_code c = d->codec->step(d, in, n, &used, err);
        if (c != SL_OK)
            return c;
        bool progress = used > 0 || d->out_n > before;
        bool full = d->out_n == SL_DECOMP_OUT;
        in += used;
        n -= used;
        d->n_in += used;
        if (full || n == 0) {
            c = flush_out(d, emit, arg, err);
            if (c != SL_OK)
                return c;
        }
        if (n == 0 && !full)
            return SL_OK;
        if (SL_NEVER(!progress))
            return sl_fail(err, SL_INTERNAL_PANIC, "%s: decompressor made no progress",
                           d->codec->name);
    }
}

/* plain: hand the input on in pieces of at most SL_DECOMP_OUT, without copying. */
static sl_code run_plain(sl_decomp *d, const char *p, size_t n, sl_decomp_emit_fn emit, void *arg,
                         sl_err *err)
{
    while (n > 0) {
        size_t k = n < SL_DECOMP_OUT ? n : SL_DECOMP_OUT;
        sl_code c = deliver(d, p, k, emit, arg, err);
        if (c != SL_OK)
            return c;
        d->n_in += k;
        p += k;
        n -= k;
    }
    return SL_OK;
}

sl_code sl_decomp_push(sl_decomp *d, const char *p, size_t n, sl_decomp_emit_fn emit, void *arg,
                       sl_err *err)
{
    if (d->failed != SL_OK)
        return d->failed;
    if (SL_NEVER(d->finished))
        return d->failed = sl_fail(err, SL_INTERNAL_PANIC, "%s: push after finish", d->codec->name);
    if (p == NULL) /* n == 0; keep NULL + 0 away from the libraries' pointer arithmetic */
        p = "";
    sl_code c = d->codec->step ? run(d, (const uint8_t *)p, n, emit, arg, err)
                               : run_plain(d, p, n, emit, arg, err);
    if (c != SL_OK) {
        d->failed = c;
        return c;
    }
    return SL_AGAIN;
}

sl_code sl_decomp_finish(sl_decomp *d, sl_decomp_emit_fn emit, void *arg, sl_err *err)
{
    if (d->failed != SL_OK)
        return d->failed;
    d->finished = true;
    if (d->codec->step == NULL)
        return SL_OK;
    sl_code c = run(d, (const uint8_t *)"", 0, emit, arg, err);
    if (c == SL_OK && d->mid)
        c = sl_fail(err, SL_INVALID, "%s: truncated stream", d->codec->name);
    d->failed = c;
    return c;
}

const char *sl_decomp_name(const sl_decomp *d)
{
    return d->codec->name;
}

void sl_decomp_stats(const sl_decomp *d, uint64_t *bytes_in, uint64_t *bytes_out)
{
    if (bytes_in)
        *bytes_in = d->n_in;
    if (bytes_out)
        *bytes_out = d->n_out;
}

void sl_decomp_free(sl_decomp *d)
{
    if (d == NULL)
        return;
    if (d->live && d->codec->end)
        d->codec->end(d);
    sl_free(d);
}
