/*
 * yamcs_meta.c - Yamcs table metadata: GET /api/archive/{inst}/tables (ListTables), GET
 * .../tables/{t} (GetTable) and POST /api/archive/{inst}:executeSql for CREATE TABLE / DROP
 * TABLE in Yamcs's StreamSQL (proto stage). Spec: specs/yamcs-tables.md §4.3, §4.5.
 *
 *   CREATE TABLE t (c TYPE [AUTO_INCREMENT], ..., PRIMARY KEY(k, ...) [, INDEX(...)]) [clauses]
 *     -> Doris DDL: key columns first, UNIQUE KEY(k...) (a duplicate key replaces the row),
 *        PROPERTIES("yamcs.types" = "T1;T2;...") so dumps give back the Yamcs type names
 *     -> src/sql parses it -> store create_table
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/jsonval.h"
#include "../core/mem.h"
#include "yamcs_internal.h"

/* ---- TableInfo ------------------------------------------------------------------------ */

/* The Yamcs script: create table t("c1" T1, ...) primary key(k1, ...) engine sluice */
static void script(sl_buf *b, const sl_tabledef *def, const sl_pbrows_schema *s)
{
    sl_buf_printf(b, "create table %.*s(", (int)def->name.n, def->name.p);
    for (size_t c = 0; c < def->n_cols; c++) {
        char tn[320];
        sl_ytype_name(&s->types[c], tn, sizeof tn);
        sl_buf_printf(b, "%s\"%.*s\" %s", c ? ", " : "", (int)def->cols[c].name.n,
                      def->cols[c].name.p, tn);
    }
    sl_buf_puts(b, ") primary key(");
    bool first = true;
    for (size_t c = 0; c < def->n_cols; c++)
        if (def->cols[c].key) {
            sl_buf_printf(b, "%s%.*s", first ? "" : ", ", (int)def->cols[c].name.n,
                          def->cols[c].name.p);
            first = false;
        }
    sl_buf_puts(b, ") engine sluice");
}

static void table_info_json(sl_buf *b, const sl_tabledef *def, const sl_pbrows_schema *s)
{
    sl_buf_puts(b, "{\"name\":");
    sl_json_str(b, def->name.p, def->name.n);
    for (int pass = 0; pass < 2; pass++) {
        sl_buf_puts(b, pass ? ",\"valueColumn\":[" : ",\"keyColumn\":[");
        bool first = true;
        for (size_t c = 0; c < def->n_cols; c++) {
            if (def->cols[c].key != (pass == 0))
                continue;
            char tn[320];
            sl_ytype_name(&s->types[c], tn, sizeof tn);
            sl_buf_puts(b, first ? "{\"name\":" : ",{\"name\":");
            sl_json_str(b, def->cols[c].name.p, def->cols[c].name.n);
            sl_buf_puts(b, ",\"type\":");
            sl_json_cstr(b, tn);
            sl_buf_puts(b, ",\"autoIncrement\":false}");
            first = false;
        }
        sl_buf_putc(b, ']');
    }
    sl_buf scr = SL_BUF_INIT;
    script(&scr, def, s);
    sl_buf_puts(b, ",\"script\":");
    sl_json_str(b, scr.p ? scr.p : "", scr.len);
    sl_buf_free(&scr);
    sl_buf_puts(b, ",\"storageEngine\":\"sluice\",\"formatVersion\":3,\"compressed\":false}");
}

static void table_info_pb(sl_buf *b, const sl_tabledef *def, const sl_pbrows_schema *s)
{
    sl__pb_bytes(b, 1, def->name.p, def->name.n);
    sl_buf col = SL_BUF_INIT;
    for (int pass = 0; pass < 2; pass++)
        for (size_t c = 0; c < def->n_cols; c++) {
            if (def->cols[c].key != (pass == 0))
                continue;
            char tn[320];
            size_t tl = sl_ytype_name(&s->types[c], tn, sizeof tn);
            sl_buf_clear(&col);
            sl__pb_bytes(&col, 1, def->cols[c].name.p, def->cols[c].name.n);
            sl__pb_bytes(&col, 2, tn, tl);
            sl__pb_uint(&col, 4, 0);
            sl__pb_bytes(b, pass ? 3 : 2, col.p, col.len);
        }
    sl_buf_clear(&col);
    script(&col, def, s);
    sl__pb_bytes(b, 4, col.p, col.len);
    sl__pb_bytes(b, 6, "sluice", 6);
    sl__pb_uint(b, 7, 3);
    sl__pb_uint(b, 9, 0);
    b->oom = b->oom || col.oom;
    sl_buf_free(&col);
}

