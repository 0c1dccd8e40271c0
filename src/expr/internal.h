/*
 * internal.h - shared inside src/expr/ only: tokens, the tree node, the function table, the
 * binder and evaluator environments, and the conversion helpers used by every func_*.c.
 *
 *   lex.c (tokens) -> parse.c (tree, printer, columns / insert lists) -> eval.c (binder and
 *   evaluator of operators) -> func_cast.c (casts, text <-> values) and func_time.c,
 *   func_string.c, func_math.c (the builtin functions, one table each).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_EXPR_INTERNAL_H
#define SL_EXPR_INTERNAL_H

#include "expr.h"

/* Tree height limit: every walker (binder, evaluator, printer, equality) recurses once per
 * level, so 128 levels bound the C stack at a few tens of KiB whatever the input. Real column
 * expressions are a handful of levels deep. The parser's own recursion is capped at three
 * times this (SL__EXPR_MAX_PARSE_DEPTH): the canonical text of a tree of height h nests at
 * most 2h + 1 levels, so everything the printer writes parses back. */
#define SL__EXPR_MAX_HEIGHT 128
#define SL__EXPR_MAX_PARSE_DEPTH (3 * SL__EXPR_MAX_HEIGHT)

/* The type of an untyped NULL literal; it takes the type of whatever it meets. */
#define SL__NULLTYPE ((uint8_t)SL__N_TYPES)

/* ---- tokens (lex.c) ---- */
typedef enum sl__tk {
    TK_EOF,
    TK_IDENT,   /* bare word (keywords too: the parser decides) */
    TK_QIDENT,  /* `quoted`: text excludes the backquotes, `` is a literal backquote */
    TK_INT,     /* 123 */
    TK_DEC,     /* 1.5, .5, 1. */
    TK_FLOAT,   /* 1e5, 1.5E-3 */
    TK_STR,     /* 'x' or "x": text is the raw body between the quotes */
    TK_OP,      /* punctuation, see op */
    TK_ERR      /* bad byte or unterminated quote */
} sl__tk;

typedef enum sl__op {
    OP_LP, OP_RP, OP_COMMA, OP_DOT, OP_SEMI, OP_STAR, OP_PLUS, OP_MINUS, OP_SLASH, OP_PCT,
    OP_EQ, OP_NSEQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_AND2, OP_OR2, OP_BANG,
    OP_LB, OP_RB, OP_LC, OP_RC, OP_COLON  /* [ ] { } : of element access and literals */
} sl__op;

typedef struct sl__tok {
    uint8_t kind;     /* sl__tk */
    uint8_t op;       /* sl__op when kind == TK_OP */
    size_t pos;       /* byte offset of the first byte */
    sl_slice text;    /* raw text (see sl__tk) */
} sl__tok;

/* Scan the token starting at or after *pos in s; *pos moves past it. Never fails: errors come
 * back as TK_ERR tokens for the parser to report. */
void sl__expr_lex(sl_slice s, size_t *pos, sl__tok *t);

/* Unescape the body of a quoted string (backslash escapes \n \t \r \0 \b \Z \\ \' \" and
 * doubled quotes) into a. Returns a slice with p == NULL on out of memory. */
sl_slice sl__expr_unescape(sl_arena_t *a, sl_slice raw, char quote);

/* ---- the tree ---- */
/* Node kinds and operators are the public sl_expr_kind / sl_expr_binop (expr.h). */
enum {
    EK_LIT = SL_E_LIT, EK_COL = SL_E_COL, EK_NEG = SL_E_NEG, EK_NOT = SL_E_NOT,
    EK_BIN = SL_E_BIN, EK_AND = SL_E_AND, EK_OR = SL_E_OR, EK_IN = SL_E_IN,
    EK_BETWEEN = SL_E_BETWEEN, EK_LIKE = SL_E_LIKE, EK_ISNULL = SL_E_ISNULL, EK_CASE = SL_E_CASE,
    EK_CAST = SL_E_CAST, EK_CALL = SL_E_CALL, EK_INTERVAL = SL_E_INTERVAL, EK_AGG = SL_E_AGG,
    EK_ISBOOL = SL_E_ISBOOL
};

enum {
    B_ADD = SL_B_ADD, B_SUB = SL_B_SUB, B_MUL = SL_B_MUL, B_DIV = SL_B_DIV, B_MOD = SL_B_MOD,
    B_IDIV = SL_B_IDIV, B_EQ = SL_B_EQ, B_NSEQ = SL_B_NSEQ, B_NE = SL_B_NE, B_LT = SL_B_LT,
    B_LE = SL_B_LE, B_GT = SL_B_GT, B_GE = SL_B_GE
};

struct sl__func;

