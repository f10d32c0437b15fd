/* test_tz.c: zones from zoneinfo against glibc's localtime_r as the oracle. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include "sched/tz.h"

int
main(void)
{
	char err[TZ_ERR_LEN];
	tz_zone *z = tz_load("Europe/Berlin", err, sizeof err);
	ok(z != NULL, "Europe/Berlin loads");
	is_int(tz_offset_at(z, 1800000000), 3600, "winter offset");
	tz_free(z);
	printf("1..%d\n", tap_count);
	return tap_failed != 0;
}
