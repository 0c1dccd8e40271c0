/*
 * account.c - users, grants and the cluster in Doris's SQL (sql stage): CREATE / ALTER / DROP
 * USER, SET PASSWORD, GRANT, REVOKE, SHOW GRANTS, SHOW BACKENDS / FRONTENDS. parse.c hands
 * over after the first words; the result is sl_stmt.account (sql.h). Nothing here knows where
 * users are kept: the SQL API runs the statement against load/auth.c.
 *
 *   user      'name' | name | `name`, with an optional @'host' (kept, not enforced: sluice
 *             has no per-host users)
 *   policy    FAILED_LOGIN_ATTEMPTS n | PASSWORD_LOCK_TIME n DAY|HOUR|SECOND | UNBOUNDED
 *   privs     LOAD_PRIV, SELECT_PRIV, ... | ALL [PRIVILEGES] (comma list, kept as text for
 *             auth.c, which owns the names)
 *   target    *.* | db.* | db.tbl | db
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <string.h>

#include "internal.h"
#include "sql.h"

/* A user name with an optional @host (the host is read and dropped). */
static sl_code user_ident(sl__parser *P, sl_slice *user)
{
    const sl__tok *t = sl__sql_peek(P, 0);
    sl_code rc;
    if (t->kind == SL__TK_STRING)
        rc = sl__sql_value(P, sl__sql_next(P), user);
    else
        rc = sl__sql_ident(P, user);
    if (rc == SL_OK && sl__sql_accept_op(P, "@")) {
        sl_slice host;
        t = sl__sql_peek(P, 0);
        rc = t->kind == SL__TK_STRING ? sl__sql_value(P, sl__sql_next(P), &host)
                                      : sl__sql_ident(P, &host);
    }
    return rc;
}

static sl_code string_value(sl__parser *P, sl_slice *out)
{
    const sl__tok *t = sl__sql_peek(P, 0);
    if (t->kind != SL__TK_STRING)
        return sl__sql_syntax(P, t);
    return sl__sql_value(P, sl__sql_next(P), out);
}

/* A non-negative integer. */
static sl_code number(sl__parser *P, int64_t *out)
{
    const sl__tok *t = sl__sql_peek(P, 0);
    sl_slice v = sl__sql_raw(P, t);
    int64_t x = 0;
    if (t->kind != SL__TK_NUMBER || v.n == 0 || v.n > 9)
        return sl__sql_syntax(P, t);
    for (size_t i = 0; i < v.n; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return sl__sql_syntax(P, t);
        x = x * 10 + (v.p[i] - '0');
    }
    sl__sql_next(P);
    *out = x;
    return SL_OK;
}

/* FAILED_LOGIN_ATTEMPTS / PASSWORD_LOCK_TIME / ACCOUNT_UNLOCK / PASSWORD_HISTORY... in any
 * order; the others Doris has (history, expiry) are refused rather than ignored. */
static sl_code policy(sl__parser *P, sl_account *a)
{
    for (;;) {
        sl_code rc;
        if (sl__sql_accept_kw(P, "FAILED_LOGIN_ATTEMPTS")) {
            if ((rc = number(P, &a->failed_login_attempts)) != SL_OK)
                return rc;
            a->has_policy = true;
        } else if (sl__sql_accept_kw(P, "PASSWORD_LOCK_TIME")) {
            a->has_policy = true;
            if (sl__sql_accept_kw(P, "UNBOUNDED")) {
                a->password_lock_s = -1;
                continue;
            }
            int64_t n;
            if ((rc = number(P, &n)) != SL_OK)
                return rc;
            if (sl__sql_accept_kw(P, "DAY") || sl__sql_accept_kw(P, "DAYS"))
                n *= 86400;
            else if (sl__sql_accept_kw(P, "HOUR") || sl__sql_accept_kw(P, "HOURS"))
                n *= 3600;
            else if (!sl__sql_accept_kw(P, "SECOND") && !sl__sql_accept_kw(P, "SECONDS"))
                return sl__sql_syntax(P, sl__sql_peek(P, 0));
            if (n <= 0)
                return sl_fail(P->err, SL_INVALID_SQL, "PASSWORD_LOCK_TIME must be positive");
            a->password_lock_s = n;
        } else if (sl__sql_accept_kw(P, "ACCOUNT_UNLOCK")) {
            a->unlock = true;
        } else if (sl__sql_is_kw(P, sl__sql_peek(P, 0), "PASSWORD_HISTORY") ||
                   sl__sql_is_kw(P, sl__sql_peek(P, 0), "PASSWORD_EXPIRE") ||
                   sl__sql_is_kw(P, sl__sql_peek(P, 0), "DEFAULT")) {
            const sl__tok *t = sl__sql_peek(P, 0);
            return sl_fail(P->err, SL_INVALID_SQL, "%.*s is not supported (line %u, column %u)",
                           (int)t->len, P->text + t->off, t->line, t->col);
        } else {
            return SL_OK;
        }
    }
}

