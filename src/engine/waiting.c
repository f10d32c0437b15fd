/*
 * waiting.c: runs that wait on I/O (engine.h, doc/engine.md "Nodes that
 * wait on I/O").
 *
 * A kind that starts an HTTP transfer returns STEP_WAITING; its job stays
 * leased to this executor, in memory only as long as the lease says so:
 * the lease is renewed while the run waits, and if this process dies the
 * lease runs out and another executor runs the node again (its attempt
 * number tells it so; an agent continues from its last checkpoint).
 * Nothing here is durable: the run's result is, through the ordinary
 * completion transaction, once the run ends.
 */
#include "engine/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "engine/run.h"
#include "engine/topology.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

static void
release(struct waiting_run *w)
{
	if (w->graph != NULL && w->graph->refs > 0)
		w->graph->refs--;
	free(w->root_execution_id);
	job_clear(&w->job);
}

/* Removes entry i (its run already ended or stopped). */
static void
remove_at(struct engine *e, size_t i)
{
	release(&e->waiting[i]);
	e->waiting[i] = e->waiting[--e->n_waiting];
}

void
waiting_add(struct engine *e, struct job *j, struct node_run *run, struct exec_entry *x)
{
	if (e->n_waiting == e->cap_waiting) {
		e->cap_waiting = e->cap_waiting ? e->cap_waiting * 2 : 16;
		e->waiting = xrealloc(e->waiting, e->cap_waiting * sizeof *e->waiting);
	}
	struct waiting_run *w = &e->waiting[e->n_waiting++];
	memset(w, 0, sizeof *w);
	w->job = *j;
	memset(j, 0, sizeof *j);
	w->run = run;
	w->graph = x->graph;
	w->graph->refs++;
	w->root_execution_id = x->root_execution_id ? xstrdup(x->root_execution_id) : NULL;
	w->deadline_ms = x->deadline_ms;
	w->started_ms = x->started_ms;
	if (e->renew_at_ms == 0)
		e->renew_at_ms = time_now_ms() + e->lease_ms / 3;
	/* A node's "running" otherwise goes out with its result; one that
	 * waits shows it while it waits. */
	int node = topology_find(x->topo, w->job.node_id);
	if (node >= 0) {
		json_t *data = engine_node_status(x->topo, node, "running");
		engine_publish_live(e, x->id, x->slug, "node_status", data);
		json_decref(data);
	}
}

/* The execution's max_execution_seconds passed while its node waited: the
 * run stops, and the outcome fails the execution as a start past it would. */
static void
timed_out(struct waiting_run *w, int64_t now_ms, struct outcome *out)
{
	run_node_cancel(w->run);
	memset(out, 0, sizeof *out);
	out->kind = OUTCOME_TIMEOUT;
	out->started_ms = now_ms;
	snprintf(out->error, sizeof out->error, "Execution timed out after %llds (limit: %llds)",
		 (long long)((now_ms - w->started_ms) / 1000),
		 (long long)((w->deadline_ms - w->started_ms) / 1000));
}

size_t
waiting_step_due(struct engine *e, int64_t now_ms)
{
	size_t ended = 0;
	for (size_t i = 0; i < e->n_waiting;) {
		struct waiting_run *w = &e->waiting[i];
		int late = w->deadline_ms > 0 && now_ms > w->deadline_ms;
		if (!late && !run_node_due(w->run, now_ms)) {
			i++;
			continue;
		}
		struct outcome out;
		memset(&out, 0, sizeof out);
		if (late)
			timed_out(w, now_ms, &out);
		else if (!run_node_step(w->run, &out)) {
			i++;
			continue;
		}
		if (e->n_batch == e->cap_batch) {
			e->cap_batch = e->cap_batch ? e->cap_batch * 2 : 64;
			e->batch = xrealloc(e->batch, e->cap_batch * sizeof *e->batch);
		}
		struct ran_job *r = &e->batch[e->n_batch++];
		r->job = w->job;
		memset(&w->job, 0, sizeof w->job);
		r->outcome = out;
		e->runs++;
		w->run = NULL;
		remove_at(e, i);
		ended++;
	}
	if (e->n_waiting == 0)
		e->renew_at_ms = 0;
	return ended;
}

static int
held(const int64_t *ids, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

void
waiting_check(struct engine *e, int64_t now_ms, int woken)
{
	if (e->n_waiting == 0)
		return;
	if (now_ms >= e->renew_at_ms) {
		if (job_renew_leases(e->db, e->owner, now_ms + e->lease_ms) == 0)
			e->renew_at_ms = now_ms + e->lease_ms / 3;
		else {
			log_warn("engine: renewing the leases of waiting nodes failed (%s)",
				 db_errmsg(e->db));
			e->renew_at_ms = now_ms + 1000;      /* try again soon, not at once */
		}
	}
	/* A wake-up may be a cancel (which deletes the execution's jobs and
	 * wakes every executor): a run whose job is gone stops now, not when
	 * its transfer ends. */
	if (!woken)
		return;
	int64_t *ids;
	size_t n;
	if (job_held_ids(e->db, e->owner, &ids, &n) != 0)
		return;
	for (size_t i = 0; i < e->n_waiting;) {
		struct waiting_run *w = &e->waiting[i];
		if (held(ids, n, w->job.id)) {
			i++;
			continue;
		}
		log_info("engine: node %s of execution %s stopped: its job is gone (cancelled)",
			 w->job.node_id, w->job.execution_id);
		run_node_cancel(w->run);
		w->run = NULL;
		remove_at(e, i);
	}
	free(ids);
	if (e->n_waiting == 0)
		e->renew_at_ms = 0;
}

int64_t
waiting_wake_at(const struct engine *e)
{
	if (e->n_waiting == 0)
		return -1;
	int64_t at = e->renew_at_ms;
	for (size_t i = 0; i < e->n_waiting; i++) {
		int64_t w = run_node_wake_at(e->waiting[i].run);
		if (w > 0 && w < at)
			at = w;
		int64_t deadline = e->waiting[i].deadline_ms;
		if (deadline > 0 && deadline + 1 < at)
			at = deadline + 1;
	}
	return at;
}

void
waiting_abandon_all(struct engine *e)
{
	int64_t now = time_now_ms();
	for (size_t i = 0; i < e->n_waiting; i++) {
		struct waiting_run *w = &e->waiting[i];
		run_node_cancel(w->run);
		w->run = NULL;
		/* Given back due now: another executor runs it again at once
		 * (the run counts as an attempt; an agent resumes from its
		 * checkpoint). */
		if (job_requeue(e->db, w->job.id, e->owner, w->job.attempt, now) < 0)
			log_warn("engine: giving back a waiting job failed (%s); its lease will "
				 "run out", db_errmsg(e->db));
		release(w);
	}
	e->n_waiting = 0;
}

void
waiting_free(struct engine *e)
{
	for (size_t i = 0; i < e->n_waiting; i++) {
		run_node_cancel(e->waiting[i].run);
		release(&e->waiting[i]);
	}
	free(e->waiting);
	e->waiting = NULL;
	e->n_waiting = e->cap_waiting = 0;
}
