/*
 * tools.h: the tools an agent offers its model, seen from the agent: for a
 * tool node (its component_type and extra_config), the definition the
 * model is shown and how a call of it runs.  Pure: no transfers, no SQL.
 *
 *   calculator, get_datetime   TOOL_PURE: tool_run_pure() answers at once
 *   http_request, web_search   TOOL_HTTP: tool_http_prepare() describes the
 *                              request, the caller sends it (through the
 *                              outbound policy), tool_http_answer() turns
 *                              what came back into the tool's text
 *   memory_read, memory_write  TOOL_MEMORY ("recall", "remember"): only
 *                              their definitions here; the memory model
 *                              runs them
 *
 * Every call's arguments are checked against the tool's parameters
 * (tool_args_check) before it runs; a bad call, like any tool failure, is
 * answered with an "Error: ..." text for the model (pipelit-engine.md 7.3),
 * never a failed node.
 */
#ifndef PIPELIT_NODES_TOOLS_H
#define PIPELIT_NODES_TOOLS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum tool_run {
	TOOL_PURE,
	TOOL_HTTP,
	TOOL_MEMORY,
};

struct tool_info {
	const char *type;       /* component_type: "calculator", "memory_read", ... */
	const char *name;       /* what the model calls: "calculator", "recall", ... */
	enum tool_run run;
};

/* The tool a node of component_type gives an agent, or NULL when that
 * kind is no tool run here (e.g. run_command, spawn_and_await). */
const struct tool_info *tool_find(const char *component_type);

/* {"name", "description", "parameters": JSON schema} as llm_request.tools
 * takes it (new reference), or NULL when tool_find(type) is NULL.  The
 * description may mention the node's config (get_datetime's zone). */
json_t *tool_definition(const char *type, const json_t *extra_config);

/* Checks a call's arguments (NULL counts as {}) against the tool's
 * parameters.  0, or -1 with "Error: invalid arguments for <name>: <where>:
 * <why>" in *err (malloc'd), which is what the model is told. */
int tool_args_check(const char *type, const json_t *args, char **err);

/* --- TOOL_PURE ----------------------------------------------------------------- */

/* Runs calculator or get_datetime: the text the model is given (malloc'd),
 * including "Error: ..." texts for bad arguments or a failed evaluation.
 * NULL with *err (malloc'd) only when type is no pure tool or its config
 * cannot be used (a time zone that does not load): a fault of the node,
 * not of the call. */
char *tool_run_pure(const char *type, const json_t *extra_config, const json_t *args, char **err);
/* The same at a given instant (Unix seconds), for get_datetime's tests. */
char *tool_run_pure_at(const char *type, const json_t *extra_config, const json_t *args,
		       int64_t now, char **err);

/* --- TOOL_HTTP ------------------------------------------------------------------ */

#define TOOL_WEB_SEARCH_TIMEOUT_MS 15000
#define TOOL_WEB_SEARCH_MAX_BYTES (2 * 1024 * 1024)
#define TOOL_WEB_SEARCH_RESULTS 5
#define TOOL_HTTP_ANSWER_CHARS 4000    /* of the body the model sees */

#define TOOL_WEB_SEARCH_UNAVAILABLE "Web search unavailable. Try answering from your knowledge."
#define TOOL_WEB_SEARCH_NONE "No results found."

/* A request to send, everything owned (free with tool_http_request_free). */
struct tool_http_request {
	char method[8];          /* "GET", "POST", ... */
	char *url;               /* http:// or https:// */
	char **headers;          /* n_headers "Name: value" lines */
	size_t n_headers;
	char *body;              /* NULL: none */
	size_t body_len;
	long timeout_ms;         /* the whole request */
	size_t max_bytes;        /* a longer response body fails the call */
};

/* Builds the request of an http_request or web_search call from the node's
 * config and the call's arguments (checked here too).  web_search needs
 * searxng_url, the base URL of the SearXNG credential the caller resolved
 * (its config.url); NULL or "" when there is none.  0, or -1 with the text
 * the model is given in *err (malloc'd): "Error: ..." for a bad call,
 * TOOL_WEB_SEARCH_UNAVAILABLE for a search without a SearXNG instance. */
int tool_http_prepare(const char *type, const json_t *extra_config, const json_t *args,
		      const char *searxng_url, struct tool_http_request *out, char **err);
void tool_http_request_free(struct tool_http_request *r);

/* The tool's text (malloc'd) for what came back: transport_error when the
 * request failed before an answer (refused by the outbound policy, timed
 * out, too large, ...), else the status and the body (any bytes).
 *   http_request: "HTTP <status>\n<body>", the body as UTF-8 (invalid
 *     bytes replaced by U+FFFD) clipped to TOOL_HTTP_ANSWER_CHARS
 *     characters; "Error: <transport_error>".
 *   web_search: the top TOOL_WEB_SEARCH_RESULTS results as
 *     "**title**\ncontent\nURL: url" joined by blank lines, or
 *     TOOL_WEB_SEARCH_NONE; TOOL_WEB_SEARCH_UNAVAILABLE on a transport
 *     error, a status other than 2xx or an answer that is not SearXNG's
 *     JSON. */
char *tool_http_answer(const char *type, long status, const char *body, size_t len,
		       const char *transport_error);

#endif
