/*
 * query.c - read-only queries and segment compaction of the SQLite backend (store stage).
 *
 *   bound sl_select --render.c--> SQLite text + parameters + registered functions (udf.c)
 *   private in-memory connection: segments attached read-only, temp view __sl_t (c0..c<n-1>,
 *   merged per key for keyed tables) --step--> each cell decoded by its bound type --> sink
 *
 * The segments are attached under the files read lock, so compaction cannot delete them
 * meanwhile. A query runs within its limits (sl_query_limits): rows and bytes of the result
 * counted here, one value's size by SQLITE_LIMIT_LENGTH and the functions, time by a progress
 * handler; sorts and temporary tables spill to files rather than grow the heap.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../core/platform.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../core/buf.h"
#include "../../sql/sql.h"
#include "../../core/mem.h"
#include "internal.h"

#ifndef CLOCK_MONOTONIC
#define CLOCK_MONOTONIC 1
#endif

typedef struct seglist {
    bool any_partial;           /* a segment holds partial-column updates */
    int64_t *ids;
    int64_t *rows;
    int64_t *vers;
    char **files;
    size_t n;
} seglist;

static void seglist_free(seglist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->files[i]);
    sl_free(l->files);
    sl_free(l->ids);
    sl_free(l->rows);
    sl_free(l->vers);
    memset(l, 0, sizeof *l);
}

/* The segments of a table in load order. */
static sl_code list_segments(sl_engine *s, int64_t table_id, seglist *l, sl_err *err)
{
    memset(l, 0, sizeof *l);
    sqlite3_stmt *st;
    sl_code rc = SL_OK;
    pthread_mutex_lock(&s->mu);
    if (sqlite3_prepare_v2(s->cat, "SELECT id, file, rows, version, partial FROM segments WHERE table_id=? AND visible=1 "
                           "ORDER BY version, id", -1,
                           &st, NULL) != SQLITE_OK) {
        rc = sl__sq_error(s->cat, "segments", err);
        goto out;
    }
    sqlite3_bind_int64(st, 1, table_id);
    size_t cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (l->n == cap) {
            cap = cap ? cap * 2 : 8;
            int64_t *ids = sl_realloc(l->ids, cap * sizeof *ids);
            if (ids)
                l->ids = ids;
            char **f = sl_realloc(l->files, cap * sizeof *f);
            if (f)
                l->files = f;
            int64_t *rows = sl_realloc(l->rows, cap * sizeof *rows);
            if (rows)
                l->rows = rows;
            int64_t *vers = sl_realloc(l->vers, cap * sizeof *vers);
            if (vers)
                l->vers = vers;
            if (ids == NULL || f == NULL || rows == NULL || vers == NULL) {
                rc = sl_fail(err, SL_NOMEM, "out of memory");
                break;
            }
        }
        l->ids[l->n] = sqlite3_column_int64(st, 0);
        l->rows[l->n] = sqlite3_column_int64(st, 2);
        l->vers[l->n] = sqlite3_column_int64(st, 3);
        l->any_partial |= sqlite3_column_int(st, 4) != 0;
        l->files[l->n] = strdup((const char *)sqlite3_column_text(st, 1));
        if (l->files[l->n] == NULL) {
            rc = sl_fail(err, SL_NOMEM, "out of memory");
            break;
        }
        l->n++;
    }
    sqlite3_finalize(st);
out:
    pthread_mutex_unlock(&s->mu);
    if (rc != SL_OK)
        seglist_free(l);
    return rc;
}

/* The segments' rows with their order: every column of t plus __v (segment version) and __r
 * (the row's ordinal in its file). Segment i is the table <prefix><i> (vtab.c). */
static void union_rows(sl_buf *b, const seglist *l, const char *prefix)
{
    for (size_t i = 0; i < l->n; i++)
        sl_buf_printf(b, "%sSELECT *, %lld AS __v, rowid AS __r FROM %s%zu",
                      i ? " UNION ALL " : "", (long long)l->vers[i], prefix, i);
}

static void key_partition(sl_buf *b, const sl_tabledef *def)
{
    size_t k = 0;
    sl_buf_puts(b, "PARTITION BY ");
    for (size_t c = 0; c < def->n_cols; c++)
        if (def->cols[c].key)
            sl_buf_printf(b, "%sc%zu", k++ ? "," : "", c);
    if (k == 0)
        sl_buf_puts(b, "c0");
}

/* One merged row per key of a UNIQUE or AGGREGATE table, as columns c0..c<N+1> (c<N> the delete
 * sign, c<N+1> the sequence) [Doris merge-on-read]. UNIQUE: the row with the largest sequence,
 * then the latest (version, rowid). AGGREGATE: SUM/MAX/MIN over the key, REPLACE the latest,
 * REPLACE_IF_NOT_NULL the latest non-NULL. */
