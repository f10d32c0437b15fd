/*
 * db_sqlite.c: the SQLite backend.
 *
 * "database is locked" never reaches a caller: WAL lets readers run beside
 * the one writer, write transactions take the lock up front (BEGIN
 * IMMEDIATE), and whenever SQLite still answers SQLITE_BUSY at a point
 * where trying again is harmless, we wait a randomised moment and try
 * again until a generous deadline.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db/commit_group.h"
#include "db/db_internal.h"
#include "db/db_settings.h"
#include "db/wal_vfs.h"
#include "db/writer_lock.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "util/fsutil.h"
#include "util/timefmt.h"

#define BUSY_TIMEOUT_MS 5000
#define BUSY_DEADLINE_MS 30000

/* PIPELIT_SQLITE_BUSY_TIMEOUT_MS, when set, bounds the whole wait for the
 * write lock (SQLite's own busy wait and our retries alike), so a test can
 * see the answer a writer gets when another holds the lock too long. */
struct busy_limits {
	int timeout_ms;
	int64_t deadline_ms;
};

static struct busy_limits
busy_limits(void)
{
	struct busy_limits b = { BUSY_TIMEOUT_MS, BUSY_DEADLINE_MS };
	const char *s = getenv("PIPELIT_SQLITE_BUSY_TIMEOUT_MS");
	if (s == NULL || *s == '\0')
		return b;
	char *end;
	long v = strtol(s, &end, 10);
	if (*end != '\0' || v < 0 || v > 600000) {
		log_warn("PIPELIT_SQLITE_BUSY_TIMEOUT_MS=%s is not 0..600000; using %d", s,
			 BUSY_TIMEOUT_MS);
		return b;
	}
	b.timeout_ms = (int)v;
	b.deadline_ms = v;
	return b;
}

struct sq_db {
	struct db base;
	sqlite3 *conn;
	struct busy_limits busy;
	int64_t busy_since_ms;        /* when the current wait for a lock began */
	int checkpointed_at;          /* WAL frames when this connection last checkpointed */
	/* Transaction control, prepared once: they run on every write. */
	sqlite3_stmt *begin_read, *begin_write, *commit, *rollback;
	int page_size;
	/* synchronous=FULL or EXTRA configured: the connection runs at
	 * NORMAL and each durable commit waits for a log sync that began
	 * after it was written, shared between processes through group (or
	 * made on its own when the group file could not be opened). */
	int sync_after_commit;
	struct commit_group *group;
	/* Our processes' queue for the write lock (NULL: SQLite's alone). */
	struct writer_lock *writer;
	int sync_failed, sync_errno;  /* the last log sync failed; errno, when known */
	int sync_timed_out;           /* ... or was not had before the busy deadline */
};

struct sq_stmt {
	struct db_stmt base;
	sqlite3_stmt *stmt;
	int64_t changes;
};

static struct sq_db *
sq(struct db *db)
{
	return (struct sq_db *)db;
}

static struct sq_stmt *
sqs(struct db_stmt *st)
{
	return (struct sq_stmt *)st;
}

/*
 * Worth waiting for: another connection holds the lock.  A plain
 * SQLITE_LOCKED is a conflict inside this very connection (DROP TABLE
 * while one of our own SELECTs is open), which no amount of waiting in
 * this single-threaded handle resolves, so it fails at once.
 */
static int
is_retryable(int rc)
{
	return (rc & 0xff) == SQLITE_BUSY || rc == SQLITE_LOCKED_SHAREDCACHE;
}

static enum db_errkind
errkind_of(int rc)
{
	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return DB_ERR_UNIQUE;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return DB_ERR_FOREIGN_KEY;
	case SQLITE_RANGE:
	case SQLITE_MISUSE:
		return DB_ERR_MISUSE;
	}
	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT:
		return DB_ERR_CONSTRAINT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return DB_ERR_BUSY;
	case SQLITE_FULL:
		return DB_ERR_DISK_FULL;
	case SQLITE_READONLY:
		return DB_ERR_READONLY;
	case SQLITE_NOMEM:
		return DB_ERR_RESOURCES;
	}
	return DB_ERR_OTHER;
}

void
db_sqlite_classify(int extended_rc, struct db_error *e)
{
	e->kind = errkind_of(extended_rc);
	e->cls = db_errkind_class(e->kind);
	snprintf(e->code, sizeof(e->code), "%d", extended_rc);
}

