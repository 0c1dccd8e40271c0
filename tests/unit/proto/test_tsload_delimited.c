/*
 * test_tsload_delimited.c - unit tests for src/proto/tsload_delimited.c, the DELIMITED decoder
 * with an escape character: every case is decoded whole, byte by byte and in seeded random
 * splits, rendered right after each push (while the slices are valid), and all renderings must
 * be equal to the expected one.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/proto/tsload_delimited.c"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdlib.h>

static const sl_decoder_vtab *const D = &sl__ts_decoder_delimited;

enum split { SPLIT_WHOLE, SPLIT_BYTES, SPLIT_RANDOM };

static void dump(sl_buf *d, const sl_rawbatch *rb)
{
    for (size_t r = 0; r < rb->n_rows; r++) {
        const sl_rawrow *w = &rb->rows[r];
        sl_buf_printf(d, "#%llu<", (unsigned long long)w->line_no);
        sl_buf_append(d, w->src.p, w->src.n);
        sl_buf_puts(d, ">");
        if (w->err) {
            sl_buf_printf(d, "!%s\n", w->err);
            continue;
        }
        for (uint32_t i = 0; i < w->n_fields; i++) {
            sl_slice v = rb->fields[w->field0 + i];
            sl_buf_printf(d, "|%zu:", v.n);
            sl_buf_append(d, v.p, v.n);
        }
        sl_buf_puts(d, "\n");
    }
}

static sl_buf run(const sl_decode_opts *o, const char *in, size_t n, enum split how,
                  unsigned seed)
{
    void *st = calloc(1, D->state_size);
    sl_err err = {SL_OK, ""};
    sl_rawbatch rb = {0};
    sl_buf d = SL_BUF_INIT;
    sl_code c = D->open(st, o, &err);
    size_t off = 0;
    srand(seed);
    while (c == SL_OK || c == SL_AGAIN) {
        if (off == n) {
            c = D->finish(st, &rb);
            dump(&d, &rb);
            break;
        }
        size_t k = n - off;
        if (how == SPLIT_BYTES)
            k = 1;
        else if (how == SPLIT_RANDOM)
            k = 1 + (size_t)rand() % (k > 7 ? 7 : k);
        char *piece = malloc(k); /* freed after the push: a slice kept too long reads freed memory */
        memcpy(piece, in + off, k);
        c = D->push(st, piece, k, &rb);
        dump(&d, &rb);
        sl_rawbatch_clear(&rb);
        free(piece);
        off += k;
    }
    if (c != SL_OK && c != SL_AGAIN) {
        sl_buf_printf(&d, "FATAL:%s\n", sl_code_name(c));
        cr_assert(eq(int, D->push(st, "x", 1, &rb), c)); /* poisoned */
    }
    D->close(st);
    free(st);
    sl_rawbatch_free(&rb);
    return d;
}

static void check(const sl_decode_opts *o, const char *in, size_t n, const char *expect)
{
    for (int how = SPLIT_WHOLE; how <= SPLIT_RANDOM; how++) {
        for (unsigned seed = 1; seed <= (how == SPLIT_RANDOM ? 30u : 1u); seed++) {
            sl_buf d = run(o, in, n, (enum split)how, seed);
            cr_assert(eq(str, d.len ? d.p : "", (char *)expect), "split %d seed %u", how, seed);
            sl_buf_free(&d);
        }
    }
}

static void opts(sl_decode_opts *o, const char *sep, char esc, uint64_t skip)
{
    sl_decode_opts_default(o);
    o->col_sep_len = strlen(sep);
    memcpy(o->col_sep, sep, o->col_sep_len);
    o->escape = (unsigned char)esc;
    o->enclose = -1;
    o->skip_lines = skip;
}

#define CHECK(o, lit, expect) check(o, lit, sizeof(lit) - 1, expect)

Test(tsload_delimited, escapes_protect_separator_newline_and_itself)
{
    sl_decode_opts o;
    opts(&o, "|", '\\', 0);
    CHECK(&o, "1|a\\|b\n2|x\\\ny\n3|c\\\\d\n4|\\q\n",
          "#1<1|a\\|b>|1:1|3:a|b\n"
          "#2<2|x\\\ny>|1:2|3:x\ny\n"
          "#3<3|c\\\\d>|1:3|3:c\\d\n"
          "#4<4|\\q>|1:4|1:q\n");
}

Test(tsload_delimited, crlf_empty_lines_last_record_and_lone_escape)
{
    sl_decode_opts o;
    opts(&o, ",", '\\', 0);
    CHECK(&o, "a,b\r\n\n\r\nc,d\\\r\ne\\",
          "#1<a,b\r>|1:a|1:b\n"
          "#3<\r>|0:\n"
          "#4<c,d\\\r>|1:c|2:d\r\n" /* an escaped CR is data */
          "#5<e\\>|2:e\\\n");      /* a lone escape at the end is a byte */
    CHECK(&o, "x,y\r", "#1<x,y\r>|1:x|1:y\n");
    CHECK(&o, "x,y\n", "#1<x,y>|1:x|1:y\n");
    CHECK(&o, "", "");
}

Test(tsload_delimited, long_separator_cut_anywhere)
{
    sl_decode_opts o;
    opts(&o, "::", '^', 0);
    CHECK(&o, "a::b^::c:::d\n", "#1<a::b^::c:::d>|1:a|4:b::c|2::d\n");
    opts(&o, "<sep>", '^', 0);
    CHECK(&o, "1<sep>2<se^p>3<sep>\n", "#1<1<sep>2<se^p>3<sep>>|1:1|7:2<sep>3|0:\n");
}

Test(tsload_delimited, header_skip_bom_and_utf8)
{
    sl_decode_opts o;
    opts(&o, ",", '\\', 1);
    CHECK(&o, "h1,h2\n1,2\n", "#2<1,2>|1:1|1:2\n");
    opts(&o, ",", '\\', 0);
    CHECK(&o, "\xEF\xBB\xBF" "a,b\n", "#1<a,b>|1:a|1:b\n");
    CHECK(&o, "ok,\xC3\xA9\nbad,\xC3\n",
          "#1<ok,\xC3\xA9>|2:ok|2:\xC3\xA9\n"
          "#2<bad,\xC3>!Unable to display, only support csv data in utf8 codec, please check "
          "the data encoding\n");
}

Test(tsload_delimited, record_too_long_is_fatal)
{
    sl_decode_opts o;
    opts(&o, ",", '\\', 0);
    o.max_record_bytes = 8;
    CHECK(&o, "1,2\n123456789,1\n", "#1<1,2>|1:1|1:2\nFATAL:TOO_LARGE\n");
}
