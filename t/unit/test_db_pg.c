/* test_db_pg.c: the PostgreSQL backend against the server named by
 * PIPELIT_TEST_PG_URL (skipped when unset), including reconnection after
 * the server drops our connection. */
#include <stdlib.h>
#include <unistd.h>

#include "db_behaviour.h"

static void
test_session(struct db *db)
{
	is_int(db_backend_of(db), DB_POSTGRES, "backend is PostgreSQL");
	struct db_stmt *st = db_prepare(db, "SELECT current_setting('TimeZone'),"
					    " current_setting('client_encoding')");
	ok(st && db_step(st) == DB_ROW, "session settings readable");
	is_str(db_column_text(st, 0), "UTC", "session time zone is UTC");
	is_str(db_column_text(st, 1), "UTF8", "client encoding is UTF8");
	db_reset(st);
	/* The server's half of the deadlines, on every connection. */
	st = db_prepare(db, "SELECT current_setting('statement_timeout'),"
			    " current_setting('lock_timeout'),"
			    " current_setting('idle_in_transaction_session_timeout'),"
			    " current_setting('client_connection_check_interval')");
	ok(st && db_step(st) == DB_ROW, "deadline settings readable");
	is_str(db_column_text(st, 0), "10s", "statement_timeout is the query timeout");
	is_str(db_column_text(st, 1), "5s", "lock_timeout is half of it");
	is_str(db_column_text(st, 2), "1min", "idle_in_transaction_session_timeout is set");
	is_str(db_column_text(st, 3), "2s", "a query whose client has gone is stopped");
	db_reset(st);
	/* A statement past its deadline is stopped by the server, and the
	 * handle goes on working. */
	ok(db_exec(db, "SET statement_timeout = 200") == 0, "a short statement timeout");
	ok(db_exec(db, "SELECT pg_sleep(2)") != 0, "a statement past it fails: %s", db_errmsg(db));
	ok(db_exec(db, "SET statement_timeout = 10000") == 0, "and the connection still answers");
}

static void
test_pg_specifics(struct db *db)
{
	struct db_stmt *st = db_prepare(db, "SELECT TRUE, 'f'::boolean");
	ok(st && db_step(st) == DB_ROW, "booleans");
	is_str(db_column_text(st, 0), "t", "booleans arrive as t");
	ok(db_column_bool(st, 0) == 1 && db_column_bool(st, 1) == 0, "t/f read as 1/0");
	ok(db_column_int64(st, 0) == 1, "a boolean read as an integer is 1");
	db_reset(st);

	is_int(db_exec(db, "SELECT 1; SELECT 2"), 0, "db_exec runs several statements");
	is_int(db_exec(db, "SELEKT"), -1, "db_exec reports errors");
	ok(strstr(db_errmsg(db), "syntax") != NULL, "with the server's message: %s",
	   db_errmsg(db));

	/* A failed statement inside a transaction aborts it; commit must
	 * not pretend otherwise. */
	db_begin(db);
	st = db_prepare(db, "SELECT 1 / ?");
	db_bind_int64(st, 1, 0);
	is_int(db_step(st), DB_ERROR, "division by zero fails");
	db_reset(st);
	is_int(db_commit(db), -1, "commit of an aborted transaction fails");
	ok(!db_in_transaction(db), "and the transaction is gone");
}

static int64_t
backend_pid(struct db *db)
{
	int64_t pid = 0;
	return db_query_int64(db, "SELECT pg_backend_pid()", &pid) == 0 ? pid : -1;
}

static void
terminate(struct db *killer, int64_t pid)
{
	struct db_stmt *st = db_prepare(killer, "SELECT pg_terminate_backend(?)");
	db_bind_int64(st, 1, pid);
	ok(db_step(st) == DB_ROW && db_column_bool(st, 0), "terminated backend %lld",
	   (long long)pid);
	db_reset(st);
	/* Give the server a moment to tear the backend down. */
	usleep(100 * 1000);
}

/* Another handle on the same database, NULL (a failed check) when it
 * cannot be opened. */
static struct db *
second_handle(const char *url)
{
	char *err = NULL;
	struct db *db = db_open(url, &err);
	if (!ok(db != NULL, "second handle: %s", err ? err : "ok"))
		free(err);
	return db;
}

