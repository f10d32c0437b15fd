/*
 * db_status.h: the one mapping from a database failure (db.h's struct
 * db_error) to what the client is told.  Every handler's failed query goes
 * through resp_db_error() (answer.h), which uses this; nothing else picks
 * a status for a database error.
 */
#ifndef PIPELIT_HTTP_DB_STATUS_H
#define PIPELIT_HTTP_DB_STATUS_H

struct db_error;

struct db_answer {
	int status;            /* 409, 422, 500, 503, 507 */
	int retry_after;       /* seconds for Retry-After; 0 for none */
	const char *detail;    /* static text for {"detail": ...}; never the
				* backend's message, which names tables */
};

/*
 *   transient  -> 503 + Retry-After (busy, timeout, connection, read-only, overload)
 *   constraint -> 409 (unique, foreign key), 422 (other constraints)
 *   disk full  -> 507 + Retry-After, "disk full"
 *   permanent  -> 500
 */
struct db_answer db_answer_for(const struct db_error *e);

#endif
