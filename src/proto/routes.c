/*
 * routes.c - which handler serves a request: (listener role, method, path) -> adapter
 * (proto stage). A new endpoint is one line in the table.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <string.h>

#include "proto.h"

/* A path pattern: segments separated by '/', "*" matches any one non-empty segment. */
typedef struct route {
    int roles;                 /* bit mask of 1 << SL_ROLE_* */
    const char *method;
    const char *pattern;
    const sl_http_handler *handler;
} route;

#define FE (1 << SL_ROLE_FE)
#define BE (1 << SL_ROLE_BE)
#define TS (1 << SL_ROLE_TSLOAD)

static const route routes[] = {
    {FE, "PUT", "/api/*/*/_stream_load", &sl_doris_fe_redirect},
    {BE, "PUT", "/api/*/*/_stream_load", &sl_doris_stream_load},
    {FE, "PUT", "/api/_http_stream", &sl_doris_fe_redirect},
    {BE, "PUT", "/api/_http_stream", &sl_doris_http_stream},
    {FE | BE, "PUT", "/api/*/_stream_load_2pc", &sl_doris_2pc},
    {FE | BE, "PUT", "/api/*/*/_stream_load_2pc", &sl_doris_2pc},
    {FE | BE, "GET", "/api/*/get_load_state", &sl_doris_load_state},
    {FE | BE, "GET", "/api/_load_error_log", &sl_doris_error_log},
    {FE | BE, "GET", "/api/health", &sl_health_api},
    {FE | BE, "GET", "/ping", &sl_ping_api},
    {FE | BE | TS, "GET", "/metrics", &sl_metrics_api},
    {FE | BE, "GET", "/api/metrics", &sl_metrics_api},
    {FE | BE, "GET", "/dashboard", &sl_dashboard_page},
    {FE | BE, "GET", "/dashboard/*", &sl_dashboard_page},
    {FE | BE, "GET", "/api/dashboard", &sl_dashboard_api},
    {FE | BE, "GET", "/api/nodes", &sl_nodes_api},
    {FE | BE, "POST", "/api/query/*/*", &sl_sqlapi_query},
    {TS, "POST", "/ts_dataservice/v1/public/loads/*", &sl_tsload_upload},
    {TS, "GET", "/ts_dataservice/v1/public/*", &sl_tsload_api},
    {TS, "POST", "/ts_dataservice/v1/public/*", &sl_tsload_api},
    {TS, "GET", "/ts_dataservice/v1/public/loads/*", &sl_tsload_api},
    {TS, "POST", "/ts_dataservice/v1/public/loads/*/*", &sl_tsload_api},
    {TS, "GET", "/ts_dataservice/v1/public/loads/*/*", &sl_tsload_api},
    {TS, "GET", "/ts_dataservice/v1/loads/*", &sl_tsload_api},
    {BE, "POST", "/api/archive/*", &sl_yamcs_api},             /* {inst}:executeSql */
    {BE, "GET", "/api/archive/*/tables", &sl_yamcs_api},
    {BE, "GET", "/api/archive/*/tables/*", &sl_yamcs_api},
    {BE, "POST", "/api/archive/*/tables/*", &sl_yamcs_api},    /* {t}:writeRows, :readRows */
    {BE, "POST", "/api/archive/*/tables/*/data", &sl_yamcs_api}, /* legacy load */
    {BE, "GET", "/auth", &sl_yamcs_auth},                      /* AuthInfo */
    {BE, "POST", "/auth/token", &sl_yamcs_auth},               /* password, refresh_token */
    {BE, "GET", "/api/user", &sl_yamcs_auth},                  /* UserInfo */
    {BE, "GET", "/api", &sl_yamcs_auth},                       /* server info (yamcs-cli) */
};

static bool match(const char *pat, sl_slice path)
{
    const char *p = path.p, *end = path.p + path.n;
    while (*pat) {
        if (*pat == '*') {
            const char *s = p;
            while (p < end && *p != '/')
                p++;
            if (p == s)
                return false;
            pat++;
            continue;
        }
        if (p >= end || *p != *pat)
            return false;
        p++;
        pat++;
    }
    while (p < end && *p == '/') /* tolerate a trailing slash */
        p++;
    return p == end;
}

/* The methods the table allows on r's path at r's listener, "PUT" or "GET, POST", into out.
 * Returns the length; 0 when no route has this path. */
static size_t allowed_methods(const sl_http_req *r, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < SL_COUNT(routes); i++) {
        const route *rt = &routes[i];
        if (!(rt->roles & (1 << r->role)) || !match(rt->pattern, r->path))
            continue;
        bool seen = false; /* a method listed once, however many patterns allow it */
        for (size_t j = 0; j < i && !seen; j++)
            seen = (routes[j].roles & (1 << r->role)) && match(routes[j].pattern, r->path) &&
                   strcmp(routes[j].method, rt->method) == 0;
        int k = seen ? 0 : snprintf(out + len, cap - len, "%s%s", len ? ", " : "", rt->method);
        if (k > 0 && (size_t)k < cap - len)
            len += (size_t)k;
    }
    return len;
}

/* A known path asked with a method it does not take: 405 with Allow (RFC 9110 15.5.6),
 * rather than the 404 "not found" that would send the user looking for a wrong URL. */
static void wrong_method_begin(sl_http_req *r)
{
    char allow[64], body[512];
    allowed_methods(r, allow, sizeof allow);
    int n = snprintf(body, sizeof body, "method %s is not allowed on %.*s; use %s\n", r->method,
                     (int)(r->path.n < 200 ? r->path.n : 200), r->path.p, allow);
    sl_http_respond(r, 405, "text/plain; charset=utf-8", body,
                    n < 0 ? 0 : (size_t)n < sizeof body ? (size_t)n : sizeof body - 1);
    sl_http_add_header(r, "Allow", allow);
}

static void wrong_method_end(sl_http_req *r)
{
    if (!r->responded)
        wrong_method_begin(r);
}

static const sl_http_handler wrong_method = {"method-not-allowed", wrong_method_begin, NULL,
                                             wrong_method_end, NULL, NULL};

const sl_http_handler *sl__route(void *app, sl_http_req *r)
{
    (void)app;
    bool path_known = false;
    for (size_t i = 0; i < SL_COUNT(routes); i++) {
        const route *rt = &routes[i];
        if (!(rt->roles & (1 << r->role)) || !match(rt->pattern, r->path))
            continue;
        if (strcmp(rt->method, r->method) == 0)
            return rt->handler;
        path_known = true;
    }
    return path_known ? &wrong_method : NULL;
}
