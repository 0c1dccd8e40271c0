/*
 * auth.c - users, salted password hashes and privileges (load stage: "auth" of the job).
 *
 * Users live in <data-dir>/users.db (SQLite), so `sluice user ...` can change them while the
 * server runs. Passwords are stored as PBKDF2-HMAC-SHA256 (a random 16-byte salt, 1000
 * rounds: about 0.3 ms per check here, cheap enough to verify on every request without a
 * cache). Privileges: ADMIN (everything) and LOAD on "*", "db" or "db.table".
 * A fresh data directory gets user root with an empty password and ADMIN, as Doris ships.
 */
#include "../core/platform.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "../core/mem.h"
#include "auth.h"

#define ROUNDS 1000

struct sl_auth {
    char path[4096];
};

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE IF NOT EXISTS users(name TEXT PRIMARY KEY, salt TEXT NOT NULL, hash TEXT NOT "
    "NULL, admin INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS grants(user TEXT NOT NULL, priv TEXT NOT NULL, target TEXT NOT "
    "NULL, UNIQUE(user, priv, target));";

static sl_code open_db(const sl_auth *a, sqlite3 **db, sl_err *err)
{
    if (sqlite3_open_v2(a->path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        sl_fail(err, SL_BACKEND, "cannot open %s: %s", a->path, sqlite3_errmsg(*db));
        sqlite3_close(*db);
        return SL_BACKEND;
    }
    sqlite3_busy_timeout(*db, 5000);
    return SL_OK;
}

static void to_hex(const unsigned char *p, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[p[i] >> 4];
        out[2 * i + 1] = hx[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static bool hash_pw(sl_slice pw, const char *salt_hex, char out[65])
{
    unsigned char dk[32];
    if (PKCS5_PBKDF2_HMAC(pw.p ? pw.p : "", (int)pw.n, (const unsigned char *)salt_hex,
                          (int)strlen(salt_hex), ROUNDS, EVP_sha256(), sizeof dk, dk) != 1)
        return false;
    to_hex(dk, sizeof dk, out);
    return true;
}

static sl_code set_password(sqlite3 *db, sl_slice user, sl_slice pw, bool insert, bool admin,
                            sl_err *err)
{
    unsigned char salt[16];
    char salt_hex[33], hash[65];
    if (RAND_bytes(salt, sizeof salt) != 1)
        return sl_fail(err, SL_INTERNAL, "no randomness for the salt");
    to_hex(salt, sizeof salt, salt_hex);
    if (!hash_pw(pw, salt_hex, hash))
        return sl_fail(err, SL_INTERNAL, "cannot hash the password");
    const char *sql = insert ? "INSERT INTO users(salt, hash, admin, name) VALUES(?,?,?,?)"
                             : "UPDATE users SET salt=?, hash=? WHERE ?>=0 AND name=?";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return sl_fail(err, SL_BACKEND, "users: %s", sqlite3_errmsg(db));
    sqlite3_bind_text(st, 1, salt_hex, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, admin ? 1 : 0);
    sqlite3_bind_text(st, 4, user.p, (int)user.n, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_CONSTRAINT)
        return sl_fail(err, SL_CONFLICT, "user '%.*s' already exists", (int)user.n, user.p);
    if (rc != SQLITE_DONE)
        return sl_fail(err, SL_BACKEND, "users: %s", sqlite3_errmsg(db));
    if (!insert && sqlite3_changes(db) == 0)
        return sl_fail(err, SL_NOT_FOUND, "no such user '%.*s'", (int)user.n, user.p);
    return SL_OK;
}

sl_code sl_auth_open(const char *data_dir, sl_auth **out, sl_err *err)
{
    sl_auth *a = sl_calloc(sizeof *a);
    if (a == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    snprintf(a->path, sizeof a->path, "%s/users.db", data_dir);
    sqlite3 *db;
    sl_code rc = open_db(a, &db, err);
    if (rc != SL_OK) {
        sl_free(a);
        return rc;
    }
    char *msg = NULL;
    if (sqlite3_exec(db, schema, NULL, NULL, &msg) != SQLITE_OK) {
        rc = sl_fail(err, SL_BACKEND, "users: %s", msg ? msg : "error");
        sqlite3_free(msg);
    } else {
        sqlite3_stmt *st;
        bool empty = true;
        if (sqlite3_prepare_v2(db, "SELECT 1 FROM users LIMIT 1", -1, &st, NULL) == SQLITE_OK) {
            empty = sqlite3_step(st) != SQLITE_ROW;
            sqlite3_finalize(st);
        }
        if (empty)
            rc = set_password(db, SL_LIT("root"), SL_LIT(""), true, true, err);
    }
    sqlite3_close(db);
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
    sqlite3 *db;
    sl_code rc = open_db(a, &db, err);
    if (rc != SL_OK)
        return rc;
    sqlite3_stmt *st;
    rc = SL_UNAUTHORIZED;
    if (sqlite3_prepare_v2(db, "SELECT salt, hash, admin FROM users WHERE name=?", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_text(st, 1, user.p ? user.p : "", (int)user.n, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            char h[65];
            const char *salt = (const char *)sqlite3_column_text(st, 0);
            const char *want = (const char *)sqlite3_column_text(st, 1);
            if (hash_pw(pw, salt, h) && strlen(want) == 64 && CRYPTO_memcmp(h, want, 64) == 0) {
                rc = SL_OK;
                if (admin)
                    *admin = sqlite3_column_int(st, 2) != 0;
            }
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    if (rc != SL_OK)
        sl_fail(err, SL_UNAUTHORIZED, "Access denied for user '%.*s' (using password: %s)",
                (int)user.n, user.p ? user.p : "", pw.n ? "YES" : "NO");
    return rc;
}

sl_code sl_auth_allowed(const sl_auth *a, sl_slice user, const char *priv, sl_slice db_name,
                        sl_slice table, sl_err *err)
{
    sqlite3 *db;
    sl_code rc = open_db(a, &db, err);
    if (rc != SL_OK)
        return rc;
    char t1[512], t2[512];
    snprintf(t1, sizeof t1, "%.*s", (int)db_name.n, db_name.p ? db_name.p : "");
    snprintf(t2, sizeof t2, "%.*s.%.*s", (int)db_name.n, db_name.p ? db_name.p : "", (int)table.n,
             table.p ? table.p : "");
    sqlite3_stmt *st;
    bool ok = false;
    if (sqlite3_prepare_v2(db,
                           "SELECT 1 FROM users WHERE name=?1 AND admin=1 UNION ALL SELECT 1 FROM "
                           "grants WHERE user=?1 AND (priv=?2 OR priv='ADMIN') AND target IN "
                           "('*', ?3, ?4)",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, user.p ? user.p : "", (int)user.n, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, priv, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, t1, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, t2, -1, SQLITE_STATIC);
        ok = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    if (!ok)
        return sl_fail(err, SL_FORBIDDEN,
                       "Access denied; you need (at least one of) the (%s) privilege(s) for this "
                       "operation",
                       priv);
    return SL_OK;
}

sl_code sl_auth_add(const sl_auth *a, sl_slice user, sl_slice pw, bool admin, sl_err *err)
{
    sqlite3 *db;
    sl_code rc = open_db(a, &db, err);
    if (rc == SL_OK) {
        rc = set_password(db, user, pw, true, admin, err);
        sqlite3_close(db);
    }
    return rc;
}

sl_code sl_auth_passwd(const sl_auth *a, sl_slice user, sl_slice pw, sl_err *err)
{
    sqlite3 *db;
    sl_code rc = open_db(a, &db, err);
    if (rc == SL_OK) {
        rc = set_password(db, user, pw, false, false, err);
        sqlite3_close(db);
    }
    return rc;
}

sl_code sl_auth_grant(const sl_auth *a, sl_slice user, const char *priv, const char *target,
                      sl_err *err)
{
    if (strcmp(priv, "LOAD") != 0 && strcmp(priv, "ADMIN") != 0)
        return sl_fail(err, SL_INVALID, "unknown privilege %s (LOAD or ADMIN)", priv);
    sqlite3 *db;
    sl_code rc = open_db(a, &db, err);
    if (rc != SL_OK)
        return rc;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "INSERT OR IGNORE INTO grants(user, priv, target) SELECT name, ?2, ?3 "
                           "FROM users WHERE name=?1",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = sl_fail(err, SL_BACKEND, "users: %s", sqlite3_errmsg(db));
    } else {
        sqlite3_bind_text(st, 1, user.p, (int)user.n, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, priv, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, target, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = sl_fail(err, SL_BACKEND, "users: %s", sqlite3_errmsg(db));
        else if (sqlite3_changes(db) == 0) {
            /* Either no such user, or the grant existed already. */
            sqlite3_stmt *q;
            if (sqlite3_prepare_v2(db, "SELECT 1 FROM users WHERE name=?", -1, &q, NULL) ==
                SQLITE_OK) {
                sqlite3_bind_text(q, 1, user.p, (int)user.n, SQLITE_STATIC);
                if (sqlite3_step(q) != SQLITE_ROW)
                    rc = sl_fail(err, SL_NOT_FOUND, "no such user '%.*s'", (int)user.n, user.p);
                sqlite3_finalize(q);
            }
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return rc;
}
