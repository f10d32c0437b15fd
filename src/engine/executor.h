/*
 * executor.h: the engine as the pool's executor process uses it.
 */
#ifndef PIPELIT_ENGINE_EXECUTOR_H
#define PIPELIT_ENGINE_EXECUTOR_H

#include <signal.h>

struct config;
struct db;
struct engine;

/* An engine over db (borrowed, owned by the process); NULL when libcurl
 * or epoll cannot be had. */
struct engine *engine_new(const struct config *cfg, struct db *db);
void engine_free(struct engine *e);

/* The name its job leases carry (model/job.h), unique to this process. */
const char *engine_owner(const struct engine *e);

/* fn(arg) runs at each turn of engine_run's loop, and at each step of a
 * long pass and of a retry: a watchdog's sign of life. */
void engine_on_turn(struct engine *e, void (*fn)(void *), void *arg);

/* Makes the jobs and messages leased to owner (an executor known to be
 * gone) due now, so they run again at once rather than when their leases
 * run out; 0, or -1 when the database failed. */
int engine_give_back_leases(struct engine *e, const char *owner);

/*
 * Runs until *stop is set (by a signal handler).  extra_wait_ms (may be
 * NULL) bounds each sleep for the caller's own timers (-1: none); on_idle
 * runs once per pass (the caller's periodic work).  On the way out the
 * jobs it leased and did not run are given back.
 */
void engine_run(struct engine *e, volatile sig_atomic_t *stop, long (*extra_wait_ms)(void *),
		void (*on_idle)(void *), void *arg);

#endif
