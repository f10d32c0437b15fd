/* api_key.c: random API key tokens and the hash they are stored and found by. */
#include "crypto.h"

#include <sodium.h>
#include <string.h>

#define API_KEY_RANDOM_BYTES 32

void
api_key_hash(const char *token, char hash_hex[API_KEY_HASH_HEX_LEN + 1])
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, (const unsigned char *)token, strlen(token));
	sodium_bin2hex(hash_hex, API_KEY_HASH_HEX_LEN + 1, digest, sizeof(digest));
}

void
api_key_generate(char token[API_KEY_TOKEN_LEN + 1], char hash_hex[API_KEY_HASH_HEX_LEN + 1])
{
	unsigned char raw[API_KEY_RANDOM_BYTES];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(token, API_KEY_TOKEN_LEN + 1, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	api_key_hash(token, hash_hex);
}
