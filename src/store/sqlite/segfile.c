/*
 * segfile.c - columnar segment files of the SQLite engine: writing row groups, reading chunks
 * back (store stage; lanes, compaction and migration write, queries read).
 *
 * A segment file is an SQLite database (PRAGMA user_version 4) holding one load's rows (or a
 * compaction's) as column chunks (chunk.c):
 *
 *   rg(id INTEGER PRIMARY KEY, n INTEGER)                 row group id = 0, 1, ... and its rows
 *   chunk(id INTEGER PRIMARY KEY, nulls INTEGER, lo, hi, data BLOB)
 *                                                         id = rg << 16 | column; lo/hi the
 *                                                         chunk's bounds (NULL: unknown)
 *
 * SQLite is the container: one file, written in one transaction without a journal (the file is
 * private until registered), committed and fsynced once at publish; pages are pushed towards
 * the disk while the load runs (sync_file_range), so the final fsync waits for little. Readers
 * open a file read-only as immutable (registered files never change), read every chunk's
 * stats once and each chunk's bytes through incremental BLOB I/O. A row's number within the
 * file (its ordinal, from 0) stands for the rowid of the row layout: keyed tables merge in
 * (version, row) order.
 *
 * The stats' column types follow the value's class: SQ_INT INTEGER, SQ_WIDE the 16 sortable
 * bytes of udf.c, SQ_F64 REAL (a NaN bound as the text 'NaN', as udf.c stores NaN), SQ_BYTES
 * TEXT.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#define _GNU_SOURCE 1 /* sync_file_range */
#include "../../core/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../core/mem.h"
#include "../../sql/sql.h"
#include "internal.h"

/* ---- the columns a segment stores ----------------------------------------------------------- */

/* The sequence value's type: the sequence column's, or the declared sequence_type; BIGINT
 * (always NULL) without one. */
static sl_type seq_type(const sl_tabledef *def)
{
    sl_type t = {.id = SL_BIGINT};
    sl_slice sc = sl_tabledef_prop(def, "function_column.sequence_col");
    long k = sc.p ? sl_tabledef_find(def, sc) : -1;
    sl_slice st = sl_tabledef_prop(def, "function_column.sequence_type");
    sl_type parsed;
    if (k >= 0)
        t = def->cols[k].type;
    else if (st.p && sl_sql_parse_type(st, &parsed, &(sl_err){0}) == SL_OK)
        t = parsed;
    return t;
}

size_t sl__sq_seg_types(const sl_tabledef *def, sl_type *out)
{
    size_t n = def->n_cols;
    for (size_t c = 0; c < n; c++)
        out[c] = def->cols[c].type;
    if (!sl__sq_keyed(def))
        return n;
    out[n] = (sl_type){.id = SL_TINYINT};       /* delete sign */
    out[n + 1] = seq_type(def);                 /* sequence value */
    out[n + 2] = (sl_type){.id = SL_BIGINT};    /* partial update: columns provided */
    return n + 3;
}

/* ---- writing ---------------------------------------------------------------------------------- */

bool sl__sq_lz4_text(const sl_tabledef *def)
{
    sl_slice c = sl_tabledef_prop(def, "compression");
    return c.p == NULL || !sl_slice_ieq(c, "no_compression");
}

