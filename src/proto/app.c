/*
 * app.c - the server object: configuration, store, users, listeners (proto stage).
 *
 * sl_app owns all process state; nothing else in the tree keeps mutable globals. Start-up is
 * the only place allowed to fail hard: everything after it reports errors per request.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "obs.h"

void sl_config_default(sl_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->data_dir, sizeof c->data_dir, "./data");
    snprintf(c->bind, sizeof c->bind, "127.0.0.1");
    snprintf(c->store, sizeof c->store, "%s", SL_STORE_DEFAULT);
    c->fe_port = 8030;
    c->be_port = 8040;
    c->tsload_port = 8442;
    c->mysql_port = 9030;
    c->tsload_cycle_idle_s = 3600;
    c->streaming_load_max_mb = 10240;
    c->streaming_load_json_max_mb = 100;
    c->default_timeout_s = 259200;
    c->label_keep_s = 3 * 86400;
    c->precommit_timeout_s = 3600;
    c->node_timeout_s = 10;
    snprintf(c->time_zone, sizeof c->time_zone, "Asia/Shanghai");
    snprintf(c->yamcs_anonymous, sizeof c->yamcs_anonymous, "off");
    c->idle_timeout_s = 300;
    c->max_connections = 1024;
    c->max_connections_per_client = 256;
    c->shutdown_grace_s = 30;
    c->query = sl_query_limits_or_default(NULL);
    c->workers = 8;
    snprintf(c->log_level, sizeof c->log_level, "info");
    c->access_log = true;
}

/* ---- the settings table: every key, its field, and what it means ------------------------- */

enum kind { K_STR, K_PORT, K_U64, K_U32, K_BOOL, K_LEVEL };

typedef struct setting {
    const char *key;
    enum kind kind;
    size_t off, size;     /* the field in sl_config (size: strings only) */
    uint32_t min;         /* K_U32: smaller values are raised to this */
    const char *help;
} setting;

#define STR(k, f, h) {k, K_STR, offsetof(sl_config, f), sizeof(((sl_config *)0)->f), 0, h}
#define NUM(k, kind, f, min, h) {k, kind, offsetof(sl_config, f), 0, min, h}

/* The one list: sl_config_set, the SLUICE_* environment, `serve --help` and
 * docs/sluice.conf.sample (checked by tests/e2e/test_operations.py) all follow it. */
