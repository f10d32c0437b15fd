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

void
crypto_random_hex(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[64];
	size_t done = 0;
	while (done < n) {
		size_t k = n - done < sizeof b ? n - done : sizeof b;
		randombytes_buf(b, k);
		for (size_t i = 0; i < k; i++) {
			out[2 * (done + i)] = hex[b[i] >> 4];
			out[2 * (done + i) + 1] = hex[b[i] & 15];
		}
		done += k;
	}
	out[2 * n] = '\0';
}

/* The 16 bytes b in the 8-4-4-4-12 hex form. */
static void
uuid_text(const unsigned char b[16], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	char *p = out;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[b[i] >> 4];
		*p++ = hex[b[i] & 15];
	}
	*p = '\0';
}

void
crypto_uuid4(char out[37])
{
	unsigned char b[16];
	randombytes_buf(b, sizeof b);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);   /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);   /* RFC 4122 variant */
	uuid_text(b, out);
}

void
crypto_uuid7(char out[37], int64_t unix_ms)
{
	unsigned char b[16];
	randombytes_buf(b, sizeof b);
	uint64_t ms = unix_ms > 0 ? (uint64_t)unix_ms : 0;
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (8 * (5 - i)));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x70);   /* version 7 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);   /* RFC 9562 variant */
	uuid_text(b, out);
}
