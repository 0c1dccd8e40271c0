/*
 * codec.c - whole-block decompression for the columnar formats (decode stage, issue 15).
 *
 * Parquet pages, ORC compression chunks and Arrow buffers are compressed one block at a time
 * and the file states the block's size, so each is decompressed in one call into a buffer the
 * caller sized (and bounded by SL_COL_BLOCK_MAX before allocating). The streaming codecs of a
 * compressed body are in decompress.c; these are the same Debian libraries used block-wise.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <brotli/decode.h>
#include <lz4.h>
#include <lz4frame.h>
#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "columnar.h"

static const char *const NAMES[] = {"uncompressed", "snappy", "gzip",   "zlib",   "zstd",
                                    "lz4_raw",      "lz4",    "lz4_frame", "brotli", "lzo"};

const char *sl__codec_name(sl__codec c)
{
    return (size_t)c < SL_COUNT(NAMES) ? NAMES[c] : "unknown";
}

static sl_code bad(sl__codec c, sl_err *err, const char *why)
{
    return sl_fail(err, SL_INVALID, "%s decompression failed: %s", sl__codec_name(c), why);
}

/* zlib: gzip/zlib members one after another (inflateInit2 15|32), or raw deflate (-15). */
static sl_code inflate_all(sl__codec c, const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                           size_t *out, sl_err *err)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    int wbits = c == SL_CODEC_DEFLATE ? -15 : 15 | 32;
    if (inflateInit2(&z, wbits) != Z_OK)
        return sl_fail(err, SL_NOMEM, "cannot start zlib");
    z.next_in = (Bytef *)(uintptr_t)src;
    z.avail_in = (uInt)(n > UINT32_MAX ? UINT32_MAX : n);
    z.next_out = dst;
    z.avail_out = (uInt)(cap > UINT32_MAX ? UINT32_MAX : cap);
    sl_code rc = SL_OK;
    for (;;) {
        int r = inflate(&z, Z_FINISH);
        if (r == Z_STREAM_END) {
            if (z.avail_in == 0 || c == SL_CODEC_DEFLATE)
                break;
            if (inflateReset(&z) != Z_OK) { /* another gzip member follows */
                rc = bad(c, err, "cannot reset");
                break;
            }
            continue;
        }
        if (r == Z_MEM_ERROR) {
            rc = sl_fail(err, SL_NOMEM, "zlib out of memory");
            break;
        }
        rc = bad(c, err, z.avail_out == 0 ? "output larger than stated" : "corrupt data");
        break;
    }
    *out = (size_t)(z.next_out - dst);
    inflateEnd(&z);
    return rc;
}

/* Hadoop's LZ4 framing: ([u32 BE raw length] ([u32 BE compressed length] [block])+)+. */
static bool lz4_hadoop(const uint8_t *src, size_t n, uint8_t *dst, size_t cap, size_t *out)
{
    size_t o = 0;
    while (n > 0) {
        if (n < 8)
            return false;
        uint32_t raw = (uint32_t)src[0] << 24 | src[1] << 16 | src[2] << 8 | src[3];
        uint32_t len = (uint32_t)src[4] << 24 | src[5] << 16 | src[6] << 8 | src[7];
        src += 8, n -= 8;
        if (len > n || raw > cap - o || len > INT32_MAX || raw > INT32_MAX)
            return false;
        int r = LZ4_decompress_safe((const char *)src, (char *)dst + o, (int)len, (int)raw);
        if (r < 0 || (uint32_t)r != raw)
            return false;
        o += raw, src += len, n -= len;
    }
    *out = o;
    return true;
}

static bool lz4_frame(const uint8_t *src, size_t n, uint8_t *dst, size_t cap, size_t *out)
{
    LZ4F_dctx *d;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION)))
        return false;
    size_t o = 0;
    bool ok = true;
    while (n > 0) {
        size_t in = n, got = cap - o;
        size_t r = LZ4F_decompress(d, dst + o, &got, src, &in, NULL);
        if (LZ4F_isError(r) || (in == 0 && got == 0)) {
            ok = false;
            break;
        }
        src += in, n -= in, o += got;
        if (r == 0 && n == 0)
            break;
        if (o == cap && r != 0 && n == 0) {
            ok = false;
            break;
        }
    }
    LZ4F_freeDecompressionContext(d);
    *out = o;
    return ok;
}

static sl_code lz4_any(sl__codec c, const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                       size_t *out, sl_err *err)
{
    if (c == SL_CODEC_LZ4_FRAME)
        return lz4_frame(src, n, dst, cap, out) ? SL_OK : bad(c, err, "corrupt lz4 frame");
    if (c == SL_CODEC_LZ4_HADOOP && lz4_hadoop(src, n, dst, cap, out))
        return SL_OK;
    if (n <= INT32_MAX) {
        int r = LZ4_decompress_safe((const char *)src, (char *)dst, (int)n,
                                    cap > INT32_MAX ? INT32_MAX : (int)cap);
        if (r >= 0) {
            *out = (size_t)r;
            return SL_OK;
        }
    }
    if (c == SL_CODEC_LZ4_HADOOP && lz4_frame(src, n, dst, cap, out))
        return SL_OK;
    return bad(c, err, "corrupt lz4 block");
}

sl_code sl__codec_decompress(sl__codec c, const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                             bool exact, size_t *out_len, sl_err *err)
{
    size_t o = 0;
    sl_code rc = SL_OK;
    switch (c) {
    case SL_CODEC_NONE:
        if (n > cap)
            return bad(c, err, "data larger than stated");
        if (n)
            memcpy(dst, src, n);
        o = n;
        break;
    case SL_CODEC_SNAPPY: {
        size_t len;
        if (snappy_uncompressed_length((const char *)src, n, &len) != SNAPPY_OK || len > cap)
            return bad(c, err, "corrupt or oversized block");
        if (snappy_uncompress((const char *)src, n, (char *)dst, &len) != SNAPPY_OK)
            return bad(c, err, "corrupt block");
        o = len;
        break;
    }
    case SL_CODEC_GZIP:
    case SL_CODEC_DEFLATE: rc = inflate_all(c, src, n, dst, cap, &o, err); break;
    case SL_CODEC_ZSTD: {
        size_t r = ZSTD_decompress(dst, cap, src, n);
        if (ZSTD_isError(r))
            return bad(c, err, ZSTD_getErrorName(r));
        o = r;
        break;
    }
    case SL_CODEC_LZ4_RAW:
    case SL_CODEC_LZ4_HADOOP:
    case SL_CODEC_LZ4_FRAME: rc = lz4_any(c, src, n, dst, cap, &o, err); break;
    case SL_CODEC_BROTLI: {
        size_t len = cap;
        if (BrotliDecoderDecompress(n, src, &len, dst) != BROTLI_DECODER_RESULT_SUCCESS)
            return bad(c, err, "corrupt data or output larger than stated");
        o = len;
        break;
    }
    case SL_CODEC_LZO: {
        lzo_uint len = cap;
        if (lzo1x_decompress_safe(src, n, dst, &len, NULL) != LZO_E_OK)
            return bad(c, err, "corrupt block");
        o = len;
        break;
    }
    default: return bad(c, err, "unsupported codec");
    }
    if (rc != SL_OK)
        return rc;
    if (exact && o != cap)
        return sl_fail(err, SL_INVALID,
                       "%s decompression failed: %zu bytes decoded where the file states %zu",
                       sl__codec_name(c), o, cap);
    *out_len = o;
    return SL_OK;
}
