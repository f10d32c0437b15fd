/*
 * executor.c: the executor's event loop (engine.h, doc/engine.md).
 *
 * One pass: wait (for a wake-up, a notification, the next due time or a
 * transfer), claim what is due, run it, commit the batch, publish.  An
 * idle executor with nothing queued makes no query at all: it sleeps until
 * a trigger wakes it.  With jobs waiting for a time (a wait node, a retry,
 * another executor's lease), it sleeps until the earliest of them.
 */
#include "engine/executor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "engine/engine.h"
#include "engine/run.h"
#include "engine/services.h"
#include "engine/topology.h"
#include "engine/watch_listen.h"
#include "events/publisher.h"
#include "events/ticket.h"
#include "events/watch.h"
#include "events/webhook_result.h"
#include "gateway/sender.h"
#include "model/execution.h"
#include "model/gateway.h"
#include "model/setting_live.h"
#include "model/start_cache.h"
#include "net/multi_epoll.h"
#include "net/outbound.h"
#include "net/transfer.h"
#include "sched/dispatcher.h"
#include "util/config.h"
#include "util/jsonw.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/wake.h"
#include "util/xalloc.h"

/* --- the graph cache: one topology per (workflow, revision, trigger) ---------------- */

static void
graph_release(struct engine *e, struct graph *g)
{
	if (g != NULL && g->refs > 0)
		g->refs--;
}

static struct graph *
graph_get(struct engine *e, int64_t workflow_id, int64_t revision, const char *trigger)
{
	for (size_t i = 0; i < e->n_graphs; i++) {
		struct graph *g = e->graphs[i];
		if (g->workflow_id == workflow_id && g->revision == revision &&
		    strcmp(g->trigger ? g->trigger : "", trigger ? trigger : "") == 0) {
			g->refs++;
			g->last_used = ++e->clock;
			return g;
		}
	}
	char *text = exec_snapshot_load(e->db, workflow_id, revision);
	json_t *snapshot = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	struct graph *g = xcalloc(1, sizeof *g);
	g->workflow_id = workflow_id;
	g->revision = revision;
	g->trigger = trigger ? xstrdup(trigger) : NULL;
	json_t *wf = json_object_get(snapshot, "workflow");
	g->owner_id = json_integer_value(json_object_get(wf, "owner_id"));
	g->slug = exec_workflow_slug(e->db, workflow_id);
	if (g->slug == NULL) {
		const char *slug = json_string_value(json_object_get(wf, "slug"));
		g->slug = xstrdup(slug ? slug : "");
	}
	char *err = NULL;
	g->topo = snapshot ? topology_build(snapshot, trigger, &err) : NULL;
	if (g->topo == NULL)
		log_info("workflow %lld revision %lld cannot run: %s", (long long)workflow_id,
			 (long long)revision, err ? err : "no snapshot");
	free(err);
	json_decref(snapshot);
	/* Graphs nobody uses go when the cache is full. */
	if (e->n_graphs >= ENGINE_GRAPHS_MAX) {
		for (size_t i = 0; i < e->n_graphs;) {
			struct graph *old = e->graphs[i];
			if (old->refs == 0) {
				topology_free(old->topo);
				free(old->trigger);
				free(old->slug);
				free(old);
				e->graphs[i] = e->graphs[--e->n_graphs];
			} else {
				i++;
			}
		}
	}
	e->graphs = xrealloc(e->graphs, (e->n_graphs + 1) * sizeof *e->graphs);
	e->graphs[e->n_graphs++] = g;
	g->refs = 1;
	g->last_used = ++e->clock;
	return g;
}

/* --- the execution cache ---------------------------------------------------------- */

static void
entry_free(struct engine *e, struct exec_entry *x)
{
	if (x == NULL)
		return;
	graph_release(e, x->graph);
	json_decref(x->state);
	free(x->parent_execution_id);
	free(x->parent_node_id);
	free(x->trigger_node_id);
	free(x->root_execution_id);
	exec_unwritten_free(x->unwritten);
	free(x);
}

void
engine_exec_forget_states(struct engine *e)
{
	for (size_t i = 0; i < e->n_cache; i++)
		e->cache[i]->event_seq = -1;
}

