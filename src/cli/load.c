/*
 * load.c - `sluice load FILE... --db D --table T`: stream files into a table with Doris Stream
 * Load, safely re-runnable (cli).
 *
 *   FILE --label: name, size, mtime, db.table (the same file gets the same label)
 *        --PUT /api/D/T/_stream_load to the FE, Expect: 100-continue
 *            307 -> the load port, credentials kept (curl --location-trusted)
 *            100 -> the file streamed: Content-Length (chunked for stdin), 256 KiB writes,
 *                   progress on stderr (a bar on a terminal, a line now and then otherwise)
 *        --reply: Success                               -> "loaded N rows", exit 0
 *                 Label Already Exists, FINISHED        -> "already loaded", exit 0
 *                 Label Already Exists, RUNNING         -> poll get_load_state: VISIBLE is
 *                                                          "already loaded"; ABORTED: again
 *                 Fail (data, privileges, ...)          -> the message and ErrorURL, exit 1
 *                 no reply, refused, reset, HTTP 5xx,   -> again after a backoff (0.5 s
 *                 Doris INTERNAL_ERROR                     doubling to 30 s), --retries times
 *
 * Exactly once: the label is taken in the same store transaction that makes the rows visible,
 * so whatever happened to the previous attempt (cut off mid-body, server killed, reply lost),
 * the next one with the same label either loads the file or learns that it is loaded. While
 * the upload runs on a terminal, a helper thread asks SHOW TRANSACTION for the rows so far
 * (saved by the server every heartbeat) to show rows/s.
 *
 * Exit codes: 0 every file loaded (or already loaded), 1 a load failed, 2 usage, 3 the server
 * could not be reached or kept failing after the retries.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "../core/buf.h"
#include "../core/jsonval.h"
#include "cli.h"

#define CHUNK (256 * 1024)          /* one read and one write: the server's read size */
#define MAX_HEADERS 64
#define MAX_HOPS 4                  /* 307s followed per attempt */
#define CONTINUE_WAIT_MS 1000       /* curl's wait for 100 Continue before sending anyway */
#define REPLY_TIMEOUT_S 3600        /* a commit of a big load may take a while */
#define BACKOFF_MAX_MS 30000
#define STATE_WAIT_S 3600           /* how long a RUNNING label is waited for */

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

typedef struct opts {
    const char *db, *table, *host, *label, *format, *cacert;
    char user[256], auth_b64[700];
    int port;
    bool https, insecure, quiet;
    const char *headers[MAX_HEADERS];
    size_t n_headers;
    int retries;
    uint64_t limit_rate;            /* bytes per second, 0: unlimited */
    SSL_CTX *tls;
} opts;

/* What one attempt came to. */
typedef enum outcome { O_LOADED, O_ALREADY, O_FAILED, O_RETRY, O_RUNNING } outcome;

typedef struct result {
    outcome o;
    char why[4096];                 /* failure or retry reason; ErrorURL appended */
    uint64_t loaded, filtered, unselected, bytes, ms;
    bool sent_body;                 /* part of the body went out (stdin cannot be re-read) */
} result;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(uint64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sluice load FILE... --db DB --table TABLE [--format FMT] [-H 'key: value']...\n"
            "                   [--label LABEL] [--host HOST] [--port N] [-u USER[:PASSWORD]]\n"
            "                   [--https] [--cacert FILE] [-k] [--retries N]\n"
            "                   [--limit-rate N[k|m]] [--quiet]\n"
            "Streams each FILE (- for stdin) into DB.TABLE with Doris Stream Load through the\n"
            "front door (default 127.0.0.1:8030, user root; the password may also come from\n"
            "SLUICE_PASSWORD). Any Stream Load header can be given with -H. The format follows\n"
            "the extension (.csv, .tsv, .json, .jsonl/.ndjson, .parquet, .orc) and compressed\n"
            "files (.gz .bz2 .lz4 .zst .lzo) are sent as they are with compress_type.\n"
            "The label is made from the file's name, size and modification time (or --label),\n"
            "so running the command again after a failure loads the file once: a file already\n"
            "loaded is reported as such. Connection failures and server errors are retried\n"
            "(--retries, default 8) with a growing pause.\n"
            "Exit status: 0 loaded or already loaded, 1 a load failed, 2 usage, 3 the server\n"
            "could not be reached.\n");
}

/* ---- connections: plain TCP or TLS ------------------------------------------------------ */

typedef struct conn {
    int fd;
    SSL *ssl;
    char in[16384];                 /* bytes read but not consumed */
    size_t in_len;
} conn;

static int tcp_connect(const char *host, int port, char *why, size_t cap)
{
    struct addrinfo hints = {0}, *res;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    hints.ai_socktype = SOCK_STREAM;
    int g = getaddrinfo(host, ps, &hints, &res);
    if (g != 0) {
        snprintf(why, cap, "cannot resolve %s: %s", host, gai_strerror(g));
        return -1;
    }
    int fd = -1, e = 0;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            e = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        snprintf(why, cap, "cannot connect to %s:%d: %s", host, port, strerror(e));
    return fd;
}

static bool conn_open(conn *c, const opts *o, const char *host, int port, bool tls, char *why,
                      size_t cap)
{
    memset(c, 0, sizeof *c);
    c->fd = tcp_connect(host, port, why, cap);
    if (c->fd < 0)
        return false;
    struct timeval tv = {REPLY_TIMEOUT_S, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (!tls)
        return true;
    unsigned char ip[16];
    bool is_ip = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;
    c->ssl = o->tls ? SSL_new(o->tls) : NULL;
    /* the certificate must name the host: an IP address SAN, or a DNS name (also sent as SNI) */
    if (c->ssl == NULL || !SSL_set_fd(c->ssl, c->fd) ||
        (is_ip ? !X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), host)
               : !SSL_set1_host(c->ssl, host) || !SSL_set_tlsext_host_name(c->ssl, host)) ||
        SSL_connect(c->ssl) != 1) {
        unsigned long e = ERR_get_error();
        snprintf(why, cap, "TLS with %s:%d failed: %s", host, port,
                 e ? ERR_reason_error_string(e) : "handshake refused");
        return false;
    }
    return true;
}

