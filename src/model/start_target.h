/*
 * start_target.h: the workflow a trigger starts, with what the execution
 * row needs (found by execution_start.c, kept by start_cache.c).
 * Internal to the model.
 */
#ifndef PIPELIT_MODEL_START_TARGET_H
#define PIPELIT_MODEL_START_TARGET_H

#include <stdint.h>

#include "model/execution.h"

struct start_target {
	int64_t id, owner_id, max_execution_seconds, error_handler_id, revision;
	int is_active;
	int owner_active;            /* the owner's user_profiles.is_active */
	int has_snapshot;            /* the revision's snapshot is written */
	int64_t trigger_pk;          /* workflow_nodes.id, 0 when none */
	char *trigger_node_id;       /* malloc'd, NULL when none */
};

/* 1 and *t filled (its trigger_node_id the caller's to free) when c holds
 * the target of rq's lookup; else 0. */
int start_cache_get(const struct start_cache *c, const struct exec_start *rq,
		    struct start_target *t);

/* Keeps t as the target of rq's lookup.  Only a target whose snapshot was
 * already written before this transaction belongs here: a later trigger
 * that takes it writes no snapshot of its own. */
void start_cache_put(struct start_cache *c, const struct exec_start *rq,
		     const struct start_target *t);

#endif
