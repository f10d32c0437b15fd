/*
 * node.h: the nodes of a workflow (table workflow_nodes) with their
 * component configs (table component_configs, one per node).  The only SQL
 * for them lives in model/node.c, and so does the one NodeOut renderer
 * (pipelit-api.md section 2) that the node routes and the workflow detail
 * share.
 *
 * Callers have already found the workflow in scope (workflow_get) and pass
 * its id.  Every write runs in one transaction, the node and its config
 * together.
 *
 * The fields objects hold validated values keyed by the API's names:
 * node_id, label, component_type, is_entry_point, interrupt_before,
 * interrupt_after, position_x, position_y, subworkflow_id, code_block_id and
 * config, itself an object of ComponentConfigData keys.  JSON null means SQL
 * NULL.  Which config keys are stored depends on the node's kind (below).
 */
#ifndef PIPELIT_MODEL_NODE_H
#define PIPELIT_MODEL_NODE_H

#include <stdint.h>

#include <jansson.h>

#include "db/db.h"

struct db;
struct jw;

#define NODE_ID_MAX 255
#define NODE_LABEL_MAX 255

enum node_result {
	NODE_OK = 0,
	NODE_NOT_FOUND = 1,
	NODE_ID_TAKEN = 2,          /* a caller-given node_id exists in the workflow */
	NODE_ID_COLLISION = 3,      /* a generated node_id collided twice */
	NODE_BAD_REFERENCE = 4,     /* a credential, subworkflow or code block id names nothing
				       (or something of another user) */
	NODE_TOO_MANY = 5,          /* the workflow has its most nodes (model/limits.h) */
	NODE_CONFIG_TOO_LARGE = 6,  /* the config would exceed its size limit */
	NODE_DB_ERROR = DB_FAILED,
};

/* What NODE_TOO_MANY or NODE_CONFIG_TOO_LARGE means, naming the limit and
 * its setting (malloc'd). */
char *node_limit_message(int result);

/* The component types a node may have: the spec's ComponentTypeStr list,
 * NULL-terminated (a superset of the node-type registry). */
extern const char *const node_component_types[];

/* Config kinds: system_prompt is kept on create only for these. */
int node_type_keeps_prompt(const char *type);
int node_type_is_trigger(const char *type);

/* All nodes of a workflow as a NodeOut array in id order, written to w
 * (the workflow detail's path: no jansson values are made). */
int node_list_write(struct db *db, int64_t workflow_id, struct jw *w);

/* All nodes of a workflow as a NodeOut array (new reference), in id order. */
int node_list(struct db *db, int64_t workflow_id, json_t **out);

/* One node as NodeOut (new reference). */
int node_get(struct db *db, int64_t workflow_id, const char *node_id, json_t **out);

/*
 * Creates a node and its config.  component_type is required in fields;
 * without a node_id one is generated: "<type>_<8 hex>", retried once with
 * 16 hex.  From config: extra_config always; system_prompt only for agent,
 * categorizer, router, extractor; the model group only for ai_model; the
 * trigger group (defaults is_active true, priority 0, trigger_config {})
 * only for trigger_*.  human_confirmation always interrupts before.
 * *node_id_out is the new node's id (malloc'd).
 * Joins the caller's write transaction when one is open (then commits
 * nothing; a failure rolls the whole transaction back), else runs its own.
 */
int node_create(struct db *db, int64_t workflow_id, json_t *fields, char **node_id_out);

/*
 * Applies the keys present in fields.  In config: system_prompt to any
 * kind, extra_config replaces the object, the model group only when the
 * stored config is ai_model, the trigger group only when it is trigger_*;
 * other keys are ignored.  *node_id_out is the node's id afterwards.
 * A new node_id is carried to the edges and the schedule that name the
 * node, in the same transaction (a deliberate difference: Pipelit leaves
 * them pointing at the old id).
 */
int node_update(struct db *db, int64_t workflow_id, const char *node_id, json_t *fields,
		char **node_id_out);

/* Deletes a node with its schedule, its edges and its config; references
 * to the config from other configs become null. */
int node_delete(struct db *db, int64_t workflow_id, const char *node_id);

#endif