/* An entry from row (its strings are taken). */
static struct exec_entry *
entry_from_row(struct engine *e, struct exec_row *row)
{
	struct exec_entry *x = xcalloc(1, sizeof *x);
	memcpy(x->id, row->id, sizeof x->id);
	x->workflow_id = row->workflow_id;
	x->user_profile_id = row->user_profile_id;
	x->deadline_ms = row->deadline_ms;
	x->started_ms = row->started_ms;
	x->event_seq = row->event_seq;
	if (row->state_value) {
		x->state = row->state_value;
		row->state_value = NULL;
	} else {
		x->state = json_loads(row->state, 0, NULL);
	}
	snprintf(x->status, sizeof x->status, "%s", row->status);
	x->fresh = 1;
	x->parent_execution_id = row->parent_execution_id;
	x->parent_node_id = row->parent_node_id;
	x->trigger_node_id = row->trigger_node_id;
	x->unwritten = row->unwritten;
	row->parent_execution_id = row->parent_node_id = row->trigger_node_id = NULL;
	row->unwritten = NULL;
	if (x->parent_execution_id)
		x->root_execution_id = exec_root_id(e->db, x->parent_execution_id);
	x->graph = graph_get(e, row->workflow_id, row->snapshot_revision, x->trigger_node_id);
	x->topo = x->graph->topo;
	x->slug = x->graph->slug;
	x->owner_id = x->graph->owner_id;
	exec_row_clear(row);
	return x;
}

static struct exec_entry *
load_entry(struct engine *e, const char *id)
{
	struct exec_row row;
	if (exec_row_load(e->db, id, 1, &row) != 0) {
		exec_row_clear(&row);
		return NULL;
	}
	return entry_from_row(e, &row);
}

/* Puts x in the cache, making room when it is full. */
static struct exec_entry *
cache_insert(struct engine *e, struct exec_entry *x)
{
	x->last_used = ++e->clock;
	size_t oldest = 0;
	if (e->n_cache >= ENGINE_CACHE_MAX)
		for (size_t i = 1; i < e->n_cache; i++)
			if (e->cache[i]->last_used < e->cache[oldest]->last_used)
				oldest = i;
	/* An entry this pass used may have held events: it stays, and the
	 * cache grows for a while instead. */
	if (e->n_cache >= ENGINE_CACHE_MAX && e->cache[oldest]->last_used <= e->pass_clock) {
		json_object_del(e->cache_index, e->cache[oldest]->id);
		entry_free(e, e->cache[oldest]);
		e->cache[oldest] = e->cache[--e->n_cache];
		if (oldest < e->n_cache)
			json_object_set_new(e->cache_index, e->cache[oldest]->id,
					    json_integer((json_int_t)oldest));
	}
	e->cache = xrealloc(e->cache, (e->n_cache + 1) * sizeof *e->cache);
	json_object_set_new(e->cache_index, x->id, json_integer((json_int_t)e->n_cache));
	e->cache[e->n_cache++] = x;
	return x;
}

struct exec_entry *
engine_exec(struct engine *e, const char *execution_id)
{
	json_t *at = json_object_get(e->cache_index, execution_id);
	if (at) {
		struct exec_entry *x = e->cache[json_integer_value(at)];
		x->last_used = ++e->clock;
		return x;
	}
	struct exec_entry *x = load_entry(e, execution_id);
	return x ? cache_insert(e, x) : NULL;
}

struct exec_entry *
engine_exec_adopt(struct engine *e, struct exec_row *row)
{
	struct exec_entry *x = entry_from_row(e, row);
	x->written_here = 1;
	return cache_insert(e, x);
}

/* Forgets the executions that stopped running (completed, failed, waiting
 * for a human or a child): their states are the bulk of an executor's
 * memory, and one that is resumed is loaded again.  Only between passes,
 * when no held event refers to an entry. */
static void
drop_settled(struct engine *e)
{
	for (size_t i = 0; i < e->n_cache;) {
		struct exec_entry *x = e->cache[i];
		if (!x->settled) {
			i++;
			continue;
		}
		json_object_del(e->cache_index, x->id);
		entry_free(e, x);
		e->cache[i] = e->cache[--e->n_cache];
		if (i < e->n_cache)
			json_object_set_new(e->cache_index, e->cache[i]->id, json_integer((json_int_t)i));
	}
}

void
engine_exec_drop_all(struct engine *e)
{
	for (size_t i = 0; i < e->n_cache; i++)
		entry_free(e, e->cache[i]);
	e->n_cache = 0;
	json_object_clear(e->cache_index);
}

