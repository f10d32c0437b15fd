/*
 * kind_agent.c: the agent node (pipelit-engine.md 4.2, 7.3; agent.h).
 *
 * A run is a small state machine on the executor's event loop:
 *
 *   SUMMARIZING  the summary call in flight (compacting "summarize",
 *             agent_summary.h): before the first model call, when the
 *             context is past its trigger
 *   CALLING   a model call in flight (llm/client.h); its streamed text goes
 *             out as chat_delta events, at most one per 50 ms
 *   TOOLS     the tool calls of the last answer running; pure and memory
 *             tools answer at once, HTTP tools wait on their transfers
 *   RESERVING, TURN  a call's reservation, or an answer's settlement and
 *             checkpoint, waiting to be made with the round's others
 *             (the executor's flush, node_kind.h)
 *
 * Before each call the call's worst case is reserved against the
 * workflow's budget and after it replaced by what it used; after each
 * answer and each tool round the conversation is checkpointed, so a later
 * attempt (the executor died) continues from there.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoints/cstore.h"
#include "llm/client.h"
#include "llm/pricing.h"
#include "llm/retry.h"
#include "nodes/agent.h"
#include "nodes/agent_summary.h"
#include "nodes/agent_tools.h"
#include "nodes/categorize.h"
#include "nodes/extract.h"
#include "nodes/kinds.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define DELTA_INTERVAL_MS 50

/* RESERVING: a call's reservation is asked for with the round's others
 * (node_services budget_reserve_later); the call starts once granted.
 * TURN: an answer's settlement and checkpoint are written with the
 * round's others (turn_later); the run goes on once they are. */
enum agent_phase { PHASE_SUMMARIZING, PHASE_CALLING, PHASE_TOOLS, PHASE_RESERVING, PHASE_TURN };

struct agent_run;

/* What makes a node of the family what it is: the agent runs the tool
 * loop; the categorizer and the extractor make one call and read its
 * answer (pipelit-engine.md 4.2). */
struct flavor {
	/* Sets the system prompt, the messages and what the model is
	 * offered; 0, or -1 after node_fail().  NULL: the agent's input. */
	int (*prepare)(struct agent_run *a);
	/* The node's result from the answer (new reference), or NULL after
	 * node_fail().  NULL: the agent's loop goes on. */
	json_t *(*result)(struct agent_run *a, const struct llm_reply *reply);
};

struct agent_run {
	struct node_ctx *ctx;
	const struct flavor *flavor;
	struct agent_setup setup;
	const char *force_tool;       /* the model must call it (extractor) */
	char *system_prompt;          /* or NULL */
	const char *system_prompt_custom;  /* the node's own, borrowed (ctx->node) */
	char *thread_id;              /* conversation memory, or NULL */
	json_t *messages;             /* the conversation sent to the model */
	size_t n_input;               /* of which the input (the rest is this run's) */
	size_t n_thread;              /* of which the stored thread, before the input */
	int step;                     /* graph steps used */
	json_t *summary;              /* the summary this run made, for the thread, or NULL */
	/* while the summary call is in flight: the context it condenses, of
	 * which the first from_thread came from the thread, the messages
	 * picked, and the request sent */
	json_t *context;
	size_t from_thread;
	unsigned char *pick;
	json_t *summary_request;
	enum agent_phase phase;
	/* usage of this run */
	long input_tokens, output_tokens, llm_calls, tool_invocations;
	double cost_usd;
	char *last_chat;              /* the last chat_message text (duplicates suppressed) */
	/* the call in flight */
	struct llm_call *call;
	int64_t reservation;          /* 0: none */
	char *message_id;             /* of the call in flight (malloc'd) */
	char *run_key;                /* <execution>:<node>:<job>: ids of this run's messages */
	int64_t reserved_tokens, reserved_usd;   /* the reservation of the call in flight */
	char *pending;                /* streamed text not yet published */
	size_t n_pending, cap_pending;
	int64_t last_delta_ms;
	/* the tool round in flight */
	struct tool_round *round;
	/* the call waiting for its reservation (PHASE_RESERVING): its request
	 * (what it points to is this run's), phase, callbacks and worst case */
	struct budget_ticket *ticket;
	struct llm_request next_req;
	enum agent_phase next_phase;
	llm_text_fn next_text;
	void (*next_restart)(void *arg);
	long next_tokens;
	int64_t next_usd;
	/* the answer's writes in flight (PHASE_TURN), and whether its tool
	 * calls run once they are written */
	struct turn_ticket *turn;
	int turn_has_calls;
};

/* --- events ------------------------------------------------------------------- */

static void
publish(struct agent_run *a, const char *type, json_t *data)
{
	const struct node_services *s = a->ctx->services;
	if (s->publish_live)
		s->publish_live(s->arg, a->ctx, type, data);
	json_decref(data);
}

