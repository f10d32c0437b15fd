/*
 * trigger.h: a trigger's transaction runs what it can of its execution
 * (doc/engine.md, "Inline runs").
 *
 * Every trigger (execute, chat, webhook, inbound, `pipelit run`) writes
 * the execution row; then, in the same transaction, the trigger node runs
 * and the nodes after it that run inline (logic nodes: switch, router,
 * filter, merge, loop, wait, assertion, reply_chat) run as an executor's
 * commit would run them: the same log rows, state, events and final
 * status.  A logic-only workflow is thus one durable transaction from
 * trigger to its end.  Whatever does not run inline (an agent, a delayed
 * wait's successors, a retry, a human confirmation, a child workflow, or
 * nodes past the trigger's bound of 256) is queued as job rows for the
 * executors, and they are woken.  An execution this process cannot start
 * safely (past its deadline) gets its trigger job instead, as before.
 *
 * One engine per process (responder or command), with its graphs cached
 * across triggers; it runs no jobs and holds no leases.  Its events are
 * held until the caller has committed and answered:
 * engine_trigger_publish() once the answer is sent (queues the events on
 * the event publisher and starts sending them), or engine_trigger_abandon()
 * when the transaction rolled back.  Nothing waits for nginx: a
 * responder's accept loop drives the publisher between requests
 * (engine_trigger_poll_fds() / _poll_run(), registered through the loop's
 * background hook, http/fcgi_loop.h), and a command calls
 * engine_trigger_flush() before it goes on or exits.  The executors are
 * woken once the execution's events are with nginx (at most 2 s later),
 * so that theirs follow the trigger's on its channel.
 */
#ifndef PIPELIT_ENGINE_TRIGGER_H
#define PIPELIT_ENGINE_TRIGGER_H

#include <stddef.h>

#include "model/execution.h"

struct config;
struct db;

struct trigger_outcome {
	char status[16];             /* the execution's status as the transaction left it */
	int queued;                  /* work was queued for the executors */
	/* A synchronous webhook's answer (events/webhook_result.h) when the
	 * execution ended in the transaction; malloc'd, or NULL. */
	char *webhook_answer;
	/* The workflow was taken from the process's cache: the caller's
	 * transaction checks it, and fails on a constraint when it was stale
	 * (then run the trigger again with exec_start.again). */
	int from_cache;
};

void trigger_outcome_clear(struct trigger_outcome *o);

/*
 * execution_start() (model/execution.h) with the run described above, in
 * the caller's open write transaction or, when none is open, in its own
 * (committed here; the caller still calls engine_trigger_publish()).  Returns what execution_start() returns;
 * on anything but EXEC_OK nothing is held.
 */
int engine_trigger_start(struct db *db, const struct config *cfg, const struct exec_start *rq,
			 char *execution_id_out, struct trigger_outcome *out);

/* After the commit, once the answer is sent: queues the held events and
 * starts sending them; wakes the executors (every host's) when work was
 * queued, once the execution's events are sent. */
void engine_trigger_publish(void);

struct pollfd;
/* For a loop that waits in poll(2): fills fds (room for max) with what to
 * watch for the publishing still under way and returns how many (0: none,
 * nothing to do), lowering *timeout_ms (-1: no limit) to when it is due. */
int engine_trigger_poll_fds(struct pollfd *fds, int max, int *timeout_ms);
/* After such a wait (whatever ended it): sends and finishes what it can,
 * waking the executors through db (the caller's current handle, or NULL:
 * local wake-up only) when their turn came.  Waits for nothing. */
void engine_trigger_poll_run(struct db *db);
/* Sends what is queued, waiting up to wait_ms; then wakes the executors
 * still owed a wake-up.  Before a process exits, or a command goes on. */
void engine_trigger_flush(struct db *db, long wait_ms);
/* How long a process's last flush may take. */
#define ENGINE_TRIGGER_FLUSH_MS 2000
/* The transaction rolled back: nothing of it is published. */
void engine_trigger_abandon(void);

/* Before engine_trigger_publish(): nobody will wait in nginx for
 * execution_id's synchronous-webhook result (events/webhook_result.h),
 * since the caller's answer was the result itself (or a 202) and no
 * repeated delivery can ask for it again (it had no delivery id).  The
 * result is then not published: a request to nginx that nobody reads. */
void engine_trigger_result_answered(const char *execution_id);

#endif
