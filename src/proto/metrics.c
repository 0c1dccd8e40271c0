/*
 * metrics.c - the metrics registry and GET /metrics (proto stage; obs.h).
 *
 *   watch.c (loads) ------\                       /--> registry families (fixed table below)
 *   on_done (requests) ----+--> sl__metrics_add --+
 *                                observe          \--> GET /metrics, /api/metrics:
 *   HTTP layer counters, store counters and txn states, /proc/self  --> collected per scrape
 *
 * The registry is a fixed table of families, each with at most two labels whose values are
 * fixed lists, so every cell is an atomic slot allocated once: adding is one relaxed atomic
 * add, never a lock, and a scrape reads the slots. Histograms keep per-bucket counts (not
 * cumulative, so an observation is one add), a count and a sum in the family's integer unit
 * (microseconds); the text format's cumulative buckets are summed when rendered.
 *
 * Output follows the Prometheus text exposition format 0.0.4: one "# HELP" (backslash and
 * newline escaped) and one "# TYPE" line per family before its samples, label values escaped
 * (backslash, double quote, newline), histograms as _bucket{le="..."} lines in ascending
 * order ending with le="+Inf", then _sum and _count, and a newline after the last line.
 * Names follow Prometheus's conventions: sluice_ prefix, base units (seconds, bytes), _total
 * on counters; process_* as the client libraries name them.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <dirent.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../../include/sluice.h"
#include "../core/mem.h"
#include "obs.h"

/* ---- label values and families --------------------------------------------------------- */

static const char *const protocols[SL_MP_COUNT_] = {"doris", "sql", "tsload", "yamcs", "other"};
static const char *const listeners[SL_ML_COUNT_] = {"fe", "be", "tsload"};
static const char *const statuses[SL_MS_COUNT_] = {"success", "failed"};
/* HTTP statuses sluice answers; anything else counts as "other". */
static const char *const http_codes[] = {"200", "202", "204", "307", "400", "401", "403",
                                         "404", "405", "408", "409", "411", "413", "431",
                                         "499", "500", "501", "503", "504", "other"};
/* Error codes of failed loads: SL_STATUS_MAP's names (OK and AGAIN are never errors). */
#define SL__NAME(name, doris, yamcs, tsload, mysql, text) #name,
static const char *const codes[SL__N_CODES] = {SL_STATUS_MAP(SL__NAME)};
#undef SL__NAME

/* Load durations: 5 ms to an hour. Request durations: 1 ms to a minute. Microseconds. */
static const uint64_t load_bounds[] = {5000,    10000,   25000,    50000,    100000,
                                       250000,  500000,  1000000,  2500000,  5000000,
                                       10000000, 30000000, 60000000, 300000000, 900000000,
                                       3600000000};
static const uint64_t http_bounds[] = {1000,   2500,   5000,    10000,   25000,    50000,
                                       100000, 250000, 500000,  1000000, 2500000,  5000000,
                                       10000000, 60000000};

enum kind { COUNTER, GAUGE, HISTOGRAM };

typedef struct family {
    const char *name, *help;
    enum kind kind;
    const char *label[2];          /* label names; NULL when unused */
    const char *const *values[2];  /* each label's values */
    size_t n_values[2];
    const uint64_t *bounds;        /* histograms: bucket upper bounds, ascending, in
                                      microseconds (rendered as seconds) */
    size_t n_bounds;
    bool sparse;                   /* cells still at 0 are left out (many label pairs that
                                      mostly never occur: error codes, HTTP statuses) */
} family;

#define L1(n, v) {n, NULL}, {v, NULL}, {SL_COUNT(v), 1}
#define L2(n1, v1, n2, v2) {n1, n2}, {v1, v2}, {SL_COUNT(v1), SL_COUNT(v2)}
#define L0 {NULL, NULL}, {NULL, NULL}, {1, 1}

