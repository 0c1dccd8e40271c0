/*
 * server.c - listeners, connections, the loop, limits, timeouts and handler dispatch (http stage).
 *
 * One libuv loop thread owns every socket. Each connection runs this flow:
 *
 *   read (256 KiB) -> [TLS: rbio -> SSL_read] -> in buffer -> sl__hp_execute
 *        HEAD     -> route() on the loop -> stage BEGIN (worker) -> 100 Continue? -> resume
 *        body     -> copied into c->body (one read's worth) -> stage BODY (worker) -> resume
 *        COMPLETE -> stage END (worker) -> response -> stage CLEANUP (worker) -> next request
 *   early response (begin/body answered, parse error, limit, expiry):
 *        response -> uv_shutdown -> discard input <= 2 s / 1 MiB (lingering close) -> close
 *
 * While a stage runs the connection does not read (backpressure) and its timer is off; the
 * bytes the parser did not consume stay in c->in and are parsed again after the stage, which
 * is how pipelined requests in one read work. Stages of one request never overlap: c->busy.
 * A connection is freed only when both its handles are closed and no stage is in flight, and
 * every request that got a handler gets exactly one CLEANUP stage on the way out.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

#include "../core/mem.h"
#include "http.h"
#include "internal.h"

#define LINGER_MS 2000                  /* how long a lingering close keeps discarding input */
#define LINGER_BYTES (1024 * 1024)      /* and how much of it, before closing anyway */
#define BACKLOG 511                     /* the listen backlog nginx and redis use */
#define CONTINUE_100 "HTTP/1.1 100 Continue\r\n\r\n"
#define FINAL_MS 5000                   /* after the grace: cut-off replies get this long, then
                                           whatever is left is closed (lingering included) */

enum phase {
    PH_IDLE,    /* waiting for the first byte of a request */
    PH_HEAD,    /* inside a request head */
    PH_BODY,    /* a handler owns the request; reading its body */
    PH_RESPOND, /* the response is being written */
    PH_AFTER,   /* response written before a body-less message finished parsing */
    PH_LINGER   /* response written, closing: discard input until EOF or the linger limits */
};

enum stage { ST_BEGIN, ST_BODY, ST_END, ST_EXPIRE, ST_CLEANUP };

struct listener {
    uv_tcp_t tcp;
    sl_http_server *s;
    struct listener *next;
    int role, port;
    void *tls;                  /* SSL_CTX*, not owned */
    bool closed;
    /* Counters for sl_http_server_stats: written on the loop thread, read from any. */
    atomic_ullong accepted, rejected, open, bytes_in, bytes_out, requests;
};

struct sl_http_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_work_t work;
    uv_shutdown_t shut;
    sl_http_server *s;
    struct listener *l;
    sl_http_conn *prev, *next;
    sl__hp hp;
    struct ssl_st *ssl;         /* NULL for plain connections */
    char *in;                   /* plaintext; [in_pos, in_len) not parsed yet */
    size_t in_pos, in_len;
    char *raw;                  /* TLS ciphertext read buffer */
    char *body;                 /* the copy body() gets */
    size_t body_len;
    const char *pend_p;         /* a body piece that did not fit; points into c->in */
    size_t pend_n;
    sl_http_req req;
    enum phase phase;
    enum stage stage;
    int open_handles;
    bool busy;                  /* a stage is queued or running */
    bool closing, handles_closing, reading;
    bool has_handler, cleanup_done, deliver_body;
    bool msg_done;              /* the parser finished the current message */
    bool keep;                  /* the response in flight keeps the connection */
    bool dead_parser;           /* the parser failed: never feed it again */
    bool reported;              /* on_done ran for the current request */
    bool stream_head_sent;      /* a streamed reply: its head is written */
    bool ready_queued;          /* on the server's ready list (s->ready_mu) */
    sl_http_conn *ready_next;   /* (s->ready_mu) */
    uint64_t stream_bytes;      /* a streamed reply: head and body bytes queued so far */
    uint64_t n_requests;
    uint64_t accept_ms, last_ms, head_start_ms, linger_start_ms;
    size_t linger_bytes;
    char peer_ip[64];
};

struct sl_http_server {
    uv_loop_t loop;
    uv_async_t stop_async;
    uv_timer_t grace_timer;     /* graceful shutdown: the grace, then the final bound */
    sl_http_config cfg;
    sl_http_route_fn route;
    void *app;
    struct listener *listeners;
    sl_http_peer *peers;        /* other transports on this loop (src/mysql/) */
    sl_http_conn *conns;
    uint32_t n_conns;
    bool stopping;              /* no new connections, no keep-alive */
    bool cutting;               /* the grace is over: requests still running are cut off */
    /* Written by sl_http_server_stop/shutdown from any thread or a signal handler. */
    atomic_int hard_stop;
    atomic_int n_shutdown;
    atomic_uint grace_ms;
    int n_shutdown_seen;        /* loop thread only */
    /* Streamed replies: connections whose producer handed over blocks (any thread). */
    uv_async_t stream_async;
    pthread_mutex_t ready_mu;
    sl_http_conn *ready;
};

struct wreq {
    uv_write_t w;
    sl_http_conn *c;
    bool final;                 /* the last write of a response */
    size_t credit;              /* streamed bytes to credit back once written */
    size_t n;
    char data[];
};

static void pump(sl_http_conn *c);
static void conn_close(sl_http_conn *c);
static void queue_stage(sl_http_conn *c, enum stage st);
static void update_timer(sl_http_conn *c);
static void cut_off(sl_http_conn *c);

void sl_http_config_default(sl_http_config *c)
{
    memset(c, 0, sizeof *c); /* no callbacks */
    c->max_header_bytes = 64 * 1024;   /* Doris and curl heads are < 8 KiB; room for big tokens */
    c->idle_timeout_ms = 60 * 1000;
    c->header_timeout_ms = 30 * 1000;
    c->max_connections = 1024;         /* well under a default 4096 fd limit */
    c->max_connections_per_client = 256; /* a quarter: three greedy clients leave room */
    c->read_buffer_bytes = 256 * 1024; /* measured best for loopback uploads (research) */
}

/* ---- writes ------------------------------------------------------------------------------ */

