/*
 * dblock.h: "a pool runs on this database", for an SQLite database.
 *
 * The master of 'pipelit serve' holds a shared flock on
 * "<sqlite file>-pool.lock" for its whole life (its children inherit the
 * open file, so the lock outlives a master that dies before them);
 * 'pipelit db restore' takes it exclusively without waiting.  A PostgreSQL
 * database has no lock file: there restore looks for sessions named
 * pipelit instead.  The lock file holds the pid of the last master that
 * took it, for messages.
 */
#ifndef PIPELIT_DBLOCK_H
#define PIPELIT_DBLOCK_H

#include <sys/types.h>

/* The lock file of an SQLite DATABASE_URL (malloc'd), NULL for any other
 * database (PostgreSQL, an in-memory SQLite) or an unparsable URL. */
char *dblock_path(const char *database_url);

/*
 * For the master: takes the shared lock and writes our pid into the file.
 * Returns the open descriptor (kept until exit), -1 when the URL has no
 * lock file, -2 with *err when the lock cannot be taken (a restore holds
 * it, or the file cannot be created).
 */
int dblock_share(const char *database_url, char **err);

/*
 * For restore: takes the lock exclusively without waiting.  Returns the
 * descriptor; -1 when the URL has no lock file; -2 when a pool holds it
 * (*holder is then the pid in the file, 0 if unknown); -3 with *err on
 * any other failure.
 */
int dblock_take(const char *database_url, pid_t *holder, char **err);

/* Closes the descriptor, releasing the lock (no-op for fd < 0). */
void dblock_release(int fd);

#endif
