/*
 * schedule_node.c: a trigger_schedule node's schedule, driven from the
 * node's extra_config (pipelit-api.md 3.5; see schedule.h).
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

/* The node's config id and extra_config (new reference). */
static int
find_node(struct db *db, int64_t workflow_id, const char *node_id, int64_t *config_id,
	  json_t **extra)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT n.component_type, c.id, c.extra_config FROM workflow_nodes n "
		"LEFT JOIN component_configs c ON c.id = n.component_config_id "
		"WHERE n.workflow_id = ? AND n.node_id = ?");
	if (st == NULL)
		return DB_FAILED;
	db_bind_int64(st, 1, workflow_id);
	db_bind_text(st, 2, node_id, -1);
	int rc = db_step(st);
	int out = SCHED_NODE_NOT_FOUND;
	if (rc == DB_ROW) {
		const char *type = db_column_text(st, 0);
		out = type && strcmp(type, "trigger_schedule") == 0 ? SCHED_OK : SCHED_NOT_SCHEDULE_NODE;
		*config_id = db_column_is_null(st, 1) ? 0 : db_column_int64(st, 1);
		if (extra) {
			const char *text = db_column_text(st, 2);
			*extra = text ? json_loads(text, 0, NULL) : NULL;
			if (!json_is_object(*extra)) {
				json_decref(*extra);
				*extra = json_object();
			}
		}
	}
	db_reset(st);
	return rc == DB_ERROR ? DB_FAILED : out;
}

static int
set_trigger_active(struct db *db, int64_t config_id, int active)
{
	if (config_id == 0)
		return SCHED_OK;
	struct db_stmt *st = db_prepare(db, "UPDATE component_configs SET is_active = ? WHERE id = ?");
	if (st == NULL)
		return DB_FAILED;
	db_bind_bool(st, 1, active);
	db_bind_int64(st, 2, config_id);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_ERROR ? DB_FAILED : SCHED_OK;
}

/* An integer setting of extra_config (numbers and numeric strings, as
 * Pipelit's int() took them), at least min; *why on a bad one. */
static int
int_setting(json_t *extra, const char *key, int64_t dflt, int64_t min, json_t *fields, char **why)
{
	json_t *v = json_object_get(extra, key);
	int64_t n = dflt;
	if (json_is_integer(v)) {
		n = json_integer_value(v);
	} else if (json_is_real(v)) {
		n = (int64_t)json_real_value(v);
	} else if (json_is_string(v)) {
		char *end;
		n = strtoll(json_string_value(v), &end, 10);
		if (*json_string_value(v) == '\0' || *end != '\0') {
			*why = xasprintf("%s must be an integer", key);
			return SCHED_BAD_TIMING;
		}
	} else if (v != NULL && !json_is_null(v)) {
		*why = xasprintf("%s must be an integer", key);
		return SCHED_BAD_TIMING;
	}
	if (n < min || n > 2147483647) {
		*why = n < min ? xasprintf("%s must be >= %lld", key, (long long)min)
			       : xasprintf("%s must be <= 2147483647", key);
		return SCHED_BAD_TIMING;
	}
	json_object_set_new(fields, key, json_integer(n));
	return SCHED_OK;
}

