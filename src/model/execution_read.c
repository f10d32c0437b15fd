/* execution_read.c: the executions API's reads (execution.h): the list,
 * one ExecutionOut, the detail with its logs, the status.  Scoped by the
 * owner of the execution's workflow: another user's execution behaves as
 * missing. */
#include "execution.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/budget.h"
#include "model/row_json.h"
#include "util/jsonw.h"
#include "util/xalloc.h"

/* ExecutionOut's columns (pipelit-api.md 2), the workflow's slug joined in,
 * what the workflow's LLM calls used on the execution's day (the UTC
 * day it started: model/budget.h) for budget_used, and the node_id of the
 * trigger node that started it (the column holds the node row's integer id;
 * a page marks that node as run, since the engine runs no trigger node). */
#define DAY_USAGE(col) \
	"(SELECT u." col " FROM workflow_usage_days u WHERE u.workflow_id = e.workflow_id " \
	"AND u.day = substr(CAST(e.started_at AS TEXT), 1, 10))"
#define OUT_COLUMNS \
	"e.execution_id, w.slug, e.status, e.error_message, e.started_at, e.completed_at, " \
	"e.total_tokens, e.total_cost_usd, e.llm_calls, " \
	DAY_USAGE("tokens") ", " DAY_USAGE("usd_micros") ", " \
	"(SELECT tn.node_id FROM workflow_nodes tn WHERE tn.id = e.trigger_node_id)"
#define N_OUT_COLUMNS 12
#define FROM_SCOPED "FROM workflow_executions e JOIN workflows w ON w.id = e.workflow_id "
/* One execution in scope: the first ? its id, the second the owner (0: any). */
#define WHERE_ONE "WHERE e.execution_id = ? AND ? IN (0, w.owner_id)"

/* ExecutionOut's members from a row starting with OUT_COLUMNS, into an
 * object the caller opened: the one renderer of an execution. */
static void
out_members(struct jw *w, struct db_stmt *st)
{
	text_or(w, "execution_id", st, 0, "");
	text_or(w, "workflow_slug", st, 1, "");
	text_or(w, "trigger_node_id", st, 11, NULL);
	text_or(w, "status", st, 2, "");
	text_or(w, "error_message", st, 3, "");
	time_or_null(w, "started_at", st, 4);
	time_or_null(w, "completed_at", st, 5);
	jw_kint(w, "total_tokens", db_column_int64(st, 6));
	/* NUMERIC(12,6): a float in the API, 0.0 rather than null. */
	jw_kreal(w, "total_cost_usd", db_column_is_null(st, 7) ? 0.0 : db_column_double(st, 7));
	jw_kint(w, "llm_calls", db_column_int64(st, 8));
	/* The budget's keys with what counts against each limit. */
	JW_KEY(w, "budget_used");
	jw_obj_begin(w);
	jw_kint(w, BUDGET_KEY_TOKENS_EXECUTION, db_column_int64(st, 6));
	JW_KEY(w, BUDGET_KEY_USD_EXECUTION);
	budget_write_usd(w, db_column_is_null(st, 7) ? 0 : llround(db_column_double(st, 7) * 1e6));
	jw_kint(w, BUDGET_KEY_TOKENS_DAY, db_column_int64(st, 9));
	JW_KEY(w, BUDGET_KEY_USD_DAY);
	budget_write_usd(w, db_column_int64(st, 10));
	jw_obj_end(w);
}

/* Binds the id and owner of WHERE_ONE at 1 and 2. */
static void
bind_one(struct db_stmt *st, const char *execution_id, int64_t owner)
{
	db_bind_text(st, 1, execution_id, -1);
	db_bind_int64(st, 2, owner);
}

/* An id longer than any execution's is missing without a query. */
static int
id_plausible(const char *execution_id)
{
	return execution_id != NULL && strlen(execution_id) <= EXEC_ID_MAX;
}

/* --- the list ------------------------------------------------------------------ */

/* " AND ..." for each filter present, after "WHERE 1 = 1". */
static char *
list_where(int64_t owner, const struct exec_filter *f)
{
	return xasprintf("WHERE 1 = 1%s%s%s", owner != EXEC_ANY_OWNER ? " AND w.owner_id = ?" : "",
			 f->workflow_slug ? " AND w.slug = ?" : "", f->status ? " AND e.status = ?" : "");
}

