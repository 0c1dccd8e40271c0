/*
 * sqlite_seg.c - load transactions of the SQLite backend: label check, segment writing,
 * commit and abort (store stage).
 *
 *   begin:  catalog txn: label free? -> txns row (PREPARE)        [short, shared lock]
 *   append: rows -> the load's own segment file                   [no shared lock at all]
 *   commit: segment COMMIT + fsync -> catalog txn: register
 *           segment, label VISIBLE                                [short, shared lock]
 *
 * So two loads into one table run side by side and only meet for the two short catalog
 * transactions; neither waits for the other's upload.
 */
#include "../core/platform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../batch/convert.h"
#include "../core/buf.h"
#include "../core/mem.h"
#include "sqlite_internal.h"

/* Abort a PREPARE transaction whose timeout passed (caller holds s->mu). Doris's transaction
 * manager does the same for loads that never finished. */
static void expire_prepared_locked(sl_store *s, uint64_t now)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "UPDATE txns SET state=%d, finished_ms=%llu, reason='timeout by txn manager' "
             "WHERE state=%d AND timeout_s > 0 AND created_ms + timeout_s * 1000 < %llu",
             SL_TXN_ABORTED, (unsigned long long)now, SL_TXN_PREPARE, (unsigned long long)now);
    sl__sq_exec(s->cat, sql, NULL);
}

/* Forget finished labels older than the retention and abort precommitted transactions past
 * their timeout, at most once a minute (caller holds mu; files go to *x). */
static void gc_labels_locked(sl_store *s, uint64_t now, sl_sq_expired *x)
{
    uint64_t every = 60000; /* often enough for 3-day labels and 1-hour precommits */
    if ((uint64_t)s->precommit_timeout_s * 500 < every)
        every = (uint64_t)s->precommit_timeout_s * 500;
    if (now - s->last_gc_ms < every)
        return;
    sl__sq_expire_precommitted_locked(s, now, x);
    s->last_gc_ms = now;
    char sql[256];
    snprintf(sql, sizeof sql,
             "DELETE FROM txns WHERE state IN (%d, %d) AND finished_ms < %llu", SL_TXN_VISIBLE,
             SL_TXN_ABORTED, (unsigned long long)(now - (uint64_t)s->label_keep_s * 1000));
    sl__sq_exec(s->cat, sql, NULL);
    expire_prepared_locked(s, now);
}

/* Check the label and record the new transaction. */
static sl_code register_txn(sl_store *s, const sl_begin_opts *o, int64_t *id,
                            sl_label_info *existing, sl_err *err)
{
    sqlite3_stmt *st = NULL;
    sl_code rc = SL_OK;
    uint64_t now = sl__sq_now_ms();
    sl_sq_expired expired = {0};
    pthread_mutex_lock(&s->mu);
    gc_labels_locked(s, now, &expired);
    if ((rc = sl__sq_exec(s->cat, "BEGIN IMMEDIATE", err)) != SL_OK)
        goto out;
    if (sqlite3_prepare_v2(s->cat,
                           "SELECT id, state, created_ms, timeout_s FROM txns WHERE db=? AND "
                           "label=? AND state != ? ORDER BY id DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = sl__sq_error(s->cat, "begin", err);
        goto done;
    }
    sqlite3_bind_text(st, 1, o->db.p, (int)o->db.n, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, o->label.p, (int)o->label.n, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, SL_TXN_ABORTED);
    if (sqlite3_step(st) == SQLITE_ROW) {
        existing->txn_id = sqlite3_column_int64(st, 0);
        existing->state = (uint8_t)sqlite3_column_int(st, 1);
        rc = sl_fail(err, SL_CONFLICT, "Label [%.*s] has already been used, relate to txn [%lld]",
                     (int)o->label.n, o->label.p, (long long)existing->txn_id);
        goto done;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(s->cat,
                           "INSERT INTO txns(db, label, table_id, state, created_ms, timeout_s) "
                           "VALUES(?,?,?,?,?,?)",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = sl__sq_error(s->cat, "begin", err);
        goto done;
    }
    sqlite3_bind_text(st, 1, o->db.p, (int)o->db.n, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, o->label.p, (int)o->label.n, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, o->table_id);
    sqlite3_bind_int(st, 4, SL_TXN_PREPARE);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)now);
    sqlite3_bind_int64(st, 6, o->timeout_s);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = sl__sq_error(s->cat, "begin", err);
    else
        *id = sqlite3_last_insert_rowid(s->cat);
done:
    sqlite3_finalize(st);
    if (rc == SL_OK)
        rc = sl__sq_exec(s->cat, "COMMIT", err);
    else
        sl__sq_exec(s->cat, "ROLLBACK", NULL);
out:
    pthread_mutex_unlock(&s->mu);
    sl__sq_expired_unlink(s, &expired);
    return rc;
}

