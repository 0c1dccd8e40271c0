/*
 * registry.c - the one list of decoders (decode stage). A new format is one line here.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <strings.h>

#include "decoder.h"

extern const sl_decoder_vtab sl_decoder_csv;
extern const sl_decoder_vtab sl_decoder_json;
extern const sl_decoder_vtab sl_decoder_parquet;
extern const sl_decoder_vtab sl_decoder_arrow;
extern const sl_decoder_vtab sl_decoder_orc;

static const sl_decoder_vtab *const decoders[] = {
    &sl_decoder_csv,
    &sl_decoder_json,
    &sl_decoder_parquet,
    &sl_decoder_arrow,
    &sl_decoder_orc,
};

const sl_decoder_vtab *sl_decoder_find(sl_slice name)
{
    for (size_t i = 0; i < SL_COUNT(decoders); i++)
        if (sl_slice_ieq(name, decoders[i]->name))
            return decoders[i];
    return NULL;
}
