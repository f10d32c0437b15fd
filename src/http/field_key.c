/* field_key.c: see field_key.h. */
#include "field_key.h"

#include "crypto/crypto.h"
#include "http/request.h"
#include "http/response.h"
#include "util/config.h"
#include "util/log.h"

/* Decoded once per process from the configuration, which cannot change
 * under a running process (SIGHUP replaces the children). */
static unsigned char process_key[FIELD_KEY_BYTES];
static enum { KEY_UNKNOWN, KEY_READY, KEY_UNUSABLE } process_key_state;

static void
decode_process_key(const struct config *cfg)
{
	if (cfg->field_encryption_key == NULL) {
		process_key_state = KEY_UNUSABLE;
		return;
	}
	if (field_key_decode(cfg->field_encryption_key, process_key) != 0) {
		log_error("FIELD_ENCRYPTION_KEY does not decode to 32 bytes of URL-safe base64");
		process_key_state = KEY_UNUSABLE;
		return;
	}
	process_key_state = KEY_READY;
}

const unsigned char *
req_field_key(struct req *r)
{
	if (process_key_state == KEY_UNKNOWN)
		decode_process_key(r->cfg);
	if (process_key_state == KEY_READY)
		return process_key;
	if (r->cfg->field_encryption_key == NULL)
		resp_error(r, 503, "FIELD_ENCRYPTION_KEY is not set: generate one with 'pipelit "
				   "keygen' and add it to .env, then restart");
	else
		resp_error(r, 503, "FIELD_ENCRYPTION_KEY is not valid: generate one with "
				   "'pipelit keygen' and add it to .env, then restart");
	return NULL;
}

int
resp_field_key_mismatch(struct req *r)
{
	log_error("a stored secret does not decrypt with the configured FIELD_ENCRYPTION_KEY");
	return resp_error(r, 503, "stored secrets cannot be decrypted with the configured "
				  "FIELD_ENCRYPTION_KEY (was the key changed without 'pipelit db "
				  "rotate-key'?)");
}
