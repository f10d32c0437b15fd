/*
 * webhooks.c: /api/v1/webhooks/<path>, any method (doc/webhooks.md).
 *
 * A delivery is looked up by its path (404 for an unknown path, a deleted
 * owner, an inactive workflow or trigger), checked against the node's
 * method (405), body limit (413) and signature (401), then started in one
 * write transaction with its limits (429) and its delivery id: a repeated
 * id answers what the first delivery was answered and starts nothing.
 *
 * Asynchronous mode answers 202 with the execution id.  Synchronous mode
 * holds no responder while the workflow runs: the answer is an
 * X-Accel-Redirect to nginx's internal long-poll location for the
 * execution's result channel (conf/nginx.conf.in), which the executor
 * publishes when the execution ends; nginx answers 200 with it, or its own
 * 202 with a Location when the wait runs out.  An execution that ended in
 * the trigger's own transaction (logic nodes only: engine/trigger.h) is
 * answered at once with that same result.  Without live events
 * (EVENTS_PUBLISH_URL unset: no nchan) synchronous mode answers as
 * asynchronous mode does.
 *
 * A responder keeps the targets it delivered to (model/webhook_cache.h):
 * a kept one only lets a delivery go ahead, checked by the start's own
 * transaction; anything it would refuse, or a start that finds it stale,
 * is delivered again from a fresh lookup.
 */
#include "api.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "crypto/crypto.h"
#include "crypto/webhook_signature.h"
#include "engine/trigger.h"
#include "http/answer.h"
#include "http/field_key.h"
#include "http/request.h"
#include "http/response.h"
#include "model/execution.h"
#include "model/idempotency.h"
#include "model/webhook.h"
#include "model/webhook_cache.h"
#include "model/webhook_delivery.h"
#include "util/config.h"
#include "util/jsonw.h"
#include "util/log.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define NOT_FOUND "Webhook not found"

/* The waits nginx's internal long-poll locations offer (seconds; one
 * location each in conf/nginx.conf.in).  A node's max_wait_seconds is
 * rounded down to one of them, so the wait never exceeds it. */
static const int wait_steps[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 45, 60,
				  90, 120, 180, 240, 300 };

/* Headers a workflow never sees: credentials of the caller, and the
 * signature (checked here; it is of no use downstream). */
static int
header_hidden(const char *name, const char *signature_header)
{
	return strcmp(name, "authorization") == 0 || strcmp(name, "cookie") == 0 ||
	       strcmp(name, "proxy-authorization") == 0 ||
	       (signature_header && strcasecmp(name, signature_header) == 0);
}

/* The request headers as {lower-case name: value}: FastCGI gives them as
 * HTTP_X_NAME (dashes turned into underscores), and the two entity
 * headers without the prefix. */
static json_t *
payload_headers(struct req *r, const char *signature_header)
{
	json_t *h = json_object();
	for (char **e = r->fcgi->envp; *e != NULL; e++) {
		const char *eq = strchr(*e, '=');
		if (eq == NULL)
			continue;
		const char *name = NULL;
		if (strncmp(*e, "HTTP_", 5) == 0)
			name = *e + 5;
		else if (strncmp(*e, "CONTENT_TYPE=", 13) == 0 || strncmp(*e, "CONTENT_LENGTH=", 15) == 0)
			name = *e;
		if (name == NULL || eq == name || eq[1] == '\0')
			continue;
		char lower[256];
		size_t n = (size_t)(eq - name);
		if (n >= sizeof lower)
			continue;
		for (size_t i = 0; i < n; i++)
			lower[i] = name[i] == '_' ? '-' : (char)tolower((unsigned char)name[i]);
		lower[n] = '\0';
		if (header_hidden(lower, signature_header))
			continue;
		json_t *v = json_string(eq + 1);
		if (v != NULL)
			json_object_set_new(h, lower, v);
	}
	return h;
}