static void merged_rows(sl_buf *b, const sl_tabledef *def, const seglist *l, const char *prefix)
{
    size_t n = def->n_cols;
    sl_buf_puts(b, "SELECT ");
    for (size_t c = 0; c < n + 2; c++)
        sl_buf_printf(b, "%sc%zu", c ? "," : "", c);
    sl_buf_printf(b, ", NULL AS c%zu FROM (SELECT ", n + 2); /* merged rows hold every column */
    for (size_t c = 0; c < n; c++) {
        const sl_coldef *cd = &def->cols[c];
        if (c)
            sl_buf_putc(b, ',');
        if (def->key_model == SL_KEYS_UNIQUE && !cd->key && l->any_partial) {
            /* partial updates: each column from the latest row that provided it */
            sl_buf_printf(b, "first_value(c%zu) OVER (", c);
            key_partition(b, def);
            sl_buf_printf(b,
                          " ORDER BY (c%zu IS NULL OR ((c%zu >> %zu) & 1)) DESC, c%zu DESC, "
                          "__v DESC, __r DESC) AS c%zu",
                          n + 2, n + 2, c, n + 1, c);
            continue;
        }
        if (def->key_model != SL_KEYS_AGGREGATE || cd->key) {
            sl_buf_printf(b, "c%zu", c);
            continue;
        }
        static const char *const fn[] = {"first_value", "sum", "max", "min", "first_value",
                                         "first_value"};
        const char *f = fn[cd->agg < 6 ? cd->agg : 0];
        if (cd->agg == SL_AGG_SUM && sl__sq_wide(&cd->type))
            f = "__sl_sum128"; /* 16-byte values: the exact sum of udf.c */
        if (cd->agg == SL_AGG_BITMAP_UNION || cd->agg == SL_AGG_HLL_UNION)
            f = cd->agg == SL_AGG_BITMAP_UNION ? "__sl_bmu" : "__sl_hllu"; /* udf.c */
        if (cd->agg == SL_AGG_SUM && sl__sq_real(&cd->type)) {
            /* NaN is stored as the text 'NaN' (udf.c), which sum() would read as 0 */
            sl_buf_printf(b, "CASE WHEN max(typeof(c%zu) = 'text') OVER (", c);
            key_partition(b, def);
            sl_buf_puts(b, ") THEN 'NaN' ELSE ");
        }
        sl_buf_printf(b, "%s(c%zu) OVER (", f, c);
        key_partition(b, def);
        if (cd->agg == SL_AGG_REPLACE_IF_NOT_NULL)
            sl_buf_printf(b, " ORDER BY (c%zu IS NULL), __v DESC, __r DESC", c);
        else if (cd->agg == SL_AGG_REPLACE || cd->agg == SL_AGG_NONE)
            sl_buf_puts(b, " ORDER BY __v DESC, __r DESC");
        sl_buf_printf(b, ")%s AS c%zu", cd->agg == SL_AGG_SUM && sl__sq_real(&cd->type) ?
                                               " END" : "", c);
    }
    sl_buf_printf(b, ",c%zu,c%zu, row_number() OVER (", n, n + 1);
    key_partition(b, def);
    sl_buf_printf(b, " ORDER BY c%zu DESC, __v DESC, __r DESC) AS __rn FROM (", n + 1);
    union_rows(b, l, prefix);
    sl_buf_puts(b, ")) WHERE __rn = 1");
}

/* Build "CREATE TEMP VIEW __sl_t AS SELECT c0, c1, ... FROM ...": the segments' rows as they
 * are (DUPLICATE), or merged per key without deleted keys (UNIQUE, AGGREGATE). */
static void view_sql(sl_buf *b, const sl_tabledef *def, const seglist *l)
{
    sl_buf_puts(b, "CREATE TEMP VIEW " SL_SQ_VIEW " AS SELECT ");
    for (size_t c = 0; c < def->n_cols; c++)
        sl_buf_printf(b, l->n ? "%sc%zu" : "%sNULL AS c%zu", c ? "," : "", c);
    if (l->n == 0) {
        sl_buf_puts(b, " WHERE 0");
    } else if (sl__sq_keyed(def)) {
        sl_buf_puts(b, " FROM (");
        merged_rows(b, def, l, "s");
        sl_buf_printf(b, ") WHERE c%zu = 0", def->n_cols);
    } else {
        sl_buf_puts(b, " FROM (");
        for (size_t i = 0; i < l->n; i++)
            sl_buf_printf(b, "%sSELECT * FROM s%zu", i ? " UNION ALL " : "", i);
        sl_buf_puts(b, ")");
    }
}

/* A query connection's settings, before anything temporary exists (changing temp_store drops
 * temporary objects): sorts, DISTINCT and GROUP BY tables go to temporary files once past the
 * page cache rather than grow the heap; the merge view's exact SUM. (internal.h) */
sl_code sl__sq_query_conn(sqlite3 *db, sl_err *err)
{
    sl_code rc = sl__sq_exec(db, "PRAGMA temp_store=FILE; PRAGMA cache_size=-8192", err);
    return rc == SL_OK ? sl__sq_register_sum128(db, err) : rc;
}

/* A table's segments with the files read lock held, compacting first when there are more
 * than SL_SQ_MAX_READ (far more than the background compactor leaves; each is a table of the
 * query's UNION ALL). On success the caller releases the lock and frees l. */
static sl_code segments_locked(sl_engine *s, int64_t table_id, const sl_tabledef *def,
                               seglist *l, sl_err *err)
{
    sl_code rc;
    pthread_rwlock_rdlock(&s->files);
    if ((rc = list_segments(s, table_id, l, err)) != SL_OK)
        goto fail;
    for (int tries = 0; l->n > SL_SQ_MAX_READ && tries < 64; tries++) {
        pthread_rwlock_unlock(&s->files);
        seglist_free(l);
        if ((rc = sl__sq_compact(s, table_id, def, true, err)) != SL_OK)
            return rc;
        pthread_rwlock_rdlock(&s->files);
        if ((rc = list_segments(s, table_id, l, err)) != SL_OK)
            goto fail;
    }
    if (l->n <= SL_SQ_MAX_READ)
        return SL_OK;
    seglist_free(l);
    rc = sl_fail(err, SL_BACKEND, "too many segments to read (%zu)", l->n);
fail:
    pthread_rwlock_unlock(&s->files);
    return rc;
}

/* Segment i of l as the table <prefix><i> on db (module registered). */
static sl_code seg_tables(sqlite3 *db, const char *dir, const seglist *l, const char *prefix,
                          sl_err *err)
{
    sl_code rc = SL_OK;
    for (size_t i = 0; rc == SL_OK && i < l->n; i++) {
        char name[32], *path = sqlite3_mprintf("%s/%s", dir, l->files[i]);
        snprintf(name, sizeof name, "%s%zu", prefix, i);
        rc = path ? sl__sq_seg_table(db, name, path, err) : sl_fail(err, SL_NOMEM, "oom");
        sqlite3_free(path);
    }
    return rc;
}

