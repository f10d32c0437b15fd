/*
 * test_nodes_kinds.c: every node kind of src/nodes/ run through a
 * hand-built node_ctx (the state an engine would hand it), checking the
 * exact result objects; their config checks; the registry; state paths.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "nodes/node_kind.h"
#include "nodes/state_path.h"
#include "tap.h"

static json_t *
parse(const char *text)
{
	if (text == NULL)
		return NULL;
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
	if (v == NULL)
		printf("# bad test JSON (%s): %s\n", e.text, text);
	return v;
}

/* One run of a kind: the node (with its config), the state, the resume
 * input; what it returned. */
struct run {
	json_t *node, *state, *resume;
	struct node_ctx ctx;
	enum step step;
};

static void
run_free(struct run *r)
{
	json_decref(r->node);
	json_decref(r->state);
	json_decref(r->resume);
	json_decref(r->ctx.result);
	memset(r, 0, sizeof(*r));
}

/* Runs kind with config {"system_prompt": prompt, "extra_config": extra}. */
static enum step
run_full(struct run *r, const char *kind, const char *prompt, const char *extra, const char *state,
	 const char *resume, const struct node_services *services)
{
	memset(r, 0, sizeof(*r));
	json_t *extra_json = parse(extra ? extra : "{}");
	r->node = json_pack("{s:s, s:s, s:{s:s?, s:o}}", "node_id", "n1", "component_type", kind,
			    "config", "system_prompt", prompt, "extra_config", extra_json);
	r->state = parse(state ? state : "{}");
	r->resume = parse(resume);
	r->ctx.execution_id = "e-1";
	r->ctx.node_id = "n1";
	r->ctx.component_type = kind;
	r->ctx.node = r->node;
	r->ctx.extra_config = json_object_get(json_object_get(r->node, "config"), "extra_config");
	r->ctx.state = r->state;
	r->ctx.resume = r->resume;
	r->ctx.attempt = 1;
	r->ctx.services = services;
	const struct node_kind *k = node_kind_find(kind);
	if (k == NULL) {
		printf("# no kind %s\n", kind);
		return r->step = STEP_FAILED;
	}
	r->step = k->run(&r->ctx);
	return r->step;
}

static enum step
run_kind(struct run *r, const char *kind, const char *extra, const char *state)
{
	return run_full(r, kind, NULL, extra, state, NULL, NULL);
}

/* The result equals the JSON text want (numbers: 5.0 is a real, 5 an
 * integer, as jansson tells them apart). */
static int
result_is(struct run *r, const char *want, const char *what)
{
	json_t *w = parse(want);
	int same = r->step == STEP_DONE && r->ctx.result != NULL && json_equal(r->ctx.result, w);
	ok(same, "%s", what);
	if (!same) {
		char *got = r->ctx.result ? json_dumps(r->ctx.result, JSON_COMPACT) : NULL;
		printf("#   step %d, error %s: %s\n#   got:  %s\n#   want: %s\n", (int)r->step,
		       r->ctx.error_code, r->ctx.error, got ? got : "(none)", want);
		free(got);
	}
	json_decref(w);
	return same;
}

static void
failed_with(struct run *r, const char *code, int no_retry, const char *what)
{
	is_int(r->step, STEP_FAILED, "%s: fails", what);
	is_str(r->ctx.error_code, code, "%s: with %s", what, code);
	is_int(r->ctx.no_retry, no_retry, "%s: %s", what, no_retry ? "not retried" : "retried");
	ok(r->ctx.error[0] != '\0', "%s: says why: %s", what, r->ctx.error);
	ok(r->ctx.result == NULL, "%s: and gives no result", what);
}

/* check_config of kind on extra: 0, or -1 with the message kept in *msg
 * (NULL when the caller does not want it). */
static int
check(const char *kind, const char *extra, char **msg_out)
{
	const struct node_kind *k = node_kind_find(kind);
	if (k == NULL || k->check_config == NULL)
		return 0;
	json_t *e = parse(extra);
	char *msg = NULL;
	int rc = k->check_config(e, &msg);
	json_decref(e);
	if (rc == 0 && msg != NULL)
		printf("# a passing check left a message: %s\n", msg);
	if (msg_out != NULL)
		*msg_out = msg;
	else
		free(msg);
	return rc;
}

static void
check_refused(const char *kind, const char *extra, const char *words, const char *what)
{
	char *msg = NULL;
	is_int(check(kind, extra, &msg), -1, "%s check: %s refused", kind, what);
	ok(msg != NULL && strstr(msg, words) != NULL, "%s check: the message says '%s': %s", kind, words,
	   msg ? msg : "(none)");
	free(msg);
}

/* --- registry, helpers -------------------------------------------------- */

static void
test_registry(void)
{
	static const char *const kinds[] = {
		"switch", "router", "filter", "merge", "loop", "wait", "assertion",
		"human_confirmation", "reply_chat", "identify_user", "workflow", "agent", "categorizer",
		"extractor",
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const struct node_kind *k = node_kind_find(kinds[i]);
		ok(k != NULL && strcmp(k->name, kinds[i]) == 0 && k->run != NULL, "kind %s runs", kinds[i]);
	}
	static const char *const not_run[] = {
		"trigger_chat", "trigger_manual", "trigger_webhook", "trigger_workflow", "ai_model",
		"output_parser", "skill", "memory_read", "run_command", "deep_agent", "", "Switch",
	};
	for (size_t i = 0; i < sizeof(not_run) / sizeof(not_run[0]); i++)
		ok(node_kind_find(not_run[i]) == NULL, "'%s' is not run through the table", not_run[i]);
	ok(node_kind_find(NULL) == NULL, "NULL finds nothing");

	struct node_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	is_int(node_fail(&ctx, "boom", "node %s: %d", "x", 3), STEP_FAILED, "node_fail returns STEP_FAILED");
	is_str(ctx.error, "node x: 3", "with the formatted message");
	is_str(ctx.error_code, "boom", "and the code");
	char big[3000];
	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	node_fail(&ctx, "a_code_far_longer_than_fifty_characters_is_cut_to_fit_its_field", "%s", big);
	is_int(strlen(ctx.error), NODE_ERROR_MAX, "a long message is cut to NODE_ERROR_MAX");
	is_int(strlen(ctx.error_code), NODE_ERROR_CODE_MAX, "a long code to NODE_ERROR_CODE_MAX");
}

