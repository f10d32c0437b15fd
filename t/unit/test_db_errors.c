/*
 * test_db_errors.c: what each backend's failure codes mean (their class
 * and kind), what the HTTP layer answers for each class, and a real
 * SQLite writer that cannot get the lock within its busy timeout.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "tap.h"
#include "db/db.h"
#include "http/db_status.h"

static void
sqlite_is(int rc, enum db_errclass cls, enum db_errkind kind, const char *name)
{
	struct db_error e;
	memset(&e, 0, sizeof(e));
	db_sqlite_classify(rc, &e);
	ok(e.cls == cls && e.kind == kind, "SQLite %s (%d): %s", name, rc,
	   db_errclass_name(e.cls));
	char code[16];
	snprintf(code, sizeof(code), "%d", rc);
	is_str(e.code, code, "SQLite %s keeps its extended code", name);
}

static void
pg_is(const char *state, enum db_errclass cls, enum db_errkind kind, const char *name)
{
	struct db_error e;
	memset(&e, 0, sizeof(e));
	db_pg_classify(state, &e);
	ok(e.cls == cls && e.kind == kind, "SQLSTATE %s (%s): %s", state ? state : "(none)",
	   name, db_errclass_name(e.cls));
	is_str(e.code, state ? state : "", "SQLSTATE %s kept as the code", name);
}

static void
test_sqlite_codes(void)
{
	sqlite_is(SQLITE_BUSY, DB_CLASS_TRANSIENT, DB_ERR_BUSY, "BUSY");
	sqlite_is(SQLITE_BUSY_SNAPSHOT, DB_CLASS_TRANSIENT, DB_ERR_BUSY, "BUSY_SNAPSHOT");
	sqlite_is(SQLITE_LOCKED_SHAREDCACHE, DB_CLASS_TRANSIENT, DB_ERR_BUSY, "LOCKED_SHAREDCACHE");
	sqlite_is(SQLITE_READONLY, DB_CLASS_TRANSIENT, DB_ERR_READONLY, "READONLY");
	sqlite_is(SQLITE_READONLY_DBMOVED, DB_CLASS_TRANSIENT, DB_ERR_READONLY, "READONLY_DBMOVED");
	sqlite_is(SQLITE_FULL, DB_CLASS_DISK_FULL, DB_ERR_DISK_FULL, "FULL");
	sqlite_is(SQLITE_NOMEM, DB_CLASS_TRANSIENT, DB_ERR_RESOURCES, "NOMEM");
	sqlite_is(SQLITE_CONSTRAINT_UNIQUE, DB_CLASS_CONSTRAINT, DB_ERR_UNIQUE, "CONSTRAINT_UNIQUE");
	sqlite_is(SQLITE_CONSTRAINT_PRIMARYKEY, DB_CLASS_CONSTRAINT, DB_ERR_UNIQUE,
		  "CONSTRAINT_PRIMARYKEY");
	sqlite_is(SQLITE_CONSTRAINT_FOREIGNKEY, DB_CLASS_CONSTRAINT, DB_ERR_FOREIGN_KEY,
		  "CONSTRAINT_FOREIGNKEY");
	sqlite_is(SQLITE_CONSTRAINT_NOTNULL, DB_CLASS_CONSTRAINT, DB_ERR_CONSTRAINT,
		  "CONSTRAINT_NOTNULL");
	sqlite_is(SQLITE_CONSTRAINT_CHECK, DB_CLASS_CONSTRAINT, DB_ERR_CONSTRAINT,
		  "CONSTRAINT_CHECK");
	sqlite_is(SQLITE_CORRUPT, DB_CLASS_PERMANENT, DB_ERR_OTHER, "CORRUPT");
	sqlite_is(SQLITE_IOERR_WRITE, DB_CLASS_PERMANENT, DB_ERR_OTHER, "IOERR_WRITE");
	sqlite_is(SQLITE_ERROR, DB_CLASS_PERMANENT, DB_ERR_OTHER, "ERROR (bad SQL)");
	sqlite_is(SQLITE_MISUSE, DB_CLASS_PERMANENT, DB_ERR_MISUSE, "MISUSE");
}

static void
test_pg_codes(void)
{
	pg_is("40001", DB_CLASS_TRANSIENT, DB_ERR_BUSY, "serialization_failure");
	pg_is("40P01", DB_CLASS_TRANSIENT, DB_ERR_BUSY, "deadlock_detected");
	pg_is("55P03", DB_CLASS_TRANSIENT, DB_ERR_BUSY, "lock_not_available");
	pg_is("57014", DB_CLASS_TRANSIENT, DB_ERR_TIMEOUT, "query_canceled (statement_timeout)");
	pg_is("25P03", DB_CLASS_TRANSIENT, DB_ERR_TIMEOUT, "idle_in_transaction_session_timeout");
	pg_is("08006", DB_CLASS_TRANSIENT, DB_ERR_CONNECTION, "connection_failure");
	pg_is("08001", DB_CLASS_TRANSIENT, DB_ERR_CONNECTION, "sqlclient_unable_to_establish");
	pg_is("57P01", DB_CLASS_TRANSIENT, DB_ERR_CONNECTION, "admin_shutdown");
	pg_is("57P03", DB_CLASS_TRANSIENT, DB_ERR_CONNECTION, "cannot_connect_now");
	pg_is("53100", DB_CLASS_DISK_FULL, DB_ERR_DISK_FULL, "disk_full");
	pg_is("53200", DB_CLASS_TRANSIENT, DB_ERR_RESOURCES, "out_of_memory");
	pg_is("53300", DB_CLASS_TRANSIENT, DB_ERR_RESOURCES, "too_many_connections");
	pg_is("25006", DB_CLASS_TRANSIENT, DB_ERR_READONLY, "read_only_sql_transaction");
	pg_is("23505", DB_CLASS_CONSTRAINT, DB_ERR_UNIQUE, "unique_violation");
	pg_is("23503", DB_CLASS_CONSTRAINT, DB_ERR_FOREIGN_KEY, "foreign_key_violation");
	pg_is("23502", DB_CLASS_CONSTRAINT, DB_ERR_CONSTRAINT, "not_null_violation");
	pg_is("23514", DB_CLASS_CONSTRAINT, DB_ERR_CONSTRAINT, "check_violation");
	pg_is("42601", DB_CLASS_PERMANENT, DB_ERR_OTHER, "syntax_error");
	pg_is("42P01", DB_CLASS_PERMANENT, DB_ERR_OTHER, "undefined_table");
	pg_is("XX001", DB_CLASS_PERMANENT, DB_ERR_OTHER, "data_corrupted");
	pg_is("40002", DB_CLASS_PERMANENT, DB_ERR_OTHER, "transaction_integrity_constraint_violation");
	pg_is(NULL, DB_CLASS_PERMANENT, DB_ERR_OTHER, "no SQLSTATE");
}

static void
answer_is(enum db_errclass cls, enum db_errkind kind, int status, int retry, const char *what)
{
	struct db_error e = { .cls = cls, .kind = kind };
	struct db_answer a = db_answer_for(&e);
	ok(a.status == status && (a.retry_after > 0) == retry && a.detail && *a.detail,
	   "%s -> %d%s \"%s\"", what, a.status, a.retry_after ? " with Retry-After" : "",
	   a.detail ? a.detail : "");
}

static void
test_http_mapping(void)
{
	answer_is(DB_CLASS_TRANSIENT, DB_ERR_BUSY, 503, 1, "busy");
	answer_is(DB_CLASS_TRANSIENT, DB_ERR_TIMEOUT, 503, 1, "timeout");
	answer_is(DB_CLASS_TRANSIENT, DB_ERR_CONNECTION, 503, 1, "connection lost");
	answer_is(DB_CLASS_TRANSIENT, DB_ERR_READONLY, 503, 1, "read-only");
	answer_is(DB_CLASS_TRANSIENT, DB_ERR_RESOURCES, 503, 1, "overloaded");
	answer_is(DB_CLASS_CONSTRAINT, DB_ERR_UNIQUE, 409, 0, "unique");
	answer_is(DB_CLASS_CONSTRAINT, DB_ERR_FOREIGN_KEY, 409, 0, "foreign key");
	answer_is(DB_CLASS_CONSTRAINT, DB_ERR_CONSTRAINT, 422, 0, "other constraint");
	answer_is(DB_CLASS_DISK_FULL, DB_ERR_DISK_FULL, 507, 1, "disk full");
	answer_is(DB_CLASS_PERMANENT, DB_ERR_OTHER, 500, 0, "permanent");
	answer_is(DB_CLASS_NONE, DB_ERR_NONE, 500, 0, "no error recorded");
	struct db_error full = { .cls = DB_CLASS_DISK_FULL, .kind = DB_ERR_DISK_FULL };
	ok(strstr(db_answer_for(&full).detail, "disk full") != NULL, "disk full says so");
}

/* Another connection holds the write lock longer than the busy timeout:
 * the writer gets a transient error naming SQLite's SQLITE_BUSY. */
