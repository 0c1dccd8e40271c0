/*
 * ledger.c - the store's backend-independent level: open/close, the catalog schema, databases
 * and tables, nodes and the maintenance thread (store stage). See store.h for the two levels
 * and engine.h for the portable SQL the ledger writes.
 *
 * Catalog tables (schema version 2; `{id}` is the engine's auto-increment primary key):
 *   meta      schema_version, users_version
 *   dbs       Doris databases
 *   tables    Doris tables with their CREATE TABLE text
 *   txns      one row per load transaction: label, state, owner node and user
 *   loads     load history (SHOW STREAM LOAD)
 *   users     users, password hashes, lockout
 *   user_creds  further credentials of a user, each valid only while users.hash is the hash it
 *             was made with (for_hash): the MySQL protocol's SHA1(SHA1(password)). Added
 *             without a version change: older sluice neither reads nor needs it
 *   grants    privileges
 *   nodes     sluice processes sharing this catalog, with heartbeats
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../core/mem.h"
#include "ledger.h"

#define SCHEMA_VERSION "2"

/* The maintenance thread: heartbeat every HEARTBEAT_MS (or a third of the node timeout when
 * that is shorter), expire stale transactions every
 * EXPIRE_MS, forget old labels every GC_MS (often enough for 3-day labels). */
#define HEARTBEAT_MS 2000
#define EXPIRE_MS 5000
#define GC_MS 60000

static const char *const schema[] = {
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT)",
    "CREATE TABLE IF NOT EXISTS dbs(name TEXT PRIMARY KEY, created_ms BIGINT)",
    "CREATE TABLE IF NOT EXISTS tables(id {id}, db TEXT NOT NULL, name TEXT NOT NULL, "
    "ddl TEXT NOT NULL, created_ms BIGINT, UNIQUE(db, name))",
    "CREATE TABLE IF NOT EXISTS txns(id {id}, db TEXT NOT NULL, label TEXT NOT NULL, "
    "table_id BIGINT, tbl TEXT, usr TEXT, node TEXT, state BIGINT NOT NULL, created_ms BIGINT, "
    "timeout_s BIGINT, finished_ms BIGINT, reason TEXT, two_phase BIGINT, rows BIGINT, "
    "bytes BIGINT)",
    /* One live transaction per label: a concurrent begin with the same label, on any node,
     * fails on this index at once. */
    "CREATE UNIQUE INDEX IF NOT EXISTS txns_live ON txns(db, label) WHERE state <> 5",
    "CREATE INDEX IF NOT EXISTS txns_label ON txns(db, label)",
    "CREATE INDEX IF NOT EXISTS txns_state ON txns(state)",
    "CREATE TABLE IF NOT EXISTS loads(id {id}, label TEXT, db TEXT, tbl TEXT, client_ip TEXT, "
    "status TEXT, message TEXT, url TEXT, total BIGINT, loaded BIGINT, filtered BIGINT, "
    "unselected BIGINT, bytes BIGINT, start_ms BIGINT, finish_ms BIGINT, usr TEXT, "
    "comment TEXT, txn_id BIGINT, node TEXT)",
    "CREATE INDEX IF NOT EXISTS loads_db ON loads(db, label)",
    "CREATE TABLE IF NOT EXISTS users(name TEXT PRIMARY KEY, hash TEXT NOT NULL, "
    "admin BIGINT NOT NULL DEFAULT 0, failed_login_attempts BIGINT NOT NULL DEFAULT 0, "
    "password_lock_s BIGINT NOT NULL DEFAULT 0, failed BIGINT NOT NULL DEFAULT 0, "
    "locked_until_ms BIGINT NOT NULL DEFAULT 0, version BIGINT NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS user_creds(usr TEXT NOT NULL, kind TEXT NOT NULL, "
    "cred TEXT NOT NULL, for_hash TEXT NOT NULL, UNIQUE(usr, kind))",
    "CREATE TABLE IF NOT EXISTS grants(usr TEXT NOT NULL, priv TEXT NOT NULL, "
    "target TEXT NOT NULL, UNIQUE(usr, priv, target))",
    "CREATE TABLE IF NOT EXISTS nodes(id TEXT PRIMARY KEY, host TEXT, fe_port BIGINT, "
    "be_port BIGINT, tsload_port BIGINT, started_ms BIGINT, heartbeat_ms BIGINT, "
    "running BIGINT)",
    /* Work one node hands to another (a tsload cycle started on one node, uploaded to
     * another): claimed by the first node that is asked for it. */
    "CREATE TABLE IF NOT EXISTS handoffs(id TEXT PRIMARY KEY, kind TEXT NOT NULL, "
    "node TEXT NOT NULL, body TEXT NOT NULL, created_ms BIGINT NOT NULL, "
    "claimed BIGINT NOT NULL DEFAULT 0)",
    "INSERT INTO meta(k, v) VALUES('schema_version', '" SCHEMA_VERSION "') "
    "ON CONFLICT DO NOTHING",
    "INSERT INTO meta(k, v) VALUES('users_version', '0') ON CONFLICT DO NOTHING",
};

