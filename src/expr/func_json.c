/*
 * func_json.c - JSON builtins of load expressions (expr stage; Doris's json-functions family,
 * used on semi-structured input above all: `columns: k = get_json_string(doc, '$.a.b')`).
 *
 * Documents are text (STRING or JSON columns). Nothing is parsed into a tree: a path walk
 * skips over the values it does not need (scan_value), so get_json_* costs one pass over the
 * document up to the member wanted, without allocating. Paths follow Doris's syntax:
 *
 *   $            the document          .key / ."key.with.dots"   an object member
 *   [n]          array element n       [last] / [last-n]         from the end
 *   .* / [*]     every member/element (get_json_* and json_extract: several matches come back
 *                as one JSON array)
 *
 * JSON results are written compactly, as Doris's JSONB prints them: no insignificant
 * whitespace, strings re-escaped (", \, control characters), integers as written, other
 * numbers in their shortest round-trip form. A path or document that does not parse gives
 * NULL (get_json_*, json_extract*), except json_parse, which is an error as in Doris (use
 * json_parse_error_to_null / _to_value to keep going). json_insert / json_set / json_replace
 * splice the new value into the document's text at the place the path names, then write the
 * result compactly; json_search walks every string value with a LIKE pattern.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../core/buf.h"
#include "internal.h"

/* Nesting accepted in documents (deeper ones are invalid): bounds the recursion. */
#define MAX_DEPTH 64
/* Steps of a path and matches of a wildcard path. */
#define MAX_STEPS 32
#define MAX_MATCHES 256

/* ---- scanning ---- */

static const char *ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* Past the string starting at p (p[0] == '"'), or NULL. */
static const char *scan_string(const char *p, const char *e)
{
    for (p++; p < e; p++) {
        if (*p == '"')
            return p + 1;
        if (*p == '\\' && ++p == e)
            return NULL;
        if ((unsigned char)*p < 0x20)
            return NULL;
    }
    return NULL;
}

