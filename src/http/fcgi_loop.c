/* fcgi_loop.c: see fcgi_loop.h. */
#include "fcgi_loop.h"

#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/dispatch.h"
#include "http/fcgi_guard.h"
#include "http/request.h"
#include "util/log.h"
#include "util/signals.h"
#include "util/timefmt.h"

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
 * get in; it is looked for explicitly.
 */
static int
stop_signal_pending(void)
{
	sigset_t pending;
	if (sigpending(&pending) != 0)
		return 0;
	return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1;
}

/* How often, at most, the loop looks for a pending stop signal between
 * requests: a system call each time, where a request makes nine. */
#define STOP_LOOK_MS 10

/* stop_signal_pending(), asked when STOP_LOOK_MS have passed since *last
 * (the monotonic clock is read without a system call).  A stop under load
 * is then seen within that time and one request. */
static int
stop_signal_pending_now(long long *last)
{
	long long now = time_mono_ms();
	if (now - *last < STOP_LOOK_MS)
		return 0;
	*last = now;
	return stop_signal_pending();
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

#define WATCH(w, fn) ((w) != NULL && (w)->fn != NULL)

static const struct fcgi_background *
background_of(const struct fcgi_watch *w)
{
	const struct fcgi_background *b = w ? w->background : NULL;
	return b && b->fds && b->run ? b : NULL;
}

/* Adds the background work's descriptors after the n in fds; the new n. */
static int
background_fds(const struct fcgi_watch *w, struct pollfd *fds, int n, int *timeout_ms)
{
	const struct fcgi_background *b = background_of(w);
	if (b == NULL)
		return n;
	int k = b->fds(b->arg, fds + n, FCGI_BACKGROUND_FDS_MAX, timeout_ms);
	return n + (k < 0 ? 0 : k > FCGI_BACKGROUND_FDS_MAX ? FCGI_BACKGROUND_FDS_MAX : k);
}

static void
background_run(const struct fcgi_watch *w)
{
	const struct fcgi_background *b = background_of(w);
	if (b != NULL)
		b->run(b->arg);
}

/*
 * Waits until a kept connection carries a request or a new connection
 * waits (or the background work is due), with the stop signals let in
 * only during the wait.  Returns the index of the connection slot to
 * accept on, -1 when interrupted (or nothing is ready), -2 on error.
 */
static int
conn_set_wait(struct conn_set *cs, const sigset_t *wait_mask, const struct fcgi_watch *w)
{
	struct pollfd fds[FCGI_MAX_CONNS + 1 + FCGI_BACKGROUND_FDS_MAX];
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
	int timeout_ms = -1;
	int all = background_fds(w, fds, n, &timeout_ms);
	struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };
	int rc = ppoll(fds, (nfds_t)all, timeout_ms >= 0 ? &ts : NULL, wait_mask);
	if (all > n)
		background_run(w);
	if (rc < 0)
		return errno == EINTR ? -1 : -2;
	for (int j = 0; j < n; j++) {
		if (fds[j].revents != 0) {
			cs->next = (unsigned)slot_of[j] + 1;
			return slot_of[j];
		}
	}
	return -1;
}

/* How long a new connection may take to send its request's parameters
 * (a web server sends them at once with the connection). */
#define GUARD_WAIT_MS 1000
#define GUARD_RETRY_US 2000

/*
 * 1 when the new connection's first records are a well-formed request
 * start (fcgi_guard.h), looked at without consuming them; libfcgi then
 * reads them itself.
 */
static int
connection_looks_sane(int fd)
{
	unsigned char buf[FCGI_GUARD_MAX_BYTES];
	long long deadline = time_mono_ms() + GUARD_WAIT_MS;
	ssize_t seen = -1;
	short revents = 0;
	for (;;) {
		/* Looked at before any wait: a web server has usually sent the
		 * records by the time the connection is accepted. */
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			return 0;	/* closed or failed before a whole request */
		if (n > 0) {
			enum fcgi_guard g = fcgi_guard_check(buf, (size_t)n);
			if (g != FCGI_GUARD_MORE)
				return g == FCGI_GUARD_OK;
			if (n == seen && (revents & (POLLHUP | POLLERR)))
				return 0;
			/* Peeked data stays readable, so the wait below would not
			 * wait for more: pause a little instead. */
			if (n == seen)
				usleep(GUARD_RETRY_US);
			seen = n;
		}
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - time_mono_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return 0;
		revents = pfd.revents;
	}
}

