/* workflow.c: see workflow.h. */
#include "workflow.h"

#include "edge.h"
#include "execution.h"
#include "node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "util/answer_cache.h"
#include "model/row_json.h"
#include "model/budget.h"
#include "model/schedule.h"
#include "util/jsonw.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define SUFFIX_MAX 24            /* "-" and the digits of any int64 */

enum col_kind { COL_TEXT, COL_BOOL, COL_INT, COL_JSON };

/* The writable columns, named as in the API. */
struct column {
	const char *key;
	enum col_kind kind;
};

static const struct column columns[] = {
	{ "name", COL_TEXT },
	{ "slug", COL_TEXT },
	{ "description", COL_TEXT },
	{ "is_active", COL_BOOL },
	{ "is_public", COL_BOOL },
	{ "is_default", COL_BOOL },
	{ "tags", COL_JSON },
	{ "error_handler_workflow_id", COL_INT },
	{ "max_execution_seconds", COL_INT },
	{ "input_schema", COL_JSON },
	{ "output_schema", COL_JSON },
	{ "budget", COL_JSON },
};
#define N_COLUMNS (sizeof(columns) / sizeof(columns[0]))

/* The counts are columns the database keeps exact with triggers (migration
 * fafda19e6f04), so a row costs the same whatever the workflow holds.
 * Today's usage (model/budget.h) is read with the row: its first ? is the
 * UTC day, so every query on SELECT_OUT binds the day first. */
#define SELECT_OUT \
	"SELECT w.id, w.owner_id, w.name, w.slug, w.description, w.is_active, w.is_public, " \
	"w.is_default, w.tags, w.error_handler_workflow_id, w.max_execution_seconds, " \
	"w.input_schema, w.output_schema, w.created_at, w.updated_at, " \
	"w.node_count, w.edge_count, w.trigger_count, w.revision, w.budget, " \
	"COALESCE(u.tokens, 0), COALESCE(u.usd_micros, 0) "
#define FROM_OUT \
	"FROM workflows w LEFT JOIN workflow_usage_days u ON u.workflow_id = w.id AND u.day = ? "
#define COL_BUDGET 19
#define COL_TODAY_TOKENS 20
#define COL_TODAY_MICROS 21
/* What a workflow without limits renders as its budget. */
#define NO_BUDGET "{\"max_tokens_per_execution\":null,\"max_usd_per_execution\":null," \
	"\"max_tokens_per_day\":null,\"max_usd_per_day\":null}"

/* Binds today's UTC day at 1 (SELECT_OUT's first parameter). */
static void
bind_today(struct db_stmt *st)
{
	char day[11];
	budget_day_of(time_now_ms(), day);
	db_bind_text(st, 1, day, -1);
}

void
workflow_free(struct workflow *w)
{
	if (w == NULL)
		return;
	free(w->name);
	free(w->slug);
	free(w->description);
	json_decref(w->tags);
	json_decref(w->input_schema);
	json_decref(w->output_schema);
	json_decref(w->budget);
	memset(w, 0, sizeof(*w));
}

/* --- slugs --------------------------------------------------------------------- */

static int
slug_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int
workflow_slug_valid(const char *s)
{
	size_t len = strlen(s);
	if (len == 0 || len > WF_SLUG_MAX || s[0] == '-' || s[len - 1] == '-')
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '-' && s[i + 1] == '-')
			return 0;
		if (s[i] != '-' && !slug_char(s[i]))
			return 0;
	}
	return 1;
}

static void
trim_trailing_hyphens(char *s)
{
	size_t len = strlen(s);
	while (len > 0 && s[len - 1] == '-')
		s[--len] = '\0';
}

char *
workflow_slug_from_name(const char *name)
{
	size_t len = strlen(name);
	char *out = xmalloc(len + sizeof("workflow"));
	size_t o = 0;
	for (size_t i = 0; i < len && o < WF_SLUG_MAX; i++) {
		char c = name[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (slug_char(c))
			out[o++] = c;
		else if (o > 0 && out[o - 1] != '-')
			out[o++] = '-';
	}
	out[o] = '\0';
	trim_trailing_hyphens(out);
	if (out[0] == '\0')
		strcpy(out, "workflow");
	return out;
}

/* 1 when slug is taken by a workflow other than except_id, 0, or -1. */
static int
slug_taken(struct db *db, const char *slug, int64_t except_id)
{
	struct db_stmt *st = db_prepare(db, "SELECT id FROM workflows WHERE slug = ?");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, slug, -1);
	int rc = db_step(st);
	int taken = rc == DB_ROW && db_column_int64(st, 0) != except_id;
	db_reset(st);
	return rc == DB_ERROR ? -1 : taken;
}

