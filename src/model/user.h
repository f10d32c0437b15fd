/*
 * user.h: user profiles (table user_profiles) as the rest of the code sees
 * them.  The only SQL for the table lives in model/user.c.
 */
#ifndef PIPELIT_MODEL_USER_H
#define PIPELIT_MODEL_USER_H

#include <stdint.h>

#include <jansson.h>

#include "crypto/crypto.h"

struct db;

#define USER_NAME_MAX 150

struct user {
	int64_t id;
	char username[USER_NAME_MAX * 4 + 1];   /* UTF-8, up to 150 characters */
	char role[8];                           /* "admin" or "normal" */
	int mfa_enabled;
	int is_admin;                           /* role == "admin" */
};

/* Lookups see active users only: a deleted user is "not found" everywhere.
 * 0 found, 1 not found, -1 database error. */
int user_find_by_id(struct db *db, int64_t id, struct user *out);
int user_find_by_username(struct db *db, const char *username, struct user *out);

/* UserOut of pipelit-api.md section 2, read fresh from the database; NULL on error. */
json_t *user_to_json(struct db *db, int64_t id);

/* For login: the user and a malloc'd copy of the password hash (the
 * caller frees it).  0 found, 1 not found, -1 database error. */
int user_find_login(struct db *db, const char *username, struct user *out, char **password_hash);

/* Fields of a new user; first_name and last_name may be NULL (stored ""). */
struct user_new {
	const char *username;
	const char *password_hash;   /* Argon2id string */
	const char *role;            /* "admin" or "normal" */
	const char *first_name;
	const char *last_name;
};

/* Inserts a user: 0 with *id set, 1 when the username is taken, -1 on error.
 * Runs in the caller's transaction when there is one. */
int user_create(struct db *db, const struct user_new *u, int64_t *id);

/*
 * Creates the first user only while there is none, and gives it a session
 * key, all in one write transaction: 0 with *id and token set, 1 when a
 * user already exists (also when a concurrent setup won), -1 on error.
 */
int user_create_first(struct db *db, const struct user_new *u, int64_t session_max_seconds,
		      int64_t *id, char token[API_KEY_TOKEN_LEN + 1]);

/* Number of user rows, deleted ones included (setup stays closed once a
 * user existed); 0 or -1. */
int user_count(struct db *db, int64_t *n);

/* Changes to a user; NULL fields stay as they are.  With a new password,
 * end_sessions revokes the user's session keys and revoke_named_keys every
 * key, both except keep_key_id (-1: none), in the same transaction. */
struct user_changes {
	const char *password_hash;
	const char *role;
	const char *first_name;
	const char *last_name;
	int end_sessions;
	int revoke_named_keys;
	int64_t keep_key_id;
};

/* Applies changes in one write transaction: 0 done, 1 no such user,
 * 2 it would leave no admin, -1 error. */
int user_update(struct db *db, int64_t id, const struct user_changes *c);

/*
 * Deletes a user: the row stays, marked inactive (their workflows,
 * executions and logs keep an owner; the username stays taken), every key
 * is revoked and a pending MFA login grant dropped, in one transaction.
 * From then on the user cannot log in and every key of theirs is refused.
 * 0 done, 1 no such (active) user, 2 the last admin, -1 error.
 */
int user_delete(struct db *db, int64_t id);

/*
 * Whether the owner of something that acts on its own (a schedule, a
 * webhook trigger) may still act: 1 the user exists and is active, 0 not
 * (deleted, or no such user), -1 database error.
 */
int user_owner_is_active(struct db *db, int64_t user_id);

/* {"users": UserOut[], "total": N} ordered by id; NULL on error. */
json_t *user_list_json(struct db *db, int64_t offset, int64_t limit);

#endif
