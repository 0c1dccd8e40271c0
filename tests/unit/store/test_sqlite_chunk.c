/*
 * test_sqlite_chunk.c - unit tests of the SQLite engine's column chunks and segment files
 * (src/store/sqlite/chunk.c, segfile.c): every type round-trips exactly through every
 * encoding, with NULLs, extremes and chunk sizes around the packing boundaries; the stats are
 * the true bounds; VARIANT, ARRAY, MAP, STRUCT, BITMAP and HLL are bytes (the blob types
 * without bounds); a damaged chunk is an error, never a crash; a segment file written row
 * group by row group reads back the same, also after its row groups are copied.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "store/sqlite/chunk.c" /* the encodings' codes */

static uint64_t rnd_state = 42;

static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

static sl_type ty(uint8_t id, uint8_t prec, uint8_t scale)
{
    sl_type t = {id, prec, scale, 0, id == SL_VARCHAR ? 1000 : 0};
    return t;
}

/* A value of type t drawn from a few families: small, extreme, random, repeated. */
static void value(const sl_type *t, int family, size_t i, sl_datum *v, char *text)
{
    memset(v, 0, sizeof *v);
    switch (sl__sq_class(t)) {
    case SQ_INT: {
        int64_t x = family == 0   ? (int64_t)(rnd() % 100)
                    : family == 1 ? (i % 2 ? INT64_MAX : INT64_MIN)
                    : family == 2 ? (int64_t)rnd()
                                  : 7;
        if (t->id == SL_DECIMAL)
            v->w = x;
        else
            v->i = x;
        return;
    }
    case SQ_WIDE: {
        sl_i128 big = (sl_i128)(((unsigned __int128)1 << 127) - 1);
        v->w = family == 0   ? (sl_i128)(rnd() % 1000) - 500
               : family == 1 ? (i % 2 ? big : -big - 1)
               : family == 2 ? ((sl_i128)(int64_t)rnd() * ((sl_i128)1 << 40)) ^ (sl_i128)rnd()
                             : -3;
        return;
    }
    case SQ_F64:
        v->d = family == 0 ? (double)(rnd() % 1000) / 8 : family == 1 ? (i % 2 ? 1e308 : -0.0)
               : family == 2 ? (double)rnd() / 3.0 : 2.5;
        return;
    case SQ_BYTES: {
        static const char *const words[] = {"AIR", "MAIL", "SHIP", "", "TRUCK"};
        size_t n = 0;
        if (family == 0 || family == 3)
            n = (size_t)sprintf(text, "%s", words[family == 3 ? 1 : rnd() % 5]);
        else if (family == 1)
            n = (size_t)sprintf(text, "%s", i % 2 ? "\xe5\x8c\x97\xe4\xba\xac" : "");
        else /* distinct, compressible: forces the plain encoding and LZ4 */
            n = (size_t)sprintf(text, "row %zu of a long and repetitive comment %llu", i,
                                (unsigned long long)(rnd() % 1000));
        v->s.p = text, v->s.n = n;
        return;
    }
    }
}

static bool same(const sl_type *t, const sl_datum *a, const sl_datum *b)
{
    if (sl__sq_class(t) == SQ_F64)
        return memcmp(&a->d, &b->d, 8) == 0; /* -0.0 stays -0.0 */
    return sl__sq_cmp(t, a, b) == 0;
}

