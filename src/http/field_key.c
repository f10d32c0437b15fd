/* field_key.c: see field_key.h. */
#include "field_key.h"

#include "crypto/crypto.h"
#include "http/request.h"
#include "http/response.h"
#include "util/config.h"
#include "util/log.h"

/* Decoded once per process from the configuration, which cannot change
 * under a running process (SIGHUP replaces the children). */
static struct field_keyring process_ring;
static enum { KEY_UNKNOWN, KEY_READY, KEY_UNUSABLE } process_key_state;

static void
decode_process_keys(const struct config *cfg)
{
	if (cfg->field_encryption_key == NULL) {
		process_key_state = KEY_UNUSABLE;
		return;
	}
	if (field_keyring_init(&process_ring, cfg->field_encryption_key,
			       cfg->field_encryption_key_old) != 0) {
		log_error("FIELD_ENCRYPTION_KEY or FIELD_ENCRYPTION_KEY_OLD does not decode to 32 "
			  "bytes of URL-safe base64");
		process_key_state = KEY_UNUSABLE;
		return;
	}
	process_key_state = KEY_READY;
}

const struct field_keyring *
req_field_key(struct req *r)
{
	if (process_key_state == KEY_UNKNOWN)
		decode_process_keys(r->cfg);
	if (process_key_state == KEY_READY)
		return &process_ring;
	if (r->cfg->field_encryption_key == NULL)
		resp_error(r, 503, "FIELD_ENCRYPTION_KEY is not set: generate one with 'pipelit "
				   "keygen' and add it to .env, then restart");
	else
		resp_error(r, 503, "FIELD_ENCRYPTION_KEY is not valid: generate one with "
				   "'pipelit keygen' and add it to .env, then restart");
	return NULL;
}

const struct field_keyring *
req_field_key_if_set(struct req *r)
{
	if (process_key_state == KEY_UNKNOWN)
		decode_process_keys(r->cfg);
	return process_key_state == KEY_READY ? &process_ring : NULL;
}

int
resp_field_key_mismatch(struct req *r)
{
	log_error("a stored secret does not decrypt with the configured FIELD_ENCRYPTION_KEY "
		  "(nor FIELD_ENCRYPTION_KEY_OLD), or does not belong where it is stored");
	resp_add_header(r, "Retry-After", "30");
	return resp_error(r, 503, "a stored secret cannot be decrypted: the key that encrypted "
				  "it is not configured (see FIELD_ENCRYPTION_KEY_OLD and 'pipelit "
				  "db rotate-key'), or the value was moved from another row");
}
