/*
 * func_string.c - string builtins of load expressions (expr stage).
 *
 * Text values are byte slices; positions and lengths count UTF-8 characters (as Doris does),
 * except length(), which counts bytes. Results that are a piece of an argument (substr, trim,
 * left, split_part) borrow the argument's bytes, which live at least as long as the result;
 * new text goes to the evaluation arena. Results longer than 1 MiB (Doris's default string
 * limit) are NULL rather than an allocation the size of the request. md5/sha2 use OpenSSL EVP.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <openssl/evp.h>

#include "internal.h"

#define MAX_RESULT (1u << 20) /* bytes; longer results are NULL (string_type_length_soft_limit) */

static sl_slice arg(const sl_vec *av, size_t k, size_t i)
{
    return (sl_slice){av[k].v[i].s.p, av[k].v[i].s.n};
}

static void set(sl_datum *d, sl_slice s)
{
    d->s.p = s.p ? s.p : "";
    d->s.n = s.n;
}

static size_t u8_chars(sl_slice s)
{
    size_t n = 0;
    for (size_t i = 0; i < s.n; i++)
        n += ((unsigned char)s.p[i] & 0xc0) != 0x80;
    return n;
}

/* Byte offset of character k (0-based); s.n when past the end. */
static size_t u8_offset(sl_slice s, size_t k)
{
    size_t i = 0;
    while (i < s.n && k) {
        i++;
        while (i < s.n && ((unsigned char)s.p[i] & 0xc0) == 0x80)
            i++;
        k--;
    }
    return i;
}

/* Characters [from, from + len) of s (0-based, clamped). */
static sl_slice u8_sub(sl_slice s, size_t from, size_t len)
{
    size_t a = u8_offset(s, from);
    sl_slice rest = {s.p + a, s.n - a};
    size_t b = u8_offset(rest, len);
    return (sl_slice){rest.p, b};
}

static sl_code bind_si(sl_expr *e, sl__binder *b)
{
    return sl__expr_coerce_sig(e, b, "si");
}

static sl_code bind_sis(sl_expr *e, sl__binder *b)
{
    return sl__expr_coerce_sig(e, b, "sis");
}

static sl_code bind_ssi(sl_expr *e, sl__binder *b)
{
    return sl__expr_coerce_sig(e, b, "ssi");
}

/* ---- concatenation ---- */

static sl_code f_concat(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    bool ws = e->fn->aux;
    for (size_t i = 0; i < env->n; i++) {
        size_t len = 0, k0 = ws ? 1 : 0, parts = 0;
        if (out->null[i] || (ws && av[0].null && av[0].null[i])) {
            out->null[i] = 1;
            continue;
        }
        sl_slice sep = ws ? arg(av, 0, i) : (sl_slice){"", 0};
        for (size_t k = k0; k < e->n_args; k++)
            if (!(av[k].null && av[k].null[i]))
                len += av[k].v[i].s.n + (parts++ ? sep.n : 0);
        if (len > MAX_RESULT) {
            out->null[i] = 1;
            continue;
        }
        char *p = sl_arena_alloc(env->a, len ? len : 1);
        if (p == NULL)
            return sl_fail(env->err, SL_NOMEM, "out of memory in concat");
        out->v[i].s.p = p;
        out->v[i].s.n = len;
        parts = 0;
        for (size_t k = k0; k < e->n_args; k++) {
            if (av[k].null && av[k].null[i])
                continue;
            if (parts++ && sep.n)
                memcpy(p, sep.p, sep.n), p += sep.n;
            if (av[k].v[i].s.n)
                memcpy(p, av[k].v[i].s.p, av[k].v[i].s.n), p += av[k].v[i].s.n;
        }
    }
    return SL_OK;
}

/* ---- pieces ---- */

enum { S_SUBSTR, S_LEFT, S_RIGHT, S_TRIM, S_LTRIM, S_RTRIM };

static sl_slice substr(sl_slice s, int64_t pos, bool has_len, int64_t len)
{
    size_t chars = u8_chars(s);
    if (pos < 0)
        pos = (int64_t)chars + pos + 1;
    if (pos < 1 || (uint64_t)pos > chars || (has_len && len < 1))
        return (sl_slice){"", 0};
    return u8_sub(s, (size_t)pos - 1, has_len ? (size_t)len : chars);
}

static sl_slice trim(sl_slice s, bool left, bool right)
{
    while (left && s.n && s.p[0] == ' ')
        s.p++, s.n--;
    while (right && s.n && s.p[s.n - 1] == ' ')
        s.n--;
    return s;
}

