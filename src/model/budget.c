/* budget.c: reservations and usage of LLM calls (see budget.h).  The only
 * SQL for workflow_usage_days and budget_reservations. */
#include "budget.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm/pricing.h"
#include "model/sql_rows.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

/* Reservations charged at their estimate per reserve call, at most: the
 * rest wait for the next one, so no single call grows without bound. */
#define STALE_BATCH 64

/* --- small statements ------------------------------------------------------ */

/* Runs st, a write nobody reads the answer of: inside a transaction on
 * PostgreSQL it travels with the next statement's round trip (db.h
 * db_step_later), whose call reports its failure.  0 or -1. */
static int
run_later(struct db_stmt *st)
{
	return db_step_later(st) == 0 ? 0 : -1;
}

/* Runs st and reads its one row's two integers: 0, or -1 when it has no
 * row or failed.  Resets st. */
static int
step_two_int64(struct db_stmt *st, int64_t *a, int64_t *b)
{
	int rc = db_step(st);
	if (rc == DB_ROW) {
		*a = db_column_int64(st, 0);
		*b = db_column_int64(st, 1);
		/* RETURNING rows come before the statement finishes. */
		while ((rc = db_step(st)) == DB_ROW)
			;
		db_reset(st);
		return rc == DB_DONE ? 0 : -1;
	}
	db_reset(st);
	return -1;
}

/* Makes sure the workflow has its row for day, locks it until the
 * transaction ends and returns the day's usage, in one statement: the
 * upsert's no-op update takes the row lock on PostgreSQL (SQLite's write
 * transaction, BEGIN IMMEDIATE, already excludes every other writer).
 * Every reservation of the workflow takes this lock first, so they are
 * checked one at a time.  0, or -1 (a workflow that is gone fails the
 * insert's foreign key). */
static int
lock_day(struct db *db, int64_t workflow_id, const char *day, int64_t *tokens, int64_t *micros)
{
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO workflow_usage_days (workflow_id, day, tokens, usd_micros, llm_calls) "
		"VALUES (?, ?, 0, 0, 0) ON CONFLICT (workflow_id, day) DO UPDATE SET "
		"tokens = workflow_usage_days.tokens RETURNING tokens, usd_micros");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, workflow_id);
	db_bind_text(st, 2, day, -1);
	return step_two_int64(st, tokens, micros);
}

/* A call's usage added to its workflow's day (the row made when missing)
 * and to its execution's totals: the statements' shared parts, for the
 * settlement's two forms (settle_in, settle_later_pg).  The execution's
 * part takes in, out, in + out and the cost as usd_text. */
#define ADD_TO_DAY_INSERT \
	"INSERT INTO workflow_usage_days (workflow_id, day, tokens, usd_micros, llm_calls) "
#define ADD_TO_DAY_CONFLICT \
	"ON CONFLICT (workflow_id, day) DO UPDATE SET " \
	"tokens = workflow_usage_days.tokens + excluded.tokens, " \
	"usd_micros = workflow_usage_days.usd_micros + excluded.usd_micros, " \
	"llm_calls = workflow_usage_days.llm_calls + 1 "
#define ADD_TO_EXECUTION_UPDATE \
	"UPDATE workflow_executions SET total_input_tokens = total_input_tokens + ?, " \
	"total_output_tokens = total_output_tokens + ?, total_tokens = total_tokens + ?, " \
	"llm_calls = llm_calls + 1, total_cost_usd = total_cost_usd + CAST(? AS NUMERIC) "

/* Adds usage to the workflow's day (creating its row). */
static int
add_to_day(struct db *db, int64_t workflow_id, const char *day, int64_t tokens, int64_t micros)
{
	struct db_stmt *st = db_prepare(db,
		ADD_TO_DAY_INSERT "VALUES (?, ?, ?, ?, 1) " ADD_TO_DAY_CONFLICT);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, workflow_id);
	db_bind_text(st, 2, day, -1);
	db_bind_int64(st, 3, tokens);
	db_bind_int64(st, 4, micros);
	return run_later(st);
}

