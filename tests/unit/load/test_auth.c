/* Unit tests of src/load/auth.c (included, to reach its test knobs and cache): the stored hash
 * formats and the upgrade of old ones, the cache of verified credentials and when it drops an
 * entry, the login throttle per user and per address on a fake clock, Doris's
 * FAILED_LOGIN_ATTEMPTS / PASSWORD_LOCK_TIME, grants and their targets.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/load/auth.c"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdlib.h>

static char dir[256];
static sl_auth *A;
static sl_store *S;
static uint64_t fake_ms;

/* A cleared error for each call (sl_fail keeps the first error of an sl_err). */
static sl_err LE;
static sl_err *fe(void)
{
    sl_err_clear(&LE);
    return &LE;
}

static uint64_t fake_now(void)
{
    return fake_ms;
}

/* The store of dir and the users in it. */
static void open_all(void)
{
    sl_store_opts o = {.data_dir = dir};
    cr_assert(eq(int, sl_store_global_init(fe()), SL_OK));
    cr_assert(eq(int, sl_store_open(&o, &S, fe()), SL_OK), "%s", LE.msg);
    cr_assert(eq(int, sl_auth_open(S, &A, fe()), SL_OK), "%s", LE.msg);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/sl-auth-XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
    pbkdf2_rounds = 2000; /* fast; hash_format checks the real count */
    fake_ms = 1700000000000ull;
    now_ms = fake_now;
    open_all();
}

static void teardown(void)
{
    sl_auth_close(A);
    sl_store_close(S);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert(eq(int, system(cmd), 0));
}

TestSuite(auth, .init = setup, .fini = teardown);

static sl_code login(const char *user, const char *pw, const char *peer, sl_err *e)
{
    sl_identity id;
    sl_err_clear(e);
    return sl_auth_login(A, sl_slice_of(user), sl_slice_of(pw), peer, &id, e);
}

static void add(const char *user, const char *pw)
{
    cr_assert(eq(int, sl_auth_add(A, sl_slice_of(user), sl_slice_of(pw), false, NULL, fe()), SL_OK),
              "%s", LE.msg);
}

static user_row row_of(const char *user)
{
    user_row r;
    cr_assert(eq(int, user_get(A, sl_slice_of(user), &r, fe()), SL_OK));
    cr_assert(r.found);
    return r;
}

/* Write a row as sluice did before the self-describing format: hex salt text used as the
 * PBKDF2 salt bytes, 1000 rounds, the hash in hex. */
static void put_legacy(const char *user, const char *pw)
{
    const char *salt = "00112233445566778899aabbccddeeff";
    unsigned char dk[32];
    char hex[65], sql[400];
    cr_assert(pbkdf2(sl_slice_of(pw), (const unsigned char *)salt, strlen(salt), 1000, dk));
    to_hex(dk, 32, hex);
    /* as the SQLite engine stores what it imports from an old users.db */
    snprintf(sql, sizeof sql, HEXSALT "%s$%s", salt, hex);
    sl_user_rec u = {.name = sl_slice_of(user), .hash = sl_slice_of(sql)};
    cr_assert(eq(int, sl_store_user_put(S, &u, true, fe()), SL_OK), "%s", LE.msg);
}

static size_t cached(void)
{
    size_t n = 0;
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        n += A->cache[i].expires_ms != 0;
    return n;
}

Test(auth, hash_format)
{
    sl_err e = {0};
    pbkdf2_rounds = PBKDF2_ROUNDS;
    cr_assert(eq(u32, PBKDF2_ROUNDS, 600000)); /* OWASP's count for PBKDF2-HMAC-SHA256 */
    add("u", "secret");
    user_row r = row_of("u");
    cr_assert(strncmp(r.hash, "$pbkdf2-sha256$i=600000$", 24) == 0, "%s", r.hash);
    cr_assert(eq(sz, strlen(r.hash), 24 + 32 + 1 + 64), "%s", r.hash);
    cr_assert(eq(str, r.salt, ""));
    cr_assert(eq(int, login("u", "secret", "10.0.0.1", &e), SL_OK), "%s", e.msg);
    cr_assert(eq(int, login("u", "Secret", "10.0.0.1", &e), SL_UNAUTHORIZED));
    cr_assert(eq(str, e.msg, "Access denied for user 'u' (using password: YES)"));
    /* Two users with one password get different hashes (the salt). */
    add("v", "secret");
    cr_assert(strcmp(row_of("v").hash, r.hash) != 0);
}

