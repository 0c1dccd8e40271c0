/*
 * merge.c - a stage's rows into their table with the key model's semantics (store stage, the
 * end of a keyed, partial, replace or 2PC load). The stage holds the load's rows in load order
 * ("__sluice_ord") with their delete sign ("__sluice_del"); the same statements serve a load's
 * commit and a 2PC stage_commit, so both give what the SQLite engine's merge-on-read gives:
 *
 *   DUPLICATE   INSERT INTO t SELECT ... FROM stage
 *   UNIQUE      one row per key from the stage: the last in load order, or with a sequence
 *               column the largest sequence (NULL smallest), then the last;
 *               its delete sign set: DELETE the key (a data-modifying CTE), else
 *               INSERT ... ON CONFLICT (key) DO UPDATE SET every column (partial: only the
 *               provided ones; a new key takes the row's values, defaults already filled in)
 *               sequence: both only WHERE t.seq IS NULL OR new.seq >= t.seq; a delete's
 *               sequence is kept in the table's tomb sluice_stage."k<table_id>", so that a
 *               later row with a smaller sequence stays deleted (Doris keeps the delete-sign
 *               row with its sequence; the SQLite engine keeps it in its segments)
 *   AGGREGATE   GROUP BY key in the stage (SUM, MAX, MIN; REPLACE the last;
 *               REPLACE_IF_NOT_NULL the last non-NULL), then ON CONFLICT with the same
 *               functions applied to the stored and the new value
 *   replace     DELETE FROM t first, in the same transaction
 *
 * The DISTINCT ON output is in key order, so rows are locked in key order and two concurrent
 * merges into one table wait for each other rather than deadlock.
 *
 * Key columns compare with `=` when NOT NULL (the key index serves the join) and as
 * `(a = b OR (a IS NULL AND b IS NULL))` when nullable (NULL keys are one key, as in Doris).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../core/platform.h"

#include <stdio.h>
#include <string.h>

#include "../../batch/bitmap.h"
#include "internal.h"

#define T "__sl_t"                      /* alias of the target table */
#define D "__sl_d"                      /* alias of the deduplicated stage rows */
#define X "__sl_e"                      /* alias of the stored row of a partial update */
#define K "__sl_k"                      /* alias of the tomb */

bool sl__pg_nulls_nd(const sl_engine *e, const sl_tabledef *def)
{
    if (e->server_version < 150000)
        return false; /* NULLS NOT DISTINCT is PostgreSQL 15: older ones get PRIMARY KEY */
    for (size_t i = 0; i < def->n_cols; i++)
        if (def->cols[i].key && def->cols[i].nullable)
            return true;
    return false;
}

/* a."c" */
static void col(sl_buf *b, const char *alias, const sl_coldef *cd)
{
    if (alias) {
        sl_buf_puts(b, alias);
        sl_buf_putc(b, '.');
    }
    sl__pg_ident(b, cd->name);
}

/* "c1", "c2", ... of every column (alias-qualified when alias). */
static void col_list(sl_buf *b, const sl_tabledef *def, const char *alias)
{
    for (size_t i = 0; i < def->n_cols; i++) {
        if (i)
            sl_buf_puts(b, ", ");
        col(b, alias, &def->cols[i]);
    }
}

static void key_list(sl_buf *b, const sl_tabledef *def)
{
    size_t k = 0;
    for (size_t i = 0; i < def->n_cols; i++)
        if (def->cols[i].key) {
            if (k++)
                sl_buf_puts(b, ", ");
            col(b, NULL, &def->cols[i]);
        }
}

/* The key columns of a and b are equal (NULL equal to NULL). */
static void key_match(sl_buf *b, const sl_tabledef *def, const char *x, const char *y)
{
    size_t k = 0;
    for (size_t i = 0; i < def->n_cols; i++) {
        const sl_coldef *cd = &def->cols[i];
        if (!cd->key)
            continue;
        sl_buf_puts(b, k++ ? " AND " : "");
        if (cd->nullable)
            sl_buf_putc(b, '(');
        col(b, x, cd);
        sl_buf_puts(b, " = ");
        col(b, y, cd);
        if (cd->nullable) {
            sl_buf_puts(b, " OR (");
            col(b, x, cd);
            sl_buf_puts(b, " IS NULL AND ");
            col(b, y, cd);
            sl_buf_puts(b, " IS NULL))");
        }
    }
}