/* x takes the state of row when it is not the one x holds. */
static void
adopt_state(struct exec_entry *x, const struct exec_row *row)
{
	if (row->event_seq != x->event_seq || x->state == NULL) {
		json_decref(x->state);
		x->state = json_loads(row->state, 0, NULL);
		x->event_seq = row->event_seq;
	}
}

/* The state as committed now: reloaded when another process changed it. */
static int
refresh_state(struct engine *e, struct exec_entry *x, char *status, size_t status_len)
{
	struct exec_row row;
	int rc = exec_row_load(e->db, x->id, 0, &row);
	if (rc == 0) {
		adopt_state(x, &row);
		snprintf(status, status_len, "%s", row.status);
	}
	exec_row_clear(&row);
	return rc;
}

/* The execution of a job from the row its claim read (job.h), as current
 * as a refresh would make it; NULL when the execution is gone.  The row
 * is consumed. */
static struct exec_entry *
exec_from_claim(struct engine *e, struct exec_row *row, char *status, size_t status_len)
{
	struct exec_entry *x = NULL;
	snprintf(status, status_len, "%s", row->status);
	json_t *at = row->status[0] ? json_object_get(e->cache_index, row->id) : NULL;
	if (at) {
		x = e->cache[json_integer_value(at)];
		x->last_used = ++e->clock;
		adopt_state(x, row);
	} else if (row->status[0]) {
		x = cache_insert(e, entry_from_row(e, row));
	}
	if (x)
		x->fresh = 0;
	exec_row_clear(row);
	free(row);
	return x;
}

/* --- queues ------------------------------------------------------------------------ */

void
engine_push(struct engine *e, struct job *j)
{
	if (e->n_runq == e->cap_runq) {
		e->cap_runq = e->cap_runq ? e->cap_runq * 2 : 64;
		e->runq = xrealloc(e->runq, e->cap_runq * sizeof *e->runq);
	}
	e->runq[e->n_runq++] = *j;
	memset(j, 0, sizeof *j);
}

/* Sends msg (an object) to execution:<id> and workflow:<slug> in one
 * request.  One body serves both channels, so both copies carry the
 * workflow's channel as "channel" (doc/engine.md "Events").  msg is
 * borrowed. */
static void
send_both(struct engine *e, const char *execution_id, const char *slug, json_t *msg)
{
	if (slug && *slug) {
		char wchannel[EVENTS_CHANNEL_MAX + 1];
		snprintf(wchannel, sizeof wchannel, "workflow:%s", slug);
		json_object_set_new(msg, "channel", json_string(wchannel));
	}
	publisher_send_execution(e->pub, execution_id, slug, jw_dump(msg, NULL));
}

void
engine_publish_live(struct engine *e, const char *execution_id, const char *slug,
		    const char *type, const json_t *data)
{
	if (!publisher_wants_execution(e->pub, execution_id, slug))
		return;
	json_t *msg = json_pack("{s:s, s:s, s:f, s:O}", "type", type, "execution_id", execution_id,
				"timestamp", time_now_ms() / 1000.0, "data", data);
	send_both(e, execution_id, slug, msg);
	json_decref(msg);
}

/* 1 when x is a subworkflow's execution whose chain's top is watched; its
 * channel in root_channel. */
static int
root_watched(const struct exec_entry *x, char root_channel[64])
{
	if (x->root_execution_id == NULL)
		return 0;
	snprintf(root_channel, 64, "execution:%s", x->root_execution_id);
	return watch_is_watched(root_channel);
}

int
engine_events_heard(const struct engine *e, const struct exec_entry *x)
{
	char root_channel[64];
	return e->pub != NULL && (publisher_wants_execution(e->pub, x->id, x->slug) ||
				  root_watched(x, root_channel));
}

