/*
 * mysql_session.c - the session statements of the MySQL adapter (proto stage): what clients
 * ask on connect and between statements, answered here without the executor, since they are
 * about the connection rather than data (docs/mysql.md lists them).
 *
 *   SET ... (not SET PASSWORD)        OK; SET autocommit is remembered (statements commit
 *                                     anyway), the rest accepted and ignored
 *   USE db                            as COM_INIT_DB
 *   COMMIT, ROLLBACK                  OK (nothing is ever pending)
 *   SHOW [GLOBAL|SESSION] VARIABLES [LIKE 'p' | WHERE ...]   the variables below
 *   SHOW WARNINGS | ERRORS | STATUS | COLLATION | CHARACTER SET   small fixed results
 *   SELECT @@var, DATABASE(), USER(), CONNECTION_ID(), VERSION(), ... [LIMIT n]  (no FROM)
 *
 * Anything else - including SELECT with a FROM or an expression - goes to the executor.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../../include/sluice.h"
#include "mysql_internal.h"

/* ---- tokens ---------------------------------------------------------------------------------- */

enum { T_WORD = 'w', T_STR = 's', T_QUOTED = 'q' }; /* else the punctuation character */

typedef struct tok {
    int kind;
    sl_slice s;                 /* a string's or identifier's contents, without quotes */
    const char *at, *end;       /* the token as written */
} tok;

#define MAX_TOKS 64             /* session statements are short; longer text is not one */

static bool word_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '_' || ch == '$' || ch == '@' || ch == '.';
}

/* Skip spaces and comments (/ * * /, MySQL's version comments included, -- and #). */
static const char *skip(const char *p, const char *end)
{
    while (p < end) {
        if (isspace((unsigned char)*p) || *p == ';')
            p++;
        else if (*p == '#' || (end - p >= 3 && p[0] == '-' && p[1] == '-' &&
                               isspace((unsigned char)p[2]))) {
            while (p < end && *p != '\n')
                p++;
        } else if (end - p >= 2 && p[0] == '/' && p[1] == '*') {
            const char *q = p + 2;
            while (q + 1 < end && !(q[0] == '*' && q[1] == '/'))
                q++;
            p = q + 1 < end ? q + 2 : end;
        } else
            break;
    }
    return p;
}

/* The tokens of text; SIZE_MAX when there are too many or a quote is not closed. */
static size_t tokenize(sl_slice text, tok *t, size_t cap)
{
    const char *p = text.p, *end = text.p + text.n;
    size_t n = 0;
    while ((p = skip(p, end)) < end) {
        if (n == cap)
            return SIZE_MAX;
        tok *k = &t[n++];
        k->at = p;
        if (*p == '\'' || *p == '"' || *p == '`') {
            char q = *p++;
            const char *s = p;
            while (p < end && *p != q)
                p += *p == '\\' && q != '`' && p + 1 < end ? 2 : 1;
            if (p >= end)
                return SIZE_MAX;
            k->kind = q == '`' ? T_QUOTED : T_STR;
            k->s = (sl_slice){s, (size_t)(p - s)};
            p++;
        } else if (word_char(*p)) {
            const char *s = p;
            while (p < end && word_char(*p))
                p++;
            k->kind = T_WORD;
            k->s = (sl_slice){s, (size_t)(p - s)};
        } else {
            k->kind = (unsigned char)*p;
            k->s = (sl_slice){p, 1};
            p++;
        }
        k->end = p;
    }
    return n;
}

static bool is_word(const tok *t, const char *w)
{
    return t->kind == T_WORD && sl_slice_ieq(t->s, w);
}

/* ---- variables ------------------------------------------------------------------------------ */

typedef struct var {
    const char *name;
    char value[96];
    bool numeric;
} var;

