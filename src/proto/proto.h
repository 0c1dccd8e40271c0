/*
 * proto.h - the server object and what the protocol adapters share (proto stage).
 *
 * The server object (sl_app) is the one owner of process state: configuration, the store,
 * users and the HTTP server. Adapters (doris.c, sqlapi.c, ...) get it as r->app. routes.c maps
 * (listener role, method, path) to an adapter's handler.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_PROTO_H
#define SL_PROTO_H

#include <pthread.h>
#include <stdio.h>

#include "../core/tz.h"
#include "../http/http.h"
#include "../load/auth.h"
#include "../load/priv.h"
#include "../load/load.h"
#include "../store/store.h"

/* Listener roles. */
enum { SL_ROLE_FE = 1, SL_ROLE_BE = 2, SL_ROLE_TSLOAD = 3 };

typedef struct sl_config {
    char data_dir[1024];
    char bind[256];                 /* listen address (loopback by default) */
    char advertise_host[256];       /* host put into redirects and ErrorURLs ("" = from Host) */
    int fe_port, be_port, tsload_port;  /* -1: do not listen */
    int mysql_port;                 /* the MySQL protocol (Doris's query port 9030); -1: off */
    char store[1024];               /* SL_STORE_DEFAULT or "postgres://user@host:port/db" */
    uint64_t streaming_load_max_mb;     /* Doris BE default 10240 */
    uint64_t streaming_load_json_max_mb;/* Doris BE default 100 */
    uint32_t default_timeout_s;     /* Doris 2.1+: 259200 */
    uint32_t label_keep_s;          /* 3 days */
    uint32_t precommit_timeout_s;   /* 2PC: precommitted loads are aborted after (3600 s) */
    uint32_t node_timeout_s;        /* a node silent this long is dead: its running loads are
                                       aborted by the others (10 s) */
    char time_zone[64];             /* the time zone of loads, history and SQL: an IANA name
                                       or +hh:mm; Doris's default Asia/Shanghai */
    bool truncate_strings;          /* Doris master string overflow semantics */
    uint32_t idle_timeout_s;
    uint32_t max_connections;       /* HTTP connections open at once, all ports (1024) */
    uint32_t max_connections_per_client; /* of them from one client address (256) */
    uint32_t workers;               /* libuv worker threads */
    char tsload_tls_cert[1024];     /* PEM; "" = DATA_DIR/tls/cert.pem (generated when absent) */
    char tsload_tls_key[1024];      /* PEM; "" = DATA_DIR/tls/key.pem */
    bool tsload_plain_http;         /* serve tsload over plain HTTP (tests only) */
    uint32_t tsload_cycle_idle_s;   /* an open load cycle idle this long is cancelled (3600) */
    uint32_t shutdown_grace_s;      /* SIGTERM: requests in flight get this long (30 s) */
    char yamcs_anonymous[8];        /* "off" (default) or "read": Yamcs reads without login */
    sl_query_limits query;          /* query_timeout, exec_mem_limit, query_max_result_rows,
                                       query_max_result_bytes (0: the store's defaults) */
    char log_level[16];             /* error, warn, info (default), debug */
    char log_file[1024];            /* "" = stderr; reopened on SIGHUP (logrotate) */
    bool access_log;                /* one line per request, at level info (default true) */
    char tls_cert[1024];            /* PEM: HTTPS on the FE and load ports when both set, as */
    char tls_key[1024];             /* Doris's enable_https; "" = plain HTTP (default) */
} sl_config;

/* Defaults as documented in README/docs: 127.0.0.1, 8030/8040/8442, ./data, the embedded
 * store. */
void sl_config_default(sl_config *c);

/* Apply one "key = value" setting (config file keys; also used for environment variables and
 * flags). SL_INVALID for an unknown key or a bad value. */
sl_code sl_config_set(sl_config *c, const char *key, const char *value, sl_err *err);

/* Read a config file of "key = value" lines (# comments). */
sl_code sl_config_load_file(sl_config *c, const char *path, sl_err *err);

/* Apply SLUICE_* environment variables (SLUICE_DATA_DIR, SLUICE_BIND, SLUICE_FE_PORT, ...), one
 * per setting key. An error names the variable. */
sl_code sl_config_load_env(sl_config *c, sl_err *err);

/* Print every setting key with its default, its environment variable and one line of help
 * (for `sluice serve --help`). */
void sl_config_describe(FILE *f);

