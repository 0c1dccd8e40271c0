/*
 * bench_complex.c - the measurement behind the ARRAY/MAP/STRUCT value encoding (src/batch/
 * complex.c, docs/types.md): bytes per value of the c1 encoding against the two text forms a
 * store could keep instead (compact JSON, and Doris's text form), and the time to parse a
 * loaded value, to read one element and to format the text form back.
 *
 * Data: 200,000 values of each of four shapes typical of Doris loads: ARRAY<INT> of 10 event
 * codes (0..9999), ARRAY<STRING> of 3 tags, MAP<STRING,BIGINT> of 4 counters, and
 * STRUCT<id:BIGINT, ts:DATETIME, score:DOUBLE, tags:ARRAY<STRING>>.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../src/core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../src/batch/complex.h"
#include "../src/sql/sql.h"

#define N 200000

static uint64_t rng = 88172645463325252ull;

static unsigned next(unsigned m)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (unsigned)(rng % m);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void gen(int shape, sl_buf *b)
{
    static const char *const tags[] = {"red", "green", "blue", "mobile", "web", "beta", "eu"};
    sl_buf_clear(b);
    switch (shape) {
    case 0:
        sl_buf_putc(b, '[');
        for (int i = 0; i < 10; i++)
            sl_buf_printf(b, "%s%u", i ? "," : "", next(10000));
        sl_buf_putc(b, ']');
        break;
    case 1:
        sl_buf_printf(b, "[\"%s\",\"%s\",\"%s\"]", tags[next(7)], tags[next(7)], tags[next(7)]);
        break;
    case 2:
        sl_buf_printf(b, "{\"clicks\":%u,\"views\":%u,\"buys\":%u,\"errors\":%u}", next(1000),
                      next(100000), next(50), next(5));
        break;
    default:
        sl_buf_printf(b, "{\"id\":%u%06u,\"ts\":\"2024-%02u-%02u %02u:%02u:%02u\",\"score\":%u.%u,"
                      "\"tags\":[\"%s\",\"%s\"]}", next(100000), next(1000000), 1 + next(12),
                      1 + next(28), next(24), next(60), next(60), next(100), next(100),
                      tags[next(7)], tags[next(7)]);
    }
}

int main(void)
{
    static const char *const spell[] = {"ARRAY<INT>", "ARRAY<STRING>", "MAP<STRING,BIGINT>",
                                        "STRUCT<id:BIGINT,ts:DATETIME,score:DOUBLE,"
                                        "tags:ARRAY<STRING>>"};
    printf("%-58s %8s %8s %8s %9s %9s %9s\n", "shape", "c1 B", "JSON B", "text B", "parse ns",
           "elem ns", "format ns");
    for (int s = 0; s < 4; s++) {
        sl_type t;
        sl_err err = {0};
        if (sl_sql_parse_type(sl_slice_of(spell[s]), &t, &err) != SL_OK)
            return 1;
        sl_arena_t a;
        sl_arena_init(&a, 1 << 20);
        sl_buf in = SL_BUF_INIT, out = SL_BUF_INIT;
        sl_slice *enc = malloc(N * sizeof *enc);
        sl_conv_ctx ctx = {0};
        size_t c1 = 0, json = 0, text = 0;
        double t0 = now_s(), parse = 0;
        for (int i = 0; i < N; i++) {
            gen(s, &in);
            json += in.len;
            double p0 = now_s();
            if (sl_cv_parse(&t, (sl_slice){in.p, in.len}, 0, &ctx, &a, &enc[i]) != SL_CONV_OK)
                return 2;
            parse += now_s() - p0;
            c1 += enc[i].n;
        }
        (void)t0;
        double e0 = now_s();
        size_t n;
        sl_slice *it;
        sl_arena_t tmp;
        sl_arena_init(&tmp, 1 << 16);
        for (int i = 0; i < N; i++) {
            if (!sl_cv_items(&t, enc[i], &tmp, &n, &it) || n == 0)
                return 3;
            sl_arena_reset(&tmp);
        }
        double elem = now_s() - e0, f0 = now_s();
        for (int i = 0; i < N; i++) {
            sl_buf_clear(&out);
            sl_cv_format(&out, &t, enc[i]);
            text += out.len;
        }
        double format = now_s() - f0;
        printf("%-58s %8.1f %8.1f %8.1f %9.0f %9.0f %9.0f\n", spell[s], (double)c1 / N,
               (double)json / N, (double)text / N, parse / N * 1e9, elem / N * 1e9,
               format / N * 1e9);
        free(enc);
        sl_buf_free(&in), sl_buf_free(&out);
        sl_arena_free(&a), sl_arena_free(&tmp);
    }
    return 0;
}
