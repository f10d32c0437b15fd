/*
 * retry.h: when an LLM call asks again, and how long it waits first.
 *
 * The official SDKs' policy (pipelit-engine.md 7, client.h): connection
 * errors and timeouts, 408, 409, 429 and every 5xx are worth another
 * request; the wait is exponential from 0.5 s to 8 s with jitter, unless
 * the provider said how long in Retry-After (seconds or an HTTP date) or
 * retry-after-ms, which is honoured up to 120 s.  Pure: the caller passes
 * the clock and the random draw.
 */
#ifndef PIPELIT_LLM_RETRY_H
#define PIPELIT_LLM_RETRY_H

#include <stdint.h>

#define LLM_BACKOFF_MIN_MS 500
#define LLM_BACKOFF_MAX_MS 8000
#define LLM_RETRY_AFTER_MAX_MS 120000

/* 1 when an answer with this HTTP status is worth another request. */
int llm_status_retryable(long status);

/* The wait before retry number `retry` (1 for the first) with no word from
 * the provider: min(0.5 s * 2^(retry-1), 8 s), less up to a quarter for
 * jitter (unit is a draw in [0, 1)), never under 0.5 s. */
int64_t llm_backoff_ms(int retry, double unit);

/* The provider's wait in ms from a Retry-After value (delta-seconds, a
 * decimal, or an HTTP date, against now_ms) or, when retry_after_ms is
 * non-NULL and a number, from that header; capped at 120 s.  -1 when
 * neither says anything usable (then llm_backoff_ms() applies). */
int64_t llm_retry_after_ms(const char *retry_after, const char *retry_after_ms, int64_t now_ms);

#endif
