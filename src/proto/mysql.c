/*
 * mysql.c - the MySQL protocol adapter (proto stage): what Doris's FE answers on its query port
 * 9030, for the mysql client, PyMySQL, Connector/J and the rest (docs/mysql.md).
 *
 *   src/mysql/ (packets, connections on the loop) -> login: sl_auth_login_native -> OK | ERR
 *                                                  -> command: COM_QUERY -> session statement
 *                                                     (mysql_session.c) or the executor
 *                                                     (exec.c) -> result set | OK | ERR
 *
 * Statements run in the executor the HTTP SQL API uses; this file only turns its typed rows
 * into text result sets (Doris's column types) and its outcomes into OK and ERR packets. A
 * result set past FLUSH_AT streams (sl_my_flush): an error after that ends it with an ERR.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../batch/complex.h"
#include "../batch/convert.h"
#include "../core/mem.h"
#include "mysql_internal.h"

#define MAX_PACKET (16u << 20)          /* max_allowed_packet: Doris's and MySQL's 16 MiB */
#define MAX_CONNECTIONS 1024            /* Doris's qe_max_connection */
#define HANDSHAKE_MS (10 * 1000)        /* MySQL's connect_timeout */
#define WAIT_TIMEOUT_S 28800            /* an idle connection closes after (wait_timeout) */
#define WRITE_TIMEOUT_S 60              /* a client taking no byte of a reply this long is
                                           gone (net_write_timeout) */
#define SERVER_VERSION "5.7.99"         /* what Doris's FE reports (clients test it) */
/* A result set is built in the reply until it holds FLUSH_AT bytes; from then on it streams in
 * pieces of about that size (src/mysql/ holds at most SL_MY_WINDOW of them unsent). */
#define FLUSH_AT (64u << 10)

sl_session sl__my_session(sl_mysql_conn *c)
{
    my_sess *ms = c->ctx;
    sl_session s = {c->app, {sl_slice_of(ms->user), ms->admin},
                    ms->has_db ? sl_slice_of(ms->db) : SL_SLICE_NULL, 0};
    return s;
}

uint16_t sl__my_status(const sl_mysql_conn *c)
{
    const my_sess *ms = c->ctx;
    return ms && !ms->autocommit ? 0 : SL_MY_STATUS_AUTOCOMMIT;
}

static const char *sqlstate(int e)
{
    switch (e) {
    case 1044: case 1049: case 1064: case 1227: case 1142: return "42000";
    case 1045: return "28000";
    case 1046: return "3D000";
    case 1050: return "42S01";
    case 1051: return "42S02";
    case 1047: case 1153: return "08S01";
    default: return "HY000";
    }
}

void sl__my_stmt_error(sl_my_out *o, int errno_, const char *msg)
{
    char text[SL_ERR_MSG_MAX + 40];
    snprintf(text, sizeof text, "errCode = 2, detailMessage = %s", msg);
    sl_my_err(o, errno_, sqlstate(errno_), text);
}

/* ---- result sets ----------------------------------------------------------------------------- */

