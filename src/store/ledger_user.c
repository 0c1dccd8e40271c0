/*
 * ledger_user.c - users and grants in the ledger (store stage). They live in the catalog, so
 * every node sharing one engine sees the same users at once; load/auth.c owns the password
 * hashing and the privilege rules and keeps a cache that compares meta.users_version, which
 * every change here bumps in the same transaction.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/mem.h"
#include "ledger.h"

static const char bump_sql[] =
    "UPDATE meta SET v = CAST(CAST(v AS BIGINT) + 1 AS TEXT) WHERE k = 'users_version'";

/* Run one change and bump users_version in the same transaction. *changes as exec. When cred is
 * not NULL and the change touched a row, the user's MySQL credential is replaced in the same
 * transaction: cred[0] the user, cred[1] the credential (NULL: none), cred[2] the hash it is for. */
static sl_code change_cred(sl_store *s, const char *sql, const sl_cell *p, size_t n,
                           const sl_cell *cred, int64_t *changes, sl_err *err)
{
    sl_econn *c;
    int64_t k = 0;
    sl_code rc = s->ev->conn_get(s->e, &c, err);
    if (rc != SL_OK)
        return rc;
    if ((rc = s->ev->xbegin(c, err)) == SL_OK) {
        rc = sl__lg_exec(s, c, sql, p, n, NULL, NULL, &k, err);
        if (rc == SL_OK && cred && k > 0)
            rc = sl__lg_exec(s, c, "DELETE FROM user_creds WHERE usr = $1 AND "
                             "kind = 'mysql_native'", cred, 1, NULL, NULL, NULL, err);
        if (rc == SL_OK && cred && k > 0 && cred[1].kind != SL_CELL_NULL)
            rc = sl__lg_exec(s, c, "INSERT INTO user_creds(usr, kind, cred, for_hash) "
                             "VALUES($1, 'mysql_native', $2, $3)", cred, 3, NULL, NULL, NULL,
                             err);
        if (rc == SL_OK)
            rc = sl__lg_exec(s, c, bump_sql, NULL, 0, NULL, NULL, NULL, err);
        if (rc == SL_OK)
            rc = s->ev->xcommit(c, err);
        else
            s->ev->xrollback(c);
    }
    s->ev->conn_put(c);
    if (changes)
        *changes = k;
    return rc;
}

static sl_code change(sl_store *s, const char *sql, const sl_cell *p, size_t n, int64_t *changes,
                      sl_err *err)
{
    return change_cred(s, sql, p, n, NULL, changes, err);
}

/* The credential cells change_cred wants. */
static void cred_cells(sl_cell out[3], sl_slice name, sl_slice native, sl_slice hash)
{
    out[0] = sl_cell_text(name);
    out[1] = native.p ? sl_cell_text(native) : sl_cell_null();
    out[2] = sl_cell_text(hash);
}

typedef struct users {
    sl_arena_t *a;
    sl_user_rec *v;
    size_t n, cap;
} users;

static sl_code user_fn(void *arg, const sl_cell *row, size_t n)
{
    users *L = arg;
    if (n < 7)
        return SL_INTERNAL;
    sl_user_rec *v = sl_arena_grow(L->a, L->v, L->n, &L->cap, sizeof *v);
    if (v == NULL)
        return SL_NOMEM;
    L->v = v;
    sl_user_rec *u = &L->v[L->n];
    u->name = sl_arena_slice(L->a, row[0].s);
    u->hash = sl_arena_slice(L->a, row[1].s);
    u->admin = row[2].i != 0;
    u->failed_login_attempts = (uint32_t)row[3].i;
    u->password_lock_s = row[4].i;
    u->failed = (uint32_t)row[5].i;
    u->locked_until_ms = (uint64_t)row[6].i;
    u->version = n > 7 ? (uint64_t)row[7].i : 0;
    u->native = n > 8 && row[8].kind == SL_CELL_TEXT ? sl_arena_slice(L->a, row[8].s)
                                                     : SL_SLICE_NULL;
    if (u->name.p == NULL || u->hash.p == NULL || (n > 8 && row[8].kind == SL_CELL_TEXT &&
                                                   u->native.p == NULL))
        return SL_NOMEM;
    L->n++;
    return SL_OK;
}

/* A user with the MySQL credential that belongs to its current hash, if any. */
#define USER_SELECT                                                                              \
    "SELECT u.name, u.hash, u.admin, u.failed_login_attempts, u.password_lock_s, u.failed, "   \
    "u.locked_until_ms, u.version, c.cred FROM users u LEFT JOIN user_creds c ON c.usr = "     \
    "u.name AND c.kind = 'mysql_native' AND c.for_hash = u.hash"

