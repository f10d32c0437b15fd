/*
 * db.c: the backend-neutral side of db.h: opening by URL, the statement
 * cache, statement states, errors, and dispatch to the backend's ops.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/db_internal.h"
#include "db/db_settings.h"
#include "util/log.h"
#include "util/xalloc.h"

#define CACHE_INITIAL_BUCKETS 64

/* ---- errors --------------------------------------------------------- */

enum db_errclass
db_errkind_class(enum db_errkind kind)
{
	switch (kind) {
	case DB_ERR_NONE:
		return DB_CLASS_NONE;
	case DB_ERR_UNIQUE:
	case DB_ERR_FOREIGN_KEY:
	case DB_ERR_CONSTRAINT:
		return DB_CLASS_CONSTRAINT;
	case DB_ERR_BUSY:
	case DB_ERR_CONNECTION:
	case DB_ERR_TIMEOUT:
	case DB_ERR_READONLY:
	case DB_ERR_RESOURCES:
		return DB_CLASS_TRANSIENT;
	case DB_ERR_DISK_FULL:
		return DB_CLASS_DISK_FULL;
	case DB_ERR_OTHER:
	case DB_ERR_MISUSE:
		break;
	}
	return DB_CLASS_PERMANENT;
}

const char *
db_errclass_name(enum db_errclass cls)
{
	switch (cls) {
	case DB_CLASS_NONE:
		return "none";
	case DB_CLASS_TRANSIENT:
		return "transient";
	case DB_CLASS_CONSTRAINT:
		return "constraint";
	case DB_CLASS_DISK_FULL:
		return "disk full";
	case DB_CLASS_PERMANENT:
		break;
	}
	return "permanent";
}

static void
set_message(struct db *db, const char *fmt, va_list ap)
{
	char *m = db->err.message;
	vsnprintf(m, sizeof(db->err.message), fmt, ap);
	/* Backend messages often end in a newline or span lines; one line
	 * reads better in a log and a JSON detail. */
	size_t len = strlen(m);
	while (len > 0 && (m[len - 1] == '\n' || m[len - 1] == ' '))
		m[--len] = '\0';
	for (char *p = m; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
}

void
db_set_error(struct db *db, enum db_errkind kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_message(db, fmt, ap);
	va_end(ap);
	db->err.kind = kind;
	db->err.cls = db_errkind_class(kind);
	db->err.code[0] = '\0';
}

void
db_set_backend_error(struct db *db, const struct db_error *classified, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_message(db, fmt, ap);
	va_end(ap);
	db->err.kind = classified->kind;
	db->err.cls = classified->cls;
	memcpy(db->err.code, classified->code, sizeof(db->err.code));
	db->err.code[sizeof(db->err.code) - 1] = '\0';
}

void
db_clear_error(struct db *db)
{
	db->err.cls = DB_CLASS_NONE;
	db->err.kind = DB_ERR_NONE;
	db->err.code[0] = '\0';
	db->err.message[0] = '\0';
}

const struct db_error *
db_last_error(const struct db *db)
{
	return &db->err;
}

const char *
db_errmsg(const struct db *db)
{
	return db->err.message;
}

enum db_errkind
db_error_kind(const struct db *db)
{
	return db->err.kind;
}

enum db_errclass
db_error_class(const struct db *db)
{
	return db->err.cls;
}

/* ---- retry helpers -------------------------------------------------- */

/* Sleeps a random time in [min_us, max_us).  Jitter from the clock and
 * the pid: enough to keep processes that collided once from colliding in
 * lock-step, with no shared state. */
void
db_sleep_between_us(long min_us, long max_us, unsigned salt)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	uint32_t x = (uint32_t)now.tv_nsec ^ ((uint32_t)getpid() * 2654435761u) ^ salt;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	long us = min_us + (max_us > min_us ? (long)(x % (uint32_t)(max_us - min_us)) : 0);
	struct timespec d = { us / 1000000, (us % 1000000) * 1000 };
	while (nanosleep(&d, &d) != 0 && errno == EINTR)
		;
}

void
db_backoff_sleep(unsigned attempt)
{
	long cap_us = attempt < 5 ? 2000L << attempt : 50000;
	db_sleep_between_us(200, 200 + cap_us, attempt);
}

/* ---- handles -------------------------------------------------------- */

void
db_init_common(struct db *db, const struct db_ops *ops, enum db_backend backend)
{
	db->ops = ops;
	db->backend = backend;
	db->test_fault = 0;
	db_clear_error(db);
	db->nbuckets = CACHE_INITIAL_BUCKETS;
	db->buckets = xcalloc(db->nbuckets, sizeof(*db->buckets));
	db->nstmts = 0;
}

