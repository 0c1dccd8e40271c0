/*
 * ledger.h - shared inside the ledger files of src/store/ (store stage): the store object, the
 * transaction object, and small helpers over the engine's catalog SQL.
 *
 *   ledger.c        open/close, catalog schema, databases and tables, nodes, maintenance
 *   ledger_txn.c    load transactions: begin, commit, precommit, abort, 2PC, label lookups
 *   ledger_hist.c   load history (SHOW STREAM LOAD) and SHOW TRANSACTION
 *   ledger_user.c   users and grants
 *   ledger_query.c  SELECT: table lookup, binding, engine
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_LEDGER_H
#define SL_LEDGER_H

#include <pthread.h>
#include <stdatomic.h>

#include "engine.h"

#define SL_LG_OWED_MAX 256

struct sl_store {
    const sl_engine_vtab *ev;
    sl_engine *e;
    char *url, *data_dir, *host;   /* heap copies of the options' strings */
    sl_store_opts o;               /* strings point at the copies above */
    char node_id[40];              /* random per open */
    pthread_mutex_t mu;            /* guards the fields below */
    pthread_cond_t cv;
    uint32_t running;              /* loads between begin and commit/abort */
    struct sl_txn *open;           /* those loads' transactions (progress), a list */
    uint64_t last_expire_ms;       /* when sl__lg_expire last ran */
    /* Aborts whose catalog write failed (a full disk, a lost connection): the maintenance
     * thread writes them again, so a dead load's label does not stay PREPARE (and taken)
     * until its timeout. */
    int64_t owed[SL_LG_OWED_MAX];
    size_t n_owed;
    bool stopping;
    bool maint_started;
    pthread_t maint;
    /* sl_store_stats counters (any thread). */
    atomic_ullong n_commits, n_commit_failures, commit_us_sum;
    atomic_ullong commit_buckets[SL_STORE_COMMIT_BUCKETS + 1];
    atomic_ullong heartbeat_ok_ms;
};

struct sl_txn {
    sl_store *s;
    struct sl_txn *prev, *next;    /* s->open, under s->mu */
    uint64_t rows, bytes;          /* progress so far, under s->mu */
    uint64_t saved_rows, saved_bytes; /* what the catalog shows, under s->mu */
    int64_t id;
    sl_ewriter *w;
    sl_etable t;                   /* db and name point into names[] */
    char *names;                   /* heap: db, table, label, user */
    sl_slice label, user;
    bool two_phase;
    sl_err err;                    /* the first failure: later calls return it [LMDB] */
};

/* Wall clock in ms since the epoch. */
uint64_t sl__lg_now_ms(void);

/* Run one statement on a borrowed connection (conn_get ... conn_put) outside any transaction.
 * See engine.h exec for fn and changes. */
sl_code sl__lg_run(sl_store *s, const char *sql, const sl_cell *p, size_t n, sl_cell_fn fn,
                   void *arg, int64_t *changes, sl_err *err);

/* exec on c, shorter. */
static inline sl_code sl__lg_exec(sl_store *s, sl_econn *c, const char *sql, const sl_cell *p,
                                  size_t n, sl_cell_fn fn, void *arg, int64_t *changes,
                                  sl_err *err)
{
    return s->ev->exec(c, sql, p, n, fn, arg, changes, err);
}

/* Row callbacks: keep the first column of the first row as an integer (*(int64_t *)arg, left
 * alone when there is no row) / as a copy in an arena (struct sl__lg_text). */
sl_code sl__lg_int_fn(void *arg, const sl_cell *row, size_t n);
typedef struct sl__lg_text {
    sl_arena_t *a;
    sl_slice v;                    /* NULL slice when no row */
} sl__lg_text;
sl_code sl__lg_text_fn(void *arg, const sl_cell *row, size_t n);

/* Does database db exist? (on c) */
sl_code sl__lg_db_exists(sl_store *s, sl_econn *c, sl_slice db, bool *out, sl_err *err);

/* The table row of db.name or of id (id >= 0): its id and parsed definition (def and its
 * text in a). SL_NOT_FOUND when absent. */
sl_code sl__lg_table(sl_store *s, sl_econn *c, sl_slice db, sl_slice name, int64_t id,
                     sl_arena_t *a, sl_etable *out, sl_err *err);

/* Write a history row on c (inside the caller's transaction when it has one). */
sl_code sl__lg_record(sl_store *s, sl_econn *c, const sl_load_record *r, sl_err *err);

/* Abort transactions that can no longer finish: PREPARE ones past their timeout or whose node
 * is dead, PRECOMMITTED ones past the precommit timeout (their stages dropped). */
void sl__lg_expire(sl_store *s, uint64_t now);

/* sl__lg_expire when it has not run for a while (a tenth of the precommit timeout, at most 5 s):
 * the maintenance thread and every begin call it, so short timeouts act promptly. */
void sl__lg_maybe_expire(sl_store *s, uint64_t now);

/* Write the progress of this node's running loads to their txns rows (every heartbeat), so
 * SHOW TRANSACTION shows rows and bytes so far on every node. */
void sl__lg_save_progress(sl_store *s);

/* Write again the aborts that failed (s->owed); the maintenance thread calls it every
 * heartbeat. Those written leave the list; the others wait for the next call. */
void sl__lg_retry_aborts(sl_store *s);

/* Count one commit (or precommit) that took us microseconds (ledger.c). */
void sl__lg_count_commit(sl_store *s, bool ok, uint64_t us);

/* Forget finished transactions and history older than the label retention. */
void sl__lg_gc(sl_store *s, uint64_t now);

/* Users and grants bootstrap (ledger_user.c) is done by load/auth.c; nothing here. */

#endif
