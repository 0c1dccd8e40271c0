/*
 * doris_spec.c - Doris Stream Load headers -> sl_load_spec (proto stage, Doris adapter).
 *
 * Every header of specs/doris-stream-load.md §2 that sluice reads is parsed here, before the
 * body, with Doris's exact error texts. An empty header value means "not set" (the regression
 * framework sends empty strings for unused options).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../core/platform.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../batch/convert.h"
#include "doris.h"

/* Where options come from: request headers (Stream Load) or, for `_http_stream`, the
 * http_stream(...) properties of its SQL (then only a few keys still come from headers). */
typedef struct optsrc {
    sl_http_req *r;
    const sl_property *props;
    size_t n_props;
} optsrc;

/* The option value, or a NULL slice when absent or empty. */
static sl_slice hv(const optsrc *o, const char *name)
{
    sl_slice v = SL_SLICE_NULL;
    if (o->props == NULL || strcmp(name, "label") == 0 || strcmp(name, "two_phase_commit") == 0 ||
        strcmp(name, "timeout") == 0 || strcmp(name, "comment") == 0 ||
        strcmp(name, "group_commit") == 0) {
        v = sl_http_header_get(o->r, name);
    } else {
        for (size_t i = 0; i < o->n_props; i++)
            if (sl_slice_ieq(o->props[i].key, name))
                v = o->props[i].value;
    }
    return (v.p && v.n) ? v : SL_SLICE_NULL;
}

/* ---- the two value parsers: every boolean and every numeric option goes through one ---- */

/* Longest option value quoted back in an error message. */
#define ECHO_MAX 64

enum {
    BOOL_EXACT = 1, /* Doris compares with == "true" (two_phase_commit, negative): "TRUE" would
                       be false there, so it is refused here rather than read differently */
};

/*
 * A boolean option. Absent (or empty) leaves *out alone; "true"/"false" in any case set it;
 * anything else is SL_INVALID naming the option and the value, before the body is read. Doris
 * itself reads every value but "true" as false (iequal "true", or == "true" for BOOL_EXACT);
 * sluice refuses the values Doris would silently read as false, so `strip_outer_array: maybe`
 * cannot load data shaped differently from what the client meant. strict_mode keeps Doris's own
 * message, the one value Doris itself refuses.
 */
static sl_code opt_bool(const optsrc *o, const char *name, unsigned flags, bool *out, sl_err *err)
{
    sl_slice v = hv(o, name);
    if (v.p == NULL)
        return SL_OK;
    sl_slice t = sl_slice_trim(v);
    bool exact_true = sl_slice_eq(t, "true");
    if ((flags & BOOL_EXACT) ? exact_true : sl_slice_ieq(t, "true"))
        return *out = true, SL_OK;
    if (sl_slice_ieq(t, "false"))
        return *out = false, SL_OK;
    int echo = (int)(v.n < ECHO_MAX ? v.n : ECHO_MAX);
    if (strcmp(name, "strict_mode") == 0)
        return sl_fail(err, SL_INVALID, "Invalid strict mode format. Must be bool type");
    if (sl_slice_ieq(t, "true"))
        return sl_fail(err, SL_INVALID,
                       "Invalid value of '%s': '%.*s'. Doris reads only 'true' in lower case as "
                       "true; send 'true' or 'false'",
                       name, echo, v.p);
    return sl_fail(err, SL_INVALID, "Invalid value of '%s': '%.*s'. Must be 'true' or 'false'",
                   name, echo, v.p);
}

/* What a numeric option may hold. */
typedef struct numdef {
    const char *name;
    const char *fn;      /* Doris's parser, named in its format error: stoi, stoll, stod */
    bool integer;        /* whole numbers only */
    double min, max;     /* inclusive range */
    const char *range;   /* "between 1 and 259200 seconds", or NULL: no hint in the message */
} numdef;

/* A parsed numeric option: i for integers, d for the others. */
typedef struct numval {
    long long i;
    double d;
} numval;

/* Parse the whole of t (already trimmed) as a decimal integer or a finite number. Returns 1 on
 * success, 0 when it is not one, -1 when it is one but does not fit (overflow). */
