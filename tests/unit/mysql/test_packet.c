/*
 * test_packet.c - unit tests of the MySQL packet codec (src/mysql/packet.c): framing of
 * logical packets (one piece, several 16 MiB pieces, incomplete input fed byte by byte, the
 * size limit before the bytes arrive, sequence ids), length-encoded integers, the handshake
 * response and the SSL request, and the replies the server writes (greeting, OK, ERR, EOF,
 * column definitions, rows, auth switch), compared byte for byte with the protocol's layouts.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/mysql/packet.c"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>

static sl_buf scratch = SL_BUF_INIT;

static void teardown(void)
{
    sl_buf_free(&scratch);
}

TestSuite(packet, .fini = teardown);

Test(packet, one_piece_and_incomplete_input)
{
    const uint8_t in[] = {5, 0, 0, 0, 3, 'S', 'E', 'L', 'x', 9, 9};
    sl_my_packet pkt;
    size_t used = 0;
    for (size_t n = 0; n < 9; n++) /* every prefix is "more, please", and consumes nothing */
        cr_assert(eq(int, sl_my_frame(in, n, 100, &scratch, &pkt, &used), SL_AGAIN), "%zu", n);
    cr_assert(eq(int, sl_my_frame(in, sizeof in, 100, &scratch, &pkt, &used), SL_OK));
    cr_assert(eq(sz, used, 9));
    cr_assert(eq(sz, pkt.n, 5));
    cr_assert(pkt.p == in + 4); /* borrowed */
    cr_assert(eq(int, pkt.seq, 0));
    cr_assert(eq(int, pkt.next_seq, 1));
    cr_assert(eq(int, sl_my_frame(in, 9, 4, &scratch, &pkt, &used), SL_TOO_LARGE));
}

Test(packet, pieces_are_joined_and_bounded_before_they_arrive)
{
    size_t big = SL_MY_PIECE, total = 2 * (4 + big) + 4 + 3;
    uint8_t *in = malloc(total);
    cr_assert(in != NULL);
    uint8_t *q = in;
    for (int k = 0; k < 2; k++) {
        q[0] = q[1] = q[2] = 0xff, q[3] = (uint8_t)(7 + k);
        memset(q + 4, 'a' + k, big);
        q += 4 + big;
    }
    q[0] = 3, q[1] = q[2] = 0, q[3] = 9, q[4] = q[5] = q[6] = 'z';
    sl_my_packet pkt;
    size_t used;
    cr_assert(eq(int, sl_my_frame(in, total, 3 * big, &scratch, &pkt, &used), SL_OK));
    cr_assert(eq(sz, used, total));
    cr_assert(eq(sz, pkt.n, 2 * big + 3));
    cr_assert(eq(int, pkt.seq, 7));
    cr_assert(eq(int, pkt.next_seq, 10));
    cr_assert(pkt.p[0] == 'a' && pkt.p[big] == 'b' && pkt.p[2 * big + 2] == 'z');
    /* the limit is known from the second header: refused with only 4 + big + 4 bytes here */
    cr_assert(eq(int, sl_my_frame(in, 4 + big + 4, big + 10, &scratch, &pkt, &used),
                 SL_TOO_LARGE));
    /* a continuation piece out of sequence */
    in[4 + big + 3] = 42;
    cr_assert(eq(int, sl_my_frame(in, total, 3 * big, &scratch, &pkt, &used), SL_INVALID));
    free(in);
}

