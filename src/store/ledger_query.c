/*
 * ledger_query.c - SELECT and the node list in the ledger (store stage).
 *
 * A SELECT names one table: the ledger resolves it in the catalog, checks the statement
 * against the table's columns (sl_select_bind: unknown names are errors with Doris's texts)
 * and hands it to the engine, which renders it in its own dialect and streams the rows out.
 * Nothing user-written reaches an engine as SQL text.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../core/mem.h"
#include "../core/tz.h"
#include "../expr/expr.h"
#include "ledger.h"

/* Check sel against t (NULL without FROM): every name resolved, types settled. */
static sl_code bind(sl_select *sel, const sl_etable *t, sl_slice db, const sl_query_limits *L,
                    sl_arena_t *a, sl_err *err)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int32_t off = L->tz ? sl_tz_offset_utc(L->tz, ts.tv_sec) : L->tz_offset_s;
    sl_select_env env = {off, (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000, db, L->tz};
    return sl_select_bind(sel, t ? t->def : NULL, &env, a, err);
}

/* The most text one result row can hold from computation: computed text values are at most
 * 1 MiB each (the expression engine's string limit), constants their size; stored values and
 * aggregates are bounded where they are made. Past the byte limit, a statement of many big
 * computed columns is refused before any engine builds one such row. */
static sl_code row_width(const sl_select *sel, const sl_query_limits *L, sl_err *err)
{
    uint64_t w = 0;
    for (size_t i = 0; i < sel->n_out; i++) {
        const sl_expr *e = sel->out[i].expr;
        sl_datum v;
        if (!sl_type_is_text(&sel->out[i].type) || sl_expr_kind_of(e) == SL_E_COL ||
            sl_expr_has_agg(e))
            continue;
        w += sl_expr_kind_of(e) != SL_E_LIT ? UINT64_C(1) << 20 : sl_expr_lit(e, &v) ? v.s.n : 0;
    }
    if (w > L->max_bytes)
        return sl_fail(err, SL_TOO_LARGE, "MEM_LIMIT_EXCEEDED: the computed columns of one row "
                       "could reach %llu bytes, past the query's limit of %llu bytes",
                       (unsigned long long)w, (unsigned long long)L->max_bytes);
    return SL_OK;
}

sl_code sl_store_query(sl_store *s, sl_slice db, sl_select *sel, const sl_query_limits *lim,
                       const sl_query_sink *sink, sl_err *err)
{
    sl_query_limits L = sl_query_limits_or_default(lim);
    sl_arena_t a;
    sl_arena_init(&a, 4096);
    sl_code rc;
    if (sel->table.n == 0) {
        if ((rc = bind(sel, NULL, db, &L, &a, err)) == SL_OK &&
            (rc = row_width(sel, &L, err)) == SL_OK)
            rc = s->ev->query(s->e, NULL, sel, &L, sink, err);
        sl_arena_free(&a);
        return rc;
    }
    sl_slice qdb = sel->db.n ? sel->db : db;
    sl_econn *c;
    sl_etable t;
    rc = s->ev->conn_get(s->e, &c, err);
    if (rc == SL_OK) {
        bool exists;
        if ((rc = sl__lg_db_exists(s, c, qdb, &exists, err)) == SL_OK && !exists)
            rc = sl_fail(err, SL_NOT_FOUND_DB, "Unknown database '%.*s'", (int)qdb.n, qdb.p);
        sl_err terr = {0};
        if (rc == SL_OK &&
            (rc = sl__lg_table(s, c, qdb, sel->table, -1, &a, &t, &terr)) != SL_OK)
            rc = SL_PRIMARY(rc) == SL_NOT_FOUND
                     ? sl_fail(err, SL_NOT_FOUND, "Unknown table '%.*s'", (int)sel->table.n,
                               sel->table.p)
                     : sl_fail(err, rc, "%s", terr.msg);
        s->ev->conn_put(c);
    }
    if (rc == SL_OK)
        rc = bind(sel, &t, qdb, &L, &a, err);
    if (rc == SL_OK)
        rc = row_width(sel, &L, err);
    if (rc == SL_OK)
        rc = s->ev->query(s->e, &t, sel, &L, sink, err);
    sl_arena_free(&a);
    return rc;
}

typedef struct nodes {
    sl_arena_t *a;
    sl_node_rec *v;
    size_t n, cap;
    const char *me;
    uint64_t alive_after;
} nodes;

static sl_code node_fn(void *arg, const sl_cell *row, size_t n)
{
    nodes *L = arg;
    if (n < 8)
        return SL_INTERNAL;
    sl_node_rec *v = sl_arena_grow(L->a, L->v, L->n, &L->cap, sizeof *v);
    if (v == NULL)
        return SL_NOMEM;
    L->v = v;
    sl_node_rec *r = &L->v[L->n];
    r->id = sl_arena_slice(L->a, row[0].s);
    r->host = sl_arena_slice(L->a, row[1].kind == SL_CELL_TEXT ? row[1].s : SL_LIT(""));
    r->fe_port = (int)row[2].i, r->be_port = (int)row[3].i, r->tsload_port = (int)row[4].i;
    r->started_ms = (uint64_t)row[5].i, r->heartbeat_ms = (uint64_t)row[6].i;
    r->running = (uint32_t)row[7].i;
    r->alive = r->heartbeat_ms >= L->alive_after;
    r->self = sl_slice_eq(r->id, L->me);
    if (r->id.p == NULL || r->host.p == NULL)
        return SL_NOMEM;
    if (r->self && L->n > 0) { /* this node first */
        sl_node_rec me = *r;
        memmove(&L->v[1], &L->v[0], L->n * sizeof *L->v);
        L->v[0] = me;
    }
    L->n++;
    return SL_OK;
}

sl_code sl_store_nodes(sl_store *s, sl_arena_t *a, sl_node_rec **out, size_t *n, sl_err *err)
{
    nodes L = {a, NULL, 0, 0, s->node_id,
               sl__lg_now_ms() - (uint64_t)s->o.node_timeout_s * 1000};
    sl_code rc = sl__lg_run(s,
                            "SELECT id, host, fe_port, be_port, tsload_port, started_ms, "
                            "heartbeat_ms, running FROM nodes ORDER BY started_ms, id",
                            NULL, 0, node_fn, &L, NULL, err);
    if (rc == SL_OK && L.n && L.v[0].self) {
        pthread_mutex_lock(&s->mu); /* our own count is live, not a heartbeat old */
        L.v[0].running = s->running;
        L.v[0].alive = true;
        pthread_mutex_unlock(&s->mu);
    }
    *out = L.v, *n = L.n;
    return rc == SL_NOMEM ? sl_fail(err, SL_NOMEM, "out of memory") : rc;
}
