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
 *
 * SPDX-License-Identifier: Apache-2.0
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

/* ==== statements: the SELECT of the SQL API (src/sql/select*.c) ============================
 *
 * A SELECT's expressions are parsed by the same parser (one clause expression at a time,
 * inside the statement text), bound by the same binder and, where a store engine evaluates a
 * part of a query itself, evaluated by the same evaluator, so a function gives the same answer
 * in a load and in a query. Store engines walk bound trees through the read-only accessors
 * below to render them in their own SQL dialect. */

/** Kinds of tree nodes (sl_expr_kind). */
typedef enum sl_expr_kind {
    SL_E_LIT,       /* literal: sl_expr_lit */
    SL_E_COL,       /* column reference: sl_expr_col (scope index) */
    SL_E_NEG,       /* -x */
    SL_E_NOT,       /* NOT x, !x */
    SL_E_BIN,       /* x op y: sl_expr_op is an sl_expr_binop */
    SL_E_AND,       /* x AND y, x && y */
    SL_E_OR,        /* x OR y, x || y */
    SL_E_IN,        /* x [NOT] IN (args 1..n-1) */
    SL_E_BETWEEN,   /* x [NOT] BETWEEN lo AND hi */
    SL_E_LIKE,      /* x [NOT] LIKE p (op 0), x [NOT] REGEXP / RLIKE p (op 1) */
    SL_E_ISNULL,    /* x IS [NOT] NULL */
    SL_E_CASE,      /* CASE [base] WHEN w THEN t ... [ELSE e] END: see sl_expr_case_* */
    SL_E_CAST,      /* CAST(x AS type) or an implicit conversion (sl_expr_implicit) */
    SL_E_CALL,      /* builtin function: sl_expr_func_name */
    SL_E_INTERVAL,  /* INTERVAL x unit, only as date_add's second argument: sl_expr_name */
    SL_E_AGG,       /* aggregate call: sl_expr_op is an sl_expr_agg */
    SL_E_ISBOOL     /* x IS [NOT] TRUE (op 1) / FALSE (op 0) */
} sl_expr_kind;

/** Binary operators of SL_E_BIN. */
typedef enum sl_expr_binop {
    SL_B_ADD, SL_B_SUB, SL_B_MUL, SL_B_DIV, SL_B_MOD, SL_B_IDIV, /* arithmetic (DIV = IDIV) */
    SL_B_EQ, SL_B_NSEQ, SL_B_NE, SL_B_LT, SL_B_LE, SL_B_GT, SL_B_GE /* comparisons (<=> NSEQ) */
} sl_expr_binop;

/** Aggregate functions of SL_E_AGG (Doris's result types: sl_expr_type). */
typedef enum sl_expr_agg {
    SL_QA_COUNT,        /* count(*) (no argument), count(x), count(DISTINCT x) */
    SL_QA_SUM,
    SL_QA_AVG,
    SL_QA_MIN,
    SL_QA_MAX,
    SL_QA_GROUP_CONCAT, /* group_concat(x [, sep] | x SEPARATOR sep): arg 1 the separator */
    SL_QA_STDDEV_POP,   /* stddev, std, stddev_pop */
    SL_QA_STDDEV_SAMP,
    SL_QA_VAR_POP,      /* variance, var_pop, variance_pop */
    SL_QA_VAR_SAMP,     /* var_samp, variance_samp */
    SL_QA_BIT_AND,
    SL_QA_BIT_OR,
    SL_QA_BIT_XOR,
    SL_QA_BITMAP_UNION,       /* BITMAP of the union */
    SL_QA_BITMAP_UNION_COUNT, /* BIGINT: values in the union (0 without rows) */
    SL_QA_HLL_UNION,          /* HLL of the union (hll_union, hll_raw_agg) */
    SL_QA_HLL_UNION_AGG,      /* BIGINT: the union's estimate (hll_union_agg) */
    SL_QA_NDV,                /* BIGINT: ndv / approx_count_distinct, an HLL of the values */
    SL__N_QA
} sl_expr_agg;

/** Parse flags of sl_expr_parse_part. */
#define SL_EXPR_PARSE_AGG 1u /* aggregate calls are parsed (the binder decides where they may be) */
#define SL_EXPR_PARSE_SQL 2u /* inside a statement: `t.col` qualifiers are kept for the binder,
                                SELECT's clause words (GROUP, ORDER, LIMIT, ...) are reserved */

