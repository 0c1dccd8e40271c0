/*
 * internal.h - shared inside src/http only: the request-parser wrapper (http stage).
 *
 * parser.c wraps http-parser 2.9.4 behind this small interface so that llhttp (whose callback
 * API is nearly the same) can replace it without touching server.c. The wrapper collects the
 * request head (target and header lines) into its own buffer, enforces the header byte limit,
 * and stops ("pauses") at the three points where server.c must hand work to a handler stage:
 *
 *   bytes -> sl__hp_execute -> SL__HP_HEAD     head complete: read it with sl__hp_head_get
 *                           -> body callback   de-chunked body bytes (may ask for a pause)
 *                           -> SL__HP_COMPLETE message complete
 *
 * After a pause the caller keeps the unconsumed bytes and passes them again after
 * sl__hp_resume. Nothing here allocates per byte; the head buffer is reused across messages.
 *
 * http-parser (as Debian builds it, without HTTP_PARSER_STRICT) is lenient where leniency lets
 * two servers disagree on where a request ends. The wrapper makes it strict in two places, so
 * every port and every endpoint gets the same framing before any handler runs:
 *   - at the head: one Transfer-Encoding header whose value is exactly `chunked` (anything else
 *     is 501 or 400), never together with Content-Length, never on HTTP/1.0; only HTTP/1.0
 *     and HTTP/1.1 (check_framing);
 *   - on the bytes themselves: a scanner walks every byte the parser consumed, in step with it,
 *     and refuses bare LF, obs-fold lines, whitespace before a header colon, control bytes in
 *     header values and chunk extensions, and chunk data not followed by CRLF (scan).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_HTTP_INTERNAL_H
#define SL_HTTP_INTERNAL_H

#include <http_parser.h>

#include "../core/buf.h"
#include "../core/slice.h"
#include "http.h"

/* What sl__hp_execute stopped at. */
typedef enum sl__hp_event {
    SL__HP_MORE,      /* every byte consumed; feed more */
    SL__HP_HEAD,      /* paused: the head is complete (sl__hp_head_get) */
    SL__HP_PAUSED,    /* paused: the body callback asked for it */
    SL__HP_COMPLETE,  /* paused: the message is complete */
    SL__HP_ERROR      /* malformed (or limit); see sl__hp.error; the parser is dead */
} sl__hp_event;

/* Why a message was refused. */
typedef enum sl__hp_error {
    SL__HPE_NONE,
    SL__HPE_BAD,        /* malformed request: answer 400 */
    SL__HPE_TOO_LARGE,  /* head over the byte limit: answer 431 */
    SL__HPE_NOMEM,      /* the head buffer could not grow */
    SL__HPE_UPGRADE,    /* Upgrade/CONNECT: not supported by this server */
    SL__HPE_CODING      /* a transfer coding other than chunked: answer 501 */
} sl__hp_error;

/* Where the byte scanner is (see scan in parser.c). */
typedef enum sl__hp_sw {
    SL__SW_START,       /* between messages: CR/LF skipped, anything else starts a request */
    SL__SW_REQLINE,     /* in the request line */
    SL__SW_REQLINE_LF,  /* CR seen at its end */
    SL__SW_LINE,        /* at the start of a header (or trailer) line */
    SL__SW_NAME,        /* in a field name */
    SL__SW_VALUE,       /* in a field value */
    SL__SW_VALUE_LF,    /* CR seen after a value */
    SL__SW_HEAD_LF,     /* CR of the empty line that ends the head (or the trailers) */
    SL__SW_BODY,        /* Content-Length body: `left` bytes to go */
    SL__SW_SIZE,        /* chunk size: hex digits */
    SL__SW_SIZE_BWS,    /* whitespace after the size; only ';' may follow */
    SL__SW_EXT,         /* chunk extension, up to CR */
    SL__SW_SIZE_LF,     /* CR seen after the chunk-size line */
    SL__SW_DATA,        /* chunk data: `left` bytes to go */
    SL__SW_DATA_CR,     /* chunk data done: CR must follow */
    SL__SW_DATA_LF      /* then LF */
} sl__hp_sw;

/* One header line: offsets into the head buffer (it may move while it grows). */
typedef struct sl__hp_field {
    uint32_t name_off, name_len;
    uint32_t value_off, value_len;
} sl__hp_field;

/* The request head as parsed; slices point into the wrapper's buffer and stay valid until
 * the next message begins (i.e. until sl__hp_resume after SL__HP_COMPLETE plus more input). */
typedef struct sl__hp_head {
    const char *method;      /* static string from the parser */
    int method_id;           /* enum http_method */
    sl_slice target;         /* request target as sent */
    size_t n_fields;
    int64_t content_length;  /* -1 when absent */
    bool chunked;            /* Transfer-Encoding is exactly `chunked` (nothing else passes) */
    bool keep_alive;         /* http_should_keep_alive at head time */
    int http_major, http_minor;
} sl__hp_head;

/* Body bytes (after de-chunking), valid only during the call. Return true to pause the parser
 * after this piece: sl__hp_execute then returns SL__HP_PAUSED. */
