/*
 * services.c: what the engine offers node kinds beyond their inputs
 * (node_kind.h struct node_services), on the executor's own database
 * handle.  Each is one short transaction of its own, outside any
 * completion: kinds call them between their steps, never inside a commit.
 *
 * The writes of an agent's turn (the budget reservation, its settlement,
 * the checkpoint, its memory thread) commit without waiting for the disk
 * (lazy_begin(), cstore_thread_append_lazy()), and the
 * pass's barrier (engine_make_durable: one fsync, or one WAL flush on
 * PostgreSQL, for everything the pass wrote) makes them durable before
 * the executor's loop sends anything: kinds only add transfers to the
 * multi handle, and the loop performs them after the pass.  So a request
 * to a provider never leaves before its reservation is on disk, and a
 * tool round never starts before the answer that asked for it is
 * checkpointed on disk.  Committed is visible: another executor's
 * reservation counts this one at once.  doc/budgets.md, "Durability".
 */
#include "engine/services.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoints/cstore.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "engine/credential_cache.h"
#include "engine/engine.h"
#include "model/agent_checkpoint.h"
#include "model/budget.h"
#include "model/credential.h"
#include "model/execution.h"
#include "model/memory_fact.h"
#include "model/memory_user.h"
#include "util/config.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

/* identify_user's memory store (outside any completion transaction: it
 * commits its own). */
static json_t *
identify_memory_user(void *arg, const char *channel, const char *external_id,
		     const char *display_name, char **err)
{
	struct engine *e = arg;
	return memory_user_identify(e->db, channel, external_id, display_name, err);
}

static json_t *
credential_detail(void *arg, const struct node_ctx *ctx, int64_t credential_id, const char *type,
		  char **err)
{
	struct engine *e = arg;
	if (!e->keyring_ready) {
		*err = xstrdup("FIELD_ENCRYPTION_KEY is not set or not valid, so no credential can "
			       "be read");
		return NULL;
	}
	int64_t now = time_now_ms();
	const struct credential *c = credential_cache_get(e->credentials, credential_id,
							  ctx->owner_id, now);
	if (c == NULL) {
		struct credential read;
		memset(&read, 0, sizeof read);
		int rc = credential_get(e->db, &e->keyring, credential_id, ctx->owner_id, &read);
		if (rc != CRED_OK) {
			*err = rc == CRED_NOT_FOUND
				? xasprintf("credential %lld does not exist or belongs to another "
					    "user", (long long)credential_id)
				: rc == CRED_BAD_KEY ? xstrdup("the credential does not decrypt with "
							      "the configured FIELD_ENCRYPTION_KEY")
				: xasprintf("the database failed (%s)", db_errmsg(e->db));
			credential_free(&read);
			return NULL;
		}
		c = credential_cache_put(e->credentials, ctx->owner_id, &read, now);
	}
	if (strcmp(c->credential_type, type) != 0) {
		*err = xasprintf("credential %lld is a '%s' credential, not '%s'",
				 (long long)credential_id, c->credential_type, type);
		return NULL;
	}
	/* A copy: the kind may keep it past the cache's next change. */
	return json_deep_copy(c->detail);
}

static int
is_searxng(const struct credential *c)
{
	const char *type = json_string_value(json_object_get(c->detail, "tool_type"));
	return strcmp(c->credential_type, "tool") == 0 && type && strcmp(type, "searxng") == 0;
}

static json_t *
searxng_default(void *arg, const struct node_ctx *ctx)
{
	struct engine *e = arg;
	if (!e->keyring_ready)
		return NULL;
	struct credential *items = NULL;
	size_t n = 0;
	int64_t total = 0;
	if (credential_list(e->db, &e->keyring, ctx->owner_id, 1000, 0, &items, &n, &total) != CRED_OK)
		return NULL;
	json_t *found = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!is_searxng(&items[i]))
			continue;
		if (found == NULL || json_is_true(json_object_get(items[i].detail, "is_preferred"))) {
			int preferred = json_is_true(json_object_get(items[i].detail, "is_preferred"));
			json_decref(found);
			found = json_incref(items[i].detail);
			if (preferred)
				break;
		}
	}
	for (size_t i = 0; i < n; i++)
		credential_free(&items[i]);
	free(items);
	return found;
}

