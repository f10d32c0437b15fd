/*
 * schedules.c: /api/v1/schedules/... (pipelit-api.md 3.10, plus cron,
 * time zones, missed-run policies, next-runs and preview: doc/schedules.md).
 *
 * Scoped through the owning workflow: a user sees the schedules of their
 * workflows, an admin all; another user's schedule is a 404.  A change
 * that moves a due time wakes the executors (util/wake.h; PostgreSQL's
 * NOTIFY is sent by the model's transaction), and a change of a node's
 * schedule publishes node_updated on its workflow's channel.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api/schedule_fields.h"
#include "events/publish.h"
#include "http/answer.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "model/node.h"
#include "model/schedule.h"
#include "model/workflow.h"
#include "sched/next_run.h"
#include "util/jsonw.h"
#include "util/timefmt.h"
#include "util/wake.h"
#include "util/xalloc.h"

#define NOT_FOUND "Scheduled job not found."
#define COUNT_DEFAULT 5
#define COUNT_MAX 100
#define BATCH_MAX 1000

static int64_t
scope_of(const struct req *r)
{
	return r->user.is_admin ? SCHED_ANY_OWNER : r->user.id;
}

/* node_updated for the schedule's node, if it has one (after a commit). */
static void
publish_node_of(struct req *r, struct db *db, const char *slug, const char *node_id)
{
	if (slug == NULL || node_id == NULL)
		return;
	struct workflow w;
	if (workflow_get(db, slug, WF_ANY_OWNER, &w) != WF_OK)
		return;
	json_t *node = NULL;
	if (node_get(db, w.id, node_id, &node) == NODE_OK) {
		json_object_del(json_object_get(node, "config"), "input_template");
		char *channel = xasprintf("workflow:%s", slug);
		events_publish(r->cfg, channel, "node_updated", node);
		free(channel);
		json_decref(node);
	}
	workflow_free(&w);
}

static void
after_change(struct req *r, struct db *db, const char *id)
{
	wake_executors(r->cfg);
	char *slug = NULL, *node_id = NULL;
	if (schedule_node_of(db, id, SCHED_ANY_OWNER, &slug, &node_id) == SCHED_OK)
		publish_node_of(r, db, slug, node_id);
	free(slug);
	free(node_id);
}

/* SCHED_WRONG_STATE is answered by change_state(), which names the state. */
static int
answer_error(struct req *r, struct db *db, int rc)
{
	switch (rc) {
	case SCHED_NOT_FOUND:
		return resp_error(r, 404, NOT_FOUND);
	case SCHED_WORKFLOW_NOT_FOUND:
		return resp_error(r, 404, "Workflow not found.");
	case SCHED_BAD_TIMING:
		return resp_error(r, 422, "interval_seconds must be >= 1 (or give a cron expression)");
	default:
		return resp_db_error(r, db, "schedules");
	}
}

static int
answer_schedule(struct req *r, struct db *db, const char *id, int status)
{
	struct jw w;
	jw_init(&w);
	int rc = schedule_write(db, id, scope_of(r), &w);
	if (rc != SCHED_OK) {
		jw_free(&w);
		return answer_error(r, db, rc);
	}
	return resp_jw(r, status, &w);
}

int
schedules_list(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	struct validator v;
	int64_t limit, offset, workflow_id = 0;
	v_init(&v, NULL);
	v_query_page(&v, r, &limit, &offset);
	v_query_int(&v, "workflow_id", req_query(r, "workflow_id"), 1, INT64_MAX, &workflow_id);
	if (v_failed(&v)) {
		int rc = resp_invalid(r, &v);
		v_free(&v);
		return rc;
	}
	v_free(&v);
	const char *status = req_query(r, "status");
	struct jw w;
	jw_init(&w);
	int rc = schedule_list_write(db, scope_of(r), status && *status ? status : NULL,
				     workflow_id, limit, offset, &w);
	if (rc != SCHED_OK) {
		jw_free(&w);
		return answer_error(r, db, rc);
	}
	return resp_jw(r, 200, &w);
}

int
schedules_create(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	json_t *fields = req_checked_body(r, schedule_fields_check, 1);
	if (fields == NULL)
		return 0;
	char id[SCHED_ID_MAX + 1];
	int rc = schedule_create(db, fields, r->user.id, scope_of(r), time_now_ms(), id);
	json_decref(fields);
	if (rc != SCHED_OK)
		return answer_error(r, db, rc);
	after_change(r, db, id);
	return answer_schedule(r, db, id, 201);
}

int
schedules_get(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	return answer_schedule(r, db, req_param(r, "schedule_id"), 200);
}

int
schedules_update(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	json_t *fields = req_checked_body(r, schedule_fields_check, 0);
	if (fields == NULL)
		return 0;
	const char *id = req_param(r, "schedule_id");
	int rc = schedule_update(db, id, scope_of(r), fields, time_now_ms());
	json_decref(fields);
	if (rc != SCHED_OK)
		return answer_error(r, db, rc);
	after_change(r, db, id);
	return answer_schedule(r, db, id, 200);
}