typedef bool (*sl__hp_body_fn)(void *u, const char *p, size_t n);

typedef struct sl__hp {
    http_parser _p;             /* the wrapped parser; nothing outside parser.c touches it */
    sl__hp_body_fn on_body;
    void *u;
    size_t max_head;            /* byte limit on target + header names and values */
    sl_buf head;                /* target, then each header name and value, back to back */
    sl__hp_field *fields;
    size_t n_fields, cap_fields;
    size_t target_len;
    size_t head_bytes;          /* bytes counted against max_head */
    int last;                   /* 0 none, 1 field, 2 value: for fragments across reads */
    bool in_message;            /* between message begin and message complete */
    bool head_done;             /* head complete for the current message */
    bool head_before;           /* head_done when the current execute began: the scanner's
                                   head end must come after the parser's, in a later call */
    bool paused;
    sl__hp_event pause_event;   /* what the pause was for */
    sl__hp_error error;
    const char *reason;         /* static text for a strictness refusal; NULL otherwise */
    sl__hp_head h;
    sl__hp_sw sw;               /* the byte scanner's state */
    bool in_trailer;            /* the scanner's header lines are chunked trailers */
    int n_hex;                  /* hex digits of the chunk size so far */
    uint32_t n_ext;             /* bytes of the current chunk extension */
    uint64_t left;              /* body or chunk bytes still to skip */
} sl__hp;

/* Prepare a parser for requests. max_head is the head byte limit (0: 64 KiB). on_body may be
 * NULL (body discarded). Allocates nothing until bytes arrive. */
void sl__hp_init(sl__hp *hp, size_t max_head, sl__hp_body_fn on_body, void *u);

/* Release the head buffer. The parser may be initialised again. */
void sl__hp_free(sl__hp *hp);

/* Parse up to n bytes of p (n > 0; EOF is handled by the caller, not by passing 0). *used
 * receives how many were consumed; the rest must be passed again after sl__hp_resume when the
 * event is a pause. Returns the event; SL__HP_ERROR is final (hp->error says why). Must not be
 * called while paused. */
sl__hp_event sl__hp_execute(sl__hp *hp, const char *p, size_t n, size_t *used);

/* Lift a pause (no-op when not paused). */
void sl__hp_resume(sl__hp *hp);

/* The head of the current message (valid after SL__HP_HEAD until the next message begins). */
const sl__hp_head *sl__hp_head_get(const sl__hp *hp);

/* Header i of the current head as name/value slices (value trimmed of spaces and tabs). */
void sl__hp_field_get(const sl__hp *hp, size_t i, sl_slice *name, sl_slice *value);

/* Whether the connection may stay open after the current message (http_should_keep_alive). */
bool sl__hp_keep_alive(const sl__hp *hp);

/* True between the first byte of a message and its completion. */
bool sl__hp_in_message(const sl__hp *hp);

/* A short description of the last parser error, for logs and 400 bodies (static). */
const char *sl__hp_error_text(const sl__hp *hp);

/* TLS over memory BIOs (tls.c): declared in http.h, which src/mysql/ shares. */


/*
 * Streamed replies (stream.c on the producer's worker thread, server.c on the loop). A block is
 * framed bytes ready for the socket; blocks are handed over in order and written in order.
 */
#define SL__STREAM_BLOCK (64u * 1024)    /* a chunk: large enough that framing costs nothing,
                                            small enough that the first bytes leave early */
#define SL__STREAM_WINDOW (1024u * 1024) /* handed over but unwritten: the producer waits past
                                            it, so a reply holds at most window + block */

typedef struct sl__sblock {
    struct sl__sblock *next;
    size_t n;
    char data[];
} sl__sblock;

/* How a stream ended, when its handler stage returned (sl__stream_finish). */
typedef enum sl__stream_end {
    SL__STREAM_WHOLE,    /* nothing was handed over: the bytes went to `whole`; ordinary reply */
    SL__STREAM_CHUNKED,  /* the rest is queued: write it, then the last chunk */
    SL__STREAM_RAW,      /* HTTP/1.0: the rest is queued; the end of the reply is the close */
    SL__STREAM_CUT       /* aborted after the start, or the client is gone: close, no last chunk */
} sl__stream_end;

/* server.c: wake the loop to take the blocks of r's stream (any thread). */
void sl__http_stream_notify(sl_http_req *r);
/* server.c: how long a stalled client may keep a producer waiting (the idle timeout). */
uint32_t sl__http_stream_timeout(const sl_http_req *r);

/* stream.c, loop thread: detach the handed-over blocks (in order; caller frees each with
 * sl_free); credit n written bytes (wakes the producer); mark the stream dead (the producer's
 * next write fails). */
sl__sblock *sl__stream_take(sl__stream *st);
void sl__stream_credit(sl__stream *st, size_t n);
void sl__stream_kill(sl__stream *st);
/* stream.c, loop thread, after the producer's stage returned: queue the last partial block,
 * or move a never-started reply's bytes into whole. */
sl__stream_end sl__stream_finish(sl__stream *st, sl_buf *whole);

#endif
