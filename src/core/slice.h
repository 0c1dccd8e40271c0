/*
 * slice.h - borrowed byte ranges (core).
 *
 * The pipeline passes p+n pairs, never NUL-terminated strings [h2o h2o_iovec_t]. A slice does
 * not own its bytes: whoever made it says how long they live. In decoder output, p == NULL
 * marks SQL NULL (distinct from an empty value, which has p != NULL and n == 0).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_SLICE_H
#define SL_SLICE_H

#include "platform.h"

#include <string.h>
#include <strings.h>

typedef struct sl_slice {
    const char *p;
    size_t n;
} sl_slice;

#define SL_SLICE_NULL ((sl_slice){NULL, 0})
#define SL_LIT(s) ((sl_slice){(s), sizeof(s) - 1})

static inline sl_slice sl_slice_of(const char *s)
{
    return (sl_slice){s, s ? strlen(s) : 0};
}

static inline bool sl_slice_eq(sl_slice a, const char *lit)
{
    size_t n = strlen(lit);
    return a.p && a.n == n && memcmp(a.p, lit, n) == 0;
}

static inline bool sl_slice_ieq(sl_slice a, const char *lit)
{
    size_t n = strlen(lit);
    return a.p && a.n == n && strncasecmp(a.p, lit, n) == 0;
}

/* The value of a hexadecimal digit, or -1. */
static inline int sl_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Trim ASCII whitespace (space, \t, \r, \n, \f, \v) from both ends. */
static inline sl_slice sl_slice_trim(sl_slice s)
{
    while (s.n && (s.p[0] == ' ' || (s.p[0] >= '\t' && s.p[0] <= '\r')))
        s.p++, s.n--;
    while (s.n && (s.p[s.n - 1] == ' ' || (s.p[s.n - 1] >= '\t' && s.p[s.n - 1] <= '\r')))
        s.n--;
    return s;
}

#endif
