/*
 * lane.c - the writer lanes of a load transaction in the SQLite backend (store stage).
 *
 * A load's batches are appended column by column into a row group (chunk.c); each full row
 * group goes to a lane, a thread with its own segment file, which encodes it into column
 * chunks and writes them (segfile.c) while the caller goes back to decoding and mapping:
 *
 *   append(batch) --copy columns--> row group being filled --full--> lane k's box
 *   lane k's thread: encode chunks --> segment file t<txn>-<k>.db (write-back starts at once)
 *
 * Row groups alternate between the lanes, so two cores encode while the request's worker
 * decodes; a small load stays in lane 0 (one segment). Keyed tables use lane 0 only: their
 * rows merge in file order. Memory is bounded by SL_SQ_LANES + 1 row groups of at most
 * SQ_RG_ROWS rows or SQ_RG_BYTES bytes. Commit seals every used lane and registers all their
 * segments in the one catalog transaction (seg.c).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../core/mem.h"
#include "internal.h"

/* Give row group g back to the pool (under t->mu). */
static void release(sl_ewriter *t, sq_rgbuf *g)
{
    t->pool_free[g - t->pool] = true;
    pthread_cond_broadcast(&t->cv);
}

static void *lane_main(void *arg)
{
    sq_lane *l = arg;
    sl_ewriter *t = l->t;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        while (l->box == NULL && !l->quit)
            pthread_cond_wait(&t->cv, &t->mu);
        sq_rgbuf *g = l->box;
        if (g == NULL)
            break;
        pthread_mutex_unlock(&t->mu);
        if (l->err.code == SL_OK)
            sl__sq_segw_put(&l->w, g, &l->err);
        sl__sq_rg_reset(g);
        pthread_mutex_lock(&t->mu);
        l->box = NULL;
        release(t, g);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

/* Create lane k's segment and start its thread. */
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
    sl_code rc = sl__sq_segw_create(&l->w, l->path, t->n_seg, err);
    if (rc != SL_OK)
        return rc;
    l->w.lz4_text = sl__sq_lz4_text(t->def);
    l->open = true;
    if (pthread_create(&l->th, NULL, lane_main, l) != 0)
        return sl_fail(err, SL_INTERNAL, "cannot start a writer thread");
    l->started = true;
    return SL_OK;
}

/* A free row group from the pool becomes t->cur (waits while every one is in a lane). */
static sl_code take_group(sl_ewriter *t, sl_err *err)
{
    size_t i = 0;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        for (i = 0; i < SL_COUNT(t->pool) && !t->pool_free[i]; i++)
            ;
        if (i < SL_COUNT(t->pool))
            break;
        pthread_cond_wait(&t->cv, &t->mu);
    }
    t->pool_free[i] = false;
    pthread_mutex_unlock(&t->mu);
    sq_rgbuf *g = &t->pool[i];
    if (g->cols == NULL && sl__sq_rg_init(g, t->types, t->n_seg, SQ_RG_ROWS) != SL_OK) {
        pthread_mutex_lock(&t->mu);
        t->pool_free[i] = true;
        pthread_mutex_unlock(&t->mu);
        return sl_fail(err, SL_NOMEM, "out of memory");
    }
    t->cur = g;
    return SL_OK;
}

/* Hand t->cur to the next lane (waiting while that lane still writes its previous one). */
static sl_code hand_off(sl_ewriter *t, sl_err *err)
{
    size_t k = sl__sq_keyed(t->def) ? 0 : t->groups % SL_SQ_LANES;
    sq_lane *l = &t->lanes[k];
    if (!l->started) {
        sl_code rc = lane_start(t, l, k, err);
        if (rc != SL_OK)
            return rc;
    }
    pthread_mutex_lock(&t->mu);
    while (l->box != NULL)
        pthread_cond_wait(&t->cv, &t->mu);
    if (l->err.code != SL_OK) {
        pthread_mutex_unlock(&t->mu);
        return sl_fail(err, l->err.code, "%s", l->err.msg);
    }
    l->box = t->cur;
    t->cur = NULL;
    t->groups++;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    return SL_OK;
}

sl_code sl__sq_lane_put(sl_ewriter *t, const sl_batch *b, sl_err *err)
{
    const sq_extra *x = sl__sq_keyed(t->def) ? &t->extra : NULL;
    size_t from = 0;
    while (from < b->n_rows) {
        sl_code rc;
        if (t->cur == NULL && (rc = take_group(t, err)) != SL_OK)
            return rc;
        sq_rgbuf *g = t->cur;
        size_t k = b->n_rows - from, room = g->cap_rows - g->n_rows;
        if (k > room)
            k = room;
        if (sl__sq_rg_put_batch(g, b, from, k, x) != SL_OK) {
            sl__sq_rg_reset(g);
            return sl_fail(err, SL_NOMEM, "out of memory (a row group's text is limited to "
                           "4 GiB)");
        }
        from += k;
        t->appended += k;
        if (sl__sq_rg_full(g) && (rc = hand_off(t, err)) != SL_OK)
            return rc;
    }
    return SL_OK;
}

sl_code sl__sq_lanes_drain(sl_ewriter *t, sl_err *err)
{
    sl_code rc = SL_OK;
    if (t->cur && t->cur->n_rows > 0 && t->err.code == SL_OK)
        rc = hand_off(t, err);
    pthread_mutex_lock(&t->mu);
    if (t->cur) { /* empty, or not written after a failure */
        sl__sq_rg_reset(t->cur);
        release(t, t->cur);
        t->cur = NULL;
    }
    for (size_t k = 0; k < SL_SQ_LANES; k++)
        t->lanes[k].quit = true;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    for (size_t k = 0; k < SL_SQ_LANES; k++) {
        sq_lane *l = &t->lanes[k];
        if (!l->started)
            continue;
        pthread_join(l->th, NULL);
        l->started = false;
        l->quit = false;
        if (l->err.code != SL_OK && rc == SL_OK)
            rc = sl_fail(err, l->err.code, "%s", l->err.msg);
    }
    return rc;
}

uint64_t sl__sq_lane_rows(const sl_ewriter *t, size_t k)
{
    return t->lanes[k].w.rows;
}

sl_code sl__sq_lanes_seal(sl_ewriter *t, sl_err *err)
{
    sl_code rc = SL_OK;
    for (size_t k = 0; rc == SL_OK && k < SL_SQ_LANES; k++) {
        sq_lane *l = &t->lanes[k];
        if (!l->open)
            continue;
        l->open = false;
        /* seal closes the file whatever COMMIT says (a full disk fails it), so the abort's
         * unlink frees its space; lanes after a failed one are closed by lanes_discard. */
        rc = sl__sq_segw_seal(&l->w, err);
    }
    return rc;
}

void sl__sq_lanes_discard(sl_ewriter *t, bool unlink_files)
{
    sl__sq_lanes_drain(t, &(sl_err){0});
    for (size_t k = 0; k < SL_SQ_LANES; k++) {
        sq_lane *l = &t->lanes[k];
        if (l->open)
            sl__sq_segw_discard(&l->w);
        if (l->path && unlink_files)
            unlink(l->path);
        free(l->file);
        sl_free(l->path);
        memset(l, 0, sizeof *l);
    }
    for (size_t i = 0; i < SL_COUNT(t->pool); i++)
        sl__sq_rg_free(&t->pool[i]);
}
