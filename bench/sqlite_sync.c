/*
 * sqlite_sync.c: the price of synchronous=FULL.  WRITERS processes each
 * commit one-row write transactions through the db layer for SECONDS, once
 * at FULL and once at NORMAL, on the same kind of file; prints commits per
 * second for each and the ratio.  Built and run by bench/sqlite_sync.sh.
 *
 *   sqlite_sync DIR SECONDS WRITERS
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
static void
writer(const char *url, double seconds)
{
	char *err = NULL;
	struct db *db = db_open_create(url, &err);
	if (db == NULL) {
		fprintf(stderr, "open: %s\n", err);
		_exit(1);
	}
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
measure(const char *dir, enum db_sqlite_sync level, double seconds, int writers)
{
	struct db_settings s = *db_settings();
	s.sqlite_synchronous = level;
	db_configure(&s);
	char url[512];
	snprintf(url, sizeof(url), "sqlite:///%s/%s.sqlite3", dir, db_sqlite_sync_name(level));
	char *err = NULL;
	struct db *db = db_open_create(url, &err);
	if (db == NULL || db_exec(db, "CREATE TABLE ledger (n INTEGER PRIMARY KEY, note TEXT)")) {
		fprintf(stderr, "set-up failed: %s\n", err ? err : db_errmsg(db));
		exit(1);
	}
	double t0 = now();
	for (int i = 0; i < writers; i++)
		if (fork() == 0)
			writer(url, seconds);
	int status, failed = 0;
	while (wait(&status) > 0)
		failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	double elapsed = now() - t0;
	int64_t rows = 0;
	db_query_int64(db, "SELECT count(*) FROM ledger", &rows);
	db_close(db);
	if (failed)
		fprintf(stderr, "%d writers failed\n", failed);
	/* Commits happen only inside the writers' window; what comes after
	 * it (closing, the last checkpoint) is not write throughput. */
	double rate = rows / seconds;
	printf("%-7s %8.0f commits/s  (%lld commits by %d writers in %.1f s; %.1f s with close)\n",
	       db_sqlite_sync_name(level), rate, (long long)rows, writers, seconds, elapsed);
	return rate;
}

int
main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: sqlite_sync DIR SECONDS WRITERS\n");
		return 2;
	}
	double seconds = atof(argv[2]);
	int writers = atoi(argv[3]);
	double full = measure(argv[1], DB_SYNC_FULL, seconds, writers);
	double normal = measure(argv[1], DB_SYNC_NORMAL, seconds, writers);
	printf("FULL/NORMAL: %.2f (FULL keeps every acknowledged write through a power cut)\n",
	       normal > 0 ? full / normal : 0.0);
	return 0;
}
