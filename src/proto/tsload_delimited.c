/*
 * tsload_delimited.c - the decoder of tsload's DELIMITED format with an escape_character
 * (proto stage; tsload_cycle.c picks it per file part, in place of the CSV decoder).
 *
 * ThoughtSpot's reference client: escape_character "applies only for DELIMITED data format".
 * DELIMITED has no enclosing character, so the escape is what lets a value hold the separator
 * or a line break. The generic CSV decoder (Doris semantics) honours an escape only inside
 * enclosed fields, hence this small decoder:
 *
 *   bytes -> E + X: X taken literally (separator byte, line break, E itself, anything)
 *         -> "\n" not escaped: end of record; an unescaped CR right before it is dropped
 *         -> the field separator (1..63 bytes, none of them escaped): end of field
 *         -> anything else: part of the value
 *
 * An escape at the very end of the body is kept as a byte. Like the CSV decoder: records are
 * counted in line_no (skipped and empty ones too), skip_lines drops the first records (the
 * header of every file part), an empty record is no row, a UTF-8 BOM at the start of the body
 * is dropped when nothing is skipped, a record that is not UTF-8 is an error row with the CSV
 * decoder's text, and a record longer than max_record_bytes (64 MiB) is fatal.
 *
 * Memory: the record being read is carried in two heap buffers (raw bytes for the error log,
 * unescaped values); complete records are copied to a scratch arena reset at every push, so
 * the slices in the raw batch stay valid until the next push/finish/close (decoder.h).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <string.h>

#include "../core/buf.h"
#include "../core/mem.h"
#include "tsload_internal.h"

#define DL_MAX_RECORD_DEFAULT ((size_t)64 << 20) /* as the CSV decoder: bounds the carry */

static const char utf8_reason[] =
    "Unable to display, only support csv data in utf8 codec, please check the data encoding";

struct dl_state {
    char sep[64];
    size_t sep_len;
    char esc;
    bool utf8;
    size_t max_rec;
    uint64_t to_skip, line_no;
    bool bom_strip;         /* drop a BOM at the start of the first record */
    sl_err *err;
    sl_code failed;         /* first fatal code; later calls answer it again */
    sl_buf raw;             /* the current record as received */
    sl_buf val;             /* its values, escapes removed, separators cut out */
    size_t *fo;             /* start of each field in val */
    size_t n_fo, cap_fo;
    size_t plain_from;      /* val bytes from here on were not escaped (separator search) */
    bool esc_pending;       /* the previous byte was an unescaped escape */
    bool cr_pending;        /* the last val byte is an unescaped CR */
    sl_arena_t scratch;     /* complete records of the current push */
};

/* RFC 3629 well-formedness: no overlongs, surrogates or code points past U+10FFFF. */
static bool utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xE0) == 0xC0)
            k = 1, cp = c & 0x1F, min = 0x80;
        else if ((c & 0xF0) == 0xE0)
            k = 2, cp = c & 0x0F, min = 0x800;
        else if ((c & 0xF8) == 0xF0)
            k = 3, cp = c & 0x07, min = 0x10000;
        else
            return false;
        if (n - i <= k)
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += k + 1;
    }
    return true;
}

static sl_code fail(struct dl_state *st, sl_code c, const char *msg)
{
    if (st->failed == SL_OK)
        st->failed = c;
    return sl_fail(st->err, c, "%s", msg);
}

static void record_reset(struct dl_state *st)
{
    sl_buf_clear(&st->raw);
    sl_buf_clear(&st->val);
    st->n_fo = 1;
    st->fo[0] = 0;
    st->plain_from = 0;
    st->cr_pending = false;
}

static sl_code dl_open(void *state, const sl_decode_opts *o, sl_err *err)
{
    struct dl_state *st = state;
    memcpy(st->sep, o->col_sep, o->col_sep_len);
    st->sep_len = o->col_sep_len;
    st->esc = (char)o->escape;
    st->utf8 = o->validate_utf8;
    st->max_rec = o->max_record_bytes ? o->max_record_bytes : DL_MAX_RECORD_DEFAULT;
    st->to_skip = o->skip_lines;
    st->bom_strip = o->skip_lines == 0;
    st->err = err;
    st->raw = (sl_buf)SL_BUF_INIT;
    st->val = (sl_buf)SL_BUF_INIT;
    sl_arena_init(&st->scratch, 65536);
    st->cap_fo = 64;
    if ((st->fo = sl_malloc(st->cap_fo * sizeof *st->fo)) == NULL)
        return fail(st, SL_NOMEM, "out of memory while decoding delimited data");
    record_reset(st);
    return SL_OK;
}

/* Drop a UTF-8 BOM heading the first record (values and raw bytes). */
static void strip_bom(struct dl_state *st)
{
    static const char bom[3] = {'\xEF', '\xBB', '\xBF'};
    st->bom_strip = false;
    size_t end0 = st->n_fo > 1 ? st->fo[1] : st->val.len;
    if (end0 < 3 || memcmp(st->val.p, bom, 3) != 0 || st->raw.len < 3 ||
        memcmp(st->raw.p, bom, 3) != 0)
        return;
    memmove(st->val.p, st->val.p + 3, st->val.len - 3);
    st->val.len -= 3;
    memmove(st->raw.p, st->raw.p + 3, st->raw.len - 3);
    st->raw.len -= 3;
    for (size_t k = 1; k < st->n_fo; k++)
        st->fo[k] -= 3;
}

/* A record is complete (raw and val hold it): count it, then skip it, reject it or copy it to
 * the scratch arena and append its fields and row. */
