/*
 * json_internal.h - shared inside the JSON decoder only (decode stage).
 *
 * The JSON decoder is three files:
 *   json_scan.c  the value parser: a cursor over one contiguous buffer that parses, validates,
 *                unescapes and converts values (strings, numbers, literals), skips containers and
 *                turns a row object into named fields. It never sees chunk boundaries: it either
 *                finishes, fails with a rapidjson error code, or says "incomplete".
 *   json_path.c  the JSONPath subset ($, $.a.b, $.a[0], $["a b"]) used by jsonpaths/json_root.
 *   json.c       the streaming driver: splits the body into records (lines, documents, elements
 *                of a stripped outer array), carries records that straddle a chunk, emits rows.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_DECODE_JSON_INTERNAL_H
#define SL_DECODE_JSON_INTERNAL_H

#include "../core/arena.h"
#include "decoder.h"

/* Error codes of the cursor. 1..17 are rapidjson's ParseErrorCode values, so that the reason
 * text matches Doris ("Parse json data for JsonDoc failed. code: <n>, error info: <text>"). */
enum {
    SL__JSON_NOMEM = -2,      /* the scratch arena could not allocate */
    SL__JSON_INCOMPLETE = -1, /* the buffer ended inside a value and more input may follow */
    SL__JSON_OK = 0,
    SL__JSON_EMPTY = 1,         /* The document is empty. */
    SL__JSON_NOT_SINGULAR = 2,  /* The document root must not be followed by other values. */
    SL__JSON_BAD_VALUE = 3,     /* Invalid value. */
    SL__JSON_MISS_NAME = 4,     /* Missing a name for object member. */
    SL__JSON_MISS_COLON = 5,    /* Missing a colon after a name of object member. */
    SL__JSON_MISS_OBJ_END = 6,  /* Missing a comma or '}' after an object member. */
    SL__JSON_MISS_ARR_END = 7,  /* Missing a comma or ']' after an array element. */
    SL__JSON_BAD_HEX = 8,       /* Incorrect hex digit after \u escape in string. */
    SL__JSON_BAD_SURROGATE = 9, /* The surrogate pair in string is invalid. */
    SL__JSON_BAD_ESCAPE = 10,   /* Invalid escape character in string. */
    SL__JSON_MISS_QUOTE = 11,   /* Missing a closing quotation mark in string. */
    SL__JSON_BAD_ENCODING = 12, /* Invalid encoding in string. */
    SL__JSON_NUM_TOO_BIG = 13,  /* Number too big to be stored in double. */
    SL__JSON_MISS_FRAC = 14,    /* Miss fraction part in number. */
    SL__JSON_MISS_EXP = 15,     /* Miss exponent in number. */
    SL__JSON_TOO_DEEP = 17      /* Unspecific syntax error. (nesting deeper than we track) */
};

/* Deepest nesting the parser tracks; deeper documents are rejected. rapidjson has no limit, but
 * a fixed bit stack keeps the parser allocation-free; 4096 levels is far beyond real data and
 * past JSONTestSuite's 500-level case. */
#define SL__JSON_MAX_DEPTH 4096

/* A parsing position in one contiguous buffer. */
typedef struct sl__json_cur {
    const char *p;       /* next byte */
    const char *end;     /* end of the bytes available */
    bool final;          /* end is the end of the value's input (else: incomplete there) */
    bool num_as_string;  /* numbers are emitted as written */
    int err;             /* SL__JSON_OK or one of the codes above */
    sl_arena_t *scratch; /* unescaped strings and reformatted numbers */
} sl__json_cur;

static inline void sl__json_ws(sl__json_cur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t'))
        c->p++;
}

/* Parse any value at c->p and advance past it. *out (may be NULL) receives the decoder's text of
 * it: strings unescaped, numbers as written or reformatted through double, true/false as words,
 * null as SL_SLICE_NULL, objects/arrays as their raw JSON text. The slice points into the buffer
 * or into c->scratch. Returns false with c->err set on error or incompleteness. */
bool sl__json_value(sl__json_cur *c, sl_slice *out);

/* Validate and skip any value at c->p without producing output (containers iteratively, up to
 * SL__JSON_MAX_DEPTH). Returns false with c->err set. */
bool sl__json_skip(sl__json_cur *c);

/* Parse a string at c->p (which must be '"'); *out (may be NULL) gets the unescaped bytes. */
bool sl__json_string(sl__json_cur *c, sl_slice *out);

