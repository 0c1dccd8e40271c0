/*
 * jsonval.h - a small JSON reader for request bodies that are documents, not data (core).
 *
 * The HTTP SQL API's {"stmt": ...}, tsload's LoadDataParam and similar bodies are small and
 * bounded by the adapters, so they are parsed whole into a tree in an arena. Load data never
 * goes through here: the streaming decoder in src/decode/ handles that.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_JSONVAL_H
#define SL_JSONVAL_H

#include "arena.h"
#include "status.h"

typedef enum sl_jtype { SL_J_NULL, SL_J_BOOL, SL_J_NUM, SL_J_STR, SL_J_ARR, SL_J_OBJ } sl_jtype;

typedef struct sl_jval {
    uint8_t type;           /* sl_jtype */
    bool b;
    sl_slice s;             /* SL_J_STR: unescaped text; SL_J_NUM: the number as written */
    struct sl_jval *items;  /* SL_J_ARR / SL_J_OBJ: n values */
    sl_slice *keys;         /* SL_J_OBJ: n keys */
    size_t n;
} sl_jval;

/* Parse one JSON document (surrounding whitespace allowed). Everything lives in a. Returns
 * SL_INVALID with "invalid JSON at offset N: ..." on malformed input; nesting deeper than 64
 * is rejected. */
sl_code sl_json_parse(const char *p, size_t n, sl_arena_t *a, sl_jval **out, sl_err *err);

/* The member of an object with that key (exact match), or NULL. */
const sl_jval *sl_json_get(const sl_jval *obj, const char *key);

#endif
