/*
 * decoder.h - the decoder interface and the raw batch it fills (decode stage).
 *
 * A decoder turns body bytes into records of field slices. It is pushed chunks of any size; a
 * record may span any number of chunks, so a decoder carries the unfinished tail in its state
 * and returns SL_AGAIN ("consumed everything, want more") [nginx NGX_AGAIN]. It never buffers
 * the whole body unless its format forces it.
 *
 * Ownership: slices in the raw batch point into the pushed chunk or into the decoder's own
 * scratch memory; both stay valid until the next push/finish/close call on that decoder. The
 * consumer (load/mapper) converts them before pushing again.
 *
 * Adding a format is one file that ends with a `const sl_decoder_vtab sl_decoder_<name>` and
 * one line in registry.c.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_DECODER_H
#define SL_DECODER_H

#include "../core/arena.h"
#include "../core/status.h"

/* One record as the decoder saw it. */
typedef struct sl_rawrow {
    uint32_t field0;       /* index of the first field in sl_rawbatch.fields */
    uint32_t n_fields;
    uint64_t line_no;      /* 1-based record number in the body (after skipped lines: still counted) */
    sl_slice src;          /* the record's raw bytes, for the error log (may be cut) */
    const char *err;       /* non-NULL: the decoder rejected this record; the reason (static or
                              in the decoder's scratch, valid like the slices) */
} sl_rawrow;

/* The records decoded from one push. fields[i].p == NULL means NULL (CSV \N, JSON null). When
 * names != NULL (JSON simple mode), names[i] is the key of fields[i]. */
typedef struct sl_rawbatch {
    sl_slice *fields;
    sl_slice *names;
    size_t n_fields, cap_fields;
    sl_rawrow *rows;
    size_t n_rows, cap_rows;
    bool named;            /* set by the decoder: fields carry names */
    uint32_t *ids;         /* with names, when the decoder numbers its keys (JSON simple mode):
                              ids[i] is the key id of names[i], or SL_KEY_NONE. Within one
                              ids_gen, equal ids mean equal names (byte for byte) */
    uint64_t ids_gen;      /* the numbering ids belong to: one per decoder instance, never 0 */
    bool more;             /* set by the decoder: it stopped with records still to give (a
                              columnar file decodes a bounded number of rows per call); the
                              caller maps these rows, then calls again: push(st, NULL, 0) or
                              finish, until `more` stays false */
} sl_rawbatch;

#define SL_KEY_NONE UINT32_MAX /* a named field without a key id */
#define SL_RAWBATCH_MAX_IDS 1024 /* key ids are below this */

/* Append helpers for decoders. Each returns SL_OK or SL_NOMEM. */
sl_code sl_rawbatch_field(sl_rawbatch *rb, sl_slice v);
sl_code sl_rawbatch_named_field(sl_rawbatch *rb, sl_slice name, sl_slice v);
/* Named fields with key ids: call sl_rawbatch_keyed once per push (names and ids arrays as long
 * as fields, and the numbering gen), then write names[i], ids[i] and fields[i] for each new field
 * i = n_fields++, calling sl__rawbatch_grow first when n_fields == cap_fields (it grows all three
 * arrays). Both return SL_OK or SL_NOMEM. */
sl_code sl_rawbatch_keyed(sl_rawbatch *rb, uint64_t gen);
sl_code sl__rawbatch_grow(sl_rawbatch *rb);
/* Close the record whose fields were appended since the previous row: */
sl_code sl_rawbatch_row(sl_rawbatch *rb, sl_slice src, uint64_t line_no);
/* The same (err NULL) or sl_rawbatch_error's row, into a batch known to have room for it
 * (n_rows < cap_rows): the step both share, inline for decoders' hot loops. */