struct sl_expr {
    uint8_t kind;           /* sl_expr_kind */
    uint8_t op;             /* EK_BIN: sl_expr_binop; EK_AGG: sl_expr_agg; EK_LIKE: 1 REGEXP;
                               EK_ISBOOL: 1 TRUE, 0 FALSE */
    bool neg;               /* NOT IN / NOT BETWEEN / NOT LIKE / IS NOT NULL|TRUE|FALSE */
    bool implicit;          /* EK_CAST added by the binder (not printed) */
    bool has_base;          /* CASE x WHEN ...: args[0] is x */
    bool has_else;          /* CASE ... ELSE: last arg */
    bool lit_null;          /* EK_LIT NULL */
    bool bound;             /* the binder has visited it */
    bool distinct;          /* EK_AGG: DISTINCT */
    uint16_t height;        /* 1 + the children's maximum */
    uint32_t pos;           /* 1-based position in the text */
    sl_type type;           /* literal / CAST target at parse; result type after binding */
    sl_slice name;          /* COL: column; CALL/AGG: function as written; INTERVAL: unit */
    sl_slice qual, qual_db; /* EK_COL in statements: `t.` and `db.t.` qualifiers (else empty) */
    sl_datum lit;           /* EK_LIT value (physical form of type) */
    long col;               /* EK_COL after binding: scope index */
    const struct sl__func *fn; /* EK_CALL */
    sl_expr **args;
    size_t n_args;
    /* CASE: [base] when then ... [else]; IN: lhs, list...; BETWEEN: x lo hi; LIKE: x pattern;
       CAST / NEG / NOT / ISNULL / ISBOOL / INTERVAL: one arg; AGG: none (count(*)), x, or
       group_concat's x and separator. */
};

/* ---- aggregates (agg.c) ---- */
typedef struct sl__aggdef {
    const char *name;       /* as written by users (lower case) */
    const char *canon;      /* canonical name */
    uint8_t id;             /* sl_expr_agg */
    uint8_t min_args, max_args;
} sl__aggdef;

/* The aggregate named name (case-insensitive), or NULL. */
const sl__aggdef *sl__expr_agg_find(sl_slice name);
/* The canonical name of aggregate id (static). */
const char *sl__expr_agg_name(unsigned id);

/* Write the SQL name of a type ("bigint", "decimal(10,2)", "datetime(3)", "varchar(5)"). */
void sl__expr_print_type(const sl_type *t, sl_buf *b);

/* Structural equality of two parsed trees (literals, names case-insensitively, shape). */
bool sl__expr_equal(const sl_expr *a, const sl_expr *b);

/* ---- types ---- */
typedef enum sl__cls { C_INT, C_LARGE, C_DEC, C_FLOAT, C_DATE, C_DT, C_TEXT, C_NULL,
                       C_CPLX /* ARRAY, MAP, STRUCT, BITMAP, HLL: bytes (func_complex.c) */
} sl__cls;

static inline int sl__cls_of(uint8_t id)
{
    switch (id) {
    case SL_TINYINT: case SL_SMALLINT: case SL_INT: case SL_BIGINT: case SL_BOOLEAN:
        return C_INT;
    case SL_LARGEINT: return C_LARGE;
    case SL_DECIMAL: return C_DEC;
    case SL_FLOAT: case SL_DOUBLE: return C_FLOAT;
    case SL_DATE: return C_DATE;
    case SL_DATETIME: return C_DT;
    case SL_CHAR: case SL_VARCHAR: case SL_STRING: case SL_JSON: case SL_VARIANT: return C_TEXT;
    case SL_ARRAY: case SL_MAP: case SL_STRUCT: case SL_BITMAP: case SL_HLL: return C_CPLX;
    default: return C_NULL;
    }
}

static inline sl_type sl__ty(uint8_t id)
{
    sl_type t = {id, 0, 0, 0, 0};
    if (id == SL_DATETIME)
        t.precision = 6;
    return t;
}

/* ---- binder and evaluator ---- */
typedef struct sl__binder {
    const sl_expr_scope *scope;
    sl_arena_t *a;
    sl_err *err;
    const sl_expr_bindopts *opts; /* statements (sl_expr_bind_ex); NULL for loads */
    unsigned in_agg;              /* inside an aggregate's argument */
} sl__binder;

/* Types and coercions of an aggregate call whose arguments are bound (agg.c). */
sl_code sl__expr_bind_agg(sl__binder *b, sl_expr *e);

typedef struct sl__env {
    const sl_vec *cols;
    size_t n;
    const uint8_t *sel;     /* NULL: all rows */
    const sl_expr_ctx *ctx;
    sl_arena_t *a;
    sl_err *err;
    bool oom;               /* an allocation failed (err holds SL_NOMEM when given) */
} sl__env;

