/*
 * watch.c - every load, whatever its protocol, seen from the outside: running loads with live
 * progress, the last loads that ended, per-table totals, and the load metrics (proto stage;
 * obs.h).
 *
 *   job (load/job.c) --begin-----> a slot in the running list; loads_started, loads_running
 *                    --progress--> the slot's bytes and rows (atomics); bytes in flight
 *                    --end-------> slot out; a line in the recent ring, table totals, one log
 *                                  line; loads_finished, rows, bytes, duration, errors
 *   dashboard.c <-- sl__watch_json (a snapshot under the lock, filtered outside it)
 *
 * The job calls these on its own worker thread. begin and end take the mutex for a few copies;
 * progress (after every body piece) touches only the slot's atomics and the metric cells. The
 * lists are this node's loads: in a cluster every node watches its own (the dashboard lists
 * the nodes with links to theirs).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../batch/convert.h"
#include "../core/mem.h"
#include "../core/tz.h"
#include "obs.h"

/* The last RECENT_MAX loads that ended are kept (enough for a page of history; SHOW STREAM
 * LOAD has the rest). At most TABLES_MAX tables get totals (the first ones loaded). */
#define RECENT_MAX 100
#define TABLES_MAX 256
#define NAME_MAX_ 129                  /* Doris labels are at most 128 bytes */

typedef struct running {
    struct running *prev, *next;
    char label[NAME_MAX_], db[NAME_MAX_], table[NAME_MAX_], user[NAME_MAX_], client[64];
    size_t proto;                      /* SL_MP_* */
    uint64_t start_wall_ms, start_us, body_size;
    atomic_ullong bytes, rows;         /* written by the load's thread, read by the dashboard */
    uint64_t bytes_counted;            /* what bytes in flight holds for it (load's thread) */
} running;

typedef struct ended {
    char label[NAME_MAX_], db[NAME_MAX_], table[NAME_MAX_], user[NAME_MAX_];
    char message[256], error_log[160];
    const char *status;                /* "Success", "Fail", "Label Already Exists" (static) */
    const char *code;                  /* sl_code name (static) */
    size_t proto;
    int64_t txn_id;
    uint64_t loaded, filtered, unselected, bytes, ms, finished_wall_ms;
} ended;

typedef struct total {
    char db[NAME_MAX_], table[NAME_MAX_];
    uint64_t loads, failed, rows, bytes, last_wall_ms;
} total;

struct sl_watch {
    sl_app *app;
    pthread_mutex_t mu;                /* guards the lists below */
    running *head;
    size_t n_running;
    ended recent[RECENT_MAX];          /* a ring: next is where the next one goes */
    size_t n_recent, next;
    total tables[TABLES_MAX];
    size_t n_tables;
    atomic_ullong bytes_seen, rows_seen, loads_ended; /* monotone, for the throughput chart */
};

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void copy(char *dst, size_t cap, sl_slice s)
{
    size_t n = s.p ? (s.n < cap - 1 ? s.n : cap - 1) : 0;
    if (n)
        memcpy(dst, s.p, n);
    dst[n] = '\0';
}

/* ---- the observer ------------------------------------------------------------------------ */

static void *watch_begin(void *u, const sl_load_spec *spec)
{
    sl_watch *w = u;
    size_t p = sl__metrics_protocol(spec->protocol);
    sl__metrics_add(w->app->metrics, SL_M_LOADS_STARTED, p, 0, 1);
    sl__metrics_add(w->app->metrics, SL_M_LOADS_RUNNING, p, 0, 1);
    running *r = sl_calloc(sizeof *r);
    if (r == NULL)
        return NULL; /* counted, not listed */
    copy(r->label, sizeof r->label, spec->label);
    copy(r->db, sizeof r->db, spec->db);
    copy(r->table, sizeof r->table, spec->table);
    copy(r->user, sizeof r->user, spec->user);
    copy(r->client, sizeof r->client, spec->client_ip);
    r->proto = p;
    r->start_wall_ms = spec->start_wall_ms ? spec->start_wall_ms : wall_ms();
    r->start_us = now_us();
    r->body_size = spec->body_size;
    pthread_mutex_lock(&w->mu);
    r->next = w->head;
    if (w->head)
        w->head->prev = r;
    w->head = r;
    w->n_running++;
    pthread_mutex_unlock(&w->mu);
    sl__log(w->app->log, SL_LOG_DEBUG, "load %s into %s.%s (%s) begins", r->label, r->db,
            r->table, sl__metrics_protocol(spec->protocol) == SL_MP_OTHER ? "other"
                                                                          : spec->protocol);
    return r;
}