static json_t *
payload_query(struct req *r)
{
	json_t *q = json_object();
	for (int i = 0; i < r->query_count; i++) {
		json_t *v = json_string(r->query[i].value ? r->query[i].value : "");
		if (v != NULL && r->query[i].key != NULL)
			json_object_set_new(q, r->query[i].key, v);
		else
			json_decref(v);
	}
	return q;
}

/* The body as JSON when it is JSON, else {"raw": text}; a body that is
 * not UTF-8 text comes as {"raw_base64": ...}. */
static json_t *
payload_body(const char *body, size_t len)
{
	if (len == 0)
		return json_object();
	json_t *v = json_loadb(body, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (v != NULL)
		return v;
	json_t *text = json_stringn(body, len);
	if (text != NULL)
		return json_pack("{s:o}", "raw", text);
	size_t cap = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = xmalloc(cap);
	sodium_bin2base64(b64, cap, (const unsigned char *)body, len, sodium_base64_VARIANT_ORIGINAL);
	json_t *r = json_pack("{s:s}", "raw_base64", b64);
	free(b64);
	return r;
}

static json_t *
trigger_payload(struct req *r, const struct webhook_target *t)
{
	json_t *body = payload_body(r->body ? r->body : "", r->body_len);
	json_t *text = json_object_get(body, "text");
	return json_pack("{s:o, s:o, s:o, s:s, s:s, s:s}", "body", body, "headers",
			 payload_headers(r, t->config.secret ? t->config.signature_header : NULL),
			 "query", payload_query(r), "method", r->method, "path", t->config.path,
			 "text", json_is_string(text) ? json_string_value(text) : "");
}

/* The delivery id a sender repeats on a retry: an Idempotency-Key, or
 * the id GitHub, Standard Webhooks senders and others put in a header, or
 * for Stripe the event id of the body.  NULL when none. */
static const char *
delivery_id(struct req *r, const struct webhook_target *t, const json_t *payload)
{
	static const char *const headers[] = { "HTTP_IDEMPOTENCY_KEY", "HTTP_X_WEBHOOK_ID",
					       "HTTP_X_GITHUB_DELIVERY", "HTTP_WEBHOOK_ID",
					       "HTTP_X_STRIPE_EVENT_ID" };
	for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
		const char *v = FCGX_GetParam(headers[i], r->fcgi->envp);
		if (v != NULL && *v != '\0')
			return v;
	}
	if (t->config.signature == WEBHOOK_SIG_STRIPE && t->config.secret != NULL) {
		const char *id = json_string_value(
			json_object_get(json_object_get(payload, "body"), "id"));
		if (id != NULL && *id != '\0')
			return id;
	}
	return NULL;
}

static int
delivery_id_valid(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > IDEM_KEY_MAX)
		return 0;
	for (const char *p = id; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return 0;
	return 1;
}

/* --- the start, in the idempotency record's transaction -------------------- */

struct start_arg {
	const struct webhook_target *t;
	int kept;                    /* t is a kept target: the start checks its revision */
	json_t *payload;
	int retry_after;
	char execution_id[EXEC_ID_MAX + 1];
	const struct config *cfg;
	int unkeyed;                 /* no delivery id: no repeat waits for the result */
	struct trigger_outcome run;  /* how far the transaction ran it */
};

enum { START_LIMIT_RATE = 1001, START_LIMIT_CONCURRENCY, START_GONE, START_STALE };

/* Whether deliveries are counted against a limit (in the start's
 * transaction, under the webhook's lock). */
static int
webhook_limited(const struct webhook_config *c)
{
	return c->rate_limit_per_minute > 0 || c->max_concurrency > 0;
}

