/*
 * mem.c - allocation wrappers with optional fault injection (core).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "platform.h"

#include <stdlib.h>

#include "mem.h"

#ifdef SL_FAULT_INJECTION
/* Thread-local on purpose: each test thread arms its own countdown; not server state. */
static _Thread_local long fault_countdown;
static _Thread_local bool fault_fired;

static bool inject(void)
{
    if (fault_countdown > 0 && --fault_countdown == 0) {
        fault_fired = true;
        return true;
    }
    return false;
}

void sl_fault_arm(long n)
{
    fault_countdown = n;
    fault_fired = false;
}

bool sl_fault_hit(void)
{
    return fault_fired;
}
#else
#define inject() false

void sl_fault_arm(long n)
{
    (void)n;
}

bool sl_fault_hit(void)
{
    return false;
}
#endif

void *sl_malloc(size_t n)
{
    return inject() ? NULL : malloc(n ? n : 1);
}

void *sl_calloc(size_t n)
{
    return inject() ? NULL : calloc(1, n ? n : 1);
}

void *sl_realloc(void *p, size_t n)
{
    return inject() ? NULL : realloc(p, n ? n : 1);
}

void sl_free(void *p)
{
    free(p);
}
