/*
 * llm_call_driver: runs one LLM call (llm/client.h) on its own multi loop
 * and prints what the caller saw, for t/e2e/79-llm-client.t.  Built only
 * for the tests.
 *
 *   llm_call_driver SCENARIO.json
 *
 * The scenario:
 *   {"provider": {"provider_type", "api_key", "base_url", "custom_headers"},
 *    "request": {"model", "max_tokens", "temperature", "system", "messages" (canonical),
 *                "tools", "force_tool", "stream"},
 *    "options": {"max_retries", "connect_timeout_ms", "attempt_timeout_ms", "backoff_scale"},
 *    "allow": "127.0.0.1",          the outbound allowlist (PIPELIT_OUTBOUND_ALLOW's syntax)
 *    "free_after_deltas": N}        frees the call (an abort) after N pieces of text
 *
 * The outcome, one JSON object on stdout:
 *   {"state": "done"|"failed"|"freed", "text", "deltas": [...], "restarts",
 *    "tool_calls", "usage": {"input_tokens", "output_tokens", "known"}, "stop_reason",
 *    "error_code", "error", "requests"}
 * Exit status 0 when the scenario could be run at all.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "llm/client.h"
#include "llm/llm.h"
#include "net/outbound.h"
#include "net/transfer.h"
#include "util/timefmt.h"

struct seen {
	json_t *deltas;
	int restarts;
	int free_after;     /* 0: never */
};

static void
on_text(void *arg, const char *text, size_t len)
{
	struct seen *s = arg;
	json_array_append_new(s->deltas, json_stringn(text, len));
}

static void
on_restart(void *arg)
{
	struct seen *s = arg;
	s->restarts++;
	json_array_clear(s->deltas);
}

static const char *
str_or_null(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static double
number_or(const json_t *o, const char *key, double dflt)
{
	json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : dflt;
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s SCENARIO.json\n", argv[0]);
		return 2;
	}
	json_error_t jerr;
	json_t *sc = json_load_file(argv[1], 0, &jerr);
	if (sc == NULL) {
		fprintf(stderr, "%s: %s\n", argv[1], jerr.text);
		return 2;
	}
	json_t *pj = json_object_get(sc, "provider");
	json_t *rj = json_object_get(sc, "request");
	json_t *oj = json_object_get(sc, "options");

	struct outbound_policy policy;
	char *perr = NULL;
	if (outbound_policy_parse(str_or_null(sc, "allow"), &policy, &perr) != 0) {
		fprintf(stderr, "allow: %s\n", perr);
		return 2;
	}

	struct llm_provider p = {
		.provider_type = str_or_null(pj, "provider_type") ? str_or_null(pj, "provider_type") : "openai_compatible",
		.api_key = str_or_null(pj, "api_key") ? str_or_null(pj, "api_key") : "",
		.base_url = str_or_null(pj, "base_url") ? str_or_null(pj, "base_url") : "",
		.organization_id = "",
		.custom_headers = json_object_get(pj, "custom_headers"),
	};
	struct llm_request req;
	memset(&req, 0, sizeof(req));
	llm_settings_init(&req.settings);
	req.settings.model = str_or_null(rj, "model");
	req.settings.max_tokens = (long)number_or(rj, "max_tokens", -1);
	req.settings.temperature = number_or(rj, "temperature", NAN);
	req.system = str_or_null(rj, "system");
	req.messages = json_object_get(rj, "messages");
	req.tools = json_object_get(rj, "tools");
	req.force_tool = str_or_null(rj, "force_tool");
	req.stream = json_is_true(json_object_get(rj, "stream"));

	struct llm_call_options o;
	llm_call_options_init(&o);
	o.policy = &policy;
	o.max_retries = (int)number_or(oj, "max_retries", o.max_retries);
	o.connect_timeout_ms = (long)number_or(oj, "connect_timeout_ms", (double)o.connect_timeout_ms);
	o.attempt_timeout_ms = (long)number_or(oj, "attempt_timeout_ms", (double)o.attempt_timeout_ms);
	o.backoff_scale = number_or(oj, "backoff_scale", o.backoff_scale);

	curl_global_init(CURL_GLOBAL_DEFAULT);
	CURLM *multi = curl_multi_init();
	struct seen seen = { .deltas = json_array(),
			     .free_after = (int)number_or(sc, "free_after_deltas", 0) };
	struct llm_call *call = llm_call_start(multi, &p, &req, &o, on_text, on_restart, &seen);

	int freed = 0;
	while (llm_call_state(call) == LLM_CALL_RUNNING) {
		int64_t wake = llm_call_wake_at(call);
		if (wake != 0 && time_now_ms() >= wake)
			llm_call_tick(call, time_now_ms());
		int running = 0;
		curl_multi_perform(multi, &running);
		transfer_finish_all(multi);
		if (seen.free_after > 0 && (int)json_array_size(seen.deltas) >= seen.free_after) {
			freed = 1;
			break;
		}
		if (llm_call_state(call) != LLM_CALL_RUNNING)
			break;
		wake = llm_call_wake_at(call);
		int timeout = 1000;
		if (wake != 0) {
			int64_t left = wake - time_now_ms();
			timeout = left < 0 ? 0 : left < 1000 ? (int)left : 1000;
		}
		curl_multi_poll(multi, NULL, 0, timeout, NULL);
	}

	json_t *out = json_object();
	json_object_set_new(out, "requests", json_integer(llm_call_requests(call)));
	json_object_set_new(out, "restarts", json_integer(seen.restarts));
	json_object_set(out, "deltas", seen.deltas);
	if (freed) {
		llm_call_free(call);
		call = NULL;
		/* Nothing of the call is left on the loop. */
		int running = 0;
		curl_multi_perform(multi, &running);
		json_object_set_new(out, "state", json_string("freed"));
		json_object_set_new(out, "left_on_loop", json_integer(running));
	} else if (llm_call_state(call) == LLM_CALL_DONE) {
		const struct llm_reply *r = llm_call_reply(call);
		json_object_set_new(out, "state", json_string("done"));
		json_object_set_new(out, "text", json_string(r->text ? r->text : ""));
		json_object_set(out, "tool_calls", r->tool_calls ? r->tool_calls : json_array());
		json_object_set_new(out, "usage", json_pack("{s:I, s:I, s:b}",
			"input_tokens", (json_int_t)r->usage.input_tokens,
			"output_tokens", (json_int_t)r->usage.output_tokens, "known", r->usage.known));
		json_object_set_new(out, "stop_reason", json_string(r->stop_reason));
		json_object_set_new(out, "id", r->id ? json_string(r->id) : json_null());
		json_object_set_new(out, "message", llm_reply_message(r, "fallback-id", NULL));
	} else {
		json_object_set_new(out, "state", json_string("failed"));
		json_object_set_new(out, "error_code", json_string(llm_call_error_code(call)));
		json_object_set_new(out, "error", json_string(llm_call_error(call)));
	}
	char *text = json_dumps(out, JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	printf("%s\n", text);
	free(text);
	json_decref(out);
	json_decref(seen.deltas);
	llm_call_free(call);
	curl_multi_cleanup(multi);
	curl_global_cleanup();
	outbound_policy_free(&policy);
	free(perr);
	json_decref(sc);
	return 0;
}
