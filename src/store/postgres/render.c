/*
 * render.c - a bound SELECT as PostgreSQL text with Doris's semantics (store stage; the
 * PostgreSQL engine sends what this writes; contract in render.h).
 *
 *   sl_select (bound, src/sql) --here--> SELECT ... FROM "db"."table" WHERE ... (inline literals)
 *
 * Each node renders as a PostgreSQL expression of its sluice type's PostgreSQL type (render.h),
 * so the binder's implicit casts become explicit CASTs and PostgreSQL's own type resolution
 * never picks a different operator. Where PostgreSQL's meaning differs from Doris's the
 * rendering spells Doris's out: text compares byte-wise (COLLATE "C"), integer division
 * truncates and gives NULL on zero (NULLIF), substr/left/right/lpad/split_part follow Doris's
 * position rules, upper/lower change ASCII letters only (translate), round of a DOUBLE rounds
 * half away from zero, date_format's MySQL specifiers map to to_char patterns, now() and
 * friends are the query's constant "now" (sel->ctx), avg(DECIMAL) truncates at its scale.
 * Some of those spellings repeat an argument; a rendering past SL_PG_MAX_SQL bytes (deeply
 * nested functions) is refused rather than sent. What has no faithful spelling is refused.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../core/platform.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../../batch/complex.h"
#include "../../batch/convert.h"
#include "render.h"

/* Longest statement written: nested functions that repeat arguments could otherwise grow the
 * text exponentially; real queries stay far below. */
#define SL_PG_MAX_SQL (4u << 20)

#define US_PER_DAY INT64_C(86400000000)

typedef struct pg {
    const sl_select *sel;
    sl_buf *b;
    sl_err *err;
    sl_code rc;           /* first failure */
    const sl_pg_plan *plan; /* outputs computed by sluice (ORDER BY positions move) */
} pg;

static void expr(pg *r, const sl_expr *e);

static void put(pg *r, const char *s)
{
    sl_buf_puts(r->b, s);
}

static void refuse(pg *r, const char *what)
{
    if (r->rc == SL_OK)
        r->rc = sl_fail(r->err, SL_INVALID_SQL, "%s is not supported on the PostgreSQL store",
                        what);
}

static const sl_expr *arg(const sl_expr *e, size_t i)
{
    return sl_expr_arg(e, i);
}

static sl_type ty(const sl_expr *e)
{
    return sl_expr_type(e);
}

static int cls(sl_type t)
{
    switch (t.id) {
    case SL_TINYINT: case SL_SMALLINT: case SL_INT: case SL_BIGINT: return 0;
    case SL_BOOLEAN: return 1;
    case SL_LARGEINT: return 2;
    case SL_DECIMAL: return 3;
    case SL_FLOAT: case SL_DOUBLE: return 4;
    case SL_DATE: return 5;
    case SL_DATETIME: return 6;
    case SL_ARRAY: case SL_MAP: case SL_STRUCT: case SL_VARIANT: case SL_BITMAP: case SL_HLL:
        return 8; /* jsonb and bytea (ddl.c) */
    default: return 7; /* text */
    }
}
enum { K_INT, K_BOOL, K_LARGE, K_DEC, K_FLOAT, K_DATE, K_DT, K_TEXT, K_OTHER };

/* The PostgreSQL type of a sluice type, for CASTs (JSON values are handled as text). */
static const char *pgtype(sl_type t, char buf[40])
{
    switch ((sl_type_id)t.id) {
    case SL_TINYINT: case SL_SMALLINT: return "smallint";
    case SL_INT: return "integer";
    case SL_BIGINT: return "bigint";
    case SL_LARGEINT: return "numeric(39,0)";
    case SL_FLOAT: return "real";
    case SL_DOUBLE: return "double precision";
    case SL_DECIMAL: snprintf(buf, 40, "numeric(%u,%u)", t.precision, t.scale); return buf;
    case SL_DATE: return "date";
    case SL_DATETIME: return "timestamp";
    case SL_BOOLEAN: return "boolean";
    case SL_ARRAY: case SL_MAP: case SL_STRUCT: case SL_VARIANT: return "jsonb";
    case SL_BITMAP: case SL_HLL: return "bytea";
    default: return "text";
    }
}

/* "CAST(<e> AS <type of t>)" */
static void cast_to(pg *r, const sl_expr *e, sl_type t)
{
    char buf[40];
    put(r, "CAST(");
    expr(r, e);
    sl_buf_printf(r->b, " AS %s)", pgtype(t, buf));
}

/* ---- literals -------------------------------------------------------------------------------- */

static void text_lit(pg *r, const char *p, size_t n)
{
    if (memchr(p, '\0', n)) {
        refuse(r, "text with a NUL byte");
        return;
    }
    sl_buf_putc(r->b, '\'');
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\'')
            sl_buf_putc(r->b, '\'');
        sl_buf_putc(r->b, p[i]);
    }
    sl_buf_putc(r->b, '\'');
}

/* A constant ARRAY, MAP, STRUCT or VARIANT as jsonb (copy.c's form), BITMAP / HLL as bytea. */
static void other_lit(pg *r, sl_type t, const sl_datum *v)
{
    sl_buf j = SL_BUF_INIT;
    if (t.id == SL_BITMAP || t.id == SL_HLL) {
        put(r, "'\\x");
        for (size_t i = 0; i < v->s.n; i++)
            sl_buf_printf(r->b, "%02x", (unsigned char)v->s.p[i]);
        put(r, "'::bytea");
        return;
    }
    if (t.id == SL_VARIANT)
        sl_buf_append(&j, v->s.p, v->s.n);
    else if (!sl_cv_json(&j, &t, (sl_slice){v->s.p, v->s.n}, SL_CV_PAIRS))
        refuse(r, "a malformed constant");
    put(r, "CAST(");
    text_lit(r, j.p ? j.p : "", j.len);
    put(r, " AS jsonb)");
    r->b->oom |= j.oom;
    sl_buf_free(&j);
}

static void lit(pg *r, const sl_expr *e)
{
    sl_type t = ty(e);
    sl_datum v;
    char buf[80], tb[40];
    if (!sl_expr_lit(e, &v)) {
        sl_buf_printf(r->b, "CAST(NULL AS %s)", pgtype(t, tb));
        return;
    }
    if (cls(t) == K_OTHER) {
        other_lit(r, t, &v);
        return;
    }
    switch (cls(t)) {
    case K_INT: sl_buf_printf(r->b, "CAST(%lld AS %s)", (long long)v.i, pgtype(t, tb)); return;
    case K_BOOL: put(r, v.i ? "TRUE" : "FALSE"); return;
    case K_LARGE: sl_format_i128(v.w, buf); break;
    case K_DEC: sl_format_decimal(v.w, t.scale, buf); break;
    case K_FLOAT: sl_format_double(v.d, buf); break;
    case K_DATE:
    case K_DT:
        if (v.i < (t.id == SL_DATE ? -719162 : -719162 * US_PER_DAY)) { /* before 0001-01-01 */
            refuse(r, "a date before year 1");
            return;
        }
        if (t.id == SL_DATE)
            sl_format_date(v.i, buf);
        else
            sl_format_datetime(v.i, 6, buf);
        break;
    default: /* text */
        put(r, "CAST(");
        text_lit(r, v.s.p ? v.s.p : "", v.s.n);
        put(r, " AS text)");
        return;
    }
    sl_buf_printf(r->b, "CAST('%s' AS %s)", buf, pgtype(t, tb));
}

/* ---- casts: the expression engine's conversions (func_cast.c) -------------------------------- */

/* Numbers and times as text the way sluice formats them. */
static void to_text(pg *r, const sl_expr *x, sl_type f)
{
    switch (cls(f)) {
    case K_INT: case K_LARGE: case K_DEC:
        cast_to(r, x, (sl_type){SL_STRING, 0, 0, 0, 0}); /* numeric keeps its scale */
        return;
    case K_BOOL: put(r, "(CASE WHEN "), expr(r, x), put(r, " THEN '1' ELSE '0' END)"); return;
    case K_DATE: put(r, "to_char("), expr(r, x), put(r, ", 'YYYY-MM-DD')"); return;
    case K_DT:
        put(r, "(to_char("), expr(r, x), put(r, ", 'YYYY-MM-DD HH24:MI:SS')");
        if (f.precision)
            put(r, " || '.' || substr(to_char("), expr(r, x),
                sl_buf_printf(r->b, ", 'US'), 1, %u)", f.precision);
        put(r, ")");
        return;
    case K_TEXT: expr(r, x); return;
    default: refuse(r, "converting a DOUBLE to text"); /* shortest forms differ past 1e15 */
    }
}

/* DATETIME(p) -> DATETIME(q), q < p: rounded half up like the engine. */
static void round_dt(pg *r, const sl_expr *x, unsigned q)
{
    if (q != 0 && q != 3) {
        refuse(r, "rounding a DATETIME to 1, 2, 4 or 5 fractional digits");
        return;
    }
    put(r, q ? "date_trunc('milliseconds', " : "date_trunc('second', ");
    expr(r, x);
    put(r, q ? " + INTERVAL '0.0005 second')" : " + INTERVAL '0.5 second')");
}

