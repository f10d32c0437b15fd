/* prune.c: see prune.h. */
#include "model/prune.h"
#include "util/progress.h"

#include <stdlib.h>
#include <time.h>

#include "db/db.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

/* The executions a prune may take: finished before the cut-off, and in a
 * final state.  A row with neither timestamp has no age and stays. */
#define OLD_FINISHED                                                                \
	"status NOT IN ('running', 'pending', 'interrupted') "                     \
	"AND (CAST(? AS INTEGER) = 0 OR status <> 'failed') "                      \
	"AND COALESCE(completed_at, started_at) < ?"

#define ONE_BATCH                                                                   \
	"SELECT execution_id FROM workflow_executions WHERE " OLD_FINISHED         \
	" ORDER BY execution_id LIMIT ?"

static void
bind_filter(struct db_stmt *st, int keep_failed, const char *cutoff)
{
	db_bind_int64(st, 1, keep_failed ? 1 : 0);
	db_bind_text(st, 2, cutoff, -1);
}

static int
query_count(struct db *db, const char *sql, int keep_failed, const char *cutoff, int limit,
	    int64_t *n)
{
	struct db_stmt *st = db_prepare(db, sql);
	if (st == NULL)
		return -1;
	bind_filter(st, keep_failed, cutoff);
	if (limit > 0)
		db_bind_int64(st, 3, limit);
	int rc = db_step(st);
	if (rc == DB_ROW)
		*n = db_column_int64(st, 0);
	db_reset(st);
	return rc == DB_ROW ? 0 : -1;
}

static int
count_candidates(struct db *db, int keep_failed, const char *cutoff, struct prune_result *out)
{
	if (query_count(db, "SELECT COUNT(*) FROM workflow_executions WHERE " OLD_FINISHED,
			keep_failed, cutoff, 0, &out->executions) != 0)
		return -1;
	return query_count(db,
			   "SELECT COUNT(*) FROM execution_logs WHERE execution_id IN "
			   "(SELECT execution_id FROM workflow_executions WHERE " OLD_FINISHED ")",
			   keep_failed, cutoff, 0, &out->logs);
}

/* One batch in its own write transaction; *gone is how many executions. */
static int
delete_batch(struct db *db, int keep_failed, const char *cutoff, int batch, int64_t *gone,
	     int64_t *logs)
{
	if (db_begin_write(db) != 0)
		return -1;
	if (query_count(db, "SELECT COUNT(*) FROM execution_logs WHERE execution_id IN (" ONE_BATCH ")",
			keep_failed, cutoff, batch, logs) != 0)
		goto fail;
	struct db_stmt *st = db_prepare(db, "DELETE FROM workflow_executions WHERE execution_id IN ("
					    ONE_BATCH ")");
	if (st == NULL)
		goto fail;
	bind_filter(st, keep_failed, cutoff);
	db_bind_int64(st, 3, batch);
	int rc = db_step(st);
	*gone = db_changes(st);
	db_reset(st);
	if (rc == DB_ERROR || db_commit(db) != 0)
		goto fail;
	return 0;
fail:
	if (db_in_transaction(db))
		db_rollback(db);
	return -1;
}

/* Deletes batches until none is full or max_batches (0: no limit) were
 * deleted: 0 done, 1 when more may be left, -1 on error. */
static int
delete_batches(struct db *db, int keep_failed, const char *cutoff, int batch, int max_batches,
	       struct progress *progress, struct prune_result *out, char **err)
{
	for (int n = 1;; n++) {
		int64_t gone = 0, logs = 0;
		if (delete_batch(db, keep_failed, cutoff, batch, &gone, &logs) != 0) {
			*err = xasprintf("cannot delete old executions: %s", db_errmsg(db));
			return -1;
		}
		out->executions += gone;
		out->logs += logs;
		progress_add(progress, gone);
		if (gone < batch)
			return 0;
		if (n == max_batches)
			return 1;
	}
}

int
prune_executions(struct db *db, long older_than, int keep_failed, int batch, int dry_run,
		 struct progress *progress, struct prune_result *out, char **err)
{
	out->executions = out->logs = 0;
	char cutoff[TIME_DB_LEN];
	time_epoch_to_db((int64_t)time(NULL) - older_than, cutoff);
	if (batch < 1)
		batch = 1;
	if (dry_run) {
		if (count_candidates(db, keep_failed, cutoff, out) == 0)
			return 0;
		*err = xasprintf("cannot count old executions: %s", db_errmsg(db));
		return -1;
	}
	if (progress != NULL) {
		struct prune_result todo;
		if (count_candidates(db, keep_failed, cutoff, &todo) == 0)
			progress_set_total(progress, todo.executions);
	}
	return delete_batches(db, keep_failed, cutoff, batch, 0, progress, out, err) < 0 ? -1 : 0;
}

int
prune_executions_some(struct db *db, long older_than, int keep_failed, int batch,
		      int max_batches, struct prune_result *out, char **err)
{
	out->executions = out->logs = 0;
	char cutoff[TIME_DB_LEN];
	time_epoch_to_db((int64_t)time(NULL) - older_than, cutoff);
	return delete_batches(db, keep_failed, cutoff, batch < 1 ? 1 : batch, max_batches, NULL,
			      out, err);
}
