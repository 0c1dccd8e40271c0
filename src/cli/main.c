/*
 * main.c - the sluice command: serve | sql | user | version (cli).
 *
 * `serve` builds the configuration (config file < SLUICE_* environment < flags), starts the
 * server object and runs it until SIGINT/SIGTERM. `sql` talks to a running server over the
 * HTTP SQL API (client.c). `user` edits the users kept in the store. `version` prints the
 * version and commit (core/version.c). The man page (scripts/gen-man.sh) and the bash
 * completion (contrib/sluice.bash-completion) are made from the --help texts here: a command
 * listed by usage() below gets its section and its completion without other changes.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../include/sluice.h"
#include "../core/version.h"
#include "../proto/proto.h"
#include "cli.h"

/* The running server, for the signal handler only (a signal handler cannot be given an
 * argument). sl_app_stop is async-signal-safe (uv_async_send). */
static sl_app *running;

/* argv[0], so the hints printed on start name the binary as it was run (build/sluice from a
 * clone, /usr/bin/sluice from the package). */
static const char *progname = "sluice";

static void on_signal(int sig)
{
    (void)sig;
    if (running)
        sl_app_stop(running);
}

/* SIGHUP: reopen log_file (logrotate moved it). */
static void on_hup(int sig)
{
    (void)sig;
    if (running)
        sl_app_reopen_logs(running);
}

/* full: with every setting key (--help); otherwise the short form after an error. */
static void usage_serve(FILE *f, bool full)
{
    fprintf(f, "usage: sluice serve [--config FILE] [--data-dir DIR] [--bind ADDR]\n"
               "                    [--fe-port N] [--be-port N] [--tsload-port N] [--mysql-port N]\n"
               "                    [--set KEY=VALUE]\n"
               "Serve Doris Stream Load on the front door (default 8030, 307 to the load port) and\n"
               "the load port (default 8040), storing into the embedded store under the data dir.\n"
               "Port 0 picks a free port; the bound ports are printed on start.\n"
               "SIGTERM or SIGINT stops accepting and lets requests in flight finish for up to\n"
               "shutdown_grace_second; a second signal cuts them off at once.\n");
    if (!full) {
        fprintf(f, "sluice serve --help lists every setting key.\n");
        return;
    }
    fprintf(f, "\n"
               "Settings: config file < SLUICE_<KEY> environment < flags (--set KEY=VALUE for\n"
               "any key). A commented sample config: docs/sluice.conf.sample.\n"
               "Each key with its default and environment variable:\n");
    sl_config_describe(f);
}

static const char *flag_key(const char *flag)
{
    static const struct {
        const char *flag, *key;
    } map[] = {{"--data-dir", "data_dir"}, {"--bind", "bind"},         {"--fe-port", "fe_port"},
               {"--be-port", "be_port"},   {"--tsload-port", "tsload_port"},
               {"--mysql-port", "mysql_port"}};
    for (size_t i = 0; i < SL_COUNT(map); i++)
        if (strcmp(flag, map[i].flag) == 0)
            return map[i].key;
    return NULL;
}

/* Config file first (it may be named anywhere on the line), then environment, then flags. */
static int build_config(int argc, char **argv, sl_config *cfg)
{
    sl_err err = {0};
    sl_config_default(cfg);
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], "--config") == 0 && sl_config_load_file(cfg, argv[i + 1], &err) != SL_OK)
            goto bad;
    if (sl_config_load_env(cfg, &err) != SL_OK)
        goto bad;
    for (int i = 0; i < argc; i++) {
        const char *key = flag_key(argv[i]);
        if (strcmp(argv[i], "--config") == 0) {
            if (++i >= argc) {
                fprintf(stderr, "sluice serve: missing value for option --config\n");
                return 2;
            }
            continue;
        }
        if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
            char kv[2048];
            snprintf(kv, sizeof kv, "%s", argv[++i]);
            char *eq = strchr(kv, '=');
            if (eq == NULL) {
                fprintf(stderr, "sluice: --set wants KEY=VALUE\n");
                return 2;
            }
            *eq = '\0';
            if (sl_config_set(cfg, kv, eq + 1, &err) != SL_OK)
                goto bad;
            continue;
        }
        if (key == NULL || i + 1 >= argc) {
            bool known = key || strcmp(argv[i], "--set") == 0;
            fprintf(stderr, "sluice serve: %s %s\n",
                    known ? "missing value for option" : "unknown option", argv[i]);
            usage_serve(stderr, false);
            return 2;
        }
        if (sl_config_set(cfg, key, argv[i + 1], &err) != SL_OK) {
            fprintf(stderr, "sluice: %s %s: %s\n", argv[i], argv[i + 1], err.msg);
            return 2;
        }
        i++;
    }
    return 0;