/* Encode n values of t (family, NULL every null_every rows; 0: none) and decode them back. */
static void roundtrip(sl_type t, size_t n, int family, size_t null_every)
{
    sq_rgbuf g;
    cr_assert(eq(int, sl__sq_rg_init(&g, &t, 1, n + 1), SL_OK));
    sl_datum *want = sl_calloc((n + 1) * sizeof *want);
    char (*text)[64] = sl_calloc((n + 1) * 64);
    uint8_t *wnull = sl_calloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        value(&t, family, i, &want[i], text[i]);
        wnull[i] = null_every && i % null_every == 1;
        cr_assert(eq(int, sl__sq_rg_put_row(&g, &want[i], &wnull[i]), SL_OK));
    }
    sl_buf out = SL_BUF_INIT, scratch = SL_BUF_INIT;
    sq_stats st;
    cr_assert(eq(int, sl__sq_chunk_encode(&g.cols[0], n, true, &out, &scratch, &st), SL_OK));
    cr_assert(sl_buf_reserve(&out, 16));
    memset(out.p + out.len, 0, 16);
    sl_datum *got = sl_calloc((n + 1) * sizeof *got);
    uint8_t *gnull = sl_calloc(n + 1);
    sq_dbuf db = {SL_BUF_INIT, SL_BUF_INIT};
    sl_err err = {0};
    cr_assert(eq(int, sl__sq_chunk_decode((const uint8_t *)out.p, out.len, &t, n, got, gnull,
                                          &db, &err), SL_OK), "%s", err.msg);
    size_t nulls = 0;
    sl_datum lo = {0}, hi = {0};
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        cr_assert(eq(int, gnull[i], wnull[i]), "type %d family %d row %zu", t.id, family, i);
        if (wnull[i]) {
            nulls++;
            continue;
        }
        cr_assert(same(&t, &got[i], &want[i]), "type %d family %d n %zu row %zu", t.id, family,
                  n, i);
        if (!any || sl__sq_cmp(&t, &want[i], &lo) < 0)
            lo = want[i];
        if (!any || sl__sq_cmp(&t, &want[i], &hi) > 0)
            hi = want[i];
        any = true;
    }
    cr_assert(eq(u32, st.n_null, (uint32_t)nulls));
    if (st.has_minmax) {
        cr_assert(any);
        cr_assert(eq(int, sl__sq_cmp(&t, &st.lo, &lo), 0), "lo of type %d family %d", t.id,
                  family);
        cr_assert(eq(int, sl__sq_cmp(&t, &st.hi, &hi), 0), "hi of type %d family %d", t.id,
                  family);
    } else {
        cr_assert(any == false || sl__sq_class(&t) == SQ_BYTES, "numbers always have bounds");
    }
    sl__sq_dbuf_free(&db);
    sl_buf_free(&out);
    sl_buf_free(&scratch);
    sl__sq_rg_free(&g);
    sl_free(want), sl_free(text), sl_free(wnull), sl_free(got), sl_free(gnull);
}

Test(sqlite_chunk, every_type_every_family_roundtrips)
{
    const sl_type types[] = {ty(SL_TINYINT, 0, 0),   ty(SL_BIGINT, 0, 0),
                             ty(SL_DATE, 0, 0),      ty(SL_DATETIME, 6, 0),
                             ty(SL_DECIMAL, 15, 2),  ty(SL_DECIMAL, 30, 4),
                             ty(SL_LARGEINT, 0, 0),  ty(SL_DOUBLE, 0, 0),
                             ty(SL_VARCHAR, 0, 0),   ty(SL_STRING, 0, 0),
                             ty(SL_BOOLEAN, 0, 0)};
    const size_t sizes[] = {1, 2, 63, 64, 65, 1000, 5000};
    for (size_t k = 0; k < SL_COUNT(types); k++)
        for (size_t s = 0; s < SL_COUNT(sizes); s++)
            for (int f = 0; f < 4; f++) {
                roundtrip(types[k], sizes[s], f, 0);
                roundtrip(types[k], sizes[s], f, 3);
                roundtrip(types[k], sizes[s], f, 1); /* all but row 1 ... */
            }
}

/* VARIANT, ARRAY, MAP, STRUCT, BITMAP and HLL are bytes, as text is: any byte (NUL, 0xff)
 * comes back exactly, in the dictionary and the plain encoding; the blob types keep no bounds
 * (SQLite orders a BLOB above every text: a text bound could skip rows it would match),
 * VARIANT (JSON text) keeps them as text does. */