static const char *scan_number(const char *p, const char *e)
{
    const char *s = p;
    if (p < e && *p == '-')
        p++;
    if (p == e || *p < '0' || *p > '9')
        return NULL;
    if (*p == '0')
        p++;
    else
        while (p < e && *p >= '0' && *p <= '9')
            p++;
    if (p < e && *p == '.') {
        if (++p == e || *p < '0' || *p > '9')
            return NULL;
        while (p < e && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        if (p == e || *p < '0' || *p > '9')
            return NULL;
        while (p < e && *p >= '0' && *p <= '9')
            p++;
    }
    return p > s ? p : NULL;
}

static const char *scan_word(const char *p, const char *e, const char *w)
{
    size_t n = strlen(w);
    return (size_t)(e - p) >= n && memcmp(p, w, n) == 0 ? p + n : NULL;
}

/* Past one value starting at p (no leading whitespace), or NULL when it is malformed. */
static const char *scan_value(const char *p, const char *e, int depth)
{
    if (p >= e || depth > MAX_DEPTH)
        return NULL;
    switch (*p) {
    case '"': return scan_string(p, e);
    case 't': return scan_word(p, e, "true");
    case 'f': return scan_word(p, e, "false");
    case 'n': return scan_word(p, e, "null");
    case '[':
    case '{': {
        char close = *p == '[' ? ']' : '}';
        bool obj = *p == '{';
        p = ws(p + 1, e);
        if (p < e && *p == close)
            return p + 1;
        for (;;) {
            if (obj) {
                if (p >= e || *p != '"' || (p = scan_string(p, e)) == NULL)
                    return NULL;
                p = ws(p, e);
                if (p >= e || *p != ':')
                    return NULL;
                p = ws(p + 1, e);
            }
            if ((p = scan_value(p, e, depth + 1)) == NULL)
                return NULL;
            p = ws(p, e);
            if (p < e && *p == ',') {
                p = ws(p + 1, e);
                continue;
            }
            return p < e && *p == close ? p + 1 : NULL;
        }
    }
    default: return scan_number(p, e);
    }
}

/* The whole text is one valid JSON value (surrounding whitespace allowed). */
static bool json_valid(sl_slice s, sl_slice *v)
{
    const char *e = s.p + s.n, *p = ws(s.p, e), *q = scan_value(p, e, 0);
    if (q == NULL || ws(q, e) != e)
        return false;
    if (v)
        *v = (sl_slice){p, (size_t)(q - p)};
    return true;
}

/* Does the raw JSON string token t (with quotes) equal the plain text k? */
static bool key_equals(sl_slice t, sl_slice k)
{
    const char *p = t.p + 1, *e = t.p + t.n - 1;
    if (memchr(p, '\\', (size_t)(e - p)) == NULL)
        return (size_t)(e - p) == k.n && memcmp(p, k.p, k.n) == 0;
    size_t i = 0;
    for (; p < e; p++) {
        char c = *p;
        if (c == '\\') {
            c = *++p;
            c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c == 'b' ? '\b'
              : c == 'f' ? '\f' : c;
            if (*p == 'u') /* \uXXXX keys: compared as written (rare) */
                return false;
        }
        if (i >= k.n || k.p[i++] != c)
            return false;
    }
    return i == k.n;
}

/* ---- paths ---- */

enum { ST_KEY, ST_INDEX, ST_LAST, ST_WILD };

typedef struct step {
    uint8_t kind;
    sl_slice key;          /* ST_KEY */
    int64_t n;             /* ST_INDEX: index; ST_LAST: how far before the last */
} step;

typedef struct jpath {
    step s[MAX_STEPS];
    size_t n;
    bool wild;
} jpath;

static bool path_index(const char **pp, const char *e, step *st)
{
    const char *p = *pp;
    if (p < e && *p == '*') {
        st->kind = ST_WILD, p++;
    } else if (e - p >= 4 && memcmp(p, "last", 4) == 0) {
        st->kind = ST_LAST, st->n = 0, p += 4;
        if (p < e && *p == '-') {
            int64_t v = 0;
            if (++p == e || *p < '0' || *p > '9')
                return false;
            while (p < e && *p >= '0' && *p <= '9' && v < INT32_MAX)
                v = v * 10 + (*p++ - '0');
            st->n = v;
        }
    } else {
        int64_t v = 0;
        if (p == e || *p < '0' || *p > '9')
            return false;
        while (p < e && *p >= '0' && *p <= '9' && v < INT32_MAX)
            v = v * 10 + (*p++ - '0');
        st->kind = ST_INDEX, st->n = v;
    }
    if (p == e || *p != ']')
        return false;
    *pp = p + 1;
    return true;
}

/* Parse a path ("$.a[0].\"b.c\""); false when it is not one. */
static bool parse_path(sl_slice s, jpath *jp)
{
    const char *p = s.p, *e = s.p + s.n;
    jp->n = 0, jp->wild = false;
    while (p < e && *p == ' ')
        p++;
    if (p == e || *p++ != '$')
        return false;
    while (p < e) {
        step st = {0};
        if (jp->n == MAX_STEPS)
            return false;
        if (*p == '.') {
            p++;
            if (p < e && *p == '[')
                continue; /* "$.[1]": Doris reads it as "$[1]" */
            if (p < e && *p == '*') {
                st.kind = ST_WILD, p++;
            } else if (p < e && *p == '"') {
                const char *q = memchr(p + 1, '"', (size_t)(e - p - 1));
                if (q == NULL)
                    return false;
                st.kind = ST_KEY, st.key = (sl_slice){p + 1, (size_t)(q - p - 1)};
                p = q + 1;
            } else {
                const char *q = p;
                while (q < e && *q != '.' && *q != '[')
                    q++;
                if (q == p)
                    return false;
                st.kind = ST_KEY, st.key = (sl_slice){p, (size_t)(q - p)};
                p = q;
            }
        } else if (*p == '[') {
            p++;
            if (!path_index(&p, e, &st))
                return false;
        } else {
            return false;
        }
        jp->wild |= st.kind == ST_WILD;
        jp->s[jp->n++] = st;
    }
    return true;
}

typedef struct matches {
    sl_slice v[MAX_MATCHES];
    size_t n;
    bool overflow;
    bool path_ok, path_valid;  /* path parsed from path_text (find) */
    sl_slice path_text;
    jpath path;
} matches;

static void add_match(matches *m, sl_slice v)
{
    if (m->n < MAX_MATCHES)
        m->v[m->n++] = v;
    else
        m->overflow = true;
}

/* Apply steps k.. of jp to the value v (already valid); matches go to m. */
static void walk(const jpath *jp, size_t k, sl_slice v, matches *m)
{
    if (k == jp->n) {
        add_match(m, v);
        return;
    }
    const step *st = &jp->s[k];
    const char *p = v.p, *e = v.p + v.n;
    bool obj = *p == '{';
    if ((*p != '{' && *p != '[') || (obj && st->kind != ST_KEY && st->kind != ST_WILD) ||
        (!obj && st->kind == ST_KEY))
        return;
    if (!obj && st->kind == ST_LAST) { /* count first */
        int64_t count = 0;
        for (const char *q = ws(p + 1, e); *q != ']';) {
            q = ws(scan_value(q, e, 0), e);
            count++;
            if (*q == ',')
                q = ws(q + 1, e);
        }
        step idx = {ST_INDEX, {NULL, 0}, count - 1 - st->n};
        if (idx.n < 0)
            return;
        jpath one = *jp;
        one.s[k] = idx;
        walk(&one, k, v, m);
        return;
    }
    int64_t i = 0;
    for (p = ws(p + 1, e); *p != '}' && *p != ']'; i++) {
        sl_slice key = {NULL, 0};
        if (obj) {
            const char *q = scan_string(p, e);
            key = (sl_slice){p, (size_t)(q - p)};
            p = ws(ws(q, e) + 1, e); /* past ':' */
        }
        const char *q = scan_value(p, e, 0);
        sl_slice item = {p, (size_t)(q - p)};
        if (st->kind == ST_WILD || (obj && key_equals(key, st->key)) ||
            (!obj && st->kind == ST_INDEX && st->n == i)) {
            walk(jp, k + 1, item, m);
            if (st->kind != ST_WILD)
                return;
        }
        p = ws(q, e);
        if (*p == ',')
            p = ws(p + 1, e);
    }
}

/* Find what path text ptext selects in document doc. false: the document or the path is
 * invalid. m->n == 0: nothing there. The parsed path is kept in m for the next row: paths are
 * nearly always constants, parsed once per batch. */
static bool find(sl_slice doc, sl_slice ptext, matches *m, bool *wild)
{
    sl_slice v;
    m->n = 0, m->overflow = false;
    if (!m->path_ok || ptext.n != m->path_text.n || memcmp(ptext.p, m->path_text.p, ptext.n) != 0) {
        m->path_text = ptext;
        m->path_ok = true;
        m->path_valid = parse_path(ptext, &m->path);
    }
    if (!m->path_valid || !json_valid(doc, &v))
        return false;
    *wild = m->path.wild;
    walk(&m->path, 0, v, m);
    return !m->overflow;
}

/* ---- writing compact JSON ---- */

static void put_string_body(sl_buf *b, const char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"' || c == '\\') {
            sl_buf_putc(b, '\\'), sl_buf_putc(b, (char)c);
        } else if (c < 0x20) {
            const char *esc = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r"
                            : c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;
            if (esc) {
                sl_buf_puts(b, esc);
            } else {
                char u[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
                sl_buf_puts(b, u);
            }
        } else {
            sl_buf_putc(b, (char)c);
        }
    }
}

static unsigned hexval(char c)
{
    return c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
         : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;
}

static void put_utf8(sl_buf *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80)
        u[0] = (char)cp, n = 1;
    else if (cp < 0x800)
        u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 63)), n = 2;
    else if (cp < 0x10000)
        u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 63)),
        u[2] = (char)(0x80 | (cp & 63)), n = 3;
    else
        u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 63)),
        u[2] = (char)(0x80 | ((cp >> 6) & 63)), u[3] = (char)(0x80 | (cp & 63)), n = 4;
    sl_buf_append(b, u, n);
}

