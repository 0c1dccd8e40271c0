/*
 * fuzz_datefmt.c - libFuzzer target for src/batch/datefmt.c (tsload date/time formats).
 *
 * Input: format, a 0 byte, value. The format is compiled; when it compiles, the value is parsed
 * in every fraction mode and a successful parse must give a valid calendar date and time. The
 * value is also converted as DATE, DATETIME(0/6) and BOOLEAN with the default formats and with
 * converted_to_epoch; a DATETIME(0) result must be a whole second.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../src/core/platform.h"

#include <stdlib.h>
#include <string.h>

#include "../../src/batch/datefmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *z = memchr(data, 0, size);
    size_t fn = z ? (size_t)(z - data) : size;
    sl_slice fmt = {(const char *)data, fn};
    sl_slice val = z ? (sl_slice){(const char *)z + 1, size - fn - 1} : SL_LIT("");
    sl_datefmt f;
    sl_err e = {0};
    if (sl_datefmt_compile(fmt, &f, &e) == SL_OK) {
        for (int fm = SL_FRAC_ERROR; fm <= SL_FRAC_KEEP; fm++) {
            sl_dt d;
            if (sl_datefmt_parse(&f, val, '.', (sl_frac_mode)fm, &d) != NULL)
                continue;
            if (d.mon < 1 || d.mon > 12 || d.mday < 1 || d.mday > 31 || d.hour > 23 ||
                d.min > 59 || d.sec > 59 || d.usec > 999999)
                abort();
            (void)sl_dt_days(&d);
        }
    }
    sl_text_formats tf;
    sl_text_formats_default(&tf);
    sl_type ts[4] = {{SL_DATE, 0, 0, 0, 0}, {SL_DATETIME, 0, 0, 0, 0},
                     {SL_DATETIME, 6, 0, 0, 0}, {SL_BOOLEAN, 0, 0, 0, 0}};
    for (int epoch = 0; epoch < 2; epoch++) {
        tf.converted_to_epoch = epoch;
        for (int i = 0; i < 4; i++) {
            sl_datum v;
            bool h;
            if (sl_text_formats_convert(&tf, &ts[i], val, &v, &h) == SL_CONV_OK && !h)
                abort();
            if (i == 1 && h && sl_text_formats_convert(&tf, &ts[i], val, &v, &h) == SL_CONV_OK &&
                v.i % 1000000 != 0)
                abort();
        }
    }
    return 0;
}
