/*
 * select_bind.c - a parsed SELECT checked against its table and typed (sql stage; called by
 * the store's query path before an engine renders the statement).
 *
 *   items (`*` expanded)  -> sel->out: names, Doris's result types    PROJECT / AGGREGATE
 *   WHERE                 -> BOOLEAN, no aggregates                     FILTER
 *   GROUP BY              -> positions, columns, then SELECT aliases    AGGREGATE
 *   HAVING                -> columns, then SELECT aliases               HAVING
 *   ORDER BY              -> positions, SELECT aliases, then columns    SORT
 *   aggregate query       -> every other column grouped ("x not in aggregate's output")
 *
 * Name rules follow MySQL as Doris does: column names compare case-insensitively, an alias
 * reference takes the aliased expression's place (so every engine sees plain expressions over
 * the table's columns), a `t.` qualifier must name the FROM table (or its alias when it has
 * one). The texts of the errors are Doris's (Nereids) where Doris has one, MySQL's otherwise.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <string.h>
#include <strings.h>
#include <time.h>

#include "../core/buf.h"
#include "internal.h"
#include "sql.h"

typedef struct binder {
    sl_select *sel;
    const sl_tabledef *def;
    const sl_select_env *env;
    sl_arena_t *a;
    sl_err *err;
    sl_expr_scope scope;
    sl_expr_ctx ctx;      /* constants are computed with the query's time zone and "now" */
    uint64_t folded;      /* text bytes of the constants computed so far */
    /* the clause being bound */
    const char *clause;   /* Doris's clause name for unknown columns */
    const char *where;    /* MySQL's clause name for ambiguous aliases */
    int aliases;          /* 0: none, 1: after table columns, 2: before them */
    bool group;           /* GROUP BY: an alias of an aggregate cannot be grouped on */
} binder;

static bool ieq(sl_slice a, sl_slice b)
{
    return a.n == b.n && (a.n == 0 || strncasecmp(a.p, b.p, a.n) == 0);
}

