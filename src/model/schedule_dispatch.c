/*
 * schedule_dispatch.c: running schedules that are due (see schedule.h and
 * pipelit-engine.md 8).
 *
 * Exactly once per due time: a dispatch inserts (schedule, due time) into
 * schedule_runs in the transaction that starts the execution and moves the
 * schedule to its next due time.  Two executors (on one host or on two)
 * that both see the same due time cannot both commit: the second insert
 * meets the first's row (PostgreSQL makes it wait for the first commit, a
 * SQLite writer holds the lock) and that schedule is left alone.  A due
 * time lost with a transaction that never committed is still due.
 */
#include "schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "model/execution.h"
#include "model/schedule_internal.h"
#include "sched/next_run.h"
#include "util/jsonw.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

/* Schedules per transaction: one commit (one fsync) for a burst of due
 * schedules, and short enough transactions. */
#define DISPATCH_BATCH 64
/* At start-up, a schedule more overdue than this missed runs while no pool
 * ran (less is an ordinary late run that the dispatch takes). */
#define RECOVER_LATE_MS 2000
/* A dispatch that fails (nothing can start) is retried after the interval
 * times 2^(retry-1), at most this many intervals (pipelit-engine.md 8). */
#define BACKOFF_MAX_INTERVALS 10
/* The base of a cron schedule's back-off (it has no interval). */
#define CRON_BACKOFF_BASE_MS 60000

struct due_row {
	char id[SCHED_ID_MAX + 1];
	char *name, *node_id, *slug, *payload, *cron, *zone, *last_execution_id;
	int64_t workflow_id, user_id, interval_s, total_repeats, max_retries, timeout_s;
	int64_t current_repeat, current_retry, due_ms, catch_up_limit, last_run_ms;
	enum missed_policy policy;
	int owner_active;             /* the schedule's user may still act */
};

static void
due_row_clear(struct due_row *r)
{
	free(r->name);
	free(r->node_id);
	free(r->slug);
	free(r->payload);
	free(r->cron);
	free(r->zone);
	free(r->last_execution_id);
	memset(r, 0, sizeof *r);
}

static char *
dup_col(struct db_stmt *st, int col)
{
	return db_column_is_null(st, col) ? NULL : xstrdup(db_column_text(st, col));
}

void
sched_touched_list_free(struct sched_touched_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].slug);
		free(l->items[i].node_id);
	}
	free(l->items);
	memset(l, 0, sizeof *l);
}

static void
touched_add(struct sched_touched_list *l, const struct due_row *r)
{
	if (l == NULL || r->node_id == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].workflow_id == r->workflow_id && strcmp(l->items[i].node_id, r->node_id) == 0)
			return;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->items = xrealloc(l->items, l->cap * sizeof *l->items);
	}
	l->items[l->n++] = (struct sched_touched){ r->workflow_id, xstrdup(r->slug), xstrdup(r->node_id) };
}

static struct sched_timing
timing_of(const struct due_row *r)
{
	return (struct sched_timing){ r->interval_s * 1000, r->cron, r->zone };
}

#define DUE_SQL(lock) \
	"SELECT s.id, s.name, s.trigger_node_id, w.slug, s.trigger_payload, s.cron, s.timezone, " \
	"s.last_execution_id, s.workflow_id, s.user_profile_id, s.interval_seconds, " \
	"s.total_repeats, s.max_retries, s.timeout_seconds, s.current_repeat, s.current_retry, " \
	"s.next_run_ms, s.catch_up_limit, s.last_run_ms, s.missed_runs, u.is_active " \
	"FROM scheduled_jobs s JOIN workflows w ON w.id = s.workflow_id " \
	"JOIN user_profiles u ON u.id = s.user_profile_id " \
	"WHERE s.status = 'active' AND s.next_run_ms <= ? ORDER BY s.next_run_ms LIMIT ?" lock

/* The due schedules (at most max), locked on PostgreSQL, skipping those
 * another executor holds. */
