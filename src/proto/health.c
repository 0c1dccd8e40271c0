/*
 * health.c - liveness and readiness: GET /ping and GET /api/health (proto stage; obs.h).
 *
 *   GET /ping        -> "Ok.\n" as ClickHouse answers: the process serves HTTP (liveness)
 *   GET /api/health  -> ready? --yes--> 200, Doris FE's body {"msg":"success","code":0,
 *                        |               "data":{"online_backend_num":N,"total_backend_num":M},
 *                        |               "count":0} (nodes from the store)
 *                        +--no---> 503, the same envelope with code 1, the reason in msg
 *
 * Ready means the store takes loads now: a probe (sl_store_ping: a catalog connection and the
 * catalog's write transaction, as a load's begin needs) answered within SL_HEALTH_TIMEOUT_MS.
 * The probe runs on a thread of its own, so a store that hangs (a PostgreSQL server gone
 * silent, an embedded catalog locked by another process) costs a health request its time bound,
 * never a worker: requests wait on a condition variable for a probe that started after they
 * asked, and a probe that finished less than FRESH_MS ago answers at once.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../core/mem.h"
#include "obs.h"

/* A probe result younger than this answers without a new probe (probes every few seconds
 * from several balancers cost one store round trip per second at most). */
#define FRESH_MS 1000

struct sl_health {
    sl_app *app;
    pthread_mutex_t mu;
    pthread_cond_t cv;             /* CLOCK_MONOTONIC: waiting requests and the thread */
    uint64_t asked, answered;      /* probe generations: asked by requests, finished */
    bool ok;                       /* the last finished probe's outcome */
    char why[SL_ERR_MSG_MAX];
    uint64_t answered_ms;          /* when it finished (sl_http_now_ms) */
    bool stop, started;
    pthread_t th;
};

static void *probe_main(void *arg)
{
    sl_health *h = arg;
    pthread_mutex_lock(&h->mu);
    for (;;) {
        while (!h->stop && h->asked == h->answered)
            pthread_cond_wait(&h->cv, &h->mu);
        if (h->stop)
            break;
        uint64_t gen = h->asked;
        pthread_mutex_unlock(&h->mu);
        sl_err err = {0};
        bool ok = sl_store_ping(h->app->store, &err) == SL_OK;
        pthread_mutex_lock(&h->mu);
        h->answered = gen;
        h->ok = ok;
        snprintf(h->why, sizeof h->why, "%s", ok ? "" : err.msg);
        h->answered_ms = sl_http_now_ms();
        pthread_cond_broadcast(&h->cv);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

sl_code sl__health_new(sl_app *app, sl_err *err)
{
    sl_health *h = sl_calloc(sizeof *h);
    if (h == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    h->app = app;
    pthread_mutex_init(&h->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&h->cv, &ca);
    pthread_condattr_destroy(&ca);
    app->health = h;
    if (pthread_create(&h->th, NULL, probe_main, h) != 0)
        return sl_fail(err, SL_INTERNAL, "cannot start the health probe thread");
    h->started = true;
    return SL_OK;
}

/* Joins the probe thread: a probe in progress finishes first (the store is still open). */
void sl__health_free(sl_app *app)
{
    sl_health *h = app->health;
    if (h == NULL)
        return;
    if (h->started) {
        pthread_mutex_lock(&h->mu);
        h->stop = true;
        pthread_cond_broadcast(&h->cv);
        pthread_mutex_unlock(&h->mu);
        pthread_join(h->th, NULL);
    }
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    sl_free(h);
    app->health = NULL;
}

bool sl__health_ready(sl_app *app, char *why, size_t cap)
{
    sl_health *h = app->health;
    uint64_t now = sl_http_now_ms();
    pthread_mutex_lock(&h->mu);
    if (h->answered && h->answered == h->asked && now - h->answered_ms < FRESH_MS) {
        bool ok = h->ok;
        snprintf(why, cap, "%s", h->why);
        pthread_mutex_unlock(&h->mu);
        return ok;
    }
    uint64_t mine = ++h->asked;
    pthread_cond_broadcast(&h->cv);
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += SL_HEALTH_TIMEOUT_MS / 1000;
    until.tv_nsec += (long)(SL_HEALTH_TIMEOUT_MS % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L)
        until.tv_sec++, until.tv_nsec -= 1000000000L;
    int rc = 0;
    while (h->answered < mine && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&h->cv, &h->mu, &until);
    bool ok = h->answered >= mine && h->ok;
    if (h->answered >= mine)
        snprintf(why, cap, "%s", h->why);
    else
        snprintf(why, cap, "store unavailable: no answer within %d ms (%s)",
                 SL_HEALTH_TIMEOUT_MS, sl_store_engine(app->store));
    pthread_mutex_unlock(&h->mu);
    return ok;
}

/* ---- GET /api/health ----------------------------------------------------------------------- */

static void health_begin(sl_http_req *r)
{
    sl_app *app = r->app;
    char why[SL_ERR_MSG_MAX];
    sl_buf b = SL_BUF_INIT;
    if (!sl__health_ready(app, why, sizeof why)) {
        sl_buf_puts(&b, "{\"msg\":");
        sl_json_cstr(&b, why);
        sl_buf_puts(&b, ",\"code\":1,\"data\":null,\"count\":0}");
        sl_http_respond(r, 503, "application/json", b.p ? b.p : "", b.len);
        sl_buf_free(&b);
        return;
    }
    sl_node_rec *v = NULL;
    size_t n = 0, alive = 0, total = 0;
    sl_err err = {0};
    if (sl_store_nodes(app->store, &r->arena, &v, &n, &err) != SL_OK)
        n = 0; /* answered just now; a node list that fails counts this node only */
    for (size_t i = 0; i < n; i++) {
        if (v[i].be_port <= 0)
            continue;
        total++;
        alive += v[i].alive;
    }
    if (total == 0)
        alive = total = 1;
    sl_buf_printf(&b, "{\"msg\":\"success\",\"code\":0,\"data\":{\"online_backend_num\":%zu,"
                      "\"total_backend_num\":%zu},\"count\":0}",
                  alive, total);
    sl_http_respond(r, 200, "application/json", b.p ? b.p : "", b.len);
    sl_buf_free(&b);
}

static void no_body_end(sl_http_req *r)
{
    if (!r->responded)
        sl_http_respond(r, 500, "text/plain", "no response\n", 12);
}

const sl_http_handler sl_health_api = {"health", health_begin, NULL, no_body_end, NULL, NULL};

/* ---- GET /ping ----------------------------------------------------------------------------- */

static void ping_begin(sl_http_req *r)
{
    sl_http_respond(r, 200, "text/plain; charset=UTF-8", "Ok.\n", 4);
}

const sl_http_handler sl_ping_api = {"ping", ping_begin, NULL, no_body_end, NULL, NULL};
