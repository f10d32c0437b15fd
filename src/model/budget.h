/*
 * budget.h: workflow budgets and the usage of LLM calls (doc/budgets.md).
 * The only SQL for workflow_usage_days and budget_reservations lives in
 * model/budget.c.
 *
 * A workflow's budget is {max_tokens_per_execution, max_usd_per_execution,
 * max_tokens_per_day, max_usd_per_day}, each null for no limit, days in
 * UTC.  Before every LLM call the caller reserves the call's worst case;
 * the reservation is granted only when every limit that is set still
 * holds with what the execution and the workflow's day have used, what
 * other calls in flight have reserved, and this call.  After the call the
 * reservation is replaced by the real usage (budget_settle), or dropped
 * when the call was never made (budget_release).
 *
 * Concurrency: each reservation runs in one short write transaction that
 * first locks the workflow's row of today in workflow_usage_days (upserted;
 * SELECT ... FOR UPDATE on PostgreSQL; on SQLite the write transaction is
 * the lock), so reservations of one workflow are checked one at a time on
 * every executor and host, and together they never pass a limit.  A
 * settle deletes its reservation first, then adds to its day's row;
 * charging stale reservations (today's row first) skips the reservations
 * being settled, so the two orders never wait for each other.  A workflow
 * with no budget (workflows.budget NULL) has no limit to hold: its
 * reservation is one insert that takes no lock on the day's row.
 *
 * Money is counted in integer micro-dollars (a reservation rounds up, a
 * settled cost to the nearest), so totals add up exactly.
 *
 * An executor that dies between reserving and settling leaves its
 * reservation behind: it keeps counting at its estimate, and once older
 * than reservation_seconds the next reservation of the workflow charges it
 * at that estimate (to the execution and the day) and removes it.
 */
#ifndef PIPELIT_MODEL_BUDGET_H
#define PIPELIT_MODEL_BUDGET_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "db/db.h"

struct db;
struct jw;
struct model_price;

enum budget_result {
	BUDGET_GRANTED = 0,
	BUDGET_REFUSED = 1,
	BUDGET_NOT_FOUND = 2,        /* settle/release: no such reservation (any more) */
	BUDGET_DB_ERROR = DB_FAILED,
};

/* A budget's limits; BUDGET_NO_LIMIT where none is set. */
#define BUDGET_NO_LIMIT (-1)
struct budget_limits {
	int64_t tokens_per_execution;
	int64_t usd_micros_per_execution;
	int64_t tokens_per_day;
	int64_t usd_micros_per_day;
};

/* The four keys, in the order the API renders them. */
#define BUDGET_KEY_TOKENS_EXECUTION "max_tokens_per_execution"
#define BUDGET_KEY_USD_EXECUTION "max_usd_per_execution"
#define BUDGET_KEY_TOKENS_DAY "max_tokens_per_day"
#define BUDGET_KEY_USD_DAY "max_usd_per_day"

/* The largest limits accepted: beyond them a limit means nothing. */
#define BUDGET_TOKENS_MAX 1000000000000000LL     /* 1e15 tokens */
#define BUDGET_USD_MAX 1000000000.0              /* one billion USD */

/* The limits of a stored budget (NULL or null: none); the API's
 * workflow fields check what may be stored (api/workflows.c).  Pure, like
 * the helpers below (model/budget_values.c). */
void budget_limits_from_json(const json_t *budget, struct budget_limits *out);

/* 1 when any limit is set. */
int budget_limits_any(const struct budget_limits *l);

/* The UTC day of unix ms as "YYYY-MM-DD" (11 bytes with the NUL). */
void budget_day_of(int64_t ms, char out[11]);

/*
 * Reserves a call's worst case (tokens, usd_micros) for execution_id of
 * workflow_id, in one write transaction (the rules above).  GRANTED with
 * *reservation_id set; REFUSED with why saying which limit and the figures
 * ("this call could use 1200 tokens; the execution has used 9000 of its
 * 10000"); BUDGET_DB_ERROR with the error on the handle.  Reservations of
 * the workflow older than reservation_seconds are charged at their
 * estimate first.
 */
