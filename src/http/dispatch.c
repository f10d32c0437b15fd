/* dispatch.c: see dispatch.h. */
#include "dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/auth.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "util/config.h"
#include "util/log.h"
#include "util/xalloc.h"

static int
answer_wrong_slash(struct req *r)
{
	char other[REQ_PATH_MAX + 1];
	int n = router_toggle_slash(r->path, r->path_len, other, sizeof(other));
	if (n < 0)
		return resp_error(r, 404, "Not Found");
	char *location = *r->query_string ? xasprintf("%s?%s", other, r->query_string) :
					    xstrdup(other);
	int rc = resp_redirect(r, 307, location);
	free(location);
	return rc;
}

/* A 414 whose detail names the limits: a request target is refused whole,
 * never cut, since a dropped query parameter could skip a check. */
static void
answer_uri_too_long(struct req *r, int too_many_items)
{
	char msg[160];
	if (too_many_items)
		snprintf(msg, sizeof(msg), "Too many query parameters: at most %d",
			 REQ_QUERY_MAX_ITEMS);
	else
		snprintf(msg, sizeof(msg), "URI Too Long: the path may have at most %d bytes "
			 "and the query string at most %d", REQ_PATH_MAX - 1, REQ_QUERY_MAX_BYTES);
	resp_error(r, 414, msg);
}

static int
answer_cors_preflight(struct req *r)
{
	resp_add_header(r, "Access-Control-Allow-Methods",
			"GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD");
	const char *asked = FCGX_GetParam("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", r->fcgi->envp);
	resp_add_header(r, "Access-Control-Allow-Headers", asked && *asked ? asked : "*");
	resp_add_header(r, "Access-Control-Max-Age", "600");
	return resp_empty(r, 204);
}

static int
is_cors_preflight(const struct req *r)
{
	return r->cfg->cors_allow_all_origins && strcmp(r->method, "OPTIONS") == 0 &&
	       FCGX_GetParam("HTTP_ACCESS_CONTROL_REQUEST_METHOD", r->fcgi->envp) != NULL;
}

/* FastAPI's shape for a body that is not JSON (pipelit-api.md 1.4). */
static int
answer_json_invalid(struct req *r)
{
	json_t *item = json_pack("{s:s, s:[s, I], s:s, s:{}, s:{s:s}}", "type", "json_invalid",
				 "loc", "body", (json_int_t)r->json_error.position, "msg",
				 "JSON decode error", "input", "ctx", "error", r->json_error.text);
	return resp_validation(r, json_pack("[o]", item));
}

static int
answer_body_missing(struct req *r)
{
	json_t *item = json_pack("{s:s, s:[s], s:s, s:n}", "type", "missing", "loc", "body",
				 "msg", "Field required", "input");
	return resp_validation(r, json_pack("[o]", item));
}

/* Reads and parses the body of a route that takes JSON; 0 when the handler
 * may run, otherwise the request has been answered. */
int
req_prepare_json_body(struct req *r)
{
	int status = req_read_body(r);
	if (status == 413)
		return resp_error(r, 413, "Request body too large"), -1;
	if (status != 0)
		return resp_error(r, status, http_reason(status)), -1;
	if (r->body_len == 0) {
		if (r->route->flags & ROUTE_OPTIONAL_BODY)
			return 0;
		return answer_body_missing(r), -1;
	}
	if (req_json(r) == NULL)
		return answer_json_invalid(r), -1;
	return 0;
}

static void
run_handler(struct req *r)
{
	const struct route *route = r->route;
	if (route->auth != AUTH_NONE && auth_require(r, route->auth) != 0)
		return;
	if ((route->flags & ROUTE_JSON_BODY) && req_prepare_json_body(r) != 0)
		return;
	int rc = route->handler(r);
	if (!r->responded) {
		log_error("%s %s: handler failed (%d) without answering", r->method, r->path, rc);
		resp_error(r, 500, "Internal Server Error");
	}
}

static void
route_request(struct req *r)
{
	struct route_match m;
	switch (router_match(&r->ctx->router, r->method, r->path, r->path_len, &m)) {
	case ROUTE_MATCH:
		req_set_route(r, &m);
		run_handler(r);
		return;
	case ROUTE_WRONG_METHOD:
		resp_add_header(r, "Allow", m.allow);
		resp_error(r, 405, "Method Not Allowed");
		return;
	case ROUTE_WRONG_SLASH:
		answer_wrong_slash(r);
		return;
	case ROUTE_NOT_FOUND:
		resp_error(r, 404, "Not Found");
		return;
	}
}

void
http_dispatch(struct http_ctx *ctx, FCGX_Request *fcgi)
{
	struct req r;
	int status = req_init(&r, ctx, fcgi);
	log_set_request(r.request_id);
	resp_add_header(&r, "X-Request-Id", r.request_id);
	if (ctx->cfg->cors_allow_all_origins)
		resp_add_header(&r, "Access-Control-Allow-Origin", "*");
	if (status == 414)
		answer_uri_too_long(&r, 0);
	else if (status != 0)
		resp_error(&r, status, http_reason(status));
	else if (req_parse_query(&r) != 0)
		answer_uri_too_long(&r, 1);
	else if (is_cors_preflight(&r))
		answer_cors_preflight(&r);
	else if (r.content_length > ctx->cfg->max_body_bytes)
		resp_error(&r, 413, "Request body too large");
	else
		route_request(&r);
	log_debug("%s %s -> %d", r.method, r.path, r.status);
	req_cleanup(&r);
	log_set_request(NULL);
	ctx->requests++;
}
