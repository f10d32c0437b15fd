/* dispatcher.c: see dispatcher.h. */
#include "sched/dispatcher.h"

#include <stdlib.h>

#include <jansson.h>

#include "db/db.h"
#include "events/publish.h"
#include "events/publisher.h"
#include "model/node.h"
#include "model/schedule.h"
#include "util/jsonw.h"
#include "util/log.h"
#include "util/xalloc.h"

#define RETRY_MS 1000

/* node_updated with the node's NodeOut (its schedule_job included), as
 * the node routes publish it. */
static void
publish_node(struct db *db, struct publisher *pub, const struct sched_touched *t)
{
	json_t *node = NULL;
	if (node_get(db, t->workflow_id, t->node_id, &node) != NODE_OK)
		return;
	json_object_del(json_object_get(node, "config"), "input_template");
	char *channel = xasprintf("workflow:%s", t->slug);
	json_t *msg = events_envelope(channel, "node_updated", node);
	publisher_send(pub, channel, jw_dump(msg, NULL));
	json_decref(msg);
	json_decref(node);
	free(channel);
}

int64_t
sched_dispatch(struct db *db, struct publisher *pub, int64_t now_ms)
{
	struct sched_touched_list touched = { 0 };
	int64_t next = -1;
	if (schedule_dispatch_due(db, now_ms, pub ? &touched : NULL, &next) != SCHED_OK) {
		log_warn("schedules: dispatching failed (%s)", db_errmsg(db));
		sched_touched_list_free(&touched);
		return now_ms + RETRY_MS;
	}
	for (size_t i = 0; i < touched.n; i++)
		publish_node(db, pub, &touched.items[i]);
	sched_touched_list_free(&touched);
	return next;
}

void
sched_recover(struct db *db, int64_t now_ms)
{
	if (schedule_recover(db, now_ms) != SCHED_OK)
		log_warn("schedules: applying the missed-run policies failed (%s)", db_errmsg(db));
}

long
sched_wait_ms(long wait_ms, int64_t due_ms, int64_t now_ms)
{
	if (due_ms < 0)
		return wait_ms;
	int64_t until = due_ms - now_ms;
	if (until < 0)
		until = 0;
	return wait_ms >= 0 && wait_ms < until ? wait_ms : (long)(until > 3600000 ? 3600000 : until);
}
