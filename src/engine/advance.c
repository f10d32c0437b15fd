/* advance.c: see advance.h. */
#include "advance.h"

#include <stdlib.h>
#include <string.h>

#include "engine/topology.h"
#include "util/xalloc.h"

void
plan_event(struct plan *p, const char *type, json_t *data)
{
	p->events = xrealloc(p->events, (p->n_events + 1) * sizeof *p->events);
	p->events[p->n_events].type = xstrdup(type);
	p->events[p->n_events].data = data ? data : json_object();
	p->n_events++;
}

void
plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->n_jobs; i++) {
		free(p->jobs[i].node_id);
		free(p->jobs[i].scope);
	}
	for (size_t i = 0; i < p->n_events; i++) {
		free(p->events[i].type);
		json_decref(p->events[i].data);
	}
	free(p->jobs);
	free(p->events);
	memset(p, 0, sizeof *p);
}

void
result_effects_free(struct result_effects *fx)
{
	free(fx->route);
	json_decref(fx->loop_items);
	json_decref(fx->subworkflow);
	json_decref(fx->token_usage);
	memset(fx, 0, sizeof *fx);
}

/* state[key] as an object, created when missing. */
static json_t *
object_at(json_t *parent, const char *key)
{
	json_t *o = json_object_get(parent, key);
	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(parent, key, o);
	}
	return o;
}

static json_t *
engine_part(json_t *state, const char *key)
{
	return object_at(object_at(state, "_engine"), key);
}

/* Keys a _state_patch may not overwrite: the engine's own and the ones
 * with their own merge rules. */
static int
patch_protected(const char *key)
{
	return strcmp(key, "messages") == 0 || strcmp(key, "node_outputs") == 0 ||
	       strcmp(key, "node_results") == 0 || strcmp(key, "_engine") == 0;
}

void
state_apply_result(json_t *state, const char *node_id, const json_t *result,
		   struct result_effects *fx)
{
	memset(fx, 0, sizeof *fx);
	if (!json_is_object(result))
		return;
	json_t *ports = json_object();
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)result, key, v) {
		if (key[0] != '_') {
			json_object_set(ports, key, v);
		} else if (strcmp(key, "_route") == 0 && json_is_string(v)) {
			json_object_set(state, "route", v);
			fx->route = xstrdup(json_string_value(v));
		} else if (strcmp(key, "_messages") == 0 && json_is_array(v)) {
			json_t *messages = json_object_get(state, "messages");
			if (!json_is_array(messages)) {
				messages = json_array();
				json_object_set_new(state, "messages", messages);
			}
			json_array_extend(messages, v);
		} else if (strcmp(key, "_state_patch") == 0 && json_is_object(v)) {
			const char *pk;
			json_t *pv;
			json_object_foreach(v, pk, pv)
				if (!patch_protected(pk))
					json_object_set(state, pk, pv);
		} else if (strcmp(key, "_output") == 0) {
			json_object_set(state, "output", v);
		} else if (strcmp(key, "_delay_seconds") == 0 && json_is_number(v)) {
			double s = json_number_value(v);
			fx->delay_ms = s > 0 ? (int64_t)(s * 1000.0 + 0.5) : 0;
		} else if (strcmp(key, "_loop") == 0 && json_is_object(v)) {
			json_t *items = json_object_get(v, "items");
			fx->loop_items = json_is_array(items) ? json_incref(items) : json_array();
		} else if (strcmp(key, "_subworkflow") == 0 && json_is_object(v)) {
			fx->subworkflow = json_incref(v);
		} else if (strcmp(key, "_token_usage") == 0 && json_is_object(v)) {
			fx->token_usage = json_incref(v);
		}
	}
	json_object_set_new(object_at(state, "node_outputs"), node_id, ports);
}

/* --- loops ------------------------------------------------------------------------ */

static json_t *
loop_record(json_t *state, const char *loop_id)
{
	return loop_id ? json_object_get(engine_part(state, "loops"), loop_id) : NULL;
}

static void iteration_end(const struct topology *t, json_t *state, const char *loop_id,
			  struct plan *plan);

static void
pending_add(const struct topology *t, json_t *state, const char *scope, int delta,
	    struct plan *plan)
{
	json_t *rec = loop_record(state, scope);
	if (rec == NULL)
		return;
	json_int_t pending = json_integer_value(json_object_get(rec, "pending")) + delta;
	json_object_set_new(rec, "pending", json_integer(pending));
	if (pending <= 0)
		iteration_end(t, state, scope, plan);
}

/* The scope a run of target gets when reached from a run in scope: the
 * innermost enclosing loop whose body holds target. */
static const char *
scope_for(const struct topology *t, json_t *state, const char *scope, int target)
{
	while (scope) {
		int l = topology_find(t, scope);
		if (l >= 0 && t->nodes[l].in_body && t->nodes[l].in_body[target])
			return scope;
		json_t *rec = loop_record(state, scope);
		scope = rec ? json_string_value(json_object_get(rec, "scope")) : NULL;
	}
	return NULL;
}

