/* trigger.c: see trigger.h. */
#include "engine/trigger.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "db/db.h"
#include "engine/engine.h"
#include "engine/topology.h"
#include "engine/trigger_relay.h"
#include "events/publisher.h"
#include "events/ticket.h"
#include "events/webhook_result.h"
#include "model/job.h"
#include "model/start_cache.h"
#include "net/multi_epoll.h"
#include "net/transfer.h"
#include "util/config.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/wake.h"
#include "util/xalloc.h"

/* How long the executors' wake-up may wait for a trigger's events to
 * reach nginx (nginx down or slow: they are woken anyway; the executors'
 * later events may then overtake the trigger's, and clients that see the
 * gap reload from REST). */
#define WAKE_WAIT_MS 2000

/* Events a responder keeps waiting for nginx at most; beyond, the oldest
 * are dropped (an executor keeps PUBLISHER_QUEUE_MAX: it has more to say,
 * and a responder's memory counts several times over). */
#define TRIGGER_QUEUE_MAX 1000

/* An execution whose trigger queued work for the executors: they are
 * woken once its events are with nginx, so theirs follow on its channel. */
struct pending_wake {
	char key[EVENTS_CHANNEL_MAX + 1];   /* its ordering key, "execution:<id>" */
	int64_t by_ms;                      /* woken by then in any case (monotonic) */
};

/* This process's trigger engine, made on first use: one database handle
 * and configuration per process, as the engine's own are. */
static struct engine *trigger_engine;

/* The wake-ups waiting for their executions' events (one process, one
 * engine: kept beside it). */
static struct pending_wake *wakes;
static size_t n_wakes, cap_wakes;

static struct engine *
engine_for(const struct config *cfg, struct db *db)
{
	struct engine *e = trigger_engine;
	if (e == NULL) {
		e = xcalloc(1, sizeof *e);
		e->cfg = cfg;
		e->owner[0] = '\0';          /* runs no jobs: what is due goes to the queue */
		e->max_attempts = 4;         /* as the executors' (engine_new) */
		e->wake_fd = e->notify_fd = -1;
		e->cache_index = json_object();
		e->multi = curl_multi_init();
		/* Driven by the accept loop between requests (or by
		 * engine_trigger_flush()): nothing waits for nginx. */
		e->loop = multi_epoll_new(e->multi);
		e->pub = e->loop ? publisher_new(cfg, e->multi) : NULL;
		publisher_set_queue_max(e->pub, TRIGGER_QUEUE_MAX);
		e->start_cache = start_cache_new();
		trigger_engine = e;
	}
	/* The handle may have been reopened since the last trigger. */
	e->db = db;
	e->lease_ms = (int64_t)cfg->zombie_threshold_seconds * 1000;
	return e;
}

void
trigger_outcome_clear(struct trigger_outcome *o)
{
	free(o->webhook_answer);
	memset(o, 0, sizeof *o);
}

/* The answer a synchronous webhook's caller waits for, from the event
 * that ended the execution (NULL when it has not ended, or its trigger is
 * not a synchronous webhook). */
static char *
webhook_answer(const struct engine *e, const struct exec_entry *x)
{
	if (x->topo == NULL || x->topo->start < 0)
		return NULL;
	for (size_t i = e->n_held; i-- > 0;) {
		const struct held_event *h = &e->held[i];
		if (h->x != x)
			continue;
		char *answer = webhook_result_message(x->topo->nodes[x->topo->start].node, x->id,
						      h->type, h->data, x->state);
		if (answer != NULL)
			return answer;
	}
	return NULL;
}

/* Runs the new execution id in the open transaction (or queues its
 * trigger job when it cannot run here).  EXEC_OK or DB_FAILED. */
static int
run_started(struct engine *e, const struct exec_start *rq, const char *id, struct exec_row *row,
	    struct trigger_outcome *out)
{
	/* Made from the row as written: nothing is read back. */
	struct exec_entry *x = engine_exec_adopt(e, row);
	if (x == NULL)
		return DB_FAILED;        /* written by this transaction: only the database fails */
	int64_t now = time_now_ms();
	if (x->deadline_ms > 0 && now > x->deadline_ms) {
		/* Its trigger job fails it, as an executor's would. */
		snprintf(out->status, sizeof out->status, "pending");
		out->queued = 1;
		if (engine_exec_write_row(e, x) != 0)
			return DB_FAILED;
		return execution_queue_start(e->db, id, x->trigger_node_id, now, rq->no_notify);
	}
	/* The executors are woken after this run's events are published
	 * (engine_trigger_publish), not by the commit: their events of the
	 * same execution then follow these on its channel.  When nobody
	 * watches its channels there is no order to keep: the NOTIFY rides
	 * the commit (no round trip of its own, and the executors start as it
	 * lands).  Someone who starts watching in between may see an
	 * executor's event before the trigger's, a gap a client reloads from
	 * REST, as after any reconnect. */
	int ride = !rq->no_notify && !publisher_wants_execution(e->pub, id, x->slug);
	int woke_before = e->held_wake;
	if (engine_start_inline(e, x, !ride, out->status, sizeof out->status) != 0)
		return DB_FAILED;
	if (e->held_wake)
		e->held_wake_rode = ride && (woke_before ? e->held_wake_rode : 1);
	out->queued = e->held_wake != 0;
	out->webhook_answer = webhook_answer(e, x);
	return EXEC_OK;
}

