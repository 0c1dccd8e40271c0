/*
 * bitmap.c - BITMAP (64-bit Roaring over libroaring's 32-bit bitmaps) and HLL (Doris's layout)
 * values (batch stage). Formats: bitmap.h.
 *
 *   to_bitmap / bitmap_hash / bitmap_from_string -> sl_bitmap -> sl_bitmap_write -> bytes
 *   bytes -> sl_bitmap_or_bytes (union) -> sl_bitmap_count / sl_bitmap_text
 *   hll_hash -> sl_hll_add_hash -> sl_hll_write; sl_hll_or_bytes -> sl_hll_estimate
 *
 * Stored bytes are read defensively: a malformed value is an error, never a read past its end
 * (Roaring's own "safe" deserializer checks each bucket).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <roaring/roaring.h>

#include "../core/mem.h"
#include "bitmap.h"

struct sl_bitmap {
    size_t n, cap;
    uint32_t *hi;              /* ascending high 32 bits */
    roaring_bitmap_t **bm;     /* their low 32 bits */
};

sl_bitmap *sl_bitmap_new(void)
{
    return sl_calloc(sizeof(sl_bitmap));
}

void sl_bitmap_free(sl_bitmap *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->n; i++)
        roaring_bitmap_free(b->bm[i]);
    sl_free(b->hi);
    sl_free(b->bm);
    sl_free(b);
}

/* The bucket of high bits hi, created empty when absent; NULL when out of memory. */
static roaring_bitmap_t *bucket(sl_bitmap *b, uint32_t hi)
{
    size_t lo = 0, up = b->n;
    while (lo < up) {
        size_t mid = (lo + up) / 2;
        if (b->hi[mid] < hi)
            lo = mid + 1;
        else
            up = mid;
    }
    if (lo < b->n && b->hi[lo] == hi)
        return b->bm[lo];
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 4;
        uint32_t *h2 = sl_realloc(b->hi, cap * sizeof *h2);
        if (h2 == NULL)
            return NULL;
        b->hi = h2;
        roaring_bitmap_t **m2 = sl_realloc(b->bm, cap * sizeof *m2);
        if (m2 == NULL)
            return NULL;
        b->bm = m2, b->cap = cap;
    }
    roaring_bitmap_t *r = roaring_bitmap_create();
    if (r == NULL)
        return NULL;
    memmove(b->hi + lo + 1, b->hi + lo, (b->n - lo) * sizeof *b->hi);
    memmove(b->bm + lo + 1, b->bm + lo, (b->n - lo) * sizeof *b->bm);
    b->hi[lo] = hi, b->bm[lo] = r, b->n++;
    return r;
}

