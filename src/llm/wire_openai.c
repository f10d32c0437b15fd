/*
 * wire_openai.c: OpenAI's chat completions (and every server that speaks
 * them): the request body from canonical messages, and a whole answer
 * read back (pipelit-engine.md 7.2).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "llm/wire_internal.h"
#include "util/xalloc.h"

static int
is_type(const json_t *block, const char *type)
{
	const char *t = json_string_value(json_object_get(block, "type"));
	return t != NULL && strcmp(t, type) == 0;
}

/* A user message's content: its text, or, when it carries images, its
 * text and image_url blocks (empty text blocks dropped). */
static void
write_user_content(struct jw *w, const json_t *content)
{
	int has_image = 0;
	size_t i;
	const json_t *block;
	json_array_foreach(content, i, block)
		if (is_type(block, "image_url"))
			has_image = 1;
	if (!has_image) {
		struct strbuf b;
		strbuf_init(&b, 0);
		wire_append_text(&b, content);
		jw_strn(w, b.data ? b.data : "", b.len);
		strbuf_free(&b);
		return;
	}
	jw_arr_begin(w);
	json_array_foreach(content, i, block) {
		const json_t *text = json_object_get(block, "text");
		if (is_type(block, "image_url")) {
			jw_json(w, block);
		} else if (is_type(block, "text") && json_string_length(text) > 0) {
			jw_obj_begin(w);
			jw_kstr(w, "type", "text");
			JW_KEY(w, "text");
			jw_strn(w, json_string_value(text), json_string_length(text));
			jw_obj_end(w);
		}
	}
	jw_arr_end(w);
}

/* A call's arguments as the JSON text OpenAI wants ("{}" when absent). */
static void
write_arguments(struct jw *w, const json_t *args)
{
	if (json_is_string(args)) {
		jw_strn(w, json_string_value(args), json_string_length(args));
	} else if (json_is_object(args)) {
		size_t n;
		char *text = jw_dump(args, &n);
		jw_strn(w, text, n);
		free(text);
	} else {
		jw_str(w, "{}");
	}
}

static void
write_assistant(struct jw *w, const json_t *data)
{
	const json_t *calls = wire_tool_calls_of(data);
	char *text = wire_content_text(data);
	jw_obj_begin(w);
	jw_kstr(w, "role", "assistant");
	if (*text == '\0' && json_array_size(calls) > 0)
		jw_knull(w, "content");
	else
		jw_kstr(w, "content", text);
	free(text);
	if (json_array_size(calls) > 0) {
		JW_KEY(w, "tool_calls");
		jw_arr_begin(w);
		size_t i;
		const json_t *call;
		json_array_foreach(calls, i, call) {
			jw_obj_begin(w);
			jw_kstr(w, "id", json_string_value(json_object_get(call, "id")));
			jw_kstr(w, "type", "function");
			JW_KEY(w, "function");
			jw_obj_begin(w);
			const char *name = json_string_value(json_object_get(call, "name"));
			jw_kstr(w, "name", name ? name : "");
			JW_KEY(w, "arguments");
			write_arguments(w, json_object_get(call, "args"));
			jw_obj_end(w);
			jw_obj_end(w);
		}
		jw_arr_end(w);
	}
	jw_obj_end(w);
}

static void
write_tool_result(struct jw *w, const json_t *data)
{
	const char *id = json_string_value(json_object_get(data, "tool_call_id"));
	char *text = wire_tool_result_text(data);
	jw_obj_begin(w);
	jw_kstr(w, "role", "tool");
	jw_kstr(w, "tool_call_id", id ? id : "");
	jw_kstr(w, "content", text);
	jw_obj_end(w);
	free(text);
}

static void
write_messages(struct jw *w, const struct llm_request *req)
{
	JW_KEY(w, "messages");
	jw_arr_begin(w);
	/* Every system text first, as one message: some servers' chat
	 * templates accept a single system message, and only at the start. */
	char *system = wire_system_text(req);
	if (*system) {
		jw_obj_begin(w);
		jw_kstr(w, "role", "system");
		jw_kstr(w, "content", system);
		jw_obj_end(w);
	}
	free(system);
	size_t i;
	const json_t *m;
	json_array_foreach(req->messages, i, m) {
		const json_t *data = wire_data_of(m);
		switch (wire_role_of(m)) {
		case WIRE_HUMAN:
			jw_obj_begin(w);
			jw_kstr(w, "role", "user");
			JW_KEY(w, "content");
			write_user_content(w, json_object_get(data, "content"));
			jw_obj_end(w);
			break;
		case WIRE_AI:
			write_assistant(w, data);
			break;
		case WIRE_TOOL:
			write_tool_result(w, data);
			break;
		case WIRE_SYSTEM:	/* folded into the first message */
		case WIRE_UNKNOWN:
			break;
		}
	}
	jw_arr_end(w);
}

/* Tools in OpenAI's shape; provider-side tools (an entry with a "type",
 * such as Anthropic's web search) have no equivalent and are left out. */
