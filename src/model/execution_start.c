/* execution_start.c: the trigger's transaction (see execution.h). */
#include "execution.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "model/api_key.h"
#include "model/job.h"
#include "model/start_target.h"
#include "model/user.h"
#include "model/workflow.h"
#include "util/jsonw.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

/*
 * The workflow, its trigger node and whether its revision's snapshot is
 * written, in one statement (each is a round trip of its own on
 * PostgreSQL).  The trigger node: the one named, else the first active
 * one of the type by priority (highest first), then age; only this
 * workflow's nodes are searched (Pipelit's resolver searched every
 * workflow).  No trigger type asks for no node (the subquery finds none).
 */
#define FIND_TARGET_SQL(owner_clause) \
	"SELECT w.id, w.owner_id, w.is_active, w.max_execution_seconds, " \
	"w.error_handler_workflow_id, w.revision, t.id, t.node_id, " \
	"EXISTS (SELECT 1 FROM workflow_snapshots s " \
	"WHERE s.workflow_id = w.id AND s.revision = w.revision), " \
	"EXISTS (SELECT 1 FROM user_profiles u WHERE u.id = w.owner_id AND u.is_active) " \
	"FROM workflows w LEFT JOIN workflow_nodes t ON t.id = (" \
	"SELECT n.id FROM workflow_nodes n " \
	"JOIN component_configs c ON c.id = n.component_config_id " \
	"WHERE n.workflow_id = w.id AND n.component_type = ? " \
	"AND (CAST(? AS TEXT) IS NULL OR n.node_id = ?) " \
	"AND (c.is_active IS NULL OR c.is_active = TRUE OR CAST(? AS TEXT) IS NOT NULL) " \
	"ORDER BY COALESCE(c.priority, 0) DESC, n.id LIMIT 1) " \
	"WHERE w.slug = ?" owner_clause

static int
find_target(struct db *db, const struct exec_start *rq, struct start_target *t)
{
	struct db_stmt *st = db_prepare(db, rq->owner == EXEC_ANY_OWNER
					? FIND_TARGET_SQL("") : FIND_TARGET_SQL(" AND w.owner_id = ?"));
	if (st == NULL)
		return DB_FAILED;
	if (rq->trigger_type)
		db_bind_text(st, 1, rq->trigger_type, -1);
	else
		db_bind_null(st, 1);
	for (int i = 2; i <= 4; i++) {
		if (rq->trigger_node_id)
			db_bind_text(st, i, rq->trigger_node_id, -1);
		else
			db_bind_null(st, i);
	}
	db_bind_text(st, 5, rq->workflow_slug, -1);
	if (rq->owner != EXEC_ANY_OWNER)
		db_bind_int64(st, 6, rq->owner);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		t->id = db_column_int64(st, 0);
		t->owner_id = db_column_int64(st, 1);
		t->is_active = db_column_bool(st, 2);
		t->max_execution_seconds = db_column_int64(st, 3);
		t->error_handler_id = db_column_is_null(st, 4) ? 0 : db_column_int64(st, 4);
		t->revision = db_column_int64(st, 5);
		if (!db_column_is_null(st, 6)) {
			t->trigger_pk = db_column_int64(st, 6);
			t->trigger_node_id = xstrdup(db_column_text(st, 7));
		}
		t->has_snapshot = db_column_bool(st, 8);
		t->owner_active = db_column_bool(st, 9);
	}
	db_reset(st);
	if (rc == DB_ERROR)
		return DB_FAILED;
	if (rc != DB_ROW)
		return EXEC_NOT_FOUND;
	if (!t->is_active)
		return EXEC_INACTIVE;
	return rq->trigger_type && t->trigger_pk == 0 ? EXEC_NO_TRIGGER : EXEC_OK;
}

/* {"workflow": {...}, "nodes": [...], "edges": [...]}: the graph the
 * executions of this revision run, whatever happens to the workflow
 * afterwards. */
static char *
render_snapshot(struct db *db, const struct exec_start *rq, const struct start_target *t)
{
	json_t *nodes, *edges;
	if (workflow_graph(db, t->id, &nodes, &edges) != WF_OK)
		return NULL;
	json_t *wf = json_pack("{s:I, s:s, s:I, s:I}", "id", (json_int_t)t->id,
			       "slug", rq->workflow_slug, "owner_id", (json_int_t)t->owner_id,
			       "max_execution_seconds", (json_int_t)t->max_execution_seconds);
	json_object_set_new(wf, "error_handler_workflow_id",
			    t->error_handler_id ? json_integer(t->error_handler_id) : json_null());
	json_t *snap = json_pack("{s:o, s:o, s:o}", "workflow", wf, "nodes", nodes, "edges", edges);
	char *text = jw_dump(snap, NULL);
	json_decref(snap);
	return text;
}

