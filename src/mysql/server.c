/*
 * server.c - MySQL connections on the HTTP server's loop (mysql stage).
 *
 * Each connection runs this flow, on the loop thread except where marked:
 *
 *   accept -> greeting (scramble) -> [SSLRequest -> TLS handshake]
 *          -> handshake response -> [auth switch to mysql_native_password -> answer]
 *          -> login (worker) -> OK | ERR + close
 *          -> command packet -> command (worker) -> reply packets -> next command ...
 *
 * Bytes read (decrypted when TLS) are appended to c->in and cut into logical packets by
 * sl_my_frame; a packet larger than max_packet is refused (ERR 1153) as soon as its header says
 * so. While a login or command runs on the worker pool the connection does not read (a client
 * that pipelines waits in the socket), and its packet stays in c->in untouched. Idle
 * connections hold no thread and no read buffer: reads go through one buffer of the server.
 * A connection is freed once its handles are closed and no work is in flight; replies are
 * written before a closing connection closes.
 *
 * A command's reply may stream: the handler's sl_my_flush (hand_over, on the worker) queues a
 * piece and wakes the loop (c->async), which writes it; the worker waits while SL_MY_WINDOW
 * bytes handed over are not yet written (credited back as writes complete), gives up with
 * SL_NETWORK when the connection closes (a failed write: the client is gone) or the client
 * takes nothing for write_timeout_ms. The rest of the reply goes after the pieces when the
 * work ends; the next command is read only once all of it is written.
 *
 *   worker: sl_my_flush -> hand_over -> [wait for the window] -> c->sm list -> uv_async_send
 *   loop:   async_cb -> stream_pump -> writes -> write_cb -> stream_credit -> worker wakes
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include <openssl/rand.h>

#include "../core/mem.h"
#include "../http/http.h"
#include "mysql.h"

#define READ_BYTES (64 * 1024) /* one read; the server's single read buffer */
#define BACKLOG 511

enum state {
    CS_GREET,   /* greeting sent: waiting for the handshake response (or the SSLRequest) */
    CS_SWITCH,  /* auth switch sent: waiting for the answer */
    CS_READY,   /* logged in: waiting for a command */
    CS_QUIT     /* writing a last reply, then closing */
};

/* A piece of a streamed reply, handed from the worker to the loop. */
typedef struct piece {
    struct piece *next;
    size_t n;
    char data[];
} piece;

/* The reply a command streams (sl_my_flush on the worker): pieces handed over wait in a list
 * until the loop (woken by the async) writes them; the worker waits while SL_MY_WINDOW bytes
 * handed over are not yet written to the socket. */
typedef struct stream {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    piece *head, *tail;         /* handed over, not taken by the loop yet (mu) */
    size_t unsent;              /* handed over, not yet written (mu) */
    uint64_t credits;           /* bumps on every write done: progress (mu) */
    bool dead;                  /* the connection is closing: the reply cannot go on (mu) */
} stream;

typedef struct conn {
    sl_mysql_conn pub;          /* first: the handler's view */
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_async_t async;           /* a worker handed a piece over */
    stream sm;
    uv_work_t work;
    bool keep;                  /* the handler's answer: go on after the reply (written by the
                                   worker: apart from the loop's flags below, which the loop
                                   reads while it runs) */
    sl_mysql_server *s;
    struct conn *prev, *next;
    struct ssl_st *ssl;
    sl_buf in;                  /* plaintext; [in_pos, in.len) not framed yet */
    size_t in_pos;
    sl_buf scratch;             /* a packet of several pieces, joined */
    enum state st;
    uint8_t seq;                /* the sequence id the next handshake packet must carry */
    bool is_login;              /* the work in flight: login, else a command */
    sl_my_hello hello;          /* the login's answer (strings in pub.arena) */
    sl_my_packet cmd;           /* the command in flight (in c->in or scratch) */
    sl_my_out out;              /* the reply the work wrote */
    bool busy, closing, handles_closing, reading;
    int open_handles;
    unsigned writes;            /* writes queued and not completed */
    uint64_t accept_ms, last_ms;
} conn;

