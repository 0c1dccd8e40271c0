/*
 * writer.c - one load into PostgreSQL (store stage): the engine's w_* functions.
 *
 *   w_open      names the stage and builds the COPY; takes no connection yet
 *   w_append    batch -> binary COPY tuples (copy.c) in a buffer; at SEND_BYTES the writer
 *               attaches (a writer connection, BEGIN, the stage, COPY) and PQputCopyData
 *   w_publish   end the COPY; merge the stage into the table (merge.c), or keep it for 2PC;
 *               hand the connection, still in its transaction, to the ledger
 *   w_close     roll back unless the ledger committed; the connection goes back to its pool
 *
 * Where the rows go:
 *   DUPLICATE table, plain load     the table itself (COPY straight in)
 *   keyed table, partial, replace   a stage in the same transaction, merged at publish:
 *                                   TEMP ... ON COMMIT DROP (no WAL, gone with the txn), or
 *                                   with Citus (which refuses temporary tables in distributed
 *                                   transactions) an ordinary sluice_stage."t<txn>" dropped at
 *                                   publish
 *   2PC (stage)                     sluice_stage."t<txn>", an ordinary table (never TEMP or
 *                                   UNLOGGED: it must survive restarts); created inside the
 *                                   load's transaction, so an aborted load leaves no stage
 *
 * The connection is taken at the first send (SEND_BYTES of tuples, or publish), not at open:
 * a body that stalls before that holds only its buffer, so stalled clients cannot take every
 * writer slot, and a load whose first rows are still buffered rides out a PostgreSQL restart.
 *
 * A stage of a keyed table carries two hidden columns: the load order and the delete sign.
 * After the first failure the writer is poisoned: later calls return that failure [LMDB].
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../core/platform.h"

#include <stdio.h>
#include <string.h>

#include "../../core/mem.h"
#include "internal.h"

/* Encoded tuples are sent once this many bytes are waiting (a batch is usually less): big
 * enough that the per-call cost of libpq is noise, small enough to stay in cache. */
#define SEND_BYTES (1u << 20)

struct sl_ewriter {
    sl_engine *e;
    sl_econn *c;
    sl_wopts o;
    const sl_tabledef *def;
    char *stage;                   /* quoted stage relation (heap), NULL: COPY into the table */
    char *copy_sql;                /* COPY ... FROM STDIN (FORMAT binary) (heap) */
    bool temp_stage;               /* dropped by its transaction's end */
    bool keyed;                    /* the stage has the order and delete columns */
    bool staged;                   /* rows go to the stage (created when attached) */
    bool started;                  /* buf begins with the COPY header; no trailer yet */
    bool copying;                  /* inside COPY FROM STDIN on c */
    bool any_del;
    bool mask_set;
    uint64_t mask;                 /* partial: the provided columns */
    uint64_t rows;
    uint64_t ord;                  /* next load-order number */
    sl_buf buf;                    /* encoded tuples not yet handed to libpq */
    sl_err err;                    /* first failure */
};

void sl__pg_stage_name(sl_buf *b, int64_t txn_id)
{
    sl_buf_printf(b, "\"sluice_stage\".\"t%lld\"", (long long)txn_id);
}

/* Poison w with the failure in err (already recorded there) and return its code. */
static sl_code poison(sl_ewriter *w, sl_err *err)
{
    if (w->err.code == SL_OK)
        sl_fail(&w->err, err->code, "%s", err->msg);
    return err->code;
}

static char *take(sl_buf *b)
{
    if (b->oom) {
        sl_buf_free(b);
        return NULL;
    }
    size_t n;
    return sl_buf_take(b, &n);
}

/* The stage's name (no connection needed): temporary unless it must outlive the load's
 * transaction (2PC) or the engine is Citus. */
static sl_code name_stage(sl_ewriter *w, sl_err *err)
{
    sl_buf b = SL_BUF_INIT;
    w->temp_stage = !w->o.stage && !w->e->citus;
    if (w->temp_stage)
        sl_buf_printf(&b, "pg_temp.\"sl_w%lld\"", (long long)w->o.txn_id);
    else
        sl__pg_stage_name(&b, w->o.txn_id);
    return (w->stage = take(&b)) ? SL_OK : sl_fail(err, SL_NOMEM, "out of memory");
}