static int
load_due(struct db *db, int64_t now_ms, struct due_row *rows, size_t max, size_t *n)
{
	*n = 0;
	struct db_stmt *st = db_prepare(db, db_backend_of(db) == DB_POSTGRES
					? DUE_SQL(" FOR UPDATE OF s SKIP LOCKED") : DUE_SQL(""));
	if (st == NULL)
		return DB_FAILED;
	db_bind_int64(st, 1, now_ms);
	db_bind_int64(st, 2, (int64_t)max);
	int rc;
	while ((rc = db_step(st)) == DB_ROW && *n < max) {
		struct due_row *r = &rows[(*n)++];
		memset(r, 0, sizeof *r);
		snprintf(r->id, sizeof r->id, "%s", db_column_text(st, 0));
		r->name = dup_col(st, 1);
		r->node_id = dup_col(st, 2);
		r->slug = dup_col(st, 3);
		r->payload = dup_col(st, 4);
		r->cron = dup_col(st, 5);
		r->zone = dup_col(st, 6);
		r->last_execution_id = dup_col(st, 7);
		r->workflow_id = db_column_int64(st, 8);
		r->user_id = db_column_int64(st, 9);
		r->interval_s = db_column_int64(st, 10);
		r->total_repeats = db_column_int64(st, 11);
		r->max_retries = db_column_int64(st, 12);
		r->timeout_s = db_column_int64(st, 13);
		r->current_repeat = db_column_int64(st, 14);
		r->current_retry = db_column_int64(st, 15);
		r->due_ms = db_column_int64(st, 16);
		r->catch_up_limit = db_column_int64(st, 17);
		r->last_run_ms = db_column_is_null(st, 18) ? 0 : db_column_int64(st, 18);
		r->policy = missed_policy_of(db_column_text(st, 19));
		r->owner_active = db_column_bool(st, 20);
	}
	db_reset(st);
	return rc == DB_ERROR ? DB_FAILED : SCHED_OK;
}

/* Claims (schedule, due time) for the execution execution_id will start:
 * 1 claimed, 0 someone did already. */
static int
claim_due_time(struct db *db, const struct due_row *r, const char *execution_id)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO schedule_runs (schedule_id, due_ms, "
					    "execution_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING");
	if (st == NULL)
		return DB_FAILED;
	db_bind_text(st, 1, r->id, -1);
	db_bind_int64(st, 2, r->due_ms);
	db_bind_text(st, 3, execution_id, -1);
	int rc = db_step(st);
	int64_t changed = rc == DB_ERROR ? 0 : db_changes(st);
	db_reset(st);
	if (rc == DB_ERROR)
		return DB_FAILED;
	/* Due times long past are only history (pruned now and then: one
	 * statement less in most dispatches). */
	if (r->current_repeat % 64 != 0)
		return changed > 0;
	st = db_prepare(db, "DELETE FROM schedule_runs WHERE schedule_id = ? AND due_ms < ?");
	if (st == NULL)
		return DB_FAILED;
	db_bind_text(st, 1, r->id, -1);
	db_bind_int64(st, 2, r->due_ms - 86400000);
	rc = db_step(st);
	db_reset(st);
	if (rc == DB_ERROR)
		return DB_FAILED;
	return changed > 0;
}

/* Whether the previous run's execution is still pending or running (and
 * younger than timeout_seconds: a stuck run does not hold the schedule). */
static int
still_running(struct db *db, const struct due_row *r, int64_t now_ms)
{
	if (r->last_execution_id == NULL || now_ms - r->last_run_ms >= r->timeout_s * 1000)
		return 0;
	struct db_stmt *st = db_prepare(db, "SELECT 1 FROM workflow_executions WHERE execution_id = ? "
					    "AND status IN ('pending', 'running')");
	if (st == NULL)
		return DB_FAILED;
	db_bind_text(st, 1, r->last_execution_id, -1);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_ERROR ? DB_FAILED : rc == DB_ROW;
}