struct sl_mysql_server {
    uv_loop_t *loop;
    uv_tcp_t tcp;
    bool listening;
    bool stopping;
    sl_http_peer peer;
    sl_mysql_config cfg;
    const sl_mysql_handler *h;
    void *app;
    void *tls;                  /* SSL_CTX*, not owned; NULL: no TLS offered */
    conn *conns;
    uint32_t n_conns;
    uint32_t next_id;
    char rbuf[READ_BYTES];      /* the read buffer of every connection (one loop thread) */
};

struct wreq {
    uv_write_t w;
    conn *c;
    size_t n;
    size_t credit;              /* bytes of a streamed reply this write completes */
    char data[];
};

static void conn_close(conn *c);
static void process(conn *c);
static void update(conn *c);

static uint64_t now_ms(void)
{
    return sl_http_now_ms();
}

/* ---- streamed replies: the worker's side ------------------------------------------------- */

static bool stream_init(stream *sm)
{
    memset(sm, 0, sizeof *sm);
    if (pthread_mutex_init(&sm->mu, NULL) != 0)
        return false;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&sm->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0)
        pthread_mutex_destroy(&sm->mu);
    return rc == 0;
}

static void stream_destroy(stream *sm)
{
    for (piece *p = sm->head, *next; p; p = next) {
        next = p->next;
        sl_free(p);
    }
    pthread_cond_destroy(&sm->cv);
    pthread_mutex_destroy(&sm->mu);
}

/* Wait (mu held) until the window has room for n more bytes, the client took nothing for
 * timeout_ms (then it is gone), or the connection is closing. */
static void stream_wait(stream *sm, size_t n, uint32_t timeout_ms)
{
    while (!sm->dead && sm->unsent > 0 && sm->unsent + n > SL_MY_WINDOW) {
        uint64_t seen = sm->credits;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += timeout_ms / 1000;
        ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L)
            ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        int rc = 0;
        while (!sm->dead && sm->credits == seen && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&sm->cv, &sm->mu, &ts);
        if (rc == ETIMEDOUT && sm->credits == seen)
            sm->dead = true;
    }
}

/* The flush function of a command's reply (worker): copy the packets, wait for room in the
 * window, queue them and wake the loop. */
static sl_code hand_over(void *arg, const char *p, size_t n)
{
    conn *c = arg;
    stream *sm = &c->sm;
    piece *pc = sl_malloc(sizeof *pc + n);
    if (pc == NULL)
        return SL_NOMEM;
    pc->next = NULL;
    pc->n = n;
    memcpy(pc->data, p, n);
    pthread_mutex_lock(&sm->mu);
    stream_wait(sm, n, c->s->cfg.write_timeout_ms);
    bool dead = sm->dead;
    if (!dead) {
        if (sm->tail)
            sm->tail->next = pc;
        else
            sm->head = pc;
        sm->tail = pc;
        sm->unsent += n;
    }
    pthread_mutex_unlock(&sm->mu);
    if (dead) {
        sl_free(pc);
        return SL_NETWORK;
    }
    uv_async_send(&c->async);
    return SL_OK;
}

/* ---- streamed replies: the loop's side ---------------------------------------------------- */

/* Bytes of the reply written to the socket: room in the window. */
static void stream_credit(stream *sm, size_t n)
{
    pthread_mutex_lock(&sm->mu);
    sm->unsent = sm->unsent > n ? sm->unsent - n : 0;
    sm->credits++;
    pthread_cond_broadcast(&sm->cv);
    pthread_mutex_unlock(&sm->mu);
}

/* The connection is closing: a worker waiting for room gives up (SL_NETWORK). */
static void stream_kill(stream *sm)
{
    pthread_mutex_lock(&sm->mu);
    sm->dead = true;
    pthread_cond_broadcast(&sm->cv);
    pthread_mutex_unlock(&sm->mu);
}

static bool send_credit(conn *c, const char *p, size_t n, size_t credit);

/* Write the pieces handed over, in order (dropped when the connection is closing). */
static void stream_pump(conn *c)
{
    pthread_mutex_lock(&c->sm.mu);
    piece *pc = c->sm.head;
    c->sm.head = c->sm.tail = NULL;
    pthread_mutex_unlock(&c->sm.mu);
    bool ok = !c->closing;
    for (piece *next; pc; pc = next) {
        next = pc->next;
        if (ok)
            ok = send_credit(c, pc->data, pc->n, pc->n);
        sl_free(pc);
    }
    if (!ok && !c->closing)
        conn_close(c);
}

