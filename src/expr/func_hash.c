/*
 * func_hash.c - hash, digest, encoding and encryption builtins of load expressions (expr
 * stage; Doris's "hash" and "encrypt-digest" families).
 *
 *   murmur_hash3_32 / _64, xxhash_32 / _64   written here from the published algorithms
 *                                            (MurmurHash3 x86_32 and Doris's 64-bit variant, XXH32, XXH3-64)
 *   crc32 (zlib), md5sum, sha1, sm3, aes_*, sm4_*, to_base64 / from_base64 (OpenSSL EVP)
 *
 * Doris's rules: every function takes strings; NULL in any argument gives NULL. The variadic
 * hashes chain their arguments (each argument is hashed with the previous hash as its seed;
 * murmur_hash3_32 starts from Doris's seed 104729, the others from 0); md5sum and sm3sum
 * digest the concatenation. aes_encrypt / sm4_encrypt follow MySQL: the key is folded into
 * the cipher's key length by XOR, PKCS#7 padding for the block modes, the mode a fourth
 * argument such as 'AES_256_CBC' (default AES_128_ECB / SM4_128_ECB), the IV the third (its
 * first 16 bytes, zero-padded). Their results are raw bytes; a decryption that fails (wrong
 * key, bad padding) is NULL, as is an unknown mode.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <strings.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "internal.h"

/* ---- MurmurHash3 (Austin Appleby's public-domain algorithm) ---- */

static uint32_t rotl32(uint32_t x, int r)
{
    return (x << r) | (x >> (32 - r));
}

static uint64_t rotl64(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint32_t murmur3_32(const unsigned char *p, size_t n, uint32_t h)
{
    const uint32_t c1 = 0xcc9e2d51, c2 = 0x1b873593;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        uint32_t k = rotl32(le32(p + i) * c1, 15) * c2;
        h = rotl32(h ^ k, 13) * 5 + 0xe6546b64;
    }
    uint32_t k = 0;
    switch (n & 3) {
    case 3: k ^= (uint32_t)p[i + 2] << 16; /* fall through */
    case 2: k ^= (uint32_t)p[i + 1] << 8;  /* fall through */
    case 1: k ^= p[i]; h ^= rotl32(k * c1, 15) * c2;
    }
    h ^= (uint32_t)n;
    h ^= h >> 16, h *= 0x85ebca6b, h ^= h >> 13, h *= 0xc2b2ae35, h ^= h >> 16;
    return h;
}

static uint64_t fmix64(uint64_t k)
{
    k ^= k >> 33, k *= UINT64_C(0xff51afd7ed558ccd);
    k ^= k >> 33, k *= UINT64_C(0xc4ceb9fe1a85ec53);
    return k ^ (k >> 33);
}

/* Doris's murmur_hash3_64: MurmurHash3's x64 mixing over 8-byte blocks with a single
 * 64-bit state (murmur_hash3_x64_64 in Doris's BE), not the first half of x64_128. */
static uint64_t murmur3_64(const unsigned char *p, size_t n, uint64_t h)
{
    const uint64_t c1 = UINT64_C(0x87c37b91114253d5), c2 = UINT64_C(0x4cf5ad432745937f);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        h ^= rotl64(le64(p + i) * c1, 31) * c2;
        h = rotl64(h, 27) * 5 + 0x52dce729;
    }
    uint64_t k = 0;
    for (size_t j = n - i; j > 0; j--)
        k ^= (uint64_t)p[i + j - 1] << (8 * (j - 1));
    if (n > i)
        h ^= rotl64(k * c1, 31) * c2;
    return fmix64(h ^ (uint64_t)n);
}

/* ---- xxHash (Yann Collet's BSD-licensed algorithm, XXH32 and XXH64) ---- */

#define P32_1 0x9E3779B1u
#define P32_2 0x85EBCA77u
#define P32_3 0xC2B2AE3Du
#define P32_4 0x27D4EB2Fu
#define P32_5 0x165667B1u

static uint32_t xxh32_round(uint32_t acc, uint32_t in)
{
    return rotl32(acc + in * P32_2, 13) * P32_1;
}

