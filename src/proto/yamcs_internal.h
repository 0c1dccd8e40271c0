/*
 * yamcs_internal.h - shared inside the Yamcs table adapter (yamcs.c, yamcs_dump.c,
 * yamcs_meta.c, yamcs_query.c): the request state, reply negotiation, Yamcs error bodies and a small protobuf
 * writer. Spec: specs/yamcs-tables.md.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_YAMCS_INTERNAL_H
#define SL_YAMCS_INTERNAL_H

#include "../decode/pbrows.h"
#include "proto.h"

/* What a request to /api/archive/... does. */
typedef enum yamcs_op {
    YOP_WRITE,          /* POST .../tables/{t}:writeRows */
    YOP_WRITE_LEGACY,   /* POST .../tables/{t}/data */
    YOP_READ,           /* POST .../tables/{t}:readRows */
    YOP_LIST,           /* GET .../tables */
    YOP_GET,            /* GET .../tables/{t} */
    YOP_SQL,            /* POST /api/archive/{inst}:executeSql */
    YOP_SQL_STREAM,     /* POST /api/archive/{inst}:executeStreamingSql */
    YOP_NOOP            /* POST .../tables/{t}:rebuildHistogram: accepted, nothing to do */
} yamcs_op;

/* Request bodies of the unary calls (ReadRowsRequest, ExecuteSqlRequest) are small: 1 MiB. */
#define SL_YAMCS_MAX_REQUEST (1u << 20)

typedef struct yamcs_ctx {
    uint8_t op;                  /* yamcs_op */
    sl_identity id;              /* who logged in */
    bool anonymous;              /* yamcs_anonymous = read, no Authorization: reads only */
    sl_slice db, table;          /* percent-decoded, in the request arena */
    sl_tabledef *def;            /* writes and reads: the table */
    int64_t table_id;
    sl_pbrows_schema schema;
    sl_pbrows *dec;              /* writes */
    sl_batch batch;
    bool batch_ready;
    sl_job *job;                 /* the load, open between begin and commit */
    sl_load_spec spec;
    sl_buf req;                  /* unary request body */
    sl_err err;
} yamcs_ctx;

/* Reply negotiation (specs §3.1): success replies follow Accept when present (exactly
 * application/protobuf, else JSON), else Content-Type; errors follow Accept unless it is
 * absent or * / *, then Content-Type; anything else is JSON. */
bool sl__yamcs_proto_reply(sl_http_req *r);
bool sl__yamcs_proto_error(sl_http_req *r);

/* Answer an ExceptionMessage{code,type,msg[,detail]} for code c (status from the Yamcs column
 * of SL_STATUS_MAP). with_count adds detail = WriteRowsExceptionDetail{count}. The legacy route
 * answers RestExceptionMessage{type,msg,numRowsLoaded}. */
void sl__yamcs_error(sl_http_req *r, const yamcs_ctx *y, sl_code c, const char *msg,
                     bool with_count, uint64_t count);

/* yamcs_auth.c: a bearer token in Authorization (*present), checked: SL_OK fills id; else
 * SL_UNAUTHORIZED (err says why when present). */
sl_code sl__yamcs_bearer(sl_http_req *r, sl_identity *id, bool *present, sl_err *err);
/* yamcs_anonymous = read and the request has no Authorization at all. */
bool sl__yamcs_anonymous_read(const sl_http_req *r);

/* 403 text/plain "Insufficient privileges", as Yamcs answers at the header stage. */
void sl__yamcs_forbidden(sl_http_req *r);

/* Protobuf writer helpers (append to b). */
void sl__pb_varint(sl_buf *b, uint64_t v);
void sl__pb_uint(sl_buf *b, unsigned field, uint64_t v);
void sl__pb_bytes(sl_buf *b, unsigned field, const void *p, size_t n);

/* Read a protobuf message's fields one at a time: returns false at the end or on malformed
 * input (then *bad is set). LEN fields fill *s, varints *v. */
bool sl__pb_next(const uint8_t **p, const uint8_t *end, unsigned *field, uint64_t *v,
                 sl_slice *s, bool *bad);

/* Streamed results (readRows, executeStreamingSql): the server's query limits without the row
 * and byte caps, which exist to bound a reply held in memory; a streamed one holds ~1 MiB. */
sl_query_limits sl__yamcs_stream_limits(const sl_app *app);
/* Write n bytes of a streamed reply; a client gone or stalled becomes an error in err. */
sl_code sl__yamcs_stream_write(sl_http_req *r, const void *p, size_t n, sl_err *err);

/* The stages of the other operations. */
void sl__yamcs_read_end(sl_http_req *r, yamcs_ctx *y);      /* yamcs_dump.c */
void sl__yamcs_list(sl_http_req *r, yamcs_ctx *y);          /* yamcs_meta.c */
void sl__yamcs_get(sl_http_req *r, yamcs_ctx *y);
void sl__yamcs_sql_end(sl_http_req *r, yamcs_ctx *y);       /* yamcs_query.c */

#endif
