/*
 * create.h: how every POST that creates something is answered.
 *
 * The create, the rendering of its answer and (with an Idempotency-Key)
 * the record of that answer happen in one transaction (model/idempotency.h);
 * the answer is sent only after the commit, and is never read back after
 * it, so a failure after the commit cannot turn a create into an error
 * that invites a duplicate.  The key's semantics are in doc/errors.md.
 */
#ifndef PIPELIT_API_CREATE_H
#define PIPELIT_API_CREATE_H

#include "model/idempotency.h"

struct db;
struct jw;
struct req;

/* Answers a create that failed with the resource's own result (a domain
 * outcome such as a taken slug, or DB_FAILED). */
typedef int (*create_failure_fn)(struct req *r, struct db *db, int result, void *arg);

struct create_ops {
	idem_create_fn create;         /* the create and its rendered answer */
	create_failure_fn fail;        /* answers the create's refusal */
	/* Optional: runs after the commit of a new object (not on a replay),
	 * with the answer's JSON text: live events. */
	void (*created)(struct req *r, const char *body, size_t len, void *arg);
};

/* Runs ops->create under the request's Idempotency-Key (if any) and
 * answers: the new object (or the first answer to the key), 422 for a key
 * reused with another request or a malformed key, ops->fail's answer, or
 * the database's. */
int api_create(struct req *r, struct db *db, const struct create_ops *ops, void *arg);
/* The same for a create that, with no key, opens its own transaction
 * (idem_request.standalone): a trigger's start. */
int api_create_standalone(struct req *r, struct db *db, const struct create_ops *ops, void *arg);

/* For create functions: out takes w's text as a status answer. */
void create_answer_take(struct idem_answer *out, int status, struct jw *w);

#endif
