/*
 * engine.c - the embedded SQLite engine: open, format upgrade, recovery, data definition
 * (store stage). See internal.h for the file layout and why a load is exactly-once; conn.c is
 * the catalog connection, seg.c writes segments, query.c reads and compacts them.
 *
 * The catalog file's PRAGMA user_version is this engine's format: 0 = written by sluice before
 * the ledger existed (catalog tables of its own, users in users.db), 2 = the ledger's catalog
 * with segments in value encoding v1, 3 = segments in encoding v2 (migrate.c converts them),
 * 4 = segments of column chunks (segfile.c; migrate.c rewrites older ones).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../core/platform.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../core/mem.h"
#include "internal.h"

#define FORMAT 4

uint64_t sl__sq_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

sl_code sl__sq_error(sqlite3 *db, const char *what, sl_err *err)
{
    int rc = sqlite3_errcode(db);
    sl_code c = (rc == SQLITE_NOMEM) ? SL_NOMEM : SL_BACKEND;
    if (rc == SQLITE_FULL)
        return sl_fail(err, c, "%s: the disk is full", what);
    return sl_fail(err, c, "%s: %s", what, sqlite3_errmsg(db));
}

sl_code sl__sq_exec(sqlite3 *db, const char *sql, sl_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        sl_code c = sl_fail(err, SL_BACKEND, "sqlite: %s", msg ? msg : "error");
        sqlite3_free(msg);
        return c;
    }
    return SL_OK;
}

char *sl__sq_table_dir(const sl_engine *s, int64_t table_id)
{
    size_t n = strlen(s->dir) + 64;
    char *p = sl_malloc(n);
    if (p)
        snprintf(p, n, "%s/segments/%lld", s->dir, (long long)table_id);
    return p;
}

sl_code sl__sq_fsync_path(const char *path, sl_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sl_fail(err, SL_BACKEND, "cannot open %s: %s", path, strerror(errno));
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    if (rc != 0)
        return sl_fail(err, SL_BACKEND, "fsync %s: %s", path, strerror(e));
    return SL_OK;
}

sl_code sl_store_global_init(sl_err *err)
{
    /* Connections are never shared between threads at the same time, so SQLite's own mutexes
     * around each connection are not needed; memory statistics would take a global mutex on
     * every malloc (research/perf-anchors: it halves two-writer throughput). */
    if (sqlite3_config(SQLITE_CONFIG_MULTITHREAD) != SQLITE_OK ||
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK) {
        /* Already initialised by an earlier call in this process: fine. */
    }
    if (sqlite3_initialize() != SQLITE_OK)
        return sl_fail(err, SL_BACKEND, "cannot initialise sqlite");
    return SL_OK;
}

static int mkdir_p(const char *path)
{
    char tmp[4096];
    size_t n = strlen(path);
    if (n >= sizeof tmp)
        return -1;
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    return (mkdir(tmp, 0755) != 0 && errno != EEXIST) ? -1 : 0;
}

/* ---- format upgrade ------------------------------------------------------------------- */

/* Format 0 -> 2: the old catalog tables gain the ledger's columns (the ledger creates what is
 * missing); users.db is imported by sq_recover once the ledger's users table exists. *was
 * receives the format found (segments are converted to 3 once their table exists). */
