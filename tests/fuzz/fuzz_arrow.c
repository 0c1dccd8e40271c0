/*
 * fuzz_arrow.c - libFuzzer target for the arrow decoder (src/decode/arrow*.c): see columnar_fuzz.h.
 * Seeds: tests/data/corpus/arrow/ (real files, Apache-2.0, LICENSE beside them).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "columnar_fuzz.h"

extern const sl_decoder_vtab sl_decoder_arrow;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_one(&sl_decoder_arrow, data, size);
}
