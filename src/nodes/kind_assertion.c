/*
 * kind_assertion.c: the assertion node (pipelit-engine.md 4.5): evaluates
 * every rule against the state and routes "pass" or "fail", with a report
 * of each check.
 */
#include <stdlib.h>

#include "expr/pystr.h"
#include "nodes/kind_util.h"
#include "nodes/kinds.h"
#include "nodes/rules.h"
#include "nodes/state_path.h"
#include "util/xalloc.h"

/* "<field> <operator> <str(value)>", as Pipelit's f-string writes it. */
static char *
check_text(const struct rule *r)
{
	char *value = r->value ? py_str(r->value) : xstrdup("");
	char *text = xasprintf("%s %s %s", r->field, r->operator, value);
	free(value);
	return text;
}

static enum step
assertion_run(struct node_ctx *ctx)
{
	const json_t *rules;
	if (rules_get(ctx, &rules) != 0)
		return STEP_FAILED;
	json_t *results = json_array();
	int all = 1;
	size_t i;
	const json_t *item;
	json_array_foreach(rules, i, item) {
		struct rule r;
		if (rule_read(ctx, item, i, &r) != 0) {
			json_decref(results);
			return STEP_FAILED;
		}
		const json_t *actual = state_path_get(ctx->state, r.field);
		int passed = 0; /* an unknown operator never passes */
		if (r.op != NULL) {
			struct op_error err;
			passed = op_eval(r.op, actual, r.value, &err);
			if (passed < 0) {
				json_decref(results);
				return kind_fail_op(ctx, &err);
			}
		}
		all = all && passed;
		char *check = check_text(&r);
		json_t *expected = r.value ? json_incref((json_t *)r.value) : json_string("");
		json_array_append_new(results,
				      json_pack("{s:s, s:b, s:O, s:o}", "check", check, "passed", passed,
						"actual", actual ? (json_t *)actual : json_null(),
						"expected", expected));
		free(check);
	}
	return kind_done(ctx, json_pack("{s:s, s:{s:b, s:o}}", "_route", all ? "pass" : "fail",
					"output", "passed", all, "results", results));
}

static int
assertion_check(const json_t *extra, char **msg)
{
	return rules_check(extra, 0, msg);
}

const struct node_kind node_kind_assertion = {
	.name = "assertion",
	.check_config = assertion_check,
	.run = assertion_run,
	.runs_inline = 1,
};