static void
flush_delta(struct agent_run *a, int64_t now)
{
	if (a->n_pending == 0)
		return;
	publish(a, "chat_delta", json_pack("{s:s, s:s, s:s%}", "node_id", a->ctx->node_id,
					   "message_id", a->message_id, "text", a->pending,
					   a->n_pending));
	a->n_pending = 0;
	a->last_delta_ms = now;
}

/* Streamed text, as it arrives (llm_call's on_text). */
static void
on_text(void *arg, const char *text, size_t len)
{
	struct agent_run *a = arg;
	if (a->n_pending + len + 1 > a->cap_pending) {
		a->cap_pending = (a->n_pending + len + 1) * 2;
		a->pending = xrealloc(a->pending, a->cap_pending);
	}
	memcpy(a->pending + a->n_pending, text, len);
	a->n_pending += len;
	a->pending[a->n_pending] = '\0';
	int64_t now = time_now_ms();
	if (now - a->last_delta_ms >= DELTA_INTERVAL_MS)
		flush_delta(a, now);
}

/* The call starts over (a retry): what was shown of it is void. */
static void
on_restart(void *arg)
{
	struct agent_run *a = arg;
	a->n_pending = 0;
	publish(a, "chat_delta", json_pack("{s:s, s:s, s:s, s:b}", "node_id", a->ctx->node_id,
					   "message_id", a->message_id, "text", "", "reset", 1));
}

/* --- the run's life ------------------------------------------------------------ */

/* A reservation whose call did not end with an answer.  Released when the
 * provider cannot have billed it (nothing was sent: refused by the
 * outbound policy; or an error answer); otherwise charged at its estimate
 * (a cut stream, a timeout or a cancel mid-answer may have been billed),
 * so a budget is never overspent by calls that failed late. */
static void
settle_unfinished(struct agent_run *a)
{
	const struct node_services *s = a->ctx->services;
	if (a->reservation == 0 || s->budget_settle == NULL)
		return;
	const char *code = a->call && llm_call_state(a->call) == LLM_CALL_FAILED
				   ? llm_call_error_code(a->call) : NULL;
	int billed = a->call != NULL && llm_call_requests(a->call) > 0 &&
		     !(code && (strcmp(code, "llm_refused") == 0 ||
				strncmp(code, "llm_http_4", 10) == 0));
	if (billed)
		s->budget_settle(s->arg, a->reservation, a->reserved_tokens, 0, a->reserved_usd);
	else
		s->budget_settle(s->arg, a->reservation, 0, 0, 0);
	a->reservation = 0;
}

static void
agent_free(struct node_ctx *ctx)
{
	struct agent_run *a = ctx->io;
	if (a == NULL)
		return;
	settle_unfinished(a);
	const struct node_services *sv = ctx->services;
	if (a->ticket) {
		sv->budget_ticket_drop(sv->arg, a->ticket);
		a->ticket = NULL;
	}
	if (a->turn) {
		sv->turn_ticket_drop(sv->arg, a->turn);
		a->turn = NULL;
	}
	if (a->call)
		llm_call_free(a->call);
	tool_round_free(a->round);
	agent_setup_clear(&a->setup);
	free(a->system_prompt);
	free(a->thread_id);
	json_decref(a->messages);
	json_decref(a->summary);
	json_decref(a->context);
	free(a->pick);
	json_decref(a->summary_request);
	free(a->last_chat);
	free(a->pending);
	free(a->message_id);
	free(a->run_key);
	free(a);
	ctx->io = NULL;
}

static enum step
fail(struct agent_run *a, const char *code, int no_retry, const char *fmt, const char *detail)
{
	struct node_ctx *ctx = a->ctx;
	node_fail(ctx, code, fmt, detail);
	ctx->no_retry = no_retry;
	agent_free(ctx);
	return STEP_FAILED;
}

static enum step
step_limit(struct agent_run *a)
{
	char limit[32];
	snprintf(limit, sizeof limit, "%d", a->setup.max_steps);
	return fail(a, "step_limit", 1, "the agent reached its limit of %s steps (model calls and "
		    "tool rounds) before giving a final answer; raise max_steps or simplify the task",
		    limit);
}

static json_t *
usage_object(const struct agent_run *a)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:f, s:I}",
		"input_tokens", (json_int_t)a->input_tokens, "output_tokens", (json_int_t)a->output_tokens,
		"total_tokens", (json_int_t)(a->input_tokens + a->output_tokens),
		"llm_calls", (json_int_t)a->llm_calls, "cost_usd", a->cost_usd,
		"tool_invocations", (json_int_t)a->tool_invocations);
}

/* What a checkpoint keeps beside the messages (new reference). */
static json_t *
checkpoint_state(const struct agent_run *a)
{
	json_t *state = json_pack("{s:I, s:I, s:o}", "n_input", (json_int_t)a->n_input,
				  "n_thread", (json_int_t)a->n_thread, "usage", usage_object(a));
	if (a->summary)
		json_object_set(state, "summary", a->summary);
	return state;
}

