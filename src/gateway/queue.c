/* queue.c: see queue.h. */
#include "queue.h"

#include <stdlib.h>

#include "db/db.h"
#include "gateway/message.h"
#include "model/gateway.h"
#include "util/config.h"

int
gateway_queue_text(struct db *db, const struct config *cfg, const char *execution_id,
		   const char *credential_id, const char *chat_id, const char *text,
		   int64_t now_ms)
{
	if (cfg->gateway_url == NULL || credential_id == NULL || *credential_id == '\0' ||
	    chat_id == NULL || *chat_id == '\0' || text == NULL)
		return 0;
	if (outbox_add(db, execution_id, credential_id, chat_id, text, now_ms) != 0)
		return DB_FAILED;
	return 1;
}

int
gateway_queue_reply(struct db *db, const struct config *cfg, const char *execution_id,
		    const json_t *trigger, const json_t *final_output, int64_t now_ms)
{
	const char *credential;
	char *chat;
	if (cfg->gateway_url == NULL || !gateway_destination(trigger, &credential, &chat))
		return 0;
	char *text = gateway_reply_text(final_output);
	int rc = gateway_queue_text(db, cfg, execution_id, credential, chat, text, now_ms);
	free(text);
	free(chat);
	return rc;
}

int
gateway_queue_prompt(struct db *db, const struct config *cfg, const char *execution_id,
		     const json_t *trigger, const char *task_id, int64_t now_ms)
{
	const char *credential;
	char *chat;
	if (cfg->gateway_url == NULL || !gateway_destination(trigger, &credential, &chat))
		return 0;
	char *text = gateway_prompt_text(task_id);
	int rc = gateway_queue_text(db, cfg, execution_id, credential, chat, text, now_ms);
	free(text);
	free(chat);
	return rc;
}
