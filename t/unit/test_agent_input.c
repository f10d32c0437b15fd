/*
 * test_agent_input.c: what an agent starts from (nodes/agent_setup.c): its
 * input messages (template or state, the system prompt's fallback message,
 * tool messages left out without tools, ids that are the same on every
 * attempt) and trimming to a token budget (pipelit-engine.md 7.5).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "nodes/agent.h"

static json_t *
j(const char *text)
{
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
	if (v == NULL) {
		printf("Bail out! bad JSON in the test: %s\n", text);
		exit(1);
	}
	return v;
}

static const char *
type_at(const json_t *messages, size_t i)
{
	return json_string_value(json_object_get(json_array_get(messages, i), "type"));
}

static const char *
text_at(const json_t *messages, size_t i)
{
	return json_string_value(json_object_get(json_object_get(json_array_get(messages, i), "data"),
						 "content"));
}

static const char *
id_at(const json_t *messages, size_t i)
{
	return json_string_value(json_object_get(json_object_get(json_array_get(messages, i), "data"),
						 "id"));
}

static json_t *
human(const char *text)
{
	return json_pack("{s:s, s:{s:s}}", "type", "human", "data", "content", text);
}

static void
test_input(void)
{
	json_t *state = j("{\"messages\": ["
		"{\"type\":\"human\",\"data\":{\"content\":\"hi\"}},"
		"{\"type\":\"ai\",\"data\":{\"content\":\"\",\"tool_calls\":[{\"id\":\"c1\",\"name\":\"x\",\"args\":{}}]}},"
		"{\"type\":\"tool\",\"data\":{\"content\":\"42\",\"tool_call_id\":\"c1\"}},"
		"{\"type\":\"ai\",\"data\":{\"content\":\"done\",\"id\":\"a2\"}}]}");
	json_t *empty = json_object();
	struct node_ctx ctx = { .execution_id = "e1", .node_id = "agent", .state = state,
				.extra_config = empty, .workflow_id = 7 };
	json_t *in = agent_input_messages(&ctx, "Be brief.", 0);
	is_int(json_array_size(in), 3, "without tools: the fallback, the question and the answer");
	is_str(id_at(in, 0), "system_prompt_fallback", "the fallback message first, with its fixed id");
	ok(strstr(text_at(in, 0), "follow these for the entire conversation]\nBe brief.") != NULL,
	   "holding the prompt");
	is_str(text_at(in, 1), "hi", "then the human message");
	is_str(id_at(in, 1), "e1:msg:0", "given an id that every attempt gives it");
	is_str(id_at(in, 2), "a2", "a message's own id is kept");
	json_decref(in);

	in = agent_input_messages(&ctx, NULL, 1);
	is_int(json_array_size(in), 4, "with tools and no prompt: every message");
	is_str(type_at(in, 2), "tool", "tool results kept");
	json_decref(in);

	json_t *tmpl = j("{\"input_template\": \"Summarise: hi\"}");
	ctx.extra_config = tmpl;
	in = agent_input_messages(&ctx, NULL, 0);
	is_int(json_array_size(in), 1, "an input template is the whole input");
	is_str(text_at(in, 0), "Summarise: hi", "as one human message");
	is_str(id_at(in, 0), "e1:agent:0:input", "with an id of this run");
	json_decref(in);
	json_decref(tmpl);
	json_decref(empty);
	json_decref(state);
}

static void
test_trim(void)
{
	json_t *in = json_array();
	json_array_append_new(in, j("{\"type\":\"system\",\"data\":{\"content\":\"rules\"}}"));
	char big[401];
	memset(big, 'x', 400);
	big[400] = '\0';
	for (int i = 0; i < 5; i++) {
		json_array_append_new(in, human(big));                       /* ~104 tokens */
		json_array_append_new(in, j("{\"type\":\"ai\",\"data\":{\"content\":\"ok\"}}"));
	}
	json_t *all = agent_trim(in, 100000);
	is_int(json_array_size(all), 11, "everything fits a large budget");
	json_decref(all);

	json_t *some = agent_trim(in, 250);
	is_str(type_at(some, 0), "system", "the system message is always kept");
	is_str(type_at(some, 1), "human", "the kept span starts at a human message");
	is_int(json_array_size(some), 5, "the newest two exchanges fit 250 tokens");
	is_str(type_at(some, 4), "ai", "the newest message is last");
	json_decref(some);

	json_t *tiny = agent_trim(in, 10);
	ok(json_array_size(tiny) >= 2, "a budget smaller than any message still sends the newest");
	is_str(type_at(tiny, 0), "system", "with the system message");
	json_decref(tiny);
	json_decref(in);
}

int
main(void)
{
	test_input();
	test_trim();
	return done_testing();
}
