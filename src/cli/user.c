/*
 * user.c - `sluice user add|passwd|alter|unlock|grant|revoke`: edit the users kept in the store
 * (cli).
 *
 * Works whether or not a server runs on that store: servers read users from the store on every
 * login (their caches of verified passwords miss as soon as the stored hash changes). The store
 * is opened as a tool: no recovery, no node registration.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../load/auth.h"
#include "../store/store.h"
#include "cli.h"

static int usage(FILE *f)
{
    fprintf(f,
            "usage: sluice user add NAME [--password PW] [--admin] [POLICY] [STORE]\n"
            "       sluice user passwd NAME PASSWORD|- [STORE]\n"
            "       sluice user alter NAME POLICY [STORE]\n"
            "       sluice user unlock NAME [STORE]\n"
            "       sluice user grant NAME PRIVS ON TARGET [STORE]\n"
            "       sluice user revoke NAME PRIVS ON TARGET [STORE]\n"
            "POLICY: --failed-login-attempts N [--password-lock-time N[s|h|d]|UNBOUNDED]\n"
            "  (Doris's FAILED_LOGIN_ATTEMPTS / PASSWORD_LOCK_TIME; 0 attempts = never lock)\n"
            "PRIVS: LOAD, SELECT, CREATE, DROP, ALTER, ADMIN or ALL, comma-separated\n"
            "TARGET: * (everything), DB (or DB.*), DB.TABLE\n"
            "STORE: [--data-dir DIR] [--store URL] (default ./data, and the store the server\n"
            "  on DIR uses: DIR/store.url, else the embedded store)\n"
            "A password given as - is read from the first line of standard input (so it\n"
            "does not show in the process list).\n"
            "Users and privileges live in the store. LOAD allows loading\n"
            "into the target and reading it; SELECT reading; CREATE and DROP the DDL; ADMIN\n"
            "everything. docs/SECURITY.md has the full table.\n");
    return f == stdout ? 0 : 2;
}

/* "86400", "3600s", "12h", "7d" or "UNBOUNDED" -> seconds; false when malformed. */
static bool parse_lock_time(const char *s, int64_t *out)
{
    if (strcasecmp(s, "UNBOUNDED") == 0) {
        *out = SL_AUTH_LOCK_UNBOUNDED;
        return true;
    }
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    long long mul = *end == 'd' ? 86400 : *end == 'h' ? 3600 : 1;
    if (*end == 'd' || *end == 'h' || *end == 's')
        end++;
    if (end == s || *end || errno || v < 1 || v > 10000LL * 86400 / mul)
        return false;
    *out = v * mul;
    return true;
}

typedef struct opts {
    const char *dir, *pw, *url;
    const char *pos[6];
    int n;
    bool admin, has_policy;
    sl_auth_policy policy;
} opts;

/* Flags and positional words; false on a malformed command line. */
static bool parse_args(int argc, char **argv, opts *o)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--data-dir") == 0 && v)
            o->dir = argv[++i];
        else if (strcmp(a, "--store") == 0 && v)
            o->url = argv[++i];
        else if (strcmp(a, "--password") == 0 && v)
            o->pw = argv[++i];
        else if (strcmp(a, "--admin") == 0)
            o->admin = true;
        else if (strcmp(a, "--failed-login-attempts") == 0 && v) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (*end || end == v || n < 0 || n > 32767)
                return false;
            o->policy.failed_login_attempts = (int32_t)n;
            o->has_policy = true;
        } else if (strcmp(a, "--password-lock-time") == 0 && v) {
            if (!parse_lock_time(argv[++i], &o->policy.password_lock_time_s))
                return false;
            o->has_policy = true;
        } else if (strncmp(a, "--", 2) == 0) {
            static const char *const valued[] = {"--data-dir", "--store", "--password",
                                                 "--failed-login-attempts",
                                                 "--password-lock-time"};
            bool missing = false;
            for (size_t k = 0; k < sizeof valued / sizeof *valued; k++)
                missing |= strcmp(a, valued[k]) == 0;
            fprintf(stderr, "sluice user: %s %s\n",
                    missing ? "missing value for option" : "unknown option", a);
            return false;
        } else if (o->n < 6) {
            o->pos[o->n++] = a;
        } else {
            fprintf(stderr, "sluice user: too many arguments\n");
            return false;
        }
    }
    if (o->n < 2)
        fprintf(stderr, "sluice user: missing arguments\n");
    return o->n >= 2;
}

