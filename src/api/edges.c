/*
 * edges.c: /api/v1/workflows/{slug}/edges/... (pipelit-api.md 3.6): list,
 * create, update, delete, each publishing its event on workflow:<slug>
 * after commit; and POST /workflows/{slug}/validate/ lives in validate.c.
 *
 * The workflow is looked up within the caller's scope: another user's is a
 * 404 "Workflow not found.".  The rules an edge must pass are in
 * graph/edge_rules.h; a conditional-edge refusal is a 422 with a string
 * detail, a type refusal a 422 {"detail":{"validation_errors":[...]}}, a
 * node the workflow does not have a 422 item at source_node_id or
 * target_node_id (a deliberate difference: Pipelit stores such edges).
 */
#include <stdint.h>
#include <stdlib.h>

#include "api.h"
#include "api/create.h"
#include "fields.h"
#include "graph/edge_rules.h"
#include "events/publish.h"
#include "http/answer.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "model/edge.h"
#include "model/workflow.h"
#include "util/jsonw.h"
#include "util/xalloc.h"

#define WORKFLOW_NOT_FOUND "Workflow not found."
#define EDGE_NOT_FOUND_MSG "Edge not found."
#define INT32_LIMIT 2147483647

/* The scoped workflow of the path's slug: 0, or -1 after answering. */
static int
workflow_of(struct req *r, struct db *db, struct workflow *w)
{
	int rc = workflow_get(db, req_param(r, "slug"), r->user.is_admin ? WF_ANY_OWNER : r->user.id, w);
	if (rc == WF_OK)
		return 0;
	if (rc == WF_NOT_FOUND)
		resp_error(r, 404, WORKFLOW_NOT_FOUND);
	else
		resp_db_error(r, db, "edges: workflow");
	return -1;
}

/* A node the edge names that the workflow lacks: a 422 item at that field,
 * worded as validate words it. */
static int
answer_unknown_node(struct req *r, const char *field, const char *message)
{
	struct validator v;
	v_init(&v, NULL);
	char *msg = xasprintf("Value error, %s", message ? message : "unknown node");
	json_t *input = json_object_get(req_json(r), field);
	v_add(&v, V_BODY, field, "value_error", msg, input ? json_incref(input) : json_string(""),
	      json_pack("{s:{}}", "error"));
	free(msg);
	return resp_invalid(r, &v);
}

static int
answer_model_error(struct req *r, struct db *db, int rc, char *message)
{
	int out;
	if (rc == EDGE_UNKNOWN_SOURCE || rc == EDGE_UNKNOWN_TARGET)
		out = answer_unknown_node(r, rc == EDGE_UNKNOWN_SOURCE ? "source_node_id"
								: "target_node_id", message);
	else if (rc == EDGE_NOT_FOUND)
		out = resp_error(r, 404, EDGE_NOT_FOUND_MSG);
	else if (rc == EDGE_CONDITIONAL_REFUSED || rc == EDGE_TOO_MANY)
		out = resp_error(r, 422, message);
	else if (rc == EDGE_TYPE_REFUSED)
		out = resp_json(r, 422, json_pack("{s:{s:[s]}}", "detail", "validation_errors", message));
	else
		out = resp_db_error(r, db, "edges");
	free(message);
	return out;
}

static void
publish(struct req *r, const struct workflow *w, const char *type, json_t *data)
{
	char *channel = xasprintf("workflow:%s", w->slug);
	events_publish(r->cfg, channel, type, data);
	free(channel);
}

/* Answers status with the EdgeOut of edge_id, published as event first. */
static int
answer_edge(struct req *r, struct db *db, const struct workflow *w, int64_t edge_id, int status,
	    const char *event)
{
	json_t *out;
	int rc = edge_get(db, w->id, edge_id, &out);
	if (rc != EDGE_OK)
		return answer_model_error(r, db, rc, NULL);
	publish(r, w, event, out);
	return resp_json(r, status, out);
}

/* --- validation ------------------------------------------------------------------ */

static void
check_text(struct validator *v, json_t *body, const char *key, int required, size_t min,
	   size_t max, json_t *clean)
{
	const char *s = NULL;
	if (v_string(v, body, key, required, min, max, &s) == 1)
		json_object_set_new(clean, key, json_string(s));
}

static void
check_literal(struct validator *v, json_t *body, const char *key, const char *const *values,
	      json_t *clean)
{
	const char *s = NULL;
	if (v_literal(v, body, key, 0, values, &s) == 1)
		json_object_set_new(clean, key, json_string(s));
}

static void
check_mapping(struct validator *v, json_t *body, json_t *clean)
{
	json_t *m = json_object_get(body, "condition_mapping");
	json_t *obj = NULL;
	if (m != NULL && json_is_null(m))
		json_object_set_new(clean, "condition_mapping", json_null());
	else if (v_object(v, body, "condition_mapping", 0, &obj) == 1)
		json_object_set(clean, "condition_mapping", obj);
}

