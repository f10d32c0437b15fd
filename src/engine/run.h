/*
 * run.h: one run of one node, as the executor does it: the node's config
 * resolved against the state (expressions), its kind called, the outcome
 * recorded for the completion's transaction.  No database here.
 */
#ifndef PIPELIT_ENGINE_RUN_H
#define PIPELIT_ENGINE_RUN_H

#include <stdint.h>

#include <jansson.h>

#include "nodes/node_kind.h"

struct topology;

enum outcome_kind {
	OUTCOME_DONE,           /* result holds the node's result */
	OUTCOME_FAILED,         /* error, error_code, no_retry */
	OUTCOME_INTERRUPT,      /* waits for a human before (or after) running */
	OUTCOME_ADVANCE,        /* resumed after interrupt_after: only move on */
	OUTCOME_START,          /* the trigger (or start) job: queue the first nodes */
	OUTCOME_TIMEOUT,        /* max_execution_seconds passed */
	OUTCOME_DROP,           /* nothing to do: the execution is over */
};

struct outcome {
	enum outcome_kind kind;
	json_t *result;         /* owned */
	json_t *log_input;      /* owned: what the log row shows as input */
	char error[NODE_ERROR_MAX + 1];
	char error_code[NODE_ERROR_CODE_MAX + 1];
	int no_retry;
	int64_t started_ms, duration_ms;
};

void outcome_clear(struct outcome *o);

/*
 * Runs node index `node` of t against state (borrowed, not changed) with
 * the job's attempt and resume input; fills *out (kind DONE or FAILED).
 * test_kinds: the test-only kinds may run (engine/test_kinds.h).
 */
void run_node(const struct topology *t, int node, const json_t *state, const json_t *resume,
	      int attempt, const char *execution_id, const struct node_services *services,
	      int test_kinds, struct outcome *out);

/* What an expression may name while node runs: every node's output by
 * node id, "trigger" (the payload) and, inside a loop, "loop".  New
 * reference. */
json_t *run_expression_vars(const json_t *state);

#endif
