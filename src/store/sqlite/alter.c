/*
 * alter.c - ALTER TABLE on the SQLite engine (store stage; the engine's alter_table, run by the
 * ledger inside its catalog transaction).
 *
 *   only names, properties, partitions added,   nothing to do: segments hold column chunks by
 *   widening type changes                       position, of a storage class (chunk.c) the
 *                                               change keeps
 *   columns added, dropped or moved,            every visible segment rewritten into a new
 *   partitions dropped                          file (a SELECT over the old file's segment
 *                                               table with the columns mapped, rows outside the
 *                                               partitions left out, written as new chunks),
 *                                               then the catalog swaps the files in the same
 *                                               transaction
 *
 * The rewrite reads each segment through its own connection (the catalog connection stays
 * with the ledger's transaction). New files are deleted if anything fails; the old ones are
 * doomed and deleted once the transaction commits, as a truncate's are.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../batch/convert.h"
#include "../../core/buf.h"
#include "../../core/mem.h"
#include "internal.h"

/* A value of type ty bound in value encoding v2 (internal.h), as the segment table yields
 * the stored ones. */
static void bind_value(sqlite3_stmt *st, int i, const sl_type *ty, const sl_datum *v, uint8_t *tmp)
{
    switch ((sl_type_id)ty->id) {
    case SL_FLOAT:
    case SL_DOUBLE: sl__sq_bind_real(st, i, v->d); return;
    case SL_LARGEINT:
    case SL_DECIMAL:
        if (!sl__sq_wide(ty)) {
            sqlite3_bind_int64(st, i, (sqlite3_int64)v->w);
            return;
        }
        sl__sq_wide_put(tmp, v->w);
        sqlite3_bind_blob(st, i, tmp, 16, SQLITE_TRANSIENT);
        return;
    default:
        if (sl_type_is_blob(ty))
            sqlite3_bind_blob(st, i, v->s.p ? v->s.p : "", (int)v->s.n, SQLITE_TRANSIENT);
        else if (sl_type_has_bytes(ty))
            sqlite3_bind_text(st, i, v->s.p ? v->s.p : "", (int)v->s.n, SQLITE_TRANSIENT);
        else
            sqlite3_bind_int64(st, i, v->i);
    }
}

/* Parameters of the rewrite statement: literal texts converted to their column's type. */
typedef struct params {
    const sl_type *types[1024];
    sl_slice texts[1024];          /* p == NULL: bind NULL */
    size_t n;
} params;

static void param(sl_buf *b, params *ps, const sl_type *t, sl_slice text)
{
    if (ps->n == SL_COUNT(ps->texts)) {
        b->oom = true; /* more bounds than one statement binds: refused below */
        return;
    }
    ps->types[ps->n] = t;
    ps->texts[ps->n++] = text;
    sl_buf_printf(b, "?%zu", ps->n);
}

/* (c_a, c_b, ...) of the partition columns (their old indexes) for the first n of them. */
static void key_tuple(sl_buf *b, const sl_tabledef *nw, const long *src, size_t n)
{
    sl_buf_putc(b, '(');
    for (size_t i = 0; i < n; i++)
        sl_buf_printf(b, "%sc%ld", i ? "," : "", src[nw->part_cols[i]]);
    sl_buf_putc(b, ')');
}

static void bound_tuple(sl_buf *b, params *ps, const sl_tabledef *nw, const sl_slice *v, size_t n)
{
    sl_buf_putc(b, '(');
    for (size_t i = 0; i < n; i++) {
        if (i)
            sl_buf_putc(b, ',');
        param(b, ps, &nw->cols[nw->part_cols[i]].type, v[i]);
    }
    sl_buf_putc(b, ')');
}

