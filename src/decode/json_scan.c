/*
 * json_scan.c - the JSON value parser of the JSON decoder (decode stage).
 *
 * json.c hands this file one contiguous buffer that holds a record (or the start of one) and a
 * cursor. Everything here is a plain recursive-descent-free parser over [p, end): strings are
 * scanned 16 bytes at a time for '"', '\\' and control bytes, numbers are checked against the
 * RFC 8259 grammar, containers are validated with an explicit bit stack (no recursion, so a
 * 100000-deep "[[[[" costs no C stack). When the buffer ends inside a value and the cursor is
 * not final, the result is SL__JSON_INCOMPLETE and json.c carries the record to the next chunk.
 *
 * Errors use rapidjson's codes and texts because Doris reports them verbatim. Invalid UTF-8
 * inside strings is passed through unchanged, as rapidjson does by default.
 *
 * Rows of simple mode take a fast path, sl__json_row_keyed (issue 18): member names get ids
 * from a small dictionary, and the previous row's key order predicts each key, which is then
 * recognised by one word-wise compare of its text and closing quote instead of a scan and a
 * lookup; strings without escapes and the usual numbers are parsed inline. Anything else goes
 * through the general functions, so the fields, errors and error positions are exactly those
 * of sl__json_row (tests/unit/decode/test_json_fast.c compares the two on mutated rows).
 * String scanning is SSE2 on x86-64 (its baseline) and SWAR (8 bytes per word) elsewhere, the
 * scalar loop finishing tails (no AVX2 path: most row strings are shorter than 16 bytes).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "json_internal.h"

#define PARSE_PREFIX "Parse json data for JsonDoc failed. code: "

static const char *const error_texts[] = {
    PARSE_PREFIX "0, error info: No error.",
    PARSE_PREFIX "1, error info: The document is empty.",
    PARSE_PREFIX "2, error info: The document root must not be followed by other values.",
    PARSE_PREFIX "3, error info: Invalid value.",
    PARSE_PREFIX "4, error info: Missing a name for object member.",
    PARSE_PREFIX "5, error info: Missing a colon after a name of object member.",
    PARSE_PREFIX "6, error info: Missing a comma or '}' after an object member.",
    PARSE_PREFIX "7, error info: Missing a comma or ']' after an array element.",
    PARSE_PREFIX "8, error info: Incorrect hex digit after \\u escape in string.",
    PARSE_PREFIX "9, error info: The surrogate pair in string is invalid.",
    PARSE_PREFIX "10, error info: Invalid escape character in string.",
    PARSE_PREFIX "11, error info: Missing a closing quotation mark in string.",
    PARSE_PREFIX "12, error info: Invalid encoding in string.",
    PARSE_PREFIX "13, error info: Number too big to be stored in double.",
    PARSE_PREFIX "14, error info: Miss fraction part in number.",
    PARSE_PREFIX "15, error info: Miss exponent in number.",
    PARSE_PREFIX "16, error info: Terminate parsing due to Handler error.",
    PARSE_PREFIX "17, error info: Unspecific syntax error.",
};

/* The Doris parse-error reason for a rapidjson code (static storage); unknown codes read as
 * "Invalid value.". */
const char *sl__json_error_text(int code)
{
    if (code < 0 || (size_t)code >= SL_COUNT(error_texts))
        code = SL__JSON_BAD_VALUE;
    return error_texts[code];
}

static bool fail(sl__json_cur *c, int code)
{
    c->err = code;
    return false;
}

/* The buffer ended where a byte was needed: incomplete, or the given error at end of input. */
static bool fail_eof(sl__json_cur *c, int code)
{
    c->err = c->final ? code : SL__JSON_INCOMPLETE;
    return false;
}

/* ---- string scanning: SIMD where the target has it, SWAR otherwise, scalar for tails ---- */

