/*
 * account.c - running the user, grant and cluster statements of Doris's SQL (proto stage):
 * CREATE / ALTER / DROP USER, SET PASSWORD, GRANT, REVOKE, SHOW GRANTS, SHOW BACKENDS /
 * FRONTENDS. The parsed statement (src/sql/account.c) becomes calls into load/auth.c, whose
 * users and grants live in the store, so a user created on one node logs in on every node at
 * once. One runner for every SQL transport (the HTTP SQL API today).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <string.h>

#include "../batch/convert.h"
#include "../core/mem.h"
#include "proto.h"

static char *cstr(sl_arena_t *a, sl_slice s)
{
    char *p = sl_arena_alloc(a, s.n + 1);
    if (p) {
        memcpy(p, s.p ? s.p : "", s.n);
        p[s.n] = '\0';
    }
    return p;
}

static sl_code create_or_alter(sl_app *app, const sl_stmt *st, sl_err *err)
{
    const sl_account *ac = &st->account;
    sl_auth_policy pol = {(int32_t)ac->failed_login_attempts, ac->password_lock_s};
    if (st->kind == SL_STMT_CREATE_USER) {
        sl_code rc = sl_auth_add(app->auth, ac->user, ac->password, false,
                                 ac->has_policy ? &pol : NULL, err);
        if (rc == SL_CONFLICT && st->if_not_exists) {
            sl_err_clear(err);
            return SL_OK;
        }
        if (rc == SL_CONFLICT) /* Doris's text */
            return sl_err_clear(err),
                   sl_fail(err, SL_CONFLICT, "Operation CREATE USER failed for '%.*s'@'%%'",
                           (int)ac->user.n, ac->user.p);
        return rc;
    }
    sl_code rc = SL_OK;
    if (ac->has_password)
        rc = sl_auth_passwd(app->auth, ac->user, ac->password, err);
    if (rc == SL_OK && ac->has_policy)
        rc = sl_auth_set_policy(app->auth, ac->user, &pol, err);
    if (rc == SL_OK && ac->unlock)
        rc = sl_auth_unlock(app->auth, ac->user, err);
    if (SL_PRIMARY(rc) == SL_NOT_FOUND && st->if_exists) {
        sl_err_clear(err);
        return SL_OK;
    }
    return rc;
}

/* "Load_priv" from "LOAD": Doris's capitalisation in SHOW GRANTS. */
static void priv_name(sl_buf *b, sl_slice p)
{
    for (size_t i = 0; i < p.n; i++)
        sl_buf_putc(b, (char)(i ? (p.p[i] >= 'A' && p.p[i] <= 'Z' ? p.p[i] + 32 : p.p[i])
                                : p.p[i]));
    sl_buf_puts(b, "_priv");
}