Test(auth, empty_password_and_root)
{
    sl_err e = {0};
    cr_assert(eq(str, row_of("root").hash, "$empty$"));
    cr_assert(row_of("root").admin);
    cr_assert(eq(int, login("root", "", NULL, &e), SL_OK));
    cr_assert(eq(int, login("root", "x", NULL, &e), SL_UNAUTHORIZED));
    cr_assert(eq(int, login("nobody", "", NULL, &e), SL_UNAUTHORIZED));
    cr_assert(eq(str, e.msg, "Access denied for user 'nobody' (using password: NO)"));
}

Test(auth, legacy_hash_verifies_and_is_upgraded)
{
    sl_err e = {0};
    put_legacy("old", "pw1");
    cr_assert(eq(int, login("old", "nope", NULL, &e), SL_UNAUTHORIZED));
    cr_assert(eq(sz, strlen(row_of("old").hash), 64)); /* a failure rewrites nothing */
    cr_assert(eq(int, login("old", "pw1", NULL, &e), SL_OK), "%s", e.msg);
    user_row r = row_of("old");
    cr_assert(strncmp(r.hash, "$pbkdf2-sha256$i=2000$", 22) == 0, "%s", r.hash);
    cr_assert(eq(str, r.salt, ""));
    /* The upgraded hash verifies on its own (not through the cache). */
    memset(A->cache, 0, sizeof A->cache);
    cr_assert(eq(int, login("old", "pw1", NULL, &e), SL_OK));
    cr_assert(eq(int, login("old", "nope", NULL, &e), SL_UNAUTHORIZED));
}

Test(auth, fewer_rounds_are_upgraded)
{
    sl_err e = {0};
    pbkdf2_rounds = 1000;
    add("u", "pw");
    cr_assert(strncmp(row_of("u").hash, "$pbkdf2-sha256$i=1000$", 22) == 0);
    pbkdf2_rounds = 3000;
    cr_assert(eq(int, login("u", "pw", NULL, &e), SL_OK));
    cr_assert(strncmp(row_of("u").hash, "$pbkdf2-sha256$i=3000$", 22) == 0, "%s",
              row_of("u").hash);
}

Test(auth, malformed_hashes_never_match)
{
    bool stale;
    static const char *const bad[] = {
        "", "$pbkdf2-sha256$i=0$00112233445566778899aabbccddeeff$" /* no hash */,
        "$pbkdf2-sha256$i=1000$0011$", "$pbkdf2-sha512$i=1000$00112233445566778899aabbccddeeff$"
        "0000000000000000000000000000000000000000000000000000000000000000",
        "$pbkdf2-sha256$i=99999999999$00112233445566778899aabbccddeeff$"
        "0000000000000000000000000000000000000000000000000000000000000000",
        "$pbkdf2-sha256$i=1000$00112233445566778899aabbccddeeff$00", "abc", "$empty"};
    for (size_t i = 0; i < SL_COUNT(bad); i++) {
        cr_assert(verify("", bad[i], SL_LIT(""), &stale) == false, "%s", bad[i]);
        cr_assert(verify("", bad[i], SL_LIT("x"), &stale) == false, "%s", bad[i]);
    }
    char h[HASH_MAX + 1];
    cr_assert(eq(int, make_hash(SL_LIT("pw"), h, fe()), SL_OK));
    cr_assert(verify("", h, SL_LIT("pw"), &stale) && stale == false);
    h[strlen(h) - 1] = h[strlen(h) - 1] == '0' ? '1' : '0';
    cr_assert(verify("", h, SL_LIT("pw"), &stale) == false);
}