/* One attempt at the trigger's transaction, with cache as exec_start's;
 * *from_cache as exec_start's. */
static int
start_once(struct db *db, struct engine *e, const struct exec_start *rq, struct start_cache *cache,
	   int *from_cache, char *execution_id_out, struct trigger_outcome *out)
{
	memset(out, 0, sizeof *out);
	int own = !db_in_transaction(db);
	if (own && db_begin_write(db) != 0)
		return DB_FAILED;
	struct exec_start q = *rq;
	q.no_first_job = 1;
	q.defer_row = 1;             /* written once, as the inline run leaves it */
	q.cache = cache;
	q.from_cache = from_cache;
	char id[EXEC_ID_MAX + 1];
	struct exec_row row = { 0 };
	int rc = execution_start_row(db, &q, id, &row);
	if (rc == EXEC_OK)
		rc = run_started(e, rq, id, &row, out);
	exec_row_clear(&row);
	if (rc == DB_FAILED) {
		/* The transaction is lost (the caller rolls it back): so is
		 * everything held for it. */
		trigger_outcome_clear(out);
		engine_trigger_abandon();
		return own ? db_abandon(db) : DB_FAILED;
	}
	if (rc != EXEC_OK) {
		if (own)
			db_rollback(db);
		return rc;
	}
	if (own && db_commit(db) != 0) {
		trigger_outcome_clear(out);
		engine_trigger_abandon();
		return db_abandon(db);
	}
	memcpy(execution_id_out, id, sizeof id);
	return EXEC_OK;
}

int
engine_trigger_start(struct db *db, const struct config *cfg, const struct exec_start *rq,
		     char *execution_id_out, struct trigger_outcome *out)
{
	/* A transaction of its own: one the host's writer may share with
	 * others (engine/trigger_relay.h).  An id chosen by the caller is a
	 * request the writer already took, or a schedule's claim. */
	if (!db_in_transaction(db) && !rq->again && rq->execution_id == NULL) {
		int rc = trigger_relay_start(cfg, db, rq, execution_id_out, out);
		if (rc != TRIGGER_RELAY_UNAVAILABLE)
			return rc;
	}
	struct engine *e = engine_for(cfg, db);
	if (rq->again) {
		/* The last attempt failed on a stale entry: what it held goes,
		 * and so does the cache. */
		engine_trigger_abandon();
		start_cache_clear(e->start_cache);
	}
	int own = !db_in_transaction(db), from_cache = 0;
	int rc = start_once(db, e, rq, rq->again ? NULL : e->start_cache, &from_cache,
			    execution_id_out, out);
	if (own && start_cache_was_stale(db, rc, from_cache)) {
		/* Our own transaction: started again here, with the lookup. */
		start_cache_clear(e->start_cache);
		from_cache = 0;
		rc = start_once(db, e, rq, NULL, &from_cache, execution_id_out, out);
	}
	out->from_cache = from_cache;
	if (rc == EXEC_OK && rq->result_answered)
		engine_trigger_result_answered(execution_id_out);
	return rc;
}

/* Wakes the executors of every host: a NOTIFY on db (when there is one)
 * and the local wake-up. */
static void
wake_all(struct engine *e, struct db *db)
{
	if (db != NULL && execution_notify_executors(db) != EXEC_OK)
		log_warn("engine: waking the executors failed (%s)", db_errmsg(db));
	wake_executors(e->cfg);
}

/* Wakes the executors when a pending wake-up's execution has nothing
 * left to send, or its time is up (all of them when force). */
