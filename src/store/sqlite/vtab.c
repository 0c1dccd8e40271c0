/*
 * vtab.c - a columnar segment file as an SQLite table (store stage; query.c builds the query
 * view, compaction and partial-update checks their merges, over these tables).
 *
 *   CREATE VIRTUAL TABLE temp.s0 USING __sl_seg('<path>')   columns c0..c<n-1>, rowid = the
 *   row's ordinal in the file; values in encoding v2 (udf.c: sl__sq_result)
 *
 * So everything SQLite does over a table - the keyed merges' window functions, the renderer's
 * SQL for whatever the vectorised scan (scan.c) does not run - runs unchanged over segment
 * files. Comparisons of a column with a constant (=, <, <=, >, >=, IS) reach xFilter, which
 * skips every row group whose bounds exclude them; SQLite still checks each row itself. A
 * chunk is decoded when a row of its row group first asks for that column.
 *
 * The column types come from the module's client data (registered per connection with the
 * table's segment types, sl__sq_seg_module).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../core/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/mem.h"
#include "internal.h"

typedef struct sq_vt {
    sqlite3_vtab base;
    const sq_vtypes *types;
    sq_segr r;
} sq_vt;

typedef struct sq_cur {
    sqlite3_vtab_cursor base;
    sq_vt *vt;
    size_t rg;                  /* current row group */
    size_t row;                 /* row within it */
    bool eof;
    uint8_t *skip;              /* per row group: excluded by the filter */
    sq_colvec *cols;            /* per column: the decoded chunk ... */
    size_t *cols_rg;            /* ... of this row group (SIZE_MAX: none) */
    sl_err err;
} sq_cur;

/* Constraint ops pushed to xFilter, in idxStr as "<col>:<op>," per argv value. */
enum { OP_EQ = SQ_OP_EQ, OP_LT = SQ_OP_LT, OP_LE = SQ_OP_LE, OP_GT = SQ_OP_GT, OP_GE = SQ_OP_GE };

static int vt_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                      sqlite3_vtab **out, char **errmsg)
{
    const sq_vtypes *ty = aux;
    if (argc != 4) {
        *errmsg = sqlite3_mprintf("__sl_seg takes one argument: the segment file");
        return SQLITE_ERROR;
    }
    size_t n = strlen(argv[3]);
    char *path = sqlite3_malloc64(n + 1);
    sq_vt *vt = sqlite3_malloc64(sizeof *vt);
    sl_buf decl = SL_BUF_INIT;
    if (path == NULL || vt == NULL) {
        sqlite3_free(path), sqlite3_free(vt);
        return SQLITE_NOMEM;
    }
    memset(vt, 0, sizeof *vt);
    vt->types = ty;
    /* the argument as written: 'quoted' */
    const char *a = argv[3];
    if (n >= 2 && (a[0] == '\'' || a[0] == '"') && a[n - 1] == a[0])
        a++, n -= 2;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        path[k++] = a[i];
        if (a[i] == '\'' && i + 1 < n && a[i + 1] == '\'')
            i++; /* '' inside quotes */
    }
    path[k] = '\0';
    sl_err err = {0};
    int rc = SQLITE_OK;
    if (sl__sq_segr_open(&vt->r, path, ty->types, ty->n, &err) != SL_OK) {
        *errmsg = sqlite3_mprintf("%s", err.msg);
        rc = err.code == SL_NOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
    }
    sl_buf_puts(&decl, "CREATE TABLE x(");
    for (size_t c = 0; c < ty->n; c++)
        sl_buf_printf(&decl, "%sc%zu", c ? "," : "", c);
    sl_buf_puts(&decl, ")");
    if (rc == SQLITE_OK)
        rc = decl.oom ? SQLITE_NOMEM : sqlite3_declare_vtab(db, decl.p);
    sl_buf_free(&decl);
    sqlite3_free(path);
    if (rc != SQLITE_OK) {
        sl__sq_segr_close(&vt->r);
        sqlite3_free(vt);
        return rc;
    }
    *out = &vt->base;
    return SQLITE_OK;
}

static int vt_disconnect(sqlite3_vtab *base)
{
    sq_vt *vt = (sq_vt *)base;
    sl__sq_segr_close(&vt->r);
    sqlite3_free(vt);
    return SQLITE_OK;
}

