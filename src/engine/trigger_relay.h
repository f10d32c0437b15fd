/*
 * trigger_relay.h: triggers committed together by one writer per host
 * (doc/engine.md, "The trigger writer").
 *
 * A trigger's transaction is short, but each one alone pays a commit: the
 * write lock, the log's sync, and on SQLite the re-reading of every page
 * another process's commit made stale.  So a process that starts an
 * execution in a transaction of its own (a webhook with no delivery id
 * and no limits, execute and chat without an Idempotency-Key, `pipelit
 * run`, the bench's firers) hands the request to the pool's
 * trigger writer (pool/trigger_writer.c) over a Unix socket beside the
 * database, and waits for its answer.  The writer runs every request that
 * arrived meanwhile in one transaction (engine_trigger_start() each, as
 * the caller would have), commits once, answers each, then publishes
 * their events and wakes the executors.  Nothing changes for the caller:
 * it hears back only once its execution is committed.
 *
 * When no writer answers the connect (none runs: `pipelit fcgi`, a
 * command without a pool, a writer being respawned), the caller runs its
 * transaction itself, as before.  Once a request was sent, the caller
 * never runs it again on its own unless it knows the writer did not
 * commit it: a writer that died (the connection closed with no answer)
 * either committed the execution, whose id the caller chose, or took it
 * with it; the caller looks the id up and answers from the row, or runs
 * it itself.  A writer that does not answer in time may still commit: the
 * caller then reports a database error (a 503 with Retry-After), never a
 * second execution.
 *
 * Wire: each message is a 4-byte big-endian length and a JSON object.
 * The socket is mode 0600: only the pool's user may start executions
 * through it.
 */
#ifndef PIPELIT_ENGINE_TRIGGER_RELAY_H
#define PIPELIT_ENGINE_TRIGGER_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "model/execution.h"

struct config;
struct db;
struct trigger_outcome;

/* trigger_relay_start's answer when no writer took the request: run it here. */
#define TRIGGER_RELAY_UNAVAILABLE (-100)

/* The largest message either side accepts (a request carries the
 * trigger's payload, an answer a synchronous webhook's output). */
#define TRIGGER_RELAY_MESSAGE_MAX (64u * 1024 * 1024)

/* The writer's socket for cfg's database (malloc'd): <sqlite file>-triggers,
 * or <data dir>/triggers.sock on PostgreSQL; NULL when there is none
 * (in-memory databases, a path too long for a Unix socket). */
char *trigger_relay_path(const struct config *cfg);

/*
 * Starts rq through the host's writer: EXEC_OK with *out and
 * execution_id_out as engine_trigger_start() gives them, another
 * exec_result the writer's, EXEC_DB_ERROR (the writer's database failed,
 * or the outcome is unknown: the writer did not answer in time), or
 * TRIGGER_RELAY_UNAVAILABLE.  db is the caller's handle: an EXEC_DB_ERROR
 * is described on it, and it looks the execution up after a writer died.
 */
int trigger_relay_start(const struct config *cfg, struct db *db, const struct exec_start *rq,
			char *execution_id_out, struct trigger_outcome *out);

/* --- the wire, for the writer ------------------------------------------------ */

/* A request as decoded: the exec_start's strings point into json. */
struct trigger_request {
	json_t *json;                /* owned */
	struct exec_start rq;
};

/* Decodes one request message; 0, or -1 when it is not one. */
int trigger_request_decode(const char *msg, size_t len, struct trigger_request *out);
void trigger_request_free(struct trigger_request *r);

/* The answer to a request (malloc'd message body, *len set); err: the
 * writer's database error when rc is EXEC_DB_ERROR (its kind and one-line
 * message, which names no value), else NULL. */
struct db_error;
char *trigger_answer_encode(int rc, const char *execution_id, const struct trigger_outcome *o,
			    const struct db_error *err, size_t *len);

/* Framing: a message's length, from its 4-byte head. */
size_t trigger_relay_frame_len(const unsigned char head[4]);

/* Framing: sends one message on a blocking or non-blocking fd within
 * deadline_ms; 0 or -1. */
int trigger_relay_send(int fd, const char *msg, size_t len, int64_t deadline_ms);

#endif
