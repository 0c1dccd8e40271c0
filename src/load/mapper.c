/*
 * mapper.c - raw records to typed rows: column mapping, conversion, strict mode, NOT NULL,
 * string lengths, partition routing (load stage, between the decoder and the store).
 *
 * Per record, in Doris's order (specs/doris-stream-load.md §3):
 *   count it -> decoder error? -> field count -> per target column: source field or default,
 *   cast (strict mode filters a non-NULL input that cast to NULL), NOT NULL, byte length ->
 *   partition -> row lands in the batch, or is filtered with a reason in the error log.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../core/mem.h"
#include "../batch/datefmt.h"
#include "../core/tz.h"
#include "internal.h"

/* ---- set-up ------------------------------------------------------------------------- */

/* Split a comma list at top level (outside quotes, backquotes and parentheses). */
static size_t split_list(sl_slice s, sl_slice *out, size_t cap)
{
    size_t n = 0, start = 0;
    int depth = 0;
    char q = 0;
    for (size_t i = 0; i <= s.n; i++) {
        char c = i < s.n ? s.p[i] : ',';
        if (q) {
            if (c == '\\' && i + 1 < s.n)
                i++;
            else if (c == q)
                q = 0;
            continue;
        }
        if (c == '\'' || c == '"' || c == '`')
            q = c;
        else if (c == '(')
            depth++;
        else if (c == ')')
            depth--;
        else if (c == ',' && depth == 0) {
            if (n < cap)
                out[n] = sl_slice_trim((sl_slice){s.p + start, i - start});
            n++;
            start = i + 1;
        }
    }
    return n;
}

static sl_slice unquote_ident(sl_slice s)
{
    s = sl_slice_trim(s);
    if (s.n >= 2 && s.p[0] == '`' && s.p[s.n - 1] == '`')
        s.p++, s.n -= 2;
    return s;
}

/* merge_type, delete and the sequence column against the table's key model, with Doris's
 * messages (StreamLoadPlanner). */
static sl_code check_key_model(sl_mapper *m, sl_err *err)
{
    const sl_tabledef *def = m->def;
    const sl_load_spec *sp = m->spec;
    m->seq_col = -1;
    if (sp->merge_type != SL_MERGE_APPEND && def->key_model != SL_KEYS_UNIQUE)
        return sl_fail(err, SL_INVALID, "load by MERGE or DELETE is only supported in unique "
                                        "tables.");
    sl_slice seq = sp->sequence_col.p ? sp->sequence_col
                                      : sl_tabledef_prop(def, "function_column.sequence_col");
    bool has_type = sl_tabledef_prop(def, "function_column.sequence_type").p != NULL;
    if (def->key_model != SL_KEYS_UNIQUE) {
        if (sp->sequence_col.p)
            return sl_fail(err, SL_INVALID, "There is no sequence column in the table %.*s",
                           (int)def->name.n, def->name.p);
        return SL_OK;
    }
    if (seq.p == NULL) {
        if (has_type)
            return sl_fail(err, SL_INVALID,
                           "Table %.*s has sequence column, need to specify the sequence column",
                           (int)def->name.n, def->name.p);
        return SL_OK;
    }
    if (!has_type && sl_tabledef_prop(def, "function_column.sequence_col").p == NULL)
        return sl_fail(err, SL_INVALID, "There is no sequence column in the table %.*s",
                       (int)def->name.n, def->name.p);
    m->seq_col = sl_tabledef_find(def, unquote_ident(seq));
    if (m->seq_col < 0 && sp->sequence_col.p)
        m->seq_col = -2; /* maybe a load column: resolved once `columns` is bound (seq_by_load) */
    else if (m->seq_col < 0)
        return sl_fail(err, SL_INVALID, "Unknown column '%.*s' in sequence column", (int)seq.n,
                       seq.p);
    return SL_OK;
}

/* function_column.sequence_col naming a column of the load's `columns` rather than of the
 * table: Doris resolves it after the mapping, so the sequence is the table column that column
 * fills (`ts = src_ts` with sequence_col src_ts: ts). sluice keeps a UNIQUE table's sequence in
 * a table column, so a load column that fills none cannot be one. */
static sl_code seq_by_load(sl_mapper *m, sl_err *err)
{
    sl_slice seq = unquote_ident(m->spec->sequence_col), name;
    if (m->seq_col != -2)
        return SL_OK;
    m->seq_col = -1;
    for (size_t c = 0; c < m->def->n_cols; c++) {
        const sl_expr *x = m->col_expr ? m->col_expr[c] : NULL;
        if (x && sl_expr_is_column(x, &name) && name.n == seq.n &&
            strncasecmp(name.p, seq.p, seq.n) == 0) {
            m->seq_col = (long)c;
            return SL_OK;
        }
    }
    for (size_t i = 0; i < m->n_src; i++)
        if (m->src_col[i] >= 0 && sl_slice_ieq(unquote_ident(m->src_names[i]), "") == false) {
            sl_slice nm = unquote_ident(m->src_names[i]);
            if (nm.n == seq.n && strncasecmp(nm.p, seq.p, seq.n) == 0) {
                m->seq_col = m->src_col[i];
                return SL_OK;
            }
        }
    return sl_fail(err, SL_INVALID, "Unknown column '%.*s' in sequence column: a column of the "
                   "load names the sequence only when `columns` maps it into a table column (col "
                   "= %.*s); sluice keeps a UNIQUE table's sequence in a table column",
                   (int)seq.n, seq.p, (int)seq.n, seq.p);
}

/* partial_columns: which columns the load provides, with Doris's checks (StreamLoadPlanner).
 * A load that provides every column is a normal upsert (col_mask stays 0). */
static sl_code partial_mask(sl_mapper *m, sl_err *err)
{
    const sl_tabledef *def = m->def;
    sl_slice mow = sl_tabledef_prop(def, "enable_unique_key_merge_on_write");
    if (def->key_model != SL_KEYS_UNIQUE || sl_slice_ieq(mow, "false"))
        return sl_fail(err, SL_INVALID, "Only unique key merge on write support partial update");
    if (def->n_cols > 62)
        return sl_fail(err, SL_INVALID, "partial update supports tables of at most 62 columns");
    uint64_t mask = 0;
    for (size_t c = 0; c < def->n_cols; c++) {
        bool provided = m->col_src[c] >= 0 || m->col_expr[c] != NULL;
        if (def->cols[c].key && !provided)
            return sl_fail(err, SL_INVALID, "Partial update should include all key columns, "
                                            "missing: %.*s",
                           (int)def->cols[c].name.n, def->cols[c].name.p);
        if (provided)
            mask |= (uint64_t)1 << c;
    }
    m->col_mask = mask == ((uint64_t)1 << def->n_cols) - 1 ? 0 : mask;
    return SL_OK;
}

