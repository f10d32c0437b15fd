/*
 * workflows.c: /api/v1/workflows/... (pipelit-api.md 3.4): list, create,
 * detail, update, delete, batch delete.
 *
 * Scoped: a normal user sees only their own workflows, another user's is
 * a 404 "Workflow not found."; admins see all.  Slug rules (derived when
 * absent, 409 when an explicit one is taken) are in model/workflow.h.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api/create.h"
#include "api/execution_events.h"
#include "fields.h"
#include "events/publish.h"
#include "http/answer.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "model/budget.h"
#include "model/execution.h"
#include "model/workflow.h"
#include "util/jsonw.h"
#include "util/xalloc.h"

#define NOT_FOUND "Workflow not found."
#define SLUG_TAKEN "Slug already exists."
#define SLUG_PATTERN "^[a-z0-9]+(?:-[a-z0-9]+)*$"
#define INT32_LIMIT 2147483647
#define TAGS_MAX 1000
#define TAG_MAX_CHARS 255
#define SCHEMA_MAX_BYTES (256 * 1024)

static int64_t
scope_of(const struct req *r)
{
	return r->user.is_admin ? WF_ANY_OWNER : r->user.id;
}

/* --- rendering -------------------------------------------------------------- */

static int
answer_model_error(struct req *r, struct db *db, int rc)
{
	switch (rc) {
	case WF_NOT_FOUND:
		return resp_error(r, 404, NOT_FOUND);
	case WF_SLUG_TAKEN:
		return resp_error(r, 409, SLUG_TAKEN);
	default:
		return resp_db_error(r, db, "workflows");
	}
}

/* Answers 200 with what a model call wrote into out, or its error. */
static int
answer_written(struct req *r, struct db *db, int rc, struct jw *out)
{
	if (rc != WF_OK) {
		jw_free(out);
		return answer_model_error(r, db, rc);
	}
	return resp_jw(r, 200, out);
}

/* Answers WorkflowOut for slug.  With an event channel, the same object is
 * first published there as workflow_updated: the change is committed by
 * now, and a failed publish is logged, never the request's failure. */
static int
answer_workflow(struct req *r, int status, struct db *db, const char *slug,
		const char *event_channel)
{
	struct jw out;
	jw_init(&out);
	int rc = workflow_write(db, slug, scope_of(r), 0, NULL, &out);
	if (rc != WF_OK) {
		jw_free(&out);
		return answer_model_error(r, db, rc);
	}
	if (event_channel != NULL) {
		json_t *data = jw_to_json(&out);
		events_publish(r->cfg, event_channel, "workflow_updated", data);
		json_decref(data);
	}
	return resp_jw(r, status, &out);
}

/* --- validation ---------------------------------------------------------------- */

static void
check_slug(struct validator *v, json_t *body, json_t *clean)
{
	const char *slug = NULL;
	if (v_string(v, body, "slug", 0, 1, WF_SLUG_MAX, &slug) != 1)
		return;
	if (!workflow_slug_valid(slug)) {
		v_add(v, V_BODY, "slug", "string_pattern_mismatch",
		      "String should match pattern '" SLUG_PATTERN "'",
		      json_string(slug), json_pack("{s:s}", "pattern", SLUG_PATTERN));
		return;
	}
	json_object_set_new(clean, "slug", json_string(slug));
}

static void
check_text(struct validator *v, json_t *body, const char *key, int required, size_t max,
	   json_t *clean)
{
	const char *s = NULL;
	if (v_string(v, body, key, required, 0, max, &s) == 1)
		json_object_set_new(clean, key, json_string(s));
}

static void
check_bool(struct validator *v, json_t *body, const char *key, json_t *clean)
{
	int b = 0;
	if (v_bool(v, body, key, 0, &b) == 1)
		json_object_set_new(clean, key, json_boolean(b));
}

static int
sent_null(json_t *body, const char *key)
{
	json_t *val = json_object_get(body, key);
	return val != NULL && json_is_null(val);
}

/* tags: list[str] | null. */
static void
check_tags(struct validator *v, json_t *body, json_t *clean)
{
	json_t *tags = json_object_get(body, "tags");
	if (tags == NULL)
		return;
	if (json_is_null(tags)) {
		json_object_set_new(clean, "tags", json_null());
		return;
	}
	if (!json_is_array(tags) || json_array_size(tags) > TAGS_MAX) {
		v_add(v, V_BODY, "tags", "list_type", json_is_array(tags)
		      ? "Input should be a valid list of at most 1000 tags" : "Input should be a valid list",
		      json_incref(tags), NULL);
		return;
	}
	size_t i;
	json_t *tag;
	json_array_foreach(tags, i, tag) {
		if (!json_is_string(tag) || json_string_length(tag) > TAG_MAX_CHARS * 4) {
			v_add(v, V_BODY, "tags", "string_type",
			      "Input should be a valid string of at most 255 characters",
			      json_incref(tag), NULL);
			return;
		}
	}
	json_object_set(clean, "tags", tags);
}

