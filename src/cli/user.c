/*
 * user.c - `sluice user add|passwd|grant`: edit the users kept in the store (cli).
 *
 * Works whether or not a server runs on that store: the server reads users from the store on
 * every authentication. The store is opened as a tool (no recovery, no node registration).
 */
#include "../core/platform.h"

#include <stdio.h>
#include <string.h>

#include "../load/auth.h"
#include "../store/store.h"
#include "cli.h"

static int usage(FILE *f)
{
    fprintf(f, "usage: sluice user add NAME [--password PW] [--admin] [STORE]\n"
               "       sluice user passwd NAME PASSWORD [STORE]\n"
               "       sluice user grant NAME LOAD|ADMIN ON DB[.TABLE]|* [STORE]\n"
               "STORE: [--data-dir DIR] [--store URL] (default ./data and the embedded store).\n"
               "Users and privileges live in the store. LOAD allows Stream Load into the named\n"
               "database or table; ADMIN allows everything.\n");
    return f == stdout ? 0 : 2;
}

int sl__cli_user(int argc, char **argv)
{
    const char *dir = "./data", *pw = "", *url = "sqlite";
    const char *pos[6] = {0};
    int n = 0;
    bool admin = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return usage(stdout);
        if (strcmp(argv[i], "--data-dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--store") == 0 && i + 1 < argc)
            url = argv[++i];
        else if (strcmp(argv[i], "--password") == 0 && i + 1 < argc)
            pw = argv[++i];
        else if (strcmp(argv[i], "--admin") == 0)
            admin = true;
        else if (n < 6)
            pos[n++] = argv[i];
        else
            return usage(stderr);
    }
    if (n < 2)
        return usage(stderr);
    sl_auth *a;
    sl_store *store = NULL;
    sl_err err = {0};
    sl_store_opts so = {.url = url, .data_dir = dir, .tool = true};
    if (sl_store_global_init(&err) != SL_OK || sl_store_open(&so, &store, &err) != SL_OK ||
        sl_auth_open(store, &a, &err) != SL_OK) {
        fprintf(stderr, "sluice user: %s\n", err.msg);
        sl_store_close(store);
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
        sl_store_close(store);
        return usage(stderr);
    }
    sl_auth_close(a);
    sl_store_close(store);
    if (rc != SL_OK) {
        fprintf(stderr, "sluice user: %s\n", err.msg);
        return 1;
    }
    return 0;
}