static sl_code upgrade(sl_engine *e, int *was, sl_err *err)
{
    sqlite3_stmt *st;
    int version = 0;
    if (sqlite3_prepare_v2(e->cat, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    *was = version;
    if (version > FORMAT)
        return sl_fail(err, SL_BACKEND, "%s/catalog.db has format %d; this sluice reads up to %d",
                       e->dir, version, FORMAT);
    if (version >= 2)
        return SL_OK;
    bool old = sqlite3_table_column_metadata(e->cat, NULL, "txns", "id", NULL, NULL, NULL, NULL,
                                             NULL) == SQLITE_OK;
    sl_code rc = sl__sq_exec(e->cat, "BEGIN IMMEDIATE", err);
    if (rc == SL_OK && old)
        rc = sl__sq_exec(e->cat,
                         "ALTER TABLE txns ADD COLUMN tbl TEXT; ALTER TABLE txns ADD COLUMN usr "
                         "TEXT; ALTER TABLE txns ADD COLUMN node TEXT; ALTER TABLE txns ADD "
                         "COLUMN two_phase BIGINT; ALTER TABLE txns ADD COLUMN rows BIGINT; ALTER TABLE txns "
                         "ADD COLUMN bytes BIGINT; UPDATE txns SET tbl = (SELECT name FROM "
                         "tables WHERE tables.id = txns.table_id); ALTER TABLE loads ADD COLUMN "
                         "node TEXT;",
                         err);
    if (rc == SL_OK)
        rc = sl__sq_exec(e->cat, "PRAGMA user_version = 2", err);
    if (rc == SL_OK)
        return sl__sq_exec(e->cat, "COMMIT", err);
    sl__sq_exec(e->cat, "ROLLBACK", NULL);
    return rc;
}

/* Users of a format-0 data directory (users.db) move into the ledger's tables once. The old
 * hashes (PBKDF2-HMAC-SHA256, 1000 rounds, hex salt used as text) keep verifying through the
 * "pbkdf2-sha256-hexsalt" form load/auth.c reads, and are upgraded at the next login. */
static sl_code import_users(sl_engine *e, sl_err *err)
{
    char path[4200], done[4300];
    snprintf(path, sizeof path, "%s/users.db", e->dir);
    if (access(path, F_OK) != 0)
        return SL_OK;
    char *q = sqlite3_mprintf(
        "ATTACH %Q AS old; BEGIN IMMEDIATE; INSERT INTO users(name, hash, admin) SELECT name, "
        "'$pbkdf2-sha256-hexsalt$i=1000$' || salt || '$' || hash, admin FROM old.users WHERE "
        "true ON CONFLICT DO NOTHING; INSERT INTO grants(usr, priv, target) SELECT user, priv, "
        "target FROM old.grants WHERE true ON CONFLICT DO NOTHING; UPDATE meta SET v = "
        "CAST(CAST(v AS BIGINT) + 1 AS TEXT) WHERE k = 'users_version'; COMMIT; DETACH old;",
        path);
    sl_code rc = q ? sl__sq_exec(e->cat, q, err) : sl_fail(err, SL_NOMEM, "out of memory");
    sqlite3_free(q);
    if (rc != SL_OK) {
        sl__sq_exec(e->cat, "ROLLBACK; DETACH old;", NULL);
        return rc;
    }
    snprintf(done, sizeof done, "%s.imported", path);
    if (rename(path, done) != 0)
        return sl_fail(err, SL_BACKEND, "cannot rename %s: %s", path, strerror(errno));
    return SL_OK;
}

/* ---- recovery ------------------------------------------------------------------------- */

/* Is file f registered as a segment of table_id? */
static bool segment_known(sl_engine *s, long long table_id, const char *f)
{
    sqlite3_stmt *st;
    bool known = false;
    if (sqlite3_prepare_v2(s->cat, "SELECT 1 FROM segments WHERE table_id=? AND file=?", -1, &st,
                           NULL) != SQLITE_OK)
        return true; /* when in doubt, keep the file */
    sqlite3_bind_int64(st, 1, table_id);
    sqlite3_bind_text(st, 2, f, -1, SQLITE_STATIC);
    known = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return known;
}

/* Delete segment files that no committed transaction registered: loads that were running or
 * precommitting when the process died, and compaction results that never got registered. */
static void remove_orphans(sl_engine *s)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/segments", s->dir);
    DIR *d = opendir(path);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        long long tid = atoll(e->d_name);
        char tdir[4096 + 512];
        snprintf(tdir, sizeof tdir, "%s/%s", path, e->d_name);
        DIR *td = opendir(tdir);
        if (td == NULL)
            continue;
        struct dirent *f;
        while ((f = readdir(td)) != NULL) {
            if (f->d_name[0] == '.')
                continue;
            if (!segment_known(s, tid, f->d_name)) {
                char fp[4096 + 1024];
                snprintf(fp, sizeof fp, "%s/%s", tdir, f->d_name);
                unlink(fp);
            }
        }
        closedir(td);
        rmdir(tdir); /* only succeeds when empty */
    }
    closedir(d);
}

