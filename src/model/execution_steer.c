/* execution_steer.c: what a user does to an execution (execution.h):
 * cancel, answer a confirmation, delete finished ones, and the cancel of
 * a deleted workflow's executions in flight.  Each is one write
 * transaction; the caller publishes the events and wakes the executors
 * after the commit. */
#include "execution.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/timefmt.h"
#include "util/xalloc.h"

#define IN_FLIGHT "('pending', 'running', 'interrupted')"
#define FINISHED "('completed', 'failed', 'cancelled')"
#define RESUME_CONFIRM "{\"action\":\"confirm\"}"

/* Runs a statement whose parameters are all the execution's id. */
static int
run_for_execution(struct db *db, const char *sql, const char *execution_id)
{
	struct db_stmt *st = db_prepare(db, sql);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, execution_id, -1);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

/*
 * Inside the open transaction: the execution's status cancelled (if it is
 * in flight), its event counter one up, its jobs and pending tasks gone.
 * EXEC_OK with *seq set, EXEC_WRONG_STATE when it had finished, or
 * DB_FAILED.  The status test is in the UPDATE itself, so of two cancels
 * (or a cancel and the executor's last completion) one wins, whatever the
 * backend's isolation.
 */
static int
cancel_in_transaction(struct db *db, const char *execution_id, int64_t now_ms, int64_t *seq)
{
	char now[TIME_DB_LEN];
	time_ms_to_db(now_ms, now);
	struct db_stmt *st = db_prepare(db,
		"UPDATE workflow_executions SET status = 'cancelled', completed_at = ?, "
		"event_seq = event_seq + 1 WHERE execution_id = ? AND status IN " IN_FLIGHT
		" RETURNING event_seq");
	if (st == NULL)
		return DB_FAILED;
	db_bind_text(st, 1, now, -1);
	db_bind_text(st, 2, execution_id, -1);
	int rc = db_step(st);
	if (rc == DB_ROW)
		*seq = db_column_int64(st, 0);
	db_reset(st);
	if (rc != DB_ROW)
		return rc == DB_DONE ? EXEC_WRONG_STATE : DB_FAILED;
	/* Executors on every host hear of it once this commits (PostgreSQL;
	 * the API wakes this host's after the commit). */
	if (run_for_execution(db, "DELETE FROM execution_jobs WHERE execution_id = ?",
			      execution_id) != 0
	    || run_for_execution(db, "DELETE FROM pending_tasks WHERE execution_id = ?",
				 execution_id) != 0
	    || execution_notify_executors(db) != EXEC_OK)
		return DB_FAILED;
	return EXEC_OK;
}

/* The execution's status and workflow slug (malloc'd) when it is in
 * scope: EXEC_OK, EXEC_NOT_FOUND or DB_FAILED. */
static int
find_in_scope(struct db *db, const char *execution_id, int64_t owner, char **status,
	      char **slug)
{
	*status = *slug = NULL;
	if (execution_id == NULL || strlen(execution_id) > EXEC_ID_MAX)
		return EXEC_NOT_FOUND;
	struct db_stmt *st = db_prepare(db,
		"SELECT e.status, w.slug FROM workflow_executions e "
		"JOIN workflows w ON w.id = e.workflow_id "
		"WHERE e.execution_id = ? AND ? IN (0, w.owner_id)");
	if (st == NULL)
		return DB_FAILED;
	db_bind_text(st, 1, execution_id, -1);
	db_bind_int64(st, 2, owner);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		*status = xstrdup(db_column_text(st, 0) ? db_column_text(st, 0) : "");
		*slug = xstrdup(db_column_text(st, 1) ? db_column_text(st, 1) : "");
	}
	db_reset(st);
	return rc == DB_ROW ? EXEC_OK : rc == DB_DONE ? EXEC_NOT_FOUND : DB_FAILED;
}

/* Ends the write transaction by a model result: commit on EXEC_OK and on
 * outcomes that wrote (keep_writes), else roll back. */
static int
finish(struct db *db, int rc, int keep_writes)
{
	if (rc == DB_FAILED)
		return db_abandon(db);
	if (rc == EXEC_OK || keep_writes) {
		if (db_commit(db) != 0)
			return db_abandon(db);
		return rc;
	}
	db_rollback(db);
	return rc;
}

int
execution_cancel(struct db *db, const char *execution_id, int64_t owner, int64_t now_ms,
		 int64_t *event_seq, char **slug)
{
	*event_seq = 0;
	*slug = NULL;
	if (db_begin_write(db) != 0)
		return db_abandon(db);
	char *status;
	int rc = find_in_scope(db, execution_id, owner, &status, slug);
	free(status);
	if (rc == EXEC_OK)
		rc = cancel_in_transaction(db, execution_id, now_ms, event_seq);
	rc = finish(db, rc, 0);
	if (rc != EXEC_OK && rc != EXEC_WRONG_STATE) {
		free(*slug);
		*slug = NULL;
	}
	return rc;
}

