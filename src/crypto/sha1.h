/*
 * sha1.h: SHA-1 (FIPS 180-4) and HMAC-SHA1 (RFC 2104), for TOTP only.
 * libsodium has no SHA-1; RFC 6238 authenticator apps expect it.  SHA-1's
 * collision weakness does not touch HMAC, which is all TOTP uses.
 */
#ifndef PIPELIT_CRYPTO_SHA1_H
#define PIPELIT_CRYPTO_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_DIGEST_BYTES 20
#define SHA1_BLOCK_BYTES 64

struct sha1_ctx {
	uint32_t h[5];
	uint64_t total_bytes;
	unsigned char block[SHA1_BLOCK_BYTES];
	size_t block_len;
};

void sha1_init(struct sha1_ctx *c);
void sha1_update(struct sha1_ctx *c, const void *data, size_t n);
void sha1_final(struct sha1_ctx *c, unsigned char digest[SHA1_DIGEST_BYTES]);
void sha1(const void *data, size_t n, unsigned char digest[SHA1_DIGEST_BYTES]);

void hmac_sha1(const unsigned char *key, size_t key_len, const unsigned char *msg,
	       size_t msg_len, unsigned char mac[SHA1_DIGEST_BYTES]);

#endif
