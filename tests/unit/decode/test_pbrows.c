/*
 * test_pbrows.c - unit tests of the Yamcs row decoder (src/decode/pbrows.c): framing across
 * chunks (whole, byte by byte, random splits give the same rows), every cell encoding, type
 * conversion, Yamcs time with leap seconds and the error cases with their counts.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include <stdio.h>
#include <stdlib.h>

#include "../../../src/batch/convert.h"
#include "../../../src/core/buf.h"
#include "../../../src/decode/pbrows.h"
#include "../../../src/sql/sql.h"

/* ---- protobuf building ---------------------------------------------------------------- */

static void varint(sl_buf *b, uint64_t v)
{
    while (v >= 0x80) {
        sl_buf_putc(b, (char)(v | 0x80));
        v >>= 7;
    }
    sl_buf_putc(b, (char)v);
}

static void field_bytes(sl_buf *b, unsigned f, const void *p, size_t n)
{
    varint(b, f << 3 | 2);
    varint(b, n);
    sl_buf_append(b, p, n);
}

static void colinfo(sl_buf *row, unsigned id, const char *name, const char *type)
{
    sl_buf c = SL_BUF_INIT;
    varint(&c, 1 << 3);
    varint(&c, id);
    field_bytes(&c, 2, name, strlen(name));
    field_bytes(&c, 3, type, strlen(type));
    field_bytes(row, 1, c.p, c.len);
    sl_buf_free(&c);
}

static void cell(sl_buf *row, unsigned id, const void *data, size_t n)
{
    sl_buf c = SL_BUF_INIT;
    varint(&c, 1 << 3);
    varint(&c, id);
    field_bytes(&c, 2, data, n);
    field_bytes(row, 2, c.p, c.len);
    sl_buf_free(&c);
}

static void frame(sl_buf *out, sl_buf *row)
{
    varint(out, row->len);
    sl_buf_append(out, row->p, row->len);
    sl_buf_clear(row);
}

static void be(char *o, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        o[i] = (char)(v >> (8 * (n - 1 - i)));
}

static void str_cell(char *o, size_t *n, const char *s, size_t len)
{
    be(o, len, 2);
    memcpy(o + 2, s, len);
    *n = len + 2;
}

/* ---- fixture -------------------------------------------------------------------------- */

typedef struct fx {
    sl_arena_t a;
    sl_stmt st;
    sl_pbrows_schema s;
} fx;

static void setup_table(fx *f, const char *ddl)
{
    sl_err err = {0};
    sl_arena_init(&f->a, 0);
    cr_assert(eq(int, sl_sql_parse(ddl, strlen(ddl), &f->a, &f->st, &err), SL_OK), "%s", err.msg);
    cr_assert(eq(int, sl_pbrows_schema_init(&f->s, f->st.table, &f->a, &err), SL_OK), "%s",
              err.msg);
}

/* Render the batch rows into d (one line per row, cells separated by |). */
static void render(sl_buf *d, const sl_batch *b)
{
    for (size_t r = 0; r < b->n_rows; r++) {
        for (size_t c = 0; c < b->n_cols; c++) {
            const sl_column *col = &b->cols[c];
            if (c)
                sl_buf_putc(d, '|');
            if (col->null[r]) {
                sl_buf_puts(d, "N");
                continue;
            }
            char tmp[64];
            switch (col->def->type.id) {
            case SL_DOUBLE: sl_format_double(col->v[r].d, tmp); sl_buf_puts(d, tmp); break;
            case SL_DATETIME:
                sl_format_datetime(col->v[r].i, col->def->type.precision, tmp);
                sl_buf_puts(d, tmp);
                break;
            case SL_CHAR:
            case SL_VARCHAR:
            case SL_STRING:
            case SL_JSON:
                for (size_t i = 0; i < col->v[r].s.n; i++) {
                    unsigned char ch = (unsigned char)col->v[r].s.p[i];
                    if (ch < 0x20)
                        sl_buf_printf(d, "\\x%02x", ch);
                    else
                        sl_buf_putc(d, (char)ch);
                }
                break;
            default: sl_buf_printf(d, "%lld", (long long)col->v[r].i); break;
            }
        }
        sl_buf_putc(d, '\n');
    }
}