/* --- confirmations ------------------------------------------------------------ */

struct task {
	char task_id[16];
	char execution_id[EXEC_ID_MAX + 1];
	char *node_id;            /* owned */
	int64_t expires_ms;
};

/* The pending task: by task_id, or the execution's oldest.  1 found, 0
 * none, -1 failed. */
static int
find_task(struct db *db, const char *execution_id, const char *task_id, struct task *t)
{
	memset(t, 0, sizeof(*t));
	if (task_id != NULL && strlen(task_id) >= sizeof(t->task_id))
		return 0;
	struct db_stmt *st = db_prepare(db, task_id != NULL
		? "SELECT task_id, execution_id, node_id, expires_at FROM pending_tasks "
		  "WHERE task_id = ?"
		: "SELECT task_id, execution_id, node_id, expires_at FROM pending_tasks "
		  "WHERE execution_id = ? ORDER BY created_at, task_id LIMIT 1");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, task_id != NULL ? task_id : execution_id, -1);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		snprintf(t->task_id, sizeof(t->task_id), "%s", db_column_text(st, 0));
		snprintf(t->execution_id, sizeof(t->execution_id), "%s", db_column_text(st, 1));
		t->node_id = xstrdup(db_column_text(st, 2) ? db_column_text(st, 2) : "");
		int64_t epoch = 0;
		int micros = 0;
		const char *expires = db_column_text(st, 3);
		/* An unreadable expiry counts as expired: nothing resumes on a
		 * row nobody can vouch for. */
		t->expires_ms = expires != NULL && time_db_to_epoch(expires, &epoch, &micros) == 0
			? epoch * 1000 + micros / 1000 : 0;
	}
	db_reset(st);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
}

static int
delete_task(struct db *db, const char *task_id)
{
	struct db_stmt *st = db_prepare(db, "DELETE FROM pending_tasks WHERE task_id = ?");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, task_id, -1);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

/*
 * The node's waiting job queued now with the confirmation as its resume
 * input.  A waiting job that is missing (written by an older engine, or
 * removed by hand) is made anew, so a confirmed execution is never left
 * running with nothing to run.
 */
static int
queue_resume(struct db *db, const struct task *t, int64_t now_ms)
{
	struct db_stmt *st = db_prepare(db,
		"UPDATE execution_jobs SET state = 'queued', due_ms = ?, resume = ?, "
		"lease_owner = NULL WHERE execution_id = ? AND node_id = ? AND state = 'waiting'");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now_ms);
	db_bind_text(st, 2, RESUME_CONFIRM, -1);
	db_bind_text(st, 3, t->execution_id, -1);
	db_bind_text(st, 4, t->node_id, -1);
	int rc = db_step(st);
	int64_t changed = rc == DB_DONE ? db_changes(st) : 0;
	db_reset(st);
	if (rc != DB_DONE)
		return -1;
	if (changed > 0)
		return 0;
	st = db_prepare(db,
		"INSERT INTO execution_jobs (execution_id, node_id, state, attempt, due_ms, resume) "
		"VALUES (?, ?, 'queued', 0, ?, ?)");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, t->execution_id, -1);
	db_bind_text(st, 2, t->node_id, -1);
	db_bind_int64(st, 3, now_ms);
	db_bind_text(st, 4, RESUME_CONFIRM, -1);
	rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

/* Inside the transaction: confirm the task of an interrupted execution.
 * *wrote is set when the transaction holds a change to keep (an expired
 * task's delete). */
static int
confirm_in_transaction(struct db *db, const char *status, const struct task *t, int found,
		       int64_t now_ms, int *wrote)
{
	if (strcmp(status, "interrupted") != 0 || !found)
		return EXEC_WRONG_STATE;
	if (t->expires_ms <= now_ms) {
		/* pipelit-engine.md 2.10: an expired task goes; the execution
		 * waits on, and can still be cancelled. */
		if (delete_task(db, t->task_id) != 0)
			return DB_FAILED;
		*wrote = 1;
		return EXEC_EXPIRED;
	}
	/* The notification wakes executors on every host once this commits
	 * (PostgreSQL; the API wakes this host's after the commit). */
	if (queue_resume(db, t, now_ms) != 0 || delete_task(db, t->task_id) != 0 ||
	    execution_notify_executors(db) != 0)
		return DB_FAILED;
	struct db_stmt *st = db_prepare(db,
		"UPDATE workflow_executions SET status = 'running' WHERE execution_id = ? "
		"AND status = 'interrupted'");
	if (st == NULL)
		return DB_FAILED;
	db_bind_text(st, 1, t->execution_id, -1);
	int rc = db_step(st);
	int64_t changed = rc == DB_DONE ? db_changes(st) : 0;
	db_reset(st);
	if (rc != DB_DONE)
		return DB_FAILED;
	return changed == 1 ? EXEC_OK : EXEC_WRONG_STATE;
}

