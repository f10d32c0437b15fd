/*
 * schedule.h: schedules (table scheduled_jobs, with schedule_runs: one row
 * per due time dispatched).  The only SQL for them lives in
 * src/model/schedule*.c.  What a user sees: doc/schedules.md.
 *
 * States (pipelit-engine.md 8): active -> paused (pause) -> active
 * (resume); active -> done (total_repeats reached) or dead (dispatch
 * failed more than max_retries times in a row); stop deletes the row.
 * next_run_ms is the next due time of an active schedule (NULL otherwise):
 * executors sleep until the earliest one (schedule_dispatch.c).
 *
 * Scope: "owner" is the user whose workflows' schedules a call may see, or
 * SCHED_ANY_OWNER (admins).  Another user's schedule behaves as missing.
 *
 * Every write that may change when something is due queues a NOTIFY
 * (PostgreSQL) in its transaction; on SQLite the caller wakes this host's
 * executors after the commit (util/wake.h).
 */
#ifndef PIPELIT_MODEL_SCHEDULE_H
#define PIPELIT_MODEL_SCHEDULE_H

#include <stdint.h>

#include <jansson.h>

#include "db/db.h"

struct jw;

#define SCHED_ANY_OWNER 0
#define SCHED_ID_MAX 36

enum sched_result {
	SCHED_OK = 0,
	SCHED_NOT_FOUND = 1,          /* no such schedule in scope */
	SCHED_WRONG_STATE = 2,        /* pause of one not active, resume of one not paused */
	SCHED_WORKFLOW_NOT_FOUND = 3, /* the workflow named is not in scope */
	SCHED_NODE_NOT_FOUND = 4,     /* the node route's node does not exist */
	SCHED_NOT_SCHEDULE_NODE = 5,  /* ... or is not a trigger_schedule */
	SCHED_BAD_TIMING = 6,         /* the node's extra_config has no usable timing (*why) */
	SCHED_DB_ERROR = DB_FAILED,
};

/*
 * Fields are validated values keyed by the API's names (api/schedules.c):
 * name, description, workflow_id, trigger_node_id, interval_seconds, cron,
 * timezone, total_repeats, max_retries, timeout_seconds, trigger_payload,
 * missed_runs, catch_up_limit.  A cron schedule stores interval_seconds 0
 * (and answers null); sending interval_seconds makes a schedule an
 * interval one again (cron and timezone cleared).
 */

/* Creates an active schedule of user_id, first due one period from now.
 * SCHED_WORKFLOW_NOT_FOUND when workflow_id is not in owner's scope.
 * id_out receives the new id (SCHED_ID_MAX + 1 bytes). */
int schedule_create(struct db *db, json_t *fields, int64_t user_id, int64_t owner,
		    int64_t now_ms, char *id_out);

/* ScheduledJobOut (pipelit-api.md 2, plus cron, timezone, missed_runs,
 * catch_up_limit). */
int schedule_write(struct db *db, const char *id, int64_t owner, struct jw *w);

/* {"items": [...], "total": n}, newest first; status and workflow_id
 * (0: any) filter. */
int schedule_list_write(struct db *db, int64_t owner, const char *status, int64_t workflow_id,
			int64_t limit, int64_t offset, struct jw *w);

/* Applies the fields sent; an active schedule whose timing changed is due
 * one period from now. */
int schedule_update(struct db *db, const char *id, int64_t owner, json_t *fields,
		    int64_t now_ms);

int schedule_pause(struct db *db, const char *id, int64_t owner);
/* paused -> active, due one period from now (from its current repeat and
 * retry, as Pipelit). */
int schedule_resume(struct db *db, const char *id, int64_t owner, int64_t now_ms);
int schedule_delete(struct db *db, const char *id, int64_t owner);
/* Deletes those of ids that are in scope; *deleted the count. */
int schedule_delete_many(struct db *db, const char *const *ids, size_t n, int64_t owner,
			 int64_t *deleted);