/* The text of a JSON string token (quotes included), unescaped, appended to b. */
static void unescape_to(sl_buf *b, sl_slice t)
{
    const char *p = t.p + 1, *e = t.p + t.n - 1;
    while (p < e) {
        const char *q = memchr(p, '\\', (size_t)(e - p));
        if (q == NULL) {
            sl_buf_append(b, p, (size_t)(e - p));
            return;
        }
        sl_buf_append(b, p, (size_t)(q - p));
        char c = *++q;
        p = q + 1;
        if (c != 'u') {
            sl_buf_putc(b, c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c == 'b' ? '\b'
                         : c == 'f' ? '\f' : c);
            continue;
        }
        uint32_t cp = 0;
        for (int k = 0; k < 4 && p < e; k++, p++)
            cp = cp << 4 | (hexval(*p) & 15);
        if (cp >= 0xd800 && cp < 0xdc00 && e - p >= 6 && p[0] == '\\' && p[1] == 'u') {
            uint32_t lo = 0;
            for (int k = 2; k < 6; k++)
                lo = lo << 4 | (hexval(p[k]) & 15);
            if (lo >= 0xdc00 && lo < 0xe000)
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00), p += 6;
        }
        put_utf8(b, cp);
    }
}

/* A valid value v in compact form. */
static void compact(sl_buf *b, sl_slice v)
{
    const char *p = v.p, *e = v.p + v.n;
    while (p < e) {
        char c = *p;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            p++;
        } else if (c == '"') {
            const char *q = scan_string(p, e);
            sl_buf_putc(b, '"');
            if (memchr(p, '\\', (size_t)(q - p))) {
                sl_buf tmp = SL_BUF_INIT;
                unescape_to(&tmp, (sl_slice){p, (size_t)(q - p)});
                put_string_body(b, tmp.p ? tmp.p : "", tmp.len);
                b->oom |= tmp.oom;
                sl_buf_free(&tmp);
            } else {
                sl_buf_append(b, p + 1, (size_t)(q - p - 2));
            }
            sl_buf_putc(b, '"');
            p = q;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            const char *q = scan_number(p, e);
            size_t n = (size_t)(q - p);
            if (memchr(p, '.', n) || memchr(p, 'e', n) || memchr(p, 'E', n)) {
                char num[64];
                double d = strtod(p, NULL);
                sl_buf_append(b, num, sl__fmt_double(d, num));
            } else {
                sl_buf_append(b, p, n);
            }
            p = q;
        } else {
            sl_buf_putc(b, c);
            p++;
        }
    }
}

/* Matches as one result: a single value (non-wildcard path) or an array of them. */
static void matches_to(sl_buf *b, const matches *m, bool wild)
{
    if (!wild && m->n == 1) {
        compact(b, m->v[0]);
        return;
    }
    sl_buf_putc(b, '[');
    for (size_t k = 0; k < m->n; k++) {
        if (k)
            sl_buf_putc(b, ',');
        compact(b, m->v[k]);
    }
    sl_buf_putc(b, ']');
}

/* ---- get_json_* and json_extract_* ---- */

enum { G_STRING, G_INT, G_BIGINT, G_XINT, G_XBIGINT, G_LARGEINT, G_DOUBLE, G_BOOL, G_ISNULL,
       G_JSON, G_JSTRING };

/* An integer token within [lo, hi]; doubles that are whole numbers count when lossless. */
static bool as_integer(sl_slice v, bool lossless, sl_i128 lo, sl_i128 hi, sl_i128 *out)
{
    if (v.n == 0 || (v.p[0] != '-' && (v.p[0] < '0' || v.p[0] > '9')))
        return false;
    if (!memchr(v.p, '.', v.n) && !memchr(v.p, 'e', v.n) && !memchr(v.p, 'E', v.n))
        return sl__text_to_i128(v, out) && *out >= lo && *out <= hi;
    double d;
    if (!lossless || !sl__text_to_double(v, &d) || d != floor(d) || d < -1e38 || d > 1e38)
        return false;
    *out = (sl_i128)d;
    return *out >= lo && *out <= hi;
}

/* One extracted value v into out row i by the function's kind; false on out of memory. */
static bool extract_one(int kind, sl_slice v, sl__env *env, sl_vec *out, size_t i, sl_buf *b)
{
    const sl_i128 i128_max = (sl_i128)(((unsigned __int128)1 << 127) - 1);
    const sl_i128 lo[] = {INT32_MIN, INT64_MIN, INT32_MIN, INT64_MIN, -i128_max - 1};
    const sl_i128 hi[] = {INT32_MAX, INT64_MAX, INT32_MAX, INT64_MAX, i128_max};
    sl_i128 w;
    switch (kind) {
    case G_INT:
    case G_BIGINT:
    case G_XINT:
    case G_XBIGINT:
    case G_LARGEINT: /* get_json_*: integers only; json_extract_*: whole doubles too */
        if (!as_integer(v, kind >= G_XINT, lo[kind - G_INT], hi[kind - G_INT], &w))
            out->null[i] = 1;
        else if (kind == G_LARGEINT)
            out->v[i].w = w;
        else
            out->v[i].i = (int64_t)w;
        return true;
    case G_DOUBLE:
        out->null[i] = !(v.p[0] == '-' || (v.p[0] >= '0' && v.p[0] <= '9')) ||
                       !sl__text_to_double(v, &out->v[i].d);
        return true;
    case G_BOOL:
        out->null[i] = v.p[0] != 't' && v.p[0] != 'f';
        out->v[i].i = v.p[0] == 't';
        return true;
    case G_ISNULL: out->v[i].i = v.p[0] == 'n'; return true;
    default:
        b->len = 0;
        if ((kind == G_STRING || kind == G_JSTRING) && v.p[0] == '"')
            unescape_to(b, v);
        else
            compact(b, v);
        return sl__expr_text_buf(env, out, i, b);
    }
}

static sl_code f_get(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    int kind = e->fn->aux;
    sl_buf b = SL_BUF_INIT;
    matches *m = sl_arena_alloc(env->a, sizeof *m);
    sl_code rc = m ? SL_OK : sl_fail(env->err, SL_NOMEM, "out of memory in %s", e->fn->name);
    if (m)
        m->path_ok = false;
    for (size_t i = 0; rc == SL_OK && i < env->n; i++) {
        bool wild = false;
        if (out->null[i])
            continue;
        if (!find(sl__arg_s(av, 0, i), sl__arg_s(av, 1, i), m, &wild) || m->n == 0) {
            out->null[i] = 1;
            continue;
        }
        if (wild || m->n > 1) { /* several values: only the text forms make sense */
            if (kind != G_STRING && kind != G_JSON && kind != G_JSTRING) {
                out->null[i] = 1;
                continue;
            }
            b.len = 0;
            matches_to(&b, m, true);
            if (!sl__expr_text_buf(env, out, i, &b))
                rc = SL_NOMEM;
            continue;
        }
        if (!extract_one(kind, m->v[0], env, out, i, &b))
            rc = SL_NOMEM;
    }
    sl_buf_free(&b);
    return rc;
}