/* Dollars in micros as exact decimal text ("0.000360"): NUMERIC(12,6)
 * holds it exactly on PostgreSQL. */
static void
usd_text(char *out, size_t n, int64_t micros)
{
	snprintf(out, n, "%" PRId64 ".%06" PRId64, micros / 1000000, micros % 1000000);
}

/* Adds one call's usage to the execution's totals (the cost as usd_text). */
static int
add_to_execution(struct db *db, const char *execution_id, int64_t in, int64_t out, int64_t micros)
{
	struct db_stmt *st = db_prepare(db, ADD_TO_EXECUTION_UPDATE "WHERE execution_id = ?");
	if (st == NULL)
		return -1;
	char usd[48];
	usd_text(usd, sizeof usd, micros);
	db_bind_int64(st, 1, in);
	db_bind_int64(st, 2, out);
	db_bind_int64(st, 3, in + out);
	db_bind_text(st, 4, usd, -1);
	db_bind_text(st, 5, execution_id, -1);
	return run_later(st);
}

/* Takes reservation id out of the table, inside the caller's transaction:
 * 1 with its workflow, execution, day and estimate, 0 when it is gone, -1. */
struct reservation {
	int64_t workflow_id;
	char execution_id[64];
	char day[16];
	int64_t tokens, micros;
};

static int
take_reservation(struct db *db, int64_t id, struct reservation *r)
{
	struct db_stmt *st = db_prepare(db,
		"DELETE FROM budget_reservations WHERE id = ? "
		"RETURNING workflow_id, execution_id, day, tokens, usd_micros");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		r->workflow_id = db_column_int64(st, 0);
		snprintf(r->execution_id, sizeof(r->execution_id), "%s",
			 db_column_text(st, 1) ? db_column_text(st, 1) : "");
		snprintf(r->day, sizeof(r->day), "%s", db_column_text(st, 2) ? db_column_text(st, 2) : "");
		r->tokens = db_column_int64(st, 3);
		r->micros = db_column_int64(st, 4);
		/* RETURNING rows come before the statement finishes: step it
		 * to the end so the delete is complete on both backends. */
		while ((rc = db_step(st)) == DB_ROW)
			;
		db_reset(st);
		return rc == DB_DONE ? 1 : -1;
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

/* Settles reservation id inside the caller's transaction: 1, 0 (gone), -1. */
static int
settle_in(struct db *db, int64_t id, int64_t in, int64_t out, int64_t micros)
{
	struct reservation r;
	int found = take_reservation(db, id, &r);
	if (found <= 0)
		return found;
	if (add_to_day(db, r.workflow_id, r.day, in + out, micros) != 0 ||
	    add_to_execution(db, r.execution_id, in, out, micros) != 0)
		return -1;
	return 1;
}

/* Charges the workflow's reservations created before cutoff_ms at their
 * estimate (their executors died or lost them).  The estimate's tokens
 * are counted as input: what a dead call read or wrote is unknown.  The
 * number charged, or -1. */
static int
charge_stale(struct db *db, int64_t workflow_id, int64_t cutoff_ms)
{
	/* Rows a settle has locked (deleting them) are skipped: it adds
	 * their real usage, and waiting for it here, holding today's row it
	 * may wait for, could deadlock. */
#define STALE_SQL "SELECT id, tokens, usd_micros FROM budget_reservations " \
	"WHERE workflow_id = ? AND created_ms <= ? ORDER BY id LIMIT ?"
	struct db_stmt *st = db_prepare(db, db_backend_of(db) == DB_POSTGRES
		? STALE_SQL " FOR UPDATE SKIP LOCKED" : STALE_SQL);
#undef STALE_SQL
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, workflow_id);
	db_bind_int64(st, 2, cutoff_ms);
	db_bind_int64(st, 3, STALE_BATCH);
	int64_t ids[STALE_BATCH][3];
	size_t n = 0;
	int rc;
	while ((rc = db_step(st)) == DB_ROW && n < STALE_BATCH) {
		ids[n][0] = db_column_int64(st, 0);
		ids[n][1] = db_column_int64(st, 1);
		ids[n][2] = db_column_int64(st, 2);
		n++;
	}
	db_reset(st);
	if (rc == DB_ERROR)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (settle_in(db, ids[i][0], ids[i][1], 0, ids[i][2]) < 0)
			return -1;
	return (int)n;
}

