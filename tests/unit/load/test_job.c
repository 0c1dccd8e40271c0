/* Unit tests of the load job (src/load/job.c, mapper.c, errlog.c) over the real CSV decoder
 * and SQLite store: mapping, defaults, strict mode, ratio, partitions, chunking, and fault
 * injection (with -DSL_FAULT_INJECTION the n-th allocation fails; every n must give a correct
 * result or a clean SL_NOMEM).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "core/platform.h"

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "load/load.h"
#include "sql/sql.h"

static char dir[256], errdir[300];
static sl_job_env env;

static void mk(const char *ddl)
{
    sl_arena_t a;
    sl_arena_init(&a, 0);
    sl_stmt st;
    sl_err e = {0};
    cr_assert(eq(int, sl_sql_parse(ddl, strlen(ddl), &a, &st, &e), SL_OK), "%s", e.msg);
    cr_assert(eq(int, sl_store_create_table(env.store, SL_LIT("db"), st.table, sl_slice_of(ddl), false, &e), SL_OK), "%s", e.msg);
    sl_arena_free(&a);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/sl-job-XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
    snprintf(errdir, sizeof errdir, "%s/error_log", dir);
    sl_err e = {0};
    cr_assert(eq(int, sl_store_global_init(&e), SL_OK));
    sl_store_opts o = {.data_dir = dir};
    cr_assert(eq(int, sl_store_open(&o, &env.store, &e), SL_OK), "%s", e.msg);
    env.error_log_dir = errdir;
    cr_assert(eq(int, sl_store_create_db(env.store, SL_LIT("db"), false, &e), SL_OK));
    mk("CREATE TABLE t (k INT NOT NULL, v VARCHAR(4), n INT DEFAULT '5', "
       "d DATETIME DEFAULT CURRENT_TIMESTAMP) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1");
    mk("CREATE TABLE p (id INT, s STRING) PARTITION BY RANGE(id) (PARTITION a VALUES LESS THAN "
       "(\"10\"), PARTITION b VALUES [(\"20\"), (\"30\"))) DISTRIBUTED BY HASH(id) BUCKETS 1");
}

static void teardown(void)
{
    sl_store_close(env.store);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert(eq(int, system(cmd), 0));
}

TestSuite(job, .init = setup, .fini = teardown);

static void spec_init(sl_load_spec *s, const char *table, const char *label)
{
    memset(s, 0, sizeof *s);
    sl_decode_opts_default(&s->dopts);
    s->dopts.col_sep[0] = ',';
    s->db = SL_LIT("db");
    s->table = sl_slice_of(table);
    s->label = sl_slice_of(label);
    s->format = SL_LIT("csv");
}

/* Run a load of body in pieces of `step` bytes; returns the final code and fills *out. */
static sl_code run(const sl_load_spec *s, const char *body, size_t step, sl_load_result *out)
{
    sl_job *j;
    sl_code rc = sl_job_begin(&env, s, &j, out);
    if (rc != SL_OK)
        return rc;
    size_t n = strlen(body);
    for (size_t off = 0; off < n && rc == SL_OK; off += step)
        rc = sl_job_push(j, body + off, n - off < step ? n - off : step);
    rc = sl_job_finish(j);
    *out = *sl_job_result(j);
    sl_job_free(j);
    return rc;
}

Test(job, mapping_defaults_and_counters)
{
    sl_load_spec s;
    spec_init(&s, "t", "a");
    s.columns = SL_LIT("k, skip, v");
    s.max_filter_ratio = 1;
    sl_load_result r;
    const char *body = "1,x,ab\n2,y,abcdef\n\\N,z,c\n3,w\n4,q,d";
    for (size_t step = 1; step <= strlen(body); step += 7) {
        char label[16];
        snprintf(label, sizeof label, "a%zu", step);
        s.label = sl_slice_of(label);
        cr_assert(eq(int, run(&s, body, step, &r), SL_OK), "%s", r.err.msg);
        cr_assert(eq(u64, r.total, 5));
        cr_assert(eq(u64, r.loaded, 2));
        cr_assert(eq(u64, r.filtered, 3)); /* too long, NULL key, short row */
        cr_assert(r.error_log[0] != '\0');
        cr_assert(strstr(r.first_error, "too long") != NULL, "%s", r.first_error);
    }
}

