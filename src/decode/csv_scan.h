/*
 * csv_scan.h - byte-class scanning and UTF-8 validation for the CSV decoder (decode stage).
 *
 * csv.c finds separators, delimiters and enclose bytes through these three helpers only, so the
 * per-ISA code lives here behind one #if [zsv zsv_scan_simd_*.h]: SSE2 (every x86-64) or a
 * portable scalar fallback. All helpers read only p[0..n) and never write.
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
    uint64_t ra = 0, rb = 0, rh = 0;
    size_t lim = n < 64 ? n : 64;
    for (size_t i = 0; i < lim; i++) {
        ra |= (uint64_t)(p[i] == a) << i;
        rb |= (uint64_t)(p[i] == b) << i;
        rh |= (uint64_t)((unsigned char)p[i] >= 0x80) << i;
    }
    *m_a = ra, *m_b = rb, *m_hi = rh;
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
