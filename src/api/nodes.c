/*
 * nodes.c: /api/v1/workflows/{slug}/nodes/... (pipelit-api.md 3.5): list,
 * create, update, delete.
 *
 * The workflow is looked up in the caller's scope first: another user's is
 * a 404 "Workflow not found.".  Writes publish node_created, node_updated
 * or node_deleted on workflow:<slug> after their commit.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api/create.h"
#include "fields.h"
#include "graph/node_types.h"
#include "events/publish.h"
#include "http/answer.h"
#include "http/field_key.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "model/node.h"
#include "model/node_config.h"
#include "model/workflow.h"
#include "util/jsonw.h"
#include "util/xalloc.h"

#define WORKFLOW_NOT_FOUND "Workflow not found."
#define NODE_NOT_FOUND_MSG "Node not found."
#define INT32_MIN_VALUE (-2147483647LL - 1)
#define INT32_MAX_VALUE 2147483647LL
#define MODEL_NAME_MAX 255
#define TEXT_MAX_CHARS (1024 * 1024)

/* The workflow of the path in the caller's scope: 0, or -1 after
 * answering 404 or 500. */
static int
find_workflow(struct req *r, struct db *db, struct workflow *w)
{
	int rc = workflow_get(db, req_param(r, "slug"), r->user.is_admin ? WF_ANY_OWNER : r->user.id, w);
	if (rc == WF_OK)
		return 0;
	if (rc == WF_NOT_FOUND)
		resp_error(r, 404, WORKFLOW_NOT_FOUND);
	else
		resp_db_error(r, db, "nodes");
	return -1;
}


/* --- validation ------------------------------------------------------------------ */

static int
sent_null(json_t *obj, const char *key)
{
	json_t *val = json_object_get(obj, key);
	return val != NULL && json_is_null(val);
}

static void
out_of_range(struct validator *v, const char *key, int64_t n)
{
	if (n < INT32_MIN_VALUE)
		v_add(v, V_BODY, key, "greater_than_equal",
		      "Input should be greater than or equal to -2147483648", json_integer(n),
		      json_pack("{s:I}", "ge", (json_int_t)INT32_MIN_VALUE));
	else
		v_add(v, V_BODY, key, "less_than_equal",
		      "Input should be less than or equal to 2147483647", json_integer(n),
		      json_pack("{s:I}", "le", (json_int_t)INT32_MAX_VALUE));
}

/* An int that fits the database's 32-bit columns; nullable when asked. */
static int
check_int(struct validator *v, json_t *obj, const char *key, int nullable, json_t *clean)
{
	if (nullable && sent_null(obj, key)) {
		json_object_set_new(clean, key, json_null());
		return 0;
	}
	int64_t n = 0;
	int rc = v_int(v, obj, key, 0, &n);
	if (rc != 1)
		return rc;
	if (n < INT32_MIN_VALUE || n > INT32_MAX_VALUE) {
		out_of_range(v, key, n);
		return -1;
	}
	json_object_set_new(clean, key, json_integer(n));
	return 0;
}

static int
check_bool(struct validator *v, json_t *obj, const char *key, json_t *clean)
{
	int b = 0;
	int rc = v_bool(v, obj, key, 0, &b);
	if (rc == 1)
		json_object_set_new(clean, key, json_boolean(b));
	return rc;
}

static int
check_text(struct validator *v, json_t *obj, const char *key, size_t min, size_t max,
	   int nullable, json_t *clean)
{
	if (nullable && sent_null(obj, key)) {
		json_object_set_new(clean, key, json_null());
		return 0;
	}
	const char *s = NULL;
	int rc = v_string(v, obj, key, 0, min, max, &s);
	if (rc == 1)
		json_object_set_new(clean, key, json_string(s));
	return rc;
}

/* A float|null the lax way: numbers, and strings that are numbers. */
static int
check_float(struct validator *v, json_t *obj, const char *key, json_t *clean)
{
	json_t *val = json_object_get(obj, key);
	if (val == NULL)
		return 0;
	if (json_is_null(val)) {
		json_object_set_new(clean, key, json_null());
		return 0;
	}
	double d = 0;
	int ok = 0;
	if (json_is_number(val)) {
		d = json_number_value(val);
		ok = 1;
	} else if (json_is_string(val) && json_string_length(val) > 0) {
		char *end;
		d = strtod(json_string_value(val), &end);
		ok = *end == '\0';
	}
	if (!ok || !isfinite(d)) {
		v_add(v, V_BODY, key, "float_parsing",
		      "Input should be a valid number, unable to parse string as a number",
		      json_incref(val), NULL);
		return -1;
	}
	json_object_set_new(clean, key, json_real(d));
	return 0;
}

