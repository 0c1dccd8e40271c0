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
 *    unless allow_chunked_length is set, and that error comes mid-head. We set the flag so the
 *    head completes and check_framing refuses the pair with its own reason, like every other
 *    framing ambiguity: one place decides, before any handler runs.
 *  - Built without HTTP_PARSER_STRICT (Debian), it accepts `Transfer-Encoding: gzip, chunked`
 *    and two TE headers as chunked, a space before a header colon (as part of the name),
 *    obs-fold lines (appended to the value), bare LF line ends, any version digits, any byte in
 *    a chunk extension (of any length) and any two bytes after chunk data. check_framing and
 *    scan refuse these, and extensions longer than SL__HP_MAX_CHUNK_EXT.
 *  - The parser also enforces its own compile-time head limit (80 KiB, HPE_HEADER_OVERFLOW),
 *    which we report as too large as well. We do not call http_parser_set_max_header_size:
 *    it changes a process-wide variable.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <string.h>
#include <strings.h>

#include "../core/mem.h"
#include "internal.h"

#define DEFAULT_MAX_HEAD (64 * 1024) /* matches sl_http_config's default */
#define LINE_OVERHEAD 4               /* ": " and CRLF around each header line */
/* Chunk extensions are read and dropped, and their bytes count toward no body limit: without a
 * bound, one chunk header could stream forever (Node.js capped them likewise, CVE-2024-22019). */
#define SL__HP_MAX_CHUNK_EXT 4096

static sl_slice trim_sp(sl_slice s)
{
    while (s.n && (s.p[0] == ' ' || s.p[0] == '\t'))
        s.p++, s.n--;
    while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
        s.n--;
    return s;
}

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

/* Refuse a head with a reason: 400, or 501 (SL__HPE_CODING) for a transfer coding. */
static int refuse(sl__hp *hp, sl__hp_error e, const char *why)
{
    hp->error = e;
    hp->reason = why;
    return -1;
}

static bool name_is(sl_slice n, const char *lit)
{
    size_t k = strlen(lit);
    return n.n == k && strncasecmp(n.p, lit, k) == 0;
}

/* Each element of a Transfer-Encoding list: only "chunked" is known (RFC 9112 6.1: a server
 * that does not understand a coding answers 501); chunked twice is a framing error. */
static int check_codings(sl__hp *hp, sl_slice v)
{
    int n_chunked = 0;
    const char *p = v.p, *end = v.p + v.n;
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        sl_slice el = trim_sp((sl_slice){p, (size_t)((comma ? comma : end) - p)});
        if (!name_is(el, "chunked"))
            return refuse(hp, SL__HPE_CODING, "unsupported transfer coding");
        n_chunked++;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    if (n_chunked > 1)
        return refuse(hp, SL__HPE_BAD, "chunked transfer coding applied more than once");
    return 0;
}

/* The framing rules every request meets before a handler sees it (RFC 9112 6.1-6.3): HTTP/1.0
 * or 1.1; at most one Transfer-Encoding header, exactly "chunked", never with Content-Length
 * and never on HTTP/1.0. 0 when the head may proceed, -1 (error set) otherwise. */
static int check_framing(sl__hp *hp, const http_parser *p)
{
    if (p->http_major != 1 || p->http_minor > 1)
        return refuse(hp, SL__HPE_BAD, "unsupported HTTP version");
    size_t n_te = 0, n_cl = 0;
    sl_slice te = SL_SLICE_NULL;
    for (size_t i = 0; i < hp->n_fields; i++) {
        sl_slice n, v;
        sl__hp_field_get(hp, i, &n, &v);
        if (name_is(n, "transfer-encoding"))
            n_te++, te = v;
        else if (name_is(n, "content-length"))
            n_cl++;
    }
    if (n_te == 0)
        return 0;
    if (n_cl > 0)
        return refuse(hp, SL__HPE_BAD, "both Content-Length and Transfer-Encoding");
    if (n_te > 1)
        return refuse(hp, SL__HPE_BAD, "more than one Transfer-Encoding header");
    if (p->http_minor == 0)
        return refuse(hp, SL__HPE_BAD, "Transfer-Encoding in an HTTP/1.0 request");
    return check_codings(hp, te);
}

