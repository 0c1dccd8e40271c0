/*
 * client.c - `sluice sql`: one statement through the HTTP SQL API of a running server (cli).
 *
 * A deliberately small HTTP/1.1 client (one request, Connection: close) so the command needs
 * nothing but the server. Result sets print as tab-separated rows under a header line, NULL as
 * \N; other answers print their status.
 */
#include "../core/platform.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* Send the request, return the whole response body (heap) or NULL. */
static char *roundtrip(const char *host, const char *port, const char *auth, const char *db,
                       const char *stmt)
{
    sl_buf body = SL_BUF_INIT, req = SL_BUF_INIT, resp = SL_BUF_INIT;
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
    int fd = connect_to(host, port);
    char *out = NULL;
    if (fd < 0) {
        fprintf(stderr, "sluice sql: cannot connect to %s:%s\n", host, port);
        goto done;
    }
    for (size_t off = 0; off < req.len;) {
        ssize_t w = write(fd, req.p + off, req.len - off);
        if (w <= 0)
            goto done;
        off += (size_t)w;
    }
    char tmp[65536];
    ssize_t r;
    while ((r = read(fd, tmp, sizeof tmp)) > 0)
        sl_buf_append(&resp, tmp, (size_t)r);
    const char *sep = resp.p ? strstr(resp.p, "\r\n\r\n") : NULL;
    if (sep)
        out = strdup(sep + 4);
done:
    if (fd >= 0)
        close(fd);
    sl_buf_free(&body);
    sl_buf_free(&req);
    sl_buf_free(&resp);
    return out;
}

static void print_cell(const sl_jval *v)
{
    switch (v->type) {
    case SL_J_NULL: fputs("\\N", stdout); break;
    case SL_J_BOOL: fputs(v->b ? "true" : "false", stdout); break;
    default: fwrite(v->s.p, 1, v->s.n, stdout); break;
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
    for (size_t i = 0; i < meta->n; i++) {
        const sl_jval *nm = sl_json_get(&meta->items[i], "name");
        printf("%s%.*s", i ? "\t" : "", nm ? (int)nm->s.n : 0, nm ? nm->s.p : "");
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
            usage(stderr);
            return 2;
        }
    }
    if (stmt == NULL) {
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
