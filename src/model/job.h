/*
 * job.h: the engine's work queue (table execution_jobs) and what a
 * completion writes (execution rows, log rows, pending tasks).  The only
 * SQL the engine runs lives in model/job.c; the meaning of each column is
 * in migration e7a3c1d9b5f2.
 *
 * Claims are short write transactions of their own, run without waiting
 * for the disk (db_set_commit_durable(db, 0)): a claim lost to a power
 * cut only means the job is claimed again.  Everything else here runs
 * inside the completion's transaction, which is durable.
 */
#ifndef PIPELIT_MODEL_JOB_H
#define PIPELIT_MODEL_JOB_H

#include <stdint.h>

#include <jansson.h>

#include "db/db.h"

#define JOB_OWNER_MAX 64

struct job {
	int64_t id;
	char execution_id[37];
	char *node_id;               /* malloc'd */
	int attempt;                 /* including this run */
	char *scope;                 /* malloc'd loop id, or NULL */
	int after;                   /* resumed after an interrupt_after: only advance */
	json_t *resume;              /* owned, or NULL */
	/* PostgreSQL: the execution's row as the claim read it (the same
	 * round trip), so the executor needs no query of its own to run the
	 * job; NULL otherwise.  Owned; status "" when the execution is gone. */
	struct exec_row *row;
};

void job_clear(struct job *j);

/* Claims up to max due jobs (queued and due, or leased with the lease
 * expired), earliest first, for owner, leased until now + lease_ms, in one
 * short transaction of their own.  On PostgreSQL each comes with its
 * execution's row (job.row): one round trip for the claim and the loads.
 * The number claimed (0 when nothing is due), with out[0..n) filled, or
 * DB_FAILED (nothing claimed). */
int job_claim_due(struct db *db, const char *owner, int64_t now_ms, int64_t lease_ms,
		  struct job *out, size_t max);

/* The earliest time a queued job falls due or a lease expires, in *due_ms;
 * 0, 1 when there is none (an idle queue), DB_FAILED. */
int job_next_due(struct db *db, int64_t *due_ms);

/* Jobs an executor holds while their nodes wait on I/O: renews every lease
 * of owner until until_ms (one statement, its own transaction). */
int job_renew_leases(struct db *db, const char *owner, int64_t until_ms);
/* The ids of the jobs owner holds now (*ids malloc'd): a job missing from
 * them was cancelled or taken over.  0 or DB_FAILED. */
int job_held_ids(struct db *db, const char *owner, int64_t **ids, size_t *n);

/* --- inside the completion's transaction --------------------------------- */

/* held[i]: whether owner still holds job ids[i] at attempts[i] (1), or
 * it is not ours any more (0: cancelled, or our lease expired and another
 * executor took it over).  The held ones stay ours until the transaction
 * ends.  One statement per up to 32 jobs.  0 or DB_FAILED. */
int job_hold_many(struct db *db, const char *owner, const int64_t *ids, const int *attempts,
		  size_t n, int *held);

/* Deletes a job job_hold_many found held, in the same transaction.  On
 * PostgreSQL it travels with the next round trip (db_step_later), whose
 * call reports a failure.  0 or DB_FAILED. */
int job_finish_held(struct db *db, int64_t job_id);

/* Whether owner still holds the job at this attempt, checked by the
 * update itself, keeping the row: for retries and waits.  1 changed, 0
 * when it is not ours any more, DB_FAILED. */
int job_requeue(struct db *db, int64_t job_id, const char *owner, int attempt, int64_t due_ms);
int job_set_waiting(struct db *db, int64_t job_id, const char *owner, int attempt, int after);

/* Queues a job; with owner it is leased to owner at once (the executor
 * that queued it runs it next) with due_ms as the lease's expiry.
 * runs_done: the runs the node already had (a node run inline that failed
 * and is retried from the queue); the job's run is the next.  *id_out the
 * new id; with id_out NULL nothing is read back, and on PostgreSQL the row
 * travels with the transaction's next round trip (db_step_later). */
int job_insert(struct db *db, const char *execution_id, const char *node_id, const char *scope,
	       int64_t due_ms, const char *owner, int runs_done, int64_t *id_out);

/* The waiting job of node_id in execution_id becomes due now with resume
 * as its input (a child execution finished).  1 when one was waiting. */
