/* node.c: see node.h. */
#include "node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "db/db.h"
#include "graph/node_types.h"
#include "graph/webhook_config.h"
#include "model/limits.h"
#include "model/node_config.h"
#include "model/row_json.h"
#include "model/schedule.h"
#include "model/webhook.h"
#include "util/jsonw.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

/* ComponentConfigData keys by group, as column names (they are the same). */
static const char *const model_keys[] = {
	"llm_credential_id", "model_name", "temperature", "max_tokens", "frequency_penalty",
	"presence_penalty", "top_p", "timeout", "max_retries", "response_format", NULL,
};
static const char *const trigger_keys[] = {
	"credential_id", "is_active", "priority", "trigger_config", NULL,
};
/* Node columns a write may set, named as in the API. */
static const char *const node_keys[] = {
	"node_id", "label", "component_type", "is_entry_point", "interrupt_before",
	"interrupt_after", "position_x", "position_y", "subworkflow_id", "code_block_id", NULL,
};

#define SELECT_NODE \
	"SELECT n.id, n.node_id, n.label, n.component_type, n.is_entry_point, " \
	"n.interrupt_before, n.interrupt_after, n.position_x, n.position_y, " \
	"n.subworkflow_id, n.code_block_id, c.system_prompt, c.extra_config, " \
	"c.llm_credential_id, c.model_name, c.temperature, c.max_tokens, " \
	"c.frequency_penalty, c.presence_penalty, c.top_p, c.timeout, c.max_retries, " \
	"c.response_format, c.llm_model_config_id, c.credential_id, c.is_active, " \
	"c.priority, c.trigger_config, n.updated_at " \
	"FROM workflow_nodes n LEFT JOIN component_configs c ON c.id = n.component_config_id "

/* --- rendering --------------------------------------------------------------------- */

/* ComponentConfigData: the model group only for kinds that keep it
 * (ai_model), the trigger group only for triggers (and credential_id for
 * NODE_KEEPS_CREDENTIAL kinds); the other groups' keys
 * are written with their empty values.  Columns from 11 on are the
 * config's. */
static void
config_write(struct jw *w, struct db_stmt *st, const char *type)
{
	int model = node_type_has(type, NODE_MODEL_CONFIG);
	int trigger = node_type_is_trigger(type);
	jw_obj_begin(w);
	text_or(w, "system_prompt", st, 11, "");
	json_or(w, "extra_config", st, 12, "{}");
	if (model) {
		int_or_null(w, "llm_credential_id", st, 13);
		text_or(w, "model_name", st, 14, "");
		real_or_null(w, "temperature", st, 15);
		int_or_null(w, "max_tokens", st, 16);
		real_or_null(w, "frequency_penalty", st, 17);
		real_or_null(w, "presence_penalty", st, 18);
		real_or_null(w, "top_p", st, 19);
		int_or_null(w, "timeout", st, 20);
		int_or_null(w, "max_retries", st, 21);
		json_or(w, "response_format", st, 22, "null");
	} else {
		JW_MEMBERS(w, "\"llm_credential_id\":null,\"model_name\":\"\",\"temperature\":null,"
			   "\"max_tokens\":null,\"frequency_penalty\":null,\"presence_penalty\":null,"
			   "\"top_p\":null,\"timeout\":null,\"max_retries\":null,\"response_format\":null");
	}
	int_or_null(w, "llm_model_config_id", st, 23);
	if (trigger) {
		int_or_null(w, "credential_id", st, 24);
		jw_kbool(w, "is_active", db_column_is_null(st, 25) || db_column_bool(st, 25));
		jw_kint(w, "priority", db_column_is_null(st, 26) ? 0 : db_column_int64(st, 26));
		json_or(w, "trigger_config", st, 27, "{}");
		jw_knull(w, "input_template");
	} else {
		if (node_type_has(type, NODE_KEEPS_CREDENTIAL))
			int_or_null(w, "credential_id", st, 24);
		else
			jw_knull(w, "credential_id");
		JW_MEMBERS(w, "\"is_active\":true,\"priority\":0,"
			   "\"trigger_config\":{},\"input_template\":null");
	}
	jw_obj_end(w);
}

/* NodeOut in the spec's key order from a SELECT_NODE row: the one
 * renderer of a node, for lists, the detail, answers and events. */