static void
test_state_path(void)
{
	json_t *s = parse("{\"route\": \"r\", \"node_outputs\": {\"cat_1\": {\"category\": \"billing\","
			  " \"n\": null, \"list\": [1, {\"a\": 2}]}}, \"trigger\": {\"text\": \"hi\"},"
			  " \"state\": {\"x\": 1}, \"\": {\"y\": 2}}");
	is_str(json_string_value(state_path_get(s, "node_outputs.cat_1.category")), "billing", "a nested path");
	is_str(json_string_value(state_path_get(s, "state.node_outputs.cat_1.category")), "billing",
	       "with the state. prefix");
	is_str(json_string_value(state_path_get(s, "route")), "r", "a top-level key");
	is_str(json_string_value(state_path_get(s, "state.route")), "r", "state.route");
	ok(state_path_get(s, "state") == s, "'state' alone is the state");
	ok(state_path_get(s, "node_outputs.cat_2.category") == NULL, "a missing hop gives NULL");
	ok(state_path_get(s, "node_outputs.cat_1.category.more") == NULL, "past a string gives NULL");
	ok(json_is_null(state_path_get(s, "node_outputs.cat_1.n")), "a JSON null is returned as such");
	ok(state_path_get(s, "node_outputs.cat_1.n.deeper") == NULL, "past a null gives NULL");
	ok(state_path_get(s, "node_outputs.cat_1.list.0") == NULL, "no list indices");
	ok(state_path_get(s, "") == json_object_get(s, ""), "the empty path is the key \"\"");
	is_int(json_integer_value(state_path_get(s, "state.state.x")), 1, "state.state.x: the prefix once");
	ok(state_path_get(s, "statex") == NULL, "'statex' is no prefix");
	ok(state_path_get(s, "state.") == json_object_get(s, ""), "so is 'state.'");
	is_int(json_integer_value(state_path_get(s, ".y")), 2, "'.y': the key \"\", then y");
	ok(state_path_get(NULL, "route") == NULL && state_path_get(s, NULL) == NULL, "NULLs give NULL");
	json_decref(s);
}

/* --- switch, router ------------------------------------------------------- */

#define CAT_STATE(cat) \
	"{\"route\": \"old\", \"trigger\": {\"text\": \"my bill\"}, \"node_outputs\": " \
	"{\"cat_1\": {\"category\": \"" cat "\", \"score\": 0.9}}}"

static const char switch_rules[] =
	"{\"rules\": ["
	"{\"id\": \"to_billing\", \"field\": \"node_outputs.cat_1.category\", \"operator\": \"equals\", \"value\": \"billing\"},"
	"{\"id\": \"to_support\", \"field\": \"state.node_outputs.cat_1.category\", \"value\": \"support\"},"
	"{\"id\": \"sure\", \"field\": \"node_outputs.cat_1.score\", \"operator\": \"gte\", \"value\": \"0.5\"}"
	"]%s}";

static void
test_switch_rules(void)
{
	struct run r;
	char extra[1024];
	snprintf(extra, sizeof(extra), switch_rules, "");
	run_kind(&r, "switch", extra, CAT_STATE("billing"));
	result_is(&r, "{\"_route\": \"to_billing\", \"route\": \"to_billing\"}", "the first matching rule's id routes");
	run_free(&r);
	run_kind(&r, "switch", extra, CAT_STATE("support"));
	result_is(&r, "{\"_route\": \"to_support\", \"route\": \"to_support\"}",
		  "operator defaults to equals; the state. prefix works");
	run_free(&r);
	run_kind(&r, "switch", extra, "{\"node_outputs\": {\"cat_1\": {\"category\": \"other\", \"score\": \"0.7\"}}}");
	result_is(&r, "{\"_route\": \"sure\", \"route\": \"sure\"}", "a later rule matches (gte on a numeric string)");
	run_free(&r);
	run_kind(&r, "switch", extra, "{\"node_outputs\": {\"cat_1\": {\"category\": \"other\", \"score\": 0.1}}}");
	result_is(&r, "{\"_route\": \"\", \"route\": \"\"}", "no match: the empty route");
	run_free(&r);
	snprintf(extra, sizeof(extra), switch_rules, ", \"enable_fallback\": true");
	run_kind(&r, "switch", extra, "{\"node_outputs\": {}}");
	result_is(&r, "{\"_route\": \"__other__\", \"route\": \"__other__\"}", "no match with enable_fallback: __other__");
	run_free(&r);
	snprintf(extra, sizeof(extra), switch_rules, ", \"enable_fallback\": false");
	run_kind(&r, "switch", extra, "{\"node_outputs\": {}}");
	result_is(&r, "{\"_route\": \"\", \"route\": \"\"}", "enable_fallback false: the empty route");
	run_free(&r);

	run_kind(&r, "switch",
		 "{\"rules\": [{\"id\": \"x\", \"field\": \"route\", \"operator\": \"no_such_op\", \"value\": \"old\"},"
		 "{\"id\": \"y\", \"field\": \"route\", \"operator\": \"not_equals\", \"value\": \"new\"}]}",
		 CAT_STATE("a"));
	result_is(&r, "{\"_route\": \"y\", \"route\": \"y\"}", "an unknown operator never matches");
	run_free(&r);
	run_kind(&r, "switch",
		 "{\"rules\": [{\"id\": \"gone\", \"field\": \"node_outputs.nobody.text\", \"operator\": \"does_not_exist\"}]}",
		 CAT_STATE("a"));
	result_is(&r, "{\"_route\": \"gone\", \"route\": \"gone\"}", "a missing field is None");
	run_free(&r);
	run_kind(&r, "switch",
		 "{\"rules\": [{\"id\": \"t\", \"field\": \"trigger.text\", \"operator\": \"matches_regex\", \"value\": \"\\\\bbill\\\\b\"}]}",
		 CAT_STATE("a"));
	result_is(&r, "{\"_route\": \"t\", \"route\": \"t\"}", "matches_regex on trigger.text");
	run_free(&r);

	run_kind(&r, "switch",
		 "{\"rules\": [{\"id\": \"t\", \"field\": \"trigger.text\", \"operator\": \"matches_regex\", \"value\": \"(bill\"}]}",
		 CAT_STATE("a"));
	failed_with(&r, "bad_regex", 1, "a bad regex");
	run_free(&r);
	run_kind(&r, "switch",
		 "{\"rules\": [{\"id\": \"first\", \"field\": \"route\", \"value\": \"old\"},"
		 "{\"id\": \"t\", \"field\": \"trigger.text\", \"operator\": \"matches_regex\", \"value\": \"(bill\"}]}",
		 CAT_STATE("a"));
	result_is(&r, "{\"_route\": \"first\", \"route\": \"first\"}",
		  "a bad regex after the matching rule is never evaluated");
	run_free(&r);
	run_kind(&r, "switch",
		 "{\"rules\": [{\"id\": \"n\", \"field\": \"route\", \"operator\": \"length_gt\", \"value\": \"many\"}]}",
		 CAT_STATE("a"));
	failed_with(&r, "bad_value", 1, "a length rule with a non-integer value");
	run_free(&r);
	run_kind(&r, "switch", "{\"rules\": {\"id\": \"x\"}}", CAT_STATE("a"));
	failed_with(&r, "bad_config", 1, "rules that are not a list");
	run_free(&r);
	run_kind(&r, "switch", "{\"rules\": [\"equals\"]}", CAT_STATE("a"));
	failed_with(&r, "bad_config", 1, "a rule that is not an object");
	run_free(&r);
	run_kind(&r, "switch", "{\"rules\": [{\"id\": 7, \"field\": \"route\", \"value\": \"old\"}]}", CAT_STATE("a"));
	result_is(&r, "{\"_route\": \"7\", \"route\": \"7\"}", "a numeric id routes by its str()");
	run_free(&r);
}

