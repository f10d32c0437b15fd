/*
 * workflow_io.c: GET /api/v1/workflows/{slug}/export/ and
 * POST /api/v1/workflows/import/.
 *
 * The document: {"format":"pipelit-workflow","version":2,"workflow":{...},
 * "nodes":[...],"edges":[...]}.  Nodes are NodeOut without id and
 * updated_at; their configs name credentials by name and type, never by
 * id and never with secrets (workflow_credentials.h: an import resolves
 * them for the importing user and answers the ones it could not in
 * "unresolved_credentials"), and drop llm_model_config_id, which import
 * rebuilds from the llm edges.  Edges are EdgeOut without id.
 *
 * Import checks the whole document before it writes anything, so a bad
 * document is a 422 that leaves the database as it was.  The writes go
 * through the workflow, node and edge models in one transaction that
 * model/idempotency.c opens (api/create.h), with the answer rendered
 * before its commit; should one of them fail after the checks, the
 * transaction rolls back and nothing of the document stays.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api/create.h"
#include "http/answer.h"
#include "http/field_key.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "workflow_credentials.h"
#include "workflow_document.h"
#include "model/budget.h"
#include "model/edge.h"
#include "model/limits.h"
#include "model/node.h"
#include "model/workflow.h"
#include "util/config.h"
#include "util/jsonw.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define NOT_FOUND "Workflow not found."
#define SLUG_TRIES 1000

static int64_t
scope_of(const struct req *r)
{
	return r->user.is_admin ? WF_ANY_OWNER : r->user.id;
}

static json_t *
copy_or_null(json_t *v)
{
	return v ? json_deep_copy(v) : json_null();
}

/* --- export ------------------------------------------------------------------ */

/* The WorkflowOut fields a create accepts (error_handler_workflow_id is a
 * link to another workflow, left out like every other row id). */
static json_t *
export_workflow(const struct workflow *w)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(w->name));
	json_object_set_new(o, "slug", json_string(w->slug));
	json_object_set_new(o, "description", json_string(w->description));
	json_object_set_new(o, "is_active", json_boolean(w->is_active));
	json_object_set_new(o, "is_public", json_boolean(w->is_public));
	json_object_set_new(o, "is_default", json_boolean(w->is_default));
	json_object_set_new(o, "tags", copy_or_null(w->tags));
	json_object_set_new(o, "max_execution_seconds", json_integer(w->max_execution_seconds));
	json_object_set_new(o, "input_schema", copy_or_null(w->input_schema));
	json_object_set_new(o, "output_schema", copy_or_null(w->output_schema));
	json_object_set_new(o, "budget", copy_or_null(w->budget));
	return o;
}

/* NodeOut minus what the database assigns; modifies nodes in place. */
static void
strip_nodes(json_t *nodes)
{
	size_t i;
	json_t *n;
	json_array_foreach(nodes, i, n) {
		json_object_del(n, "id");
		json_object_del(n, "updated_at");
		json_object_del(n, "schedule_job");
		json_t *config = json_object_get(n, "config");
		json_object_del(config, "llm_model_config_id");
		json_object_del(config, "input_template");
	}
}

static void
strip_edges(json_t *edges)
{
	size_t i;
	json_t *e;
	json_array_foreach(edges, i, e)
		json_object_del(e, "id");
}

int
workflows_export(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	struct workflow w;
	int rc = workflow_get(db, req_param(r, "slug"), scope_of(r), &w);
	if (rc == WF_NOT_FOUND)
		return resp_error(r, 404, NOT_FOUND);
	if (rc != WF_OK)
		return resp_db_error(r, db, "export");
	json_t *nodes, *edges;
	rc = workflow_graph(db, w.id, &nodes, &edges);
	if (rc != WF_OK) {
		workflow_free(&w);
		return resp_db_error(r, db, "export graph");
	}
	strip_nodes(nodes);
	strip_edges(edges);
	if (credential_refs_export(db, nodes) != 0) {
		json_decref(nodes);
		json_decref(edges);
		workflow_free(&w);
		return resp_db_error(r, db, "export credentials");
	}
	json_t *doc = json_pack("{s:s, s:i, s:o, s:o, s:o}", "format", WORKFLOW_DOC_FORMAT,
				"version", WORKFLOW_DOC_VERSION, "workflow", export_workflow(&w),
				"nodes", nodes, "edges", edges);
	workflow_free(&w);
	return resp_json(r, 200, doc);
}

