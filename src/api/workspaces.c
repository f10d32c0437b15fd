/*
 * workspaces.c: /api/v1/workspaces/... (pipelit-api.md 3.12, doc/workspaces.md).
 *
 * Always scoped to the caller, admins included: another user's workspace
 * is a 404.  A workspace is a directory right under the workspaces root;
 * a path that is not is a 400 with the spec's message.  Environment
 * variables are secrets: stored sealed, answered masked, and a value sent
 * back as the mask of the stored one keeps it.  FIELD_ENCRYPTION_KEY is
 * needed only when there are values to seal or open (a 503 otherwise).
 */
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
#include "model/credential_ref.h"
#include "model/workspace.h"
#include "model/workspace_dir.h"
#include "model/workspace_env.h"
#include "util/config.h"
#include "util/jsonw.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define NOT_FOUND "Workspace not found."
#define NAME_TAKEN "Workspace with this name already exists."
#define PATH_TAKEN "Workspace with this path already exists."
#define IS_DEFAULT "Cannot delete the default workspace."
#define ENV_MAX 200
#define ENV_KEY_MAX 255
#define ENV_VALUE_MAX 16384
#define ENV_FIELD_MAX 255
#define FS_RETRY_SECONDS "5"

static const char *
root_of(const struct req *r)
{
	return r->cfg->workspaces_dir;
}

/* 400 "Workspace path must be under <root>/" (the spec's words). */
static int
answer_outside(struct req *r)
{
	char *root = wsdir_path(root_of(r), "");
	char *msg = xasprintf("Workspace path must be under %s", root);
	int rc = resp_error(r, 400, msg);
	free(msg);
	free(root);
	return rc;
}

/* A file-system fault (logged by the model): 503, retry later. */
static int
answer_fs_fault(struct req *r, const char *what)
{
	char *msg = xasprintf("The workspace directory could not be %s; the server log says why",
			      what);
	resp_add_header(r, "Retry-After", FS_RETRY_SECONDS);
	int rc = resp_error(r, 503, msg);
	free(msg);
	return rc;
}

/* Answers the outcomes every route shares; what names the file operation. */
static int
answer_result(struct req *r, struct db *db, int rc, const char *what)
{
	switch (rc) {
	case WS_NOT_FOUND:
		return resp_error(r, 404, NOT_FOUND);
	case WS_NAME_TAKEN:
		return resp_error(r, 409, NAME_TAKEN);
	case WS_PATH_TAKEN:
		return resp_error(r, 409, PATH_TAKEN);
	case WS_DIR_NOT_EMPTY:
		return resp_error(r, 409, "The workspace directory exists already and holds files "
					  "of no workspace; remove it or choose another name.");
	case WS_IS_DEFAULT:
		return resp_error(r, 403, IS_DEFAULT);
	case WS_OUTSIDE:
		return answer_outside(r);
	case WS_DIR_FAILED:
		return answer_fs_fault(r, what);
	case WS_NO_KEY:
		/* Not set: this answers the 503 naming FIELD_ENCRYPTION_KEY. */
		return req_field_key(r) == NULL ? 0 : resp_field_key_mismatch(r);
	case WS_BAD_KEY:
		return resp_field_key_mismatch(r);
	default:
		return resp_db_error(r, db, "workspaces");
	}
}

/* --- rendering ---------------------------------------------------------------------- */

static json_t *
workspace_out(const struct workspace *w)
{
	json_t *out = json_object();
	json_object_set_new(out, "id", json_integer(w->id));
	json_object_set_new(out, "name", json_string(w->name));
	json_object_set_new(out, "path", json_string(w->path));
	json_object_set_new(out, "allow_network", json_boolean(w->allow_network));
	json_object_set_new(out, "env_vars", wsenv_masked(w->env_vars));
	json_object_set_new(out, "created_at", time_db_to_json_or_text(w->created_at));
	return out;
}

/* --- validation --------------------------------------------------------------------- */

