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

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "db/db.h"

struct jw;
struct start_cache;

#define EXEC_ANY_OWNER 0
#define EXEC_ID_MAX 36

enum exec_result {
	EXEC_OK = 0,
	EXEC_NOT_FOUND = 1,          /* no such execution (or workflow) in scope */
	EXEC_WRONG_STATE = 2,        /* cancel of a finished one, confirm of one not waiting */
	EXEC_INACTIVE = 3,           /* the workflow is not active */
	EXEC_NO_TRIGGER = 4,         /* no trigger of the asked type (or that id) */
	EXEC_EXPIRED = 5,            /* a confirmation asked after its pending task expired */
	EXEC_STALE = 6,              /* the start's expect_revision is no longer the
				      * workflow's, or its owner is no longer active */
	EXEC_KEY_REFUSED = 7,        /* the start's confirm_key no longer stands */
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
	const char *thread_id;         /* NULL: a random one, or with thread_per_user */
	int thread_per_user;           /* thread_id NULL: "USER:WORKFLOW", the user's one
					* conversation with the workflow (a chat's) */
	const char *parent_execution_id;  /* child executions: the parent and its node */
	const char *parent_node_id;
	int64_t now_ms;                /* unix ms */
	const char *execution_id;      /* NULL: a new uuid; else this one (a schedule's
					* dispatch claims its due time with it first) */
	int no_notify;                 /* the caller wakes the executors once for a batch */
	int no_first_job;              /* the caller runs the trigger in this transaction
					* itself (engine/trigger.h): no first job, no
					* wake-up; execution_queue_start() if it cannot */
	int defer_row;                 /* with no_first_job and a row_out: the execution's
					* row is not written but handed over in
					* row_out->unwritten, for the caller to write once,
					* as it stands when the run ends (one INSERT, no
					* UPDATE after it), or earlier before anything
					* refers to it; at the latest before the commit */
	struct start_cache *cache;     /* NULL: none.  With one (model/start_cache.h), the
					* workflow may be taken from it instead of being
					* looked up; the row's write checks it is current,
					* and fails (DB_CLASS_CONSTRAINT) when it is not */
	int *from_cache;               /* non-NULL: set to 1 when the workflow came from
					* cache, else 0 */
	int again;                     /* engine_trigger_start: the last attempt failed on a
					* stale cache entry; this one looks everything up */
	int64_t expect_revision;       /* nonzero: the caller went ahead on what it kept of
					* the workflow at this revision (model/webhook_cache.h):
					* the start fails EXEC_STALE, writing nothing, unless
					* the revision is still this one and the owner active */
	const char *confirm_key;       /* non-NULL: the caller went ahead on an API key it
					* kept (model/key_cache.h), of this hash (hex): the
					* start fails EXEC_KEY_REFUSED, writing nothing,
					* unless the key is still active and
					* user_profile_id's, whose user is still active
					* with confirm_role (API_KEY_STILL_STANDS_SQL) */
	const char *confirm_role;      /* NULL: none, which no user has */
	int result_answered;           /* engine_trigger_start: the caller answers a
					* synchronous webhook's result itself, so it is not
					* published on the result channel */
};

/*
 * Starts an execution in the caller's write transaction when one is open
 * (the create of an idempotent request), else in its own: the execution row
 * (status pending, its snapshot of the workflow's graph, the initial state)
 * and its first job, then a wake-up for the executors.  *execution_id_out
 * receives the new id (EXEC_ID_MAX + 1 bytes).
 */
int execution_start(struct db *db, const struct exec_start *rq, char *execution_id_out);

/* The same, and *row_out (model/job.h, cleared by the caller with
 * exec_row_clear) receives the row as written, so a caller that runs the
 * execution in the same transaction need not read it back.  On failure
 * *row_out holds nothing. */
struct exec_row;
int execution_start_row(struct db *db, const struct exec_start *rq, char *execution_id_out,
			struct exec_row *row_out);

/* The row of an execution started with defer_row, not written yet. */
struct exec_unwritten;
/* Writes it with these values (status "pending", the initial state and
 * event_seq 0 as started; final_output, error, completed_ms NULL/0 when
 * not set).  It may be written once.  EXEC_OK or DB_FAILED. */
int exec_unwritten_write(struct db *db, struct exec_unwritten *u, const char *status,
			 const char *state, int64_t event_seq, const char *final_output,
			 const char *error, int64_t completed_ms);
void exec_unwritten_free(struct exec_unwritten *u);

/* Queues the first job of an execution started with no_first_job (the
 * trigger node_id, NULL or "" when there is none), due now, and unless
 * no_notify the executors' wake-up: what execution_start() does without
 * no_first_job.  In the caller's write transaction. */
int execution_queue_start(struct db *db, const char *execution_id, const char *trigger_node_id,
			  int64_t now_ms, int no_notify);

/* The owner of the workflow slug (for runs started by the operator). */
int execution_workflow_owner(struct db *db, const char *slug, int64_t *owner);