Test(sqlite_chunk, complex_and_sketch_types_are_bytes)
{
    const uint8_t ids[] = {SL_VARIANT, SL_ARRAY, SL_MAP, SL_STRUCT, SL_BITMAP, SL_HLL};
    static const char bin[][4] = {{0, 1, 2, 0}, {(char)0xff, 0, 0, 0}, {0, 0, 0, 0}};
    for (size_t k = 0; k < SL_COUNT(ids); k++) {
        sl_type t = ty(ids[k], 0, 0);
        cr_assert(eq(int, sl__sq_class(&t), SQ_BYTES));
        for (int f = 0; f < 4; f++)
            roundtrip(t, 1000, f, 3);
        for (size_t n = 3; n <= 600; n += 597) { /* 3 rows: a dictionary; 600 distinct: plain */
            sq_rgbuf g;
            cr_assert(eq(int, sl__sq_rg_init(&g, &t, 1, n), SL_OK));
            char (*buf)[8] = sl_calloc(n * 8);
            for (size_t i = 0; i < n; i++) {
                sl_datum v = {0};
                uint8_t nl = 0;
                memcpy(buf[i], bin[i % 3], 4);
                memcpy(buf[i] + 4, &i, 2); /* distinct past the dictionary's reach */
                v.s.p = buf[i], v.s.n = n == 3 ? 4 : 6;
                cr_assert(eq(int, sl__sq_rg_put_row(&g, &v, &nl), SL_OK));
            }
            sl_buf out = SL_BUF_INIT, scratch = SL_BUF_INIT;
            sq_stats st;
            cr_assert(eq(int, sl__sq_chunk_encode(&g.cols[0], n, true, &out, &scratch, &st),
                         SL_OK));
            cr_assert(eq(int, st.has_minmax, !sl_type_is_blob(&t)), "type %d", t.id);
            cr_assert(sl_buf_reserve(&out, 16));
            memset(out.p + out.len, 0, 16);
            sl_datum *got = sl_calloc(n * sizeof *got);
            uint8_t *gn = sl_calloc(n);
            sq_dbuf db = {SL_BUF_INIT, SL_BUF_INIT};
            sl_err err = {0};
            cr_assert(eq(int, sl__sq_chunk_decode((const uint8_t *)out.p, out.len, &t, n, got,
                                                  gn, &db, &err), SL_OK), "%s", err.msg);
            for (size_t i = 0; i < n; i++) {
                cr_assert(eq(int, gn[i], 0));
                cr_assert(eq(sz, got[i].s.n, n == 3 ? 4u : 6u));
                cr_assert(memcmp(got[i].s.p, buf[i], got[i].s.n) == 0, "type %d row %zu",
                          t.id, i);
            }
            sl__sq_dbuf_free(&db);
            sl_buf_free(&out), sl_buf_free(&scratch);
            sl__sq_rg_free(&g);
            sl_free(buf), sl_free(got), sl_free(gn);
        }
    }
}

Test(sqlite_chunk, all_null_chunk)
{
    sl_type t = ty(SL_INT, 0, 0), s = ty(SL_STRING, 0, 0);
    sq_rgbuf g;
    sl_type two[2] = {t, s};
    cr_assert(eq(int, sl__sq_rg_init(&g, two, 2, 100), SL_OK));
    sl_datum v[2] = {{0}};
    uint8_t nl[2] = {1, 1};
    for (int i = 0; i < 100; i++)
        cr_assert(eq(int, sl__sq_rg_put_row(&g, v, nl), SL_OK));
    for (size_t c = 0; c < 2; c++) {
        sl_buf out = SL_BUF_INIT, scratch = SL_BUF_INIT;
        sq_stats st;
        cr_assert(eq(int, sl__sq_chunk_encode(&g.cols[c], 100, true, &out, &scratch, &st), SL_OK));
        cr_assert(eq(u32, st.n_null, 100));
        cr_assert(eq(int, st.has_minmax, 0));
        cr_assert(lt(sz, out.len, 40), "an all-NULL chunk is a header and a bitmap");
        sl_buf_reserve(&out, 16);
        sl_datum got[100];
        uint8_t gn[100];
        sq_dbuf db = {SL_BUF_INIT, SL_BUF_INIT};
        sl_err err = {0};
        cr_assert(eq(int, sl__sq_chunk_decode((const uint8_t *)out.p, out.len, &two[c], 100,
                                              got, gn, &db, &err), SL_OK));
        for (int i = 0; i < 100; i++)
            cr_assert(eq(int, gn[i], 1));
        sl__sq_dbuf_free(&db);
        sl_buf_free(&out);
        sl_buf_free(&scratch);
    }
    sl__sq_rg_free(&g);
}

/* NaN is a value (SQLite keeps it as the text 'NaN'), not NULL: it comes back as NaN, and as
 * the largest value it is the chunk's upper bound, so no comparison skips its row group
 * wrongly ('NaN' > every number in SQLite). */
