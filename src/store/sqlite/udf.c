/*
 * udf.c - the SQLite engine's value encoding v2 and the functions a query registers on its
 * connection (store stage, called by query.c and render.c).
 *
 *   render.c: a subtree SQLite cannot compute exactly -> sl_expr_detach -> __sl_f<k>(holes...)
 *   SQLite, per row: __sl_f<k>(args) -> decode args by their sluice types -> sl_expr_eval over
 *                    one row (the load-time engine itself) -> result encoded by its type
 *   aggregates: __sl_a<k>(x) -> sl_expr_acc_step per row, sl_expr_acc_value per group
 *
 * So a function gives the same answer in a SELECT as in a load's `columns`, and sums are exact
 * (128-bit) with overflow an error. Only render.c emits function names: nothing a user writes
 * reaches an SQLite built-in function. An error inside a function (a limit, an overflow) is
 * kept in q->err with its code and stops the statement.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../core/platform.h"

#include <stdio.h>
#include <math.h>
#include <string.h>

#include "../../batch/bitmap.h"
#include "../../core/mem.h"
#include "internal.h"

/* ---- encoding ----------------------------------------------------------------------------- */

void sl__sq_wide_put(uint8_t out[16], sl_i128 w)
{
    unsigned __int128 u = (unsigned __int128)w ^ ((unsigned __int128)1 << 127);
    for (int i = 15; i >= 0; i--, u >>= 8)
        out[i] = (uint8_t)u;
}

sl_i128 sl__sq_wide_get(const uint8_t in[16])
{
    unsigned __int128 u = 0;
    for (int i = 0; i < 16; i++)
        u = u << 8 | in[i];
    return (sl_i128)(u ^ ((unsigned __int128)1 << 127));
}

void sl__sq_bind_real(sqlite3_stmt *st, int i, double d)
{
    if (isnan(d))
        sqlite3_bind_text(st, i, "NaN", 3, SQLITE_STATIC);
    else
        sqlite3_bind_double(st, i, d);
}

sl_code sl__sq_decode(sqlite3_value *v, const sl_type *t, bool *null, sl_datum *out,
                      sl_err *err)
{
    int st = sqlite3_value_type(v);
    memset(out, 0, sizeof *out);
    *null = st == SQLITE_NULL;
    if (*null)
        return SL_OK;
    if (sl_type_is_blob(t)) {
        out->s.n = (size_t)sqlite3_value_bytes(v);
        out->s.p = out->s.n ? (const char *)sqlite3_value_blob(v) : "";
        if (out->s.p == NULL)
            return sl_fail(err, SL_NOMEM, "out of memory reading a value");
    } else if (sl_type_has_bytes(t)) {
        out->s.p = (const char *)sqlite3_value_text(v);
        out->s.n = (size_t)sqlite3_value_bytes(v);
        if (out->s.p == NULL)
            return sl_fail(err, SL_NOMEM, "out of memory reading a value");
    } else if (sl__sq_real(t)) {
        out->d = st == SQLITE_TEXT ? NAN : sqlite3_value_double(v); /* only 'NaN' is text */
    } else if (sl__sq_wide(t) && st == SQLITE_BLOB) {
        if (sqlite3_value_bytes(v) != 16)
            return sl_fail(err, SL_INTERNAL, "stored value is not a 16-byte number");
        out->w = sl__sq_wide_get(sqlite3_value_blob(v));
    } else if (st != SQLITE_INTEGER) {
        return sl_fail(err, SL_INTERNAL, "stored value is not of its column's encoding");
    } else if (t->id == SL_LARGEINT || t->id == SL_DECIMAL) {
        out->w = sqlite3_value_int64(v);
    } else {
        out->i = sqlite3_value_int64(v);
    }
    return SL_OK;
}

