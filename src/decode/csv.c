/*
 * csv.c - streaming CSV decoder in the dialect of Doris Stream Load (decode stage).
 *
 * http/load.c (through decompress) pushes body chunks of any size; every complete record goes to
 * the raw batch as field slices, the mapper converts them before the next push.
 *
 *   chunk ─▶ BOM check ─▶ carried record? ─ yes ─▶ append the chunk to the carry in growing
 *                               │                  pieces, resume scan() ─▶ record copied to
 *                               │                  the scratch arena, the carry's rest rescanned
 *                               ▼
 *            in place: fast_loop (1-byte separator and delimiter, no enclose/escape: 64-byte
 *            SIMD masks) or scan() + emit_record() per record
 *                               │
 *                               ▼
 *            partial tail ─▶ carry (heap); scan() keeps its state, so a record spanning many
 *            chunks is scanned once, and a separator or delimiter may be split anywhere
 *
 * Slices point into the chunk or into the scratch arena (records completed from the carry, and
 * unescaped values), or into the carry after finish; all are left alone until the next call.
 * While the scanner waits for lookahead (a separator or delimiter may be cut), the carry may
 * already hold up to 63 bytes of earlier chunks past the record's end: those are rescanned from
 * the carry, only bytes of the current chunk are handed back to in-place parsing.
 *
 * Semantics (Doris 2.1/3.0 csv_reader + EncloseCsvLineReaderCtx; choices where they are silent):
 *  - Records end at the leftmost line delimiter outside an enclosed field; fields end at the
 *    leftmost column separator (left to right, non-overlapping; at one position the delimiter wins).
 *  - A trailing delimiter at EOF adds no row; a last record without one is a row. An empty record
 *    is skipped and is not a row (Doris csv_reader: size == 0 -> continue), but counts in line_no.
 *  - skip_lines drops the first N records (empty ones included), counted in line_no. A UTF-8 BOM at
 *    the start of the body is removed when skip_lines is 0 (Doris: only on the first data line).
 *  - enclose Q: a field starting with Q runs to the closing Q and may hold separators and
 *    delimiters; inside it, escape E + X is X's position skipped (E is kept for value processing),
 *    QQ stays inside (Doris _quote_escape). After the closing Q, bytes up to the next separator
 *    or delimiter belong to the field ("aaa"bbb"ccc" is one field). Q elsewhere is literal.
 *  - Field values: (1) trim: one outer pair of T is removed, T = Q when enclose is set (only when
 *    trim_double_quotes or Q != '"'), else '"' when trim_double_quotes. An enclosed field whose
 *    enclosure is empty and not trimmed by (1) loses the two Q bytes (""aaa -> aaa; pins the
 *    Doris .out of test_csv_with_enclose_and_escape). (2) NULL: an untrimmed value exactly \N,
 *    and with empty_field_as_null any value that is empty after (1) ("a,,b", "a,\"\",b").
 *    (3) escape: every E removes itself and protects the next byte (Doris escape_string), on any
 *    field when E != Q; when E == Q (RFC 4180 "") only inside a trimmed enclosed field.
 *  - An enclosed field still open at the end of the body makes the rest of the body one error row
 *    ("unterminated enclosed field"), as in Doris, where it becomes one bad line: with
 *    enclose_incomplete.csv that is 1 of 1 rows filtered, so max_filter_ratio 0.5 fails the load.
 *  - validate_utf8: a record that is not UTF-8 is an error row with Doris's text.
 *  - A record longer than max_record_bytes is fatal (SL_TOO_LARGE), whatever the chunking.
 *  - A trailing CR before a "\n" delimiter is kept (Doris 2.1 keeps it unless keep_carriage_return
 *    semantics say otherwise; unverified): use line_delimiter "\r\n" for CRLF files.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <string.h>

#include "../core/arena.h"
#include "../core/mem.h"
#include "csv_scan.h"
#include "decoder.h"

#define CSV_MAX_RECORD_DEFAULT ((size_t)64 << 20) /* 64 MiB: Doris has no per-line limit; ours
                                                     bounds the carry buffer per request */
