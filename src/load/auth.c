/*
 * auth.c - users, salted password hashes and privileges (load stage: "auth" of the job).
 *
 * Users and grants live in the store (store.h sl_store_user_*), so every node sharing one
 * engine sees the same users, and `sluice user` can change them while the server runs.
 * Passwords are stored as self-describing hash strings:
 *   $pbkdf2-sha256-hexsalt$i=<rounds>$<salt as hex text>$<hash hex>
 * (PBKDF2-HMAC-SHA256 with the hex text of a random 16-byte salt as the salt bytes; the form
 * users.db always had). Privileges: ADMIN (everything) and LOAD on "*", "db" or "db.table".
 * A fresh store gets user root with an empty password and ADMIN, as Doris ships.
 */
#include "../core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "../core/mem.h"
#include "../store/store.h"
#include "auth.h"

#define ROUNDS 1000

struct sl_auth {
    sl_store *store;
};

static void to_hex(const unsigned char *p, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[p[i] >> 4];
        out[2 * i + 1] = hx[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static bool hash_pw(sl_slice pw, const char *salt_hex, int rounds, char out[65])
{
    unsigned char dk[32];
    if (PKCS5_PBKDF2_HMAC(pw.p ? pw.p : "", (int)pw.n, (const unsigned char *)salt_hex,
                          (int)strlen(salt_hex), rounds, EVP_sha256(), sizeof dk, dk) != 1)
        return false;
    to_hex(dk, sizeof dk, out);
    return true;
}

#define PREFIX "$pbkdf2-sha256-hexsalt$i="

/* A new hash string for pw into out (cap >= 160). */
static sl_code make_hash(sl_slice pw, char *out, size_t cap, sl_err *err)
{
    unsigned char salt[16];
    char salt_hex[33], hash[65];
    if (RAND_bytes(salt, sizeof salt) != 1)
        return sl_fail(err, SL_INTERNAL, "no randomness for the salt");
    to_hex(salt, sizeof salt, salt_hex);
    if (!hash_pw(pw, salt_hex, ROUNDS, hash))
        return sl_fail(err, SL_INTERNAL, "cannot hash the password");
    snprintf(out, cap, PREFIX "%d$%s$%s", ROUNDS, salt_hex, hash);
    return SL_OK;
}

/* Does pw match the stored hash string? */
static bool verify(sl_slice pw, sl_slice stored)
{
    char buf[256];
    if (stored.n >= sizeof buf || stored.n < sizeof PREFIX - 1 ||
        memcmp(stored.p, PREFIX, sizeof PREFIX - 1) != 0)
        return false;
    memcpy(buf, stored.p, stored.n);
    buf[stored.n] = '\0';
    char *rounds = buf + sizeof PREFIX - 1, *salt = strchr(rounds, '$');
    char *want = salt ? strchr(salt + 1, '$') : NULL;
    if (want == NULL)
        return false;
    *salt++ = '\0';
    *want++ = '\0';
    int n = atoi(rounds);
    char h[65];
    return n > 0 && strlen(want) == 64 && hash_pw(pw, salt, n, h) &&
           CRYPTO_memcmp(h, want, 64) == 0;
}

sl_code sl_auth_open(sl_store *store, sl_auth **out, sl_err *err)
{
    sl_auth *a = sl_calloc(sizeof *a);
    if (a == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    a->store = store;
    sl_arena_t ar;
    sl_arena_init(&ar, 1024);
    sl_user_rec *users;
    size_t n = 0;
    sl_code rc = sl_store_users(store, &ar, &users, &n, err);
    if (rc == SL_OK && n == 0)
        rc = sl_auth_add(a, SL_LIT("root"), SL_LIT(""), true, err);
    if (rc == SL_CONFLICT) /* another node created it meanwhile */
        rc = SL_OK, sl_err_clear(err);
    sl_arena_free(&ar);
    if (rc != SL_OK) {
        sl_free(a);
        return rc;
    }
    *out = a;
    return SL_OK;
}

void sl_auth_close(sl_auth *a)
{
    sl_free(a);
}

sl_code sl_auth_check(const sl_auth *a, sl_slice user, sl_slice pw, bool *admin, sl_err *err)
{
    sl_arena_t ar;
    sl_arena_init(&ar, 512);
    sl_user_rec u;
    sl_err e = {0};
    sl_code rc = sl_store_user_get(a->store, user, &ar, &u, &e);
    if (rc == SL_OK && verify(pw, u.hash)) {
        if (admin)
            *admin = u.admin;
    } else if (rc == SL_OK || SL_PRIMARY(rc) == SL_NOT_FOUND) {
        rc = sl_fail(err, SL_UNAUTHORIZED, "Access denied for user '%.*s' (using password: %s)",
                     (int)user.n, user.p ? user.p : "", pw.n ? "YES" : "NO");
    } else {
        rc = sl_fail(err, rc, "%s", e.msg);
    }
    sl_arena_free(&ar);
    return rc;
}

sl_code sl_auth_allowed(const sl_auth *a, sl_slice user, const char *priv, sl_slice db_name,
                        sl_slice table, sl_err *err)
{
    char t1[512], t2[512];
    snprintf(t1, sizeof t1, "%.*s", (int)db_name.n, db_name.p ? db_name.p : "");
    snprintf(t2, sizeof t2, "%.*s.%.*s", (int)db_name.n, db_name.p ? db_name.p : "", (int)table.n,
             table.p ? table.p : "");
    sl_arena_t ar;
    sl_arena_init(&ar, 1024);
    sl_user_rec u;
    sl_grant_rec *g = NULL;
    size_t n = 0;
    sl_err e = {0};
    bool ok = false;
    if (sl_store_user_get(a->store, user, &ar, &u, &e) == SL_OK) {
        ok = u.admin;
        if (!ok && sl_store_grants(a->store, user, &ar, &g, &n, &e) == SL_OK)
            for (size_t i = 0; i < n && !ok; i++)
                ok = (sl_slice_eq(g[i].priv, priv) || sl_slice_eq(g[i].priv, "ADMIN")) &&
                     (sl_slice_eq(g[i].target, "*") || sl_slice_eq(g[i].target, t1) ||
                      sl_slice_eq(g[i].target, t2));
    }
    sl_arena_free(&ar);
    if (!ok)
        return sl_fail(err, SL_FORBIDDEN,
                       "Access denied; you need (at least one of) the (%s) privilege(s) for this "
                       "operation",
                       priv);
    return SL_OK;
}

sl_code sl_auth_add(const sl_auth *a, sl_slice user, sl_slice pw, bool admin, sl_err *err)
{
    char hash[256];
    sl_code rc = make_hash(pw, hash, sizeof hash, err);
    if (rc != SL_OK)
        return rc;
    sl_user_rec u = {.name = user, .hash = sl_slice_of(hash), .admin = admin};
    return sl_store_user_put(a->store, &u, true, err);
}

sl_code sl_auth_passwd(const sl_auth *a, sl_slice user, sl_slice pw, sl_err *err)
{
    sl_arena_t ar;
    sl_arena_init(&ar, 512);
    sl_user_rec u;
    char hash[256];
    sl_code rc = sl_store_user_get(a->store, user, &ar, &u, err);
    if (rc == SL_OK && (rc = make_hash(pw, hash, sizeof hash, err)) == SL_OK) {
        u.hash = sl_slice_of(hash);
        rc = sl_store_user_put(a->store, &u, false, err);
    }
    sl_arena_free(&ar);
    return rc;
}

sl_code sl_auth_grant(const sl_auth *a, sl_slice user, const char *priv, const char *target,
                      sl_err *err)
{
    if (strcmp(priv, "LOAD") != 0 && strcmp(priv, "ADMIN") != 0)
        return sl_fail(err, SL_INVALID, "unknown privilege %s (LOAD or ADMIN)", priv);
    sl_arena_t ar;
    sl_arena_init(&ar, 512);
    sl_user_rec u;
    sl_code rc = sl_store_user_get(a->store, user, &ar, &u, err);
    sl_arena_free(&ar);
    if (rc != SL_OK)
        return SL_PRIMARY(rc) == SL_NOT_FOUND
                   ? (sl_err_clear(err), sl_fail(err, SL_NOT_FOUND, "no such user '%.*s'",
                                                 (int)user.n, user.p))
                   : rc;
    sl_grant_rec g = {user, sl_slice_of(priv), sl_slice_of(target)};
    return sl_store_grant(a->store, &g, false, err);
}
