/*
 * next_run.h: when a schedule is due (doc/schedules.md).  Pure: no SQL, no
 * I/O beyond the zoneinfo files the cron library reads.
 *
 * A schedule is either an interval (every interval_ms, counted from the
 * previous due time, so runs do not drift) or a 5-field cron expression
 * read in an IANA time zone (src/sched/cron.h, src/sched/tz.h: the DST
 * rules live there).  Times are unix milliseconds.
 */
#ifndef PIPELIT_SCHED_NEXT_RUN_H
#define PIPELIT_SCHED_NEXT_RUN_H

#include <stddef.h>
#include <stdint.h>

struct sched_timing {
	int64_t interval_ms;        /* > 0 for an interval schedule */
	const char *cron;           /* non-NULL for a cron schedule */
	const char *timezone;       /* NULL or "": UTC */
};

/* The missed-run policies (scheduled_jobs.missed_runs). */
enum missed_policy {
	MISSED_SKIP = 0,            /* Pipelit's: nothing replayed */
	MISSED_RUN_ONCE = 1,        /* one run now for all that were missed */
	MISSED_CATCH_UP = 2,        /* every missed due time, up to a limit */
};

/* "skip", "run_once", "catch_up" and NULL: the API's literal list. */
extern const char *const missed_policy_names[];
/* The policy named s (an unknown name is MISSED_SKIP). */
enum missed_policy missed_policy_of(const char *s);

#define SCHED_TZ_MAX 64
#define SCHED_CRON_MAX 255
#define SCHED_ISO_LEN 40            /* "2026-03-29T03:00:00.000+02:00" and its NUL */

/*
 * Checks a cron expression and a zone name (zone NULL or "": UTC).  0 when
 * both are usable; -1 with *why (malloc'd) naming what is wrong in words a
 * form can show ("unknown time zone 'Mars/Base'", "minute field: 61 is out
 * of range 0-59").
 */
int next_run_check(const char *cron, const char *zone, char **why);

/* A zone name alone: 0 known, -1 with *why (malloc'd). */
int next_run_check_zone(const char *zone, char **why);

/* The first due time strictly after after_ms; -1 when there is none (a
 * cron expression that never matches again, or one that cannot be read). */
int64_t next_run_after(const struct sched_timing *t, int64_t after_ms);

/*
 * The due time that follows due_ms once the run of due_ms is over, at
 * now_ms:
 *  - not behind (the next due time is still ahead): that due time;
 *  - behind by more than a whole period (a stall, a pool that was down):
 *    under MISSED_CATCH_UP the earliest due time still to replay, keeping
 *    at most limit of those that passed (it may be <= now_ms: it runs at
 *    once); otherwise the first due time after now_ms (nothing replayed).
 * -1 when there is no further due time.
 */
int64_t next_run_following(const struct sched_timing *t, int64_t due_ms, int64_t now_ms,
			   enum missed_policy policy, int64_t limit);

/*
 * After a pool was down: the due time a schedule whose due time due_ms
 * passed gets at start-up (now_ms) under its policy: MISSED_SKIP the first
 * due time a whole period after now (an interval from now: Pipelit's), or
 * for cron the first one after now; MISSED_RUN_ONCE now; MISSED_CATCH_UP
 * the earliest of the last limit due times that passed.
 */
int64_t next_run_recovered(const struct sched_timing *t, int64_t due_ms, int64_t now_ms,
			   enum missed_policy policy, int64_t limit);

/* The next n due times after after_ms into out (n at most 1000); how many
 * there were. */
size_t next_run_list(const struct sched_timing *t, int64_t after_ms, int64_t *out, size_t n);

/* ms as ISO 8601 with the zone's offset at that instant
 * ("2026-03-29T03:00:00+02:00"; UTC gives "+00:00").  0, or -1. */
int next_run_iso(int64_t ms, const char *zone, char out[SCHED_ISO_LEN]);

#endif
