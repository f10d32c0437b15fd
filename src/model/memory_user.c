/* memory_user.c: see memory_user.h. */
#include "memory_user.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "db/db.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

/* Reads the user's row into ctx; 1 found, 0 not, DB_FAILED. */
static int
read_user(struct db *db, const char *canonical, json_t *ctx)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT display_name, preferences_cache, total_conversations, first_seen_at "
		"FROM memory_users WHERE canonical_id = ?");
	if (st == NULL)
		return DB_FAILED;
	db_bind_text(st, 1, canonical, -1);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		const char *name = db_column_text(st, 0);
		json_object_set_new(ctx, "display_name", name ? json_string(name) : json_null());
		json_t *prefs = json_loads(db_column_text(st, 1) ? db_column_text(st, 1) : "{}", 0, NULL);
		json_object_set_new(ctx, "preferences", json_is_object(prefs) ? prefs : json_object());
		if (!json_is_object(prefs))
			json_decref(prefs);
		json_object_set_new(ctx, "total_conversations", json_integer(db_column_int64(st, 2)));
		json_object_set_new(ctx, "first_seen", time_db_to_json(db_column_text(st, 3)));
	}
	db_reset(st);
	return rc == DB_ERROR ? DB_FAILED : rc == DB_ROW;
}

static int
exec_sql(struct db *db, const char *sql, const char *a, const char *b, const char *c,
	 const char *d)
{
	struct db_stmt *st = db_prepare(db, sql);
	if (st == NULL)
		return DB_FAILED;
	const char *v[] = { a, b, c, d };
	for (int i = 0; i < 4 && v[i]; i++)
		db_bind_text(st, i + 1, v[i], -1);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_ERROR ? DB_FAILED : 0;
}

static int
list_rows(struct db *db, const char *sql, const char *canonical, const char *const *names,
	  json_t *out)
{
	struct db_stmt *st = db_prepare(db, sql);
	if (st == NULL)
		return DB_FAILED;
	db_bind_text(st, 1, canonical, -1);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		json_t *row = json_object();
		for (int i = 0; names[i]; i++) {
			const char *s = db_column_text(st, i);
			json_object_set_new(row, names[i], s ? json_string(s) : json_null());
		}
		json_array_append_new(out, row);
	}
	db_reset(st);
	return rc == DB_ERROR ? DB_FAILED : 0;
}

json_t *
memory_user_identify(struct db *db, const char *channel, const char *external_id,
		     const char *display_name, char **err)
{
	char *canonical = xasprintf("%s:%s", channel, external_id);
	json_t *ctx = json_pack("{s:s}", "user_id", canonical);
	char now[TIME_DB_LEN];
	time_now_db(now);
	int rc = db_begin_write(db) == 0 ? 0 : DB_FAILED;
	int found = rc == 0 ? read_user(db, canonical, ctx) : DB_FAILED;
	if (found == 0) {
		char id[37];
		crypto_uuid4(id);
		rc = exec_sql(db, "INSERT INTO memory_users (id, canonical_id, display_name, "
			      "total_conversations) VALUES (?, ?, ?, 1)", id, canonical,
			      display_name, NULL);
	} else if (found == 1) {
		rc = display_name
		     ? exec_sql(db, "UPDATE memory_users SET total_conversations = total_conversations + 1, "
				"last_seen_at = ?, last_conversation_at = ?, display_name = ? "
				"WHERE canonical_id = ?", now, now, display_name, canonical)
		     : exec_sql(db, "UPDATE memory_users SET total_conversations = total_conversations + 1, "
				"last_seen_at = ?, last_conversation_at = ? WHERE canonical_id = ?",
				now, now, canonical, NULL);
	} else {
		rc = DB_FAILED;
	}
	if (rc == 0)
		rc = read_user(db, canonical, ctx) == 1 ? 0 : DB_FAILED;
	json_t *facts = json_array(), *history = json_array();
	if (rc == 0)
		rc = list_rows(db, "SELECT key, value, fact_type FROM memory_facts WHERE user_id = ? "
			       "ORDER BY confidence DESC, updated_at DESC LIMIT 20", canonical,
			       (const char *const[]){ "key", "value", "fact_type", NULL }, facts);
	if (rc == 0)
		rc = list_rows(db, "SELECT execution_id, trigger_type, started_at FROM memory_episodes "
			       "WHERE user_id = ? ORDER BY started_at DESC LIMIT 5", canonical,
			       (const char *const[]){ "execution_id", "trigger_type", "started_at", NULL },
			       history);
	if (rc == 0 && db_commit(db) != 0)
		rc = DB_FAILED;
	free(canonical);
	if (rc != 0) {
		*err = xasprintf("the memory store failed: %s", db_errmsg(db));
		db_abandon(db);
		json_decref(facts);
		json_decref(history);
		json_decref(ctx);
		return NULL;
	}
	json_object_set_new(ctx, "is_new", json_boolean(found == 0));
	json_object_set_new(ctx, "facts", facts);
	json_object_set_new(ctx, "history", history);
	return ctx;
}