sl_code sl__sq_segments_open(sl_engine *s, int64_t table_id, const sl_tabledef *def,
                             sq_segr **out, size_t *n, sl_err *err)
{
    seglist l;
    *out = NULL;
    *n = 0;
    size_t nc = sl__sq_seg_cols(def);
    sl_type *types = sl_malloc((nc + 1) * sizeof *types);
    sl_code rc = types ? segments_locked(s, table_id, def, &l, err)
                       : sl_fail(err, SL_NOMEM, "out of memory");
    if (rc != SL_OK) {
        sl_free(types);
        return rc;
    }
    sl__sq_seg_types(def, types);
    char *dir = sl__sq_table_dir(s, table_id);
    sq_segr *r = sl_calloc((l.n + 1) * sizeof *r);
    if (dir == NULL || r == NULL)
        rc = sl_fail(err, SL_NOMEM, "out of memory");
    for (size_t i = 0; rc == SL_OK && i < l.n; i++) {
        char *path = sqlite3_mprintf("%s/%s", dir, l.files[i]);
        rc = path ? sl__sq_segr_open(&r[i], path, types, nc, err)
                  : sl_fail(err, SL_NOMEM, "out of memory");
        sqlite3_free(path);
        if (rc == SL_OK)
            *n = i + 1;
    }
    pthread_rwlock_unlock(&s->files);
    if (rc != SL_OK) {
        sl__sq_segments_close(r, *n);
        r = NULL;
        *n = 0;
    }
    *out = r;
    seglist_free(&l);
    sl_free(dir);
    sl_free(types);
    return rc;
}

void sl__sq_segments_close(sq_segr *r, size_t n)
{
    for (size_t i = 0; r && i < n; i++)
        sl__sq_segr_close(&r[i]);
    sl_free(r);
}

/* Open the segments as tables and create the view, holding the files read lock (an open
 * segment stays readable after compaction deletes its file). */
static sl_code open_view(sl_engine *s, int64_t table_id, const sl_tabledef *def, sqlite3 **out,
                         sl_err *err)
{
    seglist l;
    sqlite3 *db = NULL;
    sl_code rc = segments_locked(s, table_id, def, &l, err);
    if (rc != SL_OK)
        return rc;
    char *dir = sl__sq_table_dir(s, table_id);
    sl_buf sql = SL_BUF_INIT;
    if (dir == NULL)
        rc = sl_fail(err, SL_NOMEM, "out of memory");
    else if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, NULL) !=
             SQLITE_OK)
        rc = sl__sq_error(db, "query", err);
    if (rc == SL_OK && (rc = sl__sq_query_conn(db, err)) == SL_OK &&
        (rc = sl__sq_seg_module(db, def, err)) == SL_OK)
        rc = seg_tables(db, dir, &l, "s", err);
    if (rc == SL_OK) {
        view_sql(&sql, def, &l);
        rc = sql.oom ? sl_fail(err, SL_NOMEM, "out of memory") : sl__sq_exec(db, sql.p, err);
    }
    sl_buf_free(&sql);
    sl_free(dir);
    pthread_rwlock_unlock(&s->files);
    seglist_free(&l);
    if (rc != SL_OK) {
        sqlite3_close(db);
        return rc;
    }
    *out = db;
    return SL_OK;
}

/* ---- running a query ---------------------------------------------------------------------- */

uint64_t sl__sq_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Every few thousand VM steps: past the deadline, interrupt the statement. */
static int progress(void *arg)
{
    sq_query *q = arg;
    if (sl__sq_mono_ms() < q->deadline_ms)
        return 0;
    q->timed_out = true;
    return 1;
}

/* The connection's own bounds: one value's size, spilling to files, the timeout. */
static void limit_conn(sq_query *q)
{
    uint64_t len = q->lim.max_bytes < INT32_MAX ? q->lim.max_bytes : INT32_MAX;
    sqlite3_limit(q->db, SQLITE_LIMIT_LENGTH, (int)(len < 1024 ? 1024 : len));
    sqlite3_limit(q->db, SQLITE_LIMIT_SQL_LENGTH, 64 << 20);
    sqlite3_limit(q->db, SQLITE_LIMIT_ATTACHED, 10);
    q->deadline_ms = sl__sq_mono_ms() + (uint64_t)q->lim.timeout_s * 1000u;
    sqlite3_progress_handler(q->db, 4096, progress, q);
}

static sl_code bind_params(sq_query *q, sqlite3_stmt *st, sl_err *err)
{
    for (size_t i = 0; i < q->n_params; i++) {
        const sq_param *p = &q->params[i];
        int k = (int)i + 1, rc;
        uint8_t b[16];
        if (sl_type_is_blob(&p->type))
            rc = sqlite3_bind_blob64(st, k, p->v.s.n ? p->v.s.p : "", p->v.s.n, SQLITE_STATIC);
        else if (sl_type_has_bytes(&p->type))
            rc = sqlite3_bind_text64(st, k, p->v.s.n ? p->v.s.p : "", p->v.s.n, SQLITE_STATIC,
                                     SQLITE_UTF8);
        else if (sl__sq_real(&p->type) && isnan(p->v.d))
            rc = sqlite3_bind_text(st, k, "NaN", 3, SQLITE_STATIC);
        else if (sl__sq_real(&p->type))
            rc = sqlite3_bind_double(st, k, p->v.d);
        else if (sl__sq_wide(&p->type))
            sl__sq_wide_put(b, p->v.w), rc = sqlite3_bind_blob(st, k, b, 16, SQLITE_TRANSIENT);
        else if (p->type.id == SL_DECIMAL || p->type.id == SL_LARGEINT)
            rc = sqlite3_bind_int64(st, k, (sqlite3_int64)p->v.w);
        else
            rc = sqlite3_bind_int64(st, k, p->v.i);
        if (rc == SQLITE_TOOBIG)
            return sl_fail(err, SL_TOO_LARGE, "MEM_LIMIT_EXCEEDED: a value exceeds the query's "
                           "limit of %llu bytes", (unsigned long long)q->lim.max_bytes);
        if (rc != SQLITE_OK)
            return sl_fail(err, SL_BACKEND, "cannot bind a literal: %s", sqlite3_errmsg(q->db));
    }
    return SL_OK;
}