Test(auth, old_users_db_is_imported_and_upgraded)
{
    /* A data directory of an older sluice: users.db with the 1000-round hashes, no catalog. */
    sl_auth_close(A);
    sl_store_close(S);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf %s/*", dir);
    cr_assert(eq(int, system(cmd), 0));
    const char *salt = "00112233445566778899aabbccddeeff";
    unsigned char dk[32];
    char hex[65];
    cr_assert(pbkdf2(SL_LIT("pw"), (const unsigned char *)salt, strlen(salt), 1000, dk));
    to_hex(dk, 32, hex);
    snprintf(cmd, sizeof cmd,
             "sqlite3 %s/users.db \"CREATE TABLE users(name TEXT PRIMARY KEY, salt TEXT NOT "
             "NULL, hash TEXT NOT NULL, admin INTEGER NOT NULL DEFAULT 0); CREATE TABLE "
             "grants(user TEXT NOT NULL, priv TEXT NOT NULL, target TEXT NOT NULL, UNIQUE(user, "
             "priv, target)); INSERT INTO users VALUES('old', '%s', '%s', 0); INSERT INTO grants "
             "VALUES('old', 'LOAD', 'db')\"",
             dir, salt, hex);
    cr_assert(eq(int, system(cmd), 0));
    open_all();
    sl_err e = {0};
    cr_assert(eq(int, login("old", "pw", NULL, &e), SL_OK), "%s", e.msg);
    cr_assert(strncmp(row_of("old").hash, "$pbkdf2-sha256$i=", 17) == 0); /* upgraded */
    bool yes = false;
    const char *privs[] = {"LOAD"};
    cr_assert(eq(int, sl__auth_granted(A, SL_LIT("old"), privs, 1, SL_LIT("db"), SL_LIT("t"),
                                       false, &yes, fe()), SL_OK));
    cr_assert(yes);
    snprintf(cmd, sizeof cmd, "test -f %s/users.db.imported", dir);
    cr_assert(eq(int, system(cmd), 0));
}

Test(auth, cache_keeps_verified_credentials)
{
    sl_err e = {0};
    add("u", "pw");
    cr_assert(eq(sz, cached(), 0));
    cr_assert(eq(int, login("u", "pw", NULL, &e), SL_OK));
    cr_assert(eq(sz, cached(), 1));
    cr_assert(eq(int, login("u", "pw", NULL, &e), SL_OK));
    cr_assert(eq(sz, cached(), 1));
    cr_assert(eq(int, login("u", "px", NULL, &e), SL_UNAUTHORIZED)); /* never from the cache */
    cr_assert(eq(sz, cached(), 1));
    /* The entry expires. */
    fake_ms += CACHE_TTL_MS + 1;
    unsigned char key[32], stored[32];
    user_row r = row_of("u");
    stored_digest(&r, stored);
    cr_assert(mac(A, 'c', SL_LIT("u"), SL_LIT("pw"), key, 32));
    cr_assert(cache_hit(A, key, stored) == false);
}

Test(auth, cache_answers_without_the_hash)
{
    sl_err e = {0};
    add("u", "pw");
    cr_assert(eq(int, login("u", "pw", NULL, &e), SL_OK));
    /* Six failures throttle the user: a check that needed the hash would now be refused. */
    for (int i = 0; i < USER_FREE + 1; i++)
        login("u", "wrong", "10.0.0.9", &e);
    cr_assert(eq(int, login("u", "wrong", "10.0.0.9", &e), SL_UNAUTHORIZED));
    cr_assert(strstr(e.msg, "Account is blocked for") != NULL, "%s", e.msg);
    cr_assert(eq(int, login("u", "pw", "10.0.0.9", &e), SL_OK), "%s", e.msg);
}

