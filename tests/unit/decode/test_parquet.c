/*
 * test_parquet.c - unit tests of the Parquet decoder (src/decode/parquet*.c).
 *
 * Real files from apache/parquet-testing (tests/data/corpus/parquet, Apache-2.0) decoded whole,
 * byte by byte and in random splits; every truncation and every single-byte corruption of a
 * small file; the RLE/bit-packed and DELTA_BINARY_PACKED readers on hand-made bytes; a file
 * built here whose page claims 2 GB (refused before anything is allocated).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include "columnar_harness.h"

#include "../../../src/decode/parquet_page.c"

extern const sl_decoder_vtab sl_decoder_parquet;
#define DIR "tests/data/corpus/parquet/"

static char *file_rows(const char *name)
{
    size_t n;
    void *body = load_file(name, &n);
    char *r = same_in_every_split(&sl_decoder_parquet, body, n);
    sl_free(body);
    return r;
}

Test(parquet, alltypes_plain_every_split)
{
    char *r = file_rows(DIR "alltypes_plain.parquet");
    const char *first = "L1 id=4;bool_col=1;tinyint_col=0;smallint_col=0;int_col=0;bigint_col=0;"
                        "float_col=0;double_col=0;date_string_col=03/01/09;string_col=0;"
                        "timestamp_col=2009-03-01 00:00:00;\n";
    cr_assert(strncmp(r, first, strlen(first)) == 0, "%s", r);
    cr_assert(strstr(r, "L8 id=1;bool_col=0;tinyint_col=1;smallint_col=1;int_col=1;bigint_col=10;"
                        "float_col=1.1;double_col=10.1;") != NULL, "%s", r);
    sl_free(r);
}

Test(parquet, nested_lists_and_maps_as_json)
{
    char *r = file_rows(DIR "nested_lists.snappy.parquet");
    cr_assert(strstr(r, "L1 a=[[[\"a\",\"b\"],[\"c\"]],[null,[\"d\"]]];b=1;\n"
                        "L2 a=[[[\"a\",\"b\"],[\"c\",\"d\"]],[null,[\"e\"]]];b=1;") == r,
              "%s", r);
    sl_free(r);
    r = file_rows(DIR "nested_maps.snappy.parquet");
    cr_assert(strstr(r, "L1 a={\"a\":{\"1\":true,\"2\":false}};b=1;c=1;") != NULL, "%s", r);
    sl_free(r);
}

Test(parquet, encodings_and_codecs_in_every_split, .timeout = 60)
{
    static const char *const files[] = {
        "datapage_v2.snappy.parquet", "delta_length_byte_array.parquet",
        "rle_boolean_encoding.parquet", "byte_array_decimal.parquet", "nulls.snappy.parquet",
        "int32_decimal.parquet", "delta_byte_array.parquet", "byte_stream_split.zstd.parquet",
        "lz4_raw_compressed.parquet", "hadoop_lz4_compressed.parquet",
        "fixed_length_decimal.parquet", "int96_from_spark.parquet", "list_columns.parquet"};
    for (size_t i = 0; i < SL_COUNT(files); i++) {
        char path[256];
        snprintf(path, sizeof path, DIR "%s", files[i]);
        char *r = file_rows(path);
        cr_assert(strncmp(r, "FAIL", 4) != 0 && r[0] == 'L', "%s: %s", files[i], r);
        sl_free(r);
    }
    char *r = file_rows(DIR "byte_array_decimal.parquet");
    cr_assert(strncmp(r, "L1 value=1.00;\nL2 value=2.00;", 29) == 0, "%s", r);
    sl_free(r);
    r = file_rows(DIR "lz4_raw_compressed.parquet");
    char *h = file_rows(DIR "hadoop_lz4_compressed.parquet");
    cr_assert(eq(str, h, r));
    sl_free(r);
    sl_free(h);
}

Test(parquet, every_truncation_and_byte_flip, .timeout = 120)
{
    size_t n;
    void *body = load_file(DIR "alltypes_plain.parquet", &n);
    truncations_and_flips(&sl_decoder_parquet, body, n, false);
    sl_free(body);
    body = load_file(DIR "nested_lists.snappy.parquet", &n);
    truncations_and_flips(&sl_decoder_parquet, body, n, false);
    sl_free(body);
}

Test(parquet, rle_bitpacked_hybrid)
{
    /* width 3: RLE run of 4 x 5 (header 4<<1), then one bit-packed group of 8 values 0..7
     * (header 1<<1|1), LSB first: 0,1,2,3,4,5,6,7 packed in 3 bytes */
    const uint8_t b[] = {0x08, 0x05, 0x03, 0x88, 0xc6, 0xfa};
    pq_rle r;
    uint32_t v[12];
    rle_init(&r, b, b + sizeof b, 3, false);
    cr_assert(rle_get(&r, 12, v));
    const uint32_t want[12] = {5, 5, 5, 5, 0, 1, 2, 3, 4, 5, 6, 7};
    for (int i = 0; i < 12; i++)
        cr_assert(eq(u32, v[i], want[i]));
    cr_assert(rle_get(&r, 1, v) == false); /* no more runs */
}