/* The statement failed: a function's own error (a limit, an overflow), the timeout, or
 * SQLite's. */
static sl_code step_error(sq_query *q, int r, sl_err *err)
{
    if (q->err.code != SL_OK)
        return sl_fail(err, q->err.code, "%s", q->err.msg);
    if (q->timed_out)
        return sl_fail(err, SL_TIMEOUT, "Query exceeded time limit of %u seconds",
                       q->lim.timeout_s);
    if (r == SQLITE_TOOBIG)
        return sl_fail(err, SL_TOO_LARGE, "MEM_LIMIT_EXCEEDED: a value exceeds the query's limit "
                       "of %llu bytes", (unsigned long long)q->lim.max_bytes);
    if (r == SQLITE_NOMEM)
        return sl_fail(err, SL_NOMEM, "out of memory running a query");
    return sl_fail(err, SL_BACKEND, "query failed: %s", sqlite3_errmsg(q->db));
}

sl_code sl__sq_emit(const sl_select *sel, const sl_query_limits *lim, const sl_qval *vals,
                    uint64_t *rows, uint64_t *bytes, const sl_query_sink *sink, sl_err *err)
{
    for (size_t i = 0; i < sel->n_out; i++)
        *bytes += vals[i].null ? 1 : sl_type_has_bytes(&sel->out[i].type) ? vals[i].v.s.n + 2 : 8;
    if (++*rows > lim->max_rows)
        return sl_fail(err, SL_TOO_LARGE, "EXCEEDED_LIMIT: the result has more than %llu rows "
                       "(the query's row limit); add a LIMIT or narrow the WHERE",
                       (unsigned long long)lim->max_rows);
    if (*bytes > lim->max_bytes)
        return sl_fail(err, SL_TOO_LARGE, "MEM_LIMIT_EXCEEDED: the result is larger than %llu "
                       "bytes (the query's byte limit); add a LIMIT or select fewer columns",
                       (unsigned long long)lim->max_bytes);
    return sink->row(sink->arg, vals, sel->n_out);
}

/* One result row: decode by the bound types, count it against the limits, hand it over. */
static sl_code emit_row(sq_query *q, sqlite3_stmt *st, sl_qval *vals, uint64_t *rows,
                        uint64_t *bytes, const sl_query_sink *sink, sl_err *err)
{
    const sl_select *sel = q->sel;
    for (size_t i = 0; i < sel->n_out; i++) {
        sl_code rc = sl__sq_decode(sqlite3_column_value(st, (int)i), &sel->out[i].type,
                                   &vals[i].null, &vals[i].v, err);
        if (rc != SL_OK)
            return rc;
    }
    return sl__sq_emit(sel, &q->lim, vals, rows, bytes, sink, err);
}

static sl_code run(sq_query *q, const sl_query_sink *sink, sl_err *err)
{
    const sl_select *sel = q->sel;
    sl_buf sql = SL_BUF_INIT;
    sqlite3_stmt *st = NULL;
    sl_qcol *cols = sl_calloc((sel->n_out + 1) * sizeof *cols);
    sl_qval *vals = sl_calloc((sel->n_out + 1) * sizeof *vals);
    sl_code rc = cols && vals ? SL_OK : sl_fail(err, SL_NOMEM, "out of memory");
    limit_conn(q);
    if (rc == SL_OK)
        rc = sl__sq_render(q, &sql, err);
    if (rc == SL_OK && sqlite3_prepare_v2(q->db, sql.p, (int)sql.len, &st, NULL) != SQLITE_OK)
        rc = step_error(q, sqlite3_errcode(q->db), err);
    if (rc == SL_OK)
        rc = bind_params(q, st, err);
    for (size_t i = 0; rc == SL_OK && i < sel->n_out; i++)
        cols[i] = (sl_qcol){sel->out[i].name, sel->out[i].type};
    if (rc == SL_OK)
        rc = sink->meta(sink->arg, cols, sel->n_out);
    uint64_t rows = 0, bytes = 0;
    int r = SQLITE_ROW;
    while (rc == SL_OK && (r = sqlite3_step(st)) == SQLITE_ROW)
        rc = emit_row(q, st, vals, &rows, &bytes, sink, err);
    if (rc == SL_OK && r != SQLITE_DONE)
        rc = step_error(q, r, err);
    sqlite3_finalize(st);
    sl_buf_free(&sql);
    sl_free(cols);
    sl_free(vals);
    return rc;
}

sl_code sl__sq_run(sqlite3 *db, const sl_select *sel, const sl_query_limits *lim,
                   const sl_query_sink *sink, sl_err *err)
{
    sq_query q;
    if (!sel->bound)
        return sl_fail(err, SL_INTERNAL, "query run before it was checked");
    memset(&q, 0, sizeof q);
    q.db = db;
    q.sel = sel;
    q.lim = sl_query_limits_or_default(lim);
    sl_arena_init(&q.a, 0);
    sl_arena_init(&q.call, 0);
    sl_code rc = run(&q, sink, err);
    sl_arena_free(&q.a);
    sl_arena_free(&q.call);
    return rc;
}

