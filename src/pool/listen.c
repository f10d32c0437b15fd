/* listen.c: see listen.h. */
#include "listen.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/xalloc.h"
#include "util/fsutil.h"

int
listen_spec_is_tcp(const char *spec)
{
	return spec[0] != '/' && strchr(spec, ':') != NULL;
}

/* 1 when something accepts connections on the unix socket at path. */
static int
unix_socket_in_use(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	int in_use = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	return in_use;
}

static int
listen_unix(const char *path, int mode, char **err)
{
	struct sockaddr_un sun;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		*err = xasprintf("invalid PIPELIT_SOCKET=%s: a unix socket path is at most %zu "
				 "characters", path, sizeof(sun.sun_path) - 1);
		return -1;
	}
	strcpy(sun.sun_path, path);
	fs_make_parent_dirs(path);
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			*err = xasprintf("cannot listen on %s: the path exists and is not a socket",
					 path);
			return -1;
		}
		if (unix_socket_in_use(&sun)) {
			*err = xasprintf("cannot listen on %s: another process is listening there",
					 path);
			return -1;
		}
		unlink(path);	/* left behind by a process that died */
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*err = xasprintf("cannot create a unix socket: %s", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 || chmod(path, (mode_t)mode) != 0 ||
	    listen(fd, LISTEN_BACKLOG) != 0) {
		*err = xasprintf("cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Splits "host:port" or "[v6]:port"; an empty host means every address. */
static int
split_host_port(const char *spec, char **host, char **port)
{
	const char *colon = strrchr(spec, ':');
	if (colon == NULL || colon[1] == '\0')
		return -1;
	const char *h = spec, *hend = colon;
	if (*h == '[' && hend > h && hend[-1] == ']') {
		h++;
		hend--;
	}
	*host = hend > h ? xstrndup(h, (size_t)(hend - h)) : NULL;
	*port = xstrdup(colon + 1);
	return 0;
}

static int
listen_tcp(const char *spec, char **err)
{
	char *host = NULL, *port = NULL;
	if (split_host_port(spec, &host, &port) != 0) {
		*err = xasprintf("invalid PIPELIT_SOCKET=%s: expected a path or HOST:PORT", spec);
		return -1;
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	int gai = getaddrinfo(host, port, &hints, &res);
	free(host);
	free(port);
	if (gai != 0) {
		*err = xasprintf("invalid PIPELIT_SOCKET=%s: %s", spec, gai_strerror(gai));
		return -1;
	}
	int fd = -1, saved = 0;
	for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
			saved = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		*err = xasprintf("cannot listen on %s: %s", spec, strerror(saved ? saved : EINVAL));
	return fd;
}

int
listen_open(const char *spec, int mode, char **err)
{
	*err = NULL;
	if (listen_spec_is_tcp(spec))
		return listen_tcp(spec, err);
	return listen_unix(spec, mode, err);
}

void
listen_remove(const char *spec)
{
	if (!listen_spec_is_tcp(spec))
		unlink(spec);
}
