/*
 * func_string2.c - Doris's string functions beyond func_string.c (expr stage): searching
 * (instr, locate, find_in_set, field, elt, strcmp, starts_with, ends_with, count_substrings,
 * substring_index), building (repeat, space, reverse, initcap, translate, overlay,
 * sub_replace, append_trailing_char_if_absent, char, quote, money_format, format_round),
 * hex/unhex, masks
 * (mask, mask_first_n, mask_last_n, digital_masking), URLs (parse_url, extract_url_parameter,
 * url_encode/decode, protocol, domain, domain_without_www, top_level_domain) and
 * split_by_string.
 *
 * Positions and lengths count UTF-8 characters, as in func_string.c (mask_first_n /
 * mask_last_n count bytes, as Doris documents). Results past SL__MAX_TEXT are NULL. Arrays
 * (split_by_string) come back as the text Doris prints for an ARRAY<STRING>, ["a", "b"],
 * which a load converts into an ARRAY column like any other array text.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <math.h>
#include <stdio.h>

#include "../core/buf.h"
#include "internal.h"

static void set(sl_datum *d, sl_slice s)
{
    d->s.p = s.p ? s.p : "";
    d->s.n = s.n;
}

static sl_code bind_si(sl_expr *e, sl__binder *b)
{
    return sl__expr_coerce_sig(e, b, "si");
}

static sl_code bind_ssi(sl_expr *e, sl__binder *b)
{
    return sl__expr_coerce_sig(e, b, "ssi");
}

static sl_code bind_siis(sl_expr *e, sl__binder *b)
{
    return sl__expr_coerce_sig(e, b, "siis");
}

static sl_code bind_ssii(sl_expr *e, sl__binder *b)
{
    return sl__expr_coerce_sig(e, b, "ssii");
}

static sl_code bind_is(sl_expr *e, sl__binder *b)
{
    return sl__expr_coerce_sig(e, b, "is");
}

static sl_code bind_i(sl_expr *e, sl__binder *b)
{
    return sl__expr_coerce_sig(e, b, "i");
}


/* Character position (1-based) of the byte offset off in s. */
static int64_t char_pos(sl_slice s, size_t off)
{
    return (int64_t)sl__u8_chars((sl_slice){s.p, off}) + 1;
}

/* ---- searching ---- */

enum { K_INSTR, K_LOCATE, K_FIND_IN_SET, K_STRCMP, K_STARTS, K_ENDS, K_COUNT, K_ASCII,
       K_BITLEN, K_NULL_EMPTY, K_NOT_NULL_EMPTY };

static int64_t locate(sl_slice needle, sl_slice hay, int64_t pos)
{
    size_t chars = sl__u8_chars(hay);
    if (pos < 1 || (uint64_t)pos > chars + 1)
        return 0;
    size_t from = sl__u8_offset(hay, (size_t)pos - 1);
    if (needle.n == 0)
        return pos;
    const char *hit = memmem(hay.p + from, hay.n - from, needle.p, needle.n);
    return hit ? char_pos(hay, (size_t)(hit - hay.p)) : 0;
}

static int64_t find_in_set(sl_slice s, sl_slice list)
{
    int64_t k = 1;
    if (memchr(s.p, ',', s.n))
        return 0;
    for (const char *p = list.p, *e = list.p + list.n;; k++) {
        const char *c = memchr(p, ',', (size_t)(e - p));
        const char *end = c ? c : e;
        if ((size_t)(end - p) == s.n && memcmp(p, s.p, s.n) == 0)
            return k;
        if (c == NULL)
            return 0;
        p = c + 1;
    }
}

static int64_t count_substrings(sl_slice s, sl_slice pat)
{
    int64_t n = 0;
    if (pat.n == 0)
        return 0;
    for (const char *p = s.p, *e = s.p + s.n, *hit;
         (hit = memmem(p, (size_t)(e - p), pat.p, pat.n)) != NULL; p = hit + pat.n)
        n++;
    return n;
}

