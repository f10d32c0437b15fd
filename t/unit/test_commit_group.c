/*
 * test_commit_group.c: SQLite's group commit across processes.
 *
 * A "tracing VFS" sits in front of the real unix VFS and stamps, on one
 * clock shared by every process of the test (an anonymous shared mapping
 * made before the forks), each write to a write-ahead log and the start
 * and end of each sync of one.  A process whose commit the db layer
 * acknowledged checks that some sync which started after its last write
 * to the log had finished by then: that is the promise of
 * synchronous=FULL, whoever made the sync.
 *
 * Also: several commits waiting at once share one sync; a process killed
 * in the middle of its sync, holding the group's lock, stalls nobody;
 * with synchronous=NORMAL configured nothing syncs the log; and
 * db_make_durable() covers lazy commits.
 *
 * This is test code: it alone, outside src/db/, includes sqlite3.h.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db/commit_group.h"
#include "db/db.h"
#include "db/db_settings.h"
#include "tap.h"

/* What every process of the test sees. */
struct trace {
	_Atomic uint64_t clock;
	_Atomic uint64_t done_sync_start;  /* latest start of a finished log sync */
	_Atomic uint64_t wal_syncs;        /* log syncs finished */
	_Atomic uint64_t acked;            /* commits the db layer acknowledged */
	_Atomic uint64_t uncovered;        /* ... with no sync after their write */
	_Atomic int victim;                /* pid to kill inside its log sync */
};

static struct trace *tr;
/* This process's latest write to a log (a process has one connection). */
static uint64_t my_last_wal_write;

/* ---- the tracing VFS ------------------------------------------------ */

struct trace_file {
	sqlite3_file base;      /* must be first */
	int is_wal;
	sqlite3_file *real;     /* allocated right after us */
};

static sqlite3_vfs *real_vfs;

#define REAL(f) (((struct trace_file *)(f))->real)
#define IS_WAL(f) (((struct trace_file *)(f))->is_wal)

static int
t_close(sqlite3_file *f)
{
	return REAL(f)->pMethods ? REAL(f)->pMethods->xClose(REAL(f)) : SQLITE_OK;
}
static int
t_read(sqlite3_file *f, void *b, int n, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xRead(REAL(f), b, n, off);
}
static int
t_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 off)
{
	int rc = REAL(f)->pMethods->xWrite(REAL(f), b, n, off);
	if (IS_WAL(f))
		my_last_wal_write = atomic_fetch_add(&tr->clock, 1) + 1;
	return rc;
}
static int
t_sync(sqlite3_file *f, int flags)
{
	if (!IS_WAL(f))
		return REAL(f)->pMethods->xSync(REAL(f), flags);
	uint64_t start = atomic_fetch_add(&tr->clock, 1) + 1;
	if (atomic_load(&tr->victim) == getpid())
		raise(SIGKILL);          /* "dies" holding the group's lock */
	int rc = REAL(f)->pMethods->xSync(REAL(f), flags);
	uint64_t seen = atomic_load(&tr->done_sync_start);
	while (seen < start && !atomic_compare_exchange_weak(&tr->done_sync_start, &seen, start))
		;
	atomic_fetch_add(&tr->wal_syncs, 1);
	return rc;
}
static int
t_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}
static int
t_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}
static int t_lock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xLock(REAL(f), l); }
static int t_unlock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int
t_check_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}
static int
t_file_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int t_sector_size(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int
t_device(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int
t_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **pp)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, extend, pp);
}
static int
t_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}
static void t_shm_barrier(sqlite3_file *f) { REAL(f)->pMethods->xShmBarrier(REAL(f)); }
static int
t_shm_unmap(sqlite3_file *f, int del)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static const sqlite3_io_methods trace_io = {
	.iVersion = 2,
	.xClose = t_close,
	.xRead = t_read,
	.xWrite = t_write,
	.xTruncate = t_truncate,
	.xSync = t_sync,
	.xFileSize = t_file_size,
	.xLock = t_lock,
	.xUnlock = t_unlock,
	.xCheckReservedLock = t_check_reserved,
	.xFileControl = t_file_control,
	.xSectorSize = t_sector_size,
	.xDeviceCharacteristics = t_device,
	.xShmMap = t_shm_map,
	.xShmLock = t_shm_lock,
	.xShmBarrier = t_shm_barrier,
	.xShmUnmap = t_shm_unmap,
};

