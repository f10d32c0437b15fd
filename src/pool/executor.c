/* executor.c: an executor, one of the pool's children.  It claims no
 * work yet; it holds its own database handle, prunes old executions when
 * EXECUTION_RETENTION asks for it, and waits for SIGTERM. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* ppoll */
#endif
#include "children.h"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "model/prune.h"
#include "util/config.h"
#include "util/log.h"
#include "util/signals.h"

/* Set from the signal handler, read by the wait loop. */
static volatile sig_atomic_t executor_stop;

static void
on_stop_signal(int sig)
{
	executor_stop = 1;
}

/* Applies EXECUTION_RETENTION once.  Every executor on every host may do
 * this at the same time: each batch is its own short transaction and a
 * row already deleted by another is simply not found. */
static void
prune_expired(struct db *db, const struct config *cfg)
{
	struct prune_result res;
	char *err = NULL;
	if (prune_executions(db, cfg->execution_retention_seconds,
			     cfg->execution_retention_keep_failed, 500, 0, NULL, &res, &err) != 0) {
		log_warn("execution retention: %s", err);
		free(err);
	} else if (res.executions > 0) {
		log_info("execution retention: deleted %lld executions and %lld log rows",
			 (long long)res.executions, (long long)res.logs);
	}
}

/* Sleeps until a stop signal, or for at most seconds when positive. */
static void
wait_for_stop(const sigset_t *wait_mask, long seconds)
{
	struct timespec ts = { .tv_sec = seconds, .tv_nsec = 0 };
	ppoll(NULL, 0, seconds > 0 ? &ts : NULL, wait_mask);
}

int
executor_main(const struct config *cfg)
{
	log_set_tag("Executor");
	sigset_t wait_mask;
	executor_stop = 0;
	signals_install_child_stop(on_stop_signal, &wait_mask);
	char *err = NULL;
	struct db *db = db_open(cfg->database_url, &err);
	if (db == NULL) {
		log_error("cannot open the database: %s", err ? err : "unknown error");
		free(err);
	}
	log_info("idle: no work to claim yet");
	int retention = db != NULL && cfg->execution_retention_seconds > 0;
	while (!executor_stop) {
		if (retention)
			prune_expired(db, cfg);
		if (!executor_stop)
			wait_for_stop(&wait_mask, retention ? cfg->execution_prune_interval_seconds : 0);
	}
	if (db != NULL)
		db_close(db);
	return 0;
}
