/*
 * ddl.c - table definitions back to Doris text, and ALTER TABLE applied to a definition (sql
 * stage; used by the store's catalog for ALTER TABLE, CREATE TABLE LIKE and CREATE TABLE AS
 * SELECT, whose stored definition is text that sl_sql_parse reads back).
 *
 *   sl_tabledef --sl_sql_create_text--> "CREATE TABLE `t` (...) ENGINE=OLAP ..." --parse--> =
 *   sl_tabledef + sl_alter --sl_sql_alter_apply--> new sl_tabledef (+ where each column came from)
 *
 * Everything new lives in the caller's arena; the old definition is never changed.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../batch/convert.h"
#include "internal.h"
#include "sql.h"

/* ---- writing ---------------------------------------------------------------------------- */

static void ident(sl_buf *b, sl_slice s)
{
    sl_buf_putc(b, '`');
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] == '`')
            sl_buf_putc(b, '`');
        sl_buf_putc(b, s.p[i]);
    }
    sl_buf_putc(b, '`');
}

static void quoted(sl_buf *b, sl_slice s)
{
    sl_buf_putc(b, '"');
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (c == '"' || c == '\\')
            sl_buf_putc(b, '\\');
        if (c == '\n')
            sl_buf_puts(b, "\\n");
        else
            sl_buf_putc(b, c);
    }
    sl_buf_putc(b, '"');
}

static void column(sl_buf *b, const sl_coldef *c, bool aggregate_model)
{
    static const char *const aggs[] = {"", "SUM", "MAX", "MIN", "REPLACE", "REPLACE_IF_NOT_NULL"};
    char tn[64];
    sl_buf_puts(b, "  ");
    ident(b, c->name);
    sl_buf_printf(b, " %s", sl_type_name(&c->type, tn, sizeof tn));
    if (aggregate_model && !c->key && c->agg < SL_COUNT(aggs) && c->agg != SL_AGG_NONE)
        sl_buf_printf(b, " %s", aggs[c->agg]);
    sl_buf_puts(b, c->nullable ? " NULL" : " NOT NULL");
    switch (c->default_kind) {
    case SL_DEFAULT_NULL: sl_buf_puts(b, " DEFAULT NULL"); break;
    case SL_DEFAULT_VALUE: sl_buf_puts(b, " DEFAULT "), quoted(b, c->default_value); break;
    case SL_DEFAULT_CURRENT_TIMESTAMP: sl_buf_puts(b, " DEFAULT CURRENT_TIMESTAMP"); break;
    case SL_DEFAULT_CURRENT_DATE: sl_buf_puts(b, " DEFAULT CURRENT_DATE"); break;
    default: break;
    }
}

static void name_list(sl_buf *b, const sl_tabledef *t, const size_t *idx, size_t n)
{
    sl_buf_putc(b, '(');
    for (size_t i = 0; i < n; i++) {
        if (i)
            sl_buf_puts(b, ", ");
        ident(b, t->cols[idx[i]].name);
    }
    sl_buf_putc(b, ')');
}

/* "(v1, v2)" of a bound; NULL slices are MAXVALUE (RANGE) or NULL (LIST). */
static void tuple(sl_buf *b, const sl_slice *v, size_t n, bool range)
{
    sl_buf_putc(b, '(');
    for (size_t i = 0; i < n; i++) {
        if (i)
            sl_buf_puts(b, ", ");
        if (v[i].p == NULL)
            sl_buf_puts(b, range ? "MAXVALUE" : "NULL");
        else
            quoted(b, v[i]);
    }
    sl_buf_putc(b, ')');
}