/* (T.seq IS NULL OR y.seq >= T.seq): the new row wins on its sequence. */
static void seq_wins(sl_buf *b, const pg_merge *m, const char *y)
{
    const sl_coldef *cd = &m->def->cols[m->seq_col];
    sl_buf_putc(b, '(');
    col(b, T, cd);
    sl_buf_puts(b, " IS NULL OR ");
    col(b, y, cd);
    sl_buf_puts(b, " >= ");
    col(b, T, cd);
    sl_buf_putc(b, ')');
}

static void target(sl_buf *b, const pg_merge *m)
{
    sl__pg_qname(b, m->db, m->table);
}

/* The new value of column cd when a stored row (T) meets a new one (excluded). */
static void set_expr(sl_buf *b, const sl_coldef *cd, uint8_t agg)
{
    switch (agg) {
    case SL_AGG_SUM: /* NULL + x is NULL in SQL; sum() skips NULLs */
        sl_buf_puts(b, "COALESCE(");
        col(b, T, cd);
        sl_buf_puts(b, " + ");
        col(b, "excluded", cd);
        sl_buf_puts(b, ", ");
        col(b, T, cd);
        sl_buf_puts(b, ", ");
        col(b, "excluded", cd);
        sl_buf_putc(b, ')');
        break;
    case SL_AGG_MAX:
    case SL_AGG_MIN: /* GREATEST and LEAST skip NULLs, as max() and min() do */
        sl_buf_puts(b, agg == SL_AGG_MAX ? "GREATEST(" : "LEAST(");
        col(b, T, cd);
        sl_buf_puts(b, ", ");
        col(b, "excluded", cd);
        sl_buf_putc(b, ')');
        break;
    case SL_AGG_REPLACE_IF_NOT_NULL:
        sl_buf_puts(b, "COALESCE(");
        col(b, "excluded", cd);
        sl_buf_puts(b, ", ");
        col(b, T, cd);
        sl_buf_putc(b, ')');
        break;
    default:
        col(b, "excluded", cd);
        break;
    }
}

/* ON CONFLICT (key) DO UPDATE SET c = <expr>, ... (DO NOTHING when nothing is set). */
static void on_conflict(sl_buf *b, const pg_merge *m)
{
    const sl_tabledef *def = m->def;
    sl_buf_puts(b, " ON CONFLICT (");
    key_list(b, def);
    sl_buf_puts(b, ") DO ");
    size_t n = 0;
    for (size_t i = 0; i < def->n_cols; i++) {
        const sl_coldef *cd = &def->cols[i];
        if (cd->key || (m->mask && i < 64 && !((m->mask >> i) & 1)))
            continue;
        sl_buf_puts(b, n++ ? ", " : "UPDATE SET ");
        col(b, NULL, cd);
        sl_buf_puts(b, " = ");
        uint8_t agg = def->key_model == SL_KEYS_AGGREGATE ? cd->agg : SL_AGG_REPLACE;
        set_expr(b, cd, agg);
    }
    if (n == 0) {
        sl_buf_puts(b, "NOTHING");
        return;
    }
    if (m->seq_col >= 0) {
        sl_buf_puts(b, " WHERE ");
        seq_wins(b, m, "excluded");
    }
}

/* A partial update leaves column i as stored, but PostgreSQL checks NOT NULL on the row an
 * INSERT proposes before it finds the conflict: such a column takes the stored value (a new
 * key keeps its own, which the new-key check made non-NULL, or fails as it should). */
static bool filled(const pg_merge *m, size_t i)
{
    const sl_coldef *cd = &m->def->cols[i];
    return m->mask && i < 64 && !((m->mask >> i) & 1) && !cd->key && !cd->nullable;
}