sl_code sl__sq_query(sl_engine *s, const sl_etable *t, const sl_select *sel,
                     const sl_query_limits *lim, const sl_query_sink *sink, sl_err *err)
{

    sqlite3 *conn = NULL;
    sl_code rc;
    if (t == NULL) { /* SELECT without FROM */
        if (sqlite3_open_v2(":memory:", &conn, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
            sl__sq_query_conn(conn, err) != SL_OK) {
            sqlite3_close(conn);
            return sl_fail(err, SL_BACKEND, "cannot open query connection");
        }
    } else {
        /* DUPLICATE KEY tables: the vectorised scan, unless it leaves the query to SQLite */
        if (!s->scan_off && (rc = sl__sq_scan(s, t, sel, lim, sink, err)) != SL_AGAIN) {
            __atomic_fetch_add(&s->n_scans, 1, __ATOMIC_RELAXED);
            return rc;
        }
        __atomic_fetch_add(&s->n_sqlite, 1, __ATOMIC_RELAXED);
        if ((rc = open_view(s, t->id, t->def, &conn, err)) != SL_OK)
            return rc;
    }
    rc = sl__sq_run(conn, sel, lim, sink, err);
    sqlite3_close(conn);
    return rc;
}

void sl__sq_unlink_files(sl_engine *s, int64_t table_id, char **files, size_t n)
{
    char *dir = sl__sq_table_dir(s, table_id);
    if (dir == NULL)
        return;
    pthread_rwlock_wrlock(&s->files);
    for (size_t i = 0; i < n; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    pthread_rwlock_unlock(&s->files);
    sl_free(dir);
}

/* Rows of the chunks cv (one row group) from row `from` on, into g, writing g to w whenever it
 * fills. */
static sl_code put_rows(sq_segw *w, sq_rgbuf *g, const sq_colvec *cv, size_t n_cols,
                        sl_datum *v, uint8_t *nl, sl_err *err)
{
    size_t rows = cv[0].n;
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < n_cols; c++)
            v[c] = cv[c].v[r], nl[c] = cv[c].null[r];
        if (sl__sq_rg_put_row(g, v, nl) != SL_OK)
            return sl_fail(err, SL_NOMEM, "out of memory");
        if (sl__sq_rg_full(g)) {
            sl_code rc = sl__sq_segw_put(w, g, err);
            sl__sq_rg_reset(g);
            if (rc != SL_OK)
                return rc;
        }
    }
    return SL_OK;
}

/* Row groups of one old segment into w: large ones copied as they are, small ones (many small
 * loads) gathered into g and re-encoded as fewer, larger ones. */
static sl_code merge_file(sq_segw *w, sq_rgbuf *g, const char *path, const sl_type *types,
                          size_t n, sq_colvec *cv, sl_datum *v, uint8_t *nl, sl_buf *tmp,
                          sl_err *err)
{
    sq_segr r;
    sl_code rc = sl__sq_segr_open(&r, path, types, n, err);
    for (size_t rg = 0; rc == SL_OK && rg < r.n_rg; rg++) {
        if (r.rg_rows[rg] >= SQ_RG_ROWS / 4) {
            rc = sl__sq_segw_put(w, g, err); /* keep the rows in order */
            sl__sq_rg_reset(g);
            if (rc == SL_OK)
                rc = sl__sq_segw_copy_rg(w, &r, rg, types, tmp, err);
            continue;
        }
        for (size_t c = 0; rc == SL_OK && c < n; c++)
            rc = sl__sq_segr_column(&r, rg, c, &types[c], &cv[c], err);
        if (rc == SL_OK)
            rc = put_rows(w, g, cv, n, v, nl, err);
    }
    if (rc == SL_OK || r.db)
        sl__sq_segr_close(&r);
    return rc;
}

/* DUPLICATE tables: every old segment's rows, in order. */
static sl_code merge_plain(sq_segw *w, const char *dir, const sl_tabledef *def,
                           const seglist *l, sl_err *err)
{
    size_t n = sl__sq_seg_cols(def);
    sl_type *types = sl_malloc((n + 1) * sizeof *types);
    sq_colvec *cv = sl_calloc((n + 1) * sizeof *cv);
    sl_datum *v = sl_malloc((n + 1) * sizeof *v);
    uint8_t *nl = sl_malloc(n + 1);
    sl_buf tmp = SL_BUF_INIT;
    sq_rgbuf g = {0};
    sl_code rc = types && cv && v && nl ? SL_OK : sl_fail(err, SL_NOMEM, "out of memory");
    if (rc == SL_OK && sl__sq_rg_init(&g, types, sl__sq_seg_types(def, types), SQ_RG_ROWS) !=
                           SL_OK)
        rc = sl_fail(err, SL_NOMEM, "out of memory");
    for (size_t i = 0; rc == SL_OK && i < l->n; i++) {
        char *path = sqlite3_mprintf("%s/%s", dir, l->files[i]);
        rc = path ? merge_file(w, &g, path, types, n, cv, v, nl, &tmp, err)
                  : sl_fail(err, SL_NOMEM, "out of memory");
        sqlite3_free(path);
    }
    if (rc == SL_OK)
        rc = sl__sq_segw_put(w, &g, err);
    sl__sq_rg_free(&g);
    for (size_t c = 0; cv && c < n; c++)
        sl__sq_colvec_free(&cv[c]);
    sl_buf_free(&tmp);
    sl_free(types), sl_free(cv), sl_free(v), sl_free(nl);
    return rc;
}

/* A connection reading segments: in memory, the query settings, the segment tables' module. */
static sl_code reader_conn(const sl_tabledef *def, sqlite3 **out, sl_err *err)
{
    sqlite3 *db = NULL;
    sl_code rc = SL_OK;
    if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        rc = sl__sq_error(db, "cannot open a connection", err);
    if (rc == SL_OK && (rc = sl__sq_query_conn(db, err)) == SL_OK)
        rc = sl__sq_seg_module(db, def, err);
    if (rc != SL_OK) {
        sqlite3_close(db);
        return rc;
    }
    *out = db;
    return SL_OK;
}

/* Keyed tables: l (an oldest-first prefix of the segments) merged per key, so the result is
 * the table's state at the prefix's last version. */