/* key >= lo (after) or key < hi (before); a MAXVALUE at position k compares the first k. */
static void range_side(sl_buf *b, params *ps, const sl_tabledef *nw, const long *src,
                       const sl_slice *v, bool lower)
{
    size_t k = 0;
    while (k < nw->n_part_cols && v[k].p)
        k++;
    if (k == 0) {
        sl_buf_puts(b, lower ? "0" : "1"); /* >= (MAXVALUE...) never; < (MAXVALUE...) always */
        return;
    }
    key_tuple(b, nw, src, k);
    sl_buf_puts(b, k < nw->n_part_cols ? (lower ? " > " : " <= ") : (lower ? " >= " : " < "));
    bound_tuple(b, ps, nw, v, k);
}

/* The rows some partition of nw holds, as a condition on the old columns. */
static void covered(sl_buf *b, params *ps, const sl_tabledef *nw, const long *src)
{
    size_t nc = nw->n_part_cols;
    sl_buf_puts(b, "(0");
    for (size_t i = 0; i < nw->n_parts; i++) {
        const sl_partdef *p = &nw->parts[i];
        if (nw->part_kind == SL_PART_LIST) {
            for (size_t v = 0; v < p->n_values; v++) {
                sl_buf_puts(b, " OR (1");
                for (size_t c = 0; c < nc; c++) { /* IS: NULL values match NULL keys */
                    sl_buf_printf(b, " AND c%ld IS ", src[nw->part_cols[c]]);
                    param(b, ps, &nw->cols[nw->part_cols[c]].type, p->values[v * nc + c]);
                }
                sl_buf_putc(b, ')');
            }
            continue;
        }
        const sl_slice *lo = p->lower ? p->lower : i ? nw->parts[i - 1].upper : NULL;
        sl_buf_puts(b, " OR (");
        if (lo)
            range_side(b, ps, nw, src, lo, true), sl_buf_puts(b, " AND ");
        range_side(b, ps, nw, src, p->upper, false);
        sl_buf_putc(b, ')');
        if (lo == NULL) /* the lowest partition holds NULL keys */
            sl_buf_printf(b, " OR c%ld IS NULL", src[nw->part_cols[0]]);
    }
    sl_buf_putc(b, ')');
}

/* The partial-update mask (bit c = column c provided) renumbered to the new columns. */
static void mask_expr(sl_buf *b, const sl_tabledef *old, const sl_tabledef *nw, const long *src)
{
    size_t m = old->n_cols + 2;
    sl_buf_printf(b, "CASE WHEN c%zu IS NULL THEN NULL ELSE 0", m);
    for (size_t j = 0; j < nw->n_cols && j < 63; j++)
        if (src[j] >= 0 && src[j] < 63)
            sl_buf_printf(b, " | (((c%zu >> %ld) & 1) << %zu)", m, src[j], j);
    sl_buf_puts(b, " END");
}

/* SELECT <new columns from old> FROM old [WHERE covered]. */
static void rewrite_sql(sl_buf *b, params *ps, const sl_etable *old, const sl_etable *nw,
                        const long *src, bool prune)
{
    sl_buf_puts(b, "SELECT ");
    for (size_t j = 0; j < nw->def->n_cols; j++) {
        const sl_coldef *cd = &nw->def->cols[j];
        if (j)
            sl_buf_putc(b, ',');
        if (src[j] >= 0)
            sl_buf_printf(b, "c%ld", src[j]);
        else
            param(b, ps, &cd->type, cd->default_kind == SL_DEFAULT_VALUE ? cd->default_value
                                                                        : (sl_slice){NULL, 0});
    }
    if (sl__sq_keyed(nw->def)) {
        size_t n = old->def->n_cols;
        sl_buf_printf(b, ",c%zu,c%zu,", n, n + 1);
        mask_expr(b, old->def, nw->def, src);
    }
    sl_buf_puts(b, " FROM old");
    if (prune && nw->def->part_kind != SL_PART_NONE)
        sl_buf_puts(b, " WHERE "), covered(b, ps, nw->def, src);
}

