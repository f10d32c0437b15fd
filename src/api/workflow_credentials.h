/*
 * workflow_credentials.h: the credentials of a workflow document.
 *
 * An export names a node's credentials by reference, {"name": ...,
 * "credential_type": ...} under "llm_credential" (ai_model nodes) and
 * "credential" (trigger nodes), instead of the row ids llm_credential_id
 * and credential_id.  An import resolves a reference to the one credential
 * of the importing user with that name and type; none or several leave the
 * node's id null and the reference in the answer's unresolved list, never
 * a guess.  A document of format version 1 carries ids: an id is kept only
 * when it is the importing user's own credential, else it is unresolved.
 */
#ifndef PIPELIT_API_WORKFLOW_CREDENTIALS_H
#define PIPELIT_API_WORKFLOW_CREDENTIALS_H

#include <stdint.h>

#include <jansson.h>

struct db;
struct validator;

/* Replaces the credential ids in the configs of nodes (exported NodeOut
 * objects, edited in place) by references.  0, or -1 on a database error. */
int credential_refs_export(struct db *db, json_t *nodes);

/* The problems of the references in the document's nodes (doc_nodes, the
 * document's "nodes" value) as 422 items in v whose loc points into the
 * document: ["body", "nodes", i, "config", "llm_credential", "name"].
 * Leaves v nested nowhere. */
void credential_refs_check(struct validator *v, json_t *doc_nodes);

/*
 * Sets llm_credential_id and credential_id in the configs of plan_nodes
 * (the checked node fields, one per document node) to what the document's
 * references resolve to for user_id, null where they do not resolve; each
 * unresolved reference is appended to unresolved as {"node_id", "field",
 * "name", "credential_type", "credential_id"}.  0, or -1 on a database
 * error.
 */
int credential_refs_resolve(struct db *db, int64_t user_id, json_t *doc_nodes, json_t *plan_nodes,
			    json_t *unresolved);

#endif
