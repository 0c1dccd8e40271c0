/*
 * auth.c - users, password hashes, the cache of verified credentials and the login throttle
 * (load stage: who is asking). priv.c decides what an identity may do; docs/SECURITY.md
 * describes both.
 *
 *   sl_auth_login: users.db row -> account locked? -> cache hit? -> user or address throttled?
 *                  -> slow hash -> (upgrade an old hash) -> cache
 *
 * Hashes are stored self-describing, "$pbkdf2-sha256$i=600000$<salt hex>$<hash hex>":
 * PBKDF2-HMAC-SHA256 at OWASP's count (600,000 rounds, about 0.15 s here) over a random 16-byte
 * salt. OpenSSL 3.0 (Debian 12) has no Argon2, and scrypt at OWASP's cost needs 64-128 MiB per
 * concurrent check, which eight workers under a password-guessing flood would multiply. The
 * hashes of sluice <= 0.x (1,000 rounds; the salt column as hex text) still verify and are
 * rewritten in the current form at the next successful login. An empty password is stored as
 * "$empty$": anyone can guess it at once, so hashing it would hide nothing and only cost time.
 *
 * A slow hash on every request would cost 0.15 s per HTTP request, so verified credentials are
 * cached in memory: the key is HMAC-SHA256(process-random key, user, password), the value a
 * digest of the stored hash they matched. A cache hit needs the same stored hash, so a changed
 * password (by this process or by `sluice user` on the same users.db) misses at once.
 *
 * Failed logins are counted per user and per client address in memory; past a few failures
 * each further attempt of that user or from that address within the window is refused at once
 * (without hashing, so a flood costs no CPU) for an exponentially growing time. Credentials in
 * the cache still pass: a flood against an account does not lock out its running clients.
 * Doris's FAILED_LOGIN_ATTEMPTS / PASSWORD_LOCK_TIME are user properties kept in users.db.
 *
 * Storage is SQLite <data-dir>/users.db (WAL), opened per call so that `sluice user ...` can
 * change it while the server runs. Only the functions of the "users.db" section touch it.
 */
#include "../core/platform.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "../core/mem.h"
#include "auth.h"

#define PBKDF2_ROUNDS 600000u     /* OWASP Password Storage Cheat Sheet (2023), PBKDF2-SHA256 */
#define LEGACY_ROUNDS 1000u       /* users.db written before the self-describing format */
#define MAX_ROUNDS 10000000u      /* refuse to spend more than ~2.5 s on one stored hash */
#define HASH_MAX 200              /* the longest stored form we write or accept */
#define CACHE_SLOTS 1024          /* distinct (user, password) pairs kept; direct-mapped */
#define CACHE_TTL_MS (15 * 60 * 1000ull)
#define THR_SLOTS 4096            /* users and addresses with recent failures */
#define THR_WINDOW_MS (15 * 60 * 1000ull) /* failures older than this are forgotten */
#define THR_MAX_MS (5 * 60 * 1000ull)     /* the longest throttle delay */
#define USER_FREE 5               /* failures of one user before the throttle starts */
#define ADDR_FREE 20              /* failures from one address before the throttle starts */
#define DEFAULT_LOCK_S 86400      /* PASSWORD_LOCK_TIME when only FAILED_LOGIN_ATTEMPTS is set */

typedef struct cache_ent {
    unsigned char key[32];        /* HMAC(user, password) */
    unsigned char utag[16];       /* HMAC(user): drops a user's entries */
    unsigned char stored[32];     /* SHA-256 of the stored hash they matched */
    uint64_t expires_ms;          /* 0: empty slot */
} cache_ent;

typedef struct thr_ent {
    unsigned char key[16];        /* HMAC("u" user) or HMAC("a" address) */
    uint32_t fails;               /* failures within the window */
    uint64_t last_ms;             /* last failure; 0: empty slot */
    uint64_t until_ms;            /* refused until then */
} thr_ent;

struct sl_auth {
    char path[4096];
    pthread_mutex_t mu;           /* guards cache and thr */
    EVP_MAC *hmac;
    unsigned char key[32];        /* per process, from RAND_bytes */
    cache_ent cache[CACHE_SLOTS];
    thr_ent thr[THR_SLOTS];
};

typedef struct user_row {
    bool found, admin;
    char salt[80];                /* legacy hashes only */
    char hash[HASH_MAX + 1];
    int32_t fail_limit;           /* FAILED_LOGIN_ATTEMPTS */
    int64_t lock_s;               /* PASSWORD_LOCK_TIME (-1 unbounded) */
    int64_t fails;                /* consecutive failures (policy) */
    int64_t locked_until_ms;      /* wall clock */
} user_row;

/* Test knobs (tests/unit/load/test_auth.c includes this file): rounds and the clock. */
static uint32_t pbkdf2_rounds = PBKDF2_ROUNDS;