sl_code sl__sq_segment_create(const char *path, size_t n_cols, sqlite3 **out, sl_err *err)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        sl_code rc = sl__sq_error(db, "cannot create segment", err);
        sqlite3_close(db);
        return rc;
    }
    /* The file is private until registered, so no journal and no syncs while writing: commit
     * fsyncs it once. 64 MiB of cache keeps B-tree pages of a big load in memory. */
    sl_buf sql = SL_BUF_INIT;
    sl_buf_puts(&sql, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
                      "PRAGMA locking_mode=EXCLUSIVE; PRAGMA cache_size=-65536; "
                      "CREATE TABLE t(");
    for (size_t c = 0; c < n_cols; c++)
        sl_buf_printf(&sql, "%sc%zu", c ? "," : "", c);
    sl_buf_puts(&sql, "); BEGIN;");
    sl_code rc = sql.oom ? sl_fail(err, SL_NOMEM, "out of memory") : sl__sq_exec(db, sql.p, err);
    sl_buf_free(&sql);
    if (rc != SL_OK) {
        sqlite3_close(db);
        return rc;
    }
    *out = db;
    return SL_OK;
}

static char *seg_path(sl_store *s, int64_t table_id, const char *file)
{
    char *dir = sl__sq_table_dir(s, table_id);
    if (dir == NULL)
        return NULL;
    size_t n = strlen(dir) + strlen(file) + 2;
    char *p = sl_malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, file);
    mkdir(dir, 0755);
    sl_free(dir);
    return p;
}