/* CREATE the stage: the table's columns (all nullable), and for keyed tables the order and
 * delete columns. */
static sl_code create_stage(sl_ewriter *w, sl_err *err)
{
    sl_buf b = SL_BUF_INIT;
    sl_buf_printf(&b, "CREATE %sTABLE %s (", w->temp_stage ? "TEMP " : "", w->stage);
    sl__pg_columns(&b, w->def, true);
    if (w->keyed)
        sl_buf_puts(&b, ", \"" SL_PG_ORD "\" bigint, \"" SL_PG_DEL "\" boolean");
    sl_buf_puts(&b, w->temp_stage ? ") ON COMMIT DROP" : ")");
    sl_code rc = b.oom ? sl_fail(err, SL_NOMEM, "out of memory") : sl__pg_run(w->c, b.p, err);
    sl_buf_free(&b);
    return rc;
}

/* Take the writer connection and open the load's transaction (and its stage), once. */
static sl_code attach(sl_ewriter *w, sl_err *err)
{
    if (w->c)
        return SL_OK;
    sl_code rc = sl__pg_get(w->e, &w->e->wr, &w->c, err);
    if (rc == SL_OK && (rc = sl__pg_run(w->c, "BEGIN", err)) == SL_OK)
        w->c->in_txn = true;
    if (rc == SL_OK && w->staged)
        rc = create_stage(w, err);
    return rc;
}

static sl_code build_copy(sl_ewriter *w, sl_err *err)
{
    sl_buf b = SL_BUF_INIT;
    sl_buf_puts(&b, "COPY ");
    if (w->stage)
        sl_buf_puts(&b, w->stage);
    else
        sl__pg_qname(&b, w->o.t.db, w->o.t.name);
    sl_buf_puts(&b, " (");
    for (size_t i = 0; i < w->def->n_cols; i++) {
        if (i)
            sl_buf_puts(&b, ", ");
        sl__pg_ident(&b, w->def->cols[i].name);
    }
    if (w->stage && w->keyed)
        sl_buf_puts(&b, ", \"" SL_PG_ORD "\", \"" SL_PG_DEL "\"");
    sl_buf_puts(&b, ") FROM STDIN (FORMAT binary)");
    w->copy_sql = take(&b);
    return w->copy_sql ? SL_OK : sl_fail(err, SL_NOMEM, "out of memory");
}

