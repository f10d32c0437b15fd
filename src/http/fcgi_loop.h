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
 * What the loop tells its owner (the pool's scoreboard) and asks it.  Any
 * callback may be NULL; the whole struct may be NULL (pipelit fcgi).
 */
struct fcgi_watch {
	void (*accepted)(void *arg);
	void (*begin)(void *arg, const char *method, const char *uri);
	void (*end)(void *arg, long long elapsed_ms);
	/* Asked after a stop signal: 1 when the whole pool is stopping, so
	 * this responder keeps answering new requests 503 (with Retry-After)
	 * while others_busy() says requests are still in flight elsewhere. */
	int (*pool_stopping)(void *arg);
	int (*others_busy)(void *arg);
	void (*draining)(void *arg);
	void *arg;
};

/*
 * Serves until a stop signal, or until max_requests requests have been
 * served (0 = no limit).  Returns 0 on a normal stop or recycle, -1 when
 * the listening socket fails.
 */
int fcgi_serve(int listen_fd, struct http_ctx *ctx, long max_requests,
	       const struct fcgi_watch *watch);

#endif
