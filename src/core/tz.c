/*
 * tz.c - time zones from TZif files (RFC 8536) and POSIX TZ rules (core). See tz.h.
 *
 *   name --lookup--> zoneinfo file --parse--> transitions (64-bit block) + footer TZ rule
 *   instant --binary search--> offset; after the last transition --rule--> offset
 *
 * Files come from the system (Debian's tzdata), not the network, but are still read with every
 * length checked: a damaged file is an unknown zone, never a crash.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include "platform.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "tz.h"

#define MAX_ZONE_FILE (1 << 20)    /* real ones are under 4 KiB */
#define MAX_TRANSITIONS 4096       /* real zones have a few hundred */

/* One side of a POSIX rule: when DST starts or ends. */
typedef struct tz_when {
    char kind;                     /* 'M' month.week.day, 'J' julian 1-365, 'n' zero-based day */
    int month, week, day;          /* M: 1-12, 1-5 (5 = last), 0-6 (Sunday = 0); J/n: day */
    int32_t time_s;                /* local time of day of the change (may be < 0 or > 24 h) */
} tz_when;

typedef struct tz_rule {
    bool has;                      /* a footer rule exists */
    int32_t std_off, dst_off;      /* seconds east of UTC */
    bool has_dst;
    tz_when start, end;
} tz_rule;

struct sl_tz {
    char *name;
    int64_t *at;                   /* transition instants, ascending */
    int32_t *off;                  /* off[i]: offset from at[i] on */
    size_t n;
    int32_t first_off;             /* before the first transition */
    tz_rule rule;                  /* after the last transition */
    struct sl_tz *next;            /* registry list */
};

struct sl_tzdb {
    char *dir;
    pthread_mutex_t mu;
    sl_tz *zones;
};

/* ---- POSIX TZ strings ("EST5EDT,M3.2.0,M11.1.0", "<+0330>-3:30", "CST-8") ---------------- */

static const char *skip_abbr(const char *p)
{
    if (*p == '<') {
        while (*p && *p != '>')
            p++;
        return *p == '>' ? p + 1 : NULL;
    }
    const char *s = p;
    while (isalpha((unsigned char)*p))
        p++;
    return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]]; hours up to 167 (RFC 8536 extension). */
static const char *parse_hms(const char *p, int32_t *out)
{
    int sign = 1;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    if (!isdigit((unsigned char)*p))
        return NULL;
    int32_t v[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        int k = 0;
        while (isdigit((unsigned char)*p) && k < 3)
            v[i] = v[i] * 10 + (*p++ - '0'), k++;
        if (*p != ':' || i == 2)
            break;
        p++;
    }
    if (v[0] > 167 || v[1] > 59 || v[2] > 59)
        return NULL;
    *out = sign * (v[0] * 3600 + v[1] * 60 + v[2]);
    return p;
}

static const char *parse_when(const char *p, tz_when *w)
{
    w->time_s = 7200; /* 02:00 by default */
    if (*p == 'M') {
        w->kind = 'M';
        if (sscanf(p + 1, "%d.%d.%d", &w->month, &w->week, &w->day) != 3 || w->month < 1 ||
            w->month > 12 || w->week < 1 || w->week > 5 || w->day < 0 || w->day > 6)
            return NULL;
        p++;
        while (*p && *p != '/' && *p != ',')
            p++;
    } else {
        w->kind = *p == 'J' ? 'J' : 'n';
        if (*p == 'J')
            p++;
        if (!isdigit((unsigned char)*p))
            return NULL;
        w->day = 0;
        while (isdigit((unsigned char)*p))
            w->day = w->day * 10 + (*p++ - '0');
        if (w->day > 365)
            return NULL;
    }
    if (*p == '/')
        p = parse_hms(p + 1, &w->time_s);
    return p;
}

