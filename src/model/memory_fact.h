/*
 * memory_fact.h: the agent tools over the memory tables
 * (pipelit-engine.md 4.4): recall (memory_read) and remember
 * (memory_write), as the agent node calls them.  Both answer the string
 * the model sees (malloc'd), or NULL with *err (malloc'd) when the
 * database failed (the error class stays on the handle); each runs its
 * own transaction, never inside an open one.
 *
 * Facts are the global ones (scope 'global', no agent or user).  Values
 * are stored as JSON and shown as their text: a string as itself,
 * anything else as compact JSON.
 */
#ifndef PIPELIT_MODEL_MEMORY_FACT_H
#define PIPELIT_MODEL_MEMORY_FACT_H

#include <jansson.h>

struct db;

/*
 * recall(key="", query=""): args {key?, query?}; extra_config
 * {memory_type: facts (default) | episodes | procedures | all, limit (10),
 * min_confidence (0.5)}.
 *  - no key, no query: the global facts as JSON [{key, value, confidence}]
 *    (most confident first), or "Memory is empty — no facts stored."
 *  - key: "<key> = <value>" for an exact match; else the facts whose key
 *    or value looks like it (JSON as above), or "No memory found for key: <key>"
 *  - query: facts whose key or value contains it, case-insensitive, with
 *    spaces, '_' and '-' alike, most confident first (JSON as above); with
 *    memory_type episodes, procedures or all, an object {facts?,
 *    procedures?, episodes?} of what matched; or "No memories found for
 *    query: <query>"
 * Facts recalled count an access (access_count, last_accessed).
 */
char *memory_recall(struct db *db, const json_t *args, const json_t *extra_config, char **err);

/*
 * remember(key, value, fact_type=""): args {key, value, fact_type?};
 * extra_config {fact_type (default world_knowledge; also user_preference,
 * self_knowledge, correction, relationship), overwrite (true)}.  Upserts
 * the global fact and answers "Remembered: <key> = <value> (created|
 * updated|skipped)"; bad arguments answer "Error: ..." (for the model).
 */
char *memory_remember(struct db *db, const json_t *args, const json_t *extra_config,
		      char **err);

#endif
