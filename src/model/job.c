/* job.c: see job.h. */
#include "job.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "model/execution.h"
#include "model/sql_rows.h"
#include "util/jsonw.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

void
job_clear(struct job *j)
{
	free(j->node_id);
	free(j->scope);
	json_decref(j->resume);
	if (j->row) {
		exec_row_clear(j->row);
		free(j->row);
	}
	memset(j, 0, sizeof *j);
}

void
exec_row_clear(struct exec_row *r)
{
	free(r->trigger_node_id);
	free(r->parent_execution_id);
	free(r->parent_node_id);
	free(r->state);
	json_decref(r->state_value);
	exec_unwritten_free(r->unwritten);
	memset(r, 0, sizeof *r);
}

/* A write whose result nobody reads: on PostgreSQL it travels with the
 * transaction's next round trip (db_step_later). */
static int
step_done(struct db_stmt *st)
{
	return db_step_later(st) != 0 ? DB_FAILED : 0;
}

/* The scope column: {"loop": id, "after": true} or NULL. */
static void
read_scope(const char *text, struct job *out)
{
	if (text == NULL)
		return;
	json_t *s = json_loads(text, 0, NULL);
	const char *loop = json_string_value(json_object_get(s, "loop"));
	out->scope = loop ? xstrdup(loop) : NULL;
	out->after = json_is_true(json_object_get(s, "after"));
	json_decref(s);
}

static char *
write_scope(const char *loop, int after)
{
	if (loop == NULL && !after)
		return NULL;
	json_t *s = json_object();
	if (loop)
		json_object_set_new(s, "loop", json_string(loop));
	if (after)
		json_object_set_new(s, "after", json_true());
	char *text = jw_dump(s, NULL);
	json_decref(s);
	return text;
}

/* Runs "<head>?, ?, ...<tail>" over ids[0..n) in groups, calling on_row
 * with the index of the id each row's first column names.  0 or
 * DB_FAILED. */
static int
query_by_ids(struct db *db, const char *head, const char *tail, const char *const *ids, size_t n,
	     void (*on_row)(struct db_stmt *st, size_t i, void *arg), void *arg)
{
	for (size_t done = 0; done < n;) {
		size_t k = sql_rows_group(n - done);
		char *sql = sql_rows_repeated(head, "?", k, tail);
		struct db_stmt *st = db_prepare(db, sql);
		free(sql);
		if (st == NULL)
			return DB_FAILED;
		for (size_t i = 0; i < k; i++)
			db_bind_text(st, (int)i + 1, ids[done + i], -1);
		int rc;
		while ((rc = db_step(st)) == DB_ROW) {
			const char *id = db_column_text(st, 0);
			for (size_t i = done; id && i < done + k; i++)
				if (strcmp(ids[i], id) == 0) {
					on_row(st, i, arg);
					break;
				}
		}
		db_reset(st);
		if (rc == DB_ERROR)
			return DB_FAILED;
		done += k;
	}
	return 0;
}

/* The one-row claim: the subquery finds the earliest due row, the UPDATE
 * takes it (measured: a tenth of the cost of claiming with IN (...)).
 * SQLite runs it once per row inside one transaction. */
#define CLAIM_ONE_SQL \
	"UPDATE execution_jobs SET state = 'leased', lease_owner = ?, due_ms = ?, " \
	"attempt = attempt + 1 WHERE id = (SELECT id FROM execution_jobs " \
	"WHERE state IN ('queued', 'leased') AND due_ms <= ? ORDER BY due_ms LIMIT 1) " \
	"RETURNING id, execution_id, node_id, attempt, scope, resume"

/* The columns of an execution row, from e (workflow_executions) and n
 * (its trigger node), in the order read_exec_row() reads them. */
#define EXEC_ROW_SELECT \
	"e.status, e.workflow_id, e.user_profile_id, e.event_seq, e.deadline_ms, " \
	"e.started_at, n.node_id, e.parent_execution_id, e.parent_node_id, e.state, " \
	"e.snapshot_revision"

