/*
 * columnar.h - what the Parquet, ORC and Arrow decoders share (decode stage, issue 15).
 *
 *   body --> [spool.c: unlinked temp file, Parquet/ORC only] --> format reader (parquet*.c,
 *   orc*.c, arrow.c) --> codec.c (page / chunk / buffer decompression) --> values
 *   --> colfmt.c (value -> text, nested -> JSON text) --> named fields of the raw batch
 *
 * The three formats are column-major; the rest of the pipeline is row-major text (the mapper
 * applies `columns`, `where`, strict mode and casts to text fields, docs/ARCHITECTURE.md says
 * why). So a columnar decoder decodes a chunk of at most SL_COL_ROWS rows of every column into
 * arrays of text slices, then emits them row by row as named fields (column name -> value),
 * and sets sl_rawbatch.more while rows remain: memory is one chunk of rows plus the pages or
 * buffers in flight, whatever the file size.
 *
 * Every count, length and offset read from a file is checked against the bytes that are
 * really there and against the limits below before anything is allocated.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_COLUMNAR_H
#define SL_COLUMNAR_H

#include "../core/buf.h"
#include "../core/tz.h"
#include "decoder.h"

__extension__ typedef __int128 sl__i128;

/* Rows decoded per call: the mapper's batch size (SL_BATCH_MAX_ROWS), so one call fills one
 * batch. */
#define SL_COL_ROWS 4096

/* The largest page (Parquet), compression chunk or stream block (ORC) and record batch body or
 * buffer (Arrow) accepted, compressed or not: 256 MiB. Writers use 1 MiB pages, 256 KiB ORC
 * chunks and batches of a few MB; a file claiming more is refused before anything is allocated,
 * so a 4 GB claim costs nothing. */
#define SL_COL_BLOCK_MAX ((size_t)256 << 20)

/* The largest footer / metadata block: 64 MiB (a 1000-column file with 100 row groups and
 * statistics has a footer of about 10 MiB). */
#define SL_COL_META_MAX ((size_t)64 << 20)

/* At most this many leaf columns, and this much nesting (recursion is bounded by it). */
#define SL_COL_MAX_COLUMNS 10000
#define SL_COL_MAX_DEPTH 64

/* ---- spool: a body read from its end (spool.c) ------------------------------------------- */

typedef struct sl__spool {
    int fd;            /* -1 when closed */
    uint64_t size;     /* bytes written */
    uint64_t max;      /* SL_TOO_LARGE beyond */
    const char *what;  /* "parquet" / "orc", for messages */
} sl__spool;

/* Create an unlinked temporary file in dir (so nothing is left behind, whatever happens to
 * the process). max: the byte limit (streaming_load_max_mb). SL_OK, SL_FORMAT (no dir: the
 * caller cannot spool), or SL_BACKEND (the file cannot be created). */
sl_code sl__spool_open(sl__spool *s, const char *dir, uint64_t max, const char *what,
                       sl_err *err);
/* Append n bytes. SL_OK, SL_TOO_LARGE (the body passes max) or SL_BACKEND. */
sl_code sl__spool_write(sl__spool *s, const void *p, size_t n, sl_err *err);
/* Read exactly n bytes at off into dst. The caller has checked off + n <= s->size. */
sl_code sl__spool_read(const sl__spool *s, uint64_t off, size_t n, void *dst, sl_err *err);
/* Close (the file is already unlinked). Safe on a closed or zeroed spool with fd -1. */
void sl__spool_close(sl__spool *s);

/* ---- codecs (codec.c) ------------------------------------------------------------------------ */

typedef enum sl__codec {
    SL_CODEC_NONE,
    SL_CODEC_SNAPPY,
    SL_CODEC_GZIP,       /* gzip or zlib stream, concatenated members (Parquet GZIP) */
    SL_CODEC_DEFLATE,    /* raw deflate (ORC ZLIB) */
    SL_CODEC_ZSTD,
    SL_CODEC_LZ4_RAW,    /* one raw LZ4 block (Parquet LZ4_RAW, ORC LZ4) */
    SL_CODEC_LZ4_HADOOP, /* Parquet's deprecated LZ4: Hadoop framing, else a raw block, else a
                            frame, as parquet-cpp reads it */
    SL_CODEC_LZ4_FRAME,  /* LZ4 frame format (Arrow) */
    SL_CODEC_BROTLI,
    SL_CODEC_LZO,        /* LZO1X (ORC LZO) */
} sl__codec;

/* The codec's name for messages. */
const char *sl__codec_name(sl__codec c);

/* Decompress src[0..n) into dst[0..cap). exact: the output must be exactly cap bytes (sizes
 * the file states); otherwise any length up to cap. *out_len: bytes written. SL_OK, SL_INVALID
 * ("<codec> decompression failed: ...") or SL_NOMEM. */
