/*
 * csv_scan.h - byte-class scanning and UTF-8 validation for the CSV decoder (decode stage).
 *
 * csv.c finds separators, delimiters and enclose bytes through these helpers only, so the
 * per-ISA code lives here behind one #if [zsv zsv_scan_simd_*.h]: SSE2 (every x86-64) or a
 * portable scalar fallback, and for the block masks of the fast loop also AVX2, chosen at run
 * time (sl__csv_masks_best) so that one binary runs on any x86-64. The scalar versions are
 * always compiled, so that the unit tests compare every variant with them. All helpers read
 * only p[0..n) and never write it.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_CSV_SCAN_H
#define SL_CSV_SCAN_H

#include "../core/platform.h"

#include <string.h>

#if defined(__SSE2__) && !defined(SL_CSV_SCALAR)
#include <emmintrin.h>
#define SL__CSV_SSE2 1
#else
#define SL__CSV_SSE2 0
#endif

/* AVX2 through a target attribute (GCC, Clang) and a CPU check at run time; the build itself
 * stays baseline x86-64. */
#if SL__CSV_SSE2 && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define SL__CSV_AVX2 1
#else
#define SL__CSV_AVX2 0
#endif

/* Bytes per sl__csv_masks call: 8 words of each mask (a few records), so that the call through
 * the pointer costs little next to the fields found. */
#define SL__CSV_BLOCK 512

/* Block masks: for each 64-byte word w of p[0..n) (n <= SL__CSV_BLOCK), bit i of m_a[w]
 * (m_b[w]) is set when p[64w + i] == a (b), bit i of m_hi[w] when that byte is >= 0x80. Bits
 * at or beyond n are zero; words beyond the last are not written. */
typedef void (*sl__csv_masks_fn)(const char *p, size_t n, char a, char b, uint64_t *m_a,
                                 uint64_t *m_b, uint64_t *m_hi);

/* The portable version: one byte at a time. */
static inline void sl__csv_masks_scalar(const char *p, size_t n, char a, char b, uint64_t *m_a,
                                        uint64_t *m_b, uint64_t *m_hi)
{
    for (size_t w = 0; w * 64 < n; w++) {
        uint64_t ra = 0, rb = 0, rh = 0;
        size_t lim = n - w * 64 < 64 ? n - w * 64 : 64;
        const char *q = p + w * 64;
        for (size_t i = 0; i < lim; i++) {
            ra |= (uint64_t)(q[i] == a) << i;
            rb |= (uint64_t)(q[i] == b) << i;
            rh |= (uint64_t)((unsigned char)q[i] >= 0x80) << i;
        }
        m_a[w] = ra, m_b[w] = rb, m_hi[w] = rh;
    }
}

#if SL__CSV_SSE2
/* The masks of sl__csv_scan64 for 64 readable bytes at p, four 16-byte vectors. */
static inline __attribute__((always_inline)) void sl__csv_scan64_sse2(const char *p, char a,
                                                                      char b, uint64_t *m_a,
                                                                      uint64_t *m_b,
                                                                      uint64_t *m_hi)
{
    const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
    const __m128i v0 = _mm_loadu_si128((const __m128i *)(const void *)p);
    const __m128i v1 = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
    const __m128i v2 = _mm_loadu_si128((const __m128i *)(const void *)(p + 32));
    const __m128i v3 = _mm_loadu_si128((const __m128i *)(const void *)(p + 48));
#define SL__MASK64(f)                                                                             \
    ((uint64_t)(uint32_t)_mm_movemask_epi8(f(v0)) |                                              \
     (uint64_t)(uint32_t)_mm_movemask_epi8(f(v1)) << 16 |                                        \
     (uint64_t)(uint32_t)_mm_movemask_epi8(f(v2)) << 32 |                                        \
     (uint64_t)(uint32_t)_mm_movemask_epi8(f(v3)) << 48)
#define SL__EQ_A(v) _mm_cmpeq_epi8(v, va)
#define SL__EQ_B(v) _mm_cmpeq_epi8(v, vb)
#define SL__SELF(v) (v)
    *m_a = SL__MASK64(SL__EQ_A);
    *m_b = SL__MASK64(SL__EQ_B);
    /* Bytes >= 0x80 are rare in most files: one test of all four vectors first. */
    *m_hi = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(v0, v1), _mm_or_si128(v2, v3)))
                ? SL__MASK64(SL__SELF)
                : 0;
#undef SL__MASK64
#undef SL__EQ_A
#undef SL__EQ_B
#undef SL__SELF
}
#endif

/* Masks of one 64-byte block: bit i of *m_a (*m_b) is set when p[i] == a (b), bit i of *m_hi
 * when p[i] >= 0x80, for i < min(n, 64). Bits at or beyond n are zero. */
