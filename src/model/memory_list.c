/* memory_list.c: see memory_list.h. */
#include "memory_list.h"

#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

enum col_type {
	COL_TEXT,       /* a string, or null for SQL NULL */
	COL_INT,        /* an integer, or null */
	COL_REAL,       /* a float */
	COL_BOOL,
	COL_JSON,       /* JSON text rendered as its value (text that is not JSON: a string) */
	COL_TIME,       /* a stored time rendered ISO-8601 with Z, or null */
};

struct col {
	const char *name;       /* the key in the answer */
	const char *sql;        /* the select expression */
	enum col_type type;
};

#define MAX_COLS 12

struct kind_def {
	const char *table;
	const char *filters[2];   /* filtered columns, NULL when unused */
	const char *order;
	struct col cols[MAX_COLS];
};

static const struct kind_def kinds[] = {
	[MEMORY_FACTS] = { "memory_facts", { "scope", "fact_type" }, "updated_at DESC, id", {
		{ "id", "id", COL_TEXT },
		{ "scope", "scope", COL_TEXT },
		{ "agent_id", "agent_id", COL_TEXT },
		{ "user_id", "user_id", COL_TEXT },
		{ "key", "key", COL_TEXT },
		{ "value", "value", COL_JSON },
		{ "fact_type", "fact_type", COL_TEXT },
		{ "confidence", "confidence", COL_REAL },
		{ "times_confirmed", "times_confirmed", COL_INT },
		{ "access_count", "access_count", COL_INT },
		{ "created_at", "created_at", COL_TIME },
		{ "updated_at", "updated_at", COL_TIME },
	} },
	[MEMORY_EPISODES] = { "memory_episodes", { "agent_id", NULL }, "started_at DESC, id", {
		{ "id", "id", COL_TEXT },
		{ "agent_id", "agent_id", COL_TEXT },
		{ "user_id", "user_id", COL_TEXT },
		{ "trigger_type", "trigger_type", COL_TEXT },
		{ "success", "success", COL_BOOL },
		{ "error_code", "error_code", COL_TEXT },
		{ "summary", "summary", COL_TEXT },
		{ "started_at", "started_at", COL_TIME },
		{ "ended_at", "ended_at", COL_TIME },
		{ "duration_ms", "duration_ms", COL_INT },
		{ "created_at", "created_at", COL_TIME },
	} },
	[MEMORY_PROCEDURES] = { "memory_procedures", { "agent_id", NULL }, "created_at DESC, id", {
		{ "id", "id", COL_TEXT },
		{ "agent_id", "agent_id", COL_TEXT },
		{ "name", "name", COL_TEXT },
		{ "description", "description", COL_TEXT },
		{ "procedure_type", "procedure_type", COL_TEXT },
		{ "times_used", "times_used", COL_INT },
		{ "times_succeeded", "times_succeeded", COL_INT },
		{ "times_failed", "times_failed", COL_INT },
		/* the spec's rule: succeeded / used, or 0.5 before the first use */
		{ "success_rate", "CASE WHEN times_used = 0 THEN 0.5 "
				  "ELSE CAST(times_succeeded AS FLOAT) / times_used END", COL_REAL },
		{ "is_active", "is_active", COL_BOOL },
		{ "created_at", "created_at", COL_TIME },
	} },
	[MEMORY_USERS] = { "memory_users", { NULL, NULL }, "last_seen_at DESC, id", {
		{ "id", "id", COL_TEXT },
		{ "canonical_id", "canonical_id", COL_TEXT },
		{ "display_name", "display_name", COL_TEXT },
		{ "telegram_id", "telegram_id", COL_TEXT },
		{ "email", "email", COL_TEXT },
		{ "total_conversations", "total_conversations", COL_INT },
		{ "last_seen_at", "last_seen_at", COL_TIME },
		{ "created_at", "created_at", COL_TIME },
	} },
};

/* " WHERE (CAST(? AS TEXT) IS NULL OR f = ?) AND ..." for the kind's filters. */
static void
append_where(char *sql, size_t size, const struct kind_def *k)
{
	for (int i = 0; i < 2 && k->filters[i]; i++) {
		size_t len = strlen(sql);
		snprintf(sql + len, size - len, "%s(CAST(? AS TEXT) IS NULL OR %s = ?)",
			 i == 0 ? " WHERE " : " AND ", k->filters[i]);
	}
}