static void
node_write(struct jw *w, struct db_stmt *st, json_t *schedules)
{
	const char *type = db_column_text(st, 3) ? db_column_text(st, 3) : "";
	jw_obj_begin(w);
	jw_kint(w, "id", db_column_int64(st, 0));
	text_or(w, "node_id", st, 1, "");
	text_or(w, "label", st, 2, NULL);
	jw_kstr(w, "component_type", type);
	jw_kbool(w, "is_entry_point", db_column_bool(st, 4));
	jw_kbool(w, "interrupt_before", db_column_bool(st, 5));
	jw_kbool(w, "interrupt_after", db_column_bool(st, 6));
	jw_kint(w, "position_x", db_column_int64(st, 7));
	jw_kint(w, "position_y", db_column_int64(st, 8));
	JW_KEY(w, "config");
	config_write(w, st, type);
	int_or_null(w, "subworkflow_id", st, 9);
	int_or_null(w, "code_block_id", st, 10);
	time_or_null(w, "updated_at", st, 28);
	json_t *job = strcmp(type, "trigger_schedule") == 0 && schedules
		      ? json_object_get(schedules, db_column_text(st, 1)) : NULL;
	if (job)
		jw_kjson(w, "schedule_job", job);
	else
		jw_knull(w, "schedule_job");
	jw_obj_end(w);
}

/* Writes the workflow's nodes as an array, or the one named node_id as an
 * object.  NODE_OK, NODE_NOT_FOUND or NODE_DB_ERROR (logged). */
static int
nodes_write(struct db *db, int64_t workflow_id, const char *node_id, struct jw *w)
{
	/* The trigger_schedule nodes' schedules, read first (one statement
	 * at a time on the handle). */
	json_t *schedules = NULL;
	if (schedule_info_map(db, workflow_id, &schedules) != SCHED_OK)
		return db_abandon(db);
	struct db_stmt *st = db_prepare(db, node_id
		? SELECT_NODE "WHERE n.workflow_id = ? AND n.node_id = ?"
		: SELECT_NODE "WHERE n.workflow_id = ? ORDER BY n.id");
	if (st == NULL) {
		json_decref(schedules);
		return db_abandon(db);
	}
	db_bind_int64(st, 1, workflow_id);
	if (node_id)
		db_bind_text(st, 2, node_id, -1);
	else
		jw_arr_begin(w);
	int rc, rows = 0;
	while ((rc = db_step(st)) == DB_ROW) {
		node_write(w, st, schedules);
		rows++;
	}
	if (node_id == NULL)
		jw_arr_end(w);
	db_reset(st);
	json_decref(schedules);
	if (rc != DB_DONE)
		return db_abandon(db);
	return rows > 0 || node_id == NULL ? NODE_OK : NODE_NOT_FOUND;
}

int
node_list_write(struct db *db, int64_t workflow_id, struct jw *w)
{
	return nodes_write(db, workflow_id, NULL, w);
}

/* What w wrote, as a jansson value for callers that edit or publish it
 * (request bodies nest at most 256 levels, so what was stored reads back). */
static int
parsed(int rc, struct jw *w, json_t **out)
{
	*out = rc == NODE_OK ? jw_to_json(w) : NULL;
	if (rc == NODE_OK && *out == NULL) {
		log_error("nodes: a rendered answer does not read back as JSON");
		rc = NODE_DB_ERROR;
	}
	jw_free(w);
	return rc;
}

int
node_list(struct db *db, int64_t workflow_id, json_t **out)
{
	struct jw w;
	jw_init(&w);
	return parsed(nodes_write(db, workflow_id, NULL, &w), &w, out);
}

int
node_get(struct db *db, int64_t workflow_id, const char *node_id, json_t **out)
{
	struct jw w;
	jw_init(&w);
	return parsed(nodes_write(db, workflow_id, node_id, &w), &w, out);
}

/* --- writing ----------------------------------------------------------------------- */

/* Binds v by its JSON type: objects and arrays as their JSON text. */
static void
bind_json(struct db_stmt *st, int idx, json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		db_bind_text(st, idx, json_string_value(v), (ptrdiff_t)json_string_length(v));
		break;
	case JSON_INTEGER:
		db_bind_int64(st, idx, json_integer_value(v));
		break;
	case JSON_REAL:
		db_bind_double(st, idx, json_real_value(v));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		db_bind_bool(st, idx, json_is_true(v));
		break;
	case JSON_OBJECT:
	case JSON_ARRAY: {
		char *text = json_dumps(v, JSON_COMPACT);
		db_bind_text(st, idx, text ? text : "{}", -1);
		free(text);
		break;
	}
	default:
		db_bind_null(st, idx);
	}
}

/* Copies the keys of list present in from into to. */
static void
copy_keys(json_t *to, json_t *from, const char *const *list)
{
	for (size_t i = 0; list[i] != NULL; i++) {
		json_t *v = json_object_get(from, list[i]);
		if (v != NULL)
			json_object_set(to, list[i], v);
	}
}

/* "INSERT INTO table (k1, ...) VALUES (?, ...) RETURNING id" over the keys
 * of cols (names chosen by this file, never by a request); the id or -1. */
