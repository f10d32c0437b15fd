/* agent_setup.c: the agent's model, tools and input (agent.h). */
#include "nodes/agent.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm/pricing.h"
#include "nodes/agent_summary.h"
#include "nodes/tools.h"
#include "util/xalloc.h"

static int
has_text(const char *s)
{
	return s != NULL && *s != '\0';
}

/* The node of the snapshot with node_id, or NULL. */
static const json_t *
snapshot_node(const json_t *snapshot, const char *node_id)
{
	size_t i;
	const json_t *n;
	json_array_foreach(json_object_get(snapshot, "nodes"), i, n) {
		const char *id = json_string_value(json_object_get(n, "node_id"));
		if (id && strcmp(id, node_id) == 0)
			return n;
	}
	return NULL;
}

static double
number_or_nan(const json_t *config, const char *key)
{
	const json_t *v = json_object_get(config, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A whole number of config, or def when it is not one that fits. */
static long
long_or(const json_t *config, const char *key, long def)
{
	const json_t *v = json_object_get(config, key);
	if (json_is_integer(v))
		return (long)json_integer_value(v);
	double d = json_is_real(v) ? json_real_value(v) : NAN;
	return isfinite(d) && d >= -1e15 && d <= 1e15 ? (long)d : def;
}

static const json_t *
extra_of(const json_t *node)
{
	static json_t *empty;
	const json_t *extra = json_object_get(json_object_get(node, "config"), "extra_config");
	if (json_is_object(extra))
		return extra;
	if (empty == NULL)
		empty = json_object();      /* never freed: one per process, read-only */
	return empty;
}

int
agent_setup_read(struct node_ctx *ctx, struct agent_setup *out)
{
	memset(out, 0, sizeof *out);
	llm_settings_init(&out->settings);
	out->max_retries = 2;
	out->timeout_ms = 600000;
	out->max_steps = AGENT_MAX_STEPS_DEFAULT;
	out->streaming = 1;

	/* The model: the source of the "llm" edge into this node. */
	const json_t *model = NULL;
	size_t i;
	const json_t *edge;
	json_array_foreach(json_object_get(ctx->snapshot, "edges"), i, edge) {
		const char *label = json_string_value(json_object_get(edge, "edge_label"));
		const char *target = json_string_value(json_object_get(edge, "target_node_id"));
		const char *source = json_string_value(json_object_get(edge, "source_node_id"));
		if (!label || !target || !source || strcmp(target, ctx->node_id) != 0)
			continue;
		const json_t *src = snapshot_node(ctx->snapshot, source);
		if (src == NULL)
			continue;
		if (strcmp(label, "llm") == 0) {
			model = src;
		} else if (strcmp(label, "tool") == 0 || strcmp(label, "memory") == 0) {
			const char *type = json_string_value(json_object_get(src, "component_type"));
			json_t *def = type ? tool_definition(type, extra_of(src)) : NULL;
			if (def == NULL)
				continue;            /* not a tool this engine can run */
			/* Two tools of one kind: the second is "<name>_2", and so on,
			 * so the model can tell them apart. */
			const char *given = json_string_value(json_object_get(def, "name"));
			char *base = xstrdup(given ? given : "tool");
			for (int k = 2; agent_tool_named(out, json_string_value(
						json_object_get(def, "name"))); k++) {
				char *name = xasprintf("%.50s_%d", base, k);
				json_object_set_new(def, "name", json_string(name));
				free(name);
			}
			free(base);
			out->tools = xrealloc(out->tools, (out->n_tools + 1) * sizeof *out->tools);
			out->tools[out->n_tools++] = (struct agent_tool){
				.node_id = source, .type = type, .node = src,
				.extra_config = extra_of(src), .definition = def,
				.name = json_string_value(json_object_get(def, "name")),
			};
		}
	}
	if (model == NULL) {
		node_fail(ctx, "no_model", "the agent has no model: connect an AI Model node to its "
			  "model handle");
		ctx->no_retry = 1;
		return -1;
	}
	const json_t *mc = json_object_get(model, "config");
	out->settings.model = json_string_value(json_object_get(mc, "model_name"));
	if (!has_text(out->settings.model)) {
		node_fail(ctx, "no_model", "the AI Model node %s names no model",
			  json_string_value(json_object_get(model, "node_id")));
		ctx->no_retry = 1;
		return -1;
	}
	out->settings.temperature = number_or_nan(mc, "temperature");
	out->settings.top_p = number_or_nan(mc, "top_p");
	out->settings.frequency_penalty = number_or_nan(mc, "frequency_penalty");
	out->settings.presence_penalty = number_or_nan(mc, "presence_penalty");
	out->settings.max_tokens = long_or(mc, "max_tokens", -1);
	const json_t *rf = json_object_get(mc, "response_format");
	out->settings.response_format = json_is_object(rf) ? rf : NULL;
	out->max_retries = (int)long_or(mc, "max_retries", 2);
	if (out->max_retries < 0 || out->max_retries > 10)
		out->max_retries = 2;
	long timeout = long_or(mc, "timeout", 600);
	out->timeout_ms = (timeout > 0 && timeout <= 3600 ? timeout : 600) * 1000;

	json_int_t cred_id = json_integer_value(json_object_get(mc, "llm_credential_id"));
	if (cred_id <= 0) {
		node_fail(ctx, "no_credential", "the AI Model node has no LLM credential");
		ctx->no_retry = 1;
		return -1;
	}
	char *err = NULL;
	out->credential = ctx->services->credential_detail(ctx->services->arg, ctx, cred_id, "llm",
							   &err);
	if (out->credential == NULL) {
		node_fail(ctx, "no_credential", "the model's credential cannot be used: %s",
			  err ? err : "not found");
		free(err);
		ctx->no_retry = 1;
		return -1;
	}
	const json_t *d = out->credential;
	out->provider.provider_type = json_string_value(json_object_get(d, "provider_type"));
	out->provider.api_key = json_string_value(json_object_get(d, "api_key"));
	out->provider.base_url = json_string_value(json_object_get(d, "base_url"));
	out->provider.organization_id = json_string_value(json_object_get(d, "organization_id"));
	json_t *headers = json_object_get(d, "custom_headers");
	out->provider.custom_headers = json_is_object(headers) ? headers : NULL;
	if (out->provider.provider_type && strcmp(out->provider.provider_type, "glm") == 0) {
		/* GLM's endpoint takes none of these (pipelit-engine.md 7.1). */
		out->settings.frequency_penalty = NAN;
		out->settings.presence_penalty = NAN;
		out->settings.response_format = NULL;
	}

	if (out->n_tools > 0) {
		out->tool_definitions = json_array();
		for (size_t k = 0; k < out->n_tools; k++)
			json_array_append(out->tool_definitions, out->tools[k].definition);
	}
	const json_t *extra = ctx->extra_config;
	out->max_steps = (int)long_or(extra, "max_steps", AGENT_MAX_STEPS_DEFAULT);
	if (out->max_steps < 1 || out->max_steps > 1000)
		out->max_steps = AGENT_MAX_STEPS_DEFAULT;
	const json_t *stream = json_object_get(extra, "stream");
	if (json_is_boolean(stream))
		out->streaming = json_is_true(stream);
	struct model_price price;
	/* The table's window whether or not the model is priced (its default
	 * is 128000, pipelit-engine.md 7.5). */
	pricing_lookup(out->settings.model, &price);
	out->context_window = price.context_window;
	long window = long_or(extra, "context_window", 0);
	if (window > 0)
		out->context_window = window;
	const char *compacting = json_string_value(json_object_get(extra, "compacting"));
	out->summarize = compacting && strcmp(compacting, "summarize") == 0;
	out->compacting_trigger = (int)long_or(extra, "compacting_trigger",
					       AGENT_COMPACTING_TRIGGER_DEFAULT);
	if (out->compacting_trigger < 1 || out->compacting_trigger > 100)
		out->compacting_trigger = AGENT_COMPACTING_TRIGGER_DEFAULT;
	out->compacting_keep = (int)long_or(extra, "compacting_keep", AGENT_COMPACTING_KEEP_DEFAULT);
	if (out->compacting_keep < 0 || out->compacting_keep > 10000)
		out->compacting_keep = AGENT_COMPACTING_KEEP_DEFAULT;
	return 0;
}

void
agent_setup_clear(struct agent_setup *s)
{
	for (size_t i = 0; i < s->n_tools; i++)
		json_decref(s->tools[i].definition);
	free(s->tools);
	json_decref(s->tool_definitions);
	json_decref(s->credential);
	memset(s, 0, sizeof *s);
}

const struct agent_tool *
agent_tool_named(const struct agent_setup *s, const char *name)
{
	for (size_t i = 0; name && i < s->n_tools; i++)
		if (s->tools[i].name && strcmp(s->tools[i].name, name) == 0)
			return &s->tools[i];
	return NULL;
}

/* --- input ------------------------------------------------------------------ */

static const char *
type_of(const json_t *m)
{
	const char *t = json_string_value(json_object_get(m, "type"));
	return t ? t : "";
}

static int
carries_tool_calls(const json_t *m)
{
	return json_array_size(json_object_get(json_object_get(m, "data"), "tool_calls")) > 0;
}

static json_t *
human(const char *text, const char *id)
{
	return json_pack("{s:s, s:{s:s, s:s, s:{}}}", "type", "human", "data", "content", text,
			 "id", id, "additional_kwargs");
}

json_t *
agent_input_messages(const struct node_ctx *ctx, const char *system_prompt, int has_tools)
{
	json_t *out = json_array();
	if (has_text(system_prompt)) {
		char *text = xasprintf("[System instructions \xe2\x80\x94 follow these for the entire "
				       "conversation]\n%s", system_prompt);
		json_array_append_new(out, human(text, "system_prompt_fallback"));
		free(text);
	}
	const char *tmpl = json_string_value(json_object_get(ctx->extra_config, "input_template"));
	if (has_text(tmpl)) {
		char *id = xasprintf("%s:%s:%lld:input", ctx->execution_id, ctx->node_id,
				     (long long)ctx->job_id);
		json_array_append_new(out, human(tmpl, id));
		free(id);
		return out;
	}
	size_t i;
	const json_t *m;
	json_array_foreach(json_object_get(ctx->state, "messages"), i, m) {
		const char *type = type_of(m);
		if (!has_tools && (strcmp(type, "tool") == 0 ||
				   (strcmp(type, "ai") == 0 && carries_tool_calls(m))))
			continue;
		json_t *copy = json_deep_copy(m);
		json_t *data = json_object_get(copy, "data");
		/* The memory thread dedupes by id: a message without one gets
		 * one that is the same on every attempt of this execution. */
		if (json_is_object(data) && !json_is_string(json_object_get(data, "id"))) {
			char *id = xasprintf("%s:msg:%zu", ctx->execution_id, i);
			json_object_set_new(data, "id", json_string(id));
			free(id);
		}
		json_array_append_new(out, copy);
	}
	return out;
}

/* --- trimming ---------------------------------------------------------------- */

#define TOKENS_PER_MESSAGE 4

/* About four ASCII characters a token, and a token for each other
 * character (CJK text is about one token a character: counting its three
 * bytes as three quarters of a token would reserve too little). */
long
agent_text_tokens(const char *text)
{
	long ascii = 0, other = 0;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p < 0x80)
			ascii++;
		else if ((*p & 0xC0) != 0x80)
			other++;
	}
	return (ascii + 3) / 4 + other;
}