void
engine_publish(struct engine *e, const struct exec_entry *x, int64_t seq, const char *type,
	       const json_t *data)
{
	if (e->pub == NULL)
		return;
	if (publisher_wants_execution(e->pub, x->id, x->slug)) {
		json_t *msg = json_pack("{s:s, s:s, s:I, s:f, s:O}", "type", type, "execution_id",
					x->id, "seq", (json_int_t)seq, "timestamp",
					time_now_ms() / 1000.0, "data", data);
		send_both(e, x->id, x->slug, msg);
		json_decref(msg);
	}
	char channel[64];
	/* A subworkflow's node events are re-sent to the execution at the
	 * top of its chain, so a page watching that one sees its children
	 * work (pipelit-engine.md 2.12).  They carry no seq: the sequence is
	 * the child's own. */
	char root_channel[64];
	if (strcmp(type, "node_status") == 0 && root_watched(x, root_channel)) {
		json_t *child = json_deep_copy(data);
		json_object_set_new(child, "child_execution_id", json_string(x->id));
		json_object_set_new(child, "parent_node_id",
				    json_string(x->parent_node_id ? x->parent_node_id : ""));
		json_object_set_new(child, "is_child_event", json_true());
		json_t *up = json_pack("{s:s, s:s, s:f, s:o}", "type", "child_node_status",
				       "execution_id", x->root_execution_id,
				       "timestamp", time_now_ms() / 1000.0, "data", child);
		publisher_send(e->pub, root_channel, jw_dump(up, NULL));
		json_decref(up);
	}
	/* A synchronous webhook's caller waits in nginx for the result
	 * (events/webhook_result.h), unless the trigger answered it. */
	if (x->topo != NULL && x->topo->start >= 0 && !x->result_answered) {
		char *result = webhook_result_message(x->topo->nodes[x->topo->start].node, x->id,
						      type, data, x->state);
		if (result != NULL) {
			snprintf(channel, sizeof channel, WEBHOOK_RESULT_CHANNEL_PREFIX "%s", x->id);
			publisher_send_first(e->pub, channel, result);
		}
	}
}

/* --- running a job ----------------------------------------------------------------- */

static void
run_job(struct engine *e, struct job *j)
{
	if (e->n_batch == e->cap_batch) {
		e->cap_batch = e->cap_batch ? e->cap_batch * 2 : 64;
		e->batch = xrealloc(e->batch, e->cap_batch * sizeof *e->batch);
	}
	struct ran_job *r = &e->batch[e->n_batch++];
	memset(r, 0, sizeof *r);
	r->job = *j;
	memset(j, 0, sizeof *j);
	struct outcome *o = &r->outcome;
	o->started_ms = time_now_ms();
	struct exec_row *claimed = r->job.row;
	r->job.row = NULL;
	struct exec_entry *x = claimed ? NULL : engine_exec(e, r->job.execution_id);
	char status[16] = "";
	if (claimed) {
		x = exec_from_claim(e, claimed, status, sizeof status);
	} else if (x != NULL && x->fresh) {
		/* just loaded: its state is as current as a refresh would make it */
		x->fresh = 0;
		memcpy(status, x->status, sizeof status);
	} else if (x != NULL && refresh_state(e, x, status, sizeof status) != 0) {
		x = NULL;
	}
	if (x == NULL || !(strcmp(status, "running") == 0 || strcmp(status, "pending") == 0)) {
		o->kind = OUTCOME_DROP;
		return;
	}
	e->runs++;
	int start = x->topo == NULL ||
		    (r->job.node_id[0] == '\0' && x->topo->start < 0) ||
		    (x->topo->start >= 0 && strcmp(r->job.node_id,
						   x->topo->nodes[x->topo->start].node_id) == 0);
	if (x->deadline_ms > 0 && o->started_ms > x->deadline_ms) {
		o->kind = OUTCOME_TIMEOUT;
		long limit = (long)((x->deadline_ms - x->started_ms) / 1000);
		snprintf(o->error, sizeof o->error, "Execution timed out after %lds (limit: %lds)",
			 (long)((o->started_ms - x->started_ms) / 1000), limit);
		return;
	}
	if (start) {
		o->kind = OUTCOME_START;
		if (x->topo == NULL)
			snprintf(o->error, sizeof o->error,
				 "the workflow has no node to run (only triggers and sub-components)");
		return;
	}
	int node = topology_find(x->topo, r->job.node_id);
	if (node < 0) {
		o->kind = OUTCOME_DROP;
		return;
	}
	if (r->job.attempt > e->max_attempts) {
		/* Its executors kept dying while it ran: it used its runs. */
		o->kind = OUTCOME_FAILED;
		o->no_retry = 1;
		snprintf(o->error_code, sizeof o->error_code, "executor_lost");
		snprintf(o->error, sizeof o->error, "the node's executor stopped while running it, "
			 "%d times", r->job.attempt - 1);
		return;
	}
	if (r->job.after) {
		o->kind = OUTCOME_ADVANCE;
		return;
	}
	if (x->topo->nodes[node].interrupt_before && r->job.resume == NULL) {
		o->kind = OUTCOME_INTERRUPT;
		return;
	}
	struct run_input in = engine_run_input(e, x, node, r->job.resume, r->job.attempt);
	in.job_id = r->job.id;
	struct node_run *waits = run_node(&in, o);
	if (waits != NULL) {
		/* It waits on I/O: the job leaves the batch for the waiting list. */
		waiting_add(e, &r->job, waits, x);
		e->n_batch--;
	}
}

