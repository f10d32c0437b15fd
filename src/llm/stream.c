/*
 * stream.c: a streamed (SSE) answer decoded as it arrives (llm.h), for
 * both wires, on top of llm/sse.c.
 *
 * OpenAI-compatible servers send "data: {chunk}" events ending with
 * "data: [DONE]": text in choices[0].delta.content, tool calls in
 * choices[0].delta.tool_calls (by index: id and name in the first delta,
 * the arguments' JSON text in pieces), finish_reason, and, asked with
 * stream_options.include_usage, a last chunk with empty choices and the
 * usage.  Anthropic sends named events: message_start (id, input
 * tokens), content_block_start (a text or tool_use block),
 * content_block_delta (text_delta, input_json_delta), content_block_stop,
 * message_delta (stop reason, output tokens), message_stop, ping and
 * error.  Anything else (thinking, citations, server tools) is skipped.
 *
 * Text goes to the caller as each event completes: a decoded JSON string,
 * so always whole UTF-8 characters.  Text and arguments are bounded
 * together (LLM_REPLY_MAX).
 */
#include <stdlib.h>
#include <string.h>

#include "llm/llm.h"
#include "llm/sse.h"
#include "llm/wire_internal.h"
#include "util/xalloc.h"

#define PROVIDER_ERROR "the provider sent an error"

/* A tool call being assembled. */
struct tool_slot {
	long index;                  /* OpenAI's tool_calls index; Anthropic's block index */
	char *id, *name;
	struct strbuf args;          /* the arguments' JSON text so far */
	json_t *input;               /* Anthropic: the block's own input, used without deltas */
};

struct llm_stream {
	enum llm_wire wire;
	struct sse_parser sse;
	struct strbuf text;
	struct tool_slot *tools;
	size_t ntools, tools_cap;
	long text_block;             /* Anthropic: the block that gave the last text, or -1 */
	size_t total;                /* bytes of text and arguments so far */
	struct llm_usage usage;
	char stop_reason[32];
	char *id;
	int done;                    /* [DONE] or message_stop arrived */
	int failed;
	/* the current feed's reader */
	llm_text_fn on_text;
	void *arg;
};

struct llm_stream *
llm_stream_new(enum llm_wire wire)
{
	struct llm_stream *s = xcalloc(1, sizeof(*s));
	s->wire = wire;
	sse_init(&s->sse, SSE_DEFAULT_MAX_EVENT);
	strbuf_init(&s->text, 0);
	s->text_block = -1;
	return s;
}

void
llm_stream_free(struct llm_stream *s)
{
	if (s == NULL)
		return;
	sse_free(&s->sse);
	strbuf_free(&s->text);
	for (size_t i = 0; i < s->ntools; i++) {
		free(s->tools[i].id);
		free(s->tools[i].name);
		strbuf_free(&s->tools[i].args);
		json_decref(s->tools[i].input);
	}
	free(s->tools);
	free(s->id);
	free(s);
}

/* --- what every event may add ---------------------------------------------------- */

static int
grow(struct llm_stream *s, size_t n, char **err)
{
	if (n > LLM_REPLY_MAX - s->total) {
		*err = xasprintf("the provider's answer is larger than %zu bytes", LLM_REPLY_MAX);
		return -1;
	}
	s->total += n;
	return 0;
}

static int
add_text(struct llm_stream *s, const char *text, size_t n, char **err)
{
	if (n == 0)
		return 0;
	if (grow(s, n, err) != 0)
		return -1;
	strbuf_append(&s->text, text, n);
	if (s->on_text != NULL)
		s->on_text(s->arg, text, n);
	return 0;
}

static int
add_args(struct llm_stream *s, struct tool_slot *t, const char *text, size_t n, char **err)
{
	if (n == 0)
		return 0;
	if (grow(s, n, err) != 0)
		return -1;
	strbuf_append(&t->args, text, n);
	return 0;
}