Test(parquet, delta_binary_packed)
{
    /* block 128, 4 miniblocks, 5 values, first 1; min delta 1, widths 0: 1,2,3,4,5 */
    const uint8_t b[] = {0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0, 0, 0};
    pq_delta d;
    int64_t v;
    cr_assert(delta_init(&d, b, b + sizeof b));
    for (int64_t want = 1; want <= 5; want++) {
        cr_assert(delta_next(&d, &v));
        cr_assert(eq(i64, v, want));
    }
    cr_assert(delta_next(&d, &v) == false);
    cr_assert(delta_end(&d) == b + sizeof b);
    const uint8_t bad[] = {0x81, 0x01, 0x04, 0x05, 0x02}; /* block size not a multiple of 128 */
    cr_assert(delta_init(&d, bad, bad + sizeof bad) == false);
}

/* ---- a file built here --------------------------------------------------------------------- */

typedef struct tw {
    uint8_t b[512];
    size_t n;
    int16_t last[8];
    int depth;
} tw;

static void put(tw *w, uint8_t c)
{
    w->b[w->n++] = c;
}
static void varint(tw *w, uint64_t v)
{
    for (; v >= 0x80; v >>= 7)
        put(w, (uint8_t)(v | 0x80));
    put(w, (uint8_t)v);
}
static void field(tw *w, int id, int type)
{
    put(w, (uint8_t)((id - w->last[w->depth]) << 4 | type));
    w->last[w->depth] = (int16_t)id;
}
static void i64f(tw *w, int id, int type, int64_t v)
{
    field(w, id, type);
    varint(w, (uint64_t)((v << 1) ^ (v >> 63)));
}
static void strf(tw *w, int id, const char *s)
{
    field(w, id, 8);
    varint(w, strlen(s));
    for (; *s; s++)
        put(w, (uint8_t)*s);
}
static void open_s(tw *w, int id)
{
    if (id)
        field(w, id, 12);
    w->last[++w->depth] = 0;
}
static void close_s(tw *w)
{
    put(w, 0);
    w->depth--;
}
static void list(tw *w, int id, int n, int type)
{
    field(w, id, 9);
    put(w, (uint8_t)(n << 4 | type));
}