/* Decode body split as `how` (0 whole, 1 bytes, else random seed); returns the final code and
 * fills dump with the rows and *rows with the count. */
static sl_code run(const fx *f, const sl_buf *body, unsigned how, sl_buf *dump, uint64_t *rows,
                   sl_err *err)
{
    sl_batch b;
    cr_assert(eq(int, sl_batch_init(&b, f->st.table), SL_OK));
    sl_pbrows *d = sl_pbrows_new(&f->s);
    cr_assert(d != NULL);
    srand(how);
    size_t off = 0;
    sl_code rc = SL_OK;
    while (off < body->len && rc == SL_OK) {
        size_t n = body->len - off;
        if (how == 1)
            n = 1;
        else if (how > 1)
            n = 1 + (size_t)rand() % (n < 40 ? n : 40);
        const char *p = body->p + off;
        off += n;
        while (n && rc == SL_OK) {
            size_t used;
            rc = sl_pbrows_push(d, p, n, &b, &used, err);
            render(dump, &b);
            sl_batch_clear(&b);
            p += used, n -= used;
        }
    }
    if (rc == SL_OK)
        rc = sl_pbrows_finish(d, err);
    *rows = sl_pbrows_rows(d);
    sl_pbrows_free(d);
    sl_batch_free(&b);
    return rc;
}

/* Every split must give the same rows, code and count. */
static sl_code run_all(const fx *f, const sl_buf *body, sl_buf *dump, uint64_t *rows, sl_err *err)
{
    sl_code rc0 = run(f, body, 0, dump, rows, err);
    for (unsigned how = 1; how < 12; how++) {
        sl_buf d2 = SL_BUF_INIT;
        uint64_t r2;
        sl_err e2 = {0};
        sl_code rc = run(f, body, how, &d2, &r2, &e2);
        cr_assert(eq(int, rc, rc0), "split %u", how);
        cr_assert(eq(u64, r2, *rows), "split %u", how);
        cr_assert(eq(str, d2.p ? d2.p : "", dump->p ? dump->p : ""), "split %u", how);
        cr_assert(eq(str, e2.msg, err->msg));
        sl_buf_free(&d2);
    }
    return rc0;
}

static const char *T_A = "CREATE TABLE t (a1 INT NOT NULL, a2 STRING) UNIQUE KEY(a1) "
                         "DISTRIBUTED BY HASH(a1) BUCKETS 1 PROPERTIES(\"yamcs.types\"=\"INT;STRING\")";

/* The integration test's shape: ColumnInfo on every row, ids 1 and 2. */
static void seed_rows(sl_buf *body, int from, int to)
{
    sl_buf row = SL_BUF_INIT;
    for (int i = from; i < to; i++) {
        char v[4], s[40];
        size_t sn;
        char txt[32];
        be(v, (uint64_t)i, 4);
        snprintf(txt, sizeof txt, "test %d", i);
        str_cell(s, &sn, txt, strlen(txt));
        colinfo(&row, 1, "a1", "INT");
        colinfo(&row, 2, "a2", "STRING");
        cell(&row, 1, v, 4);
        cell(&row, 2, s, sn);
        frame(body, &row);
    }
    sl_buf_free(&row);
}

Test(pbrows, worked_example_bytes)
{
    /* specs §2.3: the bytes of one delimited Row, encoded by hand */
    static const unsigned char ex[] = {
        0x35, 0x0a, 0x0b, 0x08, 0x01, 0x12, 0x02, 0x61, 0x31, 0x1a, 0x03, 0x49, 0x4e, 0x54,
        0x0a, 0x0e, 0x08, 0x02, 0x12, 0x02, 0x61, 0x32, 0x1a, 0x06, 0x53, 0x54, 0x52, 0x49,
        0x4e, 0x47, 0x12, 0x08, 0x08, 0x01, 0x12, 0x04, 0x00, 0x00, 0x00, 0x05, 0x12, 0x0c,
        0x08, 0x02, 0x12, 0x08, 0x00, 0x06, 0x74, 0x65, 0x73, 0x74, 0x20, 0x35};
    fx f;
    setup_table(&f, T_A);
    sl_buf body = SL_BUF_INIT, dump = SL_BUF_INIT;
    sl_buf_append(&body, ex, sizeof ex);
    uint64_t rows;
    sl_err err = {0};
    cr_assert(eq(int, run_all(&f, &body, &dump, &rows, &err), SL_OK), "%s", err.msg);
    cr_assert(eq(u64, rows, 1));
    cr_assert(eq(str, dump.p, "5|test 5\n"));
    sl_buf_free(&body);
    sl_buf_free(&dump);
    sl_arena_free(&f.a);
}