static sl_code f_search(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    const int how = e->fn->aux;
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        if (how == K_NULL_EMPTY || how == K_NOT_NULL_EMPTY) { /* nullprop off: NULL is an answer */
            bool ne = sl__arg_null(av, 0, i) || av[0].v[i].s.n == 0;
            out->v[i].i = how == K_NULL_EMPTY ? ne : !ne;
            continue;
        }
        sl_slice a = sl__arg_s(av, 0, i), b = e->n_args > 1 ? sl__arg_s(av, 1, i) : a;
        int64_t r = 0;
        switch (how) {
        case K_INSTR: r = locate(b, a, 1); break;
        case K_LOCATE: r = locate(a, b, e->n_args > 2 ? av[2].v[i].i : 1); break;
        case K_FIND_IN_SET: r = find_in_set(a, b); break;
        case K_STRCMP: {
            int c = memcmp(a.p, b.p, a.n < b.n ? a.n : b.n);
            r = c ? (c > 0) - (c < 0) : (a.n > b.n) - (a.n < b.n);
            break;
        }
        case K_STARTS: r = b.n <= a.n && memcmp(a.p, b.p, b.n) == 0; break;
        case K_ENDS: r = b.n <= a.n && memcmp(a.p + a.n - b.n, b.p, b.n) == 0; break;
        case K_COUNT: r = count_substrings(a, b); break;
        case K_ASCII: r = a.n ? (unsigned char)a.p[0] : 0; break;
        default: r = (int64_t)a.n * 8; break; /* K_BITLEN */
        }
        out->v[i].i = r;
    }
    return SL_OK;
}

/* elt(n, s1, s2, ...): s_n, or NULL outside 1..count. */
static sl_code f_elt(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    for (size_t i = 0; i < env->n; i++) {
        int64_t k = av[0].v[i].i;
        if (out->null[i] || sl__arg_null(av, 0, i) || k < 1 || (uint64_t)k >= e->n_args ||
            sl__arg_null(av, (size_t)k, i)) {
            out->null[i] = 1;
            continue;
        }
        out->v[i] = av[k].v[i];
    }
    return SL_OK;
}

/* field(x, v1, v2, ...): the position of the first vi equal to x, else 0 (NULL never equals). */
static sl_code f_field(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    int cls = sl__cls_of(av[0].type.id);
    for (size_t i = 0; i < env->n; i++) {
        if (out->null[i])
            continue;
        out->v[i].i = 0;
        for (size_t k = 1; !sl__arg_null(av, 0, i) && k < e->n_args; k++)
            if (!sl__arg_null(av, k, i) && sl__expr_cmp(cls, &av[0].v[i], &av[k].v[i]) == 0) {
                out->v[i].i = (int64_t)k;
                break;
            }
    }
    return SL_OK;
}

static sl_code bind_field(sl_expr *e, sl__binder *b)
{
    sl_type t;
    return sl__expr_coerce_all(e, b, &t);
}

/* substring_index(s, delim, count): before the count-th delimiter (count > 0) or after the
 * -count-th from the end (count < 0). */
static sl_slice substring_index(sl_slice s, sl_slice d, int64_t count)
{
    if (d.n == 0 || count == 0)
        return (sl_slice){"", 0};
    const char *e = s.p + s.n;
    if (count > 0) {
        const char *p = s.p, *hit = NULL;
        for (; count > 0; count--) {
            if ((hit = memmem(p, (size_t)(e - p), d.p, d.n)) == NULL)
                return s;
            p = hit + d.n;
        }
        return (sl_slice){s.p, (size_t)(hit - s.p)};
    }
    size_t end = s.n;
    for (; count < 0; count++) {
        size_t k = end;
        while (k >= d.n && memcmp(s.p + k - d.n, d.p, d.n) != 0)
            k--;
        if (k < d.n)
            return s;
        if (count == -1)
            return (sl_slice){s.p + k, s.n - k};
        end = k - d.n;
    }
    return s;
}

static sl_code f_substring_index(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    (void)e;
    for (size_t i = 0; i < env->n; i++)
        if (!out->null[i])
            set(&out->v[i], substring_index(sl__arg_s(av, 0, i), sl__arg_s(av, 1, i),
                                            av[2].v[i].i));
    return SL_OK;
}

/* ---- building ---- */

enum { T_REPEAT, T_SPACE, T_REVERSE, T_INITCAP, T_QUOTE, T_APPEND, T_HEX_STR, T_UNHEX,
       T_URL_ENCODE, T_URL_DECODE, T_DIGITAL_MASK };

static void repeat_to(sl_buf *b, sl_slice s, int64_t n)
{
    if (n <= 0 || (uint64_t)n * s.n > SL__MAX_TEXT) {
        if (n > 0 && s.n)
            b->len = SL__MAX_TEXT + 1; /* too long: NULL */
        return;
    }
    for (int64_t k = 0; k < n; k++)
        sl_buf_append(b, s.p, s.n);
}

static bool is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c >= 0x80;
}

static void hex_to(sl_buf *b, const unsigned char *p, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t k = 0; k < n; k++)
        sl_buf_putc(b, hex[p[k] >> 4]), sl_buf_putc(b, hex[p[k] & 15]);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f'
                                                ? (c | 0x20) - 'a' + 10 : -1;
}