/* A column of Doris's type t as Doris's FE describes it (PrimitiveType.toMysqlType). */
static sl_my_col col_of(sl_slice name, const sl_type *t, sl_slice schema)
{
    sl_my_col c = {schema, SL_LIT(""), name, SL_MY_CHARSET_BINARY, 0, SL_MY_TYPE_VAR_STRING,
                   SL_MY_FLAG_BINARY | SL_MY_FLAG_NUM, 0, false};
    switch ((sl_type_id)t->id) {
    case SL_BOOLEAN: c.type = SL_MY_TYPE_TINY, c.length = 1; break;
    case SL_TINYINT: c.type = SL_MY_TYPE_TINY, c.length = 4; break;
    case SL_SMALLINT: c.type = SL_MY_TYPE_SHORT, c.length = 6; break;
    case SL_INT: c.type = SL_MY_TYPE_LONG, c.length = 11; break;
    case SL_BIGINT: c.type = SL_MY_TYPE_LONGLONG, c.length = 20; break;
    case SL_FLOAT: c.type = SL_MY_TYPE_FLOAT, c.length = 12, c.decimals = 31; break;
    case SL_DOUBLE: c.type = SL_MY_TYPE_DOUBLE, c.length = 22, c.decimals = 31; break;
    case SL_DECIMAL:
        c.type = SL_MY_TYPE_NEWDECIMAL, c.decimals = t->scale;
        c.length = (uint32_t)t->precision + 2;
        break;
    case SL_DATE: c.type = SL_MY_TYPE_DATE, c.length = 10, c.flags = SL_MY_FLAG_BINARY; break;
    case SL_DATETIME:
        c.type = SL_MY_TYPE_DATETIME, c.flags = SL_MY_FLAG_BINARY, c.decimals = t->precision;
        c.length = 19 + (t->precision ? 1u + t->precision : 0u);
        break;
    case SL_ARRAY: case SL_MAP: case SL_STRUCT: case SL_VARIANT: case SL_BITMAP: case SL_HLL:
        /* text forms (BITMAP and HLL show NULL), no declared length */
        c.charset = SL_MY_CHARSET_UTF8MB4, c.flags = 0;
        c.type = SL_MY_TYPE_VAR_STRING, c.length = 65533 * 4;
        break;
    default: /* LARGEINT (as Doris: a string of digits), CHAR, VARCHAR, STRING, JSON */
        c.charset = SL_MY_CHARSET_UTF8MB4, c.flags = 0;
        c.type = t->id == SL_CHAR || t->id == SL_LARGEINT ? SL_MY_TYPE_STRING
                                                          : SL_MY_TYPE_VAR_STRING;
        c.length = t->id == SL_LARGEINT ? 40 : t->len ? t->len * 4 : 65533 * 4;
        break;
    }
    return c;
}

typedef struct my_rs {
    sl_my_out *o;
    sl_type *types;
    size_t n;
    sl_slice schema;
    bool gone;                /* a piece could not go out: the client is gone */
} my_rs;

/* Hand the reply's whole packets over once they pass FLUSH_AT. */
static sl_code rs_flush(my_rs *rs)
{
    if (rs->o->b.oom)
        return SL_NOMEM;
    if (rs->o->b.len < FLUSH_AT)
        return SL_OK;
    sl_code rc = sl_my_flush(rs->o);
    rs->gone = rc == SL_NETWORK;
    return rc;
}

static sl_code rs_meta(void *arg, const sl_qcol *cols, size_t n)
{
    my_rs *rs = arg;
    sl_my_col *mc = sl_calloc((n + 1) * sizeof *mc);
    rs->types = sl_calloc((n + 1) * sizeof *rs->types);
    if (mc == NULL || rs->types == NULL) {
        sl_free(mc);
        return SL_NOMEM;
    }
    rs->n = n;
    for (size_t i = 0; i < n; i++) {
        rs->types[i] = cols[i].type;
        mc[i] = col_of(cols[i].name, &cols[i].type, rs->schema);
    }
    sl_my_meta(rs->o, mc, n);
    sl_my_meta_end(rs->o, 0);
    sl_free(mc);
    return rs_flush(rs);
}

/* A value of an ARRAY, MAP or STRUCT in Doris's text form ([1, 2], {"k":1}, {"f":1}). */
static void put_complex(sl_my_out *o, const sl_type *t, const sl_qval *v)
{
    sl_buf tb = SL_BUF_INIT;
    bool ok = sl_cv_format(&tb, t, (sl_slice){v->v.s.p, v->v.s.n});
    if (tb.oom)
        o->b.oom = true;
    else if (!ok) /* an encoding that does not read back: NULL rather than a wrong text */
        sl_my_cell(o, NULL, 0);
    else
        sl_my_cell(o, tb.p ? tb.p : "", tb.len);
    sl_buf_free(&tb);
}

/* One value as text, as the mysql client shows Doris's: booleans 1/0, decimals at their
 * scale, dates at the column's precision, floats shortest, complex values in Doris's text
 * forms, BITMAP and HLL as NULL, text as it is. */