static struct db *
open_url(const char *url, int create, char **err)
{
	struct db_url u;
	if (db_url_parse(url, &u, err) != 0)
		return NULL;
	const struct db_ops *ops = u.backend == DB_SQLITE ? &db_sqlite_ops : &db_pg_ops;
	struct db *db = ops->open(&u, create, err);
	db_url_free(&u);
	return db;
}

struct db *
db_open(const char *url, char **err)
{
	return open_url(url, 0, err);
}

struct db *
db_open_create(const char *url, char **err)
{
	return open_url(url, 1, err);
}

static void
cache_free_all(struct db *db)
{
	for (size_t i = 0; i < db->nbuckets; i++) {
		struct db_stmt *st = db->buckets[i];
		while (st != NULL) {
			struct db_stmt *next = st->next;
			char *sql = st->sql;
			db->ops->finalize(st);
			free(sql);
			st = next;
		}
	}
	free(db->buckets);
	db->buckets = NULL;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	/* Statements go first: SQLite will not close a connection that
	 * still has statements. */
	cache_free_all(db);
	db->ops->close(db);
}

enum db_backend
db_backend_of(const struct db *db)
{
	return db->backend;
}

int
db_exec(struct db *db, const char *sql)
{
	db_clear_error(db);
	return db->ops->exec(db, sql);
}

/* ---- transactions --------------------------------------------------- */

static int
begin(struct db *db, int write)
{
	db_clear_error(db);
	if (db->ops->in_transaction(db)) {
		db_set_error(db, DB_ERR_MISUSE, "a transaction is already open");
		return -1;
	}
	return db->ops->begin(db, write);
}

int
db_begin(struct db *db)
{
	return begin(db, 0);
}

int
db_begin_write(struct db *db)
{
	return begin(db, 1);
}

int
db_commit(struct db *db)
{
	db_clear_error(db);
	int rc = db->ops->commit(db);
	if (rc == 0 && db->test_fault == 1)
		db->test_fault = 2;
	return rc;
}

void
db_test_fail_after_next_commit(struct db *db)
{
	db->test_fault = 1;
}

/* A rollback follows a failure far more often than not, and the failure is
 * what the caller will report: a successful rollback leaves it in place.
 * A failed one replaces it only when there was nothing to keep. */
int
db_rollback(struct db *db)
{
	struct db_error cause = db->err;
	int rc = db->ops->rollback(db);
	if (cause.cls != DB_CLASS_NONE) {
		if (rc != 0)
			log_warn("rollback after \"%s\" failed too: %s", cause.message,
				 db->err.message);
		db->err = cause;
	}
	return rc;
}

int
db_abandon(struct db *db)
{
	if (db->err.cls == DB_CLASS_NONE)
		db_set_error(db, DB_ERR_OTHER, "operation abandoned without a database error");
	if (db->ops->in_transaction(db))
		db_rollback(db);
	return DB_FAILED;
}

int
db_fail(struct db *db, enum db_errkind kind, const char *message)
{
	db_set_error(db, kind, "%s", message);
	return db_abandon(db);
}

int
db_in_transaction(const struct db *db)
{
	return db->ops->in_transaction(db);
}

/* ---- the statement cache -------------------------------------------- */

/* FNV-1a: short SQL texts, a handful of distinct ones per process. */
static uint32_t
sql_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

static void
cache_grow(struct db *db)
{
	size_t n = db->nbuckets * 2;
	struct db_stmt **b = xcalloc(n, sizeof(*b));
	for (size_t i = 0; i < db->nbuckets; i++) {
		struct db_stmt *st = db->buckets[i];
		while (st != NULL) {
			struct db_stmt *next = st->next;
			st->next = b[st->hash & (n - 1)];
			b[st->hash & (n - 1)] = st;
			st = next;
		}
	}
	free(db->buckets);
	db->buckets = b;
	db->nbuckets = n;
}

/*
 * A cached statement is handed out again when it is idle or finished.  One
 * still positioned on a row belongs to a caller that is iterating it (the
 * same SQL used in a nested loop), so a second copy is prepared beside it.
 */
static struct db_stmt *
cache_find(struct db *db, const char *sql, uint32_t h)
{
	for (struct db_stmt *st = db->buckets[h & (db->nbuckets - 1)]; st; st = st->next) {
		if (st->hash != h || st->state == STMT_ROWS || strcmp(st->sql, sql) != 0)
			continue;
		if (st->state != STMT_IDLE)
			db_reset(st);
		return st;
	}
	return NULL;
}

