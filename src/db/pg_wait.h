/*
 * pg_wait.h: waiting for PostgreSQL with a deadline.
 *
 * libpq's blocking calls wait for ever, and a server that is stopped (or a
 * network that drops packets) answers nothing, so its own timeouts cannot
 * help.  Every call the backend makes is sent with libpq's asynchronous
 * functions and awaited here, polling the socket until the deadline.  When
 * it passes, the server is asked to cancel (in a short-lived child, since
 * PQcancel itself blocks on a stopped server) and the connection is
 * dropped: its state is unknown, and the next call reconnects.
 */
#ifndef PIPELIT_PG_WAIT_H
#define PIPELIT_PG_WAIT_H

#include <stdint.h>

#include <libpq-fe.h>

/*
 * Flushes what was sent (PQsendQuery & co. in non-blocking mode) and
 * collects the results until deadline_ms (time_mono_ms() clock; 0 = none).
 * Returns the result as PQexec would (an error wins over other results),
 * or NULL: when the connection failed (PQstatus tells), or when the
 * deadline passed (*timed_out set; the connection is then dropped).
 */
PGresult *pg_wait_result(PGconn *conn, int64_t deadline_ms, int *timed_out);

/*
 * The same for a pipeline (libpq's pipeline mode) that ends with a sync:
 * flushes it and reads the answers of its n queries and the sync's, until
 * deadline_ms.  *first_error gets the first query's result that failed
 * (NULL when none did), *kept the result of query number keep (0-based;
 * NULL when there is none); the caller clears both.  0, or -1 when the
 * connection failed or the deadline passed (*timed_out set; the
 * connection is then dropped).
 */
int pg_wait_pipeline(PGconn *conn, int64_t deadline_ms, int *timed_out, int n, int keep,
		     PGresult **first_error, PGresult **kept);

#endif
