/*
 * test_json_fast.c - unit tests of the JSON decoder's fast paths (src/decode/json_scan.c):
 * the string scanners (SIMD, SWAR, scalar) against each other, the key dictionary, and the keyed
 * row parser (sl__json_row_keyed) against the general one (sl__json_row) on generated and
 * mutated rows: keys in other orders, missing, extra and repeated keys, escapes, odd numbers,
 * nested values, broken and truncated input. The two must agree on every field, every error
 * code and the error position; the key ids must name the keys consistently.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include <stdio.h>
#include <stdlib.h>

#include "../../../src/core/buf.h"
#include "../../../src/core/mem.h"
#include "../../../src/decode/json.c"
#include "../../../src/decode/json_path.c"
#include "../../../src/decode/json_scan.c"

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

/* ---- scanners ---- */

/* Every scanner finds the same first special byte, for every start and end in a buffer with
 * special bytes sprinkled at random (and plain high bytes, which must not stop them). */
Test(json_fast, scanners_agree)
{
    static const unsigned char special[] = {'"', '\\', 0x00, 0x01, 0x1f};
    static const unsigned char plain[] = {' ', 'a', 0x20, 0x21, 0x5b, 0x5d, 0x7f, 0x80, 0x9f,
                                          0xa2, 0xdc, 0xff, '!', '#', '['};
    char buf[96];
    for (int round = 0; round < 4000; round++) {
        for (size_t i = 0; i < sizeof buf; i++)
            buf[i] = (char)plain[rnd(sizeof plain)];
        int n_special = (int)rnd(4);
        for (int s = 0; s < n_special; s++)
            buf[rnd(sizeof buf)] = (char)special[rnd(sizeof special)];
        size_t a = rnd(40), b = a + rnd((uint32_t)(sizeof buf - a + 1));
        const char *want = sl__json_scan_scalar(buf + a, buf + b);
        cr_assert(eq(ptr, (void *)sl__json_scan_swar(buf + a, buf + b), (void *)want),
                  "swar, round %d [%zu, %zu)", round, a, b);
        cr_assert(eq(ptr, (void *)sl__json_scan_simd(buf + a, buf + b), (void *)want),
                  "simd, round %d [%zu, %zu)", round, a, b);
    }
}

/* Each special byte at each position of a 40-byte run is found by each scanner. */
Test(json_fast, scanners_every_position)
{
    static const unsigned char special[] = {'"', '\\', 0x00, 0x0a, 0x1f};
    char buf[40];
    for (size_t s = 0; s < sizeof special; s++)
        for (size_t at = 0; at < sizeof buf; at++) {
            memset(buf, 0xe9, sizeof buf); /* 0xe9: a high byte, below it ... */
            for (size_t i = 0; i < at; i++)
                buf[i] = (char)(i % 2 ? 0x20 : 0x5d); /* ... and the bytes next to the specials */
            buf[at] = (char)special[s];
            cr_assert(eq(ptr, (void *)sl__json_scan_scalar(buf, buf + sizeof buf), buf + at));
            cr_assert(eq(ptr, (void *)sl__json_scan_swar(buf, buf + sizeof buf), buf + at));
            cr_assert(eq(ptr, (void *)sl__json_scan_simd(buf, buf + sizeof buf), buf + at));
        }
    memset(buf, 'x', sizeof buf);
    cr_assert(eq(ptr, (void *)sl__json_scan_swar(buf, buf + sizeof buf), buf + sizeof buf));
    cr_assert(eq(ptr, (void *)sl__json_scan_simd(buf, buf + sizeof buf), buf + sizeof buf));
}

/* digits_end (eight lanes per step) finds the first non-digit as a byte loop does, for every
 * byte value after runs of every length. */
Test(json_fast, digits_end_every_byte)
{
    char buf[24];
    for (int v = 0; v < 256; v++)
        for (size_t run = 0; run < 20; run++) {
            for (size_t i = 0; i < sizeof buf; i++)
                buf[i] = (char)('0' + (i * 7 + run) % 10);
            buf[run] = (char)v;
            const char *want = buf + run;
            if (v >= '0' && v <= '9')
                want = buf + sizeof buf;
            cr_assert(eq(ptr, (void *)digits_end(buf, buf + sizeof buf), (void *)want),
                      "byte %d after %zu digits", v, run);
            const char *short_end = buf + (run < 5 ? run : 5); /* the end cuts the run */
            cr_assert(eq(ptr, (void *)digits_end(buf, short_end),
                         (void *)(want < short_end ? want : short_end)));
        }
}

/* ---- key dictionary ---- */

