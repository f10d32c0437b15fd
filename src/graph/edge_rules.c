/* edge_rules.c: see edge_rules.h. */
#include "edge_rules.h"

#include <stdlib.h>
#include <string.h>

#include "graph/node_types.h"
#include "util/xalloc.h"

const char *const edge_labels[] = {
	"", "llm", "tool", "output_parser", "loop_body", "loop_return", "skill", NULL,
};

const char *const edge_types[] = { "direct", "conditional", NULL };

struct handle {
	const char *label;
	const char *handle;
	unsigned flag;		/* the requires_* flag the target must have */
};

static const struct handle handles[] = {
	{ "llm", "model", NODE_REQUIRES_MODEL },
	{ "tool", "tools", NODE_REQUIRES_TOOLS },
	{ "output_parser", "output_parser", NODE_REQUIRES_OUTPUT_PARSER },
	{ "skill", "skills", NODE_REQUIRES_SKILLS },
};

static const struct handle *
handle_of(const char *label)
{
	for (size_t i = 0; label != NULL && i < sizeof(handles) / sizeof(handles[0]); i++)
		if (strcmp(handles[i].label, label) == 0)
			return &handles[i];
	return NULL;
}

const char *
edge_label_handle(const char *label)
{
	const struct handle *h = handle_of(label);
	return h ? h->handle : NULL;
}

bool
edge_label_is_loop(const char *label)
{
	return label != NULL && (strcmp(label, "loop_body") == 0 || strcmp(label, "loop_return") == 0);
}

bool
edge_conditional_source_ok(const char *component_type)
{
	return node_type_has(component_type, NODE_CONDITIONAL_SOURCE);
}

static char *
handle_check(const struct handle *h, const struct node_type *target)
{
	if (target == NULL || (target->flags & h->flag))
		return NULL;
	return xasprintf("Node type '%s' does not accept '%s' connections", target->name, h->handle);
}

/* A trigger's edge passes whatever its first port is: it carries no port
 * value but the start of the run.  Its target is an entry node (pipelit-
 * engine.md 2.4, step 5), fed by the state the payload seeds (2.3, 2.5:
 * state.trigger, node_outputs[trigger], and the human message of
 * trigger.text in state.messages): so trigger_manual -> agent runs as in
 * Pipelit, where its payload port would otherwise fail object -> messages. */
static char *
port_check(const struct node_type *source, const struct node_type *target)
{
	if (source == NULL || target == NULL || (source->flags & NODE_IS_TRIGGER))
		return NULL;
	const struct node_port *out = node_type_first_output(source);
	const struct node_port *in = node_type_first_input(target);
	if (out == NULL || in == NULL || port_types_compatible(out->type, in->type))
		return NULL;
	return xasprintf("Type mismatch: %s outputs '%s' but %s expects '%s'", source->name,
			 port_type_name(out->type), target->name, port_type_name(in->type));
}

char *
edge_type_check(const char *source_type, const char *target_type, const char *label)
{
	if (edge_label_is_loop(label))
		return NULL;
	const struct node_type *source = source_type ? node_type_find(source_type) : NULL;
	const struct node_type *target = target_type ? node_type_find(target_type) : NULL;
	const struct handle *h = handle_of(label);
	if (h != NULL)
		return source == NULL ? NULL : handle_check(h, target);
	return port_check(source, target);
}

static void
add(struct edge_problem *out, size_t *n, enum edge_rule rule, char *message)
{
	out[*n].rule = rule;
	out[*n].message = message;
	(*n)++;
}

static char *
unknown(const char *which, const char *node_id)
{
	return xasprintf("Edge references unknown %s node '%s'", which, node_id);
}

/* The conditional rules: a value, a target (a node or "__end__"), a
 * switch or assertion source.  1 when the target is no node. */
static int
conditional_problems(const struct edge_ends *e, struct edge_problem *out, size_t *n)
{
	if (e->condition_value == NULL || e->condition_value[0] == '\0')
		add(out, n, EDGE_RULE_CONDITIONAL,
		    xstrdup("Conditional edges require a non-empty condition_value"));
	int no_node = e->target_type == NULL;
	if (e->target[0] == '\0')
		add(out, n, EDGE_RULE_CONDITIONAL,
		    xstrdup("Conditional edges require a non-empty target_node_id"));
	else if (no_node && strcmp(e->target, "__end__") != 0)
		add(out, n, EDGE_RULE_UNKNOWN_TARGET, unknown("target", e->target));
	if (!edge_conditional_source_ok(e->source_type))
		add(out, n, EDGE_RULE_CONDITIONAL, xstrdup("Conditional edges can only originate "
							    "from 'switch' or 'assertion' nodes"));
	return no_node;
}

size_t
edge_rules_check(const struct edge_ends *e, struct edge_problem *out)
{
	size_t n = 0;
	if (e->source_type == NULL) {
		add(out, &n, EDGE_RULE_UNKNOWN_SOURCE, unknown("source", e->source));
		return n;
	}
	if (e->edge_type != NULL && strcmp(e->edge_type, "conditional") == 0) {
		if (conditional_problems(e, out, &n) || n > 0)
			return n;
	} else if (e->target_type == NULL) {
		add(out, &n, EDGE_RULE_UNKNOWN_TARGET, unknown("target", e->target));
		return n;
	}
	char *why = edge_type_check(e->source_type, e->target_type, e->label);
	if (why != NULL)
		add(out, &n, EDGE_RULE_TYPE, why);
	return n;
}

void
edge_problems_free(struct edge_problem *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].message);
		p[i].message = NULL;
	}
}

const char *
edge_problem_field(const struct edge_problem *p)
{
	switch (p->rule) {
	case EDGE_RULE_UNKNOWN_SOURCE:
		return "source_node_id";
	case EDGE_RULE_UNKNOWN_TARGET:
		return "target_node_id";
	default:
		return NULL;
	}
}