const char *sl_txn_state_name(sl_txn_state st)
{
    static const char *const names[] = {"UNKNOWN",   "PREPARE", "PRECOMMITTED",
                                        "COMMITTED", "VISIBLE", "ABORTED"};
    return (unsigned)st < SL_COUNT(names) ? names[st] : "UNKNOWN";
}

uint64_t sl__lg_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

sl_code sl__lg_run(sl_store *s, const char *sql, const sl_cell *p, size_t n, sl_cell_fn fn,
                   void *arg, int64_t *changes, sl_err *err)
{
    sl_econn *c;
    sl_code rc = s->ev->conn_get(s->e, &c, err);
    if (rc != SL_OK)
        return rc;
    rc = s->ev->exec(c, sql, p, n, fn, arg, changes, err);
    s->ev->conn_put(c);
    return rc;
}

sl_code sl__lg_int_fn(void *arg, const sl_cell *row, size_t n)
{
    int64_t *out = arg;
    if (n > 0 && row[0].kind == SL_CELL_INT)
        *out = row[0].i;
    else if (n > 0 && row[0].kind == SL_CELL_TEXT)
        *out = strtoll(row[0].s.p, NULL, 10);
    return SL_OK;
}

sl_code sl__lg_text_fn(void *arg, const sl_cell *row, size_t n)
{
    sl__lg_text *t = arg;
    if (n == 0 || row[0].kind == SL_CELL_NULL || t->v.p)
        return SL_OK;
    t->v = sl_arena_slice(t->a, row[0].s);
    return t->v.p ? SL_OK : SL_NOMEM;
}

/* Create the catalog tables (under the engine's catalog lock) and check the version. */
static sl_code create_schema(sl_store *s, sl_err *err)
{
    sl_econn *c;
    sl_code rc = s->ev->conn_get(s->e, &c, err);
    if (rc != SL_OK)
        return rc;
    if ((rc = s->ev->xbegin(c, err)) == SL_OK)
        rc = s->ev->catalog_lock(c, err);
    char sql[1024];
    for (size_t i = 0; rc == SL_OK && i < SL_COUNT(schema); i++) {
        const char *id = strstr(schema[i], "{id}");
        if (id)
            snprintf(sql, sizeof sql, "%.*s%s%s", (int)(id - schema[i]), schema[i],
                     s->ev->id_type, id + 4);
        else
            snprintf(sql, sizeof sql, "%s", schema[i]);
        rc = sl__lg_exec(s, c, sql, NULL, 0, NULL, NULL, NULL, err);
    }
    sl_arena_t a;
    sl_arena_init(&a, 256);
    sl__lg_text v = {&a, SL_SLICE_NULL};
    if (rc == SL_OK)
        rc = sl__lg_exec(s, c, "SELECT v FROM meta WHERE k = 'schema_version'", NULL, 0,
                         sl__lg_text_fn, &v, NULL, err);
    if (rc == SL_OK && !sl_slice_eq(v.v, SCHEMA_VERSION))
        rc = sl_fail(err, SL_BACKEND,
                     "the catalog has schema version %.*s; this sluice reads version %s",
                     (int)v.v.n, v.v.p ? v.v.p : "", SCHEMA_VERSION);
    sl_arena_free(&a);
    if (rc == SL_OK)
        rc = s->ev->xcommit(c, err);
    else
        s->ev->xrollback(c);
    s->ev->conn_put(c);
    return rc;
}

