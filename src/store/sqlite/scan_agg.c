/*
 * scan_agg.c - GROUP BY, aggregates and DISTINCT of the vectorised scan (store stage; scan.c
 * hands it the slices of rows).
 *
 *   slice: GROUP BY keys and aggregate arguments evaluated -> each kept row finds its group in
 *          an open-addressing hash table (keys copied) -> its aggregates step:
 *          count, min, max here; sum, avg, group_concat, stddev, variance, bit_* through the
 *          expression engine's accumulators (sl_expr_acc: exact 128-bit sums, overflow an
 *          error), as the SQLite path's registered aggregates do; DISTINCT through a set of
 *          (group, value) per aggregate
 *   end:   one value vector per aggregate and per key -> outputs, HAVING and ORDER BY are the
 *          statement's trees with their aggregates and keys cut out as holes
 *          (sl_expr_detach), evaluated over the groups -> sorted, LIMIT -> the sink
 *
 * Without GROUP BY there is one group, also for no rows. Without ORDER BY groups come out in
 * key order (NULLs first), DISTINCT rows in first-seen order, as SQLite returns them.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../core/platform.h"

#include <string.h>

#include "../../core/mem.h"
#include "internal.h"

/* ---- hashing -------------------------------------------------------------------------------- */

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53u;
    return h ^ (h >> 33);
}

uint64_t sl__sq_hash(const sl_type *t, const sl_datum *v)
{
    if (sl_type_is_text(t)) {
        uint64_t h = 0x9e3779b97f4a7c15u ^ v->s.n;
        size_t i = 0;
        for (; i + 8 <= v->s.n; i += 8) {
            uint64_t x;
            memcpy(&x, v->s.p + i, 8);
            h = mix(h ^ x);
        }
        uint64_t x = 0;
        if (i < v->s.n)
            memcpy(&x, v->s.p + i, v->s.n - i);
        return mix(h ^ x);
    }
    if (t->id == SL_FLOAT || t->id == SL_DOUBLE) {
        double d = v->d == 0 ? 0 : v->d; /* -0.0 groups with 0.0 */
        uint64_t x;
        memcpy(&x, &d, 8);
        return mix(x);
    }
    if (t->id == SL_DECIMAL || t->id == SL_LARGEINT)
        return mix((uint64_t)v->w ^ mix((uint64_t)(v->w >> 64)));
    return mix((uint64_t)v->i);
}

bool sl__sq_equal(const sl_type *t, const sl_datum *a, const sl_datum *b)
{
    if (sl_type_is_text(t))
        return a->s.n == b->s.n && (a->s.n == 0 || memcmp(a->s.p, b->s.p, a->s.n) == 0);
    if (t->id == SL_FLOAT || t->id == SL_DOUBLE)
        return a->d == b->d;
    if (t->id == SL_DECIMAL || t->id == SL_LARGEINT)
        return a->w == b->w;
    return a->i == b->i;
}

/* ---- the plan ------------------------------------------------------------------------------ */

typedef struct vset vset;

typedef struct aggdef {
    const sl_expr *node;
    int op;                     /* sl_expr_agg */
    const sl_expr *arg;         /* NULL: count(*) */
    sl_type at;                 /* the argument's type */
    size_t argv;                /* its vector among the slice's arguments */
    bool has_sep;
    sl_datum sep;               /* group_concat's separator */
    vset *set;                  /* DISTINCT: the (group, value) pairs seen */
    bool is_int;                /* the argument is held in v.i */
} aggdef;

typedef struct state {          /* one aggregate of one group */
    sl_expr_acc acc;            /* count: acc.n; the engine's accumulators */
    sl_datum best;              /* min / max */
    bool has;
} state;

/* A statement tree evaluated over the groups: its holes are aggregates or GROUP BY keys. */
typedef struct post {
    sl_expr *e;
    size_t n_holes;
    size_t *src;                /* per hole: key k (k < n_keys) or aggregate n_keys + j */
} post;

typedef struct agg {
    sq_scan *sc;
    const sl_expr **key;        /* GROUP BY keys (literals left out) or DISTINCT's outputs */
    sl_type *kt;
    size_t n_keys;
    aggdef *aggs;
    size_t n_aggs;
    const sl_expr **args;       /* the aggregates' distinct arguments */
    size_t n_args;
    sl_vec *kvec, *avec;        /* per slice */
    bool global;                /* no GROUP BY: one group */
    bool by_keys;               /* GROUP BY: groups in key order after ORDER BY's keys */
    size_t stop_at;             /* DISTINCT ... LIMIT without ORDER BY: enough groups */
    /* groups */
    size_t n, cap;
    sl_datum **kv;              /* per key: cap values */
    uint8_t **kn;               /* per key: cap NULL flags */
    uint64_t *kh;               /* cap hashes */
    state *st;                  /* cap * n_aggs */
    uint64_t *slot;             /* hash tag | group + 1, or 0 */
    size_t n_slot;
    bool *kint;                 /* per key: an integer (v.i), hashed inline */
    bool *ktext;                /* per key: text (v.s), hashed inline when 8 bytes or less */
    sl_arena_t a;               /* key text, min/max text, sets */
    uint64_t bytes;             /* state held, for the budget */
    uint64_t held;              /* group_concat text, for the query's memory limit */
    /* the statement over the groups */
    post *outs, having, *order;
} agg;