/*
 * Accepts a connection on the listening socket and hands it to libfcgi
 * for its first request.  The accept is ours, not libfcgi's, so that the
 * connection is counted (a responder that dies on a connection it took
 * was killed by its input, and the crash-loop back-off must not count it)
 * and its first records are checked before libfcgi parses them.  Returns
 * 1 with a request, 0 when there is none (another responder won the race,
 * the peer left, the records were refused), -1 when the socket failed.
 */
static int
accept_new(FCGX_Request *fcgi, int listen_fd, const struct fcgi_watch *w)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
		    errno == ECONNABORTED || errno == EPROTO)
			return 0;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			log_warn("cannot accept a connection: %s", strerror(errno));
			return 0;
		}
		log_error("accepting a FastCGI connection failed: %s", strerror(errno));
		return -1;
	}
	if (WATCH(w, accepted))
		w->accepted(w->arg);
	if (!connection_looks_sane(fd)) {
		log_warn("closed a FastCGI connection whose first records are not a request");
		close(fd);
		return 0;
	}
	FCGX_InitRequest(fcgi, listen_fd, 0);
	fcgi->ipcFd = fd;
	/* FCGX_Accept_r first finishes the "previous" request; a kept
	 * connection is left open by that, so it reads ours. */
	fcgi->keepConnection = 1;
	int a = FCGX_Accept_r(fcgi);
	if (a == 0)
		return 1;
	/* The records were refused and the connection closed; libfcgi then
	 * tried the listening socket, which had nothing more. */
	FCGX_Free(fcgi, 1);
	FCGX_InitRequest(fcgi, listen_fd, 0);
	return 0;
}


/* How long a client told "the pool is stopping" should wait. */
#define DRAIN_RETRY_AFTER "5"

/* Answers without reading further: the pool is going away. */
static void
answer_draining(FCGX_Request *fcgi)
{
	static const char answer[] =
		"Status: 503 Service Unavailable\r\n"
		"Content-Type: application/json\r\n"
		"Retry-After: " DRAIN_RETRY_AFTER "\r\n"
		"Content-Length: 49\r\n"
		"\r\n"
		"{\"detail\":\"The server is restarting; try again\"}\n";
	FCGX_PutStr(answer, (int)sizeof(answer) - 1, fcgi->out);
}

/*
 * The pool is stopping: while requests are in flight on other responders,
 * new ones are answered 503 at once (they would otherwise wait in the
 * backlog for the whole drain and then fail).  Signals stay blocked; the
 * wait is a short poll so the end of the others' requests is noticed.
 */
static void
drain(struct conn_set *cs, const struct fcgi_watch *w)
{
	if (WATCH(w, draining))
		w->draining(w->arg);
	int answered = 0;
	while (WATCH(w, others_busy) && w->others_busy(w->arg) && w->pool_stopping(w->arg)) {
		struct pollfd pfd = { .fd = cs->listen_fd, .events = POLLIN };
		int ready = poll(&pfd, 1, 100);
		background_run(w);
		if (ready <= 0)
			continue;
		FCGX_Request *fcgi = &cs->conns[0];
		FCGX_Free(fcgi, 1);
		if (accept_new(fcgi, cs->listen_fd, NULL) <= 0)
			continue;
		answer_draining(fcgi);
		FCGX_Finish_r(fcgi);
		answered++;
	}
	if (answered > 0)
		log_info("answered %d requests 503 while the pool drained", answered);
}

