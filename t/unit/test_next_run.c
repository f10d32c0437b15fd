/* test_next_run.c: schedules' due times (src/sched/next_run.h): intervals
 * without drift, the missed-run policies, cron series in a zone. */
#include <stdlib.h>
#include <string.h>

#include "sched/next_run.h"
#include "tap.h"

#define S 1000LL
#define H (3600 * S)

static void
test_interval(void)
{
	struct sched_timing t = { 10 * S, NULL, NULL };
	is_int(next_run_after(&t, 1000 * S), 1010 * S, "an interval from a time");
	is_int(next_run_following(&t, 1000 * S, 1000 * S + 300, MISSED_SKIP, 10), 1010 * S,
	       "the next due time counts from the due time, not from the run (no drift)");
	is_int(next_run_following(&t, 1000 * S, 1015 * S, MISSED_SKIP, 10), 1010 * S,
	       "late by less than a period: the next one still runs");
	is_int(next_run_following(&t, 1000 * S, 1055 * S, MISSED_SKIP, 10), 1060 * S,
	       "behind by more: skip goes to the first due time after now, in phase");
	is_int(next_run_following(&t, 1000 * S, 1055 * S, MISSED_RUN_ONCE, 10), 1060 * S,
	       "run_once behaves as skip while running");
	is_int(next_run_following(&t, 1000 * S, 1055 * S, MISSED_CATCH_UP, 10), 1010 * S,
	       "catch_up replays the next one");
	is_int(next_run_following(&t, 1000 * S, 1055 * S, MISSED_CATCH_UP, 2), 1040 * S,
	       "catch_up keeps only the last catch_up_limit (1040, 1050)");

	struct sched_timing hourly = { H, NULL, NULL };
	int64_t now = 100 * H + 30 * 60 * S, due = now - 5 * H - 30 * 60 * S;   /* six missed */
	is_int(next_run_recovered(&hourly, due, now, MISSED_SKIP, 10), now + H,
	       "after downtime, skip: one interval after start-up (Pipelit's)");
	is_int(next_run_recovered(&hourly, due, now, MISSED_RUN_ONCE, 10), now, "run_once: now");
	is_int(next_run_recovered(&hourly, due, now, MISSED_CATCH_UP, 10), due,
	       "catch_up: from the first missed one");
	is_int(next_run_recovered(&hourly, due, now, MISSED_CATCH_UP, 3), due + 3 * H,
	       "catch_up with a limit of 3: the last three");

	struct sched_timing none = { 0, NULL, NULL };
	is_int(next_run_after(&none, 5), -1, "no interval, no cron: never");
}

static void
test_cron(void)
{
	char *why = NULL;
	is_int(next_run_check("*/15 * * * *", "Europe/Berlin", &why), 0, "a good expression");
	is_int(next_run_check("61 * * * *", NULL, &why), -1, "a bad one");
	ok(why && strstr(why, "invalid cron expression: minute"), "says what is wrong: %s", why);
	free(why);
	why = NULL;
	is_int(next_run_check("* * * * *", "Mars/Base", &why), -1, "an unknown zone");
	ok(why && strstr(why, "unknown time zone"), "says so: %s", why);
	free(why);

	/* 2026-12-04 12:00:30 UTC */
	int64_t at = 1796385630LL * S;
	struct sched_timing every = { 0, "* * * * *", NULL };
	is_int(next_run_after(&every, at), (1796385630LL + 30) * S, "every minute: the next whole minute");
	is_int(next_run_after(&every, (1796385630LL + 30) * S), (1796385630LL + 90) * S,
	       "strictly after a due time");
	int64_t list[5];
	is_int(next_run_list(&every, at, list, 5), 5, "five of them");
	is_int(list[4] - list[0], 4 * 60 * S, "a minute apart");
	is_int(next_run_following(&every, at - 30 * S - 10 * 60 * S, at, MISSED_CATCH_UP, 3),
	       at - 30 * S - 2 * 60 * S, "catch_up on cron keeps the last three missed");
	is_int(next_run_following(&every, at - 30 * S - 10 * 60 * S, at, MISSED_SKIP, 3),
	       at + 30 * S, "skip on cron: the next due time after now");

	char iso[SCHED_ISO_LEN];
	is_int(next_run_iso(at, "Europe/Berlin", iso), 0, "ISO in a zone");
	is_str(iso, "2026-12-04T13:00:30+01:00", "with its offset");
	is_int(next_run_iso(at, NULL, iso), 0, "ISO in UTC");
	is_str(iso, "2026-12-04T12:00:30+00:00", "+00:00");
}

int
main(void)
{
	test_interval();
	test_cron();
	return done_testing();
}