/* The tomb of a sequence table: sluice_stage."k<table_id>". */
static void tomb(sl_buf *b, const pg_merge *m)
{
    sl_buf_printf(b, "\"sluice_stage\".\"k%lld\"", (long long)m->table_id);
}

/* WITH D AS (one row per key: the largest sequence, then the last in load order) */
static void dedupe_cte(sl_buf *b, const pg_merge *m)
{
    const sl_tabledef *def = m->def;
    sl_buf_puts(b, "WITH " D " AS (SELECT DISTINCT ON (");
    key_list(b, def);
    sl_buf_printf(b, ") * FROM %s ORDER BY ", m->stage);
    key_list(b, def);
    if (m->seq_col >= 0) {
        sl_buf_puts(b, ", ");
        col(b, NULL, &def->cols[m->seq_col]);
        sl_buf_puts(b, " DESC NULLS LAST");
    }
    sl_buf_puts(b, ", \"" SL_PG_ORD "\" DESC)");
}

/* , Dx AS (DELETE the keys whose winning row deletes), and with a sequence column
 * , Dk AS (remember each delete's sequence in the tomb, the larger one winning). */
static void delete_ctes(sl_buf *b, const pg_merge *m)
{
    const sl_tabledef *def = m->def;
    sl_buf_puts(b, ", " D "x AS (DELETE FROM ");
    target(b, m);
    sl_buf_puts(b, " AS " T " USING " D " WHERE " D ".\"" SL_PG_DEL "\" AND ");
    key_match(b, def, T, D);
    if (m->seq_col >= 0) {
        sl_buf_puts(b, " AND ");
        seq_wins(b, m, D);
    }
    sl_buf_putc(b, ')');
    if (!m->tomb)
        return;
    sl_buf_puts(b, ", " D "k AS (INSERT INTO ");
    tomb(b, m);
    sl_buf_puts(b, " AS " K " SELECT ");
    for (size_t i = 0; i < def->n_cols; i++)
        if (def->cols[i].key) {
            col(b, D, &def->cols[i]);
            sl_buf_puts(b, ", ");
        }
    col(b, D, &def->cols[m->seq_col]);
    sl_buf_puts(b, " FROM " D " WHERE " D ".\"" SL_PG_DEL "\" ON CONFLICT (");
    key_list(b, def);
    sl_buf_puts(b, ") DO UPDATE SET \"" SL_PG_SEQ "\" = excluded.\"" SL_PG_SEQ "\" WHERE " K
                   ".\"" SL_PG_SEQ "\" IS NULL OR excluded.\"" SL_PG_SEQ "\" >= " K
                   ".\"" SL_PG_SEQ "\")");
}

/* AND NOT EXISTS (a tomb of the key whose sequence beats the new row's) */
static void not_entombed(sl_buf *b, const pg_merge *m)
{
    const sl_coldef *sq = &m->def->cols[m->seq_col];
    sl_buf_puts(b, " AND NOT EXISTS (SELECT 1 FROM ");
    tomb(b, m);
    sl_buf_puts(b, " AS " K " WHERE ");
    key_match(b, m->def, K, D);
    sl_buf_puts(b, " AND ((");
    col(b, D, sq);
    sl_buf_puts(b, " IS NULL AND " K ".\"" SL_PG_SEQ "\" IS NOT NULL) OR ");
    col(b, D, sq);
    sl_buf_puts(b, " < " K ".\"" SL_PG_SEQ "\"))");
}

