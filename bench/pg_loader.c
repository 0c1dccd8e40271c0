/*
 * pg_loader.c - a CSV file into PostgreSQL through sluice's own path: the CSV decoder, the
 * mapper (typed batches) and the PostgreSQL engine's writer (binary COPY in one transaction),
 * as a load does it minus HTTP and the ledger's two short catalog transactions (bench stage;
 * bench/pg.sh compares it with `psql \copy`).
 *
 * usage: pg_loader URL FILE [--create]   -> one line: rows, wall s, CPU s (user + system)
 *        --create: create database `bench` and table `lineitem` (the engine's DDL) first
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../src/core/platform.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../src/load/internal.h"
#include "../src/sql/sql.h"
#include "../src/store/postgres/internal.h"

extern const sl_engine_vtab sl_engine_postgres;
static const sl_engine_vtab *V = &sl_engine_postgres;

static const char ddl[] =
    "CREATE TABLE lineitem (l_orderkey BIGINT, l_partkey INT, l_suppkey INT, l_linenumber INT, "
    "l_quantity DECIMAL(15,2), l_extendedprice DECIMAL(15,2), l_discount DECIMAL(15,2), "
    "l_tax DECIMAL(15,2), l_returnflag CHAR(1), l_linestatus CHAR(1), l_shipdate DATE, "
    "l_commitdate DATE, l_receiptdate DATE, l_shipinstruct VARCHAR(25), l_shipmode VARCHAR(10), "
    "l_comment VARCHAR(44)) DUPLICATE KEY(l_orderkey) DISTRIBUTED BY HASH(l_orderkey) BUCKETS 1";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

typedef struct sink {
    sl_ewriter *w;
    uint64_t rows;
    sl_err err;
} sink;

static sl_code flush(void *arg, sl_batch *b)
{
    sink *s = arg;
    s->rows += b->n_rows;
    sl_code rc = V->w_append(s->w, b, &s->err);
    sl_batch_clear(b);
    return rc;
}

static int fail(const char *what, const sl_err *e)
{
    fprintf(stderr, "pg_loader: %s: %s\n", what, e->msg);
    return 1;
}

static int create(sl_engine *e, const sl_etable *t)
{
    sl_econn *c;
    sl_err err = {0};
    if (V->conn_get(e, &c, &err) != SL_OK || V->xbegin(c, &err) != SL_OK ||
        V->create_db(c, t->db, &err) != SL_OK || V->drop_table(c, t, false, &err) != SL_OK ||
        V->create_table(c, t, &err) != SL_OK || V->xcommit(c, &err) != SL_OK)
        return fail("create", &err);
    V->conn_put(c);
    return 0;
}

/* Decode, map and write the whole body in 256 KiB pushes, as the HTTP server hands it over. */
static int load(sl_engine *e, const sl_etable *t, const char *body, size_t n, uint64_t *rows)
{
    sl_load_spec spec;
    memset(&spec, 0, sizeof spec);
    sl_decode_opts_default(&spec.dopts);
    spec.format = SL_LIT("csv");
    spec.dopts.col_sep[0] = ',';
    const sl_decoder_vtab *dec = sl_decoder_find(spec.format);
    sl_arena_t ja;
    sl_arena_init(&ja, 0);
    sl_mapper m;
    sl_batch b;
    sl_rawbatch rb = {0};
    sl_err err = {0};
    void *state = calloc(1, dec->state_size);
    sink s = {0};
    sl_wopts o = {*t, 1, -1, false, false, false};
    if (sl__mapper_init(&m, t->def, &spec, &ja, NULL, &err) != SL_OK ||
        sl_batch_init(&b, t->def) != SL_OK || dec->open(state, &spec.dopts, &err) != SL_OK ||
        V->w_open(e, &o, &s.w, &err) != SL_OK)
        return fail("setup", &err);
    for (size_t off = 0; off < n && s.err.code == SL_OK; off += 256 * 1024) {
        size_t k = n - off < 256 * 1024 ? n - off : 256 * 1024;
        dec->push(state, body + off, k, &rb);
        sl__mapper_run(&m, &rb, &b, flush, &s, &err);
        if (b.n_rows) /* the batch borrows from this push: write it before the next */
            flush(&s, &b);
        sl_rawbatch_clear(&rb);
    }
    dec->finish(state, &rb);
    sl__mapper_run(&m, &rb, &b, flush, &s, &err);
    if (b.n_rows)
        flush(&s, &b);
    sl_econn *c;
    if (s.err.code != SL_OK || V->w_publish(s.w, false, &c, &s.err) != SL_OK ||
        V->xcommit(c, &s.err) != SL_OK)
        return fail("load", &s.err);
    V->w_close(s.w, true);
    if (m.filtered)
        fprintf(stderr, "warning: %llu rows filtered: %s\n", (unsigned long long)m.filtered,
                m.first_error);
    dec->close(state);
    free(state);
    sl_rawbatch_free(&rb);
    sl_batch_free(&b);
    sl_arena_free(&ja);
    *rows = s.rows;
    return s.rows ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s URL FILE [--create]\n", argv[0]);
        return 2;
    }
    int fd = open(argv[2], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        return perror(argv[2]), 1;
    size_t n = (size_t)st.st_size;
    const char *body = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_stmt stmt;
    sl_err err = {0};
    if (sl_sql_parse(ddl, strlen(ddl), &a, &stmt, &err) != SL_OK)
        return fail("ddl", &err);
    sl_etable t = {SL_LIT("bench"), SL_LIT("lineitem"), 1, stmt.table};
    sl_engine *e;
    sl_store_opts o = {.url = argv[1], .pool_size = 2};
    if (V->open(&o, &e, &err) != SL_OK)
        return fail("open", &err);
    if (argc > 3 && strcmp(argv[3], "--create") == 0) {
        int rc = create(e, &t);
        V->close(e);
        return rc;
    }
    double t0 = now_s(), c0 = cpu_s();
    uint64_t rows = 0;
    int rc = load(e, &t, body, n, &rows);
    double wall = now_s() - t0, cpu = cpu_s() - c0;
    V->close(e);
    if (rc == 0)
        printf("rows %llu wall %.3f cpu %.3f\n", (unsigned long long)rows, wall, cpu);
    return rc;
}
