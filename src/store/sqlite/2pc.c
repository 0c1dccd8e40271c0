/*
 * sqlite_2pc.c - the second phase of two-phase commit, and the precommit timeout, in the
 * SQLite backend (store stage). Spec: specs/doris-stream-load.md §1.4, §5.
 *
 * A precommitted load's segment is registered with visible = 0 and its label PRECOMMITTED
 * (sqlite_seg.c). Commit flips both in one catalog transaction; abort unregisters the segment
 * and deletes its file. Both survive restarts: only PREPARE transactions die with the process.
 */
#include "../../core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/mem.h"
#include "internal.h"

/* Find the transaction (caller holds s->mu). By label, commit looks at PRECOMMITTED only and
 * abort at PRECOMMITTED then PREPARE [Doris loadTxn2PCImpl]. */
static sl_code find_txn(sl_store *s, sl_slice db, int64_t *id, sl_slice label, bool commit,
                        int *state, int64_t *table_id, sl_err *err)
{
    sqlite3_stmt *st;
    const char *sql =
        *id >= 0 ? "SELECT id, state, table_id, reason FROM txns WHERE db=?1 AND id=?2"
                 : "SELECT id, state, table_id, reason FROM txns WHERE db=?1 AND label=?3 AND "
                   "(state=?4 OR state=?5) ORDER BY state=?4 DESC, id DESC LIMIT 1";
    if (sqlite3_prepare_v2(s->cat, sql, -1, &st, NULL) != SQLITE_OK)
        return sl__sq_error(s->cat, "2pc", err);
    sqlite3_bind_text(st, 1, db.p, (int)db.n, SQLITE_STATIC);
    if (*id >= 0)
        sqlite3_bind_int64(st, 2, *id);
    else {
        sqlite3_bind_text(st, 3, label.p, (int)label.n, SQLITE_STATIC);
        sqlite3_bind_int(st, 4, SL_TXN_PRECOMMITTED);
        sqlite3_bind_int(st, 5, commit ? SL_TXN_PRECOMMITTED : SL_TXN_PREPARE);
    }
    sl_code rc = SL_OK;
    if (sqlite3_step(st) != SQLITE_ROW) {
        if (*id >= 0)
            rc = sl_fail(err, SL_NOT_FOUND, "transaction [%lld] not found", (long long)*id);
        else
            rc = sl_fail(err, SL_NOT_FOUND, "running transaction not found, label=%.*s",
                         (int)label.n, label.p);
    } else {
        *id = sqlite3_column_int64(st, 0);
        *state = sqlite3_column_int(st, 1);
        *table_id = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Does any transaction carry this label? (for Doris's two different "not found" texts) */
static bool label_known(sl_store *s, sl_slice db, sl_slice label)
{
    sqlite3_stmt *st;
    bool known = false;
    if (sqlite3_prepare_v2(s->cat, "SELECT 1 FROM txns WHERE db=? AND label=?", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_text(st, 1, db.p, (int)db.n, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, label.p, (int)label.n, SQLITE_STATIC);
        known = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
    }
    return known;
}

static sl_code check_state(int state, int64_t id, bool commit, sl_err *err)
{
    if (state == SL_TXN_VISIBLE || state == SL_TXN_COMMITTED)
        return sl_fail(err, SL_INVALID, "transaction [%lld] is already visible, not pre-committed.",
                       (long long)id);
    if (state == SL_TXN_ABORTED)
        return sl_fail(err, SL_INVALID, "transaction [%lld] is already aborted. abort reason: "
                                        "User Abort", (long long)id);
    if (commit && state != SL_TXN_PRECOMMITTED)
        return sl_fail(err, SL_INVALID, "transaction [%lld] is not pre-committed",
                       (long long)id);
    return SL_OK;
}

/* Take the transaction's segment files (to delete after COMMIT) and unregister them. */
static sl_code drop_txn_segments(sl_store *s, int64_t id, char ***files, size_t *n, sl_err *err)
{
    sqlite3_stmt *st;
    *files = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(s->cat, "SELECT file FROM segments WHERE txn_id=?", -1, &st, NULL) !=
        SQLITE_OK)
        return sl__sq_error(s->cat, "2pc", err);
    sqlite3_bind_int64(st, 1, id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        char **f = sl_realloc(*files, (*n + 1) * sizeof *f);
        if (f == NULL)
            break;
        *files = f;
        if (((*files)[*n] = strdup((const char *)sqlite3_column_text(st, 0))) != NULL)
            (*n)++;
    }
    sqlite3_finalize(st);
    char sql[128];
    snprintf(sql, sizeof sql, "DELETE FROM segments WHERE txn_id=%lld", (long long)id);
    return sl__sq_exec(s->cat, sql, err);
}

/* The name of table id (in the arena), or "" when it was dropped (caller holds s->mu). */
static sl_code table_name(sl_store *s, int64_t id, sl_arena_t *a, sl_slice *out, sl_err *err)
{
    sqlite3_stmt *st;
    *out = SL_LIT("");
    if (sqlite3_prepare_v2(s->cat, "SELECT name FROM tables WHERE id=?", -1, &st, NULL) !=
        SQLITE_OK)
        return sl__sq_error(s->cat, "2pc", err);
    sqlite3_bind_int64(st, 1, id);
    sl_code rc = SL_OK;
    if (sqlite3_step(st) == SQLITE_ROW) {
        sl_slice n = {(const char *)sqlite3_column_text(st, 0),
                      (size_t)sqlite3_column_bytes(st, 0)};
        *out = sl_arena_slice(a, n);
        if (out->p == NULL)
            rc = sl_fail(err, SL_NOMEM, "out of memory");
    }
    sqlite3_finalize(st);
    return rc;
}

sl_code sl__sq_find_2pc(sl_store *s, sl_slice db, int64_t *txn_id, sl_slice label, bool commit,
                        sl_arena_t *a, sl_slice *table, sl_err *err)
{
    int state = 0;
    int64_t table_id = 0;
    pthread_mutex_lock(&s->mu);
    sl_code rc = find_txn(s, db, txn_id, label, commit, &state, &table_id, err);
    if (rc != SL_OK && *txn_id < 0 && !label_known(s, db, label)) {
        sl_err_clear(err);
        rc = sl_fail(err, SL_NOT_FOUND, "transaction not found, label=%.*s", (int)label.n,
                     label.p);
    }
    if (rc == SL_OK)
        rc = table_name(s, table_id, a, table, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

sl_code sl__sq_finish_2pc(sl_store *s, sl_slice db, int64_t *txn_id, sl_slice label, bool commit,
                          sl_err *err)
{
    int state = 0;
    int64_t table_id = 0;
    char **files = NULL;
    size_t n_files = 0;
    char sql[256];
    pthread_mutex_lock(&s->mu);
    sl_code rc = sl__sq_exec(s->cat, "BEGIN IMMEDIATE", err);
    if (rc != SL_OK)
        goto out;
    rc = find_txn(s, db, txn_id, label, commit, &state, &table_id, err);
    if (rc != SL_OK && *txn_id < 0 && !label_known(s, db, label)) {
        sl_err_clear(err);
        rc = sl_fail(err, SL_NOT_FOUND, "transaction not found, label=%.*s", (int)label.n,
                     label.p);
    }
    if (rc == SL_OK)
        rc = check_state(state, *txn_id, commit, err);
    if (rc == SL_OK && commit) {
        snprintf(sql, sizeof sql,
                 "UPDATE segments SET visible=1, version=(SELECT coalesce(max(version), 0) + 1 "
                 "FROM segments) WHERE txn_id=%lld; UPDATE txns SET state=%d, "
                 "finished_ms=%llu WHERE id=%lld",
                 (long long)*txn_id, SL_TXN_VISIBLE, (unsigned long long)sl__sq_now_ms(),
                 (long long)*txn_id);
        rc = sl__sq_exec(s->cat, sql, err);
    } else if (rc == SL_OK) {
        rc = drop_txn_segments(s, *txn_id, &files, &n_files, err);
        snprintf(sql, sizeof sql,
                 "UPDATE txns SET state=%d, finished_ms=%llu, reason='User Abort' WHERE id=%lld",
                 SL_TXN_ABORTED, (unsigned long long)sl__sq_now_ms(), (long long)*txn_id);
        if (rc == SL_OK)
            rc = sl__sq_exec(s->cat, sql, err);
    }
    rc = sl__sq_finish(s->cat, rc, err);
out:
    pthread_mutex_unlock(&s->mu);
    if (rc == SL_OK && n_files)
        sl__sq_unlink_files(s, table_id, files, n_files);
    for (size_t i = 0; i < n_files; i++)
        free(files[i]);
    sl_free(files);
    if (rc == SL_OK && commit)
        sl__sq_compact_later(s, table_id);
    return rc;
}

void sl__sq_expire_precommitted_locked(sl_store *s, uint64_t now, sl_sq_expired *out)
{
    memset(out, 0, sizeof *out);
    uint64_t limit = now - (uint64_t)s->precommit_timeout_s * 1000;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->cat,
                           "SELECT g.table_id, g.file FROM segments g JOIN txns t ON t.id = "
                           "g.txn_id WHERE t.state=? AND t.finished_ms < ?",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_int(st, 1, SL_TXN_PRECOMMITTED);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t *t = sl_realloc(out->table_ids, (out->n + 1) * sizeof *t);
        if (t)
            out->table_ids = t;
        char **f = sl_realloc(out->files, (out->n + 1) * sizeof *f);
        if (f)
            out->files = f;
        if (t == NULL || f == NULL)
            break;
        out->table_ids[out->n] = sqlite3_column_int64(st, 0);
        if ((out->files[out->n] = strdup((const char *)sqlite3_column_text(st, 1))) != NULL)
            out->n++;
    }
    sqlite3_finalize(st);
    char sql[512];
    snprintf(sql, sizeof sql,
             "BEGIN IMMEDIATE; DELETE FROM segments WHERE txn_id IN (SELECT id FROM txns WHERE "
             "state=%d AND finished_ms < %llu); UPDATE txns SET state=%d, reason='precommit "
             "timeout' WHERE state=%d AND finished_ms < %llu; COMMIT;",
             SL_TXN_PRECOMMITTED, (unsigned long long)limit, SL_TXN_ABORTED, SL_TXN_PRECOMMITTED,
             (unsigned long long)limit);
    if (sl__sq_exec(s->cat, sql, NULL) != SL_OK) {
        sl__sq_exec(s->cat, "ROLLBACK", NULL);
        for (size_t i = 0; i < out->n; i++)
            free(out->files[i]);
        out->n = 0; /* nothing was unregistered: keep the files */
    }
}

void sl__sq_expired_unlink(sl_store *s, sl_sq_expired *x)
{
    for (size_t i = 0; i < x->n; i++) {
        sl__sq_unlink_files(s, x->table_ids[i], &x->files[i], 1);
        free(x->files[i]);
    }
    sl_free(x->files);
    sl_free(x->table_ids);
    memset(x, 0, sizeof *x);
}
