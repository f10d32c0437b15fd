/*
 * memory_list.h: the four memory tables as the admin API lists and deletes
 * them (pipelit-api.md 3.11): facts, episodes, procedures and memory
 * users, rendered in the spec's shapes (FactOut, EpisodeOut, ProcedureOut,
 * MemoryUserOut; section 2), newest first.  One table-driven lister for
 * the four, so they page, filter and render alike.
 */
#ifndef PIPELIT_MODEL_MEMORY_LIST_H
#define PIPELIT_MODEL_MEMORY_LIST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct db;

enum memory_kind {
	MEMORY_FACTS,        /* filters: scope, fact_type; updated_at DESC */
	MEMORY_EPISODES,     /* filter: agent_id; started_at DESC */
	MEMORY_PROCEDURES,   /* filter: agent_id; created_at DESC */
	MEMORY_USERS,        /* no filter; last_seen_at DESC */
};

/*
 * A page of kind's rows (a new array of its Out objects) with the count
 * before paging in *total.  filter1/filter2 are the kind's filters in the
 * order above (NULL: not filtered).  NULL with DB_FAILED's error on the
 * handle.
 */
json_t *memory_list(struct db *db, enum memory_kind kind, const char *filter1,
		    const char *filter2, int64_t limit, int64_t offset, int64_t *total);

/* Deletes kind's rows with the given ids (unknown ids are skipped), in one
 * write transaction.  0 or DB_FAILED. */
int memory_delete_many(struct db *db, enum memory_kind kind, const char *const *ids, size_t n);

#endif