/* PostgreSQL claims every row in one statement, one round trip: rows
 * another executor is claiming at the same moment are skipped, not waited
 * for.  Each claimed job's execution row comes with it: the row is what
 * the executor needs to run the job, and reading it here saves a round
 * trip per job.  A job whose execution is gone comes with NULLs. */
#define CLAIM_MANY_PG_SQL \
	"WITH c AS (UPDATE execution_jobs SET state = 'leased', lease_owner = ?, due_ms = ?, " \
	"attempt = attempt + 1 WHERE id IN (SELECT id FROM execution_jobs " \
	"WHERE state IN ('queued', 'leased') AND due_ms <= ? ORDER BY due_ms LIMIT ? " \
	"FOR UPDATE SKIP LOCKED) " \
	"RETURNING id, execution_id, node_id, attempt, scope, resume) " \
	"SELECT c.id, c.execution_id, c.node_id, c.attempt, c.scope, c.resume, " \
	EXEC_ROW_SELECT " FROM c LEFT JOIN workflow_executions e " \
	"ON e.execution_id = c.execution_id LEFT JOIN workflow_nodes n ON n.id = e.trigger_node_id"

static void read_exec_row(struct db_stmt *st, int col, const char *id, struct exec_row *out);

static void
read_claimed(struct db_stmt *st, struct job *out)
{
	memset(out, 0, sizeof *out);
	out->id = db_column_int64(st, 0);
	snprintf(out->execution_id, sizeof out->execution_id, "%s", db_column_text(st, 1));
	out->node_id = xstrdup(db_column_text(st, 2));
	out->attempt = (int)db_column_int64(st, 3);
	read_scope(db_column_text(st, 4), out);
	const char *resume = db_column_text(st, 5);
	out->resume = resume ? json_loads(resume, 0, NULL) : NULL;
}

static int
claim_pg(struct db *db, const char *owner, int64_t now_ms, int64_t lease_ms, struct job *out,
	 size_t max)
{
	struct db_stmt *st = db_prepare(db, CLAIM_MANY_PG_SQL);
	if (st == NULL)
		return DB_FAILED;
	db_bind_text(st, 1, owner, -1);
	db_bind_int64(st, 2, now_ms + lease_ms);
	db_bind_int64(st, 3, now_ms);
	db_bind_int64(st, 4, (int64_t)max);
	size_t n = 0;
	int rc = DB_DONE;
	while (n < max && (rc = db_step(st)) == DB_ROW) {
		read_claimed(st, &out[n]);
		out[n].row = xcalloc(1, sizeof *out[n].row);
		if (!db_column_is_null(st, 6))
			read_exec_row(st, 6, out[n].execution_id, out[n].row);
		n++;
	}
	db_reset(st);
	if (rc == DB_ERROR) {
		while (n > 0)
			job_clear(&out[--n]);
		return DB_FAILED;
	}
	return (int)n;
}

static int
claim_sqlite(struct db *db, const char *owner, int64_t now_ms, int64_t lease_ms,
	     struct job *out, size_t max)
{
	/* The write lock up front (BEGIN IMMEDIATE), so the claim never turns
	 * into a busy upgrade of a read lock; one commit for every row. */
	if (db_begin_write(db) != 0)
		return DB_FAILED;
	struct db_stmt *st = db_prepare(db, CLAIM_ONE_SQL);
	if (st == NULL)
		return db_abandon(db);
	size_t n = 0;
	int rc = DB_DONE;
	while (n < max) {
		db_bind_text(st, 1, owner, -1);
		db_bind_int64(st, 2, now_ms + lease_ms);
		db_bind_int64(st, 3, now_ms);
		rc = db_step(st);
		if (rc == DB_ROW)
			read_claimed(st, &out[n++]);
		db_reset(st);
		if (rc != DB_ROW)
			break;
	}
	if (rc == DB_ERROR || (n > 0 && db_commit(db) != 0)) {
		while (n > 0)
			job_clear(&out[--n]);
		return db_abandon(db);
	}
	if (n == 0)
		db_rollback(db);
	return (int)n;
}