static int
start_delivery(struct db *db, void *arg, struct idem_answer *out)
{
	struct start_arg *a = arg;
	const struct webhook_target *t = a->t;
	int64_t now_ms = time_now_ms();
	switch (webhook_delivery_admit(db, t->node_pk, t->config.rate_limit_per_minute,
				       t->config.max_concurrency, now_ms, &a->retry_after)) {
	case WEBHOOK_ADMIT_OK:
		break;
	case WEBHOOK_ADMIT_RATE:
		return START_LIMIT_RATE;
	case WEBHOOK_ADMIT_CONCURRENCY:
		return START_LIMIT_CONCURRENCY;
	case WEBHOOK_ADMIT_GONE:
		return START_GONE;
	default:
		return DB_FAILED;
	}
	struct exec_start rq = {
		.workflow_slug = t->workflow_slug,
		.owner = t->owner_id,
		.user_profile_id = t->owner_id,
		.trigger_type = "trigger_webhook",
		.trigger_node_id = t->node_id,
		.payload = a->payload,
		.now_ms = now_ms,
		.again = out->attempt > 0,
		/* Without a delivery id no repeat can wait for the result. */
		.result_answered = a->unkeyed,
		.expect_revision = a->kept ? t->revision : 0,
	};
	if (rq.again)
		trigger_outcome_clear(&a->run);      /* the failed attempt's */
	int rc = engine_trigger_start(db, a->cfg, &rq, a->execution_id, &a->run);
	out->may_be_stale = a->run.from_cache;
	if (rc == EXEC_DB_ERROR)
		return DB_FAILED;
	if (rc == EXEC_STALE)
		return START_STALE;
	if (rc != EXEC_OK)
		return START_GONE;	/* inactive, or the trigger went meanwhile */
	struct jw w;
	jw_init(&w);
	jw_obj_begin(&w);
	jw_kstr(&w, "execution_id", a->execution_id);
	jw_kstr(&w, "status", "pending");
	jw_obj_end(&w);
	out->status = 202;
	out->body = jw_take(&w, &out->len);
	return 0;
}

/* What makes two deliveries with one id "the same": method, path, body. */
static void
delivery_hash(struct req *r, const char *path, char out[IDEM_HASH_HEX + 1])
{
	size_t n = strlen(r->method) + strlen(path) + r->body_len + 3;
	char *all = xmalloc(n);
	int head = snprintf(all, n, "%s\n%s\n", r->method, path);
	if (r->body_len > 0)
		memcpy(all + head, r->body, r->body_len);
	crypto_sha256_hex(all, (size_t)head + r->body_len, out);
	free(all);
}

/* --- answers ------------------------------------------------------------------ */

static int
answer_accepted(struct req *r, const char *execution_id, const char *body, size_t len)
{
	char location[96];
	snprintf(location, sizeof location, "/api/v1/executions/%s/status/", execution_id);
	resp_add_header(r, "Location", location);
	return resp_raw(r, 202, body, len);
}

/* Hands the wait to nginx: no responder is held while the workflow runs. */
static int
answer_wait(struct req *r, const struct webhook_config *c, const char *execution_id)
{
	int wait = wait_steps[0];
	for (size_t i = 0; i < sizeof wait_steps / sizeof wait_steps[0]; i++)
		if (wait_steps[i] <= c->max_wait_seconds)
			wait = wait_steps[i];
	char target[128];
	snprintf(target, sizeof target, "/internal/webhook-wait/%d/%s", wait, execution_id);
	resp_add_header(r, "X-Accel-Redirect", target);
	return resp_empty(r, 200);
}

/* Answers a started (or replayed) delivery.  result: a synchronous
 * webhook's answer when the execution already ended (in the trigger's
 * transaction), else NULL. */
static int
answer_started(struct req *r, const struct webhook_target *t, int status, const char *body,
	       size_t len, const char *result)
{
	json_t *v = json_loadb(body, len, 0, NULL);
	const char *id = json_string_value(json_object_get(v, "execution_id"));
	int sync = t->config.sync && r->cfg->events_publish_url != NULL && !r->head_only;
	int rc;
	if (status != 202 || id == NULL || strlen(id) > EXEC_ID_MAX)
		rc = resp_raw(r, status, body, len);
	else if (sync && result != NULL)
		rc = resp_raw(r, 200, result, strlen(result));   /* what the wait would answer */
	else if (sync)
		rc = answer_wait(r, &t->config, id);
	else
		rc = answer_accepted(r, id, body, len);
	json_decref(v);
	return rc;
}