/* The schedule's fields from a node's extra_config; NULL with *why. */
static json_t *
fields_of(json_t *extra, char **why)
{
	json_t *fields = json_object();
	const char *cron = json_string_value(json_object_get(extra, "cron"));
	const char *zone = json_string_value(json_object_get(extra, "timezone"));
	if (cron && *cron == '\0')
		cron = NULL;
	int rc = SCHED_OK;
	if (cron) {
		if (strlen(cron) > SCHED_CRON_MAX || (zone && strlen(zone) > SCHED_TZ_MAX)) {
			*why = xstrdup("cron or timezone is too long");
			rc = SCHED_BAD_TIMING;
		} else if (next_run_check(cron, zone, why) != 0) {
			rc = SCHED_BAD_TIMING;
		} else {
			json_object_set_new(fields, "cron", json_string(cron));
			json_object_set_new(fields, "timezone", zone && *zone ? json_string(zone) : json_null());
		}
	} else {
		rc = int_setting(extra, "interval_seconds", 300, 1, fields, why);
	}
	if (rc == SCHED_OK)
		rc = int_setting(extra, "total_repeats", 0, 0, fields, why);
	if (rc == SCHED_OK)
		rc = int_setting(extra, "max_retries", 3, 0, fields, why);
	if (rc == SCHED_OK)
		rc = int_setting(extra, "timeout_seconds", 600, 1, fields, why);
	if (rc == SCHED_OK)
		rc = int_setting(extra, "catch_up_limit", 10, 1, fields, why);
	const char *policy = json_string_value(json_object_get(extra, "missed_runs"));
	if (rc == SCHED_OK && policy) {
		int known = 0;
		for (const char *const *p = missed_policy_names; *p; p++)
			known |= strcmp(*p, policy) == 0;
		if (!known) {
			*why = xstrdup("missed_runs must be one of 'skip', 'run_once', 'catch_up'");
			rc = SCHED_BAD_TIMING;
		} else {
			json_object_set_new(fields, "missed_runs", json_string(policy));
		}
	}
	json_t *payload = json_object_get(extra, "trigger_payload");
	json_object_set_new(fields, "trigger_payload",
			    json_is_object(payload) ? json_incref(payload) : json_object());
	if (rc != SCHED_OK) {
		json_decref(fields);
		return NULL;
	}
	return fields;
}

/* The node's schedule: its id and status, SCHED_NOT_FOUND when none. */
static int
find_job(struct db *db, int64_t workflow_id, const char *node_id, char id[SCHED_ID_MAX + 1],
	 char status[16])
{
	struct db_stmt *st = db_prepare(db, db_backend_of(db) == DB_POSTGRES
		? "SELECT id, status FROM scheduled_jobs WHERE workflow_id = ? AND trigger_node_id = ? "
		  "ORDER BY created_at, id LIMIT 1 FOR UPDATE"
		: "SELECT id, status FROM scheduled_jobs WHERE workflow_id = ? AND trigger_node_id = ? "
		  "ORDER BY created_at, id LIMIT 1");
	if (st == NULL)
		return DB_FAILED;
	db_bind_int64(st, 1, workflow_id);
	db_bind_text(st, 2, node_id, -1);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		snprintf(id, SCHED_ID_MAX + 1, "%s", db_column_text(st, 0));
		snprintf(status, 16, "%s", db_column_text(st, 1) ? db_column_text(st, 1) : "");
	}
	db_reset(st);
	if (rc == DB_ERROR)
		return DB_FAILED;
	return rc == DB_ROW ? SCHED_OK : SCHED_NOT_FOUND;
}

static int
exec_sql_id(struct db *db, const char *sql, const char *id)
{
	struct db_stmt *st = db_prepare(db, sql);
	if (st == NULL)
		return DB_FAILED;
	db_bind_text(st, 1, id, -1);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_ERROR ? DB_FAILED : SCHED_OK;
}

