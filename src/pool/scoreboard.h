/*
 * scoreboard.h: what the pool's processes tell each other about
 * themselves, php-fpm's scoreboard.
 *
 * One file-backed shared mapping, "<pid file without .pid>.scoreboard",
 * created by the master before it forks.  Every field has exactly one
 * writer at a time: the master writes the header and, in an entry, the
 * fields that say which child holds it (pid, role, started, and turn_ms
 * before the fork); the child that holds an entry writes the rest of it.  Readers (the master enforcing the request
 * deadline, a responder rendering /status, 'pipelit status') see values
 * that may be a moment old, never torn integers.
 *
 * A new master always creates a new file (unlink, then create), so a child
 * of a previous master that still maps the old one never sees it shrink.
 */
#ifndef PIPELIT_SCOREBOARD_H
#define PIPELIT_SCOREBOARD_H

#include <stdint.h>
#include <sys/types.h>

#define SB_MAGIC 0x50505342u	/* "PPSB" */
#define SB_LAYOUT 2
/* Children plus retirees of a reload: 2 x (256 responders + 256 executors). */
#define SB_ENTRIES 1024
#define SB_REQUEST_MAX 160
#define SB_TEXT_MAX 200
/* An executor's lease owner (model/job.h JOB_OWNER_MAX fits). */
#define SB_OWNER_MAX 64

enum sb_role { SB_ROLE_RESPONDER = 1, SB_ROLE_EXECUTOR = 2, SB_ROLE_TRIGGER_WRITER = 3 };

enum sb_state {
	SB_STARTING = 0, /* forked, not yet waiting for work */
	SB_IDLE,         /* waiting for a request */
	SB_BUSY,         /* in a request (request, request_start_ms) */
	SB_DRAINING,     /* stopping: answering new requests 503 */
};

struct sb_entry {
	/* Written by the master. */
	int32_t pid;               /* 0: free */
	int32_t role;              /* enum sb_role */
	int64_t started_unix;      /* when forked */
	/* Written by the child. */
	int32_t state;             /* enum sb_state */
	int32_t pad;
	int64_t accepted;          /* FastCGI requests accepted */
	int64_t requests;          /* requests answered */
	int64_t slow;              /* requests that took PIPELIT_SLOW_REQUEST_SECONDS or more */
	int64_t request_start_ms;  /* CLOCK_MONOTONIC, while SB_BUSY */
	char request[SB_REQUEST_MAX]; /* "METHOD /path", while SB_BUSY */
	/* An executor's or the trigger writer's loop. */
	int64_t turn_ms;           /* CLOCK_MONOTONIC of its last turn (the master's
				      fork time until the first) */
	char lease_owner[SB_OWNER_MAX]; /* an executor's lease owner, once it has one */
	int32_t gave_back;         /* an executor gave back the leases of the
				      executors it replaced */
	int32_t pad2;
};

struct sb_header {
	uint32_t magic;
	uint32_t layout;
	int32_t master_pid;
	int32_t stopping;          /* SIGTERM received: children drain with 503s */
	int32_t replacing;         /* a reload or upgrade is replacing the children */
	int32_t pad;
	int64_t started_unix;      /* the pool's start (kept across a re-exec) */
	int64_t request_timeout_s; /* PIPELIT_REQUEST_TIMEOUT_SECONDS */
	int64_t slow_request_s;    /* PIPELIT_SLOW_REQUEST_SECONDS */
	/* Totals of children that have exited, added by the master. */
	int64_t gone_accepted;
	int64_t gone_requests;
	int64_t gone_slow;
	int64_t restarts;          /* children respawned after an exit (not recycling) */
	int64_t killed_past_deadline;
	int64_t stall_timeout_s;   /* PIPELIT_STALL_TIMEOUT_SECONDS */
	int64_t killed_stalled;    /* executors and writers killed for a stalled loop */
	int64_t last_crash_unix;   /* 0: none */
	char last_crash[SB_TEXT_MAX];
	char version[32];
	char schema[64];           /* the migration revision the master brought the DB to */
	char backend[SB_TEXT_MAX]; /* "sqlite /path" or "postgresql host/db" (never a password) */
	char socket[SB_TEXT_MAX];
};

struct scoreboard {
	struct sb_header head;
	struct sb_entry entries[SB_ENTRIES];
};

/* The scoreboard file that belongs to a PID file (malloc'd). */
char *scoreboard_path(const char *pid_file);

/* For the master: a new file at path, zeroed, mapped shared.  NULL with a
 * malloc'd message in *err. */
struct scoreboard *scoreboard_create(const char *path, char **err);

/* For a reader in another process: maps the file read-only.  NULL with a
 * malloc'd message in *err when it is missing or not a scoreboard. */
const struct scoreboard *scoreboard_open_readonly(const char *path, char **err);

void scoreboard_unmap(const struct scoreboard *sb);

/* The master: claims a free entry for a child about to be forked (pid -1
 * until scoreboard_set_pid), -1 when full; frees it when the child is
 * gone, adding its counters to the totals. */
int scoreboard_claim(struct scoreboard *sb, pid_t pid, enum sb_role role);
void scoreboard_set_pid(struct scoreboard *sb, int entry, pid_t pid);
void scoreboard_release(struct scoreboard *sb, int entry);

/* A child: its state changes (atomic stores; the request text first). */
void scoreboard_idle(struct scoreboard *sb, int entry);
void scoreboard_busy(struct scoreboard *sb, int entry, const char *method, const char *uri);
void scoreboard_done(struct scoreboard *sb, int entry, int slow);
void scoreboard_draining(struct scoreboard *sb, int entry);
void scoreboard_accepted(struct scoreboard *sb, int entry);
/* The trigger writer: n more triggers committed, shown as its requests
 * (left out of the pool's totals: the responders that took them counted
 * their requests already). */
void scoreboard_triggers(struct scoreboard *sb, int entry, int64_t n);

/* An executor or the trigger writer: its loop turned (the master kills
 * one whose loop has not turned for PIPELIT_STALL_TIMEOUT_SECONDS). */
void scoreboard_turn(struct scoreboard *sb, int entry);
/* An executor: its lease owner, so that the master can hand the leases of
 * a dead executor to the one that replaces it; and that it gave back the
 * leases it was handed. */
void scoreboard_lease_owner(struct scoreboard *sb, int entry, const char *owner);
void scoreboard_gave_back(struct scoreboard *sb, int entry);

/* True when any responder other than entry is in a request. */
int scoreboard_others_busy(const struct scoreboard *sb, int entry);

#endif