static bool parse_rule(const char *p, tz_rule *r)
{
    memset(r, 0, sizeof *r);
    int32_t v;
    if ((p = skip_abbr(p)) == NULL || (p = parse_hms(p, &v)) == NULL)
        return false;
    r->std_off = -v; /* POSIX offsets are west of UTC */
    r->has = true;
    if (*p == '\0')
        return true;
    if ((p = skip_abbr(p)) == NULL)
        return false;
    r->has_dst = true;
    r->dst_off = r->std_off + 3600;
    if (*p != ',' && *p != '\0') {
        if ((p = parse_hms(p, &v)) == NULL)
            return false;
        r->dst_off = -v;
    }
    if (*p == '\0') { /* no rule: the US rules, as POSIX suggests */
        r->start = (tz_when){'M', 3, 2, 0, 7200};
        r->end = (tz_when){'M', 11, 1, 0, 7200};
        return true;
    }
    if (*p != ',' || (p = parse_when(p + 1, &r->start)) == NULL || *p != ',' ||
        (p = parse_when(p + 1, &r->end)) == NULL)
        return false;
    return *p == '\0';
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian) [Hinnant days_from_civil]. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The local instant (seconds since 1970 on the local clock) of a rule change in year y. */
static int64_t when_local(const tz_when *w, int64_t y)
{
    int64_t day;
    if (w->kind == 'M') {
        static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int64_t first = days_from_civil(y, w->month, 1);
        int wd = (int)(((first % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
        int64_t d = first + (w->day - wd + 7) % 7 + 7 * (w->week - 1);
        int len = mdays[w->month - 1] + (w->month == 2 && leap(y));
        while (d >= first + len)
            d -= 7;
        day = d;
    } else if (w->kind == 'J') { /* 1..365, February 29 never counted */
        int64_t d = w->day - 1;
        if (leap(y) && w->day >= 60)
            d++;
        day = days_from_civil(y, 1, 1) + d;
    } else {
        day = days_from_civil(y, 1, 1) + w->day;
    }
    return day * 86400 + w->time_s;
}

/* The year (UTC) an instant falls in. */
static int64_t year_of(int64_t s)
{
    int64_t z = (s >= 0 ? s : s - 86399) / 86400 + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    return yoe + era * 400 + (mp >= 10);
}

static int32_t rule_offset(const tz_rule *r, int64_t utc)
{
    if (!r->has_dst)
        return r->std_off;
    int64_t y = year_of(utc + r->std_off);
    /* Starts are given in standard time, ends in daylight time. */
    int64_t start = when_local(&r->start, y) - r->std_off;
    int64_t end = when_local(&r->end, y) - r->dst_off;
    bool dst = start < end ? (utc >= start && utc < end) : (utc < end || utc >= start);
    return dst ? r->dst_off : r->std_off;
}

int32_t sl_tz_offset_utc(const sl_tz *z, int64_t utc_s)
{
    if (z->n == 0 || utc_s < z->at[0])
        return z->n == 0 && z->rule.has ? rule_offset(&z->rule, utc_s) : z->first_off;
    if (utc_s >= z->at[z->n - 1] && z->rule.has)
        return rule_offset(&z->rule, utc_s);
    size_t lo = 0, hi = z->n; /* the last transition at or before utc_s */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->at[mid] <= utc_s)
            lo = mid;
        else
            hi = mid;
    }
    return z->off[lo];
}

int32_t sl_tz_offset_local(const sl_tz *z, int64_t local_s)
{
    /* Candidates: the offsets around local_s (transitions are never hours apart); one is
     * valid when the instant it gives has that very offset. */
    int32_t g = sl_tz_offset_utc(z, local_s);
    int32_t o = sl_tz_offset_utc(z, local_s - g);
    int32_t a = g < o ? g : o, b = g < o ? o : g;
    bool va = sl_tz_offset_utc(z, local_s - a) == a, vb = sl_tz_offset_utc(z, local_s - b) == b;
    if (va && vb)
        return b; /* repeated time: the first occurrence is the earlier instant */
    if (va || vb)
        return va ? a : b;
    /* A skipped time: the offset before the gap. */
    return sl_tz_offset_utc(z, local_s - b - 1);
}

const char *sl_tz_name(const sl_tz *z)
{
    return z->name;
}

void sl_tz_free(sl_tz *z)
{
    if (z == NULL)
        return;
    free(z->name);
    sl_free(z->at);
    sl_free(z->off);
    sl_free(z);
}

sl_tz *sl_tz_fixed(int32_t offset_s)
{
    sl_tz *z = sl_calloc(sizeof *z);
    char name[16];
    if (z == NULL)
        return NULL;
    snprintf(name, sizeof name, "%c%02d:%02d", offset_s < 0 ? '-' : '+',
             abs(offset_s) / 3600, abs(offset_s) % 3600 / 60);
    z->name = strdup(name);
    z->first_off = offset_s;
    if (z->name == NULL) {
        sl_tz_free(z);
        return NULL;
    }
    return z;
}

/* ---- TZif -------------------------------------------------------------------------------- */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

typedef struct tzif_counts {
    uint32_t isut, isstd, leap, time, type, chr;
} tzif_counts;

static bool read_counts(const uint8_t *p, size_t n, tzif_counts *c)
{
    if (n < 44 || memcmp(p, "TZif", 4) != 0)
        return false;
    *c = (tzif_counts){be32(p + 20), be32(p + 24), be32(p + 28), be32(p + 32), be32(p + 36),
                       be32(p + 40)};
    return c->time <= MAX_TRANSITIONS && c->type >= 1 && c->type <= 256 && c->chr <= 65536 &&
           c->leap <= 1024 && c->isut <= 256 && c->isstd <= 256;
}

static size_t block_size(const tzif_counts *c, size_t tsize)
{
    return c->time * tsize + c->time + c->type * 6 + c->chr + c->leap * (tsize + 4) + c->isstd +
           c->isut;
}

/* Fill z from the file's bytes: the 64-bit block of version 2+, else the 32-bit one. */
static bool parse_tzif(sl_tz *z, const uint8_t *p, size_t n)
{
    tzif_counts c;
    if (!read_counts(p, n, &c))
        return false;
    size_t tsize = 4, off = 44;
    if (p[4] >= '2') {
        size_t skip = 44 + block_size(&c, 4);
        if (skip > n || !read_counts(p + skip, n - skip, &c))
            return false;
        tsize = 8, off = skip + 44;
    }
    if (off + block_size(&c, tsize) > n)
        return false;
    const uint8_t *times = p + off, *idx = times + c.time * tsize, *types = idx + c.time;
    z->n = c.time;
    z->at = sl_malloc((c.time + 1) * sizeof *z->at);
    z->off = sl_malloc((c.time + 1) * sizeof *z->off);
    if (z->at == NULL || z->off == NULL)
        return false;
    for (size_t i = 0; i < c.time; i++) {
        z->at[i] = tsize == 8 ? be64(times + 8 * i) : (int32_t)be32(times + 4 * i);
        if (idx[i] >= c.type || (i && z->at[i] <= z->at[i - 1]))
            return false;
        z->off[i] = (int32_t)be32(types + 6 * idx[i]);
    }
    z->first_off = (int32_t)be32(types); /* type 0: before the first transition */
    if (tsize == 8) { /* footer: "\n<POSIX TZ>\n" */
        const uint8_t *f = p + off + block_size(&c, 8), *end = p + n;
        if (f < end && *f == '\n') {
            const uint8_t *nl = memchr(f + 1, '\n', (size_t)(end - f - 1));
            if (nl && nl > f + 1 && nl - f < 128) {
                char rule[128];
                memcpy(rule, f + 1, (size_t)(nl - f - 1));
                rule[nl - f - 1] = '\0';
                if (!parse_rule(rule, &z->rule))
                    return false;
            }
        }
    }
    return true;
}

/* A zone name safe to join to the directory: letters, digits, '_', '-', '+', '/' segments. */
static bool safe_name(sl_slice name)
{
    if (name.n == 0 || name.n > 64 || name.p[0] == '/')
        return false;
    for (size_t i = 0; i < name.n; i++) {
        char ch = name.p[i];
        if (!(isalnum((unsigned char)ch) || ch == '_' || ch == '-' || ch == '+' || ch == '/'))
            return false;
        if (ch == '/' && (i + 1 == name.n || name.p[i + 1] == '/' || name.p[i + 1] == '.'))
            return false;
    }
    return name.p[0] != '.';
}

static sl_tz *load_file(const char *dir, sl_slice name)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%.*s", dir, (int)name.n, name.p);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    uint8_t *buf = sl_malloc(MAX_ZONE_FILE);
    size_t n = buf ? fread(buf, 1, MAX_ZONE_FILE, f) : 0;
    fclose(f);
    sl_tz *z = buf ? sl_calloc(sizeof *z) : NULL;
    bool ok = z && n < MAX_ZONE_FILE && parse_tzif(z, buf, n);
    sl_free(buf);
    if (!ok) {
        sl_tz_free(z);
        return NULL;
    }
    return z;
}

