/*
 * func_regexp.c - regular-expression builtins of load expressions (expr stage):
 * regexp_extract, regexp_extract_or_null, regexp_extract_all, regexp_replace,
 * regexp_replace_one, regexp_count.
 *
 * Patterns are POSIX extended expressions (as the REGEXP operator in eval.c), with the RE2
 * escapes Doris users write translated first: \d \D (digits), and \w \s \b pass through to
 * glibc's own extensions. A pattern is compiled once for a run of rows sharing it (normally
 * the whole batch: patterns are constants). Replacements take \1 .. \9 for groups, as RE2.
 * An invalid pattern is an error naming it (Doris: "Invalid regex expression").
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <regex.h>

#include "../core/buf.h"
#include "internal.h"

#define MAX_GROUPS 10

/* A compiled pattern, reused while rows share the pattern text. */
typedef struct rx {
    regex_t re;
    bool have;
    sl_slice last;
} rx;

/* The pattern with RE2's \d and \D spelled in POSIX classes, NUL-terminated, into b. */
static void translate(sl_buf *b, sl_slice p)
{
    bool in_class = false;
    for (size_t k = 0; k < p.n; k++) {
        char c = p.p[k];
        if (c == '\\' && k + 1 < p.n) {
            char d = p.p[++k];
            if (d == 'd')
                sl_buf_puts(b, in_class ? "0-9" : "[0-9]");
            else if (d == 'D' && !in_class)
                sl_buf_puts(b, "[^0-9]");
            else
                sl_buf_putc(b, '\\'), sl_buf_putc(b, d);
            continue;
        }
        if (c == '[' && !in_class)
            in_class = true;
        else if (c == ']' && in_class)
            in_class = false;
        sl_buf_putc(b, c);
    }
    sl_buf_putc(b, '\0');
}

static sl_code compile(rx *r, sl_slice pat, sl__env *env)
{
    if (r->have && pat.n == r->last.n && memcmp(pat.p, r->last.p, pat.n) == 0)
        return SL_OK;
    if (r->have)
        regfree(&r->re), r->have = false;
    sl_buf b = SL_BUF_INIT;
    translate(&b, pat);
    if (b.oom) {
        sl_buf_free(&b);
        return sl_fail(env->err, SL_NOMEM, "out of memory compiling a regular expression");
    }
    int rc = regcomp(&r->re, b.p, REG_EXTENDED);
    sl_buf_free(&b);
    if (rc != 0)
        return sl_fail(env->err, SL_INVALID, "Invalid regex expression: %.*s",
                       (int)(pat.n > 100 ? 100 : pat.n), pat.p);
    r->have = true;
    r->last = pat;
    return SL_OK;
}

/* A NUL-terminated copy of row text (regexec needs one) in the arena. */
static const char *cstr(sl__env *env, sl_slice s)
{
    char *c = sl_arena_alloc(env->a, s.n + 1);
    if (c == NULL)
        return NULL;
    if (s.n)
        memcpy(c, s.p, s.n);
    c[s.n] = '\0';
    return c;
}

enum { R_EXTRACT, R_EXTRACT_NULL, R_EXTRACT_ALL, R_REPLACE, R_REPLACE_ONE, R_COUNT };

