/*
 * wire_anthropic.c: Anthropic's messages API: the request body from
 * canonical messages, and a whole answer read back (pipelit-engine.md
 * 7.2).
 *
 * The API wants the system prompt apart, user and assistant turns that
 * alternate, tool results as blocks of a user turn (before any text of
 * that turn), and no empty text: so system messages are folded into
 * "system", consecutive messages of one role are merged into one turn,
 * and messages left with nothing to say are dropped.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "llm/wire_internal.h"
#include "util/xalloc.h"

enum turn { TURN_NONE, TURN_USER, TURN_ASSISTANT };

static int
is_type(const json_t *block, const char *type)
{
	const char *t = json_string_value(json_object_get(block, "type"));
	return t != NULL && strcmp(t, type) == 0;
}

static void
write_text_block(struct jw *w, const char *text, size_t n)
{
	jw_obj_begin(w);
	jw_kstr(w, "type", "text");
	JW_KEY(w, "text");
	jw_strn(w, text, n);
	jw_obj_end(w);
}

/* The text (and image) blocks of content; returns how many were written
 * (with w NULL, only counts). */
static size_t
write_content_blocks(struct jw *w, const json_t *content, int images)
{
	size_t n = 0;
	if (json_is_string(content)) {
		if (json_string_length(content) == 0)
			return 0;
		if (w)
			write_text_block(w, json_string_value(content), json_string_length(content));
		return 1;
	}
	size_t i;
	const json_t *block;
	json_array_foreach(content, i, block) {
		const json_t *text = is_type(block, "text") ? json_object_get(block, "text") : block;
		if (json_is_string(text) && json_string_length(text) > 0) {
			if (w)
				write_text_block(w, json_string_value(text), json_string_length(text));
			n++;
		} else if (images && is_type(block, "image")) {
			if (w)
				jw_json(w, block);
			n++;
		}
	}
	return n;
}

static void
write_tool_use(struct jw *w, const char *id, const char *name, const json_t *args)
{
	jw_obj_begin(w);
	jw_kstr(w, "type", "tool_use");
	jw_kstr(w, "id", id ? id : "");
	jw_kstr(w, "name", name ? name : "");
	JW_KEY(w, "input");
	json_t *parsed = NULL;
	if (json_is_string(args))
		parsed = json_loads(json_string_value(args), 0, NULL);
	if (json_is_object(parsed))
		jw_json(w, parsed);
	else if (json_is_object(args))
		jw_json(w, args);
	else
		JW_RAW_LITERAL(w, "{}");
	json_decref(parsed);
	jw_obj_end(w);
}

/* An assistant message's blocks: its text, then its tool calls (or, in a
 * message that came from this API, the tool_use blocks of its content). */
static size_t
write_assistant_blocks(struct jw *w, const json_t *data)
{
	const json_t *content = json_object_get(data, "content");
	size_t n = write_content_blocks(w, content, 0);
	const json_t *calls = wire_tool_calls_of(data);
	size_t i;
	const json_t *call;
	json_array_foreach(calls, i, call) {
		if (w)
			write_tool_use(w, json_string_value(json_object_get(call, "id")),
				       json_string_value(json_object_get(call, "name")),
				       json_object_get(call, "args"));
		n++;
	}
	if (json_array_size(calls) == 0) {
		json_array_foreach(content, i, call) {
			if (!is_type(call, "tool_use"))
				continue;
			if (w)
				write_tool_use(w, json_string_value(json_object_get(call, "id")),
					       json_string_value(json_object_get(call, "name")),
					       json_object_get(call, "input"));
			n++;
		}
	}
	return n;
}

static void
write_tool_result(struct jw *w, const json_t *data)
{
	const char *id = json_string_value(json_object_get(data, "tool_call_id"));
	const char *status = json_string_value(json_object_get(data, "status"));
	char *text = wire_tool_result_text(data);
	jw_obj_begin(w);
	jw_kstr(w, "type", "tool_result");
	jw_kstr(w, "tool_use_id", id ? id : "");
	if (*text)
		jw_kstr(w, "content", text);
	if (status != NULL && strcmp(status, "error") == 0)
		jw_kbool(w, "is_error", 1);
	jw_obj_end(w);
	free(text);
}

/* The turn a message belongs to, or TURN_NONE when it has nothing to send. */
static enum turn
turn_of(const json_t *m)
{
	const json_t *data = wire_data_of(m);
	switch (wire_role_of(m)) {
	case WIRE_HUMAN:
		return write_content_blocks(NULL, json_object_get(data, "content"), 1) ? TURN_USER
										     : TURN_NONE;
	case WIRE_TOOL:
		return TURN_USER;
	case WIRE_AI:
		return write_assistant_blocks(NULL, data) ? TURN_ASSISTANT : TURN_NONE;
	default:
		return TURN_NONE;
	}
}

/* One turn: the messages [from, to) of that turn (others in between have
 * nothing to send).  A user turn's tool results go first, as the API
 * requires. */
