/*
 * buf.h - growable byte buffer, backquoted SQL identifiers and JSON writing helpers (core).
 *
 * Replies, error logs and SQL text are built in an sl_buf. It owns its heap memory; after an
 * allocation failure the buffer is poisoned (b->oom) and later appends do nothing, so a caller
 * checks once at the end [redis sds, but with a sticky error].
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_BUF_H
#define SL_BUF_H

#include "platform.h"
#include "slice.h"

typedef struct sl_buf {
    char *p;     /* NUL-terminated when len > 0 */
    size_t len;
    size_t cap;
    bool oom;    /* an append failed; contents are incomplete */
} sl_buf;

#define SL_BUF_INIT {NULL, 0, 0, false}

/* Make room for n more bytes; false (and b->oom) on failure. */
bool sl_buf_reserve(sl_buf *b, size_t n);
void sl_buf_append(sl_buf *b, const void *p, size_t n);
void sl_buf_puts(sl_buf *b, const char *s);
void sl_buf_putc(sl_buf *b, char c);
void sl_buf_printf(sl_buf *b, const char *fmt, ...) SL_PRINTF(2, 3);
/* Empty the buffer, keep its memory. */
void sl_buf_clear(sl_buf *b);
/* Release the memory. */
void sl_buf_free(sl_buf *b);
/* Hand the bytes over to the caller (who frees them with sl_free); the buffer becomes empty. */
char *sl_buf_take(sl_buf *b, size_t *len);

/* Append name as a backquoted SQL identifier (Doris/MySQL form), a backquote inside doubled. */
void sl_buf_ident(sl_buf *b, sl_slice name);

/* Whether p[0..n) is valid UTF-8 (RFC 3629: no overlong forms, surrogates or code points past
 * U+10FFFF). */
bool sl_utf8_valid(const char *p, size_t n);

/* Append p[0..n) as a JSON string literal with quotes; invalid UTF-8 bytes become U+FFFD. */
void sl_json_str(sl_buf *b, const char *p, size_t n);

/* sl_json_str, but bytes of 0x80 and up are copied as they are, valid UTF-8 or not: for JSON
 * text that carries loaded values onward inside sluice (the store decides what it accepts;
 * nothing is changed on the way). */
void sl_json_str_bytes(sl_buf *b, const char *p, size_t n);
static inline void sl_json_cstr(sl_buf *b, const char *s)
{
    sl_json_str(b, s, strlen(s));
}

#endif