static sl_code merge_keyed(sq_segw *w, const char *dir, const sl_tabledef *def,
                           const seglist *l, sl_err *err)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    sl_buf q = SL_BUF_INIT;
    size_t n = sl__sq_seg_cols(def);
    sl_type *types = sl_malloc((n + 1) * sizeof *types);
    sl_code rc = types ? reader_conn(def, &db, err) : sl_fail(err, SL_NOMEM, "out of memory");
    if (rc == SL_OK)
        rc = seg_tables(db, dir, l, "old", err);
    merged_rows(&q, def, l, "old");
    /* Deleted keys can go: nothing older than the prefix exists. With a sequence column a
     * delete must stay, to keep beating later rows with a smaller sequence. */
    bool seq = sl_tabledef_prop(def, "function_column.sequence_type").p ||
               sl_tabledef_prop(def, "function_column.sequence_col").p;
    if (!seq)
        sl_buf_printf(&q, " AND c%zu = 0", def->n_cols);
    if (rc == SL_OK && q.oom)
        rc = sl_fail(err, SL_NOMEM, "out of memory");
    if (rc == SL_OK && sqlite3_prepare_v2(db, q.p, -1, &st, NULL) != SQLITE_OK)
        rc = sl__sq_error(db, "compaction", err);
    if (rc == SL_OK) {
        sl__sq_seg_types(def, types);
        rc = sl__sq_segw_put_stmt(w, st, types, err);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    sl_buf_free(&q);
    sl_free(types);
    return rc;
}

/* Keyed tables merge an oldest-first prefix (version order matters); at most 8 files attach. */
static void pick_oldest(seglist *l)
{
    while (l->n > 8) {
        size_t i = l->n - 1;
        free(l->files[i]);
        l->n--;
    }
}

/* Swap the old segments for the merged one in the catalog; fails (and changes nothing) when a
 * truncate or drop removed any of them meanwhile. */
static sl_code swap_segments(sl_engine *s, int64_t table_id, const seglist *l, const char *file,
                             int64_t rows, sl_err *err)
{
    sl_code rc;
    pthread_mutex_lock(&s->mu);
    if ((rc = sl__sq_exec(s->cat, "BEGIN IMMEDIATE", err)) != SL_OK)
        goto out;
    sl_buf sql = SL_BUF_INIT;
    sl_buf_puts(&sql, "DELETE FROM segments WHERE id IN (");
    for (size_t i = 0; i < l->n; i++)
        sl_buf_printf(&sql, "%s%lld", i ? "," : "", (long long)l->ids[i]);
    sl_buf_puts(&sql, ")");
    rc = sql.oom ? sl_fail(err, SL_NOMEM, "out of memory") : sl__sq_exec(s->cat, sql.p, err);
    if (rc == SL_OK && (size_t)sqlite3_changes(s->cat) != l->n)
        rc = sl_fail(err, SL_CONFLICT, "segments changed during compaction");
    if (rc == SL_OK) {
        sl_buf_clear(&sql);
        int64_t ver = 0; /* the merged rows keep the newest version they contain */
        for (size_t i = 0; i < l->n; i++)
            ver = l->vers[i] > ver ? l->vers[i] : ver;
        sl_buf_printf(&sql,
                      "INSERT INTO segments(table_id, txn_id, file, rows, version) VALUES(%lld, 0, "
                      "'%s', %lld, %lld)",
                      (long long)table_id, file, (long long)rows, (long long)ver);
        rc = sql.oom ? sl_fail(err, SL_NOMEM, "out of memory") : sl__sq_exec(s->cat, sql.p, err);
    }
    sl_buf_free(&sql);
    if (rc == SL_OK)
        rc = sl__sq_exec(s->cat, "COMMIT", err);
    else
        sl__sq_exec(s->cat, "ROLLBACK", NULL);
out:
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* Size-tiered choice [LSM]: keep only the smallest segments in l, as many as must merge so
 * that at most `keep` remain (at least two). Merging everything each time would rewrite the
 * whole table on every load once it has `keep` segments. Order of the rest is kept. */
static void pick_smallest(seglist *l, size_t keep)
{
    size_t k = l->n + 1 > keep ? l->n + 1 - keep : 2;
    if (k < 2)
        k = 2;
    while (l->n > k) {
        size_t big = 0; /* drop the largest until k remain */
        for (size_t i = 1; i < l->n; i++)
            if (l->rows[i] > l->rows[big])
                big = i;
        free(l->files[big]);
        memmove(&l->files[big], &l->files[big + 1], (l->n - big - 1) * sizeof *l->files);
        memmove(&l->ids[big], &l->ids[big + 1], (l->n - big - 1) * sizeof *l->ids);
        memmove(&l->rows[big], &l->rows[big + 1], (l->n - big - 1) * sizeof *l->rows);
        memmove(&l->vers[big], &l->vers[big + 1], (l->n - big - 1) * sizeof *l->vers);
        l->n--;
    }
}

sl_code sl__sq_compact(sl_engine *s, int64_t table_id, const sl_tabledef *def, bool force,
                       sl_err *err)
{
    seglist l;
    sl_code rc;
    pthread_mutex_lock(&s->compact_mu);
    if ((rc = list_segments(s, table_id, &l, err)) != SL_OK)
        goto out;
    if (l.n <= 1 || (!force && l.n <= s->max_segments))
        goto out;
    if (sl__sq_keyed(def))
        pick_oldest(&l);
    else
        pick_smallest(&l, force ? 2 : s->max_segments);
    char file[64];
    pthread_mutex_lock(&s->mu);
    snprintf(file, sizeof file, "c%llu-%llu.db", (unsigned long long)sl__sq_now_ms(),
             (unsigned long long)++s->file_seq);
    pthread_mutex_unlock(&s->mu);
    char *dir = sl__sq_table_dir(s, table_id);
    char path[4096 + 64];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : ".", file);
    sq_segw w = {.fd = -1};
    rc = dir ? sl__sq_segw_create(&w, path, sl__sq_seg_cols(def), err)
             : sl_fail(err, SL_NOMEM, "out of memory");
    if (rc == SL_OK) {
        w.lz4_text = sl__sq_lz4_text(def);
        rc = sl__sq_keyed(def) ? merge_keyed(&w, dir, def, &l, err)
                               : merge_plain(&w, dir, def, &l, err);
        if (rc == SL_OK)
            rc = sl__sq_segw_seal(&w, err);
        else
            sl__sq_segw_discard(&w);
    }
    int64_t rows = (int64_t)w.rows;
    if (rc == SL_OK && dir)
        rc = sl__sq_fsync_path(dir, err);
    if (rc == SL_OK)
        rc = swap_segments(s, table_id, &l, file, rows, err);
    if (rc == SL_OK) {
        sl__sq_unlink_files(s, table_id, l.files, l.n);
        atomic_fetch_add(&s->n_compactions, 1);
        atomic_fetch_add(&s->n_compacted, l.n);
    } else {
        unlink(path);
    }
    sl_free(dir);
out:
    seglist_free(&l);
    pthread_mutex_unlock(&s->compact_mu);
    return rc;
}