static void on_response_written(sl_http_conn *c);

static void write_cb(uv_write_t *w, int status)
{
    struct wreq *wr = (struct wreq *)w;
    sl_http_conn *c = wr->c;
    bool final = wr->final;
    if (wr->credit && c->req._stream)
        sl__stream_credit(c->req._stream, wr->credit);
    sl_free(wr);
    if (c->closing)
        return;
    if (status < 0)
        conn_close(c);
    else if (final)
        on_response_written(c);
}

/* Write n bytes as they are (ciphertext or plain). False when it could not be queued. */
static bool write_raw(sl_http_conn *c, const char *p, size_t n, bool final, size_t credit)
{
    struct wreq *wr = sl_malloc(sizeof *wr + n);
    if (wr == NULL)
        return false;
    wr->c = c;
    wr->final = final;
    wr->credit = credit;
    wr->n = n;
    memcpy(wr->data, p, n);
    atomic_fetch_add_explicit(&c->l->bytes_out, n, memory_order_relaxed);
    uv_buf_t b = uv_buf_init(wr->data, (unsigned)n);
    if (uv_write(&wr->w, (uv_stream_t *)&c->tcp, &b, 1, write_cb) != 0) {
        sl_free(wr);
        return false;
    }
    return true;
}

/* Send the ciphertext OpenSSL has produced (handshake records, replies, alerts). */
static bool tls_flush_credit(sl_http_conn *c, bool final, size_t credit)
{
    size_t n = sl__tls_pending(c->ssl);
    if (n == 0 && !final && credit == 0)
        return true;
    struct wreq *wr = sl_malloc(sizeof *wr + n);
    if (wr == NULL)
        return false;
    wr->c = c;
    wr->final = final;
    wr->credit = credit;
    wr->n = sl__tls_take(c->ssl, wr->data, n);
    atomic_fetch_add_explicit(&c->l->bytes_out, wr->n, memory_order_relaxed);
    uv_buf_t b = uv_buf_init(wr->data, (unsigned)wr->n);
    if (uv_write(&wr->w, (uv_stream_t *)&c->tcp, &b, 1, write_cb) != 0) {
        sl_free(wr);
        return false;
    }
    return true;
}

static bool tls_flush(sl_http_conn *c, bool final)
{
    return tls_flush_credit(c, final, 0);
}

/* Send n plaintext bytes; credit: streamed bytes to credit back once they are written. */
static bool conn_send_credit(sl_http_conn *c, const char *p, size_t n, bool final, size_t credit)
{
    if (c->ssl == NULL)
        return write_raw(c, p, n, final, credit);
    return sl__tls_write(c->ssl, p, n) && tls_flush_credit(c, final, credit);
}

static bool conn_send(sl_http_conn *c, const char *p, size_t n, bool final)
{
    return conn_send_credit(c, p, n, final, 0);
}

/* ---- responses --------------------------------------------------------------------------- */

static const char *reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return status < 300 ? "OK" : status < 400 ? "Redirect" : status < 500 ? "Error"
                                                                                   : "Server Error";
    }
}

/* A reply made by this layer (404, 400, 431, ...): plain text, no handler headers. */
static void layer_respond(sl_http_conn *c, int status, const char *text)
{
    sl_buf_clear(&c->req.resp_headers);
    sl_http_respond(&c->req, status, "text/plain", text, strlen(text));
}

/* "what: why\n" (or "what\n" when why is NULL) as a layer reply. */
static void layer_respond_why(sl_http_conn *c, int status, const char *what, const char *why)
{
    char text[160];
    snprintf(text, sizeof text, "%s%s%s\n", what, why ? ": " : "", why ? why : "");
    layer_respond(c, status, text);
}

static bool build_response(sl_http_conn *c, sl_buf *out)
{
    sl_http_req *r = &c->req;
    if (r->resp_body.oom || r->resp_headers.oom) {
        layer_respond(c, 500, "out of memory\n");
        r->close_after = true;
    }
    c->keep = !r->close_after && !c->dead_parser && !c->s->stopping &&
              sl__hp_keep_alive(&c->hp);
    bool head = r->method && strcmp(r->method, "HEAD") == 0;
    sl_buf_printf(out,
                  "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                  "Connection: %s\r\n",
                  r->status, reason(r->status), r->content_type ? r->content_type : "text/plain",
                  r->resp_body.len, c->keep ? "keep-alive" : "close");
    sl_buf_append(out, r->resp_headers.p, r->resp_headers.len);
    sl_buf_append(out, "\r\n", 2);
    if (!head)
        sl_buf_append(out, r->resp_body.p, r->resp_body.len);
    return !out->oom;
}

/* Tell the application the request is finished (once per request): status 499 when no reply
 * went out. */
static void report(sl_http_conn *c, int status, uint64_t bytes_out)
{
    sl_http_req *r = &c->req;
    if (c->reported || (r->method == NULL && status == 499))
        return; /* nothing of a request arrived: a connection closed between requests */
    c->reported = true;
    atomic_fetch_add_explicit(&c->l->requests, 1, memory_order_relaxed);
    if (c->s->cfg.on_done == NULL)
        return;
    if (r->method == NULL) { /* the head never parsed: the reply is the layer's */
        memcpy(r->peer_ip, c->peer_ip, sizeof r->peer_ip);
        r->role = c->l->role;
        r->local_port = c->l->port;
    }
    sl_http_done d = {status, bytes_out, r->start_ms ? sl_http_now_ms() - r->start_ms : 0};
    c->s->cfg.on_done(c->s->app, r, &d);
}

/* Write the response in c->req; the connection stops parsing until it is written. */
static void send_response(sl_http_conn *c)
{
    sl_buf out = SL_BUF_INIT;
    c->phase = PH_RESPOND;
    c->last_ms = sl_http_now_ms();
    bool ok = build_response(c, &out);
    if (ok)
        report(c, c->req.status, out.len);
    ok = ok && conn_send(c, out.p, out.len, true);
    sl_buf_free(&out);
    if (!ok) {
        conn_close(c);
        return;
    }
    pump(c); /* only updates reading and the timer: nothing is parsed while responding */
}

/* ---- streamed replies (stream.c hands blocks over; they are written here) ---------------- */