Test(auth, password_change_drops_the_entry)
{
    sl_err e = {0};
    add("u", "pw");
    add("w", "pw");
    cr_assert(eq(int, login("u", "pw", NULL, &e), SL_OK));
    cr_assert(eq(int, login("w", "pw", NULL, &e), SL_OK));
    cr_assert(eq(sz, cached(), 2));
    cr_assert(eq(int, sl_auth_passwd(A, SL_LIT("u"), SL_LIT("new"), fe()), SL_OK));
    cr_assert(eq(sz, cached(), 1)); /* only u's */
    cr_assert(eq(int, login("u", "pw", NULL, &e), SL_UNAUTHORIZED));
    cr_assert(eq(int, login("u", "new", NULL, &e), SL_OK));
    /* A change through another connection to the store (`sluice user passwd`, another node)
     * is seen too: the entry no longer matches the stored hash. */
    sl_store *os;
    sl_auth *other;
    sl_store_opts o = {.data_dir = dir, .tool = true};
    cr_assert(eq(int, sl_store_open(&o, &os, fe()), SL_OK));
    cr_assert(eq(int, sl_auth_open(os, &other, fe()), SL_OK));
    cr_assert(eq(int, sl_auth_passwd(other, SL_LIT("w"), SL_LIT("w2"), fe()), SL_OK));
    sl_auth_close(other);
    sl_store_close(os);
    cr_assert(eq(int, login("w", "pw", NULL, &e), SL_UNAUTHORIZED));
    cr_assert(eq(int, login("w", "w2", NULL, &e), SL_OK));
}

Test(auth, throttle_per_user)
{
    sl_err e = {0};
    add("u", "pw");
    for (int i = 0; i < USER_FREE; i++) {
        cr_assert(eq(int, login("u", "bad", "10.0.0.1", &e), SL_UNAUTHORIZED));
        cr_assert(strstr(e.msg, "using password") != NULL, "%s", e.msg);
    }
    cr_assert(eq(int, login("u", "bad", "10.0.0.2", &e), SL_UNAUTHORIZED)); /* 6th: 1 s */
    /* Refused at once, the right password included (it is not checked). */
    cr_assert(eq(int, login("u", "pw", "10.0.0.3", &e), SL_UNAUTHORIZED));
    cr_assert(eq(str, e.msg, "Access denied for user 'u'@'10.0.0.3'. Account is blocked for 1 "
                             "second(s) (1 second(s) remaining) due to 6 consecutive failed "
                             "logins."));
    /* That attempt counted (2 s from then), and so does this one (4 s from now). */
    fake_ms += 1500;
    cr_assert(eq(int, login("u", "pw", "10.0.0.3", &e), SL_UNAUTHORIZED));
    fake_ms += 4001;
    cr_assert(eq(int, login("u", "pw", "10.0.0.3", &e), SL_OK), "%s", e.msg);
    /* Success forgets the failures: five more are free again. */
    for (int i = 0; i < USER_FREE; i++)
        login("u", "bad", "10.0.0.4", &e);
    cr_assert(strstr(e.msg, "using password") != NULL, "%s", e.msg);
    /* Other users are not affected. */
    add("v", "pw");
    cr_assert(eq(int, login("v", "pw", "10.0.0.5", &e), SL_OK));
}

Test(auth, throttle_grows_and_is_capped_and_forgotten)
{
    sl_err e = {0};
    for (int i = 0; i < 40; i++)
        login("ghost", "x", NULL, &e);
    unsigned char k[16];
    cr_assert(mac(A, 't', SL_LIT("ghost"), SL_LIT(""), k, 16));
    uint32_t fails;
    uint64_t w = thr_wait(A, k, fake_ms, &fails);
    cr_assert(eq(u32, fails, 40));
    cr_assert(w > 0 && w <= THR_MAX_MS);
    /* Unknown users are throttled like known ones, and the window forgets. */
    fake_ms += THR_MAX_MS + THR_WINDOW_MS + 1;
    cr_assert(eq(u64, thr_wait(A, k, fake_ms, &fails), 0));
    cr_assert(eq(u32, fails, 0));
}

