/*
 * sqlite.c - the embedded SQLite backend: open, recovery, catalog (store stage).
 *
 * See sqlite_internal.h for the file layout and why a load is exactly-once. This file owns the
 * catalog connection; sqlite_seg.c writes segments, sqlite_query.c reads and compacts them.
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

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS dbs(name TEXT PRIMARY KEY, created_ms INTEGER);"
    "CREATE TABLE IF NOT EXISTS tables(id INTEGER PRIMARY KEY, db TEXT NOT NULL, name TEXT NOT "
    "NULL, ddl TEXT NOT NULL, created_ms INTEGER, UNIQUE(db, name));"
    "CREATE TABLE IF NOT EXISTS txns(id INTEGER PRIMARY KEY, db TEXT NOT NULL, label TEXT NOT "
    "NULL, table_id INTEGER, state INTEGER NOT NULL, created_ms INTEGER, timeout_s INTEGER, "
    "finished_ms INTEGER, reason TEXT);"
    "CREATE INDEX IF NOT EXISTS txns_label ON txns(db, label);"
    "CREATE TABLE IF NOT EXISTS segments(id INTEGER PRIMARY KEY, table_id INTEGER NOT NULL, "
    "txn_id INTEGER, file TEXT NOT NULL, rows INTEGER, visible INTEGER NOT NULL DEFAULT 1, "
    "version INTEGER NOT NULL DEFAULT 0, partial INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS segments_table ON segments(table_id);"
    "CREATE TABLE IF NOT EXISTS loads(id INTEGER PRIMARY KEY, label TEXT, db TEXT, tbl TEXT, "
    "client_ip TEXT, status TEXT, message TEXT, url TEXT, total INTEGER, loaded INTEGER, "
    "filtered INTEGER, unselected INTEGER, bytes INTEGER, start_ms INTEGER, finish_ms INTEGER, "
    "usr TEXT, comment TEXT, txn_id INTEGER);"
    "CREATE INDEX IF NOT EXISTS loads_db ON loads(db, label);";

const char *sl_txn_state_name(sl_txn_state st)
{
    static const char *const names[] = {"UNKNOWN",   "PREPARE", "PRECOMMITTED",
                                        "COMMITTED", "VISIBLE", "ABORTED"};
    return (unsigned)st < SL_COUNT(names) ? names[st] : "UNKNOWN";
}

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

sl_code sl__sq_finish(sqlite3 *db, sl_code rc, sl_err *err)
{
    if (rc == SL_OK)
        return sl__sq_exec(db, "COMMIT", err);
    sl__sq_exec(db, "ROLLBACK", NULL);
    return rc;
}

char *sl__sq_table_dir(const sl_store *s, int64_t table_id)
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

/* Is file f registered as a segment of table_id? */
static bool segment_known(sl_store *s, long long table_id, const char *f)
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
static void remove_orphans(sl_store *s)
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