static void
queue_node(const struct topology *t, json_t *state, int node, const char *scope,
	   int64_t delay_ms, struct plan *plan)
{
	plan->jobs = xrealloc(plan->jobs, (plan->n_jobs + 1) * sizeof *plan->jobs);
	struct plan_job *j = &plan->jobs[plan->n_jobs++];
	j->node_id = xstrdup(t->nodes[node].node_id);
	j->delay_ms = delay_ms;
	j->scope = scope ? xstrdup(scope) : NULL;
	plan_event(plan, "node_enqueued", json_pack("{s:s}", "node_id", t->nodes[node].node_id));
	if (scope)
		pending_add(t, state, scope, +1, plan);
}

static void rule_out(const struct topology *t, json_t *state, int node, const char *scope,
		     struct plan *plan);

/* source completed (taken) or was ruled out on its edge into target. */
static void
arrive(const struct topology *t, json_t *state, int target, int source, int taken,
       const char *scope, int64_t delay_ms, struct plan *plan)
{
	const struct topo_node *n = &t->nodes[target];
	if (n->n_barrier > 1) {
		json_t *arrivals = object_at(engine_part(state, "arrivals"), n->node_id);
		json_object_set_new(arrivals, t->nodes[source].node_id, json_boolean(taken));
		int any_taken = 0;
		for (int i = 0; i < n->n_barrier; i++) {
			json_t *a = json_object_get(arrivals, t->nodes[n->barrier[i]].node_id);
			if (a == NULL)
				return;          /* still waiting for this source */
			any_taken |= json_is_true(a);
		}
		json_object_del(engine_part(state, "arrivals"), n->node_id);
		taken = any_taken;
	}
	if (taken)
		queue_node(t, state, target, scope, delay_ms, plan);
	else
		rule_out(t, state, target, scope, plan);
}

/* node will not run in this pass: its successors hear so along every
 * forward edge, so their barriers can complete. */
static void
rule_out(const struct topology *t, json_t *state, int node, const char *scope, struct plan *plan)
{
	const struct topo_node *n = &t->nodes[node];
	for (int k = 0; k < n->n_out; k++) {
		const struct topo_edge *e = &t->edges[n->out[k]];
		if (e->back || e->role == EDGE_LOOP_BODY || e->role == EDGE_LOOP_RETURN)
			continue;
		arrive(t, state, e->target, node, 0, scope_for(t, state, scope, e->target), 0, plan);
	}
}

void
advance_from(const struct topology *t, json_t *state, int from, const char *route,
	     const char *scope, int64_t delay_ms, struct plan *plan)
{
	const struct topo_node *n = &t->nodes[from];
	int conditional = 0, chosen = -1;
	for (int k = 0; k < n->n_out; k++)
		if (t->edges[n->out[k]].role == EDGE_CONDITIONAL) {
			conditional = 1;
			if (chosen < 0 && route &&
			    strcmp(t->edges[n->out[k]].condition_value, route) == 0)
				chosen = n->out[k];
		}
	/* The job's own scope stays open while its successors are queued, so
	 * the iteration cannot end in between. */
	char *own_scope = scope ? xstrdup(scope) : NULL;
	for (int k = 0; k < n->n_out; k++) {
		const struct topo_edge *e = &t->edges[n->out[k]];
		if (e->role == EDGE_LOOP_BODY || e->role == EDGE_LOOP_RETURN)
			continue;
		int taken = conditional ? n->out[k] == chosen : 1;
		const char *ts = scope_for(t, state, own_scope, e->target);
		if (e->back) {
			if (taken)
				queue_node(t, state, e->target, ts, delay_ms, plan);
			continue;
		}
		arrive(t, state, e->target, from, taken, ts, delay_ms, plan);
	}
	pending_add(t, state, own_scope, -1, plan);
	free(own_scope);
}

void
advance_scope_done(const struct topology *t, json_t *state, const char *scope, struct plan *plan)
{
	char *own = scope ? xstrdup(scope) : NULL;
	pending_add(t, state, own, -1, plan);
	free(own);
}

int
advance_loop_continues(const struct topology *t, const char *scope)
{
	int l = scope ? topology_find(t, scope) : -1;
	if (l < 0)
		return 0;
	const json_t *extra = json_object_get(json_object_get(t->nodes[l].node, "config"),
					      "extra_config");
	const char *on_error = json_string_value(json_object_get(extra, "on_error"));
	return on_error && strcmp(on_error, "continue") == 0;
}

/* Forget the body's arrivals, so a barrier inside the body starts empty
 * in the next iteration. */
static void
clear_body_arrivals(const struct topology *t, json_t *state, int loop)
{
	json_t *arrivals = engine_part(state, "arrivals");
	for (size_t i = 0; i < t->n_nodes; i++)
		if (t->nodes[loop].in_body[i])
			json_object_del(arrivals, t->nodes[i].node_id);
}