/* Sums of outstanding reservations: of the execution (by_execution) or of
 * the workflow's day. */
static int
reserved(struct db *db, int by_execution, int64_t workflow_id, const char *execution_id,
	 const char *day, int64_t *tokens, int64_t *micros)
{
	struct db_stmt *st = db_prepare(db, by_execution
		? "SELECT CAST(COALESCE(SUM(tokens), 0) AS BIGINT), "
		  "CAST(COALESCE(SUM(usd_micros), 0) AS BIGINT) FROM budget_reservations "
		  "WHERE execution_id = ?"
		: "SELECT CAST(COALESCE(SUM(tokens), 0) AS BIGINT), "
		  "CAST(COALESCE(SUM(usd_micros), 0) AS BIGINT) FROM budget_reservations "
		  "WHERE workflow_id = ? AND day = ?");
	if (st == NULL)
		return -1;
	if (by_execution) {
		db_bind_text(st, 1, execution_id, -1);
	} else {
		db_bind_int64(st, 1, workflow_id);
		db_bind_text(st, 2, day, -1);
	}
	return step_two_int64(st, tokens, micros);
}

/* The workflow's limits: 1 found, 0 no such workflow, -1. */
static int
read_limits(struct db *db, int64_t workflow_id, struct budget_limits *l)
{
	struct db_stmt *st = db_prepare(db, "SELECT budget FROM workflows WHERE id = ?");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, workflow_id);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		const char *text = db_column_text(st, 0);
		json_t *budget = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
		budget_limits_from_json(budget, l);
		json_decref(budget);
	}
	db_reset(st);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
}

/* What the execution has used so far (its settled totals). */
static int
execution_used(struct db *db, const char *execution_id, int64_t *tokens, int64_t *micros)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT total_tokens, total_cost_usd FROM workflow_executions WHERE execution_id = ?");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, execution_id, -1);
	int rc = db_step(st);
	*tokens = *micros = 0;
	if (rc == DB_ROW) {
		*tokens = db_column_int64(st, 0);
		*micros = llround(db_column_double(st, 1) * 1e6);
	}
	db_reset(st);
	return rc == DB_ERROR ? -1 : 0;
}

/* --- the limits ------------------------------------------------------------------ */

/* Whether used + reserved + ask stays within limit (tokens or micros);
 * otherwise why says so with the figures. */
static int
within(int64_t limit, int64_t used, int64_t held, int64_t ask, int usd, const char *whose,
       char *why, size_t whylen)
{
	if (limit == BUDGET_NO_LIMIT || used + held + ask <= limit)
		return 1;
	if (usd) {
		char a[32], u[32], h[32], l[32];
		usd_text(a, sizeof(a), ask);
		usd_text(u, sizeof(u), used);
		usd_text(h, sizeof(h), held);
		usd_text(l, sizeof(l), limit);
		snprintf(why, whylen, "budget exceeded: this call could cost %s USD; %s has used "
			 "%s USD of its %s (%s USD more reserved by calls in flight)",
			 a, whose, u, l, h);
	} else {
		snprintf(why, whylen, "budget exceeded: this call could use %" PRId64 " tokens; %s "
			 "has used %" PRId64 " of its %" PRId64 " (%" PRId64 " more reserved by "
			 "calls in flight)", ask, whose, used, limit, held);
	}
	return 0;
}

