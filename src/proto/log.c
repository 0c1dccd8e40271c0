/*
 * log.c - the server log and the access log (proto stage; obs.h).
 *
 *   sl__log(level, ...)     ----\
 *   HTTP layer's own lines  -----+--> level filter --> one write(2) per line --> stderr or
 *   sl__log_access(request) ----/                                                log_file
 *
 * Lines are "<UTC time> <level> sluice: <message>" and, for requests,
 * "<UTC time> access client=... user=... method=... path=\"...\" status=... bytes_in=...
 * bytes_out=... ms=... label=..." (logfmt: easy for people and for log shippers). Each line
 * is built in a local buffer and written with one write(2) on an O_APPEND descriptor, so
 * lines from different threads never interleave and no lock is needed. SIGHUP sets a flag;
 * the next line opens log_file again and dup2()s it over the old descriptor (logrotate's
 * "create" mode). Secrets never reach a line: the Authorization header is never read beyond
 * its user name, and query parameters named like passwords and URL userinfo are masked.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "../core/mem.h"
#include "obs.h"

/* A line longer than this is cut (a 200-byte path and a 128-byte label fit many times). */
#define LINE_MAX_BYTES 4096

struct sl_log {
    int fd;                        /* 2 (stderr) or log_file's descriptor */
    bool own_fd;
    int level;
    bool access;
    atomic_int reopen;             /* set by SIGHUP: reopen before the next line */
    char path[1024];
};

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int sl__log_level(const char *text)
{
    for (size_t i = 0; i < SL_COUNT(level_names); i++)
        if (strcasecmp(text, level_names[i]) == 0)
            return (int)i;
    return -1;
}

static int open_file(const char *path)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

sl_code sl__log_open(const char *file, const char *level, bool access, sl_log **out,
                     sl_err *err)
{
    *out = NULL;
    int lv = sl__log_level(level);
    if (lv < 0)
        return sl_fail(err, SL_INVALID, "log_level: not a level (error, warn, info, debug): %s",
                       level);
    sl_log *l = sl_calloc(sizeof *l);
    if (l == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    l->fd = 2;
    l->level = lv;
    l->access = access;
    if (file && file[0]) {
        snprintf(l->path, sizeof l->path, "%s", file);
        l->fd = open_file(file);
        if (l->fd < 0) {
            int e = errno;
            sl_free(l);
            return sl_fail(err, SL_BACKEND, "cannot open log_file %s: %s", file, strerror(e));
        }
        l->own_fd = true;
    }
    *out = l;
    return SL_OK;
}

void sl__log_close(sl_log *l)
{
    if (l == NULL)
        return;
    if (l->own_fd)
        close(l->fd);
    sl_free(l);
}

bool sl__log_on(const sl_log *l, int level)
{
    return level <= (l ? l->level : SL_LOG_INFO);
}

void sl__log_reopen(sl_log *l)
{
    if (l)
        atomic_store(&l->reopen, 1);
}

/* Reopen log_file in place when SIGHUP asked for it. A failure keeps the old file. */
static void maybe_reopen(sl_log *l)
{
    if (!l->own_fd || !atomic_exchange(&l->reopen, 0))
        return;
    int fd = open_file(l->path);
    if (fd < 0)
        return;
    dup2(fd, l->fd); /* atomic: a concurrent line goes to the old file or the new one */
    close(fd);
}

/* "2026-05-01T10:00:00.123Z" */
static size_t put_time(char *out, size_t cap)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

/* Write one line (a newline is added; a line over the limit is cut). */
static void emit(sl_log *l, char *line, size_t n)
{
    if (n >= LINE_MAX_BYTES)
        n = LINE_MAX_BYTES - 1;
    line[n++] = '\n';
    int fd = 2;
    if (l) {
        maybe_reopen(l);
        fd = l->fd;
    }
    for (size_t off = 0; off < n;) {
        ssize_t w = write(fd, line + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* nowhere to complain to */
        off += (size_t)w;
    }
}

void sl__log(sl_log *l, int level, const char *fmt, ...)
{
    if (!sl__log_on(l, level))
        return;
    char line[LINE_MAX_BYTES + 1];
    size_t n = put_time(line, LINE_MAX_BYTES);
    int k = snprintf(line + n, LINE_MAX_BYTES - n, " %s sluice: ",
                     level_names[level < 0 ? 0 : level > SL_LOG_DEBUG ? SL_LOG_DEBUG : level]);
    n += k > 0 ? (size_t)k : 0;
    va_list ap;
    va_start(ap, fmt);
    k = n < LINE_MAX_BYTES ? vsnprintf(line + n, LINE_MAX_BYTES - n, fmt, ap) : 0;
    va_end(ap);
    n += k > 0 ? (size_t)k : 0;
    emit(l, line, n < LINE_MAX_BYTES ? n : LINE_MAX_BYTES - 1);
}

/* ---- the access line -------------------------------------------------------------------- */

/* Is a query parameter with this name a secret? Case-insensitive substrings, so "password",
 * "PASSWD", "db_password", "access_token", "secret_key", "sig", "auth" all are. */
static bool secret_name(const char *p, size_t n)
{
    static const char *const words[] = {"pass", "pwd", "secret", "token", "key", "auth",
                                        "sig", "credential"};
    for (size_t w = 0; w < SL_COUNT(words); w++) {
        size_t k = strlen(words[w]);
        for (size_t i = 0; i + k <= n; i++)
            if (strncasecmp(p + i, words[w], k) == 0)
                return true;
    }
    return false;
}

/* Append a piece to out[*len..cap), always leaving room for the NUL. */
static void put(char *out, size_t cap, size_t *len, const char *p, size_t n)
{
    if (*len + 1 >= cap)
        return;
    if (n > cap - 1 - *len)
        n = cap - 1 - *len;
    memcpy(out + *len, p, n);
    *len += n;
    out[*len] = '\0';
}

/* Mask the query parameters of q (without the '?'). */
static void mask_query(const char *q, const char *end, char *out, size_t cap, size_t *len)
{
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(q, '=', (size_t)(stop - q));
        if (eq && secret_name(q, (size_t)(eq - q))) {
            put(out, cap, len, q, (size_t)(eq - q) + 1);
            put(out, cap, len, "***", 3);
        } else {
            put(out, cap, len, q, (size_t)(stop - q));
        }
        if (amp)
            put(out, cap, len, "&", 1);
        q = amp ? amp + 1 : end;
    }
}

size_t sl__log_mask_target(sl_slice target, char *out, size_t cap)
{
    size_t len = 0;
    if (cap == 0)
        return 0;
    out[0] = '\0';
    const char *p = target.p ? target.p : "", *end = p + target.n;
    const char *q = memchr(p, '?', target.n);
    const char *path_end = q ? q : end;
    /* absolute form "scheme://user:pw@host/...": the userinfo is a credential */
    const char *scheme = target.n > 3 ? memmem(p, (size_t)(path_end - p), "://", 3) : NULL;
    const char *slash = scheme ? memchr(scheme + 3, '/', (size_t)(path_end - scheme - 3)) : NULL;
    const char *host_end = slash ? slash : path_end;
    const char *at = scheme ? memchr(scheme + 3, '@', (size_t)(host_end - scheme - 3)) : NULL;
    if (at) {
        put(out, cap, &len, p, (size_t)(scheme + 3 - p));
        put(out, cap, &len, "***@", 4);
        put(out, cap, &len, at + 1, (size_t)(path_end - at - 1));
    } else {
        put(out, cap, &len, p, (size_t)(path_end - p));
    }
    if (q) {
        put(out, cap, &len, "?", 1);
        mask_query(q + 1, end, out, cap, &len);
    }
    return len;
}

/* key=value, the value quoted when it is empty or has a space, a quote, '=' or a control
 * byte; inside quotes \" \\ and \xNN keep the line one line. */
static void put_kv(char *out, size_t cap, size_t *len, const char *key, const char *p, size_t n)
{
    put(out, cap, len, " ", 1);
    put(out, cap, len, key, strlen(key));
    put(out, cap, len, "=", 1);
    bool quote = n == 0;
    for (size_t i = 0; i < n && !quote; i++) {
        unsigned char c = (unsigned char)p[i];
        quote = c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f;
    }
    if (!quote) {
        put(out, cap, len, p, n);
        return;
    }
    put(out, cap, len, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c;
            put(out, cap, len, esc, 2);
        } else if (c < ' ' || c == 0x7f) {
            snprintf(esc, sizeof esc, "\\x%02x", c);
            put(out, cap, len, esc, 4);
        } else {
            put(out, cap, len, p + i, 1);
        }
    }
    put(out, cap, len, "\"", 1);
}

