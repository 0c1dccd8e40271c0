/*
 * decompress.h - streaming decompression of load bodies (decode stage, in front of the decoders).
 *
 *   body chunk --push--> sl_decomp --emit(p, n), n <= SL_DECOMP_OUT--> decoder push
 *
 * The load job opens one sl_decomp per request from the Doris `compress_type` header (or the
 * equivalent option of another protocol), pushes every body chunk into it as the chunk arrives,
 * and calls finish at the end of the body. Decompressed bytes come out through a callback in
 * pieces of at most SL_DECOMP_OUT bytes, written into one fixed buffer owned by the sl_decomp.
 * Nothing accumulates: memory stays bounded whatever the body size and compression ratio, so a
 * zip bomb streams through piece by piece (cap the total with sl_decomp_limit).
 *
 * Codecs and what they accept (Doris be/src/exec/decompressor.cpp is the reference):
 *   gz       gzip (RFC 1952); a zlib stream is detected and accepted too, as Doris does
 *            (inflateInit2 with 15 | 32). Concatenated members (`cat a.gz b.gz`) decode fully.
 *   deflate  zlib-wrapped deflate (RFC 1950), as Doris does (windowBits 15). Raw deflate
 *            (RFC 1951, no header) is rejected as corrupt. Concatenated streams decode fully.
 *   bz2      bzip2; concatenated streams (`cat a.bz2 b.bz2`, pbzip2 output) decode fully.
 *   lz4      LZ4 frame format (spelled `lz4` or `lz4frame`); concatenated frames and skippable
 *            frames decode as the lz4 tool does.
 *   zstd     zstd frames (spelled `zstd` or `zst`); concatenated frames decode fully. Frames that
 *            need a window above 1 << SL_DECOMP_ZSTD_WINDOW_LOG_MAX are refused (memory bound).
 *   plain    no compression (also the empty type): the input is handed on unchanged, uncopied.
 *   lzop     the lzop file format (spelled `lzo` or `lzop`: Doris reads both as lzop files):
 *            LZO1X blocks, Adler-32/CRC-32 checksums verified; concatenated files decode fully.
 *   lz4_block, snappy_block  Hadoop's block framing ([u32 rawlen] then [u32 clen][chunk]...)
 *            around raw LZ4 / Snappy chunks (spelled with or without the underscore). These
 *            carry no checksum: a corrupt chunk that still decodes is not detected (as in Doris).
 *   Block formats hold one block in and one out; blocks over SL_DECOMP_BLOCK_MAX are refused.
 * Any other name is rejected with SL_FORMAT, naming it.
 *
 * Stream ends: a body must end exactly at the end of a complete stream/member/frame. A body that
 * stops inside one is SL_INVALID "<codec>: truncated stream" from finish. Bytes after a complete
 * stream are read as the start of another; if they are not one ("trailing garbage", including
 * zero padding), that is SL_INVALID "<codec>: data is corrupt: ..." (or a truncation, when fewer
 * bytes follow than a header needs). An empty body (no bytes at all) decompresses to nothing
 * and is not an error here; whether an empty load is acceptable is the load job's decision.
 *
 * Errors: corrupt input is SL_INVALID with the library's reason; a library allocation failure
 * is SL_NOMEM; an unknown type is SL_FORMAT. After its first error an sl_decomp is poisoned:
 * every later push/finish returns that first error [LMDB MDB_TXN_ERROR]. All library memory is
 * allocated through sl_malloc, so fault injection reaches it.
 *
 * Threads: an sl_decomp is used by one thread at a time; there is no shared state.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_DECOMPRESS_H
#define SL_DECOMPRESS_H

#include "../core/slice.h"
#include "../core/status.h"

/** The largest piece handed to emit, and the size of the one output buffer. 256 KiB: large
 *  enough that the per-call overhead of the decoder behind it is noise (a CSV decoder at 1 GB/s
 *  spends ~250 us per piece), small enough to stay in L2 and to keep 100 concurrent loads at
 *  25 MiB of output buffers. */
