/*
 * stream.c - streamed replies: a handler writes its reply piece by piece while it produces it
 * (http stage; the producer's side and the hand-over to the loop).
 *
 *   end() on a worker:  sl_http_stream_begin -> sl_http_stream_write* -> return
 *        writes fill a block (SL__STREAM_BLOCK); a full block is framed as one chunk and handed
 *        over; while SL__STREAM_WINDOW bytes handed over are not yet written to the socket the
 *        producer waits (backpressure: memory stays at most window + block per reply)
 *   loop thread (server.c): woken by sl__http_stream_notify, takes the blocks
 *        (sl__stream_take), writes them, credits written bytes back (sl__stream_credit)
 *   after end() returns: the last partial block and the last chunk go out (server.c); a reply
 *        that never filled one block goes out as an ordinary reply with Content-Length
 *
 * Nothing is sent until the first block is handed over, so a handler that fails before that
 * can still answer with sl_http_respond (the stream is dropped). After it, the status line is
 * gone: an error ends the reply without its last chunk (the client sees a cut reply) and the
 * connection closes.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../core/mem.h"
#include "http.h"
#include "internal.h"

struct sl__stream {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    sl_buf cur;                 /* producer only: the payload of the block being filled */
    sl__sblock *head, *tail;    /* handed over, not taken by the loop yet (mu) */
    size_t unsent;              /* handed over, not yet written to the socket (mu) */
    uint64_t credits;           /* bumps on every credit: progress for the timeout (mu) */
    bool dead;                  /* the connection is gone or stalled (mu) */
    bool started;               /* a block was handed over: the head is out or going (mu) */
    bool aborted;               /* the handler gave up after the start */
    bool chunked;               /* HTTP/1.1: blocks are chunks; HTTP/1.0: raw, then close */
    uint32_t timeout_ms;        /* no progress for this long: the client is stalled */
};

static void stream_destroy(void *arg)
{
    sl__stream *st = arg;
    for (sl__sblock *b = st->head, *next; b; b = next) {
        next = b->next;
        sl_free(b);
    }
    sl_buf_free(&st->cur);
    pthread_cond_destroy(&st->cv);
    pthread_mutex_destroy(&st->mu);
}

sl_code sl_http_stream_begin(sl_http_req *r, int status, const char *content_type)
{
    if (r->_stream || r->responded)
        return SL_INTERNAL;
    sl__stream *st = sl_arena_alloc(&r->arena, sizeof *st);
    if (st == NULL)
        return SL_NOMEM;
    memset(st, 0, sizeof *st);
    if (pthread_mutex_init(&st->mu, NULL) != 0)
        return SL_NOMEM;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&st->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0) {
        pthread_mutex_destroy(&st->mu);
        return SL_NOMEM;
    }
    if (!sl_arena_on_reset(&r->arena, stream_destroy, st)) {
        stream_destroy(st);
        return SL_NOMEM;
    }
    st->chunked = r->http_minor >= 1;
    st->timeout_ms = sl__http_stream_timeout(r);
    r->status = status;
    r->content_type = content_type ? content_type : "text/plain";
    r->_stream = st;
    return SL_OK;
}

/* Frame cur as one block: "<hex>\r\n<payload>\r\n" (chunked) or the payload as it is. */
static sl__sblock *frame(sl__stream *st)
{
    char line[24];
    int k = st->chunked ? snprintf(line, sizeof line, "%zx\r\n", st->cur.len) : 0;
    size_t n = (size_t)k + st->cur.len + (st->chunked ? 2 : 0);
    sl__sblock *b = sl_malloc(sizeof *b + n);
    if (b == NULL)
        return NULL;
    b->next = NULL;
    b->n = n;
    memcpy(b->data, line, (size_t)k);
    memcpy(b->data + k, st->cur.p, st->cur.len);
    if (st->chunked)
        memcpy(b->data + k + st->cur.len, "\r\n", 2);
    sl_buf_clear(&st->cur);
    return b;
}

