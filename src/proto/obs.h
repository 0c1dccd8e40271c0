/*
 * obs.h - seeing the server work: the server log, metrics, the loads being watched, the store
 * probe and the dashboard (proto stage). Shared inside src/proto by log.c, metrics.c, watch.c,
 * health.c and dashboard.c; everything lives in sl_app (no globals).
 *
 *   every request --(http on_done, loop thread)--> log.c: one access line
 *                                                  metrics.c: requests by listener and code
 *   every load ----(sl_job_observer, its thread)-> watch.c: running loads (live bytes, rows),
 *                                                  recent loads, per-table totals
 *                                                  -> metrics.c: started/finished by protocol
 *                                                  and status, rows, bytes, durations, errors
 *   GET /metrics, /api/metrics  -> metrics.c: the registry + http, store, process collectors
 *   GET /api/health, /ping      -> health.c: readiness (a store probe with a time bound) and
 *                                  liveness
 *   GET /dashboard, /api/dashboard -> dashboard.c: embedded page + JSON from watch.c
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_PROTO_OBS_H
#define SL_PROTO_OBS_H

#include "proto.h"

/* ---- server log and access log (log.c) ----------------------------------------------------- */

/* Levels, most severe first (the same numbers as the HTTP layer's SL_HTTP_LOG_*). */
enum { SL_LOG_ERROR, SL_LOG_WARN, SL_LOG_INFO, SL_LOG_DEBUG };

typedef struct sl_log sl_log;

/* The level named by text ("error", "warn", "info", "debug"), or -1. */
int sl__log_level(const char *text);

/* Open the log: file ("" = stderr, opened for appending, created 0640) at level (a name
 * sl__log_level knows); access: write access lines. SL_INVALID / SL_BACKEND with err. */
sl_code sl__log_open(const char *file, const char *level, bool access, sl_log **out,
                     sl_err *err);
void sl__log_close(sl_log *l);

/* Whether lines of level are written. */
bool sl__log_on(const sl_log *l, int level);

/* One line "<time> <level> sluice: <message>" when level is on (l NULL: stderr, info).
 * Thread-safe: each line is one write(2). */
void sl__log(sl_log *l, int level, const char *fmt, ...) SL_PRINTF(3, 4);

/* Ask for log_file to be reopened before the next line (async-signal-safe). */
void sl__log_reopen(sl_log *l);

/* One access line for a finished request: time, client, user (the handler's r->log_user, else
 * the Basic authorization's user name - never its password), method, target with secrets
 * masked, status, body bytes in, bytes out, milliseconds, label (r->log_label, else the label
 * header). Values are quoted and escaped when they need it, so a line stays one line. */
void sl__log_access(sl_log *l, const sl_http_req *r, const sl_http_done *d);

/* The request target with secrets masked, into out (always NUL-terminated; cut at cap): the
 * value of every query parameter whose name says password, secret, token, key, auth or
 * signature becomes "***", and so does the userinfo of an absolute target. Returns the
 * length written. */
size_t sl__log_mask_target(sl_slice target, char *out, size_t cap);

/* ---- metrics (metrics.c) ------------------------------------------------------------------- */

typedef struct sl_metrics sl_metrics;

/* The families the registry keeps, in the order /metrics prints them. */
typedef enum sl_metric {
    SL_M_LOADS_STARTED,        /* counter {protocol} */
    SL_M_LOADS_FINISHED,       /* counter {protocol, status} */
    SL_M_LOAD_ERRORS,          /* counter {protocol, code} */
    SL_M_ROWS_LOADED,          /* counter {protocol} */
    SL_M_ROWS_FILTERED,        /* counter {protocol} */
    SL_M_ROWS_UNSELECTED,      /* counter {protocol} */
    SL_M_LOAD_BYTES,           /* counter {protocol}: body bytes of finished loads */
    SL_M_LOAD_DURATION,        /* histogram {protocol}, observed in microseconds */
    SL_M_LOADS_RUNNING,        /* gauge {protocol} */
    SL_M_BYTES_IN_FLIGHT,      /* gauge: body bytes received by loads still running */
    SL_M_HTTP_REQUESTS,        /* counter {listener, code} */
    SL_M_HTTP_DURATION,        /* histogram {listener}, microseconds */
    SL_M_COUNT_
} sl_metric;

/* Label values: protocols (the job spec's protocol), listeners (SL_ROLE_*), load status. */
enum { SL_MP_DORIS, SL_MP_SQL, SL_MP_TSLOAD, SL_MP_YAMCS, SL_MP_OTHER, SL_MP_COUNT_ };
enum { SL_ML_FE, SL_ML_BE, SL_ML_TSLOAD, SL_ML_COUNT_ };
enum { SL_MS_SUCCESS, SL_MS_FAILED, SL_MS_COUNT_ };