static void
test_switch_legacy(void)
{
	struct run r;
	run_kind(&r, "switch", "{}", "{\"route\": \"chat\"}");
	result_is(&r, "{\"_route\": \"chat\", \"route\": \"chat\"}", "no rules: str(state.route)");
	run_free(&r);
	run_kind(&r, "switch", "{\"rules\": []}", "{\"route\": \"chat\"}");
	result_is(&r, "{\"_route\": \"chat\", \"route\": \"chat\"}", "an empty rule list is legacy mode too");
	run_free(&r);
	run_kind(&r, "switch", "{\"condition_field\": \"flag\"}", "{\"flag\": true}");
	result_is(&r, "{\"_route\": \"True\", \"route\": \"True\"}", "condition_field: str(True)");
	run_free(&r);
	run_kind(&r, "switch", "{\"condition_field\": \"nothing\"}", "{}");
	result_is(&r, "{\"_route\": \"\", \"route\": \"\"}", "a missing condition_field: \"\"");
	run_free(&r);
	run_kind(&r, "switch", "{\"condition_field\": \"gone\"}", "{\"gone\": null}");
	result_is(&r, "{\"_route\": \"None\", \"route\": \"None\"}", "a null condition_field: None");
	run_free(&r);
	run_kind(&r, "switch", "{\"condition_expression\": \" state.node_outputs.c.category \"}",
		 "{\"node_outputs\": {\"c\": {\"category\": 3.0}}}");
	result_is(&r, "{\"_route\": \"3.0\", \"route\": \"3.0\"}", "condition_expression: a path, str()'d");
	run_free(&r);
	run_kind(&r, "switch", "{\"condition_expression\": \"node_outputs.missing.x\"}", "{}");
	result_is(&r, "{\"_route\": \"None\", \"route\": \"None\"}", "a missing path renders None in the switch");
	run_free(&r);
	run_kind(&r, "switch", "{\"condition_expression\": \"state.route == 'chat'\"}", "{\"route\": \"chat\"}");
	result_is(&r, "{\"_route\": \"chat\", \"route\": \"chat\"}", "path == 'v' gives v when equal");
	run_free(&r);
	run_kind(&r, "switch", "{\"condition_expression\": \"route==\\\"chat\\\"\"}", "{\"route\": \"mail\"}");
	result_is(&r, "{\"_route\": \"\", \"route\": \"\"}", "and \"\" when not");
	run_free(&r);
	run_kind(&r, "switch", "{\"condition_expression\": \"x == None\"}", "{}");
	result_is(&r, "{\"_route\": \"None\", \"route\": \"None\"}", "a missing path equals 'None' in the switch");
	run_free(&r);
	run_kind(&r, "switch", "{\"condition_expression\": 5}", "{}");
	failed_with(&r, "bad_config", 1, "a condition_expression that is not a string");
	run_free(&r);
}

static void
test_router(void)
{
	struct run r;
	run_kind(&r, "router", "{}", "{\"route\": \"a\"}");
	result_is(&r, "{\"_route\": \"a\", \"route\": \"a\"}", "router: str(state.route)");
	run_free(&r);
	run_kind(&r, "router", "{\"condition_field\": \"n\"}", "{\"n\": 2}");
	result_is(&r, "{\"_route\": \"2\", \"route\": \"2\"}", "router: condition_field");
	run_free(&r);
	run_kind(&r, "router", "{\"condition_expression\": \"node_outputs.missing.x\"}", "{}");
	result_is(&r, "{\"_route\": \"\", \"route\": \"\"}", "router: a missing path renders \"\"");
	run_free(&r);
	run_kind(&r, "router", "{\"condition_expression\": \"node_outputs.c.v\"}", "{\"node_outputs\": {\"c\": {\"v\": null}}}");
	result_is(&r, "{\"_route\": \"\", \"route\": \"\"}", "router: a null value renders \"\"");
	run_free(&r);
	run_kind(&r, "router", "{\"condition_expression\": \"node_outputs.c.v\"}",
		 "{\"node_outputs\": {\"c\": {\"v\": [\"a\", 1]}}}");
	result_is(&r, "{\"_route\": \"['a', 1]\", \"route\": \"['a', 1]\"}", "router: str() of a list");
	run_free(&r);
	run_kind(&r, "router", "{\"condition_expression\": \"x.y == ''\"}", "{}");
	result_is(&r, "{\"_route\": \"\", \"route\": \"\"}", "router: a missing path equals ''");
	run_free(&r);
	run_kind(&r, "router", "{\"condition_expression\": \"state.trigger.kind == 'urgent'\"}",
		 "{\"trigger\": {\"kind\": \"urgent\"}}");
	result_is(&r, "{\"_route\": \"urgent\", \"route\": \"urgent\"}", "router: path == 'v'");
	run_free(&r);
	run_kind(&r, "router", "{\"condition_field\": [1]}", "{}");
	failed_with(&r, "bad_config", 1, "router: a condition_field that is not a string");
	run_free(&r);
}

/* --- assertion, filter ------------------------------------------------------- */