/* The workflow slug (malloc'd) and node id (malloc'd, NULL when the
 * schedule has no node) of a schedule in scope, for its node_updated
 * event; SCHED_NOT_FOUND. */
int schedule_node_of(struct db *db, const char *id, int64_t owner, char **slug,
		     char **node_id);

/* The next due times of an active schedule (its stored next one, then
 * the ones after it), at most max, into out; *zone its time zone
 * (malloc'd, NULL for UTC).  None for a schedule that is not active. */
int schedule_next_runs(struct db *db, const char *id, int64_t owner, int64_t *out, size_t max,
		       size_t *n, char **zone);

/* --- the trigger_schedule node's routes (pipelit-api.md 3.5) ------------------ */

/*
 * start: reads the node's extra_config (interval_seconds 300, or cron and
 * timezone; total_repeats, max_retries, timeout_seconds, trigger_payload,
 * missed_runs, catch_up_limit); no schedule: creates "schedule:<node_id>";
 * paused: updates and resumes; done or dead: resets the counters and
 * restarts; active: updates.  The node's config is_active becomes true.
 * SCHED_BAD_TIMING with *why (malloc'd) for an unusable extra_config.
 * pause: SCHED_NOT_FOUND without a schedule, SCHED_WRONG_STATE (*status
 * set) when not active.  stop: deletes it.  Both set is_active false.
 */
int schedule_node_start(struct db *db, int64_t workflow_id, const char *node_id,
			int64_t user_id, int64_t now_ms, char **why);
int schedule_node_pause(struct db *db, int64_t workflow_id, const char *node_id,
			char status[16]);
int schedule_node_stop(struct db *db, int64_t workflow_id, const char *node_id);

/* The workflow's node schedules as {node_id: ScheduleJobInfo}
 * (NodeOut.schedule_job), or *out NULL when it has none. */
int schedule_info_map(struct db *db, int64_t workflow_id, json_t **out);

/* Whether any schedule belongs to the workflow: 1, 0, or DB_FAILED (its
 * detail, with live counters, is not kept in the answer cache). */
int schedule_exists_for_workflow(struct db *db, int64_t workflow_id);

/* Inside the caller's write transaction: deletes every schedule of the
 * user (a deleted user's schedules stop). */
int schedule_delete_for_user(struct db *db, int64_t user_id);

/* The status of a schedule (for 400 answers), SCHED_NOT_FOUND. */
int schedule_status(struct db *db, const char *id, int64_t owner, char status[16]);

/* --- running them (schedule_dispatch.c) --------------------------------------- */

/* A node whose schedule a dispatch changed (for its node_updated). */
struct sched_touched {
	int64_t workflow_id;
	char *slug;                   /* owned */
	char *node_id;                /* owned */
};

struct sched_touched_list {
	struct sched_touched *items;  /* owned */
	size_t n, cap;
};

void sched_touched_list_free(struct sched_touched_list *l);

/*
 * Dispatches every active schedule due at now_ms, in transactions of a few
 * dozen: for each, the row (schedule, due time) in schedule_runs (a due
 * time already there was dispatched: nothing happens), then the execution
 * (execution_start, in the same transaction), the counters and the next
 * due time; a dispatch that cannot start (the workflow inactive or gone,
 * no trigger) counts as an error and is retried with back-off, and the
 * schedule is dead after max_retries; a run whose previous execution is
 * still pending or running (and younger than timeout_seconds) is skipped.
 * The nodes whose schedule changed are appended to touched (may be NULL).
 * *next_due_ms: the earliest due time left (-1: none).  SCHED_OK or
 * DB_FAILED (nothing of the failed transaction was kept).
 */
int schedule_dispatch_due(struct db *db, int64_t now_ms, struct sched_touched_list *touched,
			  int64_t *next_due_ms);

/*
 * At an executor's start: every active schedule more than a moment overdue
 * (its pool was down) gets the due time its missed_runs policy says
 * (next_run.h: next_run_recovered).  SCHED_OK or DB_FAILED.
 */
int schedule_recover(struct db *db, int64_t now_ms);

#endif