/* Every variable we answer, with this session's values. show: SHOW's spelling (ON/OFF). */
static size_t variables(const sl_mysql_conn *c, var *v, bool show)
{
    const sl_app *app = c->app;
    const my_sess *ms = c->ctx;
    static const struct {
        const char *name, *value;
    } fixed[] = {
        {"auto_increment_increment", "1"}, {"character_set_client", "utf8mb4"},
        {"character_set_connection", "utf8mb4"}, {"character_set_database", "utf8mb4"},
        {"character_set_results", "utf8mb4"}, {"character_set_server", "utf8mb4"},
        {"character_set_system", "utf8"}, {"collation_connection", "utf8mb4_general_ci"},
        {"collation_database", "utf8mb4_general_ci"}, {"collation_server", "utf8mb4_general_ci"},
        {"init_connect", ""}, {"interactive_timeout", "28800"},
        {"license", "Apache License, Version 2.0"}, {"lower_case_table_names", "0"},
        {"max_allowed_packet", "16777216"}, {"max_connections", "1024"},
        {"net_buffer_length", "16384"}, {"net_read_timeout", "30"},
        {"net_write_timeout", "600"}, {"performance_schema", "0"}, {"protocol_version", "10"},
        {"query_cache_size", "0"}, {"query_cache_type", "OFF"},
        {"sql_mode", "ONLY_FULL_GROUP_BY"}, {"transaction_isolation", "REPEATABLE-READ"},
        {"transaction_read_only", "0"}, {"tx_isolation", "REPEATABLE-READ"},
        {"tx_read_only", "0"}, {"version", "5.7.99"}, {"version_compile_os", "Linux"},
        {"wait_timeout", "28800"},
    };
    size_t n = 0;
    for (size_t i = 0; i < SL_COUNT(fixed); i++, n++) {
        v[n].name = fixed[i].name;
        snprintf(v[n].value, sizeof v[n].value, "%s", fixed[i].value);
        const char *q = fixed[i].value;
        v[n].numeric = *q != '\0' && strspn(q, "0123456789") == strlen(q);
    }
    bool ac = ms == NULL || ms->autocommit;
    v[n] = (var){"autocommit", "", !show};
    snprintf(v[n++].value, sizeof v[0].value, "%s", show ? (ac ? "ON" : "OFF") : ac ? "1" : "0");
    v[n] = (var){"have_ssl", "", false};
    snprintf(v[n++].value, sizeof v[0].value, "%s", app->mysql_tls || app->tls_ctx ? "YES"
                                                                                   : "DISABLED");
    v[n] = (var){"port", "", true};
    snprintf(v[n++].value, sizeof v[0].value, "%d", app->mysql_port);
    v[n] = (var){"system_time_zone", "", false};
    snprintf(v[n++].value, sizeof v[0].value, "%s", app->cfg.time_zone);
    v[n] = (var){"time_zone", "", false};
    snprintf(v[n++].value, sizeof v[0].value, "%s", app->cfg.time_zone);
    v[n] = (var){"version_comment", "", false};
    snprintf(v[n++].value, sizeof v[0].value, "sluice %s", sluice_version());
    return n;
}

#define MAX_VARS 48

/* SQL LIKE, case-insensitive, with % _ and backslash escapes. */
static bool like(const char *p, const char *pe, const char *s)
{
    while (p < pe) {
        if (*p == '%') {
            for (const char *t = s;; t++) {
                if (like(p + 1, pe, t))
                    return true;
                if (*t == '\0')
                    return false;
            }
        }
        if (*s == '\0')
            return false;
        if (*p == '\\' && p + 1 < pe)
            p++;
        else if (*p == '_') {
            p++, s++;
            continue;
        }
        if (tolower((unsigned char)*p) != tolower((unsigned char)*s))
            return false;
        p++, s++;
    }
    return *s == '\0';
}

/* SHOW [GLOBAL|SESSION] VARIABLES [LIKE 'p' | WHERE ...]: WHERE keeps the variables any
 * quoted string of it matches (as a LIKE pattern), which is what clients write:
 * `WHERE Variable_name IN ('a', 'b')`, `WHERE Variable_name = 'x'`. */
