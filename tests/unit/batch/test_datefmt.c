/*
 * test_datefmt.c - unit tests for src/batch/datefmt.c (compiled strptime-style formats and
 * tsload's DATE/DATETIME/BOOLEAN conversions). The .c is included to reach its statics.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/batch/datefmt.c"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdlib.h>

static const char *parse(const char *fmt, const char *v, sl_frac_mode fm, sl_dt *d)
{
    sl_datefmt f;
    sl_err e = {0};
    cr_assert(eq(int, sl_datefmt_compile(sl_slice_of(fmt), &f, &e), SL_OK), "%s", e.msg);
    return sl_datefmt_parse(&f, sl_slice_of(v), '.', fm, d);
}

Test(datefmt, default_formats)
{
    sl_dt d;
    cr_assert(eq(ptr, (void *)parse("%Y%m%d", "20240229", SL_FRAC_ERROR, &d), NULL));
    cr_assert(eq(i64, d.year, 2024));
    cr_assert(eq(u32, d.mon, 2));
    cr_assert(eq(u32, d.mday, 29));
    cr_assert(eq(ptr, (void *)parse("%Y%m%d %H:%M:%S", "19991231 23:59:58", SL_FRAC_ERROR, &d),
                 NULL));
    cr_assert(eq(u32, d.hour, 23));
    cr_assert(eq(u32, d.min, 59));
    cr_assert(eq(u32, d.sec, 58));
}

Test(datefmt, calendar_checks)
{
    sl_dt d;
    cr_assert(ne(ptr, (void *)parse("%Y%m%d", "20230229", SL_FRAC_ERROR, &d), NULL));
    cr_assert(ne(ptr, (void *)parse("%Y-%m-%d", "2023-13-01", SL_FRAC_ERROR, &d), NULL));
    cr_assert(ne(ptr, (void *)parse("%H:%M:%S", "24:00:00", SL_FRAC_ERROR, &d), NULL));
    cr_assert(ne(ptr, (void *)parse("%H:%M:%S", "10:60:00", SL_FRAC_ERROR, &d), NULL));
    cr_assert(ne(ptr, (void *)parse("%Y-%m-%d", "2023-01-01x", SL_FRAC_ERROR, &d), NULL));
    cr_assert(ne(ptr, (void *)parse("%Y-%m-%d", "2023-01", SL_FRAC_ERROR, &d), NULL));
    cr_assert(ne(ptr, (void *)parse("%Y-%m-%d", "", SL_FRAC_ERROR, &d), NULL));
}

Test(datefmt, names_ampm_composites)
{
    sl_dt d;
    cr_assert(eq(ptr, (void *)parse("%a, %d %b %Y %I:%M %p", "Mon, 05 mar 2024 12:30 am",
                                    SL_FRAC_ERROR, &d), NULL));
    cr_assert(eq(u32, d.mon, 3));
    cr_assert(eq(u32, d.hour, 0));
    cr_assert(eq(ptr, (void *)parse("%B %e %Y %l%p", "September  7 2021 1PM", SL_FRAC_ERROR, &d),
                 NULL));
    cr_assert(eq(u32, d.mon, 9));
    cr_assert(eq(u32, d.mday, 7));
    cr_assert(eq(u32, d.hour, 13));
    cr_assert(eq(ptr, (void *)parse("%F %T", "2020-02-03 04:05:06", SL_FRAC_ERROR, &d), NULL));
    cr_assert(eq(u32, d.sec, 6));
    cr_assert(eq(ptr, (void *)parse("%D %R", "02/03/69 04:05", SL_FRAC_ERROR, &d), NULL));
    cr_assert(eq(i64, d.year, 1969));
    cr_assert(eq(ptr, (void *)parse("%y", "68", SL_FRAC_ERROR, &d), NULL));
    cr_assert(eq(i64, d.year, 2068));
    cr_assert(eq(ptr, (void *)parse("%Y %j", "2024 060", SL_FRAC_ERROR, &d), NULL));
    cr_assert(eq(i64, sl_dt_days(&d), sl_days_from_civil(2024, 2, 29)));
    cr_assert(eq(ptr, (void *)parse("%Y%%%m", "2024%07", SL_FRAC_ERROR, &d), NULL));
    cr_assert(eq(u32, d.mon, 7));
}

Test(datefmt, fractions)
{
    sl_dt d;
    cr_assert(ne(ptr, (void *)parse("%H:%M:%S", "01:02:03.5", SL_FRAC_ERROR, &d), NULL));
    cr_assert(eq(ptr, (void *)parse("%H:%M:%S", "01:02:03.5", SL_FRAC_SKIP, &d), NULL));
    cr_assert(eq(u32, d.usec, 0));
    cr_assert(eq(ptr, (void *)parse("%H:%M:%S", "01:02:03.123456789", SL_FRAC_KEEP, &d), NULL));
    cr_assert(eq(u32, d.usec, 123456));
    cr_assert(eq(ptr, (void *)parse("%H:%M:%S.%f", "01:02:03.25", SL_FRAC_KEEP, &d), NULL));
    cr_assert(eq(u32, d.usec, 250000));
}

Test(datefmt, compile_errors)
{
    sl_datefmt f;
    sl_err e = {0};
    cr_assert(eq(int, sl_datefmt_compile(SL_LIT("%Y%Q"), &f, &e), SL_INVALID));
    sl_err e2 = {0};
    cr_assert(eq(int, sl_datefmt_compile(SL_LIT("%Y%"), &f, &e2), SL_INVALID));
    char big[200];
    memset(big, 'x', sizeof big);
    sl_err e3 = {0};
    cr_assert(eq(int, sl_datefmt_compile((sl_slice){big, sizeof big}, &f, &e3), SL_INVALID));
}

static sl_type ty(sl_type_id id, unsigned prec)
{
    sl_type t = {(uint8_t)id, (uint8_t)prec, 0, 0, 0};
    return t;
}

Test(datefmt, convert_types)
{
    sl_text_formats f;
    sl_text_formats_default(&f);
    sl_datum v;
    bool h;
    sl_type date = ty(SL_DATE, 0), dt = ty(SL_DATETIME, 0), dt3 = ty(SL_DATETIME, 3);
    sl_type b = ty(SL_BOOLEAN, 0), i = ty(SL_INT, 0);
    cr_assert(eq(int, sl_text_formats_convert(&f, &date, SL_LIT("20240101"), &v, &h), SL_CONV_OK));
    cr_assert(h);
    cr_assert(eq(i64, v.i, sl_days_from_civil(2024, 1, 1)));
    cr_assert(eq(int, sl_text_formats_convert(&f, &date, SL_LIT("2024-01-01"), &v, &h),
                 SL_CONV_NULL));
    cr_assert(eq(int, sl_text_formats_convert(&f, &dt, SL_LIT("20240101 00:00:01"), &v, &h),
                 SL_CONV_OK));
    cr_assert(eq(i64, v.i, sl_days_from_civil(2024, 1, 1) * 86400000000LL + 1000000));
    cr_assert(eq(int, sl_text_formats_convert(&f, &dt, SL_LIT("20240101 00:00:01.5"), &v, &h),
                 SL_CONV_NULL));
    cr_assert(eq(int, sl_text_formats_convert(&f, &dt3, SL_LIT("20240101 00:00:01.5678"), &v, &h),
                 SL_CONV_OK));
    cr_assert(eq(i64, v.i % 1000000, 567000));
    f.skip_fraction = true;
    cr_assert(eq(int, sl_text_formats_convert(&f, &dt3, SL_LIT("20240101 00:00:01.5678"), &v, &h),
                 SL_CONV_OK));
    cr_assert(eq(i64, v.i % 1000000, 0));
    cr_assert(eq(int, sl_text_formats_convert(&f, &i, SL_LIT("7"), &v, &h), SL_CONV_OK));
    cr_assert(not(h));
    cr_assert(eq(int, sl_text_formats_convert(&f, &b, SL_LIT("T"), &v, &h), SL_CONV_OK));
    cr_assert(eq(i64, v.i, 1));
    cr_assert(eq(int, sl_text_formats_convert(&f, &b, SL_LIT("f"), &v, &h), SL_CONV_OK));
    cr_assert(eq(i64, v.i, 0));
    cr_assert(eq(int, sl_text_formats_convert(&f, &b, SL_LIT("x"), &v, &h), SL_CONV_NULL));
    f.false_fmt = SL_LIT("NULL");
    f.true_fmt = SL_LIT("Y");
    cr_assert(eq(int, sl_text_formats_convert(&f, &b, SL_LIT("NULL"), &v, &h), SL_CONV_OK));
    cr_assert(eq(i64, v.i, 0));
    f.false_fmt = SL_LIT("");
    cr_assert(eq(int, sl_text_formats_convert(&f, &b, SL_LIT("other"), &v, &h), SL_CONV_OK));
    cr_assert(eq(i64, v.i, 0));
    f.use_bit_values = true;
    cr_assert(eq(int, sl_text_formats_convert(&f, &b, SL_LIT("0x1"), &v, &h), SL_CONV_OK));
    cr_assert(eq(i64, v.i, 1));
    cr_assert(eq(int, sl_text_formats_convert(&f, &b, (sl_slice){"\0", 1}, &v, &h), SL_CONV_OK));
    cr_assert(eq(i64, v.i, 0));
    cr_assert(eq(int, sl_text_formats_convert(&f, &b, SL_LIT("2"), &v, &h), SL_CONV_NULL));
}

Test(datefmt, epoch_in_local_time)
{
    setenv("TZ", "UTC", 1);
    tzset();
    sl_text_formats f;
    sl_text_formats_default(&f);
    f.converted_to_epoch = true;
    sl_type date = ty(SL_DATE, 0), dt = ty(SL_DATETIME, 0);
    sl_datum v;
    bool h;
    cr_assert(eq(int, sl_text_formats_convert(&f, &dt, SL_LIT("1704067261"), &v, &h), SL_CONV_OK));
    cr_assert(eq(i64, v.i, 1704067261LL * 1000000));
    cr_assert(eq(int, sl_text_formats_convert(&f, &date, SL_LIT("86400.9"), &v, &h), SL_CONV_OK));
    cr_assert(eq(i64, v.i, 1));
    cr_assert(eq(int, sl_text_formats_convert(&f, &date, SL_LIT("12ab"), &v, &h), SL_CONV_NULL));
}
