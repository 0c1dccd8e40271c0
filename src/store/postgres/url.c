/*
 * url.c - the store URL of the PostgreSQL engine (store stage, engine open).
 *
 *   postgres://user[:password]@host[:port]/db[?param=value...]   (also postgresql://)
 *   host=... port=... dbname=... user=... password=...           (libpq key=value form)
 *
 * libpq parses both (percent-decoding, lists of hosts, sslmode, ...): the URL is handed to
 * PQconnectdbParams as an expanded dbname between our defaults (which the URL may override:
 * application_name sluice, connect_timeout 10) and the settings it may not change
 * (client_encoding UTF8: sluice sends and reads UTF-8). Messages show the URL rebuilt without
 * its password, and any server text is passed through sl__pg_mask.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/mem.h"
#include "internal.h"

bool sl__pg_url_accepts(const char *url)
{
    if (url == NULL)
        return false;
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
        return true;
    return strchr(url, '=') != NULL && (strstr(url, "host=") || strstr(url, "dbname="));
}

/* The password of a URI written as scheme://user:password@..., for masking a parse error of
 * a URL libpq could not read (then nothing else tells where the password is). */
static void guess_password(const char *url, char *out, size_t cap)
{
    out[0] = '\0';
    const char *s = strstr(url, "://");
    if (s == NULL)
        return;
    s += 3;
    const char *at = strchr(s, '@');
    const char *colon = strchr(s, ':');
    if (at && colon && colon < at && (size_t)(at - colon - 1) < cap)
        snprintf(out, cap, "%.*s", (int)(at - colon - 1), colon + 1);
}

static void mask_in(char *msg, const char *pw)
{
    size_t n = pw ? strlen(pw) : 0;
    if (n == 0)
        return;
    for (char *p = strstr(msg, pw); p; p = strstr(p + 3, pw)) {
        memcpy(p, "***", 3);
        memmove(p + 3, p + n, strlen(p + n) + 1);
    }
}

void sl__pg_mask(const sl_engine *e, char *msg)
{
    if (e && e->password)
        mask_in(msg, e->password);
}

/* The parsed value of keyword kw, or NULL. */
static const char *opt(const PQconninfoOption *o, const char *kw)
{
    for (; o->keyword; o++)
        if (strcmp(o->keyword, kw) == 0)
            return o->val && o->val[0] ? o->val : NULL;
    return NULL;
}

static char *dup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = sl_malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* "postgres://user@host:port/db" from the parsed options. */
static char *shown_url(const PQconninfoOption *o)
{
    const char *user = opt(o, "user"), *host = opt(o, "host"), *port = opt(o, "port");
    const char *db = opt(o, "dbname");
    char buf[1024];
    snprintf(buf, sizeof buf, "postgres://%s%s%s%s%s/%s", user ? user : "", user ? "@" : "",
             host ? host : "", port ? ":" : "", port ? port : "", db ? db : "");
    return dup(buf);
}

sl_code sl__pg_url_parse(sl_engine *e, const char *url, sl_err *err)
{
    char *why = NULL;
    PQconninfoOption *o = PQconninfoParse(url, &why);
    if (o == NULL) {
        char msg[512], pw[256];
        snprintf(msg, sizeof msg, "%s", why ? why : "out of memory");
        PQfreemem(why);
        msg[strcspn(msg, "\n")] = '\0';
        guess_password(url, pw, sizeof pw);
        mask_in(msg, pw);
        return sl_fail(err, SL_INVALID, "bad store URL: %s (expected "
                       "postgres://user[:password]@host[:port]/database)", msg);
    }
    const char *pw = opt(o, "password"), *port = opt(o, "port");
    if (port && port[strspn(port, "0123456789,")] != '\0') { /* libpq finds out only later */
        PQconninfoFree(o);
        return sl_fail(err, SL_INVALID, "bad store URL: the port is not a number (expected "
                       "postgres://user[:password]@host[:port]/database)");
    }
    e->shown = shown_url(o);
    e->password = pw ? dup(pw) : NULL;
    PQconninfoFree(o);
    static const char *const kw[] = {"application_name", "connect_timeout", "dbname",
                                     "client_encoding", NULL};
    e->kw = sl_calloc(sizeof kw);
    e->val = sl_calloc(sizeof kw);
    char *u = dup(url);
    if (e->shown == NULL || (pw && e->password == NULL) || e->kw == NULL || e->val == NULL ||
        u == NULL) {
        sl_free(u);
        return sl_fail(err, SL_NOMEM, "out of memory");
    }
    memcpy(e->kw, kw, sizeof kw);
    e->val[0] = "sluice";
    e->val[1] = "10";
    e->val[2] = u;
    e->val[3] = "UTF8";
    return SL_OK;
}