static void partitions(sl_buf *b, const sl_tabledef *t)
{
    size_t nc = t->n_part_cols;
    sl_buf_puts(b, t->part_kind == SL_PART_RANGE ? "\nPARTITION BY RANGE" : "\nPARTITION BY LIST");
    name_list(b, t, t->part_cols, nc);
    sl_buf_puts(b, "\n(");
    for (size_t i = 0; i < t->n_parts; i++) {
        const sl_partdef *p = &t->parts[i];
        sl_buf_puts(b, i ? ",\n" : "");
        sl_buf_puts(b, "PARTITION ");
        ident(b, p->name);
        if (t->part_kind == SL_PART_LIST) {
            sl_buf_puts(b, " VALUES IN (");
            for (size_t v = 0; v < p->n_values; v++) {
                if (v)
                    sl_buf_puts(b, ", ");
                tuple(b, p->values + v * nc, nc, false);
            }
            sl_buf_putc(b, ')');
        } else if (p->lower) {
            sl_buf_puts(b, " VALUES ["), tuple(b, p->lower, nc, true);
            sl_buf_puts(b, ", "), tuple(b, p->upper, nc, true), sl_buf_putc(b, ')');
        } else {
            sl_buf_puts(b, " VALUES LESS THAN "), tuple(b, p->upper, nc, true);
        }
    }
    sl_buf_putc(b, ')');
}

void sl_sql_create_text(const sl_tabledef *t, sl_buf *b)
{
    static const char *const models[] = {"DUPLICATE", "UNIQUE", "AGGREGATE"};
    sl_buf_puts(b, "CREATE TABLE ");
    ident(b, t->name);
    sl_buf_puts(b, " (\n");
    for (size_t i = 0; i < t->n_cols; i++) {
        column(b, &t->cols[i], t->key_model == SL_KEYS_AGGREGATE);
        sl_buf_puts(b, i + 1 < t->n_cols ? ",\n" : "\n");
    }
    sl_buf_puts(b, ") ENGINE=OLAP\n");
    size_t nk = 0;
    while (nk < t->n_cols && t->cols[nk].key)
        nk++;
    if (nk) {
        sl_buf_printf(b, "%s KEY(", models[t->key_model < 3 ? t->key_model : 0]);
        for (size_t i = 0; i < nk; i++) {
            if (i)
                sl_buf_puts(b, ", ");
            ident(b, t->cols[i].name);
        }
        sl_buf_putc(b, ')');
    }
    if (t->part_kind != SL_PART_NONE)
        partitions(b, t);
    if (t->n_dist_cols) {
        sl_buf_puts(b, "\nDISTRIBUTED BY HASH");
        name_list(b, t, t->dist_cols, t->n_dist_cols);
    } else {
        sl_buf_puts(b, "\nDISTRIBUTED BY RANDOM");
    }
    if (t->buckets)
        sl_buf_printf(b, " BUCKETS %u", (unsigned)t->buckets);
    else
        sl_buf_puts(b, " BUCKETS AUTO");
    if (t->n_props) {
        sl_buf_puts(b, "\nPROPERTIES (\n");
        for (size_t i = 0; i < t->n_props; i++) {
            quoted(b, t->props[i].key);
            sl_buf_puts(b, " = ");
            quoted(b, t->props[i].value);
            sl_buf_puts(b, i + 1 < t->n_props ? ",\n" : "\n");
        }
        sl_buf_putc(b, ')');
    }
}

/* ---- ALTER TABLE -------------------------------------------------------------------------- */

/* The working copy: every array copied, so ops can change it freely. */
typedef struct work {
    sl_tabledef *t;
    long *src;                  /* per column: index in the original definition, or -1 */
    size_t cap;                 /* of t->cols and src */
    sl_arena_t *a;
    sl_err *err;
} work;

static sl_code nomem(work *w)
{
    return sl_fail(w->err, SL_NOMEM, "out of memory altering a table");
}

static sl_code copy_def(work *w, const sl_tabledef *def)
{
    sl_tabledef *t = sl_arena_alloc(w->a, sizeof *t);
    if (t == NULL)
        return nomem(w);
    *t = *def;
    w->cap = def->n_cols + 8;
    t->cols = sl_arena_alloc(w->a, w->cap * sizeof *t->cols);
    w->src = sl_arena_alloc(w->a, w->cap * sizeof *w->src);
    t->part_cols = sl_arena_alloc(w->a, (def->n_part_cols + 1) * sizeof *t->part_cols);
    t->dist_cols = sl_arena_alloc(w->a, (def->n_dist_cols + 1) * sizeof *t->dist_cols);
    t->parts = sl_arena_alloc(w->a, (def->n_parts + 1) * sizeof *t->parts);
    t->props = sl_arena_alloc(w->a, (def->n_props + 1) * sizeof *t->props);
    if (!t->cols || !w->src || !t->part_cols || !t->dist_cols || !t->parts || !t->props)
        return nomem(w);
    memcpy(t->cols, def->cols, def->n_cols * sizeof *t->cols);
    for (size_t i = 0; i < def->n_cols; i++)
        w->src[i] = (long)i;
    if (def->n_part_cols)
        memcpy(t->part_cols, def->part_cols, def->n_part_cols * sizeof *t->part_cols);
    if (def->n_dist_cols)
        memcpy(t->dist_cols, def->dist_cols, def->n_dist_cols * sizeof *t->dist_cols);
    if (def->n_parts)
        memcpy(t->parts, def->parts, def->n_parts * sizeof *t->parts);
    if (def->n_props)
        memcpy(t->props, def->props, def->n_props * sizeof *t->props);
    w->t = t;
    return SL_OK;
}