/** Parse the expression that starts at byte `from` of text and ends before the first token
 * that cannot continue it. *end receives the offset just past its last byte, *next the offset
 * of the token that stopped it (text.n at the end of the text). Error positions count from
 * the start of text. Errors as sl_expr_parse. */
sl_code sl_expr_parse_part(sl_slice text, size_t from, unsigned flags, sl_arena_t *a,
                           sl_expr **out, size_t *end, size_t *next, sl_err *err);

/** How a statement binds a column reference (sl_expr_bind_ex): set *col to a scope index, or
 * *subst to an already bound tree that takes the reference's place (a SELECT alias); or fail
 * with the statement's own message. ref is an unbound SL_E_COL (sl_expr_name, sl_expr_qual). */
typedef sl_code (*sl_expr_resolve_fn)(void *arg, const sl_expr *ref, long *col, sl_expr **subst,
                                      sl_err *err);

typedef struct sl_expr_bindopts {
    const sl_expr_scope *scope;   /* the columns (types; names when resolve is NULL) */
    sl_expr_resolve_fn resolve;   /* NULL: names are looked up in scope */
    void *arg;
    bool aggregates;              /* aggregate calls may appear (not nested) */
    const char *clause;           /* Doris's plan node for the "can not contains" message when
                                     they may not, e.g. "LOGICAL_FILTER" */
    bool to_bool;                 /* convert the result to BOOLEAN (WHERE, HAVING) */
    const sl_expr_ctx *ctx;       /* non-NULL: operators and functions of constants are computed
                                     at bind time with this time zone and "now" ... */
    uint64_t *folded;             /* ... adding the bytes of text they make here; none more is
                                     computed past SL_EXPR_MAX_FOLDED (a statement of many big
                                     constants would otherwise build them all before any limit) */
} sl_expr_bindopts;

#define SL_EXPR_MAX_FOLDED (16u << 20)

/** sl_expr_bind with statement rules: *e may be replaced (an alias substituted at the top).
 * Aggregates: argument types and Doris's result types (count BIGINT, sum of integers BIGINT,
 * sum(LARGEINT) LARGEINT, sum(DECIMAL(p,s)) DECIMAL(38,s), avg of integers DOUBLE,
 * avg(DECIMAL(p,s)) DECIMAL(38,max(s,4)), min/max the argument's type, group_concat STRING,
 * stddev/variance DOUBLE, bit_* BIGINT). Errors as sl_expr_bind plus Doris's texts:
 * "LOGICAL_FILTER can not contains AggregateFunction expression: sum(a)", "aggregate function
 * cannot contain aggregate parameters", "Can not find the compatibility function signature:
 * sum(DATE)". */
sl_code sl_expr_bind_ex(sl_expr **e, const sl_expr_bindopts *o, sl_arena_t *a, sl_err *err);

/* ---- read-only accessors of (bound) trees, for renderers ---- */
sl_expr_kind sl_expr_kind_of(const sl_expr *e);
/** SL_E_BIN: sl_expr_binop; SL_E_AGG: sl_expr_agg; SL_E_LIKE: 1 for REGEXP; SL_E_ISBOOL: 1 for
 * TRUE; 0 otherwise. */
int sl_expr_op(const sl_expr *e);
/** NOT IN / NOT BETWEEN / NOT LIKE / IS NOT NULL / IS NOT TRUE|FALSE; AGG: DISTINCT. */
bool sl_expr_negated(const sl_expr *e);
bool sl_expr_distinct(const sl_expr *e);
/** An SL_E_CAST the binder added (not written by the user). */
bool sl_expr_implicit(const sl_expr *e);
size_t sl_expr_n_args(const sl_expr *e);
const sl_expr *sl_expr_arg(const sl_expr *e, size_t i);
/** CASE: args[0] is the base (CASE x WHEN ...); the last arg is the ELSE branch. */
bool sl_expr_case_base(const sl_expr *e);
bool sl_expr_case_else(const sl_expr *e);
/** SL_E_CALL: the function's canonical lower-case name (static), e.g. "substr" for mid();
 * SL_E_AGG: the aggregate's canonical name ("count", "stddev_pop", ...). NULL otherwise. */