static void to_int(pg *r, const sl_expr *x, sl_type f, sl_type t)
{
    char tb[40];
    switch (cls(f)) {
    case K_INT: case K_LARGE: cast_to(r, x, t); return;
    case K_BOOL: put(r, "CAST(CAST("), expr(r, x), sl_buf_printf(r->b, " AS integer) AS %s)",
                                                                  pgtype(t, tb)); return;
    case K_DEC: case K_FLOAT: /* truncated toward zero */
        if (cls(f) == K_FLOAT && t.id == SL_LARGEINT) {
            refuse(r, "converting a DOUBLE to LARGEINT");
            return;
        }
        put(r, "CAST(trunc("), expr(r, x), sl_buf_printf(r->b, ") AS %s)", pgtype(t, tb));
        return;
    case K_DATE: case K_DT: /* yyyymmdd[hhmmss], MySQL's numeric context */
        put(r, "CAST(to_char("), expr(r, x);
        sl_buf_printf(r->b, ", '%s') AS %s)", cls(f) == K_DATE ? "YYYYMMDD" : "YYYYMMDDHH24MISS",
                      pgtype(t, tb));
        return;
    default: refuse(r, "converting text to a number outside a literal");
    }
}

static void to_bool(pg *r, const sl_expr *x, sl_type f)
{
    if (cls(f) == K_TEXT || cls(f) == K_DATE || cls(f) == K_DT) {
        refuse(r, "converting text or dates to BOOLEAN outside a literal");
        return;
    }
    put(r, cls(f) == K_DEC ? "(trunc(" : "((");
    expr(r, x);
    put(r, ") <> 0)");
}

/* To DECIMAL, DOUBLE or FLOAT: from numbers only (PostgreSQL turns a DOUBLE into numeric with
 * 15 digits, the engine with 17: refused). */
static void to_fraction(pg *r, const sl_expr *x, sl_type f, sl_type t)
{
    char tb[40];
    int cf = cls(f);
    if (cf == K_TEXT || cf == K_DATE || cf == K_DT || (cf == K_FLOAT && cls(t) == K_DEC)) {
        refuse(r, cf == K_FLOAT ? "converting a DOUBLE to DECIMAL" : "this conversion to a number");
        return;
    }
    if (cf == K_BOOL) {
        put(r, "CAST(CAST("), expr(r, x), sl_buf_printf(r->b, " AS integer) AS %s)", pgtype(t, tb));
        return;
    }
    cast_to(r, x, t);
}

static void cast_node(pg *r, const sl_expr *e)
{
    const sl_expr *x = arg(e, 0);
    sl_type f = ty(x), t = ty(e);
    int cf = cls(f), ct = cls(t);
    bool cut = (t.id == SL_CHAR || t.id == SL_VARCHAR) && t.len;
    if ((cf == K_OTHER || ct == K_OTHER) && !sl_type_equal(&f, &t))
        refuse(r, "this conversion of ARRAY, MAP, STRUCT, VARIANT, BITMAP or HLL values");
    else if (cf == K_OTHER)
        expr(r, x);
    else if (f.id == t.id && ((f.precision == t.precision && f.scale == t.scale && !cut) ||
                         (ct == K_DT && t.precision >= f.precision)))
        expr(r, x); /* the same value (a wider DATETIME is the same timestamp) */
    else if (ct == K_BOOL)
        to_bool(r, x, f);
    else if (ct == K_INT || ct == K_LARGE)
        to_int(r, x, f, t);
    else if (ct == K_DEC || ct == K_FLOAT)
        to_fraction(r, x, f, t);
    else if ((ct == K_DATE || ct == K_DT) && cf != K_DATE && cf != K_DT)
        refuse(r, "converting text or numbers to a date outside a literal");
    else if (ct == K_DT && cf == K_DT && t.precision < f.precision)
        round_dt(r, x, t.precision);
    else if (ct == K_DATE || ct == K_DT)
        cast_to(r, x, t);
    else if (cut && cf == K_TEXT)
        refuse(r, "cutting text to CHAR/VARCHAR(n)"); /* sluice cuts bytes, PostgreSQL characters */
    else if (cut)
        put(r, "left("), to_text(r, x, f), sl_buf_printf(r->b, ", %u)", (unsigned)t.len);
    else
        to_text(r, x, f);
}

/* ---- operators --------------------------------------------------------------------------------- */

/* x, compared or sorted as Doris does: text byte-wise. */
static void ordered(pg *r, const sl_expr *x)
{
    expr(r, x);
    if (cls(ty(x)) == K_TEXT)
        put(r, " COLLATE \"C\"");
}

static void arith(pg *r, const sl_expr *e)
{
    static const char *const ops[] = {" + ", " - ", " * "};
    int op = sl_expr_op(e), k = cls(ty(e));
    char tb[40];
    const sl_expr *a = arg(e, 0), *b = arg(e, 1);
    if (op == SL_B_DIV) { /* DOUBLE, NULL on a zero divisor */
        put(r, "("), expr(r, a), put(r, " / NULLIF("), expr(r, b), put(r, ", 0))");
    } else if (op == SL_B_IDIV) {
        put(r, k == K_LARGE ? "div(" : "("), expr(r, a), put(r, k == K_LARGE ? ", NULLIF(" : " / NULLIF(");
        expr(r, b), put(r, k == K_LARGE ? ", 0))" : ", 0))");
    } else if (op == SL_B_MOD) {
        if (k == K_FLOAT)
            refuse(r, "MOD of DOUBLE values");
        put(r, "mod("), expr(r, a), put(r, ", NULLIF("), expr(r, b), put(r, ", 0))");
    } else if (k == K_DEC || k == K_LARGE) { /* exact, then the result type's bounds */
        put(r, "CAST(("), expr(r, a), put(r, ops[op]), expr(r, b);
        sl_buf_printf(r->b, ") AS %s)", pgtype(ty(e), tb));
    } else {
        put(r, "("), expr(r, a), put(r, ops[op]), expr(r, b), put(r, ")");
    }
}

static void binary(pg *r, const sl_expr *e)
{
    static const char *const cmp[] = {[SL_B_EQ] = " = ", [SL_B_NE] = " <> ", [SL_B_LT] = " < ",
                                      [SL_B_LE] = " <= ", [SL_B_GT] = " > ", [SL_B_GE] = " >= ",
                                      [SL_B_NSEQ] = " IS NOT DISTINCT FROM "};
    int op = sl_expr_op(e);
    if (op < SL_B_EQ) {
        arith(r, e);
        return;
    }
    put(r, "(");
    ordered(r, arg(e, 0));
    put(r, cmp[op]);
    expr(r, arg(e, 1));
    put(r, ")");
}

static void list(pg *r, const sl_expr *e, size_t from, const char *sep)
{
    for (size_t i = from; i < sl_expr_n_args(e); i++) {
        if (i > from)
            put(r, sep);
        expr(r, arg(e, i));
    }
}

static void case_(pg *r, const sl_expr *e)
{
    size_t i = 0, n = sl_expr_n_args(e), end = n - (sl_expr_case_else(e) ? 1 : 0);
    put(r, "CASE");
    if (sl_expr_case_base(e))
        put(r, " "), expr(r, arg(e, i++));
    for (; i + 1 < end; i += 2)
        put(r, " WHEN "), expr(r, arg(e, i)), put(r, " THEN "), expr(r, arg(e, i + 1));
    if (sl_expr_case_else(e))
        put(r, " ELSE "), expr(r, arg(e, end));
    put(r, " END");
}

static void predicate(pg *r, const sl_expr *e)
{
    const char *no = sl_expr_negated(e) ? "NOT " : "";
    put(r, "(");
    switch (sl_expr_kind_of(e)) {
    case SL_E_ISNULL: expr(r, arg(e, 0)), sl_buf_printf(r->b, " IS %sNULL", no); break;
    case SL_E_ISBOOL:
        expr(r, arg(e, 0));
        sl_buf_printf(r->b, " IS %s%s", no, sl_expr_op(e) ? "TRUE" : "FALSE");
        break;
    case SL_E_IN: expr(r, arg(e, 0)), sl_buf_printf(r->b, " %sIN (", no), list(r, e, 1, ", "),
                  put(r, ")"); break;
    case SL_E_LIKE:
        expr(r, arg(e, 0));
        if (sl_expr_op(e)) /* REGEXP: POSIX expressions on both engines */
            put(r, sl_expr_negated(e) ? " !~ " : " ~ ");
        else
            sl_buf_printf(r->b, " %sLIKE ", no);
        expr(r, arg(e, 1));
        break;
    default: /* BETWEEN */
        ordered(r, arg(e, 0)), sl_buf_printf(r->b, " %sBETWEEN ", no);
        expr(r, arg(e, 1)), put(r, " AND "), expr(r, arg(e, 2));
    }
    put(r, ")");
}

/* ---- string functions -------------------------------------------------------------------------- */

/* A BIGINT argument as a PostgreSQL integer, clamped so that no constant folds to an error. */
static void int_arg(pg *r, const sl_expr *x)
{
    put(r, "CAST(LEAST(GREATEST("), expr(r, x), put(r, ", -2147483647), 2147483647) AS integer)");
}