static void
test_reconnect(struct db *db, const char *url)
{
	struct db *killer = second_handle(url);
	if (killer == NULL)
		return;
	struct db_stmt *st = db_prepare(db, "SELECT name FROM owners WHERE id = ?");
	db_bind_int64(st, 1, 1);
	is_int(db_step(st), DB_ROW, "statement runs before the connection is killed");
	db_reset(st);

	int64_t pid = backend_pid(db);
	terminate(killer, pid);
	db_bind_int64(st, 1, 1);
	is_int(db_step(st), DB_ROW, "the same statement runs after reconnecting: %s",
	       db_errmsg(db));
	ok(db_column_text(st, 0) != NULL, "with its row");
	db_reset(st);
	ok(backend_pid(db) != pid, "on a new backend");
	is_str(db_column_text(st, 0), NULL, "(reset statement has no row)");
	struct db_stmt *tz = db_prepare(db, "SELECT current_setting('TimeZone')");
	ok(tz && db_step(tz) == DB_ROW && strcmp(db_column_text(tz, 0), "UTC") == 0,
	   "session settings restored after reconnecting");
	db_reset(tz);

	/* Lost before the transaction's first statement: its BEGIN travels
	 * with that statement, nothing of it was done, and it begins again on
	 * a new connection. */
	pid = backend_pid(db);
	is_int(db_begin_write(db), 0, "begin");
	terminate(killer, pid);
	db_bind_int64(st, 1, 1);
	is_int(db_step(st), DB_ROW, "a transaction lost before its first statement begins again: %s",
	       db_errmsg(db));
	db_reset(st);
	ok(db_in_transaction(db), "in a transaction on the new connection");
	is_int(db_rollback(db), 0, "and rolls back");

	/* Inside a transaction the work is lost: an error, then rollback
	 * restores a working handle. */
	pid = backend_pid(db);
	is_int(db_begin_write(db), 0, "begin");
	db_bind_int64(st, 1, 1);
	is_int(db_step(st), DB_ROW, "the transaction's first statement");
	db_reset(st);
	terminate(killer, pid);
	db_bind_int64(st, 1, 1);
	is_int(db_step(st), DB_ERROR, "a lost connection inside a transaction is an error");
	is_int(db_error_kind(db), DB_ERR_CONNECTION, "reported as a connection error: %s",
	       db_errmsg(db));
	db_reset(st);
	ok(db_in_transaction(db), "the caller still sees a transaction to roll back");
	is_int(db_rollback(db), 0, "rollback reconnects");
	is_int(db_ping(db), 0, "the handle works again");

	/* db_ping (the /health query) survives a kill too. */
	terminate(killer, backend_pid(db));
	is_int(db_ping(db), 0, "db_ping reconnects: %s", db_errmsg(db));
	db_close(killer);
}

/* db_begin() reads one snapshot: another handle's commit in the middle of
 * it is not seen until the next transaction. */
static void
test_read_snapshot(struct db *db, const char *url)
{
	struct db *other = second_handle(url);
	if (other == NULL)
		return;
	const char *count_sql = "SELECT count(*) FROM owners";
	int64_t before = -1, seen = -1;
	db_query_int64(db, count_sql, &before);
	is_int(db_begin(db), 0, "read transaction begins");
	db_query_int64(db, count_sql, &seen);
	is_int(seen, before, "the first read");
	ok(db_exec(other, "INSERT INTO owners (name) VALUES ('snapshot-writer')") == 0,
	   "another handle commits a row: %s", db_errmsg(other));
	db_query_int64(db, count_sql, &seen);
	is_int(seen, before, "a later read in the same transaction does not see it");
	db_commit(db);
	db_query_int64(db, count_sql, &seen);
	is_int(seen, before + 1, "the next transaction sees it");
	db_exec(other, "DELETE FROM owners WHERE name = 'snapshot-writer'");
	db_close(other);
}

/* A notification sent while a handle is busy comes in with the answer to
 * its next statement, and its socket is left with nothing to read:
 * db_take_notifies() hands it over all the same, with no read of its own;
 * the next drain counts the others. */
struct heard {
	int calls;
	char payload[32];
};

static void
heard_note(const char *payload, void *arg)
{
	struct heard *h = arg;
	h->calls++;
	snprintf(h->payload, sizeof h->payload, "%s", payload ? payload : "(lost)");
}

