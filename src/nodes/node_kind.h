/*
 * node_kind.h: what a node kind is, seen from the engine.
 *
 * One file per kind under src/nodes/ fills one struct node_kind.  A kind
 * sees a struct node_ctx and nothing else: never a request, never SQL,
 * never the database.  Everything with a side effect outside the node's
 * own result (starting a child execution, waiting for a human, delaying
 * successors, routing) is *declared* in the result with the reserved keys
 * of pipelit-engine.md section 3, and the engine carries it out inside the
 * node's completion transaction, so it is as durable as the completion.
 *
 * The result of a run is a JSON object: keys without a leading '_' are the
 * node's ports (they become node_outputs[node_id]); reserved keys:
 *   _route          string: state.route (conditional edges match it)
 *   _messages       array: appended to state.messages
 *   _state_patch    object: top-level keys overwrite the state (except
 *                   messages, node_outputs, node_results)
 *   _delay_seconds  number: successors become due after this delay
 *   _loop           {"items": [...]}: starts a loop over items
 *   _subworkflow    {"workflow": slug, "trigger_mode": "implicit"|"explicit",
 *                    "trigger_node_id": id|null, "payload": {...}}: starts a
 *                   child execution (implicit: no trigger node; explicit:
 *                   that trigger_node_id, or the target's first
 *                   trigger_workflow node by priority); the node
 *                   waits and is run again with ctx->resume set to
 *                   {"child_execution_id", "status", "output"|"error"}
 *   _token_usage    usage counters (agents)
 *   _output         any: sets state.output (what reply_chat does; the
 *                   final output is then {"output": value})
 * Other '_' keys are dropped.
 */
#ifndef PIPELIT_NODES_NODE_KIND_H
#define PIPELIT_NODES_NODE_KIND_H

#include <stdint.h>

#include <curl/curl.h>
#include <jansson.h>

struct outbound_policy;
struct node_ctx;
struct budget_ticket;   /* engine/services.c */
struct turn_ticket;     /* engine/services.c */

/* A model call's usage, replacing its reservation (node_services). */
struct turn_usage {
	int64_t reservation;         /* 0: none to settle */
	long input_tokens, output_tokens;
	int64_t usd_micros;
};

/* What a run or resume ended in. */
enum step {
	STEP_DONE = 0,     /* ctx->result holds the result */
	STEP_FAILED = 1,   /* ctx->error (and error_code) say why */
	STEP_WAITING = 2,  /* waits on I/O it started on services->multi, or on its
			    * wake time (ctx->wake_at_ms): the engine calls the
			    * kind's step() when ctx->ready is set or the time
			    * comes (doc/engine.md, "Nodes that wait on I/O") */
};

#define NODE_ERROR_MAX 2000
#define NODE_ERROR_CODE_MAX 50

/* Services the engine offers a kind that needs more than its inputs.
 * Each is synchronous and bounded; NULL when the engine has none. */
struct node_services {
	void *arg;
	/* identify_user: finds or creates the memory user "<channel>:<id>",
	 * counts the conversation, and returns its context object (new
	 * reference: {user_id, is_new, display_name, preferences, facts,
	 * history, total_conversations, first_seen}); NULL with *err set
	 * (malloc'd) on failure. */
	json_t *(*memory_user_identify)(void *arg, const char *channel, const char *external_id,
					const char *display_name, char **err);

	/* --- for kinds that wait on I/O -------------------------------- */
	/* The executor's libcurl multi handle: a kind adds its transfers to
	 * it, each bound to a struct transfer (net/transfer.h) whose done()
	 * sets ctx->ready.  NULL where nothing may wait (then such a kind
	 * fails). */
	CURLM *multi;
	/* The operator's outbound policy: every request a kind makes goes
	 * through it (net/outbound.h). */
	const struct outbound_policy *policy;
	/* Publishes a live event of the node's execution on its channels,
	 * outside any transaction and with no sequence number (chat deltas,
	 * a tool's progress): a client that misses one loses nothing the
	 * REST resources do not have.  data is borrowed. */
	void (*publish_live)(void *arg, const struct node_ctx *ctx, const char *type,
			     const json_t *data);

