/*
 * tool_config.h: the rules of the tool nodes' configurations (their
 * extra_config), checked when a node is saved and again when the agent
 * builds a call from them (nodes/tools.h), so one set of rules holds for
 * both.
 *
 * get_datetime: timezone is an IANA name the zone code can load (or "",
 * read as UTC).  http_request: the declared fields (method, headers,
 * timeout, max_response_bytes), and headers as at most
 * TOOL_HTTP_HEADERS_MAX pairs of an HTTP token name and a value without
 * control characters; the headers the transport owns (Host,
 * Content-Length, Transfer-Encoding, Connection and the other hop-by-hop
 * ones) are refused, as they would contradict the request that is sent.
 */
#ifndef PIPELIT_GRAPH_TOOL_CONFIG_H
#define PIPELIT_GRAPH_TOOL_CONFIG_H

#include <jansson.h>
#include <stdbool.h>

#include "graph/node_types.h"

/* The methods http_request sends, as a CHOICES() list. */
#define TOOL_HTTP_METHODS "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"

#define TOOL_HTTP_HEADERS_MAX 50
#define TOOL_HTTP_HEADER_NAME_MAX 100
#define TOOL_HTTP_HEADER_VALUE_MAX 4096

/* Whether method is one of TOOL_HTTP_METHODS (exact, upper case). */
bool tool_http_method_valid(const char *method);

/* Whether name: value may be sent as a configured header; *why (static
 * text) says why not. */
bool tool_http_header_valid(const char *name, const char *value, const char **why);

/* The registry's checks (struct node_type.check_config): 0, or -1 with
 * *out set to the field and a readable message. */
int tool_config_check_datetime(const json_t *extra_config, struct config_problem *out);
int tool_config_check_http(const json_t *extra_config, struct config_problem *out);

#endif
