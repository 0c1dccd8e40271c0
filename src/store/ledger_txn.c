/*
 * ledger_txn.c - load transactions in the ledger (store stage): the label state machine and
 * Doris's 2PC rules, over any engine.
 *
 *   begin      short txn: INSERT txns(PREPARE)       the unique index refuses a live label
 *              engine w_open
 *   append     engine w_append                        rows stream while the body is decoded
 *   commit     engine w_publish -> conn in a txn      rows visible when it commits
 *              UPDATE txns -> VISIBLE, INSERT loads   on that same conn, then COMMIT
 *   precommit  the same with w_publish(stage) and PRECOMMITTED
 *   finish_2pc UPDATE txns (the transition) + engine stage_commit / stage_drop, one txn
 *   abort      engine w_close(false); UPDATE txns -> ABORTED
 *
 * State values in txns.state: 1 PREPARE, 2 PRECOMMITTED, 4 VISIBLE, 5 ABORTED.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/mem.h"
#include "ledger.h"

/* t joins (d = 1) or leaves (d = -1) the list of this node's running loads. */
static void running_add(sl_store *s, sl_txn *t, int d)
{
    pthread_mutex_lock(&s->mu);
    s->running = (uint32_t)((int)s->running + d);
    if (d > 0) {
        t->next = s->open;
        if (s->open)
            s->open->prev = t;
        s->open = t;
    } else {
        if (t->prev)
            t->prev->next = t->next;
        else
            s->open = t->next;
        if (t->next)
            t->next->prev = t->prev;
    }
    pthread_mutex_unlock(&s->mu);
}

void sl_store_progress(sl_txn *t, uint64_t bytes, uint64_t rows)
{
    pthread_mutex_lock(&t->s->mu);
    t->bytes = bytes, t->rows = rows;
    pthread_mutex_unlock(&t->s->mu);
}

void sl__lg_save_progress(sl_store *s)
{
    struct progress {
        int64_t id;
        uint64_t rows, bytes;
    } v[64];
    size_t n = 0;
    pthread_mutex_lock(&s->mu);
    for (sl_txn *t = s->open; t && n < SL_COUNT(v); t = t->next)
        if (t->id > 0 && (t->rows != t->saved_rows || t->bytes != t->saved_bytes)) {
            v[n++] = (struct progress){t->id, t->rows, t->bytes};
            t->saved_rows = t->rows, t->saved_bytes = t->bytes;
        }
    pthread_mutex_unlock(&s->mu);
    for (size_t i = 0; i < n; i++) {
        sl_cell p[3] = {sl_cell_int(v[i].id), sl_cell_int((int64_t)v[i].rows),
                        sl_cell_int((int64_t)v[i].bytes)};
        sl_err err = {0};
        sl__lg_run(s, "UPDATE txns SET rows = $2, bytes = $3 WHERE id = $1 AND state = 1", p, 3,
                   NULL, NULL, NULL, &err);
    }
}

typedef struct txn_row {
    int64_t id;
    int64_t state;
    int64_t table_id;
    sl_arena_t *a;                 /* NULL: texts not kept */
    sl_slice tbl, usr, label;
    bool found;
} txn_row;

static sl_code txn_fn(void *arg, const sl_cell *row, size_t n)
{
    txn_row *t = arg;
    if (t->found || n < 3)
        return SL_OK;
    t->found = true;
    t->id = row[0].i;
    t->state = row[1].i;
    t->table_id = row[2].kind == SL_CELL_INT ? row[2].i : -1;
    if (t->a && n >= 6) {
        t->tbl = sl_arena_slice(t->a, row[3].kind == SL_CELL_TEXT ? row[3].s : SL_LIT(""));
        t->usr = sl_arena_slice(t->a, row[4].kind == SL_CELL_TEXT ? row[4].s : SL_LIT(""));
        t->label = sl_arena_slice(t->a, row[5].s);
        if (!t->tbl.p || !t->usr.p || !t->label.p)
            return SL_NOMEM;
    }
    return SL_OK;
}

