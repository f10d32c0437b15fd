/*
 * wal_vfs.c: gathers SQLite's write-ahead-log appends into one write per
 * commit (wal_vfs.h says what and why).
 *
 * How SQLite writes the log (wal.c): a transaction's frames are appended
 * one after another at the log's end, each as a 24-byte header write and
 * then a page write right behind it; the last frame's header carries the
 * database size in bytes 4-7 (non-zero: the commit frame).  Only after the
 * commit frame is written does SQLite publish the new end of the log in
 * the shared-memory index, where other connections find it.
 *
 * The rules that keep SQLite's guarantees:
 *
 *  - Only appends are gathered: a write that continues the buffered bytes,
 *    or starts an empty buffer.  Any other write first writes out what is
 *    gathered, so the file sees the writes in SQLite's order.
 *  - The commit frame's page is written out (with everything before it) in
 *    the xWrite that hands it over, and that write's error is the xWrite's
 *    answer: the commit fails as it would without us (a full disk is still
 *    SQLITE_FULL at COMMIT), and once SQLite publishes the commit its
 *    frames are in the file, so a crash of this process loses nothing a
 *    crash without the buffer would not have lost.
 *  - A write at the offset this handle last read is a frame header being
 *    rewritten in place (walRewriteChecksums reads a frame, then writes its
 *    header again; the last of them is the commit frame's, with no page
 *    after it): it is written through at once, never left in the buffer.
 *  - Before anything that reads or depends on the file's bytes or size
 *    (xRead, xSync, xTruncate, xFileSize, xFileControl, xLock/xUnlock,
 *    xClose) the buffer is written out.
 *  - Before the database's shared-memory locks are released (the log's
 *    write lock among them) the buffer is written out: frames of a
 *    transaction that spilled and then rolled back must reach the file
 *    while this connection still owns that stretch of it, never later
 *    over frames another process has written since.
 *  - The buffer has a cap; a larger write goes straight through.
 *
 * Buffered bytes are written with the default VFS's own xWrite (one write
 * of the contiguous buffer), so its error mapping (ENOSPC -> SQLITE_FULL)
 * and its record of errno are kept.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db/wal_vfs.h"

#define VFS_NAME "pipelit-wal"
/* The unix VFS writes at most 128 KiB - 1 in one xWrite (it masks the
 * length with 0x1ffff and reports a longer one as a full disk), so the
 * buffer stays below that: one flush is one xWrite.  30 pages of 4 KiB
 * with their headers fit, more than a trigger or a completion writes. */
#define BUFFER_CAP (124 * 1024)
#define FRAME_HEADER_BYTES 24

struct vfs_file {
	sqlite3_file base;          /* pMethods: ours */
	sqlite3_file *real;         /* the default VFS's file, in the same allocation */
	int is_wal;
	struct vfs_file *wal;       /* a database file: its open log, if any */
	struct vfs_file *db;        /* a log: its database file */
	/* A log's gathered appends: len bytes that belong at offset start. */
	unsigned char *buf;
	size_t len;
	sqlite3_int64 start;
	int commit_page_next;       /* the last write was a commit frame's header */
	sqlite3_int64 last_read;    /* offset of the last xRead, -1 after a write */
};

static sqlite3_vfs *root;       /* the default VFS underneath */

/* The real file sits after our struct, aligned for any type. */
#define REAL_OFFSET ((sizeof(struct vfs_file) + 15) & ~(size_t)15)

/* ---- the buffer ------------------------------------------------------ */

static int
flush(struct vfs_file *f)
{
	f->commit_page_next = 0;
	if (f->len == 0)
		return SQLITE_OK;
	size_t n = f->len;
	f->len = 0;
	return f->real->pMethods->xWrite(f->real, f->buf, (int)n, f->start);
}

static int
is_commit_header(const void *p, int n)
{
	const unsigned char *b = p;
	return n == FRAME_HEADER_BYTES && (b[4] | b[5] | b[6] | b[7]) != 0;
}

