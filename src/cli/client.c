/*
 * client.c - `sluice sql`: one statement through the HTTP SQL API of a running server (cli).
 *
 * A deliberately small HTTP/1.1 client (one request, Connection: close) so the command needs
 * nothing but the server. On a terminal a result set prints as a database client shows it:
 * aligned columns under a header and a rule, numbers right-aligned, NULL as NULL. Piped, it is
 * tab-separated rows under a header line, escaped as mysql --batch does (\t \n \\ \0 inside
 * values) with NULL as \N. Every row ends with a newline; the row count goes to stderr after
 * stdout is flushed, so the two never run together. Other answers print their status. Every
 * failure says why on stderr.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "../core/buf.h"
#include "../core/jsonval.h"
#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: sluice sql [--host HOST] [--port N] [-u USER[:PASSWORD]] [--db DB] "
               "\"STATEMENT\"\n"
               "Runs one statement on a running server (default 127.0.0.1:8030, user root, empty\n"
               "password, database information_schema) and prints the result.\n");
}

static int connect_to(const char *host, const char *port)
{
    struct addrinfo hints = {0}, *res;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        return -1;
    int fd = -1;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) == 0)
            break;
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

/* De-chunk a chunked body in place (trailers ignored). False when the framing is broken. */
static bool dechunk(char *p, size_t n, size_t *out_len)
{
    size_t in = 0, out = 0;
    for (;;) {
        char *end;
        const char *crlf = memmem(p + in, n - in, "\r\n", 2);
        if (crlf == NULL)
            return false;
        unsigned long long size = strtoull(p + in, &end, 16);
        if (end == p + in || (size_t)(crlf - p) + 2 + size > n)
            return false;
        in = (size_t)(crlf - p) + 2;
        if (size == 0)
            break;
        memmove(p + out, p + in, size);
        out += size;
        in += size + 2;
    }
    *out_len = out;
    return true;
}

/* Whether the head (up to sep, which ends a line) has Transfer-Encoding: chunked. */
static bool head_chunked(const char *p, const char *sep)
{
    for (const char *l = p; l < sep;) {
        const char *eol = strstr(l, "\r\n");
        const char *c = strstr(l, "chunked");
        if (strncasecmp(l, "Transfer-Encoding:", 18) == 0 && c && c < eol)
            return true;
        l = eol + 2;
    }
    return false;
}

/* Split an HTTP response into status and body (moved to the front of resp, NUL-terminated;
 * resp has a spare byte). Returns the status, or -1 with *why set when it is not one. */
static int parse_response(sl_buf *resp, const char **why)
{
    char *p = resp->p;
    int status = 0;
    if (resp->len == 0) {
        *why = "the server closed the connection without an answer";
        return -1;
    }
    const char *sep = memmem(p, resp->len, "\r\n\r\n", 4);
    if (strncmp(p, "HTTP/1.", 7) != 0 || sep == NULL || sscanf(p, "HTTP/1.%*d %d", &status) != 1) {
        *why = "the answer is not HTTP";
        return -1;
    }
    size_t head = (size_t)(sep - p) + 4, len = resp->len - head;
    bool chunked = head_chunked(p, sep);
    memmove(p, p + head, len);
    if (chunked && !dechunk(p, len, &len)) {
        *why = "the chunked answer is cut short";
        return -1;
    }
    p[len] = '\0';
    resp->len = len;
    return status;
}

static bool send_all(int fd, const char *p, size_t n)
{
    for (size_t off = 0; off < n;) {
        ssize_t w = write(fd, p + off, n - off);
        if (w <= 0)
            return false;
        off += (size_t)w;
    }
    return true;
}

/* Read the whole answer; returns its body (heap) or NULL after saying why on stderr. */
static char *read_answer(int fd, const char *host, const char *port)
{
    sl_buf resp = SL_BUF_INIT;
    char tmp[65536], *out = NULL;
    const char *why = NULL;
    ssize_t r;
    while ((r = read(fd, tmp, sizeof tmp)) > 0)
        sl_buf_append(&resp, tmp, (size_t)r);
    if (r < 0)
        fprintf(stderr, "sluice sql: reading from %s:%s: %s\n", host, port, strerror(errno));
    sl_buf_putc(&resp, '\0'); /* the spare byte parse_response's terminator needs */
    resp.len--;
    int status = resp.oom ? -1 : parse_response(&resp, &why);
    if (status < 0)
        fprintf(stderr, "sluice sql: no HTTP answer from %s:%s: %s (is it the FE port? the "
                        "tsload port speaks HTTPS)\n", host, port, why ? why : "out of memory");
    else if (status != 200)
        fprintf(stderr, "sluice sql: HTTP %d from %s:%s: %.*s\n", status, host, port,
                (int)(resp.len > 300 ? 300 : resp.len), resp.p);
    else
        out = strdup(resp.p);
    sl_buf_free(&resp);
    return out;
}

