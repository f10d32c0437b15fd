/*
 * fcgi_loop.h: a responder's accept loop.
 *
 * Serves FastCGI requests on a listening socket shared with the other
 * responders.  SIGTERM and SIGINT stop it gracefully: they are blocked
 * while a request is handled and only delivered while the loop waits for
 * the next connection, so an in-flight request always completes with its
 * full response.
 */
#ifndef PIPELIT_FCGI_LOOP_H
#define PIPELIT_FCGI_LOOP_H

struct http_ctx;

/*
 * Serves until a stop signal, or until max_requests requests have been
 * served (0 = no limit).  Returns 0 on a normal stop or recycle, -1 when
 * the listening socket fails.
 */
int fcgi_serve(int listen_fd, struct http_ctx *ctx, long max_requests);

#endif