Test(pbrows, hundred_rows_any_split)
{
    fx f;
    setup_table(&f, T_A);
    sl_buf body = SL_BUF_INIT, dump = SL_BUF_INIT;
    seed_rows(&body, 0, 100);
    uint64_t rows;
    sl_err err = {0};
    cr_assert(eq(int, run_all(&f, &body, &dump, &rows, &err), SL_OK), "%s", err.msg);
    cr_assert(eq(u64, rows, 100));
    cr_assert(strstr(dump.p, "0|test 0\n1|test 1\n") == dump.p);
    cr_assert(strstr(dump.p, "99|test 99\n") != NULL);
    sl_buf_free(&body);
    sl_buf_free(&dump);
    sl_arena_free(&f.a);
}

Test(pbrows, missing_key_counts_rows_before)
{
    fx f;
    setup_table(&f, T_A);
    sl_buf body = SL_BUF_INIT, dump = SL_BUF_INIT, row = SL_BUF_INIT;
    seed_rows(&body, 0, 50);
    char s[20];
    size_t sn;
    str_cell(s, &sn, "test 50", 7);
    cell(&row, 2, s, sn); /* row 51: only a2, as Yamcs's testTableLoadWithInvalidRecord */
    frame(&body, &row);
    seed_rows(&body, 51, 60);
    uint64_t rows;
    sl_err err = {0};
    cr_assert(eq(int, run_all(&f, &body, &dump, &rows, &err), SL_INVALID));
    cr_assert(eq(u64, rows, 50));
    cr_assert(eq(str, err.msg, "Tuple does not have mandatory column 'a1'"));
    cr_assert(strstr(dump.p, "49|test 49\n") != NULL);
    cr_assert(strstr(dump.p, "51|") == NULL);
    sl_buf_free(&body);
    sl_buf_free(&dump);
    sl_buf_free(&row);
    sl_arena_free(&f.a);
}

static sl_code one_row(const char *ddl, void (*build)(sl_buf *row), sl_buf *dump, sl_err *err)
{
    fx f;
    setup_table(&f, ddl);
    sl_buf body = SL_BUF_INIT, row = SL_BUF_INIT;
    build(&row);
    frame(&body, &row);
    uint64_t rows;
    sl_code rc = run_all(&f, &body, dump, &rows, err);
    sl_buf_free(&body);
    sl_buf_free(&row);
    sl_arena_free(&f.a);
    return rc;
}

static const char *T_ALL =
    "CREATE TABLE t (k INT NOT NULL, b TINYINT, s SMALLINT, l BIGINT, d DOUBLE, o BOOLEAN, "
    "ts DATETIME(3), h DATETIME(6), st STRING, e STRING, bin STRING, pb STRING, u VARCHAR(36), "
    "arr JSON) UNIQUE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1 PROPERTIES(\"yamcs.types\"="
    "\"INT;BYTE;SHORT;LONG;DOUBLE;BOOLEAN;TIMESTAMP;HRES_TIMESTAMP;STRING;ENUM;BINARY;"
    "PROTOBUF(a.b$C);UUID;ARRAY(INT)\")";

