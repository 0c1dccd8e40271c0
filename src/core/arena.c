/*
 * arena.c - region allocator (core). See arena.h for the lifetimes it serves.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "platform.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "mem.h"

struct sl_arena_chunk {
    struct sl_arena_chunk *next;
    size_t cap;   /* usable bytes after the header */
    size_t used;
    /* data follows, 16-byte aligned */
};

struct sl_arena_cleanup {
    struct sl_arena_cleanup *next;
    void (*fn)(void *);
    void *arg;
};

#define HDR ((sizeof(struct sl_arena_chunk) + 15) & ~(size_t)15)

void sl_arena_init(sl_arena_t *a, size_t chunk_size)
{
    a->head = NULL;
    a->cleanups = NULL;
    a->chunk_size = chunk_size ? chunk_size : 16384;
    a->used = 0;
}

void *sl_arena_alloc(sl_arena_t *a, size_t n)
{
    if (n > SIZE_MAX - HDR - 15) /* the rounding or the chunk's size would wrap */
        return NULL;
    n = (n + 15) & ~(size_t)15;
    struct sl_arena_chunk *c = a->head;
    if (c == NULL || c->cap - c->used < n) {
        size_t cap = n > a->chunk_size ? n : a->chunk_size;
        c = sl_malloc(HDR + cap);
        if (c == NULL)
            return NULL;
        c->cap = cap;
        c->used = 0;
        /* A big one-off allocation goes behind the current chunk so the current chunk's free
         * space is not wasted. */
        if (a->head && n > a->chunk_size) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    void *p = (char *)c + HDR + c->used;
    c->used += n;
    a->used += n;
    return p;
}

char *sl_arena_memdup(sl_arena_t *a, const void *p, size_t n)
{
    char *s = sl_arena_alloc(a, n + 1);
    if (s == NULL)
        return NULL;
    if (n)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

sl_slice sl_arena_slice(sl_arena_t *a, sl_slice s)
{
    if (s.p == NULL)
        return s;
    char *p = sl_arena_memdup(a, s.p, s.n);
    return (sl_slice){p, p ? s.n : 0};
}

void *sl_arena_grow(sl_arena_t *a, void *v, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return v;
    size_t nc = *cap ? *cap * 2 : 8;
    if (size == 0 || nc > SIZE_MAX / size)
        return NULL;
    void *nv = sl_arena_alloc(a, nc * size);
    if (nv == NULL)
        return NULL;
    if (n)
        memcpy(nv, v, n * size);
    *cap = nc;
    return nv;
}

char *sl_arena_printf(sl_arena_t *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = sl_arena_alloc(a, (size_t)n + 1);
    if (s == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

bool sl_arena_on_reset(sl_arena_t *a, void (*fn)(void *), void *arg)
{
    struct sl_arena_cleanup *c = sl_arena_alloc(a, sizeof *c);
    if (c == NULL)
        return false;
    c->fn = fn;
    c->arg = arg;
    c->next = a->cleanups;
    a->cleanups = c;
    return true;
}

static void run_cleanups(sl_arena_t *a)
{
    /* Cleanups live in the arena's own memory, so take each one before running it. */
    while (a->cleanups) {
        struct sl_arena_cleanup *c = a->cleanups;
        a->cleanups = c->next;
        c->fn(c->arg);
    }
}

void sl_arena_reset(sl_arena_t *a)
{
    run_cleanups(a);
    struct sl_arena_chunk *keep = NULL, *c = a->head;
    while (c) {
        struct sl_arena_chunk *next = c->next;
        if (keep == NULL && c->cap == a->chunk_size) {
            keep = c;
            keep->used = 0;
            keep->next = NULL;
        } else {
            sl_free(c);
        }
        c = next;
    }
    a->head = keep;
    a->used = 0;
}

void sl_arena_free(sl_arena_t *a)
{
    run_cleanups(a);
    struct sl_arena_chunk *c = a->head;
    while (c) {
        struct sl_arena_chunk *next = c->next;
        sl_free(c);
        c = next;
    }
    a->head = NULL;
    a->used = 0;
}