int
schedules_delete(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	const char *id = req_param(r, "schedule_id");
	char *slug = NULL, *node_id = NULL;
	int rc = schedule_node_of(db, id, scope_of(r), &slug, &node_id);
	if (rc == SCHED_OK)
		rc = schedule_delete(db, id, scope_of(r));
	if (rc == SCHED_OK)
		publish_node_of(r, db, slug, node_id);
	free(slug);
	free(node_id);
	if (rc != SCHED_OK)
		return answer_error(r, db, rc);
	return resp_empty(r, 204);
}

/* pause and resume: 400 "Cannot <verb> job with status '<s>'." */
static int
change_state(struct req *r, int pause)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	const char *id = req_param(r, "schedule_id");
	int rc = pause ? schedule_pause(db, id, scope_of(r))
		       : schedule_resume(db, id, scope_of(r), time_now_ms());
	if (rc == SCHED_WRONG_STATE) {
		char status[16] = "";
		if (schedule_status(db, id, scope_of(r), status) == DB_FAILED)
			return resp_db_error(r, db, "schedules");
		char *msg = xasprintf("Cannot %s job with status '%s'.", pause ? "pause" : "resume",
				      status);
		rc = resp_error(r, 400, msg);
		free(msg);
		return rc;
	}
	if (rc != SCHED_OK)
		return answer_error(r, db, rc);
	after_change(r, db, id);
	return answer_schedule(r, db, id, 200);
}

int
schedules_pause(struct req *r)
{
	return change_state(r, 1);
}

int
schedules_resume(struct req *r)
{
	return change_state(r, 0);
}

int
schedules_batch_delete(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	json_t *body = req_json(r);
	struct validator v;
	v_init(&v, body);
	json_t *list = NULL;
	if (v_body_object(&v, body) == 1) {
		list = json_object_get(body, "schedule_ids");
		if (list == NULL)
			v_add(&v, V_BODY, "schedule_ids", "missing", "Field required", json_incref(body), NULL);
		else if (!json_is_array(list))
			v_add(&v, V_BODY, "schedule_ids", "list_type", "Input should be a valid list",
			      json_incref(list), NULL);
		else if (json_array_size(list) > BATCH_MAX)
			v_add(&v, V_BODY, "schedule_ids", "too_long",
			      "List should have at most 1000 items after validation", NULL,
			      json_pack("{s:i}", "max_length", BATCH_MAX));
		else
			for (size_t i = 0; i < json_array_size(list); i++)
				if (!json_is_string(json_array_get(list, i)))
					v_add(&v, V_BODY, "schedule_ids", "string_type",
					      "Input should be a valid string",
					      json_incref(json_array_get(list, i)), NULL);
	}
	if (v_failed(&v)) {
		int rc = resp_invalid(r, &v);
		v_free(&v);
		return rc;
	}
	v_free(&v);
	size_t n = json_array_size(list);
	const char **ids = xcalloc(n + 1, sizeof *ids);
	for (size_t i = 0; i < n; i++)
		ids[i] = json_string_value(json_array_get(list, i));
	int64_t deleted = 0;
	int rc = schedule_delete_many(db, ids, n, scope_of(r), &deleted);
	free(ids);
	if (rc != SCHED_OK)
		return answer_error(r, db, rc);
	return resp_empty(r, 204);
}

/* --- what an expression means -------------------------------------------------- */

static json_t *
iso_list(const int64_t *times, size_t n, const char *zone)
{
	json_t *out = json_array();
	for (size_t i = 0; i < n; i++) {
		char iso[SCHED_ISO_LEN];
		if (next_run_iso(times[i], zone, iso) == 0)
			json_array_append_new(out, json_string(iso));
	}
	return out;
}

int
schedules_next_runs(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	struct validator v;
	int64_t count = COUNT_DEFAULT;
	v_init(&v, NULL);
	v_query_int(&v, "count", req_query(r, "count"), 1, COUNT_MAX, &count);
	if (v_failed(&v)) {
		int rc = resp_invalid(r, &v);
		v_free(&v);
		return rc;
	}
	v_free(&v);
	const char *id = req_param(r, "schedule_id");
	int64_t times[COUNT_MAX];
	size_t n = 0;
	char *zone = NULL;
	int rc = schedule_next_runs(db, id, scope_of(r), times, (size_t)count, &n, &zone);
	if (rc != SCHED_OK)
		return answer_error(r, db, rc);
	json_t *out = json_pack("{s:s, s:s?, s:o}", "schedule_id", id, "timezone", zone,
				"next_runs", iso_list(times, n, zone));
	free(zone);
	return resp_json(r, 200, out);
}

int
schedules_preview(struct req *r)
{
	json_t *fields = req_checked_body(r, schedule_preview_check, 1);
	if (fields == NULL)
		return 0;
	const char *cron = json_string_value(json_object_get(fields, "cron"));
	const char *zone = json_string_value(json_object_get(fields, "timezone"));
	int64_t count = json_integer_value(json_object_get(fields, "count"));
	struct sched_timing t = { 0, cron, zone };
	int64_t times[COUNT_MAX];
	size_t n = next_run_list(&t, time_now_ms(), times, (size_t)count);
	json_t *out = json_pack("{s:s, s:s, s:o}", "cron", cron, "timezone", zone ? zone : "UTC",
				"next_runs", iso_list(times, n, zone));
	json_decref(fields);
	return resp_json(r, 200, out);
}