static sl_code end_record(struct dl_state *st, sl_rawbatch *out)
{
    st->line_no++;
    if (st->raw.oom || st->val.oom)
        return fail(st, SL_NOMEM, "out of memory while decoding delimited data");
    if (st->raw.len > st->max_rec)
        return fail(st, SL_TOO_LARGE, "delimited record is longer than max_record_bytes");
    if (st->to_skip) {
        st->to_skip--;
        st->bom_strip = false;
        record_reset(st);
        return SL_OK;
    }
    if (st->bom_strip)
        strip_bom(st);
    sl_code rc = SL_OK;
    if (st->raw.len == 0) {
        record_reset(st);
        return SL_OK;
    }
    char *raw = sl_arena_memdup(&st->scratch, st->raw.p, st->raw.len);
    char *val = sl_arena_memdup(&st->scratch, st->val.p ? st->val.p : "", st->val.len);
    if (raw == NULL || val == NULL)
        return fail(st, SL_NOMEM, "out of memory while decoding delimited data");
    sl_slice src = {raw, st->raw.len};
    if (st->utf8 && !utf8_valid((const unsigned char *)raw, src.n)) {
        rc = sl_rawbatch_error(out, src, st->line_no, utf8_reason);
    } else {
        for (size_t k = 0; k < st->n_fo && rc == SL_OK; k++) {
            size_t end = k + 1 < st->n_fo ? st->fo[k + 1] : st->val.len;
            rc = sl_rawbatch_field(out, (sl_slice){val + st->fo[k], end - st->fo[k]});
        }
        if (rc == SL_OK)
            rc = sl_rawbatch_row(out, src, st->line_no);
    }
    record_reset(st);
    return rc == SL_OK ? SL_OK : fail(st, SL_NOMEM, "out of memory while decoding delimited data");
}

/* A separator ends the current field: cut it out of val and start the next field. */
static sl_code end_field(struct dl_state *st)
{
    st->val.len -= st->sep_len;
    if (st->n_fo == st->cap_fo) {
        size_t *f = sl_realloc(st->fo, st->cap_fo * 2 * sizeof *f);
        if (f == NULL)
            return fail(st, SL_NOMEM, "out of memory while decoding delimited data");
        st->fo = f;
        st->cap_fo *= 2;
    }
    st->fo[st->n_fo++] = st->val.len;
    st->plain_from = st->val.len;
    st->cr_pending = false;
    return SL_OK;
}

/* One byte of the record (states: esc_pending or not). */
static sl_code step(struct dl_state *st, char c, sl_rawbatch *out)
{
    if (st->val.oom || st->raw.oom)
        return fail(st, SL_NOMEM, "out of memory while decoding delimited data");
    if (st->esc_pending) {
        st->esc_pending = false;
        sl_buf_putc(&st->val, c);
        st->plain_from = st->val.len;
        st->cr_pending = false;
        return SL_OK;
    }
    if (c == st->esc) {
        st->esc_pending = true;
        return SL_OK;
    }
    if (c == '\n') {
        if (st->cr_pending)
            st->val.len--; /* CRLF: the same values as with "\n" */
        return end_record(st, out);
    }
    sl_buf_putc(&st->val, c);
    st->cr_pending = c == '\r';
    if (c == st->sep[st->sep_len - 1] && st->val.len - st->plain_from >= st->sep_len &&
        memcmp(st->val.p + st->val.len - st->sep_len, st->sep, st->sep_len) == 0)
        return end_field(st);
    return SL_OK;
}

static sl_code dl_push(void *state, const char *p, size_t n, sl_rawbatch *out)
{
    struct dl_state *st = state;
    if (st->failed != SL_OK)
        return st->failed;
    sl_arena_reset(&st->scratch);
    size_t span = 0; /* p[span..i) belongs to the current record's raw bytes */
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n' && !st->esc_pending) {
            sl_buf_append(&st->raw, p + span, i - span);
            span = i + 1;
        }
        sl_code rc = step(st, p[i], out);
        if (rc != SL_OK)
            return rc;
        if (st->val.len > st->max_rec || st->raw.len > st->max_rec) {
            st->failed = SL_TOO_LARGE;
            return sl_fail(st->err, SL_TOO_LARGE,
                           "delimited record %llu is longer than max_record_bytes (%zu)",
                           (unsigned long long)st->line_no + 1, st->max_rec);
        }
    }
    sl_buf_append(&st->raw, p + span, n - span);
    return SL_AGAIN;
}

static sl_code dl_finish(void *state, sl_rawbatch *out)
{
    struct dl_state *st = state;
    if (st->failed != SL_OK)
        return st->failed;
    sl_arena_reset(&st->scratch);
    if (st->esc_pending) { /* a lone escape at the end of the body is a byte */
        st->esc_pending = false;
        sl_buf_putc(&st->val, st->esc);
    }
    if (st->raw.len == 0)
        return SL_OK;
    if (st->cr_pending)
        st->val.len--; /* a last line ended by a lone CR, as fix_rows does for CSV */
    return end_record(st, out);
}

static void dl_close(void *state)
{
    struct dl_state *st = state;
    sl_buf_free(&st->raw);
    sl_buf_free(&st->val);
    sl_free(st->fo);
    st->fo = NULL;
    sl_arena_free(&st->scratch);
}

const sl_decoder_vtab sl__ts_decoder_delimited = {"tsload-delimited", sizeof(struct dl_state),
                                                  dl_open, dl_push, dl_finish, dl_close};