static inline void sl__rawbatch_close(sl_rawbatch *rb, sl_slice src, uint64_t line_no,
                                      const char *err)
{
    size_t first = 0;
    if (rb->n_rows) {
        const sl_rawrow *prev = &rb->rows[rb->n_rows - 1];
        first = prev->field0 + prev->n_fields;
    }
    if (err)
        rb->n_fields = first; /* drop the rejected record's pending fields */
    sl_rawrow *r = &rb->rows[rb->n_rows++];
    r->field0 = (uint32_t)first;
    r->n_fields = (uint32_t)(rb->n_fields - first);
    r->line_no = line_no;
    r->src = src;
    r->err = err;
}
/* Append a rejected record (its pending fields, if any, are dropped): */
sl_code sl_rawbatch_error(sl_rawbatch *rb, sl_slice src, uint64_t line_no, const char *reason);
/* Forget all rows and fields, keep the arrays. */
void sl_rawbatch_clear(sl_rawbatch *rb);
void sl_rawbatch_free(sl_rawbatch *rb);

/* Format options, protocol-independent. Filled by the adapters (e.g. from Doris headers). */
typedef struct sl_decode_opts {
    /* CSV */
    char col_sep[64];          /* bytes, already unescaped (sl_separator_parse) */
    size_t col_sep_len;        /* >= 1 */
    char line_delim[64];
    size_t line_delim_len;     /* >= 1 */
    int enclose;               /* byte value, or -1 for none */
    int escape;                /* byte value, or -1 for none */
    bool trim_double_quotes;   /* strip one pair of outer '"' from each field */
    uint64_t skip_lines;       /* lines to drop at the start (csv_with_names: 1, ..._and_types: 2) */
    bool validate_utf8;        /* invalid UTF-8 record -> error row */
    bool null_as_backslash_n;  /* a field that is exactly \N is NULL (Doris: always) */
    bool empty_field_as_null;  /* an empty field (after enclose/trim) is NULL, not "" (Doris
                                  empty_field_as_null) */
    size_t max_record_bytes;   /* a longer record is a fatal SL_TOO_LARGE error; 0: 64 MiB */
    /* JSON (issue 4) */
    bool strip_outer_array;
    bool read_json_by_line;
    bool fuzzy_parse;
    bool num_as_string;
    sl_slice jsonpaths;        /* JSON array text, or NULL slice */
    sl_slice json_root;
    /* Parquet, ORC, Arrow (issue 15) */
    const char *spool_dir;     /* Parquet/ORC bodies (read from their footer) are spooled to an
                                  unlinked temporary file here; NULL: those formats refuse */
    uint64_t max_spool_bytes;  /* a longer body is SL_TOO_LARGE; 0: no such body is accepted */
    int32_t tz_offset_s;       /* load time zone as an offset, when tz is NULL */
    const struct sl_tz *tz;    /* the load time zone (core/tz.h): UTC-adjusted timestamps are
                                  shown in it; NULL: tz_offset_s */
} sl_decode_opts;

/* Defaults: "\t", "\n", no enclose/escape, \N is NULL, UTF-8 validated. */
void sl_decode_opts_default(sl_decode_opts *o);

typedef struct sl_decoder_vtab {
    const char *name;          /* matched against the format option, case-insensitively */
    size_t state_size;         /* the caller allocates this much, zeroed, in the request arena */
    /* Prepare st for a body. Options are copied as needed; err receives fatal errors later too. */
    sl_code (*open)(void *st, const sl_decode_opts *o, sl_err *err);
    /* Decode n bytes. Complete records go to out. SL_AGAIN on success (want more); an error
     * code (with err set) is fatal for the load. When the decoder sets out->more, the caller
     * maps the records and calls push(st, NULL, 0, out) until more stays false. */
    sl_code (*push)(void *st, const char *p, size_t n, sl_rawbatch *out);
    /* End of body: flush the last record (a final record without delimiter is a row). SL_OK or
     * a fatal error. When out->more is set, the caller maps the records and calls finish again
     * (a spooled columnar body gives all its rows here, a bounded number per call). */
    sl_code (*finish)(void *st, sl_rawbatch *out);
    /* Release heap memory held by st. Always called once after open, even after errors. */
    void (*close)(void *st);
} sl_decoder_vtab;

/* The registered decoder whose name matches (case-insensitively), or NULL. */
const sl_decoder_vtab *sl_decoder_find(sl_slice name);

#endif