static int
t_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
	struct trace_file *t = (struct trace_file *)f;
	memset(t, 0, sizeof *t);
	t->real = (sqlite3_file *)(t + 1);
	t->is_wal = (flags & SQLITE_OPEN_WAL) != 0;
	int rc = real_vfs->xOpen(real_vfs, name, t->real, flags, out_flags);
	t->base.pMethods = rc == SQLITE_OK ? &trace_io : NULL;
	return rc;
}
static int
t_delete(sqlite3_vfs *v, const char *n, int sync)
{
	return real_vfs->xDelete(real_vfs, n, sync);
}
static int
t_access(sqlite3_vfs *v, const char *n, int flags, int *out)
{
	return real_vfs->xAccess(real_vfs, n, flags, out);
}
static int
t_full_pathname(sqlite3_vfs *v, const char *n, int len, char *out)
{
	return real_vfs->xFullPathname(real_vfs, n, len, out);
}
static int
t_randomness(sqlite3_vfs *v, int n, char *out)
{
	return real_vfs->xRandomness(real_vfs, n, out);
}
static int t_sleep(sqlite3_vfs *v, int us) { return real_vfs->xSleep(real_vfs, us); }
static int
t_current_time(sqlite3_vfs *v, double *t)
{
	return real_vfs->xCurrentTime(real_vfs, t);
}
static int
t_last_error(sqlite3_vfs *v, int n, char *out)
{
	return real_vfs->xGetLastError(real_vfs, n, out);
}
static int
t_current_time64(sqlite3_vfs *v, sqlite3_int64 *t)
{
	return real_vfs->xCurrentTimeInt64(real_vfs, t);
}

static sqlite3_vfs trace_vfs = {
	.iVersion = 2,
	.zName = "trace",
	.xOpen = t_open,
	.xDelete = t_delete,
	.xAccess = t_access,
	.xFullPathname = t_full_pathname,
	.xRandomness = t_randomness,
	.xSleep = t_sleep,
	.xCurrentTime = t_current_time,
	.xGetLastError = t_last_error,
	.xCurrentTimeInt64 = t_current_time64,
};

static int
register_trace_vfs(void)
{
	real_vfs = sqlite3_vfs_find(NULL);
	if (real_vfs == NULL)
		return -1;
	trace_vfs.szOsFile = (int)sizeof(struct trace_file) + real_vfs->szOsFile;
	trace_vfs.mxPathname = real_vfs->mxPathname;
	return sqlite3_vfs_register(&trace_vfs, 1) == SQLITE_OK ? 0 : -1;
}

/* ---- helpers -------------------------------------------------------- */

static char tmpdir[] = "/tmp/pipelit-commit-group-XXXXXX";
static char url[600], path[512];

static void
set_level(enum db_sqlite_sync level)
{
	struct db_settings s = *db_settings();
	s.sqlite_synchronous = level;
	db_configure(&s);
}

/* One durable one-row commit; after it is acknowledged, checks that a
 * finished sync began after this process's last write to the log. */
static int
commit_one(struct db *db, int64_t v)
{
	if (db_begin_write(db) != 0)
		return -1;
	struct db_stmt *st = db_prepare(db, "INSERT INTO t (v) VALUES (?)");
	if (st == NULL)
		return db_abandon(db);
	db_bind_int64(st, 1, v);
	int rc = db_step(st);
	db_reset(st);
	if (rc != DB_DONE || db_commit(db) != 0)
		return db_abandon(db);
	atomic_fetch_add(&tr->acked, 1);
	if (atomic_load(&tr->done_sync_start) <= my_last_wal_write)
		atomic_fetch_add(&tr->uncovered, 1);
	return 0;
}

/* A child that opens the database and makes n durable commits; exits 0 when
 * all were acknowledged.  The alarm turns a stall into a failure. */
static pid_t
spawn_committer(int n, int64_t base)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	alarm(120);
	char *err = NULL;
	struct db *db = db_open(url, &err);
	if (db == NULL)
		_exit(3);
	for (int i = 0; i < n; i++)
		if (commit_one(db, base + i) != 0)
			_exit(4);
	/* Not closed: the last connection to close checkpoints, and that
	 * sync of the log would be counted with the commits'. */
	_exit(0);
}

