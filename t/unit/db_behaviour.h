/*
 * db_behaviour.h: the behaviours both backends must share, run by
 * test_db_sqlite.c and test_db_pg.c against a handle of each kind.  The
 * SQL here is the shared dialect of doc/dialect.md; only the id column's
 * type differs.
 */
#ifndef PIPELIT_TEST_DB_BEHAVIOUR_H
#define PIPELIT_TEST_DB_BEHAVIOUR_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "db/db.h"

static const char *
id_column(struct db *db)
{
	return db_backend_of(db) == DB_SQLITE ? "INTEGER PRIMARY KEY" : "SERIAL PRIMARY KEY";
}

static const char *
blob_type(struct db *db)
{
	return db_backend_of(db) == DB_SQLITE ? "BLOB" : "BYTEA";
}

static const char *
timestamp_type(struct db *db)
{
	return db_backend_of(db) == DB_SQLITE ? "TEXT" : "TIMESTAMP(6) WITHOUT TIME ZONE";
}

static void
behaviour_schema(struct db *db)
{
	char sql[1024];
	db_exec(db, "DROP TABLE IF EXISTS items; DROP TABLE IF EXISTS owners");
	snprintf(sql, sizeof(sql),
		 "CREATE TABLE owners (id %s, name TEXT NOT NULL UNIQUE);"
		 "CREATE TABLE items (id %s, owner_id INTEGER NOT NULL REFERENCES owners(id),"
		 " name TEXT NOT NULL, qty BIGINT, price DOUBLE PRECISION, flag BOOLEAN,"
		 " data %s, created_at %s)",
		 id_column(db), id_column(db), blob_type(db), timestamp_type(db));
	is_int(db_exec(db, sql), 0, "schema created: %s", db_errmsg(db));
}

static int64_t
insert_owner(struct db *db, const char *name)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO owners (name) VALUES (?) RETURNING id");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, name, -1);
	int64_t id = db_step(st) == DB_ROW ? db_column_int64(st, 0) : -1;
	db_reset(st);
	return id;
}

static int64_t
count_rows(struct db *db, const char *table)
{
	char sql[128];
	int64_t n = -1;
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", table);
	if (db_query_int64(db, sql, &n) != 0)
		return -1;
	return n;
}

static void
behaviour_returning_and_changes(struct db *db)
{
	int64_t a = insert_owner(db, "alice");
	int64_t b = insert_owner(db, "bob");
	ok(a > 0 && b > a, "INSERT ... RETURNING id gives increasing ids (%lld, %lld)",
	   (long long)a, (long long)b);

	struct db_stmt *st = db_prepare(db, "INSERT INTO owners (name) VALUES (?) RETURNING id");
	db_bind_text(st, 1, "alice", -1);
	is_int(db_step(st), DB_ERROR, "duplicate name fails");
	is_int(db_error_kind(db), DB_ERR_UNIQUE, "reported as a unique violation: %s",
	       db_errmsg(db));
	ok(strlen(db_errmsg(db)) > 0, "with a message");
	db_reset(st);

	st = db_prepare(db, "UPDATE owners SET name = name || ? WHERE id >= ?");
	db_bind_text(st, 1, "!", -1);
	db_bind_int64(st, 2, a);
	is_int(db_step(st), DB_DONE, "UPDATE runs");
	is_int(db_changes(st), 2, "db_changes counts the updated rows");
	db_reset(st);

	st = db_prepare(db, "SELECT name FROM owners WHERE lower(name) = lower(?)");
	db_bind_text(st, 1, "ALICE!", -1);
	ok(db_step(st) == DB_ROW && strcmp(db_column_text(st, 0), "alice!") == 0,
	   "|| concatenation and lower() match");
	is_int(db_step(st), DB_DONE, "one row only");
	is_int(db_step(st), DB_DONE, "stepping a finished statement stays done");
	db_reset(st);
}