static void conn_close(conn *c)
{
    if (c->ssl) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static bool conn_write(conn *c, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = c->ssl ? SSL_write(c->ssl, p, (int)(n > INT_MAX ? INT_MAX : n))
                           : write(c->fd, p, n);
        if (w <= 0) {
            if (!c->ssl && w < 0 && errno == EINTR)
                continue;
            return false;
        }
        p += w, n -= (size_t)w;
    }
    return true;
}

/* Read more into c->in. Returns bytes read, 0 at EOF, -1 on error. */
static ssize_t conn_fill(conn *c)
{
    if (c->in_len == sizeof c->in)
        return -1;
    size_t room = sizeof c->in - c->in_len;
    ssize_t r;
    do {
        r = c->ssl ? SSL_read(c->ssl, c->in + c->in_len, (int)room)
                   : read(c->fd, c->in + c->in_len, room);
    } while (r < 0 && !c->ssl && errno == EINTR);
    if (r > 0)
        c->in_len += (size_t)r;
    return r < 0 ? -1 : r;
}

/* Whether a reply is waiting within ms (buffered or on the socket). */
static bool conn_readable(conn *c, int ms)
{
    if (c->in_len || (c->ssl && SSL_pending(c->ssl)))
        return true;
    struct pollfd p = {c->fd, POLLIN, 0};
    return poll(&p, 1, ms) > 0;
}

/* ---- HTTP replies -------------------------------------------------------------------------- */

typedef struct reply {
    int status;
    char location[2048];
    sl_buf body;
} reply;

static const char *find_header(const char *head, const char *end, const char *name)
{
    size_t k = strlen(name);
    for (const char *l = head; l < end;) {
        const char *eol = memmem(l, (size_t)(end - l), "\r\n", 2);
        if (eol == NULL)
            break;
        if ((size_t)(eol - l) > k && strncasecmp(l, name, k) == 0 && l[k] == ':') {
            const char *v = l + k + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            return v;
        }
        l = eol + 2;
    }
    return NULL;
}

/* Read one reply head (a 1xx one too): status, Location, and the body's framing in *len (-1:
 * until close) and *chunked. Returns the status, or -1 when the connection ended first. */
static int read_one_head(conn *c, reply *rp, int64_t *len, bool *chunked)
{
    char *sep;
    while ((sep = memmem(c->in, c->in_len, "\r\n\r\n", 4)) == NULL)
        if (conn_fill(c) <= 0)
            return -1;
    size_t head = (size_t)(sep - c->in) + 4;
    if (sscanf(c->in, "HTTP/1.%*d %d", &rp->status) != 1)
        return -1;
    const char *loc = find_header(c->in, sep + 2, "Location");
    const char *cl = find_header(c->in, sep + 2, "Content-Length");
    const char *te = find_header(c->in, sep + 2, "Transfer-Encoding");
    rp->location[0] = '\0';
    if (loc)
        snprintf(rp->location, sizeof rp->location, "%.*s", (int)strcspn(loc, "\r"), loc);
    *len = cl ? strtoll(cl, NULL, 10) : -1;
    *chunked = te && strncasecmp(te, "chunked", 7) == 0;
    memmove(c->in, c->in + head, c->in_len - head);
    c->in_len -= head;
    return rp->status;
}

/* The body of a reply whose head was read (replies here are small JSON documents). */
static bool read_body(conn *c, reply *rp, int64_t len, bool chunked)
{
    for (;;) {
        if (len >= 0 && !chunked && (int64_t)c->in_len >= len) {
            sl_buf_append(&rp->body, c->in, (size_t)len);
            memmove(c->in, c->in + len, c->in_len - (size_t)len);
            c->in_len -= (size_t)len;
            return !rp->body.oom;
        }
        if (chunked && memmem(c->in, c->in_len, "0\r\n\r\n", 5))
            break; /* the zero chunk: sizes stay in the text; the JSON parse never needs it */
        if (c->in_len == sizeof c->in) { /* a long body: keep it, make room */
            sl_buf_append(&rp->body, c->in, c->in_len);
            len -= len >= 0 ? (int64_t)c->in_len : 0;
            c->in_len = 0;
        }
        ssize_t r = conn_fill(c);
        if (r == 0 && len < 0 && !chunked)
            break; /* until close */
        if (r <= 0)
            return false;
    }
    sl_buf_append(&rp->body, c->in, c->in_len);
    c->in_len = 0;
    return !rp->body.oom;
}

/* A whole final reply (1xx skipped). */
static bool read_reply(conn *c, reply *rp)
{
    int64_t len;
    bool chunked;
    int st;
    do
        st = read_one_head(c, rp, &len, &chunked);
    while (st >= 100 && st < 200);
    return st >= 0 && read_body(c, rp, len, chunked);
}

/* ---- one file ---------------------------------------------------------------------------- */

typedef struct source {
    const char *path;               /* "-" for stdin */
    char name[256];                 /* for messages */
    int64_t size;                   /* -1 unknown (stdin, pipes) */
    char label[129];
    const char *format, *compress;  /* from the extension, unless given */
    bool by_line, tsv;
} source;

typedef struct progress {
    const source *src;
    bool tty, quiet;
    uint64_t sent, t0, last_draw, last_line;
    int last_quarter;
    atomic_ullong rows;             /* from SHOW TRANSACTION (the poller thread) */
    uint64_t rows_at, rows_prev;    /* for rows/s */
    double rows_rate;
} progress;

