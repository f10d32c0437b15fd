/*
 * writer_lock.c: the process-shared mutex in front of SQLite's write lock
 * (writer_lock.h says what and why).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db/writer_lock.h"
#include "util/xalloc.h"

/* The file's layout.  Zero-filled when created; the first opener sets the
 * mutex up (under flock, so only one does) and then marks it ready. */
struct shared {
	_Atomic uint32_t ready;
	char pad[60];
	pthread_mutex_t mutex;
};

#define FILE_BYTES 4096
#define READY 0x57524c31u    /* "WRL1": set up by this layout's code */

struct writer_lock {
	struct shared *sh;
	int held;
};

static int
set_up(int fd, struct shared *sh)
{
	if (atomic_load(&sh->ready) == READY)
		return 0;
	/* Set-up takes a moment and happens once per file: a blocking flock
	 * is bounded by another opener's set-up. */
	while (flock(fd, LOCK_EX) != 0)
		if (errno != EINTR)
			return -1;
	int rc = 0;
	if (atomic_load(&sh->ready) != READY) {
		pthread_mutexattr_t a;
		rc = pthread_mutexattr_init(&a) || pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED) ||
		     pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) ||
		     pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK) ||
		     pthread_mutex_init(&sh->mutex, &a) ? -1 : 0;
		pthread_mutexattr_destroy(&a);
		if (rc == 0)
			atomic_store(&sh->ready, READY);
	}
	flock(fd, LOCK_UN);
	return rc;
}

struct writer_lock *
writer_lock_open(const char *db_path)
{
	char *path = xasprintf("%s-writer", db_path);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	free(path);
	if (fd < 0)
		return NULL;
	struct stat st;
	void *p = MAP_FAILED;
	if (fstat(fd, &st) == 0 && (st.st_size >= FILE_BYTES || ftruncate(fd, FILE_BYTES) == 0))
		p = mmap(NULL, FILE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || set_up(fd, p) != 0) {
		int saved = errno;
		if (p != MAP_FAILED)
			munmap(p, FILE_BYTES);
		close(fd);
		errno = saved;
		return NULL;
	}
	close(fd);                   /* the mapping stays */
	struct writer_lock *w = xcalloc(1, sizeof *w);
	w->sh = p;
	return w;
}

void
writer_lock_close(struct writer_lock *w)
{
	if (w == NULL)
		return;
	writer_lock_release(w);
	munmap(w->sh, FILE_BYTES);
	free(w);
}

enum writer_lock_result
writer_lock_take(struct writer_lock *w, int64_t deadline_ms)
{
	if (w->held)
		return WRITER_LOCK_HELD;
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += deadline_ms / 1000;
	until.tv_nsec += (deadline_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	int rc = pthread_mutex_clocklock(&w->sh->mutex, CLOCK_MONOTONIC, &until);
	if (rc == EOWNERDEAD) {
		/* Its holder died in a transaction SQLite has already undone
		 * (its locks went with the process): nothing here to repair. */
		pthread_mutex_consistent(&w->sh->mutex);
		rc = 0;
	}
	if (rc == 0) {
		w->held = 1;
		return WRITER_LOCK_HELD;
	}
	return rc == ETIMEDOUT ? WRITER_LOCK_TIMEOUT : WRITER_LOCK_UNUSABLE;
}

void
writer_lock_release(struct writer_lock *w)
{
	if (w == NULL || !w->held)
		return;
	w->held = 0;
	pthread_mutex_unlock(&w->sh->mutex);
}