static void
test_notifies_taken(struct db *db, const char *url)
{
	struct db *other = second_handle(url);
	if (other == NULL)
		return;
	struct heard h = { 0 };
	ok(db_listen(db, "t_marks") == 0 && db_listen(db, "t_work") == 0, "listening on two channels");
	db_on_notify(db, "t_marks", heard_note, &h);
	is_int(db_take_notifies(db), 0, "nothing taken before anything is sent");
	ok(db_exec(other, "SELECT pg_notify('t_marks', 'watched'), pg_notify('t_work', '')") == 0,
	   "another handle notifies both: %s", db_errmsg(other));
	int64_t one = 0;
	ok(db_query_int64(db, "SELECT 1", &one) == 0 && one == 1, "the listener runs a statement");
	is_int(h.calls, 0, "the handler has heard nothing yet");
	is_int(db_take_notifies(db), 1, "taken: the other channel's notice is kept");
	is_int(h.calls, 1, "the handled channel's notice went to its handler");
	is_str(h.payload, "watched", "with its payload");
	is_int(db_take_notifies(db), 1, "taking again hears nothing twice");
	is_int(h.calls, 1, "(the handler was not called again)");
	is_int(db_drain_notifies(db), 1, "the next drain counts the notice kept");
	is_int(db_drain_notifies(db), 0, "once");
	db_on_notify(db, "t_marks", NULL, NULL);
	db_exec(db, "UNLISTEN *");
	db_close(other);
}

/* PostgreSQL trims a timestamp's trailing zeros; readers get the one
 * storage format, padded to six fraction digits, on every column at once. */
static void
test_timestamp_text(struct db *db)
{
	ok(db_exec(db, "DROP TABLE IF EXISTS stamps; CREATE TABLE stamps (a TIMESTAMP(6), b TIMESTAMP(6),"
		       " c TIMESTAMP(6)); INSERT INTO stamps VALUES ('2026-02-17 23:18:00.5',"
		       " '2026-02-17 23:18:00', '2026-02-17 23:18:00.123456')") == 0,
	   "timestamps stored: %s", db_errmsg(db));
	struct db_stmt *st = db_prepare(db, "SELECT a, b, c, 'infinity'::timestamp FROM stamps");
	is_int(db_step(st), DB_ROW, "one row");
	const char *a = db_column_text(st, 0), *b = db_column_text(st, 1), *c = db_column_text(st, 2);
	is_str(a, "2026-02-17 23:18:00.500000", "a trimmed fraction is padded to six digits");
	is_str(b, "2026-02-17 23:18:00.000000", "no fraction becomes .000000");
	is_str(c, "2026-02-17 23:18:00.123456", "six digits stay as they are");
	is_str(db_column_text(st, 0), "2026-02-17 23:18:00.500000",
	       "the first column is still right after reading the others");
	is_int(db_column_bytes(st, 1), 26, "the length is the padded text's");
	is_str(db_column_text(st, 3), "infinity", "a value that is not a date passes through");
	db_reset(st);
	db_exec(db, "DROP TABLE stamps");
}

int
main(void)
{
	const char *url = getenv("PIPELIT_TEST_PG_URL");
	if (url == NULL || *url == '\0') {
		printf("1..0 # SKIP PIPELIT_TEST_PG_URL not set\n");
		return 0;
	}
	char *err = NULL;
	struct db *db = db_open(url, &err);
	if (!ok(db != NULL, "connect: %s", err ? err : "ok")) {
		free(err);
		return done_testing();
	}
	test_session(db);
	run_behaviours(db);
	test_pg_specifics(db);
	test_timestamp_text(db);
	test_read_snapshot(db, url);
	test_notifies_taken(db, url);
	test_reconnect(db, url);
	db_exec(db, "DROP TABLE IF EXISTS items; DROP TABLE IF EXISTS owners;"
		    " DROP TABLE IF EXISTS kv");
	db_close(db);

	db = db_open("postgresql://nobody:hunter2@127.0.0.1:1/none", &err);
	ok(db == NULL && err && strstr(err, "hunter2") == NULL,
	   "a failed connection names no password: %s", err ? err : "(none)");
	free(err);
	return done_testing();
}