/* unhex: '' when the text is not an even run of hex digits (Doris). */
static void unhex_to(sl_buf *b, sl_slice s)
{
    if (s.n % 2)
        return;
    for (size_t k = 0; k < s.n; k += 2) {
        int hi = hexval(s.p[k]), lo = hexval(s.p[k + 1]);
        if (hi < 0 || lo < 0) {
            b->len = 0;
            return;
        }
        sl_buf_putc(b, (char)(hi << 4 | lo));
    }
}

/* url_encode: application/x-www-form-urlencoded, as Java's URLEncoder (Doris). */
static void url_encode_to(sl_buf *b, sl_slice s)
{
    for (size_t k = 0; k < s.n; k++) {
        unsigned char c = (unsigned char)s.p[k];
        if (is_alnum(c) && c < 0x80)
            sl_buf_putc(b, (char)c);
        else if (c == '.' || c == '-' || c == '*' || c == '_')
            sl_buf_putc(b, (char)c);
        else if (c == ' ')
            sl_buf_putc(b, '+');
        else
            sl_buf_putc(b, '%'), hex_to(b, &c, 1);
    }
}

static void url_decode_to(sl_buf *b, sl_slice s)
{
    for (size_t k = 0; k < s.n; k++) {
        char c = s.p[k];
        if (c == '+') {
            sl_buf_putc(b, ' ');
        } else if (c == '%' && k + 2 < s.n + 0 && hexval(s.p[k + 1]) >= 0 &&
                   hexval(s.p[k + 2]) >= 0) {
            sl_buf_putc(b, (char)(hexval(s.p[k + 1]) << 4 | hexval(s.p[k + 2])));
            k += 2;
        } else {
            sl_buf_putc(b, c);
        }
    }
}

/* quote: the text in single quotes with ', \, NUL and Ctrl-Z escaped (MySQL's QUOTE). */
static void quote_to(sl_buf *b, sl_slice s)
{
    sl_buf_putc(b, '\'');
    for (size_t k = 0; k < s.n; k++) {
        char c = s.p[k];
        if (c == '\'' || c == '\\')
            sl_buf_putc(b, '\\'), sl_buf_putc(b, c);
        else if (c == '\0')
            sl_buf_puts(b, "\\0");
        else if (c == '\032')
            sl_buf_puts(b, "\\Z");
        else
            sl_buf_putc(b, c);
    }
    sl_buf_putc(b, '\'');
}

/* reverse, initcap and hex of s into o (n, n and 2n bytes). */
static void direct(int how, sl_slice s, char *o)
{
    static const char hex[] = "0123456789ABCDEF";
    if (how == T_HEX_STR) {
        for (size_t k = 0; k < s.n; k++) {
            unsigned char c = (unsigned char)s.p[k];
            o[2 * k] = hex[c >> 4], o[2 * k + 1] = hex[c & 15];
        }
    } else if (how == T_REVERSE) {
        size_t end = s.n, w = 0;
        while (end > 0) {
            size_t k = end - 1;
            while (k > 0 && ((unsigned char)s.p[k] & 0xc0) == 0x80)
                k--;
            memcpy(o + w, s.p + k, end - k);
            w += end - k, end = k;
        }
    } else {
        bool start = true;
        for (size_t k = 0; k < s.n; k++) {
            unsigned char c = (unsigned char)s.p[k];
            bool letter = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
            o[k] = (char)(letter ? (start ? c & ~0x20 : c | 0x20) : c);
            start = !is_alnum(c);
        }
    }
}

static sl_code f_text(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    const int how = e->fn->aux;
    sl_buf b = SL_BUF_INIT;
    sl_code rc = SL_OK;
    for (size_t i = 0; rc == SL_OK && i < env->n; i++) {
        if (out->null[i])
            continue;
        sl_slice s = how == T_SPACE ? (sl_slice){" ", 1} : sl__arg_s(av, 0, i);
        if (how == T_REVERSE || how == T_INITCAP || how == T_HEX_STR) { /* size known: direct */
            if (s.n > SL__MAX_TEXT / 2) {
                out->null[i] = 1;
                continue;
            }
            char *o = sl__expr_alloc_text(env, &out->v[i], how == T_HEX_STR ? 2 * s.n : s.n);
            if (o == NULL) {
                rc = SL_NOMEM;
                break;
            }
            direct(how, s, o);
            continue;
        }
        b.len = 0;
        switch (how) {
        case T_REPEAT: repeat_to(&b, s, av[1].v[i].i); break;
        case T_SPACE: repeat_to(&b, s, av[0].v[i].i); break;
        case T_QUOTE: quote_to(&b, s); break;
        case T_APPEND: {
            sl_slice c = sl__arg_s(av, 1, i);
            if (sl__u8_chars(c) != 1) {
                out->null[i] = 1;
                continue;
            }
            sl_buf_append(&b, s.p, s.n);
            if (s.n < c.n || memcmp(s.p + s.n - c.n, c.p, c.n) != 0)
                sl_buf_append(&b, c.p, c.n);
            break;
        }
        case T_UNHEX: unhex_to(&b, s); break;
        case T_URL_ENCODE: url_encode_to(&b, s); break;
        case T_URL_DECODE: url_decode_to(&b, s); break;
        default: { /* digital_masking: first 3 and last 4 characters around **** */
            size_t c = sl__u8_chars(s);
            sl_slice head = {s.p, sl__u8_offset(s, 3)};
            size_t tail = sl__u8_offset(s, c > 4 ? c - 4 : 0);
            sl_buf_append(&b, head.p, head.n), sl_buf_puts(&b, "****");
            sl_buf_append(&b, s.p + tail, s.n - tail);
        }
        }
        if (!sl__expr_text_buf(env, out, i, &b))
            rc = SL_NOMEM;
    }
    sl_buf_free(&b);
    return rc;
}