sl_code sl__sq_compact_by_id(sl_engine *s, int64_t table_id, sl_err *err)
{
    seglist l;
    sl_code rc = list_segments(s, table_id, &l, err);
    size_t n = l.n;
    seglist_free(&l);
    if (rc != SL_OK || n <= s->max_segments)
        return rc;
    /* The definition decides how segments merge: read it from the catalog. */
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_slice ddl = SL_SLICE_NULL;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->cat, "SELECT ddl FROM tables WHERE id=?", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_int64(st, 1, table_id);
        if (sqlite3_step(st) == SQLITE_ROW)
            ddl = sl_arena_slice(&a, sl_slice_of((const char *)sqlite3_column_text(st, 0)));
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->mu);
    sl_stmt stmt;
    if (ddl.p == NULL || sl_sql_parse(ddl.p, ddl.n, &a, &stmt, err) != SL_OK ||
        stmt.table == NULL) {
        sl_arena_free(&a);
        return err->code ? err->code : SL_OK; /* table dropped meanwhile */
    }
    rc = sl__sq_compact(s, table_id, stmt.table, false, err);
    sl_arena_free(&a);
    return rc;
}

void sl__sq_compact_later(sl_engine *s, int64_t table_id)
{
    uint64_t now = sl__sq_now_ms();
    pthread_mutex_lock(&s->queue_mu);
    size_t i = 0;
    while (i < s->queued && s->queue[i].table_id != table_id)
        i++;
    if (i == s->queued && s->queued < SL_COUNT(s->queue))
        s->queue[s->queued++] = (struct sq_pending){table_id, now, 0};
    if (i < s->queued) {
        uint64_t due = now + SL_SQ_SETTLE_MS, cap = s->queue[i].first_ms + SL_SQ_SETTLE_MAX_MS;
        s->queue[i].due_ms = due < cap ? due : cap;
    }
    pthread_cond_signal(&s->queue_cv);
    pthread_mutex_unlock(&s->queue_mu);
}

/* The compactor: merges segments of queued tables off the commit path, so concurrent loads do
 * not wait for each other's compactions. */
static void *compactor_main(void *arg)
{
    sl_engine *s = arg;
    pthread_mutex_lock(&s->queue_mu);
    while (!s->stopping) {
        if (s->queued == 0) {
            pthread_cond_wait(&s->queue_cv, &s->queue_mu);
            continue;
        }
        size_t k = 0; /* the table due first */
        for (size_t i = 1; i < s->queued; i++)
            if (s->queue[i].due_ms < s->queue[k].due_ms)
                k = i;
        uint64_t now = sl__sq_now_ms(), due = s->queue[k].due_ms;
        if (due > now) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            uint64_t ns = (uint64_t)ts.tv_nsec + (due - now) * 1000000u;
            ts.tv_sec += (time_t)(ns / 1000000000u);
            ts.tv_nsec = (long)(ns % 1000000000u);
            pthread_cond_timedwait(&s->queue_cv, &s->queue_mu, &ts);
            continue;
        }
        int64_t id = s->queue[k].table_id;
        s->queue[k] = s->queue[--s->queued];
        pthread_mutex_unlock(&s->queue_mu);
        sl_err err = {0};
        sl__sq_compact_by_id(s, id, &err); /* a failure leaves the segments as they are */
        pthread_mutex_lock(&s->queue_mu);
    }
    pthread_mutex_unlock(&s->queue_mu);
    return NULL;
}

sl_code sl__sq_compactor_start(sl_engine *s, sl_err *err)
{
    pthread_mutex_init(&s->queue_mu, NULL);
    pthread_cond_init(&s->queue_cv, NULL);
    if (pthread_create(&s->compactor, NULL, compactor_main, s) != 0)
        return sl_fail(err, SL_INTERNAL, "cannot start the compaction thread");
    s->compactor_started = true;
    return SL_OK;
}

void sl__sq_compactor_stop(sl_engine *s)
{
    if (!s->compactor_started)
        return;
    pthread_mutex_lock(&s->queue_mu);
    s->stopping = true;
    pthread_cond_signal(&s->queue_cv);
    pthread_mutex_unlock(&s->queue_mu);
    pthread_join(s->compactor, NULL);
    s->compactor_started = false;
    pthread_mutex_destroy(&s->queue_mu);
    pthread_cond_destroy(&s->queue_cv);
}

/* The "is new and must go" condition of a partial update's row, as SQL over main.t's columns:
 * every new key when strict; otherwise new keys missing a NOT NULL value the load did not
 * provide. "" when no row can be dropped. */
static void partial_cond(sl_buf *b, const sl_tabledef *def, uint64_t mask, bool strict)
{
    if (strict) {
        sl_buf_puts(b, "1");
        return;
    }
    size_t k = 0;
    for (size_t c = 0; c < def->n_cols && c < 64; c++) {
        const sl_coldef *cd = &def->cols[c];
        if ((mask >> c) & 1 || cd->nullable || cd->default_kind != SL_DEFAULT_NONE)
            continue;
        sl_buf_printf(b, "%sc%zu IS NULL", k++ ? " OR " : "(", c);
    }
    if (k)
        sl_buf_putc(b, ')');
}

