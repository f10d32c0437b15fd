/* scoreboard.c: see scoreboard.h. */
#include "scoreboard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/fsutil.h"
#include "util/xalloc.h"
#include "util/timefmt.h"

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

char *
scoreboard_path(const char *pid_file)
{
	size_t n = strlen(pid_file);
	if (n > 4 && strcmp(pid_file + n - 4, ".pid") == 0)
		n -= 4;
	return xasprintf("%.*s.scoreboard", (int)n, pid_file);
}

struct scoreboard *
scoreboard_create(const char *path, char **err)
{
	fs_make_parent_dirs(path);
	/* A new inode: a child of a dead master may still map the old one. */
	unlink(path);
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		*err = xasprintf("cannot create the scoreboard %s: %s", path, strerror(errno));
		return NULL;
	}
	void *p = MAP_FAILED;
	if (ftruncate(fd, sizeof(struct scoreboard)) == 0)
		p = mmap(NULL, sizeof(struct scoreboard), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		*err = xasprintf("cannot map the scoreboard %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return NULL;
	}
	close(fd);
	struct scoreboard *sb = p;
	sb->head.layout = SB_LAYOUT;
	STORE(sb->head.magic, SB_MAGIC);
	return sb;
}

const struct scoreboard *
scoreboard_open_readonly(const char *path, char **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*err = xasprintf("cannot open %s: %s (is the pool running with this PID file?)",
				 path, strerror(errno));
		return NULL;
	}
	struct stat st;
	void *p = MAP_FAILED;
	if (fstat(fd, &st) == 0 && st.st_size == (off_t)sizeof(struct scoreboard))
		p = mmap(NULL, sizeof(struct scoreboard), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		*err = xasprintf("%s is not a scoreboard of this pipelit version", path);
		return NULL;
	}
	const struct scoreboard *sb = p;
	if (LOAD(sb->head.magic) != SB_MAGIC || sb->head.layout != SB_LAYOUT) {
		*err = xasprintf("%s is not a scoreboard of this pipelit version", path);
		munmap(p, sizeof(struct scoreboard));
		return NULL;
	}
	return sb;
}

void
scoreboard_unmap(const struct scoreboard *sb)
{
	if (sb != NULL)
		munmap((void *)sb, sizeof(*sb));
}

int
scoreboard_claim(struct scoreboard *sb, pid_t pid, enum sb_role role)
{
	for (int i = 0; i < SB_ENTRIES; i++) {
		struct sb_entry *e = &sb->entries[i];
		if (LOAD(e->pid) != 0)
			continue;
		/* Only the master writes pids, so nobody races us for it. */
		memset(e, 0, sizeof(*e));
		e->role = role;
		e->started_unix = (int64_t)time(NULL);
		e->turn_ms = time_mono_ms();
		STORE(e->pid, (int32_t)pid);
		return i;
	}
	return -1;
}

void
scoreboard_set_pid(struct scoreboard *sb, int entry, pid_t pid)
{
	if (entry >= 0)
		STORE(sb->entries[entry].pid, (int32_t)pid);
}

void
scoreboard_release(struct scoreboard *sb, int entry)
{
	if (entry < 0)
		return;
	struct sb_entry *e = &sb->entries[entry];
	if (e->role != SB_ROLE_TRIGGER_WRITER) {
		sb->head.gone_accepted += LOAD(e->accepted);
		sb->head.gone_requests += LOAD(e->requests);
		sb->head.gone_slow += LOAD(e->slow);
	}
	STORE(e->pid, 0);
}

void
scoreboard_idle(struct scoreboard *sb, int entry)
{
	if (sb != NULL && entry >= 0)
		STORE(sb->entries[entry].state, SB_IDLE);
}

void
scoreboard_accepted(struct scoreboard *sb, int entry)
{
	if (sb != NULL && entry >= 0)
		STORE(sb->entries[entry].accepted, sb->entries[entry].accepted + 1);
}

void
scoreboard_busy(struct scoreboard *sb, int entry, const char *method, const char *uri)
{
	if (sb == NULL || entry < 0)
		return;
	struct sb_entry *e = &sb->entries[entry];
	/* The path only: a query string may carry what a status page must
	 * not show. */
	const char *u = uri ? uri : "?";
	int path_len = (int)strcspn(u, "?");
	snprintf(e->request, sizeof(e->request), "%s %.*s", method ? method : "?", path_len, u);
	STORE(e->request_start_ms, time_mono_ms());
	STORE(e->state, SB_BUSY);
}

void
scoreboard_done(struct scoreboard *sb, int entry, int slow)
{
	if (sb == NULL || entry < 0)
		return;
	struct sb_entry *e = &sb->entries[entry];
	STORE(e->state, SB_IDLE);
	STORE(e->requests, e->requests + 1);
	if (slow)
		STORE(e->slow, e->slow + 1);
}

void
scoreboard_triggers(struct scoreboard *sb, int entry, int64_t n)
{
	if (sb == NULL || entry < 0)
		return;
	struct sb_entry *e = &sb->entries[entry];
	STORE(e->requests, e->requests + n);
}

void
scoreboard_draining(struct scoreboard *sb, int entry)
{
	if (sb != NULL && entry >= 0)
		STORE(sb->entries[entry].state, SB_DRAINING);
}

void
scoreboard_turn(struct scoreboard *sb, int entry)
{
	if (sb != NULL && entry >= 0)
		STORE(sb->entries[entry].turn_ms, time_mono_ms());
}

void
scoreboard_lease_owner(struct scoreboard *sb, int entry, const char *owner)
{
	if (sb == NULL || entry < 0)
		return;
	/* Read by the master only after this child has exited. */
	snprintf(sb->entries[entry].lease_owner, sizeof sb->entries[entry].lease_owner, "%s",
		 owner);
}

void
scoreboard_gave_back(struct scoreboard *sb, int entry)
{
	if (sb != NULL && entry >= 0)
		STORE(sb->entries[entry].gave_back, 1);
}

int
scoreboard_others_busy(const struct scoreboard *sb, int entry)
{
	if (sb == NULL)
		return 0;
	for (int i = 0; i < SB_ENTRIES; i++)
		if (i != entry && LOAD(sb->entries[i].pid) != 0 &&
		    sb->entries[i].role == SB_ROLE_RESPONDER && LOAD(sb->entries[i].state) == SB_BUSY)
			return 1;
	return 0;
}