static int parse_number(sl_slice t, bool integer, numval *out)
{
    char tmp[64];
    if (t.n == 0 || t.n >= sizeof tmp)
        return 0;
    memcpy(tmp, t.p, t.n);
    tmp[t.n] = '\0';
    char *end;
    errno = 0;
    if (integer) {
        if (!(tmp[0] == '-' || tmp[0] == '+' || (tmp[0] >= '0' && tmp[0] <= '9')))
            return 0;
        out->i = strtoll(tmp, &end, 10);
        out->d = (double)out->i;
    } else {
        for (size_t k = 0; k < t.n; k++) /* no "nan", "inf", "infinity", hex floats */
            if (!strchr("0123456789+-.eE", tmp[k]))
                return 0;
        out->d = strtod(tmp, &end);
    }
    if (end == tmp || *end != '\0')
        return 0;
    if (errno == ERANGE && (integer || fabs(out->d) > 1)) /* underflow to ~0 is fine */
        return -1;
    return 1;
}

/*
 * A numeric option. Absent (or empty): *set = false and out untouched. Otherwise the whole
 * value must be a number of the right kind inside [min, max]; anything else is SL_INVALID
 * naming the option and the value: "Invalid format of 'timeout': 'abc', stoi" (Doris's text)
 * when it is no number at all - also "5x", "1e9" for an integer, "0.5.5", "nan" - and
 * "Invalid 'skip_lines': -3" (Doris's text), with the allowed range appended when known, when
 * it is out of range. Doris itself takes the leading digits ("5x" is 5 s) or, for
 * max_filter_ratio, strtod's best effort ("abc" is 0, "2" lets every row fail); sluice refuses.
 */
static sl_code opt_number(const optsrc *o, const numdef *nd, bool *set, numval *out, sl_err *err)
{
    sl_slice v = hv(o, nd->name);
    *set = false;
    if (v.p == NULL)
        return SL_OK;
    sl_slice t = sl_slice_trim(v);
    int echo = (int)(t.n < ECHO_MAX ? t.n : ECHO_MAX);
    numval x = {0, 0};
    int ok = parse_number(t, nd->integer, &x);
    if (ok == 0)
        return sl_fail(err, SL_INVALID, "Invalid format of '%s': '%.*s', %s", nd->name, echo, t.p,
                       nd->fn);
    if (ok < 0 || x.d < nd->min || x.d > nd->max ||
        (nd->integer && ((double)x.i < nd->min || (double)x.i > nd->max)))
        return sl_fail(err, SL_INVALID, "Invalid '%s': %.*s%s%s", nd->name, echo, t.p,
                       nd->range ? ". Expected values should be " : "",
                       nd->range ? nd->range : "");
    *set = true;
    *out = x;
    return SL_OK;
}

static bool label_ok(sl_slice l)
{
    if (l.n == 0 || l.n > 128)
        return false;
    for (size_t i = 0; i < l.n; i++) {
        char c = l.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == ':'))
            return false;
    }
    return true;
}

/* "+08:00" / "-05:30" / "UTC" / a few well-known names -> seconds east of UTC. */
static sl_code separator(const optsrc *o, const char *name, char *out, size_t *len, sl_err *err)
{
    sl_slice v = hv(o, name);
    if (v.p == NULL)
        return SL_OK; /* keep the default */
    size_t bs = 0;
    while (bs < v.n && v.p[v.n - 1 - bs] == '\\')
        bs++;
    if (bs % 2 == 1)
        return sl_fail(err, SL_INVALID,
                       "Invalid value of '%s': '%.*s'. It ends in a lone backslash, an "
                       "incomplete escape sequence; write \\\\ or \\x5c for a backslash",
                       name, (int)(v.n < ECHO_MAX ? v.n : ECHO_MAX), v.p);
    size_t n = 0;
    char tmp[64];
    sl_code rc = sl_separator_parse(v, tmp, sizeof tmp, &n, err);
    if (rc != SL_OK)
        return rc;
    if (n == 0)
        return sl_fail(err, SL_INVALID, "Column separator is null or empty");
    memcpy(out, tmp, n);
    *len = n;
    return SL_OK;
}

