/*
 * tzfile.c - UTC offsets of a named time zone from the system's TZif files (decode stage,
 * issue 15: ORC timestamps are stored relative to the writer's zone, named in each stripe).
 *
 * A TZif file (RFC 8536) lists transitions (64-bit times in version 2+) and the offset each
 * starts; after the last one, its footer's POSIX TZ rule (e.g. "PST8PDT,M3.2.0,M11.1.0")
 * gives the offsets of later years. Only the system's zone files are read
 * (/usr/share/zoneinfo), by a validated name; "UTC", "GMT" and an empty name are offset 0.
 */
#include "../core/platform.h"

#include <stdio.h>
#include <string.h>

#include "../core/mem.h"
#include "columnar.h"

#define TZ_MAX_FILE (1 << 20)

static int64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return n == 4 ? (int64_t)(int32_t)v : (int64_t)v;
}

static bool name_ok(const char *s)
{
    if (s[0] == '\0' || s[0] == '/' || strstr(s, "..") || strlen(s) > 64)
        return false;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '/' || *s == '_' || *s == '-' || *s == '+'))
            return false;
    return true;
}

/* ---- POSIX TZ rules ------------------------------------------------------------------------ */

static const char *skip_name(const char *p)
{
    if (*p == '<') {
        while (*p && *p != '>')
            p++;
        return *p ? p + 1 : p;
    }
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
        p++;
    return p;
}

/* [+-]hh[:mm[:ss]] as seconds. */
static const char *hms(const char *p, int32_t *out)
{
    int sign = 1, v[3] = {0, 0, 0};
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    for (int k = 0; k < 3; k++) {
        if (*p < '0' || *p > '9')
            break;
        while (*p >= '0' && *p <= '9')
            v[k] = v[k] * 10 + (*p++ - '0');
        if (*p != ':')
            break;
        p++;
    }
    *out = sign * (v[0] * 3600 + v[1] * 60 + v[2]);
    return p;
}

static const char *rule(const char *p, sl__tzrule *r)
{
    r->time = 7200;
    if (*p != 'M')
        return NULL; /* Julian-day forms are rare: not supported */
    p++;
    int v[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++) {
        while (*p >= '0' && *p <= '9')
            v[k] = v[k] * 10 + (*p++ - '0');
        if (k < 2 && *p++ != '.')
            return NULL;
    }
    r->month = v[0], r->week = v[1], r->wday = v[2];
    if (*p == '/')
        p = hms(p + 1, &r->time);
    return r->month >= 1 && r->month <= 12 && r->week >= 1 && r->week <= 5 && r->wday <= 6 ? p
                                                                                          : NULL;
}

static void parse_posix(sl__tz *tz, const char *s)
{
    const char *p = skip_name(s);
    int32_t std;
    p = hms(p, &std);
    tz->std_off = -std;
    tz->has_rule = true;
    if (*p == '\0')
        return; /* no DST */
    p = skip_name(p);
    tz->dst_off = tz->std_off + 3600;
    if (*p && *p != ',') {
        int32_t d;
        p = hms(p, &d);
        tz->dst_off = -d;
    }
    if (*p != ',' || (p = rule(p + 1, &tz->start)) == NULL || *p != ',' ||
        rule(p + 1, &tz->end) == NULL)
        return;
    tz->has_dst = true;
}

static bool leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    uint64_t yoe = (uint64_t)(y - era * 400);
    uint64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    uint64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* Local seconds (since the epoch) at which rule r fires in year y. */