static sl_code sq_open(const sl_store_opts *o, sl_store **out, sl_err *err)
{
    sl_store *s = sl_calloc(sizeof *s);
    if (s == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->compact_mu, NULL);
    pthread_rwlock_init(&s->files, NULL);
    s->label_keep_s = o->label_keep_s ? o->label_keep_s : 3 * 86400;
    s->max_segments = o->max_segments ? o->max_segments : 6;
    s->precommit_timeout_s = o->precommit_timeout_s ? o->precommit_timeout_s : 3600;
    if (s->max_segments > 8)
        s->max_segments = 8; /* SQLite attaches at most 10 files; the view needs them all */
    s->dir = strdup(o->data_dir);
    char path[4096];
    snprintf(path, sizeof path, "%s/segments", o->data_dir);
    if (s->dir == NULL || mkdir_p(path) != 0) {
        sl_fail(err, SL_BACKEND, "cannot create %s: %s", path, strerror(errno));
        goto fail;
    }
    snprintf(path, sizeof path, "%s/catalog.db", o->data_dir);
    if (sqlite3_open_v2(path, &s->cat, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        sl__sq_error(s->cat, "cannot open catalog", err);
        goto fail;
    }
    sqlite3_busy_timeout(s->cat, 10000);
    if (sl__sq_exec(s->cat, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", err) != SL_OK ||
        sl__sq_exec(s->cat, schema_sql, err) != SL_OK)
        goto fail;
    /* Recovery: a PREPARE transaction cannot survive a restart (its segment was never fsynced
     * and registered), so it is aborted and its label becomes reusable. */
    char sql[256];
    snprintf(sql, sizeof sql,
             "UPDATE txns SET state=%d, finished_ms=%llu, reason='aborted by restart' "
             "WHERE state=%d",
             SL_TXN_ABORTED, (unsigned long long)sl__sq_now_ms(), SL_TXN_PREPARE);
    if (sl__sq_exec(s->cat, sql, err) != SL_OK)
        goto fail;
    remove_orphans(s);
    if (sl__sq_compactor_start(s, err) != SL_OK)
        goto fail;
    *out = s;
    return SL_OK;
fail:
    if (s->cat)
        sqlite3_close(s->cat);
    free(s->dir);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->compact_mu);
    pthread_rwlock_destroy(&s->files);
    sl_free(s);
    return err->code;
}

static void sq_close(sl_store *s)
{
    if (s == NULL)
        return;
    sl__sq_compactor_stop(s);
    sqlite3_close(s->cat);
    free(s->dir);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->compact_mu);
    pthread_rwlock_destroy(&s->files);
    sl_free(s);
}

/* Prepare sql on the catalog; the caller holds s->mu. */
static sl_code prep(sl_store *s, const char *sql, sqlite3_stmt **st, sl_err *err)
{
    if (sqlite3_prepare_v2(s->cat, sql, -1, st, NULL) != SQLITE_OK)
        return sl__sq_error(s->cat, "catalog", err);
    return SL_OK;
}

static void bind_slice(sqlite3_stmt *st, int i, sl_slice v)
{
    sqlite3_bind_text(st, i, v.p ? v.p : "", (int)v.n, SQLITE_STATIC);
}

static bool db_exists_locked(sl_store *s, sl_slice db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->cat, "SELECT 1 FROM dbs WHERE name=?", -1, &st, NULL) != SQLITE_OK)
        return false;
    bind_slice(st, 1, db);
    bool ok = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return ok;
}

static sl_code unknown_db(sl_slice db, sl_err *err)
{
    return sl_fail(err, SL_NOT_FOUND_DB, "Unknown database '%.*s'", (int)db.n, db.p);
}

static sl_code sq_create_db(sl_store *s, sl_slice db, bool if_not_exists, sl_err *err)
{
    sl_code rc = SL_OK;
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&s->mu);
    if (db_exists_locked(s, db)) {
        if (!if_not_exists)
            rc = sl_fail(err, SL_CONFLICT, "Can't create database '%.*s'; database exists",
                         (int)db.n, db.p);
        goto out;
    }
    if ((rc = prep(s, "INSERT INTO dbs(name, created_ms) VALUES(?, ?)", &st, err)) != SL_OK)
        goto out;
    bind_slice(st, 1, db);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)sl__sq_now_ms());
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = sl__sq_error(s->cat, "create database", err);
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* Collect (id) of tables matching where-clause bound to db (and name when given). */
static sl_code table_ids_locked(sl_store *s, sl_slice db, const sl_slice *name, int64_t **ids,
                                size_t *n, sl_err *err)
{
    sqlite3_stmt *st;
    const char *sql = name ? "SELECT id FROM tables WHERE db=? AND name=?"
                           : "SELECT id FROM tables WHERE db=?";
    sl_code rc = prep(s, sql, &st, err);
    if (rc != SL_OK)
        return rc;
    bind_slice(st, 1, db);
    if (name)
        bind_slice(st, 2, *name);
    *ids = NULL;
    *n = 0;
    size_t cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            int64_t *p = sl_realloc(*ids, cap * sizeof *p);
            if (p == NULL) {
                sqlite3_finalize(st);
                return sl_fail(err, SL_NOMEM, "out of memory");
            }
            *ids = p;
        }
        (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return SL_OK;
}

/* Remove a table's segment rows (caller holds s->mu, inside a catalog transaction) and remember
 * the files to delete once committed. */