static sl_code one_char(const optsrc *o, const char *name, int *out, sl_err *err)
{
    sl_slice v = hv(o, name);
    if (v.p == NULL)
        return SL_OK;
    if (v.n != 1)
        return sl_fail(err, SL_INVALID, "%s must be single-char, actually is %.*s", name,
                       (int)(v.n < ECHO_MAX ? v.n : ECHO_MAX), v.p);
    *out = (unsigned char)v.p[0];
    return SL_OK;
}

static const numdef NUM_SKIP_LINES = {"skip_lines", "stoi", true, 0, INT_MAX, NULL};
static const numdef NUM_TIMEOUT = {"timeout", "stoi", true, 1, 259200,
                                   "between 1 and 259200 seconds"};
static const numdef NUM_MAX_FILTER_RATIO = {"max_filter_ratio", "stod", false, 0, 1,
                                            "between 0 and 1"};

static sl_code format_options(const optsrc *o, sl_load_spec *s, sl_err *err)
{
    sl_slice f = hv(o, "format");
    s->format = SL_LIT("csv");
    if (f.p) {
        if (sl_slice_ieq(f, "csv_with_names"))
            s->dopts.skip_lines = 1;
        else if (sl_slice_ieq(f, "csv_with_names_and_types"))
            s->dopts.skip_lines = 2;
        else if (sl_slice_ieq(f, "hive_text") || sl_slice_ieq(f, "wal"))
            return sl_fail(err, SL_FORMAT,
                           "format %.*s is not supported by sluice; use csv, csv_with_names, "
                           "csv_with_names_and_types, json, parquet, orc or arrow",
                           (int)f.n, f.p);
        else if (!sl_decoder_find(f))
            return sl_fail(err, SL_FORMAT, "unknown data format, format=%.*s",
                           (int)(f.n < ECHO_MAX ? f.n : ECHO_MAX), f.p);
        else
            s->format = f;
    }
    bool names = s->dopts.skip_lines > 0, set;
    numval n;
    sl_code rc;
    if ((rc = opt_number(o, &NUM_SKIP_LINES, &set, &n, err)) != SL_OK)
        return rc;
    if (set && !names) /* csv_with_names* skip their header lines, whatever skip_lines says */
        s->dopts.skip_lines = (uint64_t)n.i;
    if ((rc = separator(o, "column_separator", s->dopts.col_sep, &s->dopts.col_sep_len, err)) ||
        (rc = separator(o, "line_delimiter", s->dopts.line_delim, &s->dopts.line_delim_len, err)) ||
        (rc = one_char(o, "enclose", &s->dopts.enclose, err)) ||
        (rc = one_char(o, "escape", &s->dopts.escape, err)) ||
        (rc = opt_bool(o, "trim_double_quotes", 0, &s->dopts.trim_double_quotes, err)) ||
        (rc = opt_bool(o, "strip_outer_array", 0, &s->dopts.strip_outer_array, err)) ||
        (rc = opt_bool(o, "read_json_by_line", 0, &s->dopts.read_json_by_line, err)) ||
        (rc = opt_bool(o, "fuzzy_parse", 0, &s->dopts.fuzzy_parse, err)) ||
        (rc = opt_bool(o, "num_as_string", 0, &s->dopts.num_as_string, err)) ||
        (rc = opt_bool(o, "empty_field_as_null", 0, &s->dopts.empty_field_as_null, err)))
        return rc;
    if (s->dopts.empty_field_as_null && sl_slice_ieq(s->format, "json"))
        return sl_fail(err, SL_INVALID, "empty_field_as_null applies to CSV only; a JSON "
                                        "value is never an empty field");
    s->dopts.jsonpaths = hv(o, "jsonpaths");
    s->lenient_fields = sl_slice_ieq(s->format, "json"); /* only CSV counts columns */
    s->dopts.json_root = hv(o, "json_root");
    s->compress_type = hv(o, "compress_type");
    return SL_OK;
}

