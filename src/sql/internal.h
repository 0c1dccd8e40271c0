/*
 * internal.h - tokens and parser state shared by lex.c, parse.c and select.c (sql stage only).
 *
 *   statement text --lex.c--> token array --parse.c--> sl_stmt (DDL, SHOW, DESC, INSERT)
 *                                         \--select.c--> sl_select (expressions by src/expr/)
 *
 * The whole statement is tokenised up front into one array in the caller's arena (the array
 * ends with an EOF token), so that the parsers can look ahead freely and SELECT's refusals can
 * be checked over every token first. Nothing here recurses: nesting is tracked with counters
 * (the expression parser caps its own depth).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_SQL_INTERNAL_H
#define SL_SQL_INTERNAL_H

#include "../core/arena.h"
#include "../core/slice.h"
#include "../core/status.h"
#include "sql.h"

/* Deepest parenthesis nesting accepted anywhere; deeper input is refused with an error rather
 * than risking unbounded work or, in a future recursive evaluator, the stack. */
#define SL__SQL_MAX_DEPTH 64

typedef enum sl__tok_kind {
    SL__TK_EOF,
    SL__TK_WORD,   /* keyword or unquoted identifier */
    SL__TK_QIDENT, /* `backquoted identifier` */
    SL__TK_STRING, /* '...' or "..." with MySQL backslash escapes */
    SL__TK_NUMBER, /* 12, 1.5, .5, 1e-3, 0x1f */
    SL__TK_OP      /* punctuation and operators: ( ) , ; . = <> <= >= != <=> && || ... */
} sl__tok_kind;

typedef struct sl__tok {
    uint8_t kind;      /* sl__tok_kind */
    bool escaped;      /* STRING/QIDENT: the value differs from the bytes between the quotes */
    uint32_t line;     /* 1-based */
    uint32_t col;      /* 1-based, in bytes */
    size_t off, len;   /* raw bytes text[off, off + len), quotes included */
} sl__tok;

typedef struct sl__parser {
    const char *text;  /* the statement, borrowed for the duration of the parse */
    size_t n;
    sl__tok *toks;     /* n_toks entries in the arena; the last one is SL__TK_EOF */
    size_t n_toks;
    size_t pos;        /* the current token */
    sl_arena_t *a;     /* receives every result */
    sl_err *err;
} sl__parser;

/* Tokenise P->text[0, P->n) into P->toks (allocated in P->a). Returns SL_OK, SL_NOMEM, or
 * SL_INVALID_SQL for an unterminated string, identifier or comment or a stray byte. */
sl_code sl__sql_lex(sl__parser *P);

/* The token k places after the current one; the EOF token once past the end. */
const sl__tok *sl__sql_peek(const sl__parser *P, size_t k);

/* The current token; advances unless it is EOF. */
const sl__tok *sl__sql_next(sl__parser *P);

/* The raw bytes of t (quotes included), borrowed from the statement text. */
sl_slice sl__sql_raw(const sl__parser *P, const sl__tok *t);

/* True when t is the unquoted word kw (compared case-insensitively; kw is upper case). */
bool sl__sql_is_kw(const sl__parser *P, const sl__tok *t, const char *kw);

/* True when t is the operator op exactly. */
bool sl__sql_is_op(const sl__parser *P, const sl__tok *t, const char *op);

/* True for a WORD or a QIDENT token. */
bool sl__sql_is_name(const sl__tok *t);

/* Consume the current token when it is the keyword / operator; tell whether it was. */
bool sl__sql_accept_kw(sl__parser *P, const char *kw);
bool sl__sql_accept_op(sl__parser *P, const char *op);

/* Consume the keyword / operator or fail with a syntax error at the current token. */
sl_code sl__sql_expect_kw(sl__parser *P, const char *kw);
sl_code sl__sql_expect_op(sl__parser *P, const char *op);

/* Record "syntax error at line L, column C near '<token>'" for t and return SL_INVALID_SQL. */
sl_code sl__sql_syntax(sl__parser *P, const sl__tok *t);

/* The value of t copied into the arena: unescaped for STRING and QIDENT (quotes removed), the
 * raw text otherwise. NUL-terminated; out->p is never NULL on success. */
sl_code sl__sql_value(sl__parser *P, const sl__tok *t, sl_slice *out);

/* Consume an identifier (WORD or QIDENT) and return its value in the arena. */
sl_code sl__sql_ident(sl__parser *P, sl_slice *out);

/* Consume [db.]name; db is left empty (p == NULL) when not given. */
sl_code sl__sql_qname(sl__parser *P, sl_slice *db, sl_slice *name);

/* Make room for one more elem-sized item in an arena array of n items and capacity *cap, which
 * grows by doubling (the old block stays in the arena until it is reset). Returns the array to
 * use from now on, or NULL with SL_NOMEM recorded in P->err. */
void *sl__sql_grow(sl__parser *P, void *base, size_t n, size_t *cap, size_t elem);

/* Append item to arr (n items, capacity cap); evaluates to SL_OK or SL_NOMEM. */
#define SL__SQL_PUSH(P, arr, n, cap, item)                                                         \
    (((arr) = sl__sql_grow((P), (arr), (n), &(cap), sizeof *(arr))) == NULL                      \
         ? SL_NOMEM                                                                                \
         : ((arr)[(n)++] = (item), SL_OK))

/* Parse the type at the current token ("varchar", "(", "32", ")") into out. Errors are
 * SL_INVALID_SQL; unknown and unsupported types are named in the message. */
sl_code sl__sql_type(sl__parser *P, sl_type *out);

/* Users, grants, SHOW GRANTS / BACKENDS / FRONTENDS (account.c), after first: "CREATE" or
 * "ALTER" or "DROP" (then USER was consumed), "GRANT", "REVOKE", "SET" (then PASSWORD was
 * consumed) or "SHOW". */
sl_code sl__sql_account(sl__parser *P, const char *first, sl_stmt *out);

/* Read text "PARTITION [IF NOT EXISTS] p VALUES ..." (ALTER TABLE ADD PARTITION) as a partition
 * of t's partitioning into *out (in a). Errors as CREATE TABLE's partitions. */
sl_code sl__sql_partition(sl_slice text, const sl_tabledef *t, sl_arena_t *a, sl_partdef *out,
                          sl_err *err);

/* Parse the SELECT starting at the current token up to EOF into out (select.c). */
sl_code sl__sql_select(sl__parser *P, sl_stmt *out);

#endif