/* A label allowed by Doris: [-_A-Za-z0-9:], at most 128 bytes. */
static bool label_ok(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n <= 128 && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "0123456789-_:") == n;
}

/* "sluice_<name>_<16 hex of SHA-256(realpath, size, mtime, db, table)>". */
static bool make_label(source *s, const opts *o, const struct stat *st)
{
    char real[PATH_MAX], text[PATH_MAX + 256];
    if (realpath(s->path, real) == NULL)
        snprintf(real, sizeof real, "%s", s->path);
    int n = snprintf(text, sizeof text, "%s\n%lld\n%lld.%09ld\n%s\n%s", real,
                     (long long)st->st_size, (long long)st->st_mtim.tv_sec,
                     st->st_mtim.tv_nsec, o->db, o->table);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (n < 0 || !EVP_Digest(text, (size_t)n, md, &mdlen, EVP_sha256(), NULL))
        return false;
    const char *base = strrchr(s->path, '/');
    base = base ? base + 1 : s->path;
    size_t k = (size_t)snprintf(s->label, sizeof s->label, "sluice_");
    for (const char *p = base; *p && k < 7 + 60; p++)
        s->label[k++] = (char)(strchr("-_", *p) || (*p >= '0' && *p <= '9') ||
                                       ((*p | 32) >= 'a' && (*p | 32) <= 'z')
                                   ? *p
                                   : '_');
    s->label[k++] = '_';
    for (unsigned i = 0; i < 8; i++)
        k += (size_t)snprintf(s->label + k, sizeof s->label - k, "%02x", md[i]);
    return true;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && strncasecmp(s + n - k, suffix, k) == 0;
}

/* Format and compression from the file name: "x.csv.gz" is csv, gz. */
static void sniff(source *s)
{
    static const struct {
        const char *ext, *type;
    } zips[] = {{".gz", "gz"}, {".bz2", "bz2"}, {".lz4", "lz4"}, {".zst", "zstd"}, {".lzo", "lzo"}};
    size_t n = strlen(s->path);
    for (size_t i = 0; i < SL_COUNT(zips); i++)
        if (ends_with(s->path, n, zips[i].ext)) {
            s->compress = zips[i].type;
            n -= strlen(zips[i].ext);
            break;
        }
    if (ends_with(s->path, n, ".jsonl") || ends_with(s->path, n, ".ndjson"))
        s->format = "json", s->by_line = true;
    else if (ends_with(s->path, n, ".json"))
        s->format = "json";
    else if (ends_with(s->path, n, ".parquet"))
        s->format = "parquet";
    else if (ends_with(s->path, n, ".orc"))
        s->format = "orc";
    else if (ends_with(s->path, n, ".tsv"))
        s->format = "csv", s->tsv = true;
}

/* ---- progress ------------------------------------------------------------------------------ */

static void human(double v, const char *unit, char *out, size_t cap)
{
    static const char *const u[] = {"", "Ki", "Mi", "Gi", "Ti"};
    size_t i = 0;
    while (v >= 1024 && i + 1 < SL_COUNT(u))
        v /= 1024, i++;
    snprintf(out, cap, i ? "%.1f %s%s" : "%.0f %s%s", v, u[i], unit);
}

static void draw(progress *p, bool final)
{
    uint64_t t = now_ms(), el = t - p->t0;
    if (p->quiet || (!final && t - p->last_draw < 200))
        return;
    p->last_draw = t;
    char sent[32], total[32], rate[32], line[256];
    double bps = el ? (double)p->sent * 1000.0 / (double)el : 0;
    human((double)p->sent, "B", sent, sizeof sent);
    human(bps, "B/s", rate, sizeof rate);
    int64_t size = p->src->size;
    uint64_t rows = atomic_load(&p->rows);
    if (rows != p->rows_prev && t > p->rows_at) {
        if (p->rows_at)
            p->rows_rate = (double)(rows - p->rows_prev) * 1000.0 / (double)(t - p->rows_at);
        p->rows_prev = rows, p->rows_at = t;
    }
    int k = 0;
    if (size > 0) {
        int pct = (int)((double)p->sent * 100.0 / (double)size);
        human((double)size, "B", total, sizeof total);
        char bar[26];
        int fill = pct / 4;
        for (int i = 0; i < 25; i++)
            bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
        bar[25] = '\0';
        double eta = bps > 0 ? ((double)size - (double)p->sent) / bps : 0;
        k = snprintf(line, sizeof line, "%s %s / %s %3d%% [%s] %s", p->src->name, sent, total,
                     pct, bar, rate);
        if (!final && bps > 0)
            k += snprintf(line + k, sizeof line - (size_t)k, " ETA %d:%02d", (int)eta / 60,
                          (int)eta % 60);
    } else {
        k = snprintf(line, sizeof line, "%s %s %s", p->src->name, sent, rate);
    }
    if (rows && p->rows_rate > 0 && !final)
        snprintf(line + k, sizeof line - (size_t)k, "  %llu rows, %.0f rows/s",
                 (unsigned long long)rows, p->rows_rate);
    else if (rows)
        snprintf(line + k, sizeof line - (size_t)k, "  %llu rows", (unsigned long long)rows);
    if (p->tty) {
        fprintf(stderr, "\r%s\033[K%s", line, final ? "\n" : "");
    } else if (final) {
        return; /* the summary line says the rest */
    } else {
        /* not a terminal: a plain line at every quarter (or every 10 s when the size is
         * unknown), so logs get a few lines, not thousands */
        int q = size > 0 ? (int)(p->sent * 4 / (uint64_t)size) : 0;
        if (!final && (size > 0 ? q == p->last_quarter : t - p->last_line < 10000))
            return;
        p->last_quarter = q, p->last_line = t;
        fprintf(stderr, "sluice load: %s\n", line);
    }
    fflush(stderr);
}