typedef struct sl_app {
    sl_config cfg;
    sl_store *store;
    sl_tzdb *tzdb;                  /* time zones loaded so far (core/tz.h) */
    const sl_tz *tz;                /* cfg.time_zone */
    sl_auth *auth;
    sl_http_server *http;
    sl_job_env env;
    char errlog_dir[1100];
    int fe_port, be_port;           /* bound ports */
    int tsload_port;                /* bound tsload port, -1 when not listening */
    void *tls_ctx;                  /* SSL_CTX of the tsload listener, or NULL */
    int mysql_port;                 /* bound MySQL port, -1 when not listening */
    struct sl_mysql_server *mysql;  /* the MySQL protocol's connections (mysql.c) */
    void *mysql_tls;                /* its SSL_CTX when tsload has none */
    struct sl_tsload *tsload;       /* tsload sessions and load cycles (tsload_cycle.c) */
    /* Load placement (nodes.c), under mu: loads recently sent to other nodes, round robin. */
    pthread_mutex_t mu;
    bool mu_ready;
    uint64_t rr;
    struct {
        char node[40];
        uint64_t at_ms;
    } sent[64];
    size_t sent_next;
    int lock_fd;                    /* flock on DATA_DIR/sluice.lock; -1 before it is taken */
    /* Seeing it work (obs.h): the server log, metrics, loads watched, the store probe. */
    struct sl_log *log;
    struct sl_metrics *metrics;
    struct sl_watch *watch;
    struct sl_health *health;
    sl_job_observer obs;            /* env.obs: every job reports to watch */
    void *https_ctx;                /* SSL_CTX of the FE and load ports (tls_cert), or NULL */
    uint64_t started_wall_ms;
} sl_app;

/* Lock the data directory (a second server on it fails with "DATA_DIR <dir> is in use by pid
 * N"), open the store and users, create the HTTP server and listeners. Prints nothing. */
sl_code sl_app_start(sl_app *app, const sl_config *cfg, sl_err *err);
/* Run until sl_app_stop (from another thread or a signal handler) has drained the server. */
sl_code sl_app_run(sl_app *app);
/* Graceful shutdown (async-signal-safe): stop accepting, let requests in flight finish for up
 * to shutdown_grace_second, then cut the rest off with an error reply (sl_http_server_shutdown).
 * A second call cuts off at once. */
void sl_app_stop(sl_app *app);
/* Free everything; releases the data directory lock last. */
void sl_app_free(sl_app *app);
/* Reopen log_file at the next line (async-signal-safe: SIGHUP after logrotate moved it). */
void sl_app_reopen_logs(sl_app *app);

/* The route function given to the HTTP layer. */
const sl_http_handler *sl__route(void *app, sl_http_req *r);

/* ---- helpers shared by adapters (common.c) ---- */

/* Parse "Authorization: Basic base64(user:pw)" (user "u@cluster" drops the part after '@';
 * the password may contain ':'). false when absent or malformed. Strings in the arena. */
bool sl__basic_auth(sl_http_req *r, sl_slice *user, sl_slice *pw);

/* Log the request in: its Basic credentials checked by sl_auth_login (throttled per user and
 * per r->peer_ip). SL_OK fills *id (the user lives in the request arena) and, when pw_out is
 * not NULL, the password. Otherwise SL_UNAUTHORIZED (or SL_BACKEND) with the message in err;
 * *no_credentials tells that the header was absent or malformed. Privileges: sl_priv_check. */
sl_code sl__login(sl_http_req *r, sl_identity *id, sl_slice *pw_out, bool *no_credentials,
                  sl_err *err);

/* A random UUID "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" into buf (37 bytes). */
void sl__uuid(char *buf);

/* Split the path into at most cap '/'-separated segments (percent-decoded, in the arena);
 * returns the count. "/api/db/t/_stream_load" -> api, db, t, _stream_load. */
size_t sl__path_segments(sl_http_req *r, sl_slice *seg, size_t cap);

/* Doris FE-style bodies (HTTP 200): {"status":"FAILED","msg":...} and
 * {"msg":...,"code":N,"data":...,"count":0}. */
void sl__fe_fail(sl_http_req *r, const char *msg);
void sl__fe_result(sl_http_req *r, const char *msg, int code, const char *data_json);

/* Append "key": value pairs of a Doris pretty-printed object (4-space indent). first tells
 * whether a comma is needed. */
void sl__pretty_str(sl_buf *b, bool *first, const char *key, const char *p, size_t n);
void sl__pretty_int(sl_buf *b, bool *first, const char *key, long long v);

/* The node a load should go to: the live node with the fewest running loads (counting what
 * this node sent elsewhere lately), round robin among equals, among the nodes with a load
 * port (tsload: a tsload port); this node when the store lists none. Strings in the arena. */
sl_code sl__node_pick(sl_app *app, sl_arena_t *a, bool tsload, sl_node_rec *out, sl_err *err);

/* A small result of a statement: column names and rows of text cells (p == NULL: NULL). */
typedef struct sl_rows {
    const char *const *names;
    size_t n_cols;                  /* 0: the statement returns no rows */
    sl_slice *cells;                /* n_rows * n_cols */
    size_t n_rows;
} sl_rows;

/* Run a user, grant or cluster statement (CREATE/ALTER/DROP USER, SET PASSWORD, GRANT,
 * REVOKE, SHOW GRANTS, SHOW BACKENDS/FRONTENDS) for id, whose privilege the caller checked
 * (sl_priv_of_stmt). Rows and strings in a. */