static int64_t
insert_row(struct db *db, const char *table, json_t *cols)
{
	size_t n = json_object_size(cols), i = 0;
	char *names = xstrdup(""), *marks = xstrdup("");
	const char *key;
	json_t *v;
	json_object_foreach(cols, key, v) {
		char *a = xasprintf("%s%s%s", names, i ? ", " : "", key);
		char *b = xasprintf("%s%s?", marks, i ? ", " : "");
		free(names);
		free(marks);
		names = a, marks = b;
		i++;
	}
	char *sql = xasprintf("INSERT INTO %s (%s) VALUES (%s) RETURNING id", table, names, marks);
	free(names);
	free(marks);
	struct db_stmt *st = db_prepare(db, sql);
	free(sql);
	if (st == NULL || n == 0)
		return -1;
	int idx = 1;
	json_object_foreach(cols, key, v)
		bind_json(st, idx++, v);
	int64_t id = -1;
	if (db_step(st) == DB_ROW) {
		id = db_column_int64(st, 0);
		while (db_step(st) == DB_ROW)
			;
	}
	db_reset(st);
	return id;
}

/* "UPDATE table SET k1 = ?, ... WHERE id = ?" over the keys of cols;
 * 0 or -1.  Nothing to set is a success. */
static int
update_row(struct db *db, const char *table, json_t *cols, int64_t id)
{
	if (json_object_size(cols) == 0)
		return 0;
	char *sets = xstrdup("");
	const char *key;
	json_t *v;
	size_t i = 0;
	json_object_foreach(cols, key, v) {
		char *a = xasprintf("%s%s%s = ?", sets, i++ ? ", " : "", key);
		free(sets);
		sets = a;
	}
	char *sql = xasprintf("UPDATE %s SET %s WHERE id = ?", table, sets);
	free(sets);
	struct db_stmt *st = db_prepare(db, sql);
	free(sql);
	if (st == NULL)
		return -1;
	int idx = 1;
	json_object_foreach(cols, key, v)
		bind_json(st, idx++, v);
	db_bind_int64(st, idx, id);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

/* A failed write: a 409 or 422 case when the database says so. */
static int
write_failed(struct db *db, const char *what)
{
	enum db_errkind kind = db_error_kind(db);
	if (kind == DB_ERR_UNIQUE || kind == DB_ERR_FOREIGN_KEY) {
		db_rollback(db);
		return kind == DB_ERR_UNIQUE ? NODE_ID_TAKEN : NODE_BAD_REFERENCE;
	}
	return db_abandon(db);
}

/* 1 when node_id exists in the workflow (other than row except_id), 0, -1. */
static int
node_id_taken(struct db *db, int64_t workflow_id, const char *node_id, int64_t except_id)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT id FROM workflow_nodes WHERE workflow_id = ? AND node_id = ?");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, workflow_id);
	db_bind_text(st, 2, node_id, -1);
	int rc = db_step(st);
	int taken = rc == DB_ROW && db_column_int64(st, 0) != except_id;
	db_reset(st);
	return rc == DB_ERROR ? -1 : taken;
}

/* "<type>_<2*bytes hex>", malloc'd. */
static char *
generated_id(const char *type, size_t bytes)
{
	unsigned char raw[8];
	char hex[sizeof(raw) * 2 + 1];
	randombytes_buf(raw, bytes);
	for (size_t i = 0; i < bytes; i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	return xasprintf("%s_%s", type, hex);
}

/* The node_id a create will use (malloc'd in *out), or an error. */
static int
choose_node_id(struct db *db, int64_t workflow_id, json_t *fields, const char *type, char **out)
{
	const char *given = json_string_value(json_object_get(fields, "node_id"));
	*out = NULL;
	if (given != NULL) {
		int taken = node_id_taken(db, workflow_id, given, 0);
		if (taken != 0)
			return taken < 0 ? NODE_DB_ERROR : NODE_ID_TAKEN;
		*out = xstrdup(given);
		return NODE_OK;
	}
	for (size_t bytes = 4; bytes <= 8; bytes += 4) {
		char *id = generated_id(type, bytes);
		int taken = node_id_taken(db, workflow_id, id, 0);
		if (taken == 0) {
			*out = id;
			return NODE_OK;
		}
		free(id);
		if (taken < 0)
			return NODE_DB_ERROR;
	}
	return NODE_ID_COLLISION;
}

/* The config columns a create stores for type, from the config object. */
static json_t *
config_columns_for_create(json_t *config, const char *type, const char *now)
{
	json_t *cols = json_object();
	json_object_set_new(cols, "component_type", json_string(type));
	json_t *extra = json_object_get(config, "extra_config");
	json_object_set_new(cols, "extra_config", json_is_object(extra) ? json_incref(extra)
								      : json_object());
	if (node_type_has(type, NODE_KEEPS_PROMPT))
		copy_keys(cols, config, (const char *const[]){ "system_prompt", NULL });
	if (node_type_has(type, NODE_MODEL_CONFIG))
		copy_keys(cols, config, model_keys);
	if (node_type_is_trigger(type)) {
		json_object_set_new(cols, "is_active", json_true());
		json_object_set_new(cols, "priority", json_integer(0));
		json_object_set_new(cols, "trigger_config", json_object());
		copy_keys(cols, config, trigger_keys);
	} else if (node_type_has(type, NODE_KEEPS_CREDENTIAL)) {
		copy_keys(cols, config, (const char *const[]){ "credential_id", NULL });
	}
	json_object_set_new(cols, "updated_at", json_string(now));
	return cols;
}

/* The node columns a create stores. */
static json_t *
node_columns_for_create(json_t *fields, int64_t workflow_id, const char *node_id,
			int64_t config_id, const char *now)
{
	json_t *cols = json_object();
	copy_keys(cols, fields, node_keys);
	json_object_set_new(cols, "node_id", json_string(node_id));
	json_object_set_new(cols, "workflow_id", json_integer(workflow_id));
	json_object_set_new(cols, "component_config_id", json_integer(config_id));
	if (node_type_has(json_string_value(json_object_get(fields, "component_type")),
			  NODE_INTERRUPTS_BEFORE))
		json_object_set_new(cols, "interrupt_before", json_true());
	json_object_set_new(cols, "updated_at", json_string(now));
	return cols;
}

/* Ends a write: roll back on failure; commit when the transaction is ours. */
static int
finish_write(struct db *db, int rc, const char *what, int own)
{
	if (rc == NODE_DB_ERROR)
		return db_abandon(db);
	if (rc != NODE_OK) {
		db_rollback(db);
		return rc;
	}
	if (own && db_commit(db) != 0)
		return db_abandon(db);
	return NODE_OK;
}

/* 1 when the row "SELECT 1 ... WHERE ? ... ?" finds exists, 0, or -1. */
static int
row_exists(struct db *db, const char *sql, int64_t a, int64_t b)
{
	struct db_stmt *st = db_prepare(db, sql);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, a);
	db_bind_int64(st, 2, b);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_ERROR ? -1 : rc == DB_ROW;
}

