/* rules.c: reading and checking the rule lists of the logic nodes. */
#include <stdlib.h>
#include <string.h>

#include "nodes/kind_util.h"
#include "nodes/rules.h"
#include "util/xalloc.h"

int
rule_read(struct node_ctx *ctx, const json_t *rule, size_t index, struct rule *out)
{
	if (!json_is_object(rule)) {
		kind_bad_config(ctx, "rule %zu is not an object", index + 1);
		return -1;
	}
	const json_t *field = cfg_get(rule, "field");
	const json_t *op = cfg_get(rule, "operator");
	if ((field != NULL && !json_is_string(field)) || (op != NULL && !json_is_string(op))) {
		kind_bad_config(ctx, "rule %zu: field and operator must be strings", index + 1);
		return -1;
	}
	out->id = cfg_get(rule, "id");
	out->field = field ? json_string_value(field) : "";
	out->operator = op ? json_string_value(op) : "equals";
	out->op = op_find(out->operator);
	out->value = json_object_get(rule, "value");
	return 0;
}

int
rules_get(struct node_ctx *ctx, const json_t **rules)
{
	const json_t *r = cfg_get(ctx->extra_config, "rules");
	*rules = NULL;
	if (r == NULL || (json_is_array(r) && json_array_size(r) == 0))
		return 0;
	if (!json_is_array(r)) {
		kind_bad_config(ctx, "rules must be a list");
		return -1;
	}
	*rules = r;
	return 0;
}

int
rules_check(const json_t *extra, int need_id, char **msg)
{
	const json_t *rules = cfg_get(extra, "rules");
	if (rules == NULL)
		return 0;
	if (!json_is_array(rules))
		return check_fail(msg, "rules must be a list of rules");
	size_t i;
	const json_t *rule;
	json_array_foreach(rules, i, rule) {
		if (!json_is_object(rule))
			return check_fail(msg, "rule %zu must be an object", i + 1);
		const json_t *id = cfg_get(rule, "id");
		if (need_id && (!json_is_string(id) || json_string_length(id) == 0))
			return check_fail(msg, "rule %zu needs an id (the route it selects)", i + 1);
		if (id != NULL && !json_is_string(id))
			return check_fail(msg, "rule %zu: id must be a string", i + 1);
		const json_t *field = cfg_get(rule, "field");
		if (field != NULL && !json_is_string(field))
			return check_fail(msg, "rule %zu: field must be a string", i + 1);
		const json_t *opname = cfg_get(rule, "operator");
		if (opname != NULL && !json_is_string(opname))
			return check_fail(msg, "rule %zu: operator must be a string", i + 1);
		const char *name = opname ? json_string_value(opname) : "equals";
		const struct op *op = op_find(name);
		if (op == NULL)
			return check_fail(msg, "rule %zu: unknown operator '%.100s'", i + 1, name);
		char *why = NULL;
		if (op_check_value(op, json_object_get(rule, "value"), &why) != 0) {
			int rc = check_fail(msg, "rule %zu: %s", i + 1, why);
			free(why);
			return rc;
		}
	}
	return 0;
}