#define CSV_PIECE_MIN 256                         /* first append to the carry: most records that
                                                     span a chunk end finish within it */
#define CSV_PIECE_MAX ((size_t)1 << 20)           /* caps copy-ahead past the record's end */
#define CSV_SCRATCH_CHUNK 65536                   /* unescaped values of one push */

static const char CSV_UTF8_REASON[] =
    "Unable to display, only support csv data in utf8 codec, please check the data encoding";
static const char CSV_UNTERMINATED_REASON[] = "unterminated enclosed field";
static const unsigned char CSV_BOM[3] = {0xEF, 0xBB, 0xBF};

/* Scanner states of an enclose-mode record: sw_field (at a field's first byte), sw_plain (in an
 * unenclosed field or after the closing enclose), sw_quoted (inside an enclosure). */
enum csv_sw { sw_field, sw_plain, sw_quoted };

enum csv_scan_res { SCAN_NEED, SCAN_FOUND, SCAN_EOF, SCAN_UNTERMINATED, SCAN_NOMEM };

struct csv_field {
    size_t start, end;  /* record-relative byte offsets */
    size_t close_at;    /* offset of the closing enclose from start; 0: none */
    bool enclosed;
};

struct csv_carry {
    char *p;
    size_t len, cap;
};

struct csv_state {
    char sep[64], delim[64];
    size_t sep_len, delim_len;
    int enclose, escape;    /* byte or -1 */
    int trim_char;          /* byte or -1 */
    bool null_bn, utf8, fast;
    bool empty_null;             /* empty_field_as_null: a field of length 0 is NULL */
    size_t max_rec;
    sl_err *err;
    sl_code failed;         /* first fatal code; SL_OK until then */

    uint64_t line_no;       /* records seen (skipped and empty ones included) */
    uint64_t to_skip;

    bool bom_done;          /* the body's first bytes were checked for a BOM */
    size_t bom_len;         /* BOM prefix bytes held back so far */
    char bom[3];

    struct csv_carry carry; /* the partial record (and lookahead bytes) while carrying */
    bool carrying;

    enum csv_sw sw;         /* scanner, relative to the current record's first byte */
    size_t pos;             /* next byte to examine; bytes before it hold no record end */
    size_t cur_start, cur_close;
    bool cur_enclosed;
    struct csv_field *fl;   /* enclose mode: the fields found so far */
    size_t n_fl, cap_fl;

    sl_arena_t scratch;     /* unescaped values; reset at every push/finish */
    sl__csv_masks_fn masks; /* fast_loop's block scanner for this CPU (csv_scan.h) */
};

static sl_code fail(struct csv_state *st, sl_code c, const char *msg)
{
    if (st->failed == SL_OK)
        st->failed = c;
    return sl_fail(st->err, c, "%s", msg);
}

static sl_code fail_nomem(struct csv_state *st)
{
    return fail(st, SL_NOMEM, "out of memory while decoding csv");
}

static void scan_reset(struct csv_state *st)
{
    st->sw = sw_field;
    st->pos = 0;
    st->n_fl = 0;
}

/* ---- values ------------------------------------------------------------------------------ */

/* Doris escape_string: each escape byte drops itself and protects the next byte. */
static sl_code unescape(struct csv_state *st, sl_slice *v)
{
    char *d = sl_arena_alloc(&st->scratch, v->n ? v->n : 1);
    if (d == NULL)
        return SL_NOMEM;
    const char e = (char)st->escape;
    size_t k = 0;
    bool esc = false;
    for (size_t i = 0; i < v->n; i++) {
        esc = (v->p[i] == e) ? !esc : false;
        if (!esc)
            d[k++] = v->p[i];
    }
    v->p = d;
    v->n = k;
    return SL_OK;
}

/* Apply trim, NULL and escape rules (file comment) to one field and append it to out. esc: the
 * record holds an escape byte at all (one memchr per record instead of one per field). */