/* ---- rows so far: SHOW TRANSACTION while the body goes up (terminal only) ---------------- */

typedef struct poller {
    const opts *o;
    const source *src;
    progress *p;
    atomic_bool stop;
    pthread_t th;
    bool started;
} poller;

/* The LoadedRows of the label's transaction, or -1. */
static int64_t rows_of(const opts *o, const source *src)
{
    conn c;
    char why[256];
    if (!conn_open(&c, o, o->host, o->port, o->https, why, sizeof why)) {
        conn_close(&c);
        return -1;
    }
    sl_buf body = SL_BUF_INIT, req = SL_BUF_INIT;
    sl_buf_printf(&body, "{\"stmt\":\"SHOW TRANSACTION WHERE label = '%s'\"}", src->label);
    sl_buf_printf(&req, "POST /api/query/default_cluster/%s HTTP/1.1\r\nHost: %s:%d\r\n"
                        "Authorization: Basic %s\r\nContent-Type: application/json\r\n"
                        "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                  o->db, o->host, o->port, o->auth_b64, body.len);
    sl_buf_append(&req, body.p, body.len);
    reply rp = {0};
    int64_t rows = -1;
    if (!req.oom && conn_write(&c, req.p, req.len) && read_reply(&c, &rp) && rp.status == 200) {
        sl_arena_t a;
        sl_arena_init(&a, 0);
        sl_jval *doc;
        sl_err err = {0};
        if (sl_json_parse(rp.body.p, rp.body.len, &a, &doc, &err) == SL_OK) {
            const sl_jval *d = sl_json_get(doc, "data");
            const sl_jval *meta = d ? sl_json_get(d, "meta") : NULL;
            const sl_jval *data = d ? sl_json_get(d, "data") : NULL;
            for (size_t i = 0; meta && data && data->n && i < meta->n; i++) {
                const sl_jval *nm = sl_json_get(&meta->items[i], "name");
                const sl_jval *row = &data->items[data->n - 1];
                if (nm && sl_slice_eq(nm->s, "LoadedRows") && i < row->n)
                    rows = strtoll(row->items[i].s.p ? row->items[i].s.p : "0", NULL, 10);
            }
        }
        sl_arena_free(&a);
    }
    sl_buf_free(&rp.body);
    sl_buf_free(&body);
    sl_buf_free(&req);
    conn_close(&c);
    return rows;
}

static void *poll_main(void *arg)
{
    poller *pl = arg;
    while (!atomic_load(&pl->stop)) {
        for (int i = 0; i < 10 && !atomic_load(&pl->stop); i++)
            sleep_ms(100);
        int64_t rows = atomic_load(&pl->stop) ? -1 : rows_of(pl->o, pl->src);
        if (rows >= 0)
            atomic_store(&pl->p->rows, (uint64_t)rows);
    }
    return NULL;
}

/* ---- one attempt ------------------------------------------------------------------------- */

/* Where a request goes: from the options, then from each 307's Location. */
typedef struct target {
    char host[256];
    int port;
    bool tls;
    char path[2048];                /* path and query */
} target;

/* Parse "http[s]://[userinfo@]host[:port]/path?query" into t (userinfo dropped: the request
 * keeps its own Authorization, as curl --location-trusted). */
static bool parse_location(const char *loc, target *t)
{
    const char *p = loc;
    if (strncasecmp(p, "https://", 8) == 0)
        t->tls = true, p += 8;
    else if (strncasecmp(p, "http://", 7) == 0)
        t->tls = false, p += 7;
    else
        return false;
    const char *slash = strchr(p, '/');
    const char *at = memchr(p, '@', slash ? (size_t)(slash - p) : strlen(p));
    if (at)
        p = at + 1;
    const char *end = slash ? slash : p + strlen(p);
    const char *colon = NULL;
    if (*p == '[') { /* [v6]:port */
        const char *rb = memchr(p, ']', (size_t)(end - p));
        if (rb == NULL)
            return false;
        snprintf(t->host, sizeof t->host, "%.*s", (int)(rb - p - 1), p + 1);
        colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
    } else {
        colon = memchr(p, ':', (size_t)(end - p));
        snprintf(t->host, sizeof t->host, "%.*s", (int)((colon ? colon : end) - p), p);
    }
    t->port = colon ? atoi(colon + 1) : t->tls ? 443 : 80;
    snprintf(t->path, sizeof t->path, "%s", slash ? slash : "/");
    return t->host[0] && t->port > 0;
}

static void put_request_head(sl_buf *b, const opts *o, const source *s, const target *t)
{
    sl_buf_printf(b, "PUT %s HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Basic %s\r\n"
                     "Expect: 100-continue\r\nlabel: %s\r\nUser-Agent: sluice-load\r\n",
                  t->path, t->host, t->port, o->auth_b64, s->label);
    bool has_format = false, has_sep = false, has_zip = false, has_line = false;
    for (size_t i = 0; i < o->n_headers; i++) {
        const char *h = o->headers[i];
        has_format |= strncasecmp(h, "format:", 7) == 0;
        has_sep |= strncasecmp(h, "column_separator:", 17) == 0;
        has_zip |= strncasecmp(h, "compress_type:", 14) == 0;
        has_line |= strncasecmp(h, "read_json_by_line:", 18) == 0;
        sl_buf_printf(b, "%s\r\n", h);
    }
    const char *format = o->format ? o->format : s->format;
    if (!has_format && format)
        sl_buf_printf(b, "format: %s\r\n", format);
    if (!has_sep && s->tsv && !o->format)
        sl_buf_puts(b, "column_separator: \\t\r\n");
    if (!has_line && s->by_line && !o->format)
        sl_buf_puts(b, "read_json_by_line: true\r\n");
    if (!has_zip && s->compress)
        sl_buf_printf(b, "compress_type: %s\r\n", s->compress);
    if (s->size >= 0)
        sl_buf_printf(b, "Content-Length: %lld\r\n\r\n", (long long)s->size);
    else
        sl_buf_puts(b, "Transfer-Encoding: chunked\r\n\r\n");
}

/* Wait for the rate limit: sent bytes may not run ahead of limit bytes per second. */
static void throttle(const opts *o, const progress *p)
{
    if (o->limit_rate == 0)
        return;
    uint64_t due = p->t0 + p->sent * 1000 / o->limit_rate, t = now_ms();
    if (due > t)
        sleep_ms(due - t);
}

/* Stream the file (fd at its start) as the body (buf: CHUNK bytes). False when the connection
 * broke or the file could not be read (*read_error). */
static bool send_body(conn *c, const opts *o, const source *s, int fd, progress *p, char *buf,
                      bool *read_error)
{
    /* with a rate limit, pieces of an eighth of a second keep the pace smooth */
    size_t piece = o->limit_rate && o->limit_rate / 8 < CHUNK ? o->limit_rate / 8 + 1 : CHUNK;
    for (;;) {
        ssize_t n = read(fd, buf, piece);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *read_error = true;
            return false;
        }
        if (s->size < 0) { /* chunked: "<hex>\r\n" data "\r\n", "0\r\n\r\n" at the end */
            char head[16];
            int k = snprintf(head, sizeof head, "%zx\r\n", (size_t)n);
            if (!conn_write(c, head, (size_t)k) || (n && !conn_write(c, buf, (size_t)n)) ||
                !conn_write(c, "\r\n", 2))
                return false;
        } else if (n && !conn_write(c, buf, (size_t)n)) {
            return false;
        }
        if (n == 0)
            return true;
        p->sent += (uint64_t)n;
        draw(p, false);
        throttle(o, p);
    }
}