Test(sqlite_chunk, nan_is_kept_as_the_largest_value)
{
    sl_type t = ty(SL_DOUBLE, 0, 0);
    sq_rgbuf g;
    cr_assert(eq(int, sl__sq_rg_init(&g, &t, 1, 4), SL_OK));
    const double in[4] = {NAN, 1.5, 0, -2};
    for (size_t i = 0; i < 4; i++) {
        sl_datum v = {.d = in[i]};
        uint8_t nl = i == 2;
        cr_assert(eq(int, sl__sq_rg_put_row(&g, &v, &nl), SL_OK));
    }
    cr_assert(eq(int, g.cols[0].null[0], 0));
    sl_buf out = SL_BUF_INIT, scratch = SL_BUF_INIT;
    sq_stats st;
    cr_assert(eq(int, sl__sq_chunk_encode(&g.cols[0], 4, true, &out, &scratch, &st), SL_OK));
    cr_assert(sl_buf_reserve(&out, 16));
    cr_assert(st.has_minmax);
    cr_assert(eq(dbl, st.lo.d, -2.0));
    cr_assert(isnan(st.hi.d));
    sl_datum big = {.d = 1e300}, small = {.d = -5};
    cr_assert(not(sl__sq_excluded(&st, &t, SQ_OP_GT, &big)), "NaN > 1e300");
    cr_assert(sl__sq_excluded(&st, &t, SQ_OP_LT, &small));
    sl_datum v[4];
    uint8_t nl[4];
    sq_dbuf db = {SL_BUF_INIT, SL_BUF_INIT};
    sl_err e = {0};
    cr_assert(eq(int, sl__sq_chunk_decode((const uint8_t *)out.p, out.len, &t, 4, v, nl, &db,
                                          &e), SL_OK), "%s", e.msg);
    cr_assert(isnan(v[0].d) && nl[0] == 0);
    cr_assert(eq(dbl, v[1].d, 1.5));
    cr_assert(eq(int, nl[2], 1));
    cr_assert(eq(dbl, v[3].d, -2.0));
    /* the order SQLite gives its 'NaN' text: above every number, equal to itself */
    sl_datum nan = {.d = NAN}, inf = {.d = INFINITY};
    cr_assert(eq(int, sl__sq_cmp(&t, &nan, &inf), 1));
    cr_assert(eq(int, sl__sq_cmp(&t, &inf, &nan), -1));
    cr_assert(eq(int, sl__sq_cmp(&t, &nan, &nan), 0));
    sl__sq_dbuf_free(&db);
    sl_buf_free(&out);
    sl_buf_free(&scratch);
    sl__sq_rg_free(&g);
}

/* Small packed widths pack densely: 64 Ki dates of one year take about 9 bits each. */
Test(sqlite_chunk, packing_is_dense)
{
    sl_type t = ty(SL_DATE, 0, 0);
    size_t n = 65536;
    sq_rgbuf g;
    cr_assert(eq(int, sl__sq_rg_init(&g, &t, 1, n), SL_OK));
    for (size_t i = 0; i < n; i++) {
        sl_datum v = {.i = 19000 + (int64_t)(rnd() % 365)};
        uint8_t nl = 0;
        sl__sq_rg_put_row(&g, &v, &nl);
    }
    sl_buf out = SL_BUF_INIT, scratch = SL_BUF_INIT;
    sq_stats st;
    cr_assert(eq(int, sl__sq_chunk_encode(&g.cols[0], n, true, &out, &scratch, &st), SL_OK));
    cr_assert(le(sz, out.len, n * 9 / 8 + 64));
    sl_buf_free(&out);
    sl_buf_free(&scratch);
    sl__sq_rg_free(&g);
}

Test(sqlite_chunk, damaged_chunks_are_errors)
{
    sl_type types[] = {ty(SL_BIGINT, 0, 0), ty(SL_STRING, 0, 0), ty(SL_STRING, 0, 0)};
    for (size_t k = 0; k < SL_COUNT(types); k++) {
        sq_rgbuf g;
        cr_assert(eq(int, sl__sq_rg_init(&g, &types[k], 1, 600), SL_OK));
        char text[600][64];
        for (size_t i = 0; i < 600; i++) {
            sl_datum v;
            value(&types[k], k == 2 ? 2 : 0, i, &v, text[i]);
            uint8_t nl = i % 7 == 0;
            sl__sq_rg_put_row(&g, &v, &nl);
        }
        sl_buf out = SL_BUF_INIT, scratch = SL_BUF_INIT;
        sq_stats st;
        cr_assert(eq(int, sl__sq_chunk_encode(&g.cols[0], 600, true, &out, &scratch, &st), SL_OK));
        uint8_t *copy = sl_malloc(out.len + 16);
        sl_datum got[600];
        uint8_t gn[600];
        for (size_t cut = 0; cut < out.len; cut += 1 + out.len / 50) {
            memset(copy, 0, out.len + 16);
            memcpy(copy, out.p, cut); /* truncated */
            sq_dbuf db = {SL_BUF_INIT, SL_BUF_INIT};
            sl_err err = {0};
            cr_assert(ne(int, sl__sq_chunk_decode(copy, cut, &types[k], 600, got, gn, &db,
                                                   &err), SL_OK), "cut at %zu of %zu", cut,
                      out.len);
            sl__sq_dbuf_free(&db);
        }
        /* a wrong row count in the header */
        memcpy(copy, out.p, out.len);
        sq_dbuf db = {SL_BUF_INIT, SL_BUF_INIT};
        sl_err err = {0};
        cr_assert(ne(int, sl__sq_chunk_decode(copy, out.len, &types[k], 599, got, gn, &db, &err),
                      SL_OK));
        sl__sq_dbuf_free(&db);
        sl_free(copy);
        sl_buf_free(&out);
        sl_buf_free(&scratch);
        sl__sq_rg_free(&g);
    }
}

