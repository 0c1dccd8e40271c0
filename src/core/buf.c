/*
 * buf.c - growable buffer, backquoted SQL identifiers and JSON string escaping (core).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "platform.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "mem.h"

bool sl_buf_reserve(sl_buf *b, size_t n)
{
    if (b->oom)
        return false;
    if (b->cap - b->len > n)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len <= n)
        cap *= 2;
    char *p = sl_realloc(b->p, cap);
    if (p == NULL) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void sl_buf_append(sl_buf *b, const void *p, size_t n)
{
    if (!sl_buf_reserve(b, n))
        return;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void sl_buf_puts(sl_buf *b, const char *s)
{
    sl_buf_append(b, s, strlen(s));
}

void sl_buf_putc(sl_buf *b, char c)
{
    sl_buf_append(b, &c, 1);
}

void sl_buf_printf(sl_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        sl_buf_append(b, tmp, (size_t)n);
        return;
    }
    if (!sl_buf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void sl_buf_clear(sl_buf *b)
{
    b->len = 0;
    b->oom = false;
    if (b->p)
        b->p[0] = '\0';
}

void sl_buf_free(sl_buf *b)
{
    sl_free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->oom = false;
}

char *sl_buf_take(sl_buf *b, size_t *len)
{
    char *p = b->p;
    if (len)
        *len = b->len;
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

/* Length of the valid UTF-8 sequence at s (max n bytes), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, min = 0x10000;
    else
        return 0;
    if (n < len)
        return 0;
    unsigned cp = c & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

bool sl_utf8_valid(const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p;
    for (size_t i = 0, l; i < n; i += l)
        if ((l = utf8_len(s + i, n - i)) == 0)
            return false;
    return true;
}

void sl_buf_ident(sl_buf *b, sl_slice name)
{
    sl_buf_putc(b, '`');
    for (size_t i = 0; i < name.n; i++) {
        if (name.p[i] == '`')
            sl_buf_putc(b, '`');
        sl_buf_putc(b, name.p[i]);
    }
    sl_buf_putc(b, '`');
}

/* sl_json_str and sl_json_str_bytes: raw copies bytes of 0x80 and up without looking. */
static void json_str(sl_buf *b, const char *p, size_t n, bool raw)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)p;
    sl_buf_putc(b, '"');
    size_t run = 0; /* start of the pending run of bytes that need no escaping */
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            i++;
            continue;
        }
        size_t l = c < 0x80 ? 0 : raw ? 1 : utf8_len(s + i, n - i);
        if (l) {
            i += l;
            continue;
        }
        sl_buf_append(b, p + run, i - run);
        switch (c) {
        case '"': sl_buf_puts(b, "\\\""); break;
        case '\\': sl_buf_puts(b, "\\\\"); break;
        case '\n': sl_buf_puts(b, "\\n"); break;
        case '\r': sl_buf_puts(b, "\\r"); break;
        case '\t': sl_buf_puts(b, "\\t"); break;
        case '\b': sl_buf_puts(b, "\\b"); break;
        case '\f': sl_buf_puts(b, "\\f"); break;
        default:
            if (c < 0x20) {
                char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                sl_buf_append(b, e, 6);
            } else {
                sl_buf_puts(b, "\xef\xbf\xbd"); /* invalid UTF-8 byte */
            }
        }
        i++;
        run = i;
    }
    sl_buf_append(b, p + run, n - run);
    sl_buf_putc(b, '"');
}

void sl_json_str(sl_buf *b, const char *p, size_t n)
{
    json_str(b, p, n, false);
}

void sl_json_str_bytes(sl_buf *b, const char *p, size_t n)
{
    json_str(b, p, n, true);
}
