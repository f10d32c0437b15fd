/* wake.c: see wake.h. */
#include "wake.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db.h"
#include "util/config.h"
#include "util/log.h"
#include "util/xalloc.h"

char *
wake_path(const struct config *cfg)
{
	return db_url_sibling(cfg->database_url, "-wake");
}

/* The writer end, opened once per process and kept: a trigger then costs
 * one write(2).  -1 until opened; reopened after a failure. */
static int wake_fd = -1;

void
wake_executors(const struct config *cfg)
{
	if (wake_fd < 0) {
		char *path = wake_path(cfg);
		if (path == NULL)
			return;
		/* O_NONBLOCK: with no reader (no executor yet) the open fails
		 * with ENXIO instead of waiting; the work waits in the table. */
		wake_fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		free(path);
		if (wake_fd < 0)
			return;
	}
	char b = 1;
	if (write(wake_fd, &b, 1) < 0 && errno != EAGAIN) {
		/* EAGAIN: the FIFO is full, so a wake-up is pending anyway. */
		close(wake_fd);
		wake_fd = -1;
	}
}

int
wake_open_reader(const struct config *cfg)
{
	char *path = wake_path(cfg);
	if (path == NULL)
		return -1;
	if (mkfifo(path, 0600) != 0 && errno != EEXIST) {
		log_warn("engine wake-up FIFO %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	/* O_RDWR keeps a writer open on our side, so the FIFO never reports
	 * end-of-file when the last outside writer closes. */
	int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		log_warn("engine wake-up FIFO %s: %s", path, strerror(errno));
	free(path);
	return fd;
}

int
wake_drain(int fd)
{
	char buf[256];
	ssize_t n;
	int got = 0;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		got += (int)n;
	return got;
}