static int
env_key_ok(const char *k)
{
	if (!((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') || *k == '_'))
		return 0;
	for (; *k; k++)
		if (!((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') ||
		      (*k >= '0' && *k <= '9') || *k == '_'))
			return 0;
	return 1;
}

static void
value_error(struct validator *v, const char *field, const char *msg, json_t *input)
{
	char *text = xasprintf("Value error, %s", msg);
	v_add(v, V_BODY, field, "value_error", text, json_incref(input), json_pack("{s:{}}", "error"));
	free(text);
}

static const char *const sources[] = { "raw", "credential", NULL };

/* One WorkspaceEnvVar, checked into a clean object (NULL when invalid). */
static json_t *
check_var(struct validator *v, json_t *item, int64_t owner, struct db *db, json_t *seen)
{
	if (!json_is_object(item)) {
		v_add(v, V_BODY, NULL, "model_type",
		      "Input should be a valid dictionary or instance of WorkspaceEnvVar",
		      json_incref(item), NULL);
		return NULL;
	}
	size_t before = v_count(v);
	const char *key = NULL, *value = NULL, *field = NULL, *source = "raw";
	int64_t cred = 0;
	int has_cred = 0;
	if (v_string(v, item, "key", 1, 1, ENV_KEY_MAX, &key) == 1 && !env_key_ok(key)) {
		v_add(v, V_BODY, "key", "string_pattern_mismatch",
		      "String should match pattern '^[A-Za-z_][A-Za-z0-9_]*$'",
		      json_incref(json_object_get(item, "key")),
		      json_pack("{s:s}", "pattern", "^[A-Za-z_][A-Za-z0-9_]*$"));
	} else if (key != NULL && json_object_get(seen, key) != NULL) {
		value_error(v, "key", "each key may appear once", json_object_get(item, "key"));
	}
	v_string(v, item, "value", 0, 0, ENV_VALUE_MAX, &value);
	has_cred = v_int(v, item, "credential_id", 0, &cred) == 1;
	v_string(v, item, "credential_field", 0, 0, ENV_FIELD_MAX, &field);
	v_literal(v, item, "source", 0, sources, &source);
	if (has_cred && db != NULL && v_count(v) == before) {
		int rc = credential_ref_owned(db, owner, cred);
		if (rc == CREDREF_NONE)
			value_error(v, "credential_id", "the credential does not exist",
				    json_object_get(item, "credential_id"));
		else if (rc != CREDREF_OK)
			return NULL;   /* the database failed: the caller answers it */
	}
	if (v_count(v) != before)
		return NULL;
	json_object_set_new(seen, key, json_true());
	json_t *out = json_object();
	json_object_set_new(out, "key", json_string(key));
	json_object_set_new(out, "value", value ? json_string(value) : json_null());
	json_object_set_new(out, "credential_id", has_cred ? json_integer(cred) : json_null());
	json_object_set_new(out, "credential_field", field ? json_string(field) : json_null());
	json_object_set_new(out, "source", json_string(source));
	return out;
}

/*
 * env_vars: a list of WorkspaceEnvVar, or null / absent (*out NULL).  A
 * credential_id must name one of owner's credentials.  Returns -1 when the
 * database failed (the caller answers it), else 0 with errors in v.
 */
static int
check_env(struct validator *v, json_t *body, int64_t owner, struct db *db, json_t **out)
{
	json_t *list = json_object_get(body, "env_vars");
	*out = NULL;
	if (list == NULL || json_is_null(list))
		return 0;
	if (!json_is_array(list)) {
		v_add(v, V_BODY, "env_vars", "list_type", "Input should be a valid list",
		      json_incref(list), NULL);
		return 0;
	}
	if (json_array_size(list) > ENV_MAX) {
		value_error(v, "env_vars", "at most 200 variables", list);
		return 0;
	}
	json_t *clean = json_array(), *seen = json_object();
	size_t i;
	json_t *item;
	int failed = 0;
	json_array_foreach(list, i, item) {
		json_t *prefix = json_pack("[s, I]", "env_vars", (json_int_t)i);
		size_t before = v_count(v);
		v_nest(v, item, prefix);
		json_t *var = check_var(v, item, owner, db, seen);
		v_nest(v, body, NULL);
		json_decref(prefix);
		if (var != NULL)
			json_array_append_new(clean, var);
		else if (v_count(v) == before)
			failed = 1;
	}
	json_decref(seen);
	if (failed || v_failed(v)) {
		json_decref(clean);
		return failed ? -1 : 0;
	}
	*out = clean;
	return 0;
}

/* A value that looks like a mask where there is nothing stored to keep. */
static void
mask_without_value(struct validator *v, json_t *body, long index)
{
	json_t *prefix = json_pack("[s, I]", "env_vars", (json_int_t)index);
	json_t *item = json_array_get(json_object_get(body, "env_vars"), (size_t)index);
	v_nest(v, item, prefix);
	value_error(v, "value", "this is a masked value, but no value is stored under this key "
			       "to keep; send the value itself",
		    json_object_get(item, "value"));
	v_nest(v, body, NULL);
	json_decref(prefix);
}

/* --- common preamble ------------------------------------------------------------------ */

static int
answer_invalid(struct req *r, struct validator *v)
{
	int rc = resp_invalid(r, v);
	v_free(v);
	return rc;
}

static int
answer_workspace(struct req *r, struct db *db, int status, int64_t id)
{
	struct workspace w;
	int rc = workspace_get(db, req_field_key_if_set(r), id, r->user.id, &w);
	if (rc != WS_OK)
		return answer_result(r, db, rc, "read");
	json_t *out = workspace_out(&w);
	workspace_free(&w);
	return resp_json(r, status, out);
}

/* The default workspace exists once a user does (created on first need:
 * a list or a create).  A failure is logged, never the request's. */
static void
ensure_default(struct req *r, struct db *db)
{
	int rc = workspace_ensure_default(db, root_of(r));
	if (rc == WS_DB_ERROR)
		log_error("workspaces: the default workspace could not be made: %s", db_errmsg(db));
	else if (rc != WS_OK)
		log_error("workspaces: the default workspace could not be made (%d)", rc);
}

/* --- handlers --------------------------------------------------------------------------- */

int
workspaces_list(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	int64_t limit, offset;
	if (req_query_page(r, &limit, &offset) != 0)
		return 0;
	ensure_default(r, db);
	struct workspace *items;
	size_t n;
	int64_t total;
	int rc = workspace_list(db, req_field_key_if_set(r), r->user.id, limit, offset, &items, &n,
				&total);
	if (rc != WS_OK)
		return answer_result(r, db, rc, "read");
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(list, workspace_out(&items[i]));
		workspace_free(&items[i]);
	}
	free(items);
	return resp_json(r, 200, json_pack("{s:o, s:I}", "items", list, "total", (json_int_t)total));
}

struct create_args {
	struct req *r;
	const char *name, *dir;
	int allow_network;
	json_t *env_vars;
	int dir_created;
};

/* In the create's transaction: the workspace, its directory, its WorkspaceOut. */
static int
create_and_render(struct db *db, void *arg, struct idem_answer *out)
{
	struct create_args *a = arg;
	const struct field_keyring *ring = req_field_key_if_set(a->r);
	int64_t id = 0;
	int rc = workspace_create(db, ring, root_of(a->r), a->r->user.id, a->name, a->dir,
				  a->allow_network, a->env_vars, &id, &a->dir_created);
	struct workspace w;
	if (rc == WS_OK)
		rc = workspace_get(db, ring, id, a->r->user.id, &w);
	if (rc != WS_OK)
		return rc == WS_NOT_FOUND ? WS_DB_ERROR : rc;
	json_t *body = workspace_out(&w);
	workspace_free(&w);
	out->status = 201;
	out->body = jw_dump(body, &out->len);
	json_decref(body);
	return WS_OK;
}

static int
answer_create_failure(struct req *r, struct db *db, int rc, void *arg)
{
	return answer_result(r, db, rc, "created");
}

int
workspaces_create(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	json_t *body = req_json(r);
	struct validator v;
	const char *name = NULL, *path = NULL;
	int allow_network = 0;
	json_t *env = NULL;
	v_init(&v, body);
	if (v_body_object(&v, body) != 1)
		return answer_invalid(r, &v);
	v_string(&v, body, "name", 1, 1, WS_NAME_MAX, &name);
	v_string(&v, body, "path", 0, 0, 0, &path);
	v_bool(&v, body, "allow_network", 0, &allow_network);
	if (check_env(&v, body, r->user.id, db, &env) != 0) {
		v_free(&v);
		return resp_db_error(r, db, "workspaces");
	}
	for (size_t i = 0; env != NULL && i < json_array_size(env); i++)
		if (wsenv_looks_masked(json_string_value(
			    json_object_get(json_array_get(env, i), "value"))))
			mask_without_value(&v, body, (long)i);
	if (v_failed(&v)) {
		json_decref(env);
		return answer_invalid(r, &v);
	}
	v_free(&v);
	/* The name is the directory's name unless a path says otherwise. */
	char *dir = NULL;
	if (!wsdir_name_ok(name) ||
	    (path != NULL && wsdir_name_of_path(root_of(r), path, &dir) != WSDIR_OK)) {
		json_decref(env);
		return answer_outside(r);
	}
	if (dir == NULL)
		dir = xstrdup(name);
	/* Before the create, so no one takes the name "default" first. */
	ensure_default(r, db);
	static const struct create_ops ops = { create_and_render, answer_create_failure, NULL };
	struct create_args a = { r, name, dir, allow_network, env, 0 };
	int rc = api_create(r, db, &ops, &a);
	/* Made, then the commit failed: the directory goes again. */
	if (a.dir_created && r->status != 201)
		wsdir_remove(root_of(r), dir);
	json_decref(env);
	free(dir);
	return rc;
}

int
workspaces_get(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	int64_t id = 0;
	if (db == NULL || req_path_int(r, "workspace_id", &id) != 0)
		return 0;
	return answer_workspace(r, db, 200, id);
}

int
workspaces_update(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	json_t *body = req_json(r);
	struct validator v;
	int64_t id = 0;
	int allow_network = -1;
	json_t *env = NULL;
	v_init(&v, body);
	v_path_int(&v, "workspace_id", req_param(r, "workspace_id"), &id);
	if (v_body_object(&v, body) != 1)
		return answer_invalid(r, &v);
	v_bool(&v, body, "allow_network", 0, &allow_network);
	if (check_env(&v, body, r->user.id, db, &env) != 0) {
		v_free(&v);
		return resp_db_error(r, db, "workspaces");
	}
	if (v_failed(&v)) {
		json_decref(env);
		return answer_invalid(r, &v);
	}
	if (env != NULL) {
		/* What is stored, for the values sent back masked. */
		struct workspace w;
		int rc = workspace_get(db, req_field_key_if_set(r), id, r->user.id, &w);
		if (rc != WS_OK) {
			json_decref(env);
			v_free(&v);
			return answer_result(r, db, rc, "read");
		}
		long bad = wsenv_keep_masked(env, w.env_vars);
		workspace_free(&w);
		if (bad >= 0) {
			mask_without_value(&v, body, bad);
			json_decref(env);
			return answer_invalid(r, &v);
		}
	}
	v_free(&v);
	int rc = workspace_update(db, req_field_key_if_set(r), id, r->user.id, allow_network, env);
	json_decref(env);
	if (rc != WS_OK)
		return answer_result(r, db, rc, "read");
	return answer_workspace(r, db, 200, id);
}

int
workspaces_delete(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	int64_t id = 0;
	if (db == NULL || req_path_int(r, "workspace_id", &id) != 0)
		return 0;
	int rc = workspace_delete(db, root_of(r), id, r->user.id);
	if (rc != WS_OK)
		return answer_result(r, db, rc, "removed");
	return resp_empty(r, 204);
}

/* ids: a required list of integers (lax: "5" counts). *out is malloc'd. */
static void
check_ids(struct validator *v, json_t *body, int64_t **out, size_t *n)
{
	json_t *ids = json_is_object(body) ? json_object_get(body, "ids") : NULL;
	*out = NULL;
	*n = 0;
	if (ids == NULL) {
		v_add(v, V_BODY, "ids", "missing", "Field required", json_incref(body), NULL);
		return;
	}
	if (!json_is_array(ids)) {
		v_add(v, V_BODY, "ids", "list_type", "Input should be a valid list", json_incref(ids),
		      NULL);
		return;
	}
	*out = xcalloc(json_array_size(ids) + 1, sizeof(**out));
	size_t i;
	json_t *elem;
	json_array_foreach(ids, i, elem) {
		const char *s = json_string_value(elem);
		char *end = NULL;
		long long id = s ? strtoll(s, &end, 10) : 0;
		if (json_is_integer(elem)) {
			(*out)[(*n)++] = json_integer_value(elem);
		} else if (s != NULL && *s != '\0' && *end == '\0') {
			(*out)[(*n)++] = id;
		} else {
			json_t *prefix = json_pack("[s, I]", "ids", (json_int_t)i);
			v_nest(v, elem, prefix);
			v_add(v, V_BODY, NULL, "int_parsing",
			      "Input should be a valid integer, unable to parse string as an integer",
			      json_incref(elem), NULL);
			v_nest(v, body, NULL);
			json_decref(prefix);
		}
	}
}

int
workspaces_batch_delete(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	json_t *body = req_json(r);
	struct validator v;
	int64_t *ids;
	size_t n;
	v_init(&v, body);
	check_ids(&v, body, &ids, &n);
	if (v_failed(&v)) {
		free(ids);
		return answer_invalid(r, &v);
	}
	v_free(&v);
	/* Unknown ids, other users' and the default workspace are skipped. */
	for (size_t i = 0; i < n; i++) {
		int rc = workspace_delete(db, root_of(r), ids[i], r->user.id);
		if (rc != WS_OK && rc != WS_NOT_FOUND && rc != WS_IS_DEFAULT) {
			free(ids);
			return answer_result(r, db, rc, "removed");
		}
	}
	free(ids);
	return resp_empty(r, 204);
}

/* The workspace of the path, without its variables; 0, or -1 answered. */
static int
find_from_path(struct req *r, struct db **db, struct workspace *w)
{
	*db = req_db_or_answer(r);
	int64_t id = 0;
	if (*db == NULL || req_path_int(r, "workspace_id", &id) != 0)
		return -1;
	int rc = workspace_find(*db, id, r->user.id, w);
	if (rc != WS_OK)
		return answer_result(r, *db, rc, "read"), -1;
	return 0;
}

static int
answer_ok(struct req *r, char *message)
{
	int rc = resp_json(r, 200, json_pack("{s:b, s:s}", "ok", 1, "message", message));
	free(message);
	return rc;
}

int
workspaces_reset(struct req *r)
{
	struct db *db;
	struct workspace w;
	if (find_from_path(r, &db, &w) != 0)
		return 0;
	int rc = workspace_reset_dir(&w, root_of(r));
	char *message = xasprintf("Workspace '%s' has been reset.", w.name);
	workspace_free(&w);
	if (rc != WS_OK) {
		free(message);
		return answer_result(r, db, rc, "reset");
	}
	return answer_ok(r, message);
}

int
workspaces_reset_rootfs(struct req *r)
{
	struct db *db;
	struct workspace w;
	if (find_from_path(r, &db, &w) != 0)
		return 0;
	int rc = workspace_reset_rootfs(&w, root_of(r));
	char *message = xasprintf("Rootfs cleared for workspace '%s'. Will be re-created on next "
				  "execution.", w.name);
	workspace_free(&w);
	if (rc != WS_OK) {
		free(message);
		return answer_result(r, db, rc, "cleared");
	}
	return answer_ok(r, message);
}
