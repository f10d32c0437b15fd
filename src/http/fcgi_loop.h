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

#include <poll.h>

struct http_ctx;

/* Descriptors a background hook may add to the loop's wait. */
#define FCGI_BACKGROUND_FDS_MAX 4

/*
 * Work of the owner's that the loop drives between requests, so that none
 * of it holds up the next request (the trigger engine's live events: the
 * loop knows nothing of them).  Before each wait fds() fills up to max
 * descriptors to watch and returns how many (0: nothing under way; an
 * idle responder then waits on its sockets alone), lowering *timeout_ms
 * (-1: no limit) to when the work is due; run() is called after each wait
 * and after each request, and must not block; finish() once, when the
 * loop ends, bounding its own time.
 */
struct fcgi_background {
	int (*fds)(void *arg, struct pollfd *fds, int max, int *timeout_ms);
	void (*run)(void *arg);
	void (*finish)(void *arg);
	void *arg;
};

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
	const struct fcgi_background *background;   /* or NULL */
};

/*
 * Serves until a stop signal, or until max_requests requests have been
 * served (0 = no limit).  Returns 0 on a normal stop or recycle, -1 when
 * the listening socket fails.
 */
int fcgi_serve(int listen_fd, struct http_ctx *ctx, long max_requests,
	       const struct fcgi_watch *watch);

#endif
