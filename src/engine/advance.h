/*
 * advance.h: what follows a node's completion (pipelit-engine.md 2.7, 2.8,
 * 3), as a pure function of the topology and the execution state.
 *
 * The engine applies a node's result to the state, then asks what runs
 * next; the answer is a plan (jobs to queue, events to publish) that the
 * completion's transaction carries out.  The bookkeeping that makes this
 * work across processes lives in the state itself, under "_engine":
 *   arrivals  {target: {source: true (completed, edge taken) |
 *                               false (ruled out)}}: the barrier of nodes
 *             with several inputs (a node runs once every source arrived,
 *             if at least one was taken; when all were ruled out, it is
 *             ruled out too and so are its successors)
 *   loops     {loop_node: {items, index, results, pending, scope}}: a
 *             running loop; pending counts the iteration's jobs in flight
 */
#ifndef PIPELIT_ENGINE_ADVANCE_H
#define PIPELIT_ENGINE_ADVANCE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct topology;

struct plan_job {
	char *node_id;               /* malloc'd */
	int64_t delay_ms;
	char *scope;                 /* the loop the run belongs to (malloc'd), or NULL */
};

struct plan_event {
	char *type;                  /* malloc'd */
	json_t *data;                /* owned */
};

struct plan {
	struct plan_job *jobs;
	size_t n_jobs;
	struct plan_event *events;
	size_t n_events;
};

void plan_free(struct plan *p);
void plan_event(struct plan *p, const char *type, json_t *data);  /* takes data */

/* What a result asked for besides its ports (pipelit-engine.md 3). */
struct result_effects {
	char *route;                 /* _route, malloc'd, or NULL */
	int64_t delay_ms;            /* _delay_seconds */
	json_t *loop_items;          /* _loop.items (new reference), or NULL */
	json_t *subworkflow;         /* _subworkflow (new reference), or NULL */
	json_t *token_usage;         /* _token_usage (new reference), or NULL */
};

void result_effects_free(struct result_effects *fx);

/*
 * Applies a node's result to state: ports replace node_outputs[node_id],
 * _messages are appended, _state_patch overwrites (but never messages,
 * node_outputs or node_results), _output sets state.output, _route sets
 * state.route.  The rest goes to *fx.  result is borrowed.
 */
void state_apply_result(json_t *state, const char *node_id, const json_t *result,
			struct result_effects *fx);

/*
 * The successors of node index `from` after it completed in scope (a
 * loop id or NULL), taking conditional edges by route: queues the nodes
 * whose barrier is now complete, rules out the rest, runs loop and
 * iteration bookkeeping.  Adds jobs and node_enqueued events to plan.
 */
void advance_from(const struct topology *t, json_t *state, int from, const char *route,
		  const char *scope, int64_t delay_ms, struct plan *plan);

/* The node index `loop` completed with items: starts the loop (or, with
 * no items or no body, moves on along its done edges). */
void advance_loop_start(const struct topology *t, json_t *state, int loop, json_t *items,
			const char *scope, int64_t delay_ms, struct plan *plan);

/* A job of scope ended without successors of its own in the loop (a
 * failure under on_error=continue): counts it out of the iteration. */
void advance_scope_done(const struct topology *t, json_t *state, const char *scope,
			struct plan *plan);

/* The loop's on_error setting is "continue". */
int advance_loop_continues(const struct topology *t, const char *scope);

/* Queues the execution's first nodes after the trigger (or start) job. */
void advance_start(const struct topology *t, json_t *state, struct plan *plan);

#endif
