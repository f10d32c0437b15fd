/* execution_events.c: see execution_events.h. */
#include "execution_events.h"

#include <jansson.h>

#include "events/publish.h"
#include "model/execution.h"
#include "util/wake.h"

void
execution_event_cancelled(const struct config *cfg, const char *slug, const char *execution_id,
			  int64_t seq)
{
	json_t *data = json_pack("{s:s}", "execution_id", execution_id);
	events_publish_execution(cfg, slug, execution_id, seq, "execution_cancelled", data);
	json_decref(data);
}

void
execution_events_cancelled(const struct config *cfg, const struct exec_cancelled_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		execution_event_cancelled(cfg, l->items[i].slug, l->items[i].execution_id,
					  l->items[i].event_seq);
	if (l->n > 0)
		wake_executors(cfg);
}