/* The suffix number of candidate when it is base-N (N >= 2), else 0. */
static int64_t
suffix_of(const char *candidate, const char *base)
{
	size_t blen = strlen(base);
	if (strncmp(candidate, base, blen) != 0 || candidate[blen] != '-')
		return 0;
	const char *p = candidate + blen + 1;
	if (*p < '1' || *p > '9')
		return 0;
	char *end;
	long long n = strtoll(p, &end, 10);
	return *end == '\0' && n >= 2 ? n : 0;
}

/*
 * The first free slug of base (when base_allowed), base-2, base-3 ...: one
 * query reads every taken candidate (slugs hold no LIKE wildcards), the next
 * number above the highest is free.  Malloc'd, or NULL on a database error.
 */
static char *
unique_slug(struct db *db, const char *derived, int base_allowed)
{
	char base[WF_SLUG_MAX + 1];
	snprintf(base, sizeof(base), "%s", derived);
	struct db_stmt *st = db_prepare(db, "SELECT slug FROM workflows WHERE slug = ? OR slug LIKE ?");
	if (st == NULL)
		return NULL;
	char *pattern = xasprintf("%s-%%", base);
	db_bind_text(st, 1, base, -1);
	db_bind_text(st, 2, pattern, -1);
	free(pattern);
	int base_taken = 0, rc;
	int64_t highest = 1;
	while ((rc = db_step(st)) == DB_ROW) {
		const char *s = db_column_text(st, 0);
		if (strcmp(s, base) == 0)
			base_taken = 1;
		int64_t n = suffix_of(s, base);
		if (n > highest)
			highest = n;
	}
	db_reset(st);
	if (rc == DB_ERROR)
		return NULL;
	if (!base_taken && base_allowed)
		return xstrdup(base);
	char suffix[SUFFIX_MAX];
	snprintf(suffix, sizeof(suffix), "-%lld", (long long)highest + 1);
	size_t room = WF_SLUG_MAX - strlen(suffix);
	if (strlen(base) > room) {
		/* A shortened base is a new base whose own suffixes may be
		 * taken; it still needs one, or it would look underived. */
		base[room] = '\0';
		trim_trailing_hyphens(base);
		return unique_slug(db, base, 0);
	}
	return xasprintf("%s%s", base, suffix);
}

/* --- reading ------------------------------------------------------------------- */

static json_t *
json_column(struct db_stmt *st, int col)
{
	const char *s = db_column_text(st, col);
	if (s == NULL)
		return NULL;
	return json_loads(s, JSON_DECODE_ANY, NULL);
}

static void
row_to_workflow(struct db_stmt *st, struct workflow *w)
{
	memset(w, 0, sizeof(*w));
	w->id = db_column_int64(st, 0);
	w->owner_id = db_column_int64(st, 1);
	w->name = xstrdup(db_column_text(st, 2) ? db_column_text(st, 2) : "");
	w->slug = xstrdup(db_column_text(st, 3) ? db_column_text(st, 3) : "");
	w->description = xstrdup(db_column_text(st, 4) ? db_column_text(st, 4) : "");
	w->is_active = db_column_bool(st, 5);
	w->is_public = db_column_bool(st, 6);
	w->is_default = db_column_bool(st, 7);
	w->tags = json_column(st, 8);
	w->error_handler_workflow_id = db_column_is_null(st, 9) ? 0 : db_column_int64(st, 9);
	w->max_execution_seconds = db_column_int64(st, 10);
	w->input_schema = json_column(st, 11);
	w->output_schema = json_column(st, 12);
	snprintf(w->created_at, sizeof(w->created_at), "%s", db_column_text(st, 13) ? db_column_text(st, 13) : "");
	snprintf(w->updated_at, sizeof(w->updated_at), "%s", db_column_text(st, 14) ? db_column_text(st, 14) : "");
	w->node_count = db_column_int64(st, 15);
	w->edge_count = db_column_int64(st, 16);
	w->trigger_count = db_column_int64(st, 17);
	w->budget = json_column(st, COL_BUDGET);
	w->today_tokens = db_column_int64(st, COL_TODAY_TOKENS);
	w->today_usd_micros = db_column_int64(st, COL_TODAY_MICROS);
}