static sl_code f_piece(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    int which = e->fn->aux;
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        sl_slice s = arg(av, 0, i), r;
        int64_t n = e->n_args > 1 ? av[1].v[i].i : 0;
        switch (which) {
        case S_SUBSTR: r = substr(s, n, e->n_args > 2, e->n_args > 2 ? av[2].v[i].i : 0); break;
        case S_LEFT: r = n > 0 ? u8_sub(s, 0, (size_t)n) : (sl_slice){"", 0}; break;
        case S_RIGHT: {
            size_t c = u8_chars(s);
            r = n <= 0 ? (sl_slice){"", 0} : (uint64_t)n >= c ? s : u8_sub(s, c - (size_t)n, c);
            break;
        }
        case S_TRIM: r = trim(s, true, true); break;
        case S_LTRIM: r = trim(s, true, false); break;
        default: r = trim(s, false, true); break;
        }
        set(&out->v[i], r);
    }
    return SL_OK;
}

static sl_code f_length(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    for (size_t i = 0; i < env->n; i++)
        if (!out->null[i])
            out->v[i].i = e->fn->aux ? (int64_t)u8_chars(arg(av, 0, i)) : (int64_t)av[0].v[i].s.n;
    return SL_OK;
}

/* upper / lower: ASCII letters only, as Doris does. */
static sl_code f_case(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    /* one pass: copy and fold together; the letters to fold start at lo (a or A) */
    const unsigned char lo = e->fn->aux ? 'a' : 'A';
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        sl_slice s = arg(av, 0, i);
        char *p = sl_arena_alloc(env->a, s.n ? s.n : 1);
        if (p == NULL) {
            env->oom = true;
            return sl_fail(env->err, SL_NOMEM, "out of memory evaluating an expression");
        }
        for (size_t k = 0; k < s.n; k++) {
            unsigned char c = (unsigned char)s.p[k];
            p[k] = (char)((unsigned char)(c - lo) < 26 ? c ^ 0x20 : c);
        }
        out->v[i].s.p = p;
        out->v[i].s.n = s.n;
    }
    return SL_OK;
}

static bool replace_one(sl__env *env, sl_slice s, sl_slice from, sl_slice to, sl_datum *d,
                        bool *too_long)
{
    size_t count = 0, len;
    const char *p = s.p, *end = s.p + s.n, *hit;
    if (from.n == 0) {
        set(d, s);
        return true;
    }
    while ((hit = memmem(p, (size_t)(end - p), from.p, from.n)) != NULL)
        count++, p = hit + from.n;
    len = s.n - count * from.n + count * to.n;
    if ((*too_long = len > MAX_RESULT))
        return true;
    char *o = sl_arena_alloc(env->a, len ? len : 1);
    if (o == NULL)
        return false;
    d->s.p = o;
    d->s.n = len;
    for (p = s.p; (hit = memmem(p, (size_t)(end - p), from.p, from.n)) != NULL; p = hit + from.n) {
        memcpy(o, p, (size_t)(hit - p)), o += hit - p;
        if (to.n)
            memcpy(o, to.p, to.n), o += to.n;
    }
    if (end > p)
        memcpy(o, p, (size_t)(end - p));
    return true;
}

static sl_code f_replace(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    (void)e;
    for (size_t i = 0; i < env->n; i++) {
        bool too_long = false;
        if (out->null[i])
            continue;
        if (!replace_one(env, arg(av, 0, i), arg(av, 1, i), arg(av, 2, i), &out->v[i], &too_long))
            return sl_fail(env->err, SL_NOMEM, "out of memory in replace");
        out->null[i] = too_long;
    }
    return SL_OK;
}

/* split_part(s, delim, n): the n-th field (1-based; negative counts from the end). */
static bool split_part(sl_slice s, sl_slice d, int64_t n, sl_slice *r)
{
    const char *end = s.p + s.n;
    if (d.n == 0 || n == 0)
        return false;
    if (n > 0) {
        const char *p = s.p, *hit;
        for (; n > 1; n--) {
            if ((hit = memmem(p, (size_t)(end - p), d.p, d.n)) == NULL)
                return false;
            p = hit + d.n;
        }
        hit = memmem(p, (size_t)(end - p), d.p, d.n);
        *r = (sl_slice){p, (size_t)((hit ? hit : end) - p)};
        return true;
    }
    /* from the end: field -1 is after the last delimiter */
    size_t stop = s.n;
    for (size_t i = s.n; ; ) {
        size_t k = i;
        while (k >= d.n && memcmp(s.p + k - d.n, d.p, d.n) != 0)
            k--;
        if (k < d.n) {
            if (n == -1) {
                *r = (sl_slice){s.p, stop};
                return true;
            }
            return false;
        }
        if (n == -1) {
            *r = (sl_slice){s.p + k, stop - k};
            return true;
        }
        n++;
        stop = i = k - d.n;
    }
}

static sl_code f_split_part(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    (void)e;
    for (size_t i = 0; i < env->n; i++) {
        sl_slice r;
        if (out->null[i])
            continue;
        if (split_part(arg(av, 0, i), arg(av, 1, i), av[2].v[i].i, &r))
            set(&out->v[i], r);
        else
            out->null[i] = 1;
    }
    return SL_OK;
}