static const setting settings[] = {
    STR("data_dir", data_dir, "where the embedded store, error logs, locks and TLS files live"),
    STR("bind", bind, "listen address of every port"),
    STR("advertise_host", advertise_host, "host put into redirects and ErrorURLs (empty: from "
                                          "the request's Host header)"),
    NUM("fe_port", K_PORT, fe_port, 0, "the front door (307 to the load port); 0 picks a free "
                                       "port, -1 disables"),
    NUM("be_port", K_PORT, be_port, 0, "the load port (Stream Load, Yamcs); 0 free, -1 off"),
    NUM("tsload_port", K_PORT, tsload_port, 0, "the tsload port (HTTPS); 0 free, -1 off"),
    NUM("mysql_port", K_PORT, mysql_port, 0, "the MySQL protocol (Doris's query port: mysql "
                                             "-P 9030); TLS with the tsload certificate; 0 "
                                             "free, -1 off"),
    STR("store", store, "the store: " SL_STORE_DEFAULT " (embedded, in data_dir) or "
                        "postgres://user[:password]@host:port/database"),
    STR("time_zone", time_zone, "time zone of loads, now(), from_unixtime and the history: an "
                                "IANA name or +hh:mm (Doris's default Asia/Shanghai)"),
    NUM("streaming_load_max_mb", K_U64, streaming_load_max_mb, 0, "largest Stream Load body"),
    NUM("streaming_load_json_max_mb", K_U64, streaming_load_json_max_mb, 0,
        "largest JSON body read as one document"),
    NUM("stream_load_default_timeout_second", K_U32, default_timeout_s, 0,
        "load timeout when the request sets none"),
    NUM("stream_load_default_precommit_timeout_second", K_U32, precommit_timeout_s, 0,
        "precommitted (2PC) loads are aborted after this"),
    NUM("label_keep_max_second", K_U32, label_keep_s, 0, "finished labels are kept this long"),
    NUM("node_timeout_second", K_U32, node_timeout_s, 3,
        "several nodes on one store: a node silent this long is dead, and its running loads "
        "are aborted by the others (their labels reusable)"),
    NUM("idle_timeout_second", K_U32, idle_timeout_s, 0,
        "a connection without traffic is closed"),
    NUM("max_connections", K_U32, max_connections, 1,
        "HTTP connections open at once on the FE, load and tsload ports together; more are "
        "closed at once"),
    NUM("max_connections_per_client", K_U32, max_connections_per_client, 1,
        "connections open at once from one client address, on the HTTP ports together and on "
        "the MySQL port; more are closed at once (slow clients cannot take every slot)"),
    NUM("shutdown_grace_second", K_U32, shutdown_grace_s, 0,
        "on SIGTERM/SIGINT, requests in flight get this long to finish before they are cut "
        "off with an error reply"),
    NUM("workers", K_U32, workers, 1, "worker threads running request stages"),
    NUM("query_timeout", K_U32, query.timeout_s, 1,
        "a SELECT running longer is stopped (Doris's query_timeout)"),
    NUM("exec_mem_limit", K_U64, query.mem_bytes, 1,
        "bytes a SELECT's aggregates may hold (Doris's exec_mem_limit)"),
    NUM("query_max_result_rows", K_U64, query.max_rows, 1, "rows one SELECT may return"),
    NUM("query_max_result_bytes", K_U64, query.max_bytes, 1,
        "bytes one SELECT (and any one value) may return"),
    NUM("truncate_strings", K_BOOL, truncate_strings, 0,
        "over-long CHAR/VARCHAR values: false makes the row an error row (Doris 2.1/3.0), true "
        "truncates them (Doris master)"),
    STR("tsload_tls_cert", tsload_tls_cert, "PEM certificate (empty: DATA_DIR/tls/cert.pem, "
                                            "generated when absent)"),
    STR("tsload_tls_key", tsload_tls_key, "PEM key (empty: DATA_DIR/tls/key.pem)"),
    NUM("tsload_plain_http", K_BOOL, tsload_plain_http, 0,
        "serve tsload over plain HTTP (tests only)"),
    NUM("tsload_cycle_idle_timeout_second", K_U32, tsload_cycle_idle_s, 0,
        "an open tsload load cycle idle this long is cancelled"),
    STR("yamcs_anonymous", yamcs_anonymous, "Yamcs requests without credentials: off (refused) "
                                            "or read (tables, dumps and SELECT as user guest)"),
    STR("tls_cert", tls_cert, "PEM certificate: with tls_key, the FE and load ports speak "
                              "HTTPS (Doris's enable_https); empty: plain HTTP"),
    STR("tls_key", tls_key, "PEM private key of tls_cert"),
    {"log_level", K_LEVEL, offsetof(sl_config, log_level), sizeof(((sl_config *)0)->log_level),
     0, "server log level: error, warn, info (one access line per request) or debug"},
    STR("log_file", log_file, "server and access log file, appended to and reopened on SIGHUP "
                              "(logrotate); empty: stderr"),
    NUM("access_log", K_BOOL, access_log, 0,
        "one line per request in the log (time, client, user, method, path, status, bytes, "
        "ms, label); never a password"),
};

static bool parse_u64(const char *v, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (*v == '\0' || *end != '\0' || errno || x > max || *v == '-')
        return false;
    *out = x;
    return true;
}

static const setting *find_setting(const char *key)
{
    for (size_t i = 0; i < SL_COUNT(settings); i++)
        if (strcmp(settings[i].key, key) == 0)
            return &settings[i];
    return NULL;
}

