/*
 * conn.c - the SQLite engine's catalog connection, on which the ledger runs its portable SQL
 * (store stage). One connection, guarded by the engine's mutex: borrowing it locks, returning
 * it unlocks. Ledger statements are short (a label, a history row), so one writer is enough;
 * loads never hold it while rows stream.
 *
 * The ledger writes parameters as $1..$n; SQLite reads ?NNN, so each statement's text is
 * respelled once and kept prepared, keyed by the address of the ledger's static text.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../core/buf.h"
#include "../../core/mem.h"
#include "internal.h"

/* The engine whose connection this thread holds: asking for it again would wait for
 * ourselves forever, so that is an error instead (the ledger then takes another way). */
static _Thread_local const sl_engine *held_here;

sl_code sl__sq_conn_get(sl_engine *e, sl_econn **c, sl_err *err)
{
    if (held_here == e)
        return sl_fail(err, SL_INTERNAL, "the catalog connection is in use by this thread");
    pthread_mutex_lock(&e->mu);
    held_here = e;
    e->conn.held = true;
    *c = &e->conn;
    return SL_OK;
}

/* Delete what the committed transaction unregistered (called without mu: files before mu). */
static void unlink_doomed(sl_engine *e, sq_doomed *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (d[i].file)
            sl__sq_unlink_files(e, d[i].table_id, &d[i].file, 1);
        else {
            char *dir = sl__sq_table_dir(e, d[i].table_id);
            if (dir)
                rmdir(dir); /* only succeeds when empty */
            sl_free(dir);
        }
        free(d[i].file);
    }
    sl_free(d);
}

static void forget_doomed(sl_econn *c)
{
    for (size_t i = 0; i < c->n_doomed; i++)
        free(c->doomed[i].file);
    c->n_doomed = 0;
}

void sl__sq_conn_put(sl_econn *c)
{
    sl_engine *e = c->e;
    if (c->in_txn)
        sl__sq_xrollback(c);
    /* Doomed entries left here belong to a committed transaction (rollback forgets them). */
    sq_doomed *d = c->doomed;
    size_t n = c->n_doomed;
    c->doomed = NULL;
    c->n_doomed = c->cap_doomed = 0;
    c->held = false;
    held_here = NULL;
    pthread_mutex_unlock(&e->mu);
    unlink_doomed(e, d, n);
}

sl_code sl__sq_xbegin(sl_econn *c, sl_err *err)
{
    sl_code rc = sl__sq_exec(c->e->cat, "BEGIN IMMEDIATE", err);
    c->in_txn = rc == SL_OK;
    return rc;
}

sl_code sl__sq_xcommit(sl_econn *c, sl_err *err)
{
    sl_code rc = sl__sq_exec(c->e->cat, "COMMIT", err);
    if (rc != SL_OK) {
        sl__sq_exec(c->e->cat, "ROLLBACK", NULL);
        forget_doomed(c);
    }
    c->in_txn = false;
    return rc;
}

void sl__sq_xrollback(sl_econn *c)
{
    if (c->in_txn)
        sl__sq_exec(c->e->cat, "ROLLBACK", NULL);
    c->in_txn = false;
    forget_doomed(c);
}

sl_code sl__sq_catalog_lock(sl_econn *c, sl_err *err)
{
    (void)c, (void)err; /* BEGIN IMMEDIATE holds the database's write lock already */
    return SL_OK;
}

sl_code sl__sq_doom(sl_econn *c, int64_t table_id, const char *file, sl_err *err)
{
    if (c->n_doomed == c->cap_doomed) {
        size_t cap = c->cap_doomed ? c->cap_doomed * 2 : 8;
        sq_doomed *d = sl_realloc(c->doomed, cap * sizeof *d);
        if (d == NULL)
            return sl_fail(err, SL_NOMEM, "out of memory");
        c->doomed = d, c->cap_doomed = cap;
    }
    char *f = NULL;
    if (file && (f = strdup(file)) == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    c->doomed[c->n_doomed++] = (sq_doomed){table_id, f};
    return SL_OK;
}

/* "$3" -> "?3" outside string literals and quoted names. */
static char *respell(const char *sql)
{
    size_t n = strlen(sql);
    char *out = malloc(n + 1), quote = 0;
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i <= n; i++) {
        char ch = sql[i];
        if (quote) {
            if (ch == quote)
                quote = 0;
        } else if (ch == '\'' || ch == '"') {
            quote = ch;
        } else if (ch == '$' && i + 1 < n && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
            ch = '?';
        }
        out[i] = ch;
    }
    return out;
}