static bool eq(sl_slice a, sl_slice b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static sl_code unknown(binder *b, const sl_expr *ref)
{
    sl_slice n = sl_expr_name(ref), q = sl_expr_qual(ref);
    int nn = (int)(n.n > 128 ? 128 : n.n), qn = (int)(q.n > 128 ? 128 : q.n);
    return sl_fail(b->err, SL_INVALID_SQL, "Unknown column '%.*s%s%.*s' in 'table list' in %s "
                   "clause", qn, q.p ? q.p : "", q.n ? "." : "", nn, n.p, b->clause);
}

/* The SELECT alias named name: *out the aliased expression, NULL when none. */
static sl_code find_alias(binder *b, sl_slice name, sl_expr **out)
{
    const sl_select *sel = b->sel;
    *out = NULL;
    for (size_t i = 0; i < sel->n_out; i++) {
        const sl_selout *o = &sel->out[i];
        if (!ieq(o->name, name) || o->expr == NULL)
            continue;
        if (*out && !sl_expr_same(*out, o->expr))
            return sl_fail(b->err, SL_INVALID_SQL, "Column '%.*s' in %s is ambiguous",
                           (int)(name.n > 128 ? 128 : name.n), name.p, b->where);
        *out = o->expr;
    }
    if (*out && b->group && sl_expr_has_agg(*out))
        return sl_fail(b->err, SL_INVALID_SQL, "Can't group on '%.*s'",
                       (int)(name.n > 128 ? 128 : name.n), name.p);
    return SL_OK;
}

static long find_column(const binder *b, sl_slice name)
{
    for (size_t i = 0; b->def && i < b->def->n_cols; i++)
        if (ieq(b->def->cols[i].name, name))
            return (long)i;
    return -1;
}

/* A `t.` / `db.t.` qualifier names the FROM table: by its alias when it has one. */
static bool qualifier_ok(const binder *b, sl_slice q, sl_slice qdb)
{
    const sl_select *sel = b->sel;
    if (b->def == NULL)
        return false;
    if (qdb.n && !eq(qdb, sel->db.n ? sel->db : b->env ? b->env->db : (sl_slice){NULL, 0}))
        return false;
    return sel->alias.n && qdb.n == 0 ? eq(q, sel->alias) : eq(q, sel->table);
}

static sl_code resolve(void *arg, const sl_expr *ref, long *col, sl_expr **subst, sl_err *err)
{
    binder *b = arg;
    sl_slice name = sl_expr_name(ref), q = sl_expr_qual(ref);
    sl_code rc;
    (void)err;
    if (q.n) {
        if (!qualifier_ok(b, q, sl_expr_qual_db(ref)) || (*col = find_column(b, name)) < 0)
            return unknown(b, ref);
        return SL_OK;
    }
    if (b->aliases == 2 && ((rc = find_alias(b, name, subst)) != SL_OK || *subst))
        return rc;
    if ((*col = find_column(b, name)) >= 0)
        return SL_OK;
    if (b->aliases == 1 && ((rc = find_alias(b, name, subst)) != SL_OK || *subst))
        return rc;
    return unknown(b, ref);
}

static sl_code bind(binder *b, sl_expr **e, bool aggregates, const char *plan, bool to_bool)
{
    sl_expr_bindopts o = {&b->scope, resolve, b, aggregates, plan, to_bool, &b->ctx, &b->folded};
    sl_code rc = sl_expr_bind_ex(e, &o, b->a, b->err);
    if (rc == SL_INVALID)
        rc = b->err->code = SL_INVALID_SQL;
    return rc;
}

/* ---- the SELECT list ---------------------------------------------------------------------- */

static sl_code add_out(binder *b, size_t *cap, sl_selout o)
{
    sl_select *sel = b->sel;
    sl_selout *v = sl_arena_grow(b->a, sel->out, sel->n_out, cap, sizeof *v);
    if (v == NULL)
        return sl_fail(b->err, SL_NOMEM, "out of memory binding a select");
    sel->out = v;
    sel->out[sel->n_out++] = o;
    return SL_OK;
}

static sl_code star(binder *b, const sl_selitem *it, size_t *cap)
{
    if (b->def == NULL)
        return sl_fail(b->err, SL_INVALID_SQL, "No tables used");
    if (it->qual.n && !qualifier_ok(b, it->qual, it->qual_db))
        return sl_fail(b->err, SL_INVALID_SQL, "Unknown table '%.*s'",
                       (int)(it->qual.n > 128 ? 128 : it->qual.n), it->qual.p);
    for (size_t c = 0; c < b->def->n_cols; c++) {
        const sl_coldef *cd = &b->def->cols[c];
        sl_selout o = {cd->name, cd->type, sl_expr_column(b->a, (long)c, cd->type, cd->name)};
        if (o.expr == NULL)
            return sl_fail(b->err, SL_NOMEM, "out of memory binding a select");
        sl_code rc = add_out(b, cap, o);
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

static sl_code items(binder *b)
{
    sl_select *sel = b->sel;
    size_t cap = 0;
    b->clause = sel->aggregate ? "AGGREGATE" : "PROJECT";
    for (size_t i = 0; i < sel->n_items; i++) {
        sl_selitem *it = &sel->items[i];
        sl_code rc;
        if (it->expr == NULL) {
            if ((rc = star(b, it, &cap)) != SL_OK)
                return rc;
            continue;
        }
        bool bare = sl_expr_kind_of(it->expr) == SL_E_COL;
        sl_slice name = it->alias.p ? it->alias : bare ? sl_expr_name(it->expr) : it->text;
        if ((rc = bind(b, &it->expr, true, "LOGICAL_PROJECT", false)) != SL_OK)
            return rc;
        sl_selout o = {name, sl_expr_type(it->expr), it->expr};
        if ((rc = add_out(b, &cap, o)) != SL_OK)
            return rc;
    }
    return SL_OK;
}

/* ---- GROUP BY, HAVING, ORDER BY ----------------------------------------------------------- */

/* `GROUP BY 2` / `ORDER BY 2`: the second result column. *e is replaced when it is one. */
static sl_code position(binder *b, sl_expr **e, const char *where, bool *replaced)
{
    sl_datum v;
    *replaced = false;
    if (sl_expr_kind_of(*e) != SL_E_LIT || sl_expr_type(*e).id != SL_BIGINT ||
        !sl_expr_lit(*e, &v))
        return SL_OK;
    if (v.i < 1 || (uint64_t)v.i > b->sel->n_out)
        return sl_fail(b->err, SL_INVALID_SQL, "Unknown column '%lld' in '%s'", (long long)v.i,
                       where);
    const sl_selout *o = &b->sel->out[v.i - 1];
    if (b->group && sl_expr_has_agg(o->expr))
        return sl_fail(b->err, SL_INVALID_SQL, "Can't group on '%.*s'",
                       (int)(o->name.n > 128 ? 128 : o->name.n), o->name.p);
    *e = o->expr;
    *replaced = true;
    return SL_OK;
}

static sl_code group_by(binder *b)
{
    sl_select *sel = b->sel;
    b->clause = "AGGREGATE", b->where = "group statement", b->aliases = 1, b->group = true;
    for (size_t i = 0; i < sel->n_group; i++) {
        bool pos;
        sl_code rc = position(b, &sel->group[i], "group statement", &pos);
        if (rc != SL_OK)
            return rc;
        if (pos)
            continue;
        if (sl_expr_has_agg(sel->group[i])) {
            sl_buf t = SL_BUF_INIT;
            sl_expr_print(sel->group[i], &t);
            rc = sl_fail(b->err, SL_INVALID_SQL, "GROUP BY expression must not contain aggregate "
                         "functions: %s", t.p ? t.p : "");
            sl_buf_free(&t);
        }
        if (rc == SL_OK)
            rc = bind(b, &sel->group[i], false, "LOGICAL_AGGREGATE", false);
        if (rc != SL_OK)
            return rc;
    }
    b->group = false;
    return SL_OK;
}

static sl_code order_by(binder *b)
{
    sl_select *sel = b->sel;
    b->clause = "SORT", b->where = "order clause", b->aliases = 2;
    for (size_t i = 0; i < sel->n_order; i++) {
        bool pos;
        sl_code rc = position(b, &sel->order[i].expr, "order clause", &pos);
        if (rc == SL_OK && !pos)
            rc = bind(b, &sel->order[i].expr, sel->aggregate, "LOGICAL_SORT", false);
        if (rc != SL_OK)
            return rc;
    }
    return SL_OK;
}

/* ---- aggregate queries -------------------------------------------------------------------- */

/* Mark in seen[] the columns of e outside aggregates and outside every GROUP BY expression. */
static void ungrouped(const binder *b, const sl_expr *e, uint8_t *seen)
{
    if (sl_expr_kind_of(e) == SL_E_AGG)
        return;
    for (size_t g = 0; g < b->sel->n_group; g++)
        if (sl_expr_same(e, b->sel->group[g]))
            return;
    if (sl_expr_kind_of(e) == SL_E_COL) {
        seen[sl_expr_col(e)] = 1;
        return;
    }
    for (size_t i = 0; i < sl_expr_n_args(e); i++)
        ungrouped(b, sl_expr_arg(e, i), seen);
}

static sl_code check_grouped(binder *b)
{
    const sl_select *sel = b->sel;
    size_t n = b->def ? b->def->n_cols : 0;
    uint8_t *seen = sl_arena_alloc(b->a, n + 1);
    if (seen == NULL)
        return sl_fail(b->err, SL_NOMEM, "out of memory binding a select");
    memset(seen, 0, n + 1);
    for (size_t i = 0; i < sel->n_out; i++)
        ungrouped(b, sel->out[i].expr, seen);
    if (sel->having)
        ungrouped(b, sel->having, seen);
    for (size_t i = 0; i < sel->n_order; i++)
        ungrouped(b, sel->order[i].expr, seen);
    sl_buf names = SL_BUF_INIT;
    for (size_t c = 0; c < n; c++) {
        if (!seen[c])
            continue;
        if (names.len)
            sl_buf_puts(&names, ", ");
        sl_buf_append(&names, b->def->cols[c].name.p, b->def->cols[c].name.n);
    }
    sl_code rc = SL_OK;
    if (names.oom)
        rc = sl_fail(b->err, SL_NOMEM, "out of memory binding a select");
    else if (names.len)
        rc = sl_fail(b->err, SL_INVALID_SQL, "%.*s not in aggregate's output",
                     (int)(names.len > 512 ? 512 : names.len), names.p);
    sl_buf_free(&names);
    return rc;
}

/* SELECT DISTINCT sorts only by what it returns (MySQL and PostgreSQL refuse the rest). */
static sl_code check_distinct_order(binder *b)
{
    const sl_select *sel = b->sel;
    for (size_t i = 0; sel->distinct && i < sel->n_order; i++) {
        const sl_expr *e = sel->order[i].expr;
        bool found = sl_expr_kind_of(e) == SL_E_LIT;
        for (size_t k = 0; !found && k < sel->n_out; k++)
            found = sl_expr_same(e, sel->out[k].expr);
        if (!found)
            return sl_fail(b->err, SL_INVALID_SQL, "Expression #%zu of ORDER BY clause is not in "
                           "SELECT list; this is incompatible with DISTINCT", i + 1);
    }
    return SL_OK;
}

static bool any_agg(const sl_select *sel)
{
    bool agg = sel->n_group > 0 || (sel->having && sl_expr_has_agg(sel->having));
    for (size_t i = 0; !agg && i < sel->n_items; i++)
        agg = sel->items[i].expr && sl_expr_has_agg(sel->items[i].expr);
    for (size_t i = 0; !agg && i < sel->n_order; i++)
        agg = sl_expr_has_agg(sel->order[i].expr);
    return agg;
}

static sl_code scope_of(binder *b)
{
    size_t n = b->def ? b->def->n_cols : 0;
    sl_slice *names = sl_arena_alloc(b->a, (n + 1) * sizeof *names);
    sl_type *types = sl_arena_alloc(b->a, (n + 1) * sizeof *types);
    if (names == NULL || types == NULL)
        return sl_fail(b->err, SL_NOMEM, "out of memory binding a select");
    for (size_t i = 0; i < n; i++)
        names[i] = b->def->cols[i].name, types[i] = b->def->cols[i].type;
    b->scope = (sl_expr_scope){names, types, n};
    return SL_OK;
}

sl_select_env sl_select_env_now(int32_t tz_offset_s, sl_slice db)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (sl_select_env){tz_offset_s, (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000, db,
                           NULL};
}

sl_code sl_select_bind(sl_select *sel, const sl_tabledef *def, const sl_select_env *env,
                       sl_arena_t *a, sl_err *err)
{
    binder b = {sel, def, env, a, err, {NULL, NULL, 0},
                {env ? env->tz_offset_s : 0, env ? env->now_us : 0, env ? env->tz : NULL}, 0, "PROJECT", "field list", 0,
                false};
    if (sel->bound)
        return sl_fail(err, SL_INTERNAL, "select bound twice");
    sel->aggregate = any_agg(sel);
    sl_code rc = scope_of(&b);
    if (rc == SL_OK)
        rc = items(&b);
    if (rc == SL_OK && sel->where) {
        b.clause = "FILTER";
        rc = bind(&b, &sel->where, false, "LOGICAL_FILTER", true);
    }
    if (rc == SL_OK)
        rc = group_by(&b);
    if (rc == SL_OK && sel->having) {
        b.clause = "HAVING", b.where = "having clause", b.aliases = 1;
        rc = bind(&b, &sel->having, sel->aggregate, "LOGICAL_FILTER", true);
    }
    if (rc == SL_OK)
        rc = order_by(&b);
    if (rc == SL_OK && sel->aggregate)
        rc = check_grouped(&b);
    if (rc == SL_OK)
        rc = check_distinct_order(&b);
    if (rc != SL_OK)
        return rc;
    sel->def = def;
    sel->ctx = (sl_expr_ctx){env ? env->tz_offset_s : 0, env ? env->now_us : 0,
                             env ? env->tz : NULL};
    sel->bound = true;
    return SL_OK;
}