static void
test_sqlite_busy(void)
{
	char dir[] = "/tmp/pipelit-db-errors-XXXXXX";
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	char url[160], path[128];
	snprintf(path, sizeof(path), "%s/busy.db", dir);
	snprintf(url, sizeof(url), "sqlite:///%s", path);
	setenv("PIPELIT_SQLITE_BUSY_TIMEOUT_MS", "100", 1);
	char *err = NULL;
	struct db *holder = db_open_create(url, &err);
	struct db *writer = holder ? db_open(url, &err) : NULL;
	ok(holder && writer, "two handles: %s", err ? err : "ok");
	free(err);
	if (holder && writer) {
		db_exec(holder, "CREATE TABLE t (x INTEGER)");
		is_int(db_begin_write(holder), 0, "one handle takes the write lock");
		is_int(db_begin_write(writer), -1, "the other gives up after the busy timeout");
		const struct db_error *e = db_last_error(writer);
		is_int(e->cls, DB_CLASS_TRANSIENT, "class transient");
		is_int(e->kind, DB_ERR_BUSY, "kind busy");
		is_str(e->code, "5", "code SQLITE_BUSY");
		ok(strstr(e->message, "locked") != NULL, "SQLite's message: %s", e->message);
		is_int(db_answer_for(e).status, 503, "answered 503");
		db_rollback(holder);
		is_int(db_begin_write(writer), 0, "once released, the writer gets the lock");
		db_rollback(writer);
	}
	db_close(writer);
	db_close(holder);
	unsetenv("PIPELIT_SQLITE_BUSY_TIMEOUT_MS");
	char rm[256];
	snprintf(rm, sizeof(rm), "rm -rf %s", dir);
	if (system(rm) != 0)
		ok(0, "cleanup");
}

int
main(void)
{
	test_sqlite_codes();
	test_pg_codes();
	test_http_mapping();
	test_sqlite_busy();
	return done_testing();
}
