/*
 * complete.c: the completion transaction (engine.h).  Every outcome of a
 * pass is applied in one durable transaction: the job's row (deleted,
 * re-queued or set waiting, only while this executor still holds it), the
 * log row, the new state, the successors' jobs, the execution's status;
 * events and self-queued jobs are released only after the commit.
 */
#include "engine/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoints/cstore.h"
#include "db/db.h"
#include "engine/advance.h"
#include "engine/test_kinds.h"
#include "engine/topology.h"
#include "gateway/queue.h"
#include "gateway/sender.h"
#include "graph/node_types.h"
#include "model/execution.h"
#include "util/config.h"
#include "util/jsonw.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/wake.h"
#include "util/xalloc.h"

/* An execution touched by the batch. */
struct touched {
	struct exec_entry *x;
	char status[16];
	int64_t seq;
	char *final_output;          /* JSON text or NULL */
	char *error;                 /* or NULL */
	int64_t completed_ms;
	int written_here;            /* the execution's row is this transaction's own */
	int job_rows;                /* job rows this commit wrote for it */
	int saved;                   /* its row was written as the commit leaves it */
	int heard;                   /* whether its events have a receiver (-1: not asked yet) */
};

struct released_event {
	struct exec_entry *x;
	int64_t seq;
	char *type;
	json_t *data;
};

/* A successor that runs later in the same commit, with no job row
 * (node_kind.h runs_inline). */
struct inline_job {
	struct exec_entry *x;
	char *node_id, *scope;       /* malloc'd */
};

/* A log row of the commit, its text owned until it is written. */
struct held_log {
	char execution_id[37];
	char *node_id, *input, *output, *error, *error_code;
	const char *status;          /* a literal */
	int64_t duration_ms, at_ms;
	int attempt;
};

/* Runs inline per commit, at most: past it (a loop over many items), the
 * rest goes through job rows and runs in the pass's next rounds. */
#define INLINE_RUNS_MAX 4096
/* The same bound for a trigger's transaction (engine_start_inline), which
 * holds the write lock while an API request waits: a longer run goes on
 * through job rows, in the executors. */
#define TRIGGER_INLINE_RUNS_MAX 256

/* A job queued for the other executors of an execution whose row is not
 * written yet (a trigger's: exec_unwritten).  Its insert waits for the
 * row, which is then written once, as the commit leaves it, instead of
 * inserted early for the job's sake and updated at the end (an UPDATE of
 * a row with seven indexes).  Nothing reads its answer. */
struct later_job {
	const char *execution_id;    /* the entry's, alive through the commit */
	char *node_id, *scope;
	int64_t due_ms;
};

struct commit {
	struct engine *e;
	int64_t now;
	size_t inline_max;           /* INLINE_RUNS_MAX, or less for a trigger */
	int no_notify;               /* the caller wakes the executors (a batch) */
	struct touched *t;
	size_t n_t;
	struct released_event *ev;
	size_t n_ev;
	struct job *mine;            /* leased to us by this commit: run next */
	size_t n_mine;
	int woke_others;             /* queued work for any executor (waits, children) */
	int gateway_queued;          /* a message for a chat is in the outbox */
	struct inline_job *inl;      /* in the order they were queued */
	size_t n_inl;
	struct held_log *logs;       /* written together before the commit */
	size_t n_logs;
	struct later_job *later;     /* queued for the others, inserted after the rows */
	size_t n_later;
};

static struct touched *
touched_add(struct commit *c, struct exec_entry *x, const char *status, int64_t seq)
{
	c->t = xrealloc(c->t, (c->n_t + 1) * sizeof *c->t);
	struct touched *t = &c->t[c->n_t++];
	memset(t, 0, sizeof *t);
	t->x = x;
	snprintf(t->status, sizeof t->status, "%s", status);
	t->seq = seq;
	t->heard = -1;
	return t;
}

/* x's state as committed at seq: the one held, or loaded again when
 * another process moved it on.  0, or -1 (the execution is gone, or the
 * database failed: see db_error_class). */
static int
state_at(struct commit *c, struct exec_entry *x, int64_t seq)
{
	if (seq == x->event_seq && x->state != NULL)
		return 0;
	struct exec_row row;
	int rc = exec_row_load(c->e->db, x->id, 0, &row);
	if (rc == 0) {
		json_decref(x->state);
		x->state = json_loads(row.state, 0, NULL);
		if (x->state == NULL)
			x->state = json_object();
		x->event_seq = row.event_seq;
	}
	exec_row_clear(&row);
	return rc == 0 ? 0 : -1;
}

/* The execution as this commit sees it, loaded (and on PostgreSQL locked)
 * the first time; NULL when it is gone or the database failed. */
static struct touched *
touch(struct commit *c, struct exec_entry *x)
{
	for (size_t i = 0; i < c->n_t; i++)
		if (c->t[i].x == x)
			return &c->t[i];
	if (x->written_here) {
		/* Written by this transaction: nobody else can see it, let
		 * alone move it on. */
		x->written_here = 0;
		struct touched *t = touched_add(c, x, x->status, x->event_seq);
		t->written_here = 1;
		return t;
	}
	const char *id = x->id;
	struct exec_head head;
	if (exec_heads_lock(c->e->db, &id, 1, &head) != 0 || head.status[0] == '\0' ||
	    state_at(c, x, head.event_seq) != 0)
		return NULL;
	return touched_add(c, x, head.status, head.event_seq);
}

/* A job row (or a row of another table that refers to the execution) is
 * about to be written for t: the execution's own row must be there
 * first.  0 or DB_FAILED. */
static int
job_row_coming(struct commit *c, struct touched *t)
{
	t->job_rows++;
	return engine_exec_write_row(c->e, t->x);
}

static void
emit(struct commit *c, struct touched *t, const char *type, json_t *data)
{
	c->ev = xrealloc(c->ev, (c->n_ev + 1) * sizeof *c->ev);
	struct released_event *r = &c->ev[c->n_ev++];
	r->x = t->x;
	r->seq = ++t->seq;
	r->type = xstrdup(type);
	r->data = data ? data : json_object();
}

static int
running_now(const struct touched *t)
{
	return strcmp(t->status, "running") == 0 || strcmp(t->status, "pending") == 0;
}

/* Whether anyone would receive t's events, asked once per commit.  The
 * node_status pairs of a node's end are built only for a receiver;
 * unheard, they are only counted in seq, so a watcher who comes in
 * between sees a gap and reloads from REST, as after any reconnect. */
