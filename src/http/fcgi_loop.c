/* fcgi_loop.c: see fcgi_loop.h. */
#include "fcgi_loop.h"

#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>

#include "http/dispatch.h"
#include "http/request.h"
#include "util/log.h"
#include "util/signals.h"

/* Set from the signal handler; read between requests. */
static volatile sig_atomic_t stop_requested;

static void
on_stop_signal(int sig)
{
	stop_requested = 1;
	FCGX_ShutdownPending();
}

/*
 * ppoll() reports a ready socket without delivering a stop signal that is
 * pending at the same moment, so under steady load the signal would never
 * get in; it is looked for explicitly before each accept.
 */
static int
stop_signal_pending(void)
{
	sigset_t pending;
	if (sigpending(&pending) != 0)
		return 0;
	return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1;
}

/*
 * The connections this responder holds.  A web server that keeps FastCGI
 * connections open (nginx's fastcgi_keep_conn) parks idle ones on
 * whichever responders served them; a responder that waited on one idle
 * connection alone would leave new connections unaccepted in the backlog.
 * So each responder watches all of its kept connections and the listening
 * socket at once, and serves whichever is ready.
 */
#define FCGI_MAX_CONNS 32

struct conn_set {
	int listen_fd;
	FCGX_Request conns[FCGI_MAX_CONNS];
	unsigned next;           /* where the fair scan starts */
};

static void
conn_set_init(struct conn_set *cs, int listen_fd)
{
	cs->listen_fd = listen_fd;
	cs->next = 0;
	for (int i = 0; i < FCGI_MAX_CONNS; i++)
		FCGX_InitRequest(&cs->conns[i], listen_fd, 0);
}

static void
conn_set_close(struct conn_set *cs)
{
	for (int i = 0; i < FCGI_MAX_CONNS; i++)
		FCGX_Free(&cs->conns[i], 1);
}

static int
conn_is_open(const FCGX_Request *c)
{
	return c->ipcFd >= 0;
}

/*
 * Waits until a kept connection carries a request or a new connection
 * waits, with the stop signals let in only during the wait.  Returns the
 * index of the connection slot to accept on, -1 when interrupted (or
 * nothing is ready), -2 on error.
 */
static int
conn_set_wait(struct conn_set *cs, const sigset_t *wait_mask)
{
	struct pollfd fds[FCGI_MAX_CONNS + 1];
	int slot_of[FCGI_MAX_CONNS + 1];
	int n = 0, free_slot = -1;
	for (int i = 0; i < FCGI_MAX_CONNS; i++) {
		int k = (int)((cs->next + (unsigned)i) % FCGI_MAX_CONNS);
		if (conn_is_open(&cs->conns[k])) {
			fds[n] = (struct pollfd){ .fd = cs->conns[k].ipcFd, .events = POLLIN };
			slot_of[n++] = k;
		} else if (free_slot < 0) {
			free_slot = k;
		}
	}
	if (free_slot >= 0) {
		fds[n] = (struct pollfd){ .fd = cs->listen_fd, .events = POLLIN };
		slot_of[n++] = free_slot;
	}
	if (ppoll(fds, (nfds_t)n, NULL, wait_mask) < 0)
		return errno == EINTR ? -1 : -2;
	for (int j = 0; j < n; j++) {
		if (fds[j].revents != 0) {
			cs->next = (unsigned)slot_of[j] + 1;
			return slot_of[j];
		}
	}
	return -1;
}

int
fcgi_serve(int listen_fd, struct http_ctx *ctx, long max_requests)
{
	sigset_t wait_mask;
	stop_requested = 0;
	signals_install_child_stop(on_stop_signal, &wait_mask);
	if (FCGX_Init() != 0) {
		log_error("libfcgi failed to initialise");
		return -1;
	}
	/* Several responders wait on one socket and all wake for a connection
	 * only one of them gets; the others must see EAGAIN, not block. */
	int fl = fcntl(listen_fd, F_GETFL);
	if (fl < 0 || fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		log_error("fd %d is not a usable listening socket: %s", listen_fd, strerror(errno));
		return -1;
	}
	struct conn_set cs;
	conn_set_init(&cs, listen_fd);
	int rc = 0;
	long served = 0;
	while (!stop_requested && (max_requests == 0 || served < max_requests)) {
		int k = conn_set_wait(&cs, &wait_mask);
		if (k == -2) {
			log_error("waiting for connections failed: %s", strerror(errno));
			rc = -1;
			break;
		}
		if (k < 0 || stop_requested)
			continue;
		if (stop_signal_pending()) {
			stop_requested = 1;
			break;
		}
		FCGX_Request *fcgi = &cs.conns[k];
		int a = FCGX_Accept_r(fcgi);
		if (a == -EAGAIN || a == -EWOULDBLOCK || a == -EINTR || a == -ECONNABORTED)
			continue;	/* another responder took it, or the peer left */
		if (a < 0) {
			log_error("accepting a FastCGI connection failed (%d)", a);
			rc = -1;
			break;
		}
		http_dispatch(ctx, fcgi);
		FCGX_Finish_r(fcgi);
		served++;
	}
	conn_set_close(&cs);
	if (rc == 0 && max_requests != 0 && served >= max_requests)
		log_info("served %ld requests; exiting to be replaced", served);
	else if (rc == 0)
		log_info("stop signal received; exiting after %ld requests", served);
	return rc;
}
