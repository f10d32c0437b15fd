/*
 * cron_next.c: the cost of the cron library's calls (doc/cron.md): loading
 * a zone, parsing an expression, and cron_next for a few kinds of
 * expression, the one that can never be due among them (its search runs to
 * the eight-year limit).  Prints microseconds per call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sched/cron.h"
#include "sched/tz.h"

static double
now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 20000;
	char err[TZ_ERR_LEN];
	double t0 = now_us();
	for (int i = 0; i < n / 10; i++)
		tz_free(tz_load("Europe/Berlin", err, sizeof err));
	printf("%-28s %8.2f us\n", "tz_load Europe/Berlin", (now_us() - t0) / (n / 10));
	tz_zone *z = tz_load("Europe/Berlin", err, sizeof err);
	if (z == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	cron_expr e;
	t0 = now_us();
	for (int i = 0; i < n; i++)
		cron_parse("0,30 9-17/2 * JAN-NOV MON-FRI", &e, err, sizeof err);
	printf("%-28s %8.2f us\n", "cron_parse", (now_us() - t0) / n);
	static const char *const exprs[] = {
		"*/15 * * * *", "30 2 * * *", "0 9 * * MON-FRI", "0 0 1 1 *", "0 0 29 2 *", "0 0 31 2 *",
	};
	for (size_t k = 0; k < sizeof exprs / sizeof exprs[0]; k++) {
		cron_parse(exprs[k], &e, err, sizeof err);
		int64_t after = 1798761600;   /* 2027-01-01, then a day further each call */
		volatile int64_t sink = 0;
		t0 = now_us();
		for (int i = 0; i < n; i++)
			sink += cron_next(&e, z, after + (int64_t)(i % 3650) * 86400);
		printf("cron_next %-18s %8.2f us\n", exprs[k], (now_us() - t0) / n);
	}
	tz_free(z);
	return 0;
}
