/*
 * webhook_delivery.h: whether a webhook may take one more delivery, by
 * its limits (rate_limit_per_minute, max_concurrency), counted in the
 * database so that they hold across responders and hosts.
 *
 * Rate: the executions the webhook's trigger node started in the last 60
 * seconds (a sliding window over workflow_executions.started_at).
 * Concurrency: its executions still pending or running.  Both are read in
 * the caller's write transaction, after the webhook's row is locked
 * (PostgreSQL: SELECT ... FOR UPDATE; SQLite: the write lock), so two
 * deliveries racing for the last slot cannot both take it; the caller
 * starts the execution in the same transaction.  A webhook without limits
 * has nothing to count and takes no lock: its deliveries run side by
 * side instead of one commit after the other.
 */
#ifndef PIPELIT_MODEL_WEBHOOK_DELIVERY_H
#define PIPELIT_MODEL_WEBHOOK_DELIVERY_H

#include <stdint.h>

#include "db/db.h"

enum webhook_admit {
	WEBHOOK_ADMIT_OK = 0,
	WEBHOOK_ADMIT_RATE = 1,         /* rate_limit_per_minute reached */
	WEBHOOK_ADMIT_CONCURRENCY = 2,  /* max_concurrency reached */
	WEBHOOK_ADMIT_GONE = 3,         /* the webhook was deleted meanwhile */
	WEBHOOK_ADMIT_DB_ERROR = DB_FAILED,
};

/*
 * Inside the caller's write transaction: locks the webhook of node_pk and
 * checks its limits (0: none; with neither, WEBHOOK_ADMIT_OK at once,
 * without the lock).  *retry_after (seconds, at least 1) says when to try
 * again after WEBHOOK_ADMIT_RATE or _CONCURRENCY.
 */
int webhook_delivery_admit(struct db *db, int64_t node_pk, int rate_per_minute,
			   int max_concurrency, int64_t now_ms, int *retry_after);

#endif
