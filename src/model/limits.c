/* limits.c: see limits.h. */
#include "limits.h"

/* Written once at start, before any request is served. */
static struct graph_limits current = {
	GRAPH_DEFAULT_MAX_NODES, GRAPH_DEFAULT_MAX_EDGES, GRAPH_DEFAULT_MAX_CONFIG_BYTES,
};

void
graph_limits_set(const struct graph_limits *l)
{
	current = *l;
}

const struct graph_limits *
graph_limits(void)
{
	return &current;
}
