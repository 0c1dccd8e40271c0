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
#include "../../core/platform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../batch/convert.h"
#include "../../core/buf.h"
#include "../../core/mem.h"
#include "internal.h"

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
    rc = sl__sq_finish(s->cat, rc, err);
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
     * fsyncs it once. Rows are appended in rowid order, so a small cache (16 MiB) is enough:
     * full pages are written out as the B-tree grows, and two lanes stay inside the RSS budget. */
    sl_buf sql = SL_BUF_INIT;
    sl_buf_puts(&sql, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
                      "PRAGMA locking_mode=EXCLUSIVE; PRAGMA cache_size=-16384; "
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
    t->seq_col = o->seq_col;
    t->replace = o->replace;
    t->partial = o->partial;
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    sl_code rc = register_txn(s, o, &t->id, existing, err);
    char *dir = rc == SL_OK ? sl__sq_table_dir(s, t->table_id) : NULL;
    if (dir)
        mkdir(dir, 0755);
    sl_free(dir);
    if (rc != SL_OK) {
        pthread_mutex_destroy(&t->mu);
        pthread_cond_destroy(&t->cv);
        sl_free(t);
        return rc;
    }
    *out = t;
    return SL_OK;
}

int64_t sl__sq_txn_id(const sl_txn *t)
{
    return t->id;
}

sl_code sl__sq_append(sl_txn *t, const sl_batch *b, sl_err *err)
{
    if (t->err.code != SL_OK)
        return sl_fail(err, t->err.code, "%s", t->err.msg);
    if (b->n_rows == 0)
        return SL_OK;
    if (sl__sq_lane_put(t, b, &t->err) != SL_OK)
        return sl_fail(err, t->err.code, "%s", t->err.msg);
    return SL_OK;
}

static void txn_free(sl_txn *t, bool unlink_files)
{
    sl__sq_lanes_discard(t, unlink_files);
    for (size_t i = 0; i < t->n_replaced; i++)
        free(t->replaced[i]);
    sl_free(t->replaced);
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    sl_free(t);
}

static uint64_t txn_rows(const sl_txn *t)
{
    uint64_t n = 0;
    for (size_t k = 0; k < SL_SQ_LANES; k++)
        n += t->lanes[k].rows;
    return n;
}

/* Write every lane's rows durably: drain the threads, COMMIT and fsync the files and their
 * directory. */
static sl_code seal(sl_txn *t, sl_err *err)
{
    sl_code rc = sl__sq_lanes_drain(t, err);
    if (rc == SL_OK)
        rc = sl__sq_lanes_seal(t, err);
    if (rc != SL_OK || txn_rows(t) == 0)
        return rc;
    char *dir = sl__sq_table_dir(t->s, t->table_id);
    if (dir == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    rc = sl__sq_fsync_path(dir, err);
    sl_free(dir);
    return rc;
}

/* An atomic replace: unregister the table's visible segments inside the commit's catalog
 * transaction (caller holds s->mu); their files are deleted once it has committed. */
static sl_code take_replaced_locked(sl_txn *t, sl_err *err)
{
    sl_store *s = t->s;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->cat, "SELECT file FROM segments WHERE table_id=? AND visible=1", -1,
                           &st, NULL) != SQLITE_OK)
        return sl__sq_error(s->cat, "replace", err);
    sqlite3_bind_int64(st, 1, t->table_id);
    sl_code rc = SL_OK;
    while (rc == SL_OK && sqlite3_step(st) == SQLITE_ROW) {
        char **f = sl_realloc(t->replaced, (t->n_replaced + 1) * sizeof *f);
        char *name = f ? strdup((const char *)sqlite3_column_text(st, 0)) : NULL;
        if (f)
            t->replaced = f;
        if (name == NULL)
            rc = sl_fail(err, SL_NOMEM, "out of memory");
        else
            t->replaced[t->n_replaced++] = name;
    }
    sqlite3_finalize(st);
    char sql[128];
    snprintf(sql, sizeof sql, "DELETE FROM segments WHERE table_id=%lld AND visible=1",
             (long long)t->table_id);
    return rc == SL_OK ? sl__sq_exec(s->cat, sql, err) : rc;
}

/* Register the lanes' segments and flip the label to VISIBLE (or, for 2PC, PRECOMMITTED with
 * the segments registered but invisible) in one catalog transaction. */
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
    if (rc == SL_OK && t->replace && visible)
        rc = take_replaced_locked(t, err);
    /* Visible segments get the next version: keyed tables merge rows in version order, which
     * is commit order. Precommitted ones get theirs at the 2PC commit. */
    for (size_t k = 0; rc == SL_OK && k < SL_SQ_LANES; k++) {
        const sq_lane *l = &t->lanes[k];
        if (l->rows == 0)
            continue;
        snprintf(sql, sizeof sql,
                 "INSERT INTO segments(table_id, txn_id, file, rows, visible, version, partial) "
                 "VALUES(%lld, %lld, '%s', %llu, %d, CASE WHEN %d THEN (SELECT "
                 "coalesce(max(version), 0) + 1 FROM segments) ELSE 0 END, %d)",
                 (long long)t->table_id, (long long)t->id, l->file, (unsigned long long)l->rows,
                 visible, visible, t->partial);
        rc = sl__sq_exec(s->cat, sql, err);
    }
    if (rc == SL_OK) {
        snprintf(sql, sizeof sql, "UPDATE txns SET state=%d, finished_ms=%llu WHERE id=%lld",
                 visible ? SL_TXN_VISIBLE : SL_TXN_PRECOMMITTED,
                 (unsigned long long)sl__sq_now_ms(), (long long)t->id);
        rc = sl__sq_exec(s->cat, sql, err);
    }
    rc = sl__sq_finish(s->cat, rc, err);
out:
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* Seal the lanes and publish them; frees t whatever the outcome. */
static sl_code finish_txn(sl_txn *t, bool visible, sl_err *err)
{
    sl_code rc;
    if (t->err.code != SL_OK) {
        rc = sl_fail(err, t->err.code, "%s", t->err.msg);
        sl__sq_abort(t, t->err.msg);
        return rc;
    }
    if ((rc = seal(t, err)) != SL_OK || (rc = publish(t, visible, err)) != SL_OK) {
        sl__sq_abort(t, err->msg);
        return rc;
    }
    int64_t table_id = t->table_id;
    sl_store *s = t->s;
    bool empty = txn_rows(t) == 0;
    if (t->n_replaced) /* the replace committed: the old files can go */
        sl__sq_unlink_files(s, table_id, t->replaced, t->n_replaced);
    txn_free(t, empty); /* an empty load registered no file: delete the empty segments */
    /* Keep the number of segments per table small (queries attach them all), off this path. */
    if (visible && !empty)
        sl__sq_compact_later(s, table_id);
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
    sl__sq_lanes_discard(t, true);
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
    txn_free(t, true);
}
