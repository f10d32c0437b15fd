/* signals.h: the stop-signal discipline every pool child shares. */
#ifndef PIPELIT_SIGNALS_H
#define PIPELIT_SIGNALS_H

#include <signal.h>

/*
 * Installs on_stop for SIGTERM and SIGINT without SA_RESTART, ignores
 * SIGPIPE (a peer hanging up must not kill a child) and SIGHUP (meant for
 * the master), and blocks the stop signals.  *wait_mask receives the mask
 * that lets them in, for sigsuspend/ppoll: a child only takes a stop signal
 * while it waits, never in the middle of a piece of work.
 */
void signals_install_child_stop(void (*on_stop)(int), sigset_t *wait_mask);

#endif
