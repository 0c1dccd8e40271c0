/*
 * test_arrow.c - unit tests of the Arrow IPC stream decoder (src/decode/arrow*.c).
 *
 * Integration streams from apache/arrow-testing (tests/data/corpus/arrow, Apache-2.0) decoded
 * whole, byte by byte and in random splits (the stream is decoded as it arrives: a batch is
 * emitted when its body is complete); every truncation (a cut at a message boundary is a valid
 * shorter stream) and single-byte corruption; a message claiming 2 GB of metadata.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include "columnar_harness.h"

#include "../../../src/core/tz.h"

extern const sl_decoder_vtab sl_decoder_arrow;
#define DIR "tests/data/corpus/arrow/"

static char *file_rows(const char *name)
{
    size_t n;
    void *body = load_file(name, &n);
    char *r = same_in_every_split(&sl_decoder_arrow, body, n);
    sl_free(body);
    return r;
}

Test(arrow, nested_and_dictionaries)
{
    char *r = file_rows(DIR "generated_nested.stream");
    cr_assert(strncmp(r, "L1 list_nullable=[null,2147483647];", 35) == 0, "%s", r);
    sl_free(r);
    r = file_rows(DIR "generated_dictionary.stream");
    cr_assert(strncmp(r, "L1 dict0=", 9) == 0, "%s", r);
    sl_free(r);
    r = file_rows(DIR "generated_nested_dictionary.stream");
    cr_assert(strstr(r, "struct_dict={\"str_dict_a\":null,\"str_dict_b\":\"el3gw6b\"};") != NULL,
              "%s", r);
    sl_free(r);
}

Test(arrow, streams_in_every_split, .timeout = 60)
{
    static const char *const files[] = {"generated_lz4.stream", "generated_zstd.stream",
                                        "generated_null.stream", "generated_datetime.stream",
                                        "generated_custom_metadata.stream",
                                        "generated_recursive_nested.stream",
                                        "generated_primitive_no_batches.stream"};
    for (size_t i = 0; i < SL_COUNT(files); i++) {
        char path[256];
        snprintf(path, sizeof path, DIR "%s", files[i]);
        char *r = file_rows(path);
        cr_assert(strncmp(r, "FAIL", 4) != 0, "%s: %s", files[i], r);
        sl_free(r);
    }
    char *lz4 = file_rows(DIR "generated_lz4.stream");
    char *zstd = file_rows(DIR "generated_zstd.stream");
    cr_assert(eq(str, lz4, zstd)); /* the same batches, compressed two ways */
    sl_free(lz4);
    sl_free(zstd);
    char *d = file_rows(DIR "generated_datetime.stream");
    cr_assert(strncmp(d, "L1 f0=0001-01-01;f1=\\N;f2=\\N;f3=00:00:00;", 41) == 0, "%s", d);
    sl_free(d);
}

Test(arrow, every_truncation_and_byte_flip, .timeout = 120)
{
    size_t n;
    void *body = load_file(DIR "generated_nested.stream", &n);
    truncations_and_flips(&sl_decoder_arrow, body, n, true);
    sl_free(body);
    body = load_file(DIR "generated_lz4.stream", &n);
    truncations_and_flips(&sl_decoder_arrow, body, n, true);
    sl_free(body);
}

Test(arrow, limits_and_empty)
{
    const uint8_t big[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
    char *r = decode(&sl_decoder_arrow, big, sizeof big, WHOLE);
    cr_assert(strstr(r, "FAIL arrow message metadata of 2147483647 bytes exceeds") == r, "%s", r);
    sl_free(r);
    r = decode(&sl_decoder_arrow, "", 0, WHOLE);
    cr_assert(eq(str, r, "FAIL arrow stream is empty: no schema message"));
    sl_free(r);
    const uint8_t eos[] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
    r = decode(&sl_decoder_arrow, eos, sizeof eos, WHOLE);
    cr_assert(eq(str, r, "")); /* end of stream straight away: no rows */
    sl_free(r);
}

/* fuzz_arrow found it: a record batch of a NULL-typed column claiming 2^40-odd rows in a few
 * bytes, which decoded forever. */
Test(arrow, test_arrow_crash_4a55ce90)
{
    size_t n;
    void *body = load_file(DIR "crash-4a55ce90.stream", &n);
    char *r = decode(&sl_decoder_arrow, body, n, WHOLE);
    cr_assert(strstr(r, "FAIL arrow record batch claims ") == r, "%s", r);
    sl_free(r);
    sl_free(body);
}

/* Timestamps with a zone are UTC instants: shown in the load's zone (here +08:00). */
Test(arrow, utc_timestamps_in_the_load_zone)
{
    size_t n;
    void *body = load_file(DIR "generated_datetime.stream", &n);
    sl_decode_opts o;
    opts(&o);
    sl_tz *z = sl_tz_fixed(8 * 3600);
    o.tz = z;
    char *r = decode_with(&sl_decoder_arrow, &o, body, n, WHOLE, 1);
    cr_assert(strstr(r, "f10=0001-01-01 00:00:00;f11=0001-01-01 08:00:00;") != NULL, "%s", r);
    sl_free(r);
    sl_tz_free(z);
    sl_free(body);
}