static int
answer_too_many(struct req *r, int retry_after, const char *what)
{
	char secs[16];
	snprintf(secs, sizeof secs, "%d", retry_after);
	resp_add_header(r, "Retry-After", secs);
	return resp_error(r, 429, what);
}

static int
answer_signature(struct req *r, enum webhook_sig_result s)
{
	switch (s) {
	case WEBHOOK_SIG_MISSING:
		return resp_error(r, 401, "Missing or malformed webhook signature");
	case WEBHOOK_SIG_STALE:
		return resp_error(r, 401, "Webhook signature timestamp outside the tolerance");
	default:
		return resp_error(r, 401, "Invalid webhook signature");
	}
}

/* The value of header name (e.g. "X-Hub-Signature-256") as FastCGI has it. */
static const char *
request_header(struct req *r, const char *name)
{
	char param[5 + WEBHOOK_HEADER_MAX + 1] = "HTTP_";
	size_t n = strlen(name);
	if (n > WEBHOOK_HEADER_MAX)
		return NULL;
	for (size_t i = 0; i < n; i++)
		param[5 + i] = name[i] == '-' ? '_' : (char)toupper((unsigned char)name[i]);
	param[5 + n] = '\0';
	return FCGX_GetParam(param, r->fcgi->envp);
}

/* deliver()'s answer when its kept target would refuse or was stale:
 * nothing was answered, and the caller delivers again from a lookup. */
#define DELIVER_AGAIN (-2)

static int
deliver(struct req *r, struct db *db, const struct webhook_target *t, int kept)
{
	const struct webhook_config *c = &t->config;
	if (!webhook_method_accepts(c, r->method)) {
		if (kept)
			return DELIVER_AGAIN;
		resp_add_header(r, "Allow", c->method);
		return resp_error(r, 405, "Method Not Allowed");
	}
	int status = req_read_body(r);
	if (status == 413)
		return resp_error(r, 413, "Request body too large");
	if (status != 0)
		return resp_error(r, status, http_reason(status));
	if (c->secret != NULL) {
		enum webhook_sig_result s = webhook_signature_check(
			c, request_header(r, c->signature_header), r->body ? r->body : "", r->body_len,
			(int64_t)time(NULL));
		if (s != WEBHOOK_SIG_OK)
			return kept ? DELIVER_AGAIN : answer_signature(r, s);
	}

	struct start_arg a = { .t = t, .kept = kept, .payload = trigger_payload(r, t), .cfg = r->cfg };
	struct idem_request rq = { .user_id = t->owner_id, .now = (int64_t)time(NULL) };
	char key[8 + IDEM_HASH_HEX + 1];
	const char *id = delivery_id(r, t, a.payload);
	if (id != NULL) {
		if (!delivery_id_valid(id)) {
			json_decref(a.payload);
			return resp_error(r, 422, "The delivery id (Idempotency-Key, X-Webhook-Id, "
					  "X-GitHub-Delivery) must be 1 to 255 printable ASCII "
					  "characters.");
		}
		/* Scoped to the webhook's path: the owner's keys for the API and
		 * other webhooks never collide with it. */
		char *scoped = xasprintf("%s\n%s", c->path, id);
		char hex[CRYPTO_SHA256_HEX_LEN + 1];
		crypto_sha256_hex(scoped, strlen(scoped), hex);
		free(scoped);
		snprintf(key, sizeof key, "webhook:%s", hex);
		rq.key = key;
		delivery_hash(r, c->path, rq.request_hash);
	}
	struct idem_answer ans;
	int create_rc = 0;
	int rc;
	a.unkeyed = rq.key == NULL;
	/* Nothing to count: the start needs no transaction but its own. */
	rq.standalone = !webhook_limited(c);
	engine_trigger_abandon();    /* nothing of an earlier request that failed */
	int created = idem_create(db, &rq, start_delivery, &a, &ans, &create_rc);
	if (created != IDEM_CREATED)
		engine_trigger_abandon();
	switch (created) {
	case IDEM_CREATED:
		req_after_response(r, engine_trigger_publish);
		rc = answer_started(r, t, ans.status, ans.body, ans.len, a.run.webhook_answer);
		idem_answer_free(&ans);
		break;
	case IDEM_REPLAYED:
		if (kept) {
			/* How to answer it (the mode) is the kept target's word,
			 * which no start checked. */
			idem_answer_free(&ans);
			rc = DELIVER_AGAIN;
			break;
		}
		/* The first delivery's answer, waiting again for the result
		 * (the result channel keeps it). */
		resp_add_header(r, "Idempotent-Replayed", "true");
		rc = answer_started(r, t, ans.status, ans.body, ans.len, NULL);
		idem_answer_free(&ans);
		break;
	case IDEM_KEY_REUSED:
		rc = resp_error(r, 422, "This delivery id was already used with a different "
				"request; a new delivery needs a new id.");
		break;
	case IDEM_CREATE_FAILED:
		if (create_rc == START_LIMIT_RATE)
			rc = answer_too_many(r, a.retry_after, "Webhook rate limit reached");
		else if (create_rc == START_LIMIT_CONCURRENCY)
			rc = answer_too_many(r, a.retry_after,
					     "Webhook concurrency limit reached: too many executions "
					     "in flight");
		else if (create_rc == START_GONE)
			rc = resp_error(r, 404, NOT_FOUND);
		else if (create_rc == START_STALE)
			rc = DELIVER_AGAIN;
		else
			rc = resp_db_error(r, db, "webhook delivery");
		break;
	default:
		rc = resp_db_error(r, db, "webhook delivery");
		break;
	}
	trigger_outcome_clear(&a.run);
	json_decref(a.payload);
	return rc;
}