static long find_col(const sl_tabledef *t, sl_slice name)
{
    return sl_tabledef_find(t, name);
}

static long find_part(const sl_tabledef *t, sl_slice name)
{
    for (size_t i = 0; i < t->n_parts; i++)
        if (t->parts[i].name.n == name.n && strncasecmp(t->parts[i].name.p, name.p, name.n) == 0)
            return (long)i;
    return -1;
}

static bool in_list(const size_t *v, size_t n, size_t c)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == c)
            return true;
    return false;
}

/* Shift column indexes of the key lists after removing (delta -1) or inserting (+1) at pos. */
static void shift(sl_tabledef *t, size_t pos, int delta)
{
    for (size_t i = 0; i < t->n_part_cols; i++)
        if (t->part_cols[i] >= pos)
            t->part_cols[i] = (size_t)((long)t->part_cols[i] + delta);
    for (size_t i = 0; i < t->n_dist_cols; i++)
        if (t->dist_cols[i] >= pos)
            t->dist_cols[i] = (size_t)((long)t->dist_cols[i] + delta);
}

static void remove_col(work *w, size_t c)
{
    sl_tabledef *t = w->t;
    memmove(&t->cols[c], &t->cols[c + 1], (t->n_cols - c - 1) * sizeof *t->cols);
    memmove(&w->src[c], &w->src[c + 1], (t->n_cols - c - 1) * sizeof *w->src);
    t->n_cols--;
    shift(t, c + 1, -1);
}

static sl_code insert_col(work *w, size_t pos, const sl_coldef *cd, long src)
{
    sl_tabledef *t = w->t;
    if (t->n_cols == w->cap) {
        size_t cap = w->cap * 2;
        sl_coldef *cols = sl_arena_alloc(w->a, cap * sizeof *cols);
        long *s = sl_arena_alloc(w->a, cap * sizeof *s);
        if (cols == NULL || s == NULL)
            return nomem(w);
        memcpy(cols, t->cols, t->n_cols * sizeof *cols);
        memcpy(s, w->src, t->n_cols * sizeof *s);
        t->cols = cols, w->src = s, w->cap = cap;
    }
    shift(t, pos, +1);
    memmove(&t->cols[pos + 1], &t->cols[pos], (t->n_cols - pos) * sizeof *t->cols);
    memmove(&w->src[pos + 1], &w->src[pos], (t->n_cols - pos) * sizeof *w->src);
    t->cols[pos] = *cd;
    w->src[pos] = src;
    t->n_cols++;
    return SL_OK;
}

/* Where a column goes: FIRST, AFTER c, or the end of its part of the table (after the last key
 * column for a key column, at the end otherwise). */
static sl_code position(work *w, const sl_alter_op *op, bool key, size_t *pos)
{
    const sl_tabledef *t = w->t;
    if (op->first) {
        *pos = 0;
        return SL_OK;
    }
    if (op->after.p) {
        long k = find_col(t, op->after);
        if (k < 0)
            return sl_fail(w->err, SL_INVALID_SQL, "Column[%.*s] does not exist",
                           (int)op->after.n, op->after.p);
        *pos = (size_t)k + 1;
        return SL_OK;
    }
    size_t nk = 0;
    while (nk < t->n_cols && t->cols[nk].key)
        nk++;
    *pos = key ? nk : t->n_cols;
    return SL_OK;
}