/* Each text encoding is chosen where it should be: few distinct values -> a dictionary, many
 * compressible ones -> the plain form's bytes in LZ4 when the table asks for compression (plain
 * when not), many random ones -> plain (a large chunk decided by a sample). */
static uint8_t text_encoding(int family, size_t n, bool lz4)
{
    sl_type t = ty(SL_STRING, 0, 0);
    sq_rgbuf g;
    cr_assert(eq(int, sl__sq_rg_init(&g, &t, 1, n), SL_OK));
    char text[64];
    for (size_t i = 0; i < n; i++) {
        sl_datum v;
        uint8_t nl = 0;
        if (family == 9) {
            for (int k = 0; k < 24; k++)
                text[k] = (char)(33 + rnd() % 90);
            v.s.p = text, v.s.n = 24;
        } else {
            value(&t, family, i, &v, text);
        }
        sl__sq_rg_put_row(&g, &v, &nl);
    }
    sl_buf out = SL_BUF_INIT, scratch = SL_BUF_INIT;
    sq_stats st;
    cr_assert(eq(int, sl__sq_chunk_encode(&g.cols[0], n, lz4, &out, &scratch, &st), SL_OK));
    uint8_t enc = (uint8_t)out.p[0];
    sl_buf_free(&out);
    sl_buf_free(&scratch);
    sl__sq_rg_free(&g);
    return enc;
}

Test(sqlite_chunk, text_encodings_chosen)
{
    cr_assert(eq(u8, text_encoding(0, 5000, true), SQ_E_DICT));
    cr_assert(eq(u8, text_encoding(0, 5000, false), SQ_E_DICT));
    cr_assert(eq(u8, text_encoding(2, 100, true), SQ_E_PLZ4));   /* 4 KiB: compressed whole */
    cr_assert(eq(u8, text_encoding(2, 5000, true), SQ_E_PLZ4));  /* 220 KiB: sampled first */
    cr_assert(eq(u8, text_encoding(2, 5000, false), SQ_E_PLAIN));
    cr_assert(eq(u8, text_encoding(9, 100, true), SQ_E_PLAIN));
    cr_assert(eq(u8, text_encoding(9, 5000, true), SQ_E_PLAIN));
}

/* The table property "compression" (Doris's) turns LZ4 of plain text on: any codec name but
 * no_compression, in any case; without the property the segments use the lightweight
 * encodings only. */
Test(sqlite_chunk, compression_property_picks_lz4)
{
    static const struct {
        const char *value; /* NULL: no property */
        bool lz4;
    } cases[] = {{NULL, true}, {"lz4", true}, {"LZ4F", true}, {"zstd", true},
                 {"no_compression", false}, {"NO_COMPRESSION", false}};
    for (size_t i = 0; i < SL_COUNT(cases); i++) {
        sl_property props[2] = {{sl_slice_of("replication_num"), sl_slice_of("1")}};
        sl_tabledef def = {0};
        def.props = props, def.n_props = 1;
        if (cases[i].value) {
            props[1] = (sl_property){sl_slice_of("compression"), sl_slice_of(cases[i].value)};
            def.n_props = 2;
        }
        cr_assert(eq(int, sl__sq_lz4_text(&def), cases[i].lz4), "%s",
                  cases[i].value ? cases[i].value : "(none)");
    }
}

/* Encode cb's rows; the chunk bytes (with 16 zero bytes of slack) and the stats. */
static void encode(const sq_colbuf *cb, size_t n, sl_buf *out, sq_stats *st)
{
    sl_buf scratch = SL_BUF_INIT;
    cr_assert(eq(int, sl__sq_chunk_encode(cb, n, true, out, &scratch, st), SL_OK));
    sl_buf_free(&scratch);
}

