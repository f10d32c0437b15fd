/* trigger.c: see trigger.h. */
#include "engine/trigger.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "db/db.h"
#include "engine/engine.h"
#include "engine/topology.h"
#include "events/publisher.h"
#include "events/webhook_result.h"
#include "model/job.h"
#include "net/transfer.h"
#include "util/config.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/wake.h"
#include "util/xalloc.h"

/* How long publishing a trigger's events may hold the process after its
 * answer (nginx down or slow: the rest is dropped, as the executors'
 * publisher drops what it cannot send; clients reload from REST). */
#define PUBLISH_WAIT_MS 2000

/* This process's trigger engine, made on first use: one database handle
 * and configuration per process, as the engine's own are. */
static struct engine *trigger_engine;

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
		e->pub = e->multi ? publisher_new(cfg, e->multi) : NULL;
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
		return execution_queue_start(e->db, id, x->trigger_node_id, now, rq->no_notify);
	}
	/* The executors are woken after this run's events are published
	 * (engine_trigger_publish), not by the commit: their events of the
	 * same execution then follow these on its channel. */
	if (engine_start_inline(e, x, 1, out->status, sizeof out->status) != 0)
		return DB_FAILED;
	out->queued = e->held_wake != 0;
	out->webhook_answer = webhook_answer(e, x);
	return EXEC_OK;
}

int
engine_trigger_start(struct db *db, const struct config *cfg, const struct exec_start *rq,
		     char *execution_id_out, struct trigger_outcome *out)
{
	memset(out, 0, sizeof *out);
	int own = !db_in_transaction(db);
	if (own && db_begin_write(db) != 0)
		return DB_FAILED;
	struct exec_start q = *rq;
	q.no_first_job = 1;
	char id[EXEC_ID_MAX + 1];
	struct exec_row row = { 0 };
	int rc = execution_start_row(db, &q, id, &row);
	struct engine *e = engine_for(cfg, db);
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

/* Lets the publisher send what it holds, up to PUBLISH_WAIT_MS. */
static void
drain_publisher(struct engine *e)
{
	int64_t until = time_now_ms() + PUBLISH_WAIT_MS;
	while (publisher_backlog(e->pub) > 0 && time_now_ms() < until) {
		int running = 0;
		publisher_pump(e->pub);
		curl_multi_perform(e->multi, &running);
		transfer_finish_all(e->multi);
		publisher_pump(e->pub);
		if (publisher_backlog(e->pub) > 0)
			curl_multi_poll(e->multi, NULL, 0, 20, NULL);
	}
}

void
engine_trigger_publish(void)
{
	struct engine *e = trigger_engine;
	if (e == NULL)
		return;
	int wake = e->held_wake;
	e->held_wake = 0;
	if (e->n_held > 0 || e->held_gateway)
		engine_release_held(e);
	engine_exec_drop_all(e);
	drain_publisher(e);
	if (wake) {
		/* Outside any transaction: the NOTIFY goes out at once. */
		if (execution_notify_executors(e->db) != EXEC_OK)
			log_warn("engine: waking the executors failed (%s)", db_errmsg(e->db));
		wake_executors(e->cfg);
	}
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