typedef struct ventry {
    sl_datum v;
    uint64_t h;
    uint32_t gid;
} ventry;

/* DISTINCT values per group: a bitmap per group when the values are integers of a small
 * known range (a column's bounds from the chunk stats), else a hash set of (group, value). */
struct vset {
    ventry *e;
    size_t n, cap;
    uint64_t *slot;             /* tagged, as the groups' */
    size_t n_slot;
    bool bitmap;                /* bitmaps, until they would pass SQ_BITMAP_BYTES */
    int64_t lo;
    uint64_t bits;              /* values lo .. lo + bits - 1 */
    uint8_t **bm;               /* per group: NULL or bits / 8 bytes */
    size_t n_bm;
    uint64_t bm_bytes;
};

/* Bitmaps of all groups of one DISTINCT aggregate stay under this; beyond, a hash set. 2^24
 * bits is 2 MiB per group: small ranges (keys of a dimension) with few groups. */
#define SQ_BITMAP_BYTES (64u << 20)
#define SQ_BITMAP_BITS (1u << 24)

/* Values held in v.i: integers, BOOLEAN, DATE, DATETIME. */
static bool int_form(const sl_type *t)
{
    return !sl_type_is_text(t) && t->id != SL_FLOAT && t->id != SL_DOUBLE &&
           t->id != SL_DECIMAL && t->id != SL_LARGEINT;
}

static bool is_agg(const sl_expr *n, void *arg)
{
    (void)arg;
    return sl_expr_kind_of(n) == SL_E_AGG;
}

static bool same_typed(const sl_expr *a, const sl_expr *b)
{
    sl_type ta = sl_expr_type(a), tb = sl_expr_type(b);
    return memcmp(&ta, &tb, sizeof ta) == 0 && sl_expr_same(a, b);
}

static long find_key(const agg *g, const sl_expr *n)
{
    for (size_t k = 0; k < g->n_keys; k++)
        if (same_typed(n, g->key[k]))
            return (long)k;
    return -1;
}

static bool is_post_hole(const sl_expr *n, void *arg)
{
    return sl_expr_kind_of(n) == SL_E_AGG || find_key(arg, n) >= 0 ||
           sl_expr_kind_of(n) == SL_E_COL;
}

/* Add the aggregates of e to g's list (each once). */
static sl_code collect_aggs(agg *g, const sl_expr *e)
{
    sl_expr *copy;
    const sl_expr **holes;
    size_t n;
    sl_code rc = sl_expr_detach(e, is_agg, NULL, &g->a, &copy, &holes, &n, g->sc->err);
    for (size_t i = 0; rc == SL_OK && i < n; i++) {
        size_t j = 0;
        while (j < g->n_aggs && !sl_expr_same(g->aggs[j].node, holes[i]))
            j++;
        if (j < g->n_aggs)
            continue;
        if (g->n_aggs >= 64)
            return SL_AGAIN;
        aggdef *d = &g->aggs[g->n_aggs++];
        memset(d, 0, sizeof *d);
        d->node = holes[i];
        d->op = sl_expr_op(holes[i]);
        d->arg = sl_expr_n_args(holes[i]) ? sl_expr_arg(holes[i], 0) : NULL;
        if (d->arg)
            d->at = sl_expr_type(d->arg);
        d->is_int = d->arg && int_form(&d->at);
        if (sl_expr_n_args(holes[i]) > 1)
            d->has_sep = sl_expr_lit(sl_expr_arg(holes[i], 1), &d->sep);
    }
    return rc;
}

/* e with its aggregates and keys as holes; SL_AGAIN when it reads a column that is no key. */
static sl_code make_post(agg *g, const sl_expr *e, post *p)
{
    const sl_expr **holes;
    sl_code rc = sl_expr_detach(e, is_post_hole, g, &g->a, &p->e, &holes, &p->n_holes,
                                g->sc->err);
    if (rc != SL_OK)
        return rc;
    p->src = sl_arena_alloc(&g->a, (p->n_holes + 1) * sizeof *p->src);
    if (p->src == NULL)
        return sl_fail(g->sc->err, SL_NOMEM, "out of memory planning a query");
    for (size_t i = 0; i < p->n_holes; i++) {
        long k = sl_expr_kind_of(holes[i]) == SL_E_AGG ? -1 : find_key(g, holes[i]);
        if (k >= 0) {
            p->src[i] = (size_t)k;
            continue;
        }
        size_t j = 0;
        while (j < g->n_aggs && !sl_expr_same(g->aggs[j].node, holes[i]))
            j++;
        if (j == g->n_aggs)
            return SL_AGAIN; /* a column outside GROUP BY: SQLite's choice of row */
        p->src[i] = g->n_keys + j;
    }
    return SL_OK;
}

