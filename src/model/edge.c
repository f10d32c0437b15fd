/* edge.c: see edge.h. */
#include "edge.h"

#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "graph/edge_rules.h"
#include "graph/node_types.h"
#include "model/limits.h"
#include "model/row_json.h"
#include "util/jsonw.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define EDGE_COLUMNS \
	"SELECT id, source_node_id, target_node_id, edge_type, edge_label, " \
	"condition_mapping, condition_value, priority FROM workflow_edges "

/* An edge as the rules and the writes see it; every field owned. */
struct edge_row {
	int64_t id;
	char *source, *target, *type, *label, *condition_value;
	json_t *mapping;		/* NULL for SQL NULL */
	int64_t priority;
};

/* A node the rules need: its type and its config. */
struct node_ref {
	char *type;			/* owned; NULL when the node does not exist */
	int64_t config_id;
};

static void
row_free(struct edge_row *e)
{
	free(e->source);
	free(e->target);
	free(e->type);
	free(e->label);
	free(e->condition_value);
	json_decref(e->mapping);
	memset(e, 0, sizeof(*e));
}

static char *
column_dup(struct db_stmt *st, int col, const char *fallback)
{
	const char *s = db_column_text(st, col);
	return xstrdup(s ? s : fallback);
}

/* A JSON column as a new reference, NULL for SQL NULL or unreadable text. */
static json_t *
column_json(struct db_stmt *st, int col)
{
	const char *s = db_column_text(st, col);
	return s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
}

/* --- rendering ---------------------------------------------------------------- */

static void
row_read(struct db_stmt *st, struct edge_row *e)
{
	e->id = db_column_int64(st, 0);
	e->source = column_dup(st, 1, "");
	e->target = column_dup(st, 2, "");
	e->type = column_dup(st, 3, "direct");
	e->label = column_dup(st, 4, "");
	e->mapping = column_json(st, 5);
	e->condition_value = column_dup(st, 6, "");
	e->priority = db_column_int64(st, 7);
}

/* EdgeOut in the spec's key order, straight from an EDGE_COLUMNS row (the
 * one renderer: lists, the detail and single edges all come through here). */
static void
row_write(struct jw *w, struct db_stmt *st)
{
	jw_obj_begin(w);
	jw_kint(w, "id", db_column_int64(st, 0));
	text_or(w, "source_node_id", st, 1, "");
	text_or(w, "target_node_id", st, 2, "");
	text_or(w, "edge_type", st, 3, "direct");
	text_or(w, "edge_label", st, 4, "");
	json_or(w, "condition_mapping", st, 5, "null");
	text_or(w, "condition_value", st, 6, "");
	jw_kint(w, "priority", db_column_int64(st, 7));
	jw_obj_end(w);
}

/* Writes the workflow's edges as an array, or the one of edge_id (> 0) as
 * an object.  EDGE_OK, EDGE_NOT_FOUND or EDGE_DB_ERROR (logged). */
static int
edges_write(struct db *db, int64_t workflow_id, int64_t edge_id, struct jw *w)
{
	struct db_stmt *st = db_prepare(db, edge_id > 0
		? EDGE_COLUMNS "WHERE workflow_id = ? AND id = ?"
		: EDGE_COLUMNS "WHERE workflow_id = ? ORDER BY id");
	if (st == NULL)
		return db_abandon(db);
	db_bind_int64(st, 1, workflow_id);
	if (edge_id > 0)
		db_bind_int64(st, 2, edge_id);
	if (edge_id == 0)
		jw_arr_begin(w);
	int rc, rows = 0;
	while ((rc = db_step(st)) == DB_ROW) {
		row_write(w, st);
		rows++;
	}
	if (edge_id == 0)
		jw_arr_end(w);
	db_reset(st);
	if (rc != DB_DONE)
		return db_abandon(db);
	return rows > 0 || edge_id == 0 ? EDGE_OK : EDGE_NOT_FOUND;
}

int
edge_list_write(struct db *db, int64_t workflow_id, struct jw *w)
{
	return edges_write(db, workflow_id, 0, w);
}