static void
wake_when_sent(struct engine *e, struct db *db, int force)
{
	int64_t now = time_mono_ms();
	int due = 0;
	size_t kept = 0;
	for (size_t i = 0; i < n_wakes; i++) {
		if (force || now >= wakes[i].by_ms || publisher_key_idle(e->pub, wakes[i].key))
			due = 1;
		else
			wakes[kept++] = wakes[i];
	}
	n_wakes = kept;
	if (due)
		wake_all(e, db);
}

/* Starts what the publisher may send now and takes in what finished;
 * waits for nothing. */
static void
pump(struct engine *e)
{
	if (e->loop == NULL)
		return;
	publisher_pump(e->pub);
	multi_epoll_kick(e->loop);          /* transfers just added start here */
	transfer_finish_all(e->multi);
	publisher_pump(e->pub);             /* what finishing made ready */
}

static void
pend_wake(const char *execution_id)
{
	if (n_wakes == cap_wakes) {
		cap_wakes = cap_wakes ? cap_wakes * 2 : 16;
		wakes = xrealloc(wakes, cap_wakes * sizeof *wakes);
	}
	struct pending_wake *w = &wakes[n_wakes++];
	snprintf(w->key, sizeof w->key, "execution:%s", execution_id);
	w->by_ms = time_mono_ms() + WAKE_WAIT_MS;
}

void
engine_trigger_publish(void)
{
	struct engine *e = trigger_engine;
	if (e == NULL)
		return;
	int wake = e->held_wake, rode = e->held_wake_rode;
	e->held_wake = e->held_wake_rode = 0;
	if (wake && rode)
		wake_executors(e->cfg);     /* the NOTIFY went with the commit */
	else if (wake) {
		/* The executions whose events the executors' must follow. */
		const char *last = NULL;
		for (size_t i = 0; i < e->n_held; i++)
			if (last == NULL || strcmp(last, e->held[i].x->id) != 0)
				pend_wake(last = e->held[i].x->id);
		if (e->n_held == 0)
			pend_wake("");       /* nothing to wait for: woken below */
	}
	if (e->n_held > 0 || e->held_gateway)
		engine_release_held(e);
	engine_exec_drop_all(e);
	pump(e);
	/* Outside any transaction: the NOTIFY goes out at once.  The
	 * request's handle is still the engine's. */
	wake_when_sent(e, e->db, 0);
}

int
engine_trigger_poll_fds(struct pollfd *fds, int max, int *timeout_ms)
{
	struct engine *e = trigger_engine;
	if (e == NULL || e->loop == NULL || max < 1 ||
	    (publisher_backlog(e->pub) == 0 && n_wakes == 0))
		return 0;
	long due = multi_epoll_timeout_ms(e->loop);
	int64_t now = time_mono_ms();
	for (size_t i = 0; i < n_wakes; i++) {
		long left = wakes[i].by_ms > now ? (long)(wakes[i].by_ms - now) : 0;
		if (due < 0 || left < due)
			due = left;
	}
	if (due >= 0 && (*timeout_ms < 0 || due < *timeout_ms))
		*timeout_ms = (int)due;
	fds[0] = (struct pollfd){ .fd = multi_epoll_fd(e->loop), .events = POLLIN };
	return 1;
}

void
engine_trigger_poll_run(struct db *db)
{
	struct engine *e = trigger_engine;
	if (e == NULL || e->loop == NULL || (publisher_backlog(e->pub) == 0 && n_wakes == 0))
		return;
	multi_epoll_wait(e->loop, 0);
	transfer_finish_all(e->multi);
	pump(e);
	wake_when_sent(e, db, 0);
}

void
engine_trigger_flush(struct db *db, long wait_ms)
{
	struct engine *e = trigger_engine;
	if (e == NULL || e->loop == NULL)
		return;
	int64_t until = time_mono_ms() + wait_ms;
	for (;;) {
		pump(e);
		wake_when_sent(e, db, 0);
		int64_t left = until - time_mono_ms();
		if (publisher_backlog(e->pub) == 0 || left <= 0)
			break;
		multi_epoll_wait(e->loop, left > 50 ? 50 : (long)left);
		transfer_finish_all(e->multi);
	}
	/* What is still queued stays queued (a command may go on); the
	 * executors wait no longer. */
	wake_when_sent(e, db, 1);
}

void
engine_trigger_abandon(void)
{
	struct engine *e = trigger_engine;
	if (e == NULL)
		return;
	engine_discard_held(e);
	engine_exec_drop_all(e);
}

void
engine_trigger_result_answered(const char *execution_id)
{
	struct engine *e = trigger_engine;
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->n_held; i++)
		if (strcmp(e->held[i].x->id, execution_id) == 0)
			e->held[i].x->result_answered = 1;
}