static void
write_turn(struct jw *w, const json_t *messages, size_t from, size_t to, enum turn turn)
{
	jw_obj_begin(w);
	jw_kstr(w, "role", turn == TURN_USER ? "user" : "assistant");
	JW_KEY(w, "content");
	jw_arr_begin(w);
	for (int pass = 0; pass < (turn == TURN_USER ? 2 : 1); pass++) {
		for (size_t i = from; i < to; i++) {
			const json_t *m = json_array_get(messages, i);
			const json_t *data = wire_data_of(m);
			if (turn_of(m) != turn)
				continue;
			enum wire_role role = wire_role_of(m);
			if (turn == TURN_ASSISTANT)
				write_assistant_blocks(w, data);
			else if (pass == 0 && role == WIRE_TOOL)
				write_tool_result(w, data);
			else if (pass == 1 && role == WIRE_HUMAN)
				write_content_blocks(w, json_object_get(data, "content"), 1);
		}
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

static void
write_messages(struct jw *w, const json_t *messages)
{
	JW_KEY(w, "messages");
	jw_arr_begin(w);
	size_t n = json_array_size(messages), from = 0;
	enum turn open = TURN_NONE;
	for (size_t i = 0; i < n; i++) {
		enum turn t = turn_of(json_array_get(messages, i));
		if (t == TURN_NONE || t == open)
			continue;
		if (open != TURN_NONE)
			write_turn(w, messages, from, i, open);
		open = t;
		from = i;
	}
	if (open != TURN_NONE)
		write_turn(w, messages, from, n, open);
	jw_arr_end(w);
}

/* Tools in Anthropic's shape; an entry with a "type" is a server tool
 * ({"type":"web_search_20250305","name":"web_search"}) and goes as it is. */
static void
write_tools(struct jw *w, const struct llm_request *req)
{
	if (json_array_size(req->tools) > 0) {
		JW_KEY(w, "tools");
		jw_arr_begin(w);
		size_t i;
		const json_t *tool;
		json_array_foreach(req->tools, i, tool) {
			if (json_object_get(tool, "type") != NULL) {
				jw_json(w, tool);
				continue;
			}
			jw_obj_begin(w);
			wire_tool_fields(w, tool, "input_schema");
			jw_obj_end(w);
		}
		jw_arr_end(w);
	}
	if (req->force_tool != NULL) {
		JW_KEY(w, "tool_choice");
		jw_obj_begin(w);
		jw_kstr(w, "type", "tool");
		jw_kstr(w, "name", req->force_tool);
		jw_obj_end(w);
	}
}

char *
wire_anthropic_body(const struct llm_request *req)
{
	const struct llm_settings *s = &req->settings;
	struct jw w;
	jw_init(&w);
	jw_obj_begin(&w);
	if (s->model != NULL)
		jw_kstr(&w, "model", s->model);
	jw_kint(&w, "max_tokens", s->max_tokens >= 0 ? s->max_tokens : LLM_ANTHROPIC_DEFAULT_MAX_TOKENS);
	char *system = wire_system_text(req);
	if (*system)
		jw_kstr(&w, "system", system);
	free(system);
	write_messages(&w, req->messages);
	write_tools(&w, req);
	wire_write_sampling(&w, s);
	if (req->stream)
		jw_kbool(&w, "stream", 1);
	jw_obj_end(&w);
	return jw_take(&w, NULL);
}

/* --- a whole answer ------------------------------------------------------------- */

/* Input tokens as billed: the uncached ones, and those written to and
 * read from the prompt cache (reported apart). */
long
wire_anthropic_input_tokens(const json_t *usage)
{
	return wire_usage_count(usage, "input_tokens") + wire_usage_count(usage, "cache_creation_input_tokens") +
	       wire_usage_count(usage, "cache_read_input_tokens");
}

int
wire_anthropic_reply(const json_t *root, struct llm_reply *out, char **err)
{
	const json_t *content = json_object_get(root, "content");
	if (!json_is_array(content)) {
		*err = xstrdup("the answer has no content");
		return -1;
	}
	struct strbuf text;
	strbuf_init(&text, 0);
	size_t i, calls = 0;
	const json_t *block;
	json_array_foreach(content, i, block) {
		if (is_type(block, "text")) {
			const json_t *t = json_object_get(block, "text");
			if (json_string_length(t) > 0) {
				if (text.len > 0)
					strbuf_putc(&text, '\n');
				strbuf_append(&text, json_string_value(t), json_string_length(t));
			}
		} else if (is_type(block, "tool_use")) {
			const char *name = json_string_value(json_object_get(block, "name"));
			const char *id = json_string_value(json_object_get(block, "id"));
			const json_t *input = json_object_get(block, "input");
			if (name == NULL) {
				*err = xstrdup("a tool call of the answer has no name");
				strbuf_free(&text);
				return -1;
			}
			if (input != NULL && !json_is_object(input)) {
				*err = wire_tool_error(
					"the arguments of the call to tool '%s' are not a JSON object",
					name);
				strbuf_free(&text);
				return -1;
			}
			char *fallback = id && *id ? NULL : wire_fallback_call_id(calls);
			wire_add_tool_call(out, fallback ? fallback : id, name,
					   input ? json_deep_copy(input) : json_object());
			free(fallback);
			calls++;
		}
	}
	free(out->text);
	out->text = strbuf_take(&text);
	wire_set_stop_reason(out->stop_reason, sizeof(out->stop_reason), json_string_value(json_object_get(root, "stop_reason")));
	const json_t *usage = json_object_get(root, "usage");
	if (json_is_object(usage)) {
		out->usage.input_tokens = wire_anthropic_input_tokens(usage);
		out->usage.output_tokens = wire_usage_count(usage, "output_tokens");
		out->usage.known = 1;
	}
	const char *id = json_string_value(json_object_get(root, "id"));
	if (id != NULL)
		out->id = xstrdup(id);
	return 0;
}
