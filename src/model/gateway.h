/*
 * gateway.h: what the message gateway needs from the database
 * (doc/gateway.md): the outbox of messages to send (table gateway_outbox,
 * migration d5a8f3b1c7e4), the profiles of the people who write through
 * it, and the pending task a /confirm_ or /cancel_ command names.
 *
 * The outbox is at-least-once: a message is written in the transaction
 * that decides it, claimed by one executor at a time (a lease, like a
 * job's), deleted when the gateway accepted it or after its last attempt.
 * An executor that dies while sending loses its claim when the lease
 * lapses, and the message is sent again by whoever is awake.
 */
#ifndef PIPELIT_MODEL_GATEWAY_H
#define PIPELIT_MODEL_GATEWAY_H

#include <stdint.h>

#include "db/db.h"

/* --- the outbox ------------------------------------------------------------- */

/* Inside the caller's transaction when one is open, else in its own:
 * queues text for chat_id through credential_id, due now.  0 or DB_FAILED. */
int outbox_add(struct db *db, const char *execution_id, const char *credential_id,
	       const char *chat_id, const char *text, int64_t now_ms);

struct outbox_msg {
	int64_t id;
	char execution_id[37];       /* "" when none */
	char *credential_id, *chat_id, *text;   /* malloc'd */
	int attempt;                 /* this send's number, from 1 */
};

void outbox_msg_clear(struct outbox_msg *m);

/* Claims the earliest due message (due, or claimed by someone whose lease
 * lapsed) for owner until now + lease_ms, counting the attempt, in its own
 * short transaction.  0 with *out filled, 1 when nothing is due, DB_FAILED. */
int outbox_claim(struct db *db, const char *owner, int64_t now_ms, int64_t lease_ms,
		 struct outbox_msg *out);

/* Deletes a message owner holds (sent, or given up), in a short
 * transaction of its own.  0 or DB_FAILED. */
int outbox_delete(struct db *db, int64_t id, const char *owner);

/* Gives a message owner holds back, due at due_ms, likewise.  0 or
 * DB_FAILED. */
int outbox_retry(struct db *db, int64_t id, const char *owner, int64_t due_ms);

/* Every message leased to owner (an executor that is gone) due at due_ms
 * and claimable by anyone (one statement, its own transaction). */
int outbox_give_back(struct db *db, const char *owner, int64_t due_ms);

/* The earliest due_ms of any message (a lapsing lease included): 0 with
 * *due_ms set, 1 when the outbox is empty, DB_FAILED. */
int outbox_next_due(struct db *db, int64_t *due_ms);

/* --- people writing through the gateway --------------------------------------- */

/*
 * Inside the caller's write transaction: the user_profiles row whose
 * external_user_id is external_id, created when missing (username
 * "gateway:<external id>", no password, so it cannot log in; first_name
 * the display name given, may be NULL).  *id the row's id.  0 or DB_FAILED.
 */
int gateway_profile(struct db *db, const char *external_id, const char *display_name,
		    int64_t *id);

/* --- confirmation commands -------------------------------------------------------- */

struct gateway_task {
	char execution_id[37];
	char *chat_id, *credential_id;   /* malloc'd, NULL when the task has none */
};

void gateway_task_clear(struct gateway_task *t);

/* The pending task task_id: 1 found (*out filled), 0 none, DB_FAILED. */
int gateway_task_find(struct db *db, const char *task_id, struct gateway_task *out);

#endif