static int
write_through(struct vfs_file *f, const void *p, int n, sqlite3_int64 off)
{
	int rc = flush(f);
	if (rc != SQLITE_OK)
		return rc;
	return f->real->pMethods->xWrite(f->real, p, n, off);
}

static int
wal_write(struct vfs_file *f, const void *p, int n, sqlite3_int64 off)
{
	int rewrite = off == f->last_read;
	f->last_read = -1;
	if (rewrite || n > BUFFER_CAP)
		return write_through(f, p, n, off);
	if (f->len > 0 && (off != f->start + (sqlite3_int64)f->len ||
			   f->len + (size_t)n > BUFFER_CAP)) {
		int rc = flush(f);
		if (rc != SQLITE_OK)
			return rc;
	}
	if (f->buf == NULL && (f->buf = sqlite3_malloc(BUFFER_CAP)) == NULL)
		return write_through(f, p, n, off);
	int commit_page = f->commit_page_next;
	if (f->len == 0)
		f->start = off;
	memcpy(f->buf + f->len, p, (size_t)n);
	f->len += (size_t)n;
	if (commit_page)
		return flush(f);
	f->commit_page_next = is_commit_header(p, n);
	return SQLITE_OK;
}

/* ---- io methods ------------------------------------------------------ */

static struct vfs_file *
vf(sqlite3_file *f)
{
	return (struct vfs_file *)f;
}

/* Writes out a log's buffer before an operation that must see the file
 * as SQLite believes it is; a failure is that operation's answer. */
#define FLUSH_OR_RETURN(f)                                  \
	do {                                                \
		if ((f)->is_wal) {                          \
			int rc_ = flush(f);                 \
			if (rc_ != SQLITE_OK)               \
				return rc_;                 \
		}                                           \
	} while (0)

static int
x_close(sqlite3_file *file)
{
	struct vfs_file *f = vf(file);
	int frc = f->is_wal ? flush(f) : SQLITE_OK;
	if (f->wal != NULL)
		f->wal->db = NULL;
	if (f->db != NULL)
		f->db->wal = NULL;
	sqlite3_free(f->buf);
	f->buf = NULL;
	int rc = f->real->pMethods->xClose(f->real);
	return frc != SQLITE_OK ? frc : rc;
}

static int
x_read(sqlite3_file *file, void *p, int n, sqlite3_int64 off)
{
	struct vfs_file *f = vf(file);
	FLUSH_OR_RETURN(f);
	if (f->is_wal)
		f->last_read = off;
	return f->real->pMethods->xRead(f->real, p, n, off);
}

static int
x_write(sqlite3_file *file, const void *p, int n, sqlite3_int64 off)
{
	struct vfs_file *f = vf(file);
	if (f->is_wal)
		return wal_write(f, p, n, off);
	return f->real->pMethods->xWrite(f->real, p, n, off);
}

static int
x_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct vfs_file *f = vf(file);
	FLUSH_OR_RETURN(f);
	return f->real->pMethods->xTruncate(f->real, size);
}

static int
x_sync(sqlite3_file *file, int flags)
{
	struct vfs_file *f = vf(file);
	FLUSH_OR_RETURN(f);
	return f->real->pMethods->xSync(f->real, flags);
}

static int
x_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	struct vfs_file *f = vf(file);
	FLUSH_OR_RETURN(f);
	return f->real->pMethods->xFileSize(f->real, size);
}

static int
x_lock(sqlite3_file *file, int level)
{
	struct vfs_file *f = vf(file);
	FLUSH_OR_RETURN(f);
	return f->real->pMethods->xLock(f->real, level);
}

static int
x_unlock(sqlite3_file *file, int level)
{
	struct vfs_file *f = vf(file);
	FLUSH_OR_RETURN(f);
	return f->real->pMethods->xUnlock(f->real, level);
}