/* Finds slug in scope and leaves the statement on its row (the caller
 * resets it): WF_OK, WF_NOT_FOUND or WF_DB_ERROR. */
static int
find_workflow(struct db *db, const char *slug, int64_t owner, struct db_stmt **out)
{
	struct db_stmt *st = db_prepare(db, owner == WF_ANY_OWNER
		? SELECT_OUT FROM_OUT "WHERE w.slug = ? AND ? = 0"
		: SELECT_OUT FROM_OUT "WHERE w.slug = ? AND w.owner_id = ?");
	*out = st;
	if (st == NULL)
		return db_abandon(db);
	bind_today(st);
	db_bind_text(st, 2, slug, -1);
	db_bind_int64(st, 3, owner);
	int rc = db_step(st);
	if (rc == DB_ROW)
		return WF_OK;
	db_reset(st);
	*out = NULL;
	return rc == DB_ERROR ? db_abandon(db) : WF_NOT_FOUND;
}

int
workflow_get(struct db *db, const char *slug, int64_t owner, struct workflow *out)
{
	struct db_stmt *st;
	int rc = find_workflow(db, slug, owner, &st);
	if (rc == WF_OK) {
		row_to_workflow(st, out);
		db_reset(st);
	}
	return rc;
}

static int
count_in_scope(struct db *db, int64_t owner, int64_t *total)
{
	/* workflow_owner_totals holds one row per owner with workflows, kept
	 * by triggers: no row means none.  The admin sum reads one row per
	 * owner, not per workflow. */
	struct db_stmt *st = db_prepare(db, owner == WF_ANY_OWNER
		? "SELECT CAST(COALESCE(SUM(total), 0) AS BIGINT) FROM workflow_owner_totals"
		: "SELECT total FROM workflow_owner_totals WHERE owner_id = ?");
	if (st == NULL)
		return -1;
	if (owner != WF_ANY_OWNER)
		db_bind_int64(st, 1, owner);
	int rc = db_step(st);
	*total = rc == DB_ROW ? db_column_int64(st, 0) : 0;
	db_reset(st);
	return rc == DB_ERROR ? -1 : 0;
}

/* WorkflowOut's members from a SELECT_OUT row, in the spec's key order with
 * trigger_count after edge_count, into an object the caller opened: the
 * one renderer of a workflow.  Text goes from the row to the answer
 * without a copy in between. */
static void
row_write_members(struct jw *w, struct db_stmt *st)
{
	jw_kint(w, "id", db_column_int64(st, 0));
	text_or(w, "name", st, 2, "");
	text_or(w, "slug", st, 3, "");
	text_or(w, "description", st, 4, "");
	jw_kbool(w, "is_active", db_column_bool(st, 5));
	jw_kbool(w, "is_public", db_column_bool(st, 6));
	jw_kbool(w, "is_default", db_column_bool(st, 7));
	json_or(w, "tags", st, 8, "null");
	int_or_null(w, "error_handler_workflow_id", st, 9);
	jw_kint(w, "max_execution_seconds", db_column_int64(st, 10));
	json_or(w, "input_schema", st, 11, "null");
	json_or(w, "output_schema", st, 12, "null");
	json_or(w, "budget", st, COL_BUDGET, NO_BUDGET);
	jw_kint(w, "node_count", db_column_int64(st, 15));
	jw_kint(w, "edge_count", db_column_int64(st, 16));
	jw_kint(w, "trigger_count", db_column_int64(st, 17));
	time_or_null(w, "created_at", st, 13);
	time_or_null(w, "updated_at", st, 14);
}

/* "budget_today" from the row: what the workflow's LLM calls used today
 * (UTC).  It changes without a new revision, so it is never part of a
 * kept detail (workflow_write appends it). */
static void
write_today(struct jw *w, struct db_stmt *st)
{
	budget_write_today(w, db_column_int64(st, COL_TODAY_TOKENS),
			   db_column_int64(st, COL_TODAY_MICROS));
}