/* Inside the locked transaction: whether the call fits every limit. */
static int
check_limits(struct db *db, const struct budget_limits *l, int64_t workflow_id,
	     const char *execution_id, const char *day, int64_t day_tokens, int64_t day_micros,
	     int64_t tokens, int64_t micros, char *why, size_t whylen)
{
	int64_t et = 0, em = 0, rt = 0, rm = 0;
	if (l->tokens_per_execution != BUDGET_NO_LIMIT || l->usd_micros_per_execution != BUDGET_NO_LIMIT) {
		if (execution_used(db, execution_id, &et, &em) != 0 ||
		    reserved(db, 1, workflow_id, execution_id, day, &rt, &rm) != 0)
			return -1;
		if (!within(l->tokens_per_execution, et, rt, tokens, 0, "the execution", why, whylen) ||
		    !within(l->usd_micros_per_execution, em, rm, micros, 1, "the execution", why, whylen))
			return 1;
	}
	if (l->tokens_per_day != BUDGET_NO_LIMIT || l->usd_micros_per_day != BUDGET_NO_LIMIT) {
		if (reserved(db, 0, workflow_id, execution_id, day, &rt, &rm) != 0)
			return -1;
		char whose[64];
		snprintf(whose, sizeof(whose), "the workflow today (%s UTC)", day);
		if (!within(l->tokens_per_day, day_tokens, rt, tokens, 0, whose, why, whylen) ||
		    !within(l->usd_micros_per_day, day_micros, rm, micros, 1, whose, why, whylen))
			return 1;
	}
	return 0;
}

static int
insert_reservation(struct db *db, int64_t workflow_id, const char *execution_id, const char *day,
		   int64_t tokens, int64_t micros, int64_t now_ms, int64_t *id)
{
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO budget_reservations (workflow_id, execution_id, day, tokens, usd_micros, "
		"created_ms) VALUES (?, ?, ?, ?, ?, ?) RETURNING id");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, workflow_id);
	db_bind_text(st, 2, execution_id, -1);
	db_bind_text(st, 3, day, -1);
	db_bind_int64(st, 4, tokens);
	db_bind_int64(st, 5, micros);
	db_bind_int64(st, 6, now_ms);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		*id = db_column_int64(st, 0);
		rc = db_step(st);
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

/*
 * The reservation of a workflow with no budget at all (workflows.budget
 * NULL), in one statement that takes no lock on the day's row, and the
 * open transaction's COMMIT: 1 with *id, 0 when it does not apply (a
 * budget is set, one of the workflow's reservations is stale and due to
 * be charged, or the workflow is gone: the locked path below decides, in
 * a transaction of its own), -1 (rolled back).  Reservations without limits so
 * neither wait for each other nor hold up those of other executors.  A
 * budget set meanwhile waits for them (budget_limits_setting).
 */
static int
reserve_unlimited(struct db *db, int64_t workflow_id, const char *execution_id, const char *day,
		  int64_t tokens, int64_t micros, int64_t now_ms, int64_t cutoff_ms, int64_t *id)
{
	struct db_stmt *st = db_prepare(db,
		"INSERT INTO budget_reservations (workflow_id, execution_id, day, tokens, usd_micros, "
		"created_ms) SELECT w.id, ?, ?, ?, ?, ? FROM workflows w WHERE w.id = ? "
		"AND w.budget IS NULL AND NOT EXISTS (SELECT 1 FROM budget_reservations r "
		"WHERE r.workflow_id = w.id AND r.created_ms <= ?) RETURNING id");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, execution_id, -1);
	db_bind_text(st, 2, day, -1);
	db_bind_int64(st, 3, tokens);
	db_bind_int64(st, 4, micros);
	db_bind_int64(st, 5, now_ms);
	db_bind_int64(st, 6, workflow_id);
	db_bind_int64(st, 7, cutoff_ms);
	/* The transaction's only statement: its COMMIT goes with it. */
	return db_step_commit_int64(st, id);
}

/* A reservation's time, its UTC day, and the creation time at or before
 * which the workflow's other reservations are stale. */
static void
reservation_clock(long reservation_seconds, int64_t *now, char day[11], int64_t *cutoff)
{
	*now = time_now_ms();
	budget_day_of(*now, day);
	*cutoff = *now - (int64_t)reservation_seconds * 1000;
}

/* The ask of asks[0..n) a returned row stands for: the first one not yet
 * granted with the same execution and figures.  Two such asks are
 * interchangeable (their reservations say the same), so which of them
 * gets which id does not matter; the backends return rows in no promised
 * order. */