/* Abort a PREPARE transaction holding the label when it can no longer finish (past its
 * timeout, or its node is dead), so the label can be taken again at once. */
static sl_code reclaim_label(sl_store *s, sl_econn *c, sl_slice db, sl_slice label, uint64_t now,
                             sl_err *err)
{
    uint64_t dead_before = now - (uint64_t)s->o.node_timeout_s * 1000;
    sl_cell p[4] = {sl_cell_text(db), sl_cell_text(label), sl_cell_int((int64_t)now),
                    sl_cell_int((int64_t)dead_before)};
    return sl__lg_exec(s, c,
                       "UPDATE txns SET state = 5, finished_ms = $3, reason = CASE WHEN "
                       "timeout_s > 0 AND created_ms + timeout_s * 1000 < $3 THEN 'timeout by "
                       "txn manager' ELSE 'coordinator node is down' END WHERE db = $1 AND "
                       "label = $2 AND state = 1 AND ((timeout_s > 0 AND created_ms + timeout_s "
                       "* 1000 < $3) OR node IS NULL OR node NOT IN (SELECT id FROM nodes "
                       "WHERE heartbeat_ms >= $4))",
                       p, 4, NULL, NULL, NULL, err);
}

/* Take the label in a short transaction of its own. */
static sl_code take_label(sl_store *s, const sl_begin_opts *o, int64_t *id,
                          sl_label_info *existing, sl_err *err)
{
    sl_econn *c;
    sl_code rc = s->ev->conn_get(s->e, &c, err);
    if (rc != SL_OK)
        return rc;
    uint64_t now = sl__lg_now_ms();
    sl_cell p[10] = {sl_cell_text(o->db),        sl_cell_text(o->label),
                     sl_cell_int(o->table_id),    sl_cell_text(o->table),
                     sl_cell_text(o->user),       sl_cell_text(sl_slice_of(s->node_id)),
                     sl_cell_int((int64_t)now),   sl_cell_int(o->timeout_s),
                     sl_cell_int(o->two_phase),   sl_cell_null()};
    *id = -1;
    if ((rc = reclaim_label(s, c, o->db, o->label, now, err)) == SL_OK)
        rc = sl__lg_exec(s, c,
                         "INSERT INTO txns(db, label, table_id, tbl, usr, node, state, "
                         "created_ms, timeout_s, two_phase) VALUES($1, $2, $3, $4, $5, $6, 1, "
                         "$7, $8, $9) ON CONFLICT DO NOTHING RETURNING id",
                         p, 9, sl__lg_int_fn, id, NULL, err);
    if (rc == SL_OK && *id < 0) {
        txn_row t = {0};
        rc = sl__lg_exec(s, c,
                         "SELECT id, state, table_id FROM txns WHERE db = $1 AND label = $2 AND "
                         "state <> 5 ORDER BY id DESC LIMIT 1",
                         p, 2, txn_fn, &t, NULL, err);
        if (rc == SL_OK) {
            existing->txn_id = t.found ? t.id : -1;
            existing->state = t.found ? (uint8_t)t.state : SL_TXN_UNKNOWN;
            rc = sl_fail(err, SL_CONFLICT, "Label [%.*s] has already been used, relate to "
                         "txn [%lld]", (int)o->label.n, o->label.p, (long long)existing->txn_id);
        }
    }
    s->ev->conn_put(c);
    return rc;
}

/* Mark a transaction ABORTED (only from PREPARE or PRECOMMITTED) with reason, and write rec
 * with status Fail, in one short transaction. False when that could not be written. */