Test(packet, writing_splits_long_payloads_and_framing_reads_them_back)
{
    sl_my_out o;
    sl_my_out_init(&o, 3, 0);
    size_t n = 2 * SL_MY_PIECE + 5;
    sl_my_begin(&o);
    for (size_t i = 0; i < n; i++)
        sl_buf_putc(&o.b, (char)(i % 251));
    sl_my_end(&o);
    sl_my_ok(&o, 0, 0, 2, 0, NULL); /* and a packet after it */
    cr_assert(not(o.b.oom));
    cr_assert(eq(int, o.seq, 7));   /* three pieces (3, 4, 5), then the OK (6) */
    sl_my_packet pkt;
    size_t used;
    cr_assert(eq(int, sl_my_frame((uint8_t *)o.b.p, o.b.len, n, &scratch, &pkt, &used), SL_OK));
    cr_assert(eq(sz, pkt.n, n));
    cr_assert(eq(int, pkt.seq, 3));
    for (size_t i = 0; i < n; i += 4099)
        cr_assert(eq(int, pkt.p[i], (int)(i % 251)), "%zu", i);
    cr_assert(eq(int, pkt.p[n - 1], (int)((n - 1) % 251)));
    cr_assert(eq(int, sl_my_frame((uint8_t *)o.b.p + used, o.b.len - used, 100, &scratch, &pkt,
                                  &used), SL_OK));
    cr_assert(eq(int, pkt.seq, 6));
    cr_assert(eq(int, pkt.p[0], 0));
    sl_my_out_free(&o);
    /* exactly one piece long: an empty piece follows */
    sl_my_out_init(&o, 0, 0);
    sl_my_begin(&o);
    for (size_t i = 0; i < SL_MY_PIECE; i++)
        sl_buf_putc(&o.b, 'q');
    sl_my_end(&o);
    cr_assert(eq(sz, o.b.len, 4 + SL_MY_PIECE + 4));
    cr_assert(eq(int, memcmp(o.b.p + 4 + SL_MY_PIECE, "\0\0\0\1", 4), 0));
    sl_my_out_free(&o);
}

Test(packet, lenenc_round_trip)
{
    const uint64_t vals[] = {0, 250, 251, 65535, 65536, 0xffffff, 0x1000000, UINT64_MAX};
    for (size_t i = 0; i < SL_COUNT(vals); i++) {
        sl_my_out o;
        sl_my_out_init(&o, 0, 0);
        sl_my_put_lenenc(&o, vals[i]);
        const uint8_t *p = (const uint8_t *)o.b.p, *end = p + o.b.len;
        uint64_t v;
        cr_assert(sl_my_get_lenenc(&p, end, &v));
        cr_assert(eq(u64, v, vals[i]));
        cr_assert(p == end);
        const uint8_t *q = (const uint8_t *)o.b.p;
        cr_assert(o.b.len == 1 || !sl_my_get_lenenc(&q, end - 1, &v)); /* truncated */
        sl_my_out_free(&o);
    }
    const uint8_t null[] = {0xfb}, *p = null;
    uint64_t v;
    cr_assert(not(sl_my_get_lenenc(&p, null + 1, &v)));
}

/* A HandshakeResponse41 as the mysql client sends it. */
static size_t hello(uint8_t *b, uint32_t caps, const char *user, const char *auth, size_t an,
                    const char *db, const char *plugin)
{
    memset(b, 0, 32);
    b[0] = (uint8_t)caps, b[1] = (uint8_t)(caps >> 8), b[2] = (uint8_t)(caps >> 16);
    b[3] = (uint8_t)(caps >> 24);
    b[8] = 45;
    size_t n = 32;
    memcpy(b + n, user, strlen(user) + 1), n += strlen(user) + 1;
    b[n++] = (uint8_t)an;
    memcpy(b + n, auth, an), n += an;
    if (db)
        memcpy(b + n, db, strlen(db) + 1), n += strlen(db) + 1;
    if (plugin)
        memcpy(b + n, plugin, strlen(plugin) + 1), n += strlen(plugin) + 1;
    return n;
}

#define CAPS41 (SL_MY_CLIENT_PROTOCOL_41 | SL_MY_CLIENT_SECURE_CONNECTION)

