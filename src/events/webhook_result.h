/*
 * webhook_result.h: the answer a synchronous webhook's caller waits for.
 *
 * When an execution started by a trigger_webhook node in mode "sync"
 * ends, the executor publishes this answer on the nchan channel
 * webhook-result:<execution_id>; nginx's internal long-poll location
 * (conf/nginx.conf.in), to which the webhook route handed the caller,
 * answers it as the response body (doc/webhooks.md):
 *   completed  {"execution_id", "status": "completed", "output"}: output is
 *              the respond_with node's output when the node names one, else
 *              the reply's output when a reply_chat node ran, else the
 *              execution's final_output
 *   failed     {"execution_id", "status": "failed", "error"}
 * Pure: no I/O; the executor sends what it returns.
 */
#ifndef PIPELIT_EVENTS_WEBHOOK_RESULT_H
#define PIPELIT_EVENTS_WEBHOOK_RESULT_H

#include <jansson.h>

#define WEBHOOK_RESULT_CHANNEL_PREFIX "webhook-result:"

/*
 * trigger_node: the execution's trigger node as its snapshot has it
 * (NodeOut; NULL when none); event_type and data: the execution event
 * being published; state: the execution's state.  The answer (JSON text,
 * malloc'd) when the trigger is a synchronous webhook and the event ends
 * the execution (execution_completed, execution_failed); NULL otherwise.
 */
char *webhook_result_message(const json_t *trigger_node, const char *execution_id,
			     const char *event_type, const json_t *data, const json_t *state);

#endif
