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
 *               sequence: both only WHERE t.seq IS NULL OR new.seq >= t.seq
 *   AGGREGATE   GROUP BY key in the stage (SUM, MAX, MIN; REPLACE the last;
 *               REPLACE_IF_NOT_NULL the last non-NULL), then ON CONFLICT with the same
 *               functions applied to the stored and the new value
 *   replace     TRUNCATE t first, in the same transaction
 *
 * Key columns compare with `=` when NOT NULL (the key index serves the join) and as
 * `(a = b OR (a IS NULL AND b IS NULL))` when nullable (NULL keys are one key, as in Doris).
 */
#include "../../core/platform.h"

#include <stdio.h>
#include <string.h>

#include "internal.h"

#define T "__sl_t"                      /* alias of the target table */
#define D "__sl_d"                      /* alias of the deduplicated stage rows */

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

/* UNIQUE: the winning row per key, its delete applied, its upsert. */
static void unique_sql(sl_buf *b, const pg_merge *m)
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
    if (m->any_del) {
        sl_buf_puts(b, ", " D "x AS (DELETE FROM ");
        target(b, m);
        sl_buf_puts(b, " AS " T " USING " D " WHERE " D ".\"" SL_PG_DEL "\" AND ");
        key_match(b, def, T, D);
        if (m->seq_col >= 0) {
            sl_buf_puts(b, " AND ");
            seq_wins(b, m, D);
        }
        sl_buf_putc(b, ')');
    }
    sl_buf_puts(b, " INSERT INTO ");
    target(b, m);
    sl_buf_puts(b, " AS " T " (");
    col_list(b, def, NULL);
    sl_buf_puts(b, ") SELECT ");
    col_list(b, def, D);
    sl_buf_puts(b, " FROM " D);
    if (m->any_del)
        sl_buf_puts(b, " WHERE NOT " D ".\"" SL_PG_DEL "\"");
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
    on_conflict(b, m);
}

sl_code sl__pg_merge(sl_econn *c, const pg_merge *m, sl_err *err)
{
    sl_buf b = SL_BUF_INIT;
    sl_code rc = SL_OK;
    if (m->replace) {
        sl_buf_puts(&b, "TRUNCATE TABLE ");
        target(&b, m);
        rc = b.oom ? sl_fail(err, SL_NOMEM, "out of memory") : sl__pg_run(c, b.p, err);
        sl_buf_clear(&b);
    }
    if (rc != SL_OK) {
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
