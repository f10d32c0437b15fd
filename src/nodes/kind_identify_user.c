/*
 * kind_identify_user.c: the identify_user node (pipelit-engine.md 4.5):
 * finds or creates the memory user of whoever started the execution and
 * loads their context.
 *
 * Inputs: trigger_input and channel from any node output that has them
 * (the last one wins), else state.trigger and a channel inferred from it
 * (message.from: telegram, webhook_id: webhook, source manual or chat).
 * The memory store is the engine's (ctx->services); a failure there fails
 * the node, so the engine's retries get a chance (Pipelit swallowed it
 * and went on with an anonymous context).
 *
 * The state patch merges into state.user_context instead of replacing it
 * (Pipelit dropped user_profile_id and chat_id there, so a memory agent
 * downstream lost the conversation's thread).
 */
#include <stdlib.h>
#include <string.h>

#include "expr/pystr.h"
#include "expr/value.h"
#include "nodes/kind_util.h"
#include "nodes/kinds.h"
#include "util/xalloc.h"

/* Who is talking, as read from the inputs; strings malloc'd. */
struct who {
	char *channel;
	char *id;            /* "" when the channel gives none */
	char *display_name;  /* NULL when unknown */
};

/* str() of v, or NULL when v is missing or null. */
static char *
text_of(const json_t *v)
{
	if (v == NULL || json_is_null(v))
		return NULL;
	return json_is_string(v) ? xstrdup(json_string_value(v)) : py_str(v);
}

/* Python's "a.get(k) or default": the value when truthy, else default. */
static char *
truthy_or(const json_t *obj, const char *key, const char *def)
{
	const json_t *v = json_object_get(obj, key);
	if (value_truthy(v))
		return text_of(v);
	return def ? xstrdup(def) : NULL;
}

static char *
infer_channel(const json_t *input)
{
	const json_t *message = json_object_get(input, "message");
	const char *source = json_string_value(json_object_get(input, "source"));
	if (json_is_object(message) && json_object_get(message, "from") != NULL)
		return xstrdup("telegram");
	if (json_object_get(input, "webhook_id") != NULL)
		return xstrdup("webhook");
	if (source != NULL && (strcmp(source, "manual") == 0 || strcmp(source, "chat") == 0))
		return xstrdup(source);
	return xstrdup("unknown");
}

static void
read_who(const json_t *state, struct who *w)
{
	const json_t *input = json_object_get(state, "trigger");
	const json_t *channel = NULL;
	const char *id;
	const json_t *out;
	json_object_foreach((json_t *)state_node_outputs(state), id, out) {
		if (!json_is_object(out))
			continue;
		if (json_object_get(out, "trigger_input") != NULL)
			input = json_object_get(out, "trigger_input");
		if (json_object_get(out, "channel") != NULL)
			channel = json_object_get(out, "channel");
	}
	if (!json_is_object(input))
		input = NULL;
	w->channel = text_of(channel);
	if (w->channel == NULL || strcmp(w->channel, "unknown") == 0) {
		free(w->channel);
		w->channel = infer_channel(input);
	}
	if (strcmp(w->channel, "telegram") == 0) {
		const json_t *from = json_object_get(json_object_get(input, "message"), "from");
		const json_t *uid = json_object_get(from, "id");
		w->id = uid ? text_of(uid) : NULL;
		if (w->id == NULL)
			w->id = xstrdup("");
		char *first = text_of(json_object_get(from, "first_name"));
		char *last = truthy_or(from, "last_name", NULL);
		w->display_name = last ? xasprintf("%s %s", first ? first : "", last)
				       : xstrdup(first ? first : "");
		free(first);
		free(last);
	} else if (strcmp(w->channel, "webhook") == 0) {
		w->id = truthy_or(input, "user_id", NULL);
		if (w->id == NULL)
			w->id = truthy_or(input, "email", "anonymous");
		w->display_name = truthy_or(input, "user_name", NULL);
		if (w->display_name == NULL)
			w->display_name = truthy_or(input, "name", NULL);
	} else if (strcmp(w->channel, "manual") == 0 || strcmp(w->channel, "chat") == 0) {
		w->id = truthy_or(input, "user_id", "manual_user");
		w->display_name = truthy_or(input, "user_name", "Manual User");
	} else {
		w->id = truthy_or(input, "user_id", "unknown");
		w->display_name = truthy_or(input, "user_name", NULL);
	}
}

static void
who_free(struct who *w)
{
	free(w->channel);
	free(w->id);
	free(w->display_name);
}

/* state.user_context (a copy), updated with the keys of add. */
static json_t *
merged_user_context(const json_t *state, json_t *add)
{
	const json_t *current = json_object_get(state, "user_context");
	json_t *merged = json_is_object(current) ? json_deep_copy(current) : json_object();
	json_object_update(merged, add);
	json_decref(add);
	return merged;
}

static enum step
identify_run(struct node_ctx *ctx)
{
	if (ctx->services == NULL || ctx->services->memory_user_identify == NULL)
		return node_fail(ctx, "no_memory_service",
				 "identify_user needs the memory store, which this engine does not offer");
	struct who w = { 0 };
	read_who(ctx->state, &w);
	if (w.id[0] == '\0') {
		/* The channel names nobody: an anonymous, new user. */
		json_t *result = json_pack(
			"{s:n, s:{s:b, s:[], s:[]}, s:b, s:{s:o}}", "user_id", "user_context", "is_new",
			1, "facts", "history", "is_new_user", 1, "_state_patch", "user_context",
			merged_user_context(ctx->state,
					    json_pack("{s:b, s:s}", "is_new", 1, "channel", w.channel)));
		who_free(&w);
		return kind_done(ctx, result);
	}
	char *err = NULL;
	json_t *context = ctx->services->memory_user_identify(ctx->services->arg, w.channel, w.id,
							       w.display_name, &err);
	if (context == NULL) {
		node_fail(ctx, "memory_error", "identify_user: %s", err ? err : "the memory store failed");
		free(err);
		who_free(&w);
		return STEP_FAILED;
	}
	const json_t *user_id = json_object_get(context, "user_id");
	json_t *patch = json_deep_copy(context);
	json_object_set(patch, "canonical_id", user_id ? (json_t *)user_id : json_null());
	if (w.display_name != NULL)
		json_object_set_new(patch, "display_name", json_string(w.display_name));
	json_object_set_new(patch, "channel", json_string(w.channel));
	json_t *result = json_pack("{s:O, s:o, s:b, s:{s:o}}", "user_id",
				   user_id ? (json_t *)user_id : json_null(), "user_context", context,
				   "is_new_user", json_is_true(json_object_get(context, "is_new")),
				   "_state_patch", "user_context", merged_user_context(ctx->state, patch));
	who_free(&w);
	return kind_done(ctx, result);
}

const struct node_kind node_kind_identify_user = {
	.name = "identify_user",
	.run = identify_run,
};
