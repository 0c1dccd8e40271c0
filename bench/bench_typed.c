/*
 * bench_typed.c - decode + map to typed batches on one core, no store: the decoder and the
 * mapper of a real load (CSV or JSON), measured on a file (bench stage of `make bench`).
 *
 * usage: bench_typed FILE csv|json [REPEAT=3] [COLUMNS]  -> MB/s and rows/s per CPU-second of
 *        the one thread (best of REPEAT), and per wall-clock second;
 *        COLUMNS is a Doris `columns` header (derived columns are evaluated as in a load);
 *        SL_BENCH_ROWWISE=1 maps record by record (the mapper's path before column blocks)
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../src/core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "../src/load/internal.h"
#include "../src/sql/sql.h"

static const char ddl[] =
    "CREATE TABLE lineitem (l_orderkey BIGINT, l_partkey INT, l_suppkey INT, l_linenumber INT, "
    "l_quantity DECIMAL(15,2), l_extendedprice DECIMAL(15,2), l_discount DECIMAL(15,2), "
    "l_tax DECIMAL(15,2), l_returnflag CHAR(1), l_linestatus CHAR(1), l_shipdate DATE, "
    "l_commitdate DATE, l_receiptdate DATE, l_shipinstruct VARCHAR(25), l_shipmode VARCHAR(10), "
    "l_comment VARCHAR(44))";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time of this thread: on a shared machine, the speed of one core (wall time also counts
 * the time other processes had the core). */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static sl_code drop(void *arg, sl_batch *b)
{
    *(uint64_t *)arg += b->n_rows;
    sl_batch_clear(b);
    return SL_OK;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s FILE csv|json [REPEAT]\n", argv[0]);
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        return perror(argv[1]), 1;
    size_t n = (size_t)st.st_size;
    const char *body = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
    int repeat = argc > 3 ? atoi(argv[3]) : 3;
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_stmt stmt;
    sl_err err = {0};
    if (sl_sql_parse(ddl, strlen(ddl), &a, &stmt, &err) != SL_OK)
        return fprintf(stderr, "%s\n", err.msg), 1;
    sl_load_spec spec;
    memset(&spec, 0, sizeof spec);
    sl_decode_opts_default(&spec.dopts);
    bool json = strcmp(argv[2], "json") == 0;
    spec.format = json ? SL_LIT("json") : SL_LIT("csv");
    spec.dopts.col_sep[0] = ',';
    spec.dopts.read_json_by_line = json;
    if (argc > 4)
        spec.columns = sl_slice_of(argv[4]);
    const sl_decoder_vtab *dec = sl_decoder_find(spec.format);
    double best = 1e9, best_cpu = 1e9;
    uint64_t rows = 0;
    for (int r = 0; r < repeat; r++) {
        sl_arena_t ja;
        sl_arena_init(&ja, 0);
        sl_mapper m;
        sl_batch b;
        sl_rawbatch rb = {0};
        void *state = calloc(1, dec->state_size);
        if (sl__mapper_init(&m, stmt.table, &spec, &ja, NULL, &err) != SL_OK ||
            sl_batch_init(&b, stmt.table) != SL_OK || dec->open(state, &spec.dopts, &err) != SL_OK)
            return fprintf(stderr, "setup: %s\n", err.msg), 1;
        rows = 0;
        if (getenv("SL_BENCH_ROWWISE") != NULL)
            m.fast = false;
        double t0 = now_s(), c0 = cpu_s();
        for (size_t off = 0; off < n; off += 256 * 1024) {
            size_t k = n - off < 256 * 1024 ? n - off : 256 * 1024;
            dec->push(state, body + off, k, &rb);
            sl__mapper_run(&m, &rb, &b, drop, &rows, &err);
            drop(&rows, &b);
            sl_rawbatch_clear(&rb);
        }
        dec->finish(state, &rb);
        sl__mapper_run(&m, &rb, &b, drop, &rows, &err);
        drop(&rows, &b);
        double dt = now_s() - t0, dc = cpu_s() - c0;
        if (dt < best)
            best = dt;
        if (dc < best_cpu)
            best_cpu = dc;
        if (m.filtered)
            fprintf(stderr, "warning: %llu rows filtered: %s\n", (unsigned long long)m.filtered,
                    m.first_error);
        dec->close(state);
        free(state);
        sl_rawbatch_free(&rb);
        sl_batch_free(&b);
        sl_arena_free(&ja);
    }
    printf("%s typed: %.0f MB/s, %.2f M rows/s per CPU-second; wall %.0f MB/s (%llu rows, best "
           "of %d)\n", argv[2], n / best_cpu / 1e6, rows / best_cpu / 1e6, n / best / 1e6,
           (unsigned long long)rows, repeat);
    return 0;
}
