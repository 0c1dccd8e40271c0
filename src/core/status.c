/*
 * status.c - names, texts and protocol mappings of the status table (core).
 *
 * Everything here is generated from SL_STATUS_MAP in status.h, so a new row there is the whole
 * change.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "platform.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "status.h"

#define ROW(name, doris, yamcs, tsload, mysql, text) {#name, doris, yamcs, tsload, mysql, text},
static const struct {
    const char *name;
    const char *doris;
    int yamcs;
    int tsload;
    int mysql;
    const char *text;
} rows[] = {SL_STATUS_MAP(ROW)};
#undef ROW

static unsigned row_of(sl_code c)
{
    unsigned r = (unsigned)SL_PRIMARY(c);
    return r < SL_COUNT(rows) ? r : (unsigned)SL_INTERNAL;
}

sl_code sl_fail(sl_err *e, sl_code c, const char *fmt, ...)
{
    if (e == NULL || e->code != SL_OK)
        return e ? e->code : c;
    e->code = c;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return c;
}

void sl_err_clear(sl_err *e)
{
    e->code = SL_OK;
    e->msg[0] = '\0';
}

const char *sl_code_name(sl_code c)
{
    return rows[row_of(c)].name;
}

const char *sl_code_text(sl_code c)
{
    return rows[row_of(c)].text;
}

const char *sl_code_doris(sl_code c)
{
    const char *d = rows[row_of(c)].doris;
    return d ? d : "INTERNAL_ERROR";
}

int sl_code_yamcs_http(sl_code c)
{
    return rows[row_of(c)].yamcs;
}

int sl_code_tsload_http(sl_code c)
{
    return rows[row_of(c)].tsload;
}

int sl_code_mysql(sl_code c)
{
    return c == SL_NOT_FOUND_DB ? 1049 : rows[row_of(c)].mysql;
}
