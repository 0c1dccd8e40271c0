/* Unit tests of src/load/mapper.c: records mapped column by column (map_block, the canonical
 * cells through sl_convert_fast) give the same typed rows and the same error rows as records
 * mapped one by one (map_row), for CSV (positional) and JSON (named) records.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "load/internal.h"
#include "sql/sql.h"

static const char ddl[] =
    "CREATE TABLE t (k INT NOT NULL, a BIGINT, d DECIMAL(15,2), dt DATE, ts DATETIME, "
    "s VARCHAR(6), x STRING)";

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return *s;
}

/* One cell of column c: canonical mostly, now and then a spelling the slow path must take
 * (spaces, signs, other date forms, too long, not a number). */
static void cell(uint64_t *seed, size_t c, char *b, size_t cap)
{
    static const char *const odd[] = {" 7", "+3", "abc", "", "1e2", "2024-1-2", "20240102",
                                      "1.005", "toolongtext", "-0", "\\N"};
    uint64_t r = rnd(seed);
    if (r % 97 == 0) { /* about 7 % of the rows have at least one odd cell */
        snprintf(b, cap, "%s", odd[(r >> 8) % (sizeof odd / sizeof *odd)]);
        return;
    }
    switch (c) {
    case 0: case 1: snprintf(b, cap, "%lld", (long long)(r >> 20) % 2000000 - 1000000); break;
    case 2: snprintf(b, cap, "%lld.%02u", (long long)(r >> 20) % 100000, (unsigned)(r >> 8) % 100);
        break;
    case 3: snprintf(b, cap, "%04u-%02u-%02u", 1990 + (unsigned)(r >> 8) % 20,
                     1 + (unsigned)(r >> 16) % 12, 1 + (unsigned)(r >> 24) % 28);
        break;
    case 4: snprintf(b, cap, "2020-%02u-%02u %02u:%02u:%02u", 1 + (unsigned)(r >> 8) % 12,
                     1 + (unsigned)(r >> 16) % 28, (unsigned)(r >> 24) % 24,
                     (unsigned)(r >> 32) % 60, (unsigned)(r >> 40) % 60);
        break;
    case 5: snprintf(b, cap, "s%u", (unsigned)(r >> 8) % 1000); break;
    default: snprintf(b, cap, "text %u", (unsigned)(r >> 8)); break;
    }
}

static const char *const names[] = {"k", "a", "d", "dt", "ts", "s", "x"};

/* n records as CSV lines or JSON objects (a JSON record now and then lacks a key or has its
 * keys in another order). */
static char *body(size_t n, bool json, size_t *len)
{
    size_t cap = n * 256, at = 0;
    char *out = malloc(cap);
    uint64_t seed = 12345;
    for (size_t i = 0; i < n; i++) {
        bool rev = json && rnd(&seed) % 50 == 0, skip = json && rnd(&seed) % 60 == 0;
        at += (size_t)snprintf(out + at, cap - at, json ? "{" : "");
        for (size_t j = 0; j < 7; j++) {
            size_t c = rev ? 6 - j : j;
            char v[64];
            cell(&seed, c, v, sizeof v);
            if (json && skip && c == 1)
                continue;
            const char *sep = j == 0 || (json && skip && j == 2 && !rev) ? "" : ",";
            if (json)
                at += (size_t)snprintf(out + at, cap - at, "%s\"%s\":\"%s\"", sep, names[c], v);
            else
                at += (size_t)snprintf(out + at, cap - at, "%s%s", sep, v);
        }
        at += (size_t)snprintf(out + at, cap - at, json ? "}\n" : "\n");
    }
    *len = at;
    return out;
}

typedef struct sink {
    const sl_tabledef *def;
    char *text;
    size_t len, cap;
} sink;

/* Every flushed row as text: NULL flags and the datums of each column. */
static sl_code keep(void *arg, sl_batch *b)
{
    sink *k = arg;
    for (size_t r = 0; r < b->n_rows; r++)
        for (size_t c = 0; c < k->def->n_cols; c++) {
            if (k->cap - k->len < 128) {
                k->cap = k->cap * 2 + 4096;
                k->text = realloc(k->text, k->cap);
            }
            const sl_datum *v = &b->cols[c].v[r];
            uint8_t id = k->def->cols[c].type.id;
            char *o = k->text + k->len;
            size_t room = k->cap - k->len;
            if (b->cols[c].null[r])
                k->len += (size_t)snprintf(o, room, "N|");
            else if (id == SL_VARCHAR || id == SL_STRING)
                k->len += (size_t)snprintf(o, room, "%.*s|", (int)v->s.n, v->s.p);
            else if (id == SL_DECIMAL)
                k->len += (size_t)snprintf(o, room, "%lld|", (long long)v->w);
            else
                k->len += (size_t)snprintf(o, room, "%lld|", (long long)v->i);
        }
    sl_batch_clear(b);
    return SL_OK;
}

