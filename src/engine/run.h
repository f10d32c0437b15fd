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

/* What one run of one node needs (all borrowed). */
struct run_input {
	const struct topology *topo;
	int node;                    /* index in topo */
	const json_t *state;         /* not changed */
	const json_t *resume;        /* the job's resume input, or NULL */
	int attempt;
	int64_t job_id;
	const char *execution_id;
	int64_t workflow_id, owner_id, user_profile_id;
	const struct node_services *services;
	int test_kinds;              /* the test-only kinds may run (engine/test_kinds.h) */
};

/* A run that waits on I/O (node_kind.h STEP_WAITING). */
struct node_run;

/*
 * Runs the node; fills *out (kind DONE or FAILED) and returns NULL when the
 * run ended, or returns the run in progress when the kind waits (*out is
 * then empty).  The run keeps what it needs of in, except topo, which
 * must outlive it.
 */
struct node_run *run_node(const struct run_input *in, struct outcome *out);
/* 1 when the run must step now (a transfer of it ended, or its time came). */
int run_node_due(const struct node_run *r, int64_t now_ms);
/* When it must step (ms since the epoch; 0: only when a transfer ends). */
int64_t run_node_wake_at(const struct node_run *r);
/* Steps the run: 1 when it ended (out filled, r freed), 0 when it still
 * waits. */
int run_node_step(struct node_run *r, struct outcome *out);
/* Stops it at once (the kind aborts its transfers) and frees it. */
void run_node_cancel(struct node_run *r);
const char *run_node_id(const struct node_run *r);

/* What an expression may name while node runs: every node's output by
 * node id, "trigger" (the payload) and, inside a loop, "loop".  New
 * reference. */
json_t *run_expression_vars(const json_t *state);

#endif
