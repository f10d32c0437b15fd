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

/* 0 found, 1 not found, -1 database error. */
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
int user_create_first(struct db *db, const struct user_new *u, int64_t *id,
		      char token[API_KEY_TOKEN_LEN + 1]);

/* Number of users; 0 or -1. */
int user_count(struct db *db, int64_t *n);

/* Changes to a user; NULL fields stay as they are. */
struct user_changes {
	const char *password_hash;
	const char *role;
	const char *first_name;
	const char *last_name;
};

/* Applies changes in one write transaction: 0 done, 1 no such user,
 * 2 it would leave no admin, -1 error. */
int user_update(struct db *db, int64_t id, const struct user_changes *c);

/* {"users": UserOut[], "total": N} ordered by id; NULL on error. */
json_t *user_list_json(struct db *db, int64_t offset, int64_t limit);

#endif