/* The JSON member key of obj as text into out ("" when absent). */
static void jtext(const sl_jval *obj, const char *key, char *out, size_t cap)
{
    const sl_jval *v = obj ? sl_json_get(obj, key) : NULL;
    snprintf(out, cap, "%.*s", v && v->s.p ? (int)v->s.n : 0, v && v->s.p ? v->s.p : "");
}

static uint64_t jnum(const sl_jval *obj, const char *key)
{
    char t[32];
    jtext(obj, key, t, sizeof t);
    return strtoull(t, NULL, 10);
}

/* A Doris Stream Load reply body (HTTP 200): what it means for this file. */
static void interpret_doris(const sl_jval *doc, result *res)
{
    char status[64], msg[700], existing[32], first[300], url[300];
    jtext(doc, "Status", status, sizeof status);
    jtext(doc, "Message", msg, sizeof msg);
    if (strcmp(status, "Success") == 0 || strcmp(status, "Publish Timeout") == 0) {
        res->o = O_LOADED;
        res->loaded = jnum(doc, "NumberLoadedRows");
        res->filtered = jnum(doc, "NumberFilteredRows");
        res->unselected = jnum(doc, "NumberUnselectedRows"), res->bytes = jnum(doc, "LoadBytes");
        res->ms = jnum(doc, "LoadTimeMs");
        return;
    }
    if (strcmp(status, "Label Already Exists") == 0) {
        jtext(doc, "ExistingJobStatus", existing, sizeof existing);
        res->o = strcmp(existing, "FINISHED") == 0  ? O_ALREADY
                 : strcmp(existing, "RUNNING") == 0 ? O_RUNNING
                                                    : O_FAILED;
        snprintf(res->why, sizeof res->why, "the label is %s (two-phase commit): commit or "
                 "abort it with _stream_load_2pc first", existing);
        return;
    }
    jtext(doc, "FirstErrorMsg", first, sizeof first);
    jtext(doc, "ErrorURL", url, sizeof url);
    /* INTERNAL_ERROR: the store failed or the server was shutting down, not the data */
    res->o = strncmp(msg, "[INTERNAL_ERROR]", 16) == 0 ? O_RETRY : O_FAILED;
    snprintf(res->why, sizeof res->why, "%s%s%s%s%s", msg[0] ? msg : "the load failed",
             first[0] ? "; first error: " : "", first, url[0] ? "; error log: " : "", url);
}

static void interpret(const reply *rp, result *res)
{
    const char *text = rp->body.p ? rp->body.p : "";
    int n = (int)(rp->body.len > 300 ? 300 : rp->body.len);
    if (rp->status >= 500 || rp->status == 429) {
        res->o = O_RETRY;
        snprintf(res->why, sizeof res->why, "HTTP %d: %.*s", rp->status, n, text);
        return;
    }
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_jval *doc = NULL;
    sl_err err = {0};
    if (rp->status != 200 || sl_json_parse(text, rp->body.len, &a, &doc, &err) != SL_OK) {
        res->o = O_FAILED;
        snprintf(res->why, sizeof res->why, "HTTP %d: %.*s", rp->status, n, text);
    } else if (sl_json_get(doc, "Status")) {
        interpret_doris(doc, res);
    } else { /* the FE's own bodies: {"status":"FAILED","msg":...} or {"msg","code","data"} */
        char msg[400], data[400];
        jtext(doc, "msg", msg, sizeof msg);
        jtext(doc, "data", data, sizeof data);
        res->o = O_FAILED;
        snprintf(res->why, sizeof res->why, "%s%s%s", msg, data[0] ? ": " : "", data);
    }
    sl_arena_free(&a);
}

/* Send the head, then wait for 100 Continue (or CONTINUE_WAIT_MS) before the body; a final
 * answer instead (307, an early error) is read into rp. Returns true when the body should
 * follow, false when rp holds the answer (rp->status 0: the connection broke). */