/* PostgreSQL: queues a NOTIFY that wakes executors on every host when the
 * open transaction commits (nothing on SQLite: see util/wake.h). */
int execution_notify_executors(struct db *db);

/* --- reading (the executions API) ------------------------------------------ */

struct exec_filter {
	const char *workflow_slug;     /* NULL: all in scope */
	const char *status;            /* NULL: any */
	int64_t limit, offset;
};

/* {"items": [ExecutionOut...], "total": n}: the page newest first (by
 * started_at; not yet started last), total counted before paging. */
int execution_list_write(struct db *db, int64_t owner, const struct exec_filter *f,
			 struct jw *w);
/* One ExecutionOut (the answer of cancel and confirm). */
int execution_out_write(struct db *db, const char *execution_id, int64_t owner, struct jw *w);
/* ExecutionDetailOut with its logs (in time order, each with its attempt),
 * the confirmation it waits for (or null) and the execution's event_seq (the last live event it published: a
 * client that reloaded skips events up to it). */
int execution_detail_write(struct db *db, const char *execution_id, int64_t owner,
			   struct jw *w);
/* The execution's status into status (cap bytes), whoever owns it:
 * EXEC_OK, EXEC_NOT_FOUND or DB_FAILED. */
int execution_status_read(struct db *db, const char *execution_id, char *status, size_t cap);
/* {execution_id, status, ...} for GET /executions/{id}/status/. */
int execution_status_write(struct db *db, const char *execution_id, int64_t owner,
			   struct jw *w);
/* Deletes those of ids that are in scope and finished (completed, failed
 * or cancelled; one in flight is left alone: cancel it first), with their
 * logs, in one transaction; *deleted the count. */
int execution_delete_many(struct db *db, const char *const *ids, size_t n, int64_t owner,
			  int64_t *deleted);

/* --- steering a running execution ------------------------------------------ */

/*
 * Cancels an execution that is pending, running or interrupted: status
 * cancelled, completed_at, its jobs and pending tasks deleted, in one
 * transaction; its executors notice at their next completion (which then
 * finds its job gone) or at once through the wake-up.  *event_seq receives
 * the sequence number of the execution_cancelled event the caller
 * publishes after the commit, *slug the workflow's slug (malloc'd; also
 * set for EXEC_WRONG_STATE, an execution that had already finished and is
 * left as it was).
 */
int execution_cancel(struct db *db, const char *execution_id, int64_t owner, int64_t now_ms,
		     int64_t *event_seq, char **slug);

/*
 * Answers the human confirmation an interrupted execution waits for, in
 * one transaction (pipelit-engine.md 2.10, its resume race fixed: the node
 * to resume is read before the task goes).
 *  - action "confirm": the execution's pending task (task_id NULL: its one
 *    task; execution_id NULL: the task's execution) is deleted, the node's
 *    waiting job queued now with {"action":"confirm"} as its resume input,
 *    and the execution set running.  EXEC_WRONG_STATE when the execution
 *    is not interrupted or has no such task; EXEC_EXPIRED when the task's
 *    expires_at has passed (the task is deleted, the execution stays
 *    interrupted: it can still be cancelled).
 *  - action "cancel": execution_cancel() (no task needed); when the call
 *    names its task by task_id and that task has expired, EXEC_EXPIRED
 *    as for a confirm.
 * *event_seq receives the sequence number of the event to publish
 * (execution_cancelled; 0 for a confirm, which publishes nothing: the
 * executor reports the node), *slug the workflow's slug (malloc'd) when
 * the execution was found.
 * When the caller has a write transaction open, the work joins it and the
 * caller commits (on EXEC_OK and EXEC_EXPIRED, which wrote) or rolls back
 * (on anything else: a refused confirm may have written part of its work).
 */
int execution_confirm(struct db *db, const char *execution_id, const char *task_id,
		      int64_t owner, const char *action, int64_t now_ms, int64_t *event_seq,
		      char **slug);

/* --- executions of a workflow being deleted ----------------------------------- */

/* One execution a change cancelled: the event to publish after its commit. */
struct exec_cancelled {
	char execution_id[EXEC_ID_MAX + 1];
	char *slug;                    /* owned */
	int64_t event_seq;
};

struct exec_cancelled_list {
	struct exec_cancelled *items;  /* owned */
	size_t n, cap;
};

void exec_cancelled_list_free(struct exec_cancelled_list *l);

/*
 * Inside the caller's write transaction: cancels every execution of
 * workflow_id in flight as execution_cancel() does, appending each (with
 * slug, the workflow's) to out, so the caller can publish their
 * execution_cancelled events after its commit.  A workflow's delete calls
 * it before its rows go.
 */
int execution_cancel_in_flight(struct db *db, int64_t workflow_id, const char *slug,
			       int64_t now_ms, struct exec_cancelled_list *out);

#endif
