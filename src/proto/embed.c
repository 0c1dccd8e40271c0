/*
 * embed.c - include/sluice.h on top of the server object (proto stage).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <string.h>

#include "../../include/sluice.h"
#include "../core/mem.h"
#include "proto.h"

struct sluice_server {
    sl_app app;
};

int sluice_server_start(const char *const *settings, size_t n, sluice_server **out, char *errbuf,
                        size_t errlen)
{
    sl_config cfg;
    sl_err err = {0};
    sl_config_default(&cfg);
    for (size_t i = 0; i < n && settings && settings[i]; i++) {
        char kv[2048];
        snprintf(kv, sizeof kv, "%s", settings[i]);
        char *eq = strchr(kv, '=');
        if (eq == NULL) {
            snprintf(errbuf, errlen, "setting without '=': %s", settings[i]);
            return -1;
        }
        *eq = '\0';
        if (sl_config_set(&cfg, kv, eq + 1, &err) != SL_OK) {
            snprintf(errbuf, errlen, "%s", err.msg);
            return -1;
        }
    }
    sluice_server *s = sl_calloc(sizeof *s);
    if (s == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return -1;
    }
    if (sl_app_start(&s->app, &cfg, &err) != SL_OK) {
        snprintf(errbuf, errlen, "%s", err.msg);
        sl_app_free(&s->app);
        sl_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

int sluice_server_port(const sluice_server *s, const char *role)
{
    if (strcmp(role, "fe") == 0)
        return s->app.fe_port;
    if (strcmp(role, "be") == 0)
        return s->app.be_port;
    return -1;
}

int sluice_server_run(sluice_server *s)
{
    return sl_app_run(&s->app) == SL_OK ? 0 : -1;
}

void sluice_server_stop(sluice_server *s)
{
    sl_app_stop(&s->app);
}

void sluice_server_free(sluice_server *s)
{
    if (s) {
        sl_app_free(&s->app);
        sl_free(s);
    }
}