/* Saves where the run is, for a later attempt. */
static void
checkpoint(struct agent_run *a)
{
	const struct node_services *s = a->ctx->services;
	if (s->checkpoint_save == NULL)
		return;
	json_t *state = checkpoint_state(a);
	char *err = NULL;
	if (s->checkpoint_save(s->arg, a->ctx, a->step, a->messages, state, &err) != 0) {
		/* Not fatal: a later attempt would start over from an earlier
		 * point, which costs calls but loses nothing. */
		free(err);
	}
	json_decref(state);
}

/* The messages this run added (new reference). */
static json_t *
new_messages(const struct agent_run *a)
{
	json_t *out = json_array();
	for (size_t i = a->n_thread + a->n_input; i < json_array_size(a->messages); i++)
		json_array_append(out, json_array_get(a->messages, i));
	return out;
}

static enum step
finish(struct agent_run *a)
{
	struct node_ctx *ctx = a->ctx;
	json_t *added = new_messages(a);
	char *output = NULL;
	for (size_t i = json_array_size(added); i > 0 && output == NULL; i--) {
		const json_t *m = json_array_get(added, i - 1);
		const char *type = json_string_value(json_object_get(m, "type"));
		if (type && strcmp(type, "ai") == 0) {
			char *text = llm_message_text(m);
			if (*text)
				output = text;
			else
				free(text);
		}
	}
	if (a->thread_id && ctx->services->thread_append) {
		/* The input and this run's messages join the thread; the store
		 * replaces a message it already has (same id). */
		json_t *keep = json_array();
		if (a->summary)
			json_array_append(keep, a->summary);   /* it covers what it replaced */
		for (size_t i = a->n_thread; i < json_array_size(a->messages); i++)
			json_array_append(keep, json_array_get(a->messages, i));
		char *err = NULL;
		int rc = ctx->services->thread_append(ctx->services->arg, a->thread_id, keep, a->step,
						      &err);
		json_decref(keep);
		if (rc != 0) {
			json_decref(added);
			free(output);
			enum step st = fail(a, "memory_failed", 0,
					    "the conversation could not be saved: %s",
					    err ? err : "store error");
			free(err);
			return st;
		}
	}
	ctx->result = json_pack("{s:s, s:O, s:O, s:o}", "output", output ? output : "",
				"messages", added, "_messages", added, "_token_usage", usage_object(a));
	json_decref(added);
	free(output);
	agent_free(ctx);
	return STEP_DONE;
}

/* The worst case of a request: input estimated from what is sent, output
 * from its max_tokens or the model's cap. */
static void
worst_case(const struct llm_request *req, long *tokens, int64_t *usd_micros)
{
	long in = agent_estimate_tokens(req->messages, req->system, req->tools);
	struct model_price price;
	pricing_lookup(req->settings.model, &price);
	long out = req->settings.max_tokens > 0 ? req->settings.max_tokens
		 : price.max_output_tokens > 0 ? price.max_output_tokens
		 : LLM_ANTHROPIC_DEFAULT_MAX_TOKENS;
	*tokens = in + out;
	/* rounded up: a reservation never undercounts */
	*usd_micros = pricing_pico_to_micros(pricing_cost_pico(&price, in, out), 1);
}

/* Starts req, whose worst case (tokens, usd) is reserved (a->reservation,
 * 0 without budgets). */
static enum step
send_call(struct agent_run *a, const struct llm_request *req, enum agent_phase phase,
	  llm_text_fn text_fn, void (*restart_fn)(void *arg), long tokens, int64_t usd)
{
	struct node_ctx *ctx = a->ctx;
	free(a->message_id);
	a->message_id = xasprintf("%s:%d", a->run_key, a->step);
	a->reserved_tokens = tokens;
	a->reserved_usd = usd;
	struct llm_call_options o;
	llm_call_options_init(&o);
	o.policy = ctx->services->policy;
	o.max_retries = a->setup.max_retries;
	o.attempt_timeout_ms = a->setup.timeout_ms;
	o.ended_flag = &ctx->ready;
	a->n_pending = 0;
	a->last_delta_ms = 0;
	a->call = llm_call_start(ctx->services->multi, &a->setup.provider, req, &o, text_fn,
				 restart_fn, a);
	a->phase = phase;
	if (llm_call_state(a->call) != LLM_CALL_RUNNING)
		ctx->ready = 1;              /* it ended before any transfer (a bad URL) */
	return STEP_WAITING;
}

/* What a reservation's answer means for the run: the call starts, or the
 * node fails (refused, or the budget could not be checked). */
static enum step
reservation_answered(struct agent_run *a, int rc, const char *why, const struct llm_request *req,
		     enum agent_phase phase, llm_text_fn text_fn, void (*restart_fn)(void *arg),
		     long tokens, int64_t usd)
{
	if (rc == 1)
		return fail(a, "budget_exceeded", 1, "%s", why);
	if (rc != 0)
		return fail(a, "budget_unavailable", 0, "the budget could not be checked: %s", why);
	return send_call(a, req, phase, text_fn, restart_fn, tokens, usd);
}

