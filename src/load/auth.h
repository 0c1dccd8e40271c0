/*
 * auth.h - users and privileges (load stage). See auth.c for storage and hashing.
 */
#ifndef SL_AUTH_H
#define SL_AUTH_H

#include "../core/slice.h"
#include "../core/status.h"

typedef struct sl_auth sl_auth;
struct sl_store;

/* Users and privileges kept in the store; a store without users gets root/"" with ADMIN. */
sl_code sl_auth_open(struct sl_store *store, sl_auth **out, sl_err *err);
void sl_auth_close(sl_auth *a);

/* Verify a password. SL_UNAUTHORIZED with Doris's "Access denied for user ..." text when the
 * user is unknown or the password wrong. *admin (may be NULL) tells whether the user is ADMIN. */
sl_code sl_auth_check(const sl_auth *a, sl_slice user, sl_slice pw, bool *admin, sl_err *err);

/* Does user hold priv ("LOAD" or "ADMIN") on db.table (either may be empty)? ADMIN users hold
 * everything. SL_FORBIDDEN with Doris's "Access denied; you need ..." text otherwise. */
sl_code sl_auth_allowed(const sl_auth *a, sl_slice user, const char *priv, sl_slice db,
                        sl_slice table, sl_err *err);

/* Administration, used by `sluice user`. target is "*", "db" or "db.table". */
sl_code sl_auth_add(const sl_auth *a, sl_slice user, sl_slice pw, bool admin, sl_err *err);
sl_code sl_auth_passwd(const sl_auth *a, sl_slice user, sl_slice pw, sl_err *err);
sl_code sl_auth_grant(const sl_auth *a, sl_slice user, const char *priv, const char *target,
                      sl_err *err);

#endif