/* The SQL of "row of own must go": cond, and its key not among the existing keys __sl_ek. */
static void drop_cond(sl_buf *q, const sl_tabledef *def, const char *cond)
{
    sl_buf_printf(q, "(%s AND NOT EXISTS (SELECT 1 FROM __sl_ek e WHERE ", cond);
    size_t nk = 0;
    for (size_t c = 0; c < def->n_cols; c++)
        if (def->cols[c].key)
            sl_buf_printf(q, "%se.c%zu IS own.c%zu", nk++ ? " AND " : "", c, c);
    sl_buf_puts(q, "))");
}

/* On db (own = the load's segment): the keys that exist now (merged, not deleted) into the
 * temporary table __sl_ek; how many rows of own must go into *n. */
static sl_code count_drops(sl_ewriter *t, sqlite3 *db, const seglist *l, const char *cond,
                           int64_t *n, sl_err *err)
{
    const sl_tabledef *def = t->def;
    sl_buf q = SL_BUF_INIT;
    sl_buf_puts(&q, "CREATE TEMP TABLE __sl_ek AS SELECT ");
    size_t nk = 0;
    for (size_t c = 0; c < def->n_cols; c++)
        if (def->cols[c].key)
            sl_buf_printf(&q, "%sc%zu", nk++ ? "," : "", c);
    if (l->n) {
        sl_buf_puts(&q, " FROM (");
        merged_rows(&q, def, l, "ex");
        sl_buf_printf(&q, ") WHERE c%zu = 0", def->n_cols);
    } else {
        sl_buf_puts(&q, " FROM own WHERE 0");
    }
    sl_code rc = q.oom ? sl_fail(err, SL_NOMEM, "out of memory") : sl__sq_exec(db, q.p, err);
    sl_buf_clear(&q);
    sl_buf_puts(&q, "SELECT count(*) FROM own WHERE ");
    drop_cond(&q, def, cond);
    sqlite3_stmt *st = NULL;
    if (rc == SL_OK && (q.oom || sqlite3_prepare_v2(db, q.p, -1, &st, NULL) != SQLITE_OK))
        rc = q.oom ? sl_fail(err, SL_NOMEM, "out of memory") : sl__sq_error(db, "check", err);
    if (rc == SL_OK && sqlite3_step(st) != SQLITE_ROW)
        rc = sl__sq_error(db, "check", err);
    if (rc == SL_OK)
        *n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sl_buf_free(&q);
    return rc;
}

/* Rewrite lane l's segment without the rows that must go: a new file in its place. */
static sl_code rewrite_without(sl_ewriter *t, sq_lane *ln, sqlite3 *db, const char *cond,
                               sl_err *err)
{
    sl_buf q = SL_BUF_INIT;
    sqlite3_stmt *st = NULL;
    sq_segw nw = {.fd = -1};
    char *tmp = sqlite3_mprintf("%s.p", ln->path);
    sl_buf_puts(&q, "SELECT * FROM own WHERE NOT ");
    drop_cond(&q, t->def, cond);
    sl_code rc = tmp && !q.oom ? SL_OK : sl_fail(err, SL_NOMEM, "out of memory");
    if (rc == SL_OK && sqlite3_prepare_v2(db, q.p, -1, &st, NULL) != SQLITE_OK)
        rc = sl__sq_error(db, "check", err);
    if (rc == SL_OK && (rc = sl__sq_segw_create(&nw, tmp, t->n_seg, err)) == SL_OK) {
        nw.lz4_text = sl__sq_lz4_text(t->def);
        rc = sl__sq_segw_put_stmt(&nw, st, t->types, err);
        if (rc == SL_OK)
            rc = sl__sq_segw_commit(&nw, err);
        if (rc == SL_OK && rename(tmp, ln->path) != 0)
            rc = sl_fail(err, SL_BACKEND, "cannot rename %s", tmp);
        if (rc != SL_OK) {
            sl__sq_segw_discard(&nw);
            unlink(tmp);
        }
    }
    sqlite3_finalize(st);
    if (rc == SL_OK) { /* the new file (open in nw) now has the lane's name */
        sl__sq_segw_discard(&ln->w);
        ln->w = nw;
    }
    sqlite3_free(tmp);
    sl_buf_free(&q);
    return rc;
}

sl_code sl__sq_partial_check(sl_ewriter *t, uint64_t mask, bool strict, uint64_t *removed,
                             sl_err *err)
{
    *removed = 0;
    sl_code rc = sl__sq_lanes_drain(t, err);
    sq_lane *ln = &t->lanes[0];
    if (rc != SL_OK || !ln->open)
        return rc;
    const sl_tabledef *def = t->def;
    sl_buf cond = SL_BUF_INIT;
    partial_cond(&cond, def, mask, strict);
    if (cond.len == 0) {
        sl_buf_free(&cond);
        return cond.oom ? sl_fail(err, SL_NOMEM, "out of memory") : SL_OK;
    }
    /* the load's own rows become readable to another connection (still private: no fsync) */
    sqlite3 *db = NULL;
    seglist l;
    int64_t n = 0;
    char *dir = sl__sq_table_dir(t->s, t->table_id);
    if ((rc = sl__sq_segw_commit(&ln->w, err)) == SL_OK &&
        (rc = dir ? reader_conn(def, &db, err) : sl_fail(err, SL_NOMEM, "oom")) == SL_OK &&
        (rc = sl__sq_seg_table(db, "own", ln->path, err)) == SL_OK &&
        (rc = segments_locked(t->s, t->table_id, def, &l, err)) == SL_OK) {
        rc = seg_tables(db, dir, &l, "ex", err);
        pthread_rwlock_unlock(&t->s->files);
        if (rc == SL_OK)
            rc = count_drops(t, db, &l, cond.p, &n, err);
        if (rc == SL_OK && n > 0)
            rc = rewrite_without(t, ln, db, cond.p, err);
        seglist_free(&l);
    }
    sqlite3_close(db);
    if (rc == SL_OK && n > 0) {
        *removed = (uint64_t)n;
        t->appended -= (uint64_t)n;
    }
    sl_free(dir);
    sl_buf_free(&cond);
    return rc;
}
