/* backoff.c: see backoff.h. */
#include "backoff.h"

static int
crashed_early(long lived_ms, int abnormal)
{
	return abnormal && lived_ms < BACKOFF_CRASH_WINDOW_MS;
}

long
backoff_next_delay_ms(long delay_ms, long lived_ms, int abnormal, long max_ms)
{
	if (lived_ms >= BACKOFF_RESET_MS)
		delay_ms = 0;
	if (!crashed_early(lived_ms, abnormal))
		return delay_ms;
	long next = delay_ms > 0 ? delay_ms * 2 : BACKOFF_FIRST_MS;
	return next > max_ms ? max_ms : next;
}

long
backoff_wait_ms(long delay_ms, long lived_ms, int abnormal)
{
	return crashed_early(lived_ms, abnormal) ? delay_ms : 0;
}