/* A load appends batches column by column (put_batch: the bounds kept while copying, short
 * text moved without a call); compaction and migration append rows (put_row). Both build the
 * same chunk, byte for byte, with the same stats: for every class, in slices that start and
 * end anywhere, with and without NULLs, text of every length from 0 to 40 bytes (the short
 * copies' sizes and their edges), negative numbers and a NULL at the extremes. */
Test(sqlite_chunk, batch_path_encodes_as_the_row_path)
{
    const sl_type types[] = {ty(SL_BIGINT, 0, 0), ty(SL_DECIMAL, 15, 2), ty(SL_DATE, 0, 0),
                             ty(SL_VARCHAR, 0, 0), ty(SL_DOUBLE, 0, 0), ty(SL_LARGEINT, 0, 0)};
    const size_t n = 3000;
    for (size_t k = 0; k < SL_COUNT(types); k++)
        for (int nulls = 0; nulls < 2; nulls++) {
            sl_type t = types[k];
            sl_coldef cd = {0};
            cd.type = t;
            sl_datum *v = sl_calloc(n * sizeof *v);
            uint8_t *nl = sl_calloc(n);
            char *text = sl_calloc(n * 48);
            for (size_t i = 0; i < n; i++) {
                nl[i] = nulls && (i % 7 == 3 || i == 0 || i == n - 1);
                int64_t x = (int64_t)(rnd() % 2000001) - 1000000;
                if (t.id == SL_DECIMAL || t.id == SL_LARGEINT)
                    v[i].w = x;
                else if (t.id == SL_DOUBLE)
                    v[i].d = (double)x / 4;
                else if (t.id == SL_VARCHAR) {
                    size_t len = (i * 7 + rnd() % 3) % 41;
                    for (size_t j = 0; j < len; j++)
                        text[i * 48 + j] = (char)('a' + (i + j * 3) % 26);
                    v[i].s.p = text + i * 48, v[i].s.n = len;
                } else
                    v[i].i = x;
            }
            if (!nulls && t.id != SL_VARCHAR && t.id != SL_DOUBLE) { /* extremes at the ends */
                if (t.id == SL_DECIMAL || t.id == SL_LARGEINT)
                    v[0].w = -999999999999999, v[n - 1].w = 999999999999999;
                else
                    v[0].i = INT64_MIN, v[n - 1].i = INT64_MAX;
            }
            sl_column col = {&cd, v, nl};
            sl_batch b = {0};
            b.cols = &col, b.n_cols = 1, b.n_rows = n;
            sq_rgbuf ga, gb;
            cr_assert(eq(int, sl__sq_rg_init(&ga, &t, 1, n), SL_OK));
            cr_assert(eq(int, sl__sq_rg_init(&gb, &t, 1, n), SL_OK));
            for (size_t from = 0; from < n;) { /* slices of 1 to 700 rows */
                size_t m = 1 + rnd() % 700;
                m = m > n - from ? n - from : m;
                cr_assert(eq(int, sl__sq_rg_put_batch(&ga, &b, from, m, NULL), SL_OK));
                from += m;
            }
            for (size_t i = 0; i < n; i++)
                cr_assert(eq(int, sl__sq_rg_put_row(&gb, &v[i], &nl[i]), SL_OK));
            cr_assert(eq(sz, ga.n_rows, n));
            sl_buf ea = SL_BUF_INIT, eb = SL_BUF_INIT;
            sq_stats sa, sb;
            encode(&ga.cols[0], n, &ea, &sa);
            encode(&gb.cols[0], n, &eb, &sb);
            cr_assert(eq(sz, ea.len, eb.len), "type %d nulls %d", t.id, nulls);
            cr_assert(memcmp(ea.p, eb.p, ea.len) == 0, "type %d nulls %d", t.id, nulls);
            cr_assert(eq(u32, sa.n_null, sb.n_null));
            cr_assert(eq(int, sa.has_minmax, sb.has_minmax));
            sl_datum lo = {0}, hi = {0};
            bool any = false;
            for (size_t i = 0; i < n; i++) {
                if (nl[i])
                    continue;
                if (!any || sl__sq_cmp(&t, &v[i], &lo) < 0)
                    lo = v[i];
                if (!any || sl__sq_cmp(&t, &v[i], &hi) > 0)
                    hi = v[i];
                any = true;
            }
            cr_assert(sa.has_minmax);
            cr_assert(eq(int, sl__sq_cmp(&t, &sa.lo, &lo), 0), "lo of type %d", t.id);
            cr_assert(eq(int, sl__sq_cmp(&t, &sa.hi, &hi), 0), "hi of type %d", t.id);
            sl_datum *got = sl_calloc((n + 1) * sizeof *got);
            uint8_t *gnull = sl_calloc(n + 1);
            sq_dbuf db = {SL_BUF_INIT, SL_BUF_INIT};
            sl_err err = {0};
            cr_assert(sl_buf_reserve(&ea, 16));
            memset(ea.p + ea.len, 0, 16);
            cr_assert(eq(int, sl__sq_chunk_decode((const uint8_t *)ea.p, ea.len, &t, n, got,
                                                  gnull, &db, &err), SL_OK), "%s", err.msg);
            for (size_t i = 0; i < n; i++) {
                cr_assert(eq(int, gnull[i], nl[i]));
                if (!nl[i])
                    cr_assert(same(&t, &got[i], &v[i]), "type %d row %zu", t.id, i);
            }
            sl__sq_dbuf_free(&db);
            sl_free(got), sl_free(gnull);
            sl_buf_free(&ea), sl_buf_free(&eb);
            sl__sq_rg_free(&ga), sl__sq_rg_free(&gb);
            sl_free(v), sl_free(nl), sl_free(text);
        }
}

