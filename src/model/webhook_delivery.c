/* webhook_delivery.c: see webhook_delivery.h. */
#include "webhook_delivery.h"

#include "util/timefmt.h"

#define WINDOW_MS 60000

/* Locks the webhook's row for the rest of the transaction; 1 when it
 * exists, 0 when not, -1 on failure. */
static int
lock_webhook(struct db *db, int64_t node_pk)
{
	struct db_stmt *st = db_prepare(db, db_backend_of(db) == DB_POSTGRES ?
		"SELECT 1 FROM webhook_paths WHERE node_pk = ? FOR UPDATE" :
		"SELECT 1 FROM webhook_paths WHERE node_pk = ?");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, node_pk);
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
}

static int
in_flight(struct db *db, int64_t node_pk, int64_t *n)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT count(*) FROM workflow_executions "
		"WHERE trigger_node_id = ? AND status IN ('pending', 'running')");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, node_pk);
	int rc = db_step(st);
	if (rc == DB_ROW)
		*n = db_column_int64(st, 0);
	db_reset(st);
	return rc == DB_ROW ? 0 : -1;
}

/* The executions started within the window, and when the oldest of the
 * last `limit` of them leaves it (unix ms). */
static int
recent(struct db *db, int64_t node_pk, int64_t now_ms, int limit, int64_t *n,
       int64_t *frees_at_ms)
{
	char since[TIME_DB_LEN];
	time_ms_to_db(now_ms - WINDOW_MS, since);
	struct db_stmt *st = db_prepare(db,
		"SELECT started_at FROM workflow_executions "
		"WHERE trigger_node_id = ? AND started_at >= ? "
		"ORDER BY started_at DESC LIMIT ?");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, node_pk);
	db_bind_text(st, 2, since, -1);
	db_bind_int64(st, 3, limit);
	int rc;
	*n = 0;
	*frees_at_ms = now_ms + WINDOW_MS;
	while ((rc = db_step(st)) == DB_ROW) {
		(*n)++;
		int64_t epoch;
		int micros;
		if (time_db_to_epoch(db_column_text(st, 0), &epoch, &micros) == 0)
			*frees_at_ms = epoch * 1000 + micros / 1000 + WINDOW_MS;
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

int
webhook_delivery_admit(struct db *db, int64_t node_pk, int rate_per_minute, int max_concurrency,
		       int64_t now_ms, int *retry_after)
{
	*retry_after = 1;
	/* Nothing to count: no lock, no round trip, and the webhook's
	 * deliveries do not wait for each other's commits.  One deleted
	 * since the caller found it still starts nothing: the start looks
	 * its trigger node up again, or takes it from its cache and the
	 * execution's INSERT checks the workflow's revision, which the
	 * delete moved (model/start_cache.h). */
	if (max_concurrency <= 0 && rate_per_minute <= 0)
		return WEBHOOK_ADMIT_OK;
	int locked = lock_webhook(db, node_pk);
	if (locked <= 0)
		return locked == 0 ? WEBHOOK_ADMIT_GONE : WEBHOOK_ADMIT_DB_ERROR;
	if (max_concurrency > 0) {
		int64_t n = 0;
		if (in_flight(db, node_pk, &n) != 0)
			return WEBHOOK_ADMIT_DB_ERROR;
		if (n >= max_concurrency)
			return WEBHOOK_ADMIT_CONCURRENCY;
	}
	if (rate_per_minute > 0) {
		int64_t n = 0, frees_at = 0;
		if (recent(db, node_pk, now_ms, rate_per_minute, &n, &frees_at) != 0)
			return WEBHOOK_ADMIT_DB_ERROR;
		if (n >= rate_per_minute) {
			int64_t wait_ms = frees_at - now_ms;
			*retry_after = wait_ms <= 1000 ? 1 : (int)((wait_ms + 999) / 1000);
			return WEBHOOK_ADMIT_RATE;
		}
	}
	return WEBHOOK_ADMIT_OK;
}