/* What a checkpoint is saved under: the node's run, which is its job (the
 * same on every attempt of the run, another in each iteration of a loop,
 * where one node runs many times in one execution). */
static void
run_key(const struct node_ctx *ctx, char out[64])
{
	if (ctx->job_id > 0)
		snprintf(out, 64, "job:%lld", (long long)ctx->job_id);
	else
		snprintf(out, 64, "%.60s", ctx->node_id);
}

/* Commits of the calls between lazy_begin() and lazy_end() wait for no
 * disk; the pass's barrier makes them durable (see the top). */
static void
lazy_begin(struct engine *e)
{
	db_set_commit_durable(e->db, 0);
}

static void
lazy_end(struct engine *e, const char *execution_id)
{
	db_set_commit_durable(e->db, 1);
	engine_owe_durable(e, execution_id);
}

static json_t *
checkpoint_load(void *arg, const struct node_ctx *ctx, char **err)
{
	struct engine *e = arg;
	struct agent_checkpoint cp;
	memset(&cp, 0, sizeof cp);
	char key[64];
	run_key(ctx, key);
	int rc = agent_checkpoint_load(e->db, ctx->execution_id, key, &cp);
	if (rc != 1) {
		if (rc < 0)
			*err = xasprintf("the database failed (%s)", db_errmsg(e->db));
		agent_checkpoint_clear(&cp);
		return NULL;
	}
	json_t *out = json_pack("{s:i, s:O, s:O}", "step", cp.step, "messages", cp.messages,
				"state", cp.loop_state);
	agent_checkpoint_clear(&cp);
	return out;
}

static int
checkpoint_save(void *arg, const struct node_ctx *ctx, int step, const json_t *messages,
		const json_t *state, char **err)
{
	struct engine *e = arg;
	char key[64];
	run_key(ctx, key);
	lazy_begin(e);
	int rc = agent_checkpoint_save(e->db, ctx->execution_id, key, ctx->attempt, step, messages,
				       state);
	lazy_end(e, ctx->execution_id);
	if (rc != 0) {
		*err = xasprintf("the database failed (%s)", db_errmsg(e->db));
		log_warn("engine: checkpointing agent %s of execution %s failed: %s", ctx->node_id,
			 ctx->execution_id, *err);
		return -1;
	}
	return 0;
}

static struct cstore *
store(struct engine *e)
{
	if (e->cstore == NULL)
		e->cstore = cstore_open(e->cfg, e->db);
	return e->cstore;
}

static json_t *
thread_load(void *arg, const char *thread_id, char **err)
{
	struct engine *e = arg;
	return cstore_thread_load(store(e), thread_id, 0, err);
}

/* Lazy too: the pass's barrier syncs the store before it makes the
 * completions durable (engine_make_durable), so the thread is on disk
 * before the node's completion is. */
static int
thread_append(void *arg, const char *thread_id, const json_t *messages, int step, char **err)
{
	struct engine *e = arg;
	int rc = cstore_thread_append_lazy(store(e), thread_id, messages, "loop", step, err);
	engine_owe_durable(e, NULL);
	return rc;
}

/* A budget call's answer as node_services gives it: 0 granted, 1 refused
 * (why says it), -1 when the database failed. */
static int
budget_answer(struct engine *e, int rc, char *why, size_t why_len)
{
	if (rc == BUDGET_GRANTED)
		return 0;
	if (rc == BUDGET_REFUSED)
		return 1;
	snprintf(why, why_len, "the database failed (%s)", db_errmsg(e->db));
	return -1;
}

static int
reserve_one(struct engine *e, int64_t workflow_id, const char *execution_id, long tokens,
	    int64_t usd_micros, int64_t *reservation, char *why, size_t why_len)
{
	lazy_begin(e);
	int rc = budget_reserve(e->db, workflow_id, execution_id, tokens, usd_micros,
				e->cfg->budget_reservation_seconds, reservation, why, why_len);
	lazy_end(e, execution_id);
	return budget_answer(e, rc, why, why_len);
}

