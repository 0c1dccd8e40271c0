/*
 * bench_columnar.c - the Parquet / ORC / Arrow decoders on one core, and a row dump (bench/).
 *
 * usage: bench_columnar FORMAT FILE [REPEAT=3]   decode MB/s (file bytes per CPU second) and
 *                                                 rows/s, best of REPEAT passes
 *        bench_columnar FORMAT FILE dump          every row as name=value fields, one a line
 *                                                 (NULL is \N), or the decoder's error
 *        bench_columnar FORMAT FILE hexdump       the same with values in hex
 * FORMAT is parquet, orc or arrow. The file is pushed in 256 KiB chunks, as the HTTP layer
 * would; Parquet and ORC spool to $TMPDIR (default /tmp).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../src/core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/core/mem.h"
#include "../src/decode/decoder.h"

static char *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = sl_malloc((size_t)sz + 1);
    if (p && fread(p, 1, (size_t)sz, f) != (size_t)sz) {
        sl_free(p);
        p = NULL;
    }
    fclose(f);
    *n = (size_t)sz;
    return p;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool hex_dump; /* values as hex (exact bytes, for comparing tools) */

static void dump(const sl_rawbatch *rb)
{
    for (size_t r = 0; r < rb->n_rows; r++) {
        const sl_rawrow *rr = &rb->rows[r];
        if (rr->err) {
            printf("ERROR %s\n", rr->err);
            continue;
        }
        for (uint32_t k = 0; k < rr->n_fields; k++) {
            sl_slice nm = rb->names ? rb->names[rr->field0 + k] : SL_LIT("?");
            sl_slice v = rb->fields[rr->field0 + k];
            printf("%s%.*s=", k ? "|" : "", (int)nm.n, nm.p);
            if (v.p == NULL)
                printf("\\N");
            else if (hex_dump)
                for (size_t i = 0; i < v.n; i++)
                    printf("%02x", (unsigned char)v.p[i]);
            else
                fwrite(v.p, 1, v.n, stdout);
        }
        printf("\n");
    }
}

/* One pass; returns rows, or -1 on a decoder error (printed). */
static long run(const sl_decoder_vtab *dec, const char *body, size_t n, bool print)
{
    sl_decode_opts o;
    sl_decode_opts_default(&o);
    const char *tmp = getenv("TMPDIR");
    o.spool_dir = tmp ? tmp : "/tmp";
    o.max_spool_bytes = (uint64_t)1 << 40;
    void *st = sl_calloc(dec->state_size);
    sl_err err = {0};
    sl_rawbatch rb = {0};
    long rows = 0;
    sl_code rc = st ? dec->open(st, &o, &err) : SL_NOMEM;
    const size_t chunk = 256 * 1024;
    for (size_t off = 0; rc == SL_OK;) {
        bool fin = off == n;
        size_t len = fin ? 0 : (n - off < chunk ? n - off : chunk);
        const char *p = body + off;
        size_t m = len;
        do { /* while the decoder holds more rows: push(NULL, 0) or finish again */
            rb.more = false;
            rc = fin ? dec->finish(st, &rb) : dec->push(st, p, m, &rb);
            if (rc == SL_AGAIN)
                rc = SL_OK;
            if (print)
                dump(&rb);
            rows += (long)rb.n_rows;
            sl_rawbatch_clear(&rb);
            p = NULL, m = 0;
        } while (rc == SL_OK && rb.more);
        if (fin)
            break;
        off += len;
    }
    if (rc != SL_OK) {
        printf("FAIL %s\n", err.msg);
        rows = -1;
    }
    if (st)
        dec->close(st);
    sl_rawbatch_free(&rb);
    sl_free(st);
    return rows;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_columnar parquet|orc|arrow FILE [REPEAT|dump]\n");
        return 2;
    }
    const sl_decoder_vtab *dec = sl_decoder_find(sl_slice_of(argv[1]));
    size_t n;
    char *body = read_file(argv[2], &n);
    if (dec == NULL || body == NULL) {
        fprintf(stderr, "bench_columnar: unknown format or unreadable file\n");
        return 2;
    }
    hex_dump = argc > 3 && strcmp(argv[3], "hexdump") == 0;
    if (argc > 3 && (strcmp(argv[3], "dump") == 0 || hex_dump))
        return run(dec, body, n, true) < 0;
    int repeat = argc > 3 ? atoi(argv[3]) : 3;
    double best = 1e30;
    long rows = 0;
    for (int i = 0; i < repeat; i++) {
        double t0 = cpu_now();
        rows = run(dec, body, n, false);
        double t = cpu_now() - t0;
        if (rows < 0)
            return 1;
        if (t < best)
            best = t;
    }
    printf("%s %s: %.1f MB, %ld rows, %.3f s CPU: %.1f MB/s, %.0f rows/s per core\n", argv[1],
           argv[2], (double)n / 1e6, rows, best, (double)n / 1e6 / best, (double)rows / best);
    sl_free(body);
    return 0;
}