static void
test_assertion(void)
{
	struct run r;
	const char *state = "{\"node_outputs\": {\"a\": {\"n\": 7, \"s\": \"ok\"}}}";
	run_kind(&r, "assertion",
		 "{\"rules\": [{\"field\": \"node_outputs.a.n\", \"operator\": \"gt\", \"value\": 5},"
		 "{\"field\": \"node_outputs.a.s\", \"value\": \"ok\"}]}",
		 state);
	result_is(&r,
		  "{\"_route\": \"pass\", \"output\": {\"passed\": true, \"results\": ["
		  "{\"check\": \"node_outputs.a.n gt 5\", \"passed\": true, \"actual\": 7, \"expected\": 5},"
		  "{\"check\": \"node_outputs.a.s equals ok\", \"passed\": true, \"actual\": \"ok\", \"expected\": \"ok\"}]}}",
		  "assertion: every rule passes");
	run_free(&r);
	run_kind(&r, "assertion",
		 "{\"rules\": [{\"field\": \"node_outputs.a.n\", \"operator\": \"lt\", \"value\": \"5\"},"
		 "{\"field\": \"node_outputs.b.x\", \"operator\": \"exists\"},"
		 "{\"field\": \"node_outputs.a.s\", \"operator\": \"bogus\", \"value\": [1, \"x\"]},"
		 "{\"field\": \"node_outputs.a.s\", \"operator\": \"is_not_empty\"}]}",
		 state);
	result_is(&r,
		  "{\"_route\": \"fail\", \"output\": {\"passed\": false, \"results\": ["
		  "{\"check\": \"node_outputs.a.n lt 5\", \"passed\": false, \"actual\": 7, \"expected\": \"5\"},"
		  "{\"check\": \"node_outputs.b.x exists \", \"passed\": false, \"actual\": null, \"expected\": \"\"},"
		  "{\"check\": \"node_outputs.a.s bogus [1, 'x']\", \"passed\": false, \"actual\": \"ok\", \"expected\": [1, \"x\"]},"
		  "{\"check\": \"node_outputs.a.s is_not_empty \", \"passed\": true, \"actual\": \"ok\", \"expected\": \"\"}]}}",
		  "assertion: every rule is evaluated and reported; an unknown operator fails its check");
	run_free(&r);
	run_kind(&r, "assertion", "{}", state);
	result_is(&r, "{\"_route\": \"pass\", \"output\": {\"passed\": true, \"results\": []}}", "assertion: no rules pass");
	run_free(&r);
	run_kind(&r, "assertion",
		 "{\"rules\": [{\"field\": \"node_outputs.a.s\", \"operator\": \"matches_regex\", \"value\": \"[\"}]}", state);
	failed_with(&r, "bad_regex", 1, "assertion: a bad regex");
	run_free(&r);
}

static void
test_filter(void)
{
	struct run r;
	const char *state =
		"{\"output\": [1, 5, 10], \"node_outputs\": {\"src\": [{\"name\": \"ann\", \"age\": 31},"
		"{\"name\": \"bob\", \"age\": \"17\"}, {\"name\": \"cy\"}, \"stray\"],"
		" \"wrapped\": {\"rows\": [\"apple\", \"banana\", \"cherry\"]}, \"scalar\": {\"v\": 3}, \"nul\": null}}";
	run_kind(&r, "filter",
		 "{\"source_node\": \"src\", \"rules\": [{\"field\": \"age\", \"operator\": \"gte\", \"value\": \"18\"}]}", state);
	result_is(&r, "{\"filtered\": [{\"name\": \"ann\", \"age\": 31}]}",
		  "filter: dict items by one key (missing keys count as 0; a non-dict item is itself)");
	run_free(&r);
	run_kind(&r, "filter",
		 "{\"source_node\": \"src\", \"rules\": [{\"field\": \"name\", \"operator\": \"exists\"},"
		 "{\"field\": \"name\", \"operator\": \"unknown_op\"}, {\"field\": \"name\", \"operator\": \"not_equals\", \"value\": \"bob\"}]}",
		 state);
	result_is(&r, "{\"filtered\": [{\"name\": \"ann\", \"age\": 31}, {\"name\": \"cy\"}, \"stray\"]}",
		  "filter: all rules must pass; an unknown operator is ignored");
	run_free(&r);
	run_kind(&r, "filter", "{\"rules\": [{\"operator\": \"gt\", \"value\": 4}]}", state);
	result_is(&r, "{\"filtered\": [5, 10]}", "filter: state.output without a source_node");
	run_free(&r);
	run_kind(&r, "filter",
		 "{\"source_node\": \"wrapped\", \"field\": \"rows\", \"rules\": [{\"operator\": \"contains\", \"value\": \"an\"}]}",
		 state);
	result_is(&r, "{\"filtered\": [\"banana\"]}", "filter: field picks the list out of a dict");
	run_free(&r);
	run_kind(&r, "filter", "{\"source_node\": \"wrapped\", \"field\": \"rows\"}", state);
	result_is(&r, "{\"filtered\": [\"apple\", \"banana\", \"cherry\"]}", "filter: no rules keep everything");
	run_free(&r);
	run_kind(&r, "filter", "{\"source_node\": \"scalar\", \"rules\": [{\"operator\": \"exists\"}]}", state);
	result_is(&r, "{\"filtered\": {\"v\": 3}}", "filter: data that is not a list comes back as it is");
	run_free(&r);
	run_kind(&r, "filter", "{\"source_node\": \"nul\"}", state);
	result_is(&r, "{\"filtered\": []}", "filter: null data gives []");
	run_free(&r);
	run_kind(&r, "filter", "{\"source_node\": \"nobody\"}", state);
	result_is(&r, "{\"filtered\": []}", "filter: a missing source gives []");
	run_free(&r);
	run_kind(&r, "filter",
		 "{\"source_node\": \"wrapped\", \"field\": \"rows\", \"rules\": [{\"operator\": \"matches_regex\", \"value\": \"^(b|c)\"}]}",
		 state);
	result_is(&r, "{\"filtered\": [\"banana\", \"cherry\"]}", "filter: a regex over every item");
	run_free(&r);
	run_kind(&r, "filter",
		 "{\"source_node\": \"wrapped\", \"field\": \"rows\", \"rules\": [{\"operator\": \"matches_regex\", \"value\": \"(\"}]}",
		 state);
	failed_with(&r, "bad_regex", 1, "filter: a bad regex with items to test");
	run_free(&r);
	run_kind(&r, "filter", "{\"rules\": [{\"operator\": \"matches_regex\", \"value\": \"(\"}]}", "{\"output\": []}");
	result_is(&r, "{\"filtered\": []}", "filter: a bad regex with no item to test is never compiled");
	run_free(&r);
	run_kind(&r, "filter", "{\"rules\": [{\"field\": 3}]}", "{\"output\": [1]}");
	failed_with(&r, "bad_config", 1, "filter: a rule field that is not a string");
	run_free(&r);
}

/* --- merge, loop, wait ------------------------------------------------------ */

static void
test_merge(void)
{
	struct run r;
	const char *state = "{\"node_outputs\": {\"trigger_chat_1\": {\"text\": \"hi\"}, \"b1\": [1, [2]],"
			    " \"b2\": {\"k\": \"v\", \"text\": \"b2\"}, \"b3\": \"plain\", \"b4\": null}}";
	run_kind(&r, "merge", "{}", state);
	result_is(&r, "{\"merged\": [{\"text\": \"hi\"}, 1, [2], {\"k\": \"v\", \"text\": \"b2\"}, \"plain\", null]}",
		  "merge: append over every output in insertion order, lists flattened one level");
	run_free(&r);
	run_kind(&r, "merge", "{\"mode\": \"concat\", \"source_nodes\": [\"b3\", \"missing\", \"b1\"]}", state);
	result_is(&r, "{\"merged\": [\"plain\", 1, [2]]}", "merge: listed sources in their order, missing ones skipped");
	run_free(&r);
	run_kind(&r, "merge", "{\"mode\": \"combine\", \"source_nodes\": [\"b2\", \"trigger_chat_1\", \"b3\", \"b1\"]}", state);
	result_is(&r, "{\"merged\": {\"k\": \"v\", \"text\": \"hi\", \"b3\": \"plain\", \"b1\": [1, [2]]}}",
		  "merge: combine updates dicts in order and keys other outputs by their node id");
	run_free(&r);
	run_kind(&r, "merge", "{\"mode\": \"combine\"}", "{\"node_outputs\": {}}");
	result_is(&r, "{\"merged\": {}}", "merge: combine of nothing");
	run_free(&r);
	run_kind(&r, "merge", "{\"source_nodes\": [\"nobody\"]}", state);
	result_is(&r, "{\"merged\": []}", "merge: listed sources without outputs give nothing (not every output)");
	run_free(&r);
	run_kind(&r, "merge", "{\"mode\": \"zip\"}", state);
	failed_with(&r, "bad_config", 1, "merge: an unknown mode");
	run_free(&r);
}

