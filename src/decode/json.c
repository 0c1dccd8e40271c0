/*
 * json.c - the streaming JSON decoder (stage 2 of the load pipeline), Doris Stream Load dialect.
 *
 * http/load.c pushes body chunks of any size; rows go to the raw batch:
 *
 *   chunk --> record splitter --(record inside the chunk)--> value parser (json_scan.c) --> rows
 *                  |                                              ^
 *                  +--(record straddles the chunk end)--> carry --+  (complete record, final)
 *
 * Records are: with read_json_by_line, each line (split by line_delim); otherwise each top-level
 * JSON value of the body (a stream of values, usually one), and with strip_outer_array (and no
 * json_root) each element of a top-level array, streamed one by one so that a 5 GB array decodes
 * in the memory of one element plus a chunk. A record that lies inside the chunk is parsed in
 * place (slices point into the chunk); only a record cut by the chunk end is copied into a carry
 * buffer, whose end is found by a small resumable scanner (depth / in-string / escape), and then
 * parsed once. Two carry buffers alternate so that rows from a carried record stay valid while
 * the next partial record is copied.
 *
 * Rows: simple mode -> one named field per member of the row object, with a key id from the
 * decoder's key dictionary (json_scan.c); jsonpaths mode -> one
 * positional field per path (SL_SLICE_NULL when missing). Malformed JSON -> an error row with
 * rapidjson's code and text, as Doris reports it. In a stream without line structure recovery is
 * impossible, so the decoder stops there (later input is ignored); by-line mode goes on with the
 * next line. fuzzy_parse is accepted and ignored: it is a Doris speed hint that does not change
 * results for well-formed input, and this parser needs no such hint.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <stdatomic.h>
#include <string.h>

#include "../core/mem.h"
#include "json_internal.h"

#define TEXT_ARRAY "JSON data is array-object, `strip_outer_array` must be TRUE."
#define TEXT_NOT_ARRAY "JSON data is not an array-object, `strip_outer_array` must be FALSE."
#define TEXT_NOT_OBJECT "Expect json object value"
#define TEXT_NO_ROOT "JSON Root not found."
#define TEXT_NO_MATCH "All fields is null or not matched, this is a invalid row."

/* Default bound of one record (line, document or element): Doris's 100 MB JSON body limit is
 * per document; 64 MiB keeps the carry well inside the 128 MB RSS target. */
#define DEFAULT_MAX_RECORD ((size_t)64 << 20)

enum { ST_TOP, ST_ARR_FIRST, ST_ARR_ELEM, ST_ARR_NEXT, ST_DEAD }; /* stream states */
enum { K_DOC, K_ELEM };                                           /* what a record is */
enum { R_OK, R_INCOMPLETE, R_DEAD, R_NOMEM };                     /* record results */
enum { SC_CONTAINER, SC_STRING, SC_SCALAR };                      /* carried record shapes */

struct carry {
    char *p;
    size_t len, cap;
};

struct json_state {
    sl_err *err;
    bool strip, by_line, num_as_string;
    char delim[64];
    size_t delim_len;
    size_t max_record;
    sl_arena_t conf;      /* compiled paths: lives until close */
    sl_arena_t scratch;   /* unescaped strings, numbers: reset at each push */
    sl__json_path *paths; /* jsonpaths mode when n_paths > 0 */
    size_t n_paths;
    sl__json_path root; /* json_root when has_root */
    bool has_root;
    sl__json_keys *keys; /* simple mode: the key dictionary (in conf), else NULL */
    struct carry buf[2]; /* the partial record, alternating (see the file comment) */
    int cur;             /* buf[cur] holds the partial record */
    bool carrying;
    int rec_kind;      /* K_DOC / K_ELEM of the carried record */
    int sc_shape;      /* SC_* of the carried record */
    uint64_t sc_depth; /* open containers in the carried record */
    bool sc_in_str, sc_esc;
    int state;       /* ST_* (stream mode) */
    bool got_bytes;  /* the body is not empty (an empty body is an empty load) */
    bool got_value;  /* a non-blank byte was seen */
    uint64_t rec_no; /* records so far (stream) or lines so far (by-line) */
};