/* An object (or null where allowed) stored as JSON text. */
static int
check_object(struct validator *v, json_t *obj, const char *key, int nullable, json_t *clean)
{
	if (sent_null(obj, key)) {
		json_object_set_new(clean, key, nullable ? json_null() : json_object());
		return 0;
	}
	json_t *o = NULL;
	int rc = v_object(v, obj, key, 0, &o);
	if (rc == 1)
		json_object_set(clean, key, o);
	return rc;
}

/* ComponentConfigData as input: every key optional, unknown keys (and
 * input_template, llm_model_config_id, which are never written from here)
 * dropped.  A new object. */
static json_t *
check_config(struct validator *v, json_t *config)
{
	/* Items about config keys point under "config", wherever the node is. */
	json_t *outer = v->prefix, *outer_body = v->body;
	json_t *at = outer ? json_copy(outer) : json_array();
	json_array_append_new(at, json_string("config"));
	v_nest(v, config, at);
	json_t *clean = json_object();
	check_text(v, config, "system_prompt", 0, TEXT_MAX_CHARS, 0, clean);
	check_object(v, config, "extra_config", 0, clean);
	check_int(v, config, "llm_credential_id", 1, clean);
	check_text(v, config, "model_name", 0, MODEL_NAME_MAX, 0, clean);
	check_float(v, config, "temperature", clean);
	check_int(v, config, "max_tokens", 1, clean);
	check_float(v, config, "frequency_penalty", clean);
	check_float(v, config, "presence_penalty", clean);
	check_float(v, config, "top_p", clean);
	check_int(v, config, "timeout", 1, clean);
	check_int(v, config, "max_retries", 1, clean);
	check_object(v, config, "response_format", 1, clean);
	check_int(v, config, "credential_id", 1, clean);
	check_bool(v, config, "is_active", clean);
	check_int(v, config, "priority", 0, clean);
	check_object(v, config, "trigger_config", 0, clean);
	v_nest(v, outer_body, outer);
	json_decref(at);
	return clean;
}

/* "__end__" is where a conditional edge ends the run: no node may be
 * called so, or its edges would mean two things. */
static void
check_node_id_free(struct validator *v, json_t *clean)
{
	const char *id = json_string_value(json_object_get(clean, "node_id"));
	if (id == NULL || strcmp(id, "__end__") != 0)
		return;
	v_add(v, V_BODY, "node_id", "value_error",
	      "Value error, '__end__' is reserved for the end of a conditional edge",
	      json_string(id), json_pack("{s:{}}", "error"));
	json_object_del(clean, "node_id");
}

/* An item at config.extra_config.<field> (under v's prefix). */
static void
extra_config_problem(struct validator *v, json_t *extra, const struct config_problem *p)
{
	json_t *outer = v->prefix, *outer_body = v->body;
	json_t *at = outer ? json_copy(outer) : json_array();
	json_array_append_new(at, json_string("config"));
	json_array_append_new(at, json_string("extra_config"));
	v_nest(v, extra, at);
	json_t *input = p->field ? json_object_get(extra, p->field) : extra;
	v_add(v, V_BODY, p->field, "value_error", p->message, input ? json_incref(input) : NULL,
	      json_pack("{s:{}}", "error"));
	v_nest(v, outer_body, outer);
	json_decref(at);
}

/*
 * The kind's rules for its extra_config (model/node_config.h: the
 * registry's, e.g. trigger_webhook, and the runnable kind's check_config),
 * when the body names the kind: on create (no config is an empty one),
 * and on an update that sends both the kind and extra_config.  An update
 * that does not is checked by model/node.c against what is stored, inside
 * its transaction.
 */
static void
check_kind_config(struct validator *v, json_t *clean, int creating)
{
	const char *type = json_string_value(json_object_get(clean, "component_type"));
	json_t *extra = json_object_get(json_object_get(clean, "config"), "extra_config");
	if (type == NULL || (!creating && extra == NULL))
		return;
	json_t *empty = extra == NULL ? json_object() : NULL;
	struct config_problem p;
	if (node_config_check(type, extra ? extra : empty, &p) != 0)
		extra_config_problem(v, extra ? extra : empty, &p);
	config_problem_free(&p);
	json_decref(empty);
}

