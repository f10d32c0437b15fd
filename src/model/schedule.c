/* schedule.c: schedules as the API sees them (see schedule.h). */
#include "schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "model/execution.h"
#include "model/row_json.h"
#include "model/schedule_internal.h"
#include "sched/next_run.h"
#include "util/jsonw.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

/* ScheduledJobOut's columns, in its key order, then ours. */
#define SCHED_COLS \
	"s.id, s.name, s.description, s.workflow_id, s.trigger_node_id, s.user_profile_id, " \
	"s.interval_seconds, s.total_repeats, s.max_retries, s.timeout_seconds, " \
	"s.trigger_payload, s.status, s.current_repeat, s.current_retry, s.last_run_at, " \
	"s.next_run_at, s.run_count, s.error_count, s.last_error, s.created_at, s.updated_at, " \
	"s.cron, s.timezone, s.missed_runs, s.catch_up_limit "
/* In scope: every schedule for SCHED_ANY_OWNER (0), else those of the
 * owner's workflows (two binds: owner, owner). */
#define SCHED_FROM \
	"FROM scheduled_jobs s JOIN workflows w ON w.id = s.workflow_id " \
	"WHERE (? = 0 OR w.owner_id = ?) "

static void
bind_owner(struct db_stmt *st, int first, int64_t owner)
{
	db_bind_int64(st, first, owner);
	db_bind_int64(st, first + 1, owner);
}

static int
run_stmt(struct db_stmt *st)
{
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_ERROR ? DB_FAILED : SCHED_OK;
}

/* --- rendering ------------------------------------------------------------------- */

static void
schedule_row_write(struct jw *w, struct db_stmt *st)
{
	int is_cron = !db_column_is_null(st, 21);
	jw_obj_begin(w);
	JW_KEY(w, "id"); text_col(w, st, 0, "");
	JW_KEY(w, "name"); text_col(w, st, 1, "");
	JW_KEY(w, "description"); text_col(w, st, 2, "");
	jw_kint(w, "workflow_id", db_column_int64(st, 3));
	JW_KEY(w, "trigger_node_id"); text_col(w, st, 4, NULL);
	jw_kint(w, "user_profile_id", db_column_int64(st, 5));
	if (is_cron)
		jw_knull(w, "interval_seconds");
	else
		jw_kint(w, "interval_seconds", db_column_int64(st, 6));
	jw_kint(w, "total_repeats", db_column_int64(st, 7));
	jw_kint(w, "max_retries", db_column_int64(st, 8));
	jw_kint(w, "timeout_seconds", db_column_int64(st, 9));
	JW_KEY(w, "trigger_payload"); json_col(w, st, 10, "null");
	JW_KEY(w, "status"); text_col(w, st, 11, "");
	jw_kint(w, "current_repeat", db_column_int64(st, 12));
	jw_kint(w, "current_retry", db_column_int64(st, 13));
	JW_KEY(w, "last_run_at"); time_col(w, st, 14);
	JW_KEY(w, "next_run_at"); time_col(w, st, 15);
	jw_kint(w, "run_count", db_column_int64(st, 16));
	jw_kint(w, "error_count", db_column_int64(st, 17));
	JW_KEY(w, "last_error"); text_col(w, st, 18, "");
	JW_KEY(w, "created_at"); time_col(w, st, 19);
	JW_KEY(w, "updated_at"); time_col(w, st, 20);
	JW_KEY(w, "cron"); text_col(w, st, 21, NULL);
	JW_KEY(w, "timezone"); text_col(w, st, 22, is_cron ? "UTC" : NULL);
	JW_KEY(w, "missed_runs"); text_col(w, st, 23, "skip");
	jw_kint(w, "catch_up_limit", db_column_int64(st, 24));
	jw_obj_end(w);
}

int
schedule_write(struct db *db, const char *id, int64_t owner, struct jw *w)
{
	struct db_stmt *st = db_prepare(db, "SELECT " SCHED_COLS SCHED_FROM "AND s.id = ?");
	if (st == NULL)
		return DB_FAILED;
	bind_owner(st, 1, owner);
	db_bind_text(st, 3, id, -1);
	int rc = db_step(st);
	if (rc == DB_ROW)
		schedule_row_write(w, st);
	db_reset(st);
	if (rc == DB_ERROR)
		return DB_FAILED;
	return rc == DB_ROW ? SCHED_OK : SCHED_NOT_FOUND;
}

