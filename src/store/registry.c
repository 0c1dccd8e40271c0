/*
 * registry.c - the one list of storage engines (store stage). A new engine is one folder under
 * src/store/ and one line here.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include "engine.h"

extern const sl_engine_vtab sl_engine_sqlite;
extern const sl_engine_vtab sl_engine_postgres;

static const sl_engine_vtab *const engines[] = {
    &sl_engine_sqlite,
    &sl_engine_postgres,
};

const sl_engine_vtab *sl__engine_find(const char *url)
{
    for (size_t i = 0; i < SL_COUNT(engines); i++)
        if (engines[i]->accepts(url))
            return engines[i];
    return NULL;
}