/* After the ledger's recovery: segments registered for transactions that are not
 * PRECOMMITTED and never became visible belong to nobody; unregister them, then delete every
 * unregistered file. */
static sl_code sq_recover(sl_engine *s, bool (*staged)(void *arg, int64_t txn_id), void *arg,
                          sl_err *err)
{
    sl_code rc = import_users(s, err);
    if (rc != SL_OK)
        return rc;
    int64_t ids[256];
    size_t n = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->cat, "SELECT DISTINCT txn_id FROM segments WHERE visible = 0", -1,
                           &st, NULL) == SQLITE_OK) {
        while (n < SL_COUNT(ids) && sqlite3_step(st) == SQLITE_ROW)
            ids[n++] = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    for (size_t i = 0; i < n; i++) {
        if (staged(arg, ids[i]))
            continue;
        char sql[128];
        snprintf(sql, sizeof sql, "DELETE FROM segments WHERE visible = 0 AND txn_id = %lld",
                 (long long)ids[i]);
        sl__sq_exec(s->cat, sql, NULL);
    }
    remove_orphans(s);
    return SL_OK;
}

/* ---- open / close ------------------------------------------------------------------------ */

static void sq_close(sl_engine *s)
{
    if (s == NULL)
        return;
    sl__sq_compactor_stop(s);
    for (size_t i = 0; i < SQ_STMT_CACHE; i++) {
        sqlite3_finalize(s->conn.cache[i].st);
        free(s->conn.cache[i].text);
    }
    sqlite3_close(s->cat);
    free(s->dir);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->compact_mu);
    pthread_rwlock_destroy(&s->files);
    sl_free(s);
}

