/*
 * cstore.h: the conversation store (the "checkpoint store"): agents'
 * threads kept across executions when they have conversation_memory
 * (doc/memory.md).
 *
 * A thread (thread_id, e.g. "<user_profile_id>:<workflow_id>") is a list
 * of messages in canonical form (src/llm/llm.h) and the checkpoints that
 * wrote them: each append is one checkpoint (checkpoint_id, time ordered;
 * parent_checkpoint_id; step and source as the caller gives them) and the
 * messages it added.  A message whose data.id is already in the thread
 * replaces the stored one in place instead of being added again (the
 * agent's system_prompt_fallback message relies on it); a message without
 * an id gets one.  A thread holds at most CHECKPOINT_THREAD_MAX_MESSAGES
 * messages: the oldest go first, in the append's transaction, and a
 * thread never starts with a tool result whose call was trimmed away.
 *
 * Two backends behind this one interface (CHECKPOINTS_STORE):
 *  - file (default): its own SQLite file at CHECKPOINTS_DB_PATH, whatever
 *    DATABASE_URL says.  Opened on first use; created (0600, WAL,
 *    synchronous as the main database) on the first write and never
 *    before: reading or deleting a thread while the file does not exist
 *    answers "empty" and creates nothing.
 *  - database: the same tables in the main database (migration
 *    e7bb1bf0e9a3), for several hosts sharing one PostgreSQL database.
 *
 * Ownership: a struct cstore belongs to one process (or one request) and
 * is never shared across fork().  The main database handle given to
 * cstore_open() is borrowed and must outlive the store.  Every call runs
 * its own transaction: never call one inside an open transaction on the
 * main handle.  Failures return -1 (NULL) with a malloc'd message in *err;
 * cstore_failed_db() then names the handle that failed, for an answer by
 * its error class.
 */
#ifndef PIPELIT_CHECKPOINTS_CSTORE_H
#define PIPELIT_CHECKPOINTS_CSTORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct config;
struct db;
struct cstore;

/* A store for cfg's backend; no I/O yet.  main_db (borrowed) is used only
 * with CHECKPOINTS_STORE=database and may then not be NULL. */
struct cstore *cstore_open(const struct config *cfg, struct db *main_db);
/* Closes the file, if it was opened; NULL is fine. */
void cstore_close(struct cstore *cs);

/* Whether the store is the main database (CHECKPOINTS_STORE=database). */
int cstore_in_database(const struct cstore *cs);

/* The handle the last failure happened on (the file's or the main one),
 * or NULL when the failure was not the database's (the file could not be
 * created, bad input). */
struct db *cstore_failed_db(struct cstore *cs);

/* The thread's messages in order (a new JSON array; empty for an unknown
 * thread): the last limit of them, or all when limit <= 0. */
json_t *cstore_thread_load(struct cstore *cs, const char *thread_id, int limit, char **err);

/*
 * Appends messages (a JSON array of canonical messages; objects with
 * "type" and "data") as one checkpoint with step and source (NULL: none)
 * in one write transaction: dedup by data.id, then the bound.  An empty
 * array writes nothing.  0, or -1 with *err (nothing written).
 */
int cstore_thread_append(struct cstore *cs, const char *thread_id, const json_t *messages,
			 const char *source, int step, char **err);

/*
 * The same append committed without waiting for the disk: visible at once,
 * durable once cstore_sync() returns (the file) or with the main
 * database's next durable commit (CHECKPOINTS_STORE=database; both logs
 * are flushed in order, so one flush covers every commit before it).  An
 * executor appends its agents' turns this way and syncs once per pass,
 * before the pass's completions become durable.
 */
int cstore_thread_append_lazy(struct cstore *cs, const char *thread_id, const json_t *messages,
			      const char *source, int step, char **err);

/* Makes the file's lazy appends durable: one durable commit (one fsync)
 * when there were any since the last call, else nothing.  0, or -1 with
 * *err. */
int cstore_sync(struct cstore *cs, char **err);

/* Deletes the thread's messages and checkpoints.  0 (also when there was
 * nothing), or -1 with *err. */
int cstore_thread_delete(struct cstore *cs, const char *thread_id, char **err);

/*
 * The admin listing (pipelit-api.md 3.11): checkpoints newest first
 * (checkpoint_id DESC), of one thread or of all (thread_id NULL), as a
 * new array of CheckpointOut objects {thread_id, checkpoint_ns,
 * checkpoint_id, parent_checkpoint_id, step, source, blob_size}, and the
 * count before paging in *total.  0, or -1 with *err.
 */
int cstore_checkpoints_list(struct cstore *cs, const char *thread_id, int64_t limit,
			    int64_t offset, json_t **items, int64_t *total, char **err);

/*
 * Deletes the checkpoints of the given threads (and the threads), and the
 * checkpoints with the given ids (and the messages they wrote).  Either
 * list may be empty.  0, or -1 with *err (nothing deleted).
 */
int cstore_delete_many(struct cstore *cs, const char *const *thread_ids, size_t n_threads,
		       const char *const *checkpoint_ids, size_t n_checkpoints, char **err);

/*
 * The thread an agent with conversation_memory keeps its conversation in
 * (pipelit-engine.md 4.2 step 3), from the execution state: in a child
 * execution "exec:<execution_id>:<node_id>"; else
 * "<user_profile_id>:<chat_id>:<workflow_id>" when user_context has a
 * chat_id (or telegram_chat_id), else "<user_profile_id>:<workflow_id>"
 * (the web chat's, which GET /workflows/{slug}/chat/history reads), with
 * "anon" for a missing user.  malloc'd.
 */
char *cstore_agent_thread_id(const json_t *state, int64_t workflow_id, const char *node_id);

#endif