static void watch_progress(void *u, void *token, uint64_t bytes, uint64_t rows)
{
    sl_watch *w = u;
    running *r = token;
    if (r == NULL)
        return;
    atomic_store_explicit(&r->bytes, bytes, memory_order_relaxed);
    atomic_store_explicit(&r->rows, rows, memory_order_relaxed);
    if (bytes > r->bytes_counted) {
        uint64_t d = bytes - r->bytes_counted;
        r->bytes_counted = bytes;
        sl__metrics_add(w->app->metrics, SL_M_BYTES_IN_FLIGHT, 0, 0, (int64_t)d);
        atomic_fetch_add_explicit(&w->bytes_seen, d, memory_order_relaxed);
    }
}

static const char *status_of(sl_code c)
{
    return c == SL_OK ? "Success" : SL_PRIMARY(c) == SL_CONFLICT ? "Label Already Exists" : "Fail";
}

/* The load's metrics as it ends. */
static void count_end(sl_watch *w, size_t p, const sl_load_result *res, uint64_t us)
{
    sl_metrics *m = w->app->metrics;
    bool ok = res->err.code == SL_OK;
    sl__metrics_add(m, SL_M_LOADS_RUNNING, p, 0, -1);
    sl__metrics_add(m, SL_M_LOADS_FINISHED, p, ok ? SL_MS_SUCCESS : SL_MS_FAILED, 1);
    if (!ok)
        sl__metrics_add(m, SL_M_LOAD_ERRORS, p, SL_PRIMARY(res->err.code), 1);
    sl__metrics_add(m, SL_M_ROWS_LOADED, p, 0, (int64_t)res->loaded);
    sl__metrics_add(m, SL_M_ROWS_FILTERED, p, 0, (int64_t)res->filtered);
    sl__metrics_add(m, SL_M_ROWS_UNSELECTED, p, 0, (int64_t)res->unselected);
    sl__metrics_add(m, SL_M_LOAD_BYTES, p, 0, (int64_t)res->bytes);
    sl__metrics_observe(m, SL_M_LOAD_DURATION, p, 0, us);
}

/* Under w->mu: the table's totals (only loads that got a transaction: the table exists). */
static void add_total_locked(sl_watch *w, const ended *e)
{
    total *t = NULL;
    for (size_t i = 0; i < w->n_tables && t == NULL; i++)
        if (strcmp(w->tables[i].db, e->db) == 0 && strcmp(w->tables[i].table, e->table) == 0)
            t = &w->tables[i];
    if (t == NULL && w->n_tables < TABLES_MAX) {
        t = &w->tables[w->n_tables++];
        memset(t, 0, sizeof *t);
        snprintf(t->db, sizeof t->db, "%s", e->db);
        snprintf(t->table, sizeof t->table, "%s", e->table);
    }
    if (t == NULL)
        return;
    t->loads++;
    t->failed += strcmp(e->status, "Success") != 0;
    t->rows += e->loaded;
    t->bytes += e->bytes;
    t->last_wall_ms = e->finished_wall_ms;
}

static void fill_ended(ended *e, const sl_load_spec *spec, const sl_load_result *res, size_t p,
                       uint64_t us)
{
    memset(e, 0, sizeof *e);
    copy(e->label, sizeof e->label, spec->label);
    copy(e->db, sizeof e->db, spec->db);
    copy(e->table, sizeof e->table, spec->table);
    copy(e->user, sizeof e->user, spec->user);
    copy(e->message, sizeof e->message, sl_slice_of(res->err.code == SL_OK ? "OK" : res->err.msg));
    copy(e->error_log, sizeof e->error_log, sl_slice_of(res->error_log));
    e->status = status_of(res->err.code);
    e->code = sl_code_name(res->err.code);
    e->proto = p;
    e->txn_id = res->txn_id;
    e->loaded = res->loaded, e->filtered = res->filtered, e->unselected = res->unselected;
    e->bytes = res->bytes;
    e->ms = us / 1000;
    e->finished_wall_ms = wall_ms();
}