void sl__sq_result(sqlite3_context *ctx, const sl_type *t, bool null, const sl_datum *v)
{
    uint8_t b[16];
    if (null)
        sqlite3_result_null(ctx);
    else if (sl_type_is_blob(t))
        sqlite3_result_blob64(ctx, v->s.n ? v->s.p : "", v->s.n, SQLITE_TRANSIENT);
    else if (sl_type_has_bytes(t))
        sqlite3_result_text64(ctx, v->s.n ? v->s.p : "", v->s.n, SQLITE_TRANSIENT, SQLITE_UTF8);
    else if (sl__sq_real(t) && isnan(v->d))
        sqlite3_result_text(ctx, "NaN", 3, SQLITE_STATIC);
    else if (sl__sq_real(t))
        sqlite3_result_double(ctx, v->d);
    else if (sl__sq_wide(t))
        sl__sq_wide_put(b, v->w), sqlite3_result_blob(ctx, b, 16, SQLITE_TRANSIENT);
    else if (t->id == SL_DECIMAL)
        sqlite3_result_int64(ctx, (sqlite3_int64)v->w);
    else
        sqlite3_result_int64(ctx, v->i);
}

/* ---- errors raised inside functions -------------------------------------------------------- */

/* Keep the first error with its code for query.c and stop the statement. */
static void fail(sqlite3_context *ctx, sq_query *q, const sl_err *e)
{
    if (q->err.code == SL_OK)
        q->err = *e;
    sqlite3_result_error(ctx, e->msg, -1);
}

/* ---- scalar functions ---------------------------------------------------------------------- */

typedef struct sq_fn {
    sq_query *q;
    const sl_expr *e;        /* detached: column k is hole k */
    sl_type *types;          /* per hole */
    size_t n;
} sq_fn;

static void scalar(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sq_fn *f = sqlite3_user_data(ctx);
    sq_query *q = f->q;
    sl_err e = {0};
    sl_vec out, *cols = NULL;
    sl_arena_reset(&q->call);
    size_t n = (size_t)argc < f->n ? (size_t)argc : f->n;
    sl_code rc = (cols = sl_arena_alloc(&q->call, (n + 1) * sizeof *cols)) ? SL_OK
               : sl_fail(&e, SL_NOMEM, "out of memory evaluating a function");
    for (size_t i = 0; rc == SL_OK && i < n; i++) {
        bool null;
        cols[i].type = f->types[i];
        cols[i].v = sl_arena_alloc(&q->call, sizeof *cols[i].v);
        cols[i].null = sl_arena_alloc(&q->call, 1);
        if (cols[i].v == NULL || cols[i].null == NULL)
            rc = sl_fail(&e, SL_NOMEM, "out of memory evaluating a function");
        else if ((rc = sl__sq_decode(argv[i], &f->types[i], &null, cols[i].v, &e)) == SL_OK)
            cols[i].null[0] = null;
    }
    if (rc == SL_OK)
        rc = sl_expr_eval(f->e, cols, 1, NULL, &q->sel->ctx, &q->call, &out, &e);
    bool null = rc == SL_OK && out.null && out.null[0];
    if (rc == SL_OK && !null && sl_type_has_bytes(&out.type) && out.v[0].s.n > q->lim.max_bytes)
        rc = sl_fail(&e, SL_TOO_LARGE, "MEM_LIMIT_EXCEEDED: a value of %zu bytes exceeds the "
                     "query's limit of %llu bytes", out.v[0].s.n,
                     (unsigned long long)q->lim.max_bytes);
    if (rc != SL_OK)
        fail(ctx, q, &e);
    else
        sl__sq_result(ctx, &out.type, null, &out.v[0]);
}