static sl_code emit_value(struct csv_state *st, const char *p, size_t n, bool enclosed,
                          size_t close_at, bool esc, sl_rawbatch *out)
{
    bool trimmed = false;
    const int t = st->trim_char;
    if (t >= 0 && n >= 2 && p[0] == (char)t && p[n - 1] == (char)t) {
        p++, n -= 2, trimmed = true;
    } else if (enclosed && close_at == 1 && t >= 0 && t == st->enclose) {
        p += 2, n -= 2, trimmed = true;
    }
    sl_slice v = {p, n};
    if (n == 0 && st->empty_null) {
        v = SL_SLICE_NULL;
    } else if (!trimmed && st->null_bn && n == 2 && p[0] == '\\' && p[1] == 'N') {
        v = SL_SLICE_NULL;
    } else if (esc && n && (st->escape != st->enclose || (trimmed && enclosed)) &&
               memchr(p, st->escape, n) != NULL) {
        if (unescape(st, &v) != SL_OK)
            return SL_NOMEM;
    }
    return sl_rawbatch_field(out, v);
}

/* Split a complete no-enclose record at the separator and append its fields. */
static sl_code split_plain(struct csv_state *st, const char *b, size_t len, bool esc,
                           sl_rawbatch *out)
{
    size_t s = 0;
    for (;;) {
        const char *q = st->sep_len == 1 ? memchr(b + s, st->sep[0], len - s)
                                         : memmem(b + s, len - s, st->sep, st->sep_len);
        size_t e = q ? (size_t)(q - b) : len;
        if (emit_value(st, b + s, e - s, false, 0, esc, out) != SL_OK)
            return SL_NOMEM;
        if (q == NULL)
            return SL_OK;
        s = e + st->sep_len;
    }
}

/* ---- records ----------------------------------------------------------------------------- */

/* Count a finished record and decide its fate: *keep says whether its fields are wanted. Skipped
 * and empty records are dropped; bad UTF-8 and unterminated enclosures become error rows. */
static sl_code record_gate(struct csv_state *st, const char *b, size_t len, bool ascii,
                           bool unterminated, sl_rawbatch *out, bool *keep)
{
    *keep = false;
    st->line_no++;
    if (len > st->max_rec) {
        char msg[160];
        snprintf(msg, sizeof msg, "csv record %llu is longer than max_record_bytes (%zu)",
                 (unsigned long long)st->line_no, st->max_rec);
        return fail(st, SL_TOO_LARGE, msg);
    }
    if (st->to_skip) {
        st->to_skip--;
        return SL_OK;
    }
    if (len == 0)
        return SL_OK;
    const char *reason = NULL;
    if (st->utf8 && !ascii && !sl__csv_utf8_valid(b, len))
        reason = CSV_UTF8_REASON;
    else if (unterminated)
        reason = CSV_UNTERMINATED_REASON;
    if (reason) {
        if (sl_rawbatch_error(out, (sl_slice){b, len}, st->line_no, reason) != SL_OK)
            return fail_nomem(st);
        return SL_OK;
    }
    *keep = true;
    return SL_OK;
}

/* A complete record b[0..len) found by scan(): append its fields and row to out. */
static sl_code emit_record(struct csv_state *st, const char *b, size_t len, bool unterminated,
                           sl_rawbatch *out)
{
    bool keep;
    sl_code c = record_gate(st, b, len, false, unterminated, out, &keep);
    if (c != SL_OK || !keep)
        return c;
    const bool esc = st->escape >= 0 && memchr(b, st->escape, len) != NULL;
    if (st->enclose < 0) {
        c = split_plain(st, b, len, esc, out);
    } else {
        for (size_t i = 0; i < st->n_fl && c == SL_OK; i++) {
            const struct csv_field *f = &st->fl[i];
            c = emit_value(st, b + f->start, f->end - f->start, f->enclosed, f->close_at, esc,
                           out);
        }
    }
    if (c == SL_OK)
        c = sl_rawbatch_row(out, (sl_slice){b, len}, st->line_no);
    return c == SL_OK ? SL_OK : fail_nomem(st);
}