/* UNIQUE: the winning row per key; its delete applied, or its upsert. */
static void unique_sql(sl_buf *b, const pg_merge *m)
{
    const sl_tabledef *def = m->def;
    dedupe_cte(b, m);
    if (m->any_del)
        delete_ctes(b, m);
    sl_buf_puts(b, " INSERT INTO ");
    target(b, m);
    sl_buf_puts(b, " AS " T " (");
    col_list(b, def, NULL);
    sl_buf_puts(b, ") SELECT ");
    bool join = false;
    for (size_t i = 0; i < def->n_cols; i++) {
        if (i)
            sl_buf_puts(b, ", ");
        if (!filled(m, i)) {
            col(b, D, &def->cols[i]);
            continue;
        }
        sl_buf_puts(b, "COALESCE(");
        col(b, D, &def->cols[i]);
        sl_buf_puts(b, ", ");
        col(b, X, &def->cols[i]);
        sl_buf_putc(b, ')');
        join = true;
    }
    sl_buf_puts(b, " FROM " D);
    if (join) {
        sl_buf_puts(b, " LEFT JOIN ");
        target(b, m);
        sl_buf_puts(b, " AS " X " ON ");
        key_match(b, def, X, D);
    }
    sl_buf_puts(b, m->any_del ? " WHERE NOT " D ".\"" SL_PG_DEL "\"" : " WHERE TRUE");
    if (m->tomb)
        not_entombed(b, m);
    on_conflict(b, m);
}

/* One aggregate over the stage's rows of a key. */
static void agg_expr(sl_buf *b, const sl_coldef *cd)
{
    sl_buf c = SL_BUF_INIT;
    col(&c, NULL, cd);
    const char *v = c.oom ? "NULL" : c.p;
    bool boolean = cd->type.id == SL_BOOLEAN; /* PostgreSQL has no max(boolean) */
    switch (cd->agg) {
    case SL_AGG_SUM:
        sl_buf_printf(b, "CAST(sum(%s) AS ", v);
        sl__pg_type(b, &cd->type);
        sl_buf_putc(b, ')');
        break;
    case SL_AGG_MAX: sl_buf_printf(b, "%s(%s)", boolean ? "bool_or" : "max", v); break;
    case SL_AGG_MIN: sl_buf_printf(b, "%s(%s)", boolean ? "bool_and" : "min", v); break;
    case SL_AGG_REPLACE_IF_NOT_NULL:
        sl_buf_printf(b, "(array_agg(%s ORDER BY \"" SL_PG_ORD "\" DESC) FILTER (WHERE %s IS "
                         "NOT NULL))[1]", v, v);
        break;
    default:
        sl_buf_printf(b, "(array_agg(%s ORDER BY \"" SL_PG_ORD "\" DESC))[1]", v);
        break;
    }
    b->oom |= c.oom;
    sl_buf_free(&c);
}

static void aggregate_sql(sl_buf *b, const pg_merge *m)
{
    const sl_tabledef *def = m->def;
    sl_buf_puts(b, "INSERT INTO ");
    target(b, m);
    sl_buf_puts(b, " AS " T " (");
    col_list(b, def, NULL);
    sl_buf_puts(b, ") SELECT ");
    for (size_t i = 0; i < def->n_cols; i++) {
        if (i)
            sl_buf_puts(b, ", ");
        if (def->cols[i].key)
            col(b, NULL, &def->cols[i]);
        else
            agg_expr(b, &def->cols[i]);
    }
    sl_buf_printf(b, " FROM %s GROUP BY ", m->stage);
    key_list(b, def);
    sl_buf_puts(b, " ORDER BY "); /* rows locked in key order: concurrent loads cannot deadlock */
    key_list(b, def);
    on_conflict(b, m);
}

static sl_code one_fn(void *arg, const sl_cell *row, size_t n)
{
    *(int64_t *)arg = n > 0 ? row[0].i : 0;
    return SL_OK;
}

static sl_code tomb_exists(sl_econn *c, int64_t table_id, bool *out, sl_err *err)
{
    char rel[32];
    snprintf(rel, sizeof rel, "k%lld", (long long)table_id);
    int64_t n = 0;
    sl_cell p = sl_cell_text(sl_slice_of(rel));
    sl_code rc = sl__pg_exec(c,
                             "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = "
                             "c.relnamespace WHERE n.nspname = 'sluice_stage' AND c.relname = $1",
                             &p, 1, one_fn, &n, NULL, err);
    *out = n > 0;
    return rc;
}

