/*
 * lane.c - the writer lanes of a load transaction in the SQLite backend (store stage).
 *
 * One SQLite connection inserts about 0.9 M rows/s here; two connections writing two files
 * reach about 1.5 M rows/s (research/perf-anchors). So a load writes through up to
 * SL_SQ_LANES lanes, each a thread with its own segment file:
 *
 *   append(batch) --copy--> lane k's box --lane thread--> INSERT ... into t<txn>-<k>.db
 *
 * The caller copies the batch into the next free lane's box and goes back to decoding and
 * mapping while the lanes write, so decode/map and SQLite overlap. A small load stays in lane 0
 * (one segment); lane 1 joins after SL_SQ_LANE_AFTER batches. Each box is one batch: memory is
 * bounded by lanes x batch size. Commit seals every used lane and registers all their segments
 * in the one catalog transaction (sqlite_seg.c).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../core/buf.h"
#include "../../core/mem.h"
#include "internal.h"

/* Bind one non-NULL cell in its stored form, value encoding v2 (internal.h): integers, booleans,
 * DATE days, DATETIME microseconds and DECIMAL(p <= 18) unscaled as INTEGER, FLOAT/DOUBLE as
 * REAL, LARGEINT and wider DECIMALs as 16 sortable bytes, text as TEXT. The 16 bytes go into
 * tmp (64 bytes, owned by the caller per column and left untouched until the statement has
 * stepped), so SQLite can take them without copying (SQLITE_STATIC). */
static void bind_cell(sqlite3_stmt *st, int i, const sl_type *ty, const sl_datum *v, char *tmp)
{
    switch ((sl_type_id)ty->id) {
    case SL_TINYINT: case SL_SMALLINT: case SL_INT: case SL_BIGINT: case SL_BOOLEAN:
    case SL_DATE: case SL_DATETIME:
        sqlite3_bind_int64(st, i, v->i);
        return;
    case SL_FLOAT: case SL_DOUBLE:
        sl__sq_bind_real(st, i, v->d);
        return;
    case SL_LARGEINT:
    case SL_DECIMAL:
        if (!sl__sq_wide(ty)) {
            sqlite3_bind_int64(st, i, (sqlite3_int64)v->w);
            return;
        }
        sl__sq_wide_put((uint8_t *)tmp, v->w);
        sqlite3_bind_blob(st, i, tmp, 16, SQLITE_STATIC);
        return;
    default:
        if (sl_type_is_blob(ty)) /* ARRAY, MAP, STRUCT, BITMAP, HLL: their bytes (internal.h) */
            sqlite3_bind_blob(st, i, v->s.p ? v->s.p : "", (int)v->s.n, SQLITE_STATIC);
        else
            sqlite3_bind_text(st, i, v->s.p ? v->s.p : "", (int)v->s.n, SQLITE_STATIC);
        return;
    }
}

static sl_code write_rows(sq_lane *l, const sl_batch *b)
{
    sqlite3_stmt *st = l->ins;
    bool keyed = sl__sq_keyed(l->t->def);
    long seq = l->t->seq_col;
    int n = (int)b->n_cols;
    char (*tmp)[64] = l->scratch; /* n_cols + 2 slots: one per bound parameter */
    for (size_t r = 0; r < b->n_rows; r++) {
        for (size_t c = 0; c < b->n_cols; c++) {
            const sl_column *col = &b->cols[c];
            if (col->null[r])
                sqlite3_bind_null(st, (int)c + 1);
            else
                bind_cell(st, (int)c + 1, &col->def->type, &col->v[r], tmp[c]);
        }
        if (keyed) {
            sqlite3_bind_int(st, n + 1, b->has_del && b->del[r]);
            if (seq >= 0 && !b->cols[seq].null[r])
                bind_cell(st, n + 2, &b->cols[seq].def->type, &b->cols[seq].v[r], tmp[n + 1]);
            else
                sqlite3_bind_null(st, n + 2);
            if (b->col_mask)
                sqlite3_bind_int64(st, n + 3, (sqlite3_int64)b->col_mask);
            else
                sqlite3_bind_null(st, n + 3);
        }
        if (sqlite3_step(st) != SQLITE_DONE) {
            sl__sq_error(l->seg, "segment write", &l->err);
            sqlite3_reset(st);
            return l->err.code;
        }
        sqlite3_reset(st);
    }
    l->rows += b->n_rows;
    return SL_OK;
}

