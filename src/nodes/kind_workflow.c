/*
 * kind_workflow.c: the workflow (subworkflow) node (pipelit-engine.md 4.5,
 * engine side 2.9): runs another workflow as a child execution and gives
 * its final output.
 *
 * First run: declares the child in _subworkflow = {workflow: the target's
 * slug, trigger_mode, trigger_node_id, payload}; the engine starts it in
 * the node's completion transaction and runs the node again with
 * ctx->resume = {child_execution_id, status, output | error} once the
 * child ended.  trigger_mode "implicit" (the default) starts the child
 * with no trigger node; "explicit" through a trigger_workflow node of the
 * target (trigger_node_id from extra_config.trigger_node_id, else null:
 * the engine takes the first by priority), with source_workflow added to
 * the payload as Pipelit did.
 *
 * The payload is {text: trigger.text, payload: {trigger, node_outputs}},
 * or with input_mapping {child_key: "dotted.state.path", ...} each key's
 * value at its path (null when missing).
 *
 * A child that failed (or was cancelled) does not fail this node: its
 * output is {"_error": "Child execution failed: <message>"}.
 */
#include <stdlib.h>
#include <string.h>

#include "nodes/kind_util.h"
#include "nodes/kinds.h"
#include "nodes/state_path.h"
#include "util/xalloc.h"

static json_t *
implicit_payload(const json_t *state)
{
	const json_t *trigger = json_object_get(state, "trigger");
	const json_t *outputs = json_object_get(state, "node_outputs");
	const json_t *text = json_object_get(trigger, "text");
	return json_pack("{s:o, s:{s:o, s:o}}", "text",
			 text ? json_incref((json_t *)text) : json_string(""), "payload", "trigger",
			 trigger ? json_deep_copy(trigger) : json_object(), "node_outputs",
			 outputs ? json_deep_copy(outputs) : json_object());
}

static json_t *
mapped_payload(const json_t *state, const json_t *mapping)
{
	json_t *payload = json_object();
	const char *key;
	const json_t *path;
	json_object_foreach((json_t *)mapping, key, path) {
		const json_t *v = state_path_get(state, json_string_value(path));
		json_object_set_new(payload, key, v ? json_deep_copy(v) : json_null());
	}
	return payload;
}

static enum step
child_finished(struct node_ctx *ctx)
{
	const char *status = json_string_value(json_object_get(ctx->resume, "status"));
	if (status != NULL && strcmp(status, "completed") == 0) {
		const json_t *output = json_object_get(ctx->resume, "output");
		return kind_done(ctx, json_pack("{s:O}", "output",
						 output ? (json_t *)output : json_null()));
	}
	const char *error = json_string_value(json_object_get(ctx->resume, "error"));
	char *msg = error ? NULL
			  : xasprintf("the child execution ended %s", status ? status : "without a status");
	json_t *result = json_pack("{s:{s:s+}}", "output", "_error", "Child execution failed: ",
				   error ? error : msg);
	free(msg);
	return kind_done(ctx, result);
}

static enum step
workflow_run(struct node_ctx *ctx)
{
	if (ctx->resume != NULL)
		return child_finished(ctx);
	const char *target = cfg_str(ctx->extra_config, "target_workflow", "");
	if (target[0] == '\0')
		return kind_bad_config(ctx, "target_workflow (the slug of the workflow to run) is missing");
	const char *mode = cfg_str(ctx->extra_config, "trigger_mode", "implicit");
	int explicit = strcmp(mode, "explicit") == 0;
	if (!explicit && strcmp(mode, "implicit") != 0)
		return kind_bad_config(ctx, "trigger_mode must be implicit or explicit");
	const json_t *mapping = cfg_get(ctx->extra_config, "input_mapping");
	if (mapping != NULL && !json_is_object(mapping))
		return kind_bad_config(ctx, "input_mapping must be an object of state paths");
	json_t *payload = json_object_size(mapping) > 0 ? mapped_payload(ctx->state, mapping)
							: implicit_payload(ctx->state);
	const json_t *trigger_id = NULL;
	if (explicit) {
		json_object_set_new(payload, "source_workflow", json_string(target));
		trigger_id = cfg_get(ctx->extra_config, "trigger_node_id");
	}
	return kind_done(ctx, json_pack("{s:{s:s, s:s, s:O, s:o}}", "_subworkflow", "workflow", target,
					"trigger_mode", explicit ? "explicit" : "implicit",
					"trigger_node_id",
					json_is_string(trigger_id) ? (json_t *)trigger_id : json_null(),
					"payload", payload));
}

static int
workflow_check(const json_t *extra, char **msg)
{
	static const char *const modes[] = { "implicit", "explicit", NULL };
	const json_t *target = cfg_get(extra, "target_workflow");
	if (!json_is_string(target) || json_string_length(target) == 0)
		return check_fail(msg, "target_workflow (the slug of the workflow to run) is required");
	if (check_choice(extra, "trigger_mode", modes, msg) != 0 ||
	    check_string(extra, "trigger_node_id", msg) != 0)
		return -1;
	const json_t *mapping = cfg_get(extra, "input_mapping");
	if (mapping == NULL)
		return 0;
	if (!json_is_object(mapping))
		return check_fail(msg, "input_mapping must be an object {child_key: \"state.path\"}");
	const char *key;
	const json_t *path;
	json_object_foreach((json_t *)mapping, key, path)
		if (!json_is_string(path))
			return check_fail(msg, "input_mapping.%.100s must be a state path (a string)", key);
	return 0;
}

const struct node_kind node_kind_workflow = {
	.name = "workflow",
	.check_config = workflow_check,
	.run = workflow_run,
};
