/* run.c: see run.h. */
#include "run.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/test_kinds.h"
#include "engine/topology.h"
#include "expr/expr.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

void
outcome_clear(struct outcome *o)
{
	json_decref(o->result);
	json_decref(o->log_input);
	memset(o, 0, sizeof *o);
}

json_t *
run_expression_vars(const json_t *state)
{
	json_t *vars = json_object();
	json_t *outputs = json_object_get(state, "node_outputs");
	const char *id;
	json_t *v;
	json_object_foreach(outputs, id, v)
		json_object_set(vars, id, v);
	/* trigger is the payload, whatever a node of that id produced. */
	json_t *trigger = json_object_get(state, "trigger");
	json_object_set(vars, "trigger", trigger ? trigger : json_object());
	json_t *loop = json_object_get(state, "loop");
	if (loop)
		json_object_set(vars, "loop", loop);
	return vars;
}

/* The first 4000 bytes, as the log keeps them, cut before a character
 * that would not fit whole (a cut inside one is not a string). */
static json_t *
clipped(const json_t *v)
{
	const char *s = json_string_value(v);
	if (s == NULL)
		return json_null();
	size_t n = json_string_length(v);
	if (n > 4000) {
		n = 4000;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	json_t *r = json_stringn(s, n);
	return r ? r : json_null();
}

/* The node with config.system_prompt and config.extra_config resolved
 * against the state (pipelit-engine.md 6: a template that fails keeps its
 * text; the errors go to the log).  A node with no template in either is
 * the snapshot's own, shared: kinds only read it.  New reference. */
static json_t *
resolved_node(const json_t *node, const json_t *state, json_t *errors)
{
	static const char *const templated[] = { "system_prompt", "extra_config", NULL };
	const json_t *config = json_object_get(node, "config");
	int any = 0;
	for (int i = 0; templated[i] && json_is_object(config) && !any; i++)
		any = expr_tree_has_template(json_object_get(config, templated[i]));
	if (!any)
		return json_incref((json_t *)node);
	json_t *vars = run_expression_vars(state);
	json_t *copy = json_deep_copy(node);
	json_t *copy_config = json_object_get(copy, "config");
	for (int i = 0; templated[i]; i++) {
		json_t *v = json_object_get(copy_config, templated[i]);
		if (v == NULL || json_is_null(v))
			continue;
		json_t *found = json_array();
		json_t *r = expr_resolve_tree(v, vars, NULL, found);
		if (r)
			json_object_set_new(copy_config, templated[i], r);
		/* The paths start at the field ("$.message"): name it. */
		size_t k;
		json_t *err;
		json_array_foreach(found, k, err) {
			const char *path = json_string_value(json_object_get(err, "path"));
			char *named = xasprintf("%s%s", templated[i], path && path[0] == '$' ? path + 1 : "");
			json_object_set_new(err, "path", json_string(named));
			free(named);
			json_array_append(errors, err);
		}
		json_decref(found);
	}
	json_decref(vars);
	return copy;
}

/* A run that waits on I/O: what its ctx borrows lives here. */
struct node_run {
	const struct node_kind *kind;
	struct node_ctx ctx;
	char *execution_id;
	json_t *node_json, *empty, *state, *resume;
	struct outcome partial;      /* started_ms, log_input */
	int64_t t0;
};

/* Fills *out from how the kind's run ended. */
static void
ended(const struct node_kind *kind, struct node_ctx *ctx, enum step step, struct outcome *out)
{
	if (step == STEP_DONE) {
		out->kind = OUTCOME_DONE;
		out->result = ctx->result ? ctx->result : json_object();
		return;
	}
	json_decref(ctx->result);
	out->kind = OUTCOME_FAILED;
	out->no_retry = ctx->no_retry;
	memcpy(out->error, ctx->error, sizeof out->error);
	memcpy(out->error_code, ctx->error_code, sizeof out->error_code);
	if (out->error[0] == '\0')
		snprintf(out->error, sizeof out->error, "node failed");
	(void)kind;
}

static void
node_run_free(struct node_run *r)
{
	free(r->execution_id);
	json_decref(r->node_json);
	json_decref(r->empty);
	json_decref(r->state);
	json_decref(r->resume);
	outcome_clear(&r->partial);
	free(r);
}

struct node_run *
run_node(const struct run_input *in, struct outcome *out)
{
	memset(out, 0, sizeof *out);
	out->started_ms = time_now_ms();
	int64_t t0 = time_mono_us();
	const struct topo_node *tn = &in->topo->nodes[in->node];
	const struct node_kind *kind = engine_kind_find(tn->component_type, in->test_kinds);
	if (kind == NULL) {
		out->kind = OUTCOME_FAILED;
		out->no_retry = 1;
		snprintf(out->error_code, sizeof out->error_code, "unsupported_node");
		snprintf(out->error, sizeof out->error,
			 "Node type '%s' cannot run here (no such kind, or not runnable yet)",
			 tn->component_type);
		return NULL;
	}
	json_t *errors = json_array();
	json_t *node_json = resolved_node(tn->node, in->state, errors);
	json_t *config = json_object_get(node_json, "config");
	json_t *extra = json_object_get(config, "extra_config");
	json_t *empty = json_object();
	out->log_input = json_pack("{s:o, s:o}",
		"system_prompt", clipped(json_object_get(config, "system_prompt")),
		"input_template", clipped(json_object_get(extra, "input_template")));
	if (json_array_size(errors) > 0)
		json_object_set(out->log_input, "template_errors", errors);
	json_decref(errors);

	/* The ctx lives in the run from the start: a kind that waits keeps
	 * pointers to it (its transfers set ctx->ready). */
	struct node_run *r = xcalloc(1, sizeof *r);
	r->kind = kind;
	r->t0 = t0;
	r->execution_id = xstrdup(in->execution_id);
	r->node_json = node_json;
	r->empty = empty;
	r->state = json_incref((json_t *)in->state);
	r->resume = in->resume ? json_incref((json_t *)in->resume) : NULL;
	r->ctx = (struct node_ctx){
		.execution_id = r->execution_id,
		.node_id = tn->node_id,
		.component_type = tn->component_type,
		.node = node_json,
		.extra_config = json_is_object(extra) ? extra : empty,
		.state = r->state,
		.resume = r->resume,
		.attempt = in->attempt,
		.job_id = in->job_id,
		.services = in->services,
		.snapshot = in->topo->snapshot,
		.workflow_id = in->workflow_id,
		.owner_id = in->owner_id,
		.user_profile_id = in->user_profile_id,
	};
	struct node_ctx *ctx = &r->ctx;
	enum step step = in->resume && kind->resume ? kind->resume(ctx) : kind->run(ctx);
	if (step == STEP_WAITING && (kind->step == NULL || in->services == NULL ||
				     in->services->multi == NULL)) {
		/* A kind that waits needs an engine with an event loop. */
		if (kind->cancel)
			kind->cancel(ctx);
		step = node_fail(ctx, "unsupported_wait", "node kind '%s' waits on I/O, which "
				 "cannot happen here", tn->component_type);
		ctx->no_retry = 1;
	}
	if (step != STEP_WAITING) {
		ended(kind, ctx, step, out);
		out->duration_ms = (time_mono_us() - t0) / 1000;
		node_run_free(r);
		return NULL;
	}
	r->partial = *out;
	memset(out, 0, sizeof *out);
	return r;
}

int
run_node_due(const struct node_run *r, int64_t now_ms)
{
	return r->ctx.ready || (r->ctx.wake_at_ms > 0 && r->ctx.wake_at_ms <= now_ms);
}

int64_t
run_node_wake_at(const struct node_run *r)
{
	return r->ctx.ready ? 1 : r->ctx.wake_at_ms;
}

int
run_node_step(struct node_run *r, struct outcome *out)
{
	r->ctx.ready = 0;
	r->ctx.wake_at_ms = 0;
	enum step step = r->kind->step(&r->ctx);
	if (step == STEP_WAITING)
		return 0;
	*out = r->partial;
	memset(&r->partial, 0, sizeof r->partial);
	ended(r->kind, &r->ctx, step, out);
	out->duration_ms = (time_mono_us() - r->t0) / 1000;
	node_run_free(r);
	return 1;
}

void
run_node_cancel(struct node_run *r)
{
	if (r == NULL)
		return;
	if (r->kind->cancel)
		r->kind->cancel(&r->ctx);
	json_decref(r->ctx.result);
	node_run_free(r);
}

const char *
run_node_id(const struct node_run *r)
{
	return r->ctx.node_id;
}