static void start_linger(sl_http_conn *c);

static sl_http_conn *conn_of(const sl_http_req *r)
{
    return (sl_http_conn *)(void *)((char *)(uintptr_t)r - offsetof(sl_http_conn, req));
}

void sl__http_stream_notify(sl_http_req *r)
{
    sl_http_conn *c = conn_of(r);
    sl_http_server *s = c->s;
    pthread_mutex_lock(&s->ready_mu);
    if (!c->ready_queued) {
        c->ready_queued = true;
        c->ready_next = s->ready;
        s->ready = c;
    }
    pthread_mutex_unlock(&s->ready_mu);
    uv_async_send(&s->stream_async);
}

uint32_t sl__http_stream_timeout(const sl_http_req *r)
{
    return conn_of(r)->s->cfg.idle_timeout_ms;
}

/* The head of a streamed reply: chunked on HTTP/1.1, delimited by the close on HTTP/1.0. */
static bool stream_head(sl_http_conn *c)
{
    sl_http_req *r = &c->req;
    bool chunked = r->http_minor >= 1, head = strcmp(r->method, "HEAD") == 0;
    c->keep = chunked && !head && !r->close_after && !c->dead_parser && !c->s->stopping &&
              sl__hp_keep_alive(&c->hp);
    sl_buf out = SL_BUF_INIT;
    sl_buf_printf(&out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n%sConnection: %s\r\n",
                  r->status, reason(r->status), r->content_type ? r->content_type : "text/plain",
                  chunked ? "Transfer-Encoding: chunked\r\n" : "", c->keep ? "keep-alive" : "close");
    sl_buf_append(&out, r->resp_headers.p, r->resp_headers.len);
    sl_buf_append(&out, "\r\n", 2);
    bool ok = !out.oom && conn_send(c, out.p, out.len, false);
    c->stream_bytes += out.len;
    sl_buf_free(&out);
    c->stream_head_sent = true;
    c->phase = PH_RESPOND; /* nothing is parsed until the reply is out */
    return ok;
}

/* Write the blocks the producer handed over (a HEAD request's are dropped). */
static void stream_pump(sl_http_conn *c)
{
    sl__stream *st = c->req._stream;
    if (c->closing || st == NULL)
        return;
    sl__sblock *b = sl__stream_take(st);
    if (b == NULL)
        return;
    bool ok = c->stream_head_sent || stream_head(c);
    bool head = strcmp(c->req.method, "HEAD") == 0;
    while (b) {
        sl__sblock *next = b->next;
        if (ok && !head) {
            ok = conn_send_credit(c, b->data, b->n, false, b->n);
            c->stream_bytes += b->n;
        } else
            sl__stream_credit(st, b->n);
        sl_free(b);
        b = next;
    }
    if (!ok)
        conn_close(c);
}

static void on_stream_ready(uv_async_t *a)
{
    sl_http_server *s = a->data;
    for (;;) {
        pthread_mutex_lock(&s->ready_mu);
        sl_http_conn *c = s->ready;
        if (c) {
            s->ready = c->ready_next;
            c->ready_queued = false;
        }
        pthread_mutex_unlock(&s->ready_mu);
        if (c == NULL)
            break;
        stream_pump(c);
    }
}

/* The producer's end() returned: the rest of the reply, then its end (the last chunk; the
 * close on HTTP/1.0, or for a reply cut by an error). */
static void stream_end(sl_http_conn *c)
{
    sl_http_req *r = &c->req;
    sl__stream_end how = sl__stream_finish(r->_stream, &r->resp_body);
    if (how == SL__STREAM_WHOLE) {
        r->_stream = NULL; /* nothing was handed over: an ordinary reply */
        r->responded = true;
        send_response(c);
        return;
    }
    stream_pump(c);
    if (c->closing)
        return;
    if (!c->stream_head_sent) { /* cut before any byte left: nothing to say */
        conn_close(c); /* reported as 499: no reply went out */
        return;
    }
    bool last = how == SL__STREAM_CHUNKED && strcmp(r->method, "HEAD") != 0;
    /* a reply cut short is reported with the status its head carried and the bytes that left */
    report(c, r->status, c->stream_bytes + (last ? 5 : 0));
    if (how == SL__STREAM_CHUNKED && c->keep) {
        if (!conn_send(c, "0\r\n\r\n", 5, true))
            conn_close(c);
        return;
    }
    if (last && !conn_send(c, "0\r\n\r\n", 5, false)) {
        conn_close(c);
        return;
    }
    c->keep = false;
    start_linger(c); /* FIN after the queued writes: the close ends a raw or cut reply */
}

static void ready_remove(sl_http_conn *c)
{
    sl_http_server *s = c->s;
    pthread_mutex_lock(&s->ready_mu);
    for (sl_http_conn **pp = &s->ready; *pp; pp = &(*pp)->ready_next)
        if (*pp == c) {
            *pp = c->ready_next;
            break;
        }
    c->ready_queued = false;
    pthread_mutex_unlock(&s->ready_mu);
}

/* ---- request lifecycle ------------------------------------------------------------------- */

static void req_reset(sl_http_conn *c)
{
    sl_http_req *r = &c->req;
    sl_arena_reset(&r->arena);
    sl_buf_clear(&r->resp_headers);
    sl_buf_clear(&r->resp_body);
    sl_arena_t a = r->arena;
    sl_buf h = r->resp_headers, b = r->resp_body;
    memset(r, 0, sizeof *r);
    r->arena = a;
    r->resp_headers = h;
    r->resp_body = b;
    c->has_handler = c->cleanup_done = c->deliver_body = c->stream_head_sent = false;
    c->reported = false;
    c->stream_bytes = 0;
    c->body_len = c->pend_n = 0;
}

