/*
 * test_bitmap.c - unit tests for src/batch/bitmap.c: 64-bit Roaring bitmaps over libroaring
 * (values across buckets, union, serialization, bitmap_from_string), Doris's hashes and Doris's
 * HyperLogLog layout and estimate.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/batch/bitmap.c"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

static char *text_of(sl_bitmap *b)
{
    sl_buf t = SL_BUF_INIT;
    cr_assert(sl_bitmap_text(b, &t, 1u << 20));
    return t.p ? t.p : strdup("");
}

Test(bitmap, values_across_buckets_round_trip)
{
    sl_bitmap *b = sl_bitmap_new();
    uint64_t vals[] = {0, 1, 4294967295u, 4294967296u, UINT64_MAX, 7, 1};
    for (size_t i = 0; i < SL_COUNT(vals); i++)
        cr_assert(sl_bitmap_add(b, vals[i]));
    cr_assert(eq(u64, sl_bitmap_count(b), 6));
    char *t = text_of(b);
    cr_assert(eq(str, t, "0,1,7,4294967295,4294967296,18446744073709551615"));
    free(t);
    sl_arena_t a;
    sl_arena_init(&a, 256);
    sl_slice ser;
    cr_assert(sl_bitmap_write(b, &a, &ser));
    sl_bitmap *c = sl_bitmap_new();
    cr_assert(sl_bitmap_or_bytes(c, ser));
    cr_assert(eq(u64, sl_bitmap_count(c), 6));
    cr_assert(sl_bitmap_add(c, 100));
    cr_assert(sl_bitmap_or_bytes(c, ser)); /* union with itself: nothing new */
    cr_assert(eq(u64, sl_bitmap_count(c), 7));
    /* every truncation is refused (or reads a shorter valid prefix), never over-read */
    for (size_t n = 0; n < ser.n; n++) {
        char *p = malloc(n ? n : 1);
        memcpy(p, ser.p, n);
        sl_bitmap *d = sl_bitmap_new();
        cr_assert(not(sl_bitmap_or_bytes(d, (sl_slice){p, n})), "%zu of %zu bytes", n, ser.n);
        sl_bitmap_free(d);
        free(p);
    }
    sl_bitmap_free(b);
    sl_bitmap_free(c);
    sl_arena_free(&a);
}

Test(bitmap, empty_and_from_string)
{
    sl_bitmap *b = sl_bitmap_new();
    cr_assert(sl_bitmap_or_bytes(b, sl_bitmap_empty()));
    cr_assert(eq(u64, sl_bitmap_count(b), 0));
    cr_assert(sl_bitmap_parse(b, SL_LIT("3, 1,2,3")));
    char *t = text_of(b);
    cr_assert(eq(str, t, "1,2,3"));
    free(t);
    sl_bitmap *c = sl_bitmap_new();
    cr_assert(not(sl_bitmap_parse(c, SL_LIT("1,x"))));
    cr_assert(not(sl_bitmap_parse(c, SL_LIT("1,"))));
    cr_assert(not(sl_bitmap_parse(c, SL_LIT("-1"))));
    cr_assert(not(sl_bitmap_parse(c, SL_LIT("18446744073709551616"))));
    sl_bitmap_free(b);
    sl_bitmap_free(c);
}

/* MurmurHash3 x86_32's published vectors, then Doris's documented bitmap_hash values
 * (bitmap_hash('hello') = 1321743225, 'world' 2453398188). */
Test(bitmap, hashes)
{
    cr_assert(eq(u32, murmur3_32("", 0, 0), 0u));
    cr_assert(eq(u32, murmur3_32("", 0, 1), 0x514E28B7u));
    cr_assert(eq(u32, murmur3_32("", 0, 0xffffffffu), 0x81F16F39u));
    cr_assert(eq(u32, murmur3_32("\0\0\0\0", 4, 0), 0x2362F9DEu));
    cr_assert(eq(u32, sl_bitmap_hash32("hello", 5), 1321743225u));
    cr_assert(eq(u32, sl_bitmap_hash32("world", 5), 2453398188u));
    cr_assert(sl_hll_hash("abc", 3) != sl_hll_hash("abd", 3));
    cr_assert(eq(u64, sl_hll_hash("abc", 3), sl_hll_hash("abc", 3)));
}

Test(hll, explicit_then_registers)
{
    sl_hll h = {0};
    sl_arena_t a;
    sl_slice ser;
    sl_arena_init(&a, 1024);
    cr_assert(eq(i64, sl_hll_estimate(&h), 0));
    cr_assert(sl_hll_write(&h, &a, &ser));
    cr_assert(ser.n == 1 && ser.p[0] == 0);
    char buf[32];
    for (int i = 0; i < 160; i++) {
        int n = snprintf(buf, sizeof buf, "v%d", i);
        cr_assert(sl_hll_add_hash(&h, sl_hll_hash(buf, (size_t)n)));
    }
    cr_assert(eq(i64, sl_hll_estimate(&h), 160)); /* exact while explicit */
    cr_assert(sl_hll_write(&h, &a, &ser));
    cr_assert(eq(sz, ser.n, 2 + 160 * 8));
    for (int i = 160; i < 20000; i++) {
        int n = snprintf(buf, sizeof buf, "v%d", i);
        cr_assert(sl_hll_add_hash(&h, sl_hll_hash(buf, (size_t)n)));
    }
    int64_t e = sl_hll_estimate(&h);
    cr_assert(e > 19000 && e < 21000, "estimate %lld", (long long)e);
    cr_assert(sl_hll_write(&h, &a, &ser)); /* > 4096 registers set: the full layout */
    cr_assert(eq(sz, ser.n, 1 + 16384));
    sl_hll back = {0};
    cr_assert(sl_hll_or_bytes(&back, ser));
    cr_assert(eq(i64, sl_hll_estimate(&back), e));
    cr_assert(not(sl_hll_or_bytes(&back, (sl_slice){ser.p, ser.n - 1})));
    cr_assert(not(sl_hll_or_bytes(&back, SL_LIT("\x07"))));
    sl_hll_free(&h);
    sl_hll_free(&back);
    sl_arena_free(&a);
}

Test(hll, sparse_layout_and_union)
{
    sl_hll a1 = {0}, a2 = {0}, u = {0};
    sl_arena_t a;
    sl_slice s1, s2;
    sl_arena_init(&a, 1024);
    char buf[32];
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(buf, sizeof buf, "x%d", i);
        cr_assert(sl_hll_add_hash(i < 600 ? &a1 : &a2, sl_hll_hash(buf, (size_t)n)));
    }
    cr_assert(sl_hll_write(&a1, &a, &s1));
    cr_assert(s1.p[0] == 2, "a sparse sketch"); /* 600 values: fewer than 4096 registers */
    cr_assert(sl_hll_write(&a2, &a, &s2));
    cr_assert(sl_hll_or_bytes(&u, s1) && sl_hll_or_bytes(&u, s2));
    int64_t e = sl_hll_estimate(&u);
    cr_assert(e > 950 && e < 1050, "estimate %lld", (long long)e);
    sl_hll_free(&a1), sl_hll_free(&a2), sl_hll_free(&u);
    sl_arena_free(&a);
}
