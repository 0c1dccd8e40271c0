/*
 * seg.c - load writers of the SQLite engine: segment files, publish, 2PC stages (store stage).
 *
 *   w_open:    nothing shared: the table's segment directory                [no lock]
 *   w_append:  rows -> the load's own segment files, through the lanes       [no lock at all]
 *   w_publish: segments COMMIT + fsync -> catalog txn: register segments     [short, catalog]
 *              (the ledger flips the label in the same catalog transaction and commits)
 *
 * So two loads into one table run side by side and only meet for the two short catalog
 * transactions (the ledger's begin and this publish); neither waits for the other's upload.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../core/platform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../core/buf.h"
#include "../../core/mem.h"
#include "internal.h"

sl_code sl__sq_w_open(sl_engine *s, const sl_wopts *o, sl_ewriter **out, sl_err *err)
{
    sl_ewriter *t = sl_calloc(sizeof *t);
    if (t == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    t->s = s;
    t->id = o->txn_id;
    t->def = o->t.def;
    t->table_id = o->t.id;
    t->seq_col = o->seq_col;
    t->replace = o->replace;
    t->partial = o->partial;
    t->extra.seq_col = o->seq_col;
    for (size_t i = 0; i < SL_COUNT(t->pool_free); i++)
        t->pool_free[i] = true;
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    char *dir = sl__sq_table_dir(s, t->table_id);
    t->types = sl_malloc((sl__sq_seg_cols(t->def) + 1) * sizeof *t->types);
    if (dir == NULL || t->types == NULL || (mkdir(dir, 0755) != 0 && errno != EEXIST)) {
        sl_code rc = dir && t->types ? sl_fail(err, SL_BACKEND, "cannot create %s: %s", dir,
                                               strerror(errno))
                                     : sl_fail(err, SL_NOMEM, "out of memory");
        sl_free(dir);
        sl_free(t->types);
        pthread_mutex_destroy(&t->mu);
        pthread_cond_destroy(&t->cv);
        sl_free(t);
        return rc;
    }
    t->n_seg = sl__sq_seg_types(t->def, t->types);
    sl_free(dir);
    *out = t;
    return SL_OK;
}

sl_code sl__sq_w_append(sl_ewriter *t, const sl_batch *b, sl_err *err)
{
    if (t->err.code != SL_OK)
        return sl_fail(err, t->err.code, "%s", t->err.msg);
    if (b->n_rows == 0)
        return SL_OK;
    if (sl__sq_lane_put(t, b, &t->err) != SL_OK)
        return sl_fail(err, t->err.code, "%s", t->err.msg);
    return SL_OK;
}

uint64_t sl__sq_w_rows(const sl_ewriter *t)
{
    return t->appended;
}

/* Write every lane's rows durably: drain the threads, COMMIT and fsync the files and their
 * directory. */
static sl_code seal(sl_ewriter *t, sl_err *err)
{
    sl_code rc = sl__sq_lanes_drain(t, err);
    if (rc == SL_OK)
        rc = sl__sq_lanes_seal(t, err);
    if (rc != SL_OK || sl__sq_w_rows(t) == 0)
        return rc;
    char *dir = sl__sq_table_dir(t->s, t->table_id);
    if (dir == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    rc = sl__sq_fsync_path(dir, err);
    sl_free(dir);
    return rc;
}

/* Register the lanes' segments on c (inside its transaction): visible with the next version,
 * or invisible for 2PC (they get their version at the 2PC commit). The table may have been
 * dropped meanwhile. */
static sl_code register_segments(sl_ewriter *t, sl_econn *c, bool visible, sl_err *err)
{
    sl_engine *s = t->s;
    char sql[512];
    sqlite3_stmt *st = NULL;
    sl_code rc = SL_OK;
    snprintf(sql, sizeof sql, "SELECT 1 FROM tables WHERE id=%lld", (long long)t->table_id);
    if (sqlite3_prepare_v2(s->cat, sql, -1, &st, NULL) != SQLITE_OK)
        rc = sl__sq_error(s->cat, "commit", err);
    else if (sqlite3_step(st) != SQLITE_ROW)
        rc = sl_fail(err, SL_NOT_FOUND, "unknown table, tableId=%lld", (long long)t->table_id);
    sqlite3_finalize(st);
    if (rc == SL_OK && t->replace && visible)
        rc = sl__sq_doom_segments(c, "table_id = ?1 AND visible = 1", t->table_id, err);
    for (size_t k = 0; rc == SL_OK && k < SL_SQ_LANES; k++) {
        const sq_lane *l = &t->lanes[k];
        if (sl__sq_lane_rows(t, k) == 0)
            continue;
        snprintf(sql, sizeof sql,
                 "INSERT INTO segments(table_id, txn_id, file, rows, visible, version, partial) "
                 "VALUES(%lld, %lld, '%s', %llu, %d, CASE WHEN %d THEN (SELECT "
                 "coalesce(max(version), 0) + 1 FROM segments) ELSE 0 END, %d)",
                 (long long)t->table_id, (long long)t->id, l->file,
                 (unsigned long long)sl__sq_lane_rows(t, k),
                 visible, visible, t->partial);
        rc = sl__sq_exec(s->cat, sql, err);
    }
    return rc;
}

sl_code sl__sq_w_publish(sl_ewriter *t, bool stage, sl_econn **out, sl_err *err)
{
    *out = NULL;
    if (t->err.code != SL_OK)
        return sl_fail(err, t->err.code, "%s", t->err.msg);
    sl_code rc = seal(t, err);
    if (rc != SL_OK)
        return rc;
    sl_econn *c;
    sl__sq_conn_get(t->s, &c, err);
    t->conn_held = true;
    if ((rc = sl__sq_xbegin(c, err)) == SL_OK &&
        (rc = register_segments(t, c, !stage, err)) == SL_OK) {
        *out = c;
        return SL_OK;
    }
    sl__sq_xrollback(c);
    sl__sq_conn_put(c);
    t->conn_held = false;
    return rc;
}

void sl__sq_w_close(sl_ewriter *t, bool committed)
{
    sl_engine *s = t->s;
    int64_t table_id = t->table_id;
    bool empty = sl__sq_w_rows(t) == 0;
    if (t->conn_held)
        sl__sq_conn_put(&s->conn); /* after the ledger's COMMIT or ROLLBACK */
    /* Committed segments stay; an empty load registered nothing: delete its empty files. */
    sl__sq_lanes_discard(t, !committed || empty);
    sl_free(t->types);
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    sl_free(t);
    /* Keep the number of segments per table small (queries attach them all), off this path. */
    if (committed && !empty)
        sl__sq_compact_later(s, table_id);
}

sl_code sl__sq_stage_commit(sl_econn *c, const sl_etable *t, int64_t txn_id, sl_err *err)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "UPDATE segments SET visible=1, version=(SELECT coalesce(max(version), 0) + 1 "
             "FROM segments) WHERE txn_id=%lld",
             (long long)txn_id);
    sl_code rc = sl__sq_exec(c->e->cat, sql, err);
    if (rc == SL_OK)
        sl__sq_compact_later(c->e, t->id);
    return rc;
}

sl_code sl__sq_stage_drop(sl_econn *c, const sl_etable *t, int64_t txn_id, sl_err *err)
{
    (void)t;
    return sl__sq_doom_segments(c, "txn_id = ?1", txn_id, err);
}