/* Sends req, one graph step, after reserving its worst case: every model
 * call of the run (the summary's too) goes through here.  Where the
 * executor makes a round's reservations together, the run waits for its
 * answer (PHASE_RESERVING) and the call starts in agent_step. */
static enum step
launch(struct agent_run *a, const struct llm_request *req, enum agent_phase phase,
       llm_text_fn text_fn, void (*restart_fn)(void *arg))
{
	struct node_ctx *ctx = a->ctx;
	const struct node_services *sv = ctx->services;
	if (a->step >= a->setup.max_steps)
		return step_limit(a);
	a->step++;
	long tokens;
	int64_t usd;
	worst_case(req, &tokens, &usd);
	if (sv->budget_reserve_later &&
	    (a->ticket = sv->budget_reserve_later(sv->arg, ctx, tokens, usd)) != NULL) {
		a->next_req = *req;
		a->next_phase = phase;
		a->next_text = text_fn;
		a->next_restart = restart_fn;
		a->next_tokens = tokens;
		a->next_usd = usd;
		a->phase = PHASE_RESERVING;
		return STEP_WAITING;         /* the flush sets ctx->ready */
	}
	int rc = 0;
	char why[512] = "";
	if (sv->budget_reserve)
		rc = sv->budget_reserve(sv->arg, ctx, tokens, usd, &a->reservation, why, sizeof why);
	return reservation_answered(a, rc, why, req, phase, text_fn, restart_fn, tokens, usd);
}

/* PHASE_RESERVING: the answer, once the executor has it. */
static enum step
reservation_step(struct agent_run *a)
{
	const struct node_services *sv = a->ctx->services;
	char why[512] = "";
	int64_t reservation = 0;
	int rc = sv->budget_reserved(sv->arg, a->ticket, &reservation, why, sizeof why);
	if (rc == -2)
		return STEP_WAITING;
	a->ticket = NULL;                /* freed by budget_reserved */
	a->reservation = rc == 0 ? reservation : 0;
	return reservation_answered(a, rc, why, &a->next_req, a->next_phase, a->next_text,
				    a->next_restart, a->next_tokens, a->next_usd);
}

static enum step
start_call(struct agent_run *a)
{
	struct llm_request req = {
		.settings = a->setup.settings,
		.system = a->system_prompt,
		.messages = a->messages,
		.tools = a->setup.tool_definitions,
		.force_tool = a->force_tool,
		.stream = a->setup.streaming,
	};
	return launch(a, &req, PHASE_CALLING, on_text, on_restart);
}

/* The call in flight answered: the run counts what it used (by estimate
 * from what was sent, when the provider reports nothing, so a budget
 * still means something), and *u is what replaces its reservation, which
 * the run no longer holds. */
static void
count_usage(struct agent_run *a, const struct llm_reply *reply, const json_t *sent,
	    const char *sent_system, const json_t *sent_tools, struct turn_usage *u)
{
	long in = reply->usage.known ? reply->usage.input_tokens : 0;
	long out = reply->usage.known ? reply->usage.output_tokens : 0;
	if (!reply->usage.known) {
		in = agent_estimate_tokens(sent, sent_system, sent_tools);
		out = (long)strlen(reply->text) / 4 + 1;
	}
	struct model_price price;
	pricing_lookup(a->setup.settings.model, &price);
	int64_t pico = pricing_cost_pico(&price, in, out);
	*u = (struct turn_usage){ .reservation = a->reservation, .input_tokens = in,
				  .output_tokens = out,
				  .usd_micros = pricing_pico_to_micros(pico, 0) };
	a->reservation = 0;
	a->input_tokens += in;
	a->output_tokens += out;
	a->cost_usd += (double)pico / 1e12;
	a->llm_calls++;
}

static enum step run_tools(struct agent_run *a);
static enum step tools_answered(struct agent_run *a);

/* A call's reservation replaced by what it used (count_usage), now. */
static void
settle_now(struct agent_run *a, const struct turn_usage *u)
{
	const struct node_services *s = a->ctx->services;
	if (u->reservation && s->budget_settle)
		s->budget_settle(s->arg, u->reservation, u->input_tokens, u->output_tokens,
				 u->usd_micros);
}

/* PHASE_TURN: the answer's writes, once the executor made them; then its
 * tool calls run, or the run ends. */
static enum step
turn_step(struct agent_run *a)
{
	const struct node_services *s = a->ctx->services;
	if (s->turn_written(s->arg, a->turn) == -2)
		return STEP_WAITING;
	a->turn = NULL;                  /* freed by turn_written; a failure was logged */
	return a->turn_has_calls ? run_tools(a) : finish(a);
}

/* The call in flight ended well: its answer joins the conversation.  Its
 * settlement and the checkpoint after it are written with the round's
 * other answers' (turn_later), before the run goes on. */
