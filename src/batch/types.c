/*
 * types.c - names of logical types and table-definition lookups (batch stage).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <strings.h>

#include "types.h"

long sl_tabledef_find(const sl_tabledef *t, sl_slice name)
{
    for (size_t i = 0; i < t->n_cols; i++) {
        const sl_slice c = t->cols[i].name;
        if (c.n == name.n && strncasecmp(c.p, name.p, name.n) == 0)
            return (long)i;
    }
    return -1;
}

sl_slice sl_tabledef_prop(const sl_tabledef *t, const char *key)
{
    for (size_t i = 0; i < t->n_props; i++)
        if (sl_slice_ieq(t->props[i].key, key))
            return t->props[i].value;
    return SL_SLICE_NULL;
}

char *sl_type_name(const sl_type *t, char *buf, size_t cap)
{
    switch ((sl_type_id)t->id) {
    case SL_TINYINT: snprintf(buf, cap, "tinyint"); break;
    case SL_SMALLINT: snprintf(buf, cap, "smallint"); break;
    case SL_INT: snprintf(buf, cap, "int"); break;
    case SL_BIGINT: snprintf(buf, cap, "bigint"); break;
    case SL_LARGEINT: snprintf(buf, cap, "largeint"); break;
    case SL_FLOAT: snprintf(buf, cap, "float"); break;
    case SL_DOUBLE: snprintf(buf, cap, "double"); break;
    case SL_DECIMAL:
        snprintf(buf, cap, "%s(%u,%u)", t->v1 ? "decimal" : "decimalv3", t->precision, t->scale);
        break;
    case SL_DATE: snprintf(buf, cap, "%s", t->v1 ? "date" : "datev2"); break;
    case SL_DATETIME:
        if (t->precision)
            snprintf(buf, cap, "%s(%u)", t->v1 ? "datetime" : "datetimev2", t->precision);
        else
            snprintf(buf, cap, "%s", t->v1 ? "datetime" : "datetimev2");
        break;
    case SL_BOOLEAN: snprintf(buf, cap, "boolean"); break;
    case SL_CHAR: snprintf(buf, cap, "char(%u)", t->len); break;
    case SL_VARCHAR: snprintf(buf, cap, "varchar(%u)", t->len); break;
    case SL_STRING: snprintf(buf, cap, "text"); break;
    case SL_JSON: snprintf(buf, cap, "json"); break;
    default: snprintf(buf, cap, "unknown"); break;
    }
    return buf;
}

const char *sl_type_meta_name(const sl_type *t)
{
    static const char *const names[SL__N_TYPES] = {
        [SL_TINYINT] = "TINYINT", [SL_SMALLINT] = "SMALLINT", [SL_INT] = "INT",
        [SL_BIGINT] = "BIGINT",   [SL_LARGEINT] = "LARGEINT", [SL_FLOAT] = "FLOAT",
        [SL_DOUBLE] = "DOUBLE",   [SL_DECIMAL] = "DECIMAL",   [SL_DATE] = "DATE",
        [SL_DATETIME] = "DATETIME", [SL_BOOLEAN] = "BOOLEAN", [SL_CHAR] = "CHAR",
        [SL_VARCHAR] = "VARCHAR", [SL_STRING] = "STRING",     [SL_JSON] = "JSON",
    };
    return t->id < SL__N_TYPES ? names[t->id] : "UNKNOWN";
}
