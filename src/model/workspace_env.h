/*
 * workspace_env.h: a workspace's environment variables, which are secrets.
 *
 * In memory ("clear") they are a JSON array of WorkspaceEnvVar objects,
 * every key present: {key, value, credential_id, credential_field, source}.
 * Stored (workspaces.env_vars) they are the same array with every
 * non-empty value sealed by field_seal() under FIELD_ENCRYPTION_KEY, bound
 * to "workspaces.env_vars.<key>" and the workspace's id: a ciphertext
 * copied to another workspace or another variable does not open there.
 * Answers carry them masked as every secret is (secret_mask()).  Keys,
 * sources and credential references are not secret and stay in clear.
 */
#ifndef PIPELIT_MODEL_WORKSPACE_ENV_H
#define PIPELIT_MODEL_WORKSPACE_ENV_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct db;
struct field_keyring;
struct progress;

enum wsenv_result {
	WSENV_OK = 0,
	WSENV_BAD_KEY = -2,   /* a stored value does not open under the configured keys */
	WSENV_NO_KEY = -3,    /* a value must be sealed or opened and no key is configured */
};

/* The clear array of what is stored for workspace id (text of the column).
 * ring may be NULL: then only a list without sealed values opens. */
int wsenv_open(const struct field_keyring *ring, int64_t id, const char *stored, json_t **clear);

/* The column text (malloc'd) for a clear array of workspace id. */
int wsenv_seal(const struct field_keyring *ring, int64_t id, json_t *clear, char **stored);

/* A copy of a clear array for an answer: values masked, null and "" kept. */
json_t *wsenv_masked(json_t *clear);

/* 1 when value has the shape of a mask ("****", or "****" and 4 characters). */
int wsenv_looks_masked(const char *value);

/*
 * The masked round trip of an update: each value of sent (a clear array
 * about to replace stored) that is the mask of the value stored under the
 * same key takes the stored value back, so a client that sends what it
 * read loses nothing.  Returns -1, or the index of a value that looks
 * like a mask but stands for no stored value (a renamed key, or a mask
 * typed by hand): storing it would replace the secret by its mask.
 */
long wsenv_keep_masked(json_t *sent, json_t *stored);

/*
 * Key rotation (model/secrets.c): seals again under ring's first key every
 * value not under it yet, inside the caller's write transaction.  The
 * number of values sealed, or -1 with a malloc'd message in *err (a value
 * that does not open is named by workspace id and variable).
 */
long wsenv_reseal(struct db *db, const struct field_keyring *ring, struct progress *progress,
		  char **err);

/* How many workspaces have variables (the progress total of a rotation). */
int64_t wsenv_count_rows(struct db *db);

#endif