/* json_extract(doc, path, ...): one path gives the value, several an array with null for a
 * path that selects nothing. */
static sl_code f_extract(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    if (e->n_args == 2)
        return f_get(e, av, env, out);
    sl_buf b = SL_BUF_INIT;
    matches *m = sl_arena_alloc(env->a, sizeof *m);
    sl_code rc = m ? SL_OK : sl_fail(env->err, SL_NOMEM, "out of memory in %s", e->fn->name);
    if (m)
        m->path_ok = false;
    for (size_t i = 0; rc == SL_OK && i < env->n; i++) {
        bool ok = !out->null[i];
        b.len = 0;
        sl_buf_putc(&b, '[');
        for (size_t k = 1; ok && k < e->n_args; k++) {
            bool wild = false;
            ok = find(sl__arg_s(av, 0, i), sl__arg_s(av, k, i), m, &wild);
            if (k > 1)
                sl_buf_putc(&b, ',');
            if (m->n == 0)
                sl_buf_puts(&b, "null");
            else
                matches_to(&b, m, wild);
        }
        sl_buf_putc(&b, ']');
        if (!ok)
            out->null[i] = 1;
        else if (!sl__expr_text_buf(env, out, i, &b))
            rc = SL_NOMEM;
    }
    sl_buf_free(&b);
    return rc;
}

/* ---- whole documents ---- */

enum { P_ERROR, P_NULL, P_VALUE };

static sl_code f_parse(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    sl_buf b = SL_BUF_INIT;
    sl_code rc = SL_OK;
    for (size_t i = 0; rc == SL_OK && i < env->n; i++) {
        sl_slice v;
        if (out->null[i])
            continue;
        sl_slice s = sl__arg_s(av, 0, i);
        if (!json_valid(s, &v)) {
            if (e->fn->aux == P_ERROR) {
                rc = sl_fail(env->err, SL_INVALID, "json_parse: Parse json document failed: "
                             "invalid JSON '%.*s'", (int)(s.n > 100 ? 100 : s.n), s.p);
                break;
            }
            if (e->fn->aux == P_NULL || sl__arg_null(av, 1, i) ||
                !json_valid(sl__arg_s(av, 1, i), &v)) {
                out->null[i] = 1;
                continue;
            }
        }
        b.len = 0;
        compact(&b, v);
        if (!sl__expr_text_buf(env, out, i, &b))
            rc = SL_NOMEM;
    }
    sl_buf_free(&b);
    return rc;
}

static sl_code f_valid(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    (void)e;
    for (size_t i = 0; i < env->n; i++)
        if (!out->null[i])
            out->v[i].i = json_valid(sl__arg_s(av, 0, i), NULL);
    return SL_OK;
}

/* The value at the optional path argument (1) of row i; false: none (NULL result). */
static bool target(const sl_expr *e, const sl_vec *av, size_t i, size_t path_arg, matches *m,
                   sl_slice *v)
{
    bool wild = false;
    sl_slice doc = sl__arg_s(av, 0, i);
    if (e->n_args <= path_arg)
        return json_valid(doc, v);
    if (!find(doc, sl__arg_s(av, path_arg, i), m, &wild) || m->n != 1 || wild)
        return false;
    *v = m->v[0];
    return true;
}

static int64_t count_items(sl_slice v)
{
    const char *p = v.p, *e = v.p + v.n;
    int64_t n = 0;
    if (*p != '[' && *p != '{')
        return 1;
    bool obj = *p == '{';
    for (p = ws(p + 1, e); *p != ']' && *p != '}'; n++) {
        if (obj)
            p = ws(ws(scan_string(p, e), e) + 1, e);
        p = ws(scan_value(p, e, 0), e);
        if (*p == ',')
            p = ws(p + 1, e);
    }
    return n;
}

enum { D_LENGTH, D_KEYS, D_TYPE, D_EXISTS };

static void type_name(sl_slice v, sl_buf *b)
{
    switch (v.p[0]) {
    case '{': sl_buf_puts(b, "object"); return;
    case '[': sl_buf_puts(b, "array"); return;
    case '"': sl_buf_puts(b, "string"); return;
    case 'n': sl_buf_puts(b, "null"); return;
    case 't':
    case 'f': sl_buf_puts(b, "bool"); return;
    default: break;
    }
    sl_i128 w;
    if (memchr(v.p, '.', v.n) || memchr(v.p, 'e', v.n) || memchr(v.p, 'E', v.n) ||
        !sl__text_to_i128(v, &w))
        sl_buf_puts(b, "double");
    else
        sl_buf_puts(b, w >= INT32_MIN && w <= INT32_MAX ? "int" : w >= INT64_MIN && w <= INT64_MAX
                                                                   ? "bigint" : "largeint");
}

static sl_code f_doc(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    sl_buf b = SL_BUF_INIT;
    matches *m = sl_arena_alloc(env->a, sizeof *m);
    sl_code rc = m ? SL_OK : sl_fail(env->err, SL_NOMEM, "out of memory in %s", e->fn->name);
    if (m)
        m->path_ok = false;
    for (size_t i = 0; rc == SL_OK && i < env->n; i++) {
        sl_slice v;
        if (out->null[i])
            continue;
        bool found = target(e, av, i, 1, m, &v);
        if (e->fn->aux == D_EXISTS) {
            out->v[i].i = found;
            out->null[i] = !json_valid(sl__arg_s(av, 0, i), NULL);
            continue;
        }
        if (!found || (e->fn->aux == D_KEYS && v.p[0] != '{')) {
            out->null[i] = 1;
            continue;
        }
        if (e->fn->aux == D_LENGTH) {
            out->v[i].i = count_items(v);
            continue;
        }
        b.len = 0;
        if (e->fn->aux == D_TYPE) {
            type_name(v, &b);
        } else { /* json_keys: the object's keys in order */
            const char *p = ws(v.p + 1, v.p + v.n), *end = v.p + v.n;
            sl_buf_putc(&b, '[');
            for (size_t k = 0; *p != '}'; k++) {
                const char *q = scan_string(p, end);
                if (k)
                    sl_buf_putc(&b, ',');
                compact(&b, (sl_slice){p, (size_t)(q - p)});
                p = ws(scan_value(ws(ws(q, end) + 1, end), end, 0), end);
                if (*p == ',')
                    p = ws(p + 1, end);
            }
            sl_buf_putc(&b, ']');
        }
        if (!sl__expr_text_buf(env, out, i, &b))
            rc = SL_NOMEM;
    }
    sl_buf_free(&b);
    return rc;
}