/* The `columns` header: plain names are the source columns in order (positional input) or the
 * keys to read (named input); `k = expr` computes target column k from the sources. Without
 * plain names the table's own columns are the sources [Doris StreamLoadPlanner]. */
static sl_code map_columns(sl_mapper *m, sl_arena_t *a, sl_err *err)
{
    const sl_tabledef *def = m->def;
    sl_expr_columns cl = {0};
    sl_code rc;
    m->col_expr = sl_arena_alloc(a, (def->n_cols + 1) * sizeof *m->col_expr);
    if (m->col_expr == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    for (size_t c = 0; c < def->n_cols; c++)
        m->col_src[c] = -1, m->col_expr[c] = NULL;
    if (m->spec->columns.p && sl_slice_trim(m->spec->columns).n &&
        (rc = sl_expr_parse_columns(m->spec->columns, a, &cl, err)) != SL_OK)
        return rc;
    size_t n_plain = 0, n_hidden = 0;
    for (size_t i = 0; i < cl.n_items; i++)
        n_plain += cl.items[i].expr == NULL;
    sl_slice hidden[8];
    if (!n_plain && m->spec->hidden_columns.p) /* hidden_columns: sources after the table's */
        n_hidden = split_list(m->spec->hidden_columns, hidden, SL_COUNT(hidden));
    if (n_hidden > SL_COUNT(hidden))
        return sl_fail(err, SL_INVALID, "too many hidden columns");
    size_t n = (n_plain ? n_plain : def->n_cols) + n_hidden;
    m->src_col = sl_arena_alloc(a, (n + 1) * sizeof *m->src_col);
    m->src_names = sl_arena_alloc(a, (n + 1) * sizeof *m->src_names);
    if (m->src_col == NULL || m->src_names == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    m->n_src = 0;
    for (size_t i = 0; i < (n_plain ? cl.n_items : def->n_cols); i++) {
        if (n_plain && cl.items[i].expr)
            continue;
        sl_slice name = n_plain ? cl.items[i].name : def->cols[i].name;
        long c = sl_tabledef_find(def, name);
        m->src_names[m->n_src] = name;
        m->src_col[m->n_src] = c;
        if (c >= 0) {
            if (m->col_src[c] >= 0)
                return sl_fail(err, SL_INVALID, "Duplicate column: %.*s", (int)name.n, name.p);
            m->col_src[c] = (long)m->n_src;
        }
        m->n_src++;
    }
    for (size_t h = 0; h < n_hidden; h++) {
        m->src_names[m->n_src] = hidden[h];
        m->src_col[m->n_src++] = -1;
    }
    for (size_t i = 0; i < cl.n_items; i++) {
        if (cl.items[i].expr == NULL)
            continue;
        if (sl_slice_ieq(unquote_ident(cl.items[i].name), SL_DELETE_SIGN) ||
            sl_slice_ieq(unquote_ident(cl.items[i].name), "__DORIS_SEQUENCE_COL__"))
            return sl_fail(err, SL_INVALID, "a derived %.*s is not supported; use merge_type: "
                                            "MERGE with delete: <predicate> for deletes",
                           (int)cl.items[i].name.n, cl.items[i].name.p);
        long c = sl_tabledef_find(def, cl.items[i].name);
        if (c < 0)
            continue; /* a derived name that is no table column only feeds nothing */
        m->col_expr[c] = cl.items[i].expr;
        m->col_src[c] = -1;
    }
    return SL_OK;
}

/* Source columns named after Doris's hidden columns (from `columns` or hidden_columns): the
 * delete sign is read per row (UNIQUE tables only); the sequence column is not supported. */
static sl_code hidden_sources(sl_mapper *m, sl_err *err)
{
    m->del_sign_src = -1;
    for (size_t i = 0; i < m->n_src; i++) {
        sl_slice nm = unquote_ident(m->src_names[i]);
        if (m->src_col[i] >= 0)
            continue;
        if (sl_slice_ieq(nm, "__DORIS_SEQUENCE_COL__"))
            return sl_fail(err, SL_INVALID,
                           "hidden column __DORIS_SEQUENCE_COL__ is not supported: sluice keeps a "
                           "UNIQUE table's sequence in a table column; name it with the "
                           "function_column.sequence_col header or table property");
        if (!sl_slice_ieq(nm, SL_DELETE_SIGN))
            continue;
        if (m->def->key_model != SL_KEYS_UNIQUE)
            return sl_fail(err, SL_INVALID, "%s exists only in UNIQUE KEY tables: a load may "
                                            "delete rows only there",
                           SL_DELETE_SIGN);
        if (m->spec->merge_type != SL_MERGE_APPEND)
            return sl_fail(err, SL_INVALID, "%s in the data cannot be combined with merge_type "
                                            "MERGE or DELETE, which set the delete sign "
                                            "themselves",
                           SL_DELETE_SIGN);
        if (m->spec->partial_columns)
            return sl_fail(err, SL_INVALID, "%s cannot be combined with a partial update",
                           SL_DELETE_SIGN);
        m->del_sign_src = (long)i;
    }
    return SL_OK;
}

/* negative and load_to_single_tablet against the table [Doris Load.java, StreamLoadPlanner]. */
static sl_code check_table_options(const sl_mapper *m, sl_err *err)
{
    const sl_tabledef *def = m->def;
    if (m->spec->load_to_single_tablet && def->n_dist_cols > 0)
        return sl_fail(err, SL_INVALID, "if load_to_single_tablet set to true, the olap table "
                                        "must be with random distribution");
    if (!m->spec->negative)
        return SL_OK;
    if (def->key_model != SL_KEYS_AGGREGATE)
        return sl_fail(err, SL_INVALID, "Negative load is only supported for AGGREGATE KEY "
                                        "tables whose value columns are all SUM");
    for (size_t c = 0; c < def->n_cols; c++)
        if (!def->cols[c].key && def->cols[c].agg != SL_AGG_SUM)
            return sl_fail(err, SL_INVALID, "Column is not SUM AggregateType. column:%.*s",
                           (int)def->cols[c].name.n, def->cols[c].name.p);
    return SL_OK;
}

/* Bind the derived columns over the sources (all text) and `where` over the target columns. */
static sl_code bind_exprs(sl_mapper *m, sl_arena_t *a, sl_err *err)
{
    const sl_tabledef *def = m->def;
    bool derived = false;
    sl_type *st = sl_arena_alloc(a, (m->n_src + 1) * sizeof *st);
    if (st == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    for (size_t i = 0; i < m->n_src; i++)
        st[i] = (sl_type){.id = SL_STRING};
    sl_expr_scope src = {m->src_names, st, m->n_src};
    sl_slice *names = sl_arena_alloc(a, (def->n_cols + 1) * sizeof *names);
    sl_type *types = sl_arena_alloc(a, (def->n_cols + 1) * sizeof *types);
    if (names == NULL || types == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    for (size_t c = 0; c < def->n_cols; c++)
        names[c] = def->cols[c].name, types[c] = def->cols[c].type;
    sl_expr_scope tgt = {names, types, def->n_cols};
    sl_code rc;
    for (size_t c = 0; c < def->n_cols; c++) {
        if (m->col_expr[c] == NULL)
            continue;
        derived = true;
        if ((rc = sl_expr_bind(m->col_expr[c], &src, a, err)) != SL_OK)
            return rc;
    }
    if (m->spec->where.p && sl_slice_trim(m->spec->where).n) {
        const sl_expr_scope *scope = m->spec->where_on_sources ? &src : &tgt;
        if ((rc = sl_expr_parse(m->spec->where, a, &m->where, err)) != SL_OK ||
            (rc = sl_expr_bind(m->where, scope, a, err)) != SL_OK)
            return rc;
        derived = derived || m->spec->where_on_sources;
    }
    if (m->spec->merge_type == SL_MERGE_MERGE) {
        /* Doris evaluates `delete` over the mapped row; a name that is only a source column
         * (e.g. a flag placeholder) is read from the sources instead. */
        sl_err e2 = {0};
        if ((rc = sl_expr_parse(m->spec->delete_pred, a, &m->del, err)) != SL_OK)
            return rc;
        if (sl_expr_bind(m->del, &tgt, a, &e2) != SL_OK) {
            if ((rc = sl_expr_parse(m->spec->delete_pred, a, &m->del, err)) != SL_OK ||
                (rc = sl_expr_bind(m->del, &src, a, err)) != SL_OK)
                return rc;
            m->del_on_sources = true;
            derived = true;
        }
    }
    if (derived) {
        m->srcv = sl_arena_alloc(a, (m->n_src + 1) * sizeof *m->srcv);
        m->src_used = sl_arena_alloc(a, m->n_src + 1);
        m->used_idx = sl_arena_alloc(a, (m->n_src + 1) * sizeof *m->used_idx);
        if (m->srcv == NULL || m->src_used == NULL || m->used_idx == NULL)
            return sl_fail(err, SL_NOMEM, "out of memory");
        memset(m->src_used, 0, m->n_src + 1);
        for (size_t c = 0; c < def->n_cols; c++)
            sl_expr_uses(m->col_expr[c], m->src_used, m->n_src);
        if (m->spec->where_on_sources)
            sl_expr_uses(m->where, m->src_used, m->n_src);
        if (m->del_on_sources)
            sl_expr_uses(m->del, m->src_used, m->n_src);
        for (size_t i = 0; i < m->n_src; i++) {
            m->srcv[i].type = st[i];
            if (!m->src_used[i]) { /* never read: no storage, nothing copied per row */
                m->srcv[i].v = NULL;
                m->srcv[i].null = NULL;
                continue;
            }
            m->used_idx[m->n_used++] = (uint32_t)i;
            m->srcv[i].v = sl_arena_alloc(a, SL_BATCH_MAX_ROWS * sizeof(sl_datum));
            m->srcv[i].null = sl_arena_alloc(a, SL_BATCH_MAX_ROWS);
            if (m->srcv[i].v == NULL || m->srcv[i].null == NULL)
                return sl_fail(err, SL_NOMEM, "out of memory");
        }
    }
    m->rowraw = sl_arena_alloc(a, SL_BATCH_MAX_ROWS * sizeof *m->rowraw);
    m->dead = sl_arena_alloc(a, SL_BATCH_MAX_ROWS);
    if (m->rowraw == NULL || m->dead == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    return SL_OK;
}

/* Convert a literal (default or partition bound) to the column type. */
static bool convert_literal(const sl_mapper *m, const sl_type *t, sl_slice text, sl_datum *out)
{
    return sl_convert(t, text, out, &m->conv) == SL_CONV_OK;
}

static int64_t now_local_us(const sl_mapper *m)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int32_t off = m->conv.tz ? sl_tz_offset_utc(m->conv.tz, ts.tv_sec) : m->conv.tz_offset_s;
    return ((int64_t)ts.tv_sec + off) * 1000000 + ts.tv_nsec / 1000;
}

static sl_code prepare_defaults(sl_mapper *m, sl_arena_t *a, sl_err *err)
{
    const sl_tabledef *def = m->def;
    m->dflt = sl_arena_alloc(a, def->n_cols * sizeof *m->dflt);
    m->dflt_kind = sl_arena_alloc(a, def->n_cols);
    if (m->dflt == NULL || m->dflt_kind == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    int64_t now = now_local_us(m);
    m->conv.arena = a; /* DEFAULT '[]' of a complex column lives as long as the load */
    for (size_t c = 0; c < def->n_cols; c++) {
        const sl_coldef *cd = &def->cols[c];
        m->dflt_kind[c] = cd->nullable ? 2 : 0;
        switch ((sl_default_kind)cd->default_kind) {
        case SL_DEFAULT_NONE: break;
        case SL_DEFAULT_NULL: m->dflt_kind[c] = 2; break;
        case SL_DEFAULT_VALUE:
            if (convert_literal(m, &cd->type, cd->default_value, &m->dflt[c]))
                m->dflt_kind[c] = 1;
            else
                m->dflt_kind[c] = 2;
            break;
        case SL_DEFAULT_CURRENT_TIMESTAMP:
        case SL_DEFAULT_CURRENT_DATE:
            m->dflt_kind[c] = 1;
            if (cd->type.id == SL_DATE)
                m->dflt[c].i = now / 86400000000LL - (now < 0);
            else if (cd->type.id == SL_DATETIME)
                m->dflt[c].i = cd->type.precision ? now : now - now % 1000000;
            else
                m->dflt_kind[c] = 2;
            break;
        }
    }
    return SL_OK;
}

static sl_code prepare_bounds(const sl_mapper *m, sl_slice *texts, size_t n, sl_pvalue **out,
                              sl_arena_t *a, sl_err *err)
{
    const sl_tabledef *def = m->def;
    sl_pvalue *v = sl_arena_alloc(a, n * sizeof *v);
    if (v == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const sl_type *t = &def->cols[def->part_cols[i % def->n_part_cols]].type;
        memset(&v[i], 0, sizeof v[i]);
        if (texts[i].p == NULL)
            v[i].max = true;
        else if (!convert_literal(m, t, texts[i], &v[i].v))
            return sl_fail(err, SL_INVALID, "invalid partition value '%.*s'", (int)texts[i].n,
                           texts[i].p);
    }
    *out = v;
    return SL_OK;
}

/* `partitions` / `temporary_partitions` on a table without partitions: as in Doris, such a
 * table has one partition named after the table and no temporary ones, so any other name is
 * the same header error as on a partitioned table (before the body is read). */
static sl_code check_single_partition(const sl_mapper *m, sl_arena_t *a, sl_err *err)
{
    const sl_tabledef *def = m->def;
    size_t n = split_list(m->spec->partitions, NULL, 0);
    sl_slice *names = sl_arena_alloc(a, (n + 1) * sizeof *names);
    if (names == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    split_list(m->spec->partitions, names, n);
    for (size_t i = 0; i < n; i++) {
        sl_slice nm = unquote_ident(names[i]);
        if (m->spec->temporary_partitions || nm.n != def->name.n ||
            strncasecmp(nm.p, def->name.p, nm.n) != 0)
            return sl_fail(err, SL_INVALID, "Unknown partition '%.*s' in table '%.*s'",
                           (int)(nm.n < 128 ? nm.n : 128), nm.p, (int)def->name.n, def->name.p);
    }
    return SL_OK;
}

static sl_code prepare_partitions(sl_mapper *m, sl_arena_t *a, sl_err *err)
{
    const sl_tabledef *def = m->def;
    if (def->part_kind == SL_PART_NONE || def->n_parts == 0)
        return m->spec->partitions.p ? check_single_partition(m, a, err) : SL_OK;
    m->parts = sl_arena_alloc(a, def->n_parts * sizeof *m->parts);
    if (m->parts == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    memset(m->parts, 0, def->n_parts * sizeof *m->parts);
    sl_code rc = SL_OK;
    for (size_t p = 0; rc == SL_OK && p < def->n_parts; p++) {
        const sl_partdef *pd = &def->parts[p];
        sl_mpart *mp = &m->parts[p];
        mp->allowed = m->spec->partitions.p == NULL && !pd->temporary;
        if (def->part_kind == SL_PART_RANGE) {
            rc = prepare_bounds(m, pd->upper, def->n_part_cols, &mp->upper, a, err);
            if (rc == SL_OK && pd->lower)
                rc = prepare_bounds(m, pd->lower, def->n_part_cols, &mp->lower, a, err);
        } else {
            mp->n_values = pd->n_values;
            rc = prepare_bounds(m, pd->values, pd->n_values * def->n_part_cols, &mp->values, a,
                                err);
        }
    }
    if (rc != SL_OK || m->spec->partitions.p == NULL)
        return rc;
    /* `partitions: p1, p2`: only those receive rows; unknown names are a header error. */
    size_t n = split_list(m->spec->partitions, NULL, 0);
    sl_slice *names = sl_arena_alloc(a, (n + 1) * sizeof *names);
    if (names == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    split_list(m->spec->partitions, names, n);
    for (size_t i = 0; i < n; i++) {
        sl_slice nm = unquote_ident(names[i]);
        size_t p = 0;
        while (p < def->n_parts &&
               !(def->parts[p].name.n == nm.n && strncasecmp(def->parts[p].name.p, nm.p, nm.n) == 0 &&
                 def->parts[p].temporary == m->spec->temporary_partitions))
            p++;
        if (p == def->n_parts)
            return sl_fail(err, SL_INVALID, "Unknown partition '%.*s' in table '%.*s'",
                           (int)(nm.n < 128 ? nm.n : 128), nm.p, (int)def->name.n, def->name.p);
        m->parts[p].allowed = true;
    }
    return SL_OK;
}

static void describe_bytes(char *out, size_t cap, const char *p, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 5 < cap; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\n')
            k += (size_t)snprintf(out + k, cap - k, "\\n");
        else if (c == '\t')
            k += (size_t)snprintf(out + k, cap - k, "\\t");
        else if (c == '\r')
            k += (size_t)snprintf(out + k, cap - k, "\\r");
        else if (c < 0x20)
            k += (size_t)snprintf(out + k, cap - k, "\\x%02x", c);
        else
            out[k++] = (char)c;
    }
    out[k] = '\0';
}

/* Records per map_block: their field slices (16 bytes each) stay in the L2 cache while each
 * column pass reads them. */
#define MAX_BLOCK 512

sl_code sl__mapper_init(sl_mapper *m, const sl_tabledef *def, const sl_load_spec *spec,
                        sl_arena_t *a, sl_errlog *log, sl_err *err)
{
    memset(m, 0, sizeof *m);
    m->def = def;
    m->spec = spec;
    m->log = log;
    m->conv.tz_offset_s = spec->tz_offset_s;
    m->conv.tz = spec->tz;
    m->ectx.tz_offset_s = spec->tz_offset_s;
    m->ectx.tz = spec->tz;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now); /* the load's now(), as UTC */
    m->ectx.now_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
    m->col_src = sl_arena_alloc(a, (def->n_cols + 1) * sizeof *m->col_src);
    if (m->col_src == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    sl_code rc = check_key_model(m, err);
    if (rc == SL_OK)
        rc = map_columns(m, a, err);
    if (rc == SL_OK)
        rc = hidden_sources(m, err);
    if (rc == SL_OK)
        rc = check_table_options(m, err);
    if (rc == SL_OK && spec->partial_columns)
        rc = partial_mask(m, err);
    if (rc == SL_OK)
        rc = bind_exprs(m, a, err);
    if (rc == SL_OK)
        rc = seq_by_load(m, err);
    if (rc == SL_OK)
        rc = prepare_defaults(m, a, err);
    if (rc == SL_OK)
        rc = prepare_partitions(m, a, err);
    /* Column by column (map_block) when nothing needs a whole record at once: no value
     * formats, delete sign or sources kept for derived columns. */
    m->fast = spec->formats == NULL && m->del_sign_src < 0 && m->srcv == NULL;
    if (rc == SL_OK && (m->id_src = sl_arena_alloc(a, SL_RAWBATCH_MAX_IDS * sizeof *m->id_src)) == NULL)
        rc = sl_fail(err, SL_NOMEM, "out of memory");
    if (rc == SL_OK && m->fast && (m->done = sl_arena_alloc(a, MAX_BLOCK)) == NULL)
        rc = sl_fail(err, SL_NOMEM, "out of memory");
    if (rc == SL_OK && m->fast && m->n_src <= 512) { /* named records: their cell matrix */
        m->cells = sl_arena_alloc(a, MAX_BLOCK * m->n_src * sizeof *m->cells + 1);
        m->missing = sl_arena_alloc(a, MAX_BLOCK * m->n_src + 1);
        if (m->cells == NULL || m->missing == NULL)
            rc = sl_fail(err, SL_NOMEM, "out of memory");
    }
    char cs[64], ld[64];
    describe_bytes(cs, sizeof cs, spec->dopts.col_sep, spec->dopts.col_sep_len);
    describe_bytes(ld, sizeof ld, spec->dopts.line_delim, spec->dopts.line_delim_len);
    snprintf(m->sep_desc, sizeof m->sep_desc, "column separator: [%s], line delimiter: [%s]", cs,
             ld);
    return rc;
}

/* ---- per record ------------------------------------------------------------------------ */

static int datum_cmp(const sl_type *t, const sl_datum *a, const sl_datum *b)
{
    switch ((sl_type_id)t->id) {
    case SL_LARGEINT: case SL_DECIMAL: return (a->w > b->w) - (a->w < b->w);
    case SL_FLOAT: case SL_DOUBLE: return (a->d > b->d) - (a->d < b->d);
    case SL_CHAR: case SL_VARCHAR: case SL_STRING: case SL_JSON: {
        size_t n = a->s.n < b->s.n ? a->s.n : b->s.n;
        int r = n ? memcmp(a->s.p, b->s.p, n) : 0;
        return r ? r : (a->s.n > b->s.n) - (a->s.n < b->s.n);
    }
    default: return (a->i > b->i) - (a->i < b->i);
    }
}

/* Compare the row's partition key with a bound tuple (MAXVALUE above everything, NULL below). */
static int tuple_cmp(const sl_mapper *m, const sl_batch *b, size_t row, const sl_pvalue *bound)
{
    const sl_tabledef *def = m->def;
    for (size_t i = 0; i < def->n_part_cols; i++) {
        size_t c = def->part_cols[i];
        if (bound[i].max)
            return -1;
        if (b->cols[c].null[row])
            return -1;
        int r = datum_cmp(&def->cols[c].type, &b->cols[c].v[row], &bound[i].v);
        if (r)
            return r;
    }
    return 0;
}

/* The partition of a row, or -1. */
static long route(const sl_mapper *m, const sl_batch *b, size_t row)
{
    const sl_tabledef *def = m->def;
    for (size_t p = 0; p < def->n_parts; p++) {
        const sl_mpart *mp = &m->parts[p];
        if (def->part_kind == SL_PART_RANGE) {
            const sl_pvalue *lower = mp->lower ? mp->lower : (p ? m->parts[p - 1].upper : NULL);
            if (lower && tuple_cmp(m, b, row, lower) < 0)
                continue;
            if (tuple_cmp(m, b, row, mp->upper) < 0)
                return (long)p;
        } else {
            for (size_t v = 0; v < mp->n_values; v++)
                if (tuple_cmp(m, b, row, &mp->values[v * def->n_part_cols]) == 0)
                    return (long)p;
        }
    }
    return -1;
}

void sl__mapper_reject(sl_mapper *m, const sl_rawrow *rr, const char *reason)
{
    m->filtered++;
    if (m->first_error[0] == '\0')
        snprintf(m->first_error, sizeof m->first_error, "%s", reason);
    if (m->log)
        sl__errlog_add(m->log, reason, rr->src);
}

/* Value text cut to 100 bytes for messages [PG CopyFromErrorCallback]. */
static int cut(size_t n)
{
    return n > 100 ? 100 : (int)n;
}

/* ThoughtSpot's type name of a column type (tsload's schema vocabulary). */
static const char *ts_type(const sl_type *t)
{
    switch (t->id) {
    case SL_TINYINT: case SL_SMALLINT: case SL_INT: return "INT32";
    case SL_BIGINT: case SL_LARGEINT: return "INT64";
    case SL_FLOAT: return "FLOAT";
    case SL_DOUBLE: case SL_DECIMAL: return "DOUBLE";
    case SL_BOOLEAN: return "BOOL";
    case SL_DATE: return "DATE";
    case SL_DATETIME: return "DATE_TIME";
    default: return "VARCHAR";
    }
}

/* A value a tsload cycle could not parse, in tsload's terms (it has no strict mode): the
 * column, the value, the type and, for dates, times and booleans, the format the value was
 * read with (specs/tsload.md §4.3-§4.4; parsing_errors and the bad-records file). */
static const char *tsload_why(const sl_text_formats *tf, const sl_coldef *cd, const sl_slice *v,
                              char *why, size_t cap)
{
    const char *opt = NULL;
    sl_slice fmt = SL_SLICE_NULL, dflt = SL_SLICE_NULL;
    if (tf->converted_to_epoch && (cd->type.id == SL_DATE || cd->type.id == SL_DATETIME)) {
        snprintf(why, cap, "Error parsing column '%.*s' as %s: '%.*s' is not seconds since the "
                 "epoch (converted_to_epoch is true)", (int)cd->name.n, cd->name.p,
                 ts_type(&cd->type), cut(v->n), v->p);
        return why;
    }
    if (cd->type.id == SL_DATE)
        opt = "date_format", fmt = tf->date_src, dflt = SL_LIT("%Y%m%d");
    else if (cd->type.id == SL_DATETIME)
        opt = "date_time_format", fmt = tf->datetime_src, dflt = SL_LIT("%Y%m%d %H:%M:%S");
    if (opt) {
        if (fmt.p == NULL)
            fmt = dflt;
        snprintf(why, cap, "Error parsing column '%.*s' as %s: '%.*s' does not match %s '%.*s'",
                 (int)cd->name.n, cd->name.p, ts_type(&cd->type), cut(v->n), v->p, opt,
                 (int)fmt.n, fmt.p);
    } else if (cd->type.id == SL_BOOLEAN && !tf->use_bit_values) {
        snprintf(why, cap, "Error parsing column '%.*s' as BOOL: '%.*s' is neither true_format "
                 "'%.*s' nor false_format '%.*s'", (int)cd->name.n, cd->name.p, cut(v->n), v->p,
                 (int)tf->true_fmt.n, tf->true_fmt.p, (int)tf->false_fmt.n, tf->false_fmt.p);
    } else {
        snprintf(why, cap, "Error parsing column '%.*s' as %s: '%.*s' is not a valid %s value",
                 (int)cd->name.n, cd->name.p, ts_type(&cd->type), cut(v->n), v->p,
                 ts_type(&cd->type));
    }
    return why;
}

const char *sl__mapper_put_text(sl_mapper *m, sl_batch *b, size_t row, size_t c, const sl_slice *f,
                                bool strict, char *why, size_t cap)
{
    const sl_coldef *cd = &m->def->cols[c];
    sl_column *col = &b->cols[c];
    const sl_slice *v = f;
    if (v == NULL) { /* not in the source: default */
        if (m->dflt_kind[c] == 1) {
            col->v[row] = m->dflt[c];
            col->null[row] = 0;
            return NULL;
        }
        col->null[row] = 1;
        /* A partial update keeps the stored value: only a new key needs it (checked at commit). */
        if (!cd->nullable && !m->col_mask)
            goto not_null;
        return NULL;
    }
    if (v->p == NULL) {
        col->null[row] = 1;
        if (!cd->nullable)
            goto not_null;
        return NULL;
    }
    bool fmt_done = false; /* tsload value formats (batch/datefmt.c) for DATE/DATETIME/BOOLEAN */
    m->conv.arena = &b->arena; /* ARRAY, MAP, STRUCT, VARIANT: their encodings (complex.h) */
    m->conv.strict = strict;
    const sl_text_formats *tf = m->spec->formats;
    sl_conv cv = m->spec->formats ? sl_text_formats_convert(m->spec->formats, &cd->type, *v,
                                                            &col->v[row], &fmt_done)
                                  : SL_CONV_OK;
    switch (fmt_done ? cv : sl_convert(&cd->type, *v, &col->v[row], &m->conv)) {
    case SL_CONV_LOSSY:
        if (strict && tf)
            return tsload_why(tf, cd, v, why, cap);
        if (strict) {
            snprintf(why, cap,
                     "column(%.*s) value is incorrect while strict mode is true, src value is %.*s",
                     (int)cd->name.n, cd->name.p, cut(v->n), v->p);
            return why;
        }
        /* fall through */
    case SL_CONV_OK:
        col->null[row] = 0;
        if (sl_type_has_bytes(&cd->type))
            b->bytes += col->v[row].s.n;
        return NULL;
    case SL_CONV_TOO_LONG:
        if (!sl_type_is_text(&cd->type)) { /* complex values: their encoding did not fit */
            snprintf(why, cap, "column(%.*s) value could not be stored: out of memory",
                     (int)cd->name.n, cd->name.p);
            return why;
        }
        if (m->spec->truncate_strings && !strict) {
            size_t n = cd->type.len;
            while (n > 0 && ((unsigned char)v->p[n] & 0xc0) == 0x80)
                n--; /* do not cut a UTF-8 sequence */
            col->v[row].s.p = v->p;
            col->v[row].s.n = n;
            col->null[row] = 0;
            return NULL;
        }
        snprintf(why, cap,
                 "column_name[%.*s], the length of input is too long than schema. first 32 bytes "
                 "of input str: [%.*s] schema length: %u; actual length: %zu",
                 (int)cd->name.n, cd->name.p, v->n > 32 ? 32 : (int)v->n, v->p, cd->type.len,
                 v->n);
        return why;
    case SL_CONV_NULL:
        if (strict && tf)
            return tsload_why(tf, cd, v, why, cap);
        if (strict) {
            snprintf(why, cap,
                     "column(%.*s) value is incorrect while strict mode is true, src value is %.*s",
                     (int)cd->name.n, cd->name.p, cut(v->n), v->p);
            return why;
        }
        col->null[row] = 1;
        if (!cd->nullable)
            goto not_null;
        return NULL;
    }
not_null:
    snprintf(why, cap, "column(%.*s) values is null while columns is not nullable",
             (int)cd->name.n, cd->name.p);
    return why;
}

/* The row's __DORIS_DELETE_SIGN__ source: cast to TINYINT as Doris does; non-zero deletes the
 * key. NULL (or, not strict, text that does not cast) is an error row: the hidden column is
 * NOT NULL. */
static const char *delete_sign(sl_mapper *m, sl_batch *b, size_t row, const sl_slice *v,
                               char *why, size_t cap)
{
    static const sl_type tiny = {.id = SL_TINYINT};
    sl_datum d;
    sl_conv cv = v && v->p ? sl_convert(&tiny, *v, &d, &m->conv) : SL_CONV_NULL;
    if (cv == SL_CONV_NULL || (cv == SL_CONV_LOSSY && m->spec->strict)) {
        if (m->spec->strict && v && v->p)
            snprintf(why, cap, "column(%s) value is incorrect while strict mode is true, src "
                               "value is %.*s",
                     SL_DELETE_SIGN, cut(v->n), v->p);
        else
            snprintf(why, cap, "column(%s) values is null while columns is not nullable",
                     SL_DELETE_SIGN);
        return why;
    }
    b->has_del = true;
    b->del[row] = d.i != 0;
    return NULL;
}

/* Fill the next batch row from one record's source fields: positional (f) or named (found:
 * one pointer per source, NULL for a missing key, which reads as NULL). Derived columns are
 * left for sl__mapper_finish_rows; their sources go to m->srcv. */
static const char *map_row(sl_mapper *m, sl_batch *b, const sl_slice *f,
                           const sl_slice *const *found, char *why, size_t cap)
{
    static const sl_slice null_slice = {NULL, 0};
    size_t row = b->n_rows;
    if (m->srcv)
        for (size_t u = 0; u < m->n_used; u++) {
            size_t i = m->used_idx[u];
            const sl_slice *v = f ? &f[i] : found[i] ? found[i] : &null_slice;
            m->srcv[i].v[row].s.p = v->p;
            m->srcv[i].v[row].s.n = v->n;
            m->srcv[i].null[row] = v->p == NULL;
        }
    for (size_t c = 0; c < m->def->n_cols; c++) {
        if (m->col_expr[c]) {
            b->cols[c].null[row] = 1;
            continue;
        }
        long s = m->col_src[c];
        const sl_slice *v = NULL; /* not in the source (or a missing JSON key): the default */
        if (s >= 0)
            v = f ? &f[s] : found[s];
        const char *e = sl__mapper_put_text(m, b, row, c, v, m->spec->strict, why, cap);
        if (e)
            return e;
    }
    if (m->del_sign_src >= 0) {
        long s = m->del_sign_src;
        return delete_sign(m, b, row, f ? &f[s] : found[s], why, cap);
    }
    return NULL;
}

/* Positional record: the field count must match the source columns. */
static const char *map_positional(sl_mapper *m, const sl_rawbatch *rb, const sl_rawrow *rr,
                                  sl_batch *b, char *why, size_t cap)
{
    const sl_slice *f = rb->fields + rr->field0;
    sl_slice padded[256];
    if (rr->n_fields != m->n_src && m->spec->lenient_fields && m->n_src <= 256) {
        /* jsonpaths / _http_stream: a missing value is NULL, extra values are ignored */
        for (size_t i = 0; i < m->n_src; i++)
            padded[i] = i < rr->n_fields ? f[i] : SL_SLICE_NULL;
        return map_row(m, b, padded, NULL, why, cap);
    }
    if (rr->n_fields != m->n_src) {
        snprintf(why, cap,
                 "actual column number in csv file is %s schema column number.actual number: %u, "
                 "%s, schema column number: %zu",
                 rr->n_fields > m->n_src ? " more than " : " less than ", rr->n_fields,
                 m->sep_desc, m->n_src);
        return why;
    }
    return map_row(m, b, f, NULL, why, cap);
}

/* Named record (JSON simple mode): fields matched to source names case-insensitively. */
static bool name_matches(sl_slice sn, sl_slice nm)
{
    size_t k = 0;
    if (sn.n != nm.n)
        return false;
    while (k < nm.n && sn.p[k] == nm.p[k]) /* names are short: no call */
        k++;
    return k == nm.n || strncasecmp(sn.p, nm.p, nm.n) == 0;
}

/* The source named nm (case-insensitive), or -1. The search starts after the previous match:
 * records mostly repeat their keys in one order. */
static long find_src(sl_mapper *m, sl_slice nm)
{
    size_t n_src = m->n_src < 512 ? m->n_src : 512, i = (size_t)m->named_hint;
    for (size_t t = 0; t < n_src; t++, i = i + 1 == n_src ? 0 : i + 1) {
        if (name_matches(m->src_names[i], nm)) {
            m->named_hint = (long)(i + 1 == n_src ? 0 : i + 1);
            return (long)i;
        }
    }
    return -1;
}

enum { ID_UNKNOWN = -3, ID_AMBIGUOUS = -2, ID_NONE = -1 }; /* id_src values besides sources */

/* field_src when the id is not resolved yet, is ambiguous, or there is none. */
static long field_src_slow(sl_mapper *m, const sl_rawbatch *rb, size_t f)
{
    uint32_t id = rb->ids ? rb->ids[f] : SL_KEY_NONE;
    if (id >= SL_RAWBATCH_MAX_IDS || m->id_src == NULL)
        return find_src(m, rb->names[f]);
    if (m->ids_gen != rb->ids_gen) {
        for (size_t i = 0; i < SL_RAWBATCH_MAX_IDS; i++)
            m->id_src[i] = ID_UNKNOWN;
        m->ids_gen = rb->ids_gen;
    }
    long s = m->id_src[id];
    if (s == ID_UNKNOWN) {
        size_t n_src = m->n_src < 512 ? m->n_src : 512, hits = 0;
        for (size_t i = 0; i < n_src; i++)
            if (name_matches(m->src_names[i], rb->names[f]))
                hits++, s = (long)i;
        m->id_src[id] = (int16_t)(hits == 0 ? ID_NONE : hits > 1 ? ID_AMBIGUOUS : s);
        s = m->id_src[id];
    }
    if (s == ID_AMBIGUOUS)
        return find_src(m, rb->names[f]);
    if (s >= 0)
        m->named_hint = (long)((size_t)s + 1 == (m->n_src < 512 ? m->n_src : 512) ? 0 : s + 1);
    return s;
}

/* The source of named field f: through its key id when the decoder gave one (resolved once per
 * id; a name that matches several sources keeps find_src's hint-dependent answer), else by
 * name. The same answers as find_src, named_hint included. */
static inline long field_src(sl_mapper *m, const sl_rawbatch *rb, size_t f)
{
    uint32_t id = rb->ids ? rb->ids[f] : SL_KEY_NONE;
    if (id < SL_RAWBATCH_MAX_IDS && m->ids_gen == rb->ids_gen) {
        long s = m->id_src[id];
        if (s >= 0) {
            m->named_hint = (long)((size_t)s + 1 == (m->n_src < 512 ? m->n_src : 512) ? 0 : s + 1);
            return s;
        }
        if (s == ID_NONE)
            return -1;
    }
    return field_src_slow(m, rb, f);
}

static const char *map_named(sl_mapper *m, const sl_rawbatch *rb, const sl_rawrow *rr, sl_batch *b,
                             char *why, size_t cap)
{
    const sl_slice *found[512];
    size_t n_src = m->n_src < 512 ? m->n_src : 512;
    for (size_t i = 0; i < n_src; i++)
        found[i] = NULL;
    size_t matched = 0;
    for (uint32_t k = 0; k < rr->n_fields; k++) {
        long i = field_src(m, rb, rr->field0 + k);
        if (i < 0)
            continue;
        if (found[i] == NULL)
            matched++;
        found[i] = &rb->fields[rr->field0 + k]; /* a repeated key: the last one */
    }
    if (matched == 0)
        return "All fields is null, this is a invalid row.";
    return map_row(m, b, NULL, found, why, cap);
}

/* Named records rb->rows[r .. r + n) as a matrix for map_block: m->cells[q * n_src + i] is
 * source i of record q, m->missing[...] = 1 where the record has no such key. false: a record
 * matches no key (an error row). */
static bool named_cells(sl_mapper *m, const sl_rawbatch *rb, size_t r, size_t n)
{
    size_t ns = m->n_src;
    for (size_t q = 0; q < n; q++) {
        const sl_rawrow *rr = &rb->rows[r + q];
        sl_slice *cells = m->cells + q * ns;
        uint8_t *miss = m->missing + q * ns;
        size_t matched = 0;
        memset(miss, 1, ns);
        for (uint32_t k = 0; k < rr->n_fields; k++) {
            long i = field_src(m, rb, rr->field0 + k);
            if (i < 0)
                continue;
            matched += miss[i];
            miss[i] = 0;
            cells[i] = rb->fields[rr->field0 + k];
        }
        if (matched == 0)
            return false;
        for (size_t i = 0; i < ns; i++)
            if (miss[i])
                cells[i] = (sl_slice){NULL, 0};
    }
    return true;
}

const char *sl__mapper_check_partition(sl_mapper *m, const sl_batch *b, size_t row, char *why,
                                       size_t cap)
{
    if (m->parts == NULL)
        return NULL;
    long p = route(m, b, row);
    if (p >= 0 && m->parts[p].allowed)
        return NULL;
    size_t k = (size_t)snprintf(why, cap, "no partition for this tuple. tuple=(");
    for (size_t i = 0; i < m->def->n_part_cols && k < cap - 64; i++) {
        size_t c = m->def->part_cols[i];
        char tmp[64];
        if (b->cols[c].null[row])
            snprintf(tmp, sizeof tmp, "NULL");
        else if (sl_type_is_text(&m->def->cols[c].type))
            snprintf(tmp, sizeof tmp, "%.*s", cut(b->cols[c].v[row].s.n),
                     b->cols[c].v[row].s.p);
        else if (m->def->cols[c].type.id == SL_DATE)
            sl_format_date(b->cols[c].v[row].i, tmp);
        else if (m->def->cols[c].type.id == SL_DATETIME)
            sl_format_datetime(b->cols[c].v[row].i, 0, tmp);
        else
            snprintf(tmp, sizeof tmp, "%lld", (long long)b->cols[c].v[row].i);
        k += (size_t)snprintf(why + k, cap - k, "%s%s", i ? ", " : "", tmp);
    }
    snprintf(why + k, cap - k, ")");
    return why;
}

/* negative: every SUM value of the rows [start, n_rows) negated, after derived columns (the
 * values as they will be stored). Two's complement negation: INT64_MIN stays itself. */
static void negate_rows(const sl_mapper *m, sl_batch *b, size_t start)
{
    for (size_t c = 0; c < m->def->n_cols; c++) {
        const sl_coldef *cd = &m->def->cols[c];
        if (cd->key || cd->agg != SL_AGG_SUM)
            continue;
        sl_column *col = &b->cols[c];
        for (size_t r = start; r < b->n_rows; r++) {
            if (col->null[r])
                continue;
            switch ((sl_type_id)cd->type.id) {
            case SL_FLOAT: case SL_DOUBLE: col->v[r].d = -col->v[r].d; break;
            case SL_LARGEINT:
            case SL_DECIMAL: { /* LARGEINT's minimum has no negation: it stays */
                const sl_i128 max = (((sl_i128)1 << 126) - 1) * 2 + 1;
                if (col->v[r].w >= -max)
                    col->v[r].w = -col->v[r].w;
                break;
            }
            default: col->v[r].i = (int64_t)(0 - (uint64_t)col->v[r].i); break;
            }
        }
    }
}

/* Finish the batch rows from start on (derive.c), then apply negative. */
static sl_code finish_rows(sl_mapper *m, sl_batch *b, size_t start, sl_err *err)
{
    sl_code rc = sl__mapper_finish_rows(m, b, start, err);
    if (rc == SL_OK && m->spec->negative)
        negate_rows(m, b, start);
    return rc;
}

/* Positional records, n of them, whose fields lie one after another from base: mapped column
 * by column, sl_convert_fast doing the canonical cells of a column in one loop and
 * sl__mapper_put_text the others, as map_row would. false: a record is in error; nothing is
 * kept, and the caller maps these records one by one, so that errors come out exactly as
 * they always do. */
static bool map_block(sl_mapper *m, const sl_slice *base, const uint8_t *missing, size_t n,
                      sl_batch *b)
{
    size_t at = b->n_rows, ns = m->n_src, bytes = b->bytes;
    char why[SL_ERR_MSG_MAX];
    for (size_t c = 0; c < m->def->n_cols; c++) {
        sl_column *col = &b->cols[c];
        const sl_type *t = &m->def->cols[c].type;
        long s = m->col_src[c];
        if (m->col_expr[c]) {
            memset(col->null + at, 1, n);
            continue;
        }
        size_t done = 0;
        if (s >= 0)
            done = sl_convert_fast(t, base + s, ns, n, col->v + at, col->null + at, m->done);
        else
            memset(m->done, 0, n);
        if (sl_type_is_text(t))
            for (size_t k = 0; k < n; k++)
                b->bytes += m->done[k] ? col->v[at + k].s.n : 0;
        for (size_t k = 0; done < n && k < n; k++) {
            if (m->done[k])
                continue;
            size_t cell = k * ns + (size_t)s;
            const sl_slice *f = s >= 0 && !(missing && missing[cell]) ? &base[cell] : NULL;
            if (sl__mapper_put_text(m, b, at + k, c, f, m->spec->strict, why, sizeof why)) {
                b->bytes = bytes;
                return false;
            }
        }
    }
    return true;
}

/* How many records from r on map_block may take: decoded without error and, positional,
 * with the source field count and fields contiguous; at most room. */
static size_t block_len(const sl_mapper *m, const sl_rawbatch *rb, size_t r, size_t room)
{
    size_t k = 0, f0 = rb->rows[r].field0;
    while (k < room && r + k < rb->n_rows) {
        const sl_rawrow *rr = &rb->rows[r + k];
        if (rr->err || (rb->names == NULL && (rr->n_fields != m->n_src ||
                                              rr->field0 != f0 + k * m->n_src)))
            break;
        k++;
    }
    return k;
}

/* Map records r .. r + k column by column, if they allow it (see map_block). */
static bool map_records(sl_mapper *m, const sl_rawbatch *rb, size_t r, size_t k, sl_batch *b)
{
    if (rb->names == NULL)
        return map_block(m, rb->fields + rb->rows[r].field0, NULL, k, b);
    return m->cells && named_cells(m, rb, r, k) && map_block(m, m->cells, m->missing, k, b);
}

sl_code sl__mapper_run(sl_mapper *m, const sl_rawbatch *rb, sl_batch *b,
                       sl_code (*flush)(void *arg, sl_batch *b), void *arg, sl_err *err)
{
    char why[SL_ERR_MSG_MAX];
    size_t start = b->n_rows, slow_until = 0; /* records before slow_until: one by one */
    sl_code rc;
    for (size_t r = 0; r < rb->n_rows; r++) {
        const sl_rawrow *rr = &rb->rows[r];
        if (sl_batch_full(b)) {
            if ((rc = finish_rows(m, b, start, err)) != SL_OK ||
                (rc = flush(arg, b)) != SL_OK)
                return rc;
            start = b->n_rows;
        }
        size_t room = b->cap_rows - b->n_rows;
        if (room > MAX_BLOCK)
            room = MAX_BLOCK;
        size_t k = m->fast && r >= slow_until ? block_len(m, rb, r, room) : 0;
        if (k >= 8 && !map_records(m, rb, r, k, b)) /* an error in the block: this block */
            slow_until = r + k, k = 0;                /* one by one, at most twice the work */
        if (k >= 8) {
            for (size_t i = 0; i < k; i++)
                m->rowraw[b->n_rows + i] = &rb->rows[r + i];
            b->n_rows += k;
            m->total += k;
            r += k - 1;
            continue;
        }
        m->total++;
        const char *e = rr->err;
        if (e == NULL)
            e = rb->names ? map_named(m, rb, rr, b, why, sizeof why)
                          : map_positional(m, rb, rr, b, why, sizeof why);
        if (e) {
            sl__mapper_reject(m, rr, e);
            continue;
        }
        m->rowraw[b->n_rows++] = rr;
    }
    return finish_rows(m, b, start, err);
}
