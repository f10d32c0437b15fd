/*
 * start_cache.h: a process's memory of the workflows its triggers started.
 *
 * A trigger's first statement finds the workflow, its trigger node and its
 * revision by slug (a round trip of its own on PostgreSQL, and on SQLite a
 * dozen pages re-read under the write lock after another process wrote).
 * The answer only changes with the workflow's revision, which every change
 * of the workflow, its nodes, their configs or its edges moves (migration
 * 9d3f61a0c2b7).  So a trigger may take it from here, and the execution
 * row's INSERT checks the revision: a stale entry makes that INSERT fail
 * (NOT NULL), the trigger's transaction rolls back, and the caller clears
 * the cache and starts again with the lookup (engine/trigger.c).
 *
 * Owned by one engine in one process; not shared.
 */
#ifndef PIPELIT_MODEL_START_CACHE_H
#define PIPELIT_MODEL_START_CACHE_H

struct db;
struct start_cache;

struct start_cache *start_cache_new(void);
void start_cache_free(struct start_cache *c);
/* Forgets every entry (after one was found stale). */
void start_cache_clear(struct start_cache *c);

/* Whether a trigger's transaction that failed with rc, having taken its
 * workflow from cache (from_cache), failed because the entry was stale:
 * the revision check is a NOT NULL constraint.  Then it runs once more,
 * with the lookup. */
int start_cache_was_stale(struct db *db, int rc, int from_cache);

#endif