bool sl_bitmap_add(sl_bitmap *b, uint64_t v)
{
    roaring_bitmap_t *r = bucket(b, (uint32_t)(v >> 32));
    if (r == NULL)
        return false;
    roaring_bitmap_add(r, (uint32_t)v);
    return true;
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

bool sl_bitmap_or_bytes(sl_bitmap *b, sl_slice ser)
{
    const uint8_t *p = (const uint8_t *)ser.p, *e = p + ser.n;
    if (ser.n < 8)
        return false;
    uint64_t nb = le64(p);
    p += 8;
    if (nb > ser.n / 4)
        return false;
    for (uint64_t i = 0; i < nb; i++) {
        if (e - p < 4)
            return false;
        uint32_t hi = le32(p);
        p += 4;
        size_t sz = roaring_bitmap_portable_deserialize_size((const char *)p, (size_t)(e - p));
        if (sz == 0)
            return false;
        roaring_bitmap_t *r = roaring_bitmap_portable_deserialize_safe((const char *)p, sz);
        roaring_bitmap_t *dst = r ? bucket(b, hi) : NULL;
        if (dst)
            roaring_bitmap_or_inplace(dst, r);
        if (r)
            roaring_bitmap_free(r);
        if (dst == NULL)
            return false;
        p += sz;
    }
    return p == e;
}

uint64_t sl_bitmap_count(const sl_bitmap *b)
{
    uint64_t n = 0;
    for (size_t i = 0; i < b->n; i++)
        n += roaring_bitmap_get_cardinality(b->bm[i]);
    return n;
}

bool sl_bitmap_write(sl_bitmap *b, sl_arena_t *a, sl_slice *out)
{
    size_t len = 8, k = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (roaring_bitmap_is_empty(b->bm[i]))
            continue;
        roaring_bitmap_run_optimize(b->bm[i]);
        len += 4 + roaring_bitmap_portable_size_in_bytes(b->bm[i]);
        k++;
    }
    char *p = sl_arena_alloc(a, len);
    if (p == NULL)
        return false;
    size_t at = 8;
    for (int i = 0; i < 8; i++)
        p[i] = (char)((uint64_t)k >> (8 * i));
    for (size_t i = 0; i < b->n; i++) {
        if (roaring_bitmap_is_empty(b->bm[i]))
            continue;
        for (int j = 0; j < 4; j++)
            p[at + (size_t)j] = (char)(b->hi[i] >> (8 * j));
        at += 4;
        at += roaring_bitmap_portable_serialize(b->bm[i], p + at);
    }
    *out = (sl_slice){p, at};
    return true;
}

typedef struct text_it {
    sl_buf *out;
    uint64_t hi;
    size_t max;
    bool first;
} text_it;

static bool put_value(uint32_t lo, void *arg)
{
    text_it *t = arg;
    char tmp[24];
    uint64_t v = t->hi | lo;
    size_t n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    if (!t->first)
        sl_buf_putc(t->out, ',');
    t->first = false;
    while (n)
        sl_buf_putc(t->out, tmp[--n]);
    return t->out->len <= t->max && !t->out->oom;
}

bool sl_bitmap_text(const sl_bitmap *b, sl_buf *out, size_t max_bytes)
{
    text_it t = {out, 0, max_bytes, true};
    for (size_t i = 0; i < b->n; i++) {
        t.hi = (uint64_t)b->hi[i] << 32;
        if (!roaring_iterate(b->bm[i], put_value, &t))
            return false;
    }
    return !out->oom;
}

bool sl_bitmap_parse(sl_bitmap *b, sl_slice text)
{
    const char *p = text.p, *e = p + text.n;
    bool any = false;
    while (p < e) {
        while (p < e && *p == ' ')
            p++;
        if (p == e)
            break;
        uint64_t v = 0;
        const char *d = p;
        for (; p < e && *p >= '0' && *p <= '9'; p++) {
            unsigned c = (unsigned)(*p - '0');
            if (v > (UINT64_MAX - c) / 10)
                return false;
            v = v * 10 + c;
        }
        if (p == d || !sl_bitmap_add(b, v))
            return false;
        any = true;
        while (p < e && *p == ' ')
            p++;
        if (p < e && *p++ != ',')
            return false;
        if (p == e && e[-1] == ',')
            return false;
    }
    return any || text.n == 0;
}

sl_slice sl_bitmap_empty(void)
{
    static const char zero[8] = {0};
    return (sl_slice){zero, 8};
}

/* ---- hashes (MurmurHash3 x86_32 and MurmurHash64A, written from their published
 * descriptions) ----------------------------------------------------------------------------- */

static uint32_t rotl32(uint32_t x, int r)
{
    return (x << r) | (x >> (32 - r));
}

