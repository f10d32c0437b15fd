/*
 * inbound.c: POST /api/v1/inbound, the message gateway's webhook
 * (pipelit-api.md 3.14, pipelit-engine.md 2.1 and 2.10; doc/gateway.md).
 *
 * The gateway presents GATEWAY_INBOUND_TOKEN as a Bearer token (compared
 * in constant time); unset, the route answers 503 (with Retry-After, so a
 * gateway keeps its messages and delivers them once the operator set it).
 * A message starts an execution of the routed trigger (trigger_telegram or
 * trigger_chat) and answers 202; "/confirm_<id>" and "/cancel_<id>" answer
 * the pending confirmation instead, 200 {"status", "task_id"}, and queue
 * the acknowledgement for the chat in the same transaction.  Both take an
 * Idempotency-Key, scoped to the owner of the routed workflow.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "api/create.h"
#include "api/execution_events.h"
#include "crypto/crypto.h"
#include "engine/trigger.h"
#include "gateway/command.h"
#include "gateway/message.h"
#include "gateway/queue.h"
#include "http/answer.h"
#include "http/dispatch.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "model/execution.h"
#include "model/gateway.h"
#include "util/config.h"
#include "util/jsonw.h"
#include "util/timefmt.h"
#include "util/wake.h"
#include "util/xalloc.h"

#define NOT_CONFIGURED "Gateway token not configured"
#define BAD_TOKEN "Invalid gateway token"
#define BAD_ROUTE "route must contain workflow_slug and trigger_node_id"
#define ID_MAX 255       /* ids the gateway names: stored in VARCHAR(255) columns */

/* 1 when the Authorization header is "Bearer <token>".  Both sides are
 * hashed first, so the comparison takes the same time whatever the length
 * or the first differing byte of what was sent. */
static int
token_matches(const char *authorization, const char *token)
{
	static const char scheme[] = "Bearer ";
	if (authorization == NULL || strncasecmp(authorization, scheme, sizeof scheme - 1) != 0)
		return 0;
	const char *sent = authorization + sizeof scheme - 1;
	char a[CRYPTO_SHA256_HEX_LEN + 1], b[CRYPTO_SHA256_HEX_LEN + 1];
	crypto_sha256_hex(sent, strlen(sent), a);
	crypto_sha256_hex(token, strlen(token), b);
	return crypto_equal(a, b, CRYPTO_SHA256_HEX_LEN);
}

/* --- the body -------------------------------------------------------------------- */

struct inbound {
	const char *slug, *trigger_node_id;
	const char *credential_id, *protocol, *chat_id, *message_id;
	const char *from_id, *from_name;          /* NULL when from is null */
	const char *text;
	json_t *attachments;                      /* borrowed, an array (maybe empty) */
	const struct config *cfg;
};

static void
check_attachments(struct validator *v, json_t *body, json_t **out)
{
	json_t *list = json_object_get(body, "attachments");
	*out = NULL;
	if (list == NULL || json_is_null(list))
		return;
	if (!json_is_array(list)) {
		v_add(v, V_BODY, "attachments", "list_type", "Input should be a valid list",
		      json_incref(list), NULL);
		return;
	}
	size_t i;
	json_t *item;
	json_array_foreach(list, i, item) {
		json_t *prefix = json_pack("[s, I]", "attachments", (json_int_t)i);
		v_nest(v, item, prefix);
		if (!json_is_object(item)) {
			v_add(v, V_BODY, NULL, "model_type",
			      "Input should be a valid dictionary or instance of AttachmentInfo",
			      json_incref(item), NULL);
		} else {
			const char *s;
			int64_t size;
			v_string(v, item, "filename", 1, 0, 0, &s);
			v_string(v, item, "mime_type", 1, 0, 0, &s);
			v_int(v, item, "size_bytes", 0, &size);
			v_string(v, item, "download_url", 0, 0, 0, &s);
		}
		v_nest(v, body, NULL);
		json_decref(prefix);
	}
	*out = list;
}

