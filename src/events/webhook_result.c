/* webhook_result.c: see webhook_result.h. */
#include "webhook_result.h"

#include <string.h>

#include "util/jsonw.h"

static int
is_sync_webhook(const json_t *node)
{
	const char *type = json_string_value(json_object_get(node, "component_type"));
	if (type == NULL || strcmp(type, "trigger_webhook") != 0)
		return 0;
	const json_t *extra = json_object_get(json_object_get(node, "config"), "extra_config");
	const char *mode = json_string_value(json_object_get(extra, "mode"));
	return mode != NULL && strcmp(mode, "sync") == 0;
}

static const json_t *
completed_output(const json_t *node, const json_t *data, const json_t *state)
{
	const json_t *extra = json_object_get(json_object_get(node, "config"), "extra_config");
	const char *respond_with = json_string_value(json_object_get(extra, "respond_with"));
	if (respond_with != NULL && *respond_with != '\0') {
		const json_t *v = json_object_get(json_object_get(state, "node_outputs"), respond_with);
		return v ? v : json_null();
	}
	const json_t *out = json_object_get(data, "output");
	/* A reply's {"output": ...}: the reply is the answer. */
	if (json_is_object(out) && json_object_size(out) == 1 && json_object_get(out, "output"))
		return json_object_get(out, "output");
	return out ? out : json_null();
}

char *
webhook_result_message(const json_t *trigger_node, const char *execution_id,
		       const char *event_type, const json_t *data, const json_t *state)
{
	int completed = strcmp(event_type, "execution_completed") == 0;
	if (!completed && strcmp(event_type, "execution_failed") != 0)
		return NULL;
	if (!is_sync_webhook(trigger_node))
		return NULL;
	json_t *msg;
	if (completed)
		msg = json_pack("{s:s, s:s, s:O}", "execution_id", execution_id, "status",
				"completed", "output", completed_output(trigger_node, data, state));
	else
		msg = json_pack("{s:s, s:s, s:O}", "execution_id", execution_id, "status", "failed",
				"error", json_object_get(data, "error") ? json_object_get(data, "error")
									: json_null());
	if (msg == NULL)
		return NULL;
	char *text = jw_dump(msg, NULL);
	json_decref(msg);
	return text;
}
