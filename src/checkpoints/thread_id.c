/*
 * thread_id.c: which thread of the conversation store an agent's
 * conversation belongs to (pipelit-engine.md 4.2 step 3).  Pure: reads the
 * execution state only.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "checkpoints/cstore.h"
#include "util/xalloc.h"

/* A state value as thread id text: a string as itself, an integer in
 * decimal; NULL for anything else (absent, null, empty). */
static char *
id_text(const json_t *v)
{
	if (json_is_string(v) && json_string_length(v) > 0)
		return xstrdup(json_string_value(v));
	/* 0 is how the state says "nobody" (execution_start.c). */
	if (json_is_integer(v) && json_integer_value(v) != 0)
		return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	return NULL;
}

char *
cstore_agent_thread_id(const json_t *state, int64_t workflow_id, const char *node_id)
{
	if (json_is_true(json_object_get(state, "_is_child_execution"))) {
		const char *eid = json_string_value(json_object_get(state, "execution_id"));
		return xasprintf("exec:%s:%s", eid ? eid : "", node_id ? node_id : "");
	}
	const json_t *ctx = json_object_get(state, "user_context");
	char *user = id_text(json_object_get(ctx, "user_profile_id"));
	char *chat = id_text(json_object_get(ctx, "chat_id"));
	if (chat == NULL)
		chat = id_text(json_object_get(ctx, "telegram_chat_id"));
	char *out = chat ? xasprintf("%s:%s:%" PRId64, user ? user : "anon", chat, workflow_id)
			 : xasprintf("%s:%" PRId64, user ? user : "anon", workflow_id);
	free(user);
	free(chat);
	return out;
}
