/*
 * arena.h - region allocator with cleanups (core).
 *
 * Three lifetimes exist in sluice (STYLE.md): process, request and batch. Each request and each
 * batch owns one arena; everything allocated from it dies together on sl_arena_reset or
 * sl_arena_free [nginx pools, h2o req->pool]. Non-memory resources register a cleanup with
 * sl_arena_on_reset [ngx_pool_cleanup_add]; cleanups run in reverse order of registration.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_ARENA_H
#define SL_ARENA_H

#include "platform.h"
#include "slice.h"

struct sl_arena_chunk;
struct sl_arena_cleanup;

typedef struct sl_arena {
    struct sl_arena_chunk *head;        /* newest chunk first */
    struct sl_arena_cleanup *cleanups;  /* newest first */
    size_t chunk_size;                  /* default size of a new chunk */
    size_t used;                        /* bytes handed out since the last reset */
} sl_arena_t;

/* Set up an empty arena whose chunks are chunk_size bytes (0: 16 KiB). Allocates nothing. */
void sl_arena_init(sl_arena_t *a, size_t chunk_size);

/* n bytes aligned to 16, owned by the arena; NULL when out of memory. */
void *sl_arena_alloc(sl_arena_t *a, size_t n);

/* Copy n bytes (p may be NULL when n == 0) into the arena, NUL-terminated for convenience. */
char *sl_arena_memdup(sl_arena_t *a, const void *p, size_t n);

/* sl_arena_memdup of a slice, returned as a slice (p == NULL on out of memory). A NULL input
 * slice stays NULL. */
sl_slice sl_arena_slice(sl_arena_t *a, sl_slice s);

/* Room for element n of an array of size-byte elements in the arena: v itself while n < *cap,
 * else a copy of its n elements in a new array of twice the capacity (8 the first time; *cap
 * updated; the old array stays with the arena). NULL when out of memory (v and *cap kept). */
void *sl_arena_grow(sl_arena_t *a, void *v, size_t n, size_t *cap, size_t size);

/* printf into the arena; NULL on out of memory. */
char *sl_arena_printf(sl_arena_t *a, const char *fmt, ...) SL_PRINTF(2, 3);

/* Run fn(arg) when the arena is reset or freed. Returns false (and does not register) when out
 * of memory; the caller must then release the resource itself. */
bool sl_arena_on_reset(sl_arena_t *a, void (*fn)(void *), void *arg);

/* Run cleanups and release all but the first chunk, which is kept for reuse. */
void sl_arena_reset(sl_arena_t *a);

/* Run cleanups and release everything; the arena may be initialised again. */
void sl_arena_free(sl_arena_t *a);

#endif
