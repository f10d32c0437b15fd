/* test_cron.c: cron expression syntax, its errors, and due times across
 * DST changes, leap days and impossible dates (doc/cron.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "sched/cron.h"
#include "sched/tz.h"

/* Unix seconds of a UTC date-time "YYYY-MM-DDTHH:MM:SSZ". */
static int64_t
utc(const char *iso)
{
	int y, mo, d, h, mi, s;
	if (sscanf(iso, "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &s) != 6)
		abort();
	/* days from civil, as the library's own would be circular */
	y -= mo <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468) * 86400 + h * 3600 + mi * 60 + s;
}

static tz_zone *
zone(const char *name)
{
	char err[TZ_ERR_LEN];
	tz_zone *z = tz_load(name, err, sizeof err);
	if (z == NULL) {
		printf("Bail out! cannot load %s: %s\n", name, err);
		exit(1);
	}
	return z;
}

/* The next n due times of expr after `after` (UTC ISO) in zone, rendered
 * in the zone's local time and joined by spaces. */
static const char *
runs(const char *expr, const char *zname, const char *after, size_t n)
{
	static char out[1024];
	cron_expr e;
	char err[CRON_ERR_LEN];
	if (cron_parse(expr, &e, err, sizeof err) != 0) {
		snprintf(out, sizeof out, "error: %s", err);
		return out;
	}
	tz_zone *z = zone(zname);
	int64_t t[32];
	size_t got = cron_next_n(&e, z, utc(after), t, n);
	out[0] = '\0';
	for (size_t i = 0; i < got; i++) {
		char iso[TZ_ISO_LEN];
		tz_format_iso(z, t[i], iso);
		if (i > 0)
			strcat(out, " ");
		strcat(out, iso);
	}
	if (got == 0)
		strcpy(out, "none");
	tz_free(z);
	return out;
}

/* The message cron_parse gives for expr, or "ok". */
static const char *
parse_error(const char *expr)
{
	static char err[CRON_ERR_LEN];
	cron_expr e;
	if (cron_parse(expr, &e, err, sizeof err) == 0)
		return "ok";
	return err;
}

static void
test_dst_berlin(void)
{
	/* 2027-03-28: 02:00 CET jumps to 03:00 CEST (01:00 UTC). */
	is_str(runs("30 2 * * *", "Europe/Berlin", "2027-03-26T12:00:00Z", 4),
	       "2027-03-27T02:30:00+01:00 2027-03-28T03:00:00+02:00 2027-03-29T02:30:00+02:00 "
	       "2027-03-30T02:30:00+02:00",
	       "Berlin spring: 02:30 runs once at 03:00 on the day it does not exist");
	is_str(runs("*/15 * * * *", "Europe/Berlin", "2027-03-28T00:30:00Z", 4),
	       "2027-03-28T01:45:00+01:00 2027-03-28T03:00:00+02:00 2027-03-28T03:15:00+02:00 "
	       "2027-03-28T03:30:00+02:00",
	       "Berlin spring: 02:00..02:45 collapse to one run at 03:00");
	/* 2027-10-31: 03:00 CEST goes back to 02:00 CET (01:00 UTC). */
	is_str(runs("30 2 * * *", "Europe/Berlin", "2027-10-30T12:00:00Z", 3),
	       "2027-10-31T02:30:00+02:00 2027-11-01T02:30:00+01:00 2027-11-02T02:30:00+01:00",
	       "Berlin autumn: 02:30 runs once, at its first occurrence");
}

int
main(void)
{
	is_str(parse_error("* * * * *"), "ok", "five stars parse");
	test_dst_berlin();
	printf("1..%d\n", tap_count);
	return tap_failed != 0;
}