int job_wake_waiting(struct db *db, const char *execution_id, const char *node_id,
		     const json_t *resume, int64_t now_ms);

/* left[i]: whether execution ids[i] has any job left (1/0); one statement
 * per up to 32.  0 or DB_FAILED. */
int job_left_many(struct db *db, const char *const *ids, size_t n, int *left);
/* Deletes every job of the execution. */
int job_delete_all(struct db *db, const char *execution_id);

/* --- execution rows ----------------------------------------------------------- */

struct exec_unwritten;

struct exec_row {
	char id[37];
	char status[16];
	int64_t workflow_id;
	int64_t user_profile_id;
	int64_t event_seq;
	int64_t deadline_ms;
	int64_t started_ms;
	char *trigger_node_id;       /* node_id string, malloc'd, NULL when none */
	char *parent_execution_id;   /* malloc'd or NULL */
	char *parent_node_id;        /* malloc'd or NULL ("" stored) */
	char *state;                 /* JSON text, malloc'd; NULL when state_value is set */
	json_t *state_value;         /* the state itself, owned (a new execution's, which
				      * is never read back), else NULL */
	int64_t snapshot_revision;   /* the workflow revision whose graph it runs */
	struct exec_unwritten *unwritten; /* started with defer_row: the row not yet
					   * written (model/execution.h); else NULL */
};

void exec_row_clear(struct exec_row *r);

/* Loads the execution.  Without with_graph (a completion), PostgreSQL
 * locks its row until the transaction ends, so completions of one
 * execution on several hosts apply one after the other.  0,
 * EXEC_NOT_FOUND (1), DB_FAILED. */
int exec_row_load(struct db *db, const char *id, int with_graph, struct exec_row *out);

/* What a completion needs first of an execution: whether it still runs,
 * and whether the state an executor holds is the current one. */
struct exec_head {
	char id[37];
	char status[16];             /* "" when the execution is gone */
	int64_t event_seq;
};

/* The heads of the executions ids[0..n) (out[i] for ids[i]), and on
 * PostgreSQL their rows locked until the transaction ends, taken in the
 * order of their ids (so two transactions that lock some of the same
 * executions never deadlock): one statement per up to 32.  0 or DB_FAILED. */
int exec_heads_lock(struct db *db, const char *const *ids, size_t n, struct exec_head *out);

/* The graph executions of (workflow, revision) run (JSON text, malloc'd),
 * or NULL. */
char *exec_snapshot_load(struct db *db, int64_t workflow_id, int64_t revision);

/* Writes status, state and event_seq back; final_output (JSON text or
 * NULL), error (NULL: unchanged) and completed_ms (0: unchanged) as given. */
int exec_row_save(struct db *db, const char *id, const char *status, const char *state,
		  int64_t event_seq, const char *final_output, const char *error,
		  int64_t completed_ms);

struct exec_log {
	const char *execution_id, *node_id, *status;   /* "completed" | "failed" */
	const char *input, *output, *error, *error_code, *metadata;  /* JSON text / text, may be NULL */
	int64_t duration_ms;
	int attempt;
	int64_t at_ms;
};

/* Inserts n log rows, in as few statements as it can (one per up to 32). */
int exec_log_insert_many(struct db *db, const struct exec_log *logs, size_t n);

/* A human-confirmation wait: a pending_tasks row; *task_id (9 bytes) the
 * new task's id. */
int exec_task_insert(struct db *db, const char *execution_id, int64_t user_id,
		     const char *chat_id, const char *credential_id, const char *node_id,
		     const char *prompt, int64_t expires_ms, char task_id[9]);

/* system_config.confirmation_timeout_seconds (300 when unset). */
int exec_confirmation_timeout(struct db *db, int64_t *seconds);

/* An execution's status, final output (JSON text or NULL) and error
 * message, all malloc'd: 0, EXEC_NOT_FOUND (1), DB_FAILED. */
int exec_result(struct db *db, const char *id, char status[16], char **final_output,
		char **error);

/* The execution at the top of parent_id's chain of parents (malloc'd): where
 * a subworkflow's node events are re-sent. */
char *exec_root_id(struct db *db, const char *parent_id);

/* The workflow's slug (malloc'd) for event channels, NULL on failure. */
char *exec_workflow_slug(struct db *db, int64_t workflow_id);

#endif