/* "PAR1", one INT32 page of one value (42) whose header states `claim` bytes, the footer. */
static size_t build(uint8_t *out, int64_t claim)
{
    tw w = {0};
    memcpy(w.b, "PAR1", 4);
    w.n = 4;
    open_s(&w, 0); /* PageHeader */
    i64f(&w, 1, 5, 0);
    i64f(&w, 2, claim > INT32_MAX ? 6 : 5, claim);
    i64f(&w, 3, claim > INT32_MAX ? 6 : 5, claim);
    open_s(&w, 5);
    i64f(&w, 1, 5, 1);
    i64f(&w, 2, 5, 0);
    i64f(&w, 3, 5, 3);
    i64f(&w, 4, 5, 3);
    close_s(&w);
    close_s(&w);
    put(&w, 42), put(&w, 0), put(&w, 0), put(&w, 0);
    size_t foot = w.n;
    open_s(&w, 0); /* FileMetaData */
    i64f(&w, 1, 5, 1);
    list(&w, 2, 2, 12);
    open_s(&w, 0), strf(&w, 4, "schema"), i64f(&w, 5, 5, 1), close_s(&w);
    open_s(&w, 0), i64f(&w, 1, 5, 1), i64f(&w, 3, 5, 0), strf(&w, 4, "a"), close_s(&w);
    i64f(&w, 3, 6, 1);
    list(&w, 4, 1, 12);
    open_s(&w, 0); /* RowGroup */
    list(&w, 1, 1, 12);
    open_s(&w, 0); /* ColumnChunk */
    i64f(&w, 2, 6, 4);
    open_s(&w, 3); /* ColumnMetaData */
    i64f(&w, 1, 5, 1);
    list(&w, 2, 1, 5), varint(&w, 0);
    list(&w, 3, 1, 8), varint(&w, 1), put(&w, 'a');
    i64f(&w, 4, 5, 0);
    i64f(&w, 5, 6, 1);
    i64f(&w, 6, 6, (int64_t)foot - 4);
    i64f(&w, 7, 6, (int64_t)foot - 4);
    i64f(&w, 9, 6, 4);
    close_s(&w);
    close_s(&w);
    i64f(&w, 2, 6, (int64_t)foot - 4);
    i64f(&w, 3, 6, 1);
    close_s(&w);
    close_s(&w);
    uint32_t len = (uint32_t)(w.n - foot);
    memcpy(w.b + w.n, &len, 4);
    memcpy(w.b + w.n + 4, "PAR1", 4);
    w.n += 8;
    memcpy(out, w.b, w.n);
    return w.n;
}

Test(parquet, built_file_and_huge_page_claims)
{
    uint8_t f[512];
    size_t n = build(f, 4);
    char *r = same_in_every_split(&sl_decoder_parquet, f, n);
    cr_assert(eq(str, r, "L1 a=42;\n"));
    sl_free(r);
    n = build(f, INT32_MAX); /* 2 GB: over the page limit, refused before allocating */
    r = decode(&sl_decoder_parquet, f, n, WHOLE);
    cr_assert(strstr(r, "exceeds the 268435456-byte limit") != NULL, "%s", r);
    sl_free(r);
    n = build(f, (int64_t)4 << 30); /* 4 GB: no page can be that large */
    r = decode(&sl_decoder_parquet, f, n, WHOLE);
    cr_assert(strstr(r, "claims a page of 4294967296 bytes") != NULL, "%s", r);
    sl_free(r);
}

Test(parquet, spool_limit_and_missing_spool_dir)
{
    size_t n;
    void *body = load_file(DIR "alltypes_plain.parquet", &n);
    sl_decode_opts o;
    opts(&o);
    o.max_spool_bytes = 1000;
    char *r = decode_with(&sl_decoder_parquet, &o, body, n, WHOLE, 1);
    cr_assert(strstr(r, "FAIL parquet body exceeds 1000 bytes") == r, "%s", r);
    sl_free(r);
    o.spool_dir = NULL;
    r = decode_with(&sl_decoder_parquet, &o, body, n, WHOLE, 1);
    cr_assert(strstr(r, "needs a spool directory") != NULL, "%s", r);
    sl_free(r);
    sl_free(body);
}

/* fuzz_parquet found it: a decimal column whose scale is 1.7 billion wrote zeros past the
 * value's text buffer. */
Test(parquet, test_parquet_crash_34fb9dac)
{
    size_t n;
    void *body = load_file(DIR "crash-34fb9dac.parquet", &n);
    char *r = decode(&sl_decoder_parquet, body, n, WHOLE);
    cr_assert(strstr(r, "decimal scale") != NULL && strstr(r, "out of range") != NULL, "%s", r);
    sl_free(r);
    sl_free(body);
}
