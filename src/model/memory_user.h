/*
 * memory_user.h: the people workflows meet (table memory_users), as the
 * identify_user node sees them: found or created by "<channel>:<id>",
 * with their facts and recent episodes.  The only SQL for them is in
 * model/memory_user.c.
 */
#ifndef PIPELIT_MODEL_MEMORY_USER_H
#define PIPELIT_MODEL_MEMORY_USER_H

#include <stdint.h>

#include <jansson.h>

struct db;

/*
 * Finds or creates the memory user "<channel>:<external_id>" and counts a
 * conversation, in its own write transaction, and returns the context
 * (new reference): {user_id, is_new, display_name, preferences, facts
 * (up to 20: key, value, fact_type, confidence), history (up to 5 recent
 * episodes: execution_id, trigger_type, success, started_at),
 * total_conversations, first_seen}.  NULL with *err (malloc'd) on failure.
 */
json_t *memory_user_identify(struct db *db, const char *channel, const char *external_id,
			     const char *display_name, char **err);

#endif
