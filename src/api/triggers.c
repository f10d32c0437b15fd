/*
 * triggers.c: the triggers a user fires over the API (pipelit-api.md 3.7,
 * 3.8): POST /workflows/{slug}/execute/ (the manual trigger) and POST
 * /workflows/{slug}/chat/.  Each writes the execution and its first job
 * (execution_start) and answers at once; executors run it.
 *
 * Unlike Pipelit, both are scoped to the workflow's owner (admins any;
 * 404 otherwise) and the trigger is looked up only in the slug's
 * workflow.  Both take an Idempotency-Key: the execution is started inside
 * the create's transaction (api/create.h), so a repeated key answers the
 * first execution's id and starts nothing.  Without a key the start is a
 * transaction of its own, which the host's trigger writer may commit
 * together with others (engine/trigger_relay.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "api.h"
#include "api/create.h"
#include "engine/trigger.h"
#include "http/answer.h"
#include "http/auth.h"
#include "http/request.h"
#include "http/response.h"
#include "http/validate.h"
#include "model/execution.h"
#include "util/jsonw.h"
#include "util/timefmt.h"

/* The answers Pipelit gives, period or not, as its clients know them. */
#define EXECUTE_NO_WORKFLOW "Workflow not found"
#define EXECUTE_NO_NODE "Manual trigger node not found"
#define EXECUTE_NO_TRIGGER "No trigger configured for manual execution"
#define CHAT_NO_WORKFLOW "Workflow not found."
#define CHAT_NO_TRIGGER "No chat trigger found."
#define CHAT_INACTIVE "Workflow is inactive"

struct trigger {
	struct req *r;
	int chat;                      /* chat (else manual) */
	int key_refused;               /* the kept key the start confirms did not stand */
	const char *text;              /* borrowed from the body */
	const char *trigger_node_id;   /* borrowed; NULL: the workflow's first */
};

static int64_t
scope_of(const struct req *r)
{
	return r->user.is_admin ? EXEC_ANY_OWNER : r->user.id;
}

/* {text, trigger_node_id?}: text required for chat, "" by default for a
 * manual run, whose body may be absent altogether. */
static int
check_body(struct req *r, struct trigger *tr)
{
	json_t *body = req_json(r);
	struct validator v;
	tr->text = "";
	tr->trigger_node_id = NULL;
	if (body == NULL && !tr->chat)
		return 0;
	v_init(&v, body);
	if (v_body_object(&v, body) == 1) {
		v_string(&v, body, "text", tr->chat, 0, 0, &tr->text);
		v_string(&v, body, "trigger_node_id", 0, 0, 0, &tr->trigger_node_id);
	}
	if (v_failed(&v)) {
		resp_invalid(r, &v);
		return -1;
	}
	v_free(&v);
	return 0;
}

/* In the create's transaction: the execution, and the answer naming it. */
static int
start_and_render(struct db *db, void *arg, struct idem_answer *out)
{
	struct trigger *tr = arg;
	struct req *r = tr->r;
	json_t *payload = json_pack("{s:s}", "text", tr->text);
	struct exec_start rq = {
		.workflow_slug = req_param(r, "slug"),
		.owner = scope_of(r),
		.user_profile_id = r->user.id,
		.trigger_type = tr->chat ? "trigger_chat" : "trigger_manual",
		.trigger_node_id = tr->trigger_node_id,
		.payload = payload,
		/* One conversation per user and workflow (pipelit-api.md 3.8),
		 * named by the start from the workflow it finds. */
		.thread_per_user = tr->chat,
		.now_ms = time_now_ms(),
		.again = out->attempt > 0,
		/* A key this responder kept: the start's write confirms it. */
		.confirm_key = r->key_unconfirmed ? r->key_hash : NULL,
		.confirm_role = r->user.role,
	};
	char id[EXEC_ID_MAX + 1];
	struct trigger_outcome run;
	int rc = engine_trigger_start(db, r->cfg, &rq, id, &run);
	out->may_be_stale = run.from_cache;
	trigger_outcome_clear(&run);
	json_decref(payload);
	if (rc != EXEC_OK)
		return rc;
	struct jw w;
	jw_init(&w);
	jw_obj_begin(&w);
	jw_kstr(&w, "execution_id", id);
	jw_kstr(&w, "status", "pending");
	if (tr->chat)
		jw_kstr(&w, "response", "");
	jw_obj_end(&w);
	create_answer_take(out, 200, &w);
	return 0;
}

static int
answer_refused(struct req *r, struct db *db, int rc, void *arg)
{
	struct trigger *tr = arg;
	engine_trigger_abandon();
	if (rc == EXEC_KEY_REFUSED) {
		tr->key_refused = 1;   /* fire() reads the key and tries again */
		return 0;
	}
	switch (rc) {
	case EXEC_NOT_FOUND:
		return resp_error(r, 404, tr->chat ? CHAT_NO_WORKFLOW : EXECUTE_NO_WORKFLOW);
	case EXEC_INACTIVE:
		/* Pipelit: an inactive workflow cannot be run by hand (as if
		 * missing); its chat says why. */
		return tr->chat ? resp_error(r, 422, CHAT_INACTIVE)
				: resp_error(r, 404, EXECUTE_NO_WORKFLOW);
	case EXEC_NO_TRIGGER:
		if (tr->chat)
			return resp_error(r, 404, CHAT_NO_TRIGGER);
		return resp_error(r, 404, tr->trigger_node_id ? EXECUTE_NO_NODE : EXECUTE_NO_TRIGGER);
	default:
		return resp_db_error(r, db, "execution start");
	}
}

/* After the commit of a new execution: the executors start what it
 * queued; its events go out once the answer is sent. */
static void
started(struct req *r, const char *body, size_t len, void *arg)
{
	auth_kept_key_confirmed(r);
	req_after_response(r, engine_trigger_publish);
}

static int
fire(struct req *r, int chat)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	struct trigger tr = { .r = r, .chat = chat };
	if (check_body(r, &tr) != 0)
		return 0;
	static const struct create_ops ops = { start_and_render, answer_refused, started };
	engine_trigger_abandon();    /* nothing of an earlier request that failed */
	int rc = api_create_standalone(r, db, &ops, &tr);
	if (!tr.key_refused)
		return rc;
	/* The kept key did not stand: read it (its 401 if it is revoked),
	 * then start as that reading says. */
	if (auth_confirm_kept(r) != 0)
		return 0;
	tr.key_refused = 0;
	return api_create_standalone(r, db, &ops, &tr);
}

int
workflows_execute(struct req *r)
{
	return fire(r, 0);
}

int
workflows_chat(struct req *r)
{
	return fire(r, 1);
}