static bool write_aborted(sl_store *s, int64_t id, const char *reason, const sl_load_record *rec)
{
    sl_econn *c;
    sl_err err = {0};
    if (s->ev->conn_get(s->e, &c, &err) != SL_OK)
        return false;
    sl_cell p[3] = {sl_cell_int(id), sl_cell_int((int64_t)sl__lg_now_ms()),
                    sl_cell_text(sl_slice_of(reason ? reason : ""))};
    sl_code rc = s->ev->xbegin(c, &err);
    if (rc == SL_OK)
        rc = sl__lg_exec(s, c,
                         "UPDATE txns SET state = 5, finished_ms = $2, reason = $3 WHERE id = $1 "
                         "AND state IN (1, 2)",
                         p, 3, NULL, NULL, NULL, &err);
    if (rc == SL_OK && rec)
        rc = sl__lg_record(s, c, rec, &err);
    if (rc == SL_OK)
        rc = s->ev->xcommit(c, &err);
    else
        s->ev->xrollback(c);
    s->ev->conn_put(c);
    return rc == SL_OK;
}

/* write_aborted, or when the store refuses it, owe it: the maintenance thread writes it again
 * (sl__lg_retry_aborts) so the label is free soon after the store recovers, not only at the
 * transaction's timeout or the next restart. */
static void mark_aborted(sl_store *s, int64_t id, const char *reason, const sl_load_record *rec)
{
    if (write_aborted(s, id, reason, rec))
        return;
    pthread_mutex_lock(&s->mu);
    if (s->n_owed < SL_LG_OWED_MAX) /* beyond that: its timeout or the restart aborts it */
        s->owed[s->n_owed++] = id;
    pthread_mutex_unlock(&s->mu);
}

void sl__lg_retry_aborts(sl_store *s)
{
    int64_t ids[SL_LG_OWED_MAX];
    pthread_mutex_lock(&s->mu);
    size_t n = s->n_owed;
    memcpy(ids, s->owed, n * sizeof ids[0]);
    pthread_mutex_unlock(&s->mu);
    for (size_t i = 0; i < n; i++) {
        if (!write_aborted(s, ids[i], "aborted: the load failed and the store refused its "
                                      "abort at first (full disk or lost connection)",
                           NULL))
            continue;
        pthread_mutex_lock(&s->mu); /* written: out of the list (which may have grown) */
        for (size_t k = 0; k < s->n_owed; k++)
            if (s->owed[k] == ids[i]) {
                s->owed[k] = s->owed[--s->n_owed];
                break;
            }
        pthread_mutex_unlock(&s->mu);
    }
}

static void txn_free(sl_txn *t)
{
    running_add(t->s, t, -1);
    free(t->names);
    sl_free(t);
}

sl_code sl_store_begin(sl_store *s, const sl_begin_opts *o, sl_txn **out,
                       sl_label_info *existing, sl_err *err)
{
    existing->txn_id = -1;
    existing->state = SL_TXN_UNKNOWN;
    *out = NULL;
    sl_txn *t = sl_calloc(sizeof *t);
    size_t len = o->db.n + o->table.n + o->label.n + o->user.n + 4;
    char *names = malloc(len);
    if (t == NULL || names == NULL) {
        sl_free(t);
        free(names);
        return sl_fail(err, SL_NOMEM, "out of memory");
    }
    char *p = names;
    const sl_slice parts[4] = {o->db, o->table, o->label, o->user};
    sl_slice copies[4];
    for (int i = 0; i < 4; i++) {
        if (parts[i].n)
            memcpy(p, parts[i].p, parts[i].n);
        copies[i] = (sl_slice){p, parts[i].n};
        p += parts[i].n;
        *p++ = '\0';
    }
    t->s = s;
    t->names = names;
    t->t = (sl_etable){copies[0], copies[1], o->table_id, o->def};
    t->label = copies[2], t->user = copies[3];
    t->two_phase = o->two_phase;
    running_add(s, t, 1);
    sl__lg_maybe_expire(s, sl__lg_now_ms());
    sl_code rc = take_label(s, o, &t->id, existing, err);
    if (rc == SL_OK) {
        sl_wopts wo = {t->t, t->id, o->seq_col, o->replace, o->partial, o->two_phase};
        if ((rc = s->ev->w_open(s->e, &wo, &t->w, err)) != SL_OK)
            mark_aborted(s, t->id, err->msg, NULL);
    }
    if (rc != SL_OK) {
        txn_free(t);
        return rc;
    }
    *out = t;
    return SL_OK;
}

