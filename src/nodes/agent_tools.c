/* agent_tools.c: an agent's tool round (agent_tools.h). */
#include "nodes/agent_tools.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "graph/node_types.h"
#include "net/outbound.h"
#include "net/transfer.h"
#include "nodes/tools.h"
#include "util/xalloc.h"

/* One call of the round. */
struct tool_call {
	struct transfer base;        /* first: an HTTP call's transfer (net/transfer.h) */
	struct tool_round *round;
	char *id, *name;
	const struct agent_tool *tool;   /* NULL: unknown tool */
	char *answer;                /* the text for the model; NULL while in flight */
	int failed;                  /* the answer is an error */
	char *key;                   /* <the answer's message id>:<index>: the call's own id */
	/* HTTP calls */
	CURL *easy;
	struct curl_slist *headers;
	struct outbound_guard guard;
	struct tool_http_request req;
	char *body;
	size_t len, max;
	int too_large;
};

struct tool_round {
	struct node_ctx *ctx;
	struct tool_call *calls;
	size_t n;
	long invocations;
};

/* --- events ------------------------------------------------------------------- */

static void
tool_event(struct tool_round *r, const struct tool_call *c, const char *status)
{
	const struct node_services *s = r->ctx->services;
	if (s->publish_live == NULL)
		return;
	const char *type = c->tool ? c->tool->type : "tool";
	const struct node_type *nt = node_type_find(type);
	char builtin[128];
	snprintf(builtin, sizeof builtin, "_builtin_%s", c->name ? c->name : "tool");
	const char *label = c->tool ? json_string_value(json_object_get(c->tool->node, "label")) : NULL;
	json_t *data = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s}",
		"node_id", c->tool ? c->tool->node_id : builtin, "status", status,
		"tool_name", c->name ? c->name : "", "parent_node_id", r->ctx->node_id,
		"is_tool_call", 1, "component_type", type,
		"display_name", nt ? nt->display_name : type, "node_label", label ? label : "");
	s->publish_live(s->arg, r->ctx, "node_status", data);
	json_decref(data);
}

static void
answer(struct tool_round *r, struct tool_call *c, char *text)
{
	c->answer = text ? text : xstrdup("Error: the tool gave no answer");
	c->failed = strncmp(c->answer, "Error:", 6) == 0 ||
		    strcmp(c->answer, TOOL_WEB_SEARCH_UNAVAILABLE) == 0;
	tool_event(r, c, c->failed ? "failed" : "success");
}

/* --- HTTP calls ------------------------------------------------------------------ */

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	struct tool_call *c = arg;
	size_t add = size * n;
	if (c->len + add > c->max) {
		c->too_large = 1;
		return 0;
	}
	c->body = xrealloc(c->body, c->len + add + 1);
	memcpy(c->body + c->len, p, add);
	c->len += add;
	c->body[c->len] = '\0';
	return add;
}

static void
http_finished(struct transfer *t, CURL *easy, CURLcode result)
{
	struct tool_call *c = (struct tool_call *)t;
	struct tool_round *r = c->round;
	long status = 0;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(r->ctx->services->multi, easy);
	curl_easy_cleanup(easy);
	c->easy = NULL;
	char *why = NULL;
	if (result != CURLE_OK) {
		char *refused = outbound_refusal_text(&c->guard);
		why = refused ? refused
		      : c->too_large ? xasprintf("the answer is larger than %zu bytes", c->max)
		      : xstrdup(curl_easy_strerror(result));
	}
	answer(r, c, tool_http_answer(c->tool->type, status, c->body ? c->body : "", c->len, why));
	free(why);
	r->ctx->ready = 1;
}

/* The SearXNG base URL of a web_search node: its credential's, or the
 * owner's preferred SearXNG credential's when it names none; NULL. */
static char *
searxng_url(struct tool_round *r, const struct agent_tool *tool)
{
	const struct node_services *s = r->ctx->services;
	const json_t *config = json_object_get(tool->node, "config");
	json_int_t id = json_integer_value(json_object_get(config, "credential_id"));
	json_t *d = NULL;
	if (id > 0 && s->credential_detail) {
		char *err = NULL;
		d = s->credential_detail(s->arg, r->ctx, id, "tool", &err);
		free(err);
	} else if (id <= 0 && s->searxng_default) {
		d = s->searxng_default(s->arg, r->ctx);
	}
	const char *url = json_string_value(json_object_get(json_object_get(d, "config"), "url"));
	char *out = url && *url ? xstrdup(url) : NULL;
	json_decref(d);
	return out;
}

