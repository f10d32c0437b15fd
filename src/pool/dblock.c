/* dblock.c: see dblock.h. */
#include "pool/dblock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "db/db.h"
#include "util/fsutil.h"
#include "util/xalloc.h"

char *
dblock_path(const char *database_url)
{
	return db_url_sibling(database_url, "-pool.lock");
}

static int
open_lock_file(const char *path, char **err)
{
	fs_make_parent_dirs(path);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		*err = xasprintf("cannot open the lock file %s: %s", path, strerror(errno));
	return fd;
}

static void
write_pid(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	/* The pid is only for messages: a failed write changes nothing. */
	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		return;
}

static pid_t
read_pid(int fd)
{
	char buf[32] = { 0 };
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	return n > 0 ? (pid_t)atol(buf) : 0;
}

int
dblock_share(const char *database_url, char **err)
{
	char *path = dblock_path(database_url);
	if (path == NULL)
		return -1;
	int fd = open_lock_file(path, err);
	if (fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) != 0) {
		*err = errno == EWOULDBLOCK ?
			       xasprintf("a database restore is running on this database (%s is "
					 "locked); start the pool when it is done", path) :
			       xasprintf("cannot lock %s: %s", path, strerror(errno));
		close(fd);
		fd = -1;
	}
	free(path);
	if (fd < 0)
		return -2;
	write_pid(fd);
	return fd;
}

int
dblock_take(const char *database_url, pid_t *holder, char **err)
{
	*holder = 0;
	char *path = dblock_path(database_url);
	if (path == NULL)
		return -1;
	int fd = open_lock_file(path, err);
	free(path);
	if (fd < 0)
		return -3;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	int rc = -3;
	if (errno == EWOULDBLOCK) {
		*holder = read_pid(fd);
		rc = -2;
	} else {
		*err = xasprintf("cannot lock the pool lock file: %s", strerror(errno));
	}
	close(fd);
	return rc;
}

void
dblock_release(int fd)
{
	if (fd >= 0)
		close(fd);
}
