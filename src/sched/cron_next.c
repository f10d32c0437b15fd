/*
 * cron_next.c: the due times of a parsed expression.  The search runs on
 * the zone's wall clock, field by field (month, then day, hour, minute),
 * and each wall-clock match is mapped to an instant by tz_local_to_utc:
 * a skipped time to the instant the clocks jump, a repeated one to its
 * first occurrence.  That mapping never decreases, so the first match
 * whose instant lies after the given one is the answer.
 */
#include "sched/cron.h"
#include "sched/tz.h"
#include "sched/tz_civil.h"

/* The search gives up this many years past its start: 29 February can be
 * eight years from the next one (2096 to 2104). */
#define SEARCH_YEARS 8
/* Instants this function accepts and returns: years 1..9999. */
#define FIRST_INSTANT (-62135596800LL)   /* 0001-01-01T00:00:00Z */
#define LAST_INSTANT 253402300799LL      /* 9999-12-31T23:59:59Z */

/* A wall-clock time, broken down. */
struct wall {
	int64_t year;
	unsigned month, day, hour, minute;
};

/* The lowest value >= from in bits, or -1. */
static int
next_bit(uint64_t bits, unsigned from, unsigned limit)
{
	if (from > limit || from >= 64)
		return -1;
	uint64_t rest = bits & (~(uint64_t)0 << from);
	if (rest == 0)
		return -1;
	int v = __builtin_ctzll(rest);
	return (unsigned)v <= limit ? v : -1;
}

static bool
day_matches(const cron_expr *e, int64_t year, unsigned month, unsigned day)
{
	bool mday = (e->mdays >> day) & 1;
	bool wday = (e->wdays >> tz_weekday(tz_days_from_civil(year, month, day))) & 1;
	if (e->mday_restricted && e->wday_restricted)
		return mday || wday;
	return mday && wday;
}

static void
next_day(struct wall *w)
{
	w->hour = w->minute = 0;
	if (++w->day > tz_days_in_month(w->year, w->month)) {
		w->day = 1;
		if (++w->month > 12) {
			w->month = 1;
			w->year++;
		}
	}
}

/* The first wall-clock time >= *w that matches, in place.  0, or -1 when
 * none comes before the year limit. */
static int
next_match(const cron_expr *e, struct wall *w, int64_t limit)
{
	while (w->year <= limit) {
		int m = next_bit(e->months, w->month, 12);
		if (m < 0) {
			*w = (struct wall){ w->year + 1, 1, 1, 0, 0 };
			continue;
		}
		if ((unsigned)m != w->month)
			*w = (struct wall){ w->year, (unsigned)m, 1, 0, 0 };
		if (!day_matches(e, w->year, w->month, w->day)) {
			next_day(w);
			continue;
		}
		int h = next_bit(e->hours, w->hour, 23);
		if (h < 0) {
			next_day(w);
			continue;
		}
		if ((unsigned)h != w->hour) {
			w->hour = (unsigned)h;
			w->minute = 0;
		}
		int mi = next_bit(e->minutes, w->minute, 59);
		if (mi < 0) {
			w->minute = 0;
			if (++w->hour > 23)
				next_day(w);
			continue;
		}
		w->minute = (unsigned)mi;
		return 0;
	}
	return -1;
}

static int64_t
wall_to_local(const struct wall *w)
{
	return tz_days_from_civil(w->year, w->month, w->day) * 86400 + w->hour * 3600 +
	       w->minute * 60;
}

static struct wall
local_to_wall(int64_t local)
{
	struct wall w;
	int64_t days = tz_floor_div(local, 86400);
	int64_t secs = local - days * 86400;
	tz_civil_from_days(days, &w.year, &w.month, &w.day);
	w.hour = (unsigned)(secs / 3600);
	w.minute = (unsigned)(secs / 60 % 60);
	return w;
}

int64_t
cron_next(const cron_expr *e, const struct tz_zone *zone, int64_t after)
{
	if (after < FIRST_INSTANT || after >= LAST_INSTANT)
		return -1;
	/* Matches before the wall clock at `after` map to instants at or
	 * before it (the mapping never decreases), so the search starts at
	 * that wall-clock minute. */
	struct wall w = local_to_wall(after + tz_offset_at(zone, after));
	int64_t limit = w.year + SEARCH_YEARS;
	/* Each round either answers or passes a wall-clock time whose
	 * instant is not after `after`: only the minutes of a repeated hour
	 * (a day at most, in 1867 Alaska), so the guard is never reached. */
	for (int guard = 0; guard < 4 * 1440; guard++) {
		if (next_match(e, &w, limit) != 0)
			return -1;
		int64_t local = wall_to_local(&w);
		int64_t t = tz_local_to_utc(zone, local);
		if (t > after)
			return t <= LAST_INSTANT ? t : -1;
		w = local_to_wall(local + 60);
	}
	return -1;
}

size_t
cron_next_n(const cron_expr *e, const struct tz_zone *zone, int64_t after, int64_t *out,
            size_t n)
{
	size_t got = 0;
	while (got < n) {
		int64_t t = cron_next(e, zone, after);
		if (t < 0)
			break;
		out[got++] = t;
		after = t;
	}
	return got;
}
