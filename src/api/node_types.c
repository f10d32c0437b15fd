/* node_types.c: GET /api/v1/workflows/node-types/, the node-type registry
 * as the editor's palette.  No auth and no database: the answer is the
 * registry's cached text. */
#include "api.h"
#include "graph/node_types.h"
#include "http/response.h"

int
api_node_types(struct req *r)
{
	size_t len;
	const char *text = node_types_json(&len);
	if (text == NULL)
		return resp_error(r, 500, "Node-type registry unavailable");
	return resp_raw(r, 200, text, len);
}