/* The validated fields of a NodeIn (create) or NodeUpdate body; a new
 * object, or NULL with v failed. */
json_t *
node_fields_check(struct validator *v, json_t *body, int creating)
{
	size_t before = v_count(v);
	if (v_body_object(v, body) != 1)
		return NULL;
	json_t *clean = json_object();
	/* null counts as absent: a create then generates the id. */
	check_text(v, body, "node_id", 1, NODE_ID_MAX, 0, clean);
	check_node_id_free(v, clean);
	check_text(v, body, "label", 0, NODE_LABEL_MAX, 1, clean);
	const char *type = NULL;
	if (v_literal(v, body, "component_type", creating, node_type_names(), &type) == 1)
		json_object_set_new(clean, "component_type", json_string(type));
	check_bool(v, body, "is_entry_point", clean);
	check_bool(v, body, "interrupt_before", clean);
	check_bool(v, body, "interrupt_after", clean);
	check_int(v, body, "position_x", 0, clean);
	check_int(v, body, "position_y", 0, clean);
	check_int(v, body, "subworkflow_id", 1, clean);
	check_int(v, body, "code_block_id", 1, clean);
	json_t *config = NULL;
	if (!sent_null(body, "config") && v_object(v, body, "config", 0, &config) == 1)
		json_object_set_new(clean, "config", check_config(v, config));
	if (v_count(v) == before)
		check_kind_config(v, clean, creating);
	if (v_count(v) > before) {
		json_decref(clean);
		return NULL;
	}
	return clean;
}

/* --- answers ------------------------------------------------------------------------- */

/* A refused config (NODE_BAD_CONFIG): 422 at config.extra_config.<field>. */
static int
answer_bad_config(struct req *r, const struct config_problem *why)
{
	struct validator v;
	v_init(&v, NULL);
	struct config_problem p = { why ? why->field : NULL,
				    why && why->message ? why->message : "Invalid config" };
	extra_config_problem(&v, NULL, &p);
	return resp_invalid(r, &v);
}

static int
answer_model_error(struct req *r, struct db *db, int rc, json_t *fields,
		   const struct config_problem *why)
{
	switch (rc) {
	case NODE_BAD_CONFIG:
		return answer_bad_config(r, why);
	case NODE_WEBHOOK_PATH_TAKEN:
		return resp_error(r, 409, why && why->message ? why->message
							     : "Webhook path is already used.");
	case NODE_NEEDS_KEY:
		/* Answers the 503 that says what to configure. */
		if (req_field_key(r) == NULL)
			return 0;
		return resp_db_error(r, db, "nodes: sealing a webhook secret");
	case NODE_NOT_FOUND:
		return resp_error(r, 404, NODE_NOT_FOUND_MSG);
	case NODE_ID_TAKEN: {
		const char *id = json_string_value(json_object_get(fields, "node_id"));
		char *msg = xasprintf("Node with id '%s' already exists.", id ? id : "");
		int out = resp_error(r, 409, msg);
		free(msg);
		return out;
	}
	case NODE_ID_COLLISION:
		return resp_error(r, 409, "Node id collision after retry.");
	case NODE_TOO_MANY:
	case NODE_CONFIG_TOO_LARGE: {
		char *msg = node_limit_message(rc);
		int out = resp_error(r, rc == NODE_TOO_MANY ? 422 : 413, msg);
		free(msg);
		return out;
	}
	case NODE_BAD_REFERENCE: {
		struct validator v;
		v_init(&v, NULL);
		v_add(&v, V_BODY, NULL, "value_error",
		      "Value error, a referenced credential, workflow or code block does not exist",
		      NULL, json_pack("{s:{}}", "error"));
		return resp_invalid(r, &v);
	}
	default:
		return resp_db_error(r, db, "nodes");
	}
}

/* Answers the NodeOut of node_id, first published as event on the
 * workflow's channel (without input_template, as the live payload has it). */