/* Send the request, return the whole response body (heap) or NULL after saying why on
 * stderr. */
static char *roundtrip(const char *host, const char *port, const char *auth, const char *db,
                       const char *stmt)
{
    sl_buf body = SL_BUF_INIT, req = SL_BUF_INIT;
    sl_buf_puts(&body, "{\"stmt\":");
    sl_json_cstr(&body, stmt);
    sl_buf_puts(&body, "}");
    unsigned char b64[1024];
    EVP_EncodeBlock(b64, (const unsigned char *)auth, (int)strlen(auth));
    sl_buf_printf(&req,
                  "POST /api/query/default_cluster/%s HTTP/1.1\r\nHost: %s:%s\r\n"
                  "Authorization: Basic %s\r\nContent-Type: application/json\r\n"
                  "X-Doris-Stream: false\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                  db, host, port, b64, body.len);
    sl_buf_append(&req, body.p, body.len);
    errno = 0;
    int fd = connect_to(host, port);
    char *out = NULL;
    if (fd < 0)
        fprintf(stderr, "sluice sql: cannot connect to %s:%s: %s\n", host, port,
                errno ? strerror(errno) : "no such host");
    else if (!send_all(fd, req.p, req.len))
        fprintf(stderr, "sluice sql: cannot send to %s:%s: %s\n", host, port, strerror(errno));
    else
        out = read_answer(fd, host, port);
    if (fd >= 0)
        close(fd);
    sl_buf_free(&body);
    sl_buf_free(&req);
    return out;
}

/* Write p[0..n) for TSV as mysql --batch does: tab, newline and backslash escaped (\t \n \\),
 * NUL as \0, so a value never breaks a row or a column. */
static void put_escaped(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (p[i]) {
        case '\t': fputs("\\t", stdout); break;
        case '\n': fputs("\\n", stdout); break;
        case '\\': fputs("\\\\", stdout); break;
        case '\0': fputs("\\0", stdout); break;
        default: putchar(p[i]); break;
        }
    }
}

/* NULL is \N (as Doris's regression .out files and LOAD DATA spell it); nested values (JSON
 * arrays or objects) print empty. */
static void print_cell(const sl_jval *v)
{
    switch (v->type) {
    case SL_J_NULL: fputs("\\N", stdout); break;
    case SL_J_BOOL: fputs(v->b ? "true" : "false", stdout); break;
    default: put_escaped(v->s.p, v->s.n); break;
    }
}

/* The text a cell shows on a terminal: NULL, true/false, or the value with control characters
 * escaped as in TSV (a value never breaks the table). */
static void cell_text(const sl_jval *v, sl_buf *b)
{
    sl_buf_clear(b);
    if (v->type == SL_J_NULL) {
        sl_buf_puts(b, "NULL");
        return;
    }
    if (v->type == SL_J_BOOL) {
        sl_buf_puts(b, v->b ? "true" : "false");
        return;
    }
    for (size_t i = 0; i < v->s.n; i++) {
        char c = v->s.p[i];
        if (c == '\t' || c == '\n' || c == '\r' || c == '\0')
            sl_buf_printf(b, "\\%c", c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : '0');
        else
            sl_buf_putc(b, c);
    }
}

/* Display width of UTF-8 text: one column per code point (no wide-character tables). */
static size_t width(const char *p, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        w += ((unsigned char)p[i] & 0xC0) != 0x80;
    return w;
}

static void pad(size_t n, char c)
{
    for (size_t i = 0; i < n; i++)
        putchar(c);
}

/* One line of the table: cells padded to their column's width, two spaces apart. */
static void table_line(const sl_jval *row, const sl_jval *meta, const size_t *w,
                       const bool *num, sl_buf *b, bool header)
{
    for (size_t i = 0; i < meta->n; i++) {
        const sl_jval *v = header ? sl_json_get(&meta->items[i], "name")
                                  : i < row->n ? &row->items[i] : NULL;
        if (v)
            cell_text(v, b);
        else
            sl_buf_clear(b);
        size_t vw = width(b->p ? b->p : "", b->len);
        bool right = !header && num[i];
        if (i)
            fputs("  ", stdout);
        if (right)
            pad(w[i] - vw, ' ');
        fwrite(b->p ? b->p : "", 1, b->len, stdout);
        if (!right && i + 1 < meta->n)
            pad(w[i] - vw, ' ');
    }
    putchar('\n');
}

