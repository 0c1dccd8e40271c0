/*
 * user.c - `sluice user add|passwd|grant`: edit users.db in the data directory (cli).
 *
 * Works whether or not a server runs on that directory: the server reads users.db on every
 * authentication.
 */
#include "../core/platform.h"

#include <stdio.h>
#include <string.h>

#include "../load/auth.h"
#include "cli.h"

static int usage(FILE *f)
{
    fprintf(f, "usage: sluice user add NAME [--password PW] [--admin] [--data-dir DIR]\n"
               "       sluice user passwd NAME PASSWORD [--data-dir DIR]\n"
               "       sluice user grant NAME LOAD|ADMIN ON DB[.TABLE]|* [--data-dir DIR]\n"
               "Users and privileges live in DIR/users.db (default ./data). LOAD allows Stream\n"
               "Load into the named database or table; ADMIN allows everything.\n");
    return f == stdout ? 0 : 2;
}

int sl__cli_user(int argc, char **argv)
{
    const char *dir = "./data", *pw = "";
    const char *pos[6] = {0};
    int n = 0;
    bool admin = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return usage(stdout);
        if (strcmp(argv[i], "--data-dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--password") == 0 && i + 1 < argc)
            pw = argv[++i];
        else if (strcmp(argv[i], "--admin") == 0)
            admin = true;
        else if (strncmp(argv[i], "--", 2) == 0) {
            fprintf(stderr, "sluice user: %s %s\n",
                    strcmp(argv[i], "--data-dir") == 0 || strcmp(argv[i], "--password") == 0
                        ? "missing value for option"
                        : "unknown option",
                    argv[i]);
            return usage(stderr);
        } else if (n < 6)
            pos[n++] = argv[i];
        else {
            fprintf(stderr, "sluice user: too many arguments\n");
            return usage(stderr);
        }
    }
    if (n < 2) {
        fprintf(stderr, "sluice user: missing arguments\n");
        return usage(stderr);
    }
    sl_auth *a;
    sl_err err = {0};
    if (sl_auth_open(dir, &a, &err) != SL_OK) {
        fprintf(stderr, "sluice user: %s\n", err.msg);
        return 1;
    }
    sl_code rc;
    sl_slice name = sl_slice_of(pos[1]);
    if (strcmp(pos[0], "add") == 0 && n == 2)
        rc = sl_auth_add(a, name, sl_slice_of(pw), admin, &err);
    else if (strcmp(pos[0], "passwd") == 0 && n == 3)
        rc = sl_auth_passwd(a, name, sl_slice_of(pos[2]), &err);
    else if (strcmp(pos[0], "grant") == 0 && n == 5 && strcasecmp(pos[3], "ON") == 0)
        rc = sl_auth_grant(a, name, strcasecmp(pos[2], "admin") == 0 ? "ADMIN" : strcasecmp(pos[2], "load") == 0 ? "LOAD" : pos[2], pos[4], &err);
    else {
        sl_auth_close(a);
        return usage(stderr);
    }
    sl_auth_close(a);
    if (rc != SL_OK) {
        fprintf(stderr, "sluice user: %s\n", err.msg);
        return 1;
    }
    return 0;
}