/* ---- scanner ----------------------------------------------------------------------------- */

static int push_field(struct csv_state *st, size_t end)
{
    if (st->n_fl == st->cap_fl) {
        size_t cap = st->cap_fl ? st->cap_fl * 2 : 64;
        struct csv_field *f = sl_realloc(st->fl, cap * sizeof *f);
        if (f == NULL)
            return SCAN_NOMEM;
        st->fl = f;
        st->cap_fl = cap;
    }
    st->fl[st->n_fl++] = (struct csv_field){st->cur_start, end, st->cur_close, st->cur_enclosed};
    return SCAN_NEED;
}

/* No enclose: the record ends at the leftmost delimiter. Resumes at st->pos. */
static int scan_plain(struct csv_state *st, const char *b, size_t len, bool final, size_t *rec_end,
                      size_t *next)
{
    const size_t dl = st->delim_len, from = st->pos;
    const char *q = dl == 1 ? memchr(b + from, st->delim[0], len - from)
                            : memmem(b + from, len - from, st->delim, dl);
    if (q) {
        *rec_end = (size_t)(q - b);
        *next = *rec_end + dl;
        return SCAN_FOUND;
    }
    /* A delimiter may still start in the last dl-1 bytes. */
    st->pos = (len - from >= dl - 1) ? len - (dl - 1) : from;
    if (!final)
        return SCAN_NEED;
    *rec_end = *next = len;
    return SCAN_EOF;
}

/* Enclose mode: byte-level state machine over one record (states: sw_field, sw_plain,
 * sw_quoted; see enum csv_sw), resumable at any byte. Records the fields in st->fl. */
static int scan_enclosed(struct csv_state *st, const char *b, size_t len, bool final,
                         size_t *rec_end, size_t *next)
{
    const char q = (char)st->enclose;
    const char e = st->escape >= 0 ? (char)st->escape : q;
    const char s0 = st->sep[0], d0 = st->delim[0];
    const size_t sl = st->sep_len, dl = st->delim_len;
    size_t pos = st->pos;
    for (;;) {
        switch (st->sw) {
        case sw_field:
            if (pos >= len) {
                if (!final)
                    goto need;
                if (push_field(st, len) == SCAN_NOMEM)
                    return SCAN_NOMEM;
                *rec_end = *next = len;
                return SCAN_EOF;
            }
            st->cur_start = pos;
            st->cur_close = 0;
            st->cur_enclosed = (b[pos] == q);
            st->sw = st->cur_enclosed ? sw_quoted : sw_plain;
            pos += st->cur_enclosed;
            break;
        case sw_plain: {
            size_t i = pos + sl__csv_find2(b + pos, len - pos, s0, d0);
            if (i >= len) {
                pos = len;
                if (!final)
                    goto need;
                if (push_field(st, len) == SCAN_NOMEM)
                    return SCAN_NOMEM;
                *rec_end = *next = len;
                return SCAN_EOF;
            }
            if (b[i] == d0) {
                if (i + dl > len && !final) {
                    pos = i;
                    goto need;
                }
                if (i + dl <= len && (dl == 1 || memcmp(b + i, st->delim, dl) == 0)) {
                    if (push_field(st, i) == SCAN_NOMEM)
                        return SCAN_NOMEM;
                    *rec_end = i;
                    *next = i + dl;
                    return SCAN_FOUND;
                }
            }
            if (b[i] == s0) {
                if (i + sl > len && !final) {
                    pos = i;
                    goto need;
                }
                if (i + sl <= len && (sl == 1 || memcmp(b + i, st->sep, sl) == 0)) {
                    if (push_field(st, i) == SCAN_NOMEM)
                        return SCAN_NOMEM;
                    pos = i + sl;
                    st->sw = sw_field;
                    break;
                }
            }
            pos = i + 1;
            break;
        }
        case sw_quoted: {
            size_t i = pos + sl__csv_find2(b + pos, len - pos, q, e);
            if (i >= len) {
                pos = len;
                if (!final)
                    goto need;
                return SCAN_UNTERMINATED;
            }
            if (i + 1 >= len && !final) { /* what follows decides */
                pos = i;
                goto need;
            }
            if (b[i] != q) { /* escape byte: the next byte is content */
                if (i + 1 >= len)
                    return SCAN_UNTERMINATED;
                pos = i + 2;
            } else if (i + 1 < len && b[i + 1] == q) { /* QQ stays inside */
                pos = i + 2;
            } else {
                st->cur_close = i - st->cur_start;
                st->sw = sw_plain;
                pos = i + 1;
            }
            break;
        }
        }
    }
need:
    st->pos = pos;
    return SCAN_NEED;
}