static int
heard(struct commit *c, struct touched *t)
{
	if (t->heard < 0)
		t->heard = engine_events_heard(c->e, t->x);
	return t->heard;
}

json_t *
engine_node_status(const struct topology *topo, int node, const char *status)
{
	const struct topo_node *n = &topo->nodes[node];
	const struct node_type *nt = node_type_find(n->component_type);
	const char *label = json_string_value(json_object_get(n->node, "label"));
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "node_id", n->node_id, "status", status,
			 "component_type", n->component_type,
			 "display_name", nt ? nt->display_name : n->component_type,
			 "node_label", label ? label : "");
}

/* Output for an event: strings over 2048 characters cut, with "...". */
static json_t *
clipped_output(const json_t *v)
{
	if (json_is_string(v) && json_string_length(v) > 2048) {
		char *s = xasprintf("%.2048s...", json_string_value(v));
		json_t *r = json_string(s);
		free(s);
		return r ? r : json_string("...");
	}
	if (json_is_object(v)) {
		json_t *o = json_object();
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)v, k, x)
			json_object_set_new(o, k, clipped_output(x));
		return o;
	}
	return json_incref((json_t *)v);
}

/* Adds the node's log row to the commit's (written by write_logs). */
static void
log_row(struct commit *c, struct ran_job *r, const char *status, const json_t *output)
{
	c->logs = xrealloc(c->logs, (c->n_logs + 1) * sizeof *c->logs);
	struct held_log *l = &c->logs[c->n_logs++];
	memcpy(l->execution_id, r->job.execution_id, sizeof l->execution_id);
	l->node_id = xstrdup(r->job.node_id);
	l->input = r->outcome.log_input ? jw_dump(r->outcome.log_input, NULL) : NULL;
	l->output = output ? jw_dump(output, NULL) : NULL;
	l->error = strcmp(status, "failed") == 0 ? xstrdup(r->outcome.error) : NULL;
	l->error_code = r->outcome.error_code[0] ? xstrdup(r->outcome.error_code) : NULL;
	l->status = status;
	l->duration_ms = r->outcome.duration_ms;
	l->attempt = r->job.attempt;
	l->at_ms = r->outcome.started_ms ? r->outcome.started_ms : c->now;
}

/* Every log row of the commit, in as few statements as the model can. */
static int
write_logs(struct commit *c)
{
	if (c->n_logs == 0)
		return 0;
	struct exec_log *rows = xcalloc(c->n_logs, sizeof *rows);
	for (size_t i = 0; i < c->n_logs; i++) {
		const struct held_log *h = &c->logs[i];
		rows[i] = (struct exec_log){
			.execution_id = h->execution_id, .node_id = h->node_id, .status = h->status,
			.input = h->input, .output = h->output, .error = h->error,
			.error_code = h->error_code, .duration_ms = h->duration_ms,
			.attempt = h->attempt, .at_ms = h->at_ms,
		};
	}
	int rc = exec_log_insert_many(c->e->db, rows, c->n_logs);
	free(rows);
	return rc;
}

/* Whether node_id may run inline, in this commit: its kind needs nothing
 * but its inputs, no human is asked before or after it, and the execution
 * has time left (its job would fail it). */
static int
can_run_inline(const struct commit *c, const struct exec_entry *x, const char *node_id)
{
	if (c->n_inl >= c->inline_max || x->topo == NULL)
		return 0;
	if (x->deadline_ms > 0 && c->now > x->deadline_ms)
		return 0;
	int node = topology_find(x->topo, node_id);
	if (node < 0)
		return 0;
	const struct topo_node *n = &x->topo->nodes[node];
	if (n->interrupt_before || n->interrupt_after)
		return 0;
	const struct node_kind *kind = engine_kind_find(n->component_type, c->e->cfg->test_routes);
	return kind != NULL && kind->runs_inline;
}

/* Carries out a plan: jobs due now run inline later in this commit when
 * they can, else are leased to us and run in the next round; delayed ones
 * wait in the queue for whoever is awake when they fall due. */
static int
carry_out(struct commit *c, struct touched *t, struct plan *p)
{
	for (size_t i = 0; i < p->n_jobs; i++) {
		struct plan_job *pj = &p->jobs[i];
		int mine = pj->delay_ms == 0;
		if (mine && can_run_inline(c, t->x, pj->node_id)) {
			c->inl = xrealloc(c->inl, (c->n_inl + 1) * sizeof *c->inl);
			c->inl[c->n_inl++] = (struct inline_job){ t->x, pj->node_id, pj->scope };
			pj->node_id = pj->scope = NULL;
			continue;
		}
		/* An engine that runs no jobs (a trigger's, owner "") queues
		 * them for the executors. */
		if (c->e->owner[0] == '\0')
			mine = 0;
		if (!mine && t->x->unwritten != NULL) {
			t->job_rows++;
			c->later = xrealloc(c->later, (c->n_later + 1) * sizeof *c->later);
			c->later[c->n_later++] = (struct later_job){ t->x->id, pj->node_id, pj->scope,
								     c->now + pj->delay_ms };
			pj->node_id = pj->scope = NULL;
			c->woke_others = 1;
			continue;
		}
		int64_t id;
		if (job_row_coming(c, t) != 0)
			return DB_FAILED;
		/* Only a job of ours needs its id back (to run it). */
		if (job_insert(c->e->db, t->x->id, pj->node_id, pj->scope,
			       mine ? c->now + c->e->lease_ms : c->now + pj->delay_ms,
			       mine ? c->e->owner : NULL, 0, mine ? &id : NULL) != 0)
			return DB_FAILED;
		if (mine) {
			c->mine = xrealloc(c->mine, (c->n_mine + 1) * sizeof *c->mine);
			struct job *j = &c->mine[c->n_mine++];
			memset(j, 0, sizeof *j);
			j->id = id;
			memcpy(j->execution_id, t->x->id, sizeof j->execution_id);
			j->node_id = xstrdup(pj->node_id);
			j->scope = pj->scope ? xstrdup(pj->scope) : NULL;
			j->attempt = 1;
		} else {
			c->woke_others = 1;
		}
	}
	for (size_t i = 0; i < p->n_events; i++) {
		emit(c, t, p->events[i].type, p->events[i].data);
		p->events[i].data = NULL;
	}
	return 0;
}

/* A child's end reaches its parent: the parent's waiting node runs again
 * with the child's result. */
