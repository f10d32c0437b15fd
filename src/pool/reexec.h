/*
 * reexec.h: replacing the master's binary in place, as nginx does on
 * SIGUSR2, but keeping the process id (so systemd's MainPID and the PID
 * file stay right).
 *
 * On SIGUSR2 the master execs the binary it was started from (the file
 * now at that path: a new build after an install) with its original
 * arguments.  The listening socket survives the exec, named in
 * PIPELIT_LISTEN_FD, so no connection is refused; the running children
 * survive it too (they are still our children), named in
 * PIPELIT_INHERITED_CHILDREN as "pid:r" or "pid:e" separated by commas.
 * The new master migrates the database, then replaces them one at a time
 * as a SIGHUP reload does.
 */
#ifndef PIPELIT_REEXEC_H
#define PIPELIT_REEXEC_H

#include <sys/types.h>

#define REEXEC_FD_ENV "PIPELIT_LISTEN_FD"
#define REEXEC_CHILDREN_ENV "PIPELIT_INHERITED_CHILDREN"

struct reexec_child {
	pid_t pid;
	int responder;   /* 1 responder, 0 executor */
};

/* The path of the running binary, for a later re-exec (malloc'd). */
char *reexec_self_path(void);

/* For a master just started: the inherited listening socket (taken out of
 * the environment, close-on-exec again), or -1 when there is none. */
int reexec_take_listen_fd(void);

/* The inherited children (taken out of the environment); *n their count.
 * malloc'd, NULL when none. */
struct reexec_child *reexec_take_children(int *n);

/* Execs path with argv, handing over listen_fd and the children.  Returns
 * only on failure, with errno set and the environment as it was. */
int reexec_exec(const char *path, char *const *argv, int listen_fd,
		const struct reexec_child *children, int n);

#endif
