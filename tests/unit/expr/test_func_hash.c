/*
 * test_func_hash.c - hash, digest, base64 and encryption builtins (src/expr/func_hash.c), with
 * the values of Doris's documentation examples.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>

#include "../../../src/expr/internal.h"

#include "fixture.h"

TestSuite(func_hash, .init = setup, .fini = teardown);

Test(func_hash, murmur)
{
    EV("murmur_hash3_32('hello')", "1321743225");
    EV("murmur_hash3_32('hello', 'world')", "984713481");
    EV("murmur_hash3_32(nul)", "NULL");
    EV("murmur_hash3_32('hello', nul)", "NULL");
    EV("murmur_hash3_64('hello')", "-3215607508166160593");
    EV("murmur_hash3_64('hello', 'world')", "3583109472027628045");
    EV("murmur_hash3_64(nul)", "NULL");
}

Test(func_hash, xxhash)
{
    EV("xxhash_64('hello')", "-7685981735718036227");
    EV("xxhash_64('hello', 'world')", "7001965798170371843");
    EV("xxhash_32('hello')", "-83855367");
    EV("xxhash_32('hello', 'world')", "-920844969");
    EV("xxhash_64(nul)", "NULL");
}

Test(func_hash, digests_and_crc)
{
    EV("crc32('hello')", "907060870");
    EV("crc32('')", "0");
    EV("md5sum('ab', 'cd')", "e2fc714c4727ee9395f324cd2e7f331f"); /* md5('abcd') */
    EV("md5sum(s)", "5d41402abc4b2a76b9719d911017c592");
    EV("sha1('abc')", "a9993e364706816aba3e25717850c26c9cd0d89d");
    EV("sha('abc')", "a9993e364706816aba3e25717850c26c9cd0d89d");
    EV("sm3('abc')", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
    EV("md5sum('a', nul)", "NULL");
}

Test(func_hash, base64)
{
    EV("to_base64('1')", "MQ==");
    EV("to_base64('234')", "MjM0");
    EV("to_base64('hello')", "aGVsbG8=");
    EV("from_base64('MQ==')", "1");
    EV("from_base64('MjM0')", "234");
    EV("from_base64('aGVsbG8=')", "hello");
    EV("from_base64('not base64!')", "NULL");
    EV("from_base64('')", "");
}

Test(func_hash, aes)
{
    /* Doris's documentation example (MySQL's key folding, AES_128_ECB) */
    EV("to_base64(aes_encrypt('text', 'F3229A0B371ED2D9441B830D21A390C3'))",
       "wr2JEDVXzL9+2XtRhgIloA==");
    EV("aes_decrypt(from_base64('wr2JEDVXzL9+2XtRhgIloA=='), 'F3229A0B371ED2D9441B830D21A390C3')",
       "text");
    EV("aes_decrypt(aes_encrypt(s, 'k', '0123456789abcdef', 'AES_256_CBC'), 'k', "
       "'0123456789abcdef', 'AES_256_CBC')", "hello");
    EV("aes_decrypt(aes_encrypt(s, 'k'), 'other key')", "NULL");
    EV("aes_encrypt(s, 'k', '', 'AES_999_XYZ')", "NULL");
    EV("sm4_decrypt(sm4_encrypt(s, 'key'), 'key')", "hello");
    EV("aes_encrypt(nul, 'k')", "NULL");
}
