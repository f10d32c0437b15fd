/*
 * node_schedule.c: /api/v1/workflows/{slug}/nodes/{node_id}/schedule/
 * {start,pause,stop}/ (pipelit-api.md 3.5): a trigger_schedule node's
 * schedule, from its extra_config.  Each answers the node (NodeOut, with
 * its schedule_job) and publishes node_updated on workflow:<slug>.
 */
#include <stdint.h>
#include <stdlib.h>

#include "api.h"
#include "events/publish.h"
#include "http/answer.h"
#include "http/request.h"
#include "http/response.h"
#include "model/node.h"
#include "model/schedule.h"
#include "model/workflow.h"
#include "util/timefmt.h"
#include "util/wake.h"
#include "util/xalloc.h"

enum action { START, PAUSE, STOP };

static int
answer_node(struct req *r, struct db *db, const struct workflow *w, const char *node_id)
{
	json_t *node;
	if (node_get(db, w->id, node_id, &node) != NODE_OK)
		return resp_db_error(r, db, "nodes");
	json_t *data = json_deep_copy(node);
	json_object_del(json_object_get(data, "config"), "input_template");
	char *channel = xasprintf("workflow:%s", w->slug);
	events_publish(r->cfg, channel, "node_updated", data);
	free(channel);
	json_decref(data);
	return resp_json(r, 200, node);
}

static int
control(struct req *r, enum action action)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	struct workflow w;
	int rc = workflow_get(db, req_param(r, "slug"), r->user.is_admin ? WF_ANY_OWNER : r->user.id, &w);
	if (rc == WF_NOT_FOUND)
		return resp_error(r, 404, "Workflow not found.");
	if (rc != WF_OK)
		return resp_db_error(r, db, "nodes");
	const char *node_id = req_param(r, "node_id");
	char status[16] = "";
	char *why = NULL;
	if (action == START)
		rc = schedule_node_start(db, w.id, node_id, r->user.id, time_now_ms(), &why);
	else if (action == PAUSE)
		rc = schedule_node_pause(db, w.id, node_id, status);
	else
		rc = schedule_node_stop(db, w.id, node_id);
	int out;
	switch (rc) {
	case SCHED_OK:
		wake_executors(r->cfg);
		out = answer_node(r, db, &w, node_id);
		break;
	case SCHED_NODE_NOT_FOUND:
		out = resp_error(r, 404, "Node not found.");
		break;
	case SCHED_NOT_SCHEDULE_NODE:
		out = resp_error(r, 400, "Node is not a trigger_schedule.");
		break;
	case SCHED_NOT_FOUND:
		out = resp_error(r, 404, "No scheduled job found for this node.");
		break;
	case SCHED_WRONG_STATE: {
		char *msg = xasprintf("Cannot pause job with status '%s'.", status);
		out = resp_error(r, 400, msg);
		free(msg);
		break;
	}
	case SCHED_BAD_TIMING:
		/* A plain string detail, as Pipelit's. */
		out = resp_error(r, 422, why ? why : "interval_seconds must be >= 1");
		break;
	default:
		out = resp_db_error(r, db, "nodes");
	}
	free(why);
	workflow_free(&w);
	return out;
}

int
nodes_schedule_start(struct req *r)
{
	return control(r, START);
}

int
nodes_schedule_pause(struct req *r)
{
	return control(r, PAUSE);
}

int
nodes_schedule_stop(struct req *r)
{
	return control(r, STOP);
}