static char op_code(unsigned char op)
{
    switch (op) {
    case SQLITE_INDEX_CONSTRAINT_EQ:
    case SQLITE_INDEX_CONSTRAINT_IS: return OP_EQ;
    case SQLITE_INDEX_CONSTRAINT_LT: return OP_LT;
    case SQLITE_INDEX_CONSTRAINT_LE: return OP_LE;
    case SQLITE_INDEX_CONSTRAINT_GT: return OP_GT;
    case SQLITE_INDEX_CONSTRAINT_GE: return OP_GE;
    default: return 0;
    }
}

static int vt_best_index(sqlite3_vtab *base, sqlite3_index_info *ix)
{
    sq_vt *vt = (sq_vt *)base;
    sl_buf s = SL_BUF_INIT;
    int argv = 0;
    for (int i = 0; i < ix->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &ix->aConstraint[i];
        char op = op_code(c->op);
        if (!c->usable || c->iColumn < 0 || op == 0 || argv >= 32)
            continue;
        ix->aConstraintUsage[i].argvIndex = ++argv;
        ix->aConstraintUsage[i].omit = 0; /* only used to skip row groups */
        sl_buf_printf(&s, "%d:%c,", c->iColumn, op);
    }
    double rows = (double)vt->r.rows + 1;
    ix->estimatedRows = (sqlite3_int64)rows;
    ix->estimatedCost = argv ? rows / 2 : rows;
    if (s.oom) {
        sl_buf_free(&s);
        return SQLITE_NOMEM;
    }
    if (s.len) {
        ix->idxStr = sqlite3_mprintf("%s", s.p);
        ix->needToFreeIdxStr = 1;
        if (ix->idxStr == NULL) {
            sl_buf_free(&s);
            return SQLITE_NOMEM;
        }
    }
    sl_buf_free(&s);
    return SQLITE_OK;
}

static int vt_open(sqlite3_vtab *base, sqlite3_vtab_cursor **out)
{
    sq_vt *vt = (sq_vt *)base;
    sq_cur *c = sqlite3_malloc64(sizeof *c);
    size_t n = vt->types->n;
    if (c == NULL)
        return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    c->vt = vt;
    c->skip = sl_calloc(vt->r.n_rg + 1);
    c->cols = sl_calloc((n + 1) * sizeof *c->cols);
    c->cols_rg = sl_malloc((n + 1) * sizeof *c->cols_rg);
    if (c->skip == NULL || c->cols == NULL || c->cols_rg == NULL) {
        sl_free(c->skip), sl_free(c->cols), sl_free(c->cols_rg);
        sqlite3_free(c);
        return SQLITE_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        c->cols_rg[i] = SIZE_MAX;
    *out = &c->base;
    return SQLITE_OK;
}

static int vt_close(sqlite3_vtab_cursor *base)
{
    sq_cur *c = (sq_cur *)base;
    for (size_t i = 0; i < c->vt->types->n; i++)
        sl__sq_colvec_free(&c->cols[i]);
    sl_free(c->cols);
    sl_free(c->cols_rg);
    sl_free(c->skip);
    sqlite3_free(c);
    return SQLITE_OK;
}

/* Is v of the stored kind of class cls, so that the bounds compare as SQLite would? (SQLite
 * orders a TEXT after every number: a number against text bounds must not skip.) */
static bool same_kind(sqlite3_value *v, const sl_type *t)
{
    int k = sqlite3_value_type(v);
    switch (sl__sq_class(t)) {
    case SQ_INT: return k == SQLITE_INTEGER;
    case SQ_WIDE: return k == SQLITE_BLOB && sqlite3_value_bytes(v) == 16;
    case SQ_F64: return k == SQLITE_FLOAT || k == SQLITE_INTEGER;
    case SQ_BYTES: return k == SQLITE_TEXT && !sl_type_is_blob(t); /* blobs keep no bounds */
    }
    return false;
}

bool sl__sq_excluded(const sq_stats *st, const sl_type *t, char op, const sl_datum *v)
{
    if (!st->has_minmax)
        return false;
    int lo = sl__sq_cmp(t, &st->lo, v), hi = sl__sq_cmp(t, &st->hi, v);
    switch (op) {
    case OP_EQ: return lo > 0 || hi < 0;
    case OP_LT: return lo >= 0;
    case OP_LE: return lo > 0;
    case OP_GT: return hi <= 0;
    default: return hi < 0; /* OP_GE */
    }
}

/* Skip to the first row of a row group that is not excluded, from rg on. */
static void seek(sq_cur *c, size_t rg)
{
    const sq_segr *r = &c->vt->r;
    while (rg < r->n_rg && (c->skip[rg] || r->rg_rows[rg] == 0))
        rg++;
    c->rg = rg;
    c->row = 0;
    c->eof = rg >= r->n_rg;
}

static int vt_filter(sqlite3_vtab_cursor *base, int idx, const char *idx_str, int argc,
                     sqlite3_value **argv)
{
    sq_cur *c = (sq_cur *)base;
    const sq_segr *r = &c->vt->r;
    const sl_type *types = c->vt->types->types;
    (void)idx;
    memset(c->skip, 0, r->n_rg + 1);
    const char *p = idx_str;
    for (int i = 0; p && *p && i < argc; i++) {
        char *end;
        long col = strtol(p, &end, 10);
        char op = end[0] == ':' ? end[1] : 0;
        p = strchr(end, ',');
        p = p ? p + 1 : NULL;
        if (col < 0 || (size_t)col >= c->vt->types->n || op == 0)
            continue;
        bool null;
        sl_datum v;
        sl_err e = {0};
        /* a constant of another kind (text against numbers, ...) skips nothing */
        if (!same_kind(argv[i], &types[col]) ||
            sl__sq_decode(argv[i], &types[col], &null, &v, &e) != SL_OK || null)
            continue;
        for (size_t rg = 0; rg < r->n_rg; rg++)
            if (sl__sq_excluded(&r->st[rg * r->n_cols + (size_t)col], &types[col], op, &v))
                c->skip[rg] = 1;
    }
    seek(c, 0);
    return SQLITE_OK;
}

static int vt_next(sqlite3_vtab_cursor *base)
{
    sq_cur *c = (sq_cur *)base;
    if (++c->row >= c->vt->r.rg_rows[c->rg])
        seek(c, c->rg + 1);
    return SQLITE_OK;
}

static int vt_eof(sqlite3_vtab_cursor *base)
{
    return ((sq_cur *)base)->eof;
}

static int vt_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx, int i)
{
    sq_cur *c = (sq_cur *)base;
    const sl_type *t = &c->vt->types->types[i];
    sq_colvec *cv = &c->cols[i];
    if (c->cols_rg[i] != c->rg) {
        sl_err e = {0};
        c->cols_rg[i] = SIZE_MAX;
        if (sl__sq_segr_column(&c->vt->r, c->rg, (size_t)i, t, cv, &e) != SL_OK) {
            sqlite3_result_error(ctx, e.msg, -1);
            if (e.code == SL_NOMEM)
                sqlite3_result_error_nomem(ctx);
            return SQLITE_ERROR;
        }
        c->cols_rg[i] = c->rg;
    }
    sl__sq_result(ctx, t, cv->null[c->row] != 0, &cv->v[c->row]);
    return SQLITE_OK;
}

