/*
 * execution_stats.h: executions per UTC day per workflow (the UI's charts):
 * how many started, how many failed, what their LLM calls cost and used.
 */
#ifndef PIPELIT_MODEL_EXECUTION_STATS_H
#define PIPELIT_MODEL_EXECUTION_STATS_H

#include <stdint.h>

#include "db/db.h"

struct jw;

#define EXEC_STATS_DAYS_MAX 366

struct exec_stats_query {
	int64_t owner;                 /* EXEC_ANY_OWNER (admins) or a user id */
	const char *workflow_slug;     /* NULL: every workflow in scope */
	const char *from_day;          /* "YYYY-MM-DD": the first UTC day counted */
	int64_t days;                  /* the window's length, echoed in the answer */
};

/*
 * {"days": n, "from": day, "items": [{day, workflow_slug, executions,
 * failed, cost_usd, tokens}...]} for the executions that started on or
 * after from_day, by day then slug; days and workflows without executions
 * are left out.  EXEC_OK or EXEC_DB_ERROR (execution.h).
 */
int execution_stats_write(struct db *db, const struct exec_stats_query *q, struct jw *w);

#endif
