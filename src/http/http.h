/*
 * http.h - the HTTP/1.1 transport: listeners, connections, request framing (http stage).
 *
 * One libuv loop thread owns every socket. Requests are parsed with http-parser (kept behind
 * parser.c so llhttp can replace it). Handler code never runs on the loop thread: each stage of
 * a request (begin, body piece, end, expire, cleanup) is queued to the libuv worker pool, one at
 * a time per request, and the connection stops reading while a stage runs (backpressure), so
 * memory stays bounded whatever the body size.
 *
 *   socket -> [TLS] -> parser -> begin (headers) -> body* -> end -> response -> keep-alive
 *                                   \-> early response (no 100 Continue; lingering close)
 *
 * Nothing in this layer knows a protocol: routing asks the application for a handler, and the
 * handler fills in the response.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_HTTP_H
#define SL_HTTP_H

#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/status.h"

typedef struct sl_http_server sl_http_server;
typedef struct sl_http_conn sl_http_conn;
typedef struct sl_http_req sl_http_req;
typedef struct sl__stream sl__stream;

typedef struct sl_http_header {
    sl_slice name;   /* as received */
    sl_slice value;  /* leading/trailing spaces and tabs removed */
} sl_http_header;

typedef struct sl_http_handler {
    const char *name;
    /* Worker thread, once the headers are complete. To answer without reading the body, set a
     * response (sl_http_respond): no 100 Continue is sent, the reply goes out and the
     * connection is closed with a lingering close when a body was announced. */
    void (*begin)(sl_http_req *r);
    /* Worker thread, for each piece of body (after de-chunking). Setting a response stops the
     * upload: the reply goes out and the connection closes (lingering). May be NULL (body
     * discarded). */
    void (*body)(sl_http_req *r, const char *p, size_t n);
    /* Worker thread, after the last byte of body. Must set a response. */
    void (*end)(sl_http_req *r);
    /* Worker thread, when r->deadline_ms passes while the request waits for the client, or when
     * a graceful shutdown cuts the request off (r->shutdown). Must set a response; it is sent
     * and the connection closed. May be NULL (then just closed on a deadline; a shutdown
     * answers 503 text/plain). */
    void (*expire)(sl_http_req *r);
    /* Worker thread, exactly once per request that got a handler, after every other call,
     * whether the request completed, failed, expired or the client vanished. Release resources
     * (abort open transactions) here. r->completed tells whether end() ran. May be NULL. */
    void (*cleanup)(sl_http_req *r);
} sl_http_handler;

struct sl_http_req {
    /* Filled by the HTTP layer before begin(); read-only for handlers. */
    const char *method;          /* "GET", "PUT", ... (static) */
    sl_slice target;             /* request target as sent: path[?query] */
    sl_slice path;               /* raw (not percent-decoded) path */
    sl_slice query;              /* after '?', without it; empty when absent */
    sl_http_header *headers;
    size_t n_headers;
    int64_t content_length;      /* -1 when absent */
    bool chunked;                /* Transfer-Encoding: chunked (then content_length is -1) */
    bool expect_continue;        /* an Expect header was present (any value) */
    bool tls;
    uint8_t http_minor;          /* HTTP/1.<minor> */
    int role;                    /* the listener's role tag (sl_http_listen) */
    int local_port;              /* the port the request arrived on */
    char peer_ip[64];
    uint64_t start_ms;           /* monotonic ms when the headers were complete */
    uint64_t body_bytes;         /* body bytes received so far (after de-chunking) */
    sl_arena_t arena;            /* request lifetime: freed after the response is sent */
    void *app;                   /* the application pointer given to sl_http_server_new */

    /* For the handler. */
    const sl_http_handler *handler;
    void *ctx;                   /* handler state */
    sl_slice log_user;           /* who the handler found asking, for the access log (arena or
                                    static; empty: the Basic authorization's user name) */
    sl_slice log_label;          /* the load's label, for the access log (arena or static) */
    uint64_t deadline_ms;        /* monotonic ms; 0 = none. May be set in begin(). */
    bool shutdown;               /* expire() is called because the server is shutting down and
                                    the grace (sl_http_server_shutdown) ended, not the deadline */