static int scan(struct csv_state *st, const char *b, size_t len, bool final, size_t *rec_end,
                size_t *next)
{
    if (st->enclose < 0)
        return scan_plain(st, b, len, final, rec_end, next);
    return scan_enclosed(st, b, len, final, rec_end, next);
}

/* ---- fast path: 1-byte separator and delimiter, no enclose, no escape --------------------- */

/* Make room for k more fields without moving n_fields (rawbatch grows only when full). */
static sl_code reserve_fields(sl_rawbatch *rb, size_t k)
{
    size_t n0 = rb->n_fields;
    while (rb->cap_fields - n0 < k) {
        rb->n_fields = rb->cap_fields;
        if (sl_rawbatch_field(rb, SL_SLICE_NULL) != SL_OK) {
            rb->n_fields = n0;
            return SL_NOMEM;
        }
    }
    rb->n_fields = n0;
    return SL_OK;
}

/* The value rules of emit_value for an unenclosed, unescaped field: trim ('"' only, as the fast
 * path has no enclose), empty as NULL, \N. The flags are the loop's copies of st's. */
static inline sl_slice fast_value(bool trim, bool empty_null, bool null_bn, const char *p,
                                  size_t n)
{
    if (trim && n >= 2 && p[0] == '"' && p[n - 1] == '"')
        return (n == 2 && empty_null) ? SL_SLICE_NULL : (sl_slice){p + 1, n - 2};
    if (n == 0 && empty_null)
        return SL_SLICE_NULL;
    if (null_bn && n == 2 && p[0] == '\\' && p[1] == 'N')
        return SL_SLICE_NULL;
    return (sl_slice){p, n};
}

/* A record of len bytes that record_gate would keep as it is (not skipped, not empty, not too
 * long, no UTF-8 check needed) and the batch has room for: the fast loop closes it itself
 * (record_gate's count, then sl__rawbatch_close). */
static inline bool plain_record(const struct csv_state *st, const sl_rawbatch *rb, size_t len,
                                bool ascii)
{
    return st->to_skip == 0 && len - 1 < st->max_rec && (ascii || !st->utf8) &&
           rb->n_rows < rb->cap_rows;
}

/* Decode the complete records of b[0..len) in place; *used is the start of the partial tail.
 * Masks of SL__CSV_BLOCK bytes at a time (st->masks: AVX2, SSE2 or scalar), then one pass over
 * their set bits: fields are written straight into the batch, no per-byte branch. The field
 * count and array live in locals between records (a store through rb->fields could alias
 * rb->n_fields, so the compiler would otherwise go through memory for every field). */