static int
reserve(void *arg, const struct node_ctx *ctx, long tokens, int64_t usd_micros,
	int64_t *reservation, char *why, size_t why_len)
{
	return reserve_one(arg, ctx->workflow_id, ctx->execution_id, tokens, usd_micros,
			   reservation, why, why_len);
}

/* A call's reservation asked for with the round's others; on the
 * engine's list until engine_reservations_flush() answers it, then the
 * node's until it takes the answer (reserved) or drops the ticket. */
struct budget_ticket {
	struct node_ctx *ctx;        /* woken when answered */
	int64_t workflow_id;
	char execution_id[EXEC_ID_MAX + 1];
	long tokens;
	int64_t usd_micros;
	int answered;
	int rc;                      /* reserve()'s: 0, 1 refused, -1 */
	int64_t reservation;
	char why[512];
	struct budget_ticket *next;  /* the engine's list, while unanswered */
};

static struct budget_ticket *
reserve_later(void *arg, struct node_ctx *ctx, long tokens, int64_t usd_micros)
{
	struct engine *e = arg;
	struct budget_ticket *t = xcalloc(1, sizeof *t);
	t->ctx = ctx;
	t->workflow_id = ctx->workflow_id;
	snprintf(t->execution_id, sizeof t->execution_id, "%s", ctx->execution_id);
	t->tokens = tokens;
	t->usd_micros = usd_micros;
	t->next = e->tickets;
	e->tickets = t;
	return t;
}

static int
reserved(void *arg, struct budget_ticket *t, int64_t *reservation, char *why, size_t why_len)
{
	(void)arg;
	if (!t->answered)
		return -2;
	int rc = t->rc;
	*reservation = t->reservation;
	snprintf(why, why_len, "%s", t->why);
	free(t);
	return rc;
}

static void
ticket_drop(void *arg, struct budget_ticket *t)
{
	struct engine *e = arg;
	if (t == NULL)
		return;
	if (!t->answered) {
		for (struct budget_ticket **p = &e->tickets; *p; p = &(*p)->next)
			if (*p == t) {
				*p = t->next;
				break;
			}
	} else if (t->rc == 0 && t->reservation != 0) {
		/* Granted, never used: the call was not made. */
		lazy_begin(e);
		if (budget_release(e->db, t->reservation) == BUDGET_DB_ERROR)
			log_warn("engine: releasing an unused reservation failed (%s); it is charged "
				 "at its estimate later", db_errmsg(e->db));
		lazy_end(e, NULL);
	}
	free(t);
}

size_t
engine_reservations_flush(struct engine *e)
{
	size_t n = 0;
	for (struct budget_ticket *t = e->tickets; t; t = t->next)
		n++;
	if (n == 0)
		return 0;
	struct budget_ticket **tickets = xmalloc(n * sizeof *tickets);
	struct budget_ask *asks = xcalloc(n, sizeof *asks);
	size_t i = 0;
	for (struct budget_ticket *t = e->tickets; t; t = t->next, i++) {
		tickets[i] = t;
		asks[i] = (struct budget_ask){ .workflow_id = t->workflow_id,
			.execution_id = t->execution_id, .tokens = t->tokens,
			.usd_micros = t->usd_micros };
	}
	e->tickets = NULL;
	lazy_begin(e);
	/* On a failure none is granted: each goes the one-call way below,
	 * which answers it (refused, or the error). */
	budget_reserve_batch(e->db, asks, n, e->cfg->budget_reservation_seconds);
	lazy_end(e, tickets[0]->execution_id);
	for (i = 0; i < n; i++) {
		struct budget_ticket *t = tickets[i];
		if (asks[i].reservation_id != 0) {
			t->rc = 0;
			t->reservation = asks[i].reservation_id;
		} else {
			t->rc = reserve_one(e, t->workflow_id, t->execution_id, t->tokens,
					    t->usd_micros, &t->reservation, t->why, sizeof t->why);
		}
		t->answered = 1;
		t->next = NULL;
		t->ctx->ready = 1;
	}
	free(asks);
	free(tickets);
	return n;
}

