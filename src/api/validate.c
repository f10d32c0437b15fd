/*
 * validate.c: POST /api/v1/workflows/{slug}/validate/ (pipelit-api.md 3.4):
 * {"valid": bool, "errors": [...]}, the edge rules of graph/edge_rules.h
 * and the required-model check over the stored graph, each failure a
 * readable message.  Scoped like every workflow route.
 */
#include "api.h"
#include "http/answer.h"
#include "http/request.h"
#include "http/response.h"
#include "model/edge.h"
#include "model/workflow.h"

int
workflows_validate(struct req *r)
{
	struct db *db = req_db_or_answer(r);
	if (db == NULL)
		return 0;
	struct workflow w;
	int rc = workflow_get(db, req_param(r, "slug"), r->user.is_admin ? WF_ANY_OWNER : r->user.id, &w);
	if (rc == WF_NOT_FOUND)
		return resp_error(r, 404, "Workflow not found.");
	if (rc != WF_OK)
		return resp_db_error(r, db, "validate: workflow");
	json_t *errors;
	rc = edge_validate_workflow(db, w.id, &errors);
	workflow_free(&w);
	if (rc != EDGE_OK)
		return resp_db_error(r, db, "validate");
	return resp_json(r, 200, json_pack("{s:b, s:o}", "valid", json_array_size(errors) == 0,
					   "errors", errors));
}