static inline __attribute__((always_inline)) sl_code
fast_loop_body(struct csv_state *st, const char *b, size_t len, sl_rawbatch *rb, size_t *used,
               const bool trim, const bool empty_null)
{
    const char sep = st->sep[0], dl = st->delim[0];
    const bool null_bn = st->null_bn;
    size_t rec = 0, fstart = 0, hi_end = 0;
    size_t nf = rb->n_fields, rec_f0 = nf;
    sl_slice *fo = rb->fields;
    uint64_t ms[SL__CSV_BLOCK / 64], md[SL__CSV_BLOCK / 64], hi[SL__CSV_BLOCK / 64];
    for (size_t i0 = 0; i0 < len; i0 += SL__CSV_BLOCK) {
        size_t bn = len - i0 < SL__CSV_BLOCK ? len - i0 : SL__CSV_BLOCK;
        st->masks(b + i0, bn, sep, dl, ms, md, hi);
        if (SL_UNLIKELY(rb->cap_fields - nf < SL__CSV_BLOCK)) {
            rb->n_fields = nf;
            if (reserve_fields(rb, SL__CSV_BLOCK) != SL_OK)
                return fail_nomem(st);
            fo = rb->fields;
        }
        for (size_t w = 0, i = i0; w * 64 < bn; w++, i += 64) {
            const uint64_t mdw = md[w];
            if (hi[w])
                hi_end = i + 64;
            for (uint64_t m = ms[w] | mdw; m; m &= m - 1) {
                unsigned bit = (unsigned)__builtin_ctzll(m);
                size_t j = i + bit;
                fo[nf++] = fast_value(trim, empty_null, null_bn, b + fstart, j - fstart);
                fstart = j + 1;
                if (!((mdw >> bit) & 1))
                    continue;
                rb->n_fields = nf;
                if (SL_LIKELY(plain_record(st, rb, j - rec, hi_end <= rec))) {
                    sl__rawbatch_close(rb, (sl_slice){b + rec, j - rec}, ++st->line_no, NULL);
                } else {
                    bool keep, ascii = hi_end <= rec;
                    sl_code c = record_gate(st, b + rec, j - rec, ascii, false, rb, &keep);
                    if (c != SL_OK)
                        return c;
                    if (keep &&
                        sl_rawbatch_row(rb, (sl_slice){b + rec, j - rec}, st->line_no) != SL_OK)
                        return fail_nomem(st);
                    nf = keep ? rb->n_fields : rec_f0; /* skipped, empty, error row: no fields */
                }
                rec = j + 1;
                rec_f0 = nf;
            }
        }
    }
    rb->n_fields = rec_f0; /* the partial record's fields are decoded again later */
    *used = rec;
    return SL_OK;
}

/* fast_loop_body, compiled apart for the usual options (no trim, empty fields not NULL). */
static sl_code fast_loop(struct csv_state *st, const char *b, size_t len, sl_rawbatch *rb,
                         size_t *used)
{
    if (st->trim_char < 0 && !st->empty_null)
        return fast_loop_body(st, b, len, rb, used, false, false);
    return fast_loop_body(st, b, len, rb, used, st->trim_char >= 0, st->empty_null);
}

/* ---- buffers ----------------------------------------------------------------------------- */

/* Decode the records of b[0..len); with final, the last one may lack a delimiter. *used: bytes
 * consumed; the rest is a partial record whose scan state is in st. */
static sl_code parse_buf(struct csv_state *st, const char *b, size_t len, bool final,
                         sl_rawbatch *out, size_t *used)
{
    size_t r = 0;
    sl_code c = SL_OK;
    if (st->fast && !final && st->pos == 0 && (c = fast_loop(st, b, len, out, &r)) != SL_OK)
        return c;
    while (r < len) {
        size_t rec_end = 0, next = 0;
        switch (scan(st, b + r, len - r, final, &rec_end, &next)) {
        case SCAN_NOMEM:
            return fail_nomem(st);
        case SCAN_NEED:
            *used = r;
            return SL_OK;
        case SCAN_FOUND:
            c = emit_record(st, b + r, rec_end, false, out);
            r += next;
            break;
        case SCAN_EOF:
            c = emit_record(st, b + r, rec_end, false, out);
            r = len;
            break;
        default: /* SCAN_UNTERMINATED */
            c = emit_record(st, b + r, len - r, true, out);
            r = len;
            break;
        }
        scan_reset(st);
        if (c != SL_OK)
            return c;
    }
    *used = r;
    return SL_OK;
}

