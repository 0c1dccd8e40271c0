/*
 * ledger_hist.c - load history and transaction lookup in the ledger (store stage): what SHOW
 * STREAM LOAD and SHOW TRANSACTION read. History rows are written in the transaction that
 * makes a load visible (ledger_txn.c), so a load is in the history exactly when it happened;
 * they are forgotten with the labels (label_keep_max_second).
 *
 * Filters and ordering run here, not in the engine's SQL, so every engine shows the same rows
 * in the same order (LIKE and string order differ between SQL dialects and collations).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../batch/convert.h"
#include "../core/tz.h"
#include "../core/mem.h"
#include "ledger.h"

sl_code sl__lg_record(sl_store *s, sl_econn *c, const sl_load_record *r, sl_err *err)
{
    sl_cell p[19] = {
        sl_cell_text(r->label),  sl_cell_text(r->db),       sl_cell_text(r->table),
        sl_cell_text(r->client_ip), sl_cell_text(r->status), sl_cell_text(r->message),
        sl_cell_text(r->url),    sl_cell_int((int64_t)r->total), sl_cell_int((int64_t)r->loaded),
        sl_cell_int((int64_t)r->filtered), sl_cell_int((int64_t)r->unselected),
        sl_cell_int((int64_t)r->bytes), sl_cell_int((int64_t)r->start_ms),
        sl_cell_int((int64_t)r->finish_ms), sl_cell_text(r->user), sl_cell_text(r->comment),
        sl_cell_int(r->txn_id), sl_cell_text(sl_slice_of(s->node_id)), sl_cell_null()};
    return sl__lg_exec(s, c,
                       "INSERT INTO loads(label, db, tbl, client_ip, status, message, url, total, "
                       "loaded, filtered, unselected, bytes, start_ms, finish_ms, usr, comment, "
                       "txn_id, node) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
                       "$13, $14, $15, $16, $17, $18)",
                       p, 18, NULL, NULL, NULL, err);
}

sl_code sl_store_record_load(sl_store *s, const sl_load_record *r, sl_err *err)
{
    sl_econn *c;
    sl_code rc = s->ev->conn_get(s->e, &c, err);
    if (rc != SL_OK)
        return rc;
    rc = sl__lg_record(s, c, r, err);
    s->ev->conn_put(c);
    return rc;
}

/* ---- SHOW STREAM LOAD -------------------------------------------------------------------- */

enum { N_LOAD_COLS = 16, COL_START = 12 };
static const char *const load_cols[N_LOAD_COLS] = {
    "Label",        "Db",        "Table",     "ClientIp",  "Status",     "Message",
    "Url",          "TotalRows", "LoadedRows", "FilteredRows", "UnselectedRows",
    "LoadBytes",    "StartTime", "FinishTime", "User",     "Comment"};

/* One history row, its cells copied into the collector's arena. */
typedef struct hrow {
    sl_qval v[N_LOAD_COLS];
    int64_t ms[2];                 /* StartTime and FinishTime as stored, for sorting */
    int64_t id;
} hrow;

typedef struct hist {
    sl_arena_t a;
    hrow *rows;
    size_t n, cap;
    const sl_load_filter *f;
} hist;

/* SQL LIKE with % and _ (and \ escaping them), case-sensitive as Doris. */
static bool like(const char *s, const char *se, const char *p, const char *pe)
{
    while (p < pe) {
        if (*p == '%') {
            while (p < pe && *p == '%')
                p++;
            if (p == pe)
                return true;
            for (; s <= se; s++)
                if (like(s, se, p, pe))
                    return true;
            return false;
        }
        if (s == se)
            return false;
        if (*p == '\\' && p + 1 < pe)
            p++;
        else if (*p == '_') {
            s++, p++;
            continue;
        }
        if (*s != *p)
            return false;
        s++, p++;
    }
    return s == se;
}

/* Milliseconds since the epoch as "YYYY-MM-DD HH:MM:SS" in zone tz, in the arena ("" for 0). */
static sl_slice fmt_time(sl_arena_t *a, int64_t ms, const sl_tz *tz)
{
    char buf[48];
    if (ms <= 0)
        return SL_LIT("");
    int64_t s = ms / 1000;
    size_t n = sl_format_datetime((s + (tz ? sl_tz_offset_utc(tz, s) : 0)) * 1000000, 0, buf);
    return sl_arena_slice(a, (sl_slice){buf, n});
}