static uint32_t xxh32(const unsigned char *p, size_t n, uint32_t seed)
{
    size_t i = 0;
    uint32_t h;
    if (n >= 16) {
        uint32_t v[4] = {seed + P32_1 + P32_2, seed + P32_2, seed, seed - P32_1};
        for (; i + 16 <= n; i += 16)
            for (int k = 0; k < 4; k++)
                v[k] = xxh32_round(v[k], le32(p + i + 4 * k));
        h = rotl32(v[0], 1) + rotl32(v[1], 7) + rotl32(v[2], 12) + rotl32(v[3], 18);
    } else {
        h = seed + P32_5;
    }
    h += (uint32_t)n;
    for (; i + 4 <= n; i += 4)
        h = rotl32(h + le32(p + i) * P32_3, 17) * P32_4;
    for (; i < n; i++)
        h = rotl32(h + p[i] * P32_5, 11) * P32_1;
    h ^= h >> 15, h *= P32_2, h ^= h >> 13, h *= P32_3, h ^= h >> 16;
    return h;
}

#define P64_1 UINT64_C(0x9E3779B185EBCA87)
#define P64_2 UINT64_C(0xC2B2AE3D27D4EB4F)
#define P64_3 UINT64_C(0x165667B19E3779F9)
#define P64_4 UINT64_C(0x85EBCA77C2B2AE63)
#define P64_5 UINT64_C(0x27D4EB2F165667C5)

/* ---- XXH3 (64-bit), what Doris's xxhash_64 computes ---- */

/* The algorithm's 192-byte default secret (a constant of its definition). */
static const unsigned char xxh3_secret[192] = {
    0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
    0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
    0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
    0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6, 0x81, 0x3a, 0x26, 0x4c,
    0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb, 0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3,
    0x71, 0x64, 0x48, 0x97, 0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
    0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7, 0xc7, 0x0b, 0x4f, 0x1d,
    0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31, 0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64,
    0xea, 0xc5, 0xac, 0x83, 0x34, 0xd3, 0xeb, 0xc3, 0xc5, 0x81, 0xa0, 0xff, 0xfa, 0x13, 0x63, 0xeb,
    0x17, 0x0d, 0xdd, 0x51, 0xb7, 0xf0, 0xda, 0x49, 0xd3, 0x16, 0x55, 0x26, 0x29, 0xd4, 0x68, 0x9e,
    0x2b, 0x16, 0xbe, 0x58, 0x7d, 0x47, 0xa1, 0xfc, 0x8f, 0xf8, 0xb8, 0xd1, 0x7a, 0xd0, 0x31, 0xce,
    0x45, 0xcb, 0x3a, 0x8f, 0x95, 0x16, 0x04, 0x28, 0xaf, 0xd7, 0xfb, 0xca, 0xbb, 0x4b, 0x40, 0x7e
};

#define PMX_1 UINT64_C(0x165667919E3779F9)
#define PMX_2 UINT64_C(0x9FB21C651E98DF25)

static uint64_t fold64(uint64_t a, uint64_t b)
{
    unsigned __int128 m = (unsigned __int128)a * b;
    return (uint64_t)m ^ (uint64_t)(m >> 64);
}

static uint64_t xxh3_avalanche(uint64_t h)
{
    h ^= h >> 37;
    h *= PMX_1;
    return h ^ (h >> 32);
}

static uint64_t xxh64_avalanche(uint64_t h)
{
    h ^= h >> 33, h *= P64_2, h ^= h >> 29, h *= P64_3;
    return h ^ (h >> 32);
}

static uint64_t xxh3_mix16(const unsigned char *p, const unsigned char *sec, uint64_t seed)
{
    return fold64(le64(p) ^ (le64(sec) + seed), le64(p + 8) ^ (le64(sec + 8) - seed));
}