int
job_claim_due(struct db *db, const char *owner, int64_t now_ms, int64_t lease_ms,
	      struct job *out, size_t max)
{
	if (max == 0)
		return 0;
	return db_backend_of(db) == DB_POSTGRES ? claim_pg(db, owner, now_ms, lease_ms, out, max)
						: claim_sqlite(db, owner, now_ms, lease_ms, out, max);
}

int
job_next_due(struct db *db, int64_t *due_ms)
{
	/* 0 with *due_ms, 1 when nothing waits, DB_FAILED: db_query_int64's own results. */
	return db_query_int64(db,
		"SELECT due_ms FROM execution_jobs WHERE state IN ('queued', 'leased') "
		"ORDER BY due_ms LIMIT 1", due_ms);
}

static int
changed_one(struct db_stmt *st)
{
	int rc = db_step(st);
	int64_t n = rc == DB_ERROR ? 0 : db_changes(st);
	db_reset(st);
	return rc == DB_ERROR ? DB_FAILED : n == 1;
}

int
job_hold_many(struct db *db, const char *owner, const int64_t *ids, const int *attempts,
	      size_t n, int *held)
{
	/* The row lock (PostgreSQL) keeps each held job ours until the
	 * transaction ends, so its delete needs no answer; SQLite's write
	 * transaction already excludes every other writer. */
	const char *tail = db_backend_of(db) == DB_POSTGRES ? ") FOR UPDATE" : ")";
	for (size_t i = 0; i < n; i++)
		held[i] = 0;
	for (size_t done = 0; done < n;) {
		size_t k = sql_rows_group(n - done);
		char *sql = sql_rows_repeated("SELECT id, attempt FROM execution_jobs WHERE state = 'leased' "
					 "AND lease_owner = ? AND id IN (", "?", k, tail);
		struct db_stmt *st = db_prepare(db, sql);
		free(sql);
		if (st == NULL)
			return DB_FAILED;
		db_bind_text(st, 1, owner, -1);
		for (size_t i = 0; i < k; i++)
			db_bind_int64(st, (int)i + 2, ids[done + i]);
		int rc;
		while ((rc = db_step(st)) == DB_ROW) {
			int64_t id = db_column_int64(st, 0);
			int64_t attempt = db_column_int64(st, 1);
			for (size_t i = done; i < done + k; i++)
				if (ids[i] == id && attempts[i] == attempt)
					held[i] = 1;
		}
		db_reset(st);
		if (rc == DB_ERROR)
			return DB_FAILED;
		done += k;
	}
	return 0;
}

int
job_finish_held(struct db *db, int64_t job_id)
{
	struct db_stmt *st = db_prepare(db, "DELETE FROM execution_jobs WHERE id = ?");
	if (st == NULL)
		return DB_FAILED;
	db_bind_int64(st, 1, job_id);
	return step_done(st);
}

int
job_renew_leases(struct db *db, const char *owner, int64_t until_ms)
{
	struct db_stmt *st = db_prepare(db,
		"UPDATE execution_jobs SET due_ms = ? WHERE state = 'leased' AND lease_owner = ?");
	if (st == NULL)
		return DB_FAILED;
	db_bind_int64(st, 1, until_ms);
	db_bind_text(st, 2, owner, -1);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_ERROR ? DB_FAILED : 0;
}

int
job_held_ids(struct db *db, const char *owner, int64_t **ids, size_t *n)
{
	*ids = NULL;
	*n = 0;
	struct db_stmt *st = db_prepare(db,
		"SELECT id FROM execution_jobs WHERE state = 'leased' AND lease_owner = ?");
	if (st == NULL)
		return DB_FAILED;
	db_bind_text(st, 1, owner, -1);
	int rc;
	size_t cap = 0;
	while ((rc = db_step(st)) == DB_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 32;
			*ids = xrealloc(*ids, cap * sizeof **ids);
		}
		(*ids)[(*n)++] = db_column_int64(st, 0);
	}
	db_reset(st);
	if (rc == DB_ERROR) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		return DB_FAILED;
	}
	return 0;
}

