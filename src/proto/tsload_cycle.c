/*
 * tsload_cycle.c - tsload sessions and load cycles (proto stage, below tsload.c).
 *
 * A load cycle is one store transaction (sl_job) kept open across requests, from the first
 * upload to commit, so its rows stay invisible until then. The job API is synchronous per call,
 * so each cycle has a mutex held for one push or the commit; uploads to one cycle may run side
 * by side and interleave whole record batches.
 *
 *   StartLoad -> cycle (OPEN), params.json under DATA_DIR/tsload/<id>/
 *   upload    -> multipart part -> CSV decoder (one per part: its own header row) -> rows fixed
 *                up (null_value, trailing separator, CR, column count) -> sl_job_push_rows
 *                (mapper -> store, through the counting shim below)
 *   commit    -> COMMITTING; later, on the commit request's cleanup stage (after the 202 went
 *                out): max_ignored_rows, validate_only, precommit.json, store commit
 *                (empty_target: atomic replace) -> DONE/FAILED, bad records and final.json
 *
 * Parsing happens while an upload streams in (each chunk is decoded and pushed before the next
 * is read), which is as "asynchronous" as the client can observe: the 202 comes when the body
 * is consumed. A restart loses the open transaction (the store aborts PREPARE on start); the
 * cycle is then read back from params.json and reported LOAD_FAILED, unless it had reached its
 * commit: then the store's label state decides (see "the cycle's store transaction").
 *
 * Sessions are kept in memory and as files under DATA_DIR/tsload/sessions/ (see "sessions").
 *
 * Counters: the job counts the rows it hands to the store (sl_job_written); rows pushed minus
 * rows written are the ignored rows.
 *
 * Locks: app->tsload->mu guards the registry, sessions, states and counters; a cycle's mu
 * guards its job. Order: cycle mu, then registry mu.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "../core/jsonval.h"
#include "../core/mem.h"
#include "tsload_internal.h"

#define MAX_SESSIONS 10000          /* oldest sessions are dropped beyond this */
#define SESSION_IDLE_S (12 * 3600)  /* a session unused this long is forgotten */
#define MAX_FINISHED 1000           /* finished cycles kept in memory (the rest stay on disk) */

/* Test hook (documented as test-only in docs/tsload.md): with this variable set to 1 in the
 * server's environment, the process kills itself (SIGKILL) right after a cycle's store commit
 * returned and before final.json is written, the window issue 26 is about. */
#define TEST_CRASH_ENV "SLUICE_TEST_TSLOAD_CRASH_AFTER_COMMIT"

static const char interrupted_text[] =
    "load cycle interrupted by a server restart before commit; nothing was loaded";

enum { CY_OPEN, CY_COMMITTING, CY_DONE, CY_FAILED, CY_CANCELLED };
static const char *const stage_names[] = {"INGESTING", "COMMITTING", "DONE", "FAILED",
                                          "CANCELLED"};

typedef struct ts_session {
    char token[40];
    char user[128];
    char file[65];                  /* SHA-256 of the token (hex): its file under sessions/ */
    uint64_t last_ms;
    uint64_t touched_s;             /* wall clock of the file's last mtime update */
    struct ts_session *next;
} ts_session;

/* The counting store shim: forwards to the real store, counts appended rows. */
struct sl_ts_cycle {
    char id[40];
    char owner[128];
    char dir[1200];                 /* DATA_DIR/tsload/<id> */
    int refs;                       /* registry mu */
    int state;                      /* registry mu */
    char message[SL_ERR_MSG_MAX];   /* failure reason; registry mu */
    uint64_t start_us, end_us;      /* registry mu */
    _Atomic uint64_t pushed;        /* rows pushed into the job (written under the cycle mu) */
    _Atomic uint64_t net_bytes, file_bytes;
    uint64_t last_ms;
    bool restored;                  /* read back from disk after a restart */
    char *final_json;               /* restored DONE/FAILED status (heap) */
    pthread_mutex_t mu;
    sl_arena_t arena;               /* params, spec */
    sl_ts_params p;
    sl_text_formats fmt;
    sl_load_spec spec;
    const sl_tabledef *def;         /* from the job's first begin, for the row fix-ups */
    sl_arena_t def_arena;
    bool def_ok;
    sl_job *job;
    _Atomic uint64_t rows;          /* rows the job handed to the store */
    sl_job_env env;
    char errlog_dir[1300];
    sl_ts_cycle *next;
};

typedef struct sl_tsload {
    pthread_mutex_t mu;
    ts_session *sessions;
    size_t n_sessions;
    sl_ts_cycle *cycles;
    char session_dir[1100];         /* DATA_DIR/tsload/sessions */
    bool crash_after_commit;        /* test hook, see TEST_CRASH_ENV */
} sl_tsload;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* ---- files ----------------------------------------------------------------------------------- */

/* Cycle ids and session tokens are lower-case UUIDs; nothing else names a file. */
static bool valid_id(sl_slice id)
{
    if (id.n != 36)
        return false;
    for (size_t i = 0; i < 36; i++) {
        char c = id.p[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

/* Write dir/name atomically and durably: a temporary file, fsync, rename, fsync of the
 * directory (so the name survives a power cut as well as a kill). */
static bool write_file(const char *dir, const char *name, const char *p, size_t n)
{
    char path[2048], tmp[2048];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, name);
    FILE *f = fopen(tmp, "wb");
    if (f == NULL)
        return false;
    bool ok = fwrite(p, 1, n, f) == n;
    ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0)
        return false;
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ok = fsync(fd) == 0;
    close(fd);
    return ok;
}

/* Read a whole (small) file into the buffer. */
static bool read_file(const char *dir, const char *name, sl_buf *b)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return false;
    char tmp[8192];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        sl_buf_append(b, tmp, n);
    fclose(f);
    return !b->oom;
}

static bool file_exists(const char *dir, const char *name)
{
    char path[2048];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0;
}

/* ---- sessions -------------------------------------------------------------------------------- */
/*
 * A session is a JSESSIONID token and its user, kept in memory and, so that a client polling
 * across a restart stays logged in, as one file under DATA_DIR/tsload/sessions/ named by the
 * SHA-256 of the token (the token itself is never written) and holding the user name. The
 * file's mtime is the session's last use, refreshed at most every SESSION_TOUCH_S; a session
 * unused for SESSION_IDLE_S is gone, in memory and on disk.
 */

#define SESSION_TOUCH_S 60          /* mtime refresh granularity: one utimensat a minute */

