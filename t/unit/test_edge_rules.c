/* test_edge_rules.c: the edge checks of pipelit-engine.md section 5 over
 * the node-type registry: handles, the port type check, unknown types,
 * loop labels, and the conditional rules (assertion accepted). */
#include <stdlib.h>
#include <string.h>

#include "engine/edge_rules.h"
#include "engine/node_types.h"
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

/* Finds a known source/target pair whose first ports do not fit. */
static void
test_type_mismatch(void)
{
	size_t n;
	const struct node_type *all = node_types_all(&n);
	const struct node_type *src = NULL, *tgt = NULL;
	for (size_t i = 0; i < n && src == NULL; i++)
		for (size_t j = 0; j < n && src == NULL; j++) {
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

static void
test_conditional(void)
{
	ok(edge_conditional_check("a", "x", "switch") == NULL, "switch may route");
	ok(edge_conditional_check("pass", "x", "assertion") == NULL, "assertion may route (pass/fail)");
	is_str(edge_conditional_check("", "x", "switch"),
	       "Conditional edges require a non-empty condition_value", "missing condition_value");
	is_str(edge_conditional_check("a", "", "switch"),
	       "Conditional edges require a non-empty target_node_id", "missing target");
	is_str(edge_conditional_check("a", "x", "agent"),
	       "Conditional edges can only originate from 'switch' or 'assertion' nodes",
	       "an agent cannot route");
	ok(edge_conditional_check("a", "x", NULL) != NULL, "a missing source cannot route");
	ok(edge_conditional_source_ok("assertion") && edge_conditional_source_ok("switch")
	   && !edge_conditional_source_ok("code"), "conditional sources");
}

int
main(void)
{
	test_handles();
	test_type_mismatch();
	test_conditional();
	return done_testing();
}