static bool start_request(conn *c, const sl_buf *head, reply *rp)
{
    rp->status = 0;
    if (!conn_write(c, head->p, head->len))
        return false;
    if (!conn_readable(c, CONTINUE_WAIT_MS))
        return true;
    int64_t len;
    bool chunked;
    int st = read_one_head(c, rp, &len, &chunked);
    if (st == 100)
        return true;
    if (st < 0 || !read_body(c, rp, len, chunked))
        rp->status = 0;
    return false;
}

/* One request to t: body streamed when asked for. rp gets the answer (status 0: none). */
static void exchange(const opts *o, const source *s, const target *t, int fd, progress *p,
                     reply *rp, result *res)
{
    conn c;
    char why[400];
    sl_buf head = SL_BUF_INIT;
    rp->status = 0;
    if (!conn_open(&c, o, t->host, t->port, t->tls, why, sizeof why)) {
        snprintf(res->why, sizeof res->why, "%s", why);
        conn_close(&c);
        return;
    }
    put_request_head(&head, o, s, t);
    if (start_request(&c, &head, rp)) {
        if (s->size >= 0 && lseek(fd, 0, SEEK_SET) != 0) { /* a previous hop read some */
            snprintf(res->why, sizeof res->why, "cannot rewind %s", s->name);
            res->o = O_FAILED;
            sl_buf_free(&head);
            conn_close(&c);
            return;
        }
        p->sent = 0;
        char *buf = malloc(CHUNK);
        bool read_error = false;
        res->sent_body = true;
        bool sent = buf && send_body(&c, o, s, fd, p, buf, &read_error);
        free(buf);
        if (read_error) {
            snprintf(res->why, sizeof res->why, "cannot read %s: %s", s->name, strerror(errno));
            res->o = O_FAILED;
        } else if (!read_reply(&c, rp) || rp->status == 0) { /* the server may have answered
                                                                 early: read it anyway */
            rp->status = 0;
            snprintf(res->why, sizeof res->why, "the connection to %s:%d was lost %s %llu "
                     "bytes", t->host, t->port, sent ? "after sending all" : "after",
                     (unsigned long long)p->sent);
        }
    } else if (rp->status == 0) {
        snprintf(res->why, sizeof res->why, "no answer from %s:%d", t->host, t->port);
    }
    sl_buf_free(&head);
    conn_close(&c);
}

/* Percent-encode a path segment (database and table names). */
static void put_segment(char *out, size_t cap, const char *s)
{
    size_t k = strlen(out);
    for (; *s && k + 4 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch | 32) >= 'a' && (ch | 32) <= 'z' ? true : (ch >= '0' && ch <= '9') ||
                                                               strchr("-._~", ch))
            out[k++] = (char)ch;
        else
            k += (size_t)snprintf(out + k, cap - k, "%%%02X", ch);
    }
    out[k] = '\0';
}

/* One attempt: the FE, its 307, the load port; res says how it ended. */
static void attempt(const opts *o, const source *s, int fd, progress *p, result *res)
{
    target t = {.port = o->port, .tls = o->https};
    snprintf(t.host, sizeof t.host, "%s", o->host);
    snprintf(t.path, sizeof t.path, "/api/");
    put_segment(t.path, sizeof t.path, o->db);
    strncat(t.path, "/", sizeof t.path - strlen(t.path) - 1);
    put_segment(t.path, sizeof t.path, o->table);
    strncat(t.path, "/_stream_load", sizeof t.path - strlen(t.path) - 1);
    memset(res, 0, sizeof *res);
    res->o = O_RETRY;
    p->sent = 0;
    p->t0 = now_ms();
    for (int hop = 0; hop < MAX_HOPS; hop++) {
        reply rp = {0};
        exchange(o, s, &t, fd, p, &rp, res);
        bool redirect = rp.status == 307 || rp.status == 302 || rp.status == 301;
        if (redirect && !parse_location(rp.location, &t)) {
            res->o = O_FAILED;
            snprintf(res->why, sizeof res->why, "cannot follow the redirect to '%.300s'",
                     rp.location);
        } else if (!redirect && rp.status) {
            interpret(&rp, res);
        }
        sl_buf_free(&rp.body);
        if (!redirect || res->o == O_FAILED)
            return;
    }
    res->o = O_FAILED;
    snprintf(res->why, sizeof res->why, "more than %d redirects", MAX_HOPS);
}

/* ---- a label already running: wait for its outcome ---------------------------------------- */

/* GET /api/{db}/get_load_state?label= on the FE: the state's name into out. */
static bool load_state(const opts *o, const source *s, char *out, size_t cap)
{
    conn c;
    char why[256], path[600] = "/api/";
    out[0] = '\0';
    if (!conn_open(&c, o, o->host, o->port, o->https, why, sizeof why)) {
        conn_close(&c);
        return false;
    }
    put_segment(path, sizeof path, o->db);
    sl_buf req = SL_BUF_INIT;
    sl_buf_printf(&req, "GET %s/get_load_state?label=%s HTTP/1.1\r\nHost: %s:%d\r\n"
                        "Authorization: Basic %s\r\nConnection: close\r\n\r\n",
                  path, s->label, o->host, o->port, o->auth_b64);
    reply rp = {0};
    bool ok = !req.oom && conn_write(&c, req.p, req.len) && read_reply(&c, &rp) &&
              rp.status == 200;
    if (ok) {
        sl_arena_t a;
        sl_arena_init(&a, 0);
        sl_jval *doc;
        sl_err err = {0};
        ok = sl_json_parse(rp.body.p, rp.body.len, &a, &doc, &err) == SL_OK;
        if (ok)
            jtext(doc, "data", out, cap);
        sl_arena_free(&a);
    }
    sl_buf_free(&rp.body);
    sl_buf_free(&req);
    conn_close(&c);
    return ok && out[0];
}