/* The file name of a token: hex SHA-256. false when the digest fails (memory-only session). */
static bool token_file(sl_slice token, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    out[0] = '\0';
    if (EVP_Digest(token.p, token.n, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
        return false;
    for (unsigned i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return true;
}

static void session_path(const sl_tsload *ts, const char *file, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", ts->session_dir, file);
}

static void session_unlink(const sl_tsload *ts, const char *file)
{
    char path[1200];
    if (file[0] == '\0')
        return;
    session_path(ts, file, path, sizeof path);
    unlink(path);
}

/* Remove session files unused for SESSION_IDLE_S (and leftover temporaries); start-up only. */
static void sessions_sweep(const sl_tsload *ts)
{
    DIR *d = opendir(ts->session_dir);
    if (d == NULL)
        return;
    time_t now = time(NULL);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char path[1400];
        struct stat st;
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", ts->session_dir, de->d_name);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
            (strlen(de->d_name) != 64 || now - st.st_mtime >= SESSION_IDLE_S))
            unlink(path);
    }
    closedir(d);
}

/* A session of an earlier run, read back from its file: the user, unless the file is missing
 * or expired (then removed). */
static ts_session *session_load(sl_tsload *ts, sl_slice token)
{
    char file[65], path[1200];
    struct stat st;
    if (!token_file(token, file))
        return NULL;
    session_path(ts, file, path, sizeof path);
    if (stat(path, &st) != 0)
        return NULL;
    time_t now = time(NULL);
    if (now - st.st_mtime >= SESSION_IDLE_S) {
        unlink(path);
        return NULL;
    }
    sl_buf b = SL_BUF_INIT;
    ts_session *s = NULL;
    if (read_file(ts->session_dir, file, &b) && b.len > 0 && b.len < sizeof s->user &&
        (s = sl_calloc(sizeof *s)) != NULL) {
        memcpy(s->token, token.p, token.n);
        memcpy(s->user, b.p, b.len);
        memcpy(s->file, file, sizeof file);
        s->last_ms = now_ms();
        s->touched_s = 0; /* refreshed by the caller's use */
    }
    sl_buf_free(&b);
    return s;
}

/* Refresh the file's mtime (outside the registry mu). */
static void session_touch(const sl_tsload *ts, const char *file)
{
    char path[1200];
    session_path(ts, file, path, sizeof path);
    utimensat(AT_FDCWD, path, NULL, 0);
}

/* The live session of token (registry mu held), refreshed; NULL when none. */
static ts_session *session_find_locked(sl_tsload *ts, sl_slice token, char *touch)
{
    uint64_t now = now_ms(), wall = (uint64_t)time(NULL);
    for (ts_session *s = ts->sessions; s; s = s->next) {
        if (strlen(s->token) != token.n || memcmp(s->token, token.p, token.n) != 0 ||
            now - s->last_ms >= (uint64_t)SESSION_IDLE_S * 1000)
            continue;
        s->last_ms = now;
        if (s->file[0] && wall - s->touched_s >= SESSION_TOUCH_S) {
            s->touched_s = wall;
            memcpy(touch, s->file, sizeof s->file);
        }
        return s;
    }
    return NULL;
}

bool sl__ts_session_user(sl_app *app, sl_slice token, char *user, size_t cap)
{
    sl_tsload *ts = app->tsload;
    char touch[65] = "";
    if (!valid_id(token))
        return false;
    pthread_mutex_lock(&ts->mu);
    ts_session *s = session_find_locked(ts, token, touch);
    if (s)
        snprintf(user, cap, "%s", s->user);
    pthread_mutex_unlock(&ts->mu);
    if (s == NULL && (s = session_load(ts, token)) != NULL) {
        pthread_mutex_lock(&ts->mu);
        ts_session *dup = session_find_locked(ts, token, touch);
        if (dup) { /* another request read it back meanwhile */
            sl_free(s);
            s = dup;
        } else {
            s->next = ts->sessions;
            ts->sessions = s;
            s->touched_s = (uint64_t)time(NULL);
            memcpy(touch, s->file, sizeof s->file);
        }
        snprintf(user, cap, "%s", s->user);
        pthread_mutex_unlock(&ts->mu);
    }
    if (touch[0])
        session_touch(ts, touch);
    return s != NULL;
}

sl_code sl__ts_session_new(sl_app *app, sl_slice user, char *token)
{
    sl_tsload *ts = app->tsload;
    ts_session *s = sl_calloc(sizeof *s);
    if (s == NULL)
        return SL_NOMEM;
    sl__uuid(s->token);
    snprintf(s->user, sizeof s->user, "%.*s", (int)user.n, user.p);
    s->last_ms = now_ms();
    s->touched_s = (uint64_t)time(NULL);
    if (token_file((sl_slice){s->token, 36}, s->file) &&
        !write_file(ts->session_dir, s->file, s->user, strlen(s->user)))
        s->file[0] = '\0'; /* cannot persist: the session lives in memory only */
    memcpy(token, s->token, 37);
    ts_session *gone = NULL;
    pthread_mutex_lock(&ts->mu);
    /* Drop expired sessions, and the oldest ones beyond the cap (new ones go first). */
    size_t n = 0;
    for (ts_session **pp = &ts->sessions; *pp;) {
        ts_session *x = *pp;
        if (n >= MAX_SESSIONS - 1 || s->last_ms - x->last_ms >= (uint64_t)SESSION_IDLE_S * 1000) {
            *pp = x->next;
            x->next = gone;
            gone = x;
            continue;
        }
        n++;
        pp = &x->next;
    }
    s->next = ts->sessions;
    ts->sessions = s;
    pthread_mutex_unlock(&ts->mu);
    while (gone) {
        ts_session *x = gone;
        gone = x->next;
        session_unlink(ts, x->file);
        sl_free(x);
    }
    return SL_OK;
}

/* ---- registry -------------------------------------------------------------------------------- */

static void resolve_interrupted(sl_app *app);

sl_code sl__tsload_new(sl_app *app, sl_err *err)
{
    sl_tsload *ts = sl_calloc(sizeof *ts);
    if (ts == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    pthread_mutex_init(&ts->mu, NULL);
    app->tsload = ts;
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/tsload", app->cfg.data_dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return sl_fail(err, SL_BACKEND, "cannot create %s: %s", dir, strerror(errno));
    snprintf(ts->session_dir, sizeof ts->session_dir, "%s/tsload/sessions", app->cfg.data_dir);
    if (mkdir(ts->session_dir, 0700) != 0 && errno != EEXIST)
        return sl_fail(err, SL_BACKEND, "cannot create %s: %s", ts->session_dir,
                       strerror(errno));
    const char *crash = getenv(TEST_CRASH_ENV);
    ts->crash_after_commit = crash != NULL && strcmp(crash, "1") == 0;
    sessions_sweep(ts);
    resolve_interrupted(app);
    return SL_OK;
}

static void cycle_free(sl_ts_cycle *c)
{
    if (c->job)
        sl_job_free(c->job); /* aborts the open transaction */
    sl_free(c->final_json);
    sl_arena_free(&c->arena);
    sl_arena_free(&c->def_arena);
    pthread_mutex_destroy(&c->mu);
    sl_free(c);
}

void sl__tsload_free(sl_app *app)
{
    sl_tsload *ts = app->tsload;
    if (ts == NULL)
        return;
    while (ts->sessions) {
        ts_session *s = ts->sessions;
        ts->sessions = s->next;
        sl_free(s);
    }
    while (ts->cycles) {
        sl_ts_cycle *c = ts->cycles;
        ts->cycles = c->next;
        cycle_free(c);
    }
    pthread_mutex_destroy(&ts->mu);
    sl_free(ts);
    app->tsload = NULL;
}

/* ---- cycles ---------------------------------------------------------------------------------- */

/* ---- the cycle's store transaction --------------------------------------------------------- */
/*
 * The store decides a cycle's outcome. Its transaction carries a label that follows from the
 * cycle id alone (the id itself), taken by the store at begin. Before the commit, precommit.json
 * records the transaction id and the counts; after a restart a cycle without final.json asks
 * the store for its label: VISIBLE (or COMMITTED) under the recorded transaction id means the
 * rows are there, so the cycle is DONE with the recorded counts; anything else is FAILED.
 * These two functions are all the adapter asks of the store about a cycle's label.
 */

/* The store label of a cycle's transaction: its id, so it is known before the transaction
 * begins and after any restart. */
static sl_slice cycle_label(const sl_ts_cycle *c)
{
    return (sl_slice){c->id, 36};
}

/* The state of the cycle's label in the store and the transaction holding it; UNKNOWN when
 * the store has no such label (or the database is gone). */
static sl_txn_state cycle_label_state(sl_app *app, const sl_ts_cycle *c, int64_t *txn_id)
{
    sl_label_info li = {-1, SL_TXN_UNKNOWN};
    sl_err e = {0};
    if (sl_store_label_state(app->store, c->p.db, cycle_label(c), &li, &e) != SL_OK)
        li = (sl_label_info){-1, SL_TXN_UNKNOWN};
    *txn_id = li.txn_id;
    return (sl_txn_state)li.state;
}

/* The spec and formats of a cycle from its parameters. */
static void fill_spec(sl_app *app, sl_ts_cycle *c)
{
    const sl_ts_params *p = &c->p;
    sl_text_formats *f = &c->fmt;
    sl_err e = {0};
    sl_text_formats_default(f);
    sl_datefmt_compile(p->date_fmt, &f->date, &e); /* validated by sl__ts_params_parse */
    sl_datefmt_compile(p->time_fmt, &f->time, &e);
    sl_datefmt_compile(p->datetime_fmt, &f->datetime, &e);
    f->date_src = p->date_fmt;
    f->time_src = p->time_fmt;
    f->datetime_src = p->datetime_fmt;
    f->converted_to_epoch = p->epoch;
    f->frac_start = p->frac_start.n ? p->frac_start.p[0] : '.';
    f->skip_fraction = p->skip_fraction;
    f->true_fmt = p->true_fmt;
    f->false_fmt = p->false_fmt;
    f->use_bit_values = p->bit_values;
    sl_load_spec *s = &c->spec;
    memset(s, 0, sizeof *s);
    s->db = p->db;
    s->table = p->table;
    s->label = cycle_label(c);
    s->format = SL_LIT("csv");
    sl_decode_opts_default(&s->dopts);
    s->columns = s->where = s->partitions = SL_SLICE_NULL;
    s->lenient_fields = p->flexible;
    s->strict = true;             /* a value that does not convert is a bad record */
    s->max_filter_ratio = 1.0;    /* max_ignored_rows is a count, checked at commit */
    s->timeout_s = 0;             /* idle cycles expire instead (tsload_cycle_idle_s) */
    s->tz = app->tz;
    s->formats = f;
    s->replace_table = p->empty_target; /* atomic: old rows go in the commit's transaction */
    snprintf(c->errlog_dir, sizeof c->errlog_dir, "%s/errlog", c->dir);
    s->protocol = "tsload";
    c->env = (sl_job_env){app->store, c->errlog_dir, app->env.obs};
}

static sl_ts_cycle *cycle_alloc(sl_app *app, const char *id)
{
    sl_ts_cycle *c = sl_calloc(sizeof *c);
    if (c == NULL)
        return NULL;
    snprintf(c->id, sizeof c->id, "%s", id);
    snprintf(c->dir, sizeof c->dir, "%s/tsload/%s", app->cfg.data_dir, id);
    sl_arena_init(&c->arena, 4096);
    sl_arena_init(&c->def_arena, 4096);
    pthread_mutex_init(&c->mu, NULL);
    c->start_us = c->end_us = wall_us();
    c->last_ms = now_ms();
    return c;
}

/* Insert into the registry (registry mu held); drops the oldest finished unreferenced cycles
 * beyond MAX_FINISHED (their state stays on disk). */
static void registry_add_locked(sl_tsload *ts, sl_ts_cycle *c)
{
    c->next = ts->cycles;
    ts->cycles = c;
    size_t finished = 0;
    for (sl_ts_cycle **pp = &ts->cycles; *pp;) {
        sl_ts_cycle *x = *pp;
        if (x->state >= CY_DONE && ++finished > MAX_FINISHED && x->refs == 0) {
            *pp = x->next;
            cycle_free(x);
            continue;
        }
        pp = &x->next;
    }
}

/* A number member of a small JSON document we wrote (0 when absent or not a number). */
static uint64_t json_u64(const sl_jval *doc, const char *k)
{
    const sl_jval *v = sl_json_get(doc, k);
    uint64_t x = 0;
    if (v == NULL || (v->type != SL_J_NUM && v->type != SL_J_STR))
        return 0;
    for (size_t i = 0; i < v->s.n && v->s.p[i] >= '0' && v->s.p[i] <= '9' && i < 19; i++)
        x = x * 10 + (uint64_t)(v->s.p[i] - '0');
    return x;
}

/* A cycle's describing document: {"owner":..,"start_time":..,"load_params":{..}} (params.json,
 * and the body of its handoff to another node). */
static bool cycle_doc(const sl_ts_cycle *c, sl_buf *b)
{
    sl_buf_puts(b, "{\"owner\":");
    sl_json_cstr(b, c->owner);
    sl_buf_printf(b, ",\"start_time\":%llu", (unsigned long long)c->start_us);
    sl_buf_puts(b, ",\"load_params\":");
    sl__ts_params_json(&c->p, b);
    sl_buf_puts(b, "}");
    return !b->oom;
}

/* Read a cycle's document (as cycle_doc writes it) into c: owner, start time, parameters. */
static bool cycle_doc_read(sl_ts_cycle *c, const char *p, size_t n)
{
    sl_jval *doc = NULL;
    sl_err e = {0};
    const sl_jval *ow;
    if (sl_json_parse(p, n, &c->arena, &doc, &e) != SL_OK || sl_json_get(doc, "load_params") ==
        NULL || (ow = sl_json_get(doc, "owner")) == NULL)
        return false;
    snprintf(c->owner, sizeof c->owner, "%.*s", (int)ow->s.n, ow->s.p);
    /* Re-parse the load_params: their text is the object after the key, to the closing brace
     * of the document (cycle_doc writes it last). */
    const char *start = memmem(p, n, "\"load_params\":", 14);
    if (start == NULL)
        return false;
    start += 14;
    size_t len = n - (size_t)(start - p) - 1;
    if (sl__ts_params_parse(start, len, &c->arena, &c->p, &e) != SL_OK)
        return false;
    if (sl_json_get(doc, "start_time"))
        c->start_us = c->end_us = json_u64(doc, "start_time");
    return true;
}

/* A new cycle `id` on this node, described by doc (a handoff's body) or by body (a StartLoad
 * document) and user: its directory and params.json; not yet in the registry. */
static sl_code cycle_create(sl_app *app, const char *id, sl_slice doc, const char *body, size_t n,
                            sl_slice user, sl_ts_cycle **out, sl_err *err)
{
    sl_ts_cycle *c = cycle_alloc(app, id);
    if (c == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    sl_code rc = SL_OK;
    if (doc.p) {
        if (!cycle_doc_read(c, doc.p, doc.n))
            rc = sl_fail(err, SL_INTERNAL, "the load cycle handed over is unreadable");
    } else {
        snprintf(c->owner, sizeof c->owner, "%.*s", (int)user.n, user.p);
        rc = sl__ts_params_parse(body, n, &c->arena, &c->p, err);
    }
    if (rc != SL_OK)
        goto fail;
    fill_spec(app, c);
    if (mkdir(c->dir, 0755) != 0) {
        rc = sl_fail(err, SL_BACKEND, "cannot create %s: %s", c->dir, strerror(errno));
        goto fail;
    }
    sl_buf b = SL_BUF_INIT;
    bool ok = cycle_doc(c, &b) && write_file(c->dir, "params.json", b.p, b.len);
    sl_buf_free(&b);
    if (!ok) {
        rc = sl_fail(err, SL_BACKEND, "cannot write the load cycle to %s", c->dir);
        goto fail;
    }
    *out = c;
    return SL_OK;
fail:
    cycle_free(c);
    return rc;
}

sl_code sl__ts_cycle_new(sl_app *app, const char *body, size_t n, sl_slice user, char *id,
                         sl_err *err)
{
    char uuid[40];
    sl__uuid(uuid);
    sl_ts_cycle *c;
    sl_code rc = cycle_create(app, uuid, SL_SLICE_NULL, body, n, user, &c, err);
    if (rc != SL_OK)
        return rc;
    memcpy(id, c->id, 37);
    pthread_mutex_lock(&app->tsload->mu);
    registry_add_locked(app->tsload, c);
    pthread_mutex_unlock(&app->tsload->mu);
    return SL_OK;
}

sl_code sl__ts_cycle_handoff(sl_app *app, sl_slice node, const char *body, size_t n,
                             sl_slice user, char *id, sl_err *err)
{
    char uuid[40];
    sl__uuid(uuid);
    sl_ts_cycle *c = cycle_alloc(app, uuid); /* only to write its document */
    if (c == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    snprintf(c->owner, sizeof c->owner, "%.*s", (int)user.n, user.p);
    sl_buf b = SL_BUF_INIT;
    sl_code rc = sl__ts_params_parse(body, n, &c->arena, &c->p, err);
    if (rc == SL_OK && !cycle_doc(c, &b))
        rc = sl_fail(err, SL_NOMEM, "out of memory");
    if (rc == SL_OK)
        rc = sl_store_handoff_put(app->store, "tsload", sl_slice_of(uuid), node,
                                  (sl_slice){b.p, b.len}, err);
    if (rc == SL_OK)
        memcpy(id, uuid, 37);
    sl_buf_free(&b);
    cycle_free(c);
    return rc;
}

/* A cycle handed to this node by another (or proposed to another node and asked for here
 * first): claimed in the store and created here, or NULL. Called without the registry mu. */
static sl_ts_cycle *adopt(sl_app *app, const char *id)
{
    sl_arena_t a;
    sl_arena_init(&a, 1024);
    sl_slice doc;
    sl_err e = {0};
    sl_ts_cycle *c = NULL;
    if (sl_store_handoff_claim(app->store, "tsload", sl_slice_of(id), &a, &doc, &e) == SL_OK &&
        cycle_create(app, id, doc, NULL, 0, SL_SLICE_NULL, &c, &e) != SL_OK) {
        fprintf(stderr, "sluice: warning: tsload: cannot take over load cycle %s: %s\n", id,
                e.msg);
        c = NULL;
    }
    sl_arena_free(&a);
    return c;
}

bool sl__ts_handoff_summary(sl_app *app, sl_slice id, const char *user, bool admin, sl_buf *b)
{
    if (!valid_id(id))
        return false;
    char sid[40];
    snprintf(sid, sizeof sid, "%.*s", 36, id.p);
    sl_ts_cycle *c = cycle_alloc(app, sid); /* only to read the document */
    sl_arena_t a;
    sl_arena_init(&a, 1024);
    sl_slice doc;
    sl_err e = {0};
    bool ok = c && sl_store_handoff_get(app->store, "tsload", sl_slice_of(sid), &a, &doc, &e) ==
                       SL_OK && cycle_doc_read(c, doc.p, doc.n) &&
              (admin || strcmp(c->owner, user) == 0);
    if (ok)
        sl__ts_cycle_summary(c, b);
    sl_arena_free(&a);
    if (c)
        cycle_free(c);
    return ok;
}


/* precommit.json: written (durably) right before the store commit, so that a restart between
 * the commit and final.json can tell what was committed. */
static bool write_precommit(sl_ts_cycle *c, int64_t txn_id, uint64_t written, uint64_t ignored)
{
    sl_buf b = SL_BUF_INIT;
    sl_buf_puts(&b, "{\"label\":");
    sl_json_str(&b, cycle_label(c).p, cycle_label(c).n);
    sl_buf_printf(&b,
                  ",\"txn_id\":%lld,\"rows_written\":%llu,\"ignored_row_count\":%llu,"
                  "\"bytes_written\":%llu,\"ingested_network_bw\":%llu,\"end_time\":%llu}",
                  (long long)txn_id, (unsigned long long)written, (unsigned long long)ignored,
                  (unsigned long long)atomic_load(&c->file_bytes),
                  (unsigned long long)atomic_load(&c->net_bytes), (unsigned long long)wall_us());
    bool ok = !b.oom && write_file(c->dir, "precommit.json", b.p, b.len);
    sl_buf_free(&b);
    return ok;
}

/* The job's error log of a cycle of an earlier run: the one file below errlog/ (one job per
 * cycle), as "__shard_N/<file>" into name; "" when there is none. */
static void find_error_log(const sl_ts_cycle *c, char *name, size_t cap)
{
    name[0] = '\0';
    DIR *d = opendir(c->errlog_dir);
    struct dirent *de;
    while (d && name[0] == '\0' && (de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, "__shard_", 8) != 0)
            continue;
        char sub[1600];
        snprintf(sub, sizeof sub, "%s/%s", c->errlog_dir, de->d_name);
        DIR *s = opendir(sub);
        struct dirent *fe;
        while (s && name[0] == '\0' && (fe = readdir(s)) != NULL)
            if (strncmp(fe->d_name, "error_log_", 10) == 0)
                snprintf(name, cap, "%s/%s", de->d_name, fe->d_name);
        if (s)
            closedir(s);
    }
    if (d)
        closedir(d);
}

static void write_bad_records(sl_ts_cycle *c, const char *log_name, sl_buf *reasons, uint64_t max);
static void status_json_locked(sl_ts_cycle *c, uint64_t written, uint64_t ignored,
                               const char *errors, sl_buf *b);

/* A cycle of an earlier run that has no final.json. Without precommit.json the restart came
 * before the commit: FAILED. With it, the store's label decides (see "the cycle's store
 * transaction"), and the decision is written to final.json so that it no longer depends on
 * the store keeping the label. */
static void resolve_commit(sl_app *app, sl_ts_cycle *c)
{
    sl_buf b = SL_BUF_INIT, reasons = SL_BUF_INIT, fin = SL_BUF_INIT;
    sl_arena_t a;
    sl_jval *doc = NULL;
    sl_err e = {0};
    sl_arena_init(&a, 1024);
    c->state = CY_FAILED;
    snprintf(c->message, sizeof c->message, "%s", interrupted_text);
    if (!read_file(c->dir, "precommit.json", &b) ||
        sl_json_parse(b.p, b.len, &a, &doc, &e) != SL_OK || doc->type != SL_J_OBJ)
        goto out;
    const sl_jval *t = sl_json_get(doc, "txn_id");
    int64_t txn = -1, recorded = t && t->type == SL_J_NUM ? (int64_t)json_u64(doc, "txn_id") : -2;
    sl_txn_state st = cycle_label_state(app, c, &txn);
    uint64_t written = json_u64(doc, "rows_written");
    atomic_store(&c->file_bytes, json_u64(doc, "bytes_written"));
    atomic_store(&c->net_bytes, json_u64(doc, "ingested_network_bw"));
    /* COMMITTED: the store took the commit and makes it visible by itself [Doris publish]. */
    if (txn == recorded && (st == SL_TXN_VISIBLE || st == SL_TXN_COMMITTED)) {
        c->state = CY_DONE;
        c->message[0] = '\0';
        c->end_us = json_u64(doc, "end_time");
    } else {
        written = 0;
    }
    char log_name[600];
    find_error_log(c, log_name, sizeof log_name);
    write_bad_records(c, log_name, &reasons, c->p.max_reported ? c->p.max_reported : 100);
    status_json_locked(c, written, json_u64(doc, "ignored_row_count"),
                       reasons.len ? reasons.p : NULL, &fin);
    if (!fin.oom) {
        write_file(c->dir, "final.json", fin.p, fin.len);
        size_t len;
        c->final_json = sl_buf_take(&fin, &len);
    }
out:
    sl_buf_free(&b);
    sl_buf_free(&reasons);
    sl_buf_free(&fin);
    sl_arena_free(&a);
}

/* A cycle of an earlier run, read back from DATA_DIR/tsload/<id>/: DONE or FAILED as its
 * final.json says, else as resolve_commit decides. */
static sl_ts_cycle *restore(sl_app *app, const char *id)
{
    sl_ts_cycle *c = cycle_alloc(app, id);
    if (c == NULL)
        return NULL;
    sl_buf b = SL_BUF_INIT;
    if (!read_file(c->dir, "params.json", &b) || !cycle_doc_read(c, b.p, b.len))
        goto fail;
    fill_spec(app, c);
    c->restored = true;
    sl_buf_clear(&b);
    if (read_file(c->dir, "final.json", &b) && b.len) {
        size_t len;
        c->final_json = sl_buf_take(&b, &len);
        c->state = strstr(c->final_json, "\"internal_stage\":\"DONE\"") ? CY_DONE : CY_FAILED;
    } else {
        resolve_commit(app, c);
    }
    sl_buf_free(&b);
    return c;
fail:
    sl_buf_free(&b);
    cycle_free(c);
    return NULL;
}

/* Start-up: settle every cycle that wrote precommit.json but no final.json (the process died
 * during or right after its commit) while the store still knows its label. Other cycles are
 * read back when first asked for. */
static void resolve_interrupted(sl_app *app)
{
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/tsload", app->cfg.data_dir);
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char cdir[1400];
        if (!valid_id(sl_slice_of(de->d_name)))
            continue;
        snprintf(cdir, sizeof cdir, "%s/%s", dir, de->d_name);
        if (!file_exists(cdir, "precommit.json") || file_exists(cdir, "final.json"))
            continue;
        sl_ts_cycle *c = restore(app, de->d_name);
        if (c == NULL)
            continue;
        pthread_mutex_lock(&app->tsload->mu);
        registry_add_locked(app->tsload, c);
        pthread_mutex_unlock(&app->tsload->mu);
    }
    closedir(d);
}

/* Cancel open cycles idle longer than the configured time (registry mu held). */
static void expire_locked(sl_app *app)
{
    uint64_t limit = (uint64_t)app->cfg.tsload_cycle_idle_s * 1000, now = now_ms();
    if (limit == 0)
        return;
    for (sl_ts_cycle *c = app->tsload->cycles; c; c = c->next) {
        if (c->state != CY_OPEN || c->refs > 0 || now - c->last_ms < limit)
            continue;
        if (pthread_mutex_trylock(&c->mu) != 0)
            continue;
        c->state = CY_FAILED;
        c->end_us = wall_us();
        snprintf(c->message, sizeof c->message,
                 "load cycle expired after %u seconds without a request; nothing was loaded",
                 app->cfg.tsload_cycle_idle_s);
        if (c->job) {
            sl_job_free(c->job);
            c->job = NULL;
        }
        pthread_mutex_unlock(&c->mu);
    }
}

sl_ts_cycle *sl__ts_cycle_get(sl_app *app, sl_slice id, bool claim)
{
    if (!valid_id(id))
        return NULL;
    sl_tsload *ts = app->tsload;
    sl_ts_cycle *c;
    pthread_mutex_lock(&ts->mu);
    expire_locked(app);
    for (c = ts->cycles; c; c = c->next)
        if (memcmp(c->id, id.p, 36) == 0)
            break;
    char sid[40];
    snprintf(sid, sizeof sid, "%.*s", 36, id.p);
    if (c == NULL && (c = restore(app, sid)) != NULL)
        registry_add_locked(ts, c);
    if (c)
        c->refs++;
    pthread_mutex_unlock(&ts->mu);
    if (c || !claim || (c = adopt(app, sid)) == NULL)
        return c;
    pthread_mutex_lock(&ts->mu); /* only one node and one request can claim the cycle */
    registry_add_locked(ts, c);
    c->refs++;
    pthread_mutex_unlock(&ts->mu);
    return c;
}

void sl__ts_cycle_put(sl_app *app, sl_ts_cycle *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&app->tsload->mu);
    c->refs--;
    pthread_mutex_unlock(&app->tsload->mu);
}

const sl_ts_params *sl__ts_cycle_params(const sl_ts_cycle *c)
{
    return &c->p;
}

const char *sl__ts_cycle_owner(const sl_ts_cycle *c)
{
    return c->owner;
}

const char *sl__ts_cycle_id(const sl_ts_cycle *c)
{
    return c->id;
}

/* Begin the cycle's job on first use (cycle mu held). SL_NOT_FOUND when the table is missing. */
static sl_code ensure_job(sl_ts_cycle *c, sl_err *err)
{
    if (c->job)
        return SL_OK;
    sl_load_result res;
    sl_code rc = sl_job_begin(&c->env, &c->spec, &c->job, &res);
    if (rc != SL_OK) {
        sl_fail(err, SL_PRIMARY(rc) == SL_NOT_FOUND ? SL_NOT_FOUND : rc, "%s", res.err.msg);
        return SL_PRIMARY(rc) == SL_NOT_FOUND ? SL_NOT_FOUND : rc;
    }
    if (!c->def_ok) {
        int64_t tid;
        sl_err e = {0};
        sl_tabledef *d;
        if (sl_catalog_table(&c->env, c->spec.db, c->spec.table, &c->def_arena, &d, &tid, &e) !=
            SL_OK)
            return sl_fail(err, e.code, "%s", e.msg);
        c->def = d;
        c->def_ok = true;
    }
    return SL_OK;
}

/* ---- uploads --------------------------------------------------------------------------------- */

struct sl_ts_upload {
    sl_app *app;
    sl_ts_cycle *c;
    sl_arena_t *arena;
    const sl_decoder_vtab *dec;     /* CSV, or tsload_delimited.c for DELIMITED with escape */
    void *st;
    bool open;
    sl_decode_opts o;
    sl_rawbatch rb;
    sl_err err;
    /* CRLF records with an enclosing character are decoded again without the CR (fix_crlf) */
    void *redo;                     /* a second CSV decoder state, opened on first use */
    sl_decode_opts redo_o;
    sl_rawbatch redo_rb;
    sl_err redo_err;
    bool redo_broken;               /* the second decoder failed: CRs are just dropped */
    sl_arena_t scratch;             /* re-decoded values; reset after every flush */
};

sl_code sl__ts_upload_begin(sl_app *app, sl_ts_cycle *c, sl_arena_t *a, sl_ts_upload **out,
                            sl_err *err)
{
    pthread_mutex_lock(&app->tsload->mu);
    int state = c->state;
    c->last_ms = now_ms(); /* uploads (not status polls) keep a cycle alive */
    pthread_mutex_unlock(&app->tsload->mu);
    if (state != CY_OPEN)
        return sl_fail(err, SL_INVALID, "Cycle_id=[%s] is %s and takes no more data.", c->id,
                       stage_names[state]);
    sl_ts_upload *u = sl_arena_alloc(a, sizeof *u);
    if (u == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    memset(u, 0, sizeof *u);
    u->app = app;
    u->c = c;
    u->arena = a;
    const sl_ts_params *p = &c->p;
    sl_decode_opts *o = &u->o;
    sl_decode_opts_default(o);
    memcpy(o->col_sep, p->field_sep.p, p->field_sep.n);
    o->col_sep_len = p->field_sep.n;
    bool delimited = sl_slice_ieq(p->type, "delimited");
    /* The escape of DELIMITED data protects separators and line breaks, which the CSV decoder
     * does only inside enclosed fields. */
    u->dec = delimited && p->escape.n ? &sl__ts_decoder_delimited : sl_decoder_find(SL_LIT("csv"));
    sl_arena_init(&u->scratch, 4096);
    o->enclose = !delimited && p->enclose.n ? (unsigned char)p->enclose.p[0] : -1;
    /* CSV with '"' and no escape: RFC 4180 doubled quotes. */
    o->escape = p->escape.n ? (unsigned char)p->escape.p[0] : o->enclose;
    o->trim_double_quotes = o->enclose == '"';
    o->null_as_backslash_n = false;
    o->skip_lines = p->has_header ? 1 : 0;
    *out = u;
    return SL_OK;
}

void sl__ts_upload_bytes(sl_ts_upload *u, size_t n)
{
    atomic_fetch_add(&u->c->net_bytes, (uint64_t)n);
}

sl_code sl__ts_upload_part_begin(void *arg, bool is_file)
{
    sl_ts_upload *u = arg;
    if (!is_file)
        return SL_OK;
    u->st = sl_arena_alloc(u->arena, u->dec->state_size);
    if (u->st == NULL)
        return sl_fail(&u->err, SL_NOMEM, "out of memory");
    memset(u->st, 0, u->dec->state_size);
    sl_code rc = u->dec->open(u->st, &u->o, &u->err);
    u->open = true;
    return rc;
}

static bool is_text(const sl_type *t)
{
    return t->id == SL_CHAR || t->id == SL_VARCHAR || t->id == SL_STRING || t->id == SL_JSON;
}

/* Decode one CSV record again, src without its final CR, with a second decoder of the same
 * options; its n_fields values replace f[] (copied to u->scratch). false when that does not
 * give one clean record of as many fields (the caller then keeps the first decoding). */
static bool redecode(sl_ts_upload *u, sl_slice src, sl_slice *f, size_t n_fields)
{
    if (u->redo == NULL) {
        u->redo_o = u->o;
        u->redo_o.skip_lines = 0;
        if ((u->redo = sl_arena_alloc(u->arena, u->dec->state_size)) == NULL)
            return false;
        memset(u->redo, 0, u->dec->state_size);
        sl_code rc = u->dec->open(u->redo, &u->redo_o, &u->redo_err);
        /* The BOM check is done on the body's first bytes: spend it on an empty record. */
        if (rc == SL_OK)
            rc = u->dec->push(u->redo, "\n", 1, &u->redo_rb);
        sl_rawbatch_clear(&u->redo_rb);
        u->redo_broken = rc != SL_OK && rc != SL_AGAIN;
    }
    char *buf = u->redo_broken ? NULL : sl_arena_alloc(&u->scratch, src.n);
    if (buf == NULL)
        return false;
    memcpy(buf, src.p, src.n - 1);
    buf[src.n - 1] = '\n';
    sl_code rc = u->dec->push(u->redo, buf, src.n, &u->redo_rb);
    const sl_rawbatch *rb = &u->redo_rb;
    bool ok = (rc == SL_OK || rc == SL_AGAIN) && rb->n_rows == 1 && rb->rows[0].err == NULL &&
              rb->rows[0].n_fields == n_fields;
    for (size_t i = 0; ok && i < n_fields; i++) {
        sl_slice v = rb->fields[rb->rows[0].field0 + i];
        if (v.p != NULL && (v.p = sl_arena_memdup(&u->scratch, v.p, v.n)) == NULL)
            ok = false;
        f[i] = ok ? v : f[i];
    }
    u->redo_broken = rc != SL_OK && rc != SL_AGAIN;
    sl_rawbatch_clear(&u->redo_rb);
    return ok;
}

/* The CR of a CRLF line. The CSV decoder ends records at "\n", so the CR is the last byte of
 * the last field; when that field is enclosed (^v^ CR) the decoder sees bytes after the
 * closing enclosure and keeps the enclosing characters. To give the values of the same data
 * with "\n" endings, a record that ends in CR and holds the enclosing character is decoded
 * again without the CR; otherwise dropping the CR of the last value gives those values. */
static void fix_crlf(sl_ts_upload *u, sl_rawrow *rr, sl_slice *f)
{
    sl_slice *last = rr->n_fields ? &f[rr->n_fields - 1] : NULL;
    if (last == NULL || last->p == NULL || last->n == 0 || last->p[last->n - 1] != '\r')
        return;
    sl_slice src = rr->src;
    if (u->o.enclose >= 0 && src.n && src.p[src.n - 1] == '\r' &&
        memchr(src.p, u->o.enclose, src.n) != NULL && redecode(u, src, f, rr->n_fields))
        return;
    last->n--;
}

/* tsload's row rules before the mapper: CR of CRLF, trailing separator, column count, null
 * value, empty non-text fields as NULL. */
static void fix_rows(sl_ts_upload *u, sl_rawbatch *rb)
{
    sl_ts_cycle *c = u->c;
    const sl_ts_params *p = &c->p;
    size_t n_cols = c->def ? c->def->n_cols : 0;
    for (size_t r = 0; r < rb->n_rows; r++) {
        sl_rawrow *rr = &rb->rows[r];
        if (rr->err)
            continue;
        sl_slice *f = rb->fields + rr->field0;
        if (u->dec != &sl__ts_decoder_delimited) /* that one drops the CR itself */
            fix_crlf(u, rr, f);
        if (p->trailing_sep) {
            if (rr->n_fields < 2 || f[rr->n_fields - 1].n != 0) {
                rr->err = "row does not end with the field separator (trailing_field_separator)";
                continue;
            }
            rr->n_fields--;
        }
        if (!p->flexible && rr->n_fields != n_cols) {
            rr->err = rr->n_fields < n_cols ? "row has fewer fields than the table has columns"
                                            : "row has more fields than the table has columns";
            continue;
        }
        for (size_t i = 0; i < rr->n_fields && i < n_cols; i++) {
            if (f[i].p == NULL)
                continue;
            if ((f[i].n == p->null_value.n &&
                 (f[i].n == 0 || memcmp(f[i].p, p->null_value.p, f[i].n) == 0)) ||
                (f[i].n == 0 && !is_text(&c->def->cols[i].type)))
                f[i] = SL_SLICE_NULL;
        }
    }
}

/* Push what the decoder produced into the cycle's job. */
static sl_code flush_rows(sl_ts_upload *u)
{
    sl_ts_cycle *c = u->c;
    if (u->rb.n_rows == 0)
        return SL_OK;
    sl_code rc;
    pthread_mutex_lock(&c->mu);
    pthread_mutex_lock(&u->app->tsload->mu);
    int state = c->state;
    c->last_ms = now_ms();
    pthread_mutex_unlock(&u->app->tsload->mu);
    if (state != CY_OPEN) {
        rc = sl_fail(&u->err, SL_INVALID, "Cycle_id=[%s] is %s and takes no more data.", c->id,
                     stage_names[state]);
    } else if ((rc = ensure_job(c, &u->err)) == SL_OK) {
        fix_rows(u, &u->rb);
        atomic_fetch_add(&c->pushed, (uint64_t)u->rb.n_rows);
        rc = sl_job_push_rows(c->job, &u->rb);
        atomic_store(&c->rows, sl_job_written(c->job));
        if (rc != SL_OK)
            sl_fail(&u->err, rc, "%s", sl_job_result(c->job)->err.msg);
    }
    pthread_mutex_unlock(&c->mu);
    sl_rawbatch_clear(&u->rb);
    sl_arena_reset(&u->scratch);
    return rc;
}

sl_code sl__ts_upload_data(void *arg, const char *p, size_t n)
{
    sl_ts_upload *u = arg;
    if (!u->open)
        return SL_OK;
    atomic_fetch_add(&u->c->file_bytes, (uint64_t)n);
    sl_code rc = u->dec->push(u->st, p, n, &u->rb);
    if (rc != SL_AGAIN && rc != SL_OK) {
        sl_rawbatch_clear(&u->rb);
        return rc;
    }
    return flush_rows(u);
}

sl_code sl__ts_upload_part_end(void *arg)
{
    sl_ts_upload *u = arg;
    if (!u->open)
        return SL_OK;
    sl_code rc = u->dec->finish(u->st, &u->rb);
    if (rc == SL_AGAIN)
        rc = SL_OK;
    if (rc == SL_OK)
        rc = flush_rows(u);
    if (u->dec->close)
        u->dec->close(u->st);
    u->open = false;
    return rc;
}

void sl__ts_upload_end(sl_ts_upload *u)
{
    if (u == NULL)
        return;
    if (u->open && u->dec->close)
        u->dec->close(u->st);
    u->open = false;
    if (u->redo && u->dec->close)
        u->dec->close(u->redo);
    u->redo = NULL;
    sl_rawbatch_free(&u->rb);
    sl_rawbatch_free(&u->redo_rb);
    sl_arena_free(&u->scratch);
}

const sl_err *sl__ts_upload_err(const sl_ts_upload *u)
{
    return &u->err;
}

/* ---- commit, cancel -------------------------------------------------------------------------- */

sl_code sl__ts_cycle_start_commit(sl_app *app, sl_ts_cycle *c, sl_err *err)
{
    sl_code rc = SL_OK;
    pthread_mutex_lock(&app->tsload->mu);
    if (c->state != CY_OPEN)
        rc = sl_fail(err, SL_NOT_FOUND,
                     "Commit load cycle failed. Error ending load. Unknown cycle_id '%s'", c->id);
    else
        c->state = CY_COMMITTING;
    pthread_mutex_unlock(&app->tsload->mu);
    return rc;
}

/* Turn the job's error log (Doris lines "Reason: R. src line [ROW]; ...") into the bad records
 * file (the rows, one per line) and up to max reasons for parsing_errors. */
static void write_bad_records(sl_ts_cycle *c, const char *log_name, sl_buf *reasons, uint64_t max)
{
    sl_buf in = SL_BUF_INIT, out = SL_BUF_INIT;
    if (log_name[0] == '\0' || !read_file(c->errlog_dir, log_name, &in) || in.len == 0) {
        sl_buf_free(&in);
        return;
    }
    uint64_t n = 0;
    const char *p = in.p, *end = in.p + in.len;
    while (p < end && strncmp(p, "Reason: ", 8) == 0) {
        const char *next = p + 8;
        while ((next = memchr(next, '\n', (size_t)(end - next))) != NULL &&
               next + 1 < end && strncmp(next + 1, "Reason: ", 8) != 0)
            next++;
        const char *rec_end = next ? next : end;
        const char *src = NULL;
        for (const char *q = p; q + 12 <= rec_end; q++)
            if (memcmp(q, ". src line [", 12) == 0) {
                src = q;
                break;
            }
        const char *close = NULL;
        for (const char *q = rec_end - 3; src && q > src; q--)
            if (memcmp(q, "]; ", 3) == 0) {
                close = q;
                break;
            }
        if (src && close) {
            sl_buf_append(&out, src + 12, (size_t)(close - src - 12));
            sl_buf_putc(&out, '\n');
            if (n++ < max) {
                if (reasons->len)
                    sl_buf_putc(reasons, ',');
                sl_json_str(reasons, p + 8, (size_t)(src - p - 8));
            }
        }
        p = next ? next + 1 : end;
    }
    if (out.len && !out.oom)
        write_file(c->dir, "bad_records", out.p, out.len);
    sl_buf_free(&in);
    sl_buf_free(&out);
}

/* The store side of a commit (cycle mu held): max_ignored_rows, validate_only, the pre-commit
 * record, then the store commit (empty_target: the spec asks the store to replace the table's
 * rows in the commit's own transaction, so readers never see it empty). SL_OK when the cycle
 * ends DONE: its rows are visible, or (validate_only) note says what would have loaded. */
static sl_code commit_job(sl_app *app, sl_ts_cycle *c, uint64_t written, uint64_t ignored,
                          char *note, size_t cap, sl_err *e)
{
    const sl_ts_params *p = &c->p;
    sl_code rc = ensure_job(c, e);
    if (rc == SL_NOT_FOUND)
        return sl_fail(e, SL_NOT_FOUND, "Unable to find table in Falcon. Cannot load data.");
    if (rc != SL_OK)
        return rc;
    if (ignored > p->max_ignored) {
        rc = sl_fail(e, SL_REJECTED,
                     "ignored row count %llu exceeds max_ignored_rows %llu; nothing was loaded",
                     (unsigned long long)ignored, (unsigned long long)p->max_ignored);
        sl_job_cancel(c->job, e);
        return rc;
    }
    if (p->validate_only) {
        /* "do everything except commit": every row was parsed, converted and written into the
         * transaction, which is now rolled back. */
        sl_err v = {0};
        sl_fail(&v, SL_INVALID, "validate_only");
        sl_job_cancel(c->job, &v);
        snprintf(note, cap,
                 "validate_only: %llu rows would have been loaded and %llu rows were ignored; "
                 "nothing was written",
                 (unsigned long long)written, (unsigned long long)ignored);
        return SL_OK;
    }
    if (!write_precommit(c, sl_job_result(c->job)->txn_id, written, ignored)) {
        rc = sl_fail(e, SL_BACKEND, "cannot write %s/precommit.json; nothing was loaded", c->dir);
        sl_job_cancel(c->job, e);
        return rc;
    }
    rc = sl_job_finish(c->job);
    atomic_store(&c->rows, sl_job_written(c->job));
    if (rc != SL_OK)
        return sl_fail(e, rc, "%s", sl_job_result(c->job)->err.msg);
    if (app->tsload->crash_after_commit)
        raise(SIGKILL); /* test hook: the rows are visible, final.json is not written */
    return SL_OK;
}

void sl__ts_cycle_commit(sl_app *app, sl_ts_cycle *c)
{
    sl_err e = {0};
    char note[SL_ERR_MSG_MAX] = "";
    pthread_mutex_lock(&c->mu);
    uint64_t written = atomic_load(&c->rows);
    uint64_t ignored = atomic_load(&c->pushed) - written;
    sl_code rc = commit_job(app, c, written, ignored, note, sizeof note, &e);
    sl_buf reasons = SL_BUF_INIT;
    if (c->job) {
        /* Every path above finished the job (finish or cancel), which closed its error log. */
        write_bad_records(c, sl_job_result(c->job)->error_log, &reasons,
                          c->p.max_reported ? c->p.max_reported : 100);
        sl_job_free(c->job);
        c->job = NULL;
    }
    if (rc != SL_OK || note[0])
        written = 0;
    pthread_mutex_lock(&app->tsload->mu);
    c->state = rc == SL_OK ? CY_DONE : CY_FAILED;
    c->end_us = wall_us();
    snprintf(c->message, sizeof c->message, "%s", rc != SL_OK ? e.msg : note);
    sl_buf fin = SL_BUF_INIT;
    status_json_locked(c, written, ignored, reasons.len ? reasons.p : NULL, &fin);
    if (!fin.oom) {
        write_file(c->dir, "final.json", fin.p, fin.len);
        sl_free(c->final_json);
        size_t len;
        c->final_json = sl_buf_take(&fin, &len);
    }
    pthread_mutex_unlock(&app->tsload->mu);
    pthread_mutex_unlock(&c->mu);
    sl_buf_free(&fin);
    sl_buf_free(&reasons);
}

sl_code sl__ts_cycle_cancel(sl_app *app, sl_ts_cycle *c, sl_err *err)
{
    pthread_mutex_lock(&c->mu);
    pthread_mutex_lock(&app->tsload->mu);
    sl_code rc = SL_OK;
    if (c->state != CY_OPEN) {
        rc = sl_fail(err, SL_INVALID, "Cycle_id=[%s] is %s and cannot be cancelled.", c->id,
                     stage_names[c->state]);
    } else {
        c->state = CY_CANCELLED;
        c->end_us = wall_us();
        snprintf(c->message, sizeof c->message, "load cycle cancelled; nothing was loaded");
    }
    pthread_mutex_unlock(&app->tsload->mu);
    if (rc == SL_OK) {
        if (c->job)
            sl_job_free(c->job);
        c->job = NULL;
        sl_buf fin = SL_BUF_INIT;
        pthread_mutex_lock(&app->tsload->mu);
        status_json_locked(c, 0, atomic_load(&c->pushed) - atomic_load(&c->rows), NULL, &fin);
        pthread_mutex_unlock(&app->tsload->mu);
        if (!fin.oom)
            write_file(c->dir, "final.json", fin.p, fin.len);
        sl_buf_free(&fin);
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

/* ---- status, summary, bad records, list ------------------------------------------------------ */

static void kv_u64(sl_buf *b, const char *k, uint64_t v)
{
    sl_buf_printf(b, ",\"%s\":\"%llu\"", k, (unsigned long long)v);
}

static void status_json_locked(sl_ts_cycle *c, uint64_t written, uint64_t ignored,
                               const char *errors, sl_buf *b)
{
    sl_buf_puts(b, "{\"cycle_id\":");
    sl_json_cstr(b, c->id);
    sl_buf_printf(b, ",\"internal_stage\":\"%s\",\"status\":{", stage_names[c->state]);
    if (c->state == CY_DONE) {
        sl_buf_puts(b, "\"code\":\"OK\"");
        if (c->message[0]) { /* validate_only: what would have loaded */
            sl_buf_puts(b, ",\"message\":");
            sl_json_cstr(b, c->message);
        }
    } else if (c->state >= CY_FAILED) {
        sl_buf_puts(b, "\"code\":\"LOAD_FAILED\",\"message\":");
        sl_json_cstr(b, c->message);
    }
    sl_buf_puts(b, "}");
    kv_u64(b, "start_time", c->start_us);
    kv_u64(b, "end_time", c->state >= CY_DONE ? c->end_us : wall_us());
    kv_u64(b, "rows_written", written);
    kv_u64(b, "bytes_written", atomic_load(&c->file_bytes));
    kv_u64(b, "ignored_row_count", ignored);
    kv_u64(b, "buffered_bytes_size", 0); /* rows go to the store as they are decoded */
    kv_u64(b, "ingested_network_bw", atomic_load(&c->net_bytes));
    kv_u64(b, "row_count_skew", 0);      /* one shard */
    kv_u64(b, "min_shard_row_count", written);
    kv_u64(b, "max_shard_row_count", written);
    if (errors) {
        sl_buf_puts(b, ",\"parsing_errors\":[");
        sl_buf_puts(b, errors);
        sl_buf_puts(b, "]");
    }
    sl_buf_puts(b, "}");
}

void sl__ts_cycle_status(sl_app *app, sl_ts_cycle *c, sl_buf *b)
{
    pthread_mutex_lock(&app->tsload->mu);
    if (c->final_json) {
        sl_buf_puts(b, c->final_json);
    } else {
        uint64_t written = atomic_load(&c->rows);
        /* Read without the cycle mu: during a push, pushed may lead written by one batch. */
        uint64_t pushed = atomic_load(&c->pushed);
        status_json_locked(c, c->state == CY_FAILED && c->restored ? 0 : written,
                           pushed > written ? pushed - written : 0, NULL, b);
    }
    pthread_mutex_unlock(&app->tsload->mu);
}

void sl__ts_cycle_summary(sl_ts_cycle *c, sl_buf *b)
{
    sl_buf_puts(b, "{\"load_params\":");
    sl__ts_params_json(&c->p, b);
    sl_buf_puts(b, "}");
}

bool sl__ts_cycle_bad_records(sl_app *app, sl_ts_cycle *c, sl_buf *b)
{
    (void)app;
    return read_file(c->dir, "bad_records", b);
}

void sl__ts_cycle_list(sl_app *app, const char *user, bool admin, sl_buf *b)
{
    sl_buf_putc(b, '[');
    bool first = true;
    pthread_mutex_lock(&app->tsload->mu);
    for (sl_ts_cycle *c = app->tsload->cycles; c; c = c->next) {
        if (!admin && strcmp(c->owner, user) != 0)
            continue;
        sl_buf_puts(b, first ? "{\"Cycle_id\":" : ",{\"Cycle_id\":");
        first = false;
        sl_json_cstr(b, c->id);
        sl_buf_printf(b, ",\"Status\":\"%s\",\"BadRecordsUrl\":",
                      c->state == CY_DONE       ? "OK"
                      : c->state >= CY_FAILED ? "LOAD_FAILED"
                                              : stage_names[c->state]);
        char url[200];
        snprintf(url, sizeof url, "/ts_dataservice/v1/public/loads/%s/bad_records_file", c->id);
        sl_json_cstr(b, url);
        sl_buf_putc(b, '}');
    }
    pthread_mutex_unlock(&app->tsload->mu);
    sl_buf_putc(b, ']');
}
