/*
 * workflow_document.h: the checks of a workflow document before import.
 *
 * The document's workflow, nodes and edges pass the very checks of the
 * routes that create them (api/fields.h), nested at their place in the
 * document, so an item's loc points into it: ["body", "nodes", 3, "label"].
 * What only a document has is checked here: its format and version, a
 * node_id on every node and no node_id twice, and the edge rules of
 * graph/edge_rules.h against the document's own nodes.  No database is
 * read: the references to rows (credentials, subworkflows) are the
 * models' to check when writing.
 */
#ifndef PIPELIT_API_WORKFLOW_DOCUMENT_H
#define PIPELIT_API_WORKFLOW_DOCUMENT_H

#include <jansson.h>

struct validator;

#define WORKFLOW_DOC_FORMAT "pipelit-workflow"
#define WORKFLOW_DOC_VERSION 2   /* 2: credentials by reference; 1 (ids) still imports */

/* A checked, typed copy of the document's parts. */
struct workflow_plan {
	json_t *workflow;   /* fields for workflow_create */
	json_t *nodes;      /* fields for node_create, one per document node */
	json_t *edges;      /* fields for edge_create, each */
	json_t *doc_nodes;  /* borrowed: the document's nodes, for their credential references */
};

/* 0 with pl filled, or -1 with the 422 items in v (pl is to be freed
 * either way). */
int workflow_document_check(struct validator *v, json_t *doc, struct workflow_plan *pl);

void workflow_plan_free(struct workflow_plan *pl);

#endif
