/*
 * doris_2pc.c - the second phase of Doris's two-phase commit: PUT /api/{db}[/{table}]/
 * _stream_load_2pc with txn_id or label and txn_operation commit|abort (proto stage, Doris
 * adapter). Spec: specs/doris-stream-load.md §1.4.
 *
 * Served on both ports without a redirect. The transaction is looked up in the path's database
 * first and LOAD is checked on its own table (a path naming another table proves nothing).
 * Replies keep Doris's lower-case spelling: FE-side
 * checks answer {"status":"FAILED","msg":...}; results are pretty-printed
 * {"status": "Success"|"<ERROR_CODE>", "msg": ...} as the BE writes them.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doris.h"

static void reply(sl_http_req *r, const char *status, const char *msg)
{
    sl_buf b = SL_BUF_INIT;
    bool first = true;
    sl__pretty_str(&b, &first, "status", status, strlen(status));
    sl__pretty_str(&b, &first, "msg", msg, strlen(msg));
    sl_buf_puts(&b, "\n}\n");
    sl_http_respond(r, 200, "application/json; charset=utf-8", b.p, b.len);
    sl_buf_free(&b);
}

/* Auth as the FE does it; when the path names a table, LOAD on it (the transaction's own table
 * is checked once it is found). Answers on failure. */
static bool twopc_auth(sl_http_req *r, sl_identity *id, sl_slice db, sl_slice path_table)
{
    sl_app *app = r->app;
    sl_err err = {0};
    bool none;
    if (sl__login(r, id, NULL, &none, &err) != SL_OK) {
        if (none)
            sl__fe_result(r, "Unauthorized", 401, "\"Need auth information.\"");
        else
            sl__fe_fail(r, err.msg);
        return false;
    }
    if (path_table.n &&
        sl_priv_check(app->auth, id, SL_ACT_LOAD, db, path_table, &err) != SL_OK) {
        sl__fe_fail(r, err.msg);
        return false;
    }
    return true;
}

/* txn_id header -> *id; answers Doris's error and returns false when it is not a number. */
static bool parse_txn_id(sl_http_req *r, sl_slice id_text, int64_t *id)
{
    char tmp[32], *end;
    snprintf(tmp, sizeof tmp, "%.*s", (int)(id_text.n < 31 ? id_text.n : 31), id_text.p);
    errno = 0;
    unsigned long long v = strtoull(tmp, &end, 10);
    if (end == tmp || *end || errno || tmp[0] == '-' || v > INT64_MAX) {
        char msg[128];
        snprintf(msg, sizeof msg, "convert txn_id [%s] failed, reason=stoull", tmp);
        reply(r, "INTERNAL_ERROR", msg);
        return false;
    }
    *id = (int64_t)v;
    return true;
}

static void reply_store_error(sl_http_req *r, const sl_err *err)
{
    sl_buf msg = SL_BUF_INIT;
    sl_buf_printf(&msg, "TStatus: errCode = 2, detailMessage = %s", err->msg);
    reply(r, "ANALYSIS_ERROR", msg.p ? msg.p : "");
    sl_buf_free(&msg);
}

/* Find the transaction in the path's database and check LOAD on its own table, whatever table
 * the path names [Doris loadTxn2PCImpl checks the transaction's tables]. *id becomes its id. */
static bool txn_allowed(sl_http_req *r, const sl_identity *ident, sl_slice db, int64_t *id,
                        sl_slice label, bool commit)
{
    sl_app *app = r->app;
    sl_err err = {0};
    sl_txn_info ti;
    if (sl_store_find_txn(app->store, db, *id, label, commit, &r->arena, &ti, &err) != SL_OK) {
        reply_store_error(r, &err);
        return false;
    }
    *id = ti.txn_id;
    if (sl_priv_check(app->auth, ident, SL_ACT_LOAD, db, ti.table, &err) != SL_OK) {
        sl__fe_fail(r, err.msg);
        return false;
    }
    return true;
}

static void twopc_begin(sl_http_req *r)
{
    sl_app *app = r->app;
    sl_identity ident;
    sl_slice seg[6];
    sl_err err = {0};
    size_t n = sl__path_segments(r, seg, SL_COUNT(seg));
    sl_slice db = n >= 3 ? seg[1] : SL_LIT("");
    sl_slice id_text = sl_http_header_get(r, "txn_id"), label = sl_http_header_get(r, "label");
    sl_slice op = sl_http_header_get(r, "txn_operation");
    if (!twopc_auth(r, &ident, db, n >= 4 ? seg[2] : SL_LIT("")))
        return;
    if (id_text.n == 0 && label.n == 0) {
        sl__fe_fail(r, "No transaction id or label selected.");
        return;
    }
    if (op.n == 0) {
        sl__fe_fail(r, "No transaction operation('commit' or 'abort') selected.");
        return;
    }
    int64_t id = -1;
    if (id_text.n && !parse_txn_id(r, id_text, &id))
        return;
    bool commit = sl_slice_ieq(op, "commit");
    if (!commit && !sl_slice_ieq(op, "abort")) {
        reply(r, "INTERNAL_ERROR", "transaction operation should be 'commit' or 'abort'");
        return;
    }
    if (!txn_allowed(r, &ident, db, &id, label, commit))
        return;
    /* By the id found: the transaction that was checked, not a later holder of the label. */
    if (sl_store_finish_2pc(app->store, db, &id, label, commit, &err) != SL_OK) {
        reply_store_error(r, &err);
        return;
    }
    sl_buf msg = SL_BUF_INIT;
    if (label.n)
        sl_buf_printf(&msg, "label [%.*s] ", (int)label.n, label.p);
    if (id_text.n)
        sl_buf_printf(&msg, "transaction [%lld] ", (long long)id);
    sl_buf_printf(&msg, "%s successfully.", commit ? "commit" : "abort");
    reply(r, "Success", msg.p ? msg.p : "");
    sl_buf_free(&msg);
}

static void twopc_end(sl_http_req *r)
{
    if (!r->responded)
        sl_http_respond(r, 500, "text/plain", "no response\n", 12);
}

const sl_http_handler sl_doris_2pc = {"doris-2pc", twopc_begin, NULL, twopc_end, NULL, NULL};
