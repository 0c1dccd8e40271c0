/*
 * parser.c - the request-parser wrapper around http-parser 2.9.4 (http stage).
 *
 * server.c feeds every plaintext byte of a connection through sl__hp_execute. The wrapper
 * gathers the target and header lines into one reusable buffer (offsets, not pointers, as the
 * buffer grows), counts them against the head limit, and pauses the parser at the head, at a
 * body piece the caller wants to hand off, and at the end of each message. See internal.h.
 *
 * http-parser facts this file relies on (checked against 2.9.4):
 *  - A pause set inside a callback makes http_parser_execute return with HPE_PAUSED; the bytes
 *    it did not consume must be fed again after the pause is lifted. http_parser_pause asserts
 *    when the parser is in an error state, so we pause only from callbacks and resume only
 *    when we paused.
 *  - Content-Length together with Transfer-Encoding: chunked is HPE_UNEXPECTED_CONTENT_LENGTH
 *    unless allow_chunked_length is set. We set it, so the handler sees both (Doris answers
 *    that case itself); the body is then framed by chunked, which wins (RFC 7230 3.3.3), and
 *    server.c closes the connection after the reply.
 *  - The parser also enforces its own compile-time head limit (80 KiB, HPE_HEADER_OVERFLOW),
 *    which we report as too large as well. We do not call http_parser_set_max_header_size:
 *    it changes a process-wide variable.
 */
#include "../core/platform.h"

#include <string.h>

#include "../core/mem.h"
#include "internal.h"

#define DEFAULT_MAX_HEAD (64 * 1024) /* matches sl_http_config's default */
#define LINE_OVERHEAD 4               /* ": " and CRLF around each header line */

static sl__hp *hp_of(http_parser *p)
{
    return (sl__hp *)p->data;
}

static void pause_at(sl__hp *hp, sl__hp_event ev)
{
    http_parser_pause(&hp->_p, 1);
    hp->paused = true;
    hp->pause_event = ev;
}

/* Count n more head bytes; false (with the error recorded) when over the limit. */
static bool count_head(sl__hp *hp, size_t n)
{
    hp->head_bytes += n;
    if (hp->head_bytes > hp->max_head) {
        hp->error = SL__HPE_TOO_LARGE;
        return false;
    }
    return true;
}

static bool append_head(sl__hp *hp, const char *p, size_t n)
{
    sl_buf_append(&hp->head, p, n);
    if (hp->head.oom) {
        hp->error = SL__HPE_NOMEM;
        return false;
    }
    return true;
}

static int on_message_begin(http_parser *p)
{
    sl__hp *hp = hp_of(p);
    sl_buf_clear(&hp->head);
    hp->n_fields = 0;
    hp->target_len = 0;
    hp->head_bytes = 0;
    hp->last = 0;
    hp->in_message = true;
    hp->head_done = false;
    memset(&hp->h, 0, sizeof hp->h);
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t n)
{
    sl__hp *hp = hp_of(p);
    if (!count_head(hp, n) || !append_head(hp, at, n))
        return -1;
    hp->target_len += n;
    return 0;
}

static bool new_field(sl__hp *hp)
{
    if (hp->n_fields == hp->cap_fields) {
        size_t cap = hp->cap_fields ? hp->cap_fields * 2 : 16;
        sl__hp_field *f = sl_realloc(hp->fields, cap * sizeof *f);
        if (f == NULL) {
            hp->error = SL__HPE_NOMEM;
            return false;
        }
        hp->fields = f;
        hp->cap_fields = cap;
    }
    sl__hp_field *f = &hp->fields[hp->n_fields++];
    f->name_off = (uint32_t)hp->head.len;
    f->name_len = 0;
    f->value_off = 0;
    f->value_len = 0;
    return true;
}

static int on_header_field(http_parser *p, const char *at, size_t n)
{
    sl__hp *hp = hp_of(p);
    if (hp->head_done)
        return 0; /* chunked trailers: bounded by the parser's own limit, then ignored */
    if (hp->last != 1 && (!count_head(hp, LINE_OVERHEAD) || !new_field(hp)))
        return -1;
    hp->last = 1;
    if (!count_head(hp, n) || !append_head(hp, at, n))
        return -1;
    hp->fields[hp->n_fields - 1].name_len += (uint32_t)n;
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t n)
{
    sl__hp *hp = hp_of(p);
    if (hp->head_done)
        return 0;
    if (SL_NEVER(hp->n_fields == 0))
        return -1;
    sl__hp_field *f = &hp->fields[hp->n_fields - 1];
    if (hp->last != 2)
        f->value_off = (uint32_t)hp->head.len;
    hp->last = 2;
    if (!count_head(hp, n) || !append_head(hp, at, n))
        return -1;
    f->value_len += (uint32_t)n;
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    sl__hp *hp = hp_of(p);
    sl__hp_head *h = &hp->h;
    h->method_id = (int)p->method;
    h->method = http_method_str((enum http_method)p->method);
    h->target = (sl_slice){hp->head.p ? hp->head.p : "", hp->target_len};
    h->n_fields = hp->n_fields;
    h->content_length = (p->flags & F_CONTENTLENGTH) ? (int64_t)p->content_length : -1;
    h->chunked = (p->flags & F_CHUNKED) != 0;
    h->http_major = p->http_major;
    h->http_minor = p->http_minor;
    /* An Upgrade or CONNECT ends HTTP on this connection: answer it, then close. */
    h->keep_alive = http_should_keep_alive(p) && !p->upgrade;
    hp->head_done = true;
    pause_at(hp, SL__HP_HEAD);
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t n)
{
    sl__hp *hp = hp_of(p);
    if (hp->on_body && hp->on_body(hp->u, at, n))
        pause_at(hp, SL__HP_PAUSED);
    return 0;
}