int
schedule_node_start(struct db *db, int64_t workflow_id, const char *node_id, int64_t user_id,
		    int64_t now_ms, char **why)
{
	*why = NULL;
	if (db_begin_write(db) != 0)
		return DB_FAILED;
	int64_t config_id = 0;
	json_t *extra = NULL, *fields = NULL;
	int rc = find_node(db, workflow_id, node_id, &config_id, &extra);
	if (rc == SCHED_OK && (fields = fields_of(extra, why)) == NULL)
		rc = SCHED_BAD_TIMING;
	char id[SCHED_ID_MAX + 1], status[16];
	int found = rc == SCHED_OK ? find_job(db, workflow_id, node_id, id, status) : rc;
	if (found == SCHED_NOT_FOUND) {
		/* No schedule yet: one named after the node, through the same
		 * create as the REST route (in this transaction). */
		char *name = xasprintf("schedule:%s", node_id);
		json_object_set_new(fields, "name", json_string(name));
		json_object_set_new(fields, "workflow_id", json_integer(workflow_id));
		json_object_set_new(fields, "trigger_node_id", json_string(node_id));
		free(name);
		rc = schedule_create_in(db, fields, user_id, now_ms, id);
	} else if (found == SCHED_OK) {
		if (!json_object_get(fields, "cron"))
			json_object_set_new(fields, "cron", json_null());
		/* An active schedule keeps its due time unless its timing
		 * changed (Pipelit: "active: update only"). */
		int changed = 0;
		char *before = NULL, *after = NULL;
		rc = schedule_timing_text(db, id, &before);
		if (rc == SCHED_OK)
			rc = schedule_apply_settings(db, id, fields, &changed);
		if (rc == SCHED_OK)
			rc = schedule_timing_text(db, id, &after);
		if (rc == SCHED_OK)
			changed = strcmp(before, after) != 0;
		free(before);
		free(after);
		if (rc == SCHED_OK && (strcmp(status, "done") == 0 || strcmp(status, "dead") == 0))
			rc = exec_sql_id(db, "UPDATE scheduled_jobs SET run_count = 0, error_count = 0, "
					 "current_repeat = 0, current_retry = 0, last_error = '' "
					 "WHERE id = ?", id);
		if (rc == SCHED_OK && strcmp(status, "active") != 0)
			rc = exec_sql_id(db, "UPDATE scheduled_jobs SET status = 'active' WHERE id = ?", id);
		if (rc == SCHED_OK && (strcmp(status, "active") != 0 || changed))
			rc = schedule_restart_clock(db, id, now_ms, why);
	} else {
		rc = found;
	}
	if (rc == SCHED_OK)
		rc = set_trigger_active(db, config_id, 1);
	json_decref(extra);
	json_decref(fields);
	return schedule_end_write(db, rc);
}

int
schedule_node_pause(struct db *db, int64_t workflow_id, const char *node_id, char status[16])
{
	if (db_begin_write(db) != 0)
		return DB_FAILED;
	int64_t config_id = 0;
	char id[SCHED_ID_MAX + 1];
	int rc = find_node(db, workflow_id, node_id, &config_id, NULL);
	if (rc == SCHED_OK)
		rc = find_job(db, workflow_id, node_id, id, status);
	if (rc == SCHED_OK && strcmp(status, "active") != 0)
		rc = SCHED_WRONG_STATE;
	if (rc == SCHED_OK)
		rc = exec_sql_id(db, "UPDATE scheduled_jobs SET status = 'paused', next_run_ms = NULL, "
				 "next_run_at = NULL WHERE id = ?", id);
	if (rc == SCHED_OK)
		rc = set_trigger_active(db, config_id, 0);
	return schedule_end_write(db, rc);
}

int
schedule_node_stop(struct db *db, int64_t workflow_id, const char *node_id)
{
	if (db_begin_write(db) != 0)
		return DB_FAILED;
	int64_t config_id = 0;
	char id[SCHED_ID_MAX + 1], status[16];
	int rc = find_node(db, workflow_id, node_id, &config_id, NULL);
	if (rc == SCHED_OK)
		rc = find_job(db, workflow_id, node_id, id, status);
	if (rc == SCHED_OK) {
		struct db_stmt *st = db_prepare(db, "DELETE FROM scheduled_jobs WHERE workflow_id = ? "
						    "AND trigger_node_id = ?");
		if (st == NULL)
			return db_abandon(db);
		db_bind_int64(st, 1, workflow_id);
		db_bind_text(st, 2, node_id, -1);
		rc = db_step(st) == DB_ERROR ? DB_FAILED : SCHED_OK;
		db_reset(st);
	}
	if (rc == SCHED_OK)
		rc = set_trigger_active(db, config_id, 0);
	return schedule_end_write(db, rc);
}
