/*
 * kind_merge.c: the merge node (pipelit-engine.md 4.5), the fan-in point
 * of branches.
 *
 * Sources: the outputs of extra_config.source_nodes that have one, in the
 * listed order; without source_nodes, every node output in insertion
 * order (the trigger's too).  "append" (the default, also the legacy
 * "concat") flattens lists one level and appends anything else; "combine"
 * merges dicts, later keys winning, and puts any other output under its
 * source node's id (Pipelit keyed it by a memory address, different on
 * every run).
 */
#include <string.h>

#include "nodes/kind_util.h"
#include "nodes/kinds.h"

static void
add(json_t *merged, int combine, const char *source, json_t *out)
{
	if (!combine) {
		if (json_is_array(out))
			json_array_extend(merged, out);
		else
			json_array_append(merged, out);
	} else if (json_is_object(out)) {
		json_object_update(merged, out);
	} else {
		json_object_set(merged, source, out);
	}
}

static enum step
merge_run(struct node_ctx *ctx)
{
	const char *mode = cfg_str(ctx->extra_config, "mode", "append");
	int combine = strcmp(mode, "combine") == 0;
	if (!combine && strcmp(mode, "append") != 0 && strcmp(mode, "concat") != 0)
		return kind_bad_config(ctx, "unknown merge mode '%.100s'", mode);
	const json_t *sources = cfg_get(ctx->extra_config, "source_nodes");
	if (sources != NULL && !json_is_array(sources))
		return kind_bad_config(ctx, "source_nodes must be a list of node ids");
	const json_t *outputs = state_node_outputs(ctx->state);
	json_t *merged = combine ? json_object() : json_array();
	if (json_array_size(sources) > 0) {
		size_t i;
		const json_t *s;
		json_array_foreach(sources, i, s) {
			json_t *out = json_object_get(outputs, json_string_value(s));
			if (out != NULL)
				add(merged, combine, json_string_value(s), out);
		}
	} else {
		const char *id;
		json_t *out;
		json_object_foreach((json_t *)outputs, id, out)
			add(merged, combine, id, out);
	}
	return kind_done(ctx, json_pack("{s:o}", "merged", merged));
}

static int
merge_check(const json_t *extra, char **msg)
{
	static const char *const modes[] = { "append", "combine", "concat", NULL };
	if (check_choice(extra, "mode", modes, msg) != 0)
		return -1;
	const json_t *sources = cfg_get(extra, "source_nodes");
	if (sources == NULL)
		return 0;
	if (!json_is_array(sources))
		return check_fail(msg, "source_nodes must be a list of node ids");
	size_t i;
	const json_t *s;
	json_array_foreach(sources, i, s)
		if (!json_is_string(s))
			return check_fail(msg, "source_nodes must be a list of node ids");
	return 0;
}

const struct node_kind node_kind_merge = {
	.name = "merge",
	.check_config = merge_check,
	.run = merge_run,
	.runs_inline = 1,
};