/* hex(x): integers as the hex of their 64-bit two's complement, text as the hex of its bytes. */
static sl_code f_hex_int(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    (void)e;
    for (size_t i = 0; i < env->n; i++) {
        char tmp[17];
        if (out->null[i])
            continue;
        int n = snprintf(tmp, sizeof tmp, "%llX", (unsigned long long)av[0].v[i].i);
        if (!sl__expr_text(env, &out->v[i], tmp, (size_t)n))
            return SL_NOMEM;
    }
    return SL_OK;
}

static sl_code bind_hex(sl_expr *e, sl__binder *b)
{
    int c = sl__cls_of(e->args[0]->type.id);
    return sl__expr_coerce(b, &e->args[0], sl__ty(c == C_INT || c == C_LARGE ? SL_BIGINT
                                                                             : SL_STRING));
}

static sl_code f_hex(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    return av[0].type.id == SL_BIGINT ? f_hex_int(e, av, env, out) : f_text(e, av, env, out);
}

/* translate(s, from, to): each character of from is replaced by the character at the same
 * position in to, or removed when to is shorter (first occurrence in from wins). */
static void translate_to(sl_buf *b, sl_slice s, sl_slice from, sl_slice to)
{
    for (size_t k = 0; k < s.n;) {
        size_t l = sl__u8_offset((sl_slice){s.p + k, s.n - k}, 1);
        size_t pos = 0, j = 0;
        bool found = false;
        while (j < from.n && !found) {
            size_t fl = sl__u8_offset((sl_slice){from.p + j, from.n - j}, 1);
            found = fl == l && memcmp(from.p + j, s.p + k, l) == 0;
            if (!found)
                j += fl, pos++;
        }
        if (!found) {
            sl_buf_append(b, s.p + k, l);
        } else {
            size_t a = sl__u8_offset(to, pos);
            if (a < to.n)
                sl_buf_append(b, to.p + a, sl__u8_offset((sl_slice){to.p + a, to.n - a}, 1));
        }
        k += l;
    }
}

static sl_code f_translate(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    (void)e;
    sl_buf b = SL_BUF_INIT;
    sl_code rc = SL_OK;
    for (size_t i = 0; rc == SL_OK && i < env->n; i++) {
        if (out->null[i])
            continue;
        b.len = 0;
        translate_to(&b, sl__arg_s(av, 0, i), sl__arg_s(av, 1, i), sl__arg_s(av, 2, i));
        if (!sl__expr_text_buf(env, out, i, &b))
            rc = SL_NOMEM;
    }
    sl_buf_free(&b);
    return rc;
}

/* overlay(s, pos, len, new) / sub_replace(s, new, pos[, len]) (0-based pos for sub_replace):
 * characters [pos, pos + len) replaced by new; a position outside s gives s (overlay) or NULL
 * (sub_replace), as Doris does. */
static sl_code f_overlay(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    bool sub = e->fn->aux;
    sl_buf b = SL_BUF_INIT;
    sl_code rc = SL_OK;
    for (size_t i = 0; rc == SL_OK && i < env->n; i++) {
        if (out->null[i])
            continue;
        sl_slice s = sl__arg_s(av, 0, i), nw = sl__arg_s(av, sub ? 1 : 3, i);
        int64_t pos = av[sub ? 2 : 1].v[i].i, len;
        size_t chars = sl__u8_chars(s);
        len = sub ? (e->n_args > 3 ? av[3].v[i].i : (int64_t)nw.n) : av[2].v[i].i;
        pos -= sub ? 0 : 1;
        if (pos < 0 || (uint64_t)pos >= chars || (sub && len < 0)) {
            if (sub)
                out->null[i] = 1;
            else
                set(&out->v[i], s);
            continue;
        }
        if (len < 0 || (uint64_t)len > chars - (uint64_t)pos)
            len = (int64_t)(chars - (uint64_t)pos);
        size_t a = sl__u8_offset(s, (size_t)pos), z = sl__u8_offset(s, (size_t)(pos + len));
        b.len = 0;
        sl_buf_append(&b, s.p, a), sl_buf_append(&b, nw.p, nw.n), sl_buf_append(&b, s.p + z, s.n - z);
        if (!sl__expr_text_buf(env, out, i, &b))
            rc = SL_NOMEM;
    }
    sl_buf_free(&b);
    return rc;
}