static sl_code quality_options(const optsrc *o, const sl_config *cfg, sl_load_spec *s, sl_err *err)
{
    bool set;
    numval n;
    sl_code rc;
    if ((rc = opt_bool(o, "strict_mode", 0, &s->strict, err)) != SL_OK ||
        (rc = opt_number(o, &NUM_MAX_FILTER_RATIO, &set, &n, err)) != SL_OK)
        return rc;
    if (set)
        s->max_filter_ratio = n.d;
    s->timeout_s = cfg->default_timeout_s;
    if ((rc = opt_number(o, &NUM_TIMEOUT, &set, &n, err)) != SL_OK)
        return rc;
    if (set)
        s->timeout_s = (uint32_t)n.i;
    const sl_app *app = o->r->app;
    s->tz = app->tz; /* the server's time_zone setting */
    sl_slice v = hv(o, "timezone");
    if (v.p == NULL)
        v = hv(o, "time_zone");
    if (v.p && sl_tzdb_get(app->tzdb, v, &s->tz, err) != SL_OK) {
        sl_err_clear(err);
        return sl_fail(err, SL_INVALID, "Unknown or incorrect time zone: '%.*s'",
                       (int)(v.n < ECHO_MAX ? v.n : ECHO_MAX), v.p);
    }
    return SL_OK;
}

/* Options that only tune how Doris executes a load (memory, parallelism, tablets, profiling):
 * they cannot change which rows land or their values, so sluice reads them only to refuse a
 * malformed value, as it does for every other option. */
static sl_code hint_options(const optsrc *o, sl_err *err)
{
    static const numdef nums[] = {
        {"exec_mem_limit", "stoll", true, 1, (double)LLONG_MAX,
         "between 1 and 9223372036854775807 bytes"},
        {"send_batch_parallelism", "stoi", true, INT_MIN, INT_MAX,
         "between -2147483648 and 2147483647"},
        {"load_stream_per_node", "stoi", true, INT_MIN, INT_MAX,
         "between -2147483648 and 2147483647"},
    };
    static const char *const bools[] = {"memtable_on_sink_node", "enable_profile"};
    sl_code rc;
    bool set, b = false;
    numval n;
    for (size_t i = 0; i < SL_COUNT(nums); i++)
        if ((rc = opt_number(o, &nums[i], &set, &n, err)) != SL_OK)
            return rc;
    for (size_t i = 0; i < SL_COUNT(bools); i++)
        if ((rc = opt_bool(o, bools[i], 0, &b, err)) != SL_OK)
            return rc;
    static const char *const internal[] = {"wal_id", "auth_code"};
    for (size_t i = 0; i < SL_COUNT(internal); i++)
        if (hv(o, internal[i]).p)
            return sl_fail(err, SL_INVALID, "header %s is internal to Doris (group commit WAL "
                                            "replay) and not supported by sluice",
                           internal[i]);
    return SL_OK;
}

/* hidden_columns, negative and load_to_single_tablet: the checks that need no table (the
 * mapper checks the rest against it: UNIQUE for the delete sign, SUM columns for negative,
 * random distribution for a single tablet). */
static sl_code hidden_options(const optsrc *o, sl_load_spec *s, sl_err *err)
{
    sl_code rc;
    if ((rc = opt_bool(o, "negative", BOOL_EXACT, &s->negative, err)) != SL_OK ||
        (rc = opt_bool(o, "load_to_single_tablet", 0, &s->load_to_single_tablet, err)) != SL_OK)
        return rc;
    if (s->negative && s->merge_type != SL_MERGE_APPEND)
        return sl_fail(err, SL_INVALID, "Negative is only used when merge type is APPEND.");
    sl_slice h = hv(o, "hidden_columns");
    if (h.p == NULL)
        return SL_OK;
    if (s->columns.p)
        return sl_fail(err, SL_INVALID,
                       "hidden_columns is read only when columns is absent (Doris ignores it "
                       "otherwise); name %s in columns instead",
                       SL_DELETE_SIGN);
    s->hidden_columns = h;
    for (size_t i = 0, start = 0; i <= h.n; i++) {
        if (i < h.n && h.p[i] != ',')
            continue;
        sl_slice nm = sl_slice_trim((sl_slice){h.p + start, i - start});
        start = i + 1;
        int echo = (int)(nm.n < ECHO_MAX ? nm.n : ECHO_MAX);
        if (sl_slice_ieq(nm, "__DORIS_SEQUENCE_COL__"))
            return sl_fail(err, SL_INVALID,
                           "hidden column __DORIS_SEQUENCE_COL__ is not supported: sluice keeps a "
                           "UNIQUE table's sequence in a table column; name it with the "
                           "function_column.sequence_col header or table property");
        if (!sl_slice_ieq(nm, SL_DELETE_SIGN))
            return sl_fail(err, SL_INVALID, "Unknown hidden column '%.*s'; sluice supports %s",
                           echo, nm.p, SL_DELETE_SIGN);
    }
    if (s->merge_type != SL_MERGE_APPEND)
        return sl_fail(err, SL_INVALID, "%s in the data cannot be combined with merge_type "
                                        "MERGE or DELETE, which set the delete sign themselves",
                       SL_DELETE_SIGN);
    return SL_OK;
}