/* CREATE USER [IF NOT EXISTS] user [IDENTIFIED BY 'pw'] [policy]; CREATE USER is consumed. */
static sl_code create_user(sl__parser *P, sl_stmt *out)
{
    out->kind = SL_STMT_CREATE_USER;
    if (sl__sql_accept_kw(P, "IF")) {
        sl_code rc = sl__sql_expect_kw(P, "NOT");
        if (rc == SL_OK)
            rc = sl__sql_expect_kw(P, "EXISTS");
        if (rc != SL_OK)
            return rc;
        out->if_not_exists = true;
    }
    sl_code rc = user_ident(P, &out->account.user);
    if (rc == SL_OK && sl__sql_accept_kw(P, "IDENTIFIED")) {
        if ((rc = sl__sql_expect_kw(P, "BY")) == SL_OK) {
            sl__sql_accept_kw(P, "PASSWORD");
            rc = string_value(P, &out->account.password);
            out->account.has_password = rc == SL_OK;
        }
    }
    return rc == SL_OK ? policy(P, &out->account) : rc;
}

/* ALTER USER [IF EXISTS] user [IDENTIFIED BY 'pw'] [policy]; ALTER USER is consumed. */
static sl_code alter_user(sl__parser *P, sl_stmt *out)
{
    out->kind = SL_STMT_ALTER_USER;
    if (sl__sql_accept_kw(P, "IF")) {
        sl_code rc = sl__sql_expect_kw(P, "EXISTS");
        if (rc != SL_OK)
            return rc;
        out->if_exists = true;
    }
    sl_code rc = user_ident(P, &out->account.user);
    if (rc == SL_OK && sl__sql_accept_kw(P, "IDENTIFIED")) {
        if ((rc = sl__sql_expect_kw(P, "BY")) == SL_OK) {
            sl__sql_accept_kw(P, "PASSWORD");
            rc = string_value(P, &out->account.password);
            out->account.has_password = rc == SL_OK;
        }
    }
    return rc == SL_OK ? policy(P, &out->account) : rc;
}

/* The privilege list as written ("LOAD_PRIV, SELECT_PRIV"), up to ON. */
static sl_code privs(sl__parser *P, sl_slice *out)
{
    const sl__tok *first = sl__sql_peek(P, 0), *last = first;
    if (sl__sql_is_kw(P, first, "ON"))
        return sl__sql_syntax(P, first);
    while (!sl__sql_is_kw(P, sl__sql_peek(P, 0), "ON")) {
        const sl__tok *t = sl__sql_peek(P, 0);
        if (t->kind == SL__TK_EOF)
            return sl__sql_syntax(P, t);
        if (t->kind != SL__TK_WORD && !sl__sql_is_op(P, t, ","))
            return sl__sql_syntax(P, t);
        last = sl__sql_next(P);
    }
    size_t from = first->off, to = last->off + last->len;
    char *s = sl_arena_memdup(P->a, P->text + from, to - from);
    if (s == NULL)
        return sl_fail(P->err, SL_NOMEM, "out of memory");
    *out = (sl_slice){s, to - from};
    return SL_OK;
}