sl_code sl__sq_begin(sl_store *s, const sl_begin_opts *o, sl_txn **out, sl_label_info *existing,
                     sl_err *err)
{
    existing->txn_id = -1;
    existing->state = SL_TXN_UNKNOWN;
    sl_txn *t = sl_calloc(sizeof *t);
    if (t == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    t->s = s;
    t->def = o->def;
    t->table_id = o->table_id;
    sl_code rc = register_txn(s, o, &t->id, existing, err);
    if (rc != SL_OK) {
        sl_free(t);
        return rc;
    }
    char file[64];
    snprintf(file, sizeof file, "t%lld.db", (long long)t->id);
    t->file = strdup(file);
    t->path = seg_path(s, t->table_id, file);
    if (t->file == NULL || t->path == NULL) {
        sl__sq_abort(t, "out of memory");
        return sl_fail(err, SL_NOMEM, "out of memory");
    }
    *out = t;
    return SL_OK;
}

int64_t sl__sq_txn_id(const sl_txn *t)
{
    return t->id;
}

static sl_code open_segment(sl_txn *t)
{
    sl_code rc = sl__sq_segment_create(t->path, t->def->n_cols, &t->seg, &t->err);
    if (rc != SL_OK)
        return rc;
    sl_buf sql = SL_BUF_INIT;
    sl_buf_puts(&sql, "INSERT INTO t VALUES(");
    for (size_t c = 0; c < t->def->n_cols; c++)
        sl_buf_puts(&sql, c ? ",?" : "?");
    sl_buf_puts(&sql, ")");
    if (sql.oom)
        rc = sl_fail(&t->err, SL_NOMEM, "out of memory");
    else if (sqlite3_prepare_v3(t->seg, sql.p, -1, SQLITE_PREPARE_PERSISTENT, &t->ins, NULL) !=
             SQLITE_OK)
        rc = sl__sq_error(t->seg, "segment insert", &t->err);
    sl_buf_free(&sql);
    return rc;
}

static const double pow10_tab[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

/* Bind one non-NULL cell in its stored form (see sqlite_internal.h and docs/ARCHITECTURE.md:
 * integers and booleans INTEGER, floats REAL, DECIMAL(p<=15) REAL (exact when printed at its
 * scale), wider DECIMAL and LARGEINT beyond int64 TEXT, DATE/DATETIME sortable TEXT). */
static void bind_cell(sqlite3_stmt *st, int i, const sl_type *ty, const sl_datum *v)
{
    char tmp[64];
    size_t n;
    switch ((sl_type_id)ty->id) {
    case SL_TINYINT: case SL_SMALLINT: case SL_INT: case SL_BIGINT: case SL_BOOLEAN:
        sqlite3_bind_int64(st, i, v->i);
        return;
    case SL_LARGEINT:
        if (v->w >= INT64_MIN && v->w <= INT64_MAX) {
            sqlite3_bind_int64(st, i, (int64_t)v->w);
            return;
        }
        n = sl_format_i128(v->w, tmp);
        sqlite3_bind_text(st, i, tmp, (int)n, SQLITE_TRANSIENT);
        return;
    case SL_FLOAT: case SL_DOUBLE:
        sqlite3_bind_double(st, i, v->d);
        return;
    case SL_DECIMAL:
        if (ty->precision <= 15) {
            sqlite3_bind_double(st, i, (double)(int64_t)v->w / pow10_tab[ty->scale]);
            return;
        }
        n = sl_format_decimal(v->w, ty->scale, tmp);
        sqlite3_bind_text(st, i, tmp, (int)n, SQLITE_TRANSIENT);
        return;
    case SL_DATE:
        n = sl_format_date(v->i, tmp);
        sqlite3_bind_text(st, i, tmp, (int)n, SQLITE_TRANSIENT);
        return;
    case SL_DATETIME:
        n = sl_format_datetime(v->i, ty->precision, tmp);
        sqlite3_bind_text(st, i, tmp, (int)n, SQLITE_TRANSIENT);
        return;
    default:
        sqlite3_bind_text(st, i, v->s.p ? v->s.p : "", (int)v->s.n, SQLITE_STATIC);
        return;
    }
}

sl_code sl__sq_append(sl_txn *t, const sl_batch *b, sl_err *err)
{
    if (t->err.code != SL_OK)
        return sl_fail(err, t->err.code, "%s", t->err.msg);
    if (b->n_rows == 0)
        return SL_OK;
    if (t->seg == NULL && open_segment(t) != SL_OK)
        return sl_fail(err, t->err.code, "%s", t->err.msg);
    sqlite3_stmt *st = t->ins;
    for (size_t r = 0; r < b->n_rows; r++) {
        for (size_t c = 0; c < b->n_cols; c++) {
            const sl_column *col = &b->cols[c];
            if (col->null[r])
                sqlite3_bind_null(st, (int)c + 1);
            else
                bind_cell(st, (int)c + 1, &col->def->type, &col->v[r]);
        }
        if (sqlite3_step(st) != SQLITE_DONE) {
            sl__sq_error(t->seg, "segment write", &t->err);
            sqlite3_reset(st);
            return sl_fail(err, t->err.code, "%s", t->err.msg);
        }
        sqlite3_reset(st);
    }
    t->rows += b->n_rows;
    return SL_OK;
}

static void txn_free(sl_txn *t)
{
    if (t->ins)
        sqlite3_finalize(t->ins);
    if (t->seg)
        sqlite3_close(t->seg);
    free(t->file);
    sl_free(t->path);
    sl_free(t);
}

/* Close the segment durably: COMMIT, close, fsync file and directory. */
static sl_code seal_segment(sl_txn *t, sl_err *err)
{
    sqlite3_finalize(t->ins);
    t->ins = NULL;
    if (sl__sq_exec(t->seg, "COMMIT", err) != SL_OK)
        return err->code;
    if (sqlite3_close(t->seg) != SQLITE_OK)
        return sl_fail(err, SL_BACKEND, "cannot close segment");
    t->seg = NULL;
    if (sl__sq_fsync_path(t->path, err) != SL_OK)
        return err->code;
    char *dir = sl__sq_table_dir(t->s, t->table_id);
    if (dir == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    sl_code rc = sl__sq_fsync_path(dir, err);
    sl_free(dir);
    return rc;
}

/* Register the segment and flip the label to VISIBLE (or, for 2PC, PRECOMMITTED with the
 * segment registered but invisible) in one catalog transaction. */
static sl_code publish(sl_txn *t, bool visible, sl_err *err)
{
    sl_store *s = t->s;
    sl_code rc = SL_OK;
    char sql[512];
    pthread_mutex_lock(&s->mu);
    if ((rc = sl__sq_exec(s->cat, "BEGIN IMMEDIATE", err)) != SL_OK)
        goto out;
    /* The transaction may have been expired, or its table dropped, meanwhile. */
    sqlite3_stmt *st = NULL;
    snprintf(sql, sizeof sql,
             "SELECT (SELECT state FROM txns WHERE id=%lld), (SELECT 1 FROM tables WHERE id=%lld)",
             (long long)t->id, (long long)t->table_id);
    if (sqlite3_prepare_v2(s->cat, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        rc = sl__sq_error(s->cat, "commit", err);
    } else if (sqlite3_column_int(st, 0) != SL_TXN_PREPARE) {
        rc = sl_fail(err, SL_TIMEOUT, "transaction [%lld] is already aborted", (long long)t->id);
    } else if (sqlite3_column_type(st, 1) == SQLITE_NULL) {
        rc = sl_fail(err, SL_NOT_FOUND, "unknown table, tableId=%lld", (long long)t->table_id);
    }
    sqlite3_finalize(st);
    if (rc == SL_OK && t->rows > 0) {
        snprintf(sql, sizeof sql,
                 "INSERT INTO segments(table_id, txn_id, file, rows, visible) VALUES(%lld, %lld, "
                 "'%s', %llu, %d)",
                 (long long)t->table_id, (long long)t->id, t->file, (unsigned long long)t->rows,
                 visible);
        rc = sl__sq_exec(s->cat, sql, err);
    }
    if (rc == SL_OK) {
        snprintf(sql, sizeof sql, "UPDATE txns SET state=%d, finished_ms=%llu WHERE id=%lld",
                 visible ? SL_TXN_VISIBLE : SL_TXN_PRECOMMITTED,
                 (unsigned long long)sl__sq_now_ms(), (long long)t->id);
        rc = sl__sq_exec(s->cat, sql, err);
    }
    if (rc == SL_OK)
        rc = sl__sq_exec(s->cat, "COMMIT", err);
    else
        sl__sq_exec(s->cat, "ROLLBACK", NULL);
out:
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* Seal the segment and publish it; frees t whatever the outcome. */
static sl_code finish_txn(sl_txn *t, bool visible, sl_err *err)
{
    sl_code rc;
    if (t->err.code != SL_OK) {
        rc = sl_fail(err, t->err.code, "%s", t->err.msg);
        sl__sq_abort(t, t->err.msg);
        return rc;
    }
    if (t->seg && (rc = seal_segment(t, err)) != SL_OK) {
        sl__sq_abort(t, err->msg);
        return rc;
    }
    if ((rc = publish(t, visible, err)) != SL_OK) {
        sl__sq_abort(t, err->msg);
        return rc;
    }
    if (t->rows == 0)
        unlink(t->path);
    int64_t table_id = t->table_id;
    size_t n_cols = t->def->n_cols;
    sl_store *s = t->s;
    txn_free(t);
    /* Keep the number of segments per table small (queries attach them all). A failure here
     * leaves the data as it is: the load itself is committed. */
    sl_err cerr = {0};
    if (visible)
        sl__sq_compact(s, table_id, n_cols, false, &cerr);
    return SL_OK;
}

sl_code sl__sq_commit(sl_txn *t, sl_err *err)
{
    return finish_txn(t, true, err);
}

sl_code sl__sq_precommit(sl_txn *t, sl_err *err)
{
    return finish_txn(t, false, err);
}

void sl__sq_abort(sl_txn *t, const char *reason)
{
    sl_store *s = t->s;
    if (t->ins) {
        sqlite3_finalize(t->ins);
        t->ins = NULL;
    }
    if (t->seg) {
        sqlite3_close(t->seg);
        t->seg = NULL;
    }
    if (t->path)
        unlink(t->path);
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->cat,
                           "UPDATE txns SET state=?, finished_ms=?, reason=? WHERE id=? AND "
                           "state=?",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int(st, 1, SL_TXN_ABORTED);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)sl__sq_now_ms());
        sqlite3_bind_text(st, 3, reason ? reason : "", -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, t->id);
        sqlite3_bind_int(st, 5, SL_TXN_PREPARE);
        sqlite3_step(st);
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->mu);
    txn_free(t);
}