static void
test_loop(void)
{
	struct run r;
	const char *state = "{\"node_outputs\": {\"src\": {\"items\": [\"a\", {\"b\": 1}], \"one\": \"x\", \"none\": null},"
			    " \"plain\": [1, 2], \"word\": \"w\"}}";
	run_kind(&r, "loop", "{\"source_node\": \"src\", \"field\": \"items\", \"on_error\": \"continue\"}", state);
	result_is(&r, "{\"_loop\": {\"items\": [\"a\", {\"b\": 1}]}, \"items\": [\"a\", {\"b\": 1}], \"results\": []}",
		  "loop: node_outputs[source][field]");
	ok(r.ctx.result && json_object_get(json_object_get(r.ctx.result, "_loop"), "items") !=
				   json_object_get(r.ctx.result, "items"),
	   "loop: _loop.items and the items port are separate values");
	run_free(&r);
	run_kind(&r, "loop", "{\"source_node\": \"plain\"}", state);
	result_is(&r, "{\"_loop\": {\"items\": [1, 2]}, \"items\": [1, 2], \"results\": []}", "loop: the whole output");
	run_free(&r);
	run_kind(&r, "loop", "{\"source_node\": \"src\", \"field\": \"one\"}", state);
	result_is(&r, "{\"_loop\": {\"items\": [\"x\"]}, \"items\": [\"x\"], \"results\": []}", "loop: a non-list becomes [x]");
	run_free(&r);
	run_kind(&r, "loop", "{\"source_node\": \"word\", \"field\": \"f\"}", state);
	result_is(&r, "{\"_loop\": {\"items\": [\"w\"]}, \"items\": [\"w\"], \"results\": []}",
		  "loop: a field of a non-dict output takes the whole output");
	run_free(&r);
	run_kind(&r, "loop", "{\"source_node\": \"src\", \"field\": \"none\"}", state);
	result_is(&r, "{\"_loop\": {\"items\": []}, \"items\": [], \"results\": []}", "loop: null becomes []");
	run_free(&r);
	run_kind(&r, "loop", "{\"source_node\": \"nobody\"}", state);
	result_is(&r, "{\"_loop\": {\"items\": []}, \"items\": [], \"results\": []}", "loop: a missing source gives []");
	run_free(&r);
	run_kind(&r, "loop", "{}", state);
	result_is(&r, "{\"_loop\": {\"items\": []}, \"items\": [], \"results\": []}", "loop: no source gives []");
	run_free(&r);
}

