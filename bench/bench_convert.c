/*
 * bench_convert.c - micro-benchmark of the per-cell conversions (src/batch/convert.c).
 *
 * Converts lineitem-like text (l_orderkey / l_quantity integers, l_extendedprice and
 * l_discount decimals, l_shipdate dates, a datetime and a double) held in one contiguous
 * buffer, the way a decoder hands over field slices, and prints ns/value per column type.
 * Build: cc -std=c11 -O2 -DNDEBUG -Isrc bench/bench_convert.c src/batch/convert.c, plus the
 * src/core sources, -lm.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../src/core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../src/batch/convert.h"

#define N_VALUES 1000000 /* about 10 MB of text per column: larger than L2, like a real batch stream */
#define ROUNDS 15 /* best of 15: the development machine is shared, the minimum is the stable figure */

typedef struct column {
    const char *name;
    sl_type type;
    char *text;
    sl_slice *cells;
} column;

static uint64_t next(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

/* Write one value of column c, row i, into p; return its length. */
static int gen(int c, uint64_t *rng, char *p)
{
    uint64_t r = next(rng);
    switch (c) {
    case 0: return sprintf(p, "%llu", (unsigned long long)(r % 6000000 + 1));
    case 1: return sprintf(p, "%u", (unsigned)(r % 50 + 1));
    case 2: return sprintf(p, "%u.%02u", (unsigned)(r % 104950 + 900), (unsigned)(r / 7 % 100));
    case 3: return sprintf(p, "0.%02u", (unsigned)(r % 11));
    case 4: {
        char b[48];
        sl_format_date(8035 + (int64_t)(r % 2526), b); /* 1992-01-02 .. 1998-12-01 */
        return sprintf(p, "%s", b);
    }
    case 5: {
        char b[48];
        sl_format_datetime((8035 + (int64_t)(r % 2526)) * 86400000000LL + (int64_t)(r % 86400) * 1000000,
                           0, b);
        return sprintf(p, "%s", b);
    }
    default: return sprintf(p, "%u.%02u", (unsigned)(r % 104950 + 900), (unsigned)(r / 7 % 100));
    }
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(void)
{
    column cols[] = {
        {"BIGINT   l_orderkey      ", {SL_BIGINT, 0, 0, 0, 0}, NULL, NULL},
        {"INT      l_quantity      ", {SL_INT, 0, 0, 0, 0}, NULL, NULL},
        {"DECIMAL(15,2) l_extprice ", {SL_DECIMAL, 15, 2, 0, 0}, NULL, NULL},
        {"DECIMAL(15,2) l_discount ", {SL_DECIMAL, 15, 2, 0, 0}, NULL, NULL},
        {"DATE     l_shipdate      ", {SL_DATE, 0, 0, 0, 0}, NULL, NULL},
        {"DATETIME                 ", {SL_DATETIME, 0, 0, 0, 0}, NULL, NULL},
        {"DOUBLE   l_extendedprice ", {SL_DOUBLE, 0, 0, 0, 0}, NULL, NULL},
    };
    uint64_t rng = 42;
    sl_conv_ctx ctx = {0};
    double total_ns = 0;
    size_t total_n = 0;
    for (size_t c = 0; c < SL_COUNT(cols); c++) {
        cols[c].text = malloc((size_t)N_VALUES * 24);
        cols[c].cells = malloc((size_t)N_VALUES * sizeof(sl_slice));
        if (!cols[c].text || !cols[c].cells)
            return 1;
        size_t off = 0;
        for (size_t i = 0; i < N_VALUES; i++) {
            int n = gen((int)c, &rng, cols[c].text + off);
            cols[c].cells[i] = (sl_slice){cols[c].text + off, (size_t)n};
            off += (size_t)n;
        }
        double best = 1e30;
        uint64_t sink = 0;
        for (int round = 0; round < ROUNDS; round++) {
            double t0 = now_ns();
            for (size_t i = 0; i < N_VALUES; i++) {
                sl_datum d;
                if (sl_convert(&cols[c].type, cols[c].cells[i], &d, &ctx) != SL_CONV_OK)
                    return 2;
                sink += (uint64_t)d.i;
            }
            double dt = now_ns() - t0;
            best = dt < best ? dt : best;
        }
        printf("%s %6.2f ns/value  (%.0f M values/s, %.1f MB/s)  [sink %llx]\n", cols[c].name,
               best / N_VALUES, N_VALUES / best * 1e3, (double)off / best * 1e3,
               (unsigned long long)(sink & 0xf));
        total_ns += best;
        total_n += N_VALUES;
        free(cols[c].text);
        free(cols[c].cells);
    }
    printf("all columns              %6.2f ns/value\n", total_ns / (double)total_n);
    return 0;
}
