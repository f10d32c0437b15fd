/*
 * fuzz_request.c: a request as the FastCGI parameters give it
 * (http/request.c req_init, the route table, path parameters, the query).
 * The input is the parameter list, one NAME=VALUE per line, as libfcgi
 * hands it over (nginx or any other client on the socket chooses them).
 */
#include "fuzz_util.h"

#include <fcgiapp.h>

#include "api/api.h"
#include "http/request.h"
#include "http/router.h"
#include "util/config.h"

#define MAX_PARAMS 32

static struct config cfg;
static struct router routes;
static struct http_ctx ctx;

static void
setup_once(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	cfg.max_body_bytes = 1 << 20;
	cfg.max_nodes_per_workflow = 5000;
	cfg.max_edges_per_workflow = 20000;
	cfg.max_node_config_bytes = 1 << 18;
	cfg.max_import_bytes = 1 << 20;
	cfg.test_routes = 1;
	api_router_init(&routes, &cfg);
	http_ctx_init(&ctx, &cfg, &routes);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup_once();
	char *text = fuzz_cstring(data, size);
	char *envp[MAX_PARAMS + 1];
	int n = 0;
	for (char *line = text; line != NULL && n < MAX_PARAMS;) {
		char *next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (strchr(line, '=') != NULL)
			envp[n++] = line;
		line = next;
	}
	envp[n] = NULL;
	FCGX_Request fcgi;
	memset(&fcgi, 0, sizeof(fcgi));
	fcgi.envp = envp;
	fcgi.ipcFd = -1;
	struct req *r = malloc(sizeof(*r));
	if (req_init(r, &ctx, &fcgi) == 0) {
		struct route_match m;
		if (router_match(&ctx.router, r->method, r->path, r->path_len, &m) == ROUTE_MATCH) {
			req_set_route(r, &m);
			(void)req_param(r, "slug");
			(void)req_param(r, "node_id");
		}
		char other[REQ_PATH_MAX + 1];
		(void)router_toggle_slash(r->path, r->path_len, other, sizeof(other));
		if (req_parse_query(r) == 0) {
			(void)req_query(r, "limit");
			(void)req_query(r, "offset");
		}
	}
	req_cleanup(r);
	free(r);
	free(text);
	return 0;
}