static const family families[SL_M_COUNT_] = {
    [SL_M_LOADS_STARTED] = {"sluice_loads_started_total", "Loads begun, by protocol.", COUNTER,
                            L1("protocol", protocols), NULL, 0, false},
    [SL_M_LOADS_FINISHED] = {"sluice_loads_finished_total",
                             "Loads ended (committed or precommitted: success; anything else: "
                             "failed), by protocol.",
                             COUNTER, L2("protocol", protocols, "status", statuses), NULL, 0,
                             false},
    [SL_M_LOAD_ERRORS] = {"sluice_load_errors_total", "Failed loads by protocol and error code.",
                          COUNTER, L2("protocol", protocols, "code", codes), NULL, 0, true},
    [SL_M_ROWS_LOADED] = {"sluice_load_rows_loaded_total", "Rows made visible by loads.",
                          COUNTER, L1("protocol", protocols), NULL, 0, false},
    [SL_M_ROWS_FILTERED] = {"sluice_load_rows_filtered_total",
                            "Rows of loads filtered out as errors.", COUNTER,
                            L1("protocol", protocols), NULL, 0, false},
    [SL_M_ROWS_UNSELECTED] = {"sluice_load_rows_unselected_total",
                              "Rows of loads left out by a where predicate.", COUNTER,
                              L1("protocol", protocols), NULL, 0, false},
    [SL_M_LOAD_BYTES] = {"sluice_load_bytes_total",
                         "Body bytes of ended loads, as received (compressed size).", COUNTER,
                         L1("protocol", protocols), NULL, 0, false},
    [SL_M_LOAD_DURATION] = {"sluice_load_duration_seconds", "Load durations, begin to end.",
                            HISTOGRAM, L1("protocol", protocols), load_bounds,
                            SL_COUNT(load_bounds), true},
    [SL_M_LOADS_RUNNING] = {"sluice_loads_running", "Loads running now.", GAUGE,
                            L1("protocol", protocols), NULL, 0, false},
    [SL_M_BYTES_IN_FLIGHT] = {"sluice_load_bytes_in_flight",
                              "Body bytes received by the loads running now.", GAUGE, L0, NULL,
                              0, false},
    [SL_M_HTTP_REQUESTS] = {"sluice_http_requests_total",
                            "HTTP requests finished, by listener and status code (499: no "
                            "reply went out: the client went away or the connection was cut).",
                            COUNTER, L2("listener", listeners, "code", http_codes), NULL, 0,
                            true},
    [SL_M_HTTP_DURATION] = {"sluice_http_request_duration_seconds",
                            "HTTP request durations, head received to reply.", HISTOGRAM,
                            L1("listener", listeners), http_bounds, SL_COUNT(http_bounds), true},
};

/* A histogram cell: per-bucket counts (the last: above every bound), count, sum. */
typedef struct hcell {
    atomic_ullong *buckets;
    atomic_ullong count, sum;
} hcell;

struct sl_metrics {
    atomic_llong *cells[SL_M_COUNT_];  /* counters and gauges: n_values[0] * n_values[1] */
    hcell *hist[SL_M_COUNT_];
};

static size_t n_cells(const family *f)
{
    return f->n_values[0] * f->n_values[1];
}

sl_metrics *sl__metrics_new(void)
{
    sl_metrics *m = sl_calloc(sizeof *m);
    for (size_t i = 0; m && i < SL_M_COUNT_; i++) {
        const family *f = &families[i];
        if (f->kind != HISTOGRAM) {
            m->cells[i] = sl_calloc(n_cells(f) * sizeof *m->cells[i]);
            if (m->cells[i] == NULL)
                goto fail;
            continue;
        }
        m->hist[i] = sl_calloc(n_cells(f) * sizeof *m->hist[i]);
        if (m->hist[i] == NULL)
            goto fail;
        for (size_t c = 0; c < n_cells(f); c++)
            if ((m->hist[i][c].buckets = sl_calloc((f->n_bounds + 1) * sizeof(atomic_ullong))) ==
                NULL)
                goto fail;
    }
    return m;
fail:
    sl__metrics_free(m);
    return NULL;
}

void sl__metrics_free(sl_metrics *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < SL_M_COUNT_; i++) {
        sl_free(m->cells[i]);
        for (size_t c = 0; m->hist[i] && c < n_cells(&families[i]); c++)
            sl_free(m->hist[i][c].buckets);
        sl_free(m->hist[i]);
    }
    sl_free(m);
}

size_t sl__metrics_protocol(const char *name)
{
    for (size_t i = 0; name && i < SL_MP_OTHER; i++)
        if (strcmp(name, protocols[i]) == 0)
            return i;
    return SL_MP_OTHER;
}

