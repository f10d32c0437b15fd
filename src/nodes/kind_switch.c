/*
 * kind_switch.c: the switch node (pipelit-engine.md 4.5): picks the route
 * that conditional edges follow.
 *
 * Rule mode (extra_config.rules non-empty): the id of the first rule whose
 * operator matches the field's value; no match gives "__other__" with
 * enable_fallback, else "".  Legacy mode: str(state[condition_field]) or
 * a condition_expression (a missing path renders "None" here, "" in the
 * router).
 */
#include <stdlib.h>
#include <string.h>

#include "expr/pystr.h"
#include "nodes/condition.h"
#include "nodes/kind_util.h"
#include "nodes/kinds.h"
#include "nodes/pycoerce.h"
#include "nodes/rules.h"
#include "nodes/state_path.h"
#include "util/xalloc.h"

static enum step
answer(struct node_ctx *ctx, const char *route)
{
	return kind_done(ctx, json_pack("{s:s, s:s}", "_route", route, "route", route));
}

/* The first matching rule's id (malloc'd into *route), "" when none. */
static int
first_match(struct node_ctx *ctx, const json_t *rules, char **route)
{
	size_t i;
	const json_t *item;
	json_array_foreach(rules, i, item) {
		struct rule r;
		if (rule_read(ctx, item, i, &r) != 0)
			return -1;
		if (r.op == NULL)
			continue; /* an unknown operator never matches */
		struct op_error err;
		int m = op_eval(r.op, state_path_get(ctx->state, r.field), r.value, &err);
		if (m < 0) {
			kind_fail_op(ctx, &err);
			return -1;
		}
		if (m) {
			/* Routes are strings; an id of another type routes by its str(). */
			*route = json_is_string(r.id) ? xstrdup(json_string_value(r.id))
				 : r.id == NULL        ? xstrdup("")
						       : py_str(r.id);
			return 0;
		}
	}
	*route = xstrdup("");
	return 0;
}

static enum step
switch_run(struct node_ctx *ctx)
{
	const json_t *rules;
	if (rules_get(ctx, &rules) != 0)
		return STEP_FAILED;
	if (rules == NULL) {
		char *route = NULL;
		if (condition_route(ctx, COND_MISSING_NONE, &route) != 0)
			return STEP_FAILED;
		enum step s = answer(ctx, route);
		free(route);
		return s;
	}
	char *route = NULL;
	if (first_match(ctx, rules, &route) != 0)
		return STEP_FAILED;
	if (route[0] == '\0' && py_to_bool(cfg_get(ctx->extra_config, "enable_fallback"))) {
		free(route);
		route = xstrdup("__other__");
	}
	enum step s = answer(ctx, route);
	free(route);
	return s;
}

static int
switch_check(const json_t *extra, char **msg)
{
	if (rules_check(extra, 1, msg) != 0)
		return -1;
	const json_t *fallback = cfg_get(extra, "enable_fallback");
	if (fallback != NULL && !json_is_boolean(fallback))
		return check_fail(msg, "enable_fallback must be true or false");
	return condition_check(extra, msg);
}

const struct node_kind node_kind_switch = {
	.name = "switch",
	.check_config = switch_check,
	.run = switch_run,
	.runs_inline = 1,
};