static uint32_t murmur3_32(const void *data, size_t n, uint32_t seed)
{
    const uint8_t *p = data;
    const uint32_t c1 = 0xcc9e2d51, c2 = 0x1b873593;
    uint32_t h = seed, k;
    size_t nb = n / 4;
    for (size_t i = 0; i < nb; i++) {
        k = le32(p + 4 * i);
        k *= c1, k = rotl32(k, 15), k *= c2;
        h ^= k, h = rotl32(h, 13), h = h * 5 + 0xe6546b64;
    }
    const uint8_t *tail = p + 4 * nb;
    k = 0;
    switch (n & 3) {
    case 3: k ^= (uint32_t)tail[2] << 16; /* fall through */
    case 2: k ^= (uint32_t)tail[1] << 8;  /* fall through */
    case 1:
        k ^= tail[0];
        k *= c1, k = rotl32(k, 15), k *= c2;
        h ^= k;
    }
    h ^= (uint32_t)n;
    h ^= h >> 16, h *= 0x85ebca6b, h ^= h >> 13, h *= 0xc2b2ae35, h ^= h >> 16;
    return h;
}

uint32_t sl_bitmap_hash32(const void *data, size_t n)
{
    return murmur3_32(data, n, 104729);
}

uint64_t sl_hll_hash(const void *data, size_t n)
{
    const uint64_t m = 0xc6a4a7935bd1e995ULL;
    const int r = 47;
    const uint8_t *p = data;
    uint64_t h = 0xadc83b19ULL ^ ((uint64_t)n * m);
    size_t nb = n / 8;
    for (size_t i = 0; i < nb; i++) {
        uint64_t k = le64(p + 8 * i);
        k *= m, k ^= k >> r, k *= m;
        h ^= k, h *= m;
    }
    const uint8_t *t = p + 8 * nb;
    switch (n & 7) {
    case 7: h ^= (uint64_t)t[6] << 48; /* fall through */
    case 6: h ^= (uint64_t)t[5] << 40; /* fall through */
    case 5: h ^= (uint64_t)t[4] << 32; /* fall through */
    case 4: h ^= (uint64_t)t[3] << 24; /* fall through */
    case 3: h ^= (uint64_t)t[2] << 16; /* fall through */
    case 2: h ^= (uint64_t)t[1] << 8;  /* fall through */
    case 1: h ^= t[0], h *= m;
    }
    h ^= h >> r, h *= m, h ^= h >> r;
    return h;
}

/* ---- HLL ----------------------------------------------------------------------------------- */

#define HLL_P 14
#define HLL_M (1u << HLL_P)
#define HLL_EXPLICIT 160
#define HLL_SPARSE_MAX 4096

void sl_hll_free(sl_hll *h)
{
    sl_free(h->reg);
    h->reg = NULL;
    h->type = 0, h->n_explicit = 0;
}

static void reg_update(uint8_t *reg, uint64_t hash)
{
    unsigned idx = (unsigned)(hash % HLL_M);
    uint64_t rest = (hash >> HLL_P) | ((uint64_t)1 << (64 - HLL_P));
    uint8_t first = (uint8_t)(__builtin_ctzll(rest) + 1);
    if (reg[idx] < first)
        reg[idx] = first;
}

/* From explicit hashes to registers. */
static bool to_registers(sl_hll *h)
{
    if (h->reg)
        return true;
    if ((h->reg = sl_calloc(HLL_M)) == NULL)
        return false;
    for (unsigned i = 0; i < h->n_explicit; i++)
        reg_update(h->reg, h->explicit_[i]);
    h->type = 3, h->n_explicit = 0;
    return true;
}

bool sl_hll_add_hash(sl_hll *h, uint64_t hash)
{
    if (h->type != 3) {
        for (unsigned i = 0; i < h->n_explicit; i++)
            if (h->explicit_[i] == hash)
                return true;
        if (h->n_explicit < HLL_EXPLICIT) {
            h->explicit_[h->n_explicit++] = hash;
            h->type = 1;
            return true;
        }
        if (!to_registers(h))
            return false;
    }
    reg_update(h->reg, hash);
    return true;
}

