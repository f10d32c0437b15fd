/* fingerprint.c: see crypto.h (key_fingerprint). */
#include "crypto.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

void
key_fingerprint(const char *purpose, const char *key, char hex[KEY_FINGERPRINT_HEX_LEN + 1])
{
	/* BLAKE2b keyed with the purpose over the key: equal keys give equal
	 * fingerprints, and a fingerprint says nothing else about its key. */
	unsigned char out[KEY_FINGERPRINT_HEX_LEN / 2];
	if (sodium_init() < 0)
		abort();	/* libsodium cannot work on this machine at all */
	crypto_generichash_state st;
	unsigned char salt[crypto_generichash_KEYBYTES];
	crypto_generichash(salt, sizeof(salt), (const unsigned char *)purpose, strlen(purpose),
			   NULL, 0);
	crypto_generichash_init(&st, salt, sizeof(salt), sizeof(out));
	crypto_generichash_update(&st, (const unsigned char *)key, strlen(key));
	crypto_generichash_final(&st, out, sizeof(out));
	sodium_bin2hex(hex, KEY_FINGERPRINT_HEX_LEN + 1, out, sizeof(out));
	sodium_memzero(out, sizeof(out));
}