struct run_input
engine_run_input(struct engine *e, const struct exec_entry *x, int node, const json_t *resume,
		 int attempt)
{
	return (struct run_input){
		.topo = x->topo, .node = node, .state = x->state, .resume = resume,
		.attempt = attempt, .execution_id = x->id, .workflow_id = x->workflow_id,
		.owner_id = x->owner_id,
		.user_profile_id = x->user_profile_id, .services = &e->services,
		.test_kinds = e->cfg->test_routes,
	};
}

/* A waiting node's live event (node_kind.h publish_live). */
static void
publish_for_node(void *arg, const struct node_ctx *ctx, const char *type, const json_t *data)
{
	struct engine *e = arg;
	for (size_t i = 0; i < e->n_waiting; i++)
		if (strcmp(e->waiting[i].job.execution_id, ctx->execution_id) == 0) {
			engine_publish_live(e, ctx->execution_id, e->waiting[i].graph->slug, type, data);
			return;
		}
	/* Not waiting yet (its first run): the cache has it. */
	json_t *at = json_object_get(e->cache_index, ctx->execution_id);
	const char *slug = at ? e->cache[json_integer_value(at)]->slug : NULL;
	engine_publish_live(e, ctx->execution_id, slug, type, data);
}

/* --- the loop ---------------------------------------------------------------------- */

static void
make_owner(char *out, size_t n)
{
	char host[48] = "";
	gethostname(host, sizeof host - 1);
	char boot[9];
	snprintf(boot, sizeof boot, "%08lx", (unsigned long)(time_now_ms() & 0xffffffff));
	snprintf(out, n, "%.40s:%ld:%s", host, (long)getpid(), boot);
}

/* Jobs claimed per transaction: a few commits' worth of work, so several
 * executors (and hosts) share a burst instead of one taking all of it. */
#define CLAIM_CHUNK 64

static int
claim_due(struct engine *e)
{
	int claimed = 0;
	if (db_set_commit_durable(e->db, 0) != 0)
		return -1;
	struct job jobs[CLAIM_CHUNK];
	/* Runs waiting on I/O count too: past the cap, new work is left to
	 * the other executors. */
	while (e->n_runq < ENGINE_BATCH_MAX && e->n_waiting + e->n_runq < ENGINE_WAITING_MAX) {
		size_t room = ENGINE_BATCH_MAX - e->n_runq;
		if (room > ENGINE_WAITING_MAX - e->n_waiting - e->n_runq)
			room = ENGINE_WAITING_MAX - e->n_waiting - e->n_runq;
		int n = job_claim_due(e->db, e->owner, time_now_ms(), e->lease_ms, jobs,
				      room < CLAIM_CHUNK ? room : CLAIM_CHUNK);
		if (n < 0)
			log_warn("engine: claiming work failed (%s)", db_errmsg(e->db));
		for (int i = 0; i < n; i++)
			engine_push(e, &jobs[i]);
		if (n > 0) {
			claimed += n;
			e->claims += (unsigned long long)n;
		}
		if (n < CLAIM_CHUNK)
			break;
	}
	db_set_commit_durable(e->db, 1);
	return claimed;
}

/* Milliseconds until the next job falls due (-1: none, sleep until woken). */
static long
next_wait_ms(struct engine *e)
{
	int64_t due;
	int rc = job_next_due(e->db, &due);
	if (rc < 0)
		return 1000;                 /* the database failed: look again soon */
	if (rc == 1)
		return -1;
	int64_t wait = due - time_now_ms();
	return wait < 0 ? 0 : wait > 3600000 ? 3600000 : (long)wait;
}