static int on_message_complete(http_parser *p)
{
    sl__hp *hp = hp_of(p);
    hp->h.keep_alive = hp->h.keep_alive && http_should_keep_alive(p) && !p->upgrade;
    hp->in_message = false;
    pause_at(hp, SL__HP_COMPLETE);
    return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void sl__hp_init(sl__hp *hp, size_t max_head, sl__hp_body_fn on_body_fn, void *u)
{
    memset(hp, 0, sizeof *hp);
    http_parser_init(&hp->_p, HTTP_REQUEST);
    hp->_p.data = hp;
    hp->_p.allow_chunked_length = 1;
    hp->on_body = on_body_fn;
    hp->u = u;
    hp->max_head = max_head ? max_head : DEFAULT_MAX_HEAD;
    hp->head = (sl_buf)SL_BUF_INIT;
}

void sl__hp_free(sl__hp *hp)
{
    sl_buf_free(&hp->head);
    sl_free(hp->fields);
    hp->fields = NULL;
    hp->n_fields = hp->cap_fields = 0;
}

static sl__hp_error map_errno(enum http_errno e)
{
    return e == HPE_HEADER_OVERFLOW ? SL__HPE_TOO_LARGE : SL__HPE_BAD;
}

sl__hp_event sl__hp_execute(sl__hp *hp, const char *p, size_t n, size_t *used)
{
    *used = 0;
    if (hp->error != SL__HPE_NONE)
        return SL__HP_ERROR;
    if (SL_NEVER(hp->paused) || n == 0)
        return hp->paused ? hp->pause_event : SL__HP_MORE;
    size_t k = http_parser_execute(&hp->_p, &settings, p, n);
    *used = k;
    enum http_errno e = HTTP_PARSER_ERRNO(&hp->_p);
    if (e == HPE_PAUSED)
        return hp->pause_event;
    if (e != HPE_OK) {
        if (hp->error == SL__HPE_NONE) /* a callback may have set a precise reason */
            hp->error = map_errno(e);
        return SL__HP_ERROR;
    }
    if (k < n) { /* the parser stopped after an upgrade: the rest is not HTTP */
        hp->error = SL__HPE_UPGRADE;
        return SL__HP_ERROR;
    }
    return SL__HP_MORE;
}

void sl__hp_resume(sl__hp *hp)
{
    if (!hp->paused)
        return;
    hp->paused = false;
    http_parser_pause(&hp->_p, 0);
}

const sl__hp_head *sl__hp_head_get(const sl__hp *hp)
{
    return &hp->h;
}

static sl_slice trim_sp(sl_slice s)
{
    while (s.n && (s.p[0] == ' ' || s.p[0] == '\t'))
        s.p++, s.n--;
    while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
        s.n--;
    return s;
}

void sl__hp_field_get(const sl__hp *hp, size_t i, sl_slice *name, sl_slice *value)
{
    const sl__hp_field *f = &hp->fields[i];
    *name = (sl_slice){hp->head.p + f->name_off, f->name_len};
    if (f->value_len == 0)
        *value = (sl_slice){"", 0};
    else
        *value = trim_sp((sl_slice){hp->head.p + f->value_off, f->value_len});
}

bool sl__hp_keep_alive(const sl__hp *hp)
{
    return hp->h.keep_alive;
}

bool sl__hp_in_message(const sl__hp *hp)
{
    return hp->in_message;
}

const char *sl__hp_error_text(const sl__hp *hp)
{
    switch (hp->error) {
    case SL__HPE_NONE:
        return "no error";
    case SL__HPE_TOO_LARGE:
        return "request head too large";
    case SL__HPE_NOMEM:
        return "out of memory";
    case SL__HPE_UPGRADE:
        return "protocol upgrade not supported";
    case SL__HPE_BAD:
        break;
    }
    return http_errno_description(HTTP_PARSER_ERRNO(&hp->_p));
}