/* The body as the gateway's InboundMessage; 0, or -1 with v's errors. */
static int
check_body(struct validator *v, json_t *body, struct inbound *in)
{
	memset(in, 0, sizeof *in);
	if (v_body_object(v, body) != 1)
		return -1;
	json_t *route = NULL, *source = NULL, *from = NULL, *extra = NULL;
	const char *timestamp, *reply_to;
	v_object(v, body, "route", 1, &route);
	v_string(v, body, "credential_id", 1, 0, ID_MAX, &in->credential_id);
	if (v_object(v, body, "source", 1, &source) == 1) {
		json_t *prefix = json_pack("[s]", "source");
		v_nest(v, source, prefix);
		v_string(v, source, "protocol", 1, 0, 0, &in->protocol);
		v_string(v, source, "chat_id", 1, 0, ID_MAX, &in->chat_id);
		v_string(v, source, "message_id", 0, 0, 0, &in->message_id);
		v_string(v, source, "reply_to_message_id", 0, 0, 0, &reply_to);
		if (v_object(v, source, "from", 0, &from) == 1) {
			json_t *fprefix = json_pack("[s, s]", "source", "from");
			const char *username;
			v_nest(v, from, fprefix);
			v_string(v, from, "id", 1, 0, ID_MAX, &in->from_id);
			v_string(v, from, "username", 0, 0, 0, &username);
			v_string(v, from, "display_name", 0, 0, 150, &in->from_name);
			json_decref(fprefix);
		}
		v_nest(v, body, NULL);
		json_decref(prefix);
	}
	v_string(v, body, "text", 1, 0, 0, &in->text);
	check_attachments(v, body, &in->attachments);
	v_string(v, body, "timestamp", 1, 0, 0, &timestamp);
	v_object(v, body, "extra_data", 0, &extra);
	if (v_failed(v))
		return -1;
	in->slug = json_string_value(json_object_get(route, "workflow_slug"));
	in->trigger_node_id = json_string_value(json_object_get(route, "trigger_node_id"));
	return 0;
}

/* --- a message: a new execution ------------------------------------------------------ */

/* The trigger payload (2.1): the text with a line per attachment. */
static json_t *
payload_of(const struct inbound *in, int64_t profile_id)
{
	char *text = xstrdup(in->text);
	json_t *files = json_array();
	size_t i;
	json_t *a;
	json_array_foreach(in->attachments, i, a) {
		const char *name = json_string_value(json_object_get(a, "filename"));
		const char *mime = json_string_value(json_object_get(a, "mime_type"));
		const char *url = json_string_value(json_object_get(a, "download_url"));
		json_int_t size = json_integer_value(json_object_get(a, "size_bytes"));
		if (url == NULL)
			url = "";
		char *more = xasprintf("%s\n[Attached file: %s | url: %s | type: %s]", text, name, url,
				       mime);
		free(text);
		text = more;
		json_array_append_new(files, json_pack("{s:s, s:s, s:I, s:s}", "filename", name,
						       "mime_type", mime, "size_bytes", size, "url", url));
	}
	json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:I, s:o}", "text", text, "chat_id", in->chat_id,
			      "message_id", in->message_id ? in->message_id : "",
			      "credential_id", in->credential_id, "user_id", (json_int_t)profile_id,
			      "files", files);
	free(text);
	return p;
}

/* The gateway's kinds of trigger, in the order a routed node is looked for. */
static const char *const trigger_types[] = { "trigger_telegram", "trigger_chat", NULL };

static int
start_create(struct db *db, void *arg, struct idem_answer *out)
{
	const struct inbound *in = arg;
	int64_t profile;
	/* Who wrote: their own profile, by the gateway's user id. */
	if (gateway_profile(db, in->from_id ? in->from_id : "gateway_anonymous", in->from_name,
			    &profile) != 0)
		return DB_FAILED;
	json_t *payload = payload_of(in, profile);
	struct exec_start rq = {
		.workflow_slug = in->slug, .owner = EXEC_ANY_OWNER, .user_profile_id = profile,
		.trigger_node_id = in->trigger_node_id, .payload = payload, .now_ms = time_now_ms(),
		.again = out->attempt > 0,
	};
	char id[EXEC_ID_MAX + 1];
	int rc = EXEC_NO_TRIGGER;
	for (size_t i = 0; trigger_types[i] && rc == EXEC_NO_TRIGGER; i++) {
		rq.trigger_type = trigger_types[i];
		struct trigger_outcome run;
		rc = engine_trigger_start(db, in->cfg, &rq, id, &run);
		out->may_be_stale |= run.from_cache;
		trigger_outcome_clear(&run);
	}
	json_decref(payload);
	if (rc != EXEC_OK)
		return rc;
	struct jw w;
	jw_init(&w);
	jw_obj_begin(&w);
	jw_key(&w, "execution_id");
	jw_str(&w, id);
	jw_key(&w, "status");
	jw_str(&w, "pending");
	jw_obj_end(&w);
	create_answer_take(out, 202, &w);
	return 0;
}

static int
start_failed(struct req *r, struct db *db, int result, void *arg)
{
	(void)arg;
	engine_trigger_abandon();
	switch (result) {
	case EXEC_NOT_FOUND:
		return resp_error(r, 404, "Workflow not found");
	case EXEC_INACTIVE:
		return resp_error(r, 422, "Workflow is inactive");
	case EXEC_NO_TRIGGER:
		return resp_error(r, 404, "Trigger node not found");
	default:
		return resp_db_error(r, db, "inbound");
	}
}

static void
start_done(struct req *r, const char *body, size_t len, void *arg)
{
	(void)body;
	(void)len;
	(void)arg;
	req_after_response(r, engine_trigger_publish);
}

/* --- a command: the answer to a confirmation ------------------------------------------ */