/* group_commit (Doris stream_load.cpp _handle_group_commit): sync_mode / async_mode apply to
 * a load with a body and none of partial columns, partitions, temporary partitions or 2PC
 * (Doris then silently loads normally); a label is refused with it. See the docs for what
 * sluice does with a group-commit load. */
static sl_code group_commit_options(const optsrc *o, sl_load_spec *s, sl_err *err)
{
    sl_slice g = hv(o, "group_commit");
    s->group_commit = SL_GROUP_COMMIT_OFF;
    if (g.p == NULL || sl_slice_ieq(g, "off_mode"))
        return SL_OK;
    if (!sl_slice_ieq(g, "sync_mode") && !sl_slice_ieq(g, "async_mode"))
        return sl_fail(err, SL_INVALID, "group_commit can only be [async_mode, sync_mode, off_mode]");
    const sl_http_req *r = o->r;
    bool body = r->chunked || r->content_length > 0;
    if (!body || s->partial_columns || s->partitions.p || s->two_phase)
        return SL_OK;
    if (s->label.p)
        return sl_fail(err, SL_INVALID, "label and group_commit can't be set at the same time");
    s->group_commit = sl_slice_ieq(g, "sync_mode") ? SL_GROUP_COMMIT_SYNC : SL_GROUP_COMMIT_ASYNC;
    return SL_OK;
}

static sl_code mapping_options(const optsrc *o, sl_load_spec *s, sl_err *err)
{
    s->columns = hv(o, "columns");
    s->where = hv(o, "where");
    sl_slice p = hv(o, "partitions"), tp = hv(o, "temporary_partitions");
    if (p.p && tp.p)
        return sl_fail(err, SL_INVALID, "Can not specify both partitions and temporary partitions");
    s->partitions = p.p ? p : tp;
    s->temporary_partitions = tp.p != NULL;
    sl_slice m = hv(o, "merge_type");
    s->merge_type = SL_MERGE_APPEND;
    if (m.p && !sl_slice_ieq(m, "APPEND")) {
        if (sl_slice_ieq(m, "DELETE"))
            s->merge_type = SL_MERGE_DELETE;
        else if (sl_slice_ieq(m, "MERGE"))
            s->merge_type = SL_MERGE_MERGE;
        else
            return sl_fail(err, SL_INVALID, "Invalid merge type %.*s", (int)m.n, m.p);
    }
    s->delete_pred = hv(o, "delete");
    if (s->merge_type == SL_MERGE_MERGE && s->delete_pred.p == NULL)
        return sl_fail(err, SL_INVALID, "Excepted DELETE ON clause when merge type is MERGE.");
    if (s->merge_type != SL_MERGE_MERGE && s->delete_pred.p)
        return sl_fail(err, SL_INVALID,
                       "Not support DELETE ON clause when merge type is not MERGE.");
    s->sequence_col = hv(o, "function_column.sequence_col");
    sl_slice um = hv(o, "unique_key_update_mode");
    sl_code rc = opt_bool(o, "partial_columns", 0, &s->partial_columns, err);
    if (rc != SL_OK)
        return rc;
    if (um.p) { /* takes precedence over partial_columns */
        if (sl_slice_ieq(um, "UPDATE_FLEXIBLE_COLUMNS"))
            return sl_fail(err, SL_INVALID, "flexible partial update is not supported");
        if (!sl_slice_ieq(um, "UPSERT") && !sl_slice_ieq(um, "UPDATE_FIXED_COLUMNS"))
            return sl_fail(err, SL_INVALID,
                           "Invalid unique_key_partial_mode %.*s, must be one of 'UPSERT', "
                           "'UPDATE_FIXED_COLUMNS' or 'UPDATE_FLEXIBLE_COLUMNS'",
                           (int)um.n, um.p);
        s->partial_columns = sl_slice_ieq(um, "UPDATE_FIXED_COLUMNS");
    }
    sl_slice nk = hv(o, "partial_update_new_key_behavior");
    if (nk.p && !(sl_slice_ieq(nk, "APPEND") && !s->strict) &&
        !(sl_slice_ieq(nk, "ERROR") && s->strict))
        return sl_fail(err, SL_INVALID,
                       "partial_update_new_key_behavior %.*s is not supported: as in Doris "
                       "2.1/3.0, strict_mode decides (new keys are errors with strict_mode: true, "
                       "appended without); send APPEND without strict mode or ERROR with it",
                       (int)(nk.n < ECHO_MAX ? nk.n : ECHO_MAX), nk.p);
    return hidden_options(o, s, err);
}