/* Replace *slot by an implicit cast to t unless it already has that type (NULL literals just
 * take t). SL_NOMEM on failure. */
sl_code sl__expr_coerce(sl__binder *b, sl_expr **slot, sl_type t);

/* sl__expr_coerce of e's arguments to the types spelled in sig ('s' STRING, 'i' BIGINT), the
 * last letter repeating for further arguments. */
sl_code sl__expr_coerce_sig(sl_expr *e, sl__binder *b, const char *sig);

/* sl__expr_coerce of all of e's arguments to the type they meet in (sl__expr_common; BIGINT
 * when all are NULL), stored in *t. */
sl_code sl__expr_coerce_all(sl_expr *e, sl__binder *b, sl_type *t);

/* The type two operands meet in: for a comparison (string vs number -> DOUBLE, string vs date
 * -> DATETIME) or for a result (CASE / IF / COALESCE branches: mixed -> STRING). */
sl_type sl__expr_common(sl_type x, sl_type y, bool compare);

/* Allocate out's arrays for env->n rows with the given type; null[] starts as "not selected"
 * (1 where sel excludes the row) ORed with every argument's null. SL_NOMEM on failure. */
sl_code sl__expr_out(sl__env *env, sl_type t, const sl_vec *args, size_t n_args, sl_vec *out);

/* Three-way comparison of two values of one type class (sl__cls); NaN sorts last. */
int sl__expr_cmp(int cls, const sl_datum *a, const sl_datum *b);

/* Copy n bytes into the arena as a text value; false on out of memory (error recorded). */
bool sl__expr_text(sl__env *env, sl_datum *d, const char *p, size_t n);

/* b's text as the result of row i of out (copied into the arena; NULL when longer than
 * SL__MAX_TEXT); false on out of memory, b's included (error recorded). */
struct sl_buf;
bool sl__expr_text_buf(sl__env *env, sl_vec *out, size_t i, const struct sl_buf *b);

/* ---- functions ---- */
#define SL__VARIADIC 255
#define A_KEEP 255 /* argt: leave arguments as they are (bind does the rest) */

typedef sl_code (*sl__fbind)(sl_expr *e, sl__binder *b);
typedef sl_code (*sl__feval)(const sl_expr *e, const sl_vec *args, sl__env *env, sl_vec *out);

typedef struct sl__func {
    const char *name;
    uint8_t min_args, max_args;  /* max_args SL__VARIADIC: any number */
    bool nullprop;               /* NULL in any argument -> NULL (out->null is prefilled) */
    uint8_t argt;                /* coerce every argument to this type id, or A_KEEP */
    uint8_t ret;                 /* result type id unless bind sets e->type */
    sl__fbind bind;              /* optional: runs after the argt coercion */
    sl__feval eval;
    int aux;                     /* a per-entry constant for shared kernels */
} sl__func;

extern const sl__func sl__expr_funcs_time[];
extern const size_t sl__expr_n_funcs_time;
extern const sl__func sl__expr_funcs_string[];
extern const size_t sl__expr_n_funcs_string;
extern const sl__func sl__expr_funcs_math[];
extern const size_t sl__expr_n_funcs_math;
extern const sl__func sl__expr_funcs_complex[];
extern const size_t sl__expr_n_funcs_complex;

/* Casts that involve ARRAY, MAP, STRUCT, VARIANT, BITMAP or HLL (func_complex.c): 1 done (*o
 * set), 0 NULL (or out of memory: env->oom), -1 not such a cast. */
int sl__expr_cast_complex(const sl_vec *in, size_t i, sl_type to, sl__env *env, sl_datum *o);

/* A statement's `s.f` (an unbound qualified column) where s is a STRUCT column of the scope
 * with a field f: *out becomes the unbound struct_element(s, 'f'); else *out stays NULL. */
sl_code sl__expr_struct_ref(sl__binder *b, const sl_expr *col, sl_expr **out);
/* Issue 20's families, one table per file: func_string2.c (more string functions, URLs,
 * masks), func_regexp.c, func_math2.c, func_date2.c, func_date3.c (period rounding,
 * months_between, next_day), func_json.c, func_hash.c. */
extern const sl__func sl__expr_funcs_string2[];
extern const size_t sl__expr_n_funcs_string2;
extern const sl__func sl__expr_funcs_regexp[];
extern const size_t sl__expr_n_funcs_regexp;
extern const sl__func sl__expr_funcs_math2[];
extern const size_t sl__expr_n_funcs_math2;
extern const sl__func sl__expr_funcs_date2[];
extern const size_t sl__expr_n_funcs_date2;
extern const sl__func sl__expr_funcs_date3[];
extern const size_t sl__expr_n_funcs_date3;
extern const sl__func sl__expr_funcs_json[];
extern const size_t sl__expr_n_funcs_json;
extern const sl__func sl__expr_funcs_hash[];
extern const size_t sl__expr_n_funcs_hash;

