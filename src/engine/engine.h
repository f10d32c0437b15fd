/*
 * engine.h: an executor's engine (doc/engine.md).
 *
 * One per executor process: a database handle, a libcurl multi handle, a
 * queue of claimed jobs and a batch of their outcomes.  The loop claims
 * due jobs, runs them, and commits every outcome produced by one pass in a
 * single durable transaction (group commit: one fsync for the batch); the
 * jobs that commit queues are leased to this executor at once and run in
 * the next pass, without a claim.  Events go out after the commit.
 */
#ifndef PIPELIT_ENGINE_ENGINE_H
#define PIPELIT_ENGINE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <jansson.h>

#include "crypto/crypto.h"
#include "engine/run.h"
#include "model/job.h"

struct config;
struct db;
struct gateway_sender;
struct watch_listen;
struct multi_epoll;
struct publisher;
struct topology;
struct cstore;
struct outbound_policy;
struct node_run;
struct start_cache;

/* A workflow revision's graph as executions started at one trigger run
 * it: built once, shared by every execution of that revision. */
struct graph {
	int64_t workflow_id, revision;
	char *trigger;               /* the trigger node_id it is scoped to, or NULL */
	struct topology *topo;       /* NULL when nothing in it can run */
	char *slug;                  /* the workflow's, for its event channel */
	int64_t owner_id;
	unsigned refs;               /* executions in the cache using it */
	unsigned long last_used;
};

/* What the executor remembers of an execution between passes: its graph
 * (immutable) and the state as of the last commit it saw. */
struct exec_entry {
	char id[37];
	struct graph *graph;         /* counted reference */
	const struct topology *topo; /* graph->topo */
	const char *slug;            /* graph->slug */
	json_t *state;               /* as committed at event_seq */
	int64_t event_seq;           /* -1: state unknown, load it */
	char status[16];             /* as loaded */
	int fresh;                   /* loaded in this pass: no refresh needed */
	int written_here;            /* inserted by the open transaction itself (a
				      * trigger's inline run): its row is ours and its
				      * state the one held, so the first touch reads
				      * nothing, and its only job rows are the ones
				      * this commit writes */
	int64_t workflow_id, user_profile_id, deadline_ms, started_ms, owner_id;
	char *parent_execution_id, *parent_node_id, *trigger_node_id;
	char *root_execution_id;     /* the top of the parent chain; NULL without a parent */
	unsigned long last_used;
	int settled;                 /* no longer running as of the last commit: dropped
				      * after the pass (loaded again if it is resumed) */
	int result_answered;         /* its synchronous webhook's result went out in the
				      * trigger's own answer: not published */
	struct exec_unwritten *unwritten; /* written_here, its row not sent yet: written
					   * as the trigger's commit leaves it, or before
					   * the first row that refers to it
					   * (engine_exec_write_row) */
};

/* An event of a commit, held until a durable commit covers it. */
struct held_event {
	struct exec_entry *x;        /* kept in the cache until the pass ends */
	int64_t seq;
	char *type;
	json_t *data;
};

/* A job whose node waits on I/O (node_kind.h STEP_WAITING): held by
 * lease, renewed while it waits (engine/waiting.c). */
struct waiting_run {
	struct job job;
	struct node_run *run;
	struct graph *graph;         /* counted: the run borrows its topology */
	char *root_execution_id;     /* for live events; NULL without a parent */
	int64_t deadline_ms, started_ms; /* the execution's max_execution_seconds (0: none) */
};

/* A job run in this pass, and what came of it. */
struct ran_job {
	struct job job;
	struct outcome outcome;
	int held;                    /* its job row is still ours (job_hold_many) */
};

struct engine {
	const struct config *cfg;
	struct db *db;
	char owner[JOB_OWNER_MAX];
	void (*on_turn)(void *);     /* engine_on_turn(), or NULL */
	void *turn_arg;
	int64_t lease_ms;
	int max_attempts;            /* runs a node gets: 1 + its retries */
	CURLM *multi;
	struct multi_epoll *loop;        /* drives multi (net/multi_epoll.h) */
	struct publisher *pub;
	struct node_services services;   /* what node kinds may ask of the engine */
	struct gateway_sender *gateway;  /* replies to chats (gateway/sender.h), or NULL */
	struct watch_listen *watch;      /* other hosts' watched channels (PostgreSQL), or NULL */
	int wake_fd, notify_fd;
	struct exec_entry **cache;   /* small LRU of executions */
	size_t n_cache;
	json_t *cache_index;         /* execution id -> position in cache */
	struct graph **graphs;
	size_t n_graphs;
	struct start_cache *start_cache; /* triggers' workflows (model/start_cache.h), or NULL */
	unsigned long clock;
	struct job *runq;            /* claimed or self-queued, not yet run */
	size_t n_runq, cap_runq;
	struct ran_job *batch;       /* run, not yet committed */
	size_t n_batch, cap_batch;
	/* Commits of a pass wait for no disk; the last one does, and only
	 * then are their events and wake-ups released (engine_make_durable). */
	struct held_event *held;
	size_t n_held, cap_held;
	int held_wake, held_gateway;
	int held_wake_rode;          /* a trigger's: its commit carried the NOTIFY */
	/* A service (a budget reservation or settlement, an agent's
	 * checkpoint) committed without waiting for the disk: the pass's
	 * barrier makes it durable before the loop sends anything. */
	int held_durable;
	char last_exec[37];          /* an execution the pass wrote: the barrier's row */
	/* Reservations asked for in this round of the pass, answered
	 * together (engine_reservations_flush): each a waiting agent's. */
	struct budget_ticket *tickets;
	/* Answers' settlements and checkpoints handed over in this round,
	 * written together (engine_turns_flush): each a waiting agent's. */
	struct turn_ticket *turns;
	unsigned long pass_clock;    /* entries used since then stay cached */
	struct waiting_run *waiting; /* runs waiting on I/O */
	size_t n_waiting, cap_waiting;
	int64_t renew_at_ms;         /* when their leases are renewed next */
	struct outbound_policy *policy;  /* every request a node makes goes through it */
	struct cstore *cstore;       /* the conversation store, opened on first use */
	struct field_keyring keyring;    /* to read credentials (keyring_ready) */
	struct credential_cache *credentials;  /* read in the last second */
	int keyring_ready;
	/* counters for logs and /status */
	unsigned long long runs, commits, claims;
};

