/*
 * test_metrics.c - unit tests of the metrics registry and its Prometheus text (src/proto/
 * metrics.c): label indexes, lock-free adds, histogram buckets (le is "less or equal"),
 * cumulative rendering with +Inf equal to _count, exact decimal seconds, escaping, and sparse
 * families that leave zero cells out.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../../../src/core/platform.h"

#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "../../../src/proto/metrics.c"

static char *render(sl_metrics *m, sl_buf *b)
{
    sl_buf_clear(b);
    sl__metrics_render(m, b);
    sl_buf_putc(b, '\0');
    return b->p;
}

Test(metrics, label_indexes)
{
    cr_assert(eq(sz, sl__metrics_protocol("doris"), SL_MP_DORIS));
    cr_assert(eq(sz, sl__metrics_protocol("yamcs"), SL_MP_YAMCS));
    cr_assert(eq(sz, sl__metrics_protocol(NULL), SL_MP_OTHER));
    cr_assert(eq(sz, sl__metrics_protocol("gopher"), SL_MP_OTHER));
    cr_assert(eq(sz, sl__metrics_listener(SL_ROLE_BE), SL_ML_BE));
    cr_assert(eq(str, (char *)http_codes[sl__metrics_http_code(404)], "404"));
    cr_assert(eq(str, (char *)http_codes[sl__metrics_http_code(418)], "other"));
}

Test(metrics, counters_gauges_and_out_of_range)
{
    sl_metrics *m = sl__metrics_new();
    cr_assert(m != NULL);
    sl__metrics_add(m, SL_M_ROWS_LOADED, SL_MP_SQL, 0, 7);
    sl__metrics_add(m, SL_M_ROWS_LOADED, SL_MP_SQL, 0, 5);
    sl__metrics_add(m, SL_M_LOADS_RUNNING, SL_MP_DORIS, 0, 1);
    sl__metrics_add(m, SL_M_LOADS_RUNNING, SL_MP_DORIS, 0, -1);
    sl__metrics_add(m, SL_M_ROWS_LOADED, SL_MP_COUNT_, 0, 99); /* ignored */
    sl__metrics_add(m, SL_M_ROWS_LOADED, 0, 1, 99);            /* ignored: one label only */
    cr_assert(eq(i64, sl__metrics_get(m, SL_M_ROWS_LOADED, SL_MP_SQL, 0), 12));
    cr_assert(eq(i64, sl__metrics_get(m, SL_M_ROWS_LOADED, SL_MP_DORIS, 0), 0));
    cr_assert(eq(i64, sl__metrics_get(m, SL_M_LOADS_RUNNING, SL_MP_DORIS, 0), 0));
    sl_buf b = SL_BUF_INIT;
    char *t = render(m, &b);
    cr_assert(strstr(t, "sluice_load_rows_loaded_total{protocol=\"sql\"} 12\n") != NULL);
    cr_assert(strstr(t, "sluice_load_rows_loaded_total{protocol=\"doris\"} 0\n") != NULL);
    cr_assert(strstr(t, "# HELP sluice_loads_running Loads running now.\n"
                        "# TYPE sluice_loads_running gauge\n") != NULL);
    sl_buf_free(&b);
    sl__metrics_free(m);
}

