/*
 * secrets.h: every secret encrypted at rest under FIELD_ENCRYPTION_KEY
 * (user_profiles.totp_secret, llm_credentials.api_key,
 * git_credentials.ssh_private_key and access_token), for re-encrypting
 * them all under a new key.
 */
#ifndef PIPELIT_MODEL_SECRETS_H
#define PIPELIT_MODEL_SECRETS_H

#include "crypto/crypto.h"

struct db;

/*
 * Decrypts every stored secret with old_key and re-encrypts it with
 * new_key, all in one write transaction: either every value is under the
 * new key, or (on any failure, or if the process dies) none is.  Empty and
 * NULL values are left alone.  Returns the number of values re-encrypted,
 * or -1 with a malloc'd message in *err (a value that does not decrypt
 * with old_key is named by table, column and id).
 */
long secrets_rotate(struct db *db, const unsigned char old_key[FIELD_KEY_BYTES],
		    const unsigned char new_key[FIELD_KEY_BYTES], char **err);

#endif