struct command {
	const struct inbound *in;
	const struct config *cfg;
	char *task_id;
	int cancel;
	/* set by the create, for after the commit */
	struct gateway_task task;
	int64_t seq;
	char *slug;
};

static int
answer_status(struct idem_answer *out, const char *status, const char *task_id)
{
	struct jw w;
	jw_init(&w);
	jw_obj_begin(&w);
	jw_key(&w, "status");
	jw_str(&w, status);
	jw_key(&w, "task_id");
	jw_str(&w, task_id);
	jw_obj_end(&w);
	create_answer_take(out, 200, &w);
	return 0;
}

static int
command_create(struct db *db, void *arg, struct idem_answer *out)
{
	struct command *c = arg;
	int64_t now = time_now_ms();
	int rc = gateway_task_find(db, c->task_id, &c->task);
	if (rc < 0)
		return DB_FAILED;
	if (rc == 0)
		return answer_status(out, "not_found", c->task_id);
	rc = execution_confirm(db, NULL, c->task_id, EXEC_ANY_OWNER,
			       c->cancel ? "cancel" : "confirm", now, &c->seq, &c->slug);
	const char *status, *ack;
	if (rc == EXEC_OK) {
		status = c->cancel ? "cancelled" : "confirmed";
		ack = c->cancel ? GATEWAY_ACK_CANCELLED : GATEWAY_ACK_CONFIRMED;
	} else if (rc == EXEC_EXPIRED) {
		status = "expired";
		ack = GATEWAY_ACK_EXPIRED;
	} else {
		return rc;               /* rolled back; answered not_found */
	}
	/* The acknowledgement goes to the chat the command came from. */
	rc = gateway_queue_text(db, c->cfg, c->task.execution_id, c->in->credential_id,
				c->in->chat_id, ack, now);
	if (rc < 0 || (rc > 0 && execution_notify_executors(db) != EXEC_OK))
		return DB_FAILED;
	return answer_status(out, status, c->task_id);
}

static int
command_failed(struct req *r, struct db *db, int result, void *arg)
{
	struct command *c = arg;
	if (result == DB_FAILED)
		return resp_db_error(r, db, "inbound");
	/* The task went between the look-up and the answer (another answer
	 * won), or its execution is no longer waiting: nothing to answer. */
	json_t *body = json_pack("{s:s, s:s}", "status", "not_found", "task_id", c->task_id);
	return resp_json(r, 200, body);
}

static void
command_done(struct req *r, const char *body, size_t len, void *arg)
{
	(void)body;
	(void)len;
	struct command *c = arg;
	if (c->seq > 0 && c->slug)
		execution_event_cancelled(r->cfg, c->slug, c->task.execution_id, c->seq);
	wake_executors(r->cfg);
}

static int
answer_command(struct req *r, struct db *db, const struct inbound *in, char *task_id,
	       int cancel)
{
	struct command c = { .in = in, .cfg = r->cfg, .task_id = task_id, .cancel = cancel };
	static const struct create_ops ops = {
		.create = command_create, .fail = command_failed, .created = command_done,
	};
	int rc = api_create(r, db, &ops, &c);
	gateway_task_clear(&c.task);
	free(c.slug);
	return rc;
}

/* --- the route ------------------------------------------------------------------------- */

int
api_inbound(struct req *r)
{
	const char *token = r->cfg->gateway_inbound_token;
	if (token == NULL) {
		resp_add_header(r, "Retry-After", "60");
		return resp_error(r, 503, NOT_CONFIGURED);
	}
	if (!token_matches(r->authorization, token)) {
		resp_add_header(r, "WWW-Authenticate", "Bearer");
		return resp_error(r, 401, BAD_TOKEN);
	}
	if (req_prepare_json_body(r) != 0)
		return 0;
	json_t *body = req_json(r);
	struct validator v;
	struct inbound in;
	v_init(&v, body);
	if (check_body(&v, body, &in) != 0)
		return resp_invalid(r, &v);
	v_free(&v);
	if (in.slug == NULL || in.trigger_node_id == NULL)
		return resp_error(r, 422, BAD_ROUTE);
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	/* Idempotency keys are kept per user: the gateway acts for the
	 * workflow's owner, so its keys are scoped to that owner. */
	int64_t owner;
	int rc = execution_workflow_owner(db, in.slug, &owner);
	if (rc == EXEC_NOT_FOUND)
		return resp_error(r, 404, "Workflow not found");
	if (rc != EXEC_OK)
		return resp_db_error(r, db, "inbound");
	r->user.id = owner;
	char *task_id;
	int cancel;
	if (gateway_command_parse(in.text, &task_id, &cancel)) {
		rc = answer_command(r, db, &in, task_id, cancel);
		free(task_id);
		return rc;
	}
	static const struct create_ops ops = {
		.create = start_create, .fail = start_failed, .created = start_done,
	};
	in.cfg = r->cfg;
	engine_trigger_abandon();    /* nothing of an earlier request that failed */
	return api_create(r, db, &ops, &in);
}