static sl_code sq_open(const sl_store_opts *o, sl_engine **out, sl_err *err)
{
    sl_engine *s = sl_calloc(sizeof *s);
    if (s == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->compact_mu, NULL);
    pthread_rwlock_init(&s->files, NULL);
    s->conn.e = s;
    s->max_segments = 6; /* SQLite attaches at most 10 files; the view needs them all */
    s->dir = strdup(o->data_dir ? o->data_dir : ".");
    char path[4096];
    snprintf(path, sizeof path, "%s/segments", s->dir ? s->dir : ".");
    if (s->dir == NULL || mkdir_p(path) != 0) {
        sl_fail(err, SL_BACKEND, "cannot create %s: %s", path, strerror(errno));
        goto fail;
    }
    snprintf(path, sizeof path, "%s/catalog.db", s->dir);
    if (sqlite3_open_v2(path, &s->cat, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        sl__sq_error(s->cat, "cannot open catalog", err);
        goto fail;
    }
    sqlite3_busy_timeout(s->cat, 10000);
    int was = FORMAT;
    if (sl__sq_exec(s->cat, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", err) != SL_OK ||
        upgrade(s, &was, err) != SL_OK ||
        sl__sq_exec(s->cat,
                    "CREATE TABLE IF NOT EXISTS segments(id INTEGER PRIMARY KEY, table_id "
                    "INTEGER NOT NULL, txn_id INTEGER, file TEXT NOT NULL, rows INTEGER, visible "
                    "INTEGER NOT NULL DEFAULT 1, version INTEGER NOT NULL DEFAULT 0, partial "
                    "INTEGER NOT NULL DEFAULT 0); CREATE INDEX IF NOT EXISTS segments_table ON "
                    "segments(table_id); CREATE INDEX IF NOT EXISTS segments_txn ON "
                    "segments(txn_id);",
                    err) != SL_OK)
        goto fail;
    if (was < 3 && (sl__sq_migrate_v2(s, err) != SL_OK ||
                    sl__sq_exec(s->cat, "PRAGMA user_version = 3", err) != SL_OK))
        goto fail;
    if (was < FORMAT && (sl__sq_migrate_columnar(s, err) != SL_OK ||
                         sl__sq_exec(s->cat, "PRAGMA user_version = 4", err) != SL_OK))
        goto fail;
    if (sl__sq_compactor_start(s, err) != SL_OK)
        goto fail;
    *out = s;
    return SL_OK;
fail:
    sq_close(s);
    return err->code;
}

static bool sq_accepts(const char *url)
{
    return strcmp(url, "sqlite") == 0 || strncmp(url, "sqlite:", 7) == 0;
}

/* ---- data definition (inside the ledger's catalog transaction) ------------------------- */

sl_code sl__sq_doom_segments(sl_econn *c, const char *where, int64_t id, sl_err *err)
{
    sl_engine *s = c->e;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT table_id, file FROM segments WHERE %s", where);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->cat, sql, -1, &st, NULL) != SQLITE_OK)
        return sl__sq_error(s->cat, "segments", err);
    sqlite3_bind_int64(st, 1, id);
    sl_code rc = SL_OK;
    while (rc == SL_OK && sqlite3_step(st) == SQLITE_ROW)
        rc = sl__sq_doom(c, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
                         err);
    sqlite3_finalize(st);
    if (rc != SL_OK)
        return rc;
    snprintf(sql, sizeof sql, "DELETE FROM segments WHERE %s", where);
    if (sqlite3_prepare_v2(s->cat, sql, -1, &st, NULL) != SQLITE_OK)
        return sl__sq_error(s->cat, "segments", err);
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = sl__sq_error(s->cat, "segments", err);
    sqlite3_finalize(st);
    return rc;
}

static sl_code sq_create_db(sl_econn *c, sl_slice db, sl_err *err)
{
    (void)c, (void)db, (void)err; /* databases are catalog rows only */
    return SL_OK;
}

static sl_code sq_drop_db(sl_econn *c, sl_slice db, sl_err *err)
{
    (void)c, (void)db, (void)err; /* its tables were dropped one by one */
    return SL_OK;
}

static sl_code sq_create_table(sl_econn *c, const sl_etable *t, sl_err *err)
{
    (void)c, (void)t, (void)err; /* the segment directory appears with the first load */
    return SL_OK;
}

static sl_code sq_drop_table(sl_econn *c, const sl_etable *t, bool truncate, sl_err *err)
{
    sl_code rc = sl__sq_doom_segments(c, "table_id = ?1", t->id, err);
    if (rc == SL_OK && !truncate)
        rc = sl__sq_doom(c, t->id, NULL, err); /* then the directory */
    return rc;
}

static sl_code sq_exec(sl_econn *c, const char *sql, const sl_cell *p, size_t n, sl_cell_fn fn,
                       void *arg, int64_t *changes, sl_err *err)
{
    return sl__sq_cexec(c, sql, p, n, fn, arg, changes, err);
}

static sl_code sq_w_partial_check(sl_ewriter *w, uint64_t mask, bool strict, uint64_t *removed,
                                  sl_err *err)
{
    return sl__sq_partial_check(w, mask, strict, removed, err);
}

/* Compaction counters (sl_store_stats). */
static void sq_engine_stats(sl_engine *s, uint64_t *compactions, uint64_t *segments)
{
    *compactions = atomic_load(&s->n_compactions);
    *segments = atomic_load(&s->n_compacted);
}

const sl_engine_vtab sl_engine_sqlite = {
    .name = "sqlite",
    .version = 2,
    .accepts = sq_accepts,
    .open = sq_open,
    .close = sq_close,
    .id_type = "INTEGER PRIMARY KEY",
    .single_node = true,
    .conn_get = sl__sq_conn_get,
    .conn_put = sl__sq_conn_put,
    .xbegin = sl__sq_xbegin,
    .xcommit = sl__sq_xcommit,
    .xrollback = sl__sq_xrollback,
    .catalog_lock = sl__sq_catalog_lock,
    .exec = sq_exec,
    .create_db = sq_create_db,
    .drop_db = sq_drop_db,
    .create_table = sq_create_table,
    .drop_table = sq_drop_table,
    .alter_table = sl__sq_alter_table,
    .w_open = sl__sq_w_open,
    .w_append = sl__sq_w_append,
    .w_partial_check = sq_w_partial_check,
    .w_publish = sl__sq_w_publish,
    .w_close = sl__sq_w_close,
    .w_rows = sl__sq_w_rows,
    .stage_commit = sl__sq_stage_commit,
    .stage_drop = sl__sq_stage_drop,
    .recover = sq_recover,
    .query = sl__sq_query,
    .stats = sq_engine_stats,
};