static size_t add_arg(agg *g, const sl_expr *e)
{
    for (size_t i = 0; i < g->n_args; i++)
        if (same_typed(g->args[i], e))
            return i;
    g->args[g->n_args] = e;
    return g->n_args++;
}

/* Keys, aggregates and the trees over the groups. */
static sl_code agg_plan(agg *g)
{
    const sl_select *sel = g->sc->sel;
    size_t nk = sel->distinct ? sel->n_out : sel->n_group;
    g->key = sl_arena_alloc(&g->a, (nk + 1) * sizeof *g->key);
    g->kt = sl_arena_alloc(&g->a, (nk + 1) * sizeof *g->kt);
    g->aggs = sl_arena_alloc(&g->a, 64 * sizeof *g->aggs);
    g->args = sl_arena_alloc(&g->a, 64 * sizeof *g->args);
    g->outs = sl_arena_alloc(&g->a, (sel->n_out + 1) * sizeof *g->outs);
    g->order = sl_arena_alloc(&g->a, (sel->n_order + 1) * sizeof *g->order);
    if (!g->key || !g->kt || !g->aggs || !g->args || !g->outs || !g->order)
        return sl_fail(g->sc->err, SL_NOMEM, "out of memory planning a query");
    for (size_t i = 0; i < nk; i++) {
        const sl_expr *e = sel->distinct ? sel->out[i].expr : sel->group[i];
        if (sl_expr_kind_of(e) == SL_E_LIT && !sel->distinct)
            continue; /* a constant groups nothing */
        g->kt[g->n_keys] = sl_expr_type(e);
        g->key[g->n_keys++] = e;
    }
    g->global = !sel->distinct && sel->n_group == 0;
    g->by_keys = !sel->distinct && sel->n_group > 0;
    sl_code rc = SL_OK;
    for (size_t i = 0; rc == SL_OK && i < sel->n_out; i++)
        rc = collect_aggs(g, sel->out[i].expr);
    for (size_t i = 0; rc == SL_OK && i < sel->n_order; i++)
        rc = collect_aggs(g, sel->order[i].expr);
    if (rc == SL_OK && sel->having)
        rc = collect_aggs(g, sel->having);
    for (size_t j = 0; rc == SL_OK && j < g->n_aggs; j++)
        if (g->aggs[j].arg)
            g->aggs[j].argv = add_arg(g, g->aggs[j].arg);
    for (size_t i = 0; rc == SL_OK && i < sel->n_out; i++)
        rc = make_post(g, sel->out[i].expr, &g->outs[i]);
    for (size_t i = 0; rc == SL_OK && i < sel->n_order; i++)
        rc = make_post(g, sel->order[i].expr, &g->order[i]);
    if (rc == SL_OK && sel->having)
        rc = make_post(g, sel->having, &g->having);
    if (sel->distinct && sel->n_order == 0 && sel->has_limit && sel->limit < SIZE_MAX / 4 &&
        sel->offset < SIZE_MAX / 4)
        g->stop_at = (size_t)(sel->limit + sel->offset);
    return rc;
}

/* ---- groups ---------------------------------------------------------------------------------- */

static sl_code grow_groups(agg *g)
{
    size_t cap = g->cap ? g->cap * 2 : 64;
    for (size_t k = 0; k < g->n_keys; k++) {
        sl_datum *v = sl_realloc(g->kv[k], cap * sizeof *v);
        if (v)
            g->kv[k] = v;
        uint8_t *nl = sl_realloc(g->kn[k], cap);
        if (nl)
            g->kn[k] = nl;
        if (v == NULL || nl == NULL)
            return SL_NOMEM;
    }
    uint64_t *h = sl_realloc(g->kh, cap * sizeof *h);
    if (h)
        g->kh = h;
    state *st = g->n_aggs ? sl_realloc(g->st, cap * g->n_aggs * sizeof *st) : g->st;
    if (g->n_aggs && st)
        g->st = st;
    if (h == NULL || (g->n_aggs && st == NULL))
        return SL_NOMEM;
    g->bytes += (cap - g->cap) * (g->n_keys * 17 + 8 + g->n_aggs * sizeof *st);
    g->cap = cap;
    return SL_OK;
}

/* Slots hold the upper half of an entry's hash beside its index + 1 (0: empty), so a probe
 * reads the entry only when the tags agree. */
static inline uint64_t slot_of(uint64_t h, size_t i)
{
    return (h & 0xffffffff00000000u) | ((uint64_t)i + 1);
}