static void respond_buf(sl_http_req *r, const yamcs_ctx *y, sl_buf *b, bool proto)
{
    if (b->oom)
        sl__yamcs_error(r, y, SL_NOMEM, "out of memory", false, 0);
    else
        sl_http_respond(r, 200, proto ? "application/protobuf" : "application/json",
                        b->p ? b->p : "", b->len);
}

void sl__yamcs_get(sl_http_req *r, yamcs_ctx *y)
{
    bool proto = sl__yamcs_proto_reply(r);
    sl_buf b = SL_BUF_INIT;
    if (proto)
        table_info_pb(&b, y->def, &y->schema);
    else
        table_info_json(&b, y->def, &y->schema);
    respond_buf(r, y, &b, proto);
    sl_buf_free(&b);
}

static int cmp_ci(const void *a, const void *b)
{
    const sl_slice *x = a, *z = b;
    size_t n = x->n < z->n ? x->n : z->n;
    int c = strncasecmp(x->p, z->p, n);
    return c ? c : (x->n > z->n) - (x->n < z->n);
}

void sl__yamcs_list(sl_http_req *r, yamcs_ctx *y)
{
    sl_app *app = r->app;
    sl_err err = {0};
    sl_slice *names;
    size_t n;
    sl_code rc = sl_store_list_tables(app->store, y->db, &r->arena, &names, &n, &err);
    if (rc != SL_OK) {
        char msg[300];
        snprintf(msg, sizeof msg, "No instance named '%.*s'", (int)y->db.n, y->db.p);
        sl__yamcs_error(r, y, SL_PRIMARY(rc) == SL_NOT_FOUND ? SL_NOT_FOUND : rc,
                        SL_PRIMARY(rc) == SL_NOT_FOUND ? msg : err.msg, false, 0);
        return;
    }
    qsort(names, n, sizeof *names, cmp_ci);
    bool proto = sl__yamcs_proto_reply(r);
    sl_buf b = SL_BUF_INIT, one = SL_BUF_INIT;
    if (!proto)
        sl_buf_puts(&b, "{\"tables\":[");
    size_t shown = 0;
    for (size_t i = 0; i < n; i++) {
        sl_tabledef *def;
        int64_t id;
        sl_pbrows_schema s;
        if (sl_catalog_table(&app->env, y->db, names[i], &r->arena, &def, &id, &err) != SL_OK ||
            sl_pbrows_schema_init(&s, def, &r->arena, &err) != SL_OK)
            continue; /* dropped meanwhile, or not readable: leave it out */
        if (proto) {
            sl_buf_clear(&one);
            table_info_pb(&one, def, &s);
            sl__pb_bytes(&b, 1, one.p, one.len);
        } else {
            if (shown)
                sl_buf_putc(&b, ',');
            table_info_json(&b, def, &s);
        }
        shown++;
    }
    if (!proto)
        sl_buf_puts(&b, "]}");
    b.oom = b.oom || one.oom;
    respond_buf(r, y, &b, proto);
    sl_buf_free(&b);
    sl_buf_free(&one);
}

/* ---- executeSql: Yamcs CREATE TABLE ------------------------------------------------------ */

typedef struct lexer {
    const char *p, *end;
    sl_slice tok;         /* current token; quoted identifiers and strings without quotes */
    char kind;            /* 'w' word, 's' string, 'q' quoted identifier, punct char, 0 end */
} lexer;

