/* Unit tests of src/load/derive.c's direct casts of expression results.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "../../../src/load/derive.c"

static sl_type ty(uint8_t id, uint8_t p, uint8_t s)
{
    return (sl_type){.id = id, .precision = p, .scale = s};
}

Test(derive, numeric_casts)
{
    sl_datum in, out;
    sl_type dbl = ty(SL_DOUBLE, 0, 0), dec = ty(SL_DECIMAL, 6, 2), big = ty(SL_BIGINT, 0, 0);
    sl_type dec15 = ty(SL_DECIMAL, 15, 2);
    in.d = 20668.2;
    cr_assert(eq(int, numeric_cast(&dbl, &in, &dec15, &out), 1));
    cr_assert(eq(i64, (int64_t)out.w, 2066820));
    in.d = -3.456;
    cr_assert(eq(int, numeric_cast(&dbl, &in, &dec, &out), 1));
    cr_assert(eq(i64, (int64_t)out.w, -346)); /* half away from zero */
    in.d = 1.005; /* 1.00499999...: left to the text route */
    cr_assert(eq(int, numeric_cast(&dbl, &in, &dec, &out), -1));
    in.d = 12345.0; /* needs 7 digits in DECIMAL(6,2) */
    cr_assert(eq(int, numeric_cast(&dbl, &in, &dec, &out), 0));
    in.i = 300;
    sl_type tiny = ty(SL_TINYINT, 0, 0);
    cr_assert(eq(int, numeric_cast(&big, &in, &tiny, &out), 0));
    in.i = -100;
    cr_assert(eq(int, numeric_cast(&big, &in, &tiny, &out), 1));
    cr_assert(eq(i64, out.i, -100));
    in.i = 9999;
    cr_assert(eq(int, numeric_cast(&big, &in, &dec, &out), 1));
    cr_assert(eq(i64, (int64_t)out.w, 999900));
    in.i = 10000;
    cr_assert(eq(int, numeric_cast(&big, &in, &dec, &out), 0));
    sl_type dt = ty(SL_DATETIME, 0, 0), date = ty(SL_DATE, 0, 0);
    in.i = -1; /* 1969-12-31 23:59:59.999999 */
    cr_assert(eq(int, numeric_cast(&dt, &in, &date, &out), 1));
    cr_assert(eq(i64, out.i, -1));
    in.i = 2;
    cr_assert(eq(int, numeric_cast(&date, &in, &dt, &out), 1));
    cr_assert(eq(i64, out.i, 2 * 86400000000LL));
    sl_type str = ty(SL_STRING, 0, 0);
    cr_assert(eq(int, numeric_cast(&str, &in, &date, &out), -1));
}