static void
write_tools(struct jw *w, const struct llm_request *req)
{
	size_t i, n = 0;
	const json_t *tool;
	json_array_foreach(req->tools, i, tool)
		if (json_object_get(tool, "type") == NULL)
			n++;
	if (n > 0) {
		JW_KEY(w, "tools");
		jw_arr_begin(w);
		json_array_foreach(req->tools, i, tool) {
			if (json_object_get(tool, "type") != NULL)
				continue;
			jw_obj_begin(w);
			jw_kstr(w, "type", "function");
			JW_KEY(w, "function");
			jw_obj_begin(w);
			wire_tool_fields(w, tool, "parameters");
			jw_obj_end(w);
			jw_obj_end(w);
		}
		jw_arr_end(w);
	}
	if (req->force_tool != NULL) {
		JW_KEY(w, "tool_choice");
		jw_obj_begin(w);
		jw_kstr(w, "type", "function");
		JW_KEY(w, "function");
		jw_obj_begin(w);
		jw_kstr(w, "name", req->force_tool);
		jw_obj_end(w);
		jw_obj_end(w);
	}
}

/* OpenAI's reasoning models refuse max_tokens and want
 * max_completion_tokens; other servers (and these models behind a router,
 * "openai/o3") take max_tokens. */
static int
takes_completion_tokens(const char *model)
{
	static const char *const prefixes[] = { "o1", "o3", "o4", "gpt-5", NULL };
	if (model == NULL)
		return 0;
	for (const char *const *p = prefixes; *p; p++) {
		size_t n = strlen(*p);
		if (strncmp(model, *p, n) == 0 && (model[n] == '\0' || model[n] == '-'))
			return 1;
	}
	return 0;
}

char *
wire_openai_body(const struct llm_request *req)
{
	const struct llm_settings *s = &req->settings;
	struct jw w;
	jw_init(&w);
	jw_obj_begin(&w);
	if (s->model != NULL)
		jw_kstr(&w, "model", s->model);
	write_messages(&w, req);
	write_tools(&w, req);
	wire_write_sampling(&w, s);
	if (s->max_tokens >= 0) {
		if (takes_completion_tokens(s->model))
			jw_kint(&w, "max_completion_tokens", s->max_tokens);
		else
			jw_kint(&w, "max_tokens", s->max_tokens);
	}
	if (!isnan(s->frequency_penalty))
		jw_kreal(&w, "frequency_penalty", s->frequency_penalty);
	if (!isnan(s->presence_penalty))
		jw_kreal(&w, "presence_penalty", s->presence_penalty);
	if (s->response_format != NULL)
		jw_kjson(&w, "response_format", s->response_format);
	jw_kbool(&w, "stream", req->stream);
	if (req->stream)
		JW_MEMBERS(&w, "\"stream_options\":{\"include_usage\":true}");
	jw_obj_end(&w);
	return jw_take(&w, NULL);
}

/* --- a whole answer ------------------------------------------------------------- */

static int
read_tool_calls(const json_t *calls, struct llm_reply *out, char **err)
{
	size_t i;
	const json_t *call;
	json_array_foreach(calls, i, call) {
		const json_t *fn = json_object_get(call, "function");
		const char *name = json_string_value(json_object_get(fn, "name"));
		const json_t *raw = json_object_get(fn, "arguments");
		json_t *args;
		if (name == NULL) {
			*err = xstrdup("a tool call of the answer has no function name");
			return -1;
		}
		if (raw == NULL || json_is_null(raw)) {
			args = json_object();
		} else if (json_is_string(raw)) {
			args = wire_parse_args(json_string_value(raw), json_string_length(raw), name,
					       err);
			if (args == NULL)
				return -1;
		} else if (json_is_object(raw)) {
			args = json_deep_copy(raw);	/* some servers send the object itself */
		} else {
			*err = wire_tool_error(
				"the arguments of the call to tool '%s' are not a JSON object", name);
			return -1;
		}
		const char *id = json_string_value(json_object_get(call, "id"));
		char *fallback = id && *id ? NULL : wire_fallback_call_id(i);
		wire_add_tool_call(out, fallback ? fallback : id, name, args);
		free(fallback);
	}
	return 0;
}

int
wire_openai_reply(const json_t *root, struct llm_reply *out, char **err)
{
	const json_t *choices = json_object_get(root, "choices");
	if (json_array_size(choices) == 0) {
		*err = xstrdup("the answer has no choices");
		return -1;
	}
	const json_t *choice = json_array_get(choices, 0);
	const json_t *message = json_object_get(choice, "message");
	if (!json_is_object(message)) {
		*err = xstrdup("the answer's choice has no message");
		return -1;
	}
	const json_t *content = json_object_get(message, "content");
	if (content != NULL && !json_is_null(content) && !json_is_string(content) &&
	    !json_is_array(content)) {
		*err = xstrdup("the answer's message content is neither text nor blocks");
		return -1;
	}
	free(out->text);
	out->text = wire_content_text(message);
	if (read_tool_calls(json_object_get(message, "tool_calls"), out, err) != 0)
		return -1;
	wire_set_stop_reason(out->stop_reason, sizeof(out->stop_reason), json_string_value(json_object_get(choice, "finish_reason")));
	const json_t *usage = json_object_get(root, "usage");
	if (json_is_integer(json_object_get(usage, "prompt_tokens"))) {
		out->usage.input_tokens = (long)json_integer_value(json_object_get(usage, "prompt_tokens"));
		out->usage.output_tokens =
			(long)json_integer_value(json_object_get(usage, "completion_tokens"));
		out->usage.known = 1;
	}
	const char *id = json_string_value(json_object_get(root, "id"));
	if (id != NULL)
		out->id = xstrdup(id);
	return 0;
}
