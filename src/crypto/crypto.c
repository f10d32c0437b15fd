/* crypto.c: library start-up and constant-time comparison. */
#include "crypto.h"

#include <sodium.h>

int
crypto_init(void)
{
	/* sodium_init() answers 1 when already initialised: not an error. */
	return sodium_init() < 0 ? -1 : 0;
}

int
crypto_equal(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}

void
crypto_sha256_hex(const void *p, size_t n, char out[CRYPTO_SHA256_HEX_LEN + 1])
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, p, n);
	sodium_bin2hex(out, CRYPTO_SHA256_HEX_LEN + 1, digest, sizeof(digest));
}
