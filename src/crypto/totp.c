/*
 * totp.c: RFC 6238 time-based one-time passwords (HMAC-SHA1, 6 digits,
 * 30-second steps), the HOTP of RFC 4226 over the step counter.
 */
#include "crypto.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "sha1.h"

#define TOTP_SECRET_BYTES 20
#define TOTP_STEP_SECONDS 30
#define TOTP_DIGITS 6
#define TOTP_MODULUS 1000000u
/* Longest secret we accept from storage: RFC 4226 asks for 128 bits at
 * least, apps use 160; 64 bytes leaves room for SHA-1 sized keys and more. */
#define TOTP_SECRET_MAX_BYTES 64

void
totp_new_secret(char secret_b32[TOTP_SECRET_B32_LEN + 1])
{
	unsigned char raw[TOTP_SECRET_BYTES];
	randombytes_buf(raw, sizeof(raw));
	base32_encode(raw, sizeof(raw), secret_b32, TOTP_SECRET_B32_LEN + 1);
	sodium_memzero(raw, sizeof(raw));
}

/* RFC 4226 5.3: 31 bits from the offset named by the last nibble. */
static uint32_t
dynamic_truncate(const unsigned char mac[SHA1_DIGEST_BYTES])
{
	unsigned offset = mac[SHA1_DIGEST_BYTES - 1] & 0x0f;
	return (uint32_t)(mac[offset] & 0x7f) << 24 | (uint32_t)mac[offset + 1] << 16 |
	       (uint32_t)mac[offset + 2] << 8 | mac[offset + 3];
}

static uint32_t
hotp_value(const unsigned char *key, size_t key_len, uint64_t counter)
{
	unsigned char msg[8];
	for (int i = 0; i < 8; i++)
		msg[i] = (unsigned char)(counter >> (56 - 8 * i));
	unsigned char mac[SHA1_DIGEST_BYTES];
	hmac_sha1(key, key_len, msg, sizeof(msg), mac);
	uint32_t v = dynamic_truncate(mac) % TOTP_MODULUS;
	sodium_memzero(mac, sizeof(mac));
	return v;
}

/* The secret's bytes, or -1 when it is empty or not base32. */
static long
decode_secret(const char *secret_b32, unsigned char key[TOTP_SECRET_MAX_BYTES])
{
	if (secret_b32 == NULL)
		return -1;
	long n = base32_decode(secret_b32, key, TOTP_SECRET_MAX_BYTES);
	return n > 0 ? n : -1;
}

int
totp_code_at(const char *secret_b32, uint64_t step, char code[7])
{
	unsigned char key[TOTP_SECRET_MAX_BYTES];
	long n = decode_secret(secret_b32, key);
	if (n < 0)
		return -1;
	snprintf(code, 7, "%06u", (unsigned)hotp_value(key, (size_t)n, step));
	sodium_memzero(key, sizeof(key));
	return 0;
}

static int
is_six_digits(const char *code)
{
	if (code == NULL || strlen(code) != TOTP_DIGITS)
		return 0;
	for (int i = 0; i < TOTP_DIGITS; i++)
		if (code[i] < '0' || code[i] > '9')
			return 0;
	return 1;
}

/* All three steps are always computed and compared, so the time taken
 * does not say which one matched. */
int64_t
totp_match(const char *secret_b32, const char *code, int64_t now)
{
	if (!is_six_digits(code) || now < 0)
		return -1;
	unsigned char key[TOTP_SECRET_MAX_BYTES];
	long n = decode_secret(secret_b32, key);
	if (n < 0)
		return -1;
	int64_t current = now / TOTP_STEP_SECONDS, matched = -1;
	for (int64_t step = current - 1; step <= current + 1; step++) {
		if (step < 0)
			continue;
		char expect[7];
		snprintf(expect, sizeof(expect), "%06u",
			 (unsigned)hotp_value(key, (size_t)n, (uint64_t)step));
		if (crypto_equal(expect, code, TOTP_DIGITS) && matched < 0)
			matched = step;
	}
	sodium_memzero(key, sizeof(key));
	return matched;
}