	/* --- for agents (each synchronous, one short transaction) ------- */
	/* A credential of the workflow's owner, its detail with secrets in
	 * clear (new reference), when it is of type `type`; NULL with *err. */
	json_t *(*credential_detail)(void *arg, const struct node_ctx *ctx, int64_t credential_id,
				     const char *type, char **err);
	/* The owner's SearXNG tool credential for a web_search node that
	 * names none: the preferred one, else the first (detail, new
	 * reference), or NULL when there is none. */
	json_t *(*searxng_default)(void *arg, const struct node_ctx *ctx);
	/* The node's conversation so far in this execution (checkpointed by
	 * an earlier attempt): {"step", "messages", "state"} (new reference),
	 * or NULL when there is none (or on error, with *err). */
	json_t *(*checkpoint_load)(void *arg, const struct node_ctx *ctx, char **err);
	/* Saves it after a model answer or a tool result: 0 or -1. */
	int (*checkpoint_save)(void *arg, const struct node_ctx *ctx, int step,
			       const json_t *messages, const json_t *state, char **err);
	/* A conversation-memory thread (the checkpoint store): its messages
	 * (new reference, [] when none), or NULL with *err. */
	json_t *(*thread_load)(void *arg, const char *thread_id, char **err);
	int (*thread_append)(void *arg, const char *thread_id, const json_t *messages, int step,
			     char **err);
	/* Reserves a call's worst case against the workflow's budget
	 * (doc/budgets.md): 0 with *reservation, 1 refused (why: the
	 * figures), -1 on error (why). */
	int (*budget_reserve)(void *arg, const struct node_ctx *ctx, long tokens,
			      int64_t usd_micros, int64_t *reservation, char *why, size_t why_len);
	/* The same reservation, asked for with the other calls the executor
	 * starts in this round of its pass: it makes all of theirs in one
	 * statement and one commit, not a round trip per call.  The node
	 * returns STEP_WAITING; ctx->ready is set once the answer is in, and
	 * budget_reserved() gives it (as budget_reserve's, the ticket freed),
	 * or -2 while it is not.  NULL (or a NULL ticket): budget_reserve. */
	struct budget_ticket *(*budget_reserve_later)(void *arg, struct node_ctx *ctx, long tokens,
						      int64_t usd_micros);
	int (*budget_reserved)(void *arg, struct budget_ticket *ticket, int64_t *reservation,
			       char *why, size_t why_len);
	/* A ticket whose node ends before it took the answer: freed, and a
	 * reservation it was granted released. */
	void (*budget_ticket_drop)(void *arg, struct budget_ticket *ticket);
	/* Replaces a reservation by what the call used; all zero: the call
	 * was never made, the reservation is released. */
	int (*budget_settle)(void *arg, int64_t reservation, long input_tokens, long output_tokens,
			     int64_t usd_micros);
	/* An answer's writes (its budget settlement and the checkpoint
	 * after it), made with the other answers' of this round of the
	 * executor's pass in one transaction, not one each: the settlement
	 * of reservation (when not 0) by the usage given, and the checkpoint
	 * of step (messages, state: referenced until written).  The node
	 * returns STEP_WAITING; ctx->ready is set once they are committed,
	 * and turn_written() then frees the ticket and says how it went (0,
	 * or -1: both lost, as either alone could be: a settlement lost is
	 * charged at its estimate later, a checkpoint lost costs a later
	 * attempt calls, not messages), or -2 while they are not.  So
	 * nothing the node does after its answer (a tool's request, the
	 * thread's append) comes before its checkpoint.  Required by the
	 * agents (they run only in an executor). */
	struct turn_ticket *(*turn_later)(void *arg, struct node_ctx *ctx,
					  const struct turn_usage *usage, int step,
					  json_t *messages, json_t *state);
	int (*turn_written)(void *arg, struct turn_ticket *ticket);
	/* A ticket whose node ends first: its writes are still made (the
	 * call was made), then it is freed. */
	void (*turn_ticket_drop)(void *arg, struct turn_ticket *ticket);
	/* Before a run: 1 (why says it) when the workflow has a USD limit and
	 * a model without a price; 0 when it may run; -1 on error. */
	int (*budget_check)(void *arg, const struct node_ctx *ctx, char *why, size_t why_len);
	/* The memory tools (recall, remember): the tool's text (malloc'd), or
	 * NULL with *err. */
	char *(*memory_tool)(void *arg, const char *tool, const json_t *args,
			     const json_t *extra_config, char **err);
};