/*
 * A node may name credentials and subworkflows only of the workflow's
 * owner: the engine runs the workflow as its owner, so naming another
 * user's credential would spend that user's keys, and another user's
 * workflow would run it (and read its results) without their consent.
 * One that is not the owner's is answered as one that does not exist
 * (NODE_BAD_REFERENCE), so ids of others' rows cannot be probed.  NODE_OK
 * when every id given is the owner's (or null).
 */
static int
check_references(struct db *db, int64_t workflow_id, json_t *fields)
{
	static const char *const keys[] = { "llm_credential_id", "credential_id" };
	json_t *config = json_object_get(fields, "config");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(config, keys[i]);
		if (!json_is_integer(v))
			continue;
		int found = row_exists(db, "SELECT 1 FROM credentials c JOIN workflows w "
				       "ON w.owner_id = c.user_profile_id WHERE c.id = ? AND w.id = ?",
				       json_integer_value(v), workflow_id);
		if (found <= 0)
			return found < 0 ? NODE_DB_ERROR : NODE_BAD_REFERENCE;
	}
	json_t *sub = json_object_get(fields, "subworkflow_id");
	if (json_is_integer(sub)) {
		int found = row_exists(db, "SELECT 1 FROM workflows s JOIN workflows w "
				       "ON w.owner_id = s.owner_id WHERE s.id = ? AND w.id = ?",
				       json_integer_value(sub), workflow_id);
		if (found <= 0)
			return found < 0 ? NODE_DB_ERROR : NODE_BAD_REFERENCE;
	}
	return NODE_OK;
}

/* A kind that keeps credential_id outside the trigger group (web_search)
 * takes a SearXNG tool credential: any other would be asked for a search
 * it cannot answer.  Ownership is check_references' concern. */
static int
check_credential_kind(struct db *db, const char *type, json_t *fields, struct config_problem *why)
{
	json_t *id = json_object_get(json_object_get(fields, "config"), "credential_id");
	if (!json_is_integer(id) || !node_type_has(type, NODE_KEEPS_CREDENTIAL) ||
	    node_type_is_trigger(type))
		return NODE_OK;
	struct db_stmt *st = db_prepare(db, "SELECT 1 FROM credentials c JOIN tool_credentials t "
					    "ON t.base_credentials_id = c.id WHERE c.id = ? "
					    "AND c.credential_type = 'tool' AND t.tool_type = 'searxng'");
	if (st == NULL)
		return NODE_DB_ERROR;
	db_bind_int64(st, 1, json_integer_value(id));
	int rc = db_step(st);
	db_reset(st);
	if (rc == DB_ERROR)
		return NODE_DB_ERROR;
	if (rc == DB_ROW)
		return NODE_OK;
	why->field = NULL;
	why->message = xasprintf("config.credential_id: a %s node takes a SearXNG tool "
				 "credential (credential_type 'tool', tool_type 'searxng'); "
				 "credential %lld is not one", type,
				 (long long)json_integer_value(id));
	return NODE_BAD_CONFIG;
}