static int
exited_ok(pid_t pid)
{
	int status = 0;
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void
reset_trace(void)
{
	atomic_store(&tr->acked, 0);
	atomic_store(&tr->uncovered, 0);
	atomic_store(&tr->wal_syncs, 0);
	atomic_store(&tr->victim, 0);
}

static int64_t
rows(void)
{
	char *err = NULL;
	struct db *db = db_open(url, &err);
	free(err);
	int64_t n = -1;
	if (db != NULL)
		db_query_int64(db, "SELECT count(*) FROM t", &n);
	db_close(db);
	return n;
}

/* ---- the tests ------------------------------------------------------ */

#define WRITERS 4
#define PER_WRITER 100

static void
test_concurrent_commits_are_covered(void)
{
	reset_trace();
	pid_t pids[WRITERS];
	for (int i = 0; i < WRITERS; i++)
		pids[i] = spawn_committer(PER_WRITER, i * 1000);
	int all_ok = 1;
	for (int i = 0; i < WRITERS; i++)
		all_ok &= exited_ok(pids[i]);
	ok(all_ok, "%d processes made %d durable commits each", WRITERS, PER_WRITER);
	is_int((int)atomic_load(&tr->acked), WRITERS * PER_WRITER, "every commit acknowledged");
	is_int((int)atomic_load(&tr->uncovered), 0,
	       "each was acknowledged after a log sync that began after its write");
	uint64_t syncs = atomic_load(&tr->wal_syncs);
	ok(syncs >= 1 && syncs <= WRITERS * PER_WRITER,
	   "at most one log sync per commit (%llu syncs for %d commits)",
	   (unsigned long long)syncs, WRITERS * PER_WRITER);
	struct commit_group_counters c = { 0, 0, 0 };
	int read = commit_group_read(path, &c);
	ok(read == 0 && c.synced == c.written && c.written > 0,
	   "the group's counters: every ticket synced (%llu of %llu, %llu syncs)",
	   (unsigned long long)c.synced, (unsigned long long)c.written,
	   (unsigned long long)c.syncs);
}

/* Commits that wait at once share a sync: while the test holds the group's
 * lock, each committer writes, takes its ticket and queues; once all have,
 * the first to get the lock syncs for all of them. */
#define WAITERS 5

static void
test_waiting_commits_share_one_sync(void)
{
	reset_trace();
	char *gpath = commit_group_path(path);
	int fd = open(gpath, O_RDWR);
	free(gpath);
	ok(fd >= 0 && flock(fd, LOCK_EX) == 0, "the test holds the group's lock");
	struct commit_group_counters before, now;
	commit_group_read(path, &before);
	pid_t pids[WAITERS];
	for (int i = 0; i < WAITERS; i++)
		pids[i] = spawn_committer(1, 10000 + i);
	/* Waiting for an event, not measuring time: each committer takes its
	 * ticket right after its commit, then blocks on the lock. */
	do {
		usleep(2000);
		commit_group_read(path, &now);
	} while (now.written < before.written + WAITERS);
	is_int((int)atomic_load(&tr->acked), 0, "no commit is acknowledged before its sync");
	flock(fd, LOCK_UN);
	close(fd);
	int all_ok = 1;
	for (int i = 0; i < WAITERS; i++)
		all_ok &= exited_ok(pids[i]);
	ok(all_ok, "all %d committers finished once the lock was free", WAITERS);
	is_int((int)atomic_load(&tr->uncovered), 0, "each was covered by a sync after its write");
	is_int((int)atomic_load(&tr->wal_syncs), 1, "one log sync served %d commits", WAITERS);
}

/* A leader killed in its sync, holding the lock: the kernel drops the lock,
 * its ticket stays unsynced, and the next committer syncs for itself. */
static void
test_killed_leader_stalls_nobody(void)
{
	reset_trace();
	pid_t victim = fork();
	if (victim == 0) {
		atomic_store(&tr->victim, getpid());
		char *err = NULL;
		struct db *db = db_open(url, &err);
		commit_one(db, 20000);   /* dies inside the log sync */
		_exit(5);
	}
	int status = 0;
	waitpid(victim, &status, 0);
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	   "the leader was killed inside its log sync");
	is_int((int)atomic_load(&tr->acked), 0, "its commit was never acknowledged");
	struct commit_group_counters c;
	commit_group_read(path, &c);
	ok(c.synced < c.written, "its ticket was left unsynced (%llu < %llu)",
	   (unsigned long long)c.synced, (unsigned long long)c.written);
	pid_t pids[2] = { spawn_committer(20, 21000), spawn_committer(20, 22000) };
	ok(exited_ok(pids[0]) && exited_ok(pids[1]), "two committers after it finished");
	is_int((int)atomic_load(&tr->acked), 40, "their 40 commits were acknowledged");
	is_int((int)atomic_load(&tr->uncovered), 0, "each after a sync that began after its write");
	commit_group_read(path, &c);
	ok(c.synced == c.written, "every ticket is synced again");
}