/* A settlement lost to a power cut leaves its reservation, which is then
 * charged at its estimate: never less than the call could cost. */
static int
settle(void *arg, int64_t reservation, long input_tokens, long output_tokens, int64_t usd_micros)
{
	struct engine *e = arg;
	lazy_begin(e);
	int rc = input_tokens == 0 && output_tokens == 0 && usd_micros == 0
			 ? budget_release(e->db, reservation)
			 : budget_settle(e->db, reservation, input_tokens, output_tokens, usd_micros);
	/* The reservation before it named the barrier's row. */
	lazy_end(e, NULL);
	if (rc == BUDGET_DB_ERROR)
		log_warn("engine: settling an LLM call's budget failed (%s); the reservation is "
			 "charged at its estimate later", db_errmsg(e->db));
	return rc == BUDGET_DB_ERROR ? -1 : 0;
}

/* An answer's writes, waiting for the round's flush (turn_later); on the
 * engine's list until engine_turns_flush() writes it, then the node's
 * until it takes the outcome (turn_written). */
struct turn_ticket {
	struct node_ctx *ctx;        /* woken once written; NULL: dropped */
	char execution_id[EXEC_ID_MAX + 1];
	char key[64];                /* the checkpoint's run key */
	int attempt, step;
	struct turn_usage usage;
	json_t *messages, *state;    /* referenced until written */
	int written;
	int rc;
	struct turn_ticket *next;    /* the engine's list, while unwritten */
};

static struct turn_ticket *
turn_later(void *arg, struct node_ctx *ctx, const struct turn_usage *usage, int step,
	   json_t *messages, json_t *state)
{
	struct engine *e = arg;
	struct turn_ticket *t = xcalloc(1, sizeof *t);
	t->ctx = ctx;
	snprintf(t->execution_id, sizeof t->execution_id, "%s", ctx->execution_id);
	run_key(ctx, t->key);
	t->attempt = ctx->attempt;
	t->step = step;
	t->usage = *usage;
	t->messages = json_incref(messages);
	t->state = json_incref(state);
	t->next = e->turns;
	e->turns = t;
	return t;
}

static void
turn_free(struct turn_ticket *t)
{
	json_decref(t->messages);
	json_decref(t->state);
	free(t);
}

static int
turn_written(void *arg, struct turn_ticket *t)
{
	(void)arg;
	if (!t->written)
		return -2;
	int rc = t->rc;
	turn_free(t);
	return rc;
}

static void
turn_ticket_drop(void *arg, struct turn_ticket *t)
{
	(void)arg;
	if (t == NULL)
		return;
	if (t->written)
		turn_free(t);
	else
		t->ctx = NULL;           /* the flush writes it, then frees it */
}

/* One ticket's writes inside the flush's transaction: 0, or -1 (the
 * transaction is lost). */
static int
turn_write(struct engine *e, const struct turn_ticket *t)
{
	const struct turn_usage *u = &t->usage;
	if (u->reservation != 0 &&
	    budget_settle(e->db, u->reservation, u->input_tokens, u->output_tokens,
			  u->usd_micros) == BUDGET_DB_ERROR)
		return -1;
	return agent_checkpoint_save(e->db, t->execution_id, t->key, t->attempt, t->step,
				     t->messages, t->state) == 0 ? 0 : -1;
}

/* Executions in id order, as a completion locks them (complete.c), so two
 * executors' writes that share executions wait instead of deadlocking. */
static int
by_execution(const void *a, const void *b)
{
	const struct turn_ticket *x = *(struct turn_ticket *const *)a;
	const struct turn_ticket *y = *(struct turn_ticket *const *)b;
	return strcmp(x->execution_id, y->execution_id);
}

/* The round's writes in one transaction: 0, or -1 with the error on the
 * handle (nothing of them committed). */
static int
turns_write(struct engine *e, struct turn_ticket *const *turns, size_t n)
{
	lazy_begin(e);
	int rc = db_begin_write(e->db);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = turn_write(e, turns[i]);
	if (rc == 0)
		rc = db_commit(e->db);
	if (rc != 0)
		db_abandon(e->db);
	lazy_end(e, turns[0]->execution_id);
	return rc == 0 ? 0 : -1;
}