struct engine *
engine_new(const struct config *cfg, struct db *db)
{
	/* malloc's policy for an executor (what it keeps of what a pass
	 * frees) is the pool's: src/pool/memory.c. */
	struct engine *e = xcalloc(1, sizeof *e);
	e->cfg = cfg;
	e->db = db;
	e->lease_ms = (int64_t)cfg->zombie_threshold_seconds * 1000;
	e->max_attempts = 4;                     /* one run and three retries (9) */
	make_owner(e->owner, sizeof e->owner);
	e->multi = curl_multi_init();
	/* Idle connections kept for reuse (by default libcurl keeps four per
	 * transfer still running, so after a burst of calls to a provider
	 * almost every connection is closed and the next burst connects, and
	 * over TLS shakes hands, all over again). */
	if (e->multi)
		curl_multi_setopt(e->multi, CURLMOPT_MAXCONNECTS, (long)ENGINE_IDLE_CONNECTIONS);
	/* Driven through libcurl's socket interface (net/multi_epoll.h):
	 * before any transfer is added. */
	e->loop = multi_epoll_new(e->multi);
	if (e->loop == NULL) {
		curl_multi_cleanup(e->multi);
		free(e);
		return NULL;
	}
	e->pub = publisher_new(cfg, e->multi);
	e->gateway = gateway_sender_new(cfg, db, e->multi, e->owner);
	e->wake_fd = wake_open_reader(cfg);
	if (e->wake_fd >= 0)
		multi_epoll_watch(e->loop, e->wake_fd);
	e->notify_fd = -1;
	e->cache_index = json_object();
	e->policy = xcalloc(1, sizeof *e->policy);
	char *err = NULL;
	if (outbound_policy_parse(cfg->outbound_allow, e->policy, &err) != 0) {
		/* The configuration was checked at start; an empty list refuses
		 * what it must. */
		log_warn("engine: PIPELIT_OUTBOUND_ALLOW: %s", err ? err : "invalid");
		free(err);
	}
	engine_services_init(e);
	e->services.publish_live = publish_for_node;
	if (db_backend_of(db) == DB_POSTGRES && db_listen(db, "pipelit_jobs") == 0) {
		e->notify_fd = db_notify_fd(db);
		multi_epoll_watch(e->loop, e->notify_fd);
	}
	/* Subscriptions authorized on any host (events/watch.h). */
	if (e->notify_fd >= 0)
		e->watch = watch_listen_begin(cfg, db);
	sched_recover(db, time_now_ms());
	return e;
}

void
engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	waiting_free(e);                 /* first: its runs borrow the graphs' topologies */
	for (size_t i = 0; i < e->n_cache; i++)
		entry_free(e, e->cache[i]);
	free(e->cache);
	json_decref(e->cache_index);
	for (size_t i = 0; i < e->n_graphs; i++) {
		topology_free(e->graphs[i]->topo);
		free(e->graphs[i]->trigger);
		free(e->graphs[i]->slug);
		free(e->graphs[i]);
	}
	free(e->graphs);
	start_cache_free(e->start_cache);
	for (size_t i = 0; i < e->n_runq; i++)
		job_clear(&e->runq[i]);
	free(e->runq);
	for (size_t i = 0; i < e->n_batch; i++) {
		job_clear(&e->batch[i].job);
		outcome_clear(&e->batch[i].outcome);
	}
	free(e->batch);
	for (size_t i = 0; i < e->n_held; i++) {
		free(e->held[i].type);
		json_decref(e->held[i].data);
	}
	free(e->held);
	engine_services_free(e);
	publisher_free(e->pub);
	watch_listen_free(e->watch);
	gateway_sender_free(e->gateway);
	multi_epoll_free(e->loop);       /* after the last transfer is removed */
	curl_multi_cleanup(e->multi);
	if (e->wake_fd >= 0)
		close(e->wake_fd);
	outbound_policy_free(e->policy);
	free(e->policy);
	free(e);
}

/* Events held for the durable commit, past which a long pass makes its
 * commits durable before going on: the events and the finished executions'
 * states wait for that point in memory (measured: 11,000 events and 1,000
 * states, 21 MB, in a pass of a 1,000-execution burst), and one more
 * durable commit per 2,048 events costs little beside their work. */
#define ENGINE_HELD_MAX 2048

/* A sign of life for the caller's watchdog (engine_on_turn). */
static void
turned(struct engine *e)
{
	if (e->on_turn)
		e->on_turn(e->turn_arg);
}

/* The batch committed, however long the database takes to come back: what
 * it holds ran, and is not given up.  Each retry is a sign of life: the
 * executor is waiting on the database, not stuck. */
static void
commit_until_done(struct engine *e)
{
	while (engine_commit_batch(e, 0) != 0) {
		turned(e);
		usleep(200000);
	}
}

/* The commits made durable, as commit_until_done(). */
static void
durable_until_done(struct engine *e)
{
	while (engine_make_durable(e) != 0) {
		turned(e);
		usleep(200000);
	}
}