/* pipelit-engine.md 2.5: the state a new execution starts from.  The
 * trigger's output (its payload) is filled in when its job runs.  New
 * reference. */
static json_t *
initial_state(const struct exec_start *rq, const char *execution_id, int64_t now_ms)
{
	json_t *payload = rq->payload ? rq->payload : json_object();
	json_t *chat_id = json_object_get(payload, "chat_id");
	json_t *messages = json_array();
	const char *text = json_string_value(json_object_get(payload, "text"));
	if (text && *text) {
		char iso[TIME_ISO_LEN], db[TIME_DB_LEN];
		time_ms_to_db(now_ms, db);
		time_db_to_iso(db, iso);
		json_array_append_new(messages, json_pack("{s:s, s:{s:s, s:{s:s}, s:[], s:n}}",
			"type", "human", "data", "content", text, "additional_kwargs",
			"timestamp", iso, "tool_calls", "id"));
	}
	json_t *state = json_pack("{s:O, s:o, s:{s:I, s:O}, s:s, s:o, s:o, s:n, s:s, s:b, s:I, s:o}",
		"trigger", payload,
		"messages", messages,
		"user_context", "user_profile_id", (json_int_t)rq->user_profile_id,
			"chat_id", chat_id ? chat_id : json_null(),
		"route", "",
		"node_outputs", json_object(),
		"node_results", json_object(),
		"output",
		"execution_id", execution_id,
		"_is_child_execution", rq->parent_execution_id != NULL,
		"_spawn_depth", (json_int_t)json_integer_value(json_object_get(payload, "_spawn_depth")),
		"_engine", json_object());
	if (rq->payload == NULL)
		json_decref(payload);
	return state;
}

/* The revision's snapshot, written by the first trigger that runs it
 * (migration d4a7f2c9e1b3).  Triggers of a revision not yet run may race
 * (PostgreSQL: both see no row, the second insert waits for the first to
 * commit): whichever comes second keeps the first's snapshot, which is
 * the same graph, instead of failing its execution on the primary key. */
static int
ensure_snapshot(struct db *db, const struct exec_start *rq, const struct start_target *t)
{
	if (t->has_snapshot)
		return EXEC_OK;
	char *graph = render_snapshot(db, rq, t);
	if (graph == NULL)
		return DB_FAILED;
	struct db_stmt *st = db_prepare(db, "INSERT INTO workflow_snapshots (workflow_id, revision, graph) "
			    "VALUES (?, ?, ?) ON CONFLICT (workflow_id, revision) DO NOTHING");
	if (st == NULL) {
		free(graph);
		return DB_FAILED;
	}
	db_bind_int64(st, 1, t->id);
	db_bind_int64(st, 2, t->revision);
	db_bind_text(st, 3, graph, -1);
	int rc = db_step(st);
	db_reset(st);
	free(graph);
	return rc == DB_ERROR ? DB_FAILED : EXEC_OK;
}

/* An execution's row as its trigger makes it, kept until it is written
 * (execution.h, exec_start.defer_row). */
struct exec_unwritten {
	char id[EXEC_ID_MAX + 1];
	int64_t workflow_id, trigger_pk, user_profile_id, revision, deadline_ms;
	int from_cache;              /* the workflow came from a start_cache: its
				      * revision is checked as the row is written */
	int owner_checked;           /* with from_cache: so is its owner's being active
				      * (exec_start.expect_revision) */
	int key_checked;             /* with from_cache: so is the caller's kept key
				      * (exec_start.confirm_key), as the row is written */
	char key[API_KEY_HASH_HEX_LEN + 1], role[sizeof ((struct user *)0)->role];
	char *parent_execution_id;   /* NULL when none */
	char *parent_node_id, *thread_id, *payload;
	char started[TIME_DB_LEN];
};