/* With NORMAL configured the promise is SQLite's NORMAL: no log sync at
 * commit, none for the barrier either. */
static void
test_normal_makes_no_syncs(void)
{
	reset_trace();
	set_level(DB_SYNC_NORMAL);
	char *err = NULL;
	struct db *db = db_open(url, &err);
	ok(db != NULL, "opened at NORMAL");
	int fails = 0;
	for (int i = 0; i < 20 && db; i++) {
		if (db_begin_write(db) != 0 ||
		    db_exec(db, "INSERT INTO t (v) VALUES (30000)") != 0 || db_commit(db) != 0)
			fails++;
	}
	ok(db && fails == 0 && db_make_durable(db) == 0, "20 commits and a barrier");
	is_int((int)atomic_load(&tr->wal_syncs), 0, "not one log sync");
	db_close(db);
	set_level(DB_SYNC_FULL);
}

/* Lazy commits wait for no sync; the barrier's one sync covers them all. */
static void
test_barrier_covers_lazy_commits(void)
{
	reset_trace();
	char *err = NULL;
	struct db *db = db_open(url, &err);
	ok(db != NULL, "opened at FULL");
	/* The first commit after the log was emptied (the last connection
	 * closed) writes a new header, which SQLite syncs itself. */
	ok(commit_one(db, 39999) == 0, "a durable commit starts a new log");
	atomic_store(&tr->wal_syncs, 0);
	db_set_commit_durable(db, 0);
	int fails = 0;
	for (int i = 0; i < 20 && db; i++) {
		if (db_begin_write(db) != 0 ||
		    db_exec(db, "INSERT INTO t (v) VALUES (40000)") != 0 || db_commit(db) != 0)
			fails++;
	}
	db_set_commit_durable(db, 1);
	ok(fails == 0, "20 lazy commits");
	is_int((int)atomic_load(&tr->wal_syncs), 0, "they waited for no log sync");
	uint64_t last_write = my_last_wal_write;
	ok(db_make_durable(db) == 0, "the barrier");
	is_int((int)atomic_load(&tr->wal_syncs), 1, "made one log sync");
	ok(atomic_load(&tr->done_sync_start) > last_write, "which began after the lazy commits' writes");
	db_close(db);
}

int
main(void)
{
	tr = mmap(NULL, sizeof *tr, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tr == MAP_FAILED || mkdtemp(tmpdir) == NULL || register_trace_vfs() != 0) {
		ok(0, "set up");
		return done_testing();
	}
	snprintf(path, sizeof path, "%s/db.sqlite3", tmpdir);
	snprintf(url, sizeof url, "sqlite:///%s", path);
	set_level(DB_SYNC_FULL);
	char *err = NULL;
	struct db *db = db_open_create(url, &err);
	ok(db != NULL && db_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)") == 0,
	   "a database with one table");
	db_close(db);

	test_concurrent_commits_are_covered();
	test_waiting_commits_share_one_sync();
	test_killed_leader_stalls_nobody();
	test_normal_makes_no_syncs();
	test_barrier_covers_lazy_commits();
	is_int((int)rows(), WRITERS * PER_WRITER + WAITERS + 40 + 20 + 1 + 20 + 1,
	       "every acknowledged row is there (and the killed leader's, written before its sync)");

	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", tmpdir);
	return done_testing();
}
