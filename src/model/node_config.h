/*
 * node_config.h: what a node's extra_config must satisfy to be saved.  One
 * rule set, read by node writes (model/node.c, inside their transaction),
 * by the node routes and by import (api/nodes.c, for a 422 that points at
 * the field): the registry's own checks for the kinds whose rules live in
 * graph/ (trigger_webhook), then the runnable kind's check_config
 * (nodes/node_kind.h: switch, filter, wait, workflow, ...).  Kinds with
 * neither accept any object, as in Pipelit.
 */
#ifndef PIPELIT_MODEL_NODE_CONFIG_H
#define PIPELIT_MODEL_NODE_CONFIG_H

#include <jansson.h>

#include "graph/node_types.h"

/* 0 when extra_config (an object) suits a node of kind type, else -1 with
 * *why filled (field NULL when the problem is about the whole object;
 * free with config_problem_free). */
int node_config_check(const char *type, const json_t *extra_config, struct config_problem *why);

#endif