static int
resume_parent(struct commit *c, struct touched *t, const char *status, const json_t *output,
	      const char *error)
{
	struct exec_entry *x = t->x;
	if (x->parent_execution_id == NULL || x->parent_node_id == NULL)
		return 0;
	json_t *resume = json_pack("{s:s, s:s}", "child_execution_id", x->id, "status", status);
	if (output)
		json_object_set(resume, "output", (json_t *)output);
	if (error)
		json_object_set_new(resume, "error", json_string(error));
	int rc = job_wake_waiting(c->e->db, x->parent_execution_id, x->parent_node_id, resume,
				  c->now);
	json_decref(resume);
	c->woke_others |= rc > 0;
	return rc < 0 ? DB_FAILED : 0;
}

/* The workflow named to handle failures runs with what went wrong. */
static int
start_error_handler(struct commit *c, struct touched *t, const char *error, const char *code)
{
	json_t *wf = json_object_get(t->x->topo ? t->x->topo->snapshot : NULL, "workflow");
	json_int_t handler = json_integer_value(json_object_get(wf, "error_handler_workflow_id"));
	if (handler <= 0)
		return 0;
	char *slug = exec_workflow_slug(c->e->db, handler);
	if (slug == NULL)
		return 0;
	json_t *payload = json_pack("{s:s, s:{s:s, s:s, s:s, s:s}}",
		"text", error, "error", "message", error, "code", code ? code : "",
		"execution_id", t->x->id, "workflow_slug", t->x->slug ? t->x->slug : "");
	struct exec_start rq = {
		.workflow_slug = slug, .owner = t->x->owner_id,
		.user_profile_id = t->x->user_profile_id, .trigger_type = "trigger_error",
		.payload = payload, .now_ms = c->now,
	};
	char id[EXEC_ID_MAX + 1];
	int rc = execution_start(c->e->db, &rq, id);
	if (rc == EXEC_NO_TRIGGER) {
		rq.trigger_type = NULL;      /* a handler without an error trigger runs whole */
		rc = execution_start(c->e->db, &rq, id);
	}
	json_decref(payload);
	free(slug);
	if (rc == DB_FAILED)
		return DB_FAILED;
	c->woke_others = 1;
	return 0;
}

static int
fail_execution(struct commit *c, struct touched *t, const char *error, const char *code)
{
	if (job_delete_all(c->e->db, t->x->id) != 0)
		return DB_FAILED;
	snprintf(t->status, sizeof t->status, "failed");
	free(t->error);
	t->error = xstrdup(error);
	t->completed_ms = c->now;
	json_t *data = json_pack("{s:s}", "error", error);
	if (code && *code)
		json_object_set_new(data, "error_code", json_string(code));
	emit(c, t, "execution_failed", data);
	if (resume_parent(c, t, "failed", NULL, error) != 0)
		return DB_FAILED;
	return start_error_handler(c, t, error, code);
}

/* Text of a message in LangChain's serialised form: a string, or the text
 * blocks of a list joined by newlines. */
static char *
message_text(const json_t *m)
{
	const json_t *content = json_object_get(json_object_get(m, "data"), "content");
	if (content == NULL)
		content = json_object_get(m, "content");
	if (json_is_string(content))
		return xstrdup(json_string_value(content));
	if (!json_is_array(content))
		return NULL;
	char *text = xstrdup("");
	size_t len = 0, i;
	json_t *b;
	json_array_foreach(content, i, b) {
		const char *s = json_string_value(json_object_get(b, "text"));
		if (s == NULL)
			continue;
		size_t n = strlen(s);
		text = xrealloc(text, len + n + 2);
		if (len > 0)
			text[len++] = '\n';
		memcpy(text + len, s, n + 1);
		len += n;
	}
	return text;
}

/* pipelit-engine.md 2.11: the first rule that yields a value. */
static json_t *
final_output(const json_t *state)
{
	json_t *output = json_object_get(state, "output");
	if (output && !json_is_null(output))
		return json_pack("{s:O}", "output", output);
	json_t *messages = json_object_get(state, "messages");
	for (size_t i = json_array_size(messages); i-- > 0;) {
		json_t *m = json_array_get(messages, i);
		const char *type = json_string_value(json_object_get(m, "type"));
		if (type && strcmp(type, "ai") == 0) {
			char *text = message_text(m);
			if (text && *text) {
				json_t *r = json_pack("{s:s}", "message", text);
				free(text);
				return r;
			}
			free(text);
		}
	}
	json_t *outputs = json_object_get(state, "node_outputs");
	if (json_object_size(outputs) > 0)
		return json_pack("{s:O}", "node_outputs", outputs);
	size_t n = json_array_size(messages);
	if (n > 0) {
		char *text = message_text(json_array_get(messages, n - 1));
		json_t *r = text ? json_pack("{s:s}", "message", text) : NULL;
		free(text);
		if (r)
			return r;
	}
	return json_null();
}

/* A gateway queue call's result (gateway/queue.h): the commit sends the
 * message after it is durable. */
static int
queue_for_gateway(struct commit *c, int queued)
{
	if (queued < 0)
		return DB_FAILED;
	c->gateway_queued |= queued;
	return 0;
}

/* The execution ran out of jobs: it completed. */
static int
finalize(struct commit *c, struct touched *t)
{
	json_t *out = final_output(t->x->state);
	snprintf(t->status, sizeof t->status, "completed");
	t->completed_ms = c->now;
	free(t->final_output);
	t->final_output = jw_dump(out, NULL);
	json_t *engine = json_object_get(t->x->state, "_engine");
	json_t *usage = json_object_get(engine, "usage");
	json_t *summary = json_pack("{s:I, s:I, s:I, s:f, s:I, s:I, s:i}",
		"total_steps", json_integer_value(json_object_get(engine, "steps")),
		"total_duration_ms", (json_int_t)(c->now - t->x->started_ms),
		"total_tokens", json_integer_value(json_object_get(usage, "total_tokens")),
		"total_cost_usd", json_number_value(json_object_get(usage, "cost_usd")),
		"llm_calls", json_integer_value(json_object_get(usage, "llm_calls")),
		"tool_invocations", json_integer_value(json_object_get(usage, "tool_invocations")),
		"child_count", (int)json_integer_value(json_object_get(engine, "children")));
	emit(c, t, "execution_completed", json_pack("{s:O, s:o}", "output", out,
						    "activity_summary", summary));
	int rc = resume_parent(c, t, "completed", out, NULL);
	if (rc == 0)
		rc = queue_for_gateway(c, gateway_queue_reply(c->e->db, c->e->cfg, t->x->id,
			json_object_get(t->x->state, "trigger"), out, c->now));
	json_decref(out);
	return rc;
}