/* *.* | db.* | db.tbl | db, as text "*", "db", "db.tbl" (auth.c's target form). */
static sl_code target(sl__parser *P, sl_slice *out)
{
    sl_slice db, tbl = SL_SLICE_NULL;
    sl_code rc;
    if (sl__sql_accept_op(P, "*")) {
        if (sl__sql_accept_op(P, ".") && (rc = sl__sql_expect_op(P, "*")) != SL_OK)
            return rc;
        *out = SL_LIT("*");
        return SL_OK;
    }
    if ((rc = sl__sql_ident(P, &db)) != SL_OK)
        return rc;
    if (sl__sql_accept_op(P, ".")) {
        if (!sl__sql_accept_op(P, "*") && (rc = sl__sql_ident(P, &tbl)) != SL_OK)
            return rc;
    }
    size_t n = db.n + (tbl.p ? tbl.n + 1 : 0);
    char *s = sl_arena_alloc(P->a, n + 1);
    if (s == NULL)
        return sl_fail(P->err, SL_NOMEM, "out of memory");
    memcpy(s, db.p, db.n);
    if (tbl.p) {
        s[db.n] = '.';
        memcpy(s + db.n + 1, tbl.p, tbl.n);
    }
    s[n] = '\0';
    *out = (sl_slice){s, n};
    return SL_OK;
}

/* GRANT privs ON target TO user | REVOKE privs ON target FROM user. */
static sl_code grant(sl__parser *P, sl_stmt *out, bool revoke)
{
    out->kind = revoke ? SL_STMT_REVOKE : SL_STMT_GRANT;
    sl_code rc = privs(P, &out->account.privs);
    if (rc == SL_OK)
        rc = sl__sql_expect_kw(P, "ON");
    if (rc == SL_OK) {
        sl__sql_accept_kw(P, "TABLE");
        rc = target(P, &out->account.target);
    }
    if (rc == SL_OK)
        rc = sl__sql_expect_kw(P, revoke ? "FROM" : "TO");
    return rc == SL_OK ? user_ident(P, &out->account.user) : rc;
}

/* SET PASSWORD [FOR user] = PASSWORD('pw') | 'pw'; SET PASSWORD is consumed. */
static sl_code set_password(sl__parser *P, sl_stmt *out)
{
    out->kind = SL_STMT_SET_PASSWORD;
    sl_code rc = SL_OK;
    if (sl__sql_accept_kw(P, "FOR"))
        rc = user_ident(P, &out->account.user);
    if (rc == SL_OK)
        rc = sl__sql_expect_op(P, "=");
    if (rc != SL_OK)
        return rc;
    if (sl__sql_accept_kw(P, "PASSWORD")) {
        if ((rc = sl__sql_expect_op(P, "(")) == SL_OK &&
            (rc = string_value(P, &out->account.password)) == SL_OK)
            rc = sl__sql_expect_op(P, ")");
    } else {
        rc = string_value(P, &out->account.password);
    }
    out->account.has_password = rc == SL_OK;
    return rc;
}

sl_code sl__sql_account(sl__parser *P, const char *first, sl_stmt *out)
{
    if (strcmp(first, "CREATE") == 0)
        return create_user(P, out);
    if (strcmp(first, "ALTER") == 0)
        return alter_user(P, out);
    if (strcmp(first, "DROP") == 0) {
        out->kind = SL_STMT_DROP_USER;
        if (sl__sql_accept_kw(P, "IF")) {
            sl_code rc = sl__sql_expect_kw(P, "EXISTS");
            if (rc != SL_OK)
                return rc;
            out->if_exists = true;
        }
        return user_ident(P, &out->account.user);
    }
    if (strcmp(first, "GRANT") == 0 || strcmp(first, "REVOKE") == 0)
        return grant(P, out, first[0] == 'R');
    if (strcmp(first, "SET") == 0)
        return set_password(P, out);
    /* SHOW ... */
    if (sl__sql_accept_kw(P, "BACKENDS")) {
        out->kind = SL_STMT_SHOW_NODES;
        return SL_OK;
    }
    if (sl__sql_accept_kw(P, "FRONTENDS")) {
        out->kind = SL_STMT_SHOW_NODES;
        out->account.frontends = true;
        return SL_OK;
    }
    out->kind = SL_STMT_SHOW_GRANTS; /* SHOW [ALL] GRANTS [FOR user] */
    out->account.all = sl__sql_accept_kw(P, "ALL");
    sl_code rc = sl__sql_expect_kw(P, "GRANTS");
    if (rc == SL_OK && sl__sql_accept_kw(P, "FOR"))
        rc = user_ident(P, &out->account.user);
    return rc;
}