sl_metrics *sl__metrics_new(void);
void sl__metrics_free(sl_metrics *m);

/* The label index of a protocol name (SL_MP_OTHER for NULL or an unknown one), of a listener
 * role, and of an HTTP status (its slot in the code label's fixed list). */
size_t sl__metrics_protocol(const char *name);
size_t sl__metrics_listener(int role);
size_t sl__metrics_http_code(int status);

/* Add v (may be negative for gauges) to the cell (i, j) of family f; j is 0 for families with
 * one label, i and j 0 for none. Lock-free. Out-of-range indexes are ignored. */
void sl__metrics_add(sl_metrics *m, sl_metric f, size_t i, size_t j, int64_t v);
/* Count one observation v (the family's unit) in histogram f. Lock-free. */
void sl__metrics_observe(sl_metrics *m, sl_metric f, size_t i, size_t j, uint64_t v);
/* A counter or gauge cell's value (tests, the dashboard). */
int64_t sl__metrics_get(const sl_metrics *m, sl_metric f, size_t i, size_t j);

/* Append the registry's families in Prometheus text format (HELP, TYPE, samples; histograms
 * with cumulative _bucket{le=...} lines ending in le="+Inf", then _sum and _count). */
void sl__metrics_render(const sl_metrics *m, sl_buf *out);

/* Prometheus text helpers for the collectors: the HELP (escaped) and TYPE lines; one sample
 * "name{labels} value" where labels is pre-rendered ('k="v",...') or NULL; a label value
 * escaped (backslash, double quote, newline). */
void sl__prom_head(sl_buf *b, const char *name, const char *type, const char *help);
void sl__prom_sample(sl_buf *b, const char *name, const char *labels, double v);
void sl__prom_escape(sl_buf *b, const char *p, size_t n);

/* What the HTTP layer reports for each finished request: the access line and the request
 * metrics (the on_done callback; app is the sl_app). */
void sl__obs_request_done(void *app, const sl_http_req *r, const sl_http_done *d);
/* The HTTP layer's own log lines (the on_log callback). */
void sl__obs_http_log(void *app, int level, const char *line);

/* ---- loads watched (watch.c) ----------------------------------------------------------------- */

typedef struct sl_watch sl_watch;

/* Start watching: fills app->obs (the job observer every load reports to). */
sl_code sl__watch_new(sl_app *app, sl_err *err);
void sl__watch_free(sl_app *app);

/* Whether the requester may see loads of database db (the dashboard's filter). */
typedef bool (*sl_watch_filter)(void *u, sl_slice db);

/* The dashboard's JSON object into b: {"node", "now_ms", "started_ms", "totals", "running":
 * [...], "recent": [...], "tables": [...]}, keeping only loads and tables of databases
 * may_see accepts. error_url_prefix is put before each error log's name. */
void sl__watch_json(sl_app *app, sl_buf *b, sl_watch_filter may_see, void *u);

/* The columns of SHOW PROC '/stream_loads' (sl__watch_running's rows). */
#define SL_WATCH_RUNNING_COLS 12
extern const char *const sl__watch_running_cols[SL_WATCH_RUNNING_COLS];

/* The loads running on this node whose database may_see accepts, newest first, as *n_rows rows
 * of SL_WATCH_RUNNING_COLS text cells in *cells (allocated in a, like the texts): label, db,
 * table, protocol, user, client, state, start time in zone tz, elapsed ms, bytes and rows
 * received so far, the body's announced size (empty when unknown). SL_OK or SL_NOMEM. */
sl_code sl__watch_running(sl_app *app, sl_watch_filter may_see, void *u, const struct sl_tz *tz,
                          sl_arena_t *a, sl_slice **cells, size_t *n_rows);

/* ---- the store probe (health.c) ------------------------------------------------------------ */

typedef struct sl_health sl_health;

/* Start the probe thread. */
sl_code sl__health_new(sl_app *app, sl_err *err);
void sl__health_free(sl_app *app);

/* Is the store ready for loads? Waits up to SL_HEALTH_TIMEOUT_MS for a probe (sl_store_ping)
 * that started after the previous answer's time; false with why set when the store failed or
 * did not answer in time. */
bool sl__health_ready(sl_app *app, char *why, size_t cap);

/* How long a readiness check waits for the store. */
#define SL_HEALTH_TIMEOUT_MS 2000

/* ---- the dashboard's files (generated from src/proto/dashboard/ by scripts/embed.sh) ------- */

typedef struct sl_asset {
    const char *name;              /* file name, e.g. "index.html" */
    const char *type;              /* Content-Type */
    const unsigned char *p;
    size_t n;
} sl_asset;

extern const sl_asset sl__dashboard_assets[];
extern const size_t sl__dashboard_n_assets;

#endif
