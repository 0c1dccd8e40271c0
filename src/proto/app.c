/*
 * app.c - the server object: configuration, store, users, listeners (proto stage).
 *
 * sl_app owns all process state; nothing else in the tree keeps mutable globals. Start-up is
 * the only place allowed to fail hard: everything after it reports errors per request.
 */
#include "../core/platform.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "proto.h"

void sl_config_default(sl_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->data_dir, sizeof c->data_dir, "./data");
    snprintf(c->bind, sizeof c->bind, "127.0.0.1");
    snprintf(c->store, sizeof c->store, "sqlite");
    c->fe_port = 8030;
    c->be_port = 8040;
    c->tsload_port = 8442;
    c->tsload_cycle_idle_s = 3600;
    c->streaming_load_max_mb = 10240;
    c->streaming_load_json_max_mb = 100;
    c->default_timeout_s = 259200;
    c->label_keep_s = 3 * 86400;
    c->precommit_timeout_s = 3600;
    c->default_tz_offset_s = 8 * 3600;
    c->idle_timeout_s = 300;
    c->workers = 8;
}

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

sl_code sl_config_set(sl_config *c, const char *key, const char *value, sl_err *err)
{
    static const struct {
        const char *key;
        size_t off, size;
    } strs[] = {
        {"data_dir", offsetof(sl_config, data_dir), sizeof c->data_dir},
        {"bind", offsetof(sl_config, bind), sizeof c->bind},
        {"advertise_host", offsetof(sl_config, advertise_host), sizeof c->advertise_host},
        {"store", offsetof(sl_config, store), sizeof c->store},
        {"tsload_tls_cert", offsetof(sl_config, tsload_tls_cert), sizeof c->tsload_tls_cert},
        {"tsload_tls_key", offsetof(sl_config, tsload_tls_key), sizeof c->tsload_tls_key},
    };
    for (size_t i = 0; i < SL_COUNT(strs); i++) {
        if (strcmp(key, strs[i].key) != 0)
            continue;
        if (strlen(value) >= strs[i].size)
            return sl_fail(err, SL_INVALID, "%s: value too long", key);
        memcpy((char *)c + strs[i].off, value, strlen(value) + 1);
        return SL_OK;
    }
    uint64_t v = 0;
    bool port = strcmp(key, "fe_port") == 0 || strcmp(key, "be_port") == 0 ||
                strcmp(key, "tsload_port") == 0;
    bool wide = strcmp(key, "exec_mem_limit") == 0 || strncmp(key, "query_max_result_", 17) == 0;
    if (port && strcmp(value, "-1") == 0)
        v = (uint64_t)-1;
    else if (!parse_u64(value, port ? 65535 : wide ? UINT64_MAX : UINT32_MAX, &v) &&
             strcmp(key, "truncate_strings") != 0 && strcmp(key, "tsload_plain_http") != 0)
        return sl_fail(err, SL_INVALID, "%s: not a valid number: %s", key, value);
    if (strcmp(key, "fe_port") == 0)
        c->fe_port = (int)v;
    else if (strcmp(key, "be_port") == 0)
        c->be_port = (int)v;
    else if (strcmp(key, "tsload_port") == 0)
        c->tsload_port = (int)v;
    else if (strcmp(key, "streaming_load_max_mb") == 0)
        c->streaming_load_max_mb = v;
    else if (strcmp(key, "streaming_load_json_max_mb") == 0)
        c->streaming_load_json_max_mb = v;
    else if (strcmp(key, "stream_load_default_timeout_second") == 0)
        c->default_timeout_s = (uint32_t)v;
    else if (strcmp(key, "stream_load_default_precommit_timeout_second") == 0)
        c->precommit_timeout_s = (uint32_t)v;
    else if (strcmp(key, "label_keep_max_second") == 0)
        c->label_keep_s = (uint32_t)v;
    else if (strcmp(key, "idle_timeout_second") == 0)
        c->idle_timeout_s = (uint32_t)v;
    else if (strcmp(key, "workers") == 0)
        c->workers = (uint32_t)(v ? v : 1);
    else if (strcmp(key, "truncate_strings") == 0)
        c->truncate_strings = strcmp(value, "true") == 0 || strcmp(value, "1") == 0;
    else if (strcmp(key, "tsload_plain_http") == 0)
        c->tsload_plain_http = strcmp(value, "true") == 0 || strcmp(value, "1") == 0;
    else if (strcmp(key, "tsload_cycle_idle_timeout_second") == 0)
        c->tsload_cycle_idle_s = (uint32_t)v;
    else if (strcmp(key, "query_timeout") == 0)
        c->query.timeout_s = (uint32_t)v;
    else if (strcmp(key, "exec_mem_limit") == 0)
        c->query.mem_bytes = v;
    else if (strcmp(key, "query_max_result_rows") == 0)
        c->query.max_rows = v;
    else if (strcmp(key, "query_max_result_bytes") == 0)
        c->query.max_bytes = v;
    else
        return sl_fail(err, SL_INVALID, "unknown setting %s", key);
    return SL_OK;
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
    static const char *const keys[] = {"data_dir", "bind", "advertise_host", "store", "fe_port",
                                       "be_port", "tsload_port", "streaming_load_max_mb",
                                       "streaming_load_json_max_mb", "label_keep_max_second",
                                       "stream_load_default_precommit_timeout_second",
                                       "idle_timeout_second", "workers", "truncate_strings",
                                       "tsload_tls_cert", "tsload_tls_key", "tsload_plain_http",
                                       "tsload_cycle_idle_timeout_second"};
    for (size_t i = 0; i < SL_COUNT(keys); i++) {
        char name[64] = "SLUICE_";
        size_t k = 7;
        for (const char *q = keys[i]; *q && k < sizeof name - 1; q++)
            name[k++] = (char)toupper((unsigned char)*q);
        name[k] = '\0';
        const char *v = getenv(name);
        if (v && sl_config_set(c, keys[i], v, err) != SL_OK)
            return err->code;
    }
    return SL_OK;
}