bad:
    fprintf(stderr, "sluice: %s\n", err.msg);
    return 2;
}

static int cmd_serve(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage_serve(stdout, true);
            return 0;
        }
    sl_config cfg;
    int rc = build_config(argc, argv, &cfg);
    if (rc)
        return rc;
    static sl_app app; /* lives until exit; see `running` */
    sl_err err = {0};
    if (sl_app_start(&app, &cfg, &err) != SL_OK) {
        fprintf(stderr, "sluice: cannot start: %s\n", err.msg);
        sl_app_free(&app);
        return 1;
    }
    running = &app;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_hup);
    signal(SIGPIPE, SIG_IGN);
    const char *scheme = app.https_ctx ? "https" : "http";
    printf("sluice %s listening fe_port=%d be_port=%d tsload_port=%d mysql_port=%d data_dir=%s\n",
           sluice_version(), app.fe_port, app.be_port, app.tsload_port, app.mysql_port,
           cfg.data_dir);
    printf("  create a table: %s sql --port %d \"CREATE DATABASE test\"\n"
           "                  %s sql --port %d --db test \"CREATE TABLE t (id INT, name "
           "VARCHAR(32)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1\"\n"
           "  load a file:    curl --location-trusted -u root: -H \"label:first\" -H "
           "\"column_separator:,\" -T data.csv -XPUT %s://%s:%d/api/test/t/_stream_load\n"
           "             or:  %s load data.csv --port %d --db test --table t -H "
           "\"column_separator:,\"\n"
           "  watch it:       %s://%s:%d/dashboard\n",
           progname, app.fe_port, progname, app.fe_port, scheme, cfg.bind, app.fe_port, progname,
           app.fe_port, scheme, cfg.bind, app.fe_port);
    fflush(stdout);
    sl_code c = sl_app_run(&app);
    running = NULL;
    sl_app_free(&app);
    return c == SL_OK ? 0 : 1;
}

/* `sluice version`: the version and the commit it was built from (scripts/version.sh). */
static int cmd_version(int argc, char **argv)
{
    if (argc > 0 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        printf("usage: sluice version\n"
               "Prints the version (semantic versioning; CHANGELOG.md) and the git commit the\n"
               "binary was built from (git describe, or the commit a release tarball recorded).\n");
        return 0;
    }
    if (argc > 0) {
        fprintf(stderr, "sluice version: unknown option %s\nusage: sluice version\n", argv[0]);
        return 2;
    }
    printf("sluice %s (commit %s)\n", sluice_version(), sl__version_commit());
    return 0;
}

static int usage(FILE *f)
{
    fprintf(f, "usage: sluice <command> [options]\n"
               "  serve     run the server (sluice serve --help)\n"
               "  sql       run one SQL statement against a running server (sluice sql --help)\n"
               "  load      load files into a table, with progress (sluice load --help)\n"
               "  user      manage users and privileges (sluice user --help)\n"
               "  version   print the version and the commit it was built from\n");
    return f == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr);
    progname = argv[0];
    const char *cmd = argv[1];
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc - 2, argv + 2);
    if (strcmp(cmd, "sql") == 0)
        return sl__cli_sql(argc - 2, argv + 2);
    if (strcmp(cmd, "load") == 0)
        return sl__cli_load(argc - 2, argv + 2);
    if (strcmp(cmd, "user") == 0)
        return sl__cli_user(argc - 2, argv + 2);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0)
        return cmd_version(argc - 2, argv + 2);
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0)
        return usage(stdout);
    fprintf(stderr, "sluice: unknown command %s\n", cmd);
    return usage(stderr);
}
