/*
 * bench_pbrows.c - throughput of the Yamcs row decoder (decode/pbrows.c) on one core: delimited
 * protobuf Rows -> typed sl_batch columns.
 *
 * usage: bench_pbrows [ROWS=1000000] [CHUNK_KB=256] [REPEAT=5] [INFO_EVERY_ROW=0]
 * Builds a dump-like body in memory (ColumnInfo in the first row only, as :readRows writes it;
 * INFO_EVERY_ROW=1 repeats it in every row, as the Yamcs integration test does) for an 8-column
 * telemetry-like table: k LONG (key), gentime TIMESTAMP, seq INT, qty SHORT, value DOUBLE,
 * ok BOOLEAN, name STRING (16-24 bytes), status ENUM. It is decoded REPEAT times in CHUNK_KB
 * pieces (256 KiB is what the HTTP layer hands to body()), clearing the batch whenever the
 * decoder returns, as the adapter does after its store append. Prints the best pass in MB/s
 * (10^6 bytes) and rows/s.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../src/core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/core/buf.h"
#include "../src/decode/pbrows.h"
#include "../src/sql/sql.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void varint(sl_buf *b, uint64_t v)
{
    while (v >= 0x80) {
        sl_buf_putc(b, (char)(v | 0x80));
        v >>= 7;
    }
    sl_buf_putc(b, (char)v);
}

static void field(sl_buf *b, unsigned f, const void *p, size_t n)
{
    varint(b, f << 3 | 2);
    varint(b, n);
    sl_buf_append(b, p, n);
}

static void be(char *o, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        o[i] = (char)(v >> (8 * (n - 1 - i)));
}

static const char *NAMES[] = {"k", "gentime", "seq", "qty", "value", "ok", "name", "status"};
static const char *TYPES[] = {"LONG", "TIMESTAMP", "INT", "SHORT", "DOUBLE", "BOOLEAN",
                              "STRING", "ENUM"};

static void build(sl_buf *body, size_t rows, bool info_every_row)
{
    sl_buf row = SL_BUF_INIT, sub = SL_BUF_INIT;
    static const char *status[] = {"NOMINAL", "WARNING", "CRITICAL"};
    for (size_t i = 0; i < rows; i++) {
        sl_buf_clear(&row);
        if (i == 0 || info_every_row)
            for (unsigned c = 0; c < 8; c++) {
                sl_buf_clear(&sub);
                varint(&sub, 1 << 3);
                varint(&sub, c);
                field(&sub, 2, NAMES[c], strlen(NAMES[c]));
                field(&sub, 3, TYPES[c], strlen(TYPES[c]));
                field(&row, 1, sub.p, sub.len);
            }
        char d[64];
        size_t dn[8];
        char cells[8][64];
        be(cells[0], i, 8), dn[0] = 8;
        be(cells[1], 1700000000000ull + 37000 + i * 10, 8), dn[1] = 8;
        be(cells[2], (uint64_t)(i * 7), 4), dn[2] = 4;
        be(cells[3], i % 1000, 2), dn[3] = 2;
        double v = (double)i * 0.25;
        uint64_t bits;
        memcpy(&bits, &v, 8);
        be(cells[4], bits, 8), dn[4] = 8;
        cells[5][0] = (char)(i & 1), dn[5] = 1;
        int n = snprintf(d, sizeof d, "sensor-%zu-%s", i % 9973, i % 3 ? "main" : "backup-bus");
        be(cells[6], (uint64_t)n, 2), memcpy(cells[6] + 2, d, (size_t)n), dn[6] = 2 + (size_t)n;
        const char *s = status[i % 3];
        be(cells[7], strlen(s), 2), memcpy(cells[7] + 2, s, strlen(s)), dn[7] = 2 + strlen(s);
        for (unsigned c = 0; c < 8; c++) {
            sl_buf_clear(&sub);
            varint(&sub, 1 << 3);
            varint(&sub, c);
            field(&sub, 2, cells[c], dn[c]);
            field(&row, 2, sub.p, sub.len);
        }
        varint(body, row.len);
        sl_buf_append(body, row.p, row.len);
    }
    sl_buf_free(&row);
    sl_buf_free(&sub);
}

int main(int argc, char **argv)
{
    size_t rows = argc > 1 ? (size_t)atol(argv[1]) : 1000000;
    size_t chunk = (argc > 2 ? (size_t)atol(argv[2]) : 256) * 1024;
    int repeat = argc > 3 ? atoi(argv[3]) : 5;
    bool every = argc > 4 && atoi(argv[4]) != 0;
    const char *ddl = "CREATE TABLE tm (k BIGINT NOT NULL, gentime DATETIME(3), seq INT, "
                      "qty SMALLINT, value DOUBLE, ok BOOLEAN, name STRING, status STRING) "
                      "UNIQUE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1 PROPERTIES (\"yamcs.types\""
                      " = \"LONG;TIMESTAMP;INT;SHORT;DOUBLE;BOOLEAN;STRING;ENUM\")";
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_stmt st;
    sl_err err = {0};
    sl_pbrows_schema s;
    if (sl_sql_parse(ddl, strlen(ddl), &a, &st, &err) != SL_OK ||
        sl_pbrows_schema_init(&s, st.table, &a, &err) != SL_OK) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return 1;
    }
    sl_buf body = SL_BUF_INIT;
    build(&body, rows, every);
    if (body.oom)
        return 1;
    sl_batch b;
    if (sl_batch_init(&b, st.table) != SL_OK)
        return 1;
    double best = 1e9;
    uint64_t got = 0;
    for (int rep = 0; rep < repeat; rep++) {
        sl_pbrows *d = sl_pbrows_new(&s);
        double t0 = now_s();
        for (size_t off = 0; off < body.len;) {
            size_t n = body.len - off < chunk ? body.len - off : chunk;
            const char *p = body.p + off;
            off += n;
            while (n) {
                size_t used;
                if (sl_pbrows_push(d, p, n, &b, &used, &err) != SL_OK) {
                    fprintf(stderr, "decode: %s\n", err.msg);
                    return 1;
                }
                sl_batch_clear(&b);
                p += used, n -= used;
            }
        }
        if (sl_pbrows_finish(d, &err) != SL_OK)
            return 1;
        double t = now_s() - t0;
        got = sl_pbrows_rows(d);
        sl_pbrows_free(d);
        if (t < best)
            best = t;
    }
    printf("pbrows: %zu bytes, %llu rows, chunk %zu KiB, info %s: %.0f MB/s, %.2f M rows/s\n",
           body.len, (unsigned long long)got, chunk / 1024, every ? "every row" : "first row",
           (double)body.len / best / 1e6, (double)got / best / 1e6);
    sl_batch_free(&b);
    sl_buf_free(&body);
    sl_arena_free(&a);
    return got == rows ? 0 : 1;
}