static void slot_put(uint64_t *slot, size_t n_slot, uint64_t h, size_t i)
{
    size_t p = (size_t)h & (n_slot - 1);
    while (slot[p])
        p = (p + 1) & (n_slot - 1);
    slot[p] = slot_of(h, i);
}

static sl_code grow_slots(agg *g)
{
    size_t n = g->n_slot ? g->n_slot * 2 : 128;
    uint64_t *s = sl_calloc(n * sizeof *s);
    if (s == NULL)
        return SL_NOMEM;
    for (size_t i = 0; i < g->n; i++)
        slot_put(s, n, g->kh[i], i);
    sl_free(g->slot);
    g->bytes += (n - g->n_slot) * sizeof *s;
    g->slot = s;
    g->n_slot = n;
    return SL_OK;
}

static bool copy_text(sl_arena_t *a, sl_datum *v, uint64_t *bytes)
{
    if (v->s.n == 0)
        return true;
    char *p = sl_arena_alloc(a, v->s.n);
    if (p == NULL)
        return false;
    memcpy(p, v->s.p, v->s.n);
    v->s.p = p;
    *bytes += v->s.n;
    return true;
}

/* A new group with row r's keys (hash h). */
static sl_code new_group(agg *g, size_t r, uint64_t h, uint32_t *gid)
{
    if ((g->n == g->cap && grow_groups(g) != SL_OK) ||
        ((g->n + 1) * 2 > g->n_slot && grow_slots(g) != SL_OK))
        return sl_fail(g->sc->err, SL_NOMEM, "out of memory grouping rows");
    size_t i = g->n;
    for (size_t k = 0; k < g->n_keys; k++) {
        const sl_vec *v = &g->kvec[k];
        g->kn[k][i] = v->null && v->null[r];
        g->kv[k][i] = g->kn[k][i] ? (sl_datum){0} : v->v[r];
        if (!g->kn[k][i] && sl_type_is_text(&g->kt[k]) &&
            !copy_text(&g->a, &g->kv[k][i], &g->bytes))
            return sl_fail(g->sc->err, SL_NOMEM, "out of memory grouping rows");
    }
    if (g->n_aggs)
        memset(&g->st[i * g->n_aggs], 0, g->n_aggs * sizeof *g->st);
    g->kh[i] = h;
    slot_put(g->slot, g->n_slot, h, i);
    g->n++;
    *gid = (uint32_t)i;
    return SL_OK;
}

/* Text of at most 8 bytes as one word (zero-padded; the length tells "a" from "a\0"). */
static inline uint64_t short_word(const sl_datum *d)
{
    uint64_t x = 0;
    for (size_t i = 0; i < d->s.n; i++)
        x |= (uint64_t)(unsigned char)d->s.p[i] << (8 * i);
    return x;
}

static bool row_is(const agg *g, uint32_t i, size_t r)
{
    for (size_t k = 0; k < g->n_keys; k++) {
        const sl_vec *v = &g->kvec[k];
        bool nr = v->null && v->null[r];
        if (nr != (g->kn[k][i] != 0))
            return false;
        if (nr)
            continue;
        const sl_datum *a = &g->kv[k][i], *b = &v->v[r];
        if (g->kint[k] ? a->i != b->i
            : g->ktext[k] && b->s.n <= 8
                ? a->s.n != b->s.n || short_word(a) != short_word(b)
                : !sl__sq_equal(&g->kt[k], a, b))
            return false;
    }
    return true;
}

/* The hash of row r's keys: integers and short text (most keys) without a call. Only this
 * function hashes group keys, so its short-text form need not match sl__sq_hash's. */
static uint64_t key_hash(const agg *g, size_t r)
{
    uint64_t h = 0x51ed270b27c5a2d3u;
    for (size_t k = 0; k < g->n_keys; k++) {
        const sl_vec *v = &g->kvec[k];
        const sl_datum *d = &v->v[r];
        uint64_t x = v->null && v->null[r]       ? 0x5bd1e995u
                     : g->kint[k]                ? mix((uint64_t)d->i)
                     : g->ktext[k] && d->s.n <= 8 ? mix(short_word(d) ^ (uint64_t)d->s.n << 59)
                                                 : sl__sq_hash(&g->kt[k], d);
        h = (h ^ x) * 0x9e3779b97f4a7c15u;
    }
    return h ^ (h >> 29);
}

static sl_code find_group(agg *g, size_t r, uint32_t *gid)
{
    uint64_t h = key_hash(g, r), tag = h & 0xffffffff00000000u;
    for (size_t p = g->n_slot ? (size_t)h & (g->n_slot - 1) : 0; g->n_slot;
         p = (p + 1) & (g->n_slot - 1)) {
        uint64_t e = g->slot[p];
        if (e == 0)
            break;
        uint32_t i = (uint32_t)e - 1;
        if ((e & 0xffffffff00000000u) == tag && row_is(g, i, r)) {
            *gid = i;
            return SL_OK;
        }
    }
    return new_group(g, r, h, gid);
}

