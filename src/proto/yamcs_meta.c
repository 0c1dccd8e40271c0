/*
 * yamcs_meta.c - Yamcs table metadata: GET /api/archive/{inst}/tables (ListTables) and GET
 * .../tables/{t} (GetTable), with the `script` text that :executeSql takes back (proto stage).
 * Spec: specs/yamcs-tables.md §4.3. Statements (:executeSql) are in yamcs_query.c.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/mem.h"
#include "yamcs_internal.h"

/* ---- TableInfo ------------------------------------------------------------------------ */

/* The Yamcs script: create table t("c1" T1, ...) primary key(k1, ...) engine sluice */
static void script(sl_buf *b, const sl_tabledef *def, const sl_pbrows_schema *s)
{
    sl_buf_printf(b, "create table %.*s(", (int)def->name.n, def->name.p);
    for (size_t c = 0; c < def->n_cols; c++) {
        char tn[320];
        sl_ytype_name(&s->types[c], tn, sizeof tn);
        sl_buf_printf(b, "%s\"%.*s\" %s", c ? ", " : "", (int)def->cols[c].name.n,
                      def->cols[c].name.p, tn);
    }
    sl_buf_puts(b, ") primary key(");
    bool first = true;
    for (size_t c = 0; c < def->n_cols; c++)
        if (def->cols[c].key) {
            sl_buf_printf(b, "%s%.*s", first ? "" : ", ", (int)def->cols[c].name.n,
                          def->cols[c].name.p);
            first = false;
        }
    sl_buf_puts(b, ") engine sluice");
}

static void table_info_json(sl_buf *b, const sl_tabledef *def, const sl_pbrows_schema *s)
{
    sl_buf_puts(b, "{\"name\":");
    sl_json_str(b, def->name.p, def->name.n);
    for (int pass = 0; pass < 2; pass++) {
        sl_buf_puts(b, pass ? ",\"valueColumn\":[" : ",\"keyColumn\":[");
        bool first = true;
        for (size_t c = 0; c < def->n_cols; c++) {
            if (def->cols[c].key != (pass == 0))
                continue;
            char tn[320];
            sl_ytype_name(&s->types[c], tn, sizeof tn);
            sl_buf_puts(b, first ? "{\"name\":" : ",{\"name\":");
            sl_json_str(b, def->cols[c].name.p, def->cols[c].name.n);
            sl_buf_puts(b, ",\"type\":");
            sl_json_cstr(b, tn);
            sl_buf_puts(b, ",\"autoIncrement\":false}");
            first = false;
        }
        sl_buf_putc(b, ']');
    }
    sl_buf scr = SL_BUF_INIT;
    script(&scr, def, s);
    sl_buf_puts(b, ",\"script\":");
    sl_json_str(b, scr.p ? scr.p : "", scr.len);
    sl_buf_free(&scr);
    sl_buf_puts(b, ",\"storageEngine\":\"sluice\",\"formatVersion\":3,\"compressed\":false}");
}

static void table_info_pb(sl_buf *b, const sl_tabledef *def, const sl_pbrows_schema *s)
{
    sl__pb_bytes(b, 1, def->name.p, def->name.n);
    sl_buf col = SL_BUF_INIT;
    for (int pass = 0; pass < 2; pass++)
        for (size_t c = 0; c < def->n_cols; c++) {
            if (def->cols[c].key != (pass == 0))
                continue;
            char tn[320];
            size_t tl = sl_ytype_name(&s->types[c], tn, sizeof tn);
            sl_buf_clear(&col);
            sl__pb_bytes(&col, 1, def->cols[c].name.p, def->cols[c].name.n);
            sl__pb_bytes(&col, 2, tn, tl);
            sl__pb_uint(&col, 4, 0);
            sl__pb_bytes(b, pass ? 3 : 2, col.p, col.len);
        }
    sl_buf_clear(&col);
    script(&col, def, s);
    sl__pb_bytes(b, 4, col.p, col.len);
    sl__pb_bytes(b, 6, "sluice", 6);
    sl__pb_uint(b, 7, 3);
    sl__pb_uint(b, 9, 0);
    b->oom = b->oom || col.oom;
    sl_buf_free(&col);
}

static void respond_buf(sl_http_req *r, const yamcs_ctx *y, sl_buf *b, bool proto)
{
    if (b->oom)
        sl__yamcs_error(r, y, SL_NOMEM, "out of memory", false, 0);
    else
        sl_http_respond(r, 200, proto ? "application/protobuf" : "application/json",
                        b->p ? b->p : "", b->len);
}

void sl__yamcs_get(sl_http_req *r, yamcs_ctx *y)
{
    bool proto = sl__yamcs_proto_reply(r);
    sl_buf b = SL_BUF_INIT;
    if (proto)
        table_info_pb(&b, y->def, &y->schema);
    else
        table_info_json(&b, y->def, &y->schema);
    respond_buf(r, y, &b, proto);
    sl_buf_free(&b);
}

static int cmp_ci(const void *a, const void *b)
{
    const sl_slice *x = a, *z = b;
    size_t n = x->n < z->n ? x->n : z->n;
    int c = strncasecmp(x->p, z->p, n);
    return c ? c : (x->n > z->n) - (x->n < z->n);
}

void sl__yamcs_list(sl_http_req *r, yamcs_ctx *y)
{
    sl_app *app = r->app;
    sl_err err = {0};
    sl_slice *names;
    size_t n;
    sl_code rc = sl_store_list_tables(app->store, y->db, &r->arena, &names, &n, &err);
    if (rc != SL_OK) {
        char msg[300];
        snprintf(msg, sizeof msg, "No instance named '%.*s'", (int)y->db.n, y->db.p);
        sl__yamcs_error(r, y, SL_PRIMARY(rc) == SL_NOT_FOUND ? SL_NOT_FOUND : rc,
                        SL_PRIMARY(rc) == SL_NOT_FOUND ? msg : err.msg, false, 0);
        return;
    }
    if (n > 1) /* names is NULL for an empty instance */
        qsort(names, n, sizeof *names, cmp_ci);
    bool proto = sl__yamcs_proto_reply(r);
    sl_buf b = SL_BUF_INIT, one = SL_BUF_INIT;
    if (!proto)
        sl_buf_puts(&b, "{\"tables\":[");
    size_t shown = 0;
    for (size_t i = 0; i < n; i++) {
        sl_tabledef *def;
        int64_t id;
        sl_pbrows_schema s;
        if (sl_catalog_table(&app->env, y->db, names[i], &r->arena, &def, &id, &err) != SL_OK ||
            sl_pbrows_schema_init(&s, def, &r->arena, &err) != SL_OK)
            continue; /* dropped meanwhile, or not readable: leave it out */
        if (proto) {
            sl_buf_clear(&one);
            table_info_pb(&one, def, &s);
            sl__pb_bytes(&b, 1, one.p, one.len);
        } else {
            if (shown)
                sl_buf_putc(&b, ',');
            table_info_json(&b, def, &s);
        }
        shown++;
    }
    if (!proto)
        sl_buf_puts(&b, "]}");
    b.oom = b.oom || one.oom;
    respond_buf(r, y, &b, proto);
    sl_buf_free(&b);
    sl_buf_free(&one);
}