/* Parameters 1-6 of the list and count queries: the owner, then the status
 * and workflow filters (each bound twice: "IS NULL OR =", "= 0 OR ="). */
static void
bind_list_filters(struct db_stmt *st, int64_t owner, const char *status, int64_t workflow_id)
{
	bind_owner(st, 1, owner);
	for (int i = 3; i <= 4; i++) {
		if (status)
			db_bind_text(st, i, status, -1);
		else
			db_bind_null(st, i);
	}
	db_bind_int64(st, 5, workflow_id);
	db_bind_int64(st, 6, workflow_id);
}

int
schedule_list_write(struct db *db, int64_t owner, const char *status, int64_t workflow_id,
		    int64_t limit, int64_t offset, struct jw *w)
{
	/* One snapshot for the page and its total. */
	int own = !db_in_transaction(db);
	if (own && db_begin(db) != 0)
		return DB_FAILED;
	struct db_stmt *st = db_prepare(db, "SELECT " SCHED_COLS SCHED_FROM
		"AND (CAST(? AS TEXT) IS NULL OR s.status = ?) AND (? = 0 OR s.workflow_id = ?) "
		"ORDER BY s.created_at DESC, s.id LIMIT ? OFFSET ?");
	if (st == NULL)
		return db_abandon(db);
	bind_list_filters(st, owner, status, workflow_id);
	db_bind_int64(st, 7, limit);
	db_bind_int64(st, 8, offset);
	jw_obj_begin(w);
	JW_KEY(w, "items");
	jw_arr_begin(w);
	int rc;
	while ((rc = db_step(st)) == DB_ROW)
		schedule_row_write(w, st);
	jw_arr_end(w);
	db_reset(st);
	if (rc == DB_ERROR)
		return db_abandon(db);
	st = db_prepare(db, "SELECT count(*) " SCHED_FROM
		"AND (CAST(? AS TEXT) IS NULL OR s.status = ?) AND (? = 0 OR s.workflow_id = ?)");
	if (st == NULL)
		return db_abandon(db);
	bind_list_filters(st, owner, status, workflow_id);
	rc = db_step(st);
	int64_t total = rc == DB_ROW ? db_column_int64(st, 0) : 0;
	db_reset(st);
	if (rc != DB_ROW)
		return db_abandon(db);
	jw_kint(w, "total", total);
	jw_obj_end(w);
	if (own)
		db_commit(db);
	return SCHED_OK;
}

int
schedule_info_map(struct db *db, int64_t workflow_id, json_t **out)
{
	*out = NULL;
	struct db_stmt *st = db_prepare(db,
		"SELECT id, status, run_count, error_count, current_repeat, current_retry, "
		"total_repeats, max_retries, timeout_seconds, interval_seconds, last_run_at, "
		"next_run_at, last_error, created_at, cron, timezone, trigger_node_id "
		"FROM scheduled_jobs WHERE workflow_id = ? AND trigger_node_id IS NOT NULL "
		"ORDER BY created_at DESC, id DESC");
	if (st == NULL)
		return DB_FAILED;
	db_bind_int64(st, 1, workflow_id);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		struct jw w;
		jw_init(&w);
		jw_obj_begin(&w);
		JW_KEY(&w, "id"); text_col(&w, st, 0, "");
		JW_KEY(&w, "status"); text_col(&w, st, 1, "");
		static const char *const ints[] = { "run_count", "error_count", "current_repeat",
			"current_retry", "total_repeats", "max_retries", "timeout_seconds" };
		for (int i = 0; i < 7; i++) {
			jw_key(&w, ints[i]);
			jw_int(&w, db_column_int64(st, 2 + i));
		}
		if (db_column_is_null(st, 14))
			jw_kint(&w, "interval_seconds", db_column_int64(st, 9));
		else
			jw_knull(&w, "interval_seconds");
		JW_KEY(&w, "last_run_at"); time_col(&w, st, 10);
		JW_KEY(&w, "next_run_at"); time_col(&w, st, 11);
		JW_KEY(&w, "last_error"); text_col(&w, st, 12, "");
		JW_KEY(&w, "created_at"); time_col(&w, st, 13);
		JW_KEY(&w, "cron"); text_col(&w, st, 14, NULL);
		JW_KEY(&w, "timezone"); text_col(&w, st, 15, NULL);
		jw_obj_end(&w);
		if (*out == NULL)
			*out = json_object();
		/* The oldest wins (rows come newest first). */
		json_object_set_new(*out, db_column_text(st, 16), jw_to_json(&w));
		jw_free(&w);
	}
	db_reset(st);
	if (rc == DB_ERROR) {
		json_decref(*out);
		*out = NULL;
		return DB_FAILED;
	}
	return SCHED_OK;
}

