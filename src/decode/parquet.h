/*
 * parquet.h - shared inside the Parquet decoder (decode stage, issue 15): the schema tree, the
 * footer's row groups, and one column chunk reader.
 *
 *   parquet.c       the vtab: spool the body, read the footer, row group by row group decode
 *                   SL_COL_ROWS rows of every leaf, top-level fields -> named text fields
 *   parquet_meta.c  Thrift compact protocol; FileMetaData, row groups, page headers
 *   parquet_page.c  pages: decompression, RLE/bit-packed levels, value encodings -> text
 *   parquet_nest.c  nested fields (LIST / MAP / STRUCT / repeated) -> JSON text per row
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_PARQUET_H
#define SL_PARQUET_H

#include "columnar.h"

enum { PQ_BOOLEAN, PQ_INT32, PQ_INT64, PQ_INT96, PQ_FLOAT, PQ_DOUBLE, PQ_BYTE_ARRAY, PQ_FLBA };
enum { PQ_REQUIRED, PQ_OPTIONAL, PQ_REPEATED };

/* How a leaf's physical values become text (chosen from the physical and logical types). */
typedef enum pq_vkind {
    PV_BOOL, PV_I32, PV_U32, PV_I64, PV_U64, PV_DEC32, PV_DEC64, PV_DATE, PV_TIME_MS, PV_TIME_US,
    PV_TIME_NS, PV_TS_MS, PV_TS_US, PV_TS_NS, PV_INT96, PV_FLOAT, PV_DOUBLE, PV_BYTES, PV_DECBIN,
    PV_FLOAT16, PV_UUID
} pq_vkind;

/* A schema element. Leaves below a node are the contiguous range [first_leaf, +n_leaves). */
typedef struct pq_node {
    sl_slice name;
    int phys;              /* PQ_* physical type, -1 for a group */
    int type_len;          /* FIXED_LEN_BYTE_ARRAY width */
    int repetition;        /* PQ_REQUIRED / OPTIONAL / REPEATED */
    int n_children, first_child, parent;
    int next;              /* the next sibling, -1 for the last child */
    int conv;              /* ConvertedType, -1 when absent */
    int scale, precision;
    int logical;           /* LogicalType union member id, 0 when absent */
    int unit;              /* TIME/TIMESTAMP unit: 1 ms, 2 us, 3 ns */
    bool utc;              /* isAdjustedToUTC */
    int bit_width;         /* INTEGER logical type */
    bool is_signed;
    int def, rep;          /* definition / repetition level of this node (cumulative) */
    int leaf;              /* leaf column index, or -1 */
    int first_leaf, n_leaves;
    pq_vkind vk;
    sl__jkind jk;          /* how a value of this leaf appears in JSON */
} pq_node;

typedef struct pq_file {
    pq_node *nodes;        /* nodes[0] is the root */
    size_t n_nodes;
    int *leaf_node;        /* leaf -> node index */
    size_t n_leaves;
    int64_t num_rows;
    /* row groups: the footer bytes stay in memory, the list is walked as rows are read */
    const uint8_t *meta, *meta_end;
    const uint8_t *rg_next;/* the next row group's struct in meta */
    uint32_t rg_count, rg_done;
    int32_t list_elem_type;
} pq_file;

/* One column chunk of the current row group. */
typedef struct pq_chunk {
    int codec;             /* Parquet CompressionCodec */
    int64_t num_values;
    uint64_t start, len;   /* file range of the chunk's pages */
    int type;              /* physical type the chunk states */
} pq_chunk;

/* RLE / bit-packed hybrid reader (levels, dictionary indices, RLE booleans); with msb set the
 * deprecated BIT_PACKED level encoding (MSB first, no runs). */
typedef struct pq_rle {
    const uint8_t *p, *end;
    int width;
    uint32_t run;          /* values left in the current run or group */
    bool packed;
    uint32_t value;        /* RLE run value */
    uint64_t bits;         /* packed run / BIT_PACKED: bit position from p */
    size_t run_bytes;      /* packed run: its length in bytes */
    bool msb;
    bool bad;              /* the data ended or is malformed */
} pq_rle;

/* DELTA_BINARY_PACKED reader. */
typedef struct pq_delta {
    const uint8_t *p, *end;
    uint64_t block_size, n_mini, per_mini, total, left;
    uint64_t last;         /* previous value (wrapping arithmetic) */
    int64_t min_delta;
    const uint8_t *widths; /* the current block's miniblock widths */
    uint64_t mini;         /* current miniblock */
    uint64_t mini_left;    /* values left in it */
    const uint8_t *mp;     /* its bits */
    uint64_t bitpos;
    int width;
    bool first_pending, bad;
} pq_delta;