/* The bytes of a stored config's free-form columns (the prompt and the
 * JSON values), or -1. */
static long long
config_bytes(struct db *db, int64_t config_id)
{
	struct db_stmt *st = db_prepare(db, "SELECT system_prompt, extra_config, model_name, "
					    "response_format, trigger_config FROM component_configs "
					    "WHERE id = ?");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, config_id);
	long long bytes = 0;
	int rc = db_step(st);
	for (int i = 0; rc == DB_ROW && i < 5; i++)
		bytes += db_column_text(st, i) ? (long long)strlen(db_column_text(st, i)) : 0;
	db_reset(st);
	return rc == DB_ROW ? bytes : -1;
}

char *
node_limit_message(int result)
{
	const struct graph_limits *lim = graph_limits();
	if (result == NODE_TOO_MANY)
		return xasprintf("Too many nodes: a workflow may have at most %ld "
				 "(PIPELIT_MAX_NODES_PER_WORKFLOW).", lim->max_nodes);
	return xasprintf("Node config too large: at most %ld bytes of prompt and JSON values "
			 "(PIPELIT_MAX_NODE_CONFIG_BYTES).", lim->max_config_bytes);
}

/* The workflow's node_count (kept by triggers), or -1. */
static long long
node_count(struct db *db, int64_t workflow_id)
{
	struct db_stmt *st = db_prepare(db, "SELECT node_count FROM workflows WHERE id = ?");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, workflow_id);
	long long n = db_step(st) == DB_ROW ? db_column_int64(st, 0) : -1;
	db_reset(st);
	return n;
}

/*
 * The limits of model/limits.h, read after the write inside its
 * transaction: the count the triggers keep includes this write and every
 * committed one (on PostgreSQL a concurrent writer waits on the
 * workflow's row), so two writers cannot pass a limit together.
 * counted: the write added a node.
 */
static int
check_limits(struct db *db, int64_t workflow_id, int64_t config_id, int counted)
{
	const struct graph_limits *lim = graph_limits();
	long long bytes = config_bytes(db, config_id);
	if (bytes < 0)
		return NODE_DB_ERROR;
	if (bytes > lim->max_config_bytes)
		return NODE_CONFIG_TOO_LARGE;
	if (!counted)
		return NODE_OK;
	long long n = node_count(db, workflow_id);
	if (n < 0)
		return NODE_DB_ERROR;
	return n > lim->max_nodes ? NODE_TOO_MANY : NODE_OK;
}

/* --- trigger_webhook ---------------------------------------------------------------- */

/* A trigger_webhook's config on its way in: checked, its secret taken out
 * of what component_configs will store (model/webhook.h). */
struct webhook_write {
	int active;                  /* the node is a trigger_webhook */
	json_t *extra;               /* the extra_config to store, secret masked; owned */
	char *path;
	enum webhook_secret_change change;
	char *secret;                /* SET: the new secret; wiped when done */
};

static int
is_webhook(const char *type)
{
	return type != NULL && strcmp(type, "trigger_webhook") == 0;
}

static void
set_problem(struct config_problem *why, const char *field, char *message)
{
	if (why == NULL) {
		free(message);
		return;
	}
	config_problem_free(why);
	why->field = field ? xstrdup(field) : NULL;
	why->message = message;
}

/* Checks extra_config (NULL: {}) of a trigger_webhook into ww; NODE_OK or
 * NODE_BAD_CONFIG with why set. */
static int
webhook_prepare(json_t *extra_config, struct webhook_write *ww, struct config_problem *why)
{
	ww->active = 1;
	ww->extra = json_is_object(extra_config) ? json_deep_copy(extra_config) : json_object();
	struct webhook_config cfg;
	struct config_problem p = { NULL, NULL };
	if (webhook_config_parse(ww->extra, &cfg, &p) != 0) {
		set_problem(why, p.field, p.message);
		free(p.field);
		return NODE_BAD_CONFIG;
	}
	ww->path = xstrdup(cfg.path);
	webhook_config_free(&cfg);
	ww->change = webhook_secret_take(ww->extra, &ww->secret);
	return NODE_OK;
}

/* Writes the path row of node_pk inside the transaction. */
static int
webhook_finish(struct db *db, const struct field_keyring *ring, int64_t node_pk,
	       const struct webhook_write *ww, struct config_problem *why)
{
	switch (webhook_save(db, ring, node_pk, ww->path, ww->change, ww->secret)) {
	case WEBHOOK_OK:
		return NODE_OK;
	case WEBHOOK_PATH_TAKEN:
		set_problem(why, "path", xasprintf("Webhook path '%s' is already used by another "
						   "webhook trigger.", ww->path));
		return NODE_WEBHOOK_PATH_TAKEN;
	case WEBHOOK_NO_SECRET:
		set_problem(why, "secret", xstrdup("'" WEBHOOK_SECRET_MASK "' stands for a stored "
						   "secret, and this node has none: send the "
						   "secret itself"));
		return NODE_BAD_CONFIG;
	case WEBHOOK_NEEDS_KEY:
		return NODE_NEEDS_KEY;
	default:
		return NODE_DB_ERROR;
	}
}

