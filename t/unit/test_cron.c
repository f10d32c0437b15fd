/*
 * test_cron.c: cron expression syntax and its errors, and due times across
 * DST changes, leap days and impossible dates (doc/cron.md).  Due times
 * are also checked against a brute-force reference that walks every
 * minute with glibc's localtime_r as the oracle for the wall clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include "sched/cron.h"
#include "sched/tz.h"

/* Unix seconds of a UTC date-time "YYYY-MM-DDTHH:MM:SS" (glibc's timegm,
 * not the library's own calendar). */
static int64_t
utc(const char *iso)
{
	struct tm tm = { 0 };
	if (strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		abort();
	return (int64_t)timegm(&tm);
}

static tz_zone *
load(const char *name)
{
	char err[TZ_ERR_LEN];
	tz_zone *z = tz_load(name, err, sizeof err);
	if (z == NULL) {
		printf("Bail out! cannot load %s: %s\n", name, err);
		exit(1);
	}
	return z;
}

/* The next n due times of expr after `after` (UTC) in zone, rendered in
 * the zone's local time and joined by spaces; "none", or the error. */
static const char *
runs(const char *expr, const char *zname, const char *after, size_t n)
{
	static char out[2048];
	cron_expr e;
	char err[CRON_ERR_LEN];
	if (cron_parse(expr, &e, err, sizeof err) != 0) {
		snprintf(out, sizeof out, "error: %s", err);
		return out;
	}
	tz_zone *z = load(zname);
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

/* The values of a bit set from lo to hi as "1,2,5", or "*" for all. */
static void
show_set(uint64_t bits, int lo, int hi, char *out, size_t len)
{
	uint64_t all = 0;
	for (int v = lo; v <= hi; v++)
		all |= (uint64_t)1 << v;
	if (bits == all) {
		snprintf(out, len, "*");
		return;
	}
	size_t n = 0;
	out[0] = '\0';
	for (int v = lo; v <= hi; v++)
		if ((bits >> v) & 1)
			n += (size_t)snprintf(out + n, len - n, "%s%d", n ? "," : "", v);
}

/* A parsed expression as "minutes hours mdays months wdays and|or", or
 * the error message. */
static const char *
parsed(const char *expr)
{
	static char out[1024];
	char err[CRON_ERR_LEN], f[5][200];
	cron_expr e;
	if (cron_parse(expr, &e, err, sizeof err) != 0) {
		snprintf(out, sizeof out, "error: %s", err);
		return out;
	}
	show_set(e.minutes, 0, 59, f[0], sizeof f[0]);
	show_set(e.hours, 0, 23, f[1], sizeof f[1]);
	show_set(e.mdays, 1, 31, f[2], sizeof f[2]);
	show_set(e.months, 1, 12, f[3], sizeof f[3]);
	show_set(e.wdays, 0, 6, f[4], sizeof f[4]);
	snprintf(out, sizeof out, "%s %s %s %s %s %s", f[0], f[1], f[2], f[3], f[4],
	         e.mday_restricted && e.wday_restricted ? "or" : "and");
	return out;
}

static void
test_syntax(void)
{
	static const struct {
		const char *expr, *want;
	} cases[] = {
		{ "* * * * *", "* * * * * and" },
		{ "0 0 1 1 0", "0 0 1 1 0 or" },
		{ "59 23 31 12 6", "59 23 31 12 6 or" },
		{ "5,10,15 * * * *", "5,10,15 * * * * and" },
		{ "10-12 * * * *", "10,11,12 * * * * and" },
		{ "*/20 * * * *", "0,20,40 * * * * and" },
		{ "*/60 */24 * * *", "0 0 * * * and" },
		{ "10-30/10 * * * *", "10,20,30 * * * * and" },
		{ "0-59/30,7 * * * *", "0,7,30 * * * * and" },
		{ "1,1,1 * * * *", "1 * * * * and" },
		{ "0 9-17/4 * * *", "0 9,13,17 * * * and" },
		{ "* * */10 * *", "* * 1,11,21,31 * * and" },
		{ "* * * */5 *", "* * * 1,6,11 * and" },
		{ "* * * */1 *", "* * * * * and" },
		{ "* * * JAN,jun,Dec *", "* * * 1,6,12 * and" },
		{ "* * * feb-APR *", "* * * 2,3,4 * and" },
		{ "* * * mar-10/3 *", "* * * 3,6,9 * and" },
		{ "* * * * MON-fri", "* * * * 1,2,3,4,5 and" },
		{ "* * * * sun,SAT", "* * * * 0,6 and" },
		{ "* * * * 7", "* * * * 0 and" },
		{ "* * * * 5-7", "* * * * 0,5,6 and" },
		{ "* * * * 0-7", "* * * * * and" },
		{ "* * * * */2", "* * * * 0,2,4,6 and" },
		{ "* * * * thu-7", "* * * * 0,4,5,6 and" },
		{ "0 0 13 * 5", "0 0 13 * 5 or" },
		{ "0 0 */2 * 1", "0 0 1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31 * 1 and" },
		{ "0 0 1-31 * *", "0 0 * * * and" },
		{ "0 0 1-31 * 1-7", "0 0 * * * or" },
		{ "  \t0   0\t* *  *\t ", "0 0 * * * and" },
		{ "007 08 09 010 00", "7 8 9 10 0 or" },
		{ "@yearly", "0 0 1 1 * and" },
		{ "@annually", "0 0 1 1 * and" },
		{ "@monthly", "0 0 1 * * and" },
		{ "@weekly", "0 0 * * 0 and" },
		{ "@daily", "0 0 * * * and" },
		{ "@midnight", "0 0 * * * and" },
		{ "@hourly", "0 * * * * and" },
		{ "@HOURLY", "0 * * * * and" },
		{ " @daily ", "0 0 * * * and" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		is_str(parsed(cases[i].expr), cases[i].want, "'%s'", cases[i].expr);
}

static void
test_errors(void)
{
	char long_expr[CRON_TEXT_MAX + 2];
	memset(long_expr, ' ', sizeof long_expr);
	memcpy(long_expr, "* * * * *", 9);
	long_expr[CRON_TEXT_MAX + 1] = '\0';
	char max_expr[CRON_TEXT_MAX + 1];
	memset(max_expr, ' ', sizeof max_expr);
	memcpy(max_expr, "* * * * *", 9);
	max_expr[CRON_TEXT_MAX] = '\0';
	is_str(parsed(max_expr), "* * * * * and", "an expression of the longest accepted length");

	const struct {
		const char *expr, *want;
	} cases[] = {
		{ "", "cron expression is empty" },
		{ " \t ", "cron expression is empty" },
		{ "* * * *", "expected 5 fields (minute hour day-of-month month day-of-week), found 4" },
		{ "0 * * * * *", "expected 5 fields (minute hour day-of-month month day-of-week), found 6" },
		{ "0 0 * * * 2027", "expected 5 fields (minute hour day-of-month month day-of-week), found 6" },
		{ "60 * * * *", "minute: '60' is out of range 0-59" },
		{ "* 24 * * *", "hour: '24' is out of range 0-23" },
		{ "* * 0 * *", "day-of-month: '0' is out of range 1-31" },
		{ "* * 32 * *", "day-of-month: '32' is out of range 1-31" },
		{ "* * * 0 *", "month: '0' is out of range 1-12" },
		{ "* * * 13 *", "month: '13' is out of range 1-12" },
		{ "* * * * 8", "day-of-week: '8' is out of range 0-7" },
		{ "99999999999999999999 * * * *", "minute: '99999999999999999999' is out of range 0-59" },
		{ "-1 * * * *", "minute: a value is missing" },
		{ "1- * * * *", "minute: a value is missing" },
		{ "5-1 * * * *", "minute: range '5-1' runs backwards" },
		{ "* * * * FRI-MON", "day-of-week: range 'FRI-MON' runs backwards" },
		{ "*/0 * * * *", "minute: step '0' must be 1-60" },
		{ "1-5/0 * * * *", "minute: step '0' must be 1-60" },
		{ "*/61 * * * *", "minute: step '61' must be 1-60" },
		{ "* * * * */8", "day-of-week: step '8' must be 1-7" },
		{ "*/ * * * *", "minute: a step is missing after '/'" },
		{ "*/x * * * *", "minute: step 'x' is not a number" },
		{ "*/1/2 * * * *", "minute: step '1/2' is not a number" },
		{ "5/10 * * * *", "minute: a step needs '*' or a range before it, not '5/10'" },
		{ "1,,2 * * * *", "minute: empty list item" },
		{ "1, * * * *", "minute: empty list item" },
		{ ",1 * * * *", "minute: empty list item" },
		{ "1x * * * *", "minute: '1x' is not a number" },
		{ "a * * * *", "minute: 'a' is not a number" },
		{ "** * * * *", "minute: '**' is not a number" },
		{ "*-5 * * * *", "minute: '*' is not a number" },
		{ "? * * * *", "minute: '?' is not a number" },
		{ "* * ? * *", "day-of-month: '?' is not a number" },
		{ "* * L * *", "day-of-month: 'L' is not a number" },
		{ "* * 15W * *", "day-of-month: '15W' is not a number" },
		{ "* * * * 5#3", "day-of-week: '5#3' is not a number" },
		{ "* * * * 5L", "day-of-week: '5L' is not a number" },
		{ "* * * JANUARY *", "month: 'JANUARY' is neither a number nor a month name" },
		{ "* * * * MONDAY", "day-of-week: 'MONDAY' is neither a number nor a day name" },
		{ "* * * * JAN", "day-of-week: 'JAN' is neither a number nor a day name" },
		{ "* * * MON *", "month: 'MON' is neither a number nor a month name" },
		{ "MON * * * *", "minute: 'MON' is not a number" },
		{ "* * * * +1", "day-of-week: '+1' is neither a number nor a day name" },
		{ "0 0 * * *\n", "cron expression holds a control or non-ASCII character" },
		{ "0 0 * * *\r", "cron expression holds a control or non-ASCII character" },
		{ "0 0 * * \xc3\xa9", "cron expression holds a control or non-ASCII character" },
		{ "@reboot", "unknown macro '@reboot' (known: @yearly @annually @monthly @weekly @daily @midnight @hourly)" },
		{ "@daily 0", "unknown macro '@daily 0' (known: @yearly @annually @monthly @weekly @daily @midnight @hourly)" },
		{ "@", "unknown macro '@' (known: @yearly @annually @monthly @weekly @daily @midnight @hourly)" },
		{ "0 @daily * * *", "hour: '@daily' is not a number" },
		{ "* * * * thu-sun", "day-of-week: range 'thu-sun' runs backwards" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char want[CRON_ERR_LEN + 10];
		snprintf(want, sizeof want, "error: %s", cases[i].want);
		char shown[41];
		snprintf(shown, sizeof shown, "%s", cases[i].expr);
		for (char *c = shown; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
				*c = '?';
		is_str(parsed(cases[i].expr), want, "'%s' is refused", shown);
	}
	is_str(parsed(long_expr), "error: cron expression is longer than 256 characters",
	       "one byte more is refused");
	cron_expr e;
	ok(cron_parse(NULL, &e, NULL, 0) == -1, "NULL is refused, without an error buffer");
	char tiny[8];
	ok(cron_parse("61 * * * *", &e, tiny, sizeof tiny) == -1 && strlen(tiny) == 7,
	   "a short error buffer gets a cut message");
}

/* Berlin: 2027-03-28 02:00 CET -> 03:00 CEST (01:00 UTC);
 * 2027-10-31 03:00 CEST -> 02:00 CET (01:00 UTC). */
static void
test_dst_berlin(void)
{
	is_str(runs("30 2 * * *", "Europe/Berlin", "2027-03-26T12:00:00", 4),
	       "2027-03-27T02:30:00+01:00 2027-03-28T03:00:00+02:00 2027-03-29T02:30:00+02:00 "
	       "2027-03-30T02:30:00+02:00",
	       "Berlin spring, daily 02:30: once at 03:00 (01:00 UTC) the day it does not exist");
	is_str(runs("*/15 * * * *", "Europe/Berlin", "2027-03-28T00:30:00", 4),
	       "2027-03-28T01:45:00+01:00 2027-03-28T03:00:00+02:00 2027-03-28T03:15:00+02:00 "
	       "2027-03-28T03:30:00+02:00",
	       "Berlin spring, */15: 02:00..02:45 collapse to one run at 03:00");
	is_str(runs("0 * * * *", "Europe/Berlin", "2027-03-27T23:30:00", 4),
	       "2027-03-28T01:00:00+01:00 2027-03-28T03:00:00+02:00 2027-03-28T04:00:00+02:00 "
	       "2027-03-28T05:00:00+02:00",
	       "Berlin spring, hourly: 02:00 and 03:00 are one run");
	is_str(runs("0,30 2 * * *", "Europe/Berlin", "2027-03-27T12:00:00", 3),
	       "2027-03-28T03:00:00+02:00 2027-03-29T02:00:00+02:00 2027-03-29T02:30:00+02:00",
	       "Berlin spring, 02:00 and 02:30: one run at 03:00, never two");
	is_str(runs("30 2 * * *", "Europe/Berlin", "2027-10-30T12:00:00", 3),
	       "2027-10-31T02:30:00+02:00 2027-11-01T02:30:00+01:00 2027-11-02T02:30:00+01:00",
	       "Berlin autumn, daily 02:30: once, at its first occurrence (00:30 UTC)");
	is_str(runs("*/15 * * * *", "Europe/Berlin", "2027-10-30T23:50:00", 6),
	       "2027-10-31T02:00:00+02:00 2027-10-31T02:15:00+02:00 2027-10-31T02:30:00+02:00 "
	       "2027-10-31T02:45:00+02:00 2027-10-31T03:00:00+01:00 2027-10-31T03:15:00+01:00",
	       "Berlin autumn, */15: the repeated hour runs once");
	is_str(runs("0 * * * *", "Europe/Berlin", "2027-10-30T23:30:00", 3),
	       "2027-10-31T02:00:00+02:00 2027-10-31T03:00:00+01:00 2027-10-31T04:00:00+01:00",
	       "Berlin autumn, hourly: 02:00 once");
	/* Asked from inside the repeated hour's second pass (02:10 CET = 01:10 UTC). */
	is_str(runs("*/15 * * * *", "Europe/Berlin", "2027-10-31T01:10:00", 2),
	       "2027-10-31T03:00:00+01:00 2027-10-31T03:15:00+01:00",
	       "Berlin autumn, asked during the repeat: nothing runs twice");
	is_str(runs("30 2 * * *", "Europe/Berlin", "2027-10-31T01:10:00", 1),
	       "2027-11-01T02:30:00+01:00", "Berlin autumn, daily asked during the repeat");
	/* Asked at the instant of the collapsed run itself. */
	is_str(runs("*/15 * * * *", "Europe/Berlin", "2027-03-28T01:00:00", 1),
	       "2027-03-28T03:15:00+02:00", "Berlin spring, asked at the collapsed run");
}

/* New York: 2027-03-14 02:00 EST -> 03:00 EDT (07:00 UTC);
 * 2027-11-07 02:00 EDT -> 01:00 EST (06:00 UTC). */
static void
test_dst_new_york(void)
{
	is_str(runs("30 2 * * *", "America/New_York", "2027-03-13T00:00:00", 3),
	       "2027-03-13T02:30:00-05:00 2027-03-14T03:00:00-04:00 2027-03-15T02:30:00-04:00",
	       "New York spring, daily 02:30 runs at 03:00 EDT");
	is_str(runs("*/15 * * * *", "America/New_York", "2027-03-14T06:40:00", 3),
	       "2027-03-14T01:45:00-05:00 2027-03-14T03:00:00-04:00 2027-03-14T03:15:00-04:00",
	       "New York spring, */15");
	is_str(runs("0 */1 * * *", "America/New_York", "2027-03-14T05:30:00", 3),
	       "2027-03-14T01:00:00-05:00 2027-03-14T03:00:00-04:00 2027-03-14T04:00:00-04:00",
	       "New York spring, hourly");
	is_str(runs("30 1 * * *", "America/New_York", "2027-11-06T12:00:00", 3),
	       "2027-11-07T01:30:00-04:00 2027-11-08T01:30:00-05:00 2027-11-09T01:30:00-05:00",
	       "New York autumn, daily 01:30 runs at its first occurrence (EDT)");
	is_str(runs("*/20 * * * *", "America/New_York", "2027-11-07T04:50:00", 6),
	       "2027-11-07T01:00:00-04:00 2027-11-07T01:20:00-04:00 2027-11-07T01:40:00-04:00 "
	       "2027-11-07T02:00:00-05:00 2027-11-07T02:20:00-05:00 2027-11-07T02:40:00-05:00",
	       "New York autumn, */20: 01:00..01:40 once");
	is_str(runs("0 * * * *", "America/New_York", "2027-11-07T04:30:00", 3),
	       "2027-11-07T01:00:00-04:00 2027-11-07T02:00:00-05:00 2027-11-07T03:00:00-05:00",
	       "New York autumn, hourly");
}

static void
test_other_zones(void)
{
	/* Lord Howe: 30-minute DST; 2027-10-03 02:00 +10:30 -> 02:30 +11. */
	is_str(runs("15 2 * * *", "Australia/Lord_Howe", "2027-10-01T12:00:00", 3),
	       "2027-10-02T02:15:00+10:30 2027-10-03T02:30:00+11:00 2027-10-04T02:15:00+11:00",
	       "Lord Howe spring (October): 02:15 runs at 02:30");
	/* 2027-04-04 02:00 +11 -> 01:30 +10:30: 01:30..01:59 repeat. */
	is_str(runs("*/20 1 * * *", "Australia/Lord_Howe", "2027-04-03T12:00:00", 4),
	       "2027-04-04T01:00:00+11:00 2027-04-04T01:20:00+11:00 2027-04-04T01:40:00+11:00 "
	       "2027-04-05T01:00:00+10:30",
	       "Lord Howe autumn (April): 01:40 once");
	is_str(runs("0 3 * * *", "Australia/Sydney", "2027-04-03T00:00:00", 2),
	       "2027-04-04T03:00:00+10:00 2027-04-05T03:00:00+10:00", "Sydney autumn");
	is_str(runs("30 2 * * *", "Australia/Sydney", "2027-10-02T00:00:00", 2),
	       "2027-10-03T03:00:00+11:00 2027-10-04T02:30:00+11:00",
	       "Sydney spring (October): 02:30 runs at 03:00");
	is_str(runs("0 9 * * MON-FRI", "Asia/Tokyo", "2027-03-25T00:00:00", 3),
	       "2027-03-26T09:00:00+09:00 2027-03-29T09:00:00+09:00 2027-03-30T09:00:00+09:00",
	       "Tokyo, no DST, weekdays");
	is_str(runs("30 2 * * *", "UTC", "2027-03-28T00:00:00", 2),
	       "2027-03-28T02:30:00+00:00 2027-03-29T02:30:00+00:00", "UTC");
	is_str(runs("0 0 1 * *", "Asia/Kolkata", "2027-12-15T00:00:00", 2),
	       "2028-01-01T00:00:00+05:30 2028-02-01T00:00:00+05:30", "Kolkata, a half-hour offset");
	/* Apia skipped 2011-12-30 entirely (-10 to +14): noon of that day runs
	 * when the clocks jumped, midnight of the 31st. */
	is_str(runs("0 12 * * *", "Pacific/Apia", "2011-12-29T00:00:00", 3),
	       "2011-12-29T12:00:00-10:00 2011-12-31T00:00:00+14:00 2011-12-31T12:00:00+14:00",
	       "Apia 2011: the skipped day's run happens once when the clocks jump");
}

static void
test_calendar(void)
{
	is_str(runs("0 0 29 2 *", "UTC", "2027-01-01T00:00:00", 3),
	       "2028-02-29T00:00:00+00:00 2032-02-29T00:00:00+00:00 2036-02-29T00:00:00+00:00",
	       "29 February: the next leap years");
	is_str(runs("0 0 29 2 *", "Europe/Berlin", "2096-03-01T00:00:00", 1),
	       "2104-02-29T00:00:00+01:00", "29 February after 2096: eight years on (2100 is no leap year)");
	is_str(runs("0 0 29 2 *", "Europe/Berlin", "2028-02-28T23:00:00", 1),
	       "2032-02-29T00:00:00+01:00", "strictly after: not the run at the same instant");
	is_str(runs("0 0 31 2 *", "UTC", "2027-01-01T00:00:00", 1), "none", "31 February never comes");
	is_str(runs("0 0 30 2 *", "Europe/Berlin", "2027-01-01T00:00:00", 1), "none",
	       "30 February never comes");
	is_str(runs("0 0 31 4,6,9,11 *", "UTC", "2027-01-01T00:00:00", 1), "none",
	       "31 April, June, September, November never come");
	is_str(runs("0 0 31 * *", "UTC", "2027-01-31T00:00:00", 3),
	       "2027-03-31T00:00:00+00:00 2027-05-31T00:00:00+00:00 2027-07-31T00:00:00+00:00",
	       "the 31st skips shorter months");
	is_str(runs("0 0 31 2 1", "UTC", "2027-01-01T00:00:00", 2),
	       "2027-02-01T00:00:00+00:00 2027-02-08T00:00:00+00:00",
	       "both day fields restricted: Mondays of February, though it has no 31st");
	is_str(runs("0 0 13 * 5", "UTC", "2027-08-01T00:00:00", 4),
	       "2027-08-06T00:00:00+00:00 2027-08-13T00:00:00+00:00 2027-08-20T00:00:00+00:00 "
	       "2027-08-27T00:00:00+00:00",
	       "13th or Friday (the classic rule)");
	is_str(runs("0 0 13 * *", "UTC", "2027-08-01T00:00:00", 1), "2027-08-13T00:00:00+00:00",
	       "13th alone");
	is_str(runs("0 0 */10 * SUN", "UTC", "2027-07-31T00:00:00", 2),
	       "2027-08-01T00:00:00+00:00 2027-10-31T00:00:00+00:00",
	       "'*/10' is not a restriction: Sundays that are the 1st, 11th, 21st or 31st");
	is_str(runs("0 12 * * 7", "UTC", "2027-08-01T00:00:00", 2),
	       "2027-08-01T12:00:00+00:00 2027-08-08T12:00:00+00:00", "7 is Sunday");
	is_str(runs("@yearly", "America/New_York", "2027-06-01T00:00:00", 2),
	       "2028-01-01T00:00:00-05:00 2029-01-01T00:00:00-05:00", "@yearly");
	is_str(runs("59 23 31 12 *", "UTC", "2027-12-31T23:59:00", 1), "2028-12-31T23:59:00+00:00",
	       "strictly after the last minute of a year");
	is_str(runs("* * * * *", "UTC", "2027-12-31T23:59:59", 2),
	       "2028-01-01T00:00:00+00:00 2028-01-01T00:01:00+00:00", "every minute, across a year");
	/* Far future: past the last transition of every file (the footer rule). */
	is_str(runs("30 2 * * SUN", "Europe/Berlin", "2045-03-20T00:00:00", 3),
	       "2045-03-26T03:00:00+02:00 2045-04-02T02:30:00+02:00 2045-04-09T02:30:00+02:00",
	       "Berlin 2045: the footer's rule moves 02:30 to 03:00");
	is_str(runs("30 1 * * *", "America/New_York", "2061-11-05T12:00:00", 2),
	       "2061-11-06T01:30:00-04:00 2061-11-07T01:30:00-05:00", "New York 2061 autumn");
	is_str(runs("0 0 1 1 *", "UTC", "9998-06-01T00:00:00", 2), "9999-01-01T00:00:00+00:00",
	       "nothing past the year 9999");
	cron_expr e;
	tz_zone *z = load("UTC");
	cron_parse("* * * * *", &e, NULL, 0);
	is_int(cron_next(&e, z, 253402300799LL), -1, "after the last second of 9999: none");
	is_int(cron_next(&e, z, -62135596801LL), -1, "before the year 1: none");
	is_int(cron_next(&e, z, -1), 0, "before the epoch works");
	int64_t out[4];
	is_int(cron_next_n(&e, z, 0, out, 0), 0, "zero asked, zero given");
	tz_free(z);
}

/* ---- the brute-force reference -------------------------------------------- */

struct reference {
	int64_t from;       /* first minute (UTC) of the window */
	size_t minutes;
	int64_t *wall;      /* the wall clock (seconds) at each minute, from glibc */
	int64_t before;     /* the latest wall clock reached before the window */
};

static int64_t
glibc_wall(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	localtime_r(&tt, &tm);
	return t + tm.tm_gmtoff;
}

static bool
reference_matches(const cron_expr *e, int64_t wall)
{
	time_t tt = (time_t)wall;
	struct tm tm;
	gmtime_r(&tt, &tm);
	bool mday = (e->mdays >> tm.tm_mday) & 1, wday = (e->wdays >> tm.tm_wday) & 1;
	bool day = e->mday_restricted && e->wday_restricted ? mday || wday : mday && wday;
	return day && ((e->minutes >> tm.tm_min) & 1) && ((e->hours >> tm.tm_hour) & 1) &&
	       ((e->months >> (tm.tm_mon + 1)) & 1);
}

/* Whether minute i of the window is due: some matching wall-clock minute
 * is first reached then (after `reached`, at or before its wall clock). */
static bool
reference_due(const cron_expr *e, const struct reference *r, size_t i, int64_t reached)
{
	for (int64_t w = reached - reached % 60 + 60; w <= r->wall[i]; w += 60)
		if (w > reached && reference_matches(e, w))
			return true;
	return false;
}

/* Compares cron_next, step by step through the window, with the reference. */
static int
compare_window(const cron_expr *e, const tz_zone *z, const struct reference *r)
{
	int wrong = 0;
	int64_t reached = r->before;
	int64_t t = r->from - 1;
	int64_t got = cron_next(e, z, t);
	for (size_t i = 0; i < r->minutes; i++) {
		int64_t minute = r->from + (int64_t)i * 60;
		bool due = reference_due(e, r, i, reached);
		if (r->wall[i] > reached)
			reached = r->wall[i];
		if (due) {
			if (got != minute) {
				if (wrong++ == 0)
					printf("#   due at %lld, cron_next gave %lld\n", (long long)minute,
					       (long long)got);
			}
			got = cron_next(e, z, minute);
		} else if (got == minute) {
			if (wrong++ == 0)
				printf("#   cron_next gave %lld, not due\n", (long long)minute);
			got = cron_next(e, z, minute);
		}
	}
	return wrong;
}

static void
test_against_reference(void)
{
	static const char *const zones[] = {
		"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Australia/Sydney",
		"Asia/Tokyo", "UTC", "Europe/Dublin", "America/Nuuk", "Antarctica/Troll",
		"Pacific/Chatham", "America/St_Johns", "Pacific/Apia", "America/Santiago",
	};
	static const char *const exprs[] = {
		"30 2 * * *", "*/15 * * * *", "0 * * * *", "* * * * *", "0,30 1-3 * * *",
		"59 1 * * *", "0 2 * * 0", "45 23 * * *", "0 0 * * *", "*/7 0-4 * * *",
		"0 12 * * *", "15,45 * 1-10 * SAT,SUN", "0 0-23/5 * * *",
	};
	static const int years[] = { 2011, 2026, 2027, 2045, 2046 };
	for (size_t zi = 0; zi < sizeof zones / sizeof zones[0]; zi++) {
		tz_zone *z = load(zones[zi]);
		char tzvalue[80];
		snprintf(tzvalue, sizeof tzvalue, ":%s", zones[zi]);
		setenv("TZ", tzvalue, 1);
		tzset();
		int windows = 0, wrong = 0;
		for (size_t yi = 0; yi < sizeof years / sizeof years[0]; yi++) {
			struct tm jan = { .tm_year = years[yi] - 1900, .tm_mon = 0, .tm_mday = 1 };
			int64_t t = (int64_t)timegm(&jan), end = t + 366 * 86400;
			/* A window of two days around each change, and one ordinary one. */
			int64_t starts[8];
			int n = 0;
			starts[n++] = t + 100 * 86400;
			while (n < 8) {
				int64_t s, e;
				tz_period_at(z, t, &s, &e);
				if (e >= end)
					break;
				starts[n++] = e - (e % 60) - 86400;
				t = e;
			}
			for (int k = 0; k < n; k++) {
				struct reference r = { starts[k], 2 * 1440, NULL, INT64_MIN };
				r.wall = malloc(sizeof *r.wall * r.minutes);
				for (size_t i = 0; i < r.minutes; i++)
					r.wall[i] = glibc_wall(r.from + (int64_t)i * 60);
				for (int64_t b = r.from - 2 * 86400; b < r.from; b += 60)
					if (glibc_wall(b) > r.before)
						r.before = glibc_wall(b);
				for (size_t ei = 0; ei < sizeof exprs / sizeof exprs[0]; ei++) {
					cron_expr e;
					cron_parse(exprs[ei], &e, NULL, 0);
					int w = compare_window(&e, z, &r);
					if (w > 0)
						printf("#   %s '%s' window at %lld: %d wrong\n", zones[zi], exprs[ei],
						       (long long)r.from, w);
					wrong += w;
				}
				windows++;
				free(r.wall);
			}
		}
		ok(wrong == 0, "%s: %d two-day windows around every change of %s agree with the "
		   "minute-by-minute reference", zones[zi], windows, "2011, 2026-27, 2045-46");
		tz_free(z);
	}
}

int
main(void)
{
	test_syntax();
	test_errors();
	test_dst_berlin();
	test_dst_new_york();
	test_other_zones();
	test_calendar();
	test_against_reference();
	return done_testing();
}