static void put_value(sl_my_out *o, const sl_type *t, const sl_qval *v)
{
    char tmp[80];
    size_t n;
    if (v->null) {
        sl_my_cell(o, NULL, 0);
        return;
    }
    switch ((sl_type_id)t->id) {
    case SL_BOOLEAN: sl_my_cell(o, v->v.i ? "1" : "0", 1); return;
    case SL_TINYINT: case SL_SMALLINT: case SL_INT: case SL_BIGINT:
        n = (size_t)snprintf(tmp, sizeof tmp, "%lld", (long long)v->v.i);
        break;
    case SL_LARGEINT: n = sl_format_i128(v->v.w, tmp); break;
    case SL_DECIMAL: n = sl_format_decimal(v->v.w, t->scale, tmp); break;
    case SL_FLOAT: n = sl_format_float((float)v->v.d, tmp); break;
    case SL_DOUBLE: n = sl_format_double(v->v.d, tmp); break;
    case SL_DATE: n = sl_format_date(v->v.i, tmp); break;
    case SL_DATETIME: n = sl_format_datetime(v->v.i, t->precision, tmp); break;
    case SL_ARRAY: case SL_MAP: case SL_STRUCT: put_complex(o, t, v); return;
    case SL_BITMAP: case SL_HLL: sl_my_cell(o, NULL, 0); return;
    default: sl_my_cell(o, v->v.s.p ? v->v.s.p : "", v->v.s.n); return;
    }
    sl_my_cell(o, tmp, n);
}

static sl_code rs_row(void *arg, const sl_qval *vals, size_t n)
{
    my_rs *rs = arg;
    sl_my_row_begin(rs->o);
    for (size_t i = 0; i < n && i < rs->n; i++)
        put_value(rs->o, &rs->types[i], &vals[i]);
    sl_my_end(rs->o);
    return rs_flush(rs);
}

/* The integer a text cell holds (digits with an optional '-'; 0 when it holds none). */
static int64_t cell_int(sl_slice v)
{
    size_t i = v.n && v.p[0] == '-';
    uint64_t x = 0;
    for (; i < v.n && v.p[i] >= '0' && v.p[i] <= '9' && x < UINT64_MAX / 10; i++)
        x = x * 10 + (uint64_t)(v.p[i] - '0');
    return v.n && v.p[0] == '-' ? -(int64_t)x : (int64_t)x;
}

void sl__my_text_rows(sl_mysql_conn *c, sl_my_out *o, const char *const *names,
                      const bool *numeric, size_t n_cols, const sl_slice *cells, size_t n_rows)
{
    my_rs rs = {o, NULL, 0, SL_LIT(""), false};
    sl_qcol cols[16];
    sl_qval vals[16];
    n_cols = n_cols > 16 ? 16 : n_cols;
    for (size_t i = 0; i < n_cols; i++)
        cols[i] = (sl_qcol){sl_slice_of(names[i]),
                            {numeric && numeric[i] ? SL_BIGINT : SL_VARCHAR, 0, 0, 0, 0}};
    if (rs_meta(&rs, cols, n_cols) == SL_OK) {
        for (size_t r = 0; r < n_rows; r++) {
            for (size_t i = 0; i < n_cols; i++) {
                sl_slice v = cells[r * n_cols + i];
                vals[i].null = v.p == NULL;
                if (rs.types[i].id == SL_BIGINT)
                    vals[i].v.i = cell_int(v);
                else
                    vals[i].v.s.p = v.p, vals[i].v.s.n = v.n;
            }
            rs_row(&rs, vals, n_cols);
        }
        sl_my_rows_end(o, 0, sl__my_status(c));
    }
    sl_free(rs.types);
}

/* ---- statements ------------------------------------------------------------------------------ */

/* COM_QUERY: a session statement, or one statement for the executor. A result set streams
 * once it passes FLUSH_AT: a statement failing before that answers one ERR (what the rows
 * wrote goes), one failing after it an ERR in place of the next row (which clients report as
 * the statement's error). False when the client is gone (the statement stopped). */