static void show_variables(sl_mysql_conn *c, const tok *t, size_t n, sl_my_out *o)
{
    var v[MAX_VARS];
    size_t nv = variables(c, v, true), k = 0;
    sl_slice *cells = sl_arena_alloc(&c->arena, 2 * nv * sizeof *cells);
    if (cells == NULL) {
        sl__my_stmt_error(o, 1105, "out of memory");
        return;
    }
    bool filter = n > 0;
    for (size_t i = 0; i < nv; i++) {
        bool keep = !filter;
        for (size_t j = 0; filter && !keep && j < n; j++)
            keep = t[j].kind == T_STR && like(t[j].s.p, t[j].s.p + t[j].s.n, v[i].name);
        if (!keep)
            continue;
        cells[2 * k] = sl_slice_of(v[i].name);
        cells[2 * k + 1] = sl_arena_slice(&c->arena, sl_slice_of(v[i].value));
        k++;
    }
    static const char *const names[] = {"Variable_name", "Value"};
    sl__my_text_rows(c, o, names, NULL, 2, cells, k);
}

/* ---- SELECT @@var, DATABASE(), ... ---------------------------------------------------------- */

/* The value of one item (p == NULL: NULL); false when it is not a session item. *numeric tells
 * the column's type; an unknown @@variable is written as ERR into o and *err set. */
static bool item_value(sl_mysql_conn *c, const tok *t, size_t n, sl_slice *val, bool *numeric,
                       bool *unknown)
{
    my_sess *ms = c->ctx;
    *numeric = false;
    if (n == 1 && t[0].kind == T_WORD && t[0].s.n > 2 && memcmp(t[0].s.p, "@@", 2) == 0) {
        sl_slice name = {t[0].s.p + 2, t[0].s.n - 2};
        const char *dot = memchr(name.p, '.', name.n);
        if (dot)
            name = (sl_slice){dot + 1, name.n - (size_t)(dot + 1 - name.p)};
        var v[MAX_VARS];
        size_t nv = variables(c, v, false);
        for (size_t i = 0; i < nv; i++)
            if (sl_slice_ieq(name, v[i].name)) {
                *val = sl_arena_slice(&c->arena, sl_slice_of(v[i].value));
                *numeric = v[i].numeric;
                return true;
            }
        *unknown = true;
        *val = name;
        return true;
    }
    bool call = n == 3 && t[1].kind == '(' && t[2].kind == ')';
    if (t[0].kind != T_WORD || !(call || (n == 1 && is_word(&t[0], "CURRENT_USER"))))
        return false;
    if (is_word(&t[0], "DATABASE") || is_word(&t[0], "SCHEMA"))
        *val = ms->has_db ? sl_arena_slice(&c->arena, sl_slice_of(ms->db)) : SL_SLICE_NULL;
    else if (is_word(&t[0], "USER") || is_word(&t[0], "SESSION_USER") ||
             is_word(&t[0], "SYSTEM_USER"))
        *val = sl_slice_of(sl_arena_printf(&c->arena, "%s@%s", ms->user, c->peer_ip));
    else if (is_word(&t[0], "CURRENT_USER"))
        *val = sl_slice_of(sl_arena_printf(&c->arena, "'%s'@'%%'", ms->user));
    else if (is_word(&t[0], "CONNECTION_ID"))
        *val = sl_slice_of(sl_arena_printf(&c->arena, "%u", c->id)), *numeric = true;
    else if (is_word(&t[0], "LAST_INSERT_ID"))
        *val = SL_LIT("0"), *numeric = true;
    else if (is_word(&t[0], "VERSION"))
        *val = SL_LIT("5.7.99");
    else
        return false;
    return true;
}

#define MAX_ITEMS 16

/* SELECT items [LIMIT n] where every item is a session item; false (nothing written) when
 * the statement is anything else. */