bool sl_hll_or_bytes(sl_hll *h, sl_slice ser)
{
    const uint8_t *p = (const uint8_t *)ser.p;
    if (ser.n < 1)
        return false;
    switch (p[0]) {
    case 0: return ser.n == 1;
    case 1: {
        if (ser.n < 2 || ser.n != 2 + (size_t)p[1] * 8)
            return false;
        for (unsigned i = 0; i < p[1]; i++)
            if (!sl_hll_add_hash(h, le64(p + 2 + 8 * i)))
                return false;
        return true;
    }
    case 2: {
        if (ser.n < 5)
            return false;
        uint32_t k = le32(p + 1);
        if (k > HLL_M || ser.n != 5 + (size_t)k * 3 || !to_registers(h))
            return false;
        for (uint32_t i = 0; i < k; i++) {
            const uint8_t *q = p + 5 + 3 * i;
            unsigned idx = (unsigned)q[0] | (unsigned)q[1] << 8;
            if (idx >= HLL_M)
                return false;
            h->reg[idx] = h->reg[idx] > q[2] ? h->reg[idx] : q[2];
        }
        return true;
    }
    case 3:
        if (ser.n != 1 + HLL_M || !to_registers(h))
            return false;
        for (unsigned i = 0; i < HLL_M; i++)
            h->reg[i] = h->reg[i] > p[1 + i] ? h->reg[i] : p[1 + i];
        return true;
    default: return false;
    }
}

int64_t sl_hll_estimate(const sl_hll *h)
{
    if (h->type != 3)
        return h->n_explicit;
    const double m = HLL_M;
    float alpha = 0.7213F / (1 + 1.079F / (float)HLL_M), harmonic = 0;
    int zeros = 0;
    for (unsigned i = 0; i < HLL_M; i++) {
        harmonic += powf(2.0F, -(float)h->reg[i]);
        zeros += h->reg[i] == 0;
    }
    harmonic = 1.0F / harmonic;
    double est = alpha * m * m * harmonic;
    if (est <= m * 2.5 && zeros != 0) {
        est = m * log((float)HLL_M / (float)zeros);
    } else if (est < 72000) {
        double bias = 5.9119e-18 * (est * est * est * est) - 1.4253e-12 * (est * est * est) +
                      1.2940e-7 * (est * est) - 5.2921e-3 * est + 83.3216;
        est -= est * (bias / 100);
    }
    return (int64_t)(est + 0.5);
}

bool sl_hll_write(const sl_hll *h, sl_arena_t *a, sl_slice *out)
{
    uint8_t *p;
    size_t n;
    if (h->type != 3) {
        n = h->n_explicit ? 2 + 8 * (size_t)h->n_explicit : 1;
        if ((p = sl_arena_alloc(a, n)) == NULL)
            return false;
        p[0] = h->n_explicit ? 1 : 0;
        if (h->n_explicit)
            p[1] = h->n_explicit;
        for (unsigned i = 0; i < h->n_explicit; i++)
            for (int j = 0; j < 8; j++)
                p[2 + 8 * i + (unsigned)j] = (uint8_t)(h->explicit_[i] >> (8 * j));
        *out = (sl_slice){(const char *)p, n};
        return true;
    }
    uint32_t nz = 0;
    for (unsigned i = 0; i < HLL_M; i++)
        nz += h->reg[i] != 0;
    n = nz > HLL_SPARSE_MAX ? 1 + HLL_M : 5 + 3 * (size_t)nz;
    if ((p = sl_arena_alloc(a, n)) == NULL)
        return false;
    if (nz > HLL_SPARSE_MAX) {
        p[0] = 3;
        memcpy(p + 1, h->reg, HLL_M);
    } else {
        p[0] = 2;
        for (int j = 0; j < 4; j++)
            p[1 + j] = (uint8_t)(nz >> (8 * j));
        size_t at = 5;
        for (unsigned i = 0; i < HLL_M; i++)
            if (h->reg[i])
                p[at++] = (uint8_t)i, p[at++] = (uint8_t)(i >> 8), p[at++] = h->reg[i];
    }
    *out = (sl_slice){(const char *)p, n};
    return true;
}