static void
check_schema(struct validator *v, json_t *body, const char *key, json_t *clean)
{
	json_t *obj = NULL;
	if (sent_null(body, key)) {
		json_object_set_new(clean, key, json_null());
		return;
	}
	if (v_object(v, body, key, 0, &obj) != 1)
		return;
	char *text = json_dumps(obj, JSON_COMPACT);
	if (text == NULL || strlen(text) > SCHEMA_MAX_BYTES)
		v_add(v, V_BODY, key, "value_error", "Value error, the object is too large",
		      json_incref(obj), json_pack("{s:{}}", "error"));
	else
		json_object_set(clean, key, obj);
	free(text);
}

static void
check_error_handler(struct validator *v, json_t *body, json_t *clean)
{
	const char *key = "error_handler_workflow_id";
	int64_t id = 0;
	if (sent_null(body, key)) {
		json_object_set_new(clean, key, json_null());
		return;
	}
	if (v_int(v, body, key, 0, &id) != 1)
		return;
	if (id <= 0 || id > INT32_LIMIT)
		v_add(v, V_BODY, key, "value_error", "Value error, no such workflow",
		      json_integer(id), json_pack("{s:{}}", "error"));
	else
		json_object_set_new(clean, key, json_integer(id));
}

static void
check_max_seconds(struct validator *v, json_t *body, json_t *clean)
{
	const char *key = "max_execution_seconds";
	int64_t n = 0;
	if (v_int(v, body, key, 0, &n) != 1)
		return;
	if (n <= 0)
		v_add(v, V_BODY, key, "greater_than", "Input should be greater than 0",
		      json_integer(n), json_pack("{s:i}", "gt", 0));
	else if (n > INT32_LIMIT)
		v_add(v, V_BODY, key, "less_than_equal",
		      "Input should be less than or equal to 2147483647", json_integer(n),
		      json_pack("{s:I}", "le", (json_int_t)INT32_LIMIT));
	else
		json_object_set_new(clean, key, json_integer(n));
}

/* --- budget ------------------------------------------------------------------ */

static const char *const budget_keys[] = {
	BUDGET_KEY_TOKENS_EXECUTION, BUDGET_KEY_USD_EXECUTION,
	BUDGET_KEY_TOKENS_DAY, BUDGET_KEY_USD_DAY,
};
#define N_BUDGET_KEYS (sizeof(budget_keys) / sizeof(budget_keys[0]))

/* A token limit: null, or a whole number from 0 (v_int's coercions). */
static json_t *
budget_tokens(struct validator *v, json_t *budget, const char *key)
{
	json_t *val = json_object_get(budget, key);
	int64_t n = 0;
	if (json_is_boolean(val)) {
		v_add(v, V_BODY, key, "int_type", "Input should be a valid integer or null",
		      json_incref(val), NULL);
		return NULL;
	}
	if (v_int(v, budget, key, 0, &n) != 1)
		return NULL;
	if (n < 0 || n > BUDGET_TOKENS_MAX) {
		v_add(v, V_BODY, key, n < 0 ? "greater_than_equal" : "less_than_equal",
		      n < 0 ? "Input should be greater than or equal to 0"
			    : "Input should be less than or equal to 1000000000000000",
		      json_integer(n), n < 0 ? json_pack("{s:i}", "ge", 0)
					     : json_pack("{s:I}", "le", (json_int_t)BUDGET_TOKENS_MAX));
		return NULL;
	}
	return json_integer(n);
}

/* A USD limit: null, or a number from 0 (a numeric string is coerced). */
static json_t *
budget_usd(struct validator *v, json_t *budget, const char *key)
{
	json_t *val = json_object_get(budget, key);
	double d = 0;
	int is_num = json_is_number(val);
	if (is_num) {
		d = json_number_value(val);
	} else if (json_is_string(val)) {
		const char *s = json_string_value(val);
		char *end = NULL;
		d = strtod(s, &end);
		is_num = end != s && *end == '\0' && strlen(s) == json_string_length(val);
	}
	if (!is_num || !isfinite(d)) {
		v_add(v, V_BODY, key, "float_type", "Input should be a valid number or null",
		      json_incref(val), NULL);
		return NULL;
	}
	if (d < 0 || d > BUDGET_USD_MAX) {
		v_add(v, V_BODY, key, d < 0 ? "greater_than_equal" : "less_than_equal",
		      d < 0 ? "Input should be greater than or equal to 0"
			    : "Input should be less than or equal to 1000000000",
		      json_real(d), d < 0 ? json_pack("{s:i}", "ge", 0)
					  : json_pack("{s:f}", "le", BUDGET_USD_MAX));
		return NULL;
	}
	return json_real(d);
}