int
engine_turns_flush(struct engine *e, size_t *written)
{
	*written = 0;
	size_t n = 0;
	for (struct turn_ticket *t = e->turns; t; t = t->next)
		n++;
	if (n == 0)
		return 0;
	struct turn_ticket **turns = xmalloc(n * sizeof *turns);
	size_t i = 0;
	for (struct turn_ticket *t = e->turns; t; t = t->next)
		turns[i++] = t;
	qsort(turns, n, sizeof *turns, by_execution);
	int rc = turns_write(e, turns, n);
	if (rc != 0) {
		enum db_errclass cls = db_error_class(e->db);
		int again = cls == DB_CLASS_TRANSIENT || cls == DB_CLASS_DISK_FULL;
		log_warn("engine: committing %zu agent turns failed (%s: %s); %s", n,
			 db_errclass_name(cls), db_errmsg(e->db),
			 again ? "retrying"
			       : "their settlements are charged at their estimates later, their runs "
				 "go on");
		if (again) {
			free(turns);         /* they stay on the list, for the next try */
			return -1;
		}
	}
	e->turns = NULL;
	for (i = 0; i < n; i++) {
		struct turn_ticket *t = turns[i];
		t->written = 1;
		t->rc = rc;
		t->next = NULL;
		if (t->ctx)
			t->ctx->ready = 1;
		else
			turn_free(t);
	}
	free(turns);
	*written = n;
	return 0;
}

static int
check(void *arg, const struct node_ctx *ctx, char *why, size_t why_len)
{
	struct engine *e = arg;
	return budget_answer(e, budget_check_priced(e->db, ctx->workflow_id,
						    json_object_get(ctx->snapshot, "nodes"), why,
						    why_len), why, why_len);
}

static char *
memory_tool(void *arg, const char *tool, const json_t *args, const json_t *extra_config,
	    char **err)
{
	struct engine *e = arg;
	if (strcmp(tool, "memory_read") == 0)
		return memory_recall(e->db, args, extra_config, err);
	if (strcmp(tool, "memory_write") == 0)
		return memory_remember(e->db, args, extra_config, err);
	*err = xasprintf("'%s' is not a memory tool", tool);
	return NULL;
}

void
engine_services_init(struct engine *e)
{
	e->keyring_ready = e->cfg->field_encryption_key != NULL &&
		field_keyring_init(&e->keyring, e->cfg->field_encryption_key,
				   e->cfg->field_encryption_key_old) == 0;
	e->credentials = credential_cache_new();
	struct node_services *s = &e->services;
	s->arg = e;
	s->memory_user_identify = identify_memory_user;
	s->multi = e->multi;
	s->policy = e->policy;
	s->credential_detail = credential_detail;
	s->searxng_default = searxng_default;
	s->checkpoint_load = checkpoint_load;
	s->checkpoint_save = checkpoint_save;
	s->thread_load = thread_load;
	s->thread_append = thread_append;
	s->budget_reserve = reserve;
	s->budget_reserve_later = reserve_later;
	s->budget_reserved = reserved;
	s->budget_ticket_drop = ticket_drop;
	s->budget_settle = settle;
	s->budget_check = check;
	s->turn_later = turn_later;
	s->turn_written = turn_written;
	s->turn_ticket_drop = turn_ticket_drop;
	s->memory_tool = memory_tool;
}

void
engine_services_free(struct engine *e)
{
	/* Turns whose runs were stopped meanwhile: their calls were made
	 * (one try: the process is going; one lost is charged at its
	 * estimate). */
	size_t written;
	if (engine_turns_flush(e, &written) != 0)
		for (struct turn_ticket *t = e->turns, *next; t; t = next) {
			next = t->next;
			turn_free(t);
		}
	e->turns = NULL;
	cstore_close(e->cstore);
	e->cstore = NULL;
	credential_cache_free(e->credentials);
	e->credentials = NULL;
	if (e->keyring_ready)
		field_keyring_wipe(&e->keyring);
	e->keyring_ready = 0;
}