/* What ends a pass, in the middle of one: the commits made durable, their
 * events published and the settled executions forgotten. */
static void
settle_midway(struct engine *e)
{
	durable_until_done(e);
	drop_settled(e);
	/* No entry holds an event now: the cache may evict any of them. */
	e->pass_clock = e->clock;
}

/* How long the transfers a pass started may wait for its end: past it,
 * a round of the pass sends them (send_midway). */
#define PASS_SEND_MS 20

/* The writes the round's agents handed over, made together: their
 * answers' settlements and checkpoints (one transaction), then the
 * reservations they asked for (one statement).  The agents are stepped on:
 * to their tool calls or their end, and to their calls, which leave after
 * the pass's barrier, with the reservations on disk.  A run stepped may
 * hand over more (a tool round's next call), made by the next flush. */
static void
round_flush(struct engine *e)
{
	size_t n;
	/* However long the database takes to come back, as the batch's
	 * commit: given up, the round's settlements would each be charged at
	 * their worst case. */
	while (engine_turns_flush(e, &n) != 0) {
		turned(e);
		usleep(200000);
	}
	n += engine_reservations_flush(e);
	if (n > 0)
		waiting_step_due(e, time_now_ms());
}

/* In the middle of a long pass (a burst: hundreds of claims, runs and
 * reservations): what it committed is made durable, so the transfers its
 * runs started may leave (services.c: never before the barrier), and they
 * are sent; answers that arrived meanwhile are read and the runs they
 * ended join the batch; the waiting runs' leases are renewed when due.
 * Without it, the first call of a burst waited for the last run of the
 * pass before it left, answers waited unread, and a pass longer than a
 * third of the lease let the waiting runs' leases run out. */
static void
send_midway(struct engine *e)
{
	round_flush(e);
	commit_until_done(e);
	settle_midway(e);
	publisher_pump(e->pub);
	multi_epoll_kick(e->loop);
	multi_epoll_wait(e->loop, 0);    /* ready sockets only; never blocks */
	transfer_finish_all(e->multi);
	publisher_pump(e->pub);
	int64_t now = time_now_ms();
	waiting_check(e, now, 0);        /* the leases, when due */
	waiting_step_due(e, now);
	commit_until_done(e);
}

/* send_midway() when the pass has runs waiting on transfers and sent none
 * for PASS_SEND_MS; *sent_ms is when it last did. */
static void
send_when_due(struct engine *e, int64_t *sent_ms)
{
	if (e->n_waiting == 0 || time_now_ms() - *sent_ms < PASS_SEND_MS)
		return;
	send_midway(e);
	*sent_ms = time_now_ms();
}

/* One pass; returns how long the next wait may be (ms, -1 = until woken). */
static long
engine_pass(struct engine *e)
{
	e->pass_clock = e->clock;
	e->lease_ms = settings_live_lease_ms(e->db);   /* the live setting (doc/settings.md) */
	int64_t schedule_due = sched_dispatch(e->db, e->pub, time_now_ms());
	int64_t sent_ms = time_now_ms();
	waiting_step_due(e, sent_ms);
	claim_due(e);
	/* Jobs the commit leased to us run in the next round of this pass;
	 * the batch is committed whenever the queue empties or it is full. */
	for (int rounds = 0; e->n_runq > 0 && rounds < 64; rounds++) {
		size_t n = e->n_runq;
		struct job *jobs = e->runq;
		e->runq = NULL;
		e->n_runq = e->cap_runq = 0;
		/* A round of a burst runs for seconds on a busy database: what
		 * it started leaves as it goes. */
		for (size_t i = 0; i < n; i++) {
			run_job(e, &jobs[i]);
			turned(e);
			send_when_due(e, &sent_ms);
		}
		free(jobs);
		round_flush(e);
		commit_until_done(e);
		if (e->n_held >= ENGINE_HELD_MAX)
			settle_midway(e);
		claim_due(e);
	}
	/* What runs stepped since the last round handed over. */
	round_flush(e);
	/* Runs that ended after a wait, with nothing else to run. */
	commit_until_done(e);
	durable_until_done(e);
	drop_settled(e);
	/* A run stepped by the last flush may have handed over more. */
	return e->n_runq > 0 || e->tickets || e->turns ? 0
	       : sched_wait_ms(next_wait_ms(e), schedule_due, time_now_ms());
}

/* A signal that arrives just before the wait cannot shorten it, so no
 * wait is longer than this; waking up costs no query. */
