/* test_http_pool.c: the pool's crash-loop back-off rule. */
#include "pool/backoff.h"
#include "tap.h"

int
main(void)
{
	long max = 30000, d = 0;
	d = backoff_next_delay_ms(d, 50, 1, max);
	is_int(d, 100, "first early crash waits 100 ms");
	is_int(backoff_wait_ms(d, 50, 1), 100, "and the wait is the delay");
	d = backoff_next_delay_ms(d, 50, 1, max);
	is_int(d, 200, "second doubles");
	for (int i = 0; i < 20; i++)
		d = backoff_next_delay_ms(d, 50, 1, max);
	is_int(d, max, "capped at the maximum");
	is_int(backoff_next_delay_ms(d, 5000, 1, max), max,
	       "a crash after the window keeps the delay");
	is_int(backoff_wait_ms(d, 5000, 1), 0, "but respawns at once");
	is_int(backoff_next_delay_ms(d, 50, 0, max), max, "a clean early exit does not count");
	is_int(backoff_wait_ms(d, 50, 0), 0, "and is replaced at once (recycling)");
	is_int(backoff_next_delay_ms(d, 10000, 1, max), 0, "ten seconds of life reset the delay");
	is_int(backoff_next_delay_ms(0, 10000, 0, max), 0, "a long-lived clean exit");
	is_int(backoff_next_delay_ms(400, 12000, 0, 1000), 0, "reset on a long life");
	is_int(backoff_next_delay_ms(800, 100, 1, 1000), 1000, "cap below the double");
	return done_testing();
}
