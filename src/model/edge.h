/*
 * edge.h: a workflow's edges (table workflow_edges), rendered as the API's
 * EdgeOut.  The only SQL for edges lives in model/edge.c; it also reads the
 * workflow's nodes where an edge needs their component types or configs.
 *
 * Every call takes a workflow id the caller has already looked up within
 * its scope (workflow_get), so edges of other users' workflows are never
 * reached.  Writes are one transaction each and check the rules of
 * graph/edge_rules.h against the nodes as they are inside it.
 */
#ifndef PIPELIT_MODEL_EDGE_H
#define PIPELIT_MODEL_EDGE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "db/db.h"

struct db;
struct jw;

#define EDGE_NODE_ID_MAX 255
#define EDGE_CONDITION_VALUE_MAX 100

enum edge_result {
	EDGE_OK = 0,
	EDGE_NOT_FOUND = 1,
	EDGE_CONDITIONAL_REFUSED = 2,   /* *message: a string detail */
	EDGE_TYPE_REFUSED = 3,          /* *message: one validation_errors item */
	EDGE_UNKNOWN_SOURCE = 4,        /* *message names the missing node */
	EDGE_UNKNOWN_TARGET = 5,        /* likewise */
	EDGE_TOO_MANY = 6,              /* the workflow has its most edges (model/limits.h);
					   *message: a string detail */
	EDGE_DB_ERROR = DB_FAILED,
};

/* The workflow's edges as an EdgeOut array in id order, written to w (the
 * workflow detail's path: no jansson values are made). */
int edge_list_write(struct db *db, int64_t workflow_id, struct jw *w);

/* The workflow's edges as an EdgeOut array (new reference) in id order. */
int edge_list(struct db *db, int64_t workflow_id, json_t **out);

/* One edge as EdgeOut (new reference). */
int edge_get(struct db *db, int64_t workflow_id, int64_t edge_id, json_t **out);

/*
 * Creates an edge from fields, an object of validated EdgeIn values
 * (source_node_id required; the others optional with the spec's defaults).
 * Refused with *message (malloc'd) when a rule fails.  An llm edge between
 * two existing nodes points the target's config at the source's config
 * (llm_model_config_id).  *edge_id is the new id.
 * Joins the caller's write transaction when one is open (then commits
 * nothing; a failure rolls the whole transaction back), else runs its own.
 */
int edge_create(struct db *db, int64_t workflow_id, json_t *fields, int64_t *edge_id,
		char **message);

/*
 * Sets the keys present in fields on an edge; the result must pass the
 * same rules as a new edge (a deliberate difference: Pipelit checks
 * nothing on update).  The llm link follows the edge: the old target's
 * link is cleared, the new one set.
 */
int edge_update(struct db *db, int64_t workflow_id, int64_t edge_id, json_t *fields,
		char **message);

/* Deletes an edge; an llm edge's target config loses its llm link. */
int edge_delete(struct db *db, int64_t workflow_id, int64_t edge_id);

/*
 * Every rule of POST /workflows/{slug}/validate/ over the stored graph:
 * *errors is an array of readable messages (new reference), empty when
 * the workflow is valid.
 */
int edge_validate_workflow(struct db *db, int64_t workflow_id, json_t **errors);

#endif