size_t sl__metrics_listener(int role)
{
    return role == SL_ROLE_FE ? SL_ML_FE : role == SL_ROLE_BE ? SL_ML_BE : SL_ML_TSLOAD;
}

size_t sl__metrics_http_code(int status)
{
    char s[16];
    snprintf(s, sizeof s, "%d", status);
    for (size_t i = 0; i + 1 < SL_COUNT(http_codes); i++)
        if (strcmp(s, http_codes[i]) == 0)
            return i;
    return SL_COUNT(http_codes) - 1;
}

/* The cell index of (i, j), or SIZE_MAX when out of range. */
static size_t cell(sl_metric f, size_t i, size_t j)
{
    if ((size_t)f >= SL_M_COUNT_ || i >= families[f].n_values[0] || j >= families[f].n_values[1])
        return SIZE_MAX;
    return i * families[f].n_values[1] + j;
}

void sl__metrics_add(sl_metrics *m, sl_metric f, size_t i, size_t j, int64_t v)
{
    size_t c = cell(f, i, j);
    if (m && c != SIZE_MAX && m->cells[f])
        atomic_fetch_add_explicit(&m->cells[f][c], v, memory_order_relaxed);
}

void sl__metrics_observe(sl_metrics *m, sl_metric f, size_t i, size_t j, uint64_t v)
{
    size_t c = cell(f, i, j);
    if (m == NULL || c == SIZE_MAX || m->hist[f] == NULL)
        return;
    const family *fm = &families[f];
    size_t b = 0;
    while (b < fm->n_bounds && v > fm->bounds[b])
        b++;
    hcell *h = &m->hist[f][c];
    atomic_fetch_add_explicit(&h->buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum, v, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
}

int64_t sl__metrics_get(const sl_metrics *m, sl_metric f, size_t i, size_t j)
{
    size_t c = cell(f, i, j);
    if (m == NULL || c == SIZE_MAX || m->cells[f] == NULL)
        return 0;
    return atomic_load_explicit(&m->cells[f][c], memory_order_relaxed);
}

/* ---- the text format ------------------------------------------------------------------ */

void sl__prom_escape(sl_buf *b, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\\')
            sl_buf_puts(b, "\\\\");
        else if (p[i] == '"')
            sl_buf_puts(b, "\\\"");
        else if (p[i] == '\n')
            sl_buf_puts(b, "\\n");
        else
            sl_buf_putc(b, p[i]);
    }
}

void sl__prom_head(sl_buf *b, const char *name, const char *type, const char *help)
{
    sl_buf_printf(b, "# HELP %s ", name);
    for (const char *p = help; *p; p++) { /* HELP escapes backslash and newline only */
        if (*p == '\\')
            sl_buf_puts(b, "\\\\");
        else if (*p == '\n')
            sl_buf_puts(b, "\\n");
        else
            sl_buf_putc(b, *p);
    }
    sl_buf_printf(b, "\n# TYPE %s %s\n", name, type);
}

/* Microseconds as exact decimal seconds ("0.025", "3600"): bucket bounds and sums read back
 * exactly, without binary fractions such as 0.024999999999999998. */
static void micro_text(uint64_t us, char *out, size_t cap)
{
    char frac[8];
    snprintf(frac, sizeof frac, "%06llu", (unsigned long long)(us % 1000000));
    size_t n = 6;
    while (n > 0 && frac[n - 1] == '0')
        frac[--n] = '\0';
    snprintf(out, cap, "%llu%s%s", (unsigned long long)(us / 1000000), n ? "." : "", frac);
}

/* A value as Prometheus reads it: integers without a fraction, +Inf/-Inf/NaN spelt so. */
static void put_value(sl_buf *b, double v)
{
    if (isnan(v))
        sl_buf_puts(b, "NaN");
    else if (isinf(v))
        sl_buf_puts(b, v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 9007199254740992.0)
        sl_buf_printf(b, "%.0f", v);
    else
        sl_buf_printf(b, "%.15g", v);
}

void sl__prom_sample(sl_buf *b, const char *name, const char *labels, double v)
{
    sl_buf_puts(b, name);
    if (labels && labels[0])
        sl_buf_printf(b, "{%s}", labels);
    sl_buf_putc(b, ' ');
    put_value(b, v);
    sl_buf_putc(b, '\n');
}