static enum step
answered(struct agent_run *a)
{
	struct node_ctx *ctx = a->ctx;
	const struct node_services *s = ctx->services;
	const struct llm_reply *reply = llm_call_reply(a->call);
	struct turn_usage usage;
	count_usage(a, reply, a->messages, a->system_prompt, a->setup.tool_definitions, &usage);
	char db_time[TIME_DB_LEN], stamp[TIME_ISO_LEN];
	time_ms_to_db(time_now_ms(), db_time);
	time_db_to_iso(db_time, stamp);
	json_t *msg = llm_reply_message(reply, a->message_id, stamp);
	/* Our own id, unique per execution, node and step: the memory thread
	 * dedupes by id, and a provider's (or a proxy's) may repeat. */
	json_object_set_new(json_object_get(msg, "data"), "id", json_string(a->message_id));
	json_array_append_new(a->messages, msg);
	flush_delta(a, time_now_ms());
	if (*reply->text && (a->last_chat == NULL || strcmp(a->last_chat, reply->text) != 0)) {
		publish(a, "chat_message", json_pack("{s:s, s:s, s:s}", "text", reply->text,
						     "node_id", ctx->node_id, "message_id",
						     a->message_id));
		free(a->last_chat);
		a->last_chat = xstrdup(reply->text);
	}
	if (a->flavor->result) {
		settle_now(a, &usage);   /* the node ends here: nothing to checkpoint */
		json_t *result = a->flavor->result(a, reply);
		if (result == NULL) {
			ctx->no_retry = 1;
			agent_free(ctx);
			return STEP_FAILED;
		}
		json_object_set_new(result, "_token_usage", usage_object(a));
		ctx->result = result;
		agent_free(ctx);
		return STEP_DONE;
	}
	int has_calls = json_array_size(reply->tool_calls) > 0;
	llm_call_free(a->call);
	a->call = NULL;
	json_t *state = checkpoint_state(a);
	a->turn = s->turn_later(s->arg, ctx, &usage, a->step, a->messages, state);
	json_decref(state);
	a->turn_has_calls = has_calls;
	a->phase = PHASE_TURN;
	return STEP_WAITING;             /* the flush sets ctx->ready */
}

static enum step
run_tools(struct agent_run *a)
{
	if (a->step >= a->setup.max_steps)
		return step_limit(a);
	a->step++;
	a->phase = PHASE_TOOLS;
	const json_t *last = json_array_get(a->messages, json_array_size(a->messages) - 1);
	a->round = tool_round_start(a->ctx, &a->setup, last);
	return tool_round_done(a->round) ? tools_answered(a) : STEP_WAITING;
}

/* The tool round ended: its results join the conversation. */
static enum step
tools_answered(struct agent_run *a)
{
	a->tool_invocations += tool_round_invocations(a->round);
	tool_round_append_results(a->round, a->messages);
	tool_round_free(a->round);
	a->round = NULL;
	checkpoint(a);
	return start_call(a);
}

/* --- the context: trimmed, or summarised first ------------------------------- */

/* The tokens a request may carry (pipelit-engine.md 7.5): the window less
 * the answer's room (max_tokens, or a quarter of the window, at most
 * 16384) less 512. */
static long
trim_budget(const struct agent_run *a)
{
	long window = a->setup.context_window;
	long reserve = a->setup.settings.max_tokens > 0 ? a->setup.settings.max_tokens
		       : window / 4 < 16384 ? window / 4 : 16384;
	return window - reserve - 512;
}

/* all (consumed), of which the first from_thread came from the thread (or
 * are the fallback), trimmed to the window, becomes the conversation. */
static void
take_trimmed(struct agent_run *a, json_t *all, size_t from_thread)
{
	size_t n = json_array_size(all);
	unsigned char *keep = xcalloc(n ? n : 1, 1);
	agent_trim_keep(all, trim_budget(a), keep);
	json_decref(a->messages);
	a->messages = json_array();
	a->n_thread = a->n_input = 0;
	for (size_t i = 0; i < n; i++) {
		if (!keep[i])
			continue;
		json_array_append(a->messages, json_array_get(all, i));
		if (i < from_thread)
			a->n_thread++;
		else
			a->n_input++;
	}
	free(keep);
	json_decref(all);
}

/* The summary's room: an eighth of the window, at most 1024 tokens. */
static long
summary_max_tokens(const struct agent_run *a)
{
	long cap = a->setup.context_window / 8;
	return cap > 1024 ? 1024 : cap < 64 ? 64 : cap;
}

/* The summary call: the same model, credential and client settings as
 * the run's calls, our own prompt, no tools, no text shown to the chat. */
static enum step
start_summary(struct agent_run *a)
{
	struct llm_settings settings = a->setup.settings;
	settings.max_tokens = summary_max_tokens(a);
	settings.response_format = NULL;
	long room = a->setup.context_window - settings.max_tokens - 512 -
		    agent_text_tokens(agent_summary_prompt()) - 16;
	a->summary_request = agent_summary_request(a->context, a->pick, room > 0 ? room : 0);
	struct llm_request req = {
		.settings = settings,
		.system = agent_summary_prompt(),
		.messages = a->summary_request,
		.stream = a->setup.streaming,
	};
	return launch(a, &req, PHASE_SUMMARIZING, NULL, NULL);
}