Test(auth, throttle_per_address)
{
    sl_err e = {0};
    add("fresh", "pw");
    char name[32];
    for (int i = 0; i < ADDR_FREE + 1; i++) { /* one failure each of many users */
        snprintf(name, sizeof name, "guess%d", i);
        login(name, "x", "192.0.2.7", &e);
    }
    cr_assert(eq(int, login("fresh", "pw", "192.0.2.7", &e), SL_UNAUTHORIZED));
    cr_assert(eq(str, e.msg, "Access denied for user 'fresh'@'192.0.2.7'. Too many failed logins "
                             "from this address (1 second(s) remaining)."), "%s", e.msg);
    cr_assert(eq(int, login("fresh", "pw", "192.0.2.8", &e), SL_OK), "%s", e.msg);
    /* Now cached: the throttled address may use it. */
    cr_assert(eq(int, login("fresh", "pw", "192.0.2.7", &e), SL_OK), "%s", e.msg);
}

Test(auth, failed_login_attempts_lock)
{
    sl_err e = {0};
    sl_auth_policy p = {2, 3600};
    cr_assert(eq(int, sl_auth_add(A, SL_LIT("u"), SL_LIT("pw"), false, &p, fe()), SL_OK));
    cr_assert(eq(int, login("u", "pw", NULL, &e), SL_OK)); /* cached */
    cr_assert(eq(int, login("u", "x", "h1", &e), SL_UNAUTHORIZED));
    cr_assert(eq(int, login("u", "pw", "h1", &e), SL_OK)); /* resets the count */
    cr_assert(eq(i64, row_of("u").fails, 0));
    cr_assert(eq(int, login("u", "x", "h1", &e), SL_UNAUTHORIZED));
    cr_assert(eq(i64, row_of("u").fails, 1));
    cr_assert(eq(int, login("u", "x", "h1", &e), SL_UNAUTHORIZED));
    cr_assert(eq(int, login("u", "pw", "h1", &e), SL_UNAUTHORIZED)); /* even from the cache */
    cr_assert(eq(str, e.msg, "Access denied for user 'u'@'h1'. Account is blocked for 3600 "
                             "second(s) (3600 second(s) remaining) due to 2 consecutive failed "
                             "logins."));
    fake_ms += 3600 * 1000 + 1;
    cr_assert(eq(int, login("u", "pw", "h1", &e), SL_OK), "%s", e.msg);
}

Test(auth, lock_unbounded_and_unlock)
{
    sl_err e = {0};
    add("u", "pw");
    sl_auth_policy p = {1, SL_AUTH_LOCK_UNBOUNDED};
    cr_assert(eq(int, sl_auth_set_policy(A, SL_LIT("u"), &p, fe()), SL_OK));
    cr_assert(eq(int, login("u", "x", "h", &e), SL_UNAUTHORIZED));
    fake_ms += 1000ull * 86400 * 365;
    cr_assert(eq(int, login("u", "pw", "h", &e), SL_UNAUTHORIZED));
    cr_assert(eq(str, e.msg, "Access denied for user 'u'@'h'. Account is locked."));
    cr_assert(eq(int, sl_auth_unlock(A, SL_LIT("u"), fe()), SL_OK));
    cr_assert(eq(int, login("u", "pw", "h", &e), SL_OK), "%s", e.msg);
    cr_assert(eq(int, sl_auth_unlock(A, SL_LIT("nobody"), fe()), SL_NOT_FOUND));
    sl_auth_policy bad = {-1, 0};
    cr_assert(eq(int, sl_auth_set_policy(A, SL_LIT("u"), &bad, fe()), SL_INVALID));
    sl_auth_policy bad2 = {3, -5};
    cr_assert(eq(int, sl_auth_add(A, SL_LIT("z"), SL_LIT(""), false, &bad2, fe()), SL_INVALID));
    cr_assert(eq(int, login("z", "", NULL, &e), SL_UNAUTHORIZED)); /* not created */
}

