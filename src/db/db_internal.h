/*
 * db_internal.h: what db.c shares with the two backends.
 *
 * db.c owns the parts common to both (the statement cache, statement
 * states, the error buffer) and dispatches everything else through a
 * struct db_ops.  Each backend embeds struct db and struct db_stmt as the
 * first member of its own handle and statement structs, so a pointer to
 * one is a pointer to the other.
 */
#ifndef PIPELIT_DB_INTERNAL_H
#define PIPELIT_DB_INTERNAL_H

#include <stdint.h>

#include "db/db.h"
#include "db/db_health.h"

/* Where a statement is in its life; db.c keeps this so both backends
 * behave alike (stepping a finished statement, binding after a run). */
enum db_stmt_state {
	STMT_IDLE = 0,   /* freshly prepared or reset; may carry bindings */
	STMT_ROWS,       /* executed, positioned on a row */
	STMT_DONE,       /* executed to the end */
	STMT_FAILED,     /* the last execution failed */
};

struct db_stmt {
	struct db *db;
	char *sql;               /* owned; the cache key */
	uint32_t hash;
	struct db_stmt *next;    /* next statement in the same cache bucket */
	enum db_stmt_state state;
};

struct db_ops {
	/* Handle: open allocates the backend's struct (embedding struct db). */
	/* create: an SQLite file (and its directory) that does not exist is
	 * created; otherwise that is an error naming the file. */
	struct db *(*open)(const struct db_url *u, int create, char **err);
	void (*close)(struct db *db);
	int (*exec)(struct db *db, const char *sql);
	int (*begin)(struct db *db, int write);
	int (*commit)(struct db *db);
	int (*rollback)(struct db *db);
	int (*in_transaction)(const struct db *db);

	/* Statements: prepare allocates the backend's struct (embedding
	 * struct db_stmt); db.c fills in the common part. */
	struct db_stmt *(*prepare)(struct db *db, const char *sql);
	void (*finalize)(struct db_stmt *st);
	/* Forgets the last execution but keeps the bindings. */
	void (*rewind)(struct db_stmt *st);
	/* Forgets the last execution and the bindings. */
	void (*reset)(struct db_stmt *st);

	int (*bind_null)(struct db_stmt *st, int idx);
	int (*bind_int64)(struct db_stmt *st, int idx, int64_t v);
	int (*bind_double)(struct db_stmt *st, int idx, double v);
	int (*bind_bool)(struct db_stmt *st, int idx, int v);
	int (*bind_text)(struct db_stmt *st, int idx, const char *s, size_t len);
	int (*bind_blob)(struct db_stmt *st, int idx, const void *p, size_t len);

	int (*step)(struct db_stmt *st);
	/* Optional (db_step_later): sends st inside the open transaction
	 * without waiting for its answer.  0 or -1. */
	int (*step_later)(struct db_stmt *st);
	/* Optional (db_step_commit_int64): runs st and commits the open
	 * transaction together; 0 (st's rows readable by step), -1 (rolled
	 * back), 1 (nothing done: the caller steps and commits). */
	int (*step_commit)(struct db_stmt *st);
	int (*column_count)(struct db_stmt *st);
	const char *(*column_name)(struct db_stmt *st, int col);
	int (*column_is_null)(struct db_stmt *st, int col);
	const char *(*column_text)(struct db_stmt *st, int col);
	size_t (*column_bytes)(struct db_stmt *st, int col);
	int64_t (*column_int64)(struct db_stmt *st, int col);
	/* Optional: text and length without a NUL (db_column_text_n). */
	const char *(*column_text_n)(struct db_stmt *st, int col, size_t *len);
	/* Optional: 1/0 for a column the backend can read as a boolean without
	 * text, -1 to fall back to db_column_bool's reading of the text. */
	int (*column_bool)(struct db_stmt *st, int col);
	double (*column_double)(struct db_stmt *st, int col);
	int64_t (*changes)(struct db_stmt *st);
	/* One round trip: whether the database answers and takes writes. */
	enum db_health (*health)(struct db *db);
	/* db_make_durable. */
	int (*make_durable)(struct db *db);
	/* Optional (db_warm_up). */
	int (*warm_up)(struct db *db);
};

struct db {
	const struct db_ops *ops;
	enum db_backend backend;
	struct db_error err;         /* the last error (db.h) */
	/* db_test_fail_after_next_commit: 1 armed, 2 the next step fails */
	int test_fault;
	struct db_stmt **buckets;    /* owned; the statement cache */
	size_t nbuckets, nstmts;
	/* The handle cannot serve writes as it is (opened read-only, the
	 * file replaced under it): its owner closes and reopens it before
	 * the next use (db_needs_reopen). */
	int needs_reopen;
	/* db_set_commit_durable(db, 0) is in force: the backends read it
	 * when a transaction begins (PostgreSQL) or commits (SQLite). */
	int lazy_commits;
};

extern const struct db_ops db_sqlite_ops;
extern const struct db_ops db_pg_ops;

/* Records an error of this layer's own (misuse, a lost connection noticed
 * here): the class follows from the kind, the code is empty.  The text is
 * truncated to fit and flattened to one line. */
void db_set_error(struct db *db, enum db_errkind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Records a backend's error: class, kind and code from classified (filled
 * by db_sqlite_classify or db_pg_classify), the text from fmt. */
void db_set_backend_error(struct db *db, const struct db_error *classified, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void db_clear_error(struct db *db);

/* The class every kind belongs to. */
enum db_errclass db_errkind_class(enum db_errkind kind);

/* Initialises the common part of a freshly allocated handle. */
void db_init_common(struct db *db, const struct db_ops *ops, enum db_backend backend);

/* A small random delay for retry loops, growing with the attempt number
 * (capped); randomised so contending processes spread out. */
void db_backoff_sleep(unsigned attempt);
/* A random sleep in [min_us, max_us) (salt varies it between callers). */
void db_sleep_between_us(long min_us, long max_us, unsigned salt);

/* PostgreSQL's notifications (db.h db_listen and friends). */
int db_pg_listen(struct db *db, const char *channel);
int db_pg_socket(struct db *db);
int db_pg_drain_notifies(struct db *db);
int db_pg_take_notifies(struct db *db);
void db_pg_on_notify(struct db *db, const char *channel,
		     void (*fn)(const char *payload, void *arg), void *arg);

#endif