/* The workflow's edges (or the one of edge_id when > 0) into *rows. */
static int
rows_load(struct db *db, int64_t workflow_id, int64_t edge_id, struct edge_row **rows, size_t *n)
{
	struct db_stmt *st = db_prepare(db, edge_id > 0
		? EDGE_COLUMNS "WHERE workflow_id = ? AND id = ?"
		: EDGE_COLUMNS "WHERE workflow_id = ? ORDER BY id");
	*rows = NULL;
	*n = 0;
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, workflow_id);
	if (edge_id > 0)
		db_bind_int64(st, 2, edge_id);
	size_t cap = 0;
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			*rows = xrealloc(*rows, cap * sizeof(**rows));
		}
		row_read(st, &(*rows)[(*n)++]);
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

static void
rows_free(struct edge_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		row_free(&rows[i]);
	free(rows);
}

/* What w wrote, as a jansson value for callers that edit or publish it
 * (request bodies nest at most 256 levels, so what was stored reads back). */
static int
parsed(int rc, struct jw *w, json_t **out)
{
	*out = rc == EDGE_OK ? jw_to_json(w) : NULL;
	if (rc == EDGE_OK && *out == NULL) {
		log_error("edges: a rendered answer does not read back as JSON");
		rc = EDGE_DB_ERROR;
	}
	jw_free(w);
	return rc;
}

int
edge_list(struct db *db, int64_t workflow_id, json_t **out)
{
	struct jw w;
	jw_init(&w);
	return parsed(edges_write(db, workflow_id, 0, &w), &w, out);
}

/* One edge into *e: EDGE_OK, EDGE_NOT_FOUND or EDGE_DB_ERROR (logged). */
static int
row_get(struct db *db, int64_t workflow_id, int64_t edge_id, struct edge_row *e)
{
	struct edge_row *rows;
	size_t n;
	memset(e, 0, sizeof(*e));
	if (rows_load(db, workflow_id, edge_id, &rows, &n) != 0) {
		rows_free(rows, n);
		return db_abandon(db);
	}
	if (n == 0) {
		free(rows);
		return EDGE_NOT_FOUND;
	}
	*e = rows[0];
	rows[0] = (struct edge_row){ 0 };
	rows_free(rows, n);
	return EDGE_OK;
}

int
edge_get(struct db *db, int64_t workflow_id, int64_t edge_id, json_t **out)
{
	struct jw w;
	jw_init(&w);
	if (edge_id <= 0) {
		*out = NULL;
		return EDGE_NOT_FOUND;
	}
	return parsed(edges_write(db, workflow_id, edge_id, &w), &w, out);
}

/* --- nodes the rules need ----------------------------------------------------- */

/* 0 with r->type NULL when there is no such node, -1 on error. */
static int
node_ref_get(struct db *db, int64_t workflow_id, const char *node_id, struct node_ref *r)
{
	memset(r, 0, sizeof(*r));
	if (node_id == NULL || node_id[0] == '\0')
		return 0;
	struct db_stmt *st = db_prepare(db, "SELECT component_type, component_config_id "
					    "FROM workflow_nodes WHERE workflow_id = ? AND node_id = ?");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, workflow_id);
	db_bind_text(st, 2, node_id, -1);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		r->type = column_dup(st, 0, "");
		r->config_id = db_column_int64(st, 1);
	}
	db_reset(st);
	return rc == DB_ERROR ? -1 : 0;
}

static void
node_ref_free(struct node_ref *r)
{
	free(r->type);
	r->type = NULL;
}

/* Points (or, with link 0, unpoints) the target's config at the source's. */
static int
llm_link_set(struct db *db, int64_t workflow_id, const struct edge_row *e, int link)
{
	struct node_ref src, tgt;
	int rc = node_ref_get(db, workflow_id, e->source, &src);
	if (rc == 0)
		rc = node_ref_get(db, workflow_id, e->target, &tgt);
	else
		memset(&tgt, 0, sizeof(tgt));
	if (rc == 0 && src.type != NULL && tgt.type != NULL) {
		char now[TIME_DB_LEN];
		time_now_db(now);
		/* Unlinking leaves a link some other edge made alone. */
		struct db_stmt *st = db_prepare(db, link
			? "UPDATE component_configs SET llm_model_config_id = ?, updated_at = ? WHERE id = ?"
			: "UPDATE component_configs SET llm_model_config_id = NULL, updated_at = ? "
			  "WHERE id = ? AND llm_model_config_id = ?");
		if (st == NULL) {
			rc = -1;
		} else {
			int i = 1;
			if (link)
				db_bind_int64(st, i++, src.config_id);
			db_bind_text(st, i++, now, -1);
			db_bind_int64(st, i++, tgt.config_id);
			if (!link)
				db_bind_int64(st, i++, src.config_id);
			rc = db_step(st) == DB_DONE ? 0 : -1;
			db_reset(st);
		}
	}
	node_ref_free(&src);
	node_ref_free(&tgt);
	return rc;
}