int64_t sl_store_txn_id(const sl_txn *t)
{
    return t->id;
}

sl_code sl_store_append(sl_txn *t, const sl_batch *b, sl_err *err)
{
    if (t->err.code == SL_OK && b->n_rows)
        t->s->ev->w_append(t->w, b, &t->err);
    return t->err.code == SL_OK ? SL_OK : sl_fail(err, t->err.code, "%s", t->err.msg);
}

sl_code sl_store_partial_check(sl_txn *t, uint64_t mask, bool strict, uint64_t *removed,
                               sl_err *err)
{
    *removed = 0;
    if (t->err.code == SL_OK)
        t->s->ev->w_partial_check(t->w, mask, strict, removed, &t->err);
    return t->err.code == SL_OK ? SL_OK : sl_fail(err, t->err.code, "%s", t->err.msg);
}

/* The record of a failed finish: rec with status Fail and the error as Doris shows it. */
static sl_load_record failed_record(const sl_load_record *rec, const sl_err *e, char *msg,
                                    size_t cap)
{
    sl_load_record r = *rec;
    snprintf(msg, cap, "[%s]%s", sl_code_doris(e->code), e->msg);
    r.status = SL_LIT("Fail");
    r.message = sl_slice_of(msg);
    r.loaded = 0;
    return r;
}

/* The state a transaction is really in after a COMMIT on c whose outcome is unknown: read on
 * c itself (still held: an embedded engine has no other connection to give, and asking for
 * one would wait for ourselves), or, when c broke with the COMMIT, on another connection. */
static int64_t reread_state(sl_store *s, sl_econn *c, int64_t id)
{
    static const char sql[] = "SELECT state FROM txns WHERE id = $1";
    int64_t st = SL_TXN_UNKNOWN;
    sl_cell p = sl_cell_int(id);
    sl_err err = {0};
    if (sl__lg_exec(s, c, sql, &p, 1, sl__lg_int_fn, &st, NULL, &err) != SL_OK) {
        st = SL_TXN_UNKNOWN;
        sl_err_clear(&err);
        sl__lg_run(s, sql, &p, 1, sl__lg_int_fn, &st, NULL, &err);
    }
    return st;
}

/* Two definitions store rows alike: the same columns in the same order, of the same types
 * (a rename or a widening that reads the same values is alike). */
static bool same_layout(const sl_tabledef *a, const sl_tabledef *b)
{
    if (a->n_cols != b->n_cols || a->key_model != b->key_model)
        return false;
    for (size_t i = 0; i < a->n_cols; i++) {
        const sl_type *x = &a->cols[i].type, *y = &b->cols[i].type;
        bool xt = sl_type_is_text(x), yt = sl_type_is_text(y);
        if (xt != yt || (!xt && x->id != y->id) ||
            (x->id == SL_DECIMAL && (x->scale != y->scale || (x->precision > 18) != (y->precision > 18))))
            return false;
    }
    return true;
}

/* On the publish connection, inside its transaction: the table still stores rows the way the
 * load wrote them. An ALTER TABLE that changed its columns after the load began (the load read
 * the definition before taking its label) makes the load fail rather than land in the wrong
 * columns. */
static sl_code layout_unchanged(sl_txn *t, sl_econn *c, sl_err *err)
{
    sl_arena_t a;
    sl_etable now;
    sl_err e2 = {0};
    sl_arena_init(&a, 4096);
    sl_code rc = sl__lg_table(t->s, c, t->t.db, t->t.name, t->t.id, &a, &now, &e2);
    if (rc == SL_OK && !same_layout(now.def, t->t.def))
        rc = sl_fail(err, SL_INVALID, "the columns of table %.*s changed (ALTER TABLE) while the "
                     "load ran; nothing was loaded: retry the load", (int)t->t.name.n,
                     t->t.name.p);
    else if (rc != SL_OK && SL_PRIMARY(rc) != SL_NOT_FOUND)
        rc = sl_fail(err, rc, "%s", e2.msg);
    else
        rc = SL_OK; /* dropped meanwhile: the engine's publish says so */
    sl_arena_free(&a);
    return rc;
}