int
workflow_list_write(struct db *db, int64_t owner, int64_t limit, int64_t offset, struct jw *w)
{
	/* The (owner_id, id) index gives the owner's rows in id order, so the
	 * page costs the same at any size. */
	struct db_stmt *st = db_prepare(db, owner == WF_ANY_OWNER
		? SELECT_OUT FROM_OUT "WHERE ? = 0 ORDER BY w.id LIMIT ? OFFSET ?"
		: SELECT_OUT FROM_OUT "WHERE w.owner_id = ? ORDER BY w.id LIMIT ? OFFSET ?");
	if (st == NULL)
		return db_abandon(db);
	if (db_begin(db) != 0)
		return db_abandon(db);
	bind_today(st);
	db_bind_int64(st, 2, owner);
	db_bind_int64(st, 3, limit);
	db_bind_int64(st, 4, offset);
	jw_obj_begin(w);
	JW_KEY(w, "items");
	jw_arr_begin(w);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		jw_obj_begin(w);
		row_write_members(w, st);
		write_today(w, st);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	db_reset(st);
	int64_t total = 0;
	if (rc == DB_ERROR || count_in_scope(db, owner, &total) != 0)
		return db_abandon(db);
	jw_kint(w, "total", total);
	jw_obj_end(w);
	db_commit(db);
	return WF_OK;
}

/* WorkflowOut with its nodes and edges after the members, from the row st
 * is on (reset here). */
static int
write_detail(struct db *db, struct db_stmt *st, struct jw *w)
{
	int64_t id = db_column_int64(st, 0);
	jw_obj_begin(w);
	row_write_members(w, st);
	db_reset(st);
	JW_KEY(w, "nodes");
	if (node_list_write(db, id, w) != NODE_OK)
		return WF_DB_ERROR;
	JW_KEY(w, "edges");
	if (edge_list_write(db, id, w) != EDGE_OK)
		return WF_DB_ERROR;
	jw_obj_end(w);
	return WF_OK;
}

/* Adds "budget_today" to the detail object just written whole (kept or
 * fresh), before its closing brace: the kept text stays the same for a
 * revision while today's usage moves. */
static void
append_today(struct jw *w, int64_t tokens, int64_t micros)
{
	struct jw today;
	jw_init(&today);
	jw_obj_begin(&today);
	budget_write_today(&today, tokens, micros);
	jw_obj_end(&today);
	/* Both end in '}': today's members (from its '{', which becomes the
	 * comma) take the place of the detail's closing brace.  Written into
	 * the buffer directly: jw_raw would separate it from the object as
	 * from a sibling. */
	today.buf[0] = ',';
	w->len--;
	jw_reserve(w, today.len);
	memcpy(w->buf + w->len, today.buf, today.len);
	w->len += today.len;
	w->buf[w->len] = '\0';
	jw_free(&today);
}

int
workflow_write(struct db *db, const char *slug, int64_t owner, int with_graph,
	       struct answer_cache *cache, struct jw *w)
{
	/* Inside a caller's transaction (a create rendering what it wrote
	 * before its commit) the read joins it. */
	int own = !db_in_transaction(db);
	if (own && db_begin(db) != 0)
		return db_abandon(db);
	struct db_stmt *st;
	int rc = find_workflow(db, slug, owner, &st);
	if (rc != WF_OK) {
		if (own && db_in_transaction(db))
			db_rollback(db);
		return rc;
	}
	if (!with_graph) {
		jw_obj_begin(w);
		row_write_members(w, st);
		write_today(w, st);
		jw_obj_end(w);
		db_reset(st);
		if (own)
			db_commit(db);
		return WF_OK;
	}
	/* The revision is read in the same transaction as the graph would be,
	 * so a kept answer is exactly what rendering now would give. */
	int64_t id = db_column_int64(st, 0), revision = db_column_int64(st, 18);
	int64_t today_tokens = db_column_int64(st, COL_TODAY_TOKENS);
	int64_t today_micros = db_column_int64(st, COL_TODAY_MICROS);
	/* A schedule's counters move without a new revision: such a detail
	 * is rendered every time. */
	int scheduled = schedule_exists_for_workflow(db, id);
	if (scheduled < 0)
		return db_abandon(db);
	if (scheduled)
		cache = NULL;
	size_t len;
	const char *kept = answer_cache_get(cache, id, revision, &len);
	if (kept != NULL) {
		db_reset(st);
		jw_raw(w, kept, len);
	} else {
		size_t start = w->len;
		if (write_detail(db, st, w) != WF_OK)
			return db_abandon(db);
		answer_cache_put(cache, id, revision, w->buf + start, w->len - start);
	}
	append_today(w, today_tokens, today_micros);
	if (own)
		db_commit(db);
	return WF_OK;
}

