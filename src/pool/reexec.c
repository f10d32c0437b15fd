/* reexec.c: see reexec.h. */
#include "reexec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/xalloc.h"

char *
reexec_self_path(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	/* Replaced on disk while we run: the path names the new file. */
	const char *deleted = " (deleted)";
	size_t dl = strlen(deleted);
	if ((size_t)n > dl && strcmp(buf + n - dl, deleted) == 0)
		buf[n - dl] = '\0';
	return xstrdup(buf);
}

int
reexec_take_listen_fd(void)
{
	const char *v = getenv(REEXEC_FD_ENV);
	if (v == NULL)
		return -1;
	char *end;
	long fd = strtol(v, &end, 10);
	unsetenv(REEXEC_FD_ENV);
	int listening = 0;
	socklen_t len = sizeof(listening);
	if (*end != '\0' || fd < 3 || fd > INT_MAX ||
	    getsockopt((int)fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening)
		return -1;
	fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	return (int)fd;
}

struct reexec_child *
reexec_take_children(int *n)
{
	*n = 0;
	const char *v = getenv(REEXEC_CHILDREN_ENV);
	if (v == NULL)
		return NULL;
	char *copy = xstrdup(v);
	unsetenv(REEXEC_CHILDREN_ENV);
	size_t cap = 1;
	for (const char *c = copy; *c; c++)
		cap += *c == ',';
	struct reexec_child *out = xcalloc(cap, sizeof(*out));
	char *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		long pid = strtol(tok, &end, 10);
		if (pid <= 0 || *end != ':' || (end[1] != 'r' && end[1] != 'e'))
			continue;
		out[*n].pid = (pid_t)pid;
		out[*n].responder = end[1] == 'r';
		(*n)++;
	}
	free(copy);
	if (*n == 0) {
		free(out);
		return NULL;
	}
	return out;
}

int
reexec_exec(const char *path, char *const *argv, int listen_fd,
	    const struct reexec_child *children, int n)
{
	char fdbuf[16];
	snprintf(fdbuf, sizeof(fdbuf), "%d", listen_fd);
	size_t cap = (size_t)n * 24 + 1, len = 0;
	char *list = xcalloc(cap, 1);
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(list + len, cap - len, "%s%ld:%c", i ? "," : "",
					(long)children[i].pid, children[i].responder ? 'r' : 'e');
	if (fcntl(listen_fd, F_SETFD, 0) != 0 || setenv(REEXEC_FD_ENV, fdbuf, 1) != 0 ||
	    setenv(REEXEC_CHILDREN_ENV, list, 1) != 0) {
		free(list);
		return -1;
	}
	free(list);
	execv(path, argv);
	int saved = errno;
	fcntl(listen_fd, F_SETFD, FD_CLOEXEC);
	unsetenv(REEXEC_FD_ENV);
	unsetenv(REEXEC_CHILDREN_ENV);
	errno = saved;
	return -1;
}
