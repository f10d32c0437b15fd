/*
 * agent_checkpoint.h: an agent node in flight, saved in the main database
 * beside its node job (table agent_checkpoints), so whichever executor on
 * whichever host takes the job over resumes the conversation from the
 * last model answer or tool result instead of repeating it.
 *
 * Rows are keyed (execution_id, node_id, attempt, step); a save keeps only
 * the node's newest row.  They go with their execution (ON DELETE
 * CASCADE).  Each call is its own write transaction: never call one inside
 * an open transaction.  Database failures return DB_FAILED with the error
 * on the handle.
 */
#ifndef PIPELIT_MODEL_AGENT_CHECKPOINT_H
#define PIPELIT_MODEL_AGENT_CHECKPOINT_H

#include <jansson.h>

struct db;

/* Saves the conversation so far (canonical messages, a JSON array) and the
 * loop's own state (a JSON object; NULL: {}) for step of attempt, and
 * drops the node's older rows.  0 or DB_FAILED. */
int agent_checkpoint_save(struct db *db, const char *execution_id, const char *node_id,
			  int attempt, int step, const json_t *messages, const json_t *loop_state);

struct agent_checkpoint {
	int attempt, step;
	json_t *messages;      /* owned: a JSON array */
	json_t *loop_state;    /* owned: a JSON object */
};
void agent_checkpoint_clear(struct agent_checkpoint *c);

/* The newest checkpoint of (execution_id, node_id) across attempts: 1 with
 * *out filled, 0 when there is none, DB_FAILED. */
int agent_checkpoint_load(struct db *db, const char *execution_id, const char *node_id,
			  struct agent_checkpoint *out);

/* Deletes the node's checkpoints (node_id NULL: the execution's).  0 or
 * DB_FAILED. */
int agent_checkpoint_delete(struct db *db, const char *execution_id, const char *node_id);

#endif