int
job_requeue(struct db *db, int64_t job_id, const char *owner, int attempt, int64_t due_ms)
{
	struct db_stmt *st = db_prepare(db,
		"UPDATE execution_jobs SET state = 'queued', lease_owner = NULL, due_ms = ? "
		"WHERE id = ? AND lease_owner = ? AND attempt = ? AND state = 'leased'");
	if (st == NULL)
		return DB_FAILED;
	db_bind_int64(st, 1, due_ms);
	db_bind_int64(st, 2, job_id);
	db_bind_text(st, 3, owner, -1);
	db_bind_int64(st, 4, attempt);
	return changed_one(st);
}

int
job_set_waiting(struct db *db, int64_t job_id, const char *owner, int attempt, int after)
{
	/* A waiting job is run again from its first attempt: the wait was
	 * not a failure.  Its resume input is cleared for the answer. */
	struct db_stmt *st = db_prepare(db,
		"UPDATE execution_jobs SET state = 'waiting', lease_owner = NULL, due_ms = 0, "
		"attempt = 0, resume = NULL, scope = ? "
		"WHERE id = ? AND lease_owner = ? AND attempt = ? AND state = 'leased'");
	if (st == NULL)
		return DB_FAILED;
	/* keep the loop scope, add the phase */
	struct db_stmt *get = db_prepare(db, "SELECT scope FROM execution_jobs WHERE id = ?");
	if (get == NULL)
		return DB_FAILED;
	db_bind_int64(get, 1, job_id);
	struct job j = { 0 };
	int rc = db_step(get);
	if (rc == DB_ROW)
		read_scope(db_column_text(get, 0), &j);
	db_reset(get);
	if (rc == DB_ERROR)
		return DB_FAILED;
	char *scope = write_scope(j.scope, after);
	job_clear(&j);
	if (scope)
		db_bind_text(st, 1, scope, -1);
	else
		db_bind_null(st, 1);
	free(scope);
	db_bind_int64(st, 2, job_id);
	db_bind_text(st, 3, owner, -1);
	db_bind_int64(st, 4, attempt);
	return changed_one(st);
}

#define INSERT_JOB_SQL \
	"INSERT INTO execution_jobs (execution_id, node_id, state, due_ms, lease_owner, " \
	"attempt, scope) VALUES (?, ?, ?, ?, ?, ?, ?)"

int
job_insert(struct db *db, const char *execution_id, const char *node_id, const char *scope,
	   int64_t due_ms, const char *owner, int runs_done, int64_t *id_out)
{
	struct db_stmt *st = db_prepare(db, id_out ? INSERT_JOB_SQL " RETURNING id" : INSERT_JOB_SQL);
	if (st == NULL)
		return DB_FAILED;
	char *scope_text = write_scope(scope, 0);
	db_bind_text(st, 1, execution_id, -1);
	db_bind_text(st, 2, node_id, -1);
	db_bind_text(st, 3, owner ? "leased" : "queued", -1);
	db_bind_int64(st, 4, due_ms);
	if (owner)
		db_bind_text(st, 5, owner, -1);
	else
		db_bind_null(st, 5);
	/* A claim counts the run it starts; a leased row is its run already. */
	db_bind_int64(st, 6, owner ? runs_done + 1 : runs_done);
	if (scope_text)
		db_bind_text(st, 7, scope_text, -1);
	else
		db_bind_null(st, 7);
	free(scope_text);
	if (id_out == NULL)
		return db_step_later(st) != 0 ? DB_FAILED : 0;
	int rc = db_step(st);
	if (rc == DB_ROW)
		*id_out = db_column_int64(st, 0);
	db_reset(st);
	return rc == DB_ROW ? 0 : DB_FAILED;
}

int
job_wake_waiting(struct db *db, const char *execution_id, const char *node_id,
		 const json_t *resume, int64_t now_ms)
{
	struct db_stmt *st = db_prepare(db,
		"UPDATE execution_jobs SET state = 'queued', due_ms = ?, resume = ? "
		"WHERE execution_id = ? AND node_id = ? AND state = 'waiting'");
	if (st == NULL)
		return DB_FAILED;
	char *text = jw_dump(resume, NULL);
	db_bind_int64(st, 1, now_ms);
	db_bind_text(st, 2, text, -1);
	db_bind_text(st, 3, execution_id, -1);
	db_bind_text(st, 4, node_id, -1);
	free(text);
	int rc = db_step(st);
	int64_t n = rc == DB_ERROR ? 0 : db_changes(st);
	db_reset(st);
	return rc == DB_ERROR ? DB_FAILED : n > 0;
}

