/*
 * backoff.h: when to respawn a child that exited.  Pure arithmetic, so the
 * crash-loop rule is unit tested (t/unit/test_http_pool.c).
 *
 * A child that dies abnormally (a signal or a non-zero status) within
 * BACKOFF_CRASH_WINDOW_MS of its start is crashing in a loop: its slot's
 * delay doubles from BACKOFF_FIRST_MS up to the configured maximum.  A
 * child that lived BACKOFF_RESET_MS or more clears the delay.
 */
#ifndef PIPELIT_BACKOFF_H
#define PIPELIT_BACKOFF_H

#define BACKOFF_FIRST_MS 100L
#define BACKOFF_CRASH_WINDOW_MS 2000L
#define BACKOFF_RESET_MS 10000L

/*
 * The slot's new delay, given its current one, how long the child lived
 * and whether it died abnormally.
 */
long backoff_next_delay_ms(long delay_ms, long lived_ms, int abnormal, long max_ms);

/* How long to wait before respawning: the delay after a crash inside the
 * window, otherwise nothing (a recycled or long-lived child is replaced at
 * once). */
long backoff_wait_ms(long delay_ms, long lived_ms, int abnormal);

#endif