static void f_concat(pg *r, const sl_expr *e)
{
    put(r, "("), list(r, e, 0, " || "), put(r, ")"); /* NULL when any argument is */
}

static void f_concat_ws(pg *r, const sl_expr *e)
{
    put(r, "concat_ws("), list(r, e, 0, ", "), put(r, ")"); /* skips NULLs, as Doris */
}

/* substr's position as a 1-based position from the start: a negative one counts from the end. */
static void substr_pos(pg *r, const sl_expr *s, const sl_expr *pos)
{
    put(r, "(CASE WHEN "), expr(r, pos), put(r, " < 0 THEN char_length("), expr(r, s);
    put(r, ") + "), expr(r, pos), put(r, " + 1 ELSE "), expr(r, pos), put(r, " END)");
}

/* Doris: a position outside the text, or a length below 1, gives ''. */
static void f_substr(pg *r, const sl_expr *e)
{
    const sl_expr *s = arg(e, 0), *pos = arg(e, 1), *len = arg(e, 2);
    put(r, "(CASE WHEN "), expr(r, s), put(r, " IS NULL OR "), expr(r, pos), put(r, " IS NULL");
    if (len)
        put(r, " OR "), expr(r, len), put(r, " IS NULL");
    put(r, " THEN NULL WHEN "), substr_pos(r, s, pos), put(r, " BETWEEN 1 AND char_length(");
    expr(r, s), put(r, ")");
    if (len)
        put(r, " AND "), expr(r, len), put(r, " >= 1");
    put(r, " THEN substr("), expr(r, s), put(r, ", CAST(LEAST("), substr_pos(r, s, pos);
    put(r, ", 2147483647) AS integer)");
    if (len)
        put(r, ", CAST(LEAST("), expr(r, len), put(r, ", 2147483647) AS integer)");
    put(r, ") ELSE '' END)");
}

/* left / right: a count below 1 gives ''. */
static void f_side(pg *r, const sl_expr *e)
{
    const char *fn = sl_expr_func_name(e);
    const sl_expr *s = arg(e, 0), *n = arg(e, 1);
    put(r, "(CASE WHEN "), expr(r, s), put(r, " IS NULL OR "), expr(r, n);
    put(r, " IS NULL THEN NULL WHEN "), expr(r, n), put(r, " > 0 THEN ");
    put(r, strstr(fn, "left") ? "left(" : "right("), expr(r, s), put(r, ", "), int_arg(r, n);
    put(r, ") ELSE '' END)");
}

static void f_trim(pg *r, const sl_expr *e)
{
    const char *fn = sl_expr_func_name(e);
    put(r, strcmp(fn, "trim") == 0 ? "btrim(" : strcmp(fn, "ltrim") == 0 ? "ltrim(" : "rtrim(");
    expr(r, arg(e, 0));
    put(r, ", ' ')"); /* spaces only, as Doris */
}

static void f_length(pg *r, const sl_expr *e)
{
    put(r, strcmp(sl_expr_func_name(e), "length") == 0 ? "CAST(octet_length("
                                                         : "CAST(char_length(");
    expr(r, arg(e, 0));
    put(r, ") AS integer)");
}

/* ASCII letters only (PostgreSQL's upper/lower follow the locale). */
static void f_case(pg *r, const sl_expr *e)
{
    const char *fn = sl_expr_func_name(e);
    bool up = strcmp(fn, "upper") == 0 || strcmp(fn, "ucase") == 0;
    put(r, "translate("), expr(r, arg(e, 0));
    put(r, up ? ", 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')"
              : ", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')");
}

static void f_replace(pg *r, const sl_expr *e)
{
    put(r, "replace("), list(r, e, 0, ", "), put(r, ")");
}

/* The n-th field (n a positive literal), NULL past the last one or for an empty delimiter. */
static void f_split_part(pg *r, const sl_expr *e)
{
    const sl_expr *s = arg(e, 0), *d = arg(e, 1);
    sl_datum n;
    if (sl_expr_kind_of(arg(e, 2)) != SL_E_LIT || !sl_expr_lit(arg(e, 2), &n) || n.i < 1 ||
        n.i > INT32_MAX) {
        refuse(r, "split_part with a field number that is not a positive constant");
        return;
    }
    put(r, "(CASE WHEN "), expr(r, d), put(r, " = '' OR (octet_length("), expr(r, s);
    put(r, ") - octet_length(replace("), expr(r, s), put(r, ", "), expr(r, d);
    put(r, ", ''))) / NULLIF(octet_length("), expr(r, d);
    sl_buf_printf(r->b, "), 0) + 1 < %lld THEN NULL ELSE split_part(", (long long)n.i);
    expr(r, s), put(r, ", "), expr(r, d), sl_buf_printf(r->b, ", %lld) END)", (long long)n.i);
}

/* lpad / rpad: a negative length or one past 1 MiB gives NULL, an empty pad ''. */
static void f_pad(pg *r, const sl_expr *e)
{
    const sl_expr *s = arg(e, 0), *n = arg(e, 1), *pad = arg(e, 2);
    put(r, "(CASE WHEN "), expr(r, n), put(r, " < 0 OR "), expr(r, n);
    put(r, " > 1048576 THEN NULL WHEN "), expr(r, pad), put(r, " = '' AND "), expr(r, n);
    put(r, " > char_length("), expr(r, s), put(r, ") THEN '' ELSE ");
    put(r, strcmp(sl_expr_func_name(e), "lpad") == 0 ? "lpad(" : "rpad("), expr(r, s);
    put(r, ", "), int_arg(r, n), put(r, ", "), expr(r, pad), put(r, ") END)");
}

static void f_digest(pg *r, const sl_expr *e)
{
    sl_datum bits;
    if (strcmp(sl_expr_func_name(e), "md5") == 0) {
        put(r, "md5("), expr(r, arg(e, 0)), put(r, ")");
        return;
    }
    if (sl_expr_kind_of(arg(e, 1)) != SL_E_LIT) {
        refuse(r, "sha2 with a computed digest length");
        return;
    }
    if (!sl_expr_lit(arg(e, 1), &bits) ||
        (bits.i != 0 && bits.i != 224 && bits.i != 256 && bits.i != 384 && bits.i != 512)) {
        put(r, "CAST(NULL AS text)");
        return;
    }
    sl_buf_printf(r->b, "encode(sha%lld(convert_to(", (long long)(bits.i ? bits.i : 256));
    expr(r, arg(e, 0));
    put(r, ", 'UTF8')), 'hex')");
}

/* ---- time functions ----------------------------------------------------------------------------- */

/* The timestamp a format applies to: an expression, or from_unixtime's local time of ts. */
typedef struct subject {
    const sl_expr *x;        /* a DATETIME */
    const sl_expr *unix_ts;  /* or: seconds since the epoch (BIGINT) */
} subject;

static void subj(pg *r, const subject *s)
{
    if (s->x) {
        expr(r, s->x);
        return;
    }
    put(r, "(TIMESTAMP '1970-01-01 00:00:00' + ("), expr(r, s->unix_ts);
    sl_buf_printf(r->b, " + %d) * INTERVAL '1 second')", (int)r->sel->ctx.tz_offset_s);
}

static void to_char(pg *r, const subject *s, const char *pattern)
{
    put(r, "to_char("), subj(r, s), sl_buf_printf(r->b, ", '%s')", pattern);
}

/* One MySQL specifier of date_format (func_time.c spec()) as PostgreSQL. */
static void spec(pg *r, const subject *s, char c)
{
    static const struct {
        char c;
        const char *p;
    } map[] = {{'a', "Dy"},   {'b', "Mon"},      {'c', "FMMM"},   {'D', "FMDDth"},
               {'d', "DD"},   {'e', "FMDD"},     {'f', "US"},     {'H', "HH24"},
               {'h', "HH12"}, {'I', "HH12"},     {'i', "MI"},     {'j', "DDD"},
               {'k', "FMHH24"}, {'l', "FMHH12"}, {'M', "FMMonth"}, {'m', "MM"},
               {'p', "AM"},   {'r', "HH12:MI:SS AM"}, {'S', "SS"}, {'s', "SS"},
               {'T', "HH24:MI:SS"}, {'W', "FMDay"}, {'Y', "YYYY"}, {'y', "YY"}};
    for (size_t k = 0; k < SL_COUNT(map); k++)
        if (map[k].c == c) {
            to_char(r, s, map[k].p);
            return;
        }
    if (c == 'w') {
        put(r, "CAST(CAST(extract(dow from "), subj(r, s), put(r, ") AS integer) AS text)");
    } else if (c == 'U' || c == 'u') { /* week of the year, Sunday / Monday first */
        put(r, "lpad(CAST((CAST(extract(doy from "), subj(r, s), put(r, ") AS integer) + 6 - ");
        put(r, c == 'U' ? "CAST(extract(dow from " : "(CAST(extract(isodow from ");
        subj(r, s), put(r, c == 'U' ? ") AS integer)" : ") AS integer) - 1)");
        put(r, ") / 7 AS text), 2, '0')");
    } else {
        text_lit(r, &c, 1); /* %% and unknown specifiers: the character itself */
    }
}

