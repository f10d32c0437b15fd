/* executor.c: an executor, one of the pool's children: it runs the
 * engine (engine/executor.h) on its own database handle until SIGTERM,
 * prunes old executions when EXECUTION_RETENTION asks for it, and marks
 * each turn of its loop for the master's stall watch. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "children.h"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "engine/executor.h"
#include "model/prune.h"
#include "pool/memory.h"
#include "pool/scoreboard.h"
#include "model/setting_live.h"
#include "util/config.h"
#include "util/log.h"
#include "util/signals.h"
#include "util/timefmt.h"

/* Set from the signal handler, read by the wait loop. */
static volatile sig_atomic_t executor_stop;

static void
on_stop_signal(int sig)
{
	executor_stop = 1;
}

/* Batches of retention per turn of the loop: the executions waiting on
 * this executor run between them, and the loop turns often enough for the
 * master's stall watch (PIPELIT_STALL_TIMEOUT_SECONDS) however many rows
 * a first retention finds. */
#define PRUNE_BATCH 500
#define PRUNE_BATCHES_PER_TURN 4

/* The executor's own timer: retention runs every prune interval. */
struct executor_timers {
	struct db *db;
	const struct config *cfg;
	int64_t next_prune_ms;       /* 0: retention is off */
	struct prune_result pruned;  /* this round of retention, so far */
};

/* Applies EXECUTION_RETENTION, a few batches at a time: 1 while more may
 * be left.  Every executor on every host may do this at the same time:
 * each batch is its own short transaction and a row already deleted by
 * another is simply not found. */
static int
prune_some(struct executor_timers *t)
{
	const struct config *cfg = t->cfg;
	struct prune_result res;
	char *err = NULL;
	int rc = prune_executions_some(t->db, cfg->execution_retention_seconds,
				       cfg->execution_retention_keep_failed, PRUNE_BATCH,
				       PRUNE_BATCHES_PER_TURN, &res, &err);
	t->pruned.executions += res.executions;
	t->pruned.logs += res.logs;
	if (rc < 0) {
		log_warn("execution retention: %s", err);
		free(err);
	}
	if (rc == 1)
		return 1;
	if (t->pruned.executions > 0)
		log_info("execution retention: deleted %lld executions and %lld log rows",
			 (long long)t->pruned.executions, (long long)t->pruned.logs);
	t->pruned = (struct prune_result){ 0 };
	return 0;
}

static long
until_prune(void *arg)
{
	struct executor_timers *t = arg;
	if (t->next_prune_ms == 0)
		return -1;
	int64_t left = t->next_prune_ms - time_now_ms();
	return left < 0 ? 0 : (long)left;
}

/* The first of the executor's own timers: retention, and a settings
 * check a pass asked for (model/setting_live.h). */
static long
until_timer(void *arg)
{
	long prune = until_prune(arg);
	long check = settings_live_wait_ms();
	if (prune < 0 || (check >= 0 && check < prune))
		return check;
	return prune;
}

static void
prune_when_due(void *arg)
{
	struct executor_timers *t = arg;
	if (t->next_prune_ms == 0 || time_now_ms() < t->next_prune_ms)
		return;
	int more = prune_some(t);
	t->next_prune_ms = time_now_ms() +
			   (more ? 0 : t->cfg->execution_prune_interval_seconds * 1000);
}

static void
on_timers(void *arg)
{
	struct executor_timers *t = arg;
	settings_live_check_asked(t->db);
	prune_when_due(arg);
	memory_give_back();
}

/* Each turn of the engine's loop, and each step of a long pass. */
static void
on_turn(void *arg)
{
	const struct child_board *board = arg;
	scoreboard_turn(board->sb, board->entry);
}

/* The leases of the executors this one replaces (children.h), given back
 * before its first pass, which then claims their jobs.  Until the database
 * answers it keeps trying, as the engine does with its commits. */
static void
give_back_lost(struct engine *engine, const struct child_board *board,
	       const struct lost_leases *lost)
{
	for (int i = 0; i < lost->n && !executor_stop; i++) {
		while (!executor_stop && engine_give_back_leases(engine, lost->owner[i]) != 0) {
			on_turn((void *)board);
			usleep(200000);
		}
		log_info("the jobs leased to %s, an executor that is gone, are due again",
			 lost->owner[i]);
	}
	if (!executor_stop)
		scoreboard_gave_back(board->sb, board->entry);
}

int
executor_main(const struct config *cfg, const struct child_board *board,
	      const struct lost_leases *lost)
{
	log_set_tag("Executor");
	sigset_t wait_mask;
	executor_stop = 0;
	signals_install_child_stop(on_stop_signal, &wait_mask);
	/* The engine waits in poll(2); the stop signals must reach it there. */
	sigprocmask(SIG_SETMASK, &wait_mask, NULL);
	char *err = NULL;
	struct db *db = db_open(cfg->database_url, &err);
	if (db == NULL) {
		log_error("cannot open the database: %s", err ? err : "unknown error");
		free(err);
		return 1;
	}
	child_warm_up(db);
	struct executor_timers timers = { .db = db, .cfg = cfg };
	if (cfg->execution_retention_seconds > 0)
		timers.next_prune_ms = time_now_ms();
	struct engine *engine = engine_new(cfg, db);
	if (engine == NULL) {
		log_error("cannot start the engine (libcurl or epoll failed)");
		db_close(db);
		return 1;
	}
	scoreboard_lease_owner(board->sb, board->entry, engine_owner(engine));
	engine_on_turn(engine, on_turn, (void *)board);
	give_back_lost(engine, board, lost);
	engine_run(engine, &executor_stop, until_timer, on_timers, &timers);
	engine_free(engine);
	db_close(db);
	return 0;
}