/* SHOW GRANTS rows: UserIdentity, Password, GlobalPrivs, DatabasePrivs, TablePrivs. */
static sl_code show_grants(sl_app *app, const sl_identity *id, const sl_stmt *st, sl_arena_t *a,
                           sl_rows *out, sl_err *err)
{
    static const char *const names[] = {"UserIdentity", "Password", "GlobalPrivs",
                                        "DatabasePrivs", "TablePrivs"};
    sl_user_rec *users;
    size_t n_users;
    sl_code rc = sl_store_users(app->store, a, &users, &n_users, err);
    if (rc != SL_OK)
        return rc;
    sl_slice who = st->account.all ? SL_SLICE_NULL : st->account.user.p ? st->account.user : id->user;
    sl_slice *cells = sl_arena_alloc(a, (n_users + 1) * 5 * sizeof *cells);
    if (cells == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    size_t rows = 0;
    for (size_t u = 0; u < n_users; u++) {
        if (who.p && (who.n != users[u].name.n || memcmp(who.p, users[u].name.p, who.n)))
            continue;
        sl_grant_rec *g;
        size_t ng;
        if ((rc = sl_store_grants(app->store, users[u].name, a, &g, &ng, err)) != SL_OK)
            return rc;
        sl_buf col[3] = {SL_BUF_INIT, SL_BUF_INIT, SL_BUF_INIT};
        if (users[u].admin)
            sl_buf_puts(&col[0], "Admin_priv");
        for (size_t i = 0; i < ng; i++) {
            int k = sl_slice_eq(g[i].target, "*") ? 0 : memchr(g[i].target.p, '.', g[i].target.n) ? 2 : 1;
            if (col[k].len)
                sl_buf_puts(&col[k], k ? "; " : " ");
            if (k) {
                sl_buf_puts(&col[k], "internal.");
                sl_buf_append(&col[k], g[i].target.p, g[i].target.n);
                sl_buf_puts(&col[k], ": ");
            }
            priv_name(&col[k], g[i].priv);
        }
        sl_slice *row = cells + rows * 5;
        char ident[200];
        snprintf(ident, sizeof ident, "'%.*s'@'%%'", (int)users[u].name.n, users[u].name.p);
        row[0] = sl_arena_slice(a, sl_slice_of(ident));
        row[1] = sl_slice_of(sl_slice_eq(users[u].hash, "$empty$") ? "No" : "Yes");
        for (int k = 0; k < 3; k++) {
            row[2 + k] = col[k].len ? sl_arena_slice(a, (sl_slice){col[k].p, col[k].len})
                                    : SL_SLICE_NULL;
            sl_buf_free(&col[k]);
        }
        rows++;
    }
    if (who.p && rows == 0)
        return sl_fail(err, SL_NOT_FOUND, "user '%.*s'@'%%' does not exist", (int)who.n, who.p);
    *out = (sl_rows){names, 5, cells, rows};
    return SL_OK;
}

/* SHOW BACKENDS / FRONTENDS: the node list, in Doris's leading column names. */
static sl_code show_nodes(sl_app *app, const sl_stmt *st, sl_arena_t *a, sl_rows *out,
                          sl_err *err)
{
    static const char *const be[] = {"BackendId", "Host", "HttpPort", "FePort", "TsloadPort",
                                     "LastStartTime", "LastHeartbeat", "Alive", "RunningLoads",
                                     "IsCurrent"};
    static const char *const fe[] = {"Name", "Host", "HttpPort", "BePort", "TsloadPort",
                                     "LastStartTime", "LastHeartbeat", "Alive", "RunningLoads",
                                     "CurrentConnected"};
    sl_node_rec *v;
    size_t n;
    sl_code rc = sl_store_nodes(app->store, a, &v, &n, err);
    if (rc != SL_OK)
        return rc;
    sl_slice *cells = sl_arena_alloc(a, (n + 1) * 10 * sizeof *cells);
    if (cells == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    bool front = st->account.frontends;
    for (size_t i = 0; i < n; i++) {
        char num[5][32], t0[32], t1[32];
        snprintf(num[0], 32, "%d", front ? v[i].fe_port : v[i].be_port);
        snprintf(num[1], 32, "%d", front ? v[i].be_port : v[i].fe_port);
        snprintf(num[2], 32, "%d", v[i].tsload_port);
        snprintf(num[3], 32, "%u", v[i].running);
        int64_t s0 = (int64_t)(v[i].started_ms / 1000), s1 = (int64_t)(v[i].heartbeat_ms / 1000);
        size_t k0 = sl_format_datetime((s0 + sl_tz_offset_utc(app->tz, s0)) * 1000000, 0, t0);
        size_t k1 = sl_format_datetime((s1 + sl_tz_offset_utc(app->tz, s1)) * 1000000, 0, t1);
        sl_slice *row = cells + i * 10;
        row[0] = v[i].id;
        row[1] = v[i].host;
        for (int k = 0; k < 3; k++)
            row[2 + k] = sl_arena_slice(a, sl_slice_of(num[k]));
        row[5] = sl_arena_slice(a, (sl_slice){t0, k0});
        row[6] = sl_arena_slice(a, (sl_slice){t1, k1});
        row[7] = sl_slice_of(v[i].alive ? "true" : "false");
        row[8] = sl_arena_slice(a, sl_slice_of(num[3]));
        row[9] = sl_slice_of(v[i].self ? "true" : "false");
    }
    *out = (sl_rows){front ? fe : be, 10, cells, n};
    return SL_OK;
}

sl_code sl__account_run(sl_app *app, const sl_identity *id, const sl_stmt *st, sl_arena_t *a,
                        sl_rows *out, sl_err *err)
{
    const sl_account *ac = &st->account;
    *out = (sl_rows){NULL, 0, NULL, 0};
    switch (st->kind) {
    case SL_STMT_CREATE_USER:
    case SL_STMT_ALTER_USER: return create_or_alter(app, st, err);
    case SL_STMT_DROP_USER: {
        sl_code rc = sl_auth_drop(app->auth, ac->user, err);
        if (SL_PRIMARY(rc) == SL_NOT_FOUND && st->if_exists) {
            sl_err_clear(err);
            return SL_OK;
        }
        return rc;
    }
    case SL_STMT_SET_PASSWORD:
        return sl_auth_passwd(app->auth, ac->user.p ? ac->user : id->user, ac->password, err);
    case SL_STMT_GRANT:
    case SL_STMT_REVOKE: {
        char *privs = cstr(a, ac->privs), *target = cstr(a, ac->target);
        if (privs == NULL || target == NULL)
            return sl_fail(err, SL_NOMEM, "out of memory");
        return st->kind == SL_STMT_GRANT ? sl_auth_grant(app->auth, ac->user, privs, target, err)
                                         : sl_auth_revoke(app->auth, ac->user, privs, target, err);
    }
    case SL_STMT_SHOW_GRANTS: return show_grants(app, id, st, a, out, err);
    case SL_STMT_SHOW_NODES: return show_nodes(app, st, a, out, err);
    default: return sl_fail(err, SL_INTERNAL, "not an account statement");
    }
}
