/* pidfile.c: see pidfile.h. */
#include "pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/xalloc.h"
#include "util/fsutil.h"

long
pidfile_read(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return errno == ENOENT ? 0 : -1;
	long pid = 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	return pid;
}

static int
process_is_alive(long pid)
{
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

static int
write_pid(const char *path, char **err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		*err = xasprintf("cannot create PID file %s: %s", path, strerror(errno));
		return -1;
	}
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		*err = xasprintf("cannot write PID file %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

int
pidfile_claim(const char *path, char **err)
{
	fs_make_parent_dirs(path);
	/* O_EXCL makes two masters starting at once race for the file, not
	 * both win; the loser sees the winner's pid below. */
	for (int attempt = 0; attempt < 2; attempt++) {
		if (write_pid(path, err) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
		free(*err);
		*err = NULL;
		long pid = pidfile_read(path);
		if (process_is_alive(pid) && pid != (long)getpid()) {
			*err = xasprintf("another pipelit (pid %ld) is running with PID file %s; "
					 "stop it first", pid, path);
			return -1;
		}
		if (pid == 0 && attempt == 0) {
			/* Perhaps being written this instant by another master. */
			usleep(100000);
			pid = pidfile_read(path);
			if (process_is_alive(pid)) {
				*err = xasprintf("another pipelit (pid %ld) is running with PID "
						 "file %s; stop it first", pid, path);
				return -1;
			}
		}
		unlink(path);	/* stale */
	}
	*err = xasprintf("cannot claim PID file %s: another process keeps recreating it", path);
	return -1;
}

void
pidfile_release(const char *path)
{
	if (pidfile_read(path) == (long)getpid())
		unlink(path);
}