/* A load with deletes on a sequence table: create its tomb once (the advisory lock keeps two
 * first deletes from creating it twice). */
static sl_code tomb_create(sl_econn *c, const pg_merge *m, sl_err *err)
{
    const sl_tabledef *def = m->def;
    sl_buf b = SL_BUF_INIT;
    sl_buf_printf(&b, "SELECT pg_advisory_xact_lock(%d, %d); CREATE TABLE IF NOT EXISTS ",
                  0x736c7569, (int)(int32_t)m->table_id);
    tomb(&b, m);
    sl_buf_puts(&b, " (");
    for (size_t i = 0; i < def->n_cols; i++)
        if (def->cols[i].key) {
            sl__pg_ident(&b, def->cols[i].name);
            sl_buf_putc(&b, ' ');
            sl__pg_type(&b, &def->cols[i].type);
            sl_buf_puts(&b, def->cols[i].nullable ? ", " : " NOT NULL, ");
        }
    sl_buf_puts(&b, "\"" SL_PG_SEQ "\" ");
    sl__pg_type(&b, &def->cols[m->seq_col].type);
    sl_buf_puts(&b, m->nulls_not_distinct ? ", UNIQUE NULLS NOT DISTINCT (" : ", PRIMARY KEY (");
    key_list(&b, def);
    sl_buf_puts(&b, "))");
    sl_code rc = b.oom ? sl_fail(err, SL_NOMEM, "out of memory") : sl__pg_run(c, b.p, err);
    sl_buf_free(&b);
    return rc;
}

sl_code sl__pg_tomb_drop(sl_econn *c, const sl_etable *t, bool truncate, sl_err *err)
{
    if (t->def && t->def->key_model != SL_KEYS_UNIQUE)
        return SL_OK;
    bool there = false;
    sl_code rc = tomb_exists(c, t->id, &there, err);
    if (rc != SL_OK || !there)
        return rc;
    char sql[96];
    snprintf(sql, sizeof sql, "%s \"sluice_stage\".\"k%lld\"",
             truncate ? "DELETE FROM" : "DROP TABLE IF EXISTS", (long long)t->id);
    return sl__pg_run(c, sql, err);
}

/* Sequence tables keep the sequence of deleted keys (the tomb), so that a later row with a
 * smaller sequence stays deleted, as a delete-sign row does in Doris's merge-on-read. */
static sl_code prepare_tomb(sl_econn *c, pg_merge *m, sl_err *err)
{
    m->tomb = false;
    if (m->def->key_model != SL_KEYS_UNIQUE)
        return SL_OK;
    bool there = false;
    sl_code rc = (m->seq_col >= 0 || m->replace) ? tomb_exists(c, m->table_id, &there, err)
                                                 : SL_OK;
    if (rc == SL_OK && there && m->replace) {
        sl_etable t = {m->db, m->table, m->table_id, m->def};
        rc = sl__pg_tomb_drop(c, &t, true, err);
    }
    if (rc != SL_OK || m->seq_col < 0)
        return rc;
    if (!there && m->any_del)
        rc = tomb_create(c, m, err);
    m->tomb = there || m->any_del;
    return rc;
}

/* ---- BITMAP_UNION / HLL_UNION: the union computed by sluice ----------------------------------
 * PostgreSQL cannot union Roaring bitmaps or HLL sketches, so for a table with such columns the
 * merge (under a per-table advisory lock, so merges into it take turns) first reads, per key
 * of the stage, every staged value and the stored one, unions them here and keeps the results
 * in a temporary table; the usual aggregate statement then runs (those columns take a staged
 * value) and an UPDATE sets them to the unions. */

static bool is_union(const sl_coldef *cd)
{
    return cd->agg == SL_AGG_BITMAP_UNION || cd->agg == SL_AGG_HLL_UNION;
}

typedef struct umerge {
    const pg_merge *m;
    sl_econn *c;
    sl_buf ins;              /* INSERT INTO pg_temp.__sl_u VALUES ..., flushed every 256 rows */
    size_t rows;
    sl_err *err;
} umerge;

