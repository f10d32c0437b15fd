/* fuzz_nodes.c: the logic node kinds (src/nodes/) and their operators on
 * any configuration and state.  The first byte picks a kind; the rest is
 * JSON: [extra_config, state, resume] (or one value, the extra_config).
 * Every kind's config check and run must end in a result object or a
 * failure with a message, and each operator must take any pair of values. */
#include "fuzz_util.h"

#include <jansson.h>

#include "nodes/node_kind.h"
#include "nodes/operators.h"

static const char *const kinds[] = {
	"switch", "router", "filter", "merge", "loop", "wait", "assertion",
	"human_confirmation", "reply_chat", "identify_user", "workflow",
};

static const char *const operators[] = {
	"exists", "does_not_exist", "is_empty", "is_not_empty", "equals", "not_equals",
	"contains", "not_contains", "starts_with", "not_starts_with", "ends_with", "not_ends_with",
	"matches_regex", "not_matches_regex", "gt", "lt", "gte", "lte", "after", "before",
	"after_or_equal", "before_or_equal", "is_true", "is_false", "length_eq", "length_neq",
	"length_gt", "length_lt", "length_gte", "length_lte",
};

static json_t *
identify(void *arg, const char *channel, const char *id, const char *name, char **err)
{
	(void)arg;
	(void)name;
	if (channel == NULL || id == NULL)
		abort();
	if (id[0] == 'x') {
		*err = strdup("refused");
		return NULL;
	}
	return json_pack("{s:s, s:b, s:[], s:[]}", "user_id", id, "is_new", 1, "facts", "history");
}

static void
run_kind(const char *name, json_t *extra, json_t *state, json_t *resume)
{
	const struct node_kind *k = node_kind_find(name);
	if (k == NULL)
		abort();
	if (k->check_config != NULL) {
		char *msg = NULL;
		int rc = k->check_config(extra, &msg);
		if ((rc != 0) != (msg != NULL))
			abort(); /* a refusal says why; a pass says nothing */
		free(msg);
	}
	struct node_services services = { .arg = NULL, .memory_user_identify = identify };
	json_t *node = json_pack("{s:s, s:s, s:{s:s, s:O}}", "node_id", "n", "component_type", name,
				 "config", "system_prompt", "", "extra_config", extra);
	struct node_ctx ctx = {
		.execution_id = "e", .node_id = "n", .component_type = name, .node = node,
		.extra_config = extra, .state = state, .resume = resume, .attempt = 1,
		.services = &services,
	};
	enum step s = k->run(&ctx);
	if (s == STEP_DONE && !json_is_object(ctx.result))
		abort();
	if (s == STEP_FAILED && (ctx.result != NULL || ctx.error[0] == '\0' || ctx.error_code[0] == '\0'))
		abort();
	json_decref(ctx.result);
	json_decref(node);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *kind = kinds[data[0] % (sizeof(kinds) / sizeof(kinds[0]))];
	json_t *v = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY, NULL);
	if (v == NULL)
		return 0;
	json_t *extra = json_is_array(v) ? json_array_get(v, 0) : v;
	json_t *state = json_is_array(v) ? json_array_get(v, 1) : NULL;
	json_t *resume = json_is_array(v) ? json_array_get(v, 2) : NULL;
	json_t *empty = json_object();
	run_kind(kind, json_is_object(extra) ? extra : empty, json_is_object(state) ? state : empty,
		 json_is_object(resume) ? resume : NULL);
	for (size_t i = 0; i < sizeof(operators) / sizeof(operators[0]); i++) {
		struct op_error err;
		int r = op_eval(op_find(operators[i]), state, extra, &err);
		if (r < -1 || r > 1 || (r == -1 && err.code == NULL))
			abort();
	}
	json_decref(empty);
	json_decref(v);
	return 0;
}