/* Copy the parsed head into the request arena and fill the fields handlers read. */
static bool fill_request(sl_http_conn *c, const sl__hp_head *h)
{
    sl_http_req *r = &c->req;
    char *copy = sl_arena_memdup(&r->arena, c->hp.head.p, c->hp.head.len);
    r->headers = sl_arena_alloc(&r->arena, (h->n_fields ? h->n_fields : 1) * sizeof *r->headers);
    if (copy == NULL || r->headers == NULL)
        return false;
    for (size_t i = 0; i < h->n_fields; i++) {
        sl_slice n, v;
        sl__hp_field_get(&c->hp, i, &n, &v);
        r->headers[i].name = (sl_slice){copy + (n.p - c->hp.head.p), n.n};
        r->headers[i].value = v.n ? (sl_slice){copy + (v.p - c->hp.head.p), v.n} : v;
    }
    r->n_headers = h->n_fields;
    r->method = h->method;
    r->target = (sl_slice){copy, h->target.n};
    const char *q = memchr(copy, '?', h->target.n);
    r->path = (sl_slice){copy, q ? (size_t)(q - copy) : h->target.n};
    r->query = q ? (sl_slice){q + 1, h->target.n - r->path.n - 1} : (sl_slice){copy + h->target.n, 0};
    r->content_length = h->content_length;
    r->chunked = h->chunked;
    r->expect_continue = sl_http_header_get(r, "Expect").p != NULL;
    r->tls = c->ssl != NULL;
    r->http_minor = (uint8_t)h->http_minor;
    r->role = c->l->role;
    r->local_port = c->l->port;
    memcpy(r->peer_ip, c->peer_ip, sizeof r->peer_ip);
    r->start_ms = sl_http_now_ms();
    r->app = c->s->app;
    return true;
}

static bool body_announced(const sl_http_req *r)
{
    return r->chunked || r->content_length > 0;
}

static void on_head(sl_http_conn *c)
{
    sl_http_server *s = c->s;
    if (!fill_request(c, sl__hp_head_get(&c->hp))) {
        layer_respond(c, 503, "out of memory\n");
        c->req.close_after = true;
        send_response(c);
        return;
    }
    const sl_http_handler *h = s->route(s->app, &c->req);
    if (h == NULL) {
        layer_respond(c, 404, "not found\n");
        c->req.close_after = body_announced(&c->req); /* do not read a body nobody wants */
        send_response(c);
        return;
    }
    c->req.handler = h;
    c->has_handler = true;
    c->phase = PH_BODY;
    queue_stage(c, ST_BEGIN);
}

static void on_complete(sl_http_conn *c)
{
    if (c->phase == PH_AFTER) { /* the answered body-less message ended: next one */
        c->phase = PH_IDLE;
        sl__hp_resume(&c->hp);
        return;
    }
    c->msg_done = true;
    queue_stage(c, c->body_len ? ST_BODY : ST_END);
}

static void on_parse_error(sl_http_conn *c)
{
    c->dead_parser = true;
    switch (c->hp.error) {
    case SL__HPE_TOO_LARGE:
        layer_respond(c, 431, "request header fields too large\n");
        break;
    case SL__HPE_NOMEM:
        layer_respond(c, 503, "out of memory\n");
        break;
    case SL__HPE_CODING:
        layer_respond_why(c, 501, "not implemented", sl__hp_error_text(&c->hp));
        break;
    default:
        layer_respond_why(c, 400, "bad request", c->hp.reason);
        break;
    }
    c->req.close_after = true;
    send_response(c);
}

/* The parser's body callback (loop thread): gather pieces into c->body for one BODY stage. */
static bool on_body_piece(void *u, const char *p, size_t n)
{
    sl_http_conn *c = u;
    c->req.body_bytes += n;
    if (c->phase != PH_BODY || !c->deliver_body)
        return false; /* no body() callback: discarded */
    if (c->body_len + n <= c->s->cfg.read_buffer_bytes) {
        memcpy(c->body + c->body_len, p, n);
        c->body_len += n;
        return false;
    }
    c->pend_p = p; /* stays valid: c->in is not refilled until this piece is copied */
    c->pend_n = n;
    return true;
}

/* Parse what is in c->in and act on where the parser stopped. */
static void feed(sl_http_conn *c)
{
    size_t used;
    sl__hp_event ev = sl__hp_execute(&c->hp, c->in + c->in_pos, c->in_len - c->in_pos, &used);
    c->in_pos += used;
    if (c->phase == PH_IDLE && (sl__hp_in_message(&c->hp) || ev == SL__HP_HEAD)) {
        c->phase = PH_HEAD;
        c->head_start_ms = sl_http_now_ms();
    }
    switch (ev) {
    case SL__HP_MORE:
        if (c->body_len)
            queue_stage(c, ST_BODY);
        break;
    case SL__HP_HEAD:
        on_head(c);
        break;
    case SL__HP_PAUSED:
        queue_stage(c, ST_BODY);
        break;
    case SL__HP_COMPLETE:
        on_complete(c);
        break;
    case SL__HP_ERROR:
        on_parse_error(c);
        break;
    }
}

/* ---- stages (worker threads) --------------------------------------------------------------- */

static void work_cb(uv_work_t *w)
{
    sl_http_conn *c = w->data;
    sl_http_req *r = &c->req;
    const sl_http_handler *h = r->handler;
    switch (c->stage) {
    case ST_BEGIN:
        if (h->begin)
            h->begin(r);
        break;
    case ST_BODY:
        if (h->body)
            h->body(r, c->body, c->body_len);
        break;
    case ST_END:
        if (h->end)
            h->end(r);
        break;
    case ST_EXPIRE:
        if (h->expire)
            h->expire(r);
        break;
    case ST_CLEANUP:
        if (h->cleanup)
            h->cleanup(r);
        break;
    }
}

static void after_begin(sl_http_conn *c)
{
    sl_http_req *r = &c->req;
    if (r->responded) {
        r->close_after = r->close_after || body_announced(r); /* no 100 Continue was sent */
        send_response(c);
        return;
    }
    c->deliver_body = r->handler->body != NULL && body_announced(r);
    if (c->deliver_body && c->body == NULL &&
        (c->body = sl_malloc(c->s->cfg.read_buffer_bytes)) == NULL) {
        layer_respond(c, 503, "out of memory\n");
        r->close_after = true;
        send_response(c);
        return;
    }
    sl_slice ex = sl_http_header_get(r, "Expect");
    if (body_announced(r) && sl_slice_ieq(ex, "100-continue") && c->hp.h.http_minor >= 1 &&
        !conn_send(c, CONTINUE_100, sizeof CONTINUE_100 - 1, false)) {
        conn_close(c);
        return;
    }
    c->last_ms = sl_http_now_ms();
    sl__hp_resume(&c->hp);
    pump(c);
}