static inline void sl__csv_scan64(const char *p, size_t n, char a, char b, uint64_t *m_a,
                                  uint64_t *m_b, uint64_t *m_hi)
{
#if SL__CSV_SSE2
    if (SL_LIKELY(n >= 64)) {
        sl__csv_scan64_sse2(p, a, b, m_a, m_b, m_hi);
        return;
    }
    /* The tail: scan a zero-padded copy and clear the bits past n (a or b may be NUL). */
    char tmp[64];
    memset(tmp, 0, sizeof tmp);
    memcpy(tmp, p, n);
    sl__csv_scan64_sse2(tmp, a, b, m_a, m_b, m_hi);
    uint64_t keep = (1ull << n) - 1; /* n < 64 here */
    *m_a &= keep, *m_b &= keep, *m_hi &= keep;
#else
    sl__csv_masks_scalar(p, n < 64 ? n : 64, a, b, m_a, m_b, m_hi);
#endif
}

#if SL__CSV_SSE2
static inline void sl__csv_masks_sse2(const char *p, size_t n, char a, char b, uint64_t *m_a,
                                      uint64_t *m_b, uint64_t *m_hi)
{
    for (size_t w = 0; w * 64 < n; w++)
        sl__csv_scan64(p + w * 64, n - w * 64, a, b, m_a + w, m_b + w, m_hi + w);
}
#endif

#if SL__CSV_AVX2
/* sl__csv_masks with two 32-byte vectors per word; only called when the CPU has AVX2. */
__attribute__((target("avx2"))) static inline void
sl__csv_masks_avx2(const char *p, size_t n, char a, char b, uint64_t *m_a, uint64_t *m_b,
                   uint64_t *m_hi)
{
    const __m256i va = _mm256_set1_epi8(a), vb = _mm256_set1_epi8(b);
    char tmp[64];
    for (size_t w = 0; w * 64 < n; w++) {
        const char *q = p + w * 64;
        size_t left = n - w * 64;
        if (left < 64) { /* the tail: a zero-padded copy, bits past n cleared below */
            memset(tmp, 0, sizeof tmp);
            memcpy(tmp, q, left);
            q = tmp;
        }
        const __m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)q);
        const __m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(q + 32));
        uint64_t keep = left < 64 ? (1ull << left) - 1 : ~0ull;
        m_a[w] = ((uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v0, va)) |
                  (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v1, va)) << 32) &
                 keep;
        m_b[w] = ((uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v0, vb)) |
                  (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v1, vb)) << 32) &
                 keep;
        m_hi[w] = ((uint64_t)(uint32_t)_mm256_movemask_epi8(v0) |
                   (uint64_t)(uint32_t)_mm256_movemask_epi8(v1) << 32) &
                  keep;
    }
}
#endif

/* The fastest block-mask version this CPU runs: AVX2, else SSE2, else the scalar one. */
static inline sl__csv_masks_fn sl__csv_masks_best(void)
{
#if SL__CSV_AVX2
    if (__builtin_cpu_supports("avx2"))
        return sl__csv_masks_avx2;
#endif
#if SL__CSV_SSE2
    return sl__csv_masks_sse2;
#else
    return sl__csv_masks_scalar;
#endif
}

/* Index of the first byte of p[0..n) equal to a or b; n when there is none. */
static inline size_t sl__csv_find2(const char *p, size_t n, char a, char b)
{
    size_t i = 0;
#if SL__CSV_SSE2
    const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)));
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
#endif
    for (; i < n; i++)
        if (p[i] == a || p[i] == b)
            return i;
    return n;
}

/* True when p[0..n) is well-formed UTF-8 (Unicode Table 3-7: no overlong forms, no surrogates,
 * nothing above U+10FFFF). ASCII runs are skipped 16 (SSE2) or 8 bytes at a time. */
static inline bool sl__csv_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
#if SL__CSV_SSE2
        while (i + 16 <= n &&
               _mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + i))) == 0)
            i += 16;
#endif
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        unsigned c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c < 0xC2 || c > 0xF4)
            return false;
        if (c < 0xE0) {
            if (i + 1 >= n || (p[i + 1] & 0xC0) != 0x80)
                return false;
            i += 2;
            continue;
        }
        if (i + 1 >= n)
            return false;
        unsigned c1 = p[i + 1];
        unsigned lo = 0x80, hi = 0xBF;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F; /* U+D800..U+DFFF are surrogates */
        else if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
        if (c1 < lo || c1 > hi)
            return false;
        size_t len = c < 0xF0 ? 3 : 4;
        if (i + len > n || (p[i + 2] & 0xC0) != 0x80)
            return false;
        if (len == 4 && (p[i + 3] & 0xC0) != 0x80)
            return false;
        i += len;
    }
    return true;
}

#endif