/* The union of a stage array (bytea[] text) and a stored value (bytea text or NULL cell), as
 * bytea literal text appended to b. */
static sl_code union_value(umerge *u, const sl_coldef *cd, const sl_cell *arr, const sl_cell *old,
                           sl_arena_t *a)
{
    bool bm = cd->agg == SL_AGG_BITMAP_UNION, ok = true;
    sl_bitmap *b = bm ? sl_bitmap_new() : NULL;
    sl_hll h = {0};
    sl_buf el = SL_BUF_INIT;
    sl_datum d;
    sl_slice r;
    const char *p = arr->s.p + 1, *e = arr->s.p + arr->s.n - 1;
    if (bm && b == NULL)
        return sl_fail(u->err, SL_NOMEM, "out of memory");
    if (arr->kind != SL_CELL_TEXT || arr->s.n < 2)
        p = e = NULL;
    while (ok && p && p < e) {
        bool null;
        ok = sl__pg_array_elem(&p, e, &el, &null) &&
             (null || (sl__pg_unhex((sl_slice){el.p ? el.p : "", el.len}, a, &d) &&
                       (bm ? sl_bitmap_or_bytes(b, (sl_slice){d.s.p, d.s.n})
                           : sl_hll_or_bytes(&h, (sl_slice){d.s.p, d.s.n}))));
    }
    if (ok && old->kind == SL_CELL_TEXT)
        ok = sl__pg_unhex(old->s, a, &d) && (bm ? sl_bitmap_or_bytes(b, (sl_slice){d.s.p, d.s.n})
                                                : sl_hll_or_bytes(&h, (sl_slice){d.s.p, d.s.n}));
    if (ok)
        ok = bm ? sl_bitmap_write(b, a, &r) : sl_hll_write(&h, a, &r);
    sl_buf_free(&el);
    sl_bitmap_free(b);
    sl_hll_free(&h);
    if (!ok)
        return sl_fail(u->err, SL_INTERNAL, "column %.*s: a stored %s cannot be read",
                       (int)cd->name.n, cd->name.p, bm ? "BITMAP" : "HLL");
    sl_buf_puts(&u->ins, "'\\x");
    for (size_t i = 0; i < r.n; i++)
        sl_buf_printf(&u->ins, "%02x", (unsigned char)r.p[i]);
    sl_buf_puts(&u->ins, "'::bytea");
    return SL_OK;
}

static sl_code union_flush(umerge *u)
{
    sl_code rc = SL_OK;
    if (u->rows)
        rc = u->ins.oom ? sl_fail(u->err, SL_NOMEM, "out of memory")
                        : sl__pg_run(u->c, u->ins.p, u->err);
    sl_buf_clear(&u->ins);
    u->rows = 0;
    return rc;
}

/* One key: its key cells, then per union column the staged array and the stored value. */
static sl_code union_row(void *arg, const sl_cell *row, size_t n)
{
    umerge *u = arg;
    const sl_tabledef *def = u->m->def;
    size_t k = 0, nk = 0;
    sl_code rc = SL_OK;
    sl_arena_t a;
    sl_arena_init(&a, 4096);
    sl_buf_puts(&u->ins, u->rows ? ", (" : "INSERT INTO pg_temp.__sl_u VALUES (");
    for (size_t i = 0; i < def->n_cols && k < n; i++)
        if (def->cols[i].key) {
            sl_buf_puts(&u->ins, nk++ ? ", " : "");
            if (row[k].kind == SL_CELL_NULL) {
                sl_buf_puts(&u->ins, "NULL");
            } else {
                char num[40];
                sl_slice v = row[k].s;
                if (row[k].kind == SL_CELL_INT)
                    snprintf(num, sizeof num, "%lld", (long long)row[k].i), v = sl_slice_of(num);
                else if (row[k].kind != SL_CELL_TEXT)
                    snprintf(num, sizeof num, "%.17g", row[k].d), v = sl_slice_of(num);
                sl_buf_puts(&u->ins, "CAST('");
                for (size_t j = 0; j < v.n; j++)
                    sl_buf_append(&u->ins, v.p[j] == '\'' ? "''" : &v.p[j], v.p[j] == '\'' ? 2 : 1);
                sl_buf_puts(&u->ins, "' AS "), sl__pg_type(&u->ins, &def->cols[i].type);
                sl_buf_puts(&u->ins, ")");
            }
            k++;
        }
    for (size_t i = 0; rc == SL_OK && i < def->n_cols; i++)
        if (is_union(&def->cols[i]) && k + 1 < n) {
            sl_buf_puts(&u->ins, ", ");
            rc = union_value(u, &def->cols[i], &row[k], &row[k + 1], &a);
            k += 2;
        }
    sl_buf_puts(&u->ins, ")");
    sl_arena_free(&a);
    if (rc == SL_OK && ++u->rows == 256)
        rc = union_flush(u);
    return rc == SL_OK ? SL_OK : u->err->code;
}