static bool query(sl_mysql_conn *c, sl_slice text, sl_my_out *o)
{
    if (sl__my_session_stmt(c, text, o))
        return true;
    sl_session ses = sl__my_session(c);
    my_rs rs = {o, NULL, 0, ses.db.p ? ses.db : SL_LIT(""), false};
    sl_query_sink sink = {rs_meta, rs_row, &rs};
    size_t mark = o->b.len;
    uint8_t seq = o->seq;
    sl_exec_out out;
    sl_err err = {0};
    sl_code rc = sl__exec(&ses, text, &c->arena, &sink, &out, &err);
    sl_free(rs.types);
    if (rs.gone) { /* a piece was lost: nothing more may follow on the wire */
        sl_buf_clear(&o->b);
        return false;
    }
    if (rc != SL_OK || o->b.oom) {
        if (o->sent) /* rows went out: the ERR follows them */
            sl_my_out_recover(o, seq);
        else /* what the rows wrote goes: one ERR instead */
            o->b.len = mark, o->b.oom = false, o->seq = seq, o->start = SIZE_MAX;
        sl__my_stmt_error(o, rc != SL_OK ? out.sql_errno : 1105,
                          rc != SL_OK ? err.msg : "out of memory");
        return true;
    }
    if (out.has_rows)
        sl_my_rows_end(o, 0, sl__my_status(c));
    else
        sl_my_ok(o, out.affected, 0, sl__my_status(c), 0, NULL);
    return true;
}

/* COM_FIELD_LIST table [wildcard]: the table's column definitions (old clients' completion). */
static void field_list(sl_mysql_conn *c, const uint8_t *p, size_t n, sl_my_out *o)
{
    const uint8_t *z = memchr(p, 0, n);
    sl_slice table = {(const char *)p, z ? (size_t)(z - p) : n};
    sl_session ses = sl__my_session(c);
    sl_err err = {0};
    sl_tabledef *def;
    if (ses.db.p == NULL) {
        sl__my_stmt_error(o, 1046, "No database selected");
        return;
    }
    if (sl__exec_table(&ses, ses.db, table, &c->arena, &def, &err) != SL_OK) {
        sl__my_stmt_error(o, err.code == SL_FORBIDDEN ? 1227 : 1051, err.msg);
        return;
    }
    for (size_t i = 0; i < def->n_cols; i++) {
        sl_my_col mc = col_of(def->cols[i].name, &def->cols[i].type, ses.db);
        mc.table = table;
        mc.field_list = true;
        if (!def->cols[i].nullable)
            mc.flags |= SL_MY_FLAG_NOT_NULL;
        sl_my_col_def(o, &mc);
    }
    sl_my_eof(o, 0, sl__my_status(c));
}

static bool on_command(sl_mysql_conn *c, const uint8_t *p, size_t n, sl_my_out *o)
{
    if (n == 0 || c->ctx == NULL) {
        sl_my_err(o, 1047, "08S01", "Unknown command");
        return true;
    }
    const uint8_t *arg = p + 1;
    size_t an = n - 1;
    switch (p[0]) {
    case SL_MY_COM_QUIT: return false;
    case SL_MY_COM_PING: sl_my_ok(o, 0, 0, sl__my_status(c), 0, NULL); return true;
    case SL_MY_COM_RESET_CONNECTION:
        ((my_sess *)c->ctx)->autocommit = true;
        sl_my_ok(o, 0, 0, sl__my_status(c), 0, NULL);
        return true;
    case SL_MY_COM_INIT_DB: sl__my_use(c, (sl_slice){(const char *)arg, an}, o); return true;
    case SL_MY_COM_QUERY: return query(c, (sl_slice){(const char *)arg, an}, o);
    case SL_MY_COM_FIELD_LIST: field_list(c, arg, an, o); return true;
    case SL_MY_COM_STATISTICS: {
        static const char stats[] = "Uptime: 0  Threads: 1  Questions: 0  Slow queries: 0  "
                                    "Opens: 0  Open tables: 0  Queries per second avg: 0.000";
        sl_my_begin(o);
        sl_my_put_raw(o, stats, sizeof stats - 1);
        sl_my_end(o);
        return true;
    }
    case SL_MY_COM_STMT_PREPARE:
        sl_my_err(o, 1295, "HY000", "This command is not supported in the prepared statement "
                                    "protocol yet");
        return true;
    default: sl_my_err(o, 1047, "08S01", "Unknown command"); return true;
    }
}

/* ---- login ----------------------------------------------------------------------------------- */