static sl_code carry_append(struct csv_state *st, struct csv_carry *c, const char *p, size_t n)
{
    if (c->cap - c->len < n) {
        size_t need = c->len + n, cap = c->cap + c->cap / 2;
        size_t ceiling = st->max_rec + CSV_PIECE_MAX + 128; /* a longer carry is fatal anyway */
        if (cap < need)
            cap = need;
        if (cap > ceiling && need <= ceiling)
            cap = ceiling;
        if (cap < 4096)
            cap = 4096;
        char *q = sl_realloc(c->p, cap);
        if (q == NULL)
            return fail_nomem(st);
        c->p = q;
        c->cap = cap;
    }
    memcpy(c->p + c->len, p, n);
    c->len += n;
    return SL_OK;
}

static sl_code too_long(struct csv_state *st)
{
    char msg[160];
    snprintf(msg, sizeof msg, "csv record %llu is longer than max_record_bytes (%zu)",
             (unsigned long long)st->line_no + 1, st->max_rec);
    return fail(st, SL_TOO_LARGE, msg);
}

/* Feed the chunk to the carried record until it ends: pieces grow with the carry, so the bytes
 * copied past the record's end are at most the record's size (and CSV_PIECE_MAX). A finished
 * record is copied to the scratch arena so that the carry can be reused at once. *off: chunk
 * bytes consumed; the caller parses the rest in place once st->carrying is false. */
static sl_code carry_continue(struct csv_state *st, const char *p, size_t n, size_t *off,
                              sl_rawbatch *out)
{
    struct csv_carry *c = &st->carry;
    size_t fresh = 0; /* trailing carry bytes that came from this chunk */
    for (;;) {
        size_t rec_end = 0, next = 0;
        int r = scan(st, c->p, c->len, false, &rec_end, &next);
        if (r == SCAN_NOMEM)
            return fail_nomem(st);
        if (r == SCAN_FOUND) {
            char *copy = sl_arena_alloc(&st->scratch, rec_end ? rec_end : 1);
            if (copy == NULL)
                return fail_nomem(st);
            memcpy(copy, c->p, rec_end);
            sl_code code = emit_record(st, copy, rec_end, false, out);
            scan_reset(st);
            if (code != SL_OK)
                return code;
            size_t left = c->len - next;
            if (left <= fresh) { /* the rest is this chunk's: parse it in place */
                *off -= left;
                c->len = 0;
                st->carrying = false;
                return SL_OK;
            }
            memmove(c->p, c->p + next, left); /* bytes of an earlier chunk: rescan here */
            c->len = left;
            continue;
        }
        if (st->pos > st->max_rec) /* SCAN_NEED */
            return too_long(st);
        if (*off == n)
            return SL_OK;
        size_t take = c->len > CSV_PIECE_MIN ? c->len : CSV_PIECE_MIN;
        if (take > CSV_PIECE_MAX)
            take = CSV_PIECE_MAX;
        if (take > n - *off)
            take = n - *off;
        if (carry_append(st, c, p + *off, take) != SL_OK)
            return st->failed;
        *off += take;
        fresh += take;
    }
}

static sl_code feed(struct csv_state *st, const char *p, size_t n, sl_rawbatch *out)
{
    size_t off = 0, used = 0;
    sl_code c;
    if (st->carrying) {
        if ((c = carry_continue(st, p, n, &off, out)) != SL_OK)
            return c;
        if (st->carrying)
            return SL_AGAIN;
    }
    if ((c = parse_buf(st, p + off, n - off, false, out, &used)) != SL_OK)
        return c;
    off += used;
    if (off < n) {
        if (st->pos > st->max_rec)
            return too_long(st);
        st->carry.len = 0;
        if (carry_append(st, &st->carry, p + off, n - off) != SL_OK)
            return st->failed;
        st->carrying = true;
    }
    return SL_AGAIN;
}

/* ---- vtab -------------------------------------------------------------------------------- */

