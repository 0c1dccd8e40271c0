/*
 * fuzz_pbrows.c - libFuzzer target for the Yamcs row decoder (src/decode/pbrows.c).
 *
 * Input: byte 0 picks the table (two-column INT/STRING, or one column of every Yamcs type),
 * byte 1 seeds the chunk splits; the rest is the body of delimited Row messages. The body is
 * decoded whole and in pseudo-random splits; every run must give the same final code, the same
 * row count and the same rendered rows (invariant), and every text value is read right after
 * its push while it must still be valid (ASan checks it).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../src/core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/buf.h"
#include "../../src/decode/pbrows.h"
#include "../../src/sql/sql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const TABLES[] = {
    "CREATE TABLE t (a1 INT NOT NULL, a2 STRING) UNIQUE KEY(a1) DISTRIBUTED BY HASH(a1) "
    "BUCKETS 1 PROPERTIES(\"yamcs.types\"=\"INT;STRING\")",
    "CREATE TABLE t (k INT NOT NULL, b TINYINT, s SMALLINT, l BIGINT, d DOUBLE, o BOOLEAN, "
    "ts DATETIME(3), h DATETIME(6), st STRING, e STRING, bin STRING, pb STRING, u VARCHAR(36), "
    "arr JSON) UNIQUE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1 PROPERTIES(\"yamcs.types\"="
    "\"INT;BYTE;SHORT;LONG;DOUBLE;BOOLEAN;TIMESTAMP;HRES_TIMESTAMP;STRING;ENUM;BINARY;"
    "PROTOBUF(a.b$C);UUID;ARRAY(STRING)\")",
};

static void render(sl_buf *d, const sl_batch *b)
{
    for (size_t r = 0; r < b->n_rows; r++) {
        for (size_t c = 0; c < b->n_cols; c++) {
            const sl_column *col = &b->cols[c];
            if (col->null[r])
                sl_buf_puts(d, "|N");
            else if (sl_type_is_text(&col->def->type)) {
                sl_buf_printf(d, "|%zu:", col->v[r].s.n);
                sl_buf_append(d, col->v[r].s.p, col->v[r].s.n);
            } else if (col->def->type.id == SL_DOUBLE) {
                uint64_t bits;
                memcpy(&bits, &col->v[r].d, 8);
                sl_buf_printf(d, "|%llx", (unsigned long long)bits);
            } else
                sl_buf_printf(d, "|%lld", (long long)col->v[r].i);
        }
        sl_buf_putc(d, '\n');
    }
}

static sl_code run(const sl_pbrows_schema *s, const sl_tabledef *def, const uint8_t *in,
                   size_t n, unsigned how, sl_buf *out, uint64_t *rows)
{
    sl_batch b;
    if (sl_batch_init(&b, def) != SL_OK)
        abort();
    sl_pbrows *d = sl_pbrows_new(s);
    if (d == NULL)
        abort();
    unsigned seed = how;
    sl_code rc = SL_OK;
    sl_err err = {0};
    size_t off = 0;
    while (off < n && rc == SL_OK) {
        size_t k = n - off;
        if (how) {
            seed = seed * 1103515245u + 12345u;
            k = 1 + (seed >> 16) % (k < 64 ? k : 64);
        }
        const char *p = (const char *)in + off;
        off += k;
        while (k && rc == SL_OK) {
            size_t used;
            rc = sl_pbrows_push(d, p, k, &b, &used, &err);
            if (used > k)
                abort();
            render(out, &b);
            sl_batch_clear(&b);
            p += used, k -= used;
        }
    }
    if (rc == SL_OK)
        rc = sl_pbrows_finish(d, &err);
    *rows = sl_pbrows_rows(d);
    sl_pbrows_free(d);
    sl_batch_free(&b);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const char *ddl = TABLES[data[0] % SL_COUNT(TABLES)];
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_stmt st;
    sl_err err = {0};
    sl_pbrows_schema s;
    if (sl_sql_parse(ddl, strlen(ddl), &a, &st, &err) != SL_OK ||
        sl_pbrows_schema_init(&s, st.table, &a, &err) != SL_OK)
        abort();
    sl_buf d0 = SL_BUF_INIT, d1 = SL_BUF_INIT;
    uint64_t r0, r1;
    sl_code c0 = run(&s, st.table, data + 2, size - 2, 0, &d0, &r0);
    sl_code c1 = run(&s, st.table, data + 2, size - 2, data[1] + 1u, &d1, &r1);
    if (c0 != c1 || r0 != r1 || d0.len != d1.len || (d0.len && memcmp(d0.p, d1.p, d0.len)))
        abort();
    sl_buf_free(&d0);
    sl_buf_free(&d1);
    sl_arena_free(&a);
    return 0;
}