static void async_cb(uv_async_t *a)
{
    stream_pump(a->data);
}

/* ---- writes -------------------------------------------------------------------------------- */

static void write_cb(uv_write_t *w, int status)
{
    struct wreq *wr = (struct wreq *)w;
    conn *c = wr->c;
    if (wr->credit)
        stream_credit(&c->sm, wr->credit);
    sl_free(wr);
    c->writes--;
    if (c->closing) {
        conn_close(c); /* it waited for this write */
        return;
    }
    if (status < 0)
        conn_close(c);
    else if (c->st == CS_QUIT && c->writes == 0)
        conn_close(c);
    else if (c->st == CS_READY && c->writes == 0 && !c->busy)
        process(c); /* the reply is out: the next command (which may wait in c->in) */
}

static bool write_raw(conn *c, const char *p, size_t n, size_t credit)
{
    if (n == 0)
        return true;
    struct wreq *wr = sl_malloc(sizeof *wr + n);
    if (wr == NULL)
        return false;
    wr->c = c;
    wr->n = n;
    wr->credit = credit;
    memcpy(wr->data, p, n);
    uv_buf_t b = uv_buf_init(wr->data, (unsigned)n);
    if (uv_write(&wr->w, (uv_stream_t *)&c->tcp, &b, 1, write_cb) != 0) {
        sl_free(wr);
        return false;
    }
    c->writes++;
    return true;
}

/* Send the ciphertext OpenSSL has produced (handshake records, replies, alerts); credit: the
 * plaintext bytes of a streamed reply in it. */
static bool tls_flush_credit(conn *c, size_t credit)
{
    size_t n = sl__tls_pending(c->ssl);
    if (n == 0) {
        if (credit)
            stream_credit(&c->sm, credit);
        return true;
    }
    struct wreq *wr = sl_malloc(sizeof *wr + n);
    if (wr == NULL)
        return false;
    wr->c = c;
    wr->credit = credit;
    wr->n = sl__tls_take(c->ssl, wr->data, n);
    uv_buf_t b = uv_buf_init(wr->data, (unsigned)wr->n);
    if (uv_write(&wr->w, (uv_stream_t *)&c->tcp, &b, 1, write_cb) != 0) {
        sl_free(wr);
        return false;
    }
    c->writes++;
    return true;
}

static bool tls_flush(conn *c)
{
    return tls_flush_credit(c, 0);
}

/* Send n bytes (encrypted when TLS); credit: of them, a streamed reply's. */
static bool send_credit(conn *c, const char *p, size_t n, size_t credit)
{
    if (c->ssl == NULL)
        return write_raw(c, p, n, credit);
    return sl__tls_write(c->ssl, p, n) && tls_flush_credit(c, credit);
}

static bool send_bytes(conn *c, const char *p, size_t n)
{
    return send_credit(c, p, n, 0);
}

/* Send what o holds and empty it; a failure closes the connection. */
static void send_out(conn *c, sl_my_out *o)
{
    bool ok = !o->b.oom && send_bytes(c, o->b.p, o->b.len);
    sl_my_out_free(o);
    if (!ok)
        conn_close(c);
}

/* A reply made here (packet too large, too many connections), then close. */
static void fail_and_close(conn *c, uint8_t seq, int errno_, const char *sqlstate,
                           const char *msg)
{
    sl_my_out o;
    sl_my_out_init(&o, seq, c->pub.caps);
    sl_my_err(&o, errno_, sqlstate, msg);
    c->st = CS_QUIT;
    send_out(c, &o);
    if (!c->closing && c->writes == 0)
        conn_close(c);
    else
        update(c);
}

/* ---- closing ------------------------------------------------------------------------------- */

static void conn_free(conn *c)
{
    sl_mysql_server *s = c->s;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->n_conns--;
    s->h->close(&c->pub);
    if (c->ssl)
        sl__tls_free(c->ssl);
    sl_buf_free(&c->in);
    sl_buf_free(&c->scratch);
    sl_my_out_free(&c->out);
    sl_arena_free(&c->pub.arena);
    stream_destroy(&c->sm);
    sl_free(c);
}