/* ---- json_contains (MySQL's rules) ---- */

/* Are two scalar tokens equal as JSON values (strings unescaped, numbers by value)? */
static bool scalar_equal(sl_slice a, sl_slice b)
{
    if (a.p[0] == '"' || b.p[0] == '"') {
        if (a.p[0] != b.p[0])
            return false;
        sl_buf x = SL_BUF_INIT, y = SL_BUF_INIT;
        unescape_to(&x, a), unescape_to(&y, b);
        bool eq = x.len == y.len && (x.len == 0 || memcmp(x.p, y.p, x.len) == 0);
        sl_buf_free(&x), sl_buf_free(&y);
        return eq;
    }
    double d1, d2;
    if ((a.p[0] == '-' || (a.p[0] >= '0' && a.p[0] <= '9')) && sl__text_to_double(a, &d1) &&
        sl__text_to_double(b, &d2))
        return d1 == d2;
    return a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
}

/* Items of an array or object value: the next item (and key) after *p; false at the end. */
static bool next_item(const char **p, const char *e, bool obj, sl_slice *key, sl_slice *item)
{
    if (**p == ']' || **p == '}')
        return false;
    if (obj) {
        const char *q = scan_string(*p, e);
        *key = (sl_slice){*p, (size_t)(q - *p)};
        *p = ws(ws(q, e) + 1, e);
    }
    const char *q = scan_value(*p, e, 0);
    *item = (sl_slice){*p, (size_t)(q - *p)};
    *p = ws(q, e);
    if (**p == ',')
        *p = ws(*p + 1, e);
    return true;
}

static bool contains(sl_slice t, sl_slice c, int depth)
{
    const char *te = t.p + t.n, *ce = c.p + c.n;
    sl_slice k1, v1, k2, v2;
    if (depth > MAX_DEPTH)
        return false;
    if (t.p[0] == '[') {
        if (c.p[0] == '[') { /* every candidate element is in the target */
            for (const char *q = ws(c.p + 1, ce); next_item(&q, ce, false, &k2, &v2);)
                if (!contains(t, v2, depth + 1))
                    return false;
            return true;
        }
        for (const char *p = ws(t.p + 1, te); next_item(&p, te, false, &k1, &v1);)
            if (contains(v1, c, depth + 1))
                return true;
        return false;
    }
    if (t.p[0] == '{') {
        if (c.p[0] != '{')
            return false;
        for (const char *q = ws(c.p + 1, ce); next_item(&q, ce, true, &k2, &v2);) {
            bool found = false;
            for (const char *p = ws(t.p + 1, te); !found && next_item(&p, te, true, &k1, &v1);)
                found = scalar_equal(k1, k2) && contains(v1, v2, depth + 1);
            if (!found)
                return false;
        }
        return true;
    }
    return c.p[0] != '[' && c.p[0] != '{' && scalar_equal(t, c);
}

static sl_code f_contains(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    matches *m = sl_arena_alloc(env->a, sizeof *m);
    if (m == NULL)
        return sl_fail(env->err, SL_NOMEM, "out of memory in %s", e->fn->name);
    m->path_ok = false;
    for (size_t i = 0; i < env->n; i++) {
        sl_slice t, c;
        if (out->null[i])
            continue;
        if (!target(e, av, i, 2, m, &t) || !json_valid(sl__arg_s(av, 1, i), &c)) {
            out->null[i] = 1;
            continue;
        }
        out->v[i].i = contains(t, c, 0);
    }
    return SL_OK;
}

/* ---- building JSON: json_quote, json_unquote, json_array, json_object ---- */

/* Value of argument k, row i, as JSON (typed: text quoted, numbers bare, NULL null). */
static void typed_value(sl_buf *b, const sl_vec *a, size_t i)
{
    char num[64];
    const sl_datum *d = &a->v[i];
    if (a->null && a->null[i]) {
        sl_buf_puts(b, "null");
        return;
    }
    switch (sl__cls_of(a->type.id)) {
    case C_INT:
        if (a->type.id == SL_BOOLEAN)
            sl_buf_puts(b, d->i ? "true" : "false");
        else
            sl_buf_printf(b, "%lld", (long long)d->i);
        return;
    case C_LARGE: sl_buf_append(b, num, sl__fmt_i128(d->w, num)); return;
    case C_DEC: sl_buf_append(b, num, sl__fmt_decimal(d->w, a->type.scale, num)); return;
    case C_FLOAT: sl_buf_append(b, num, sl__fmt_double(d->d, num)); return;
    case C_DATE: sl_buf_putc(b, '"'), sl_buf_append(b, num, sl__fmt_date(d->i, num)); break;
    case C_DT:
        sl_buf_putc(b, '"');
        sl_buf_append(b, num, sl__fmt_datetime(d->i, a->type.precision, num));
        break;
    case C_TEXT:
        if (a->type.id == SL_JSON && json_valid((sl_slice){d->s.p, d->s.n}, NULL)) {
            compact(b, (sl_slice){d->s.p, d->s.n});
            return;
        }
        sl_buf_putc(b, '"');
        put_string_body(b, d->s.p, d->s.n);
        break;
    default: sl_buf_puts(b, "null"); return;
    }
    sl_buf_putc(b, '"');
}

enum { B_QUOTE, B_UNQUOTE, B_ARRAY, B_OBJECT };