Test(auth, names)
{
    cr_assert(eq(int, sl_auth_add(A, SL_LIT("a:b"), SL_LIT(""), false, NULL, fe()), SL_INVALID));
    cr_assert(eq(int, sl_auth_add(A, SL_LIT("a@b"), SL_LIT(""), false, NULL, fe()), SL_INVALID));
    cr_assert(eq(int, sl_auth_add(A, SL_LIT(""), SL_LIT(""), false, NULL, fe()), SL_INVALID));
    add("ok", "");
    cr_assert(eq(int, sl_auth_add(A, SL_LIT("ok"), SL_LIT(""), false, NULL, fe()), SL_CONFLICT));
    cr_assert(eq(int, sl_auth_passwd(A, SL_LIT("nobody"), SL_LIT("x"), fe()), SL_NOT_FOUND));
}

static bool granted(const char *user, const char *priv, const char *db, const char *table)
{
    bool yes = false;
    const char *privs[1] = {priv};
    cr_assert(eq(int, sl__auth_granted(A, sl_slice_of(user), privs, 1, sl_slice_of(db),
                                       sl_slice_of(table), false, &yes, fe()), SL_OK));
    return yes;
}

Test(auth, grant_targets)
{
    add("u", "");
    cr_assert(eq(int, sl_auth_grant(A, SL_LIT("u"), "load_priv", "a.*", fe()), SL_OK), "%s",
              LE.msg);
    cr_assert(eq(int, sl_auth_grant(A, SL_LIT("u"), "Select", "b.t", fe()), SL_OK));
    cr_assert(eq(int, sl_auth_grant(A, SL_LIT("u"), "CREATE,DROP", "*.*", fe()), SL_OK));
    cr_assert(granted("u", "LOAD", "a", "x") && granted("u", "LOAD", "a", ""));
    cr_assert(granted("u", "LOAD", "b", "t") == false);
    cr_assert(granted("u", "SELECT", "b", "t") && granted("u", "SELECT", "b", "") == false);
    cr_assert(granted("u", "SELECT", "b", "t2") == false);
    cr_assert(granted("u", "DROP", "zz", "") && granted("u", "CREATE", "zz", "q"));
    /* A dotted name is not read as db.table: only grants on everything reach it. */
    cr_assert(eq(int, sl_auth_grant(A, SL_LIT("u"), "ALTER", "b", fe()), SL_OK));
    cr_assert(granted("u", "SELECT", "b.t", "") == false);
    cr_assert(granted("u", "ALTER", "b", "x.y") == false);
    cr_assert(granted("u", "DROP", "b.t", ""));
    cr_assert(eq(int, sl_auth_revoke(A, SL_LIT("u"), "DROP", "*", fe()), SL_OK));
    cr_assert(granted("u", "DROP", "zz", "") == false && granted("u", "CREATE", "zz", ""));
    static const char *const bad_targets[] = {"", ".", "a.", "*.t", "a.b.c", "a*", "a.t*", ".t"};
    for (size_t i = 0; i < SL_COUNT(bad_targets); i++)
        cr_assert(eq(int, sl_auth_grant(A, SL_LIT("u"), "LOAD", bad_targets[i], fe()), SL_INVALID),
                  "%s", bad_targets[i]);
    cr_assert(eq(int, sl_auth_grant(A, SL_LIT("u"), "WRITE", "a", fe()), SL_INVALID));
    cr_assert(eq(int, sl_auth_grant(A, SL_LIT("u"), "", "a", fe()), SL_INVALID));
    cr_assert(eq(int, sl_auth_grant(A, SL_LIT("nobody"), "LOAD", "a", fe()), SL_NOT_FOUND));
}

