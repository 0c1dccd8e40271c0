/*
 * jsonval.c - whole-document JSON reader for small request bodies (core). See jsonval.h.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "platform.h"

#include <string.h>

#include "jsonval.h"

typedef struct jp {
    const char *p, *end, *start;
    sl_arena_t *a;
    sl_err *err;
    int depth;
} jp;

static sl_code bad(jp *j, const char *what)
{
    return sl_fail(j->err, SL_INVALID, "invalid JSON at offset %zu: %s", (size_t)(j->p - j->start),
                   what);
}

static void ws(jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static bool hex4(jp *j, unsigned *cp)
{
    if (j->end - j->p < 4)
        return false;
    *cp = 0;
    for (int i = 0; i < 4; i++) {
        int h = sl_hexval(j->p[i]);
        if (h < 0)
            return false;
        *cp = *cp * 16 + (unsigned)h;
    }
    j->p += 4;
    return true;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* j->p is just past the opening quote. The unescaped text is never longer than the source. */
static sl_code string(jp *j, sl_slice *out)
{
    const char *q = j->p;
    while (q < j->end && *q != '"')
        q += (*q == '\\') ? 2 : 1;
    if (q >= j->end)
        return bad(j, "unterminated string");
    char *o = sl_arena_alloc(j->a, (size_t)(q - j->p) + 1);
    if (o == NULL)
        return sl_fail(j->err, SL_NOMEM, "out of memory");
    size_t n = 0;
    while (*j->p != '"') {
        unsigned char c = (unsigned char)*j->p++;
        if (c < 0x20)
            return bad(j, "control character in string");
        if (c != '\\') {
            o[n++] = (char)c;
            continue;
        }
        char e = *j->p++;
        unsigned cp;
        switch (e) {
        case '"': case '\\': case '/': o[n++] = e; break;
        case 'b': o[n++] = '\b'; break;
        case 'f': o[n++] = '\f'; break;
        case 'n': o[n++] = '\n'; break;
        case 'r': o[n++] = '\r'; break;
        case 't': o[n++] = '\t'; break;
        case 'u':
            if (!hex4(j, &cp))
                return bad(j, "bad \\u escape");
            if (cp >= 0xd800 && cp < 0xdc00 && j->end - j->p >= 6 && j->p[0] == '\\' &&
                j->p[1] == 'u') {
                unsigned lo;
                j->p += 2;
                if (!hex4(j, &lo) || lo < 0xdc00 || lo > 0xdfff)
                    return bad(j, "bad surrogate pair");
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            n += put_utf8(o + n, cp); /* 6 source bytes give at most 4 */
            break;
        default:
            return bad(j, "bad escape");
        }
    }
    j->p++;
    o[n] = '\0';
    *out = (sl_slice){o, n};
    return SL_OK;
}

static sl_code value(jp *j, sl_jval *v);

static sl_code container(jp *j, sl_jval *v, bool obj)
{
    char close = obj ? '}' : ']';
    size_t cap = 4;
    v->type = obj ? SL_J_OBJ : SL_J_ARR;
    v->items = sl_arena_alloc(j->a, cap * sizeof *v->items);
    v->keys = obj ? sl_arena_alloc(j->a, cap * sizeof *v->keys) : NULL;
    if (v->items == NULL || (obj && v->keys == NULL))
        return sl_fail(j->err, SL_NOMEM, "out of memory");
    ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        return SL_OK;
    }
    for (;;) {
        if (v->n == cap) {
            sl_jval *ni = sl_arena_alloc(j->a, cap * 2 * sizeof *ni);
            sl_slice *nk = obj ? sl_arena_alloc(j->a, cap * 2 * sizeof *nk) : NULL;
            if (ni == NULL || (obj && nk == NULL))
                return sl_fail(j->err, SL_NOMEM, "out of memory");
            memcpy(ni, v->items, cap * sizeof *ni);
            if (obj)
                memcpy(nk, v->keys, cap * sizeof *nk);
            v->items = ni;
            v->keys = nk;
            cap *= 2;
        }
        ws(j);
        if (obj) {
            if (j->p >= j->end || *j->p != '"')
                return bad(j, "expected a key");
            j->p++;
            sl_code rc = string(j, &v->keys[v->n]);
            if (rc != SL_OK)
                return rc;
            ws(j);
            if (j->p >= j->end || *j->p != ':')
                return bad(j, "expected ':'");
            j->p++;
        }
        sl_code rc = value(j, &v->items[v->n]);
        if (rc != SL_OK)
            return rc;
        v->n++;
        ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return SL_OK;
        }
        return bad(j, obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static sl_code number(jp *j, sl_jval *v)
{
    const char *s = j->p;
    if (j->p < j->end && *j->p == '-')
        j->p++;
    if (j->p >= j->end || !(*j->p >= '0' && *j->p <= '9'))
        return bad(j, "invalid value");
    if (*j->p == '0')
        j->p++;
    else
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (j->p >= j->end || !(*j->p >= '0' && *j->p <= '9'))
            return bad(j, "invalid number");
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
            j->p++;
        if (j->p >= j->end || !(*j->p >= '0' && *j->p <= '9'))
            return bad(j, "invalid number");
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    }
    v->type = SL_J_NUM;
    v->s = (sl_slice){s, (size_t)(j->p - s)};
    return SL_OK;
}

static bool word(jp *j, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
        return false;
    j->p += n;
    return true;
}

static sl_code value(jp *j, sl_jval *v)
{
    memset(v, 0, sizeof *v);
    ws(j);
    if (j->p >= j->end)
        return bad(j, "unexpected end");
    if (++j->depth > 64)
        return bad(j, "nesting too deep");
    sl_code rc;
    switch (*j->p) {
    case '{': j->p++; rc = container(j, v, true); break;
    case '[': j->p++; rc = container(j, v, false); break;
    case '"': j->p++; v->type = SL_J_STR; rc = string(j, &v->s); break;
    case 't': v->type = SL_J_BOOL; v->b = true; rc = word(j, "true") ? SL_OK : bad(j, "invalid value"); break;
    case 'f': v->type = SL_J_BOOL; rc = word(j, "false") ? SL_OK : bad(j, "invalid value"); break;
    case 'n': v->type = SL_J_NULL; rc = word(j, "null") ? SL_OK : bad(j, "invalid value"); break;
    default: rc = number(j, v); break;
    }
    j->depth--;
    return rc;
}

sl_code sl_json_parse(const char *p, size_t n, sl_arena_t *a, sl_jval **out, sl_err *err)
{
    jp j = {p, p + n, p, a, err, 0};
    sl_jval *v = sl_arena_alloc(a, sizeof *v);
    if (v == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory");
    sl_code rc = value(&j, v);
    if (rc != SL_OK)
        return rc;
    ws(&j);
    if (j.p != j.end)
        return bad(&j, "trailing characters");
    *out = v;
    return SL_OK;
}

const sl_jval *sl_json_get(const sl_jval *obj, const char *key)
{
    if (obj == NULL || obj->type != SL_J_OBJ)
        return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (sl_slice_eq(obj->keys[i], key))
            return &obj->items[i];
    return NULL;
}