/* Dictionary keys: values that share their first and last 8 bytes (or their length) but
 * differ in between, or differ only in the last byte, stay distinct entries; equal values
 * get one code. */
Test(sqlite_chunk, dictionary_tells_close_values_apart)
{
    static const char *const vals[] = {
        "", "a", "ab", "abcdefgh", "abcdefgi", "abcdefghX", "abcdefghY",
        "0123456789abcdef", "0123456789abcdeg", "01234567_89abcdef", "01234567-89abcdef",
        "same-start...........same-end", "same-start,,,,,,,,,,,same-end",
        "same-start...........same-end!", "abcdefgh\tZ"};
    sl_type t = ty(SL_VARCHAR, 0, 0);
    const size_t n = 2000;
    sq_rgbuf g;
    cr_assert(eq(int, sl__sq_rg_init(&g, &t, 1, n), SL_OK));
    sl_datum *v = sl_calloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        const char *s = vals[rnd() % SL_COUNT(vals)];
        uint8_t nl = 0;
        v[i].s.p = s, v[i].s.n = strlen(s);
        cr_assert(eq(int, sl__sq_rg_put_row(&g, &v[i], &nl), SL_OK));
    }
    sl_buf out = SL_BUF_INIT;
    sq_stats st;
    encode(&g.cols[0], n, &out, &st);
    cr_assert(eq(u8, (uint8_t)out.p[0], SQ_E_DICT));
    uint32_t nd;
    memcpy(&nd, out.p + HDR, 4);
    cr_assert(eq(u32, nd, (uint32_t)SL_COUNT(vals)));
    cr_assert(sl_buf_reserve(&out, 16));
    memset(out.p + out.len, 0, 16);
    sl_datum *got = sl_calloc((n + 1) * sizeof *got);
    uint8_t *gnull = sl_calloc(n + 1);
    sq_dbuf db = {SL_BUF_INIT, SL_BUF_INIT};
    sl_err err = {0};
    cr_assert(eq(int, sl__sq_chunk_decode((const uint8_t *)out.p, out.len, &t, n, got, gnull,
                                          &db, &err), SL_OK));
    for (size_t i = 0; i < n; i++)
        cr_assert(eq(int, sl__sq_cmp(&t, &got[i], &v[i]), 0), "row %zu", i);
    sl__sq_dbuf_free(&db);
    sl_free(got), sl_free(gnull), sl_free(v);
    sl_buf_free(&out);
    sl__sq_rg_free(&g);
}

/* ---- segment files ---- */

