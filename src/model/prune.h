/*
 * prune.h: deleting old executions ('pipelit db prune' and the executors'
 * periodic EXECUTION_RETENTION), in short batches so the pool's requests
 * are never held off for long.
 */
#ifndef PIPELIT_MODEL_PRUNE_H
#define PIPELIT_MODEL_PRUNE_H

#include <stdint.h>

struct db;
struct progress;

struct prune_result {
	int64_t executions;	/* deleted (or, in a dry run, that would be) */
	int64_t logs;		/* their execution_logs rows */
};

/*
 * Deletes the executions that finished (completed_at, else started_at)
 * more than older_than seconds ago, with their logs and pending tasks (by
 * cascade); running, pending and interrupted ones are never touched, and
 * failed ones are kept when keep_failed.  Each batch of at most batch
 * executions is its own write transaction.  dry_run only counts.
 * Returns 0, or -1 with a malloc'd message in *err (batches already
 * committed stay deleted and are counted in *out).
 */
int prune_executions(struct db *db, long older_than, int keep_failed, int batch, int dry_run,
		     struct progress *progress, struct prune_result *out, char **err);

/* The same, at most max_batches batches (an executor's turn: its loop
 * goes on between them).  0 when it is done, 1 when more may be left,
 * -1 with a malloc'd message in *err. */
int prune_executions_some(struct db *db, long older_than, int keep_failed, int batch,
			  int max_batches, struct prune_result *out, char **err);

#endif