static int
is_llm(const struct edge_row *e)
{
	return strcmp(e->label, "llm") == 0;
}

/* --- the rules at write time ------------------------------------------------------ */

/* The refusal a rule problem is answered with. */
static int
refusal_of(const struct edge_problem *p)
{
	switch (p->rule) {
	case EDGE_RULE_UNKNOWN_SOURCE:
		return EDGE_UNKNOWN_SOURCE;
	case EDGE_RULE_UNKNOWN_TARGET:
		return EDGE_UNKNOWN_TARGET;
	case EDGE_RULE_CONDITIONAL:
		return EDGE_CONDITIONAL_REFUSED;
	case EDGE_RULE_TYPE:
		break;
	}
	return EDGE_TYPE_REFUSED;
}

/* The edge rules (graph/edge_rules.h) against the nodes as they are in
 * this transaction: EDGE_OK, the first refusal with *message, or
 * EDGE_DB_ERROR (not yet logged). */
static int
row_check(struct db *db, int64_t workflow_id, const struct edge_row *e, char **message)
{
	struct node_ref src, tgt;
	if (node_ref_get(db, workflow_id, e->source, &src) != 0)
		return EDGE_DB_ERROR;
	if (node_ref_get(db, workflow_id, e->target, &tgt) != 0) {
		node_ref_free(&src);
		return EDGE_DB_ERROR;
	}
	struct edge_ends ends = {
		.source = e->source, .target = e->target, .edge_type = e->type, .label = e->label,
		.condition_value = e->condition_value, .source_type = src.type, .target_type = tgt.type,
	};
	struct edge_problem problems[EDGE_PROBLEMS_MAX];
	size_t n = edge_rules_check(&ends, problems);
	int rc = EDGE_OK;
	if (n > 0) {
		rc = refusal_of(&problems[0]);
		*message = problems[0].message;
		problems[0].message = NULL;
	}
	edge_problems_free(problems, n);
	node_ref_free(&src);
	node_ref_free(&tgt);
	return rc;
}

static void
set_text(char **dst, json_t *fields, const char *key)
{
	json_t *v = json_object_get(fields, key);
	if (json_is_string(v)) {
		free(*dst);
		*dst = xstrdup(json_string_value(v));
	}
}

static void
row_apply(struct edge_row *e, json_t *fields)
{
	set_text(&e->source, fields, "source_node_id");
	set_text(&e->target, fields, "target_node_id");
	set_text(&e->type, fields, "edge_type");
	set_text(&e->label, fields, "edge_label");
	set_text(&e->condition_value, fields, "condition_value");
	json_t *m = json_object_get(fields, "condition_mapping");
	if (m != NULL) {
		json_decref(e->mapping);
		e->mapping = json_is_null(m) ? NULL : json_incref(m);
	}
	json_t *p = json_object_get(fields, "priority");
	if (json_is_integer(p))
		e->priority = json_integer_value(p);
}

/* Binds the row's values from index 1 on: source, target, type, label,
 * mapping, condition value, priority. */
static void
row_bind(struct db_stmt *st, const struct edge_row *e)
{
	db_bind_text(st, 1, e->source, -1);
	db_bind_text(st, 2, e->target, -1);
	db_bind_text(st, 3, e->type, -1);
	db_bind_text(st, 4, e->label, -1);
	char *mapping = e->mapping ? json_dumps(e->mapping, JSON_COMPACT) : NULL;
	db_bind_text(st, 5, mapping, -1);
	free(mapping);
	db_bind_text(st, 6, e->condition_value, -1);
	db_bind_int64(st, 7, e->priority);
}

static int
row_insert(struct db *db, int64_t workflow_id, struct edge_row *e)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO workflow_edges (source_node_id, "
		"target_node_id, edge_type, edge_label, condition_mapping, condition_value, priority, "
		"workflow_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
	if (st == NULL)
		return -1;
	row_bind(st, e);
	db_bind_int64(st, 8, workflow_id);
	int rc = db_step(st) == DB_ROW ? 0 : -1;
	if (rc == 0) {
		e->id = db_column_int64(st, 0);
		while (db_step(st) == DB_ROW)
			;
	}
	db_reset(st);
	return rc;
}