static bool is_term(char ch)
{
    switch (ch) {
    case ' ':
    case '\t':
    case '\n':
    case '\r':
    case '{':
    case '}':
    case '[':
    case ']':
    case ',':
    case ':':
    case '"':
        return true;
    default:
        return false;
    }
}

static int put_error(sl_rawbatch *rb, sl_slice src, uint64_t line, const char *reason)
{
    return sl_rawbatch_error(rb, src, line, reason) == SL_OK ? R_OK : R_NOMEM;
}

static sl__json_cur cursor(struct json_state *st, const char *p, const char *end, bool final)
{
    return (sl__json_cur){p, end, final, st->num_as_string, SL__JSON_OK, &st->scratch};
}

/* One row from a complete, validated value. */
static int handle_row(struct json_state *st, sl_slice raw, sl_slice src, uint64_t line,
                      sl_rawbatch *rb)
{
    if (st->n_paths == 0) {
        if (raw.p[0] != '{')
            return put_error(rb, src, line, TEXT_NOT_OBJECT);
        sl__json_cur c = cursor(st, raw.p, raw.p + raw.n, true);
        if (!sl__json_row_keyed(&c, st->keys, rb))
            return c.err == SL__JSON_NOMEM ? R_NOMEM
                                           : put_error(rb, src, line, sl__json_error_text(c.err));
    } else {
        bool any = false;
        for (size_t i = 0; i < st->n_paths; i++) {
            sl_slice v = SL_SLICE_NULL, found;
            if (sl__json_path_find(raw.p, raw.n, &st->paths[i], &st->scratch, &found)) {
                sl__json_cur c = cursor(st, found.p, found.p + found.n, true);
                if (!sl__json_value(&c, &v))
                    return c.err == SL__JSON_NOMEM
                               ? R_NOMEM
                               : put_error(rb, src, line, sl__json_error_text(c.err));
                any = true;
            }
            if (sl_rawbatch_field(rb, v) != SL_OK)
                return R_NOMEM;
        }
        if (!any)
            return put_error(rb, src, line, TEXT_NO_MATCH);
    }
    return sl_rawbatch_row(rb, src, line) == SL_OK ? R_OK : R_NOMEM;
}

/* A complete, validated document: apply json_root, then strip_outer_array. */
static int handle_doc(struct json_state *st, sl_slice raw, sl_slice src, uint64_t line,
                      sl_rawbatch *rb)
{
    sl_slice doc = raw;
    if (st->has_root && !sl__json_path_find(raw.p, raw.n, &st->root, &st->scratch, &doc))
        return put_error(rb, src, line, TEXT_NO_ROOT);
    bool arr = doc.p[0] == '[';
    if (arr != st->strip)
        return put_error(rb, src, line, arr ? TEXT_ARRAY : TEXT_NOT_ARRAY);
    if (!arr)
        return handle_row(st, doc, src, line, rb);
    sl__json_cur c = cursor(st, doc.p + 1, doc.p + doc.n, true);
    sl__json_ws(&c);
    while (c.p < c.end && *c.p != ']') {
        const char *start = c.p;
        if (!sl__json_skip(&c))
            return R_NOMEM; /* cannot happen: the document was validated */
        sl_slice elem = {start, (size_t)(c.p - start)};
        int r = handle_row(st, elem, elem, line, rb);
        if (r != R_OK)
            return r;
        sl__json_ws(&c);
        if (c.p < c.end && *c.p == ',')
            c.p++;
        sl__json_ws(&c);
    }
    return R_OK;
}

/* A parse error: an error row for the record that starts at p; the stream cannot go on. */
static int parse_error(sl_rawbatch *rb, const char *p, const sl__json_cur *c, uint64_t line,
                       int code)
{
    const char *e = c->p < c->end ? c->p + 1 : c->end;
    if (e < p)
        e = p;
    int r = put_error(rb, (sl_slice){p, (size_t)(e - p)}, line, sl__json_error_text(code));
    return r == R_OK ? R_DEAD : r;
}