static void
count_in_state(json_t *state, const char *key)
{
	json_t *engine = json_object_get(state, "_engine");
	if (!json_is_object(engine)) {
		engine = json_object();
		json_object_set_new(state, "_engine", engine);
	}
	json_object_set_new(engine, key,
			    json_integer(json_integer_value(json_object_get(engine, key)) + 1));
}

/* Adds a node's _token_usage to the execution's (state._engine.usage):
 * what execution_completed's activity summary reports. */
static void
add_usage(json_t *state, const json_t *usage)
{
	if (!json_is_object(usage))
		return;
	json_t *engine = json_object_get(state, "_engine");
	if (!json_is_object(engine)) {
		engine = json_object();
		json_object_set_new(state, "_engine", engine);
	}
	json_t *total = json_object_get(engine, "usage");
	if (!json_is_object(total)) {
		total = json_object();
		json_object_set_new(engine, "usage", total);
	}
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)usage, key, v) {
		if (!json_is_number(v))
			continue;
		json_t *old = json_object_get(total, key);
		if (json_is_integer(v) && (old == NULL || json_is_integer(old)))
			json_object_set_new(total, key, json_integer(json_integer_value(old) +
								   json_integer_value(v)));
		else
			json_object_set_new(total, key, json_real(json_number_value(old) +
								json_number_value(v)));
	}
}

static int
interrupt(struct commit *c, struct touched *t, struct ran_job *r, int node, int after)
{
	struct engine *e = c->e;
	if (job_row_coming(c, t) != 0)
		return DB_FAILED;
	int rc = job_set_waiting(e->db, r->job.id, e->owner, r->job.attempt, after);
	if (rc <= 0)
		return rc;
	const struct topo_node *n = &t->x->topo->nodes[node];
	char *prompt;
	const json_t *extra = json_object_get(json_object_get(n->node, "config"), "extra_config");
	const char *own = json_string_value(json_object_get(extra, "prompt"));
	if (strcmp(n->component_type, "human_confirmation") == 0)
		prompt = xstrdup(own && *own ? own : "Please confirm to proceed.");
	else
		prompt = xasprintf("Confirmation required at node '%s' (%s execution).", n->node_id,
				   after ? "after" : "before");
	int64_t timeout;
	if (exec_confirmation_timeout(e->db, &timeout) != 0) {
		free(prompt);
		return DB_FAILED;
	}
	json_t *trigger = json_object_get(t->x->state, "trigger");
	json_t *chat = json_object_get(trigger, "chat_id");
	char *chat_id = chat ? (json_is_string(chat) ? xstrdup(json_string_value(chat))
						      : jw_dump(chat, NULL)) : NULL;
	const char *credential = json_string_value(json_object_get(trigger, "credential_id"));
	char task[9];
	rc = exec_task_insert(e->db, t->x->id, t->x->user_profile_id, chat_id, credential,
			      n->node_id, prompt, c->now + timeout * 1000, task);
	free(chat_id);
	if (rc == 0)
		rc = queue_for_gateway(c, gateway_queue_prompt(e->db, e->cfg, t->x->id, trigger,
							       task, c->now));
	if (rc == 0) {
		snprintf(t->status, sizeof t->status, "interrupted");
		emit(c, t, "node_status", json_pack("{s:s, s:s, s:s}", "node_id", n->node_id,
			"status", "waiting", "component_type", n->component_type));
		emit(c, t, "execution_interrupted", json_pack("{s:s, s:s, s:s}", "node_id",
			n->node_id, "task_id", task, "prompt", prompt));
	}
	free(prompt);
	return rc == 0 ? 1 : rc;
}

/* The node asked for a child execution: started in this transaction; the
 * node waits and runs again with the child's result. */
static int
start_child(struct commit *c, struct touched *t, struct ran_job *r, int node,
	    const json_t *sub, char *why, size_t why_len)
{
	struct engine *e = c->e;
	const char *slug = json_string_value(json_object_get(sub, "workflow"));
	const char *trigger_id = json_string_value(json_object_get(sub, "trigger_node_id"));
	const char *mode = json_string_value(json_object_get(sub, "trigger_mode"));
	json_int_t depth = json_integer_value(json_object_get(t->x->state, "_spawn_depth"));
	if (slug == NULL || *slug == '\0') {
		snprintf(why, why_len, "no target workflow given");
		return 1;
	}
	if (depth >= 10) {
		snprintf(why, why_len, "subworkflow depth limit reached (10)");
		return 1;
	}
	json_t *payload = json_deep_copy(json_object_get(sub, "payload"));
	if (!json_is_object(payload)) {
		json_decref(payload);
		payload = json_object();
	}
	json_object_set_new(payload, "_spawn_depth", json_integer(depth + 1));
	int explicit = trigger_id || (mode && strcmp(mode, "explicit") == 0);
	struct exec_start rq = {
		.workflow_slug = slug, .owner = t->x->owner_id,
		.user_profile_id = t->x->user_profile_id,
		.trigger_type = explicit ? "trigger_workflow" : NULL,
		.trigger_node_id = trigger_id, .payload = payload,
		.parent_execution_id = t->x->id, .parent_node_id = r->job.node_id,
		.now_ms = c->now,
	};
	char child[EXEC_ID_MAX + 1];
	/* The child's row refers to its parent's. */
	int rc = engine_exec_write_row(e, t->x) != 0 ? DB_FAILED : execution_start(e->db, &rq, child);
	json_decref(payload);
	if (rc == DB_FAILED)
		return DB_FAILED;
	if (rc != EXEC_OK) {
		snprintf(why, why_len, "%s", rc == EXEC_NOT_FOUND ? "the target workflow does not exist"
			 : rc == EXEC_INACTIVE ? "the target workflow is not active"
			 : "the target workflow has no trigger_workflow node");
		return 1;
	}
	if (job_row_coming(c, t) != 0)
		return DB_FAILED;
	rc = job_set_waiting(e->db, r->job.id, e->owner, r->job.attempt, 0);
	if (rc <= 0)
		return rc < 0 ? DB_FAILED : 2;
	count_in_state(t->x->state, "children");
	json_t *data = engine_node_status(t->x->topo, node, "waiting");
	json_object_set_new(data, "child_execution_ids", json_pack("[s]", child));
	emit(c, t, "node_status", data);
	c->woke_others = 1;
	return 0;
}

/* Ends the job's row: 1, or 0 when it is not ours any more.  A node run
 * inline has no row. */