/* For the key-id tests: the `columns` header, and whether the mapper sees the decoder's key ids
 * (false: it looks every key up by name, as it does for decoders without ids). */
static const char *columns_hdr;
static bool hide_ids;

/* Map rb, with or without its key ids. */
static sl_code run(sl_mapper *m, sl_rawbatch *rb, sl_batch *b, sink *k, sl_err *err)
{
    uint32_t *ids = rb->ids;
    if (hide_ids)
        rb->ids = NULL;
    sl_code rc = sl__mapper_run(m, rb, b, keep, k, err);
    rb->ids = ids;
    return rc;
}

/* Load the body through a mapper, column by column allowed or not; returns the rows' text. */
static char *load(const sl_tabledef *def, const char *in, size_t n, bool json, bool strict,
                  bool fast, uint64_t *filtered, uint64_t *loaded)
{
    sl_load_spec spec;
    memset(&spec, 0, sizeof spec);
    sl_decode_opts_default(&spec.dopts);
    spec.format = json ? SL_LIT("json") : SL_LIT("csv");
    spec.dopts.col_sep[0] = ',';
    spec.dopts.read_json_by_line = json;
    spec.strict = strict;
    if (columns_hdr)
        spec.columns = sl_slice_of(columns_hdr);
    const sl_decoder_vtab *dec = sl_decoder_find(spec.format);
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_mapper m;
    sl_batch b;
    sl_rawbatch rb = {0};
    sl_err err = {0};
    void *state = calloc(1, dec->state_size);
    cr_assert(eq(int, sl__mapper_init(&m, def, &spec, &a, NULL, &err), SL_OK), "%s", err.msg);
    cr_assert(eq(int, sl_batch_init(&b, def), SL_OK));
    cr_assert(eq(int, dec->open(state, &spec.dopts, &err), SL_OK));
    cr_assert(m.fast || columns_hdr, "these loads may go column by column");
    m.fast = m.fast && fast;
    sink k = {def, NULL, 0, 0};
    for (size_t off = 0; off < n; off += 7777) { /* records cut across pushes */
        dec->push(state, in + off, n - off < 7777 ? n - off : 7777, &rb);
        cr_assert(eq(int, run(&m, &rb, &b, &k, &err), SL_OK), "%s", err.msg);
        sl_rawbatch_clear(&rb);
    }
    dec->finish(state, &rb);
    cr_assert(eq(int, run(&m, &rb, &b, &k, &err), SL_OK));
    keep(&k, &b);
    *filtered = m.filtered;
    *loaded = m.loaded;
    dec->close(state);
    free(state);
    sl_rawbatch_free(&rb);
    sl_batch_free(&b);
    sl_arena_free(&a);
    if (k.text == NULL)
        k.text = calloc(1, 1);
    k.text[k.len] = '\0';
    return k.text;
}

static void same_both_ways(bool json, bool strict)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_stmt stmt;
    sl_err err = {0};
    cr_assert(eq(int, sl_sql_parse(ddl, strlen(ddl), &a, &stmt, &err), SL_OK), "%s", err.msg);
    size_t n;
    char *in = body(20000, json, &n);
    uint64_t f1, f2, l1, l2;
    char *slow = load(stmt.table, in, n, json, strict, false, &f1, &l1);
    char *fast = load(stmt.table, in, n, json, strict, true, &f2, &l2);
    cr_assert(gt(u64, f1, 100), "the body has error rows");
    cr_assert(gt(u64, l1, 10000), "and good rows");
    cr_assert(eq(u64, f1, f2));
    cr_assert(eq(u64, l1, l2));
    size_t i = 0; /* the first difference, briefly (not the whole texts) */
    while (slow[i] && slow[i] == fast[i])
        i++;
    cr_assert(slow[i] == fast[i], "differ at %zu: '%.60s' vs '%.60s'", i, slow + (i > 30 ? i - 30 : 0),
              fast + (i > 30 ? i - 30 : 0));
    free(slow);
    free(fast);
    free(in);
    sl_arena_free(&a);
}

