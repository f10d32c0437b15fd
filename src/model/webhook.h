/*
 * webhook.h: the webhook paths of the instance (table webhook_paths): one
 * row per trigger_webhook node, its path unique across all workflows, with
 * the node's HMAC secret sealed under FIELD_ENCRYPTION_KEY (bound to
 * "webhook_paths.secret" and the node's row id).  The node's extra_config
 * keeps the rest of its config and shows the secret only as
 * WEBHOOK_SECRET_MASK.  model/node.c writes the row in the same
 * transaction as the node; deleting the node (or its workflow, or its
 * owner's rows) deletes it by cascade.
 *
 * webhook_find is what the webhook route (/api/v1/webhooks/<path>) is
 * built on: the node, its workflow and owner, and its parsed config with
 * the secret in clear for verifying signatures (never for an answer).
 */
#ifndef PIPELIT_MODEL_WEBHOOK_H
#define PIPELIT_MODEL_WEBHOOK_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "db/db.h"
#include "graph/webhook_config.h"

struct db;
struct field_keyring;

enum webhook_result {
	WEBHOOK_OK = 0,
	WEBHOOK_NOT_FOUND = 1,      /* no node has the path */
	WEBHOOK_PATH_TAKEN = 2,     /* another node has the path */
	WEBHOOK_NO_SECRET = 3,      /* the mask was sent, but no secret is stored */
	WEBHOOK_NEEDS_KEY = 4,      /* a secret to seal, and no usable key */
	WEBHOOK_KEY_MISMATCH = 5,   /* the stored secret does not open with the key */
	WEBHOOK_DB_ERROR = DB_FAILED,
};

/* What a save does with the secret, from the extra_config sent. */
enum webhook_secret_change {
	WEBHOOK_SECRET_NONE,        /* absent, null or "": no secret */
	WEBHOOK_SECRET_KEEP,        /* the mask: keep the stored one */
	WEBHOOK_SECRET_SET,         /* a new value */
};

/*
 * Takes the secret out of extra_config (edited in place): a new value is
 * returned in *secret (malloc'd; the caller wipes and frees it) and
 * replaced by the mask; the mask stays; absent, null and "" leave no
 * "secret" key.  What is stored in component_configs is then never the
 * secret.
 */
enum webhook_secret_change webhook_secret_take(json_t *extra_config, char **secret);

/*
 * Inside the caller's write transaction: gives node_pk the path and the
 * secret change (secret is the new value for WEBHOOK_SECRET_SET, sealed
 * with ring).  WEBHOOK_OK, WEBHOOK_PATH_TAKEN (nothing written),
 * WEBHOOK_NO_SECRET, WEBHOOK_NEEDS_KEY or WEBHOOK_DB_ERROR (logged).
 */
int webhook_save(struct db *db, const struct field_keyring *ring, int64_t node_pk,
		 const char *path, enum webhook_secret_change change, const char *secret);

/* Inside the caller's write transaction: node_pk has no path any more
 * (it stopped being a trigger_webhook).  0 or WEBHOOK_DB_ERROR. */
int webhook_forget(struct db *db, int64_t node_pk);

/* The webhook a path names, for the route that serves it. */
struct webhook_target {
	int64_t node_pk;             /* workflow_nodes.id */
	char *node_id;
	int64_t workflow_id;
	char *workflow_slug;
	int64_t owner_id;
	bool workflow_active;        /* workflows.is_active */
	bool owner_active;           /* the owner is not deleted */
	bool trigger_active;         /* the node's is_active (trigger group) */
	int64_t revision;            /* the workflow's (migration 9d3f61a0c2b7), which
				      * any change of the above but owner_active moves */
	struct webhook_config config;  /* secret in clear, or NULL */
};

/*
 * The webhook at path: WEBHOOK_OK with *out filled (free with
 * webhook_target_free, which wipes the secret), WEBHOOK_NOT_FOUND,
 * WEBHOOK_KEY_MISMATCH (a secret is stored and ring is NULL or cannot
 * open it: answer with resp_field_key_mismatch) or WEBHOOK_DB_ERROR.
 * Whether an inactive workflow or a deleted owner is "not found" is the
 * caller's rule; the flags say which.
 */
int webhook_find(struct db *db, const struct field_keyring *ring, const char *path,
		 struct webhook_target *out);

void webhook_target_free(struct webhook_target *t);
/* A deep copy of from into *to (free with webhook_target_free). */
void webhook_target_copy(struct webhook_target *to, const struct webhook_target *from);

#endif
