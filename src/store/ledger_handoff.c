/*
 * ledger_handoff.c - work one node assigns to another, in the ledger (store stage).
 *
 * A tsload StartLoad answers with the node that will own the cycle (its node_address); the
 * client then logs in there and uploads there. The node that answered StartLoad records the
 * cycle here; the first node asked for it claims it (an UPDATE that only one node can win)
 * and creates the cycle locally. A client that ignores node_address (cs_tools ignores
 * loopback addresses) keeps talking to the first node, which then claims the cycle itself.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <string.h>

#include "ledger.h"

sl_code sl_store_handoff_put(sl_store *s, const char *kind, sl_slice id, sl_slice node,
                             sl_slice body, sl_err *err)
{
    sl_cell p[5] = {sl_cell_text(id), sl_cell_text(sl_slice_of(kind)), sl_cell_text(node),
                    sl_cell_text(body), sl_cell_int((int64_t)sl__lg_now_ms())};
    return sl__lg_run(s,
                      "INSERT INTO handoffs(id, kind, node, body, created_ms) "
                      "VALUES($1, $2, $3, $4, $5)",
                      p, 5, NULL, NULL, NULL, err);
}

sl_code sl_store_handoff_get(sl_store *s, const char *kind, sl_slice id, sl_arena_t *a,
                             sl_slice *body, sl_err *err)
{
    sl_cell p[2] = {sl_cell_text(id), sl_cell_text(sl_slice_of(kind))};
    sl__lg_text t = {a, {0}};
    sl_code rc = sl__lg_run(s, "SELECT body FROM handoffs WHERE id = $1 AND kind = $2", p, 2,
                            sl__lg_text_fn, &t, NULL, err);
    if (rc != SL_OK)
        return rc;
    if (t.v.p == NULL)
        return sl_fail(err, SL_NOT_FOUND, "no handoff %.*s", (int)id.n, id.p);
    *body = t.v;
    return SL_OK;
}

sl_code sl_store_handoff_claim(sl_store *s, const char *kind, sl_slice id, sl_arena_t *a,
                               sl_slice *body, sl_err *err)
{
    sl_cell p[3] = {sl_cell_text(id), sl_cell_text(sl_slice_of(kind)),
                    sl_cell_text(sl_store_node_id(s))};
    int64_t won = 0;
    sl_code rc = sl__lg_run(s,
                            "UPDATE handoffs SET claimed = 1, node = $3 "
                            "WHERE id = $1 AND kind = $2 AND claimed = 0",
                            p, 3, NULL, NULL, &won, err);
    if (rc != SL_OK)
        return rc;
    if (won != 1)
        return sl_fail(err, SL_NOT_FOUND, "no handoff %.*s to claim", (int)id.n, id.p);
    return sl_store_handoff_get(s, kind, id, a, body, err);
}
