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

/* Set from the signal handler; read between requests. */
static volatile sig_atomic_t stop_requested;

static void
on_stop_signal(int sig)
{
	stop_requested = 1;
	FCGX_ShutdownPending();
}

/*
 * Installs the stop handlers without SA_RESTART and blocks the stop
 * signals; wait_mask receives the mask to wait with, which lets them in.
 */
static void
install_stop_signals(sigset_t *wait_mask)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	/* A web server that hangs up mid-response must not kill us; a SIGHUP
	 * meant for the master's terminal neither. */
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_BLOCK, &stop, wait_mask);
	sigdelset(wait_mask, SIGTERM);
	sigdelset(wait_mask, SIGINT);
}

/*
 * Waits until fd is readable with the stop signals let in, so a signal
 * arriving at any moment either ends the wait or is seen before it starts.
 * Returns 1 when readable, 0 when interrupted, -1 on error.
 */
static int
wait_readable(int fd, const sigset_t *wait_mask)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int rc = ppoll(&p, 1, NULL, wait_mask);
	if (rc < 0)
		return errno == EINTR ? 0 : -1;
	return 1;
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

int
fcgi_serve(int listen_fd, struct http_ctx *ctx, long max_requests)
{
	sigset_t wait_mask;
	stop_requested = 0;
	install_stop_signals(&wait_mask);
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
	FCGX_Request fcgi;
	FCGX_InitRequest(&fcgi, listen_fd, 0);
	int rc = 0;
	long served = 0;
	while (!stop_requested && (max_requests == 0 || served < max_requests)) {
		/* A kept-alive web server connection carries the next request. */
		int fd = fcgi.ipcFd >= 0 ? fcgi.ipcFd : listen_fd;
		int ready = wait_readable(fd, &wait_mask);
		if (ready < 0) {
			log_error("waiting for connections failed: %s", strerror(errno));
			rc = -1;
			break;
		}
		if (ready == 0 || stop_requested)
			continue;
		if (stop_signal_pending()) {
			stop_requested = 1;
			break;
		}
		int a = FCGX_Accept_r(&fcgi);
		if (a == -EAGAIN || a == -EWOULDBLOCK || a == -EINTR || a == -ECONNABORTED)
			continue;	/* another responder took it, or the peer left */
		if (a < 0) {
			log_error("accepting a FastCGI connection failed (%d)", a);
			rc = -1;
			break;
		}
		http_dispatch(ctx, &fcgi);
		FCGX_Finish_r(&fcgi);
		served++;
	}
	FCGX_Free(&fcgi, 1);
	if (rc == 0 && max_requests != 0 && served >= max_requests)
		log_info("served %ld requests; exiting to be replaced", served);
	else if (rc == 0)
		log_info("stop signal received; exiting after %ld requests", served);
	return rc;
}