static struct budget_ask *
ask_of_row(struct budget_ask *asks, size_t n, const char *execution_id, int64_t tokens,
	   int64_t micros)
{
	for (size_t i = 0; i < n; i++)
		if (asks[i].reservation_id == 0 && asks[i].tokens == tokens &&
		    asks[i].usd_micros == micros && execution_id &&
		    strcmp(asks[i].execution_id, execution_id) == 0)
			return &asks[i];
	return NULL;
}

/* One statement for asks[0..n), n <= SQL_ROWS_GROUP_MAX, in the open
 * transaction: the rows reserve_unlimited() would insert one by one. */
static int
reserve_unlimited_many(struct db *db, struct budget_ask *asks, size_t n, const char *day,
		       int64_t now_ms, int64_t cutoff_ms)
{
	char *sql = sql_rows_repeated(
		"INSERT INTO budget_reservations (workflow_id, execution_id, day, tokens, "
		"usd_micros, created_ms) SELECT w.id, v.column2, v.column3, v.column4, "
		"v.column5, v.column6 FROM (VALUES ",
		"(CAST(? AS BIGINT), ?, ?, CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT))",
		n,
		") AS v JOIN workflows w ON w.id = v.column1 WHERE w.budget IS NULL AND "
		"NOT EXISTS (SELECT 1 FROM budget_reservations r WHERE r.workflow_id = w.id "
		"AND r.created_ms <= ?) RETURNING id, execution_id, tokens, usd_micros");
	struct db_stmt *st = db_prepare(db, sql);
	free(sql);
	if (st == NULL)
		return -1;
	int k = 1;
	for (size_t i = 0; i < n; i++) {
		db_bind_int64(st, k++, asks[i].workflow_id);
		db_bind_text(st, k++, asks[i].execution_id, -1);
		db_bind_text(st, k++, day, -1);
		db_bind_int64(st, k++, asks[i].tokens);
		db_bind_int64(st, k++, asks[i].usd_micros);
		db_bind_int64(st, k++, now_ms);
	}
	db_bind_int64(st, k, cutoff_ms);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		struct budget_ask *a = ask_of_row(asks, n, db_column_text(st, 1),
						  db_column_int64(st, 2), db_column_int64(st, 3));
		if (a != NULL)
			a->reservation_id = db_column_int64(st, 0);
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

int
budget_reserve_batch(struct db *db, struct budget_ask *asks, size_t n, long reservation_seconds)
{
	for (size_t i = 0; i < n; i++) {
		asks[i].reservation_id = 0;
		if (asks[i].tokens < 0)
			asks[i].tokens = 0;
		if (asks[i].usd_micros < 0)
			asks[i].usd_micros = 0;
	}
	if (n == 0)
		return 0;
	int64_t now, cutoff;
	char day[11];
	reservation_clock(reservation_seconds, &now, day, &cutoff);
	if (db_begin_write(db) != 0)
		return db_abandon(db);
	for (size_t at = 0, k; at < n; at += k) {
		k = sql_rows_group(n - at);
		if (reserve_unlimited_many(db, asks + at, k, day, now, cutoff) != 0)
			goto failed;
	}
	if (db_commit(db) == 0)
		return 0;
failed:
	for (size_t i = 0; i < n; i++)
		asks[i].reservation_id = 0;
	return db_abandon(db);
}

int
budget_reserve(struct db *db, int64_t workflow_id, const char *execution_id, int64_t tokens,
	       int64_t usd_micros, long reservation_seconds, int64_t *reservation_id,
	       char *why, size_t whylen)
{
	*reservation_id = 0;
	if (whylen > 0)
		why[0] = '\0';
	if (tokens < 0)
		tokens = 0;
	if (usd_micros < 0)
		usd_micros = 0;
	int64_t now, cutoff;
	char day[11];
	reservation_clock(reservation_seconds, &now, day, &cutoff);
	if (db_begin_write(db) != 0)
		return db_abandon(db);
	/* No budget: one statement, no lock, committed at once (with BEGIN
	 * and COMMIT one round trip on PostgreSQL). */
	int unlimited = reserve_unlimited(db, workflow_id, execution_id, day, tokens, usd_micros,
					  now, cutoff, reservation_id);
	if (unlimited < 0) {
		*reservation_id = 0;
		return db_abandon(db);
	}
	if (unlimited > 0)
		return BUDGET_GRANTED;
	/* A budget, or a stale reservation to charge: the locked path, in a
	 * transaction of its own. */
	if (db_begin_write(db) != 0)
		return db_abandon(db);
	/* The day's row first (the lock), then the limits under it: a PATCH
	 * that committed before counts.  Five statements more when nothing is
	 * stale (an LLM call's turn pays for every one). */
	int64_t day_tokens = 0, day_micros = 0;
	if (lock_day(db, workflow_id, day, &day_tokens, &day_micros) != 0) {
		/* A workflow deleted under a running execution: refused, not a
		 * foreign key error from the day's row. */
		if (db_error_kind(db) != DB_ERR_FOREIGN_KEY)
			return db_abandon(db);
		db_rollback(db);
		snprintf(why, whylen, "budget: workflow %" PRId64 " does not exist", workflow_id);
		return BUDGET_REFUSED;
	}
	struct budget_limits l;
	int found = read_limits(db, workflow_id, &l);
	if (found < 0)
		return db_abandon(db);
	if (found == 0) {
		db_rollback(db);
		snprintf(why, whylen, "budget: workflow %" PRId64 " does not exist", workflow_id);
		return BUDGET_REFUSED;
	}
	/* Stale reservations charged change the day's usage: read again. */
	int charged = charge_stale(db, workflow_id, cutoff);
	if (charged < 0 ||
	    (charged > 0 && lock_day(db, workflow_id, day, &day_tokens, &day_micros) != 0))
		return db_abandon(db);
	int refused = check_limits(db, &l, workflow_id, execution_id, day, day_tokens, day_micros,
				   tokens, usd_micros, why, whylen);
	if (refused < 0)
		return db_abandon(db);
	if (refused) {
		db_rollback(db);
		return BUDGET_REFUSED;
	}
	if (insert_reservation(db, workflow_id, execution_id, day, tokens, usd_micros, now,
			       reservation_id) != 0 || db_commit(db) != 0)
		return db_abandon(db);
	return BUDGET_GRANTED;
}

/*
 * A reservation without limits takes no lock a budget's PATCH would wait
 * for, so the PATCH waits for every reservation in flight instead: the
 * table's SHARE lock waits for the transactions that insert or delete
 * reservations and holds off new ones until the PATCH commits (PostgreSQL
 * takes a statement's snapshot after its locks, so they then read the new
 * budget).  Without it, a reservation that read "no budget" just before
 * the PATCH committed could be missed by the first one checked against the
 * new limits.  SQLite's write transaction already excludes them.
 */
int
budget_limits_setting(struct db *db)
{
	if (db_backend_of(db) != DB_POSTGRES)
		return 0;
	return db_exec(db, "LOCK TABLE budget_reservations IN SHARE MODE");
}

/*
 * PostgreSQL: the settlement in one statement that nobody waits for,
 * inside the caller's transaction, so an agent's turn (this, its
 * checkpoint, the COMMIT) is one round trip.  The rows are locked in the
 * order settle_in's statements take them: the reservation (deleted), the
 * day's row (its upsert reads the deletion's output; the gate of the
 * execution's update waits for the upsert), then the execution's row.  A
 * reservation already gone changes nothing.
 */
static int
settle_later_pg(struct db *db, int64_t id, int64_t in, int64_t out, int64_t micros)
{
	struct db_stmt *st = db_prepare(db,
		"WITH r AS (DELETE FROM budget_reservations WHERE id = ? "
		"RETURNING workflow_id, execution_id, day), "
		"d AS (" ADD_TO_DAY_INSERT "SELECT workflow_id, day, ?, ?, 1 FROM r "
		ADD_TO_DAY_CONFLICT "RETURNING workflow_id) "
		ADD_TO_EXECUTION_UPDATE
		"WHERE EXISTS (SELECT 1 FROM d) AND execution_id = (SELECT execution_id FROM r)");
	if (st == NULL)
		return -1;
	char usd[48];
	usd_text(usd, sizeof usd, micros);
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, in + out);
	db_bind_int64(st, 3, micros);
	db_bind_int64(st, 4, in);
	db_bind_int64(st, 5, out);
	db_bind_int64(st, 6, in + out);
	db_bind_text(st, 7, usd, -1);
	return run_later(st);
}

