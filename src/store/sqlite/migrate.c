/*
 * migrate.c - segment files written before value encoding v2, rewritten in place once (store
 * stage; the SQLite engine's open calls it).
 *
 * Encoding v1 (sluice before the checked SELECT): DECIMAL(p <= 15) as REAL, wider DECIMAL and
 * LARGEINT beyond int64 as TEXT (LARGEINT within int64 as INTEGER), DATE and DATETIME as
 * 'YYYY-MM-DD[ HH:MM:SS[.f]]' TEXT. Encoding v2 (internal.h): DATE days and DATETIME
 * microseconds as INTEGER, DECIMAL(p <= 18) unscaled INTEGER, LARGEINT and wider DECIMAL as
 * 16-byte sortable BLOBs. Read as v2, a v1 file would give wrong answers, so every segment of
 * an older data directory is converted before the engine serves anything:
 *
 *   for each table (its definition from the catalog), for each of its segment files:
 *     user_version 3?  already converted (a crash mid-way resumes here)
 *     else             UPDATE t SET c<k> = __sl_v1(c<k>, k) for each column whose encoding
 *                      changed (and the hidden sequence column), PRAGMA user_version = 3,
 *                      COMMIT (a rollback journal: the file is whole or unchanged), fsync
 *
 * A value that does not convert (it was never written by sluice) fails the open with the file
 * and column named, rather than being guessed.
 *
 * Format 4 stores segments as column chunks (segfile.c). Each row-layout file (user_version 3,
 * a table t) is rewritten once, rows in rowid order, into a columnar file beside it, which is
 * fsynced and renamed over the old one: the catalog's file names do not change, and a crash
 * leaves each file either old or new (a stray half-written ".c4" is replaced on the next try,
 * or removed as an orphan).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../core/platform.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../batch/convert.h"
#include "../../core/buf.h"
#include "../../core/mem.h"
#include "../../sql/sql.h"
#include "internal.h"

#define SEGMENT_FORMAT 3

static bool changed(const sl_type *t)
{
    return t->id == SL_DATE || t->id == SL_DATETIME || t->id == SL_DECIMAL ||
           t->id == SL_LARGEINT;
}

/* __sl_v1(x, k): column k's v1 value x in encoding v2 (the types are the function's data). */
static void v1_to_v2(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const sl_type *types = sqlite3_user_data(ctx);
    int k = sqlite3_value_int(argv[1]), st = sqlite3_value_type(argv[0]);
    const sl_type *t = &types[k];
    (void)argc;
    if (st == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    sl_datum v;
    memset(&v, 0, sizeof v);
    if (t->id == SL_DECIMAL && st == SQLITE_FLOAT) { /* p <= 15: exact at its scale */
        double x = sqlite3_value_double(argv[0]) * pow(10, t->scale);
        v.w = (sl_i128)llround(x);
    } else if ((t->id == SL_LARGEINT || t->id == SL_DECIMAL) && st == SQLITE_INTEGER) {
        v.w = (sl_i128)sqlite3_value_int64(argv[0]) *
              (t->id == SL_DECIMAL ? (sl_i128)llround(pow(10, t->scale)) : 1);
    } else {
        sl_slice s = {(const char *)sqlite3_value_text(argv[0]),
                      (size_t)sqlite3_value_bytes(argv[0])};
        static const sl_conv_ctx utc = {0};
        if (s.p == NULL || sl_convert(t, s, &v, &utc) != SL_CONV_OK) {
            char msg[200], tn[64];
            snprintf(msg, sizeof msg, "column c%d: the stored value '%.*s' is not a %s", k,
                     (int)(s.n < 64 ? s.n : 64), s.p ? s.p : "", sl_type_name(t, tn, sizeof tn));
            sqlite3_result_error(ctx, msg, -1);
            return;
        }
    }
    sl__sq_result(ctx, t, false, &v);
}

/* The type of each segment column that changed encoding, indexed by column (id 0xff: none). */
static sl_type *segment_types(const sl_tabledef *def, size_t n_seg)
{
    sl_type *t = sl_calloc(n_seg * sizeof *t);
    if (t == NULL)
        return NULL;
    for (size_t c = 0; c < n_seg; c++)
        t[c].id = 0xff;
    for (size_t c = 0; c < def->n_cols; c++)
        if (changed(&def->cols[c].type))
            t[c] = def->cols[c].type;
    if (sl__sq_keyed(def)) { /* c<n+1>: the sequence value, in its column's encoding */
        sl_slice sc = sl_tabledef_prop(def, "function_column.sequence_col");
        long k = sc.p ? sl_tabledef_find(def, sc) : -1;
        sl_slice st = sl_tabledef_prop(def, "function_column.sequence_type");
        sl_type seq = {0xff, 0, 0, 0, 0};
        if (k >= 0)
            seq = def->cols[k].type;
        else if (st.p && sl_sql_parse_type(st, &seq, &(sl_err){0}) != SL_OK)
            seq.id = 0xff;
        if (seq.id != 0xff && changed(&seq))
            t[def->n_cols + 1] = seq;
    }
    return t;
}

/* Convert one segment file (see the file comment). */
static sl_code convert_file(const char *path, const sl_tabledef *def, sl_err *err)
{
    sqlite3 *db = NULL;
    size_t n_seg = sl__sq_seg_cols(def);
    sl_type *types = segment_types(def, n_seg);
    sl_code rc = types ? SL_OK : sl_fail(err, SL_NOMEM, "out of memory");
    if (rc == SL_OK && sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        rc = sl__sq_error(db, "cannot open a segment to convert", err);
    sqlite3_stmt *st;
    int version = 0;
    if (rc == SL_OK && sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            version = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    sl_buf sql = SL_BUF_INIT;
    if (rc == SL_OK && version < SEGMENT_FORMAT) {
        sl_buf_puts(&sql, "PRAGMA journal_mode=DELETE; BEGIN IMMEDIATE;");
        for (size_t c = 0; c < n_seg; c++)
            if (types[c].id != 0xff)
                sl_buf_printf(&sql, "UPDATE t SET c%zu = __sl_v1(c%zu, %zu);", c, c, c);
        sl_buf_printf(&sql, "PRAGMA user_version = %d; COMMIT;", SEGMENT_FORMAT);
        if (sqlite3_create_function(db, "__sl_v1", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, types,
                                    v1_to_v2, NULL, NULL) != SQLITE_OK)
            rc = sl__sq_error(db, "segment conversion", err);
        else if (sql.oom)
            rc = sl_fail(err, SL_NOMEM, "out of memory");
        else if ((rc = sl__sq_exec(db, sql.p, err)) != SL_OK)
            sl__sq_exec(db, "ROLLBACK", NULL);
    }
    sl_buf_free(&sql);
    if (db)
        sqlite3_close(db);
    sl_free(types);
    if (rc == SL_OK && version < SEGMENT_FORMAT)
        rc = sl__sq_fsync_path(path, err);
    if (rc != SL_OK) {
        char why[SL_ERR_MSG_MAX];
        snprintf(why, sizeof why, "%s", err->msg);
        sl_err_clear(err);
        return sl_fail(err, rc, "converting %s to value encoding v2: %s", path, why);
    }
    return SL_OK;
}

/* One row-layout file (v2 encoding) to the columnar layout, in place (see the file comment). */
static sl_code columnar_file(const char *path, const sl_tabledef *def, sl_err *err)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    size_t n = sl__sq_seg_cols(def);
    sl_type *types = sl_malloc((n + 1) * sizeof *types);
    char *tmp = sqlite3_mprintf("%s.c4", path);
    int version = 0;
    sl_code rc = types && tmp ? SL_OK : sl_fail(err, SL_NOMEM, "out of memory");
    if (rc == SL_OK && sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        rc = sl__sq_error(db, "cannot open a segment to convert", err);
    if (rc == SL_OK && sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (rc == SL_OK && version < SL_SQ_COLUMNAR) {
        sq_segw w;
        sl__sq_seg_types(def, types);
        if (sqlite3_prepare_v2(db, "SELECT * FROM t ORDER BY rowid", -1, &st, NULL) != SQLITE_OK)
            rc = sl__sq_error(db, "reading a segment to convert", err);
        else if ((rc = sl__sq_segw_create(&w, tmp, n, err)) == SL_OK) {
            w.lz4_text = sl__sq_lz4_text(def);
            rc = sl__sq_segw_put_stmt(&w, st, types, err);
            if (rc == SL_OK)
                rc = sl__sq_segw_seal(&w, err);
            else
                sl__sq_segw_discard(&w);
        }
        if (rc == SL_OK && rename(tmp, path) != 0)
            rc = sl_fail(err, SL_BACKEND, "cannot rename %s", tmp);
        if (rc != SL_OK)
            unlink(tmp);
        char *slash = strrchr(tmp, '/'); /* the rename is durable once the directory is */
        if (rc == SL_OK && slash) {
            *slash = '\0';
            rc = sl__sq_fsync_path(tmp, err);
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    sqlite3_free(tmp);
    sl_free(types);
    if (rc != SL_OK) {
        char why[SL_ERR_MSG_MAX];
        snprintf(why, sizeof why, "%s", err->msg);
        sl_err_clear(err);
        return sl_fail(err, rc, "converting %s to column chunks: %s", path, why);
    }
    return SL_OK;
}

/* Every segment file through convert (v1 -> v2, or row layout -> columnar). */
static sl_code each_file(sl_engine *e, sl_code (*convert)(const char *, const sl_tabledef *,
                                                          sl_err *),
                         sl_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(e->cat,
                           "SELECT g.table_id, g.file, t.ddl FROM segments g JOIN tables t ON "
                           "t.id = g.table_id ORDER BY g.table_id",
                           -1, &st, NULL) != SQLITE_OK)
        return SL_OK; /* a new catalog: nothing to convert */
    sl_code rc = SL_OK;
    sl_arena_t a;
    sl_arena_init(&a, 4096);
    while (rc == SL_OK && sqlite3_step(st) == SQLITE_ROW) {
        sl_arena_reset(&a);
        const char *ddl = (const char *)sqlite3_column_text(st, 2);
        sl_stmt stmt;
        sl_err perr = {0};
        if (sl_sql_parse(ddl, strlen(ddl), &a, &stmt, &perr) != SL_OK || stmt.table == NULL) {
            rc = sl_fail(err, SL_BACKEND, "the stored definition of table %lld does not parse: "
                         "%s", (long long)sqlite3_column_int64(st, 0), perr.msg);
            break;
        }
        char *dir = sl__sq_table_dir(e, sqlite3_column_int64(st, 0));
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir ? dir : ".",
                 (const char *)sqlite3_column_text(st, 1));
        sl_free(dir);
        rc = convert(path, stmt.table, err);
    }
    sqlite3_finalize(st);
    sl_arena_free(&a);
    return rc;
}

sl_code sl__sq_migrate_v2(sl_engine *e, sl_err *err)
{
    return each_file(e, convert_file, err);
}

sl_code sl__sq_migrate_columnar(sl_engine *e, sl_err *err)
{
    return each_file(e, columnar_file, err);
}