Test(json_fast, key_dictionary)
{
    sl_arena_t a;
    sl_arena_init(&a, 4096);
    sl__json_keys *k = sl_arena_alloc(&a, sizeof *k);
    cr_assert(not(eq(ptr, k, NULL)));
    sl__json_keys_init(k, &a);
    uint32_t x = sl__json_key_id(k, SL_LIT("l_orderkey"), true);
    cr_assert(eq(u32, x, 0));
    cr_assert(eq(u32, sl__json_key_id(k, SL_LIT("l_partkey"), true), 1));
    cr_assert(eq(u32, sl__json_key_id(k, SL_LIT("l_orderkey"), true), 0));
    cr_assert(eq(u32, sl__json_key_id(k, SL_LIT("L_ORDERKEY"), true), 2)); /* bytes, not case */
    cr_assert(eq(u32, sl__json_key_id(k, SL_LIT(""), true), 3));
    char big[SL__JSON_MAX_KEY_LEN + 1];
    memset(big, 'k', sizeof big);
    cr_assert(eq(u32, sl__json_key_id(k, (sl_slice){big, sizeof big}, true), SL_KEY_NONE));
    cr_assert(eq(u32, sl__json_key_id(k, (sl_slice){big, sizeof big - 1}, true), 4));
    for (uint32_t i = k->n; i < SL__JSON_MAX_KEYS; i++) {
        char nm[16];
        int len = snprintf(nm, sizeof nm, "key%u", i);
        cr_assert(eq(u32, sl__json_key_id(k, (sl_slice){nm, (size_t)len}, true), i));
    }
    cr_assert(eq(u32, sl__json_key_id(k, SL_LIT("one too many"), true), SL_KEY_NONE));
    cr_assert(eq(u32, sl__json_key_id(k, SL_LIT("key700"), true), 700)); /* still found */
    sl_arena_free(&a);
}

/* ---- the keyed row against the general row ---- */

static const char *const keys_pool[] = {
    "\"l_orderkey\"", "\"l_partkey\"", "\"a\"", "\"A\"", "\"b\"", "\"\"", "\"with space\"",
    "\"k\\u0041\"",  "\"kA\"",        "\"x\\ny\"", "\"\xc3\xa9t\xc3\xa9\"", "\"bad\xff\"",
    "\"l_orderke\"", "\"l_orderkeyy\"", "\"tab\there\"", "\"q\\\"uote\"", "\"\\ud83d\\ude00\"",
};

static const char *const values_pool[] = {
    "1", "-0", "0", "17.00", "1e5", "0.1", "-12.5000", "123456789012345678901234",
    "18446744073709551615", "-9223372036854775809", "3.14159265358979323846", "1.",
    "01", "-", "1e", "+1", ".5", "\"abc\"", "\"\"", "\"a\\\"b\"", "\"\\u00e9\"",
    "\"\\ud83d\\ude00\"", "\"\\ud800\"", "\"\\uDC00x\"", "\"\\u12g4\"", "\"\\q\"",
    "\"tab\there\"", "\"0123456789abcdef0123456789\"", "\"nag integrate quickly use e\"",
    "true", "false", "null", "nul", "tru", "{\"x\":[1,2,{\"y\":null}]}", "[]", "{}",
    "[1,\"]\",{\"}\":2}]", "{\"a\":}", "\"\xff\xfe\"", "1.5E+300", "1e400", "-1e-400",
    "0.0001", "0.00001", "0.000", "-0.50", "-0", "0", "00", "0.", "1234567890123456.5",
    "12345678901234567", "123456789012345.0", "9999999999999999", "99999999999999999.0",
    "0.1234567890123456", "0.123456789012345", "100.00", "1.0e2", "10E1", "-1.5e", "7.",
    "1234567890123456789", "-1234567890123456789", "12345678901234567890", "20668.20",
};

static void put_ws(sl_buf *b)
{
    static const char *const ws[] = {"", "", "", "", " ", "\n", "\t ", "\r\n  "};
    sl_buf_puts(b, ws[rnd(SL_COUNT(ws))]);
}

/* A row object: usually the template's keys in order, sometimes shuffled, dropped, repeated
 * or joined by others; then perhaps a byte mutation. */
