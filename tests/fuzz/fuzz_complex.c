/*
 * fuzz_complex.c - libFuzzer target for src/batch/complex.c (the ARRAY, MAP, STRUCT text-form
 * parser, the encoding and its formatters) and VARIANT's JSON normalizer.
 *
 * The first input byte picks a type from a fixed list (nested ones included) and parse flags;
 * the rest is the text. Whenever a value parses, its Doris text form and its JSON forms must
 * format without failure, the PostgreSQL store's JSON form (maps as pairs) of valid UTF-8
 * text (sl_utf8_valid: the JSON form replaces other bytes, and with SL_CV_UTF8, the store's
 * flag, refuses them) must parse back (strict) to the very same encoding bytes, and sl_cv_items must walk it exactly. The raw
 * input is also read as an encoding of every type: formatting it must never read past its end
 * (ASan) whatever it says.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../src/core/platform.h"

#include <stdlib.h>
#include <string.h>

#include "../../src/batch/complex.h"
#include "../../src/sql/sql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const spellings[] = {
    "ARRAY<INT>",
    "ARRAY<STRING>",
    "ARRAY<ARRAY<BIGINT>>",
    "ARRAY<DECIMAL(10,3)>",
    "ARRAY<DATETIME(6)>",
    "ARRAY<DOUBLE NOT NULL>",
    "MAP<STRING,INT>",
    "MAP<INT,ARRAY<STRING>>",
    "MAP<DATE,BOOLEAN>",
    "STRUCT<a:INT,b:STRING>",
    "STRUCT<a:ARRAY<INT>,m:MAP<STRING,STRUCT<x:LARGEINT NOT NULL>>>",
    "ARRAY<JSON>",
};

static void check_value(const sl_type *t, sl_slice enc, bool round_trip)
{
    sl_arena_t a;
    sl_buf b = SL_BUF_INIT, j = SL_BUF_INIT;
    sl_slice back, *it;
    size_t n;
    sl_arena_init(&a, 1024);
    if (!sl_cv_format(&b, t, enc) || !sl_cv_items(t, enc, &a, &n, &it))
        abort();
    for (unsigned pairs = 0; pairs < 2; pairs++) {
        /* an object's keys are strings (a NULL or number key is its text): only the pairs
         * form, the PostgreSQL store's, must read back exactly */
        sl_buf_clear(&j);
        if (!sl_cv_json(&j, t, enc, pairs ? SL_CV_PAIRS : 0))
            abort();
        if (!pairs || !round_trip)
            continue;
        sl_conv_ctx ctx = {0};
        sl_conv cv = sl_cv_parse(t, (sl_slice){j.p ? j.p : "", j.len},
                                 SL_CV_STRICT | (pairs ? SL_CV_PAIRS : 0), &ctx, &a, &back);
        if (!j.oom && cv != SL_CONV_OK)
            abort();
        if (cv == SL_CONV_OK && (back.n != enc.n || memcmp(back.p, enc.p, enc.n) != 0))
            abort();
    }
    sl_buf_free(&b);
    sl_buf_free(&j);
    sl_arena_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    sl_type t;
    sl_err err = {0};
    const char *sp = spellings[data[0] % SL_COUNT(spellings)];
    if (sl_sql_parse_type(sl_slice_of(sp), &t, &err) != SL_OK)
        abort();
    char *text = malloc(size); /* no NUL: an over-read trips ASan */
    if (text == NULL)
        return 0;
    memcpy(text, data + 1, size - 1);
    sl_slice in = {text, size - 1};
    sl_arena_t a;
    sl_arena_init(&a, 4096);
    sl_conv_ctx ctx = {.tz_offset_s = 0};
    sl_slice enc;
    sl_conv cv = sl_cv_parse(&t, in, (data[0] & 0x80) ? SL_CV_STRICT : 0, &ctx, &a, &enc);
    if (cv == SL_CONV_OK || cv == SL_CONV_LOSSY)
        check_value(&t, enc, sl_utf8_valid((const char *)data + 1, size - 1));
    sl_slice v;
    if (sl_cv_variant(in, &a, &v) == SL_CONV_OK && sl_cv_variant(v, &a, &v) != SL_CONV_OK)
        abort(); /* compact JSON is JSON */
    for (size_t k = 0; k < SL_COUNT(spellings); k++) { /* the raw bytes as an encoding */
        sl_buf b = SL_BUF_INIT;
        if (sl_sql_parse_type(sl_slice_of(spellings[k]), &t, &err) == SL_OK)
            sl_cv_format(&b, &t, in);
        sl_buf_free(&b);
    }
    sl_arena_free(&a);
    free(text);
    return 0;
}
