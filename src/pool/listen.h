/*
 * listen.h: the FastCGI listening socket the master binds and its
 * children accept on.  spec is a unix socket path, or HOST:PORT for TCP.
 */
#ifndef PIPELIT_LISTEN_H
#define PIPELIT_LISTEN_H

#define LISTEN_BACKLOG 1024

/* True when spec names a TCP address rather than a path. */
int listen_spec_is_tcp(const char *spec);

/*
 * Binds and listens.  A unix socket gets its parent directory created, a
 * stale socket file replaced (but one with a live listener is refused) and
 * its mode set.  Returns the fd, or -1 with a malloc'd message in *err.
 */
int listen_open(const char *spec, int mode, char **err);

/* Removes a unix socket file at shutdown; nothing for TCP. */
void listen_remove(const char *spec);

#endif
