/*
 * test_colfmt.c - unit tests of the columnar value texts (src/decode/colfmt.c, codec.c).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include <math.h>
#include <string.h>

#include "../../../src/decode/columnar.h"

static char buf[128];
#define TEXT(call) (buf[(call)] = '\0', buf)

Test(colfmt, integers_and_decimals)
{
    cr_assert(eq(str, TEXT(sl__cfmt_i64(buf, INT64_MIN)), "-9223372036854775808"));
    cr_assert(eq(str, TEXT(sl__cfmt_u64(buf, UINT64_MAX)), "18446744073709551615"));
    cr_assert(eq(str, TEXT(sl__cfmt_dec128(buf, -5, 3)), "-0.005"));
    cr_assert(eq(str, TEXT(sl__cfmt_dec128(buf, 123456, 2)), "1234.56"));
    cr_assert(eq(str, TEXT(sl__cfmt_dec128(buf, 0, 2)), "0.00"));
    sl__i128 max = (((sl__i128)1 << 126) - 1) * 2 + 1;
    cr_assert(eq(str, TEXT(sl__cfmt_dec128(buf, max, 38)),
                 "1.70141183460469231731687303715884105727"));
    const uint8_t be[3] = {0xff, 0xff, 0x85}; /* -123 */
    cr_assert(eq(str, TEXT(sl__cfmt_dec_be(buf, be, 3, 1)), "-12.3"));
    uint8_t wide[32];
    memset(wide, 0, sizeof wide);
    wide[16] = 1; /* 2^120 */
    cr_assert(eq(str, TEXT(sl__cfmt_dec_be(buf, wide, 32, 0)),
                 "1329227995784915872903807060280344576"));
    memset(wide, 0xff, sizeof wide); /* -1 in 256 bits */
    cr_assert(eq(str, TEXT(sl__cfmt_dec_be(buf, wide, 32, 2)), "-0.01"));
}

Test(colfmt, dates_and_times)
{
    cr_assert(eq(str, TEXT(sl__cfmt_date(buf, 0)), "1970-01-01"));
    cr_assert(eq(str, TEXT(sl__cfmt_date(buf, -719162)), "0001-01-01"));
    cr_assert(eq(str, TEXT(sl__cfmt_date(buf, 2932896)), "9999-12-31"));
    cr_assert(eq(str, TEXT(sl__cfmt_datetime(buf, -1, 500000000)), "1969-12-31 23:59:59.500000"));
    cr_assert(eq(str, TEXT(sl__cfmt_datetime(buf, 0, 123)), "1970-01-01 00:00:00.000000123"));
    cr_assert(eq(str, TEXT(sl__cfmt_time(buf, 3723000000001LL)), "01:02:03.000000001"));
    int64_t s;
    uint32_t ns;
    sl__split_ts(-1, 1000, &s, &ns);
    cr_assert(eq(i64, s, -1));
    cr_assert(eq(u32, ns, 999000000));
}

Test(colfmt, floating_point_shortest)
{
    cr_assert(eq(str, TEXT(sl__cfmt_double(buf, 0.1)), "0.1"));
    cr_assert(eq(str, TEXT(sl__cfmt_double(buf, 1e300)), "1e+300"));
    cr_assert(eq(str, TEXT(sl__cfmt_double(buf, -0.0)), "-0"));
    cr_assert(eq(str, TEXT(sl__cfmt_float(buf, 1.1f)), "1.1"));
    cr_assert(eq(str, TEXT(sl__cfmt_float(buf, NAN)), "nan"));
    cr_assert(eq(str, TEXT(sl__cfmt_double(buf, -INFINITY)), "-inf"));
    cr_assert(eq(flt, sl__half_to_float(0x3c00), 1.0f));
    cr_assert(eq(flt, sl__half_to_float(0xc000), -2.0f));
}

Test(colfmt, codecs_refuse_corrupt_and_oversized)
{
    uint8_t out[16];
    size_t n;
    sl_err err = {0};
    const uint8_t junk[] = {0x01, 0x02, 0x03};
    cr_assert(eq(int, sl__codec_decompress(SL_CODEC_ZSTD, junk, 3, out, 16, true, &n, &err),
                 SL_INVALID));
    cr_assert(strstr(err.msg, "zstd decompression failed") == err.msg, "%s", err.msg);
    sl_err e2 = {0};
    const uint8_t raw[] = {0x40, 'a', 'b', 'c', 'd'}; /* lz4 literal run of 4 */
    cr_assert(eq(int, sl__codec_decompress(SL_CODEC_LZ4_RAW, raw, 5, out, 4, true, &n, &e2), SL_OK));
    cr_assert(eq(int, sl__codec_decompress(SL_CODEC_LZ4_RAW, raw, 5, out, 3, true, &n, &e2),
                 SL_INVALID));
}