/* char(n1, n2, ...): the bytes of each integer (big-endian, leading zero bytes dropped);
 * NULL arguments are skipped, and a result that is not valid UTF-8 is NULL (Doris). */
static sl_code f_char(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    sl_buf b = SL_BUF_INIT;
    sl_code rc = SL_OK;
    for (size_t i = 0; rc == SL_OK && i < env->n; i++) {
        if (out->null[i])
            continue;
        b.len = 0;
        for (size_t k = 0; k < e->n_args; k++) {
            if (sl__arg_null(av, k, i))
                continue;
            uint32_t v = (uint32_t)av[k].v[i].i;
            for (int sh = 24; sh >= 0; sh -= 8)
                if ((v >> sh) || sh == 0)
                    sl_buf_putc(&b, (char)(v >> sh));
        }
        bool valid = true;
        for (size_t k = 0; k < b.len && valid;) {
            unsigned char c = (unsigned char)b.p[k];
            size_t l = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3
                     : c >= 0xf0 && c < 0xf5 ? 4 : 0;
            valid = l && k + l <= b.len;
            for (size_t j = 1; valid && j < l; j++)
                valid = ((unsigned char)b.p[k + j] & 0xc0) == 0x80;
            k += l ? l : 1;
        }
        if (!valid)
            out->null[i] = 1;
        else if (!sl__expr_text_buf(env, out, i, &b))
            rc = SL_NOMEM;
    }
    sl_buf_free(&b);
    return rc;
}

static sl_code bind_char(sl_expr *e, sl__binder *b)
{
    return sl__expr_coerce_sig(e, b, "i");
}

/* money_format(x) and format_round(x, d): x rounded half away from zero to 2 (or d, at most
 * 30 as in MySQL's FORMAT) decimals, thousands separated by ','; d = 0 writes no point. */
#define MAX_ROUND_DECIMALS 30

/* x of row i scaled by 10^d into *v; false when it does not fit (or is not finite). */
static bool scaled_of(const sl_vec *a, size_t i, unsigned d, sl_i128 *v)
{
    const sl_datum *x = &a->v[i];
    switch (sl__cls_of(a->type.id)) {
    case C_DEC: {
        unsigned sc = a->type.scale;
        if (sc > d) {
            sl_i128 p = sl__pow10(sc - d), q = x->w / p, r = x->w % p;
            *v = q + ((r * 2 >= p) ? 1 : (-r * 2 >= p) ? -1 : 0);
            return true;
        }
        return !__builtin_mul_overflow(x->w, sl__pow10(d - sc), v);
    }
    case C_LARGE: return !__builtin_mul_overflow(x->w, sl__pow10(d), v);
    default: {
        double c = round(x->d * pow(10, (double)d));
        if (!isfinite(c) || fabs(c) > 1e36)
            return false;
        *v = (sl_i128)c;
        return true;
    }
    }
}

static sl_code f_money(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    for (size_t i = 0; i < env->n; i++) {
        char digits[64], o[128];
        sl_i128 v;
        if (out->null[i])
            continue;
        int64_t dd = e->n_args > 1 ? av[1].v[i].i : 2;
        unsigned d = dd > MAX_ROUND_DECIMALS ? MAX_ROUND_DECIMALS : (unsigned)dd;
        if (dd < 0 || !scaled_of(&av[0], i, d, &v)) {
            out->null[i] = 1;
            continue;
        }
        bool neg = v < 0;
        size_t n = sl__fmt_i128(neg ? -v : v, digits), k = 0, int_len;
        while (n < d + 1) { /* at least one integer digit */
            memmove(digits + 1, digits, n + 1), digits[0] = '0', n++;
        }
        int_len = n - d;
        if (neg)
            o[k++] = '-';
        for (size_t j = 0; j < int_len; j++) {
            if (j && (int_len - j) % 3 == 0)
                o[k++] = ',';
            o[k++] = digits[j];
        }
        if (d)
            o[k++] = '.', memcpy(o + k, digits + int_len, d), k += d;
        if (!sl__expr_text(env, &out->v[i], o, k))
            return SL_NOMEM;
    }
    return SL_OK;
}