static uint64_t xxh3_short(const unsigned char *p, size_t n, uint64_t seed)
{
    const unsigned char *k = xxh3_secret;
    if (n > 8) {
        uint64_t lo = le64(p) ^ ((le64(k + 24) ^ le64(k + 32)) + seed);
        uint64_t hi = le64(p + n - 8) ^ ((le64(k + 40) ^ le64(k + 48)) - seed);
        return xxh3_avalanche(n + __builtin_bswap64(lo) + hi + fold64(lo, hi));
    }
    if (n >= 4) {
        seed ^= (uint64_t)__builtin_bswap32((uint32_t)seed) << 32;
        uint64_t in = le32(p + n - 4) + ((uint64_t)le32(p) << 32);
        uint64_t h = in ^ ((le64(k + 8) ^ le64(k + 16)) - seed);
        h ^= rotl64(h, 49) ^ rotl64(h, 24);
        h *= PMX_2;
        h ^= (h >> 35) + n;
        h *= PMX_2;
        return h ^ (h >> 28);
    }
    if (n > 0) {
        uint32_t c = (uint32_t)p[0] << 16 | (uint32_t)p[n >> 1] << 24 | p[n - 1] | (uint32_t)n << 8;
        return xxh64_avalanche(c ^ ((uint64_t)(le32(k) ^ le32(k + 4)) + seed));
    }
    return xxh64_avalanche(seed ^ le64(k + 56) ^ le64(k + 64));
}

static uint64_t xxh3_mid(const unsigned char *p, size_t n, uint64_t seed)
{
    const unsigned char *k = xxh3_secret;
    uint64_t acc = n * P64_1;
    if (n <= 128) {
        for (size_t r = (n - 1) / 32 + 1; r-- > 0;) /* pairs from the outside in */
            acc += xxh3_mix16(p + 16 * r, k + 32 * r, seed) +
                   xxh3_mix16(p + n - 16 * (r + 1), k + 32 * r + 16, seed);
        return xxh3_avalanche(acc);
    }
    for (size_t i = 0; i < 8; i++)
        acc += xxh3_mix16(p + 16 * i, k + 16 * i, seed);
    acc = xxh3_avalanche(acc);
    for (size_t i = 8; i < n / 16; i++)
        acc += xxh3_mix16(p + 16 * i, k + 16 * (i - 8) + 3, seed);
    acc += xxh3_mix16(p + n - 16, k + 136 - 17, seed);
    return xxh3_avalanche(acc);
}

static void xxh3_stripe(uint64_t acc[8], const unsigned char *p, const unsigned char *k)
{
    for (int i = 0; i < 8; i++) {
        uint64_t v = le64(p + 8 * i), key = v ^ le64(k + 8 * i);
        acc[i ^ 1] += v;
        acc[i] += (uint64_t)(uint32_t)key * (key >> 32);
    }
}

static uint64_t xxh3_long(const unsigned char *p, size_t n, uint64_t seed)
{
    unsigned char k[192];
    uint64_t acc[8] = {P32_3, P64_1, P64_2, P64_3, P64_4, P32_2, P64_5, P32_1};
    const size_t stripes = (sizeof k - 64) / 8, block = 64 * stripes;
    for (size_t i = 0; i < sizeof k; i += 16) { /* the secret derived from the seed */
        uint64_t a = le64(xxh3_secret + i) + seed, b = le64(xxh3_secret + i + 8) - seed;
        for (int j = 0; j < 8; j++)
            k[i + j] = (unsigned char)(a >> (8 * j)), k[i + 8 + j] = (unsigned char)(b >> (8 * j));
    }
    size_t blocks = (n - 1) / block;
    for (size_t b = 0; b < blocks; b++) {
        for (size_t s = 0; s < stripes; s++)
            xxh3_stripe(acc, p + b * block + 64 * s, k + 8 * s);
        for (int i = 0; i < 8; i++) {
            uint64_t a = acc[i] ^ (acc[i] >> 47);
            acc[i] = (a ^ le64(k + sizeof k - 64 + 8 * i)) * P32_1;
        }
    }
    size_t last = ((n - 1) - block * blocks) / 64;
    for (size_t s = 0; s < last; s++)
        xxh3_stripe(acc, p + blocks * block + 64 * s, k + 8 * s);
    xxh3_stripe(acc, p + n - 64, k + sizeof k - 64 - 7);
    uint64_t h = n * P64_1;
    for (int i = 0; i < 4; i++)
        h += fold64(acc[2 * i] ^ le64(k + 11 + 16 * i), acc[2 * i + 1] ^ le64(k + 11 + 16 * i + 8));
    return xxh3_avalanche(h);
}

