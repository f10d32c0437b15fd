/*
 * tz.h: time zones read from the system's zoneinfo (tzdata), for the
 * schedules' cron expressions.  No process-global state: nothing here
 * touches TZ, tzset() or localtime(); a zone is a value the caller owns.
 *
 * Zones come from $TZDIR (default /usr/share/zoneinfo), named as IANA
 * names ("Europe/Berlin"), plus the built-in "UTC".  A name is checked
 * before any file is opened: components of [A-Za-z0-9_+-] joined by '/',
 * at most TZ_NAME_MAX bytes; anything else ("..", a leading '/', a NUL)
 * is refused.  The file must be a regular TZif file (RFC 8536) of at most
 * TZ_FILE_MAX bytes without leap-second records.
 */
#ifndef PIPELIT_TZ_H
#define PIPELIT_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TZ_NAME_MAX 64           /* the longest IANA name today is 32 bytes */
#define TZ_FILE_MAX (256 * 1024) /* the largest zoneinfo file is under 4 KiB */
#define TZ_ERR_LEN 128           /* enough for every message of tz_load */
#define TZ_ISO_LEN 32            /* "2027-03-28T03:00:00+02:00" (+ seconds of an old offset) */
#define TZ_DEFAULT_DIR "/usr/share/zoneinfo"

typedef struct tz_zone tz_zone;

/* Whether name (len bytes, no NUL among them) is a well-formed zone name. */
bool tz_name_valid(const char *name, size_t len);

/* Loads a zone.  NULL with a message in err ("invalid time zone name",
 * "unknown time zone: Mars/Base") when the name is refused or names no
 * usable TZif file.  The caller frees the zone with tz_free(). */
tz_zone *tz_load(const char *name, char *err, size_t err_len);
/* The same for a name with a length (text from JSON may hold a NUL). */
tz_zone *tz_load_n(const char *name, size_t len, char *err, size_t err_len);
/* A zone from the bytes of a TZif file (what tz_load reads); name is only
 * recorded.  NULL with a message when the data is not valid TZif. */
tz_zone *tz_parse(const char *name, const unsigned char *data, size_t len, char *err,
                  size_t err_len);
void tz_free(tz_zone *zone);

/* The zone's name, as given to tz_load. */
const char *tz_name(const tz_zone *zone);

/* The offset from UTC at an instant, in seconds east of UTC. */
int tz_offset_at(const tz_zone *zone, int64_t unix_s);
/* The same, with the instants [*start, *end) over which that offset holds
 * unchanged (INT64_MIN / INT64_MAX when unbounded).  Either may be NULL. */
int tz_period_at(const tz_zone *zone, int64_t unix_s, int64_t *start, int64_t *end);

/* The first instant whose wall clock reads local_s or later, local_s
 * being a wall-clock time counted like Unix seconds (local midnight of
 * 1970-01-01 is 0).  For a time that exists once this is that instant;
 * for a time repeated when the clocks go back, its first occurrence; for
 * a time skipped when they go forward, the instant the clocks jump (the
 * first valid instant after it). */
int64_t tz_local_to_utc(const tz_zone *zone, int64_t local_s);

/* The zone's abbreviation at an instant ("CET", "CEST", "UTC", "+03"), as
 * its data spells it (cut to 15 bytes); "" when the data has none.  Valid
 * while the zone is. */
const char *tz_abbr_at(const tz_zone *zone, int64_t unix_s);

/* An instant as ISO 8601 local time with the zone's offset:
 * "2027-03-28T03:00:00+02:00" (offsets with seconds, from before 1900 in
 * some zones, as "+00:53:28").  0, or -1 outside the years 0..9999. */
int tz_format_iso(const tz_zone *zone, int64_t unix_s, char out[TZ_ISO_LEN]);

#endif