/* "-": the first line of stdin (without its line end) into buf; otherwise arg itself. */
static sl_code password_arg(const char *arg, char *buf, size_t cap, sl_slice *out, sl_err *err)
{
    if (strcmp(arg, "-") != 0) {
        *out = sl_slice_of(arg);
        return SL_OK;
    }
    if (fgets(buf, (int)cap, stdin) == NULL)
        buf[0] = '\0';
    size_t n = strcspn(buf, "\r\n");
    if (n == cap - 1)
        return sl_fail(err, SL_INVALID, "password on standard input longer than %zu bytes",
                       cap - 2);
    buf[n] = '\0';
    *out = (sl_slice){buf, n};
    return SL_OK;
}

static sl_code run(sl_auth *a, const opts *o, bool *bad, sl_err *err)
{
    const char *cmd = o->pos[0];
    sl_slice name = sl_slice_of(o->pos[1]);
    bool on = o->n == 5 && strcasecmp(o->pos[3], "ON") == 0;
    *bad = false;
    if (strcmp(cmd, "add") == 0 && o->n == 2)
        return sl_auth_add(a, name, sl_slice_of(o->pw), o->admin,
                           o->has_policy ? &o->policy : NULL, err);
    if (strcmp(cmd, "passwd") == 0 && o->n == 3) {
        char buf[1024];
        sl_slice pw;
        sl_code rc = password_arg(o->pos[2], buf, sizeof buf, &pw, err);
        return rc != SL_OK ? rc : sl_auth_passwd(a, name, pw, err);
    }
    if (strcmp(cmd, "alter") == 0 && o->n == 2 && o->has_policy)
        return sl_auth_set_policy(a, name, &o->policy, err);
    if (strcmp(cmd, "unlock") == 0 && o->n == 2)
        return sl_auth_unlock(a, name, err);
    if (strcmp(cmd, "grant") == 0 && on)
        return sl_auth_grant(a, name, o->pos[2], o->pos[4], err);
    if (strcmp(cmd, "revoke") == 0 && on)
        return sl_auth_revoke(a, name, o->pos[2], o->pos[4], err);
    *bad = true;
    return SL_INVALID;
}

int sl__cli_user(int argc, char **argv)
{
    opts o = {.dir = "./data", .pw = "", .url = NULL};
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return usage(stdout);
    if (!parse_args(argc, argv, &o))
        return usage(stderr);
    sl_auth *a = NULL;
    sl_store *store = NULL;
    sl_err err = {0};
    char noted[1024] = "";
    if (o.url == NULL) { /* the store the server on this data directory uses (app.c) */
        char path[1200];
        snprintf(path, sizeof path, "%s/store.url", o.dir);
        FILE *f = fopen(path, "r");
        if (f) {
            size_t k = fread(noted, 1, sizeof noted - 1, f);
            noted[k] = '\0';
            fclose(f);
        }
        o.url = noted[0] ? noted : SL_STORE_DEFAULT;
    }
    sl_store_opts so = {.url = o.url, .data_dir = o.dir, .tool = true};
    if (sl_store_global_init(&err) != SL_OK || sl_store_open(&so, &store, &err) != SL_OK ||
        sl_auth_open(store, &a, &err) != SL_OK) {
        fprintf(stderr, "sluice user: %s\n", err.msg);
        sl_store_close(store);
        return 1;
    }
    bool bad;
    sl_code rc = run(a, &o, &bad, &err);
    sl_auth_close(a);
    sl_store_close(store);
    if (bad)
        return usage(stderr);
    if (rc != SL_OK) {
        fprintf(stderr, "sluice user: %s\n", err.msg);
        return 1;
    }
    return 0;
}
