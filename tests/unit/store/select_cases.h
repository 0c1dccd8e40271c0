/*
 * select_cases.h - the shared SELECT cases of tests/data/sql/select_cases.txt for the engine
 * tests (test_sqlite_render.c, test_pg_render.c; the e2e test_select.py reads the same file):
 * the file's table and rows, its cases, and the one text form results are compared in.
 *
 * File format (one directive per line, # comments):
 *   @table <CREATE TABLE ...>        the table (named t), once, before the rows
 *   @row v1|v2|...                   one row, values as a load reads them, \N for NULL
 *   @case <name>                     a case: the SQL lines follow, then one expectation:
 *   => r1c1|r1c2;r2c1|r2c2           the rows (empty after "=>": no rows), or
 *   !> text                          an error whose message contains text
 *   @only sqlite|postgres            (after @case) the case runs on that engine only
 * Values print as the SQL API shows them: DECIMAL at its scale, DATE/DATETIME text at the
 * column's precision, BOOLEAN true/false, DOUBLE shortest, FLOAT as a float, NULL \N.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_TEST_SELECT_CASES_H
#define SL_TEST_SELECT_CASES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch/convert.h"
#include "core/buf.h"

typedef struct sc_case {
    char name[128];
    char sql[4096];
    char want[4096];
    bool error;             /* want is an error substring */
    char only[16];          /* "" or an engine name */
} sc_case;

typedef struct sc_file {
    char table[2048];
    char rows[64][1024];
    size_t n_rows;
    sc_case cases[512];
    size_t n_cases;
} sc_file;

static FILE *sc_open(const char *rel)
{
    char path[1024];
    FILE *f = fopen(rel, "r");
    if (f)
        return f;
    const char *src = __FILE__, *cut = strstr(src, "tests/unit/");
    snprintf(path, sizeof path, "%.*s%s", cut ? (int)(cut - src) : 0, src, rel);
    return fopen(path, "r");
}

static void sc_chomp(char *s)
{
    s[strcspn(s, "\r\n")] = '\0';
}

/* Copy src into dst of cap bytes, cut if longer. */
static void sc_copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Read the file; false when it cannot be opened or is malformed. */
static bool sc_load(sc_file *F)
{
    FILE *f = sc_open("tests/data/sql/select_cases.txt");
    char line[4096];
    sc_case *c = NULL;
    if (f == NULL)
        return false;
    memset(F, 0, sizeof *F);
    while (fgets(line, sizeof line, f)) {
        sc_chomp(line);
        if (line[0] == '#' || line[0] == '\0')
            continue;
        if (strncmp(line, "@table ", 7) == 0) {
            sc_copy(F->table, sizeof F->table, line + 7);
        } else if (strncmp(line, "@row ", 5) == 0 && F->n_rows < 64) {
            sc_copy(F->rows[F->n_rows++], sizeof F->rows[0], line + 5);
        } else if (strncmp(line, "@case ", 6) == 0 && F->n_cases < 512) {
            c = &F->cases[F->n_cases++];
            sc_copy(c->name, sizeof c->name, line + 6);
        } else if (c && strncmp(line, "@only ", 6) == 0) {
            sc_copy(c->only, sizeof c->only, line + 6);
        } else if (c && (strncmp(line, "=>", 2) == 0 || strncmp(line, "!>", 2) == 0)) {
            c->error = line[0] == '!';
            sc_copy(c->want, sizeof c->want, line[2] == ' ' ? line + 3 : line + 2);
        } else if (c) {
            size_t n = strlen(c->sql);
            if (n && n + 1 < sizeof c->sql)
                c->sql[n++] = '\n', c->sql[n] = '\0';
            sc_copy(c->sql + n, sizeof c->sql - n, line);
        } else {
            fclose(f);
            return false;
        }
    }
    fclose(f);
    return F->table[0] && F->n_cases > 0;
}

/* Split row r of F at '|' into at most max fields (in place, in a copy). */
static size_t sc_fields(const char *row, char *copy, size_t cap, char **out, size_t max)
{
    size_t n = 0;
    sc_copy(copy, cap, row);
    for (char *p = copy; n < max;) {
        out[n++] = p;
        char *bar = strchr(p, '|');
        if (bar == NULL)
            break;
        *bar = '\0';
        p = bar + 1;
    }
    return n;
}

/* Append one value of type t in the case file's text form. */
static void sc_value(sl_buf *b, const sl_type *t, bool null, const sl_datum *v)
{
    char buf[96];
    if (null) {
        sl_buf_puts(b, "\\N");
        return;
    }
    switch ((sl_type_id)t->id) {
    case SL_BOOLEAN: sl_buf_puts(b, v->i ? "true" : "false"); return;
    case SL_TINYINT: case SL_SMALLINT: case SL_INT: case SL_BIGINT:
        sl_buf_printf(b, "%lld", (long long)v->i);
        return;
    case SL_LARGEINT: sl_format_i128(v->w, buf); break;
    case SL_DECIMAL: sl_format_decimal(v->w, t->scale, buf); break;
    case SL_FLOAT: sl_format_float((float)v->d, buf); break;
    case SL_DOUBLE: sl_format_double(v->d, buf); break;
    case SL_DATE: sl_format_date(v->i, buf); break;
    case SL_DATETIME: sl_format_datetime(v->i, t->precision, buf); break;
    default: sl_buf_append(b, v->s.p, v->s.n); return;
    }
    sl_buf_puts(b, buf);
}

#endif
