/*
 * api_key.h: bearer tokens (table api_keys).  Only the SHA-256 of a token
 * and its first eight characters are stored; the token itself leaves this
 * module exactly once, in the caller's buffer, when it is made.
 */
#ifndef PIPELIT_MODEL_API_KEY_H
#define PIPELIT_MODEL_API_KEY_H

#include <stdint.h>

#include <jansson.h>

#include "crypto/crypto.h"
#include "db/db.h"

struct db;
struct user;

#define API_KEY_NAME_MAX 100
#define API_KEY_SESSION_NAME "session"

/* What a presented token turned out to be, in the order section 1.3 of
 * the API spec checks. */
enum api_key_status {
	API_KEY_OK = 0,
	API_KEY_UNKNOWN,
	API_KEY_REVOKED,
	API_KEY_EXPIRED,
	API_KEY_NO_USER,
	API_KEY_DB_ERROR = DB_FAILED,  /* the description is on the handle */
};

/* Which key a request came with (set on API_KEY_OK). */
struct api_key_caller {
	int64_t key_id;
	int is_session;    /* the login session key, not a named key */
};

/*
 * Looks a token's hash up (one indexed query joining its user) and fills
 * *user and *caller on API_KEY_OK.  A deleted (inactive) user's keys are
 * API_KEY_NO_USER.  A session key unused for session_idle_seconds is
 * API_KEY_EXPIRED (its absolute lifetime is its expires_at, set at login).
 * Marks the key used at most once a minute (more often only when the idle
 * limit is so short that a minute would matter), with a guarded UPDATE only
 * when the row read says the mark is stale: no write on most requests.
 *
 * stands_until (may be NULL) receives, on API_KEY_OK, the epoch second
 * before which the same token would get the same answer but for a change
 * of its row or its user's (a revocation, a deactivation, a new role): the
 * key's expiry, or when its use must be marked again, whichever is first.
 * 0: none (the mark could not be written).  model/key_cache.h keeps a
 * verdict that long, for requests that confirm it in their own write.
 */
enum api_key_status api_key_authenticate(struct db *db, const char *hash_hex, int64_t now,
					 int64_t session_idle_seconds, struct user *user,
					 struct api_key_caller *caller, int64_t *stands_until);

/*
 * The condition, for a write's own statement, that a kept verdict still
 * stands: the key with this hash is active and its user's, who is active
 * and has this role.  Its three parameters, in order: the key's hash (hex),
 * the user's id, the role.  What cannot change for a hash unread (its
 * expiry, its last use) the verdict's stands_until covers.
 */
#define API_KEY_STILL_STANDS_SQL \
	"EXISTS (SELECT 1 FROM api_keys k JOIN user_profiles u ON u.id = k.user_id " \
	"WHERE k.key_hash = ? AND k.user_id = ? AND k.is_active AND u.is_active AND u.role = ?)"

/* The same condition read alone: 0 it stands, 1 it does not, -1 error. */
int api_key_still_stands(struct db *db, const char *hash_hex, int64_t user_id, const char *role);

/*
 * Creates a named key for user_id; expires_at is epoch seconds or -1 for
 * none.  token receives the new token.  Returns the APIKeyCreatedOut object
 * (owned by the caller), or NULL on a database error.
 */
json_t *api_key_create(struct db *db, int64_t user_id, const char *name, int64_t expires_at,
		       char token[API_KEY_TOKEN_LEN + 1]);

/* The user's keys as an APIKeyOut array, newest first; NULL on error. */
json_t *api_key_list_json(struct db *db, int64_t user_id);

/* Soft-revokes one key of the user: 0 done, 1 no such key of that user, -1 error. */
int api_key_revoke(struct db *db, int64_t user_id, int64_t key_id);

/* Soft-revokes every key of the user; 0 or -1.  Runs in the caller's
 * transaction when there is one. */
int api_key_revoke_all(struct db *db, int64_t user_id);

/* Soft-revokes every key of the user but keep_key_id; 0 or -1 (the
 * caller's transaction). */
int api_key_revoke_all_but(struct db *db, int64_t user_id, int64_t keep_key_id);

/* Soft-revokes the user's session key(s) except keep_key_id (-1: none);
 * named keys stay.  Runs in the caller's transaction; 0 or -1. */
int api_key_revoke_sessions(struct db *db, int64_t user_id, int64_t keep_key_id);

/* Logout: soft-revokes key_id if it is a session key.  0 revoked, 1 it is
 * not a session key (or unknown), -1 error. */
int api_key_end_session(struct db *db, int64_t key_id);

/*
 * Gives the user's session key a new token (creating the key if needed),
 * makes it active and starts its lifetime: created now, expiring after
 * max_seconds.  Opens its own write transaction unless the caller is
 * already in one.  0 or -1.
 */
int api_key_rotate_session(struct db *db, int64_t user_id, int64_t max_seconds,
			   char token[API_KEY_TOKEN_LEN + 1]);

#endif