static void
behaviour_types(struct db *db)
{
	int64_t owner = insert_owner(db, "types");
	struct db_stmt *st = db_prepare(
		db, "INSERT INTO items (owner_id, name, qty, price, flag, data, created_at)"
		    " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id");
	ok(st != NULL, "insert prepared: %s", db_errmsg(db));
	static const unsigned char bytes[] = { 0, 1, 2, 0xff, 0x5c, 'x' };
	db_bind_int64(st, 1, owner);
	db_bind_text(st, 2, "widget-and-more", 6);
	db_bind_int64(st, 3, INT64_C(9007199254740993));
	db_bind_double(st, 4, 2.5);
	db_bind_bool(st, 5, 1);
	db_bind_blob(st, 6, bytes, sizeof(bytes));
	db_bind_text(st, 7, "2026-02-17 23:18:00.123456", -1);
	is_int(db_step(st), DB_ROW, "insert with every type: %s", db_errmsg(db));
	int64_t id = db_column_int64(st, 0);
	db_reset(st);

	/* The same statement again, NULLs everywhere they are allowed. */
	st = db_prepare(db, "INSERT INTO items (owner_id, name, qty, price, flag, data, created_at)"
			    " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id");
	db_bind_int64(st, 1, owner);
	db_bind_text(st, 2, "empty", -1);
	db_bind_null(st, 3);
	db_bind_null(st, 4);
	db_bind_bool(st, 5, 0);
	db_bind_text(st, 6, NULL, -1);
	is_int(db_step(st), DB_ROW, "insert with NULLs (7th left unbound): %s", db_errmsg(db));
	int64_t id2 = db_column_int64(st, 0);
	db_reset(st);

	st = db_prepare(db, "SELECT id, name, qty, price, flag, data, created_at FROM items"
			    " WHERE id = ?");
	db_bind_int64(st, 1, id);
	is_int(db_step(st), DB_ROW, "row found");
	is_int(db_column_count(st), 7, "seven columns");
	is_str(db_column_name(st, 1), "name", "column name");
	is_str(db_column_text(st, 1), "widget", "text bound with a length");
	is_int(db_column_bytes(st, 1), 6, "text length");
	ok(db_column_int64(st, 2) == INT64_C(9007199254740993), "int64 round trip");
	ok(db_column_double(st, 3) == 2.5, "double round trip");
	is_int(db_column_bool(st, 4), 1, "bool true round trip");
	is_int(db_column_bytes(st, 5), sizeof(bytes), "blob length");
	ok(db_column_text(st, 5) && memcmp(db_column_text(st, 5), bytes, sizeof(bytes)) == 0,
	   "blob bytes round trip");
	ok(db_column_text(st, 6) && strncmp(db_column_text(st, 6), "2026-02-17 23:18:00.123456",
					    26) == 0,
	   "timestamp text round trip: %s", db_column_text(st, 6));
	size_t n = 99;
	const char *t = db_column_text_n(st, 1, &n);
	ok(t != NULL && n == 6 && memcmp(t, "widget", 6) == 0, "text with its length");
	t = db_column_text_n(st, 2, &n);
	ok(t != NULL && n == 16 && memcmp(t, "9007199254740993", 16) == 0,
	   "an integer column as text with its length");
	ok(!db_column_is_null(st, 2), "non-NULL is not NULL");
	ok(db_column_text(st, 99) == NULL && db_column_int64(st, -1) == 0,
	   "out-of-range columns read as NULL/0");
	is_int(db_step(st), DB_DONE, "then done");

	/* Rebinding after a run works without an explicit reset. */
	db_bind_int64(st, 1, id2);
	is_int(db_step(st), DB_ROW, "rebinding runs the statement again");
	ok(db_column_is_null(st, 2) && db_column_is_null(st, 3) && db_column_is_null(st, 5) &&
		   db_column_is_null(st, 6),
	   "NULLs read back as NULL");
	ok(db_column_text(st, 2) == NULL && db_column_int64(st, 2) == 0, "NULL text is NULL");
	n = 99;
	ok(db_column_text_n(st, 2, &n) == NULL && n == 0, "NULL text with a length is NULL, 0");
	db_reset(st);

	st = db_prepare(db, "SELECT '', 'x'");
	is_int(db_step(st), DB_ROW, "empty text selected");
	t = db_column_text_n(st, 0, &n);
	ok(t != NULL && n == 0, "empty text with a length is \"\", not NULL");
	is_int(db_column_bool(st, 4), 0, "bool false round trip");
	db_reset(st);

	st = db_prepare(db, "SELECT TRUE, FALSE, 1 = 1");
	is_int(db_step(st), DB_ROW, "boolean literals: %s", db_errmsg(db));
	ok(db_column_bool(st, 0) == 1 && db_column_bool(st, 1) == 0 && db_column_bool(st, 2) == 1,
	   "TRUE/FALSE literals and comparisons read with db_column_bool");
	db_reset(st);

	st = db_prepare(db, "SELECT COUNT(*) FROM items WHERE flag = ?");
	db_bind_bool(st, 1, 1);
	ok(db_step(st) == DB_ROW && db_column_int64(st, 0) == 1, "bound boolean compares: %s",
	   db_errmsg(db));
	db_reset(st);
}

