/*
 * http_stream.c - Doris's SQL-driven stream load, PUT /api/_http_stream (proto stage, Doris
 * adapter). Spec: specs/doris-stream-load.md §1.5.
 *
 *   header sql: insert into db.t [(cols)] select <exprs | *> from http_stream("format"="csv", ...)
 *               [where <pred on sources>]
 *     -> the same sl_load_spec a Stream Load builds: format options from the http_stream(...)
 *        properties, a `columns` list "c1,..,cK, t1 = (expr1), ..." (CSV source columns are
 *        c1..cN, JSON sources are the keys), where over the sources
 *     -> the load runs and answers exactly like Stream Load (doris.c).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "../expr/expr.h"
#include "doris.h"

/* The largest N of a `cN` column reference in printed expression text. */
static size_t max_source(const sl_buf *b)
{
    size_t k = 0;
    for (size_t i = 0; b->p && i + 2 < b->len; i++) {
        if (b->p[i] != '`' || (b->p[i + 1] != 'c' && b->p[i + 1] != 'C'))
            continue;
        size_t j = i + 2, v = 0;
        while (j < b->len && isdigit((unsigned char)b->p[j]) && v < 100000)
            v = v * 10 + (size_t)(b->p[j++] - '0');
        if (j > i + 2 && j < b->len && b->p[j] == '`' && v > k)
            k = v;
    }
    return k;
}

/* Build spec->columns ("c1,..,cK, `t1` = expr1, ...", or the target list for `select *`) and
 * spec->where from the parsed statement. */
static sl_code map_select(sl_http_req *r, const sl_expr_insert *ins, const sl_tabledef *def,
                          sl_load_spec *s, sl_err *err)
{
    bool csv = !sl_slice_ieq(s->format, "json");
    size_t n_targets = ins->cols ? ins->n_cols : def->n_cols;
    if (!ins->star && ins->n_items != n_targets)
        return sl_fail(err, SL_INVALID, "Column count doesn't match value count");
    sl_buf exprs = SL_BUF_INIT, cols = SL_BUF_INIT, where = SL_BUF_INIT;
    for (size_t i = 0; !ins->star && i < ins->n_items; i++) {
        if (i)
            sl_buf_puts(&exprs, ", ");
        sl_buf_ident(&exprs, ins->cols ? ins->cols[i] : def->cols[i].name);
        sl_buf_puts(&exprs, " = ");
        sl_expr_print(ins->items[i], &exprs);
    }
    if (ins->where)
        sl_expr_print(ins->where, &where);
    size_t k = 0;
    if (csv && !ins->star) {
        size_t ke = max_source(&exprs), kw = max_source(&where);
        k = ke > kw ? ke : kw;
    }
    for (size_t i = 1; i <= k; i++)
        sl_buf_printf(&cols, "%s`c%zu`", i > 1 ? ", " : "", i);
    if (exprs.len) {
        if (cols.len)
            sl_buf_puts(&cols, ", ");
        sl_buf_append(&cols, exprs.p, exprs.len);
    }
    for (size_t i = 0; ins->star && ins->cols && i < ins->n_cols; i++) {
        if (i)
            sl_buf_puts(&cols, ", ");
        sl_buf_ident(&cols, ins->cols[i]);
    }
    sl_code rc = SL_OK;
    if (cols.oom || exprs.oom || where.oom)
        rc = sl_fail(err, SL_NOMEM, "out of memory");
    if (rc == SL_OK && cols.len)
        s->columns = sl_arena_slice(&r->arena, (sl_slice){cols.p, cols.len});
    if (rc == SL_OK && where.len)
        s->where = sl_arena_slice(&r->arena, (sl_slice){where.p, where.len});
    s->where_on_sources = true;
    s->lenient_fields = csv && !ins->star;
    sl_buf_free(&exprs);
    sl_buf_free(&cols);
    sl_buf_free(&where);
    return rc;
}

static void stream_begin(sl_http_req *r)
{
    sl_app *app = r->app;
    load_ctx *lc = sl__doris_new_ctx(r);
    if (lc == NULL)
        return;
    sl_err err = {0};
    sl_expr_insert ins;
    sl_tabledef *def;
    int64_t id;
    sl_slice sql = sl_http_header_get(r, "sql");
    if (sql.p == NULL || sl_slice_trim(sql).n == 0) {
        sl_fail(&err, SL_INVALID, "sql is empty");
        goto fail;
    }
    if (sl_expr_parse_insert(sql, &r->arena, &ins, &err) != SL_OK)
        goto fail;
    if (ins.db.n == 0) {
        sl_fail(&err, SL_INVALID, "No database selected");
        goto fail;
    }
    if (sl__doris_be_auth(r, ins.db, ins.table, &err) != SL_OK ||
        sl__doris_spec(r, ins.props, ins.n_props, &app->cfg, ins.db, ins.table, &lc->spec,
                       &err) != SL_OK ||
        sl_catalog_table(&app->env, ins.db, ins.table, &r->arena, &def, &id, &err) != SL_OK ||
        map_select(r, &ins, def, &lc->spec, &err) != SL_OK)
        goto fail;
    sl__doris_start_job(r, lc);
    return;
fail:
    sl__doris_reply_early(r, lc, &err);
}

const sl_http_handler sl_doris_http_stream = {"doris-http-stream", stream_begin, sl__doris_load_body,
                                              sl__doris_load_end, sl__doris_load_expire,
                                              sl__doris_load_cleanup};