Test(packet, handshake_response)
{
    uint8_t b[200];
    sl_my_hello h;
    sl_err err = {0};
    uint32_t caps = CAPS41 | SL_MY_CLIENT_CONNECT_WITH_DB | SL_MY_CLIENT_PLUGIN_AUTH;
    size_t n = hello(b, caps, "root", "01234567890123456789", 20, "test", "mysql_native_password");
    cr_assert(eq(int, sl_my_parse_hello(b, n, &h, &err), SL_OK), "%s", err.msg);
    cr_assert(sl_slice_eq(h.user, "root"));
    cr_assert(eq(sz, h.auth.n, 20));
    cr_assert(sl_slice_eq(h.db, "test"));
    cr_assert(sl_slice_eq(h.plugin, "mysql_native_password"));
    cr_assert(eq(int, h.charset, 45));
    cr_assert(not(h.ssl_request));
    /* optional parts may stop early */
    n = hello(b, caps, "u", "", 0, NULL, NULL);
    cr_assert(eq(int, sl_my_parse_hello(b, n, &h, &err), SL_OK));
    cr_assert(h.db.p == NULL && h.plugin.p == NULL && h.auth.n == 0);
    /* every truncation of a full one is refused or parses a prefix, never reads past n */
    n = hello(b, caps, "root", "01234567890123456789", 20, "test", "mysql_native_password");
    for (size_t k = 0; k < n; k++) {
        uint8_t *copy = malloc(k ? k : 1);
        memcpy(copy, b, k);
        sl_err e = {0};
        sl_code rc = sl_my_parse_hello(copy, k, &h, &e);
        cr_assert(rc == SL_OK || rc == SL_INVALID);
        free(copy);
    }
    cr_assert(eq(int, sl_my_parse_hello(b, 36, &h, &(sl_err){0}), SL_INVALID)); /* user cut */
}

Test(packet, ssl_request_and_old_clients)
{
    uint8_t b[64] = {0};
    sl_my_hello h;
    sl_err err = {0};
    uint32_t caps = CAPS41 | SL_MY_CLIENT_SSL;
    b[0] = (uint8_t)caps, b[1] = (uint8_t)(caps >> 8);
    cr_assert(eq(int, sl_my_parse_hello(b, 32, &h, &err), SL_OK));
    cr_assert(h.ssl_request);
    b[1] = 0; /* without PROTOCOL_41 / SECURE_CONNECTION */
    cr_assert(eq(int, sl_my_parse_hello(b, 32, &h, &err), SL_INVALID));
    cr_assert(eq(str, err.msg, "client does not speak protocol 4.1"));
    cr_assert(eq(int, sl_my_parse_hello(b, 31, &h, &(sl_err){0}), SL_INVALID));
}

/* The bytes of o from offset, as a string of hex pairs (headers included). */
static void expect_bytes(const sl_my_out *o, const uint8_t *want, size_t n)
{
    cr_assert(eq(sz, o->b.len, n));
    for (size_t i = 0; i < n; i++)
        cr_assert(eq(int, (uint8_t)o->b.p[i], want[i]), "byte %zu", i);
}

Test(packet, replies_byte_for_byte)
{
    sl_my_out o;
    sl_my_out_init(&o, 1, 0);
    sl_my_ok(&o, 300, 0, 2, 1, NULL);
    const uint8_t ok[] = {9, 0, 0, 1, 0, 0xfc, 0x2c, 0x01, 0, 2, 0, 1, 0};
    expect_bytes(&o, ok, sizeof ok);
    sl_my_out_free(&o);

    sl_my_out_init(&o, 1, 0);
    sl_my_err(&o, 1049, "42000", "Unknown database 'x'");
    cr_assert(eq(sz, o.b.len, 4 + 1 + 2 + 6 + 20));
    cr_assert(eq(int, memcmp(o.b.p + 4, "\xff\x19\x04#42000Unknown database 'x'", 29), 0));
    sl_my_out_free(&o);

    sl_my_out_init(&o, 2, 0);
    sl_my_col c = {SL_LIT("db"), SL_LIT("t"), SL_LIT("id"), SL_MY_CHARSET_BINARY, 11,
                   SL_MY_TYPE_LONG, SL_MY_FLAG_NUM, 0, false};
    sl_my_meta(&o, &c, 1);
    sl_my_meta_end(&o, 2);
    sl_my_row_begin(&o);
    sl_my_cell(&o, "7", 1);
    sl_my_cell(&o, NULL, 0);
    sl_my_end(&o);
    sl_my_rows_end(&o, 0, 2);
    const uint8_t rs[] = {1, 0, 0, 2, 1,                                   /* 1 column */
                          30, 0, 0, 3, 3, 'd', 'e', 'f', 2, 'd', 'b', 1, 't', 1, 't', 2, 'i',
                          'd', 2, 'i', 'd', 0x0c, 63, 0, 11, 0, 0, 0, 3, 0, 0x80, 0, 0, 0,
                          5, 0, 0, 4, 0xfe, 0, 0, 2, 0,                    /* EOF */
                          3, 0, 0, 5, 1, '7', 0xfb,                        /* row */
                          5, 0, 0, 6, 0xfe, 0, 0, 2, 0};                   /* EOF */
    expect_bytes(&o, rs, sizeof rs);
    sl_my_out_free(&o);

    /* DEPRECATE_EOF clients: no EOF after the columns, an OK with 0xfe after the rows */
    sl_my_out_init(&o, 1, SL_MY_CLIENT_DEPRECATE_EOF);
    sl_my_meta_end(&o, 2);
    cr_assert(eq(sz, o.b.len, 0));
    sl_my_rows_end(&o, 0, 2);
    const uint8_t end[] = {7, 0, 0, 1, 0xfe, 0, 0, 2, 0, 0, 0};
    expect_bytes(&o, end, sizeof end);
    sl_my_out_free(&o);
}