static bool select_session(sl_mysql_conn *c, const tok *t, size_t n, sl_my_out *o)
{
    const char *names[MAX_ITEMS];
    bool numeric[MAX_ITEMS];
    sl_slice cells[MAX_ITEMS];
    size_t k = 0;
    if (n > 2 && is_word(&t[n - 2], "LIMIT") && t[n - 1].kind == T_WORD)
        n -= 2; /* LIMIT n of a one-row result: the mysql client's @@version_comment LIMIT 1 */
    for (size_t i = 1; i < n; k++) {
        size_t j = i;
        for (int depth = 0; j < n && (depth > 0 || t[j].kind != ','); j++)
            depth += t[j].kind == '(' ? 1 : t[j].kind == ')' ? -1 : 0;
        size_t e = j; /* the item is [i, e), an alias after it */
        const tok *alias = NULL;
        bool named = t[e - 1].kind == T_WORD || t[e - 1].kind == T_QUOTED ||
                     t[e - 1].kind == T_STR;
        if (e - i >= 3 && is_word(&t[e - 2], "AS") && named)
            alias = &t[e - 1], e -= 2;
        else if (e - i >= 2 && named && t[e - 2].kind != '(')
            alias = &t[e - 1], e -= 1;
        bool unknown = false;
        if (k == MAX_ITEMS || e == i || !item_value(c, t + i, e - i, &cells[k], &numeric[k],
                                                     &unknown))
            return false;
        if (unknown) {
            char msg[200];
            snprintf(msg, sizeof msg, "Unknown system variable '%.*s'", (int)cells[k].n,
                     cells[k].p);
            sl__my_stmt_error(o, 1193, msg);
            return true;
        }
        names[k] = alias ? sl_arena_printf(&c->arena, "%.*s", (int)alias->s.n, alias->s.p)
                         : sl_arena_printf(&c->arena, "%.*s", (int)(t[e - 1].end - t[i].at),
                                           t[i].at);
        if (names[k] == NULL)
            return false;
        i = j + 1;
    }
    if (k == 0)
        return false;
    sl__my_text_rows(c, o, names, numeric, k, cells, 1);
    return true;
}

/* ---- the statements ------------------------------------------------------------------------ */

void sl__my_use(sl_mysql_conn *c, sl_slice db, sl_my_out *o)
{
    sl_app *app = c->app;
    my_sess *ms = c->ctx;
    sl_slice *names;
    size_t n = 0;
    sl_err err = {0};
    bool found = sl_slice_eq(db, "information_schema");
    if (db.n == 0 || db.n >= sizeof ms->db) {
        sl__my_stmt_error(o, 1049, "Unknown database ''");
        return;
    }
    if (!found && sl_store_list_dbs(app->store, &c->arena, &names, &n, &err) != SL_OK) {
        sl__my_stmt_error(o, 1105, err.msg);
        return;
    }
    for (size_t i = 0; !found && i < n; i++)
        found = names[i].n == db.n && memcmp(names[i].p, db.p, db.n) == 0;
    char msg[400];
    sl_identity id = {sl_slice_of(ms->user), ms->admin};
    if (!found) {
        snprintf(msg, sizeof msg, "Unknown database '%.*s'", (int)db.n, db.p);
        sl__my_stmt_error(o, 1049, msg);
        return;
    }
    if (!sl_slice_eq(db, "information_schema") && !sl_priv_sees_db(app->auth, &id, db)) {
        snprintf(msg, sizeof msg, "Access denied for user '%s'@'%%' to database '%.*s'",
                 ms->user, (int)db.n, db.p);
        sl__my_stmt_error(o, 1044, msg);
        return;
    }
    memcpy(ms->db, db.p, db.n);
    ms->db[db.n] = '\0';
    ms->has_db = true;
    sl_my_ok(o, 0, 0, sl__my_status(c), 0, NULL);
}

/* SET a = v, b = v: only autocommit is remembered. */
static void set_vars(sl_mysql_conn *c, const tok *t, size_t n, sl_my_out *o)
{
    my_sess *ms = c->ctx;
    for (size_t i = 1; i + 2 < n; i++) {
        if (t[i].kind != T_WORD || t[i + 1].kind != '=')
            continue;
        sl_slice name = t[i].s;
        const char *dot = memchr(name.p, '.', name.n);
        if (dot)
            name = (sl_slice){dot + 1, name.n - (size_t)(dot + 1 - name.p)};
        else if (name.n > 2 && memcmp(name.p, "@@", 2) == 0)
            name = (sl_slice){name.p + 2, name.n - 2};
        if (sl_slice_ieq(name, "autocommit")) {
            const tok *v = &t[i + 2];
            ms->autocommit = is_word(v, "1") || is_word(v, "ON") || is_word(v, "TRUE");
        }
    }
    sl_my_ok(o, 0, 0, sl__my_status(c), 0, NULL);
}