static void on_handle_closed(uv_handle_t *h)
{
    conn *c = h->data;
    if (--c->open_handles == 0)
        conn_free(c);
}

static void close_handles(conn *c)
{
    c->handles_closing = true;
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
    uv_close((uv_handle_t *)&c->async, on_handle_closed);
}

/* Close now: queued writes are dropped (libuv cancels them before the close callbacks); work
 * in flight is still waited for. For peers that stopped reading. */
static void conn_close_now(conn *c)
{
    c->closing = true;
    if (c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
    uv_timer_stop(&c->timer);
    stream_kill(&c->sm);
    if (c->busy || c->handles_closing)
        return;
    close_handles(c);
}

/* Close: wait for work in flight and for queued writes, then close both handles. */
static void conn_close(conn *c)
{
    c->closing = true;
    if (c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
    uv_timer_stop(&c->timer);
    stream_kill(&c->sm);
    if (c->busy || c->handles_closing || c->writes)
        return;
    close_handles(c);
}

/* ---- timers and reading ------------------------------------------------------------------- */

static void timer_cb(uv_timer_t *t)
{
    conn *c = t->data;
    if (!c->busy)
        conn_close_now(c); /* the handshake took too long, the connection idled, or a last
                              reply found no reader */
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    conn *c = h->data;
    *buf = uv_buf_init(c->s->rbuf, sizeof c->s->rbuf);
}

/* Decrypt whatever TLS has for us into c->in. False when the connection must close. */
static bool tls_drain(conn *c)
{
    for (;;) {
        size_t got = 0;
        sl__tls_rc rc = sl__tls_read(c->ssl, c->s->rbuf, sizeof c->s->rbuf, &got);
        if (!tls_flush(c))
            return false;
        if (rc == SL__TLS_WANT)
            return true;
        if (rc != SL__TLS_OK)
            return false;
        sl_buf_append(&c->in, c->s->rbuf, got);
        if (c->in.oom)
            return false;
    }
}

static void read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    conn *c = st->data;
    if (nread == 0)
        return;
    if (nread < 0 || c->closing) {
        conn_close(c);
        return;
    }
    c->last_ms = now_ms();
    if (c->in_pos) { /* drop what was framed (no work is in flight while we read) */
        memmove(c->in.p, c->in.p + c->in_pos, c->in.len - c->in_pos);
        c->in.len -= c->in_pos;
        c->in_pos = 0;
    }
    bool ok;
    if (c->ssl)
        ok = sl__tls_feed(c->ssl, buf->base, (size_t)nread) && tls_drain(c);
    else
        sl_buf_append(&c->in, buf->base, (size_t)nread), ok = !c->in.oom;
    if (!ok) {
        conn_close(c);
        return;
    }
    process(c);
}

/* A logged-in connection takes its next command once its last reply is written: a client
 * that sends commands without reading the replies cannot make replies pile up here. */
static bool may_take(const conn *c)
{
    return !c->busy && c->st != CS_QUIT && !(c->st == CS_READY && c->writes);
}

/* Reading and the timer as the state wants them. */
static void update(conn *c)
{
    if (c->closing)
        return;
    bool want = may_take(c);
    if (want && !c->reading)
        c->reading = uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb) == 0;
    else if (!want && c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
    if (c->busy) {
        uv_timer_stop(&c->timer);
        return;
    }
    uint64_t due = c->st == CS_READY ? c->last_ms + c->s->cfg.idle_timeout_ms
                   : c->st == CS_QUIT ? c->last_ms + c->s->cfg.handshake_timeout_ms
                                      : c->accept_ms + c->s->cfg.handshake_timeout_ms;
    uint64_t now = now_ms();
    uv_timer_start(&c->timer, timer_cb, due > now ? due - now : 0, 0);
}

/* ---- work (worker threads) ---------------------------------------------------------------- */

static void work_cb(uv_work_t *w)
{
    conn *c = w->data;
    const sl_mysql_handler *h = c->s->h;
    if (c->is_login)
        c->keep = h->login(&c->pub, &c->hello, &c->out);
    else
        c->keep = h->command(&c->pub, c->cmd.p, c->cmd.n, &c->out);
}

static void after_work_cb(uv_work_t *w, int status)
{
    (void)status; /* never cancelled */
    conn *c = w->data;
    c->busy = false;
    sl_arena_reset(&c->pub.arena);
    stream_pump(c); /* pieces handed over go before the rest of the reply */
    if (c->closing) {
        sl_my_out_free(&c->out);
        conn_close(c);
        return;
    }
    if (c->keep && !c->s->stopping)
        c->st = CS_READY;
    else
        c->st = CS_QUIT;
    c->last_ms = now_ms();
    send_out(c, &c->out);
    if (c->closing)
        return;
    if (c->st == CS_QUIT) {
        if (c->writes == 0)
            conn_close(c);
        else
            update(c);
        return;
    }
    process(c); /* a client may have pipelined its next commands */
}

static void queue_work(conn *c, bool login, uint8_t reply_seq)
{
    c->is_login = login;
    c->busy = true;
    sl_my_out_init(&c->out, reply_seq, c->pub.caps);
    if (!login) { /* a command's reply may stream */
        c->out.flush = hand_over;
        c->out.flush_arg = c;
    }
    c->work.data = c;
    update(c);
    if (uv_queue_work(c->s->loop, &c->work, work_cb, after_work_cb) != 0) {
        c->busy = false;
        conn_close(c);
    }
}

/* ---- the handshake -------------------------------------------------------------------------- */

static sl_slice keep_str(conn *c, sl_slice s)
{
    if (s.p == NULL)
        return s;
    sl_slice k = sl_arena_slice(&c->pub.arena, s);
    return k.p ? k : SL_LIT("");
}

/* The SSLRequest: what follows it on the socket is TLS. */
static void start_tls(conn *c)
{
    if (c->s->tls == NULL || c->ssl || (c->ssl = sl__tls_new(c->s->tls)) == NULL) {
        conn_close(c);
        return;
    }
    c->pub.tls = true;
    size_t rest = c->in.len - c->in_pos; /* ciphertext that came with the request */
    const char *p = c->in.p + c->in_pos;
    c->in_pos = c->in.len;
    if (rest && (!sl__tls_feed(c->ssl, p, rest))) {
        conn_close(c);
        return;
    }
    c->in_pos = 0;
    sl_buf_clear(&c->in);
    if (!tls_drain(c))
        conn_close(c);
}

static void on_hello(conn *c, const sl_my_packet *pkt)
{
    sl_err err = {0};
    sl_my_hello h;
    if (pkt->seq != c->seq || sl_my_parse_hello(pkt->p, pkt->n, &h, &err) != SL_OK) {
        fail_and_close(c, pkt->next_seq, 1043, "08S01", "Bad handshake");
        return;
    }
    c->pub.caps = h.caps;
    c->seq = pkt->next_seq;
    if (h.ssl_request) {
        start_tls(c);
        return;
    }
    c->hello = h;
    c->hello.user = keep_str(c, h.user);
    c->hello.auth = keep_str(c, h.auth);
    c->hello.db = keep_str(c, h.db);
    c->hello.plugin = keep_str(c, h.plugin);
    if ((h.caps & SL_MY_CLIENT_PLUGIN_AUTH) && h.plugin.p &&
        !sl_slice_eq(h.plugin, "mysql_native_password")) {
        sl_my_out o; /* another plugin (caching_sha2_password, ...): ask for ours */
        sl_my_out_init(&o, c->seq, h.caps);
        sl_my_auth_switch(&o, c->pub.scramble);
        c->seq = o.seq;
        c->st = CS_SWITCH;
        send_out(c, &o);
        return;
    }
    queue_work(c, true, c->seq);
}

static void on_packet(conn *c, const sl_my_packet *pkt)
{
    switch (c->st) {
    case CS_GREET: on_hello(c, pkt); return;
    case CS_SWITCH:
        if (pkt->seq != c->seq) {
            fail_and_close(c, pkt->next_seq, 1043, "08S01", "Bad handshake");
            return;
        }
        c->hello.auth = keep_str(c, (sl_slice){(const char *)pkt->p, pkt->n});
        queue_work(c, true, pkt->next_seq);
        return;
    case CS_READY:
        c->cmd = *pkt;
        queue_work(c, false, pkt->next_seq);
        return;
    case CS_QUIT: return;
    }
}

/* Frame and act on the packets in c->in until work is queued or bytes run out. */
static void process(conn *c)
{
    while (!c->closing && may_take(c)) {
        sl_my_packet pkt;
        size_t used = 0;
        sl_code rc = sl_my_frame((const uint8_t *)c->in.p + c->in_pos, c->in.len - c->in_pos,
                                 c->s->cfg.max_packet, &c->scratch, &pkt, &used);
        if (rc == SL_AGAIN)
            break;
        if (rc == SL_TOO_LARGE) {
            fail_and_close(c, (uint8_t)(c->in.p[c->in_pos + 3] + 1), 1153, "08S01",
                           "Got a packet bigger than 'max_allowed_packet' bytes");
            return;
        }
        if (rc != SL_OK) {
            conn_close(c);
            return;
        }
        c->in_pos += used;
        on_packet(c, &pkt);
    }
    if (!c->busy && c->in_pos == c->in.len) { /* nothing pending: an idle connection keeps no
                                                 buffer */
        sl_buf_free(&c->in);
        sl_buf_free(&c->scratch);
        c->in_pos = 0;
    }
    update(c);
}

/* ---- accepting ---------------------------------------------------------------------------- */

static void peer_name(conn *c)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;
    c->pub.peer_ip[0] = '\0';
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) != 0)
        return;
    if (ss.ss_family == AF_INET6)
        uv_ip6_name((struct sockaddr_in6 *)&ss, c->pub.peer_ip, sizeof c->pub.peer_ip);
    else
        uv_ip4_name((struct sockaddr_in *)&ss, c->pub.peer_ip, sizeof c->pub.peer_ip);
}