/* Reads one leaf column of a row group; keeps the entries of the current call. */
typedef struct pq_col {
    const pq_node *nd;
    int codec;
    const sl__ltz *ltz;    /* the load's zone, for UTC-adjusted timestamps */
    uint64_t pos, end;     /* next page header, end of the chunk */
    uint64_t file_end;
    int64_t values_left;   /* entries the chunk still holds */
    /* dictionary as text */
    sl_slice *dict;
    uint32_t n_dict;
    sl__tbuf dict_text;
    /* the current page */
    uint8_t *cbuf, *pbuf;
    size_t cbuf_cap, pbuf_cap;
    uint32_t page_left;    /* entries left in the page */
    pq_rle rep, def;
    int enc;               /* value encoding */
    const uint8_t *vp, *vend;
    pq_rle idx;            /* dictionary indices, RLE booleans */
    pq_delta d1, d2;       /* DELTA_*: lengths / prefix lengths and suffix lengths */
    const uint8_t *dp;     /* DELTA_*: the bytes */
    uint8_t *prev;         /* DELTA_BYTE_ARRAY: the previous value */
    size_t prev_len, prev_cap;
    size_t bss_n, bss_i;   /* BYTE_STREAM_SPLIT: values in the page, next */
    int bool_bit;          /* PLAIN booleans: next bit */
    bool have_peek;        /* a repetition level read ahead (nested columns) */
    uint16_t peek_rep;
    /* entries of the current call */
    uint16_t *reps, *defs;
    sl_slice *vals;        /* text of each entry (p == NULL below max definition) */
    size_t n, cap;
    uint32_t *tmp_idx;     /* scratch for decoded levels / indices */
    size_t tmp_cap;
} pq_col;

/* ---- parquet_meta.c ---- */

/* Parse the footer (FileMetaData) in meta[0..n), which must outlive f. Builds the schema in
 * arena a. SL_OK or SL_INVALID / SL_FORMAT with a message. */
sl_code sl__pq_parse_footer(pq_file *f, const uint8_t *meta, size_t n, sl_arena_t *a,
                            sl_err *err);
/* The next row group: its row count and one chunk per leaf (chunks[n_leaves]). SL_OK, or
 * SL_INVALID for a malformed row group. */
sl_code sl__pq_next_row_group(pq_file *f, int64_t *num_rows, pq_chunk *chunks, sl_err *err);

typedef struct pq_page_header {
    int type;              /* 0 data, 1 index, 2 dictionary, 3 data v2 */
    int32_t uncompressed, compressed;
    int32_t num_values;
    int encoding, def_enc, rep_enc;
    int32_t num_nulls, num_rows, def_len, rep_len;
    bool is_compressed;
} pq_page_header;

/* Parse a page header from p[0..n). *used: its length. SL_OK; SL_AGAIN when n bytes do not
 * hold all of it (read more); SL_INVALID when malformed. */
sl_code sl__pq_page_header(const uint8_t *p, size_t n, pq_page_header *h, size_t *used,
                           sl_err *err);

/* ---- parquet_page.c ---- */

/* Prepare c for chunk ch of leaf node nd. */
void sl__pq_col_start(pq_col *c, const pq_node *nd, const pq_chunk *ch, uint64_t file_end,
                      const sl__ltz *ltz);
/* Read entries of c until rows whole rows are complete (a row starts at repetition level 0),
 * appending to c->reps/defs/vals; text goes to t. *got: rows completed (less than rows only at
 * the end of the chunk). SL_OK, SL_INVALID (corrupt), SL_NOMEM. */
sl_code sl__pq_col_read(pq_col *c, const sl__spool *sp, size_t rows, sl__tbuf *t, size_t *got,
                        sl_err *err);
/* Free what c holds. */
void sl__pq_col_free(pq_col *c);

/* ---- parquet_nest.c ---- */

/* JSON text of top-level field node fi for n_rows rows whose entries are in cols (indexed by
 * leaf). out[r] for each row; text in t. SL_OK, SL_INVALID (levels inconsistent), SL_NOMEM. */
sl_code sl__pq_nest(const pq_file *f, int fi, pq_col *cols, size_t n_rows, sl_slice *out,
                    sl__tbuf *t, sl_buf *scratch, sl_err *err);

#endif
