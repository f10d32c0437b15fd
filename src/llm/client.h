/*
 * client.h: one LLM call in flight on an event loop (libcurl multi).
 *
 * The call owns its easy handle and everything the request needs; the
 * loop that owns the multi handle hands every finished transfer back
 * through net/transfer.h, and calls llm_call_tick() when the call's wake
 * time passes.  Nothing blocks: a call is a small state machine
 *
 *   sending -> (failed, retryable) -> waiting out a back-off -> sending ...
 *           -> done (a reply) | failed (a readable error)
 *
 * The policy is the official SDKs': max_retries retries (2 by default) on
 * connection errors, 408, 409, 429 and 5xx, with exponential back-off and
 * jitter from 0.5 s to 8 s, honouring Retry-After (seconds or HTTP date)
 * up to 120 s.  Each attempt has a connect timeout and one total deadline
 * (redirects included), and goes through the outbound policy
 * (net/outbound.h) with the same-origin rule, so the key never leaves for
 * a host the user did not name.  A malformed or cut answer is not retried
 * (the provider spoke; asking again costs money): it fails the call.
 * The worst case is (1 + max_retries) requests.
 */
#ifndef PIPELIT_LLM_CLIENT_H
#define PIPELIT_LLM_CLIENT_H

#include <stdint.h>

#include <curl/curl.h>

#include "llm/llm.h"

struct outbound_policy;

struct llm_call_options {
	const struct outbound_policy *policy;   /* borrowed, outlives the call */
	int max_retries;             /* client retries after the first request (2) */
	long connect_timeout_ms;     /* per attempt (10 s) */
	long attempt_timeout_ms;     /* the whole of one attempt (600 s) */
	/* Test hook: back-off delays are multiplied by this (1.0 normally). */
	double backoff_scale;
	/* Set to 1 whenever an attempt's transfer ends (NULL: not told): the
	 * owner of the loop then looks at the call's state. */
	int *ended_flag;
};
void llm_call_options_init(struct llm_call_options *o);

enum llm_call_state {
	LLM_CALL_RUNNING = 0,        /* a request in flight or a back-off pending */
	LLM_CALL_DONE = 1,           /* llm_call_reply() holds the reply */
	LLM_CALL_FAILED = 2,         /* llm_call_error() says why */
};

struct llm_call;

/* Starts a call on multi: the body and headers are built here (the request
 * and provider may be freed after).  on_text (may be NULL) gets the
 * streamed text as it arrives; after a retry it starts over from the
 * beginning of the new answer, and on_restart (may be NULL) is told first.
 * Never NULL. */
struct llm_call *llm_call_start(CURLM *multi, const struct llm_provider *p,
				const struct llm_request *req, const struct llm_call_options *o,
				llm_text_fn on_text, void (*on_restart)(void *arg), void *arg);

enum llm_call_state llm_call_state(const struct llm_call *c);
/* The wall-clock time (ms since the epoch) at which llm_call_tick() must
 * be called (a back-off ends), or 0 when the call waits only on its
 * transfer. */
int64_t llm_call_wake_at(const struct llm_call *c);
/* Starts the next attempt when its back-off is over; no-op otherwise. */
void llm_call_tick(struct llm_call *c, int64_t now_ms);
/* After DONE: the reply (owned by the call). */
const struct llm_reply *llm_call_reply(const struct llm_call *c);
/* After FAILED: a readable message (owned by the call; the key masked)
 * and a short code: "llm_timeout", "llm_connection", "llm_refused"
 * (outbound policy), "llm_http_<status>", "llm_malformed", "llm_cut". */
const char *llm_call_error(const struct llm_call *c);
const char *llm_call_error_code(const struct llm_call *c);
/* Requests made so far (1 + the retries). */
int llm_call_requests(const struct llm_call *c);
/* Aborts a transfer in flight at once and frees everything. */
void llm_call_free(struct llm_call *c);

#endif
