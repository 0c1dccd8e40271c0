/*
 * query.c - read-only queries and segment compaction of the SQLite engine (store
 * stage).
 *
 * A query opens a private in-memory connection, attaches the table's visible segments (under
 * the files read lock, so compaction cannot delete them meanwhile) and exposes them as the temp
 * view "__sl_t" with the table's column names; the SELECT rewritten by src/sql runs against it.
 */
#include "../../core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../core/buf.h"
#include "../../sql/sql.h"
#include "../../core/mem.h"
#include "internal.h"

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

static void put_name(sl_buf *b, sl_slice name)
{
    sl_buf_putc(b, '"');
    for (size_t k = 0; k < name.n; k++) {
        char ch = name.p[k];
        sl_buf_append(b, ch == '"' ? "\"\"" : &ch, ch == '"' ? 2 : 1);
    }
    sl_buf_putc(b, '"');
}

/* The segments' rows with their order: every column of t plus __v (segment version) and __r
 * (rowid). Segment i is attached as <prefix><i>. */
static void union_rows(sl_buf *b, const seglist *l, const char *prefix)
{
    for (size_t i = 0; i < l->n; i++)
        sl_buf_printf(b, "%sSELECT *, %lld AS __v, rowid AS __r FROM %s%zu.t",
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
        sl_buf_printf(b, "%s(c%zu) OVER (", fn[cd->agg < 6 ? cd->agg : 0], c);
        key_partition(b, def);
        if (cd->agg == SL_AGG_REPLACE_IF_NOT_NULL)
            sl_buf_printf(b, " ORDER BY (c%zu IS NULL), __v DESC, __r DESC", c);
        else if (cd->agg == SL_AGG_REPLACE || cd->agg == SL_AGG_NONE)
            sl_buf_puts(b, " ORDER BY __v DESC, __r DESC");
        sl_buf_printf(b, ") AS c%zu", c);
    }
    sl_buf_printf(b, ",c%zu,c%zu, row_number() OVER (", n, n + 1);
    key_partition(b, def);
    sl_buf_printf(b, " ORDER BY c%zu DESC, __v DESC, __r DESC) AS __rn FROM (", n + 1);
    union_rows(b, l, prefix);
    sl_buf_puts(b, ")) WHERE __rn = 1");
}

/* Build "CREATE TEMP VIEW __sl_t AS SELECT c0 AS "k1", ... FROM ...": the segments' rows as
 * they are (DUPLICATE), or merged per key without deleted keys (UNIQUE, AGGREGATE). */
static void view_sql(sl_buf *b, const sl_tabledef *def, const seglist *l)
{
    sl_buf_puts(b, "CREATE TEMP VIEW \"" SL_SQL_TABLE_PLACEHOLDER "\" AS SELECT ");
    for (size_t c = 0; c < def->n_cols; c++) {
        sl_buf_printf(b, l->n ? "%sc%zu AS " : "%sNULL AS ", c ? "," : "", c);
        put_name(b, def->cols[c].name);
    }
    if (l->n == 0) {
        sl_buf_puts(b, " WHERE 0");
    } else if (sl__sq_keyed(def)) {
        sl_buf_puts(b, " FROM (");
        merged_rows(b, def, l, "s");
        sl_buf_printf(b, ") WHERE c%zu = 0", def->n_cols);
    } else {
        sl_buf_puts(b, " FROM (");
        for (size_t i = 0; i < l->n; i++)
            sl_buf_printf(b, "%sSELECT * FROM s%zu.t", i ? " UNION ALL " : "", i);
        sl_buf_puts(b, ")");
    }
}

