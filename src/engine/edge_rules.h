/*
 * edge_rules.h: the checks an edge must pass (pipelit-engine.md section 5),
 * shared by edge creation and POST /workflows/{slug}/validate/.  Pure
 * functions over the node-type registry: callers look the node types up.
 *
 * A difference from Pipelit: conditional edges may leave an "assertion"
 * node (its pass/fail handles) as well as a "switch"; validate agrees.
 */
#ifndef PIPELIT_ENGINE_EDGE_RULES_H
#define PIPELIT_ENGINE_EDGE_RULES_H

#include <stdbool.h>

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

/* Whether a node of this component type may start a conditional edge. */
bool edge_conditional_source_ok(const char *component_type);

/*
 * The type check of an edge from a node of source_type to one of
 * target_type carrying label.  NULL types (a node that does not exist) and
 * unknown types pass.  Returns NULL when the edge passes, else the message
 * (malloc'd, the caller frees).
 */
char *edge_type_check(const char *source_type, const char *target_type, const char *label);

/*
 * The conditional-edge rules of creation, in the spec's order: a
 * condition_value, a target, a switch or assertion source (source_type
 * NULL when the node does not exist).  NULL when they hold, else the
 * message (a constant string).
 */
const char *edge_conditional_check(const char *condition_value, const char *target,
				   const char *source_type);

#endif