static void
mark_left(struct db_stmt *st, size_t i, void *arg)
{
	((int *)arg)[i] = 1;
}

int
job_left_many(struct db *db, const char *const *ids, size_t n, int *left)
{
	for (size_t i = 0; i < n; i++)
		left[i] = 0;
	return query_by_ids(db, "SELECT DISTINCT execution_id FROM execution_jobs "
			    "WHERE execution_id IN (", ")", ids, n, mark_left, left);
}

int
job_delete_all(struct db *db, const char *execution_id)
{
	struct db_stmt *st = db_prepare(db, "DELETE FROM execution_jobs WHERE execution_id = ?");
	if (st == NULL)
		return DB_FAILED;
	db_bind_text(st, 1, execution_id, -1);
	return step_done(st);
}

/* --- execution rows ------------------------------------------------------------------ */

/* The row's columns from col on (EXEC_ROW_SELECT) into *out, the
 * execution being id. */
static void
read_exec_row(struct db_stmt *st, int col, const char *id, struct exec_row *out)
{
	snprintf(out->id, sizeof out->id, "%s", id);
	snprintf(out->status, sizeof out->status, "%s", db_column_text(st, col));
	out->workflow_id = db_column_int64(st, col + 1);
	out->user_profile_id = db_column_int64(st, col + 2);
	out->event_seq = db_column_int64(st, col + 3);
	out->deadline_ms = db_column_is_null(st, col + 4) ? 0 : db_column_int64(st, col + 4);
	int64_t epoch = 0;
	int micros = 0;
	const char *s = db_column_text(st, col + 5);
	if (s && time_db_to_epoch(s, &epoch, &micros) == 0)
		out->started_ms = epoch * 1000 + micros / 1000;
	if ((s = db_column_text(st, col + 6)) != NULL)
		out->trigger_node_id = xstrdup(s);
	if ((s = db_column_text(st, col + 7)) != NULL)
		out->parent_execution_id = xstrdup(s);
	if ((s = db_column_text(st, col + 8)) != NULL && *s)
		out->parent_node_id = xstrdup(s);
	s = db_column_text(st, col + 9);
	out->state = xstrdup(s ? s : "{}");
	out->snapshot_revision = db_column_is_null(st, col + 10) ? 0 : db_column_int64(st, col + 10);
}

#define EXEC_ROW_SQL \
	"SELECT " EXEC_ROW_SELECT " FROM workflow_executions e LEFT JOIN workflow_nodes n " \
	"ON n.id = e.trigger_node_id WHERE e.execution_id = ?"

int
exec_row_load(struct db *db, const char *id, int with_graph, struct exec_row *out)
{
	memset(out, 0, sizeof *out);
	int pg = db_backend_of(db) == DB_POSTGRES;
	/* The row lock is for completions; loading a graph takes none. */
	struct db_stmt *st = db_prepare(db, pg && !with_graph ? EXEC_ROW_SQL " FOR UPDATE OF e"
							     : EXEC_ROW_SQL);
	if (st == NULL)
		return DB_FAILED;
	db_bind_text(st, 1, id, -1);
	int rc = db_step(st);
	if (rc == DB_ROW)
		read_exec_row(st, 0, id, out);
	db_reset(st);
	if (rc == DB_ERROR)
		return DB_FAILED;
	return rc == DB_ROW ? 0 : EXEC_NOT_FOUND;
}

static void
read_head(struct db_stmt *st, size_t i, void *arg)
{
	struct exec_head *h = (struct exec_head *)arg + i;
	snprintf(h->status, sizeof h->status, "%s", db_column_text(st, 1) ? db_column_text(st, 1) : "");
	h->event_seq = db_column_int64(st, 2);
}