Test(job, strict_mode_and_ratio)
{
    sl_load_spec s;
    spec_init(&s, "t", "s1");
    s.columns = SL_LIT("k, v, n");
    const char *body = "1,a,x\n2,b,3.5\n3,c,7\n";
    sl_load_result r;
    cr_assert(eq(int, run(&s, body, 4096, &r), SL_OK)); /* non-strict: x -> NULL, 3.5 -> 3 */
    cr_assert(eq(u64, r.loaded, 3));
    s.strict = true;
    s.label = SL_LIT("s2");
    cr_assert(eq(int, run(&s, body, 4096, &r), SL_REJECTED));
    cr_assert(eq(u64, r.filtered, 2));
    cr_assert(eq(u64, r.loaded, 0)); /* 0 whenever the load fails */
    cr_assert(eq(str, r.err.msg, "too many filtered rows"));
    s.label = SL_LIT("s3");
    s.max_filter_ratio = 0.7;
    cr_assert(eq(int, run(&s, body, 4096, &r), SL_OK));
    cr_assert(eq(u64, r.loaded, 1));
}

Test(job, partitions)
{
    sl_load_spec s;
    spec_init(&s, "p", "p1");
    s.max_filter_ratio = 1;
    sl_load_result r;
    cr_assert(eq(int, run(&s, "1,a\n15,b\n25,c\n35,d\n\\N,e\n", 3, &r), SL_OK));
    cr_assert(eq(u64, r.loaded, 3)); /* 1 and 25 route; NULL goes to the first partition */
    cr_assert(strstr(r.first_error, "no partition for this tuple") != NULL);
    s.label = SL_LIT("p2");
    s.partitions = SL_LIT("b");
    cr_assert(eq(int, run(&s, "1,a\n25,c\n", 100, &r), SL_OK));
    cr_assert(eq(u64, r.loaded, 1));
    s.label = SL_LIT("p3");
    s.partitions = SL_LIT("zz");
    cr_assert(eq(int, run(&s, "1,a\n", 100, &r), SL_INVALID));
}

Test(job, header_errors)
{
    sl_load_spec s;
    spec_init(&s, "t", "h1");
    sl_load_result r;
    s.columns = SL_LIT("k, v = upper(v)");
    cr_assert(eq(int, run(&s, "", 1, &r), SL_INVALID));
    spec_init(&s, "nope", "h2");
    cr_assert(eq(int, run(&s, "", 1, &r), SL_NOT_FOUND));
    spec_init(&s, "t", "h3");
    s.format = SL_LIT("parquet");
    cr_assert(eq(int, run(&s, "", 1, &r), SL_FORMAT));
}

Test(job, cancel_aborts)
{
    sl_load_spec s;
    spec_init(&s, "t", "c1");
    sl_job *j;
    sl_load_result r;
    cr_assert(eq(int, sl_job_begin(&env, &s, &j, &r), SL_OK));
    cr_assert(eq(int, sl_job_push(j, "1,a,1\n", 6), SL_OK));
    sl_err e = {0};
    sl_fail(&e, SL_TIMEOUT, "too slow");
    cr_assert(eq(int, sl_job_cancel(j, &e), SL_TIMEOUT));
    sl_job_free(j);
    sl_label_info li;
    cr_assert(eq(int, sl_store_label_state(env.store, SL_LIT("db"), SL_LIT("c1"), &li, &e), SL_OK));
    cr_assert(eq(int, li.state, SL_TXN_ABORTED));
}

#ifdef SL_FAULT_INJECTION
Test(job, every_allocation_failure_is_clean)
{
    sl_load_spec s;
    spec_init(&s, "t", "f");
    s.columns = SL_LIT("k, v, n");
    s.max_filter_ratio = 1;
    const char *body = "1,a,1\n2,b,2\nbad\n3,c,3\n";
    for (long n = 1; n < 400; n++) {
        char label[32];
        snprintf(label, sizeof label, "f%ld", n);
        s.label = sl_slice_of(label);
        sl_load_result r;
        sl_fault_arm(n);
        sl_code rc = run(&s, body, 5, &r);
        bool hit = sl_fault_hit();
        sl_fault_arm(0);
        if (!hit) {
            cr_assert(eq(int, rc, SL_OK));
            cr_assert(eq(u64, r.loaded, 3));
            return; /* every allocation of the load has been failed once */
        }
        cr_assert(rc == SL_OK || SL_PRIMARY(rc) == SL_NOMEM || rc == SL_BACKEND ||
                  rc == SL_INTERNAL, "n=%ld rc=%d %s", n, rc, r.err.msg);
        if (rc == SL_OK && r.loaded != 3)
            cr_fail("n=%ld: success with %llu rows loaded, %llu filtered (%s)", n,
                    (unsigned long long)r.loaded, (unsigned long long)r.filtered, r.first_error);
    }
    cr_fail("the load made more than 400 allocations");
}
#endif