struct db_stmt *
db_prepare(struct db *db, const char *sql)
{
	uint32_t h = sql_hash(sql);
	struct db_stmt *st = cache_find(db, sql, h);
	if (st != NULL)
		return st;
	db_clear_error(db);
	st = db->ops->prepare(db, sql);
	if (st == NULL)
		return NULL;
	st->db = db;
	st->sql = xstrdup(sql);
	st->hash = h;
	st->state = STMT_IDLE;
	if (db->nstmts >= db->nbuckets)
		cache_grow(db);
	st->next = db->buckets[h & (db->nbuckets - 1)];
	db->buckets[h & (db->nbuckets - 1)] = st;
	db->nstmts++;
	return st;
}

void
db_reset(struct db_stmt *st)
{
	if (st == NULL)
		return;
	st->db->ops->reset(st);
	st->state = STMT_IDLE;
}

/* ---- binding -------------------------------------------------------- */

/* Binding after a run starts a new run with the bindings kept, so
 * "bind, step, bind, step" works without an explicit reset. */
static void
prepare_to_bind(struct db_stmt *st)
{
	if (st->state != STMT_IDLE) {
		st->db->ops->rewind(st);
		st->state = STMT_IDLE;
	}
}

int
db_bind_null(struct db_stmt *st, int idx)
{
	prepare_to_bind(st);
	return st->db->ops->bind_null(st, idx);
}

int
db_bind_int64(struct db_stmt *st, int idx, int64_t v)
{
	prepare_to_bind(st);
	return st->db->ops->bind_int64(st, idx, v);
}

int
db_bind_double(struct db_stmt *st, int idx, double v)
{
	prepare_to_bind(st);
	return st->db->ops->bind_double(st, idx, v);
}

int
db_bind_bool(struct db_stmt *st, int idx, int v)
{
	prepare_to_bind(st);
	return st->db->ops->bind_bool(st, idx, v != 0);
}

int
db_bind_text(struct db_stmt *st, int idx, const char *s, ptrdiff_t len)
{
	prepare_to_bind(st);
	if (s == NULL)
		return st->db->ops->bind_null(st, idx);
	return st->db->ops->bind_text(st, idx, s, len < 0 ? strlen(s) : (size_t)len);
}

int
db_bind_blob(struct db_stmt *st, int idx, const void *p, size_t len)
{
	prepare_to_bind(st);
	if (p == NULL && len > 0)
		return st->db->ops->bind_null(st, idx);
	return st->db->ops->bind_blob(st, idx, p ? p : "", len);
}

/* ---- stepping and columns ------------------------------------------- */

int
db_step(struct db_stmt *st)
{
	if (st->state == STMT_DONE)
		return DB_DONE;
	if (st->state == STMT_FAILED)
		return DB_ERROR;
	db_clear_error(st->db);
	if (st->db->test_fault == 2) {
		st->db->test_fault = 0;
		db_set_error(st->db, DB_ERR_CONNECTION,
			     "injected fault: the first statement after a commit fails");
		st->state = STMT_FAILED;
		return DB_ERROR;
	}
	int rc = st->db->ops->step(st);
	st->state = rc == DB_ROW ? STMT_ROWS : rc == DB_DONE ? STMT_DONE : STMT_FAILED;
	return rc;
}

int
db_step_later(struct db_stmt *st)
{
	struct db *db = st->db;
	if (db->ops->step_later == NULL || !db_in_transaction(db) || db->test_fault == 2 ||
	    st->state != STMT_IDLE) {
		int rc = db_step(st);
		db_reset(st);
		return rc == DB_ERROR ? -1 : 0;
	}
	db_clear_error(db);
	int rc = db->ops->step_later(st);
	db_reset(st);
	return rc;
}

int
db_step_commit_int64(struct db_stmt *st, int64_t *out)
{
	struct db *db = st->db;
	int sent = 1;
	if (db->ops->step_commit != NULL && db_in_transaction(db) && db->test_fault != 2 &&
	    st->state == STMT_IDLE) {
		db_clear_error(db);
		sent = db->ops->step_commit(st);
		if (sent < 0) {
			st->state = STMT_FAILED;
			db_reset(st);
			return -1;
		}
		if (sent == 0) {
			if (db->test_fault == 1)
				db->test_fault = 2;
			st->state = STMT_ROWS;   /* run: the next step reads its first row */
		}
	}
	int rc = db_step(st);
	int found = rc == DB_ROW;
	if (found) {
		*out = db_column_int64(st, 0);
		rc = db_step(st);
	}
	db_reset(st);
	if (sent != 0 && rc != DB_ERROR && db_commit(db) != 0)
		rc = DB_ERROR;
	if (rc == DB_ERROR) {
		if (sent != 0)
			db_rollback(db);
		return -1;
	}
	return found;
}