static sl_code f_build(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    int how = e->fn->aux;
    sl_buf b = SL_BUF_INIT;
    sl_code rc = SL_OK;
    for (size_t i = 0; rc == SL_OK && i < env->n; i++) {
        if (out->null[i])
            continue;
        b.len = 0;
        if (how == B_QUOTE) {
            typed_value(&b, &av[0], i);
        } else if (how == B_UNQUOTE) {
            sl_slice s = sl__arg_s(av, 0, i), v;
            if (s.n >= 2 && s.p[0] == '"' && json_valid(s, &v) && v.p[0] == '"')
                unescape_to(&b, v);
            else
                sl_buf_append(&b, s.p, s.n);
        } else {
            sl_buf_putc(&b, how == B_ARRAY ? '[' : '{');
            for (size_t k = 0; k < e->n_args; k++) {
                if (k)
                    sl_buf_putc(&b, how == B_OBJECT && k % 2 ? ':' : ',');
                if (how == B_OBJECT && k % 2 == 0 && sl__arg_null(av, k, i)) {
                    rc = sl_fail(env->err, SL_INVALID, "function json_object can not have null "
                                 "key");
                    break;
                }
                typed_value(&b, &av[k], i);
            }
            sl_buf_putc(&b, how == B_ARRAY ? ']' : '}');
        }
        if (rc == SL_OK && !sl__expr_text_buf(env, out, i, &b))
            rc = SL_NOMEM;
    }
    sl_buf_free(&b);
    return rc;
}

/* json_quote takes text; json_array and json_object keep their arguments' types (the key of
 * json_object is text). */
static sl_code bind_build(sl_expr *e, sl__binder *b)
{
    sl_code rc = SL_OK;
    if (e->fn->aux == B_OBJECT && e->n_args % 2)
        return sl_fail(b->err, SL_INVALID, "json_object takes key/value pairs: an even number "
                       "of arguments, not %zu", e->n_args);
    for (size_t k = 0; rc == SL_OK && k < e->n_args; k++) {
        sl_expr *x = e->args[k];
        if (e->fn->aux <= B_UNQUOTE || (e->fn->aux == B_OBJECT && k % 2 == 0) ||
            sl__cls_of(x->type.id) == C_NULL)
            rc = sl__expr_coerce(b, &e->args[k], sl__ty(SL_STRING));
    }
    return rc;
}

/* ---- json_insert / json_set / json_replace(doc, path, value[, path, value ...]) ---- */

enum { M_INSERT, M_SET, M_REPLACE };

/* A splice of the document: bytes [from, to) become pre + val + post. */
typedef struct splice {
    const char *from, *to;
    const char *pre, *post;
    sl_slice key;          /* written quoted, then ':', after pre (a new member) */
} splice;

/* Where the last step st lands in the container (or scalar) par; false: nothing changes. */
static bool place(int how, const step *st, sl_slice par, splice *sp)
{
    const char *p = par.p, *e = par.p + par.n;
    bool obj = *p == '{', arr = *p == '[';
    if (obj && st->kind == ST_KEY) {
        bool empty = true;
        for (p = ws(p + 1, e); *p != '}'; empty = false) {
            const char *q = scan_string(p, e);
            bool hit = key_equals((sl_slice){p, (size_t)(q - p)}, st->key);
            p = ws(ws(q, e) + 1, e);
            q = scan_value(p, e, 0);
            if (hit) {
                *sp = (splice){p, q, "", "", {NULL, 0}};
                return how != M_INSERT;
            }
            p = ws(q, e);
            if (*p == ',')
                p = ws(p + 1, e);
        }
        *sp = (splice){p, p, empty ? "" : ",", "", st->key};
        return how != M_REPLACE;
    }
    if (st->kind == ST_KEY)
        return false;
    if (!arr) { /* a scalar or an object is an array of one for [0] / [n] (MySQL's rule) */
        int64_t idx = st->kind == ST_LAST ? -st->n : st->n;
        if (idx == 0) {
            *sp = (splice){par.p, e, "", "", {NULL, 0}};
            return how != M_INSERT;
        }
        *sp = (splice){par.p, par.p, "[", "", {NULL, 0}};
        return idx > 0 && how != M_REPLACE;
    }
    int64_t count = 0;
    const char *items[2] = {NULL, NULL};
    int64_t want = st->n;
    if (st->kind == ST_LAST) {
        for (const char *q = ws(p + 1, e); *q != ']'; count++) {
            q = ws(scan_value(q, e, 0), e);
            if (*q == ',')
                q = ws(q + 1, e);
        }
        want = count - 1 - st->n;
        count = 0;
        if (want < 0)
            return false;
    }
    for (p = ws(p + 1, e); *p != ']'; count++) {
        const char *q = scan_value(p, e, 0);
        if (count == want)
            items[0] = p, items[1] = q;
        p = ws(q, e);
        if (*p == ',')
            p = ws(p + 1, e);
    }
    if (items[0]) {
        *sp = (splice){items[0], items[1], "", "", {NULL, 0}};
        return how != M_INSERT;
    }
    *sp = (splice){p, p, count ? "," : "", "", {NULL, 0}};
    return how != M_REPLACE;
}

/* The bytes [p, e) of a document into o: compacted (the caller's document, first pair) or
 * as they are (already compact, later pairs). Splices fall on token boundaries. */
static void put_doc(sl_buf *o, const char *p, const char *e, bool raw)
{
    if (raw)
        sl_buf_append(o, p, (size_t)(e - p));
    else
        compact(o, (sl_slice){p, (size_t)(e - p)});
}

/* One path/value pair (val compact) applied to doc into o, written compactly; raw: doc is
 * already valid and compact (a previous pair's result). False when the document or the path
 * is invalid (or the path has a wildcard, which cannot name a place). */