static struct exec_unwritten *
unwritten_new(const struct exec_start *rq, const struct start_target *t, const char *id)
{
	struct exec_unwritten *u = xcalloc(1, sizeof *u);
	snprintf(u->id, sizeof u->id, "%s", id);
	u->workflow_id = t->id;
	u->trigger_pk = t->trigger_pk;
	u->user_profile_id = rq->user_profile_id;
	u->revision = t->revision;
	u->deadline_ms = rq->now_ms + t->max_execution_seconds * 1000;
	u->parent_execution_id = rq->parent_execution_id ? xstrdup(rq->parent_execution_id) : NULL;
	u->parent_node_id = xstrdup(rq->parent_node_id ? rq->parent_node_id : "");
	if (rq->thread_id) {
		u->thread_id = xstrdup(rq->thread_id);
	} else if (rq->thread_per_user) {
		u->thread_id = xasprintf("%lld:%lld", (long long)rq->user_profile_id,
					 (long long)t->id);
	} else {
		u->thread_id = xmalloc(33);
		crypto_random_hex(u->thread_id, 16);
	}
	u->payload = rq->payload ? jw_dump(rq->payload, NULL) : xstrdup("{}");
	time_ms_to_db(rq->now_ms, u->started);
	return u;
}

void
exec_unwritten_free(struct exec_unwritten *u)
{
	if (u == NULL)
		return;
	free(u->parent_execution_id);
	free(u->parent_node_id);
	free(u->thread_id);
	free(u->payload);
	free(u);
}

/* The execution row's INSERT, with workflow_id's expression (its
 * parameters: the workflow's id, then its revision when it has two). */
#define INSERT_EXECUTION_SQL(workflow_id) \
	"INSERT INTO workflow_executions (execution_id, workflow_id, trigger_node_id, " \
	"parent_execution_id, parent_node_id, user_profile_id, thread_id, status, " \
	"trigger_payload, started_at, snapshot_revision, state, deadline_ms, event_seq, " \
	"final_output, error_message, completed_at) " \
	"VALUES (?, " workflow_id ", ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

int
exec_unwritten_write(struct db *db, struct exec_unwritten *u, const char *status,
		     const char *state, int64_t event_seq, const char *final_output,
		     const char *error, int64_t completed_ms)
{
	/* From a cache, workflow_id is the workflow's only while its revision
	 * is still the one the trigger ran (start_cache.h): else NULL, which
	 * the column refuses.  Looked up in this transaction, it is written as
	 * it was found: an edit committed meanwhile changes nothing for this
	 * execution, which runs its revision's snapshot. */
#define CACHED_WORKFLOW_SQL(checks) \
	"(SELECT w.id FROM workflows w WHERE w.id = ? AND w.revision = ?" checks ")"
#define OWNER_ACTIVE_SQL \
	" AND EXISTS (SELECT 1 FROM user_profiles u WHERE u.id = w.owner_id AND u.is_active)"
#define KEY_STANDS_SQL " AND " API_KEY_STILL_STANDS_SQL
	static const char *const cached_sql[2][2] = {
		{ INSERT_EXECUTION_SQL(CACHED_WORKFLOW_SQL("")),
		  INSERT_EXECUTION_SQL(CACHED_WORKFLOW_SQL(KEY_STANDS_SQL)) },
		{ INSERT_EXECUTION_SQL(CACHED_WORKFLOW_SQL(OWNER_ACTIVE_SQL)),
		  INSERT_EXECUTION_SQL(CACHED_WORKFLOW_SQL(OWNER_ACTIVE_SQL KEY_STANDS_SQL)) },
	};
	struct db_stmt *st = db_prepare(db, !u->from_cache ? INSERT_EXECUTION_SQL("?") :
					cached_sql[u->owner_checked != 0][u->key_checked != 0]);
	if (st == NULL)
		return DB_FAILED;
	int k = 1;
	db_bind_text(st, k++, u->id, -1);
	db_bind_int64(st, k++, u->workflow_id);
	if (u->from_cache)
		db_bind_int64(st, k++, u->revision);
	if (u->key_checked) {
		db_bind_text(st, k++, u->key, -1);
		db_bind_int64(st, k++, u->user_profile_id);
		db_bind_text(st, k++, u->role, -1);
	}
	if (u->trigger_pk)
		db_bind_int64(st, k++, u->trigger_pk);
	else
		db_bind_null(st, k++);
	if (u->parent_execution_id)
		db_bind_text(st, k++, u->parent_execution_id, -1);
	else
		db_bind_null(st, k++);
	db_bind_text(st, k++, u->parent_node_id, -1);
	db_bind_int64(st, k++, u->user_profile_id);
	db_bind_text(st, k++, u->thread_id, -1);
	db_bind_text(st, k++, status, -1);
	db_bind_text(st, k++, u->payload, -1);
	db_bind_text(st, k++, u->started, -1);
	db_bind_int64(st, k++, u->revision);
	db_bind_text(st, k++, state, -1);
	db_bind_int64(st, k++, u->deadline_ms);
	db_bind_int64(st, k++, event_seq);
	if (final_output)
		db_bind_text(st, k++, final_output, -1);
	else
		db_bind_null(st, k++);
	db_bind_text(st, k++, error ? error : "", -1);
	char completed[TIME_DB_LEN];
	if (completed_ms) {
		time_ms_to_db(completed_ms, completed);
		db_bind_text(st, k, completed, -1);
	} else {
		db_bind_null(st, k);
	}
	/* Nothing reads its answer: on PostgreSQL it travels with the
	 * transaction's next round trip. */
	return db_step_later(st) != 0 ? DB_FAILED : EXEC_OK;
}

