/*
 * commit_group.c: the shared counters and the leader's lock of SQLite's
 * group commit (commit_group.h says what and why).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "db/commit_group.h"
#include "util/xalloc.h"

/* The file's layout.  Zero-filled when created (ftruncate), which is a
 * valid state: nothing written, nothing synced.  Each counter on its own
 * cache line: every committer increments written, only leaders store
 * synced. */
struct shared {
	_Atomic uint64_t written;
	char pad1[56];
	_Atomic uint64_t synced;
	char pad2[56];
	_Atomic uint64_t syncs;
	char pad3[56];
	/* The futex waiters sleep on: raised after every finished sync (and
	 * its lock released), when sleepers says someone sleeps.  Zero in a
	 * file made before it existed, which is as good a start as any. */
	_Atomic uint32_t wake;
	_Atomic uint32_t sleepers;
};

#define FILE_BYTES 4096

struct commit_group {
	char *path;
	int fd;              /* for flock: one open file description per process */
	pid_t pid;           /* the process fd belongs to (flock is per description,
			      * so a forked child must not share its parent's) */
	struct shared *sh;   /* MAP_SHARED: the same counters in every process */
};

char *
commit_group_path(const char *db_path)
{
	return xasprintf("%s-commit", db_path);
}

static int
open_file(const char *path)
{
	return open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
}

static struct shared *
map_file(int fd)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return NULL;
	/* Whoever comes first sizes it; a second ftruncate to the same size
	 * changes nothing another process may already have stored. */
	if (st.st_size < FILE_BYTES && ftruncate(fd, FILE_BYTES) != 0)
		return NULL;
	void *p = mmap(NULL, FILE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

struct commit_group *
commit_group_open(const char *db_path)
{
	char *path = commit_group_path(db_path);
	int fd = open_file(path);
	struct shared *sh = fd >= 0 ? map_file(fd) : NULL;
	if (sh == NULL) {
		int saved = errno;
		if (fd >= 0)
			close(fd);
		free(path);
		errno = saved;
		return NULL;
	}
	struct commit_group *g = xcalloc(1, sizeof *g);
	g->path = path;
	g->fd = fd;
	g->pid = getpid();
	g->sh = sh;
	return g;
}

void
commit_group_close(struct commit_group *g)
{
	if (g == NULL)
		return;
	munmap(g->sh, FILE_BYTES);
	close(g->fd);
	free(g->path);
	free(g);
}

/* The lock is the process's own even after a fork. */
static int
own_fd(struct commit_group *g)
{
	pid_t me = getpid();
	if (g->pid == me)
		return 0;
	int fd = open_file(g->path);
	if (fd < 0)
		return -1;
	close(g->fd);
	g->fd = fd;
	g->pid = me;
	return 0;
}

static void
unlock(int fd)
{
	while (flock(fd, LOCK_UN) != 0 && errno == EINTR)
		;
}

static int64_t
mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

enum lock_result { LOCKED, COVERED, NO_LOCK, TIMED_OUT };

/* Sleeps until wake no longer holds seen, or for at most us microseconds
 * (the futex is shared between processes: no FUTEX_PRIVATE_FLAG). */
static void
sleep_on_wake(struct shared *sh, uint32_t seen, int64_t us)
{
	struct timespec ts = { (time_t)(us / 1000000), (long)(us % 1000000) * 1000 };
	atomic_fetch_add(&sh->sleepers, 1);
	syscall(SYS_futex, &sh->wake, FUTEX_WAIT, seen, &ts, NULL, 0);
	atomic_fetch_sub(&sh->sleepers, 1);
}

/* After a sync and the lock's release: wakes whoever sleeps on it. */
static void
wake_sleepers(struct shared *sh)
{
	atomic_fetch_add(&sh->wake, 1);
	if (atomic_load(&sh->sleepers) > 0)
		syscall(SYS_futex, &sh->wake, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* How long a waiter sleeps before it tries the lock again although no
 * sync ended: the lock's holder may have died (the kernel drops its flock
 * but wakes nobody) or be another program. */
#define RETRY_US 1000

/*
 * Takes the leader's lock, or finds the ticket covered by a sync another
 * process finished meanwhile (then the lock is not needed at all).  flock
 * has no timeout, so a waiter tries it without blocking and otherwise
 * sleeps on the group's futex, which the leader raises as soon as its sync
 * is done and its lock released: the waiter then finds its ticket covered
 * or the lock free, without the sleeps of a polling loop (which, at 50 us
 * doubling to 1 ms, overslept most syncs, a tenth of a millisecond each).
 */
static enum lock_result
lock_or_covered(struct commit_group *g, uint64_t ticket, int64_t deadline_ms)
{
	int64_t give_up = mono_us() + deadline_ms * 1000;
	for (;;) {
		if (flock(g->fd, LOCK_EX | LOCK_NB) == 0)
			return LOCKED;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return NO_LOCK;
		/* Read before the check: a sync that ends after it changes wake,
		 * and the futex then returns at once instead of sleeping. */
		uint32_t seen = atomic_load(&g->sh->wake);
		if (atomic_load(&g->sh->synced) >= ticket)
			return COVERED;
		int64_t left = give_up - mono_us();
		if (left <= 0)
			return TIMED_OUT;
		sleep_on_wake(g->sh, seen, left < RETRY_US ? left : RETRY_US);
	}
}

int
commit_group_wait(struct commit_group *g, commit_group_sync_fn sync, void *arg,
		  int64_t deadline_ms)
{
	/* After the commit: a leader that reads written from here on syncs
	 * after our frames were written. */
	uint64_t ticket = atomic_fetch_add(&g->sh->written, 1) + 1;
	if (own_fd(g) != 0)
		return sync(arg);       /* no group: our own sync covers us */
	switch (lock_or_covered(g, ticket, deadline_ms)) {
	case LOCKED:
		break;
	case COVERED:
		return 0;
	case NO_LOCK:
		return sync(arg);
	case TIMED_OUT:
		return COMMIT_GROUP_TIMEOUT;
	}
	int rc = 0;
	if (atomic_load(&g->sh->synced) < ticket) {
		/* Every ticket up to upto was taken after its commit was
		 * written, and before this sync begins: it covers them. */
		uint64_t upto = atomic_load(&g->sh->written);
		rc = sync(arg);
		if (rc == 0) {
			atomic_store(&g->sh->synced, upto);
			atomic_fetch_add(&g->sh->syncs, 1);
		}
	}
	unlock(g->fd);
	wake_sleepers(g->sh);
	return rc;
}

int
commit_group_read(const char *db_path, struct commit_group_counters *out)
{
	char *path = commit_group_path(db_path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size < FILE_BYTES) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	void *p = mmap(NULL, FILE_BYTES, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	struct shared *sh = p;
	out->written = atomic_load(&sh->written);
	out->synced = atomic_load(&sh->synced);
	out->syncs = atomic_load(&sh->syncs);
	munmap(p, FILE_BYTES);
	return 0;
}