/* The replacement template rep for match m of subject s, appended to b. */
static void expand(sl_buf *b, const char *s, const regmatch_t *m, sl_slice rep)
{
    for (size_t k = 0; k < rep.n; k++) {
        if (rep.p[k] == '\\' && k + 1 < rep.n && rep.p[k + 1] >= '0' && rep.p[k + 1] <= '9') {
            int g = rep.p[++k] - '0';
            if (m[g].rm_so >= 0)
                sl_buf_append(b, s + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
            continue;
        }
        if (rep.p[k] == '\\' && k + 1 < rep.n)
            k++;
        sl_buf_putc(b, rep.p[k]);
    }
}

/* One row: the function's result for subject s into b (or *null / *count). */
static void one(int how, const regex_t *re, const char *s, size_t n, int64_t idx, sl_slice rep,
                sl_buf *b, bool *null, int64_t *count)
{
    regmatch_t m[MAX_GROUPS];
    size_t off = 0;
    bool any = false, all = how == R_EXTRACT_ALL;
    /* only the groups used: glibc's matcher is much faster when it need not track the rest */
    size_t want = how == R_COUNT ? 1 : how == R_EXTRACT_ALL ? 2
                : how <= R_EXTRACT_NULL ? (idx >= 0 && idx < MAX_GROUPS ? (size_t)idx + 1 : 1)
                : memchr(rep.p, '\\', rep.n) ? MAX_GROUPS : 1;
    if (want > re->re_nsub + 1)
        want = re->re_nsub + 1;
    for (size_t g = want; g < MAX_GROUPS; g++)
        m[g].rm_so = m[g].rm_eo = -1;
    if (how == R_EXTRACT_ALL)
        sl_buf_putc(b, '[');
    while (off <= n && regexec(re, s + off, want, m, off ? REG_NOTBOL : 0) == 0) {
        size_t so = off + (size_t)m[0].rm_so, eo = off + (size_t)m[0].rm_eo;
        for (size_t g = 0; g < want; g++)
            if (m[g].rm_so >= 0)
                m[g].rm_so += (regoff_t)off, m[g].rm_eo += (regoff_t)off;
        if (how == R_EXTRACT || how == R_EXTRACT_NULL) {
            if (idx < 0 || idx >= MAX_GROUPS || (size_t)idx > re->re_nsub || m[idx].rm_so < 0) {
                *null = how == R_EXTRACT_NULL;
                return;
            }
            sl_buf_append(b, s + m[idx].rm_so, (size_t)(m[idx].rm_eo - m[idx].rm_so));
            return;
        }
        if (how == R_COUNT) {
            ++*count;
        } else if (all) { /* group 1 of every match, as ['a','b'] */
            int g = re->re_nsub >= 1 ? 1 : 0;
            if (any)
                sl_buf_putc(b, ',');
            sl_buf_putc(b, '\'');
            sl_buf_append(b, s + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
            sl_buf_putc(b, '\'');
        } else {
            sl_buf_append(b, s + off, so - off);
            expand(b, s, m, rep);
        }
        any = true;
        off = eo > so ? eo : eo + 1;
        if (eo == so && !all && how != R_COUNT && so < n)
            sl_buf_putc(b, s[so]); /* an empty match keeps the character it stood before */
        if (how == R_REPLACE_ONE)
            break;
    }
    if (how == R_EXTRACT_NULL && !any)
        *null = true;
    if (how == R_EXTRACT_ALL)
        sl_buf_putc(b, ']');
    if ((how == R_REPLACE || how == R_REPLACE_ONE) && off <= n)
        sl_buf_append(b, s + off, n - off);
}

static sl_code f_regexp(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    const int how = e->fn->aux;
    rx r = {.have = false};
    sl_buf b = SL_BUF_INIT;
    sl_code rc = SL_OK;
    for (size_t i = 0; rc == SL_OK && i < env->n; i++) {
        bool null = false;
        int64_t count = 0;
        if (out->null[i])
            continue;
        sl_slice s = sl__arg_s(av, 0, i);
        const char *c = cstr(env, s);
        if (c == NULL) {
            rc = sl_fail(env->err, SL_NOMEM, "out of memory in %s", e->fn->name);
            break;
        }
        if ((rc = compile(&r, sl__arg_s(av, 1, i), env)) != SL_OK)
            break;
        b.len = 0;
        one(how, &r.re, c, s.n, e->n_args > 2 && how <= R_EXTRACT_NULL ? av[2].v[i].i : 0,
            e->n_args > 2 ? sl__arg_s(av, 2, i) : (sl_slice){"", 0}, &b, &null, &count);
        if (how == R_COUNT) {
            out->v[i].i = count;
        } else if (null || b.len > SL__MAX_TEXT) {
            out->null[i] = 1;
        } else if (b.oom || !sl__expr_text(env, &out->v[i], b.p ? b.p : "", b.len)) {
            rc = sl_fail(env->err, SL_NOMEM, "out of memory in %s", e->fn->name);
        }
    }
    if (r.have)
        regfree(&r.re);
    sl_buf_free(&b);
    return rc;
}

static sl_code bind_extract(sl_expr *e, sl__binder *b)
{
    sl_code rc = SL_OK;
    for (size_t k = 0; rc == SL_OK && k < e->n_args; k++)
        rc = sl__expr_coerce(b, &e->args[k], sl__ty(k == 2 ? SL_BIGINT : SL_STRING));
    return rc;
}

#define STR SL_STRING

const sl__func sl__expr_funcs_regexp[] = {
    {"regexp_extract", 3, 3, true, A_KEEP, STR, bind_extract, f_regexp, R_EXTRACT},
    {"regexp_extract_or_null", 3, 3, true, A_KEEP, STR, bind_extract, f_regexp, R_EXTRACT_NULL},
    {"regexp_extract_all", 2, 2, true, STR, STR, NULL, f_regexp, R_EXTRACT_ALL},
    {"regexp_replace", 3, 3, true, STR, STR, NULL, f_regexp, R_REPLACE},
    {"regexp_replace_one", 3, 3, true, STR, STR, NULL, f_regexp, R_REPLACE_ONE},
    {"regexp_count", 2, 2, true, STR, SL_INT, NULL, f_regexp, R_COUNT},
};
const size_t sl__expr_n_funcs_regexp = SL_COUNT(sl__expr_funcs_regexp);