static void
check_priority(struct validator *v, json_t *body, json_t *clean)
{
	int64_t n = 0;
	if (v_int(v, body, "priority", 0, &n) != 1)
		return;
	if (n < -INT32_LIMIT - 1 || n > INT32_LIMIT)
		v_add(v, V_BODY, "priority", "int_parsing",
		      "Input should be a valid integer within 32 bits", json_integer(n), NULL);
	else
		json_object_set_new(clean, "priority", json_integer(n));
}

/* The validated fields of an EdgeIn body (create: source_node_id required);
 * a new object, or NULL with v failed. */
json_t *
edge_fields_check(struct validator *v, json_t *body, int creating)
{
	size_t before = v_count(v);
	if (v_body_object(v, body) != 1)
		return NULL;
	json_t *clean = json_object();
	check_text(v, body, "source_node_id", creating, 1, EDGE_NODE_ID_MAX, clean);
	check_text(v, body, "target_node_id", 0, 0, EDGE_NODE_ID_MAX, clean);
	check_literal(v, body, "edge_type", edge_types, clean);
	check_literal(v, body, "edge_label", edge_labels, clean);
	check_mapping(v, body, clean);
	check_text(v, body, "condition_value", 0, 0, EDGE_CONDITION_VALUE_MAX, clean);
	check_priority(v, body, clean);
	if (v_count(v) > before) {
		json_decref(clean);
		return NULL;
	}
	return clean;
}

/* --- handlers ---------------------------------------------------------------------- */

int
edges_list(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	struct workflow w;
	if (db == NULL || workflow_of(r, db, &w) != 0)
		return 0;
	json_t *list;
	int rc = edge_list(db, w.id, &list);
	workflow_free(&w);
	if (rc != EDGE_OK)
		return answer_model_error(r, db, rc, NULL);
	return resp_json(r, 200, list);
}

struct create_args {
	const struct workflow *w;
	json_t *fields;
	char *message;           /* owned; a refusal's detail */
};

/* In the create's transaction: the edge, and its EdgeOut. */
static int
create_and_render(struct db *db, void *arg, struct idem_answer *out)
{
	struct create_args *a = arg;
	int64_t id = 0;
	int rc = edge_create(db, a->w->id, a->fields, &id, &a->message);
	json_t *edge = NULL;
	if (rc == EDGE_OK)
		rc = edge_get(db, a->w->id, id, &edge);
	if (rc != EDGE_OK)
		return rc;
	out->status = 201;
	out->body = jw_dump(edge, &out->len);
	json_decref(edge);
	return EDGE_OK;
}

static int
answer_create_failure(struct req *r, struct db *db, int rc, void *arg)
{
	struct create_args *a = arg;
	int out = answer_model_error(r, db, rc, a->message);
	a->message = NULL;
	return out;
}

static void
publish_created(struct req *r, const char *body, size_t len, void *arg)
{
	struct create_args *a = arg;
	json_t *data = json_loadb(body, len, 0, NULL);
	if (data != NULL)
		publish(r, a->w, "edge_created", data);
	json_decref(data);
}

int
edges_create(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	struct workflow w;
	if (db == NULL || workflow_of(r, db, &w) != 0)
		return 0;
	json_t *fields = req_checked_body(r, edge_fields_check, 1);
	int rc = 0;
	if (fields != NULL) {
		static const struct create_ops ops = { create_and_render, answer_create_failure,
						       publish_created };
		struct create_args a = { &w, fields, NULL };
		rc = api_create(r, db, &ops, &a);
		free(a.message);
		json_decref(fields);
	}
	workflow_free(&w);
	return rc;
}

int
edges_update(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	struct workflow w;
	int64_t id;
	if (db == NULL || workflow_of(r, db, &w) != 0)
		return 0;
	int rc = 0;
	json_t *fields = NULL;
	if (req_path_int(r, "edge_id", &id) == 0 && (fields = req_checked_body(r, edge_fields_check, 0)) != NULL) {
		char *message = NULL;
		rc = edge_update(db, w.id, id, fields, &message);
		rc = rc == EDGE_OK ? answer_edge(r, db, &w, id, 200, "edge_updated")
				   : answer_model_error(r, db, rc, message);
		json_decref(fields);
	}
	workflow_free(&w);
	return rc;
}

int
edges_delete(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	struct workflow w;
	int64_t id;
	if (db == NULL || workflow_of(r, db, &w) != 0)
		return 0;
	int rc = 0;
	if (req_path_int(r, "edge_id", &id) == 0) {
		rc = edge_delete(db, w.id, id);
		if (rc == EDGE_OK) {
			json_t *data = json_pack("{s:I}", "id", (json_int_t)id);
			publish(r, &w, "edge_deleted", data);
			json_decref(data);
			rc = resp_empty(r, 204);
		} else {
			rc = answer_model_error(r, db, rc, NULL);
		}
	}
	workflow_free(&w);
	return rc;
}