/* date_format's pattern f (Doris's Java shorthands first) over s, as text. */
static void format(pg *r, const subject *s, sl_slice f)
{
    bool any = false;
    if (sl_slice_eq(f, "yyyy-MM-dd HH:mm:ss"))
        f = SL_LIT("%Y-%m-%d %H:%i:%s");
    else if (sl_slice_eq(f, "yyyy-MM-dd"))
        f = SL_LIT("%Y-%m-%d");
    else if (sl_slice_eq(f, "yyyyMMdd"))
        f = SL_LIT("%Y%m%d");
    put(r, "(");
    for (size_t i = 0; i < f.n; any = true) {
        if (any)
            put(r, " || ");
        if (f.p[i] == '%' && i + 1 < f.n) {
            spec(r, s, f.p[i + 1]);
            i += 2;
            continue;
        }
        size_t j = i;
        while (j < f.n && !(f.p[j] == '%' && j + 1 < f.n))
            j++;
        text_lit(r, f.p + i, j - i);
        i = j;
    }
    put(r, any ? ")" : "'')");
}

static void f_date_format(pg *r, const sl_expr *e)
{
    sl_datum f;
    subject s = {arg(e, 0), NULL};
    if (sl_expr_kind_of(arg(e, 1)) != SL_E_LIT) {
        refuse(r, "date_format with a computed format");
        return;
    }
    if (!sl_expr_lit(arg(e, 1), &f)) {
        put(r, "CAST(NULL AS text)");
        return;
    }
    put(r, "(CASE WHEN "), expr(r, s.x), put(r, " IS NULL THEN NULL ELSE ");
    format(r, &s, (sl_slice){f.s.p, f.s.n});
    put(r, " END)");
}

/* from_unixtime(ts [, fmt]): local time of ts (0 .. 32536771199, else NULL), formatted. */
static void f_from_unixtime(pg *r, const sl_expr *e)
{
    sl_datum f = {.s = {"%Y-%m-%d %H:%i:%s", 17}};
    subject s = {NULL, arg(e, 0)};
    if (sl_expr_n_args(e) > 1 && sl_expr_kind_of(arg(e, 1)) != SL_E_LIT) {
        refuse(r, "from_unixtime with a computed format");
        return;
    }
    if (sl_expr_n_args(e) > 1 && !sl_expr_lit(arg(e, 1), &f)) {
        put(r, "CAST(NULL AS text)");
        return;
    }
    put(r, "(CASE WHEN "), expr(r, s.unix_ts), put(r, " BETWEEN 0 AND 32536771199 THEN ");
    format(r, &s, (sl_slice){f.s.p, f.s.n});
    put(r, " END)");
}

