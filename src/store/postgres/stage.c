/*
 * stage.c - the second phase of a two-phase load, and recovery (store stage).
 *
 * A precommitted load's rows wait in sluice_stage."t<txn_id>", an ordinary table committed
 * together with the label's PRECOMMITTED state; its comment records how to merge it (sequence
 * column, replace, deletes, partial columns: merge.c). The second phase runs inside the
 * ledger's transaction on any node: stage_commit merges and drops the stage, stage_drop drops
 * it; the label's state changes in the same transaction, so a stage exists exactly while its
 * transaction is PRECOMMITTED. Recovery drops any other stage (left by a crash of an older
 * version, or by a table dropped by hand).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/mem.h"
#include "internal.h"

/* Keep the first column of the first row as a heap string. */
static sl_code note_fn(void *arg, const sl_cell *row, size_t n)
{
    char **out = arg;
    if (n == 0 || *out)
        return SL_OK;
    const char *v = row[0].kind == SL_CELL_TEXT ? row[0].s.p : "";
    size_t len = row[0].kind == SL_CELL_TEXT ? row[0].s.n : 0;
    *out = sl_malloc(len + 1);
    if (*out == NULL)
        return SL_NOMEM;
    memcpy(*out, v, len);
    (*out)[len] = '\0';
    return SL_OK;
}

/* The merge note of txn_id's stage; SL_BACKEND when the stage does not exist. Looked up in
 * pg_class rather than cast to regclass, so that a missing stage is not an error that would
 * abort the caller's transaction. */
static sl_code stage_note(sl_econn *c, int64_t txn_id, char **note, sl_err *err)
{
    char rel[32];
    snprintf(rel, sizeof rel, "t%lld", (long long)txn_id);
    sl_cell p = sl_cell_text(sl_slice_of(rel));
    *note = NULL;
    sl_code rc = sl__pg_exec(c,
                             "SELECT coalesce(obj_description(c.oid, 'pg_class'), '') FROM "
                             "pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE "
                             "n.nspname = 'sluice_stage' AND c.relname = $1",
                             &p, 1, note_fn, note, NULL, err);
    if (rc == SL_OK && *note == NULL)
        rc = sl_fail(err, SL_BACKEND, "the stage of transaction %lld is missing",
                     (long long)txn_id);
    return rc;
}

sl_code sl__pg_stage_commit(sl_econn *c, const sl_etable *t, int64_t txn_id, sl_err *err)
{
    if (t == NULL || t->def == NULL)
        return sl_fail(err, SL_INTERNAL, "stage_commit without the table definition");
    char *note = NULL;
    sl_code rc = stage_note(c, txn_id, &note, err);
    if (rc != SL_OK)
        return rc;
    sl_buf st = SL_BUF_INIT;
    sl__pg_stage_name(&st, txn_id);
    pg_merge m = {t->def, t->db, t->name, t->id, st.p, -1, false, false, 0,
                  sl__pg_nulls_nd(c->e, t->def), false};
    if (!sl__pg_merge_parse(note, &m))
        rc = sl_fail(err, SL_BACKEND, "the stage of transaction %lld has no merge note",
                     (long long)txn_id);
    if (rc == SL_OK && st.oom)
        rc = sl_fail(err, SL_NOMEM, "out of memory");
    if (rc == SL_OK && m.seq_col >= (long)t->def->n_cols)
        m.seq_col = -1; /* the table changed shape: no sequence to honour */
    if (rc == SL_OK)
        rc = sl__pg_merge(c, &m, err);
    if (rc == SL_OK)
        rc = sl__pg_stage_drop(c, t, txn_id, err);
    sl_free(note);
    sl_buf_free(&st);
    return rc;
}

sl_code sl__pg_stage_drop(sl_econn *c, const sl_etable *t, int64_t txn_id, sl_err *err)
{
    (void)t; /* the stage is named by the transaction alone */
    sl_buf b = SL_BUF_INIT;
    sl_buf_puts(&b, "DROP TABLE IF EXISTS ");
    sl__pg_stage_name(&b, txn_id);
    sl_code rc = b.oom ? sl_fail(err, SL_NOMEM, "out of memory") : sl__pg_run(c, b.p, err);
    sl_buf_free(&b);
    return rc;
}

/* Transaction ids of the stages that exist now (row callback). */
typedef struct idvec {
    int64_t *v;
    size_t n, cap;
} idvec;

static sl_code id_fn(void *arg, const sl_cell *row, size_t n)
{
    idvec *L = arg;
    if (n == 0 || row[0].kind != SL_CELL_TEXT || row[0].s.n < 2)
        return SL_OK;
    if (L->n == L->cap) {
        size_t cap = L->cap ? L->cap * 2 : 16;
        int64_t *v = sl_realloc(L->v, cap * sizeof *v);
        if (v == NULL)
            return SL_NOMEM;
        L->v = v, L->cap = cap;
    }
    L->v[L->n++] = strtoll(row[0].s.p + 1, NULL, 10);
    return SL_OK;
}

sl_code sl__pg_recover(sl_engine *e, bool (*staged)(void *arg, int64_t txn_id), void *arg,
                       sl_err *err)
{
    sl_econn *c;
    sl_code rc = sl__pg_get(e, &e->cat, &c, err);
    if (rc != SL_OK)
        return rc;
    idvec L = {0};
    rc = sl__pg_exec(c,
                     "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = "
                     "c.relnamespace WHERE n.nspname = 'sluice_stage' AND c.relkind = 'r' AND "
                     "c.relname ~ '^t[0-9]+$'",
                     NULL, 0, id_fn, &L, NULL, err);
    /* staged() asks the ledger, which borrows a catalog connection of its own. */
    for (size_t i = 0; rc == SL_OK && i < L.n; i++) {
        if (staged(arg, L.v[i]))
            continue;
        sl_buf b = SL_BUF_INIT;
        sl_buf_puts(&b, "SET lock_timeout = '5s'; DROP TABLE IF EXISTS ");
        sl__pg_stage_name(&b, L.v[i]);
        sl_buf_puts(&b, "; RESET lock_timeout");
        sl_err e2 = {0}; /* a stage in use (being committed right now) is left for later */
        if (!b.oom && sl__pg_run(c, b.p, &e2) != SL_OK && c->broken)
            rc = sl_fail(err, e2.code, "%s", e2.msg);
        if (!c->broken)
            sl__pg_run(c, "RESET lock_timeout", &e2);
        sl_buf_free(&b);
    }
    sl_free(L.v);
    sl__pg_put(c);
    return rc;
}