Test(metrics, histogram_buckets_are_cumulative_with_exact_bounds)
{
    sl_metrics *m = sl__metrics_new();
    sl__metrics_observe(m, SL_M_LOAD_DURATION, SL_MP_DORIS, 0, 5000);    /* le 0.005: <= */
    sl__metrics_observe(m, SL_M_LOAD_DURATION, SL_MP_DORIS, 0, 5001);    /* le 0.01 */
    sl__metrics_observe(m, SL_M_LOAD_DURATION, SL_MP_DORIS, 0, 7200000000ull); /* +Inf */
    sl_buf b = SL_BUF_INIT;
    char *t = render(m, &b);
    const char *p = "sluice_load_duration_seconds_bucket{protocol=\"doris\",";
    char want[256];
    snprintf(want, sizeof want, "%sle=\"0.005\"} 1\n%sle=\"0.01\"} 2\n", p, p);
    cr_assert(strstr(t, want) != NULL, "%s", t);
    snprintf(want, sizeof want, "%sle=\"3600\"} 2\n%sle=\"+Inf\"} 3\n", p, p);
    cr_assert(strstr(t, want) != NULL);
    cr_assert(strstr(t, "_sum{protocol=\"doris\"} 7200.010001\n") != NULL);
    cr_assert(strstr(t, "_count{protocol=\"doris\"} 3\n") != NULL);
    /* a sparse family: no observation, no lines */
    cr_assert(strstr(t, "sluice_load_duration_seconds_count{protocol=\"sql\"}") == NULL);
    cr_assert(strstr(t, "sluice_http_requests_total{") == NULL);
    sl__metrics_add(m, SL_M_HTTP_REQUESTS, SL_ML_FE, sl__metrics_http_code(503), 1);
    t = render(m, &b);
    cr_assert(strstr(t, "sluice_http_requests_total{listener=\"fe\",code=\"503\"} 1\n") !=
              NULL);
    sl_buf_free(&b);
    sl__metrics_free(m);
}

Test(metrics, text_format_details)
{
    char s[48];
    micro_text(0, s, sizeof s);
    cr_assert(eq(str, s, "0"));
    micro_text(2500, s, sizeof s);
    cr_assert(eq(str, s, "0.0025"));
    micro_text(1000000, s, sizeof s);
    cr_assert(eq(str, s, "1"));
    micro_text(1234567, s, sizeof s);
    cr_assert(eq(str, s, "1.234567"));
    sl_buf b = SL_BUF_INIT;
    sl__prom_escape(&b, "a\"b\\c\nd", 7);
    sl_buf_putc(&b, '\0');
    cr_assert(eq(str, b.p, "a\\\"b\\\\c\\nd"));
    sl_buf_clear(&b);
    sl__prom_head(&b, "x_total", "counter", "two\nlines \\ here");
    sl_buf_putc(&b, '\0');
    cr_assert(eq(str, b.p, "# HELP x_total two\\nlines \\\\ here\n# TYPE x_total counter\n"));
    sl_buf_clear(&b);
    sl__prom_sample(&b, "g", NULL, 1e20);
    sl__prom_sample(&b, "g", "a=\"b\"", 0.5);
    sl__prom_sample(&b, "g", NULL, INFINITY);
    sl_buf_putc(&b, '\0');
    cr_assert(eq(str, b.p, "g 1e+20\ng{a=\"b\"} 0.5\ng +Inf\n")); /* Go float syntax */
    sl_buf_free(&b);
}

Test(metrics, every_family_has_one_help_and_type_before_its_samples)
{
    sl_metrics *m = sl__metrics_new();
    for (size_t f = 0; f < SL_M_COUNT_; f++) {
        if (families[f].kind == HISTOGRAM)
            sl__metrics_observe(m, (sl_metric)f, 0, 0, 1);
        else
            sl__metrics_add(m, (sl_metric)f, 0, 0, 1);
    }
    sl_buf b = SL_BUF_INIT;
    char *t = render(m, &b);
    for (size_t f = 0; f < SL_M_COUNT_; f++) {
        char help[160], type[160];
        snprintf(help, sizeof help, "# HELP %s ", families[f].name);
        snprintf(type, sizeof type, "# TYPE %s ", families[f].name);
        const char *h = strstr(t, help), *ty = strstr(t, type);
        cr_assert(h && ty && h < ty, "%s", families[f].name);
        cr_assert(strstr(h + 1, help) == NULL, "HELP twice: %s", families[f].name);
        const char *sample = strstr(ty, families[f].name);
        cr_assert(sample != NULL);
    }
    cr_assert(t[strlen(t) - 1] == '\n');
    sl_buf_free(&b);
    sl__metrics_free(m);
}
