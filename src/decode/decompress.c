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
 * window plus one 128 KiB block. Library allocations go through sl_malloc.
 *
 * Stream ends follow Doris be/src/exec/decompressor.cpp: zlib and bzip2 are reset after each
 * stream end so concatenated streams decode, LZ4F and zstd contexts start the next frame by
 * themselves. "mid" records whether the last bytes seen left us inside a stream; finish turns
 * that into "truncated stream".
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

#include "../core/mem.h"
#include "decompress.h"

/* zlib's avail_in/avail_out and bzip2's are 32-bit: feed at most this much per call. */
#define STEP_IN_MAX ((size_t)1 << 30)
/* Longest compress_type value quoted back in an error message. */
#define TYPE_ECHO_MAX 64

typedef struct codec {
    const char *name;
    int zbits; /* zlib windowBits: 15 zlib (deflate), 15 | 32 gzip or zlib (gz) */
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
    int rc = inflateInit2(&d->u.z, d->codec->zbits);
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

/* ---- the table of codecs and names ---- */

static const codec c_plain = {"plain", 0, NULL, NULL, NULL};
static const codec c_gz = {"gz", 15 | 32, zlib_init, zlib_step, zlib_end};
static const codec c_deflate = {"deflate", 15, zlib_init, zlib_step, zlib_end};
static const codec c_bz2 = {"bz2", 0, bz2_init, bz2_step, bz2_end};
static const codec c_lz4 = {"lz4", 0, lz4_init, lz4_step, lz4_end};
static const codec c_zstd = {"zstd", 0, zstd_init, zstd_step, zstd_end};

static const struct {
    const char *name;
    const codec *c;
} known[] = {
    {"gz", &c_gz},     {"gzip", &c_gz},     {"deflate", &c_deflate}, {"bz2", &c_bz2},
    {"bzip2", &c_bz2}, {"lz4", &c_lz4},     {"lz4frame", &c_lz4},    {"zstd", &c_zstd},
    {"zst", &c_zstd},  {"plain", &c_plain},
};

/* Names Doris knows but sluice does not decode: refused by name, not as "unknown". */
static const char *const unsupported[] = {
    "lzo", "lzop", "lz4_block", "lz4block", "snappy_block", "snappyblock", "snappy",
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
    for (size_t i = 0; i < SL_COUNT(unsupported); i++)
        if (sl_slice_ieq(type, unsupported[i]))
            return sl_fail(err, SL_FORMAT,
                           "compress_type %.*s is not supported. Supported types are gz, bz2, "
                           "lz4, zstd and deflate.",
                           echo, type.p);
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