/* Store value into the field of st. The message says what is wrong with the value only; the
 * caller adds where it came from (key, environment variable, file line). */
static sl_code set_value(sl_config *c, const setting *st, const char *value, sl_err *err)
{
    char *field = (char *)c + st->off;
    uint64_t v = 0;
    switch (st->kind) {
    case K_LEVEL:
        if (sl__log_level(value) < 0)
            return sl_fail(err, SL_INVALID, "not a log level (error, warn, info, debug): %s",
                           value);
        /* fall through */
    case K_STR:
        if (strlen(value) >= st->size)
            return sl_fail(err, SL_INVALID, "value too long");
        memcpy(field, value, strlen(value) + 1);
        return SL_OK;
    case K_BOOL:
        if (strcasecmp(value, "true") == 0 || strcmp(value, "1") == 0)
            *(bool *)field = true;
        else if (strcasecmp(value, "false") == 0 || strcmp(value, "0") == 0)
            *(bool *)field = false;
        else
            return sl_fail(err, SL_INVALID, "not a boolean (true or false): %s", value);
        return SL_OK;
    case K_PORT:
        if (strcmp(value, "-1") != 0 && !parse_u64(value, 65535, &v))
            return sl_fail(err, SL_INVALID, "not a valid port (0-65535, -1 to disable): %s",
                           value);
        *(int *)field = strcmp(value, "-1") == 0 ? -1 : (int)v;
        return SL_OK;
    case K_U64:
    case K_U32:
        if (!parse_u64(value, st->kind == K_U32 ? UINT32_MAX : UINT64_MAX, &v))
            return sl_fail(err, SL_INVALID, "not a valid number: %s", value);
        if (st->kind == K_U64)
            *(uint64_t *)field = v;
        else
            *(uint32_t *)field = (uint32_t)v < st->min ? st->min : (uint32_t)v;
        return SL_OK;
    }
    return sl_fail(err, SL_INTERNAL, "bad setting kind");
}

sl_code sl_config_set(sl_config *c, const char *key, const char *value, sl_err *err)
{
    const setting *st = find_setting(key);
    if (st == NULL)
        return sl_fail(err, SL_INVALID, "unknown setting %s", key);
    sl_err e = {0};
    if (strcmp(key, "yamcs_anonymous") == 0 && strcmp(value, "off") != 0 &&
        strcmp(value, "read") != 0)
        return sl_fail(err, SL_INVALID, "%s: not off or read: %s", key, value);
    if (set_value(c, st, value, &e) != SL_OK)
        return sl_fail(err, e.code, "%s: %s", key, e.msg);
    return SL_OK;
}

/* The environment variable of a key: SLUICE_ and the key in upper case. */
static void env_name(const char *key, char *name, size_t cap)
{
    size_t k = (size_t)snprintf(name, cap, "SLUICE_");
    for (const char *q = key; *q && k + 1 < cap; q++)
        name[k++] = (char)toupper((unsigned char)*q);
    name[k] = '\0';
}

/* A field's value as text (the defaults `serve --help` prints). */
static void value_text(const sl_config *c, const setting *st, char *out, size_t cap)
{
    const char *field = (const char *)c + st->off;
    switch (st->kind) {
    case K_LEVEL:
    case K_STR: snprintf(out, cap, "%s", field); break;
    case K_BOOL: snprintf(out, cap, "%s", *(const bool *)field ? "true" : "false"); break;
    case K_PORT: snprintf(out, cap, "%d", *(const int *)field); break;
    case K_U64: snprintf(out, cap, "%llu", (unsigned long long)*(const uint64_t *)field); break;
    case K_U32: snprintf(out, cap, "%u", *(const uint32_t *)field); break;
    }
}

