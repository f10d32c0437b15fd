/*
 * dispatcher.h: the executor's side of schedules.  An executor calls
 * sched_dispatch() in each pass: due schedules start their executions
 * (model/schedule.h: exactly once per due time), the trigger nodes whose
 * schedule changed get a node_updated event, and the answer says when the
 * next schedule falls due, so the executor sleeps until then (or until a
 * change wakes it) instead of looking again.
 */
#ifndef PIPELIT_SCHED_DISPATCHER_H
#define PIPELIT_SCHED_DISPATCHER_H

#include <stdint.h>

struct db;
struct publisher;

/* Dispatches what is due at now_ms; the next due time (unix ms), or -1
 * when no schedule is active.  A database failure is logged and answered
 * with a time a second away, to try again. */
int64_t sched_dispatch(struct db *db, struct publisher *pub, int64_t now_ms);

/* The shorter of wait_ms (-1: until woken) and the time from now_ms to
 * due_ms (-1: none), for the executor's sleep. */
long sched_wait_ms(long wait_ms, int64_t due_ms, int64_t now_ms);

/* At an executor's start: the missed-run policies of schedules whose due
 * time passed while no pool ran (model/schedule.h: schedule_recover). */
void sched_recover(struct db *db, int64_t now_ms);

#endif