/* commit and precommit: publish, flip the label on the publish connection, write the history
 * row, COMMIT. */
static sl_code finish(sl_txn *t, bool stage, const sl_load_record *rec, sl_err *err)
{
    sl_store *s = t->s;
    sl_econn *c = NULL;
    sl_code rc = t->err.code != SL_OK ? sl_fail(err, t->err.code, "%s", t->err.msg) : SL_OK;
    if (rc == SL_OK)
        rc = s->ev->w_publish(t->w, stage, &c, err);
    if (rc == SL_OK)
        rc = layout_unchanged(t, c, err);
    int64_t changed = 0;
    int64_t want = stage ? SL_TXN_PRECOMMITTED : SL_TXN_VISIBLE;
    pthread_mutex_lock(&s->mu);
    uint64_t rows = rec ? rec->loaded : t->rows, bytes = rec ? rec->bytes : t->bytes;
    pthread_mutex_unlock(&s->mu);
    sl_cell p[5] = {sl_cell_int(t->id), sl_cell_int(want), sl_cell_int((int64_t)sl__lg_now_ms()),
                    sl_cell_int((int64_t)rows), sl_cell_int((int64_t)bytes)};
    if (rc == SL_OK)
        rc = sl__lg_exec(s, c,
                         "UPDATE txns SET state = $2, finished_ms = $3, rows = $4, bytes = $5 "
                         "WHERE id = $1 AND state = 1",
                         p, 5, NULL, NULL, &changed, err);
    if (rc == SL_OK && changed != 1)
        rc = sl_fail(err, SL_TIMEOUT, "transaction [%lld] is already aborted",
                     (long long)t->id);
    if (rc == SL_OK && rec)
        rc = sl__lg_record(s, c, rec, err);
    bool committed = false;
    if (rc == SL_OK) {
        rc = s->ev->xcommit(c, err);
        committed = rc == SL_OK;
        if (rc != SL_OK && reread_state(s, c, t->id) == want) {
            sl_err_clear(err); /* the COMMIT did happen */
            rc = SL_OK, committed = true;
        }
    } else if (c) {
        s->ev->xrollback(c);
    }
    s->ev->w_close(t->w, committed);
    if (!committed) {
        char msg[SL_ERR_MSG_MAX + 64];
        sl_load_record r;
        if (rec)
            r = failed_record(rec, err, msg, sizeof msg);
        mark_aborted(s, t->id, err->msg, rec ? &r : NULL);
    }
    txn_free(t);
    return rc;
}

/* finish, timed for sl_store_stats. */
static sl_code finish_timed(sl_txn *t, bool stage, const sl_load_record *rec, sl_err *err)
{
    sl_store *s = t->s;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    sl_code rc = finish(t, stage, rec, err);
    clock_gettime(CLOCK_MONOTONIC, &b);
    int64_t us = (int64_t)(b.tv_sec - a.tv_sec) * 1000000 + (b.tv_nsec - a.tv_nsec) / 1000;
    sl__lg_count_commit(s, rc == SL_OK, us > 0 ? (uint64_t)us : 0);
    return rc;
}

sl_code sl_store_commit(sl_txn *t, const sl_load_record *rec, sl_err *err)
{
    return finish_timed(t, false, rec, err);
}

sl_code sl_store_precommit(sl_txn *t, const sl_load_record *rec, sl_err *err)
{
    return finish_timed(t, true, rec, err);
}

void sl_store_abort(sl_txn *t, const char *reason, const sl_load_record *rec)
{
    t->s->ev->w_close(t->w, false);
    mark_aborted(t->s, t->id, reason, rec);
    txn_free(t);
}