static uint64_t xxh3_64(const unsigned char *p, size_t n, uint64_t seed)
{
    return n <= 16 ? xxh3_short(p, n, seed) : n <= 240 ? xxh3_mid(p, n, seed)
                                                       : xxh3_long(p, n, seed);
}

/* ---- the hash functions ---- */

enum { H_MURMUR32, H_MURMUR64, H_XX32, H_XX64 };

#define MURMUR3_32_SEED 104729u

static sl_code f_hash(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    const int how = e->fn->aux;
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        uint64_t h = how == H_MURMUR32 ? MURMUR3_32_SEED : 0;
        for (size_t k = 0; k < e->n_args; k++) {
            const unsigned char *p = (const unsigned char *)av[k].v[i].s.p;
            size_t n = av[k].v[i].s.n;
            switch (how) {
            case H_MURMUR32: h = murmur3_32(p, n, (uint32_t)h); break;
            case H_MURMUR64: h = murmur3_64(p, n, h); break;
            case H_XX32: h = xxh32(p, n, (uint32_t)h); break;
            default: h = xxh3_64(p, n, h); break;
            }
        }
        out->v[i].i = how == H_MURMUR32 || how == H_XX32 ? (int64_t)(int32_t)(uint32_t)h
                                                          : (int64_t)h;
    }
    return SL_OK;
}

static sl_code f_crc32(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    (void)e;
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        sl_slice s = sl__arg_s(av, 0, i);
        uLong c = crc32(0L, Z_NULL, 0);
        while (s.n) { /* zlib takes uInt lengths */
            uInt part = s.n > (1u << 30) ? 1u << 30 : (uInt)s.n;
            c = crc32(c, (const Bytef *)s.p, part);
            s.p += part, s.n -= part;
        }
        out->v[i].i = (int64_t)c;
    }
    return SL_OK;
}

/* ---- digests of the concatenated arguments, as lower-case hex ---- */

/* The digest fetched once per batch (OpenSSL 3 looks an implicit EVP_md5() up on every
 * EVP_DigestInit otherwise); NULL when this OpenSSL lacks it (SM3 may be disabled). */
static EVP_MD *digest_alg(int which)
{
    static const char *const names[] = {"MD5", "SHA1", "SM3"};
    return EVP_MD_fetch(NULL, names[which], NULL);
}

static sl_code f_digest(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    static const char hex[] = "0123456789abcdef";
    EVP_MD *alg = digest_alg(e->fn->aux);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    sl_code rc = ctx ? SL_OK : sl_fail(env->err, SL_NOMEM, "out of memory in %s", e->fn->name);
    for (size_t i = 0; rc == SL_OK && i < env->n; i++) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        if (out->null[i])
            continue;
        bool ok = alg && EVP_DigestInit_ex2(ctx, alg, NULL);
        for (size_t k = 0; ok && k < e->n_args; k++)
            ok = EVP_DigestUpdate(ctx, av[k].v[i].s.n ? av[k].v[i].s.p : "", av[k].v[i].s.n);
        if (!ok || !EVP_DigestFinal_ex(ctx, md, &n)) {
            out->null[i] = 1;
            continue;
        }
        char *o = sl__expr_alloc_text(env, &out->v[i], 2 * (size_t)n);
        if (o == NULL) {
            rc = SL_NOMEM;
            break;
        }
        for (unsigned k = 0; k < n; k++)
            o[2 * k] = hex[md[k] >> 4], o[2 * k + 1] = hex[md[k] & 15];
    }
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(alg);
    return rc;
}

