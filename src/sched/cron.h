/*
 * cron.h: 5-field cron expressions (minute hour day-of-month month
 * day-of-week) and their due times in a time zone (doc/cron.md).
 *
 * Syntax per field: '*', numbers, ranges a-b, lists a,b-c, steps (a '*'
 * or a range, then /n); month names JAN..DEC and day names SUN..SAT in
 * any case; 7 is Sunday as 0 is.  Macros: @yearly @annually @monthly
 * @weekly @daily @midnight @hourly.  When day-of-month and day-of-week
 * are both restricted (neither starts with '*'), a day matches when
 * either does.
 *
 * Due times follow the wall clock of the zone: a time the clocks skip
 * (spring forward) runs once, at the instant they jump; a time they repeat
 * (autumn) runs once, at its first occurrence.  Pure functions, no I/O; a
 * parsed expression and a loaded zone are read-only, so threads and
 * processes may share them.  The zone must not be NULL (tz_load("UTC")
 * needs no file).
 */
#ifndef PIPELIT_CRON_H
#define PIPELIT_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tz_zone;

#define CRON_TEXT_MAX 256   /* longest accepted expression, in bytes */
#define CRON_ERR_LEN 128    /* enough for every message of cron_parse */

typedef struct cron_expr {
	uint64_t minutes;   /* bits 0..59 */
	uint32_t hours;     /* bits 0..23 */
	uint32_t mdays;     /* bits 1..31 */
	uint16_t months;    /* bits 1..12 */
	uint8_t wdays;      /* bits 0..6, 0 = Sunday */
	bool mday_restricted, wday_restricted;
} cron_expr;

/* Parses text.  0, or -1 with a short message for a client in err
 * ("hour: 24 is out of range 0-23"). */
int cron_parse(const char *text, cron_expr *out, char *err, size_t err_len);

/* The first due instant strictly after after_unix (Unix seconds), in
 * zone's wall clock; -1 when there is none within the next eight years
 * (the longest gap between two 29 Februaries), e.g. "0 0 31 2 *", or
 * when it would fall after the year 9999. */
int64_t cron_next(const cron_expr *e, const struct tz_zone *zone, int64_t after_unix);

/* Up to n due instants after after_unix, in order, into out; how many. */
size_t cron_next_n(const cron_expr *e, const struct tz_zone *zone, int64_t after_unix,
                   int64_t *out, size_t n);

#endif
