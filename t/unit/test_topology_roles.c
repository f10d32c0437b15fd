/* test_topology_roles.c: the engine's topology takes what a node kind is
 * from the registry (graph/node_types.h, node_type_role): triggers start
 * the run, sub-components are never steps (the tools Pipelit's registry
 * calls executable among them, and the three its skip list forgot), and
 * NODE_INTERRUPTS_BEFORE kinds wait before they run. */
#include <jansson.h>
#include <stdlib.h>

#include "engine/topology.h"
#include "tap.h"

static json_t *
snapshot(void)
{
	static const char *const nodes[][2] = {
		{ "t", "trigger_webhook" }, { "r", "reply_chat" }, { "w", "whoami" },
		{ "rc", "run_command" }, { "g", "get_totp_code" }, { "vg", "validate_gherkin" },
		{ "m", "ai_model" }, { "h", "human_confirmation" }, { "s", "switch" },
	};
	json_t *ns = json_array(), *es = json_array();
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		json_array_append_new(ns, json_pack("{s:s, s:s, s:b, s:b}", "node_id", nodes[i][0],
						    "component_type", nodes[i][1],
						    "interrupt_before", 0, "interrupt_after", 0));
		if (i > 0)
			json_array_append_new(es, json_pack("{s:I, s:s, s:s, s:s, s:s, s:i}", "id",
							    (json_int_t)i, "source_node_id", "t",
							    "target_node_id", nodes[i][0],
							    "edge_type", "direct", "edge_label", "",
							    "priority", 0));
	}
	return json_pack("{s:{}, s:o, s:o}", "workflow", "nodes", ns, "edges", es);
}

int
main(void)
{
	json_t *snap = snapshot();
	char *err = NULL;
	struct topology *t = topology_build(snap, "t", &err);
	if (!ok(t != NULL, "a topology: %s", err ? err : "built")) {
		free(err);
		json_decref(snap);
		return done_testing();
	}
	int ti = topology_find(t, "t");
	ok(ti >= 0 && t->nodes[ti].trigger, "trigger_webhook is the run's trigger");
	ok(topology_find(t, "r") >= 0 && topology_find(t, "s") >= 0, "reply_chat and switch run");
	static const char *const subs[] = { "w", "rc", "g", "vg", "m" };
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		ok(topology_find(t, subs[i]) < 0, "sub-component %s is never a step", subs[i]);
	int hi = topology_find(t, "h");
	ok(hi >= 0 && t->nodes[hi].interrupt_before, "human_confirmation interrupts before");
	topology_free(t);

	t = topology_build(snap, NULL, &err);
	ok(t != NULL && topology_find(t, "t") < 0, "unscoped, the trigger is not in the topology");
	if (t != NULL)
		topology_free(t);
	free(err);
	json_decref(snap);
	return done_testing();
}