static void
webhook_write_free(struct webhook_write *ww)
{
	json_decref(ww->extra);
	free(ww->path);
	if (ww->secret != NULL) {
		explicit_bzero(ww->secret, strlen(ww->secret));
		free(ww->secret);
	}
	memset(ww, 0, sizeof(*ww));
}

/* The kind's rules for extra_config (model/node_config.h; NULL: {}):
 * NODE_OK or NODE_BAD_CONFIG with why set. */
static int
config_fits(const char *type, json_t *extra_config, struct config_problem *why)
{
	json_t *empty = json_is_object(extra_config) ? NULL : json_object();
	struct config_problem p = { NULL, NULL };
	int rc = node_config_check(type, empty ? empty : extra_config, &p) == 0 ? NODE_OK
										  : NODE_BAD_CONFIG;
	json_decref(empty);
	if (rc != NODE_OK) {
		set_problem(why, p.field, p.message);
		free(p.field);
	}
	return rc;
}

static int
create_in_transaction(struct db *db, int64_t workflow_id, json_t *fields,
		      const struct field_keyring *ring, char **node_id, struct config_problem *why)
{
	const char *type = json_string_value(json_object_get(fields, "component_type"));
	json_t *config = json_object_get(fields, "config");
	json_t *extra = json_object_get(config, "extra_config");
	struct webhook_write ww = { 0 };
	int rc = config_fits(type, extra, why);
	if (rc == NODE_OK && is_webhook(type))
		rc = webhook_prepare(extra, &ww, why);
	if (rc == NODE_OK)
		rc = check_references(db, workflow_id, fields);
	if (rc == NODE_OK)
		rc = check_credential_kind(db, type, fields, why);
	if (rc == NODE_OK)
		rc = choose_node_id(db, workflow_id, fields, type, node_id);
	if (rc != NODE_OK) {
		webhook_write_free(&ww);
		return rc;
	}
	char now[TIME_DB_LEN];
	time_now_db(now);
	json_t *cols = config_columns_for_create(config, type, now);
	if (ww.active)
		json_object_set(cols, "extra_config", ww.extra);
	int64_t config_id = insert_row(db, "component_configs", cols);
	json_decref(cols);
	int64_t id = -1;
	if (config_id < 0) {
		rc = write_failed(db, "insert config");
	} else {
		cols = node_columns_for_create(fields, workflow_id, *node_id, config_id, now);
		id = insert_row(db, "workflow_nodes", cols);
		json_decref(cols);
		if (id < 0)
			rc = write_failed(db, "insert node");
	}
	if (rc == NODE_OK && ww.active)
		rc = webhook_finish(db, ring, id, &ww, why);
	webhook_write_free(&ww);
	if (rc != NODE_OK)
		return rc;
	return check_limits(db, workflow_id, config_id, 1);
}

int
node_create(struct db *db, int64_t workflow_id, json_t *fields, const struct field_keyring *ring,
	    char **node_id_out, struct config_problem *why)
{
	*node_id_out = NULL;
	int own = !db_in_transaction(db);
	if (own && db_begin_write(db) != 0)
		return db_abandon(db);
	char *node_id = NULL;
	int rc = create_in_transaction(db, workflow_id, fields, ring, &node_id, why);
	/* write_failed has already rolled back and classified. */
	if (rc != NODE_OK && !db_in_transaction(db)) {
		free(node_id);
		return rc;
	}
	rc = finish_write(db, rc, "create", own);
	if (rc == NODE_OK)
		*node_id_out = node_id;
	else
		free(node_id);
	return rc;
}

struct stored_node {
	int64_t id, config_id;
	char type[40];              /* the config's component_type */
	char node_type[40];         /* the node's */
};

static int
find_node(struct db *db, int64_t workflow_id, const char *node_id, struct stored_node *out)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT n.id, n.component_config_id, c.component_type, n.component_type "
		"FROM workflow_nodes n "
		"JOIN component_configs c ON c.id = n.component_config_id "
		"WHERE n.workflow_id = ? AND n.node_id = ?");
	if (st == NULL)
		return NODE_DB_ERROR;
	db_bind_int64(st, 1, workflow_id);
	db_bind_text(st, 2, node_id, -1);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		out->id = db_column_int64(st, 0);
		out->config_id = db_column_int64(st, 1);
		snprintf(out->type, sizeof(out->type), "%s",
			 db_column_text(st, 2) ? db_column_text(st, 2) : "");
		snprintf(out->node_type, sizeof(out->node_type), "%s",
			 db_column_text(st, 3) ? db_column_text(st, 3) : "");
	}
	db_reset(st);
	return rc == DB_ROW ? NODE_OK : rc == DB_DONE ? NODE_NOT_FOUND : NODE_DB_ERROR;
}

