/*
 * test_sqlite_crash.c: does an acknowledged write survive a power cut?
 *
 * A power cut loses whatever the operating system had not yet written to
 * the disk: every write since the file's last fsync.  The "crash VFS"
 * below (the idea of SQLite's own src/test6.c) sits in front of the real
 * unix VFS and keeps each file's unsynced writes in this process's memory
 * only; xSync is the one thing that hands them to the real file.  A child
 * process writes transactions through the db layer with this VFS as the
 * default, counts the commits the db layer acknowledged, and then "loses
 * power": it _exits without closing anything, so every unsynced write
 * vanishes with it.  The parent reopens the file with the ordinary VFS
 * (SQLite recovers the WAL as after a real crash) and counts the rows.
 *
 * At synchronous=FULL (our default) every acknowledged row must be there;
 * at NORMAL, SQLite's documented trade-off, the same run loses rows, which
 * shows the test can see a loss at all.
 *
 * This is test code: it alone, outside src/db/, includes sqlite3.h.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db/db.h"
#include "db/db_settings.h"
#include "tap.h"

#define TRANSACTIONS 200

/* ---- the crash VFS -------------------------------------------------- */

/* One write the real file has not been given yet. */
struct pending {
	sqlite3_int64 off;
	int len;
	struct pending *next;   /* newer writes first */
	unsigned char data[];
};

struct crash_file {
	sqlite3_file base;      /* must be first: SQLite sees this */
	struct pending *pending;
	sqlite3_file *real;     /* the unix VFS's file, allocated right after us */
};

static sqlite3_vfs *real_vfs;

static struct crash_file *
cf(sqlite3_file *f)
{
	return (struct crash_file *)f;
}

static void
drop_pending(struct crash_file *f)
{
	while (f->pending != NULL) {
		struct pending *next = f->pending->next;
		free(f->pending);
		f->pending = next;
	}
}

static int
crash_close(sqlite3_file *f)
{
	/* A clean close is not a crash, but nothing in this test closes a
	 * file before its owner "loses power"; dropping keeps it honest. */
	drop_pending(cf(f));
	return cf(f)->real->pMethods ? cf(f)->real->pMethods->xClose(cf(f)->real) : SQLITE_OK;
}

/* Reads from the real file, then lays the unsynced writes over it, oldest
 * first, so the caller sees what it wrote. */
static int
crash_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
	struct crash_file *c = cf(f);
	int rc = c->real->pMethods->xRead(c->real, buf, amt, off);
	if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ)
		return rc;
	int covered_to = 0;  /* how far from off the pending writes fill */
	if (rc == SQLITE_IOERR_SHORT_READ) {
		sqlite3_int64 size = 0;
		c->real->pMethods->xFileSize(c->real, &size);
		covered_to = size > off ? (int)(size - off) : 0;
	} else {
		covered_to = amt;
	}
	/* Apply oldest first: walk the list into an array (it is short). */
	int n = 0;
	for (struct pending *p = c->pending; p; p = p->next)
		n++;
	struct pending **order = n ? malloc((size_t)n * sizeof(*order)) : NULL;
	int i = n;
	for (struct pending *p = c->pending; p; p = p->next)
		order[--i] = p;
	for (i = 0; i < n; i++) {
		struct pending *p = order[i];
		sqlite3_int64 lo = p->off > off ? p->off : off;
		sqlite3_int64 hi = p->off + p->len < off + amt ? p->off + p->len : off + amt;
		if (lo >= hi)
			continue;
		memcpy((unsigned char *)buf + (lo - off), p->data + (lo - p->off), (size_t)(hi - lo));
		if (lo - off <= covered_to && hi - off > covered_to)
			covered_to = (int)(hi - off);
	}
	free(order);
	if (covered_to >= amt)
		return SQLITE_OK;
	memset((unsigned char *)buf + covered_to, 0, (size_t)(amt - covered_to));
	return SQLITE_IOERR_SHORT_READ;
}

static int
crash_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
	struct pending *p = malloc(sizeof(*p) + (size_t)amt);
	if (p == NULL)
		return SQLITE_NOMEM;
	p->off = off;
	p->len = amt;
	memcpy(p->data, buf, (size_t)amt);
	p->next = cf(f)->pending;
	cf(f)->pending = p;
	return SQLITE_OK;
}

/* Gives the unsynced writes to the real file, oldest first, then syncs. */
static int
flush_pending(struct crash_file *c)
{
	struct pending *rev = NULL;
	while (c->pending != NULL) {
		struct pending *p = c->pending;
		c->pending = p->next;
		p->next = rev;
		rev = p;
	}
	int rc = SQLITE_OK;
	while (rev != NULL) {
		struct pending *p = rev;
		rev = p->next;
		if (rc == SQLITE_OK)
			rc = c->real->pMethods->xWrite(c->real, p->data, p->len, p->off);
		free(p);
	}
	return rc;
}

