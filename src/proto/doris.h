/*
 * doris.h - shared inside the Doris adapter (doris.c, doris_spec.c).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_DORIS_H
#define SL_DORIS_H

#include "proto.h"

/* Parse the load headers (or, with props, `_http_stream`'s http_stream(...) properties) into s (slices point into the request). SL_INVALID / SL_FORMAT with
 * Doris's message on a bad header. */
sl_code sl__doris_spec(sl_http_req *r, const sl_property *props, size_t n_props,
                       const sl_config *cfg, sl_slice db, sl_slice table, sl_load_spec *s,
                       sl_err *err);

/* Request headers that are no Doris Stream Load header but within a small edit distance of
 * one (`colum_separator`): "unknown header 'colum_separator' was ignored; did you mean
 * 'column_separator'?", several joined by "; ", written into out (always NUL-terminated;
 * warnings that do not fit whole are left out). Returns the length, 0 when there is none. */
size_t sl__doris_header_warnings(const sl_http_req *r, char *out, size_t cap);

/* State of one load request (Stream Load or _http_stream), in the request arena. */
typedef struct load_ctx {
    sl_load_spec spec;
    sl_job *job;
    sl_load_result res;         /* valid when the job never started */
    uint64_t max_body;          /* bytes */
    const char *max_conf;       /* name of the limit in messages */
    char warnings[512];         /* the reply's "Warnings" (misspelt headers), "" when none */
} load_ctx;

/* Shared by doris.c and http_stream.c: make the request's load_ctx (NULL after answering 503),
 * check Basic auth and LOAD on db.table at the load port, start the job once the spec is
 * filled (answers on failure), answer a failure that happened before the job existed, and the
 * body/end/expire/cleanup stages of a load. */
load_ctx *sl__doris_new_ctx(sl_http_req *r);
sl_code sl__doris_be_auth(sl_http_req *r, sl_slice db, sl_slice table, sl_err *err);
void sl__doris_start_job(sl_http_req *r, load_ctx *lc);
void sl__doris_reply_early(sl_http_req *r, load_ctx *lc, const sl_err *err);
void sl__doris_load_body(sl_http_req *r, const char *p, size_t n);
void sl__doris_load_end(sl_http_req *r);
void sl__doris_load_expire(sl_http_req *r);
void sl__doris_load_cleanup(sl_http_req *r);

#endif
