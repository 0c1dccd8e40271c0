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

/* The plan of a SELECT some of whose output expressions sluice computes after PostgreSQL
 * returns their parts: outputs involving ARRAY, MAP, STRUCT, VARIANT, BITMAP or HLL values that
 * PostgreSQL has no spelling for, and the BITMAP / HLL aggregates (other refusals stand).
 * Such an output is detached (sl_expr_detach) at its columns and aggregates, the holes, which
 * PostgreSQL returns as result columns; a BITMAP or HLL aggregate's hole is
 * array_agg(argument), folded by the aggregate's accumulator (agg.c). Only output expressions: a WHERE, GROUP BY, HAVING or
 * ORDER BY term that needs it is refused as before, and so is a SELECT DISTINCT. */
typedef struct sl_pg_plan {
    size_t n_res;            /* columns of the rendered SELECT */
    sl_type *res_type;       /* per result column: its type (a folded aggregate: the
                                aggregate's result type) */
    const sl_expr **res_agg; /* per result column: the aggregate whose array_agg it holds, or
                                NULL */
    const sl_expr **post;    /* per output: NULL (it is result column first[i]) or its detached
                                expression, hole k being result column first[i] + k */
    size_t *first;
    size_t *n_holes;
    bool any_post;           /* some output is computed by sluice */
} sl_pg_plan;

/* sl__pg_render with the fallback above; the plan's arrays live in a. */
sl_code sl__pg_render_plan(const sl_select *sel, const sl_etable *t, sl_buf *sql, sl_arena_t *a,
                           sl_pg_plan *plan, sl_err *err);

#endif
