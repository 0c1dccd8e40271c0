/*
 * doris_spec.c - Doris Stream Load headers -> sl_load_spec (proto stage, Doris adapter).
 *
 * Every header of specs/doris-stream-load.md §2 that sluice reads is parsed here, before the
 * body, with Doris's exact error texts. An empty header value means "not set" (the regression
 * framework sends empty strings for unused options).
 */
#include "../core/platform.h"

#include <errno.h>
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
        strcmp(name, "timeout") == 0 || strcmp(name, "comment") == 0) {
        v = sl_http_header_get(o->r, name);
    } else {
        for (size_t i = 0; i < o->n_props; i++)
            if (sl_slice_ieq(o->props[i].key, name))
                v = o->props[i].value;
    }
    return (v.p && v.n) ? v : SL_SLICE_NULL;
}

static bool parse_bool(sl_slice v, bool *out)
{
    if (sl_slice_ieq(v, "true"))
        return *out = true, true;
    if (sl_slice_ieq(v, "false"))
        return *out = false, true;
    return false;
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

/* Parse a non-negative decimal integer the way std::stoi accepts the leading part. */
static bool parse_int(sl_slice v, long long *out)
{
    char tmp[32];
    if (v.n == 0 || v.n >= sizeof tmp)
        return false;
    memcpy(tmp, v.p, v.n);
    tmp[v.n] = '\0';
    char *end;
    errno = 0;
    long long x = strtoll(tmp, &end, 10);
    if (end == tmp || errno)
        return false;
    *out = x;
    return true;
}

/* "+08:00" / "-05:30" / "UTC" / a few well-known names -> seconds east of UTC. */
static bool parse_tz(sl_slice v, int32_t *out)
{
    static const struct {
        const char *name;
        int32_t off;
    } names[] = {{"UTC", 0}, {"GMT", 0}, {"Etc/UTC", 0}, {"Africa/Abidjan", 0},
                 {"Europe/London", 0}, {"Asia/Shanghai", 28800}, {"Asia/Hong_Kong", 28800},
                 {"Asia/Singapore", 28800}, {"Asia/Tokyo", 32400}, {"Asia/Seoul", 32400},
                 {"Asia/Kolkata", 19800}, {"America/New_York", -18000},
                 {"America/Los_Angeles", -28800}, {"Europe/Berlin", 3600}, {"CST", 28800}};
    for (size_t i = 0; i < SL_COUNT(names); i++)
        if (sl_slice_ieq(v, names[i].name))
            return *out = names[i].off, true;
    if (v.n == 6 && (v.p[0] == '+' || v.p[0] == '-') && v.p[3] == ':') {
        int h = (v.p[1] - '0') * 10 + (v.p[2] - '0'), m = (v.p[4] - '0') * 10 + (v.p[5] - '0');
        if (h < 0 || h > 14 || m < 0 || m > 59)
            return false;
        *out = (v.p[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
        return true;
    }
    return false;
}

static sl_code separator(const optsrc *o, const char *name, char *out, size_t *len, sl_err *err)
{
    sl_slice v = hv(o, name);
    if (v.p == NULL)
        return SL_OK; /* keep the default */
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
        return sl_fail(err, SL_INVALID, "%s must be single-char, actually is %.*s", name, (int)v.n,
                       v.p);
    *out = (unsigned char)v.p[0];
    return SL_OK;
}

static sl_code format_options(const optsrc *o, sl_load_spec *s, sl_err *err)
{
    sl_slice f = hv(o, "format");
    s->format = SL_LIT("csv");
    if (f.p) {
        if (sl_slice_ieq(f, "csv_with_names"))
            s->dopts.skip_lines = 1;
        else if (sl_slice_ieq(f, "csv_with_names_and_types"))
            s->dopts.skip_lines = 2;
        else if (!sl_decoder_find(f))
            return sl_fail(err, SL_FORMAT, "unknown data format, format=%.*s", (int)f.n, f.p);
        else
            s->format = f;
    }
    bool names = s->dopts.skip_lines > 0;
    sl_slice v = hv(o, "skip_lines");
    long long n;
    if (v.p && !names) {
        if (!parse_int(v, &n) || n < 0)
            return sl_fail(err, SL_INVALID, "Invalid 'skip_lines': %.*s", (int)v.n, v.p);
        s->dopts.skip_lines = (uint64_t)n;
    }
    sl_code rc;
    if ((rc = separator(o, "column_separator", s->dopts.col_sep, &s->dopts.col_sep_len, err)) ||
        (rc = separator(o, "line_delimiter", s->dopts.line_delim, &s->dopts.line_delim_len, err)) ||
        (rc = one_char(o, "enclose", &s->dopts.enclose, err)) ||
        (rc = one_char(o, "escape", &s->dopts.escape, err)))
        return rc;
    static const struct {
        const char *name;
        size_t off;
    } bools[] = {
        {"trim_double_quotes", offsetof(sl_decode_opts, trim_double_quotes)},
        {"strip_outer_array", offsetof(sl_decode_opts, strip_outer_array)},
        {"read_json_by_line", offsetof(sl_decode_opts, read_json_by_line)},
        {"fuzzy_parse", offsetof(sl_decode_opts, fuzzy_parse)},
        {"num_as_string", offsetof(sl_decode_opts, num_as_string)},
    };
    for (size_t i = 0; i < SL_COUNT(bools); i++) {
        v = hv(o, bools[i].name);
        bool *dst = (bool *)((char *)&s->dopts + bools[i].off);
        if (v.p && !parse_bool(v, dst))
            *dst = false; /* Doris: anything but "true" is false */
    }
    s->dopts.jsonpaths = hv(o, "jsonpaths");
    s->lenient_fields = sl_slice_ieq(s->format, "json"); /* only CSV counts columns */
    s->dopts.json_root = hv(o, "json_root");
    s->compress_type = hv(o, "compress_type");
    return SL_OK;
}

static sl_code quality_options(const optsrc *o, const sl_config *cfg, sl_load_spec *s, sl_err *err)
{
    sl_slice v = hv(o, "strict_mode");
    if (v.p && !parse_bool(v, &s->strict))
        return sl_fail(err, SL_INVALID, "Invalid strict mode format. Must be bool type");
    v = hv(o, "max_filter_ratio");
    if (v.p) {
        char tmp[64];
        snprintf(tmp, sizeof tmp, "%.*s", (int)(v.n < 63 ? v.n : 63), v.p);
        s->max_filter_ratio = strtod(tmp, NULL); /* Doris: garbage -> 0 */
    }
    long long n;
    v = hv(o, "timeout");
    s->timeout_s = cfg->default_timeout_s;
    if (v.p) {
        if (!parse_int(v, &n))
            return sl_fail(err, SL_INVALID, "Invalid format of 'timeout': '%.*s', stoi", (int)v.n,
                           v.p);
        if (n < 1 || n > 259200)
            return sl_fail(err, SL_INVALID, "Invalid timeout: '%lld'. Expected values should be "
                                            "between 1 and 259200 seconds", n);
        s->timeout_s = (uint32_t)n;
    }
    s->tz_offset_s = cfg->default_tz_offset_s;
    v = hv(o, "timezone");
    if (v.p == NULL)
        v = hv(o, "time_zone");
    if (v.p && !parse_tz(v, &s->tz_offset_s))
        return sl_fail(err, SL_INVALID, "Unknown or incorrect time zone: '%.*s'", (int)v.n, v.p);
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
    sl_slice pc = hv(o, "partial_columns"), um = hv(o, "unique_key_update_mode");
    s->partial_columns = pc.p && sl_slice_ieq(pc, "true");
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
    sl_slice g = hv(o, "group_commit");
    if (g.p && !sl_slice_ieq(g, "sync_mode") && !sl_slice_ieq(g, "async_mode") &&
        !sl_slice_ieq(g, "off_mode"))
        return sl_fail(err, SL_INVALID, "group_commit can only be [async_mode, sync_mode, off_mode]");
    return SL_OK;
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
    if (s->label.p == NULL) {
        char *u = sl_arena_alloc(&r->arena, 37);
        if (u == NULL)
            return sl_fail(err, SL_NOMEM, "out of memory");
        sl__uuid(u);
        s->label = (sl_slice){u, 36};
    } else if (!label_ok(s->label)) {
        return sl_fail(err, SL_INVALID,
                       "Label format error. regex: ^[-_A-Za-z0-9:]{1,128}$, label: %.*s",
                       (int)s->label.n, s->label.p);
    }
    sl_slice tpc = hv(o, "two_phase_commit");
    s->two_phase = tpc.p && sl_slice_eq(tpc, "true"); /* exactly "true", as Doris */
    sl_code rc;
    if ((rc = format_options(o, s, err)) != SL_OK || (rc = quality_options(o, cfg, s, err)) != SL_OK ||
        (rc = mapping_options(o, s, err)) != SL_OK)
        return rc;
    return SL_OK;
}
