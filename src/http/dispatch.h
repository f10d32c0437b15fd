/*
 * dispatch.h: the way of one request, from the FastCGI parameters to the
 * handler's response, with every error answered as JSON.
 */
#ifndef PIPELIT_DISPATCH_H
#define PIPELIT_DISPATCH_H

#include <fcgiapp.h>

struct http_ctx;

/* Answers one accepted request; never fails (errors become responses). */
void http_dispatch(struct http_ctx *ctx, FCGX_Request *fcgi);

#endif
