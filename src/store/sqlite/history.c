/*
 * sqlite_history.c - load history and transaction lookup of the SQLite backend (store stage):
 * what SHOW STREAM LOAD and SHOW TRANSACTION read. Rows live in the catalog's `loads` and `txns`
 * tables and are forgotten with the labels (label_keep_max_second).
 */
#include "../../core/platform.h"

#include <stdio.h>
#include <string.h>

#include "../../batch/convert.h"
#include "internal.h"

static void bind_s(sqlite3_stmt *st, int i, sl_slice v)
{
    if (v.p)
        sqlite3_bind_text(st, i, v.p, (int)v.n, SQLITE_TRANSIENT);
    else
        sqlite3_bind_text(st, i, "", 0, SQLITE_STATIC);
}

sl_code sl__sq_record_load(sl_store *s, const sl_load_record *r, sl_err *err)
{
    sqlite3_stmt *st;
    sl_code rc = SL_OK;
    pthread_mutex_lock(&s->mu);
    if (sqlite3_prepare_v2(s->cat,
                           "INSERT INTO loads(label, db, tbl, client_ip, status, message, url, "
                           "total, loaded, filtered, unselected, bytes, start_ms, finish_ms, usr, "
                           "comment, txn_id) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = sl__sq_error(s->cat, "history", err);
        goto out;
    }
    const sl_slice txt[] = {r->label, r->db, r->table, r->client_ip, r->status, r->message, r->url};
    for (int i = 0; i < 7; i++)
        bind_s(st, i + 1, txt[i]);
    const uint64_t num[] = {r->total, r->loaded, r->filtered, r->unselected, r->bytes,
                            r->start_ms, r->finish_ms};
    for (int i = 0; i < 7; i++)
        sqlite3_bind_int64(st, i + 8, (sqlite3_int64)num[i]);
    bind_s(st, 15, r->user);
    bind_s(st, 16, r->comment);
    sqlite3_bind_int64(st, 17, r->txn_id);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = sl__sq_error(s->cat, "history", err);
    sqlite3_finalize(st);
    /* Forget loads as old as the oldest labels kept. */
    char sql[160];
    snprintf(sql, sizeof sql, "DELETE FROM loads WHERE finish_ms < %llu",
             (unsigned long long)(sl__sq_now_ms() - (uint64_t)s->label_keep_s * 1000));
    sl__sq_exec(s->cat, sql, NULL);
out:
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* Milliseconds since the epoch as "YYYY-MM-DD HH:MM:SS" at the offset. */
static sl_slice fmt_time(int64_t ms, int32_t off, char *buf)
{
    if (ms <= 0)
        return (sl_slice){"", 0};
    size_t n = sl_format_datetime((ms / 1000 + off) * 1000000, 0, buf);
    return (sl_slice){buf, n};
}

static const char *const load_cols[] = {
    "Label",     "Db",           "Table",          "ClientIp",  "Status",    "Message",
    "Url",       "TotalRows",    "LoadedRows",     "FilteredRows", "UnselectedRows",
    "LoadBytes", "StartTime",    "FinishTime",     "User",      "Comment"};
static const char *const load_sql_cols[] = {
    "label", "db", "tbl", "client_ip", "status", "message", "url", "total", "loaded",
    "filtered", "unselected", "bytes", "start_ms", "finish_ms", "usr", "comment"};

/* Run st and send each row to the sink: BIGINT columns where is_int, VARCHAR otherwise; times
 * (ms) formatted. */
static sl_code emit(sqlite3_stmt *st, const char *const *names, size_t n, const bool *is_time,
                    const bool *is_int, int32_t off, const sl_query_sink *sink, sl_err *err)
{
    sl_qcol cols[20];
    sl_qval vals[20];
    memset(cols, 0, sizeof cols);
    for (size_t i = 0; i < n; i++)
        cols[i] = (sl_qcol){sl_slice_of(names[i]), {is_int[i] ? SL_BIGINT : SL_VARCHAR, 0, 0, 0, 0}};
    sl_code rc = sink->meta(sink->arg, cols, n);
    char tbuf[20][48];
    while (rc == SL_OK && sqlite3_step(st) == SQLITE_ROW) {
        for (size_t i = 0; i < n; i++) {
            memset(&vals[i], 0, sizeof vals[i]);
            vals[i].null = sqlite3_column_type(st, (int)i) == SQLITE_NULL;
            if (is_time[i]) {
                sl_slice t = fmt_time(sqlite3_column_int64(st, (int)i), off, tbuf[i]);
                vals[i].null = false;
                vals[i].v.s.p = t.p, vals[i].v.s.n = t.n;
            } else if (is_int[i]) {
                vals[i].v.i = sqlite3_column_int64(st, (int)i);
            } else if (!vals[i].null) {
                vals[i].v.s.p = (const char *)sqlite3_column_text(st, (int)i);
                vals[i].v.s.n = (size_t)sqlite3_column_bytes(st, (int)i);
            }
        }
        rc = sink->row(sink->arg, vals, n);
    }
    (void)err;
    return rc;
}

sl_code sl__sq_list_loads(sl_store *s, sl_slice db, const sl_load_filter *f,
                          const sl_query_sink *sink, sl_err *err)
{
    char sql[1024];
    int oc = f->order_col >= 0 && f->order_col < 16 ? f->order_col : 12;
    snprintf(sql, sizeof sql,
             "SELECT label, db, tbl, client_ip, status, message, url, total, loaded, filtered, "
             "unselected, bytes, start_ms, finish_ms, usr, comment FROM loads WHERE (?1 = '' OR "
             "db = ?1) AND (?2 IS NULL OR (CASE WHEN ?3 THEN label LIKE ?2 ELSE label = ?2 END)) "
             "AND (?4 IS NULL OR upper(status) = upper(?4)) ORDER BY %s %s, id %s LIMIT %lld",
             load_sql_cols[oc], f->desc ? "DESC" : "ASC", f->desc ? "DESC" : "ASC",
             f->limit ? (long long)f->limit : -1LL);
    sqlite3_stmt *st;
    sl_code rc;
    pthread_mutex_lock(&s->mu);
    if (sqlite3_prepare_v2(s->cat, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = sl__sq_error(s->cat, "history", err);
    } else {
        bind_s(st, 1, db);
        if (f->label.p)
            bind_s(st, 2, f->label);
        sqlite3_bind_int(st, 3, f->label_like);
        if (f->status.p)
            bind_s(st, 4, f->status);
        static const bool is_time[16] = {[12] = true, [13] = true};
        static const bool is_int[16] = {[7] = true, [8] = true, [9] = true, [10] = true,
                                        [11] = true};
        rc = emit(st, load_cols, 16, is_time, is_int, f->tz_offset_s, sink, err);
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

sl_code sl__sq_show_txn(sl_store *s, sl_slice db, int64_t id, sl_slice label, int32_t tz_offset_s,
                        const sl_query_sink *sink, sl_err *err)
{
    static const char *const names[] = {"TransactionId", "Label", "Coordinator",
                                        "TransactionStatus", "LoadJobSourceType", "PrepareTime",
                                        "FinishTime", "Reason", "TimeoutMs"};
    sqlite3_stmt *st;
    sl_code rc;
    pthread_mutex_lock(&s->mu);
    if (sqlite3_prepare_v2(s->cat,
                           "SELECT id, label, 'BE: sluice', CASE state WHEN 1 THEN 'PREPARE' WHEN "
                           "2 THEN 'PRECOMMITTED' WHEN 3 THEN 'COMMITTED' WHEN 4 THEN 'VISIBLE' "
                           "WHEN 5 THEN 'ABORTED' ELSE 'UNKNOWN' END, 'BACKEND_STREAMING', "
                           "created_ms, finished_ms, coalesce(reason, ''), timeout_s * 1000 FROM "
                           "txns WHERE db = ?1 AND (CASE WHEN ?2 >= 0 THEN id = ?2 ELSE label = "
                           "?3 END) ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = sl__sq_error(s->cat, "transactions", err);
    } else {
        bind_s(st, 1, db);
        sqlite3_bind_int64(st, 2, id);
        bind_s(st, 3, label);
        static const bool is_time[9] = {[5] = true, [6] = true};
        static const bool is_int[9] = {[0] = true, [8] = true};
        rc = emit(st, names, 9, is_time, is_int, tz_offset_s, sink, err);
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}