static int
finish_job(struct commit *c, struct ran_job *r)
{
	if (r->job.id == 0)
		return 1;
	if (!r->held)
		return 0;
	r->held = 0;
	return job_finish_held(c->e->db, r->job.id) == 0 ? 1 : DB_FAILED;
}

static int64_t
retry_delay_ms(int attempt)
{
	/* 1 s, 2 s, 4 s, ... after the first, second, third run */
	int shift = attempt > 1 ? attempt - 1 : 0;
	return 1000LL << (shift > 10 ? 10 : shift);
}

static int
apply_failure(struct commit *c, struct touched *t, struct ran_job *r, int node)
{
	struct engine *e = c->e;
	struct outcome *o = &r->outcome;
	if (!o->error_code[0])
		snprintf(o->error_code, sizeof o->error_code, "node_error");
	log_row(c, r, "failed", NULL);
	if (heard(c, t)) {
		json_t *data = engine_node_status(t->x->topo, node, "failed");
		json_object_set_new(data, "error", json_stringn(o->error, strnlen(o->error, 500)));
		json_object_set_new(data, "error_code", json_string(o->error_code));
		emit(c, t, "node_status", engine_node_status(t->x->topo, node, "running"));
		emit(c, t, "node_status", data);
	} else {
		t->seq += 2;
	}
	if (r->job.attempt < e->max_attempts && !o->no_retry) {
		int64_t due = c->now + retry_delay_ms(r->job.attempt);
		/* A node run inline is retried from the queue, as a job. */
		if (job_row_coming(c, t) != 0)
			return DB_FAILED;
		int rc = r->job.id == 0
			? job_insert(e->db, t->x->id, r->job.node_id, r->job.scope, due, NULL,
				     r->job.attempt, NULL)
			: job_requeue(e->db, r->job.id, e->owner, r->job.attempt, due);
		c->woke_others = 1;
		return rc < 0 ? DB_FAILED : 0;
	}
	int rc = finish_job(c, r);
	if (rc <= 0)
		return rc;
	if (r->job.scope && advance_loop_continues(t->x->topo, r->job.scope)) {
		json_t *errors = json_object_get(t->x->state, "_loop_errors");
		if (!json_is_object(errors)) {
			errors = json_object();
			json_object_set_new(t->x->state, "_loop_errors", errors);
		}
		json_t *per_loop = json_object_get(errors, r->job.scope);
		if (!json_is_object(per_loop)) {
			per_loop = json_object();
			json_object_set_new(errors, r->job.scope, per_loop);
		}
		json_object_set_new(per_loop, r->job.node_id, json_pack("{s:s%, s:s}",
			"error", o->error, strnlen(o->error, 500), "error_code", o->error_code));
		struct plan p = { 0 };
		advance_scope_done(t->x->topo, t->x->state, r->job.scope, &p);
		rc = carry_out(c, t, &p);
		plan_free(&p);
		return rc;
	}
	char *msg = xasprintf("Node %s: %.1900s", r->job.node_id, o->error);
	rc = fail_execution(c, t, msg, o->error_code);
	free(msg);
	return rc;
}

static int
apply_done(struct commit *c, struct touched *t, struct ran_job *r, int node)
{
	const struct topo_node *n = &t->x->topo->nodes[node];
	const json_t *sub = json_object_get(r->outcome.result, "_subworkflow");
	if (sub) {
		char why[300];
		int rc = start_child(c, t, r, node, sub, why, sizeof why);
		if (rc != 1)
			return rc == 2 ? 0 : rc;
		r->outcome.kind = OUTCOME_FAILED;
		r->outcome.no_retry = 1;
		snprintf(r->outcome.error, sizeof r->outcome.error, "Subworkflow: %s", why);
		snprintf(r->outcome.error_code, sizeof r->outcome.error_code, "subworkflow");
		return apply_failure(c, t, r, node);
	}
	int after = n->interrupt_after && !r->job.after;
	int rc = after ? 1 : finish_job(c, r);
	if (rc <= 0)
		return rc;
	struct result_effects fx;
	state_apply_result(t->x->state, n->node_id, r->outcome.result, &fx);
	count_in_state(t->x->state, "steps");
	add_usage(t->x->state, fx.token_usage);
	json_t *ports = json_object_get(json_object_get(t->x->state, "node_outputs"), n->node_id);
	log_row(c, r, "completed", ports);
	/* "running" goes out with the result: events follow commits, and a
	 * logic node's run ends before its commit begins. */
	if (heard(c, t)) {
		emit(c, t, "node_status", engine_node_status(t->x->topo, node, "running"));
		json_t *data = engine_node_status(t->x->topo, node, "success");
		json_object_set_new(data, "duration_ms", json_integer(r->outcome.duration_ms));
		json_object_set_new(data, "output", clipped_output(ports));
		emit(c, t, "node_status", data);
	} else {
		t->seq += 2;
	}
	if (after) {
		result_effects_free(&fx);
		rc = interrupt(c, t, r, node, 1);
		return rc < 0 ? rc : 0;
	}
	struct plan p = { 0 };
	if (fx.loop_items)
		advance_loop_start(t->x->topo, t->x->state, node, fx.loop_items, r->job.scope,
				   fx.delay_ms, &p);
	else
		advance_from(t->x->topo, t->x->state, node, fx.route, r->job.scope, fx.delay_ms, &p);
	rc = carry_out(c, t, &p);
	plan_free(&p);
	result_effects_free(&fx);
	return rc;
}

static int
apply_start(struct commit *c, struct touched *t, struct ran_job *r)
{
	int rc = finish_job(c, r);
	if (rc <= 0)
		return rc;
	if (strcmp(t->status, "pending") == 0) {
		snprintf(t->status, sizeof t->status, "running");
		emit(c, t, "execution_started", json_pack("{s:I}", "workflow_id",
							  (json_int_t)t->x->workflow_id));
	}
	if (t->x->topo == NULL)
		return fail_execution(c, t, r->outcome.error, "no_runnable_nodes");
	int start = t->x->topo->start;
	if (start >= 0) {
		/* The trigger's output is its payload (2.3 step 5). */
		struct result_effects fx;
		json_t *payload = json_object_get(t->x->state, "trigger");
		json_t *copy = json_is_object(payload) ? json_deep_copy(payload) : json_object();
		state_apply_result(t->x->state, t->x->topo->nodes[start].node_id, copy, &fx);
		json_decref(copy);
		result_effects_free(&fx);
	}
	struct plan p = { 0 };
	advance_start(t->x->topo, t->x->state, &p);
	rc = carry_out(c, t, &p);
	plan_free(&p);
	return rc;
}