/* lpad / rpad to len characters with pad; shorter strings are cut to len. */
static sl_code f_pad(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        sl_slice s = arg(av, 0, i), pad = arg(av, 2, i);
        int64_t len = av[1].v[i].i;
        size_t chars = u8_chars(s), pc = u8_chars(pad);
        if (len < 0 || len > (int64_t)MAX_RESULT) {
            out->null[i] = 1;
            continue;
        }
        if ((size_t)len <= chars || pc == 0) {
            set(&out->v[i], (size_t)len <= chars ? u8_sub(s, 0, (size_t)len) : (sl_slice){"", 0});
            continue;
        }
        size_t need = (size_t)len - chars, full = need / pc;
        sl_slice tail = u8_sub(pad, 0, need % pc);
        size_t bytes = s.n + full * pad.n + tail.n;
        char *o = sl_arena_alloc(env->a, bytes), *p = o;
        if (o == NULL)
            return sl_fail(env->err, SL_NOMEM, "out of memory in %s", e->fn->name);
        if (e->fn->aux)
            memcpy(p, s.p, s.n), p += s.n;
        for (size_t k = 0; k < full; k++)
            memcpy(p, pad.p, pad.n), p += pad.n;
        memcpy(p, tail.p, tail.n), p += tail.n;
        if (!e->fn->aux)
            memcpy(p, s.p, s.n);
        out->v[i].s.p = o;
        out->v[i].s.n = bytes;
    }
    return SL_OK;
}

/* ---- digests ---- */

static const EVP_MD *digest_of(int64_t bits)
{
    switch (bits) {
    case 0:
    case 256: return EVP_sha256();
    case 224: return EVP_sha224();
    case 384: return EVP_sha384();
    case 512: return EVP_sha512();
    default: return NULL;
    }
}

static sl_code f_digest(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < env->n; i++) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        if (out->null[i])
            continue;
        const EVP_MD *alg = e->fn->aux ? digest_of(av[1].v[i].i) : EVP_md5();
        sl_slice s = arg(av, 0, i);
        if (alg == NULL || !EVP_Digest(s.n ? s.p : "", s.n, md, &n, alg, NULL)) {
            out->null[i] = 1;
            continue;
        }
        char *o = sl_arena_alloc(env->a, 2 * (size_t)n);
        if (o == NULL)
            return sl_fail(env->err, SL_NOMEM, "out of memory in %s", e->fn->name);
        for (unsigned k = 0; k < n; k++)
            o[2 * k] = hex[md[k] >> 4], o[2 * k + 1] = hex[md[k] & 15];
        out->v[i].s.p = o;
        out->v[i].s.n = 2 * (size_t)n;
    }
    return SL_OK;
}

#define STR SL_STRING
#define KEEP A_KEEP

const sl__func sl__expr_funcs_string[] = {
    {"concat", 1, SL__VARIADIC, true, STR, STR, NULL, f_concat, 0},
    {"concat_ws", 2, SL__VARIADIC, false, STR, STR, NULL, f_concat, 1},
    {"substr", 2, 3, true, KEEP, STR, bind_si, f_piece, S_SUBSTR},
    {"substring", 2, 3, true, KEEP, STR, bind_si, f_piece, S_SUBSTR},
    {"mid", 2, 3, true, KEEP, STR, bind_si, f_piece, S_SUBSTR},
    {"left", 2, 2, true, KEEP, STR, bind_si, f_piece, S_LEFT},
    {"strleft", 2, 2, true, KEEP, STR, bind_si, f_piece, S_LEFT},
    {"right", 2, 2, true, KEEP, STR, bind_si, f_piece, S_RIGHT},
    {"strright", 2, 2, true, KEEP, STR, bind_si, f_piece, S_RIGHT},
    {"trim", 1, 1, true, STR, STR, NULL, f_piece, S_TRIM},
    {"ltrim", 1, 1, true, STR, STR, NULL, f_piece, S_LTRIM},
    {"rtrim", 1, 1, true, STR, STR, NULL, f_piece, S_RTRIM},
    {"length", 1, 1, true, STR, SL_INT, NULL, f_length, 0},
    {"char_length", 1, 1, true, STR, SL_INT, NULL, f_length, 1},
    {"character_length", 1, 1, true, STR, SL_INT, NULL, f_length, 1},
    {"upper", 1, 1, true, STR, STR, NULL, f_case, 1},
    {"ucase", 1, 1, true, STR, STR, NULL, f_case, 1},
    {"lower", 1, 1, true, STR, STR, NULL, f_case, 0},
    {"lcase", 1, 1, true, STR, STR, NULL, f_case, 0},
    {"replace", 3, 3, true, STR, STR, NULL, f_replace, 0},
    {"split_part", 3, 3, true, KEEP, STR, bind_ssi, f_split_part, 0},
    {"lpad", 3, 3, true, KEEP, STR, bind_sis, f_pad, 0},
    {"rpad", 3, 3, true, KEEP, STR, bind_sis, f_pad, 1},
    {"md5", 1, 1, true, STR, STR, NULL, f_digest, 0},
    {"sha2", 2, 2, true, KEEP, STR, bind_si, f_digest, 1},
};
const size_t sl__expr_n_funcs_string = SL_COUNT(sl__expr_funcs_string);
