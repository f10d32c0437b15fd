/*
 * ai_config.h: the save-time rules of the categorizer's and the
 * extractor's extra_config (the registry's check_config of those kinds;
 * their config_schema stays Pipelit's, which declares no fields).
 *
 * categorizer: categories, when given, is a list of at most
 * AI_CATEGORIES_MAX objects, each with a name (1 to 100 characters,
 * unique) and an optional string description.
 * extractor: extraction_schema, when given, is a JSON schema of an object
 * that util/json_schema_check can check (a template is not: the schema is
 * what the node's output is checked against).  Without one the node fails
 * when it runs, saying so.
 * agent: the settings it reads beyond Pipelit's catalogue (max_steps,
 * stream, context_window, compacting and its two numbers) have their
 * types, choices and bounds, so a value the node would ignore is refused
 * when it is saved.
 */
#ifndef PIPELIT_GRAPH_AI_CONFIG_H
#define PIPELIT_GRAPH_AI_CONFIG_H

#include <jansson.h>

#include "graph/node_types.h"

#define AI_CATEGORIES_MAX 100
#define AI_CATEGORY_NAME_MAX 100

int ai_config_check_categorizer(const json_t *extra_config, struct config_problem *out);
int ai_config_check_extractor(const json_t *extra_config, struct config_problem *out);
int ai_config_check_agent(const json_t *extra_config, struct config_problem *out);

#endif