Test(auth, grant_all_and_admin)
{
    add("u", "");
    add("g", "");
    cr_assert(eq(int, sl_auth_grant(A, SL_LIT("u"), "ALL", "d", fe()), SL_OK));
    const char *const all[] = {"LOAD", "SELECT", "CREATE", "DROP", "ALTER"};
    for (size_t i = 0; i < SL_COUNT(all); i++)
        cr_assert(granted("u", all[i], "d", "t"), "%s", all[i]);
    cr_assert(row_of("u").admin == false);
    /* ADMIN on a database covers that database; ADMIN on * makes an admin. */
    cr_assert(eq(int, sl_auth_grant(A, SL_LIT("g"), "ADMIN", "d", fe()), SL_OK));
    cr_assert(granted("g", "DROP", "d", "t") && granted("g", "DROP", "e", "t") == false);
    cr_assert(row_of("g").admin == false);
    cr_assert(eq(int, sl_auth_grant(A, SL_LIT("g"), "ADMIN", "*", fe()), SL_OK));
    cr_assert(row_of("g").admin);
    sl_identity id;
    cr_assert(eq(int, sl_auth_login(A, SL_LIT("g"), SL_LIT(""), NULL, &id, fe()), SL_OK));
    cr_assert(id.admin);
}

/* ---- the MySQL credential (docs/mysql.md) ------------------------------------------------ */

/* What a MySQL client answers to scramble for password pw (mysql_native_password). */
static void native_answer(const char *pw, const unsigned char scramble[20], unsigned char out[20])
{
    unsigned char h1[20], h2[20], buf[40], x[20];
    EVP_Digest(pw, strlen(pw), h1, NULL, EVP_sha1(), NULL);
    EVP_Digest(h1, 20, h2, NULL, EVP_sha1(), NULL);
    memcpy(buf, scramble, 20);
    memcpy(buf + 20, h2, 20);
    EVP_Digest(buf, 40, x, NULL, EVP_sha1(), NULL);
    for (int i = 0; i < 20; i++)
        out[i] = h1[i] ^ x[i];
}

static sl_code login_native(const char *user, const char *pw, const char *peer)
{
    unsigned char scramble[20], ans[20];
    for (int i = 0; i < 20; i++)
        scramble[i] = (unsigned char)(i * 7 + 1);
    native_answer(pw, scramble, ans);
    sl_identity id;
    sl_slice a = pw[0] ? (sl_slice){(const char *)ans, 20} : SL_LIT("");
    return sl_auth_login_native(A, sl_slice_of(user), scramble, a, peer, &id, fe());
}

Test(auth, native_credential_made_with_the_password)
{
    add("m", "s3cret");
    user_row r = row_of("m");
    char want[NATIVE_HEX + 1];
    cr_assert(eq(int, make_native(SL_LIT("s3cret"), want, fe()), SL_OK));
    cr_assert(eq(str, r.native, want));
    cr_assert(eq(int, login_native("m", "s3cret", "10.0.0.1"), SL_OK));
    cr_assert(eq(int, login_native("m", "wrong", "10.0.0.1"), SL_UNAUTHORIZED));
    cr_assert(eq(str, LE.msg, "Access denied for user 'm' (using password: YES)"));
    cr_assert(eq(int, login_native("m", "", "10.0.0.1"), SL_UNAUTHORIZED));
    cr_assert(eq(str, LE.msg, "Access denied for user 'm' (using password: NO)"));
    cr_assert(eq(int, login_native("nobody", "s3cret", "10.0.0.1"), SL_UNAUTHORIZED));
    /* a new password replaces the credential in the same transaction */
    cr_assert(eq(int, sl_auth_passwd(A, SL_LIT("m"), SL_LIT("other"), fe()), SL_OK));
    cr_assert(eq(int, login_native("m", "s3cret", "10.0.0.2"), SL_UNAUTHORIZED));
    cr_assert(eq(int, login_native("m", "other", "10.0.0.2"), SL_OK));
    /* dropped with the user */
    cr_assert(eq(int, sl_auth_drop(A, SL_LIT("m"), fe()), SL_OK));
    add("m", "again");
    cr_assert(eq(int, login_native("m", "other", "10.0.0.3"), SL_UNAUTHORIZED));
    cr_assert(eq(int, login_native("m", "again", "10.0.0.3"), SL_OK));
}