static bool modify_one(int how, sl_slice doc, sl_slice ptext, sl_slice val, bool raw, sl_buf *o)
{
    static _Thread_local matches m; /* 4 KiB of slices: kept off the stack */
    sl_slice v = doc;
    splice sp;
    jpath *jp = &m.path;
    if (!parse_path(ptext, jp) || jp->wild || (!raw && !json_valid(doc, &v)))
        return false;
    m.path_ok = false; /* the shared path cache of find() is not used here */
    o->len = 0;
    const char *end = v.p + v.n;
    if (jp->n == 0) {
        if (how == M_INSERT)
            put_doc(o, v.p, end, raw);
        else
            sl_buf_append(o, val.p, val.n);
        return true;
    }
    const step last = jp->s[jp->n - 1];
    jp->n--;
    m.n = 0, m.overflow = false;
    walk(jp, 0, v, &m);
    if (m.n == 0 || !place(how, &last, m.v[0], &sp)) {
        put_doc(o, v.p, end, raw);
        return true;
    }
    bool wrap = *sp.pre == '[';
    if (wrap)
        sp.to = m.v[0].p + m.v[0].n;
    put_doc(o, v.p, sp.from, raw);
    if (wrap) {
        sl_buf_putc(o, '['), put_doc(o, m.v[0].p, sp.to, raw), sl_buf_putc(o, ',');
    } else {
        sl_buf_puts(o, sp.pre);
    }
    if (sp.key.p) {
        sl_buf_putc(o, '"'), put_string_body(o, sp.key.p, sp.key.n), sl_buf_puts(o, "\":");
    }
    sl_buf_append(o, val.p, val.n);
    if (wrap)
        sl_buf_putc(o, ']');
    put_doc(o, sp.to, end, raw);
    return true;
}

static sl_code f_modify(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    sl_buf cur = SL_BUF_INIT, nxt = SL_BUF_INIT, val = SL_BUF_INIT;
    sl_code rc = SL_OK;
    for (size_t i = 0; rc == SL_OK && i < env->n; i++) {
        bool ok = !out->null[i] && !sl__arg_null(av, 0, i);
        for (size_t k = 1; ok && k < e->n_args; k += 2)
            ok = !sl__arg_null(av, k, i);
        sl_slice doc = sl__arg_s(av, 0, i);
        for (size_t k = 1; ok && k + 1 < e->n_args; k += 2) {
            val.len = 0;
            typed_value(&val, &av[k + 1], i);
            sl_slice d = k == 1 ? doc : (sl_slice){cur.p ? cur.p : "", cur.len};
            ok = modify_one(e->fn->aux, d, sl__arg_s(av, k, i),
                            (sl_slice){val.p ? val.p : "", val.len}, k > 1, &nxt);
            sl_buf t = cur;
            cur = nxt, nxt = t;
        }
        if (cur.oom || nxt.oom || val.oom) {
            rc = sl_fail(env->err, SL_NOMEM, "out of memory in a JSON function"), env->oom = true;
            break;
        }
        if (!ok)
            out->null[i] = 1;
        else if (!sl__expr_text_buf(env, out, i, &cur))
            rc = SL_NOMEM;
    }
    sl_buf_free(&cur), sl_buf_free(&nxt), sl_buf_free(&val);
    return rc;
}

/* The document and the paths are text; values keep their types (text is quoted, JSON kept). */
static sl_code bind_modify(sl_expr *e, sl__binder *b)
{
    sl_code rc = SL_OK;
    if (e->n_args % 2 == 0)
        return sl_fail(b->err, SL_INVALID, "%s takes a document and path/value pairs: an odd "
                       "number of arguments, not %zu", e->fn->name, e->n_args);
    for (size_t k = 0; rc == SL_OK && k < e->n_args; k++)
        if (k == 0 || k % 2 == 1 || sl__cls_of(e->args[k]->type.id) == C_NULL)
            rc = sl__expr_coerce(b, &e->args[k], sl__ty(SL_STRING));
    return rc;
}

/* ---- json_search(doc, 'one' | 'all', pattern) ---- */

/* LIKE on bytes with '%', '_' (one UTF-8 character) and '\' escaping the next byte. */
static bool like(const char *s, const char *se, const char *p, const char *pe)
{
    const char *star_p = NULL, *star_s = NULL;
    while (s < se) {
        if (p < pe && *p == '%') {
            star_p = ++p, star_s = s;
            continue;
        }
        if (p < pe && *p == '_') {
            p++, s++;
            while (s < se && ((unsigned char)*s & 0xc0) == 0x80)
                s++;
            continue;
        }
        const char *lit = p < pe && *p == '\\' && p + 1 < pe ? p + 1 : p;
        if (lit < pe && *lit == *s) {
            p = lit + 1, s++;
            continue;
        }
        if (star_p == NULL)
            return false;
        p = star_p, s = ++star_s; /* let the last '%' take one more byte */
    }
    while (p < pe && *p == '%')
        p++;
    return p == pe;
}

typedef struct search {
    sl_slice pat;
    bool all;
    size_t found;
    sl_buf path, hits, tmp;
} search;

/* An object key as a path step: .key when it is an identifier, else ."key". */
static void put_key_step(sl_buf *b, sl_buf *tmp, sl_slice token)
{
    tmp->len = 0;
    unescape_to(tmp, token);
    const char *k = tmp->p ? tmp->p : "";
    bool ident = tmp->len > 0 && !(k[0] >= '0' && k[0] <= '9');
    for (size_t j = 0; ident && j < tmp->len; j++) {
        char c = k[j];
        ident = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '$';
    }
    sl_buf_putc(b, '.');
    if (ident) {
        sl_buf_append(b, k, tmp->len);
    } else {
        sl_buf_putc(b, '"'), put_string_body(b, k, tmp->len), sl_buf_putc(b, '"');
    }
}

static void search_in(search *st, sl_slice v)
{
    const char *p = v.p, *e = v.p + v.n;
    if (st->found && !st->all)
        return;
    if (*p == '"') {
        st->tmp.len = 0;
        unescape_to(&st->tmp, v);
        const char *t = st->tmp.p ? st->tmp.p : "";
        if (like(t, t + st->tmp.len, st->pat.p, st->pat.p + st->pat.n)) {
            sl_buf_puts(&st->hits, st->found++ ? ",\"" : "\"");
            put_string_body(&st->hits, st->path.p, st->path.len);
            sl_buf_putc(&st->hits, '"');
        }
        return;
    }
    if (*p != '{' && *p != '[')
        return;
    bool obj = *p == '{';
    size_t keep = st->path.len;
    p = ws(p + 1, e);
    for (int64_t i = 0; *p != '}' && *p != ']'; i++) {
        st->path.len = keep;
        if (obj) {
            const char *q = scan_string(p, e);
            put_key_step(&st->path, &st->tmp, (sl_slice){p, (size_t)(q - p)});
            p = ws(ws(q, e) + 1, e);
        } else {
            sl_buf_printf(&st->path, "[%lld]", (long long)i);
        }
        const char *q = scan_value(p, e, 0);
        search_in(st, (sl_slice){p, (size_t)(q - p)});
        p = ws(q, e);
        if (*p == ',')
            p = ws(p + 1, e);
    }
    st->path.len = keep;
}