/*
 * Ends a served request.  When the web server does not keep the
 * connection and has sent all of the request's input (read here to its
 * end: the empty FCGI_STDIN record that ends it is usually in libfcgi's
 * buffer already), nothing more can come on the connection, and it is
 * closed at once.  libfcgi's own close first half-closes it and waits for
 * the server to close its side, in case input was left unread: three more
 * system calls per request, and a wait on the web server before the
 * responder can take the next one.
 */
static void
finish_request(FCGX_Request *fcgi)
{
	if (fcgi->keepConnection || fcgi->in == NULL) {
		FCGX_Finish_r(fcgi);
		return;
	}
	char sink[4096];
	while (FCGX_GetStr(sink, (int)sizeof sink, fcgi->in) > 0)
		;
	if (FCGX_HasSeenEOF(fcgi->in) != EOF || FCGX_GetError(fcgi->in) != 0) {
		FCGX_Finish_r(fcgi);
		return;
	}
	int fd = fcgi->ipcFd;
	fcgi->keepConnection = 1;    /* libfcgi ends the request, leaves the socket */
	FCGX_Finish_r(fcgi);
	if (fcgi->ipcFd == fd && fd >= 0) {
		close(fd);
		fcgi->ipcFd = -1;
	}
}

/* Serves one accepted request, telling the watcher about it. */
static void
serve_one(struct http_ctx *ctx, FCGX_Request *fcgi, const struct fcgi_watch *w)
{
	long long start = time_mono_ms();
	if (WATCH(w, begin)) {
		const char *uri = FCGX_GetParam("REQUEST_URI", fcgi->envp);
		w->begin(w->arg, FCGX_GetParam("REQUEST_METHOD", fcgi->envp),
			 uri ? uri : FCGX_GetParam("DOCUMENT_URI", fcgi->envp));
	}
	http_dispatch(ctx, fcgi);
	finish_request(fcgi);
	if (WATCH(w, end))
		w->end(w->arg, time_mono_ms() - start);
	/* The answer is complete: what the handler left for afterwards
	 * (live events) no longer keeps its caller waiting. */
	http_ctx_after_response(ctx);
	background_run(w);
}

int
fcgi_serve(int listen_fd, struct http_ctx *ctx, long max_requests, const struct fcgi_watch *w)
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
	long long stop_looked_ms = 0;
	while (!stop_requested && (max_requests == 0 || served < max_requests)) {
		int k = conn_set_wait(&cs, &wait_mask, w);
		if (k == -2) {
			log_error("waiting for connections failed: %s", strerror(errno));
			rc = -1;
			break;
		}
		if (k < 0 || stop_requested)
			continue;
		if (stop_signal_pending_now(&stop_looked_ms)) {
			stop_requested = 1;
			break;
		}
		FCGX_Request *fcgi = &cs.conns[k];
		int got;
		if (conn_is_open(fcgi)) {
			/* A kept connection's next request; on a bad one libfcgi
			 * closes it and reports the (empty) listening socket. */
			got = FCGX_Accept_r(fcgi) == 0;
			if (!got) {
				FCGX_Free(fcgi, 1);
				FCGX_InitRequest(fcgi, listen_fd, 0);
			}
		} else {
			got = accept_new(fcgi, listen_fd, w);
		}
		if (got < 0) {
			if (!stop_requested && !stop_signal_pending())
				rc = -1;
			break;
		}
		if (got == 0)
			continue;
		serve_one(ctx, fcgi, w);
		served++;
	}
	if (stop_requested && WATCH(w, pool_stopping) && w->pool_stopping(w->arg))
		drain(&cs, w);
	conn_set_close(&cs);
	/* What the requests left under way, within its own deadline. */
	const struct fcgi_background *b = background_of(w);
	if (b != NULL && b->finish != NULL)
		b->finish(b->arg);
	if (rc == 0 && max_requests != 0 && served >= max_requests)
		log_info("served %ld requests; exiting to be replaced", served);
	else if (rc == 0)
		log_info("stop signal received; exiting after %ld requests", served);
	return rc;
}