int
webhooks_deliver(struct req *r)
{
	/* The raw path: the path rule allows no '%', so an escaped spelling is
	 * simply not found, and one path has one spelling. */
	const struct route_param *p = &r->match.params[0];
	if (r->match.nparams < 1 || p->value_len == 0 || p->value_len > WEBHOOK_PATH_MAX)
		return resp_error(r, 404, NOT_FOUND);
	char path[WEBHOOK_PATH_MAX + 1];
	memcpy(path, p->value, p->value_len);
	path[p->value_len] = '\0';

	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return -1;
	const struct webhook_target *kept = webhook_cache_find(path);
	if (kept != NULL) {
		int rc = deliver(r, db, kept, 1);
		if (rc != DELIVER_AGAIN)
			return rc;
		webhook_cache_forget(path);
	}
	struct webhook_target t;
	switch (webhook_find(db, req_field_key_if_set(r), path, &t)) {
	case WEBHOOK_OK:
		break;
	case WEBHOOK_NOT_FOUND:
		return resp_error(r, 404, NOT_FOUND);
	case WEBHOOK_KEY_MISMATCH:
		return resp_field_key_mismatch(r);
	default:
		return resp_db_error(r, db, "webhook lookup");
	}
	int rc;
	if (!t.owner_active || !t.workflow_active || !t.trigger_active) {
		rc = resp_error(r, 404, NOT_FOUND);
	} else {
		/* Counted deliveries lock the webhook in their transaction and
		 * decide there: nothing to gain from keeping those.  Nor from a
		 * revision of 0 (a start reads it as "nothing to check"). */
		if (!webhook_limited(&t.config) && t.revision != 0)
			webhook_cache_put(path, &t);
		rc = deliver(r, db, &t, 0);
	}
	webhook_target_free(&t);
	return rc;
}