Test(auth, native_empty_password_and_root)
{
    /* root/"" as shipped: an empty answer, nothing stored */
    cr_assert(eq(str, row_of("root").native, ""));
    cr_assert(eq(int, login_native("root", "", NULL), SL_OK));
    cr_assert(eq(int, login_native("root", "x", NULL), SL_UNAUTHORIZED));
}

Test(auth, native_credential_of_an_older_user_at_its_next_http_login)
{
    /* a user written before the MySQL protocol: a hash, no credential */
    char hash[HASH_MAX + 1];
    cr_assert(eq(int, make_hash(SL_LIT("pw1"), hash, fe()), SL_OK));
    sl_user_rec u = {.name = SL_LIT("old"), .hash = sl_slice_of(hash)};
    cr_assert(eq(int, sl_store_user_put(S, &u, true, fe()), SL_OK), "%s", LE.msg);
    cr_assert(eq(str, row_of("old").native, ""));
    cr_assert(eq(int, login_native("old", "pw1", "10.0.1.1"), SL_UNAUTHORIZED));
    sl_err e = {0};
    cr_assert(eq(int, login("old", "pw1", "10.0.1.1", &e), SL_OK), "%s", e.msg);
    cr_assert(eq(str, row_of("old").hash, hash)); /* the hash itself is not rewritten */
    cr_assert(eq(int, strlen(row_of("old").native), NATIVE_HEX));
    cr_assert(eq(int, login_native("old", "pw1", "10.0.1.1"), SL_OK));
    /* a credential is void once the hash it was made for is replaced behind its back (an older
     * sluice changing the password writes no credential) */
    char other[HASH_MAX + 1];
    cr_assert(eq(int, make_hash(SL_LIT("pw2"), other, fe()), SL_OK));
    bool changed = false;
    cr_assert(eq(int, sl_store_user_set_hash(S, SL_LIT("old"), sl_slice_of(other), SL_SLICE_NULL,
                                             SL_SLICE_NULL, &changed, fe()), SL_OK));
    cr_assert(changed);
    cr_assert(eq(str, row_of("old").native, ""));
    cr_assert(eq(int, login_native("old", "pw1", "10.0.1.2"), SL_UNAUTHORIZED));
    /* and a credential written for a hash that is no longer stored does not count */
    char n1[NATIVE_HEX + 1];
    cr_assert(eq(int, make_native(SL_LIT("pw1"), n1, fe()), SL_OK));
    cr_assert(eq(int, sl_store_user_native(S, SL_LIT("old"), sl_slice_of(n1),
                                           sl_slice_of(hash), fe()), SL_OK));
    cr_assert(eq(str, row_of("old").native, ""));
}

Test(auth, native_logins_are_throttled_and_locked_like_http_ones)
{
    add("t", "right");
    sl_auth_policy pol = {3, 60};
    cr_assert(eq(int, sl_auth_set_policy(A, SL_LIT("t"), &pol, fe()), SL_OK));
    for (int i = 0; i < 3; i++)
        cr_assert(eq(int, login_native("t", "wrong", "10.0.2.1"), SL_UNAUTHORIZED));
    cr_assert(eq(int, login_native("t", "right", "10.0.2.1"), SL_UNAUTHORIZED));
    cr_assert(strstr(LE.msg, "Account is blocked") != NULL, "%s", LE.msg);
    fake_ms += 61 * 1000;
    cr_assert(eq(int, login_native("t", "right", "10.0.2.1"), SL_OK), "%s", LE.msg);
}