/* Longest text a function makes (Doris's string_type_length_soft_limit, 1 MiB): longer
 * results are NULL rather than an allocation the size of the request. */
#define SL__MAX_TEXT (1u << 20)

/* Text argument k of row i as a slice. */
static inline sl_slice sl__arg_s(const sl_vec *av, size_t k, size_t i)
{
    return (sl_slice){av[k].v[i].s.p, av[k].v[i].s.n};
}

/* True when argument k is NULL in row i. */
static inline bool sl__arg_null(const sl_vec *av, size_t k, size_t i)
{
    return av[k].null && av[k].null[i];
}

/* Characters of UTF-8 text (continuation bytes not counted). */
static inline size_t sl__u8_chars(sl_slice s)
{
    size_t n = 0;
    for (size_t i = 0; i < s.n; i++)
        n += ((unsigned char)s.p[i] & 0xc0) != 0x80;
    return n;
}

/* Byte offset of character k (0-based) of s; s.n when past the end. */
static inline size_t sl__u8_offset(sl_slice s, size_t k)
{
    size_t i = 0;
    while (i < s.n && k) {
        i++;
        while (i < s.n && ((unsigned char)s.p[i] & 0xc0) == 0x80)
            i++;
        k--;
    }
    return i;
}

/* Allocate n bytes of result text for out->v[i] in the evaluation arena; NULL (and the error
 * recorded, env->oom set) when out of memory. */
char *sl__expr_alloc_text(sl__env *env, sl_datum *d, size_t n);

/* ---- date helpers shared by func_time.c and func_date2.c ---- */
enum { SL__U_YEAR, SL__U_QUARTER, SL__U_MONTH, SL__U_WEEK, SL__U_DAY, SL__U_HOUR,
       SL__U_MINUTE, SL__U_SECOND, SL__U_MICRO, SL__U_MILLI };

/* us + n units (SL__U_*); false when the result leaves 0000-01-01 .. 9999-12-31. Months
 * clamp the day to the month's last (Doris's months_add). */
bool sl__dt_add(int64_t us, int unit, int64_t n, int64_t *out);

/* The DATETIME type a text argument x converts to: the precision of its fraction digits
 * when it is a literal (Doris infers datetimev2(p) from the literal), else min_prec. */
sl_type sl__dt_text_type(const sl_expr *x, unsigned min_prec);

/* The SL__U_* unit named name (case-insensitive: YEAR, ..., MICROSECOND, MILLISECOND), or -1. */
int sl__dt_unit(sl_slice name);

/* The builtin named name (case-insensitive), or NULL. */
const sl__func *sl__expr_func_find(sl_slice name);

/* ---- conversions (func_cast.c) ---- */
/* Cast in to type to, row by row (rows already NULL in out->null are skipped); out's arrays
 * are allocated by the caller with sl__expr_out. Failed conversions give NULL. */
sl_code sl__expr_cast(const sl_vec *in, sl_type to, sl__env *env, sl_vec *out);

bool sl__text_to_i64(sl_slice s, int64_t *out);
bool sl__text_to_i128(sl_slice s, sl_i128 *out);
bool sl__text_to_double(sl_slice s, double *out);
bool sl__text_to_decimal(sl_slice s, unsigned prec, unsigned scale, sl_i128 *out);
bool sl__text_to_datetime(sl_slice s, int64_t *us);
bool sl__text_to_bool(sl_slice s, int64_t *out);

int64_t sl__days_from_civil(int64_t y, unsigned m, unsigned d);
void sl__civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
bool sl__valid_ymd(int64_t y, unsigned m, unsigned d);

#define SL__US_PER_DAY INT64_C(86400000000)
/* DATETIME range: 0000-01-01 00:00:00 .. 9999-12-31 23:59:59.999999. */
#define SL__MIN_DAYS INT64_C(-719528)
#define SL__MAX_DAYS INT64_C(2932896)

static inline int64_t sl__floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Formatters: NUL-terminated text into buf (64 bytes always suffice); return the length. */
size_t sl__fmt_date(int64_t days, char *buf);
size_t sl__fmt_datetime(int64_t us, unsigned prec, char *buf);
size_t sl__fmt_i128(sl_i128 v, char *buf);
size_t sl__fmt_decimal(sl_i128 v, unsigned scale, char *buf);
size_t sl__fmt_double(double v, char *buf);

/* 10^k for k in 0..38. */
sl_i128 sl__pow10(unsigned k);
#define SL__DEC_MAX_PREC 38

#endif