/* Byte by byte: the reference the others are tested against. */
const char *sl__json_scan_scalar(const char *p, const char *end)
{
    while (p < end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
        p++;
    return p;
}

/* Eight bytes at a time in a 64-bit word: a lane is flagged when it is '"', '\\' or below 0x20
 * (the classic "has zero byte" test on x ^ c, and x - 0x20 for "less than"). The lowest flagged
 * lane of each test is exact (borrows only spread upwards), so the lowest of their union is too. */
static inline const char *scan_swar(const char *p, const char *end)
{
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    while (end - p >= 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
        uint64_t m = ((q - ones) & ~q) | ((b - ones) & ~b) | ((x - ones * 0x20) & ~x);
        m &= high;
        if (m) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            return p + (__builtin_ctzll(m) >> 3);
#else
            return sl__json_scan_scalar(p, p + 8); /* a flagged lane exists among these 8 */
#endif
        }
        p += 8;
    }
    return sl__json_scan_scalar(p, end);
}

/* scan_swar for the tests: see json_internal.h. */
const char *sl__json_scan_swar(const char *p, const char *end)
{
    return scan_swar(p, end);
}

/* 16 bytes at a time with SSE2 (baseline on x86-64); other targets use SWAR. */
static inline const char *scan_string(const char *p, const char *end)
{
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i bslash = _mm_set1_epi8('\\');
    const __m128i ctl = _mm_set1_epi8(0x1f);
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i m = _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_max_epu8(x, ctl), ctl));
        unsigned mask = (unsigned)_mm_movemask_epi8(m);
        if (mask)
            return p + __builtin_ctz(mask);
        p += 16;
    }
#endif
    return scan_swar(p, end);
}

/* scan_string (the scanner every string goes through) for the tests: see json_internal.h. */
const char *sl__json_scan_simd(const char *p, const char *end)
{
    return scan_string(p, end);
}