static void watch_end(void *u, void *token, const sl_load_spec *spec, const sl_load_result *res)
{
    sl_watch *w = u;
    running *r = token;
    size_t p = sl__metrics_protocol(spec->protocol);
    uint64_t us = r ? now_us() - r->start_us : res->load_ms * 1000;
    if (r) { /* bytes in flight: drop what this load held; the final count is res->bytes */
        sl__metrics_add(w->app->metrics, SL_M_BYTES_IN_FLIGHT, 0, 0, -(int64_t)r->bytes_counted);
        if (res->bytes > r->bytes_counted)
            atomic_fetch_add(&w->bytes_seen, res->bytes - r->bytes_counted);
    } else {
        atomic_fetch_add(&w->bytes_seen, res->bytes);
    }
    atomic_fetch_add(&w->rows_seen, res->loaded);
    atomic_fetch_add(&w->loads_ended, 1);
    count_end(w, p, res, us);
    ended e;
    fill_ended(&e, spec, res, p, us);
    pthread_mutex_lock(&w->mu);
    if (r) {
        if (r->prev)
            r->prev->next = r->next;
        else
            w->head = r->next;
        if (r->next)
            r->next->prev = r->prev;
        w->n_running--;
    }
    w->recent[w->next] = e;
    w->next = (w->next + 1) % RECENT_MAX;
    if (w->n_recent < RECENT_MAX)
        w->n_recent++;
    if (res->txn_id >= 0)
        add_total_locked(w, &e);
    pthread_mutex_unlock(&w->mu);
    sl_free(r);
    sl__log(w->app->log, SL_LOG_INFO,
            "load %s into %s.%s (%s): %s%s%s, %llu rows loaded, %llu filtered, %llu bytes, "
            "%llu ms",
            e.label, e.db, e.table, e.proto == SL_MP_OTHER ? "other" : spec->protocol, e.status,
            res->err.code ? ": " : "", res->err.code ? res->err.msg : "",
            (unsigned long long)e.loaded, (unsigned long long)e.filtered,
            (unsigned long long)e.bytes, (unsigned long long)e.ms);
}

sl_code sl__watch_new(sl_app *app, sl_err *err)
{
    sl_watch *w = sl_calloc(sizeof *w);
    if (w == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    w->app = app;
    pthread_mutex_init(&w->mu, NULL);
    app->watch = w;
    app->obs = (sl_job_observer){w, watch_begin, watch_progress, watch_end};
    app->env.obs = &app->obs;
    return SL_OK;
}

void sl__watch_free(sl_app *app)
{
    sl_watch *w = app->watch;
    if (w == NULL)
        return;
    for (running *r = w->head, *next; r; r = next) {
        next = r->next;
        sl_free(r);
    }
    pthread_mutex_destroy(&w->mu);
    sl_free(w);
    app->watch = NULL;
    app->env.obs = NULL;
}

/* ---- the dashboard's JSON ---------------------------------------------------------------- */

/* A copy of the lists, taken under the lock, rendered outside it (the filter may ask the
 * store about privileges). */
typedef struct snapshot {
    running *run;                      /* plain copies (atomics read once) */
    size_t n_run;
    ended *rec;                        /* newest first */
    size_t n_rec;
    total *tab;
    size_t n_tab;
} snapshot;

static bool take_snapshot(sl_watch *w, snapshot *s)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_lock(&w->mu);
    s->run = sl_malloc((w->n_running ? w->n_running : 1) * sizeof *s->run);
    s->rec = sl_malloc((w->n_recent ? w->n_recent : 1) * sizeof *s->rec);
    s->tab = sl_malloc((w->n_tables ? w->n_tables : 1) * sizeof *s->tab);
    bool ok = s->run && s->rec && s->tab;
    for (running *r = w->head; ok && r; r = r->next) {
        running *c = &s->run[s->n_run++];
        memcpy(c->label, r->label, sizeof c->label);
        memcpy(c->db, r->db, sizeof c->db);
        memcpy(c->table, r->table, sizeof c->table);
        memcpy(c->user, r->user, sizeof c->user);
        memcpy(c->client, r->client, sizeof c->client);
        c->proto = r->proto, c->start_wall_ms = r->start_wall_ms, c->start_us = r->start_us;
        c->body_size = r->body_size;
        atomic_init(&c->bytes, atomic_load(&r->bytes));
        atomic_init(&c->rows, atomic_load(&r->rows));
    }
    for (size_t i = 0; ok && i < w->n_recent; i++)
        s->rec[s->n_rec++] = w->recent[(w->next + RECENT_MAX - 1 - i) % RECENT_MAX];
    for (size_t i = 0; ok && i < w->n_tables; i++)
        s->tab[s->n_tab++] = w->tables[i];
    pthread_mutex_unlock(&w->mu);
    return ok;
}