/* A scramble of printable bytes, as MySQL's own (some clients read it as a C string). */
static bool make_scramble(uint8_t s[20])
{
    if (RAND_bytes(s, 20) != 1)
        return false;
    for (int i = 0; i < 20; i++)
        s[i] = (uint8_t)(33 + s[i] % 94);
    return true;
}

static void free_handle(uv_handle_t *h)
{
    sl_free(h);
}

/* True when c's peer address already holds max_connections_per_client other connections
 * (c itself is on the list, first). A walk of at most max_connections entries, per accept. */
static bool over_client_cap(const conn *c)
{
    uint32_t n = 0;
    if (c->pub.peer_ip[0] == '\0' || c->s->cfg.max_connections_per_client == 0)
        return false;
    for (const conn *o = c->next; o; o = o->next)
        if (!o->closing && strcmp(o->pub.peer_ip, c->pub.peer_ip) == 0 &&
            ++n >= c->s->cfg.max_connections_per_client)
            return true;
    return false;
}

/* Accept and close at once (shutting down, out of memory). */
static void refuse(uv_stream_t *server, sl_mysql_server *s)
{
    uv_tcp_t *t = sl_malloc(sizeof *t);
    if (t == NULL)
        return;
    uv_tcp_init(s->loop, t);
    uv_accept(server, (uv_stream_t *)t);
    uv_close((uv_handle_t *)t, free_handle);
}