static sl_code add_column(work *w, const sl_alter_op *op)
{
    sl_tabledef *t = w->t;
    sl_coldef cd = op->col;
    size_t pos;
    if (find_col(t, cd.name) >= 0)
        return sl_fail(w->err, SL_INVALID_SQL, "Can not add column which already exists in base "
                       "table: %.*s", (int)cd.name.n, cd.name.p);
    cd.key = op->has_key_attr;
    if (cd.key && t->key_model != SL_KEYS_DUPLICATE)
        return sl_fail(w->err, SL_INVALID_SQL, "Adding a key column to a UNIQUE or AGGREGATE "
                       "KEY table is not supported: %.*s", (int)cd.name.n, cd.name.p);
    if (t->key_model == SL_KEYS_AGGREGATE && !cd.key && cd.agg == SL_AGG_NONE)
        return sl_fail(w->err, SL_INVALID_SQL, "Aggregate type should be specified for a value "
                       "column of an AGGREGATE KEY table: %.*s", (int)cd.name.n, cd.name.p);
    if (t->key_model != SL_KEYS_AGGREGATE && cd.agg != SL_AGG_NONE)
        return sl_fail(w->err, SL_INVALID_SQL, "Can not assign aggregation method on column in "
                       "Unique or Duplicate data model table: %.*s", (int)cd.name.n, cd.name.p);
    if (!cd.nullable && cd.default_kind == SL_DEFAULT_NONE)
        return sl_fail(w->err, SL_INVALID_SQL, "Can not add column which is NOT NULL and has no "
                       "default value: %.*s", (int)cd.name.n, cd.name.p);
    sl_code rc = position(w, op, cd.key, &pos);
    return rc == SL_OK ? insert_col(w, pos, &cd, -1) : rc;
}

static sl_code drop_column(work *w, const sl_alter_op *op)
{
    sl_tabledef *t = w->t;
    long c = find_col(t, op->name);
    int nn = (int)op->name.n;
    if (c < 0)
        return sl_fail(w->err, SL_INVALID_SQL, "Column does not exists: %.*s", nn, op->name.p);
    if (in_list(t->part_cols, t->n_part_cols, (size_t)c))
        return sl_fail(w->err, SL_INVALID_SQL, "Partition column[%.*s] cannot be dropped", nn,
                       op->name.p);
    if (in_list(t->dist_cols, t->n_dist_cols, (size_t)c))
        return sl_fail(w->err, SL_INVALID_SQL, "Distribution column[%.*s] cannot be dropped", nn,
                       op->name.p);
    if (t->cols[c].key && t->key_model != SL_KEYS_DUPLICATE)
        return sl_fail(w->err, SL_INVALID_SQL, "Can not drop key column in Unique or Aggregate "
                       "data model table: %.*s", nn, op->name.p);
    sl_slice seq = sl_tabledef_prop(t, "function_column.sequence_col");
    if (seq.p && seq.n == op->name.n && strncasecmp(seq.p, op->name.p, seq.n) == 0)
        return sl_fail(w->err, SL_INVALID_SQL, "Can not drop sequence mapping column[%.*s] in "
                       "Unique data model table", nn, op->name.p);
    if (t->n_cols == 1)
        return sl_fail(w->err, SL_INVALID_SQL, "Can not drop the last column of a table");
    remove_col(w, (size_t)c);
    size_t nk = 0;
    for (size_t i = 0; i < t->n_cols; i++)
        nk += t->cols[i].key;
    if (nk == 0)
        return sl_fail(w->err, SL_INVALID_SQL, "Can not drop all key columns: %.*s", nn,
                       op->name.p);
    return SL_OK;
}

/* Widening only: the stored values read the same way in the new type. */
static bool widens(const sl_type *from, const sl_type *to)
{
    static const uint8_t rank[] = {[SL_TINYINT] = 1, [SL_SMALLINT] = 2, [SL_INT] = 3,
                                   [SL_BIGINT] = 4, [SL_LARGEINT] = 5};
    if (from->id <= SL_LARGEINT && to->id <= SL_LARGEINT)
        return rank[to->id] >= rank[from->id] && (from->id == SL_LARGEINT) == (to->id == SL_LARGEINT);
    if (from->id == SL_DECIMAL && to->id == SL_DECIMAL)
        return to->scale == from->scale && to->precision >= from->precision &&
               (from->precision > 18) == (to->precision > 18);
    if ((from->id == SL_CHAR || from->id == SL_VARCHAR) && (to->id == SL_VARCHAR || to->id == SL_CHAR))
        return to->len >= from->len;
    if ((from->id == SL_CHAR || from->id == SL_VARCHAR) && to->id == SL_STRING)
        return true;
    if (from->id == SL_DATETIME && to->id == SL_DATETIME)
        return to->precision >= from->precision;
    if (from->id == SL_FLOAT && to->id == SL_DOUBLE)
        return false; /* FLOAT is kept rounded to float: a DOUBLE would show other digits */
    return from->id == to->id && from->precision == to->precision && from->scale == to->scale &&
           from->len == to->len;
}