/* 'k1="v1",k2="v2"' of cell (i, j) into lb. */
static void cell_labels(const family *f, size_t i, size_t j, sl_buf *lb)
{
    sl_buf_clear(lb);
    size_t idx[2] = {i, j};
    for (int d = 0; d < 2; d++) {
        if (f->label[d] == NULL)
            continue;
        const char *v = f->values[d][idx[d]];
        sl_buf_printf(lb, "%s%s=\"", lb->len ? "," : "", f->label[d]);
        sl__prom_escape(lb, v, strlen(v));
        sl_buf_putc(lb, '"');
    }
    sl_buf_putc(lb, '\0'); /* a C string for sl__prom_sample; len excludes it below */
    lb->len--;
}

/* The lines of one histogram from per-bucket counts (bounds in microseconds): cumulative
 * _bucket lines, le="+Inf" last, then _sum (seconds) and _count. Shared with the store's
 * commit histogram. */
static void histogram_lines(sl_buf *out, const char *name, const char *labels,
                            const uint64_t *bounds, size_t n_bounds, const uint64_t *counts,
                            uint64_t sum_us)
{
    char metric[128], lab[512], le[48];
    uint64_t cum = 0;
    snprintf(metric, sizeof metric, "%s_bucket", name);
    for (size_t b = 0; b <= n_bounds; b++) {
        cum += counts[b];
        if (b < n_bounds)
            micro_text(bounds[b], le, sizeof le);
        else
            snprintf(le, sizeof le, "+Inf");
        snprintf(lab, sizeof lab, "%s%sle=\"%s\"", labels, labels[0] ? "," : "", le);
        sl__prom_sample(out, metric, lab, (double)cum);
    }
    micro_text(sum_us, le, sizeof le);
    sl_buf_printf(out, "%s_sum%s%s%s %s\n", name, labels[0] ? "{" : "", labels,
                  labels[0] ? "}" : "", le);
    snprintf(metric, sizeof metric, "%s_count", name);
    sl__prom_sample(out, metric, labels, (double)cum);
}

static void render_histogram(const sl_metrics *m, size_t fi, size_t c, const char *labels,
                             sl_buf *out)
{
    const family *f = &families[fi];
    const hcell *h = &m->hist[fi][c];
    uint64_t counts[32] = {0};
    for (size_t b = 0; b <= f->n_bounds && b < SL_COUNT(counts); b++)
        counts[b] = atomic_load_explicit(&h->buckets[b], memory_order_relaxed);
    histogram_lines(out, f->name, labels, f->bounds, f->n_bounds, counts,
                    atomic_load_explicit(&h->sum, memory_order_relaxed));
}

/* Whether cell c of family fi is still at zero (sparse families skip those). */
static bool cell_zero(const sl_metrics *m, size_t fi, size_t c)
{
    if (families[fi].kind == HISTOGRAM)
        return atomic_load_explicit(&m->hist[fi][c].count, memory_order_relaxed) == 0;
    return atomic_load_explicit(&m->cells[fi][c], memory_order_relaxed) == 0;
}

void sl__metrics_render(const sl_metrics *m, sl_buf *out)
{
    sl_buf lb = SL_BUF_INIT;
    for (size_t fi = 0; fi < SL_M_COUNT_; fi++) {
        const family *f = &families[fi];
        static const char *const types[] = {"counter", "gauge", "histogram"};
        sl__prom_head(out, f->name, types[f->kind], f->help);
        for (size_t i = 0; i < f->n_values[0]; i++) {
            for (size_t j = 0; j < f->n_values[1]; j++) {
                size_t c = i * f->n_values[1] + j;
                if (f->sparse && cell_zero(m, fi, c))
                    continue;
                cell_labels(f, i, j, &lb);
                const char *labels = lb.p ? lb.p : "";
                if (f->kind == HISTOGRAM)
                    render_histogram(m, fi, c, labels, out);
                else
                    sl__prom_sample(out, f->name, labels,
                                    (double)atomic_load_explicit(&m->cells[fi][c],
                                                                 memory_order_relaxed));
            }
        }
    }
    sl_buf_free(&lb);
}

/* ---- collectors: HTTP listeners, the store, the process --------------------------------- */