const char *sl_expr_func_name(const sl_expr *e);
/** SL_E_COL: the name as written; SL_E_INTERVAL: the unit ("DAY"); SL_E_CALL/AGG: the name as
 * written. Borrowed from the tree. */
sl_slice sl_expr_name(const sl_expr *e);
/** SL_E_COL: the `t` of `t.col` / `db.t.col` (empty when unqualified) and the `db`. */
sl_slice sl_expr_qual(const sl_expr *e);
sl_slice sl_expr_qual_db(const sl_expr *e);
/** SL_E_LIT: false for NULL, else true with *v the value in the physical form of its type. */
bool sl_expr_lit(const sl_expr *e, sl_datum *v);
/** SL_E_COL after binding: the scope index. */
long sl_expr_col(const sl_expr *e);
/** 1-based byte position of the node in the parsed text. */
size_t sl_expr_pos(const sl_expr *e);
/** True when the tree holds an aggregate call. */
bool sl_expr_has_agg(const sl_expr *e);
/** A bound reference to scope column col of the given type (e.g. `*` expanded), in a. NULL
 * when out of memory. */
sl_expr *sl_expr_column(sl_arena_t *a, long col, sl_type type, sl_slice name);
/** Structural equality of two bound trees (columns by scope index, implicit casts ignored). */
bool sl_expr_same(const sl_expr *a, const sl_expr *b);

/** A bound copy of e in which every node for which is_hole() says true (a column, an aggregate:
 * whatever the caller computes itself) is replaced by a column reference to a new scope: hole
 * k (in first-visit order, equal holes shared) is column k and (*holes)[k] the original node.
 * The copy can be evaluated with sl_expr_eval over one vector per hole. Returns SL_OK or
 * SL_NOMEM; everything lives in a. */
sl_code sl_expr_detach(const sl_expr *e, bool (*is_hole)(const sl_expr *n, void *arg), void *arg,
                       sl_arena_t *a, sl_expr **out, const sl_expr ***holes, size_t *n_holes,
                       sl_err *err);

/* ---- aggregate accumulators (agg.c): Doris's arithmetic for an engine that evaluates an
 * aggregate itself (an engine's registered aggregates, src/store/) ---- */

/** Running state of one aggregate over one group. All-zero bytes are the valid start state. */
typedef struct sl_expr_acc {
    uint64_t n;          /* non-NULL values seen */
    sl_i128 isum;        /* integer and unscaled-decimal sums; bit_* state */
    double dsum;         /* DOUBLE sums */
    double mean, m2;     /* stddev / variance (Welford) */
    sl_buf text;         /* group_concat; the serialized BITMAP / HLL of a union's value */
    void *sketch;        /* bitmap_union*: an sl_bitmap; hll_*, ndv: an sl_hll (batch/bitmap.h) */
    uint8_t sketch_kind; /* 1: sketch is an sl_bitmap, 2: an sl_hll */
} sl_expr_acc;

/** Add one value of the aggregate's argument (NULL: v == NULL; count(*) passes any non-NULL
 * v per row) to acc; sep is group_concat's separator value (NULL: Doris's default ", "). A
 * group_concat result past max_bytes (0: no limit) is SL_TOO_LARGE, checked before it grows;
 * a sum past its result type (BIGINT, LARGEINT, DECIMAL(38,s)) is SL_TOO_LARGE "Arithmetic
 * overflow: ...": an error, never a wrong value. min/max have no accumulator (SL_INTERNAL):
 * engines compare natively. */
sl_code sl_expr_acc_step(const sl_expr *agg, sl_expr_acc *acc, const sl_datum *v,
                         const sl_datum *sep, uint64_t max_bytes, sl_err *err);

/** The aggregate's value for the rows added so far, in the physical form of its bound type
 * (text borrows acc->text until the next step or free). *null when SQL says NULL (no rows). */
sl_code sl_expr_acc_value(const sl_expr *agg, sl_expr_acc *acc, bool *null, sl_datum *out,
                          sl_err *err);

/** Release acc's memory (acc stays valid and empty). */
void sl_expr_acc_free(sl_expr_acc *acc);

#endif