/* --- answers ---------------------------------------------------------------- */

/* The problems found so far, as 422 items; loc is ["body", path...]. */
struct problems {
	json_t *items;
};

static void
problem(struct problems *p, json_t *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
problem(struct problems *p, json_t *loc, const char *fmt, ...)
{
	va_list ap;
	char msg[512];
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_t *full = json_pack("[s]", "body");
	json_array_extend(full, loc);
	json_decref(loc);
	json_array_append_new(p->items, json_pack("{s:o, s:s, s:s}", "loc", full, "msg", msg,
						  "type", "value_error"));
}

/* --- import -------------------------------------------------------------------- */

/* The first of "<base>", "<base>-2", "<base>-3", ... that no workflow has
 * (malloc'd), read inside the import's write transaction; NULL with
 * *status WF_SLUG_TAKEN when none of them is free, or WF_DB_ERROR. */
static char *
free_slug(struct db *db, const char *base, int *status)
{
	for (int n = 1; n < SLUG_TRIES; n++) {
		char *cand;
		if (n == 1) {
			cand = xstrdup(base);
		} else {
			char suffix[16];
			int len = snprintf(suffix, sizeof(suffix), "-%d", n);
			size_t keep = strlen(base);
			if (keep + (size_t)len > WF_SLUG_MAX)
				keep = WF_SLUG_MAX - (size_t)len;
			while (keep > 0 && base[keep - 1] == '-')
				keep--;
			cand = xasprintf("%.*s%s", (int)keep, base, suffix);
		}
		struct workflow w;
		int rc = workflow_get(db, cand, WF_ANY_OWNER, &w);
		if (rc == WF_NOT_FOUND)
			return cand;
		free(cand);
		if (rc != WF_OK) {
			*status = WF_DB_ERROR;
			return NULL;
		}
		workflow_free(&w);
	}
	*status = WF_SLUG_TAKEN;
	return NULL;
}

/* Creates the workflow under the document's slug or the first free
 * "<slug>-N", or a slug derived from the name when the document has none. */
static int
create_workflow(struct db *db, int64_t owner, json_t *fields, char **slug_out)
{
	json_t *slug = json_object_get(fields, "slug");
	if (slug != NULL) {
		int status = WF_OK;
		char *free_one = free_slug(db, json_string_value(slug), &status);
		if (free_one == NULL)
			return status;
		json_object_set_new(fields, "slug", json_string(free_one));
		free(free_one);
	}
	return workflow_create(db, owner, fields, slug_out);
}

/* What a refused node means for the import (malloc'd). */
static char *
node_refusal(int rc, size_t i, json_t *item, const struct config_problem *why)
{
	const char *id = json_string_value(json_object_get(item, "node_id"));
	if (rc == NODE_WEBHOOK_PATH_TAKEN)
		return xstrdup(why->message ? why->message : "Webhook path is already used.");
	if (rc == NODE_BAD_CONFIG)
		return xasprintf("node %zu ('%.100s'): config.extra_config%s%s: %s", i, id,
				 why->field ? "." : "", why->field ? why->field : "",
				 why->message ? why->message : "invalid");
	if (rc == NODE_TOO_MANY || rc == NODE_CONFIG_TOO_LARGE) {
		char *limit = node_limit_message(rc);
		char *what = xasprintf("node %zu ('%.100s'): %s", i, id, limit);
		free(limit);
		return what;
	}
	return xasprintf("node %zu ('%.100s') refers to a credential, subworkflow or code block "
			 "that does not exist", i, id);
}

/* The status a refused node answers. */
static int
node_refusal_status(int rc)
{
	switch (rc) {
	case NODE_CONFIG_TOO_LARGE:
		return 413;
	case NODE_WEBHOOK_PATH_TAKEN:
		return 409;
	case NODE_NEEDS_KEY:
		return 503;
	default:
		return 422;
	}
}

/* Writes nodes then edges into workflow_id; on failure *what says which
 * item (malloc'd) and the status to answer is returned (422; 413 for a
 * config over its size; 409 for a webhook path another node has; 503 for
 * a webhook secret and no key to seal it), -1 for a database failure. */
static int
create_graph(struct db *db, int64_t workflow_id, const struct workflow_plan *pl,
	     const struct field_keyring *ring, char **what)
{
	size_t i;
	json_t *item;
	json_array_foreach(pl->nodes, i, item) {
		char *node_id = NULL;
		struct config_problem why = { NULL, NULL };
		int rc = node_create(db, workflow_id, item, ring, &node_id, &why);
		free(node_id);
		if (rc != NODE_OK) {
			*what = rc < 0 ? NULL : node_refusal(rc, i, item, &why);
			config_problem_free(&why);
			return rc < 0 ? -1 : node_refusal_status(rc);
		}
	}
	json_array_foreach(pl->edges, i, item) {
		int64_t edge_id;
		char *msg = NULL;
		int rc = edge_create(db, workflow_id, item, &edge_id, &msg);
		if (rc != EDGE_OK) {
			*what = xasprintf("edge %zu: %s", i, msg ? msg : "refused");
			free(msg);
			return rc < 0 ? -1 : 422;
		}
	}
	return 0;
}

static json_t *
workflow_detail(struct db *db, const char *slug, int64_t owner)
{
	struct workflow w;
	if (workflow_get(db, slug, owner, &w) != WF_OK)
		return NULL;
	json_t *nodes, *edges;
	if (workflow_graph(db, w.id, &nodes, &edges) != WF_OK) {
		workflow_free(&w);
		return NULL;
	}
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(w.id));
	json_object_set_new(o, "name", json_string(w.name));
	json_object_set_new(o, "slug", json_string(w.slug));
	json_object_set_new(o, "description", json_string(w.description));
	json_object_set_new(o, "is_active", json_boolean(w.is_active));
	json_object_set_new(o, "is_public", json_boolean(w.is_public));
	json_object_set_new(o, "is_default", json_boolean(w.is_default));
	json_object_set_new(o, "tags", copy_or_null(w.tags));
	json_object_set_new(o, "error_handler_workflow_id", w.error_handler_workflow_id
			    ? json_integer(w.error_handler_workflow_id) : json_null());
	json_object_set_new(o, "max_execution_seconds", json_integer(w.max_execution_seconds));
	json_object_set_new(o, "input_schema", copy_or_null(w.input_schema));
	json_object_set_new(o, "output_schema", copy_or_null(w.output_schema));
	json_object_set_new(o, "budget", w.budget ? json_deep_copy(w.budget) : json_pack(
		"{s:n, s:n, s:n, s:n}", BUDGET_KEY_TOKENS_EXECUTION, BUDGET_KEY_USD_EXECUTION,
		BUDGET_KEY_TOKENS_DAY, BUDGET_KEY_USD_DAY));
	json_object_set_new(o, "node_count", json_integer(w.node_count));
	json_object_set_new(o, "edge_count", json_integer(w.edge_count));
	json_object_set_new(o, "trigger_count", json_integer(w.trigger_count));
	json_object_set_new(o, "created_at", time_db_to_json(w.created_at));
	json_object_set_new(o, "updated_at", time_db_to_json(w.updated_at));
	json_object_set_new(o, "nodes", nodes);
	json_object_set_new(o, "edges", edges);
	json_object_set_new(o, "budget_today", json_pack("{s:I, s:f}", "tokens",
		(json_int_t)w.today_tokens, "usd", (double)w.today_usd_micros / 1e6));
	workflow_free(&w);
	return o;
}

