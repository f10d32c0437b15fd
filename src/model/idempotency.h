/*
 * idempotency.h: creates guarded by an Idempotency-Key (doc/errors.md).
 *
 * idem_create() runs a create, renders its answer and records that answer
 * under (user, key) in one write transaction, so either all of it happens
 * or none of it does.  The same key again within the retention returns
 * the recorded answer and creates nothing; the same key with another
 * request is refused.  Without a key the create runs the same way (one
 * transaction, the answer rendered before the commit), so an answer is
 * never lost to a failure between the commit and a read after it.
 */
#ifndef PIPELIT_MODEL_IDEMPOTENCY_H
#define PIPELIT_MODEL_IDEMPOTENCY_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

#define IDEM_KEY_MAX 255
#define IDEM_HASH_HEX 64
/* Stripe keeps keys 24 hours; so do we. */
#define IDEM_RETENTION_SECONDS (24 * 3600)

/* A key presented with a request. */
struct idem_request {
	int64_t user_id;
	const char *key;                      /* NULL: no Idempotency-Key */
	char request_hash[IDEM_HASH_HEX + 1]; /* of method, path and body */
	int64_t now;                          /* unix seconds */
	/* With no key: the create needs no transaction of this one's and
	 * runs in its own (a trigger's start, which the host's trigger
	 * writer may then commit together with others: engine/trigger_relay.h). */
	int standalone;
};

/* An answer: what is sent now, and what a replay of the key sends (the
 * same, unless the create set replay_status, as an API key's create does:
 * its secret is shown once and never stored). */
struct idem_answer {
	int status;
	char *body;              /* owned, JSON text */
	size_t len;
	int replay_status;       /* 0: replay status and body */
	char *replay_body;       /* owned; NULL unless replay_status is set */
	/* Between idem_create and the create: */
	int attempt;             /* 0; 1 when the create runs again (below) */
	int may_be_stale;        /* set by the create: it took something from a cache
				  * that its transaction checks (model/start_cache.h).
				  * When the transaction then fails on a constraint, the
				  * cache was stale: it is rolled back and the create
				  * runs once more, with attempt 1 */
};

void idem_answer_free(struct idem_answer *a);

/*
 * The create: runs inside the open write transaction and fills out (its
 * status and rendered body).  Returns 0, or the model's own non-zero result
 * (a domain outcome or DB_FAILED), which idem_create hands back after
 * rolling back.
 */
typedef int (*idem_create_fn)(struct db *db, void *arg, struct idem_answer *out);

enum idem_outcome {
	IDEM_CREATED = 0,        /* created and committed; *out is the answer */
	IDEM_REPLAYED = 1,       /* the key was used for this request before: *out is
				  * the first answer, nothing was created */
	IDEM_KEY_REUSED = 2,     /* the key was used for a different request */
	IDEM_CREATE_FAILED = 3,  /* the create refused (*create_rc), nothing written */
	IDEM_FAILED = DB_FAILED, /* the database failed (on the handle) */
};

enum idem_outcome idem_create(struct db *db, const struct idem_request *rq, idem_create_fn fn,
			      void *arg, struct idem_answer *out, int *create_rc);

/* Deletes the records older than the retention; the number deleted, or -1. */
int64_t idem_prune(struct db *db, int64_t now);

#endif
