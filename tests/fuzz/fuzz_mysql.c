/*
 * fuzz_mysql.c - libFuzzer target for the MySQL packet layer (src/mysql/packet.c).
 *
 * The input is a byte stream as a client would send it. The first byte picks a read size; the
 * rest arrives in reads of that size and is framed the way server.c frames it: a growing buffer,
 * sl_my_frame until SL_AGAIN, under a small max so the limit path runs too. Every logical
 * packet is read as a handshake response and walked as length-encoded integers, then written
 * back through sl_my_out (split into pieces when long) and framed again: the round trip must
 * give the same payload. Must never crash, hang, leak or read out of bounds.
 * Seeds: tests/data/corpus/mysql/ (handshake responses, an SSL request, commands).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../src/core/platform.h"

#include <stdlib.h>
#include <string.h>

#include "../../src/mysql/mysql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PAYLOAD (1u << 20)

static void round_trip(const sl_my_packet *pkt)
{
    sl_my_out o;
    sl_buf scratch = SL_BUF_INIT;
    sl_my_out_init(&o, pkt->seq, 0);
    sl_my_begin(&o);
    sl_my_put_raw(&o, pkt->p, pkt->n);
    sl_my_end(&o);
    sl_my_packet back;
    size_t used = 0;
    if (!o.b.oom) {
        if (sl_my_frame((const uint8_t *)o.b.p, o.b.len, MAX_PAYLOAD, &scratch, &back, &used) !=
                SL_OK ||
            used != o.b.len || back.n != pkt->n || back.seq != pkt->seq ||
            (pkt->n && memcmp(back.p, pkt->p, pkt->n) != 0))
            abort();
    }
    sl_buf_free(&scratch);
    sl_my_out_free(&o);
}

static void read_packet(const sl_my_packet *pkt)
{
    sl_my_hello h;
    sl_err err = {0};
    if (sl_my_parse_hello(pkt->p, pkt->n, &h, &err) == SL_OK && !h.ssl_request) {
        const uint8_t *end = pkt->p + pkt->n;
        if ((const uint8_t *)h.user.p < pkt->p || (const uint8_t *)h.user.p + h.user.n > end ||
            (const uint8_t *)h.auth.p + h.auth.n > end)
            abort();
    }
    const uint8_t *p = pkt->p, *end = pkt->p + pkt->n;
    uint64_t v;
    while (p < end && sl_my_get_lenenc(&p, end, &v))
        if (p > end)
            abort();
    round_trip(pkt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = (size_t)data[0] % 64 + 1;
    data++, size--;
    sl_buf in = SL_BUF_INIT, scratch = SL_BUF_INIT;
    size_t pos = 0, fed = 0;
    bool stop = false;
    while (fed < size && !stop) {
        size_t n = size - fed < step ? size - fed : step;
        sl_buf_append(&in, data + fed, n);
        fed += n;
        for (;;) {
            sl_my_packet pkt;
            size_t used = 0;
            sl_code rc = sl_my_frame((const uint8_t *)in.p + pos, in.len - pos, 4096, &scratch,
                                     &pkt, &used);
            if (rc == SL_AGAIN)
                break;
            if (rc != SL_OK) { /* too large or out of sequence: the server closes */
                stop = true;
                break;
            }
            if (used == 0 || used > in.len - pos)
                abort();
            pos += used;
            read_packet(&pkt);
        }
    }
    sl_buf_free(&in);
    sl_buf_free(&scratch);
    return 0;
}