static uint64_t real_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
static uint64_t (*now_ms)(void) = real_now_ms;

/* ---- users.db -------------------------------------------------------------------------------- */

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE IF NOT EXISTS users(name TEXT PRIMARY KEY, salt TEXT NOT NULL, hash TEXT NOT "
    "NULL, admin INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS grants(user TEXT NOT NULL, priv TEXT NOT NULL, target TEXT NOT "
    "NULL, UNIQUE(user, priv, target));";

/* Columns added after the first release (an older users.db gets them on open). */
static const char *const policy_cols[] = {
    "fail_limit INTEGER NOT NULL DEFAULT 0", "lock_s INTEGER NOT NULL DEFAULT 86400",
    "fails INTEGER NOT NULL DEFAULT 0", "locked_until INTEGER NOT NULL DEFAULT 0"};

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

/* Run one statement with ?1 = user and optional integers ?2, ?3 (ignored when the statement has
 * no such parameter). *changes (may be NULL) receives the rows changed. */
static sl_code user_exec(const sl_auth *a, const char *sql, sl_slice user, int64_t x, int64_t y,
                         int *changes, sl_err *err)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    sl_code rc = open_db(a, &db, err);
    if (rc != SL_OK)
        return rc;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = sl_fail(err, SL_BACKEND, "users: %s", sqlite3_errmsg(db));
    } else {
        sqlite3_bind_text(st, 1, user.p ? user.p : "", (int)user.n, SQLITE_STATIC);
        if (sqlite3_bind_parameter_count(st) >= 2)
            sqlite3_bind_int64(st, 2, x);
        if (sqlite3_bind_parameter_count(st) >= 3)
            sqlite3_bind_int64(st, 3, y);
        int s = sqlite3_step(st);
        if (s == SQLITE_CONSTRAINT)
            rc = sl_fail(err, SL_CONFLICT, "user '%.*s' already exists", (int)user.n, user.p);
        else if (s != SQLITE_DONE && s != SQLITE_ROW)
            rc = sl_fail(err, SL_BACKEND, "users: %s", sqlite3_errmsg(db));
        if (changes)
            *changes = rc == SL_OK && s == SQLITE_DONE ? sqlite3_changes(db) : 0;
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return rc;
}