static void
behaviour_foreign_keys(struct db *db)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO items (owner_id, name) VALUES (?, ?)");
	db_bind_int64(st, 1, 999999);
	db_bind_text(st, 2, "orphan", -1);
	is_int(db_step(st), DB_ERROR, "foreign keys are enforced");
	is_int(db_error_kind(db), DB_ERR_FOREIGN_KEY, "reported as a foreign-key error: %s",
	       db_errmsg(db));
	db_reset(st);
	st = db_prepare(db, "INSERT INTO items (owner_id, name) VALUES (?, ?)");
	db_bind_text(st, 2, "no owner", -1);
	is_int(db_step(st), DB_ERROR, "NOT NULL is enforced");
	is_int(db_error_kind(db), DB_ERR_CONSTRAINT, "reported as a constraint error");
	db_reset(st);
}

static void
behaviour_cache(struct db *db)
{
	struct db_stmt *a = db_prepare(db, "SELECT name FROM owners ORDER BY id");
	ok(a != NULL, "prepared");
	db_reset(a);
	struct db_stmt *b = db_prepare(db, "SELECT name FROM owners ORDER BY id");
	ok(a == b, "the same SQL gives the cached statement");

	is_int(db_step(a), DB_ROW, "outer iteration on a row");
	struct db_stmt *c = db_prepare(db, "SELECT name FROM owners ORDER BY id");
	ok(c != NULL && c != a, "a statement still on a row is not handed out twice");
	int inner = 0;
	while (db_step(c) == DB_ROW)
		inner++;
	int outer = 1;
	while (db_step(a) == DB_ROW)
		outer++;
	ok(inner == outer && inner >= 3, "nested use of the same SQL (%d, %d rows)", inner, outer);
	db_reset(a);
	db_reset(c);

	ok(db_prepare(db, "SELEKT nonsense") == NULL, "bad SQL fails to prepare");
	ok(strlen(db_errmsg(db)) > 0, "with a message: %s", db_errmsg(db));
	ok(db_prepare(db, "SELECT 1") != NULL && db_errmsg(db)[0] == '\0',
	   "a later success clears the error");

	int64_t v = 0;
	is_int(db_query_int64(db, "SELECT 41 + 1", &v), 0, "db_query_int64");
	is_int(v, 42, "value");
	is_int(db_query_int64(db, "SELECT 1 FROM owners WHERE 1 = 0", &v), 1, "no row is 1");
	is_int(db_ping(db), 0, "db_ping");

	struct db_stmt *st = db_prepare(db, "SELECT name FROM owners ORDER BY id LIMIT ? OFFSET ?");
	db_bind_int64(st, 1, 1);
	db_bind_int64(st, 2, 1);
	ok(db_step(st) == DB_ROW && strcmp(db_column_text(st, 0), "bob!") == 0,
	   "LIMIT ? OFFSET ?");
	db_reset(st);
	struct db_stmt *bad = db_prepare(db, "SELECT ?");
	ok(bad && db_bind_int64(bad, 2, 1) != 0, "binding past the last parameter fails");
	db_reset(bad);
}

static void
behaviour_upsert(struct db *db)
{
	db_exec(db, "DROP TABLE IF EXISTS kv");
	is_int(db_exec(db, "CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)"), 0, "kv table");
	const char *sql = "INSERT INTO kv (k, v) VALUES (?, ?)"
			  " ON CONFLICT (k) DO UPDATE SET v = excluded.v";
	for (int i = 0; i < 2; i++) {
		struct db_stmt *st = db_prepare(db, sql);
		db_bind_text(st, 1, "key", -1);
		db_bind_text(st, 2, i ? "second" : "first", -1);
		is_int(db_step(st), DB_DONE, "upsert %d: %s", i, db_errmsg(db));
		db_reset(st);
	}
	struct db_stmt *st = db_prepare(db, "SELECT v FROM kv WHERE k = ?");
	db_bind_text(st, 1, "key", -1);
	ok(db_step(st) == DB_ROW && strcmp(db_column_text(st, 0), "second") == 0,
	   "ON CONFLICT DO UPDATE keeps the newer value");
	db_reset(st);
}

