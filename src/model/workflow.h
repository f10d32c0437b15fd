/*
 * workflow.h: workflows (table workflows) with the counts of their nodes,
 * edges and trigger nodes.  The only SQL for them lives in model/workflow.c.
 *
 * Scope: "owner" is the user whose rows a call may touch, or WF_ANY_OWNER
 * (admins).  Rows of other users behave as missing.
 *
 * Slugs (a deliberate difference from Pipelit):
 *  - a slug is lowercase ASCII letters and digits in runs joined by single
 *    hyphens: ^[a-z0-9]+(?:-[a-z0-9]+)*$, at most 255 characters;
 *  - when a create gives none, it is derived from the name: letters are
 *    lowercased, every other character becomes a hyphen, runs of hyphens
 *    become one, hyphens at either end go, the result is cut to 255; a name
 *    with nothing usable gives "workflow".  A derived slug that is taken gets
 *    a suffix -2, -3, ...: one above the highest taken (the base shortened
 *    so it still fits);
 *  - a slug given explicitly (create or update) that another workflow has is
 *    refused (WF_SLUG_TAKEN, a 409), never silently changed.
 */
#ifndef PIPELIT_MODEL_WORKFLOW_H
#define PIPELIT_MODEL_WORKFLOW_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "db/db.h"

struct answer_cache;
struct db;
struct exec_cancelled_list;
struct jw;

#define WF_ANY_OWNER 0
#define WF_NAME_MAX 255
#define WF_SLUG_MAX 255

enum wf_result {
	WF_OK = 0,
	WF_NOT_FOUND = 1,
	WF_SLUG_TAKEN = 2,
	WF_BAD_REFERENCE = 3,    /* error_handler_workflow_id names no workflow of the owner */
	WF_DB_ERROR = DB_FAILED,
};

struct workflow {
	int64_t id;
	int64_t owner_id;
	char *name;
	char *slug;
	char *description;
	int is_active, is_public, is_default;
	json_t *tags;                  /* owned; NULL for SQL NULL */
	int64_t error_handler_workflow_id;   /* 0 for null */
	int64_t max_execution_seconds;
	json_t *input_schema;          /* owned; NULL for SQL NULL */
	json_t *output_schema;
	json_t *budget;                /* owned; NULL: no limits (model/budget.h) */
	int64_t today_tokens, today_usd_micros;   /* LLM usage today (UTC) */
	int64_t node_count, edge_count, trigger_count;
	char created_at[32];           /* storage format */
	char updated_at[32];
};

void workflow_free(struct workflow *w);

/* 1 when s is a well-formed slug (the pattern above, 1..255 characters). */
int workflow_slug_valid(const char *s);

/* The slug derived from name (rules above); malloc'd. */
char *workflow_slug_from_name(const char *name);

/* One workflow by slug, with its counts. */
int workflow_get(struct db *db, const char *slug, int64_t owner, struct workflow *out);

/* The list's answer, {"items": [WorkflowOut...], "total": n}, written to
 * w: a page ordered by id, and the count of all in scope (kept by the
 * database, so neither depends on the table's size).  One read
 * transaction.  On error w holds a partial text the caller discards. */
int workflow_list_write(struct db *db, int64_t owner, int64_t limit, int64_t offset, struct jw *w);

/* WorkflowOut of slug written to w; with_graph adds "nodes" and "edges"
 * (the detail), all read in one read transaction so they agree.  A detail
 * is served from cache when it holds one for the workflow's current
 * revision, and kept there otherwise (cache may be NULL). */
int workflow_write(struct db *db, const char *slug, int64_t owner, int with_graph,
		   struct answer_cache *cache, struct jw *w);

/*
 * Creates a workflow owned by owner in one transaction.  fields is an
 * object of validated column values keyed by the API's names (name
 * required; slug, description, is_active, is_public, is_default, tags,
 * error_handler_workflow_id, max_execution_seconds, input_schema,
 * output_schema, budget optional, JSON null meaning SQL NULL).  Without a slug one
 * is derived and made unique.  *slug_out is the new slug (malloc'd).
 * Joins the caller's write transaction when one is open (then commits
 * nothing; a failure rolls the whole transaction back), else runs its own.
 */
int workflow_create(struct db *db, int64_t owner, json_t *fields, char **slug_out);

/* Sets the keys present in fields (as for create; none required) in one
 * transaction.  *slug_out is the slug after the update (malloc'd). */
int workflow_update(struct db *db, const char *slug, int64_t owner, json_t *fields,
		    char **slug_out);

/* Deletes a workflow with its nodes, their component configs, its edges and
 * executions, in one transaction.  Its executions in flight are cancelled
 * first (model/execution.h), each appended to cancelled: the caller
 * publishes their execution_cancelled events after the commit, and the
 * executors running them find their jobs gone. */
int workflow_delete(struct db *db, const char *slug, int64_t owner,
		    struct exec_cancelled_list *cancelled);

/* Deletes those of slugs that are in scope, in one transaction (executions
 * in flight as for workflow_delete). */
int workflow_delete_many(struct db *db, const char *const *slugs, size_t n, int64_t owner,
			 struct exec_cancelled_list *cancelled);

/* The detail's graph: the workflow's nodes and edges as NodeOut / EdgeOut
 * arrays (new references), in id order. */
int workflow_graph(struct db *db, int64_t workflow_id, json_t **nodes, json_t **edges);

#endif