/*
 * One transaction: the reservation deleted (it comes back with its
 * workflow, day, execution and estimate), then its day's usage and the
 * execution's totals added.  Gone (released, or charged at its estimate by
 * another executor, whose delete this one waits for): nothing is added.
 * The reservation's row is locked before the day's, the other way round
 * from a reservation charging stale ones (today's row first), which skips
 * the rows being settled (charge_stale), so neither waits for the other.
 * On PostgreSQL the two additions travel with the next round trip
 * (run_later): two round trips with BEGIN and COMMIT.
 *
 * Inside a transaction the caller opened (a turn's writes, db.h), it
 * joins it and leaves it open; it rolls back only when the database
 * failed.  On PostgreSQL it is then settle_later_pg(), whose answer
 * nobody waits for.
 */
int
budget_settle(struct db *db, int64_t reservation_id, int64_t tokens_in, int64_t tokens_out,
	      int64_t usd_micros)
{
	int own = !db_in_transaction(db);
	if (tokens_in < 0)
		tokens_in = 0;
	if (tokens_out < 0)
		tokens_out = 0;
	if (usd_micros < 0)
		usd_micros = 0;
	if (!own && db_backend_of(db) == DB_POSTGRES) {
		/* Inside an agent's turn: whether the reservation was still
		 * there is not waited for (the caller only needs the failure,
		 * which the turn's COMMIT reports). */
		if (settle_later_pg(db, reservation_id, tokens_in, tokens_out, usd_micros) != 0)
			return db_abandon(db);
		return BUDGET_GRANTED;
	}
	if (own && db_begin_write(db) != 0)
		return db_abandon(db);
	struct reservation r;
	int taken = take_reservation(db, reservation_id, &r);
	if (taken < 0)
		return db_abandon(db);
	if (taken > 0 &&
	    (add_to_day(db, r.workflow_id, r.day, tokens_in + tokens_out, usd_micros) != 0 ||
	     add_to_execution(db, r.execution_id, tokens_in, tokens_out, usd_micros) != 0))
		return db_abandon(db);
	if (own && db_commit(db) != 0)
		return db_abandon(db);
	return taken > 0 ? BUDGET_GRANTED : BUDGET_NOT_FOUND;
}

