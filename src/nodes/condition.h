/*
 * condition.h: the legacy routing of router and switch (pipelit-engine.md
 * 4.2 router): extra_config.condition_expression, a dotted state path or
 * "path == 'v'", else str(state[condition_field or "route"]).
 */
#ifndef PIPELIT_NODES_CONDITION_H
#define PIPELIT_NODES_CONDITION_H

#include <jansson.h>

#include "nodes/node_kind.h"

/* How a path that leads nowhere renders: the router gives "", the
 * switch's legacy mode str(None), "None". */
enum cond_missing { COND_MISSING_EMPTY, COND_MISSING_NONE };

/* The route (malloc'd into *route); -1 with the node failed when the
 * configuration is unusable. */
int condition_route(struct node_ctx *ctx, enum cond_missing missing, char **route);

/* check_config part: condition_field and condition_expression strings. */
int condition_check(const json_t *extra, char **msg);

#endif