/* Binds the filters list_where() named, from 1; the next index. */
static int
bind_filters(struct db_stmt *st, int64_t owner, const struct exec_filter *f)
{
	int i = 1;
	if (owner != EXEC_ANY_OWNER)
		db_bind_int64(st, i++, owner);
	if (f->workflow_slug)
		db_bind_text(st, i++, f->workflow_slug, -1);
	if (f->status)
		db_bind_text(st, i++, f->status, -1);
	return i;
}

static int
count_filtered(struct db *db, const char *where, int64_t owner, const struct exec_filter *f,
	       int64_t *total)
{
	char *sql = xasprintf("SELECT COUNT(*) " FROM_SCOPED "%s", where);
	struct db_stmt *st = db_prepare(db, sql);
	free(sql);
	if (st == NULL)
		return -1;
	bind_filters(st, owner, f);
	int rc = db_step(st);
	*total = rc == DB_ROW ? db_column_int64(st, 0) : 0;
	db_reset(st);
	return rc == DB_ROW ? 0 : -1;
}

int
execution_list_write(struct db *db, int64_t owner, const struct exec_filter *f, struct jw *w)
{
	char *where = list_where(owner, f);
	/* Newest first; those not started yet (no started_at) after them, as
	 * Pipelit sorts; the id makes the order total, so pages never overlap. */
	char *sql = xasprintf("SELECT " OUT_COLUMNS " " FROM_SCOPED "%s "
			      "ORDER BY e.started_at DESC NULLS LAST, e.execution_id DESC "
			      "LIMIT ? OFFSET ?", where);
	struct db_stmt *st = db_prepare(db, sql);
	free(sql);
	if (st == NULL || db_begin(db) != 0) {
		free(where);
		return db_abandon(db);
	}
	int i = bind_filters(st, owner, f);
	db_bind_int64(st, i, f->limit);
	db_bind_int64(st, i + 1, f->offset);
	jw_obj_begin(w);
	JW_KEY(w, "items");
	jw_arr_begin(w);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		jw_obj_begin(w);
		out_members(w, st);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	db_reset(st);
	int64_t total = 0;
	if (rc == DB_ERROR || count_filtered(db, where, owner, f, &total) != 0) {
		free(where);
		return db_abandon(db);
	}
	free(where);
	jw_kint(w, "total", total);
	jw_obj_end(w);
	db_commit(db);
	return EXEC_OK;
}

/* --- one execution ---------------------------------------------------------------- */

int
execution_out_write(struct db *db, const char *execution_id, int64_t owner, struct jw *w)
{
	if (!id_plausible(execution_id))
		return EXEC_NOT_FOUND;
	struct db_stmt *st = db_prepare(db, "SELECT " OUT_COLUMNS " " FROM_SCOPED WHERE_ONE);
	if (st == NULL)
		return db_abandon(db);
	bind_one(st, execution_id, owner);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		jw_obj_begin(w);
		out_members(w, st);
		jw_obj_end(w);
	}
	db_reset(st);
	return rc == DB_ROW ? EXEC_OK : rc == DB_DONE ? EXEC_NOT_FOUND : db_abandon(db);
}

/* ExecutionLogOut (pipelit-api.md 2) with the run's attempt, for each log
 * row of the execution in time order. */
static int
logs_write(struct db *db, const char *execution_id, struct jw *w)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT id, node_id, status, input, output, error, error_code, metadata, "
		"duration_ms, timestamp, attempt FROM execution_logs WHERE execution_id = ? "
		"ORDER BY timestamp, id");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, execution_id, -1);
	jw_arr_begin(w);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		jw_obj_begin(w);
		jw_kint(w, "id", db_column_int64(st, 0));
		text_or(w, "node_id", st, 1, "");
		text_or(w, "status", st, 2, "");
		json_or(w, "input", st, 3, "null");
		json_or(w, "output", st, 4, "null");
		text_or(w, "error", st, 5, "");
		text_or(w, "error_code", st, 6, NULL);
		json_or(w, "metadata", st, 7, "null");
		jw_kint(w, "duration_ms", db_column_int64(st, 8));
		time_or_null(w, "timestamp", st, 9);
		jw_kint(w, "attempt", db_column_int64(st, 10));
		jw_obj_end(w);
	}
	jw_arr_end(w);
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