/* pipelit-engine.md 2.1: {scheduled_job_id, scheduled_job_name,
 * repeat_number, timestamp, payload}. */
static json_t *
payload_of(const struct due_row *r, int64_t now_ms)
{
	char db_time[TIME_DB_LEN], iso[SCHED_ISO_LEN];
	time_ms_to_db(now_ms, db_time);
	if (next_run_iso(now_ms, NULL, iso) != 0)
		iso[0] = '\0';
	json_t *inner = r->payload ? json_loads(r->payload, 0, NULL) : NULL;
	if (!json_is_object(inner)) {
		json_decref(inner);
		inner = json_object();
	}
	return json_pack("{s:s, s:s, s:I, s:s, s:o, s:I}", "scheduled_job_id", r->id,
			 "scheduled_job_name", r->name ? r->name : "", "repeat_number",
			 (json_int_t)r->current_repeat + 1, "timestamp", iso, "payload", inner,
			 "due_ms", (json_int_t)r->due_ms);
}

static int
record_run(struct db *db, const struct due_row *r, const char *execution_id, int64_t now_ms,
	   int64_t next_ms, int done)
{
	struct db_stmt *st = db_prepare(db,
		"UPDATE scheduled_jobs SET run_count = run_count + 1, current_retry = 0, "
		"current_repeat = current_repeat + 1, last_error = '', last_run_at = ?, "
		"last_run_ms = ?, last_execution_id = ?, status = ?, updated_at = ?, "
		"next_run_ms = ?, next_run_at = ? WHERE id = ?");
	if (st == NULL)
		return DB_FAILED;
	char at[TIME_DB_LEN], next_at[TIME_DB_LEN];
	time_ms_to_db(now_ms, at);
	db_bind_text(st, 1, at, -1);
	db_bind_int64(st, 2, now_ms);
	db_bind_text(st, 3, execution_id, -1);
	db_bind_text(st, 4, done ? "done" : "active", -1);
	db_bind_text(st, 5, at, -1);
	if (done || next_ms < 0) {
		db_bind_null(st, 6);
		db_bind_null(st, 7);
	} else {
		time_ms_to_db(next_ms, next_at);
		db_bind_int64(st, 6, next_ms);
		db_bind_text(st, 7, next_at, -1);
	}
	db_bind_text(st, 8, r->id, -1);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_ERROR ? DB_FAILED : SCHED_OK;
}

/* A claimed due time that started nothing (skipped, or failed). */
static int
unclaim_execution(struct db *db, const struct due_row *r)
{
	struct db_stmt *st = db_prepare(db, "UPDATE schedule_runs SET execution_id = NULL "
					    "WHERE schedule_id = ? AND due_ms = ?");
	if (st == NULL)
		return DB_FAILED;
	db_bind_text(st, 1, r->id, -1);
	db_bind_int64(st, 2, r->due_ms);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_ERROR ? DB_FAILED : SCHED_OK;
}

