/*
 * execution.h: executions (tables workflow_executions, execution_logs,
 * execution_jobs, pending_tasks).  The only SQL for them lives in
 * src/model/execution*.c.  Tables and their meaning: migration
 * e7a3c1d9b5f2 and doc/engine.md.
 *
 * Scope: "owner" is the user whose workflows' executions a call may see,
 * or EXEC_ANY_OWNER (admins).  Executions of other users' workflows
 * behave as missing (a 404), as Pipelit does not but DESIGN.md asks.
 */
#ifndef PIPELIT_MODEL_EXECUTION_H
#define PIPELIT_MODEL_EXECUTION_H

#include <stdint.h>

#include <jansson.h>

#include "db/db.h"

struct jw;

#define EXEC_ANY_OWNER 0
#define EXEC_ID_MAX 36

enum exec_result {
	EXEC_OK = 0,
	EXEC_NOT_FOUND = 1,          /* no such execution (or workflow) in scope */
	EXEC_WRONG_STATE = 2,        /* cancel of a finished one, confirm of one not waiting */
	EXEC_INACTIVE = 3,           /* the workflow is not active */
	EXEC_NO_TRIGGER = 4,         /* no trigger of the asked type (or that id) */
	EXEC_DB_ERROR = DB_FAILED,
};

/* --- starting an execution (the trigger's transaction) ------------------ */

struct exec_start {
	const char *workflow_slug;     /* the workflow to run */
	int64_t owner;                 /* scope of the slug lookup (EXEC_ANY_OWNER for admins) */
	int64_t user_profile_id;       /* who the execution runs for */
	const char *trigger_type;      /* "trigger_manual", "trigger_chat", ...; NULL: none
					* (an implicit subworkflow: no trigger node) */
	const char *trigger_node_id;   /* NULL: the first active node of trigger_type by
					* priority (descending), then id */
	json_t *payload;               /* borrowed: becomes state.trigger */
	const char *thread_id;         /* NULL: a random one */
	const char *parent_execution_id;  /* child executions: the parent and its node */
	const char *parent_node_id;
	int64_t now_ms;                /* unix ms */
};

/*
 * Starts an execution in the caller's write transaction when one is open
 * (the create of an idempotent request), else in its own: the execution row
 * (status pending, its snapshot of the workflow's graph, the initial state)
 * and its first job, then a wake-up for the executors.  *execution_id_out
 * receives the new id (EXEC_ID_MAX + 1 bytes).
 */
int execution_start(struct db *db, const struct exec_start *rq, char *execution_id_out);

/* --- reading (the executions API) ------------------------------------------ */

struct exec_filter {
	const char *workflow_slug;     /* NULL: all in scope */
	const char *status;            /* NULL: any */
	int64_t limit, offset;
};

/* {"items": [ExecutionOut...], "total": n}, newest first. */
int execution_list_write(struct db *db, int64_t owner, const struct exec_filter *f,
			 struct jw *w);
/* ExecutionDetailOut with its logs (in time order). */
int execution_detail_write(struct db *db, const char *execution_id, int64_t owner,
			   struct jw *w);
/* {execution_id, status, ...} for GET /executions/{id}/status/. */
int execution_status_write(struct db *db, const char *execution_id, int64_t owner,
			   struct jw *w);
/* Deletes those of ids that are in scope and finished; *deleted the count. */
int execution_delete_many(struct db *db, const char *const *ids, size_t n, int64_t owner,
			  int64_t *deleted);

/* --- steering a running execution ------------------------------------------ */

/*
 * Cancels an execution that is pending, running or interrupted: status
 * cancelled, completed_at, its jobs and pending tasks deleted, in one
 * transaction; its executors notice at their next completion (which then
 * finds its job gone) or at once through the wake-up.  *event_seq receives
 * the sequence number of the execution_cancelled event the caller
 * publishes after the commit, *slug the workflow's slug (malloc'd).
 */
int execution_cancel(struct db *db, const char *execution_id, int64_t owner, int64_t now_ms,
		     int64_t *event_seq, char **slug);

/*
 * Answers the human confirmation an interrupted execution waits for:
 * action "confirm" or "cancel" (task_id NULL: the execution's one pending
 * task).  Confirm re-queues the waiting node with {"action":"confirm"} as
 * its resume input and sets the execution running; cancel cancels it.  One
 * transaction.
 */
int execution_confirm(struct db *db, const char *execution_id, const char *task_id,
		      int64_t owner, const char *action, int64_t now_ms);

#endif