/* The confirmation the execution waits for ({node_id, prompt,
 * expires_at}), or null: what a person is asked, so a page opened after
 * the execution_interrupted event can still show it. */
static int
confirmation_write(struct db *db, const char *execution_id, struct jw *w)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT node_id, prompt, expires_at FROM pending_tasks WHERE execution_id = ? "
		"ORDER BY created_at, task_id LIMIT 1");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, execution_id, -1);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		jw_obj_begin(w);
		text_or(w, "node_id", st, 0, "");
		text_or(w, "prompt", st, 1, "");
		time_or_null(w, "expires_at", st, 2);
		jw_obj_end(w);
	} else {
		jw_null(w);
	}
	db_reset(st);
	return rc == DB_ERROR ? -1 : 0;
}

int
execution_detail_write(struct db *db, const char *execution_id, int64_t owner, struct jw *w)
{
	if (!id_plausible(execution_id))
		return EXEC_NOT_FOUND;
	struct db_stmt *st = db_prepare(db,
		"SELECT " OUT_COLUMNS ", e.final_output, e.trigger_payload, e.event_seq "
		FROM_SCOPED WHERE_ONE);
	/* One snapshot: the logs agree with the status beside them. */
	if (st == NULL || db_begin(db) != 0)
		return db_abandon(db);
	bind_one(st, execution_id, owner);
	int rc = db_step(st);
	if (rc != DB_ROW) {
		db_reset(st);
		if (rc == DB_ERROR)
			return db_abandon(db);
		db_rollback(db);
		return EXEC_NOT_FOUND;
	}
	jw_obj_begin(w);
	out_members(w, st);
	json_or(w, "final_output", st, N_OUT_COLUMNS, "null");
	json_or(w, "trigger_payload", st, N_OUT_COLUMNS + 1, "null");
	jw_kint(w, "event_seq", db_column_int64(st, N_OUT_COLUMNS + 2));
	db_reset(st);
	JW_KEY(w, "confirmation");
	if (confirmation_write(db, execution_id, w) != 0)
		return db_abandon(db);
	JW_KEY(w, "logs");
	if (logs_write(db, execution_id, w) != 0)
		return db_abandon(db);
	jw_obj_end(w);
	db_commit(db);
	return EXEC_OK;
}

int
execution_status_read(struct db *db, const char *execution_id, char *status, size_t cap)
{
	if (cap > 0)
		status[0] = '\0';
	if (!id_plausible(execution_id))
		return EXEC_NOT_FOUND;
	struct db_stmt *st = db_prepare(db,
		"SELECT status FROM workflow_executions WHERE execution_id = ?");
	if (st == NULL)
		return db_abandon(db);
	db_bind_text(st, 1, execution_id, -1);
	int rc = db_step(st);
	if (rc == DB_ROW && cap > 0)
		snprintf(status, cap, "%s", db_column_text(st, 0) ? db_column_text(st, 0) : "");
	db_reset(st);
	return rc == DB_ROW ? EXEC_OK : rc == DB_DONE ? EXEC_NOT_FOUND : db_abandon(db);
}

int
execution_status_write(struct db *db, const char *execution_id, int64_t owner, struct jw *w)
{
	if (!id_plausible(execution_id))
		return EXEC_NOT_FOUND;
	struct db_stmt *st = db_prepare(db,
		"SELECT e.execution_id, w.slug, e.status, e.started_at, e.completed_at, "
		"e.final_output, e.error_message " FROM_SCOPED WHERE_ONE);
	if (st == NULL)
		return db_abandon(db);
	bind_one(st, execution_id, owner);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		jw_obj_begin(w);
		text_or(w, "execution_id", st, 0, "");
		text_or(w, "workflow", st, 1, "");
		text_or(w, "status", st, 2, "");
		time_or_null(w, "started_at", st, 3);
		time_or_null(w, "completed_at", st, 4);
		json_or(w, "final_output", st, 5, "null");
		/* As Pipelit: an empty message is null. */
		size_t n = 0;
		const char *msg = db_column_text_n(st, 6, &n);
		JW_KEY(w, "error_message");
		jw_strn_or_null(w, n > 0 ? msg : NULL, n);
		jw_obj_end(w);
	}
	db_reset(st);
	return rc == DB_ROW ? EXEC_OK : rc == DB_DONE ? EXEC_NOT_FOUND : db_abandon(db);
}