/* The run's first call: a summary when compacting is on and the context
 * is past its trigger with something new to summarise, else the model
 * with the context trimmed. */
static enum step
begin(struct agent_run *a, json_t *all, size_t from_thread)
{
	if (a->setup.summarize) {
		size_t n = json_array_size(all);
		unsigned char *pick = xcalloc(n ? n : 1, 1);
		long budget = trim_budget(a);
		long trigger = a->setup.context_window * a->setup.compacting_trigger / 100;
		if (agent_summary_pick(all, trigger < budget ? trigger : budget, budget,
				       a->setup.compacting_keep, pick) > 0) {
			a->context = all;
			a->pick = pick;
			a->from_thread = from_thread;
			return start_summary(a);
		}
		free(pick);
	}
	take_trimmed(a, all, from_thread);
	return start_call(a);
}

/* The summary call answered: the summary takes the place of the messages
 * it condenses, before the kept ones (after the thread's when only input
 * was condensed), and counts with the thread's messages: finish() stores
 * it apart. */
static enum step
summarized(struct agent_run *a)
{
	const struct llm_reply *reply = llm_call_reply(a->call);
	struct turn_usage usage;
	count_usage(a, reply, a->summary_request, agent_summary_prompt(), NULL, &usage);
	settle_now(a, &usage);
	if (*reply->text == '\0')
		return fail(a, "summary_failed", 1, "the summary call answered no text%s", "");
	char db_time[TIME_DB_LEN], stamp[TIME_ISO_LEN];
	time_ms_to_db(time_now_ms(), db_time);
	time_db_to_iso(db_time, stamp);
	json_t *summary = agent_summary_message(reply->text, a->message_id, a->context, a->pick,
						stamp);
	llm_call_free(a->call);
	a->call = NULL;
	json_t *all = json_array();
	size_t from_thread = 1, n = json_array_size(a->context), condensed = 0;
	int placed = 0;
	for (size_t i = 0; i < n; i++) {
		if (!placed && (a->pick[i] || i == a->from_thread)) {
			json_array_append(all, summary);
			placed = 1;
		}
		if (a->pick[i]) {
			condensed++;
			continue;
		}
		json_array_append(all, json_array_get(a->context, i));
		if (i < a->from_thread)
			from_thread++;
	}
	if (!placed)
		json_array_append(all, summary);
	json_decref(a->summary);
	a->summary = summary;
	publish(a, "chat_summary", json_pack("{s:s, s:s, s:I}", "node_id", a->ctx->node_id,
					     "message_id", a->message_id, "summarized_messages",
					     (json_int_t)condensed));
	json_decref(a->context);
	a->context = NULL;
	free(a->pick);
	a->pick = NULL;
	json_decref(a->summary_request);
	a->summary_request = NULL;
	take_trimmed(a, all, from_thread);
	checkpoint(a);
	return start_call(a);
}

/* What the client retries, a later run may fix too (llm/retry.h). */
static int
llm_failure_retryable(const char *code)
{
	if (strcmp(code, "llm_timeout") == 0 || strcmp(code, "llm_connection") == 0)
		return 1;
	return strncmp(code, "llm_http_", 9) == 0 && llm_status_retryable(strtol(code + 9, NULL, 10));
}

static enum step
agent_step(struct node_ctx *ctx)
{
	struct agent_run *a = ctx->io;
	int64_t now = time_now_ms();
	if (a->phase == PHASE_RESERVING)
		return reservation_step(a);
	if (a->phase == PHASE_TURN)
		return turn_step(a);
	if (a->phase == PHASE_TOOLS) {
		if (!tool_round_done(a->round))
			return STEP_WAITING;       /* its transfers set ctx->ready */
		return tools_answered(a);
	}
	llm_call_tick(a->call, now);
	switch (llm_call_state(a->call)) {
	case LLM_CALL_DONE:
		return a->phase == PHASE_SUMMARIZING ? summarized(a) : answered(a);
	case LLM_CALL_FAILED: {
		char code[NODE_ERROR_CODE_MAX + 1];
		snprintf(code, sizeof code, "%s", llm_call_error_code(a->call) ?: "llm_failed");
		/* The engine's retries come after the client's, for what a later
		 * try can fix (a provider down for a minute); an answer that was
		 * refused or unusable would only cost another call.  A failed
		 * summary fails the node the same way (doc/agents.md says why). */
		return fail(a, code, !llm_failure_retryable(code),
			    a->phase == PHASE_SUMMARIZING ? "the summary call failed: %s"
							  : "the model call failed: %s",
			    llm_call_error(a->call));
	}
	case LLM_CALL_RUNNING:
		break;
	}
	if (a->n_pending > 0 && now - a->last_delta_ms >= DELTA_INTERVAL_MS)
		flush_delta(a, now);
	int64_t wake = llm_call_wake_at(a->call);
	if (a->n_pending > 0 && (wake == 0 || a->last_delta_ms + DELTA_INTERVAL_MS < wake))
		wake = a->last_delta_ms + DELTA_INTERVAL_MS;
	ctx->wake_at_ms = wake;
	return STEP_WAITING;
}