int
budget_release(struct db *db, int64_t reservation_id)
{
	struct db_stmt *st = db_prepare(db, "DELETE FROM budget_reservations WHERE id = ?");
	if (st == NULL)
		return db_abandon(db);
	db_bind_int64(st, 1, reservation_id);
	int rc = db_step(st);
	int64_t n = rc == DB_DONE ? db_changes(st) : 0;
	db_reset(st);
	if (rc != DB_DONE)
		return db_abandon(db);
	return n > 0 ? BUDGET_GRANTED : BUDGET_NOT_FOUND;
}

/* --- before a run -------------------------------------------------------------- */

int
budget_check_priced(struct db *db, int64_t workflow_id, const json_t *nodes, char *why,
		    size_t whylen)
{
	if (whylen > 0)
		why[0] = '\0';
	/* Every model priced: nothing to object to, whatever the limits, and
	 * no round trip to read them (an agent's run pays for this one). */
	if (budget_all_priced(nodes))
		return BUDGET_GRANTED;
	struct budget_limits l;
	int found = read_limits(db, workflow_id, &l);
	if (found < 0)
		return db_abandon(db);
	if (found == 0 || (l.usd_micros_per_execution == BUDGET_NO_LIMIT &&
			   l.usd_micros_per_day == BUDGET_NO_LIMIT))
		return BUDGET_GRANTED;
	return budget_unpriced_model(nodes, why, whylen) ? BUDGET_REFUSED : BUDGET_GRANTED;
}