/* A connection's memory and its stream; NULL when either cannot be had. */
static conn *conn_new(sl_mysql_server *s)
{
    conn *c = sl_calloc(sizeof *c);
    if (c == NULL)
        return NULL;
    if (!stream_init(&c->sm)) {
        sl_free(c);
        return NULL;
    }
    if (uv_async_init(s->loop, &c->async, async_cb) != 0) {
        stream_destroy(&c->sm);
        sl_free(c);
        return NULL;
    }
    return c;
}

static void on_connection(uv_stream_t *server, int status)
{
    sl_mysql_server *s = server->data;
    conn *c = NULL;
    if (status < 0)
        return;
    if (s->stopping || (c = conn_new(s)) == NULL) {
        refuse(server, s);
        return;
    }
    c->s = s;
    uv_tcp_init(s->loop, &c->tcp);
    uv_timer_init(s->loop, &c->timer);
    c->tcp.data = c->timer.data = c->async.data = c;
    c->open_handles = 3;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->n_conns++;
    sl_arena_init(&c->pub.arena, 0);
    c->pub.app = s->app;
    c->pub.id = ++s->next_id;
    c->seq = 1;
    c->accept_ms = c->last_ms = now_ms();
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 || !make_scramble(c->pub.scramble)) {
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    peer_name(c);
    if (s->n_conns > s->cfg.max_connections) {
        fail_and_close(c, 0, 1040, "08004", "Too many connections");
        return;
    }
    if (over_client_cap(c)) {
        fail_and_close(c, 0, 1040, "08004", "Too many connections from this client address");
        return;
    }
    uint32_t caps = SL_MY_CLIENT_LONG_PASSWORD | SL_MY_CLIENT_FOUND_ROWS |
                    SL_MY_CLIENT_LONG_FLAG | SL_MY_CLIENT_CONNECT_WITH_DB |
                    SL_MY_CLIENT_PROTOCOL_41 | SL_MY_CLIENT_TRANSACTIONS |
                    SL_MY_CLIENT_SECURE_CONNECTION | SL_MY_CLIENT_MULTI_RESULTS |
                    SL_MY_CLIENT_PLUGIN_AUTH | SL_MY_CLIENT_CONNECT_ATTRS |
                    SL_MY_CLIENT_PLUGIN_AUTH_LENENC | (s->tls ? SL_MY_CLIENT_SSL : 0);
    sl_my_out o;
    sl_my_out_init(&o, 0, 0);
    sl_my_greeting(&o, s->cfg.version, c->pub.id, c->pub.scramble, caps,
                   SL_MY_STATUS_AUTOCOMMIT);
    send_out(c, &o);
    if (!c->closing)
        update(c);
}