/* The temporary table of unions and the statement that fills it. */
static void union_sql(sl_buf *b, const pg_merge *m)
{
    const sl_tabledef *def = m->def;
    sl_buf_printf(b, "SELECT pg_advisory_xact_lock(%d, %d); DROP TABLE IF EXISTS pg_temp.__sl_u; "
                     "CREATE TEMP TABLE __sl_u (", 0x736c7575, (int)(int32_t)m->table_id);
    for (size_t i = 0; i < def->n_cols; i++)
        if (def->cols[i].key) {
            sl__pg_ident(b, def->cols[i].name);
            sl_buf_putc(b, ' ');
            sl__pg_type(b, &def->cols[i].type);
            sl_buf_puts(b, ", ");
        }
    for (size_t i = 0, k = 0; i < def->n_cols; i++)
        if (is_union(&def->cols[i])) {
            sl_buf_puts(b, k++ ? ", " : "");
            sl__pg_ident(b, def->cols[i].name);
            sl_buf_puts(b, " bytea");
        }
    sl_buf_puts(b, ") ON COMMIT DROP");
}

static void union_select(sl_buf *b, const pg_merge *m)
{
    const sl_tabledef *def = m->def;
    sl_buf_puts(b, "SELECT ");
    for (size_t i = 0, k = 0; i < def->n_cols; i++)
        if (def->cols[i].key)
            sl_buf_puts(b, k++ ? ", " : ""), col(b, D, &def->cols[i]);
    for (size_t i = 0; i < def->n_cols; i++)
        if (is_union(&def->cols[i])) {
            sl_buf_puts(b, ", "), col(b, D, &def->cols[i]);
            sl_buf_puts(b, ", "), col(b, T, &def->cols[i]);
        }
    sl_buf_puts(b, " FROM (SELECT ");
    key_list(b, def);
    for (size_t i = 0; i < def->n_cols; i++)
        if (is_union(&def->cols[i])) {
            sl_buf_puts(b, ", array_agg("), col(b, NULL, &def->cols[i]), sl_buf_puts(b, ") AS ");
            col(b, NULL, &def->cols[i]);
        }
    sl_buf_printf(b, " FROM %s GROUP BY ", m->stage);
    key_list(b, def);
    sl_buf_puts(b, ") AS " D " LEFT JOIN ");
    target(b, m);
    sl_buf_puts(b, " AS " T " ON ");
    key_match(b, def, T, D);
}

/* Before the aggregate statement: the unions into pg_temp.__sl_u. */
static sl_code union_prepare(sl_econn *c, const pg_merge *m, sl_err *err)
{
    sl_buf b = SL_BUF_INIT;
    umerge u = {m, c, SL_BUF_INIT, 0, err};
    union_sql(&b, m);
    sl_code rc = b.oom ? sl_fail(err, SL_NOMEM, "out of memory") : sl__pg_run(c, b.p, err);
    sl_buf_clear(&b);
    union_select(&b, m);
    if (rc == SL_OK)
        rc = b.oom ? sl_fail(err, SL_NOMEM, "out of memory")
                   : sl__pg_exec(c, b.p, NULL, 0, union_row, &u, NULL, err);
    if (rc == SL_OK)
        rc = union_flush(&u);
    sl_buf_free(&b);
    sl_buf_free(&u.ins);
    return rc;
}

