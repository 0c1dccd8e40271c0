/*
 * exec.c - the ledger's catalog SQL on PostgreSQL (store stage, engine `exec`).
 *
 * Parameters go as text ($1..$n; their types are inferred by the server from the statement),
 * rows come back as text and are handed to the callback as cells: int2/int4/int8/oid -> INT,
 * float4/float8 -> REAL, NULL -> NULL, everything else TEXT. Statements the ledger repeats are
 * prepared once per connection: the cache is keyed by the SQL text's pointer (the ledger's
 * statements are string literals) and confirmed by comparing the text, since a caller may
 * reuse one buffer for different statements.
 *
 * PostgreSQL text holds neither NUL bytes nor invalid UTF-8; a TEXT parameter with either
 * (a load's error message quoting a Latin-1 value) is sent with those bytes replaced by
 * U+FFFD, so that writing history never fails on what it quotes.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../core/mem.h"
#include "internal.h"

/* Parameters are at most this many (the ledger's widest statement has 19). */
#define MAX_PARAMS 64
/* Result columns handed to the callback at most (the ledger reads at most 19). */
#define MAX_COLS 128

void sl__pg_stmts_clear(sl_econn *c)
{
    for (uint32_t i = 0; i < c->n_stmts; i++)
        sl_free(c->stmts[i].sql);
    c->n_stmts = 0;
}