static struct tool_slot *
new_slot(struct llm_stream *s, long index)
{
	if (s->ntools == s->tools_cap) {
		s->tools_cap = s->tools_cap ? s->tools_cap * 2 : 4;
		s->tools = xrealloc(s->tools, s->tools_cap * sizeof(*s->tools));
	}
	struct tool_slot *t = &s->tools[s->ntools++];
	memset(t, 0, sizeof(*t));
	t->index = index;
	strbuf_init(&t->args, 0);
	return t;
}

static struct tool_slot *
slot_by_index(struct llm_stream *s, long index)
{
	for (size_t i = s->ntools; i-- > 0;)
		if (s->tools[i].index == index)
			return &s->tools[i];
	return NULL;
}

static struct tool_slot *
slot_by_id(struct llm_stream *s, const char *id)
{
	for (size_t i = s->ntools; i-- > 0;)
		if (s->tools[i].id != NULL && strcmp(s->tools[i].id, id) == 0)
			return &s->tools[i];
	return NULL;
}

static void
set_once(char **field, const char *value)
{
	if (*field == NULL && value != NULL && *value)
		*field = xstrdup(value);
}

/* "the provider sent an error: <its message>", from an error event's data. */
static char *
provider_error(const json_t *root)
{
	const char *msg = root ? wire_provider_message(root) : NULL;
	if (msg == NULL || *msg == '\0')
		return xstrdup(PROVIDER_ERROR " in the stream");
	char *cut = probe_excerpt(msg, strlen(msg), PROBE_REASON_CHARS, NULL);
	for (char *q = cut; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			*q = ' ';
	char *out = xasprintf(PROVIDER_ERROR ": %s", cut);
	free(cut);
	return out;
}

static int
has_error(const json_t *root)
{
	const json_t *e = json_object_get(root, "error");
	return e != NULL && !json_is_null(e);
}

/* --- OpenAI ------------------------------------------------------------------------- */

static int
openai_tool_delta(struct llm_stream *s, const json_t *delta, char **err)
{
	const json_t *idx = json_object_get(delta, "index");
	const char *id = json_string_value(json_object_get(delta, "id"));
	const json_t *fn = json_object_get(delta, "function");
	struct tool_slot *t = NULL;
	if (json_is_integer(idx)) {
		t = slot_by_index(s, (long)json_integer_value(idx));
		if (t == NULL)
			t = new_slot(s, (long)json_integer_value(idx));
	} else {
		/* Servers that leave the index out send each call whole, or
		 * its pieces after the piece with the id. */
		if (id != NULL && *id)
			t = slot_by_id(s, id);
		if (t == NULL && (id != NULL && *id ? 1 : s->ntools == 0))
			t = new_slot(s, -1);
		if (t == NULL)
			t = &s->tools[s->ntools - 1];
	}
	set_once(&t->id, id);
	set_once(&t->name, json_string_value(json_object_get(fn, "name")));
	const json_t *args = json_object_get(fn, "arguments");
	if (json_is_string(args))
		return add_args(s, t, json_string_value(args), json_string_length(args), err);
	if (json_is_object(args)) {
		size_t n;
		char *text = jw_dump(args, &n);
		int rc = add_args(s, t, text, n, err);
		free(text);
		return rc;
	}
	return 0;
}

static int
openai_chunk(struct llm_stream *s, const json_t *root, char **err)
{
	set_once(&s->id, json_string_value(json_object_get(root, "id")));
	const json_t *usage = json_object_get(root, "usage");
	if (json_is_integer(json_object_get(usage, "prompt_tokens"))) {
		s->usage.input_tokens = wire_usage_count(usage, "prompt_tokens");
		s->usage.output_tokens = wire_usage_count(usage, "completion_tokens");
		s->usage.known = 1;
	}
	const json_t *choice = json_array_get(json_object_get(root, "choices"), 0);
	if (choice == NULL)
		return 0;
	const json_t *delta = json_object_get(choice, "delta");
	const json_t *content = json_object_get(delta, "content");
	if (json_is_string(content) &&
	    add_text(s, json_string_value(content), json_string_length(content), err) != 0)
		return -1;
	size_t i;
	const json_t *call;
	json_array_foreach(json_object_get(delta, "tool_calls"), i, call)
		if (openai_tool_delta(s, call, err) != 0)
			return -1;
	wire_set_stop_reason(s->stop_reason, sizeof(s->stop_reason), json_string_value(json_object_get(choice, "finish_reason")));
	return 0;
}

/* --- Anthropic ------------------------------------------------------------------------ */

static int
anthropic_text(struct llm_stream *s, long block, const char *text, size_t n, char **err)
{
	if (n == 0)
		return 0;
	/* The reply's text is its text blocks joined with "\n": the
	 * separator goes out too, so the pieces add up to the reply. */
	if (block != s->text_block && s->text.len > 0 && add_text(s, "\n", 1, err) != 0)
		return -1;
	s->text_block = block;
	return add_text(s, text, n, err);
}

static int
anthropic_event(struct llm_stream *s, const char *type, const json_t *root, char **err)
{
	long index = (long)json_integer_value(json_object_get(root, "index"));
	if (strcmp(type, "message_start") == 0) {
		const json_t *message = json_object_get(root, "message");
		const json_t *usage = json_object_get(message, "usage");
		set_once(&s->id, json_string_value(json_object_get(message, "id")));
		if (json_is_object(usage)) {
			s->usage.input_tokens = wire_anthropic_input_tokens(usage);
			s->usage.output_tokens = wire_usage_count(usage, "output_tokens");
			s->usage.known = 1;
		}
	} else if (strcmp(type, "content_block_start") == 0) {
		const json_t *block = json_object_get(root, "content_block");
		const char *kind = json_string_value(json_object_get(block, "type"));
		if (kind != NULL && strcmp(kind, "text") == 0) {
			const json_t *text = json_object_get(block, "text");
			return anthropic_text(s, index, json_string_value(text) ? json_string_value(text) : "",
					      json_string_length(text), err);
		}
		if (kind != NULL && strcmp(kind, "tool_use") == 0) {
			struct tool_slot *t = new_slot(s, index);
			set_once(&t->id, json_string_value(json_object_get(block, "id")));
			set_once(&t->name, json_string_value(json_object_get(block, "name")));
			const json_t *input = json_object_get(block, "input");
			t->input = input ? json_incref((json_t *)input) : NULL;
		}
	} else if (strcmp(type, "content_block_delta") == 0) {
		const json_t *delta = json_object_get(root, "delta");
		const char *kind = json_string_value(json_object_get(delta, "type"));
		if (kind != NULL && strcmp(kind, "text_delta") == 0) {
			const json_t *text = json_object_get(delta, "text");
			if (json_is_string(text))
				return anthropic_text(s, index, json_string_value(text),
						      json_string_length(text), err);
		} else if (kind != NULL && strcmp(kind, "input_json_delta") == 0) {
			struct tool_slot *t = slot_by_index(s, index);
			const json_t *part = json_object_get(delta, "partial_json");
			if (t != NULL && json_is_string(part))
				return add_args(s, t, json_string_value(part), json_string_length(part),
						err);
		}
	} else if (strcmp(type, "message_delta") == 0) {
		const json_t *usage = json_object_get(root, "usage");
		wire_set_stop_reason(s->stop_reason, sizeof(s->stop_reason), json_string_value(
					   json_object_get(json_object_get(root, "delta"), "stop_reason")));
		if (json_is_integer(json_object_get(usage, "output_tokens"))) {
			s->usage.output_tokens = wire_usage_count(usage, "output_tokens");
			s->usage.known = 1;
		}
		/* Newer answers repeat the input counts here (some of them:
		 * the cache counts may be left out), so the larger one counts. */
		long input = wire_anthropic_input_tokens(usage);
		if (input > s->usage.input_tokens)
			s->usage.input_tokens = input;
	} else if (strcmp(type, "message_stop") == 0) {
		s->done = 1;
	}
	/* ping, content_block_stop and unknown events: nothing to keep. */
	return 0;
}

/* --- one event -------------------------------------------------------------------------- */

static int
on_event(void *arg, const struct sse_event *ev, char **err)
{
	struct llm_stream *s = arg;
	if (s->done)
		return 0;	/* anything after the end is not part of the answer */
	if (s->wire == LLM_WIRE_OPENAI && strcmp(ev->data, "[DONE]") == 0) {
		s->done = 1;
		return 0;
	}
	json_t *root = json_loadb(ev->data, ev->data_len, 0, NULL);
	int is_error_event = strcmp(ev->name, "error") == 0;
	int rc = 0;
	if (is_error_event || (json_is_object(root) && has_error(root))) {
		*err = provider_error(json_is_object(root) ? root : NULL);
		rc = -1;
	} else if (!json_is_object(root)) {
		*err = xstrdup("an event of the provider's stream is not a JSON object");
		rc = -1;
	} else if (s->wire == LLM_WIRE_OPENAI) {
		rc = openai_chunk(s, root, err);
	} else {
		const char *type = json_string_value(json_object_get(root, "type"));
		rc = anthropic_event(s, type ? type : ev->name, root, err);
	}
	json_decref(root);
	return rc;
}

int
llm_stream_feed(struct llm_stream *s, const char *buf, size_t len, llm_text_fn on_text,
		void *arg, char **err)
{
	if (s->failed) {
		*err = xstrdup("the stream failed earlier");
		return -1;
	}
	s->on_text = on_text;
	s->arg = arg;
	int rc = sse_feed(&s->sse, buf, len, on_event, s, err);
	s->on_text = NULL;
	s->arg = NULL;
	if (rc != 0)
		s->failed = 1;
	return rc;
}

/* --- the end ------------------------------------------------------------------------------ */

static int
take_tool_calls(struct llm_stream *s, struct llm_reply *out, char **err)
{
	for (size_t i = 0; i < s->ntools; i++) {
		struct tool_slot *t = &s->tools[i];
		const char *name = t->name ? t->name : "";
		json_t *args;
		if (t->args.len > 0)
			args = wire_parse_args(t->args.data, t->args.len, name, err);
		else if (json_is_object(t->input))
			args = json_deep_copy(t->input);
		else
			args = json_object();
		if (args == NULL)
			return -1;
		char *fallback = t->id ? NULL : wire_fallback_call_id(i);
		wire_add_tool_call(out, t->id ? t->id : fallback, name, args);
		free(fallback);
	}
	return 0;
}

int
llm_stream_finish(struct llm_stream *s, struct llm_reply *out, char **err)
{
	wire_reply_init(out);
	if (s->failed) {
		*err = xstrdup("the stream failed earlier");
		llm_reply_clear(out);
		return -1;
	}
	/* A last event without its blank line still counts; after a cut,
	 * what is left is only a piece of an event: the answer is cut. */
	char *late = NULL;
	int rc = sse_finish(&s->sse, on_event, s, &late);
	if (rc != 0 && late != NULL && strncmp(late, PROVIDER_ERROR, strlen(PROVIDER_ERROR)) == 0) {
		*err = late;	/* the provider's last word was an error */
		llm_reply_clear(out);
		s->failed = 1;
		return -1;
	}
	free(late);
	if (!s->done || rc != 0) {
		*err = xstrdup("the answer was cut off before its end");
		llm_reply_clear(out);
		s->failed = 1;
		return -1;
	}
	if (take_tool_calls(s, out, err) != 0) {
		llm_reply_clear(out);
		s->failed = 1;
		return -1;
	}
	free(out->text);
	out->text = strbuf_take(&s->text);
	out->usage = s->usage;
	memcpy(out->stop_reason, s->stop_reason, sizeof(out->stop_reason));
	out->id = s->id;
	s->id = NULL;
	return 0;
}