sl_code sl__sq_segw_create(sq_segw *w, const char *path, size_t n_cols, sl_err *err)
{
    memset(w, 0, sizeof *w);
    w->fd = -1;
    w->n_cols = n_cols;
    unlink(path); /* a leftover of a crash (never registered) */
    if (sqlite3_open_v2(path, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        sl_code rc = sl__sq_error(w->db, "cannot create segment", err);
        sqlite3_close(w->db);
        w->db = NULL;
        return rc;
    }
    /* Private until registered: no journal, no syncs while writing (seal fsyncs once). Chunks
     * are appended in rowid order, so a small cache suffices: full pages go to the file as the
     * B-tree grows. 16 KiB pages keep a chunk's overflow chain short. */
    sl_code rc = sl__sq_exec(w->db,
                             "PRAGMA page_size=16384; PRAGMA user_version=4; "
                             "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
                             "PRAGMA locking_mode=EXCLUSIVE; PRAGMA cache_size=-2048; "
                             "CREATE TABLE rg(id INTEGER PRIMARY KEY, n INTEGER NOT NULL); "
                             "CREATE TABLE chunk(id INTEGER PRIMARY KEY, nulls INTEGER NOT NULL, "
                             "lo, hi, data BLOB NOT NULL); BEGIN;",
                             err);
    if (rc == SL_OK &&
        (sqlite3_prepare_v3(w->db, "INSERT INTO rg VALUES(?, ?)", -1,
                            SQLITE_PREPARE_PERSISTENT, &w->ins_rg, NULL) != SQLITE_OK ||
         sqlite3_prepare_v3(w->db, "INSERT INTO chunk VALUES(?, ?, ?, ?, ?)", -1,
                            SQLITE_PREPARE_PERSISTENT, &w->ins_chunk, NULL) != SQLITE_OK))
        rc = sl__sq_error(w->db, "segment insert", err);
    if (rc == SL_OK)
        w->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (rc != SL_OK)
        sl__sq_segw_discard(w);
    return rc;
}

/* Bind a chunk bound (lo or hi) in the stats' form. */
static void bind_bound(sqlite3_stmt *st, int i, const sl_type *t, const sq_stats *s,
                       const sl_datum *v, uint8_t tmp[16])
{
    if (!s->has_minmax) {
        sqlite3_bind_null(st, i);
        return;
    }
    switch (sl__sq_class(t)) {
    case SQ_INT:
        sqlite3_bind_int64(st, i, t->id == SL_DECIMAL ? (sqlite3_int64)v->w : v->i);
        return;
    case SQ_WIDE:
        sl__sq_wide_put(tmp, v->w);
        sqlite3_bind_blob(st, i, tmp, 16, SQLITE_STATIC);
        return;
    case SQ_F64: /* NaN as the text 'NaN' (udf.c) */
        sl__sq_bind_real(st, i, v->d);
        return;
    case SQ_BYTES:
        sqlite3_bind_text(st, i, v->s.p ? v->s.p : "", (int)v->s.n, SQLITE_STATIC);
        return;
    }
}

static sl_code step_reset(sq_segw *w, sqlite3_stmt *st, sl_err *err)
{
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    if (r != SQLITE_DONE)
        return sl__sq_error(w->db, "segment write", err);
    return SL_OK;
}

static sl_code put_chunk(sq_segw *w, int64_t id, const sl_type *t, const sq_stats *s,
                         const void *data, size_t len, sl_err *err)
{
    uint8_t lo[16], hi[16];
    sqlite3_stmt *st = w->ins_chunk;
    if (len > INT32_MAX)
        return sl_fail(err, SL_TOO_LARGE, "a column chunk of %zu bytes is too large to store",
                       len);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, s->n_null);
    bind_bound(st, 3, t, s, &s->lo, lo);
    bind_bound(st, 4, t, s, &s->hi, hi);
    sqlite3_bind_blob(st, 5, data, (int)len, SQLITE_STATIC);
    return step_reset(w, st, err);
}