static bool show_stmt(sl_mysql_conn *c, const tok *t, size_t n, sl_my_out *o)
{
    size_t i = 1;
    if (i < n && (is_word(&t[i], "GLOBAL") || is_word(&t[i], "SESSION") ||
                  is_word(&t[i], "LOCAL")))
        i++;
    if (i < n && is_word(&t[i], "VARIABLES")) {
        show_variables(c, t + i + 1, n - i - 1, o);
        return true;
    }
    if (i < n && is_word(&t[i], "STATUS")) {
        static const char *const names[] = {"Variable_name", "Value"};
        sl__my_text_rows(c, o, names, NULL, 2, NULL, 0);
        return true;
    }
    if (i == 1 && i < n && (is_word(&t[i], "WARNINGS") || is_word(&t[i], "ERRORS"))) {
        static const char *const names[] = {"Level", "Code", "Message"};
        static const bool num[] = {false, true, false};
        sl__my_text_rows(c, o, names, num, 3, NULL, 0);
        return true;
    }
    if (i == 1 && i < n && is_word(&t[i], "COLLATION")) {
        static const char *const names[] = {"Collation", "Charset", "Id", "Default",
                                            "Compiled", "Sortlen"};
        static const bool num[] = {false, false, true, false, false, true};
        sl_slice cells[] = {SL_LIT("utf8mb4_general_ci"), SL_LIT("utf8mb4"), SL_LIT("45"),
                            SL_LIT("Yes"), SL_LIT("Yes"), SL_LIT("1")};
        sl__my_text_rows(c, o, names, num, 6, cells, 1);
        return true;
    }
    if (i == 1 && i < n && (is_word(&t[i], "CHARSET") ||
                            (is_word(&t[i], "CHARACTER") && i + 1 < n && is_word(&t[i + 1], "SET")))) {
        static const char *const names[] = {"Charset", "Description", "Default collation",
                                            "Maxlen"};
        static const bool num[] = {false, false, false, true};
        sl_slice cells[] = {SL_LIT("utf8mb4"), SL_LIT("UTF-8 Unicode"),
                            SL_LIT("utf8mb4_general_ci"), SL_LIT("4")};
        sl__my_text_rows(c, o, names, num, 4, cells, 1);
        return true;
    }
    return false;
}

bool sl__my_session_stmt(sl_mysql_conn *c, sl_slice text, sl_my_out *o)
{
    tok t[MAX_TOKS];
    size_t n = tokenize(text, t, MAX_TOKS);
    if (n == SIZE_MAX)
        return false;
    if (n == 0) { /* only comments (mysqldump's version comments): nothing to do */
        sl_my_ok(o, 0, 0, sl__my_status(c), 0, NULL);
        return true;
    }
    if (is_word(&t[0], "SET") && !(n > 1 && is_word(&t[1], "PASSWORD"))) {
        set_vars(c, t, n, o);
        return true;
    }
    if (is_word(&t[0], "USE") && n == 2 && (t[1].kind == T_WORD || t[1].kind == T_QUOTED)) {
        sl__my_use(c, t[1].s, o);
        return true;
    }
    if ((is_word(&t[0], "COMMIT") || is_word(&t[0], "ROLLBACK")) &&
        (n == 1 || (n == 2 && is_word(&t[1], "WORK")))) {
        sl_my_ok(o, 0, 0, sl__my_status(c), 0, NULL);
        return true;
    }
    if (is_word(&t[0], "SHOW"))
        return show_stmt(c, t, n, o);
    if (is_word(&t[0], "SELECT")) {
        for (size_t i = 1; i < n; i++)
            if (is_word(&t[i], "FROM"))
                return false;
        return select_session(c, t, n, o);
    }
    return false;
}
