/*
 * mem.h - the allocator every stage uses (core).
 *
 * sl_malloc / sl_realloc / sl_free wrap libc so that tests can make the Nth allocation fail
 * (fault simulation): with SL_FAULT_INJECTION compiled in, sl_fault_arm(n) makes the n-th call
 * from now (on this thread) return NULL. Production builds compile the hook away.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_MEM_H
#define SL_MEM_H

#include "platform.h"

/* malloc(n); NULL on failure (or on an injected fault). Free with sl_free. */
void *sl_malloc(size_t n);
/* realloc(p, n); NULL on failure, p stays valid then. */
void *sl_realloc(void *p, size_t n);
/* calloc(1, n). */
void *sl_calloc(size_t n);
void sl_free(void *p);

/* Fault injection (only with -DSL_FAULT_INJECTION): fail the n-th allocation from now on this
 * thread (n >= 1); 0 disarms. sl_fault_hit() tells whether the armed fault has fired. */
void sl_fault_arm(long n);
bool sl_fault_hit(void);

#endif