static int vt_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid)
{
    sq_cur *c = (sq_cur *)base;
    *rowid = (sqlite3_int64)(c->vt->r.rg_first[c->rg] + c->row);
    return SQLITE_OK;
}

static const sqlite3_module seg_module = {
    .iVersion = 0,
    .xCreate = vt_connect,
    .xConnect = vt_connect,
    .xBestIndex = vt_best_index,
    .xDisconnect = vt_disconnect,
    .xDestroy = vt_disconnect,
    .xOpen = vt_open,
    .xClose = vt_close,
    .xFilter = vt_filter,
    .xNext = vt_next,
    .xEof = vt_eof,
    .xColumn = vt_column,
    .xRowid = vt_rowid,
};

sl_code sl__sq_seg_module(sqlite3 *db, const sl_tabledef *def, sl_err *err)
{
    size_t n = sl__sq_seg_cols(def);
    sq_vtypes *vt = sl_malloc(sizeof *vt + (n + 1) * sizeof(sl_type));
    if (vt == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    sl_type *types = (sl_type *)(vt + 1);
    vt->n = sl__sq_seg_types(def, types);
    vt->types = types;
    /* SQLite frees the types with the connection (or at once when registering fails) */
    if (sqlite3_create_module_v2(db, "__sl_seg", &seg_module, vt, sl_free) != SQLITE_OK)
        return sl__sq_error(db, "cannot register the segment table", err);
    return SL_OK;
}

sl_code sl__sq_seg_table(sqlite3 *db, const char *name, const char *path, sl_err *err)
{
    char *sql = sqlite3_mprintf("CREATE VIRTUAL TABLE temp.%s USING __sl_seg(%Q)", name, path);
    sl_code rc = sql ? sl__sq_exec(db, sql, err) : sl_fail(err, SL_NOMEM, "out of memory");
    sqlite3_free(sql);
    return rc;
}
