/*
 * topology.h: the graph an execution runs, read from its snapshot
 * (pipelit-engine.md 2.4, with its quirks fixed).
 *
 * Control flow follows edges labelled "" (direct or conditional),
 * "loop_body" and "loop_return"; sub-component edges (llm, tool, ...) are
 * never control flow.  With a trigger node, only what the trigger reaches
 * is in scope.  Every node but sub-components is in the topology; the
 * trigger node itself is run by the engine (it records the payload as its
 * output), the rest by their kinds.
 *
 * A node with several incoming control edges waits until each source has
 * completed or been ruled out (Pipelit ran it once per arrival).  Edges
 * that close a cycle (back edges, found by a depth-first search from the
 * start) do not count towards that barrier: they start the node again.
 *
 * Indexes are positions in the arrays; a topology is immutable and owned
 * by whoever built it.
 */
#ifndef PIPELIT_ENGINE_TOPOLOGY_H
#define PIPELIT_ENGINE_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

enum edge_role {
	EDGE_DIRECT,
	EDGE_CONDITIONAL,
	EDGE_LOOP_BODY,
	EDGE_LOOP_RETURN,
};

struct topo_edge {
	int source, target;          /* node indexes */
	enum edge_role role;
	const char *condition_value; /* conditional edges; borrowed from the snapshot */
	bool back;                   /* closes a cycle: not part of the barrier */
};

struct topo_node {
	const char *node_id;         /* borrowed from the snapshot */
	const char *component_type;
	const json_t *node;          /* NodeOut, borrowed */
	bool trigger;                /* a trigger (NODE_IS_TRIGGER) */
	bool interrupt_before, interrupt_after;
	int *out, n_out;             /* outgoing control edges, in (priority, id) order */
	int n_barrier;               /* forward incoming control edges from distinct sources */
	int *barrier;                /* those sources (node indexes) */
	/* loop nodes: */
	int *body, n_body;           /* targets of loop_body edges */
	int *returns, n_returns;     /* sources of loop_return edges */
	bool *in_body;               /* per node index: inside this loop's body (NULL when not a loop) */
};

struct topology {
	json_t *snapshot;            /* owned reference */
	struct topo_node *nodes;
	size_t n_nodes;
	struct topo_edge *edges;
	size_t n_edges;
	json_t *index;               /* node_id -> integer index */
	int start;                   /* the trigger node, or -1 */
};

/*
 * Builds the topology of snapshot ({"workflow", "nodes", "edges"}), scoped
 * to trigger_node_id when it is not NULL or "".  Returns NULL with a
 * readable message in *err (malloc'd) when the graph cannot run (nothing
 * executable).
 */
struct topology *topology_build(json_t *snapshot, const char *trigger_node_id, char **err);
void topology_free(struct topology *t);

/* The index of node_id, or -1. */
int topology_find(const struct topology *t, const char *node_id);

/*
 * The nodes an execution starts with, after the trigger completed
 * (pipelit-engine.md 2.4 step 5): nodes marked is_entry_point, else the
 * trigger's targets (returned as -1 then: the caller advances from the
 * trigger instead), else the first runnable node.  Fills out (room for
 * n_nodes) and returns the count.
 */
size_t topology_entries(const struct topology *t, int *out);

#endif