/* 1 when messages holds a message with m's id. */
static int
has_message_id(const json_t *messages, const json_t *m)
{
	const char *id = json_string_value(json_object_get(json_object_get(m, "data"), "id"));
	size_t i;
	const json_t *in;
	json_array_foreach(messages, i, in) {
		const char *other = json_string_value(json_object_get(json_object_get(in, "data"), "id"));
		if (id && other && strcmp(id, other) == 0)
			return 1;
	}
	return 0;
}

/* A later attempt: the conversation as the last checkpoint left it. */
static int
resume_from_checkpoint(struct agent_run *a)
{
	const struct node_services *s = a->ctx->services;
	if (a->ctx->attempt <= 1 || s->checkpoint_load == NULL)
		return 0;
	char *err = NULL;
	json_t *cp = s->checkpoint_load(s->arg, a->ctx, &err);
	free(err);
	json_t *messages = json_object_get(cp, "messages");
	json_t *state = json_object_get(cp, "state");
	if (!json_is_array(messages) || !json_is_object(state)) {
		json_decref(cp);
		return 0;
	}
	json_decref(a->messages);
	a->messages = json_incref(messages);
	a->n_input = (size_t)json_integer_value(json_object_get(state, "n_input"));
	a->n_thread = (size_t)json_integer_value(json_object_get(state, "n_thread"));
	a->step = (int)json_integer_value(json_object_get(cp, "step"));
	json_t *u = json_object_get(state, "usage");
	a->input_tokens = (long)json_integer_value(json_object_get(u, "input_tokens"));
	a->output_tokens = (long)json_integer_value(json_object_get(u, "output_tokens"));
	a->llm_calls = (long)json_integer_value(json_object_get(u, "llm_calls"));
	a->tool_invocations = (long)json_integer_value(json_object_get(u, "tool_invocations"));
	a->cost_usd = json_number_value(json_object_get(u, "cost_usd"));
	json_t *summary = json_object_get(state, "summary");
	if (json_is_object(summary))
		a->summary = json_incref(summary);
	json_decref(cp);
	return 1;
}

static enum step
family_run(struct node_ctx *ctx, const struct flavor *flavor)
{
	struct agent_run *a = xcalloc(1, sizeof *a);
	a->ctx = ctx;
	a->flavor = flavor;
	ctx->io = a;
	if (ctx->services == NULL || ctx->services->multi == NULL ||
	    ctx->services->credential_detail == NULL || ctx->services->turn_later == NULL) {
		node_fail(ctx, "unsupported_wait", "agents run only in an executor");
		ctx->no_retry = 1;
		agent_free(ctx);
		return STEP_FAILED;
	}
	if (agent_setup_read(ctx, &a->setup) != 0) {
		agent_setup_clear(&a->setup);
		free(a);
		ctx->io = NULL;
		return STEP_FAILED;
	}
	const json_t *config = json_object_get(ctx->node, "config");
	const char *prompt = json_string_value(json_object_get(config, "system_prompt"));
	a->system_prompt = prompt && *prompt ? xstrdup(prompt) : NULL;
	a->system_prompt_custom = prompt;

	/* A USD limit needs a price, or it would never trip. */
	if (ctx->services->budget_check) {
		char why[512] = "";
		int rc = ctx->services->budget_check(ctx->services->arg, ctx, why, sizeof why);
		if (rc == 1)
			return fail(a, "budget_unpriced", 1, "%s", why);
		if (rc != 0)
			return fail(a, "budget_unavailable", 0, "the budget could not be checked: %s", why);
	}

	a->run_key = xasprintf("%s:%s:%lld", ctx->execution_id, ctx->node_id, (long long)ctx->job_id);
	if (flavor->prepare) {
		if (flavor->prepare(a) != 0) {
			agent_free(ctx);
			return STEP_FAILED;
		}
		return start_call(a);
	}

	const json_t *memory = json_object_get(ctx->extra_config, "conversation_memory");
	if (json_is_true(memory) && ctx->services->thread_load)
		a->thread_id = cstore_agent_thread_id(ctx->state, ctx->workflow_id, ctx->node_id);

	if (resume_from_checkpoint(a)) {
		const json_t *last = json_array_get(a->messages, json_array_size(a->messages) - 1);
		const char *type = json_string_value(json_object_get(last, "type"));
		int pending_calls = type && strcmp(type, "ai") == 0 &&
			json_array_size(json_object_get(json_object_get(last, "data"), "tool_calls")) > 0;
		if (type && strcmp(type, "ai") == 0 && !pending_calls) {
			/* The final answer was checkpointed: nothing to call again. */
			return finish(a);
		}
		if (pending_calls) {
			a->step--;               /* run_tools counts the round again */
			return run_tools(a);
		}
		return start_call(a);
	}

	json_t *input = agent_input_messages(ctx, a->system_prompt, a->setup.n_tools > 0);
	json_t *all = json_array();
	/* The system prompt's fallback message goes first, before the thread;
	 * it is made again on every run, so the thread never stores it. */
	const json_t *first = json_array_get(input, 0);
	const char *first_id = json_string_value(json_object_get(json_object_get(first, "data"), "id"));
	if (first_id && strcmp(first_id, "system_prompt_fallback") == 0) {
		json_array_append(all, (json_t *)first);
		json_array_remove(input, 0);
	}
	if (a->thread_id) {
		char *err = NULL;
		json_t *thread = ctx->services->thread_load(ctx->services->arg, a->thread_id, &err);
		if (thread == NULL) {
			json_decref(input);
			json_decref(all);
			enum step st = fail(a, "memory_failed", 0,
					    "the conversation memory could not be read: %s",
					    err ? err : "store error");
			free(err);
			return st;
		}
		/* What summaries cover is left out (agent_summary.h).  The input
		 * joins the thread; a message the thread already has (same id)
		 * is sent once, as input. */
		json_t *view = agent_thread_view(thread);
		json_decref(thread);
		size_t i;
		json_t *m;
		json_array_foreach(view, i, m)
			if (!has_message_id(input, m) && !has_message_id(all, m))
				json_array_append(all, m);
		json_decref(view);
	}
	size_t from_thread = json_array_size(all);     /* with the fallback: not stored */
	json_array_extend(all, input);
	json_decref(input);
	return begin(a, all, from_thread);
}