/* Applies one outcome.  0 applied or skipped, DB_FAILED. */
static int
apply(struct commit *c, struct ran_job *r)
{
	struct engine *e = c->e;
	struct exec_entry *x = engine_exec(e, r->job.execution_id);
	if (x == NULL) {
		/* The execution was deleted: its jobs went with it. */
		return db_error_class(e->db) == DB_CLASS_NONE ? 0 : DB_FAILED;
	}
	struct touched *t = touch(c, x);
	if (t == NULL)
		return db_error_class(e->db) == DB_CLASS_NONE ? 0 : DB_FAILED;
	if (!running_now(t) && r->outcome.kind != OUTCOME_DROP) {
		/* cancelled or finished meanwhile: the job is dropped */
		int rc = finish_job(c, r);
		return rc < 0 ? DB_FAILED : 0;
	}
	int node = x->topo ? topology_find(x->topo, r->job.node_id) : -1;
	if (node < 0 && r->outcome.kind != OUTCOME_START && r->outcome.kind != OUTCOME_TIMEOUT)
		r->outcome.kind = OUTCOME_DROP;   /* not in the graph it runs: nothing to do */
	int rc;
	switch (r->outcome.kind) {
	case OUTCOME_START:
		rc = apply_start(c, t, r);
		break;
	case OUTCOME_DROP:
		rc = finish_job(c, r);
		break;
	case OUTCOME_TIMEOUT:
		rc = finish_job(c, r);
		if (rc > 0)
			rc = fail_execution(c, t, r->outcome.error, "timeout");
		break;
	case OUTCOME_INTERRUPT:
		rc = interrupt(c, t, r, node, 0);
		break;
	case OUTCOME_ADVANCE: {
		rc = finish_job(c, r);
		if (rc > 0) {
			struct plan p = { 0 };
			const char *route = json_string_value(json_object_get(x->state, "route"));
			advance_from(x->topo, x->state, node, route, r->job.scope, 0, &p);
			rc = carry_out(c, t, &p);
			plan_free(&p);
		}
		break;
	}
	case OUTCOME_DONE:
		rc = apply_done(c, t, r, node);
		break;
	case OUTCOME_FAILED:
	default:
		rc = apply_failure(c, t, r, node);
		break;
	}
	return rc < 0 ? DB_FAILED : 0;
}

/* Runs a successor queued inline and applies its outcome, as its own job
 * would have in the next round.  0 or DB_FAILED. */
static int
apply_inline(struct commit *c, struct inline_job *q)
{
	struct engine *e = c->e;
	struct touched *t = touch(c, q->x);
	if (t == NULL)
		return db_error_class(e->db) == DB_CLASS_NONE ? 0 : DB_FAILED;
	if (!running_now(t))
		return 0;                    /* failed by another branch in this commit */
	int node = topology_find(q->x->topo, q->node_id);
	struct ran_job r = { .job = { .attempt = 1, .node_id = q->node_id, .scope = q->scope } };
	q->node_id = q->scope = NULL;
	memcpy(r.job.execution_id, q->x->id, sizeof r.job.execution_id);
	struct run_input in = engine_run_input(e, q->x, node, NULL, 1);
	struct node_run *waits = run_node(&in, &r.outcome);
	if (waits != NULL) {
		/* Inline kinds never wait (node_kind.h runs_inline). */
		run_node_cancel(waits);
		r.outcome.kind = OUTCOME_FAILED;
		r.outcome.no_retry = 1;
		snprintf(r.outcome.error, sizeof r.outcome.error, "an inline node cannot wait");
	}
	e->runs++;
	int rc = r.outcome.kind == OUTCOME_DONE ? apply_done(c, t, &r, node)
						: apply_failure(c, t, &r, node);
	job_clear(&r.job);
	outcome_clear(&r.outcome);
	return rc < 0 ? DB_FAILED : 0;
}

static void
commit_free(struct commit *c, int keep_jobs)
{
	for (size_t i = 0; i < c->n_t; i++) {
		free(c->t[i].final_output);
		free(c->t[i].error);
	}
	free(c->t);
	for (size_t i = 0; i < c->n_ev; i++) {
		free(c->ev[i].type);
		json_decref(c->ev[i].data);
	}
	free(c->ev);
	for (size_t i = 0; i < c->n_inl; i++) {
		free(c->inl[i].node_id);
		free(c->inl[i].scope);
	}
	free(c->inl);
	for (size_t i = 0; i < c->n_logs; i++) {
		struct held_log *l = &c->logs[i];
		free(l->node_id);
		free(l->input);
		free(l->output);
		free(l->error);
		free(l->error_code);
	}
	free(c->logs);
	for (size_t i = 0; i < c->n_later; i++) {
		free(c->later[i].node_id);
		free(c->later[i].scope);
	}
	free(c->later);
	if (!keep_jobs)
		for (size_t i = 0; i < c->n_mine; i++)
			job_clear(&c->mine[i]);
	free(c->mine);
}

static int
save_touched(struct commit *c)
{
	for (size_t i = 0; i < c->n_t; i++) {
		struct touched *t = &c->t[i];
		if (t->saved)
			continue;
		char *state = jw_dump(t->x->state, NULL);
		int rc = exec_row_save(c->e->db, t->x->id, t->status, state, t->seq, t->final_output,
				       t->error, t->completed_ms);
		free(state);
		if (rc != 0)
			return DB_FAILED;
	}
	return 0;
}

static void
release_held(struct engine *e)
{
	for (size_t i = 0; i < e->n_held; i++) {
		struct held_event *h = &e->held[i];
		engine_publish(e, h->x, h->seq, h->type, h->data);
		free(h->type);
		json_decref(h->data);
	}
	e->n_held = 0;
	if (e->held_wake)
		wake_executors(e->cfg);
	if (e->held_gateway)
		gateway_sender_kick(e->gateway);
	e->held_wake = e->held_gateway = e->held_durable = 0;
}

void
engine_owe_durable(struct engine *e, const char *execution_id)
{
	e->held_durable = 1;
	if (execution_id)
		snprintf(e->last_exec, sizeof e->last_exec, "%s", execution_id);
}

