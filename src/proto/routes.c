/*
 * routes.c - which handler serves a request: (listener role, method, path) -> adapter
 * (proto stage). A new endpoint is one line in the table.
 */
#include "../core/platform.h"

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
    {FE | BE, "GET", "/api/health", &sl_doris_health},
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

const sl_http_handler *sl__route(void *app, sl_http_req *r)
{
    (void)app;
    for (size_t i = 0; i < SL_COUNT(routes); i++) {
        const route *rt = &routes[i];
        if ((rt->roles & (1 << r->role)) && strcmp(rt->method, r->method) == 0 &&
            match(rt->pattern, r->path))
            return rt->handler;
    }
    return NULL;
}
