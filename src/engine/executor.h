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

/*
 * Runs until *stop is set (by a signal handler).  extra_wait_ms (may be
 * NULL) bounds each sleep for the caller's own timers (-1: none); on_idle
 * runs once per pass (the caller's periodic work).
 */
void engine_run(struct engine *e, volatile sig_atomic_t *stop, long (*extra_wait_ms)(void *),
		void (*on_idle)(void *), void *arg);

#endif
