/*
 * ddl.c - Doris databases and tables as PostgreSQL schemas and tables (store stage), run by
 * the ledger inside its catalog transaction, so that a table exists in the catalog exactly when
 * its PostgreSQL table does.
 *
 *   TINYINT, SMALLINT  smallint          FLOAT             real
 *   INT                integer           DOUBLE            double precision
 *   BIGINT             bigint            DECIMAL(p,s)      numeric(p,s)
 *   LARGEINT           numeric(39,0)     DATE              date
 *   BOOLEAN            boolean           DATETIME(p)       timestamp(p) (no time zone)
 *   CHAR(n), VARCHAR(n) varchar(n)       STRING            text
 *   JSON               json (the text as loaded, checked by the server)
 *
 * JSON is json, not jsonb: jsonb rewrites the text (key order, spaces, duplicate keys) and
 * sluice returns what was loaded, as Doris does with compact input and the SQLite store always.
 * varchar(n) counts characters where Doris counts bytes; sluice checks the byte length before a
 * value reaches the store, and n bytes are never more than n characters. Identifiers are always
 * double-quoted, so Doris's case and any character survive. UNIQUE and AGGREGATE tables get a
 * key index (PRIMARY KEY, or UNIQUE NULLS NOT DISTINCT when a key column is nullable) that the
 * merge's ON CONFLICT needs. With the citus extension, DISTRIBUTED BY HASH(c) BUCKETS n makes a
 * distributed table [Citus create_distributed_table].
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../core/platform.h"

#include <stdio.h>
#include <string.h>

#include "internal.h"

/* PostgreSQL keeps the first 63 bytes of a name (NAMEDATALEN - 1) and drops the rest with a
 * NOTICE, so two long Doris names could become one table: refuse them instead. */
#define NAME_MAX_BYTES 63

void sl__pg_ident(sl_buf *b, sl_slice name)
{
    sl_buf_putc(b, '"');
    const char *p = name.p, *end = name.p + name.n;
    while (p < end) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        if (q == NULL) {
            sl_buf_append(b, p, (size_t)(end - p));
            break;
        }
        sl_buf_append(b, p, (size_t)(q - p) + 1);
        sl_buf_putc(b, '"');
        p = q + 1;
    }
    sl_buf_putc(b, '"');
}

void sl__pg_qname(sl_buf *b, sl_slice db, sl_slice table)
{
    sl_buf_reserve(b, db.n + table.n + 8);
    sl__pg_ident(b, db);
    sl_buf_putc(b, '.');
    sl__pg_ident(b, table);
}

void sl__pg_type(sl_buf *b, const sl_type *t)
{
    switch (t->id) {
    case SL_TINYINT:
    case SL_SMALLINT: sl_buf_puts(b, "smallint"); break;
    case SL_INT: sl_buf_puts(b, "integer"); break;
    case SL_BIGINT: sl_buf_puts(b, "bigint"); break;
    case SL_LARGEINT: sl_buf_puts(b, "numeric(39,0)"); break;
    case SL_FLOAT: sl_buf_puts(b, "real"); break;
    case SL_DOUBLE: sl_buf_puts(b, "double precision"); break;
    case SL_DECIMAL:
        sl_buf_printf(b, "numeric(%u,%u)", t->precision ? t->precision : 38u, t->scale);
        break;
    case SL_DATE: sl_buf_puts(b, "date"); break;
    case SL_DATETIME: sl_buf_printf(b, "timestamp(%u)", t->precision <= 6 ? t->precision : 6u); break;
    case SL_BOOLEAN: sl_buf_puts(b, "boolean"); break;
    case SL_CHAR:
    case SL_VARCHAR:
        if (t->len > 0 && t->len <= 10485760) /* PostgreSQL's varchar limit */
            sl_buf_printf(b, "varchar(%u)", t->len);
        else
            sl_buf_puts(b, "text");
        break;
    case SL_JSON: sl_buf_puts(b, "json"); break;
    case SL_ARRAY: case SL_MAP: case SL_STRUCT: case SL_VARIANT: /* copy.c: jsonb forms */
        sl_buf_puts(b, "jsonb");
        break;
    case SL_BITMAP: case SL_HLL: sl_buf_puts(b, "bytea"); break; /* their serialized bytes */
    default: sl_buf_puts(b, "text"); break;
    }
}

sl_code sl__pg_check_name(sl_slice name, const char *what, sl_err *err)
{
    if (name.n == 0 || name.n > NAME_MAX_BYTES || memchr(name.p, '\0', name.n))
        return sl_fail(err, SL_INVALID, "%s name '%.*s' is not usable in PostgreSQL (1 to %d "
                       "bytes, no NUL)", what, (int)(name.n > 100 ? 100 : name.n),
                       name.p ? name.p : "", NAME_MAX_BYTES);
    return SL_OK;
}