static sl_code modify_column(work *w, const sl_alter_op *op)
{
    sl_tabledef *t = w->t;
    sl_coldef cd = op->col;
    long c = find_col(t, cd.name);
    char a[64], b[64];
    if (c < 0)
        return sl_fail(w->err, SL_INVALID_SQL, "Column[%.*s] does not exists", (int)cd.name.n,
                       cd.name.p);
    const sl_coldef *old = &t->cols[c];
    if (!widens(&old->type, &cd.type))
        return sl_fail(w->err, SL_INVALID_SQL, "Can not change %s to %s",
                       sl_type_name(&old->type, a, sizeof a), sl_type_name(&cd.type, b, sizeof b));
    if (old->key && t->key_model != SL_KEYS_DUPLICATE &&
        (old->type.id != cd.type.id || old->type.len != cd.type.len ||
         old->type.precision != cd.type.precision))
        return sl_fail(w->err, SL_INVALID_SQL, "Can not modify the type of key column %.*s in "
                       "a UNIQUE or AGGREGATE KEY table", (int)cd.name.n, cd.name.p);
    if (memcmp(&old->type, &cd.type, sizeof cd.type) != 0 &&
        in_list(t->dist_cols, t->n_dist_cols, (size_t)c))
        return sl_fail(w->err, SL_INVALID_SQL, "Can not modify distribution column[%.*s]. "
                       "index[%.*s]", (int)cd.name.n, cd.name.p, (int)t->name.n, t->name.p);
    if (memcmp(&old->type, &cd.type, sizeof cd.type) != 0 &&
        in_list(t->part_cols, t->n_part_cols, (size_t)c))
        return sl_fail(w->err, SL_INVALID_SQL, "Can not modify partition column[%.*s].",
                       (int)cd.name.n, cd.name.p);
    if (old->nullable && !cd.nullable)
        return sl_fail(w->err, SL_INVALID_SQL, "Can not change from nullable to non-nullable");
    cd.key = old->key;
    if (cd.agg == SL_AGG_NONE)
        cd.agg = old->agg;
    else if (cd.agg != old->agg)
        return sl_fail(w->err, SL_INVALID_SQL, "Can not change aggregation type");
    long src = w->src[c];
    if (!op->first && op->after.p == NULL) {
        t->cols[c] = cd;
        return SL_OK;
    }
    remove_col(w, (size_t)c);
    size_t pos;
    sl_code rc = position(w, op, cd.key, &pos);
    return rc == SL_OK ? insert_col(w, pos, &cd, src) : rc;
}

static sl_code set_props(work *w, const sl_alter_op *op)
{
    sl_tabledef *t = w->t;
    sl_property *v = sl_arena_alloc(w->a, (t->n_props + op->n_props + 1) * sizeof *v);
    if (v == NULL)
        return nomem(w);
    memcpy(v, t->props, t->n_props * sizeof *v);
    size_t n = t->n_props;
    for (size_t k = 0; k < op->n_props; k++) {
        size_t i = 0;
        while (i < n && !(v[i].key.n == op->props[k].key.n &&
                          strncasecmp(v[i].key.p, op->props[k].key.p, v[i].key.n) == 0))
            i++;
        v[i] = op->props[k];
        n += i == n;
    }
    t->props = v, t->n_props = n;
    return SL_OK;
}

/* Compare two RANGE bound tuples of t's partition columns (NULL slices: MAXVALUE; lo == NULL:
 * the lowest). Values are compared as their column's type. */