/* budget: null, or an object of the four limits (model/budget.h), each
 * null or a non-negative number, tokens whole.  Stored with all four keys
 * (absent ones null), so a PATCH replaces the whole budget; one with no
 * limit is stored as no budget (null, rendered the same), which an LLM
 * call's reservation recognises without reading it (model/budget.c). */
static void
check_budget(struct validator *v, json_t *body, json_t *clean)
{
	json_t *budget = json_object_get(body, "budget");
	if (budget == NULL)
		return;
	if (json_is_null(budget)) {
		json_object_set_new(clean, "budget", json_null());
		return;
	}
	if (!json_is_object(budget)) {
		v_add(v, V_BODY, "budget", "dict_type", "Input should be a valid dictionary or null",
		      json_incref(budget), NULL);
		return;
	}
	/* Items point into the budget: ["body", ..., "budget", key]. */
	json_t *outer_body = v->body, *outer_prefix = v->prefix;
	json_t *prefix = outer_prefix ? json_deep_copy(outer_prefix) : json_array();
	json_array_append_new(prefix, json_string("budget"));
	v_nest(v, budget, prefix);
	size_t before = v_count(v);
	const char *key;
	json_t *val;
	json_object_foreach(budget, key, val) {
		size_t i;
		for (i = 0; i < N_BUDGET_KEYS && strcmp(key, budget_keys[i]) != 0; i++)
			;
		if (i == N_BUDGET_KEYS)
			v_add(v, V_BODY, key, "extra_forbidden", "Extra inputs are not permitted "
			      "(a budget has max_tokens_per_execution, max_usd_per_execution, "
			      "max_tokens_per_day and max_usd_per_day)", json_incref(val), NULL);
	}
	json_t *out = json_object();
	int limits = 0;
	for (size_t i = 0; i < N_BUDGET_KEYS; i++) {
		json_t *val2 = json_object_get(budget, budget_keys[i]);
		json_t *limit = NULL;
		if (val2 != NULL && !json_is_null(val2))
			limit = i % 2 == 0 ? budget_tokens(v, budget, budget_keys[i])
					   : budget_usd(v, budget, budget_keys[i]);
		limits += limit != NULL;
		json_object_set_new(out, budget_keys[i], limit ? limit : json_null());
	}
	v_nest(v, outer_body, outer_prefix);
	json_decref(prefix);
	if (v_count(v) > before) {
		json_decref(out);
	} else if (limits == 0) {
		json_decref(out);
		json_object_set_new(clean, "budget", json_null());
	} else {
		json_object_set_new(clean, "budget", out);
	}
}

/* The validated fields of a WorkflowIn body (create: name required); a new
 * object, or NULL with v failed. */
json_t *
workflow_fields_check(struct validator *v, json_t *body, int creating)
{
	size_t before = v_count(v);
	if (v_body_object(v, body) != 1)
		return NULL;
	json_t *clean = json_object();
	check_text(v, body, "name", creating, WF_NAME_MAX, clean);
	check_slug(v, body, clean);
	check_text(v, body, "description", 0, 0, clean);
	check_bool(v, body, "is_active", clean);
	check_bool(v, body, "is_public", clean);
	check_bool(v, body, "is_default", clean);
	check_tags(v, body, clean);
	check_error_handler(v, body, clean);
	check_max_seconds(v, body, clean);
	check_schema(v, body, "input_schema", clean);
	check_schema(v, body, "output_schema", clean);
	check_budget(v, body, clean);
	if (v_count(v) > before) {
		json_decref(clean);
		return NULL;
	}
	return clean;
}


static int
answer_bad_reference(struct req *r, json_t *fields)
{
	struct validator v;
	v_init(&v, NULL);
	v_add(&v, V_BODY, "error_handler_workflow_id", "value_error", "Value error, no such workflow",
	      json_incref(json_object_get(fields, "error_handler_workflow_id")),
	      json_pack("{s:{}}", "error"));
	return resp_invalid(r, &v);
}

/* --- handlers ---------------------------------------------------------------------- */

int
workflows_list(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	int64_t limit, offset;
	if (req_query_page(r, &limit, &offset) != 0)
		return 0;
	struct jw out;
	jw_init(&out);
	return answer_written(r, db, workflow_list_write(db, scope_of(r), limit, offset, &out), &out);
}