static sl_code drop_segments_locked(sl_store *s, int64_t table_id, char ***files, size_t *n,
                                    sl_err *err)
{
    sqlite3_stmt *st;
    sl_code rc = prep(s, "SELECT file FROM segments WHERE table_id=?", &st, err);
    if (rc != SL_OK)
        return rc;
    sqlite3_bind_int64(st, 1, table_id);
    size_t cap = 0;
    *files = NULL;
    *n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            char **p = sl_realloc(*files, cap * sizeof *p);
            if (p == NULL) {
                rc = sl_fail(err, SL_NOMEM, "out of memory");
                break;
            }
            *files = p;
        }
        char *f = strdup((const char *)sqlite3_column_text(st, 0));
        if (f == NULL) {
            rc = sl_fail(err, SL_NOMEM, "out of memory");
            break;
        }
        (*files)[(*n)++] = f;
    }
    sqlite3_finalize(st);
    if (rc != SL_OK)
        return rc;
    char sql[128];
    snprintf(sql, sizeof sql, "DELETE FROM segments WHERE table_id=%lld", (long long)table_id);
    return sl__sq_exec(s->cat, sql, err);
}

/* Files to delete once the catalog transaction that unregistered them has committed. */
typedef struct doomed {
    int64_t table_id;
    char **files;
    size_t n;
} doomed;

/* Drop (remove_table) or empty one table inside the caller's catalog transaction; the segment
 * files are listed in *d and deleted by the caller after COMMIT, so a failed transaction never
 * leaves registered segments without their files. A crash between COMMIT and the unlink leaves
 * unregistered files, which remove_orphans deletes on the next start. */
static sl_code clear_table_locked(sl_store *s, int64_t id, bool remove_table, doomed *d,
                                  sl_err *err)
{
    d->table_id = id;
    sl_code rc = drop_segments_locked(s, id, &d->files, &d->n, err);
    if (rc == SL_OK && remove_table) {
        char sql[128];
        snprintf(sql, sizeof sql, "DELETE FROM tables WHERE id=%lld", (long long)id);
        rc = sl__sq_exec(s->cat, sql, err);
    }
    return rc;
}

static void doomed_release(sl_store *s, doomed *d, size_t n, bool unlink_files)
{
    for (size_t i = 0; i < n; i++) {
        if (unlink_files)
            sl__sq_unlink_files(s, d[i].table_id, d[i].files, d[i].n);
        for (size_t j = 0; j < d[i].n; j++)
            free(d[i].files[j]);
        sl_free(d[i].files);
    }
    sl_free(d);
}

static sl_code sq_drop_db(sl_store *s, sl_slice db, bool if_exists, sl_err *err)
{
    sl_code rc = SL_OK;
    int64_t *ids = NULL;
    size_t n = 0;
    doomed *d = NULL;
    pthread_mutex_lock(&s->mu);
    if (!db_exists_locked(s, db)) {
        if (!if_exists)
            rc = sl_fail(err, SL_NOT_FOUND_DB, "Can't drop database '%.*s'; database doesn't exist",
                         (int)db.n, db.p);
        goto out;
    }
    if ((rc = sl__sq_exec(s->cat, "BEGIN IMMEDIATE", err)) != SL_OK)
        goto out;
    rc = table_ids_locked(s, db, NULL, &ids, &n, err);
    if (rc == SL_OK && (d = sl_calloc((n + 1) * sizeof *d)) == NULL)
        rc = sl_fail(err, SL_NOMEM, "out of memory");
    for (size_t i = 0; rc == SL_OK && i < n; i++)
        rc = clear_table_locked(s, ids[i], true, &d[i], err);
    static const char *const dels[] = {"DELETE FROM dbs WHERE name=?", "DELETE FROM txns WHERE db=?"};
    for (size_t i = 0; rc == SL_OK && i < SL_COUNT(dels); i++) {
        sqlite3_stmt *st = NULL;
        if ((rc = prep(s, dels[i], &st, err)) != SL_OK)
            break;
        bind_slice(st, 1, db);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = sl__sq_error(s->cat, "drop database", err);
        sqlite3_finalize(st);
    }
    rc = sl__sq_finish(s->cat, rc, err);
out:
    pthread_mutex_unlock(&s->mu);
    if (d)
        doomed_release(s, d, n, rc == SL_OK);
    sl_free(ids);
    return rc;
}