sl_code sl_store_label_state(sl_store *s, sl_slice db, sl_slice label, sl_label_info *out,
                             sl_err *err)
{
    out->txn_id = -1;
    out->state = SL_TXN_UNKNOWN;
    sl_econn *c;
    sl_code rc = s->ev->conn_get(s->e, &c, err);
    if (rc != SL_OK)
        return rc;
    bool exists;
    txn_row t = {0};
    sl_cell p[2] = {sl_cell_text(db), sl_cell_text(label)};
    if ((rc = sl__lg_db_exists(s, c, db, &exists, err)) == SL_OK && !exists)
        rc = sl_fail(err, SL_NOT_FOUND_DB, "unknown database, database=%.*s", (int)db.n, db.p);
    if (rc == SL_OK)
        rc = sl__lg_exec(s, c,
                         "SELECT id, state, table_id FROM txns WHERE db = $1 AND label = $2 "
                         "ORDER BY id DESC LIMIT 1",
                         p, 2, txn_fn, &t, NULL, err);
    s->ev->conn_put(c);
    if (rc == SL_OK && t.found) {
        out->txn_id = t.id;
        out->state = (uint8_t)t.state;
    }
    return rc;
}

/* Find the transaction 2PC acts on (see store.h) on c. */
static sl_code find_txn(sl_store *s, sl_econn *c, sl_slice db, int64_t id, sl_slice label,
                        bool commit, txn_row *t, sl_err *err)
{
    sl_cell p[4] = {sl_cell_text(db), id >= 0 ? sl_cell_int(id) : sl_cell_text(label),
                    sl_cell_int(SL_TXN_PRECOMMITTED),
                    sl_cell_int(commit ? SL_TXN_PRECOMMITTED : SL_TXN_PREPARE)};
    sl_code rc = id >= 0 ? sl__lg_exec(s, c,
                                       "SELECT id, state, table_id, tbl, usr, label FROM txns "
                                       "WHERE db = $1 AND id = $2",
                                       p, 2, txn_fn, t, NULL, err)
                         : sl__lg_exec(s, c,
                                       "SELECT id, state, table_id, tbl, usr, label FROM txns "
                                       "WHERE db = $1 AND label = $2 AND (state = $3 OR state = "
                                       "$4) ORDER BY CASE WHEN state = $3 THEN 0 ELSE 1 END, id "
                                       "DESC LIMIT 1",
                                       p, 4, txn_fn, t, NULL, err);
    if (rc != SL_OK || t->found)
        return rc;
    if (id >= 0)
        return sl_fail(err, SL_NOT_FOUND, "transaction [%lld] not found", (long long)id);
    /* Doris answers differently for a label it never saw. */
    int64_t known = 0;
    rc = sl__lg_exec(s, c, "SELECT 1 FROM txns WHERE db = $1 AND label = $2", p, 2,
                     sl__lg_int_fn, &known, NULL, err);
    if (rc != SL_OK)
        return rc;
    return known ? sl_fail(err, SL_NOT_FOUND, "running transaction not found, label=%.*s",
                           (int)label.n, label.p)
                 : sl_fail(err, SL_NOT_FOUND, "transaction not found, label=%.*s", (int)label.n,
                           label.p);
}

sl_code sl_store_find_txn(sl_store *s, sl_slice db, int64_t txn_id, sl_slice label, bool commit,
                          sl_arena_t *a, sl_txn_info *out, sl_err *err)
{
    sl_econn *c;
    sl_code rc = s->ev->conn_get(s->e, &c, err);
    if (rc != SL_OK)
        return rc;
    txn_row t = {.a = a};
    rc = find_txn(s, c, db, txn_id, label, commit, &t, err);
    s->ev->conn_put(c);
    if (rc == SL_OK)
        *out = (sl_txn_info){t.id, (uint8_t)t.state, t.tbl, t.usr, t.label};
    return rc == SL_NOMEM ? sl_fail(err, SL_NOMEM, "out of memory") : rc;
}