#define ENGINE_CACHE_MAX 512
#define ENGINE_GRAPHS_MAX 64
#define ENGINE_BATCH_MAX 256
#define ENGINE_WAITING_MAX 1024     /* runs waiting on I/O per executor */
#define ENGINE_IDLE_CONNECTIONS 256 /* kept open for reuse per executor */

/* The execution's entry, loading it (graph and state) when missing or
 * when its state is older than the database's.  NULL when the execution
 * is gone (logged on a database failure). */
struct exec_entry *engine_exec(struct engine *e, const char *execution_id);
/* The entry of an execution the open transaction has just written, made
 * from the row as written (its strings are taken; *row is cleared) rather
 * than read back: marked written_here. */
struct exec_row;
struct exec_entry *engine_exec_adopt(struct engine *e, struct exec_row *row);
/* Writes x's row as it stands when its trigger's transaction has not
 * written it yet (exec_start.defer_row); nothing otherwise.  Before any
 * row that refers to the execution.  0 or DB_FAILED. */
int engine_exec_write_row(struct engine *e, struct exec_entry *x);
void engine_exec_forget_states(struct engine *e);

/* Commits the batch: one transaction for every outcome in it, waiting
 * for the disk when durable (else its events are held).  0, or -1 when
 * the database failed (the batch is kept for a retry). */
int engine_commit_batch(struct engine *e, int durable);

/*
 * A trigger's run (engine/trigger.h), inside the caller's open write
 * transaction: the new execution x's trigger node and the nodes after it
 * that run inline (at most 256), applied as an executor's commit applies
 * them (log rows, state, jobs for what does not run inline, queued for
 * the executors since this engine runs none, the final status).  The
 * events and wake-ups are held: engine_release_held() after the caller's
 * commit, engine_discard_held() after a rollback.  *status receives the
 * execution's status.  0 or DB_FAILED (the caller rolls back).
 */
int engine_start_inline(struct engine *e, struct exec_entry *x, int no_notify, char *status,
			size_t status_len);
/* Publishes the held events and wakes whoever the commits queued work
 * for (without a durability barrier: the caller's commit was durable). */
void engine_release_held(struct engine *e);
/* Forgets the held events and wake-ups (their transaction rolled back). */
void engine_discard_held(struct engine *e);
/* Forgets every execution of the cache (the graphs stay); only when no
 * held event refers to one. */
void engine_exec_drop_all(struct engine *e);

/* Makes what the pass committed durable (one fsync covers every earlier
 * commit: the log is written in order), then publishes the held events
 * and wakes whoever the commits queued work for.  0 or -1. */
int engine_make_durable(struct engine *e);

/* A service wrote for execution_id without waiting for the disk: the
 * pass's barrier (engine_make_durable) must commit durably even when the
 * pass completed nothing.  execution_id names the barrier's row (NULL:
 * the one named before). */
void engine_owe_durable(struct engine *e, const char *execution_id);

/* What run_node() needs to run node index `node` of x. */
struct run_input engine_run_input(struct engine *e, const struct exec_entry *x, int node,
				  const json_t *resume, int attempt);

/* Queues a job this executor runs next (taken). */
void engine_push(struct engine *e, struct job *j);

/* --- runs waiting on I/O (waiting.c) --- */
/* x's run of job j waits: j is taken. */
void waiting_add(struct engine *e, struct job *j, struct node_run *run, struct exec_entry *x);
/* Steps the runs whose transfers ended or whose time came; the ones that
 * ended join the batch.  The number that ended. */
size_t waiting_step_due(struct engine *e, int64_t now_ms);
/* Drops the runs whose jobs this executor no longer holds (the execution
 * was cancelled or deleted, or the lease lost): their transfers stop at
 * once.  Renews the leases of the rest when due. */
void waiting_check(struct engine *e, int64_t now_ms, int woken);
/* When the loop must come back for them (ms since the epoch), or -1. */
int64_t waiting_wake_at(const struct engine *e);
/* On the way out: every run stops, and its job is given back at once. */
void waiting_abandon_all(struct engine *e);
void waiting_free(struct engine *e);

/* 1 when an event of x published now would reach someone: a watcher of
 * its channels (or, for a child's node events, of its root's). */
int engine_events_heard(const struct engine *e, const struct exec_entry *x);
/* node_status data: the node's identity and status (new reference). */
json_t *engine_node_status(const struct topology *topo, int node, const char *status);

/* Publishes a live event (no sequence number) of an execution on
 * execution:<id> and workflow:<slug>. */
void engine_publish_live(struct engine *e, const char *execution_id, const char *slug,
			 const char *type, const json_t *data);

/* Publishes an execution's event on execution:<id> and workflow:<slug>. */
void engine_publish(struct engine *e, const struct exec_entry *x, int64_t seq, const char *type,
		    const json_t *data);

#endif