Test(sqlite_chunk, segment_file_roundtrip_and_copy)
{
    char dir[] = "/tmp/sl-chunk-XXXXXX", path[256], path2[256];
    cr_assert(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/a.db", dir);
    snprintf(path2, sizeof path2, "%s/b.db", dir);
    sl_type types[3] = {ty(SL_BIGINT, 0, 0), ty(SL_DECIMAL, 15, 2), ty(SL_VARCHAR, 0, 0)};
    sq_segw w;
    sl_err err = {0};
    cr_assert(eq(int, sl__sq_segw_create(&w, path, 3, &err), SL_OK), "%s", err.msg);
    w.lz4_text = true; /* a table with "compression": its chunks are copied as they are */
    sq_rgbuf g;
    cr_assert(eq(int, sl__sq_rg_init(&g, types, 3, 1000), SL_OK));
    const size_t groups[] = {1000, 1, 777};
    int64_t row = 0;
    for (size_t k = 0; k < SL_COUNT(groups); k++) {
        for (size_t i = 0; i < groups[k]; i++, row++) {
            char text[32];
            sl_datum v[3] = {{.i = row * 3}, {.w = -row}, {0}};
            v[2].s.p = text, v[2].s.n = (size_t)sprintf(text, "v%lld", (long long)(row % 10));
            uint8_t nl[3] = {0, row % 5 == 0, 0};
            cr_assert(eq(int, sl__sq_rg_put_row(&g, v, nl), SL_OK));
        }
        cr_assert(eq(int, sl__sq_segw_put(&w, &g, &err), SL_OK), "%s", err.msg);
        sl__sq_rg_reset(&g);
    }
    cr_assert(eq(int, sl__sq_segw_seal(&w, &err), SL_OK), "%s", err.msg);
    cr_assert(eq(u64, w.rows, 1778));
    /* copy every row group into a second file */
    sq_segr r;
    cr_assert(eq(int, sl__sq_segr_open(&r, path, types, 3, &err), SL_OK), "%s", err.msg);
    cr_assert(eq(sz, r.n_rg, 3));
    cr_assert(eq(int, sl__sq_segw_create(&w, path2, 3, &err), SL_OK));
    sl_buf tmp = SL_BUF_INIT;
    for (size_t k = 0; k < r.n_rg; k++)
        cr_assert(eq(int, sl__sq_segw_copy_rg(&w, &r, k, types, &tmp, &err), SL_OK), "%s",
                  err.msg);
    cr_assert(eq(int, sl__sq_segw_seal(&w, &err), SL_OK));
    sl__sq_segr_close(&r);
    sl_buf_free(&tmp);
    const char *files[] = {path, path2};
    for (size_t f = 0; f < 2; f++) {
        cr_assert(eq(int, sl__sq_segr_open(&r, files[f], types, 3, &err), SL_OK), "%s", err.msg);
        cr_assert(eq(u64, r.rows, 1778));
        cr_assert(eq(u64, r.rg_first[2], 1001));
        /* stats came through the file */
        cr_assert(eq(i64, r.st[0 * 3 + 0].lo.i, 0));
        cr_assert(eq(i64, r.st[0 * 3 + 0].hi.i, 999 * 3));
        cr_assert(eq(int, (int)r.st[2 * 3 + 1].hi.w, -1001));
        cr_assert(eq(u32, r.st[0 * 3 + 1].n_null, 200));
        cr_assert(r.st[0 * 3 + 2].has_minmax);
        cr_assert(eq(int, memcmp(r.st[0 * 3 + 2].lo.s.p, "v0", 2), 0));
        sq_colvec cv[3] = {{0}};
        row = 0;
        for (size_t k = 0; k < r.n_rg; k++) {
            for (size_t c = 0; c < 3; c++)
                cr_assert(eq(int, sl__sq_segr_column(&r, k, c, &types[c], &cv[c], &err), SL_OK),
                          "%s", err.msg);
            for (size_t i = 0; i < r.rg_rows[k]; i++, row++) {
                char text[32];
                size_t n = (size_t)sprintf(text, "v%lld", (long long)(row % 10));
                cr_assert(eq(i64, cv[0].v[i].i, row * 3));
                cr_assert(eq(int, cv[1].null[i], row % 5 == 0));
                if (row % 5)
                    cr_assert(eq(i64, (int64_t)cv[1].v[i].w, -row));
                cr_assert(eq(sz, cv[2].v[i].s.n, n));
                cr_assert(eq(int, memcmp(cv[2].v[i].s.p, text, n), 0));
            }
        }
        for (size_t c = 0; c < 3; c++)
            sl__sq_colvec_free(&cv[c]);
        sl__sq_segr_close(&r);
    }
    /* a reader of another table definition refuses the file */
    cr_assert(ne(int, sl__sq_segr_open(&r, path, types, 4, &err), SL_OK));
    cr_assert(strstr(err.msg, "a.db") != NULL, "%s", err.msg);
    sl__sq_rg_free(&g);
    unlink(path), unlink(path2), rmdir(dir);
}