void sl_config_describe(FILE *f)
{
    sl_config d;
    sl_config_default(&d);
    for (size_t i = 0; i < SL_COUNT(settings); i++) {
        char env[80], val[1100];
        env_name(settings[i].key, env, sizeof env);
        value_text(&d, &settings[i], val, sizeof val);
        fprintf(f, "  %s = %s  (%s)\n      %s\n", settings[i].key, val, env, settings[i].help);
    }
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

sl_code sl_config_load_file(sl_config *c, const char *path, sl_err *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return sl_fail(err, SL_INVALID, "cannot read config %s: %s", path, strerror(errno));
    char line[2048];
    int no = 0;
    sl_code rc = SL_OK;
    while (rc == SL_OK && fgets(line, sizeof line, f)) {
        no++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (eq == NULL) {
            rc = sl_fail(err, SL_INVALID, "%s:%d: expected key = value", path, no);
            break;
        }
        *eq = '\0';
        sl_err e = {0};
        if (sl_config_set(c, trim(s), trim(eq + 1), &e) != SL_OK)
            rc = sl_fail(err, SL_INVALID, "%s:%d: %s", path, no, e.msg);
    }
    fclose(f);
    return rc;
}

sl_code sl_config_load_env(sl_config *c, sl_err *err)
{
    for (size_t i = 0; i < SL_COUNT(settings); i++) {
        char name[80];
        env_name(settings[i].key, name, sizeof name);
        const char *v = getenv(name);
        sl_err e = {0};
        if (v && set_value(c, &settings[i], v, &e) != SL_OK)
            return sl_fail(err, e.code, "environment variable %s (setting %s): %s", name,
                           settings[i].key, e.msg);
    }
    return SL_OK;
}

/* The tsload listener: HTTPS with the configured certificate, or one generated on first start
 * into DATA_DIR/tls; plain HTTP only when tsload_plain_http is set. */
static sl_code start_tsload(sl_app *app, sl_err *err)
{
    const sl_config *cfg = &app->cfg;
    if (!cfg->tsload_plain_http) {
        char dir[1100], cert[1200], key[1200];
        snprintf(dir, sizeof dir, "%s/tls", cfg->data_dir);
        snprintf(cert, sizeof cert, "%s", cfg->tsload_tls_cert[0] ? cfg->tsload_tls_cert : "");
        snprintf(key, sizeof key, "%s", cfg->tsload_tls_key[0] ? cfg->tsload_tls_key : "");
        if (cert[0] == '\0' || key[0] == '\0') {
            if (mkdir(dir, 0700) != 0 && errno != EEXIST)
                return sl_fail(err, SL_BACKEND, "cannot create %s: %s", dir, strerror(errno));
            if (cert[0] == '\0')
                snprintf(cert, sizeof cert, "%s/cert.pem", dir);
            if (key[0] == '\0')
                snprintf(key, sizeof key, "%s/key.pem", dir);
        }
        app->tls_ctx = sl_tls_ctx_new(cert, key, true, err);
        if (app->tls_ctx == NULL)
            return err->code ? err->code : SL_INTERNAL;
    }
    return sl_http_listen(app->http, cfg->bind, cfg->tsload_port, SL_ROLE_TSLOAD, app->tls_ctx,
                          &app->tsload_port, err);
}

/* HTTPS on the FE and load ports when tls_cert and tls_key are both set (Doris's enable_https:
 * the same ports, TLS instead of plain HTTP). Nothing is generated for them. */
static sl_code doris_tls(sl_app *app, sl_err *err)
{
    const sl_config *cfg = &app->cfg;
    if (!cfg->tls_cert[0] && !cfg->tls_key[0])
        return SL_OK;
    if (!cfg->tls_cert[0] || !cfg->tls_key[0])
        return sl_fail(err, SL_INVALID, "tls_cert and tls_key go together: %s is not set",
                       cfg->tls_cert[0] ? "tls_key" : "tls_cert");
    app->https_ctx = sl_tls_ctx_new(cfg->tls_cert, cfg->tls_key, false, err);
    return app->https_ctx ? SL_OK : err->code ? err->code : SL_INTERNAL;
}

/* The observers: the server log first (start-up errors after it can be logged), metrics,
 * the job observer. */
static sl_code start_obs(sl_app *app, sl_err *err)
{
    const sl_config *cfg = &app->cfg;
    sl_code rc = sl__log_open(cfg->log_file, cfg->log_level, cfg->access_log, &app->log, err);
    if (rc != SL_OK)
        return rc;
    if ((app->metrics = sl__metrics_new()) == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    app->started_wall_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    return sl__watch_new(app, err);
}

/* The FE and load port listeners. */
static sl_code start_doris(sl_app *app, sl_err *err)
{
    const sl_config *cfg = &app->cfg;
    sl_code rc = doris_tls(app, err);
    app->fe_port = app->be_port = -1;
    if (rc == SL_OK && cfg->be_port >= 0)
        rc = sl_http_listen(app->http, cfg->bind, cfg->be_port, SL_ROLE_BE, app->https_ctx,
                            &app->be_port, err);
    if (rc == SL_OK && cfg->fe_port >= 0)
        rc = sl_http_listen(app->http, cfg->bind, cfg->fe_port, SL_ROLE_FE, app->https_ctx,
                            &app->fe_port, err);
    return rc;
}

/* One server per data directory: an exclusive flock on DATA_DIR/sluice.lock, held for the
 * life of the process (the kernel drops it on exit or crash, so a stale file never blocks a
 * restart). The file holds the owner's pid, for the message a second server prints. */
static sl_code lock_data_dir(sl_app *app, const char *dir, sl_err *err)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/sluice.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return sl_fail(err, SL_BACKEND, "cannot open %s: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char pid[32] = "";
        ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        close(fd);
        if (e != EWOULDBLOCK)
            return sl_fail(err, SL_BACKEND, "cannot lock %s: %s", path, strerror(e));
        long owner = strtol(pid, NULL, 10);
        if (owner > 0)
            return sl_fail(err, SL_BACKEND, "DATA_DIR %s is in use by pid %ld", dir, owner);
        return sl_fail(err, SL_BACKEND, "DATA_DIR %s is in use by another process", dir);
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
        int e = errno;
        close(fd);
        return sl_fail(err, SL_BACKEND, "cannot write %s: %s", path, strerror(e));
    }
    app->lock_fd = fd;
    return SL_OK;
}

/* The store, once the listeners are bound: this node's row in the catalog carries its ports. */
/* DATA_DIR/store.url (mode 0600: it may carry a password) tells `sluice user`, which runs next
 * to the server, which store the server uses; removed for the embedded default. */
static sl_code note_store_url(const sl_config *cfg, sl_err *err)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/store.url", cfg->data_dir);
    if (strcmp(cfg->store, SL_STORE_DEFAULT) == 0) {
        unlink(path);
        return SL_OK;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t n = strlen(cfg->store);
    if (fd < 0 || fchmod(fd, 0600) != 0 || write(fd, cfg->store, n) != (ssize_t)n) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return sl_fail(err, SL_BACKEND, "cannot write %s: %s", path, strerror(e));
    }
    close(fd);
    return SL_OK;
}