/* After it: the union columns set from pg_temp.__sl_u. */
static sl_code union_apply(sl_econn *c, const pg_merge *m, sl_err *err)
{
    const sl_tabledef *def = m->def;
    sl_buf b = SL_BUF_INIT;
    sl_buf_puts(&b, "UPDATE ");
    target(&b, m);
    sl_buf_puts(&b, " AS " T " SET ");
    for (size_t i = 0, k = 0; i < def->n_cols; i++)
        if (is_union(&def->cols[i])) {
            sl_buf_puts(&b, k++ ? ", " : "");
            col(&b, NULL, &def->cols[i]);
            sl_buf_puts(&b, " = "), col(&b, "__sl_u", &def->cols[i]);
        }
    sl_buf_puts(&b, " FROM pg_temp.__sl_u WHERE ");
    key_match(&b, def, T, "__sl_u");
    sl_code rc = b.oom ? sl_fail(err, SL_NOMEM, "out of memory") : sl__pg_run(c, b.p, err);
    sl_buf_free(&b);
    return rc;
}

static bool has_union(const sl_tabledef *def)
{
    for (size_t i = 0; def->key_model == SL_KEYS_AGGREGATE && i < def->n_cols; i++)
        if (is_union(&def->cols[i]))
            return true;
    return false;
}

sl_code sl__pg_merge(sl_econn *c, const pg_merge *in, sl_err *err)
{
    pg_merge mm = *in, *m = &mm;
    sl_buf b = SL_BUF_INIT;
    sl_code rc = SL_OK;
    if (m->replace) { /* DELETE, not TRUNCATE: see ddl.c */
        sl_buf_puts(&b, "DELETE FROM ");
        target(&b, m);
        rc = b.oom ? sl_fail(err, SL_NOMEM, "out of memory") : sl__pg_run(c, b.p, err);
        sl_buf_clear(&b);
    }
    if (rc == SL_OK)
        rc = prepare_tomb(c, m, err);
    if (rc != SL_OK) {
        sl_buf_free(&b);
        return rc;
    }
    bool unions = has_union(m->def);
    if (unions && (rc = union_prepare(c, m, err)) != SL_OK) {
        sl_buf_free(&b);
        return rc;
    }
    switch (m->def->key_model) {
    case SL_KEYS_UNIQUE: unique_sql(&b, m); break;
    case SL_KEYS_AGGREGATE: aggregate_sql(&b, m); break;
    default:
        sl_buf_puts(&b, "INSERT INTO ");
        target(&b, m);
        sl_buf_puts(&b, " (");
        col_list(&b, m->def, NULL);
        sl_buf_puts(&b, ") SELECT ");
        col_list(&b, m->def, NULL);
        sl_buf_printf(&b, " FROM %s", m->stage);
        break;
    }
    rc = b.oom ? sl_fail(err, SL_NOMEM, "out of memory") : sl__pg_run(c, b.p, err);
    sl_buf_free(&b);
    if (rc == SL_OK && unions)
        rc = union_apply(c, m, err);
    return rc;
}

void sl__pg_merge_note(sl_buf *b, const pg_merge *m)
{
    sl_buf_printf(b, "sluice stage v1 seq=%ld replace=%d del=%d mask=%llu", m->seq_col,
                  m->replace, m->any_del, (unsigned long long)m->mask);
}

bool sl__pg_merge_parse(const char *note, pg_merge *m)
{
    long seq;
    int replace, del;
    unsigned long long mask;
    if (note == NULL || sscanf(note, "sluice stage v1 seq=%ld replace=%d del=%d mask=%llu", &seq,
                               &replace, &del, &mask) != 4)
        return false;
    m->seq_col = seq;
    m->replace = replace != 0;
    m->any_del = del != 0;
    m->mask = (uint64_t)mask;
    return true;
}