long
agent_message_tokens(const json_t *m)
{
	char *text = llm_message_text(m);
	long n = agent_text_tokens(text) + TOKENS_PER_MESSAGE;
	free(text);
	const json_t *calls = json_object_get(json_object_get(m, "data"), "tool_calls");
	if (json_array_size(calls) > 0) {
		char *dump = json_dumps(calls, JSON_COMPACT);
		n += dump ? (long)strlen(dump) / 4 : 0;
		free(dump);
	}
	return n;
}

long
agent_estimate_tokens(const json_t *messages, const char *system, const json_t *tools)
{
	long n = system ? agent_text_tokens(system) + TOKENS_PER_MESSAGE : 0;
	size_t i;
	const json_t *m;
	json_array_foreach(messages, i, m)
		n += agent_message_tokens(m);
	if (tools) {
		char *dump = json_dumps(tools, JSON_COMPACT);
		n += dump ? (long)strlen(dump) / 4 : 0;
		free(dump);
	}
	return n;
}

/* A message kept whatever the budget: a system message (a summary too)
 * and the system prompt's fallback. */
static int
always_kept(const json_t *m)
{
	const char *id = json_string_value(json_object_get(json_object_get(m, "data"), "id"));
	return strcmp(type_of(m), "system") == 0 || (id && strcmp(id, "system_prompt_fallback") == 0);
}