int
schedule_exists_for_workflow(struct db *db, int64_t workflow_id)
{
	struct db_stmt *st = db_prepare(db, "SELECT 1 FROM scheduled_jobs WHERE workflow_id = ? LIMIT 1");
	if (st == NULL)
		return DB_FAILED;
	db_bind_int64(st, 1, workflow_id);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_ERROR ? DB_FAILED : rc == DB_ROW;
}

/* --- the due time ---------------------------------------------------------------- */

/* next_run_ms and next_run_at together (due < 0: none); with an expected
 * value (expect_ms >= 0), only while next_run_ms still holds it. */
static int
set_due(struct db *db, const char *id, int64_t expect_ms, int64_t due_ms)
{
	struct db_stmt *st = db_prepare(db, expect_ms >= 0
		? "UPDATE scheduled_jobs SET next_run_ms = ?, next_run_at = ? "
		  "WHERE id = ? AND next_run_ms = ?"
		: "UPDATE scheduled_jobs SET next_run_ms = ?, next_run_at = ? WHERE id = ?");
	if (st == NULL)
		return DB_FAILED;
	char at[TIME_DB_LEN];
	if (due_ms >= 0) {
		time_ms_to_db(due_ms, at);
		db_bind_int64(st, 1, due_ms);
		db_bind_text(st, 2, at, -1);
	} else {
		db_bind_null(st, 1);
		db_bind_null(st, 2);
	}
	db_bind_text(st, 3, id, -1);
	if (expect_ms >= 0)
		db_bind_int64(st, 4, expect_ms);
	return run_stmt(st);
}

int
schedule_set_due(struct db *db, const char *id, int64_t due_ms)
{
	return set_due(db, id, -1, due_ms);
}

int
schedule_set_due_if(struct db *db, const char *id, int64_t expect_ms, int64_t due_ms)
{
	return set_due(db, id, expect_ms, due_ms);
}

/* The stored timing of a schedule (cron and zone malloc'd into *t); its
 * status into status. */
static int
load_timing(struct db *db, const char *id, struct sched_timing *t, char status[16])
{
	struct db_stmt *st = db_prepare(db, "SELECT interval_seconds, cron, timezone, status "
					    "FROM scheduled_jobs WHERE id = ?");
	if (st == NULL)
		return DB_FAILED;
	db_bind_text(st, 1, id, -1);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		t->interval_ms = db_column_int64(st, 0) * 1000;
		t->cron = db_column_is_null(st, 1) ? NULL : xstrdup(db_column_text(st, 1));
		t->timezone = db_column_is_null(st, 2) ? NULL : xstrdup(db_column_text(st, 2));
		snprintf(status, 16, "%s", db_column_text(st, 3) ? db_column_text(st, 3) : "");
	}
	db_reset(st);
	if (rc == DB_ERROR)
		return DB_FAILED;
	return rc == DB_ROW ? SCHED_OK : SCHED_NOT_FOUND;
}

int
schedule_timing_text(struct db *db, const char *id, char **out)
{
	struct sched_timing t = { 0 };
	char status[16];
	int rc = load_timing(db, id, &t, status);
	if (rc == SCHED_OK)
		*out = xasprintf("%lld|%s|%s", (long long)t.interval_ms, t.cron ? t.cron : "",
				 t.timezone ? t.timezone : "");
	free((char *)t.cron);
	free((char *)t.timezone);
	return rc;
}

static void
timing_clear(struct sched_timing *t)
{
	free((char *)t->cron);
	free((char *)t->timezone);
	memset(t, 0, sizeof *t);
}

/* Due one period from now (the first cron time after now). */
int
schedule_restart_clock(struct db *db, const char *id, int64_t now_ms, char **why)
{
	struct sched_timing t = { 0 };
	char status[16];
	int rc = load_timing(db, id, &t, status);
	if (rc != SCHED_OK)
		return rc;
	if (t.cron == NULL && t.interval_ms < 1000) {
		timing_clear(&t);
		if (why)
			*why = xstrdup("interval_seconds must be >= 1");
		return SCHED_BAD_TIMING;
	}
	int64_t due = strcmp(status, "active") == 0 ? next_run_after(&t, now_ms) : -1;
	timing_clear(&t);
	return schedule_set_due(db, id, due);
}

