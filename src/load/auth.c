/*
 * auth.c - users, password hashes, the cache of verified credentials and the login throttle
 * (load stage: who is asking). priv.c decides what an identity may do; docs/SECURITY.md
 * describes both.
 *
 *   sl_auth_login: user row -> account locked? -> cache hit? -> user or address throttled?
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
 * password (by this process, another node, or `sluice user`) misses at once.
 *
 * Failed logins are counted per user and per client address in memory; past a few failures
 * each further attempt of that user or from that address within the window is refused at once
 * (without hashing, so a flood costs no CPU) for an exponentially growing time. Credentials in
 * the cache still pass: a flood against an account does not lock out its running clients.
 * Doris's FAILED_LOGIN_ATTEMPTS / PASSWORD_LOCK_TIME are user properties kept in the store.
 *
 * Users and grants live in the store (store.h sl_store_user_*), so every node sharing one
 * engine sees the same users and `sluice user ...` can change them while the server runs. Only
 * the functions of the "storage" section touch it.
 *
 * SPDX-License-Identifier: Apache-2.0
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

#include "../core/mem.h"
#include "../store/store.h"
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
#define NATIVE_HEX 40             /* SHA1(SHA1(password)) in hex: MySQL's mysql_native_password */

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
    sl_store *store;
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
    char native[NATIVE_HEX + 1];  /* the MySQL credential for hash (hex), "" when none */
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

/* ---- storage: the users and grants kept in the store ------------------------------------ */

/* The stored form the store gives hashes imported from an old users.db (1,000 rounds,
 * the hex text of the salt used as the salt bytes): split back into the legacy columns. */
#define HEXSALT "$pbkdf2-sha256-hexsalt$i=1000$"

/* The user's row; row->found false when there is none. */
static sl_code user_get(const sl_auth *a, sl_slice user, user_row *row, sl_err *err)
{
    memset(row, 0, sizeof *row);
    sl_arena_t ar;
    sl_arena_init(&ar, 1024);
    sl_user_rec u;
    sl_err e = {0};
    sl_code rc = sl_store_user_get(a->store, user, &ar, &u, &e);
    if (SL_PRIMARY(rc) == SL_NOT_FOUND) {
        sl_arena_free(&ar);
        return SL_OK;
    }
    if (rc != SL_OK) {
        sl_arena_free(&ar);
        return sl_fail(err, rc, "%s", e.msg);
    }
    row->found = true;
    const char *h = u.hash.p;
    size_t hn = u.hash.n, pre = sizeof HEXSALT - 1;
    const char *d = hn > pre && memcmp(h, HEXSALT, pre) == 0 ? memchr(h + pre, '$', hn - pre)
                                                             : NULL;
    if (d) { /* legacy: salt column and hash column */
        snprintf(row->salt, sizeof row->salt, "%.*s", (int)(d - h - pre), h + pre);
        snprintf(row->hash, sizeof row->hash, "%.*s", (int)(hn - (size_t)(d + 1 - h)), d + 1);
    } else {
        snprintf(row->hash, sizeof row->hash, "%.*s", (int)hn, h);
    }
    if (u.native.n == NATIVE_HEX)
        snprintf(row->native, sizeof row->native, "%.*s", (int)u.native.n, u.native.p);
    row->admin = u.admin;
    row->fail_limit = (int32_t)u.failed_login_attempts;
    row->lock_s = u.password_lock_s;
    row->fails = u.failed;
    row->locked_until_ms = (int64_t)u.locked_until_ms;
    sl_grant_rec *g;
    size_t n = 0;
    if (!row->admin && sl_store_grants(a->store, user, &ar, &g, &n, &e) == SL_OK)
        for (size_t i = 0; i < n && !row->admin; i++)
            row->admin = sl_slice_eq(g[i].priv, "ADMIN") && sl_slice_eq(g[i].target, "*");
    sl_arena_free(&ar);
    return SL_OK;
}

/* Store a hash and the MySQL credential of the same password (native; NULL or "" for none): a
 * new user (insert), a new password, or - when old is not NULL - an upgrade that only applies
 * while the stored hash is still old (a concurrent passwd wins). */