static sl_code bind_money(sl_expr *e, sl__binder *b)
{
    int c = sl__cls_of(e->args[0]->type.id);
    sl_type t = c == C_DEC || c == C_LARGE ? e->args[0]->type
              : c == C_INT ? sl__ty(SL_LARGEINT) : sl__ty(SL_DOUBLE);
    sl_code rc = sl__expr_coerce(b, &e->args[0], t);
    if (rc == SL_OK && e->n_args > 1)
        rc = sl__expr_coerce(b, &e->args[1], sl__ty(SL_BIGINT));
    return rc;
}

/* ---- masks ---- */

enum { MASK_ALL, MASK_FIRST, MASK_LAST };

static sl_code f_mask(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    const int how = e->fn->aux;
    for (size_t i = 0; i < env->n; i++) {
        char rep[3] = {'X', 'x', 'n'};
        if (out->null[i])
            continue;
        sl_slice s = sl__arg_s(av, 0, i);
        size_t from = 0, to = s.n;
        if (how == MASK_ALL) {
            for (size_t k = 1; k < e->n_args && k < 4; k++) {
                sl_slice r = sl__arg_s(av, k, i);
                if (r.n)
                    rep[k - 1] = r.p[0];
            }
        } else if (e->n_args > 1) {
            int64_t n = av[1].v[i].i < 0 ? 0 : av[1].v[i].i;
            if (how == MASK_FIRST)
                to = (uint64_t)n < s.n ? (size_t)n : s.n;
            else
                from = (uint64_t)n < s.n ? s.n - (size_t)n : 0;
        }
        char *o = sl__expr_alloc_text(env, &out->v[i], s.n);
        if (o == NULL)
            return SL_NOMEM;
        for (size_t k = 0; k < s.n; k++) {
            unsigned char c = (unsigned char)s.p[k];
            char m = c >= 'A' && c <= 'Z' ? rep[0] : c >= 'a' && c <= 'z' ? rep[1]
                   : c >= '0' && c <= '9' ? rep[2] : 0;
            o[k] = m && k >= from && k < to ? m : (char)c;
        }
    }
    return SL_OK;
}

/* ---- URLs ---- */

typedef struct url {
    sl_slice protocol, userinfo, host, port, path, query, ref, authority;
    bool has_scheme;
} url;

static void parse_url(sl_slice s, url *u)
{
    const char *p = s.p, *e = s.p + s.n, *q;
    memset(u, 0, sizeof *u);
    for (q = p; q < e && (is_alnum((unsigned char)*q) || *q == '+' || *q == '-' || *q == '.'); q++)
        ;
    if (q + 2 < e + 0 && q > p && q[0] == ':' && q[1] == '/' && q[2] == '/') {
        u->protocol = (sl_slice){p, (size_t)(q - p)};
        u->has_scheme = true;
        p = q + 3;
    }
    const char *auth_end = p;
    while (auth_end < e && *auth_end != '/' && *auth_end != '?' && *auth_end != '#')
        auth_end++;
    u->authority = (sl_slice){p, (size_t)(auth_end - p)};
    const char *at = memchr(p, '@', (size_t)(auth_end - p)), *h = p;
    if (at)
        u->userinfo = (sl_slice){p, (size_t)(at - p)}, h = at + 1;
    const char *colon = memchr(h, ':', (size_t)(auth_end - h));
    u->host = (sl_slice){h, (size_t)((colon ? colon : auth_end) - h)};
    if (colon)
        u->port = (sl_slice){colon + 1, (size_t)(auth_end - colon - 1)};
    p = auth_end;
    q = p;
    while (q < e && *q != '?' && *q != '#')
        q++;
    u->path = (sl_slice){p, (size_t)(q - p)};
    if (q < e && *q == '?') {
        const char *r = memchr(q, '#', (size_t)(e - q));
        u->query = (sl_slice){q + 1, (size_t)((r ? r : e) - q - 1)};
        q = r ? r : e;
    }
    if (q < e && *q == '#')
        u->ref = (sl_slice){q + 1, (size_t)(e - q - 1)};
}

/* The value of key in a query string "a=1&b=2"; false when absent. */
static bool query_param(sl_slice q, sl_slice key, sl_slice *v)
{
    for (const char *p = q.p, *e = q.p + q.n; p < e;) {
        const char *amp = memchr(p, '&', (size_t)(e - p)), *end = amp ? amp : e;
        const char *eq = memchr(p, '=', (size_t)(end - p));
        sl_slice k = {p, (size_t)((eq ? eq : end) - p)};
        if (k.n == key.n && memcmp(k.p, key.p, k.n) == 0) {
            *v = eq ? (sl_slice){eq + 1, (size_t)(end - eq - 1)} : (sl_slice){"", 0};
            return true;
        }
        p = end + (amp ? 1 : 0);
    }
    return false;
}

