/*
 * credential.h: credentials (table credentials and its four detail tables:
 * llm_credentials, gateway_credentials, git_credentials, tool_credentials).
 * The only SQL for them lives in model/credential.c.
 *
 * Secrets (an LLM api_key and custom_headers, a git ssh_private_key,
 * access_token and webhook_secret) pass through here in clear and are
 * stored only as field_seal() text under the caller's keys, bound to their
 * column and the credential's id; an empty secret is stored as "" (there
 * is nothing to hide).  Reading decrypts them again, so a struct credential's
 * detail holds clear text: render it with masks, never as is.
 *
 * Scope: "owner" is the user whose rows a call may touch, or
 * CRED_ANY_OWNER (admins).  Rows of other users behave as missing.
 */
#ifndef PIPELIT_MODEL_CREDENTIAL_H
#define PIPELIT_MODEL_CREDENTIAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "db/db.h"

struct db;
struct field_keyring;

#define CRED_ANY_OWNER 0
#define CRED_NAME_MAX 255

/* Results of the calls below. */
enum cred_result {
	CRED_OK = 0,
	CRED_NOT_FOUND = 1,
	CRED_DB_ERROR = DB_FAILED,
	CRED_BAD_KEY = -2,       /* a stored secret does not decrypt under this key */
};

enum cred_field_kind {
	CRED_TEXT,               /* a string column */
	CRED_SECRET,             /* a string column, encrypted */
	CRED_JSON,               /* an object, stored as JSON text */
	CRED_HEADERS,            /* an object of header names to string values */
	CRED_BOOL,
	CRED_UNSTORED,           /* accepted (a string) but kept nowhere: the gateway's token */
	CRED_UNSTORED_JSON,      /* accepted (an object) but kept nowhere: the gateway's config */
};

/* One key of a credential's "detail", as the API takes it. */
struct cred_field {
	const char *type;        /* "llm", "gateway", "git", "tool" */
	const char *key;
	enum cred_field_kind kind;
	size_t max_chars;        /* strings: the column's limit (0: unlimited) */
	const char *def;         /* the default on create (JSON text for objects, "true"/"false") */
	const char *update_sql;  /* NULL for unstored keys */
	const char *where;       /* secrets and headers: table.column, bound into the
				    ciphertext with the credential's id */
};

/* The NULL-terminated list of types, in the spec's order. */
extern const char *const credential_types[];

/* The detail fields of a type (n of them); NULL for an unknown type. */
const struct cred_field *credential_fields(const char *type, size_t *n);

struct credential {
	int64_t id;
	int64_t user_profile_id;
	char *name;
	char *credential_type;
	char created_at[32];     /* storage format */
	char updated_at[32];
	/* The detail row's values, secrets in clear; an empty object when the
	 * detail row is missing.  Owned. */
	json_t *detail;
};

void credential_free(struct credential *c);

/* One credential; CRED_OK, CRED_NOT_FOUND, CRED_DB_ERROR or CRED_BAD_KEY. */
int credential_get(struct db *db, const struct field_keyring *key, int64_t id, int64_t owner,
		   struct credential *out);

/* A page ordered by id; *items is a malloc'd array of *n credentials
 * (free each, then the array) and *total counts them all. */
int credential_list(struct db *db, const struct field_keyring *key, int64_t owner, int64_t limit,
		    int64_t offset, struct credential **items, size_t *n, int64_t *total);

/*
 * Creates a credential in one transaction.  detail holds only the type's
 * keys with valid values (the handler validated them); missing keys take
 * their defaults.  *id is the new row's id.
 */
int credential_create(struct db *db, const struct field_keyring *key, int64_t owner,
		      const char *name, const char *type, json_t *detail, int64_t *id);

/* Renames (name may be NULL) and sets the detail keys present in detail
 * (may be NULL), in one transaction. */
int credential_update(struct db *db, const struct field_keyring *key, int64_t id, int64_t owner,
		      const char *name, json_t *detail);

int credential_delete(struct db *db, int64_t id, int64_t owner);

/* Deletes those of ids that are in scope, in one transaction; the others
 * are skipped. */
int credential_delete_many(struct db *db, const int64_t *ids, size_t n, int64_t owner);

#endif