static int hash_add(agg *g, vset *s, const sl_type *t, bool is_int, uint32_t gid,
                    const sl_datum *v);

/* Leave bitmap mode: every set bit becomes a hash set entry. */
static int to_hash(agg *g, vset *s, const sl_type *t)
{
    s->bitmap = false;
    int rc = 1;
    for (size_t gi = 0; gi < s->n_bm; gi++) {
        uint8_t *m = s->bm[gi];
        for (uint64_t b = 0; m && rc >= 0 && b < s->bits; b++)
            if (m[b >> 3] >> (b & 7) & 1) {
                sl_datum v = {.i = s->lo + (int64_t)b};
                rc = hash_add(g, s, t, true, (uint32_t)gi, &v);
            }
        sl_free(m);
    }
    sl_free(s->bm);
    s->bm = NULL, s->n_bm = 0;
    return rc < 0 ? -1 : 1;
}

/* DISTINCT: add (gid, v) to s: 1 when new, 0 when it was there, -1 out of memory. */
static int vset_add(agg *g, vset *s, const sl_type *t, bool is_int, uint32_t gid,
                    const sl_datum *v)
{
    if (!s->bitmap)
        return hash_add(g, s, t, is_int, gid, v);
    uint64_t b = (uint64_t)v->i - (uint64_t)s->lo;
    if (b >= s->bits || (gid >= s->n_bm || s->bm[gid] == NULL ? s->bm_bytes +
                         s->bits / 8 + 1 > SQ_BITMAP_BYTES : false))
        return to_hash(g, s, t) < 0 ? -1 : hash_add(g, s, t, is_int, gid, v);
    if (gid >= s->n_bm) {
        size_t n = (size_t)gid * 2 + 8;
        uint8_t **bm = sl_realloc(s->bm, n * sizeof *bm);
        if (bm == NULL)
            return -1;
        memset(bm + s->n_bm, 0, (n - s->n_bm) * sizeof *bm);
        s->bm = bm, s->n_bm = n;
    }
    if (s->bm[gid] == NULL) {
        if ((s->bm[gid] = sl_calloc(s->bits / 8 + 1)) == NULL)
            return -1;
        s->bm_bytes += s->bits / 8 + 1;
        g->bytes += s->bits / 8 + 1;
    }
    uint8_t *m = &s->bm[gid][b >> 3], bit = (uint8_t)(1u << (b & 7));
    if (*m & bit)
        return 0;
    *m |= bit;
    return 1;
}

static int hash_add(agg *g, vset *s, const sl_type *t, bool is_int, uint32_t gid,
                    const sl_datum *v)
{
    uint64_t h = (is_int ? mix((uint64_t)v->i) : sl__sq_hash(t, v)) ^ mix(gid + 1);
    if ((s->n + 1) * 2 > s->n_slot) {
        size_t n = s->n_slot ? s->n_slot * 2 : 64;
        uint64_t *slot = sl_calloc(n * sizeof *slot);
        if (slot == NULL)
            return -1;
        for (size_t i = 0; i < s->n; i++)
            slot_put(slot, n, s->e[i].h, i);
        sl_free(s->slot);
        g->bytes += (n - s->n_slot) * 8;
        s->slot = slot, s->n_slot = n;
    }
    uint64_t tag = h & 0xffffffff00000000u;
    size_t p = (size_t)h & (s->n_slot - 1);
    for (; s->slot[p]; p = (p + 1) & (s->n_slot - 1)) {
        if ((s->slot[p] & 0xffffffff00000000u) != tag)
            continue;
        const ventry *x = &s->e[(uint32_t)s->slot[p] - 1];
        if (x->gid == gid && (is_int ? x->v.i == v->i : sl__sq_equal(t, &x->v, v)))
            return 0;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        ventry *e = sl_realloc(s->e, cap * sizeof *e);
        if (e == NULL)
            return -1;
        g->bytes += (cap - s->cap) * sizeof *e;
        s->e = e, s->cap = cap;
    }
    ventry *x = &s->e[s->n];
    x->gid = gid, x->v = *v, x->h = h;
    if (sl_type_is_text(t) && !copy_text(&g->a, &x->v, &g->bytes))
        return -1;
    s->slot[p] = slot_of(h, s->n++);
    return 1;
}

/* ---- stepping ---------------------------------------------------------------------------- */

static sl_code step_minmax(agg *g, const aggdef *d, state *s, const sl_datum *v)
{
    int c = s->has ? sl__sq_cmp(&d->at, v, &s->best) : 0;
    if (s->has && (d->op == SL_QA_MIN ? c >= 0 : c <= 0))
        return SL_OK;
    s->best = *v;
    s->has = true;
    if (sl_type_is_text(&d->at) && !copy_text(&g->a, &s->best, &g->bytes))
        return sl_fail(g->sc->err, SL_NOMEM, "out of memory in an aggregate");
    return SL_OK;
}