/* A dispatch that could not start anything: back-off, or dead. */
static int
record_failure(struct db *db, const struct due_row *r, const char *error, int64_t now_ms)
{
	int64_t retry = r->current_retry + 1;
	int dead = retry > r->max_retries;
	int64_t next = -1;
	if (!dead) {
		struct sched_timing t = timing_of(r);
		int64_t base = r->cron ? CRON_BACKOFF_BASE_MS : r->interval_s * 1000;
		int64_t delay = base;
		for (int64_t i = 1; i < retry && delay < base * BACKOFF_MAX_INTERVALS; i++)
			delay *= 2;
		if (r->cron == NULL && delay > base * BACKOFF_MAX_INTERVALS)
			delay = base * BACKOFF_MAX_INTERVALS;
		next = now_ms + delay;
		/* A cron schedule retries at the latest at its next due time. */
		int64_t cron_next = r->cron ? next_run_after(&t, now_ms) : -1;
		if (cron_next >= 0 && cron_next < next)
			next = cron_next;
	}
	struct db_stmt *st = db_prepare(db,
		"UPDATE scheduled_jobs SET error_count = error_count + 1, current_retry = ?, "
		"last_error = ?, last_run_at = ?, last_run_ms = ?, status = ?, updated_at = ? "
		"WHERE id = ?");
	if (st == NULL)
		return DB_FAILED;
	char at[TIME_DB_LEN];
	time_ms_to_db(now_ms, at);
	db_bind_int64(st, 1, dead ? r->current_retry : retry);
	db_bind_text(st, 2, error, -1);
	db_bind_text(st, 3, at, -1);
	db_bind_int64(st, 4, now_ms);
	db_bind_text(st, 5, dead ? "dead" : "active", -1);
	db_bind_text(st, 6, at, -1);
	db_bind_text(st, 7, r->id, -1);
	int rc = db_step(st);
	db_reset(st);
	if (rc == DB_ERROR)
		return DB_FAILED;
	return schedule_set_due(db, r->id, next);
}

static const char *
start_error(int rc)
{
	switch (rc) {
	case EXEC_INACTIVE:
		return "the workflow is not active";
	case EXEC_NO_TRIGGER:
		return "the workflow has no active trigger_schedule node for this schedule";
	case EXEC_NOT_FOUND:
	default:
		return "the workflow was not found";
	}
}

/* One due schedule, inside the batch's transaction. */
static int
dispatch_one(struct db *db, const struct due_row *r, int64_t now_ms,
	     struct sched_touched_list *touched)
{
	struct sched_timing t = timing_of(r);
	int64_t next = next_run_following(&t, r->due_ms, now_ms, r->policy, r->catch_up_limit);
	char execution_id[EXEC_ID_MAX + 1];
	crypto_uuid7(execution_id, now_ms);
	int claimed = claim_due_time(db, r, execution_id);
	if (claimed < 0)
		return DB_FAILED;
	if (claimed == 0)
		return schedule_set_due(db, r->id, next);   /* dispatched already */
	/* Missed runs replayed (catch_up) do not wait for each other. */
	int replaying = r->policy == MISSED_CATCH_UP && now_ms - r->due_ms > RECOVER_LATE_MS;
	int busy = replaying ? 0 : still_running(db, r, now_ms);
	if (busy < 0)
		return DB_FAILED;
	if (busy)                                           /* overlap: skipped */
		return unclaim_execution(db, r) == SCHED_OK ? schedule_set_due(db, r->id, next)
							    : DB_FAILED;
	touched_add(touched, r);
	if (!r->owner_active)
		return unclaim_execution(db, r) == SCHED_OK
		       ? record_failure(db, r, "the schedule's owner was deleted", now_ms) : DB_FAILED;
	json_t *payload = payload_of(r, now_ms);
	struct exec_start rq = {
		.workflow_slug = r->slug,
		.owner = EXEC_ANY_OWNER,
		.user_profile_id = r->user_id,
		.trigger_type = "trigger_schedule",
		.trigger_node_id = r->node_id,
		.payload = payload,
		.now_ms = now_ms,
		.execution_id = execution_id,
		.no_notify = 1,                 /* once for the batch */
	};
	char started[EXEC_ID_MAX + 1];
	int rc = execution_start(db, &rq, started);
	json_decref(payload);
	if (rc == DB_FAILED)
		return DB_FAILED;
	if (rc != EXEC_OK)
		return unclaim_execution(db, r) == SCHED_OK
		       ? record_failure(db, r, start_error(rc), now_ms) : DB_FAILED;
	int done = r->total_repeats > 0 && r->current_repeat + 1 >= r->total_repeats;
	return record_run(db, r, execution_id, now_ms, next, done || next < 0);
}

