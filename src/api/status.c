/* status.c: GET /status, the pool's status page (php-fpm's): JSON, or
 * plain text with ?format=text or Accept: text/plain.  Admins only, or
 * anyone on the machine itself (loopback), which is where an operator's
 * curl and 'pipelit status' run. */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "http/auth.h"
#include "http/request.h"
#include "http/response.h"
#include "pool/status.h"

static int
client_on_loopback(struct req *r)
{
	const char *addr = FCGX_GetParam("REMOTE_ADDR", r->fcgi->envp);
	return addr != NULL && (strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0);
}

static int
wants_text(struct req *r)
{
	const char *format = req_query(r, "format");
	if (format != NULL)
		return strcmp(format, "text") == 0;
	const char *accept = FCGX_GetParam("HTTP_ACCEPT", r->fcgi->envp);
	return accept != NULL && strstr(accept, "text/plain") != NULL &&
	       strstr(accept, "application/json") == NULL;
}

int
api_status(struct req *r)
{
	if (!client_on_loopback(r) && auth_require(r, AUTH_ADMIN) != 0)
		return 0;
	const char *format = req_query(r, "format");
	if (format != NULL && strcmp(format, "text") != 0 && strcmp(format, "json") != 0)
		return resp_error(r, 422, "format must be json or text");
	if (r->ctx->scoreboard == NULL)
		return resp_error(r, 404, "No pool status: this process is not part of a pool");
	if (wants_text(r)) {
		char *text = pool_status_text(r->ctx->scoreboard);
		int rc = resp_text(r, 200, text, strlen(text));
		free(text);
		return rc;
	}
	return resp_json(r, 200, pool_status_json(r->ctx->scoreboard));
}
