/* Unit tests of src/core/tz.c: TZif zones with DST on both hemispheres, negative DST, the
 * footer rule for far-future times, gaps and folds, fixed offsets, refusals.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/tz.h"

static sl_tzdb *db;

static void setup(void)
{
    db = sl_tzdb_new(NULL);
    cr_assert(db != NULL);
}

static void teardown(void)
{
    sl_tzdb_free(db);
}

TestSuite(tz, .init = setup, .fini = teardown);

static const sl_tz *get(const char *name)
{
    const sl_tz *z = NULL;
    sl_err e = {0};
    cr_assert(eq(int, sl_tzdb_get(db, sl_slice_of(name), &z, &e), SL_OK), "%s: %s", name, e.msg);
    return z;
}

/* Seconds since the epoch of a UTC civil time. */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
    struct tm t = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    return (int64_t)timegm(&t);
}

Test(tz, new_york_summer_and_winter)
{
    const sl_tz *z = get("America/New_York");
    cr_assert(eq(int, sl_tz_offset_utc(z, utc(2024, 7, 1, 12, 0)), -4 * 3600));
    cr_assert(eq(int, sl_tz_offset_utc(z, utc(2024, 1, 15, 12, 0)), -5 * 3600));
    /* far beyond the file's transitions: the footer rule */
    cr_assert(eq(int, sl_tz_offset_utc(z, utc(2150, 7, 1, 12, 0)), -4 * 3600));
    cr_assert(eq(int, sl_tz_offset_utc(z, utc(2150, 12, 1, 12, 0)), -5 * 3600));
    /* the change itself: 2024-03-10 07:00 UTC */
    cr_assert(eq(int, sl_tz_offset_utc(z, utc(2024, 3, 10, 6, 59)), -5 * 3600));
    cr_assert(eq(int, sl_tz_offset_utc(z, utc(2024, 3, 10, 7, 0)), -4 * 3600));
}

Test(tz, gaps_and_folds_read_as_doris_does)
{
    const sl_tz *z = get("America/New_York");
    /* 02:30 does not exist on 2024-03-10: the offset before the gap */
    cr_assert(eq(int, sl_tz_offset_local(z, utc(2024, 3, 10, 2, 30)), -5 * 3600));
    /* 01:30 happens twice on 2024-11-03: the first occurrence (still daylight time) */
    cr_assert(eq(int, sl_tz_offset_local(z, utc(2024, 11, 3, 1, 30)), -4 * 3600));
    cr_assert(eq(int, sl_tz_offset_local(z, utc(2024, 11, 3, 3, 0)), -5 * 3600));
}

Test(tz, shanghai_had_dst_in_1988)
{
    const sl_tz *z = get("Asia/Shanghai");
    cr_assert(eq(int, sl_tz_offset_utc(z, utc(2024, 7, 1, 0, 0)), 8 * 3600));
    cr_assert(eq(int, sl_tz_offset_utc(z, utc(1988, 7, 1, 0, 0)), 9 * 3600));
    cr_assert(eq(ptr, (void *)get("CST"), (void *)get("Asia/Shanghai")));
}

Test(tz, southern_hemisphere_and_negative_dst)
{
    const sl_tz *syd = get("Australia/Sydney");
    cr_assert(eq(int, sl_tz_offset_utc(syd, utc(2024, 1, 15, 0, 0)), 11 * 3600));
    cr_assert(eq(int, sl_tz_offset_utc(syd, utc(2024, 7, 15, 0, 0)), 10 * 3600));
    cr_assert(eq(int, sl_tz_offset_utc(syd, utc(2160, 1, 15, 0, 0)), 11 * 3600));
    const sl_tz *dub = get("Europe/Dublin"); /* IST is "standard", winter GMT is negative DST */
    cr_assert(eq(int, sl_tz_offset_utc(dub, utc(2024, 7, 1, 0, 0)), 3600));
    cr_assert(eq(int, sl_tz_offset_utc(dub, utc(2024, 1, 1, 0, 0)), 0));
    cr_assert(eq(int, sl_tz_offset_utc(dub, utc(2170, 1, 1, 0, 0)), 0));
    cr_assert(eq(int, sl_tz_offset_utc(dub, utc(2170, 7, 1, 0, 0)), 3600));
}

Test(tz, fixed_offsets)
{
    cr_assert(eq(int, sl_tz_offset_utc(get("+05:30"), 0), 5 * 3600 + 1800));
    cr_assert(eq(int, sl_tz_offset_utc(get("-08:00"), 0), -8 * 3600));
    cr_assert(eq(int, sl_tz_offset_utc(get("+8"), 0), 8 * 3600));
    cr_assert(eq(int, sl_tz_offset_utc(get("UTC"), 12345), 0));
    cr_assert(eq(int, sl_tz_offset_local(get("+05:30"), 0), 5 * 3600 + 1800));
}

Test(tz, unknown_zones_are_refused)
{
    static const char *const bad[] = {"Mars/Olympus", "../../etc/passwd", "/etc/localtime",
                                      "+15:00", "+05:60", "", "Asia/../Asia/Tokyo", "+1:2"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const sl_tz *z = NULL;
        sl_err e = {0};
        cr_assert(eq(int, sl_tzdb_get(db, sl_slice_of(bad[i]), &z, &e), SL_INVALID), "%s", bad[i]);
        cr_assert(strstr(e.msg, "Unknown or incorrect time zone") != NULL);
    }
}

Test(tz, a_damaged_file_is_an_unknown_zone)
{
    char dir[] = "/tmp/sl-tz-XXXXXX";
    cr_assert(mkdtemp(dir) != NULL);
    char path[300];
    snprintf(path, sizeof path, "%s/Bad", dir);
    FILE *f = fopen(path, "wb");
    cr_assert(f != NULL);
    fwrite("TZif2\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\xff\xff\xff\xff", 1, 24, f);
    fclose(f);
    sl_tzdb *d2 = sl_tzdb_new(dir);
    const sl_tz *z = NULL;
    sl_err e = {0};
    cr_assert(eq(int, sl_tzdb_get(d2, SL_LIT("Bad"), &z, &e), SL_INVALID));
    sl_tzdb_free(d2);
    unlink(path);
    rmdir(dir);
}
