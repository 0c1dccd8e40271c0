/*
 * parquet_nest.c - nested Parquet fields (LIST, MAP, STRUCT, repeated fields) to one JSON text
 * per row (decode stage, issue 15; see parquet.h).
 *
 * Parquet stores a nested field as its leaf columns, each a sequence of entries (repetition
 * level, definition level, value) [Dremel]. A row is rebuilt by walking the schema below the
 * field with one cursor per leaf:
 *   - a node whose first leaf's definition level is below the node's own is absent (NULL, or
 *     an empty list): every leaf below it holds exactly one entry for that, which is skipped;
 *   - a repeated node is a JSON array of instances; after an instance, the next entry of its
 *     first leaf continues the array when its repetition level is the node's own;
 *   - LIST and MAP annotations follow the format's backward-compatibility rules (2- and 3-level
 *     lists, `array` / `<name>_tuple` element groups, MAP_KEY_VALUE), giving JSON arrays and
 *     objects; other groups are JSON objects.
 * After each row every cursor must sit at the start of the next row; otherwise the levels are
 * inconsistent and the file is refused. Recursion is bounded by the schema depth, which the
 * footer parser already bounded.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <string.h>

#include "../core/mem.h"
#include "parquet.h"

typedef struct nest {
    const pq_file *f;
    pq_col *cols;          /* indexed by leaf */
    size_t *cur;           /* cursor per leaf of the field (indexed by leaf - base) */
    int base;
    sl_buf *b;
    bool bad;
} nest;

static const pq_node *node(const nest *x, int i)
{
    return &x->f->nodes[i];
}

static const pq_node *child(const nest *x, const pq_node *n, int k)
{
    int i = n->first_child;
    for (int c = 0; c < k; c++)
        i = node(x, i)->next;
    return node(x, i);
}

/* The first leaf's entry at its cursor: definition level (or -1 past the end). */
static int first_def(nest *x, const pq_node *n)
{
    const pq_col *c = &x->cols[n->first_leaf];
    size_t i = x->cur[n->first_leaf - x->base];
    if (i >= c->n) {
        x->bad = true;
        return -1;
    }
    return c->defs[i];
}

/* Does the first leaf's next entry continue repeated node n? */
static bool continues(nest *x, const pq_node *n)
{
    const pq_col *c = &x->cols[n->first_leaf];
    size_t i = x->cur[n->first_leaf - x->base];
    return i < c->n && c->reps[i] == n->rep;
}

static void skip(nest *x, const pq_node *n)
{
    for (int l = n->first_leaf; l < n->first_leaf + n->n_leaves; l++)
        x->cur[l - x->base]++;
}

static void write_value(nest *x, const pq_node *n);
static void write_field(nest *x, const pq_node *n);

static void write_leaf(nest *x, const pq_node *n)
{
    const pq_col *c = &x->cols[n->leaf];
    size_t i = x->cur[n->leaf - x->base]++;
    if (i >= c->n) {
        x->bad = true;
        return;
    }
    sl__json_put(x->b, n->jk, c->vals[i]);
}

static void write_struct(nest *x, const pq_node *n)
{
    sl_buf_putc(x->b, '{');
    for (int k = 0; k < n->n_children && !x->bad; k++) {
        const pq_node *ch = child(x, n, k);
        if (k)
            sl_buf_putc(x->b, ',');
        sl_json_str(x->b, ch->name.p, ch->name.n);
        sl_buf_putc(x->b, ':');
        write_field(x, ch);
    }
    sl_buf_putc(x->b, '}');
}

/* LIST: the repeated child and the element written per instance (NULL: the instance). */
static bool list_shape(const nest *x, const pq_node *n, const pq_node **rep, const pq_node **elem)
{
    if (!(n->logical == 3 || n->conv == 3) || n->n_children != 1)
        return false;
    const pq_node *r = child(x, n, 0);
    if (r->repetition != PQ_REPEATED)
        return false;
    *rep = r;
    *elem = NULL;
    if (r->phys >= 0 || r->n_children != 1)
        return true;
    bool tuple = r->name.n == n->name.n + 6 && memcmp(r->name.p, n->name.p, n->name.n) == 0 &&
                 memcmp(r->name.p + n->name.n, "_tuple", 6) == 0;
    if (!sl_slice_eq(r->name, "array") && !tuple)
        *elem = child(x, r, 0);
    return true;
}

