/*
 * db.h: the one backend-neutral database interface.
 *
 * Everything outside src/db/ talks to SQLite and PostgreSQL through this
 * header only; nothing else includes sqlite3.h or libpq-fe.h.
 *
 * SQL text is written once with '?' placeholders and runs on both
 * backends (the PostgreSQL backend rewrites '?' to $1, $2, ...).  The
 * dialect rules (booleans, timestamps, JSON, RETURNING, upserts) are in
 * doc/dialect.md.
 *
 * Ownership: a struct db is owned by the process (or thread) that opened
 * it and is never shared across fork() or threads.  Statements returned by
 * db_prepare() belong to the handle's statement cache: callers db_reset()
 * them when done and never free them; db_close() frees them all.
 */
#ifndef PIPELIT_DB_H
#define PIPELIT_DB_H

#include <stddef.h>
#include <stdint.h>

enum db_backend {
	DB_SQLITE = 1,
	DB_POSTGRES = 2,
};

/* Results of db_step(). */
enum db_step_result {
	DB_ERROR = -1,
	DB_DONE = 0,
	DB_ROW = 1,
};

/* A parsed DATABASE_URL (SQLAlchemy form). Strings are owned by the struct. */
struct db_url {
	enum db_backend backend;
	char *path;      /* SQLite: absolute or relative file path; ":memory:" allowed */
	char *conninfo;  /* PostgreSQL: a libpq conninfo string built from the URL */
	char *conninfo_public; /* the same without the password, for a command line
				  (pg_dump --dbname=...); the password goes in PGPASSWORD */
	char *host, *user, *password, *dbname;  /* PostgreSQL parts (may be NULL) */
	int port;        /* 0 when absent */
};

struct db;
struct db_stmt;

/*
 * Parses "sqlite:///relative", "sqlite:////absolute", "sqlite://" (memory),
 * "postgresql://user:pass@host:port/db" (also "postgres://" and
 * "postgresql+psycopg2://").  Returns 0, or -1 with a malloc'd message in
 * *err that names what is wrong (never echoing the password).
 */
int db_url_parse(const char *url, struct db_url *out, char **err);
void db_url_free(struct db_url *u);
/* The path of a file beside the SQLite database of url, "<file><suffix>"
 * (malloc'd): where every process of the host using that database finds
 * it.  NULL for PostgreSQL, an in-memory database or a URL that does not
 * parse. */
char *db_url_sibling(const char *url, const char *suffix);

/*
 * Opens a handle.  SQLite: turns on WAL, foreign keys and a busy timeout;
 * a file that does not exist is an error that names it and says how to
 * point at the right one (a command run from another directory must not
 * quietly create an empty database there).  PostgreSQL: connects with
 * libpq.  Returns NULL with a malloc'd message in *err on failure.
 */
struct db *db_open(const char *url, char **err);
/* The same, creating a missing SQLite file and its directory: only for
 * what may make a database ('serve', 'db upgrade', a 'db copy' target). */
struct db *db_open_create(const char *url, char **err);
/* What db_open says about a missing SQLite file (malloc'd), for commands
 * that look before they open. */
char *db_sqlite_missing_message(const char *path);
void db_close(struct db *db);

enum db_backend db_backend_of(const struct db *db);

/* The last error's message on this handle, never NULL (empty when there
 * was none); db_last_error() below has the whole description. */
const char *db_errmsg(const struct db *db);

/*
 * Runs one or more ';'-separated statements with no parameters and no
 * result rows (DDL, PRAGMA, SET ...).  0 on success, -1 on error.
 */
int db_exec(struct db *db, const char *sql);

/*
 * Transactions.  db_begin_write() takes the write lock up front (SQLite:
 * BEGIN IMMEDIATE, retried while another writer holds it, so callers never
 * see "database is locked"; PostgreSQL: plain BEGIN).  db_begin() is a
 * read transaction: every statement in it sees the same snapshot (SQLite:
 * deferred BEGIN in WAL mode; PostgreSQL: REPEATABLE READ).  Writing in it
 * works but is for neither backend what it is for: a write that meets a
 * concurrent one fails (SQLite: busy; PostgreSQL: a serialization error),
 * so writers use db_begin_write().  Nested calls are an error.
 */
int db_begin(struct db *db);
int db_begin_write(struct db *db);
int db_commit(struct db *db);
int db_rollback(struct db *db);
int db_in_transaction(const struct db *db);

/*
 * Prepares (or fetches from the handle's cache, keyed by the SQL text) a
 * statement.  Parameters are numbered from 1.  NULL on error.
 */
struct db_stmt *db_prepare(struct db *db, const char *sql);

int db_bind_null(struct db_stmt *st, int idx);
int db_bind_int64(struct db_stmt *st, int idx, int64_t v);
int db_bind_double(struct db_stmt *st, int idx, double v);
int db_bind_bool(struct db_stmt *st, int idx, int v);
/* The text is copied; len < 0 means NUL-terminated. */
int db_bind_text(struct db_stmt *st, int idx, const char *s, ptrdiff_t len);
int db_bind_blob(struct db_stmt *st, int idx, const void *p, size_t len);

