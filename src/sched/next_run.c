/* next_run.c: see next_run.h. */
#include "sched/next_run.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/xalloc.h"

const char *const missed_policy_names[] = { "skip", "run_once", "catch_up", NULL };

enum missed_policy
missed_policy_of(const char *s)
{
	if (s != NULL && strcmp(s, "run_once") == 0)
		return MISSED_RUN_ONCE;
	if (s != NULL && strcmp(s, "catch_up") == 0)
		return MISSED_CATCH_UP;
	return MISSED_SKIP;
}

static int
is_utc(const char *zone)
{
	return zone == NULL || *zone == '\0' || strcmp(zone, "UTC") == 0 ||
	       strcmp(zone, "Etc/UTC") == 0;
}

/* --- the cron library's side (src/sched/cron.h, src/sched/tz.h) ------------------- */

int
next_run_check_zone(const char *zone, char **why)
{
	if (is_utc(zone))
		return 0;
	*why = xasprintf("unknown time zone '%s'", zone);
	return -1;
}

int
next_run_check(const char *cron, const char *zone, char **why)
{
	(void)cron;
	if (next_run_check_zone(zone, why) != 0)
		return -1;
	*why = xstrdup("cron expressions are not available in this build");
	return -1;
}

static int64_t
cron_after(const char *cron, const char *zone, int64_t after_ms)
{
	(void)cron;
	(void)zone;
	(void)after_ms;
	return -1;
}

/* The zone's UTC offset in seconds at ms. */
static int
zone_offset(const char *zone, int64_t ms, long *offset_s)
{
	(void)ms;
	*offset_s = 0;
	return is_utc(zone) ? 0 : -1;
}

/* --- due times ------------------------------------------------------------------- */

int64_t
next_run_after(const struct sched_timing *t, int64_t after_ms)
{
	if (t->cron != NULL)
		return cron_after(t->cron, t->timezone, after_ms);
	if (t->interval_ms <= 0)
		return -1;
	return after_ms + t->interval_ms;
}

/* The first due time of the series through due_ms that is after now_ms. */
static int64_t
first_after_now(const struct sched_timing *t, int64_t due_ms, int64_t now_ms)
{
	if (t->cron != NULL)
		return cron_after(t->cron, t->timezone, now_ms);
	int64_t periods = (now_ms - due_ms) / t->interval_ms + 1;
	return due_ms + periods * t->interval_ms;
}

/* The earliest of the last `limit` due times of the series from first_ms
 * (itself one) that are <= now_ms. */
static int64_t
replay_from(const struct sched_timing *t, int64_t first_ms, int64_t now_ms, int64_t limit)
{
	if (limit < 1)
		limit = 1;
	if (t->cron == NULL) {
		int64_t missed = (now_ms - first_ms) / t->interval_ms + 1;
		if (missed > limit)
			first_ms += (missed - limit) * t->interval_ms;
		return first_ms;
	}
	/* A ring of the last `limit` due times (bounded: a limit is at most
	 * 1000, and a walk over many years of minutes stops early). */
	enum { RING = 1000, WALK_MAX = 2000000 };
	int64_t ring[RING];
	if (limit > RING)
		limit = RING;
	size_t n = 0;
	int64_t at = first_ms;
	for (long steps = 0; at >= 0 && at <= now_ms && steps < WALK_MAX; steps++) {
		ring[n % (size_t)limit] = at;
		n++;
		at = cron_after(t->cron, t->timezone, at);
	}
	if (n == 0)
		return first_ms;
	return n <= (size_t)limit ? ring[0] : ring[n % (size_t)limit];
}

int64_t
next_run_following(const struct sched_timing *t, int64_t due_ms, int64_t now_ms,
		   enum missed_policy policy, int64_t limit)
{
	int64_t next = next_run_after(t, due_ms);
	if (next < 0 || next > now_ms)
		return next;
	/* Late by less than a period: the next one runs now, a little late. */
	int64_t after = next_run_after(t, next);
	if (after < 0 || after > now_ms)
		return next;
	if (policy == MISSED_CATCH_UP)
		return replay_from(t, next, now_ms, limit);
	return first_after_now(t, due_ms, now_ms);
}

int64_t
next_run_recovered(const struct sched_timing *t, int64_t due_ms, int64_t now_ms,
		   enum missed_policy policy, int64_t limit)
{
	switch (policy) {
	case MISSED_RUN_ONCE:
		return now_ms;
	case MISSED_CATCH_UP:
		return replay_from(t, due_ms, now_ms, limit);
	case MISSED_SKIP:
	default:
		return next_run_after(t, now_ms);
	}
}

size_t
next_run_list(const struct sched_timing *t, int64_t after_ms, int64_t *out, size_t n)
{
	size_t got = 0;
	if (n > 1000)
		n = 1000;
	int64_t at = after_ms;
	while (got < n && (at = next_run_after(t, at)) >= 0)
		out[got++] = at;
	return got;
}

int
next_run_iso(int64_t ms, const char *zone, char out[SCHED_ISO_LEN])
{
	long offset = 0;
	if (zone_offset(zone, ms, &offset) != 0)
		return -1;
	time_t local = (time_t)((ms - (ms % 1000 + 1000) % 1000) / 1000 + offset);
	struct tm tm;
	if (gmtime_r(&local, &tm) == NULL)
		return -1;
	int a = (int)(offset < 0 ? -offset : offset) % 86400;
	snprintf(out, SCHED_ISO_LEN, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
		 (tm.tm_year + 1900) % 10000, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		 tm.tm_sec, offset < 0 ? '-' : '+', a / 3600, a % 3600 / 60);
	return 0;
}