static int
row_store(struct db *db, int64_t workflow_id, const struct edge_row *e)
{
	struct db_stmt *st = db_prepare(db, "UPDATE workflow_edges SET source_node_id = ?, "
		"target_node_id = ?, edge_type = ?, edge_label = ?, condition_mapping = ?, "
		"condition_value = ?, priority = ? WHERE workflow_id = ? AND id = ?");
	if (st == NULL)
		return -1;
	row_bind(st, e);
	db_bind_int64(st, 8, workflow_id);
	db_bind_int64(st, 9, e->id);
	int rc = db_step(st) == DB_DONE ? 0 : -1;
	db_reset(st);
	return rc;
}

/* EDGE_OK while the workflow's edge count (kept by triggers, read after
 * the insert inside its transaction, so concurrent writers cannot pass the
 * limit together) is within model/limits.h's; else EDGE_TOO_MANY with
 * *message. */
static int
check_count(struct db *db, int64_t workflow_id, char **message)
{
	struct db_stmt *st = db_prepare(db, "SELECT edge_count FROM workflows WHERE id = ?");
	if (st == NULL)
		return EDGE_DB_ERROR;
	db_bind_int64(st, 1, workflow_id);
	int rc = db_step(st);
	long long n = rc == DB_ROW ? db_column_int64(st, 0) : -1;
	db_reset(st);
	if (n < 0)
		return EDGE_DB_ERROR;
	long max = graph_limits()->max_edges;
	if (n <= max)
		return EDGE_OK;
	*message = xasprintf("Too many edges: a workflow may have at most %ld "
			     "(PIPELIT_MAX_EDGES_PER_WORKFLOW).", max);
	return EDGE_TOO_MANY;
}

/* Ends the write: roll back on failure; commit when the transaction is ours. */
static int
finish(struct db *db, int rc, const char *what, int own)
{
	if (rc == EDGE_DB_ERROR)
		return db_abandon(db);
	if (rc != EDGE_OK) {
		db_rollback(db);
		return rc;
	}
	if (!own)
		return EDGE_OK;
	return db_commit(db) == 0 ? EDGE_OK : db_abandon(db);
}

int
edge_create(struct db *db, int64_t workflow_id, json_t *fields, int64_t *edge_id, char **message)
{
	struct edge_row e = {
		.source = xstrdup(""), .target = xstrdup(""), .type = xstrdup("direct"),
		.label = xstrdup(""), .condition_value = xstrdup(""),
	};
	*message = NULL;
	row_apply(&e, fields);
	int own = !db_in_transaction(db);
	if (own && db_begin_write(db) != 0) {
		row_free(&e);
		return db_abandon(db);
	}
	int rc = row_check(db, workflow_id, &e, message);
	if (rc == EDGE_OK && row_insert(db, workflow_id, &e) != 0)
		rc = EDGE_DB_ERROR;
	if (rc == EDGE_OK && is_llm(&e) && llm_link_set(db, workflow_id, &e, 1) != 0)
		rc = EDGE_DB_ERROR;
	if (rc == EDGE_OK)
		rc = check_count(db, workflow_id, message);
	*edge_id = e.id;
	row_free(&e);
	return finish(db, rc, "create", own);
}

int
edge_update(struct db *db, int64_t workflow_id, int64_t edge_id, json_t *fields, char **message)
{
	struct edge_row e;
	*message = NULL;
	if (db_begin_write(db) != 0)
		return db_abandon(db);
	int rc = row_get(db, workflow_id, edge_id, &e);
	if (rc == EDGE_NOT_FOUND) {
		db_rollback(db);
		return rc;
	}
	if (rc != EDGE_OK)
		return rc;
	if (is_llm(&e) && llm_link_set(db, workflow_id, &e, 0) != 0)
		rc = EDGE_DB_ERROR;
	row_apply(&e, fields);
	if (rc == EDGE_OK)
		rc = row_check(db, workflow_id, &e, message);
	if (rc == EDGE_OK && row_store(db, workflow_id, &e) != 0)
		rc = EDGE_DB_ERROR;
	if (rc == EDGE_OK && is_llm(&e) && llm_link_set(db, workflow_id, &e, 1) != 0)
		rc = EDGE_DB_ERROR;
	row_free(&e);
	return finish(db, rc, "update", 1);
}