sl_code sl__doris_spec(sl_http_req *r, const sl_property *props, size_t n_props,
                       const sl_config *cfg, sl_slice db, sl_slice table, sl_load_spec *s,
                       sl_err *err)
{
    const optsrc src = {r, props, n_props}, *o = &src;
    memset(s, 0, sizeof *s);
    sl_decode_opts_default(&s->dopts);
    s->db = db;
    s->table = table;
    s->truncate_strings = cfg->truncate_strings;
    s->comment = hv(o, "comment");
    s->label = hv(o, "label");
    if (s->label.p && !label_ok(s->label))
        return sl_fail(err, SL_INVALID,
                       "Label format error. regex: ^[-_A-Za-z0-9:]{1,128}$, label: %.*s",
                       (int)(s->label.n < 160 ? s->label.n : 160), s->label.p);
    sl_code rc;
    if ((rc = opt_bool(o, "two_phase_commit", BOOL_EXACT, &s->two_phase, err)) != SL_OK ||
        (rc = format_options(o, s, err)) != SL_OK ||
        (rc = quality_options(o, cfg, s, err)) != SL_OK ||
        (rc = mapping_options(o, s, err)) != SL_OK || (rc = hint_options(o, err)) != SL_OK ||
        (rc = group_commit_options(o, s, err)) != SL_OK)
        return rc;
    s->dopts.spool_dir = cfg->data_dir; /* Parquet/ORC bodies are spooled there (unlinked) */
    s->dopts.max_spool_bytes = cfg->streaming_load_max_mb << 20;
    s->dopts.tz_offset_s = s->tz_offset_s;
    s->dopts.tz = s->tz;
    if (s->label.p == NULL) { /* Doris: a UUID, or group_commit_<hex>_<hex> for group commit */
        char *u = sl_arena_alloc(&r->arena, 48);
        if (u == NULL)
            return sl_fail(err, SL_NOMEM, "out of memory");
        char id[37];
        sl__uuid(id);
        if (s->group_commit) {
            char hex[33];
            size_t k = 0;
            for (size_t i = 0; id[i] && k < 32; i++)
                if (id[i] != '-')
                    hex[k++] = id[i];
            hex[k] = '\0';
            snprintf(u, 48, "group_commit_%.16s_%.16s", hex, hex + 16);
        } else {
            memcpy(u, id, 37);
        }
        s->label = sl_slice_of(u);
    }
    return SL_OK;
}

/* ---- misspelt headers (a friendlier edge; Status is never changed) ---------------------- */

/* Every Stream Load header name Doris 2.1/3.0 reads (be/src/http/http_common.h, the 2PC and
 * _http_stream ones included) plus the newer ones clients already send. A request header that
 * is none of these but within a small edit distance of one is most likely a typo. */
static const char *const doris_headers[] = {
    "label", "format", "columns", "where", "column_separator", "line_delimiter", "enclose",
    "escape", "max_filter_ratio", "timeout", "partitions", "temporary_partitions", "negative",
    "strict_mode", "timezone", "time_zone", "exec_mem_limit", "jsonpaths", "json_root",
    "strip_outer_array", "num_as_string", "fuzzy_parse", "read_json_by_line", "merge_type",
    "delete", "function_column.sequence_col", "compress_type", "send_batch_parallelism",
    "load_to_single_tablet", "hidden_columns", "trim_double_quotes", "skip_lines", "comment",
    "enable_profile", "partial_columns", "sql", "two_phase_commit", "txn_id", "txn_operation",
    "memtable_on_sink_node", "load_stream_per_node", "group_commit", "cloud_cluster",
    "compute_group", "unique_key_update_mode", "partial_update_new_key_behavior",
    "empty_field_as_null", "skip_record_to_audit_log_table", "token", "auth_code", "wal_id",
};

