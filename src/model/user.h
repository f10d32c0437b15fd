/*
 * user.h: user profiles (table user_profiles) as the rest of the code sees
 * them.  The only SQL for the table lives in model/user.c.
 */
#ifndef PIPELIT_MODEL_USER_H
#define PIPELIT_MODEL_USER_H

#include <stdint.h>

#include <jansson.h>

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

#endif