static sl_code check_state(int64_t state, int64_t id, bool commit, sl_err *err)
{
    if (state == SL_TXN_VISIBLE || state == SL_TXN_COMMITTED)
        return sl_fail(err, SL_INVALID, "transaction [%lld] is already visible, not "
                       "pre-committed.", (long long)id);
    if (state == SL_TXN_ABORTED)
        return sl_fail(err, SL_INVALID, "transaction [%lld] is already aborted. abort reason: "
                       "User Abort", (long long)id);
    if (commit && state != SL_TXN_PRECOMMITTED)
        return sl_fail(err, SL_INVALID, "transaction [%lld] is not pre-committed",
                       (long long)id);
    return SL_OK;
}

/* The second phase inside the caller's transaction on c. */
static sl_code finish_2pc_on(sl_store *s, sl_econn *c, sl_slice db, int64_t *txn_id,
                             sl_slice label, bool commit, sl_err *err)
{
    txn_row t = {0};
    sl_code rc = find_txn(s, c, db, *txn_id, label, commit, &t, err);
    if (rc != SL_OK)
        return rc;
    *txn_id = t.id;
    if ((rc = check_state(t.state, t.id, commit, err)) != SL_OK)
        return rc;
    /* The transition first: it locks the row, so two nodes racing on one transaction
     * serialise here and the second sees the new state. */
    int64_t changed = 0;
    sl_cell p[4] = {sl_cell_int(t.id), sl_cell_int(commit ? SL_TXN_VISIBLE : SL_TXN_ABORTED),
                    sl_cell_int((int64_t)sl__lg_now_ms()), sl_cell_int(t.state)};
    rc = sl__lg_exec(s, c,
                     commit ? "UPDATE txns SET state = $2, finished_ms = $3 WHERE id = $1 AND "
                              "state = $4"
                            : "UPDATE txns SET state = $2, finished_ms = $3, reason = 'User "
                              "Abort' WHERE id = $1 AND state = $4",
                     p, 4, NULL, NULL, &changed, err);
    if (rc == SL_OK && changed != 1)
        rc = sl_fail(err, SL_INVALID, "transaction [%lld] changed state meanwhile",
                     (long long)t.id);
    if (rc != SL_OK || t.state == SL_TXN_PREPARE)
        return rc; /* aborting a PREPARE: its writer notices at commit */
    sl_arena_t a;
    sl_arena_init(&a, 1024);
    sl_etable et = {db, SL_SLICE_NULL, t.table_id, NULL};
    sl_err terr = {0};
    sl_code trc = sl__lg_table(s, c, db, SL_SLICE_NULL, t.table_id, &a, &et, &terr);
    if (commit && trc != SL_OK)
        rc = sl_fail(err, trc, "%s", terr.msg);
    else
        rc = commit ? s->ev->stage_commit(c, &et, t.id, err)
                    : s->ev->stage_drop(c, &et, t.id, err);
    sl_arena_free(&a);
    return rc;
}

sl_code sl_store_finish_2pc(sl_store *s, sl_slice db, int64_t *txn_id, sl_slice label,
                            bool commit, sl_err *err)
{
    sl_econn *c;
    sl_code rc = s->ev->conn_get(s->e, &c, err);
    if (rc != SL_OK)
        return rc;
    if ((rc = s->ev->xbegin(c, err)) == SL_OK) {
        rc = finish_2pc_on(s, c, db, txn_id, label, commit, err);
        if (rc == SL_OK)
            rc = s->ev->xcommit(c, err);
        else
            s->ev->xrollback(c);
    }
    s->ev->conn_put(c);
    return rc;
}

