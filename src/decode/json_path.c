/*
 * json_path.c - the JSONPath subset of the JSON decoder (decode stage).
 *
 * Doris's jsonpaths and json_root options name values inside each row: `$` or `$.` (the whole
 * value), `$.a.b`, `$.a[0].b`, `$["a b"]` / `$['a b']`. Paths are compiled once at open (into the
 * decoder's option arena) and evaluated on records that json_scan.c has already validated, by
 * walking the raw text: members that do not match are skipped, never materialised.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <string.h>

#include "json_internal.h"

/* Append one step to out (steps grow in the arena by doubling). */
static sl_code add_step(sl_arena_t *a, sl__json_path *out, size_t *cap, sl__json_step st)
{
    if (out->n_steps == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        sl__json_step *s = sl_arena_alloc(a, ncap * sizeof *s);
        if (s == NULL)
            return SL_NOMEM;
        if (out->n_steps)
            memcpy(s, out->steps, out->n_steps * sizeof *s);
        out->steps = s;
        *cap = ncap;
    }
    out->steps[out->n_steps++] = st;
    return SL_OK;
}

/* A bracket step at p ('[' already seen at p[0]); sets *st and returns the bytes used, 0 if bad. */
static size_t bracket_step(const char *p, const char *e, sl__json_step *st)
{
    const char *q = p + 1;
    if (q < e && (*q == '"' || *q == '\'')) {
        char quote = *q;
        const char *k = ++q;
        while (q < e && *q != quote)
            q++;
        if (q + 1 >= e || q[1] != ']')
            return 0;
        *st = (sl__json_step){{k, (size_t)(q - k)}, -1};
        return (size_t)(q + 2 - p);
    }
    int64_t idx = 0;
    const char *d = q;
    while (q < e && *q >= '0' && *q <= '9' && idx < ((int64_t)1 << 40))
        idx = idx * 10 + (*q++ - '0');
    if (q == d || q >= e || *q != ']')
        return 0;
    *st = (sl__json_step){{NULL, 0}, idx};
    return (size_t)(q + 1 - p);
}

/* Compile one JSONPath; steps live in a. SL_OK, SL_INVALID or SL_NOMEM. */
sl_code sl__json_path_parse(sl_slice text, sl_arena_t *a, sl__json_path *out)
{
    const char *p = text.p, *e = text.p + text.n;
    size_t cap = 0;
    *out = (sl__json_path){NULL, 0};
    if (p == e || *p != '$')
        return SL_INVALID;
    p++;
    while (p < e) {
        sl__json_step st;
        if (*p == '[') {
            size_t used = bracket_step(p, e, &st);
            if (used == 0)
                return SL_INVALID;
            p += used;
        } else if (*p == '.') {
            const char *k = ++p;
            while (p < e && *p != '.' && *p != '[')
                p++;
            if (p == k) {
                if (p == e && out->n_steps == 0)
                    break; /* "$." is the whole value */
                return SL_INVALID;
            }
            st = (sl__json_step){{k, (size_t)(p - k)}, -1};
        } else {
            return SL_INVALID;
        }
        if (add_step(a, out, &cap, st) != SL_OK)
            return SL_NOMEM;
    }
    return SL_OK;
}

/* Compile the jsonpaths option (a JSON array of path strings) into a. SL_OK, SL_INVALID or
 * SL_NOMEM. */
sl_code sl__json_paths_parse(sl_slice text, sl_arena_t *a, sl__json_path **paths, size_t *n_paths)
{
    sl__json_cur c = {text.p, text.p + text.n, true, false, SL__JSON_OK, a};
    size_t n = 0, cap = 0;
    sl__json_path *v = NULL;
    if (sl__json_validate(text.p, text.n) != SL__JSON_OK)
        return SL_INVALID;
    sl__json_ws(&c);
    if (*c.p != '[')
        return SL_INVALID;
    c.p++;
    for (;;) {
        sl__json_ws(&c);
        if (*c.p == ']')
            break;
        if (*c.p == ',') {
            c.p++;
            continue;
        }
        sl_slice s;
        if (*c.p != '"')
            return SL_INVALID;
        if (!sl__json_string(&c, &s))
            return c.err == SL__JSON_NOMEM ? SL_NOMEM : SL_INVALID;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            sl__json_path *nv = sl_arena_alloc(a, ncap * sizeof *nv);
            if (nv == NULL)
                return SL_NOMEM;
            if (n)
                memcpy(nv, v, n * sizeof *nv);
            v = nv;
            cap = ncap;
        }
        sl_code rc = sl__json_path_parse(s, a, &v[n++]);
        if (rc != SL_OK)
            return rc;
    }
    *paths = v;
    *n_paths = n;
    return SL_OK;
}

/* c->p is at an object; move it to the value of member key (first match). */
static bool find_member(sl__json_cur *c, sl_slice key)
{
    c->p++;
    for (;;) {
        sl__json_ws(c);
        if (c->p >= c->end || *c->p != '"')
            return false; /* '}' of an object without the key */
        sl_slice k;
        if (!sl__json_string(c, &k))
            return false;
        sl__json_ws(c);
        c->p++; /* ':' */
        sl__json_ws(c);
        if (k.n == key.n && memcmp(k.p, key.p, k.n) == 0)
            return true;
        if (!sl__json_skip(c))
            return false;
        sl__json_ws(c);
        if (c->p >= c->end || *c->p != ',')
            return false;
        c->p++;
    }
}

/* c->p is at an array; move it to element idx. */
static bool find_element(sl__json_cur *c, int64_t idx)
{
    c->p++;
    sl__json_ws(c);
    if (c->p >= c->end || *c->p == ']')
        return false;
    for (int64_t i = 0; i < idx; i++) {
        if (!sl__json_skip(c))
            return false;
        sl__json_ws(c);
        if (c->p >= c->end || *c->p != ',')
            return false;
        c->p++;
        sl__json_ws(c);
    }
    return true;
}

/* Locate path in the validated value p[0..n); *raw is a sub-slice of p. False when absent. */
bool sl__json_path_find(const char *p, size_t n, const sl__json_path *path, sl_arena_t *scratch,
                        sl_slice *raw)
{
    sl__json_cur c = {p, p + n, true, false, SL__JSON_OK, scratch};
    sl__json_ws(&c);
    for (size_t i = 0; i < path->n_steps; i++) {
        const sl__json_step *st = &path->steps[i];
        if (c.p >= c.end)
            return false;
        if (st->index < 0 ? (*c.p != '{' || !find_member(&c, st->key))
                          : (*c.p != '[' || !find_element(&c, st->index)))
            return false;
    }
    const char *start = c.p;
    if (!sl__json_skip(&c))
        return false;
    *raw = (sl_slice){start, (size_t)(c.p - start)};
    return true;
}