static void *lane_main(void *arg)
{
    sq_lane *l = arg;
    sl_ewriter *t = l->t;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        while (!l->full && !l->quit)
            pthread_cond_wait(&t->cv, &t->mu);
        if (!l->full)
            break;
        pthread_mutex_unlock(&t->mu);
        if (l->err.code == SL_OK)
            write_rows(l, &l->box);
        sl_batch_clear(&l->box);
        pthread_mutex_lock(&t->mu);
        l->full = false;
        pthread_cond_broadcast(&t->cv);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

/* Open lane k's segment and start its thread. */
static sl_code lane_start(sl_ewriter *t, sq_lane *l, size_t k, sl_err *err)
{
    char file[64];
    snprintf(file, sizeof file, "t%lld-%zu.db", (long long)t->id, k);
    char *dir = sl__sq_table_dir(t->s, t->table_id);
    l->t = t;
    l->file = strdup(file);
    l->path = dir ? sl_malloc(strlen(dir) + strlen(file) + 2) : NULL;
    if (l->file == NULL || l->path == NULL) {
        sl_free(dir);
        return sl_fail(err, SL_NOMEM, "out of memory");
    }
    sprintf(l->path, "%s/%s", dir, file);
    sl_free(dir);
    size_t n_cols = sl__sq_seg_cols(t->def);
    sl_code rc = sl__sq_segment_create(l->path, n_cols, &l->seg, err);
    if (rc != SL_OK)
        return rc;
    sl_buf sql = SL_BUF_INIT;
    sl_buf_puts(&sql, "INSERT INTO t VALUES(");
    for (size_t c = 0; c < n_cols; c++)
        sl_buf_puts(&sql, c ? ",?" : "?");
    sl_buf_puts(&sql, ")");
    if (sql.oom)
        rc = sl_fail(err, SL_NOMEM, "out of memory");
    else if (sqlite3_prepare_v3(l->seg, sql.p, -1, SQLITE_PREPARE_PERSISTENT, &l->ins, NULL) !=
             SQLITE_OK)
        rc = sl__sq_error(l->seg, "segment insert", err);
    sl_buf_free(&sql);
    if (rc == SL_OK && (rc = sl_batch_init(&l->box, t->def)) != SL_OK)
        sl_fail(err, rc, "out of memory");
    if (rc == SL_OK && (l->scratch = sl_malloc((n_cols + 1) * 64)) == NULL)
        rc = sl_fail(err, SL_NOMEM, "out of memory");
    if (rc == SL_OK && pthread_create(&l->th, NULL, lane_main, l) != 0)
        rc = sl_fail(err, SL_INTERNAL, "cannot start a writer thread");
    if (rc == SL_OK)
        l->started = true;
    return rc;
}

/* Copy b into box (both have the table's columns); text moves into box's arena. */
static sl_code copy_batch(sl_batch *box, const sl_batch *b)
{
    size_t n = b->n_rows;
    for (size_t c = 0; c < b->n_cols; c++) {
        sl_column *dst = &box->cols[c];
        const sl_column *src = &b->cols[c];
        memcpy(dst->v, src->v, n * sizeof *dst->v);
        memcpy(dst->null, src->null, n);
        if (!sl_type_has_bytes(&src->def->type))
            continue;
        for (size_t r = 0; r < n; r++) {
            if (src->null[r] || src->v[r].s.n == 0)
                continue;
            char *p = sl_arena_alloc(&box->arena, src->v[r].s.n);
            if (p == NULL)
                return SL_NOMEM;
            memcpy(p, src->v[r].s.p, src->v[r].s.n);
            dst->v[r].s.p = p;
        }
    }
    box->has_del = b->has_del;
    box->col_mask = b->col_mask;
    if (b->has_del)
        memcpy(box->del, b->del, n);
    box->n_rows = n;
    return SL_OK;
}

sl_code sl__sq_lane_put(sl_ewriter *t, const sl_batch *b, sl_err *err)
{
    /* Keyed tables merge rows in (version, rowid) order: one lane keeps the body's order. */
    size_t k = (t->batches++ < SL_SQ_LANE_AFTER || sl__sq_keyed(t->def))
                   ? 0
                   : t->batches % SL_SQ_LANES;
    sq_lane *l = &t->lanes[k];
    if (!l->started) {
        sl_code rc = lane_start(t, l, k, err);
        if (rc != SL_OK)
            return rc;
    }
    pthread_mutex_lock(&t->mu);
    while (l->full)
        pthread_cond_wait(&t->cv, &t->mu);
    pthread_mutex_unlock(&t->mu);
    if (l->err.code != SL_OK)
        return sl_fail(err, l->err.code, "%s", l->err.msg);
    if (copy_batch(&l->box, b) != SL_OK) {
        sl_batch_clear(&l->box);
        return sl_fail(err, SL_NOMEM, "out of memory");
    }
    pthread_mutex_lock(&t->mu);
    l->full = true;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    return SL_OK;
}

sl_code sl__sq_lanes_drain(sl_ewriter *t, sl_err *err)
{
    pthread_mutex_lock(&t->mu);
    for (size_t k = 0; k < SL_SQ_LANES; k++)
        t->lanes[k].quit = true;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    sl_code rc = SL_OK;
    for (size_t k = 0; k < SL_SQ_LANES; k++) {
        sq_lane *l = &t->lanes[k];
        if (!l->started)
            continue;
        pthread_join(l->th, NULL);
        l->started = false;
        if (l->err.code != SL_OK && rc == SL_OK)
            rc = sl_fail(err, l->err.code, "%s", l->err.msg);
    }
    return rc;
}

sl_code sl__sq_lanes_seal(sl_ewriter *t, sl_err *err)
{
    sl_code rc = SL_OK;
    for (size_t k = 0; rc == SL_OK && k < SL_SQ_LANES; k++) {
        sq_lane *l = &t->lanes[k];
        if (l->seg == NULL)
            continue;
        sqlite3_finalize(l->ins);
        l->ins = NULL;
        rc = sl__sq_exec(l->seg, "COMMIT", err);
        /* Closed whatever COMMIT said (a full disk fails it): a connection left open would
         * keep the file, unlinked by the abort, and its space until the process ends. */
        if (sqlite3_close(l->seg) != SQLITE_OK && rc == SL_OK)
            rc = sl_fail(err, SL_BACKEND, "cannot close segment");
        l->seg = NULL;
        if (rc == SL_OK)
            rc = sl__sq_fsync_path(l->path, err);
    }
    return rc;
}

void sl__sq_lanes_discard(sl_ewriter *t, bool unlink_files)
{
    sl__sq_lanes_drain(t, &(sl_err){0});
    for (size_t k = 0; k < SL_SQ_LANES; k++) {
        sq_lane *l = &t->lanes[k];
        if (l->ins)
            sqlite3_finalize(l->ins);
        if (l->seg)
            sqlite3_close(l->seg);
        if (l->path && unlink_files)
            unlink(l->path);
        sl_batch_free(&l->box);
        sl_free(l->scratch);
        free(l->file);
        sl_free(l->path);
        memset(l, 0, sizeof *l);
    }
}