static void
http_start(struct tool_round *r, struct tool_call *c, const json_t *args)
{
	char *base = strcmp(c->tool->type, "web_search") == 0 ? searxng_url(r, c->tool) : NULL;
	char *err = NULL;
	int rc = tool_http_prepare(c->tool->type, c->tool->extra_config, args, base, &c->req, &err);
	free(base);
	if (rc != 0) {
		answer(r, c, err);
		return;
	}
	c->max = c->req.max_bytes;
	c->easy = curl_easy_init();
	/* Headers from the node's config (a token) never follow a redirect
	 * to another origin. */
	int flags = c->req.n_headers > 0 ? OUTBOUND_SAME_ORIGIN : 0;
	if (c->easy == NULL ||
	    outbound_configure(c->easy, r->ctx->services->policy, c->req.url, c->req.timeout_ms, 3,
			       flags, &c->guard) != 0) {
		answer(r, c, xstrdup("Error: the request could not be set up"));
		return;
	}
	for (size_t i = 0; i < c->req.n_headers; i++)
		c->headers = curl_slist_append(c->headers, c->req.headers[i]);
	/* The same key on every attempt of the node: a server that honours
	 * it acts once even when a resumed agent sends the call again. */
	char *key = xasprintf("Idempotency-Key: %s", c->key);
	c->headers = curl_slist_append(c->headers, key);
	free(key);
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(c->easy, CURLOPT_CUSTOMREQUEST, c->req.method);
	if (strcmp(c->req.method, "HEAD") == 0)
		curl_easy_setopt(c->easy, CURLOPT_NOBODY, 1L);
	if (c->req.body) {
		curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE, (long)c->req.body_len);
		curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->req.body);
	}
	curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c);
	c->base.done = http_finished;
	transfer_bind(c->easy, &c->base);
	if (curl_multi_add_handle(r->ctx->services->multi, c->easy) != CURLM_OK) {
		curl_easy_cleanup(c->easy);
		c->easy = NULL;
		answer(r, c, xstrdup("Error: the request could not be started"));
	}
}

/* --- the round ---------------------------------------------------------------------- */

static void
run_call(struct tool_round *r, struct tool_call *c, const json_t *args)
{
	r->invocations++;
	tool_event(r, c, "running");
	if (c->tool == NULL) {
		answer(r, c, xasprintf("Error: there is no tool named '%s'", c->name ? c->name : ""));
		return;
	}
	char *err = NULL;
	if (tool_args_check(c->tool->type, args, &err) != 0) {
		answer(r, c, err);
		return;
	}
	const struct tool_info *info = tool_find(c->tool->type);
	const struct node_services *s = r->ctx->services;
	switch (info ? info->run : TOOL_PURE) {
	case TOOL_PURE: {
		char *text = tool_run_pure(c->tool->type, c->tool->extra_config, args, &err);
		if (text == NULL) {
			text = xasprintf("Error: %s", err ? err : "the tool cannot run");
			free(err);
		}
		answer(r, c, text);
		break;
	}
	case TOOL_MEMORY: {
		char *text = s->memory_tool ? s->memory_tool(s->arg, c->tool->type, args,
							     c->tool->extra_config, &err) : NULL;
		if (text == NULL) {
			text = xasprintf("Error: %s", err ? err : "memory is not available");
			free(err);
		}
		answer(r, c, text);
		break;
	}
	case TOOL_HTTP:
		http_start(r, c, args);
		break;
	}
}

struct tool_round *
tool_round_start(struct node_ctx *ctx, const struct agent_setup *setup, const json_t *ai_message)
{
	struct tool_round *r = xcalloc(1, sizeof *r);
	r->ctx = ctx;
	const json_t *data = json_object_get(ai_message, "data");
	const json_t *calls = json_object_get(data, "tool_calls");
	const char *message_id = json_string_value(json_object_get(data, "id"));
	r->n = json_array_size(calls);
	r->calls = xcalloc(r->n ? r->n : 1, sizeof *r->calls);
	for (size_t i = 0; i < r->n; i++) {
		const json_t *call = json_array_get(calls, i);
		struct tool_call *c = &r->calls[i];
		c->round = r;
		const char *id = json_string_value(json_object_get(call, "id"));
		const char *name = json_string_value(json_object_get(call, "name"));
		c->id = xstrdup(id ? id : "");
		c->name = xstrdup(name ? name : "");
		c->tool = agent_tool_named(setup, c->name);
		c->key = xasprintf("%s:%zu", message_id ? message_id : "", i);
	}
	/* Started after every call is set up: an answer that comes at once
	 * never sees a half-built round. */
	for (size_t i = 0; i < r->n; i++) {
		struct tool_call *c = &r->calls[i];
		const json_t *args = json_object_get(json_array_get(calls, i), "args");
		json_t *empty = json_object();
		run_call(r, c, json_is_object(args) ? args : empty);
		json_decref(empty);
	}
	return r;
}

int
tool_round_done(const struct tool_round *r)
{
	for (size_t i = 0; r && i < r->n; i++)
		if (r->calls[i].answer == NULL)
			return 0;
	return 1;
}

long
tool_round_invocations(const struct tool_round *r)
{
	return r ? r->invocations : 0;
}

void
tool_round_append_results(struct tool_round *r, json_t *messages)
{
	for (size_t i = 0; i < r->n; i++) {
		struct tool_call *c = &r->calls[i];
		/* An id of its own, the same on every attempt: the memory thread
		 * keeps each result once. */
		char *id = xasprintf("%s:tool", c->key);
		json_array_append_new(messages, json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:s}}",
			"type", "tool", "data", "content", c->answer, "tool_call_id", c->id,
			"name", c->name, "status", c->failed ? "error" : "success", "id", id));
		free(id);
	}
}

void
tool_round_free(struct tool_round *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++) {
		struct tool_call *c = &r->calls[i];
		if (c->easy) {
			curl_multi_remove_handle(r->ctx->services->multi, c->easy);
			curl_easy_cleanup(c->easy);
		}
		curl_slist_free_all(c->headers);
		outbound_guard_free(&c->guard);
		tool_http_request_free(&c->req);
		free(c->body);
		free(c->id);
		free(c->name);
		free(c->key);
		free(c->answer);
	}
	free(r->calls);
	free(r);
}