/* Four hex digits at s (the caller guarantees they are inside the string); -1 if not hex. */
static long hex4(const char *s, const char *lim)
{
    if (lim - s < 4)
        return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = sl_hexval(s[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

static char *put_utf8(char *d, unsigned long cp)
{
    if (cp < 0x80) {
        *d++ = (char)cp;
    } else if (cp < 0x800) {
        *d++ = (char)(0xC0 | (cp >> 6));
        *d++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *d++ = (char)(0xE0 | (cp >> 12));
        *d++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *d++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *d++ = (char)(0xF0 | (cp >> 18));
        *d++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *d++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *d++ = (char)(0x80 | (cp & 0x3F));
    }
    return d;
}

/* Decode the escape at s (s[0] == '\\', inside [s, lim)) into d (NULL: validate only). Returns the
 * number of source bytes used, or 0 with *code set. Unescaped output is never longer than the
 * escaped input, so d may be a buffer of the input's length. */
static size_t unescape_one(const char *s, const char *lim, char **d, int *code)
{
    static const char simple[256] = {['"'] = '"',  ['\\'] = '\\', ['/'] = '/',  ['b'] = '\b',
                                     ['f'] = '\f', ['n'] = '\n',  ['r'] = '\r', ['t'] = '\t'};
    char e = s[1];
    if (e != 'u') {
        if (!simple[(unsigned char)e])
            return *code = SL__JSON_BAD_ESCAPE, 0;
        if (*d)
            *(*d)++ = simple[(unsigned char)e];
        return 2;
    }
    long cp = hex4(s + 2, lim);
    if (cp < 0)
        return *code = SL__JSON_BAD_HEX, 0;
    size_t used = 6;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return *code = SL__JSON_BAD_SURROGATE, 0;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (lim - s < 8 || s[6] != '\\' || s[7] != 'u')
            return *code = SL__JSON_BAD_SURROGATE, 0;
        long lo = hex4(s + 8, lim);
        if (lo < 0)
            return *code = SL__JSON_BAD_HEX, 0;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return *code = SL__JSON_BAD_SURROGATE, 0;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        used = 12;
    }
    if (*d)
        *d = put_utf8(*d, (unsigned long)cp);
    return used;
}

/* The slow path of a string with escapes: s..lim is the body (between the quotes). */
static bool unescape_body(sl__json_cur *c, const char *s, const char *lim, sl_slice *out)
{
    char *buf = NULL, *d = NULL;
    if (out) {
        buf = sl_arena_alloc(c->scratch, (size_t)(lim - s) + 1);
        if (buf == NULL)
            return fail(c, SL__JSON_NOMEM);
        d = buf;
    }
    while (s < lim) {
        const char *q = scan_string(s, lim);
        if (d && q > s) {
            memcpy(d, s, (size_t)(q - s));
            d += q - s;
        }
        if (q == lim)
            break;
        int code = 0;
        size_t used = unescape_one(q, lim, &d, &code);
        if (used == 0) {
            c->p = q;
            return fail(c, code);
        }
        s = q + used;
    }
    if (out)
        *out = (sl_slice){buf, (size_t)(d - buf)};
    return true;
}

/* Parse the string at c->p (a '"'). *out (may be NULL) points into the buffer when the string
 * has no escapes, else into c->scratch. See json_internal.h. */
bool sl__json_string(sl__json_cur *c, sl_slice *out)
{
    const char *start = c->p + 1, *q = start;
    bool escaped = false;
    for (;;) {
        q = scan_string(q, c->end);
        if (q == c->end)
            return fail_eof(c, SL__JSON_MISS_QUOTE);
        if (*q == '"')
            break;
        if (*q != '\\') {
            c->p = q;
            return fail(c, *q == 0 ? SL__JSON_MISS_QUOTE : SL__JSON_BAD_ENCODING);
        }
        escaped = true;
        if (c->end - q < 2)
            return fail_eof(c, SL__JSON_BAD_ESCAPE);
        q += 2; /* the escaped byte cannot end the string; \u digits are checked below */
    }
    if (!escaped) {
        if (out)
            *out = (sl_slice){start, (size_t)(q - start)};
        c->p = q + 1;
        return true;
    }
    if (!unescape_body(c, start, q, out))
        return false;
    c->p = q + 1;
    return true;
}

/* ---- numbers ---- */

/* Does the integer text (optional '-', then digits) fit int64 (negative) or uint64? */
static bool int_in_range(const char *s, size_t n)
{
    bool neg = *s == '-';
    const char *d = s + neg;
    size_t nd = n - neg;
    if (nd < 19)
        return true;
    if (nd > 20 || (neg && nd > 19))
        return false;
    const char *lim = neg        ? "9223372036854775808"
                      : nd == 19 ? "9999999999999999999"
                                 : "18446744073709551615";
    return memcmp(d, lim, nd) <= 0;
}

/* Write the shortest decimal that round-trips v, in the style of fmt's "{}" (what Doris prints
 * for JSON doubles): fixed notation for decimal exponents -4..15, else d.ddde+XX. */
static sl_slice format_double(sl__json_cur *c, double v)
{
    char tmp[40];
    int prec = 1;
    for (; prec < 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
    char digits[24];
    size_t nd = 0;
    const char *s = tmp;
    bool neg = *s == '-';
    s += neg;
    for (; *s && *s != 'e'; s++)
        if (*s != '.')
            digits[nd++] = *s;
    int exp = atoi(s + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    char *o = sl_arena_alloc(c->scratch, 48);
    if (o == NULL)
        return (sl_slice){NULL, 0};
    char *w = o;
    if (neg)
        *w++ = '-';
    if (exp < -4 || exp >= 16) {
        *w++ = digits[0];
        if (nd > 1) {
            *w++ = '.';
            memcpy(w, digits + 1, nd - 1);
            w += nd - 1;
        }
        w += sprintf(w, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    } else if (exp < 0) {
        *w++ = '0';
        *w++ = '.';
        for (int i = -1; i > exp; i--)
            *w++ = '0';
        memcpy(w, digits, nd);
        w += nd;
    } else {
        for (int i = 0; i <= exp || (size_t)i < nd; i++) {
            if (i == exp + 1)
                *w++ = '.';
            *w++ = (size_t)i < nd ? digits[i] : '0';
        }
    }
    return (sl_slice){o, (size_t)(w - o)};
}

/* Fast path for a plain decimal a.b (no exponent): when it has at most 15 significant digits and
 * its decimal exponent is in fmt's fixed range, the shortest round-trip text is the written text
 * with trailing fractional zeros (and a bare '.') removed - a prefix of the input. */
static bool plain_decimal(const char *s, size_t n, const char *dot, size_t *keep)
{
    size_t len = n;
    while (s[len - 1] == '0')
        len--;
    if (s[len - 1] == '.')
        len--;
    const char *d = s + (*s == '-');
    size_t int_len = (size_t)(dot - d);
    int exp;
    size_t sig;
    if (int_len == 1 && *d == '0') {
        const char *f = dot + 1, *fe = s + len;
        if (f >= fe) { /* zero */
            *keep = len;
            return true;
        }
        const char *nz = f;
        while (nz < fe && *nz == '0')
            nz++;
        exp = -(int)(nz - f) - 1;
        sig = (size_t)(fe - nz);
    } else {
        exp = (int)int_len - 1;
        sig = len - (size_t)(d - s) - (dot < s + len ? 1 : 0);
    }
    if (sig > 15 || exp < -4 || exp >= 16)
        return false;
    *keep = len;
    return true;
}

/* dot: the '.' of a number without exponent, else NULL (parse_number saw where it is). */
static bool convert_number(sl__json_cur *c, const char *s, size_t n, bool integral,
                           const char *dot, sl_slice *out)
{
    size_t keep;
    if (c->num_as_string || (integral && int_in_range(s, n))) {
        *out = (sl_slice){s, n};
        return true;
    }
    if (dot && plain_decimal(s, n, dot, &keep)) {
        *out = (sl_slice){s, keep};
        return true;
    }
    char local[64], *z = local;
    if (n >= sizeof local && (z = sl_arena_alloc(c->scratch, n + 1)) == NULL)
        return fail(c, SL__JSON_NOMEM);
    memcpy(z, s, n);
    z[n] = 0;
    double v = strtod(z, NULL);
    if (isinf(v)) {
        /* Beyond double: Doris loads such a number as Infinity into FLOAT/DOUBLE and as NULL
         * elsewhere (test_stream_load_cast, test_cast3.json), which is what the cast of its
         * text gives. */
        *out = (sl_slice){s, n};
        return true;
    }
    *out = format_double(c, v);
    return out->p ? true : fail(c, SL__JSON_NOMEM);
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* Number at c->p per RFC 8259. out may be NULL (validate only). */
static bool parse_number(sl__json_cur *c, sl_slice *out)
{
    const char *s = c->p, *p = s, *e = c->end, *dot = NULL;
    bool integral = true;
    if (*p == '-' && ++p == e)
        return fail_eof(c, SL__JSON_BAD_VALUE);
    if (*p == '0') {
        p++;
    } else if (is_digit(*p)) {
        while (++p < e && is_digit(*p))
            ;
    } else {
        return fail(c, SL__JSON_BAD_VALUE);
    }
    if (p < e && *p == '.') {
        integral = false;
        dot = p;
        if (++p == e)
            return fail_eof(c, SL__JSON_MISS_FRAC);
        if (!is_digit(*p))
            return c->p = p, fail(c, SL__JSON_MISS_FRAC);
        while (++p < e && is_digit(*p))
            ;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        integral = false;
        dot = NULL; /* with an exponent: through double */
        if (++p < e && (*p == '+' || *p == '-'))
            p++;
        if (p == e)
            return fail_eof(c, SL__JSON_MISS_EXP);
        if (!is_digit(*p))
            return c->p = p, fail(c, SL__JSON_MISS_EXP);
        while (++p < e && is_digit(*p))
            ;
    }
    if (p == e && !c->final)
        return fail(c, SL__JSON_INCOMPLETE); /* more digits may follow */
    c->p = p;
    return out ? convert_number(c, s, (size_t)(p - s), integral, dot, out) : true;
}

static bool parse_literal(sl__json_cur *c, const char *word, size_t n)
{
    size_t avail = (size_t)(c->end - c->p);
    size_t m = avail < n ? avail : n;
    if (memcmp(c->p, word, m) != 0)
        return fail(c, SL__JSON_BAD_VALUE);
    if (m < n)
        return fail_eof(c, SL__JSON_BAD_VALUE);
    c->p += n;
    return true;
}

/* A scalar (string, number, literal) at c->p; containers are not handled here. */
static bool parse_scalar(sl__json_cur *c, sl_slice *out)
{
    switch (*c->p) {
    case '"':
        return sl__json_string(c, out);
    case 't':
        if (out)
            *out = SL_LIT("true");
        return parse_literal(c, "true", 4);
    case 'f':
        if (out)
            *out = SL_LIT("false");
        return parse_literal(c, "false", 5);
    case 'n':
        if (out)
            *out = SL_SLICE_NULL;
        return parse_literal(c, "null", 4);
    default:
        return parse_number(c, out);
    }
}

/*
 * Validate and skip one value. States (labels): sw_value (a value must start), sw_after (a value
 * ended: close containers or expect a separator), sw_key (an object member name must start).
 * The bit stack holds 1 for an object level and 0 for an array level.
 */
bool sl__json_skip(sl__json_cur *c)
{
    uint64_t stack[SL__JSON_MAX_DEPTH / 64];
    size_t depth = 0;
sw_value:
    sl__json_ws(c);
    if (c->p == c->end)
        return fail_eof(c, SL__JSON_BAD_VALUE);
    if (*c->p == '{' || *c->p == '[') {
        if (depth == SL__JSON_MAX_DEPTH)
            return fail(c, SL__JSON_TOO_DEEP);
        bool obj = *c->p == '{';
        uint64_t bit = (uint64_t)1 << (depth % 64);
        stack[depth / 64] = obj ? (stack[depth / 64] | bit) : (stack[depth / 64] & ~bit);
        depth++;
        c->p++;
        sl__json_ws(c);
        if (c->p == c->end)
            return fail_eof(c, obj ? SL__JSON_MISS_NAME : SL__JSON_BAD_VALUE);
        if (*c->p == (obj ? '}' : ']')) {
            c->p++;
            depth--;
            goto sw_after;
        }
        if (obj)
            goto sw_key;
        goto sw_value;
    }
    if (!parse_scalar(c, NULL))
        return false;
sw_after:
    if (depth == 0)
        return true;
    {
        bool obj = (stack[(depth - 1) / 64] >> ((depth - 1) % 64)) & 1;
        sl__json_ws(c);
        if (c->p == c->end)
            return fail_eof(c, obj ? SL__JSON_MISS_OBJ_END : SL__JSON_MISS_ARR_END);
        char ch = *c->p;
        if (ch == ',') {
            c->p++;
            if (!obj)
                goto sw_value;
            sl__json_ws(c);
            goto sw_key;
        }
        if (ch != (obj ? '}' : ']'))
            return fail(c, obj ? SL__JSON_MISS_OBJ_END : SL__JSON_MISS_ARR_END);
        c->p++;
        depth--;
        goto sw_after;
    }
sw_key:
    if (c->p == c->end)
        return fail_eof(c, SL__JSON_MISS_NAME);
    if (*c->p != '"')
        return fail(c, SL__JSON_MISS_NAME);
    if (!sl__json_string(c, NULL))
        return false;
    sl__json_ws(c);
    if (c->p == c->end)
        return fail_eof(c, SL__JSON_MISS_COLON);
    if (*c->p != ':')
        return fail(c, SL__JSON_MISS_COLON);
    c->p++;
    goto sw_value;
}

/* Any value with its decoder text in *out; containers as raw text. See json_internal.h. */
bool sl__json_value(sl__json_cur *c, sl_slice *out)
{
    if (c->p == c->end)
        return fail_eof(c, SL__JSON_BAD_VALUE);
    if (*c->p == '{' || *c->p == '[') {
        const char *start = c->p;
        if (!sl__json_skip(c))
            return false;
        if (out)
            *out = (sl_slice){start, (size_t)(c->p - start)};
        return true;
    }
    return parse_scalar(c, out);
}

/* The row object at c->p as named fields in rb (not closed as a row). See json_internal.h. */
bool sl__json_row(sl__json_cur *c, sl_rawbatch *rb)
{
    c->p++; /* '{' */
    sl__json_ws(c);
    if (c->p == c->end)
        return fail_eof(c, SL__JSON_MISS_NAME);
    if (*c->p == '}') {
        c->p++;
        return true;
    }
    for (;;) {
        sl_slice key, val;
        if (*c->p != '"')
            return fail(c, SL__JSON_MISS_NAME);
        if (!sl__json_string(c, &key))
            return false;
        sl__json_ws(c);
        if (c->p == c->end)
            return fail_eof(c, SL__JSON_MISS_COLON);
        if (*c->p != ':')
            return fail(c, SL__JSON_MISS_COLON);
        c->p++;
        sl__json_ws(c);
        if (!sl__json_value(c, &val))
            return false;
        if (sl_rawbatch_named_field(rb, key, val) != SL_OK)
            return fail(c, SL__JSON_NOMEM);
        sl__json_ws(c);
        if (c->p == c->end)
            return fail_eof(c, SL__JSON_MISS_OBJ_END);
        if (*c->p == '}') {
            c->p++;
            return true;
        }
        if (*c->p != ',')
            return fail(c, SL__JSON_MISS_OBJ_END);
        c->p++;
        sl__json_ws(c);
        if (c->p == c->end)
            return fail_eof(c, SL__JSON_MISS_NAME);
    }
}

/* ---- the keyed row: key ids, predicted key order, inline scalars ---- */

/* An empty dictionary over arena: see json_internal.h. */
void sl__json_keys_init(sl__json_keys *k, sl_arena_t *arena)
{
    memset(k, 0, sizeof *k);
    k->arena = arena;
}

static uint32_t key_hash(sl_slice s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < s.n; i++)
        h = (h ^ (unsigned char)s.p[i]) * 16777619u;
    return h;
}

/* See json_internal.h. Only keys that miss the prediction come here. */
uint32_t sl__json_key_id(sl__json_keys *k, sl_slice name, bool raw)
{
    if (name.n > SL__JSON_MAX_KEY_LEN)
        return SL_KEY_NONE;
    size_t mask = SL_COUNT(k->table) - 1, i = key_hash(name) & mask;
    for (; k->table[i]; i = (i + 1) & mask) {
        uint32_t id = k->table[i] - 1u;
        if (k->name[id].n == name.n && memcmp(k->name[id].p, name.p, name.n) == 0) {
            k->raw[id] |= raw; /* first seen escaped, now plain: predictable from now on */
            return id;
        }
    }
    if (k->n == SL__JSON_MAX_KEYS)
        return SL_KEY_NONE;
    char *copy = sl_arena_alloc(k->arena, name.n + 1);
    if (copy == NULL)
        return SL_KEY_NONE;
    if (name.n)
        memcpy(copy, name.p, name.n);
    copy[name.n] = '"'; /* the closing quote: key_is compares it with the name */
    uint32_t id = k->n++;
    k->name[id] = (sl_slice){copy, name.n};
    k->raw[id] = raw;
    k->table[i] = (uint16_t)(id + 1);
    return id;
}

static inline bool is_ws(char ch)
{
    return ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t';
}

static inline const char *skip_ws(const char *p, const char *e)
{
    while (p < e && (unsigned char)*p <= ' ' && is_ws(*p))
        p++;
    return p;
}

static inline uint64_t load8(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint32_t load4(const char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* a[0..n) == b[0..n), for the short keys of a row: word compares, no call. */
static inline bool key_is(const char *a, const char *b, size_t n)
{
    if (n >= 8) {
        for (size_t i = 0; i + 8 < n; i += 8)
            if (load8(a + i) != load8(b + i))
                return false;
        return load8(a + n - 8) == load8(b + n - 8); /* the tail, overlapping */
    }
    if (n >= 4)
        return load4(a) == load4(b) && load4(a + n - 4) == load4(b + n - 4);
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* The key of member j at p (a '"'): the predicted one when the input spells it (its text and
 * closing quote), else parsed and looked up. Returns the position after the key, or NULL with
 * c->err set and c->p at the error. */
static inline const char *row_key(sl__json_cur *c, sl__json_keys *k, uint32_t j, const char *p,
                                  sl_slice *key, uint32_t *id)
{
    if (j < k->n_order && k->order[j] != SL_KEY_NONE) {
        uint32_t want = k->order[j];
        sl_slice kn = k->name[want];
        if (k->raw[want] && (size_t)(c->end - p) > kn.n + 1 && key_is(p + 1, kn.p, kn.n + 1)) {
            *key = (sl_slice){p + 1, kn.n};
            *id = want;
            return p + kn.n + 2;
        }
    }
    c->p = p;
    if (!sl__json_string(c, key))
        return NULL;
    *id = sl__json_key_id(k, *key, key->p == p + 1);
    if (j < SL__JSON_MAX_ORDER)
        k->order[j] = *id;
    return c->p;
}

/* The end of the run of digits at q: eight bytes per step, a lane flagged when it is below '0'
 * (the subtraction borrows) or above '9' (the addition reaches the high bit); as in scan_swar,
 * the lowest flagged lane is exact. */
static inline const char *digits_end(const char *q, const char *e)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (e - q >= 8) {
        uint64_t x = load8(q);
        uint64_t m = ((x - 0x3030303030303030u) | (x + 0x4646464646464646u)) & 0x8080808080808080u;
        if (m)
            return q + (__builtin_ctzll(m) >> 3);
        q += 8;
    }
#endif
    while (q < e && is_digit(*q))
        q++;
    return q;
}

/* The usual numbers inline: -?[0-9]+(.[0-9]+)? that convert_number hands over as written or
 * trimmed (plain_decimal's rule, spelled out for this shape). NULL: leave it to parse_number
 * (exponents, leading zeros, 19+ integer digits, 16+ significant digits, errors, the end of a
 * non-final buffer). */
static inline const char *row_number(const sl__json_cur *c, const char *p, sl_slice *val)
{
    const char *e = c->end, *q = p + (*p == '-'), *d = q;
    if (q >= e || !is_digit(*q))
        return NULL;
    q = *q == '0' ? q + 1 : digits_end(q + 1, e);
    size_t int_len = (size_t)(q - d);
    if (q == e || *q != '.') {
        if (q == e ? !c->final : (*q == 'e' || *q == 'E'))
            return NULL;
        if (*d == '0' || (int_len >= 19 && !c->num_as_string))
            return NULL; /* (a lone 0 is fine, but rare enough for the general path) */
        *val = (sl_slice){p, (size_t)(q - p)};
        return q;
    }
    const char *f = q + 1, *r = digits_end(f, e);
    if (r == f || (r == e ? !c->final : (*r == 'e' || *r == 'E')))
        return NULL;
    if (c->num_as_string) {
        *val = (sl_slice){p, (size_t)(r - p)};
        return r;
    }
    const char *t = r;
    while (t > f && t[-1] == '0') /* trailing fractional zeros, then a bare '.', go */
        t--;
    if (*d == '0') {
        const char *nz = f;
        while (nz < t && *nz == '0')
            nz++;
        if (t == f)
            t = q; /* zero */
        else if (nz - f > 3 || t - nz > 15)
            return NULL;
    } else {
        if (t == f)
            t = q;
        if (int_len > 16 || int_len + (size_t)(t > q ? t - q - 1 : 0) > 15)
            return NULL;
    }
    *val = (sl_slice){p, (size_t)(t - p)};
    return r;
}

/* A member's value at p (whitespace skipped): strings without escapes and the usual numbers
 * inline, the rest through the general functions. Returns the position after it, or NULL
 * (c->err set). */
static inline const char *row_value(sl__json_cur *c, const char *p, sl_slice *val)
{
    const char *e = c->end;
    if (p < e && *p == '"') {
        const char *q = scan_string(p + 1, e);
        if (q < e && *q == '"') {
            *val = (sl_slice){p + 1, (size_t)(q - p - 1)};
            return q + 1;
        }
    } else if (p < e && (is_digit(*p) || *p == '-')) {
        const char *q = row_number(c, p, val);
        if (q)
            return q;
    }
    c->p = p;
    bool ok = p < e && *p == '"'                    ? sl__json_string(c, val)
              : p < e && (is_digit(*p) || *p == '-') ? parse_number(c, val)
                                                     : sl__json_value(c, val);
    return ok ? c->p : NULL;
}

/* Give up the row: the error at pos (eof: fail_eof). */
#define ROW_FAIL(pos, code) (c->p = (pos), ok = fail(c, code))
#define ROW_FAIL_EOF(pos, code) (c->p = (pos), ok = fail_eof(c, code))

/* See json_internal.h. Mirrors sl__json_row step by step (same errors at the same c->p); the
 * position and the batch's field count live in locals until the row ends, and the key and value
 * are written straight into the batch's arrays (room is made before the member). */
bool sl__json_row_keyed(sl__json_cur *c, sl__json_keys *k, sl_rawbatch *rb)
{
    const char *e = c->end, *p = skip_ws(c->p + 1, e); /* past '{' */
    size_t n = rb->n_fields, cap = rb->cap_fields;
    sl_slice *names = rb->names, *fields = rb->fields;
    uint32_t *ids = rb->ids, j = 0;
    bool ok = true;
    if (p == e) {
        ROW_FAIL_EOF(p, SL__JSON_MISS_NAME);
        goto out;
    }
    for (; j > 0 || *p != '}'; j++) { /* "{}", or members until '}' */
        if (*p != '"' && ROW_FAIL(p, SL__JSON_MISS_NAME) == false)
            goto out;
        if (SL_UNLIKELY(n == cap)) {
            rb->n_fields = n;
            if (sl__rawbatch_grow(rb) != SL_OK) {
                ROW_FAIL(p, SL__JSON_NOMEM);
                goto out;
            }
            cap = rb->cap_fields, names = rb->names, fields = rb->fields, ids = rb->ids;
        }
        if ((p = row_key(c, k, j, p, &names[n], &ids[n])) == NULL)
            return rb->n_fields = n, false;
        p = skip_ws(p, e);
        if (p == e || *p != ':') {
            if (p == e)
                ROW_FAIL_EOF(p, SL__JSON_MISS_COLON);
            else
                ROW_FAIL(p, SL__JSON_MISS_COLON);
            goto out;
        }
        if ((p = row_value(c, skip_ws(p + 1, e), &fields[n])) == NULL)
            return rb->n_fields = n, false;
        n++;
        p = skip_ws(p, e);
        if (p == e) {
            ROW_FAIL_EOF(p, SL__JSON_MISS_OBJ_END);
            goto out;
        }
        if (*p == '}') {
            j++;
            break;
        }
        if (*p != ',' && ROW_FAIL(p, SL__JSON_MISS_OBJ_END) == false)
            goto out;
        p = skip_ws(p + 1, e);
        if (p == e) {
            ROW_FAIL_EOF(p, SL__JSON_MISS_NAME);
            goto out;
        }
    }
    c->p = p + 1;
    k->n_order = j < SL__JSON_MAX_ORDER ? j : SL__JSON_MAX_ORDER;
out:
    rb->n_fields = n;
    return ok;
}

#undef ROW_FAIL
#undef ROW_FAIL_EOF

/* Exactly one RFC 8259 document in p[0..n)? SL__JSON_OK or a rapidjson code; no allocation.
 * JSONTestSuite is checked through this function (tests/unit/decode/test_json.c). */
int sl__json_validate(const char *p, size_t n)
{
    sl__json_cur c = {p, p + n, true, false, SL__JSON_OK, NULL};
    sl__json_ws(&c);
    if (c.p == c.end)
        return SL__JSON_EMPTY;
    if (!sl__json_skip(&c))
        return c.err;
    sl__json_ws(&c);
    return c.p == c.end ? SL__JSON_OK : SL__JSON_NOT_SINGULAR;
}
