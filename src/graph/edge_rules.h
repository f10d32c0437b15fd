/*
 * edge_rules.h: the checks an edge must pass (pipelit-engine.md section 5),
 * shared by edge creation and POST /workflows/{slug}/validate/.  Pure
 * functions over the node-type registry: callers look the node types up.
 *
 * A difference from Pipelit: conditional edges may leave an "assertion"
 * node (its pass/fail handles) as well as a "switch"; validate agrees.
 * Which kinds may is the registry's NODE_CONDITIONAL_SOURCE.
 *
 * Edges from triggers (NODE_IS_TRIGGER) skip the port type check: they
 * carry the start of a run, not a port value (edge_rules.c, port_check).
 */
#ifndef PIPELIT_GRAPH_EDGE_RULES_H
#define PIPELIT_GRAPH_EDGE_RULES_H

#include <stdbool.h>
#include <stddef.h>

/* The labels an edge may carry, NULL-terminated ("" is plain control flow). */
extern const char *const edge_labels[];
/* "direct", "conditional", NULL. */
extern const char *const edge_types[];

/* The target handle a sub-component label plugs into (llm -> "model",
 * tool -> "tools", output_parser -> "output_parser", skill -> "skills"),
 * or NULL for labels the type check handles. */
const char *edge_label_handle(const char *label);

/* loop_body and loop_return edges skip the type check. */
bool edge_label_is_loop(const char *label);

/* Whether a node of this component type may start a conditional edge
 * (NODE_CONDITIONAL_SOURCE). */
bool edge_conditional_source_ok(const char *component_type);

/*
 * The type check of an edge from a node of source_type to one of
 * target_type carrying label.  NULL types (a node that does not exist) and
 * unknown types pass.  Returns NULL when the edge passes, else the message
 * (malloc'd, the caller frees).
 */
char *edge_type_check(const char *source_type, const char *target_type, const char *label);

/* What the rules of one edge look at: its fields and the component types
 * of the nodes it names (NULL where the workflow has no such node). */
struct edge_ends {
	const char *source, *target;            /* node ids; "" when not set */
	const char *edge_type, *label, *condition_value;
	const char *source_type, *target_type;
};

enum edge_rule {
	EDGE_RULE_UNKNOWN_SOURCE,   /* field source_node_id */
	EDGE_RULE_UNKNOWN_TARGET,   /* field target_node_id */
	EDGE_RULE_CONDITIONAL,      /* the conditional-edge rules */
	EDGE_RULE_TYPE,             /* handle flags and port types */
};

struct edge_problem {
	enum edge_rule rule;
	char *message;              /* malloc'd; edge_problems_free */
};

#define EDGE_PROBLEMS_MAX 4

/*
 * The one rule set of an edge, used by edge creation and update (which
 * refuse on the first problem), by POST /workflows/{slug}/validate/ (which
 * lists them all) and by import (which points each at the document): the
 * source must be a node; a conditional edge needs a condition_value, a
 * target that is a node or "__end__", and a switch or assertion source; a
 * direct edge's target must be a node; then the type check.  Fills out
 * (EDGE_PROBLEMS_MAX entries) in that order and returns how many failed.
 */
size_t edge_rules_check(const struct edge_ends *e, struct edge_problem *out);

void edge_problems_free(struct edge_problem *p, size_t n);

/* The field a problem is about ("source_node_id", "target_node_id"), or
 * NULL for the rules about the edge as a whole. */
const char *edge_problem_field(const struct edge_problem *p);

#endif