/* The config columns an update sets, by the stored config's kind. */
static json_t *
config_columns_for_update(json_t *config, const char *stored_type, const char *now)
{
	json_t *cols = json_object();
	copy_keys(cols, config, (const char *const[]){ "system_prompt", NULL });
	json_t *extra = json_object_get(config, "extra_config");
	if (extra != NULL)
		json_object_set_new(cols, "extra_config", json_is_object(extra) ? json_incref(extra)
										: json_object());
	if (node_type_has(stored_type, NODE_MODEL_CONFIG))
		copy_keys(cols, config, model_keys);
	if (node_type_is_trigger(stored_type))
		copy_keys(cols, config, trigger_keys);
	else if (node_type_has(stored_type, NODE_KEEPS_CREDENTIAL))
		copy_keys(cols, config, (const char *const[]){ "credential_id", NULL });
	if (json_object_size(cols) > 0)
		json_object_set_new(cols, "updated_at", json_string(now));
	return cols;
}

static json_t *
node_columns_for_update(json_t *fields, int human_confirmation, const char *now)
{
	json_t *cols = json_object();
	copy_keys(cols, fields, node_keys);
	if (human_confirmation)
		json_object_set_new(cols, "interrupt_before", json_true());
	json_object_set_new(cols, "updated_at", json_string(now));
	return cols;
}

/*
 * A renamed node keeps its place in the graph: the edges and the schedule
 * that name it by its node_id follow the new id in the same transaction
 * (the triggers on workflow_edges move the workflow's revision, so a kept
 * detail is not served afterwards).  0 or -1.
 */
static int
rename_references(struct db *db, int64_t workflow_id, const char *old_id, const char *new_id)
{
	static const char *const sql[] = {
		"UPDATE workflow_edges SET source_node_id = ? WHERE workflow_id = ? AND source_node_id = ?",
		"UPDATE workflow_edges SET target_node_id = ? WHERE workflow_id = ? AND target_node_id = ?",
		"UPDATE scheduled_jobs SET trigger_node_id = ? WHERE workflow_id = ? AND trigger_node_id = ?",
	};
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		struct db_stmt *st = db_prepare(db, sql[i]);
		if (st == NULL)
			return -1;
		db_bind_text(st, 1, new_id, -1);
		db_bind_int64(st, 2, workflow_id);
		db_bind_text(st, 3, old_id, -1);
		int rc = db_step(st);
		db_reset(st);
		if (rc != DB_DONE)
			return -1;
	}
	return 0;
}

/* The stored extra_config of a config row (new reference; {} when unreadable). */
static json_t *
stored_extra_config(struct db *db, int64_t config_id)
{
	struct db_stmt *st = db_prepare(db, "SELECT extra_config FROM component_configs WHERE id = ?");
	json_t *extra = NULL;
	if (st != NULL) {
		db_bind_int64(st, 1, config_id);
		if (db_step(st) == DB_ROW && db_column_text(st, 0) != NULL)
			extra = json_loads(db_column_text(st, 0), 0, NULL);
		db_reset(st);
	}
	return extra != NULL ? extra : json_object();
}

/* The webhook side of an update: a node that is (or becomes) a
 * trigger_webhook is checked with the extra_config sent, or the stored one
 * when none is (a node whose type changes must have a valid config). */
static int
update_webhook_prepare(struct db *db, const struct stored_node *sn, const char *type,
		       json_t *config, struct webhook_write *ww, struct config_problem *why)
{
	if (!is_webhook(type))
		return NODE_OK;
	json_t *given = json_object_get(config, "extra_config");
	if (given != NULL)
		return webhook_prepare(given, ww, why);
	json_t *stored = stored_extra_config(db, sn->config_id);
	int rc = webhook_prepare(stored, ww, why);
	json_decref(stored);
	return rc;
}

/* An update that sends extra_config, or changes the node's kind, is
 * checked against the kind's rules (with the stored extra_config when
 * none is sent); one that does neither changes nothing they look at. */
static int
update_config_fits(struct db *db, const struct stored_node *sn, const char *type,
		   json_t *config, struct config_problem *why)
{
	json_t *given = json_object_get(config, "extra_config");
	if (given != NULL)
		return config_fits(type, given, why);
	if (strcmp(type, sn->node_type) == 0)
		return NODE_OK;
	json_t *stored = stored_extra_config(db, sn->config_id);
	int rc = config_fits(type, stored, why);
	json_decref(stored);
	return rc;
}

