/* workspace_dir.c: see workspace_dir.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* renameat2 and RENAME_NOREPLACE */
#endif
#include "workspace_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fsutil.h"
#include "util/xalloc.h"

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#define REQUESTED_MAX 4096
/* Directories deeper than this below the one being emptied are moved up
 * to its top level and emptied from there: one descriptor per level is
 * held, so the depth must stay well inside the descriptor limit whatever
 * a sandbox made. */
#define MAX_DEPTH 48
/* Passes over one directory before giving up on something that keeps
 * adding entries. */
#define MAX_PASSES 100000
#define TMP_DIR ".tmp"

int
wsdir_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > NAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p == '/' || *p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* The next component of a path at *p ("" at the end), skipping repeated
 * slashes: its start, and its length in *len. */
static const char *
next_component(const char **p, size_t *len)
{
	while (**p == '/')
		(*p)++;
	const char *start = *p;
	while (**p != '\0' && **p != '/')
		(*p)++;
	*len = (size_t)(*p - start);
	return start;
}

static int
is_dot_or_dotdot(const char *c, size_t len)
{
	return (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.');
}

/* Moves *p past root's components when requested starts with them;
 * 0, or -1 when it does not. */
static int
skip_root(const char *root, const char **p)
{
	const char *r = root;
	for (;;) {
		size_t rlen, len;
		const char *rc = next_component(&r, &rlen);
		if (rlen == 0)
			return 0;
		const char *save = *p;
		const char *c = next_component(p, &len);
		if (len != rlen || memcmp(c, rc, len) != 0) {
			*p = save;
			return -1;
		}
	}
}

int
wsdir_name_of_path(const char *root, const char *requested, char **name)
{
	*name = NULL;
	if (requested == NULL || strlen(requested) > REQUESTED_MAX)
		return WSDIR_OUTSIDE;
	/* A path with "." or ".." anywhere is refused outright rather than
	 * resolved: what it means depends on symlinks the server must not
	 * follow. */
	const char *p = requested;
	size_t len;
	for (;;) {
		const char *c = next_component(&p, &len);
		if (len == 0)
			break;
		if (is_dot_or_dotdot(c, len))
			return WSDIR_OUTSIDE;
	}
	p = requested;
	if (*p == '/' && skip_root(root, &p) != 0)
		return WSDIR_OUTSIDE;
	const char *c = next_component(&p, &len);
	size_t more;
	next_component(&p, &more);
	if (len == 0 || more != 0)
		return WSDIR_OUTSIDE;  /* the root itself, or deeper than one level */
	char *n = xstrndup(c, len);
	char *full = wsdir_path(root, n);
	int ok = wsdir_name_ok(n) && strlen(full) <= WSDIR_PATH_MAX;
	free(full);
	if (!ok) {
		free(n);
		return WSDIR_OUTSIDE;
	}
	*name = n;
	return WSDIR_OK;
}

char *
wsdir_path(const char *root, const char *name)
{
	size_t n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	if (n == 1 && root[0] == '/')
		n = 0;
	return xasprintf("%.*s/%s", (int)n, root, name);
}

/* --- descriptors ------------------------------------------------------------------ */

/* The root, made (0700) when missing; -1 with errno. */
static int
open_root(const char *root, int create)
{
	if (create) {
		char *probe = wsdir_path(root, "x");
		int rc = fs_make_parent_dirs(probe);
		free(probe);
		if (rc != 0)
			return -1;
	}
	return open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* A directory entry of parent opened without following a symlink: the
 * descriptor, or -1 with *res set (WSDIR_OUTSIDE when the entry is a
 * symlink or not a directory, WSDIR_IO otherwise, errno kept). */
static int
open_dir_at(int parent, const char *name, int *res)
{
	int fd = openat(parent, name, DIR_FLAGS);
	if (fd >= 0)
		return fd;
	*res = errno == ELOOP || errno == ENOTDIR ? WSDIR_OUTSIDE : WSDIR_IO;
	return -1;
}

/* Makes a directory we may own private; a directory of another user
 * (EPERM) keeps its mode. */
static int
make_private(int fd)
{
	return fchmod(fd, 0700) == 0 || errno == EPERM ? 0 : -1;
}

/* --- removal ---------------------------------------------------------------------- */

/*
 * Gives directory name of parent (one a sandbox left without read, write
 * or search permission for its owner) mode 0700, through an O_PATH
 * descriptor and its /proc link: the inode opened without following a
 * symlink is the one changed, whatever replaces the name meanwhile.
 */
static int
unlock_dir(int parent, const char *name)
{
	int fd = openat(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	int rc = chmod(proc, 0700);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

static int empty_dir(int top, int fd, int depth);

/* Moves directory name of parent to the top level of the directory being
 * emptied, under a name nothing else uses, to be emptied from there. */
static int
move_to_top(int top, int parent, const char *name)
{
	static unsigned long counter;
	for (int tries = 0; tries < 100; tries++) {
		char moved[64];
		snprintf(moved, sizeof(moved), ".pipelit-deep-%ld-%lu", (long)getpid(), ++counter);
		if (renameat2(parent, name, top, moved, RENAME_NOREPLACE) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

/*
 * Removes entry name of parent and everything under it without following
 * a symlink: a symlink is unlinked, a directory opened with O_NOFOLLOW and
 * emptied through its own descriptor.  depth is name's depth below top
 * (top < 0: name is the top itself).  0, or -1 with errno.
 */
static int
remove_at(int top, int parent, const char *name, int depth)
{
	for (int tries = 0; tries < 3; tries++) {
		if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
			return 0;
		if (errno != EISDIR && errno != EPERM)
			return -1;
		int fd = openat(parent, name, DIR_FLAGS);
		if (fd < 0 && errno == EACCES && unlock_dir(parent, name) == 0)
			fd = openat(parent, name, DIR_FLAGS);
		if (fd < 0) {
			if (errno == ENOENT)
				return 0;
			if (errno == ELOOP || errno == ENOTDIR)
				continue;   /* replaced by a symlink or a file meanwhile */
			return -1;
		}
		if (top >= 0 && depth >= MAX_DEPTH) {
			close(fd);
			return move_to_top(top, parent, name);
		}
		/* Its entries can be removed only with write and search permission. */
		make_private(fd);
		int rc = top >= 0 ? empty_dir(top, fd, depth + 1) : empty_dir(fd, fd, 1);
		int saved = errno;
		close(fd);
		if (rc != 0) {
			errno = saved;
			return -1;
		}
		if (unlinkat(parent, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
			return 0;
		if (errno != ENOTEMPTY && errno != EEXIST)
			return -1;
	}
	errno = EBUSY;
	return -1;
}

/* Removes every entry of directory fd (at depth below top), pass after
 * pass until a pass finds none.  0, or -1 with errno. */
static int
empty_dir(int top, int fd, int depth)
{
	for (int pass = 0; pass < MAX_PASSES; pass++) {
		int dfd = dup(fd);
		DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
		if (d == NULL) {
			int saved = errno;
			if (dfd >= 0)
				close(dfd);
			errno = saved;
			return -1;
		}
		rewinddir(d);
		int found = 0, rc = 0;
		struct dirent *e;
		errno = 0;
		while (rc == 0 && (e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			found = 1;
			rc = remove_at(top, fd, e->d_name, depth);
			errno = 0;
		}
		int saved = errno;
		closedir(d);
		if (rc != 0 || saved != 0) {
			errno = saved ? saved : EIO;
			return -1;
		}
		if (!found)
			return 0;
	}
	errno = EBUSY;
	return -1;
}

/* 1 when directory fd holds nothing (or, with tmp_ok, nothing but an
 * empty .tmp/), 0 when it holds something, -1 with errno. */
static int
is_vacant(int fd, int tmp_ok)
{
	int dfd = dup(fd);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (d == NULL) {
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	rewinddir(d);
	int vacant = 1;
	struct dirent *e;
	while (vacant == 1 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (!tmp_ok || strcmp(e->d_name, TMP_DIR) != 0) {
			vacant = 0;
			break;
		}
		int res, tmp = open_dir_at(fd, TMP_DIR, &res);
		vacant = tmp < 0 ? 0 : is_vacant(tmp, 0);
		if (tmp >= 0)
			close(tmp);
	}
	closedir(d);
	return vacant;
}

/* Gives directory fd a .tmp/ (0700); a symlink or file in its place is
 * removed first. */
static int
make_tmp(int fd)
{
	for (int tries = 0; tries < 3; tries++) {
		if (mkdirat(fd, TMP_DIR, 0700) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
		int res, tmp = open_dir_at(fd, TMP_DIR, &res);
		if (tmp >= 0) {
			close(tmp);
			return 0;
		}
		if (res != WSDIR_OUTSIDE || unlinkat(fd, TMP_DIR, 0) != 0)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

/* Closes what is open, keeping errno. */
static int
finish(int root, int ws, int res)
{
	int saved = errno;
	if (ws >= 0)
		close(ws);
	if (root >= 0)
		close(root);
	errno = saved;
	return res;
}

int
wsdir_create(const char *root, const char *name, int keep_contents, int *created)
{
	*created = 0;
	if (!wsdir_name_ok(name))
		return WSDIR_OUTSIDE;
	int rfd = open_root(root, 1);
	if (rfd < 0)
		return WSDIR_IO;
	if (mkdirat(rfd, name, 0700) == 0)
		*created = 1;
	else if (errno != EEXIST)
		return finish(rfd, -1, WSDIR_IO);
	int res = WSDIR_OK;
	int fd = open_dir_at(rfd, name, &res);
	if (fd < 0)
		return finish(rfd, -1, res);
	if (!*created && !keep_contents) {
		int vacant = is_vacant(fd, 1);
		if (vacant != 1)
			return finish(rfd, fd, vacant == 0 ? WSDIR_NOT_EMPTY : WSDIR_IO);
	}
	if (make_private(fd) != 0 || make_tmp(fd) != 0)
		return finish(rfd, fd, WSDIR_IO);
	return finish(rfd, fd, WSDIR_OK);
}

int
wsdir_reset(const char *root, const char *name)
{
	if (!wsdir_name_ok(name))
		return WSDIR_OUTSIDE;
	int rfd = open_root(root, 1);
	if (rfd < 0)
		return WSDIR_IO;
	if (mkdirat(rfd, name, 0700) != 0 && errno != EEXIST)
		return finish(rfd, -1, WSDIR_IO);
	int res = WSDIR_OK;
	int fd = open_dir_at(rfd, name, &res);
	if (fd < 0)
		return finish(rfd, -1, res);
	if (make_private(fd) != 0 || empty_dir(fd, fd, 1) != 0 || make_tmp(fd) != 0)
		return finish(rfd, fd, WSDIR_IO);
	return finish(rfd, fd, WSDIR_OK);
}

int
wsdir_remove_entry(const char *root, const char *name, const char *entry)
{
	if (!wsdir_name_ok(name) || !wsdir_name_ok(entry))
		return WSDIR_OUTSIDE;
	int rfd = open_root(root, 0);
	if (rfd < 0)
		return errno == ENOENT ? WSDIR_OK : WSDIR_IO;
	int res = WSDIR_OK;
	int fd = open_dir_at(rfd, name, &res);
	if (fd < 0)
		return finish(rfd, -1, errno == ENOENT ? WSDIR_OK : res);
	if (make_private(fd) != 0 || remove_at(-1, fd, entry, 0) != 0)
		return finish(rfd, fd, WSDIR_IO);
	return finish(rfd, fd, WSDIR_OK);
}

int
wsdir_remove(const char *root, const char *name)
{
	if (!wsdir_name_ok(name))
		return WSDIR_OUTSIDE;
	int rfd = open_root(root, 0);
	if (rfd < 0)
		return errno == ENOENT ? WSDIR_OK : WSDIR_IO;
	/* A symlink in the workspace's place is unlinked, its target left. */
	if (remove_at(-1, rfd, name, 0) != 0)
		return finish(rfd, -1, WSDIR_IO);
	return finish(rfd, -1, WSDIR_OK);
}
