/*
 * wake.h: the local wake-up of executors (SQLite has no LISTEN/NOTIFY).
 *
 * Whoever queues work for executors (a trigger, a confirmation, a cancel)
 * calls wake_executors() after its commit.  Executors on this host wait on
 * a FIFO beside the database file; a write of one byte wakes them.  Nothing
 * is lost when no executor runs: the work is in the database, and an
 * executor that starts claims everything due.  On PostgreSQL the model
 * also sends a NOTIFY in the transaction, which reaches other hosts.
 */
#ifndef PIPELIT_UTIL_WAKE_H
#define PIPELIT_UTIL_WAKE_H

struct config;

/* The FIFO's path (malloc'd): beside the SQLite database, <file>-wake, so
 * every process using that database on this host finds it; NULL for
 * PostgreSQL (NOTIFY does the job) and in-memory databases. */
char *wake_path(const struct config *cfg);

/* Wakes this host's executors; never blocks, never fails the caller. */
void wake_executors(const struct config *cfg);

/* For executors: opens (creating it 0600 when missing) the FIFO for
 * reading, non-blocking; the descriptor, or -1 (logged). */
int wake_open_reader(const struct config *cfg);

/* Empties the FIFO after a wake-up; the number of wake-ups read. */
int wake_drain(int fd);

#endif