/* The tsload listener: HTTPS with the configured certificate, or one generated on first start
 * into DATA_DIR/tls; plain HTTP only when tsload_plain_http is set. */
static sl_code start_tsload(sl_app *app, sl_err *err)
{
    const sl_config *cfg = &app->cfg;
    sl_code rc = sl__tsload_new(app, err);
    if (rc != SL_OK)
        return rc;
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

sl_code sl_app_start(sl_app *app, const sl_config *cfg, sl_err *err)
{
    memset(app, 0, sizeof *app);
    app->cfg = *cfg;
    if (mkdir(cfg->data_dir, 0755) != 0 && errno != EEXIST)
        return sl_fail(err, SL_BACKEND, "cannot create %s: %s", cfg->data_dir, strerror(errno));
    /* The worker pool size is read by libuv when the pool first starts. */
    char n[16];
    snprintf(n, sizeof n, "%u", cfg->workers);
    setenv("UV_THREADPOOL_SIZE", n, 0);
    sl_code rc;
    if ((rc = sl_store_global_init(err)) != SL_OK)
        return rc;
    app->sv = sl_store_find(cfg->store);
    if (app->sv == NULL)
        return sl_fail(err, SL_INVALID, "unknown store %s", cfg->store);
    sl_store_opts so = {cfg->data_dir, cfg->label_keep_s, 0, cfg->precommit_timeout_s};
    if ((rc = app->sv->open(&so, &app->store, err)) != SL_OK)
        return rc;
    if ((rc = sl_auth_open(cfg->data_dir, &app->auth, err)) != SL_OK)
        return rc;
    snprintf(app->errlog_dir, sizeof app->errlog_dir, "%s/error_log", cfg->data_dir);
    app->env = (sl_job_env){app->sv, app->store, app->errlog_dir};
    sl_http_config hc;
    sl_http_config_default(&hc);
    hc.idle_timeout_ms = cfg->idle_timeout_s * 1000;
    app->http = sl_http_server_new(&hc, sl__route, app, err);
    if (app->http == NULL)
        return err->code ? err->code : SL_INTERNAL;
    app->fe_port = app->be_port = -1;
    if (cfg->be_port >= 0 &&
        (rc = sl_http_listen(app->http, cfg->bind, cfg->be_port, SL_ROLE_BE, NULL, &app->be_port,
                             err)) != SL_OK)
        return rc;
    if (cfg->fe_port >= 0 &&
        (rc = sl_http_listen(app->http, cfg->bind, cfg->fe_port, SL_ROLE_FE, NULL, &app->fe_port,
                             err)) != SL_OK)
        return rc;
    app->tsload_port = -1;
    if (cfg->tsload_port >= 0)
        return start_tsload(app, err);
    return SL_OK;
}

sl_code sl_app_run(sl_app *app)
{
    return sl_http_server_run(app->http);
}

void sl_app_stop(sl_app *app)
{
    if (app->http)
        sl_http_server_stop(app->http);
}

void sl_app_free(sl_app *app)
{
    if (app->http)
        sl_http_server_free(app->http);
    sl__tsload_free(app);
    if (app->tls_ctx)
        sl_tls_ctx_free(app->tls_ctx);
    if (app->auth)
        sl_auth_close(app->auth);
    if (app->store)
        app->sv->close(app->store);
    memset(app, 0, sizeof *app);
}