static sl_code f_parse_url(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    for (size_t i = 0; i < env->n; i++) {
        url u;
        sl_slice r = {NULL, 0}, part;
        if (out->null[i])
            continue;
        parse_url(sl__arg_s(av, 0, i), &u);
        part = sl__arg_s(av, 1, i);
        if (sl_slice_ieq(part, "PROTOCOL"))
            r = u.protocol;
        else if (sl_slice_ieq(part, "HOST"))
            r = u.host;
        else if (sl_slice_ieq(part, "PATH"))
            r = u.path;
        else if (sl_slice_ieq(part, "REF"))
            r = u.ref;
        else if (sl_slice_ieq(part, "AUTHORITY"))
            r = u.authority;
        else if (sl_slice_ieq(part, "USERINFO"))
            r = u.userinfo;
        else if (sl_slice_ieq(part, "PORT"))
            r = u.port;
        else if (sl_slice_ieq(part, "FILE"))
            r = (sl_slice){u.path.p, u.query.p ? (size_t)(u.query.p + u.query.n - u.path.p)
                                               : u.path.n};
        else if (sl_slice_ieq(part, "QUERY") && e->n_args > 2)
            r = query_param(u.query, sl__arg_s(av, 2, i), &r) ? r : (sl_slice){NULL, 0};
        else if (sl_slice_ieq(part, "QUERY"))
            r = u.query;
        out->null[i] = r.p == NULL || (r.n == 0 && !sl_slice_ieq(part, "PATH"));
        if (!out->null[i])
            set(&out->v[i], r);
    }
    return SL_OK;
}

enum { U_PARAM, U_PROTOCOL, U_DOMAIN, U_DOMAIN_NO_WWW, U_TLD };

static sl_code f_url_part(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    const int how = e->fn->aux;
    for (size_t i = 0; i < env->n; i++) {
        url u;
        sl_slice r = {"", 0};
        if (out->null[i])
            continue;
        parse_url(sl__arg_s(av, 0, i), &u);
        switch (how) {
        case U_PARAM:
            if (!query_param(u.query, sl__arg_s(av, 1, i), &r))
                r = (sl_slice){"", 0};
            break;
        case U_PROTOCOL: r = u.protocol; break;
        default:
            r = u.host;
            if (how == U_DOMAIN_NO_WWW && r.n > 4 && memcmp(r.p, "www.", 4) == 0)
                r.p += 4, r.n -= 4;
            if (how == U_TLD) {
                const char *dot = r.n ? memrchr(r.p, '.', r.n) : NULL;
                r = dot ? (sl_slice){dot + 1, (size_t)(r.p + r.n - dot - 1)} : (sl_slice){"", 0};
            }
        }
        set(&out->v[i], r);
    }
    return SL_OK;
}

/* ---- split_by_string(s, sep): ["a", "b"] ---- */

static void array_item(sl_buf *b, const char *p, size_t n, bool first)
{
    if (!first)
        sl_buf_puts(b, ", ");
    sl_buf_putc(b, '"');
    for (size_t k = 0; k < n; k++) {
        if (p[k] == '"' || p[k] == '\\')
            sl_buf_putc(b, '\\');
        sl_buf_putc(b, p[k]);
    }
    sl_buf_putc(b, '"');
}

static sl_code f_split(const sl_expr *e, const sl_vec *av, sl__env *env, sl_vec *out)
{
    (void)e;
    sl_buf b = SL_BUF_INIT;
    sl_code rc = SL_OK;
    for (size_t i = 0; rc == SL_OK && i < env->n; i++) {
        if (out->null[i])
            continue;
        sl_slice s = sl__arg_s(av, 0, i), d = sl__arg_s(av, 1, i);
        b.len = 0;
        sl_buf_putc(&b, '[');
        if (d.n == 0) { /* an empty separator splits into characters */
            for (size_t k = 0; k < s.n;) {
                size_t l = sl__u8_offset((sl_slice){s.p + k, s.n - k}, 1);
                array_item(&b, s.p + k, l, k == 0);
                k += l;
            }
        } else if (s.n) {
            const char *p = s.p, *end = s.p + s.n, *hit;
            bool first = true;
            while ((hit = memmem(p, (size_t)(end - p), d.p, d.n)) != NULL) {
                array_item(&b, p, (size_t)(hit - p), first);
                first = false, p = hit + d.n;
            }
            array_item(&b, p, (size_t)(end - p), first);
        }
        sl_buf_putc(&b, ']');
        if (!sl__expr_text_buf(env, out, i, &b))
            rc = SL_NOMEM;
    }
    sl_buf_free(&b);
    return rc;
}

