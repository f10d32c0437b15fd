/*
 * config_check.h: a node's extra_config against the config fields its
 * registry entry declares (the same table GET /node-types/ renders), so
 * what the catalogue promises is what a save enforces: required fields,
 * JSON types, enums and integer bounds.  Keys the table does not name are
 * left alone (extra_config is free-form in Pipelit).
 */
#ifndef PIPELIT_GRAPH_CONFIG_CHECK_H
#define PIPELIT_GRAPH_CONFIG_CHECK_H

#include <jansson.h>

#include "graph/node_types.h"

/* 0 when extra_config (an object) satisfies fields, else -1 with *out set
 * to the first field that does not.  A null value counts as absent. */
int config_fields_check(const struct config_field *fields, const json_t *extra_config,
			struct config_problem *out);

#endif