static void after_body(sl_http_conn *c)
{
    sl_http_req *r = &c->req;
    c->body_len = 0;
    if (r->responded) {
        r->close_after = true; /* the rest of the upload is not read: lingering close */
        send_response(c);
        return;
    }
    if (c->pend_n) {
        memcpy(c->body, c->pend_p, c->pend_n);
        c->body_len = c->pend_n;
        c->pend_n = 0;
    }
    if (c->msg_done) {
        queue_stage(c, c->body_len ? ST_BODY : ST_END);
        return;
    }
    c->last_ms = sl_http_now_ms();
    sl__hp_resume(&c->hp);
    pump(c);
}

static void next_request(sl_http_conn *c)
{
    req_reset(c);
    c->n_requests++;
    c->phase = c->msg_done ? PH_IDLE : PH_AFTER;
    c->msg_done = false;
    c->last_ms = sl_http_now_ms();
    sl__hp_resume(&c->hp);
    pump(c);
}

static void after_work_cb(uv_work_t *w, int status)
{
    (void)status; /* never cancelled: we do not call uv_cancel */
    sl_http_conn *c = w->data;
    c->busy = false;
    if (c->stage == ST_CLEANUP)
        c->cleanup_done = true;
    if (c->closing) {
        conn_close(c);
        return;
    }
    if (c->s->cutting && (c->stage == ST_BEGIN || c->stage == ST_BODY) && !c->req.responded &&
        !c->req.shutdown && !c->msg_done) {
        cut_off(c); /* the grace ended while this stage ran */
        return;
    }
    if (c->req._stream && (c->stage == ST_BEGIN || c->stage == ST_BODY)) {
        conn_close(c); /* a stream may only begin in end(): a handler bug */
        return;
    }
    switch (c->stage) {
    case ST_BEGIN:
        after_begin(c);
        break;
    case ST_BODY:
        after_body(c);
        break;
    case ST_END:
        c->req.completed = true;
        if (c->req._stream) {
            stream_end(c);
            break;
        }
        if (!c->req.responded)
            layer_respond(c, 500, "handler set no response\n");
        send_response(c);
        break;
    case ST_EXPIRE:
        if (!c->req.responded) {
            conn_close(c);
            return;
        }
        c->req.close_after = true;
        send_response(c);
        break;
    case ST_CLEANUP:
        if (c->phase != PH_LINGER)
            next_request(c);
        break;
    }
}

static void queue_stage(sl_http_conn *c, enum stage st)
{
    c->stage = st;
    c->busy = true;
    c->work.data = c;
    pump(c); /* stops reading and the timer (unless lingering) */
    if (uv_queue_work(&c->s->loop, &c->work, work_cb, after_work_cb) != 0) {
        c->busy = false; /* cannot happen with a non-NULL work_cb; close defensively */
        c->cleanup_done = true;
        conn_close(c);
    }
}

/* ---- closing ----------------------------------------------------------------------------- */

static void conn_free(sl_http_conn *c)
{
    sl_http_server *s = c->s;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->n_conns--;
    ready_remove(c);
    atomic_fetch_sub_explicit(&c->l->open, 1, memory_order_relaxed);
    sl__hp_free(&c->hp);
    if (c->ssl)
        sl__tls_free(c->ssl);
    sl_arena_free(&c->req.arena);
    sl_buf_free(&c->req.resp_headers);
    sl_buf_free(&c->req.resp_body);
    sl_free(c->in);
    sl_free(c->raw);
    sl_free(c->body);
    sl_free(c);
}

static void on_handle_closed(uv_handle_t *h)
{
    sl_http_conn *c = h->data;
    if (--c->open_handles == 0)
        conn_free(c);
}

/* Close the connection: wait for a running stage, run cleanup once, then close the handles. */
static void conn_close(sl_http_conn *c)
{
    if (!c->busy && c->phase != PH_IDLE && c->phase != PH_LINGER)
        report(c, 499, 0); /* the client went away (or was cut off) before a reply */
    c->closing = true;
    if (c->req._stream)
        sl__stream_kill(c->req._stream); /* a producer waiting on the window gives up */
    if (c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
    uv_timer_stop(&c->timer);
    if (c->busy || c->handles_closing)
        return;
    if (c->has_handler && !c->cleanup_done) {
        if (c->req.handler->cleanup) {
            queue_stage(c, ST_CLEANUP);
            return;
        }
        c->cleanup_done = true;
    }
    c->handles_closing = true;
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    (void)req;
    (void)status;
}

/* After a closing response: FIN, then read and discard so the client sees the reply rather
 * than a reset caused by unread data [nginx lingering_close]. */
static void start_linger(sl_http_conn *c)
{
    c->phase = PH_LINGER;
    c->linger_start_ms = sl_http_now_ms();
    c->linger_bytes = 0;
    if (c->ssl) {
        sl__tls_shutdown(c->ssl);
        if (!tls_flush(c, false)) {
            conn_close(c);
            return;
        }
    }
    if (uv_shutdown(&c->shut, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
        conn_close(c);
        return;
    }
    if (c->has_handler && !c->cleanup_done) {
        if (c->req.handler->cleanup) {
            queue_stage(c, ST_CLEANUP); /* runs while we linger */
            return;
        }
        c->cleanup_done = true;
    }
    pump(c);
}

static void on_response_written(sl_http_conn *c)
{
    if (!c->keep || c->s->stopping) { /* a shutdown began while this reply was built */
        start_linger(c);
        return;
    }
    if (c->has_handler && !c->cleanup_done) {
        if (c->req.handler->cleanup) {
            queue_stage(c, ST_CLEANUP); /* then next_request */
            return;
        }
        c->cleanup_done = true;
    }
    next_request(c);
}

/* ---- reading ----------------------------------------------------------------------------- */

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)hint;
    sl_http_conn *c = h->data;
    size_t cap = c->s->cfg.read_buffer_bytes;
    char **slot = c->ssl ? &c->raw : &c->in;
    if (*slot == NULL)
        *slot = sl_malloc(cap);
    /* A NULL buffer makes libuv report UV_ENOBUFS, which closes the connection. */
    *buf = uv_buf_init(*slot, *slot ? (unsigned)cap : 0);
}