static void deadline_in(struct timespec *ts, uint32_t ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Hand the current block to the loop, waiting while the window is full. */
static sl_code hand_over(sl_http_req *r, sl__stream *st)
{
    sl__sblock *b = frame(st);
    if (b == NULL)
        return SL_NOMEM;
    pthread_mutex_lock(&st->mu);
    while (!st->dead && st->unsent > 0 && st->unsent + b->n > SL__STREAM_WINDOW) {
        uint64_t seen = st->credits;
        struct timespec ts;
        deadline_in(&ts, st->timeout_ms);
        int rc = 0;
        while (!st->dead && st->credits == seen && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&st->cv, &st->mu, &ts);
        if (rc == ETIMEDOUT && st->credits == seen)
            st->dead = true; /* no byte taken by the client for timeout_ms */
    }
    bool dead = st->dead;
    if (!dead) {
        if (st->tail)
            st->tail->next = b;
        else
            st->head = b;
        st->tail = b;
        st->unsent += b->n;
        st->started = true;
    }
    pthread_mutex_unlock(&st->mu);
    if (dead) {
        sl_free(b);
        return SL_NETWORK;
    }
    sl__http_stream_notify(r);
    return SL_OK;
}

sl_code sl_http_stream_write(sl_http_req *r, const void *p, size_t n)
{
    sl__stream *st = r->_stream;
    if (st == NULL || st->aborted)
        return SL_INTERNAL;
    sl_buf_append(&st->cur, p, n);
    if (st->cur.oom)
        return SL_NOMEM;
    if (st->cur.len < SL__STREAM_BLOCK)
        return SL_OK;
    return hand_over(r, st);
}

bool sl_http_stream_started(const sl_http_req *r)
{
    sl__stream *st = r->_stream;
    if (st == NULL)
        return false;
    pthread_mutex_lock(&st->mu);
    bool s = st->started;
    pthread_mutex_unlock(&st->mu);
    return s;
}

void sl_http_stream_abort(sl_http_req *r)
{
    sl__stream *st = r->_stream;
    if (st == NULL)
        return;
    if (!sl_http_stream_started(r)) { /* nothing left: the handler answers normally */
        sl_buf_clear(&st->cur);
        r->_stream = NULL;
        r->status = 0;
        return;
    }
    st->aborted = true;
    r->responded = true;
}

/* ---- the loop's side (server.c) ---------------------------------------------------------- */

sl__sblock *sl__stream_take(sl__stream *st)
{
    pthread_mutex_lock(&st->mu);
    sl__sblock *b = st->head;
    st->head = st->tail = NULL;
    pthread_mutex_unlock(&st->mu);
    return b;
}

void sl__stream_credit(sl__stream *st, size_t n)
{
    pthread_mutex_lock(&st->mu);
    st->unsent = st->unsent > n ? st->unsent - n : 0;
    st->credits++;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
}

void sl__stream_kill(sl__stream *st)
{
    pthread_mutex_lock(&st->mu);
    st->dead = true;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
}

sl__stream_end sl__stream_finish(sl__stream *st, sl_buf *whole)
{
    if (st->aborted)
        return SL__STREAM_CUT;
    pthread_mutex_lock(&st->mu);
    bool started = st->started, dead = st->dead;
    pthread_mutex_unlock(&st->mu);
    if (dead)
        return SL__STREAM_CUT;
    if (!started) { /* small: one ordinary reply */
        sl_buf_clear(whole);
        sl_buf_append(whole, st->cur.p ? st->cur.p : "", st->cur.len);
        sl_buf_clear(&st->cur);
        return whole->oom ? SL__STREAM_CUT : SL__STREAM_WHOLE;
    }
    if (st->cur.len) {
        sl__sblock *b = frame(st);
        if (b == NULL)
            return SL__STREAM_CUT;
        pthread_mutex_lock(&st->mu);
        if (st->tail)
            st->tail->next = b;
        else
            st->head = b;
        st->tail = b;
        st->unsent += b->n;
        pthread_mutex_unlock(&st->mu);
    }
    return st->chunked ? SL__STREAM_CHUNKED : SL__STREAM_RAW;
}