static int
x_check_reserved_lock(sqlite3_file *file, int *out)
{
	struct vfs_file *f = vf(file);
	return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int
x_file_control(sqlite3_file *file, int op, void *arg)
{
	struct vfs_file *f = vf(file);
	FLUSH_OR_RETURN(f);
	if (op == SQLITE_FCNTL_VFSNAME) {
		/* Say who answered, as shims are asked to. */
		char **name = arg;
		int rc = f->real->pMethods->xFileControl(f->real, op, arg);
		if (rc == SQLITE_OK && *name != NULL) {
			char *both = sqlite3_mprintf(VFS_NAME "/%z", *name);
			*name = both;
		} else if (rc == SQLITE_NOTFOUND) {
			*name = sqlite3_mprintf(VFS_NAME);
			rc = SQLITE_OK;
		}
		return rc;
	}
	return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int
x_sector_size(sqlite3_file *file)
{
	struct vfs_file *f = vf(file);
	return f->real->pMethods->xSectorSize(f->real);
}

static int
x_device_characteristics(sqlite3_file *file)
{
	struct vfs_file *f = vf(file);
	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int
x_shm_map(sqlite3_file *file, int region, int size, int extend, void volatile **p)
{
	struct vfs_file *f = vf(file);
	return f->real->pMethods->xShmMap(f->real, region, size, extend, p);
}

/* The database file's shared-memory locks: the log's write lock is one of
 * them, so whatever the log gathered goes out before any is released. */
static int
x_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	struct vfs_file *f = vf(file);
	if ((flags & SQLITE_SHM_UNLOCK) && f->wal != NULL && f->wal->len > 0) {
		/* An unlock cannot fail; the frames are of a transaction that
		 * did not commit (a commit writes its own out), so losing them
		 * loses nothing. */
		(void)flush(f->wal);
	}
	return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void
x_shm_barrier(sqlite3_file *file)
{
	struct vfs_file *f = vf(file);
	f->real->pMethods->xShmBarrier(f->real);
}

static int
x_shm_unmap(sqlite3_file *file, int delete_flag)
{
	struct vfs_file *f = vf(file);
	return f->real->pMethods->xShmUnmap(f->real, delete_flag);
}

static int
x_fetch(sqlite3_file *file, sqlite3_int64 off, int n, void **p)
{
	struct vfs_file *f = vf(file);
	FLUSH_OR_RETURN(f);
	return f->real->pMethods->xFetch(f->real, off, n, p);
}

static int
x_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
	struct vfs_file *f = vf(file);
	return f->real->pMethods->xUnfetch(f->real, off, p);
}

static const sqlite3_io_methods io_methods = {
	.iVersion = 3,
	.xClose = x_close,
	.xRead = x_read,
	.xWrite = x_write,
	.xTruncate = x_truncate,
	.xSync = x_sync,
	.xFileSize = x_file_size,
	.xLock = x_lock,
	.xUnlock = x_unlock,
	.xCheckReservedLock = x_check_reserved_lock,
	.xFileControl = x_file_control,
	.xSectorSize = x_sector_size,
	.xDeviceCharacteristics = x_device_characteristics,
	.xShmMap = x_shm_map,
	.xShmLock = x_shm_lock,
	.xShmBarrier = x_shm_barrier,
	.xShmUnmap = x_shm_unmap,
	.xFetch = x_fetch,
	.xUnfetch = x_unfetch,
};

/* ---- the VFS --------------------------------------------------------- */

static int
x_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags)
{
	(void)vfs;
	struct vfs_file *f = vf(file);
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)((char *)file + REAL_OFFSET);
	f->last_read = -1;
	int rc = root->xOpen(root, name, f->real, flags, out_flags);
	if (f->real->pMethods == NULL) {
		f->base.pMethods = NULL;    /* nothing to close */
		return rc;
	}
	f->base.pMethods = &io_methods;
	if (rc == SQLITE_OK && (flags & SQLITE_OPEN_WAL) && name != NULL) {
		f->is_wal = 1;
		/* The database's file, through which its shared-memory locks
		 * are taken (SQLite passes the log's name so that this finds
		 * it).  Ours as well: every file of the connection is. */
		sqlite3_file *db = sqlite3_database_file_object(name);
		if (db != NULL && db->pMethods == &io_methods) {
			f->db = vf(db);
			f->db->wal = f;
		}
	}
	return rc;
}

