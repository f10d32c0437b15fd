/*
 * memory.h: the pool's memory policy, one place for every process kind
 * (master, responder, executor): how malloc keeps and gives back what
 * was freed.  The figures behind it are in bench/README.md ("Where the
 * pool's memory goes").
 */
#ifndef PIPELIT_POOL_MEMORY_H
#define PIPELIT_POOL_MEMORY_H

enum memory_kind {
	MEMORY_MASTER,
	MEMORY_RESPONDER,
	MEMORY_EXECUTOR,
};

/* Sets malloc's policy for this process; call first thing after fork(),
 * before the process allocates its working set.  Both calls act on the C
 * library's malloc; with mimalloc (the pipelit binary's, configure.ac)
 * they do nothing: it gives back what stays unused on its own. */
void memory_policy_apply(enum memory_kind kind);

/* Gives the freed memory inside the heap back to the system when there
 * is enough of it and the last give-back is long enough ago; cheap to
 * call often (it reads the clock and returns).  Call it between units of
 * work (after a request, after an engine pass). */
void memory_give_back(void);

#endif
