/*
 * llm_wire.c: the cost of the LLM wire formats (doc/llm-wire.md): decoding
 * a streamed answer (per event and per MB, fed in 1400-byte pieces as a
 * socket delivers them), building a request body for a 40-message
 * conversation with tool calls, and parsing a whole answer, on both
 * wires.  Prints CPU microseconds per operation (the process's CPU time,
 * so a busy machine does not inflate them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "llm/llm.h"
#include "util/xalloc.h"

static double
now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);	/* CPU time: the machine may be busy */
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

struct buf {
	char *p;
	size_t len, cap;
};

static void
add(struct buf *b, const char *s)
{
	size_t n = strlen(s);
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

static size_t texts;
static void
on_text(void *arg, const char *text, size_t len)
{
	(void)arg;
	(void)text;
	texts += len;
}

/* A stream of n text events, each a token of about four characters. */
static char *
make_stream(enum llm_wire wire, int n, size_t *len)
{
	struct buf b = { 0 };
	if (wire == LLM_WIRE_ANTHROPIC)
		add(&b, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":"
			"\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":"
			"\"claude-sonnet-4-6\",\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\n"
			"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
			"\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
	for (int i = 0; i < n; i++)
		add(&b, wire == LLM_WIRE_ANTHROPIC
				? "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
				  "\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" word\"}}\n\n"
				: "data: {\"id\":\"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG\",\"object\":"
				  "\"chat.completion.chunk\",\"created\":1741570283,\"model\":\"gpt-4o-2024-08-06\","
				  "\"system_fingerprint\":\"fp_eb9dce56a8\",\"choices\":[{\"index\":0,\"delta\":"
				  "{\"content\":\" word\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n");
	add(&b, wire == LLM_WIRE_ANTHROPIC
			? "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
			  "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
			  "\"end_turn\"},\"usage\":{\"output_tokens\":500}}\n\n"
			  "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
			: "data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":25,"
			  "\"completion_tokens\":500}}\n\ndata: [DONE]\n\n");
	*len = b.len;
	return b.p;
}

static void
bench_stream(enum llm_wire wire, const char *name, int rounds)
{
	size_t len;
	int events = 500;
	char *body = make_stream(wire, events, &len);
	double t0 = now_us();
	for (int r = 0; r < rounds; r++) {
		struct llm_stream *s = llm_stream_new(wire);
		char *err = NULL;
		for (size_t off = 0; off < len; off += 1400)
			if (llm_stream_feed(s, body + off, len - off < 1400 ? len - off : 1400, on_text,
					    NULL, &err) != 0) {
				fprintf(stderr, "%s: %s\n", name, err);
				exit(1);
			}
		struct llm_reply reply;
		if (llm_stream_finish(s, &reply, &err) != 0) {
			fprintf(stderr, "%s: %s\n", name, err);
			exit(1);
		}
		llm_reply_clear(&reply);
		llm_stream_free(s);
	}
	double us = now_us() - t0;
	printf("%-34s %8.2f us/event %8.1f MB/s\n", name, us / rounds / events,
	       (double)len * rounds / us);
	free(body);
}

static json_t *
conversation(int n)
{
	json_t *m = json_array();
	for (int i = 0; i < n / 4; i++) {
		json_array_append_new(m, json_pack("{s:s, s:{s:s}}", "type", "human", "data", "content",
						   "What is the weather in Paris and in Berlin today?"));
		json_array_append_new(
			m, json_pack("{s:s, s:{s:s, s:[{s:s, s:s, s:{s:s}}]}}", "type", "ai", "data",
				     "content", "", "tool_calls", "id", "call_1", "name", "weather",
				     "args", "city", "Paris"));
		json_array_append_new(m, json_pack("{s:s, s:{s:s, s:s}}", "type", "tool", "data",
						   "content", "{\"temp\": 21, \"sky\": \"clear\"}",
						   "tool_call_id", "call_1"));
		json_array_append_new(m, json_pack("{s:s, s:{s:s}}", "type", "ai", "data", "content",
						   "It is 21 degrees and clear in Paris today."));
	}
	return m;
}

int
main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 200;
	bench_stream(LLM_WIRE_OPENAI, "stream decode, OpenAI", rounds);
	bench_stream(LLM_WIRE_ANTHROPIC, "stream decode, Anthropic", rounds);

	json_t *messages = conversation(40);
	json_t *tools = json_pack("[{s:s, s:s, s:{s:s, s:{s:{s:s}}}}]", "name", "weather",
				  "description", "The weather in a city", "parameters", "type",
				  "object", "properties", "city", "type", "string");
	struct llm_request req = { .messages = messages, .tools = tools, .system = "Be brief.",
				   .stream = 1 };
	llm_settings_init(&req.settings);
	req.settings.model = "gpt-4o-mini";
	for (int wire = 0; wire < 2; wire++) {
		double t0 = now_us();
		size_t bytes = 0;
		for (int r = 0; r < rounds * 10; r++) {
			char *body = llm_request_body((enum llm_wire)wire, &req);
			bytes = strlen(body);
			free(body);
		}
		printf("%-34s %8.2f us/body  (%zu bytes)\n",
		       wire ? "request body, Anthropic, 40 msgs" : "request body, OpenAI, 40 msgs",
		       (now_us() - t0) / (rounds * 10), bytes);
	}
	const char *answer =
		"{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":"
		"\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
		"\"content\":\"It is 21 degrees and clear in Paris today.\",\"tool_calls\":[{\"id\":"
		"\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"weather\",\"arguments\":"
		"\"{\\\"city\\\":\\\"Berlin\\\"}\"}}]},\"finish_reason\":\"tool_calls\"}],\"usage\":"
		"{\"prompt_tokens\":120,\"completion_tokens\":30,\"total_tokens\":150}}";
	double t0 = now_us();
	for (int r = 0; r < rounds * 50; r++) {
		struct llm_reply reply;
		char *err = NULL;
		if (llm_reply_parse(LLM_WIRE_OPENAI, answer, strlen(answer), &reply, &err) != 0)
			return 1;
		llm_reply_clear(&reply);
	}
	printf("%-34s %8.2f us/answer\n", "whole answer parse, OpenAI", (now_us() - t0) / (rounds * 50));
	json_decref(messages);
	json_decref(tools);
	return texts == 0;
}