#define SL_DECOMP_OUT (256 * 1024)

/** zstd frames needing a larger window (log2 bytes) are refused. 24 (16 MiB) covers every
 *  level 1-19 frame (they use at most 2^23); `--ultra -20..-22` and `--long` frames above it
 *  are rejected, because a window is allocated per load and 100 loads at zstd's default limit
 *  (2^27) could take 12.8 GiB. */
#define SL_DECOMP_ZSTD_WINDOW_LOG_MAX 24

/** The largest block the block formats (lzop, lz4_block, snappy_block) accept, compressed or
 *  not: 8 MiB. They decompress a block only whole, so a load holds up to two of them; lzop and
 *  Hadoop write 256 KiB blocks, lzop allows 64 MiB, which 100 loads could not afford. */
#define SL_DECOMP_BLOCK_MAX (8u << 20)

typedef struct sl_decomp sl_decomp;

/** The consumer of decompressed bytes. p points into the sl_decomp's output buffer and is
 *  valid only during the call (copy what must outlive it); 1 <= n <= SL_DECOMP_OUT. Return
 *  SL_OK or SL_AGAIN to continue (so a decoder's push can be returned as is); any other code
 *  stops decompression and is returned by the push/finish that called emit. */
typedef sl_code (*sl_decomp_emit_fn)(void *arg, const char *p, size_t n);

/**
 * Open a decompressor for the compression named by type (case-insensitive; see the list
 * above; the empty slice and "plain" mean none).
 * Returns SL_OK and a new sl_decomp in *out (owned by the caller, release with
 * sl_decomp_free; it may be registered with sl_arena_on_reset), SL_FORMAT (unknown type,
 * message names it: "unknown compress_type, compress_type=xyz"), or SL_NOMEM. On error *out is
 * NULL.
 */
sl_code sl_decomp_open(sl_slice type, sl_decomp **out, sl_err *err);

/**
 * Cap the total decompressed output at max_out bytes (0: no cap, the default). Passing the
 * cap is SL_TOO_LARGE "<codec>: decompressed body exceeds N bytes"; nothing beyond the cap is
 * emitted. Call before the first push.
 */
void sl_decomp_limit(sl_decomp *d, uint64_t max_out);

/**
 * Decompress the n bytes at p (n may be 0; p may be NULL when n == 0). Everything the bytes
 * decode to is delivered to emit before this returns, in pieces of at most SL_DECOMP_OUT
 * bytes. The input is not retained: the caller may reuse p when push returns.
 * Returns SL_AGAIN (all input consumed, want more - the decoder convention [nginx NGX_AGAIN]),
 * SL_INVALID (corrupt input; err says why), SL_TOO_LARGE (sl_decomp_limit), SL_NOMEM, or the
 * code emit returned (err is then left as emit left it: the consumer records its own error).
 * Any error poisons d.
 */
sl_code sl_decomp_push(sl_decomp *d, const char *p, size_t n, sl_decomp_emit_fn emit, void *arg,
                       sl_err *err);

/**
 * End of body. Delivers any output still held, then checks that the body ended on a stream
 * boundary. Returns SL_OK, SL_INVALID "<codec>: truncated stream", or the first error of d.
 * After finish, d may only be freed.
 */
sl_code sl_decomp_finish(sl_decomp *d, sl_decomp_emit_fn emit, void *arg, sl_err *err);

/** The canonical codec name ("gz", "deflate", "bz2", "lz4", "zstd", "lzop", "lz4_block",
 *  "snappy_block", "plain"). Static storage. */
const char *sl_decomp_name(const sl_decomp *d);

/** Bytes pushed in and bytes emitted so far (either pointer may be NULL). */
void sl_decomp_stats(const sl_decomp *d, uint64_t *bytes_in, uint64_t *bytes_out);

/** Release d and all library state it holds. NULL is allowed. */
void sl_decomp_free(sl_decomp *d);

#endif
