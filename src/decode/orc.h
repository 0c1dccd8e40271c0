/*
 * orc.h - shared inside the ORC decoder (decode stage, issue 15).
 *
 *   orc.c      the vtab: spool the body, postscript / footer / stripe footers (protobuf by
 *              hand), columns of each stripe -> text and JSON -> named fields
 *   orc_rle.c  streams of a stripe (compression chunks decompressed one at a time) and the
 *              run-length encodings read from them: byte RLE, boolean RLE, integer RLE v1/v2,
 *              base-128 varints
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_ORC_H
#define SL_ORC_H

#include "columnar.h"

/* A stream of a stripe: a file range read through the file's compression, one chunk at a
 * time (a chunk is at most the postscript's compressionBlockSize, bounded by
 * SL_COL_BLOCK_MAX). */
typedef struct orc_stream {
    const sl__spool *sp;
    sl__codec codec;       /* SL_CODEC_NONE: no chunk headers */
    size_t block;          /* compressionBlockSize */
    uint64_t pos, end;     /* compressed bytes not read yet */
    uint8_t *buf, *cbuf;   /* the current chunk, decompressed; its compressed form */
    size_t cap, ccap;
    size_t off, len;       /* unread bytes of buf */
    sl_err *err;
    bool failed;           /* err holds why (corrupt or truncated) */
} orc_stream;

/* Integer run-length decoder (RLE v1 or v2) over a stream. */
typedef struct orc_irle {
    orc_stream *s;
    bool v2, is_signed;
    int64_t run[512];      /* decoded values of the current run */
    size_t n, i;
} orc_irle;

/* Byte run-length decoder (byte columns, union tags), with bits for boolean streams. */
typedef struct orc_brle {
    orc_stream *s;
    uint8_t run[130];
    size_t n, i;
    uint8_t byte;          /* boolean: the current byte */
    int bits;              /* boolean: bits left in it */
} orc_brle;

void sl__orc_stream_init(orc_stream *s, const sl__spool *sp, sl__codec codec, size_t block,
                         uint64_t pos, uint64_t len, sl_err *err);
void sl__orc_stream_free(orc_stream *s);
/* Copy n bytes of the stream to dst. false when the stream ends first (s->failed, err set). */
bool sl__orc_read(orc_stream *s, void *dst, size_t n);
/* One base-128 varint of up to 128 bits (decimals); false at the stream's end or when longer. */
bool sl__orc_varint128(orc_stream *s, unsigned __int128 *v);

bool sl__orc_irle_get(orc_irle *r, int64_t *out, size_t n);
bool sl__orc_brle_get(orc_brle *r, uint8_t *out, size_t n);
bool sl__orc_bool_get(orc_brle *r, uint8_t *out, size_t n);

#endif
