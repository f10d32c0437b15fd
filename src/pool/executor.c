/* executor.c: an executor, one of the pool's children: it runs the
 * engine (engine/executor.h) on its own database handle until SIGTERM, and
 * prunes old executions when EXECUTION_RETENTION asks for it. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "children.h"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "engine/executor.h"
#include "model/prune.h"
#include "pool/memory.h"
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

/* The executor's own timer: retention runs every prune interval. */
struct executor_timers {
	struct db *db;
	const struct config *cfg;
	int64_t next_prune_ms;       /* 0: retention is off */
};

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
	prune_expired(t->db, t->cfg);
	t->next_prune_ms = time_now_ms() + t->cfg->execution_prune_interval_seconds * 1000;
}

static void
on_timers(void *arg)
{
	struct executor_timers *t = arg;
	settings_live_check_asked(t->db);
	prune_when_due(arg);
	memory_give_back();
}

int
executor_main(const struct config *cfg)
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
	struct executor_timers timers = { .db = db, .cfg = cfg };
	if (cfg->execution_retention_seconds > 0)
		timers.next_prune_ms = time_now_ms();
	struct engine *engine = engine_new(cfg, db);
	if (engine == NULL) {
		log_error("cannot start the engine (libcurl or epoll failed)");
		db_close(db);
		return 1;
	}
	engine_run(engine, &executor_stop, until_timer, on_timers, &timers);
	engine_free(engine);
	db_close(db);
	return 0;
}
