/*
 * test_orc.c - unit tests of the ORC decoder (src/decode/orc*.c).
 *
 * Real files from apache/orc examples (tests/data/corpus/orc, Apache-2.0) decoded whole, byte
 * by byte and in random splits; every truncation and single-byte corruption of a small file;
 * the RLE v2 sub-encodings on the examples of the ORC specification; a postscript that claims
 * a footer larger than the file.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include "columnar_harness.h"

#include "../../../src/decode/orc_rle.c"

extern const sl_decoder_vtab sl_decoder_orc;
#define DIR "tests/data/corpus/orc/"

static char *file_rows(const char *name)
{
    size_t n;
    void *body = load_file(name, &n);
    char *r = same_in_every_split(&sl_decoder_orc, body, n);
    sl_free(body);
    return r;
}

Test(orc, test1_types_and_nesting)
{
    char *r = file_rows(DIR "TestOrcFile.test1.orc");
    cr_assert(strstr(r, "L1 boolean1=0;byte1=1;short1=1024;int1=65536;long1=9223372036854775807;"
                        "float1=1;double1=-15;bytes1=\\x00\\x01\\x02\\x03\\x04;string1=hi;"
                        "middle={\"list\":[{\"int1\":1,\"string1\":\"bye\"},{\"int1\":2,"
                        "\"string1\":\"sigh\"}]};list=[{\"int1\":3,\"string1\":\"good\"},"
                        "{\"int1\":4,\"string1\":\"bad\"}];map={};\n") == r,
              "%s", r);
    cr_assert(strstr(r, "map={\"chani\":{\"int1\":5,\"string1\":\"chani\"},\"mauddib\":{\"int1\":1,"
                        "\"string1\":\"mauddib\"}};") != NULL,
              "%s", r);
    sl_free(r);
}

Test(orc, files_in_every_split, .timeout = 60)
{
    static const char *const files[] = {
        "TestOrcFile.testStringAndBinaryStatistics.orc", "TestOrcFile.testTimestamp.orc",
        "decimal64_v2.orc", "orc_no_format.orc", "complextypes_iceberg.orc",
        "TestOrcFile.emptyFile.orc", "bad_bloom_filter_1.6.11.orc", "version1999.orc",
        "TestOrcFile.testStripeLevelStats.orc"};
    for (size_t i = 0; i < SL_COUNT(files); i++) {
        char path[256];
        snprintf(path, sizeof path, DIR "%s", files[i]);
        char *r = file_rows(path);
        cr_assert(strncmp(r, "FAIL", 4) != 0, "%s: %s", files[i], r);
        sl_free(r);
    }
    char *r = file_rows(DIR "TestOrcFile.testTimestamp.orc");
    cr_assert(strncmp(r, "L1 _col0=2037-01-01 00:00:00.000999;\nL2 _col0=2003-01-01 "
                         "00:00:00.000000222;",
                      62) == 0,
              "%s", r);
    sl_free(r);
    r = file_rows(DIR "decimal64_v2.orc");
    cr_assert(strncmp(r, "L1 a=17292380420;b=39;c=36164.16;d=0.39;e=0.39;", 46) == 0, "%s", r);
    sl_free(r);
}

Test(orc, every_truncation_and_byte_flip, .timeout = 120)
{
    size_t n;
    void *body = load_file(DIR "TestOrcFile.test1.orc", &n);
    truncations_and_flips(&sl_decoder_orc, body, n, false);
    sl_free(body);
}

Test(orc, footer_claims_more_than_the_file)
{
    /* "ORC" + postscript {footerLength: 2^40, compression: NONE, magic "ORC"} + its length */
    const uint8_t f[] = {'O', 'R', 'C', 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x10, 0x00,
                         0xc2, 0x3e, 0x03, 'O', 'R', 'C', 15};
    char *r = decode(&sl_decoder_orc, f, sizeof f, WHOLE);
    cr_assert(eq(str, r, "FAIL Init OrcReader failed. reason = footer length exceeds the file"));
    sl_free(r);
}

/* Run RLE v2 over bytes (a stream through a spool file, no compression). */
static void rle2(const uint8_t *b, size_t n, bool is_signed, const int64_t *want, size_t nw)
{
    sl__spool sp;
    sl_err err = {0};
    cr_assert(eq(int, sl__spool_open(&sp, "/tmp", 1 << 20, "orc", &err), SL_OK));
    cr_assert(eq(int, sl__spool_write(&sp, b, n, &err), SL_OK));
    orc_stream s = {0};
    sl__orc_stream_init(&s, &sp, SL_CODEC_NONE, 262144, 0, n, &err);
    orc_irle r = {.s = &s, .v2 = true, .is_signed = is_signed};
    int64_t got[64];
    cr_assert(sl__orc_irle_get(&r, got, nw), "%s", err.msg);
    for (size_t i = 0; i < nw; i++)
        cr_assert(eq(i64, got[i], want[i]), "value %zu", i);
    cr_assert(sl__orc_irle_get(&r, got, 1) == false); /* the stream is consumed exactly */
    sl__orc_stream_free(&s);
    sl__spool_close(&sp);
}

Test(orc, rle_v2_specification_examples)
{
    const uint8_t sr[] = {0x0a, 0x27, 0x10};
    const int64_t sr_v[] = {10000, 10000, 10000, 10000, 10000};
    rle2(sr, sizeof sr, false, sr_v, 5);
    const uint8_t di[] = {0x5e, 0x03, 0x5c, 0xa1, 0xab, 0x1e, 0xde, 0xad, 0xbe, 0xef};
    const int64_t di_v[] = {23713, 43806, 57005, 48879};
    rle2(di, sizeof di, false, di_v, 4);
    const uint8_t de[] = {0xc6, 0x09, 0x02, 0x02, 0x22, 0x42, 0x42, 0x46};
    const int64_t de_v[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29};
    rle2(de, sizeof de, false, de_v, 10);
    const uint8_t pb[] = {0x8e, 0x13, 0x2b, 0x21, 0x07, 0xd0, 0x1e, 0x00, 0x14, 0x70, 0x28, 0x32,
                          0x3c, 0x46, 0x50, 0x5a, 0x64, 0x6e, 0x78, 0x82, 0x8c, 0x96, 0xa0, 0xaa,
                          0xb4, 0xbe, 0xfc, 0xe8};
    const int64_t pb_v[] = {2030, 2000, 2020, 1000000, 2040, 2050, 2060, 2070, 2080, 2090,
                            2100, 2110, 2120, 2130, 2140, 2150, 2160, 2170, 2180, 2190};
    rle2(pb, sizeof pb, true, pb_v, 20);
}