static void gen_row(sl_buf *b, const uint32_t *tmpl, size_t n_tmpl)
{
    uint32_t order[32];
    size_t n = 0;
    for (size_t i = 0; i < n_tmpl; i++) {
        if (rnd(20) == 0)
            continue;                     /* missing */
        order[n++] = tmpl[i];
        if (rnd(40) == 0 && n < 31)
            order[n++] = rnd(SL_COUNT(keys_pool)); /* extra or repeated */
    }
    if (rnd(10) == 0 && n > 1) { /* another order */
        uint32_t i = rnd((uint32_t)n), j = rnd((uint32_t)n), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    sl_buf_putc(b, '{');
    for (size_t i = 0; i < n; i++) {
        put_ws(b);
        sl_buf_puts(b, keys_pool[order[i]]);
        put_ws(b);
        sl_buf_putc(b, ':');
        put_ws(b);
        sl_buf_puts(b, values_pool[rnd(4) ? rnd(10) + 17 : rnd(SL_COUNT(values_pool))]);
        put_ws(b);
        if (i + 1 < n)
            sl_buf_putc(b, ',');
    }
    sl_buf_putc(b, '}');
    if (rnd(8) == 0 && b->len > 2) { /* mutate one byte: replace, delete or insert */
        static const char bytes[] = "{}[]\",:\\ a1.-e\x01";
        size_t at = 1 + rnd((uint32_t)(b->len - 1));
        switch (rnd(3)) {
        case 0: b->p[at] = bytes[rnd(sizeof bytes - 1)]; break;
        case 1: memmove(b->p + at, b->p + at + 1, b->len - at - 1), b->len--; break;
        default: b->p[at - 1] = bytes[rnd(sizeof bytes - 1)]; break;
        }
    }
}

static void same_slice(sl_slice a, sl_slice b, const char *what, long row, uint32_t f)
{
    cr_assert(eq(int, a.p == NULL, b.p == NULL), "%s %u of row %ld: NULL differs", what, f, row);
    cr_assert(eq(sz, a.n, b.n), "%s %u of row %ld: length differs", what, f, row);
    if (a.n)
        cr_assert(eq(int, memcmp(a.p, b.p, a.n), 0), "%s %u of row %ld differs", what, f, row);
}

/* Parse row p[0..n) both ways (final or not) and compare everything. */
static bool num_as_string;

static void compare_row(sl__json_keys *k, sl_arena_t *scratch, const char *p, size_t n,
                        bool final, long row_no)
{
    sl_rawbatch g = {0}, f = {0};
    cr_assert(eq(int, sl_rawbatch_keyed(&f, k->gen), SL_OK));
    sl__json_cur cg = {p, p + n, final, num_as_string, SL__JSON_OK, scratch};
    sl__json_cur cf = cg;
    bool okg = sl__json_row(&cg, &g), okf = sl__json_row_keyed(&cf, k, &f);
    cr_assert(eq(int, okf, okg), "row %ld: result differs: %.*s", row_no, (int)n, p);
    cr_assert(eq(int, cf.err, cg.err), "row %ld: error differs: %.*s", row_no, (int)n, p);
    cr_assert(eq(sz, (size_t)(cf.p - p), (size_t)(cg.p - p)), "row %ld: position differs: %.*s",
              row_no, (int)n, p);
    cr_assert(eq(sz, f.n_fields, g.n_fields), "row %ld: field count differs", row_no);
    if (getenv("SL_TEST_VERBOSE"))
        fprintf(stderr, "row %ld (%s): %.*s\n", row_no, final ? "final" : "cut", (int)n, p);
    for (uint32_t i = 0; i < g.n_fields; i++) {
        same_slice(f.names[i], g.names[i], "name", row_no, i);
        same_slice(f.fields[i], g.fields[i], "value", row_no, i);
        uint32_t id = f.ids[i];
        if (id == SL_KEY_NONE) { /* only for keys the dictionary cannot hold */
            cr_assert(f.names[i].n > SL__JSON_MAX_KEY_LEN || k->n == SL__JSON_MAX_KEYS);
            continue;
        }
        cr_assert(lt(u32, id, k->n));
        same_slice(k->name[id], f.names[i], "id's name", row_no, i);
    }
    sl_rawbatch_free(&g);
    sl_rawbatch_free(&f);
}

static void differential(uint64_t seed, int rows)
{
    rng_state = seed;
    sl_arena_t conf, scratch;
    sl_arena_init(&conf, 4096);
    sl_arena_init(&scratch, 4096);
    sl__json_keys *k = sl_arena_alloc(&conf, sizeof *k);
    cr_assert(not(eq(ptr, k, NULL)));
    sl__json_keys_init(k, &conf);
    k->gen = 1;
    uint32_t tmpl[16];
    size_t n_tmpl = 1 + rnd(12);
    for (size_t i = 0; i < n_tmpl; i++)
        tmpl[i] = rnd(SL_COUNT(keys_pool));
    for (long r = 0; r < rows; r++) {
        sl_buf b = SL_BUF_INIT;
        if (rnd(500) == 0) /* the file's key set changes */
            for (size_t i = 0; i < n_tmpl; i++)
                tmpl[i] = rnd(SL_COUNT(keys_pool));
        gen_row(&b, tmpl, n_tmpl);
        cr_assert(not(b.oom));
        char *copy = sl_malloc(b.len ? b.len : 1); /* exact size: ASan sees any over-read */
        memcpy(copy, b.p, b.len);
        compare_row(k, &scratch, copy, b.len, true, r);
        if (rnd(4) == 0) { /* the record cut short: incomplete (or the same error) both ways */
            size_t cut = 1 + rnd((uint32_t)b.len);
            compare_row(k, &scratch, copy, cut, false, r);
            compare_row(k, &scratch, copy, cut, true, r);
        }
        sl_free(copy);
        sl_buf_free(&b);
        sl_arena_reset(&scratch);
    }
    sl_arena_free(&scratch);
    sl_arena_free(&conf);
}

Test(json_fast, keyed_row_matches_general_row, .timeout = 60)
{
    for (uint64_t seed = 1; seed <= 20; seed++) {
        num_as_string = seed % 4 == 0;
        differential(seed * 0x2545F4914F6CDD1Du, 2000);
    }
    num_as_string = false;
}

/* The prediction itself: a second row in the same order is matched by memcmp and still gets
 * the right ids; a key that is a prefix or an extension of the predicted one is not taken for
 * it; an escaped spelling of a known key gets that key's id. */
Test(json_fast, predicted_keys)
{
    sl_arena_t conf, scratch;
    sl_arena_init(&conf, 4096);
    sl_arena_init(&scratch, 4096);
    sl__json_keys *k = sl_arena_alloc(&conf, sizeof *k);
    sl__json_keys_init(k, &conf);
    k->gen = 7;
    static const char *const rows[] = {
        "{\"ab\":1,\"cd\":\"x\"}",
        "{\"ab\":2,\"cd\":\"y\"}",
        "{\"a\":3,\"cde\":\"z\"}",
        "{\"a\\u0062\":4,\"c\\u0064\":5}",
        "{\"ab\":6,\"cd\":7}",
    };
    static const uint32_t want[][2] = {{0, 1}, {0, 1}, {2, 3}, {0, 1}, {0, 1}};
    for (size_t r = 0; r < SL_COUNT(rows); r++) {
        sl_rawbatch rb = {0};
        cr_assert(eq(int, sl_rawbatch_keyed(&rb, k->gen), SL_OK));
        sl__json_cur c = {rows[r], rows[r] + strlen(rows[r]), true, false, SL__JSON_OK, &scratch};
        cr_assert(sl__json_row_keyed(&c, k, &rb));
        cr_assert(eq(sz, rb.n_fields, (size_t)2));
        cr_assert(eq(u32, rb.ids[0], want[r][0]), "row %zu", r);
        cr_assert(eq(u32, rb.ids[1], want[r][1]), "row %zu", r);
        cr_assert(eq(u64, rb.ids_gen, (uint64_t)7));
        sl_rawbatch_free(&rb);
    }
    cr_assert(eq(u32, k->n, 4));
    cr_assert(eq(int, k->raw[0], 1));
    sl_arena_free(&scratch);
    sl_arena_free(&conf);
}

/* Through the whole decoder: every row's fields carry ids of one numbering, and a positional
 * field added by another decoder path (named_field) reads as SL_KEY_NONE. */
Test(json_fast, decoder_sets_ids)
{
    sl_decode_opts o;
    sl_decode_opts_default(&o);
    o.read_json_by_line = true;
    struct json_state st;
    sl_err err = {0};
    sl_rawbatch rb = {0};
    cr_assert(eq(int, json_open(&st, &o, &err), SL_OK));
    const char body[] = "{\"a\":1,\"b\":2}\n{\"b\":3,\"a\":4}\n{\"c\":5}\n";
    cr_assert(eq(int, json_push(&st, body, sizeof body - 1, &rb), SL_AGAIN));
    cr_assert(eq(sz, rb.n_rows, (size_t)3));
    cr_assert(not(eq(u64, rb.ids_gen, (uint64_t)0)));
    static const uint32_t want[] = {0, 1, 1, 0, 2};
    for (size_t i = 0; i < SL_COUNT(want); i++)
        cr_assert(eq(u32, rb.ids[i], want[i]), "field %zu", i);
    cr_assert(eq(int, sl_rawbatch_named_field(&rb, SL_LIT("z"), SL_LIT("9")), SL_OK));
    cr_assert(eq(u32, rb.ids[5], SL_KEY_NONE));
    json_close(&st);
    sl_rawbatch_free(&rb);
}