int
edge_delete(struct db *db, int64_t workflow_id, int64_t edge_id)
{
	struct edge_row e;
	if (db_begin_write(db) != 0)
		return db_abandon(db);
	int rc = row_get(db, workflow_id, edge_id, &e);
	if (rc == EDGE_NOT_FOUND) {
		db_rollback(db);
		return rc;
	}
	if (rc != EDGE_OK)
		return rc;
	if (is_llm(&e) && llm_link_set(db, workflow_id, &e, 0) != 0)
		rc = EDGE_DB_ERROR;
	struct db_stmt *st = rc == EDGE_OK ? db_prepare(db,
		"DELETE FROM workflow_edges WHERE workflow_id = ? AND id = ?") : NULL;
	if (st == NULL) {
		rc = EDGE_DB_ERROR;
	} else {
		db_bind_int64(st, 1, workflow_id);
		db_bind_int64(st, 2, edge_id);
		if (db_step(st) != DB_DONE)
			rc = EDGE_DB_ERROR;
		db_reset(st);
	}
	row_free(&e);
	return finish(db, rc, "delete", 1);
}

/* --- validate --------------------------------------------------------------------- */

/* node_id -> component_type of every node of the workflow (new reference). */
static int
node_types_load(struct db *db, int64_t workflow_id, json_t **types)
{
	*types = json_object();
	struct db_stmt *st = db_prepare(db, "SELECT node_id, component_type FROM workflow_nodes "
					    "WHERE workflow_id = ? ORDER BY id");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, workflow_id);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		const char *type = db_column_text(st, 1);
		json_object_set_new(*types, db_column_text(st, 0), json_string(type ? type : ""));
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

static const char *
type_of(json_t *types, const char *node_id)
{
	return json_string_value(json_object_get(types, node_id));
}

static void
add_error(json_t *errors, char *message)
{
	json_array_append_new(errors, json_string(message));
	free(message);
}

/* The edge rules as validate words them: a missing node in the rule's own
 * words, the others prefixed with the edge they are about. */
static void
edge_errors(const struct edge_row *e, json_t *types, json_t *errors)
{
	struct edge_ends ends = {
		.source = e->source, .target = e->target, .edge_type = e->type, .label = e->label,
		.condition_value = e->condition_value, .source_type = type_of(types, e->source),
		.target_type = e->target[0] ? type_of(types, e->target) : NULL,
	};
	struct edge_problem problems[EDGE_PROBLEMS_MAX];
	size_t n = edge_rules_check(&ends, problems);
	for (size_t i = 0; i < n; i++) {
		if (edge_problem_field(&problems[i]) != NULL)
			add_error(errors, xstrdup(problems[i].message));
		else
			add_error(errors, xasprintf("Edge %s → %s: %s", e->source, e->target,
						    problems[i].message));
	}
	edge_problems_free(problems, n);
}

static void
model_errors(json_t *types, const struct edge_row *rows, size_t n, json_t *errors)
{
	const char *node_id;
	json_t *type;
	json_object_foreach(types, node_id, type) {
		const struct node_type *t = node_type_find(json_string_value(type));
		if (t == NULL || (t->flags & NODE_IS_TRIGGER) || !(t->flags & NODE_REQUIRES_MODEL))
			continue;
		size_t i = 0;
		while (i < n && !(is_llm(&rows[i]) && strcmp(rows[i].target, node_id) == 0))
			i++;
		if (i == n)
			add_error(errors, xasprintf("Node '%s' (%s) requires a model connection",
						    node_id, t->name));
	}
}

int
edge_validate_workflow(struct db *db, int64_t workflow_id, json_t **errors)
{
	json_t *types;
	struct edge_row *rows = NULL;
	size_t n = 0;
	*errors = NULL;
	if (node_types_load(db, workflow_id, &types) != 0
	    || rows_load(db, workflow_id, 0, &rows, &n) != 0) {
		json_decref(types);
		rows_free(rows, n);
		return db_abandon(db);
	}
	*errors = json_array();
	for (size_t i = 0; i < n; i++)
		edge_errors(&rows[i], types, *errors);
	model_errors(types, rows, n, *errors);
	json_decref(types);
	rows_free(rows, n);
	return EDGE_OK;
}
