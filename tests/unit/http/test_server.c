/*
 * test_server.c - the HTTP/1.1 transport end to end over loopback (tests for src/http/server.c).
 *
 * Each test starts a server on 127.0.0.1 port 0 in a thread with the handlers below and talks
 * raw bytes over sockets. Every wait is bounded by a socket timeout or a polling deadline.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "http/http.h"

/* ---- counters the handlers bump (test process only) -------------------------------------- */

static atomic_int n_begin, n_body, n_end, n_expire, n_cleanup, n_completed;
static atomic_int saw_cl, saw_chunked, saw_expect;

struct echo {
    uint64_t bytes;
    uint64_t hash;
    int calls;
};

static uint64_t fnv(uint64_t h, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

static void echo_begin(sl_http_req *r)
{
    n_begin++;
    struct echo *e = sl_arena_alloc(&r->arena, sizeof *e);
    e->bytes = 0;
    e->hash = 14695981039346656037ull;
    e->calls = 0;
    r->ctx = e;
    saw_cl = (int)r->content_length;
    saw_chunked = r->chunked;
    saw_expect = r->expect_continue;
}

static void echo_body(sl_http_req *r, const char *p, size_t n)
{
    struct echo *e = r->ctx;
    n_body++;
    e->bytes += n;
    e->calls++;
    e->hash = fnv(e->hash, p, n);
}

static void echo_end(sl_http_req *r)
{
    struct echo *e = r->ctx;
    n_end++;
    char out[128];
    int k = snprintf(out, sizeof out, "bytes=%llu calls=%d hash=%016llx\n",
                     (unsigned long long)e->bytes, e->calls, (unsigned long long)e->hash);
    sl_http_add_header(r, "X-Calls", "yes");
    sl_http_respond(r, 200, "text/plain", out, (size_t)k);
}

static void count_cleanup(sl_http_req *r)
{
    n_cleanup++;
    if (r->completed)
        n_completed++;
}

static void hello_end(sl_http_req *r)
{
    n_end++;
    sl_http_respond(r, 200, "text/plain", "hello\n", 6);
}

static void reject_begin(sl_http_req *r)
{
    n_begin++;
    sl_http_respond(r, 401, "application/json", "{\"denied\":true}", 15);
}

static void midfail_body(sl_http_req *r, const char *p, size_t n)
{
    (void)p;
    (void)n;
    n_body++;
    if (r->body_bytes >= 64 * 1024)
        sl_http_respond(r, 400, "application/json", "{\"error\":\"stop\"}", 16);
}

static void deadline_begin(sl_http_req *r)
{
    n_begin++;
    r->deadline_ms = sl_http_now_ms() + 200;
}

static void deadline_expire(sl_http_req *r)
{
    n_expire++;
    sl_http_respond(r, 504, "text/plain", "expired\n", 8);
}

static atomic_int saw_shutdown;

/* expire() that tells a graceful shutdown's cut-off from a deadline. */
static void drain_expire(sl_http_req *r)
{
    n_expire++;
    saw_shutdown = r->shutdown;
    sl_http_respond(r, 200, "application/json", "{\"cut\":true}", 13);
}

static void both_begin(sl_http_req *r)
{
    n_begin++;
    if (r->content_length >= 0 && r->chunked) {
        const char *m = "please do not set both content_length and transfer-encoding";
        sl_http_respond(r, 200, "application/json", m, strlen(m));
    }
}

static void sink_body(sl_http_req *r, const char *p, size_t n)
{
    (void)r;
    (void)p;
    (void)n;
    n_body++;
}

/* Streamed replies: /stream?n=N writes N bytes (byte i is 'a' + i % 26) in pieces of 1000;
 * /streamcut writes 200 KiB, then fails (the reply is cut). */
static atomic_llong stream_written;
static atomic_int stream_failed, stream_done;

static void stream_end(sl_http_req *r)
{
    long long n = atoll(r->query.n > 2 ? r->query.p + 2 : "0");
    bool cut = sl_slice_eq(r->path, "/streamcut");
    if (cut)
        n = 200 * 1024;
    cr_assert(eq(int, sl_http_stream_begin(r, 200, "text/plain"), SL_OK));
    char piece[1000];
    for (long long at = 0; at < n;) {
        size_t k = n - at < (long long)sizeof piece ? (size_t)(n - at) : sizeof piece;
        for (size_t i = 0; i < k; i++)
            piece[i] = (char)('a' + (at + (long long)i) % 26);
        if (sl_http_stream_write(r, piece, k) != SL_OK) {
            stream_failed++;
            break;
        }
        at += (long long)k;
        stream_written = at;
    }
    if (cut)
        sl_http_respond(r, 500, "text/plain", "too late\n", 9); /* cuts the started reply */
    stream_done++;
}

static const sl_http_handler h_echo = {"echo", echo_begin, echo_body, echo_end, NULL,
                                       count_cleanup};
static const sl_http_handler h_hello = {"hello", NULL, NULL, hello_end, NULL, count_cleanup};
static const sl_http_handler h_reject = {"reject", reject_begin, NULL, hello_end, NULL,
                                         count_cleanup};
static const sl_http_handler h_midfail = {"midfail", NULL, midfail_body, hello_end, NULL,
                                          count_cleanup};
static const sl_http_handler h_deadline = {"deadline", deadline_begin, sink_body, hello_end,
                                           deadline_expire, count_cleanup};
static const sl_http_handler h_slow = {"slow", NULL, sink_body, hello_end, NULL, count_cleanup};
static const sl_http_handler h_both = {"both", both_begin, sink_body, hello_end, NULL,
                                       count_cleanup};
static const sl_http_handler h_drain = {"drain", NULL, sink_body, hello_end, drain_expire,
                                        count_cleanup};
static const sl_http_handler h_stream = {"stream", NULL, NULL, stream_end, NULL, count_cleanup};

static const sl_http_handler *route(void *app, sl_http_req *r)
{
    (void)app;
    static const struct {
        const char *path;
        const sl_http_handler *h;
    } table[] = {{"/echo", &h_echo},         {"/hello", &h_hello}, {"/reject", &h_reject},
                 {"/midfail", &h_midfail},   {"/slow", &h_slow},   {"/deadline", &h_deadline},
                 {"/both", &h_both},         {"/drain", &h_drain},
                 {"/stream", &h_stream},     {"/streamcut", &h_stream}};
    for (size_t i = 0; i < SL_COUNT(table); i++)
        if (sl_slice_eq(r->path, table[i].path))
            return table[i].h;
    return NULL;
}

/* ---- server in a thread ------------------------------------------------------------------ */

struct srv {
    sl_http_server *s;
    pthread_t t;
    int port;
    atomic_int done;
};

static void *run_thread(void *arg)
{
    struct srv *v = arg;
    sl_http_server_run(v->s);
    v->done = 1;
    return NULL;
}

static void start_tls(struct srv *v, sl_http_config *cfg, void *tls)
{
    sl_err err = {0};
    sl_http_config d;
    if (cfg == NULL) {
        sl_http_config_default(&d);
        cfg = &d;
    }
    v->done = 0;
    v->s = sl_http_server_new(cfg, route, NULL, &err);
    cr_assert(v->s != NULL, "%s", err.msg);
    cr_assert(eq(int, sl_http_listen(v->s, "127.0.0.1", 0, 7, tls, &v->port, &err), SL_OK), "%s",
              err.msg);
    cr_assert(v->port > 0);
    cr_assert(eq(int, pthread_create(&v->t, NULL, run_thread, v), 0));
}

static void start(struct srv *v, sl_http_config *cfg)
{
    start_tls(v, cfg, NULL);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Poll until *counter reaches want, at most ms milliseconds. */
static bool wait_for(atomic_int *counter, int want, int ms)
{
    for (int i = 0; i < ms / 5; i++) {
        if (*counter >= want)
            return true;
        sleep_ms(5);
    }
    return *counter >= want;
}

static void stop(struct srv *v)
{
    sl_http_server_stop(v->s);
    cr_assert(wait_for(&v->done, 1, 5000), "server did not stop");
    pthread_join(v->t, NULL);
    sl_http_server_free(v->s);
}

/* ---- raw client -------------------------------------------------------------------------- */

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(fd >= 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert(eq(int, connect(fd, (struct sockaddr *)&a, sizeof a), 0));
    return fd;
}

static bool send_all(int fd, const void *p, size_t n)
{
    const char *q = p;
    while (n) {
        ssize_t k = send(fd, q, n, MSG_NOSIGNAL);
        if (k <= 0)
            return false;
        q += k;
        n -= (size_t)k;
    }
    return true;
}

static void send_str(int fd, const char *s)
{
    cr_assert(send_all(fd, s, strlen(s)), "send failed: %s", strerror(errno));
}

struct resp {
    int status;
    char head[4096];
    char body[4096];
    size_t body_len;
    bool closed_hint;  /* Connection: close */
};

/* Read one response (head + Content-Length body) byte by byte from the socket, so that bytes
 * of a following response stay in the socket. False on EOF/timeout before it is complete. */
static bool read_response(int fd, struct resp *r, bool is_head)
{
    size_t n = 0;
    memset(r, 0, sizeof *r);
    while (n + 1 < sizeof r->head) {
        ssize_t k = recv(fd, r->head + n, 1, 0);
        if (k <= 0)
            return false;
        n++;
        if (n >= 4 && memcmp(r->head + n - 4, "\r\n\r\n", 4) == 0)
            break;
    }
    r->head[n] = '\0';
    if (sscanf(r->head, "HTTP/1.1 %d", &r->status) != 1)
        return false;
    r->closed_hint = strstr(r->head, "Connection: close") != NULL;
    const char *cl = strstr(r->head, "Content-Length: ");
    size_t len = cl ? strtoul(cl + 16, NULL, 10) : 0;
    if (is_head || r->status == 100)
        return true;
    while (r->body_len < len && r->body_len + 1 < sizeof r->body) {
        ssize_t k = recv(fd, r->body + r->body_len, len - r->body_len, 0);
        if (k <= 0)
            return false;
        r->body_len += (size_t)k;
    }
    r->body[r->body_len] = '\0';
    return true;
}

/* True when the server closes (EOF or reset) within ms, discarding whatever arrives. */
static bool closed_within(int fd, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[4096];
    for (int i = 0; i < 10000; i++) {
        ssize_t k = recv(fd, buf, sizeof buf, 0);
        if (k == 0 || (k < 0 && errno == ECONNRESET))
            return true;
        if (k < 0)
            return false; /* timeout */
    }
    return false;
}

struct sender {
    int fd;
    size_t n;
    pthread_t t;
    size_t sent;
};

/* Keep sending n bytes of body (ignoring failures), as a client that does not wait would. */
static void *sender_thread(void *arg)
{
    struct sender *s = arg;
    char buf[16384];
    memset(buf, 'x', sizeof buf);
    while (s->sent < s->n) {
        size_t k = s->n - s->sent < sizeof buf ? s->n - s->sent : sizeof buf;
        ssize_t w = send(s->fd, buf, k, MSG_NOSIGNAL);
        if (w <= 0)
            break;
        s->sent += (size_t)w;
    }
    return NULL;
}

static void reset_counters(void)
{
    stream_written = 0;
    stream_failed = stream_done = 0;
    n_begin = n_body = n_end = n_expire = n_cleanup = n_completed = 0;
    saw_cl = saw_chunked = saw_expect = 0;
}

TestSuite(http_server, .init = reset_counters, .timeout = 20);

/* ---- tests ------------------------------------------------------------------------------- */

Test(http_server, simple_get)
{
    struct srv v;
    struct resp r;
    start(&v, NULL);
    int fd = dial(v.port);
    send_str(fd, "GET /hello?x=1 HTTP/1.1\r\nHost: t\r\n\r\n");
    cr_assert(read_response(fd, &r, false));
    cr_assert(eq(int, r.status, 200));
    cr_assert(eq(str, r.body, "hello\n"));
    cr_assert(strstr(r.head, "Content-Type: text/plain\r\n") != NULL);
    cr_assert(strstr(r.head, "Connection: keep-alive\r\n") != NULL);
    cr_assert(wait_for(&n_cleanup, 1, 2000));
    cr_assert(eq(int, n_completed, 1));
    close(fd);
    stop(&v);
}

Test(http_server, unknown_route_404_keeps_connection)
{
    struct srv v;
    struct resp r;
    start(&v, NULL);
    int fd = dial(v.port);
    send_str(fd, "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n");
    cr_assert(read_response(fd, &r, false));
    cr_assert(eq(int, r.status, 404));
    cr_assert(eq(str, r.body, "not found\n"));
    cr_assert(strstr(r.head, "404 Not Found") != NULL);
    send_str(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    cr_assert(read_response(fd, &r, false));
    cr_assert(eq(int, r.status, 200));
    close(fd);
    stop(&v);
}

static char *pattern(size_t n)
{
    char *p = malloc(n);
    cr_assert(p != NULL);
    for (size_t i = 0; i < n; i++)
        p[i] = (char)('a' + (i * 7 + i / 1000) % 26);
    return p;
}

Test(http_server, put_content_length_many_body_calls)
{
    struct srv v;
    struct resp r;
    sl_http_config cfg;
    sl_http_config_default(&cfg);
    cfg.read_buffer_bytes = 4096; /* forces many body() calls */
    start(&v, &cfg);
    size_t n = 1 << 20;
    char *body = pattern(n);
    int fd = dial(v.port);
    char head[256];
    snprintf(head, sizeof head, "PUT /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n", n);
    send_str(fd, head);
    cr_assert(send_all(fd, body, n / 3));
    sleep_ms(20);
    cr_assert(send_all(fd, body + n / 3, n - n / 3));
    cr_assert(read_response(fd, &r, false));
    cr_assert(eq(int, r.status, 200));
    unsigned long long bytes = 0, hash = 0;
    int calls = 0;
    cr_assert(eq(int, sscanf(r.body, "bytes=%llu calls=%d hash=%llx", &bytes, &calls, &hash), 3));
    cr_assert(eq(u64, bytes, n));
    cr_assert(eq(u64, hash, fnv(14695981039346656037ull, body, n)));
    cr_assert(gt(int, calls, 200), "calls=%d", calls);
    cr_assert(strstr(r.head, "X-Calls: yes\r\n") != NULL);
    cr_assert(eq(int, saw_cl, (int)n));
    cr_assert(wait_for(&n_cleanup, 1, 2000));
    free(body);
    close(fd);
    stop(&v);
}

Test(http_server, chunked_body)
{
    struct srv v;
    struct resp r;
    start(&v, NULL);
    int fd = dial(v.port);
    send_str(fd, "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    const char *pieces[] = {"hello", " ", "chunked", " world"};
    uint64_t h = 14695981039346656037ull;
    size_t total = 0;
    for (size_t i = 0; i < SL_COUNT(pieces); i++) {
        char line[64];
        size_t k = strlen(pieces[i]);
        snprintf(line, sizeof line, "%zx\r\n%s\r\n", k, pieces[i]);
        send_str(fd, line);
        h = fnv(h, pieces[i], k);
        total += k;
        sleep_ms(5);
    }
    send_str(fd, "0\r\nX-Trailer: t\r\n\r\n");
    cr_assert(read_response(fd, &r, false));
    cr_assert(eq(int, r.status, 200));
    char want[128];
    unsigned long long bytes = 0, hash = 0;
    int calls = 0;
    cr_assert(eq(int, sscanf(r.body, "bytes=%llu calls=%d hash=%llx", &bytes, &calls, &hash), 3));
    cr_assert(eq(u64, bytes, total));
    cr_assert(eq(u64, hash, h), "%s", want);
    cr_assert(eq(int, saw_chunked, 1));
    cr_assert(eq(int, saw_cl, -1));
    close(fd);
    stop(&v);
}

Test(http_server, expect_100_continue)
{
    struct srv v;
    struct resp r;
    start(&v, NULL);
    int fd = dial(v.port);
    send_str(fd, "PUT /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n"
                 "Expect: 100-continue\r\n\r\n");
    cr_assert(read_response(fd, &r, false));
    cr_assert(eq(int, r.status, 100));
    cr_assert(eq(str, r.head, "HTTP/1.1 100 Continue\r\n\r\n"));
    send_str(fd, "0123456789");
    cr_assert(read_response(fd, &r, false));
    cr_assert(eq(int, r.status, 200));
    cr_assert(strstr(r.body, "bytes=10 ") != NULL);
    cr_assert(eq(int, saw_expect, 1));
    close(fd);
    stop(&v);
}

Test(http_server, begin_rejection_no_continue_and_close)
{
    struct srv v;
    struct resp r;
    start(&v, NULL);
    int fd = dial(v.port);
    send_str(fd, "PUT /reject HTTP/1.1\r\nHost: t\r\nContent-Length: 100000000\r\n"
                 "Expect: 100-continue\r\n\r\n");
    cr_assert(read_response(fd, &r, false));
    cr_assert(eq(int, r.status, 401), "got %d: %s", r.status, r.head);
    cr_assert(eq(str, r.body, "{\"denied\":true}"));
    cr_assert(r.closed_hint);
    cr_assert(closed_within(fd, 3000));
    cr_assert(wait_for(&n_cleanup, 1, 2000));
    cr_assert(eq(int, n_end, 0));
    close(fd);

    /* Without Expect the client streams the body anyway; it still gets the reply. */
    fd = dial(v.port);
    send_str(fd, "PUT /reject HTTP/1.1\r\nHost: t\r\nContent-Length: 8000000\r\n\r\n");
    struct sender snd = {.fd = fd, .n = 8000000};
    pthread_create(&snd.t, NULL, sender_thread, &snd);
    cr_assert(read_response(fd, &r, false));
    cr_assert(eq(int, r.status, 401));
    cr_assert(r.closed_hint);
    cr_assert(closed_within(fd, 4000));
    pthread_join(snd.t, NULL);
    cr_assert(lt(u64, (uint64_t)snd.sent, (uint64_t)8000000), "server read the whole body");
    close(fd);
    stop(&v);
}

Test(http_server, begin_rejection_without_body_keeps_alive)
{
    struct srv v;
    struct resp r;
    start(&v, NULL);
    int fd = dial(v.port);
    send_str(fd, "GET /reject HTTP/1.1\r\nHost: t\r\n\r\n");
    cr_assert(read_response(fd, &r, false));
    cr_assert(eq(int, r.status, 401));
    cr_assert(not(r.closed_hint));
    send_str(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    cr_assert(read_response(fd, &r, false));
    cr_assert(eq(int, r.status, 200));
    cr_assert(wait_for(&n_cleanup, 2, 2000));
    close(fd);
    stop(&v);
}

Test(http_server, mid_body_rejection_reaches_client)
{
    struct srv v;
    struct resp r;
    start(&v, NULL);
    int fd = dial(v.port);
    send_str(fd, "PUT /midfail HTTP/1.1\r\nHost: t\r\nContent-Length: 16000000\r\n\r\n");
    struct sender snd = {.fd = fd, .n = 16000000};
    pthread_create(&snd.t, NULL, sender_thread, &snd);
    cr_assert(read_response(fd, &r, false));
    cr_assert(eq(int, r.status, 400));
    cr_assert(eq(str, r.body, "{\"error\":\"stop\"}"));
    cr_assert(r.closed_hint);
    cr_assert(closed_within(fd, 4000));
    pthread_join(snd.t, NULL);
    cr_assert(lt(u64, (uint64_t)snd.sent, (uint64_t)16000000));
    cr_assert(wait_for(&n_cleanup, 1, 2000));
    cr_assert(eq(int, n_end, 0));
    close(fd);
    stop(&v);
}

Test(http_server, pipelined_keep_alive)
{
    struct srv v;
    struct resp r;
    start(&v, NULL);
    int fd = dial(v.port);
    send_str(fd, "PUT /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
                 "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"
                 "GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    cr_assert(read_response(fd, &r, false));
    cr_assert(eq(int, r.status, 200));
    cr_assert(strstr(r.body, "bytes=3 ") != NULL);
    cr_assert(not(r.closed_hint));
    cr_assert(read_response(fd, &r, false));
    cr_assert(eq(str, r.body, "hello\n"));
    cr_assert(not(r.closed_hint));
    cr_assert(read_response(fd, &r, false));
    cr_assert(eq(str, r.body, "hello\n"));
    cr_assert(r.closed_hint);
    cr_assert(closed_within(fd, 3000));
    cr_assert(wait_for(&n_cleanup, 3, 2000));
    close(fd);
    stop(&v);
}

Test(http_server, head_request_has_no_body)
{
    struct srv v;
    struct resp r;
    start(&v, NULL);
    int fd = dial(v.port);
    send_str(fd, "HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    cr_assert(read_response(fd, &r, true));
    cr_assert(eq(int, r.status, 200));
    cr_assert(strstr(r.head, "Content-Length: 6\r\n") != NULL);
    cr_assert(read_response(fd, &r, false)); /* starts right after the HEAD reply's head */
    cr_assert(eq(int, r.status, 200));
    cr_assert(eq(str, r.body, "hello\n"));
    close(fd);
    stop(&v);
}

Test(http_server, header_too_large_431)
{
    struct srv v;
    struct resp r;
    sl_http_config cfg;
    sl_http_config_default(&cfg);
    cfg.max_header_bytes = 1024;
    start(&v, &cfg);
    int fd = dial(v.port);
    char big[4096];
    memset(big, 'a', sizeof big);
    big[sizeof big - 1] = '\0';
    send_str(fd, "GET /hello HTTP/1.1\r\nX-Big: ");
    send_str(fd, big);
    send_str(fd, "\r\n\r\n");
    cr_assert(read_response(fd, &r, false));
    cr_assert(eq(int, r.status, 431));
    cr_assert(strstr(r.head, "431 Request Header Fields Too Large") != NULL);
    cr_assert(r.closed_hint);
    cr_assert(closed_within(fd, 3000));
    cr_assert(eq(int, n_begin + n_end, 0));
    close(fd);
    stop(&v);
}

Test(http_server, malformed_request_400)
{
    struct srv v;
    struct resp r;
    start(&v, NULL);
    int fd = dial(v.port);
    send_str(fd, "GET /hello HTTP/1.1\r\nBad Header\r\n\r\n");
    cr_assert(read_response(fd, &r, false));
    cr_assert(eq(int, r.status, 400));
    cr_assert(r.closed_hint);
    cr_assert(closed_within(fd, 3000));
    close(fd);
    stop(&v);
}

Test(http_server, bad_chunk_after_routing_runs_cleanup)
{
    struct srv v;
    struct resp r;
    start(&v, NULL);
    int fd = dial(v.port);
    send_str(fd, "POST /slow HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    send_str(fd, "3\r\nabc\r\nzz\r\n");
    cr_assert(read_response(fd, &r, false));
    cr_assert(eq(int, r.status, 400));
    cr_assert(wait_for(&n_cleanup, 1, 2000));
    cr_assert(eq(int, n_end, 0));
    close(fd);
    stop(&v);
}

/* Content-Length with Transfer-Encoding used to reach begin() so an adapter could answer it in
 * its own words (and keep the connection); it is now refused by the layer, on every route. */
Test(http_server, content_length_and_chunked_refused_before_begin)
{
    struct srv v;
    struct resp r;
    start(&v, NULL);
    int fd = dial(v.port);
    send_str(fd, "PUT /both HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    cr_assert(read_response(fd, &r, false));
    cr_assert(eq(int, r.status, 400));
    cr_assert(eq(str, r.body, "bad request: both Content-Length and Transfer-Encoding\n"));
    cr_assert(r.closed_hint);
    cr_assert(closed_within(fd, 3000));
    cr_assert(eq(int, n_begin + n_body + n_end + n_cleanup, 0));
    close(fd);
    stop(&v);
}

Test(http_server, unknown_transfer_coding_501_and_close)
{
    struct srv v;
    struct resp r;
    start(&v, NULL);
    int fd = dial(v.port);
    send_str(fd, "PUT /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                 "5\r\nhello\r\n0\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    cr_assert(read_response(fd, &r, false));
    cr_assert(eq(int, r.status, 501));
    cr_assert(strstr(r.head, "501 Not Implemented") != NULL);
    cr_assert(eq(str, r.body, "not implemented: unsupported transfer coding\n"));
    cr_assert(r.closed_hint);
    cr_assert(closed_within(fd, 3000)); /* the pipelined GET is never answered */
    cr_assert(eq(int, n_begin + n_end, 0));
    close(fd);
    stop(&v);
}

/* A bad chunk terminator after good chunks: the handler saw the first pieces but never end();
 * its cleanup runs and the connection closes. */
Test(http_server, chunk_without_crlf_400_no_end)
{
    struct srv v;
    struct resp r;
    start(&v, NULL);
    int fd = dial(v.port);
    send_str(fd, "PUT /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "5\r\nhello\r\n3\r\nabcXY0\r\n\r\n");
    cr_assert(read_response(fd, &r, false));
    cr_assert(eq(int, r.status, 400));
    cr_assert(eq(str, r.body, "bad request: chunk data not followed by CRLF\n"));
    cr_assert(r.closed_hint);
    cr_assert(closed_within(fd, 3000));
    cr_assert(wait_for(&n_cleanup, 1, 2000));
    cr_assert(eq(int, n_end, 0));
    cr_assert(eq(int, n_completed, 0));
    close(fd);
    stop(&v);
}

Test(http_server, client_disconnect_mid_body_cleans_up_once)
{
    struct srv v;
    start(&v, NULL);
    int fd = dial(v.port);
    send_str(fd, "PUT /slow HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n");
    char buf[100000];
    memset(buf, 'y', sizeof buf);
    cr_assert(send_all(fd, buf, sizeof buf));
    cr_assert(wait_for(&n_body, 1, 2000));
    close(fd);
    cr_assert(wait_for(&n_cleanup, 1, 3000));
    sleep_ms(100);
    cr_assert(eq(int, n_cleanup, 1));
    cr_assert(eq(int, n_end, 0));
    cr_assert(eq(int, n_completed, 0));
    stop(&v);
}

Test(http_server, header_timeout_closes)
{
    struct srv v;
    sl_http_config cfg;
    sl_http_config_default(&cfg);
    cfg.header_timeout_ms = 200;
    start(&v, &cfg);
    int fd = dial(v.port);
    send_str(fd, "GET /hello HTTP/1.1\r\nHost:");
    uint64_t t0 = sl_http_now_ms();
    cr_assert(closed_within(fd, 3000));
    uint64_t dt = sl_http_now_ms() - t0;
    cr_assert(ge(u64, dt, (uint64_t)150));
    cr_assert(lt(u64, dt, (uint64_t)2000));
    close(fd);
    stop(&v);
}

Test(http_server, idle_timeout_between_and_within_requests)
{
    struct srv v;
    struct resp r;
    sl_http_config cfg;
    sl_http_config_default(&cfg);
    cfg.idle_timeout_ms = 300;
    start(&v, &cfg);
    int fd = dial(v.port);
    send_str(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    cr_assert(read_response(fd, &r, false));
    uint64_t t0 = sl_http_now_ms();
    cr_assert(closed_within(fd, 3000));
    cr_assert(ge(u64, sl_http_now_ms() - t0, (uint64_t)250));
    close(fd);

    /* Stalled in the body without expire(): cleanup runs, then the connection closes. */
    fd = dial(v.port);
    send_str(fd, "PUT /slow HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc");
    cr_assert(closed_within(fd, 3000));
    cr_assert(wait_for(&n_cleanup, 2, 2000));
    cr_assert(eq(int, n_end, 1)); /* only the GET's */
    close(fd);
    stop(&v);
}

Test(http_server, handler_deadline_runs_expire)
{
    struct srv v;
    struct resp r;
    start(&v, NULL);
    int fd = dial(v.port);
    send_str(fd, "PUT /deadline HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc");
    uint64_t t0 = sl_http_now_ms();
    cr_assert(read_response(fd, &r, false));
    cr_assert(eq(int, r.status, 504));
    cr_assert(eq(str, r.body, "expired\n"));
    cr_assert(r.closed_hint);
    cr_assert(ge(u64, sl_http_now_ms() - t0, (uint64_t)150));
    cr_assert(closed_within(fd, 3000));
    cr_assert(eq(int, n_expire, 1));
    cr_assert(wait_for(&n_cleanup, 1, 2000));
    close(fd);
    stop(&v);
}

Test(http_server, max_connections)
{
    struct srv v;
    struct resp r;
    sl_http_config cfg;
    sl_http_config_default(&cfg);
    cfg.max_connections = 2;
    start(&v, &cfg);
    int a = dial(v.port), b = dial(v.port);
    send_str(a, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    send_str(b, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    cr_assert(read_response(a, &r, false));
    cr_assert(read_response(b, &r, false));
    int c = dial(v.port);
    cr_assert(closed_within(c, 2000));
    close(c);
    close(a);
    sleep_ms(100);
    c = dial(v.port); /* a slot is free again */
    send_str(c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    cr_assert(read_response(c, &r, false));
    cr_assert(eq(int, r.status, 200));
    close(b);
    close(c);
    stop(&v);
}

Test(http_server, stop_with_open_requests)
{
    struct srv v;
    start(&v, NULL);
    int a = dial(v.port), b = dial(v.port);
    send_str(a, "PUT /slow HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\nabc");
    send_str(b, "PUT /slow HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\nabc");
    int idle = dial(v.port);
    cr_assert(wait_for(&n_body, 2, 2000));
    uint64_t t0 = sl_http_now_ms();
    stop(&v);
    cr_assert(lt(u64, sl_http_now_ms() - t0, (uint64_t)3000));
    cr_assert(eq(int, n_cleanup, 2));
    cr_assert(closed_within(a, 1000));
    cr_assert(closed_within(idle, 1000));
    close(a);
    close(b);
    close(idle);
}

/* ---- TLS --------------------------------------------------------------------------------- */

static SSL *tls_dial(SSL_CTX *cctx, int port, int *fd_out)
{
    int fd = dial(port);
    SSL *ssl = SSL_new(cctx);
    cr_assert(ssl != NULL);
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, "localhost");
    cr_assert(SSL_set1_host(ssl, "localhost") == 1);
    cr_assert(eq(int, SSL_connect(ssl), 1), "handshake failed: %lu", ERR_get_error());
    *fd_out = fd;
    return ssl;
}

static bool tls_read_response(SSL *ssl, char *out, size_t cap)
{
    size_t n = 0;
    while (n + 1 < cap) {
        int k = SSL_read(ssl, out + n, (int)(cap - n - 1));
        if (k <= 0)
            return false;
        n += (size_t)k;
        out[n] = '\0';
        char *end = strstr(out, "\r\n\r\n");
        const char *cl = strstr(out, "Content-Length: ");
        if (end && cl && n >= (size_t)(end + 4 - out) + strtoul(cl + 16, NULL, 10))
            return true;
    }
    return false;
}

Test(http_server, tls_round_trip_with_generated_cert)
{
    char dir[] = "/tmp/sl_http_tls_XXXXXX", cert[128], key[128];
    cr_assert(mkdtemp(dir) != NULL);
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    sl_err err = {0};
    void *ctx = sl_tls_ctx_new(cert, key, true, &err);
    cr_assert(ctx != NULL, "%s", err.msg);
    struct stat st;
    cr_assert(eq(int, stat(key, &st), 0));
    cr_assert(eq(int, (int)(st.st_mode & 0777), 0600));

    struct srv v;
    start_tls(&v, NULL, ctx);
    SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, NULL);
    cr_assert(eq(int, SSL_CTX_load_verify_locations(cctx, cert, NULL), 1));
    int fd;
    SSL *ssl = tls_dial(cctx, v.port, &fd);
    size_t n = 300000; /* many TLS records, more than one read */
    char *body = pattern(n);
    char head[256], resp[8192];
    snprintf(head, sizeof head, "PUT /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n", n);
    cr_assert(SSL_write(ssl, head, (int)strlen(head)) > 0);
    cr_assert(eq(int, SSL_write(ssl, body, (int)n), (int)n));
    cr_assert(tls_read_response(ssl, resp, sizeof resp));
    cr_assert(strncmp(resp, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", resp);
    char want[64];
    snprintf(want, sizeof want, "hash=%016llx",
             (unsigned long long)fnv(14695981039346656037ull, body, n));
    cr_assert(strstr(resp, "bytes=300000 ") != NULL, "%s", resp);
    cr_assert(strstr(resp, want) != NULL, "%s", resp);
    const char *get = "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n";
    cr_assert(SSL_write(ssl, get, (int)strlen(get)) > 0);
    cr_assert(tls_read_response(ssl, resp, sizeof resp));
    cr_assert(strstr(resp, "\r\n\r\nhello\n") != NULL);
    SSL_free(ssl);
    close(fd);
    SSL_CTX_free(cctx);
    stop(&v);
    sl_tls_ctx_free(ctx);
    free(body);
    unlink(cert);
    unlink(key);
    rmdir(dir);
}

/* ---- stop from a signal handler ---------------------------------------------------------- */

static sl_http_server *signal_target;

static void on_usr1(int sig)
{
    (void)sig;
    sl_http_server_stop(signal_target); /* uv_async_send: async-signal-safe */
}

Test(http_server, stop_from_signal_handler)
{
    struct srv v;
    struct resp r;
    start(&v, NULL);
    int fd = dial(v.port);
    send_str(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    cr_assert(read_response(fd, &r, false));
    signal_target = v.s;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    cr_assert(eq(int, sigaction(SIGUSR1, &sa, NULL), 0));
    cr_assert(eq(int, raise(SIGUSR1), 0));
    cr_assert(wait_for(&v.done, 1, 5000), "run did not return after the signal");
    pthread_join(v.t, NULL);
    cr_assert(closed_within(fd, 1000));
    sl_http_server_stop(v.s); /* a second stop after the loop ended is harmless */
    sl_http_server_free(v.s);
    close(fd);
}

/* ---- graceful shutdown ------------------------------------------------------------------- */

/* The listener closes and an idle keep-alive connection is closed at once; a request in flight
 * may finish within the grace and gets Connection: close. */
Test(http_server, shutdown_lets_request_in_flight_finish)
{
    struct srv v;
    struct resp r;
    start(&v, NULL);
    int idle = dial(v.port);
    send_str(idle, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    cr_assert(read_response(idle, &r, false));
    cr_assert(not(r.closed_hint));
    int fd = dial(v.port);
    send_str(fd, "PUT /drain HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nhello");
    cr_assert(wait_for(&n_body, 1, 2000));
    sl_http_server_shutdown(v.s, 60000);
    cr_assert(closed_within(idle, 3000), "the idle connection is closed at once");
    send_str(fd, "world");
    cr_assert(read_response(fd, &r, false));
    cr_assert(eq(int, r.status, 200));
    cr_assert(eq(str, r.body, "hello\n"));
    cr_assert(r.closed_hint);
    cr_assert(wait_for(&v.done, 1, 5000), "the loop ends once the last connection is gone");
    pthread_join(v.t, NULL);
    cr_assert(eq(int, n_expire, 0));
    sl_http_server_free(v.s);
    close(fd);
    close(idle);
}

/* After the grace the request still in flight is cut off through expire() with r->shutdown,
 * or with a plain 503 when the handler has no expire(). */
Test(http_server, shutdown_grace_over_cuts_off)
{
    struct srv v;
    struct resp r;
    start(&v, NULL);
    int a = dial(v.port), b = dial(v.port);
    send_str(a, "PUT /drain HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc");
    send_str(b, "PUT /slow HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc");
    cr_assert(wait_for(&n_body, 2, 2000));
    sl_http_server_shutdown(v.s, 100);
    cr_assert(read_response(a, &r, false));
    cr_assert(eq(int, r.status, 200));
    cr_assert(eq(str, r.body, "{\"cut\":true}"));
    cr_assert(r.closed_hint);
    cr_assert(eq(int, saw_shutdown, 1));
    cr_assert(read_response(b, &r, false));
    cr_assert(eq(int, r.status, 503));
    cr_assert(eq(str, r.body, "server is shutting down\n"));
    close(a);
    close(b);
    cr_assert(wait_for(&v.done, 1, 5000));
    pthread_join(v.t, NULL);
    cr_assert(wait_for(&n_cleanup, 2, 1000));
    cr_assert(eq(int, n_end, 0));
    sl_http_server_free(v.s);
}

/* A second shutdown call does not wait for the grace. */
Test(http_server, second_shutdown_cuts_off_at_once)
{
    struct srv v;
    struct resp r;
    start(&v, NULL);
    int a = dial(v.port);
    send_str(a, "PUT /drain HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc");
    cr_assert(wait_for(&n_body, 1, 2000));
    sl_http_server_shutdown(v.s, 600000);
    sl_http_server_shutdown(v.s, 600000);
    cr_assert(read_response(a, &r, false)); /* the socket's 5 s timeout bounds this wait */
    cr_assert(eq(str, r.body, "{\"cut\":true}"));
    cr_assert(eq(int, saw_shutdown, 1));
    close(a);
    cr_assert(wait_for(&v.done, 1, 5000));
    pthread_join(v.t, NULL);
    sl_http_server_free(v.s);
}

/* ---- streamed replies -------------------------------------------------------------------- */

/* Read a chunked body after its head; *total gets the payload bytes, checked against the
 * stream's pattern. True when the last chunk arrived. */
static bool read_chunked(int fd, long long *total)
{
    *total = 0;
    for (;;) {
        char line[64];
        size_t n = 0;
        while (n + 1 < sizeof line) {
            if (recv(fd, line + n, 1, 0) != 1)
                return false;
            if (++n >= 2 && line[n - 2] == '\r' && line[n - 1] == '\n')
                break;
        }
        line[n] = 0;
        long long size = strtoll(line, NULL, 16);
        static char buf[1 << 17];
        long long left = size + 2;
        while (left > 0) {
            ssize_t k = recv(fd, buf, left < (long long)sizeof buf ? (size_t)left : sizeof buf, 0);
            if (k <= 0)
                return false;
            for (ssize_t i = 0; i < k && left - i > 2; i++)
                cr_assert(eq(chr, buf[i], (char)('a' + (*total + i) % 26)));
            long long data = left - k >= 2 ? k : left - 2 > 0 ? left - 2 : 0;
            *total += data;
            left -= k;
        }
        if (size == 0)
            return true;
    }
}

Test(http_server, stream_chunked_then_keep_alive)
{
    struct srv v;
    struct resp r;
    start(&v, NULL);
    int fd = dial(v.port);
    send_str(fd, "GET /stream?n=3000000 HTTP/1.1\r\nHost: t\r\n\r\n");
    cr_assert(read_response(fd, &r, true));
    cr_assert(eq(int, r.status, 200));
    cr_assert(strstr(r.head, "Transfer-Encoding: chunked\r\n") != NULL, "%s", r.head);
    cr_assert(strstr(r.head, "Content-Length") == NULL);
    long long total;
    cr_assert(read_chunked(fd, &total));
    cr_assert(eq(i64, total, 3000000));
    send_str(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"); /* the connection is reusable */
    cr_assert(read_response(fd, &r, false));
    cr_assert(eq(str, r.body, "hello\n"));
    close(fd);
    stop(&v);
}

Test(http_server, stream_small_is_an_ordinary_reply)
{
    struct srv v;
    struct resp r;
    start(&v, NULL);
    int fd = dial(v.port);
    send_str(fd, "GET /stream?n=30 HTTP/1.1\r\nHost: t\r\n\r\n");
    cr_assert(read_response(fd, &r, false));
    cr_assert(strstr(r.head, "Content-Length: 30\r\n") != NULL, "%s", r.head);
    cr_assert(eq(str, r.body, "abcdefghijklmnopqrstuvwxyzabcd"));
    close(fd);
    stop(&v);
}

Test(http_server, stream_http10_ends_with_the_close)
{
    struct srv v;
    struct resp r;
    start(&v, NULL);
    int fd = dial(v.port);
    send_str(fd, "GET /stream?n=500000 HTTP/1.0\r\n\r\n");
    cr_assert(read_response(fd, &r, true));
    cr_assert(strstr(r.head, "Transfer-Encoding") == NULL, "%s", r.head);
    cr_assert(strstr(r.head, "Connection: close\r\n") != NULL);
    long long total = 0;
    static char buf[65536];
    ssize_t k;
    while ((k = recv(fd, buf, sizeof buf, 0)) > 0)
        total += k;
    cr_assert(eq(i64, total, 500000));
    close(fd);
    stop(&v);
}

Test(http_server, stream_cut_has_no_last_chunk)
{
    struct srv v;
    struct resp r;
    start(&v, NULL);
    int fd = dial(v.port);
    send_str(fd, "GET /streamcut HTTP/1.1\r\nHost: t\r\n\r\n");
    cr_assert(read_response(fd, &r, true));
    cr_assert(eq(int, r.status, 200));
    long long total;
    cr_assert(not(read_chunked(fd, &total))); /* EOF before the 0-size chunk */
    cr_assert(wait_for(&n_cleanup, 1, 2000));
    close(fd);
    stop(&v);
}

Test(http_server, stream_waits_for_a_slow_client_and_fails_when_it_leaves)
{
    struct srv v;
    struct resp r;
    start(&v, NULL);
    int fd = dial(v.port);
    int small = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    send_str(fd, "GET /stream?n=1000000000 HTTP/1.1\r\nHost: t\r\n\r\n");
    cr_assert(read_response(fd, &r, true));
    sleep_ms(300); /* the client reads nothing: the producer must stop at the window */
    long long held = stream_written;
    cr_assert(lt(i64, held, 64ll << 20), "%lld bytes produced for a client reading nothing",
              held);
    cr_assert(eq(int, stream_done, 0));
    close(fd); /* gone: the producer's next write fails and the request is cleaned up */
    cr_assert(wait_for(&stream_done, 1, 5000));
    cr_assert(eq(int, stream_failed, 1));
    cr_assert(wait_for(&n_cleanup, 1, 2000));
    stop(&v);
}

/* ---- what the layer reports: on_done and the listener counters (issue 16) ---------------- */

static atomic_int n_done, done_404, done_200, done_499, done_400;
static atomic_ullong done_out_bytes;

static void on_done(void *app, const sl_http_req *r, const sl_http_done *d)
{
    (void)app;
    cr_assert(eq(int, r->role, 7)); /* the listener's tag, also for layer replies */
    done_404 += d->status == 404;
    done_200 += d->status == 200;
    done_499 += d->status == 499;
    done_400 += d->status == 400;
    done_out_bytes += d->bytes_out;
    n_done++;
}

Test(http_server, on_done_once_per_request_and_listener_counters)
{
    struct srv v;
    struct resp r;
    sl_http_config cfg;
    sl_http_config_default(&cfg);
    cfg.on_done = on_done;
    start(&v, &cfg);
    int fd = dial(v.port);
    send_str(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\nGET /nope HTTP/1.1\r\nHost: t\r\n\r\n");
    cr_assert(read_response(fd, &r, false));
    cr_assert(read_response(fd, &r, false));
    close(fd);
    fd = dial(v.port); /* a body the client abandons: reported once, as 499 */
    send_str(fd, "PUT /slow HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\nabc");
    cr_assert(wait_for(&n_body, 1, 2000));
    close(fd);
    fd = dial(v.port); /* a head that never parses: the layer's 400 */
    send_str(fd, "GET /x HTTP/1.1\r\nBad Header\r\n\r\n");
    cr_assert(read_response(fd, &r, false));
    cr_assert(eq(int, r.status, 400));
    close(fd);
    fd = dial(v.port); /* connected and closed without a byte: no request, no report */
    close(fd);
    cr_assert(wait_for(&n_done, 4, 3000));
    sleep_ms(100);
    cr_assert(eq(int, n_done, 4));
    cr_assert(eq(int, done_200, 1));
    cr_assert(eq(int, done_404, 1));
    cr_assert(eq(int, done_499, 1));
    cr_assert(eq(int, done_400, 1));
    sl_http_stats st;
    sl_http_server_stats(v.s, 7, &st);
    cr_assert(eq(u64, st.accepted, 4));
    cr_assert(eq(u64, st.requests, 4));
    cr_assert(eq(u64, st.bytes_out, (uint64_t)done_out_bytes));
    cr_assert(st.bytes_in > 100);
    sl_http_server_stats(v.s, 8, &st); /* no listener has that tag */
    cr_assert(eq(u64, st.accepted, 0));
    stop(&v);
}

Test(http_server, on_done_reports_streamed_replies_once)
{
    struct srv v;
    struct resp r;
    sl_http_config cfg;
    sl_http_config_default(&cfg);
    cfg.on_done = on_done;
    start(&v, &cfg);
    int fd = dial(v.port); /* a whole stream, then an ordinary reply on the same connection */
    send_str(fd, "GET /stream?n=3000000 HTTP/1.1\r\nHost: t\r\n\r\n");
    cr_assert(read_response(fd, &r, true));
    long long total;
    cr_assert(read_chunked(fd, &total));
    send_str(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    cr_assert(read_response(fd, &r, false));
    close(fd);
    cr_assert(wait_for(&n_done, 2, 3000));
    cr_assert(eq(int, done_200, 2));
    sl_http_stats st;
    sl_http_server_stats(v.s, 7, &st);
    cr_assert(eq(u64, st.bytes_out, (uint64_t)done_out_bytes)); /* head, chunks, last chunk */
    cr_assert(gt(u64, (uint64_t)done_out_bytes, 3000000));
    fd = dial(v.port); /* cut by the producer after its head: reported once, with that status */
    send_str(fd, "GET /streamcut HTTP/1.1\r\nHost: t\r\n\r\n");
    cr_assert(read_response(fd, &r, true));
    cr_assert(not(read_chunked(fd, &total)));
    close(fd);
    cr_assert(wait_for(&n_done, 3, 3000));
    cr_assert(eq(int, done_200, 3));
    fd = dial(v.port); /* the client leaves mid-stream: 499, once */
    send_str(fd, "GET /stream?n=1000000000 HTTP/1.1\r\nHost: t\r\n\r\n");
    cr_assert(read_response(fd, &r, true));
    close(fd);
    cr_assert(wait_for(&stream_done, 1, 5000));
    cr_assert(wait_for(&n_done, 4, 3000));
    sleep_ms(100);
    cr_assert(eq(int, n_done, 4));
    cr_assert(eq(int, done_499, 1));
    stop(&v);
}