static bool keep(const sl_load_filter *f, const sl_cell *row)
{
    sl_slice label = row[0].s, status = row[4].s;
    if (f->label.p) {
        if (f->label_like ? !like(label.p, label.p + label.n, f->label.p, f->label.p + f->label.n)
                          : (label.n != f->label.n || memcmp(label.p, f->label.p, label.n)))
            return false;
    }
    if (f->status.p &&
        (status.n != f->status.n || strncasecmp(status.p, f->status.p, status.n) != 0))
        return false;
    return true;
}

static sl_code hist_fn(void *arg, const sl_cell *row, size_t n)
{
    hist *h = arg;
    if (n < N_LOAD_COLS + 1 || !keep(h->f, row))
        return SL_OK;
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        hrow *v = sl_realloc(h->rows, cap * sizeof *v);
        if (v == NULL)
            return SL_NOMEM;
        h->rows = v, h->cap = cap;
    }
    hrow *r = &h->rows[h->n];
    for (size_t i = 0; i < N_LOAD_COLS; i++) {
        sl_qval *q = &r->v[i];
        memset(q, 0, sizeof *q);
        if (i >= COL_START && i <= 13) { /* ms since the epoch, shown in the session's zone */
            r->ms[i - COL_START] = row[i].i;
            sl_slice t = fmt_time(&h->a, row[i].i, h->f->tz);
            q->v.s.p = t.p, q->v.s.n = t.n;
            if (t.p == NULL)
                return SL_NOMEM;
        } else if (i >= 7 && i <= 11) {
            q->v.i = row[i].i;
        } else {
            q->v.s.p = sl_arena_memdup(&h->a, row[i].s.p ? row[i].s.p : "", row[i].s.n);
            q->v.s.n = row[i].s.n;
            if (q->v.s.p == NULL)
                return SL_NOMEM;
        }
    }
    r->id = row[N_LOAD_COLS].i;
    h->n++;
    return SL_OK;
}

static int cmp_rows(const hrow *x, const hrow *y, int col)
{
    const sl_qval *a = &x->v[col], *b = &y->v[col];
    int c;
    if (col >= COL_START && col <= 13)
        c = (x->ms[col - COL_START] > y->ms[col - COL_START]) -
            (x->ms[col - COL_START] < y->ms[col - COL_START]);
    else if (col >= 7 && col <= 11)
        c = (a->v.i > b->v.i) - (a->v.i < b->v.i);
    else {
        size_t n = a->v.s.n < b->v.s.n ? a->v.s.n : b->v.s.n;
        c = memcmp(a->v.s.p, b->v.s.p, n);
        if (c == 0)
            c = (a->v.s.n > b->v.s.n) - (a->v.s.n < b->v.s.n);
    }
    return c ? c : (x->id > y->id) - (x->id < y->id);
}

/* A stable merge sort with the column passed along (qsort takes no argument). */
static void sort_rows(hrow *v, hrow *tmp, size_t n, int col, bool desc)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    sort_rows(v, tmp, h, col, desc);
    sort_rows(v + h, tmp, n - h, col, desc);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) {
        int c = cmp_rows(&v[i], &v[j], col);
        if (desc ? c >= 0 : c <= 0)
            tmp[k++] = v[i++];
        else
            tmp[k++] = v[j++];
    }
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof *v);
}

/* The columns: BIGINT where is_int says so, VARCHAR (times as text) elsewhere. */
static void emit_meta(const sl_query_sink *sink, const char *const *names, const bool *is_int,
                      size_t n, sl_code *rc)
{
    sl_qcol cols[N_LOAD_COLS];
    memset(cols, 0, sizeof cols);
    for (size_t i = 0; i < n; i++) {
        cols[i].name = sl_slice_of(names[i]);
        cols[i].type.id = is_int[i] ? SL_BIGINT : SL_VARCHAR;
        cols[i].type.len = is_int[i] ? 0 : 65533;
    }
    *rc = sink->meta(sink->arg, cols, n);
}

sl_code sl_store_list_loads(sl_store *s, sl_slice db, const sl_load_filter *f,
                            const sl_query_sink *sink, sl_err *err)
{
    hist h = {.f = f};
    sl_arena_init(&h.a, 16384);
    sl_cell p = sl_cell_text(db);
    sl_code rc = sl__lg_run(s,
                            "SELECT label, db, tbl, client_ip, status, message, url, total, "
                            "loaded, filtered, unselected, bytes, start_ms, finish_ms, usr, "
                            "comment, id FROM loads WHERE $1 = '' OR db = $1",
                            &p, 1, hist_fn, &h, NULL, err);
    if (rc == SL_NOMEM)
        rc = sl_fail(err, SL_NOMEM, "out of memory");
    hrow *tmp = rc == SL_OK && h.n ? sl_malloc(h.n * sizeof *tmp) : NULL;
    if (rc == SL_OK && h.n && tmp == NULL)
        rc = sl_fail(err, SL_NOMEM, "out of memory");
    if (rc == SL_OK) {
        int col = f->order_col >= 0 && f->order_col < N_LOAD_COLS ? f->order_col : COL_START;
        sort_rows(h.rows, tmp, h.n, col, f->desc);
        static const bool is_int[N_LOAD_COLS] = {[7] = 1, [8] = 1, [9] = 1, [10] = 1, [11] = 1};
        emit_meta(sink, load_cols, is_int, N_LOAD_COLS, &rc);
        size_t lim = f->limit && f->limit < h.n ? (size_t)f->limit : h.n;
        for (size_t i = 0; rc == SL_OK && i < lim; i++)
            rc = sink->row(sink->arg, h.rows[i].v, N_LOAD_COLS);
    }
    sl_free(tmp);
    sl_free(h.rows);
    sl_arena_free(&h.a);
    return rc;
}