int
exec_heads_lock(struct db *db, const char *const *ids, size_t n, struct exec_head *out)
{
	for (size_t i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof out[i]);
		snprintf(out[i].id, sizeof out[i].id, "%s", ids[i]);
	}
	return query_by_ids(db, "SELECT execution_id, status, event_seq FROM workflow_executions "
			    "WHERE execution_id IN (", db_backend_of(db) == DB_POSTGRES
			    ? ") ORDER BY execution_id FOR UPDATE" : ") ORDER BY execution_id",
			    ids, n, read_head, out);
}

char *
exec_snapshot_load(struct db *db, int64_t workflow_id, int64_t revision)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT graph FROM workflow_snapshots WHERE workflow_id = ? AND revision = ?");
	if (st == NULL)
		return NULL;
	db_bind_int64(st, 1, workflow_id);
	db_bind_int64(st, 2, revision);
	char *graph = NULL;
	if (db_step(st) == DB_ROW && db_column_text(st, 0))
		graph = xstrdup(db_column_text(st, 0));
	db_reset(st);
	return graph;
}

int
exec_row_save(struct db *db, const char *id, const char *status, const char *state,
	      int64_t event_seq, const char *final_output, const char *error, int64_t completed_ms)
{
	struct db_stmt *st = db_prepare(db,
		"UPDATE workflow_executions SET status = ?, state = ?, event_seq = ?, "
		"final_output = COALESCE(?, final_output), error_message = COALESCE(?, error_message), "
		"completed_at = COALESCE(?, completed_at) WHERE execution_id = ?");
	if (st == NULL)
		return DB_FAILED;
	char completed[TIME_DB_LEN];
	db_bind_text(st, 1, status, -1);
	db_bind_text(st, 2, state, -1);
	db_bind_int64(st, 3, event_seq);
	if (final_output)
		db_bind_text(st, 4, final_output, -1);
	else
		db_bind_null(st, 4);
	if (error)
		db_bind_text(st, 5, error, -1);
	else
		db_bind_null(st, 5);
	if (completed_ms) {
		time_ms_to_db(completed_ms, completed);
		db_bind_text(st, 6, completed, -1);
	} else {
		db_bind_null(st, 6);
	}
	db_bind_text(st, 7, id, -1);
	return step_done(st);
}

static void
bind_opt(struct db_stmt *st, int i, const char *s)
{
	if (s)
		db_bind_text(st, i, s, -1);
	else
		db_bind_null(st, i);
}

#define LOG_COLUMNS 12

static void
bind_log(struct db_stmt *st, int base, const struct exec_log *l, char at[TIME_DB_LEN])
{
	time_ms_to_db(l->at_ms, at);
	db_bind_text(st, base + 1, l->execution_id, -1);
	db_bind_text(st, base + 2, l->node_id, -1);
	db_bind_text(st, base + 3, l->status, -1);
	bind_opt(st, base + 4, l->input);
	bind_opt(st, base + 5, l->output);
	db_bind_text(st, base + 6, l->error ? l->error : "", -1);
	bind_opt(st, base + 7, l->error_code);
	db_bind_text(st, base + 8, l->metadata ? l->metadata : "{}", -1);
	db_bind_int64(st, base + 9, l->duration_ms);
	db_bind_int64(st, base + 10, l->attempt);
	db_bind_int64(st, base + 11, l->attempt > 0 ? l->attempt - 1 : 0);
	db_bind_text(st, base + 12, at, -1);
}

int
exec_log_insert_many(struct db *db, const struct exec_log *logs, size_t n)
{
	char (*at)[TIME_DB_LEN] = xmalloc(SQL_ROWS_GROUP_MAX * sizeof *at);
	int rc = 0;
	for (size_t done = 0; done < n && rc == 0;) {
		size_t k = sql_rows_group(n - done);
		char *sql = sql_rows_repeated(
			"INSERT INTO execution_logs (execution_id, node_id, status, input, output, "
			"error, error_code, metadata, duration_ms, attempt, retry_count, timestamp) "
			"VALUES ", "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", k, "");
		struct db_stmt *st = db_prepare(db, sql);
		free(sql);
		if (st == NULL) {
			rc = DB_FAILED;
			break;
		}
		for (size_t i = 0; i < k; i++)
			bind_log(st, (int)(i * LOG_COLUMNS), &logs[done + i], at[i]);
		rc = step_done(st);
		done += k;
	}
	free(at);
	return rc;
}

