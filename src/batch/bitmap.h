/*
 * bitmap.h - BITMAP and HLL values (batch stage; used by the expression engine's bitmap
 * functions and aggregates and by the stores' AGGREGATE KEY merge).
 *
 * BITMAP: a set of unsigned 64-bit integers, a Roaring bitmap (Debian's libroaring, 32-bit
 * containers) per distinct high 32 bits. Serialized in the portable 64-bit Roaring format: the
 * number of buckets (uint64 LE), then per bucket in ascending order its high 32 bits (uint32 LE)
 * and its 32-bit bitmap in Roaring's portable format. An empty bitmap is 8 zero bytes.
 *
 * HLL: Doris's HyperLogLog layout (precision 14, 16384 one-byte registers): type byte 0 empty,
 * 1 explicit (count byte, then up to 160 distinct 64-bit hashes LE), 2 sparse (uint32 LE count,
 * then uint16 LE index + register byte each), 3 full (16384 registers). hll_hash is
 * MurmurHash64A with Doris's seed, and the estimate is Doris's (linear counting below 2.5 m,
 * the bias correction below 72000), so cardinalities match Doris's for the same values.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_BITMAP_H
#define SL_BITMAP_H

#include "../core/arena.h"
#include "../core/buf.h"

/** A BITMAP being built or read; owns its memory (sl_bitmap_free). */
typedef struct sl_bitmap sl_bitmap;

/* A new empty bitmap, or NULL when out of memory. */
sl_bitmap *sl_bitmap_new(void);
void sl_bitmap_free(sl_bitmap *b);

/* Add v; false when out of memory. */
bool sl_bitmap_add(sl_bitmap *b, uint64_t v);

/* Union the serialized bitmap ser into b. False when ser is malformed or memory runs out. */
bool sl_bitmap_or_bytes(sl_bitmap *b, sl_slice ser);

/* Number of values. */
uint64_t sl_bitmap_count(const sl_bitmap *b);

/* Serialize into a (portable 64-bit Roaring, optimized with run containers). False when out of
 * memory. */
bool sl_bitmap_write(sl_bitmap *b, sl_arena_t *a, sl_slice *out);

/* The values in ascending order, comma-separated ("1,2,3"), appended to out; stops (returning
 * false) once out passes max_bytes. */
bool sl_bitmap_text(const sl_bitmap *b, sl_buf *out, size_t max_bytes);

/* Parse "1,2,3" (Doris's bitmap_from_string: unsigned decimal integers, commas, spaces); false
 * when the text is not such a list. */
bool sl_bitmap_parse(sl_bitmap *b, sl_slice text);

/* Doris's bitmap_hash: MurmurHash3 x86_32 of the bytes with seed 104729. */
uint32_t sl_bitmap_hash32(const void *p, size_t n);

/* The serialized empty bitmap (static). */
sl_slice sl_bitmap_empty(void);

/** An HLL being built; zero-initialised is empty. Owns its registers (sl_hll_free). */
typedef struct sl_hll {
    uint8_t type;         /* 0 empty, 1 explicit, 3 registers */
    uint8_t n_explicit;
    uint64_t explicit_[160];
    uint8_t *reg;         /* 16384 registers once past 160 distinct hashes */
} sl_hll;

void sl_hll_free(sl_hll *h);

/* Add a 64-bit hash; false when out of memory. */
bool sl_hll_add_hash(sl_hll *h, uint64_t hash);

/* Doris's hll_hash of bytes (MurmurHash64A, seed 0xadc83b19). */
uint64_t sl_hll_hash(const void *p, size_t n);

/* Union the serialized HLL ser into h; false when malformed or out of memory. */
bool sl_hll_or_bytes(sl_hll *h, sl_slice ser);

/* Doris's cardinality estimate (exact while explicit). */
int64_t sl_hll_estimate(const sl_hll *h);

/* Serialize (Doris's layout: explicit, sparse or full, whichever Doris would pick) into a. */
bool sl_hll_write(const sl_hll *h, sl_arena_t *a, sl_slice *out);

#endif