static int bound_cmp(const sl_tabledef *t, const sl_slice *x, const sl_slice *y)
{
    static const sl_conv_ctx cc = {0};
    if (x == NULL || y == NULL)
        return (x != NULL) - (y != NULL);
    for (size_t i = 0; i < t->n_part_cols; i++) {
        const sl_type *ty = &t->cols[t->part_cols[i]].type;
        sl_datum a, b;
        if (x[i].p == NULL || y[i].p == NULL) {
            if ((x[i].p == NULL) != (y[i].p == NULL))
                return x[i].p == NULL ? 1 : -1;
            continue;
        }
        if (sl_type_is_text(ty)) {
            size_t n = x[i].n < y[i].n ? x[i].n : y[i].n;
            int c = memcmp(x[i].p, y[i].p, n);
            c = c ? c : (x[i].n > y[i].n) - (x[i].n < y[i].n);
            if (c)
                return c > 0 ? 1 : -1;
            continue;
        }
        if (sl_convert(ty, x[i], &a, &cc) != SL_CONV_OK || sl_convert(ty, y[i], &b, &cc) != SL_CONV_OK)
            continue;
        int c = ty->id == SL_LARGEINT || ty->id == SL_DECIMAL ? (a.w > b.w) - (a.w < b.w)
              : ty->id == SL_FLOAT || ty->id == SL_DOUBLE ? (a.d > b.d) - (a.d < b.d)
                                                          : (a.i > b.i) - (a.i < b.i);
        if (c)
            return c;
    }
    return 0;
}

/* A new RANGE partition written "LESS THAN x" starts where the existing partitions below x
 * end (Doris); it may not overlap any of them ("Range ... is intersected with range"). */
static sl_code place_range(work *w, sl_partdef *d)
{
    const sl_tabledef *t = w->t;
    const sl_slice *lo = d->lower;
    for (size_t i = 0; !d->lower && i < t->n_parts; i++)
        if (bound_cmp(t, t->parts[i].upper, d->upper) <= 0 && (lo == NULL || bound_cmp(t, lo, t->parts[i].upper) < 0))
            lo = t->parts[i].upper;
    for (size_t i = 0; i < t->n_parts; i++) {
        const sl_slice *plo = t->parts[i].lower ? t->parts[i].lower
                            : i ? t->parts[i - 1].upper : NULL, *phi = t->parts[i].upper;
        if (bound_cmp(t, lo, phi) < 0 && bound_cmp(t, plo, d->upper) < 0)
            return sl_fail(w->err, SL_INVALID_SQL, "Range of partition %.*s is intersected with "
                           "the range of partition %.*s", (int)d->name.n, d->name.p,
                           (int)t->parts[i].name.n, t->parts[i].name.p);
    }
    if (bound_cmp(t, lo, d->upper) >= 0)
        return sl_fail(w->err, SL_INVALID_SQL, "The lower values must smaller than upper values "
                       "of partition %.*s", (int)d->name.n, d->name.p);
    if (lo && !d->lower) {
        sl_slice *copy = sl_arena_alloc(w->a, t->n_part_cols * sizeof *copy);
        if (copy == NULL)
            return nomem(w);
        memcpy(copy, lo, t->n_part_cols * sizeof *copy);
        d->lower = copy;
    }
    return SL_OK;
}

/* ADD PARTITION: its definition read against the table's partition columns. */
static sl_code add_partition(work *w, const sl_alter_op *op)
{
    sl_tabledef *t = w->t;
    sl_partdef d;
    if (t->part_kind == SL_PART_NONE)
        return sl_fail(w->err, SL_INVALID_SQL, "Table[%.*s] is not partitioned", (int)t->name.n,
                       t->name.p);
    sl_code rc = sl__sql_partition(op->part_text, t, w->a, &d, w->err);
    if (rc != SL_OK)
        return rc;
    if (find_part(t, d.name) >= 0)
        return op->if_exists ? SL_OK
                             : sl_fail(w->err, SL_INVALID_SQL, "Duplicate partition name %.*s",
                                       (int)d.name.n, d.name.p);
    if (t->part_kind == SL_PART_RANGE && (rc = place_range(w, &d)) != SL_OK)
        return rc;
    sl_partdef *v = sl_arena_alloc(w->a, (t->n_parts + 1) * sizeof *v);
    if (v == NULL)
        return nomem(w);
    memcpy(v, t->parts, t->n_parts * sizeof *v);
    v[t->n_parts] = d;
    t->parts = v, t->n_parts++;
    return SL_OK;
}

