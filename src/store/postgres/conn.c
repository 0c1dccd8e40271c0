/*
 * conn.c - connections of the PostgreSQL engine (store stage): two pools, reconnect, error
 * mapping, transactions.
 *
 *   catalog pool   pool_size connections (workers + 2): the ledger's short statements and
 *                  queries; conn_get waits for a free one at most SL_PG_WAIT_MS
 *   writer pool    one connection per running load (COPY inside the load's transaction), up to
 *                  SL_PG_MAX_WRITERS (never waited for); kept apart so that loads cannot
 *                  starve the catalog
 *
 * A restart of PostgreSQL closes every connection: an idle connection whose socket turned
 * readable (the server's FATAL 57P01 or EOF) is closed and replaced when it is next taken, and
 * a connection that fails in use is marked broken and closed when it is put back. In between,
 * errors are SL_BACKEND "store unavailable: ..." and nothing needs a restart of sluice.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../core/platform.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../core/mem.h"
#include "internal.h"

/* Every connection: the catalog schema first on the search path (the ledger's tables are named
 * without a schema), timestamps in UTC, ISO dates (query.c parses them), and the stages'
 * schema's objects never found by accident. No lock is waited for longer than 30 s: a DROP
 * TABLE behind a long load, say, fails with a clear error instead of holding a worker. */
static const char session_sql[] = "SET search_path TO sluice; SET TIME ZONE 'UTC'; "
                                  "SET DateStyle TO ISO, YMD; SET IntervalStyle TO postgres; "
                                  "SET lock_timeout = '30s'";

void sl__pg_pool_init(pg_pool *p, uint32_t max, uint32_t keep_idle, bool writers)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->max = max ? max : 1;
    p->keep_idle = keep_idle;
    p->writers = writers;
}

static void conn_free(sl_econn *c)
{
    if (c == NULL)
        return;
    sl__pg_stmts_clear(c);
    if (c->pg)
        PQfinish(c->pg);
    sl_free(c);
}

