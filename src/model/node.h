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
 * NULL.  Which config keys are stored depends on the node's kind: the
 * registry's flags (graph/node_types.h) say which groups a kind keeps.
 */
#ifndef PIPELIT_MODEL_NODE_H
#define PIPELIT_MODEL_NODE_H

#include <stdint.h>

#include <jansson.h>

#include "db/db.h"
#include "graph/node_types.h"

struct db;
struct jw;
struct field_keyring;

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
	NODE_BAD_CONFIG = 7,        /* extra_config breaks the kind's rules (*why says how) */
	NODE_WEBHOOK_PATH_TAKEN = 8,  /* another trigger_webhook has the path (*why) */
	NODE_NEEDS_KEY = 9,         /* a webhook secret to seal, and no usable
				       FIELD_ENCRYPTION_KEY (ring NULL) */
	NODE_DB_ERROR = DB_FAILED,
};

/* What NODE_TOO_MANY or NODE_CONFIG_TOO_LARGE means, naming the limit and
 * its setting (malloc'd). */
char *node_limit_message(int result);

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
 * 16 hex.  From config: extra_config always; system_prompt only for
 * NODE_KEEPS_PROMPT kinds (agent, categorizer, router, extractor); the
 * model group only for NODE_MODEL_CONFIG (ai_model); the trigger group
 * (defaults is_active true, priority 0, trigger_config {}) only for
 * triggers.  NODE_INTERRUPTS_BEFORE kinds (human_confirmation) always
 * interrupt before.
 * *node_id_out is the new node's id (malloc'd).
 * Joins the caller's write transaction when one is open (then commits
 * nothing; a failure rolls the whole transaction back), else runs its own.
 *
 * A trigger_webhook (graph/webhook_config.h) is checked here too, and its
 * path and secret written to webhook_paths in the same transaction
 * (model/webhook.h): NODE_BAD_CONFIG or NODE_WEBHOOK_PATH_TAKEN with *why
 * filled (why may be NULL; free it with config_problem_free), and
 * NODE_NEEDS_KEY when a new secret is given and ring is NULL.
 */
int node_create(struct db *db, int64_t workflow_id, json_t *fields,
		const struct field_keyring *ring, char **node_id_out, struct config_problem *why);

/*
 * Applies the keys present in fields.  In config: system_prompt to any
 * kind, extra_config replaces the object, the model group only when the
 * stored config's kind keeps it, the trigger group only for a trigger;
 * other keys are ignored.  *node_id_out is the node's id afterwards.
 * A new node_id is carried to the edges and the schedule that name the
 * node, in the same transaction (a deliberate difference: Pipelit leaves
 * them pointing at the old id).  A node that is, or becomes, a
 * trigger_webhook is checked and its webhook_paths row written as on
 * create (with the stored extra_config when none is sent; the mask keeps
 * the stored secret); a node that stops being one loses its row.
 */
int node_update(struct db *db, int64_t workflow_id, const char *node_id, json_t *fields,
		const struct field_keyring *ring, char **node_id_out, struct config_problem *why);

/* Deletes a node with its schedule, its edges, its config and its webhook
 * path (by cascade); references to the config from other configs become
 * null. */
int node_delete(struct db *db, int64_t workflow_id, const char *node_id);

#endif