/* The row as exec_unwritten_write writes u when started, as exec_row_load
 * would read it (its state parsed already); it takes state, and u when the
 * row is handed over unwritten (owned), else only reads it. */
static void
fill_row(const struct start_target *t, struct exec_unwritten *u, int hand_over, json_t *state,
	 int64_t now_ms, struct exec_row *row)
{
	memset(row, 0, sizeof *row);
	snprintf(row->id, sizeof row->id, "%s", u->id);
	snprintf(row->status, sizeof row->status, "pending");
	row->workflow_id = u->workflow_id;
	row->user_profile_id = u->user_profile_id;
	row->event_seq = 0;          /* the column's default */
	row->deadline_ms = u->deadline_ms;
	/* started_at is stored to the microsecond from now_ms: read back,
	 * it is now_ms again. */
	row->started_ms = now_ms;
	row->trigger_node_id = t->trigger_node_id ? xstrdup(t->trigger_node_id) : NULL;
	row->parent_execution_id = u->parent_execution_id ? xstrdup(u->parent_execution_id) : NULL;
	row->parent_node_id = *u->parent_node_id ? xstrdup(u->parent_node_id) : NULL;
	row->state_value = state;
	row->snapshot_revision = u->revision;
	row->unwritten = hand_over ? u : NULL;
}

/* The first job: the trigger node's, which records the payload as the
 * trigger's output and queues the entry nodes ("" when there is no
 * trigger node: an implicit subworkflow). */
static int
insert_first_job(struct db *db, const char *id, const char *node_id, int64_t now_ms)
{
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO execution_jobs (execution_id, node_id, state, due_ms) "
		"VALUES (?, ?, 'queued', ?)");
	if (st == NULL)
		return DB_FAILED;
	db_bind_text(st, 1, id, -1);
	db_bind_text(st, 2, node_id ? node_id : "", -1);
	db_bind_int64(st, 3, now_ms);
	/* Nothing reads its answer: it travels with the transaction's next
	 * round trip, with the wake-up below. */
	return db_step_later(st) != 0 ? DB_FAILED : EXEC_OK;
}

/* PostgreSQL: executors on every host LISTEN on this channel; the notice
 * is delivered when the transaction commits.  Nobody reads its answer: in
 * a transaction it travels with the next round trip (the COMMIT's, for a
 * trigger's start). */
int
execution_notify_executors(struct db *db)
{
	if (db_backend_of(db) != DB_POSTGRES)
		return EXEC_OK;
	struct db_stmt *st = db_prepare(db, "SELECT pg_notify('pipelit_jobs', '')");
	if (st == NULL)
		return DB_FAILED;
	return db_step_later(st) != 0 ? DB_FAILED : EXEC_OK;
}

int
execution_queue_start(struct db *db, const char *execution_id, const char *trigger_node_id,
		      int64_t now_ms, int no_notify)
{
	int rc = insert_first_job(db, execution_id, trigger_node_id, now_ms);
	if (rc == EXEC_OK && !no_notify)
		rc = execution_notify_executors(db);
	return rc;
}

int
execution_start(struct db *db, const struct exec_start *rq, char *execution_id_out)
{
	return execution_start_row(db, rq, execution_id_out, NULL);
}