static sl_code step(agg *g, aggdef *d, state *s, uint32_t gid, size_t r)
{
    if (d->arg == NULL) { /* count(*) */
        s->acc.n++;
        return SL_OK;
    }
    const sl_vec *av = &g->avec[d->argv];
    if (av->null && av->null[r])
        return SL_OK;
    const sl_datum *v = &av->v[r];
    if (d->set) {
        int k = vset_add(g, d->set, &d->at, d->is_int, gid, v);
        if (k <= 0)
            return k < 0 ? sl_fail(g->sc->err, SL_NOMEM, "out of memory in an aggregate")
                         : SL_OK;
    }
    if (d->op == SL_QA_COUNT) {
        s->acc.n++;
        return SL_OK;
    }
    if (d->op == SL_QA_MIN || d->op == SL_QA_MAX)
        return step_minmax(g, d, s, v);
    size_t before = s->acc.text.len;
    sq_scan *sc = g->sc;
    sl_code rc = sl_expr_acc_step(d->node, &s->acc, v, d->has_sep ? &d->sep : NULL,
                                  sc->lim.max_bytes, sc->err);
    if (rc == SL_OK && (g->held += s->acc.text.len - before) > sc->lim.mem_bytes)
        rc = sl_fail(sc->err, SL_TOO_LARGE, "MEM_LIMIT_EXCEEDED: aggregate states of this "
                     "query exceed its memory limit of %llu bytes",
                     (unsigned long long)sc->lim.mem_bytes);
    return rc;
}

static sl_code agg_slice(sq_scan *sc, void *arg, size_t n, const uint8_t *keep, bool *stop)
{
    agg *g = arg;
    sl_code rc = SL_OK;
    for (size_t k = 0; rc == SL_OK && k < g->n_keys; k++)
        rc = sl__sq_scan_eval(sc, g->key[k], sc->cols, n, keep, &g->kvec[k]);
    for (size_t j = 0; rc == SL_OK && j < g->n_args; j++)
        rc = sl__sq_scan_eval(sc, g->args[j], sc->cols, n, keep, &g->avec[j]);
    for (size_t r = 0; rc == SL_OK && r < n; r++) {
        if (!keep[r])
            continue;
        uint32_t gid = 0;
        if (!g->global && (rc = find_group(g, r, &gid)) != SL_OK)
            break;
        state *st = g->n_aggs ? &g->st[(size_t)gid * g->n_aggs] : NULL;
        for (size_t j = 0; rc == SL_OK && j < g->n_aggs; j++)
            rc = step(g, &g->aggs[j], &st[j], gid, r);
        if (g->stop_at && g->n >= g->stop_at) {
            *stop = true;
            break;
        }
    }
    if (rc == SL_OK && g->bytes + g->a.used > sc->budget)
        return SL_AGAIN; /* SQLite groups it in temporary files */
    return rc;
}

/* ---- the groups as rows ---------------------------------------------------------------------- */

/* Aggregate j's value for every group, as a vector. */
static sl_code agg_values(agg *g, size_t j, sl_vec *out)
{
    const aggdef *d = &g->aggs[j];
    out->type = sl_expr_type(d->node);
    out->v = sl_arena_alloc(&g->a, (g->n + 1) * sizeof *out->v);
    out->null = sl_arena_alloc(&g->a, g->n + 1);
    if (out->v == NULL || out->null == NULL)
        return sl_fail(g->sc->err, SL_NOMEM, "out of memory");
    for (size_t i = 0; i < g->n; i++) {
        state *s = &g->st[i * g->n_aggs + j];
        bool null = false;
        sl_code rc = SL_OK;
        if (d->op == SL_QA_MIN || d->op == SL_QA_MAX) {
            null = !s->has;
            out->v[i] = s->best;
        } else {
            rc = sl_expr_acc_value(d->node, &s->acc, &null, &out->v[i], g->sc->err);
        }
        if (rc != SL_OK)
            return rc;
        out->null[i] = null;
    }
    return SL_OK;
}

/* Evaluate p over groups [from, from + n). */
static sl_code eval_post(agg *g, const post *p, const sl_vec *src, size_t from, size_t n,
                         const uint8_t *keep, sl_vec *out)
{
    sl_vec *cols = sl_arena_alloc(&g->sc->tmp, (p->n_holes + 1) * sizeof *cols);
    if (cols == NULL)
        return sl_fail(g->sc->err, SL_NOMEM, "out of memory");
    for (size_t i = 0; i < p->n_holes; i++) {
        const sl_vec *s = &src[p->src[i]];
        cols[i] = (sl_vec){s->type, s->v + from, s->null ? s->null + from : NULL};
    }
    return sl__sq_scan_eval(g->sc, p->e, cols, n, keep, out);
}

