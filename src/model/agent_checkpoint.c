/* agent_checkpoint.c: see agent_checkpoint.h. */
#include "agent_checkpoint.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db.h"
#include "util/timefmt.h"

static int
upsert(struct db *db, const char *execution_id, const char *node_id, int attempt, int step,
       const char *messages, const char *loop_state)
{
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO agent_checkpoints (execution_id, node_id, attempt, step, messages, "
		"loop_state, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?) "
		"ON CONFLICT (execution_id, node_id, attempt, step) DO UPDATE SET "
		"messages = excluded.messages, loop_state = excluded.loop_state, "
		"created_ms = excluded.created_ms");
	if (st == NULL)
		return DB_FAILED;
	db_bind_text(st, 1, execution_id, -1);
	db_bind_text(st, 2, node_id, -1);
	db_bind_int64(st, 3, attempt);
	db_bind_int64(st, 4, step);
	db_bind_text(st, 5, messages, -1);
	db_bind_text(st, 6, loop_state, -1);
	db_bind_int64(st, 7, time_now_ms());
	/* Nobody reads its answer: on PostgreSQL it travels with the next
	 * round trip (the COMMIT's, at the latest; db.h db_step_later). */
	return db_step_later(st) == 0 ? 0 : DB_FAILED;
}

/* The node's rows older than (attempt, step): only the newest is ever read. */
static int
drop_older(struct db *db, const char *execution_id, const char *node_id, int attempt, int step)
{
	struct db_stmt *st = db_prepare(db,
		"DELETE FROM agent_checkpoints WHERE execution_id = ? AND node_id = ? "
		"AND (attempt < ? OR (attempt = ? AND step < ?))");
	if (st == NULL)
		return DB_FAILED;
	db_bind_text(st, 1, execution_id, -1);
	db_bind_text(st, 2, node_id, -1);
	db_bind_int64(st, 3, attempt);
	db_bind_int64(st, 4, attempt);
	db_bind_int64(st, 5, step);
	return db_step_later(st) == 0 ? 0 : DB_FAILED;
}

int
agent_checkpoint_save(struct db *db, const char *execution_id, const char *node_id,
		      int attempt, int step, const json_t *messages, const json_t *loop_state)
{
	char *m = json_is_array(messages) ? json_dumps(messages, JSON_COMPACT) : strdup("[]");
	char *s = loop_state ? json_dumps(loop_state, JSON_COMPACT) : NULL;
	/* Inside the caller's transaction (an agent's turn) it joins it. */
	int own = !db_in_transaction(db);
	int rc = m == NULL ? DB_FAILED : own ? db_begin_write(db) : 0;
	if (rc == 0)
		rc = upsert(db, execution_id, node_id, attempt, step, m, s ? s : "{}");
	if (rc == 0)
		rc = drop_older(db, execution_id, node_id, attempt, step);
	if (rc == 0 && own)
		rc = db_commit(db);
	free(m);
	free(s);
	return rc == 0 ? 0 : db_abandon(db);
}

void
agent_checkpoint_clear(struct agent_checkpoint *c)
{
	json_decref(c->messages);
	json_decref(c->loop_state);
	memset(c, 0, sizeof(*c));
}

static json_t *
parsed(const char *text, int want_array)
{
	json_t *v = text ? json_loads(text, 0, NULL) : NULL;
	if (want_array ? json_is_array(v) : json_is_object(v))
		return v;
	json_decref(v);
	return want_array ? json_array() : json_object();
}

int
agent_checkpoint_load(struct db *db, const char *execution_id, const char *node_id,
		      struct agent_checkpoint *out)
{
	memset(out, 0, sizeof(*out));
	struct db_stmt *st = db_prepare(db,
		"SELECT attempt, step, messages, loop_state FROM agent_checkpoints "
		"WHERE execution_id = ? AND node_id = ? ORDER BY attempt DESC, step DESC LIMIT 1");
	if (st == NULL)
		return DB_FAILED;
	db_bind_text(st, 1, execution_id, -1);
	db_bind_text(st, 2, node_id, -1);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		out->attempt = (int)db_column_int64(st, 0);
		out->step = (int)db_column_int64(st, 1);
		out->messages = parsed(db_column_text(st, 2), 1);
		out->loop_state = parsed(db_column_text(st, 3), 0);
	}
	db_reset(st);
	return rc == DB_ERROR ? DB_FAILED : rc == DB_ROW;
}

int
agent_checkpoint_delete(struct db *db, const char *execution_id, const char *node_id)
{
	struct db_stmt *st = db_prepare(db,
		"DELETE FROM agent_checkpoints WHERE execution_id = ? "
		"AND (CAST(? AS TEXT) IS NULL OR node_id = ?)");
	if (st == NULL)
		return DB_FAILED;
	db_bind_text(st, 1, execution_id, -1);
	db_bind_text(st, 2, node_id, -1);
	db_bind_text(st, 3, node_id, -1);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? 0 : db_abandon(db);
}
