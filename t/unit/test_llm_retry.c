/*
 * test_llm_retry: the LLM client's retry policy (llm/retry.h): which
 * statuses are asked again, the back-off's range and growth, and
 * Retry-After in seconds, as a date and as retry-after-ms, capped.
 */
#include <stdint.h>
#include <time.h>

#include "llm/retry.h"
#include "tap.h"

int
main(void)
{
	long yes[] = { 408, 409, 429, 500, 502, 503, 504, 529 };
	long no[] = { 200, 301, 400, 401, 403, 404, 422 };
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ok(llm_status_retryable(yes[i]), "%ld is retried", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ok(!llm_status_retryable(no[i]), "%ld is not retried", no[i]);

	/* Exponential from 0.5 s, capped at 8 s, jitter takes off at most a quarter. */
	is_int(llm_backoff_ms(1, 0), 500, "first retry without jitter: 0.5 s");
	is_int(llm_backoff_ms(2, 0), 1000, "second: 1 s");
	is_int(llm_backoff_ms(3, 0), 2000, "third: 2 s");
	is_int(llm_backoff_ms(5, 0), 8000, "fifth: 8 s");
	is_int(llm_backoff_ms(40, 0), 8000, "capped at 8 s");
	is_int(llm_backoff_ms(1, 0.999), 500, "never under 0.5 s");
	ok(llm_backoff_ms(4, 0.999) >= 3000 && llm_backoff_ms(4, 0.999) < 4000, "jitter: 4 s less up to a quarter");
	is_int(llm_backoff_ms(6, 0.5), 7000, "8 s less an eighth");
	is_int(llm_backoff_ms(2, 7.0), 1000, "a draw outside [0,1) counts as 0");

	int64_t now = 1700000000000LL;
	is_int(llm_retry_after_ms("2", NULL, now), 2000, "Retry-After: 2");
	is_int(llm_retry_after_ms(" 0 ", NULL, now), 0, "Retry-After: 0");
	is_int(llm_retry_after_ms("1.5", NULL, now), 1500, "a decimal");
	is_int(llm_retry_after_ms("3600", NULL, now), 120000, "capped at 120 s");
	is_int(llm_retry_after_ms(NULL, "250", now), 250, "retry-after-ms");
	is_int(llm_retry_after_ms("9", "250", now), 250, "retry-after-ms first");
	is_int(llm_retry_after_ms("9", "soon", now), 9000, "a bad retry-after-ms falls back to Retry-After");
	is_int(llm_retry_after_ms(NULL, NULL, now), -1, "nothing said");
	is_int(llm_retry_after_ms("-3", NULL, now), -1, "negative: nothing usable");
	is_int(llm_retry_after_ms("soon", NULL, now), -1, "not a number nor a date");
	is_int(llm_retry_after_ms("2x", NULL, now), -1, "trailing junk");
	/* 1700000000 is Tue, 14 Nov 2023 22:13:20 GMT. */
	is_int(llm_retry_after_ms("Tue, 14 Nov 2023 22:13:50 GMT", NULL, now), 30000, "an HTTP date 30 s ahead");
	is_int(llm_retry_after_ms("Tue, 14 Nov 2023 22:10:00 GMT", NULL, now), 0, "a date in the past: now");
	is_int(llm_retry_after_ms("Wed, 15 Nov 2023 22:13:20 GMT", NULL, now), 120000, "a date a day ahead: 120 s");
	return done_testing();
}