static void
test_wait(void)
{
	/* Expected texts from python3: f"Waited {float(d)} {unit}". */
	static const struct {
		const char *extra, *want;
	} cases[] = {
		{ "{\"duration\": 5}", "{\"_delay_seconds\": 5.0, \"output\": \"Waited 5.0 seconds\"}" },
		{ "{\"duration\": \"2\", \"unit\": \"minutes\"}", "{\"_delay_seconds\": 120.0, \"output\": \"Waited 2.0 minutes\"}" },
		{ "{\"duration\": \" 0.5 \", \"unit\": \"hours\"}", "{\"_delay_seconds\": 1800.0, \"output\": \"Waited 0.5 hours\"}" },
		{ "{\"duration\": 1.25, \"unit\": \"seconds\"}", "{\"_delay_seconds\": 1.25, \"output\": \"Waited 1.25 seconds\"}" },
		{ "{}", "{\"_delay_seconds\": 0.0, \"output\": \"Waited 0.0 seconds\"}" },
		{ "{\"duration\": \"1e-05\"}", "{\"_delay_seconds\": 1e-05, \"output\": \"Waited 1e-05 seconds\"}" },
		{ "{\"duration\": 1e16}", "{\"_delay_seconds\": 1e16, \"output\": \"Waited 1e+16 seconds\"}" },
		{ "{\"duration\": 3, \"unit\": \"days\"}", "{\"_delay_seconds\": 3.0, \"output\": \"Waited 3.0 days\"}" },
		{ "{\"duration\": 0.1, \"unit\": \"minutes\"}", "{\"_delay_seconds\": 6.0, \"output\": \"Waited 0.1 minutes\"}" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r;
		run_kind(&r, "wait", cases[i].extra, "{}");
		result_is(&r, cases[i].want, cases[i].extra);
		run_free(&r);
	}
	struct run r;
	run_kind(&r, "wait", "{\"duration\": \"soon\"}", "{}");
	failed_with(&r, "bad_config", 1, "wait: a duration that is no number");
	run_free(&r);
	run_kind(&r, "wait", "{\"duration\": -1}", "{}");
	failed_with(&r, "bad_config", 1, "wait: a negative duration");
	run_free(&r);
	run_kind(&r, "wait", "{\"duration\": \"inf\"}", "{}");
	failed_with(&r, "bad_config", 1, "wait: an infinite duration");
	run_free(&r);
}

/* --- human_confirmation, reply_chat ------------------------------------------ */

static void
test_human_confirmation(void)
{
	static const struct {
		const char *resume, *want, *what;
	} cases[] = {
		{ "{\"action\": \"confirm\"}",
		  "{\"_route\": \"confirmed\", \"confirmed\": true, \"user_response\": \"confirm\"}", "the confirm action" },
		{ "{\"action\": \"cancel\"}",
		  "{\"_route\": \"cancelled\", \"confirmed\": false, \"user_response\": \"cancel\"}", "the cancel action" },
		{ "{\"action\": \"confirm\", \"input\": \"go ahead\"}",
		  "{\"_route\": \"confirmed\", \"confirmed\": true, \"user_response\": \"go ahead\"}",
		  "confirm with a free text: confirmed, the text is the response" },
		{ "{\"action\": \"cancel\", \"input\": \"yes\"}",
		  "{\"_route\": \"cancelled\", \"confirmed\": false, \"user_response\": \"yes\"}",
		  "an explicit cancel wins over a 'yes' text" },
		{ "{\"input\": \"YES\"}", "{\"_route\": \"confirmed\", \"confirmed\": true, \"user_response\": \"YES\"}", "typed YES" },
		{ "{\"input\": \"Y\"}", "{\"_route\": \"confirmed\", \"confirmed\": true, \"user_response\": \"Y\"}", "typed Y" },
		{ "{\"input\": \"True\"}", "{\"_route\": \"confirmed\", \"confirmed\": true, \"user_response\": \"True\"}", "typed True" },
		{ "{\"input\": \"1\"}", "{\"_route\": \"confirmed\", \"confirmed\": true, \"user_response\": \"1\"}", "typed 1" },
		{ "{\"input\": 1}", "{\"_route\": \"confirmed\", \"confirmed\": true, \"user_response\": 1}", "the number 1 (str() is '1')" },
		{ "{\"input\": \"nope\"}", "{\"_route\": \"cancelled\", \"confirmed\": false, \"user_response\": \"nope\"}", "typed nope" },
		{ "{\"input\": \"yes please\"}",
		  "{\"_route\": \"cancelled\", \"confirmed\": false, \"user_response\": \"yes please\"}", "only the exact words confirm" },
		{ "{}", "{\"_route\": \"cancelled\", \"confirmed\": false, \"user_response\": null}", "an empty answer" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r;
		run_full(&r, "human_confirmation", NULL, "{}", "{}", cases[i].resume, NULL);
		result_is(&r, cases[i].want, cases[i].what);
		run_free(&r);
	}
	struct run r;
	run_kind(&r, "human_confirmation", "{}", "{}");
	result_is(&r, "{\"_route\": \"cancelled\", \"confirmed\": false, \"user_response\": null,"
		      " \"prompt\": \"Please confirm to proceed.\"}",
		  "without an answer: cancelled, with the default prompt");
	run_free(&r);
	run_kind(&r, "human_confirmation", "{\"prompt\": \"Delete 3 files?\"}", "{}");
	result_is(&r, "{\"_route\": \"cancelled\", \"confirmed\": false, \"user_response\": null,"
		      " \"prompt\": \"Delete 3 files?\"}",
		  "without an answer: its own prompt");
	run_free(&r);
}

static void
test_reply_chat(void)
{
	struct run r;
	run_full(&r, "reply_chat", "Hello Ann", "{\"message\": \"ignored\"}", "{}", NULL, NULL);
	result_is(&r, "{\"output\": \"Hello Ann\", \"_output\": \"Hello Ann\"}", "reply_chat: the system prompt first");
	run_free(&r);
	run_full(&r, "reply_chat", "", "{\"message\": \"Your order shipped\"}", "{}", NULL, NULL);
	result_is(&r, "{\"output\": \"Your order shipped\", \"_output\": \"Your order shipped\"}",
		  "reply_chat: else extra_config.message");
	run_free(&r);
	run_full(&r, "reply_chat", NULL, "{}", "{}", NULL, NULL);
	result_is(&r, "{\"output\": \"\", \"_output\": \"\"}", "reply_chat: neither gives \"\"");
	run_free(&r);
}

/* --- identify_user ---------------------------------------------------------- */

/* The memory store's side as the engine offers it, recording its calls. */
struct memory_double {
	char channel[64], id[64], display_name[64];
	int calls;
	int fail;
};

static json_t *
memory_identify(void *arg, const char *channel, const char *external_id, const char *display_name,
		char **err)
{
	struct memory_double *m = arg;
	m->calls++;
	snprintf(m->channel, sizeof(m->channel), "%s", channel);
	snprintf(m->id, sizeof(m->id), "%s", external_id);
	snprintf(m->display_name, sizeof(m->display_name), "%s", display_name ? display_name : "(null)");
	if (m->fail) {
		*err = strdup("database is unavailable");
		return NULL;
	}
	char user_id[140];
	snprintf(user_id, sizeof(user_id), "%s:%s", channel, external_id);
	return json_pack("{s:s, s:b, s:s, s:{}, s:[s], s:[], s:i, s:s}", "user_id", user_id, "is_new",
			 m->calls == 1, "display_name", "Stored Name", "preferences", "facts",
			 "likes tea", "history", "total_conversations", m->calls,
			 "first_seen", "2026-01-01T00:00:00Z");
}

static void
test_identify_user(void)
{
	struct memory_double m = { .calls = 0 };
	struct node_services services = { .arg = &m, .memory_user_identify = memory_identify };
	struct run r;
	const char *chat_state = "{\"trigger\": {\"text\": \"hi\", \"source\": \"chat\", \"user_id\": \"u1\","
				 " \"user_name\": \"Ann\"}, \"user_context\": {\"user_profile_id\": 7, \"chat_id\": 99},"
				 " \"node_outputs\": {}}";
	run_full(&r, "identify_user", NULL, "{}", chat_state, NULL, &services);
	result_is(&r,
		  "{\"user_id\": \"chat:u1\", \"user_context\": {\"user_id\": \"chat:u1\", \"is_new\": true,"
		  " \"display_name\": \"Stored Name\", \"preferences\": {}, \"facts\": [\"likes tea\"], \"history\": [],"
		  " \"total_conversations\": 1, \"first_seen\": \"2026-01-01T00:00:00Z\"}, \"is_new_user\": true,"
		  " \"_state_patch\": {\"user_context\": {\"user_profile_id\": 7, \"chat_id\": 99,"
		  " \"user_id\": \"chat:u1\", \"is_new\": true, \"display_name\": \"Ann\", \"preferences\": {},"
		  " \"facts\": [\"likes tea\"], \"history\": [], \"total_conversations\": 1,"
		  " \"first_seen\": \"2026-01-01T00:00:00Z\", \"canonical_id\": \"chat:u1\", \"channel\": \"chat\"}}}",
		  "identify_user: the context, and a patch that keeps user_profile_id and chat_id");
	is_str(m.channel, "chat", "the store is asked for the chat channel");
	is_str(m.id, "u1", "and the trigger's user_id");
	is_str(m.display_name, "Ann", "with the user_name");
	run_free(&r);

	run_full(&r, "identify_user", NULL, "{}",
		 "{\"trigger\": {\"message\": {\"from\": {\"id\": 42, \"first_name\": \"Bo\", \"last_name\": \"Li\"}}}}",
		 NULL, &services);
	is_int(r.step, STEP_DONE, "identify_user: a telegram message");
	is_str(m.channel, "telegram", "is the telegram channel");
	is_str(m.id, "42", "the sender's id as text");
	is_str(m.display_name, "Bo Li", "first and last name");
	is_int(json_is_false(json_object_get(r.ctx.result, "is_new_user")), 1, "a second call is no new user");
	ok(json_equal(json_object_get(json_object_get(json_object_get(r.ctx.result, "_state_patch"), "user_context"), "canonical_id"),
		      json_object_get(r.ctx.result, "user_id")),
	   "canonical_id is the user id");
	run_free(&r);

	run_full(&r, "identify_user", NULL, "{}",
		 "{\"trigger\": {\"text\": \"x\"}, \"node_outputs\": {\"prep\": {\"channel\": \"webhook\","
		 " \"trigger_input\": {\"email\": \"a@b.c\", \"name\": \"Al\"}}, \"other\": \"text\"}}",
		 NULL, &services);
	is_int(r.step, STEP_DONE, "identify_user: inputs from a node output");
	is_str(m.channel, "webhook", "its channel");
	is_str(m.id, "a@b.c", "the email when there is no user_id");
	is_str(m.display_name, "Al", "the name when there is no user_name");
	run_free(&r);

	run_full(&r, "identify_user", NULL, "{}", "{\"trigger\": {\"source\": \"manual\"}}", NULL, &services);
	is_str(m.id, "manual_user", "identify_user: a manual run without user_id is manual_user");
	is_str(m.display_name, "Manual User", "called Manual User");
	run_free(&r);

	run_full(&r, "identify_user", NULL, "{}", "{\"trigger\": {\"text\": \"x\"}}", NULL, &services);
	is_str(m.channel, "unknown", "identify_user: nothing to infer from: the unknown channel");
	is_str(m.id, "unknown", "and the unknown user");
	is_str(m.display_name, "(null)", "without a name");
	run_free(&r);

	int calls = m.calls;
	run_full(&r, "identify_user", NULL, "{}",
		 "{\"trigger\": {\"message\": {\"from\": {\"first_name\": \"Anon\"}}}, \"user_context\": {\"user_profile_id\": 3}}",
		 NULL, &services);
	result_is(&r,
		  "{\"user_id\": null, \"user_context\": {\"is_new\": true, \"facts\": [], \"history\": []},"
		  " \"is_new_user\": true, \"_state_patch\": {\"user_context\": {\"user_profile_id\": 3,"
		  " \"is_new\": true, \"channel\": \"telegram\"}}}",
		  "identify_user: a sender without an id is an anonymous new user");
	is_int(m.calls, calls, "and the store is not asked");
	run_free(&r);

	m.fail = 1;
	run_full(&r, "identify_user", NULL, "{}", chat_state, NULL, &services);
	failed_with(&r, "memory_error", 0, "identify_user: the store fails");
	ok(strstr(r.ctx.error, "database is unavailable") != NULL, "with the store's message");
	run_free(&r);

	run_full(&r, "identify_user", NULL, "{}", chat_state, NULL, NULL);
	failed_with(&r, "no_memory_service", 0, "identify_user: no services");
	run_free(&r);
	struct node_services none = { .arg = NULL, .memory_user_identify = NULL };
	run_full(&r, "identify_user", NULL, "{}", chat_state, NULL, &none);
	failed_with(&r, "no_memory_service", 0, "identify_user: no memory service");
	run_free(&r);
}

/* --- workflow ----------------------------------------------------------------- */

static void
test_workflow(void)
{
	struct run r;
	const char *state = "{\"trigger\": {\"text\": \"build it\", \"chat_id\": 5}, \"node_outputs\":"
			    " {\"agent_1\": {\"output\": \"plan\"}, \"n\": {\"deep\": {\"x\": [1]}}}, \"route\": \"r\"}";
	run_kind(&r, "workflow", "{\"target_workflow\": \"child-flow\"}", state);
	result_is(&r,
		  "{\"_subworkflow\": {\"workflow\": \"child-flow\", \"trigger_mode\": \"implicit\", \"trigger_node_id\": null,"
		  " \"payload\": {\"text\": \"build it\", \"payload\": {\"trigger\": {\"text\": \"build it\", \"chat_id\": 5},"
		  " \"node_outputs\": {\"agent_1\": {\"output\": \"plan\"}, \"n\": {\"deep\": {\"x\": [1]}}}}}}}",
		  "workflow: implicit payload {text, payload: {trigger, node_outputs}}");
	run_free(&r);
	run_kind(&r, "workflow", "{\"target_workflow\": \"c\"}", "{}");
	result_is(&r,
		  "{\"_subworkflow\": {\"workflow\": \"c\", \"trigger_mode\": \"implicit\", \"trigger_node_id\": null,"
		  " \"payload\": {\"text\": \"\", \"payload\": {\"trigger\": {}, \"node_outputs\": {}}}}}",
		  "workflow: an empty state gives text \"\"");
	run_free(&r);
	run_kind(&r, "workflow",
		 "{\"target_workflow\": \"c\", \"input_mapping\": {\"plan\": \"node_outputs.agent_1.output\","
		 " \"xs\": \"state.node_outputs.n.deep.x\", \"gone\": \"node_outputs.nobody.output\", \"r\": \"route\"}}",
		 state);
	result_is(&r,
		  "{\"_subworkflow\": {\"workflow\": \"c\", \"trigger_mode\": \"implicit\", \"trigger_node_id\": null,"
		  " \"payload\": {\"plan\": \"plan\", \"xs\": [1], \"gone\": null, \"r\": \"r\"}}}",
		  "workflow: input_mapping resolves dotted state paths");
	run_free(&r);
	run_kind(&r, "workflow",
		 "{\"target_workflow\": \"c\", \"trigger_mode\": \"explicit\", \"trigger_node_id\": \"trigger_workflow_2\","
		 " \"input_mapping\": {\"t\": \"trigger.text\"}}",
		 state);
	result_is(&r,
		  "{\"_subworkflow\": {\"workflow\": \"c\", \"trigger_mode\": \"explicit\","
		  " \"trigger_node_id\": \"trigger_workflow_2\", \"payload\": {\"t\": \"build it\", \"source_workflow\": \"c\"}}}",
		  "workflow: explicit mode names the trigger and adds source_workflow");
	run_free(&r);
	run_kind(&r, "workflow", "{\"trigger_mode\": \"explicit\"}", state);
	failed_with(&r, "bad_config", 1, "workflow: no target_workflow");
	run_free(&r);
	run_kind(&r, "workflow", "{\"target_workflow\": \"c\", \"input_mapping\": [\"a\"]}", state);
	failed_with(&r, "bad_config", 1, "workflow: an input_mapping that is not an object");
	run_free(&r);

	run_full(&r, "workflow", NULL, "{\"target_workflow\": \"c\"}", state,
		 "{\"child_execution_id\": \"c-1\", \"status\": \"completed\", \"output\": {\"output\": \"done\"}}", NULL);
	result_is(&r, "{\"output\": {\"output\": \"done\"}}", "workflow: resumed, the child's final output");
	run_free(&r);
	run_full(&r, "workflow", NULL, "{\"target_workflow\": \"c\"}", state,
		 "{\"child_execution_id\": \"c-1\", \"status\": \"completed\", \"output\": null}", NULL);
	result_is(&r, "{\"output\": null}", "workflow: a child without output");
	run_free(&r);
	run_full(&r, "workflow", NULL, "{\"target_workflow\": \"c\"}", state,
		 "{\"child_execution_id\": \"c-1\", \"status\": \"failed\", \"error\": \"Node x: boom\"}", NULL);
	result_is(&r, "{\"output\": {\"_error\": \"Child execution failed: Node x: boom\"}}",
		  "workflow: a failed child gives _error, the node does not fail");
	run_free(&r);
	run_full(&r, "workflow", NULL, "{\"target_workflow\": \"c\"}", state,
		 "{\"child_execution_id\": \"c-1\", \"status\": \"cancelled\"}", NULL);
	result_is(&r, "{\"output\": {\"_error\": \"Child execution failed: the child execution ended cancelled\"}}",
		  "workflow: a cancelled child too");
	run_free(&r);
}

/* --- config checks ---------------------------------------------------------- */

static void
test_checks(void)
{
	is_int(check("switch", "{\"rules\": [{\"id\": \"a\", \"field\": \"route\", \"operator\": \"matches_regex\","
			       " \"value\": \"^x\"}], \"enable_fallback\": true}", NULL),
	       0, "switch check: a good rule list");
	is_int(check("switch", "{}", NULL), 0, "switch check: legacy mode needs nothing");
	is_int(check("switch", "{\"rules\": null, \"condition_field\": \"route\"}", NULL), 0, "switch check: null rules");
	check_refused("switch", "{\"rules\": \"equals\"}", "list", "rules that are no list");
	check_refused("switch", "{\"rules\": [3]}", "rule 1", "a rule that is no object");
	check_refused("switch", "{\"rules\": [{\"field\": \"route\"}]}", "id", "a rule without id");
	check_refused("switch", "{\"rules\": [{\"id\": \"a\", \"operator\": \"like\"}]}", "unknown operator 'like'",
		      "an unknown operator");
	check_refused("switch", "{\"rules\": [{\"id\": \"a\", \"operator\": \"matches_regex\", \"value\": \"(x\"}]}",
		      "bad regular expression", "a bad literal regex");
	is_int(check("switch", "{\"rules\": [{\"id\": \"a\", \"operator\": \"matches_regex\", \"value\": \"{{ x.p }}\"}]}", NULL),
	       0, "switch check: a templated regex waits for run time");
	check_refused("switch", "{\"rules\": [{\"id\": \"a\", \"operator\": \"length_gt\", \"value\": \"two\"}]}",
		      "integer", "a length value that is no integer");
	check_refused("switch", "{\"rules\": [{\"id\": \"a\", \"field\": 1}]}", "field", "a field that is no string");
	check_refused("switch", "{\"enable_fallback\": \"yes\"}", "enable_fallback", "a fallback that is no boolean");
	check_refused("switch", "{\"condition_expression\": 1}", "condition_expression", "an expression that is no string");
	check_refused("router", "{\"condition_field\": {}}", "condition_field", "a field that is no string");
	is_int(check("router", "{\"condition_expression\": \"route == 'a'\"}", NULL), 0, "router check: an expression");

	is_int(check("assertion", "{\"rules\": [{\"field\": \"a\", \"operator\": \"exists\"}]}", NULL), 0,
	       "assertion check: rules need no id");
	check_refused("assertion", "{\"rules\": [{\"operator\": \"nope\"}]}", "unknown operator", "an unknown operator");
	is_int(check("filter", "{\"source_node\": \"s\", \"field\": \"rows\", \"rules\": [{\"field\": \"x\", \"operator\": \"gt\", \"value\": 1}]}", NULL),
	       0, "filter check: a good filter");
	check_refused("filter", "{\"source_node\": 5}", "source_node", "a source that is no string");
	check_refused("filter", "{\"rules\": [{\"operator\": \"not_matches_regex\", \"value\": \"[\"}]}", "bad regular",
		      "a bad regex");

	is_int(check("merge", "{\"mode\": \"combine\", \"source_nodes\": [\"a\", \"b\"]}", NULL), 0, "merge check: combine");
	is_int(check("merge", "{\"mode\": \"concat\"}", NULL), 0, "merge check: the legacy concat");
	check_refused("merge", "{\"mode\": \"zip\"}", "append, combine or concat", "an unknown mode");
	check_refused("merge", "{\"source_nodes\": \"a\"}", "source_nodes", "sources that are no list");
	check_refused("merge", "{\"source_nodes\": [\"a\", 2]}", "source_nodes", "a source id that is no string");

	is_int(check("loop", "{\"source_node\": \"s\", \"field\": \"items\", \"on_error\": \"continue\"}", NULL), 0,
	       "loop check: continue");
	is_int(check("loop", "{\"on_error\": \"stop\"}", NULL), 0, "loop check: stop");
	check_refused("loop", "{\"on_error\": \"retry\"}", "stop or continue", "an unknown on_error");
	check_refused("loop", "{\"on_error\": true}", "on_error", "an on_error that is no string");

	is_int(check("wait", "{\"duration\": 5, \"unit\": \"minutes\"}", NULL), 0, "wait check: 5 minutes");
	is_int(check("wait", "{\"duration\": \"2.5\"}", NULL), 0, "wait check: a numeric string");
	is_int(check("wait", "{\"duration\": \"{{ n.delay }}\"}", NULL), 0, "wait check: a templated duration");
	check_refused("wait", "{\"unit\": \"days\"}", "seconds, minutes or hours", "an unknown unit");
	check_refused("wait", "{\"duration\": \"later\"}", "duration", "a duration that is no number");
	check_refused("wait", "{\"duration\": -3}", "non-negative", "a negative duration");

	is_int(check("workflow", "{\"target_workflow\": \"c\", \"trigger_mode\": \"explicit\","
				 " \"input_mapping\": {\"a\": \"node_outputs.x.y\"}}", NULL),
	       0, "workflow check: a good one");
	check_refused("workflow", "{}", "target_workflow", "no target");
	check_refused("workflow", "{\"target_workflow\": \"\"}", "target_workflow", "an empty target");
	check_refused("workflow", "{\"target_workflow\": \"c\", \"trigger_mode\": \"sideways\"}", "implicit or explicit",
		      "an unknown trigger_mode");
	check_refused("workflow", "{\"target_workflow\": \"c\", \"input_mapping\": {\"a\": 1}}", "input_mapping.a",
		      "a mapping to no path");
	check_refused("human_confirmation", "{\"prompt\": 3}", "prompt", "a prompt that is no string");
	check_refused("reply_chat", "{\"message\": [\"hi\"]}", "message", "a message that is no string");
	ok(node_kind_find("identify_user")->check_config == NULL, "identify_user has nothing to check");
}

int
main(void)
{
	test_registry();
	test_state_path();
	test_switch_rules();
	test_switch_legacy();
	test_router();
	test_assertion();
	test_filter();
	test_merge();
	test_loop();
	test_wait();
	test_human_confirmation();
	test_reply_chat();
	test_identify_user();
	test_workflow();
	test_checks();
	return done_testing();
}
