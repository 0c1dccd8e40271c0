/*
 * render.h - the PostgreSQL engine's SELECT renderer (store stage, inside src/store/postgres/
 * only; the engine's query path calls it). Kept apart from the engine's internal.h so that the
 * renderer and the engine can be written side by side; the engine may fold it in.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_PG_RENDER_H
#define SL_PG_RENDER_H

#include "../../core/buf.h"
#include "../engine.h"

/* Append to sql the PostgreSQL text of sel, bound (sl_select_bind) against t->def, over
 * "db"."table" (t NULL: a SELECT without FROM) with the column types of docs/postgres.md
 * (store-design: TINYINT/SMALLINT smallint, INT integer, BIGINT bigint, LARGEINT numeric(39,0),
 * FLOAT real, DOUBLE double precision, DECIMAL numeric(p,s), DATE date, DATETIME(p)
 * timestamp(p), BOOLEAN boolean, CHAR/VARCHAR varchar, STRING text, JSON jsonb). Result column
 * i is sel->out[i], in the PostgreSQL type of its sluice type (JSON as text), text compared
 * and sorted byte-wise (COLLATE "C") as Doris does.
 *
 * Every operator and function renders with Doris's semantics (integer division, NULL on
 * division by zero, concat's NULL rule, date_format's specifiers through to_char, ...); where
 * PostgreSQL has no faithful rendering the statement is refused with SL_INVALID_SQL "<what> is
 * not supported on the PostgreSQL store" rather than answered differently. Remaining
 * differences are errors, not answers: PostgreSQL raises "out of range" where Doris returns NULL
 * for an overflowing BIGINT or DECIMAL, for pow/exp overflow, and for results of string
 * functions past Doris's 1 MiB limit. Literals are written inline (text with a NUL byte, which
 * PostgreSQL cannot hold, is refused). SL_NOMEM when sql runs out of memory.
 *
 * For the engine that runs it: the session needs standard_conforming_strings = on (the default),
 * DateStyle ISO and extra_float_digits >= 1 (the default since PostgreSQL 12); result column i
 * then decodes as sel->out[i].type from its text form (boolean t/f, LARGEINT and DECIMAL as
 * numeric text, ISO dates and timestamps, shortest round-trip doubles). The query's limits
 * (rows, bytes, one value's size, timeout) are the engine's to apply while it reads rows. */
sl_code sl__pg_render(const sl_select *sel, const sl_etable *t, sl_buf *sql, sl_err *err);

/* A result column PostgreSQL cannot compute with Doris's meaning (a function without a
 * faithful spelling, e.g. get_json_string, murmur_hash3_32): PostgreSQL returns its holes (the
 * columns and aggregates it reads) and the expression engine computes it per row from them,
 * as the SQLite engine does through its functions. */
typedef struct sl_pg_post {
    const sl_expr *e;          /* detached tree: column k is hole k (sl_expr_detach) */
    size_t first;              /* PostgreSQL column of hole 0; the holes are consecutive */
    size_t n_holes;
    sl_type *types;            /* per hole */
} sl_pg_post;

/* How the rendered SELECT's columns make the result columns. */
typedef struct sl_pg_plan {
    size_t n_pg;               /* columns of the rendered SELECT */
    long *col;                 /* per result column: its PostgreSQL column, or -1: post[i] */
    sl_pg_post *post;          /* per result column */
} sl_pg_plan;

/* sl__pg_render, except that a result column of the SELECT list with no faithful rendering is
 * computed after PostgreSQL (plan->post) instead of refused, unless the query is DISTINCT (its
 * rows would be compared before the value exists). WHERE, GROUP BY, HAVING and ORDER BY still
 * render natively or refuse. The plan lives in a. */
sl_code sl__pg_render_plan(const sl_select *sel, const sl_etable *t, sl_arena_t *a,
                           sl_pg_plan *plan, sl_buf *sql, sl_err *err);

/* Result row values from one PostgreSQL row by plan: cells[k] / lens[k] / nulls[k] are column
 * k's text; out[i] is result column i in its physical form (text borrows the cells or lives in
 * a, which the caller resets per row). The error of a computed column as the engine's. */
sl_code sl__pg_plan_row(const sl_select *sel, const sl_pg_plan *plan, const char *const *cells,
                        const size_t *lens, const bool *nulls, sl_arena_t *a, sl_qval *out,
                        sl_err *err);

#endif
