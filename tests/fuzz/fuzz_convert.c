/*
 * fuzz_convert.c - libFuzzer target for src/batch/convert.c (batch stage conversions).
 *
 * The input is parsed as every type. Whenever a cast succeeds, its value must lie in the type's
 * range, format to text, and that text must parse back to the same value (NaN to NaN).
 * SL_CONV_LOSSY (integers only) carries a value too and is checked the same way. The input is
 * also run through sl_separator_parse, whose output must fit the buffer it was given, and
 * through sl_convert_fast, which may take it only with sl_convert's value.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../src/core/platform.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/batch/convert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_roundtrip(const sl_type *t, const sl_datum *v, const sl_conv_ctx *ctx)
{
    char buf[64];
    sl_datum back;
    size_t n;
    switch ((sl_type_id)t->id) {
    case SL_LARGEINT: n = sl_format_i128(v->w, buf); break;
    case SL_DECIMAL: n = sl_format_decimal(v->w, t->scale, buf); break;
    case SL_DOUBLE: n = sl_format_double(v->d, buf); break;
    case SL_FLOAT: n = sl_format_float((float)v->d, buf); break;
    case SL_DATE: n = sl_format_date(v->i, buf); break;
    case SL_DATETIME: n = sl_format_datetime(v->i, t->precision, buf); break;
    default: n = (size_t)snprintf(buf, sizeof buf, "%lld", (long long)v->i); break;
    }
    if (n >= 48 || strlen(buf) != n)
        abort();
    if (sl_convert(t, (sl_slice){buf, n}, &back, ctx) != SL_CONV_OK)
        abort();
    switch ((sl_type_id)t->id) {
    case SL_LARGEINT:
    case SL_DECIMAL:
        if (back.w != v->w)
            abort();
        break;
    case SL_FLOAT:
    case SL_DOUBLE:
        if (!(back.d == v->d || (isnan(back.d) && isnan(v->d))))
            abort();
        break;
    default:
        if (back.i != v->i)
            abort();
        break;
    }
}

/* Range checks a successful cast must satisfy. */
static void check_range(const sl_type *t, const sl_datum *v)
{
    static const int64_t lim[] = {127, 32767, 2147483647};
    sl_i128 p10 = 1;
    switch ((sl_type_id)t->id) {
    case SL_TINYINT:
    case SL_SMALLINT:
    case SL_INT:
        if (v->i > lim[t->id] || v->i < -lim[t->id] - 1)
            abort();
        break;
    case SL_DECIMAL:
        for (unsigned i = 0; i < t->precision; i++)
            p10 *= 10;
        if (v->w >= p10 || v->w <= -p10)
            abort();
        break;
    case SL_BOOLEAN:
        if (v->i != 0 && v->i != 1)
            abort();
        break;
    case SL_DATE:
        if (v->i < -719528 || v->i >= 2932897)
            abort();
        break;
    case SL_DATETIME: {
        int64_t unit = 1;
        for (unsigned i = t->precision; i < 6; i++)
            unit *= 10;
        if (v->i < -719528LL * 86400000000LL || v->i >= 2932897LL * 86400000000LL ||
            v->i % unit != 0)
            abort();
        break;
    }
    default: break;
    }
}

/* The column converter takes a cell only with sl_convert's value (r, *want). */
static void check_fast(const sl_type *t, sl_slice s, sl_conv r, const sl_datum *want)
{
    sl_datum got;
    uint8_t null = 1, done = 0;
    size_t k = sl_convert_fast(t, &s, 1, 1, &got, &null, &done);
    if (k != done)
        abort();
    if (!done)
        return;
    if (r != SL_CONV_OK || null)
        abort();
    bool same;
    if (sl_type_is_text(t))
        same = got.s.p == want->s.p && got.s.n == want->s.n;
    else if (t->id == SL_DECIMAL || t->id == SL_LARGEINT)
        same = got.w == want->w;
    else
        same = got.i == want->i;
    if (!same)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_slice s = {(const char *)data, size};
    unsigned h = 0;
    for (size_t i = 0; i < size; i++)
        h = h * 31 + data[i];
    sl_conv_ctx ctx = {.tz_offset_s = (int32_t)(h % 50401) - 50400 / 2}; /* +-14 h */
    unsigned p = 1 + h % 38;
    const sl_type types[] = {
        {SL_TINYINT, 0, 0, 0, 0},  {SL_SMALLINT, 0, 0, 0, 0},
        {SL_INT, 0, 0, 0, 0},      {SL_BIGINT, 0, 0, 0, 0},
        {SL_LARGEINT, 0, 0, 0, 0}, {SL_FLOAT, 0, 0, 0, 0},
        {SL_DOUBLE, 0, 0, 0, 0},   {SL_DECIMAL, (uint8_t)p, (uint8_t)(h / 38 % (p + 1)), 0, 0},
        {SL_DECIMAL, 38, 0, 0, 0}, {SL_DECIMAL, 9, 2, 0, 0},
        {SL_DATE, 0, 0, 0, 0},     {SL_DATETIME, (uint8_t)(h % 7), 0, 0, 0},
        {SL_BOOLEAN, 0, 0, 0, 0},  {SL_VARCHAR, 0, 0, 0, (uint32_t)(h % 16)},
        {SL_STRING, 0, 0, 0, 0},
    };
    for (size_t i = 0; i < SL_COUNT(types); i++) {
        sl_datum v;
        sl_conv r = sl_convert(&types[i], s, &v, &ctx);
        check_fast(&types[i], s, r, &v);
        if (sl_type_is_text(&types[i])) {
            if ((r == SL_CONV_OK) != (size <= types[i].len || types[i].id == SL_STRING))
                abort();
            if (r == SL_CONV_OK && (v.s.p != s.p || v.s.n != s.n))
                abort();
            continue;
        }
        if (r == SL_CONV_TOO_LONG || (r == SL_CONV_LOSSY && types[i].id > SL_LARGEINT))
            abort();
        if (r == SL_CONV_OK || r == SL_CONV_LOSSY) {
            check_range(&types[i], &v);
            if (types[i].id != SL_BOOLEAN)
                check_roundtrip(&types[i], &v, &ctx);
        }
    }
    char out[64];
    size_t len = 0;
    sl_err err = {SL_OK, ""};
    if (sl_separator_parse(s, out, h % 65, &len, &err) == SL_OK ? len > h % 65 || len > size
                                                                  : err.code != SL_INVALID)
        abort();
    return 0;
}