/* The config row, then the node row; NODE_OK or a write failure. */
static int
update_rows(struct db *db, const struct stored_node *sn, json_t *fields, const char *type,
	    const struct webhook_write *ww)
{
	char now[TIME_DB_LEN];
	time_now_db(now);
	json_t *cols = config_columns_for_update(json_object_get(fields, "config"), sn->type, now);
	if (ww->active) {
		json_object_set(cols, "extra_config", ww->extra);
		json_object_set_new(cols, "updated_at", json_string(now));
	}
	int rc = update_row(db, "component_configs", cols, sn->config_id);
	json_decref(cols);
	if (rc != 0)
		return write_failed(db, "update config");
	cols = node_columns_for_update(fields, node_type_has(type, NODE_INTERRUPTS_BEFORE), now);
	rc = update_row(db, "workflow_nodes", cols, sn->id);
	json_decref(cols);
	return rc == 0 ? NODE_OK : write_failed(db, "update node");
}

static int
update_in_transaction(struct db *db, int64_t workflow_id, const char *node_id, json_t *fields,
		      const struct field_keyring *ring, struct config_problem *why)
{
	struct stored_node sn;
	int rc = find_node(db, workflow_id, node_id, &sn);
	if (rc == NODE_OK)
		rc = check_references(db, workflow_id, fields);
	if (rc != NODE_OK)
		return rc;
	const char *new_id = json_string_value(json_object_get(fields, "node_id"));
	int taken = new_id ? node_id_taken(db, workflow_id, new_id, sn.id) : 0;
	if (taken != 0)
		return taken < 0 ? NODE_DB_ERROR : NODE_ID_TAKEN;
	const char *type = json_string_value(json_object_get(fields, "component_type"));
	if (type == NULL)
		type = sn.node_type;
	struct webhook_write ww = { 0 };
	rc = check_credential_kind(db, type, fields, why);
	if (rc == NODE_OK)
		rc = update_config_fits(db, &sn, type, json_object_get(fields, "config"), why);
	if (rc == NODE_OK)
		rc = update_webhook_prepare(db, &sn, type, json_object_get(fields, "config"), &ww, why);
	if (rc == NODE_OK)
		rc = update_rows(db, &sn, fields, type, &ww);
	if (rc == NODE_OK && ww.active)
		rc = webhook_finish(db, ring, sn.id, &ww, why);
	else if (rc == NODE_OK && webhook_forget(db, sn.id) != WEBHOOK_OK)
		rc = NODE_DB_ERROR;
	webhook_write_free(&ww);
	if (rc != NODE_OK)
		return rc;
	if (new_id != NULL && strcmp(new_id, node_id) != 0 &&
	    rename_references(db, workflow_id, node_id, new_id) != 0)
		return NODE_DB_ERROR;
	return check_limits(db, workflow_id, sn.config_id, 0);
}

int
node_update(struct db *db, int64_t workflow_id, const char *node_id, json_t *fields,
	    const struct field_keyring *ring, char **node_id_out, struct config_problem *why)
{
	*node_id_out = NULL;
	if (db_begin_write(db) != 0)
		return db_abandon(db);
	int rc = update_in_transaction(db, workflow_id, node_id, fields, ring, why);
	if (rc != NODE_OK && !db_in_transaction(db))
		return rc;
	rc = finish_write(db, rc, "update", 1);
	if (rc == NODE_OK) {
		const char *new_id = json_string_value(json_object_get(fields, "node_id"));
		*node_id_out = xstrdup(new_id ? new_id : node_id);
	}
	return rc;
}

/* Runs sql with an integer and then text bound text_times times; 0 or -1. */
static int
run_step(struct db *db, const char *sql, int64_t id, const char *text, int text_times)
{
	struct db_stmt *st = db_prepare(db, sql);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	for (int i = 0; i < text_times; i++)
		db_bind_text(st, 2 + i, text, -1);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

static int
delete_in_transaction(struct db *db, int64_t workflow_id, const char *node_id)
{
	struct stored_node sn;
	int rc = find_node(db, workflow_id, node_id, &sn);
	if (rc != NODE_OK)
		return rc;
	if (run_step(db, "DELETE FROM scheduled_jobs WHERE workflow_id = ? AND trigger_node_id = ?",
		     workflow_id, node_id, 1) != 0 ||
	    run_step(db, "DELETE FROM workflow_edges WHERE workflow_id = ? AND "
		     "(source_node_id = ? OR target_node_id = ?)", workflow_id, node_id, 2) != 0 ||
	    run_step(db, "UPDATE component_configs SET llm_model_config_id = NULL "
		     "WHERE llm_model_config_id = ?", sn.config_id, NULL, 0) != 0 ||
	    run_step(db, "DELETE FROM workflow_nodes WHERE id = ?", sn.id, NULL, 0) != 0 ||
	    run_step(db, "DELETE FROM component_configs WHERE id = ?", sn.config_id, NULL, 0) != 0)
		return NODE_DB_ERROR;
	return NODE_OK;
}

int
node_delete(struct db *db, int64_t workflow_id, const char *node_id)
{
	if (db_begin_write(db) != 0)
		return db_abandon(db);
	return finish_write(db, delete_in_transaction(db, workflow_id, node_id), "delete", 1);
}