/* --- writing ------------------------------------------------------------------- */

static void
bind_value(struct db_stmt *st, int idx, enum col_kind kind, json_t *v)
{
	if (v == NULL || json_is_null(v)) {
		db_bind_null(st, idx);
		return;
	}
	switch (kind) {
	case COL_TEXT:
		db_bind_text(st, idx, json_string_value(v), -1);
		break;
	case COL_BOOL:
		db_bind_bool(st, idx, json_is_true(v));
		break;
	case COL_INT:
		db_bind_int64(st, idx, json_integer_value(v));
		break;
	case COL_JSON: {
		char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		db_bind_text(st, idx, text ? text : "null", -1);
		free(text);
		break;
	}
	}
}

/* A failed write: a 409 or 422 case when the database says so. */
static int
write_failed(struct db *db, const char *what)
{
	enum db_errkind kind = db_error_kind(db);
	if (kind == DB_ERR_UNIQUE || kind == DB_ERR_FOREIGN_KEY) {
		db_rollback(db);
		return kind == DB_ERR_UNIQUE ? WF_SLUG_TAKEN : WF_BAD_REFERENCE;
	}
	return db_abandon(db);
}

/*
 * The error handler must be a workflow of the same owner: the engine runs
 * it as that owner, with the failed execution's data, so another user's
 * would be run (and fed) without their consent.  One of another user is
 * answered as missing, so ids of others' workflows cannot be probed.
 * sql finds the handler (first ?) for the owner given by the second ?:
 * the creating user, or the updated workflow's.  0 with *missing set, or -1.
 */
#define HANDLER_OF_OWNER "SELECT 1 FROM workflows WHERE id = ? AND owner_id = ?"
#define HANDLER_OF_WORKFLOWS_OWNER \
	"SELECT 1 FROM workflows h JOIN workflows w ON w.owner_id = h.owner_id " \
	"WHERE h.id = ? AND w.id = ?"

static int
check_reference(struct db *db, json_t *fields, const char *sql, int64_t scope, int *missing)
{
	json_t *v = json_object_get(fields, "error_handler_workflow_id");
	*missing = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	struct db_stmt *st = db_prepare(db, sql);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, json_integer_value(v));
	db_bind_int64(st, 2, scope);
	int rc = db_step(st);
	db_reset(st);
	*missing = rc == DB_DONE;
	return rc == DB_ERROR ? -1 : 0;
}

/* The slug a create will use: the given one if free, else a derived one
 * made unique.  WF_OK with *slug set (malloc'd), or an error. */
static int
choose_slug(struct db *db, json_t *fields, char **slug)
{
	const char *given = json_string_value(json_object_get(fields, "slug"));
	*slug = NULL;
	if (given != NULL) {
		int taken = slug_taken(db, given, 0);
		if (taken < 0)
			return WF_DB_ERROR;
		if (taken)
			return WF_SLUG_TAKEN;
		*slug = xstrdup(given);
		return WF_OK;
	}
	char *derived = workflow_slug_from_name(json_string_value(json_object_get(fields, "name")));
	*slug = unique_slug(db, derived, 1);
	free(derived);
	return *slug ? WF_OK : WF_DB_ERROR;
}