sl_code sl__account_run(sl_app *app, const sl_identity *id, const sl_stmt *st, sl_arena_t *a,
                        sl_rows *out, sl_err *err);

/* ---- the statement executor (exec.c): one for every SQL transport ------------------------
 *
 *   text -> sl_sql_parse -> privilege (sl_priv_of_stmt, sl_priv_check) -> run -> sink | ok | error
 *
 * The HTTP SQL API (sqlapi.c) and the MySQL protocol (mysql.c) both run statements here and only
 * shape the answer: the rows go to the caller's sink (sl_query_sink: typed columns, then typed
 * rows; SHOW and DESC results are all VARCHAR as Doris's are), the rest is an sl_exec_out. */

/* Who runs a statement, and where. */
typedef struct sl_session {
    sl_app *app;
    sl_identity id;                 /* logged in by the transport */
    sl_slice db;                    /* the current database. p == NULL: none selected (a MySQL
                                       connection before USE): a statement that needs one fails
                                       with 1046 "No database selected". The SQL API passes its
                                       path's, possibly empty (then the store's own error). */
    size_t limit;                   /* SELECT: rows past this are dropped (0: none) */
} sl_session;

/* How a statement ended besides its rows. */
typedef struct sl_exec_out {
    uint8_t kind;                   /* sl_stmt_kind of the statement (once it parsed) */
    bool parsed;
    bool has_rows;                  /* a result set went to the sink (meta, then its rows) */
    uint64_t affected;              /* INSERT: rows loaded */
    int sql_errno;                  /* on failure: the MySQL/Doris error number (1064 syntax,
                                       1046 no database, 1049 unknown database, 1007/1008,
                                       1050/1051, 1045, 1227 access, else sl_code_mysql) */
} sl_exec_out;

/* Run one statement of s. On SL_OK the rows (if any) went to sink; otherwise err has the message
 * (Doris's text where it has one) and out->sql_errno its number. Strings of the statement live in
 * a until it is reset. Worker threads only: it waits for the store. */
sl_code sl__exec(const sl_session *s, sl_slice text, sl_arena_t *a, const sl_query_sink *sink,
                 sl_exec_out *out, sl_err *err);

/* The columns of a table as DESC shows them (Field, Type, Null, Key, Default, Extra), for
 * COM_FIELD_LIST too: *def receives the definition (in a). */
sl_code sl__exec_table(const sl_session *s, sl_slice db, sl_slice table, sl_arena_t *a,
                       sl_tabledef **def, sl_err *err);

/* Handlers (one per adapter file). */
extern const sl_http_handler sl_doris_fe_redirect;   /* FE port: auth, Expect, 307 */
extern const sl_http_handler sl_doris_stream_load;   /* load port: the load itself */
extern const sl_http_handler sl_doris_http_stream;   /* load port: PUT /api/_http_stream */
extern const sl_http_handler sl_doris_load_state;    /* GET /api/{db}/get_load_state */
extern const sl_http_handler sl_doris_error_log;     /* GET /api/_load_error_log */
extern const sl_http_handler sl_doris_2pc;           /* PUT /api/{db}[/{t}]/_stream_load_2pc */
extern const sl_http_handler sl_health_api;          /* GET /api/health (obs: health.c) */
extern const sl_http_handler sl_ping_api;            /* GET /ping */
extern const sl_http_handler sl_metrics_api;         /* GET /metrics, /api/metrics */
extern const sl_http_handler sl_dashboard_page;      /* GET /dashboard[/asset] */
extern const sl_http_handler sl_dashboard_api;       /* GET /api/dashboard (its JSON) */
extern const sl_http_handler sl_sqlapi_query;        /* POST /api/query/{ns}/{db} */
extern const sl_http_handler sl_tsload_api;          /* tsload: ping, session, loads, status */
extern const sl_http_handler sl_tsload_upload;       /* tsload: POST .../loads/{cycle_id} */
extern const sl_http_handler sl_yamcs_api;           /* Yamcs tables: /api/archive/... */
extern const sl_http_handler sl_yamcs_auth;          /* Yamcs /auth, /auth/token, /api/user, /api */
extern const sl_http_handler sl_nodes_api;           /* GET /api/nodes */

/* The MySQL protocol (mysql.c): listen on mysql_port (TLS with the tsload certificate
 * settings) on the HTTP server's loop; freed after the HTTP server. */
sl_code sl__mysql_start(sl_app *app, sl_err *err);
void sl__mysql_free(sl_app *app);

/* tsload state (sessions, load cycles) of an app: created in sl_app_start, freed (open cycles
 * aborted) in sl_app_free after the HTTP server. */
sl_code sl__tsload_new(sl_app *app, sl_err *err);
void sl__tsload_free(sl_app *app);

#endif
