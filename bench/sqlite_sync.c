/*
 * sqlite_sync.c: the price of synchronous=FULL.  WRITERS processes each
 * commit one-row write transactions through the db layer for SECONDS,
 * three times on the same kind of file: at FULL as Pipelit runs it (the
 * group commit: every connection at NORMAL, durable commits waiting for a
 * shared log sync), at SQLite's own FULL (a sync inside every commit, under
 * the write lock: how Pipelit ran before), and at NORMAL (no sync at
 * commit); prints commits per second for each and the ratios.  Built and
 * run by bench/sqlite_sync.sh.
 *
 *   sqlite_sync DIR SECONDS WRITERS [group]
 *
 * With "group", only the first row (bench/engine.sh measures it again
 * beside each row judged against it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db/commit_group.h"
#include "db/db.h"
#include "db/db_settings.h"

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One writer: commits until the deadline, then exits with nothing to say;
 * the rows in the table are the count. */
enum mode { GROUP, SQLITE_FULL, NORMAL };

static const char *const mode_name[] = { "FULL (group commit)", "FULL (SQLite's own)", "NORMAL" };

static void
writer(const char *url, double seconds, enum mode mode)
{
	char *err = NULL;
	struct db *db = db_open_create(url, &err);
	if (db == NULL) {
		fprintf(stderr, "open: %s\n", err);
		_exit(1);
	}
	/* Opened with NORMAL configured, the db layer adds no sync; SQLite's
	 * own FULL then syncs inside each commit. */
	if (mode == SQLITE_FULL && db_exec(db, "PRAGMA synchronous=FULL") != 0)
		_exit(1);
	double end = now() + seconds;
	while (now() < end) {
		if (db_begin_write(db) != 0)
			_exit(2);
		struct db_stmt *st = db_prepare(db, "INSERT INTO ledger (note) VALUES (?)");
		db_bind_text(st, 1, "a write the API would acknowledge", -1);
		if (db_step(st) != DB_DONE)
			_exit(3);
		db_reset(st);
		if (db_commit(db) != 0)
			_exit(4);
	}
	db_close(db);
	_exit(0);
}

static double
measure(const char *dir, enum mode mode, double seconds, int writers)
{
	struct db_settings s = *db_settings();
	s.sqlite_synchronous = mode == GROUP ? DB_SYNC_FULL : DB_SYNC_NORMAL;
	db_configure(&s);
	char path[512], url[600];
	snprintf(path, sizeof(path), "%s/mode%d.sqlite3", dir, (int)mode);
	snprintf(url, sizeof(url), "sqlite:///%s", path);
	char *err = NULL;
	struct db *db = db_open_create(url, &err);
	if (db == NULL || db_exec(db, "CREATE TABLE ledger (n INTEGER PRIMARY KEY, note TEXT)")) {
		fprintf(stderr, "set-up failed: %s\n", err ? err : db_errmsg(db));
		exit(1);
	}
	struct commit_group_counters before = { 0, 0, 0 }, after = { 0, 0, 0 };
	commit_group_read(path, &before);
	double t0 = now();
	for (int i = 0; i < writers; i++)
		if (fork() == 0)
			writer(url, seconds, mode);
	int status, failed = 0;
	while (wait(&status) > 0)
		failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	double elapsed = now() - t0;
	int64_t rows = 0;
	db_query_int64(db, "SELECT count(*) FROM ledger", &rows);
	db_close(db);
	commit_group_read(path, &after);
	if (failed)
		fprintf(stderr, "%d writers failed\n", failed);
	/* Commits happen only inside the writers' window; what comes after
	 * it (closing, the last checkpoint) is not write throughput. */
	double rate = rows / seconds;
	printf("%-20s %8.0f commits/s  (%lld commits by %d writers in %.1f s; %.1f s with close)",
	       mode_name[mode], rate, (long long)rows, writers, seconds, elapsed);
	if (mode == GROUP && after.syncs > before.syncs)
		printf("; %.1f commits per log sync",
		       (double)(after.written - before.written) / (double)(after.syncs - before.syncs));
	printf("\n");
	return rate;
}

int
main(int argc, char **argv)
{
	int group_only = argc == 5 && strcmp(argv[4], "group") == 0;
	if (argc != 4 && !group_only) {
		fprintf(stderr, "usage: sqlite_sync DIR SECONDS WRITERS [group]\n");
		return 2;
	}
	double seconds = atof(argv[2]);
	int writers = atoi(argv[3]);
	double group = measure(argv[1], GROUP, seconds, writers);
	if (group_only)
		return 0;
	double full = measure(argv[1], SQLITE_FULL, seconds, writers);
	double normal = measure(argv[1], NORMAL, seconds, writers);
	printf("group/SQLite's FULL: %.2f   group/NORMAL: %.2f   SQLite's FULL/NORMAL: %.2f\n",
	       full > 0 ? group / full : 0.0, normal > 0 ? group / normal : 0.0,
	       normal > 0 ? full / normal : 0.0);
	printf("(both FULL rows keep every acknowledged write through a power cut)\n");
	return 0;
}