/* "+08:00", "-5:30", "+8", "UTC", "GMT", "Z": a fixed zone, or NULL when not of that form. */
static bool fixed_offset(sl_slice v, int32_t *out)
{
    if (sl_slice_ieq(v, "UTC") || sl_slice_ieq(v, "GMT") || sl_slice_ieq(v, "Z") ||
        sl_slice_ieq(v, "Etc/UTC") || sl_slice_ieq(v, "Etc/GMT")) {
        *out = 0;
        return true;
    }
    if (v.n < 2 || v.n > 6 || (v.p[0] != '+' && v.p[0] != '-'))
        return false;
    int h = 0, m = 0;
    size_t i = 1;
    for (int k = 0; i < v.n && isdigit((unsigned char)v.p[i]) && k < 2; k++)
        h = h * 10 + (v.p[i++] - '0');
    if (i < v.n) {
        if (v.p[i++] != ':' || v.n - i != 2 || !isdigit((unsigned char)v.p[i]) ||
            !isdigit((unsigned char)v.p[i + 1]))
            return false;
        m = (v.p[i] - '0') * 10 + (v.p[i + 1] - '0');
    }
    if (h > 14 || m > 59 || (h == 14 && m > 0))
        return false;
    *out = (v.p[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
    return true;
}

sl_tzdb *sl_tzdb_new(const char *dir)
{
    sl_tzdb *db = sl_calloc(sizeof *db);
    if (db == NULL)
        return NULL;
    db->dir = strdup(dir ? dir : "/usr/share/zoneinfo");
    if (db->dir == NULL) {
        sl_free(db);
        return NULL;
    }
    pthread_mutex_init(&db->mu, NULL);
    return db;
}

void sl_tzdb_free(sl_tzdb *db)
{
    if (db == NULL)
        return;
    for (sl_tz *z = db->zones, *next; z; z = next) {
        next = z->next;
        sl_tz_free(z);
    }
    pthread_mutex_destroy(&db->mu);
    free(db->dir);
    sl_free(db);
}

sl_code sl_tzdb_get(sl_tzdb *db, sl_slice name, const sl_tz **out, sl_err *err)
{
    name = sl_slice_trim(name);
    if (sl_slice_ieq(name, "CST")) /* Doris reads CST as China Standard Time */
        name = SL_LIT("Asia/Shanghai");
    pthread_mutex_lock(&db->mu);
    for (sl_tz *z = db->zones; z; z = z->next)
        if (strlen(z->name) == name.n && memcmp(z->name, name.p, name.n) == 0) {
            pthread_mutex_unlock(&db->mu);
            *out = z;
            return SL_OK;
        }
    int32_t off;
    sl_tz *z = NULL;
    if (fixed_offset(name, &off))
        z = sl_tz_fixed(off);
    else if (safe_name(name))
        z = load_file(db->dir, name);
    if (z && (z->name == NULL || strlen(z->name) != name.n || memcmp(z->name, name.p, name.n))) {
        free(z->name);
        z->name = malloc(name.n + 1);
        if (z->name) {
            memcpy(z->name, name.p, name.n);
            z->name[name.n] = '\0';
        }
    }
    if (z && z->name == NULL) {
        sl_tz_free(z);
        z = NULL;
    }
    if (z) {
        z->next = db->zones;
        db->zones = z;
    }
    pthread_mutex_unlock(&db->mu);
    if (z == NULL)
        return sl_fail(err, SL_INVALID, "Unknown or incorrect time zone: '%.*s'", (int)name.n,
                       name.p);
    *out = z;
    return SL_OK;
}