/* The rest is the default VFS's own, called with its own struct (some of
 * its methods may look at their VFS argument). */
static int
x_delete(sqlite3_vfs *v, const char *name, int sync_dir)
{
	(void)v;
	return root->xDelete(root, name, sync_dir);
}

static int
x_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	(void)v;
	return root->xAccess(root, name, flags, out);
}

static int
x_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out)
{
	(void)v;
	return root->xFullPathname(root, name, n, out);
}

static void *
x_dl_open(sqlite3_vfs *v, const char *name)
{
	(void)v;
	return root->xDlOpen(root, name);
}

static void
x_dl_error(sqlite3_vfs *v, int n, char *msg)
{
	(void)v;
	root->xDlError(root, n, msg);
}

static void (*x_dl_sym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
	(void)v;
	return root->xDlSym(root, h, sym);
}

static void
x_dl_close(sqlite3_vfs *v, void *h)
{
	(void)v;
	root->xDlClose(root, h);
}

static int
x_randomness(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return root->xRandomness(root, n, out);
}

static int
x_sleep(sqlite3_vfs *v, int us)
{
	(void)v;
	return root->xSleep(root, us);
}

static int
x_current_time(sqlite3_vfs *v, double *out)
{
	(void)v;
	return root->xCurrentTime(root, out);
}

static int
x_get_last_error(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return root->xGetLastError ? root->xGetLastError(root, n, out) : 0;
}

static int
x_current_time_int64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	(void)v;
	return root->xCurrentTimeInt64(root, out);
}

static int
x_set_system_call(sqlite3_vfs *v, const char *name, sqlite3_syscall_ptr p)
{
	(void)v;
	return root->xSetSystemCall(root, name, p);
}

static sqlite3_syscall_ptr
x_get_system_call(sqlite3_vfs *v, const char *name)
{
	(void)v;
	return root->xGetSystemCall(root, name);
}

static const char *
x_next_system_call(sqlite3_vfs *v, const char *name)
{
	(void)v;
	return root->xNextSystemCall(root, name);
}

static sqlite3_vfs vfs = {
	.iVersion = 3,
	.zName = VFS_NAME,
	.xOpen = x_open,
	.xDelete = x_delete,
	.xAccess = x_access,
	.xFullPathname = x_full_pathname,
	.xDlOpen = x_dl_open,
	.xDlError = x_dl_error,
	.xDlSym = x_dl_sym,
	.xDlClose = x_dl_close,
	.xRandomness = x_randomness,
	.xSleep = x_sleep,
	.xCurrentTime = x_current_time,
	.xGetLastError = x_get_last_error,
	.xCurrentTimeInt64 = x_current_time_int64,
	.xSetSystemCall = x_set_system_call,
	.xGetSystemCall = x_get_system_call,
	.xNextSystemCall = x_next_system_call,
};

int
wal_vfs_register(void)
{
	if (root != NULL)
		return SQLITE_OK;
	sqlite3_vfs *base = sqlite3_vfs_find(NULL);
	if (base == NULL)
		return SQLITE_ERROR;
	/* The methods above forward every one of version 3's: a default VFS
	 * of an older version (none on Linux) is left alone. */
	if (base->iVersion < 3)
		return SQLITE_ERROR;
	vfs.szOsFile = (int)REAL_OFFSET + base->szOsFile;
	vfs.mxPathname = base->mxPathname;
	root = base;
	int rc = sqlite3_vfs_register(&vfs, 1);
	if (rc != SQLITE_OK)
		root = NULL;
	return rc;
}
