/*
 * tsload_internal.h - shared inside the tsload adapter only (proto stage): the streaming
 * multipart/form-data parser, load parameters, sessions and load cycles.
 *
 *   tsload.c           HTTP handlers: ping, session, StartLoad, upload, commit, status, ...
 *   tsload_multipart.c multipart/form-data body -> the bytes of each file part
 *   tsload_delimited.c the DELIMITED decoder with an escape character
 *   tsload_cycle.c     sessions, the cycle registry, a cycle's load job, commit, status JSON
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_TSLOAD_INTERNAL_H
#define SL_TSLOAD_INTERNAL_H

#include <pthread.h>

#include "../batch/datefmt.h"
#include "proto.h"

/* ---- multipart/form-data (tsload_multipart.c) ------------------------------------------- */

/* Boundaries are at most 70 bytes (RFC 2046); a little slack for sloppy clients. */
#define SL_MP_BOUNDARY_MAX 200
/* A part's header block larger than this is an error: real clients send two short lines. */
#define SL_MP_HEADER_MAX 8192

typedef struct sl_mp_callbacks {
    /* A part begins. is_file: it has a filename or a Content-Type (form fields are skipped). */
    sl_code (*part_begin)(void *arg, bool is_file);
    /* Bytes of the current file part, in order, in pieces of any size. */
    sl_code (*data)(void *arg, const char *p, size_t n);
    /* The current file part ended. */
    sl_code (*part_end)(void *arg);
    void *arg;
} sl_mp_callbacks;

typedef struct sl_multipart {
    char delim[SL_MP_BOUNDARY_MAX + 4];  /* "\r\n--" boundary */
    size_t delim_len;
    uint8_t fail[SL_MP_BOUNDARY_MAX + 4];/* KMP failure function of delim */
    size_t match;                        /* bytes of delim matched so far */
    int state;                           /* sw_* in tsload_multipart.c */
    bool in_file;                        /* the current part is delivered */
    size_t hdr_len;
    char hdr[SL_MP_HEADER_MAX];
} sl_multipart;

/* Prepare m for a body with this Content-Type ("multipart/form-data; boundary=..."). SL_INVALID
 * when the type is not multipart or has no usable boundary. */
sl_code sl__mp_init(sl_multipart *m, sl_slice content_type, sl_err *err);

/* Feed n bytes; the callbacks run for what they complete. A boundary may be cut anywhere
 * between two calls. SL_OK, SL_INVALID (malformed; err says why) or a callback's code. */
sl_code sl__mp_push(sl_multipart *m, const char *p, size_t n, const sl_mp_callbacks *cb,
                    sl_err *err);

/* End of body: SL_OK when the closing boundary was seen, else SL_INVALID. */
sl_code sl__mp_finish(sl_multipart *m, sl_err *err);

/* ---- DELIMITED with an escape_character (tsload_delimited.c) ---------------------------- */

/* A decoder (decoder.h contract) for format.type DELIMITED with an escape_character: the
 * escape protects the next byte, separators and line breaks included. Reads col_sep, escape,
 * skip_lines, validate_utf8 and max_record_bytes of the options. */
extern const sl_decoder_vtab sl__ts_decoder_delimited;

/* ---- load parameters (tsload.c) ---------------------------------------------------------- */

typedef struct sl_ts_params {
    sl_slice db, schema, table;
    sl_slice type;                   /* "csv" or "delimited" (compared case-insensitively) */
    sl_slice field_sep, enclose, escape, null_value;
    bool trailing_sep, has_header, flexible;
    sl_slice date_fmt, time_fmt, datetime_fmt, frac_start;
    bool epoch, skip_fraction;
    sl_slice true_fmt, false_fmt;
    bool bit_values;
    bool empty_target;
    uint64_t max_ignored;
    uint64_t max_reported;           /* advanced_options.max_reported_parsing_errors */
    bool validate_only;
} sl_ts_params;

/* Parse a LoadDataParam document (also the flat target_database/target_table form) into p,
 * defaults filled in; slices point into a. SL_INVALID with a reason when it is not JSON, lacks
 * target.database or target.table, or a value has the wrong type or a format does not compile. */
sl_code sl__ts_params_parse(const char *body, size_t n, sl_arena_t *a, sl_ts_params *p,
                            sl_err *err);

/* Render p as the LoadDataParam JSON with every default spelled out (input_summary). */
void sl__ts_params_json(const sl_ts_params *p, sl_buf *b);

/* ---- sessions and cycles (tsload_cycle.c) ------------------------------------------------ */

typedef struct sl_ts_cycle sl_ts_cycle;

/* A session's user for a JSESSIONID token, copied into user (cap bytes); also a session of an
 * earlier run, read back from DATA_DIR/tsload/sessions/. false when unknown or expired. */