static int
next_due(struct db *db, int64_t *out)
{
	int rc = db_query_int64(db, "SELECT min(next_run_ms) FROM scheduled_jobs WHERE status = 'active' "
				"AND next_run_ms IS NOT NULL", out);
	if (rc < 0)
		return DB_FAILED;
	if (rc == 1)
		*out = -1;
	return SCHED_OK;
}

int
schedule_dispatch_due(struct db *db, int64_t now_ms, struct sched_touched_list *touched,
		      int64_t *next_due_ms)
{
	*next_due_ms = -1;
	/* A read first: the write lock only when something is due. */
	int64_t due = -1;
	if (next_due(db, &due) != SCHED_OK)
		return DB_FAILED;
	if (due <= 0 || due > now_ms) {
		*next_due_ms = due > 0 ? due : -1;
		return SCHED_OK;
	}
	struct due_row rows[DISPATCH_BATCH];
	for (;;) {
		if (db_begin_write(db) != 0)
			return DB_FAILED;
		size_t n = 0;
		int rc = load_due(db, now_ms, rows, DISPATCH_BATCH, &n);
		for (size_t i = 0; i < n && rc == SCHED_OK; i++)
			rc = dispatch_one(db, &rows[i], now_ms, touched);
		for (size_t i = 0; i < n; i++)
			due_row_clear(&rows[i]);
		if (rc != SCHED_OK)
			return db_abandon(db);
		if (n == 0) {
			db_rollback(db);
			break;
		}
		if (execution_notify_executors(db) != EXEC_OK)
			return db_abandon(db);
		if (db_commit(db) != 0)
			return db_abandon(db);
		/* Not "fewer than a batch": on PostgreSQL another executor's
		 * locked rows make a batch short while more are due. */
	}
	/* NULL min() reads as no row (1) or a 0: both mean nothing is due. */
	if (next_due(db, &due) != SCHED_OK)
		return DB_FAILED;
	*next_due_ms = due > 0 ? due : -1;
	return SCHED_OK;
}

int
schedule_recover(struct db *db, int64_t now_ms)
{
	if (db_begin_write(db) != 0)
		return DB_FAILED;
	struct db_stmt *st = db_prepare(db,
		"SELECT id, interval_seconds, cron, timezone, next_run_ms, missed_runs, catch_up_limit "
		"FROM scheduled_jobs WHERE status = 'active' AND next_run_ms < ?");
	if (st == NULL)
		return db_abandon(db);
	db_bind_int64(st, 1, now_ms - RECOVER_LATE_MS);
	struct fix { char id[SCHED_ID_MAX + 1]; int64_t was, due; } *fixes = NULL;
	size_t n = 0, cap = 0;
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		struct sched_timing t = { db_column_int64(st, 1) * 1000, db_column_text(st, 2),
					  db_column_text(st, 3) };
		int64_t due = next_run_recovered(&t, db_column_int64(st, 4), now_ms,
						 missed_policy_of(db_column_text(st, 5)),
						 db_column_int64(st, 6));
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			fixes = xrealloc(fixes, cap * sizeof *fixes);
		}
		snprintf(fixes[n].id, sizeof fixes[n].id, "%s", db_column_text(st, 0));
		fixes[n].was = db_column_int64(st, 4);
		fixes[n++].due = due;
	}
	db_reset(st);
	int out = rc == DB_ERROR ? DB_FAILED : SCHED_OK;
	/* Another executor starting at the same time may have dispatched the
	 * schedule since this read (and moved its due time on); the policy
	 * applies only to a due time nobody has touched, or a run_once
	 * schedule would run twice. */
	for (size_t i = 0; i < n && out == SCHED_OK; i++)
		out = schedule_set_due_if(db, fixes[i].id, fixes[i].was, fixes[i].due);
	free(fixes);
	if (out == SCHED_OK && n > 0)
		out = execution_notify_executors(db) == EXEC_OK ? SCHED_OK : DB_FAILED;
	if (out != SCHED_OK)
		return db_abandon(db);
	return db_commit(db) == 0 ? SCHED_OK : db_abandon(db);
}