static int
answer_problems(struct req *r, struct problems *p)
{
	return resp_json(r, 422, json_pack("{s:o}", "detail", p->items));
}

struct import_args {
	struct req *r;
	struct workflow_plan *pl;
	int refusal;             /* 409, 413, 422 or 503 when the graph was refused, else 0 */
	char *what;              /* owned; the refusal's detail */
};

/* The import's writes and its answer, inside the one write transaction
 * model/idempotency.c opens (the models join it); nothing is read back
 * after the commit.  0, or a model result after which nothing stays. */
static int
import_and_render(struct db *db, void *arg, struct idem_answer *out)
{
	struct import_args *a = arg;
	int64_t user = a->r->user.id;
	char *slug = NULL;
	int rc = create_workflow(db, user, a->pl->workflow, &slug);
	struct workflow w;
	if (rc == WF_OK)
		rc = workflow_get(db, slug, user, &w);
	if (rc != WF_OK) {
		free(slug);
		return rc == WF_NOT_FOUND ? DB_FAILED : rc;
	}
	json_t *unresolved = json_array();
	if (credential_refs_resolve(db, user, a->pl->doc_nodes, a->pl->nodes, unresolved) != 0)
		rc = DB_FAILED;
	else
		rc = create_graph(db, w.id, a->pl, req_field_key_if_set(a->r), &a->what);
	workflow_free(&w);
	json_t *body = NULL;
	if (rc == 0 && (body = workflow_detail(db, slug, user)) == NULL)
		rc = DB_FAILED;
	free(slug);
	if (rc != 0) {
		json_decref(unresolved);
		a->refusal = rc == 409 || rc == 413 || rc == 422 || rc == 503 ? rc : 0;
		return rc;
	}
	json_object_set_new(body, "unresolved_credentials", unresolved);
	out->status = 201;
	out->body = jw_dump(body, &out->len);
	json_decref(body);
	return 0;
}

