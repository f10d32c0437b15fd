/* execution_stats.c: executions per UTC day per workflow
 * (execution_stats.h).  Scoped as the executions list: by the owner of
 * the execution's workflow. */
#include "execution_stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "model/budget.h"
#include "model/execution.h"
#include "util/jsonw.h"
#include "util/xalloc.h"

/* started_at is UTC (text on SQLite, a timestamp on PostgreSQL: doc/dialect.md):
 * as text its first ten characters are the day, and the window's start
 * compares with it on both, so the window is a range over its index. */
#define DAY_OF_START "substr(CAST(e.started_at AS TEXT), 1, 10)"
#define STATS_SELECT \
	"SELECT " DAY_OF_START ", w.slug, COUNT(*), " \
	"SUM(CASE WHEN e.status = 'failed' THEN 1 ELSE 0 END), " \
	"COALESCE(SUM(e.total_cost_usd), 0), CAST(COALESCE(SUM(e.total_tokens), 0) AS BIGINT) " \
	"FROM workflow_executions e JOIN workflows w ON w.id = e.workflow_id " \
	"WHERE e.started_at >= ?"

int
execution_stats_write(struct db *db, const struct exec_stats_query *q, struct jw *w)
{
	char *sql = xasprintf(STATS_SELECT "%s%s GROUP BY " DAY_OF_START ", w.slug "
			      "ORDER BY 1, 2",
			      q->owner != EXEC_ANY_OWNER ? " AND w.owner_id = ?" : "",
			      q->workflow_slug ? " AND w.slug = ?" : "");
	struct db_stmt *st = db_prepare(db, sql);
	free(sql);
	if (st == NULL)
		return db_abandon(db);
	char from[32];
	snprintf(from, sizeof from, "%s 00:00:00.000000", q->from_day);
	int i = 1;
	db_bind_text(st, i++, from, -1);
	if (q->owner != EXEC_ANY_OWNER)
		db_bind_int64(st, i++, q->owner);
	if (q->workflow_slug)
		db_bind_text(st, i++, q->workflow_slug, -1);
	jw_obj_begin(w);
	jw_kint(w, "days", q->days);
	jw_kstr(w, "from", q->from_day);
	JW_KEY(w, "items");
	jw_arr_begin(w);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		jw_obj_begin(w);
		jw_kstr(w, "day", db_column_text(st, 0));
		jw_kstr(w, "workflow_slug", db_column_text(st, 1));
		jw_kint(w, "executions", db_column_int64(st, 2));
		jw_kint(w, "failed", db_column_int64(st, 3));
		/* Sums of NUMERIC(12,6): rounded to the micro-dollar they count in. */
		JW_KEY(w, "cost_usd");
		budget_write_usd(w, llround(db_column_double(st, 4) * 1e6));
		jw_kint(w, "tokens", db_column_int64(st, 5));
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
	db_reset(st);
	return rc == DB_DONE ? EXEC_OK : db_abandon(db);
}
