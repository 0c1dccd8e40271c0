/*
 * limits.c - the defaults of a query's bounds (store stage; every engine applies the same).
 *
 * Why these numbers: a result of a million rows or 256 MiB is far past what the HTTP SQL API's
 * buffered JSON answer is for (Doris's own buffered form returns 1000 rows by default), and
 * small enough that a few such queries at once leave a 2 GiB server standing. 300 s is
 * Doris's query_timeout default; 2 GiB its exec_mem_limit default.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include "store.h"

sl_query_limits sl_query_limits_or_default(const sl_query_limits *lim)
{
    sl_query_limits l = lim ? *lim : (sl_query_limits){0, 0, 0, 0, 0, NULL};
    if (l.max_rows == 0)
        l.max_rows = SL_QUERY_MAX_ROWS_DEFAULT;
    if (l.max_bytes == 0)
        l.max_bytes = SL_QUERY_MAX_BYTES_DEFAULT;
    if (l.mem_bytes == 0)
        l.mem_bytes = SL_QUERY_MEM_DEFAULT;
    if (l.timeout_s == 0)
        l.timeout_s = SL_QUERY_TIMEOUT_DEFAULT;
    return l;
}