static sl_code user_put_hash(const sl_auth *a, sl_slice user, const char *hash,
                             const char *native, const char *old, bool insert, bool admin,
                             sl_err *err)
{
    sl_slice nat = native && native[0] ? sl_slice_of(native) : SL_SLICE_NULL;
    if (insert) {
        sl_user_rec u = {.name = user, .hash = sl_slice_of(hash), .admin = admin,
                         .password_lock_s = DEFAULT_LOCK_S, .native = nat};
        return sl_store_user_put(a->store, &u, true, err);
    }
    user_row row;
    char legacy[sizeof HEXSALT + 80 + HASH_MAX + 2];
    sl_slice was = SL_SLICE_NULL;
    if (old) { /* the stored text of the old hash: legacy ones carry their salt */
        sl_code rc = user_get(a, user, &row, err);
        if (rc != SL_OK || !row.found || strcmp(row.hash, old) != 0)
            return rc;
        if (row.salt[0])
            snprintf(legacy, sizeof legacy, HEXSALT "%s$%s", row.salt, row.hash);
        else
            snprintf(legacy, sizeof legacy, "%s", row.hash);
        was = sl_slice_of(legacy);
    }
    bool changed = false;
    sl_code rc = sl_store_user_set_hash(a->store, user, sl_slice_of(hash), was, nat, &changed,
                                        err);
    if (rc == SL_OK && !old && !changed)
        rc = sl_fail(err, SL_NOT_FOUND, "no such user '%.*s'", (int)user.n, user.p);
    return rc;
}

/* Add (grant) or remove a grants row. */
static sl_code grant_put(const sl_auth *a, sl_slice user, const char *priv, const char *target,
                         bool grant, sl_err *err)
{
    sl_grant_rec g = {user, sl_slice_of(priv), sl_slice_of(target)};
    return sl_store_grant(a->store, &g, !grant, err);
}

/* Names that could be read as another grant target ("a.b" as database a, table b). */
static bool odd_name(sl_slice s)
{
    return memchr(s.p ? s.p : "", '.', s.n) || memchr(s.p ? s.p : "", '*', s.n);
}

/* Does grant g name one of privs (any privilege when privs is NULL) on a target covering
 * db.table (see sl__auth_granted)? */
static bool grant_covers(const sl_grant_rec *g, const char *const *privs, size_t n, sl_slice db,
                         sl_slice table, bool any_table, bool odd)
{
    bool priv = privs == NULL || sl_slice_eq(g->priv, "ADMIN");
    for (size_t i = 0; !priv && i < n; i++)
        priv = sl_slice_eq(g->priv, privs[i]);
    if (!priv)
        return false;
    sl_slice t = g->target;
    if (sl_slice_eq(t, "*"))
        return true;
    if (odd)
        return false;
    if (t.n == db.n && memcmp(t.p, db.p, db.n) == 0)
        return true;
    bool prefix = t.n > db.n && memcmp(t.p, db.p, db.n) == 0 && t.p[db.n] == '.';
    if (prefix && any_table)
        return true;
    return prefix && table.n && t.n == db.n + 1 + table.n &&
           memcmp(t.p + db.n + 1, table.p, table.n) == 0;
}

sl_code sl__auth_granted(sl_auth *a, sl_slice user, const char *const *privs, size_t n,
                         sl_slice db_name, sl_slice table, bool any_table, bool *yes,
                         sl_err *err)
{
    *yes = false;
    sl_arena_t ar;
    sl_arena_init(&ar, 1024);
    sl_user_rec u;
    sl_grant_rec *g = NULL;
    size_t ng = 0;
    sl_err e = {0};
    sl_code rc = sl_store_user_get(a->store, user, &ar, &u, &e);
    if (SL_PRIMARY(rc) == SL_NOT_FOUND) {
        sl_arena_free(&ar);
        return SL_OK;
    }
    if (rc == SL_OK && !(*yes = u.admin))
        rc = sl_store_grants(a->store, user, &ar, &g, &ng, &e);
    bool odd = odd_name(db_name) || odd_name(table) || db_name.n == 0;
    for (size_t i = 0; rc == SL_OK && i < ng && !*yes; i++)
        *yes = grant_covers(&g[i], privs, n, db_name, table, any_table, odd);
    sl_arena_free(&ar);
    return rc == SL_OK ? SL_OK : sl_fail(err, rc, "%s", e.msg);
}