int
execution_confirm(struct db *db, const char *execution_id, const char *task_id, int64_t owner,
		  const char *action, int64_t now_ms, int64_t *event_seq, char **slug)
{
	*event_seq = 0;
	*slug = NULL;
	int cancel = strcmp(action, "cancel") == 0;
	if (!cancel && strcmp(action, "confirm") != 0)
		return EXEC_WRONG_STATE;
	/* Inside the caller's transaction when one is open (an inbound
	 * command writes its acknowledgement with it): the caller commits. */
	int own = !db_in_transaction(db);
	if (own && db_begin_write(db) != 0)
		return db_abandon(db);
	struct task t = { .node_id = NULL };
	int found = execution_id == NULL || !cancel ? find_task(db, execution_id, task_id, &t) : 0;
	if (found < 0)
		return own ? db_abandon(db) : DB_FAILED;
	if (execution_id == NULL && !found) {
		if (own)
			db_rollback(db);
		return EXEC_NOT_FOUND;
	}
	const char *id = execution_id != NULL ? execution_id : t.execution_id;
	/* A task named by id belongs to the execution asked about, or to none. */
	if (found && strcmp(t.execution_id, id) != 0)
		found = 0;
	char *status;
	int wrote = 0;
	int rc = find_in_scope(db, id, owner, &status, slug);
	if (rc == EXEC_OK && cancel && task_id != NULL && found && t.expires_ms <= now_ms) {
		/* A cancel by an expired task's id is expired too (2.10): the
		 * task goes, the execution waits on. */
		rc = delete_task(db, t.task_id) != 0 ? DB_FAILED : EXEC_EXPIRED;
		wrote = 1;
	} else if (rc == EXEC_OK) {
		rc = cancel ? cancel_in_transaction(db, id, now_ms, event_seq)
			    : confirm_in_transaction(db, status, &t, found, now_ms, &wrote);
	}
	free(status);
	free(t.node_id);
	if (own)
		rc = finish(db, rc, wrote);
	if (rc == EXEC_NOT_FOUND || rc == DB_FAILED) {
		free(*slug);
		*slug = NULL;
	}
	return rc;
}

/* --- deleting ------------------------------------------------------------------ */

int
execution_delete_many(struct db *db, const char *const *ids, size_t n, int64_t owner,
		      int64_t *deleted)
{
	*deleted = 0;
	struct db_stmt *st = db_prepare(db,
		"DELETE FROM workflow_executions WHERE execution_id = ? AND status IN " FINISHED
		" AND workflow_id IN (SELECT id FROM workflows WHERE ? IN (0, owner_id))");
	if (st == NULL || db_begin_write(db) != 0)
		return db_abandon(db);
	for (size_t i = 0; i < n; i++) {
		if (strlen(ids[i]) > EXEC_ID_MAX)
			continue;
		db_bind_text(st, 1, ids[i], -1);
		db_bind_int64(st, 2, owner);
		int rc = db_step(st);
		if (rc == DB_DONE)
			*deleted += db_changes(st);
		db_reset(st);
		if (rc != DB_DONE)
			return db_abandon(db);
	}
	if (db_commit(db) != 0)
		return db_abandon(db);
	return EXEC_OK;
}

/* --- a deleted workflow's executions ---------------------------------------------- */

void
exec_cancelled_list_free(struct exec_cancelled_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].slug);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static void
list_add(struct exec_cancelled_list *l, const char *execution_id, const char *slug, int64_t seq)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->items = xrealloc(l->items, l->cap * sizeof(*l->items));
	}
	struct exec_cancelled *c = &l->items[l->n++];
	snprintf(c->execution_id, sizeof(c->execution_id), "%s", execution_id);
	c->slug = xstrdup(slug);
	c->event_seq = seq;
}

int
execution_cancel_in_flight(struct db *db, int64_t workflow_id, const char *slug,
			   int64_t now_ms, struct exec_cancelled_list *out)
{
	/* The ids first: the cancels below change the rows the query walks. */
	struct db_stmt *st = db_prepare(db,
		"SELECT execution_id FROM workflow_executions WHERE workflow_id = ? "
		"AND status IN " IN_FLIGHT " ORDER BY execution_id");
	if (st == NULL)
		return DB_FAILED;
	db_bind_int64(st, 1, workflow_id);
	struct exec_cancelled_list found = { 0 };
	int rc;
	while ((rc = db_step(st)) == DB_ROW)
		list_add(&found, db_column_text(st, 0), slug, 0);
	db_reset(st);
	for (size_t i = 0; rc == DB_DONE && i < found.n; i++) {
		int64_t seq = 0;
		int crc = cancel_in_transaction(db, found.items[i].execution_id, now_ms, &seq);
		if (crc == DB_FAILED)
			rc = DB_ERROR;
		else if (crc == EXEC_OK)
			list_add(out, found.items[i].execution_id, slug, seq);
	}
	exec_cancelled_list_free(&found);
	return rc == DB_DONE ? EXEC_OK : DB_FAILED;
}