static void free_snapshot(snapshot *s)
{
    sl_free(s->run);
    sl_free(s->rec);
    sl_free(s->tab);
}

static const char *proto_name(size_t p)
{
    static const char *const names[SL_MP_COUNT_] = {"doris", "sql", "tsload", "yamcs", "other"};
    return p < SL_MP_COUNT_ ? names[p] : "other";
}

static void json_kv(sl_buf *b, const char *key, const char *v)
{
    sl_buf_printf(b, "\"%s\":", key);
    sl_json_cstr(b, v);
    sl_buf_putc(b, ',');
}

static void render_running(sl_buf *b, const snapshot *s, sl_watch_filter ok, void *u)
{
    uint64_t t = now_us();
    bool first = true;
    sl_buf_puts(b, "\"running\":[");
    for (size_t i = 0; i < s->n_run; i++) {
        const running *r = &s->run[i];
        if (!ok(u, sl_slice_of(r->db)))
            continue;
        sl_buf_puts(b, first ? "{" : ",{");
        first = false;
        json_kv(b, "label", r->label), json_kv(b, "db", r->db), json_kv(b, "table", r->table);
        json_kv(b, "protocol", proto_name(r->proto)), json_kv(b, "user", r->user);
        json_kv(b, "client", r->client);
        sl_buf_printf(b, "\"started_ms\":%llu,\"elapsed_ms\":%llu,\"bytes\":%llu,\"rows\":%llu,"
                         "\"body_size\":%llu}",
                      (unsigned long long)r->start_wall_ms,
                      (unsigned long long)((t - r->start_us) / 1000),
                      (unsigned long long)atomic_load(&r->bytes),
                      (unsigned long long)atomic_load(&r->rows),
                      (unsigned long long)r->body_size);
    }
    sl_buf_puts(b, "],");
}

static void render_recent(sl_buf *b, const snapshot *s, sl_watch_filter ok, void *u)
{
    bool first = true;
    sl_buf_puts(b, "\"recent\":[");
    for (size_t i = 0; i < s->n_rec; i++) {
        const ended *e = &s->rec[i];
        if (!ok(u, sl_slice_of(e->db)))
            continue;
        sl_buf_puts(b, first ? "{" : ",{");
        first = false;
        json_kv(b, "label", e->label), json_kv(b, "db", e->db), json_kv(b, "table", e->table);
        json_kv(b, "protocol", proto_name(e->proto)), json_kv(b, "user", e->user);
        json_kv(b, "status", e->status), json_kv(b, "code", e->code);
        json_kv(b, "message", e->message), json_kv(b, "error_log", e->error_log);
        sl_buf_printf(b, "\"txn_id\":%lld,\"rows_loaded\":%llu,\"rows_filtered\":%llu,"
                         "\"rows_unselected\":%llu,\"bytes\":%llu,\"ms\":%llu,"
                         "\"finished_ms\":%llu}",
                      (long long)e->txn_id, (unsigned long long)e->loaded,
                      (unsigned long long)e->filtered, (unsigned long long)e->unselected,
                      (unsigned long long)e->bytes, (unsigned long long)e->ms,
                      (unsigned long long)e->finished_wall_ms);
    }
    sl_buf_puts(b, "],");
}

static void render_tables(sl_buf *b, const snapshot *s, sl_watch_filter ok, void *u)
{
    bool first = true;
    sl_buf_puts(b, "\"tables\":[");
    for (size_t i = 0; i < s->n_tab; i++) {
        const total *t = &s->tab[i];
        if (!ok(u, sl_slice_of(t->db)))
            continue;
        sl_buf_puts(b, first ? "{" : ",{");
        first = false;
        json_kv(b, "db", t->db), json_kv(b, "table", t->table);
        sl_buf_printf(b, "\"loads\":%llu,\"failed\":%llu,\"rows\":%llu,\"bytes\":%llu,"
                         "\"last_ms\":%llu}",
                      (unsigned long long)t->loads, (unsigned long long)t->failed,
                      (unsigned long long)t->rows, (unsigned long long)t->bytes,
                      (unsigned long long)t->last_wall_ms);
    }
    sl_buf_puts(b, "]");
}