static void build_all(sl_buf *row)
{
    static const char *names[] = {"k", "b", "s", "l", "d", "o", "ts", "h", "st", "e", "bin", "pb",
                                  "u", "arr"};
    static const char *types[] = {"INT", "BYTE", "SHORT", "LONG", "DOUBLE", "BOOLEAN",
                                  "TIMESTAMP", "HRES_TIMESTAMP", "STRING", "ENUM", "BINARY",
                                  "PROTOBUF(a.b$C)", "UUID", "ARRAY(INT)"};
    for (unsigned i = 0; i < 14; i++)
        colinfo(row, i, names[i], types[i]);
    char v[64];
    size_t n;
    be(v, (uint64_t)-7, 4), cell(row, 0, v, 4);
    v[0] = (char)0x80, cell(row, 1, v, 1);                 /* -128 */
    be(v, 0x8001, 2), cell(row, 2, v, 2);                  /* -32767 */
    be(v, 0x123456789abcdefull, 8), cell(row, 3, v, 8);
    double dd = -2.5;
    uint64_t bits;
    memcpy(&bits, &dd, 8);
    be(v, bits, 8), cell(row, 4, v, 8);
    v[0] = 2, cell(row, 5, v, 1);                          /* any non-zero is true */
    /* 2017-01-01T00:00:00Z is Unix 1483228800000 ms; TAI-UTC was 37 s then */
    be(v, 1483228800000ull + 37000, 8), cell(row, 6, v, 8);
    be(v, 1483228800000ull + 37000 + 1, 8), be(v + 8, 2000000, 4), cell(row, 7, v, 12);
    str_cell(v, &n, "a\xC0\x80" "b\xED\xA0\xBD\xED\xB8\x80", 10), cell(row, 8, v, n);
    str_cell(v, &n, "RED", 3), cell(row, 9, v, n);
    be(v, 3, 4), memcpy(v + 4, "\x00\xff\x10", 3), cell(row, 10, v, 7);
    be(v, 2, 4), memcpy(v + 4, "\x08\x01", 2), cell(row, 11, v, 6);
    static const unsigned char uu[16] = {0x12 ^ 0x80, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
                                         0x01 ^ 0x80, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
    cell(row, 12, uu, 16);
    be(v, 8, 4), be(v + 4, 1, 4), be(v + 8, (uint64_t)-2, 4), cell(row, 13, v, 12);
}

Test(pbrows, every_type)
{
    sl_buf dump = SL_BUF_INIT;
    sl_err err = {0};
    cr_assert(eq(int, one_row(T_ALL, build_all, &dump, &err), SL_OK), "%s", err.msg);
    cr_assert(eq(str, dump.p,
                 "-7|-128|-32767|81985529216486895|-2.5|1|2017-01-01 00:00:00.000|"
                 "2017-01-01 00:00:00.001002|a\\x00b\xF0\x9F\x98\x80|RED|00ff10|0801|"
                 "12345678-9abc-def0-0123-456789abcdef|[1,-2]\n"));
    sl_buf_free(&dump);
}

static void build_conv(sl_buf *row)
{
    char v[32];
    size_t n;
    colinfo(row, 5, "a1", "STRING"); /* declared STRING, table INT: Java Integer.decode */
    colinfo(row, 6, "a2", "LONG");   /* declared LONG, table STRING: decimal text */
    str_cell(v, &n, "0x10", 4), cell(row, 5, v, n);
    be(v, 42, 8), cell(row, 6, v, 8);
}

Test(pbrows, declared_type_converted)
{
    sl_buf dump = SL_BUF_INIT;
    sl_err err = {0};
    cr_assert(eq(int, one_row(T_A, build_conv, &dump, &err), SL_OK), "%s", err.msg);
    cr_assert(eq(str, dump.p, "16|42\n"));
    sl_buf_free(&dump);
}

static void build_bad_conv(sl_buf *row)
{
    char v[8] = {1};
    colinfo(row, 0, "a1", "BOOLEAN");
    cell(row, 0, v, 1);
}

Test(pbrows, impossible_conversion)
{
    sl_buf dump = SL_BUF_INIT;
    sl_err err = {0};
    cr_assert(eq(int, one_row(T_A, build_bad_conv, &dump, &err), SL_INVALID));
    cr_assert(eq(str, err.msg, "cannot convert column 'a1' from BOOLEAN into INT"));
    sl_buf_free(&dump);
}

static void build_late(sl_buf *row)
{
    char v[8];
    be(v, 9, 4);
    cell(row, 3, v, 4); /* the cell comes before its ColumnInfo in the message */
    colinfo(row, 3, "a1", "INT");
}

Test(pbrows, column_info_after_cell)
{
    sl_buf dump = SL_BUF_INIT;
    sl_err err = {0};
    cr_assert(eq(int, one_row(T_A, build_late, &dump, &err), SL_OK), "%s", err.msg);
    cr_assert(eq(str, dump.p, "9|N\n"));
    sl_buf_free(&dump);
}

static void build_unknown(sl_buf *row)
{
    colinfo(row, 0, "nope", "INT");
}

static void build_undefined(sl_buf *row)
{
    cell(row, 7, "\0\0\0\1", 4);
}

static void build_dup(sl_buf *row)
{
    colinfo(row, 0, "a1", "INT");
    colinfo(row, 1, "a1", "INT");
    cell(row, 0, "\0\0\0\1", 4);
    cell(row, 1, "\0\0\0\2", 4);
}

static void build_short(sl_buf *row)
{
    colinfo(row, 0, "a1", "INT");
    cell(row, 0, "\0\1", 2);
}

static void build_bad_type(sl_buf *row)
{
    colinfo(row, 0, "a1", "int");
}

static void build_emoji(sl_buf *row)
{
    char v[16];
    size_t n;
    colinfo(row, 0, "a1", "INT");
    colinfo(row, 1, "a2", "STRING");
    cell(row, 0, "\0\0\0\1", 4);
    str_cell(v, &n, "\xF0\x9F\x98\x80", 4); /* standard 4-byte UTF-8: Yamcs rejects it */
    cell(row, 1, v, n);
}

Test(pbrows, row_errors)
{
    struct {
        void (*build)(sl_buf *);
        const char *msg;
    } cases[] = {
        {build_unknown, "unknown column 'nope': table 't' has no such column and sluice does not "
                        "extend table schemas"},
        {build_undefined, "Invalid column id 7 specified. It has to be defined by the ColumnInfo "
                          "message"},
        {build_dup, "Tuple has already a column 'a1'"},
        {build_short, "INT cell of 2 bytes is too short"},
        {build_bad_type, "invalid or unsupported DataType 'int'"},
        {build_emoji, "malformed input around byte 0"},
    };
    for (size_t i = 0; i < SL_COUNT(cases); i++) {
        sl_buf dump = SL_BUF_INIT;
        sl_err err = {0};
        cr_assert(eq(int, one_row(T_A, cases[i].build, &dump, &err), SL_INVALID), "case %zu", i);
        cr_assert(eq(str, err.msg, (char *)cases[i].msg), "case %zu", i);
        cr_assert(dump.len == 0);
        sl_buf_free(&dump);
    }
}

Test(pbrows, framing_errors)
{
    fx f;
    setup_table(&f, T_A);
    sl_buf body = SL_BUF_INIT, dump = SL_BUF_INIT;
    uint64_t rows;
    sl_err err = {0};
    seed_rows(&body, 0, 3);
    sl_buf_append(&body, "\x20\x0a", 2); /* announces 32 bytes, gives 1 */
    cr_assert(eq(int, run_all(&f, &body, &dump, &rows, &err), SL_INVALID));
    cr_assert(eq(str, err.msg, "truncated row at end of body"));
    cr_assert(eq(u64, rows, 3));
    sl_buf_clear(&body), sl_buf_clear(&dump);
    memset(&err, 0, sizeof err);
    seed_rows(&body, 0, 2);
    sl_buf_append(&body, "\xff\xff\xff\xff\xff\x01", 6);
    cr_assert(eq(int, run_all(&f, &body, &dump, &rows, &err), SL_INVALID));
    cr_assert(eq(str, err.msg, "malformed varint length prefix"));
    cr_assert(eq(u64, rows, 2));
    sl_buf_clear(&body), sl_buf_clear(&dump);
    memset(&err, 0, sizeof err);
    sl_buf_append(&body, "\xff\xff\xff\x7f", 4); /* 256 MiB row */
    cr_assert(eq(int, run_all(&f, &body, &dump, &rows, &err), SL_TOO_LARGE));
    sl_buf_free(&body);
    sl_buf_free(&dump);
    sl_arena_free(&f.a);
}

Test(pbrows, leap_seconds)
{
    int64_t unix_2017 = 1483228800000;
    cr_assert(eq(i64, sl_yamcs_unix_ms_to_instant(unix_2017), unix_2017 + 37000));
    cr_assert(eq(i64, sl_yamcs_unix_ms_to_instant(unix_2017 - 1), unix_2017 - 1 + 36000));
    cr_assert(eq(i64, sl_yamcs_instant_to_unix_ms(unix_2017 + 37000), unix_2017));
    /* the leap second 2016-12-31T23:59:60 maps to the millisecond before midnight */
    cr_assert(eq(i64, sl_yamcs_instant_to_unix_ms(unix_2017 + 36500), unix_2017 - 1));
    /* GPS epoch: Yamcs GPS_EPOCH_YAMCS_EPOCH_DELTA */
    cr_assert(eq(i64, sl_yamcs_unix_ms_to_instant(315964800000), 315964819000));
    for (int64_t t = -1000000000000; t < 2000000000000; t += 7777777777)
        cr_assert(eq(i64, sl_yamcs_instant_to_unix_ms(sl_yamcs_unix_ms_to_instant(t)), t));
}

Test(pbrows, type_names)
{
    const char *names[] = {"INT", "PROTOBUF(org.yamcs.yarch.protobuf.Db$Event)", "ARRAY(UUID)",
                           "HRES_TIMESTAMP", "ARRAY(PROTOBUF(x.Y))"};
    for (size_t i = 0; i < SL_COUNT(names); i++) {
        sl_ytype t;
        sl_err err = {0};
        char buf[128];
        cr_assert(eq(int, sl_ytype_parse(sl_slice_of(names[i]), &t, &err), SL_OK));
        sl_ytype_name(&t, buf, sizeof buf);
        cr_assert(eq(str, buf, (char *)names[i]));
    }
    sl_ytype t;
    sl_err err = {0};
    cr_assert(eq(int, sl_ytype_parse(SL_LIT("TUPLE"), &t, &err), SL_INVALID));
}

/* Regression (fuzz crash f31ad8b2): a row decoded from the carry buffer must not be overwritten
 * when the next, partial message of the same push is carried. */
Test(pbrows, crash_f31ad8b2)
{
    fx f;
    setup_table(&f, T_A);
    sl_buf body = SL_BUF_INIT, dump = SL_BUF_INIT;
    seed_rows(&body, 1, 3); /* two frames of equal length */
    size_t one = body.len / 2;
    sl_batch b;
    cr_assert(eq(int, sl_batch_init(&b, f.st.table), SL_OK));
    sl_pbrows *d = sl_pbrows_new(&f.s);
    sl_err err = {0};
    size_t used;
    cr_assert(eq(int, sl_pbrows_push(d, body.p, 10, &b, &used, &err), SL_OK));
    cr_assert(eq(sz, used, 10));
    /* rest of row 1 plus all of row 2 but its last byte */
    const char *p = body.p + 10;
    size_t n = body.len - 11;
    cr_assert(eq(int, sl_pbrows_push(d, p, n, &b, &used, &err), SL_OK));
    render(&dump, &b);
    cr_assert(eq(str, dump.p, "1|test 1\n"));
    cr_assert(eq(sz, used, one - 10));
    sl_batch_clear(&b);
    p += used, n -= used;
    cr_assert(eq(int, sl_pbrows_push(d, p, n, &b, &used, &err), SL_OK));
    cr_assert(eq(sz, used, n));
    cr_assert(eq(int, sl_pbrows_push(d, body.p + body.len - 1, 1, &b, &used, &err), SL_OK));
    render(&dump, &b);
    cr_assert(eq(str, dump.p, "1|test 1\n2|test 2\n"));
    sl_pbrows_free(d);
    sl_batch_free(&b);
    sl_buf_free(&body);
    sl_buf_free(&dump);
    sl_arena_free(&f.a);
}