static void next(lexer *L)
{
    while (L->p < L->end && isspace((unsigned char)*L->p))
        L->p++;
    if (L->p >= L->end) {
        L->kind = 0;
        L->tok = (sl_slice){L->p, 0};
        return;
    }
    const char *s = L->p;
    char c = *s;
    if (c == '\'' || c == '"') {
        const char *q = memchr(s + 1, c, (size_t)(L->end - s - 1));
        if (q == NULL) {
            L->kind = '?';
            L->p = L->end;
            return;
        }
        L->kind = c == '\'' ? 's' : 'q';
        L->tok = (sl_slice){s + 1, (size_t)(q - s - 1)};
        L->p = q + 1;
        return;
    }
    if (isalnum((unsigned char)c) || c == '_' || c == '$' || c == '.') {
        while (L->p < L->end && (isalnum((unsigned char)*L->p) || *L->p == '_' ||
                                 *L->p == '$' || *L->p == '.'))
            L->p++;
        L->kind = 'w';
    } else {
        L->p++;
        L->kind = c;
    }
    L->tok = (sl_slice){s, (size_t)(L->p - s)};
}

static bool kw(const lexer *L, const char *w)
{
    return L->kind == 'w' && sl_slice_ieq(L->tok, w);
}

typedef struct ycol {
    sl_slice name;
    sl_ytype t;
    char tname[320];
    bool key;
    size_t key_pos;
} ycol;

/* Yamcs SQL type: INT LONG ... PROTOBUF('cls'), optionally followed by [] (ARRAY). */
static sl_code parse_type(lexer *L, ycol *c, sl_err *err)
{
    char base[300];
    if (L->kind != 'w')
        return sl_fail(err, SL_INVALID, "expected a type for column '%.*s'", (int)c->name.n,
                       c->name.p);
    if (kw(L, "PROTOBUF")) {
        next(L);
        if (L->kind != '(')
            return sl_fail(err, SL_INVALID, "expected ( after PROTOBUF");
        next(L);
        if (L->kind != 's' && L->kind != 'w')
            return sl_fail(err, SL_INVALID, "expected a class name in PROTOBUF(...)");
        snprintf(base, sizeof base, "PROTOBUF(%.*s)", (int)(L->tok.n > 280 ? 280 : L->tok.n),
                 L->tok.p);
        next(L);
        if (L->kind != ')')
            return sl_fail(err, SL_INVALID, "expected ) after the PROTOBUF class");
    } else {
        size_t n = L->tok.n > 60 ? 60 : L->tok.n;
        for (size_t i = 0; i < n; i++)
            base[i] = (char)toupper((unsigned char)L->tok.p[i]);
        base[n] = 0;
    }
    next(L);
    if (L->kind == '[') {
        next(L);
        if (L->kind != ']')
            return sl_fail(err, SL_INVALID, "expected ]");
        next(L);
        snprintf(c->tname, sizeof c->tname, "ARRAY(%s)", base);
    } else
        snprintf(c->tname, sizeof c->tname, "%s", base);
    return sl_ytype_parse(sl_slice_of(c->tname), &c->t, err);
}

/* A name list in parentheses: (a, b, ...). Each name must be a column; key_pos set for keys. */
static sl_code name_list(lexer *L, ycol *cols, size_t n, bool keys, size_t *n_keys, sl_err *err)
{
    next(L);
    if (L->kind != '(')
        return sl_fail(err, SL_INVALID, "expected (");
    do {
        next(L);
        if (L->kind != 'w' && L->kind != 'q')
            return sl_fail(err, SL_INVALID, "expected a column name");
        size_t i = 0;
        while (i < n && !(cols[i].name.n == L->tok.n &&
                          memcmp(cols[i].name.p, L->tok.p, L->tok.n) == 0))
            i++;
        if (i == n)
            return sl_fail(err, SL_INVALID, "unknown column '%.*s'", (int)L->tok.n, L->tok.p);
        if (keys) {
            if (cols[i].key)
                return sl_fail(err, SL_INVALID, "duplicate key column '%.*s'", (int)L->tok.n,
                               L->tok.p);
            cols[i].key = true;
            cols[i].key_pos = (*n_keys)++;
        }
        next(L);
    } while (L->kind == ',');
    if (L->kind != ')')
        return sl_fail(err, SL_INVALID, "expected )");
    next(L);
    return SL_OK;
}

