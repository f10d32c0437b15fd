/* topology.c: see topology.h. */
#include "topology.h"

#include <stdlib.h>
#include <string.h>

#include "graph/node_types.h"
#include "util/xalloc.h"

static const char *
str_of(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static enum edge_role
role_of(const json_t *edge, bool *control)
{
	const char *label = str_of(edge, "edge_label");
	*control = true;
	if (strcmp(label, "loop_body") == 0)
		return EDGE_LOOP_BODY;
	if (strcmp(label, "loop_return") == 0)
		return EDGE_LOOP_RETURN;
	if (*label != '\0')
		*control = false;            /* llm, tool, memory, skill, output_parser */
	return strcmp(str_of(edge, "edge_type"), "conditional") == 0 ? EDGE_CONDITIONAL
								     : EDGE_DIRECT;
}

/* Sub-components (ai_model, tools, ...) are wired into their consumer and
 * never run by the engine (the registry's role, graph/node_types.h);
 * unknown types stay, and fail when they run. */
static bool
is_sub_component(const char *type)
{
	return node_type_role(type) == NODE_ROLE_SUB_COMPONENT;
}

/* Edges in (priority, id) order, as the spec asks; the snapshot lists
 * them by id. */
static int
edge_order(const void *a, const void *b)
{
	const json_t *ea = *(json_t *const *)a, *eb = *(json_t *const *)b;
	json_int_t pa = json_integer_value(json_object_get(ea, "priority"));
	json_int_t pb = json_integer_value(json_object_get(eb, "priority"));
	if (pa != pb)
		return pa < pb ? -1 : 1;
	json_int_t ia = json_integer_value(json_object_get(ea, "id"));
	json_int_t ib = json_integer_value(json_object_get(eb, "id"));
	return ia < ib ? -1 : ia > ib;
}

/* Breadth-first from the trigger over control edges: what it reaches. */
static void
mark_scope(json_t *const *edges, size_t n_edges, const json_t *nodes, json_t *names,
	   const char *trigger, bool *keep)
{
	size_t n = json_array_size(nodes);
	int *queue = xcalloc(n + 1, sizeof *queue);
	size_t head = 0, tail = 0;
	json_t *ix = json_object_get(names, trigger);
	if (ix) {
		keep[json_integer_value(ix)] = true;
		queue[tail++] = (int)json_integer_value(ix);
	}
	while (head < tail) {
		const char *from = str_of(json_array_get(nodes, (size_t)queue[head++]), "node_id");
		for (size_t e = 0; e < n_edges; e++) {
			bool control;
			role_of(edges[e], &control);
			if (!control || strcmp(str_of(edges[e], "source_node_id"), from) != 0)
				continue;
			json_t *t = json_object_get(names, str_of(edges[e], "target_node_id"));
			if (t && !keep[json_integer_value(t)]) {
				keep[json_integer_value(t)] = true;
				queue[tail++] = (int)json_integer_value(t);
			}
		}
	}
	free(queue);
}

static void
push(int **list, int *n, int v)
{
	*list = xrealloc(*list, (size_t)(*n + 1) * sizeof **list);
	(*list)[(*n)++] = v;
}

/* Depth-first search marking the edges that close a cycle: an edge into
 * a node still on the stack.  Iterative, so a long chain cannot overflow
 * the stack. */
static void
mark_back_edges(struct topology *t)
{
	size_t n = t->n_nodes;
	char *color = xcalloc(n ? n : 1, 1);     /* 0 new, 1 on stack, 2 done */
	int *stack = xcalloc(n ? n : 1, sizeof *stack), *pos = xcalloc(n ? n : 1, sizeof *pos);
	/* From the trigger first, so the edges that close a cycle are the
	 * ones that lead back towards it; then from whatever it missed. */
	for (long k = -1; k < (long)n; k++) {
		long r = k < 0 ? t->start : k;
		if (r < 0 || color[r])
			continue;
		size_t sp = 0;
		stack[sp] = (int)r;
		pos[sp++] = 0;
		color[r] = 1;
		while (sp > 0) {
			struct topo_node *v = &t->nodes[stack[sp - 1]];
			if (pos[sp - 1] == v->n_out) {
				color[stack[--sp]] = 2;
				continue;
			}
			struct topo_edge *e = &t->edges[v->out[pos[sp - 1]++]];
			if (color[e->target] == 1)
				e->back = true;
			else if (color[e->target] == 0) {
				color[e->target] = 1;
				stack[sp] = e->target;
				pos[sp++] = 0;
			}
		}
	}
	free(color);
	free(stack);
	free(pos);
}

/* The barrier of each node: the distinct sources of its forward control
 * edges (loop_body edges start an iteration, loop_return edges end one:
 * neither is an arrival). */
static void
build_barriers(struct topology *t)
{
	for (size_t e = 0; e < t->n_edges; e++) {
		struct topo_edge *edge = &t->edges[e];
		if (edge->back || edge->role == EDGE_LOOP_BODY || edge->role == EDGE_LOOP_RETURN)
			continue;
		struct topo_node *target = &t->nodes[edge->target];
		bool seen = false;
		for (int i = 0; i < target->n_barrier; i++)
			seen |= target->barrier[i] == edge->source;
		if (!seen)
			push(&target->barrier, &target->n_barrier, edge->source);
	}
}

/* Loop bodies: what the body targets reach over forward direct and
 * conditional edges without passing through the loop node. */
static void
build_loops(struct topology *t)
{
	for (size_t i = 0; i < t->n_nodes; i++) {
		struct topo_node *loop = &t->nodes[i];
		if (loop->n_body == 0)
			continue;
		loop->in_body = xcalloc(t->n_nodes, sizeof *loop->in_body);
		int *queue = xcalloc(t->n_nodes, sizeof *queue);
		size_t head = 0, tail = 0;
		for (int b = 0; b < loop->n_body; b++)
			if (!loop->in_body[loop->body[b]]) {
				loop->in_body[loop->body[b]] = true;
				queue[tail++] = loop->body[b];
			}
		while (head < tail) {
			struct topo_node *v = &t->nodes[queue[head++]];
			for (int k = 0; k < v->n_out; k++) {
				struct topo_edge *e = &t->edges[v->out[k]];
				if (e->role == EDGE_LOOP_RETURN || e->role == EDGE_LOOP_BODY ||
				    e->target == (int)i || loop->in_body[e->target])
					continue;
				loop->in_body[e->target] = true;
				queue[tail++] = e->target;
			}
		}
		free(queue);
	}
}

struct topology *
topology_build(json_t *snapshot, const char *trigger_node_id, char **err)
{
	const json_t *nodes = json_object_get(snapshot, "nodes");
	const json_t *edges_json = json_object_get(snapshot, "edges");
	size_t n_all = json_array_size(nodes), n_edges_all = json_array_size(edges_json);
	json_t *names = json_object();
	for (size_t i = 0; i < n_all; i++)
		json_object_set_new(names, str_of(json_array_get(nodes, i), "node_id"),
				    json_integer((json_int_t)i));
	json_t **sorted = xcalloc(n_edges_all + 1, sizeof *sorted);
	for (size_t e = 0; e < n_edges_all; e++)
		sorted[e] = json_array_get(edges_json, e);
	qsort(sorted, n_edges_all, sizeof *sorted, edge_order);

	bool scoped = trigger_node_id && *trigger_node_id;
	bool *keep = xcalloc(n_all + 1, sizeof *keep);
	if (scoped)
		mark_scope(sorted, n_edges_all, nodes, names, trigger_node_id, keep);
	for (size_t i = 0; i < n_all; i++) {
		const json_t *n = json_array_get(nodes, i);
		const char *type = str_of(n, "component_type");
		if (!scoped)
			keep[i] = !node_type_is_trigger(type);
		if (is_sub_component(type))
			keep[i] = false;
	}

	struct topology *t = xcalloc(1, sizeof *t);
	t->snapshot = json_incref(snapshot);
	t->index = json_object();
	t->start = -1;
	t->nodes = xcalloc(n_all + 1, sizeof *t->nodes);
	size_t runnable = 0;
	for (size_t i = 0; i < n_all; i++) {
		if (!keep[i])
			continue;
		const json_t *n = json_array_get(nodes, i);
		struct topo_node *tn = &t->nodes[t->n_nodes];
		tn->node_id = str_of(n, "node_id");
		tn->component_type = str_of(n, "component_type");
		tn->node = n;
		tn->trigger = node_type_is_trigger(tn->component_type);
		tn->interrupt_before = json_is_true(json_object_get(n, "interrupt_before")) ||
				       node_type_has(tn->component_type, NODE_INTERRUPTS_BEFORE);
		tn->interrupt_after = json_is_true(json_object_get(n, "interrupt_after"));
		if (scoped && strcmp(tn->node_id, trigger_node_id) == 0)
			t->start = (int)t->n_nodes;
		runnable += !tn->trigger;
		json_object_set_new(t->index, tn->node_id, json_integer((json_int_t)t->n_nodes));
		t->n_nodes++;
	}
	free(keep);
	json_decref(names);

	t->edges = xcalloc(n_edges_all + 1, sizeof *t->edges);
	for (size_t e = 0; e < n_edges_all; e++) {
		bool control;
		enum edge_role role = role_of(sorted[e], &control);
		int s = topology_find(t, str_of(sorted[e], "source_node_id"));
		int d = topology_find(t, str_of(sorted[e], "target_node_id"));
		if (!control || s < 0 || d < 0)
			continue;             /* __end__, out of scope, or not control flow */
		struct topo_edge *te = &t->edges[t->n_edges];
		te->source = s;
		te->target = d;
		te->role = role;
		te->condition_value = str_of(sorted[e], "condition_value");
		if (role == EDGE_LOOP_BODY)
			push(&t->nodes[s].body, &t->nodes[s].n_body, d);
		else if (role == EDGE_LOOP_RETURN)
			push(&t->nodes[d].returns, &t->nodes[d].n_returns, s);
		push(&t->nodes[s].out, &t->nodes[s].n_out, (int)t->n_edges);
		t->n_edges++;
	}
	free(sorted);
	if (runnable == 0) {
		*err = xstrdup("the workflow has no node to run (only triggers and sub-components "
			       "are reachable)");
		topology_free(t);
		return NULL;
	}
	mark_back_edges(t);
	build_barriers(t);
	build_loops(t);
	return t;
}

void
topology_free(struct topology *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n_nodes; i++) {
		free(t->nodes[i].out);
		free(t->nodes[i].barrier);
		free(t->nodes[i].body);
		free(t->nodes[i].returns);
		free(t->nodes[i].in_body);
	}
	free(t->nodes);
	free(t->edges);
	json_decref(t->index);
	json_decref(t->snapshot);
	free(t);
}

int
topology_find(const struct topology *t, const char *node_id)
{
	json_t *ix = json_object_get(t->index, node_id);
	return ix ? (int)json_integer_value(ix) : -1;
}

size_t
topology_entries(const struct topology *t, int *out)
{
	size_t n = 0;
	for (size_t i = 0; i < t->n_nodes; i++)
		if (!t->nodes[i].trigger && json_is_true(json_object_get(t->nodes[i].node,
									 "is_entry_point")))
			out[n++] = (int)i;
	if (n > 0)
		return n;
	if (t->start >= 0 && t->nodes[t->start].n_out > 0)
		return 0;                    /* advance from the trigger */
	for (size_t i = 0; i < t->n_nodes; i++)
		if (!t->nodes[i].trigger) {
			out[0] = (int)i;
			return 1;
		}
	return 0;
}