static int on_headers_complete(http_parser *p)
{
    sl__hp *hp = hp_of(p);
    sl__hp_head *h = &hp->h;
    if (check_framing(hp, p) != 0)
        return -1;
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

/* ---- the byte scanner ------------------------------------------------------------------ */

static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* field-vchar, SP and HTAB (RFC 9110 5.5); obs-text (>= 0x80) is allowed as the RFC allows. */
static bool is_value_byte(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool scan_fail(sl__hp *hp, const char *why)
{
    hp->error = SL__HPE_BAD;
    hp->reason = why;
    return false;
}

/* Where the body of the message whose head just ended starts. */
static sl__hp_sw body_start(sl__hp *hp)
{
    if (hp->h.chunked) {
        hp->n_hex = 0;
        hp->left = 0;
        return SL__SW_SIZE;
    }
    hp->left = hp->h.content_length > 0 ? (uint64_t)hp->h.content_length : 0;
    return hp->left ? SL__SW_BODY : SL__SW_START;
}

/*
 * Walk the n bytes the parser has just consumed, in step with it, and refuse what a lenient
 * parser lets through. States (sl__hp_sw): START -> REQLINE -> REQLINE_LF -> LINE
 * (-> NAME -> VALUE -> VALUE_LF -> LINE)* -> HEAD_LF -> body: BODY (Content-Length bytes) or
 * chunks SIZE [-> SIZE_BWS] [-> EXT] -> SIZE_LF -> DATA -> DATA_CR -> DATA_LF -> SIZE ..., the
 * last chunk leading to trailer lines (LINE ..., in_trailer) and HEAD_LF -> START. Body and
 * chunk data are skipped by count, so only heads and chunk-size lines are read byte by byte.
 * The parser has already checked what it checks (methods, URL bytes, sizes); this adds only
 * the rules it relaxes. false with hp->error and hp->reason set on the first bad byte.
 */
static bool scan(sl__hp *hp, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        switch (hp->sw) {
        case SL__SW_START:
            if (c != '\r' && c != '\n')
                hp->sw = SL__SW_REQLINE;
            break;
        case SL__SW_REQLINE:
            if (c == '\r')
                hp->sw = SL__SW_REQLINE_LF;
            else if (c == '\n')
                return scan_fail(hp, "bare LF in the request line");
            break;
        case SL__SW_REQLINE_LF:
        case SL__SW_VALUE_LF:
            if (c != '\n')
                return scan_fail(hp, "CR not followed by LF");
            hp->sw = SL__SW_LINE;
            break;
        case SL__SW_LINE:
            if (c == '\r')
                hp->sw = SL__SW_HEAD_LF;
            else if (c == ' ' || c == '\t')
                return scan_fail(hp, "obsolete line folding");
            else if (is_tchar(c))
                hp->sw = SL__SW_NAME;
            else
                return scan_fail(hp, c == '\n' ? "bare LF in the head" : "invalid header name");
            break;
        case SL__SW_NAME:
            if (c == ':')
                hp->sw = SL__SW_VALUE;
            else if (c == ' ' || c == '\t')
                return scan_fail(hp, "whitespace between header name and colon");
            else if (!is_tchar(c))
                return scan_fail(hp, "invalid header name");
            break;
        case SL__SW_VALUE:
            if (c == '\r')
                hp->sw = SL__SW_VALUE_LF;
            else if (!is_value_byte(c))
                return scan_fail(hp, c == '\n' ? "bare LF in the head"
                                               : "control character in a header value");
            break;
        case SL__SW_HEAD_LF:
            if (c != '\n')
                return scan_fail(hp, "CR not followed by LF");
            if (hp->in_trailer) {
                hp->in_trailer = false;
                hp->sw = SL__SW_START;
            } else if (!hp->head_before) {
                /* The parser pauses before its head's last LF, so that LF arrives in a later
                 * call: here the lenient parser read these bytes otherwise (or it ended its
                 * head further on, in this very call). */
                return scan_fail(hp, "malformed request head");
            } else {
                hp->sw = body_start(hp);
            }
            break;
        case SL__SW_BODY:
        case SL__SW_DATA: {
            uint64_t take = n - i < hp->left ? n - i : hp->left;
            hp->left -= take;
            i += take - 1; /* take >= 1: left > 0 in these states */
            if (hp->left == 0)
                hp->sw = hp->sw == SL__SW_BODY ? SL__SW_START : SL__SW_DATA_CR;
            break;
        }
        case SL__SW_SIZE:
            if (sl_hexval((char)c) >= 0) {
                if (++hp->n_hex > 15)
                    return scan_fail(hp, "chunk size too long");
                hp->left = hp->left * 16 + (uint64_t)sl_hexval((char)c);
            } else if (hp->n_hex == 0) {
                return scan_fail(hp, "invalid chunk size");
            } else if (c == ' ' || c == '\t') {
                hp->sw = SL__SW_SIZE_BWS;
            } else if (c == ';') {
                hp->n_ext = 0;
                hp->sw = SL__SW_EXT;
            } else if (c == '\r') {
                hp->sw = SL__SW_SIZE_LF;
            } else {
                return scan_fail(hp, "invalid chunk size");
            }
            break;
        case SL__SW_SIZE_BWS:
            if (c == ';') {
                hp->n_ext = 0;
                hp->sw = SL__SW_EXT;
            }
            else if (c != ' ' && c != '\t')
                return scan_fail(hp, "invalid chunk size");
            break;
        case SL__SW_EXT:
            if (c == '\r')
                hp->sw = SL__SW_SIZE_LF;
            else if (!is_value_byte(c))
                return scan_fail(hp, "control character in a chunk extension");
            else if (++hp->n_ext > SL__HP_MAX_CHUNK_EXT)
                return scan_fail(hp, "chunk extension too long");
            break;
        case SL__SW_SIZE_LF:
            if (c != '\n')
                return scan_fail(hp, "CR not followed by LF");
            if (hp->left == 0) {
                hp->in_trailer = true;
                hp->sw = SL__SW_LINE;
            } else {
                hp->sw = SL__SW_DATA;
            }
            break;
        case SL__SW_DATA_CR:
            if (c != '\r')
                return scan_fail(hp, "chunk data not followed by CRLF");
            hp->sw = SL__SW_DATA_LF;
            break;
        case SL__SW_DATA_LF:
            if (c != '\n')
                return scan_fail(hp, "chunk data not followed by CRLF");
            hp->n_hex = 0;
            hp->left = 0;
            hp->sw = SL__SW_SIZE;
            break;
        }
    }
    return true;
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
    hp->head_before = hp->head_done;
    size_t k = http_parser_execute(&hp->_p, &settings, p, n);
    *used = k;
    enum http_errno e = HTTP_PARSER_ERRNO(&hp->_p);
    if ((e == HPE_OK || e == HPE_PAUSED) && !scan(hp, p, k))
        return SL__HP_ERROR; /* before any pause event is reported: nothing acts on the bytes */
    if (e == HPE_PAUSED && hp->pause_event == SL__HP_HEAD && hp->sw != SL__SW_HEAD_LF) {
        /* The parser ended the head where the scanner did not: they read the bytes apart. */
        hp->error = SL__HPE_BAD;
        hp->reason = "malformed request head";
        return SL__HP_ERROR;
    }
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
    if (hp->reason)
        return hp->reason;
    switch (hp->error) {
    case SL__HPE_NONE:
        return "no error";
    case SL__HPE_TOO_LARGE:
        return "request head too large";
    case SL__HPE_NOMEM:
        return "out of memory";
    case SL__HPE_UPGRADE:
        return "protocol upgrade not supported";
    case SL__HPE_CODING:
        return "unsupported transfer coding";
    case SL__HPE_BAD:
        break;
    }
    return http_errno_description(HTTP_PARSER_ERRNO(&hp->_p));
}