/* ---- base64 ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static sl_code f_to_base64(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    (void)e;
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        sl_slice s = sl__arg_s(av, 0, i);
        const unsigned char *p = (const unsigned char *)s.p;
        if (s.n > SL__MAX_TEXT / 4 * 3) {
            out->null[i] = 1;
            continue;
        }
        char *o = sl__expr_alloc_text(env, &out->v[i], (s.n + 2) / 3 * 4);
        if (o == NULL)
            return SL_NOMEM;
        for (size_t k = 0; k < s.n; k += 3) {
            uint32_t v = (uint32_t)p[k] << 16 | (k + 1 < s.n ? (uint32_t)p[k + 1] << 8 : 0) |
                         (k + 2 < s.n ? p[k + 2] : 0);
            *o++ = b64[v >> 18], *o++ = b64[(v >> 12) & 63];
            *o++ = k + 1 < s.n ? b64[(v >> 6) & 63] : '=';
            *o++ = k + 2 < s.n ? b64[v & 63] : '=';
        }
    }
    return SL_OK;
}

static int b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decode s (length a multiple of 4, '=' padding only at the end) into o; the length, or -1. */
static long b64_decode(sl_slice s, char *o)
{
    size_t n = 0;
    if (s.n % 4)
        return -1;
    for (size_t k = 0; k < s.n; k += 4) {
        int v[4], pad = 0;
        for (int j = 0; j < 4; j++) {
            unsigned char c = (unsigned char)s.p[k + j];
            v[j] = c == '=' && k + 4 == s.n && j >= 2 ? (pad++, 0) : b64_val(c);
            if (v[j] < 0 || (pad && c != '='))
                return -1;
        }
        uint32_t x = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        o[n++] = (char)(x >> 16);
        if (pad < 2)
            o[n++] = (char)(x >> 8);
        if (pad < 1)
            o[n++] = (char)x;
    }
    return (long)n;
}

static sl_code f_from_base64(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    (void)e;
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        sl_slice s = sl__arg_s(av, 0, i);
        char *o = sl__expr_alloc_text(env, &out->v[i], s.n / 4 * 3);
        if (o == NULL)
            return SL_NOMEM;
        long n = b64_decode(s, o);
        out->null[i] = n < 0;
        out->v[i].s.n = n < 0 ? 0 : (size_t)n;
    }
    return SL_OK;
}

/* ---- aes_* / sm4_*: MySQL's key folding and modes through OpenSSL EVP ---- */

/* The cipher named by mode ("AES_128_ECB", "SM4_128_CBC", ...), or NULL. */
static const EVP_CIPHER *cipher_of(sl_slice mode, bool sm4, size_t *key_len)
{
    static const char *const modes[] = {"ECB", "CBC", "CFB", "CFB1", "CFB8", "CFB128", "OFB", "CTR"};
    char name[32];
    unsigned bits = 0;
    size_t k = 0;
    if (mode.n < 11 || mode.n > 14 || strncasecmp(mode.p, sm4 ? "SM4_" : "AES_", 4) != 0)
        return NULL;
    for (size_t i = 4; i < 7; i++)
        bits = bits * 10 + (unsigned)(mode.p[i] - '0');
    if (mode.p[7] != '_' || (bits != 128 && (sm4 || (bits != 192 && bits != 256))))
        return NULL;
    sl_slice m = {mode.p + 8, mode.n - 8};
    while (k < SL_COUNT(modes) && !sl_slice_ieq(m, modes[k]))
        k++;
    if (k == SL_COUNT(modes))
        return NULL;
    if (sm4)
        snprintf(name, sizeof name, "SM4-%s", k == 5 ? "CFB" : modes[k]);
    else
        snprintf(name, sizeof name, "AES-%u-%s", bits, modes[k]);
    *key_len = bits / 8;
    return EVP_get_cipherbyname(name);
}

