/*
 * commit_group.h: group commit of SQLite's write-ahead log across processes.
 *
 * Every connection commits at synchronous=NORMAL (its frames are written
 * to the log, not synced); a commit that must be durable before its caller
 * answers then waits here until a sync of the log that began after its
 * frames were written has finished.  One process syncs on behalf of all
 * that wait (leader and followers), so N processes committing at once pay
 * for about one fsync, not N in a row.
 *
 * The state shared between processes is two counters in a small file
 * beside the database ("<db>-commit", mode 0600), mapped into every
 * process that opens the database (pool children, 'pipelit run', tools):
 *
 *   written   commits whose frames are in the log (a ticket is taken by
 *             incrementing it after the commit)
 *   synced    the value of written read just before the last finished sync
 *
 * A ticket t is durable once synced >= t.  The sync is done under flock on
 * the same file, so one process syncs at a time and the others find their
 * ticket covered when they get the lock; the kernel drops the lock of a
 * process that dies holding it, and its unfinished sync simply did not
 * raise synced.  doc/database.md ("Group commit") gives the argument.
 */
#ifndef PIPELIT_DB_COMMIT_GROUP_H
#define PIPELIT_DB_COMMIT_GROUP_H

#include <stdint.h>

struct commit_group;

/* What a group's file holds (also read by tests and bench tools). */
struct commit_group_counters {
	uint64_t written;   /* tickets handed out */
	uint64_t synced;    /* every ticket up to this one is durable */
	uint64_t syncs;     /* log syncs made through the group */
};

/* Opens (creating when missing) the group file of the database at db_path.
 * NULL with errno set when it cannot be created or mapped; the caller then
 * syncs each of its durable commits on its own. */
struct commit_group *commit_group_open(const char *db_path);
void commit_group_close(struct commit_group *g);

/* The group file's name for db_path (malloc'd). */
char *commit_group_path(const char *db_path);

/* Syncs the log: 0 or -1 (errno-like failure left to the caller). */
typedef int (*commit_group_sync_fn)(void *arg);

/* commit_group_wait's answer when the deadline passed first. */
#define COMMIT_GROUP_TIMEOUT (-2)

/*
 * Called after a commit whose frames are written: takes a ticket and
 * returns once a sync that began after the ticket was taken has finished
 * (made by this process through sync(arg), or by another).  0, or -1 when
 * this process's sync failed, or COMMIT_GROUP_TIMEOUT when another process
 * held the group's lock for deadline_ms (stopped, or stuck in a sync) and
 * nothing covered the ticket meanwhile; either way the commit is then of
 * unknown durability.
 */
int commit_group_wait(struct commit_group *g, commit_group_sync_fn sync, void *arg,
		      int64_t deadline_ms);

/* Reads the counters of the group file of db_path without joining it:
 * 0, or -1 when there is no such file. */
int commit_group_read(const char *db_path, struct commit_group_counters *out);

#endif
