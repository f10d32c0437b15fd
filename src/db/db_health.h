/*
 * db_health.h: is the database there, and can it take writes?  What
 * /health reports and what tells a long-lived handle to start afresh.
 */
#ifndef PIPELIT_DB_HEALTH_H
#define PIPELIT_DB_HEALTH_H

struct db;

enum db_health {
	DB_HEALTHY = 0,
	DB_UNREACHABLE,     /* no answer: server down or hung, file unopenable */
	DB_READ_ONLY,       /* answers, but refuses writes (file, directory or mount
			     * read-only; a PostgreSQL standby) */
};

/* One round trip.  A handle found read-only is also marked to be reopened,
 * so it picks up a store that has become writable again. */
enum db_health db_health_check(struct db *db);

/* "ok", "unreachable", "read-only". */
const char *db_health_name(enum db_health h);

/*
 * True when the handle should be closed and opened again before its next
 * use: SQLite opened the file read-only (a read-only file, directory or
 * mount at the time), or a write met SQLITE_READONLY; a handle keeps that
 * state for its whole life, so only a new one sees the store writable.
 */
int db_needs_reopen(const struct db *db);

#endif