/* Another attempt of this label is still running (on this or another node): wait until it is
 * VISIBLE (the file is loaded) or ABORTED (load it again). */
static void wait_running(const opts *o, const source *s, result *res)
{
    if (!o->quiet)
        fprintf(stderr, "sluice load: %s: label %s is being loaded already; waiting for it\n",
                s->name, s->label);
    uint64_t until = now_ms() + (uint64_t)STATE_WAIT_S * 1000;
    char st[64] = "";
    while (now_ms() < until) {
        if (load_state(o, s, st, sizeof st) && strcmp(st, "PREPARE") != 0)
            break;
        sleep_ms(1000);
    }
    if (strcmp(st, "VISIBLE") == 0 || strcmp(st, "COMMITTED") == 0) {
        res->o = O_ALREADY;
    } else if (strcmp(st, "ABORTED") == 0 || strcmp(st, "UNKNOWN") == 0) {
        res->o = O_RETRY;
        snprintf(res->why, sizeof res->why, "the running load of label %s was aborted",
                 s->label);
    } else {
        res->o = O_FAILED;
        snprintf(res->why, sizeof res->why, "label %s is %s", s->label, st[0] ? st : "unknown");
    }
}

/* ---- a file, with retries ---------------------------------------------------------------- */

static void summary(const source *s, const result *r)
{
    char bytes[32];
    human((double)r->bytes, "B", bytes, sizeof bytes);
    switch (r->o) {
    case O_LOADED:
        printf("%s: loaded %llu rows (%llu filtered, %llu unselected), %s in %.1f s, label %s\n",
               s->name, (unsigned long long)r->loaded, (unsigned long long)r->filtered,
               (unsigned long long)r->unselected, bytes, (double)r->ms / 1000.0, s->label);
        break;
    case O_ALREADY:
        printf("%s: already loaded (label %s)\n", s->name, s->label);
        break;
    case O_FAILED:
        printf("%s: failed: %s (label %s)\n", s->name, r->why, s->label);
        break;
    default:
        printf("%s: gave up: %s (label %s)\n", s->name, r->why, s->label);
        break;
    }
    fflush(stdout);
}

/* The source of path: size, label, format. false after a message on stderr. */
static bool open_source(const opts *o, const char *path, size_t index, size_t n_files,
                        source *s, int *fd)
{
    memset(s, 0, sizeof *s);
    s->path = path;
    snprintf(s->name, sizeof s->name, "%s", strcmp(path, "-") == 0 ? "stdin" : path);
    struct stat st;
    *fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0 || fstat(*fd, &st) != 0) {
        fprintf(stderr, "sluice load: cannot open %s: %s\n", path, strerror(errno));
        return false;
    }
    s->size = S_ISREG(st.st_mode) ? (int64_t)st.st_size : -1;
    sniff(s);
    if (o->label && n_files > 1)
        snprintf(s->label, sizeof s->label, "%.100s_%zu", o->label, index + 1);
    else if (o->label)
        snprintf(s->label, sizeof s->label, "%s", o->label);
    else if (s->size >= 0 && !make_label(s, o, &st))
        return false;
    else if (s->size < 0) { /* a stream has no name, size or time: a label of its own */
        unsigned char r[8];
        FILE *u = fopen("/dev/urandom", "r");
        size_t got = u ? fread(r, 1, sizeof r, u) : 0;
        if (u)
            fclose(u);
        snprintf(s->label, sizeof s->label, "sluice_stdin_%016llx_%llu",
                 got == sizeof r ? *(unsigned long long *)(void *)r : 0ull,
                 (unsigned long long)time(NULL));
    }
    return true;
}

/* Load one file; returns its exit code. */
static int load_file(const opts *o, const char *path, size_t index, size_t n_files)
{
    source s;
    int fd;
    if (!open_source(o, path, index, n_files, &s, &fd)) {
        if (fd > 0)
            close(fd);
        return EXIT_FAILED;
    }
    progress p = {.src = &s, .tty = isatty(2) == 1, .quiet = o->quiet, .last_quarter = -1};
    poller pl = {.o = o, .src = &s, .p = &p};
    if (p.tty && !o->quiet)
        pl.started = pthread_create(&pl.th, NULL, poll_main, &pl) == 0;
    result r;
    uint64_t pause = 500;
    for (int try = 0;; try++) {
        attempt(o, &s, fd, &p, &r);
        if (r.o == O_LOADED)
            atomic_store(&p.rows, r.loaded); /* the last line shows the final count */
        draw(&p, true);
        if (r.o == O_RUNNING)
            wait_running(o, &s, &r);
        bool stream_used = s.size < 0 && r.sent_body; /* stdin cannot be sent twice */
        if (r.o != O_RETRY || try >= o->retries || stream_used)
            break;
        if (!o->quiet)
            fprintf(stderr, "sluice load: %s: %s; trying again in %.1f s (%d of %d)\n", s.name,
                    r.why, (double)pause / 1000.0, try + 1, o->retries);
        sleep_ms(pause);
        pause = pause * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : pause * 2;
    }
    atomic_store(&pl.stop, true);
    if (pl.started)
        pthread_join(pl.th, NULL);
    if (fd > 0)
        close(fd);
    summary(&s, &r);
    return r.o == O_LOADED || r.o == O_ALREADY ? EXIT_OK
           : r.o == O_FAILED                   ? EXIT_FAILED
                                               : EXIT_UNREACHABLE;
}

/* ---- options ------------------------------------------------------------------------------- */

/* "10m", "512k", "1048576": bytes per second. */
static bool parse_rate(const char *v, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (end == v || errno || *v == '-')
        return false;
    uint64_t mul = *end == 'k' || *end == 'K' ? 1024 : *end == 'm' || *end == 'M' ? 1 << 20
                   : *end == 'g' || *end == 'G'                                   ? 1 << 30
                                                                                  : 1;
    if (mul != 1)
        end++;
    *out = (uint64_t)n * mul;
    return *end == '\0' && *out > 0;
}