/* A result set as an aligned table: header, rule, rows. */
static void print_table(const sl_jval *meta, const sl_jval *rows)
{
    size_t *w = calloc(meta->n + 1, sizeof *w);
    bool *num = calloc(meta->n + 1, sizeof *num); /* every value a number: right-aligned */
    sl_buf b = SL_BUF_INIT;
    if (w == NULL || num == NULL) {
        free(w);
        free(num);
        return;
    }
    for (size_t i = 0; i < meta->n; i++) {
        const sl_jval *nm = sl_json_get(&meta->items[i], "name");
        if (nm) {
            cell_text(nm, &b);
            w[i] = width(b.p ? b.p : "", b.len);
        }
        bool any = false, all = true;
        for (size_t r = 0; r < rows->n; r++) {
            if (i >= rows->items[r].n)
                continue;
            uint8_t t = rows->items[r].items[i].type;
            any = any || t == SL_J_NUM;
            all = all && (t == SL_J_NUM || t == SL_J_NULL);
            cell_text(&rows->items[r].items[i], &b);
            size_t cw = width(b.p ? b.p : "", b.len);
            w[i] = cw > w[i] ? cw : w[i];
        }
        num[i] = any && all;
    }
    table_line(NULL, meta, w, num, &b, true);
    for (size_t i = 0; i < meta->n; i++) {
        if (i)
            fputs("  ", stdout);
        pad(w[i], '-');
    }
    putchar('\n');
    for (size_t r = 0; r < rows->n; r++)
        table_line(&rows->items[r], meta, w, num, &b, false);
    sl_buf_free(&b);
    free(w);
    free(num);
}

/* A result set as TSV (the piped form). */
static void print_tsv(const sl_jval *meta, const sl_jval *rows)
{
    for (size_t i = 0; i < meta->n; i++) {
        const sl_jval *nm = sl_json_get(&meta->items[i], "name");
        if (i)
            putchar('\t');
        if (nm)
            put_escaped(nm->s.p, nm->s.n);
    }
    putchar('\n');
    for (size_t r = 0; r < rows->n; r++) {
        for (size_t i = 0; i < rows->items[r].n; i++) {
            if (i)
                putchar('\t');
            print_cell(&rows->items[r].items[i]);
        }
        putchar('\n');
    }
}

static int print_answer(const char *text)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_jval *doc;
    sl_err err = {0};
    int rc = 1;
    if (sl_json_parse(text, strlen(text), &a, &doc, &err) != SL_OK) {
        fprintf(stderr, "sluice sql: unexpected answer: %s\n", text);
        goto out;
    }
    const sl_jval *code = sl_json_get(doc, "code"), *data = sl_json_get(doc, "data");
    if (code == NULL || !sl_slice_eq(code->s, "0")) {
        fprintf(stderr, "error: %.*s\n", data && data->type == SL_J_STR ? (int)data->s.n : 0,
                data && data->type == SL_J_STR ? data->s.p : "");
        goto out;
    }
    const sl_jval *meta = sl_json_get(data, "meta"), *rows = sl_json_get(data, "data");
    rc = 0;
    if (meta == NULL || rows == NULL) {
        puts("OK");
        goto out;
    }
    if (isatty(STDOUT_FILENO))
        print_table(meta, rows);
    else
        print_tsv(meta, rows);
    fflush(stdout); /* the rows, then the count: never "4.253 rows" */
    fprintf(stderr, "%zu row%s\n", rows->n, rows->n == 1 ? "" : "s");
out:
    sl_arena_free(&a);
    return rc;
}

int sl__cli_sql(int argc, char **argv)
{
    const char *host = "127.0.0.1", *port = "8030", *user = "root:", *db = "information_schema";
    const char *stmt = NULL;
    char auth[512];
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--host") == 0 && i + 1 < argc) {
            host = argv[++i];
        } else if (strcmp(a, "--port") == 0 && i + 1 < argc) {
            port = argv[++i];
        } else if (strcmp(a, "-u") == 0 && i + 1 < argc) {
            user = argv[++i];
        } else if (strcmp(a, "--db") == 0 && i + 1 < argc) {
            db = argv[++i];
        } else if (stmt == NULL && a[0] != '-') {
            stmt = a;
        } else {
            if (a[0] != '-')
                fprintf(stderr, "sluice sql: more than one statement: %s\n", a);
            else if (i + 1 == argc && (strcmp(a, "--host") == 0 || strcmp(a, "--port") == 0 ||
                                       strcmp(a, "-u") == 0 || strcmp(a, "--db") == 0))
                fprintf(stderr, "sluice sql: option %s needs a value\n", a);
            else
                fprintf(stderr, "sluice sql: unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (stmt == NULL) {
        fprintf(stderr, "sluice sql: no statement given\n");
        usage(stderr);
        return 2;
    }
    snprintf(auth, sizeof auth, "%s%s", user, strchr(user, ':') ? "" : ":");
    char *answer = roundtrip(host, port, auth, db, stmt);
    if (answer == NULL)
        return 1;
    int rc = print_answer(answer);
    free(answer);
    return rc;
}
