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
    uint32_t *slot;             /* group + 1, or 0 */
    size_t n_slot;
    sl_arena_t a;               /* key text, min/max text, sets */
    uint64_t bytes;             /* state held, for the budget */
    uint64_t held;              /* group_concat text, for the query's memory limit */
    /* the statement over the groups */
    post *outs, having, *order;
} agg;

struct vset {
    uint32_t *gid;
    sl_datum *v;
    uint64_t *h;
    size_t n, cap;
    uint32_t *slot;
    size_t n_slot;
};

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

static sl_code grow_slots(agg *g)
{
    size_t n = g->n_slot ? g->n_slot * 2 : 128;
    uint32_t *s = sl_calloc(n * sizeof *s);
    if (s == NULL)
        return SL_NOMEM;
    for (size_t i = 0; i < g->n; i++) {
        size_t p = (size_t)g->kh[i] & (n - 1);
        while (s[p])
            p = (p + 1) & (n - 1);
        s[p] = (uint32_t)i + 1;
    }
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
    size_t p = (size_t)h & (g->n_slot - 1);
    while (g->slot[p])
        p = (p + 1) & (g->n_slot - 1);
    g->slot[p] = (uint32_t)i + 1;
    g->n++;
    *gid = (uint32_t)i;
    return SL_OK;
}

static bool row_is(const agg *g, uint32_t i, size_t r)
{
    for (size_t k = 0; k < g->n_keys; k++) {
        const sl_vec *v = &g->kvec[k];
        bool nr = v->null && v->null[r];
        if (nr != (g->kn[k][i] != 0))
            return false;
        if (!nr && !sl__sq_equal(&g->kt[k], &g->kv[k][i], &v->v[r]))
            return false;
    }
    return true;
}

static sl_code find_group(agg *g, size_t r, uint32_t *gid)
{
    uint64_t h = 0x51ed270b27c5a2d3u;
    for (size_t k = 0; k < g->n_keys; k++) {
        const sl_vec *v = &g->kvec[k];
        h = (h ^ (v->null && v->null[r] ? 0x5bd1e995u : sl__sq_hash(&g->kt[k], &v->v[r]))) *
            0x9e3779b97f4a7c15u;
    }
    h ^= h >> 29;
    for (size_t p = g->n_slot ? (size_t)h & (g->n_slot - 1) : 0; g->n_slot;
         p = (p + 1) & (g->n_slot - 1)) {
        uint32_t e = g->slot[p];
        if (e == 0)
            break;
        if (g->kh[e - 1] == h && row_is(g, e - 1, r)) {
            *gid = e - 1;
            return SL_OK;
        }
    }
    return new_group(g, r, h, gid);
}

/* DISTINCT: add (gid, v) to s; false when it was there. */
static int vset_add(agg *g, vset *s, const sl_type *t, uint32_t gid, const sl_datum *v)
{
    uint64_t h = sl__sq_hash(t, v) ^ mix(gid + 1);
    if ((s->n + 1) * 2 > s->n_slot) {
        size_t n = s->n_slot ? s->n_slot * 2 : 64;
        uint32_t *slot = sl_calloc(n * sizeof *slot);
        if (slot == NULL)
            return -1;
        for (size_t i = 0; i < s->n; i++) {
            size_t p = (size_t)s->h[i] & (n - 1);
            while (slot[p])
                p = (p + 1) & (n - 1);
            slot[p] = (uint32_t)i + 1;
        }
        sl_free(s->slot);
        g->bytes += (n - s->n_slot) * 4;
        s->slot = slot, s->n_slot = n;
    }
    size_t p = (size_t)h & (s->n_slot - 1);
    for (; s->slot[p]; p = (p + 1) & (s->n_slot - 1)) {
        uint32_t e = s->slot[p] - 1;
        if (s->h[e] == h && s->gid[e] == gid && sl__sq_equal(t, &s->v[e], v))
            return 0;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        uint32_t *gi = sl_realloc(s->gid, cap * sizeof *gi);
        if (gi)
            s->gid = gi;
        sl_datum *vv = sl_realloc(s->v, cap * sizeof *vv);
        if (vv)
            s->v = vv;
        uint64_t *hh = sl_realloc(s->h, cap * sizeof *hh);
        if (hh)
            s->h = hh;
        if (!gi || !vv || !hh)
            return -1;
        g->bytes += (cap - s->cap) * 28;
        s->cap = cap;
    }
    s->gid[s->n] = gid, s->v[s->n] = *v, s->h[s->n] = h;
    if (sl_type_is_text(t) && !copy_text(&g->a, &s->v[s->n], &g->bytes))
        return -1;
    s->slot[p] = (uint32_t)++s->n;
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
        int k = vset_add(g, d->set, &d->at, gid, v);
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
        rc = sl__sq_rows_prune(&e->rows, e->keys, e->n_keys, e->k, e->types, g->sc->err);
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
    return sl__sq_rows_init(&e->rows, w);
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
        rc = sl__sq_rows_emit(g->sc, &e.rows, e.keys, e.n_keys);
    sl__sq_rows_free(&e.rows);
    return rc;
}

static sl_code agg_alloc(agg *g)
{
    g->kvec = sl_arena_alloc(&g->a, (g->n_keys + 1) * sizeof *g->kvec);
    g->avec = sl_arena_alloc(&g->a, (g->n_args + 1) * sizeof *g->avec);
    g->kv = sl_arena_alloc(&g->a, (g->n_keys + 1) * sizeof *g->kv);
    g->kn = sl_arena_alloc(&g->a, (g->n_keys + 1) * sizeof *g->kn);
    if (!g->kvec || !g->avec || !g->kv || !g->kn)
        return sl_fail(g->sc->err, SL_NOMEM, "out of memory");
    memset(g->kv, 0, (g->n_keys + 1) * sizeof *g->kv);
    memset(g->kn, 0, (g->n_keys + 1) * sizeof *g->kn);
    for (size_t j = 0; j < g->n_aggs; j++) {
        if (!sl_expr_distinct(g->aggs[j].node) || g->aggs[j].arg == NULL)
            continue;
        if ((g->aggs[j].set = sl_arena_alloc(&g->a, sizeof(vset))) == NULL)
            return sl_fail(g->sc->err, SL_NOMEM, "out of memory");
        memset(g->aggs[j].set, 0, sizeof(vset));
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
        if (s)
            sl_free(s->gid), sl_free(s->v), sl_free(s->h), sl_free(s->slot);
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
