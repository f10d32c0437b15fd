/*
 * orphan.h: a child of the pool notices its master's death at once.
 *
 * The kernel sends the child a signal when the master dies
 * (PR_SET_PDEATHSIG); getppid() is checked right after asking, for a
 * master that died between fork() and the request.  A responder then
 * drops its copy of the listening socket before anything else (from the
 * signal handler: dup2() of /dev/null over it, so the descriptor number
 * stays taken and nothing else can land on it), so a new master can bind
 * the same address at once; the request in hand finishes, and the stop
 * signal that follows ends the child as SIGTERM would.
 */
#ifndef PIPELIT_ORPHAN_H
#define PIPELIT_ORPHAN_H

#include <sys/types.h>

/* For a child right after fork(): master is the pid that forked it;
 * listen_fd the listening socket to drop (-1 for none). */
void orphan_watch(pid_t master, int listen_fd);

/* True once the master has died. */
int orphan_master_gone(void);

#endif