int
exec_task_insert(struct db *db, const char *execution_id, int64_t user_id, const char *chat_id,
		 const char *credential_id, const char *node_id, const char *prompt,
		 int64_t expires_ms, char task_id[9])
{
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO pending_tasks (task_id, execution_id, user_profile_id, chat_id, "
		"credential_id, node_id, prompt, created_at, expires_at) "
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (st == NULL)
		return DB_FAILED;
	char now[TIME_DB_LEN], expires[TIME_DB_LEN];
	time_now_db(now);
	time_ms_to_db(expires_ms, expires);
	crypto_random_hex(task_id, 4);
	db_bind_text(st, 1, task_id, -1);
	db_bind_text(st, 2, execution_id, -1);
	db_bind_int64(st, 3, user_id);
	bind_opt(st, 4, chat_id);
	bind_opt(st, 5, credential_id);
	db_bind_text(st, 6, node_id, -1);
	db_bind_text(st, 7, prompt, -1);
	db_bind_text(st, 8, now, -1);
	db_bind_text(st, 9, expires, -1);
	return step_done(st);
}

int
exec_confirmation_timeout(struct db *db, int64_t *seconds)
{
	*seconds = 300;
	struct db_stmt *st = db_prepare(db,
		"SELECT confirmation_timeout_seconds FROM system_config WHERE id = 1");
	if (st == NULL)
		return DB_FAILED;
	int rc = db_step(st);
	if (rc == DB_ROW && !db_column_is_null(st, 0) && db_column_int64(st, 0) > 0)
		*seconds = db_column_int64(st, 0);
	db_reset(st);
	return rc == DB_ERROR ? DB_FAILED : 0;
}

char *
exec_workflow_slug(struct db *db, int64_t workflow_id)
{
	struct db_stmt *st = db_prepare(db, "SELECT slug FROM workflows WHERE id = ?");
	if (st == NULL)
		return NULL;
	db_bind_int64(st, 1, workflow_id);
	char *slug = NULL;
	if (db_step(st) == DB_ROW)
		slug = xstrdup(db_column_text(st, 0));
	db_reset(st);
	return slug;
}

int
exec_result(struct db *db, const char *id, char status[16], char **final_output, char **error)
{
	*final_output = *error = NULL;
	struct db_stmt *st = db_prepare(db,
		"SELECT status, final_output, error_message FROM workflow_executions "
		"WHERE execution_id = ?");
	if (st == NULL)
		return DB_FAILED;
	db_bind_text(st, 1, id, -1);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		snprintf(status, 16, "%s", db_column_text(st, 0));
		if (db_column_text(st, 1))
			*final_output = xstrdup(db_column_text(st, 1));
		*error = xstrdup(db_column_text(st, 2) ? db_column_text(st, 2) : "");
	}
	db_reset(st);
	if (rc == DB_ERROR)
		return DB_FAILED;
	return rc == DB_ROW ? 0 : EXEC_NOT_FOUND;
}

char *
exec_root_id(struct db *db, const char *parent_id)
{
	char *current = xstrdup(parent_id);
	struct db_stmt *st = db_prepare(db,
		"SELECT parent_execution_id FROM workflow_executions WHERE execution_id = ?");
	/* A chain of subworkflows is short; the bound only guards a loop in
	 * rows written by hand. */
	for (int hop = 0; st != NULL && hop < 64; hop++) {
		db_bind_text(st, 1, current, -1);
		char *up = NULL;
		if (db_step(st) == DB_ROW && db_column_text(st, 0))
			up = xstrdup(db_column_text(st, 0));
		db_reset(st);
		if (up == NULL)
			break;
		free(current);
		current = up;
	}
	return current;
}

