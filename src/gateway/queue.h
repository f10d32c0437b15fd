/*
 * queue.h: the messages an execution sends to the chat it came from,
 * written to the outbox (model/gateway.h) inside the caller's transaction:
 * the engine's completion and interrupt, the inbound commands.  Nothing is
 * queued when GATEWAY_URL is unset or the execution did not come through
 * the gateway (its trigger payload has no credential_id and chat_id).
 */
#ifndef PIPELIT_GATEWAY_QUEUE_H
#define PIPELIT_GATEWAY_QUEUE_H

#include <stdint.h>

#include <jansson.h>

struct config;
struct db;

/* The reply to a completed execution (message.h's text of its final
 * output).  1 queued, 0 nothing to queue, DB_FAILED. */
int gateway_queue_reply(struct db *db, const struct config *cfg, const char *execution_id,
			const json_t *trigger, const json_t *final_output, int64_t now_ms);

/* The prompt of a confirmation the execution waits for.  1, 0, DB_FAILED. */
int gateway_queue_prompt(struct db *db, const struct config *cfg, const char *execution_id,
			 const json_t *trigger, const char *task_id, int64_t now_ms);

/* text to chat_id through credential_id (an acknowledgement of a
 * command).  1, 0 (gateway off, or no destination), DB_FAILED. */
int gateway_queue_text(struct db *db, const struct config *cfg, const char *execution_id,
		       const char *credential_id, const char *chat_id, const char *text,
		       int64_t now_ms);

#endif