/* The user's row; row->found false when there is none. */
static sl_code user_get(const sl_auth *a, sl_slice user, user_row *row, sl_err *err)
{
    memset(row, 0, sizeof *row);
    sqlite3 *db;
    sqlite3_stmt *st;
    sl_code rc = open_db(a, &db, err);
    if (rc != SL_OK)
        return rc;
    if (sqlite3_prepare_v2(db,
                           "SELECT salt, hash, admin OR EXISTS(SELECT 1 FROM grants WHERE "
                           "user=?1 AND priv='ADMIN' AND target='*'), fail_limit, lock_s, fails, "
                           "locked_until FROM users WHERE name=?1",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = sl_fail(err, SL_BACKEND, "users: %s", sqlite3_errmsg(db));
    } else {
        sqlite3_bind_text(st, 1, user.p ? user.p : "", (int)user.n, SQLITE_STATIC);
        int s = sqlite3_step(st);
        if (s == SQLITE_ROW) {
            row->found = true;
            snprintf(row->salt, sizeof row->salt, "%s", sqlite3_column_text(st, 0));
            snprintf(row->hash, sizeof row->hash, "%s", sqlite3_column_text(st, 1));
            row->admin = sqlite3_column_int(st, 2) != 0;
            row->fail_limit = sqlite3_column_int(st, 3);
            row->lock_s = sqlite3_column_int64(st, 4);
            row->fails = sqlite3_column_int64(st, 5);
            row->locked_until_ms = sqlite3_column_int64(st, 6);
        } else if (s != SQLITE_DONE) {
            rc = sl_fail(err, SL_BACKEND, "users: %s", sqlite3_errmsg(db));
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return rc;
}

/* Store a hash: a new user (insert), a new password, or - when old is not NULL - an upgrade
 * that only applies while the stored hash is still old (a concurrent passwd wins). */
static sl_code user_put_hash(const sl_auth *a, sl_slice user, const char *hash, const char *old,
                             bool insert, bool admin, sl_err *err)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    sl_code rc = open_db(a, &db, err);
    if (rc != SL_OK)
        return rc;
    const char *sql = insert  ? "INSERT INTO users(name, salt, hash, admin) VALUES(?1,'',?2,?3)"
                      : old   ? "UPDATE users SET salt='', hash=?2 WHERE name=?1 AND hash=?3"
                              : "UPDATE users SET salt='', hash=?2 WHERE name=?1";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = sl_fail(err, SL_BACKEND, "users: %s", sqlite3_errmsg(db));
    } else {
        sqlite3_bind_text(st, 1, user.p ? user.p : "", (int)user.n, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
        if (insert)
            sqlite3_bind_int(st, 3, admin ? 1 : 0);
        else if (old)
            sqlite3_bind_text(st, 3, old, -1, SQLITE_STATIC);
        int s = sqlite3_step(st);
        if (s == SQLITE_CONSTRAINT)
            rc = sl_fail(err, SL_CONFLICT, "user '%.*s' already exists", (int)user.n, user.p);
        else if (s != SQLITE_DONE)
            rc = sl_fail(err, SL_BACKEND, "users: %s", sqlite3_errmsg(db));
        else if (!insert && !old && sqlite3_changes(db) == 0)
            rc = sl_fail(err, SL_NOT_FOUND, "no such user '%.*s'", (int)user.n, user.p);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return rc;
}

/* Add (grant) or remove a grants row. */
static sl_code grant_put(const sl_auth *a, sl_slice user, const char *priv, const char *target,
                         bool grant, sl_err *err)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    sl_code rc = open_db(a, &db, err);
    if (rc != SL_OK)
        return rc;
    const char *sql = grant ? "INSERT OR IGNORE INTO grants(user, priv, target) VALUES(?1,?2,?3)"
                            : "DELETE FROM grants WHERE user=?1 AND priv=?2 AND target=?3";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = sl_fail(err, SL_BACKEND, "users: %s", sqlite3_errmsg(db));
    } else {
        sqlite3_bind_text(st, 1, user.p, (int)user.n, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, priv, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, target, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = sl_fail(err, SL_BACKEND, "users: %s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return rc;
}

/* Names that could be read as another grant target ("a.b" as database a, table b). */
static bool odd_name(sl_slice s)
{
    return memchr(s.p ? s.p : "", '.', s.n) || memchr(s.p ? s.p : "", '*', s.n);
}

sl_code sl__auth_granted(sl_auth *a, sl_slice user, const char *const *privs, size_t n,
                         sl_slice db_name, sl_slice table, bool any_table, bool *yes,
                         sl_err *err)
{
    *yes = false;
    sqlite3 *db;
    sqlite3_stmt *st;
    sl_code rc = open_db(a, &db, err);
    if (rc != SL_OK)
        return rc;
    /* ?2..?4: privileges (NULL matches nothing), ?8 = 1: any privilege; ?5 db, ?6 db.table
     * (NULL: database level), ?7 "db." prefix of any table's target (NULL unless any_table).
     * Odd names bind none of them: only grants on everything apply. */
    if (sqlite3_prepare_v2(db,
                           "SELECT 1 FROM users WHERE name=?1 AND admin=1 UNION ALL SELECT 1 FROM "
                           "grants WHERE user=?1 AND (?8 = 1 OR priv IN ('ADMIN', ?2, ?3, ?4)) AND "
                           "(target IN ('*', ?5, ?6) OR substr(target, 1, length(?7)) = ?7) "
                           "LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = sl_fail(err, SL_BACKEND, "users: %s", sqlite3_errmsg(db));
    } else {
        char t2[600];
        snprintf(t2, sizeof t2, "%.*s.%.*s", (int)db_name.n, db_name.p ? db_name.p : "",
                 (int)table.n, table.p ? table.p : "");
        bool odd = odd_name(db_name) || odd_name(table) || db_name.n == 0;
        sqlite3_bind_text(st, 1, user.p ? user.p : "", (int)user.n, SQLITE_STATIC);
        for (size_t i = 0; privs && i < n && i < 3; i++)
            sqlite3_bind_text(st, (int)i + 2, privs[i], -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 8, privs == NULL);
        if (!odd)
            sqlite3_bind_text(st, 5, db_name.p, (int)db_name.n, SQLITE_STATIC);
        if (!odd && table.n)
            sqlite3_bind_text(st, 6, t2, -1, SQLITE_TRANSIENT);
        if (!odd && any_table)
            sqlite3_bind_text(st, 7, t2, (int)db_name.n + 1, SQLITE_TRANSIENT);
        int s = sqlite3_step(st);
        *yes = s == SQLITE_ROW;
        if (s != SQLITE_ROW && s != SQLITE_DONE)
            rc = sl_fail(err, SL_BACKEND, "users: %s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return rc;
}

/* Create the tables, add the policy columns to an older file, seed root. */
static sl_code init_db(sl_auth *a, sl_err *err)
{
    sqlite3 *db;
    sl_code rc = open_db(a, &db, err);
    if (rc != SL_OK)
        return rc;
    char *msg = NULL;
    if (sqlite3_exec(db, schema, NULL, NULL, &msg) != SQLITE_OK)
        rc = sl_fail(err, SL_BACKEND, "users: %s", msg ? msg : "error");
    sqlite3_free(msg);
    for (size_t i = 0; rc == SL_OK && i < SL_COUNT(policy_cols); i++) {
        char sql[160];
        snprintf(sql, sizeof sql, "ALTER TABLE users ADD COLUMN %s", policy_cols[i]);
        msg = NULL;
        if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK &&
            (msg == NULL || strstr(msg, "duplicate column") == NULL))
            rc = sl_fail(err, SL_BACKEND, "users: %s", msg ? msg : "error");
        sqlite3_free(msg);
    }
    sqlite3_stmt *st;
    bool empty = false;
    if (rc == SL_OK &&
        sqlite3_prepare_v2(db, "SELECT 1 FROM users LIMIT 1", -1, &st, NULL) == SQLITE_OK) {
        empty = sqlite3_step(st) != SQLITE_ROW;
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    if (rc == SL_OK && empty)
        rc = user_put_hash(a, SL_LIT("root"), "$empty$", NULL, true, true, err);
    return rc;
}

/* ---- hashes ---------------------------------------------------------------------------------- */

static void to_hex(const unsigned char *p, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[p[i] >> 4];
        out[2 * i + 1] = hx[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode exactly n bytes of lower-case hex from s (which must end there or at '$'). */
static bool from_hex(const char *s, size_t len, unsigned char *out, size_t n)
{
    if (len != 2 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}

static bool pbkdf2(sl_slice pw, const unsigned char *salt, size_t salt_n, uint32_t rounds,
                   unsigned char dk[32])
{
    return PKCS5_PBKDF2_HMAC(pw.p ? pw.p : "", (int)pw.n, salt, (int)salt_n, (int)rounds,
                             EVP_sha256(), 32, dk) == 1;
}

/* The stored form of pw (see the file comment) into out. */
static sl_code make_hash(sl_slice pw, char out[HASH_MAX + 1], sl_err *err)
{
    if (pw.n == 0) {
        snprintf(out, HASH_MAX + 1, "$empty$");
        return SL_OK;
    }
    unsigned char salt[16], dk[32];
    char salt_hex[33], dk_hex[65];
    if (RAND_bytes(salt, sizeof salt) != 1)
        return sl_fail(err, SL_INTERNAL, "no randomness for the salt");
    if (!pbkdf2(pw, salt, sizeof salt, pbkdf2_rounds, dk))
        return sl_fail(err, SL_INTERNAL, "cannot hash the password");
    to_hex(salt, sizeof salt, salt_hex);
    to_hex(dk, sizeof dk, dk_hex);
    snprintf(out, HASH_MAX + 1, "$pbkdf2-sha256$i=%u$%s$%s", pbkdf2_rounds, salt_hex, dk_hex);
    return SL_OK;
}

/* Does pw match the stored hash? *stale: it did, but the hash should be rewritten (an older
 * format or fewer rounds than today's). Unknown or malformed forms never match. */
static bool verify(const char *salt_col, const char *hash, sl_slice pw, bool *stale)
{
    unsigned char want[32], got[32], salt[64];
    *stale = false;
    if (strcmp(hash, "$empty$") == 0)
        return pw.n == 0;
    static const char pre[] = "$pbkdf2-sha256$i=";
    if (strncmp(hash, pre, sizeof pre - 1) != 0) { /* legacy: 1000 rounds, hex text as salt */
        *stale = true;
        return from_hex(hash, strlen(hash), want, 32) &&
               pbkdf2(pw, (const unsigned char *)salt_col, strlen(salt_col), LEGACY_ROUNDS, got) &&
               CRYPTO_memcmp(got, want, 32) == 0;
    }
    char *end;
    unsigned long rounds = strtoul(hash + sizeof pre - 1, &end, 10);
    const char *s = end + 1, *d = *end == '$' ? strchr(s, '$') : NULL;
    size_t salt_n = d ? (size_t)(d - s) / 2 : 0;
    if (d == NULL || rounds < 1 || rounds > MAX_ROUNDS || salt_n < 8 || salt_n > sizeof salt ||
        !from_hex(s, (size_t)(d - s), salt, salt_n) || !from_hex(d + 1, strlen(d + 1), want, 32))
        return false;
    *stale = rounds < pbkdf2_rounds;
    return pbkdf2(pw, salt, salt_n, (uint32_t)rounds, got) && CRYPTO_memcmp(got, want, 32) == 0;
}

/* ---- cache and throttle (under a->mu) ------------------------------------------------------- */

/* HMAC-SHA256(a->key, tag || len(x) || x || y) truncated to n bytes. */
static bool mac(const sl_auth *a, char tag, sl_slice x, sl_slice y, unsigned char *out, size_t n)
{
    unsigned char full[32], len[4] = {(unsigned char)(x.n >> 24), (unsigned char)(x.n >> 16),
                                      (unsigned char)(x.n >> 8), (unsigned char)x.n};
    size_t got = 0;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
                           OSSL_PARAM_construct_end()};
    EVP_MAC_CTX *c = EVP_MAC_CTX_new(a->hmac);
    bool ok = c && EVP_MAC_init(c, a->key, sizeof a->key, params) == 1 &&
              EVP_MAC_update(c, (const unsigned char *)&tag, 1) == 1 &&
              EVP_MAC_update(c, len, 4) == 1 &&
              EVP_MAC_update(c, (const unsigned char *)(x.p ? x.p : ""), x.n) == 1 &&
              EVP_MAC_update(c, (const unsigned char *)(y.p ? y.p : ""), y.n) == 1 &&
              EVP_MAC_final(c, full, &got, sizeof full) == 1 && got == sizeof full;
    EVP_MAC_CTX_free(c);
    if (ok)
        memcpy(out, full, n);
    return ok;
}

static void stored_digest(const user_row *row, unsigned char out[32])
{
    char both[sizeof row->salt + sizeof row->hash + 1];
    int n = snprintf(both, sizeof both, "%s$%s", row->salt, row->hash);
    EVP_Digest(both, (size_t)n, out, NULL, EVP_sha256(), NULL);
}

static cache_ent *cache_slot(sl_auth *a, const unsigned char key[32])
{
    return &a->cache[((size_t)key[0] << 8 | key[1]) % CACHE_SLOTS];
}

static bool cache_hit(sl_auth *a, const unsigned char key[32], const unsigned char stored[32])
{
    pthread_mutex_lock(&a->mu);
    const cache_ent *e = cache_slot(a, key);
    bool hit = e->expires_ms > now_ms() && CRYPTO_memcmp(e->key, key, 32) == 0 &&
               CRYPTO_memcmp(e->stored, stored, 32) == 0;
    pthread_mutex_unlock(&a->mu);
    return hit;
}

static void cache_put(sl_auth *a, const unsigned char key[32], const unsigned char utag[16],
                      const unsigned char stored[32])
{
    pthread_mutex_lock(&a->mu);
    cache_ent *e = cache_slot(a, key);
    memcpy(e->key, key, 32);
    memcpy(e->utag, utag, 16);
    memcpy(e->stored, stored, 32);
    e->expires_ms = now_ms() + CACHE_TTL_MS;
    pthread_mutex_unlock(&a->mu);
}

/* Drop every cached credential of a user (password changed here, or the user locked). */
static void cache_forget(sl_auth *a, sl_slice user)
{
    unsigned char utag[16];
    if (!mac(a, 'u', user, SL_LIT(""), utag, sizeof utag))
        return;
    pthread_mutex_lock(&a->mu);
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        if (a->cache[i].expires_ms && memcmp(a->cache[i].utag, utag, 16) == 0)
            a->cache[i].expires_ms = 0;
    pthread_mutex_unlock(&a->mu);
}

/* The entry for key; with create, a new one (replacing the least recent) when absent. */
static thr_ent *thr_find(sl_auth *a, const unsigned char key[16], bool create, uint64_t now)
{
    thr_ent *oldest = &a->thr[0];
    for (size_t i = 0; i < THR_SLOTS; i++) {
        thr_ent *e = &a->thr[i];
        if (e->last_ms && now - e->last_ms > THR_WINDOW_MS && now >= e->until_ms)
            memset(e, 0, sizeof *e); /* forgotten */
        if (e->last_ms && memcmp(e->key, key, 16) == 0)
            return e;
        if (e->last_ms < oldest->last_ms)
            oldest = e;
    }
    if (!create)
        return NULL;
    memset(oldest, 0, sizeof *oldest);
    memcpy(oldest->key, key, 16);
    return oldest;
}

/* Milliseconds key is still refused for, 0 when it is not. *fails receives its count. */
static uint64_t thr_wait(sl_auth *a, const unsigned char key[16], uint64_t now, uint32_t *fails)
{
    pthread_mutex_lock(&a->mu);
    const thr_ent *e = thr_find(a, key, false, now);
    uint64_t w = e && e->until_ms > now ? e->until_ms - now : 0;
    *fails = e ? e->fails : 0;
    pthread_mutex_unlock(&a->mu);
    return w;
}

/* Count a failure; past grace ones, refuse key for 1 s, 2 s, 4 s, ... up to THR_MAX_MS. */
static void thr_fail(sl_auth *a, const unsigned char key[16], uint32_t grace, uint64_t now)
{
    pthread_mutex_lock(&a->mu);
    thr_ent *e = thr_find(a, key, true, now);
    e->fails++;
    e->last_ms = now;
    if (e->fails > grace) {
        uint32_t k = e->fails - grace - 1;
        uint64_t d = k >= 20 ? THR_MAX_MS : 1000ull << k;
        e->until_ms = now + (d < THR_MAX_MS ? d : THR_MAX_MS);
    }
    pthread_mutex_unlock(&a->mu);
}

static void thr_clear(sl_auth *a, const unsigned char key[16], uint64_t now)
{
    pthread_mutex_lock(&a->mu);
    thr_ent *e = thr_find(a, key, false, now);
    if (e)
        memset(e, 0, sizeof *e);
    pthread_mutex_unlock(&a->mu);
}

/* ---- login ----------------------------------------------------------------------------------- */

sl_code sl_auth_open(const char *data_dir, sl_auth **out, sl_err *err)
{
    sl_auth *a = sl_calloc(sizeof *a);
    if (a == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    snprintf(a->path, sizeof a->path, "%s/users.db", data_dir);
    pthread_mutex_init(&a->mu, NULL);
    sl_code rc = SL_OK;
    if ((a->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
        RAND_bytes(a->key, sizeof a->key) != 1)
        rc = sl_fail(err, SL_INTERNAL, "no HMAC or no randomness for the credential cache");
    if (rc == SL_OK)
        rc = init_db(a, err);
    if (rc != SL_OK) {
        sl_auth_close(a);
        return rc;
    }
    *out = a;
    return SL_OK;
}

void sl_auth_close(sl_auth *a)
{
    if (a == NULL)
        return;
    EVP_MAC_free(a->hmac);
    pthread_mutex_destroy(&a->mu);
    OPENSSL_cleanse(a, sizeof *a);
    sl_free(a);
}

static sl_code denied(sl_slice user, sl_slice pw, sl_err *err)
{
    return sl_fail(err, SL_UNAUTHORIZED, "Access denied for user '%.*s' (using password: %s)",
                   (int)(user.n > 128 ? 128 : user.n), user.p ? user.p : "", pw.n ? "YES" : "NO");
}

/* Doris's texts for an account locked by its policy or throttled here. */
static sl_code blocked(sl_slice user, const char *peer, int64_t block_s, uint64_t wait_ms,
                       int64_t fails, sl_err *err)
{
    int un = (int)(user.n > 128 ? 128 : user.n);
    if (block_s < 0)
        return sl_fail(err, SL_UNAUTHORIZED, "Access denied for user '%.*s'@'%s'. Account is "
                       "locked.", un, user.p, peer);
    return sl_fail(err, SL_UNAUTHORIZED,
                   "Access denied for user '%.*s'@'%s'. Account is blocked for %lld second(s) "
                   "(%llu second(s) remaining) due to %lld consecutive failed logins.",
                   un, user.p, peer, (long long)block_s,
                   (unsigned long long)((wait_ms + 999) / 1000), (long long)fails);
}

/* A refusal before the password is checked: the account's policy lock, or the throttle of the
 * user or the address. Attempts while throttled count as failures. */
static sl_code check_gates(sl_auth *a, const user_row *row, sl_slice user, const char *peer,
                           const unsigned char ukey[16], const unsigned char akey[16],
                           uint64_t now, sl_err *err)
{
    if (row->found && row->fail_limit > 0 && (uint64_t)row->locked_until_ms > now)
        return blocked(user, peer, row->lock_s, (uint64_t)row->locked_until_ms - now,
                       row->fail_limit, err);
    uint32_t uf, af;
    uint64_t uw = thr_wait(a, ukey, now, &uf), aw = thr_wait(a, akey, now, &af);
    if (uw == 0 && aw == 0)
        return SL_OK;
    thr_fail(a, ukey, USER_FREE, now);
    thr_fail(a, akey, ADDR_FREE, now);
    if (uw >= aw)
        return blocked(user, peer, (int64_t)((uw + 999) / 1000), uw, uf, err);
    return sl_fail(err, SL_UNAUTHORIZED,
                   "Access denied for user '%.*s'@'%s'. Too many failed logins from this address "
                   "(%llu second(s) remaining).",
                   (int)(user.n > 128 ? 128 : user.n), user.p, peer,
                   (unsigned long long)((aw + 999) / 1000));
}

/* A wrong password: count it everywhere. */
static void count_failure(sl_auth *a, const user_row *row, sl_slice user,
                          const unsigned char ukey[16], const unsigned char akey[16], uint64_t now)
{
    thr_fail(a, ukey, USER_FREE, now);
    thr_fail(a, akey, ADDR_FREE, now);
    if (row->found && row->fail_limit > 0) {
        sl_err e = {0};
        user_exec(a,
                  "UPDATE users SET locked_until = CASE WHEN fails + 1 < fail_limit THEN "
                  "locked_until WHEN lock_s < 0 THEN 9223372036854775807 ELSE ?2 + lock_s * 1000 "
                  "END, fails = CASE WHEN fails + 1 < fail_limit THEN fails + 1 ELSE 0 END WHERE "
                  "name=?1 AND fail_limit > 0",
                  user, (int64_t)now, 0, NULL, &e);
        if (row->fails + 1 >= row->fail_limit)
            cache_forget(a, user);
    }
}

/* A verified password: reset the counts, rewrite a stale hash, remember the credentials. */
static void count_success(sl_auth *a, const user_row *row, sl_slice user, sl_slice pw,
                          bool stale, const unsigned char key[32], const unsigned char ukey[16],
                          uint64_t now)
{
    sl_err e = {0};
    user_row cur = *row;
    thr_clear(a, ukey, now);
    if (stale && make_hash(pw, cur.hash, &e) == SL_OK &&
        user_put_hash(a, user, cur.hash, row->hash, false, false, &e) == SL_OK)
        cur.salt[0] = '\0';
    else
        cur = *row;
    unsigned char utag[16], stored[32];
    if (mac(a, 'u', user, SL_LIT(""), utag, sizeof utag)) {
        stored_digest(&cur, stored);
        cache_put(a, key, utag, stored);
    }
}

sl_code sl_auth_login(sl_auth *a, sl_slice user, sl_slice pw, const char *peer, sl_identity *id,
                      sl_err *err)
{
    user_row row;
    uint64_t now = now_ms();
    unsigned char key[32], ukey[16], akey[16], stored[32];
    peer = peer && peer[0] ? peer : "%";
    sl_code rc = user_get(a, user, &row, err);
    if (rc != SL_OK)
        return rc;
    if (!mac(a, 'c', user, pw, key, sizeof key) || !mac(a, 't', user, SL_LIT(""), ukey, 16) ||
        !mac(a, 'a', sl_slice_of(peer), SL_LIT(""), akey, 16))
        return sl_fail(err, SL_INTERNAL, "cannot compute the credential key");
    if (row.found && !(row.fail_limit > 0 && (uint64_t)row.locked_until_ms > now)) {
        stored_digest(&row, stored);
        if (cache_hit(a, key, stored))
            goto ok;
    }
    if ((rc = check_gates(a, &row, user, peer, ukey, akey, now, err)) != SL_OK)
        return rc;
    bool stale = false;
    if (!row.found) {
        unsigned char dk[32]; /* the same work as a real check: no user enumeration by timing */
        pbkdf2(pw, (const unsigned char *)"sluice-no-such-user", 19, pbkdf2_rounds, dk);
    }
    if (!row.found || !verify(row.salt, row.hash, pw, &stale)) {
        count_failure(a, &row, user, ukey, akey, now);
        return denied(user, pw, err);
    }
    count_success(a, &row, user, pw, stale, key, ukey, now);
ok:
    if (row.fails) { /* FAILED_LOGIN_ATTEMPTS counts consecutive failures */
        sl_err e = {0};
        user_exec(a, "UPDATE users SET fails=0 WHERE name=?1", user, 0, 0, NULL, &e);
    }
    id->user = user;
    id->admin = row.admin;
    return SL_OK;
}

/* ---- administration -------------------------------------------------------------------------- */

static sl_code check_name(sl_slice user, sl_err *err)
{
    if (user.n == 0 || user.n > 64 || memchr(user.p, ':', user.n) || memchr(user.p, '@', user.n))
        return sl_fail(err, SL_INVALID, "invalid user name '%.*s' (1 to 64 bytes, no ':' or '@')",
                       (int)(user.n > 64 ? 64 : user.n), user.p ? user.p : "");
    return SL_OK;
}

/* The lock time to store (0 means the default), or SL_INVALID. */
static sl_code check_policy(const sl_auth_policy *p, int64_t *lock, sl_err *err)
{
    *lock = p->password_lock_time_s ? p->password_lock_time_s : DEFAULT_LOCK_S;
    if (p->failed_login_attempts < 0 || p->failed_login_attempts > 32767 ||
        (*lock < 1 && *lock != SL_AUTH_LOCK_UNBOUNDED) || *lock > 10000LL * 86400)
        return sl_fail(err, SL_INVALID, "FAILED_LOGIN_ATTEMPTS must be 0..32767 and "
                       "PASSWORD_LOCK_TIME 1 second..10000 days or UNBOUNDED");
    return SL_OK;
}

sl_code sl_auth_add(sl_auth *a, sl_slice user, sl_slice pw, bool admin,
                    const sl_auth_policy *policy, sl_err *err)
{
    char hash[HASH_MAX + 1];
    int64_t lock;
    sl_code rc = check_name(user, err);
    if (rc == SL_OK && policy)
        rc = check_policy(policy, &lock, err);
    if (rc == SL_OK)
        rc = make_hash(pw, hash, err);
    if (rc == SL_OK)
        rc = user_put_hash(a, user, hash, NULL, true, admin, err);
    if (rc == SL_OK && policy)
        rc = sl_auth_set_policy(a, user, policy, err);
    return rc;
}

sl_code sl_auth_passwd(sl_auth *a, sl_slice user, sl_slice pw, sl_err *err)
{
    char hash[HASH_MAX + 1];
    sl_code rc = make_hash(pw, hash, err);
    if (rc == SL_OK)
        rc = user_put_hash(a, user, hash, NULL, false, false, err);
    cache_forget(a, user);
    return rc;
}

static sl_code user_update(sl_auth *a, const char *sql, sl_slice user, int64_t x, int64_t y,
                           sl_err *err)
{
    int changes = 0;
    sl_code rc = user_exec(a, sql, user, x, y, &changes, err);
    if (rc == SL_OK && changes == 0)
        rc = sl_fail(err, SL_NOT_FOUND, "no such user '%.*s'", (int)user.n, user.p);
    return rc;
}

sl_code sl_auth_set_policy(sl_auth *a, sl_slice user, const sl_auth_policy *p, sl_err *err)
{
    int64_t lock;
    sl_code rc = check_policy(p, &lock, err);
    if (rc != SL_OK)
        return rc;
    return user_update(a, "UPDATE users SET fail_limit=?2, lock_s=?3 WHERE name=?1", user,
                       p->failed_login_attempts, lock, err);
}

sl_code sl_auth_unlock(sl_auth *a, sl_slice user, sl_err *err)
{
    return user_update(a, "UPDATE users SET fails=0, locked_until=0 WHERE name=?1", user, 0, 0,
                       err);
}

static const char *const priv_names[] = {"LOAD", "SELECT", "CREATE", "DROP", "ALTER", "ADMIN"};

/* "load_priv, Select" -> a bit per priv_names entry; ALL is every privilege but ADMIN. */
static sl_code parse_privs(const char *s, unsigned *mask, sl_err *err)
{
    *mask = 0;
    while (*s) {
        while (*s == ' ' || *s == ',')
            s++;
        size_t n = strcspn(s, " ,");
        if (n == 0)
            break;
        size_t base = n > 5 && strncasecmp(s + n - 5, "_PRIV", 5) == 0 ? n - 5 : n;
        size_t i = 0;
        while (i < SL_COUNT(priv_names) &&
               !(strlen(priv_names[i]) == base && strncasecmp(s, priv_names[i], base) == 0))
            i++;
        if (i < SL_COUNT(priv_names))
            *mask |= 1u << i;
        else if (base == 3 && strncasecmp(s, "ALL", 3) == 0)
            *mask |= (1u << (SL_COUNT(priv_names) - 1)) - 1;
        else
            return sl_fail(err, SL_INVALID, "unknown privilege %.*s (LOAD, SELECT, CREATE, DROP, "
                           "ALTER, ADMIN or ALL)", (int)(n > 64 ? 64 : n), s);
        s += n;
    }
    return *mask ? SL_OK : sl_fail(err, SL_INVALID, "no privilege named");
}

/* "*" / "*.*" -> "*", "db" / "db.*" -> "db", "db.t" -> "db.t"; names without '*' or a 2nd '.'. */
static sl_code parse_target(const char *t, char out[520], sl_err *err)
{
    const char *dot = strchr(t, '.');
    size_t dn = dot ? (size_t)(dot - t) : strlen(t);
    const char *tb = dot ? dot + 1 : "";
    bool all_db = dn == 1 && t[0] == '*', all_tb = strcmp(tb, "*") == 0 || !dot;
    bool ok = dn > 0 && dn < 256 && strlen(tb) < 256 && (all_db ? all_tb : !memchr(t, '*', dn)) &&
              (all_tb || (tb[0] && !strchr(tb, '*') && !strchr(tb, '.'))) && !(dot && !tb[0]);
    if (!ok)
        return sl_fail(err, SL_INVALID, "invalid grant target '%s' (*, DB, DB.* or DB.TABLE)", t);
    if (all_db)
        snprintf(out, 520, "*");
    else if (all_tb)
        snprintf(out, 520, "%.*s", (int)dn, t);
    else
        snprintf(out, 520, "%s", t);
    return SL_OK;
}

static sl_code change_grants(sl_auth *a, sl_slice user, const char *privs, const char *target,
                             bool grant, sl_err *err)
{
    unsigned mask;
    char t[520];
    user_row row;
    sl_code rc = parse_privs(privs, &mask, err);
    if (rc == SL_OK)
        rc = parse_target(target, t, err);
    if (rc == SL_OK)
        rc = user_get(a, user, &row, err);
    if (rc == SL_OK && !row.found)
        rc = sl_fail(err, SL_NOT_FOUND, "no such user '%.*s'", (int)user.n, user.p);
    for (size_t i = 0; rc == SL_OK && i < SL_COUNT(priv_names); i++)
        if (mask & (1u << i))
            rc = grant_put(a, user, priv_names[i], t, grant, err);
    return rc;
}

sl_code sl_auth_grant(sl_auth *a, sl_slice user, const char *privs, const char *target,
                      sl_err *err)
{
    return change_grants(a, user, privs, target, true, err);
}

sl_code sl_auth_revoke(sl_auth *a, sl_slice user, const char *privs, const char *target,
                       sl_err *err)
{
    return change_grants(a, user, privs, target, false, err);
}