static void read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    sl_http_conn *c = st->data;
    if (nread == 0) /* EAGAIN, not EOF */
        return;
    if (c->phase == PH_LINGER) {
        if (nread < 0 || (c->linger_bytes += (size_t)nread) > LINGER_BYTES)
            conn_close(c);
        return;
    }
    if (nread < 0) { /* EOF or error: a request in progress is abandoned (cleanup runs) */
        conn_close(c);
        return;
    }
    c->last_ms = sl_http_now_ms();
    atomic_fetch_add_explicit(&c->l->bytes_in, (uint64_t)nread, memory_order_relaxed);
    if (c->ssl) {
        if (!sl__tls_feed(c->ssl, buf->base, (size_t)nread)) {
            conn_close(c);
            return;
        }
    } else {
        c->in_pos = 0;
        c->in_len = (size_t)nread;
    }
    pump(c);
}

/* Decrypt more plaintext into c->in. False when there is none for now (or the connection
 * is closing). */
static bool tls_fill(sl_http_conn *c)
{
    if (c->in == NULL && (c->in = sl_malloc(c->s->cfg.read_buffer_bytes)) == NULL) {
        conn_close(c);
        return false;
    }
    size_t got = 0;
    sl__tls_rc rc = sl__tls_read(c->ssl, c->in, c->s->cfg.read_buffer_bytes, &got);
    if (!tls_flush(c, false)) {
        conn_close(c);
        return false;
    }
    if (rc == SL__TLS_OK) {
        c->in_pos = 0;
        c->in_len = got;
        return true;
    }
    if (rc != SL__TLS_WANT)
        conn_close(c); /* close_notify or a TLS failure */
    return false;
}

static bool parsing_phase(enum phase p)
{
    return p == PH_IDLE || p == PH_HEAD || p == PH_BODY || p == PH_AFTER;
}

static void update_reading(sl_http_conn *c)
{
    bool want;
    if (c->closing)
        want = false;
    else if (c->phase == PH_LINGER)
        want = true;
    else
        want = !c->busy && !c->dead_parser && parsing_phase(c->phase) && c->in_pos == c->in_len;
    if (want && !c->reading)
        c->reading = uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb) == 0;
    else if (!want && c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
}

/* Parse whatever is buffered until a stage is queued or input runs out, then set reading
 * and the timer to match the new state. */
static void pump(sl_http_conn *c)
{
    while (!c->closing && !c->busy && !c->dead_parser && parsing_phase(c->phase)) {
        if (c->in_pos < c->in_len)
            feed(c);
        else if (c->ssl == NULL || !tls_fill(c))
            break;
    }
    if (c->closing)
        return;
    update_reading(c);
    update_timer(c);
}

/* ---- timers ------------------------------------------------------------------------------ */

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* When the connection's current wait ends, in sl_http_now_ms time. */
static uint64_t next_due(const sl_http_conn *c)
{
    const sl_http_config *cfg = &c->s->cfg;
    uint64_t idle = c->last_ms + cfg->idle_timeout_ms;
    switch (c->phase) {
    case PH_LINGER:
        return c->linger_start_ms + LINGER_MS;
    case PH_IDLE:
        return c->n_requests ? idle : min_u64(idle, c->accept_ms + cfg->header_timeout_ms);
    case PH_HEAD:
        return min_u64(idle, c->head_start_ms + cfg->header_timeout_ms);
    case PH_BODY:
        return c->req.deadline_ms ? min_u64(idle, c->req.deadline_ms) : idle;
    default:
        return idle;
    }
}

static void timer_cb(uv_timer_t *t)
{
    sl_http_conn *c = t->data;
    if (c->closing || (c->busy && c->phase != PH_LINGER))
        return;
    uint64_t now = sl_http_now_ms();
    if (now < next_due(c)) {
        update_timer(c);
        return;
    }
    if (c->phase == PH_BODY && c->has_handler && c->req.handler->expire) {
        queue_stage(c, ST_EXPIRE);
        return;
    }
    conn_close(c); /* header/idle timeout, linger over, or expiry without expire() */
}

static void update_timer(sl_http_conn *c)
{
    if (c->closing || (c->busy && c->phase != PH_LINGER)) {
        uv_timer_stop(&c->timer);
        return;
    }
    uint64_t now = sl_http_now_ms(), due = next_due(c);
    uv_timer_start(&c->timer, timer_cb, due > now ? due - now : 0, 0);
}

/* ---- accepting --------------------------------------------------------------------------- */

static void free_handle(uv_handle_t *h)
{
    sl_free(h);
}

/* Accept and close at once: over the connection limit, stopping, or out of memory. */
static void reject(uv_stream_t *server)
{
    struct listener *l = server->data;
    atomic_fetch_add_explicit(&l->rejected, 1, memory_order_relaxed);
    uv_tcp_t *t = sl_malloc(sizeof *t);
    if (t == NULL)
        return; /* libuv pauses accepting until the next accept; nothing better to do */
    uv_tcp_init(server->loop, t);
    uv_accept(server, (uv_stream_t *)t);
    uv_close((uv_handle_t *)t, free_handle);
}

static void peer_name(sl_http_conn *c)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;
    c->peer_ip[0] = '\0';
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) != 0)
        return;
    if (ss.ss_family == AF_INET6)
        uv_ip6_name((struct sockaddr_in6 *)&ss, c->peer_ip, sizeof c->peer_ip);
    else
        uv_ip4_name((struct sockaddr_in *)&ss, c->peer_ip, sizeof c->peer_ip);
}

/* True when c's peer address already holds max_connections_per_client other connections
 * (c itself is on the list, first). A walk of at most max_connections entries, per accept. */
static bool over_client_cap(const sl_http_conn *c)
{
    uint32_t n = 0;
    if (c->peer_ip[0] == '\0')
        return false;
    for (const sl_http_conn *o = c->next; o; o = o->next)
        if (!o->closing && strcmp(o->peer_ip, c->peer_ip) == 0 &&
            ++n >= c->s->cfg.max_connections_per_client)
            return true;
    return false;
}