/* Abort one PRECOMMITTED transaction past the precommit timeout, with its stage. */
static void expire_precommitted(sl_store *s, int64_t id, int64_t table_id, sl_slice db,
                                uint64_t now)
{
    sl_econn *c;
    sl_err err = {0};
    if (s->ev->conn_get(s->e, &c, &err) != SL_OK)
        return;
    sl_code rc = s->ev->xbegin(c, &err);
    int64_t changed = 0;
    sl_cell p[2] = {sl_cell_int(id), sl_cell_int((int64_t)now)};
    if (rc == SL_OK)
        rc = sl__lg_exec(s, c,
                         "UPDATE txns SET state = 5, finished_ms = $2, reason = 'precommit "
                         "timeout' WHERE id = $1 AND state = 2",
                         p, 2, NULL, NULL, &changed, &err);
    if (rc == SL_OK && changed == 1) {
        sl_arena_t a;
        sl_arena_init(&a, 1024);
        sl_etable et = {db, SL_SLICE_NULL, table_id, NULL};
        sl__lg_table(s, c, db, SL_SLICE_NULL, table_id, &a, &et, &err);
        rc = s->ev->stage_drop(c, &et, id, &err);
        sl_arena_free(&a);
    }
    if (rc == SL_OK)
        s->ev->xcommit(c, &err);
    else
        s->ev->xrollback(c);
    s->ev->conn_put(c);
}

typedef struct expired {
    struct {
        int64_t id, table_id;
        char db[256];
    } v[64];
    size_t n;
} expired;

static sl_code expired_fn(void *arg, const sl_cell *row, size_t n)
{
    expired *x = arg;
    if (n < 3 || x->n >= SL_COUNT(x->v))
        return SL_OK;
    x->v[x->n].id = row[0].i;
    x->v[x->n].table_id = row[1].i;
    snprintf(x->v[x->n].db, sizeof x->v[x->n].db, "%.*s", (int)row[2].s.n, row[2].s.p);
    x->n++;
    return SL_OK;
}

void sl__lg_expire(sl_store *s, uint64_t now)
{
    sl_err err = {0};
    uint64_t dead_before = now - (uint64_t)s->o.node_timeout_s * 1000;
    sl_cell p[2] = {sl_cell_int((int64_t)now), sl_cell_int((int64_t)dead_before)};
    sl__lg_run(s,
               "UPDATE txns SET state = 5, finished_ms = $1, reason = CASE WHEN timeout_s > 0 "
               "AND created_ms + timeout_s * 1000 < $1 THEN 'timeout by txn manager' ELSE "
               "'coordinator node is down' END WHERE state = 1 AND ((timeout_s > 0 AND "
               "created_ms + timeout_s * 1000 < $1) OR node IS NULL OR node NOT IN (SELECT id "
               "FROM nodes WHERE heartbeat_ms >= $2))",
               p, 2, NULL, NULL, NULL, &err);
    expired x = {.n = 0};
    sl_cell q = sl_cell_int((int64_t)(now - (uint64_t)s->o.precommit_timeout_s * 1000));
    if (sl__lg_run(s,
                   "SELECT id, table_id, db FROM txns WHERE state = 2 AND finished_ms < $1 "
                   "LIMIT 64",
                   &q, 1, expired_fn, &x, NULL, &err) != SL_OK)
        return;
    for (size_t i = 0; i < x.n; i++)
        expire_precommitted(s, x.v[i].id, x.v[i].table_id, sl_slice_of(x.v[i].db), now);
}

void sl__lg_gc(sl_store *s, uint64_t now)
{
    sl_err err = {0};
    sl_cell p[2] = {sl_cell_int((int64_t)(now - (uint64_t)s->o.label_keep_s * 1000)),
                    sl_cell_int((int64_t)(now - 3600 * 1000))};
    sl__lg_run(s, "DELETE FROM txns WHERE state IN (4, 5) AND finished_ms < $1", p, 1, NULL,
               NULL, NULL, &err);
    sl__lg_run(s, "DELETE FROM loads WHERE finish_ms < $1", p, 1, NULL, NULL, NULL, &err);
    sl__lg_run(s, "DELETE FROM handoffs WHERE created_ms < $1", p, 1, NULL, NULL, NULL, &err);
    /* Dead nodes stay listed (SHOW BACKENDS) for an hour. */
    sl__lg_run(s, "DELETE FROM nodes WHERE heartbeat_ms < $2", p, 2, NULL, NULL, NULL, &err);
}
