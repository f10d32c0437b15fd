/*
 * children.h: what the master's children run after fork().  Each returns
 * the child's exit status; the master treats 0 as a clean exit (a
 * recycled responder) and anything else as a crash.
 */
#ifndef PIPELIT_CHILDREN_H
#define PIPELIT_CHILDREN_H

#include <sys/types.h>

#include "pool/scoreboard.h"

struct config;
struct db;

/* Where a child reports its state: its entry in the master's scoreboard. */
struct child_board {
	struct scoreboard *sb;
	int entry;             /* -1: none */
	pid_t master;
};

enum child_kind {
	CHILD_RESPONDER,
	CHILD_EXECUTOR,
	CHILD_TRIGGER_WRITER,
};

/* Executors of a slot that exited holding leases: the next executor in
 * the slot gives them back (their jobs due at once), so that their jobs do
 * not wait for the leases to run out (ZOMBIE_EXECUTION_THRESHOLD_SECONDS).
 * The master knows these executors are gone: it reaped them. */
#define LOST_OWNERS_MAX 4
struct lost_leases {
	int n;
	char owner[LOST_OWNERS_MAX][SB_OWNER_MAX];
};

/* Answers FastCGI requests on listen_fd until SIGTERM or max_requests. */
int responder_main(const struct config *cfg, int listen_fd, const struct child_board *board);
/* Runs the engine until SIGTERM, first giving back the leases in lost. */
int executor_main(const struct config *cfg, const struct child_board *board,
		  const struct lost_leases *lost);
/* Commits triggers handed over by this host's processes
 * (engine/trigger_relay.h) until SIGTERM. */
int trigger_writer_main(const struct config *cfg, const struct child_board *board);

const char *child_kind_name(enum child_kind kind);

/* A child's database handle, warmed up before its first piece of work
 * (db_warm_up); a failure is logged and the child goes on without. */
void child_warm_up(struct db *db);

#endif