/* The user name of a Basic authorization header (never the password), in buf. */
static sl_slice basic_user(const sl_http_req *r, char *buf, size_t cap)
{
    sl_slice user, pw;
    /* sl__basic_auth decodes into the request arena; the header is read-only here */
    if (!sl__basic_auth((sl_http_req *)r, &user, &pw))
        return SL_LIT("");
    size_t n = user.n < cap ? user.n : cap;
    memcpy(buf, user.p, n);
    return (sl_slice){buf, n};
}

void sl__log_access(sl_log *l, const sl_http_req *r, const sl_http_done *d)
{
    if (l == NULL || !l->access || !sl__log_on(l, SL_LOG_INFO))
        return;
    char line[LINE_MAX_BYTES + 1], target[1024], ubuf[128], num[96];
    size_t n = put_time(line, LINE_MAX_BYTES + 1);
    put(line, LINE_MAX_BYTES + 1, &n, " access", 7);
    put_kv(line, LINE_MAX_BYTES + 1, &n, "client", r->peer_ip, strlen(r->peer_ip));
    sl_slice user = r->log_user.n ? r->log_user : r->method ? basic_user(r, ubuf, sizeof ubuf)
                                                            : SL_LIT("");
    put_kv(line, LINE_MAX_BYTES + 1, &n, "user", user.n ? user.p : "-", user.n ? user.n : 1);
    const char *m = r->method ? r->method : "-";
    put_kv(line, LINE_MAX_BYTES + 1, &n, "method", m, strlen(m));
    size_t tn = sl__log_mask_target(r->method ? r->target : SL_LIT("-"), target, sizeof target);
    put_kv(line, LINE_MAX_BYTES + 1, &n, "path", target, tn);
    int k = snprintf(num, sizeof num, " status=%d bytes_in=%llu bytes_out=%llu ms=%llu",
                     d->status, (unsigned long long)r->body_bytes,
                     (unsigned long long)d->bytes_out, (unsigned long long)d->ms);
    put(line, LINE_MAX_BYTES + 1, &n, num, k > 0 ? (size_t)k : 0);
    sl_slice label = r->log_label.n ? r->log_label
                                    : r->method ? sl_http_header_get(r, "label") : SL_LIT("");
    if (label.p == NULL || label.n == 0)
        label = SL_LIT("-");
    put_kv(line, LINE_MAX_BYTES + 1, &n, "label", label.p, label.n > 256 ? 256 : label.n);
    emit(l, line, n);
}
