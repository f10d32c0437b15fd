/* slots.c: see slots.h. */
#include "slots.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "util/fsutil.h"
#include "util/log.h"

int
slot_take(const char *dir, const char *owner, int max)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s-0.lock", dir, owner);
	if (fs_make_parent_dirs(path) != 0) {
		log_warn("cannot create %s (%s): concurrent calls are not limited", dir,
			 strerror(errno));
		return SLOT_ERROR;
	}
	/* Start at a different slot in each process so they rarely collide. */
	int start = max > 0 ? (int)(getpid() % max) : 0;
	for (int i = 0; i < max; i++) {
		int k = (start + i) % max;
		snprintf(path, sizeof(path), "%s/%s-%d.lock", dir, owner, k);
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			log_warn("cannot open %s (%s): concurrent calls are not limited", path,
				 strerror(errno));
			return SLOT_ERROR;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		close(fd);
	}
	return SLOT_BUSY;
}

void
slot_release(int fd)
{
	if (fd >= 0)
		close(fd);	/* closing drops the lock */
}