#define STR SL_STRING
#define KEEP A_KEEP

const sl__func sl__expr_funcs_string2[] = {
    {"instr", 2, 2, true, STR, SL_INT, NULL, f_search, K_INSTR},
    {"locate", 2, 3, true, KEEP, SL_INT, bind_ssi, f_search, K_LOCATE},
    {"position", 2, 3, true, KEEP, SL_INT, bind_ssi, f_search, K_LOCATE},
    {"find_in_set", 2, 2, true, STR, SL_INT, NULL, f_search, K_FIND_IN_SET},
    {"strcmp", 2, 2, true, STR, SL_TINYINT, NULL, f_search, K_STRCMP},
    {"starts_with", 2, 2, true, STR, SL_BOOLEAN, NULL, f_search, K_STARTS},
    {"ends_with", 2, 2, true, STR, SL_BOOLEAN, NULL, f_search, K_ENDS},
    {"count_substrings", 2, 2, true, STR, SL_INT, NULL, f_search, K_COUNT},
    {"ascii", 1, 1, true, STR, SL_INT, NULL, f_search, K_ASCII},
    {"bit_length", 1, 1, true, STR, SL_INT, NULL, f_search, K_BITLEN},
    {"null_or_empty", 1, 1, false, STR, SL_BOOLEAN, NULL, f_search, K_NULL_EMPTY},
    {"not_null_or_empty", 1, 1, false, STR, SL_BOOLEAN, NULL, f_search, K_NOT_NULL_EMPTY},
    {"elt", 2, SL__VARIADIC, false, KEEP, STR, bind_is, f_elt, 0},
    {"field", 2, SL__VARIADIC, false, KEEP, SL_INT, bind_field, f_field, 0},
    {"substring_index", 3, 3, true, KEEP, STR, bind_ssi, f_substring_index, 0},
    {"repeat", 2, 2, true, KEEP, STR, bind_si, f_text, T_REPEAT},
    {"space", 1, 1, true, KEEP, STR, bind_i, f_text, T_SPACE},
    {"reverse", 1, 1, true, STR, STR, NULL, f_text, T_REVERSE},
    {"initcap", 1, 1, true, STR, STR, NULL, f_text, T_INITCAP},
    {"quote", 1, 1, true, STR, STR, NULL, f_text, T_QUOTE},
    {"append_trailing_char_if_absent", 2, 2, true, STR, STR, NULL, f_text, T_APPEND},
    {"hex", 1, 1, true, KEEP, STR, bind_hex, f_hex, T_HEX_STR},
    {"unhex", 1, 1, true, STR, STR, NULL, f_text, T_UNHEX},
    {"url_encode", 1, 1, true, STR, STR, NULL, f_text, T_URL_ENCODE},
    {"url_decode", 1, 1, true, STR, STR, NULL, f_text, T_URL_DECODE},
    {"digital_masking", 1, 1, true, STR, STR, NULL, f_text, T_DIGITAL_MASK},
    {"translate", 3, 3, true, STR, STR, NULL, f_translate, 0},
    {"overlay", 4, 4, true, KEEP, STR, bind_siis, f_overlay, 0},
    {"sub_replace", 3, 4, true, KEEP, STR, bind_ssii, f_overlay, 1},
    {"char", 1, SL__VARIADIC, false, KEEP, STR, bind_char, f_char, 0},
    {"money_format", 1, 1, true, KEEP, STR, bind_money, f_money, 0},
    {"format_round", 2, 2, true, KEEP, STR, bind_money, f_money, 0},
    {"mask", 1, 4, true, STR, STR, NULL, f_mask, MASK_ALL},
    {"mask_first_n", 1, 2, true, KEEP, STR, bind_si, f_mask, MASK_FIRST},
    {"mask_last_n", 1, 2, true, KEEP, STR, bind_si, f_mask, MASK_LAST},
    {"parse_url", 2, 3, true, STR, STR, NULL, f_parse_url, 0},
    {"extract_url_parameter", 2, 2, true, STR, STR, NULL, f_url_part, U_PARAM},
    {"protocol", 1, 1, true, STR, STR, NULL, f_url_part, U_PROTOCOL},
    {"domain", 1, 1, true, STR, STR, NULL, f_url_part, U_DOMAIN},
    {"domain_without_www", 1, 1, true, STR, STR, NULL, f_url_part, U_DOMAIN_NO_WWW},
    {"top_level_domain", 1, 1, true, STR, STR, NULL, f_url_part, U_TLD},
    {"split_by_string", 2, 2, true, STR, STR, NULL, f_split, 0},
};
const size_t sl__expr_n_funcs_string2 = SL_COUNT(sl__expr_funcs_string2);