/*
 * Executes on the first call and returns DB_ROW for each row, then DB_DONE;
 * DB_ERROR with db_errmsg() set.  On PostgreSQL a lost connection outside
 * a transaction is re-established and the statement retried once.
 */
int db_step(struct db_stmt *st);

int db_column_count(struct db_stmt *st);
const char *db_column_name(struct db_stmt *st, int col);
int db_column_is_null(struct db_stmt *st, int col);
int64_t db_column_int64(struct db_stmt *st, int col);
double db_column_double(struct db_stmt *st, int col);
/* Accepts 0/1, t/f, true/false. */
int db_column_bool(struct db_stmt *st, int col);
/* Valid until the next db_step/db_reset on the statement; NULL for SQL NULL. */
const char *db_column_text(struct db_stmt *st, int col);
size_t db_column_bytes(struct db_stmt *st, int col);
/* The column's text and its length, with no terminating NUL promised:
 * SQLite then hands out its own bytes instead of copying each value to
 * add one (renderers that take a length use this).  NULL for SQL NULL;
 * same lifetime as db_column_text. */
const char *db_column_text_n(struct db_stmt *st, int col, size_t *len);

/*
 * Runs st, a write whose rows and change count nobody reads, and resets
 * it (bindings are consumed, so it can be bound and run again at once).
 * Inside a transaction PostgreSQL sends it without waiting for its answer
 * (libpq's pipeline mode): the answers are read by the next call that
 * needs the server's (a db_step, db_commit, ...), and travel in that
 * call's round trip, so a completion's log rows, state and COMMIT cost one
 * round trip instead of one each.  A failure of a write sent this way is
 * reported by that later call, which then fails with the write's error;
 * the transaction is lost as after any failure (db_commit rolls it back).
 * Outside a transaction, and on SQLite, it runs now: 0, or -1 with the
 * error on the handle.
 */
int db_step_later(struct db_stmt *st);

/*
 * Runs st, the open transaction's last statement, which returns at most
 * one row whose first column is an integer (an INSERT ... RETURNING id),
 * and commits the transaction.  PostgreSQL sends both in one pipeline:
 * one round trip instead of two.  1 with *out set (a row), 0 (no row;
 * the transaction is committed all the same), -1 (failed: the transaction
 * is rolled back, the error on the handle).  st is reset.
 */
int db_step_commit_int64(struct db_stmt *st, int64_t *out);

/* Number of rows changed by the last INSERT/UPDATE/DELETE run by st. */
int64_t db_changes(struct db_stmt *st);

/* Clears bindings and results so the statement can be reused. */
void db_reset(struct db_stmt *st);

/* Convenience: runs a one-row one-column query ("SELECT 1"), returning the
 * int64 in *out; 0 on success, 1 when there is no row, -1 on error. */
int db_query_int64(struct db *db, const char *sql, int64_t *out);

/*
 * Whether the next commits on this handle wait for the disk (the default,
 * durable = 1).  0 asks for lazy commits, for writes whose loss costs
 * nothing but a repeat (an executor's claim on a job): they are visible at
 * once but may be lost to a power cut until a later durable commit, or
 * db_make_durable(), covers them.  SQLite then skips its wait for the
 * group's log sync, PostgreSQL commits with synchronous_commit off (set
 * with the BEGIN, no round trip of its own).  A flag of the handle: costs
 * nothing to change.  0 (-1 is never returned; kept for callers' checks).
 */
int db_set_commit_durable(struct db *db, int durable);

/*
 * The durability barrier: returns once every commit this handle made
 * (lazy ones included) would survive a power cut.  SQLite: the group's
 * log sync (no transaction, nothing written); PostgreSQL: one autocommit
 * statement that takes a transaction id, so its commit record is flushed
 * synchronously, and with it every earlier record of the log.  Not inside
 * a transaction.  0 or -1.
 */
int db_make_durable(struct db *db);

/*
 * For a long-lived handle (the pool's processes): has the server load what
 * it needs to know of every table of the schema and its indexes into this
 * session now, in one round trip, rather than in the first statements
 * that touch each one.  A new PostgreSQL session pays a few milliseconds
 * per table the first time (measured: a responder's first request 37 ms
 * against 7, the trigger writer's first trigger 25 ms against 3), so
 * without it the first burst after a start or a reconnect is the slowest.
 * Done again after a reconnect.  A no-op on SQLite.  0, or -1 with the
 * error set (the handle stays usable).
 */
int db_warm_up(struct db *db);

/*
 * Notifications (PostgreSQL LISTEN/NOTIFY; SQLite has none and these
 * return -1 and do nothing).  db_listen() subscribes the handle to channel
 * (kept across reconnects); db_notify_fd() is the descriptor to poll for
 * readability; db_drain_notifies() reads what arrived and returns how many
 * notifications there were (1 after a reconnect, since some may have been
 * missed), or -1 when the connection is gone.
 */