typedef struct emit {
    sq_rows rows;
    sl_vec *vec;                /* outputs, then sort keys */
    sl_type *types;
    sq_sortkey *keys;
    size_t n_keys, k;
} emit;

/* Outputs and sort keys of groups [from, from + n) that pass HAVING, into e->rows. */
static sl_code post_chunk(agg *g, emit *e, const sl_vec *src, size_t from, size_t n)
{
    const sl_select *sel = g->sc->sel;
    uint8_t *keep = sl_arena_alloc(&g->sc->tmp, n + 1);
    sl_code rc = keep ? SL_OK : sl_fail(g->sc->err, SL_NOMEM, "out of memory");
    if (rc == SL_OK)
        memset(keep, 1, n);
    if (rc == SL_OK && sel->having) {
        sl_vec h;
        rc = eval_post(g, &g->having, src, from, n, NULL, &h);
        for (size_t i = 0; rc == SL_OK && i < n; i++) /* TRUE only; the tree is BOOLEAN */
            keep[i] = !(h.null && h.null[i]) && h.v[i].i != 0;
    }
    for (size_t i = 0; rc == SL_OK && i < sel->n_out; i++)
        rc = eval_post(g, &g->outs[i], src, from, n, keep, &e->vec[i]);
    for (size_t j = 0; rc == SL_OK && j < sel->n_order; j++)
        rc = eval_post(g, &g->order[j], src, from, n, keep, &e->vec[sel->n_out + j]);
    for (size_t k = 0; rc == SL_OK && g->by_keys && k < g->n_keys; k++)
        e->vec[sel->n_out + sel->n_order + k] = (sl_vec){src[k].type, src[k].v + from,
                                                         src[k].null + from};
    for (size_t i = 0; rc == SL_OK && i < n; i++)
        if (keep[i] && sl__sq_rows_add(&e->rows, e->vec, i, e->types) != SL_OK)
            rc = sl_fail(g->sc->err, SL_NOMEM, "out of memory");
    if (rc == SL_OK && e->k < SIZE_MAX / 4 && e->rows.n >= 2 * e->k + 1024)
        rc = sl__sq_rows_prune(&e->rows, e->k, e->types, g->sc->err);
    sl_arena_reset(&g->sc->tmp);
    return rc;
}

/* The sort: ORDER BY, then the GROUP BY keys (SQLite's groups arrive in key order, so ties of
 * ORDER BY keep it); neither for DISTINCT (first-seen order) or one group. */
static sl_code emit_setup(agg *g, emit *e)
{
    const sl_select *sel = g->sc->sel;
    size_t n_order = sel->n_order, by_keys = g->by_keys ? g->n_keys : 0;
    size_t w = sel->n_out + n_order + by_keys;
    e->vec = sl_arena_alloc(&g->a, (w + 1) * sizeof *e->vec);
    e->types = sl_arena_alloc(&g->a, (w + 1) * sizeof *e->types);
    e->keys = sl_arena_alloc(&g->a, (n_order + by_keys + 1) * sizeof *e->keys);
    if (!e->vec || !e->types || !e->keys)
        return sl_fail(g->sc->err, SL_NOMEM, "out of memory");
    for (size_t i = 0; i < sel->n_out; i++)
        e->types[i] = sl_expr_type(sel->out[i].expr);
    for (size_t j = 0; j < n_order + by_keys; j++) {
        size_t c = sel->n_out + j;
        bool ob = j < n_order;
        e->types[c] = ob ? sl_expr_type(sel->order[j].expr) : g->kt[j - n_order];
        e->keys[j] = (sq_sortkey){c, e->types[c], ob && sel->order[j].desc,
                                  ob ? sel->order[j].nulls : 0};
    }
    e->n_keys = n_order + by_keys;
    e->k = sel->has_limit && sel->limit < SIZE_MAX / 8 && sel->offset < SIZE_MAX / 8
               ? (size_t)(sel->limit + sel->offset)
               : SIZE_MAX;
    sl__sq_rows_init(&e->rows, w);
    sl__sq_rows_order(&e->rows, e->keys, e->n_keys);
    return SL_OK;
}

static sl_code agg_finish(agg *g)
{
    sl_vec *src = sl_arena_alloc(&g->a, (g->n_keys + g->n_aggs + 1) * sizeof *src);
    emit e;
    memset(&e, 0, sizeof e);
    sl_code rc = src ? emit_setup(g, &e) : sl_fail(g->sc->err, SL_NOMEM, "out of memory");
    for (size_t k = 0; rc == SL_OK && k < g->n_keys; k++)
        src[k] = (sl_vec){g->kt[k], g->kv[k], g->kn[k]};
    for (size_t j = 0; rc == SL_OK && j < g->n_aggs; j++)
        rc = agg_values(g, j, &src[g->n_keys + j]);
    for (size_t from = 0; rc == SL_OK && from < g->n; from += 4096)
        rc = post_chunk(g, &e, src, from, g->n - from < 4096 ? g->n - from : 4096);
    if (rc == SL_OK && e.rows.bytes > g->sc->budget)
        rc = SL_AGAIN;
    if (rc == SL_OK)
        rc = sl__sq_rows_emit(g->sc, &e.rows);
    sl__sq_rows_free(&e.rows);
    return rc;
}