/* The sluice type for a Yamcs type (keys may not be STRING or DOUBLE in sluice). */
static sl_code sluice_type(const ycol *c, char *out, size_t cap, sl_err *err)
{
    const char *t = NULL;
    switch (c->t.id) {
    case SL_Y_BYTE: t = "TINYINT"; break;
    case SL_Y_SHORT: t = "SMALLINT"; break;
    case SL_Y_INT: t = "INT"; break;
    case SL_Y_LONG: t = "BIGINT"; break;
    case SL_Y_BOOLEAN: t = "BOOLEAN"; break;
    case SL_Y_TIMESTAMP: t = "DATETIME(3)"; break;
    case SL_Y_HRES_TIMESTAMP: t = "DATETIME(6)"; break;
    case SL_Y_UUID: t = "VARCHAR(36)"; break;
    case SL_Y_DOUBLE: t = c->key ? NULL : "DOUBLE"; break;
    case SL_Y_ARRAY: t = c->key ? NULL : "JSON"; break;
    default: t = c->key ? "VARCHAR(65533)" : "STRING"; break;
    }
    if (t == NULL)
        return sl_fail(err, SL_INVALID, "%s key columns are not supported", c->tname);
    snprintf(out, cap, "%s", t);
    return SL_OK;
}

/* Write the Doris DDL for the parsed Yamcs table: key columns first, in key order. */
static sl_code doris_ddl(sl_buf *b, sl_slice name, bool if_not, ycol *cols, size_t n,
                         size_t n_keys, sl_err *err)
{
    size_t *order = sl_malloc((n + 1) * sizeof *order), k = 0;
    if (order == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    for (size_t pos = 0; pos < n_keys; pos++)
        for (size_t i = 0; i < n; i++)
            if (cols[i].key && cols[i].key_pos == pos)
                order[k++] = i;
    for (size_t i = 0; i < n; i++)
        if (!cols[i].key)
            order[k++] = i;
    sl_buf_printf(b, "CREATE TABLE %s", if_not ? "IF NOT EXISTS " : "");
    sl_buf_ident(b, name);
    sl_buf_puts(b, " (");
    sl_code rc = SL_OK;
    for (size_t j = 0; j < n && rc == SL_OK; j++) {
        ycol *c = &cols[order[j]];
        char st[32];
        rc = sluice_type(c, st, sizeof st, err);
        if (j)
            sl_buf_puts(b, ", ");
        sl_buf_ident(b, c->name);
        sl_buf_printf(b, " %s%s", st, c->key ? " NOT NULL" : "");
    }
    sl_buf_puts(b, ") UNIQUE KEY(");
    for (size_t j = 0; j < n_keys; j++) {
        if (j)
            sl_buf_puts(b, ", ");
        sl_buf_ident(b, cols[order[j]].name);
    }
    sl_buf_puts(b, ") DISTRIBUTED BY HASH(");
    sl_buf_ident(b, cols[order[0]].name);
    sl_buf_puts(b, ") BUCKETS 1 PROPERTIES (\"yamcs.types\" = \"");
    for (size_t j = 0; j < n; j++)
        sl_buf_printf(b, "%s%s", j ? ";" : "", cols[order[j]].tname);
    sl_buf_puts(b, "\")");
    sl_free(order);
    return rc;
}

/* The rest of a statement after its last token: with clauses, words sluice ignores (ENGINE,
 * HISTOGRAM, ...); a ';' may only end the text. A second statement is refused rather than
 * silently skipped. */
static sl_code statement_end(lexer *L, bool clauses, sl_err *err)
{
    for (next(L); L->kind != 0; next(L)) {
        if (L->kind == ';') {
            next(L);
            if (L->kind == 0)
                break;
            return sl_fail(err, SL_INVALID, "multiple statements are not supported");
        }
        if (!clauses || L->kind == '?')
            return sl_fail(err, SL_INVALID, "syntax error near '%.*s'", (int)L->tok.n, L->tok.p);
    }
    return SL_OK;
}

/* Parse "CREATE TABLE ..." into Doris DDL in b; *name and *if_not receive the table. */
static sl_code parse_create(sl_http_req *r, lexer *L, sl_buf *b, sl_err *err)
{
    bool if_not = false;
    next(L);
    if (!kw(L, "TABLE"))
        return sl_fail(err, SL_INVALID, "only CREATE TABLE is supported");
    next(L);
    if (kw(L, "IF")) {
        next(L);
        if (!kw(L, "NOT"))
            return sl_fail(err, SL_INVALID, "expected NOT EXISTS");
        next(L);
        if (!kw(L, "EXISTS"))
            return sl_fail(err, SL_INVALID, "expected EXISTS");
        if_not = true;
        next(L);
    }
    if (L->kind != 'w' && L->kind != 'q')
        return sl_fail(err, SL_INVALID, "expected a table name");
    sl_slice name = L->tok;
    next(L);
    if (L->kind != '(')
        return sl_fail(err, SL_INVALID, "expected ( after the table name");
    size_t cap = 16, n = 0, n_keys = 0;
    ycol *cols = sl_arena_alloc(&r->arena, 256 * sizeof *cols);
    if (cols == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    cap = 256;
    sl_code rc = SL_OK;
    next(L);
    while (rc == SL_OK) {
        if (kw(L, "PRIMARY")) {
            next(L);
            if (!kw(L, "KEY"))
                return sl_fail(err, SL_INVALID, "expected KEY after PRIMARY");
            rc = name_list(L, cols, n, true, &n_keys, err);
        } else if (kw(L, "INDEX")) {
            rc = name_list(L, cols, n, false, &n_keys, err);
        } else if (L->kind == 'w' || L->kind == 'q') {
            if (n == cap)
                return sl_fail(err, SL_INVALID, "too many columns");
            ycol *c = &cols[n++];
            memset(c, 0, sizeof *c);
            c->name = L->tok;
            next(L);
            rc = parse_type(L, c, err);
            if (rc == SL_OK && kw(L, "AUTO_INCREMENT"))
                return sl_fail(err, SL_INVALID, "AUTO_INCREMENT is not supported");
        } else
            return sl_fail(err, SL_INVALID, "syntax error near '%.*s'", (int)L->tok.n, L->tok.p);
        if (rc != SL_OK || L->kind != ',')
            break;
        next(L);
    }
    if (rc != SL_OK)
        return rc;
    if (L->kind != ')')
        return sl_fail(err, SL_INVALID, "expected ) at the end of the column list");
    if (n_keys == 0)
        return sl_fail(err, SL_INVALID, "a primary key is required");
    /* HISTOGRAM, ENGINE, PARTITION BY, TABLESPACE, TABLE_FORMAT: accepted and ignored. */
    if ((rc = statement_end(L, true, err)) != SL_OK)
        return rc;
    return doris_ddl(b, name, if_not, cols, n, n_keys, err);
}

/* ExecuteSqlRequest{statement=2}: protobuf, or JSON {"statement": "..."}. */
static sl_code statement(sl_http_req *r, yamcs_ctx *y, sl_slice *out, sl_err *err)
{
    sl_slice body = {y->req.p ? y->req.p : "", y->req.len}, t = sl_slice_trim(body);
    *out = SL_SLICE_NULL;
    if (t.n && t.p[0] == '{') {
        sl_jval *j;
        if (sl_json_parse(t.p, t.n, &r->arena, &j, err) != SL_OK || j->type != SL_J_OBJ)
            return sl_fail(err, SL_INVALID, "invalid ExecuteSqlRequest");
        const sl_jval *s = sl_json_get(j, "statement");
        if (s && s->type == SL_J_STR)
            *out = s->s;
    } else {
        const uint8_t *p = (const uint8_t *)body.p, *end = p + body.n;
        unsigned f;
        uint64_t v;
        sl_slice s;
        bool bad;
        while (sl__pb_next(&p, end, &f, &v, &s, &bad))
            if (f == 2)
                *out = s;
        if (bad)
            return sl_fail(err, SL_INVALID, "invalid ExecuteSqlRequest");
    }
    return out->p ? SL_OK : sl_fail(err, SL_INVALID, "no statement");
}

/* The privilege a statement needs, checked by the rule of the SQL API (priv.c), so that the
 * same DDL needs the same privilege whichever protocol carries it. */
static sl_code ddl_allowed(sl_http_req *r, yamcs_ctx *y, const sl_stmt *st, sl_err *err)
{
    sl_app *app = r->app;
    sl_priv_action act;
    sl_slice db, table;
    sl_priv_of_stmt(st, y->db, &act, &db, &table);
    if (sl_priv_check(app->auth, &y->id, act, db, table, err) == SL_OK)
        return SL_OK;
    sl_err_clear(err);
    return sl_fail(err, SL_FORBIDDEN, "Insufficient privileges");
}

/* CREATE TABLE: Yamcs's statement -> Doris DDL -> src/sql -> privilege -> store. */
static sl_code run_create(sl_http_req *r, yamcs_ctx *y, lexer *L, sl_buf *ddl, sl_err *err)
{
    sl_app *app = r->app;
    sl_stmt st;
    sl_code rc = parse_create(r, L, ddl, err);
    if (rc == SL_OK && ddl->oom)
        rc = sl_fail(err, SL_NOMEM, "out of memory");
    if (rc == SL_OK)
        rc = sl_sql_parse(ddl->p, ddl->len, &r->arena, &st, err);
    if (rc == SL_OK)
        rc = ddl_allowed(r, y, &st, err);
    if (rc == SL_OK)
        rc = sl_store_create_table(app->store, y->db, st.table, (sl_slice){ddl->p, ddl->len},
                                   st.if_not_exists, err);
    return rc;
}

/* DROP [TABLE] [IF EXISTS] t (DROP is consumed). */
static sl_code run_drop(sl_http_req *r, yamcs_ctx *y, lexer *L, sl_err *err)
{
    sl_app *app = r->app;
    sl_stmt st;
    memset(&st, 0, sizeof st);
    st.kind = SL_STMT_DROP_TABLE;
    next(L);
    if (kw(L, "TABLE"))
        next(L);
    if (kw(L, "IF")) {
        next(L), next(L);
        st.if_exists = true;
    }
    if (L->kind != 'w' && L->kind != 'q')
        return sl_fail(err, SL_INVALID, "expected a table name");
    st.name = L->tok;
    sl_code rc = statement_end(L, false, err);
    if (rc == SL_OK)
        rc = ddl_allowed(r, y, &st, err);
    if (rc == SL_OK)
        rc = sl_store_drop_table(app->store, y->db, st.name, st.if_exists, err);
    return rc;
}

void sl__yamcs_sql_end(sl_http_req *r, yamcs_ctx *y)
{
    sl_err err = {0};
    sl_slice text;
    sl_buf ddl = SL_BUF_INIT;
    sl_code rc = statement(r, y, &text, &err);
    lexer L = {text.p, text.p + text.n, SL_SLICE_NULL, 0};
    if (rc == SL_OK) {
        next(&L);
        if (kw(&L, "CREATE"))
            rc = run_create(r, y, &L, &ddl, &err);
        else if (kw(&L, "DROP"))
            rc = run_drop(r, y, &L, &err);
        else
            rc = sl_fail(&err, SL_INVALID, "only CREATE TABLE and DROP TABLE are supported");
    }
    if (rc == SL_NOT_FOUND_DB) {
        char msg[300];
        snprintf(msg, sizeof msg, "No instance named '%.*s'", (int)y->db.n, y->db.p);
        sl__yamcs_error(r, y, rc, msg, false, 0);
    } else if (rc != SL_OK)
        sl__yamcs_error(r, y, rc, err.msg, false, 0);
    else if (sl__yamcs_proto_reply(r))
        sl_http_respond(r, 200, "application/protobuf", "", 0);
    else
        sl_http_respond(r, 200, "application/json", "{}", 2);
    sl_buf_free(&ddl);
}