/* ---- SHOW TRANSACTION -------------------------------------------------------------------- */

enum { N_TXN_COLS = 11 };

typedef struct txn_sink {
    const sl_query_sink *sink;
    const sl_tz *tz;
    sl_arena_t a;
} txn_sink;

static sl_code show_fn(void *arg, const sl_cell *row, size_t n)
{
    txn_sink *t = arg;
    if (n < 7)
        return SL_OK;
    sl_qval v[N_TXN_COLS];
    memset(v, 0, sizeof v);
    static const char *const st[] = {"UNKNOWN",   "PREPARE", "PRECOMMITTED",
                                     "COMMITTED", "VISIBLE", "ABORTED"};
    sl_slice txt[N_TXN_COLS];
    memset(txt, 0, sizeof txt);
    txt[1] = row[1].s;
    txt[2] = SL_LIT("BE: sluice");
    txt[3] = sl_slice_of(row[2].i >= 0 && row[2].i < 6 ? st[row[2].i] : "UNKNOWN");
    txt[4] = SL_LIT("BACKEND_STREAMING");
    sl_arena_reset(&t->a);
    txt[5] = fmt_time(&t->a, row[3].kind == SL_CELL_INT ? row[3].i : 0, t->tz);
    txt[6] = fmt_time(&t->a, row[4].kind == SL_CELL_INT ? row[4].i : 0, t->tz);
    if (txt[5].p == NULL || txt[6].p == NULL)
        return SL_NOMEM;
    txt[7] = row[5].kind == SL_CELL_TEXT ? row[5].s : SL_LIT("");
    for (int i = 1; i <= 7; i++)
        v[i].v.s.p = txt[i].p, v[i].v.s.n = txt[i].n;
    v[0].v.i = row[0].i;
    v[8].v.i = row[6].kind == SL_CELL_INT ? row[6].i * 1000 : 0;
    /* sluice's own: rows and body bytes so far (a running load) or in the end */
    v[9].v.i = n > 7 && row[7].kind == SL_CELL_INT ? row[7].i : 0;
    v[10].v.i = n > 8 && row[8].kind == SL_CELL_INT ? row[8].i : 0;
    return t->sink->row(t->sink->arg, v, N_TXN_COLS);
}

sl_code sl_store_show_txn(sl_store *s, sl_slice db, int64_t id, sl_slice label,
                          const sl_tz *tz, const sl_query_sink *sink, sl_err *err)
{
    static const char *const names[N_TXN_COLS] = {
        "TransactionId", "Label",      "Coordinator", "TransactionStatus", "LoadJobSourceType",
        "PrepareTime",   "FinishTime", "Reason",      "TimeoutMs",         "LoadedRows",
        "ReceivedBytes"};
    sl_code rc;
    static const bool is_int[N_TXN_COLS] = {[0] = 1, [8] = 1, [9] = 1, [10] = 1};
    emit_meta(sink, names, is_int, N_TXN_COLS, &rc);
    if (rc != SL_OK)
        return rc;
    txn_sink t = {sink, tz, {0}};
    sl_arena_init(&t.a, 256);
    sl_cell p[2] = {sl_cell_text(db), id >= 0 ? sl_cell_int(id) : sl_cell_text(label)};
    rc = sl__lg_run(s,
                    id >= 0 ? "SELECT id, label, state, created_ms, finished_ms, reason, "
                              "timeout_s, rows, bytes FROM txns WHERE db = $1 AND id = $2 "
                              "ORDER BY id"
                            : "SELECT id, label, state, created_ms, finished_ms, reason, "
                              "timeout_s, rows, bytes FROM txns WHERE db = $1 AND label = $2 "
                              "ORDER BY id",
                    p, 2, show_fn, &t, NULL, err);
    sl_arena_free(&t.a);
    return rc;
}