static void on_connection(uv_stream_t *server, int status)
{
    struct listener *l = server->data;
    sl_http_server *s = l->s;
    sl_http_conn *c = NULL;
    if (status < 0)
        return;
    if (s->stopping || s->n_conns >= s->cfg.max_connections ||
        (c = sl_calloc(sizeof *c)) == NULL) {
        reject(server);
        return;
    }
    c->s = s;
    c->l = l;
    uv_tcp_init(&s->loop, &c->tcp);
    uv_timer_init(&s->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->open_handles = 2;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->n_conns++;
    atomic_fetch_add_explicit(&l->accepted, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&l->open, 1, memory_order_relaxed);
    sl__hp_init(&c->hp, s->cfg.max_header_bytes, on_body_piece, c);
    sl_arena_init(&c->req.arena, 0);
    c->accept_ms = c->last_ms = sl_http_now_ms();
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 ||
        (l->tls && (c->ssl = sl__tls_new(l->tls)) == NULL)) {
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    peer_name(c);
    if (over_client_cap(c)) {
        atomic_fetch_add_explicit(&l->rejected, 1, memory_order_relaxed);
        conn_close(c);
        return;
    }
    pump(c);
}

/* ---- server ------------------------------------------------------------------------------ */

/* One line of the server's own log (shutdown only): through on_log, else on stderr. */
static void log_line(sl_http_server *s, int level, const char *fmt, ...) SL_PRINTF(3, 4);
static void log_line(sl_http_server *s, int level, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (s->cfg.on_log)
        s->cfg.on_log(s->app, level, line);
    else
        fprintf(stderr, "sluice: %s\n", line);
}

static void close_listeners(sl_http_server *s)
{
    if (!s->stopping)
        for (sl_http_peer *p = s->peers; p; p = p->next)
            p->drain(p->arg);
    s->stopping = true;
    for (struct listener *l = s->listeners; l; l = l->next) {
        if (!l->closed) {
            l->closed = true;
            uv_close((uv_handle_t *)&l->tcp, NULL);
        }
    }
}

/* Stop at once: every connection is closed, requests in flight get their cleanup only. */
static void stop_now(sl_http_server *s)
{
    uv_timer_stop(&s->grace_timer);
    close_listeners(s);
    for (sl_http_peer *p = s->peers; p; p = p->next)
        p->stop(p->arg);
    for (sl_http_conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        conn_close(c);
    }
}

/* The grace is over for c: answer its request through the handler's expire() (with
 * r->shutdown set, so the adapter says why in its protocol's form) or, without one, a plain
 * 503. A stage in flight is waited for (after_work_cb comes back here). */
static void cut_off(sl_http_conn *c)
{
    if (c->closing || c->phase == PH_RESPOND || c->phase == PH_LINGER)
        return; /* answered already: it ends by itself */
    if (c->phase != PH_BODY || !c->has_handler) {
        conn_close(c);
        return;
    }
    if (c->busy || c->req.responded || c->req.shutdown)
        return;
    sl_http_req *r = &c->req;
    log_line(c->s, SL_HTTP_LOG_WARN, "shutdown: cut off %s %.*s from %s after %llu body bytes",
             r->method, (int)(r->path.n > 200 ? 200 : r->path.n), r->path.p, c->peer_ip,
             (unsigned long long)r->body_bytes);
    r->shutdown = true;
    if (r->handler->expire) {
        queue_stage(c, ST_EXPIRE);
        return;
    }
    layer_respond(c, 503, "server is shutting down\n");
    r->close_after = true;
    send_response(c);
}

static void on_final(uv_timer_t *t)
{
    stop_now(t->data);
}

static void grace_over(sl_http_server *s)
{
    if (s->cutting)
        return;
    s->cutting = true;
    for (sl_http_peer *p = s->peers; p; p = p->next)
        p->stop(p->arg);
    for (sl_http_conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        cut_off(c);
    }
    uv_timer_start(&s->grace_timer, on_final, FINAL_MS, 0);
}

static void on_grace(uv_timer_t *t)
{
    grace_over(t->data);
}

/* Graceful shutdown starts: no new connections; connections between requests are closed;
 * requests in flight go on until they finish or the grace ends. */
static void drain_start(sl_http_server *s, uint32_t grace_ms)
{
    close_listeners(s);
    unsigned n = 0;
    for (sl_http_conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        if (c->closing)
            continue;
        if (!c->busy && (c->phase == PH_IDLE || c->phase == PH_HEAD))
            conn_close(c);
        else if (c->phase != PH_LINGER)
            n++;
    }
    log_line(s, SL_HTTP_LOG_INFO,
             "shutting down: no new connections; %u request%s in flight, grace %u ms", n,
             n == 1 ? "" : "s", grace_ms);
    uv_timer_start(&s->grace_timer, on_grace, grace_ms, 0);
}

static void on_stop(uv_async_t *a)
{
    sl_http_server *s = a->data;
    if (atomic_load(&s->hard_stop)) {
        stop_now(s);
        return;
    }
    int n = atomic_load(&s->n_shutdown);
    if (n == s->n_shutdown_seen)
        return;
    bool first = s->n_shutdown_seen == 0;
    s->n_shutdown_seen = n;
    if (first)
        drain_start(s, atomic_load(&s->grace_ms));
    if (!first || n > 1)
        grace_over(s); /* asked twice: no more waiting */
}

/* libuv writes to sockets with write(2): a peer that reset would kill the process with
 * SIGPIPE. Ignore it unless the application installed its own handler. */
static void ignore_sigpipe(void)
{
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_IGN;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGPIPE, &sa, NULL);
    }
}