static void
start_iteration(const struct topology *t, json_t *state, int loop, json_t *rec,
		int64_t delay_ms, struct plan *plan)
{
	json_t *items = json_object_get(rec, "items");
	json_int_t index = json_integer_value(json_object_get(rec, "index"));
	json_object_set_new(state, "loop", json_pack("{s:O, s:I, s:I}",
		"item", json_array_get(items, (size_t)index), "index", index,
		"total", (json_int_t)json_array_size(items)));
	clear_body_arrivals(t, state, loop);
	/* Counted before queuing, so the first body job that completes in
	 * this same plan cannot end the iteration early. */
	json_object_set_new(rec, "pending", json_integer(1));
	for (int b = 0; b < t->nodes[loop].n_body; b++)
		queue_node(t, state, t->nodes[loop].body[b], t->nodes[loop].node_id, delay_ms, plan);
	pending_add(t, state, t->nodes[loop].node_id, -1, plan);
}

/* What one iteration produced: the output of its completion node (the
 * loop_return sources, else the body's first nodes), or its recorded
 * error; several completion nodes give an object keyed by node id. */
static json_t *
iteration_result(const struct topology *t, json_t *state, int loop)
{
	const struct topo_node *l = &t->nodes[loop];
	const int *ends = l->n_returns ? l->returns : l->body;
	int n_ends = l->n_returns ? l->n_returns : l->n_body;
	json_t *outputs = json_object_get(state, "node_outputs");
	json_t *errors = json_object_get(json_object_get(state, "_loop_errors"), l->node_id);
	json_t *by_node = json_object();
	for (int i = 0; i < n_ends; i++) {
		const char *id = t->nodes[ends[i]].node_id;
		json_t *v = json_object_get(errors, id);
		if (v == NULL)
			v = json_object_get(outputs, id);
		json_object_set(by_node, id, v ? v : json_null());
	}
	if (n_ends == 1) {
		json_t *only = json_incref(json_object_get(by_node, t->nodes[ends[0]].node_id));
		json_decref(by_node);
		return only;
	}
	return by_node;
}

static void
iteration_end(const struct topology *t, json_t *state, const char *loop_id, struct plan *plan)
{
	int loop = topology_find(t, loop_id);
	json_t *rec = loop_record(state, loop_id);
	if (loop < 0 || rec == NULL)
		return;
	json_array_append_new(json_object_get(rec, "results"), iteration_result(t, state, loop));
	json_object_del(object_at(state, "_loop_errors"), loop_id);
	json_int_t index = json_integer_value(json_object_get(rec, "index")) + 1;
	if ((size_t)index < json_array_size(json_object_get(rec, "items"))) {
		json_object_set_new(rec, "index", json_integer(index));
		start_iteration(t, state, loop, rec, 0, plan);
		return;
	}
	/* Done: the results become the loop's output, the enclosing loop's
	 * item (if any) comes back, and the loop moves on along its other
	 * edges in the scope it was started in. */
	json_t *out = object_at(object_at(state, "node_outputs"), loop_id);
	json_object_set(out, "results", json_object_get(rec, "results"));
	json_t *outer_item = json_object_get(rec, "outer_loop");
	if (json_is_object(outer_item))
		json_object_set(state, "loop", outer_item);
	else
		json_object_del(state, "loop");
	const char *outer = json_string_value(json_object_get(rec, "scope"));
	char *outer_scope = outer ? xstrdup(outer) : NULL;
	json_object_del(engine_part(state, "loops"), loop_id);
	advance_from(t, state, loop, NULL, outer_scope, 0, plan);
	free(outer_scope);
}

void
advance_loop_start(const struct topology *t, json_t *state, int loop, json_t *items,
		   const char *scope, int64_t delay_ms, struct plan *plan)
{
	const struct topo_node *l = &t->nodes[loop];
	if (json_array_size(items) == 0 || l->n_body == 0) {
		json_object_set_new(object_at(object_at(state, "node_outputs"), l->node_id),
				    "results", json_array());
		advance_from(t, state, loop, NULL, scope, delay_ms, plan);
		return;
	}
	json_t *rec = json_pack("{s:O, s:i, s:[], s:i}", "items", items, "index", 0, "results",
				"pending", 0);
	json_object_set_new(rec, "scope", scope ? json_string(scope) : json_null());
	json_t *outer_item = json_object_get(state, "loop");
	if (outer_item)
		json_object_set(rec, "outer_loop", outer_item);
	json_object_set_new(engine_part(state, "loops"), l->node_id, rec);
	start_iteration(t, state, loop, rec, delay_ms, plan);
}

void
advance_start(const struct topology *t, json_t *state, struct plan *plan)
{
	int *entries = xcalloc(t->n_nodes + 1, sizeof *entries);
	size_t n = topology_entries(t, entries);
	if (n == 0 && t->start >= 0)
		advance_from(t, state, t->start, NULL, NULL, 0, plan);
	for (size_t i = 0; i < n; i++)
		queue_node(t, state, entries[i], NULL, 0, plan);
	free(entries);
}