Test(packet, greeting_and_auth_switch)
{
    uint8_t scr[20];
    for (int i = 0; i < 20; i++)
        scr[i] = (uint8_t)('A' + i);
    sl_my_out o;
    sl_my_out_init(&o, 0, 0);
    uint32_t caps = CAPS41 | SL_MY_CLIENT_PLUGIN_AUTH | SL_MY_CLIENT_SSL;
    sl_my_greeting(&o, "5.7.99", 77, scr, caps, 2);
    const uint8_t *p = (const uint8_t *)o.b.p + 4;
    cr_assert(eq(int, p[0], 10));
    cr_assert(strcmp((const char *)p + 1, "5.7.99") == 0);
    p += 1 + 7;
    cr_assert(eq(int, p[0], 77));
    cr_assert(eq(int, memcmp(p + 4, scr, 8), 0));
    cr_assert(eq(int, p[12], 0));
    cr_assert(eq(int, p[13] | p[14] << 8, (int)(caps & 0xffff)));
    cr_assert(eq(int, p[15], 45));
    cr_assert(eq(int, p[18] | p[19] << 8, (int)(caps >> 16)));
    cr_assert(eq(int, p[20], 21));
    cr_assert(eq(int, memcmp(p + 31, scr + 8, 12), 0));
    cr_assert(strcmp((const char *)p + 44, "mysql_native_password") == 0);
    cr_assert(eq(sz, o.b.len, 4 + (size_t)(p + 44 + 22 - ((const uint8_t *)o.b.p + 4))));
    sl_my_out_free(&o);

    sl_my_out_init(&o, 2, 0);
    sl_my_auth_switch(&o, scr);
    cr_assert(eq(int, o.b.p[3], 2));
    cr_assert(eq(int, memcmp(o.b.p + 4, "\xfemysql_native_password\0", 23), 0));
    cr_assert(eq(int, memcmp(o.b.p + 27, scr, 20), 0));
    sl_my_out_free(&o);
}

/* ---- streamed replies: sl_my_flush and sl_my_out_recover ------------------------------------ */

typedef struct sink {
    sl_buf got;                /* every piece handed over, in order */
    int pieces;
    sl_code answer;            /* what the flush function returns */
} sink;

static sl_code take(void *arg, const char *p, size_t n)
{
    sink *k = arg;
    if (k->answer != SL_OK)
        return k->answer;
    sl_buf_append(&k->got, p, n);
    k->pieces++;
    return SL_OK;
}

/* Read the packets of p[0..n) back: their count, and the sequence ids consecutive from seq. */
static int packets_from(const uint8_t *p, size_t n, uint8_t seq, uint8_t *last_first_byte)
{
    int count = 0;
    sl_buf sc = SL_BUF_INIT;
    while (n) {
        sl_my_packet pkt;
        size_t used = 0;
        cr_assert(eq(int, sl_my_frame(p, n, 1u << 30, &sc, &pkt, &used), SL_OK));
        cr_assert(eq(int, pkt.seq, seq), "packet %d", count);
        seq = pkt.next_seq;
        *last_first_byte = pkt.n ? pkt.p[0] : 0;
        p += used, n -= used, count++;
    }
    sl_buf_free(&sc);
    return count;
}

