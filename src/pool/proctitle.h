/*
 * proctitle.h: process titles, so ps and the tests can tell the master,
 * the responders and the executors apart ("pipelit serve: responder").
 *
 * The title is written over the memory of the command line (and, when
 * that is too short, of the environment strings that follow it, which are
 * first copied to the heap), as php-fpm and nginx do.
 */
#ifndef PIPELIT_PROCTITLE_H
#define PIPELIT_PROCTITLE_H

/*
 * Claims the memory from argv[0] to the end of the environment strings.
 * Strings of argv are overwritten by proctitle_set(): copy what is still
 * needed first.  Call once, early, in a single-threaded process.
 */
void proctitle_init(int argc, char **argv);

/* Replaces the title; a title longer than the area is cut. */
void proctitle_set(const char *title);

#endif
