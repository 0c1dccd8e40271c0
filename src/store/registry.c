/*
 * registry.c - the one list of store backends (store stage). A new backend is one line here.
 */
#include "../core/platform.h"

#include <string.h>

#include "store.h"

extern const sl_store_vtab sl_store_sqlite;

static const sl_store_vtab *const stores[] = {
    &sl_store_sqlite,
};

const sl_store_vtab *sl_store_find(const char *name)
{
    for (size_t i = 0; i < SL_COUNT(stores); i++)
        if (strcmp(stores[i]->name, name) == 0)
            return stores[i];
    return NULL;
}
