/* next_run.c: see next_run.h. */
#include "sched/next_run.h"

#include <stdio.h>
#include <string.h>

#include "sched/cron.h"
#include "sched/tz.h"
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

/* --- the cron library's side (src/sched/cron.h, src/sched/tz.h) ------------------- */

/* A cron schedule read once per call: the expression and its zone. */
struct compiled {
	cron_expr expr;
	tz_zone *zone;              /* owned */
};

static const char *
zone_name(const char *zone)
{
	return zone == NULL || *zone == '\0' ? "UTC" : zone;
}

int
next_run_check_zone(const char *zone, char **why)
{
	char err[TZ_ERR_LEN] = "";
	tz_zone *z = tz_load(zone_name(zone), err, sizeof err);
	if (z == NULL) {
		*why = xstrdup(*err ? err : "unknown time zone");
		return -1;
	}
	tz_free(z);
	return 0;
}

int
next_run_check(const char *cron, const char *zone, char **why)
{
	char err[CRON_ERR_LEN] = "";
	cron_expr e;
	if (cron == NULL || cron_parse(cron, &e, err, sizeof err) != 0) {
		*why = xasprintf("invalid cron expression: %s", *err ? err : "empty");
		return -1;
	}
	return next_run_check_zone(zone, why);
}

static int
compile(const struct sched_timing *t, struct compiled *c)
{
	char err[CRON_ERR_LEN > TZ_ERR_LEN ? CRON_ERR_LEN : TZ_ERR_LEN];
	c->zone = NULL;
	if (cron_parse(t->cron, &c->expr, err, sizeof err) != 0)
		return -1;
	c->zone = tz_load(zone_name(t->timezone), err, sizeof err);
	return c->zone ? 0 : -1;
}

static int64_t
floor_seconds(int64_t ms)
{
	return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

/* The first due time strictly after after_ms (due times are whole
 * minutes: the seconds of after_ms are enough). */
static int64_t
cron_after(const struct compiled *c, int64_t after_ms)
{
	int64_t next = cron_next(&c->expr, c->zone, floor_seconds(after_ms));
	return next < 0 ? -1 : next * 1000;
}

/* --- due times ------------------------------------------------------------------- */

/* One step of a series: c is the compiled cron (NULL for an interval, or
 * for a cron that cannot be read: no further due time). */
static int64_t
step(const struct sched_timing *t, const struct compiled *c, int64_t after_ms)
{
	if (t->cron != NULL)
		return c ? cron_after(c, after_ms) : -1;
	if (t->interval_ms <= 0)
		return -1;
	return after_ms + t->interval_ms;
}

/* A cron schedule is read once per call. */
static const struct compiled *
compiled_of(const struct sched_timing *t, struct compiled *c)
{
	c->zone = NULL;
	return t->cron != NULL && compile(t, c) == 0 ? c : NULL;
}

static void
release(struct compiled *c)
{
	tz_free(c->zone);
	c->zone = NULL;
}

int64_t
next_run_after(const struct sched_timing *t, int64_t after_ms)
{
	struct compiled c;
	int64_t out = step(t, compiled_of(t, &c), after_ms);
	release(&c);
	return out;
}

/* The first due time of the series through due_ms that is after now_ms. */
static int64_t
first_after_now(const struct sched_timing *t, const struct compiled *c, int64_t due_ms,
		int64_t now_ms)
{
	if (t->cron != NULL)
		return step(t, c, now_ms);
	int64_t periods = (now_ms - due_ms) / t->interval_ms + 1;
	return due_ms + periods * t->interval_ms;
}

/* The earliest of the last `limit` due times of the series from first_ms
 * (itself one) that are <= now_ms. */
static int64_t
replay_from(const struct sched_timing *t, const struct compiled *c, int64_t first_ms,
	    int64_t now_ms, int64_t limit)
{
	if (limit < 1)
		limit = 1;
	if (t->cron == NULL) {
		int64_t missed = (now_ms - first_ms) / t->interval_ms + 1;
		if (missed > limit)
			first_ms += (missed - limit) * t->interval_ms;
		return first_ms;
	}
	/* A ring of the last `limit` due times (a limit is at most 1000; the
	 * walk is bounded: years of minutes stop it early). */
	enum { RING = 1000, WALK_MAX = 2000000 };
	int64_t ring[RING];
	if (limit > RING)
		limit = RING;
	size_t n = 0;
	int64_t at = first_ms;
	for (long steps = 0; at >= 0 && at <= now_ms && steps < WALK_MAX; steps++) {
		ring[n % (size_t)limit] = at;
		n++;
		at = step(t, c, at);
	}
	if (n == 0)
		return first_ms;
	return n <= (size_t)limit ? ring[0] : ring[n % (size_t)limit];
}

int64_t
next_run_following(const struct sched_timing *t, int64_t due_ms, int64_t now_ms,
		   enum missed_policy policy, int64_t limit)
{
	struct compiled c;
	const struct compiled *cp = compiled_of(t, &c);
	int64_t next = step(t, cp, due_ms);
	if (next >= 0 && next <= now_ms) {
		/* Late by less than a period: the next one runs now, a little
		 * late.  Behind by more: the policy says. */
		int64_t after = step(t, cp, next);
		if (after >= 0 && after <= now_ms)
			next = policy == MISSED_CATCH_UP ? replay_from(t, cp, next, now_ms, limit)
							 : first_after_now(t, cp, due_ms, now_ms);
	}
	release(&c);
	return next;
}

int64_t
next_run_recovered(const struct sched_timing *t, int64_t due_ms, int64_t now_ms,
		   enum missed_policy policy, int64_t limit)
{
	struct compiled c;
	const struct compiled *cp = compiled_of(t, &c);
	int64_t out;
	switch (policy) {
	case MISSED_RUN_ONCE:
		out = now_ms;
		break;
	case MISSED_CATCH_UP:
		out = replay_from(t, cp, due_ms, now_ms, limit);
		break;
	case MISSED_SKIP:
	default:
		out = step(t, cp, now_ms);
	}
	release(&c);
	return out;
}

size_t
next_run_list(const struct sched_timing *t, int64_t after_ms, int64_t *out, size_t n)
{
	struct compiled c;
	const struct compiled *cp = compiled_of(t, &c);
	size_t got = 0;
	if (n > 1000)
		n = 1000;
	int64_t at = after_ms;
	while (got < n && (at = step(t, cp, at)) >= 0)
		out[got++] = at;
	release(&c);
	return got;
}

int
next_run_iso(int64_t ms, const char *zone, char out[SCHED_ISO_LEN])
{
	char err[TZ_ERR_LEN];
	tz_zone *z = tz_load(zone_name(zone), err, sizeof err);
	if (z == NULL)
		return -1;
	char iso[TZ_ISO_LEN];
	int rc = tz_format_iso(z, floor_seconds(ms), iso);
	tz_free(z);
	if (rc == 0)
		snprintf(out, SCHED_ISO_LEN, "%s", iso);
	return rc;
}