int
engine_make_durable(struct engine *e)
{
	if (e->n_held == 0 && !e->held_wake && !e->held_gateway && !e->held_durable)
		return 0;
	/* Agents' memory threads in their own file: on disk before the
	 * completions that appended them are. */
	char *err = NULL;
	if (e->cstore && cstore_sync(e->cstore, &err) != 0) {
		log_warn("engine: syncing the conversation store failed (%s); retrying", err);
		free(err);
		return -1;
	}
	/* The same wait as every durable commit's: a log sync (SQLite) or
	 * flush (PostgreSQL) that covers every commit of the pass. */
	if (e->last_exec[0] != '\0' && db_make_durable(e->db) != 0)
		return -1;
	/* A channel watched from another host meanwhile: its mark came with
	 * the answers to the pass's statements, and the events below would
	 * miss its subscriber if it waited for the loop's next drain. */
	db_take_notifies(e->db);
	release_held(e);
	return 0;
}

/* Completes every running execution of the commit with no job left (one
 * query per up to 32 executions).  0 or DB_FAILED. */
static int
finalize_finished(struct commit *c)
{
	const char **ids = xcalloc(c->n_t ? c->n_t : 1, sizeof *ids);
	struct touched **ts = xcalloc(c->n_t ? c->n_t : 1, sizeof *ts);
	int *left = xcalloc(c->n_t ? c->n_t : 1, sizeof *left);
	size_t n = 0;
	int rc = 0;
	for (size_t i = 0; i < c->n_t && rc == 0; i++) {
		struct touched *t = &c->t[i];
		if (strcmp(t->status, "running") != 0)
			continue;
		/* An execution this transaction wrote has no job rows but the
		 * ones this commit wrote: nothing to ask. */
		if (t->written_here && t->job_rows == 0)
			rc = finalize(c, t) < 0 ? DB_FAILED : 0;
		else if (!t->written_here) {
			ts[n] = t;
			ids[n++] = t->x->id;
		}
	}
	if (rc == 0)
		rc = job_left_many(c->e->db, ids, n, left);
	for (size_t i = 0; i < n && rc == 0; i++)
		if (!left[i])
			rc = finalize(c, ts[i]) < 0 ? DB_FAILED : 0;
	free(left);
	free(ts);
	free(ids);
	return rc;
}

static int
by_execution_id(const void *a, const void *b)
{
	const struct exec_entry *const *x = a, *const *y = b;
	return strcmp((*x)->id, (*y)->id);
}

/* Loads every execution of the batch first (PostgreSQL: locks its row), in
 * the order of their ids: two executors whose batches share executions
 * lock them in the same order, so one waits for the other instead of the
 * two deadlocking.  One statement per up to 32 executions; a state is read
 * only when another process moved it on.  0 or DB_FAILED. */
static int
touch_in_order(struct commit *c)
{
	struct engine *e = c->e;
	size_t cap = e->n_batch ? e->n_batch : 1;
	struct exec_entry **xs = xcalloc(cap, sizeof *xs);
	size_t n = 0;
	for (size_t i = 0; i < e->n_batch; i++) {
		struct exec_entry *x = engine_exec(e, e->batch[i].job.execution_id);
		if (x != NULL)
			xs[n++] = x;
	}
	qsort(xs, n, sizeof *xs, by_execution_id);
	const char **ids = xcalloc(cap, sizeof *ids);
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (i == 0 || xs[i] != xs[i - 1])
			xs[m++] = xs[i];
	for (size_t i = 0; i < m; i++)
		ids[i] = xs[i]->id;
	struct exec_head *heads = xcalloc(cap, sizeof *heads);
	int rc = exec_heads_lock(e->db, ids, m, heads);
	for (size_t i = 0; i < m && rc == 0; i++) {
		if (heads[i].status[0] == '\0')
			continue;                /* deleted: its jobs went with it */
		if (state_at(c, xs[i], heads[i].event_seq) != 0) {
			if (db_error_class(e->db) != DB_CLASS_NONE)
				rc = DB_FAILED;
			continue;
		}
		touched_add(c, xs[i], heads[i].status, heads[i].event_seq);
	}
	free(heads);
	free(ids);
	free(xs);
	return rc;
}

/* Marks the batch's jobs this executor still holds, after their executions'
 * rows are locked (the order every transaction takes them in): one query
 * for the batch instead of one per job, and each held job's delete then
 * needs no answer.  0 or DB_FAILED. */
static int
hold_jobs(struct engine *e)
{
	size_t cap = e->n_batch ? e->n_batch : 1;
	int64_t *ids = xcalloc(cap, sizeof *ids);
	int *attempts = xcalloc(cap, sizeof *attempts);
	int *held = xcalloc(cap, sizeof *held);
	size_t *at = xcalloc(cap, sizeof *at);
	size_t n = 0;
	for (size_t i = 0; i < e->n_batch; i++) {
		e->batch[i].held = 0;
		if (e->batch[i].job.id == 0)
			continue;
		ids[n] = e->batch[i].job.id;
		attempts[n] = e->batch[i].job.attempt;
		at[n++] = i;
	}
	int rc = job_hold_many(e->db, e->owner, ids, attempts, n, held);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct ran_job *r = &e->batch[at[i]];
		r->held = held[i];
		if (!held[i])
			log_info("engine: execution %s, node %s, attempt %d: the job is no longer this "
				 "executor's (its lease ran out and another executor took it over, or "
				 "the execution ended); its result is dropped",
				 r->job.execution_id, r->job.node_id, r->job.attempt);
	}
	free(at);
	free(held);
	free(attempts);
	free(ids);
	return rc == 0 ? 0 : DB_FAILED;
}

/* Writes x's row, which its trigger's transaction left unwritten, with
 * these values, and forgets it.  0 or DB_FAILED. */
static int
write_unwritten(struct engine *e, struct exec_entry *x, const char *status, int64_t seq,
		const char *final_output, const char *error, int64_t completed_ms)
{
	char *state = jw_dump(x->state, NULL);
	int rc = exec_unwritten_write(e->db, x->unwritten, status, state, seq, final_output,
				      error, completed_ms);
	free(state);
	exec_unwritten_free(x->unwritten);
	x->unwritten = NULL;
	return rc == EXEC_OK ? 0 : DB_FAILED;
}

/* The rows of executions that their trigger's transaction started and
 * that nothing has referred to yet: written once, as this commit leaves
 * them (one INSERT instead of an INSERT and an UPDATE, which also makes
 * every index entry of the row twice), before the log rows that refer to
 * them.  0 or DB_FAILED. */