void sl__pg_columns(sl_buf *b, const sl_tabledef *def, bool with_null)
{
    for (size_t i = 0; i < def->n_cols; i++) {
        const sl_coldef *cd = &def->cols[i];
        if (i)
            sl_buf_puts(b, ", ");
        sl__pg_ident(b, cd->name);
        sl_buf_putc(b, ' ');
        sl__pg_type(b, &cd->type);
        if (!cd->nullable && !with_null)
            sl_buf_puts(b, " NOT NULL");
    }
}

/* Schemas the engine owns, and PostgreSQL's own: no Doris database may take their names. */
static bool reserved(sl_slice db)
{
    return sl_slice_eq(db, "sluice") || sl_slice_eq(db, "sluice_stage") ||
           sl_slice_eq(db, "public") || sl_slice_eq(db, "information_schema") ||
           (db.n >= 3 && memcmp(db.p, "pg_", 3) == 0);
}

/* Run b's statement on c; SL_NOMEM when b could not grow. */
static sl_code run_buf(sl_econn *c, sl_buf *b, sl_err *err)
{
    sl_code rc = b->oom ? sl_fail(err, SL_NOMEM, "out of memory") : sl__pg_run(c, b->p, err);
    sl_buf_free(b);
    return rc;
}

sl_code sl__pg_create_db(sl_econn *c, sl_slice db, sl_err *err)
{
    sl_code rc = sl__pg_check_name(db, "database", err);
    if (rc != SL_OK)
        return rc;
    if (reserved(db))
        return sl_fail(err, SL_INVALID, "database name '%.*s' is reserved by the PostgreSQL "
                       "store", (int)db.n, db.p);
    sl_buf b = SL_BUF_INIT;
    sl_buf_puts(&b, "CREATE SCHEMA IF NOT EXISTS ");
    sl__pg_ident(&b, db);
    return run_buf(c, &b, err);
}

sl_code sl__pg_drop_db(sl_econn *c, sl_slice db, sl_err *err)
{
    if (reserved(db))
        return SL_OK; /* never created by us */
    sl_buf b = SL_BUF_INIT;
    sl_buf_puts(&b, "DROP SCHEMA IF EXISTS ");
    sl__pg_ident(&b, db);
    sl_buf_puts(&b, " CASCADE");
    return run_buf(c, &b, err);
}

/* ", PRIMARY KEY (k...)" or ", UNIQUE NULLS NOT DISTINCT (k...)" of a keyed table. */
static void key_clause(sl_buf *b, const sl_engine *e, const sl_tabledef *def)
{
    if (def->key_model == SL_KEYS_DUPLICATE)
        return;
    size_t k = 0;
    for (size_t i = 0; i < def->n_cols; i++) {
        if (!def->cols[i].key)
            continue;
        if (k++ == 0)
            sl_buf_puts(b, sl__pg_nulls_nd(e, def) ? ", UNIQUE NULLS NOT DISTINCT ("
                                                   : ", PRIMARY KEY (");
        else
            sl_buf_puts(b, ", ");
        sl__pg_ident(b, def->cols[i].name);
    }
    if (k)
        sl_buf_putc(b, ')');
}

/* Citus: make the new table distributed by its first hash column with n shards. */
static sl_code distribute(sl_econn *c, const sl_etable *t, sl_err *err)
{
    const sl_tabledef *def = t->def;
    if (!c->e->citus || def->n_dist_cols == 0)
        return SL_OK; /* RANDOM distribution: an ordinary (coordinator-local) table */
    sl_buf q = SL_BUF_INIT;
    sl__pg_qname(&q, t->db, t->name);
    sl_cell p[3] = {sl_cell_text((sl_slice){q.p, q.len}),
                    sl_cell_text(def->cols[def->dist_cols[0]].name),
                    sl_cell_int(def->buckets)};
    sl_code rc = q.oom ? sl_fail(err, SL_NOMEM, "out of memory")
                       : sl__pg_exec(c,
                                     def->buckets ? "SELECT create_distributed_table($1, $2, "
                                                    "shard_count => $3::int)"
                                                  : "SELECT create_distributed_table($1, $2)",
                                     p, def->buckets ? 3 : 2, NULL, NULL, NULL, err);
    sl_buf_free(&q);
    return rc;
}

sl_code sl__pg_create_table(sl_econn *c, const sl_etable *t, sl_err *err)
{
    const sl_tabledef *def = t->def;
    sl_code rc = sl__pg_check_name(t->name, "table", err);
    for (size_t i = 0; rc == SL_OK && i < def->n_cols; i++)
        rc = sl__pg_check_name(def->cols[i].name, "column", err);
    if (rc != SL_OK)
        return rc;
    sl_buf b = SL_BUF_INIT;
    sl_buf_puts(&b, "CREATE TABLE ");
    sl__pg_qname(&b, t->db, t->name);
    sl_buf_puts(&b, " (");
    sl__pg_columns(&b, def, false);
    key_clause(&b, c->e, def);
    sl_buf_putc(&b, ')');
    if ((rc = run_buf(c, &b, err)) != SL_OK)
        return rc;
    return distribute(c, t, err);
}