/* Statements worth preparing: those the ledger runs again and again (DDL runs once). */
static bool cacheable(const char *sql)
{
    while (*sql == ' ' || *sql == '\n' || *sql == '\t')
        sql++;
    static const char *const verbs[] = {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"};
    for (size_t i = 0; i < SL_COUNT(verbs); i++)
        if (strncasecmp(sql, verbs[i], strlen(verbs[i])) == 0)
            return true;
    return false;
}

/* Drop one cached statement (its plan went stale, or its slot is needed). */
static void forget(sl_econn *c, pg_stmt *s)
{
    char dealloc[48];
    snprintf(dealloc, sizeof dealloc, "DEALLOCATE sl%u", s->name);
    PQclear(PQexec(c->pg, dealloc));
    sl_free(s->sql);
    *s = c->stmts[--c->n_stmts];
}

/* The prepared statement for sql on c, preparing it when new (the least recently used one
 * makes room when the cache is full). NULL when it cannot be prepared: then *res holds the
 * server's error (NULL: out of memory). */
static pg_stmt *prepared(sl_econn *c, const char *sql, size_t n_params, PGresult **res)
{
    *res = NULL;
    pg_stmt *lru = NULL;
    for (uint32_t i = 0; i < c->n_stmts; i++) {
        pg_stmt *s = &c->stmts[i];
        if (s->key == sql && strcmp(s->sql, sql) == 0) {
            s->used = ++c->clock;
            return s;
        }
        if (lru == NULL || s->used < lru->used)
            lru = s;
    }
    size_t len = strlen(sql) + 1;
    char *copy = sl_malloc(len);
    if (copy == NULL)
        return NULL;
    memcpy(copy, sql, len);
    if (c->n_stmts == SL_PG_STMT_CACHE)
        forget(c, lru);
    uint32_t id = ++c->next_name;
    char name[32];
    snprintf(name, sizeof name, "sl%u", id);
    PGresult *r = PQprepare(c->pg, name, sql, (int)n_params, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        sl_free(copy);
        *res = r;
        return NULL;
    }
    PQclear(r);
    pg_stmt *s = &c->stmts[c->n_stmts++];
    *s = (pg_stmt){sql, copy, id, ++c->clock};
    return s;
}

/* Append p[0..n) with NUL and invalid UTF-8 replaced by U+FFFD, then a NUL terminator. */
static void put_clean(sl_buf *b, const char *p, size_t n)
{
    while (n > 0) {
        size_t ok = sl__pg_utf8_valid(p, n);
        sl_buf_append(b, p, ok);
        if (ok == n)
            break;
        sl_buf_append(b, "\xef\xbf\xbd", 3);
        p += ok + 1, n -= ok + 1;
    }
    sl_buf_putc(b, '\0');
}

/* Parameters as NUL-terminated texts in b; vals[i] points into b (NULL for SQL NULL). */
static bool texts(const sl_cell *params, size_t n, sl_buf *b, const char **vals)
{
    size_t off[MAX_PARAMS];
    for (size_t i = 0; i < n; i++) {
        off[i] = b->len;
        switch (params[i].kind) {
        case SL_CELL_INT:
            sl_buf_printf(b, "%lld", (long long)params[i].i);
            sl_buf_putc(b, '\0');
            break;
        case SL_CELL_REAL:
            sl_buf_printf(b, "%.17g", params[i].d);
            sl_buf_putc(b, '\0');
            break;
        case SL_CELL_TEXT:
            put_clean(b, params[i].s.p, params[i].s.n);
            break;
        default:
            off[i] = SIZE_MAX;
            break;
        }
    }
    if (b->oom)
        return false;
    for (size_t i = 0; i < n; i++)
        vals[i] = off[i] == SIZE_MAX ? NULL : b->p + off[i];
    return true;
}

static int64_t parse_int(const char *p)
{
    return strtoll(p, NULL, 10);
}

/* Hand every row of r to fn. */
static sl_code rows(sl_econn *c, PGresult *r, sl_cell_fn fn, void *arg, sl_err *err)
{
    int nr = PQntuples(r), nc = PQnfields(r);
    if (nc > MAX_COLS)
        return sl_fail(err, SL_INTERNAL, "catalog statement returns %d columns", nc);
    uint8_t kind[MAX_COLS];
    for (int k = 0; k < nc; k++) {
        Oid t = PQftype(r, k);
        kind[k] = t == 20 || t == 21 || t == 23 || t == 26 ? SL_CELL_INT
                  : t == 700 || t == 701                   ? SL_CELL_REAL
                                                           : SL_CELL_TEXT;
    }
    sl_cell cells[MAX_COLS];
    for (int i = 0; i < nr; i++) {
        for (int k = 0; k < nc; k++) {
            sl_cell *x = &cells[k];
            *x = (sl_cell){SL_CELL_NULL, 0, 0, {NULL, 0}};
            if (PQgetisnull(r, i, k))
                continue;
            const char *v = PQgetvalue(r, i, k);
            x->kind = kind[k];
            if (kind[k] == SL_CELL_INT)
                x->i = parse_int(v);
            else if (kind[k] == SL_CELL_REAL)
                x->d = strtod(v, NULL);
            x->s = (sl_slice){v, (size_t)PQgetlength(r, i, k)};
        }
        sl_code rc = fn(arg, cells, (size_t)nc);
        if (rc != SL_OK)
            return sl_fail(err, rc, "%s", sl_code_text(rc));
    }
    (void)c;
    return SL_OK;
}

/* Run once: prepared when cacheable, else with PQexecParams. *stale: the prepared statement
 * is gone or its plan changed shape (retry unprepared). */
static PGresult *run(sl_econn *c, const char *sql, const char **vals, size_t n, bool *stale)
{
    *stale = false;
    if (!cacheable(sql))
        return PQexecParams(c->pg, sql, (int)n, NULL, vals, NULL, NULL, 0);
    PGresult *perr;
    pg_stmt *s = prepared(c, sql, n, &perr);
    if (s == NULL)
        return perr;
    char name[32];
    snprintf(name, sizeof name, "sl%u", s->name);
    PGresult *r = PQexecPrepared(c->pg, name, (int)n, vals, NULL, NULL, 0);
    const char *st = sl__pg_state(r);
    if (strcmp(st, "26000") == 0 || strcmp(st, "0A000") == 0) {
        /* DISCARD ALL by a pooler, or "cached plan must not change result type". */
        if (strcmp(st, "26000") == 0)
            sl__pg_stmts_clear(c);
        else
            forget(c, s);
        *stale = PQtransactionStatus(c->pg) == PQTRANS_IDLE; /* a failed txn cannot retry */
    }
    return r;
}

sl_code sl__pg_exec(sl_econn *c, const char *sql, const sl_cell *params, size_t n_params,
                    sl_cell_fn fn, void *arg, int64_t *changes, sl_err *err)
{
    if (changes)
        *changes = 0;
    if (n_params > MAX_PARAMS)
        return sl_fail(err, SL_INTERNAL, "too many parameters (%zu)", n_params);
    if (c->broken)
        return sl_fail(err, SL_BACKEND, "store unavailable: connection lost (%s)", c->e->shown);
    const char *vals[MAX_PARAMS];
    sl_buf b = SL_BUF_INIT;
    if (!texts(params, n_params, &b, vals)) {
        sl_buf_free(&b);
        return sl_fail(err, SL_NOMEM, "out of memory");
    }
    bool stale;
    PGresult *r = run(c, sql, vals, n_params, &stale);
    if (stale) {
        PQclear(r);
        r = PQexecParams(c->pg, sql, (int)n_params, NULL, vals, NULL, NULL, 0);
    }
    sl_buf_free(&b);
    sl_code rc = SL_OK;
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
        rc = sl__pg_fail(c, r, "catalog statement", err);
    if (rc == SL_OK && s == PGRES_TUPLES_OK && fn)
        rc = rows(c, r, fn, arg, err);
    if (rc == SL_OK && changes)
        *changes = parse_int(PQcmdTuples(r));
    PQclear(r);
    return rc;
}
