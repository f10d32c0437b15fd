/*
 * search_probe.c: a SearXNG credential checked with the request web_search
 * makes (search_probe.h).
 */
#include <stdlib.h>
#include <string.h>

#include "llm/probe.h"
#include "llm/search_probe.h"
#include "nodes/tools.h"
#include "util/log.h"
#include "util/xalloc.h"

static json_t *
result(int ok, const char *error)
{
	return json_pack("{s:b, s:s, s:n}", "ok", ok, "error", error, "detail");
}

/* Is the body SearXNG's JSON answer to a search? */
static int
is_search_answer(const char *body, size_t len)
{
	json_t *doc = json_loadb(body, len, 0, NULL);
	int ok = json_is_array(json_object_get(doc, "results"));
	json_decref(doc);
	return ok;
}

/* The sentence for an answer that is not a search result. */
static char *
refusal(const struct probe_response *res)
{
	if (res->error != NULL)
		return probe_excerpt(res->error, strlen(res->error), PROBE_ERROR_CHARS, NULL);
	if (res->status == 403)
		/* SearXNG's default settings serve HTML only: the JSON format
		 * web_search needs is refused with a 403. */
		return xstrdup("SearXNG answered HTTP 403: its JSON format is probably off "
			       "(add json to search.formats in its settings.yml)");
	if (res->status < 200 || res->status > 299)
		return xasprintf("SearXNG answered HTTP %ld", res->status);
	return xstrdup("the answer is not a SearXNG search result in JSON (is the URL "
		       "SearXNG's base address?)");
}

json_t *
searxng_probe_test(const char *base_url, const struct probe_limits *lim)
{
	json_t *args = json_pack("{s:s}", "query", SEARCH_PROBE_QUERY);
	struct tool_http_request req;
	char *err = NULL;
	int rc = tool_http_prepare("web_search", NULL, args, base_url, &req, &err);
	json_decref(args);
	if (rc != 0) {
		free(err);
		return result(0, "the credential has no http or https URL (config.url)");
	}
	struct probe_response res;
	probe_get(req.url, req.headers, req.n_headers, lim, &res);
	tool_http_request_free(&req);
	json_t *out;
	if (res.error == NULL && res.status >= 200 && res.status <= 299 &&
	    is_search_answer(res.body, res.len)) {
		out = result(1, "");
	} else {
		char *msg = refusal(&res);
		out = result(0, msg);
		free(msg);
		log_info("SearXNG credential test failed (status %ld)", res.status);
	}
	probe_response_free(&res);
	return out;
}