#define SIGNAL_CHECK_MS 1000

void
engine_run(struct engine *e, volatile sig_atomic_t *stop, long (*extra_wait_ms)(void *),
	   void (*on_idle)(void *), void *arg)
{
	int64_t due = time_now_ms();    /* a first pass at start: claim what waits */
	while (!*stop) {
		turned(e);
		int64_t now = time_now_ms();
		long wait = SIGNAL_CHECK_MS;
		if (due >= 0 && due - now < wait)
			wait = due - now < 0 ? 0 : (long)(due - now);
		long limit = extra_wait_ms ? extra_wait_ms(arg) : -1;
		if (limit >= 0 && limit < wait)
			wait = limit;
		int64_t waiting = waiting_wake_at(e);
		if (waiting >= 0 && waiting - now < wait)
			wait = waiting - now < 0 ? 0 : (long)(waiting - now);
		long gateway = gateway_sender_wait_ms(e->gateway);
		if (gateway >= 0 && gateway < wait)
			wait = gateway;
		publisher_pump(e->pub);
		if (publisher_backlog(e->pub) > 0 && wait > 50)
			wait = 50;
		/* The transfers the pass and the publisher added start here,
		 * after the pass's durable barrier (services.c). */
		multi_epoll_kick(e->loop);
		transfer_finish_all(e->multi);
		publisher_pump(e->pub);          /* what the transfers' callbacks queued */
		/* The kick may have ended a transfer and readied its run: the
		 * wait above was computed before, and would hold that run up
		 * to SIGNAL_CHECK_MS (a chat answered in 200 ms took 1.2 s). */
		waiting = waiting_wake_at(e);
		if (waiting >= 0 && waiting <= time_now_ms())
			wait = 0;
		/* Work queued on another host while the pass ran: its notice
		 * came with an answer there, and left the socket with nothing
		 * to wake the wait (db_take_notifies). */
		if (e->notify_fd >= 0 && db_take_notifies(e->db) > 0)
			wait = 0;
		/* Only the sockets that are ready (or whose timeout fell due)
		 * are run, not every transfer in flight. */
		multi_epoll_wait(e->loop, wait);
		if (*stop)
			break;
		transfer_finish_all(e->multi);
		int woken = e->wake_fd >= 0 && wake_drain(e->wake_fd) > 0;
		if (e->notify_fd >= 0) {
			int n = db_drain_notifies(e->db);
			watch_listen_turn(e->watch, time(NULL));
			woken |= n != 0;
			int fd = db_notify_fd(e->db);
			if (fd != e->notify_fd)
				multi_epoll_unwatch(e->loop, e->notify_fd);
			/* Watched again only when the socket may be new: another
			 * descriptor, or a reconnect (which n counts) that may have
			 * reused the number.  Not on every wake-up: an idle pool
			 * makes no system call on its database connection. */
			if (fd != e->notify_fd || n != 0)
				multi_epoll_watch(e->loop, fd);
			e->notify_fd = fd;
		}
		if (on_idle)
			on_idle(arg);
		waiting_check(e, time_now_ms(), woken);
		int64_t waiting_due = waiting_wake_at(e);
		if (woken || (due >= 0 && time_now_ms() >= due) ||
		    (waiting_due >= 0 && time_now_ms() >= waiting_due)) {
			long next = engine_pass(e);
			due = next < 0 ? -1 : time_now_ms() + next;
		}
		gateway_sender_poll(e->gateway, woken);
	}
	/* What was run is committed before leaving; what was claimed and not
	 * run is left to its lease. */
	if (e->n_batch > 0)
		engine_commit_batch(e, 1);
	engine_make_durable(e);
	waiting_abandon_all(e);
	/* Claimed and not run (a pass cut short): due now for the others. */
	if (engine_give_back_leases(e, e->owner) != 0)
		log_warn("engine: giving back the jobs claimed and not run failed (%s); their "
			 "leases will run out", db_errmsg(e->db));
}

const char *
engine_owner(const struct engine *e)
{
	return e->owner;
}

void
engine_on_turn(struct engine *e, void (*fn)(void *), void *arg)
{
	e->on_turn = fn;
	e->turn_arg = arg;
}

int
engine_give_back_leases(struct engine *e, const char *owner)
{
	int64_t now = time_now_ms();
	if (job_renew_leases(e->db, owner, now) != 0 || outbox_give_back(e->db, owner, now) != 0)
		return -1;
	return 0;
}