static int
write_new_rows(struct commit *c)
{
	for (size_t i = 0; i < c->n_t; i++) {
		struct touched *t = &c->t[i];
		if (t->x->unwritten == NULL)
			continue;
		if (write_unwritten(c->e, t->x, t->status, t->seq, t->final_output, t->error,
				    t->completed_ms) != 0)
			return DB_FAILED;
		t->saved = 1;
	}
	return 0;
}

int
engine_exec_write_row(struct engine *e, struct exec_entry *x)
{
	if (x->unwritten == NULL)
		return 0;
	return write_unwritten(e, x, x->status, x->event_seq, NULL, NULL, 0);
}

/* What every commit writes after its outcomes are applied: the inline
 * runs they queued, the executions that ended, the log rows, the states
 * and the executors' wake-up.  0 or DB_FAILED. */
static int
commit_write(struct commit *c)
{
	int rc = 0;
	/* Successors that can run inline do, breadth first: the queue grows
	 * while it is drained. */
	for (size_t i = 0; i < c->n_inl && rc == 0; i++)
		rc = apply_inline(c, &c->inl[i]);
	if (rc == 0)
		rc = finalize_finished(c);
	if (rc == 0)
		rc = write_new_rows(c);
	for (size_t i = 0; i < c->n_later && rc == 0; i++)
		rc = job_insert(c->e->db, c->later[i].execution_id, c->later[i].node_id,
				c->later[i].scope, c->later[i].due_ms, NULL, 0, NULL) != 0 ? DB_FAILED : 0;
	if (rc == 0)
		rc = write_logs(c);
	if (rc == 0)
		rc = save_touched(c);
	if (rc == 0 && c->woke_others && !c->no_notify)
		rc = execution_notify_executors(c->e->db);
	return rc;
}

/* After the commit (or, for a trigger, once its caller's transaction has
 * written everything): the executions' states as committed, and the
 * events, wake-ups and self-queued jobs held for release. */
static void
commit_hold(struct commit *c)
{
	struct engine *e = c->e;
	for (size_t i = 0; i < c->n_t; i++) {
		c->t[i].x->event_seq = c->t[i].seq;
		c->t[i].x->settled = !running_now(&c->t[i]);
	}
	for (size_t i = 0; i < c->n_ev; i++) {
		if (e->n_held == e->cap_held) {
			e->cap_held = e->cap_held ? e->cap_held * 2 : 256;
			e->held = xrealloc(e->held, e->cap_held * sizeof *e->held);
		}
		e->held[e->n_held++] = (struct held_event){ c->ev[i].x, c->ev[i].seq, c->ev[i].type,
							    c->ev[i].data };
		c->ev[i].type = NULL;
		c->ev[i].data = NULL;
	}
	for (size_t i = 0; i < c->n_mine; i++)
		engine_push(e, &c->mine[i]);
	e->held_wake |= c->woke_others;
	e->held_gateway |= c->gateway_queued;
}

int
engine_start_inline(struct engine *e, struct exec_entry *x, int no_notify, char *status,
		    size_t status_len)
{
	struct commit c = { .e = e, .now = time_now_ms(), .inline_max = TRIGGER_INLINE_RUNS_MAX,
			    .no_notify = no_notify };
	const char *start = x->topo && x->topo->start >= 0 ? x->topo->nodes[x->topo->start].node_id
							   : "";
	struct ran_job r = { .job = { .attempt = 1, .node_id = xstrdup(start) },
			     .outcome = { .kind = OUTCOME_START, .started_ms = c.now } };
	memcpy(r.job.execution_id, x->id, sizeof r.job.execution_id);
	if (x->topo == NULL)
		snprintf(r.outcome.error, sizeof r.outcome.error,
			 "the workflow has no node to run (only triggers and sub-components)");
	e->runs++;
	int rc = apply(&c, &r);
	if (rc == 0)
		rc = commit_write(&c);
	/* Its row, if nothing in the run wrote it. */
	if (rc == 0)
		rc = engine_exec_write_row(e, x);
	/* A gateway message waits in the outbox for an executor's sender. */
	if (rc == 0 && c.gateway_queued && !c.woke_others) {
		c.woke_others = 1;
		if (!no_notify)
			rc = execution_notify_executors(e->db);
	}
	job_clear(&r.job);
	outcome_clear(&r.outcome);
	if (rc != 0) {
		engine_exec_forget_states(e);
		commit_free(&c, 0);
		return DB_FAILED;
	}
	for (size_t i = 0; i < c.n_t; i++)
		if (c.t[i].x == x)
			snprintf(status, status_len, "%s", c.t[i].status);
	commit_hold(&c);
	commit_free(&c, 1);
	return 0;
}

void
engine_release_held(struct engine *e)
{
	release_held(e);
}

void
engine_discard_held(struct engine *e)
{
	for (size_t i = 0; i < e->n_held; i++) {
		free(e->held[i].type);
		json_decref(e->held[i].data);
	}
	e->n_held = 0;
	e->held_wake = e->held_gateway = e->held_durable = e->held_wake_rode = 0;
}

int
engine_commit_batch(struct engine *e, int durable)
{
	if (e->n_batch == 0)
		return 0;
	struct commit c = { .e = e, .now = time_now_ms(), .inline_max = INLINE_RUNS_MAX };
	if (db_set_commit_durable(e->db, durable) != 0 || db_begin_write(e->db) != 0)
		return -1;
	int rc = touch_in_order(&c);
	if (rc == 0)
		rc = hold_jobs(e);
	for (size_t i = 0; i < e->n_batch && rc == 0; i++)
		rc = apply(&c, &e->batch[i]);
	if (rc == 0)
		rc = commit_write(&c);
	if (rc != 0 || db_commit(e->db) != 0) {
		log_warn("engine: committing %zu node results failed (%s: %s); retrying",
			 e->n_batch, db_errclass_name(db_error_class(e->db)), db_errmsg(e->db));
		db_abandon(e->db);
		/* The in-memory states were changed by the attempt. */
		engine_exec_forget_states(e);
		commit_free(&c, 0);
		return -1;
	}
	e->commits++;
	if (c.n_t > 0)
		memcpy(e->last_exec, c.t[c.n_t - 1].x->id, sizeof e->last_exec);
	/* The events wait for a durable commit: nothing is seen before it
	 * would survive a power cut. */
	commit_hold(&c);
	if (durable)
		release_held(e);
	for (size_t i = 0; i < e->n_batch; i++) {
		job_clear(&e->batch[i].job);
		outcome_clear(&e->batch[i].outcome);
	}
	e->n_batch = 0;
	commit_free(&c, 1);
	return 0;
}
