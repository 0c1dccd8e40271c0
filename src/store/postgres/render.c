/*
 * render.c - sl_select -> PostgreSQL SELECT text (store stage, engine `query`).
 *
 * STUB on the h-pg branch: the SELECT renderer (a separate piece of work) replaces this file
 * with the real one. Until then every SELECT through the PostgreSQL engine fails cleanly.
 */
#include "../../core/platform.h"

#include "internal.h"

sl_code sl__pg_render(const sl_select *sel, const sl_etable *t, sl_buf *sql, sl_err *err)
{
    (void)sel;
    (void)t;
    (void)sql;
    return sl_fail(err, SL_INVALID, "not implemented: SELECT on the PostgreSQL store");
}