/* Attach the segments and create the view, holding the files read lock. */
static sl_code open_view(sl_engine *s, int64_t table_id, const sl_tabledef *def, sqlite3 **out,
                         sl_err *err)
{
    seglist l;
    sl_code rc;
    sqlite3 *db = NULL;
    pthread_rwlock_rdlock(&s->files);
    if ((rc = list_segments(s, table_id, &l, err)) != SL_OK)
        goto out;
    for (int tries = 0; l.n > 9 && tries < 64; tries++) {
        /* Compaction lags behind (many concurrent commits): merge first, then retry. */
        pthread_rwlock_unlock(&s->files);
        seglist_free(&l);
        if ((rc = sl__sq_compact(s, table_id, def, true, err)) != SL_OK)
            return rc;
        pthread_rwlock_rdlock(&s->files);
        if ((rc = list_segments(s, table_id, &l, err)) != SL_OK)
            goto out;
    }
    if (l.n > 9) {
        rc = sl_fail(err, SL_BACKEND, "too many segments to read (%zu)", l.n);
        goto out;
    }
    if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, NULL) !=
        SQLITE_OK) {
        rc = sl__sq_error(db, "query", err);
        goto out;
    }
    char *dir = sl__sq_table_dir(s, table_id);
    sl_buf sql = SL_BUF_INIT;
    for (size_t i = 0; dir && i < l.n && i < 10; i++) {
        sl_buf_clear(&sql);
        sl_buf_printf(&sql, "ATTACH 'file:%s/%s?mode=ro' AS s%zu", dir, l.files[i], i);
        if (sql.oom || (rc = sl__sq_exec(db, sql.p, err)) != SL_OK)
            break;
    }
    if (rc == SL_OK) {
        sl_buf_clear(&sql);
        view_sql(&sql, def, &l);
        rc = (dir == NULL || sql.oom) ? sl_fail(err, SL_NOMEM, "out of memory")
                                      : sl__sq_exec(db, sql.p, err);
    }
    sl_buf_free(&sql);
    sl_free(dir);
out:
    pthread_rwlock_unlock(&s->files);
    seglist_free(&l);
    if (rc != SL_OK) {
        sqlite3_close(db);
        return rc;
    }
    *out = db;
    return SL_OK;
}

/* Column descriptions for the result: types of bare columns from the table definition. */
static sl_code describe(sqlite3_stmt *st, const sl_tabledef *def, const sl_select *sel,
                        sl_qcol *cols, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < sel->n_items && k <= n; i++) {
        const sl_selitem *it = &sel->items[i];
        if (it->kind == SL_SEL_STAR) {
            for (size_t c = 0; c < def->n_cols && k < n; c++, k++)
                cols[k].type = &def->cols[c].type;
            continue;
        }
        if (k < n) {
            if (it->kind == SL_SEL_COLUMN) {
                long c = sl_tabledef_find(def, it->colref);
                cols[k].type = c >= 0 ? &def->cols[c].type : NULL;
            }
            cols[k].is_count = it->kind == SL_SEL_COUNT;
        }
        k++;
    }
    if (k != n) /* the projection did not line up (e.g. t.* mixed in): no types */
        for (size_t i = 0; i < n; i++)
            cols[i].type = NULL, cols[i].is_count = false;
    for (size_t i = 0; i < n; i++)
        cols[i].name = sl_slice_of(sqlite3_column_name(st, (int)i));
    return SL_OK;
}

static sl_code run(sqlite3 *db, const sl_tabledef *def, const sl_select *sel,
                   const sl_query_sink *sink, sl_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sel->sql.p, (int)sel->sql.n, &st, NULL) != SQLITE_OK)
        return sl_fail(err, SL_INVALID_SQL, "%s", sqlite3_errmsg(db));
    if (!sqlite3_stmt_readonly(st)) {
        sqlite3_finalize(st);
        return sl_fail(err, SL_INVALID_SQL, "only read-only statements are allowed");
    }
    size_t n = (size_t)sqlite3_column_count(st);
    sl_qcol *cols = sl_calloc((n + 1) * sizeof *cols);
    sl_qval *vals = sl_calloc((n + 1) * sizeof *vals);
    sl_code rc = (cols && vals) ? SL_OK : sl_fail(err, SL_NOMEM, "out of memory");
    if (rc == SL_OK && def)
        describe(st, def, sel, cols, n);
    else if (rc == SL_OK)
        for (size_t i = 0; i < n; i++)
            cols[i].name = sl_slice_of(sqlite3_column_name(st, (int)i));
    if (rc == SL_OK)
        rc = sink->meta(sink->arg, cols, n);
    int r = SQLITE_ROW;
    while (rc == SL_OK && (r = sqlite3_step(st)) == SQLITE_ROW) {
        for (size_t i = 0; i < n; i++) {
            sl_qval *v = &vals[i];
            switch (sqlite3_column_type(st, (int)i)) {
            case SQLITE_INTEGER: v->kind = SL_Q_INT; v->i = sqlite3_column_int64(st, (int)i); break;
            case SQLITE_FLOAT: v->kind = SL_Q_REAL; v->d = sqlite3_column_double(st, (int)i); break;
            case SQLITE_NULL: v->kind = SL_Q_NULL; break;
            default:
                v->kind = SL_Q_TEXT;
                v->s.p = (const char *)sqlite3_column_text(st, (int)i);
                v->s.n = (size_t)sqlite3_column_bytes(st, (int)i);
                break;
            }
        }
        rc = sink->row(sink->arg, vals, n);
    }
    if (rc == SL_OK && r != SQLITE_DONE)
        rc = sl_fail(err, SL_INVALID_SQL, "%s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sl_free(cols);
    sl_free(vals);
    return rc;
}

