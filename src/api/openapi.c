/* openapi.c: GET /api/v1/openapi.json (see openapi.h). */
#include "api.h"
#include "http/response.h"
#include "openapi.h"

int
api_openapi(struct req *r)
{
	return resp_raw(r, 200, openapi_json, openapi_json_len);
}