static int
bind_filters(struct db_stmt *st, const struct kind_def *k, const char *f1, const char *f2)
{
	const char *f[2] = { f1, f2 };
	int idx = 1;
	for (int i = 0; i < 2 && k->filters[i]; i++) {
		db_bind_text(st, idx++, f[i], -1);
		db_bind_text(st, idx++, f[i], -1);
	}
	return idx;
}

static json_t *
col_value(struct db_stmt *st, int i, enum col_type type)
{
	if (db_column_is_null(st, i))
		return json_null();
	const char *s = db_column_text(st, i);
	switch (type) {
	case COL_TEXT:
		return json_string(s);
	case COL_INT:
		return json_integer(db_column_int64(st, i));
	case COL_REAL:
		return json_real(db_column_double(st, i));
	case COL_BOOL:
		return json_boolean(db_column_bool(st, i));
	case COL_JSON: {
		json_t *v = json_loads(s, JSON_DECODE_ANY, NULL);
		return v ? v : json_string(s);
	}
	case COL_TIME:
		return time_db_to_json_or_text(s);
	}
	return json_null();
}

static int64_t
count_rows(struct db *db, const struct kind_def *k, const char *f1, const char *f2)
{
	char sql[512];
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", k->table);
	append_where(sql, sizeof(sql), k);
	struct db_stmt *st = db_prepare(db, sql);
	if (st == NULL)
		return DB_FAILED;
	bind_filters(st, k, f1, f2);
	int rc = db_step(st);
	int64_t n = rc == DB_ROW ? db_column_int64(st, 0) : DB_FAILED;
	db_reset(st);
	return n;
}

static json_t *
page(struct db *db, const struct kind_def *k, const char *f1, const char *f2, int64_t limit,
     int64_t offset)
{
	char sql[2048] = "SELECT ";
	int ncols = 0;
	for (; ncols < MAX_COLS && k->cols[ncols].name; ncols++) {
		size_t len = strlen(sql);
		snprintf(sql + len, sizeof(sql) - len, "%s%s", ncols ? ", " : "", k->cols[ncols].sql);
	}
	size_t len = strlen(sql);
	snprintf(sql + len, sizeof(sql) - len, " FROM %s", k->table);
	append_where(sql, sizeof(sql), k);
	len = strlen(sql);
	snprintf(sql + len, sizeof(sql) - len, " ORDER BY %s LIMIT ? OFFSET ?", k->order);
	struct db_stmt *st = db_prepare(db, sql);
	if (st == NULL)
		return NULL;
	int idx = bind_filters(st, k, f1, f2);
	db_bind_int64(st, idx, limit);
	db_bind_int64(st, idx + 1, offset);
	json_t *items = json_array();
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		json_t *o = json_object();
		for (int i = 0; i < ncols; i++)
			json_object_set_new(o, k->cols[i].name, col_value(st, i, k->cols[i].type));
		json_array_append_new(items, o);
	}
	db_reset(st);
	if (rc == DB_ERROR) {
		json_decref(items);
		return NULL;
	}
	return items;
}

json_t *
memory_list(struct db *db, enum memory_kind kind, const char *filter1, const char *filter2,
	    int64_t limit, int64_t offset, int64_t *total)
{
	const struct kind_def *k = &kinds[kind];
	/* One snapshot, so the total and the page agree. */
	if (db_begin(db) != 0)
		return NULL;
	*total = count_rows(db, k, filter1, filter2);
	json_t *items = *total < 0 ? NULL : page(db, k, filter1, filter2, limit, offset);
	if (items == NULL || db_commit(db) != 0) {
		json_decref(items);
		db_abandon(db);
		return NULL;
	}
	return items;
}

int
memory_delete_many(struct db *db, enum memory_kind kind, const char *const *ids, size_t n)
{
	if (n == 0)
		return 0;
	char sql[128];
	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE id = ?", kinds[kind].table);
	if (db_begin_write(db) != 0)
		return db_abandon(db);
	for (size_t i = 0; i < n; i++) {
		struct db_stmt *st = db_prepare(db, sql);
		if (st == NULL)
			return db_abandon(db);
		db_bind_text(st, 1, ids[i], -1);
		int rc = db_step(st);
		db_reset(st);
		if (rc != DB_DONE)
			return db_abandon(db);
	}
	return db_commit(db) == 0 ? 0 : db_abandon(db);
}
