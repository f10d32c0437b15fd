/*
 * limits.h: how large one workflow may grow.
 *
 * A workflow's size is what every request on it costs: the detail renders
 * all its nodes and edges, an import writes them under one write lock.
 * The models refuse a node or an edge beyond these counts, and a node
 * config beyond its size, inside the writing transaction (so concurrent
 * writers cannot pass a limit together); the import checks its document
 * against them before it takes the lock.
 *
 * The limits are process configuration: set once at start from struct
 * config (PIPELIT_MAX_NODES_PER_WORKFLOW, PIPELIT_MAX_EDGES_PER_WORKFLOW,
 * PIPELIT_MAX_NODE_CONFIG_BYTES), read-only afterwards.  A process that
 * never sets them has the defaults.
 */
#ifndef PIPELIT_MODEL_LIMITS_H
#define PIPELIT_MODEL_LIMITS_H

#define GRAPH_DEFAULT_MAX_NODES 5000
#define GRAPH_DEFAULT_MAX_EDGES 20000
#define GRAPH_DEFAULT_MAX_CONFIG_BYTES (256 * 1024)

struct graph_limits {
	long max_nodes;          /* nodes per workflow */
	long max_edges;          /* edges per workflow */
	long max_config_bytes;   /* one node's config as compact JSON, in bytes */
};

/* Sets this process's limits (copied). */
void graph_limits_set(const struct graph_limits *l);

/* This process's limits. */
const struct graph_limits *graph_limits(void);

#endif