/* Register this node and abort what an earlier life of it (the same node id: a node keeps it
 * in its data directory, node_identity) left in PREPARE - and on a single-node engine, what
 * any other process left: those loads were never acknowledged, so their labels become
 * reusable at once. */
static sl_code register_node(sl_store *s, sl_err *err)
{
    uint64_t now = sl__lg_now_ms();
    const sl_node_info *n = &s->o.node;
    sl_slice host = sl_slice_of(n->host ? n->host : "");
    sl_cell p[7] = {sl_cell_text(sl_slice_of(s->node_id)), sl_cell_text(host),
                    sl_cell_int(n->fe_port), sl_cell_int(n->be_port),
                    sl_cell_int(n->tsload_port), sl_cell_int((int64_t)now),
                    sl_cell_int((int64_t)now)};
    sl_cell q[2] = {p[0], p[5]};
    sl_code rc = sl__lg_run(s,
                            s->ev->single_node
                                ? "UPDATE txns SET state = 5, finished_ms = $2, reason = "
                                  "'aborted by restart' WHERE state = 1"
                                : "UPDATE txns SET state = 5, finished_ms = $2, reason = "
                                  "'aborted by restart' WHERE state = 1 AND node = $1",
                            q, 2, NULL, NULL, NULL, err);
    if (rc == SL_OK)
        rc = s->ev->single_node
                 ? sl__lg_run(s, "DELETE FROM nodes", NULL, 0, NULL, NULL, NULL, err)
                 : sl__lg_run(s, "DELETE FROM nodes WHERE id = $1", p, 1, NULL, NULL, NULL, err);
    if (rc == SL_OK)
        rc = sl__lg_run(s,
                        "INSERT INTO nodes(id, host, fe_port, be_port, tsload_port, "
                        "started_ms, heartbeat_ms, running) VALUES($1, $2, $3, $4, $5, $6, "
                        "$7, 0)",
                        p, 7, NULL, NULL, NULL, err);
    return rc;
}

/* This node's id: DATA_DIR/node.id, made (random) on first start. The data directory is the
 * node's (one server per directory, proto/app.c's lock), so a restarted node is the same node
 * and takes back what its earlier life left; a tool, or no data directory, gets a random id. */
static sl_code node_identity(sl_store *s, sl_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/node.id", s->data_dir);
    if (!s->o.tool && s->data_dir[0]) {
        FILE *f = fopen(path, "r");
        if (f) {
            char buf[40] = "";
            size_t n = fread(buf, 1, 32, f);
            fclose(f);
            bool ok = n == 32;
            for (size_t i = 0; ok && i < n; i++)
                ok = (buf[i] >= '0' && buf[i] <= '9') || (buf[i] >= 'a' && buf[i] <= 'f');
            if (ok) {
                memcpy(s->node_id, buf, 33);
                return SL_OK;
            }
        }
    }
    unsigned char rnd[16];
    if (RAND_bytes(rnd, sizeof rnd) != 1)
        return sl_fail(err, SL_INTERNAL, "no randomness for the node id");
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(s->node_id + 2 * i, 3, "%02x", rnd[i]);
    if (s->o.tool || s->data_dir[0] == '\0')
        return SL_OK;
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    bool ok = f && fputs(s->node_id, f) >= 0;
    if (f)
        ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok, fclose(f);
    if (!ok || rename(tmp, path) != 0)
        return sl_fail(err, SL_BACKEND, "cannot write %s", path);
    return SL_OK;
}

static void heartbeat(sl_store *s, uint64_t now)
{
    pthread_mutex_lock(&s->mu);
    int64_t running = s->running;
    pthread_mutex_unlock(&s->mu);
    sl_cell p[3] = {sl_cell_text(sl_slice_of(s->node_id)), sl_cell_int((int64_t)now),
                    sl_cell_int(running)};
    int64_t changed = 0;
    sl_err err = {0};
    sl_code rc = sl__lg_run(s, "UPDATE nodes SET heartbeat_ms = $2, running = $3 WHERE id = $1",
                            p, 3, NULL, NULL, &changed, &err);
    if (rc == SL_OK && changed == 0)
        rc = register_node(s, &err); /* declared dead and removed meanwhile: come back */
    if (rc == SL_OK)
        atomic_store(&s->heartbeat_ok_ms, now);
}