/* Parse the object at c->p (which must be '{') and append one named field per member to rb, in
 * document order (duplicates kept). Returns false with c->err set; fields already appended stay
 * pending in rb (the caller drops them with sl_rawbatch_error or by resetting rb->n_fields).
 * This is the general path: every token through the functions above. */
bool sl__json_row(sl__json_cur *c, sl_rawbatch *rb);

/* The key dictionary of one decoder: distinct member names get small ids (the mapper resolves
 * an id to a column once), and the previous row's key order predicts the next row's, so that a
 * key is recognised with one memcmp. Bounded: at most SL__JSON_MAX_KEYS names of at most
 * SL__JSON_MAX_KEY_LEN bytes; other keys get SL_KEY_NONE (the mapper looks those up by name). */
#define SL__JSON_MAX_KEYS SL_RAWBATCH_MAX_IDS
#define SL__JSON_MAX_KEY_LEN 256
#define SL__JSON_MAX_ORDER 1024 /* members per row whose key is predicted */

typedef struct sl__json_keys {
    sl_slice name[SL__JSON_MAX_KEYS]; /* unescaped, copied into arena, followed by a '"' */
    bool raw[SL__JSON_MAX_KEYS];      /* the name has no escapes: its text in the input is itself */
    uint16_t table[2 * SL__JSON_MAX_KEYS]; /* open addressing: id + 1, 0 = empty */
    uint32_t order[SL__JSON_MAX_ORDER];    /* the previous row's key ids by member position */
    uint32_t n, n_order;
    uint64_t gen;                          /* rb->ids_gen of these ids */
    sl_arena_t *arena;                     /* lives as long as the decoder */
} sl__json_keys;

/* Prepare an empty dictionary whose names live in arena (which must outlive it). */
void sl__json_keys_init(sl__json_keys *k, sl_arena_t *arena);

/* The id of name (raw: it was written without escapes), adding it when new; SL_KEY_NONE when
 * the dictionary is full or the name too long, or on out-of-memory. */
uint32_t sl__json_key_id(sl__json_keys *k, sl_slice name, bool raw);

/* The fast path of sl__json_row: the same fields, errors and final c->p for every input, plus
 * key ids in rb->ids (rb must be set up with sl_rawbatch_keyed). Known keys are matched against
 * the predicted order; strings without escapes and numbers are parsed inline; everything else
 * goes through the general functions. */
bool sl__json_row_keyed(sl__json_cur *c, sl__json_keys *k, sl_rawbatch *rb);

/* The string scanners behind sl__json_string (exported for the unit tests, which check them
 * against each other): first byte in [p, end) that is '"', '\\' or below 0x20, or end. */
const char *sl__json_scan_scalar(const char *p, const char *end);
const char *sl__json_scan_swar(const char *p, const char *end);
const char *sl__json_scan_simd(const char *p, const char *end); /* SSE2/NEON, else SWAR */

/* Validate that p[0..n) is exactly one JSON document (RFC 8259, surrounding whitespace allowed).
 * Returns SL__JSON_OK or the rapidjson error code. Allocates nothing. */
int sl__json_validate(const char *p, size_t n);

/* The static Doris reason text for a parse error code:
 * "Parse json data for JsonDoc failed. code: <n>, error info: <rapidjson text>". */
const char *sl__json_error_text(int code);

/* One step of a JSONPath: a member name, or an array index when index >= 0. */
typedef struct sl__json_step {
    sl_slice key;
    int64_t index;
} sl__json_step;

typedef struct sl__json_path {
    sl__json_step *steps; /* in the arena given to the parser */
    size_t n_steps;       /* 0: the whole value ("$" or "$.") */
} sl__json_path;

/* Parse one JSONPath text (e.g. `$.a[0]["b c"]`) into *out, allocating steps in a. Returns SL_OK,
 * SL_INVALID (unsupported syntax) or SL_NOMEM. */
sl_code sl__json_path_parse(sl_slice text, sl_arena_t *a, sl__json_path *out);

/* Parse the jsonpaths option (a JSON array of JSONPath strings) into *paths / *n_paths in a.
 * Returns SL_OK, SL_INVALID or SL_NOMEM. */
sl_code sl__json_paths_parse(sl_slice text, sl_arena_t *a, sl__json_path **paths, size_t *n_paths);

/* Find path inside the valid JSON value p[0..n). On success *raw is the raw text of the found
 * value (a sub-slice of p) and the result is true; false when the path does not exist. Keys with
 * escapes are unescaped into scratch; the first member of a duplicated key wins (rapidjson). */
bool sl__json_path_find(const char *p, size_t n, const sl__json_path *path, sl_arena_t *scratch,
                        sl_slice *raw);

#endif