/* --- writing --------------------------------------------------------------------- */

static const char *
field_text(json_t *fields, const char *key)
{
	return json_string_value(json_object_get(fields, key));
}

static void
bind_json_or_null(struct db_stmt *st, int idx, json_t *v)
{
	if (v == NULL || json_is_null(v)) {
		db_bind_null(st, idx);
		return;
	}
	char *text = jw_dump(v, NULL);
	db_bind_text(st, idx, text, -1);
	free(text);
}

static void
bind_text_or_null(struct db_stmt *st, int idx, const char *s)
{
	if (s && *s)
		db_bind_text(st, idx, s, -1);
	else
		db_bind_null(st, idx);
}

static int64_t
field_int(json_t *fields, const char *key, int64_t dflt)
{
	json_t *v = json_object_get(fields, key);
	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

static int
insert_schedule(struct db *db, const char *id, json_t *fields, int64_t user_id)
{
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO scheduled_jobs (id, name, description, workflow_id, trigger_node_id, "
		"user_profile_id, interval_seconds, total_repeats, max_retries, timeout_seconds, "
		"trigger_payload, status, cron, timezone, missed_runs, catch_up_limit, "
		"created_at, updated_at) "
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?)");
	if (st == NULL)
		return DB_FAILED;
	const char *cron = field_text(fields, "cron");
	char now[TIME_DB_LEN];
	time_now_db(now);
	db_bind_text(st, 1, id, -1);
	db_bind_text(st, 2, field_text(fields, "name") ? field_text(fields, "name") : "", -1);
	db_bind_text(st, 3, field_text(fields, "description") ? field_text(fields, "description") : "", -1);
	db_bind_int64(st, 4, field_int(fields, "workflow_id", 0));
	bind_text_or_null(st, 5, field_text(fields, "trigger_node_id"));
	db_bind_int64(st, 6, user_id);
	db_bind_int64(st, 7, cron ? 0 : field_int(fields, "interval_seconds", 0));
	db_bind_int64(st, 8, field_int(fields, "total_repeats", 0));
	db_bind_int64(st, 9, field_int(fields, "max_retries", 3));
	db_bind_int64(st, 10, field_int(fields, "timeout_seconds", 600));
	bind_json_or_null(st, 11, json_object_get(fields, "trigger_payload"));
	bind_text_or_null(st, 12, cron);
	bind_text_or_null(st, 13, cron ? field_text(fields, "timezone") : NULL);
	db_bind_text(st, 14, field_text(fields, "missed_runs") ? field_text(fields, "missed_runs") : "skip", -1);
	db_bind_int64(st, 15, field_int(fields, "catch_up_limit", 10));
	db_bind_text(st, 16, now, -1);
	db_bind_text(st, 17, now, -1);
	return run_stmt(st);
}

static int
workflow_in_scope(struct db *db, int64_t workflow_id, int64_t owner)
{
	struct db_stmt *st = db_prepare(db, "SELECT 1 FROM workflows WHERE id = ? AND (? = 0 OR owner_id = ?)");
	if (st == NULL)
		return DB_FAILED;
	db_bind_int64(st, 1, workflow_id);
	db_bind_int64(st, 2, owner);
	db_bind_int64(st, 3, owner);
	int rc = db_step(st);
	db_reset(st);
	if (rc == DB_ERROR)
		return DB_FAILED;
	return rc == DB_ROW ? SCHED_OK : SCHED_WORKFLOW_NOT_FOUND;
}

int
schedule_end_write(struct db *db, int rc)
{
	if (rc == SCHED_OK)
		rc = execution_notify_executors(db) == EXEC_OK ? SCHED_OK : DB_FAILED;
	if (rc == DB_FAILED)
		return db_abandon(db);
	if (rc != SCHED_OK) {
		db_rollback(db);
		return rc;
	}
	return db_commit(db) == 0 ? SCHED_OK : db_abandon(db);
}

int
schedule_create_in(struct db *db, json_t *fields, int64_t user_id, int64_t now_ms, char *id_out)
{
	crypto_uuid4(id_out);
	int rc = insert_schedule(db, id_out, fields, user_id);
	if (rc == SCHED_OK)
		rc = schedule_restart_clock(db, id_out, now_ms, NULL);
	return rc;
}

int
schedule_create(struct db *db, json_t *fields, int64_t user_id, int64_t owner, int64_t now_ms,
		char *id_out)
{
	if (db_begin_write(db) != 0)
		return DB_FAILED;
	char id[SCHED_ID_MAX + 1];
	int rc = workflow_in_scope(db, field_int(fields, "workflow_id", 0), owner);
	if (rc == SCHED_OK)
		rc = schedule_create_in(db, fields, user_id, now_ms, id);
	rc = schedule_end_write(db, rc);
	if (rc == SCHED_OK)
		memcpy(id_out, id, sizeof id);
	return rc;
}

/* The schedule in scope, locked for the write that follows (PostgreSQL). */
static int
find_for_write(struct db *db, const char *id, int64_t owner, char status[16])
{
	struct db_stmt *st = db_prepare(db, db_backend_of(db) == DB_POSTGRES
		? "SELECT s.status " SCHED_FROM "AND s.id = ? FOR UPDATE OF s"
		: "SELECT s.status " SCHED_FROM "AND s.id = ?");
	if (st == NULL)
		return DB_FAILED;
	bind_owner(st, 1, owner);
	db_bind_text(st, 3, id, -1);
	int rc = db_step(st);
	if (rc == DB_ROW)
		snprintf(status, 16, "%s", db_column_text(st, 0) ? db_column_text(st, 0) : "");
	db_reset(st);
	if (rc == DB_ERROR)
		return DB_FAILED;
	return rc == DB_ROW ? SCHED_OK : SCHED_NOT_FOUND;
}

int
schedule_status(struct db *db, const char *id, int64_t owner, char status[16])
{
	struct db_stmt *st = db_prepare(db, "SELECT s.status " SCHED_FROM "AND s.id = ?");
	if (st == NULL)
		return DB_FAILED;
	bind_owner(st, 1, owner);
	db_bind_text(st, 3, id, -1);
	int rc = db_step(st);
	if (rc == DB_ROW)
		snprintf(status, 16, "%s", db_column_text(st, 0) ? db_column_text(st, 0) : "");
	db_reset(st);
	if (rc == DB_ERROR)
		return DB_FAILED;
	return rc == DB_ROW ? SCHED_OK : SCHED_NOT_FOUND;
}

/* The settings a PATCH (or a node's start) may change, as columns. */
static const char *const int_settings[] = {
	"total_repeats", "max_retries", "timeout_seconds", "catch_up_limit", NULL,
};

/* Applies the settings in fields to schedule id; *timing_changed says
 * whether when it runs changed. */
int
schedule_apply_settings(struct db *db, const char *id, json_t *fields, int *timing_changed)
{
	char now[TIME_DB_LEN];
	time_now_db(now);
	struct db_stmt *st;
	*timing_changed = 0;
	for (const char *const *k = int_settings; *k; k++) {
		json_t *v = json_object_get(fields, *k);
		if (!json_is_integer(v))
			continue;
		char *sql = xasprintf("UPDATE scheduled_jobs SET %s = ? WHERE id = ?", *k);
		st = db_prepare(db, sql);
		free(sql);
		if (st == NULL)
			return DB_FAILED;
		db_bind_int64(st, 1, json_integer_value(v));
		db_bind_text(st, 2, id, -1);
		if (run_stmt(st) != SCHED_OK)
			return DB_FAILED;
	}
	static const char *const text_settings[] = { "name", "description", "missed_runs", NULL };
	for (const char *const *k = text_settings; *k; k++) {
		const char *v = field_text(fields, *k);
		if (v == NULL)
			continue;
		char *sql = xasprintf("UPDATE scheduled_jobs SET %s = ? WHERE id = ?", *k);
		st = db_prepare(db, sql);
		free(sql);
		if (st == NULL)
			return DB_FAILED;
		db_bind_text(st, 1, v, -1);
		db_bind_text(st, 2, id, -1);
		if (run_stmt(st) != SCHED_OK)
			return DB_FAILED;
	}
	if (json_object_get(fields, "trigger_payload")) {
		st = db_prepare(db, "UPDATE scheduled_jobs SET trigger_payload = ? WHERE id = ?");
		if (st == NULL)
			return DB_FAILED;
		bind_json_or_null(st, 1, json_object_get(fields, "trigger_payload"));
		db_bind_text(st, 2, id, -1);
		if (run_stmt(st) != SCHED_OK)
			return DB_FAILED;
	}
	/* Timing: an interval makes it an interval schedule, a cron a cron one. */
	json_t *cron = json_object_get(fields, "cron");
	json_t *interval = json_object_get(fields, "interval_seconds");
	if (json_is_string(cron)) {
		st = db_prepare(db, "UPDATE scheduled_jobs SET cron = ?, interval_seconds = 0 WHERE id = ?");
		if (st == NULL)
			return DB_FAILED;
		db_bind_text(st, 1, json_string_value(cron), -1);
		db_bind_text(st, 2, id, -1);
		if (run_stmt(st) != SCHED_OK)
			return DB_FAILED;
		*timing_changed = 1;
	} else if (json_is_integer(interval) || json_is_null(cron)) {
		st = db_prepare(db, "UPDATE scheduled_jobs SET cron = NULL, timezone = NULL, "
				    "interval_seconds = CASE WHEN ? < 0 THEN interval_seconds ELSE ? END "
				    "WHERE id = ?");
		if (st == NULL)
			return DB_FAILED;
		int64_t n = json_is_integer(interval) ? json_integer_value(interval) : -1;
		db_bind_int64(st, 1, n);
		db_bind_int64(st, 2, n);
		db_bind_text(st, 3, id, -1);
		if (run_stmt(st) != SCHED_OK)
			return DB_FAILED;
		*timing_changed = 1;
	}
	json_t *zone = json_object_get(fields, "timezone");
	if (zone != NULL && !(json_is_integer(interval) && !json_is_string(cron))) {
		st = db_prepare(db, "UPDATE scheduled_jobs SET timezone = ? WHERE id = ? AND cron IS NOT NULL");
		if (st == NULL)
			return DB_FAILED;
		bind_text_or_null(st, 1, json_string_value(zone));
		db_bind_text(st, 2, id, -1);
		if (run_stmt(st) != SCHED_OK)
			return DB_FAILED;
		*timing_changed = 1;
	}
	st = db_prepare(db, "UPDATE scheduled_jobs SET updated_at = ? WHERE id = ?");
	if (st == NULL)
		return DB_FAILED;
	db_bind_text(st, 1, now, -1);
	db_bind_text(st, 2, id, -1);
	return run_stmt(st);
}

int
schedule_update(struct db *db, const char *id, int64_t owner, json_t *fields, int64_t now_ms)
{
	if (db_begin_write(db) != 0)
		return DB_FAILED;
	char status[16];
	int changed = 0;
	int rc = find_for_write(db, id, owner, status);
	if (rc == SCHED_OK)
		rc = schedule_apply_settings(db, id, fields, &changed);
	if (rc == SCHED_OK && changed)
		rc = schedule_restart_clock(db, id, now_ms, NULL);
	return schedule_end_write(db, rc);
}

/* Sets status (and the due time that goes with it). */
static int
set_status(struct db *db, const char *id, const char *status)
{
	struct db_stmt *st = db_prepare(db, "UPDATE scheduled_jobs SET status = ?, updated_at = ? "
					    "WHERE id = ?");
	if (st == NULL)
		return DB_FAILED;
	char now[TIME_DB_LEN];
	time_now_db(now);
	db_bind_text(st, 1, status, -1);
	db_bind_text(st, 2, now, -1);
	db_bind_text(st, 3, id, -1);
	return run_stmt(st);
}

int
schedule_pause(struct db *db, const char *id, int64_t owner)
{
	if (db_begin_write(db) != 0)
		return DB_FAILED;
	char status[16];
	int rc = find_for_write(db, id, owner, status);
	if (rc == SCHED_OK && strcmp(status, "active") != 0)
		rc = SCHED_WRONG_STATE;
	if (rc == SCHED_OK)
		rc = set_status(db, id, "paused");
	if (rc == SCHED_OK)
		rc = schedule_set_due(db, id, -1);
	return schedule_end_write(db, rc);
}

int
schedule_resume(struct db *db, const char *id, int64_t owner, int64_t now_ms)
{
	if (db_begin_write(db) != 0)
		return DB_FAILED;
	char status[16];
	int rc = find_for_write(db, id, owner, status);
	if (rc == SCHED_OK && strcmp(status, "paused") != 0)
		rc = SCHED_WRONG_STATE;
	if (rc == SCHED_OK)
		rc = set_status(db, id, "active");
	if (rc == SCHED_OK)
		rc = schedule_restart_clock(db, id, now_ms, NULL);
	return schedule_end_write(db, rc);
}

int
schedule_delete(struct db *db, const char *id, int64_t owner)
{
	if (db_begin_write(db) != 0)
		return DB_FAILED;
	char status[16];
	int rc = find_for_write(db, id, owner, status);
	if (rc == SCHED_OK) {
		struct db_stmt *st = db_prepare(db, "DELETE FROM scheduled_jobs WHERE id = ?");
		if (st == NULL)
			return db_abandon(db);
		db_bind_text(st, 1, id, -1);
		rc = run_stmt(st);
	}
	return schedule_end_write(db, rc);
}

int
schedule_delete_many(struct db *db, const char *const *ids, size_t n, int64_t owner,
		     int64_t *deleted)
{
	*deleted = 0;
	if (db_begin_write(db) != 0)
		return DB_FAILED;
	int rc = SCHED_OK;
	for (size_t i = 0; i < n && rc == SCHED_OK; i++) {
		struct db_stmt *st = db_prepare(db,
			"DELETE FROM scheduled_jobs WHERE id = ? AND workflow_id IN "
			"(SELECT id FROM workflows WHERE ? = 0 OR owner_id = ?)");
		if (st == NULL)
			return db_abandon(db);
		db_bind_text(st, 1, ids[i], -1);
		db_bind_int64(st, 2, owner);
		db_bind_int64(st, 3, owner);
		if (db_step(st) == DB_ERROR)
			rc = DB_FAILED;
		else
			*deleted += db_changes(st);
		db_reset(st);
	}
	return schedule_end_write(db, rc);
}

int
schedule_node_of(struct db *db, const char *id, int64_t owner, char **slug, char **node_id)
{
	*slug = *node_id = NULL;
	struct db_stmt *st = db_prepare(db, "SELECT w.slug, s.trigger_node_id " SCHED_FROM "AND s.id = ?");
	if (st == NULL)
		return DB_FAILED;
	bind_owner(st, 1, owner);
	db_bind_text(st, 3, id, -1);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		*slug = xstrdup(db_column_text(st, 0) ? db_column_text(st, 0) : "");
		if (!db_column_is_null(st, 1))
			*node_id = xstrdup(db_column_text(st, 1));
	}
	db_reset(st);
	if (rc == DB_ERROR)
		return DB_FAILED;
	return rc == DB_ROW ? SCHED_OK : SCHED_NOT_FOUND;
}