/* One encryption or decryption of s; false on failure. o must hold s.n + 32 bytes. */
static bool crypt_one(const EVP_CIPHER *c, size_t key_len, sl_slice s, sl_slice key, sl_slice iv,
                      bool enc, unsigned char *o, size_t *on)
{
    unsigned char k[32] = {0}, v[16] = {0};
    int n1 = 0, n2 = 0;
    for (size_t i = 0; i < key.n; i++)
        k[i % key_len] ^= (unsigned char)key.p[i];
    memcpy(v, iv.p ? iv.p : "", iv.n < 16 ? iv.n : 16);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    bool ok = ctx && EVP_CipherInit_ex(ctx, c, NULL, k, v, enc) &&
              s.n <= INT32_MAX - 32 &&
              EVP_CipherUpdate(ctx, o, &n1, (const unsigned char *)(s.p ? s.p : ""), (int)s.n) &&
              EVP_CipherFinal_ex(ctx, o + n1, &n2);
    EVP_CIPHER_CTX_free(ctx);
    *on = ok ? (size_t)n1 + (size_t)n2 : 0;
    return ok;
}

static sl_code f_crypt(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    bool sm4 = e->fn->aux & 2, enc = e->fn->aux & 1;
    for (size_t i = 0; i < env->n; i++) {
        size_t key_len = 16, n = 0;
        if (out->null[i])
            continue;
        sl_slice s = sl__arg_s(av, 0, i), iv = {NULL, 0};
        sl_slice mode = sm4 ? SL_LIT("SM4_128_ECB") : SL_LIT("AES_128_ECB");
        if (e->n_args > 2)
            iv = sl__arg_s(av, 2, i);
        if (e->n_args > 3)
            mode = sl__arg_s(av, 3, i);
        const EVP_CIPHER *c = cipher_of(mode, sm4, &key_len);
        if (c == NULL || s.n > SL__MAX_TEXT) {
            out->null[i] = 1;
            continue;
        }
        unsigned char *o = (unsigned char *)sl__expr_alloc_text(env, &out->v[i], s.n + 32);
        if (o == NULL)
            return SL_NOMEM;
        out->null[i] = !crypt_one(c, key_len, s, sl__arg_s(av, 1, i), iv, enc, o, &n);
        out->v[i].s.n = n;
    }
    return SL_OK;
}

#define STR SL_STRING

const sl__func sl__expr_funcs_hash[] = {
    {"murmur_hash3_32", 1, SL__VARIADIC, true, STR, SL_INT, NULL, f_hash, H_MURMUR32},
    {"murmur_hash3_64", 1, SL__VARIADIC, true, STR, SL_BIGINT, NULL, f_hash, H_MURMUR64},
    {"xxhash_32", 1, SL__VARIADIC, true, STR, SL_INT, NULL, f_hash, H_XX32},
    {"xxhash_64", 1, SL__VARIADIC, true, STR, SL_BIGINT, NULL, f_hash, H_XX64},
    {"xxhash3_64", 1, SL__VARIADIC, true, STR, SL_BIGINT, NULL, f_hash, H_XX64},
    {"crc32", 1, 1, true, STR, SL_BIGINT, NULL, f_crc32, 0},
    {"md5sum", 1, SL__VARIADIC, true, STR, STR, NULL, f_digest, 0},
    {"sha1", 1, 1, true, STR, STR, NULL, f_digest, 1},
    {"sha", 1, 1, true, STR, STR, NULL, f_digest, 1},
    {"sm3", 1, 1, true, STR, STR, NULL, f_digest, 2},
    {"sm3sum", 1, SL__VARIADIC, true, STR, STR, NULL, f_digest, 2},
    {"to_base64", 1, 1, true, STR, STR, NULL, f_to_base64, 0},
    {"from_base64", 1, 1, true, STR, STR, NULL, f_from_base64, 0},
    {"aes_encrypt", 2, 4, true, STR, STR, NULL, f_crypt, 1},
    {"aes_decrypt", 2, 4, true, STR, STR, NULL, f_crypt, 0},
    {"sm4_encrypt", 2, 4, true, STR, STR, NULL, f_crypt, 3},
    {"sm4_decrypt", 2, 4, true, STR, STR, NULL, f_crypt, 2},
};
const size_t sl__expr_n_funcs_hash = SL_COUNT(sl__expr_funcs_hash);