static int
answer_node(struct req *r, struct db *db, int status, const struct workflow *w,
	    const char *node_id, const char *event)
{
	json_t *node;
	int rc = node_get(db, w->id, node_id, &node);
	if (rc != NODE_OK)
		return answer_model_error(r, db, rc, NULL, NULL);
	json_t *data = json_deep_copy(node);
	json_object_del(json_object_get(data, "config"), "input_template");
	char *channel = xasprintf("workflow:%s", w->slug);
	events_publish(r->cfg, channel, event, data);
	free(channel);
	json_decref(data);
	return resp_json(r, status, node);
}

/* --- handlers ------------------------------------------------------------------------ */

int
nodes_list(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	struct workflow w;
	if (find_workflow(r, db, &w) != 0)
		return 0;
	json_t *list;
	int rc = node_list(db, w.id, &list);
	workflow_free(&w);
	if (rc != NODE_OK)
		return answer_model_error(r, db, rc, NULL, NULL);
	return resp_json(r, 200, list);
}

struct create_args {
	struct req *r;
	const struct workflow *w;
	json_t *fields;
	const struct field_keyring *ring;   /* NULL when no key is configured */
	struct config_problem why;          /* a refused config, owned */
};

/* In the create's transaction: the node, and its NodeOut. */
static int
create_and_render(struct db *db, void *arg, struct idem_answer *out)
{
	struct create_args *a = arg;
	char *node_id = NULL;
	int rc = node_create(db, a->w->id, a->fields, a->ring, &node_id, &a->why);
	json_t *node = NULL;
	if (rc == NODE_OK)
		rc = node_get(db, a->w->id, node_id, &node);
	free(node_id);
	if (rc != NODE_OK)
		return rc;
	out->status = 201;
	out->body = jw_dump(node, &out->len);
	json_decref(node);
	return NODE_OK;
}

static int
answer_create_failure(struct req *r, struct db *db, int rc, void *arg)
{
	struct create_args *a = arg;
	return answer_model_error(r, db, rc, a->fields, &a->why);
}

static void
publish_created(struct req *r, const char *body, size_t len, void *arg)
{
	struct create_args *a = arg;
	json_t *data = json_loadb(body, len, 0, NULL);
	if (data == NULL)
		return;
	json_object_del(json_object_get(data, "config"), "input_template");
	char *channel = xasprintf("workflow:%s", a->w->slug);
	events_publish(r->cfg, channel, "node_created", data);
	free(channel);
	json_decref(data);
}

int
nodes_create(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	struct workflow w;
	if (find_workflow(r, db, &w) != 0)
		return 0;
	json_t *fields = req_checked_body(r, node_fields_check, 1);
	if (fields == NULL) {
		workflow_free(&w);
		return 0;
	}
	static const struct create_ops ops = { create_and_render, answer_create_failure,
					       publish_created };
	struct create_args a = { r, &w, fields, req_field_key_if_set(r), { NULL, NULL } };
	int rc = api_create(r, db, &ops, &a);
	config_problem_free(&a.why);
	json_decref(fields);
	workflow_free(&w);
	return rc;
}

int
nodes_update(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	struct workflow w;
	if (find_workflow(r, db, &w) != 0)
		return 0;
	json_t *fields = req_checked_body(r, node_fields_check, 0);
	if (fields == NULL) {
		workflow_free(&w);
		return 0;
	}
	char *node_id = NULL;
	struct config_problem why = { NULL, NULL };
	int rc = node_update(db, w.id, req_param(r, "node_id"), fields, req_field_key_if_set(r),
			     &node_id, &why);
	if (rc != NODE_OK)
		rc = answer_model_error(r, db, rc, fields, &why);
	else
		rc = answer_node(r, db, 200, &w, node_id, "node_updated");
	config_problem_free(&why);
	free(node_id);
	json_decref(fields);
	workflow_free(&w);
	return rc;
}

int
nodes_delete(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	struct workflow w;
	if (find_workflow(r, db, &w) != 0)
		return 0;
	const char *node_id = req_param(r, "node_id");
	int rc = node_delete(db, w.id, node_id);
	if (rc != NODE_OK) {
		workflow_free(&w);
		return answer_model_error(r, db, rc, NULL, NULL);
	}
	json_t *data = json_pack("{s:s}", "node_id", node_id);
	char *channel = xasprintf("workflow:%s", w.slug);
	events_publish(r->cfg, channel, "node_deleted", data);
	free(channel);
	json_decref(data);
	workflow_free(&w);
	return resp_empty(r, 204);
}