sl_code sl__sq_fn_scalar(sq_query *q, const sl_expr *e, const sl_expr *const *holes, size_t n,
                         char *name, sl_err *err)
{
    sq_fn *f = sl_arena_alloc(&q->a, sizeof *f);
    sl_type *types = sl_arena_alloc(&q->a, (n + 1) * sizeof *types);
    if (f == NULL || types == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory rendering a query");
    for (size_t i = 0; i < n; i++)
        types[i] = sl_expr_type(holes[i]);
    *f = (sq_fn){q, e, types, n};
    snprintf(name, 16, "__sl_f%u", q->n_fn++);
    if (sqlite3_create_function_v2(q->db, name, (int)n, SQLITE_UTF8 | SQLITE_DETERMINISTIC, f,
                                   scalar, NULL, NULL, NULL) != SQLITE_OK)
        return sl_fail(err, SL_BACKEND, "cannot register a function: %s", sqlite3_errmsg(q->db));
    return SL_OK;
}

/* ---- aggregates ---------------------------------------------------------------------------- */

/* SQLite's aggregate context is 8-byte aligned; states holding 128-bit integers need 16. The
 * context is allocated 15 bytes larger and used from its first 16-byte boundary (the same on
 * every call: SQLite hands back the same block). NULL: no context (n > 0: out of memory). */
static void *state(sqlite3_context *ctx, size_t n)
{
    char *p = sqlite3_aggregate_context(ctx, n ? (int)(n + 15) : 0);
    return p ? (void *)(((uintptr_t)p + 15) & ~(uintptr_t)15) : NULL;
}

typedef struct sq_agg {
    sq_query *q;
    const sl_expr *agg;
    sl_type arg;             /* the argument's type */
    bool has_sep;
    sl_datum sep;            /* group_concat's separator */
} sq_agg;

static void agg_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sq_agg *g = sqlite3_user_data(ctx);
    sq_query *q = g->q;
    sl_expr_acc *acc = state(ctx, sizeof *acc);
    sl_err e = {0};
    sl_datum v;
    bool null = true;
    sl_code rc = acc ? SL_OK : sl_fail(&e, SL_NOMEM, "out of memory in an aggregate");
    if (rc == SL_OK && argc > 0 && sl_expr_n_args(g->agg) > 0)
        rc = sl__sq_decode(argv[0], &g->arg, &null, &v, &e);
    size_t before = acc ? acc->text.len : 0;
    if (rc == SL_OK)
        rc = sl_expr_acc_step(g->agg, acc, null ? NULL : &v, g->has_sep ? &g->sep : NULL,
                              q->lim.max_bytes, &e);
    if (rc == SL_OK && (q->held += acc->text.len - before) > q->lim.mem_bytes)
        rc = sl_fail(&e, SL_TOO_LARGE, "MEM_LIMIT_EXCEEDED: aggregate states of this query "
                     "exceed its memory limit of %llu bytes", (unsigned long long)q->lim.mem_bytes);
    if (rc != SL_OK)
        fail(ctx, q, &e);
}

static void agg_final(sqlite3_context *ctx)
{
    sq_agg *g = sqlite3_user_data(ctx);
    sl_expr_acc none, *acc = state(ctx, 0);
    sl_err e = {0};
    sl_datum v;
    bool null;
    if (acc == NULL) {
        memset(&none, 0, sizeof none);
        acc = &none;
    }
    sl_type t = sl_expr_type(g->agg);
    if (sl_expr_acc_value(g->agg, acc, &null, &v, &e) != SL_OK)
        fail(ctx, g->q, &e);
    else
        sl__sq_result(ctx, &t, null, &v);
    g->q->held -= acc->text.len < g->q->held ? acc->text.len : g->q->held;
    sl_expr_acc_free(acc);
}

sl_code sl__sq_fn_aggregate(sq_query *q, const sl_expr *agg, char *name, sl_err *err)
{
    sq_agg *g = sl_arena_alloc(&q->a, sizeof *g);
    if (g == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory rendering a query");
    *g = (sq_agg){q, agg, sl_expr_type(sl_expr_arg(agg, 0)), false, {0}};
    if (sl_expr_n_args(agg) > 1)
        g->has_sep = sl_expr_lit(sl_expr_arg(agg, 1), &g->sep);
    snprintf(name, 16, "__sl_a%u", q->n_fn++);
    if (sqlite3_create_function_v2(q->db, name, 1, SQLITE_UTF8, g, NULL, agg_step, agg_final,
                                   NULL) != SQLITE_OK)
        return sl_fail(err, SL_BACKEND, "cannot register a function: %s", sqlite3_errmsg(q->db));
    return SL_OK;
}

/* ---- __sl_sum128: the AGGREGATE KEY merge's SUM over wide values -------------------------- */

typedef struct sum128 {
    sl_i128 sum;
    bool any;
} sum128;

static bool wide_arg(sqlite3_value *v, sl_i128 *w)
{
    if (sqlite3_value_type(v) == SQLITE_BLOB && sqlite3_value_bytes(v) == 16) {
        *w = sl__sq_wide_get(sqlite3_value_blob(v));
        return true;
    }
    if (sqlite3_value_type(v) == SQLITE_INTEGER) {
        *w = sqlite3_value_int64(v);
        return true;
    }
    return false;
}

static void sum_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sum128 *s = state(ctx, sizeof *s);
    sl_i128 w;
    (void)argc;
    if (s == NULL) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    if (!wide_arg(argv[0], &w))
        return; /* NULL */
    if (__builtin_add_overflow(s->sum, w, &s->sum))
        sqlite3_result_error(ctx, "Arithmetic overflow: sum does not fit 128 bits", -1);
    s->any = true;
}