Test(packet, flush_hands_over_whole_packets_and_sequence_ids_go_on)
{
    sink k = {SL_BUF_INIT, 0, SL_OK};
    sl_my_out o;
    sl_my_out_init(&o, 1, 0);
    cr_assert(eq(int, sl_my_flush(&o), SL_OK)); /* no flush function: nothing happens */
    o.flush = take, o.flush_arg = &k;
    sl_my_col col = {SL_LIT("db"), SL_LIT(""), SL_LIT("x"), 45, 10, SL_MY_TYPE_VAR_STRING, 0, 0,
                     false};
    sl_my_meta(&o, &col, 1);
    sl_my_meta_end(&o, 0);
    for (int r = 0; r < 300; r++) { /* 300 rows: the sequence ids wrap past 255 */
        char cell[16];
        int n = snprintf(cell, sizeof cell, "row%d", r);
        sl_my_row_begin(&o);
        cr_assert(eq(int, sl_my_flush(&o), SL_INTERNAL)); /* never inside a packet */
        sl_my_cell(&o, cell, (size_t)n);
        sl_my_end(&o);
        if (r % 7 == 0) {
            cr_assert(eq(int, sl_my_flush(&o), SL_OK));
            cr_assert(eq(sz, o.b.len, 0));
            cr_assert(o.sent);
            cr_assert(eq(int, o.sent_seq, o.seq));
        }
    }
    sl_my_rows_end(&o, 0, 2);
    sl_buf_append(&k.got, o.b.p, o.b.len); /* what the connection sends at the end */
    uint8_t last = 0;
    /* count, definition, EOF, 300 rows, EOF: one stream, as if built whole */
    cr_assert(eq(int, packets_from((const uint8_t *)k.got.p, k.got.len, 1, &last), 304));
    cr_assert(eq(int, last, 0xfe));
    cr_assert(eq(int, k.pieces, 43));
    sl_my_out_free(&o);
    sl_buf_free(&k.got);
}

Test(packet, an_err_after_rows_went_out_follows_them)
{
    sink k = {SL_BUF_INIT, 0, SL_OK};
    sl_my_out o;
    sl_my_out_init(&o, 1, SL_MY_CLIENT_DEPRECATE_EOF);
    o.flush = take, o.flush_arg = &k;
    sl_my_row_begin(&o);
    sl_my_cell(&o, "a", 1);
    sl_my_end(&o);
    cr_assert(eq(int, sl_my_flush(&o), SL_OK));
    sl_my_row_begin(&o); /* a whole row still in b, then a failure inside the next one */
    sl_my_cell(&o, "b", 1);
    sl_my_end(&o);
    sl_my_row_begin(&o);
    sl_my_cell(&o, "c", 1);
    sl_my_out_recover(&o, 1);
    cr_assert(eq(sz, o.b.len, 6)); /* the open row is gone, the whole one stays */
    sl_my_err(&o, 1105, NULL, "boom");
    sl_buf_append(&k.got, o.b.p, o.b.len);
    uint8_t last = 0;
    cr_assert(eq(int, packets_from((const uint8_t *)k.got.p, k.got.len, 1, &last), 3));
    cr_assert(eq(int, last, 0xff));
    /* out of memory: b goes, and the ERR takes the sequence id after the last piece sent */
    sl_my_row_begin(&o);
    o.b.oom = true;
    cr_assert(eq(int, sl_my_flush(&o), SL_NOMEM));
    sl_my_out_recover(&o, 1);
    cr_assert(eq(sz, o.b.len, 0));
    cr_assert(eq(int, o.seq, 2));
    sl_my_out_free(&o);
    sl_buf_free(&k.got);
}

Test(packet, a_gone_client_keeps_the_bytes_unsent)
{
    sink k = {SL_BUF_INIT, 0, SL_NETWORK};
    sl_my_out o;
    sl_my_out_init(&o, 1, 0);
    o.flush = take, o.flush_arg = &k;
    sl_my_ok(&o, 0, 0, 2, 0, NULL);
    cr_assert(eq(int, sl_my_flush(&o), SL_NETWORK));
    cr_assert(not(o.sent));
    cr_assert(eq(int, k.pieces, 0));
    sl_my_out_free(&o);
    sl_buf_free(&k.got);
}