void sl__lg_maybe_expire(sl_store *s, uint64_t now)
{
    uint64_t every = EXPIRE_MS;
    if ((uint64_t)s->o.precommit_timeout_s * 100 < every)
        every = (uint64_t)s->o.precommit_timeout_s * 100;
    pthread_mutex_lock(&s->mu);
    bool due = now - s->last_expire_ms >= every;
    if (due)
        s->last_expire_ms = now;
    pthread_mutex_unlock(&s->mu);
    if (due)
        sl__lg_expire(s, now);
}

static void *maint_main(void *arg)
{
    sl_store *s = arg;
    uint64_t last_gc = 0;
    pthread_mutex_lock(&s->mu);
    while (!s->stopping) {
        /* A third of the node timeout at most: a live node never looks dead. */
        uint64_t every = (uint64_t)s->o.node_timeout_s * 1000 / 3;
        every = every < HEARTBEAT_MS ? every : HEARTBEAT_MS;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t ns = (uint64_t)ts.tv_nsec + every * 1000000u;
        ts.tv_sec += (time_t)(ns / 1000000000u);
        ts.tv_nsec = (long)(ns % 1000000000u);
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
        if (s->stopping)
            break;
        pthread_mutex_unlock(&s->mu);
        uint64_t now = sl__lg_now_ms();
        heartbeat(s, now);
        sl__lg_retry_aborts(s);
        sl__lg_save_progress(s);
        sl__lg_maybe_expire(s, now);
        if (now - last_gc >= GC_MS) {
            sl__lg_gc(s, now);
            last_gc = now;
        }
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Is transaction id PRECOMMITTED? (the engine keeps those transactions' stages) */
static bool staged(void *arg, int64_t id)
{
    sl_store *s = arg;
    int64_t st = 0;
    sl_cell p = sl_cell_int(id);
    sl_err err = {0};
    if (sl__lg_run(s, "SELECT state FROM txns WHERE id = $1", &p, 1, sl__lg_int_fn, &st, NULL,
                   &err) != SL_OK)
        return true; /* when in doubt, keep */
    return st == SL_TXN_PRECOMMITTED;
}

static char *dup_str(const char *v)
{
    return strdup(v ? v : "");
}

void sl_store_close(sl_store *s)
{
    if (s == NULL)
        return;
    if (s->maint_started) {
        pthread_mutex_lock(&s->mu);
        s->stopping = true;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->maint, NULL);
    }
    if (s->e && !s->o.tool) {
        sl_cell p = sl_cell_text(sl_slice_of(s->node_id));
        sl_err err = {0};
        sl__lg_run(s, "DELETE FROM nodes WHERE id = $1", &p, 1, NULL, NULL, NULL, &err);
    }
    if (s->e)
        s->ev->close(s->e);
    free(s->url);
    free(s->data_dir);
    free(s->host);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    sl_free(s);
}

sl_code sl_store_open(const sl_store_opts *o, sl_store **out, sl_err *err)
{
    *out = NULL;
    const char *url = o->url && o->url[0] ? o->url : "sqlite";
    const sl_engine_vtab *ev = sl__engine_find(url);
    if (ev == NULL)
        return sl_fail(err, SL_INVALID, "unknown store '%s' (expected sqlite or "
                       "postgres://user@host:port/database)", url);
    sl_store *s = sl_calloc(sizeof *s);
    if (s == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->ev = ev;
    s->o = *o;
    s->url = dup_str(url);
    s->data_dir = dup_str(o->data_dir);
    s->host = dup_str(o->node.host);
    s->o.url = s->url, s->o.data_dir = s->data_dir, s->o.node.host = s->host;
    if (!s->o.label_keep_s)
        s->o.label_keep_s = 3 * 86400;
    if (!s->o.precommit_timeout_s)
        s->o.precommit_timeout_s = 3600;
    if (!s->o.node_timeout_s)
        s->o.node_timeout_s = 10;
    sl_code rc = s->url && s->data_dir && s->host ? node_identity(s, err)
                                                  : sl_fail(err, SL_NOMEM, "out of memory");
    if (rc == SL_OK && (rc = ev->open(&s->o, &s->e, err)) == SL_OK &&
             (rc = create_schema(s, err)) == SL_OK && !o->tool &&
             (rc = register_node(s, err)) == SL_OK &&
             (rc = ev->recover(s->e, staged, s, err)) == SL_OK) {
        sl__lg_expire(s, sl__lg_now_ms());
        atomic_store(&s->heartbeat_ok_ms, sl__lg_now_ms()); /* register_node wrote it */
        if (pthread_create(&s->maint, NULL, maint_main, s) != 0)
            rc = sl_fail(err, SL_INTERNAL, "cannot start the store maintenance thread");
        else
            s->maint_started = true;
    }
    if (rc != SL_OK) {
        sl_store_close(s);
        return rc;
    }
    *out = s;
    return SL_OK;
}

const char *sl_store_engine(const sl_store *s)
{
    return s->ev->name;
}

sl_slice sl_store_node_id(const sl_store *s)
{
    return sl_slice_of(s->node_id);
}

uint32_t sl_store_running(const sl_store *s)
{
    sl_store *m = (sl_store *)s;
    pthread_mutex_lock(&m->mu);
    uint32_t n = m->running;
    pthread_mutex_unlock(&m->mu);
    return n;
}

/* ---- observing ----------------------------------------------------------------------------- */

const uint64_t sl_store_commit_bounds_us[SL_STORE_COMMIT_BUCKETS] = {
    500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000,
    5000000, 10000000};

void sl__lg_count_commit(sl_store *s, bool ok, uint64_t us)
{
    atomic_fetch_add(ok ? &s->n_commits : &s->n_commit_failures, 1);
    atomic_fetch_add(&s->commit_us_sum, us);
    size_t i = 0;
    while (i < SL_STORE_COMMIT_BUCKETS && us > sl_store_commit_bounds_us[i])
        i++;
    atomic_fetch_add(&s->commit_buckets[i], 1);
}

void sl_store_stats(sl_store *s, sl_store_counters *out)
{
    memset(out, 0, sizeof *out);
    out->commits = atomic_load(&s->n_commits);
    out->commit_failures = atomic_load(&s->n_commit_failures);
    out->commit_us_sum = atomic_load(&s->commit_us_sum);
    for (size_t i = 0; i <= SL_STORE_COMMIT_BUCKETS; i++)
        out->commit_buckets[i] = atomic_load(&s->commit_buckets[i]);
    out->heartbeat_ms = atomic_load(&s->heartbeat_ok_ms);
    if (s->ev->stats)
        s->ev->stats(s->e, &out->compactions, &out->compacted_segments);
}

static sl_code count_fn(void *arg, const sl_cell *row, size_t n)
{
    uint64_t *out = arg;
    if (n >= 2 && row[0].kind == SL_CELL_INT && row[0].i >= SL_TXN_PREPARE &&
        row[0].i <= SL_TXN_ABORTED && row[1].kind == SL_CELL_INT)
        out[row[0].i] = (uint64_t)row[1].i;
    return SL_OK;
}

sl_code sl_store_txn_counts(sl_store *s, uint64_t out[SL_TXN_ABORTED + 1], sl_err *err)
{
    memset(out, 0, (SL_TXN_ABORTED + 1) * sizeof *out);
    return sl__lg_run(s, "SELECT state, count(*) FROM txns GROUP BY state", NULL, 0, count_fn,
                      out, NULL, err);
}

sl_code sl_store_ping(sl_store *s, sl_err *err)
{
    sl_econn *c;
    sl_code rc = s->ev->conn_get(s->e, &c, err);
    if (rc != SL_OK)
        return rc;
    rc = s->ev->xbegin(c, err);
    if (rc == SL_OK) {
        int64_t one = 0;
        rc = sl__lg_exec(s, c, "SELECT 1", NULL, 0, sl__lg_int_fn, &one, NULL, err);
        s->ev->xrollback(c);
    }
    s->ev->conn_put(c);
    return rc;
}
