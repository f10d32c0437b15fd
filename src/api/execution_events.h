/*
 * execution_events.h: the live events the executions API publishes after
 * its commits (the executors publish the rest).  Best effort, as every
 * publish: a client that missed one reloads from REST.
 */
#ifndef PIPELIT_API_EXECUTION_EVENTS_H
#define PIPELIT_API_EXECUTION_EVENTS_H

#include <stdint.h>

struct config;
struct exec_cancelled_list;

/* execution_cancelled {execution_id} with the execution's event sequence
 * number seq, on execution:<id> and workflow:<slug>. */
void execution_event_cancelled(const struct config *cfg, const char *slug,
			       const char *execution_id, int64_t seq);

/* The same for each execution a change cancelled (a workflow's delete),
 * then a wake-up for the executors that were running them. */
void execution_events_cancelled(const struct config *cfg, const struct exec_cancelled_list *l);

#endif
