/*
 * retry.c: the retry policy's arithmetic (retry.h).
 */
#include "llm/retry.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

int
llm_status_retryable(long status)
{
	return status == 408 || status == 409 || status == 429 || status >= 500;
}

int64_t
llm_backoff_ms(int retry, double unit)
{
	if (retry < 1)
		retry = 1;
	double ms = LLM_BACKOFF_MIN_MS;
	for (int i = 1; i < retry && ms < LLM_BACKOFF_MAX_MS; i++)
		ms *= 2;
	if (ms > LLM_BACKOFF_MAX_MS)
		ms = LLM_BACKOFF_MAX_MS;
	if (unit < 0 || unit >= 1 || isnan(unit))
		unit = 0;
	/* Jitter spreads the retries of many calls that failed together. */
	ms *= 1.0 - 0.25 * unit;
	if (ms < LLM_BACKOFF_MIN_MS)
		ms = LLM_BACKOFF_MIN_MS;
	return (int64_t)ms;
}

/* A non-negative decimal number of units, the whole text (spaces around
 * allowed); -1 otherwise. */
static double
parse_number(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	char *end;
	double v = strtod(s, &end);
	if (errno != 0 || !isfinite(v) || v < 0)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	return *end == '\0' ? v : -1;
}

static int64_t
capped(double ms)
{
	if (ms > LLM_RETRY_AFTER_MAX_MS)
		return LLM_RETRY_AFTER_MAX_MS;
	return ms < 0 ? 0 : (int64_t)ms;
}

int64_t
llm_retry_after_ms(const char *retry_after, const char *retry_after_ms, int64_t now_ms)
{
	if (retry_after_ms != NULL) {
		double v = parse_number(retry_after_ms);
		if (v >= 0)
			return capped(v);
	}
	if (retry_after == NULL)
		return -1;
	double secs = parse_number(retry_after);
	if (secs >= 0)
		return capped(secs * 1000.0);
	/* An HTTP date (RFC 9110 5.6.7): the wait is until then, 0 when past. */
	time_t when = curl_getdate(retry_after, NULL);
	if (when == (time_t)-1)
		return -1;
	return capped((double)when * 1000.0 - (double)now_ms);
}
