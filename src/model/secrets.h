/*
 * secrets.h: every secret encrypted at rest (user_profiles.totp_secret,
 * llm_credentials.api_key and custom_headers, git_credentials.
 * ssh_private_key, access_token and webhook_secret, webhook_paths.secret,
 * the values of workspaces.env_vars),
 * for sealing them again: under a new key (rotation), or from an older
 * format.
 */
#ifndef PIPELIT_MODEL_SECRETS_H
#define PIPELIT_MODEL_SECRETS_H

#include "crypto/crypto.h"

struct db;
struct progress;

enum reseal_mode {
	RESEAL_ALL,      /* every value not yet under the ring's first key */
	RESEAL_LEGACY,   /* only "v1:" values and headers in clear; those that do not
			    open are left and counted in *skipped */
};

/*
 * Opens the values mode selects with any key of ring (bound "v2:", older
 * "v1:", or headers still in clear) and seals each again under ring's
 * first key, bound to its column and row, all in one write transaction:
 * either every value is done, or (on any failure, or if the process dies)
 * none is.  Empty and NULL values are left alone.  Returns the number of
 * values sealed, or -1 with a malloc'd message in *err (in RESEAL_ALL, a
 * value that does not open is named by table, column and id).  progress
 * (may be NULL) is told each column and the values read.
 */
long secrets_reseal(struct db *db, const struct field_keyring *ring, enum reseal_mode mode,
		    struct progress *progress, long *skipped, char **err);

/*
 * The start-up data step of 'serve' and 'fcgi' (after migrating): values
 * written before secrets were bound to their row ("v1:", headers in
 * clear) are sealed in the bound format.  Never fatal: problems are
 * logged.  Nothing happens without a key.
 */
void secrets_convert_at_start(struct db *db, const char *key_text, const char *old_text);

#endif