static int
fail_rc(struct sq_db *d, int rc)
{
	/* A read-only handle stays read-only: only a new one can write. */
	if ((rc & 0xff) == SQLITE_READONLY)
		d->base.needs_reopen = 1;
	struct db_error e;
	if (d->sync_timed_out) {
		/* The commit is in, but nothing says it would survive a power
		 * cut: transient, as the lock it waited for. */
		d->sync_timed_out = 0;
		d->sync_failed = 0;
		db_sqlite_classify(SQLITE_BUSY, &e);
		db_set_backend_error(&d->base, &e, "committed, but the log sync of another process "
				     "did not finish within %lld ms", (long long)d->busy.deadline_ms);
		return -1;
	}
	if (d->sync_failed) {
		/* wal_hook's failure: SQLite reports it without a message. */
		d->sync_failed = 0;
		db_sqlite_classify(SQLITE_IOERR_FSYNC, &e);
		db_set_backend_error(&d->base, &e, "committed, but syncing the write-ahead log "
				     "failed: %s", strerror(d->sync_errno ? d->sync_errno : EIO));
		return -1;
	}
	db_sqlite_classify(rc, &e);
	db_set_backend_error(&d->base, &e, "%s", sqlite3_errmsg(d->conn));
	return -1;
}

/* ---- opening -------------------------------------------------------- */

/* Runs idempotent SQL (the set-up pragmas), retrying while busy: a fresh
 * database switching to WAL needs a lock other openers may hold. */