/* ---- SHOW PROC '/stream_loads' ------------------------------------------------------------- */

const char *const sl__watch_running_cols[SL_WATCH_RUNNING_COLS] = {
    "Label", "Db", "Table", "Protocol", "User", "ClientIp", "State", "StartTime", "ElapsedMs",
    "LoadBytes", "ReceivedRows", "BodySize"};

static sl_slice num(sl_arena_t *a, uint64_t v)
{
    return sl_slice_of(sl_arena_printf(a, "%llu", (unsigned long long)v));
}

/* The text cells of one running load into c (SL_WATCH_RUNNING_COLS of them); false on NOMEM. */
static bool running_row(const running *r, const sl_tz *tz, uint64_t t, sl_arena_t *a,
                        sl_slice *c)
{
    char when[48];
    int64_t s = (int64_t)(r->start_wall_ms / 1000);
    size_t n = sl_format_datetime((s + (tz ? sl_tz_offset_utc(tz, s) : 0)) * 1000000, 0, when);
    c[0] = sl_arena_slice(a, sl_slice_of(r->label));
    c[1] = sl_arena_slice(a, sl_slice_of(r->db));
    c[2] = sl_arena_slice(a, sl_slice_of(r->table));
    c[3] = sl_slice_of(proto_name(r->proto));
    c[4] = sl_arena_slice(a, sl_slice_of(r->user));
    c[5] = sl_arena_slice(a, sl_slice_of(r->client));
    c[6] = SL_LIT("LOADING");
    c[7] = sl_arena_slice(a, (sl_slice){when, n});
    c[8] = num(a, (t - r->start_us) / 1000);
    c[9] = num(a, atomic_load(&r->bytes));
    c[10] = num(a, atomic_load(&r->rows));
    c[11] = r->body_size ? num(a, r->body_size) : SL_LIT("");
    for (size_t i = 0; i < SL_WATCH_RUNNING_COLS; i++)
        if (c[i].p == NULL)
            return false;
    return true;
}

sl_code sl__watch_running(sl_app *app, sl_watch_filter may_see, void *u, const sl_tz *tz,
                          sl_arena_t *a, sl_slice **cells, size_t *n_rows)
{
    snapshot s;
    *cells = NULL, *n_rows = 0;
    if (!take_snapshot(app->watch, &s)) {
        free_snapshot(&s);
        return SL_NOMEM;
    }
    uint64_t t = now_us();
    sl_code rc = SL_OK;
    sl_slice *out = sl_arena_alloc(a, (s.n_run + 1) * SL_WATCH_RUNNING_COLS * sizeof *out);
    if (out == NULL)
        rc = SL_NOMEM;
    size_t k = 0;
    for (size_t i = 0; rc == SL_OK && i < s.n_run; i++) {
        if (!may_see(u, sl_slice_of(s.run[i].db)))
            continue;
        if (!running_row(&s.run[i], tz, t, a, out + k * SL_WATCH_RUNNING_COLS))
            rc = SL_NOMEM;
        k++;
    }
    free_snapshot(&s);
    if (rc == SL_OK)
        *cells = out, *n_rows = k;
    return rc;
}

void sl__watch_json(sl_app *app, sl_buf *b, sl_watch_filter may_see, void *u)
{
    sl_watch *w = app->watch;
    snapshot s;
    if (!take_snapshot(w, &s)) {
        free_snapshot(&s);
        b->oom = true;
        return;
    }
    /* Totals count every load of this node (the chart's rate); the lists are filtered. */
    sl_buf_printf(b, "\"now_ms\":%llu,\"started_ms\":%llu,\"totals\":{\"bytes\":%llu,"
                     "\"rows\":%llu,\"loads\":%llu},",
                  (unsigned long long)wall_ms(), (unsigned long long)app->started_wall_ms,
                  (unsigned long long)atomic_load(&w->bytes_seen),
                  (unsigned long long)atomic_load(&w->rows_seen),
                  (unsigned long long)atomic_load(&w->loads_ended));
    render_running(b, &s, may_see, u);
    render_recent(b, &s, may_see, u);
    render_tables(b, &s, may_see, u);
    free_snapshot(&s);
}
