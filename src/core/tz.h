/*
 * tz.h - time zones: IANA names read from the system's zoneinfo files (TZif, with their POSIX
 * rule for times after the last transition), and fixed offsets (core; used by the load-time
 * conversions, the expression engine, the history and the SQL API).
 *
 * sluice keeps DATETIME values as wall-clock microseconds without a zone; a time zone is needed
 * only where an instant meets a wall clock: now(), from_unixtime, unix_timestamp, a datetime
 * text that carries its own zone, and the times the history shows. Each of those asks for the
 * offset at that instant, so daylight-saving time is right for every value, not only for the
 * moment the load started.
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_TZ_H
#define SL_TZ_H

#include "slice.h"
#include "status.h"

typedef struct sl_tz sl_tz;
typedef struct sl_tzdb sl_tzdb;

/* A registry of loaded zones (each read once, kept until sl_tzdb_free). dir is the zoneinfo
 * directory (NULL: /usr/share/zoneinfo). Thread-safe. NULL when out of memory. */
sl_tzdb *sl_tzdb_new(const char *dir);
void sl_tzdb_free(sl_tzdb *db);

/* The zone named name: "UTC", "GMT", "Z", an offset "+08:00" / "-05:30" / "+8", or an IANA name
 * ("Asia/Shanghai", "America/New_York", case-sensitive as the files are, with the common
 * case-insensitive spellings "utc", "CST" = Asia/Shanghai as Doris reads it). The result lives
 * as long as db. SL_INVALID "Unknown or incorrect time zone: 'x'" when there is no such zone. */
sl_code sl_tzdb_get(sl_tzdb *db, sl_slice name, const sl_tz **out, sl_err *err);

/* A fixed-offset zone with no file (for tests and defaults); out must be freed with sl_tz_free. */
sl_tz *sl_tz_fixed(int32_t offset_s);
void sl_tz_free(sl_tz *z);

/* Seconds east of UTC in effect at the instant utc_s (seconds since 1970-01-01 UTC). */
int32_t sl_tz_offset_utc(const sl_tz *z, int64_t utc_s);

/* The offset to subtract from a wall-clock time local_s (seconds since 1970-01-01 on that
 * clock) to get UTC. A time repeated by a DST fall-back is read as its first occurrence; a time
 * skipped by a spring-forward gap with the offset before the gap (as cctz's "pre", which Doris
 * uses). */
int32_t sl_tz_offset_local(const sl_tz *z, int64_t local_s);

/* The zone's name as given to sl_tzdb_get (static for the zone's life). */
const char *sl_tz_name(const sl_tz *z);

#endif