sl_code sl__pg_drop_table(sl_econn *c, const sl_etable *t, bool truncate, sl_err *err)
{
    sl_code rc = sl__pg_tomb_drop(c, t, truncate, err);
    if (rc != SL_OK)
        return rc;
    sl_buf b = SL_BUF_INIT;
    /* DELETE rather than TRUNCATE: TRUNCATE's exclusive lock would wait for every running load
     * into the table (and block new ones); DELETE removes the rows visible now and lets loads
     * running meanwhile commit theirs, as the embedded store does. */
    sl_buf_puts(&b, truncate ? "DELETE FROM " : "DROP TABLE IF EXISTS ");
    sl__pg_qname(&b, t->db, t->name);
    return run_buf(c, &b, err);
}

/* ---- ALTER TABLE ------------------------------------------------------------------------- */

/* A bound text as a PostgreSQL constant of the column's type. */
static void pg_const(sl_buf *b, const sl_type *t, sl_slice v)
{
    if (v.p == NULL) {
        sl_buf_puts(b, "NULL");
        return;
    }
    sl_buf_puts(b, "CAST('");
    for (size_t i = 0; i < v.n; i++) {
        if (v.p[i] == '\'')
            sl_buf_putc(b, '\'');
        sl_buf_putc(b, v.p[i]);
    }
    sl_buf_puts(b, "' AS ");
    sl__pg_type(b, t);
    sl_buf_putc(b, ')');
}

static void key_row(sl_buf *b, const sl_tabledef *d, size_t n)
{
    sl_buf_puts(b, "ROW(");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sl_buf_puts(b, ", ");
        sl__pg_ident(b, d->cols[d->part_cols[i]].name);
    }
    sl_buf_putc(b, ')');
}

static void bound_row(sl_buf *b, const sl_tabledef *d, const sl_slice *v, size_t n)
{
    sl_buf_puts(b, "ROW(");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sl_buf_puts(b, ", ");
        pg_const(b, &d->cols[d->part_cols[i]].type, v[i]);
    }
    sl_buf_putc(b, ')');
}

/* key >= lo / key < hi; a MAXVALUE at position k compares the first k values. */
static void range_side(sl_buf *b, const sl_tabledef *d, const sl_slice *v, bool lower)
{
    size_t k = 0;
    while (k < d->n_part_cols && v[k].p)
        k++;
    if (k == 0) {
        sl_buf_puts(b, lower ? "FALSE" : "TRUE");
        return;
    }
    key_row(b, d, k);
    sl_buf_puts(b, k < d->n_part_cols ? (lower ? " > " : " <= ") : (lower ? " >= " : " < "));
    bound_row(b, d, v, k);
}

/* The rows some partition of d holds (as the SQLite engine's alter.c writes it). */
static void covered(sl_buf *b, const sl_tabledef *d)
{
    size_t nc = d->n_part_cols;
    sl_buf_puts(b, "(FALSE");
    for (size_t i = 0; i < d->n_parts; i++) {
        const sl_partdef *p = &d->parts[i];
        if (d->part_kind == SL_PART_LIST) {
            for (size_t v = 0; v < p->n_values; v++) {
                sl_buf_puts(b, " OR (TRUE");
                for (size_t c = 0; c < nc; c++) {
                    sl_buf_puts(b, " AND ");
                    sl__pg_ident(b, d->cols[d->part_cols[c]].name);
                    sl_buf_puts(b, " IS NOT DISTINCT FROM ");
                    pg_const(b, &d->cols[d->part_cols[c]].type, p->values[v * nc + c]);
                }
                sl_buf_putc(b, ')');
            }
            continue;
        }
        const sl_slice *lo = p->lower ? p->lower : i ? d->parts[i - 1].upper : NULL;
        sl_buf_puts(b, " OR (");
        if (lo)
            range_side(b, d, lo, true), sl_buf_puts(b, " AND ");
        range_side(b, d, p->upper, false);
        sl_buf_putc(b, ')');
        if (lo == NULL) {
            sl_buf_puts(b, " OR ");
            sl__pg_ident(b, d->cols[d->part_cols[0]].name);
            sl_buf_puts(b, " IS NULL");
        }
    }
    sl_buf_putc(b, ')');
}

