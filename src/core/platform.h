/*
 * platform.h - the one place where POSIX feature macros are set (core, used by every file).
 *
 * Every .c file includes this first, so that the whole tree sees the same libc surface:
 * POSIX.1-2008 plus the few BSD/GNU extensions we name here (strcasecmp, timegm, mkdtemp).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_PLATFORM_H
#define SL_PLATFORM_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* timegm, memmem, strcasestr: used by the conversions and the CSV scanner */
#endif
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define SL_EXTERN __attribute__((visibility("default")))
#define SL_UNUSED __attribute__((unused))
#define SL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define SL_LIKELY(x) __builtin_expect(!!(x), 1)
#define SL_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define SL_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Unaligned little-endian loads whatever the host's byte order (one load instruction where the
 * host is little-endian). */
static inline uint32_t sl_le32(const void *p)
{
    uint32_t x;
    __builtin_memcpy(&x, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    x = __builtin_bswap32(x);
#endif
    return x;
}

static inline uint64_t sl_le64(const void *p)
{
    uint64_t x;
    __builtin_memcpy(&x, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    x = __builtin_bswap64(x);
#endif
    return x;
}

/* Defensive checks that must never fire (ALWAYS/NEVER): in debug builds they abort, in
 * release builds they evaluate to the condition so the caller still takes the safe branch. */
#ifdef NDEBUG
#define SL_ALWAYS(x) (x)
#define SL_NEVER(x) (x)
#else
#include <assert.h>
#define SL_ALWAYS(x) ((x) ? 1 : (assert(0), 0))
#define SL_NEVER(x) ((x) ? (assert(0), 1) : 0)
#endif

#endif