sl_code sl_store_user_get(sl_store *s, sl_slice name, sl_arena_t *a, sl_user_rec *out,
                          sl_err *err)
{
    users L = {a, NULL, 0, 0};
    sl_cell p = sl_cell_text(name);
    sl_code rc = sl__lg_run(s, USER_SELECT " WHERE u.name = $1", &p, 1, user_fn,
                            &L, NULL, err);
    if (rc == SL_NOMEM)
        return sl_fail(err, SL_NOMEM, "out of memory");
    if (rc != SL_OK)
        return rc;
    if (L.n == 0)
        return sl_fail(err, SL_NOT_FOUND, "user '%.*s' does not exist", (int)name.n, name.p);
    *out = L.v[0];
    return SL_OK;
}

sl_code sl_store_users(sl_store *s, sl_arena_t *a, sl_user_rec **out, size_t *n, sl_err *err)
{
    users L = {a, NULL, 0, 0};
    sl_code rc = sl__lg_run(s, USER_SELECT " ORDER BY u.name", NULL, 0, user_fn,
                            &L, NULL, err);
    *out = L.v, *n = L.n;
    return rc == SL_NOMEM ? sl_fail(err, SL_NOMEM, "out of memory") : rc;
}

sl_code sl_store_user_put(sl_store *s, const sl_user_rec *u, bool create, sl_err *err)
{
    sl_cell p[6] = {sl_cell_text(u->name), sl_cell_text(u->hash), sl_cell_int(u->admin),
                    sl_cell_int(u->failed_login_attempts), sl_cell_int(u->password_lock_s),
                    sl_cell_null()};
    int64_t changed = 0;
    sl_cell cred[3];
    cred_cells(cred, u->name, u->native, u->hash);
    sl_code rc;
    if (create) {
        rc = change_cred(s,
                    "INSERT INTO users(name, hash, admin, failed_login_attempts, "
                    "password_lock_s, failed, locked_until_ms, version) VALUES($1, $2, $3, $4, "
                    "$5, 0, 0, 1) ON CONFLICT DO NOTHING",
                    p, 5, cred, &changed, err);
        if (rc == SL_OK && changed == 0)
            rc = sl_fail(err, SL_CONFLICT, "user '%.*s' already exists", (int)u->name.n,
                         u->name.p);
        return rc;
    }
    rc = change_cred(s,
                     "UPDATE users SET hash = $2, admin = $3, failed_login_attempts = $4, "
                     "password_lock_s = $5, failed = 0, locked_until_ms = 0, version = version + "
                     "1 WHERE name = $1",
                     p, 5, cred, &changed, err);
    if (rc == SL_OK && changed == 0)
        rc = sl_fail(err, SL_NOT_FOUND, "user '%.*s' does not exist", (int)u->name.n, u->name.p);
    return rc;
}

sl_code sl_store_user_drop(sl_store *s, sl_slice name, sl_err *err)
{
    sl_econn *c;
    sl_code rc = s->ev->conn_get(s->e, &c, err);
    if (rc != SL_OK)
        return rc;
    int64_t changed = 0;
    sl_cell p = sl_cell_text(name);
    if ((rc = s->ev->xbegin(c, err)) == SL_OK) {
        rc = sl__lg_exec(s, c, "DELETE FROM users WHERE name = $1", &p, 1, NULL, NULL, &changed,
                         err);
        if (rc == SL_OK && changed == 0)
            rc = sl_fail(err, SL_NOT_FOUND, "user '%.*s' does not exist", (int)name.n, name.p);
        if (rc == SL_OK)
            rc = sl__lg_exec(s, c, "DELETE FROM grants WHERE usr = $1", &p, 1, NULL, NULL, NULL,
                             err);
        if (rc == SL_OK)
            rc = sl__lg_exec(s, c, "DELETE FROM user_creds WHERE usr = $1", &p, 1, NULL, NULL,
                             NULL, err);
        if (rc == SL_OK)
            rc = sl__lg_exec(s, c, bump_sql, NULL, 0, NULL, NULL, NULL, err);
        if (rc == SL_OK)
            rc = s->ev->xcommit(c, err);
        else
            s->ev->xrollback(c);
    }
    s->ev->conn_put(c);
    return rc;
}

sl_code sl_store_user_failed(sl_store *s, sl_slice name, uint64_t now_ms, sl_err *err)
{
    sl_cell p[2] = {sl_cell_text(name), sl_cell_int((int64_t)now_ms)};
    return sl__lg_run(s,
                      "UPDATE users SET locked_until_ms = CASE WHEN failed + 1 < "
                      "failed_login_attempts THEN locked_until_ms WHEN password_lock_s < 0 THEN "
                      "9223372036854775807 ELSE $2 + password_lock_s * 1000 END, failed = CASE "
                      "WHEN failed + 1 < failed_login_attempts THEN failed + 1 ELSE 0 END WHERE "
                      "name = $1 AND failed_login_attempts > 0",
                      p, 2, NULL, NULL, NULL, err);
}