sl_http_server *sl_http_server_new(const sl_http_config *cfg, sl_http_route_fn route, void *app,
                                   sl_err *err)
{
    sl_http_server *s = sl_calloc(sizeof *s);
    if (s == NULL) {
        sl_fail(err, SL_NOMEM, "cannot allocate the http server");
        return NULL;
    }
    sl_http_config d;
    sl_http_config_default(&d);
    s->cfg = cfg ? *cfg : d;
    if (s->cfg.max_header_bytes == 0)
        s->cfg.max_header_bytes = d.max_header_bytes;
    if (s->cfg.idle_timeout_ms == 0)
        s->cfg.idle_timeout_ms = d.idle_timeout_ms;
    if (s->cfg.header_timeout_ms == 0)
        s->cfg.header_timeout_ms = d.header_timeout_ms;
    if (s->cfg.max_connections == 0)
        s->cfg.max_connections = d.max_connections;
    if (s->cfg.max_connections_per_client == 0)
        s->cfg.max_connections_per_client = d.max_connections_per_client;
    if (s->cfg.read_buffer_bytes < 1024)
        s->cfg.read_buffer_bytes = d.read_buffer_bytes;
    s->route = route;
    s->app = app;
    int rc = uv_loop_init(&s->loop);
    if (rc == 0 && (rc = uv_async_init(&s->loop, &s->stop_async, on_stop)) != 0)
        uv_loop_close(&s->loop);
    if (rc == 0 && (rc = uv_async_init(&s->loop, &s->stream_async, on_stream_ready)) != 0) {
        uv_close((uv_handle_t *)&s->stop_async, NULL);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        uv_loop_close(&s->loop);
    }
    if (rc == 0 && pthread_mutex_init(&s->ready_mu, NULL) != 0) {
        uv_close((uv_handle_t *)&s->stop_async, NULL);
        uv_close((uv_handle_t *)&s->stream_async, NULL);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        uv_loop_close(&s->loop);
        rc = UV_ENOMEM;
    }
    if (rc != 0) {
        sl_free(s);
        sl_fail(err, SL_INTERNAL, "cannot create the event loop: %s", uv_strerror(rc));
        return NULL;
    }
    s->stop_async.data = s;
    uv_unref((uv_handle_t *)&s->stop_async);
    s->stream_async.data = s;
    uv_unref((uv_handle_t *)&s->stream_async); /* the loop ends when listeners and conns do */
    uv_timer_init(&s->loop, &s->grace_timer);
    s->grace_timer.data = s;
    uv_unref((uv_handle_t *)&s->grace_timer);
    ignore_sigpipe();
    return s;
}

static int resolve(const char *host, int port, struct sockaddr_storage *ss)
{
    struct addrinfo hints, *res = NULL;
    char service[16];
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(service, sizeof service, "%d", port);
    if (host && (host[0] == '\0' || strcmp(host, "*") == 0))
        host = NULL;
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0)
        return UV_EINVAL;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

sl_code sl_http_listen(sl_http_server *s, const char *host, int port, int role, void *tls,
                       int *bound_port, sl_err *err)
{
    struct sockaddr_storage ss;
    int rc = resolve(host, port, &ss);
    if (rc != 0)
        return sl_fail(err, SL_INVALID, "cannot resolve listen address %s", host ? host : "*");
    struct listener *l = sl_calloc(sizeof *l);
    if (l == NULL)
        return sl_fail(err, SL_NOMEM, "cannot allocate a listener");
    l->s = s;
    l->role = role;
    l->tls = tls;
    l->next = s->listeners;
    s->listeners = l;
    uv_tcp_init(&s->loop, &l->tcp);
    l->tcp.data = l;
    struct sockaddr_storage bound;
    int len = sizeof bound;
    if ((rc = uv_tcp_bind(&l->tcp, (struct sockaddr *)&ss, 0)) != 0 ||
        (rc = uv_listen((uv_stream_t *)&l->tcp, BACKLOG, on_connection)) != 0 ||
        (rc = uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&bound, &len)) != 0) {
        l->closed = true;
        uv_close((uv_handle_t *)&l->tcp, NULL);
        return sl_fail(err, SL_INTERNAL, "cannot listen on %s:%d: %s", host ? host : "*", port,
                       uv_strerror(rc));
    }
    l->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                : ((struct sockaddr_in *)&bound)->sin_port);
    if (bound_port)
        *bound_port = l->port;
    return SL_OK;
}

void *sl_http_server_loop(sl_http_server *s)
{
    return &s->loop;
}

void sl_http_server_add_peer(sl_http_server *s, sl_http_peer *p)
{
    p->next = s->peers;
    s->peers = p;
}

sl_code sl_http_server_run(sl_http_server *s)
{
    uv_run(&s->loop, UV_RUN_DEFAULT);
    return SL_OK;
}

void sl_http_server_stop(sl_http_server *s)
{
    atomic_store(&s->hard_stop, 1);
    uv_async_send(&s->stop_async); /* thread-safe and async-signal-safe */
}

void sl_http_server_shutdown(sl_http_server *s, uint32_t grace_ms)
{
    if (atomic_load(&s->n_shutdown) == 0)
        atomic_store(&s->grace_ms, grace_ms);
    atomic_fetch_add(&s->n_shutdown, 1); /* lock-free atomics: async-signal-safe */
    uv_async_send(&s->stop_async);
}

void sl_http_server_free(sl_http_server *s)
{
    if (s == NULL)
        return;
    stop_now(s); /* closes whatever is still open (no-op after a stop) */
    uv_run(&s->loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&s->stop_async, NULL);
    uv_close((uv_handle_t *)&s->stream_async, NULL);
    uv_close((uv_handle_t *)&s->grace_timer, NULL);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    uv_loop_close(&s->loop);
    pthread_mutex_destroy(&s->ready_mu);
    for (struct listener *l = s->listeners, *next; l; l = next) {
        next = l->next;
        sl_free(l);
    }
    sl_free(s);
}

void sl_http_server_stats(sl_http_server *s, int role, sl_http_stats *out)
{
    memset(out, 0, sizeof *out);
    for (struct listener *l = s->listeners; l; l = l->next) {
        if (l->role != role)
            continue;
        out->accepted += atomic_load_explicit(&l->accepted, memory_order_relaxed);
        out->rejected += atomic_load_explicit(&l->rejected, memory_order_relaxed);
        out->open += atomic_load_explicit(&l->open, memory_order_relaxed);
        out->bytes_in += atomic_load_explicit(&l->bytes_in, memory_order_relaxed);
        out->bytes_out += atomic_load_explicit(&l->bytes_out, memory_order_relaxed);
        out->requests += atomic_load_explicit(&l->requests, memory_order_relaxed);
    }
}