sl_code sl__sq_query(sl_engine *s, const sl_etable *t, const sl_select *sel,
                     const sl_query_limits *lim, const sl_query_sink *sink, sl_err *err)
{
    (void)lim;
    sqlite3 *conn = NULL;
    sl_code rc;
    if (t == NULL) { /* SELECT without FROM */
        if (sqlite3_open_v2(":memory:", &conn, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
            sqlite3_close(conn);
            return sl_fail(err, SL_BACKEND, "cannot open query connection");
        }
    } else if ((rc = open_view(s, t->id, t->def, &conn, err)) != SL_OK) {
        return rc;
    }
    rc = run(conn, t ? t->def : NULL, sel, sink, err);
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

/* Copy every old segment into the new file: one attachment at a time for DUPLICATE tables;
 * all at once, merged per key, for keyed tables (l is then an oldest-first prefix of at most 8
 * segments, so the merge result is the table's state at the prefix's last version). */
static sl_code merge_into(sqlite3 *dst, const char *dir, const sl_tabledef *def, const seglist *l,
                          sl_err *err)
{
    sl_code rc = sl__sq_exec(dst, "COMMIT", err); /* leave the creation transaction */
    char sql[4096 + 128];
    bool keyed = sl__sq_keyed(def);
    for (size_t i = 0; rc == SL_OK && i < l->n; i++) {
        snprintf(sql, sizeof sql, "ATTACH 'file:%s/%s?mode=ro' AS old%zu", dir, l->files[i],
                 keyed ? i : 0);
        if ((rc = sl__sq_exec(dst, sql, err)) != SL_OK || keyed)
            continue;
        rc = sl__sq_exec(dst, "INSERT INTO main.t SELECT * FROM old0.t", err);
        sl__sq_exec(dst, "DETACH old0", NULL);
    }
    if (rc != SL_OK || !keyed)
        return rc;
    sl_buf q = SL_BUF_INIT;
    sl_buf_puts(&q, "INSERT INTO main.t ");
    merged_rows(&q, def, l, "old");
    /* Deleted keys can go: nothing older than the prefix exists. With a sequence column a
     * delete must stay, to keep beating later rows with a smaller sequence. */
    bool seq = sl_tabledef_prop(def, "function_column.sequence_type").p ||
               sl_tabledef_prop(def, "function_column.sequence_col").p;
    if (!seq)
        sl_buf_printf(&q, " AND c%zu = 0", def->n_cols);
    rc = q.oom ? sl_fail(err, SL_NOMEM, "out of memory") : sl__sq_exec(dst, q.p, err);
    sl_buf_free(&q);
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
    sqlite3 *dst = NULL;
    rc = dir ? sl__sq_segment_create(path, sl__sq_seg_cols(def), &dst, err)
             : sl_fail(err, SL_NOMEM, "oom");
    if (rc == SL_OK)
        rc = merge_into(dst, dir, def, &l, err);
    int64_t rows = 0;
    if (rc == SL_OK) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(dst, "SELECT count(*) FROM t", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            rows = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    if (dst)
        sqlite3_close(dst);
    if (rc == SL_OK)
        rc = sl__sq_fsync_path(path, err);
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

sl_code sl__sq_partial_check(sl_ewriter *t, uint64_t mask, bool strict, uint64_t *removed,
                             sl_err *err)
{
    *removed = 0;
    sl_code rc = sl__sq_lanes_drain(t, err);
    sq_lane *ln = &t->lanes[0];
    if (rc != SL_OK || ln->seg == NULL)
        return rc;
    const sl_tabledef *def = t->def;
    sl_buf cond = SL_BUF_INIT, q = SL_BUF_INIT;
    partial_cond(&cond, def, mask, strict);
    if (cond.len == 0) {
        sl_buf_free(&cond);
        return SL_OK;
    }
    /* ATTACH needs autocommit: end the segment's write transaction (the file is private, its
     * journal off) and open a new one for seal's COMMIT afterwards. */
    if ((rc = sl__sq_exec(ln->seg, "COMMIT", err)) != SL_OK) {
        sl_buf_free(&cond);
        return rc;
    }
    seglist l;
    pthread_rwlock_rdlock(&t->s->files);
    rc = list_segments(t->s, t->table_id, &l, err);
    for (int tries = 0; rc == SL_OK && l.n > 8 && tries < 64; tries++) {
        pthread_rwlock_unlock(&t->s->files);
        seglist_free(&l);
        if ((rc = sl__sq_compact(t->s, t->table_id, def, true, err)) != SL_OK)
            return rc;
        pthread_rwlock_rdlock(&t->s->files);
        rc = list_segments(t->s, t->table_id, &l, err);
    }
    char *dir = sl__sq_table_dir(t->s, t->table_id);
    size_t attached = 0;
    for (size_t i = 0; rc == SL_OK && dir && i < l.n && i < 8; i++, attached++) {
        sl_buf_clear(&q);
        sl_buf_printf(&q, "ATTACH 'file:%s/%s?mode=ro' AS ex%zu", dir, l.files[i], i);
        rc = q.oom ? sl_fail(err, SL_NOMEM, "out of memory") : sl__sq_exec(ln->seg, q.p, err);
    }
    pthread_rwlock_unlock(&t->s->files);
    /* The keys that exist now (merged, not deleted), then the rows whose key is not among them. */
    sl_buf_clear(&q);
    sl_buf_puts(&q, "CREATE TEMP TABLE __sl_ek AS SELECT ");
    size_t nk = 0;
    for (size_t c = 0; c < def->n_cols; c++)
        if (def->cols[c].key)
            sl_buf_printf(&q, "%sc%zu", nk++ ? "," : "", c);
    if (l.n) {
        sl_buf_puts(&q, " FROM (");
        merged_rows(&q, def, &l, "ex");
        sl_buf_printf(&q, ") WHERE c%zu = 0", def->n_cols);
    } else {
        sl_buf_puts(&q, " FROM main.t WHERE 0");
    }
    sl_buf_printf(&q, "; DELETE FROM main.t WHERE %s AND NOT EXISTS (SELECT 1 FROM __sl_ek e WHERE ",
                  cond.p);
    nk = 0;
    for (size_t c = 0; c < def->n_cols; c++)
        if (def->cols[c].key)
            sl_buf_printf(&q, "%se.c%zu IS main.t.c%zu", nk++ ? " AND " : "", c, c);
    sl_buf_puts(&q, ")");
    if (rc == SL_OK)
        rc = q.oom ? sl_fail(err, SL_NOMEM, "out of memory") : sl__sq_exec(ln->seg, q.p, err);
    if (rc == SL_OK) {
        *removed = (uint64_t)sqlite3_changes(ln->seg);
        ln->rows -= *removed;
    }
    sl__sq_exec(ln->seg, "DROP TABLE IF EXISTS temp.__sl_ek", NULL);
    for (size_t i = 0; i < attached; i++) {
        char d[32];
        snprintf(d, sizeof d, "DETACH ex%zu", i);
        sl__sq_exec(ln->seg, d, NULL);
    }
    if (sl__sq_exec(ln->seg, "BEGIN", rc == SL_OK ? err : NULL) != SL_OK && rc == SL_OK)
        rc = err->code;
    sl_free(dir);
    seglist_free(&l);
    sl_buf_free(&cond);
    sl_buf_free(&q);
    return rc;
}