/* One record of a stream at p (its first byte) in [p, end). *used: its length on R_OK. */
static int record(struct json_state *st, const char *p, const char *end, bool final, int kind,
                  sl_rawbatch *rb, size_t *used)
{
    sl__json_cur c = cursor(st, p, end, final);
    size_t mark = rb->n_fields;
    uint64_t line = st->rec_no;
    bool ok;
    if (*p != '{' && *p != '[' && *p != '"') {
        /* A scalar has no closing byte: its extent is fixed first, so that a split chunk and a
         * whole one see the same token. */
        const char *x = p;
        while (x < end && !is_term(*x))
            x++;
        if (x == end && !final)
            return R_INCOMPLETE;
        c.end = x;
        c.final = true;
        if (!sl__json_value(&c, NULL))
            return c.err == SL__JSON_NOMEM ? R_NOMEM : parse_error(rb, p, &c, line, c.err);
        if (c.p != x)
            return parse_error(rb, p, &c, line,
                               kind == K_DOC ? SL__JSON_NOT_SINGULAR : SL__JSON_MISS_ARR_END);
        ok = true;
    } else if (*p == '{' && st->n_paths == 0 && !st->has_root && !(kind == K_DOC && st->strip)) {
        /* The fast path: parse the row object straight into fields, in place. */
        ok = sl__json_row_keyed(&c, st->keys, rb);
        if (ok) {
            *used = (size_t)(c.p - p);
            return sl_rawbatch_row(rb, (sl_slice){p, *used}, line) == SL_OK ? R_OK : R_NOMEM;
        }
    } else {
        ok = sl__json_skip(&c);
    }
    if (!ok) {
        if (c.err == SL__JSON_INCOMPLETE) {
            rb->n_fields = mark;
            return R_INCOMPLETE;
        }
        return c.err == SL__JSON_NOMEM ? R_NOMEM : parse_error(rb, p, &c, line, c.err);
    }
    *used = (size_t)(c.p - p);
    sl_slice raw = {p, *used};
    return kind == K_DOC ? handle_doc(st, raw, raw, line, rb) : handle_row(st, raw, raw, line, rb);
}

/* ---- the carry ---- */

static sl_code carry_append(struct json_state *st, const char *p, size_t n)
{
    struct carry *b = &st->buf[st->cur];
    if (b->len + n > st->max_record)
        return sl_fail(st->err, SL_TOO_LARGE, "json record longer than %zu bytes", st->max_record);
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        char *np = sl_realloc(b->p, cap);
        if (np == NULL)
            return sl_fail(st->err, SL_NOMEM, "cannot grow json carry buffer");
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return SL_OK;
}

/* Resumable scan of a carried stream record: how many of p[0..n) belong to it; *done when its
 * end is among them. Byte-level state machine over sc_shape / sc_depth / sc_in_str / sc_esc. */
static size_t carry_scan(struct json_state *st, const char *p, size_t n, bool *done)
{
    size_t i = 0;
    *done = false;
    if (st->buf[st->cur].len == 0 && n > 0) {
        st->sc_shape = p[0] == '"'                    ? SC_STRING
                       : (p[0] == '{' || p[0] == '[') ? SC_CONTAINER
                                                      : SC_SCALAR;
        st->sc_depth = st->sc_shape == SC_CONTAINER;
        st->sc_in_str = st->sc_shape == SC_STRING;
        st->sc_esc = false;
        i = st->sc_shape == SC_SCALAR ? 0 : 1;
    }
    if (st->sc_shape == SC_SCALAR) {
        while (i < n && !is_term(p[i]))
            i++;
        *done = i < n;
        return i;
    }
    for (; i < n; i++) {
        char ch = p[i];
        if (st->sc_in_str) {
            if (st->sc_esc)
                st->sc_esc = false;
            else if (ch == '\\')
                st->sc_esc = true;
            else if (ch == '"' && (st->sc_in_str = false, st->sc_shape == SC_STRING))
                return *done = true, i + 1;
        } else if (ch == '"') {
            st->sc_in_str = true;
        } else if (ch == '{' || ch == '[') {
            st->sc_depth++;
        } else if ((ch == '}' || ch == ']') && --st->sc_depth == 0) {
            return *done = true, i + 1;
        }
    }
    return n;
}