static void sum_inverse(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sum128 *s = state(ctx, sizeof *s);
    sl_i128 w;
    (void)argc;
    if (s && wide_arg(argv[0], &w))
        s->sum -= w;
}

static void sum_value(sqlite3_context *ctx)
{
    sum128 *s = state(ctx, 0);
    uint8_t b[16];
    if (s == NULL || !s->any) {
        sqlite3_result_null(ctx);
        return;
    }
    sl__sq_wide_put(b, s->sum);
    sqlite3_result_blob(ctx, b, 16, SQLITE_TRANSIENT);
}

/* ---- __sl_bmu / __sl_hllu: the AGGREGATE KEY merge's BITMAP_UNION and HLL_UNION ----------
 * Window functions over a whole key partition (the merge view gives their window no ORDER BY,
 * so SQLite never takes a row out and the inverse is never called). A malformed stored value
 * stops the statement. */

typedef struct sketch_state {
    void *s;        /* sl_bitmap or sl_hll */
    bool any;
} sketch_state;

static void sketch_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    bool bm = sqlite3_user_data(ctx) != NULL;
    sketch_state *st = state(ctx, sizeof *st);
    (void)argc;
    if (st == NULL) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return;
    if (st->s == NULL && (st->s = bm ? (void *)sl_bitmap_new() : sl_calloc(sizeof(sl_hll))) ==
                             NULL) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    int n = sqlite3_value_bytes(argv[0]);
    sl_slice v = {n ? (const char *)sqlite3_value_blob(argv[0]) : "", (size_t)n};
    if (!(bm ? sl_bitmap_or_bytes(st->s, v) : sl_hll_or_bytes(st->s, v)))
        sqlite3_result_error(ctx, bm ? "a stored BITMAP is malformed" : "a stored HLL is "
                             "malformed", -1);
    st->any = true;
}

static void sketch_inverse(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc, (void)argv;
    sqlite3_result_error(ctx, "a union cannot take a value back", -1);
}

static void sketch_value(sqlite3_context *ctx)
{
    bool bm = sqlite3_user_data(ctx) != NULL;
    sketch_state *st = state(ctx, 0);
    sl_arena_t a;
    sl_slice r;
    if (st == NULL || !st->any) {
        sqlite3_result_null(ctx);
        return;
    }
    sl_arena_init(&a, 4096);
    if (bm ? sl_bitmap_write(st->s, &a, &r) : sl_hll_write(st->s, &a, &r))
        sqlite3_result_blob64(ctx, r.p, r.n, SQLITE_TRANSIENT);
    else
        sqlite3_result_error_nomem(ctx);
    sl_arena_free(&a);
}

static void sketch_final(sqlite3_context *ctx)
{
    bool bm = sqlite3_user_data(ctx) != NULL;
    sketch_state *st = state(ctx, 0);
    sketch_value(ctx);
    if (st && st->s && bm)
        sl_bitmap_free(st->s);
    else if (st && st->s)
        sl_hll_free(st->s), sl_free(st->s);
    if (st)
        st->s = NULL;
}

sl_code sl__sq_register_sum128(sqlite3 *db, sl_err *err)
{
    static char bitmap_tag;
    if (sqlite3_create_window_function(db, "__sl_sum128", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                       NULL, sum_step, sum_value, sum_value, sum_inverse,
                                       NULL) != SQLITE_OK ||
        sqlite3_create_window_function(db, "__sl_bmu", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                       &bitmap_tag, sketch_step, sketch_final, sketch_value,
                                       sketch_inverse, NULL) != SQLITE_OK ||
        sqlite3_create_window_function(db, "__sl_hllu", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                       NULL, sketch_step, sketch_final, sketch_value,
                                       sketch_inverse, NULL) != SQLITE_OK)
        return sl_fail(err, SL_BACKEND, "cannot register the merge functions: %s",
                       sqlite3_errmsg(db));
    return SL_OK;
}
