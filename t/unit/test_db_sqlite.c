/* test_db_sqlite.c: the SQLite backend against a real file in a temporary
 * directory, including many writer processes at once. */
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db_behaviour.h"

#define WRITERS 16

static int64_t
db_now_ms_for_tests(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
#define TXNS_PER_WRITER 50

static char tmpdir[] = "/tmp/pipelit-db-sqlite-XXXXXX";

static void
test_open_creates_directories(const char *url, const char *path)
{
	char *err = NULL;
	struct db *db = db_open_create(url, &err);
	ok(db != NULL, "open %s: %s", url, err ? err : "ok");
	free(err);
	if (db == NULL)
		return;
	is_int(db_backend_of(db), DB_SQLITE, "backend is SQLite");
	struct stat sb;
	ok(stat(path, &sb) == 0, "file and its directories created");

	struct db_stmt *st = db_prepare(db, "PRAGMA journal_mode");
	ok(st && db_step(st) == DB_ROW && strcmp(db_column_text(st, 0), "wal") == 0,
	   "WAL is on");
	db_reset(st);
	int64_t v = 0;
	ok(db_query_int64(db, "PRAGMA foreign_keys", &v) == 0 && v == 1, "foreign keys are on");
	/* FULL (the default) is kept by the group commit: the connection
	 * writes at NORMAL and durable commits wait for the shared log sync,
	 * whose file sits beside the database, private to its owner. */
	ok(db_query_int64(db, "PRAGMA synchronous", &v) == 0 && v == 1,
	   "the connection commits at NORMAL under the default FULL");
	char group[600];
	snprintf(group, sizeof group, "%s-commit", path);
	ok(stat(group, &sb) == 0 && (sb.st_mode & 0777) == 0600,
	   "the commit group file is beside the database, mode 0600");
	ok(db_query_int64(db, "PRAGMA auto_vacuum", &v) == 0 && v == 2,
	   "a new database uses incremental auto-vacuum");
	ok(db_query_int64(db, "PRAGMA journal_size_limit", &v) == 0 && v == 64LL << 20,
	   "the WAL is truncated to 64 MiB after a checkpoint");
	db_close(db);
}

static void
test_open_failure(void)
{
	char *err = NULL;
	struct db *db = db_open_create("sqlite:////proc/pipelit-no/such/db.sqlite3", &err);
	ok(db == NULL && err != NULL, "an impossible path fails: %s", err ? err : "(none)");
	free(err);
}

/* Only db_open_create makes a database: a command run in the wrong
 * directory must say what it looked for instead of creating an empty one. */
static void
test_open_missing(const char *dir)
{
	char url[600], path[512];
	snprintf(path, sizeof(path), "%s/nowhere/db.sqlite3", dir);
	snprintf(url, sizeof(url), "sqlite:///%s", path);
	char *err = NULL;
	struct db *db = db_open(url, &err);
	ok(db == NULL, "opening a missing file fails");
	ok(err && strstr(err, path) && strstr(err, "does not exist") && strstr(err, "DATABASE_URL") &&
	   strstr(err, "db upgrade"), "the message names the file and the ways out: %s",
	   err ? err : "(none)");
	free(err);
	struct stat sb;
	ok(stat(path, &sb) != 0, "and creates nothing");
}

/* A conflict inside one connection cannot be waited out: it must fail at
 * once, not after the busy deadline. */
static void
test_self_conflict_fails_fast(const char *url)
{
	char *err = NULL;
	struct db *db = db_open_create(url, &err);
	if (!ok(db != NULL, "open for the self-conflict test"))
		return;
	db_exec(db, "CREATE TABLE doomed (x INTEGER); INSERT INTO doomed VALUES (1), (2)");
	struct db_stmt *reading = db_prepare(db, "SELECT x FROM doomed");
	is_int(db_step(reading), DB_ROW, "a read is open");
	struct db_stmt *drop = db_prepare(db, "DROP TABLE doomed");
	int64_t t0 = db_now_ms_for_tests();
	is_int(db_step(drop), DB_ERROR, "DROP TABLE under our own open read fails");
	ok(db_now_ms_for_tests() - t0 < 1000, "at once, not after the busy deadline");
	db_reset(drop);
	db_reset(reading);
	db_close(db);
}

static int
writer(const char *url, int n)
{
	char *err = NULL;
	struct db *db = db_open_create(url, &err);
	if (db == NULL) {
		fprintf(stderr, "writer %d: %s\n", n, err);
		return 1;
	}
	int failures = 0;
	for (int i = 0; i < TXNS_PER_WRITER; i++) {
		if (db_begin_write(db) != 0) {
			fprintf(stderr, "writer %d: begin: %s\n", n, db_errmsg(db));
			failures++;
			continue;
		}
		/* Read, then write, in one transaction: the pattern that
		 * deadlocks without BEGIN IMMEDIATE. */
		int64_t count = 0;
		int rc = db_query_int64(db, "SELECT COUNT(*) FROM hits", &count) < 0;
		struct db_stmt *st = db_prepare(db, "INSERT INTO hits (writer, seen) VALUES (?, ?)");
		if (st == NULL) {
			rc = 1;
		} else {
			db_bind_int64(st, 1, n);
			db_bind_int64(st, 2, count);
			rc |= db_step(st) != DB_DONE;
			db_reset(st);
		}
		if (rc != 0 || db_commit(db) != 0) {
			fprintf(stderr, "writer %d: %s\n", n, db_errmsg(db));
			db_rollback(db);
			failures++;
		}
	}
	/* Autocommit writes are retried too. */
	struct db_stmt *st = db_prepare(db, "UPDATE counter SET n = n + 1");
	if (st == NULL || db_step(st) != DB_DONE) {
		fprintf(stderr, "writer %d: autocommit: %s\n", n, db_errmsg(db));
		failures++;
	}
	db_reset(st);
	db_close(db);
	return failures ? 1 : 0;
}

/* A writer that finds the write lock taken waits for it instead of
 * failing: another process holds it for 300 ms (well inside the 5 s
 * timeout) and our BEGIN IMMEDIATE still succeeds. */
static void
test_waits_for_the_lock(const char *url)
{
	char *err = NULL;
	struct db *db = db_open_create(url, &err);
	if (!ok(db != NULL, "open for the lock wait test"))
		return;
	int ready[2];
	if (pipe(ready) != 0) {
		ok(0, "pipe");
		db_close(db);
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		struct db *holder = db_open_create(url, &err);
		char c = 'x';
		if (holder == NULL || db_begin_write(holder) != 0)
			_exit(1);
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		usleep(300 * 1000);
		int rc = db_commit(holder);
		db_close(holder);
		_exit(rc == 0 ? 0 : 1);
	}
	char c;
	int held = read(ready[0], &c, 1) == 1;
	ok(held, "another process holds the write lock");
	int begun = held && db_begin_write(db) == 0;
	ok(begun, "a write transaction waits for it and begins");
	if (begun)
		db_rollback(db);
	int status = 0;
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the holder committed");
	close(ready[0]);
	close(ready[1]);
	db_close(db);
}

static void
test_concurrent_writers(const char *url)
{
	char *err = NULL;
	struct db *db = db_open_create(url, &err);
	if (!ok(db != NULL, "open for the concurrency test"))
		return;
	db_exec(db, "CREATE TABLE hits (id INTEGER PRIMARY KEY, writer INTEGER, seen INTEGER);"
		    "CREATE TABLE counter (n INTEGER); INSERT INTO counter VALUES (0)");
	db_close(db);

	pid_t pids[WRITERS];
	for (int i = 0; i < WRITERS; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(writer(url, i));
	}
	int failed = 0;
	for (int i = 0; i < WRITERS; i++) {
		int status = 0;
		waitpid(pids[i], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
	}
	is_int(failed, 0, "%d writers x %d write transactions: none failed", WRITERS,
	       TXNS_PER_WRITER);

	db = db_open_create(url, &err);
	int64_t n = 0;
	ok(db_query_int64(db, "SELECT COUNT(*) FROM hits", &n) == 0, "count rows");
	is_int(n, WRITERS * TXNS_PER_WRITER, "the row count is exact");
	ok(db_query_int64(db, "SELECT COUNT(DISTINCT seen) FROM hits", &n) == 0 &&
		   n == WRITERS * TXNS_PER_WRITER,
	   "every transaction saw a distinct count (writes were serialised)");
	ok(db_query_int64(db, "SELECT n FROM counter", &n) == 0 && n == WRITERS,
	   "every autocommit update landed");
	db_close(db);
}

static void
remove_tree(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", dir);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		ok(0, "temporary directory");
		return done_testing();
	}
	char url[600], path[512];
	snprintf(path, sizeof(path), "%s/a/b/db.sqlite3", tmpdir);
	snprintf(url, sizeof(url), "sqlite:///%s", path);
	test_open_creates_directories(url, path);
	test_open_failure();
	test_open_missing(tmpdir);

	char *err = NULL;
	struct db *db = db_open_create(url, &err);
	if (ok(db != NULL, "reopen"))
		run_behaviours(db);
	db_close(db);

	db = db_open_create("sqlite://", &err);
	ok(db != NULL && db_ping(db) == 0, "in-memory database");
	db_close(db);

	snprintf(url, sizeof(url), "sqlite:///%s/self.db", tmpdir);
	test_self_conflict_fails_fast(url);
	snprintf(url, sizeof(url), "sqlite:///%s/lockwait.db", tmpdir);
	test_waits_for_the_lock(url);
	snprintf(url, sizeof(url), "sqlite:///%s/concurrent.db", tmpdir);
	test_concurrent_writers(url);
	remove_tree(tmpdir);
	return done_testing();
}
