/*
 * expr.h - the load-time expression engine (expr stage; used by the mapper in load/ and by the
 * protocol adapters that read `columns`, `where`, `delete` and `_http_stream`'s `sql`).
 *
 *   header text --parse--> sl_expr tree --bind(scope)--> typed tree --eval(vectors)--> sl_vec
 *
 * Parsing happens once per load, before any body byte is read, so every syntax error, unknown
 * function or wrong argument count is reported up front (SL_INVALID, message with the 1-based
 * position). Binding resolves column names (case-insensitive) against a scope of source or
 * target columns, infers Doris-like result types and inserts the implicit casts. Evaluation is
 * vectorised: one call computes a whole batch column.
 *
 * Ownership: trees, lists and every slice they hold live in the arena passed to the parser (the
 * request arena); they borrow nothing from the input text. Evaluation results live in the arena
 * passed to sl_expr_eval (the batch arena) or borrow the input vectors.
 *
 * Value semantics (documented choices):
 *  - SQL three-valued logic: NULL AND false = false, NULL OR true = true, NOT NULL = NULL.
 *  - integer overflow (BIGINT/LARGEINT + - * unary -, abs) gives NULL, as do division and
 *    modulo by zero (Doris); decimal results beyond 38 digits give NULL.
 *  - string -> number/date conversions follow the non-strict load casts: bad text gives NULL.
 */
#ifndef SL_EXPR_H
#define SL_EXPR_H

#include "../batch/batch.h"
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/status.h"

/** One column of values for the evaluator. v[i] uses the physical form batch.h gives for
 * type.id; null[i] == 1 marks NULL. An input vector may have null == NULL (no NULLs). */
typedef struct sl_vec {
    sl_type type;
    sl_datum *v;
    uint8_t *null;
} sl_vec;

/** An expression tree (opaque). Allocated in the parser's arena. */
typedef struct sl_expr sl_expr;

/** Per-load evaluation context. now() and friends are constant within a load. */
typedef struct sl_expr_ctx {
    int32_t tz_offset_s;   /* load time zone as an offset east of UTC, when tz is NULL */
    int64_t now_us;        /* the load's "now": microseconds since 1970-01-01 UTC */
    const struct sl_tz *tz;/* the time zone (core/tz.h), or NULL: each instant gets its own
                              offset (daylight-saving time) */
} sl_expr_ctx;

/** Names and types visible to column references (e.g. CSV source columns: SL_STRING). Both
 * arrays are borrowed and have n entries; name lookup is case-insensitive, the first match
 * wins. Column index i of the scope is vector i of sl_expr_eval's cols. */
typedef struct sl_expr_scope {
    const sl_slice *names;
    const sl_type *types;
    size_t n;
} sl_expr_scope;

/** One item of a `columns` header: `name` (expr == NULL: a source column) or `name = expr`. */
typedef struct sl_expr_colitem {
    sl_slice name;         /* without backquotes, as written */
    sl_expr *expr;         /* NULL for a plain source column */
} sl_expr_colitem;

typedef struct sl_expr_columns {
    sl_expr_colitem *items;
    size_t n_items;        /* 0 for an empty or blank header */
} sl_expr_columns;

/** `insert into db.tbl [(cols)] select <items | *> from http_stream(props) [where pred]`. */
typedef struct sl_expr_insert {
    sl_slice db;           /* empty when the table is not qualified */
    sl_slice table;
    sl_slice label;        /* `WITH LABEL x`, else empty */
    sl_slice *cols;        /* target column list; NULL and n_cols == 0 when absent */
    size_t n_cols;
    bool star;             /* `select *`: items is empty */
    sl_expr **items;       /* select expressions, in order */
    sl_slice *aliases;     /* per item: `AS alias` or empty */
    size_t n_items;
    sl_property *props;    /* http_stream("k"="v", ...): unquoted, unescaped, keys as written */
    size_t n_props;
    sl_expr *where;        /* NULL without WHERE */
} sl_expr_insert;

/** Parse one expression. On success *out is a tree in a (unbound). Returns SL_OK, SL_INVALID
 * with "syntax error at position N near 'tok'" / "unknown function f" / "expression too deeply
 * nested" in err, or SL_NOMEM. */
sl_code sl_expr_parse(sl_slice text, sl_arena_t *a, sl_expr **out, sl_err *err);

/** Parse a `columns` header: comma-separated `name` or `name = expr` items. A blank header gives
 * zero items. Same errors as sl_expr_parse. */
sl_code sl_expr_parse_columns(sl_slice text, sl_arena_t *a, sl_expr_columns *out, sl_err *err);

/** Parse an `_http_stream` `sql` header (see sl_expr_insert); a trailing `;` is allowed. The
 * source must be the http_stream table function. Same errors as sl_expr_parse. */
sl_code sl_expr_parse_insert(sl_slice text, sl_arena_t *a, sl_expr_insert *out, sl_err *err);

/** Append the canonical text of e (fully parenthesised; parses back to an equal tree) to b.
 * Implicit casts added by the binder are not printed. Check b->oom afterwards. */
void sl_expr_print(const sl_expr *e, sl_buf *b);

/** Resolve column references of e against scope, check argument types and infer types. The
 * tree is changed in place (implicit casts are allocated in a, which should be the parser's
 * arena). A tree may be bound once. Returns SL_OK, SL_INVALID ("unknown column 'x'", "cannot
 * use date_add on boolean", ...) or SL_NOMEM. */
sl_code sl_expr_bind(sl_expr *e, const sl_expr_scope *scope, sl_arena_t *a, sl_err *err);

/** The result type of a bound tree. An untyped NULL literal reports SL_BOOLEAN. */
sl_type sl_expr_type(const sl_expr *e);

/** Mark used[i] = 1 for every scope column a bound tree reads (used has the scope's n
 * entries; others are left as they are). */
void sl_expr_uses(const sl_expr *e, uint8_t *used, size_t n);

/** True when e is a bare column reference; then *name (if given) is its name. */
bool sl_expr_is_column(const sl_expr *e, sl_slice *name);

/** Evaluate a bound tree over n rows. cols holds one vector per scope column. sel (optional,
 * n bytes) selects rows: rows with sel[i] == 0 are not computed and come out NULL. *out gets
 * the result: its arrays either borrow an input vector (for a bare column reference; then
 * out->null may be NULL when the input has none) or are allocated in a, as is any new text;
 * all stay valid until a is reset. Errors: SL_NOMEM. */
sl_code sl_expr_eval(const sl_expr *e, const sl_vec *cols, size_t n, const uint8_t *sel,
                     const sl_expr_ctx *ctx, sl_arena_t *a, sl_vec *out, sl_err *err);

/** Evaluate a bound predicate and write keep[i] = 1 where it is TRUE, 0 where it is FALSE or
 * NULL (the `where` / `delete` rule). Non-boolean results count as true when non-zero.
 * Temporaries go to a. Errors: SL_NOMEM. */
sl_code sl_expr_filter(const sl_expr *pred, const sl_vec *cols, size_t n, const uint8_t *sel,
                       const sl_expr_ctx *ctx, sl_arena_t *a, uint8_t *keep, sl_err *err);

#endif