    /* The response, set by the handler through sl_http_respond*. */
    bool responded;
    bool completed;              /* end() has run */
    int status;
    const char *content_type;    /* static string, or in the arena */
    sl_buf resp_headers;         /* extra header lines, each "Name: value\r\n" */
    sl_buf resp_body;
    bool close_after;            /* close the connection after this response */
    sl__stream *_Atomic _stream; /* a streamed reply (sl_http_stream_begin); the layer's (the
                                    loop reads it while the handler's stage runs) */
};

/* Find a request header by name (case-insensitive). Returns a NULL slice when absent; a
 * present header with an empty value gives an empty non-NULL slice. */
sl_slice sl_http_header_get(const sl_http_req *r, const char *name);

/* Set the response: status, content type (static or arena string; NULL means text/plain), body
 * copied into r->resp_body. A later call replaces the earlier status and body. */
void sl_http_respond(sl_http_req *r, int status, const char *content_type, const char *body,
                     size_t len);
/* Add a response header line (name and value copied; CR and LF are dropped so a value can
 * never start a new header line). */
void sl_http_add_header(sl_http_req *r, const char *name, const char *value);

/* Streamed replies [nginx chunked filter, h2o generators]. A handler's end() may send its reply
 * while producing it, for results too large to hold: sl_http_stream_begin sets the status and
 * content type; sl_http_stream_write appends bytes (copied). Bytes go out in chunks (Transfer-
 * Encoding: chunked; HTTP/1.0: unframed, then close) as blocks of 64 KiB fill; a write waits
 * while 1 MiB is handed over but not yet taken by the client (backpressure: a reply holds at
 * most about 1 MiB whatever its size), and fails (SL_NETWORK) when the client is gone or took
 * nothing for the idle timeout: the producer stops then. The reply ends when end() returns. A
 * reply that never filled a block goes out as an ordinary one with Content-Length.
 * Only from end(); response headers (sl_http_add_header) must be added before the first write. Until sl_http_stream_started is true nothing has been sent and
 * sl_http_stream_abort drops the stream (answer with sl_http_respond as usual); after it,
 * sl_http_stream_abort cuts the reply (no last chunk, the connection closes), which is how a
 * chunked reply says "failed" [RFC 9112 §7.1]. */
sl_code sl_http_stream_begin(sl_http_req *r, int status, const char *content_type);
sl_code sl_http_stream_write(sl_http_req *r, const void *p, size_t n);
bool sl_http_stream_started(const sl_http_req *r);
void sl_http_stream_abort(sl_http_req *r);

/* The monotonic clock in milliseconds the layer uses for start_ms and deadlines. */
uint64_t sl_http_now_ms(void);

/* Percent-decode s ('+' is kept) into the arena. NULL slice on malformed escapes or OOM. */
sl_slice sl_http_url_decode(sl_arena_t *a, sl_slice s);

/* Look up a query parameter (already percent-decoded, in the request arena); NULL slice if
 * absent. */
sl_slice sl_http_query_param(sl_http_req *r, const char *name);

/* Called on the loop thread once the headers are complete, to choose the handler. Return NULL
 * to answer 404 (plain text) without calling any handler. Must not block. */
typedef const sl_http_handler *(*sl_http_route_fn)(void *app, sl_http_req *r);

/* What on_done is told about a finished request. */
typedef struct sl_http_done {
    int status;                  /* the reply's status; 499 when none was sent. A streamed reply
                                    is reported once its last bytes are queued; one the
                                    producer cut short, with the status its head carried */
    uint64_t bytes_out;          /* response bytes queued (head and body; before TLS) */
    uint64_t ms;                 /* from the complete head to the reply (0 without a head) */
} sl_http_done;