/* --- the agent ------------------------------------------------------------------ */

static const struct flavor agent_flavor = { 0 };


/* --- the categorizer -------------------------------------------------------------- */

static const json_t *
categories_of(const struct agent_run *a)
{
	return json_object_get(a->ctx->extra_config, "categories");
}

static int
categorizer_prepare(struct agent_run *a)
{
	free(a->system_prompt);
	a->system_prompt = categorize_system_prompt(categories_of(a), a->system_prompt_custom);
	a->messages = categorize_messages(json_object_get(a->ctx->state, "messages"));
	a->n_input = json_array_size(a->messages);
	json_decref(a->setup.tool_definitions);
	a->setup.tool_definitions = NULL;        /* it classifies; it calls nothing */
	a->setup.max_steps = 1;
	return 0;
}

static json_t *
categorizer_result(struct agent_run *a, const struct llm_reply *reply)
{
	return categorize_result(categories_of(a), reply->text);
}

static const struct flavor categorizer_flavor = { categorizer_prepare, categorizer_result };


/* --- the extractor ---------------------------------------------------------------- */

static const json_t *
schema_of(const struct agent_run *a)
{
	return json_object_get(a->ctx->extra_config, "extraction_schema");
}

static int
extractor_prepare(struct agent_run *a)
{
	json_t *tool = extract_tool_definition(schema_of(a));
	if (tool == NULL) {
		node_fail(a->ctx, "bad_config", "the extractor's extraction_schema is not an object "
			  "schema");
		a->ctx->no_retry = 1;
		return -1;
	}
	json_decref(a->setup.tool_definitions);
	a->setup.tool_definitions = json_pack("[o]", tool);
	a->force_tool = EXTRACT_TOOL_NAME;
	char *prompt = extract_system_prompt(a->system_prompt_custom);
	free(a->system_prompt);
	a->system_prompt = prompt;
	a->messages = json_array();
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(a->ctx->state, "messages"), i, m)
		json_array_append(a->messages, m);
	a->n_input = json_array_size(a->messages);
	a->setup.max_steps = 1;
	return 0;
}

static json_t *
extractor_result(struct agent_run *a, const struct llm_reply *reply)
{
	json_t *result = NULL;
	char *err = NULL;
	if (extract_result(schema_of(a), reply->tool_calls, reply->text, &result, &err) != 0) {
		node_fail(a->ctx, "extraction_failed", "%s", err ? err : "nothing was extracted");
		free(err);
		return NULL;
	}
	return result;
}

static const struct flavor extractor_flavor = { extractor_prepare, extractor_result };


/* The flavour of a node of the family, by its kind's name. */
static enum step
family_start(struct node_ctx *ctx)
{
	const char *type = ctx->component_type;
	const struct flavor *f = strcmp(type, "categorizer") == 0 ? &categorizer_flavor
			       : strcmp(type, "extractor") == 0 ? &extractor_flavor
			       : &agent_flavor;
	return family_run(ctx, f);
}

#define FAMILY_KIND(kind_name) { .name = kind_name, .run = family_start, .step = agent_step, \
				 .cancel = agent_free }

const struct node_kind node_kind_agent = FAMILY_KIND("agent");
const struct node_kind node_kind_categorizer = FAMILY_KIND("categorizer");
const struct node_kind node_kind_extractor = FAMILY_KIND("extractor");