static sl_code partition_op(work *w, const sl_alter_op *op)
{
    sl_tabledef *t = w->t;
    long k = find_part(t, op->name);
    if (op->kind == SL_ALTER_ADD_PARTITION)
        return add_partition(w, op);
    if (k < 0)
        return op->if_exists ? SL_OK
                             : sl_fail(w->err, SL_INVALID_SQL, "Error in list of partitions to "
                                       "%.*s", (int)op->name.n, op->name.p);
    if (op->kind == SL_ALTER_RENAME_PARTITION) {
        if (find_part(t, op->new_name) >= 0)
            return sl_fail(w->err, SL_INVALID_SQL, "Partition name[%.*s] is already used",
                           (int)op->new_name.n, op->new_name.p);
        t->parts[k].name = op->new_name;
        return SL_OK;
    }
    /* DROP leaves a hole, as in Doris: a "less than" partition after it starts where it did,
     * so it gets that lower edge written out. */
    if (t->part_kind == SL_PART_RANGE && (size_t)k + 1 < t->n_parts && !t->parts[k + 1].lower)
        t->parts[k + 1].lower = t->parts[k].upper; /* it started where the dropped one ended */
    memmove(&t->parts[k], &t->parts[k + 1], (t->n_parts - (size_t)k - 1) * sizeof *t->parts);
    t->n_parts--;
    return SL_OK;
}

static sl_code apply_op(work *w, const sl_alter_op *op, sl_slice *rename)
{
    sl_tabledef *t = w->t;
    switch (op->kind) {
    case SL_ALTER_ADD_COLUMN: return add_column(w, op);
    case SL_ALTER_DROP_COLUMN: return drop_column(w, op);
    case SL_ALTER_MODIFY_COLUMN: return modify_column(w, op);
    case SL_ALTER_RENAME_COLUMN: {
        long c = find_col(t, op->name);
        if (c < 0)
            return sl_fail(w->err, SL_INVALID_SQL, "Column[%.*s] does not exists",
                           (int)op->name.n, op->name.p);
        if (find_col(t, op->new_name) >= 0)
            return sl_fail(w->err, SL_INVALID_SQL, "Column name[%.*s] is already used",
                           (int)op->new_name.n, op->new_name.p);
        sl_slice seq = sl_tabledef_prop(t, "function_column.sequence_col");
        if (seq.p && sl_slice_ieq(seq, "") == false && seq.n == op->name.n &&
            strncasecmp(seq.p, op->name.p, seq.n) == 0)
            return sl_fail(w->err, SL_INVALID_SQL, "Can not rename sequence mapping column");
        t->cols[c].name = op->new_name;
        return SL_OK;
    }
    case SL_ALTER_RENAME:
        t->name = op->name;
        *rename = op->name;
        return SL_OK;
    case SL_ALTER_SET_PROPERTIES: return set_props(w, op);
    case SL_ALTER_NOTHING: return SL_OK;
    default: return partition_op(w, op);
    }
}

sl_code sl_sql_alter_apply(const sl_tabledef *def, const sl_alter *alter, sl_arena_t *a,
                           sl_tabledef **out, long **src, sl_slice *rename, sl_err *err)
{
    work w = {NULL, NULL, 0, a, err};
    sl_code rc = copy_def(&w, def);
    *rename = (sl_slice){NULL, 0};
    for (size_t i = 0; rc == SL_OK && i < alter->n_ops; i++)
        rc = apply_op(&w, &alter->ops[i], rename);
    if (rc != SL_OK)
        return rc;
    /* the result must still be a table Doris would create: read it back through the parser */
    sl_buf b = SL_BUF_INIT;
    sl_stmt st;
    sl_err perr = {0};
    sl_sql_create_text(w.t, &b);
    rc = b.oom ? nomem(&w) : sl_sql_parse(b.p, b.len, a, &st, &perr);
    sl_buf_free(&b);
    if (rc == SL_NOMEM)
        return nomem(&w);
    if (rc != SL_OK)
        return sl_fail(err, SL_INVALID_SQL, "%s", perr.msg);
    *out = w.t;
    *src = w.src;
    return SL_OK;
}