static sl_code f_search(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    (void)e;
    search st = {{NULL, 0}, false, 0, SL_BUF_INIT, SL_BUF_INIT, SL_BUF_INIT};
    sl_buf b = SL_BUF_INIT;
    sl_code rc = SL_OK;
    for (size_t i = 0; rc == SL_OK && i < env->n; i++) {
        sl_slice v, how = sl__arg_s(av, 1, i);
        if (out->null[i])
            continue;
        if (!sl_slice_ieq(how, "one") && !sl_slice_ieq(how, "all")) {
            rc = sl_fail(env->err, SL_INVALID, "the one_or_all argument of json_search must be "
                         "'one' or 'all', not '%.*s'", (int)(how.n > 64 ? 64 : how.n), how.p);
            break;
        }
        if (!json_valid(sl__arg_s(av, 0, i), &v)) {
            out->null[i] = 1;
            continue;
        }
        st.pat = sl__arg_s(av, 2, i), st.all = sl_slice_ieq(how, "all"), st.found = 0;
        st.path.len = 0, st.hits.len = 0;
        sl_buf_putc(&st.path, '$');
        search_in(&st, v);
        b.len = 0;
        if (st.found > 1)
            sl_buf_putc(&b, '[');
        sl_buf_append(&b, st.hits.p ? st.hits.p : "", st.hits.len);
        if (st.found > 1)
            sl_buf_putc(&b, ']');
        b.oom |= st.path.oom | st.hits.oom | st.tmp.oom;
        if (!st.found && !b.oom)
            out->null[i] = 1;
        else if (!sl__expr_text_buf(env, out, i, &b))
            rc = SL_NOMEM;
    }
    sl_buf_free(&b), sl_buf_free(&st.path), sl_buf_free(&st.hits), sl_buf_free(&st.tmp);
    return rc;
}

#define STR SL_STRING
#define JS SL_JSON
#define G(n, k, t) {n, 2, 2, true, STR, t, NULL, f_get, k}

const sl__func sl__expr_funcs_json[] = {
    G("get_json_string", G_STRING, STR),
    G("get_json_int", G_INT, SL_INT),
    G("get_json_bigint", G_BIGINT, SL_BIGINT),
    G("get_json_double", G_DOUBLE, SL_DOUBLE),
    {"json_extract", 2, SL__VARIADIC, true, STR, JS, NULL, f_extract, G_JSON},
    {"jsonb_extract", 2, SL__VARIADIC, true, STR, JS, NULL, f_extract, G_JSON},
    G("json_extract_string", G_JSTRING, STR),
    G("jsonb_extract_string", G_JSTRING, STR),
    G("json_extract_int", G_XINT, SL_INT),
    G("jsonb_extract_int", G_XINT, SL_INT),
    G("json_extract_bigint", G_XBIGINT, SL_BIGINT),
    G("jsonb_extract_bigint", G_XBIGINT, SL_BIGINT),
    G("json_extract_largeint", G_LARGEINT, SL_LARGEINT),
    G("jsonb_extract_largeint", G_LARGEINT, SL_LARGEINT),
    G("json_extract_double", G_DOUBLE, SL_DOUBLE),
    G("jsonb_extract_double", G_DOUBLE, SL_DOUBLE),
    G("json_extract_bool", G_BOOL, SL_BOOLEAN),
    G("jsonb_extract_bool", G_BOOL, SL_BOOLEAN),
    G("json_extract_isnull", G_ISNULL, SL_BOOLEAN),
    G("jsonb_extract_isnull", G_ISNULL, SL_BOOLEAN),
    {"json_parse", 1, 1, true, STR, JS, NULL, f_parse, P_ERROR},
    {"jsonb_parse", 1, 1, true, STR, JS, NULL, f_parse, P_ERROR},
    {"json_parse_error_to_null", 1, 1, true, STR, JS, NULL, f_parse, P_NULL},
    {"jsonb_parse_error_to_null", 1, 1, true, STR, JS, NULL, f_parse, P_NULL},
    {"json_parse_error_to_value", 2, 2, false, STR, JS, NULL, f_parse, P_VALUE},
    {"jsonb_parse_error_to_value", 2, 2, false, STR, JS, NULL, f_parse, P_VALUE},
    {"json_valid", 1, 1, true, STR, SL_INT, NULL, f_valid, 0},
    {"json_length", 1, 2, true, STR, SL_INT, NULL, f_doc, D_LENGTH},
    {"json_keys", 1, 2, true, STR, JS, NULL, f_doc, D_KEYS},
    {"json_type", 2, 2, true, STR, STR, NULL, f_doc, D_TYPE},
    {"jsonb_type", 2, 2, true, STR, STR, NULL, f_doc, D_TYPE},
    {"json_exists_path", 2, 2, true, STR, SL_BOOLEAN, NULL, f_doc, D_EXISTS},
    {"jsonb_exists_path", 2, 2, true, STR, SL_BOOLEAN, NULL, f_doc, D_EXISTS},
    {"json_contains", 2, 3, true, STR, SL_BOOLEAN, NULL, f_contains, 0},
    {"json_quote", 1, 1, true, A_KEEP, STR, bind_build, f_build, B_QUOTE},
    {"json_unquote", 1, 1, true, A_KEEP, STR, bind_build, f_build, B_UNQUOTE},
    {"json_array", 0, SL__VARIADIC, false, A_KEEP, JS, bind_build, f_build, B_ARRAY},
    {"json_object", 0, SL__VARIADIC, false, A_KEEP, JS, bind_build, f_build, B_OBJECT},
    {"json_insert", 3, SL__VARIADIC, false, A_KEEP, JS, bind_modify, f_modify, M_INSERT},
    {"json_set", 3, SL__VARIADIC, false, A_KEEP, JS, bind_modify, f_modify, M_SET},
    {"json_replace", 3, SL__VARIADIC, false, A_KEEP, JS, bind_modify, f_modify, M_REPLACE},
    {"json_search", 3, 3, true, STR, JS, NULL, f_search, 0},
};
const size_t sl__expr_n_funcs_json = SL_COUNT(sl__expr_funcs_json);