struct node_ctx {
	/* --- inputs, read-only, owned by the engine -------------------- */
	const char *execution_id;
	const char *node_id;
	const char *component_type;
	/* The node as the workflow detail renders it (NodeOut: node_id,
	 * component_type, config{system_prompt, extra_config, ...}, ...),
	 * with every string of config.system_prompt and config.extra_config
	 * already expression-resolved. */
	const json_t *node;
	/* Shortcut: node.config.extra_config (an object, never NULL). */
	const json_t *extra_config;
	/* The execution state (pipelit-engine.md 2.5): trigger, node_outputs,
	 * route, user_context, messages, output, loop (inside a loop body). */
	const json_t *state;
	/* Set when the node runs again after a wait: the human's answer
	 * ({"action": "confirm"|"cancel", "input": text}) or a child's result
	 * (see _subworkflow above).  NULL on a first run. */
	const json_t *resume;
	int attempt;                 /* 1 on the first run, 2 on the first retry, ... */
	int64_t job_id;              /* the node job: the same on every attempt of this run,
				      * another in each iteration of a loop (0: run inline) */
	const struct node_services *services;
	/* The execution's graph snapshot ({"workflow", "nodes", "edges"}),
	 * borrowed: a kind that needs its sub-components (an agent's model
	 * and tools) finds them here. */
	const json_t *snapshot;
	int64_t workflow_id;
	int64_t owner_id;            /* the workflow's owner: whose credentials it uses */
	int64_t user_profile_id;     /* who the execution runs for (0: nobody) */

	/* --- outputs, written by the kind ------------------------------ */
	json_t *result;              /* STEP_DONE: a new reference the engine takes */
	char error[NODE_ERROR_MAX + 1];              /* STEP_FAILED: readable message */
	char error_code[NODE_ERROR_CODE_MAX + 1];    /* STEP_FAILED: short code, e.g. "bad_regex" */
	int no_retry;                /* STEP_FAILED: set when retrying cannot help */

	/* --- a run that waits (STEP_WAITING) ---------------------------- */
	void *io;                    /* the kind's own state between steps: it frees
				      * it before returning DONE or FAILED, and in
				      * cancel() */
	int64_t wake_at_ms;          /* call step() at this time (0: no timer) */
	int ready;                   /* set by the kind's transfer callbacks: call step() */
};

struct node_kind {
	const char *name;                       /* component_type: "switch", ... */
	/* Checks a node's config before it is saved (NULL: anything goes):
	 * config is the node's config.extra_config (an object), unrendered
	 * (a string holding "{{" or "{%" is only known at run time, and
	 * passes).  Returns 0, or -1 with a readable message in *msg
	 * (malloc'd). */
	int (*check_config)(const json_t *config, char **msg);
	enum step (*run)(struct node_ctx *ctx);
	/* After a wait (a child finished, a human answered); NULL: run again. */
	enum step (*resume)(struct node_ctx *ctx);
	/* The execution is cancelled while the node waits (NULL: nothing to do):
	 * for a run waiting on I/O, abort its transfers at once and free
	 * ctx->io. */
	void (*cancel)(struct node_ctx *ctx);
	/* A run that returned STEP_WAITING goes on: called when ctx->ready was
	 * set or ctx->wake_at_ms passed (both are reset before the call).
	 * Returns like run(). */
	enum step (*step)(struct node_ctx *ctx);
	/* Its run needs nothing but its inputs and returns at once: no I/O, no
	 * services, no child execution, no wait for a human.  The engine may
	 * then run it inside the completion transaction of the node before it,
	 * with no job row of its own (doc/engine.md, "Inline runs"). */
	int runs_inline;
};

/* The kind named name, or NULL when no kind of that name can run (triggers
 * and sub-components are not run by the engine). */
const struct node_kind *node_kind_find(const char *name);

/* Helpers every kind may use. */

/* Sets ctx->error and ctx->error_code (printf-style message); returns
 * STEP_FAILED. */
enum step node_fail(struct node_ctx *ctx, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