int
db_column_count(struct db_stmt *st)
{
	return st->db->ops->column_count(st);
}

const char *
db_column_name(struct db_stmt *st, int col)
{
	return st->db->ops->column_name(st, col);
}

/* Values exist only while the statement sits on a row. */
static int
on_row(const struct db_stmt *st)
{
	return st->state == STMT_ROWS;
}

int
db_column_is_null(struct db_stmt *st, int col)
{
	return on_row(st) ? st->db->ops->column_is_null(st, col) : 1;
}

int64_t
db_column_int64(struct db_stmt *st, int col)
{
	return on_row(st) ? st->db->ops->column_int64(st, col) : 0;
}

double
db_column_double(struct db_stmt *st, int col)
{
	return on_row(st) ? st->db->ops->column_double(st, col) : 0.0;
}

const char *
db_column_text(struct db_stmt *st, int col)
{
	return on_row(st) ? st->db->ops->column_text(st, col) : NULL;
}

const char *
db_column_text_n(struct db_stmt *st, int col, size_t *len)
{
	*len = 0;
	if (!on_row(st))
		return NULL;
	if (st->db->ops->column_text_n != NULL)
		return st->db->ops->column_text_n(st, col, len);
	const char *s = st->db->ops->column_text(st, col);
	if (s != NULL)
		*len = strlen(s);
	return s;
}

size_t
db_column_bytes(struct db_stmt *st, int col)
{
	return on_row(st) ? st->db->ops->column_bytes(st, col) : 0;
}

int
db_column_bool(struct db_stmt *st, int col)
{
	if (on_row(st) && st->db->ops->column_bool != NULL) {
		int b = st->db->ops->column_bool(st, col);
		if (b >= 0)
			return b;
	}
	const char *s = db_column_text(st, col);
	if (s == NULL)
		return 0;
	switch (s[0]) {
	case 't': case 'T': case 'y': case 'Y':
		return 1;
	case 'f': case 'F': case 'n': case 'N': case '\0':
		return 0;
	default:
		return db_column_int64(st, col) != 0;
	}
}

int64_t
db_changes(struct db_stmt *st)
{
	return st->db->ops->changes(st);
}

/* ---- helpers on top ------------------------------------------------- */

int
db_query_int64(struct db *db, const char *sql, int64_t *out)
{
	struct db_stmt *st = db_prepare(db, sql);
	if (st == NULL)
		return -1;
	int rc = db_step(st);
	if (rc == DB_ROW)
		*out = db_column_int64(st, 0);
	db_reset(st);
	return rc == DB_ROW ? 0 : rc == DB_DONE ? 1 : -1;
}

int
db_ping(struct db *db)
{
	int64_t one = 0;
	return db_query_int64(db, "SELECT 1", &one) == 0 && one == 1 ? 0 : -1;
}

int
db_set_commit_durable(struct db *db, int durable)
{
	db->lazy_commits = !durable;
	return 0;
}

int
db_warm_up(struct db *db)
{
	return db->ops->warm_up ? db->ops->warm_up(db) : 0;
}

int
db_make_durable(struct db *db)
{
	if (db->ops->in_transaction(db)) {
		db_set_error(db, DB_ERR_MISUSE, "db_make_durable inside a transaction");
		return -1;
	}
	return db->ops->make_durable(db);
}

int
db_listen(struct db *db, const char *channel)
{
	return db->backend == DB_POSTGRES ? db_pg_listen(db, channel) : -1;
}

int
db_notify_fd(struct db *db)
{
	return db->backend == DB_POSTGRES ? db_pg_socket(db) : -1;
}

void
db_on_notify(struct db *db, const char *channel, void (*fn)(const char *payload, void *arg),
	     void *arg)
{
	if (db->backend == DB_POSTGRES)
		db_pg_on_notify(db, channel, fn, arg);
}

int
db_drain_notifies(struct db *db)
{
	return db->backend == DB_POSTGRES ? db_pg_drain_notifies(db) : -1;
}

int
db_take_notifies(struct db *db)
{
	return db->backend == DB_POSTGRES ? db_pg_take_notifies(db) : 0;
}