static int
crash_sync(sqlite3_file *f, int flags)
{
	struct crash_file *c = cf(f);
	int rc = flush_pending(c);
	return rc != SQLITE_OK ? rc : c->real->pMethods->xSync(c->real, flags);
}

/* A truncation reaches the real file at once (the unsynced writes past
 * the new end are cut too): a crash may keep or lose a truncation, and
 * SQLite only truncates what a sync has already made redundant. */
static int
crash_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct crash_file *c = cf(f);
	for (struct pending *p = c->pending; p; p = p->next)
		if (p->off + p->len > size)
			p->len = p->off >= size ? 0 : (int)(size - p->off);
	return c->real->pMethods->xTruncate(c->real, size);
}

static int
crash_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	struct crash_file *c = cf(f);
	int rc = c->real->pMethods->xFileSize(c->real, size);
	for (struct pending *p = c->pending; p; p = p->next)
		if (p->len > 0 && p->off + p->len > *size)
			*size = p->off + p->len;
	return rc;
}

/* Everything else is the real file's business. */
#define REAL(f) (cf(f)->real)
static int crash_lock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xLock(REAL(f), l); }
static int crash_unlock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int
crash_check_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}
static int
crash_file_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int crash_sector_size(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int
crash_device(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int
crash_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **pp)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, extend, pp);
}
static int
crash_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}
static void crash_shm_barrier(sqlite3_file *f) { REAL(f)->pMethods->xShmBarrier(REAL(f)); }
static int
crash_shm_unmap(sqlite3_file *f, int del)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

/* Version 2: shared memory for WAL, but no memory-mapped reads, which
 * would bypass crash_read. */
static const sqlite3_io_methods crash_io = {
	.iVersion = 2,
	.xClose = crash_close,
	.xRead = crash_read,
	.xWrite = crash_write,
	.xTruncate = crash_truncate,
	.xSync = crash_sync,
	.xFileSize = crash_file_size,
	.xLock = crash_lock,
	.xUnlock = crash_unlock,
	.xCheckReservedLock = crash_check_reserved,
	.xFileControl = crash_file_control,
	.xSectorSize = crash_sector_size,
	.xDeviceCharacteristics = crash_device,
	.xShmMap = crash_shm_map,
	.xShmLock = crash_shm_lock,
	.xShmBarrier = crash_shm_barrier,
	.xShmUnmap = crash_shm_unmap,
};

static int
crash_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
	struct crash_file *c = cf(f);
	memset(c, 0, sizeof(*c));
	c->real = (sqlite3_file *)(c + 1);
	int rc = real_vfs->xOpen(real_vfs, name, c->real, flags, out_flags);
	c->base.pMethods = rc == SQLITE_OK ? &crash_io : NULL;
	return rc;
}

static int
crash_delete(sqlite3_vfs *v, const char *n, int sync)
{
	return real_vfs->xDelete(real_vfs, n, sync);
}
static int
crash_access(sqlite3_vfs *v, const char *n, int flags, int *out)
{
	return real_vfs->xAccess(real_vfs, n, flags, out);
}
static int
crash_full_pathname(sqlite3_vfs *v, const char *n, int len, char *out)
{
	return real_vfs->xFullPathname(real_vfs, n, len, out);
}
static int
crash_randomness(sqlite3_vfs *v, int n, char *out)
{
	return real_vfs->xRandomness(real_vfs, n, out);
}
static int crash_sleep(sqlite3_vfs *v, int us) { return real_vfs->xSleep(real_vfs, us); }
static int
crash_current_time(sqlite3_vfs *v, double *t)
{
	return real_vfs->xCurrentTime(real_vfs, t);
}
static int
crash_last_error(sqlite3_vfs *v, int n, char *out)
{
	return real_vfs->xGetLastError(real_vfs, n, out);
}
static int
crash_current_time64(sqlite3_vfs *v, sqlite3_int64 *t)
{
	return real_vfs->xCurrentTimeInt64(real_vfs, t);
}

static sqlite3_vfs crash_vfs = {
	.iVersion = 2,
	.zName = "crash",
	.xOpen = crash_open,
	.xDelete = crash_delete,
	.xAccess = crash_access,
	.xFullPathname = crash_full_pathname,
	.xRandomness = crash_randomness,
	.xSleep = crash_sleep,
	.xCurrentTime = crash_current_time,
	.xGetLastError = crash_last_error,
	.xCurrentTimeInt64 = crash_current_time64,
};