/* The prepared statement for sql, cached by address and text (a caller may build texts in
 * one buffer). */
static sl_code prepare(sl_econn *c, const char *sql, sqlite3_stmt **out, sl_err *err)
{
    for (size_t i = 0; i < SQ_STMT_CACHE; i++)
        if (c->cache[i].key == sql && strcmp(c->cache[i].text, sql) == 0) {
            *out = c->cache[i].st;
            return SL_OK;
        }
    char *text = respell(sql), *copy = strdup(sql);
    if (text == NULL || copy == NULL) {
        free(text);
        free(copy);
        return sl_fail(err, SL_NOMEM, "out of memory");
    }
    sqlite3_stmt *st;
    int r = sqlite3_prepare_v3(c->e->cat, text, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    free(text);
    if (r != SQLITE_OK) {
        free(copy);
        return sl__sq_error(c->e->cat, "catalog", err);
    }
    size_t k = c->cache_next++ % SQ_STMT_CACHE;
    sqlite3_finalize(c->cache[k].st);
    free(c->cache[k].text);
    c->cache[k].key = sql;
    c->cache[k].text = copy;
    c->cache[k].st = st;
    *out = st;
    return SL_OK;
}

static void bind(sqlite3_stmt *st, const sl_cell *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int k = (int)i + 1;
        switch (p[i].kind) {
        case SL_CELL_INT: sqlite3_bind_int64(st, k, p[i].i); break;
        case SL_CELL_REAL: sqlite3_bind_double(st, k, p[i].d); break;
        case SL_CELL_TEXT:
            sqlite3_bind_text(st, k, p[i].s.p ? p[i].s.p : "", (int)p[i].s.n, SQLITE_STATIC);
            break;
        default: sqlite3_bind_null(st, k); break;
        }
    }
}

static sl_code emit_row(sqlite3_stmt *st, sl_cell_fn fn, void *arg)
{
    sl_cell row[24];
    int n = sqlite3_column_count(st);
    if (n > (int)SL_COUNT(row))
        n = (int)SL_COUNT(row);
    for (int i = 0; i < n; i++) {
        sl_cell *v = &row[i];
        memset(v, 0, sizeof *v);
        switch (sqlite3_column_type(st, i)) {
        case SQLITE_INTEGER: v->kind = SL_CELL_INT, v->i = sqlite3_column_int64(st, i); break;
        case SQLITE_FLOAT: v->kind = SL_CELL_REAL, v->d = sqlite3_column_double(st, i); break;
        case SQLITE_NULL: v->kind = SL_CELL_NULL; break;
        default:
            v->kind = SL_CELL_TEXT;
            v->s.p = (const char *)sqlite3_column_text(st, i);
            v->s.n = (size_t)sqlite3_column_bytes(st, i);
            if (v->s.p == NULL)
                v->s.p = "";
            break;
        }
    }
    return fn(arg, row, (size_t)n);
}

sl_code sl__sq_cexec(sl_econn *c, const char *sql, const sl_cell *p, size_t n, sl_cell_fn fn,
                     void *arg, int64_t *changes, sl_err *err)
{
    sqlite3_stmt *st = NULL;
    sl_code rc = prepare(c, sql, &st, err);
    if (rc != SL_OK)
        return rc;
    bind(st, p, n);
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW)
        if (fn && (rc = emit_row(st, fn, arg)) != SL_OK)
            break;
    if (rc == SL_OK && r != SQLITE_DONE) {
        int ext = sqlite3_extended_errcode(c->e->cat);
        if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
            rc = sl_fail(err, SL_CONFLICT, "%s", sqlite3_errmsg(c->e->cat));
        else
            rc = sl__sq_error(c->e->cat, "catalog", err);
    } else if (rc != SL_OK) {
        sl_fail(err, rc, "%s", rc == SL_NOMEM ? "out of memory" : "catalog row callback failed");
    }
    if (changes)
        *changes = sqlite3_changes(c->e->cat);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}