#define DB_LISTEN_MAX 4
int db_listen(struct db *db, const char *channel);
/* Notifications on channel (one listened to) go to fn with their payload,
 * and are not counted by db_drain_notifies(); fn gets NULL whenever the
 * connection was found lost, before it is re-established (some may have
 * been missed); that call may come from inside any call on the handle, so
 * fn only takes note.  The last call wins. */
void db_on_notify(struct db *db, const char *channel, void (*fn)(const char *payload, void *arg),
		  void *arg);
int db_notify_fd(struct db *db);
int db_drain_notifies(struct db *db);
/* The notifications libpq read already, with the answers to earlier
 * statements (a notification sent while the connection is busy comes
 * with the next answer, and leaves its socket with nothing to read): those
 * on the handled channel go to the handler now; the others are kept for
 * the next db_drain_notifies(), which counts them.  Reads nothing from the
 * socket (no system call).  Returns how many are kept (0 on SQLite). */
int db_take_notifies(struct db *db);

/* Cheap liveness check used by /health: 0 when the database answers. */
int db_ping(struct db *db);

/* Test helper for the '?' -> '$n' rewrite; returns malloc'd text. */
char *db_sql_to_postgres(const char *sql, int *nparams);

/*
 * Errors.  Every failure on a handle is described by one struct db_error:
 * what the backend said (its code and message) and what it means for the
 * caller (a class).  The backends classify (db_sqlite.c, db_pg.c); the
 * HTTP layer maps classes to statuses in one place (http/answer.c); models
 * pass failures up as DB_FAILED and never log or re-describe them.
 *
 * The error stays on the handle until the next operation that can fail
 * replaces it; db_rollback() and db_abandon() keep the error they roll
 * back from, so it can still be reported after the cleanup.
 */

/* What a failure means for whoever asked. */
enum db_errclass {
	DB_CLASS_NONE = 0,
	DB_CLASS_TRANSIENT,   /* worth retrying later: busy, lock or statement timeout,
			       * connection lost, server starting or stopping, read-only */
	DB_CLASS_CONSTRAINT,  /* the change conflicts with what is stored */
	DB_CLASS_DISK_FULL,   /* no space left: retrying helps once space is freed */
	DB_CLASS_PERMANENT,   /* a bug or a broken database: retrying will not help */
};

/* The finer kind, for callers that turn one of them into a domain outcome
 * (a unique violation into "slug taken"). */
enum db_errkind {
	DB_ERR_NONE = 0,
	DB_ERR_OTHER,
	DB_ERR_UNIQUE,        /* UNIQUE or PRIMARY KEY violated */
	DB_ERR_FOREIGN_KEY,
	DB_ERR_CONSTRAINT,    /* NOT NULL, CHECK and other constraints */
	DB_ERR_BUSY,          /* lock not obtained before the deadline; serialization */
	DB_ERR_CONNECTION,    /* PostgreSQL connection lost or server going away */
	DB_ERR_MISUSE,        /* bad index, nested transaction, ... */
	DB_ERR_TIMEOUT,       /* a statement or idle-transaction deadline passed */
	DB_ERR_READONLY,      /* the store cannot be written now */
	DB_ERR_DISK_FULL,     /* no space left on the device */
	DB_ERR_RESOURCES,     /* the server is short of memory or connections */
};

#define DB_ERROR_CODE_MAX 16
#define DB_ERROR_MESSAGE_MAX 512

struct db_error {
	enum db_errclass cls;
	enum db_errkind kind;
	/* The backend's code as text: SQLite's extended result code in
	 * decimal ("2067"), PostgreSQL's SQLSTATE ("23505"); "" when the
	 * failure came from this layer itself (misuse). */
	char code[DB_ERROR_CODE_MAX];
	/* One line; names tables and columns at most, never bound values. */
	char message[DB_ERROR_MESSAGE_MAX];
};

/* The handle's last error (class DB_CLASS_NONE when there was none). */
const struct db_error *db_last_error(const struct db *db);
enum db_errkind db_error_kind(const struct db *db);
enum db_errclass db_error_class(const struct db *db);
/* "transient", "constraint", "disk full", "permanent", "none". */
const char *db_errclass_name(enum db_errclass cls);

/* What model functions return, whatever their enum, when the database
 * failed: the description is on the handle. */
#define DB_FAILED (-1)

/* Gives up the open transaction, if any, keeping the error that made the
 * caller give up; returns DB_FAILED.  The one way a model function leaves
 * after a database failure: return db_abandon(db); */
int db_abandon(struct db *db);

/* Records on the handle a failure met on the way to the database (a
 * helper process that writes for the caller went quiet), of the given
 * kind, and gives up as db_abandon() does; returns DB_FAILED. */
int db_fail(struct db *db, enum db_errkind kind, const char *message);

/* Test hook (reached only through a PIPELIT_TEST_ROUTES route): after the
 * handle's next successful commit, its next statement fails once as if the
 * connection had been lost. */
void db_test_fail_after_next_commit(struct db *db);

/* Classification, exposed for tests: fills e's class and kind from a
 * backend's code.  Both are pure functions of the code. */
void db_sqlite_classify(int extended_rc, struct db_error *e);
void db_pg_classify(const char *sqlstate, struct db_error *e);

#endif
