/* test_edge_rules.c: the edge checks of pipelit-engine.md section 5 over
 * the node-type registry: handles, the port type check, unknown types,
 * loop labels, the conditional rules (assertion accepted), and edges from
 * triggers (no type check). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/edge_rules.h"
#include "graph/node_types.h"
#include "tap.h"
#include "util/xalloc.h"

/* ok when the check passes. */
static void
passes(const char *src, const char *tgt, const char *label, const char *name)
{
	char *why = edge_type_check(src, tgt, label);
	ok(why == NULL, "%s", name);
	free(why);
}

static void
refused(const char *src, const char *tgt, const char *label, const char *want, const char *name)
{
	char *why = edge_type_check(src, tgt, label);
	is_str(why ? why : "(passed)", want, "%s", name);
	free(why);
}

static void
test_handles(void)
{
	is_str(edge_label_handle("llm"), "model", "llm plugs into model");
	is_str(edge_labels[6], "skill", "the seventh label is skill");
	is_int(edge_labels[7] == NULL, 1, "seven labels");
	is_str(edge_label_handle("tool"), "tools", "tool plugs into tools");
	is_str(edge_label_handle("output_parser"), "output_parser", "output_parser into output_parser");
	is_str(edge_label_handle("skill"), "skills", "skill into skills");
	ok(edge_label_handle("") == NULL && edge_label_handle("loop_body") == NULL,
	   "plain and loop labels have no handle");
	passes("ai_model", "agent", "llm", "ai_model -> agent over llm");
	refused("ai_model", "switch", "llm", "Node type 'switch' does not accept 'model' connections",
		"llm into a node that needs no model");
	passes("run_command", "agent", "tool", "a tool into an agent");
	refused("run_command", "switch", "tool", "Node type 'switch' does not accept 'tools' connections",
		"tool into a node without tools");
	refused("output_parser", "code", "output_parser",
		"Node type 'code' does not accept 'output_parser' connections",
		"output_parser into a node without one");
	refused("skill", "switch", "skill", "Node type 'switch' does not accept 'skills' connections",
		"skill into a node without skills");
	passes("ai_model", "no_such_type", "llm", "unknown target type passes a handle edge");
}

/* Finds a known source/target pair whose first ports do not fit (the
 * source not a trigger: their edges pass, test_triggers). */
static void
test_type_mismatch(void)
{
	size_t n;
	const struct node_type *all = node_types_all(&n);
	const struct node_type *src = NULL, *tgt = NULL;
	for (size_t i = 0; i < n && src == NULL; i++)
		for (size_t j = 0; j < n && src == NULL; j++) {
			if (all[i].flags & NODE_IS_TRIGGER)
				continue;
			const struct node_port *o = node_type_first_output(&all[i]);
			const struct node_port *in = node_type_first_input(&all[j]);
			if (o && in && !port_types_compatible(o->type, in->type))
				src = &all[i], tgt = &all[j];
		}
	ok(src != NULL, "the registry has an incompatible pair");
	if (src == NULL)
		return;
	char *want = xasprintf("Type mismatch: %s outputs '%s' but %s expects '%s'", src->name,
			       port_type_name(node_type_first_output(src)->type), tgt->name,
			       port_type_name(node_type_first_input(tgt)->type));
	refused(src->name, tgt->name, "", want, "a direct edge with mismatched ports");
	passes(src->name, tgt->name, "loop_body", "loop_body skips the type check");
	passes(src->name, tgt->name, "loop_return", "loop_return skips the type check");
	passes(src->name, "no_such_type", "", "unknown target type passes");
	passes("no_such_type", tgt->name, "", "unknown source type passes");
	passes(NULL, tgt->name, "", "a missing source node passes");
	free(want);
}

/* The first problem edge_rules_check finds for the edge, or "(passed)";
 * *count is how many it found. */
static char *
first_problem(const char *src, const char *src_type, const char *tgt, const char *tgt_type,
	      const char *edge_type, const char *cv, size_t *count, const char **field)
{
	struct edge_ends e = {
		.source = src, .target = tgt, .edge_type = edge_type, .label = "",
		.condition_value = cv, .source_type = src_type, .target_type = tgt_type,
	};
	struct edge_problem p[EDGE_PROBLEMS_MAX];
	size_t n = edge_rules_check(&e, p);
	*count = n;
	*field = n ? edge_problem_field(&p[0]) : NULL;
	char *out = xstrdup(n ? p[0].message : "(passed)");
	edge_problems_free(p, n);
	return out;
}

static void
expect(const char *src, const char *src_type, const char *tgt, const char *tgt_type,
       const char *edge_type, const char *cv, const char *want, size_t want_count,
       const char *want_field, const char *name)
{
	size_t n;
	const char *field;
	char *got = first_problem(src, src_type, tgt, tgt_type, edge_type, cv, &n, &field);
	is_str(got, want, "%s", name);
	ok(n == want_count, "%s: %zu problem(s)", name, want_count);
	is_str(field ? field : "(edge)", want_field ? want_field : "(edge)", "%s: the field", name);
	free(got);
}