/* An integer column's range over every chunk that will be read: bitmaps when it is small. */
static void bitmap_range(agg *g, aggdef *d)
{
    const sq_scan *sc = g->sc;
    vset *s = d->set;
    if (!d->is_int || sl_expr_kind_of(d->arg) != SL_E_COL)
        return;
    size_t col = (size_t)sl_expr_col(d->arg);
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i = 0; i < sc->n_seg; i++) {
        const sq_segr *r = &sc->seg[i];
        for (size_t rg = 0; rg < r->n_rg; rg++) {
            const sq_stats *st = &r->st[rg * r->n_cols + col];
            if (st->n_null == r->rg_rows[rg])
                continue;
            if (!st->has_minmax)
                return;
            lo = st->lo.i < lo ? st->lo.i : lo;
            hi = st->hi.i > hi ? st->hi.i : hi;
        }
    }
    if (lo > hi || (uint64_t)hi - (uint64_t)lo >= SQ_BITMAP_BITS)
        return;
    s->bitmap = true;
    s->lo = lo;
    s->bits = (uint64_t)hi - (uint64_t)lo + 1;
}

static sl_code agg_alloc(agg *g)
{
    g->kvec = sl_arena_alloc(&g->a, (g->n_keys + 1) * sizeof *g->kvec);
    g->avec = sl_arena_alloc(&g->a, (g->n_args + 1) * sizeof *g->avec);
    g->kv = sl_arena_alloc(&g->a, (g->n_keys + 1) * sizeof *g->kv);
    g->kn = sl_arena_alloc(&g->a, (g->n_keys + 1) * sizeof *g->kn);
    g->kint = sl_arena_alloc(&g->a, g->n_keys + 1);
    g->ktext = sl_arena_alloc(&g->a, g->n_keys + 1);
    if (!g->kvec || !g->avec || !g->kv || !g->kn || !g->kint || !g->ktext)
        return sl_fail(g->sc->err, SL_NOMEM, "out of memory");
    for (size_t k = 0; k < g->n_keys; k++) {
        g->kint[k] = int_form(&g->kt[k]);
        g->ktext[k] = !g->kint[k] && sl_type_is_text(&g->kt[k]);
    }
    memset(g->kv, 0, (g->n_keys + 1) * sizeof *g->kv);
    memset(g->kn, 0, (g->n_keys + 1) * sizeof *g->kn);
    for (size_t j = 0; j < g->n_aggs; j++) {
        if (!sl_expr_distinct(g->aggs[j].node) || g->aggs[j].arg == NULL)
            continue;
        if ((g->aggs[j].set = sl_arena_alloc(&g->a, sizeof(vset))) == NULL)
            return sl_fail(g->sc->err, SL_NOMEM, "out of memory");
        memset(g->aggs[j].set, 0, sizeof(vset));
        bitmap_range(g, &g->aggs[j]);
    }
    return SL_OK;
}

static void agg_free(agg *g)
{
    for (size_t k = 0; g->kv && k < g->n_keys; k++)
        sl_free(g->kv[k]), sl_free(g->kn[k]);
    for (size_t i = 0; g->st && i < g->n * g->n_aggs; i++)
        sl_expr_acc_free(&g->st[i].acc);
    for (size_t j = 0; g->aggs && j < g->n_aggs; j++) {
        vset *s = g->aggs[j].set;
        for (size_t i = 0; s && i < s->n_bm; i++)
            sl_free(s->bm[i]);
        if (s)
            sl_free(s->e), sl_free(s->slot), sl_free(s->bm);
    }
    sl_free(g->kh);
    sl_free(g->st);
    sl_free(g->slot);
    sl_arena_free(&g->a);
}

sl_code sl__sq_scan_agg(sq_scan *sc)
{
    agg g;
    memset(&g, 0, sizeof g);
    g.sc = sc;
    sl_arena_init(&g.a, 0);
    sl_code rc = agg_plan(&g);
    if (rc == SL_OK)
        rc = agg_alloc(&g);
    if (rc == SL_OK && g.global && g.n_aggs)
        rc = grow_groups(&g) == SL_OK ? SL_OK : sl_fail(sc->err, SL_NOMEM, "out of memory");
    if (rc == SL_OK && g.global) { /* the one group, keyless */
        memset(g.st, 0, g.n_aggs * sizeof *g.st);
        g.n = 1;
    }
    if (rc == SL_OK)
        rc = sl__sq_scan_each(sc, agg_slice, &g);
    if (rc == SL_OK)
        rc = agg_finish(&g);
    agg_free(&g);
    return rc;
}
