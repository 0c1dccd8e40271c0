/* Unit tests of src/sql/account.c: CREATE / ALTER / DROP USER, SET PASSWORD, GRANT, REVOKE,
 * SHOW GRANTS and SHOW BACKENDS / FRONTENDS in Doris's grammar, and what is refused.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "../../../src/core/arena.h"
#include "../../../src/sql/sql.h"
#include "fixture.h"

static sl_stmt S;

TestSuite(account, .init = setup, .fini = teardown);

static sl_code parse(const char *sql)
{
    sl_err_clear(&E);
    return sl_sql_parse(sql, strlen(sql), &A, &S, &E);
}

Test(account, create_user_with_policy)
{
    cr_assert(eq(int, parse("CREATE USER IF NOT EXISTS 'etl'@'%' IDENTIFIED BY 'p w' "
                            "FAILED_LOGIN_ATTEMPTS 3 PASSWORD_LOCK_TIME 2 HOUR"), SL_OK), "%s", E.msg);
    cr_assert(eq(int, S.kind, SL_STMT_CREATE_USER));
    cr_assert(S.if_not_exists);
    cr_assert(eq(str, z(S.account.user), "etl"));
    cr_assert(S.account.has_password);
    cr_assert(eq(str, z(S.account.password), "p w"));
    cr_assert(S.account.has_policy);
    cr_assert(eq(i64, S.account.failed_login_attempts, 3));
    cr_assert(eq(i64, S.account.password_lock_s, 7200));
    cr_assert(eq(int, parse("create user `bob` password_lock_time unbounded"), SL_OK), "%s", E.msg);
    cr_assert(eq(str, z(S.account.user), "bob"));
    cr_assert(S.account.has_password == false);
    cr_assert(eq(i64, S.account.password_lock_s, -1));
}

Test(account, alter_drop_set_password)
{
    cr_assert(eq(int, parse("ALTER USER IF EXISTS u IDENTIFIED BY 'x' ACCOUNT_UNLOCK"), SL_OK));
    cr_assert(eq(int, S.kind, SL_STMT_ALTER_USER));
    cr_assert(S.if_exists && S.account.unlock && S.account.has_password);
    cr_assert(eq(int, parse("DROP USER IF EXISTS 'u'@'10.0.0.1'"), SL_OK));
    cr_assert(eq(int, S.kind, SL_STMT_DROP_USER));
    cr_assert(eq(str, z(S.account.user), "u"));
    cr_assert(eq(int, parse("SET PASSWORD = PASSWORD('new')"), SL_OK), "%s", E.msg);
    cr_assert(eq(int, S.kind, SL_STMT_SET_PASSWORD));
    cr_assert(S.account.user.p == NULL); /* one's own */
    cr_assert(eq(str, z(S.account.password), "new"));
    cr_assert(eq(int, parse("SET PASSWORD FOR 'u' = 'plain'"), SL_OK), "%s", E.msg);
    cr_assert(eq(str, z(S.account.user), "u"));
    cr_assert(eq(str, z(S.account.password), "plain"));
}

Test(account, grant_and_revoke_targets)
{
    cr_assert(eq(int, parse("GRANT LOAD_PRIV, SELECT_PRIV ON db1.* TO 'etl'"), SL_OK), "%s", E.msg);
    cr_assert(eq(int, S.kind, SL_STMT_GRANT));
    cr_assert(eq(str, z(S.account.privs), "LOAD_PRIV, SELECT_PRIV"));
    cr_assert(eq(str, z(S.account.target), "db1"));
    cr_assert(eq(int, parse("REVOKE ALL ON *.* FROM etl"), SL_OK), "%s", E.msg);
    cr_assert(eq(int, S.kind, SL_STMT_REVOKE));
    cr_assert(eq(str, z(S.account.target), "*"));
    cr_assert(eq(int, parse("GRANT ADMIN_PRIV ON d.t TO u"), SL_OK));
    cr_assert(eq(str, z(S.account.target), "d.t"));
}

Test(account, shows)
{
    cr_assert(eq(int, parse("SHOW GRANTS"), SL_OK));
    cr_assert(eq(int, S.kind, SL_STMT_SHOW_GRANTS));
    cr_assert(S.account.user.p == NULL && !S.account.all);
    cr_assert(eq(int, parse("SHOW ALL GRANTS"), SL_OK));
    cr_assert(S.account.all);
    cr_assert(eq(int, parse("show grants for 'x'@'%'"), SL_OK));
    cr_assert(eq(str, z(S.account.user), "x"));
    cr_assert(eq(int, parse("SHOW BACKENDS"), SL_OK));
    cr_assert(eq(int, S.kind, SL_STMT_SHOW_NODES));
    cr_assert(S.account.frontends == false);
    cr_assert(eq(int, parse("SHOW FRONTENDS;"), SL_OK));
    cr_assert(S.account.frontends);
}

Test(account, refusals)
{
    static const char *const bad[] = {
        "GRANT ON db.* TO u",              /* no privileges */
        "GRANT LOAD_PRIV db.* TO u",       /* no ON */
        "GRANT LOAD_PRIV ON db.* u",       /* no TO */
        "CREATE USER u IDENTIFIED 'x'",    /* no BY */
        "CREATE USER u PASSWORD_LOCK_TIME 3 WEEKS",
        "CREATE USER u PASSWORD_HISTORY 5",
        "CREATE USER u FAILED_LOGIN_ATTEMPTS -1",
        "SET PASSWORD FOR u 'x'",
        "DROP USER",
        "SHOW GRANTS FOR",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert(eq(int, parse(bad[i]), SL_INVALID_SQL), "%s", bad[i]);
}