void
agent_trim_keep(const json_t *input, long budget_tokens, unsigned char *keep)
{
	size_t n = json_array_size(input);
	long used = 0;
	size_t first = n;               /* the kept span is [first, n) */
	size_t i;
	const json_t *m;
	/* What is kept anyway takes its share of the budget first. */
	json_array_foreach(input, i, m)
		if (always_kept(m))
			used += agent_message_tokens(m);
	for (size_t k = n; k > 0; k--) {
		m = json_array_get(input, k - 1);
		if (always_kept(m))
			continue;
		long t = agent_message_tokens(m);
		if (used + t > budget_tokens && first < n)
			break;
		used += t;
		first = k - 1;
	}
	/* Start at a human message: a tool result without its call, or an
	 * answer without its question, confuses a model. */
	while (first < n && strcmp(type_of(json_array_get(input, first)), "human") != 0)
		first++;
	if (first == n && n > 0)
		first = n - 1;               /* nothing human fits: the newest message alone */
	for (size_t k = 0; k < n; k++)
		keep[k] = k >= first || always_kept(json_array_get(input, k));
}

json_t *
agent_trim(const json_t *input, long budget_tokens)
{
	size_t n = json_array_size(input);
	unsigned char *keep = xcalloc(n ? n : 1, 1);
	agent_trim_keep(input, budget_tokens, keep);
	json_t *out = json_array();
	for (size_t k = 0; k < n; k++)
		if (keep[k])
			json_array_append(out, json_array_get(input, k));
	free(keep);
	return out;
}
