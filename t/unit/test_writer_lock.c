/*
 * test_writer_lock.c: our processes queue for SQLite's write lock on the
 * shared mutex beside the database (src/db/writer_lock.h).
 *
 * A child process opens a write transaction and stays in it: another
 * process's BEGIN IMMEDIATE then fails as busy once the busy timeout has
 * passed, saying it waited for the pool's writer lock; the child dies in
 * its transaction: the lock passes on (robust mutex) and the other
 * process's write goes through; after a commit or a rollback the lock is
 * free for the next process.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db/db.h"
#include "tap.h"

static char tmpdir[] = "/tmp/pipelit-writer-lock-XXXXXX";
static char url[600], path[512];

/* A child that opens a write transaction, says so on ready, and then waits
 * until told (reading go) to die without ending it. */
static pid_t
start_holder(int *ready_rd, int *go_wr)
{
	int ready[2], go[2];
	if (pipe(ready) != 0 || pipe(go) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		char *err = NULL;
		struct db *db = db_open(url, &err);
		char c = db != NULL && db_begin_write(db) == 0 &&
			 db_exec(db, "INSERT INTO t (v) VALUES (1)") == 0 ? 'y' : 'n';
		if (write(ready[1], &c, 1) != 1)
			_exit(2);
		if (read(go[0], &c, 1) < 0)
			_exit(2);
		_exit(0);          /* dies holding both locks */
	}
	close(ready[1]);
	close(go[0]);
	*ready_rd = ready[0];
	*go_wr = go[1];
	return pid;
}

static int
commit_one(struct db *db, int v)
{
	char sql[80];
	snprintf(sql, sizeof sql, "INSERT INTO t (v) VALUES (%d)", v);
	if (db_begin_write(db) != 0)
		return -1;
	if (db_exec(db, sql) != 0 || db_commit(db) != 0) {
		db_rollback(db);
		return -1;
	}
	return 0;
}

/* A write from a fresh process: 0 once it committed. */
static int
child_commits(int v)
{
	pid_t pid = fork();
	if (pid == 0) {
		char *err = NULL;
		struct db *db = db_open(url, &err);
		_exit(db != NULL && commit_one(db, v) == 0 ? 0 : 1);
	}
	int st;
	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof path, "%s/db.sqlite3", tmpdir);
	snprintf(url, sizeof url, "sqlite:///%s", path);
	setenv("PIPELIT_SQLITE_BUSY_TIMEOUT_MS", "300", 1);

	char *err = NULL;
	struct db *db = db_open_create(url, &err);
	ok(db != NULL && db_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)") == 0,
	   "a database with a table");
	if (db == NULL)
		return done_testing();

	int ready = -1, go = -1;
	pid_t holder = start_holder(&ready, &go);
	char c = 0;
	ok(holder > 0 && read(ready, &c, 1) == 1 && c == 'y',
	   "another process is in a write transaction");

	ok(db_begin_write(db) != 0, "BEGIN IMMEDIATE fails while it stays there");
	is_int(db_error_class(db), DB_CLASS_TRANSIENT, "as a transient error (a 503)");
	ok(strstr(db_errmsg(db), "held the write lock") != NULL,
	   "after waiting for the pool's writer lock: %s", db_errmsg(db));
	ok(!db_in_transaction(db), "and no transaction is left open");

	/* The holder dies inside its transaction. */
	close(go);
	int st;
	waitpid(holder, &st, 0);
	close(ready);
	ok(commit_one(db, 2) == 0, "the lock of a process that died passes on: %s", db_errmsg(db));
	ok(child_commits(3) == 0, "after a commit the next process gets it");

	ok(db_begin_write(db) == 0 && db_exec(db, "INSERT INTO t (v) VALUES (4)") == 0 &&
	   db_rollback(db) == 0, "a transaction rolled back");
	ok(child_commits(5) == 0, "after a rollback the next process gets it");

	ok(db_begin_write(db) == 0 && db_exec(db, "INSERT INTO nowhere VALUES (1)") != 0,
	   "a statement fails inside a transaction");
	db_rollback(db);
	ok(child_commits(6) == 0, "after its rollback too");

	int64_t n = -1;
	ok(db_query_int64(db, "SELECT count(*) FROM t", &n) == 0 && n == 4,
	   "every acknowledged write is there, nothing else (%lld rows)", (long long)n);
	db_close(db);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		return 1;
	return done_testing();
}