struct create_args {
	struct req *r;
	json_t *fields;
};

/* In the create's transaction: the workflow, and its WorkflowOut. */
static int
create_and_render(struct db *db, void *arg, struct idem_answer *out)
{
	struct create_args *a = arg;
	char *slug = NULL;
	int rc = workflow_create(db, a->r->user.id, a->fields, &slug);
	if (rc == WF_OK) {
		struct jw w;
		jw_init(&w);
		rc = workflow_write(db, slug, a->r->user.id, 0, NULL, &w);
		if (rc == WF_OK)
			create_answer_take(out, 201, &w);
		jw_free(&w);
	}
	free(slug);
	return rc;
}

static int
answer_create_failure(struct req *r, struct db *db, int rc, void *arg)
{
	struct create_args *a = arg;
	if (rc == WF_BAD_REFERENCE)
		return answer_bad_reference(r, a->fields);
	return answer_model_error(r, db, rc);
}

int
workflows_create(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	json_t *fields = req_checked_body(r, workflow_fields_check, 1);
	if (fields == NULL)
		return 0;
	static const struct create_ops ops = { create_and_render, answer_create_failure, NULL };
	struct create_args a = { r, fields };
	int rc = api_create(r, db, &ops, &a);
	json_decref(fields);
	return rc;
}

int
workflows_get(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	struct jw out;
	jw_init(&out);
	return answer_written(r, db, workflow_write(db, req_param(r, "slug"), scope_of(r), 1,
						    r->ctx->details, &out), &out);
}

int
workflows_update(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	json_t *fields = req_checked_body(r, workflow_fields_check, 0);
	if (fields == NULL)
		return 0;
	char *slug = NULL;
	int rc = workflow_update(db, req_param(r, "slug"), scope_of(r), fields, &slug);
	if (rc == WF_BAD_REFERENCE)
		rc = answer_bad_reference(r, fields);
	else if (rc != WF_OK)
		rc = answer_model_error(r, db, rc);
	else {
		/* Subscribers of the slug they knew hear of the change, a new slug included. */
		char *channel = xasprintf("workflow:%s", req_param(r, "slug"));
		rc = answer_workflow(r, 200, db, slug, channel);
		free(channel);
	}
	json_decref(fields);
	free(slug);
	return rc;
}

int
workflows_delete(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	struct exec_cancelled_list cancelled = { 0 };
	int rc = workflow_delete(db, req_param(r, "slug"), scope_of(r), &cancelled);
	if (rc == WF_OK)
		execution_events_cancelled(r->cfg, &cancelled);
	exec_cancelled_list_free(&cancelled);
	if (rc != WF_OK)
		return answer_model_error(r, db, rc);
	return resp_empty(r, 204);
}

/* slugs: a required list of strings; *out borrows them from body. */
static void
check_slugs(struct validator *v, json_t *body, const char ***out, size_t *n)
{
	json_t *slugs = json_is_object(body) ? json_object_get(body, "slugs") : NULL;
	*out = NULL;
	*n = 0;
	if (slugs == NULL) {
		v_add(v, V_BODY, "slugs", "missing", "Field required", json_incref(body), NULL);
		return;
	}
	if (!json_is_array(slugs)) {
		v_add(v, V_BODY, "slugs", "list_type", "Input should be a valid list",
		      json_incref(slugs), NULL);
		return;
	}
	*out = xcalloc(json_array_size(slugs) + 1, sizeof(**out));
	size_t i;
	json_t *s;
	json_array_foreach(slugs, i, s) {
		if (!json_is_string(s)) {
			v_add(v, V_BODY, "slugs", "string_type", "Input should be a valid string",
			      json_incref(s), NULL);
			continue;
		}
		(*out)[(*n)++] = json_string_value(s);
	}
}

int
workflows_batch_delete(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	json_t *body = req_json(r);
	struct validator v;
	const char **slugs;
	size_t n;
	v_init(&v, body);
	if (v_body_object(&v, body) == 1)
		check_slugs(&v, body, &slugs, &n);
	else
		slugs = NULL, n = 0;
	if (v_failed(&v)) {
		free(slugs);
		return resp_invalid(r, &v);
	}
	v_free(&v);
	struct exec_cancelled_list cancelled = { 0 };
	int rc = workflow_delete_many(db, slugs, n, scope_of(r), &cancelled);
	free(slugs);
	if (rc == WF_OK)
		execution_events_cancelled(r->cfg, &cancelled);
	exec_cancelled_list_free(&cancelled);
	if (rc != WF_OK)
		return answer_model_error(r, db, rc);
	return resp_empty(r, 204);
}