sl_code sl_store_user_set_hash(sl_store *s, sl_slice name, sl_slice hash, sl_slice old,
                               sl_slice native, bool *changed, sl_err *err)
{
    sl_cell p[3] = {sl_cell_text(name), sl_cell_text(hash), sl_cell_text(old)};
    sl_cell cred[3];
    cred_cells(cred, name, native, hash);
    int64_t n = 0;
    sl_code rc = change_cred(s,
                             old.p ? "UPDATE users SET hash = $2, version = version + 1 WHERE "
                                     "name = $1 AND hash = $3"
                                   : "UPDATE users SET hash = $2, version = version + 1 WHERE "
                                     "name = $1",
                             p, old.p ? 3 : 2, cred, &n, err);
    if (changed)
        *changed = n > 0;
    return rc;
}

sl_code sl_store_user_native(sl_store *s, sl_slice name, sl_slice native, sl_slice for_hash,
                             sl_err *err)
{
    /* The UPDATE touches nothing but tells whether the hash is still for_hash; change_cred
     * writes the credential only then. */
    sl_cell p[2] = {sl_cell_text(name), sl_cell_text(for_hash)};
    sl_cell cred[3];
    cred_cells(cred, name, native, for_hash);
    return change_cred(s, "UPDATE users SET hash = hash WHERE name = $1 AND hash = $2", p, 2,
                       cred, NULL, err);
}

sl_code sl_store_user_policy(sl_store *s, sl_slice name, uint32_t attempts, int64_t lock_s,
                             sl_err *err)
{
    sl_cell p[3] = {sl_cell_text(name), sl_cell_int(attempts), sl_cell_int(lock_s)};
    int64_t n = 0;
    sl_code rc = change(s,
                        "UPDATE users SET failed_login_attempts = $2, password_lock_s = $3 WHERE "
                        "name = $1",
                        p, 3, &n, err);
    if (rc == SL_OK && n == 0)
        rc = sl_fail(err, SL_NOT_FOUND, "no such user '%.*s'", (int)name.n, name.p);
    return rc;
}

sl_code sl_store_user_login(sl_store *s, sl_slice name, bool ok, uint64_t locked_until_ms,
                            sl_err *err)
{
    sl_cell p[2] = {sl_cell_text(name), sl_cell_int((int64_t)locked_until_ms)};
    /* Not a credential change: users_version stays, so verified credentials stay cached. */
    return sl__lg_run(s,
                      ok ? "UPDATE users SET failed = 0, locked_until_ms = 0 WHERE name = $1 AND "
                           "(failed <> 0 OR locked_until_ms <> $2)"
                         : "UPDATE users SET failed = failed + 1, locked_until_ms = $2 WHERE "
                           "name = $1",
                      p, 2, NULL, NULL, NULL, err);
}

typedef struct grants {
    sl_arena_t *a;
    sl_grant_rec *v;
    size_t n, cap;
} grants;

static sl_code grant_fn(void *arg, const sl_cell *row, size_t n)
{
    grants *L = arg;
    if (n < 3)
        return SL_INTERNAL;
    sl_grant_rec *v = sl_arena_grow(L->a, L->v, L->n, &L->cap, sizeof *v);
    if (v == NULL)
        return SL_NOMEM;
    L->v = v;
    sl_grant_rec *g = &L->v[L->n];
    g->user = sl_arena_slice(L->a, row[0].s);
    g->priv = sl_arena_slice(L->a, row[1].s);
    g->target = sl_arena_slice(L->a, row[2].s);
    if (!g->user.p || !g->priv.p || !g->target.p)
        return SL_NOMEM;
    L->n++;
    return SL_OK;
}

sl_code sl_store_grants(sl_store *s, sl_slice name, sl_arena_t *a, sl_grant_rec **out,
                        size_t *n, sl_err *err)
{
    grants L = {a, NULL, 0, 0};
    sl_cell p = sl_cell_text(name);
    sl_code rc = sl__lg_run(s,
                            "SELECT usr, priv, target FROM grants WHERE $1 = '' OR usr = $1 "
                            "ORDER BY usr, priv, target",
                            &p, 1, grant_fn, &L, NULL, err);
    *out = L.v, *n = L.n;
    return rc == SL_NOMEM ? sl_fail(err, SL_NOMEM, "out of memory") : rc;
}

sl_code sl_store_grant(sl_store *s, const sl_grant_rec *g, bool revoke, sl_err *err)
{
    sl_cell p[3] = {sl_cell_text(g->user), sl_cell_text(g->priv), sl_cell_text(g->target)};
    return change(s,
                  revoke ? "DELETE FROM grants WHERE usr = $1 AND priv = $2 AND target = $3"
                         : "INSERT INTO grants(usr, priv, target) VALUES($1, $2, $3) "
                           "ON CONFLICT DO NOTHING",
                  p, 3, NULL, err);
}

sl_code sl_store_users_version(sl_store *s, uint64_t *out, sl_err *err)
{
    int64_t v = 0;
    sl_code rc = sl__lg_run(s, "SELECT v FROM meta WHERE k = 'users_version'", NULL, 0,
                            sl__lg_int_fn, &v, NULL, err);
    *out = (uint64_t)v;
    return rc;
}
