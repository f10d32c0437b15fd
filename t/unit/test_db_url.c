/* test_db_url.c: DATABASE_URL parsing in every SQLAlchemy form we accept. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "db/db.h"

static void
test_sqlite_forms(void)
{
	struct db_url u;
	char *err = NULL;
	ok(db_url_parse("sqlite:///data/db.sqlite3", &u, &err) == 0, "relative sqlite URL");
	is_int(u.backend, DB_SQLITE, "backend is sqlite");
	is_str(u.path, "data/db.sqlite3", "three slashes: relative path");
	db_url_free(&u);

	ok(db_url_parse("sqlite:////var/lib/pipelit/db.sqlite3", &u, &err) == 0,
	   "absolute sqlite URL");
	is_str(u.path, "/var/lib/pipelit/db.sqlite3", "four slashes: absolute path");
	db_url_free(&u);

	ok(db_url_parse("sqlite://", &u, &err) == 0, "sqlite:// parses");
	is_str(u.path, ":memory:", "sqlite:// is an in-memory database");
	db_url_free(&u);

	ok(db_url_parse("sqlite:///:memory:", &u, &err) == 0, "sqlite:///:memory: parses");
	is_str(u.path, ":memory:", "explicit :memory:");
	db_url_free(&u);

	ok(db_url_parse("sqlite+pysqlite:///x.db", &u, &err) == 0 && u.backend == DB_SQLITE,
	   "driver suffix on sqlite is accepted");
	db_url_free(&u);

	ok(db_url_parse("sqlite://host/x.db", &u, &err) != 0, "sqlite URL with a host is refused");
	ok(err && strncmp(err, "invalid DATABASE_URL: ", 22) == 0, "message prefix: %s", err);
	free(err);
}

static void
test_postgres_forms(void)
{
	struct db_url u;
	char *err = NULL;
	ok(db_url_parse("postgresql://alice:secret@db.example:5433/pipelit", &u, &err) == 0,
	   "full postgresql URL");
	is_int(u.backend, DB_POSTGRES, "backend is postgres");
	is_str(u.user, "alice", "user");
	is_str(u.password, "secret", "password");
	is_str(u.host, "db.example", "host");
	is_int(u.port, 5433, "port");
	is_str(u.dbname, "pipelit", "database");
	ok(u.conninfo && strstr(u.conninfo, "host='db.example'") &&
		   strstr(u.conninfo, "port='5433'") && strstr(u.conninfo, "user='alice'") &&
		   strstr(u.conninfo, "password='secret'") && strstr(u.conninfo, "dbname='pipelit'"),
	   "conninfo carries every part: %s", u.conninfo ? "yes" : "no");
	db_url_free(&u);

	ok(db_url_parse("postgres://bob@localhost/app", &u, &err) == 0, "postgres:// alias");
	is_str(u.user, "bob", "user without password");
	ok(u.password == NULL, "no password");
	is_int(u.port, 0, "no port");
	db_url_free(&u);

	ok(db_url_parse("postgresql+psycopg2://u:p@h/d", &u, &err) == 0 &&
		   u.backend == DB_POSTGRES,
	   "postgresql+psycopg2:// alias");
	db_url_free(&u);

	ok(db_url_parse("postgresql://us%40er:p%3Aa%2Fss%40w@h/d%20b", &u, &err) == 0,
	   "percent-encoded parts");
	is_str(u.user, "us@er", "user is percent-decoded");
	is_str(u.password, "p:a/ss@w", "password is percent-decoded");
	is_str(u.dbname, "d b", "database name is percent-decoded");
	db_url_free(&u);

	ok(db_url_parse("postgresql://u:it's\\x@h/d", &u, &err) == 0, "quotes in a password");
	ok(strstr(u.conninfo, "password='it\\'s\\\\x'") != NULL, "conninfo escapes ' and \\: %s",
	   strstr(u.conninfo, "password="));
	db_url_free(&u);

	ok(db_url_parse("postgresql://u:p@h/d?sslmode=require&application_name=a%20b", &u,
			&err) == 0,
	   "query string");
	is_str(u.dbname, "d", "database stops at '?'");
	ok(strstr(u.conninfo, "sslmode='require'") && strstr(u.conninfo, "application_name='a b'"),
	   "query parameters go to libpq");
	db_url_free(&u);

	ok(db_url_parse("postgresql://u@[::1]:6543/d", &u, &err) == 0, "IPv6 host");
	is_str(u.host, "::1", "brackets removed");
	is_int(u.port, 6543, "port after IPv6 host");
	db_url_free(&u);

	ok(db_url_parse("postgresql:///d?host=/var/run/postgresql", &u, &err) == 0,
	   "unix socket via ?host=");
	ok(u.host == NULL && strstr(u.conninfo, "host='/var/run/postgresql'"),
	   "socket directory in conninfo");
	db_url_free(&u);

	ok(db_url_parse("postgresql://", &u, &err) == 0, "bare postgresql:// uses libpq defaults");
	db_url_free(&u);
}

/* The password must never appear in an error, however the URL is broken. */
static void
expect_error(const char *url, const char *secret, const char *what)
{
	struct db_url u;
	char *err = NULL;
	int rc = db_url_parse(url, &u, &err);
	ok(rc != 0 && err != NULL, "%s is refused", what);
	ok(err && strncmp(err, "invalid DATABASE_URL: ", 22) == 0, "  message: %s",
	   err ? err : "(none)");
	ok(err && (secret == NULL || strstr(err, secret) == NULL), "  message hides the secret");
	free(err);
}

static void
test_errors(void)
{
	expect_error("mysql://u:hunter2@h/d", "hunter2", "unsupported scheme");
	expect_error("postgresql://u:hunter2@h:port/d", "hunter2", "non-numeric port");
	expect_error("postgresql://u:hunter2@h:70000/d", "hunter2", "port out of range");
	expect_error("postgresql://u:hun/ter2@h/d", "hun", "password with an unescaped '/'");
	expect_error("postgresql://u:hunter2%zz@h/d", "hunter2", "bad percent-encoding");
	expect_error("postgresql://u:hunter2%00@h/d", "hunter2", "encoded NUL");
	expect_error("postgresql://u:hunter2@h/d?sslmode", "hunter2", "query without '='");
	expect_error("u:hunter2@h/d", "hunter2", "no scheme");
	expect_error("", NULL, "empty URL");

	char *err = NULL;
	struct db *db = db_open("postgresql://u:hunter2@h:bad/d", &err);
	ok(db == NULL && err && strstr(err, "hunter2") == NULL,
	   "db_open passes the parse error on: %s", err ? err : "(none)");
	free(err);
}

int
main(void)
{
	test_sqlite_forms();
	test_postgres_forms();
	test_errors();
	return done_testing();
}