Test(mapper, csv_column_by_column_as_row_by_row) { same_both_ways(false, false); }
Test(mapper, csv_strict_column_by_column_as_row_by_row) { same_both_ways(false, true); }
Test(mapper, json_column_by_column_as_row_by_row) { same_both_ways(true, false); }
Test(mapper, json_strict_column_by_column_as_row_by_row) { same_both_ways(true, true); }

/* JSON keys through the decoder's key ids (resolved once per id) give exactly what looking each
 * key up by name gives: keys in other cases, unknown keys, and a key that names two sources
 * (`tmp`, `TMP`: find_src's answer then depends on the previous match). */
static char *keyed_body(size_t *len)
{
    static const char *const spell[][3] = {{"k", "K", "k"}, {"a", "A", "a"}, {"d", "D", "d"},
                                           {"dt", "DT", "Dt"}, {"ts", "ts", "TS"},
                                           {"s", "S", "s"}, {"x", "X", "x"}};
    size_t cap = 4000 * 300, at = 0;
    char *out = malloc(cap);
    uint64_t seed = 777;
    for (size_t i = 0; i < 4000; i++) {
        uint64_t r = rnd(&seed);
        at += (size_t)snprintf(out + at, cap - at, "{");
        for (size_t c = 0; c < 7; c++) {
            char v[64];
            cell(&seed, c, v, sizeof v);
            at += (size_t)snprintf(out + at, cap - at, "%s\"%s\":\"%s\"", c ? "," : "",
                                   spell[c][r % 23 == 0 ? 1 + (r >> 8) % 2 : 0], v);
            if (c == ((r >> 12) % 2 ? 1 : 3) && r % 5 == 0)
                at += (size_t)snprintf(out + at, cap - at, ",\"%s\":\"%u\"",
                                       r % 3 ? "tmp" : "zz", (unsigned)(r >> 16) % 9);
        }
        at += (size_t)snprintf(out + at, cap - at, "}\n");
    }
    *len = at;
    return out;
}

static void ids_as_names(bool fast, bool derived)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_stmt stmt;
    sl_err err = {0};
    cr_assert(eq(int, sl_sql_parse(ddl, strlen(ddl), &a, &stmt, &err), SL_OK), "%s", err.msg);
    size_t n;
    char *in = keyed_body(&n);
    uint64_t f1, f2, l1, l2;
    columns_hdr = derived ? "k, a, tmp, d, dt, ts, TMP, s0, x, s = concat(ifnull(tmp, 'n'), '/', "
                            "ifnull(TMP, 'N'))"
                          : "k, a, tmp, d, dt, ts, TMP, s, x";
    hide_ids = true;
    char *by_name = load(stmt.table, in, n, true, false, fast, &f1, &l1);
    hide_ids = false;
    char *by_id = load(stmt.table, in, n, true, false, fast, &f2, &l2);
    columns_hdr = NULL;
    cr_assert(gt(u64, l1, 3000));
    cr_assert(eq(u64, f1, f2));
    cr_assert(eq(u64, l1, l2));
    cr_assert(eq(str, by_id, by_name));
    if (derived) { /* the key that names two sources went to each of them in some rows (the
                    * expression shows only source tmp: both names bind to it) */
        size_t keyed = 0, to_tmp = 0;
        for (const char *p = in; (p = strstr(p, "\"tmp\"")) != NULL; p++)
            keyed++;
        for (const char *p = by_id; (p = strchr(p, '/')) != NULL; p++)
            to_tmp += p[-1] >= '0' && p[-1] <= '8' && p[1] == p[-1];
        cr_assert(gt(sz, to_tmp, 0));
        cr_assert(lt(sz, to_tmp, keyed));
    }
    free(by_name);
    free(by_id);
    free(in);
    sl_arena_free(&a);
}

Test(mapper, json_key_ids_as_names_by_column) { ids_as_names(true, false); }
Test(mapper, json_key_ids_as_names_by_row) { ids_as_names(false, false); }
Test(mapper, json_key_ids_as_names_ambiguous) { ids_as_names(true, true); }