int
execution_start_row(struct db *db, const struct exec_start *rq, char *execution_id_out,
		    struct exec_row *row_out)
{
	int own = !db_in_transaction(db);
	if (own && db_begin_write(db) != 0)
		return DB_FAILED;
	struct start_target t = { 0 };
	json_t *state = NULL;
	int cached = start_cache_get(rq->cache, rq, &t);
	if (cached && rq->expect_revision != 0 && t.revision != rq->expect_revision) {
		/* The caller's memory or this one is behind: the lookup says. */
		free(t.trigger_node_id);
		memset(&t, 0, sizeof t);
		cached = 0;
	}
	if (rq->from_cache)
		*rq->from_cache = cached;
	/* No role (a relayed start may name none) is one no user has. */
	const char *confirm_role = rq->confirm_role ? rq->confirm_role : "";
	int rc = EXEC_OK;
	if (!cached && rq->confirm_key != NULL) {
		/* Looked up afresh: so is the key (from a cache, the row's
		 * write checks it). */
		int stands = api_key_still_stands(db, rq->confirm_key, rq->user_profile_id,
						  confirm_role);
		rc = stands < 0 ? DB_FAILED : stands > 0 ? EXEC_KEY_REFUSED : EXEC_OK;
	}
	if (rc == EXEC_OK && !cached)
		rc = find_target(db, rq, &t);
	/* Whatever the lookup found, the caller decided on something else:
	 * its own lookup answers (a node renamed, the workflow deactivated). */
	if (!cached && rq->expect_revision != 0 && rc != DB_FAILED && rc != EXEC_KEY_REFUSED &&
	    (rc != EXEC_OK || t.revision != rq->expect_revision || !t.owner_active))
		rc = EXEC_STALE;
	char id[EXEC_ID_MAX + 1];
	if (rq->execution_id)
		snprintf(id, sizeof id, "%s", rq->execution_id);
	else
		crypto_uuid7(id, rq->now_ms);
	if (rc == EXEC_OK && !cached) {
		/* Kept only once its snapshot was there before: one written
		 * here goes if this transaction rolls back. */
		if (t.has_snapshot)
			start_cache_put(rq->cache, rq, &t);
		rc = ensure_snapshot(db, rq, &t);
	}
	struct exec_unwritten *u = NULL;
	int defer = rq->defer_row && rq->no_first_job && row_out != NULL;
	if (rc == EXEC_OK) {
		state = initial_state(rq, id, rq->now_ms);
		u = unwritten_new(rq, &t, id);
		u->from_cache = cached;
		u->owner_checked = cached && rq->expect_revision != 0;
		if (cached && rq->confirm_key != NULL) {
			u->key_checked = 1;
			snprintf(u->key, sizeof u->key, "%s", rq->confirm_key);
			snprintf(u->role, sizeof u->role, "%s", confirm_role);
		}
		if (!defer) {
			char *text = jw_dump(state, NULL);
			rc = exec_unwritten_write(db, u, "pending", text, 0, NULL, NULL, 0);
			free(text);
		}
	}
	if (rc == EXEC_OK && !rq->no_first_job)
		rc = execution_queue_start(db, id, t.trigger_node_id, rq->now_ms, rq->no_notify);
	if (rc == EXEC_OK && row_out != NULL) {
		fill_row(&t, u, defer, state, rq->now_ms, row_out);
		state = NULL;
		if (defer)
			u = NULL;
	}
	exec_unwritten_free(u);
	json_decref(state);
	free(t.trigger_node_id);
	if (rc == DB_FAILED)
		return own ? db_abandon(db) : DB_FAILED;
	if (rc != EXEC_OK) {
		if (own)
			db_rollback(db);
		return rc;
	}
	if (own && db_commit(db) != 0) {
		if (row_out != NULL)
			exec_row_clear(row_out);
		return db_abandon(db);
	}
	memcpy(execution_id_out, id, sizeof id);
	return EXEC_OK;
}

int
execution_workflow_owner(struct db *db, const char *slug, int64_t *owner)
{
	struct db_stmt *st = db_prepare(db, "SELECT owner_id FROM workflows WHERE slug = ?");
	if (st == NULL)
		return DB_FAILED;
	db_bind_text(st, 1, slug, -1);
	int rc = db_step(st);
	if (rc == DB_ROW)
		*owner = db_column_int64(st, 0);
	db_reset(st);
	if (rc == DB_ERROR)
		return DB_FAILED;
	return rc == DB_ROW ? EXEC_OK : EXEC_NOT_FOUND;
}