typedef struct sl_http_config {
    size_t max_header_bytes;     /* default 64 KiB: larger heads get 431 and a close. http-parser
                                    caps heads at 80 KiB itself (also answered 431). */
    uint32_t idle_timeout_ms;    /* default 60 s: a connection without traffic is closed */
    uint32_t header_timeout_ms;  /* default 30 s: the head must arrive within this time */
    uint32_t max_connections;    /* default 1024: extra connections are closed at once */
    uint32_t max_connections_per_client; /* default 256: connections open from one peer address
                                    (all listeners together); more are closed at once, so one
                                    client (slowloris) cannot take every slot */
    size_t read_buffer_bytes;    /* default 256 KiB: one read, and the most one body() gets */
    /* Loop thread, once per request the layer finished: answered (by a handler or by the
     * layer itself: 400, 404, 431, ...) or abandoned (the client went away before a reply:
     * status 499). r->method is NULL when the head never parsed. Must not block for long: it
     * runs on the one thread that owns every socket. May be NULL. */
    void (*on_done)(void *app, const sl_http_req *r, const sl_http_done *d);
    /* The layer's own log lines (shutdown), without a newline; NULL: "sluice: line" on stderr.
     * Called on the loop thread. */
    void (*on_log)(void *app, int level, const char *line);
} sl_http_config;

/* Levels of on_log lines (the server log's: error, warn, info, debug). */
enum { SL_HTTP_LOG_ERROR, SL_HTTP_LOG_WARN, SL_HTTP_LOG_INFO, SL_HTTP_LOG_DEBUG };

/* Counters of one listener, kept by the layer (atomics; read from any thread). */
typedef struct sl_http_stats {
    uint64_t accepted;           /* connections accepted */
    uint64_t rejected;           /* connections closed at once (limit, shutdown, memory) */
    uint64_t open;               /* connections open now */
    uint64_t bytes_in, bytes_out;/* as read from and written to the socket (TLS included) */
    uint64_t requests;           /* requests finished (on_done calls) */
} sl_http_stats;

void sl_http_config_default(sl_http_config *c);

/* Framing notes. Every port and endpoint gets one strict framing, decided in this layer before
 * routing, so no handler ever sees an ambiguous request (request smuggling shapes, RFC 9112):
 * a request reaches begin() with either content_length >= 0 or chunked or neither, never both.
 * Answered 400 text/plain ("bad request: <reason>") and closed: Content-Length together with
 * Transfer-Encoding, two Transfer-Encoding headers, `chunked` twice, Transfer-Encoding on
 * HTTP/1.0, a version other than HTTP/1.0 and 1.1, whitespace between a header name and its
 * colon, obs-fold lines, bare LF line ends, control bytes in header values or chunk extensions,
 * chunk data not followed by CRLF, and whatever http-parser itself refuses. A transfer coding
 * other than `chunked` (`gzip, chunked`, `identity`, `xchunked`) is answered 501 and closed.
 * Heads over the limit get 431. */

/* Create a server (no listeners yet). route and app are kept; cfg is copied (NULL or zero
 * fields take the defaults). NULL on failure (err set). Sets SIGPIPE to SIG_IGN if it is still
 * SIG_DFL: libuv writes with write(2), and a peer's reset must not kill the process. */
sl_http_server *sl_http_server_new(const sl_http_config *cfg, sl_http_route_fn route, void *app,
                                   sl_err *err);

/* Listen on host:port (port 0 = any free port, *bound_port receives the real one). role is a
 * tag copied into every request from this listener. tls is an SSL_CTX* (NULL for plain). Call
 * before sl_http_server_run. */
sl_code sl_http_listen(sl_http_server *s, const char *host, int port, int role, void *tls,
                       int *bound_port, sl_err *err);

/* Run the loop on the calling thread until sl_http_server_stop, or until a shutdown has
 * drained every connection. */
sl_code sl_http_server_run(sl_http_server *s);

/* Ask the loop to stop at once (thread-safe, async-signal-safe). Open requests are cleaned up
 * without a reply. */
void sl_http_server_stop(sl_http_server *s);

/* Graceful shutdown (thread-safe, async-signal-safe). The listeners close and connections
 * between requests are closed at once; requests in flight go on, each answered with
 * Connection: close, for up to grace_ms. Then each one still running is cut off: a stage in
 * progress is waited for, then the handler's expire() runs with r->shutdown set (the adapter
 * answers in its protocol's form), or the layer answers 503 when there is no expire(). FINAL_MS
 * (5 s) later whatever is left is closed. One line goes to stderr when the shutdown starts and
 * one per request cut off. A second call cuts off at once. The loop ends when the last
 * connection is gone. */