bool sl__ts_session_user(sl_app *app, sl_slice token, char *user, size_t cap);
/* Create a session for user (in memory and, durably, on disk; memory only when the file cannot
 * be written); writes the token (37 bytes) into token. SL_NOMEM on failure. */
sl_code sl__ts_session_new(sl_app *app, sl_slice user, char *token);

/* Create a cycle for params (body: the StartLoad document, re-parsed into the cycle's own
 * arena) owned by user; writes its id (37 bytes). The cycle is persisted under
 * DATA_DIR/tsload/<id>/ so that a restart before commit reports it failed. */
sl_code sl__ts_cycle_new(sl_app *app, const char *body, size_t n, sl_slice user, char *id,
                         sl_err *err);

/* Propose a cycle for params (as sl__ts_cycle_new) to another node (its id): recorded in the
 * store, created by the first node asked for it (normally `node`, where the client goes next).
 * Writes its id (37 bytes). */
sl_code sl__ts_cycle_handoff(sl_app *app, sl_slice node, const char *body, size_t n,
                             sl_slice user, char *id, sl_err *err);

/* The input_summary of a cycle proposed to another node, for its owner (or an admin): true
 * and the document in b, or false when there is no such cycle for user. */
bool sl__ts_handoff_summary(sl_app *app, sl_slice id, const char *user, bool admin, sl_buf *b);

/* Find a cycle by id (also one from before a restart, read back from disk; with claim, also
 * one proposed to a node at StartLoad and not yet claimed, which this node then claims in the
 * store and owns) and take a reference; NULL when unknown. Release with sl__ts_cycle_put.
 * Requests that change a cycle (upload, commit, cancel) claim; those that read do not. */
sl_ts_cycle *sl__ts_cycle_get(sl_app *app, sl_slice id, bool claim);
void sl__ts_cycle_put(sl_app *app, sl_ts_cycle *c);

/* The target and owner of a cycle (owned by the cycle). */
const sl_ts_params *sl__ts_cycle_params(const sl_ts_cycle *c);
const char *sl__ts_cycle_owner(const sl_ts_cycle *c);
const char *sl__ts_cycle_id(const sl_ts_cycle *c);

/* One upload into a cycle: a decoder per file part, rows pushed into the cycle's job. */
typedef struct sl_ts_upload sl_ts_upload;

/* Start an upload; SL_INVALID (message for the client) when the cycle no longer takes data. */
sl_code sl__ts_upload_begin(sl_app *app, sl_ts_cycle *c, sl_arena_t *a, sl_ts_upload **out,
                            sl_err *err);
/* The part callbacks (arg = the upload). Errors: SL_NOT_FOUND (table missing), SL_INVALID
 * (cycle closed meanwhile, record too large), SL_BACKEND/SL_NOMEM. */
sl_code sl__ts_upload_part_begin(void *arg, bool is_file);
sl_code sl__ts_upload_data(void *arg, const char *p, size_t n);
sl_code sl__ts_upload_part_end(void *arg);
/* The upload's error (message for the client) after a callback failed. */
const sl_err *sl__ts_upload_err(const sl_ts_upload *u);
/* Count body bytes received (ingested_network_bw). */
void sl__ts_upload_bytes(sl_ts_upload *u, size_t n);
/* Release the upload's decoder and batch (always, once). */
void sl__ts_upload_end(sl_ts_upload *u);

/* Mark the cycle committing. SL_OK, or SL_NOT_FOUND when it is not open (message set). The
 * commit itself is sl__ts_cycle_commit, run later on a worker. */
sl_code sl__ts_cycle_start_commit(sl_app *app, sl_ts_cycle *c, sl_err *err);
/* Commit (or fail) a cycle marked committing: max_ignored_rows, validate_only, empty_target,
 * precommit.json, store commit, bad records and the final status written to disk. */
void sl__ts_cycle_commit(sl_app *app, sl_ts_cycle *c);
/* Cancel an open cycle (its rows are dropped). SL_OK, or SL_INVALID when already finished. */
sl_code sl__ts_cycle_cancel(sl_app *app, sl_ts_cycle *c, sl_err *err);

/* The status object of specs/tsload.md §5 into b. */
void sl__ts_cycle_status(sl_app *app, sl_ts_cycle *c, sl_buf *b);
/* input_summary: {"load_params": ...}. */
void sl__ts_cycle_summary(sl_ts_cycle *c, sl_buf *b);
/* The bad records file (rejected input rows, one per line) into b. false when there is none. */
bool sl__ts_cycle_bad_records(sl_app *app, sl_ts_cycle *c, sl_buf *b);
/* GET /loads: [{"Cycle_id","Status","BadRecordsUrl"}...] of the cycles user may see. */
void sl__ts_cycle_list(sl_app *app, const char *user, bool admin, sl_buf *b);

#endif
