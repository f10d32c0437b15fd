/* pg_wait.c: see pg_wait.h. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db/db_internal.h"
#include "db/pg_wait.h"
#include "util/timefmt.h"

/* How long the cancel request may take before its child is killed. */
#define CANCEL_WAIT_MS 1000

/* Waits until fd is ready for events or the deadline passes: 1 ready (or
 * an error libpq will report), 0 deadline. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		int timeout = -1;
		if (deadline > 0) {
			int64_t left = deadline - time_mono_ms();
			if (left <= 0)
				return 0;
			timeout = left > INT_MAX ? INT_MAX : (int)left;
		}
		struct pollfd p = { .fd = fd, .events = events };
		int n = poll(&p, 1, timeout);
		if (n > 0 || (n < 0 && errno != EINTR))
			return 1;
	}
}

/*
 * PQcancel opens a new connection to the server and waits for it to hang
 * up, which a stopped server never does; it runs in a child that is
 * killed if it takes longer than CANCEL_WAIT_MS.  A cancel that arrives
 * spares a server that is only slow the rest of the work.
 */
static void
cancel_bounded(PGconn *conn)
{
	PGcancel *c = PQgetCancel(conn);
	if (c == NULL)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		char buf[256];
		PQcancel(c, buf, sizeof(buf));
		_exit(0);
	}
	PQfreeCancel(c);
	if (pid < 0)
		return;
	int64_t until = time_mono_ms() + CANCEL_WAIT_MS;
	for (;;) {
		pid_t r = waitpid(pid, NULL, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR))
			return;
		if (time_mono_ms() > until) {
			kill(pid, SIGKILL);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			return;
		}
		poll(NULL, 0, 10);
	}
}

/* Makes libpq see the connection as broken now, so the next call
 * reconnects instead of reading a stale answer. */
static void
drop_connection(PGconn *conn)
{
	shutdown(PQsocket(conn), SHUT_RDWR);
	PQconsumeInput(conn);
}

static PGresult *
expire(PGconn *conn, PGresult *partial, int *timed_out)
{
	PQclear(partial);
	*timed_out = 1;
	cancel_bounded(conn);
	drop_connection(conn);
	return NULL;
}

/* 0 when everything is sent, -1 when the connection failed, 1 deadline. */
static int
flush_until(PGconn *conn, int64_t deadline)
{
	for (;;) {
		int r = PQflush(conn);
		if (r <= 0)
			return r;
		if (!wait_fd(PQsocket(conn), POLLIN | POLLOUT, deadline))
			return 1;
		if (PQconsumeInput(conn) == 0)
			return -1;
	}
}

PGresult *
pg_wait_result(PGconn *conn, int64_t deadline, int *timed_out)
{
	*timed_out = 0;
	int sent = flush_until(conn, deadline);
	if (sent == 1)
		return expire(conn, NULL, timed_out);
	if (sent < 0)
		return NULL;
	PGresult *last = NULL;
	for (;;) {
		while (PQisBusy(conn)) {
			if (!wait_fd(PQsocket(conn), POLLIN, deadline))
				return expire(conn, last, timed_out);
			if (PQconsumeInput(conn) == 0 && PQstatus(conn) == CONNECTION_BAD)
				return last;
		}
		PGresult *r = PQgetResult(conn);
		if (r == NULL)
			return last;
		/* As PQexec: an error is what the caller hears about. */
		if (last != NULL && PQresultStatus(last) == PGRES_FATAL_ERROR) {
			PQclear(r);
			continue;
		}
		PQclear(last);
		last = r;
	}
}

/* The next result, waiting for it until the deadline: 0 with *out (NULL
 * at the end of a query's results), -1 connection failed, 1 deadline. */
static int
next_result(PGconn *conn, int64_t deadline, PGresult **out)
{
	while (PQisBusy(conn)) {
		if (!wait_fd(PQsocket(conn), POLLIN, deadline))
			return 1;
		if (PQconsumeInput(conn) == 0 && PQstatus(conn) == CONNECTION_BAD)
			return -1;
	}
	*out = PQgetResult(conn);
	return 0;
}

int
pg_wait_pipeline(PGconn *conn, int64_t deadline, int *timed_out, int n, int keep,
		 PGresult **first_error, PGresult **kept)
{
	*timed_out = 0;
	*first_error = *kept = NULL;
	int rc = flush_until(conn, deadline);
	/* Each query's results end with a NULL; the sync's is one result. */
	for (int i = 0; i <= n && rc == 0;) {
		PGresult *r = NULL;
		rc = next_result(conn, deadline, &r);
		if (rc != 0)
			break;
		if (r == NULL) {
			if (i == n) {
				rc = -1;             /* the sync's answer never came */
				break;
			}
			i++;
			continue;
		}
		ExecStatusType st = PQresultStatus(r);
		if (i == n) {
			PQclear(r);
			if (st != PGRES_PIPELINE_SYNC)
				continue;
			return 0;
		}
		if (st == PGRES_FATAL_ERROR && *first_error == NULL) {
			*first_error = r;
		} else if (i == keep && *kept == NULL) {
			*kept = r;
		} else {
			PQclear(r);
		}
	}
	PQclear(*first_error);
	PQclear(*kept);
	*first_error = *kept = NULL;
	if (rc == 1)
		expire(conn, NULL, timed_out);
	return -1;
}
