/* setting.c: see setting.h. */
#include "setting.h"

#include <stdlib.h>

#include "db/db.h"
#include "model/execution.h"

int
settings_revision(struct db *db, int64_t *revision)
{
	int rc = db_query_int64(db, "SELECT revision FROM platform_settings_revision WHERE id = 1",
				revision);
	if (rc == 1)
		*revision = 0;   /* the first change inserts the row */
	return rc < 0 ? DB_FAILED : 0;
}

static int
read_rows(struct db *db, json_t *values)
{
	struct db_stmt *st = db_prepare(db, "SELECT name, value FROM platform_settings");
	if (st == NULL)
		return DB_FAILED;
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		json_t *v = json_loads(db_column_text(st, 1), JSON_DECODE_ANY, NULL);
		if (v != NULL)
			json_object_set_new(values, db_column_text(st, 0), v);
	}
	db_reset(st);
	return rc == DB_ERROR ? DB_FAILED : 0;
}

int
settings_read(struct db *db, json_t **values, int64_t *revision)
{
	*values = NULL;
	int own = !db_in_transaction(db);
	if (own && db_begin(db) != 0)
		return DB_FAILED;
	json_t *v = json_object();
	if (settings_revision(db, revision) != 0 || read_rows(db, v) != 0) {
		json_decref(v);
		return own ? db_abandon(db) : DB_FAILED;
	}
	if (own && db_commit(db) != 0) {
		json_decref(v);
		return db_abandon(db);
	}
	*values = v;
	return 0;
}

static int
store_one(struct db *db, const char *name, json_t *value, int64_t now_ms)
{
	char *text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
	if (text == NULL)
		return DB_FAILED;
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO platform_settings (name, value, updated_at) VALUES (?, ?, ?) "
		"ON CONFLICT (name) DO UPDATE SET value = excluded.value, "
		"updated_at = excluded.updated_at");
	int rc = DB_ERROR;
	if (st != NULL) {
		db_bind_text(st, 1, name, -1);
		db_bind_text(st, 2, text, -1);
		db_bind_int64(st, 3, now_ms);
		rc = db_step(st);
		db_reset(st);
	}
	free(text);
	return rc == DB_ERROR ? DB_FAILED : 0;
}

static int
delete_one(struct db *db, const char *name)
{
	struct db_stmt *st = db_prepare(db, "DELETE FROM platform_settings WHERE name = ?");
	if (st == NULL)
		return DB_FAILED;
	db_bind_text(st, 1, name, -1);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_ERROR ? DB_FAILED : 0;
}

static int
bump_revision(struct db *db, int64_t *revision)
{
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO platform_settings_revision (id, revision) VALUES (1, 1) "
		"ON CONFLICT (id) DO UPDATE SET revision = platform_settings_revision.revision + 1 "
		"RETURNING revision");
	if (st == NULL)
		return DB_FAILED;
	int rc = db_step(st);
	if (rc == DB_ROW)
		*revision = db_column_int64(st, 0);
	db_reset(st);
	return rc == DB_ROW ? 0 : DB_FAILED;
}

int
settings_write(struct db *db, json_t *set, json_t *unset, int64_t now_ms, int64_t *revision)
{
	if (db_begin_write(db) != 0)
		return DB_FAILED;
	const char *name;
	json_t *value;
	json_object_foreach(set, name, value)
		if (store_one(db, name, value, now_ms) != 0)
			return db_abandon(db);
	size_t i;
	json_t *n;
	json_array_foreach(unset, i, n)
		if (delete_one(db, json_string_value(n)) != 0)
			return db_abandon(db);
	if (bump_revision(db, revision) != 0 || execution_notify_executors(db) != 0)
		return db_abandon(db);
	if (db_commit(db) != 0)
		return db_abandon(db);
	return 0;
}