/* Common HTTP request headers: never reported, however close to a Doris name they are. */
static const char *const http_headers[] = {
    "host", "content-length", "transfer-encoding", "authorization", "expect", "user-agent",
    "accept", "accept-encoding", "accept-language", "content-type", "content-encoding",
    "connection", "keep-alive", "te", "trailer", "upgrade", "via", "date", "cookie", "origin",
    "referer", "range", "pragma", "cache-control", "proxy-authorization", "forwarded",
    "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip", "x-request-id",
};

static char fold(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive Damerau-Levenshtein distance (optimal string alignment) of a and b, or
 * limit + 1 once it is known to exceed limit. Names longer than 63 bytes are never close. */
static size_t edit_distance(sl_slice a, const char *b, size_t limit)
{
    size_t m = a.n, n = strlen(b);
    if (m > 63 || n > 63 || (m > n ? m - n : n - m) > limit)
        return limit + 1;
    unsigned char d[64][64]; /* every entry <= 63 */
    for (size_t i = 0; i <= m; i++)
        d[i][0] = (unsigned char)i;
    for (size_t j = 0; j <= n; j++)
        d[0][j] = (unsigned char)j;
    for (size_t i = 1; i <= m; i++) {
        size_t row_min = SIZE_MAX;
        for (size_t j = 1; j <= n; j++) {
            size_t cost = fold(a.p[i - 1]) != fold(b[j - 1]);
            size_t del = (size_t)d[i - 1][j] + 1, ins = (size_t)d[i][j - 1] + 1;
            size_t sub = (size_t)d[i - 1][j - 1] + cost, v = del < ins ? del : ins;
            v = sub < v ? sub : v;
            if (i > 1 && j > 1 && fold(a.p[i - 1]) == fold(b[j - 2]) &&
                fold(a.p[i - 2]) == fold(b[j - 1]) && (size_t)d[i - 2][j - 2] + 1 < v)
                v = (size_t)d[i - 2][j - 2] + 1; /* transposition */
            d[i][j] = (unsigned char)v;
            row_min = v < row_min ? v : row_min;
        }
        if (row_min > limit)
            return limit + 1;
    }
    return d[m][n];
}

static bool in_list(sl_slice name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (sl_slice_ieq(name, list[i]))
            return true;
    return false;
}

/* The Doris header name is within reach of: distance <= 2, or <= 1 for names under 6 bytes
 * (so `lable` is caught, while short unrelated names such as `via` are not). NULL if none. */
static const char *near_header(sl_slice name)
{
    size_t limit = name.n < 6 ? 1 : 2, best = limit + 1;
    const char *hit = NULL;
    for (size_t i = 0; i < SL_COUNT(doris_headers); i++) {
        size_t dist = edit_distance(name, doris_headers[i], limit);
        if (dist < best)
            best = dist, hit = doris_headers[i];
    }
    return hit;
}

size_t sl__doris_header_warnings(const sl_http_req *r, char *out, size_t cap)
{
    size_t len = 0;
    if (cap)
        out[0] = '\0';
    for (size_t i = 0; i < r->n_headers && cap; i++) {
        sl_slice nm = r->headers[i].name;
        if (in_list(nm, doris_headers, SL_COUNT(doris_headers)) ||
            in_list(nm, http_headers, SL_COUNT(http_headers)))
            continue;
        const char *near = near_header(nm);
        if (near == NULL)
            continue;
        int k = snprintf(out + len, cap - len,
                         "%sunknown header '%.*s' was ignored; did you mean '%s'?",
                         len ? "; " : "", (int)(nm.n < ECHO_MAX ? nm.n : ECHO_MAX), nm.p, near);
        if (k < 0 || (size_t)k >= cap - len) { /* keep whole warnings only */
            out[len] = '\0';
            break;
        }
        len += (size_t)k;
    }
    return len;
}