static int
answer_import_failure(struct req *r, struct db *db, int rc, void *arg)
{
	struct import_args *a = arg;
	if (a->refusal == 409 || a->refusal == 413)
		return resp_error(r, a->refusal, a->what);
	if (a->refusal == 503 && req_field_key(r) == NULL)
		return 0;
	if (a->refusal == 422) {
		struct problems p = { json_array() };
		problem(&p, json_array(), "%s", a->what);
		return answer_problems(r, &p);
	}
	return resp_db_error(r, db, "import");
}

/* Writes the checked plan and answers (api/create.h: with an
 * Idempotency-Key, a retried import creates nothing new). */
static int
import_plan(struct req *r, struct db *db, struct workflow_plan *pl)
{
	static const struct create_ops ops = { import_and_render, answer_import_failure, NULL };
	struct import_args a = { r, pl, 0, NULL };
	int rc = api_create(r, db, &ops, &a);
	free(a.what);
	return rc;
}

/*
 * The document against the size limits, before anything is checked in
 * detail or a write lock is taken: 413 for a document over
 * PIPELIT_MAX_IMPORT_BYTES, 422 naming the count over its limit.  0 when
 * within them, else the request has been answered.
 */
static int
check_size(struct req *r)
{
	if ((long)r->body_len > r->cfg->max_import_bytes) {
		char *msg = xasprintf("Import document too large: at most %ld bytes "
				      "(PIPELIT_MAX_IMPORT_BYTES).", r->cfg->max_import_bytes);
		resp_error(r, 413, msg);
		free(msg);
		return -1;
	}
	const struct graph_limits *lim = graph_limits();
	json_t *doc = req_json(r);
	size_t nodes = json_array_size(json_object_get(doc, "nodes"));
	size_t edges = json_array_size(json_object_get(doc, "edges"));
	struct problems p = { json_array() };
	if ((long)nodes > lim->max_nodes)
		problem(&p, json_pack("[s]", "nodes"), "the document has %zu nodes, more than the %ld "
			"a workflow may have (PIPELIT_MAX_NODES_PER_WORKFLOW)", nodes, lim->max_nodes);
	if ((long)edges > lim->max_edges)
		problem(&p, json_pack("[s]", "edges"), "the document has %zu edges, more than the %ld "
			"a workflow may have (PIPELIT_MAX_EDGES_PER_WORKFLOW)", edges, lim->max_edges);
	if (json_array_size(p.items) == 0) {
		json_decref(p.items);
		return 0;
	}
	answer_problems(r, &p);
	return -1;
}

int
workflows_import(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL || check_size(r) != 0)
		return 0;
	json_t *doc = req_json(r);
	struct validator v;
	v_init(&v, doc);
	struct workflow_plan pl;
	int rc = workflow_document_check(&v, doc, &pl) == 0 ? import_plan(r, db, &pl)
							     : resp_invalid(r, &v);
	v_free(&v);
	workflow_plan_free(&pl);
	return rc;
}