static int64_t floordiv(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* unix_timestamp([dt]): UTC seconds of local wall time; 0 outside 1970 .. 2038 (Doris 2.x). */
static void f_unix_timestamp(pg *r, const sl_expr *e)
{
    int32_t tz = r->sel->ctx.tz_offset_s;
    if (sl_expr_n_args(e) == 0) {
        int64_t s = floordiv(r->sel->ctx.now_us, 1000000);
        sl_buf_printf(r->b, "CAST(%lld AS bigint)", (long long)(s < 0 || s > INT32_MAX ? 0 : s));
        return;
    }
    if (sl_expr_n_args(e) > 1) {
        refuse(r, "unix_timestamp(text, format)"); /* its parsing is the engine's own */
        return;
    }
    const sl_expr *x = arg(e, 0);
    put(r, "(CASE WHEN "), expr(r, x), put(r, " IS NULL THEN NULL WHEN floor(extract(epoch from ");
    expr(r, x), sl_buf_printf(r->b, ")) - %d BETWEEN 0 AND 2147483647 THEN CAST(floor(extract("
                              "epoch from ", (int)tz);
    expr(r, x), sl_buf_printf(r->b, ")) - %d AS bigint) ELSE CAST(0 AS bigint) END)", (int)tz);
}

/* now() and friends: the query's constant "now" in the session time zone, as the engine. */
static void f_now(pg *r, const sl_expr *e)
{
    int64_t local = r->sel->ctx.now_us + (int64_t)r->sel->ctx.tz_offset_s * 1000000, unit = 1;
    char buf[64];
    if (ty(e).id == SL_DATE) {
        sl_format_date(floordiv(local, US_PER_DAY), buf);
        sl_buf_printf(r->b, "DATE '%s'", buf);
        return;
    }
    for (unsigned k = ty(e).precision; k < 6; k++)
        unit *= 10;
    sl_format_datetime(floordiv(local, unit) * unit, 6, buf);
    sl_buf_printf(r->b, "TIMESTAMP '%s'", buf);
}

static void f_part(pg *r, const sl_expr *e)
{
    static const struct {
        const char *fn, *field, *adjust;
    } map[] = {{"year", "year", ""},        {"month", "month", ""},
               {"day", "day", ""},          {"dayofmonth", "day", ""},
               {"hour", "hour", ""},        {"minute", "minute", ""},
               {"second", "second", ""},    {"dayofweek", "dow", " + 1"},
               {"dayofyear", "doy", ""},    {"quarter", "quarter", ""},
               {"weekday", "isodow", " - 1"}};
    const char *fn = sl_expr_func_name(e);
    for (size_t k = 0; k < SL_COUNT(map); k++) {
        if (strcmp(fn, map[k].fn) != 0)
            continue;
        sl_buf_printf(r->b, "(CAST(floor(extract(%s from ", map[k].field);
        expr(r, arg(e, 0));
        sl_buf_printf(r->b, ")) AS integer)%s)", map[k].adjust);
        return;
    }
}

static void f_to_date(pg *r, const sl_expr *e)
{
    put(r, "CAST("), expr(r, arg(e, 0)), put(r, " AS date)");
}

static void f_datediff(pg *r, const sl_expr *e)
{
    put(r, "(CAST("), expr(r, arg(e, 0)), put(r, " AS date) - CAST("), expr(r, arg(e, 1));
    put(r, " AS date))");
}

/* The unit and sign of date_add and its family (func_time.c ADD entries), by name. */
static const char *add_unit(const sl_expr *e, bool *minus)
{
    static const char *const units[][2] = {
        {"years_", "1 year"},     {"months_", "1 month"},    {"weeks_", "7 day"},
        {"days_", "1 day"},       {"hours_", "1 hour"},      {"minutes_", "1 minute"},
        {"seconds_", "1 second"}, {"quarters_", "3 month"},
        {"milliseconds_", "1 millisecond"}, {"microseconds_", "1 microsecond"}};
    static const char *const iv[][2] = {
        {"YEAR", "1 year"}, {"QUARTER", "3 month"}, {"MONTH", "1 month"}, {"WEEK", "7 day"},
        {"DAY", "1 day"}, {"HOUR", "1 hour"}, {"MINUTE", "1 minute"}, {"SECOND", "1 second"},
        {"MICROSECOND", "1 microsecond"}, {"MILLISECOND", "1 millisecond"}};
    const char *fn = sl_expr_func_name(e);
    *minus = strstr(fn, "sub") != NULL;
    for (size_t k = 0; k < SL_COUNT(units); k++)
        if (strncmp(fn, units[k][0], strlen(units[k][0])) == 0)
            return units[k][1];
    if (sl_expr_kind_of(arg(e, 1)) != SL_E_INTERVAL)
        return "1 day";
    for (size_t k = 0; k < SL_COUNT(iv); k++)
        if (sl_slice_ieq(sl_expr_name(arg(e, 1)), iv[k][0]))
            return iv[k][1];
    return "1 day";
}

/* x + n units: PostgreSQL's month arithmetic clamps the day as Doris's does; a result outside
 * the years 1 .. 9999 is NULL (Doris: 0 .. 9999). */
static void add_expr(pg *r, const sl_expr *e)
{
    bool minus;
    const char *unit = add_unit(e, &minus);
    const sl_expr *n = arg(e, 1);
    if (sl_expr_kind_of(n) == SL_E_INTERVAL)
        n = arg(n, 0);
    put(r, "(CAST("), expr(r, arg(e, 0)), put(r, minus ? " AS timestamp) - " : " AS timestamp) + ");
    expr(r, n), sl_buf_printf(r->b, " * INTERVAL '%s')", unit);
}

static void f_date_add(pg *r, const sl_expr *e)
{
    put(r, "(CASE WHEN "), add_expr(r, e), put(r, " >= TIMESTAMP '0001-01-01 00:00:00' AND ");
    add_expr(r, e), put(r, " < TIMESTAMP '10000-01-01 00:00:00' THEN CAST(");
    add_expr(r, e), sl_buf_printf(r->b, " AS %s) END)", ty(e).id == SL_DATE ? "date" : "timestamp");
}

/* ---- math and conditionals ------------------------------------------------------------------------ */

static void f_abs(pg *r, const sl_expr *e)
{
    put(r, "abs("), expr(r, arg(e, 0)), put(r, ")");
}

static void scale(pg *r, const sl_expr *d)
{
    if (d)
        put(r, "power(CAST(10 AS double precision), "), expr(r, d), put(r, ")");
    else
        put(r, "CAST(1 AS double precision)");
}

static void scaled(pg *r, const sl_expr *x, const sl_expr *d)
{
    put(r, "("), expr(r, x), put(r, " * "), scale(r, d), put(r, ")");
}

/* x * 10^d rounded half away from zero in DOUBLE, as C's round(), then / 10^d: exact for |y| <
 * 2^52, where the fraction is; larger doubles are integers already. */
static void round_half_away(pg *r, const sl_expr *x, const sl_expr *d)
{
    put(r, "(CASE WHEN abs("), scaled(r, x, d), put(r, ") >= 4503599627370496 THEN ");
    scaled(r, x, d), put(r, " WHEN abs("), scaled(r, x, d), put(r, ") - floor(abs(");
    scaled(r, x, d), put(r, ")) >= 0.5 THEN sign("), scaled(r, x, d), put(r, ") * (floor(abs(");
    scaled(r, x, d), put(r, ")) + 1) ELSE sign("), scaled(r, x, d), put(r, ") * floor(abs(");
    scaled(r, x, d), put(r, ")) END) / "), scale(r, d);
}

/* floor / ceil / round keep integers, keep decimals exact (rounding half away from zero on
 * both engines), and compute in DOUBLE otherwise. */
static void f_rounding(pg *r, const sl_expr *e)
{
    const char *fn = sl_expr_func_name(e);
    const sl_expr *x = arg(e, 0), *d = sl_expr_n_args(e) > 1 ? arg(e, 1) : NULL;
    char tb[40];
    int k = cls(ty(e));
    if (k == K_INT || k == K_LARGE) {
        expr(r, x);
    } else if (k == K_DEC) {
        sl_buf_printf(r->b, "CAST(%s(", strcmp(fn, "round") == 0 ? "round" : fn[0] == 'f' ? "floor"
                                                                                         : "ceil");
        expr(r, x);
        if (strcmp(fn, "round") == 0)
            sl_buf_printf(r->b, ", %u", ty(e).scale);
        sl_buf_printf(r->b, ") AS %s)", pgtype(ty(e), tb));
    } else if (strcmp(fn, "round") == 0) {
        put(r, "("), round_half_away(r, x, d), put(r, ")");
    } else {
        put(r, fn[0] == 'f' ? "floor(" : "ceil("), expr(r, x), put(r, ")");
    }
}

static void f_mod(pg *r, const sl_expr *e)
{
    if (cls(ty(e)) != K_INT) {
        refuse(r, "mod of DOUBLE values");
        return;
    }
    put(r, "mod("), expr(r, arg(e, 0)), put(r, ", NULLIF("), expr(r, arg(e, 1)), put(r, ", 0))");
}

/* pow, sqrt, ln, log10, exp: NULL where the result is not a real number (PostgreSQL raises). */
static void f_double(pg *r, const sl_expr *e)
{
    const char *fn = sl_expr_func_name(e);
    const sl_expr *x = arg(e, 0);
    if (fn[0] == 'p') {
        const sl_expr *y = arg(e, 1);
        put(r, "(CASE WHEN ("), expr(r, x), put(r, " < 0 AND "), expr(r, y), put(r, " <> floor(");
        expr(r, y), put(r, ")) OR ("), expr(r, x), put(r, " = 0 AND "), expr(r, y);
        put(r, " < 0) THEN NULL ELSE power("), expr(r, x), put(r, ", "), expr(r, y), put(r, ") END)");
    } else if (strcmp(fn, "exp") == 0) {
        put(r, "exp("), expr(r, x), put(r, ")");
    } else {
        bool sq = strcmp(fn, "sqrt") == 0;
        put(r, sq ? "sqrt(CASE WHEN " : strcmp(fn, "ln") == 0 ? "ln(CASE WHEN " : "log(CASE WHEN ");
        expr(r, x), put(r, sq ? " >= 0 THEN " : " > 0 THEN "), expr(r, x), put(r, " END)");
    }
}

static void f_cond(pg *r, const sl_expr *e)
{
    const char *fn = sl_expr_func_name(e);
    if (strcmp(fn, "if") == 0) {
        put(r, "(CASE WHEN "), expr(r, arg(e, 0)), put(r, " THEN "), expr(r, arg(e, 1));
        put(r, " ELSE "), expr(r, arg(e, 2)), put(r, " END)");
    } else if (strcmp(fn, "nullif") == 0) {
        put(r, "NULLIF("), list(r, e, 0, ", "), put(r, ")");
    } else { /* ifnull, nvl, coalesce */
        put(r, "COALESCE("), list(r, e, 0, ", "), put(r, ")");
    }
}

/* ---- ARRAY, MAP, STRUCT, VARIANT in jsonb (copy.c's forms) ---------------------------------- */

/* Open the typed value of a jsonb element (J follows, then close_typed): text types as text,
 * scalars cast from their text, nested values as jsonb (a JSON null element is NULL). */
static void open_typed(pg *r, sl_type et)
{
    int k = cls(et);
    if (k == K_OTHER)
        put(r, "NULLIF(");
    else if (k == K_TEXT)
        put(r, "((");
    else
        put(r, "CAST((");
}

static void close_typed(pg *r, sl_type et)
{
    char tb[40];
    int k = cls(et);
    if (k == K_OTHER)
        put(r, ", 'null'::jsonb)");
    else if (k == K_TEXT)
        put(r, ") #>> '{}')");
    else
        sl_buf_printf(r->b, ") #>> '{}' AS %s)", pgtype(et, tb));
}

/* CAST(<i> AS integer) as a jsonb array index: 1-based, negative from the end, 0 none. */
static void json_index(pg *r, const sl_expr *i)
{
    put(r, "CAST(CASE WHEN "), expr(r, i), put(r, " > 0 THEN "), expr(r, i);
    put(r, " - 1 WHEN "), expr(r, i), put(r, " < 0 THEN "), expr(r, i);
    put(r, " END AS integer)");
}

/* The field of a STRUCT access (a constant name or 1-based position). */
static bool struct_field_name(const sl_expr *e, sl_slice *name)
{
    const sl_type st = ty(arg(e, 0));
    const sl_ctype *c = sl_type_sub(&st);
    sl_datum k;
    if (c == NULL || !sl_expr_lit(arg(e, 1), &k))
        return false;
    for (uint32_t i = 0; i < c->n; i++) {
        bool hit = cls(ty(arg(e, 1))) == K_TEXT
                       ? c->names[i].n == k.s.n && strncasecmp(c->names[i].p, k.s.p, k.s.n) == 0
                       : (int64_t)i + 1 == k.i;
        if (hit) {
            *name = c->names[i];
            return true;
        }
    }
    return false;
}

/* element_at / x[i] / m[k] / s.f / v['k']. */
static void f_elem(pg *r, const sl_expr *e)
{
    const sl_expr *x = arg(e, 0), *k = arg(e, 1);
    sl_type t = ty(x), et = ty(e);
    sl_slice name;
    switch (t.id) {
    case SL_ARRAY:
        open_typed(r, et), expr(r, x), put(r, " -> "), json_index(r, k), close_typed(r, et);
        return;
    case SL_STRUCT:
        if (!struct_field_name(e, &name)) {
            refuse(r, "this struct field");
            return;
        }
        open_typed(r, et), expr(r, x), put(r, " -> "), text_lit(r, name.p, name.n);
        close_typed(r, et);
        return;
    case SL_MAP: { /* the last entry with the key */
        sl_type kt = sl_type_sub(&t)->t[0];
        open_typed(r, et), put(r, "(SELECT __e -> 1 FROM jsonb_array_elements(");
        expr(r, x), put(r, ") WITH ORDINALITY AS __m(__e, __o) WHERE ");
        open_typed(r, kt), put(r, "__e -> 0"), close_typed(r, kt);
        put(r, " = "), expr(r, k), put(r, " ORDER BY __o DESC LIMIT 1)"), close_typed(r, et);
        return;
    }
    default: /* VARIANT: JSON null is NULL */
        put(r, "NULLIF("), expr(r, x), put(r, " -> ");
        if (cls(ty(k)) == K_INT)
            json_index(r, k);
        else
            expr(r, k);
        put(r, ", 'null'::jsonb)");
    }
}

/* size / array_size / cardinality / map_size (maps are arrays of pairs). */
static void f_size(pg *r, const sl_expr *e)
{
    put(r, "CAST(jsonb_array_length("), expr(r, arg(e, 0)), put(r, ") AS bigint)");
}

/* array_contains(a, v) / map_contains_key(m, k): a NULL probe finds a NULL element. */
static void f_contains(pg *r, const sl_expr *e)
{
    const sl_expr *x = arg(e, 0), *v = arg(e, 1);
    bool map = ty(x).id == SL_MAP;
    sl_type et = sl_type_sub(&(sl_type){ty(x).id, 0, 0, 0, ty(x).len})->t[0];
    sl_datum d;
    put(r, "(CASE WHEN "), expr(r, x), put(r, " IS NULL THEN NULL ELSE EXISTS (SELECT 1 FROM ");
    put(r, "jsonb_array_elements("), expr(r, x), put(r, ") AS __a(__e) WHERE ");
    if (sl_expr_kind_of(v) == SL_E_LIT && !sl_expr_lit(v, &d)) {
        put(r, map ? "__e -> 0 = 'null'::jsonb" : "__e = 'null'::jsonb");
    } else {
        open_typed(r, et), put(r, map ? "__e -> 0" : "__e"), close_typed(r, et);
        put(r, " = "), expr(r, v);
    }
    put(r, ") END)");
}

/* ---- issue 20's functions with a faithful PostgreSQL spelling (the others are computed
 * after PostgreSQL in the SELECT list, see sl__pg_render_plan) ---------------------------- */

/* x IS NULL for any argument: the CASE guard Doris's NULL rule needs where PostgreSQL's
 * function would skip or mishandle a NULL. */
static void any_null(pg *r, const sl_expr *e)
{
    for (size_t i = 0; i < sl_expr_n_args(e); i++) {
        if (i)
            put(r, " OR ");
        expr(r, arg(e, i)), put(r, " IS NULL");
    }
}

static void f_instr(pg *r, const sl_expr *e)
{
    bool locate = strcmp(sl_expr_func_name(e), "instr") != 0;
    if (sl_expr_n_args(e) > 2) {
        refuse(r, "locate with a start position");
        return;
    }
    put(r, "CAST(strpos("), expr(r, arg(e, locate ? 1 : 0)), put(r, ", ");
    expr(r, arg(e, locate ? 0 : 1)), put(r, ") AS integer)");
}

static void f_affix(pg *r, const sl_expr *e)
{
    bool starts = strcmp(sl_expr_func_name(e), "starts_with") == 0;
    put(r, starts ? "(left(" : "(right("), expr(r, arg(e, 0)), put(r, ", char_length(");
    expr(r, arg(e, 1)), put(r, ")) = "), expr(r, arg(e, 1)), put(r, ")");
}

static void f_simple(pg *r, const sl_expr *e)
{
    static const struct {
        const char *fn, *pg;
    } map[] = {{"reverse", "reverse"}, {"pi", "pi"}, {"sin", "sin"}, {"cos", "cos"},
               {"tan", "tan"}, {"atan2", "atan2"}, {"cbrt", "cbrt"}};
    const char *fn = sl_expr_func_name(e);
    for (size_t k = 0; k < SL_COUNT(map); k++)
        if (strcmp(fn, map[k].fn) == 0) {
            sl_buf_printf(r->b, "%s(", map[k].pg), list(r, e, 0, ", "), put(r, ")");
            return;
        }
}

static void f_repeat(pg *r, const sl_expr *e)
{
    bool space = strcmp(sl_expr_func_name(e), "space") == 0;
    const sl_expr *n = arg(e, space ? 0 : 1);
    put(r, "(CASE WHEN "), expr(r, n), put(r, " > 1048576 THEN NULL ELSE repeat(");
    if (space)
        put(r, "' '");
    else
        expr(r, arg(e, 0));
    put(r, ", "), int_arg(r, n), put(r, ") END)");
}

/* ascii: the first byte (PostgreSQL's ascii() is the first character's code point). */
static void f_ascii(pg *r, const sl_expr *e)
{
    const sl_expr *s = arg(e, 0);
    put(r, "(CASE WHEN "), expr(r, s), put(r, " = '' THEN 0 ELSE get_byte(convert_to(");
    expr(r, s), put(r, ", 'UTF8'), 0) END)");
}

static void f_hex(pg *r, const sl_expr *e)
{
    const sl_expr *x = arg(e, 0);
    if (cls(ty(x)) == K_INT)
        put(r, "upper(to_hex("), expr(r, x), put(r, "))");
    else
        put(r, "upper(encode(convert_to("), expr(r, x), put(r, ", 'UTF8'), 'hex'))");
}

static void f_to_base64(pg *r, const sl_expr *e)
{
    put(r, "translate(encode(convert_to("), expr(r, arg(e, 0));
    put(r, ", 'UTF8'), 'base64'), E'\\n', '')");
}

static void f_strcmp(pg *r, const sl_expr *e)
{
    put(r, "CAST((CASE WHEN "), any_null(r, e), put(r, " THEN NULL WHEN "), ordered(r, arg(e, 0));
    put(r, " < "), expr(r, arg(e, 1)), put(r, " THEN -1 WHEN "), ordered(r, arg(e, 0));
    put(r, " > "), expr(r, arg(e, 1)), put(r, " THEN 1 ELSE 0 END) AS smallint)");
}

static void f_sign(pg *r, const sl_expr *e)
{
    put(r, "CAST(sign("), expr(r, arg(e, 0)), put(r, ") AS smallint)");
}

/* greatest / least: NULL when any argument is (PostgreSQL's skip NULLs). */
static void f_extreme(pg *r, const sl_expr *e)
{
    bool text = cls(ty(e)) == K_TEXT;
    put(r, "(CASE WHEN "), any_null(r, e), put(r, " THEN NULL ELSE ");
    put(r, strcmp(sl_expr_func_name(e), "greatest") == 0 ? "GREATEST(" : "LEAST(");
    for (size_t i = 0; i < sl_expr_n_args(e); i++) {
        if (i)
            put(r, ", ");
        expr(r, arg(e, i));
        if (text)
            put(r, " COLLATE \"C\"");
    }
    put(r, ") END)");
}

static void f_bits(pg *r, const sl_expr *e)
{
    const char *fn = sl_expr_func_name(e);
    if (strcmp(fn, "bitnot") == 0) {
        put(r, "(~ "), expr(r, arg(e, 0)), put(r, ")");
        return;
    }
    put(r, "("), expr(r, arg(e, 0));
    put(r, strcmp(fn, "bitand") == 0 ? " & " : strcmp(fn, "bitor") == 0 ? " | " : " # ");
    expr(r, arg(e, 1)), put(r, ")");
}

static void f_last_day(pg *r, const sl_expr *e)
{
    put(r, "CAST(date_trunc('month', "), expr(r, arg(e, 0));
    put(r, ") + INTERVAL '1 month' - INTERVAL '1 day' AS date)");
}

static void f_to_days(pg *r, const sl_expr *e)
{
    put(r, "(CAST("), expr(r, arg(e, 0)), put(r, " AS date) - DATE '0001-01-01' + 366)");
}

static void f_date_trunc(pg *r, const sl_expr *e)
{
    static const char *const units[] = {"year", "quarter", "month", "week", "day", "hour",
                                        "minute", "second"};
    sl_datum u;
    size_t dt = sl_expr_kind_of(arg(e, 0)) == SL_E_LIT && cls(ty(arg(e, 0))) == K_TEXT ? 1 : 0;
    const sl_expr *ue = arg(e, 1 - dt);
    size_t k = 0;
    if (sl_expr_kind_of(ue) != SL_E_LIT || !sl_expr_lit(ue, &u)) {
        refuse(r, "date_trunc with a computed unit");
        return;
    }
    while (k < SL_COUNT(units) && !sl_slice_ieq((sl_slice){u.s.p, u.s.n}, units[k]))
        k++;
    if (k == SL_COUNT(units)) {
        refuse(r, "date_trunc with this unit");
        return;
    }
    sl_buf_printf(r->b, "CAST(date_trunc('%s', CAST(", units[k]);
    expr(r, arg(e, dt));
    sl_buf_printf(r->b, " AS timestamp)) AS %s)", ty(e).id == SL_DATE ? "date" : "timestamp");
}

static void f_date_field(pg *r, const sl_expr *e)
{
    const char *fn = sl_expr_func_name(e);
    if (strcmp(fn, "weekofyear") == 0)
        put(r, "CAST(extract(week from "), expr(r, arg(e, 0)), put(r, ") AS integer)");
    else if (strcmp(fn, "microsecond") == 0)
        put(r, "(CAST(extract(microseconds from "), expr(r, arg(e, 0)),
            put(r, ") AS integer) % 1000000)");
    else
        sl_buf_printf(r->b, "to_char("), expr(r, arg(e, 0)),
            put(r, strcmp(fn, "monthname") == 0 ? ", 'FMMonth')" : ", 'FMDay')");
}

/* days_diff(a, b) & co: whole units of a - b, truncated toward zero (exact: extract gives
 * numeric since PostgreSQL 14). */
static void f_unit_diff(pg *r, const sl_expr *e)
{
    static const struct {
        const char *fn;
        long per;
    } map[] = {{"weeks_diff", 604800}, {"days_diff", 86400}, {"hours_diff", 3600},
               {"minutes_diff", 60}, {"seconds_diff", 1}};
    const char *fn = sl_expr_func_name(e);
    for (size_t k = 0; k < SL_COUNT(map); k++)
        if (strcmp(fn, map[k].fn) == 0) {
            put(r, "CAST(trunc(extract(epoch from ("), expr(r, arg(e, 0)), put(r, " - ");
            expr(r, arg(e, 1)), sl_buf_printf(r->b, ")) / %ld) AS bigint)", map[k].per);
            return;
        }
}

typedef void (*pg_fn)(pg *r, const sl_expr *e);

static const struct {
    const char *name;
    pg_fn fn;
} fns[] = {
    {"concat", f_concat},       {"concat_ws", f_concat_ws},   {"substr", f_substr},
    {"substring", f_substr},    {"mid", f_substr},            {"left", f_side},
    {"strleft", f_side},        {"right", f_side},            {"strright", f_side},
    {"trim", f_trim},           {"ltrim", f_trim},            {"rtrim", f_trim},
    {"length", f_length},       {"char_length", f_length},    {"character_length", f_length},
    {"upper", f_case},          {"ucase", f_case},            {"lower", f_case},
    {"lcase", f_case},          {"replace", f_replace},       {"split_part", f_split_part},
    {"lpad", f_pad},            {"rpad", f_pad},              {"md5", f_digest},
    {"sha2", f_digest},         {"year", f_part},             {"month", f_part},
    {"day", f_part},            {"dayofmonth", f_part},       {"hour", f_part},
    {"minute", f_part},         {"second", f_part},           {"dayofweek", f_part},
    {"dayofyear", f_part},      {"quarter", f_part},          {"weekday", f_part},
    {"to_date", f_to_date},     {"date", f_to_date},          {"datediff", f_datediff},
    {"date_format", f_date_format}, {"from_unixtime", f_from_unixtime},
    {"unix_timestamp", f_unix_timestamp}, {"now", f_now},     {"current_timestamp", f_now},
    {"localtime", f_now},       {"localtimestamp", f_now},    {"sysdate", f_now},
    {"curdate", f_now},         {"current_date", f_now},      {"abs", f_abs},
    {"floor", f_rounding},      {"ceil", f_rounding},         {"ceiling", f_rounding},
    {"round", f_rounding},      {"mod", f_mod},               {"pow", f_double},
    {"power", f_double},        {"sqrt", f_double},           {"ln", f_double},
    {"log10", f_double},        {"exp", f_double},            {"if", f_cond},
    {"ifnull", f_cond},         {"nvl", f_cond},              {"coalesce", f_cond},
    {"nullif", f_cond},         {"element_at", f_elem},       {"struct_element", f_elem},
    {"size", f_size},           {"array_size", f_size},       {"cardinality", f_size},
    {"map_size", f_size},       {"array_contains", f_contains},
    {"map_contains_key", f_contains},
    {"instr", f_instr},         {"locate", f_instr},          {"position", f_instr},
    {"starts_with", f_affix},   {"ends_with", f_affix},       {"reverse", f_simple},
    {"repeat", f_repeat},       {"space", f_repeat},          {"ascii", f_ascii},
    {"hex", f_hex},             {"to_base64", f_to_base64},   {"strcmp", f_strcmp},
    {"sign", f_sign},           {"greatest", f_extreme},      {"least", f_extreme},
    {"pi", f_simple},           {"sin", f_simple},            {"cos", f_simple},
    {"tan", f_simple},          {"atan2", f_simple},          {"cbrt", f_simple},
    {"bitand", f_bits},         {"bitor", f_bits},            {"bitxor", f_bits},
    {"bitnot", f_bits},         {"last_day", f_last_day},     {"to_days", f_to_days},
    {"date_trunc", f_date_trunc}, {"weekofyear", f_date_field}, {"microsecond", f_date_field},
    {"monthname", f_date_field}, {"dayname", f_date_field},   {"weeks_diff", f_unit_diff},
    {"days_diff", f_unit_diff}, {"hours_diff", f_unit_diff},  {"minutes_diff", f_unit_diff},
    {"seconds_diff", f_unit_diff},
};

static void call(pg *r, const sl_expr *e)
{
    const char *fn = sl_expr_func_name(e);
    char what[96];
    for (size_t k = 0; k < SL_COUNT(fns); k++)
        if (strcmp(fn, fns[k].name) == 0) {
            fns[k].fn(r, e);
            return;
        }
    static const char *const adds[] = {"date_add", "date_sub", "adddate", "subdate",
                                        "years_", "months_", "weeks_", "days_", "hours_",
                                        "minutes_", "seconds_", "quarters_", "milliseconds_",
                                        "microseconds_"};
    for (size_t k = 0; k < SL_COUNT(adds); k++) /* the ADD entries of func_time.c */
        if (strncmp(fn, adds[k], strlen(adds[k])) == 0 &&
            (k < 4 || strcmp(fn + strlen(adds[k]), "add") == 0 ||
             strcmp(fn + strlen(adds[k]), "sub") == 0)) {
            f_date_add(r, e);
            return;
        }
    snprintf(what, sizeof what, "function %s", fn); /* str_to_date: the engine's own parsing */
    refuse(r, what);
}

/* ---- aggregates ---------------------------------------------------------------------------------- */

static void agg_sum_avg(pg *r, const sl_expr *e, const char *dist)
{
    const sl_expr *x = arg(e, 0);
    int k = cls(ty(x));
    char tb[40];
    if (sl_expr_op(e) == SL_QA_SUM) {
        sl_buf_printf(r->b, "CAST(sum(%s", dist), expr(r, x);
        if (k == K_BOOL)
            put(r, "::integer");
        sl_buf_printf(r->b, ") AS %s)", pgtype(ty(e), tb));
        return;
    }
    if (k == K_DEC) { /* Doris: the sum scaled to the result, divided, truncated */
        unsigned rs = ty(e).scale;
        sl_buf_printf(r->b, "CAST(div(sum(%s", dist), expr(r, x);
        sl_buf_printf(r->b, ") * CAST('1e%u' AS numeric), count(%s", rs, dist), expr(r, x);
        sl_buf_printf(r->b, ")) * CAST('1e-%u' AS numeric) AS %s)", rs, pgtype(ty(e), tb));
    } else if (k == K_FLOAT) {
        sl_buf_printf(r->b, "avg(%sCAST(", dist), expr(r, x), put(r, " AS double precision))");
    } else { /* integers: the exact sum in DOUBLE over the count, as the engine */
        sl_buf_printf(r->b, "(CAST(sum(%s", dist), expr(r, x);
        sl_buf_printf(r->b, "%s) AS double precision) / count(%s", k == K_BOOL ? "::integer" : "",
                      dist);
        expr(r, x), put(r, "))");
    }
}

static void aggregate(pg *r, const sl_expr *e)
{
    const char *dist = sl_expr_distinct(e) ? "DISTINCT " : "";
    const sl_expr *x = sl_expr_n_args(e) ? arg(e, 0) : NULL;
    sl_datum sep;
    switch (sl_expr_op(e)) {
    case SL_QA_COUNT:
        if (x == NULL)
            put(r, "count(*)");
        else
            sl_buf_printf(r->b, "count(%s", dist), expr(r, x), put(r, ")");
        return;
    case SL_QA_SUM:
    case SL_QA_AVG: agg_sum_avg(r, e, dist); return;
    case SL_QA_MIN:
    case SL_QA_MAX:
        put(r, sl_expr_op(e) == SL_QA_MIN ? "min(" : "max(");
        if (cls(ty(x)) == K_BOOL)
            put(r, "CAST("), expr(r, x), put(r, " AS integer)) <> 0");
        else
            ordered(r, x), put(r, ")");
        return;
    case SL_QA_GROUP_CONCAT:
        sl_buf_printf(r->b, "string_agg(%s", dist), expr(r, x), put(r, ", ");
        if (sl_expr_n_args(e) > 1 && sl_expr_lit(arg(e, 1), &sep))
            text_lit(r, sep.s.p ? sep.s.p : "", sep.s.n);
        else if (sl_expr_n_args(e) > 1)
            put(r, "CAST(NULL AS text)");
        else
            put(r, "', '");
        put(r, ")");
        return;
    case SL_QA_BITMAP_UNION: case SL_QA_BITMAP_UNION_COUNT: case SL_QA_HLL_UNION:
    case SL_QA_HLL_UNION_AGG: case SL_QA_NDV:
        refuse(r, "this BITMAP / HLL aggregate outside the select list");
        return;
    default: {
        static const char *const names[] = {[SL_QA_STDDEV_POP] = "stddev_pop",
                                            [SL_QA_STDDEV_SAMP] = "stddev_samp",
                                            [SL_QA_VAR_POP] = "var_pop",
                                            [SL_QA_VAR_SAMP] = "var_samp",
                                            [SL_QA_BIT_AND] = "bit_and",
                                            [SL_QA_BIT_OR] = "bit_or",
                                            [SL_QA_BIT_XOR] = "bit_xor"};
        sl_buf_printf(r->b, "%s(%s", names[sl_expr_op(e)], dist), expr(r, x), put(r, ")");
    }
    }
}

/* ---- expressions and the statement ------------------------------------------------------------------ */

static void column(pg *r, const sl_expr *e)
{
    const sl_tabledef *def = r->sel->def;
    long c = sl_expr_col(e);
    if (def == NULL || c < 0 || (size_t)c >= def->n_cols) {
        if (r->rc == SL_OK)
            r->rc = sl_fail(r->err, SL_INTERNAL, "column reference outside the table");
        return;
    }
    bool json = def->cols[c].type.id == SL_JSON;
    put(r, json ? "CAST(\"" : "\"");
    for (size_t i = 0; i < def->cols[c].name.n; i++) {
        char ch = def->cols[c].name.p[i];
        sl_buf_append(r->b, ch == '"' ? "\"\"" : &ch, ch == '"' ? 2 : 1);
    }
    put(r, json ? "\" AS text)" : "\"");
}

static void expr(pg *r, const sl_expr *e)
{
    if (r->rc != SL_OK)
        return;
    if (r->b->len > SL_PG_MAX_SQL) {
        refuse(r, "an expression this deeply nested");
        return;
    }
    switch (sl_expr_kind_of(e)) {
    case SL_E_LIT: lit(r, e); break;
    case SL_E_COL: column(r, e); break;
    case SL_E_NOT: put(r, "(NOT "), expr(r, arg(e, 0)), put(r, ")"); break;
    case SL_E_NEG: put(r, "(- "), expr(r, arg(e, 0)), put(r, ")"); break;
    case SL_E_AND: put(r, "("), list(r, e, 0, " AND "), put(r, ")"); break;
    case SL_E_OR: put(r, "("), list(r, e, 0, " OR "), put(r, ")"); break;
    case SL_E_BIN: binary(r, e); break;
    case SL_E_CASE: case_(r, e); break;
    case SL_E_CAST: cast_node(r, e); break;
    case SL_E_CALL: call(r, e); break;
    case SL_E_AGG: aggregate(r, e); break;
    case SL_E_INTERVAL: refuse(r, "INTERVAL outside date_add"); break;
    default: predicate(r, e); break;
    }
}

static void where_group(pg *r, const sl_select *sel)
{
    bool filter = sel->having && !sel->aggregate; /* HAVING of a plain query filters rows */
    if (sel->where || filter) {
        put(r, " WHERE ");
        if (sel->where)
            expr(r, sel->where);
        if (sel->where && filter)
            put(r, " AND ");
        if (filter)
            expr(r, sel->having);
    }
    size_t k = 0;
    for (size_t i = 0; i < sel->n_group; i++) {
        if (sl_expr_kind_of(sel->group[i]) == SL_E_LIT)
            continue; /* a constant groups nothing (and PostgreSQL reads 1 as a position) */
        put(r, k++ ? ", " : " GROUP BY ");
        expr(r, sel->group[i]);
    }
    if (k == 0 && sel->n_group)
        put(r, " GROUP BY (1 = 1)");
    if (sel->having && sel->aggregate)
        put(r, " HAVING "), expr(r, sel->having);
}

/* ORDER BY: a term that is a result column by its position (so that DISTINCT accepts it and
 * text sorts as the column does), Doris's NULL order made explicit. */
static void order_limit(pg *r, const sl_select *sel)
{
    size_t k = 0;
    for (size_t i = 0; i < sel->n_order; i++) {
        const sl_selorder *o = &sel->order[i];
        size_t pos = 0;
        if (sl_expr_kind_of(o->expr) == SL_E_LIT)
            continue;
        put(r, k++ ? ", " : " ORDER BY ");
        while (pos < sel->n_out && !sl_expr_same(o->expr, sel->out[pos].expr))
            pos++;
        if (pos < sel->n_out && r->plan && r->plan->post[pos])
            refuse(r, "ORDER BY a result that PostgreSQL does not compute");
        else if (pos < sel->n_out)
            sl_buf_printf(r->b, "%zu", (r->plan ? r->plan->first[pos] : pos) + 1);
        else
            ordered(r, o->expr);
        bool first = o->nulls ? o->nulls == 1 : !o->desc;
        put(r, o->desc ? " DESC" : " ASC");
        put(r, first ? " NULLS FIRST" : " NULLS LAST");
    }
    if (sel->has_limit) /* PostgreSQL's counts are BIGINT */
        sl_buf_printf(r->b, " LIMIT %lld OFFSET %lld",
                      (long long)(sel->limit > INT64_MAX ? INT64_MAX : sel->limit),
                      (long long)(sel->offset > INT64_MAX ? INT64_MAX : sel->offset));
}

static void ident(pg *r, sl_slice s)
{
    put(r, "\"");
    for (size_t i = 0; i < s.n; i++)
        sl_buf_append(r->b, s.p[i] == '"' ? "\"\"" : &s.p[i], s.p[i] == '"' ? 2 : 1);
    put(r, "\"");
}

static bool is_hole(const sl_expr *n, void *arg)
{
    (void)arg;
    return sl_expr_kind_of(n) == SL_E_COL || sl_expr_kind_of(n) == SL_E_AGG;
}

static bool folded_agg(const sl_expr *e)
{
    return sl_expr_kind_of(e) == SL_E_AGG && sl_expr_op(e) >= SL_QA_BITMAP_UNION;
}

/* Output i computed by sluice: its holes as result columns from plan->n_res on. */
static void post_eval(pg *r, const sl_expr *e, size_t i, sl_arena_t *a, sl_pg_plan *plan)
{
    sl_expr *copy;
    const sl_expr **holes;
    size_t n;
    if ((r->rc = sl_expr_detach(e, is_hole, NULL, a, &copy, &holes, &n, r->err)) != SL_OK)
        return;
    plan->post[i] = copy, plan->first[i] = plan->n_res, plan->n_holes[i] = n;
    plan->any_post = true;
    for (size_t k = 0; k < n || (k == 0 && n == 0); k++) {
        size_t c = plan->n_res++;
        if (k)
            put(r, ", ");
        plan->res_agg[c] = NULL;
        if (n == 0) { /* no holes: a placeholder column */
            plan->res_type[c] = sl_expr_type(e), put(r, "NULL");
            break;
        }
        plan->res_type[c] = sl_expr_type(holes[k]);
        if (folded_agg(holes[k])) {
            plan->res_agg[c] = holes[k];
            put(r, "array_agg("), expr(r, arg(holes[k], 0)), put(r, ")");
        } else {
            ordered(r, holes[k]);
        }
    }
}

/* The select list; an output PostgreSQL cannot compute goes to post_eval when there is a
 * plan to record it. */
static void select_list(pg *r, const sl_select *sel, sl_arena_t *a, sl_pg_plan *plan)
{
    for (size_t i = 0; i < sel->n_out && r->rc == SL_OK; i++) {
        if (i)
            put(r, ", ");
        size_t mark = r->b->len;
        ordered(r, sel->out[i].expr);
        if (plan == NULL)
            continue;
        if (r->rc == SL_INVALID_SQL && !sel->distinct) {
            r->rc = SL_OK, r->b->len = mark;
            post_eval(r, sel->out[i].expr, i, a, plan);
            continue;
        }
        plan->post[i] = NULL, plan->first[i] = plan->n_res, plan->n_holes[i] = 1;
        plan->res_type[plan->n_res] = sel->out[i].type;
        plan->res_agg[plan->n_res++] = NULL;
    }
}

static size_t count_nodes(const sl_expr *e)
{
    size_t n = 1;
    for (size_t i = 0; i < sl_expr_n_args(e); i++)
        n += count_nodes(sl_expr_arg(e, i));
    return n;
}

static sl_code plan_init(const sl_select *sel, sl_arena_t *a, sl_pg_plan *plan, sl_err *err)
{
    size_t cap = 1;
    for (size_t i = 0; i < sel->n_out; i++) /* holes are at most the nodes of the trees */
        cap += 2u * count_nodes(sel->out[i].expr);
    memset(plan, 0, sizeof *plan);
    plan->res_type = sl_arena_alloc(a, cap * sizeof *plan->res_type);
    plan->res_agg = sl_arena_alloc(a, cap * sizeof *plan->res_agg);
    plan->post = sl_arena_alloc(a, (sel->n_out + 1) * sizeof *plan->post);
    plan->first = sl_arena_alloc(a, (sel->n_out + 1) * sizeof *plan->first);
    plan->n_holes = sl_arena_alloc(a, (sel->n_out + 1) * sizeof *plan->n_holes);
    if (!plan->res_type || !plan->res_agg || !plan->post || !plan->first || !plan->n_holes)
        return sl_fail(err, SL_NOMEM, "out of memory rendering a query");
    return SL_OK;
}

sl_code sl__pg_render(const sl_select *sel, const sl_etable *t, sl_buf *sql, sl_err *err)
{
    return sl__pg_render_plan(sel, t, sql, NULL, NULL, err);
}

sl_code sl__pg_render_plan(const sl_select *sel, const sl_etable *t, sl_buf *sql, sl_arena_t *a,
                           sl_pg_plan *plan, sl_err *err)
{
    pg r = {sel, sql, err, SL_OK, NULL};
    if (!sel->bound)
        return sl_fail(err, SL_INTERNAL, "query rendered before it was checked");
    if ((t == NULL) != (sel->def == NULL))
        return sl_fail(err, SL_INTERNAL, "query rendered against another table");
    if (plan && (r.rc = plan_init(sel, a, plan, err)) != SL_OK)
        return r.rc;
    r.plan = plan;
    put(&r, sel->distinct ? "SELECT DISTINCT " : "SELECT ");
    select_list(&r, sel, a, plan);
    if (t)
        put(&r, " FROM "), ident(&r, t->db), put(&r, "."), ident(&r, t->name);
    where_group(&r, sel);
    order_limit(&r, sel);
    if (r.rc == SL_OK && sql->oom)
        r.rc = sl_fail(err, SL_NOMEM, "out of memory rendering a query");
    return r.rc;
}
