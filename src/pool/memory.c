/*
 * memory.c: the pool's memory policy (see memory.h).
 *
 * What the measurements showed (bench/README.md): an executor's heap grows
 * to 15-25 MB during a burst while what is in use stays at 2-5 MB.  The
 * rest is freed memory between chunks still in use, so malloc's trimming
 * of the top of the heap (M_TRIM_THRESHOLD) cannot return it; only
 * malloc_trim() does, page by page, inside the heap.  Giving memory back
 * costs page faults when it is taken again, so it is done at most every
 * GIVE_BACK_INTERVAL_MS and only once FREE_HELD_LIMIT is exceeded: the
 * faults of a few MB once a second, against the pool's memory target
 * (issue 13: under 40 MB for the whole pool).  Every 250 ms cost an
 * executor more CPU per execution under a burst (measured, noisy).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "pool/memory.h"
#include "util/timefmt.h"

#include <malloc.h>
#include <stdint.h>
#include <time.h>

/*
 * Which malloc the process has.  The pipelit binary is linked with
 * mimalloc (configure.ac), which keeps and gives back memory by its own
 * policy: pages left unused for a few tens of milliseconds go back to
 * the system, the rest is reused where it was freed (bench/README.md,
 * "The allocator": the pool's memory and an agent burst's CPU measured
 * with it).  The knobs below are the C library's, for builds without it
 * (the sanitizers', --without-mimalloc); mimalloc's own function is
 * looked up weakly, so this file links either way.
 */
extern int mi_version(void) __attribute__((weak));

static int
malloc_is_the_c_librarys(void)
{
	return mi_version == NULL;
}

/* Free memory a process may hold before it is given back. */
#define FREE_HELD_LIMIT (2u << 20)
/* The least time between two give-backs. */
#define GIVE_BACK_INTERVAL_MS 1000

/* This process's last give-back (each process has its own copy). */
static int64_t last_give_back_ms;

void
memory_policy_apply(enum memory_kind kind)
{
	last_give_back_ms = time_mono_ms();
	if (!malloc_is_the_c_librarys())
		return;
	/* Every process runs its work on one thread (libcurl's resolver
	 * threads are short-lived): one arena, instead of one per thread
	 * that ever called malloc, each keeping its own free memory. */
	mallopt(M_ARENA_MAX, 1);
	switch (kind) {
	case MEMORY_EXECUTOR:
		/* A pass allocates and frees a lot; left to its defaults, malloc
		 * gives the top of the heap back after each and takes it again in
		 * the next, and every give-back flushes the TLBs of all CPUs
		 * (measured: half of an executor's time under load).  Keep up to
		 * 8 MB at the top: a pass's churn.  What stays free inside the
		 * heap is given back by memory_give_back. */
		mallopt(M_TRIM_THRESHOLD, 8 << 20);
		mallopt(M_TOP_PAD, 1 << 20);
		break;
	case MEMORY_RESPONDER:
	case MEMORY_MASTER:
		/* glibc's own thresholds, which adapt: a fixed trim threshold of
		 * 128 kB gave the top back after one request and took it again in
		 * the next (more CPU per synchronous webhook call, measured), and
		 * a responder's heap is about 1 MB. */
		break;
	}
}

/* Bytes malloc holds freed: the heap's free chunks and its unused top. */
static unsigned long long
memory_free_held(void)
{
	struct mallinfo2 mi = mallinfo2();
	return (unsigned long long)mi.fordblks + mi.fsmblks;
}

void
memory_give_back(void)
{
	if (!malloc_is_the_c_librarys())
		return;
	int64_t now = time_mono_ms();
	if (now - last_give_back_ms < GIVE_BACK_INTERVAL_MS)
		return;
	last_give_back_ms = now;
	if (memory_free_held() < FREE_HELD_LIMIT)
		return;
	malloc_trim(0);
}