static bool map_shape(const nest *x, const pq_node *n, const pq_node **rep)
{
    if (!(n->logical == 2 || n->conv == 1 || n->conv == 2) || n->n_children != 1)
        return false;
    const pq_node *r = child(x, n, 0);
    if (r->repetition != PQ_REPEATED || r->phys >= 0 || r->n_children < 1 ||
        r->n_children > 2 || child(x, r, 0)->phys < 0)
        return false;
    *rep = r;
    return true;
}

static void write_group(nest *x, const pq_node *n);

static void write_instance(nest *x, const pq_node *r, const pq_node *elem, bool map)
{
    if (map) {
        const pq_node *k = child(x, r, 0);
        const pq_col *c = &x->cols[k->leaf];
        size_t i = x->cur[k->leaf - x->base]++;
        if (i >= c->n) {
            x->bad = true;
            return;
        }
        sl__json_key(x->b, k->jk, c->vals[i]);
        if (r->n_children == 2)
            write_field(x, child(x, r, 1));
        else
            sl_buf_append(x->b, "null", 4);
        return;
    }
    if (elem)
        write_field(x, elem);
    else if (r->phys >= 0)
        write_leaf(x, r);
    else
        write_group(x, r);
}

/* Repeated node r as a JSON array (or object, for a map's key_value group). */
static void write_repeated(nest *x, const pq_node *r, const pq_node *elem, bool map)
{
    int d = first_def(x, r);
    if (x->bad)
        return;
    if (d < r->def) {
        sl_buf_append(x->b, map ? "{}" : "[]", 2);
        skip(x, r);
        return;
    }
    sl_buf_putc(x->b, map ? '{' : '[');
    for (bool first = true; !x->bad; first = false) {
        if (!first)
            sl_buf_putc(x->b, ',');
        write_instance(x, r, elem, map);
        if (!continues(x, r))
            break;
    }
    sl_buf_putc(x->b, map ? '}' : ']');
}

static void write_value(nest *x, const pq_node *n)
{
    if (n->repetition == PQ_OPTIONAL) {
        int d = first_def(x, n);
        if (x->bad)
            return;
        if (d < n->def) {
            sl_buf_append(x->b, "null", 4);
            skip(x, n);
            return;
        }
    }
    if (n->phys >= 0)
        write_leaf(x, n);
    else
        write_group(x, n);
}

/* A present group: a list, a map or a struct. */
static void write_group(nest *x, const pq_node *n)
{
    const pq_node *r, *elem;
    if (list_shape(x, n, &r, &elem))
        write_repeated(x, r, elem, false);
    else if (map_shape(x, n, &r))
        write_repeated(x, r, NULL, true);
    else
        write_struct(x, n);
}

static void write_field(nest *x, const pq_node *n)
{
    if (n->repetition == PQ_REPEATED)
        write_repeated(x, n, NULL, false);
    else
        write_value(x, n);
}

sl_code sl__pq_nest(const pq_file *f, int fi, pq_col *cols, size_t n_rows, sl_slice *out,
                    sl__tbuf *t, sl_buf *scratch, sl_err *err)
{
    const pq_node *fn = &f->nodes[fi];
    nest x = {f, cols, NULL, fn->first_leaf, scratch, false};
    x.cur = sl_calloc((size_t)fn->n_leaves * sizeof *x.cur);
    if (x.cur == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory for a nested parquet field");
    sl_code rc = SL_OK;
    for (size_t r = 0; r < n_rows && rc == SL_OK; r++) {
        sl_buf_clear(scratch);
        if (fn->repetition == PQ_OPTIONAL && first_def(&x, fn) < fn->def && !x.bad) {
            skip(&x, fn);
            out[r] = SL_SLICE_NULL;
        } else {
            write_field(&x, fn);
            if (scratch->oom)
                rc = sl_fail(err, SL_NOMEM, "out of memory for a nested parquet value");
            else if ((out[r] = sl__tbuf_copy(t, scratch->p, scratch->len)).p == NULL)
                rc = sl_fail(err, SL_NOMEM, "out of memory for a nested parquet value");
        }
        for (int l = 0; l < fn->n_leaves && !x.bad; l++) { /* every leaf at a row start */
            const pq_col *c = &cols[fn->first_leaf + l];
            x.bad = x.cur[l] > c->n || (x.cur[l] < c->n && c->reps[x.cur[l]] != 0);
        }
        if (x.bad && rc == SL_OK)
            rc = sl_fail(err, SL_INVALID, "parquet column %.*s is corrupt: repetition and "
                                          "definition levels of its leaves disagree",
                         (int)fn->name.n, fn->name.p);
    }
    sl_free(x.cur);
    return rc;
}
