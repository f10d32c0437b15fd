/*
 * dispatch.h: the way of one request, from the FastCGI parameters to the
 * handler's response, with every error answered as JSON.
 */
#ifndef PIPELIT_DISPATCH_H
#define PIPELIT_DISPATCH_H

#include <fcgiapp.h>

struct http_ctx;
struct req;

/* Answers one accepted request; never fails (errors become responses). */
void http_dispatch(struct http_ctx *ctx, FCGX_Request *fcgi);

/* What ROUTE_JSON_BODY does before the handler, for a handler that must
 * check something else first (a token of its own): reads and parses the
 * body; 0 when the handler may go on, otherwise the request has been
 * answered (413, or 422 for a missing or malformed body). */
int req_prepare_json_body(struct req *r);

#endif