static void collect_http(sl_app *app, sl_buf *b)
{
    static const struct {
        const char *name, *type, *help;
        size_t off;
    } cols[] = {
        {"sluice_http_connections_accepted_total", "counter", "Connections accepted.",
         offsetof(sl_http_stats, accepted)},
        {"sluice_http_connections_rejected_total", "counter",
         "Connections closed at once (connection limit, shutdown).",
         offsetof(sl_http_stats, rejected)},
        {"sluice_http_connections", "gauge", "Connections open now.",
         offsetof(sl_http_stats, open)},
        {"sluice_http_received_bytes_total", "counter",
         "Bytes read from connections (TLS records included).", offsetof(sl_http_stats, bytes_in)},
        {"sluice_http_sent_bytes_total", "counter",
         "Bytes written to connections (TLS records included).",
         offsetof(sl_http_stats, bytes_out)},
    };
    static const int roles[SL_ML_COUNT_] = {SL_ROLE_FE, SL_ROLE_BE, SL_ROLE_TSLOAD};
    sl_http_stats st[SL_ML_COUNT_];
    for (size_t r = 0; r < SL_ML_COUNT_; r++)
        sl_http_server_stats(app->http, roles[r], &st[r]);
    for (size_t k = 0; k < SL_COUNT(cols); k++) {
        sl__prom_head(b, cols[k].name, cols[k].type, cols[k].help);
        for (size_t r = 0; r < SL_ML_COUNT_; r++) {
            char lab[64];
            snprintf(lab, sizeof lab, "listener=\"%s\"", listeners[r]);
            uint64_t v;
            memcpy(&v, (const char *)&st[r] + cols[k].off, sizeof v);
            sl__prom_sample(b, cols[k].name, lab, (double)v);
        }
    }
}

static void collect_store(sl_app *app, sl_buf *b)
{
    sl_store_counters sc;
    sl_store_stats(app->store, &sc);
    const char *h = "sluice_store_commit_duration_seconds";
    sl__prom_head(b, h, "histogram",
                  "Store commits (rows visible or staged, label and history in one engine "
                  "transaction), durations.");
    histogram_lines(b, h, "", sl_store_commit_bounds_us, SL_STORE_COMMIT_BUCKETS,
                    sc.commit_buckets, sc.commit_us_sum);
    sl__prom_head(b, "sluice_store_commit_failures_total", "counter",
                  "Store commits that failed (the load was aborted).");
    sl__prom_sample(b, "sluice_store_commit_failures_total", NULL, (double)sc.commit_failures);
    sl__prom_head(b, "sluice_store_compactions_total", "counter",
                  "Segment merges done by the engine.");
    sl__prom_sample(b, "sluice_store_compactions_total", NULL, (double)sc.compactions);
    sl__prom_head(b, "sluice_store_compacted_segments_total", "counter",
                  "Segments replaced by merges.");
    sl__prom_sample(b, "sluice_store_compacted_segments_total", NULL,
                    (double)sc.compacted_segments);
    sl__prom_head(b, "sluice_store_heartbeat_timestamp_seconds", "gauge",
                  "When this node's heartbeat last reached the catalog.");
    sl__prom_sample(b, "sluice_store_heartbeat_timestamp_seconds", NULL,
                    (double)sc.heartbeat_ms / 1000.0);
    uint64_t n[SL_TXN_ABORTED + 1];
    sl_err err = {0};
    bool up = sl_store_txn_counts(app->store, n, &err) == SL_OK;
    sl__prom_head(b, "sluice_store_up", "gauge",
                  "1 when the store answered this scrape's query, 0 when it failed.");
    sl__prom_sample(b, "sluice_store_up", NULL, up ? 1 : 0);
    if (!up)
        return;
    sl__prom_head(b, "sluice_transactions", "gauge",
                  "Load transactions kept in the store (label_keep_max_second), by state.");
    for (int s = SL_TXN_PREPARE; s <= SL_TXN_ABORTED; s++) {
        char lab[64];
        snprintf(lab, sizeof lab, "state=\"%s\"", sl_txn_state_name((sl_txn_state)s));
        sl__prom_sample(b, "sluice_transactions", lab, (double)n[s]);
    }
}

