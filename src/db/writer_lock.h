/*
 * writer_lock.h: hands SQLite's write lock from one of our processes to
 * the next without sleeping.
 *
 * SQLite's own write lock has no queue: a process that finds it taken
 * sleeps in the busy handler and tries again, so with several of our
 * processes writing (responders' triggers, executors' claims and
 * completions, 'pipelit run') most of a waiter's time went to sleeping
 * while nobody held the lock.  Our processes therefore take this lock, a
 * process-shared robust mutex in a small file beside the database
 * ("<db>-writer", mode 0600), before BEGIN IMMEDIATE and give it back when
 * the transaction ends: the kernel wakes the next waiter the moment it is
 * released.  Programs that do not know it (the sqlite3 shell, backups)
 * still meet SQLite's lock and our busy handler as before.
 *
 * A process that dies holding it leaves it to the next taker (robust
 * mutex: EOWNERDEAD, made consistent; SQLite's own locks die with the
 * process too).
 */
#ifndef PIPELIT_DB_WRITER_LOCK_H
#define PIPELIT_DB_WRITER_LOCK_H

#include <stdint.h>

struct writer_lock;

/* Opens (creating when missing) the lock of the database at db_path; NULL
 * with errno set when it cannot (writers then meet SQLite's lock only). */
struct writer_lock *writer_lock_open(const char *db_path);
void writer_lock_close(struct writer_lock *w);

enum writer_lock_result {
	WRITER_LOCK_HELD,       /* ours until writer_lock_release */
	WRITER_LOCK_TIMEOUT,    /* another held it for deadline_ms */
	WRITER_LOCK_UNUSABLE,   /* go on without it (SQLite's lock still holds) */
};

/* Waits up to deadline_ms for the lock. */
enum writer_lock_result writer_lock_take(struct writer_lock *w, int64_t deadline_ms);
void writer_lock_release(struct writer_lock *w);

#endif
