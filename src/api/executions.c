/*
 * executions.c: /api/v1/executions/... (pipelit-api.md 3.7): list, detail,
 * status, cancel, confirm (a human confirmation, issue 13), batch delete.
 *
 * Scoped by the owner of the execution's workflow: a normal user's view of
 * another user's execution is a 404, as if it did not exist; admins see
 * all.  (Pipelit leaves /status/ unscoped; DESIGN.md does not.)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api/execution_events.h"
#include "http/answer.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "model/execution.h"
#include "util/jsonw.h"
#include "util/timefmt.h"
#include "util/wake.h"
#include "util/xalloc.h"

#define NOT_FOUND "Execution not found."
#define STATUS_NOT_FOUND "Execution not found"   /* sic: Pipelit's status route has no period */
#define NOT_WAITING "Execution is not waiting for a confirmation."
#define EXPIRED "This confirmation has expired."
#define FILTER_MAX 255

static int64_t
scope_of(const struct req *r)
{
	return r->user.is_admin ? EXEC_ANY_OWNER : r->user.id;
}

static int
answer_model_error(struct req *r, struct db *db, int rc, const char *not_found)
{
	switch (rc) {
	case EXEC_NOT_FOUND:
		return resp_error(r, 404, not_found);
	case EXEC_WRONG_STATE:
		return resp_error(r, 409, NOT_WAITING);
	case EXEC_EXPIRED:
		return resp_error(r, 410, EXPIRED);
	default:
		return resp_db_error(r, db, "executions");
	}
}

/* Answers 200 with what a model call wrote into out, or its error. */
static int
answer_written(struct req *r, struct db *db, int rc, struct jw *out, const char *not_found)
{
	if (rc != EXEC_OK) {
		jw_free(out);
		return answer_model_error(r, db, rc, not_found);
	}
	return resp_jw(r, 200, out);
}

/* A text filter of the list: absent, or a string of at most FILTER_MAX
 * bytes (longer matches nothing that can exist: a 422 says so). */
static const char *
text_filter(struct validator *v, struct req *r, const char *name)
{
	const char *s = req_query(r, name);
	if (s != NULL && strlen(s) > FILTER_MAX) {
		v_add(v, V_QUERY, name, "string_too_long", "String should have at most 255 characters",
		      json_string(s), json_pack("{s:i}", "max_length", FILTER_MAX));
		return NULL;
	}
	return s;
}

int
executions_list(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	struct validator v;
	struct exec_filter f = { 0 };
	v_init(&v, NULL);
	v_query_page(&v, r, &f.limit, &f.offset);
	f.workflow_slug = text_filter(&v, r, "workflow_slug");
	f.status = text_filter(&v, r, "status");
	if (v_failed(&v))
		return resp_invalid(r, &v);
	v_free(&v);
	struct jw out;
	jw_init(&out);
	return answer_written(r, db, execution_list_write(db, scope_of(r), &f, &out), &out, NOT_FOUND);
}

int
executions_get(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	struct jw out;
	jw_init(&out);
	int rc = execution_detail_write(db, req_param(r, "execution_id"), scope_of(r), &out);
	return answer_written(r, db, rc, &out, NOT_FOUND);
}

int
executions_status(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	struct jw out;
	jw_init(&out);
	int rc = execution_status_write(db, req_param(r, "execution_id"), scope_of(r), &out);
	return answer_written(r, db, rc, &out, STATUS_NOT_FOUND);
}

/* After a committed cancel or confirm: the event, the executors woken,
 * and the execution as it is now (ExecutionOut).  The change is committed:
 * should the read fail, a retry of the request answers the same. */
static int
answer_steered(struct req *r, struct db *db, const char *id, const char *slug, int64_t seq)
{
	if (seq > 0)
		execution_event_cancelled(r->cfg, slug, id, seq);
	wake_executors(r->cfg);
	struct jw out;
	jw_init(&out);
	return answer_written(r, db, execution_out_write(db, id, scope_of(r), &out), &out, NOT_FOUND);
}

int
executions_cancel(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	const char *id = req_param(r, "execution_id");
	int64_t seq = 0;
	char *slug = NULL;
	int rc = execution_cancel(db, id, scope_of(r), time_now_ms(), &seq, &slug);
	if (rc == EXEC_WRONG_STATE) {
		/* pipelit-api.md 3.7: a finished execution is left as it was
		 * and answered as it is, not an error. */
		free(slug);
		struct jw out;
		jw_init(&out);
		return answer_written(r, db, execution_out_write(db, id, scope_of(r), &out), &out,
				      NOT_FOUND);
	}
	if (rc != EXEC_OK)
		return answer_model_error(r, db, rc, NOT_FOUND);
	rc = answer_steered(r, db, id, slug, seq);
	free(slug);
	return rc;
}

int
executions_confirm(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	static const char *const actions[] = { "confirm", "cancel", NULL };
	json_t *body = req_json(r);
	struct validator v;
	const char *action = NULL;
	v_init(&v, body);
	if (v_body_object(&v, body) == 1)
		v_literal(&v, body, "action", 1, actions, &action);
	if (v_failed(&v))
		return resp_invalid(r, &v);
	v_free(&v);
	const char *id = req_param(r, "execution_id");
	int64_t seq = 0;
	char *slug = NULL;
	int rc = execution_confirm(db, id, NULL, scope_of(r), action, time_now_ms(), &seq, &slug);
	if (rc != EXEC_OK) {
		free(slug);
		return answer_model_error(r, db, rc, NOT_FOUND);
	}
	rc = answer_steered(r, db, id, slug, seq);
	free(slug);
	return rc;
}

/* execution_ids: a required list of strings; *out borrows them from body. */
static void
check_ids(struct validator *v, json_t *body, const char ***out, size_t *n)
{
	json_t *ids = json_object_get(body, "execution_ids");
	*out = NULL;
	*n = 0;
	if (ids == NULL) {
		v_add(v, V_BODY, "execution_ids", "missing", "Field required", json_incref(body), NULL);
		return;
	}
	if (!json_is_array(ids)) {
		v_add(v, V_BODY, "execution_ids", "list_type", "Input should be a valid list",
		      json_incref(ids), NULL);
		return;
	}
	*out = xcalloc(json_array_size(ids) + 1, sizeof(**out));
	size_t i;
	json_t *s;
	json_array_foreach(ids, i, s) {
		if (!json_is_string(s)) {
			v_add(v, V_BODY, "execution_ids", "string_type", "Input should be a valid string",
			      json_incref(s), NULL);
			continue;
		}
		(*out)[(*n)++] = json_string_value(s);
	}
}

int
executions_batch_delete(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	json_t *body = req_json(r);
	struct validator v;
	const char **ids = NULL;
	size_t n = 0;
	v_init(&v, body);
	if (v_body_object(&v, body) == 1)
		check_ids(&v, body, &ids, &n);
	if (v_failed(&v)) {
		free(ids);
		return resp_invalid(r, &v);
	}
	v_free(&v);
	int64_t deleted = 0;
	int rc = execution_delete_many(db, ids, n, scope_of(r), &deleted);
	free(ids);
	if (rc != EXEC_OK)
		return answer_model_error(r, db, rc, NOT_FOUND);
	return resp_empty(r, 204);
}