static sl_code put_rg(sq_segw *w, uint32_t n, sl_err *err)
{
    sqlite3_bind_int64(w->ins_rg, 1, w->n_rg);
    sqlite3_bind_int64(w->ins_rg, 2, n);
    sl_code rc = step_reset(w, w->ins_rg, err);
    if (rc != SL_OK)
        return rc;
    w->n_rg++;
    w->rows += n;
    /* start writing back what is already in the file, so that seal's fsync has little left */
    if (w->fd >= 0)
        sync_file_range(w->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    return SL_OK;
}

sl_code sl__sq_segw_put(sq_segw *w, const sq_rgbuf *g, sl_err *err)
{
    if (g->n_rows == 0)
        return SL_OK;
    for (size_t c = 0; c < g->n_cols; c++) {
        sq_stats st;
        sl_buf_clear(&w->enc);
        if (sl__sq_chunk_encode(&g->cols[c], g->n_rows, w->lz4_text, &w->enc, &w->scratch,
                                &st) != SL_OK)
            return sl_fail(err, SL_NOMEM, "out of memory encoding a column chunk");
        sl_code rc = put_chunk(w, w->n_rg << 16 | (int64_t)c, &g->cols[c].type, &st, w->enc.p,
                               w->enc.len, err);
        if (rc != SL_OK)
            return rc;
    }
    return put_rg(w, (uint32_t)g->n_rows, err);
}

sl_code sl__sq_segw_copy_rg(sq_segw *w, sq_segr *r, size_t rg, const sl_type *types,
                            sl_buf *tmp, sl_err *err)
{
    for (size_t c = 0; c < w->n_cols; c++) {
        sl_code rc = sl__sq_segr_read(r, rg, c, tmp, err);
        if (rc == SL_OK)
            rc = put_chunk(w, w->n_rg << 16 | (int64_t)c, &types[c], &r->st[rg * r->n_cols + c],
                           tmp->p, tmp->len, err);
        if (rc != SL_OK)
            return rc;
    }
    return put_rg(w, r->rg_rows[rg], err);
}

sl_code sl__sq_segw_put_stmt(sq_segw *w, sqlite3_stmt *st, const sl_type *types, sl_err *err)
{
    sq_rgbuf g;
    size_t n = w->n_cols;
    sl_datum *v = sl_malloc((n + 1) * sizeof *v);
    uint8_t *nl = sl_malloc(n + 1);
    sl_code rc = v && nl && sl__sq_rg_init(&g, types, n, SQ_RG_ROWS) == SL_OK
                     ? SL_OK
                     : sl_fail(err, SL_NOMEM, "out of memory");
    int r = SQLITE_DONE;
    while (rc == SL_OK && (r = sqlite3_step(st)) == SQLITE_ROW) {
        for (size_t c = 0; rc == SL_OK && c < n; c++) {
            bool null;
            rc = sl__sq_decode(sqlite3_column_value(st, (int)c), &types[c], &null, &v[c], err);
            nl[c] = null;
        }
        if (rc == SL_OK && sl__sq_rg_put_row(&g, v, nl) != SL_OK)
            rc = sl_fail(err, SL_NOMEM, "out of memory");
        if (rc == SL_OK && sl__sq_rg_full(&g)) {
            rc = sl__sq_segw_put(w, &g, err);
            sl__sq_rg_reset(&g);
        }
    }
    if (rc == SL_OK && r != SQLITE_DONE)
        rc = sl__sq_error(sqlite3_db_handle(st), "reading rows to rewrite", err);
    if (rc == SL_OK)
        rc = sl__sq_segw_put(w, &g, err);
    if (v && nl)
        sl__sq_rg_free(&g);
    sl_free(v);
    sl_free(nl);
    return rc;
}

sl_code sl__sq_segw_commit(sq_segw *w, sl_err *err)
{
    if (w->committed)
        return SL_OK;
    sqlite3_finalize(w->ins_rg);
    sqlite3_finalize(w->ins_chunk);
    w->ins_rg = w->ins_chunk = NULL;
    sl_code rc = sl__sq_exec(w->db, "COMMIT", err);
    if (rc == SL_OK)
        w->committed = true;
    return rc;
}

sl_code sl__sq_segw_seal(sq_segw *w, sl_err *err)
{
    sl_code rc = sl__sq_segw_commit(w, err);
    /* Closed whatever COMMIT said (a full disk fails it): a connection left open would keep
     * the file, unlinked by the abort, and its space until the process ends. */
    if (sqlite3_close(w->db) != SQLITE_OK && rc == SL_OK)
        rc = sl_fail(err, SL_BACKEND, "cannot close segment");
    w->db = NULL;
    if (rc == SL_OK && w->fd >= 0 && fsync(w->fd) != 0)
        rc = sl_fail(err, SL_BACKEND, "fsync of a segment: %s", strerror(errno));
    sl__sq_segw_discard(w);
    return rc;
}

void sl__sq_segw_discard(sq_segw *w)
{
    sqlite3_finalize(w->ins_rg);
    sqlite3_finalize(w->ins_chunk);
    if (w->db)
        sqlite3_close(w->db);
    if (w->fd >= 0)
        close(w->fd);
    sl_buf_free(&w->enc);
    sl_buf_free(&w->scratch);
    uint64_t rows = w->rows;
    int64_t n_rg = w->n_rg;
    memset(w, 0, sizeof *w);
    w->fd = -1;
    w->rows = rows; /* what was written stays known */
    w->n_rg = n_rg;
}

/* ---- reading ---------------------------------------------------------------------------------- */

/* "file:<path>?immutable=1" with the URI's special characters escaped. */
static char *file_uri(const char *path)
{
    size_t n = strlen(path);
    char *u = sl_malloc(n * 3 + 32), *o = u;
    if (u == NULL)
        return NULL;
    o += sprintf(o, "file:");
    for (const char *p = path; *p; p++) {
        if (*p == '%' || *p == '?' || *p == '#')
            o += sprintf(o, "%%%02X", (unsigned char)*p);
        else
            *o++ = *p;
    }
    sprintf(o, "?immutable=1");
    return u;
}

/* A stored bound of class cls back in the batch's form; text goes to the reader's arena. */
static bool read_bound(sqlite3_stmt *st, int i, const sl_type *t, sl_arena_t *a, sl_datum *v)
{
    int k = sqlite3_column_type(st, i);
    if (k == SQLITE_NULL)
        return false;
    switch (sl__sq_class(t)) {
    case SQ_INT:
        if (k != SQLITE_INTEGER)
            return false;
        if (t->id == SL_DECIMAL)
            v->w = sqlite3_column_int64(st, i);
        else
            v->i = sqlite3_column_int64(st, i);
        return true;
    case SQ_WIDE:
        if (k != SQLITE_BLOB || sqlite3_column_bytes(st, i) != 16)
            return false;
        v->w = sl__sq_wide_get(sqlite3_column_blob(st, i));
        return true;
    case SQ_F64:
        v->d = k == SQLITE_TEXT ? NAN : sqlite3_column_double(st, i); /* only 'NaN' is text */
        return k == SQLITE_FLOAT || k == SQLITE_INTEGER || k == SQLITE_TEXT;
    case SQ_BYTES: {
        const char *p = (const char *)sqlite3_column_text(st, i);
        size_t n = (size_t)sqlite3_column_bytes(st, i);
        char *c = p ? sl_arena_alloc(a, n + 1) : NULL;
        if (c == NULL)
            return false;
        memcpy(c, p, n);
        v->s.p = c, v->s.n = n;
        return true;
    }
    }
    return false;
}

/* Row groups and chunk stats, once per open. */
static sl_code read_meta(sq_segr *r, const sl_type *types, sl_err *err)
{
    sqlite3_stmt *st = NULL;
    sl_code rc = SL_OK;
    if (sqlite3_prepare_v2(r->db, "SELECT count(*), coalesce(sum(n), 0) FROM rg", -1, &st,
                           NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return sl__sq_error(r->db, "reading a segment", err);
    }
    r->n_rg = (size_t)sqlite3_column_int64(st, 0);
    r->rows = (uint64_t)sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    r->rg_rows = sl_calloc((r->n_rg + 1) * sizeof *r->rg_rows);
    r->rg_first = sl_calloc((r->n_rg + 1) * sizeof *r->rg_first);
    r->st = sl_calloc((r->n_rg * r->n_cols + 1) * sizeof *r->st);
    if (r->rg_rows == NULL || r->rg_first == NULL || r->st == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory reading a segment");
    uint64_t first = 0;
    size_t k = 0;
    if (sqlite3_prepare_v2(r->db, "SELECT id, n FROM rg ORDER BY id", -1, &st, NULL) !=
        SQLITE_OK)
        return sl__sq_error(r->db, "reading a segment", err);
    while (sqlite3_step(st) == SQLITE_ROW && k < r->n_rg) {
        if (sqlite3_column_int64(st, 0) != (int64_t)k)
            rc = sl_fail(err, SL_BACKEND, "a segment file's row groups are not numbered in order");
        int64_t n = sqlite3_column_int64(st, 1);
        if (n < 0 || n > SQ_RG_ROWS)
            rc = sl_fail(err, SL_BACKEND, "a segment file's row group has %lld rows", (long long)n);
        r->rg_rows[k] = (uint32_t)(n < 0 ? 0 : n > SQ_RG_ROWS ? SQ_RG_ROWS : n);
        r->rg_first[k] = first;
        first += r->rg_rows[k++];
    }
    sqlite3_finalize(st);
    if (rc != SL_OK || k != r->n_rg)
        return rc != SL_OK ? rc : sl_fail(err, SL_BACKEND, "a segment file changed while read");
    if (sqlite3_prepare_v2(r->db, "SELECT id, nulls, lo, hi FROM chunk", -1, &st, NULL) !=
        SQLITE_OK)
        return sl__sq_error(r->db, "reading a segment", err);
    size_t seen = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        size_t rg = (size_t)(id >> 16), c = (size_t)(id & 0xffff);
        if (rg >= r->n_rg || c >= r->n_cols)
            continue; /* columns beyond the reader's: not asked for */
        sq_stats *s = &r->st[rg * r->n_cols + c];
        s->n_null = (uint32_t)sqlite3_column_int64(st, 1);
        s->has_minmax = read_bound(st, 2, &types[c], &r->a, &s->lo) &&
                        read_bound(st, 3, &types[c], &r->a, &s->hi);
        seen++;
    }
    sqlite3_finalize(st);
    if (seen != r->n_rg * r->n_cols)
        return sl_fail(err, SL_BACKEND, "a segment file lacks column chunks (%zu of %zu): it "
                       "was written for another table definition", seen, r->n_rg * r->n_cols);
    return SL_OK;
}

sl_code sl__sq_segr_open(sq_segr *r, const char *path, const sl_type *types, size_t n_cols,
                         sl_err *err)
{
    memset(r, 0, sizeof *r);
    sl_arena_init(&r->a, 0);
    r->n_cols = n_cols;
    char *uri = file_uri(path);
    if (uri == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    int orc = sqlite3_open_v2(uri, &r->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    sl_free(uri);
    sl_code rc = orc == SQLITE_OK ? read_meta(r, types, err)
                                  : sl__sq_error(r->db, "cannot open a segment", err);
    if (rc != SL_OK) {
        char why[SL_ERR_MSG_MAX];
        snprintf(why, sizeof why, "%s", err->msg);
        sl_err_clear(err);
        sl__sq_segr_close(r);
        return sl_fail(err, rc, "%s: %s", path, why);
    }
    return SL_OK;
}

sl_code sl__sq_segr_read(sq_segr *r, size_t rg, size_t col, sl_buf *out, sl_err *err)
{
    sqlite3_int64 id = (sqlite3_int64)(rg << 16 | col);
    int rc = r->blob ? sqlite3_blob_reopen(r->blob, id)
                     : sqlite3_blob_open(r->db, "main", "chunk", "data", id, 0, &r->blob);
    if (rc != SQLITE_OK)
        return sl__sq_error(r->db, "reading a column chunk", err);
    int n = sqlite3_blob_bytes(r->blob);
    out->len = 0;
    if (!sl_buf_reserve(out, (size_t)n + 16))
        return sl_fail(err, SL_NOMEM, "out of memory reading a column chunk");
    if (sqlite3_blob_read(r->blob, out->p, n, 0) != SQLITE_OK)
        return sl__sq_error(r->db, "reading a column chunk", err);
    memset(out->p + n, 0, 16); /* the unpacker reads up to 8 bytes past the packed values */
    out->len = (size_t)n;
    return SL_OK;
}

sl_code sl__sq_segr_column(sq_segr *r, size_t rg, size_t col, const sl_type *t, sq_colvec *cv,
                           sl_err *err)
{
    size_t n = r->rg_rows[rg];
    if (n > cv->cap) {
        sl_datum *v = sl_realloc(cv->v, n * sizeof *v);
        if (v)
            cv->v = v;
        uint8_t *nl = sl_realloc(cv->null, n);
        if (nl)
            cv->null = nl;
        if (v == NULL || nl == NULL)
            return sl_fail(err, SL_NOMEM, "out of memory reading a column");
        cv->cap = n;
    }
    sl_code rc = sl__sq_segr_read(r, rg, col, &cv->blob, err);
    if (rc == SL_OK)
        rc = sl__sq_chunk_decode((const uint8_t *)cv->blob.p, cv->blob.len, t, n, cv->v,
                                 cv->null, &cv->db, err);
    cv->n = rc == SL_OK ? n : 0;
    return rc;
}

void sl__sq_colvec_free(sq_colvec *cv)
{
    sl_free(cv->v);
    sl_free(cv->null);
    sl_buf_free(&cv->blob);
    sl__sq_dbuf_free(&cv->db);
    memset(cv, 0, sizeof *cv);
}

void sl__sq_segr_close(sq_segr *r)
{
    if (r->blob)
        sqlite3_blob_close(r->blob);
    if (r->db)
        sqlite3_close(r->db);
    sl_free(r->rg_rows);
    sl_free(r->rg_first);
    sl_free(r->st);
    sl_arena_free(&r->a);
    memset(r, 0, sizeof *r);
}