static sl_code csv_open(void *vst, const sl_decode_opts *o, sl_err *err)
{
    struct csv_state *st = vst;
    memset(st, 0, sizeof *st);
    st->err = err;
    sl_arena_init(&st->scratch, CSV_SCRATCH_CHUNK); /* first, so that close is always safe */
    if (o->col_sep_len < 1 || o->col_sep_len > sizeof st->sep || o->line_delim_len < 1 ||
        o->line_delim_len > sizeof st->delim)
        return fail(st, SL_INVALID, "column separator and line delimiter must be 1 to 64 bytes");
    if (o->enclose < -1 || o->enclose > 255 || o->escape < -1 || o->escape > 255)
        return fail(st, SL_INVALID, "enclose and escape must be single bytes");
    memcpy(st->sep, o->col_sep, o->col_sep_len);
    memcpy(st->delim, o->line_delim, o->line_delim_len);
    st->sep_len = o->col_sep_len;
    st->delim_len = o->line_delim_len;
    st->enclose = o->enclose;
    st->escape = o->escape;
    if (o->enclose >= 0)
        st->trim_char = (o->trim_double_quotes || o->enclose != '"') ? o->enclose : -1;
    else
        st->trim_char = o->trim_double_quotes ? '"' : -1;
    st->null_bn = o->null_as_backslash_n;
    st->empty_null = o->empty_field_as_null;
    st->utf8 = o->validate_utf8;
    st->max_rec = o->max_record_bytes ? o->max_record_bytes : CSV_MAX_RECORD_DEFAULT;
    st->to_skip = o->skip_lines;
    st->bom_done = o->skip_lines > 0;
    st->fast = st->sep_len == 1 && st->delim_len == 1 && st->enclose < 0 && st->escape < 0;
    st->masks = sl__csv_masks_best();
    scan_reset(st);
    return SL_OK;
}

/* Hold back the body's first bytes while they may still be a BOM. Returns the chunk bytes
 * consumed (held or dropped); *feed_held says the held bytes turned out to be data. */
static size_t bom_check(struct csv_state *st, const char *p, size_t n, bool *feed_held)
{
    size_t k = 0;
    *feed_held = false;
    while (st->bom_len < 3 && k < n && (unsigned char)p[k] == CSV_BOM[st->bom_len])
        st->bom[st->bom_len++] = p[k++];
    if (st->bom_len == 3) {
        st->bom_done = true;
    } else if (k < n) {
        st->bom_done = true;
        *feed_held = st->bom_len > 0;
    }
    return k;
}

static sl_code csv_push(void *vst, const char *p, size_t n, sl_rawbatch *out)
{
    struct csv_state *st = vst;
    if (st->failed != SL_OK)
        return st->failed;
    sl_arena_reset(&st->scratch);
    if (!st->bom_done) {
        bool feed_held;
        size_t k = bom_check(st, p, n, &feed_held);
        p += k, n -= k;
        if (feed_held) {
            sl_code c = feed(st, st->bom, st->bom_len, out);
            if (c != SL_AGAIN)
                return c;
        }
        if (!st->bom_done)
            return SL_AGAIN;
    }
    return feed(st, p, n, out);
}

static sl_code csv_finish(void *vst, sl_rawbatch *out)
{
    struct csv_state *st = vst;
    if (st->failed != SL_OK)
        return st->failed;
    sl_arena_reset(&st->scratch);
    if (!st->bom_done) {
        st->bom_done = true; /* a body shorter than a BOM: the held bytes are data */
        sl_code c = st->bom_len ? feed(st, st->bom, st->bom_len, out) : SL_AGAIN;
        if (c != SL_AGAIN)
            return c;
    }
    if (st->carrying) {
        struct csv_carry *c = &st->carry;
        size_t used = 0;
        st->carrying = false;
        return parse_buf(st, c->p, c->len, true, out, &used);
    }
    return SL_OK;
}

static void csv_close(void *vst)
{
    struct csv_state *st = vst;
    sl_free(st->carry.p);
    sl_free(st->fl);
    sl_arena_free(&st->scratch);
    memset(&st->carry, 0, sizeof st->carry);
    st->fl = NULL;
}

extern const sl_decoder_vtab sl_decoder_csv;
const sl_decoder_vtab sl_decoder_csv = {"csv",     sizeof(struct csv_state), csv_open, csv_push,
                                        csv_finish, csv_close};