int
schedule_delete_for_user(struct db *db, int64_t user_id)
{
	struct db_stmt *st = db_prepare(db, "DELETE FROM scheduled_jobs WHERE user_profile_id = ? "
					    "OR workflow_id IN (SELECT id FROM workflows WHERE owner_id = ?)");
	if (st == NULL)
		return DB_FAILED;
	db_bind_int64(st, 1, user_id);
	db_bind_int64(st, 2, user_id);
	return run_stmt(st);
}

int
schedule_next_runs(struct db *db, const char *id, int64_t owner, int64_t *out, size_t max,
		   size_t *n, char **zone)
{
	*n = 0;
	*zone = NULL;
	struct db_stmt *st = db_prepare(db, "SELECT s.interval_seconds, s.cron, s.timezone, "
					    "s.next_run_ms, s.status " SCHED_FROM "AND s.id = ?");
	if (st == NULL)
		return DB_FAILED;
	bind_owner(st, 1, owner);
	db_bind_text(st, 3, id, -1);
	int rc = db_step(st);
	if (rc == DB_ROW && !db_column_is_null(st, 3) && max > 0) {
		struct sched_timing t = { db_column_int64(st, 0) * 1000, db_column_text(st, 1),
					  db_column_text(st, 2) };
		out[0] = db_column_int64(st, 3);
		*n = 1 + next_run_list(&t, out[0], out + 1, max - 1);
	}
	if (rc == DB_ROW && !db_column_is_null(st, 2))
		*zone = xstrdup(db_column_text(st, 2));
	db_reset(st);
	if (rc == DB_ERROR)
		return DB_FAILED;
	return rc == DB_ROW ? SCHED_OK : SCHED_NOT_FOUND;
}