static void
test_conditional(void)
{
	expect("s", "switch", "x", "code", "conditional", "a", "(passed)", 0, NULL, "switch may route");
	expect("s", "assertion", "x", "code", "conditional", "pass", "(passed)", 0, NULL,
	       "assertion may route (pass/fail)");
	expect("s", "switch", "__end__", NULL, "conditional", "a", "(passed)", 0, NULL,
	       "a conditional edge may end the run");
	expect("s", "switch", "x", "code", "conditional", "",
	       "Conditional edges require a non-empty condition_value", 1, NULL,
	       "missing condition_value");
	expect("s", "switch", "", NULL, "conditional", "a",
	       "Conditional edges require a non-empty target_node_id", 1, NULL, "missing target");
	expect("s", "agent", "x", "code", "conditional", "a",
	       "Conditional edges can only originate from 'switch' or 'assertion' nodes", 1, NULL,
	       "an agent cannot route");
	expect("s", "agent", "", NULL, "conditional", "", "Conditional edges require a non-empty "
	       "condition_value", 3, NULL, "validate hears every conditional problem at once");
	ok(edge_conditional_source_ok("assertion") && edge_conditional_source_ok("switch")
	   && !edge_conditional_source_ok("code"), "conditional sources");
}

/* Every edge names nodes the workflow has: the one rule of create, update,
 * import and validate. */
static void
test_references(void)
{
	expect("ghost", NULL, "x", "code", "direct", "", "Edge references unknown source node 'ghost'",
	       1, "source_node_id", "a missing source");
	expect("ghost", NULL, "x", "code", "conditional", "a",
	       "Edge references unknown source node 'ghost'", 1, "source_node_id",
	       "a missing source of a conditional edge");
	expect("c", "code", "ghost", NULL, "direct", "", "Edge references unknown target node 'ghost'",
	       1, "target_node_id", "a missing target");
	expect("c", "code", "", NULL, "direct", "", "Edge references unknown target node ''", 1,
	       "target_node_id", "a direct edge without target");
	expect("c", "code", "__end__", NULL, "direct", "",
	       "Edge references unknown target node '__end__'", 1, "target_node_id",
	       "__end__ ends only conditional edges");
	expect("s", "switch", "ghost", NULL, "conditional", "a",
	       "Edge references unknown target node 'ghost'", 1, "target_node_id",
	       "a missing target of a conditional edge");
	expect("f", "filter", "a", "agent", "direct", "",
	       "Type mismatch: filter outputs 'array' but agent expects 'messages'", 1, NULL,
	       "existing nodes reach the type check");
}

/* A trigger's edge starts the run and carries no port value: from every
 * trigger to every node it passes the type check, as in Pipelit (where
 * trigger_manual -> agent runs); handles and conditional rules still
 * apply to it. */
static void
test_triggers(void)
{
	passes("trigger_manual", "agent", "", "trigger_manual -> agent");
	passes("trigger_schedule", "agent", "", "trigger_schedule -> agent");
	passes("trigger_webhook", "agent", "", "trigger_webhook -> agent");
	passes("trigger_error", "categorizer", "", "trigger_error -> categorizer");
	passes("trigger_manual", "filter", "", "trigger_manual (object) -> filter (array)");
	passes("trigger_telegram", "identify_user", "", "trigger_telegram (string) -> identify_user");
	expect("t", "trigger_manual", "a", "agent", "direct", "", "(passed)", 0, NULL,
	       "a trigger_manual -> agent edge has no problem");

	size_t n, refusals = 0, triggers = 0;
	const struct node_type *all = node_types_all(&n);
	for (size_t i = 0; i < n; i++) {
		if (!(all[i].flags & NODE_IS_TRIGGER))
			continue;
		triggers++;
		for (size_t j = 0; j < n; j++) {
			char *why = edge_type_check(all[i].name, all[j].name, "");
			if (why != NULL) {
				printf("# %s -> %s: %s\n", all[i].name, all[j].name, why);
				refusals++;
			}
			free(why);
		}
	}
	is_int(triggers, 7, "seven trigger kinds, trigger_webhook among them");
	is_int(refusals, 0, "no plain edge from a trigger is refused");

	refused("trigger_manual", "switch", "llm",
		"Node type 'switch' does not accept 'model' connections",
		"a handle from a trigger still needs the target's flag");
	expect("t", "trigger_manual", "a", "agent", "conditional", "x",
	       "Conditional edges can only originate from 'switch' or 'assertion' nodes", 1, NULL,
	       "a trigger cannot route");
}

int
main(void)
{
	test_handles();
	test_type_mismatch();
	test_conditional();
	test_references();
	test_triggers();
	return done_testing();
}