static int
exec_retrying(struct sq_db *d, const char *sql)
{
	int64_t deadline = time_mono_ms() + d->busy.deadline_ms;
	for (unsigned attempt = 0;; attempt++) {
		int rc = sqlite3_exec(d->conn, sql, NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			return 0;
		if (!is_retryable(rc) || time_mono_ms() > deadline)
			return fail_rc(d, rc);
		db_backoff_sleep(attempt);
	}
}

static int
prepare_persistent(struct sq_db *d, const char *sql, sqlite3_stmt **out)
{
	int rc = sqlite3_prepare_v3(d->conn, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
	return rc == SQLITE_OK ? 0 : fail_rc(d, rc);
}

/* ---- durability: the log sync after a commit ------------------------ */

/* The connection's handle of the live write-ahead log (NULL before the
 * connection has opened one).  Through SQLite's own handle, so the sync
 * reaches whatever file SQLite writes, through whatever VFS. */
static sqlite3_file *
wal_file(struct sq_db *d)
{
	sqlite3_file *f = NULL;
	if (sqlite3_file_control(d->conn, "main", SQLITE_FCNTL_JOURNAL_POINTER, &f) != SQLITE_OK ||
	    f == NULL || f->pMethods == NULL)
		return NULL;
	return f;
}

/* Syncs the log as SQLite does at synchronous=FULL after each commit
 * (pager.c: the WAL's commit sync uses the pager's sync flags,
 * SQLITE_SYNC_NORMAL unless fullfsync is on, and no data-only flag). */
static int
sync_wal(void *arg)
{
	struct sq_db *d = arg;
	sqlite3_file *f = wal_file(d);
	if (f == NULL)
		return 0;                /* no log: nothing of ours to sync */
	int rc = f->pMethods->xSync(f, SQLITE_SYNC_NORMAL);
	if (rc == SQLITE_OK)
		return 0;
	d->sync_failed = 1;
	d->sync_errno = sqlite3_system_errno(d->conn);
	return -1;
}

/* Returns once everything committed so far on this connection would
 * survive a power cut: 0 or -1 (sync_failed or sync_timed_out set). */
static int
wait_durable(struct sq_db *d)
{
	if (!d->sync_after_commit)
		return 0;                /* NORMAL configured: no sync was promised */
	if (d->group == NULL)
		return sync_wal(d);
	int rc = commit_group_wait(d->group, sync_wal, d, d->busy.deadline_ms);
	if (rc == COMMIT_GROUP_TIMEOUT) {
		d->sync_timed_out = 1;
		return -1;
	}
	return rc;
}

static int
sq_make_durable(struct db *db)
{
	struct sq_db *d = sq(db);
	d->sync_failed = 0;
	d->sync_timed_out = 0;
	if (wait_durable(d) == 0)
		return 0;
	d->sync_failed = 0;
	if (d->sync_timed_out) {
		d->sync_timed_out = 0;
		db_set_error(db, DB_ERR_BUSY, "the log sync of another process did not finish "
			     "within %lld ms", (long long)d->busy.deadline_ms);
		return -1;
	}
	db_set_error(db, DB_ERR_OTHER, "syncing the SQLite write-ahead log failed: %s",
		     strerror(d->sync_errno ? d->sync_errno : EIO));
	return -1;
}

/* SQLite's own automatic checkpoint size (pages), which our hook keeps. */
#define WAL_CHECKPOINT_PAGES 1000

/*
 * Runs after every commit (never on a timer, so an idle pool makes no
 * queries).  Past SQLite's usual size a passive checkpoint copies what it
 * can without waiting for anyone; past the WAL limit, which only happens
 * when readers kept passive checkpoints from finishing, a RESTART
 * checkpoint waits (up to the busy timeout) for those readers, so that the
 * next writer starts the log over from its beginning.  Either failing is
 * harmless: a later commit tries again.
 *
 * RESTART, not TRUNCATE: the file keeps its size (journal_size_limit cuts
 * it back to the limit when the log starts over), and the commits after
 * write over blocks the file already has.  A commit that extends the file
 * makes its fdatasync write the file's size and new blocks too: on this
 * disk appending 56 KB and syncing ran at 320-430/s, writing the same over
 * existing blocks at 800-920/s.  A truncated log grew again from nothing,
 * every commit paying that, until the next time it reached the limit.
 *
 * A connection checkpoints again only once the log has grown by another
 * WAL_CHECKPOINT_PAGES frames.  Under steady writing the log is rarely
 * empty when a writer starts, so it never restarts and stays past the
 * threshold: checkpointing after every commit then copied a few frames and
 * synced the database file each time, two fsyncs per commit instead of
 * one (measured: 30% of a trigger's time).
 */
static int
wal_hook(void *arg, sqlite3 *conn, const char *dbname, int pages)
{
	struct sq_db *d = arg;
	/* The write lock is free again: the next writer need not wait for
	 * our log sync. */
	writer_lock_release(d->writer);
	/* SQLite calls this after a commit that wrote frames, with the write
	 * lock released: the place to wait for the log sync, before the
	 * caller hears the commit succeeded.  A failed sync fails the
	 * statement, though its change is committed: the caller must not
	 * acknowledge what may not survive a power cut. */
	d->sync_failed = 0;
	d->sync_timed_out = 0;
	if (!d->base.lazy_commits && wait_durable(d) != 0)
		return SQLITE_IOERR_FSYNC;
	if (pages < d->checkpointed_at)
		d->checkpointed_at = 0;          /* the log restarted */
	if (pages < WAL_CHECKPOINT_PAGES || pages < d->checkpointed_at + WAL_CHECKPOINT_PAGES)
		return SQLITE_OK;
	d->checkpointed_at = pages;
	long long bytes = (long long)pages * d->page_size;
	int mode = bytes > db_settings()->wal_limit_bytes ? SQLITE_CHECKPOINT_RESTART :
							      SQLITE_CHECKPOINT_PASSIVE;
	int rc = sqlite3_wal_checkpoint_v2(conn, dbname, mode, NULL, NULL);
	if (rc != SQLITE_OK && mode == SQLITE_CHECKPOINT_RESTART)
		log_debug("WAL checkpoint (%lld bytes) not finished: %s", bytes,
			  sqlite3_errstr(rc));
	return SQLITE_OK;
}

/* The number a one-value pragma answers, or fallback when it answers none. */
static int64_t
pragma_int(struct sq_db *d, const char *sql, int64_t fallback)
{
	int64_t v = fallback;
	sqlite3_stmt *ps = NULL;
	if (sqlite3_prepare_v2(d->conn, sql, -1, &ps, NULL) == SQLITE_OK &&
	    sqlite3_step(ps) == SQLITE_ROW)
		v = sqlite3_column_int64(ps, 0);
	sqlite3_finalize(ps);
	return v;
}

/*
 * SQLite calls this while another connection holds the lock it needs.
 * Its own handler (sqlite3_busy_timeout) sleeps 1, 2, 5, 10, 15, 20, 25 ms
 * and more between tries, but a writer holds the lock for about one commit
 * (a tenth of a millisecond to a millisecond with its fsync): a waiter
 * slept through ten commits or more, and with a few processes writing at
 * once (responders' triggers, the executors' claims and completions) most
 * of their time went to sleeping while nobody held the lock.  This one
 * tries again after 50-100 us, doubling up to 1-2 ms, until the timeout.
 */
static int
busy_wait(void *arg, int count)
{
	struct sq_db *d = arg;
	int64_t now = time_mono_ms();
	if (count == 0)
		d->busy_since_ms = now;
	else if (now - d->busy_since_ms >= d->busy.timeout_ms)
		return 0;
	long max_us = count < 5 ? 100L << count : 2000;
	db_sleep_between_us(max_us / 2, max_us, (unsigned)count);
	return 1;
}

static int
configure_connection(struct sq_db *d, int in_memory)
{
	const struct db_settings *set = db_settings();
	d->sync_after_commit = !in_memory && set->sqlite_synchronous >= DB_SYNC_FULL;
	sqlite3_extended_result_codes(d->conn, 1);
	sqlite3_busy_handler(d->conn, busy_wait, d);
	/* A new database gives freed pages back (db prune); an existing one
	 * is converted only by an explicit 'pipelit db vacuum'.  Asked only
	 * of an empty file: on one in use the pragma waits for the write
	 * lock, and an opening responder must not queue behind writers. */
	if (!in_memory && pragma_int(d, "PRAGMA page_count", 1) == 0 &&
	    exec_retrying(d, "PRAGMA auto_vacuum=INCREMENTAL") != 0)
		return -1;
	if (!in_memory && exec_retrying(d, "PRAGMA journal_mode=WAL") != 0)
		return -1;
	char sql[160];
	snprintf(sql, sizeof(sql),
		 "PRAGMA synchronous=%s; PRAGMA foreign_keys=ON; PRAGMA journal_size_limit=%lld",
		 d->sync_after_commit ? "NORMAL" : db_sqlite_sync_name(set->sqlite_synchronous),
		 set->wal_limit_bytes);
	if (exec_retrying(d, sql) != 0)
		return -1;
	d->page_size = (int)pragma_int(d, "PRAGMA page_size", 4096);
	if (!in_memory)
		sqlite3_wal_hook(d->conn, wal_hook, d);
	if (prepare_persistent(d, "BEGIN", &d->begin_read) != 0 ||
	    prepare_persistent(d, "BEGIN IMMEDIATE", &d->begin_write) != 0 ||
	    prepare_persistent(d, "COMMIT", &d->commit) != 0 ||
	    prepare_persistent(d, "ROLLBACK", &d->rollback) != 0)
		return -1;
	return 0;
}

static void sq_close(struct db *db);

/*
 * SQLite counts every allocation in global statistics behind a mutex; no
 * one here reads them, and each row an answer reads allocates.  The
 * setting must come before the library initialises, so it is made once,
 * before the first connection of the process.
 */
static void
configure_library(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	if (sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK)
		log_debug("SQLite was initialised already; allocation statistics stay on");
	int rc = wal_vfs_register();
	if (rc != SQLITE_OK)
		log_warn("the write-ahead log's writes are not gathered (%s): each frame is "
			 "written on its own", sqlite3_errstr(rc));
}

char *
db_sqlite_missing_message(const char *path)
{
	char *abs = fs_absolute_path(path);
	char *msg = xasprintf("the SQLite database %s does not exist. Point DATABASE_URL at the "
			      "database (or PIPELIT_DATA_DIR at its directory; run from the "
			      "directory whose .env says so, or pass --env-file), or create it "
			      "with 'pipelit db upgrade'", abs);
	free(abs);
	return msg;
}

static struct db *
sq_open(const struct db_url *u, int create, char **err)
{
	int in_memory = strcmp(u->path, ":memory:") == 0;
	if (!in_memory && !create && access(u->path, F_OK) != 0) {
		*err = db_sqlite_missing_message(u->path);
		return NULL;
	}
	if (!in_memory && create && fs_make_parent_dirs(u->path) != 0) {
		*err = xasprintf("cannot create the directory for the SQLite database %s: %s",
				 u->path, strerror(errno));
		return NULL;
	}
	configure_library();
	struct sq_db *d = xcalloc(1, sizeof(*d));
	db_init_common(&d->base, &db_sqlite_ops, DB_SQLITE);
	d->busy = busy_limits();
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	int rc = sqlite3_open_v2(u->path, &d->conn, flags, NULL);
	if (rc != SQLITE_OK) {
		*err = xasprintf("cannot open the SQLite database %s: %s", u->path,
				 d->conn ? sqlite3_errmsg(d->conn) : sqlite3_errstr(rc));
		sq_close(&d->base);
		return NULL;
	}
	if (configure_connection(d, in_memory) != 0) {
		*err = xasprintf("cannot set up the SQLite database %s: %s", u->path,
				 db_errmsg(&d->base));
		sq_close(&d->base);
		return NULL;
	}
	if (d->sync_after_commit) {
		/* Said once: a read-only store's handle is opened anew for each
		 * request. */
		static int warned;
		d->group = commit_group_open(u->path);
		if (d->group == NULL && !warned++)
			log_warn("cannot open the commit group file of %s (%s): each durable commit "
				 "syncs the log on its own", u->path, strerror(errno));
	}
	if (!in_memory) {
		d->writer = writer_lock_open(u->path);
		if (d->writer == NULL)
			log_debug("no writer lock beside %s (%s): writers wait in SQLite's busy "
				  "handler", u->path, strerror(errno));
	}
	/* SQLite quietly opens a file it may not write read-only; such a
	 * handle never becomes writable, so it is used for this request only
	 * and replaced before the next (the store may be writable by then). */
	if (sqlite3_db_readonly(d->conn, "main") == 1) {
		log_warn("the SQLite database %s is read-only (file, directory or mount); "
			 "writes are refused until it is writable", u->path);
		d->base.needs_reopen = 1;
	}
	return &d->base;
}

static void
sq_close(struct db *db)
{
	struct sq_db *d = sq(db);
	sqlite3_finalize(d->begin_read);
	sqlite3_finalize(d->begin_write);
	sqlite3_finalize(d->commit);
	sqlite3_finalize(d->rollback);
	if (sqlite3_close(d->conn) != SQLITE_OK)
		log_warn("SQLite connection not closed cleanly: %s", sqlite3_errmsg(d->conn));
	commit_group_close(d->group);
	writer_lock_close(d->writer);
	free(db->buckets);
	free(d);
}

/* ---- statements and transactions ------------------------------------ */

/*
 * Steps s; when it reports busy before producing anything, in autocommit
 * mode (so nothing of ours is half done), resets it and tries again after
 * a short random pause, until the deadline.  A statement inside an open
 * transaction is not retried: the transaction may have to be rolled back
 * to let the other writer finish.
 */
static int
step_retrying(struct sq_db *d, sqlite3_stmt *s, int may_retry)
{
	int64_t deadline = 0;
	for (unsigned attempt = 0;; attempt++) {
		int rc = sqlite3_step(s);
		if (rc == SQLITE_ROW || rc == SQLITE_DONE || !is_retryable(rc) || !may_retry ||
		    !sqlite3_get_autocommit(d->conn))
			return rc;
		if (deadline == 0)
			deadline = time_mono_ms() + d->busy.deadline_ms;
		else if (time_mono_ms() > deadline)
			return rc;
		sqlite3_reset(s);
		db_backoff_sleep(attempt);
	}
}

static int
run_control(struct sq_db *d, sqlite3_stmt *s, int may_retry)
{
	int rc = step_retrying(d, s, may_retry);
	if (rc != SQLITE_DONE) {
		fail_rc(d, rc);
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

/* The writer lock is given back as soon as no transaction is open, however
 * it ended (COMMIT, ROLLBACK, or SQLite undoing it after an error). */
static void
release_if_done(struct sq_db *d)
{
	if (sqlite3_get_autocommit(d->conn))
		writer_lock_release(d->writer);
}

static int
take_writer_lock(struct sq_db *d)
{
	if (d->writer == NULL ||
	    writer_lock_take(d->writer, d->busy.deadline_ms) != WRITER_LOCK_TIMEOUT)
		return 0;
	struct db_error e;
	db_sqlite_classify(SQLITE_BUSY, &e);
	db_set_backend_error(&d->base, &e, "database is locked (another process of the pool "
			     "held the write lock for %lld ms)", (long long)d->busy.deadline_ms);
	return -1;
}

static int
sq_begin(struct db *db, int write)
{
	struct sq_db *d = sq(db);
	if (write && take_writer_lock(d) != 0)
		return -1;
	int rc = run_control(d, write ? d->begin_write : d->begin_read, 1);
	release_if_done(d);
	return rc;
}

static int
sq_commit(struct db *db)
{
	struct sq_db *d = sq(db);
	if (sqlite3_get_autocommit(d->conn)) {
		db_set_error(db, DB_ERR_MISUSE, "no transaction is open");
		return -1;
	}
	/* A busy COMMIT leaves the transaction open and can simply be
	 * repeated; step_retrying only retries in autocommit, so loop here. */
	int64_t deadline = time_mono_ms() + d->busy.deadline_ms;
	for (unsigned attempt = 0;; attempt++) {
		int rc = sqlite3_step(d->commit);
		if (rc == SQLITE_DONE) {
			sqlite3_reset(d->commit);
			release_if_done(d);
			return 0;
		}
		if (!is_retryable(rc) || time_mono_ms() > deadline) {
			fail_rc(d, rc);
			sqlite3_reset(d->commit);
			release_if_done(d);
			return -1;
		}
		sqlite3_reset(d->commit);
		db_backoff_sleep(attempt);
	}
}

static int
sq_rollback(struct db *db)
{
	struct sq_db *d = sq(db);
	/* SQLite may already have rolled back on its own (after an I/O error
	 * or SQLITE_FULL); the caller's rollback then has nothing to do. */
	if (sqlite3_get_autocommit(d->conn)) {
		writer_lock_release(d->writer);
		return 0;
	}
	int rc = run_control(d, d->rollback, 0);
	release_if_done(d);
	return rc;
}

static int
sq_in_transaction(const struct db *db)
{
	return !sqlite3_get_autocommit(((const struct sq_db *)db)->conn);
}

static int
sq_exec(struct db *db, const char *sql)
{
	struct sq_db *d = sq(db);
	int rc = sqlite3_exec(d->conn, sql, NULL, NULL, NULL);
	release_if_done(d);
	return rc == SQLITE_OK ? 0 : fail_rc(d, rc);
}

static struct db_stmt *
sq_prepare(struct db *db, const char *sql)
{
	struct sq_db *d = sq(db);
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v3(d->conn, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
	if (rc != SQLITE_OK) {
		fail_rc(d, rc);
		return NULL;
	}
	if (s == NULL) {
		db_set_error(db, DB_ERR_MISUSE, "empty SQL statement");
		return NULL;
	}
	struct sq_stmt *st = xcalloc(1, sizeof(*st));
	st->stmt = s;
	return &st->base;
}

static void
sq_finalize(struct db_stmt *st)
{
	sqlite3_finalize(sqs(st)->stmt);
	free(st);
}

static void
sq_rewind(struct db_stmt *st)
{
	sqlite3_reset(sqs(st)->stmt);
}

static void
sq_reset(struct db_stmt *st)
{
	sqlite3_reset(sqs(st)->stmt);
	sqlite3_clear_bindings(sqs(st)->stmt);
}

static int
sq_step(struct db_stmt *st)
{
	struct sq_db *d = sq(st->db);
	struct sq_stmt *s = sqs(st);
	/* Only the first step of a run may be retried: once a row has been
	 * handed out, starting over would hand it out twice. */
	int rc = step_retrying(d, s->stmt, st->state == STMT_IDLE);
	if (rc == SQLITE_ROW)
		return DB_ROW;
	if (rc == SQLITE_DONE) {
		/* sqlite3_changes() is per connection: a SELECT would report
		 * the last write's count. */
		s->changes = sqlite3_stmt_readonly(s->stmt) ? 0 : sqlite3_changes(d->conn);
		release_if_done(d);   /* a COMMIT or ROLLBACK sent as a statement */
		return DB_DONE;
	}
	fail_rc(d, rc);
	/* Reset so a failed statement holds no locks while the caller
	 * decides what to do. */
	sqlite3_reset(s->stmt);
	release_if_done(d);
	return DB_ERROR;
}

/* ---- binding -------------------------------------------------------- */

static int
bind_result(struct db_stmt *st, int rc)
{
	return rc == SQLITE_OK ? 0 : fail_rc(sq(st->db), rc);
}

static int
sq_bind_null(struct db_stmt *st, int idx)
{
	return bind_result(st, sqlite3_bind_null(sqs(st)->stmt, idx));
}

static int
sq_bind_int64(struct db_stmt *st, int idx, int64_t v)
{
	return bind_result(st, sqlite3_bind_int64(sqs(st)->stmt, idx, v));
}

static int
sq_bind_double(struct db_stmt *st, int idx, double v)
{
	return bind_result(st, sqlite3_bind_double(sqs(st)->stmt, idx, v));
}

static int
sq_bind_bool(struct db_stmt *st, int idx, int v)
{
	return bind_result(st, sqlite3_bind_int(sqs(st)->stmt, idx, v));
}

static int
sq_bind_text(struct db_stmt *st, int idx, const char *s, size_t len)
{
	return bind_result(st, sqlite3_bind_text64(sqs(st)->stmt, idx, s, len, SQLITE_TRANSIENT,
						   SQLITE_UTF8));
}

static int
sq_bind_blob(struct db_stmt *st, int idx, const void *p, size_t len)
{
	return bind_result(st, sqlite3_bind_blob64(sqs(st)->stmt, idx, p, len, SQLITE_TRANSIENT));
}

/* ---- columns -------------------------------------------------------- */

static int
sq_column_count(struct db_stmt *st)
{
	return sqlite3_column_count(sqs(st)->stmt);
}

static const char *
sq_column_name(struct db_stmt *st, int col)
{
	return sqlite3_column_name(sqs(st)->stmt, col);
}

static int
sq_column_is_null(struct db_stmt *st, int col)
{
	return sqlite3_column_type(sqs(st)->stmt, col) == SQLITE_NULL;
}

static const char *
sq_column_text(struct db_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(sqs(st)->stmt, col);
}

/* sqlite3_column_text() must NUL-terminate a value that points into a
 * page, which costs an allocation and a copy per column; the blob view
 * of the same bytes does not.  It is NULL for an empty value, which is
 * not SQL NULL. */
static const char *
sq_column_text_n(struct db_stmt *st, int col, size_t *len)
{
	sqlite3_stmt *s = sqs(st)->stmt;
	const char *p = sqlite3_column_blob(s, col);
	*len = (size_t)sqlite3_column_bytes(s, col);
	if (p != NULL)
		return p;
	/* No bytes: an empty value, or SQL NULL. */
	return sqlite3_column_type(s, col) == SQLITE_NULL ? NULL : "";
}

static size_t
sq_column_bytes(struct db_stmt *st, int col)
{
	return (size_t)sqlite3_column_bytes(sqs(st)->stmt, col);
}

static int64_t
sq_column_int64(struct db_stmt *st, int col)
{
	return sqlite3_column_int64(sqs(st)->stmt, col);
}

/* Booleans are stored as the integers 1/0; only text (a row written by
 * hand) needs the generic reading. */
static int
sq_column_bool(struct db_stmt *st, int col)
{
	sqlite3_stmt *s = sqs(st)->stmt;
	if (sqlite3_column_type(s, col) == SQLITE_INTEGER)
		return sqlite3_column_int64(s, col) != 0;
	return -1;
}

static double
sq_column_double(struct db_stmt *st, int col)
{
	return sqlite3_column_double(sqs(st)->stmt, col);
}

static int64_t
sq_changes(struct db_stmt *st)
{
	return sqs(st)->changes;
}

static enum db_health
sq_health(struct db *db)
{
	if (db_ping(db) != 0)
		return DB_UNREACHABLE;
	return sqlite3_db_readonly(sq(db)->conn, "main") == 1 ? DB_READ_ONLY : DB_HEALTHY;
}

const struct db_ops db_sqlite_ops = {
	.health = sq_health,
	.open = sq_open,
	.close = sq_close,
	.exec = sq_exec,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.in_transaction = sq_in_transaction,
	.prepare = sq_prepare,
	.finalize = sq_finalize,
	.rewind = sq_rewind,
	.reset = sq_reset,
	.bind_null = sq_bind_null,
	.bind_int64 = sq_bind_int64,
	.bind_double = sq_bind_double,
	.bind_bool = sq_bind_bool,
	.bind_text = sq_bind_text,
	.bind_blob = sq_bind_blob,
	.step = sq_step,
	.column_count = sq_column_count,
	.column_name = sq_column_name,
	.column_is_null = sq_column_is_null,
	.column_bool = sq_column_bool,
	.column_text_n = sq_column_text_n,
	.column_text = sq_column_text,
	.column_bytes = sq_column_bytes,
	.column_int64 = sq_column_int64,
	.column_double = sq_column_double,
	.changes = sq_changes,
	.make_durable = sq_make_durable,
};