/* ---- the server ---------------------------------------------------------------------------- */

/* A graceful shutdown began: no new connections; idle ones close now, the others after the
 * reply of the command they run. */
static void on_drain(void *arg)
{
    sl_mysql_server *s = arg;
    s->stopping = true;
    if (s->listening) {
        s->listening = false;
        uv_close((uv_handle_t *)&s->tcp, NULL);
    }
    for (conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        if (!c->busy && c->st != CS_QUIT)
            conn_close(c);
    }
}

static void on_stop(void *arg)
{
    sl_mysql_server *s = arg;
    on_drain(s);
    for (conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        conn_close_now(c);
    }
}

sl_mysql_server *sl_mysql_server_new(struct sl_http_server *http, const sl_mysql_config *cfg,
                                     const sl_mysql_handler *handler, void *app, sl_err *err)
{
    sl_mysql_server *s = sl_calloc(sizeof *s);
    if (s == NULL) {
        sl_fail(err, SL_NOMEM, "cannot allocate the mysql server");
        return NULL;
    }
    s->loop = sl_http_server_loop(http);
    s->cfg = *cfg;
    s->h = handler;
    s->app = app;
    s->peer = (sl_http_peer){on_drain, on_stop, s, NULL};
    sl_http_server_add_peer(http, &s->peer);
    return s;
}

sl_code sl_mysql_listen(sl_mysql_server *s, const char *host, int port, void *tls,
                        int *bound_port, sl_err *err)
{
    struct sockaddr_storage ss;
    char svc[16];
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(svc, sizeof svc, "%d", port);
    const char *h = host && host[0] && strcmp(host, "*") != 0 ? host : NULL;
    if (getaddrinfo(h, svc, &hints, &res) != 0)
        return sl_fail(err, SL_INVALID, "cannot resolve listen address %s", h ? h : "*");
    memcpy(&ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    s->tls = tls;
    uv_tcp_init(s->loop, &s->tcp);
    s->tcp.data = s;
    s->listening = true;
    struct sockaddr_storage bound;
    int len = sizeof bound, rc;
    if ((rc = uv_tcp_bind(&s->tcp, (struct sockaddr *)&ss, 0)) != 0 ||
        (rc = uv_listen((uv_stream_t *)&s->tcp, BACKLOG, on_connection)) != 0 ||
        (rc = uv_tcp_getsockname(&s->tcp, (struct sockaddr *)&bound, &len)) != 0) {
        s->listening = false;
        uv_close((uv_handle_t *)&s->tcp, NULL);
        return sl_fail(err, SL_INTERNAL, "cannot listen on %s:%d: %s", h ? h : "*", port,
                       uv_strerror(rc));
    }
    *bound_port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                    : ((struct sockaddr_in *)&bound)->sin_port);
    return SL_OK;
}

void sl_mysql_server_free(sl_mysql_server *s)
{
    sl_free(s);
}