static bool on_login(sl_mysql_conn *c, const sl_my_hello *h, sl_my_out *o)
{
    sl_app *app = c->app;
    my_sess *ms = c->ctx ? c->ctx : sl_calloc(sizeof *ms);
    if (ms == NULL) {
        sl_my_err(o, 1041, "HY000", "Out of memory");
        return false;
    }
    c->ctx = ms;
    /* "user@cluster" as Doris's clients write it: the part after '@' is dropped */
    sl_slice user = h->user;
    const char *at = memchr(user.p, '@', user.n);
    if (at)
        user.n = (size_t)(at - user.p);
    sl_identity id;
    sl_err err = {0};
    if (user.n >= sizeof ms->user ||
        sl_auth_login_native(app->auth, user, c->scramble, h->auth, c->peer_ip, &id,
                             &err) != SL_OK) {
        if (err.code == SL_OK)
            sl_fail(&err, SL_UNAUTHORIZED, "Access denied for user");
        sl_my_err(o, err.code == SL_BACKEND ? 1105 : 1045,
                  err.code == SL_BACKEND ? "HY000" : "28000", err.msg);
        return false;
    }
    memcpy(ms->user, user.p, user.n);
    ms->user[user.n] = '\0';
    ms->admin = id.admin;
    ms->autocommit = true;
    if (h->db.p && h->db.n) {
        sl__my_use(c, h->db, o);
        return ms->has_db; /* an unknown database ends the connection, as in MySQL */
    }
    sl_my_ok(o, 0, 0, sl__my_status(c), 0, NULL);
    return true;
}

static void on_close(sl_mysql_conn *c)
{
    sl_free(c->ctx);
    c->ctx = NULL;
}

static const sl_mysql_handler handler = {on_login, on_command, on_close};

/* ---- start-up -------------------------------------------------------------------------------- */

/* The TLS context offered to clients that ask: tsload's (the HTTPS certificate settings),
 * else one from the same files (generated into DATA_DIR/tls when absent). */
static sl_code tls_ctx(sl_app *app, void **out, sl_err *err)
{
    const sl_config *cfg = &app->cfg;
    *out = app->tls_ctx;
    if (*out)
        return SL_OK;
    char dir[1100], cert[1200], key[1200];
    snprintf(dir, sizeof dir, "%s/tls", cfg->data_dir);
    snprintf(cert, sizeof cert, "%s", cfg->tsload_tls_cert);
    snprintf(key, sizeof key, "%s", cfg->tsload_tls_key);
    if ((cert[0] == '\0' || key[0] == '\0') && mkdir(dir, 0700) != 0 && errno != EEXIST)
        return sl_fail(err, SL_BACKEND, "cannot create %s: %s", dir, strerror(errno));
    if (cert[0] == '\0')
        snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    if (key[0] == '\0')
        snprintf(key, sizeof key, "%s/key.pem", dir);
    if ((app->mysql_tls = sl_tls_ctx_new(cert, key, true, err)) == NULL)
        return err->code ? err->code : SL_INTERNAL;
    *out = app->mysql_tls;
    return SL_OK;
}

sl_code sl__mysql_start(sl_app *app, sl_err *err)
{
    app->mysql_port = -1;
    if (app->cfg.mysql_port < 0)
        return SL_OK;
    void *tls;
    sl_code rc = tls_ctx(app, &tls, err);
    if (rc != SL_OK)
        return rc;
    sl_mysql_config mc = {SERVER_VERSION, MAX_PACKET, MAX_CONNECTIONS,
                          app->cfg.max_connections_per_client, HANDSHAKE_MS,
                          WAIT_TIMEOUT_S * 1000u, WRITE_TIMEOUT_S * 1000u};
    app->mysql = sl_mysql_server_new(app->http, &mc, &handler, app, err);
    if (app->mysql == NULL)
        return err->code ? err->code : SL_NOMEM;
    return sl_mysql_listen(app->mysql, app->cfg.bind, app->cfg.mysql_port, tls, &app->mysql_port,
                           err);
}

void sl__mysql_free(sl_app *app)
{
    sl_mysql_server_free(app->mysql);
    app->mysql = NULL;
    if (app->mysql_tls)
        sl_tls_ctx_free(app->mysql_tls);
    app->mysql_tls = NULL;
}