int budget_reserve(struct db *db, int64_t workflow_id, const char *execution_id, int64_t tokens,
		   int64_t usd_micros, long reservation_seconds, int64_t *reservation_id,
		   char *why, size_t whylen);

/* One call's worst case in a batch (budget_reserve_batch). */
struct budget_ask {
	int64_t workflow_id;
	const char *execution_id;    /* borrowed */
	int64_t tokens, usd_micros;
	int64_t reservation_id;      /* out: 0 when the batch did not grant it */
};

/*
 * The reservations of many calls at once, as budget_reserve() makes them
 * for workflows without a budget: one statement per SQL_ROWS_GROUP_MAX
 * calls (model/sql_rows.h), one committed transaction for them all.  An ask it cannot grant
 * that way (its workflow has a budget, one of the workflow's reservations
 * is stale, the workflow is gone) keeps reservation_id 0: its caller asks
 * budget_reserve(), which decides.  0, or BUDGET_DB_ERROR (none granted).
 */
int budget_reserve_batch(struct db *db, struct budget_ask *asks, size_t n,
			 long reservation_seconds);

/*
 * Replaces a reservation by the call's real usage: adds the tokens, one
 * call and usd_micros to the execution's totals (workflow_executions
 * total_input_tokens, total_output_tokens, total_tokens, llm_calls,
 * total_cost_usd) and to the workflow's totals of the reservation's day, in
 * one transaction.  NOT_FOUND when the reservation is gone (released, or
 * charged at its estimate after its executor died): nothing is added.
 * Inside the caller's transaction on PostgreSQL it is one statement sent
 * without waiting (db_step_later): GRANTED then means sent, a reservation
 * already gone still adds nothing, and a failure is the COMMIT's.
 */
int budget_settle(struct db *db, int64_t reservation_id, int64_t tokens_in, int64_t tokens_out,
		  int64_t usd_micros);

/* Drops a reservation whose call was never made.  NOT_FOUND when gone. */
int budget_release(struct db *db, int64_t reservation_id);

/*
 * In the write transaction that sets a workflow's budget, before it is
 * written: waits for the reservations in flight (those of workflows
 * without a budget take no lock a PATCH would meet) and holds off new
 * ones until the transaction ends.  0 or -1 (the error on the handle).
 */
int budget_limits_setting(struct db *db);

/*
 * Before a run: a workflow with a USD limit whose ai_model nodes name a
 * model with no price could never trip its limit, so it is refused.  The
 * nodes are the run's (its snapshot's "nodes": an edit of the workflow
 * does not change a run in flight); the limits are the workflow's, as
 * budget_reserve() enforces them, read only when a model is unpriced
 * (so most runs cost no round trip here).  GRANTED (nothing to object to),
 * REFUSED with why naming the model and the node, or BUDGET_DB_ERROR.
 */
int budget_check_priced(struct db *db, int64_t workflow_id, const json_t *nodes, char *why,
			size_t whylen);

/* The pure part: 1 with why when an ai_model node of nodes (NodeOut
 * objects) names no model or one with no price, else 0. */
int budget_unpriced_model(const json_t *nodes, char *why, size_t whylen);
/* 1 when every ai_model node of nodes names a model with a price, asked
 * without logging an unknown one (that is logged when it is called). */
int budget_all_priced(const json_t *nodes);

/*
 * A call's worst case: input_tokens (estimated from the trimmed context)
 * plus max_tokens, or the model's output cap when max_tokens <= 0; its
 * price rounded up to the micro-dollar.  price may be unpriced (0 USD).
 */
void budget_estimate(const struct model_price *price, long input_tokens, long max_tokens,
		     int64_t *tokens, int64_t *usd_micros);

/* A settled call's cost in micro-dollars (rounded to the nearest). */
int64_t budget_cost_micros(const struct model_price *price, long tokens_in, long tokens_out);

/* Writes micro-dollars as a JSON number of USD (0.00036). */
void budget_write_usd(struct jw *w, int64_t micros);

/* Writes "budget_today": {"tokens": n, "usd": x} into an open object. */
void budget_write_today(struct jw *w, int64_t tokens, int64_t usd_micros);

#endif