/* Column changes, one ALTER TABLE statement: drops, renames, type changes, adds. */
static void alter_columns(sl_buf *b, const sl_etable *old, const sl_etable *nw, const long *src)
{
    const sl_tabledef *o = old->def, *d = nw->def;
    bool any = false;
    sl_buf_puts(b, "ALTER TABLE ");
    sl__pg_qname(b, nw->db, nw->name);
    for (size_t i = 0; i < o->n_cols; i++) {
        bool kept = false;
        for (size_t j = 0; j < d->n_cols && !kept; j++)
            kept = src[j] == (long)i;
        if (!kept) {
            sl_buf_puts(b, any ? ", DROP COLUMN " : " DROP COLUMN ");
            sl__pg_ident(b, o->cols[i].name);
            any = true;
        }
    }
    for (size_t j = 0; j < d->n_cols; j++) {
        const sl_coldef *cd = &d->cols[j];
        if (src[j] < 0) {
            sl_buf_puts(b, any ? ", ADD COLUMN " : " ADD COLUMN ");
            sl__pg_ident(b, cd->name);
            sl_buf_putc(b, ' ');
            sl__pg_type(b, &cd->type);
            if (cd->default_kind == SL_DEFAULT_VALUE) /* existing rows take the default */
                sl_buf_puts(b, " DEFAULT "), pg_const(b, &cd->type, cd->default_value);
            any = true;
            continue;
        }
        const sl_coldef *oc = &o->cols[src[j]];
        if (memcmp(&oc->type, &cd->type, sizeof cd->type) != 0) {
            sl_buf_puts(b, any ? ", ALTER COLUMN " : " ALTER COLUMN ");
            sl__pg_ident(b, cd->name); /* renamed already */
            sl_buf_puts(b, " TYPE ");
            sl__pg_type(b, &cd->type);
            any = true;
        }
    }
    if (!any)
        b->len = 0;
}

static sl_code rename_columns(sl_econn *c, const sl_etable *old, const sl_etable *nw,
                              const long *src, sl_err *err)
{
    sl_code rc = SL_OK;
    for (size_t j = 0; rc == SL_OK && j < nw->def->n_cols; j++) {
        if (src[j] < 0)
            continue;
        sl_slice was = old->def->cols[src[j]].name, now = nw->def->cols[j].name;
        if (was.n == now.n && memcmp(was.p, now.p, was.n) == 0)
            continue;
        if ((rc = sl__pg_check_name(now, "column", err)) != SL_OK)
            return rc;
        for (int k = 0; rc == SL_OK && k < 2; k++) { /* the table, and a UNIQUE key's tomb */
            sl_buf b = SL_BUF_INIT;
            if (k == 1 && !old->def->cols[src[j]].key)
                break;
            if (k == 0) {
                sl_buf_puts(&b, "ALTER TABLE ");
                sl__pg_qname(&b, nw->db, nw->name);
            } else {
                sl_buf_printf(&b, "ALTER TABLE IF EXISTS \"sluice_stage\".\"k%lld\"",
                              (long long)nw->id);
            }
            sl_buf_puts(&b, " RENAME COLUMN ");
            sl__pg_ident(&b, was);
            sl_buf_puts(&b, " TO ");
            sl__pg_ident(&b, now);
            rc = run_buf(c, &b, err);
        }
    }
    return rc;
}

sl_code sl__pg_alter_table(sl_econn *c, const sl_etable *old, const sl_etable *nw,
                           const long *src, bool prune, sl_err *err)
{
    sl_code rc = SL_OK;
    sl_buf b = SL_BUF_INIT;
    if (old->name.n != nw->name.n || memcmp(old->name.p, nw->name.p, nw->name.n) != 0) {
        if ((rc = sl__pg_check_name(nw->name, "table", err)) != SL_OK)
            return rc;
        sl_buf_puts(&b, "ALTER TABLE ");
        sl__pg_qname(&b, old->db, old->name);
        sl_buf_puts(&b, " RENAME TO ");
        sl__pg_ident(&b, nw->name);
        if ((rc = run_buf(c, &b, err)) != SL_OK)
            return rc;
    }
    for (size_t j = 0; j < nw->def->n_cols; j++)
        if (src[j] < 0 && (rc = sl__pg_check_name(nw->def->cols[j].name, "column", err)) != SL_OK)
            return rc;
    if ((rc = rename_columns(c, old, nw, src, err)) != SL_OK)
        return rc;
    b = (sl_buf)SL_BUF_INIT;
    alter_columns(&b, old, nw, src);
    if (b.len && (rc = run_buf(c, &b, err)) != SL_OK)
        return rc;
    sl_buf_free(&b);
    if (!prune || nw->def->part_kind == SL_PART_NONE)
        return SL_OK;
    b = (sl_buf)SL_BUF_INIT;
    sl_buf_puts(&b, "DELETE FROM ");
    sl__pg_qname(&b, nw->db, nw->name);
    sl_buf_puts(&b, " WHERE NOT ");
    covered(&b, nw->def);
    return run_buf(c, &b, err);
}