static sl_code open_store(sl_app *app, sl_err *err)
{
    const sl_config *cfg = &app->cfg;
    sl_code rc0 = note_store_url(cfg, err);
    if (rc0 != SL_OK)
        return rc0;
    sl_store_opts so = {
        .url = cfg->store,
        .data_dir = cfg->data_dir,
        .label_keep_s = cfg->label_keep_s,
        .precommit_timeout_s = cfg->precommit_timeout_s,
        .node_timeout_s = cfg->node_timeout_s,
        .pool_size = cfg->workers + 2,
        .node = {cfg->advertise_host[0] ? cfg->advertise_host : cfg->bind, app->fe_port,
                 app->be_port, app->tsload_port},
    };
    sl_code rc = sl_store_open(&so, &app->store, err);
    if (rc != SL_OK)
        return rc;
    app->env.store = app->store;
    return sl_auth_open(app->store, &app->auth, err);
}

sl_code sl_app_start(sl_app *app, const sl_config *cfg, sl_err *err)
{
    memset(app, 0, sizeof *app);
    app->cfg = *cfg;
    app->lock_fd = -1;
    pthread_mutex_init(&app->mu, NULL);
    app->mu_ready = true;
    if (mkdir(cfg->data_dir, 0755) != 0 && errno != EEXIST)
        return sl_fail(err, SL_BACKEND, "cannot create %s: %s", cfg->data_dir, strerror(errno));
    sl_code rc;
    if ((rc = lock_data_dir(app, cfg->data_dir, err)) != SL_OK)
        return rc;
    /* The worker pool size is read by libuv when the pool first starts. */
    char n[16];
    snprintf(n, sizeof n, "%u", cfg->workers);
    setenv("UV_THREADPOOL_SIZE", n, 0);
    if ((rc = sl_store_global_init(err)) != SL_OK)
        return rc;
    if ((app->tzdb = sl_tzdb_new(NULL)) == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    if ((rc = sl_tzdb_get(app->tzdb, sl_slice_of(cfg->time_zone), &app->tz, err)) != SL_OK)
        return rc;
    snprintf(app->errlog_dir, sizeof app->errlog_dir, "%s/error_log", cfg->data_dir);
    app->env = (sl_job_env){NULL, app->errlog_dir, NULL};
    if ((rc = start_obs(app, err)) != SL_OK)
        return rc;
    sl_http_config hc;
    sl_http_config_default(&hc);
    hc.idle_timeout_ms = cfg->idle_timeout_s * 1000;
    hc.max_connections = cfg->max_connections;
    hc.max_connections_per_client = cfg->max_connections_per_client;
    hc.on_done = sl__obs_request_done;
    hc.on_log = sl__obs_http_log;
    app->http = sl_http_server_new(&hc, sl__route, app, err);
    if (app->http == NULL)
        return err->code ? err->code : SL_INTERNAL;
    if ((rc = start_doris(app, err)) != SL_OK)
        return rc;
    app->tsload_port = -1;
    if (cfg->tsload_port >= 0 && (rc = start_tsload(app, err)) != SL_OK)
        return rc;
    if ((rc = sl__mysql_start(app, err)) != SL_OK)
        return rc;
    /* The store once the ports are bound (the node row carries them); tsload's cycles need
     * the store to settle the ones a crash interrupted. No request is served before run. */
    if ((rc = open_store(app, err)) != SL_OK || (rc = sl__health_new(app, err)) != SL_OK)
        return rc;
    return cfg->tsload_port >= 0 ? sl__tsload_new(app, err) : SL_OK;
}

sl_code sl_app_run(sl_app *app)
{
    return sl_http_server_run(app->http);
}

void sl_app_stop(sl_app *app)
{
    if (app->http)
        sl_http_server_shutdown(app->http, app->cfg.shutdown_grace_s * 1000u);
}

void sl_app_reopen_logs(sl_app *app)
{
    sl__log_reopen(app->log);
}

void sl_app_free(sl_app *app)
{
    if (app->http)
        sl_http_server_free(app->http);
    sl__mysql_free(app);
    sl__tsload_free(app); /* its open cycles end: the watch and the log still listen */
    if (app->tls_ctx)
        sl_tls_ctx_free(app->tls_ctx);
    if (app->https_ctx)
        sl_tls_ctx_free(app->https_ctx);
    sl__health_free(app); /* before the store it probes */
    if (app->auth)
        sl_auth_close(app->auth);
    sl_store_close(app->store);
    sl__watch_free(app);
    sl__metrics_free(app->metrics);
    sl__log_close(app->log);
    sl_tzdb_free(app->tzdb);
    if (app->mu_ready)
        pthread_mutex_destroy(&app->mu);
    if (app->lock_fd >= 0)
        close(app->lock_fd); /* releases the data directory, last */
    memset(app, 0, sizeof *app);
    app->lock_fd = -1;
}
