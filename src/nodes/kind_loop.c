/*
 * kind_loop.c: the loop node (pipelit-engine.md 4.5, engine side 2.8):
 * declares the items its body runs over.
 *
 * Items: node_outputs[source_node][field], or the whole output without a
 * field; a value that is not a list becomes [value], a missing one []
 * (Pipelit made a missing source [{}]: one iteration over nothing).
 */
#include "nodes/kind_util.h"
#include "nodes/kinds.h"

static enum step
loop_run(struct node_ctx *ctx)
{
	const char *source = cfg_str(ctx->extra_config, "source_node", "");
	const char *field = cfg_str(ctx->extra_config, "field", "");
	const json_t *data = NULL;
	if (source[0] != '\0') {
		data = json_object_get(state_node_outputs(ctx->state), source);
		if (field[0] != '\0' && json_is_object(data))
			data = json_object_get(data, field);
	}
	json_t *items;
	if (json_is_array(data))
		items = json_deep_copy(data);
	else if (data == NULL || json_is_null(data))
		items = json_array();
	else
		items = json_pack("[O]", (json_t *)data);
	/* The engine keeps _loop's list apart from the port's: no sharing. */
	return kind_done(ctx, json_pack("{s:{s:o}, s:o, s:[]}", "_loop", "items",
					json_deep_copy(items), "items", items, "results"));
}

static int
loop_check(const json_t *extra, char **msg)
{
	static const char *const on_error[] = { "stop", "continue", NULL };
	if (check_string(extra, "source_node", msg) != 0 || check_string(extra, "field", msg) != 0)
		return -1;
	return check_choice(extra, "on_error", on_error, msg);
}

const struct node_kind node_kind_loop = {
	.name = "loop",
	.check_config = loop_check,
	.run = loop_run,
	.runs_inline = 1,
};
