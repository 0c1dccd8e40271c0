/*
 * auth.h - users, passwords and grants (load stage). auth.c keeps them; priv.h decides what an
 * identity may do with them. docs/SECURITY.md describes the model.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_AUTH_H
#define SL_AUTH_H

#include <stdint.h>

#include "../core/slice.h"
#include "../core/status.h"

typedef struct sl_auth sl_auth;
struct sl_store;

/* Who is asking, once sl_auth_login accepted the password (or a session protocol such as tsload
 * knows the user from its own login). user is borrowed from the caller (the request arena);
 * admin is a shortcut: priv.c looks the user's grants up whenever it is false. */
typedef struct sl_identity {
    sl_slice user;
    bool admin;                     /* ADMIN on everything */
} sl_identity;

/* Doris's FAILED_LOGIN_ATTEMPTS / PASSWORD_LOCK_TIME user properties. After
 * failed_login_attempts consecutive wrong passwords the account refuses every login for
 * password_lock_time_s seconds. */
#define SL_AUTH_LOCK_UNBOUNDED (-1) /* PASSWORD_LOCK_TIME UNBOUNDED: until unlocked */
typedef struct sl_auth_policy {
    int32_t failed_login_attempts;  /* 0: never lock (the default) */
    int64_t password_lock_time_s;   /* > 0, or SL_AUTH_LOCK_UNBOUNDED; default 1 day */
} sl_auth_policy;

/* Users and grants kept in the store; a store without users gets root/"" with ADMIN, as Doris
 * ships. */
sl_code sl_auth_open(struct sl_store *store, sl_auth **out, sl_err *err);
void sl_auth_close(sl_auth *a);

/* Check user's password for a request from peer (an IP address; NULL or "" when unknown).
 * SL_OK fills *id (id->user = user, borrowed). SL_UNAUTHORIZED with Doris's texts: "Access
 * denied for user 'u' (using password: YES)" for an unknown user or a wrong password, "Access
 * denied for user 'u'@'peer'. Account is blocked for ..." while the account or the address is
 * throttled or locked (answered at once, without checking the password), "... Account is
 * locked." for PASSWORD_LOCK_TIME UNBOUNDED. SL_BACKEND when the store cannot be read.
 * Thread-safe. A password verified before (same user, same stored hash) is answered from an
 * in-memory cache without the slow hash; an old hash is rewritten in the current format. */
sl_code sl_auth_login(sl_auth *a, sl_slice user, sl_slice pw, const char *peer, sl_identity *id,
                      sl_err *err);

/* Check a MySQL client's mysql_native_password answer to the 20-byte scramble the server sent
 * (docs/mysql.md): against the credential stored with the password (SHA1(SHA1(password)), made
 * at CREATE USER, SET PASSWORD, `sluice user` and at a user's first HTTP login after an
 * upgrade). An empty answer matches an empty password only. Same gates, texts, throttle and
 * FAILED_LOGIN_ATTEMPTS as sl_auth_login; a user without the credential is refused like a wrong
 * password. Thread-safe. */
sl_code sl_auth_login_native(sl_auth *a, sl_slice user, const unsigned char scramble[20],
                             sl_slice answer, const char *peer, sl_identity *id, sl_err *err);

/* Administration (`sluice user`; SQL's CREATE USER / ALTER USER / GRANT later). Names and
 * passwords are copied. policy may be NULL (no locking). */
sl_code sl_auth_add(sl_auth *a, sl_slice user, sl_slice pw, bool admin,
                    const sl_auth_policy *policy, sl_err *err);
sl_code sl_auth_passwd(sl_auth *a, sl_slice user, sl_slice pw, sl_err *err);
/* DROP USER: the user and its grants. SL_NOT_FOUND for an unknown user. */
sl_code sl_auth_drop(sl_auth *a, sl_slice user, sl_err *err);
/* Set FAILED_LOGIN_ATTEMPTS / PASSWORD_LOCK_TIME (ALTER USER ...). */
sl_code sl_auth_set_policy(sl_auth *a, sl_slice user, const sl_auth_policy *policy, sl_err *err);
/* Clear a lock and the failure count (ALTER USER ... ACCOUNT_UNLOCK). */
sl_code sl_auth_unlock(sl_auth *a, sl_slice user, sl_err *err);

/* GRANT / REVOKE privs ON target TO user. privs: a comma-separated list of LOAD, SELECT,
 * CREATE, DROP, ALTER, ADMIN (an optional _PRIV suffix, any case) or ALL (all but ADMIN).
 * target: "*" or "*.*" (everything), "db" or "db.*", "db.table". SL_INVALID for anything else,
 * SL_NOT_FOUND for an unknown user. */
sl_code sl_auth_grant(sl_auth *a, sl_slice user, const char *privs, const char *target,
                      sl_err *err);
sl_code sl_auth_revoke(sl_auth *a, sl_slice user, const char *privs, const char *target,
                       sl_err *err);

/* Does user hold one of privs[0..n) (upper-case names) or ADMIN on db.table - a grant on "*",
 * on "db", or on "db.table" - or is it an ADMIN user? With an empty table only grants on "*"
 * and "db" count. With any_table, a grant on any table of db counts too. *yes receives the
 * answer. For priv.c; SL_BACKEND when the store cannot be read. */
sl_code sl__auth_granted(sl_auth *a, sl_slice user, const char *const *privs, size_t n,
                         sl_slice db, sl_slice table, bool any_table, bool *yes, sl_err *err);

#endif