sl_code sl__codec_decompress(sl__codec c, const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                             bool exact, size_t *out_len, sl_err *err);

/* ---- text of values (colfmt.c) --------------------------------------------------------------- */

/* A chain of blocks holding the text of one call's values: reserve, write, commit; reset at
 * the start of the next call (the raw batch's slices live until then). */
typedef struct sl__tbuf {
    struct sl__tblock *head; /* current block first */
    struct sl__tblock *spare;/* emptied blocks kept for reuse */
    char *p, *end;           /* free space of the current block */
} sl__tbuf;

/* At least n writable bytes at the returned pointer (valid until the next reserve), or NULL. */
char *sl__tbuf_reserve(sl__tbuf *t, size_t n);
/* Keep the first n bytes written at the reserved pointer: returns them as a slice. */
static inline sl_slice sl__tbuf_commit(sl__tbuf *t, size_t n)
{
    sl_slice s = {t->p, n};
    t->p += n;
    return s;
}
/* Copy n bytes into the buffer; (NULL, 0) slice with p == NULL on out of memory. */
sl_slice sl__tbuf_copy(sl__tbuf *t, const void *p, size_t n);
void sl__tbuf_reset(sl__tbuf *t);
void sl__tbuf_free(sl__tbuf *t);

/* Formatters: write into dst (room for the stated bytes) and return the length. */
size_t sl__cfmt_i64(char *dst, int64_t v);                 /* 20 bytes */
size_t sl__cfmt_u64(char *dst, uint64_t v);                /* 20 bytes */
/* Decimal text of unscaled v at scale 0..76 (callers check the scale): at most 84 bytes. */
size_t sl__cfmt_dec128(char *dst, sl__i128 v, int scale);
/* A two's-complement big-endian integer of n bytes (1..32) with scale 0..76: exact decimal
 * text, at most 84 bytes. */
size_t sl__cfmt_dec_be(char *dst, const uint8_t *be, size_t n, int scale);
size_t sl__cfmt_date(char *dst, int64_t days);             /* 16 bytes: YYYY-MM-DD */
/* YYYY-MM-DD HH:MM:SS, then .ffffff (micro) or .fffffffff (nano) when nanos != 0. 40 bytes. */
size_t sl__cfmt_datetime(char *dst, int64_t secs, uint32_t nanos);
size_t sl__cfmt_time(char *dst, int64_t nanos_of_day);     /* 32 bytes: HH:MM:SS[.f] */
/* Shortest text that reads back as the same value; nan, inf, -inf. 32 bytes. */
size_t sl__cfmt_double(char *dst, double v);
size_t sl__cfmt_float(char *dst, float v);
/* IEEE half-precision bits as a float. */
float sl__half_to_float(uint16_t h);
/* Seconds and nanoseconds of a count of unit ticks since the epoch (unit: 1 s, 1e3 ms, 1e6 us,
 * 1e9 ns per second), floored. */
void sl__split_ts(int64_t v, int64_t per_sec, int64_t *secs, uint32_t *nanos);

/* How a leaf value appears inside a nested value's JSON text. */
typedef enum sl__jkind {
    SL_JK_NUM,   /* number text as is (nan/inf become strings: JSON has no such numbers) */
    SL_JK_STR,   /* a JSON string */
    SL_JK_BOOL,  /* "1"/"0" -> true/false */
    SL_JK_JSON,  /* already JSON text (a nested value) */
} sl__jkind;

/* Append text v (p == NULL: null) of kind k as JSON to b. */
void sl__json_put(sl_buf *b, sl__jkind k, sl_slice v);
/* Append v as a JSON object key (always a string). */
void sl__json_key(sl_buf *b, sl__jkind k, sl_slice v);

/* Emit rows [0, n_rows) of n_cols columns as named fields: row r has field c named names[c]
 * with value cols[c][r] (p == NULL is NULL; a NULL cols[c] skips that column). line_no of
 * row r: first_row + r + 1. SL_OK or SL_NOMEM. */
sl_code sl__col_emit(sl_rawbatch *rb, const sl_slice *names, sl_slice *const *cols, size_t n_cols,
                     size_t n_rows, uint64_t first_row, sl_err *err);

/* ---- the load's time zone ----------------------------------------------------------------- */

/* Where UTC-adjusted timestamps are shown: the load's zone (core/tz.h, with its DST), or a
 * fixed offset when there is none. */
typedef struct sl__ltz {
    const struct sl_tz *tz;
    int32_t off;
} sl__ltz;

/* The wall-clock seconds of the instant utc in the load's zone. */
static inline int64_t sl__ltz_local(const sl__ltz *z, int64_t utc)
{
    return utc + (z->tz ? sl_tz_offset_utc(z->tz, utc) : z->off);
}

/* Little-endian loads that need no alignment. */
static inline uint16_t sl__le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
/* 32 and 64 bits: sl_le32, sl_le64 (core/platform.h). */

#endif