void sl_http_server_shutdown(sl_http_server *s, uint32_t grace_ms);

/* The counters of the listener with this role tag (summed when several share it); zeros
 * when none has it. Thread-safe. */
void sl_http_server_stats(sl_http_server *s, int role, sl_http_stats *out);

/* Free a stopped server. */
void sl_http_server_free(sl_http_server *s);

/* TLS: an SSL_CTX* (TLS 1.2+) for a listener from PEM files; NULL with err on failure. If
 * both files are missing and generate is true, a P-256 key (mode 0600) and a self-signed
 * certificate (CN=localhost, SAN localhost and 127.0.0.1, 10 years) are written there first;
 * if only one exists, nothing is overwritten and NULL is returned. The caller owns the
 * context and frees it with sl_tls_ctx_free after the servers using it are freed. */
void *sl_tls_ctx_new(const char *cert_file, const char *key_file, bool generate, sl_err *err);
void sl_tls_ctx_free(void *ctx);

/* ---- other transports on the server's loop (src/mysql/) ---------------------------------
 * They share the loop thread (their sockets) and libuv's worker pool (their statements), and
 * follow the server's shutdown through these hooks, all called on the loop thread. The loop
 * ends when every handle of every transport is closed. */
typedef struct sl_http_peer {
    void (*drain)(void *arg);    /* a graceful shutdown began: stop accepting, close idle
                                    connections, let work in flight finish */
    void (*stop)(void *arg);     /* the grace is over, or a hard stop: close everything (work
                                    in flight is waited for, then its connection closed) */
    void *arg;
    struct sl_http_peer *next;   /* the server's list; set by sl_http_server_add_peer */
} sl_http_peer;

/* The server's uv_loop_t (as void *: http.h does not include uv.h). */
void *sl_http_server_loop(sl_http_server *s);
/* Register p (kept, not copied; it must outlive the server). Before sl_http_server_run. */
void sl_http_server_add_peer(sl_http_server *s, sl_http_peer *p);

/*
 * TLS over memory BIOs (tls.c), for server.c and for the other transports on the loop
 * (src/mysql/). libuv moves ciphertext; OpenSSL never sees the socket. All of these run on the
 * loop thread. The SSL object is OpenSSL's (struct ssl_st == SSL).
 */
struct ssl_st;

typedef enum sl__tls_rc {
    SL__TLS_OK,     /* bytes produced */
    SL__TLS_WANT,   /* needs more ciphertext from the peer */
    SL__TLS_EOF,    /* the peer sent close_notify */
    SL__TLS_ERROR   /* protocol or handshake failure: close the connection */
} sl__tls_rc;

/* A server-side SSL for one connection, in accept state, with a fresh memory BIO pair. NULL on
 * failure. Free with sl__tls_free. */
struct ssl_st *sl__tls_new(void *ssl_ctx);
void sl__tls_free(struct ssl_st *ssl);

/* Hand n ciphertext bytes from the socket to OpenSSL. False when out of memory. */
bool sl__tls_feed(struct ssl_st *ssl, const char *p, size_t n);

/* Decrypt into p[0..cap): *got receives the bytes (several records are read while they fit).
 * Handshake progress happens here; its output waits in the write BIO (sl__tls_take). */
sl__tls_rc sl__tls_read(struct ssl_st *ssl, char *p, size_t cap, size_t *got);

/* Encrypt n plaintext bytes; the ciphertext waits in the write BIO. False on failure. */
bool sl__tls_write(struct ssl_st *ssl, const char *p, size_t n);

/* Queue a close_notify alert (best effort). */
void sl__tls_shutdown(struct ssl_st *ssl);

/* Ciphertext waiting to be sent, and taking up to cap bytes of it into p (returns the count). */
size_t sl__tls_pending(struct ssl_st *ssl);
size_t sl__tls_take(struct ssl_st *ssl, char *p, size_t cap);

#endif