static void
behaviour_transactions(struct db *db)
{
	int64_t before = count_rows(db, "owners");
	is_int(db_begin_write(db), 0, "begin write");
	ok(db_in_transaction(db), "in a transaction");
	is_int(db_begin(db), -1, "nested begin is an error");
	is_int(db_error_kind(db), DB_ERR_MISUSE, "reported as misuse");
	insert_owner(db, "temp1");
	insert_owner(db, "temp2");
	is_int(count_rows(db, "owners"), before + 2, "rows visible inside the transaction");
	is_int(db_rollback(db), 0, "rollback");
	ok(!db_in_transaction(db), "no longer in a transaction");
	is_int(count_rows(db, "owners"), before, "rollback leaves nothing");

	is_int(db_begin(db), 0, "begin (read)");
	insert_owner(db, "kept");
	is_int(db_commit(db), 0, "commit");
	is_int(count_rows(db, "owners"), before + 1, "commit keeps the row");
	is_int(db_commit(db), -1, "commit without a transaction is an error");
	is_int(db_rollback(db), 0, "rollback without a transaction is harmless");
}

/* A failure inside a transaction is still described after the rollback
 * that cleans up after it: that description is what gets logged and
 * answered (it used to be cleared by the rollback, leaving empty logs). */
static void
behaviour_error_survives_rollback(struct db *db)
{
	insert_owner(db, "taken");
	is_int(db_begin_write(db), 0, "begin write");
	struct db_stmt *st = db_prepare(db, "INSERT INTO owners (name) VALUES (?) RETURNING id");
	db_bind_text(st, 1, "taken", -1);
	is_int(db_step(st), DB_ERROR, "a duplicate fails inside the transaction");
	db_reset(st);
	is_int(db_abandon(db), DB_FAILED, "db_abandon answers DB_FAILED");
	ok(!db_in_transaction(db), "and rolled the transaction back");
	const struct db_error *e = db_last_error(db);
	is_int(e->cls, DB_CLASS_CONSTRAINT, "the error is still there: class constraint");
	is_int(e->kind, DB_ERR_UNIQUE, "kind unique");
	is_str(e->code, db_backend_of(db) == DB_SQLITE ? "2067" : "23505",
	       "the backend's code (SQLITE_CONSTRAINT_UNIQUE / SQLSTATE 23505)");
	ok(strlen(e->message) > 0, "with the backend's message: %s", e->message);

	is_int(db_begin_write(db), 0, "begin write again");
	is_int(db_rollback(db), 0, "a rollback with no failure before it");
	is_int(db_error_class(db), DB_CLASS_NONE, "leaves no error");
}

/* db_step_commit_int64: the transaction's last statement and its COMMIT
 * together (one round trip on PostgreSQL), on both backends alike. */
static void
behaviour_step_commit(struct db *db)
{
	int64_t before = count_rows(db, "owners");
	const char *sql = "INSERT INTO owners (name) SELECT ? WHERE ? = 1 RETURNING id";
	is_int(db_begin_write(db), 0, "begin write");
	insert_owner(db, "with-commit-1");
	struct db_stmt *st = db_prepare(db, sql);
	db_bind_text(st, 1, "with-commit-2", -1);
	db_bind_int64(st, 2, 1);
	int64_t id = 0;
	is_int(db_step_commit_int64(st, &id), 1, "step and commit: a row");
	ok(id > 0, "with its id (%lld)", (long long)id);
	ok(!db_in_transaction(db), "the transaction is committed");
	is_int(count_rows(db, "owners"), before + 2, "with both rows");

	is_int(db_begin_write(db), 0, "begin write");
	st = db_prepare(db, sql);
	db_bind_text(st, 1, "not-inserted", -1);
	db_bind_int64(st, 2, 0);
	id = 0;
	is_int(db_step_commit_int64(st, &id), 0, "no row: 0");
	is_int(id, 0, "and no id");
	ok(!db_in_transaction(db), "committed all the same");

	is_int(db_begin_write(db), 0, "begin write");
	insert_owner(db, "rolled-back");
	st = db_prepare(db, sql);
	db_bind_text(st, 1, "with-commit-1", -1);   /* taken */
	db_bind_int64(st, 2, 1);
	is_int(db_step_commit_int64(st, &id), -1, "a failing statement: -1");
	is_int(db_error_kind(db), DB_ERR_UNIQUE, "its error on the handle: %s", db_errmsg(db));
	ok(!db_in_transaction(db), "the transaction is rolled back");
	is_int(count_rows(db, "owners"), before + 2, "without the write before it");
	ok(insert_owner(db, "after") > 0, "the handle goes on");
}

static void
run_behaviours(struct db *db)
{
	behaviour_schema(db);
	behaviour_returning_and_changes(db);
	behaviour_types(db);
	behaviour_foreign_keys(db);
	behaviour_cache(db);
	behaviour_upsert(db);
	behaviour_transactions(db);
	behaviour_error_survives_rollback(db);
	behaviour_step_commit(db);
}

#endif
