/*
 * fields.h: the one check of each resource's request fields, shared by the
 * routes that create and update it and by workflow import, so a value one
 * of them refuses is refused by all (body_check_fn of http/answer.h).
 * Each returns the clean fields (a new reference) or NULL with the 422
 * items in v; creating says whether required fields must be there.  A
 * document's parts are checked with v nested (v_nest) at their place in
 * it, so the items point into the document.
 */
#ifndef PIPELIT_API_FIELDS_H
#define PIPELIT_API_FIELDS_H

#include <jansson.h>

struct validator;

/* WorkflowIn (workflows.c). */
json_t *workflow_fields_check(struct validator *v, json_t *body, int creating);
/* NodeIn and NodeUpdate with their ComponentConfigData (nodes.c). */
json_t *node_fields_check(struct validator *v, json_t *body, int creating);
/* EdgeIn (edges.c); the rules between an edge and its nodes are
 * graph/edge_rules.h's. */
json_t *edge_fields_check(struct validator *v, json_t *body, int creating);

#endif