static int
register_crash_vfs(void)
{
	real_vfs = sqlite3_vfs_find(NULL);
	if (real_vfs == NULL)
		return -1;
	crash_vfs.szOsFile = (int)sizeof(struct crash_file) + real_vfs->szOsFile;
	crash_vfs.mxPathname = real_vfs->mxPathname;
	return sqlite3_vfs_register(&crash_vfs, 1) == SQLITE_OK ? 0 : -1;
}

/* ---- the test ------------------------------------------------------- */

static char tmpdir[] = "/tmp/pipelit-crash-XXXXXX";

/* In a child: writes TRANSACTIONS one-row transactions through the db layer
 * at the given level, reporting each acknowledged commit on fd, then loses
 * power. */
static void
write_then_crash(const char *url, enum db_sqlite_sync level, int fd)
{
	struct db_settings s = *db_settings();
	s.sqlite_synchronous = level;
	db_configure(&s);
	if (register_crash_vfs() != 0)
		_exit(3);
	char *err = NULL;
	struct db *db = db_open_create(url, &err);
	if (db == NULL)
		_exit(4);
	for (int i = 1; i <= TRANSACTIONS; i++) {
		if (db_begin_write(db) != 0)
			_exit(5);
		struct db_stmt *st = db_prepare(db, "INSERT INTO ledger (n, note) VALUES (?, ?)");
		if (st == NULL || db_bind_int64(st, 1, i) != 0 ||
		    db_bind_text(st, 2, "an acknowledged write", -1) != 0 || db_step(st) != DB_DONE)
			_exit(6);
		db_reset(st);
		if (db_commit(db) != 0)
			_exit(7);
		/* Acknowledged: this is where the API would answer 201. */
		if (write(fd, &i, sizeof(i)) != sizeof(i))
			_exit(8);
	}
	/* The power cut: no close, no checkpoint, no atexit handlers. */
	_exit(0);
}

/* Runs one writer-and-crash at level; returns the number of acknowledged
 * commits in *acked and the rows found after recovery in *found. */
static int
run(const char *name, enum db_sqlite_sync level, int64_t *acked, int64_t *found)
{
	char url[256];
	snprintf(url, sizeof(url), "sqlite:///%s/%s.sqlite3", tmpdir, name);
	char *err = NULL;
	struct db *db = db_open_create(url, &err);
	if (db == NULL || db_exec(db, "CREATE TABLE ledger (n INTEGER PRIMARY KEY, note TEXT)") != 0)
		return -1;
	db_close(db);

	int fds[2];
	if (pipe(fds) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		write_then_crash(url, level, fds[1]);
	}
	close(fds[1]);
	int n = 0, last = 0;
	*acked = 0;
	while (read(fds[0], &n, sizeof(n)) == sizeof(n))
		last = n;
	close(fds[0]);
	*acked = last;
	int status = 0;
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		printf("# writer exited with status %d\n", status);
		return -1;
	}

	db = db_open_create(url, &err);
	if (db == NULL)
		return -1;
	int rc = db_query_int64(db, "SELECT count(*) FROM ledger", found);
	int64_t ok_check = 0;
	struct db_stmt *st = db_prepare(db, "PRAGMA integrity_check");
	if (st != NULL && db_step(st) == DB_ROW && strcmp(db_column_text(st, 0), "ok") == 0)
		ok_check = 1;
	db_reset(st);
	db_close(db);
	if (!ok_check)
		printf("# integrity_check failed after the crash\n");
	return rc == 0 && ok_check ? 0 : -1;
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	int64_t acked = 0, found = 0;

	ok(run("full", DB_SYNC_FULL, &acked, &found) == 0, "FULL: writer ran and the file is sound");
	is_int(acked, TRANSACTIONS, "FULL: every commit was acknowledged");
	is_int(found, acked, "FULL: every acknowledged row survives the power cut");

	/* The same run at NORMAL is the evidence that the crash is real:
	 * commits there are not synced, so the cut takes them. */
	ok(run("normal", DB_SYNC_NORMAL, &acked, &found) == 0, "NORMAL: writer ran, file sound");
	is_int(acked, TRANSACTIONS, "NORMAL: every commit was acknowledged");
	ok(found < acked, "NORMAL: the power cut loses acknowledged rows (%lld of %lld kept)",
	   (long long)found, (long long)acked);

	/* The default the pool runs with, without anyone configuring it. */
	struct db_settings fresh = *db_settings();
	ok(fresh.sqlite_synchronous == DB_SYNC_FULL, "the default level is FULL");
	is_str(db_sqlite_sync_name(fresh.sqlite_synchronous), "FULL", "and it is named FULL");

	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	return done_testing();
}
