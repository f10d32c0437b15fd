/*
 * llm.h: what an LLM call is, independent of how it travels.
 *
 * Messages are kept in one canonical form everywhere (state.messages, the
 * checkpoint store, agent checkpoints): the serialised LangChain form the
 * spec uses (pipelit-engine.md 2.5),
 *
 *   {"type": "system"|"human"|"ai"|"tool",
 *    "data": {"content": "text", "id": "...",
 *             "tool_calls": [{"id", "name", "args": {...}}],      (ai only)
 *             "tool_call_id": "...", "name": "tool name",           (tool only)
 *             "additional_kwargs": {"timestamp": "...Z"},
 *             "usage_metadata": {"input_tokens", "output_tokens", "total_tokens"}}}
 *
 * and translated to a provider's wire format only when a request body is
 * built (llm/wire_*.c).  Content may also be an array of blocks
 * ({"type":"text","text":...}); the text of a message is its text blocks
 * joined with "\n".
 *
 * Two wire formats: OpenAI's chat completions (every OpenAI-compatible
 * server: OpenAI, OpenRouter, Venice, Ollama, vLLM, LM Studio, GLM) and
 * Anthropic's messages API (pipelit-engine.md 7.2).
 */
#ifndef PIPELIT_LLM_LLM_H
#define PIPELIT_LLM_LLM_H

#include <stddef.h>

#include <curl/curl.h>
#include <jansson.h>

#include "llm/probe.h"   /* struct llm_provider: what a credential gives a call */

enum llm_wire {
	LLM_WIRE_OPENAI = 0,     /* POST {base}/chat/completions, Bearer key */
	LLM_WIRE_ANTHROPIC = 1,  /* POST {base}/v1/messages, x-api-key */
};

/* The wire a provider type speaks: "anthropic" -> ANTHROPIC, anything
 * else ("openai", "openai_compatible", "glm", ...) -> OPENAI. */
enum llm_wire llm_wire_of(const struct llm_provider *p);

/* The model's settings, from the ai_model node.  A field left unset is not
 * sent: doubles are NAN, integers are -1. */
struct llm_settings {
	const char *model;
	double temperature, top_p, frequency_penalty, presence_penalty;
	long max_tokens;
	const json_t *response_format;   /* borrowed; OpenAI wire only; NULL: unset */
};
void llm_settings_init(struct llm_settings *s);   /* everything unset */

/* One model call's request (everything borrowed). */
struct llm_request {
	struct llm_settings settings;
	const char *system;          /* the system prompt, or NULL */
	const json_t *messages;      /* canonical messages (above), in order */
	const json_t *tools;         /* [{"name","description","parameters": JSON schema}] or NULL */
	const char *force_tool;      /* the model must call this tool (extractor), or NULL */
	int stream;                  /* ask for SSE (OpenAI: with stream_options.include_usage) */
};

/* --- building a request (wire.c) ---------------------------------------- */

/* The request body as JSON text (malloc'd).  Anthropic: max_tokens is
 * required, so LLM_ANTHROPIC_DEFAULT_MAX_TOKENS stands in when unset;
 * system messages in req->messages are folded into "system".  Empty text
 * blocks are dropped. */
char *llm_request_body(enum llm_wire wire, const struct llm_request *req);
#define LLM_ANTHROPIC_DEFAULT_MAX_TOKENS 4096

/* The endpoint URL for a provider (malloc'd): {base}/chat/completions or
 * {base}/v1/messages, with the provider's default base when it has none. */
char *llm_endpoint_url(const struct llm_provider *p);

/* The request headers: content type, the key's header, anthropic-version,
 * Accept: text/event-stream when streaming, "Expect:" (no 100-continue
 * round trip), the credential's custom headers (one of ours with the same
 * name gives way).  NULL when the key, the organization or a custom
 * header holds a line break or a header name is not a token: such a
 * request must not be sent.  Free with curl_slist_free_all().  The key is
 * in it: never log it. */
struct curl_slist *llm_request_headers(const struct llm_provider *p, int stream);

/* --- reading the answer (wire.c, stream.c) ------------------------------- */

struct llm_usage {
	long input_tokens, output_tokens;
	int known;                   /* the provider reported usage */
};

struct llm_reply {
	char *text;                  /* owned; the text blocks joined, "" when none */
	json_t *tool_calls;          /* owned; [{"id","name","args": object}], never NULL */
	struct llm_usage usage;
	char stop_reason[32];        /* "stop", "end_turn", "tool_calls", "tool_use", "length", ... */
	char *id;                    /* owned; the provider's message id, or NULL */
};
void llm_reply_clear(struct llm_reply *r);

/* Parses a whole (non-streamed) 2xx answer.  0, or -1 with a readable
 * message in *err (malloc'd) when it is not a well-formed answer: not
 * JSON, no choices/content, a tool call whose arguments are not a JSON
 * object. */
int llm_reply_parse(enum llm_wire wire, const char *body, size_t len, struct llm_reply *out,
		    char **err);

/* The readable message of a provider's error answer (status >= 400):
 * its own error message when it gives one (clipped to a few hundred
 * characters, valid UTF-8), else the status; every occurrence of secret
 * masked.  malloc'd. */
char *llm_error_message(enum llm_wire wire, long status, const char *body, size_t len,
			const char *secret);

/* An incremental decoder of a streamed (SSE) answer. */
struct llm_stream;
typedef void (*llm_text_fn)(void *arg, const char *text, size_t len);

struct llm_stream *llm_stream_new(enum llm_wire wire);
void llm_stream_free(struct llm_stream *s);
/* Feeds the bytes as they arrive, in any chunking; each piece of text the
 * model produced goes to on_text as soon as its event is complete (valid
 * UTF-8 pieces; never split inside a character).  0, or -1 with *err when
 * the stream is malformed (an event whose data is not JSON, an error
 * event from the provider: its message). */
int llm_stream_feed(struct llm_stream *s, const char *buf, size_t len, llm_text_fn on_text,
		    void *arg, char **err);
/* At the end of the body: the whole reply (text, tool calls with their
 * arguments assembled from the deltas, usage, stop reason).  -1 with
 * *err when the stream ended before its final event (a cut answer). */
int llm_stream_finish(struct llm_stream *s, struct llm_reply *out, char **err);

/* The canonical "ai" message for a reply (new reference): content, tool
 * calls, usage_metadata when known, id (the reply's, or id_fallback),
 * additional_kwargs.timestamp = timestamp when non-NULL. */
json_t *llm_reply_message(const struct llm_reply *r, const char *id_fallback,
			  const char *timestamp);

/* The text of a canonical message (content string, or its text blocks
 * joined with "\n"); malloc'd, "" when none. */
char *llm_message_text(const json_t *message);

#endif