/* Bind ps's texts as values of their types (a text that is not one: NULL). Complex values
 * (a DEFAULT '[]') are built in an arena; bind_value copies every value. */
static void bind_params(sqlite3_stmt *st, const params *ps)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_conv_ctx cc = {.arena = &a};
    uint8_t tmp[16];
    for (size_t i = 0; i < ps->n; i++) {
        sl_datum v;
        if (ps->texts[i].p == NULL || sl_convert(ps->types[i], ps->texts[i], &v, &cc) != SL_CONV_OK)
            sqlite3_bind_null(st, (int)i + 1);
        else
            bind_value(st, (int)i + 1, ps->types[i], &v, tmp);
    }
    sl_arena_free(&a);
}

/* One old segment into a new file; *rows receives its row count. The old file is read
 * through the segment table (vtab.c) with the old definition's types, the rows written as
 * column chunks of the new one's (segfile.c); the new file is removed if anything fails. */
static sl_code rewrite_one(const char *dir, const char *from, const char *to,
                           const sl_etable *old, const sl_etable *nw, const char *sql,
                           const params *ps, int64_t *rows, sl_err *err)
{
    char path[4096 + 64], src[4096 + 64];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    sq_segw w = {.fd = -1};
    size_t n = sl__sq_seg_cols(nw->def);
    sl_type *types = sl_malloc((n + 1) * sizeof *types);
    snprintf(path, sizeof path, "%s/%s", dir, to);
    snprintf(src, sizeof src, "%s/%s", dir, from);
    sl_code rc = types ? SL_OK : sl_fail(err, SL_NOMEM, "out of memory");
    if (rc == SL_OK && sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        rc = sl__sq_error(db, "alter table", err);
    if (rc == SL_OK && (rc = sl__sq_query_conn(db, err)) == SL_OK &&
        (rc = sl__sq_seg_module(db, old->def, err)) == SL_OK)
        rc = sl__sq_seg_table(db, "old", src, err);
    if (rc == SL_OK && sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        rc = sl__sq_error(db, "alter table", err);
    if (rc == SL_OK) {
        bind_params(st, ps);
        sl__sq_seg_types(nw->def, types);
        rc = sl__sq_segw_create(&w, path, n, err);
    }
    if (rc == SL_OK) {
        w.lz4_text = sl__sq_lz4_text(nw->def);
        rc = sl__sq_segw_put_stmt(&w, st, types, err);
        if (rc == SL_OK)
            rc = sl__sq_segw_seal(&w, err); /* closes the file whatever COMMIT says */
        else
            sl__sq_segw_discard(&w);
        *rows = (int64_t)w.rows;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    sl_free(types);
    if (rc != SL_OK)
        unlink(path); /* its space is freed at once (a full disk) */
    return rc;
}

/* Does the change leave every stored value where it is? */
static bool in_place(const sl_etable *old, const sl_etable *nw, const long *src, bool prune)
{
    if (prune || old->def->n_cols != nw->def->n_cols)
        return false;
    for (size_t j = 0; j < nw->def->n_cols; j++)
        if (src[j] != (long)j)
            return false;
    return true;
}

typedef struct seg {
    int64_t id, rows, version, txn;
    int partial;
    char *file, *file_new;
} seg;

static sl_code read_segs(sl_econn *c, int64_t table_id, seg **out, size_t *n, sl_err *err)
{
    sqlite3_stmt *st;
    size_t cap = 0;
    *out = NULL, *n = 0;
    if (sqlite3_prepare_v2(c->e->cat, "SELECT id, file, rows, version, partial, txn_id FROM "
                           "segments WHERE table_id = ? AND visible = 1", -1, &st, NULL) != SQLITE_OK)
        return sl__sq_error(c->e->cat, "alter table", err);
    sqlite3_bind_int64(st, 1, table_id);
    sl_code rc = SL_OK;
    while (rc == SL_OK && sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 8;
            seg *v = sl_realloc(*out, cap * sizeof *v);
            if (v == NULL) {
                rc = sl_fail(err, SL_NOMEM, "out of memory");
                break;
            }
            *out = v;
        }
        seg *g = &(*out)[*n];
        memset(g, 0, sizeof *g);
        g->id = sqlite3_column_int64(st, 0);
        g->file = strdup((const char *)sqlite3_column_text(st, 1));
        g->rows = sqlite3_column_int64(st, 2);
        g->version = sqlite3_column_int64(st, 3);
        g->partial = sqlite3_column_int(st, 4);
        g->txn = sqlite3_column_int64(st, 5);
        (*n)++;
        if (g->file == NULL)
            rc = sl_fail(err, SL_NOMEM, "out of memory");
    }
    sqlite3_finalize(st);
    return rc;
}

static void free_segs(seg *v, size_t n, const char *dir, bool unlink_new)
{
    for (size_t i = 0; i < n; i++) {
        if (unlink_new && v[i].file_new && dir) {
            char path[4096 + 64];
            snprintf(path, sizeof path, "%s/%s", dir, v[i].file_new);
            unlink(path);
        }
        free(v[i].file);
        free(v[i].file_new);
    }
    sl_free(v);
}

/* The rewritten segments replace the old ones in the catalog (same versions). */
static sl_code swap_in(sl_econn *c, int64_t table_id, const seg *v, size_t n, sl_err *err)
{
    sl_code rc = sl__sq_doom_segments(c, "table_id = ?1 AND visible = 1", table_id, err);
    for (size_t i = 0; rc == SL_OK && i < n; i++) {
        char sql[512];
        snprintf(sql, sizeof sql,
                 "INSERT INTO segments(table_id, txn_id, file, rows, visible, version, partial) "
                 "VALUES(%lld, %lld, '%s', %lld, 1, %lld, %d)",
                 (long long)table_id, (long long)v[i].txn, v[i].file_new, (long long)v[i].rows,
                 (long long)v[i].version, v[i].partial);
        rc = sl__sq_exec(c->e->cat, sql, err);
    }
    return rc;
}

sl_code sl__sq_alter_table(sl_econn *c, const sl_etable *old, const sl_etable *nw,
                           const long *src, bool prune, sl_err *err)
{
    if (in_place(old, nw, src, prune))
        return SL_OK;
    seg *v = NULL;
    size_t n = 0;
    params *ps = sl_calloc(sizeof *ps);
    char *dir = sl__sq_table_dir(c->e, nw->id);
    sl_buf sql = SL_BUF_INIT;
    sl_code rc = ps && dir ? read_segs(c, nw->id, &v, &n, err)
                           : sl_fail(err, SL_NOMEM, "out of memory");
    if (rc == SL_OK)
        rewrite_sql(&sql, ps, old, nw, src, prune);
    if (rc == SL_OK && sql.oom)
        rc = sl_fail(err, SL_NOMEM, "the change needs more than %zu values in one statement",
                     SL_COUNT(ps->texts));
    for (size_t i = 0; rc == SL_OK && i < n; i++) {
        char name[64];
        snprintf(name, sizeof name, "a%llu-%lld.db", (unsigned long long)sl__sq_now_ms(),
                 (long long)v[i].id);
        if ((v[i].file_new = strdup(name)) == NULL)
            rc = sl_fail(err, SL_NOMEM, "out of memory");
        else
            rc = rewrite_one(dir, v[i].file, name, old, nw, sql.p, ps, &v[i].rows, err);
    }
    if (rc == SL_OK && n)
        rc = sl__sq_fsync_path(dir, err);
    if (rc == SL_OK)
        rc = swap_in(c, nw->id, v, n, err);
    if (ps && dir)
        free_segs(v, n, dir, rc != SL_OK);
    sl_buf_free(&sql);
    sl_free(ps);
    sl_free(dir);
    return rc;
}