/* A store without users gets root with an empty password and ADMIN, as Doris ships. */
static sl_code init_db(sl_auth *a, sl_err *err)
{
    sl_arena_t ar;
    sl_arena_init(&ar, 1024);
    sl_user_rec *users;
    size_t n = 0;
    sl_code rc = sl_store_users(a->store, &ar, &users, &n, err);
    sl_arena_free(&ar);
    if (rc == SL_OK && n == 0) {
        rc = user_put_hash(a, SL_LIT("root"), "$empty$", NULL, NULL, true, true, err);
        if (rc == SL_CONFLICT) { /* another node made it meanwhile */
            sl_err_clear(err);
            rc = SL_OK;
        }
    }
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

/* The MySQL credential of pw (hex SHA1(SHA1(pw)), docs/mysql.md) into out; "" for an empty
 * password, which needs none (the client then answers the scramble with nothing). */
static sl_code make_native(sl_slice pw, char out[NATIVE_HEX + 1], sl_err *err)
{
    unsigned char h1[20], h2[20];
    out[0] = '\0';
    if (pw.n == 0)
        return SL_OK;
    if (EVP_Digest(pw.p, pw.n, h1, NULL, EVP_sha1(), NULL) != 1 ||
        EVP_Digest(h1, sizeof h1, h2, NULL, EVP_sha1(), NULL) != 1)
        return sl_fail(err, SL_INTERNAL, "cannot hash the password");
    to_hex(h2, sizeof h2, out);
    OPENSSL_cleanse(h1, sizeof h1);
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

sl_code sl_auth_open(sl_store *store, sl_auth **out, sl_err *err)
{
    sl_auth *a = sl_calloc(sizeof *a);
    if (a == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    a->store = store;
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
        sl_store_user_failed(a->store, user, now, &e);
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
    char native[NATIVE_HEX + 1] = "";
    thr_clear(a, ukey, now);
    bool nat = make_native(pw, native, &e) == SL_OK;
    if (stale && nat && make_hash(pw, cur.hash, &e) == SL_OK &&
        user_put_hash(a, user, cur.hash, native, row->hash, false, false, &e) == SL_OK)
        cur.salt[0] = '\0';
    else
        cur = *row;
    /* A user from before the MySQL protocol gets its credential now that the password is
     * known (docs/mysql.md); it is tied to the hash it was made for. */
    if (!stale && nat && native[0] && strcmp(native, row->native) != 0)
        sl_store_user_native(a->store, user, sl_slice_of(native), sl_slice_of(row->hash), &e);
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
        /* the throttle starts when the failure is known, not before the slow hash: else a
         * hash slower than the first delay would let the next guess through */
        count_failure(a, &row, user, ukey, akey, now_ms());
        return denied(user, pw, err);
    }
    count_success(a, &row, user, pw, stale, key, ukey, now);
ok:
    if (row.fails) { /* FAILED_LOGIN_ATTEMPTS counts consecutive failures */
        sl_err e = {0};
        sl_store_user_login(a->store, user, true, 0, &e);
    }
    id->user = user;
    id->admin = row.admin;
    return SL_OK;
}

/* Does the MySQL answer match the stored credential? answer = SHA1(pw) XOR SHA1(scramble ||
 * SHA1(SHA1(pw))); with h2 = SHA1(SHA1(pw)) stored, SHA1(answer XOR SHA1(scramble || h2)) must
 * be h2. No plaintext is needed, and none is kept. */
static bool verify_native(const char *native_hex, const unsigned char scramble[20],
                          sl_slice answer)
{
    unsigned char h2[20], x[20], h1[20], back[20], buf[40];
    if (answer.n != 20 || !from_hex(native_hex, strlen(native_hex), h2, 20))
        return false;
    memcpy(buf, scramble, 20);
    memcpy(buf + 20, h2, 20);
    if (EVP_Digest(buf, sizeof buf, x, NULL, EVP_sha1(), NULL) != 1)
        return false;
    for (int i = 0; i < 20; i++)
        h1[i] = (unsigned char)(answer.p[i] ^ x[i]);
    bool ok = EVP_Digest(h1, sizeof h1, back, NULL, EVP_sha1(), NULL) == 1 &&
              CRYPTO_memcmp(back, h2, 20) == 0;
    OPENSSL_cleanse(h1, sizeof h1);
    return ok;
}

sl_code sl_auth_login_native(sl_auth *a, sl_slice user, const unsigned char scramble[20],
                             sl_slice answer, const char *peer, sl_identity *id, sl_err *err)
{
    user_row row;
    uint64_t now = now_ms();
    unsigned char ukey[16], akey[16];
    peer = peer && peer[0] ? peer : "%";
    sl_code rc = user_get(a, user, &row, err);
    if (rc != SL_OK)
        return rc;
    if (!mac(a, 't', user, SL_LIT(""), ukey, 16) ||
        !mac(a, 'a', sl_slice_of(peer), SL_LIT(""), akey, 16))
        return sl_fail(err, SL_INTERNAL, "cannot compute the credential key");
    if ((rc = check_gates(a, &row, user, peer, ukey, akey, now, err)) != SL_OK)
        return rc;
    bool empty = row.found && strcmp(row.hash, "$empty$") == 0;
    bool ok = row.found && (empty ? answer.n == 0
                                  : row.native[0] && verify_native(row.native, scramble, answer));
    if (!ok) {
        count_failure(a, &row, user, ukey, akey, now);
        return denied(user, answer, err);
    }
    thr_clear(a, ukey, now);
    if (row.fails) { /* FAILED_LOGIN_ATTEMPTS counts consecutive failures */
        sl_err e = {0};
        sl_store_user_login(a->store, user, true, 0, &e);
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
    char native[NATIVE_HEX + 1];
    if (rc == SL_OK)
        rc = make_hash(pw, hash, err);
    if (rc == SL_OK)
        rc = make_native(pw, native, err);
    if (rc == SL_OK)
        rc = user_put_hash(a, user, hash, native, NULL, true, admin, err);
    if (rc == SL_OK && policy)
        rc = sl_auth_set_policy(a, user, policy, err);
    return rc;
}

sl_code sl_auth_passwd(sl_auth *a, sl_slice user, sl_slice pw, sl_err *err)
{
    char hash[HASH_MAX + 1], native[NATIVE_HEX + 1];
    sl_code rc = make_hash(pw, hash, err);
    if (rc == SL_OK)
        rc = make_native(pw, native, err);
    if (rc == SL_OK)
        rc = user_put_hash(a, user, hash, native, NULL, false, false, err);
    cache_forget(a, user);
    return rc;
}


sl_code sl_auth_set_policy(sl_auth *a, sl_slice user, const sl_auth_policy *p, sl_err *err)
{
    int64_t lock;
    sl_code rc = check_policy(p, &lock, err);
    if (rc != SL_OK)
        return rc;
    return sl_store_user_policy(a->store, user, (uint32_t)p->failed_login_attempts, lock, err);
}

sl_code sl_auth_unlock(sl_auth *a, sl_slice user, sl_err *err)
{
    user_row row;
    sl_code rc = user_get(a, user, &row, err);
    if (rc == SL_OK && !row.found)
        rc = sl_fail(err, SL_NOT_FOUND, "no such user '%.*s'", (int)user.n, user.p);
    return rc == SL_OK ? sl_store_user_login(a->store, user, true, 0, err) : rc;
}

sl_code sl_auth_drop(sl_auth *a, sl_slice user, sl_err *err)
{
    sl_code rc = sl_store_user_drop(a->store, user, err);
    cache_forget(a, user);
    return rc;
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
