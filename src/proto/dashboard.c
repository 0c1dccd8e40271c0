/*
 * dashboard.c - the live load dashboard: GET /dashboard (the page) and GET /api/dashboard (the
 * JSON it polls) (proto stage; obs.h).
 *
 *   browser --GET /dashboard----------> Basic login (401 + WWW-Authenticate: the browser
 *                                       prompts) -> index.html from the embedded files
 *           --GET /dashboard/<file>---> dashboard.js, dashboard.css (same login)
 *           --GET /api/dashboard (1 s)-> {"node", "user", "now_ms", "started_ms", "totals",
 *                                        "running", "recent", "tables", "nodes"}
 *
 * Any user who can log in sees the page; the loads and tables in the JSON are those of the
 * databases whose loads the user may see (SL_ACT_LOAD_INFO, as SHOW STREAM LOAD and
 * get_load_state), so the dashboard shows nobody more than the SQL API would. The files are
 * compiled in from src/proto/dashboard/ (scripts/embed.sh): no CDN, no build step, and the
 * Content-Security-Policy allows this origin only.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <string.h>

#include "obs.h"

static void add_page_headers(sl_http_req *r)
{
    sl_http_add_header(r, "Cache-Control", "no-store");
    sl_http_add_header(r, "X-Content-Type-Options", "nosniff");
    sl_http_add_header(r, "X-Frame-Options", "DENY");
    sl_http_add_header(r, "Content-Security-Policy",
                       "default-src 'self'; script-src 'self'; style-src 'self'; "
                       "connect-src 'self'; frame-ancestors 'none'");
}

/* Log the request in; on failure answer 401 with a Basic challenge (the browser asks for a
 * user and password) and return false. */
static bool login(sl_http_req *r, sl_identity *id)
{
    sl_err err = {0};
    bool none;
    if (sl__login(r, id, NULL, &none, &err) == SL_OK)
        return true;
    char body[SL_ERR_MSG_MAX + 32];
    int n = snprintf(body, sizeof body, "%s\n",
                     none ? "the dashboard needs a user name and password" : err.msg);
    sl_http_respond(r, SL_PRIMARY(err.code) == SL_BACKEND ? 503 : 401,
                    "text/plain; charset=utf-8", body,
                    n < 0 ? 0 : (size_t)n < sizeof body ? (size_t)n : sizeof body - 1);
    sl_http_add_header(r, "WWW-Authenticate", "Basic realm=\"sluice\", charset=\"UTF-8\"");
    return false;
}

static void page_begin(sl_http_req *r)
{
    sl_identity id;
    if (!login(r, &id))
        return;
    sl_slice seg[4];
    size_t n = sl__path_segments(r, seg, SL_COUNT(seg));
    const char *want = n == 1 ? "index.html" : NULL;
    char name[64];
    if (n == 2 && seg[1].n < sizeof name) {
        memcpy(name, seg[1].p, seg[1].n);
        name[seg[1].n] = '\0';
        want = name;
    }
    for (size_t i = 0; want && i < sl__dashboard_n_assets; i++) {
        const sl_asset *a = &sl__dashboard_assets[i];
        if (strcmp(a->name, want) != 0)
            continue;
        sl_http_respond(r, 200, a->type, (const char *)a->p, a->n);
        add_page_headers(r);
        return;
    }
    sl_http_respond(r, 404, "text/plain", "not found\n", 10);
}

static void no_body_end(sl_http_req *r)
{
    if (!r->responded)
        sl_http_respond(r, 500, "text/plain", "no response\n", 12);
}

const sl_http_handler sl_dashboard_page = {"dashboard", page_begin, NULL, no_body_end, NULL,
                                           NULL};

/* ---- GET /api/dashboard --------------------------------------------------------------- */

/* The filter: may this identity see loads of db? Answers are remembered per request (a page
 * lists few databases, and each check may read grants from the store). */
typedef struct viewer {
    sl_app *app;
    const sl_identity *id;
    struct {
        char db[130];
        bool yes;
    } seen[32];
    size_t n;
} viewer;

static bool may_see(void *u, sl_slice db)
{
    viewer *v = u;
    if (v->id->admin)
        return true;
    for (size_t i = 0; i < v->n; i++)
        if (sl_slice_eq(db, v->seen[i].db))
            return v->seen[i].yes;
    sl_err err = {0};
    bool yes = sl_priv_check(v->app->auth, v->id, SL_ACT_LOAD_INFO, db, SL_LIT(""), &err) ==
               SL_OK;
    if (v->n < SL_COUNT(v->seen) && db.n < sizeof v->seen[0].db) {
        memcpy(v->seen[v->n].db, db.p, db.n);
        v->seen[v->n].db[db.n] = '\0';
        v->seen[v->n++].yes = yes;
    }
    return yes;
}

/* "nodes": the cluster's node list (each node's dashboard shows its own loads). */
static void render_nodes(sl_http_req *r, sl_buf *b)
{
    sl_app *app = r->app;
    sl_node_rec *v = NULL;
    size_t n = 0;
    sl_err err = {0};
    if (sl_store_nodes(app->store, &r->arena, &v, &n, &err) != SL_OK)
        n = 0;
    sl_buf_puts(b, ",\"nodes\":[");
    for (size_t i = 0; i < n; i++) {
        sl_buf_puts(b, i ? ",{\"id\":" : "{\"id\":");
        sl_json_str(b, v[i].id.p, v[i].id.n);
        sl_buf_puts(b, ",\"host\":");
        sl_json_str(b, v[i].host.p, v[i].host.n);
        sl_buf_printf(b, ",\"fe_port\":%d,\"be_port\":%d,\"running\":%u,\"alive\":%s,"
                         "\"self\":%s}",
                      v[i].fe_port, v[i].be_port, v[i].running, v[i].alive ? "true" : "false",
                      v[i].self ? "true" : "false");
    }
    sl_buf_puts(b, "]");
}

static void api_begin(sl_http_req *r)
{
    sl_app *app = r->app;
    sl_identity id;
    if (!login(r, &id))
        return;
    viewer v = {.app = app, .id = &id};
    sl_buf b = SL_BUF_INIT;
    sl_slice node = sl_store_node_id(app->store);
    sl_buf_puts(&b, "{\"node\":");
    sl_json_str(&b, node.p, node.n);
    sl_buf_puts(&b, ",\"user\":");
    sl_json_str(&b, id.user.p, id.user.n);
    sl_buf_putc(&b, ',');
    sl__watch_json(app, &b, may_see, &v);
    render_nodes(r, &b);
    sl_buf_puts(&b, "}");
    if (b.oom)
        sl_http_respond(r, 503, "text/plain", "out of memory\n", 14);
    else
        sl_http_respond(r, 200, "application/json", b.p, b.len);
    sl_http_add_header(r, "Cache-Control", "no-store");
    sl_buf_free(&b);
}

const sl_http_handler sl_dashboard_api = {"dashboard-api", api_begin, NULL, no_body_end, NULL,
                                          NULL};