static int
insert_row(struct db *db, int64_t owner, json_t *fields, const char *slug)
{
	char now[TIME_DB_LEN];
	time_now_db(now);
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO workflows (name, slug, description, is_active, is_public, is_default, "
		"tags, error_handler_workflow_id, max_execution_seconds, input_schema, output_schema, "
		"budget, owner_id, created_at, updated_at) "
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (st == NULL)
		return -1;
	json_t *defaults = json_pack("{s:s, s:b, s:b, s:b, s:i}", "description", "", "is_active", 1,
				     "is_public", 0, "is_default", 0, "max_execution_seconds", 600);
	for (size_t i = 0; i < N_COLUMNS; i++) {
		json_t *v = json_object_get(fields, columns[i].key);
		if (v == NULL)
			v = json_object_get(defaults, columns[i].key);
		if (i == 1)
			db_bind_text(st, 2, slug, -1);
		else
			bind_value(st, (int)i + 1, columns[i].kind, v);
	}
	json_decref(defaults);
	/* The columns above, in their order, then the owner and times. */
	db_bind_int64(st, N_COLUMNS + 1, owner);
	db_bind_text(st, N_COLUMNS + 2, now, -1);
	db_bind_text(st, N_COLUMNS + 3, now, -1);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

int
workflow_create(struct db *db, int64_t owner, json_t *fields, char **slug_out)
{
	*slug_out = NULL;
	int own = !db_in_transaction(db);
	if (own && db_begin_write(db) != 0)
		return db_abandon(db);
	int missing = 0;
	if (check_reference(db, fields, HANDLER_OF_OWNER, owner, &missing) != 0)
		return db_abandon(db);
	if (missing) {
		db_rollback(db);
		return WF_BAD_REFERENCE;
	}
	char *slug;
	int rc = choose_slug(db, fields, &slug);
	if (rc != WF_OK) {
		if (rc == WF_DB_ERROR)
			return db_abandon(db);
		db_rollback(db);
		return rc;
	}
	if (insert_row(db, owner, fields, slug) != 0) {
		free(slug);
		return write_failed(db, "insert");
	}
	if (own && db_commit(db) != 0) {
		free(slug);
		return db_abandon(db);
	}
	*slug_out = slug;
	return WF_OK;
}

/* The id of slug in scope: WF_OK, WF_NOT_FOUND or WF_DB_ERROR. */
static int
find_id(struct db *db, const char *slug, int64_t owner, int64_t *id)
{
	struct db_stmt *st = db_prepare(db, owner == WF_ANY_OWNER
		? "SELECT id FROM workflows WHERE slug = ? AND ? = 0"
		: "SELECT id FROM workflows WHERE slug = ? AND owner_id = ?");
	if (st == NULL)
		return WF_DB_ERROR;
	db_bind_text(st, 1, slug, -1);
	db_bind_int64(st, 2, owner);
	int rc = db_step(st);
	if (rc == DB_ROW)
		*id = db_column_int64(st, 0);
	db_reset(st);
	return rc == DB_ROW ? WF_OK : rc == DB_DONE ? WF_NOT_FOUND : WF_DB_ERROR;
}

/* "UPDATE workflows SET a = ?, b = ?, updated_at = ? WHERE id = ?" for the
 * keys present in fields; malloc'd. */
static char *
update_sql(json_t *fields)
{
	size_t cap = 256;
	char *sql = xmalloc(cap);
	strcpy(sql, "UPDATE workflows SET ");
	for (size_t i = 0; i < N_COLUMNS; i++) {
		if (json_object_get(fields, columns[i].key) == NULL)
			continue;
		size_t need = strlen(sql) + strlen(columns[i].key) + 8;
		if (need > cap) {
			cap = need * 2;
			sql = xrealloc(sql, cap);
		}
		strcat(sql, columns[i].key);
		strcat(sql, " = ?, ");
	}
	char *full = xasprintf("%supdated_at = ? WHERE id = ?", sql);
	free(sql);
	return full;
}

static int
update_row(struct db *db, int64_t id, json_t *fields)
{
	char *sql = update_sql(fields);
	struct db_stmt *st = db_prepare(db, sql);
	free(sql);
	if (st == NULL)
		return -1;
	int idx = 1;
	for (size_t i = 0; i < N_COLUMNS; i++) {
		json_t *v = json_object_get(fields, columns[i].key);
		if (v != NULL)
			bind_value(st, idx++, columns[i].kind, v);
	}
	char now[TIME_DB_LEN];
	time_now_db(now);
	db_bind_text(st, idx++, now, -1);
	db_bind_int64(st, idx, id);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

int
workflow_update(struct db *db, const char *slug, int64_t owner, json_t *fields, char **slug_out)
{
	*slug_out = NULL;
	if (db_begin_write(db) != 0)
		return db_abandon(db);
	/* Limits set: first wait for the LLM calls being reserved without. */
	json_t *budget = json_object_get(fields, "budget");
	if (budget != NULL && !json_is_null(budget) && budget_limits_setting(db) != 0)
		return db_abandon(db);
	int64_t id = 0;
	int rc = find_id(db, slug, owner, &id);
	if (rc != WF_OK) {
		if (rc == WF_DB_ERROR)
			return db_abandon(db);
		db_rollback(db);
		return rc;
	}
	int missing = 0;
	if (check_reference(db, fields, HANDLER_OF_WORKFLOWS_OWNER, id, &missing) != 0)
		return db_abandon(db);
	const char *new_slug = json_string_value(json_object_get(fields, "slug"));
	int taken = new_slug ? slug_taken(db, new_slug, id) : 0;
	if (taken < 0)
		return db_abandon(db);
	if (missing || taken) {
		db_rollback(db);
		return missing ? WF_BAD_REFERENCE : WF_SLUG_TAKEN;
	}
	if (update_row(db, id, fields) != 0)
		return write_failed(db, "update");
	if (db_commit(db) != 0)
		return db_abandon(db);
	*slug_out = xstrdup(new_slug ? new_slug : slug);
	return WF_OK;
}

/* Deletes workflow id inside the caller's transaction.  Component configs
 * have no foreign key to their workflow, so they go first by hand; their
 * nodes follow by cascade, edges and executions with the workflow. */
static int
delete_by_id(struct db *db, int64_t id)
{
	static const char *const steps[] = {
		"DELETE FROM component_configs WHERE id IN "
		"(SELECT component_config_id FROM workflow_nodes WHERE workflow_id = ?)",
		"DELETE FROM workflow_nodes WHERE workflow_id = ?",
		"DELETE FROM workflows WHERE id = ?",
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct db_stmt *st = db_prepare(db, steps[i]);
		if (st == NULL)
			return -1;
		db_bind_int64(st, 1, id);
		int rc = db_step(st);
		db_reset(st);
		if (rc != DB_DONE)
			return -1;
	}
	return 0;
}

/* Deletes slug's workflow inside the caller's transaction, its executions
 * in flight cancelled first (their events appended to cancelled). */
static int
delete_one(struct db *db, const char *slug, int64_t owner, struct exec_cancelled_list *cancelled)
{
	int64_t id = 0;
	int rc = find_id(db, slug, owner, &id);
	if (rc != WF_OK)
		return rc;
	if (execution_cancel_in_flight(db, id, slug, time_now_ms(), cancelled) != EXEC_OK)
		return WF_DB_ERROR;
	return delete_by_id(db, id) == 0 ? WF_OK : WF_DB_ERROR;
}

int
workflow_delete(struct db *db, const char *slug, int64_t owner,
		struct exec_cancelled_list *cancelled)
{
	if (db_begin_write(db) != 0)
		return db_abandon(db);
	int rc = delete_one(db, slug, owner, cancelled);
	if (rc == WF_DB_ERROR)
		return db_abandon(db);
	if (rc == WF_NOT_FOUND) {
		db_rollback(db);
		return rc;
	}
	if (db_commit(db) != 0)
		return db_abandon(db);
	return WF_OK;
}

int
workflow_delete_many(struct db *db, const char *const *slugs, size_t n, int64_t owner,
		     struct exec_cancelled_list *cancelled)
{
	if (db_begin_write(db) != 0)
		return db_abandon(db);
	for (size_t i = 0; i < n; i++)
		if (delete_one(db, slugs[i], owner, cancelled) == WF_DB_ERROR)
			return db_abandon(db);
	if (db_commit(db) != 0)
		return db_abandon(db);
	return WF_OK;
}

/* --- the graph of the detail ----------------------------------------------------- */

int
workflow_graph(struct db *db, int64_t workflow_id, json_t **nodes, json_t **edges)
{
	*edges = NULL;
	/* NodeOut and EdgeOut each have one renderer, in their own models. */
	int rc = node_list(db, workflow_id, nodes) == NODE_OK ? 0 : -1;
	if (rc == 0)
		rc = edge_list(db, workflow_id, edges) == EDGE_OK ? 0 : -1;
	if (rc != 0) {
		json_decref(*nodes);
		json_decref(*edges);
		*nodes = *edges = NULL;
		return db_abandon(db);
	}
	return WF_OK;
}