void sl__pg_pool_destroy(pg_pool *p)
{
    while (p->idle) {
        sl_econn *c = p->idle;
        p->idle = c->next;
        conn_free(c);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
}

/* The first line of libpq's error text (the rest are hints: "\tThis probably means..."), with
 * runs of spaces squeezed and the password masked, into buf. */
static void first_line(const sl_engine *e, const char *text, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", text && text[0] ? text : "connection lost");
    buf[strcspn(buf, "\n")] = '\0';
    char *w = buf;
    for (const char *r = buf; *r; r++)
        if (!((*r == ' ' || *r == '\t') && (w == buf || w[-1] == ' ')))
            *w++ = *r == '\t' ? ' ' : *r;
    while (w > buf && w[-1] == ' ')
        w--;
    *w = '\0';
    sl__pg_mask(e, buf);
}

/* Notices ("schema already exists, skipping", the FATAL of a shutdown seen while idle) are not
 * for the server's stderr. */
static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

sl_code sl__pg_connect(sl_engine *e, PGconn **out, sl_err *err)
{
    *out = NULL;
    PGconn *pg = PQconnectdbParams(e->kw, e->val, 1);
    if (pg == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    char msg[768];
    if (PQstatus(pg) != CONNECTION_OK) {
        first_line(e, PQerrorMessage(pg), msg, sizeof msg);
        PQfinish(pg);
        return sl_fail(err, SL_BACKEND, "store unavailable: %s (%s)", msg, e->shown);
    }
    PGresult *r = PQexec(pg, session_sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        first_line(e, PQresultErrorMessage(r), msg, sizeof msg);
        PQclear(r);
        PQfinish(pg);
        return sl_fail(err, SL_BACKEND, "store unavailable: %s (%s)", msg, e->shown);
    }
    PQclear(r);
    PQsetNoticeProcessor(pg, quiet, NULL);
    *out = pg;
    return SL_OK;
}

/* Is an idle connection still usable? The server sends nothing unasked to an idle session
 * (no LISTEN here, and parameter changes answer our own SETs), except when it is going away:
 * FATAL 57P01 on shutdown, then EOF. So a readable socket means the connection is gone. */
static bool alive(sl_econn *c)
{
    if (PQstatus(c->pg) != CONNECTION_OK || PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        return false;
    struct pollfd pfd = {PQsocket(c->pg), POLLIN, 0};
    return pfd.fd >= 0 && poll(&pfd, 1, 0) == 0;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Take an idle connection or a slot for a new one, waiting while the pool is at its maximum. */
static sl_code take(pg_pool *p, sl_econn **idle, sl_err *err)
{
    *idle = NULL;
    uint64_t deadline = now_ms() + (p->writers ? 0 : SL_PG_WAIT_MS);
    pthread_mutex_lock(&p->mu);
    while (p->idle == NULL && p->n_open >= p->max) {
        uint64_t now = now_ms();
        if (now >= deadline) {
            pthread_mutex_unlock(&p->mu);
            return p->writers
                       ? sl_fail(err, SL_BACKEND, "store busy: %u loads are running on this node "
                                 "(the most it writes at once)", p->max)
                       : sl_fail(err, SL_BACKEND, "store busy: no free connection within %d s",
                                 SL_PG_WAIT_MS / 1000);
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t ns = (uint64_t)ts.tv_nsec + (deadline - now) * 1000000u;
        ts.tv_sec += (time_t)(ns / 1000000000u);
        ts.tv_nsec = (long)(ns % 1000000000u);
        pthread_cond_timedwait(&p->cv, &p->mu, &ts);
    }
    if (p->idle) {
        *idle = p->idle;
        p->idle = (*idle)->next;
        p->n_idle--;
    } else {
        p->n_open++;
    }
    pthread_mutex_unlock(&p->mu);
    return SL_OK;
}

/* A slot given up (its connection closed or never opened). */
static void release_slot(pg_pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->n_open--;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

sl_code sl__pg_get(sl_engine *e, pg_pool *p, sl_econn **out, sl_err *err)
{
    *out = NULL;
    sl_econn *c;
    sl_code rc = take(p, &c, err);
    if (rc != SL_OK)
        return rc;
    if (c && alive(c)) {
        *out = c;
        return SL_OK;
    }
    if (c) { /* dead since it was put back (the server restarted): reconnect in its place */
        conn_free(c);
    }
    c = sl_calloc(sizeof *c);
    if (c == NULL) {
        release_slot(p);
        return sl_fail(err, SL_NOMEM, "out of memory");
    }
    c->e = e;
    c->pool = p;
    if ((rc = sl__pg_connect(e, &c->pg, err)) != SL_OK) {
        sl_free(c);
        release_slot(p);
        return rc;
    }
    *out = c;
    return SL_OK;
}

void sl__pg_put(sl_econn *c)
{
    if (c == NULL)
        return;
    pg_pool *p = c->pool;
    if (!c->broken && (c->in_txn || PQtransactionStatus(c->pg) != PQTRANS_IDLE)) {
        PGresult *r = PQexec(c->pg, "ROLLBACK");
        if (PQresultStatus(r) != PGRES_COMMAND_OK || PQtransactionStatus(c->pg) != PQTRANS_IDLE)
            c->broken = true;
        PQclear(r);
        c->in_txn = false;
    }
    if (PQstatus(c->pg) != CONNECTION_OK)
        c->broken = true;
    pthread_mutex_lock(&p->mu);
    bool keep = !c->broken && p->n_idle < p->keep_idle;
    if (keep) {
        c->next = p->idle;
        p->idle = c;
        p->n_idle++;
    } else {
        p->n_open--;
    }
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (!keep)
        conn_free(c);
}

const char *sl__pg_state(const PGresult *res)
{
    const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    return s ? s : "";
}

/* Is SQLSTATE s one that means the session is gone? */
static bool lost(const char *s)
{
    return strncmp(s, "08", 2) == 0 || strcmp(s, "57P01") == 0 || strcmp(s, "57P02") == 0 ||
           strcmp(s, "57P03") == 0;
}

sl_code sl__pg_fail(sl_econn *c, const PGresult *res, const char *what, sl_err *err)
{
    const char *st = sl__pg_state(res);
    const char *text = res ? PQresultErrorMessage(res) : "";
    if (text == NULL || text[0] == '\0')
        text = PQerrorMessage(c->pg);
    char msg[768];
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    first_line(c->e, primary ? primary : text, msg, sizeof msg);
    if (lost(st) || PQstatus(c->pg) != CONNECTION_OK || (st[0] == '\0' && res == NULL)) {
        c->broken = true;
        return sl_fail(err, SL_BACKEND, "store unavailable: %s (%s)", msg, c->e->shown);
    }
    if (strcmp(st, "23505") == 0)
        return sl_fail(err, SL_CONFLICT, "%s", msg);
    if (strcmp(st, "57014") == 0)
        return sl_fail(err, SL_TIMEOUT, "%s: statement timeout or cancel (%s)", what, msg);
    if (strcmp(st, "55P03") == 0)
        return sl_fail(err, SL_TIMEOUT, "%s: the table is busy (loads or queries running on it "
                       "held it for more than 30 s); try again when they finish", what);
    if (strcmp(st, "53100") == 0)
        return sl_fail(err, SL_BACKEND, "store disk full: %s", msg);
    if (strcmp(st, "53200") == 0)
        return sl_fail(err, SL_BACKEND, "store out of memory: %s", msg);
    if (strcmp(st, "53300") == 0)
        return sl_fail(err, SL_BACKEND, "store unavailable: %s", msg);
    if (strncmp(st, "22", 2) == 0) { /* data exception: the loaded values */
        const char *ctx = res ? PQresultErrorField(res, PG_DIAG_CONTEXT) : NULL;
        char where[256] = "";
        if (ctx)
            first_line(c->e, ctx, where, sizeof where);
        return sl_fail(err, SL_INVALID, "%s%s%s", msg, where[0] ? " at " : "", where);
    }
    return sl_fail(err, SL_BACKEND, "%s failed: %s [%s]", what, msg, st[0] ? st : "libpq");
}

sl_code sl__pg_run(sl_econn *c, const char *sql, sl_err *err)
{
    PGresult *r = PQexec(c->pg, sql);
    ExecStatusType s = PQresultStatus(r);
    sl_code rc = SL_OK;
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
        rc = sl__pg_fail(c, r, "statement", err);
    PQclear(r);
    return rc;
}
