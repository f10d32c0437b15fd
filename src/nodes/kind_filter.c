/*
 * kind_filter.c: the filter node (pipelit-engine.md 4.5): keeps the items
 * of a list that pass every rule.
 *
 * The list is node_outputs[source_node], or state.output without a
 * source_node; with extra_config.field and a dict, its field.  Data that
 * is not a list comes back as it is (null as []).  A rule's field names
 * one key of a dict item; an item that is not a dict is itself the value.
 * An unknown operator is ignored (Pipelit's filter skips it).
 */
#include <stdlib.h>

#include "nodes/kind_util.h"
#include "nodes/kinds.h"
#include "nodes/rules.h"
#include "util/xalloc.h"

/* The rules, prepared once for all items. */
struct prepared {
	struct rule rule;
	struct op_test test;
};

static const json_t *
source_data(const struct node_ctx *ctx)
{
	const char *source = cfg_str(ctx->extra_config, "source_node", "");
	const json_t *data = source[0] == '\0' ? json_object_get(ctx->state, "output")
					       : json_object_get(state_node_outputs(ctx->state), source);
	const char *field = cfg_str(ctx->extra_config, "field", "");
	if (field[0] != '\0' && json_is_object(data))
		data = json_object_get(data, field);
	return data;
}

/* 1 kept, 0 dropped, -1 failed (the node failed). */
static int
item_passes(struct node_ctx *ctx, struct prepared *p, size_t n, const json_t *item)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i].rule.op == NULL)
			continue;
		const json_t *fv = json_is_object(item) ? json_object_get(item, p[i].rule.field) : item;
		struct op_error err;
		int m = op_test_run(&p[i].test, fv, &err);
		if (m < 0) {
			kind_fail_op(ctx, &err);
			return -1;
		}
		if (!m)
			return 0; /* the first failing rule decides, as in Pipelit */
	}
	return 1;
}

static enum step
filter_run(struct node_ctx *ctx)
{
	const json_t *rules;
	if (rules_get(ctx, &rules) != 0)
		return STEP_FAILED;
	const json_t *data = source_data(ctx);
	if (!json_is_array(data)) {
		json_t *as_is = data && !json_is_null(data) ? json_incref((json_t *)data) : json_array();
		return kind_done(ctx, json_pack("{s:o}", "filtered", as_is));
	}
	size_t n = json_array_size(rules);
	struct prepared *p = xcalloc(n ? n : 1, sizeof(*p));
	size_t ready = 0;
	json_t *kept = NULL;
	for (; ready < n; ready++) {
		if (rule_read(ctx, json_array_get(rules, ready), ready, &p[ready].rule) != 0)
			goto out;
		op_test_init(&p[ready].test, p[ready].rule.op, p[ready].rule.value);
	}
	kept = json_array();
	size_t i;
	const json_t *item;
	json_array_foreach(data, i, item) {
		int keep = item_passes(ctx, p, n, item);
		if (keep < 0) {
			json_decref(kept);
			kept = NULL;
			goto out;
		}
		if (keep)
			json_array_append(kept, (json_t *)item);
	}
out:
	for (size_t k = 0; k < ready; k++)
		op_test_release(&p[k].test);
	free(p);
	if (kept == NULL)
		return STEP_FAILED;
	return kind_done(ctx, json_pack("{s:o}", "filtered", kept));
}

static int
filter_check(const json_t *extra, char **msg)
{
	if (rules_check(extra, 0, msg) != 0 || check_string(extra, "source_node", msg) != 0)
		return -1;
	return check_string(extra, "field", msg);
}

const struct node_kind node_kind_filter = {
	.name = "filter",
	.check_config = filter_check,
	.run = filter_run,
	.runs_inline = 1,
};