static sl_code fatal(struct json_state *st, int r)
{
    (void)SL_ALWAYS(r == R_NOMEM);
    return sl_fail(st->err, SL_NOMEM, "cannot grow json raw batch");
}

/* Parse the complete carried record (final) and move the stream state on. */
static sl_code carry_finish(struct json_state *st, sl_rawbatch *rb)
{
    struct carry *b = &st->buf[st->cur];
    size_t used = 0;
    st->carrying = false;
    st->cur ^= 1;
    st->buf[st->cur].len = 0;
    st->rec_no++;
    int r = record(st, b->p, b->p + b->len, true, st->rec_kind, rb, &used);
    if (r == R_OK)
        st->state = st->rec_kind == K_ELEM ? ST_ARR_NEXT : ST_TOP;
    else if (r == R_DEAD)
        st->state = ST_DEAD;
    else
        return fatal(st, r);
    return SL_OK;
}

/* Feed p[0..n) to the carried record; *used bytes were taken. */
static sl_code carry_feed(struct json_state *st, const char *p, size_t n, size_t *used,
                          sl_rawbatch *rb)
{
    bool done;
    *used = carry_scan(st, p, n, &done);
    sl_code rc = carry_append(st, p, *used);
    if (rc != SL_OK || !done)
        return rc;
    return carry_finish(st, rb);
}

/* ---- stream mode ---- */