static int64_t rule_local(const sl__tzrule *r, int64_t y)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t first = days_from_civil(y, (unsigned)r->month, 1);
    int wd1 = (int)(((first % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4) */
    int day = 1 + (r->wday - wd1 + 7) % 7 + 7 * (r->week - 1);
    int len = dim[r->month - 1] + (r->month == 2 && leap(y));
    while (day > len)
        day -= 7;
    return (first + day - 1) * 86400 + r->time;
}

static int32_t posix_offset(const sl__tz *tz, int64_t utc)
{
    if (!tz->has_dst)
        return tz->std_off;
    int64_t days = (utc + tz->std_off) / 86400 - ((utc + tz->std_off) % 86400 < 0);
    int64_t y = (days * 400) / 146097 + 1970; /* close; corrected below */
    while (days_from_civil(y + 1, 1, 1) <= days)
        y++;
    while (days_from_civil(y, 1, 1) > days)
        y--;
    int64_t s = rule_local(&tz->start, y) - tz->std_off;
    int64_t e = rule_local(&tz->end, y) - tz->dst_off;
    bool dst = s < e ? (utc >= s && utc < e) : !(utc >= e && utc < s);
    return dst ? tz->dst_off : tz->std_off;
}

/* ---- TZif ------------------------------------------------------------------------------------ */

static sl_code parse_tzif(sl__tz *tz, const uint8_t *p, size_t n)
{
    if (n < 44 || memcmp(p, "TZif", 4) != 0)
        return SL_INVALID;
    int tsize = 4;
    size_t at = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (n - at < 44 || memcmp(p + at, "TZif", 4) != 0)
            return SL_INVALID;
        const uint8_t *h = p + at + 20;
        int64_t isut = be(h, 4), isstd = be(h + 4, 4), leapc = be(h + 8, 4), timec = be(h + 12, 4),
                typec = be(h + 16, 4), charc = be(h + 20, 4);
        if (isut < 0 || isstd < 0 || leapc < 0 || timec < 0 || typec <= 0 || charc < 0 ||
            timec > 100000 || typec > 256)
            return SL_INVALID;
        size_t len = (size_t)(timec * tsize + timec + typec * 6 + charc + leapc * (tsize + 4) +
                              isstd + isut);
        at += 44;
        if (len > n - at)
            return SL_INVALID;
        if (pass == 0 && p[4] >= '2') { /* skip the 32-bit block: the 64-bit one follows */
            at += len;
            tsize = 8;
            continue;
        }
        const uint8_t *t = p + at, *idx = t + timec * tsize, *types = idx + timec;
        tz->trans = sl_malloc((size_t)(timec ? timec : 1) * sizeof *tz->trans);
        tz->offs = sl_malloc((size_t)(timec ? timec : 1) * sizeof *tz->offs);
        if (tz->trans == NULL || tz->offs == NULL)
            return SL_NOMEM;
        for (int64_t i = 0; i < timec; i++) {
            if (idx[i] >= typec)
                return SL_INVALID;
            tz->trans[i] = be(t + i * tsize, tsize);
            tz->offs[i] = (int32_t)be(types + idx[i] * 6, 4);
        }
        tz->n = (size_t)timec;
        tz->off0 = (int32_t)be(types, 4);
        at += len;
        if (tsize == 8 && at < n && p[at] == '\n') { /* footer: \n<POSIX TZ>\n */
            char rule_s[128];
            size_t k = 0;
            for (at++; at < n && p[at] != '\n' && k < sizeof rule_s - 1; at++)
                rule_s[k++] = (char)p[at];
            rule_s[k] = '\0';
            if (k)
                parse_posix(tz, rule_s);
        }
        return SL_OK;
    }
    return SL_INVALID;
}

sl_code sl__tz_load(sl__tz *tz, const char *name, sl_err *err)
{
    sl__tz_free(tz);
    if (name[0] == '\0' || strcmp(name, "UTC") == 0 || strcmp(name, "GMT") == 0 ||
        strcmp(name, "Etc/UTC") == 0)
        return SL_OK;
    if (!name_ok(name))
        return sl_fail(err, SL_INVALID, "orc writer time zone '%.64s' is not a zone name", name);
    char path[128];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return sl_fail(err, SL_INVALID, "orc writer time zone '%s' is unknown on this server "
                                        "(no %s)",
                       name, path);
    uint8_t *buf = sl_malloc(TZ_MAX_FILE);
    size_t n = buf ? fread(buf, 1, TZ_MAX_FILE, f) : 0;
    fclose(f);
    if (buf == NULL)
        return sl_fail(err, SL_NOMEM, "out of memory for a time zone");
    sl_code rc = parse_tzif(tz, buf, n);
    sl_free(buf);
    if (rc == SL_NOMEM)
        return sl_fail(err, SL_NOMEM, "out of memory for a time zone");
    if (rc != SL_OK) {
        sl__tz_free(tz);
        return sl_fail(err, SL_INVALID, "time zone file %s is not readable TZif", path);
    }
    return SL_OK;
}

int32_t sl__tz_offset(const sl__tz *tz, int64_t utc)
{
    if (tz->n == 0)
        return tz->has_rule ? posix_offset(tz, utc) : tz->off0;
    if (utc < tz->trans[0])
        return tz->off0;
    if (utc >= tz->trans[tz->n - 1] && tz->has_rule)
        return posix_offset(tz, utc);
    size_t lo = 0, hi = tz->n; /* the last transition at or before utc */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->trans[mid] <= utc)
            lo = mid;
        else
            hi = mid;
    }
    return tz->offs[lo];
}

void sl__tz_free(sl__tz *tz)
{
    sl_free(tz->trans);
    sl_free(tz->offs);
    memset(tz, 0, sizeof *tz);
}