/* Field k (1-based) of /proc/self/stat after the command name. */
static bool proc_stat(unsigned long long *utime, unsigned long long *stime,
                      unsigned long long *vsize, long long *rss, unsigned long long *start)
{
    char buf[2048];
    FILE *f = fopen("/proc/self/stat", "r");
    if (f == NULL)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
    if (p == NULL)
        return false;
    /* after ") ": state(3) ... utime(14) stime(15) ... starttime(22) vsize(23) rss(24) */
    return sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d "
                         "%*d %*d %llu %llu %lld",
                  utime, stime, start, vsize, rss) == 5;
}

static double boot_time(void)
{
    FILE *f = fopen("/proc/stat", "r");
    char line[256];
    double bt = 0;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "btime ", 6) == 0)
            bt = strtod(line + 6, NULL);
    if (f)
        fclose(f);
    return bt;
}

static void collect_process(sl_buf *b)
{
    unsigned long long ut, st, vs, start;
    long long rss;
    double tick = (double)sysconf(_SC_CLK_TCK), page = (double)sysconf(_SC_PAGESIZE);
    if (proc_stat(&ut, &st, &vs, &rss, &start) && tick > 0) {
        sl__prom_head(b, "process_cpu_seconds_total", "counter",
                      "Total user and system CPU time spent in seconds.");
        sl__prom_sample(b, "process_cpu_seconds_total", NULL, (double)(ut + st) / tick);
        sl__prom_head(b, "process_resident_memory_bytes", "gauge",
                      "Resident memory size in bytes.");
        sl__prom_sample(b, "process_resident_memory_bytes", NULL, (double)rss * page);
        sl__prom_head(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
        sl__prom_sample(b, "process_virtual_memory_bytes", NULL, (double)vs);
        sl__prom_head(b, "process_start_time_seconds", "gauge",
                      "Start time of the process since unix epoch in seconds.");
        sl__prom_sample(b, "process_start_time_seconds", NULL, boot_time() + (double)start / tick);
    }
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        long n = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            n += e->d_name[0] != '.';
        closedir(d);
        sl__prom_head(b, "process_open_fds", "gauge", "Number of open file descriptors.");
        sl__prom_sample(b, "process_open_fds", NULL, (double)(n - 1)); /* minus opendir's own */
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        sl__prom_head(b, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
        sl__prom_sample(b, "process_max_fds", NULL,
                        rl.rlim_cur == RLIM_INFINITY ? INFINITY : (double)rl.rlim_cur);
    }
}

/* ---- GET /metrics, GET /api/metrics (no login: as Doris's FE and BE) ------------------- */

static void metrics_begin(sl_http_req *r)
{
    sl_app *app = r->app;
    sl_buf b = SL_BUF_INIT;
    sl__prom_head(&b, "sluice_build_info", "gauge", "The running version (always 1).");
    sl_buf_puts(&b, "sluice_build_info{version=\"");
    sl__prom_escape(&b, sluice_version(), strlen(sluice_version()));
    sl_buf_puts(&b, "\"} 1\n");
    sl__metrics_render(app->metrics, &b);
    collect_http(app, &b);
    collect_store(app, &b);
    collect_process(&b);
    if (b.oom)
        sl_http_respond(r, 503, "text/plain", "out of memory\n", 14);
    else
        sl_http_respond(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.p, b.len);
    sl_buf_free(&b);
}

static void metrics_end(sl_http_req *r)
{
    if (!r->responded)
        sl_http_respond(r, 500, "text/plain", "no response\n", 12);
}

const sl_http_handler sl_metrics_api = {"metrics", metrics_begin, NULL, metrics_end, NULL, NULL};

/* ---- what the HTTP layer reports ------------------------------------------------------- */

void sl__obs_request_done(void *app_, const sl_http_req *r, const sl_http_done *d)
{
    sl_app *app = app_;
    size_t l = sl__metrics_listener(r->role);
    sl__metrics_add(app->metrics, SL_M_HTTP_REQUESTS, l, sl__metrics_http_code(d->status), 1);
    if (r->method)
        sl__metrics_observe(app->metrics, SL_M_HTTP_DURATION, l, 0, d->ms * 1000);
    sl__log_access(app->log, r, d);
}

void sl__obs_http_log(void *app_, int level, const char *line)
{
    sl_app *app = app_;
    sl__log(app->log, level, "%s", line);
}