static sl_code stream_run(struct json_state *st, const char *p, const char *e, sl_rawbatch *rb)
{
    for (;;) {
        while (p < e && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
            p++;
        if (p == e || st->state == ST_DEAD)
            return SL_AGAIN;
        st->got_value = true;
        int kind = K_ELEM;
        if (st->state == ST_TOP) {
            if (*p == '[' && st->strip && !st->has_root) {
                p++;
                st->state = ST_ARR_FIRST;
                continue;
            }
            kind = K_DOC;
        } else if (st->state == ST_ARR_NEXT || (st->state == ST_ARR_FIRST && *p == ']')) {
            if (*p == ',' && st->state == ST_ARR_NEXT) {
                st->state = ST_ARR_ELEM;
                p++;
                continue;
            }
            if (*p == ']') {
                st->state = ST_TOP;
                p++;
                continue;
            }
            sl__json_cur c = cursor(st, p, e, false);
            st->state = ST_DEAD;
            return parse_error(rb, p, &c, st->rec_no + 1, SL__JSON_MISS_ARR_END) == R_NOMEM
                       ? fatal(st, R_NOMEM)
                       : SL_AGAIN;
        }
        size_t used = 0;
        st->rec_no++;
        int r = record(st, p, e, false, kind, rb, &used);
        if (r == R_INCOMPLETE) {
            st->rec_no--;
            st->carrying = true;
            st->rec_kind = kind;
            sl_code rc = carry_feed(st, p, (size_t)(e - p), &used, rb);
            if (rc != SL_OK)
                return rc;
            p += used;
            continue;
        }
        if (r == R_DEAD) {
            st->state = ST_DEAD;
            return SL_AGAIN;
        }
        if (r != R_OK)
            return fatal(st, r);
        p += used;
        st->state = kind == K_ELEM ? ST_ARR_NEXT : ST_TOP;
    }
}

static sl_code stream_finish(struct json_state *st, sl_rawbatch *rb)
{
    if (st->carrying && st->state != ST_DEAD) {
        sl_code rc = carry_finish(st, rb);
        if (rc != SL_OK)
            return rc;
    }
    if (st->state == ST_TOP && !st->got_value && st->got_bytes) {
        /* whitespace only: rapidjson's "document is empty" (a 0-byte body loads nothing) */
        st->state = ST_DEAD;
        if (put_error(rb, SL_LIT(""), 1, sl__json_error_text(SL__JSON_EMPTY)) != R_OK)
            return fatal(st, R_NOMEM);
    }
    if (st->state == ST_ARR_FIRST || st->state == ST_ARR_ELEM || st->state == ST_ARR_NEXT) {
        int code = st->state == ST_ARR_NEXT ? SL__JSON_MISS_ARR_END : SL__JSON_BAD_VALUE;
        st->state = ST_DEAD;
        if (put_error(rb, SL_LIT(""), st->rec_no + 1, sl__json_error_text(code)) != R_OK)
            return fatal(st, R_NOMEM);
    }
    return SL_OK;
}

/* ---- by-line mode ---- */

/* One line: a JSON document (object = row; array with strip_outer_array = rows). */
static sl_code line_record(struct json_state *st, const char *p, size_t n, sl_rawbatch *rb)
{
    uint64_t line = ++st->rec_no;
    sl_slice src = {p, n};
    sl__json_cur c = cursor(st, p, p + n, true);
    sl__json_ws(&c);
    if (c.p == c.end)
        return SL_OK; /* blank lines are skipped, as Doris's line reader does */
    const char *start = c.p;
    bool fast = *start == '{' && st->n_paths == 0 && !st->has_root && !st->strip;
    bool ok = fast ? sl__json_row_keyed(&c, st->keys, rb) : sl__json_skip(&c);
    const char *vend = c.p;
    if (ok) {
        sl__json_ws(&c);
        if (c.p != c.end)
            ok = false, c.err = SL__JSON_NOT_SINGULAR;
    }
    int r;
    if (!ok)
        r = c.err == SL__JSON_NOMEM ? R_NOMEM
                                    : put_error(rb, src, line, sl__json_error_text(c.err));
    else if (fast)
        r = sl_rawbatch_row(rb, src, line) == SL_OK ? R_OK : R_NOMEM;
    else
        r = handle_doc(st, (sl_slice){start, (size_t)(vend - start)}, src, line, rb);
    return r == R_OK ? SL_OK : fatal(st, r);
}

static const char *find_delim(const struct json_state *st, const char *p, size_t n)
{
    if (st->delim_len == 1)
        return memchr(p, st->delim[0], n);
    return memmem(p, n, st->delim, st->delim_len);
}

/* The carried partial line meets p[0..n): complete it if the delimiter arrives (also one that
 * starts in the carry and ends in p). *used: bytes of p consumed. */
static sl_code line_carry(struct json_state *st, const char *p, size_t n, size_t *used,
                          sl_rawbatch *rb)
{
    struct carry *b = &st->buf[st->cur];
    size_t dl = st->delim_len, keep = SIZE_MAX;
    for (size_t k = dl - 1; k >= 1 && keep == SIZE_MAX; k--)
        if (k <= b->len && dl - k <= n && memcmp(b->p + b->len - k, st->delim, k) == 0 &&
            memcmp(p, st->delim + k, dl - k) == 0)
            keep = b->len - k, *used = dl - k;
    if (keep == SIZE_MAX) {
        const char *q = find_delim(st, p, n);
        size_t take = q ? (size_t)(q - p) : n;
        sl_code rc = carry_append(st, p, take);
        if (rc != SL_OK || q == NULL) {
            *used = n;
            return rc;
        }
        keep = b->len;
        *used = take + dl;
    }
    st->carrying = false;
    st->cur ^= 1;
    st->buf[st->cur].len = 0;
    return line_record(st, b->p, keep, rb);
}

static sl_code lines_run(struct json_state *st, const char *p, size_t n, sl_rawbatch *rb)
{
    size_t pos = 0;
    if (st->carrying) {
        sl_code rc = line_carry(st, p, n, &pos, rb);
        if (rc != SL_OK || st->carrying)
            return rc == SL_OK ? SL_AGAIN : rc;
    }
    while (pos < n) {
        const char *q = find_delim(st, p + pos, n - pos);
        if (q == NULL) {
            st->carrying = true;
            sl_code rc = carry_append(st, p + pos, n - pos);
            return rc == SL_OK ? SL_AGAIN : rc;
        }
        sl_code rc = line_record(st, p + pos, (size_t)(q - (p + pos)), rb);
        if (rc != SL_OK)
            return rc;
        pos = (size_t)(q - p) + st->delim_len;
    }
    return SL_AGAIN;
}

/* ---- the vtab ---- */

static sl_code json_open(void *vst, const sl_decode_opts *o, sl_err *err)
{
    struct json_state *st = vst;
    memset(st, 0, sizeof *st);
    st->err = err;
    st->strip = o->strip_outer_array;
    st->by_line = o->read_json_by_line;
    st->num_as_string = o->num_as_string;
    st->delim_len = o->line_delim_len ? o->line_delim_len : 1;
    memcpy(st->delim, o->line_delim_len ? o->line_delim : "\n", st->delim_len);
    st->max_record = o->max_record_bytes ? o->max_record_bytes : DEFAULT_MAX_RECORD;
    sl_arena_init(&st->conf, 4096);
    sl_arena_init(&st->scratch, 64 * 1024);
    sl_slice jp = sl_slice_trim(o->jsonpaths), jr = sl_slice_trim(o->json_root);
    if (jp.p && jp.n) {
        sl_code rc = sl__json_paths_parse(jp, &st->conf, &st->paths, &st->n_paths);
        if (rc != SL_OK)
            return sl_fail(err, rc, "Invalid json path: %.*s", (int)jp.n, jp.p);
    }
    if (jr.p && jr.n) {
        sl_code rc = sl__json_path_parse(jr, &st->conf, &st->root);
        if (rc != SL_OK)
            return sl_fail(err, rc, "Invalid json root: %.*s", (int)jr.n, jr.p);
        st->has_root = st->root.n_steps > 0;
    }
    if (st->n_paths == 0) {
        static _Atomic uint64_t gens;
        st->keys = sl_arena_alloc(&st->conf, sizeof *st->keys);
        if (st->keys == NULL)
            return sl_fail(err, SL_NOMEM, "cannot allocate json key dictionary");
        sl__json_keys_init(st->keys, &st->conf);
        st->keys->gen = atomic_fetch_add(&gens, 1) + 1;
    }
    return SL_OK;
}

/* Simple mode: rows carry key ids (see sl__json_row_keyed). */
static sl_code keyed(struct json_state *st, sl_rawbatch *rb)
{
    if (st->keys == NULL || sl_rawbatch_keyed(rb, st->keys->gen) == SL_OK)
        return SL_OK;
    return sl_fail(st->err, SL_NOMEM, "cannot grow json raw batch");
}

static sl_code json_push(void *vst, const char *p, size_t n, sl_rawbatch *out)
{
    struct json_state *st = vst;
    sl_arena_reset(&st->scratch);
    if (keyed(st, out) != SL_OK)
        return SL_NOMEM;
    if (st->by_line)
        return lines_run(st, p, n, out);
    if (st->state == ST_DEAD)
        return SL_AGAIN;
    st->got_bytes |= n > 0;
    if (st->carrying) {
        size_t used;
        sl_code rc = carry_feed(st, p, n, &used, out);
        if (rc != SL_OK || st->carrying)
            return rc == SL_OK ? SL_AGAIN : rc;
        p += used;
        n -= used;
    }
    return stream_run(st, p, p + n, out);
}

static sl_code json_finish(void *vst, sl_rawbatch *out)
{
    struct json_state *st = vst;
    sl_arena_reset(&st->scratch);
    if (keyed(st, out) != SL_OK)
        return SL_NOMEM;
    if (!st->by_line)
        return stream_finish(st, out);
    if (!st->carrying)
        return SL_OK;
    struct carry *b = &st->buf[st->cur];
    st->carrying = false;
    return line_record(st, b->p, b->len, out);
}

static void json_close(void *vst)
{
    struct json_state *st = vst;
    sl_free(st->buf[0].p);
    sl_free(st->buf[1].p);
    st->buf[0] = st->buf[1] = (struct carry){NULL, 0, 0};
    sl_arena_free(&st->scratch);
    sl_arena_free(&st->conf);
}

const sl_decoder_vtab sl_decoder_json = {
    "json", sizeof(struct json_state), json_open, json_push, json_finish, json_close};