sl_code sl__pg_w_open(sl_engine *e, const sl_wopts *o, sl_ewriter **out, sl_err *err)
{
    *out = NULL;
    sl_ewriter *w = sl_calloc(sizeof *w);
    if (w == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    w->e = e;
    w->o = *o;
    w->def = o->t.def;
    w->keyed = w->def->key_model != SL_KEYS_DUPLICATE;
    w->staged = o->stage || o->replace || o->partial || w->keyed;
    sl_code rc = w->staged ? name_stage(w, err) : SL_OK;
    if (rc == SL_OK)
        rc = build_copy(w, err);
    if (rc != SL_OK) {
        sl__pg_w_close(w, false);
        return rc;
    }
    *out = w;
    return SL_OK;
}

/* Hand the buffered tuples to libpq, attaching and starting the COPY first when needed. */
static sl_code flush_copy(sl_ewriter *w, sl_err *err)
{
    if (w->buf.oom)
        return sl_fail(err, SL_NOMEM, "out of memory");
    sl_code rc = attach(w, err);
    if (rc == SL_OK && !w->copying) {
        PGresult *r = PQexec(w->c->pg, w->copy_sql);
        if (PQresultStatus(r) != PGRES_COPY_IN)
            rc = sl__pg_fail(w->c, r, "copy", err);
        PQclear(r);
        w->copying = rc == SL_OK;
    }
    if (rc == SL_OK && w->buf.len && PQputCopyData(w->c->pg, w->buf.p, (int)w->buf.len) != 1)
        rc = sl__pg_fail(w->c, NULL, "copy", err);
    sl_buf_clear(&w->buf);
    return rc;
}

/* Finish the COPY: the trailer, CopyDone, and the server's verdict on every row sent. */
static sl_code end_copy(sl_ewriter *w, sl_err *err)
{
    if (!w->started)
        return SL_OK;
    w->started = false;
    sl__pg_copy_trailer(&w->buf);
    sl_code rc = flush_copy(w, err);
    if (rc != SL_OK)
        return rc;
    w->copying = false;
    if (PQputCopyEnd(w->c->pg, NULL) != 1)
        rc = sl__pg_fail(w->c, NULL, "copy", err);
    PGresult *r;
    while ((r = PQgetResult(w->c->pg)) != NULL) {
        if (rc == SL_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
            rc = sl__pg_fail(w->c, r, "copy", err);
        PQclear(r);
    }
    if (rc == SL_OK && PQstatus(w->c->pg) != CONNECTION_OK)
        rc = sl__pg_fail(w->c, NULL, "copy", err);
    return rc;
}

sl_code sl__pg_w_append(sl_ewriter *w, const sl_batch *b, sl_err *err)
{
    if (w->err.code != SL_OK)
        return sl_fail(err, w->err.code, "%s", w->err.msg);
    if (b->n_rows == 0)
        return SL_OK;
    if (w->o.partial && !w->mask_set) {
        w->mask = b->col_mask;
        w->mask_set = true;
    } else if (w->o.partial && b->col_mask != w->mask) {
        sl_fail(err, SL_INTERNAL, "the provided columns changed within one partial update");
        return poison(w, err);
    }
    if (!w->started) {
        sl__pg_copy_header(&w->buf);
        w->started = true;
    }
    sl_code rc = sl__pg_copy_batch(&w->buf, b, w->keyed && w->stage, &w->ord, err);
    if (rc == SL_OK && w->buf.len >= SEND_BYTES)
        rc = flush_copy(w, err);
    if (rc != SL_OK)
        return poison(w, err);
    if (b->has_del && b->del && !w->any_del)
        for (size_t r = 0; r < b->n_rows && !w->any_del; r++)
            w->any_del = b->del[r] != 0;
    w->rows += b->n_rows;
    return SL_OK;
}

/* "(c1 IS NULL OR c2 IS NULL ...)": a new key cannot be inserted by a partial update that
 * leaves a NOT NULL column without default unset; "TRUE" in strict mode (no new keys). ""
 * when no row can be refused. */
static void refused(sl_buf *b, const sl_tabledef *def, uint64_t mask, bool strict)
{
    if (strict) {
        sl_buf_puts(b, "TRUE");
        return;
    }
    size_t k = 0;
    for (size_t c = 0; c < def->n_cols && c < 64; c++) {
        const sl_coldef *cd = &def->cols[c];
        if ((mask >> c) & 1 || cd->nullable || cd->default_kind != SL_DEFAULT_NONE)
            continue;
        sl_buf_puts(b, k++ ? " OR " : "(");
        sl_buf_puts(b, "s.");
        sl__pg_ident(b, cd->name);
        sl_buf_puts(b, " IS NULL");
    }
    if (k)
        sl_buf_putc(b, ')');
}

sl_code sl__pg_w_partial_check(sl_ewriter *w, uint64_t mask, bool strict, uint64_t *removed,
                               sl_err *err)
{
    *removed = 0;
    if (w->err.code != SL_OK)
        return sl_fail(err, w->err.code, "%s", w->err.msg);
    sl_code rc = end_copy(w, err);
    if (rc != SL_OK || w->stage == NULL || w->rows == 0)
        return rc == SL_OK ? SL_OK : poison(w, err);
    sl_buf cond = SL_BUF_INIT, q = SL_BUF_INIT;
    refused(&cond, w->def, mask, strict);
    if (cond.len == 0 && !cond.oom) {
        sl_buf_free(&cond);
        return SL_OK;
    }
    sl_buf_printf(&q, "DELETE FROM %s AS s WHERE %s AND NOT EXISTS (SELECT 1 FROM ", w->stage,
                  cond.oom ? "" : cond.p);
    sl__pg_qname(&q, w->o.t.db, w->o.t.name);
    sl_buf_puts(&q, " AS t WHERE ");
    size_t k = 0;
    for (size_t c = 0; c < w->def->n_cols; c++) {
        const sl_coldef *cd = &w->def->cols[c];
        if (!cd->key)
            continue;
        sl_buf_puts(&q, k++ ? " AND " : "");
        sl_buf_puts(&q, "(t.");
        sl__pg_ident(&q, cd->name);
        sl_buf_puts(&q, " = s.");
        sl__pg_ident(&q, cd->name);
        if (cd->nullable) {
            sl_buf_puts(&q, " OR (t.");
            sl__pg_ident(&q, cd->name);
            sl_buf_puts(&q, " IS NULL AND s.");
            sl__pg_ident(&q, cd->name);
            sl_buf_puts(&q, " IS NULL)");
        }
        sl_buf_putc(&q, ')');
    }
    sl_buf_putc(&q, ')');
    int64_t n = 0;
    rc = (q.oom || cond.oom) ? sl_fail(err, SL_NOMEM, "out of memory")
                             : sl__pg_exec(w->c, q.p, NULL, 0, NULL, NULL, &n, err);
    sl_buf_free(&cond);
    sl_buf_free(&q);
    if (rc != SL_OK)
        return poison(w, err);
    *removed = (uint64_t)n;
    w->rows -= (uint64_t)n;
    return SL_OK;
}

/* The merge of this writer's stage into its table. */
static pg_merge merge_of(const sl_ewriter *w)
{
    pg_merge m = {w->def, w->o.t.db, w->o.t.name, w->o.t.id, w->stage, w->o.seq_col,
                  w->o.replace, w->any_del, w->mask, sl__pg_nulls_nd(w->e, w->def), false};
    if (!w->keyed)
        m.seq_col = -1;
    return m;
}

sl_code sl__pg_w_publish(sl_ewriter *w, bool stage, sl_econn **c, sl_err *err)
{
    *c = NULL;
    if (w->err.code != SL_OK)
        return sl_fail(err, w->err.code, "%s", w->err.msg);
    if (stage && !w->o.stage)
        return sl_fail(err, SL_INTERNAL, "two-phase publish of a load opened without a stage");
    sl_code rc = end_copy(w, err);
    if (rc == SL_OK)
        rc = attach(w, err); /* no rows: still the transaction the ledger writes in */
    pg_merge m = merge_of(w);
    sl_buf b = SL_BUF_INIT;
    if (rc == SL_OK && stage) { /* 2PC: the stage stays; its comment says how to merge it */
        sl_buf_printf(&b, "COMMENT ON TABLE %s IS '", w->stage);
        sl__pg_merge_note(&b, &m);
        sl_buf_putc(&b, '\'');
    } else if (rc == SL_OK && w->stage) {
        rc = sl__pg_merge(w->c, &m, err);
        if (!w->temp_stage)
            sl_buf_printf(&b, "DROP TABLE %s", w->stage);
    }
    if (rc == SL_OK && b.len)
        rc = b.oom ? sl_fail(err, SL_NOMEM, "out of memory") : sl__pg_run(w->c, b.p, err);
    sl_buf_free(&b);
    if (rc != SL_OK)
        return poison(w, err);
    *c = w->c;
    return SL_OK;
}

void sl__pg_w_close(sl_ewriter *w, bool committed)
{
    if (w == NULL)
        return;
    if (w->c && w->copying) { /* abandon the COPY: the server discards what it received */
        if (PQputCopyEnd(w->c->pg, "load aborted") != 1)
            w->c->broken = true;
        PGresult *r;
        while ((r = PQgetResult(w->c->pg)) != NULL)
            PQclear(r);
    }
    (void)committed; /* either way the ledger ended the transaction, or it is rolled back: */
    sl__pg_put(w->c); /* put rolls back whatever is still open */
    sl_buf_free(&w->buf);
    sl_free(w->stage);
    sl_free(w->copy_sql);
    sl_free(w);
}

uint64_t sl__pg_w_rows(const sl_ewriter *w)
{
    return w->rows;
}