/* The value of option argv[*i] (advancing *i), or NULL after a message. */
static const char *value_of(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "sluice load: option %s needs a value\n", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

/* One option at argv[*i]; 0 ok, else the exit code. */
static int parse_option(opts *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i], *v;
    static const char *const valued[] = {"--db", "--table", "--format", "-H", "--header",
                                         "--label", "--host", "--port", "-u", "--user",
                                         "--retries", "--limit-rate", "--cacert"};
    bool takes = false;
    for (size_t k = 0; k < SL_COUNT(valued); k++)
        takes |= strcmp(a, valued[k]) == 0;
    if (strcmp(a, "--https") == 0)
        o->https = true;
    else if (strcmp(a, "-k") == 0 || strcmp(a, "--insecure") == 0)
        o->insecure = true;
    else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
        o->quiet = true;
    else if (!takes) {
        fprintf(stderr, "sluice load: unknown option %s\n", a);
        return EXIT_USAGE;
    } else if ((v = value_of(argc, argv, i)) == NULL) {
        return EXIT_USAGE;
    } else if (strcmp(a, "--db") == 0) {
        o->db = v;
    } else if (strcmp(a, "--table") == 0) {
        o->table = v;
    } else if (strcmp(a, "--format") == 0) {
        o->format = v;
    } else if (strcmp(a, "-H") == 0 || strcmp(a, "--header") == 0) {
        if (o->n_headers == MAX_HEADERS || !strchr(v, ':') || strpbrk(v, "\r\n")) {
            fprintf(stderr, "sluice load: -H wants 'name: value' (at most %d): %s\n",
                    MAX_HEADERS, v);
            return EXIT_USAGE;
        }
        if (strncasecmp(v, "label:", 6) == 0) { /* the label is ours to send: as --label */
            o->label = v + 6 + strspn(v + 6, " \t");
            return 0;
        }
        o->headers[o->n_headers++] = v;
    } else if (strcmp(a, "--label") == 0) {
        o->label = v;
    } else if (strcmp(a, "--host") == 0) {
        o->host = v;
    } else if (strcmp(a, "--port") == 0) {
        o->port = atoi(v);
    } else if (strcmp(a, "-u") == 0 || strcmp(a, "--user") == 0) {
        snprintf(o->user, sizeof o->user, "%s", v);
    } else if (strcmp(a, "--retries") == 0) {
        o->retries = atoi(v);
    } else if (strcmp(a, "--cacert") == 0) {
        o->cacert = v;
    } else if (!parse_rate(v, &o->limit_rate)) {
        fprintf(stderr, "sluice load: --limit-rate wants bytes per second (e.g. 10m): %s\n", v);
        return EXIT_USAGE;
    }
    return 0;
}

/* Checks after parsing; builds the Basic credentials and the TLS context. */
static int finish_options(opts *o, size_t n_files)
{
    const char *why = !o->db ? "--db is required" : !o->table ? "--table is required"
                      : n_files == 0                           ? "no file given"
                      : o->port <= 0 || o->port > 65535        ? "--port wants 1-65535"
                      : o->label && !label_ok(o->label)
                          ? "--label may hold letters, digits, '-', '_' and ':' (at most 128)"
                          : NULL;
    if (why) {
        fprintf(stderr, "sluice load: %s\n", why);
        usage(stderr);
        return EXIT_USAGE;
    }
    char cred[600];
    const char *pw = getenv("SLUICE_PASSWORD");
    snprintf(cred, sizeof cred, "%s%s%s", o->user, strchr(o->user, ':') ? "" : ":",
             strchr(o->user, ':') ? "" : pw ? pw : "");
    EVP_EncodeBlock((unsigned char *)o->auth_b64, (const unsigned char *)cred, (int)strlen(cred));
    if (!o->https)
        return 0;
    o->tls = SSL_CTX_new(TLS_client_method());
    if (o->tls == NULL || !SSL_CTX_set_min_proto_version(o->tls, TLS1_2_VERSION) ||
        (o->cacert ? !SSL_CTX_load_verify_locations(o->tls, o->cacert, NULL)
                   : !SSL_CTX_set_default_verify_paths(o->tls))) {
        fprintf(stderr, "sluice load: cannot set up TLS%s%s\n", o->cacert ? " with " : "",
                o->cacert ? o->cacert : "");
        return EXIT_USAGE;
    }
    SSL_CTX_set_verify(o->tls, o->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    return 0;
}

int sl__cli_load(int argc, char **argv)
{
    opts o = {.host = "127.0.0.1", .port = 8030, .retries = 8};
    snprintf(o.user, sizeof o.user, "root");
    const char *files[256];
    size_t n_files = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return EXIT_OK;
        }
        if (argv[i][0] != '-' || strcmp(argv[i], "-") == 0) {
            if (n_files == SL_COUNT(files)) {
                fprintf(stderr, "sluice load: at most %zu files at once\n", SL_COUNT(files));
                return EXIT_USAGE;
            }
            files[n_files++] = argv[i];
            continue;
        }
        int rc = parse_option(&o, argc, argv, &i);
        if (rc)
            return rc;
    }
    int rc = finish_options(&o, n_files);
    if (rc)
        return rc;
    signal(SIGPIPE, SIG_IGN); /* a server that closes mid-body is an error, not a kill */
    int worst = EXIT_OK;
    for (size_t i = 0; i < n_files; i++) {
        int r = load_file(&o, files[i], i, n_files);
        if (r == EXIT_UNREACHABLE || (r == EXIT_FAILED && worst != EXIT_UNREACHABLE))
            worst = r;
    }
    if (o.tls)
        SSL_CTX_free(o.tls);
    return worst;
}