/* Run a one-column text query into an arena array. */
static sl_code list_names(sl_store *s, const char *sql, const sl_slice *bind, sl_arena_t *a,
                          sl_slice **names, size_t *n, sl_err *err)
{
    sqlite3_stmt *st;
    sl_code rc = prep(s, sql, &st, err);
    if (rc != SL_OK)
        return rc;
    if (bind)
        bind_slice(st, 1, *bind);
    size_t cap = 16, cnt = 0;
    sl_slice *v = sl_arena_alloc(a, cap * sizeof *v);
    while (v && sqlite3_step(st) == SQLITE_ROW) {
        if (cnt == cap) {
            sl_slice *nv = sl_arena_alloc(a, cap * 2 * sizeof *nv);
            if (nv)
                memcpy(nv, v, cap * sizeof *nv);
            v = nv;
            cap *= 2;
            if (v == NULL)
                break;
        }
        const char *t = (const char *)sqlite3_column_text(st, 0);
        v[cnt] = sl_arena_slice(a, sl_slice_of(t));
        if (v[cnt].p == NULL) {
            v = NULL;
            break;
        }
        cnt++;
    }
    sqlite3_finalize(st);
    if (v == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    *names = v;
    *n = cnt;
    return SL_OK;
}

static sl_code sq_list_dbs(sl_store *s, sl_arena_t *a, sl_slice **names, size_t *n, sl_err *err)
{
    pthread_mutex_lock(&s->mu);
    sl_code rc = list_names(s, "SELECT name FROM dbs ORDER BY name", NULL, a, names, n, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static sl_code sq_list_tables(sl_store *s, sl_slice db, sl_arena_t *a, sl_slice **names, size_t *n,
                              sl_err *err)
{
    pthread_mutex_lock(&s->mu);
    sl_code rc = db_exists_locked(s, db)
                     ? list_names(s, "SELECT name FROM tables WHERE db=? ORDER BY name", &db, a,
                                  names, n, err)
                     : unknown_db(db, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static sl_code sq_create_table(sl_store *s, sl_slice db, const sl_tabledef *def, sl_slice ddl,
                               bool if_not_exists, sl_err *err)
{
    sl_code rc = SL_OK;
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&s->mu);
    if (!db_exists_locked(s, db)) {
        rc = unknown_db(db, err);
        goto out;
    }
    if ((rc = prep(s, "INSERT INTO tables(db, name, ddl, created_ms) VALUES(?,?,?,?)", &st,
                   err)) != SL_OK)
        goto out;
    bind_slice(st, 1, db);
    bind_slice(st, 2, def->name);
    bind_slice(st, 3, ddl);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)sl__sq_now_ms());
    int r = sqlite3_step(st);
    if (r == SQLITE_CONSTRAINT) {
        if (!if_not_exists)
            rc = sl_fail(err, SL_CONFLICT, "Table '%.*s' already exists", (int)def->name.n,
                         def->name.p);
    } else if (r != SQLITE_DONE) {
        rc = sl__sq_error(s->cat, "create table", err);
    }
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* Shared body of DROP TABLE and TRUNCATE. */
static sl_code drop_or_truncate(sl_store *s, sl_slice db, sl_slice table, bool drop, bool if_exists,
                                sl_err *err)
{
    sl_code rc = SL_OK;
    int64_t *ids = NULL;
    size_t n = 0;
    doomed *d = NULL;
    pthread_mutex_lock(&s->mu);
    if (!db_exists_locked(s, db)) {
        rc = unknown_db(db, err);
        goto out;
    }
    if ((rc = table_ids_locked(s, db, &table, &ids, &n, err)) != SL_OK)
        goto out;
    if (n == 0) {
        if (!if_exists)
            rc = sl_fail(err, SL_NOT_FOUND, "Unknown table '%.*s'", (int)table.n, table.p);
        goto out;
    }
    if ((d = sl_calloc(sizeof *d)) == NULL) {
        rc = sl_fail(err, SL_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = sl__sq_exec(s->cat, "BEGIN IMMEDIATE", err)) != SL_OK)
        goto out;
    rc = sl__sq_finish(s->cat, clear_table_locked(s, ids[0], drop, d, err), err);
out:
    pthread_mutex_unlock(&s->mu);
    if (d)
        doomed_release(s, d, 1, rc == SL_OK);
    sl_free(ids);
    return rc;
}

static sl_code sq_drop_table(sl_store *s, sl_slice db, sl_slice table, bool if_exists, sl_err *err)
{
    return drop_or_truncate(s, db, table, true, if_exists, err);
}

static sl_code sq_truncate(sl_store *s, sl_slice db, sl_slice table, sl_err *err)
{
    return drop_or_truncate(s, db, table, false, false, err);
}

static sl_code sq_get_table(sl_store *s, sl_slice db, sl_slice table, sl_arena_t *a, sl_slice *ddl,
                            int64_t *table_id, sl_err *err)
{
    sl_code rc = SL_OK;
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&s->mu);
    if (!db_exists_locked(s, db)) {
        rc = sl_fail(err, SL_NOT_FOUND_DB, "unknown database, database=%.*s", (int)db.n, db.p);
        goto out;
    }
    if ((rc = prep(s, "SELECT id, ddl FROM tables WHERE db=? AND name=?", &st, err)) != SL_OK)
        goto out;
    bind_slice(st, 1, db);
    bind_slice(st, 2, table);
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = sl_fail(err, SL_NOT_FOUND, "table not found, tableName=%.*s", (int)table.n, table.p);
        goto out;
    }
    *table_id = sqlite3_column_int64(st, 0);
    const char *t = (const char *)sqlite3_column_text(st, 1);
    *ddl = sl_arena_slice(a, (sl_slice){t, (size_t)sqlite3_column_bytes(st, 1)});
    if (ddl->p == NULL)
        rc = sl_fail(err, SL_NOMEM, "out of memory");
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static sl_code sq_label_state(sl_store *s, sl_slice db, sl_slice label, sl_label_info *out,
                              sl_err *err)
{
    sl_code rc;
    sqlite3_stmt *st = NULL;
    out->txn_id = -1;
    out->state = SL_TXN_UNKNOWN;
    pthread_mutex_lock(&s->mu);
    if (!db_exists_locked(s, db)) {
        rc = sl_fail(err, SL_NOT_FOUND_DB, "unknown database, database=%.*s", (int)db.n, db.p);
        goto out;
    }
    if ((rc = prep(s, "SELECT id, state FROM txns WHERE db=? AND label=? ORDER BY id DESC LIMIT 1",
                   &st, err)) != SL_OK)
        goto out;
    bind_slice(st, 1, db);
    bind_slice(st, 2, label);
    if (sqlite3_step(st) == SQLITE_ROW) {
        out->txn_id = sqlite3_column_int64(st, 0);
        out->state = (uint8_t)sqlite3_column_int(st, 1);
    }
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

const sl_store_vtab sl_store_sqlite = {
    .name = "sqlite",
    .version = 1,
    .open = sq_open,
    .close = sq_close,
    .create_db = sq_create_db,
    .drop_db = sq_drop_db,
    .list_dbs = sq_list_dbs,
    .create_table = sq_create_table,
    .drop_table = sq_drop_table,
    .truncate = sq_truncate,
    .list_tables = sq_list_tables,
    .get_table = sq_get_table,
    .begin = sl__sq_begin,
    .txn_id = sl__sq_txn_id,
    .append = sl__sq_append,
    .commit = sl__sq_commit,
    .precommit = sl__sq_precommit,
    .partial_check = sl__sq_partial_check,
    .abort = sl__sq_abort,
    .finish_2pc = sl__sq_finish_2pc,
    .find_2pc = sl__sq_find_2pc,
    .label_state = sq_label_state,
    .record_load = sl__sq_record_load,
    .list_loads = sl__sq_list_loads,
    .show_txn = sl__sq_show_txn,
    .query = sl__sq_query,
};
