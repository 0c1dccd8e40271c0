/*
 * nodes.c - the cluster as the adapters see it: which node a load goes to, and the node list
 * (GET /api/nodes) (proto stage).
 *
 * Every node of a cluster registers in the store's node list and heartbeats (store/ledger.c).
 * A front door picks the live node with the fewest running loads, as a Doris FE picks a BE;
 * counts are a heartbeat old (this node's own too), so the loads this node sent anywhere in
 * the last two heartbeat periods count as well, and ties go round robin: a burst of loads
 * spreads at once. The same pick places tsload cycles (a cycle is no running load until its
 * first upload).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <string.h>

#include "../core/mem.h"
#include "proto.h"

/* Loads sent to a node count against it for this long (two heartbeats). */
#define RECENT_MS 4000

/* How many loads this node sent to node id in the last RECENT_MS (app->mu held). */
static uint32_t recent_locked(sl_app *app, sl_slice id, uint64_t now)
{
    uint32_t n = 0;
    for (size_t i = 0; i < SL_COUNT(app->sent); i++)
        if (app->sent[i].at_ms + RECENT_MS > now && sl_slice_eq(id, app->sent[i].node))
            n++;
    return n;
}

static void remember_locked(sl_app *app, sl_slice id, uint64_t now)
{
    size_t k = app->sent_next++ % SL_COUNT(app->sent);
    snprintf(app->sent[k].node, sizeof app->sent[k].node, "%.*s", (int)id.n, id.p);
    app->sent[k].at_ms = now;
}

sl_code sl__node_pick(sl_app *app, sl_arena_t *a, bool tsload, sl_node_rec *out, sl_err *err)
{
    sl_node_rec *v;
    size_t n;
    sl_code rc = sl_store_nodes(app->store, a, &v, &n, err);
    if (rc != SL_OK)
        return rc;
    uint64_t now = sl_http_now_ms();
    pthread_mutex_lock(&app->mu);
    size_t best = SIZE_MAX, ties = 0;
    uint32_t best_load = UINT32_MAX;
    for (size_t i = 0; i < n; i++) {
        if (!v[i].alive || (tsload ? v[i].tsload_port : v[i].be_port) <= 0)
            continue;
        uint32_t load = v[i].running + recent_locked(app, v[i].id, now);
        if (load < best_load)
            best_load = load, best = i, ties = 1;
        else if (load == best_load && app->rr % ++ties == 0)
            best = i; /* round robin among equals */
    }
    app->rr++;
    if (best == SIZE_MAX) { /* the store lists nobody alive: this node serves */
        pthread_mutex_unlock(&app->mu);
        *out = (sl_node_rec){.self = true, .be_port = app->be_port,
                             .tsload_port = app->tsload_port};
        return SL_OK;
    }
    remember_locked(app, v[best].id, now);
    pthread_mutex_unlock(&app->mu);
    *out = v[best];
    return SL_OK;
}

static void nodes_begin(sl_http_req *r)
{
    sl_app *app = r->app;
    sl_slice user, pw;
    sl_identity id;
    sl_err err = {0};
    if (!sl__basic_auth(r, &user, &pw) ||
        sl_auth_login(app->auth, user, pw, r->peer_ip, &id, &err) != SL_OK ||
        sl_priv_check(app->auth, &id, SL_ACT_LOGIN, SL_LIT(""), SL_LIT(""), &err) != SL_OK) {
        sl__fe_result(r, "Unauthorized", 401, "\"Need auth information.\"");
        return;
    }
    sl_node_rec *v;
    size_t n;
    if (sl_store_nodes(app->store, &r->arena, &v, &n, &err) != SL_OK) {
        sl__fe_fail(r, err.msg);
        return;
    }
    sl_buf b = SL_BUF_INIT;
    sl_buf_puts(&b, "[");
    for (size_t i = 0; i < n; i++) {
        sl_buf_puts(&b, i ? ",{\"id\":" : "{\"id\":");
        sl_json_str(&b, v[i].id.p, v[i].id.n);
        sl_buf_puts(&b, ",\"host\":");
        sl_json_str(&b, v[i].host.p, v[i].host.n);
        sl_buf_printf(&b,
                      ",\"fe_port\":%d,\"be_port\":%d,\"tsload_port\":%d,\"alive\":%s,"
                      "\"self\":%s,\"running_loads\":%u,\"started_ms\":%llu,"
                      "\"last_heartbeat_ms\":%llu}",
                      v[i].fe_port, v[i].be_port, v[i].tsload_port, v[i].alive ? "true" : "false",
                      v[i].self ? "true" : "false", v[i].running,
                      (unsigned long long)v[i].started_ms, (unsigned long long)v[i].heartbeat_ms);
    }
    sl_buf_puts(&b, "]");
    sl__fe_result(r, "success", 0, b.oom ? "[]" : b.p);
    sl_buf_free(&b);
}

static void nodes_end(sl_http_req *r)
{
    if (!r->responded)
        sl_http_respond(r, 500, "text/plain", "no response\n", 12);
}

const sl_http_handler sl_nodes_api = {"nodes", nodes_begin, NULL, nodes_end, NULL, NULL};
